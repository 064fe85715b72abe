/* A linked list of four nodes whose head pointer is lost: the head is definitely lost,
 * the three nodes reachable only through it are indirectly lost. A block still pointed to
 * from a global is still reachable: counted in the summary, not shown by default. */
// EXPECT: memboss: ERROR: leak
// EXPECT: 128 (32 direct, 96 indirect) bytes in 1 block is definitely lost
// EXPECT: 96 bytes in 3 blocks are indirectly lost
// EXPECT: leak summary: definitely lost: 32 bytes in 1 block; indirectly lost: 96 bytes in 3 blocks; possibly lost: 0 bytes in 0 blocks; still reachable: 100 bytes in 1 block
// EXPECT-NOT: 100 bytes in 1 block is
// EXPECT-STATUS: 1
#include <stdlib.h>

struct node {
    struct node *next;
    char payload[24];
};

void *keep; /* a root: what it points to is reachable */

static __attribute__((noinline)) void make_list(void)
{
    struct node *head = NULL;
    for (int i = 0; i < 4; i++) {
        struct node *n = malloc(sizeof *n);
        n->next = head;
        head = n;
    }
    /* head goes out of scope here */
}

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    keep = malloc(100);
    make_list();
    scrub_stack();
    return 0;
}
