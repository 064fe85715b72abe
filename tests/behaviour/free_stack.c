// free of a local array.
// EXPECT: memboss: ERROR: invalid-free
// EXPECT: which malloc never returned
// EXPECT: on the stack of thread
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    char buf[32] = "on the stack";
    char *volatile p = buf;
    free(p);
    return buf[0] == 0;
}
