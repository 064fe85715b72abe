/* Thread heaps and the fast paths of malloc and free.
 *
 * malloc: one bin per size class holds a 64-bit mask of free blocks taken from one bitmap
 * word of a page. The fast path is: class lookup, load mask, count trailing zeros, clear
 * the bit, set it in the page's alloc bitmap, multiply. No lock, no atomic.
 * free: the region map gives the segment, the slice gives the page; the block index comes
 * from a multiply by the page's inverse and a rotate, which also tests that the pointer
 * starts a block (struct mb_page); the alloc bit is checked (double free) and cleared.
 * A block of a page owned by another heap is freed through remote.c: deferred in the
 * freeing thread's table, then published into the page's remote bitmap, which the owner
 * collects on its slow path. */
#include "internal.h"

#include <errno.h>
#include <string.h>

MB_TLS struct mb_heap *mb__tl_heap;
MB_TLS struct mb_heap *mb__tl_fast;
uint16_t mb__bin_off[MB_CLASS_TABLE_MAX / 16 + 1];

/* A local free reads and writes one line of the page's metadata besides the bitmap. */
_Static_assert(offsetof(struct mb_page, remote_next) == 64, "struct mb_page's first line");

#define LOAD MB_LOAD
#define STORE MB_STORE

static void list_push(struct mb_bin *b, struct mb_page *pg)
{
    pg->prev = NULL;
    pg->next = b->pages;
    if (b->pages) b->pages->prev = pg;
    b->pages = pg;
    pg->in_list = 1;
}

static void list_remove(struct mb_bin *b, struct mb_page *pg)
{
    if (pg->prev) pg->prev->next = pg->next;
    else b->pages = pg->next;
    if (pg->next) pg->next->prev = pg->prev;
    pg->next = pg->prev = NULL;
    pg->in_list = 0;
}

/* A page of this heap has no block left in use: give it back, unless it is the page the
 * bin allocates from, or another thread is about to hand it remote frees. */
static void page_maybe_release(struct mb_heap *h, struct mb_page *pg)
{
    struct mb_bin *b = &h->bins[pg->cls];
    /* In-flight first: a remote freer raises it before its bit, pushes (pending) before
     * lowering it; read in the other order, both could look clear mid-push. */
    if (pg->used || b->page == pg || atomic_load(&pg->remote_inflight) ||
        atomic_load(&pg->remote_pending))
        return;
    if (pg->in_list) list_remove(b, pg);
    mb__segment_page_free(pg);
}

static MB_NOINLINE __attribute__((noreturn)) void stop_bad_free(void *p, int why, const char *op);
enum { FREE_OK = 0, FREE_NOT_OURS, FREE_INTERIOR, FREE_DOUBLE };

void mb__heap_stop_double_free(void *p) { stop_bad_free(p, FREE_DOUBLE, "free"); }

/* remote.c has applied a page's remote frees: list the page again, or release it. */
void mb__heap_page_collected(struct mb_heap *h, struct mb_page *pg)
{
    struct mb_bin *b = &h->bins[pg->cls];
    if (!pg->in_list && b->page != pg) list_push(b, pg);
    page_maybe_release(h, pg);
}

/* Take the next bitmap word of pg with free blocks into the bin, scanning from the page's
 * cursor. Returns 0 when the page has none left. */
static inline __attribute__((always_inline)) int bin_take_word(struct mb_bin *b,
                                                               struct mb_page *pg)
{
    if (pg->used >= pg->capacity) return 0;
    unsigned last = (pg->capacity - 1u) / 64u, w = pg->cursor, k = last + 1;
    do {
        /* Never a block with a pending remote free: one the owner also freed (a double
         * free) must still be free when mb__remote_collect finds its remote bit without its
         * alloc bit, and stops. */
        uint64_t avail = ~(LOAD(pg->alloc[w]) | atomic_load_explicit(&pg->remote[w],
                                                                     memory_order_relaxed));
        if (w == last) avail &= ~0ull >> (63u - (pg->capacity - 1u) % 64u); /* no blocks */
        unsigned next = w == last ? 0 : w + 1;
        if (avail) {
            b->mask = avail;
            b->alloc = &pg->alloc[w];
            b->base = pg->start + (size_t)w * 64 * b->bsize;
            b->page = pg;
            pg->used = (uint16_t)(pg->used + mb__popcount64(avail));
            pg->cursor = (uint16_t)next;
            return 1;
        }
        w = next;
    } while (--k);
    return 0;
}

/* The bin has no page (it was full): attach another page with free blocks, or a new
 * page, and take a word of it. Returns 0 when out of memory. */
