/* memboss unit tests: the heap API as glibc defines it.
 *
 * Every expectation here holds for glibc's own malloc too: build this file without
 * memboss (cc -std=c17 -D_GNU_SOURCE -O1 -pthread test_heap.c) and it must pass. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "check.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* C23 sized frees. glibc 2.36 does not declare them. Built against memboss (its header is
 * on the include path) they must exist; built against a libc alone they may not, and the
 * tests that need them are skipped. */
#if defined(__has_include)
#if __has_include("memboss.h")
#define UT_WITH_MEMBOSS 1
#endif
#endif
#ifdef UT_WITH_MEMBOSS
void free_sized(void *, size_t);
void free_aligned_sized(void *, size_t, size_t);
#define have_sized_free() 1
#else
extern void free_sized(void *, size_t) __attribute__((weak));
extern void free_aligned_sized(void *, size_t, size_t) __attribute__((weak));
#define have_sized_free() (free_sized != NULL && free_aligned_sized != NULL)
#endif

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

/* Hide a value from the compiler, so that it neither warns about sizes it can see are
 * absurd nor drops allocations whose results look unused. */
static size_t opaque(size_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}
static void *opaque_ptr(void *p)
{
    __asm__ volatile("" : "+r"(p)::"memory");
    return p;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) /* xorshift64 */
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }
/* log-uniform in [lo, hi] */
static size_t rnd_size(size_t lo, size_t hi)
{
    size_t top = lo;
    unsigned bits = 0;
    while (top < hi && bits < 63) {
        top <<= 1;
        bits++;
    }
    size_t cap = lo << rnd_below(bits + 1);
    if (cap > hi) cap = hi;
    size_t s = cap / 2 + rnd_below(cap - cap / 2 + 1);
    return s < lo ? lo : s;
}

static int aligned_to(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }
static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }
static size_t next_pow2(size_t x)
{
    size_t p = 1;
    while (p < x) p <<= 1;
    return p;
}

/* ---- patterns --------------------------------------------------------------------- */
static uint64_t mix(uint64_t seed, uint64_t j)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + j * 0xd1b54a32d192ed03ull + 1;
    x ^= x >> 29;
    return x;
}
/* Byte i of a block filled with `seed` is byte (i % 8) of mix(seed, i / 8), so any prefix
 * of a filled block verifies against the same seed. */
static void fill(void *p, size_t n, uint64_t seed)
{
    uint8_t *b = p;
    size_t i = 0;
    if (aligned_to(p, 8))
        for (; i + 8 <= n; i += 8) *(uint64_t *)(b + i) = mix(seed, i / 8);
    for (; i < n; i++) b[i] = (uint8_t)(mix(seed, i / 8) >> (8 * (i % 8)));
}
/* Offset of the first byte that differs from the pattern, or SIZE_MAX. */
static size_t verify(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    size_t i = 0;
    if (aligned_to(p, 8))
        for (; i + 8 <= n; i += 8)
            if (*(const uint64_t *)(b + i) != mix(seed, i / 8)) break;
    for (; i < n; i++)
        if (b[i] != (uint8_t)(mix(seed, i / 8) >> (8 * (i % 8)))) return i;
    return SIZE_MAX;
}
static size_t first_nonzero(const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t i = 0;
    if (aligned_to(p, 8))
        for (; i + 8 <= n; i += 8)
            if (*(const uint64_t *)(b + i)) break;
    for (; i < n; i++)
        if (b[i]) return i;
    return SIZE_MAX;
}

/* ---- live-block bookkeeping ------------------------------------------------------- */
#define MAX_LIVE 8192
struct blk {
    uint8_t *p;
    size_t size;
    uint64_t seed;
};
static struct blk live[MAX_LIVE];
static struct range {
    uintptr_t lo, hi;
} ranges[MAX_LIVE];

static void sort_ranges(struct range *r, size_t n) /* shell sort: no malloc */
{
    static const size_t gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        size_t gap = gaps[g];
        for (size_t i = gap; i < n; i++) {
            struct range t = r[i];
            size_t j = i;
            for (; j >= gap && r[j - gap].lo > t.lo; j -= gap) r[j] = r[j - gap];
            r[j] = t;
        }
    }
}

