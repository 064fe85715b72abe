#!/usr/bin/env bash
# memboss: definitely-lost leaks of real programs, compared with Valgrind memcheck's.
#
#   bash tests/real/valgrind-leaks.sh BUILDDIR
#
# Five workloads (python3, git, gcc, bash, sqlite3) each run twice in a fresh directory:
# every command once under `BUILDDIR/memboss run --leak-check=full`, once under
# `valgrind --leak-check=full --trace-children=yes` (children included: gcc's cc1 and as,
# git's sub-commands), in the same environment. tests/real/valgrind-leaks.py then takes
# each memboss definitely-lost loss record's allocation site (first frame that is not an
# allocator) and looks for it in Valgrind's definitely-lost records of the same workload.
#
# memboss treats the frame that called exit() as dead (docs/leaks.md); Valgrind scans it.
# A third run, with leak_exit_rule=0, tells the records that rule makes definite: such a
# record is shown as "exit rule" and is not a disagreement.
#
# A workload passes when every other memboss definite record is confirmed by Valgrind. Prints a
# table per workload, the unconfirmed records with their sites, `PASS valgrind-leaks NAME`,
# `FAIL valgrind-leaks NAME: why` or `SKIP valgrind-leaks NAME: why` (counted as passed),
# and `real N M` (passed, failed) as its last line. KEEP=1 keeps the logs and prints where.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILDDIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL valgrind-leaks setup: no directory $1"; echo "real 0 1"; exit 1; }
MEMBOSS=$BUILD/memboss
if [ ! -x "$MEMBOSS" ] || [ ! -f "$BUILD/libmemboss.so" ]; then
    echo "FAIL valgrind-leaks setup: $MEMBOSS or libmemboss.so is missing"
    echo "real 0 1"
    exit 1
fi

TIMEOUT=300
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memboss-vgleaks.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    trap 'echo "logs kept in $WORK"' EXIT
else
    trap 'rm -rf "$WORK"' EXIT
fi
trap 'exit 130' INT TERM

# The environment of tests/real/run.sh: same locale, no user configuration.
export LC_ALL=C TZ=UTC
export HOME=$WORK/home
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="memboss test" GIT_AUTHOR_EMAIL="test@example.invalid"
export GIT_COMMITTER_NAME="memboss test" GIT_COMMITTER_EMAIL="test@example.invalid"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
unset LD_PRELOAD MEMBOSS_OPTIONS MEMBOSS_NO_CHILDREN

# T CMD...: CMD under the tool of this pass ($TOOL), its logs in $LOGS, one per process.
# Valgrind's -v -v adds the load address of each module, which turns the addresses of
# unnamed frames into module offsets; possibly-lost records are shown for the diagnosis
# only (the comparison counts definitely-lost records alone).
T() {
    case $TOOL in
    memboss)
        "$MEMBOSS" run --leak-check=full --error-exitcode=0 --log-file="$LOGS/mb.%p.log" -- "$@"
        ;;
    memboss-no-exit-rule)
        "$MEMBOSS" run --leak-check=full --error-exitcode=0 --options=leak_exit_rule=0 \
            --log-file="$LOGS/mb.%p.log" -- "$@"
        ;;
    valgrind)
        valgrind -v -v --leak-check=full --show-leak-kinds=definite,possible --num-callers=30 \
            --trace-children=yes --error-exitcode=0 --log-file="$LOGS/vg.%p.log" -- "$@"
        ;;
    esac
}

# ---- the workloads: each runs in a fresh empty directory, every command through T ----
work_python3() {
    cat >prog.py <<'EOF'
import json, re
class Item:
    def __init__(self, name, n):
        self.name = name
        self.n = n
    def key(self):
        return "%s-%d" % (self.name, self.n)
d = {}
for i in range(2000):
    it = Item("item%d" % i, i * 7)
    d[it.key()] = {"n": it.n, "tags": [it.name.upper(), str(i % 13)]}
s = json.dumps(d, sort_keys=True)
back = json.loads(s)
pat = re.compile(r"item(\d+)-(\d+)")
total = sum(int(m.group(2)) for m in pat.finditer(" ".join(back)))
print(len(s), len(back), total)
EOF
    # the interpreter itself, not a wrapper script that would start it
    PYTHONMALLOC=malloc T "$PYTHON" prog.py
}

