// Use after free, read: a one-byte load from a freed block whose value is never used.
// EXPECT: memboss: ERROR: heap-use-after-free
// EXPECT: READ at
// EXPECT: offset 8 of a 64-byte block
// EXPECT: the block was allocated by thread
// EXPECT: the block was freed by thread
// EXPECT: in main
// EXPECT: memboss: END
// EXPECT-NOT: memboss: ERROR: segv
// EXPECT-STATUS: 139
#include <stdlib.h>

int main(void)
{
    char *p = malloc(64);
    char *volatile kept = p;
    free(p);
    (void)*(volatile char *)(kept + 8);
    return 0;
}