/* The usable ranges of all live blocks must be disjoint. */
static void check_disjoint(const struct blk *b, size_t n, const char *what)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!b[i].p) continue;
        size_t us = malloc_usable_size(b[i].p);
        if (us < b[i].size) us = b[i].size;
        ranges[m].lo = (uintptr_t)b[i].p;
        ranges[m].hi = (uintptr_t)b[i].p + (us ? us : 1);
        m++;
    }
    sort_ranges(ranges, m);
    size_t bad = 0, top = 0; /* top: the range reaching furthest so far */
    for (size_t i = 1; i < m; i++) {
        if (ranges[i].lo < ranges[top].hi) {
            if (!bad)
                CHECKF(0, "%s: blocks overlap: [%#lx,%#lx) and [%#lx,%#lx)", what,
                       (unsigned long)ranges[top].lo, (unsigned long)ranges[top].hi,
                       (unsigned long)ranges[i].lo, (unsigned long)ranges[i].hi);
            bad++;
        }
        if (ranges[i].hi > ranges[top].hi) top = i;
    }
    CHECKF(bad == 0, "%s: %zu overlapping pairs among %zu live blocks", what, bad, m);
}

static void verify_all(const struct blk *b, size_t n, const char *what)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!b[i].p) continue;
        size_t off = verify(b[i].p, b[i].size, b[i].seed);
        if (off != SIZE_MAX) {
            if (bad < 5)
                CHECKF(0, "%s: %zu-byte block at %p corrupted at offset %zu", what, b[i].size,
                       (void *)b[i].p, off);
            bad++;
        }
    }
    CHECKF(bad == 0, "%s: %zu corrupted blocks", what, bad);
}

