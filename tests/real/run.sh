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
REAL_SUMMARY=real
TIMEOUT=120
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/lib.sh"
real_init "$1"

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