work_git() {
    T git init -q repo || return 1
    cd repo || return 1
    for i in 1 2 3 4 5; do
        seq 1 "$((i * 30))" | sed "s/^/file $i line /" >"file$i.txt"
    done
    T git add . && T git commit -q -m "five files" || return 1
    sed -i 's/line 1$/line one/' file3.txt
    T git commit -q -am "second" && T git log --oneline
}

work_gcc() {
    cat >prog.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; int v; char name[16]; };
static struct node *push(struct node *h, int v)
{
    struct node *x = malloc(sizeof *x);
    if (!x) abort();
    x->v = v;
    snprintf(x->name, sizeof x->name, "n%d", v);
    x->next = h;
    return x;
}
static int sum(const struct node *h) { int s = 0; for (; h; h = h->next) s += h->v; return s; }
static void drop(struct node *h) { while (h) { struct node *n = h->next; free(h); h = n; } }
int main(int argc, char **argv)
{
    struct node *h = NULL;
    for (int i = 0; i < argc * 10; i++) h = push(h, i);
    printf("%d %s\n", sum(h), argv[0]);
    drop(h);
    return 0;
}
EOF
    T gcc -O2 -c prog.c -o prog.o
}

work_bash() {
    cat >prog.sh <<'EOF'
declare -a words
declare -A count
for i in $(seq 1 300); do
    w="word$((i % 17))"
    words+=("$w")
    count[$w]=$(( ${count[$w]:-0} + 1 ))
done
s=""
for w in "${words[@]}"; do s="$s${w:0:3}${w#word}"; done
echo "${#words[@]} ${#count[@]} ${#s} ${s//wor/W}" | md5sum
up=$(for k in "${!count[@]}"; do echo "${k^^}=${count[$k]}"; done | sort | head -n 3)
echo "$up"
( cd / && n=0; while [ $n -lt 50 ]; do n=$((n + 1)); done; echo "sub $n $PWD" )
EOF
    T bash prog.sh
}

work_sqlite3() {
    {
        echo "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v INTEGER);"
        echo "BEGIN;"
        seq 1 400 | awk '{ printf "INSERT INTO t (name, v) VALUES (%cname%d%c, %d);\n", 39, $1, 39, ($1 * 37) % 11 }'
        echo "COMMIT;"
        echo "SELECT v, count(*), min(name), max(id) FROM t GROUP BY v ORDER BY v;"
    } >script.sql
    T sqlite3 test.db <script.sql
}

# run_workload NAME: both passes, then the comparison.
run_workload() {
    local name=$1 tool rc
    for tool in memboss memboss-no-exit-rule valgrind; do
        LOGS=$WORK/$name.$tool.logs
        mkdir -p "$LOGS" "$WORK/$name.$tool"
        (cd "$WORK/$name.$tool" && TOOL=$tool LOGS=$LOGS timeout -k 5 "$TIMEOUT" \
            bash -c "$(declare -f T "work_$name"); work_$name") \
            >"$WORK/$name.$tool.out" 2>"$WORK/$name.$tool.err" </dev/null
        rc=$?
        if [ "$rc" -ne 0 ]; then
            echo "FAIL valgrind-leaks $name: the workload under $tool exited with status $rc"
            head -n 20 "$WORK/$name.$tool.err" | sed 's/^/    /'
            FAILED=$((FAILED + 1))
            return
        fi
    done
    echo "== $name"
    if env -u LD_PRELOAD python3 "$HERE/valgrind-leaks.py" "$name" \
        "$WORK/$name.memboss.logs" "$WORK/$name.valgrind.logs" \
        "$WORK/$name.memboss-no-exit-rule.logs"; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
    fi
}

skip() {
    echo "SKIP valgrind-leaks $1: $2"
    PASSED=$((PASSED + 1))
}

if ! command -v valgrind >/dev/null 2>&1; then
    for name in python3 git gcc bash sqlite3; do skip "$name" "valgrind is not installed"; done
elif ! command -v python3 >/dev/null 2>&1 || ! command -v addr2line >/dev/null 2>&1; then
    for name in python3 git gcc bash sqlite3; do skip "$name" "python3 or addr2line is not installed"; done
else
    export MEMBOSS
    # python3 may be a wrapper script (a version manager's shim): run the interpreter.
    PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
    export PYTHON
    if [ -n "$PYTHON" ]; then run_workload python3; else skip python3 "python3 does not start"; fi
    for name in git gcc bash sqlite3; do
        if command -v "$name" >/dev/null 2>&1; then
            run_workload "$name"
        else
            skip "$name" "$name is not installed"
        fi
    done
fi

echo "real $PASSED $FAILED"
[ "$FAILED" -eq 0 ]
