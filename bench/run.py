#!/usr/bin/env python3
"""memboss benchmark runner (`make bench`, `make bench-quick`). Standard library only.

  python3 bench/run.py [--quick] [--build BUILD] [--out DIR] [--reps N] [--only NAME,...]

1. Builds the workloads (bench/workloads/*.c) with gcc -O2 and, for the checker table,
   with clang -fsanitize=address; builds the preload probe (bench/probe.c).
2. Finds the peer allocators' libraries with `dpkg -L` (jemalloc, tcmalloc, mimalloc).
3. A verification pass: every workload under every allocator once, with the probe
   preloaded after the allocator; every process of the run must report malloc resolving
   into the library meant (libc for glibc), and the output must equal glibc's.
4. The fast table: repetition 1 of every (workload, allocator) pair, then repetition 2,
   ...; wall time, CPU time (user + sys) and peak RSS from wait4; medians; ratios to
   mimalloc; geometric means. Written to OUT/fast.md and OUT/fast.svg.
5. The checker table: the C workloads at a reduced scale, natively and under memboss
   check mode, Valgrind memcheck and an ASan build; then instructions per malloc+free
   pair from callgrind for every allocator. Written to OUT/check.md.
"""
import argparse
import datetime
import hashlib
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
TIMEIT = None  # BUILD/bench/timeit, set by main

# The peers: Debian package, the library file's name in it.
PEERS = [
    ("jemalloc", "libjemalloc2", "libjemalloc.so.2"),
    ("tcmalloc", "libtcmalloc-minimal4", "libtcmalloc_minimal.so.4"),
    ("mimalloc", "libmimalloc2.0", "libmimalloc.so.2"),
]
ORDER = ["glibc", "jemalloc", "tcmalloc", "mimalloc", "memboss"]

C_WORKLOADS = ["pairs", "randsize", "prodcons", "churn", "falseshare", "symbolic", "cubes",
               "bigrealloc", "leakgrow"]


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def sh(cmd, **kw):
    r = subprocess.run(cmd, **kw)
    if r.returncode != 0:
        die("failed: " + " ".join(cmd))
    return r


def find_peer(pkg, name):
    r = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True)
    if r.returncode != 0:
        die(f"{pkg} is not installed: run `make deps-bench` (sh mk/deps.sh bench)")
    for line in r.stdout.split():
        if os.path.basename(line) == name and os.path.exists(line):
            return line
    die(f"{pkg} has no {name}")


def build(bdir):
    os.makedirs(os.path.join(bdir, "asan"), exist_ok=True)
    src = os.path.join(BENCH, "workloads")
    for w in C_WORKLOADS:
        c = os.path.join(src, w + ".c")
        sh(["gcc", "-std=c17", "-D_GNU_SOURCE", "-O2", "-g", "-Wall", "-Wextra", "-pthread",
            "-o", os.path.join(bdir, w), c])
        sh(["clang", "-std=c17", "-D_GNU_SOURCE", "-O2", "-g", "-fsanitize=address",
            "-fno-omit-frame-pointer", "-pthread", "-o", os.path.join(bdir, "asan", w), c])
    sh(["gcc", "-O2", "-Wall", "-Wextra", "-o", os.path.join(bdir, "timeit"),
        os.path.join(BENCH, "timeit.c")])
    sh(["gcc", "-O2", "-Wall", "-Wextra", "-fPIC", "-shared", "-o",
        os.path.join(bdir, "probe.so"), os.path.join(BENCH, "probe.c"), "-ldl"])


def gen_c_file(path, nfuncs):
    """The input for gcc's cc1: NFUNCS functions with loops, switches, structs and inlining
    chances, generated deterministically."""
    out = ["struct v { int a, b; long c; double d; };",
           "static inline int mixi(int x, int y) { return (x * 31) ^ (y >> 3); }"]
    for f in range(nfuncs):
        out.append(f"int f{f}(struct v *p, int n) {{")
        out.append("  int s = 0;")
        out.append("  for (int i = 0; i < n; i++) {")
        out.append(f"    switch ((i + {f}) % 7) {{")
        for k in range(7):
            out.append(f"    case {k}: s += mixi(p[i].a, {k * f + 1}) - p[i].b * {k + 1}; "
                       f"p[i].c += s; break;")
        out.append("    }")
        out.append(f"    if (p[i].d > {f}.5) p[i].d *= 0.5; else p[i].d += s;")
        out.append("  }")
        if f:
            out.append(f"  return s + (n > 1 ? f{f - 1}(p + 1, n - 1) : 0);")
        else:
            out.append("  return s;")
        out.append("}")
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")


