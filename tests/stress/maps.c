/* Limits: the kernel's cap on mappings (vm.max_map_count). The program itself uses up the
 * mappings (one PROT_NONE reservation, every other page of it made readable: each page
 * is a mapping of its own) until mprotect fails, then gives back SPARE of them. Then it
 * allocates BLOCKS blocks of assorted sizes: in check mode with guard_max large, every
 * guarded block costs a mapping, so guarding meets the real limit and must degrade to
 * canaries. Each allocation must return a usable block or fail cleanly (NULL, ENOMEM);
 * nothing may crash. Then the program frees its own mappings: allocation must work again,
 * and every block is checked and freed.
 *
 * `maps strict` also requires every allocation at the limit to succeed: SPARE mappings
 * are enough for the heap to grow (fast mode passes). Check mode does not yet: guarding
 * takes the spare mappings down to none before it degrades, and then the canary blocks'
 * heap cannot grow either, so most allocations fail (cleanly, with ENOMEM). */
#include "stress.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SPARE 400
#define BLOCKS 20000

static size_t count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    size_t n = 0;
    int c;
    if (!f) return 0;
    while ((c = getc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}
static size_t read_limit(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    unsigned long v = 65530;
    if (f) {
        if (fscanf(f, "%lu", &v) != 1) v = 65530;
        fclose(f);
    }
    return v;
}
static size_t size_of(size_t i) { return 16 + (i * 2654435761u) % 3000; }

int main(int argc, char **argv)
{
    int strict = argc > 1 && strcmp(argv[1], "strict") == 0;
    size_t limit = read_limit(), pages = 2 * limit + 16;
    uint8_t *res = mmap(NULL, pages * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(res != MAP_FAILED);
    if (res == MAP_FAILED) return check_done("stress_maps");
    size_t opened = 0;
    int err = 0;
    for (size_t i = 1; i + 1 < pages; i += 2) {
        if (mprotect(res + i * 4096, 4096, PROT_READ) != 0) {
            err = errno;
            break;
        }
        opened = i;
    }
    CHECKF(err == ENOMEM, "mprotect never met the limit of %zu mappings (errno %d)", limit, err);
    /* give back SPARE mappings: closing page i merges it with its neighbours */
    size_t given = 0;
    for (size_t i = opened; given < SPARE / 2 && i >= 1; i -= 2, given++)
        mprotect(res + i * 4096, 4096, PROT_NONE);
    printf("maps: limit %zu, %zu mappings in use after taking them (%zu spare)\n", limit,
           count_maps(), limit - count_maps());
    fflush(stdout);

    static uint8_t *blk[BLOCKS];
    size_t ok = 0, null = 0, unclean = 0, bad = 0;
    for (size_t i = 0; i < BLOCKS; i++) {
        errno = 0;
        blk[i] = malloc(size_of(i));
        if (!blk[i]) {
            null++;
            if (errno != ENOMEM) unclean++;
            continue;
        }
        ok++;
        st_fill(blk[i], size_of(i), i);
    }
    printf("maps: at the limit, %zu blocks allocated, %zu allocations failed\n", ok, null);
    CHECKF(unclean == 0, "%zu failed allocations without ENOMEM", unclean);
    CHECKF(ok > 0, "no allocation succeeded at the limit");
    if (strict) /* with SPARE mappings left, the heap can still grow: canaries, no NULL */
        CHECKF(null == 0, "strict: %zu of %d allocations failed with %d mappings to spare",
               null, BLOCKS, SPARE);
    for (size_t i = 0; i < BLOCKS; i++)
        if (blk[i] && !st_ok(blk[i], size_of(i), i)) bad++;
    CHECKF(bad == 0, "%zu blocks damaged", bad);
    /* free half at the limit (in check mode: guarded ones go to quarantine) */
    for (size_t i = 0; i < BLOCKS; i += 2) {
        free(blk[i]);
        blk[i] = NULL;
    }

    munmap(res, pages * 4096);
    size_t again = 0;
    for (size_t i = 0; i < BLOCKS; i += 2) {
        blk[i] = malloc(size_of(i));
        if (blk[i]) {
            st_fill(blk[i], size_of(i), i);
            again++;
        }
    }
    CHECKF(again == BLOCKS / 2, "after the mappings were freed, %zu of %d allocations failed",
           BLOCKS / 2 - again, BLOCKS / 2);
    for (size_t i = 0; i < BLOCKS; i++)
        if (blk[i]) {
            if (!st_ok(blk[i], size_of(i), i)) bad++;
            free(blk[i]);
        }
    CHECKF(bad == 0, "%zu blocks damaged", bad);
    return check_done("stress_maps");
}
