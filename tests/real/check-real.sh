#!/usr/bin/env bash
# memboss: real programs and CPython's own regression tests, preloaded in fast and in
# check mode, each compared with the same run without memboss (`make check-real`).
#
#   bash tests/real/check-real.sh [--subset] BUILDDIR
#
# Programs: git (clone, commit, log of a generated repository), sqlite3 (a write-heavy
# script), gcc (a multi-file C program compiled, linked and run), perl, bash, ruby, and a
# threaded C program. Their stdout and exit status must equal the run without memboss.
#
# CPython: each module of PY_MODULES runs as `python3.11 -m test MODULE` with
# PYTHONMALLOC=malloc (every object through malloc), writing JUnit XML; the verdict of
# every test (ok, failure, error, skipped and why) and the exit status must equal the run
# without memboss. Modules run JOBS at a time (default 2).
#
# In every run no `memboss:` line may appear on stderr. --subset (what `make check` runs)
# runs only the CPython modules of PY_SUBSET. Prints `PASS name [mode]: what ran`,
# `FAIL name [mode]: reason` or `SKIP name: why` per case, and `real N M` last.
set -u

SUBSET=0
if [ "${1:-}" = --subset ]; then
    SUBSET=1
    shift
fi
if [ $# -ne 1 ]; then
    echo "usage: $0 [--subset] BUILDDIR" >&2
    exit 2
fi
REAL_SUMMARY=real
TIMEOUT=300
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
real_init "$1"

PY=/usr/bin/python3.11
JOBS=${JOBS:-2}
PY_TIMEOUT=1200

# The CPython test modules (Debian's libpython3.11-testsuite). Each takes less than a
# minute without memboss and gives the same verdicts from run to run. Left out:
# test_subprocess (test_pass_fds_redirected lists the child's open descriptors and finds
# the one memboss keeps for its reports, a copy of stderr high up), test_sqlite3 (not in
# Debian's test suite).
PY_MODULES="
test_dict test_list test_set test_tuple test_unicode test_bytes test_string test_format
test_re test_json test_int test_long test_float test_math test_itertools test_functools
test_collections test_heapq test_bisect test_deque test_array test_struct test_pickle
test_copy test_enum test_dataclasses test_textwrap test_datetime test_decimal
test_fractions test_statistics test_csv test_zlib test_hashlib test_base64 test_os
test_shutil test_tempfile test_queue test_weakref test_class test_descr test_exceptions
test_generators test_sort test_random test_operator test_difflib test_ast test_codecs
test_tokenize test_argparse test_xml_etree test_email test_mmap test_lzma test_bz2
test_userdict test_dbm test_unicodedata test_marshal test_configparser test_gc
test_threading test_threading_local test_thread test_select
"
# The modules that also run in check mode, where allocation-heavy tests are 10-50 times
# slower: the others run in fast mode only.
PY_CHECK_MODULES="
test_dict test_list test_set test_tuple test_unicode test_string test_format test_re
test_json test_int test_float test_functools test_collections test_heapq test_bisect
test_deque test_struct test_copy test_enum test_dataclasses test_textwrap test_fractions
test_csv test_zlib test_hashlib test_base64 test_shutil test_class test_generators
test_sort test_operator test_difflib test_tokenize test_xml_etree test_mmap test_userdict
test_dbm test_marshal test_configparser test_thread test_threading_local test_gc
test_threading
"
# --subset: a few modules, in both modes.
PY_SUBSET="test_dict test_string test_bisect test_copy test_userdict test_class"

# ---- programs: each runs in a fresh empty directory; LD_PRELOAD is inherited ----------
case_git_clone() {
    # A generated repository with history (made without memboss), then cloned, changed,
    # committed and logged with memboss.
    (
        unset LD_PRELOAD
        git init -q -b main origin.git 2>/dev/null || git init -q origin.git
        cd origin.git || exit 1
        for c in $(seq 1 30); do
            for f in $(seq 1 10); do
                seq 1 "$((c * f))" | sed "s/^/commit $c file $f line /" >"f$f.txt"
            done
            git add . && git commit -q -m "commit $c"
        done
    )
    git clone -q origin.git clone || return 1
    cd clone || return 1
    for c in $(seq 1 20); do
        printf 'change %d\n' "$c" >>"f$((c % 10 + 1)).txt"
        mkdir -p "dir$((c % 3))" && seq 1 "$c" >"dir$((c % 3))/new$c.txt"
        git add -A && git commit -q -m "change $c in the clone"
    done
    git log --stat --format='%H %s' | head -n 200
    git log --oneline | wc -l
    git log -p -3 --format='%s'
    git shortlog -s
    git diff --stat HEAD~20 HEAD
    git blame f3.txt | tail -n 5
    git repack -adq && git count-objects -v | grep -E '^(count|in-pack|packs)'
    git fsck --no-progress 2>&1 | wc -l
}

case_sqlite_write() {
    # 60k rows inserted, updated and deleted in many transactions, indexes, a join.
    env -u LD_PRELOAD awk 'BEGIN {
        print "PRAGMA journal_mode=WAL;"
        print "CREATE TABLE a (id INTEGER PRIMARY KEY, k TEXT, v INTEGER, blob BLOB);"
        print "CREATE TABLE b (id INTEGER PRIMARY KEY, aid INTEGER, note TEXT);"
        print "CREATE INDEX a_k ON a (k);"
        x = 7
        for (t = 0; t < 60; t++) {
            print "BEGIN;"
            for (i = 0; i < 1000; i++) {
                x = (x * 16807) % 2147483647
                n = t * 1000 + i
                printf "INSERT INTO a (k, v, blob) VALUES (%ck%d%c, %d, zeroblob(%d));\n", 39, x % 5000, 39, x % 100000, x % 300
                if (i % 3 == 0) printf "INSERT INTO b (aid, note) VALUES (%d, %cnote %d%c);\n", n + 1, 39, x, 39
            }
            printf "UPDATE a SET v = v + 1 WHERE v %% 7 = %d;\n", t % 7
            printf "DELETE FROM a WHERE id %% 97 = %d;\n", t % 97
            print "COMMIT;"
        }
        print "CREATE INDEX a_v ON a (v);"
        print "SELECT count(*), sum(v), sum(length(blob)), min(k), max(k) FROM a;"
        print "SELECT count(*), sum(a.v) FROM a JOIN b ON b.aid = a.id;"
        print "SELECT k, count(*) c FROM a GROUP BY k ORDER BY c DESC, k LIMIT 10;"
        print "VACUUM;"
        print "PRAGMA integrity_check;"
    }' >script.sql
    sqlite3 test.db <script.sql
}

