/* Segments and pages: carving 4 MiB segments into pages of one size class, and taking
 * emptied pages back. Pages are handed to thread heaps; this file takes the one global
 * segment lock, on the slow path only (a page holds 8 to 4096 blocks).
 *
 * Page and resident-memory policy (peak RSS is what the benchmark compares):
 * - A segment's descriptor is metadata memory touched as it is used: its slice table at
 *   once, a page descriptor (1152 bytes) only when a page starts at that slice.
 * - A page's blocks become usable in steps from its start (grown_capacity): first one OS
 *   page's worth, then doubling whenever its bin finds it three quarters full. Untouched
 *   blocks are never resident, so a class with a few live blocks costs an OS page or two.
 * - An emptied page is parked for its class (park) and is the class's next new page, the
 *   memory its blocks already touched. Parked pages not reused between two discard passes
 *   go back to their segment as dirty slices.
 * - Dirty slices (free, still resident) are reused first, by any class. They age in two
 *   generations; a pass discards (MADV_DONTNEED) those not reused since the last pass.
 *   MADV_FREE would be cheaper but leaves the pages counted as resident until the kernel
 *   needs them. Parked and dirty memory together stay below PARK_LIMIT + SEG_DIRTY_LIMIT
 *   (16 MiB); each pass discards only old slices, so churn rarely faults twice. */
#include "internal.h"

#include <string.h>

uint32_t mb__class_bsize[MB_NUM_CLASSES] MB_HOT_DATA;
struct mb_page mb__page_none; /* all zero: no block starts in it */

/* mb__size_class's table: entry i is the class of sizes 16i-15..16i (of 0 too for i = 0);
 * written out so that it is ready before any initialisation (tests/unit/test_classes.c
 * checks it against mb__size_class_calc). Never written; in the data page that every
 * process touches rather than in read-only data (MB_HOT_DATA). */
uint8_t mb__class_small[MB_CLASS_TABLE_MAX / 16 + 1] MB_HOT_DATA = {
    1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10, 11, 11, 12,
    12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15, 16, 16, 16,
    16, 17, 17, 17, 17, 17, 17, 17, 17, 18, 18, 18, 18, 18, 18, 18,
    18, 19, 19, 19, 19, 19, 19, 19, 19, 20, 20, 20, 20, 20, 20, 20,
    20,
};

static uint8_t class_slices[MB_NUM_CLASSES] MB_HOT_DATA;

static mb_lock seg_lock;
static struct mb_segment *seg_list;   /* every segment, newest first                  */
/* Dirty slices: free, their memory not yet returned to the OS, so that churn does not
 * pay a page fault per page. Two generations: young ones (dirtied since the last discard
 * pass, seg_young_bytes of them) and old ones. A pass runs when the young pass half the
 * limit, and discards the old ones. */
static size_t seg_young_bytes;
/* Emptied pages parked by class, newest first, for the class's next new page: reusing a
 * page reuses the very OS pages its blocks touched, where carving its slices again for
 * another class touches other ones (block boundaries differ) and the resident set
 * spreads (randsize: 23.1 -> 13.9 MiB). At most PARK_LIMIT bytes of usable blocks.
 * Invariant: the first park_young[c] pages of park[c] were parked since the last pass;
 * the pages after them go back to their segments at the next pass. */
static struct mb_page *park[MB_NUM_CLASSES] MB_HOT_DATA;
static uint32_t park_young[MB_NUM_CLASSES] MB_HOT_DATA;
static size_t park_bytes;
#define PARK_LIMIT ((size_t)8 << 20)
#define SEG_DIRTY_LIMIT ((size_t)8 << 20)

/* Runs once, from mb__init, before any allocation. */
void mb__segment_init(void)
{
    for (unsigned c = 1; c < MB_NUM_CLASSES; c++) {
        size_t b;
        if (c <= 8) {
            b = (size_t)c * 16;
        } else {
            unsigned w = 7 + (c - 9) / 4, sub = (c - 9) % 4;
            b = ((size_t)1 << w) + (size_t)(sub + 1) * ((size_t)1 << (w - 2));
        }
        mb__class_bsize[c] = (uint32_t)b;
        size_t slices = (b * MB_PAGE_MIN_BLOCKS + MB_SLICE_SIZE - 1) / MB_SLICE_SIZE;
        class_slices[c] = (uint8_t)slices;
    }
}

/* First run of n free slices in a 64-bit map, or -1. */
static int find_run(uint64_t free_map, unsigned n)
{
    uint64_t run = free_map;
    for (unsigned i = 1; i < n; i++) run &= free_map >> i; /* bit j: slices j..j+n-1 free */
    if (n > 1) run &= (n >= 64) ? 0 : (~0ull >> (n - 1));
    return run ? __builtin_ctzll(run) : -1;
}

