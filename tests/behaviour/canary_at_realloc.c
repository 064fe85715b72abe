// Overflow of a canary block (guard pages off) found when the block is passed to realloc.
// RUN-ARGS: --options=guard_max=0:guard_sample=0
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: 13-byte block
// EXPECT: found at realloc
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    char *p = malloc(13);
    ((volatile char *)p)[14] = 'x'; // BUG
    p = realloc(p, 100);
    free(p);
    return 0;
}