static MB_NOINLINE int bin_refill_page(struct mb_heap *h, struct mb_bin *b, unsigned cls)
{
    struct mb_page *pg;
    while ((pg = b->pages) != NULL) {
        list_remove(b, pg);
        pg->in_list = 1; /* attached as the current page */
        b->page = pg;
        if (bin_take_word(b, pg)) return 1;
        b->page = NULL;
        pg->in_list = 0;
    }
    pg = mb__segment_page_alloc(h, (uint8_t)cls);
    if (!pg) return 0;
    pg->in_list = 1;
    b->page = pg;
    return bin_take_word(b, pg);
}

/* An empty bin whose page has no word left, or remote frees to collect first, or the
 * thread's first allocation: refill from the current page, another page with free blocks,
 * or a new page. */
static MB_NOINLINE void *malloc_refill(size_t size)
{
    struct mb_heap *h = mb__tl_heap;
    if (MB_UNLIKELY(!h) && !(h = mb__thread_init())) goto oom;
    unsigned cls = mb__size_class(size);
    struct mb_bin *b = &h->bins[cls];
    if (b->mask) return mb__bin_pop(b);
    if (atomic_load_explicit(&h->remote_pages, memory_order_relaxed)) mb__remote_collect(h);
    struct mb_page *pg = b->page;
    if (pg) mb__segment_page_grow(pg); /* the page's next fresh blocks, when it fills */
    if (pg && !bin_take_word(b, pg)) {
        /* full: detach; a local or remote free puts it back on the list */
        b->page = NULL;
        pg->in_list = 0;
    }
    if (!b->page && !bin_refill_page(h, b, cls)) goto oom;
    return mb__bin_pop(b);
oom:
    errno = ENOMEM;
    return NULL;
}

/* What mb__heap_malloc_fast leaves to slow(size) (a huge block), and a thread's first
 * allocation (no heap yet). Empty bins of a thread with a heap go to mb__heap_malloc_bin. */
void *mb__heap_malloc_slow(size_t size)
{
    if (MB_UNLIKELY(size > MB_SMALL_MAX)) return mb__huge_alloc(size, 0);
    return malloc_refill(size);
}

void *mb__heap_malloc_bin(size_t size, struct mb_bin *b)
{
    struct mb_heap *h = mb__tl_heap; /* b is one of its bins */
    struct mb_page *pg = b->page;
    if (MB_UNLIKELY(atomic_load_explicit(&h->remote_pages, memory_order_relaxed) || !pg ||
                    !bin_take_word(b, pg)))
        return malloc_refill(size);
    return mb__bin_pop(b);
}

void *mb__heap_malloc(size_t size)
{
    struct mb_heap *h = mb__tl_heap;
    if (MB_UNLIKELY(h == NULL)) return mb__heap_malloc_slow(size);
    return mb__heap_malloc_fast(h, size, mb__heap_malloc_slow);
}

/* Blocks of a class whose size is a multiple of `align` are aligned, because pages start
 * on a 64 KiB boundary: pick the first such class that fits. No block ever starts
 * anywhere but at its slot, so free never sees interior pointers. */
void *mb__heap_malloc_aligned(size_t size, size_t align)
{
    if (align <= MB_ALIGN) return mb__heap_malloc(size);
    if (size < align) size = align;
    if (align <= MB_PAGE_SIZE && size <= MB_SMALL_MAX) {
        for (unsigned c = mb__size_class(size); c < MB_NUM_CLASSES; c++) {
            if (mb__class_bsize[c] % align == 0) return mb__heap_malloc(mb__class_bsize[c]);
        }
    }
    return mb__huge_alloc(size, align);
}

/* ---- free ------------------------------------------------------------------------------ */

/* heap_free_block says what is wrong (FREE_*); mb__heap_free stops the process on it,
 * the checker (mb__heap_release) has validated the pointer itself. */

void mb__heap_free_emptied(struct mb_heap *h, struct mb_page *pg)
{
    if (pg->used == 0) page_maybe_release(h, pg);
    else if (!pg->in_list) list_push(&h->bins[pg->cls], pg);
}

/* Free the block starting at p. Returns FREE_* for the caller to act on. Inlined into
 * mb__heap_free: the fast path is one function, no call. */
