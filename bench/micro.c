/* Micro-benchmarks of the malloc family, for comparing allocators preloaded underneath.
 * Each workload prints "NAME ns-per-operation"; the runner (micro.sh) takes medians.
 *   pairs    malloc then free of the same size, one thread (the fast path)
 *   churn    a bounded live set of 256 blocks of random sizes 16..528, one thread
 *   threads  2 threads, each freeing blocks the other allocated (remote frees)
 *   big      blocks of 64 KiB .. 1 MiB allocated, written once and freed */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *volatile sink;

static double pairs(long n)
{
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        void *p = malloc(32 + (size_t)(i & 7) * 16);
        sink = p;
        free(p);
    }
    return (now_ns() - t) / (double)n;
}

static double churn(long n)
{
    void *live[256] = {0};
    unsigned x = 12345;
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        unsigned k = (x >> 8) & 255;
        free(live[k]);
        live[k] = malloc(16 + ((x >> 16) & 511));
    }
    for (int k = 0; k < 256; k++) free(live[k]);
    return (now_ns() - t) / (double)n;
}

#define RING 1024
static _Atomic(void *) ring[RING];

static void *exchanger(void *arg)
{
    long n = *(long *)arg;
    unsigned x = (unsigned)(uintptr_t)&n;
    for (long i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        void *p = malloc(16 + ((x >> 16) & 255));
        free(atomic_exchange(&ring[(x >> 8) % RING], p));
    }
    return NULL;
}

static double threads(long n)
{
    pthread_t a, b;
    double t = now_ns();
    pthread_create(&a, NULL, exchanger, &n);
    pthread_create(&b, NULL, exchanger, &n);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    for (int k = 0; k < RING; k++) free(atomic_exchange(&ring[k], NULL));
    return (now_ns() - t) / (double)(2 * n);
}

static double big(long n)
{
    double t = now_ns();
    for (long i = 0; i < n; i++) {
        size_t size = (size_t)65536 << (i % 5);
        char *p = malloc(size);
        memset(p, 1, 4096);
        p[size - 1] = 2;
        sink = p;
        free(p);
    }
    return (now_ns() - t) / (double)n;
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    printf("pairs %.1f\n", pairs((long)(20e6 * scale)));
    printf("churn %.1f\n", churn((long)(10e6 * scale)));
    printf("threads %.1f\n", threads((long)(5e6 * scale)));
    printf("big %.1f\n", big((long)(2e5 * scale)));
    return 0;
}
