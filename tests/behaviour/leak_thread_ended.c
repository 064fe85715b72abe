/* Threads that leak a block each and end; main joins them. glibc keeps their stacks mapped
 * for reuse, with the dead workers' locals still in them: those are not roots, so the three
 * blocks are definitely lost (as Valgrind says). The loader's blocks for the kept stacks'
 * TLS stay reachable. */
// EXPECT: 600 bytes in 3 blocks are definitely lost in loss record 1 of 1
// EXPECT: in worker
// EXPECT-NOT: possibly lost in loss record
// EXPECT-STATUS: 1
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *worker(void *arg)
{
    char *volatile note = malloc(200); /* the only pointer: a local of a thread that ends */
    snprintf(note, 200, "worker %d", *(int *)arg);
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    int ids[3];
    for (int i = 0; i < 3; i++) {
        ids[i] = i;
        pthread_create(&t[i], NULL, worker, &ids[i]);
    }
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    return 0;
}
