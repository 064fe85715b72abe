// Fast mode: a block freed by another thread, then freed again by its owner, is a double
// free: the process stops.
// RUN-ARGS: --mode=fast
// EXPECT: memboss: double free of
// EXPECT: (a 32-byte block, already free)
// EXPECT-STATUS: 134
#include <pthread.h>
#include <stdlib.h>

static void *release(void *p)
{
    free(p);
    return NULL;
}

int main(void)
{
    void *p = malloc(32);
    pthread_t t;
    pthread_create(&t, NULL, release, p);
    pthread_join(t, NULL);
    void *volatile again = p;
    free(again);
    return 0;
}
