// Correct program (no finding) under --unwritten-reads and --report-unwritten: every byte
// read was written first; calloc'd bytes count as written; realloc growth keeps the
// written bytes and leaves the new tail unwritten; stdio buffers work (written first).
// RUN-ARGS: --unwritten-reads=yes --report-unwritten=yes
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char *p = malloc(64);
    strcpy(p, "hello");
    int *z = calloc(100, sizeof *z);
    long sum = z[50] + p[0];
    char *big = malloc(3 * 4096 + 100);
    for (size_t i = 0; i < 3 * 4096 + 100; i += 4096) big[i] = (char)i;
    big = realloc(big, 8 * 4096); // the pages never written stay unwritten
    big[6 * 4096] = 1;
    sum += big[0] + big[4096] + big[6 * 4096];
    p = realloc(p, 200);
    sum += (long)strlen(p);
    printf("%s %ld\n", p, sum);
    free(p);
    free(z);
    free(big);
    return sum == 'h' + 4096 % 256 + 1 + 5 ? 0 : 3;
}
