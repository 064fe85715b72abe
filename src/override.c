/* The only file that exports the malloc family. Each entry makes sure the process and the
 * thread are initialised, then goes to the fast heap or, in check mode, to the checker.
 * Edge cases follow glibc 2.36 exactly (see tests/unit/test_heap.c). */
#include "internal.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

static inline int ready(void)
{
    return MB_LIKELY(mb__tl_heap != NULL) || mb__thread_init() != NULL;
}

/* The entry's frame: the checker finds the caller and its callers from it. */
#define CALLER __builtin_frame_address(0)

/* malloc in a thread with no heap yet or in check mode. Reached from malloc by a tail call (a jump), so that its frame stands where
 * malloc's would: CALLER's return address is malloc's caller, as the checker expects. */
static MB_NOINLINE void *malloc_other(size_t n)
{
    if (MB_UNLIKELY(!ready())) goto oom;
    if (MB_UNLIKELY(mb__check_mode)) {
        mb__leak_poll();
        return mb__check_malloc(n, 0, MB_API_MALLOC, CALLER);
    }
    return mb__heap_malloc(n);
oom:
    errno = ENOMEM;
    return NULL;
}

/* One function with no frame: the thread heap, the mode, the bin's mask, the pop; the
 * fast heap's slow path (empty bin, huge block) by a tail call too. */
MB_API void *malloc(size_t n)
{
    struct mb_heap *h = mb__tl_fast; /* NULL in check mode */
    if (MB_UNLIKELY(h == NULL)) return malloc_other(n);
    return mb__heap_malloc_fast(h, n, mb__heap_malloc_slow);
}

/* free in check mode or in a thread with no heap yet, reached from free by a tail call
 * as malloc_other is from malloc. */
static MB_NOINLINE void free_other(void *p)
{
    if (MB_UNLIKELY(mb__check_mode)) {
        if (!p) return;
        mb__leak_poll();
        mb__check_free(p, CALLER, 0);
        return;
    }
    mb__heap_free(p); /* free(NULL) included: it finds no region and returns */
}

/* One function with no frame, as malloc: every case but a local free is a tail call. */
MB_API void free(void *p)
{
    struct mb_heap *h = mb__tl_fast; /* NULL in check mode */
    if (MB_UNLIKELY(h == NULL)) {
        free_other(p);
        return;
    }
    mb__heap_free_fast(h, p); /* free(NULL) included: no segment there, then no region */
}

MB_API void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total) || !ready()) {
        errno = ENOMEM;
        return NULL;
    }
    void *p;
    if (MB_UNLIKELY(mb__check_mode)) {
        p = mb__check_malloc(total, 0, MB_API_CALLOC, CALLER);
    } else {
        p = mb__heap_malloc(total);
        if (p && total > MB_SMALL_MAX && mb__huge_fresh(p)) return p; /* already zero */
    }
    if (p) memset(p, 0, total);
    return p;
}

static void *realloc_at(void *p, size_t n, void *caller)
{
    if (!p) {
        if (!ready()) goto oom;
        return mb__check_mode ? mb__check_malloc(n, 0, MB_API_REALLOC, caller) : mb__heap_malloc(n);
    }
    if (n == 0) { /* glibc: frees and returns NULL */
        if (mb__check_mode) mb__check_free(p, caller, 1);
        else mb__heap_free(p);
        return NULL;
    }
    if (!ready()) goto oom;
    if (mb__check_mode) return mb__check_realloc(p, n, caller);
    size_t usable = mb__heap_usable_size(p);
    if (MB_UNLIKELY(usable == 0)) mb__heap_realloc_bad(p); /* freed or foreign: stops */
    if (n <= usable) { /* shrinking stays in place, as glibc does */
        if (usable <= MB_SMALL_MAX) return p;
    }
    if (usable > MB_SMALL_MAX) {
        uint8_t *start;
        size_t bsize;
        struct mb_page *pg;
        struct mb_huge *hb;
        int allocated;
        if (mb__heap_find(p, &start, &bsize, &pg, &hb, &allocated) && hb) {
            void *q = mb__huge_realloc(hb, n);
            if (q) return q;
        }
    }
    void *q = mb__heap_malloc(n);
    if (!q) return NULL; /* the old block stays valid */
    memcpy(q, p, n < usable ? n : usable);
    mb__heap_free(p);
    return q;
oom:
    errno = ENOMEM;
    return NULL;
}

