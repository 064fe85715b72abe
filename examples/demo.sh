#!/bin/sh
# demo.sh BUILDDIR — the blog post's memory mistakes, run one by one under memboss.
# `make demo` calls it from the top of the source tree with the build directory.
# Programs that die or report errors are expected here: the demo never stops on them.

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILDDIR   (the directory holding memboss and libmemboss.so)" >&2
    exit 2
fi
build=$1
here=$(cd "$(dirname "$0")" && pwd)
memboss=$build/memboss
case $memboss in /*) ;; *) memboss=./$memboss ;; esac

if [ ! -x "$memboss" ]; then
    echo "demo: $memboss not found; build it first (make)" >&2
    exit 2
fi
# Build the programs if they are missing (make demo has built them already).
for n in correct leak garbage null_write use_after_free overflow double_free; do
    if [ ! -x "$here/bin/${n}_asm" ] || [ ! -x "$here/bin/${n}_c" ]; then
        make --no-print-directory -s -C "$here" BUILD="$build" all || exit 2
        break
    fi
done

# Crashing programs should not leave core files behind in the user's directory.
# shellcheck disable=SC3045 # dash and bash both have ulimit -c
ulimit -c 0 2>/dev/null

# Show paths the way the user can type them from the current directory.
ex=$here
case $here in "$PWD"/*) ex=${here#"$PWD"/} ;; esac
bin=$ex/bin

out=$(mktemp "${TMPDIR:-/tmp}/memboss-demo.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT

rule() { echo "------------------------------------------------------------------------------"; }

explain_status() {
    case $1 in
    0)   echo "  (0: the program ended normally and memboss found nothing)" ;;
    1)   echo "  (1: the program ran to its end, and memboss found errors: its exit code for findings)" ;;
    134) echo "  (134 = 128 + 6: the process was killed by SIGABRT)" ;;
    135) echo "  (135 = 128 + 7: the process was killed by SIGBUS)" ;;
    139) echo "  (139 = 128 + 11: the process was killed by SIGSEGV, as it would be without memboss)" ;;
    *)   echo "  (the program's own exit status, or 128 + a signal number)" ;;
    esac
}

# run NAME "what the post says" "what the program does"
run() {
    name=$1
    echo
    rule
    echo "The post says:  $2"
    echo "The program:    $3"
    echo "Source:         $ex/$name.asm"
    echo
    echo "\$ $build/memboss run $bin/${name}_asm"
    # Output goes straight to the terminal, so that nothing is lost when the program dies.
    "$memboss" run "$bin/${name}_asm" </dev/null
    status=$?
    echo "exit status: $status"
    explain_status "$status"
}

echo "memboss demo: the mistakes of \"Memory Management in Assembly (You're the Boss Now!)\","
echo "each in a small NASM program, run unmodified under memboss in check mode."
echo "Reports are the lines starting with ==PID== memboss: ERROR: KIND ... memboss: END."

run correct \
    "mov rdi, 64 / call malloc ... mov [rax], 0xDEADBEEF ... mov rdi, rax / call free" \
    "allocates 64 bytes, stores, reads back, prints, frees. No bug: memboss stays silent."

run leak \
    "If you forget to free, the memory will sit there forever." \
    "allocates 64 bytes, uses them, and returns without calling free.
                At exit memboss looks for blocks that nothing points to any more."

run garbage \
    "Always initialize memory before use (garbage values: leftover junk)." \
    "reads a pointer from a fresh 64-byte block that was never written, and follows it.
                memboss fills fresh blocks with 0xbe bytes: the pointer is 0xbebebebebebebebe."

run null_write \
    "Never access memory you didn't allocate (Segfault)." \
    "asks malloc for 4 EiB, does not check for NULL, and stores through the NULL pointer."

run use_after_free \
    "mov rdi, rax / call free / mov rbx, [rax]  ; use-after-free" \
    "frees its 64-byte block, then reads 8 bytes from it."

run overflow \
    "mov rdi, 2 / call malloc  ; only 2 bytes! / mov qword [rax], 0x1122334455667788" \
    "stores 8 bytes into a 2-byte block. Without memboss it runs to the end, corrupting memory."

run double_free \
    "you have to ... free it all manually (and each block exactly once)." \
    "frees the same 64-byte block twice. memboss reports it, ignores the second free, goes on."

echo
rule
echo "Every program has a C twin in $ex/NAME.c, caught the same way, e.g.:"
echo "\$ $build/memboss run $bin/overflow_c"
"$memboss" run "$bin/overflow_c" </dev/null
status=$?
echo "exit status: $status"
explain_status "$status"
exit 0
