#!/bin/sh
# memboss: the whole test suite (what `make check` runs).
#
#   sh tests/run.sh BUILDDIR
#
# 1. unit: every program in BUILDDIR/tests/ (linked with libmemboss.a), in the default mode
#    and again in check mode; then the thread stress test built against
#    the C library alone and run with LD_PRELOAD=BUILDDIR/libmemboss.so in fast and in
#    check mode. Each run is one test: it passes when it exits 0 and its last line
#    `unit NAME N M` says M = 0.
# 1a. stress: the programs in BUILDDIR/stress/ (tests/stress/, built without memboss), each
#    run with LD_PRELOAD=BUILDDIR/libmemboss.so in fast and in check mode (some with their
#    own options or limits); each run is one test, read like a unit test.
# 1b. cli: `memboss --help` fits 80 columns; the README's options table lists every option.
# 1c. formats: bash tests/formats/validate.sh BUILDDIR, ending with `formats N M` (the JSON
#    and SARIF output against their schemas with ajv, the HTML page in headless Chromium).
# 2. behaviour: bash tests/behaviour/run.sh BUILDDIR, ending with `behaviour N M`; then
#    bash tests/events/run.sh BUILDDIR (the machine lines of docs/events.md), `events N M`.
# 3. real: bash tests/real/run.sh BUILDDIR, ending with `real N M`; then
#    bash tests/real/valgrind-leaks.sh BUILDDIR (memboss's definitely-lost leaks in five
#    real programs, each confirmed by Valgrind on the same workload), also `real N M`;
#    then bash tests/real/check-real.sh --subset BUILDDIR (a few of CPython's regression
#    test modules in fast and check mode; `make check-real` runs them all), `real N M`.
# A part that fails without a summary line counts as one failed test. The last line is
# `N passed, N failed`; the exit status is 0 when nothing failed.
set -u

