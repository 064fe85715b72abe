// Write after free, found when the block leaves quarantine. With guard pages off, a freed
// block is not made inaccessible: the late store succeeds, and the changed fill is found when
// the block leaves the (1 MiB) quarantine, flushed here by 8 MiB of other frees.
// RUN-ARGS: --options=guard_max=0:guard_sample=0 --freelist-vol=1048576
// EXPECT: memboss: ERROR: write-after-free
// EXPECT: 64-byte block
// EXPECT: the block was freed by thread
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    char *p = malloc(64);
    char *volatile stale = p;
    free(p);
    stale[10] = 'x'; // BUG: the block is in quarantine
    for (int i = 0; i < 2048; i++)
        free(malloc(4096));
    return 0;
}
