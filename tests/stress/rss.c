/* Memory goes back to the OS after a large free: the resident set size (/proc/self/statm)
 * is measured after 256 MiB of blocks are written and again after they are all freed, for
 * huge blocks (1 MiB), for mid-size blocks (64 KiB and 16 KiB, in fast-heap pages) and
 * for small blocks (64 bytes). memboss unmaps freed huge blocks beyond a small cache and
 * discards emptied pages; check mode also keeps up to quarantine_size_mb of freed blocks.
 * The drop must be at least DROP_PERCENT of what the blocks added. The pointer table is
 * mmap'd, not malloc'd.
 * Then (`remote`) memory freed by another thread comes back to the thread that allocated
 * it while both live on: 256 MiB of 64-byte blocks, allocated in rounds by one thread and
 * freed by the main thread, may add at most a quarter of that to the resident set (not
 * checked in check mode, whose quarantine keeps freed blocks on purpose). */
#include "stress.h"

#include <pthread.h>
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

#define ROUNDS 128
#define ROUND_BLOCKS (TOTAL / ROUNDS / 64)
static uint8_t **round_blocks;
static pthread_barrier_t round_step;
static size_t round_null;

/* Allocates and writes each round's blocks, then waits while the main thread frees them. */
static void *round_owner(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t i = 0; i < ROUND_BLOCKS; i++) {
            round_blocks[i] = malloc(64);
            if (round_blocks[i]) memset(round_blocks[i], r | 1, 64);
            else round_null++;
        }
        pthread_barrier_wait(&round_step); /* the main thread frees them */
        pthread_barrier_wait(&round_step);
    }
    return NULL;
}

static void phase_remote(void)
{
    round_blocks = mmap(NULL, ROUND_BLOCKS * sizeof *round_blocks, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(round_blocks != MAP_FAILED);
    if (round_blocks == MAP_FAILED) return;
    memset(round_blocks, 0, ROUND_BLOCKS * sizeof *round_blocks);
    free(malloc(64)); /* this thread has a heap of its own: its frees are remote */
    pthread_barrier_init(&round_step, NULL, 2);
    size_t before = st_statm(1), bad = 0;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, round_owner, NULL) == 0);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&round_step);
        for (size_t i = 0; i < ROUND_BLOCKS; i++) {
            uint8_t *p = round_blocks[i];
            if (!p) continue;
            if (p[0] != (r | 1) || p[63] != (r | 1)) bad++;
            free(p);
        }
        pthread_barrier_wait(&round_step);
    }
    size_t after = st_statm(1); /* the main thread lives on, the owner exits after the round */
    pthread_join(t, NULL);
    munmap(round_blocks, ROUND_BLOCKS * sizeof *round_blocks);
    size_t grew = after > before ? after - before : 0;
    printf("rss remote: %d rounds of %zu blocks of 64 bytes, freed by another thread: resident "
           "%zu MiB, %zu MiB after (grew %zu MiB)\n",
           ROUNDS, (size_t)ROUND_BLOCKS, before / MiB, after / MiB, grew / MiB);
    CHECKF(round_null == 0, "remote: %zu allocations returned NULL", round_null);
    CHECKF(bad == 0, "remote: %zu blocks damaged", bad);
    CHECKF(st_check_mode() || grew <= TOTAL / 4,
           "remote: %zu MiB allocated and freed in rounds added %zu MiB resident (over a quarter)",
           TOTAL / MiB, grew / MiB);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    if (!only || strcmp(only, "huge") == 0) phase("huge", MiB);
    if (!only || strcmp(only, "64k") == 0) phase("64k", 64 * KiB);
    if (!only || strcmp(only, "16k") == 0) phase("16k", 16 * KiB);
    if (!only || strcmp(only, "small") == 0) phase("small", 64);
    if (!only || strcmp(only, "remote") == 0) phase_remote();
    return check_done("stress_rss");
}