static void shuffle_idx(size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd_below(i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
static size_t order[MAX_LIVE];

/* Allocate every size of the list, keep all live, check, free in random order. */
static void batch(const size_t *sizes, size_t n, const char *what)
{
    size_t bad_null = 0, bad_align = 0, bad_usable = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = malloc(sizes[i]);
        live[i].p = p;
        live[i].size = sizes[i];
        live[i].seed = rnd();
        if (!p) {
            if (!bad_null++) CHECKF(0, "%s: malloc(%zu) returned NULL", what, sizes[i]);
            continue;
        }
        if (!aligned_to(p, 16) && !bad_align++)
            CHECKF(0, "%s: malloc(%zu) = %p is not 16-byte aligned", what, sizes[i], (void *)p);
        size_t us = malloc_usable_size(p);
        if (us < sizes[i] && !bad_usable++)
            CHECKF(0, "%s: malloc_usable_size(malloc(%zu)) = %zu", what, sizes[i], us);
        fill(p, sizes[i], live[i].seed);
    }
    CHECKF(bad_null == 0, "%s: %zu NULL results", what, bad_null);
    CHECKF(bad_align == 0, "%s: %zu misaligned blocks", what, bad_align);
    CHECKF(bad_usable == 0, "%s: %zu blocks with a short usable size", what, bad_usable);
    verify_all(live, n, what);
    check_disjoint(live, n, what);
    /* free a random half, allocate again, check again */
    shuffle_idx(order, n);
    for (size_t k = 0; k < n / 2; k++) {
        struct blk *b = &live[order[k]];
        free(b->p);
        b->p = malloc(b->size);
        b->seed = rnd();
        if (b->p) fill(b->p, b->size, b->seed);
        else CHECKF(0, "%s: malloc(%zu) returned NULL on reuse", what, b->size);
    }
    verify_all(live, n, what);
    check_disjoint(live, n, what);
    shuffle_idx(order, n);
    for (size_t k = 0; k < n; k++) {
        free(live[order[k]].p);
        live[order[k]].p = NULL;
    }
}

static size_t sizes_buf[MAX_LIVE];

static void test_sizes(void)
{
    size_t n = 0;
    for (size_t s = 0; s <= 4096; s++) sizes_buf[n++] = s;
    batch(sizes_buf, n, "sizes 0..4096");

    n = 0;
    for (size_t p = 4096; p <= MiB; p <<= 1) {
        sizes_buf[n++] = p - 1;
        sizes_buf[n++] = p;
        sizes_buf[n++] = p + 1;
        sizes_buf[n++] = p + p / 3;
        sizes_buf[n++] = p + p / 2 + 16;
    }
    for (int i = 0; i < 400; i++) sizes_buf[n++] = rnd_size(4097, MiB);
    batch(sizes_buf, n, "sizes up to 1 MiB");

    n = 0;
    sizes_buf[n++] = 8 * MiB;
    sizes_buf[n++] = 8 * MiB + 1;
    sizes_buf[n++] = 16 * MiB - 17;
    sizes_buf[n++] = 33 * MiB + 5;
    sizes_buf[n++] = 64 * MiB;
    batch(sizes_buf, n, "sizes 8..64 MiB");
}

static void test_malloc_zero_and_null(void)
{
    void *a = malloc(opaque(0)), *b = malloc(opaque(0));
    CHECK(a != NULL);
    CHECK(b != NULL);
    CHECK(a != b);
    free(a);
    free(b);

    void *z[64];
    for (int i = 0; i < 64; i++) z[i] = malloc(opaque(0));
    int dup = 0, null = 0;
    for (int i = 0; i < 64; i++) {
        if (!z[i]) null++;
        for (int j = 0; j < i; j++)
            if (z[i] && z[i] == z[j]) dup++;
    }
    CHECKF(null == 0 && dup == 0, "malloc(0) x64: %d NULL, %d duplicates", null, dup);
    for (int i = 0; i < 64; i++) free(z[i]);

    free(NULL);
    CHECK(1); /* free(NULL) did not crash */
    CHECK(malloc_usable_size(NULL) == 0);
}

static void test_calloc(void)
{
    static const size_t sizes[] = {1,    8,     15,     16,     24,     100,     1000,
                                   4096, 5000,  65536,  100000, MiB,    4 * MiB, 9 * MiB};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t s = sizes[k];
        int rounds = s >= MiB ? 4 : 32;
        size_t bad = 0;
        for (int r = 0; r < rounds; r++) {
            uint8_t *d = malloc(s);
            if (!d) {
                bad++;
                continue;
            }
            memset(d, 0xff, s);
            free(opaque_ptr(d));
            uint8_t *c = (r & 1) ? calloc(1, s) : calloc(s, 1);
            if (!c || first_nonzero(c, s) != SIZE_MAX) bad++;
            if (c) memset(c, 0xff, s);
            free(opaque_ptr(c));
        }
        CHECKF(bad == 0, "calloc(%zu) after a dirty free: %zu of %d not zeroed", s, bad, rounds);
    }

    /* many dirty blocks of one size, then as many callocs */
    for (size_t s = 16; s <= 16 * KiB; s *= 4) {
        enum { N = 256 };
        void *d[N];
        for (int i = 0; i < N; i++) {
            d[i] = malloc(s);
            if (d[i]) memset(d[i], 0xff, s);
        }
        for (int i = 0; i < N; i++) free(opaque_ptr(d[i]));
        size_t bad = 0;
        for (int i = 0; i < N; i++) {
            d[i] = calloc(s / 8, 8);
            if (!d[i] || first_nonzero(d[i], s) != SIZE_MAX) bad++;
        }
        CHECKF(bad == 0, "calloc(%zu/8, 8) x%d after dirty frees: %zu not zeroed", s, N, bad);
        for (int i = 0; i < N; i++) free(d[i]);
    }

    void *c0 = calloc(opaque(0), 16), *c1 = calloc(16, opaque(0));
    CHECK(c0 != NULL);
    CHECK(c1 != NULL);
    CHECK(c0 != c1);
    free(c0);
    free(c1);

    static const size_t ovf[][2] = {
        {SIZE_MAX, 2},
        {SIZE_MAX / 2 + 2, 2},
        {(size_t)1 << 32, (size_t)1 << 32},
        {3, SIZE_MAX / 3 + 1},
        {(size_t)1 << 33, (size_t)1 << 31},
    };
    for (size_t k = 0; k < sizeof ovf / sizeof ovf[0]; k++) {
        errno = 0;
        void *p = calloc(opaque(ovf[k][0]), opaque(ovf[k][1]));
        int e = errno;
        CHECKF(p == NULL && e == ENOMEM, "calloc(%zu, %zu) overflows: got %p, errno %d",
               ovf[k][0], ovf[k][1], p, e);
        free(p);
    }
    errno = 0;
    void *p = calloc(1, opaque((size_t)PTRDIFF_MAX + 1));
    int e = errno;
    CHECKF(p == NULL && e == ENOMEM, "calloc(1, PTRDIFF_MAX+1): got %p, errno %d", p, e);
    free(p);
}

