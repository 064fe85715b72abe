// Read one byte past the end of a 4096-byte block (an off-by-one loop bound).
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: READ at
// EXPECT: 0 bytes after the end of a 4096-byte block
// EXPECT: memboss: END
// EXPECT-STATUS: 139
#include <stdlib.h>
#include <string.h>

int main(void)
{
    volatile size_t n = 4096;
    unsigned char *p = malloc(n);
    memset(p, 1, n);
    unsigned sum = 0;
    for (size_t i = 0; i <= n; i++) // BUG: <= reads p[4096]
        sum += ((volatile unsigned char *)p)[i];
    free(p);
    return sum == 12345;
}
