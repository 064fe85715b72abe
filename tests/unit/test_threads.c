/* memboss unit tests: threads.
 *
 * 1. NTHREADS workers allocate blocks of random sizes, sign them, keep half and pass half
 *    through lock-protected rings to other workers, which check the signature and free
 *    them (cross-thread frees, some through realloc). Workers run different numbers of
 *    iterations, so some exit while others still hold and free their blocks.
 * 2. Short-lived threads allocate, hand everything to a consumer and exit at once.
 * 3. fork() while the other threads allocate: the child's heap must work.
 *
 * A fixed amount of work, not a time. Builds with or without memboss:
 *   cc -O1 -pthread test_threads.c   (then LD_PRELOAD the shared library) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS 60000 /* per worker, scaled by (id + 1) / NTHREADS */
#define LOCAL 64
#define RING 256
#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

/* ---- random numbers, sizes, signatures -------------------------------------------- */
static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}
static size_t rand_size(uint64_t *s)
{
    uint64_t r = xorshift(s);
    if ((r & 255) == 0) return MiB + (r >> 40) % 4096; /* some 1 MiB blocks */
    unsigned shift = (unsigned)((r >> 8) % 13);         /* 16 B .. 64 KiB, log-uniform */
    size_t lo = (size_t)16 << shift;
    size_t s2 = lo + (size_t)((r >> 16) % lo);
    return s2 > 64 * KiB ? 64 * KiB : s2;
}

struct item {
    uint8_t *p;
    size_t size;
    uint64_t seed;
};

static uint64_t sig_word(uint64_t seed, size_t off)
{
    uint64_t x = seed ^ (off * 0x9e3779b97f4a7c15ull);
    x ^= x >> 31;
    return x * 0xd1b54a32d192ed03ull + 1;
}
/* The signature: the first 16 bytes (seed, size), a word every 512 bytes and the last 8
 * bytes, none overlapping. Sizes are >= 16; blocks are 16-byte aligned (checked). */
static void sign(const struct item *it)
{
    uint64_t *w = (uint64_t *)(void *)it->p;
    w[0] = it->seed;
    w[1] = it->size;
    for (size_t off = 512; off + 16 <= it->size; off += 512)
        memcpy(it->p + off, &(uint64_t){sig_word(it->seed, off)}, 8);
    if (it->size >= 24)
        memcpy(it->p + it->size - 8, &(uint64_t){sig_word(it->seed, it->size)}, 8);
}
static int sig_ok(const struct item *it)
{
    const uint64_t *w = (const uint64_t *)(const void *)it->p;
    if (w[0] != it->seed || w[1] != it->size) return 0;
    for (size_t off = 512; off + 16 <= it->size; off += 512) {
        uint64_t v;
        memcpy(&v, it->p + off, 8);
        if (v != sig_word(it->seed, off)) return 0;
    }
    if (it->size < 24) return 1;
    uint64_t t;
    memcpy(&t, it->p + it->size - 8, 8);
    return t == sig_word(it->seed, it->size);
}

/* ---- rings -------------------------------------------------------------------------- */
struct ring {
    pthread_mutex_t mu;
    size_t head, count;
    struct item it[RING];
};
static struct ring rings[NTHREADS + 1];

