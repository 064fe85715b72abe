// A pointer read from a freed node: the list's first node is freed, then its next pointer
// is followed. Without a guard page the read succeeds and returns memboss's freed fill,
// 0xfdfdfdfdfdfdfdfd; following it faults. The report names the freed block it came from.
// RUN-ARGS: --options=guard_max=0:guard_sample=0
// EXPECT: memboss: ERROR: segv
// EXPECT: 0xfdfdfdfdfdfdfdfd is memboss's freed-memory pattern: a pointer was read from a heap block after it was freed
// EXPECT: the 16-byte block at
// EXPECT: , freed; its bytes [0, 16) still hold that pattern
// EXPECT: that block was freed by thread
// EXPECT-ANY: in main+ || in main 
// EXPECT: memboss: END
// EXPECT-STATUS: 139
#include <stdlib.h>

struct node {
    struct node *next;
    long value;
};

int main(void)
{
    struct node *second = calloc(1, sizeof *second);
    struct node *first = malloc(sizeof *first);
    first->next = second;
    first->value = 1;
    free(first);
    long v = first->next->value; // BUG: first was freed
    free(second);
    return (int)v;
}
