// --report-unwritten: a block freed without ever being written is reported; a block that
// was written, and a calloc'd one, are not.
// RUN-ARGS: --report-unwritten=yes
// EXPECT: memboss: ERROR: unwritten-block
// EXPECT: a 64-byte block at
// EXPECT: was freed without ever being written
// EXPECT: the block was freed by thread
// EXPECT: the block was allocated by thread
// EXPECT: memboss: 1 finding in this process
// EXPECT-NOT: 32-byte block
// EXPECT-NOT: 48-byte block
// EXPECT-STATUS: 1
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *unused = malloc(64);  // BUG: never written
    char *used = malloc(32);
    memset(used, 0, 32);
    char *zeroed = calloc(1, 48);
    free(unused);
    free(used);
    free(zeroed);
    return 0;
}