static inline __attribute__((always_inline)) int heap_free_block(void *p)
{
    struct mb_segment *s = mb__rmap_get((uintptr_t)p);
    if (MB_UNLIKELY(!s)) return FREE_NOT_OURS;
    if (MB_UNLIKELY(mb__region_kind(s) != MB_REGION_SEGMENT)) {
        if (mb__region_kind(s) != MB_REGION_HUGE) return FREE_NOT_OURS;
        struct mb_huge *hb = (struct mb_huge *)s;
        if ((uint8_t *)p < hb->base || (uint8_t *)p >= hb->base + hb->map_size) return FREE_NOT_OURS;
        if (hb->user != p) return FREE_INTERIOR;
        return mb__huge_free(hb) ? FREE_DOUBLE : FREE_OK;
    }
    uintptr_t soff = (uintptr_t)p - (uintptr_t)s->base;
    struct mb_page *pg = s->heads[soff >> MB_SLICE_SHIFT];
    if (MB_UNLIKELY(!pg)) return FREE_NOT_OURS;
    uint64_t off = (uint64_t)((uint8_t *)p - pg->start);
    uint64_t idx = mb__page_index(pg, off);
    if (MB_UNLIKELY(idx >= pg->capacity)) {
        return mb__page_block_of(pg, off) >= pg->capacity ? FREE_NOT_OURS : FREE_INTERIOR;
    }
    unsigned w = (unsigned)(idx >> 6);
    uint64_t bit = 1ull << (idx & 63);
    struct mb_heap *h = mb__tl_heap;
    if (MB_UNLIKELY(pg->owner != h)) return mb__remote_free(pg, w, bit) ? FREE_DOUBLE : FREE_OK;
    uint64_t a = pg->alloc[w];
    if (MB_UNLIKELY(!(a & bit) || (atomic_load_explicit(&pg->remote[w], memory_order_relaxed) & bit)))
        return FREE_DOUBLE;
    STORE(pg->alloc[w], a & ~bit);
    pg->used--;
    if (MB_UNLIKELY(pg->used == 0 || !pg->in_list)) mb__heap_free_emptied(h, pg);
    return FREE_OK;
}

/* Fast mode's answer to a bad free or realloc (op): one line, then SIGABRT, as glibc's
 * "free(): double free detected". Stopping every time is the hardening: a program that
 * goes on after a double free is one whose heap an attacker may steer. Async-signal-safe:
 * the line is formatted on the stack and written with write(2). */
static MB_NOINLINE __attribute__((noreturn)) void stop_bad_free(void *p, int why, const char *op)
{
    uint8_t *start = NULL;
    size_t bsize = 0;
    struct mb_page *pg;
    struct mb_huge *hb;
    int allocated;
    if (why != FREE_NOT_OURS) mb__heap_find(p, &start, &bsize, &pg, &hb, &allocated);
    if (why == FREE_DOUBLE)
        mb__report_stop("%s%s of %p (a %zu-byte block, already free)",
                        op[0] == 'f' ? "double " : "", op, p, bsize);
    else if (why == FREE_INTERIOR)
        mb__report_stop("invalid %s of %p (%zu bytes inside a %zu-byte block at %p)", op, p,
                        (size_t)((uint8_t *)p - start), bsize, (void *)start);
    mb__report_stop("invalid %s of %p (not a live block memboss returned)", op, p);
}

void mb__heap_free_slow(void *p)
{
    if (!p) return; /* free(NULL), off the fast path */
    int r = heap_free_block(p);
    if (MB_UNLIKELY(r != FREE_OK)) stop_bad_free(p, r, "free");
}

/* A local free into a page with remote frees pending, or not listed: collect the remote
 * frees (the page keeps our block, it is not released), then free as usual, which now
 * sees a block another thread freed as free, and lists the page again. Later local frees
 * into those pages take the fast path again. */
void mb__heap_free_state(struct mb_heap *h, void *p)
{
    if (atomic_load_explicit(&h->remote_pages, memory_order_relaxed)) mb__remote_collect(h);
    mb__heap_free_slow(p);
}

/* mb__heap_free_fast with the segment cache updated: it hits this time. */
static MB_NOINLINE void free_cached(struct mb_heap *h, void *p) { mb__heap_free_fast(h, p); }

/* The two segments freed into last are cached: programs whose blocks come from two
 * segments (a thread's pages and another's) find them here without the region map. */
void mb__heap_free_seg_miss(struct mb_heap *h, void *p)
{
    uintptr_t chunk = (uintptr_t)p >> MB_SEGMENT_SHIFT, slices;
    if (chunk == h->seg_chunk2) {
        slices = h->seg_slices2;
    } else {
        struct mb_segment *s = mb__rmap_get((uintptr_t)p);
        if (!s || mb__region_kind(s) != MB_REGION_SEGMENT) {
            mb__heap_free_slow(p); /* huge, NULL, or not ours */
            return;
        }
        slices = (uintptr_t)s->heads - (chunk * MB_SLICES_PER_SEGMENT) * sizeof(struct mb_page *);
    }
    h->seg_chunk2 = h->seg_chunk;
    h->seg_slices2 = h->seg_slices;
    h->seg_chunk = chunk;
    h->seg_slices = slices;
    free_cached(h, p);
}

void mb__heap_free(void *p)
{
    struct mb_heap *h = mb__tl_heap;
    if (MB_UNLIKELY(!h)) {
        mb__heap_free_slow(p);
        return;
    }
    mb__heap_free_fast(h, p);
}

