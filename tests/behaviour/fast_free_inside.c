// Fast mode: free of a pointer inside a block, and of a misaligned one, is an invalid
// free: the process stops at the first.
// RUN-ARGS: --mode=fast
// EXPECT: memboss: invalid free of
// EXPECT: (17 bytes inside a 64-byte block at
// EXPECT-STATUS: 134
#include <stdlib.h>

int main(void)
{
    char *p = malloc(64);
    char *volatile inside = p + 17;
    free(inside);
    free(p);
    return 0;
}
