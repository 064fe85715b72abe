// Overflow into the slack of a canary block (guard pages off): 3 bytes written past a 13-byte
// block are found when the block is freed.
// RUN-ARGS: --options=guard_max=0:guard_sample=0
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: 13-byte block
// EXPECT: found at free
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *p = malloc(13);
    memcpy(p, "0123456789abcdef", 16); // BUG: 16 bytes into 13
    free(p);
    return 0;
}