/* realloc was handed p, which is not a live block: stop as free would. */
void mb__heap_realloc_bad(void *p)
{
    int r = heap_free_block(p);
    stop_bad_free(p, r != FREE_OK ? r : FREE_DOUBLE, "realloc");
}

/* Release without reporting, for the checker, which has validated p itself. Returns 0
 * on success. */
int mb__heap_release(void *p) { return heap_free_block(p); }

int mb__heap_find(const void *p, uint8_t **start, size_t *bsize, struct mb_page **page,
                  struct mb_huge **huge, int *allocated)
{
    struct mb_segment *s = mb__rmap_get((uintptr_t)p);
    if (!s) return 0;
    if (mb__region_kind(s) == MB_REGION_HUGE) {
        struct mb_huge *hb = (struct mb_huge *)s;
        if ((const uint8_t *)p < hb->base || (const uint8_t *)p >= hb->base + hb->map_size) return 0;
        *start = hb->user;
        *bsize = hb->usable;
        *page = NULL;
        *huge = hb;
        *allocated = __atomic_load_n(&hb->live, __ATOMIC_RELAXED);
        return 1;
    }
    if (mb__region_kind(s) != MB_REGION_SEGMENT) return 0;
    uintptr_t soff = (uintptr_t)p - (uintptr_t)s->base;
    struct mb_page *pg = s->heads[soff >> MB_SLICE_SHIFT];
    if (!pg || !pg->start) return 0;
    uint64_t off = (uint64_t)((const uint8_t *)p - pg->start);
    uint64_t idx = mb__page_block_of(pg, off);
    if (idx >= pg->capacity) return 0;
    *start = pg->start + idx * pg->bsize;
    *bsize = pg->bsize;
    *page = pg;
    *huge = NULL;
    *allocated = (LOAD(pg->alloc[idx >> 6]) >> (idx & 63)) & 1;
    return 1;
}

size_t mb__heap_usable_size(const void *p)
{
    uint8_t *start;
    size_t bsize;
    struct mb_page *pg;
    struct mb_huge *hb;
    int allocated;
    if (!p || !mb__heap_find(p, &start, &bsize, &pg, &hb, &allocated) || !allocated) return 0;
    if (hb) return hb->user == p ? hb->usable : 0;
    return start == p ? bsize : 0;
}

/* ---- thread heaps -------------------------------------------------------------------- */

static mb_lock heaps_lock;
static struct mb_heap *heaps_all, *heaps_orphans;

/* A new thread adopts the heap of an exited one, pages and all, or gets a fresh heap. */
struct mb_heap *mb__heap_acquire(int tid)
{
    mb__lock(&heaps_lock);
    struct mb_heap *h = heaps_orphans;
    if (h) {
        heaps_orphans = h->next_orphan;
        h->next_orphan = NULL;
    }
    mb__unlock(&heaps_lock);
    if (!h) {
        h = mb__meta_alloc(sizeof *h);
        if (!h) return NULL;
        h->seg_chunk = h->seg_chunk2 = ~(uintptr_t)0;
        for (unsigned c = 1; c < MB_NUM_CLASSES; c++) h->bins[c].bsize = mb__class_bsize[c];
        mb__lock(&heaps_lock);
        if (!heaps_all) /* the first heap: no fast path has run yet */
            for (unsigned i = 0; i <= MB_CLASS_TABLE_MAX / 16; i++)
                mb__bin_off[i] = (uint16_t)offsetof(struct mb_heap, bins[mb__class_small[i]]);
        h->next = heaps_all;
        heaps_all = h;
        mb__unlock(&heaps_lock);
    }
    h->tid = tid;
    /* The caller makes h the calling thread's mb__tl_heap. */
    mb__tl_fast = mb__check_mode ? NULL : h;
    return h;
}

/* The thread is gone: its heap waits, with its pages, for the next new thread. Frees
 * into its pages meanwhile take the remote path (the owner is no thread's mb__tl_heap). */
void mb__heap_thread_exit(struct mb_heap *h)
{
    if (mb__tl_fast == h) mb__tl_fast = NULL;
    mb__remote_flush(h);
    h->tid = 0;
    mb__lock(&heaps_lock);
    h->next_orphan = heaps_orphans;
    heaps_orphans = h;
    mb__unlock(&heaps_lock);
}

int mb__heap_fork(int phase)
{
    if (phase != MB_FORK_CHILD) return mb__lock_fork(&heaps_lock, phase);
    {
        /* Only the forking thread lives on in the child: every other heap is an orphan. */
        mb__lock_reset(&heaps_lock);
        heaps_orphans = NULL;
        for (struct mb_heap *h = heaps_all; h; h = h->next) {
            if (h == mb__tl_heap) continue;
            h->tid = 0;
            mb__remote_forget(h); /* its thread may have been updating it */
            h->next_orphan = heaps_orphans;
            heaps_orphans = h;
        }
    }
    return 1;
}
