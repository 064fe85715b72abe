/* garbage.c — the C twin of garbage.asm: "Always initialize memory before use."
 *
 * The post: "Garbage values (leftover junk in memory causing weird bugs)".
 * The bug: a 64-byte node is allocated but its `name` pointer is never set; the program prints
 * the junk it holds, then follows it.
 * What memboss reports: in check mode every fresh block is filled with 0xbe bytes, so the
 * program prints 0xbebebebebebebebe, and the read through that non-canonical address faults at
 * once: memboss reports a segv, points at the register holding 0xbebebebebebebebe as its fill
 * of never-written heap memory, and the process dies of SIGSEGV (exit status 139). */
#include <stdio.h>
#include <stdlib.h>

struct node {
    const char *name;
    long value[7];
};

int main(void)
{
    struct node *n = malloc(sizeof *n);     /* 64 bytes, never initialized */
    if (n == NULL)
        return 0;
    /* BUG: n->name was never written. The copy through a volatile pointer makes the compiler
     * really load it (and keeps its may-be-uninitialized warning for code that is not a demo). */
    struct node *volatile node = n;
    const char *name = node->name;
    printf("the uninitialized name pointer holds %p\n", (void *)name);
    fflush(stdout);                         /* show it before the crash */
    printf("its first character is %c\n", name[0]);
    free(n);
    return 0;
}
