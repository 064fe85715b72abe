/* correct.c — the C twin of correct.asm: the post's "Managing Memory Manually", done right.
 *
 * The post: allocate with malloc, store with mov, release with free.
 * This program: allocates 64 bytes, stores 0xDEADBEEF, reads it back, prints it, frees the
 * block. It has no bug: memboss prints nothing and the exit status is 0. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    unsigned long *p = malloc(64);          /* allocate 64 bytes */
    if (p == NULL) {
        puts("out of memory");
        return 1;
    }
    p[0] = 0xDEADBEEF;                      /* store */
    printf("stored and read back 0x%lx\n", p[0]);
    free(p);                                /* give it back */
    return 0;
}
