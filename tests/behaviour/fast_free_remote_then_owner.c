// Fast mode: a block freed by another thread, which lives on, then freed again by its
// owner: the process stops, at the latest when the other thread's free is published (here
// when it exits), since the block is no longer allocated then.
// RUN-ARGS: --mode=fast
// EXPECT: memboss: double free of
// EXPECT: (a 64-byte block, already free)
// EXPECT-STATUS: 134
#include <pthread.h>
#include <stdlib.h>

static pthread_barrier_t step;

static void *release(void *p)
{
    free(malloc(16)); /* this thread has a heap of its own: its free of p is remote */
    free(p);
    pthread_barrier_wait(&step); /* main frees p again */
    pthread_barrier_wait(&step);
    return NULL;
}

int main(void)
{
    void *p = malloc(64);
    pthread_t t;
    pthread_barrier_init(&step, NULL, 2);
    pthread_create(&t, NULL, release, p);
    pthread_barrier_wait(&step);
    void *volatile again = p;
    free(again);
    pthread_barrier_wait(&step);
    pthread_join(t, NULL);
    return 0;
}
