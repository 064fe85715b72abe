// Fast mode: realloc of a freed block stops the process (it would otherwise copy from, and
// free again, a block that may belong to someone else by now).
// RUN-ARGS: --mode=fast
// EXPECT: memboss: realloc of
// EXPECT: (a 112-byte block, already free)
// EXPECT-STATUS: 134
#include <stdlib.h>

int main(void)
{
    char *p = malloc(100);
    char *volatile again = p;
    free(p);
    p = realloc(again, 200);
    return p != NULL;
}