case_gcc_multi() {
    # Four translation units, compiled and linked with memboss; the program runs without.
    cat >list.h <<'C'
struct item { struct item *next; char *key; long value; };
struct item *list_push(struct item *head, const char *key, long value);
long list_sum(const struct item *head);
void list_free(struct item *head);
unsigned long hash_str(const char *s);
struct table;
struct table *table_new(unsigned buckets);
void table_add(struct table *t, const char *key, long value);
long table_get(const struct table *t, const char *key);
void table_free(struct table *t);
C
    cat >list.c <<'C'
#include <stdlib.h>
#include <string.h>
#include "list.h"
struct item *list_push(struct item *head, const char *key, long value)
{
    struct item *it = malloc(sizeof *it);
    it->key = strdup(key);
    it->value = value;
    it->next = head;
    return it;
}
long list_sum(const struct item *head)
{
    long s = 0;
    for (; head; head = head->next) s += head->value;
    return s;
}
void list_free(struct item *head)
{
    while (head) { struct item *n = head->next; free(head->key); free(head); head = n; }
}
C
    cat >hash.c <<'C'
#include "list.h"
unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}
C
    cat >table.c <<'C'
#include <stdlib.h>
#include <string.h>
#include "list.h"
struct table { unsigned n; struct item **b; };
struct table *table_new(unsigned buckets)
{
    struct table *t = malloc(sizeof *t);
    t->n = buckets;
    t->b = calloc(buckets, sizeof *t->b);
    return t;
}
void table_add(struct table *t, const char *key, long value)
{
    unsigned i = hash_str(key) % t->n;
    t->b[i] = list_push(t->b[i], key, value);
}
long table_get(const struct table *t, const char *key)
{
    for (const struct item *it = t->b[hash_str(key) % t->n]; it; it = it->next)
        if (strcmp(it->key, key) == 0) return it->value;
    return -1;
}
void table_free(struct table *t)
{
    for (unsigned i = 0; i < t->n; i++) list_free(t->b[i]);
    free(t->b);
    free(t);
}
C
    cat >main.c <<'C'
