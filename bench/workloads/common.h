/* Shared by the benchmark workloads: argument parsing, a small deterministic random
 * generator, and the checksum line the runner compares across allocators.
 * Every workload: NAME [SCALE [THREADS]]; prints "NAME checksum HEX" and nothing else on
 * stdout. The checksum depends only on the work done, never on addresses or timing. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint64_t rng_next(uint64_t *s) /* xorshift64* */
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t rng_seed(uint64_t k)
{
    return (k + 1) * 0x9E3779B97F4A7C15ull | 1;
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

static inline double arg_scale(int argc, char **argv)
{
    double s = argc > 1 ? atof(argv[1]) : 1.0;
    return s > 0 ? s : 1.0;
}

static inline int arg_threads(int argc, char **argv, int dflt)
{
    int t = argc > 2 ? atoi(argv[2]) : dflt;
    return t > 0 ? (t > 256 ? 256 : t) : dflt;
}

static inline long scaled(double base, double scale)
{
    long n = (long)(base * scale);
    return n > 0 ? n : 1;
}

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(3);
    }
    return p;
}

static inline void print_checksum(const char *name, uint64_t h)
{
    printf("%s checksum %016llx\n", name, (unsigned long long)h);
    fflush(stdout); /* a checker that reports leaks may end the process before stdio does */
}
#endif
