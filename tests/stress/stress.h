/* memboss stress tests: shared helpers (random numbers, block patterns, /proc readers).
 *
 * The stress programs are built against the C library alone and run with libmemboss.so
 * preloaded, in fast and in check mode (tests/run.sh); they also run without memboss.
 * Each prints `unit NAME N M` last (tests/unit/check.h). */
#ifndef MEMBOSS_STRESS_H
#define MEMBOSS_STRESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../unit/check.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

static inline uint64_t st_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* The byte at offset i of a block signed with tag: every byte depends on tag and i. */
static inline uint8_t st_byte(uint64_t tag, size_t i)
{
    uint64_t x = tag + i * 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    return (uint8_t)(x ^ (x >> 11));
}

/* Fill all n bytes (n >= 16): tag, n, then the pattern. */
static inline void st_fill(void *p, size_t n, uint64_t tag)
{
    uint8_t *b = p;
    memcpy(b, &tag, 8);
    memcpy(b + 8, &(uint64_t){n}, 8);
    for (size_t i = 16; i < n; i++) b[i] = st_byte(tag, i);
}

/* 1 when p holds what st_fill(p, n, tag) wrote. */
static inline int st_ok(const void *p, size_t n, uint64_t tag)
{
    const uint8_t *b = p;
    uint64_t t, m;
    memcpy(&t, b, 8);
    memcpy(&m, b + 8, 8);
    if (t != tag || m != n) return 0;
    for (size_t i = 16; i < n; i++)
        if (b[i] != st_byte(tag, i)) return 0;
    return 1;
}

static inline double st_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Field k (0: size, 1: resident) of /proc/self/statm, in bytes; 0 on error. */
static inline size_t st_statm(int k)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long v[2] = {0, 0};
    if (!f) return 0;
    int n = fscanf(f, "%lu %lu", &v[0], &v[1]);
    fclose(f);
    return n == 2 ? v[k] * 4096 : 0;
}

/* 1 when memboss is this process's malloc (preloaded or linked). */
static inline int st_under_memboss(void)
{
    return dlsym(RTLD_DEFAULT, "mb_version") != NULL;
}

/* 1 when memboss runs in check mode. */
static inline int st_check_mode(void)
{
    int (*f)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mb_check_mode");
    return f ? f() : 0;
}

#endif
