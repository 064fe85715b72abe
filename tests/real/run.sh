#!/usr/bin/env bash
# memboss: real programs under LD_PRELOAD, in fast and in check mode.
#
#   bash tests/real/run.sh BUILDDIR
#
# Each program's output with memboss preloaded must equal its output without memboss, its
# exit status must be the same, and no `memboss:` line may appear on stderr. Prints
# `PASS name [mode]`, `FAIL name [mode]: reason` (with a diff excerpt) or `SKIP name: why`
# per case, and `real N M` (passed, failed) as its last line.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILDDIR" >&2
    exit 2
fi
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL setup: no directory $1"; echo "real 0 1"; exit 1; }
LIB=$BUILD/libmemboss.so
if [ ! -f "$LIB" ]; then
    echo "FAIL setup: $LIB is missing"
    echo "real 0 1"
    exit 1
fi

TIMEOUT=120
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memboss-real.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# A stable environment: the same locale and no user configuration for every run.
export LC_ALL=C TZ=UTC
export HOME=$WORK/home
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="memboss test" GIT_AUTHOR_EMAIL="test@example.invalid"
export GIT_COMMITTER_NAME="memboss test" GIT_COMMITTER_EMAIL="test@example.invalid"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
unset LD_PRELOAD MEMBOSS_OPTIONS

# run_case NAME FUNCTION: FUNCTION DIR runs the case in directory DIR (fresh, empty) and
# writes what is to be compared on stdout. Runs it once plainly, then preloaded per mode.
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
        elif grep -q 'memboss:' "$err"; then
            fail "$name" "$mode" "memboss reported on stderr" "$err"
        elif grep -q 'cannot be preloaded' "$err"; then
            fail "$name" "$mode" "the library was not preloaded" "$err"
        elif [ "$rc" -ne "$rc_ref" ]; then
            fail "$name" "$mode" "exit status $rc, without memboss $rc_ref" "$err"
        elif ! cmp -s "$WORK/$name.ref.out" "$out"; then
            diff -u "$WORK/$name.ref.out" "$out" >"$WORK/$name.$mode.diff"
            fail "$name" "$mode" "output differs from the run without memboss" \
                "$WORK/$name.$mode.diff"
        else
            echo "PASS $name [$mode]"
            PASSED=$((PASSED + 1))
        fi
    done
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

# ---- the cases: each runs in a fresh empty directory; LD_PRELOAD is inherited --------
case_ls() {
    ls -la /usr/bin | sort
}

case_sort() {
    # 100k deterministic lines (an LCG), generated without memboss, sorted with it
    env -u LD_PRELOAD awk 'BEGIN { x = 12345; for (i = 0; i < 100000; i++) {
        x = (x * 16807) % 2147483647; printf "%d line %x %d\n", x % 1000, x, i } }' >input.txt
    sort input.txt
    sort -n -k3 -r input.txt | md5sum
    sort -u -t' ' -k1,1 input.txt | wc -l
}

case_python() {
    PYTHONMALLOC=malloc python3 -c '
d = {}
for i in range(200000):
    d["key%d" % i] = i * 3
s = sum(d.values())
t = sum(len(k) for k in d)
del d
l = [str(i) * (i % 7) for i in range(100000)]
print(s, t, len(l), sum(map(len, l)))
'
}

case_git() {
    git init -q -b main repo || git init -q repo
    cd repo || return 1
    git config user.name "memboss test"
    git config user.email test@example.invalid
    for i in $(seq 1 50); do
        seq 1 "$((i * 20))" | sed "s/^/file $i line /" >"file$i.txt"
    done
    git add . && git commit -q -m "fifty files"
    sed -i 's/line 1$/line one/' file7.txt
    git commit -q -am "second"
    git log --oneline | wc -l
    git rev-parse HEAD
    git status
    git diff HEAD~1 --stat
    git gc -q && git fsck --no-progress 2>&1 | wc -l
}

case_gcc() {
    cat >prog.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; int v; };
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) % 100000 + 1 : 100;
    struct node *h = NULL;
    for (unsigned i = 0; i < n; i++) {
        struct node *x = malloc(sizeof *x);
        x->v = (int)((i * 7919) % n);
        x->next = h;
        h = x;
    }
    int *a = calloc(n, sizeof *a), k = 0;
    for (struct node *x = h; x; x = x->next) a[k++] = x->v;
    qsort(a, n, sizeof *a, cmp);
    printf("%d %d %s\n", a[0], a[n - 1], strrchr(argv[0], '/') ? "path" : "name");
    free(a);
    return 0;
}
EOF
    gcc -O2 -c prog.c -o prog.o || return 1
    # the object must be the same byte for byte; print it so the runs compare
    od -An -tx1 -v prog.o | md5sum
    nm prog.o
}

case_sqlite() {
    {
        echo "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v INTEGER);"
        echo "BEGIN;"
        seq 1 10000 | awk '{ printf "INSERT INTO t (name, v) VALUES (%cname%d%c, %d);\n", 39, $1, 39, ($1 * 37) % 1001 }'
        echo "COMMIT;"
        echo "CREATE INDEX t_v ON t (v);"
        echo "SELECT count(*), sum(v), min(name), max(name) FROM t;"
        echo "SELECT v, count(*) FROM t WHERE v < 5 GROUP BY v ORDER BY v;"
    } >script.sql
    sqlite3 test.db <script.sql
}

have ls ls && run_case ls case_ls
have sort sort && have awk sort && run_case sort case_sort
have python3 python && run_case python case_python
have git git && run_case git case_git
have gcc gcc && run_case gcc case_gcc
have sqlite3 sqlite3 && run_case sqlite3 case_sqlite

echo "real $PASSED $FAILED"
[ "$FAILED" -eq 0 ]
