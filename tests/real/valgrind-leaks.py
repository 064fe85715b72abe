#!/usr/bin/env python3
"""memboss: compare the definitely-lost loss records of one workload with Valgrind's.

    python3 tests/real/valgrind-leaks.py NAME MEMBOSS-LOG-DIR VALGRIND-LOG-DIR

MEMBOSS-LOG-DIR holds the log files (mb.PID.log) of `memboss run --leak-check=full`, one
per process; VALGRIND-LOG-DIR those (vg.PID.log) of `valgrind --leak-check=full -v -v
--trace-children=yes` on the same workload. Run by tests/real/valgrind-leaks.sh.

For each memboss definitely-lost record, the allocation site is the first frame of its
stack that is not an allocator (malloc and its family, the usual x-wrappers, the
allocators of Python and SQLite, memboss itself); when every frame is one, the last. The
record is confirmed when a Valgrind definitely-lost record of the same workload has that
site in its stack: the same function name (names come from addr2line, which reads the
debugging information when it is installed, as Valgrind does), or, for frames without a
name, the same module and an address within 16 bytes (Valgrind's addresses are turned into
module addresses with the load bias it prints at -v -v).

Prints a table, each unconfirmed record with its site (and whether Valgrind saw a block
from that site as possibly lost), the Valgrind definite records memboss does not report,
then `PASS valgrind-leaks NAME` or `FAIL valgrind-leaks NAME: why`. Exit status 0 on PASS.
"""
import glob
import os
import re
import subprocess
import sys

ALLOCATOR = re.compile(
    r"^(malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|"
    r"valloc|pvalloc|__libc_\w*alloc\w*|_?_?strn?dup\w*|operator new.*|"
    r"x\w*(alloc|strn?dup|memdupz?)\w*|do_xmalloc|sh_x\w*alloc\w*|"
    r"_?Py(Mem|Object)_\w*|_PyMem_\w+|"
    r"sqlite3\w*(Malloc|Realloc|MallocZero|MallocRaw\w*|DbStrN?Dup)\w*|"
    r"g_\w*alloc\w*)$")
WINDOW = 16

MB_RECORD = re.compile(r"^==(\d+)==   (?:\d+ \((\d+) direct, \d+ indirect\)|(\d+)) bytes in (\d+) blocks? "
                       r"(?:are|is) (definitely|indirectly|possibly) lost in loss record (\d+) of (\d+)")
MB_FRAME = re.compile(r"^==\d+==     #(\d+) 0x([0-9a-fA-F]+) (?:in )?(.*)$")
VG_RECORD = re.compile(r"^==(\d+)== ([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes "
                       r"in ([\d,]+) blocks are (definitely|possibly) lost in loss record")
VG_FRAME = re.compile(r"^==\d+==    (?:at|by) 0x([0-9A-Fa-f]+): (.*)$")
VG_SYMS = re.compile(r"^--\d+-- Reading syms from (\S+)")
VG_BIAS = re.compile(r"^--\d+--    svma 0x([0-9a-fA-F]+), avma 0x([0-9a-fA-F]+)")
VG_PARENT = re.compile(r"^==\d+== Parent PID: (\d+)")


def num(s):
    return int(s.replace(",", ""))


def norm(name):
    """A function name as both tools' outputs can be compared: no parameters, no clone suffix."""
    if not name or name.startswith("??"):
        return None
    name = name.strip()
    if name.startswith("operator new") or name.startswith("operator delete"):
        return name.split("(")[0]
    name = re.sub(r" \[clone [^\]]*\]", "", name)
    name = re.sub(r"\.(isra|constprop|part|cold|lto_priv)\.\d+", "", name)
    return name.split("(")[0].strip() or None


