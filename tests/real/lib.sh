# memboss: helpers shared by the real-program tests (tests/real/run.sh, check-real.sh).
# Sourced by bash. Before sourcing, set REAL_SUMMARY (the summary line's first word) and
# TIMEOUT (seconds per program run).
#
#   real_init BUILDDIR   sets BUILD, LIB, WORK (a fresh temporary directory, removed at
#                        exit), PASSED=0, FAILED=0, and a stable environment; prints a
#                        failed summary and exits when the library is missing.
#   run_case NAME FN     runs shell function FN in a fresh directory without memboss, then
#                        preloaded in fast and in check mode, and compares.
#   pass NAME MODE [NOTE], fail NAME MODE REASON FILE, have COMMAND NAME, findings FILE

real_init() {
    BUILD=$(cd "$1" 2>/dev/null && pwd) || {
        echo "FAIL setup: no directory $1"; echo "$REAL_SUMMARY 0 1"; exit 1; }
    LIB=$BUILD/libmemboss.so
    if [ ! -f "$LIB" ]; then
        echo "FAIL setup: $LIB is missing"
        echo "$REAL_SUMMARY 0 1"
        exit 1
    fi
    PASSED=0
    FAILED=0
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/memboss-real.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    trap 'exit 130' INT TERM

    # A stable environment: the same locale and no user configuration for every run.
    export LC_ALL=C TZ=UTC
    export HOME=$WORK/home
    mkdir -p "$HOME"
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    export GIT_AUTHOR_NAME="memboss test" GIT_AUTHOR_EMAIL="test@example.invalid"
    export GIT_COMMITTER_NAME="memboss test" GIT_COMMITTER_EMAIL="test@example.invalid"
    export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
    unset LD_PRELOAD MEMBOSS_OPTIONS
}

# run_case NAME FUNCTION: FUNCTION DIR runs the case in directory DIR (fresh, empty) and
# writes what is to be compared on stdout. Runs it once plainly, then preloaded per mode.
# The exit status, stdout, and the absence of `memboss:` on stderr are compared.
run_case() {
    local name=$1 fn=$2 mode dir rc_ref rc out err
    dir=$WORK/$name.ref
    mkdir -p "$dir"
    (cd "$dir" && timeout -k 5 "$TIMEOUT" bash -c "$(declare -f "$fn"); $fn" ) \
        >"$WORK/$name.ref.out" 2>"$WORK/$name.ref.err"
    rc_ref=$?
    for mode in fast check; do
        dir=$WORK/$name.$mode
        out=$WORK/$name.$mode.out
        err=$WORK/$name.$mode.err
        mkdir -p "$dir"
        (cd "$dir" && LD_PRELOAD=$LIB MEMBOSS_OPTIONS=mode=$mode \
            timeout -k 5 "$TIMEOUT" bash -c "$(declare -f "$fn"); $fn") >"$out" 2>"$err"
        rc=$?
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            fail "$name" "$mode" "timed out after ${TIMEOUT}s" "$err"
        elif findings "$err" >"$WORK/$name.$mode.findings"; then
            fail "$name" "$mode" "memboss reported on stderr" "$WORK/$name.$mode.findings"
        elif grep -q 'cannot be preloaded' "$err"; then
            fail "$name" "$mode" "the library was not preloaded" "$err"
        elif [ "$rc" -ne "$rc_ref" ]; then
            fail "$name" "$mode" "exit status $rc, without memboss $rc_ref" "$err"
        elif ! cmp -s "$WORK/$name.ref.out" "$out"; then
            diff -u "$WORK/$name.ref.out" "$out" >"$WORK/$name.$mode.diff"
            fail "$name" "$mode" "output differs from the run without memboss" \
                "$WORK/$name.$mode.diff"
        else
            pass "$name" "$mode" "$(wc -l <"$out") lines of output, exit status $rc, as without memboss$(notes "$err")"
        fi
    done
}

# findings FILE: the memboss lines of FILE, but for the documented note that check mode
# stops guarding new blocks near the kernel's limit of mappings (not a finding: README,
# "What memboss cannot catch"); true when there are some.
findings() {
    grep 'memboss:' "$1" | grep -v "memboss: note: .* near the kernel's limit of mappings"
}

# notes FILE: that note, if FILE has it, to be shown with the result.
notes() {
    if grep -q "memboss: note: .* near the kernel's limit of mappings" "$1"; then
        echo " (memboss noted: near the kernel's limit of mappings, new blocks get canaries only)"
    fi
}

pass() { # name mode [note]
    echo "PASS $1 [$2]${3:+: $3}"
    PASSED=$((PASSED + 1))
}

fail() { # name mode reason excerpt-file
    echo "FAIL $1 [$2]: $3"
    if [ -s "$4" ]; then
        head -n 20 "$4" | sed 's/^/    /'
    fi
    FAILED=$((FAILED + 1))
}

have() {
    if command -v "$1" >/dev/null 2>&1; then return 0; fi
    echo "SKIP $2: $1 is not installed"
    return 1
}
