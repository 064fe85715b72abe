/* Stress: N live blocks at once (argv[1], default ten million), 16 to 64 bytes each, every
 * byte written; all checked while all are live, then freed in an interleaved order (every
 * seventh, then the rest) with a second check of those still live halfway. The pointer
 * table is mmap'd, not malloc'd. */
#include "stress.h"

#include <stdlib.h>
#include <sys/mman.h>

static size_t size_of(size_t i) { return 16 + (i * 7919) % 49; }
static uint64_t tag_of(size_t i) { return 0x11fe0000000000ull ^ i; }

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 0) : 10000000;
    uint8_t **p = mmap(NULL, n * sizeof *p, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED) return check_done("stress_live");
    size_t null = 0, bad = 0, misaligned = 0, dup = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = malloc(size_of(i));
        if (!p[i]) {
            null++;
            continue;
        }
        if ((uintptr_t)p[i] & 7) misaligned++;
        st_fill(p[i], size_of(i), tag_of(i));
    }
    CHECKF(null == 0, "%zu of %zu allocations returned NULL", null, n);
    CHECKF(misaligned == 0, "%zu blocks not 8-byte aligned", misaligned);
    for (size_t i = 0; i < n; i++)
        if (p[i] && !st_ok(p[i], size_of(i), tag_of(i))) bad++;
    CHECKF(bad == 0, "%zu of %zu live blocks damaged", bad, n);
    /* free every seventh block; rewrite the rest with another pattern, checking that the
     * previous block survived its neighbour's rewrite (blocks must not overlap) */
    for (size_t i = 0; i < n; i += 7)
        if (p[i]) {
            if (!st_ok(p[i], size_of(i), tag_of(i))) bad++;
            free(p[i]);
            p[i] = NULL;
        }
    for (size_t i = 0; i < n; i++)
        if (p[i]) {
            st_fill(p[i], size_of(i), ~tag_of(i));
            if (i && p[i - 1] && !st_ok(p[i - 1], size_of(i - 1), ~tag_of(i - 1))) dup++;
        }
    for (size_t i = 0; i < n; i++)
        if (p[i]) {
            if (!st_ok(p[i], size_of(i), ~tag_of(i))) bad++;
            free(p[i]);
        }
    CHECKF(bad == 0, "%zu blocks damaged after the first frees", bad);
    CHECKF(dup == 0, "%zu blocks overwritten by a neighbour", dup);
    munmap(p, n * sizeof *p);
    /* the heap still works */
    void *q = malloc(40);
    CHECK(q != NULL);
    free(q);
    printf("live: %zu blocks of 16..64 bytes\n", n);
    return check_done("stress_live");
}
