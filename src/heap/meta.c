/* Metadata memory: page descriptors, block records, the region map's leaves, the stack
 * depot. It comes from mappings of its own, never from the segments that hold user data,
 * so a heap overflow cannot reach it. Freed pieces go to a free list per power of two. */
#include "internal.h"

#include <string.h>

#define META_CHUNK ((size_t)4 << 20) /* bytes mapped at a time                          */
#define META_BUCKETS 40              /* free lists for sizes 2^4 .. 2^43                */

static mb_lock meta_lock;
static uint8_t *meta_cur, *meta_end; /* bump area: [meta_cur, meta_end) is unused        */
static void *meta_free_list[META_BUCKETS] MB_HOT_DATA;

/* Sizes are rounded to a power of two (at least 16) so that a freed piece fits any later
 * request of the same bucket. */
static unsigned bucket_of(size_t size, size_t *rounded)
{
    unsigned b = 4;
    while (((size_t)1 << b) < size) b++;
    *rounded = (size_t)1 << b;
    return b - 4;
}

void *mb__meta_alloc(size_t size)
{
    size_t rounded;
    unsigned b = bucket_of(size, &rounded);
    if (rounded >= META_CHUNK) { /* large tables get their own zeroed mapping */
        return mb__os_map(mb__align_up(rounded, MB_PAGE_SIZE));
    }
    mb__lock(&meta_lock);
    void *p = meta_free_list[b];
    if (p) {
        meta_free_list[b] = *(void **)p;
        mb__unlock(&meta_lock);
        memset(p, 0, rounded);
        return p;
    }
    if ((size_t)(meta_end - meta_cur) < rounded) {
        uint8_t *chunk = mb__os_map(META_CHUNK);
        if (!chunk) {
            mb__unlock(&meta_lock);
            return NULL;
        }
        meta_cur = chunk; /* the tail of the old chunk is abandoned: at most one bucket */
        meta_end = chunk + META_CHUNK;
    }
    /* Natural alignment up to a page keeps power-of-two pieces from straddling pages. */
    size_t align = rounded < MB_PAGE_SIZE ? rounded : MB_PAGE_SIZE;
    uint8_t *q = (uint8_t *)mb__align_up((uintptr_t)meta_cur, align);
    if (q + rounded > meta_end) {
        uint8_t *chunk = mb__os_map(META_CHUNK);
        if (!chunk) {
            mb__unlock(&meta_lock);
            return NULL;
        }
        meta_cur = q = chunk;
        meta_end = chunk + META_CHUNK;
    }
    meta_cur = q + rounded;
    mb__unlock(&meta_lock);
    return q; /* fresh mapping: already zero */
}

void mb__meta_free(void *p, size_t size)
{
    if (!p) return;
    size_t rounded;
    unsigned b = bucket_of(size, &rounded);
    if (rounded >= META_CHUNK) {
        mb__os_unmap(p, mb__align_up(rounded, MB_PAGE_SIZE));
        return;
    }
    mb__lock(&meta_lock);
    *(void **)p = meta_free_list[b];
    meta_free_list[b] = p;
    mb__unlock(&meta_lock);
}

int mb__meta_lock_fork(int phase)
{
    return mb__lock_fork(&meta_lock, phase);
}
