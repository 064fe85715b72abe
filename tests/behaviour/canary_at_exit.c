// Overflow of a canary block (guard pages off) that is never freed: found by the canary check
// of live blocks at exit.
// RUN-ARGS: --options=guard_max=0:guard_sample=0
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: 13-byte block
// EXPECT: found at exit
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

char *keep; // still points to the block at exit

int main(void)
{
    keep = malloc(13);
    ((volatile char *)keep)[13] = 'x'; // BUG
    return 0;
}