if [ $# -ne 1 ]; then
    echo "usage: sh tests/run.sh BUILDDIR" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! BUILD=$(cd "$1" 2>/dev/null && pwd); then
    echo "tests/run.sh: no build directory $1" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
cd "$ROOT" || exit 1

UNIT_TIMEOUT=600
PART_TIMEOUT=3600
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/memboss-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
unset LD_PRELOAD MEMBOSS_OPTIONS

# capture FILE CMD...: run CMD with stdout and stderr shown as they come and saved in
# FILE; sets RC to CMD's exit status.
capture() {
    _out=$1
    shift
    { "$@" 2>&1; echo $? >"$TMP/rc"; } | tee "$_out"
    RC=$(cat "$TMP/rc")
}

# summary FILE PART: the last `PART N M` line of FILE, as "N M"; empty when none.
summary() {
    grep -E "^$2 [0-9]+ [0-9]+\$" "$1" | tail -n 1 | sed "s/^$2 //"
}

# unit LABEL CMD...: one unit-test program run, one test.
unit() {
    _label=$1
    shift
    echo "== unit $_label"
    capture "$TMP/unit.out" timeout -k 10 "$UNIT_TIMEOUT" "$@"
    _sum=$(grep -E '^unit [^ ]+ [0-9]+ [0-9]+$' "$TMP/unit.out" | tail -n 1)
    _bad=${_sum##* }
    if [ -z "$_sum" ]; then
        _why="no summary line (exit status $RC)"
    elif [ "$RC" -ne 0 ]; then
        _why="exit status $RC"
    elif [ "$_bad" != 0 ]; then
        _why="$_bad checks failed"
    else
        echo "PASS unit $_label"
        PASSED=$((PASSED + 1))
        return
    fi
    [ "$RC" -eq 124 ] && _why="timed out after ${UNIT_TIMEOUT}s"
    [ "$RC" -gt 128 ] && [ "$RC" -ne 124 ] && _why="$_why (signal $((RC - 128)))"
    echo "FAIL unit $_label: $_why"
    FAILED=$((FAILED + 1))
}

# part NAME CMD...: a sub-suite that prints `NAME N M` last.
part() {
    _name=$1
    shift
    echo "== $_name"
    capture "$TMP/$_name.out" timeout -k 10 "$PART_TIMEOUT" "$@"
    _sum=$(summary "$TMP/$_name.out" "$_name")
    if [ -z "$_sum" ]; then
        echo "FAIL $_name: no summary line (exit status $RC)"
        FAILED=$((FAILED + 1))
        return
    fi
    _p=${_sum% *}
    _f=${_sum#* }
    PASSED=$((PASSED + _p))
    FAILED=$((FAILED + _f))
    if [ "$RC" -ne 0 ] && [ "$_f" -eq 0 ]; then
        echo "FAIL $_name: exit status $RC although no test failed"
        FAILED=$((FAILED + 1))
    fi
}

# ---- 1. unit tests ---------------------------------------------------------------------
# The unit programs link libmemboss.a: memboss is their malloc. Their check-mode run keeps
# glibc's 16-byte alignment for every size (natural_align=0), which they verify.
found=0
for t in "$BUILD"/tests/*; do
    if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
    found=1
    name=$(basename "$t")
    unit "$name" "$t"
    unit "$name [mode=check]" env MEMBOSS_OPTIONS=mode=check:natural_align=0 "$t"
done
# huge_pages=0: no huge-page advice at all (test_huge checks the grown buffer's mapping).
[ -x "$BUILD/tests/test_huge" ] && unit "test_huge [huge_pages=0]" env MEMBOSS_OPTIONS=huge_pages=0 "$BUILD/tests/test_huge"
if [ "$found" -eq 0 ]; then
    echo "FAIL unit: no test programs in $BUILD/tests (run make tests)"
    FAILED=$((FAILED + 1))
fi

# The command's own unit tests (tests/cli/): ordinary programs, run from the source tree
# (they may read fixtures under tests/cli/).
for t in "$BUILD"/tests/cli/*; do
    if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
    unit "cli $(basename "$t")" "$t"
done

# The thread stress test against the C library's malloc, then with memboss preloaded.
mkdir -p "$BUILD/tests-glibc"
echo "== unit test_threads, built without memboss"
if ${CC:-cc} -O1 -pthread tests/unit/test_threads.c -o "$BUILD/tests-glibc/test_threads"; then
    if [ -f "$BUILD/libmemboss.so" ]; then
        for mode in fast check; do
            unit "test_threads [LD_PRELOAD, mode=$mode]" \
                env LD_PRELOAD="$BUILD/libmemboss.so" MEMBOSS_OPTIONS=mode=$mode \
                "$BUILD/tests-glibc/test_threads"
        done
    else
        echo "FAIL unit test_threads [LD_PRELOAD]: $BUILD/libmemboss.so is missing"
        FAILED=$((FAILED + 1))
    fi
else
    echo "FAIL unit test_threads [LD_PRELOAD]: it does not build"
    FAILED=$((FAILED + 1))
fi

# ---- 1a. stress tests ------------------------------------------------------------------
# stress PROG MODE-OPTIONS [ARGS...]: PROG preloaded with MEMBOSS_OPTIONS=MODE-OPTIONS.
stress() {
    _prog=$1
    _opts=$2
    shift 2
    if [ ! -x "$BUILD/stress/$_prog" ]; then
        echo "FAIL unit stress $_prog: $BUILD/stress/$_prog is missing (run make tests)"
        FAILED=$((FAILED + 1))
        return
    fi
    unit "stress $_prog${*:+ $*} [LD_PRELOAD, $_opts]" \
        env LD_PRELOAD="$BUILD/libmemboss.so" MEMBOSS_OPTIONS="$_opts" "$BUILD/stress/$_prog" "$@"
}
for mode in fast check; do
    stress xthreads mode=$mode 2
    stress fork_exec mode=$mode
    stress dlopen mode=$mode
done
# Ten million live blocks in fast mode; one million in check mode, where each block also
# has an out-of-band record and red zones and ten million take ~45 s and 1.3 GB.
stress live mode=fast 10000000
stress live mode=check 1000000
for mode in fast check; do
    stress rss mode=$mode
done
# Address-space limits: RLIMIT_AS set by the program, and `ulimit -v` before it starts.
# In check mode the guard arena, reserved before the limit, would let guarded blocks grow
# past it: guard_max=64 keeps them few.
stress limits mode=fast rlimit
stress limits mode=check:guard_max=64 rlimit
for mode in fast check; do
    unit "stress limits ulimit [ulimit -v 400000, LD_PRELOAD, mode=$mode]" \
        sh -c 'ulimit -v 400000 && exec "$@"' sh env LD_PRELOAD="$BUILD/libmemboss.so" \
        MEMBOSS_OPTIONS=mode=$mode:guard_max=64 "$BUILD/stress/limits" ulimit
done
# The kernel's cap on mappings, used up by the program: fast mode must still allocate
# everything (strict); check mode must degrade without a crash. `maps strict` in check mode
# still fails: guarding leaves no mapping for the heap to grow (tests/stress/maps.c).
stress maps mode=fast strict
stress maps mode=check:guard_max=100000

# The command's help: every line within 80 columns (an option form too long for the help
# column gets a line of its own).
echo "== cli --help"
if "$BUILD/memboss" --help >"$TMP/help.out" && ! awk 'length > 80 { bad = 1 } END { exit !bad }' "$TMP/help.out"; then
    echo "PASS cli --help"
    PASSED=$((PASSED + 1))
else
    echo "FAIL cli --help: a line is longer than 80 columns, or the command failed"
    FAILED=$((FAILED + 1))
fi

# The README's table of runtime options names every option of src/options.def.
echo "== docs options"
missing=$(sed -n 's/^MB_OPTION([A-Z]*, \([a-z_0-9]*\),.*/\1/p' src/options.def |
    while read -r opt; do grep -q "^| \`$opt\` |" README.md || printf ' %s' "$opt"; done)
if [ -z "$missing" ]; then
    echo "PASS docs options"
    PASSED=$((PASSED + 1))
else
    echo "FAIL docs options: not in the README's options table:$missing"
    FAILED=$((FAILED + 1))
fi

# ---- 1c. the command's output formats -----------------------------------------------------
part formats bash tests/formats/validate.sh "$BUILD"

# ---- 2. behaviour, 3. real programs ----------------------------------------------------
part behaviour bash tests/behaviour/run.sh "$BUILD"
part events bash tests/events/run.sh "$BUILD"
part real bash tests/real/run.sh "$BUILD"
part real bash tests/real/valgrind-leaks.sh "$BUILD"
part real bash tests/real/check-real.sh --subset "$BUILD"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
