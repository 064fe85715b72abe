/* Use after free inside the C library: strlen of a freed string faults in strlen, which
 * keeps no frame pointer and has pushed nothing, so the frame-pointer chain starts at
 * measure's caller. The return address on top of the stack gives measure back, once. */
// EXPECT: memboss: ERROR: heap-use-after-free
// EXPECT: READ at
// EXPECT: #1
// EXPECT-ANY: in measure+ || in measure 
// EXPECT-ANY: in main+ || in main 
// EXPECT-NOT: (unknown module)
// EXPECT-STATUS: 139
#include <stdlib.h>
#include <string.h>

size_t volatile result;

static __attribute__((noinline)) void measure(const char *s)
{
    result = strlen(s);
}

int main(void)
{
    char *p = malloc(64);
    memset(p, 'a', 63);
    p[63] = 0;
    char *volatile kept = p;
    free(p);
    measure(kept);
    return 0;
}
