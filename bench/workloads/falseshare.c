/* falseshare: false sharing between threads' small objects. THREADS threads each
 * allocate a small object (8..32 bytes), write into it many times, and free it, over and
 * over; an allocator that hands neighbouring bytes of one cache line to different threads
 * makes those writes fight over the line (active false sharing). Then the passive case:
 * the main thread allocates one small object per thread and hands it over; each thread
 * frees it first, and an allocator that recycles it into that thread puts the threads'
 * next objects back on the main thread's cache lines. Modelled on the classic cache-
 * thrash and cache-scratch tests. */
#include "common.h"
#include <pthread.h>

static long iters, writes;
static uint64_t sums[256];
static unsigned char *given[256];

static uint64_t hammer(int id)
{
    uint64_t h = 0;
    for (long i = 0; i < iters; i++) {
        size_t size = 8 + (size_t)((i + id) % 25);
        unsigned char *volatile p = xmalloc(size);
        for (size_t k = 0; k < size; k++) p[k] = (unsigned char)k;
        for (long w = 0; w < writes; w++) p[w % size] = (unsigned char)(p[w % size] + w);
        h += p[0];
        free(p);
    }
    return h;
}

static void *thrash(void *arg)
{
    int id = (int)(intptr_t)arg;
    sums[id] += hammer(id);
    return NULL;
}

static void *scratch(void *arg)
{
    int id = (int)(intptr_t)arg;
    sums[id] += given[id][0];
    free(given[id]);
    sums[id] += hammer(id);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = arg_threads(argc, argv, 2);
    double scale = arg_scale(argc, argv);
    iters = scaled(500000, scale);
    writes = 200;
    pthread_t t[256];
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, thrash, (void *)(intptr_t)i);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < n; i++) {
        given[i] = xmalloc(8);
        given[i][0] = (unsigned char)(i + 1);
    }
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, scratch, (void *)(intptr_t)i);
    uint64_t h = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        h = mix(h, sums[i]);
    }
    print_checksum("falseshare", h);
    return 0;
}