#include <stdio.h>
#include "list.h"
int main(void)
{
    struct table *t = table_new(1021);
    char key[32];
    for (long i = 0; i < 50000; i++) {
        snprintf(key, sizeof key, "key%ld", i * 7919 % 50000);
        table_add(t, key, i);
    }
    long s = 0;
    for (long i = 0; i < 50000; i += 97) {
        snprintf(key, sizeof key, "key%ld", i);
        s += table_get(t, key);
    }
    printf("%ld %ld\n", s, table_get(t, "key-none"));
    table_free(t);
    return 0;
}
C
    for f in list hash table main; do
        gcc -O2 -g -ffile-prefix-map="$PWD"=. -Wall -c "$f.c" -o "$f.o" || return 1
        od -An -tx1 -v "$f.o" | md5sum
    done
    gcc -O2 -Wall -Wextra -fsyntax-only -std=c17 main.c list.c hash.c table.c || return 1
    gcc -o prog main.o list.o hash.o table.o || return 1
    env -u LD_PRELOAD ./prog
    nm prog | grep -E ' T (list|table|hash)_'
}

case_perl() {
    perl -e '
        use strict; use warnings;
        my %h; my @a;
        for my $i (1 .. 200000) { $h{"k$i"} = [$i, "v" x ($i % 13)]; }
        for my $i (1 .. 100000) { delete $h{"k" . ($i * 2)}; }
        my $s = 0; $s += $_->[0] for values %h;
        push @a, join(",", map { $_ * 3 } 1 .. ($_ % 50)) for 1 .. 20000;
        my @sorted = sort { length($b) <=> length($a) || $a cmp $b } @a;
        my $text = join("\n", @sorted);
        my $count = () = $text =~ /(\d+),(\d+)/g;
        (my $t2 = $text) =~ s/(\d+)/<$1>/g;
        printf "%d %d %d %d %s\n", scalar(keys %h), $s, $count, length($t2), substr($sorted[0], 0, 40);
    '
}

case_bash() {
    bash -c '
        declare -A m
        for ((i = 0; i < 20000; i++)); do m["key$i"]=$((i * i % 1009)); done
        s=0
        for k in "${!m[@]}"; do s=$((s + m[$k])); done
        a=()
        for ((i = 0; i < 5000; i++)); do a+=("item-$i-${i//1/one}"); done
        str=$(printf "%s\n" "${a[@]}" | sort | tail -n 3)
        long=""
        for ((i = 0; i < 3000; i++)); do long+="x$i"; done
        echo "$s ${#m[@]} ${#a[@]} ${#long} ${long:100:20}"
        echo "$str"
        f() { local n=$1; if ((n <= 1)); then echo 1; else echo $((n * $(f $((n - 1))))); fi; }
        f 20
    '
}

case_ruby() {
    ruby -e '
        h = {}
        200_000.times { |i| h["k#{i}"] = [i, "v" * (i % 11)] }
        100_000.times { |i| h.delete("k#{i * 2}") }
        s = h.values.sum { |v| v[0] }
        words = (1..50_000).map { |i| (i * 7919 % 100_003).to_s(36) }
        freq = words.group_by { |w| w[0] }.map { |k, v| [k, v.size] }.sort
        big = (1..300).inject(1) { |a, b| a * b }
        str = words.join(" ").gsub(/[aeiou]/) { |c| c.upcase }
        t = 4.times.map { |n| Thread.new { (1..50_000).map { |i| (i * n).to_s }.join.length } }
        puts [h.size, s, freq.first(5).inspect, big.to_s.length, str.length, str[0, 40]].join(" ")
        puts t.map(&:value).inspect
        GC.start
        puts Marshal.load(Marshal.dump(h.first(3))).inspect
    '
}

