/* Memory goes back to the OS after a large free: the resident set size (/proc/self/statm)
 * is measured after 256 MiB of blocks are written and again after they are all freed, for
 * huge blocks (1 MiB), for mid-size blocks (64 KiB and 16 KiB, in fast-heap pages) and
 * for small blocks (64 bytes). memboss unmaps freed huge blocks beyond a small cache and
 * discards emptied pages; check mode also keeps up to quarantine_size_mb of freed blocks.
 * The drop must be at least DROP_PERCENT of what the blocks added. The pointer table is
 * mmap'd, not malloc'd. */
#include "stress.h"

#include <stdlib.h>
#include <sys/mman.h>

#define TOTAL (256 * MiB)
#define DROP_PERCENT 50

static void phase(const char *name, size_t bsize)
{
    size_t n = TOTAL / bsize;
    uint8_t **p = mmap(NULL, n * sizeof *p, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    memset(p, 0, n * sizeof *p); /* resident before the first measure */
    size_t before = st_statm(1), null = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = malloc(bsize);
        if (!p[i]) {
            null++;
            continue;
        }
        memset(p[i], (int)(i & 255) | 1, bsize);
    }
    size_t full = st_statm(1);
    for (size_t i = 0; i < n; i++) {
        if (!p[i]) continue;
        if (p[i][0] != ((int)(i & 255) | 1) || p[i][bsize - 1] != ((int)(i & 255) | 1)) bad++;
        free(p[i]);
    }
    size_t after = st_statm(1);
    munmap(p, n * sizeof *p);
    size_t grew = full > before ? full - before : 0;
    size_t dropped = full > after ? full - after : 0;
    printf("rss %s: %zu blocks of %zu bytes: resident %zu MiB, %zu MiB full, %zu MiB after free "
           "(dropped %zu of %zu MiB)\n",
           name, n, bsize, before / MiB, full / MiB, after / MiB, dropped / MiB, grew / MiB);
    CHECKF(null == 0, "%s: %zu allocations returned NULL", name, null);
    CHECKF(bad == 0, "%s: %zu blocks damaged", name, bad);
    CHECKF(grew >= TOTAL / 2, "%s: writing %zu MiB of blocks added only %zu MiB resident", name,
           TOTAL / MiB, grew / MiB);
    CHECKF(dropped * 100 >= grew * DROP_PERCENT,
           "%s: freeing them gave back only %zu of %zu MiB (less than %d%%)", name,
           dropped / MiB, grew / MiB, DROP_PERCENT);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    if (!only || strcmp(only, "huge") == 0) phase("huge", MiB);
    if (!only || strcmp(only, "64k") == 0) phase("64k", 64 * KiB);
    if (!only || strcmp(only, "16k") == 0) phase("16k", 16 * KiB);
    if (!only || strcmp(only, "small") == 0) phase("small", 64);
    return check_done("stress_rss");
}
