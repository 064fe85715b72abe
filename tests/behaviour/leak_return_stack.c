/* A correct program that returns from main: the blocks it keeps in globals are still
 * reachable, which is not an error, and are not shown by default. A block main forgot is
 * lost even though a stale copy of its address may remain in main's dead frame. */
// EXPECT: 24 bytes in 1 block is definitely lost
// EXPECT-NOT: 1000 bytes in 1 block is
// EXPECT: still reachable: 1000 bytes in 1 block
// EXPECT-STATUS: 1
#include <stdlib.h>
#include <string.h>

char *table;

int main(void)
{
    table = malloc(1000);
    memset(table, 0, 1000);
    char *volatile forgotten = malloc(24);
    forgotten[0] = 1;
    return 0;
}
