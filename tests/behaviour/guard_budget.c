/* Thirty thousand live blocks, all asked to be guarded (--guard-max=100000): each would
 * cost two kernel mappings, more than the kernel allows. memboss must say once that the
 * rest get canaries only, keep running, and still report an overflow of a late block. */
// RUN-ARGS: --guard-max=100000
// EXPECT: memboss: note:
// EXPECT: canaries only
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: found at free
// EXPECT: 24-byte block
// EXPECT-STATUS: 1
#include <stdio.h>
#include <stdlib.h>

#define N 30000

int main(void)
{
    static char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(24);
        if (!blocks[i]) return 2;
        blocks[i][0] = (char)i;
    }
    blocks[N - 1][24] = 'x'; /* one past the end of a late, unguarded block */
    for (int i = 0; i < N; i++) free(blocks[i]);
    puts("done");
    return 0;
}