class Frame:
    def __init__(self, text):
        # "sym+0xOFF (PATH+0xVADDR)" or "(PATH+0xVADDR)" or "(unknown module)"
        self.text = text
        self.sym = None
        self.module = None
        self.vaddr = None
        self.symoff = None
        m = re.match(r"^(?:(\S+)\+0x([0-9a-f]+) )?\((.*)\+0x([0-9a-f]+)\)$", text)
        if m:
            self.sym, self.module, self.vaddr = m.group(1), m.group(3), int(m.group(4), 16)
            self.symoff = int(m.group(2), 16) if m.group(2) else None
        self.names = []  # the true names, innermost inlined function first

    def site(self):
        base = os.path.basename(self.module) if self.module else "?"
        where = "%s+0x%x" % (base, self.vaddr) if self.vaddr is not None else self.text
        return "%s (%s)" % (self.names[0], where) if self.names else where


def memboss_records(d):
    recs = []
    for path in sorted(glob.glob(os.path.join(d, "mb.*.log"))):
        cur = None
        with open(path, errors="replace") as f:
            for line in f:
                m = MB_RECORD.match(line)
                if m:
                    cur = {"pid": int(m.group(1)), "bytes": int(m.group(2) or m.group(3)),
                           "blocks": int(m.group(4)), "kind": m.group(5), "frames": []}
                    recs.append(cur)
                    continue
                m = MB_FRAME.match(line)
                if m and cur is not None:
                    cur["frames"].append(Frame(m.group(3)))
                elif "memboss: END" in line:
                    cur = None
    return recs


def symbolize(frames):
    """Fill frame.names with addr2line's names (debugging information, then symbols)."""
    by_module = {}
    for fr in frames:
        if fr.module and fr.vaddr is not None and os.path.isfile(fr.module):
            by_module.setdefault(fr.module, set()).add(fr.vaddr)
    names = {}
    for module, addrs in by_module.items():
        addrs = sorted(addrs)
        try:
            out = subprocess.run(["addr2line", "-a", "-f", "-i", "-C", "-e", module] +
                                 ["0x%x" % a for a in addrs], capture_output=True, text=True,
                                 timeout=120).stdout.splitlines()
        except (OSError, subprocess.SubprocessError):
            continue
        cur, odd, fn = None, False, None  # after each address: function and location lines in turns
        for line in out:
            if re.match(r"^0x[0-9a-f]+$", line):
                cur, odd = (module, int(line, 16)), False
                names[cur] = []
            elif cur is not None:
                if not odd:
                    fn = norm(line)
                elif fn:
                    names[cur].append((fn, not line.startswith("??")))
                odd = not odd
    for fr in frames:
        # Without debugging information a name is the nearest symbol: trusted only near it
        # (a stripped program's static function takes the name of an exported neighbour).
        got = names.get((fr.module, fr.vaddr), [])
        fr.names = [n for n, located in got
                    if located or (fr.symoff is not None and fr.symoff < 0x1000)]


def site_of(rec):
    """The first frame that is not an allocator (the last when all are), and its name."""
    frames = rec["frames"]
    for fr in frames:
        if fr.module and os.path.basename(fr.module).startswith("libmemboss"):
            continue
        if fr.names:
            outer = [n for n in fr.names if not ALLOCATOR.match(n)]
            if outer:
                return fr, outer[0]
            continue
        return fr, None  # no name: not known to be an allocator
    return (frames[-1], frames[-1].names[-1] if frames[-1].names else None) if frames else (None, None)