static void test_too_big(void)
{
    static const size_t big[] = {SIZE_MAX,           SIZE_MAX - 15,      SIZE_MAX - 4096,
                                 (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX,
                                 (size_t)1 << 62};
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
        errno = 0;
        void *p = malloc(opaque(big[k]));
        int e = errno;
        CHECKF(p == NULL && e == ENOMEM, "malloc(%#zx): got %p, errno %d", big[k], p, e);
        free(p);
    }
}

/* realloc along a path of sizes, checking the kept prefix at every step */
static void realloc_path(const size_t *path, size_t n, const char *what)
{
    uint8_t *p = NULL;
    size_t cur = 0;
    uint64_t seed = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = path[i];
        uint8_t *q = realloc(p, s);
        if (!q) {
            CHECKF(0, "%s: realloc(%zu -> %zu) returned NULL", what, cur, s);
            break;
        }
        CHECKF(aligned_to(q, 16), "%s: realloc(%zu -> %zu) = %p misaligned", what, cur, s,
               (void *)q);
        CHECKF(malloc_usable_size(q) >= s, "%s: realloc(%zu -> %zu): usable %zu", what, cur, s,
               malloc_usable_size(q));
        size_t keep = cur < s ? cur : s;
        size_t off = verify(q, keep, seed);
        CHECKF(off == SIZE_MAX, "%s: realloc(%zu -> %zu) lost contents at offset %zu", what,
               cur, s, off);
        p = q;
        cur = s;
        seed = rnd();
        fill(p, cur, seed);
    }
    free(p);
}

static void test_realloc(void)
{
    /* realloc(NULL, n) is malloc(n) */
    for (size_t s = 0; s < 70000; s = s * 3 + 1) {
        uint8_t *p = realloc(NULL, s);
        CHECKF(p != NULL && aligned_to(p, 16) && malloc_usable_size(p) >= s,
               "realloc(NULL, %zu) = %p", s, (void *)p);
        if (p) fill(p, s, s);
        if (p) CHECK(verify(p, s, s) == SIZE_MAX);
        free(p);
    }

    /* realloc(p, 0) frees p and returns NULL (glibc: REALLOC_ZERO_BYTES_FREES) */
    for (size_t s = 1; s < 4 * MiB; s *= 7) {
        void *p = malloc(s);
        CHECK(p != NULL);
        void *q = realloc(p, opaque(0));
        CHECKF(q == NULL, "realloc(malloc(%zu), 0) returned %p, not NULL", s, q);
        free(q);
    }

    static const size_t up[] = {1,     2,      7,        15,       16,          17,
                                31,    33,     63,       64,       65,          100,
                                127,   128,    129,      255,      256,         500,
                                1000,  2047,   2048,     4095,     4096,        4097,
                                8192,  12345,  16384,    32768,    65536,       65537,
                                131072, 262151, MiB - 1, MiB,      MiB + 1,     3 * MiB,
                                8 * MiB, 16 * MiB + 3,   33 * MiB, 64 * MiB + 1};
    size_t n = sizeof up / sizeof up[0];
    size_t path[2 * (sizeof up / sizeof up[0])];
    for (size_t i = 0; i < n; i++) path[i] = up[i];
    realloc_path(path, n, "realloc small to large");
    for (size_t i = 0; i < n; i++) path[i] = up[n - 1 - i];
    realloc_path(path, n, "realloc large to small");
    for (size_t i = 0; i < n; i++) {
        path[2 * i] = up[i];
        path[2 * i + 1] = up[n - 1 - i];
    }
    realloc_path(path, 2 * n, "realloc zigzag");
    static const size_t huge[] = {8 * MiB, 24 * MiB, 12 * MiB, 64 * MiB, 9 * MiB + 17,
                                  9 * MiB, 40 * MiB};
    realloc_path(huge, sizeof huge / sizeof huge[0], "realloc huge to huge");
    static const size_t same[] = {100, 100, 99, 100, 112, 4096, 4096, 4000, 4096, 300000,
                                  300000, 299999, 300001};
    realloc_path(same, sizeof same / sizeof same[0], "realloc near the same size");

    /* a random walk */
    {
        size_t walk[3000];
        for (size_t i = 0; i < 3000; i++) walk[i] = rnd_size(1, 256 * KiB);
        realloc_path(walk, 3000, "realloc random walk");
    }

    /* realloc within the usable size */
    {
        uint8_t *p = malloc(40);
        size_t us = p ? malloc_usable_size(p) : 0;
        if (p) fill(p, us, 7);
        uint8_t *q = p ? realloc(p, us) : NULL;
        CHECK(q != NULL);
        if (q) CHECK(verify(q, us, 7) == SIZE_MAX);
        free(q);
    }

    /* a failing realloc leaves the old block intact */
    static const size_t from[] = {100, 5000, 2 * MiB};
    static const size_t to[] = {SIZE_MAX, SIZE_MAX - 4096, (size_t)PTRDIFF_MAX + 1,
                                (size_t)1 << 62};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *p = malloc(from[i]);
        CHECK(p != NULL);
        if (!p) continue;
        fill(p, from[i], 99 + i);
        for (size_t j = 0; j < 4; j++) {
            errno = 0;
            void *q = realloc(opaque_ptr(p), opaque(to[j]));
            int e = errno;
            CHECKF(q == NULL && e == ENOMEM, "realloc(%zu -> %#zx): got %p, errno %d", from[i],
                   to[j], q, e);
            if (q) p = q; /* should not happen; do not leak or double free */
        }
        CHECKF(verify(p, from[i], 99 + i) == SIZE_MAX,
               "a failed realloc changed the old %zu-byte block", from[i]);
        free(p);
    }

    /* reallocarray */
    {
        uint8_t *p = reallocarray(NULL, 10, 10);
        CHECK(p != NULL);
        if (p) fill(p, 100, 5);
        errno = 0;
        void *q = reallocarray(opaque_ptr(p), opaque(SIZE_MAX / 2 + 2), 2);
        int e = errno;
        CHECKF(q == NULL && e == ENOMEM, "reallocarray overflow: got %p, errno %d", q, e);
        errno = 0;
        q = reallocarray(opaque_ptr(p), opaque((size_t)1 << 32), (size_t)1 << 32);
        e = errno;
        CHECKF(q == NULL && e == ENOMEM, "reallocarray 2^32*2^32: got %p, errno %d", q, e);
        if (p) CHECK(verify(p, 100, 5) == SIZE_MAX);
        q = reallocarray(p, 1000, 8);
        CHECK(q != NULL);
        if (q) {
            CHECK(verify(q, 100, 5) == SIZE_MAX);
            CHECK(malloc_usable_size(q) >= 8000);
            p = q;
        }
        free(p);
    }
}

