/* A leak and a double free in a program with memboss linked in: the findings end the
 * process with status 1 (option exitcode), and what it printed on stdout is still flushed. */
// LINK: static
// EXPECT: memboss: ERROR: double-free
// EXPECT: memboss: ERROR: leak
// EXPECT: 48 bytes in 1 block is definitely lost
// EXPECT: memboss: 2 findings in this process
// EXPECT-STATUS: 1
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    char *p = malloc(16);
    free(p);
    free(p);
    void *volatile lost = malloc(48);
    lost = NULL;
    printf("stdout is flushed\n");
    return 0;
}
