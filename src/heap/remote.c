/* Cross-thread frees: a block of a page another heap owns is freed by setting its bit in
 * the page's remote bitmap atomically and, the first time, pushing the page on the owner
 * heap's stack of pages with remote frees; the owner folds the bits into its alloc bitmap
 * on its slow path (mb__remote_collect).
 *
 * A thread with a heap does not publish each such free at once: it gathers them in its
 * heap's rfree table, one mask per (page, bitmap word), and publishes a whole mask with one
 * atomic OR when the slot is needed for another word or the table holds MB_RFREE_BYTES,
 * and all of them when the thread exits. Until then the blocks stay allocated in the
 * owner's alloc bitmap, so the owner neither hands them out nor releases their page. */
#include "internal.h"

static MB_NOINLINE __attribute__((noreturn)) void stop_remote_double(struct mb_page *pg,
                                                                      unsigned w, uint64_t bits)
{
    size_t idx = (size_t)w * 64 + (unsigned)__builtin_ctzll(bits);
    mb__heap_stop_double_free(pg->start + idx * pg->bsize);
}

/* Apply the remote frees other threads left in this heap's pages. */
void mb__remote_collect(struct mb_heap *h)
{
    struct mb_page *pg = atomic_exchange_explicit(&h->remote_pages, NULL, memory_order_acquire);
    while (pg) {
        struct mb_page *next = pg->remote_next;
        atomic_store_explicit(&pg->remote_pending, 0, memory_order_seq_cst);
        for (unsigned w = 0; w * 64 < pg->capacity; w++) {
            if (!atomic_load_explicit(&pg->remote[w], memory_order_seq_cst)) continue;
            uint64_t r = atomic_exchange_explicit(&pg->remote[w], 0, memory_order_seq_cst);
            /* alloc[] is the owner's, read by remote freers: relaxed atomics (plain moves). */
            uint64_t a = __atomic_load_n(&pg->alloc[w], __ATOMIC_RELAXED);
            /* Invariant: a remote bit names an allocated block. One that does not was
             * freed twice, by threads racing past each other's alloc-bit check. */
            if (MB_UNLIKELY(r & ~a)) stop_remote_double(pg, w, r & ~a);
            __atomic_store_n(&pg->alloc[w], a & ~r, __ATOMIC_RELAXED);
            pg->used = (uint16_t)(pg->used - mb__popcount64(r));
        }
        mb__heap_page_collected(h, pg);
        pg = next;
    }
}

/* Publish the frees of the blocks `mask` of word w of pg: set their remote bits and make
 * sure the owner will collect them. Returns the blocks that were not allocated or whose
 * remote free was already pending (double frees; then nothing is published), else 0. */
static uint64_t publish(struct mb_page *pg, unsigned w, uint64_t mask)
{
    /* The alloc bits first: they cannot be cleared under us while the blocks are ours to
     * free (the owner clears them only after seeing our remote bits). Set the remote bits
     * second: once they are set the owner may collect them at any moment. */
    uint64_t bad = mask & ~__atomic_load_n(&pg->alloc[w], __ATOMIC_RELAXED);
    if (bad) return bad;
    /* From the moment the bits are set the owner may collect them, find the page empty
     * and release it; the in-flight count keeps the page ours until the push is done. It
     * is raised while our blocks still count in pg->used, so the owner cannot have
     * released the page before it. */
    atomic_fetch_add_explicit(&pg->remote_inflight, 1, memory_order_seq_cst);
    uint64_t old = atomic_fetch_or_explicit(&pg->remote[w], mask, memory_order_seq_cst);
    if (old & mask) {
        atomic_fetch_sub_explicit(&pg->remote_inflight, 1, memory_order_release);
        return old & mask;
    }
    /* Read before the exchange: the flag is on the owner's busiest line, written once
     * per collection. Sequentially consistent with our bits above and with the owner's
     * clearing of the flag before it takes the bits (mb__remote_collect): seeing the flag
     * still raised means the owner will see our bits. */
    if (!atomic_load_explicit(&pg->remote_pending, memory_order_seq_cst) &&
        !atomic_exchange_explicit(&pg->remote_pending, 1, memory_order_acq_rel)) {
        struct mb_heap *owner = pg->owner;
        struct mb_page *head = atomic_load_explicit(&owner->remote_pages, memory_order_relaxed);
        do pg->remote_next = head;
        while (!atomic_compare_exchange_weak_explicit(&owner->remote_pages, &head, pg,
                                                      memory_order_release,
                                                      memory_order_relaxed));
    }
    atomic_fetch_sub_explicit(&pg->remote_inflight, 1, memory_order_seq_cst);
    return 0;
}

