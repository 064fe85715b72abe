// A load from an address where nothing is mapped (16 TiB).
// EXPECT: memboss: ERROR: segv
// EXPECT: READ at
// EXPECT: memboss: END
// EXPECT-NOT: null-dereference
// EXPECT-STATUS: 139
#include <stdint.h>

int main(void)
{
    volatile uintptr_t addr = (uintptr_t)1 << 44;
    return *(volatile int *)addr;
}
