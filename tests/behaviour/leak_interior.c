/* Only a pointer into the middle of a block survives (a global that walked along a
 * buffer): Valgrind calls the block "possibly lost". Not an error by default. */
// EXPECT: memboss: INFO: leak
// EXPECT: 80 bytes in 1 block is possibly lost in loss record 1 of 1
// EXPECT: possibly lost: 80 bytes in 1 block
// EXPECT-NOT: definitely lost in loss record
// EXPECT-NOT: memboss: ERROR
#include <stdlib.h>

char *cursor;

static __attribute__((noinline)) void fill(void)
{
    char *buf = malloc(80);
    for (cursor = buf; cursor < buf + 40; cursor++) *cursor = 'a';
}

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    fill();
    scrub_stack();
    return 0;
}
