/* use_after_free.c — the C twin of use_after_free.asm.
 *
 * The post: "You think you freed memory but then try to access it again."
 * The bug: the program frees its 64-byte block, then reads 8 bytes from it.
 * What memboss reports: a heap-use-after-free READ at offset 0 of the freed 64-byte block,
 * with where it was allocated and freed; the process dies of SIGSEGV (exit status 139). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    unsigned long *p = malloc(64);
    if (p == NULL)
        return 0;
    p[0] = 0xDEADBEEF;
    /* A copy through volatile: the compiler cannot see that the later read uses a freed pointer. */
    unsigned long *volatile kept = p;
    free(p);
    printf("read 0x%lx from a freed block\n", kept[0]);  /* BUG: use after free */
    return 0;
}
