// free of a pointer 8 bytes inside a 64-byte block; the block is then freed correctly.
// EXPECT: memboss: ERROR: invalid-free
// EXPECT: 8 bytes inside a 64-byte block
// EXPECT: memboss ignored this free.
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    char *p = malloc(64);
    char *volatile inside = p + 8;
    free(inside);
    free(p);
    return 0;
}