case_threads() {
    # Built without memboss, run with it: eight threads pass blocks to each other through
    # a locked queue; each thread frees what another allocated.
    cat >threads.c <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define THREADS 8
#define ROUNDS 40000
struct msg { struct msg *next; size_t len; unsigned sum; unsigned char data[]; };
static struct { pthread_mutex_t lock; pthread_cond_t cond; struct msg *head; } q[THREADS];
static unsigned long total[THREADS];
static void put(int to, struct msg *m)
{
    pthread_mutex_lock(&q[to].lock);
    m->next = q[to].head;
    q[to].head = m;
    pthread_cond_signal(&q[to].cond);
    pthread_mutex_unlock(&q[to].lock);
}
static struct msg *take(int me)
{
    pthread_mutex_lock(&q[me].lock);
    while (!q[me].head) pthread_cond_wait(&q[me].cond, &q[me].lock);
    struct msg *m = q[me].head;
    q[me].head = m->next;
    pthread_mutex_unlock(&q[me].lock);
    return m;
}
static void *worker(void *arg)
{
    int me = (int)(long)arg;
    unsigned x = 1234u + (unsigned)me;
    for (int i = 0; i < ROUNDS; i++) {
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 8) % (i % 100 == 0 ? 70000 : 600) + 1;
        struct msg *m = malloc(sizeof *m + len);
        memset(m->data, (int)(x & 0xff), len);
        m->len = len;
        m->sum = (x & 0xff) * (unsigned)len;
        put((me + 1) % THREADS, m);
        struct msg *r = take(me);
        unsigned s = 0;
        for (size_t k = 0; k < r->len; k++) s += r->data[k];
        if (s != r->sum) { fprintf(stderr, "bad block\n"); exit(1); }
        r = realloc(r, sizeof *r + r->len / 2 + 1);
        total[me] += s;
        free(r);
    }
    return NULL;
}
int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_mutex_init(&q[i].lock, NULL);
        pthread_cond_init(&q[i].cond, NULL);
    }
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    unsigned long all = 0;
    for (int i = 0; i < THREADS; i++) all += total[i];
    printf("%d threads, %d blocks each, sum %lu\n", THREADS, ROUNDS, all);
    return 0;
}
C
    env -u LD_PRELOAD gcc -O2 -pthread threads.c -o threads || return 1
    ./threads
}

# ---- CPython regression tests ----------------------------------------------------------
# py_run MODULE MODE DIR: one run of MODULE in the fresh directory DIR (MODE ref: without
# memboss); leaves DIR/out (stdout and stderr), DIR/verdicts, DIR/rc and DIR/secs.
py_run() {
    local m=$1 mode=$2 dir=$3 start rc
    mkdir -p "$dir/tmp"
    start=$(date +%s)
    if [ "$mode" = ref ]; then
        (cd "$dir" && TMPDIR=$dir/tmp PYTHONMALLOC=malloc \
            timeout -k 10 "$PY_TIMEOUT" "$PY" -m test -q --junit-xml "$dir/junit.xml" "$m") \
            >"$dir/out" 2>&1
    else
        (cd "$dir" && TMPDIR=$dir/tmp PYTHONMALLOC=malloc LD_PRELOAD=$LIB \
            MEMBOSS_OPTIONS=mode=$mode \
            timeout -k 10 "$PY_TIMEOUT" "$PY" -m test -q --junit-xml "$dir/junit.xml" "$m") \
            >"$dir/out" 2>&1
    fi
    rc=$?
    echo "$rc" >"$dir/rc"
    echo $(($(date +%s) - start)) >"$dir/secs"
    if [ -s "$dir/junit.xml" ]; then
        "$PY" "$HERE/junit-verdicts.py" "$dir/junit.xml" >"$dir/verdicts" 2>&1
    else
        echo "no JUnit XML" >"$dir/verdicts"
    fi
}