def smt_file(path, problems):
    """bench/programs/factor.smt2 cut after its first PROBLEMS check-sat blocks."""
    text = open(os.path.join(BENCH, "programs", "factor.smt2")).read()
    head, *blocks = text.split("(push 1)")
    with open(path, "w") as fh:
        fh.write(head + "".join("(push 1)" + b for b in blocks[:problems]))


def workloads(bdir, quick, threads):
    """(name, argv, extra env, stdin file or None, is a C workload)."""
    cs = 0.05 if quick else 0.8  # the C workloads' scale
    ps = 0.03 if quick else 0.25  # the scripts' scale
    P = os.path.join(BENCH, "programs")
    wl = []
    for w in C_WORKLOADS:
        if w in ("prodcons", "churn"):
            for t in threads:
                wl.append((f"{w}-{t}t", [os.path.join(bdir, w), str(cs), str(t)], {}, None, True))
        elif w == "falseshare":
            wl.append((w, [os.path.join(bdir, w), str(cs), "2"], {}, None, True))
        else:
            wl.append((w, [os.path.join(bdir, w), str(cs)], {}, None, True))
    sql = os.path.join(bdir, "writes.sql")
    with open(sql, "w") as fh:
        n = 6000 if quick else 60000
        fh.write(open(os.path.join(P, "writes.sql")).read().replace("@N@", str(n)))
    smt = os.path.join(bdir, "factor.smt2")
    smt_file(smt, 1 if quick else 2)
    csrc = os.path.join(bdir, "cc1-input.c")
    gen_c_file(csrc, 8 if quick else 40)
    py = shutil.which("python3.11") or "/usr/bin/python3.11"
    wl += [
        ("python3", [py, os.path.join(P, "dicts.py"), str(ps)],
         {"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"}, None, False),
        ("sqlite3", ["sqlite3", ":memory:"], {}, sql, False),
        ("z3", ["z3", smt], {}, None, False),
        ("ruby", ["ruby", os.path.join(P, "hashes.rb"), str(ps)], {}, None, False),
        ("gcc-cc1", ["gcc", "-O2", "-S", "-o", "-", csrc], {}, None, False),
        ("perl", ["perl", os.path.join(P, "words.pl"), str(ps)], {"PERL_HASH_SEED": "0"},
         None, False),
    ]
    return wl


def run(argv, env_extra, stdin, preload, tmp, probe=None, wrap=None):
    """Runs once under bench/timeit.c; returns (wall s, cpu s, peak RSS KiB, stdout
    sha256, exit code)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("MEMBOSS_OPTIONS", None)
    env.update(env_extra)
    libs = [x for x in (preload, probe) if x]
    if libs:
        env["TIMEIT_LD_PRELOAD"] = " ".join(libs)
    if probe:
        env["BENCH_PROBE"] = os.path.join(tmp, "probe.txt")
    outp, statp = os.path.join(tmp, "stdout"), os.path.join(tmp, "timeit")
    cmd = [TIMEIT] + (wrap or []) + argv
    with open(outp, "wb") as out, open(stdin or os.devnull, "rb") as inp, \
            open(os.path.join(tmp, "stderr"), "wb") as err:
        env["TIMEIT_OUT"] = statp
        r = subprocess.run(cmd, stdin=inp, stdout=out, stderr=err, env=env)
    if r.returncode != 0:
        die("timeit failed: " + " ".join(cmd))
    wall, cpu, rss, rc = open(statp).read().split()
    with open(outp, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    return float(wall), float(cpu), int(rss), digest, int(rc)


def stderr_tail(tmp):
    with open(os.path.join(tmp, "stderr"), "rb") as fh:
        return fh.read()[-600:].decode(errors="replace")


def verify(allocs, wl, tmp, probe, env_of):
    """One run of each pair with the probe; returns glibc's output digest per workload."""
    ref = {}
    for name, argv, env, stdin, _ in wl:
        for a in allocs:
            pf = os.path.join(tmp, "probe.txt")
            if os.path.exists(pf):
                os.unlink(pf)
            _, _, _, digest, rc = run(argv, {**env, **env_of(a)}, stdin, allocs[a], tmp, probe)
            if rc != 0:
                die(f"{name} under {a} exited {rc}:\n{stderr_tail(tmp)}")
            lines = open(pf).read().split("\n") if os.path.exists(pf) else []
            lines = [x for x in lines if x]
            want = os.path.basename(allocs[a]) if allocs[a] else "libc.so.6"
            bad = [x for x in lines if os.path.basename(x.split(" ")[-1]) != want]
            if not lines or bad:
                die(f"{name} under {a}: malloc did not resolve into {want}: {bad or 'no probe'}")
            ref.setdefault(name, digest)
            if digest != ref[name]:
                die(f"{name}: the output under {a} differs from glibc's")
        print(f"  verified {name}: {len(allocs)} allocators, output identical", flush=True)
    return ref


