/* prodcons: producer / consumer. THREADS threads stand in a ring; each allocates batches
 * of 256 blocks (16..1024 bytes, a value stored in each), hands every batch to the next
 * thread, and frees the batches the previous thread handed it, after reading them. With
 * two or more threads every block is freed by a thread other than the one that allocated
 * it (with one thread the ring is the thread itself). Each thread keeps up to DEPTH
 * batches in flight so the threads rarely wait for each other. Models the
 * server-style benchmarks where one thread's allocations are another's frees.
 * The work per thread is fixed: with enough cores the time should not grow with THREADS. */
#include "common.h"
#include <pthread.h>

#define BATCH 256
#define DEPTH 8

struct batch {
    struct batch *next;
    unsigned *blk[BATCH];
};

struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct batch *head, *tail;
};

static struct inbox box[256];
static int nthreads;
static long batches; /* per thread */
static uint64_t sums[256];

static void put(struct inbox *b, struct batch *x)
{
    x->next = NULL;
    pthread_mutex_lock(&b->lock);
    if (b->tail) b->tail->next = x; else b->head = x;
    b->tail = x;
    pthread_cond_signal(&b->ready);
    pthread_mutex_unlock(&b->lock);
}

static struct batch *take(struct inbox *b)
{
    pthread_mutex_lock(&b->lock);
    while (!b->head) pthread_cond_wait(&b->ready, &b->lock);
    struct batch *x = b->head;
    b->head = x->next;
    if (!b->head) b->tail = NULL;
    pthread_mutex_unlock(&b->lock);
    return x;
}

static struct batch *produce(uint64_t *s)
{
    struct batch *x = xmalloc(sizeof *x);
    for (int i = 0; i < BATCH; i++) {
        uint64_t r = rng_next(s);
        size_t size = 16 + (size_t)(r % 1009);
        unsigned *p = xmalloc(size);
        p[0] = (unsigned)(r >> 32);
        x->blk[i] = p;
    }
    return x;
}

static uint64_t consume(struct batch *x)
{
    uint64_t h = 0;
    for (int i = 0; i < BATCH; i++) {
        h += x->blk[i][0];
        free(x->blk[i]);
    }
    free(x);
    return h;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    struct inbox *out = &box[(id + 1) % nthreads], *in = &box[id];
    uint64_t s = rng_seed((uint64_t)id), h = 0;
    long made = 0;
    for (; made < DEPTH && made < batches; made++) put(out, produce(&s));
    for (long got = 0; got < batches; got++) {
        h += consume(take(in));
        if (made < batches) {
            put(out, produce(&s));
            made++;
        }
    }
    sums[id] = h;
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = arg_threads(argc, argv, 2);
    batches = scaled(40000, arg_scale(argc, argv));
    pthread_t t[256];
    for (int i = 0; i < nthreads; i++) {
        pthread_mutex_init(&box[i].lock, NULL);
        pthread_cond_init(&box[i].ready, NULL);
    }
    for (int i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    uint64_t h = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        h += sums[i];
    }
    print_checksum("prodcons", mix(h, (uint64_t)nthreads));
    return 0;
}
