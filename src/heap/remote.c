/* Cross-thread frees: a block of a page another heap owns is freed by setting its bit in
 * the page's remote bitmap atomically and, the first time, pushing the page on the owner
 * heap's stack of pages with remote frees; the owner folds the bits into its alloc bitmap
 * on its slow path (mb__remote_collect). */
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
            pg->used = (uint16_t)(pg->used - __builtin_popcountll(r));
        }
        mb__heap_page_collected(h, pg);
        pg = next;
    }
}

int mb__remote_free(struct mb_page *pg, unsigned w, uint64_t bit)
{
    /* The alloc bit first: it cannot be cleared under us while the block is ours to free
     * (the owner clears it only after seeing our remote bit). Set the remote bit second:
     * once it is set the owner may collect it at any moment. */
    if (!(__atomic_load_n(&pg->alloc[w], __ATOMIC_RELAXED) & bit)) return -1;
    /* From the moment the bit is set the owner may collect it, find the page empty and
     * release it; the in-flight count keeps the page ours until the push is done. It is
     * raised while our block still counts in pg->used, so the owner cannot have released
     * the page before it. */
    atomic_fetch_add_explicit(&pg->remote_inflight, 1, memory_order_seq_cst);
    uint64_t old = atomic_fetch_or_explicit(&pg->remote[w], bit, memory_order_seq_cst);
    if (old & bit) {
        atomic_fetch_sub_explicit(&pg->remote_inflight, 1, memory_order_release);
        return -1;
    }
    /* Read before the exchange: the flag is on the owner's busiest line, written once
     * per collection. Sequentially consistent with our bit above and with the owner's
     * clearing of the flag before it takes the bits (mb__remote_collect): seeing the flag
     * still raised means the owner will see our bit. */
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