# py_module MODULE: the reference run, then fast mode, and check mode when MODULE is in
# PY_CHECK_MODULES (or in --subset); PASS/FAIL lines on stdout.
py_module() {
    local m=$1 mode modes=fast d ref=$WORK/py/$1.ref rc rc_ref counts
    py_run "$m" ref "$ref"
    rc_ref=$(cat "$ref/rc")
    counts=$(tail -n 1 "$ref/verdicts")
    if [ "$SUBSET" -eq 1 ] || [[ " $(echo $PY_CHECK_MODULES) " == *" $m "* ]]; then
        modes="fast check"
    fi
    for mode in $modes; do
        d=$WORK/py/$m.$mode
        py_run "$m" "$mode" "$d"
        rc=$(cat "$d/rc")
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            fail "cpython $m" "$mode" "timed out after ${PY_TIMEOUT}s" "$d/out"
        elif findings "$d/out" >/dev/null; then
            grep -n -A 15 'memboss:' "$d/out" | head -n 40 >"$d/excerpt"
            fail "cpython $m" "$mode" "memboss reported" "$d/excerpt"
        elif [ "$rc" -ne "$rc_ref" ]; then
            tail -n 20 "$d/out" >"$d/excerpt"
            fail "cpython $m" "$mode" "exit status $rc, without memboss $rc_ref" "$d/excerpt"
        elif ! cmp -s "$ref/verdicts" "$d/verdicts"; then
            diff -u "$ref/verdicts" "$d/verdicts" >"$d/excerpt"
            fail "cpython $m" "$mode" "test verdicts differ from the run without memboss" \
                "$d/excerpt"
        else
            pass "cpython $m" "$mode" "$counts, exit status $rc, as without memboss ($(cat "$d/secs") s; without memboss $(cat "$ref/secs") s)$(notes "$d/out")"
        fi
    done
}

# py_all MODULE...: the modules JOBS at a time; results printed in order as they finish.
py_all() {
    local i=0 next=0 n=$# m
    mkdir -p "$WORK/py/res"
    for m in "$@"; do
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
            wait -n
            py_flush
        done
        ( PASSED=0 FAILED=0
          py_module "$m" >"$WORK/py/res/$i.tmp"
          echo "$PASSED $FAILED" >"$WORK/py/res/$i.count"
          mv "$WORK/py/res/$i.tmp" "$WORK/py/res/$i.res" ) &
        i=$((i + 1))
    done
    wait
    py_flush
    [ "$next" -eq "$n" ] || { echo "FAIL cpython: $((n - next)) modules gave no result"; FAILED=$((FAILED + n - next)); }
}

# py_flush: print the finished results that come next in order (uses py_all's next).
py_flush() {
    local c
    while [ -f "$WORK/py/res/$next.res" ]; do
        cat "$WORK/py/res/$next.res"
        read -r -a c <"$WORK/py/res/$next.count"
        PASSED=$((PASSED + c[0]))
        FAILED=$((FAILED + c[1]))
        next=$((next + 1))
    done
}

START=$(date +%s)
if [ "$SUBSET" -eq 0 ]; then
    have git git && run_case git-clone-commit-log case_git_clone
    have sqlite3 sqlite3 && run_case sqlite3-write-heavy case_sqlite_write
    have gcc gcc && run_case gcc-multi-file case_gcc_multi
    have perl perl && run_case perl case_perl
    have bash bash && run_case bash case_bash
    have ruby ruby && run_case ruby case_ruby
    have gcc threads && run_case threads-c case_threads
fi

if [ -x "$PY" ] && "$PY" -c 'import test.libregrtest' 2>/dev/null; then
    if [ "$SUBSET" -eq 1 ]; then
        set -- $PY_SUBSET
    else
        set -- $PY_MODULES
    fi
    echo "cpython: $# test modules of $("$PY" -V 2>&1) (PYTHONMALLOC=malloc), $JOBS at a time: $*"
    if [ "$SUBSET" -eq 1 ]; then
        echo "cpython: every module in fast and in check mode"
    else
        echo "cpython: in check mode too:" $PY_CHECK_MODULES
    fi
    py_all "$@"
else
    echo "FAIL cpython: $PY or its test suite (libpython3.11-testsuite) is not installed"
    FAILED=$((FAILED + 1))
fi

echo "check-real: $PASSED passed, $FAILED failed in $(($(date +%s) - START)) s"
echo "real $PASSED $FAILED"
[ "$FAILED" -eq 0 ]