static void test_posix_memalign(void)
{
    void *keep[32];
    size_t nkeep = 0;
    for (size_t a = 8; a <= MiB; a <<= 1) {
        const size_t sizes[] = {0, 1, 100, a - 1, a, 3 * a + 5};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t s = sizes[k];
            void *p = (void *)1;
            int r = posix_memalign(&p, a, s);
            CHECKF(r == 0 && p != NULL && p != (void *)1 && aligned_to(p, a) &&
                       malloc_usable_size(p) >= s,
                   "posix_memalign(%zu, %zu): %d, %p", a, s, r, p);
            if (r) continue;
            fill(p, s, a + s);
            if (k == 5 && nkeep < 32) keep[nkeep++] = p;
            else {
                CHECK(verify(p, s, a + s) == SIZE_MAX);
                free(p);
            }
        }
    }
    for (size_t i = 0; i < nkeep; i++) {
        size_t a = (size_t)8 << i, s = 3 * a + 5;
        CHECKF(verify(keep[i], s, a + s) == SIZE_MAX, "posix_memalign(%zu, %zu) block changed",
               a, s);
        free(keep[i]);
    }

    static const size_t bad[] = {0, 1, 2, 4, 3, 12, 24, 40, 48, 100, 4095, 4097,
                                 SIZE_MAX / 2 + 2, SIZE_MAX};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        void *sentinel = (void *)&keep;
        void *p = sentinel;
        int r = posix_memalign(&p, opaque(bad[k]), 64);
        CHECKF(r == EINVAL && (p == sentinel || p == NULL),
               "posix_memalign(alignment %zu): returned %d, pointer %p", bad[k], r, p);
        if (r == 0) free(p);
    }
    void *p = (void *)1;
    int r = posix_memalign(&p, 64, opaque(SIZE_MAX - 4096));
    CHECKF(r == ENOMEM, "posix_memalign(64, huge) returned %d", r);
    if (r == 0) free(p);
}

