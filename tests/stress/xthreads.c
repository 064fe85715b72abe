/* Stress: many threads allocating and freeing each other's blocks for a fixed time.
 *
 * SLOTS shared slots hold blocks; a thread swaps a fresh block (every byte written with a
 * pattern of its owner and sequence number) into a random slot and checks, then frees (or
 * first reallocs) whatever it took out, usually another thread's block. Threads live for
 * a random number of steps and exit while their blocks are still in the slots; the main
 * thread starts new ones until the time is up (argv[1] seconds, default 2). Every byte of
 * every block is checked before it is freed. */
#include "stress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define SLOTS 4096
#define LIVE_THREADS 8

struct blk {
    uint8_t *p;
    size_t n;
    uint64_t tag;
};
static struct blk *_Atomic slots[SLOTS];
static int stop;
static unsigned long started, total_steps, total_bad, total_null;

static size_t pick_size(uint64_t *r)
{
    uint64_t x = st_rand(r);
    if ((x & 1023) == 0) return 300 * KiB + (x >> 40) % (200 * KiB); /* huge */
    unsigned shift = (unsigned)((x >> 10) % 10);                       /* 16 B .. 16 KiB */
    size_t lo = (size_t)16 << shift;
    return lo + (size_t)((x >> 20) % lo);
}

/* Check and free b (one in eight through realloc first, contents checked across it). */
static void retire(struct blk *b, uint64_t *r, unsigned long *bad, unsigned long *null)
{
    if (!st_ok(b->p, b->n, b->tag)) (*bad)++;
    if ((st_rand(r) & 7) == 0) {
        size_t nn = pick_size(r);
        uint8_t *q = realloc(b->p, nn);
        if (!q) {
            (*null)++;
        } else {
            size_t keep = nn < b->n ? nn : b->n;
            for (size_t i = 16; i < keep; i++)
                if (q[i] != st_byte(b->tag, i)) {
                    (*bad)++;
                    break;
                }
            b->p = q;
            b->n = nn;
            st_fill(q, nn, b->tag);
        }
    }
    free(b->p);
    free(b);
}

static void *worker(void *arg)
{
    uint64_t id = (uint64_t)(uintptr_t)arg;
    uint64_t r = 0x243f6a8885a308d3ull ^ (id * 0x9e3779b97f4a7c15ull);
    st_rand(&r);
    unsigned long steps = 500 + st_rand(&r) % 8000, bad = 0, null = 0, i;
    for (i = 0; i < steps && !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
        struct blk *b = malloc(sizeof *b);
        if (!b) {
            null++;
            continue;
        }
        b->n = pick_size(&r);
        b->tag = (id << 32) | i;
        b->p = malloc(b->n);
        if (!b->p) {
            null++;
            free(b);
            continue;
        }
        st_fill(b->p, b->n, b->tag);
        struct blk *old = atomic_exchange(&slots[st_rand(&r) % SLOTS], b);
        if (old) retire(old, &r, &bad, &null);
    }
    __atomic_add_fetch(&total_steps, i, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_bad, bad, __ATOMIC_RELAXED);
    __atomic_add_fetch(&total_null, null, __ATOMIC_RELAXED);
    return NULL; /* its blocks stay in the slots, for others to check and free */
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    double end = st_now() + secs;
    pthread_t t[LIVE_THREADS];
    for (int i = 0; i < LIVE_THREADS; i++) {
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)started) == 0);
        started++;
    }
    /* keep LIVE_THREADS running: join the oldest, start a new one in its place */
    for (int k = 0; st_now() < end; k = (k + 1) % LIVE_THREADS) {
        pthread_join(t[k], NULL);
        CHECK(pthread_create(&t[k], NULL, worker, (void *)(uintptr_t)started) == 0);
        started++;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < LIVE_THREADS; i++) pthread_join(t[i], NULL);
    uint64_t r = 42;
    unsigned long bad = 0, null = 0, left = 0;
    for (int i = 0; i < SLOTS; i++) {
        struct blk *b = atomic_exchange(&slots[i], NULL);
        if (b) {
            left++;
            retire(b, &r, &bad, &null);
        }
    }
    total_bad += bad;
    total_null += null;
    printf("xthreads: %lu threads, %lu steps, %lu blocks left in slots at the end\n", started,
           total_steps, left);
    CHECKF(total_bad == 0, "%lu blocks with damaged contents", total_bad);
    CHECKF(total_null == 0, "%lu allocations returned NULL", total_null);
    CHECKF(started > LIVE_THREADS, "only %lu threads ran", started);
    return check_done("stress_xthreads");
}