def valgrind_logs(d):
    logs = {}
    for path in sorted(glob.glob(os.path.join(d, "vg.*.log"))):
        log = {"pid": None, "parent": None, "bias": {}, "records": []}
        cur = None
        last_syms = None
        with open(path, errors="replace") as f:
            for line in f:
                m = VG_SYMS.match(line)
                if m:
                    last_syms = m.group(1)
                    continue
                m = VG_BIAS.match(line)
                if m and last_syms:
                    log["bias"].setdefault(os.path.basename(last_syms),
                                           int(m.group(2), 16) - int(m.group(1), 16))
                    last_syms = None
                    continue
                m = VG_PARENT.match(line)
                if m:
                    log["parent"] = int(m.group(1))
                    continue
                m = VG_RECORD.match(line)
                if m:
                    log["pid"] = int(m.group(1))
                    direct = m.group(3) or m.group(2)
                    cur = {"bytes": num(direct), "blocks": num(m.group(5)), "kind": m.group(6),
                           "frames": []}
                    log["records"].append(cur)
                    continue
                m = VG_FRAME.match(line)
                if m and cur is not None:
                    rest = m.group(2)
                    k = rest.rfind(" (")
                    name, loc = (rest[:k], rest[k + 2:-1]) if k >= 0 else (rest, "")
                    cur["frames"].append((int(m.group(1), 16), norm(name), name, loc))
                elif cur is not None and not m:
                    cur = None
        pid = int(re.search(r"vg\.(\d+)\.log$", path).group(1))
        log["pid"] = pid
        logs[pid] = log
    return logs


def bias_in(logs, log, module):
    seen = set()
    while log is not None and log["pid"] not in seen:
        seen.add(log["pid"])
        if module in log["bias"]:
            return log["bias"][module]
        log = logs.get(log["parent"])
    return None


def find_in_valgrind(logs, frame, name, kind):
    """The Valgrind records of this kind whose stack holds the site: by address when the
    module's load address is known (the same call, not only the same function), else by
    the function's name."""
    by_addr = frame is not None and frame.module and frame.vaddr is not None and any(
        bias_in(logs, log, os.path.basename(frame.module)) is not None for log in logs.values())
    hits = []
    for log in logs.values():
        b = bias_in(logs, log, os.path.basename(frame.module)) if by_addr else None
        for rec in log["records"]:
            if rec["kind"] != kind:
                continue
            for addr, vname, _, _ in rec["frames"]:
                if (b is not None and abs(addr - b - frame.vaddr) <= WINDOW) or \
                        (not by_addr and name and vname == name):
                    hits.append(rec)
                    break
    return hits


def unnamed_top(rec):
    """Whether the first frame past the allocator has neither a name nor a module."""
    for _, n, _, loc in rec["frames"]:
        if "vgpreload" in loc:
            continue
        return n is None and not loc
    return False


def describe(rec):
    """A Valgrind record and its first frame that is not an allocator."""
    where = "(no stack)"
    for addr, n, raw, loc in rec["frames"]:
        if n and ALLOCATOR.match(n) or "vgpreload" in loc:
            continue
        where = "%s 0x%x (%s)" % (raw, addr, loc)
        break
    return "%d bytes in %d block%s at %s" % (rec["bytes"], rec["blocks"],
                                            "" if rec["blocks"] == 1 else "s", where)


def exit_rule_sites(mbdir):
    """Sites of the definitely-lost records of a run made with leak_exit_rule=0."""
    recs = [r for r in memboss_records(mbdir) if r["kind"] == "definitely"]
    symbolize([fr for r in recs for fr in r["frames"]])
    sites = set()
    for r in recs:
        frame, _ = site_of(r)
        sites.add(frame.site() if frame else "(no stack)")
    return sites


