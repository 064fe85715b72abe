/* double_free.c — the C twin of double_free.asm: free each block once.
 *
 * The post: "you have to allocate memory, write to memory and MUST free it all manually."
 * The bug: the program frees the same 64-byte block twice. Without memboss glibc may notice and
 * abort, or the heap is silently corrupted (the block can be handed out twice).
 * What memboss reports: a double-free naming the 64-byte block, where it was allocated and
 * where it was first freed; memboss ignores the second free, the program finishes, and the
 * exit status is 1 because there was a finding. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    void *p = malloc(64);
    if (p == NULL)
        return 0;
    void *volatile again = p;               /* hides the second free from the compiler's check */
    free(p);
    free(again);                            /* BUG: the block is already free */
    puts("freed the block twice");
    return 0;
}