/* Blocks of pg that its slices hold. */
static size_t full_capacity(const struct mb_page *pg)
{
    size_t cap = (size_t)pg->nslices * MB_SLICE_SIZE / pg->bsize;
    return cap > MB_PAGE_MAX_BLOCKS ? MB_PAGE_MAX_BLOCKS : cap;
}

/* Page policy, for resident memory: a page's blocks are made usable in steps from its
 * start, and the bin's refills cycle over the usable blocks only, so the page's tail
 * stays untouched (not resident) until the live blocks need it. A class used by a few
 * blocks at a time costs an OS page or two, not the page's 64 KiB or more. A fresh page
 * starts with the blocks of its first OS page (at least one block); each step doubles
 * the usable blocks, rounded up to an OS page, so that a page filled quickly still hands
 * its bin whole bitmap words (steps of one OS page cost a refill per 8 blocks of 512
 * bytes: +7% instructions in prodcons). Returns the capacity after growing from cap. */
static size_t grown_capacity(const struct mb_page *pg, size_t cap)
{
    size_t end = mb__align_up((cap ? 2 * cap : 1) * pg->bsize, MB_PAGE_SIZE);
    size_t grown = end / pg->bsize, full = full_capacity(pg);
    return grown < full ? grown : full;
}

/* Bytes of pg's usable blocks: at most what its blocks' memory holds resident. */
static size_t page_bytes(const struct mb_page *pg)
{
    return (size_t)pg->capacity * pg->bsize;
}

static struct mb_segment *segment_new(void)
{
    uint8_t *base = mb__os_map_aligned(MB_SEGMENT_SIZE, MB_SEGMENT_SIZE);
    if (!base) return NULL;
    if (mb__check_mode) mb__os_huge_pages(base, MB_SEGMENT_SIZE); /* check mode: fewer faults */
    struct mb_segment *s = mb__meta_alloc(sizeof *s);
    if (!s) {
        mb__os_unmap(base, MB_SEGMENT_SIZE);
        return NULL;
    }
    s->kind = MB_REGION_SEGMENT;
    s->base = base;
    s->free_slices = ~0ull;
    for (unsigned i = 0; i < MB_SLICES_PER_SEGMENT; i++) s->heads[i] = &mb__page_none;
    s->next = seg_list;
    seg_list = s;
    mb__rmap_set((uintptr_t)base, MB_SEGMENT_SIZE, s);
    return s;
}

/* Discards the dirty slices that were already dirty at the previous pass (not reused
 * since); the others get one more pass. Throwing away every dirty slice at once would
 * also throw away the ones freed a moment ago, which the next pages reuse: page faults
 * again (randsize took 1.8x the time with a 4 MiB limit so). */
static void page_release(struct mb_page *pg);

static void discard_dirty(void)
{
    for (unsigned c = 1; c < MB_NUM_CLASSES; c++) {
        struct mb_page **link = &park[c];
        for (uint32_t i = 0; *link && i < park_young[c]; i++) link = &(*link)->next;
        for (struct mb_page *pg = *link, *next; pg; pg = next) {
            next = pg->next;
            park_bytes -= page_bytes(pg);
            page_release(pg); /* dirty: discarded at the next pass unless reused */
        }
        *link = NULL;
        park_young[c] = 0;
    }
    for (struct mb_segment *s = seg_list; s; s = s->next) {
        uint64_t d = s->dirty_slices & s->dirty_old;
        while (d) {
            unsigned i = (unsigned)__builtin_ctzll(d), j = i;
            while (j < 64 && (d >> j & 1)) j++;
            mb__os_discard(s->base + (size_t)i * MB_SLICE_SIZE, (size_t)(j - i) * MB_SLICE_SIZE);
            d &= ~(j == 64 ? ~0ull << i : ((1ull << j) - 1) & (~0ull << i));
        }
        s->dirty_slices &= ~s->dirty_old;
        s->dirty_old = s->dirty_slices;
    }
    seg_young_bytes = 0;
}

/* pg (carved, no block allocated) becomes h's: the owner's fields start afresh. */
static struct mb_page *page_adopt(struct mb_page *pg, struct mb_heap *h)
{
    pg->owner = h;
    pg->next = pg->prev = NULL;
    pg->remote_next = NULL;
    pg->used = 0;
    pg->cursor = 0;
    pg->in_list = 0;
    /* alloc[] and remote[] are all zero: a free page keeps them so (see page_free). */
    return pg;
}

