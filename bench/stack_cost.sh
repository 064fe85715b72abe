#!/usr/bin/env bash
# make bench-stack: instructions (callgrind) and ns per malloc+free pair of bench/stack_cost.c,
# at several call depths, built with and without frame pointers, in check mode without guard
# pages and in fast mode. Instructions are the difference between runs of 2N and N pairs,
# divided by N (start-up and the warm-up cancel out). Usage: bench/stack_cost.sh BUILDDIR
set -eu
build=${1:-build}
lib=$(cd "$build" && pwd)/libmemboss.so
out=$build/bench
mkdir -p "$out"
src=$(dirname "$0")/stack_cost.c
cc -O2 -g -fno-omit-frame-pointer -o "$out/stack_cost_fp" "$src"
cc -O2 -g -fomit-frame-pointer -o "$out/stack_cost_nofp" "$src"
N=${N:-4000}         # pairs under callgrind
TIMED=${TIMED:-200000} # pairs timed
# instructions BIN DEPTH OPTIONS: Ir per pair.
instructions() {
    local ir=()
    for n in "$N" $((2 * N)); do
        ir+=("$(LD_PRELOAD="$lib" MEMBOSS_OPTIONS=$3 valgrind --tool=callgrind \
            --callgrind-out-file=/dev/null "$1" "$2" "$n" 2>&1 >/dev/null |
            awk '/Collected :/ { print $NF }')")
    done
    awk -v a="${ir[0]}" -v b="${ir[1]}" -v n="$N" 'BEGIN { printf "%.0f", (b - a) / n }'
}
printf '%-6s %-5s %6s %10s %10s\n' mode build depth instr/pair ns/pair
# check0: check mode recording no stacks (malloc_context_size=0), the baseline that the
# check rows' stack capture adds to.
for mode in "mode=check:guard_max=0" "mode=check:guard_max=0:malloc_context_size=0" "mode=fast"; do
    label=${mode%%:*}
    case $mode in *malloc_context_size=0*) label=mode=check0 ;; esac
    for b in fp nofp; do
        for d in 0 1 4 16 32; do
            i=$(instructions "$out/stack_cost_$b" "$d" "$mode")
            ns=$(LD_PRELOAD="$lib" MEMBOSS_OPTIONS=$mode "$out/stack_cost_$b" "$d" "$TIMED" | awk '{ print $2 }')
            printf '%-6s %-5s %6d %10s %10s\n' "$label" "$b" "$d" "$i" "$ns"
        done
    done
done | sed 's/^mode=//'
