/* The region map: from any address to the region descriptor (segment, huge block, guard
 * arena) that covers its 4 MiB chunk. A flat table when it can be reserved (a free's
 * lookup is then one load), else a radix table. Readers take no lock: tables and leaves
 * are never freed and entries are published with release stores. */
#include "internal.h"

#include <sys/resource.h>

#define LEAF_SIZE MB_RMAP_LEAF_SIZE

_Atomic(void *) *_Atomic mb__rmap_root[(size_t)1 << MB_RMAP_ROOT_BITS];
_Atomic(void *) *mb__rmap_flat;
_Atomic size_t mb__rmap_flat_chunks;
static mb_lock rmap_lock;
static int flat_tried; /* under rmap_lock: the flat table was reserved, or could not be */

/* Before the first region: reserve the flat table. Its untouched pages read as zero (no
 * region) and cost no memory, but its 256 MiB of address space count against RLIMIT_AS:
 * under a limit (set before the first allocation) the radix table serves, as small as
 * before, so that the program keeps its whole limit. */
static void flat_reserve(void)
{
    flat_tried = 1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY) return;
    void *t = mb__os_map(MB_RMAP_CHUNKS * sizeof(void *));
    if (!t) return; /* the radix table serves */
    mb__rmap_flat = t;
    atomic_store_explicit(&mb__rmap_flat_chunks, MB_RMAP_CHUNKS, memory_order_release);
}

void mb__rmap_set(uintptr_t addr, size_t size, void *region)
{
    uintptr_t first = addr >> MB_SEGMENT_SHIFT;
    uintptr_t last = (addr + size - 1) >> MB_SEGMENT_SHIFT;
    mb__lock(&rmap_lock);
    if (!flat_tried) flat_reserve();
    size_t flat = atomic_load_explicit(&mb__rmap_flat_chunks, memory_order_relaxed);
    for (uintptr_t chunk = first; flat && chunk <= last && chunk < flat; chunk++)
        atomic_store_explicit(&mb__rmap_flat[chunk], region, memory_order_release);
    for (uintptr_t chunk = first; !flat && chunk <= last; chunk++) {
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
