/* --report-unwritten=yes on a correct program that grows a buffer with realloc before it
 * writes to it: not a finding. The block is written after the last realloc. */
// RUN-ARGS: --report-unwritten=yes
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *buf = malloc(10);
    buf = realloc(buf, 100);
    buf = realloc(buf, 5000);
    memset(buf, 'x', 5000);
    free(buf);
    return 0;
}
