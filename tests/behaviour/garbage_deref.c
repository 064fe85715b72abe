// A pointer field of a fresh, never written malloc'd structure is followed. In check mode
// the block holds 0xbe bytes: the pointer is 0xbebebebebebebebe, non-canonical.
// EXPECT: memboss: ERROR: segv
// EXPECT: 0xbebebebebebebebe
// EXPECT: memboss: END
// EXPECT-NOT: null-dereference
// EXPECT-STATUS: 139
#include <stdlib.h>

struct node {
    struct node *next;
    long value[7];
};

int main(void)
{
    struct node *volatile n = malloc(sizeof *n);
    long v = n->next->value[0];
    free(n);
    return (int)v;
}
