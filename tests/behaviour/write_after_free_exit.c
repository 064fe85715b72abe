// Write after free into a canary block that is still in quarantine when the program exits:
// found by the exit check of the freed fill.
// RUN-ARGS: --options=guard_max=0:guard_sample=0
// EXPECT: memboss: ERROR: write-after-free
// EXPECT: a 64-byte block at
// EXPECT: bytes [10, 11) changed while it waited in quarantine
// EXPECT: found at exit, while the block was still in quarantine
// EXPECT: the block was freed by thread
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    char *p = malloc(64);
    char *volatile stale = p;
    free(p);
    stale[10] = 'x'; // BUG: the block is in quarantine until the end
    return 0;
}
