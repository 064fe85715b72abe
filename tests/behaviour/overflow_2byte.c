// The post's overflow: malloc(2), then an 8-byte store.
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: WRITE at
// EXPECT: 2-byte block
// EXPECT: in main
// EXPECT: memboss: END
// EXPECT-STATUS: 139
#include <stdint.h>
#include <stdlib.h>

int main(void)
{
    void *p = malloc(2);
    *(volatile uint64_t *)p = 0x1122334455667788;
    free(p);
    return 0;
}
