// Use after free, write.
// EXPECT: memboss: ERROR: heap-use-after-free
// EXPECT: WRITE at
// EXPECT: 64-byte block
// EXPECT: the block was freed by thread
// EXPECT: memboss: END
// EXPECT-STATUS: 139
#include <stdlib.h>

int main(void)
{
    int *p = malloc(64);
    int *volatile kept = p;
    free(p);
    kept[3] = 42;
    return 0;
}
