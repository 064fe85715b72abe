/* Huge blocks (above MB_SMALL_MAX): a mapping each, aligned to MB_SEGMENT_SIZE so that the
 * region map, which has one entry per 4 MiB chunk, can name them. A freed one is unmapped,
 * unless it is small enough for the cache of recently freed mappings (below).
 *
 * realloc of a huge block to a huge size never copies (mb__huge_realloc): it grows with
 * mremap in place, or else moves the mapping, pages and all, to a new aligned home; it
 * shrinks in place, unmapping the tail. A block grown past 2 MiB is a buffer being
 * filled: its mapping is kept a multiple of 2 MiB and asks for transparent huge pages,
 * one fault per 2 MiB instead of 512 (at most 2 MiB resident past the written end).
 * In check mode, which fills every block it hands out, every huge block of 2 MiB or more
 * asks for them from the start.
 * Invariant: the region map names a block's chunks exactly while they are mapped for
 * it; chunks are forgotten before their pages are unmapped or moved away. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>

/* Transparent huge page size on x86-64 (see the top of the file for who asks for them). */
#define HUGE_PAGE ((size_t)2 << 20)

static mb_lock huge_lock;
static struct mb_huge *huge_free_descs;
static struct mb_huge *huge_live;     /* allocated huge blocks, for the exit checks       */

static void live_add(struct mb_huge *d)
{
    mb__lock(&huge_lock);
    __atomic_store_n(&d->live, 1, __ATOMIC_RELAXED);
    d->live_prev = NULL;
    d->live_next = huge_live;
    if (huge_live) huge_live->live_prev = d;
    huge_live = d;
    mb__unlock(&huge_lock);
}

/* Returns -1, changing nothing, when d is not allocated (a double free). */
static int live_remove(struct mb_huge *d)
{
    mb__lock(&huge_lock);
    if (!d->live) {
        mb__unlock(&huge_lock);
        return -1;
    }
    __atomic_store_n(&d->live, 0, __ATOMIC_RELAXED);
    d->fresh = 0;
    if (d->live_prev) d->live_prev->live_next = d->live_next;
    else huge_live = d->live_next;
    if (d->live_next) d->live_next->live_prev = d->live_prev;
    d->live_next = d->live_prev = NULL;
    mb__unlock(&huge_lock);
    return 0;
}

void mb__huge_foreach_live(void (*fn)(struct mb_huge *d, void *arg), void *arg)
{
    for (struct mb_huge *d = huge_live; d; d = d->live_next) fn(d, arg);
}

/* Freed huge blocks stay mapped a while, so that a program that allocates and frees
 * blocks of a few hundred KiB in a loop does not pay three system calls each time. The
 * cache is small and bounded in bytes; what falls out of it is unmapped. A cached block
 * stays resident: the bound is resident memory held for nothing (bigrealloc's peak RSS:
 * 147 MiB with 32 MiB, 108 MiB with 16 MiB; blocks above a quarter of it, 4 MiB, are
 * never cached). */
#define HUGE_CACHE_SLOTS 8
#define HUGE_CACHE_BYTES ((size_t)16 << 20)
static struct mb_huge *huge_cache[HUGE_CACHE_SLOTS]; /* oldest first                     */
static unsigned huge_cached;
static size_t huge_cached_bytes;

/* A cached mapping that fits size (without wasting more than half of it), or NULL. */
static struct mb_huge *cache_take(size_t map_size, size_t align)
{
    mb__lock(&huge_lock);
    for (unsigned i = huge_cached; i-- > 0;) {
        struct mb_huge *d = huge_cache[i];
        if (d->map_size < map_size || d->map_size / 2 > map_size || ((uintptr_t)d->base & (align - 1)))
            continue;
        huge_cached_bytes -= d->map_size;
        huge_cache[i] = huge_cache[--huge_cached];
        mb__unlock(&huge_lock);
        return d;
    }
    mb__unlock(&huge_lock);
    return NULL;
}

static struct mb_huge *desc_get(void)
{
    mb__lock(&huge_lock);
    struct mb_huge *d = huge_free_descs;
    if (d) huge_free_descs = d->next_free;
    mb__unlock(&huge_lock);
    if (!d) d = mb__meta_alloc(sizeof *d);
    return d;
}

static void desc_put(struct mb_huge *d)
{
    mb__lock(&huge_lock);
    d->next_free = huge_free_descs;
    huge_free_descs = d;
    mb__unlock(&huge_lock);
}

void *mb__huge_alloc(size_t size, size_t align)
{
    if (size > PTRDIFF_MAX - MB_SEGMENT_SIZE || align > ((size_t)1 << 40)) {
        errno = ENOMEM;
        return NULL;
    }
    size_t map_align = align > MB_SEGMENT_SIZE ? align : MB_SEGMENT_SIZE;
    size_t map_size = mb__align_up(size, MB_PAGE_SIZE);
    struct mb_huge *d = cache_take(map_size, align ? align : 1);
    if (d) {
        d->cached = 0;
        d->fresh = 0;
        live_add(d);
        return d->user;
    }
    /* Check mode writes every byte of a block it hands out (malloc_fill_byte, or calloc's
     * zeroing): huge pages then cost no memory and save 511 faults in 512. The mapping is
     * not rounded up: its last partial 2 MiB keeps small pages, and nothing unwritten
     * becomes resident. */
    int thp = mb__check_mode && mb__opt.malloc_fill_byte >= 0 && map_size >= HUGE_PAGE;
    d = desc_get();
    uint8_t *base = d ? mb__os_map_aligned(map_size, map_align) : NULL;
    if (!base) {
        if (d) desc_put(d);
        errno = ENOMEM;
        return NULL;
    }
    d->kind = MB_REGION_HUGE;
    d->fresh = 1;
    d->cached = 0;
    d->thp = (uint8_t)thp;
    if (thp) mb__os_huge_pages(base, map_size);
    d->base = base;
    d->map_size = map_size;
    d->user = base; /* map_align is a multiple of align */
    d->usable = map_size;
    mb__rmap_set((uintptr_t)base, map_size, d);
    live_add(d);
    return base;
}

