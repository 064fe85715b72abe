// realloc of a local array.
// EXPECT: memboss: ERROR: invalid-realloc
// EXPECT: on the stack of thread
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    char buf[32] = "on the stack";
    char *volatile p = buf;
    void *q = realloc(p, 64);
    free(q);
    return buf[0] == 0;
}