def median_runs(allocs, wl, reps, tmp, ref, env_of, wrap_of=None, argv_of=None,
                allow_rc=False):
    """Interleaved: repetition r of every (workload, allocator), then r + 1."""
    res = {}
    for r in range(reps):
        print(f"  repetition {r + 1}/{reps}", flush=True)
        for name, argv, env, stdin, _ in wl:
            keys = list(allocs)
            k = r % len(keys)  # rotate the order so no allocator always runs first
            for a in keys[k:] + keys[:k]:
                av = argv_of(a, argv) if argv_of else argv
                wrap = wrap_of(a) if wrap_of else None
                m = run(av, {**env, **env_of(a)}, stdin, allocs[a], tmp, wrap=wrap)
                if m[4] != 0 and not allow_rc:
                    die(f"{name} under {a} exited {m[4]}:\n{stderr_tail(tmp)}")
                if m[3] != ref[name]:
                    die(f"{name}: the output under {a} differs from the reference")
                res.setdefault((name, a), []).append(m)
    out = {}
    for key, ms in res.items():
        out[key] = tuple(statistics.median(m[i] for m in ms) for i in range(3)) + \
            (max(m[4] for m in ms),)
    return out


def geomean(xs):
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def ratio_table(med, names, base, cols, i, unit, f=1.0, digits=2, mark=False):
    """Markdown lines: per workload, base's median of measure i (times f, in unit), then
    each column's median divided by it; the columns' geometric means last. mark: a `*`
    after a run that exited non-zero."""
    md = [f"| workload | {base} ({unit}) | " + " | ".join(cols) + " |",
          "|---|---:|" + "---:|" * len(cols)]
    ratios = {a: [] for a in cols}
    for n in names:
        b = med[(n, base)][i]
        row = [n, f"{b * f:.3g}" if unit == "MiB" else f"{b * f:.3f}"]
        for a in cols:
            x = med[(n, a)][i] / b if b > 0 else float("nan")
            ratios[a].append(x)
            row.append(f"{x:.{digits}f}" + ("*" if mark and med[(n, a)][3] else ""))
        md.append("| " + " | ".join(row) + " |")
    md.append("| **geometric mean** | 1 | " +
              " | ".join(f"**{geomean(ratios[a]):.{digits}f}**" for a in cols) + " |")
    md.append("")
    return md


def fast_tables(med, wl, allocs):
    names = [w[0] for w in wl]
    cols = [a for a in ORDER if a in allocs and a != "mimalloc"]
    md = []
    metrics = [("Time (wall clock)", 0, "s", 1.0), ("CPU time (user + sys)", 1, "s", 1.0),
               ("Peak RSS", 2, "MiB", 1 / 1024)]
    for title, i, unit, f in metrics:
        md.append(f"### {title}: ratio to mimalloc (lower is better)\n")
        md += ratio_table(med, names, "mimalloc", cols, i, unit, f)
    if "memboss" in allocs and len(cols) > 1:
        md.append(fast_targets(med, names, [a for a in allocs if a != "memboss"]))
    return "\n".join(md), cols


def verdict(ok):
    return "met" if ok else "**not met**"


