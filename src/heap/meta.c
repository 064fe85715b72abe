/* Metadata memory: page descriptors, block records, the region map's leaves, the stack
 * depot. It comes from mappings of its own, never from the segments that hold user data,
 * so a heap overflow cannot reach it. Freed pieces go to a free list per power of two. */
#include "internal.h"

#include <string.h>

#define META_CHUNK ((size_t)4 << 20) /* bytes mapped at a time                          */
#define HUGE_PAGE ((size_t)2 << 20)

/* The general metadata arena; check mode's block records have one of their own. */
static struct mb_arena meta_arena MB_HOT_DATA;

/* Sizes are rounded to a power of two (at least 16) so that a freed piece fits any later
 * request of the same bucket. */
static unsigned bucket_of(size_t size, size_t *rounded)
{
    unsigned b = 4;
    while (((size_t)1 << b) < size) b++;
    *rounded = (size_t)1 << b;
    return b - 4;
}

static uint8_t *arena_chunk(const struct mb_arena *a)
{
    if (!a->huge) return mb__os_map(META_CHUNK);
    uint8_t *c = mb__os_map_aligned(META_CHUNK, HUGE_PAGE); /* starts on a huge page */
    if (c) mb__os_huge_pages(c, META_CHUNK);
    return c;
}

void *mb__arena_alloc(struct mb_arena *a, size_t size)
{
    size_t rounded;
    unsigned b = bucket_of(size, &rounded);
    if (rounded >= META_CHUNK) { /* large tables get their own zeroed mapping */
        return mb__os_map(mb__align_up(rounded, MB_PAGE_SIZE));
    }
    mb__lock(&a->lock);
    void *p = a->free_list[b];
    if (p) {
        a->free_list[b] = *(void **)p;
        mb__unlock(&a->lock);
        memset(p, 0, rounded);
        return p;
    }
    /* Natural alignment up to a page keeps power-of-two pieces from straddling pages. */
    size_t align = rounded < MB_PAGE_SIZE ? rounded : MB_PAGE_SIZE;
    uintptr_t q = mb__align_up((uintptr_t)a->cur, align);
    if (q + rounded > (uintptr_t)a->end) {
        uint8_t *chunk = arena_chunk(a);
        if (!chunk) {
            mb__unlock(&a->lock);
            return NULL;
        }
        q = (uintptr_t)chunk; /* the tail of the old chunk is abandoned: less than a piece */
        a->end = chunk + META_CHUNK;
    }
    a->cur = (uint8_t *)q + rounded;
    mb__unlock(&a->lock);
    return (void *)q; /* fresh mapping: already zero */
}

void mb__arena_free(struct mb_arena *a, void *p, size_t size)
{
    if (!p) return;
    size_t rounded;
    unsigned b = bucket_of(size, &rounded);
    if (rounded >= META_CHUNK) {
        mb__os_unmap(p, mb__align_up(rounded, MB_PAGE_SIZE));
        return;
    }
    mb__lock(&a->lock);
    *(void **)p = a->free_list[b];
    a->free_list[b] = p;
    mb__unlock(&a->lock);
}

void *mb__meta_alloc(size_t size) { return mb__arena_alloc(&meta_arena, size); }

void mb__meta_free(void *p, size_t size) { mb__arena_free(&meta_arena, p, size); }

int mb__meta_lock_fork(int phase)
{
    return mb__lock_fork(&meta_arena.lock, phase);
}
