// Write after free into a block the quarantine's ring moved. 1 MiB of quarantine, first
// full of 64000-byte blocks (16 fit), then of 16-byte ones (48 bytes each against the
// limit), so the ring wraps around its first 1024 entries, and grows when it is full,
// while about 15 large blocks still wait: the small blocks freed 984th to 1008th are then
// moved. The written block is the 996th. Found at exit, which reads the grown ring.
// RUN-ARGS: --options=guard_max=0:guard_sample=0 --freelist-vol=1m
// EXPECT: memboss: ERROR: write-after-free
// EXPECT: a 16-byte block at
// EXPECT: bytes [3, 4) changed while it waited in quarantine
// EXPECT: found at exit, while the block was still in quarantine
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    for (int i = 0; i < 40; i++)
        free(malloc(64000));
    char *volatile stale = NULL;
    for (int i = 0; i < 1200; i++) {
        char *p = malloc(16);
        free(p);
        if (i == 996) stale = p;
    }
    stale[3] = 'x'; // BUG: the block is still in quarantine
    return 0;
}
