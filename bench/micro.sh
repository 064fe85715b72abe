#!/usr/bin/env bash
# Runs bench/micro.c under glibc and under memboss (fast mode, and check mode at a reduced
# scale), interleaved, REPS times each; prints the median ns per operation and the ratio
# to glibc. Usage: bench/micro.sh BUILDDIR [REPS] [SCALE]
set -eu
build=${1:-build}
reps=${2:-5}
scale=${3:-1}
lib=$(cd "$build" && pwd)/libmemboss.so
bin="$build/bench/micro"
mkdir -p "$build/bench"
cc -std=c17 -D_GNU_SOURCE -O2 -pthread -o "$bin" "$(dirname "$0")/micro.c"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
check_scale=$(awk -v s="$scale" 'BEGIN { print s / 50 }')
for r in $(seq "$reps"); do
    "$bin" "$scale" >"$out/glibc.$r"
    LD_PRELOAD="$lib" "$bin" "$scale" >"$out/fast.$r"
    LD_PRELOAD="$lib" MEMBOSS_OPTIONS=mode=check "$bin" "$check_scale" >"$out/check.$r"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-8s %12s %12s %8s %12s %8s\n' workload "glibc ns/op" "fast ns/op" "fast/g" "check ns/op" "check/g"
for w in pairs churn threads big; do
    g=$(cat "$out"/glibc.* | awk -v w="$w" '$1 == w { print $2 }' | median)
    f=$(cat "$out"/fast.* | awk -v w="$w" '$1 == w { print $2 }' | median)
    c=$(cat "$out"/check.* | awk -v w="$w" '$1 == w { print $2 }' | median)
    awk -v w="$w" -v g="$g" -v f="$f" -v c="$c" \
        'BEGIN { printf "%-8s %12.1f %12.1f %8.2f %12.1f %8.2f\n", w, g, f, f / g, c, c / g }'
done
echo "(medians of $reps interleaved runs; check mode runs 1/50 of the operations)"
