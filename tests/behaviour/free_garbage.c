// free of a garbage pointer value.
// EXPECT: memboss: ERROR: invalid-free
// EXPECT: 0x1234
// EXPECT: memboss: END
// EXPECT-NOT: null-dereference
// EXPECT-STATUS: 1
#include <stdint.h>
#include <stdlib.h>

int main(void)
{
    volatile uintptr_t junk = 0x1234;
    free((void *)junk);
    return 0;
}
