// Use after realloc: the old pointer is written after realloc moved the block.
// EXPECT: memboss: ERROR: heap-use-after-free
// EXPECT: WRITE at
// EXPECT: 64-byte block
// EXPECT: memboss: END
// EXPECT-STATUS: 139
#include <stdlib.h>

int main(void)
{
    char *p = malloc(64);
    char *volatile old = p;
    char *q = realloc(p, 4096);
    old[0] = 'x';
    free(q);
    return 0;
}
