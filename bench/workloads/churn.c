/* churn: a server-like churn of many threads freeing each other's blocks. There are
 * THREADS tables of 2000 live blocks (8..400 bytes). In each round every thread works
 * on one table, replacing random blocks (free one, allocate another of a random size);
 * between rounds the tables move on to the next thread, so each thread frees blocks that
 * other threads allocated, the way a server's worker inherits the objects a previous
 * worker left. Each table carries its own random state, so the checksum does not depend
 * on which thread ran it. Modelled on the classic multi-threaded server-simulation
 * benchmark. Work per thread is fixed (weak scaling). */
#include "common.h"
#include <pthread.h>

#define SLOTS 2000

struct table {
    uint64_t rng, sum;
    unsigned *blk[SLOTS];
};

static struct table *tables;
static int nthreads;
static long rounds, steps;
static pthread_barrier_t turn;

static void work(struct table *t)
{
    for (long i = 0; i < steps; i++) {
        uint64_t r = rng_next(&t->rng);
        unsigned k = (unsigned)(r >> 40) % SLOTS;
        if (t->blk[k]) {
            t->sum += t->blk[k][0];
            free(t->blk[k]);
        }
        size_t size = 8 + (size_t)(r % 393);
        t->blk[k] = xmalloc(size);
        t->blk[k][0] = (unsigned)(r >> 16);
    }
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (long r = 0; r < rounds; r++) {
        work(&tables[(id + r) % nthreads]);
        pthread_barrier_wait(&turn);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = arg_threads(argc, argv, 2);
    rounds = 100;
    steps = scaled(160000, arg_scale(argc, argv));
    tables = xmalloc(sizeof *tables * (size_t)nthreads);
    for (int i = 0; i < nthreads; i++) {
        tables[i].rng = rng_seed((uint64_t)i + 100);
        tables[i].sum = 0;
        for (int k = 0; k < SLOTS; k++) tables[i].blk[k] = NULL;
    }
    pthread_barrier_init(&turn, NULL, (unsigned)nthreads);
    pthread_t t[256];
    for (int i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    uint64_t h = 0;
    for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < nthreads; i++) {
        for (int k = 0; k < SLOTS; k++) free(tables[i].blk[k]);
        h = mix(h, tables[i].sum);
    }
    free(tables);
    print_checksum("churn", h);
    return 0;
}