static void unmap_block(struct mb_huge *d)
{
    mb__rmap_set((uintptr_t)d->base, d->map_size, NULL);
    mb__os_unmap(d->base, d->map_size);
    desc_put(d);
}

int mb__huge_free(struct mb_huge *d)
{
    if (live_remove(d)) return -1;
    if (d->map_size > HUGE_CACHE_BYTES / 4) {
        unmap_block(d);
        return 0;
    }
    struct mb_huge *evict[HUGE_CACHE_SLOTS];
    unsigned nevict = 0;
    mb__lock(&huge_lock);
    d->cached = 1; /* the region map still names it: a second free is seen as double */
    while (huge_cached && (huge_cached == HUGE_CACHE_SLOTS ||
                           huge_cached_bytes + d->map_size > HUGE_CACHE_BYTES)) {
        evict[nevict++] = huge_cache[0];
        huge_cached_bytes -= huge_cache[0]->map_size;
        for (unsigned i = 1; i < huge_cached; i++) huge_cache[i - 1] = huge_cache[i];
        huge_cached--;
    }
    huge_cache[huge_cached++] = d;
    huge_cached_bytes += d->map_size;
    mb__unlock(&huge_lock);
    for (unsigned i = 0; i < nevict; i++) unmap_block(evict[i]);
    return 0;
}

/* Whether p is a huge block whose pages have never been written (calloc skips zeroing). */
int mb__huge_fresh(const void *p)
{
    struct mb_huge *d = mb__rmap_get((uintptr_t)p);
    return d && mb__region_kind(d) == MB_REGION_HUGE && d->user == p && d->fresh;
}

/* A shrinking block gives back its tail when that is at least this much, and at least a
 * sixteenth of what stays: small trims would cost a system call for little. */
#define TRIM_MIN ((size_t)64 << 10)

/* Grown: a buffer filled as it grows. Ask for transparent huge pages on the whole
 * mapping (all of it, so that it stays one VMA, which mremap needs). */
static void grown(struct mb_huge *d)
{
    if (d->thp || d->map_size < HUGE_PAGE) return;
    mb__os_huge_pages(d->base, d->map_size);
    d->thp = 1;
}

/* Resize in place or by moving the mapping; never copies. Returns the block (perhaps at
 * a new address), or NULL when the caller should allocate, copy and free: the new size
 * is not huge, or the OS refused (then the block is unchanged). */
void *mb__huge_realloc(struct mb_huge *d, size_t size)
{
    size_t need = mb__align_up(size, MB_PAGE_SIZE);
    if (need < size || size <= MB_SMALL_MAX || need > PTRDIFF_MAX - MB_SEGMENT_SIZE) return NULL;
    if (need <= d->map_size) {
        /* Shrink in place. With huge pages the mapping keeps ending on a 2 MiB boundary:
         * a huge page cut in two is not freed until the kernel splits it. */
        size_t keep = d->thp ? mb__align_up(need, HUGE_PAGE) : need;
        if (keep < d->map_size && d->map_size - keep >= TRIM_MIN &&
            d->map_size - keep >= keep / 16) {
            uintptr_t end = (uintptr_t)d->base + d->map_size;
            uintptr_t cut = mb__align_up((uintptr_t)d->base + keep, MB_SEGMENT_SIZE);
            /* forget the chunks left wholly unmapped before unmapping them: another
             * mapping may take their place as soon as they are gone */
            if (cut < end) mb__rmap_set(cut, end - cut, NULL);
            d->map_size = keep;
            d->usable = keep;
            mb__os_unmap(d->base + keep, end - ((uintptr_t)d->base + keep));
        }
        return d->user;
    }
    /* Growing past a huge page grows to a whole number of them: a 2 MiB range that is
     * only partly mapped when its first byte is written gets small pages for good. */
    if (need >= HUGE_PAGE) need = mb__align_up(need, HUGE_PAGE);
    if (mb__os_grow_in_place(d->base, d->map_size, need) == 0) {
        mb__rmap_set((uintptr_t)d->base, need, d);
        d->map_size = need;
        d->usable = need;
        grown(d);
        return d->user;
    }
    /* Move, pages and all. The old chunks are forgotten first (see above) and named
     * again if the move fails. Under the huge lock, which fork takes: a child must not
     * be forked between the two, with its block named nowhere. */
    mb__lock(&huge_lock);
    mb__rmap_set((uintptr_t)d->base, d->map_size, NULL);
    uint8_t *q = mb__os_move_aligned(d->base, d->map_size, need, MB_SEGMENT_SIZE);
    if (!q) {
        mb__rmap_set((uintptr_t)d->base, d->map_size, d);
        mb__unlock(&huge_lock);
        return NULL;
    }
    d->base = q;
    d->user = q;
    d->map_size = need;
    d->usable = need;
    mb__rmap_set((uintptr_t)q, need, d);
    mb__unlock(&huge_lock);
    grown(d);
    return q;
}

int mb__huge_fork(int phase)
{
    return mb__lock_fork(&huge_lock, phase);
}