MB_API void *realloc(void *p, size_t n) { return realloc_at(p, n, CALLER); }

MB_API void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc_at(p, total, CALLER);
}

static void *aligned_at(size_t align, size_t n, void *caller)
{
    if (!ready()) {
        errno = ENOMEM;
        return NULL;
    }
    if (mb__check_mode) return mb__check_malloc(n, align, MB_API_ALIGNED, caller);
    return mb__heap_malloc_aligned(n, align);
}

static inline int pow2(size_t a) { return a && !(a & (a - 1)); }

MB_API int posix_memalign(void **out, size_t align, size_t n)
{
    if (!pow2(align) || align % sizeof(void *)) return EINVAL;
    int saved = errno;
    void *p = aligned_at(align, n, CALLER);
    if (!p) {
        errno = saved;
        return ENOMEM;
    }
    *out = p;
    return 0;
}

/* glibc's memalign rounds an alignment that is not a power of two up to one. */
static void *memalign_at(size_t align, size_t n, void *caller)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (!pow2(align)) {
        size_t a = MB_ALIGN;
        while (a < align) a <<= 1;
        align = a;
    }
    return aligned_at(align, n, caller);
}

MB_API void *memalign(size_t align, size_t n) { return memalign_at(align, n, CALLER); }

/* In glibc 2.36 aligned_alloc is memalign: any alignment, rounded up to a power of two
 * (aligned_alloc(3, 12) returns a 16-aligned block). glibc 2.38 rejects such alignments. */
MB_API void *aligned_alloc(size_t align, size_t n) { return memalign_at(align, n, CALLER); }

MB_API void *valloc(size_t n) { return memalign_at(MB_PAGE_SIZE, n, CALLER); }

MB_API void *pvalloc(size_t n)
{
    size_t rounded = mb__align_up(n ? n : 1, MB_PAGE_SIZE);
    if (rounded < n) {
        errno = ENOMEM;
        return NULL;
    }
    return memalign_at(MB_PAGE_SIZE, rounded, CALLER);
}

MB_API size_t malloc_usable_size(void *p)
{
    if (!p) return 0;
    return mb__check_mode ? mb__check_usable_size(p) : mb__heap_usable_size(p);
}

/* C23: the size and alignment are hints memboss does not need; the block knows its own. */
MB_API void free_sized(void *p, size_t n)
{
    (void)n;
    if (!p) return;
    if (mb__check_mode) mb__check_free(p, CALLER, 0);
    else mb__heap_free(p);
}

MB_API void free_aligned_sized(void *p, size_t align, size_t n)
{
    (void)align;
    (void)n;
    if (!p) return;
    if (mb__check_mode) mb__check_free(p, CALLER, 0);
    else mb__heap_free(p);
}

MB_API void cfree(void *p) { free(p); }

/* glibc's statistics and tuning calls: memboss keeps no such counters yet and has no
 * tunables there; they answer as an empty glibc heap would. */
MB_API struct mallinfo2 mallinfo2(void)
{
    struct mallinfo2 m;
    memset(&m, 0, sizeof m);
    return m;
}

MB_API struct mallinfo mallinfo(void)
{
    struct mallinfo m;
    memset(&m, 0, sizeof m);
    return m;
}

MB_API int malloc_trim(size_t pad)
{
    (void)pad;
    return 0;
}

MB_API int mallopt(int param, int value)
{
    (void)param;
    (void)value;
    return 1;
}

MB_API void malloc_stats(void) {}