def main():
    if len(sys.argv) not in (4, 5):
        print("usage: valgrind-leaks.py NAME MEMBOSS-LOG-DIR VALGRIND-LOG-DIR [NO-EXIT-RULE-LOG-DIR]",
              file=sys.stderr)
        return 2
    wname, mbdir, vgdir = sys.argv[1:4]
    # memboss's exit rule makes the frame that called exit() dead, where Valgrind scans it:
    # a block whose only pointer is there is definitely lost in memboss and reachable or
    # possibly lost in Valgrind. A run without the rule tells such records apart.
    no_rule = exit_rule_sites(sys.argv[4]) if len(sys.argv) == 5 else None
    mb = [r for r in memboss_records(mbdir) if r["kind"] == "definitely"]
    symbolize([fr for r in mb for fr in r["frames"]])
    logs = valgrind_logs(vgdir)
    vg = [r for log in logs.values() for r in log["records"] if r["kind"] == "definitely"]
    vposs = [r for log in logs.values() for r in log["records"] if r["kind"] == "possibly"]
    print("  %-10s %12s %8s %8s" % ("", "bytes", "blocks", "records"))
    print("  %-10s %12d %8d %8d" % ("memboss", sum(r["bytes"] for r in mb),
                                    sum(r["blocks"] for r in mb), len(mb)))
    print("  %-10s %12d %8d %8d" % ("valgrind", sum(r["bytes"] for r in vg),
                                    sum(r["blocks"] for r in vg), len(vg)))
    mposs = [r for r in memboss_records(mbdir) if r["kind"] == "possibly"]
    print("  (possibly lost: memboss %d bytes in %d blocks, valgrind %d bytes in %d blocks)" %
          (sum(r["bytes"] for r in mposs), sum(r["blocks"] for r in mposs),
           sum(r["bytes"] for r in vposs), sum(r["blocks"] for r in vposs)))
    unconfirmed = []
    matched = set()
    for r in mb:
        frame, name = site_of(r)
        hits = find_in_valgrind(logs, frame, name, "definitely")
        if not hits and (frame is None or frame.module is None):
            # code unloaded before exit (a dlclose'd plugin): neither tool can name it;
            # a Valgrind record with an unnamed top frame and the same size stands for it
            hits = [v for v in vg if id(v) not in matched and v["bytes"] == r["bytes"] and
                    v["blocks"] == r["blocks"] and unnamed_top(v)][:1]
        for h in hits:
            matched.add(id(h))
        if hits:
            print("  confirmed: pid %d: %d bytes in %d block%s at %s; valgrind: %s%s" %
                  (r["pid"], r["bytes"], r["blocks"], "" if r["blocks"] == 1 else "s",
                   frame.site() if frame else "(no stack)", describe(hits[0]),
                   " and %d more" % (len(hits) - 1) if len(hits) > 1 else ""))
        elif no_rule is not None and (frame.site() if frame else "(no stack)") not in no_rule:
            print("  exit rule: pid %d: %d bytes in %d block%s at %s: its only pointers are in the "
                  "frame that called exit() (not lost with leak_exit_rule=0; valgrind: %s)" %
                  (r["pid"], r["bytes"], r["blocks"], "" if r["blocks"] == 1 else "s",
                   frame.site() if frame else "(no stack)",
                   "possibly lost" if find_in_valgrind(logs, frame, name, "possibly") else
                   "still reachable"))
        else:
            site = (name + " " if name and frame and name not in frame.names[:1] else "") + \
                (frame.site() if frame else "(no stack)")
            poss = find_in_valgrind(logs, frame, name, "possibly")
            unconfirmed.append(r)
            print("  not confirmed: pid %d: %d bytes in %d block%s at %s%s" %
                  (r["pid"], r["bytes"], r["blocks"], "" if r["blocks"] == 1 else "s", site,
                   "; valgrind: possibly lost" if poss else ""))
            for fr in r["frames"][:8]:
                print("      %s%s" % (fr.text, "  = " + " < ".join(fr.names) if fr.names and
                                      (fr.sym is None or fr.names[0] != fr.sym) else ""))
    for r in vg:
        if id(r) not in matched:
            print("  valgrind only: %s" % describe(r))
    if unconfirmed:
        print("FAIL valgrind-leaks %s: %d of %d definitely-lost records (%d bytes) not reported "
              "by Valgrind" % (wname, len(unconfirmed), len(mb),
                               sum(r["bytes"] for r in unconfirmed)))
        return 1
    print("PASS valgrind-leaks %s" % wname)
    return 0


if __name__ == "__main__":
    sys.exit(main())
