/* The only pointer to a block is in memory the program got from mmap. By default that
 * memory is a root (as in Valgrind): the block is still reachable. With
 * leak_scan_mmap=0 it is not, and the block is definitely lost. */
// RUN-ARGS: --show-leak-kinds=all
// EXPECT: 72 bytes in 1 block is still reachable in loss record 1 of 1
// EXPECT: in keep_in_mmap
// EXPECT-STATUS: 0
#include <stdlib.h>
#include <sys/mman.h>

void **area;

static __attribute__((noinline)) void keep_in_mmap(void)
{
    area = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    area[3] = malloc(72);
}

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    keep_in_mmap();
    scrub_stack();
    return 0;
}
