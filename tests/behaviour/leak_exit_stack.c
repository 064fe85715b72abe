/* The only pointer to a block is a local of main when main calls exit(): memboss treats the
 * frame that called exit() as dead (LeakSanitizer would call the block reachable). */
// EXPECT: memboss: ERROR: leak
// EXPECT: 64 bytes in 1 block is definitely lost in loss record 1 of 1
// EXPECT: in main
// EXPECT-STATUS: 1
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *volatile kept = malloc(64); /* on main's stack until the end */
    kept[0] = 'x';
    printf("exiting with the block still in a local\n");
    exit(0);
}
