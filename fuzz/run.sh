#!/bin/sh
# memboss: run the fuzzers (what `make fuzz` and `make fuzz-quick` run).
#
#   sh fuzz/run.sh FUZZDIR SECONDS
#
# Runs FUZZDIR/fuzz_heap in fast mode, then in check mode, then FUZZDIR/fuzz_options, each
# for SECONDS. Each grows its corpus in FUZZDIR/corpus/NAME (fuzz_heap's two modes share
# one), starting from the seeds in fuzz/corpus/NAME; a finding is written to
# FUZZDIR/artifacts/ and fails the run. Prints `PASS fuzz ...` or `FAIL fuzz ...` per run,
# the last line is `fuzz N passed, N failed`; the exit status is 0 when nothing failed.
set -u

if [ $# -ne 2 ]; then
    echo "usage: sh fuzz/run.sh FUZZDIR SECONDS" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(cd "$1" && pwd) || exit 2
SECONDS_EACH=$2
cd "$ROOT" || exit 2
unset LD_PRELOAD MEMBOSS_OPTIONS
mkdir -p "$DIR/artifacts" "$DIR/logs"
PASSED=0
FAILED=0

# one NAME HARNESS CORPUS MAXLEN [VAR=VALUE...]: one fuzzing run.
one() {
    _name=$1 _bin=$2 _corpus=$3 _maxlen=$4
    shift 4
    _log="$DIR/logs/$(echo "$_name" | tr -c 'a-z0-9\n' '-').log"
    mkdir -p "$DIR/corpus/$_corpus"
    echo "== fuzz $_name: ${SECONDS_EACH}s"
    # -timeout: an input that takes this long is a finding (a hang); the outer timeout is a
    # backstop for a harness that does not stop.
    env "$@" timeout -k 10 $((SECONDS_EACH + 120)) "$DIR/$_bin" \
        -max_total_time="$SECONDS_EACH" -max_len="$_maxlen" -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$DIR/artifacts/" \
        "$DIR/corpus/$_corpus" "fuzz/corpus/$_corpus" >"$_log" 2>&1
    _rc=$?
    _runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$_log" | tail -n 1)
    _rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$_log" | tail -n 1)
    if [ "$_rc" -eq 0 ] && [ -n "$_runs" ]; then
        echo "PASS fuzz $_name: ${_runs} runs, ${_rate} exec/s"
        PASSED=$((PASSED + 1))
    else
        tail -n 40 "$_log"
        echo "FAIL fuzz $_name: exit status $_rc (log: $_log)"
        FAILED=$((FAILED + 1))
    fi
}

one "heap [mode=fast]" fuzz_heap heap 4096
# handle_segv=0: a fault then reaches the fuzzer's handler, which saves the input.
one "heap [mode=check]" fuzz_heap heap 4096 MEMBOSS_OPTIONS=mode=check:handle_segv=0
one "options" fuzz_options options 512

echo "fuzz $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
