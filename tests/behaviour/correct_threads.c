// Correct program (no finding): threads allocate blocks that other threads free, the main
// thread frees blocks of threads that have exited, and every thread also allocates and frees
// its own. memboss must stay silent and the status must be 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 8, PER_THREAD = 2000 };

static void *made[THREADS][PER_THREAD];
static void *leftover[THREADS];
static pthread_barrier_t made_all;
static int bad;

static void *worker(void *arg)
{
    int me = (int)(long)arg;
    // Allocate blocks for others to free.
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = (size_t)(i % 200) * 8 + 8;
        made[me][i] = malloc(n);
        memset(made[me][i], me, n);
    }
    leftover[me] = malloc(100); // freed by main after this thread exited
    pthread_barrier_wait(&made_all);
    // Free the blocks the next thread made, checking their contents first.
    int other = (me + 1) % THREADS;
    for (int i = 0; i < PER_THREAD; i++) {
        unsigned char *p = made[other][i];
        if (p[0] != other)
            __atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
        free(p);
    }
    // Some private churn.
    for (int i = 0; i < 1000; i++) {
        char *p = malloc((size_t)(i % 64) + 1);
        p[0] = 1;
        free(p);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    pthread_barrier_init(&made_all, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 3;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&made_all);
    for (int i = 0; i < THREADS; i++)
        free(leftover[i]);
    if (bad)
        puts("wrong: a block's contents changed");
    return bad ? 2 : 0;
}
