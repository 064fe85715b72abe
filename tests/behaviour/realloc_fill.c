// Correct program (no finding): realloc's new tail is filled with memboss's fresh pattern,
// 0xbe, like a fresh block; the old bytes are kept. Exits 3 when not (guarded blocks here;
// realloc_fill_canary.c runs the same with canary blocks).
#include <stdlib.h>
#include <string.h>

int main(void)
{
    int bad = 0;
    unsigned char *p = malloc(10);
    memset(p, 1, 10);
    for (size_t n = 100; n <= 100000; n *= 10) {
        size_t old = n == 100 ? 10 : n / 10;
        p = realloc(p, n);
        for (size_t i = 0; i < n; i++)
            if (p[i] != (i < old ? 1 : 0xbe)) bad = 1;
        memset(p + old, 1, n - old);
    }
    free(p);
    return bad ? 3 : 0;
}
