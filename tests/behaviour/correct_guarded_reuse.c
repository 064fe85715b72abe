// Correct program (no finding): every block guarded, in a 1 MiB quarantine, so the runs of
// freed blocks come back for new ones while they still hold the old bytes (a freed run of
// a few pages keeps its pages, PROT_NONE). calloc must still return zeroes, and malloc'd
// bytes must not read as the last block's. Exits 2 when a result is wrong; memboss must
// stay silent (no canary of a reused run may look changed) and the status must be 0.
// RUN-ARGS: --guard-max=1000000 --freelist-vol=1m
#include <stdlib.h>
#include <string.h>

int main(void)
{
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + (size_t)(round * 37) % 9000; /* one to three pages */
        unsigned char *p = malloc(n);
        if (!p) return 2;
        for (size_t i = 0; i < n; i++)
            if (p[i] == 0x5a) return 2; /* the previous block's bytes */
        memset(p, 0x5a, n);
        free(p);
        unsigned char *z = calloc(1, n);
        if (!z) return 2;
        for (size_t i = 0; i < n; i++)
            if (z[i]) return 2;
        memset(z, 0x5a, n);
        free(z);
    }
    return 0;
}
