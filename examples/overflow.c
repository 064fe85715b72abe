/* overflow.c — the C twin of overflow.asm: "you forgot to allocate enough memory".
 *
 * The post: malloc(2), then an 8-byte store of 0x1122334455667788: buffer overflow.
 * The bug: 8 bytes written into a 2-byte block, 6 of them past its end. Without memboss the
 * program usually runs to completion "with corrupted memory", as the post warns.
 * What memboss reports: a heap-buffer-overflow WRITE just after the end of the 2-byte block,
 * at the faulting instruction; the process dies of SIGSEGV (exit status 139). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    void *p = malloc(2);                    /* only 2 bytes! */
    if (p == NULL)
        return 0;
    /* BUG: an 8-byte store. volatile: the compiler emits it as written. */
    volatile uint64_t *q = p;
    *q = 0x1122334455667788;
    printf("stored 0x%llx into a 2-byte block, and nothing complained\n",
           (unsigned long long)*q);
    free(p);
    return 0;
}
