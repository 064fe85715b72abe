/* null_write.c — the C twin of null_write.asm: malloc can fail, and then it returns NULL.
 *
 * The post: "Never access memory you didn't allocate (Segfault)".
 * The bug: the program asks for more memory than any machine has (2^62 bytes), does not check
 * the result, and stores through the NULL pointer.
 * What memboss reports: a null-dereference (a WRITE in the first page of the address space),
 * then the program dies of SIGSEGV as it would without memboss (exit status 139). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    volatile size_t huge = (size_t)1 << 62;  /* 4 EiB: malloc returns NULL */
    unsigned long *p = malloc(huge);
    p[0] = 0xDEADBEEF;                      /* BUG: p was never checked against NULL */
    printf("stored 0x%lx\n", p[0]);
    free(p);
    return 0;
}
