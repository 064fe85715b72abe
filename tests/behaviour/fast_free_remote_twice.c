// Fast mode: a thread that frees another thread's block twice, living on between the two
// frees, stops at the second free (remote frees are gathered before they are published).
// RUN-ARGS: --mode=fast
// EXPECT: memboss: double free of
// EXPECT: (a 48-byte block, already free)
// EXPECT-STATUS: 134
#include <pthread.h>
#include <stdlib.h>

static void *release(void *p)
{
    free(malloc(16)); /* this thread has a heap of its own: its frees of p are remote */
    free(p);
    void *volatile again = p;
    free(again);
    return NULL;
}

int main(void)
{
    void *p = malloc(48);
    pthread_t t;
    pthread_create(&t, NULL, release, p);
    pthread_join(t, NULL);
    return 0;
}
