// Underflow: one byte written just before a 32-byte block, then the block is freed.
// EXPECT: memboss: ERROR: heap-buffer-underflow
// EXPECT: 32-byte block
// EXPECT: memboss: END
// EXPECT-STATUS: 1 139
#include <stdlib.h>

int main(void)
{
    char *p = malloc(32);
    char *volatile q = p;
    q[-1] = 'x';
    free(p);
    return 0;
}
