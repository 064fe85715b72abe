/* The cost of stack capture: malloc + free pairs made at the bottom of a recursion DEPTH
 * calls deep, so that each allocation's stack (and each free's, in check mode) walks that
 * many frames more. Built twice by bench/stack_cost.sh, with and without frame pointers.
 * Usage: stack_cost DEPTH PAIRS; prints `ns/pair N`. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *volatile sink;

__attribute__((noinline)) static void pairs(long n)
{
    for (long i = 0; i < n; i++) {
        sink = malloc(32);
        free(sink);
    }
}

/* Not a tail call: each level keeps a frame of its own. */
__attribute__((noinline)) static long descend(int depth, long n)
{
    if (depth == 0) {
        pairs(n);
        return 0;
    }
    long r = descend(depth - 1, n);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DEPTH PAIRS\n", argv[0]);
        return 2;
    }
    int depth = atoi(argv[1]);
    long n = atol(argv[2]);
    descend(depth, n / 10); /* warm: the heap's pages and the unwinder's rules */
    double t0 = now();
    descend(depth, n);
    double t1 = now();
    printf("ns/pair %.1f\n", (t1 - t0) / (double)n);
    return 0;
}
