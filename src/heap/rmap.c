/* The region map: from any address to the region descriptor (segment, huge block, guard
 * arena) that covers its 4 MiB chunk. Readers take no lock: leaves are never freed and
 * entries are published with release stores. */
#include "internal.h"

#define LEAF_SIZE ((size_t)1 << MB_RMAP_LEAF_BITS)

static _Atomic(void *) *_Atomic rmap_root[(size_t)1 << MB_RMAP_ROOT_BITS];
static mb_lock rmap_lock;

void mb__rmap_set(uintptr_t addr, size_t size, void *region)
{
    uintptr_t first = addr >> MB_SEGMENT_SHIFT;
    uintptr_t last = (addr + size - 1) >> MB_SEGMENT_SHIFT;
    mb__lock(&rmap_lock);
    for (uintptr_t chunk = first; chunk <= last; chunk++) {
        uintptr_t r = chunk >> MB_RMAP_LEAF_BITS, l = chunk & (LEAF_SIZE - 1);
        if (r >= ((size_t)1 << MB_RMAP_ROOT_BITS)) break;
        _Atomic(void *) *leaf = atomic_load_explicit(&rmap_root[r], memory_order_acquire);
        if (!leaf) {
            if (!region) continue;
            leaf = mb__meta_alloc(LEAF_SIZE * sizeof(void *));
            if (!leaf) break; /* out of memory: callers treat the region as unknown */
            atomic_store_explicit(&rmap_root[r], leaf, memory_order_release);
        }
        atomic_store_explicit(&leaf[l], region, memory_order_release);
    }
    mb__unlock(&rmap_lock);
}

void *mb__rmap_get(uintptr_t addr)
{
    uintptr_t chunk = addr >> MB_SEGMENT_SHIFT;
    uintptr_t r = chunk >> MB_RMAP_LEAF_BITS;
    if (MB_UNLIKELY(r >= ((size_t)1 << MB_RMAP_ROOT_BITS))) return NULL;
    _Atomic(void *) *leaf = atomic_load_explicit(&rmap_root[r], memory_order_acquire);
    if (MB_UNLIKELY(!leaf)) return NULL;
    return atomic_load_explicit(&leaf[chunk & (LEAF_SIZE - 1)], memory_order_acquire);
}

int mb__rmap_fork(int phase)
{
    return mb__lock_fork(&rmap_lock, phase);
}