static int ring_push(struct ring *r, struct item it)
{
    pthread_mutex_lock(&r->mu);
    int ok = r->count < RING;
    if (ok) {
        r->it[(r->head + r->count) % RING] = it;
        r->count++;
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}
static int ring_pop(struct ring *r, struct item *out)
{
    pthread_mutex_lock(&r->mu);
    int ok = r->count > 0;
    if (ok) {
        *out = r->it[r->head];
        r->head = (r->head + 1) % RING;
        r->count--;
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* ---- per-thread results ------------------------------------------------------------- */
struct stats {
    unsigned long allocs, null, misaligned, bad_sig, bad_realloc, cross_frees;
};
static void report(const char *who, int id, const struct stats *st)
{
    CHECKF(st->null == 0, "%s %d: %lu NULL results", who, id, st->null);
    CHECKF(st->misaligned == 0, "%s %d: %lu blocks not 16-byte aligned", who, id,
           st->misaligned);
    CHECKF(st->bad_sig == 0, "%s %d: %lu blocks with a damaged signature", who, id,
           st->bad_sig);
    CHECKF(st->bad_realloc == 0, "%s %d: %lu reallocs lost contents", who, id,
           st->bad_realloc);
}

static int new_item(struct item *it, uint64_t *rng, uint64_t owner, struct stats *st)
{
    it->size = rand_size(rng);
    it->seed = (owner << 56) ^ xorshift(rng);
    it->p = malloc(it->size);
    st->allocs++;
    if (!it->p) {
        st->null++;
        return 0;
    }
    if ((uintptr_t)it->p & 15) {
        st->misaligned++;
        free(it->p);
        it->p = NULL;
        return 0;
    }
    sign(it);
    return 1;
}

/* Check and free; one in eight goes through realloc first. */
static void retire(struct item *it, uint64_t *rng, struct stats *st)
{
    if (!sig_ok(it)) st->bad_sig++;
    if ((xorshift(rng) & 7) == 0) {
        size_t ns = rand_size(rng);
        uint8_t *q = realloc(it->p, ns);
        if (!q) {
            st->null++;
        } else {
            /* the first 16 bytes survive any realloc to >= 16 bytes */
            uint64_t w[2];
            memcpy(w, q, 16);
            if (w[0] != it->seed || w[1] != it->size) st->bad_realloc++;
            it->p = q;
            it->size = ns;
            sign(it);
            if (!sig_ok(it)) st->bad_sig++;
        }
    }
    free(it->p);
    it->p = NULL;
}

/* ---- phase 1: workers --------------------------------------------------------------- */
static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t rng = 0x243f6a8885a308d3ull * (uint64_t)(id + 1);
    struct item local[LOCAL] = {{0}};
    struct stats st = {0};
    long iters = (long)ITERS * (id + 1) / NTHREADS;

    for (long i = 0; i < iters; i++) {
        struct item it;
        if (new_item(&it, &rng, (uint64_t)id, &st)) {
            if (xorshift(&rng) & 1) {
                int to = (id + 1 + (int)(xorshift(&rng) % (NTHREADS - 1))) % NTHREADS;
                if (!ring_push(&rings[to], it)) retire(&it, &rng, &st);
            } else {
                struct item *slot = &local[xorshift(&rng) % LOCAL];
                if (slot->p) retire(slot, &rng, &st);
                *slot = it;
            }
        }
        struct item in;
        for (int k = 0; k < 2 && ring_pop(&rings[id], &in); k++) {
            st.cross_frees++;
            retire(&in, &rng, &st);
        }
    }
    for (int k = 0; k < LOCAL; k++)
        if (local[k].p) retire(&local[k], &rng, &st);
    report("worker", id, &st);
    return NULL;
}

static void phase_workers(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    /* what is left in the rings belongs to threads that have exited */
    uint64_t rng = 77;
    struct stats st = {0};
    struct item in;
    for (int i = 0; i < NTHREADS; i++)
        while (ring_pop(&rings[i], &in)) retire(&in, &rng, &st);
    report("main after workers", 0, &st);
}

/* ---- phase 2: short-lived producers, one consumer ----------------------------------- */
#define PRODUCERS 8
#define PER_PRODUCER 3000
static int producers_done;

static void *producer(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t rng = 0x13198a2e03707344ull * (uint64_t)(id + 3);
    struct stats st = {0};
    for (int i = 0; i < PER_PRODUCER; i++) {
        struct item it;
        if (!new_item(&it, &rng, (uint64_t)(16 + id), &st)) continue;
        while (!ring_push(&rings[NTHREADS], it)) sched_yield();
    }
    report("producer", id, &st);
    __atomic_add_fetch(&producers_done, 1, __ATOMIC_RELEASE);
    return NULL; /* exits while the consumer still frees its blocks */
}

static void *consumer(void *arg)
{
    (void)arg;
    uint64_t rng = 99;
    struct stats st = {0};
    struct item in;
    for (;;) {
        if (ring_pop(&rings[NTHREADS], &in)) {
            retire(&in, &rng, &st);
            continue;
        }
        if (__atomic_load_n(&producers_done, __ATOMIC_ACQUIRE) == PRODUCERS) {
            while (ring_pop(&rings[NTHREADS], &in)) retire(&in, &rng, &st);
            break;
        }
        sched_yield();
    }
    report("consumer", 0, &st);
    return NULL;
}

static void phase_short_lived(void)
{
    pthread_t c, p[PRODUCERS];
    CHECK(pthread_create(&c, NULL, consumer, NULL) == 0);
    for (int i = 0; i < PRODUCERS; i++)
        CHECK(pthread_create(&p[i], NULL, producer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < PRODUCERS; i++) pthread_join(p[i], NULL);
    pthread_join(c, NULL);
}

/* ---- phase 3: fork while other threads allocate ------------------------------------- */
#define FORKS 8
static int stop_busy;
static unsigned long busy_progress[NTHREADS];

static void *busy(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t rng = 0xa4093822299f31d0ull * (uint64_t)(id + 5);
    struct item local[LOCAL] = {{0}};
    struct stats st = {0};
    while (!__atomic_load_n(&stop_busy, __ATOMIC_ACQUIRE)) {
        struct item it;
        if (new_item(&it, &rng, (uint64_t)(32 + id), &st)) {
            if (xorshift(&rng) & 1) {
                if (!ring_push(&rings[(id + 1) % NTHREADS], it)) retire(&it, &rng, &st);
            } else {
                struct item *slot = &local[xorshift(&rng) % LOCAL];
                if (slot->p) retire(slot, &rng, &st);
                *slot = it;
            }
        }
        struct item in;
        if (ring_pop(&rings[id], &in)) retire(&in, &rng, &st);
        __atomic_add_fetch(&busy_progress[id], 1, __ATOMIC_RELAXED);
    }
    for (int k = 0; k < LOCAL; k++)
        if (local[k].p) retire(&local[k], &rng, &st);
    report("busy", id, &st);
    return NULL;
}

static void child_say(const char *msg)
{
    ssize_t r = write(2, msg, strlen(msg));
    (void)r;
}

/* In the child only this thread exists; the heap must still work. */
static void child_main(int n)
{
    alarm(30); /* a deadlocked heap ends the child with SIGALRM */
    uint64_t rng = 0x1234567ull + (uint64_t)n;
    struct item keep[100] = {{0}};
    struct stats st = {0};
    for (int i = 0; i < 10000; i++) {
        struct item it;
        if (!new_item(&it, &rng, 63, &st)) continue;
        if (!sig_ok(&it)) st.bad_sig++;
        struct item *slot = &keep[xorshift(&rng) % 100];
        if (slot->p) retire(slot, &rng, &st);
        *slot = it;
    }
    for (int k = 0; k < 100; k++)
        if (keep[k].p) retire(&keep[k], &rng, &st);
    void *c = calloc(1000, 8);
    if (!c) st.null++;
    free(c);
    if (st.null || st.misaligned || st.bad_sig || st.bad_realloc) {
        child_say("test_threads: the heap misbehaved in a forked child\n");
        exit(3);
    }
    exit(0);
}

static void phase_fork(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, busy, (void *)(intptr_t)i) == 0);
    for (int f = 0; f < FORKS; f++) {
        /* wait until every thread is under way again */
        unsigned long seen[NTHREADS];
        for (int i = 0; i < NTHREADS; i++)
            seen[i] = __atomic_load_n(&busy_progress[i], __ATOMIC_RELAXED);
        for (int i = 0; i < NTHREADS; i++)
            while (__atomic_load_n(&busy_progress[i], __ATOMIC_RELAXED) < seen[i] + 200)
                sched_yield();
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) child_main(f);
        CHECKF(pid > 0, "fork failed: %s", strerror(errno));
        if (pid < 0) continue;
        int status = 0;
        pid_t w;
        while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
        }
        CHECKF(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "forked child %d: %s %d", f,
               WIFSIGNALED(status) ? "killed by signal" : "exit status",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    __atomic_store_n(&stop_busy, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    uint64_t rng = 5;
    struct stats st = {0};
    struct item in;
    for (int i = 0; i < NTHREADS; i++)
        while (ring_pop(&rings[i], &in)) retire(&in, &rng, &st);
    report("main after fork phase", 0, &st);
}

int main(void)
{
    for (int i = 0; i <= NTHREADS; i++) pthread_mutex_init(&rings[i].mu, NULL);
    phase_workers();
    phase_short_lived();
    phase_fork();
    return check_done("threads");
}
