/* leak.c — the C twin of leak.asm: "If you forget to free, the memory will sit there forever."
 *
 * The post: "Memory leaks (your program slowly eats RAM)".
 * The bug: the program allocates 64 bytes, uses them and returns without calling free.
 * What memboss reports: a leak finding needs the leak check (a scan for blocks that nothing
 * points to any more), which comes in a later version; this one may print nothing for it. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    unsigned long *p = malloc(64);
    if (p == NULL)
        return 0;
    p[0] = 0xDEADBEEF;
    printf("stored 0x%lx, and never freed the block\n", p[0]);
    p = NULL;                               /* BUG: the only copy of the pointer is gone */
    return 0;
}
