#!/usr/bin/env bash
# The runtime's side of the protocol with the command (docs/events.md): examples run with
# the preloaded runtime and MEMBOSS_OPTIONS=mode=check:status_dir=DIR:report_to_status=1,
# and the machine lines of DIR/PID.report checked against the human lines of the same
# report and against the program's own bytes (objdump). Usage:
#
#   tests/events/run.sh BUILDDIR
#
# Needs the examples built (make examples). One line per test, `PASS name` or
# `FAIL name: reason`; the last line is `events N M` (N passed, M failed).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILDDIR" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd) || exit 2
lib=$build/libmemboss.so
bin=$root/examples/bin
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memboss-events.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset MEMBOSS_OPTIONS LD_PRELOAD
ulimit -c 0 2>/dev/null

passed=0
failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}

# run NAME PROGRAM [OPTIONS]: PROGRAM under the runtime with a fresh status directory
# $tmp/NAME; its stderr in $tmp/NAME.err.
run() {
    mkdir -p "$tmp/$1"
    LD_PRELOAD=$lib MEMBOSS_OPTIONS="mode=check:status_dir=$tmp/$1:report_to_status=1${3:+:$3}" \
        "$2" >/dev/null 2>"$tmp/$1.err" </dev/null
}

# report NAME: the one report file of run NAME (empty when there is not exactly one).
report() {
    local f=("$tmp/$1"/*.report)
    [ ${#f[@]} -eq 1 ] && [ -f "${f[0]}" ] && echo "${f[0]}"
}

# modules_match FILE: every frame's (PATH+0xOFF) has an @module BASE with PC - BASE = OFF,
# in the same report.
modules_match() {
    local pc off base path n=0
    while read -r pc off base path; do
        if [ "$base" = NONE ]; then echo "no @module for $path"; return 1; fi
        if [ $((pc - base)) -ne $((off)) ]; then echo "BASE $base of $path does not give $off"; return 1; fi
        n=$((n + 1))
    done < <(awk '
    / memboss: (ERROR|INFO): / { n = 0; split("", mods) }
    / @module / { mods[substr($0, index($0, $5))] = $3 }
    / +#[0-9]+ 0x/ {
        m = $NF
        if (!match(m, /\+0x[0-9a-f]+\)$/)) next
        fr[++n] = substr(m, 2, RSTART - 2); fpc[n] = $3; foff[n] = substr(m, RSTART + 1, RLENGTH - 2)
    }
    / memboss: END$/ {
        for (i = 1; i <= n; i++) print fpc[i], foff[i], (fr[i] in mods ? mods[fr[i]] : "NONE"), fr[i]
        n = 0
    }' "$1")
    [ "$n" -gt 0 ] || { echo "no frames"; return 1; }
}

# ---- overflow.asm: an 8-byte write past a 2-byte block ---------------------------------
run overflow "$bin/overflow_asm" show_map=1
f=$(report overflow)
if [ -z "$f" ]; then
    bad "overflow report file" "no single PID.report in the status directory"
else
    ok "overflow report file"
    pid=$(basename "$f" .report)
    addr=$(sed -n 's/.*  WRITE at \(0x[0-9a-f]*\) by thread.*/\1/p' "$f" | head -n 1)
    if [ -n "$addr" ] && grep -q "^==$pid== @access $addr $pid write\$" "$f"; then ok "overflow @access"
    else bad "overflow @access" "no '@access $addr $pid write' line"; fi
    block=$(sed -n 's/.*2-byte block at \(0x[0-9a-f]*\).*/\1/p' "$f" | head -n 1)
    if [ -n "$block" ] && grep -q "^==$pid== @block $block 2 live\$" "$f"; then ok "overflow @block"
    else bad "overflow @block" "no '@block $block 2 live' line"; fi
    # @code: the bytes at the faulting pc are the program's own (non-PIE: vaddr = pc).
    read -r pc code < <(sed -n 's/.* @code \(0x[0-9a-f]*\) \([0-9a-f]*\)$/\1 \2/p' "$f")
    want=$(objdump -s --start-address="$pc" --stop-address=$((pc + 16)) "$bin/overflow_asm" |
        awk '/^ [0-9a-f]+ / { for (i = 2; i <= 5 && i <= NF; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) <= 8) s = s $i } END { print s }')
    if [ ${#want} -ge 6 ] && [ "${code:0:${#want}}" = "$want" ]; then ok "overflow @code"
    else bad "overflow @code" "@code $pc '$code', the file has '$want'"; fi
    n=$(grep -c "^==$pid== @reg " "$f")
    if [ "$n" -eq 17 ] && grep -q "^==$pid== @reg rip $pc plain\$" "$f"; then ok "overflow @reg"
    else bad "overflow @reg" "$n @reg lines, or rip is not $pc"; fi
    if why=$(modules_match "$f"); then ok "overflow @module"; else bad "overflow @module" "$why"; fi
    if grep -Eq "^==$pid== @map 0x[0-9a-f]+ 0x[0-9a-f]+ r-xp 0x[0-9a-f]+ file $bin/overflow_asm\$" "$f" &&
        grep -q "^==$pid== @map .* heap -\$" "$f" && grep -q "^==$pid== @map .* ---p .* guard -\$" "$f" &&
        grep -q "^==$pid== @map .* stack \[stack\]\$" "$f"; then ok "overflow @map"
    else bad "overflow @map" "no file, heap, guard or stack @map line"; fi
    # Machine lines lie between the report's first and END lines.
    if awk '/ memboss: (ERROR|INFO): /{ inr = 1 } / @[a-z]+ /{ if (!inr) exit 1 } / memboss: END$/{ inr = 0 }' "$f"
    then ok "overflow lines inside the report"; else bad "overflow lines inside the report" "an @ line outside ERROR..END"; fi
    if [ ! -s "$tmp/overflow.err" ]; then ok "overflow stderr empty"
    else bad "overflow stderr empty" "the report also went to stderr"; fi
fi

# Without show_map: no @map.
run nomap "$bin/overflow_asm"
f=$(report nomap)
if [ -n "$f" ] && grep -q " @code " "$f" && ! grep -q " @map " "$f"; then ok "no @map without show_map"
else bad "no @map without show_map" "an @map line, or no report"; fi

# ---- garbage.asm: a pointer read from a block never written ---------------------------
run garbage "$bin/garbage_asm"
f=$(report garbage)
reg=$(sed -n "s/.*  register \([a-z0-9]*\) = \(0x[0-9a-f]*\) is memboss's uninitialized-memory pattern.*/\1 \2/p" "${f:-/dev/null}" | head -n 1)
if [ -n "$reg" ] && grep -q "^==[0-9]*== @reg $reg fill-fresh\$" "$f"; then ok "garbage @reg fill-fresh"
else bad "garbage @reg fill-fresh" "no '@reg $reg fill-fresh' line"; fi
if [ -n "$f" ] && grep -Eq "^==[0-9]+== @reg [a-z0-9]+ 0x[0-9a-f]+ heap\$" "$f"; then ok "garbage @reg heap"
else bad "garbage @reg heap" "no register marked heap (one points into the block)"; fi

# ---- leak.c: one definitely lost block -----------------------------------------------
run leak "$bin/leak_c" leak_check=2
f=$(report leak)
line=$(sed -n 's/.*  \([0-9]*\) bytes in \([0-9]*\) blocks* \(is\|are\) definitely lost.*/\1 \2/p' "${f:-/dev/null}" | head -n 1)
if [ -n "$line" ] && grep -q "^==[0-9]*== @leak $line definite\$" "$f"; then ok "leak @leak"
else bad "leak @leak" "no '@leak $line definite' line"; fi
if [ -n "$f" ] && why=$(modules_match "$f"); then ok "leak @module"; else bad "leak @module" "${why:-no report}"; fi
run leak_asm "$bin/leak_asm" leak_check=2
f=$(report leak_asm)
if [ -n "$f" ] && grep -Eq "^==[0-9]+== @leak [0-9]+ 1 definite\$" "$f"; then ok "leak.asm @leak"
else bad "leak.asm @leak" "no @leak line"; fi

# ---- double free: @access free and @block freed ----------------------------------------
run double "$bin/double_free_c"
f=$(report double)
p=$(sed -n 's/.*  free of \(0x[0-9a-f]*\): a .*already freed.*/\1/p' "${f:-/dev/null}" | head -n 1)
if [ -n "$p" ] && grep -Eq "^==[0-9]+== @access $p [0-9]+ free\$" "$f" &&
    grep -Eq "^==[0-9]+== @block $p [0-9]+ freed\$" "$f"; then ok "double free @access @block"
else bad "double free @access @block" "no '@access $p TID free' or '@block $p SIZE freed'"; fi

# ---- fork: the child writes a file of its own ------------------------------------------
${CC:-gcc} -O0 -o "$tmp/fork_free" "$here/fork_free.c" || bad "fork build" "does not build"
run fork "$tmp/fork_free"
files=("$tmp/fork"/*.report)
counts=
for f in "${files[@]}"; do
    pid=$(basename "$f" .report)
    grep -qv "^==$pid== " "$f" && counts="$counts another-pid's-line"
    counts="$counts $(grep -c "^==$pid== memboss: ERROR: double-free\$" "$f")"
done
# The parent's file holds its two double frees, the child's its one.
if [ "$(echo $counts | tr ' ' '\n' | sort | tr '\n' ' ')" = "1 2 " ]; then ok "fork: one file per process"
else bad "fork: one file per process" "double frees per file:$counts"; fi

# ---- no status_dir (or no report_to_status): no machine line anywhere ------------------
LD_PRELOAD=$lib MEMBOSS_OPTIONS=mode=check:show_map=1:report_to_status=1 "$bin/overflow_asm" \
    >"$tmp/plain.out" 2>"$tmp/plain.err" </dev/null
if grep -q "memboss: ERROR: heap-buffer-overflow" "$tmp/plain.err" && ! grep -q "@[a-z]" "$tmp/plain.err" "$tmp/plain.out"
then ok "no machine lines without status_dir"; else bad "no machine lines without status_dir" "an @ line, or no report on stderr"; fi
mkdir -p "$tmp/legacy"
LD_PRELOAD=$lib MEMBOSS_OPTIONS=mode=check:status_dir=$tmp/legacy:leak_check=2 "$bin/leak_c" \
    >/dev/null 2>"$tmp/legacy.err" </dev/null
if grep -q "memboss: ERROR: leak" "$tmp/legacy.err" && ! grep -q " @[a-z]" "$tmp/legacy.err" &&
    ! ls "$tmp/legacy"/*.report >/dev/null 2>&1; then ok "status_dir alone: reports on stderr"
else bad "status_dir alone: reports on stderr" "a report file or an @ line"; fi

# The run's directory is gone (the command finished while this process lived on): the
# report goes to stderr as plain text, with no machine line.
LD_PRELOAD=$lib MEMBOSS_OPTIONS="mode=check:status_dir=$tmp/gone:report_to_status=1" \
    "$bin/double_free_c" >/dev/null 2>"$tmp/gone.err" </dev/null
if grep -q "memboss: ERROR: double-free" "$tmp/gone.err" && ! grep -q " @" "$tmp/gone.err"; then
    ok "directory gone: plain report on stderr"
else bad "directory gone: plain report on stderr" "no report on stderr, or an @ line in it"; fi

echo "events $passed $failed"
[ "$failed" -eq 0 ]