struct mb_page *mb__segment_page_alloc(struct mb_heap *h, uint8_t cls)
{
    unsigned n = class_slices[cls];
    mb__lock(&seg_lock);
    struct mb_page *parked = park[cls];
    if (parked) { /* already carved for the class, its blocks' memory still resident */
        park[cls] = parked->next;
        if (park_young[cls]) park_young[cls]--;
        park_bytes -= page_bytes(parked);
        mb__unlock(&seg_lock);
        return page_adopt(parked, h);
    }
    struct mb_segment *s;
    int at = -1;
    /* Prefer slices that are still dirty (no page faults), then any free run. */
    for (s = seg_list; s; s = s->next) {
        if ((at = find_run(s->free_slices & s->dirty_slices, n)) >= 0) break;
    }
    if (!s) {
        for (s = seg_list; s; s = s->next) {
            if ((at = find_run(s->free_slices, n)) >= 0) break;
        }
    }
    if (!s) {
        s = segment_new();
        at = 0;
    }
    if (!s) {
        mb__unlock(&seg_lock);
        return NULL;
    }
    uint64_t bits = (n >= 64 ? ~0ull : ((1ull << n) - 1)) << at;
    s->free_slices &= ~bits;
    size_t was_young = (size_t)mb__popcount64(s->dirty_slices & ~s->dirty_old & bits);
    s->dirty_slices &= ~bits;
    s->dirty_old &= ~bits;
    seg_young_bytes -= was_young * MB_SLICE_SIZE;
    mb__unlock(&seg_lock);

    struct mb_page *pg = &s->pages[at];
    for (unsigned i = 0; i < n; i++) s->heads[at + i] = pg;
    uint32_t bsize = mb__class_bsize[cls];
    pg->start = s->base + (size_t)at * MB_SLICE_SIZE;
    mb__page_divisor(pg, bsize);
    pg->bsize = bsize;
    pg->nslices = (uint8_t)n;
    /* Check mode keeps one record per block, sized by the capacity when the page is
     * empty: its pages start full grown. */
    pg->capacity = (uint16_t)(mb__check_mode ? full_capacity(pg) : grown_capacity(pg, 0));
    pg->cls = cls;
    return page_adopt(pg, h);
}

/* The current page of a bin is out of free blocks, or nearly: make more of its slices'
 * blocks usable, if it has any left. Growing at three quarters full keeps a quarter of
 * the blocks free, so that refills still find runs of free blocks. Owner only; threads
 * that free remotely read the capacity, and only for blocks handed out below it. */
void mb__segment_page_grow(struct mb_page *pg)
{
    if (4u * pg->used < 3u * pg->capacity) return;
    size_t full = full_capacity(pg);
    if (pg->capacity >= full) return;
    __atomic_store_n(&pg->capacity, (uint16_t)grown_capacity(pg, pg->capacity), __ATOMIC_RELAXED);
}

/* pg's slices go back to their segment, dirty. Under seg_lock. */
static void page_release(struct mb_page *pg)
{
    struct mb_segment *s = mb__rmap_get((uintptr_t)pg->start);
    unsigned at = (unsigned)(((uintptr_t)pg->start - (uintptr_t)s->base) >> MB_SLICE_SHIFT);
    unsigned n = pg->nslices;
    pg->start = NULL;
    for (unsigned i = 0; i < n; i++) s->heads[at + i] = &mb__page_none;
    uint64_t bits = (n >= 64 ? ~0ull : ((1ull << n) - 1)) << at;
    s->free_slices |= bits;
    s->dirty_slices |= bits;
    seg_young_bytes += (size_t)n * MB_SLICE_SIZE;
}

void mb__segment_page_free(struct mb_page *pg)
{
    memset(pg->alloc, 0, sizeof pg->alloc);
    pg->owner = NULL; /* a free into a parked page is a double free (its alloc bit) */
    pg->used = 0;
    mb__lock(&seg_lock);
    /* Park it, unless the park is full: then it goes back to its segment. */
    if (park_bytes + page_bytes(pg) <= PARK_LIMIT) {
        pg->next = park[pg->cls];
        park[pg->cls] = pg;
        park_young[pg->cls]++;
        park_bytes += page_bytes(pg);
    } else {
        page_release(pg);
    }
    if (seg_young_bytes > SEG_DIRTY_LIMIT / 2) discard_dirty();
    mb__unlock(&seg_lock);
}

int mb__segment_lock_fork(int phase)
{
    return mb__lock_fork(&seg_lock, phase);
}

/* Calls fn for each allocated block (bitmap bit set) of every page. The caller makes sure
 * no other thread allocates meanwhile (or accepts a racy view). */
void mb__heap_foreach_block(void (*fn)(uint8_t *block, size_t bsize, struct mb_page *pg,
                                       unsigned idx, void *arg),
                            void *arg)
{
    for (struct mb_segment *s = seg_list; s; s = s->next) {
        for (unsigned i = 0; i < MB_SLICES_PER_SEGMENT; i++) {
            struct mb_page *pg = &s->pages[i];
            if (s->heads[i] != pg || !pg->start) continue;
            for (unsigned w = 0; w * 64 < pg->capacity; w++) {
                uint64_t bits = __atomic_load_n(&pg->alloc[w], __ATOMIC_RELAXED);
                while (bits) {
                    unsigned b = (unsigned)__builtin_ctzll(bits);
                    bits &= bits - 1;
                    unsigned idx = w * 64 + b;
                    fn(pg->start + (size_t)idx * pg->bsize, pg->bsize, pg, idx, arg);
                }
            }
        }
    }
}
