// One byte written just past the end of a 13-byte block, then the block is freed: caught at
// the store (guard page) or at free (canary).
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: 13-byte block
// EXPECT: memboss: END
// EXPECT-STATUS: 1 139
#include <stdlib.h>

int main(void)
{
    char *p = malloc(13);
    ((volatile char *)p)[13] = 'x';
    free(p);
    return 0;
}