def fast_targets(med, names, peers):
    """The issue's targets for the fast mode, computed from this run's medians."""
    def gm(a, i):
        return geomean([med[(n, a)][i] / med[(n, "mimalloc")][i] for n in names])
    t = {a: gm(a, 0) for a in peers + ["memboss"]}
    rss = gm("memboss", 2)
    worst = []
    for n in names:
        best = min(peers, key=lambda a: med[(n, a)][0])
        r = med[(n, "memboss")][0] / med[(n, best)][0]
        if r > 1.25:
            worst.append(f"{n} {r:.2f}× {best}")
    ahead = all(t["memboss"] < t[a] for a in peers)
    md = ["### Against the targets\n",
          "| target | this run | |", "|---|---|---|",
          f"| geometric-mean time ≤ 0.90× mimalloc | {t['memboss']:.2f} | "
          f"{verdict(t['memboss'] <= 0.90)} |",
          f"| geometric-mean time ahead of every peer | memboss {t['memboss']:.2f}; " +
          ", ".join(f"{a} {t[a]:.2f}" for a in peers) + f" | {verdict(ahead)} |",
          f"| geometric-mean peak RSS ≤ 0.85× mimalloc | {rss:.2f} | {verdict(rss <= 0.85)} |",
          "| no workload slower than 1.25× the best peer (wall time) | " +
          ("; ".join(worst) if worst else "none slower") + f" | {verdict(not worst)} |", ""]
    return "\n".join(md)


def svg_chart(med, wl, allocs, path, note):
    """A horizontal grouped bar chart of wall-time ratios to mimalloc, log2 axis."""
    names = [w[0] for w in wl] + ["geometric mean"]
    cols = [a for a in ORDER if a in allocs]
    colour = {"glibc": "#8c8c8c", "jemalloc": "#4e79a7", "tcmalloc": "#f28e2b",
              "mimalloc": "#59a14f", "memboss": "#e15759"}
    val = {}
    for a in cols:
        rs = [med[(n, a)][0] / med[(n, "mimalloc")][0] for n in names[:-1]]
        for n, x in zip(names, rs):
            val[(n, a)] = x
        val[("geometric mean", a)] = geomean(rs)
    lo, hi = -2.0, 3.0  # log2 range: 1/4 .. 8
    bar, gap, left, width = 9, 10, 130, 520
    group = bar * len(cols) + gap
    height = 60 + group * len(names) + 40
    x_of = lambda v: left + (min(max(math.log2(v), lo), hi) - lo) / (hi - lo) * width
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" '
         f'height="{height}" font-family="sans-serif" font-size="11">',
         f'<rect width="100%" height="100%" fill="white"/>',
         f'<text x="{left}" y="18" font-size="13">Wall time, ratio to mimalloc '
         f'(log scale; lower is better)</text>',
         f'<text x="{left}" y="34" fill="#555">{note}</text>']
    for e in range(int(lo), int(hi) + 1):
        x = left + (e - lo) / (hi - lo) * width
        s.append(f'<line x1="{x:.1f}" y1="44" x2="{x:.1f}" y2="{height - 36}" '
                 f'stroke="{"#000" if e == 0 else "#ddd"}"/>')
        label = f"{2 ** e:g}" if e >= 0 else f"1/{2 ** -e}"
        s.append(f'<text x="{x:.1f}" y="{height - 22}" text-anchor="middle">{label}</text>')
    y = 50
    for n in names:
        s.append(f'<text x="{left - 6}" y="{y + group / 2:.1f}" text-anchor="end">{n}</text>')
        for a in cols:
            v = val[(n, a)]
            x0, x1 = x_of(1.0), x_of(v)
            s.append(f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{max(abs(x1 - x0), 1):.1f}" '
                     f'height="{bar - 1}" fill="{colour[a]}"><title>{n} {a} {v:.2f}</title></rect>')
            y += bar
        y += gap
    lx = left
    for a in cols:
        s.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{colour[a]}"/>')
        s.append(f'<text x="{lx + 14}" y="{height - 5}">{a}</text>')
        lx += 90
    s.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(s) + "\n")


def callgrind_pairs(allocs, bdir, tmp, env_of, quick):
    """Instructions per malloc+free pair: callgrind's total for N2 and N1 pairs, the
    difference over N2 - N1 (start-up and exit cancel out). Includes the loop's own
    instructions, the same for every allocator."""
    n1, n2 = (0.0005, 0.001) if quick else (0.0025, 0.005)  # x 40e6 pairs
    out = {}
    for a in allocs:
        tot = []
        for s in (n1, n2):
            env = {**env_of(a)}
            if allocs[a]:
                env["LD_PRELOAD"] = allocs[a]
            r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                os.path.join(bdir, "pairs"), str(s)], capture_output=True,
                               text=True, env={**os.environ, **env})
            got = [ln for ln in r.stderr.splitlines() if "Collected :" in ln]
            if r.returncode != 0 or not got:
                die(f"callgrind under {a} failed:\n{r.stderr[-600:]}")
            tot.append(int(got[-1].split(":")[-1]))
        out[a] = (tot[1] - tot[0]) / ((n2 - n1) * 40e6)
    return out


