/* --show-leak-kinds=all shows still-reachable blocks too; --errors-for-leak-kinds=definite
 * makes only definitely lost blocks count: the indirectly lost one is shown, not counted. */
// RUN-ARGS: --show-leak-kinds=all --errors-for-leak-kinds=definite
// EXPECT: 48 (16 direct, 32 indirect) bytes in 1 block is definitely lost in loss record 1 of 3
// EXPECT: 32 bytes in 1 block is indirectly lost in loss record 2 of 3
// EXPECT: 200 bytes in 1 block is still reachable in loss record 3 of 3
// EXPECT: memboss: 1 finding in this process
// EXPECT-STATUS: 1
#include <stdlib.h>

void *global;

static __attribute__((noinline)) void lose(void)
{
    void **head = malloc(16);
    *head = malloc(32);
}

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    global = malloc(200);
    lose();
    scrub_stack();
    return 0;
}
