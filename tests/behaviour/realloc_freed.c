// realloc of a freed block; whatever realloc returns is freed.
// EXPECT-ANY: memboss: ERROR: double-free || memboss: ERROR: invalid-realloc
// EXPECT: 64-byte block
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    void *p = malloc(64);
    void *volatile again = p;
    free(p);
    void *q = realloc(again, 128);
    free(q);
    return 0;
}
