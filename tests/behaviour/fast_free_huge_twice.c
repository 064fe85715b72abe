// Fast mode: a huge block (its own mapping) freed twice, and realloc of it afterwards:
// the second free stops the process.
// RUN-ARGS: --mode=fast
// EXPECT: memboss: double free of
// EXPECT: (a 1048576-byte block, already free)
// EXPECT-STATUS: 134
#include <stdlib.h>

int main(void)
{
    void *p = malloc(1 << 20);
    void *volatile again = p;
    free(p);
    free(again);
    return 0;
}