static void test_aligned_alloc(void)
{
    for (size_t a = 1; a <= MiB; a <<= 1) {
        const size_t sizes[] = {1, 24, a, 3 * a + 5, rnd_size(1, 200000)};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t s = sizes[k];
            void *p = aligned_alloc(a, s);
            CHECKF(p != NULL && aligned_to(p, a) && malloc_usable_size(p) >= s,
                   "aligned_alloc(%zu, %zu) = %p", a, s, p);
            if (!p) continue;
            fill(p, s, s ^ a);
            CHECK(verify(p, s, s ^ a) == SIZE_MAX);
            free(p);
        }
    }
    /* A non-power-of-two alignment, or 0: glibc 2.36's aligned_alloc is its memalign, which
     * rounds the alignment up to a power of two (glibc 2.38 returns NULL with EINVAL). */
    static const size_t npot[] = {0, 3, 12, 24, 48, 100, 1000, 3000, 40000, 300000};
    for (size_t k = 0; k < sizeof npot / sizeof npot[0]; k++) {
        const size_t sizes[] = {12, 256};
        for (size_t j = 0; j < 2; j++) {
            void *p = aligned_alloc(opaque(npot[k]), sizes[j]);
            CHECKF(p != NULL && aligned_to(p, next_pow2(npot[k])) &&
                       malloc_usable_size(p) >= sizes[j],
                   "aligned_alloc(%zu, %zu) = %p (want alignment %zu)", npot[k], sizes[j], p,
                   next_pow2(npot[k]));
            free(p);
        }
    }
    errno = 0;
    void *p = aligned_alloc(opaque(SIZE_MAX / 2 + 2), 12);
    int e = errno;
    CHECKF(p == NULL && e == EINVAL, "aligned_alloc(2^63+1, 12) = %p, errno %d", p, e);
    errno = 0;
    p = aligned_alloc(64, opaque(SIZE_MAX - 4096));
    e = errno;
    CHECKF(p == NULL && e == ENOMEM, "aligned_alloc(64, huge) = %p, errno %d", p, e);
    free(p);
}

static void test_memalign_valloc(void)
{
    for (size_t a = 1; a <= MiB; a <<= 1) {
        size_t s = a + 13;
        void *p = memalign(a, s);
        CHECKF(p != NULL && aligned_to(p, a) && malloc_usable_size(p) >= s,
               "memalign(%zu, %zu) = %p", a, s, p);
        if (p) fill(p, s, a);
        if (p) CHECK(verify(p, s, a) == SIZE_MAX);
        free(p);
    }
    /* glibc rounds a non-power-of-two alignment up to the next power of two */
    static const size_t npot[] = {3, 24, 48, 100, 1000, 3000, 40000, 300000};
    for (size_t k = 0; k < sizeof npot / sizeof npot[0]; k++) {
        void *p = memalign(opaque(npot[k]), 100);
        CHECKF(p != NULL && aligned_to(p, next_pow2(npot[k])) && malloc_usable_size(p) >= 100,
               "memalign(%zu, 100) = %p (want alignment %zu)", npot[k], p, next_pow2(npot[k]));
        free(p);
    }
    void *p = memalign(opaque(0), 100);
    CHECKF(p != NULL && aligned_to(p, 16), "memalign(0, 100) = %p", p);
    free(p);
    errno = 0;
    p = memalign(opaque(SIZE_MAX / 2 + 2), 100);
    int e = errno;
    CHECKF(p == NULL && e == EINVAL, "memalign(2^63+1, 100) = %p, errno %d", p, e);
    free(p);

    size_t pg = page_size();
    static const size_t vs[] = {1, 100, 4095, 4096, 4097, 5000, 70000, 3 * MiB};
    for (size_t k = 0; k < sizeof vs / sizeof vs[0]; k++) {
        size_t s = vs[k];
        void *v = valloc(s);
        CHECKF(v != NULL && aligned_to(v, pg) && malloc_usable_size(v) >= s, "valloc(%zu) = %p",
               s, v);
        if (v) fill(v, s, s);
        if (v) CHECK(verify(v, s, s) == SIZE_MAX);
        free(v);

        size_t rounded = (s + pg - 1) & ~(pg - 1);
        void *pv = pvalloc(s);
        CHECKF(pv != NULL && aligned_to(pv, pg) && malloc_usable_size(pv) >= rounded,
               "pvalloc(%zu) = %p, usable %zu (want >= %zu)", s, pv,
               pv ? malloc_usable_size(pv) : 0, rounded);
        if (pv && malloc_usable_size(pv) >= rounded) {
            fill(pv, rounded, s + 1);
            CHECK(verify(pv, rounded, s + 1) == SIZE_MAX);
        }
        free(pv);
    }
    void *v0 = valloc(opaque(0));
    CHECKF(v0 != NULL && aligned_to(v0, pg), "valloc(0) = %p", v0);
    free(v0);
}

