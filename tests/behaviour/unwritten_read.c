// --unwritten-reads: a fresh guarded block's pages stay inaccessible until written, so a
// read of a byte never written faults at the instruction and is reported; memboss then
// makes the page readable and the program goes on (reported once per block).
// RUN-ARGS: --unwritten-reads=yes
// EXPECT: memboss: ERROR: uninitialized-read
// EXPECT: READ at
// EXPECT: is at offset 10 of the 64-byte block at
// EXPECT: the block was allocated by thread
// EXPECT: memboss: 1 finding in this process
// EXPECT-STATUS: 1
#include <stdlib.h>

int main(void)
{
    volatile char *p = malloc(64);
    char c = p[10]; // BUG: never written
    char d = p[20]; // the same block: not reported again
    free((void *)p);
    return c == d ? 0 : 3;
}