int mb__remote_free(struct mb_page *pg, unsigned w, uint64_t bit)
{
    return publish(pg, w, bit) ? -1 : 0;
}

_Static_assert(_Alignof(struct mb_page) >= 64, "a page's address leaves 6 bits for the word");
_Static_assert(MB_BITMAP_WORDS <= 64, "a word index fits in 6 bits");

/* The slot of (page, word) key in a heap's rfree table: a multiplicative hash. */
static inline unsigned rfree_slot(uintptr_t key)
{
    return (unsigned)((key * 0x9e3779b97f4a7c15ull) >> (64 - MB_RFREE_SHIFT));
}

/* Publish a slot's frees and empty it; a double free among them stops the process. */
static void slot_publish(struct mb_rfree *e)
{
    struct mb_page *pg = (struct mb_page *)(e->key & ~(uintptr_t)63);
    unsigned w = (unsigned)(e->key & 63);
    uint64_t bad = publish(pg, w, e->mask);
    if (MB_UNLIKELY(bad)) stop_remote_double(pg, w, bad);
    e->key = 0;
    e->mask = 0;
}

void mb__remote_flush(struct mb_heap *h)
{
    for (unsigned i = 0; i < MB_RFREE_SLOTS; i++)
        if (h->rfree[i].key) slot_publish(&h->rfree[i]);
    h->rfree_bytes = 0;
}

void mb__remote_forget(struct mb_heap *h)
{
    for (unsigned i = 0; i < MB_RFREE_SLOTS; i++) h->rfree[i].key = h->rfree[i].mask = 0;
    h->rfree_bytes = 0;
}

/* The rest of mb__remote_free_from, a tail call from it: another word in the block's
 * slot, or the block freed twice (stops). A thread without a heap never gets here: its
 * remote frees are published at once (mb__remote_free). */
static MB_NOINLINE void free_from_slow(struct mb_heap *h, struct mb_page *pg, unsigned w,
                                       uint64_t bit)
{
    /* The alloc bit now, as a direct free would: a block the owner freed already (and has
     * not handed out again) is a double free, found at this free. */
    if (!(__atomic_load_n(&pg->alloc[w], __ATOMIC_RELAXED) & bit)) stop_remote_double(pg, w, bit);
    uintptr_t key = (uintptr_t)pg | w;
    struct mb_rfree *e = &h->rfree[rfree_slot(key)];
    if (e->key == key) stop_remote_double(pg, w, bit); /* the bit was already in the mask */
    if (e->key) slot_publish(e);
    e->key = key;
    e->mask = bit;
    if ((h->rfree_bytes += pg->bsize) > MB_RFREE_BYTES) mb__remote_flush(h);
}

/* Kept a leaf with no saved register: its every other case is a tail call. h is not
 * NULL: its one caller, mb__heap_free_fast, has a thread heap. */
void mb__remote_free_from(struct mb_heap *h, struct mb_page *pg, uint64_t idx)
{
    /* The block's index, not its word and bit: free's local fast path keeps it in a
     * register anyway, and passes it on without an instruction. */
    unsigned w = (unsigned)(idx >> 6);
    uint64_t bit = 1ull << (idx & 63);
    uintptr_t key = (uintptr_t)pg | w;
    struct mb_rfree *e = &h->rfree[rfree_slot(key)];
    uint64_t m = e->mask;
    /* Deferred only into the slot that holds the word, and only a block that is still
     * allocated (else a double free, found now) and not in the mask already (a block this
     * thread freed before, not yet published: freed twice). */
    if (MB_UNLIKELY(e->key != key || (m & bit) ||
                    !(__atomic_load_n(&pg->alloc[w], __ATOMIC_RELAXED) & bit)))
        goto slow;
    e->mask = m | bit;
    if (MB_UNLIKELY((h->rfree_bytes += pg->bsize) > MB_RFREE_BYTES)) mb__remote_flush(h);
    return;
slow:
    free_from_slow(h, pg, w, bit);
}