static void test_sized_free(void)
{
    if (!have_sized_free()) {
        fprintf(stdout, "note: free_sized/free_aligned_sized not provided; skipped\n");
        return;
    }
    for (size_t s = 1; s <= 8 * MiB; s = s * 5 + 3) {
        void *p = malloc(s);
        CHECK(p != NULL);
        if (p) fill(p, s, s);
        free_sized(p, s);
    }
    free_sized(NULL, 0);
    for (size_t a = 16; a <= MiB; a <<= 2) {
        size_t s = 2 * a;
        void *p = aligned_alloc(a, s);
        CHECK(p != NULL && aligned_to(p, a));
        if (p) fill(p, s, a);
        free_aligned_sized(p, a, s);
    }
    free_aligned_sized(NULL, 64, 0);
    /* the heap still works after them */
    void *p = malloc(100);
    CHECK(p != NULL);
    free(p);
}

static void test_malloc_misc(void)
{
    struct mallinfo2 mi = mallinfo2();
    (void)mi;
    CHECK(1);
    malloc_trim(0);
    CHECK(1);
    (void)mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    CHECK(1);
    void *p = malloc(1000);
    CHECK(p != NULL);
    free(p);
}

/* Many blocks of each size class, allocated and freed in random orders. */
static void test_classes(void)
{
    size_t classes[128];
    size_t nc = 0;
    for (size_t s = 8; s <= 128; s += 8) classes[nc++] = s;
    for (size_t p = 128; p < 512 * KiB; p <<= 1)
        for (size_t q = 1; q <= 4; q++) classes[nc++] = p + p * q / 4;
    classes[nc++] = MiB;
    classes[nc++] = MiB + 4096;

    for (size_t c = 0; c < nc; c++) {
        size_t s = classes[c];
        size_t n = MiB / s;
        if (n > 2000) n = 2000;
        if (n < 8) n = 8;
        for (int variant = 0; variant < 3; variant++) {
            /* variant 0: exact class size; 1: one below; 2: one above */
            size_t sz = variant == 0 ? s : variant == 1 ? s - 1 : s + 1;
            for (size_t i = 0; i < n; i++) sizes_buf[i] = sz;
            char what[64];
            snprintf(what, sizeof what, "class %zu", sz);
            batch(sizes_buf, n, what);
        }
    }

    /* a random mix of all classes */
    enum { SLOTS = 4096, OPS = 200000 };
    for (size_t i = 0; i < SLOTS; i++) live[i].p = NULL;
    size_t bad = 0;
    for (int op = 0; op < OPS; op++) {
        struct blk *b = &live[rnd_below(SLOTS)];
        if (b->p) {
            if (verify(b->p, b->size, b->seed) != SIZE_MAX) bad++;
            free(b->p);
            b->p = NULL;
        } else {
            b->size = (rnd() & 255) == 0 ? rnd_size(1, 2 * MiB) : rnd_size(1, 8 * KiB);
            b->seed = rnd();
            b->p = malloc(b->size);
            if (!b->p) bad++;
            else fill(b->p, b->size, b->seed);
        }
        if (op % 50000 == 49999) check_disjoint(live, SLOTS, "random mix");
    }
    CHECKF(bad == 0, "random mix: %zu corrupted blocks or NULL results", bad);
    verify_all(live, SLOTS, "random mix");
    shuffle_idx(order, SLOTS);
    for (size_t k = 0; k < SLOTS; k++) {
        free(live[order[k]].p);
        live[order[k]].p = NULL;
    }
}

int main(void)
{
    test_malloc_zero_and_null();
    test_sizes();
    test_calloc();
    test_too_big();
    test_realloc();
    test_posix_memalign();
    test_aligned_alloc();
    test_memalign_valloc();
    test_sized_free();
    test_classes();
    test_malloc_misc();
    return check_done("heap");
}
