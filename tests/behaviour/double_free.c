// Double free: reported, the second free ignored, the program goes on.
// EXPECT: memboss: ERROR: double-free
// EXPECT: 64-byte block
// EXPECT: the block was allocated by thread
// EXPECT: the block was freed by thread
// EXPECT: memboss: END
// EXPECT: in this process
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    void *p = malloc(64);
    void *volatile again = p;
    free(p);
    free(again);
    return 0;
}
