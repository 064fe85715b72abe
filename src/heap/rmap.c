/* The region map: from any address to the region descriptor (segment, huge block, guard
 * arena) that covers its 4 MiB chunk. Readers take no lock: leaves are never freed and
 * entries are published with release stores. */
#include "internal.h"

#define LEAF_SIZE MB_RMAP_LEAF_SIZE

_Atomic(void *) *_Atomic mb__rmap_root[(size_t)1 << MB_RMAP_ROOT_BITS];
static mb_lock rmap_lock;

void mb__rmap_set(uintptr_t addr, size_t size, void *region)
{
    uintptr_t first = addr >> MB_SEGMENT_SHIFT;
    uintptr_t last = (addr + size - 1) >> MB_SEGMENT_SHIFT;
    mb__lock(&rmap_lock);
    for (uintptr_t chunk = first; chunk <= last; chunk++) {
        uintptr_t r = chunk >> MB_RMAP_LEAF_BITS, l = chunk & (LEAF_SIZE - 1);
        if (r >= ((size_t)1 << MB_RMAP_ROOT_BITS)) break;
        _Atomic(void *) *leaf = atomic_load_explicit(&mb__rmap_root[r], memory_order_acquire);
        if (!leaf) {
            if (!region) continue;
            leaf = mb__meta_alloc(LEAF_SIZE * sizeof(void *));
            if (!leaf) break; /* out of memory: callers treat the region as unknown */
            atomic_store_explicit(&mb__rmap_root[r], leaf, memory_order_release);
        }
        atomic_store_explicit(&leaf[l], region, memory_order_release);
    }
    mb__unlock(&rmap_lock);
}

int mb__rmap_fork(int phase)
{
    return mb__lock_fork(&rmap_lock, phase);
}