def main():
    ap = argparse.ArgumentParser(description="memboss benchmark")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(BENCH, "results"))
    ap.add_argument("--reps", type=int)
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--threads", default="1,2",
                    help="thread counts for prodcons and churn (default 1,2)")
    ap.add_argument("--skip-check", action="store_true", help="only the fast table")
    ap.add_argument("--settings", action="store_true",
                    help="only the table of check mode's settings (settings.md)")
    args = ap.parse_args()
    reps = args.reps or (3 if args.quick else 5)
    start = time.time()
    build_dir = os.path.abspath(args.build)
    lib = os.path.join(build_dir, "libmemboss.so")
    if not os.path.exists(lib):
        die(f"no {lib}: run make first")
    bdir = os.path.join(build_dir, "bench")
    os.makedirs(bdir, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    print("bench: building the workloads", flush=True)
    build(bdir)
    global TIMEIT
    TIMEIT = os.path.join(bdir, "timeit")
    allocs = {"glibc": None}
    for name, pkg, so in PEERS:
        allocs[name] = find_peer(pkg, so)
    allocs["memboss"] = lib
    fast_env = lambda a: {}
    wl = workloads(bdir, args.quick, [int(t) for t in args.threads.split(",")])
    if args.only:
        keep = args.only.split(",")
        wl = [w for w in wl if w[0] in keep or w[0].split("-")[0] in keep]
    mode = "quick" if args.quick else "full"
    tmp = tempfile.mkdtemp(prefix="memboss-bench.")
    try:
        print(f"bench: load average {os.getloadavg()[0]:.2f} at the start", flush=True)
        if args.settings:
            settings_table(args, bdir, tmp, wl, lib, args.reps or 3)
            return
        print(f"bench: verifying the preloads and outputs ({len(wl)} workloads)", flush=True)
        ref = verify(allocs, wl, tmp, os.path.join(bdir, "probe.so"), fast_env)
        print(f"bench: the fast table, {reps} interleaved repetitions "
              f"({time.time() - start:.0f} s so far)", flush=True)
        med = median_runs(allocs, wl, reps, tmp, ref, fast_env)
        table, _ = fast_tables(med, wl, allocs)
        cpu = os.cpu_count()
        load = os.getloadavg()[0]
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        cmd = "make bench-quick" if args.quick else "make bench"
        head = (f"# memboss benchmark: fast mode against glibc, jemalloc, tcmalloc, mimalloc\n\n"
                f"`{cmd}` ({mode} scale), {stamp}; {cpu} CPUs ({platform.machine()}), "
                f"load average {load:.2f} at the end of the run; medians of {reps} "
                f"interleaved runs. Libraries: "
                + ", ".join(f"{a} `{os.path.basename(allocs[a])}`" for a in allocs if allocs[a])
                + ". Every preload was verified and every output equals glibc's.\n\n")
        with open(os.path.join(args.out, "fast.md"), "w") as fh:
            fh.write(head + table)
        svg_chart(med, wl, allocs, os.path.join(args.out, "fast.svg"),
                  f"{cmd}, {stamp}, medians of {reps}")
        print()
        print(table)
        if args.skip_check:
            return
        print(f"bench: {time.time() - start:.0f} s so far", flush=True)
        check_tables(args, allocs, bdir, tmp, wl, lib, reps, cmd, stamp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"bench: {time.time() - start:.0f} s in all", flush=True)


def check_scale(wl, div):
    """The C workloads at 1/div of their scale in the fast table."""
    cwl = []
    for name, argv, env, stdin, is_c in wl:
        if is_c:
            av = list(argv)
            av[1] = str(float(av[1]) / div)
            cwl.append((name, av, env, stdin, is_c))
    return cwl


def check_tables(args, allocs, bdir, tmp, wl, lib, reps, cmd, stamp):
    """memboss check mode against native, Valgrind memcheck and ASan, on the C workloads
    at 1/10 (quick) or 1/40 of the fast table's scale (runs of 10 to 150 ms natively, long
    enough that start-up does not set the ratio); then callgrind's instructions per pair."""
    div = 10 if args.quick else 40
    cwl = check_scale(wl, div)
    tools = {"native": None, "memboss fast": lib, "memboss check": lib, "memcheck": None,
             "ASan": None}
    env_of = lambda a: ({"MEMBOSS_OPTIONS": "mode=check:leak_check=1"} if a == "memboss check"
                        else {"ASAN_OPTIONS": "detect_leaks=1"} if a == "ASan" else {})
    wrap_of = lambda a: (["valgrind", "--tool=memcheck", "-q", "--leak-check=summary"]
                         if a == "memcheck" else None)
    argv_of = lambda a, av: ([os.path.join(bdir, "asan", os.path.basename(av[0]))] + av[1:]
                             if a == "ASan" else av)
    print(f"bench: the checker table ({len(cwl)} C workloads at 1/{div} scale)", flush=True)
    ref = {}
    for name, argv, env, stdin, _ in cwl:
        ref[name] = run(argv, env, stdin, None, tmp)[3]
    creps = max(1, reps - 2)
    med = median_runs(tools, cwl, creps, tmp, ref, env_of, wrap_of, argv_of, allow_rc=True)
    cols = list(tools)[1:]
    md = [f"# memboss benchmark: check mode against Valgrind memcheck and ASan\n",
          f"`{cmd}`, {stamp}; the C workloads at 1/{div} of the fast table's scale; medians of "
          f"{creps} interleaved runs. Ratios to the native run (glibc, no tool); leak "
          f"checking at exit on in all three checkers (memboss `leak_check=1`, memcheck "
          f"`--leak-check=summary`, LeakSanitizer). The ASan column is a clang "
          f"`-fsanitize=address -O2` build; the others run the gcc `-O2` build. A `*` marks "
          f"a run that exited non-zero (a leak was reported: leakgrow leaks on purpose).\n"]
    for title, i, unit, f in (("Time (wall clock)", 0, "s", 1.0),
                              ("Peak RSS", 2, "MiB", 1 / 1024)):
        md.append(f"### {title}: ratio to native\n")
        md += ratio_table(med, [w[0] for w in cwl], "native", cols, i, unit, f, mark=True)
    print("bench: callgrind, instructions per malloc+free pair", flush=True)
    cg_allocs = dict(allocs)
    cg_allocs["memboss check"] = lib
    cg = callgrind_pairs(cg_allocs, bdir, tmp,
                         lambda a: {"MEMBOSS_OPTIONS": "mode=check"} if a == "memboss check"
                         else {}, args.quick)
    pairs = "20k and 40k" if args.quick else "100k and 200k"
    md.append("### Instructions per malloc+free pair (callgrind, `pairs` workload)\n")
    md.append(f"Counted by `valgrind --tool=callgrind` over {pairs} pairs of 16..128-byte "
              "blocks, the difference of the totals divided by the difference of the counts: "
              "start-up and exit cancel out. The "
              "count includes the benchmark loop's own instructions (about 20, the same "
              "for every allocator). Instruction counts do not drift with machine load.\n")
    md.append("| allocator | instructions per pair |")
    md.append("|---|---:|")
    for a, v in cg.items():
        md.append(f"| {a} | {v:.1f} |")
    md.append("")
    md.append(check_targets(med, cwl, cg))
    text = "\n".join(md)
    with open(os.path.join(args.out, "check.md"), "w") as fh:
        fh.write(text)
    print()
    print(text)


# Check mode's settings (README: which guarantees hold at which setting); ASan and memcheck
# as in the check table, but without leak checking, so that only the checking differs.
SETTINGS = [
    ("native", None, {}),
    ("fast", "lib", {}),
    ("check", "lib", {"MEMBOSS_OPTIONS": "mode=check"}),
    ("no stacks", "lib", {"MEMBOSS_OPTIONS": "mode=check:malloc_context_size=0"}),
    ("no guard pages", "lib", {"MEMBOSS_OPTIONS": "mode=check:guard_max=0:guard_sample=0"}),
    ("neither", "lib", {"MEMBOSS_OPTIONS":
                        "mode=check:malloc_context_size=0:guard_max=0:guard_sample=0"}),
    ("all guarded", "lib", {"MEMBOSS_OPTIONS": "mode=check:guard_max=1000000000"}),
    ("ASan", None, {"ASAN_OPTIONS": "detect_leaks=0"}),
    ("memcheck", None, {}),
]


def settings_table(args, bdir, tmp, wl, lib, reps):
    """Check mode's settings side by side on the allocation-heavy single-threaded C
    workloads at the check table's scale: time as a ratio to the native run."""
    div = 10 if args.quick else 40
    cwl = [w for w in check_scale(wl, div) if w[0] in ALLOC_HEAVY_1T]
    tools = {n: (lib if so else None) for n, so, _ in SETTINGS}
    envs = {n: e for n, _, e in SETTINGS}
    wrap_of = lambda a: (["valgrind", "--tool=memcheck", "-q", "--leak-check=no"]
                         if a == "memcheck" else None)
    argv_of = lambda a, av: ([os.path.join(bdir, "asan", os.path.basename(av[0]))] + av[1:]
                             if a == "ASan" else av)
    ref = {name: run(argv, env, stdin, None, tmp)[3] for name, argv, env, stdin, _ in cwl}
    print(f"bench: check mode's settings ({len(cwl)} workloads at 1/{div} scale)", flush=True)
    med = median_runs(tools, cwl, reps, tmp, ref, lambda a: envs[a], wrap_of, argv_of)
    cols = list(tools)[1:]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = ["# memboss check mode: what each setting costs\n",
          f"`make bench-settings`, {stamp}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at the end; the C workloads at 1/{div} of the fast "
          f"table's scale, medians of {reps} interleaved runs; wall time as a ratio to the "
          "native run (glibc, no tool). No leak checking in any column. Settings "
          "(`MEMBOSS_OPTIONS`): " +
          "; ".join(f"{n}: `{e['MEMBOSS_OPTIONS']}`" for n, _, e in SETTINGS
                    if "MEMBOSS_OPTIONS" in e) + ".\n"]
    md += ratio_table(med, [w[0] for w in cwl], "native", cols, 0, "s", digits=1)
    text = "\n".join(md)
    with open(os.path.join(args.out, "settings.md"), "w") as fh:
        fh.write(text)
    print(text)


# Single-threaded, allocation-heavy: the workloads the check-mode targets name.
ALLOC_HEAVY_1T = ("pairs", "randsize", "prodcons-1t", "churn-1t", "symbolic", "cubes")


def check_targets(med, cwl, cg):
    """The issue's targets for the check mode, computed from this run's medians."""
    names = [w[0] for w in cwl]
    heavy = [n for n in names if n in ALLOC_HEAVY_1T]
    t = lambda n, a: med[(n, a)][0]
    slow = [f"{n} {t(n, 'memboss check') / t(n, 'memboss fast'):.1f}×" for n in heavy
            if t(n, "memboss check") > 3 * t(n, "memboss fast")]
    vg = [f"{n} {t(n, 'memcheck') / t(n, 'memboss check'):.1f}×" for n in names
          if t(n, "memcheck") < 10 * t(n, "memboss check")]
    asan = [f"{n} {t(n, 'memboss check') / t(n, 'ASan'):.2f}×" for n in heavy
            if t(n, "memboss check") >= t(n, "ASan")]
    fast_ok = ("memboss" in cg and "mimalloc" in cg and cg["memboss"] <= cg["mimalloc"])
    md = ["### Against the targets\n",
          "Allocation-heavy single-threaded workloads: " + ", ".join(heavy) + ".\n",
          "| target | misses in this run | |", "|---|---|---|",
          "| check ≤ 3× fast (allocation-heavy) | " + ("; ".join(slow) or "none") +
          f" | {verdict(not slow)} |",
          "| check ≥ 10× faster than memcheck (every workload) | " +
          ("; ".join(f"{x} faster only" for x in vg) or "none") + f" | {verdict(not vg)} |",
          "| check faster than ASan (allocation-heavy) | " +
          ("; ".join(f"{x} ASan's time" for x in asan) or "none") +
          f" | {verdict(not asan)} |",
          "| fast path ≤ mimalloc's instructions per pair | " +
          (f"memboss {cg['memboss']:.1f}, mimalloc {cg['mimalloc']:.1f}"
           if "memboss" in cg and "mimalloc" in cg else "not counted") +
          f" | {verdict(fast_ok)} |", ""]
    return "\n".join(md)


if __name__ == "__main__":
    main()
