/* memboss fuzzing: the whole malloc API, driven by the fuzzer's bytes.
 *
 * The input is a program of operations over a table of slots: malloc, calloc (with
 * products that overflow), realloc (grow, shrink, to 0, from NULL), reallocarray, free and
 * the sized frees, posix_memalign, memalign, aligned_alloc, valloc, pvalloc (valid and
 * invalid alignments), malloc_usable_size, and blocks allocated or freed by a second
 * thread. Every live block is filled with a pattern derived from its slot, size and
 * allocation number; the pattern is verified before every free, after every realloc (the
 * kept prefix) and on request. Each new block is checked for its alignment, its usable
 * size and overlap with every live block. Every edge case answers as glibc 2.36 does (see
 * tests/unit/test_heap.c): a violation is reported and abort()s, which the fuzzer records
 * as a finding. So is a finding of memboss's own (check mode) made during an input.
 *
 * Built with libmemboss (an instrumented copy): memboss is the process's malloc, also the
 * fuzzer's. Check mode: run with MEMBOSS_OPTIONS=mode=check in the environment (the
 * runtime reads it at its first allocation, before main). Everything an input allocates
 * is freed before it ends, and the same input always runs the same calls. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "memboss.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* C23 sized frees: memboss exports them, glibc 2.36 does not declare them. */
void free_sized(void *, size_t);
void free_aligned_sized(void *, size_t, size_t);

/* glibc declares memalign and aligned_alloc with alloc_align: the compiler (and UBSan)
 * would take the result as aligned to an alignment that is not a power of two. Called
 * through pointers, they are plain functions. */
static void *(*volatile memalign_fn)(size_t, size_t) = memalign;
static void *(*volatile aligned_alloc_fn)(size_t, size_t) = aligned_alloc;

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)
#define NSLOTS 64
#define BLOCK_MAX (16 * MiB)   /* largest request expected to succeed                 */
#define LIVE_MAX (128 * MiB)   /* requests that would take the live total beyond: skipped */
#define PAGE ((size_t)4096)
#define ALIGN_FAIL ((size_t)1 << 48) /* an alignment at least this large cannot be met  */

struct slot {
    uint8_t *p;
    size_t size;   /* bytes that hold the pattern                                        */
    size_t usable; /* malloc_usable_size at allocation                                  */
    uint64_t seed;
    int aligned;   /* from an aligned allocation (free_aligned_sized may take it)        */
};
static struct slot slots[NSLOTS];
static size_t live_bytes;
static uint64_t generation;
static unsigned long findings_before;

/* ---- failures -------------------------------------------------------------------------- */
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    if (write(2, "fuzz_heap: ", 11) < 0 || write(2, line, (size_t)n) < 0) abort();
    abort();
}

/* ---- the input ------------------------------------------------------------------------ */
struct input {
    const uint8_t *d;
    size_t n, i;
};
static uint8_t get8(struct input *in) { return in->i < in->n ? in->d[in->i++] : 0; }
static uint32_t get16(struct input *in) { return get8(in) | (uint32_t)get8(in) << 8; }
static uint32_t get32(struct input *in) { return get16(in) | get16(in) << 16; }

static const size_t absurd_sizes[] = {
    SIZE_MAX, SIZE_MAX - 15, SIZE_MAX - PAGE, (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX,
    (size_t)1 << 62, (size_t)1 << 60, SIZE_MAX - 2 * PAGE - 31,
};
#define NABSURD (sizeof absurd_sizes / sizeof absurd_sizes[0])
static int absurd(size_t n) { return n > BLOCK_MAX; }

static const size_t edge_sizes[] = {
    0, 1, 15, 16, 17, 127, 128, 129, 4095, 4096, 4097,
    (256 << 10) - 1, 256 << 10, (256 << 10) + 1, MiB + 3, 8 * MiB + 1,
};

/* A request size: mostly small, sometimes large, now and then one no heap can give. */
static size_t pick_size(struct input *in)
{
    uint8_t k = get8(in);
    switch (k >> 5) {
    case 0: return k & 31;
    case 1: return get8(in);
    case 2: return get16(in) & 4095;
    case 3: return get16(in);
    case 4: /* one in four to 512 KiB, across the small/huge border; else to 8 KiB */
        return (k & 3) == 0 ? get32(in) & 0x7ffff : get16(in) & 0x1fff;
    case 5: return edge_sizes[k & 15];
    case 6: /* megabytes, now and then: filling them is what costs */
        return (k & 7) == 0 ? get32(in) & 0xffffff : (k & 7) == 1 ? get32(in) & 0xfffff : get16(in);
    default: return (k & 8) ? absurd_sizes[k % NABSURD] : get16(in) & 1023;
    }
}

/* An alignment: powers of two from 1 to 1 MiB, others, 0, and absurd ones. */
static size_t pick_align(struct input *in)
{
    static const size_t odd[] = {0,   3,   12,  24,   40,   48,    100,   4095,
                                 4097, 3000, 40000, 300000, SIZE_MAX, SIZE_MAX / 2 + 2,
                                 SIZE_MAX / 2 + 1, (size_t)1 << 62};
    uint8_t k = get8(in);
    if (k < 160) return (size_t)1 << (k % 21); /* 1 .. 1 MiB */
    return odd[k & 15];
}

/* A calloc element count: small, or one whose product overflows. */
static size_t pick_count(struct input *in)
{
    static const size_t big[] = {(size_t)1 << 32, (size_t)1 << 33, SIZE_MAX, SIZE_MAX / 2 + 2,
                                 SIZE_MAX / 3 + 1, (size_t)1 << 31, (size_t)1 << 63, 3};
    uint8_t k = get8(in);
    if (k < 224) return k & 63;
    return big[k & 7];
}

/* ---- patterns ------------------------------------------------------------------------- */
/* The byte loops carry no coverage instrumentation: traced, every comparison of a
 * megabyte's fill would go through the fuzzer (a hundred times slower). */
#define NO_COVERAGE __attribute__((no_sanitize("coverage", "undefined"), noinline))
#define NO_COVERAGE_INLINE __attribute__((no_sanitize("coverage", "undefined"), always_inline)) inline
NO_COVERAGE_INLINE static uint64_t mix(uint64_t seed, uint64_t j)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + j * 0xd1b54a32d192ed03ull + 1;
    x ^= x >> 29;
    return x;
}
NO_COVERAGE_INLINE static uint8_t pat(uint64_t seed, size_t i) { return (uint8_t)(mix(seed, i / 8) >> (8 * (i % 8))); }

/* Byte i of a block is byte i % 8 of mix(seed, i / 8): any prefix verifies alone. */
NO_COVERAGE static void fill(uint8_t *b, size_t from, size_t to, uint64_t seed)
{
    size_t i = from;
    for (; i < to && (i % 8 || ((uintptr_t)(b + i) & 7)); i++) b[i] = pat(seed, i);
    for (; i + 8 <= to && !((uintptr_t)(b + i) & 7); i += 8) {
        uint64_t v = mix(seed, i / 8);
        __builtin_memcpy(b + i, &v, 8);
    }
    for (; i < to; i++) b[i] = pat(seed, i);
}
NO_COVERAGE static size_t verify(const uint8_t *b, size_t n, uint64_t seed)
{
    size_t i = 0;
    if (!((uintptr_t)b & 7))
        for (; i + 8 <= n; i += 8) {
            uint64_t v;
            __builtin_memcpy(&v, b + i, 8);
            if (v != mix(seed, i / 8)) break;
        }
    for (; i < n; i++)
        if (b[i] != pat(seed, i)) return i;
    return SIZE_MAX;
}

NO_COVERAGE static size_t first_nonzero(const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (uint64_t v; i + 8 <= n; i += 8)
        if (__builtin_memcpy(&v, p + i, 8), v) break;
    for (; i < n; i++)
        if (p[i]) return i;
    return SIZE_MAX;
}

static uint64_t new_seed(unsigned s, size_t size)
{
    generation++;
    return ((uint64_t)s << 56) ^ ((uint64_t)size << 8) ^ (generation * 0x2545f4914f6cdd1dull);
}

static void verify_slot(unsigned s, const char *when)
{
    struct slot *b = &slots[s];
    if (!b->p) return;
    size_t off = verify(b->p, b->size, b->seed);
    if (off != SIZE_MAX)
        fail("%s: slot %u: the %zu-byte block at %p changed at offset %zu", when, s, b->size,
             (void *)b->p, off);
}

/* ---- new blocks ----------------------------------------------------------------------- */
/* Alignment malloc promises: 16, or in check mode (natural_align) as much as the size needs. */
static size_t malloc_align(size_t size)
{
    if (!mb_check_mode()) return 16;
    size_t a = 1;
    while (a < 16 && a * 2 <= size) a *= 2;
    return a;
}

/* p just came back for size bytes with alignment align: check it and take it into slot s
 * (which is empty). fresh: fill it from byte 0 (else the first keep bytes hold the pattern
 * of seed already). */
static void adopt(unsigned s, uint8_t *p, size_t size, size_t align, uint64_t seed, size_t keep,
                  int aligned, const char *what)
{
    if (!p) fail("%s(%zu) returned NULL", what, size);
    if ((uintptr_t)p & (align - 1)) fail("%s(%zu) = %p: not %zu-byte aligned", what, size, (void *)p, align);
    size_t us = malloc_usable_size(p);
    if (us < size) fail("%s(%zu) = %p: malloc_usable_size %zu", what, size, (void *)p, us);
    uintptr_t lo = (uintptr_t)p, hi = lo + (us ? us : 1);
    for (unsigned t = 0; t < NSLOTS; t++) {
        struct slot *o = &slots[t];
        if (!o->p || t == s) continue;
        uintptr_t olo = (uintptr_t)o->p, ohi = olo + (o->usable ? o->usable : 1);
        if (lo < ohi && olo < hi)
            fail("%s(%zu) = [%p, +%zu) overlaps slot %u's live block [%p, +%zu)", what, size,
                 (void *)p, us, t, (void *)o->p, o->usable);
    }
    struct slot *b = &slots[s];
    b->p = p;
    b->size = size;
    b->usable = us;
    b->seed = seed;
    b->aligned = aligned;
    live_bytes += size;
    fill(p, keep, size, seed);
}

static void expect_fail(void *p, int err, int want, const char *what, size_t a, size_t n)
{
    if (p) fail("%s(%#zx, %#zx) = %p: expected NULL", what, a, n, p);
    if (err != want) fail("%s(%#zx, %#zx): errno %d, expected %d", what, a, n, err, want);
}

static int room_for(size_t n) { return live_bytes + n <= LIVE_MAX; }

/* ---- operations ----------------------------------------------------------------------- */
static void release(unsigned s, int how)
{
    struct slot *b = &slots[s];
    if (!b->p) {
        free(NULL);
        return;
    }
    verify_slot(s, "before free");
    switch (how % 4) {
    case 0: free(b->p); break;
    case 1: free_sized(b->p, b->size); break;
    case 2: free_aligned_sized(b->p, b->aligned ? 64 : 16, b->size); break;
    default: free(b->p); break;
    }
    live_bytes -= b->size;
    b->p = NULL;
}

static void op_malloc(unsigned s, struct input *in)
{
    size_t n = pick_size(in);
    release(s, 0);
    if (absurd(n)) {
        errno = 0;
        void *p = malloc(n);
        expect_fail(p, errno, ENOMEM, "malloc", 0, n);
        return;
    }
    if (!room_for(n)) return;
    adopt(s, malloc(n), n, malloc_align(n), new_seed(s, n), 0, 0, "malloc");
}

static void op_calloc(unsigned s, struct input *in)
{
    size_t cnt = pick_count(in), sz = pick_size(in), total;
    release(s, 1);
    int ovf = __builtin_mul_overflow(cnt, sz, &total);
    if (ovf || total > (size_t)PTRDIFF_MAX) {
        errno = 0;
        void *p = calloc(cnt, sz);
        expect_fail(p, errno, ENOMEM, "calloc", cnt, sz);
        return;
    }
    if (total > BLOCK_MAX || !room_for(total)) return; /* might succeed or not: skip */
    uint8_t *p = calloc(cnt, sz);
    if (!p) fail("calloc(%zu, %zu) returned NULL", cnt, sz);
    size_t i = first_nonzero(p, total);
    if (i != SIZE_MAX) fail("calloc(%zu, %zu) = %p: byte %zu is %#x, not 0", cnt, sz, (void *)p, i, p[i]);
    adopt(s, p, total, malloc_align(total), new_seed(s, total), 0, 0, "calloc");
}

static void op_realloc(unsigned s, struct input *in, int array)
{
    struct slot *b = &slots[s];
    size_t n, cnt = 1, sz = 0;
    int ovf = 0;
    if (array) {
        cnt = pick_count(in);
        sz = pick_size(in);
        ovf = __builtin_mul_overflow(cnt, sz, &n);
    } else {
        n = pick_size(in);
    }
    const char *what = array ? "reallocarray" : "realloc";
    if (ovf || absurd(n)) {
        if (!ovf && n <= (size_t)PTRDIFF_MAX && n > BLOCK_MAX) return; /* might succeed */
        errno = 0;
        void *q = array ? reallocarray(b->p, cnt, sz) : realloc(b->p, n);
        expect_fail(q, errno, ENOMEM, what, (size_t)b->p, array ? cnt : n);
        verify_slot(s, "after a failed realloc");
        return;
    }
    if (!b->p) { /* from NULL: malloc */
        if (!room_for(n)) return;
        uint8_t *q = array ? reallocarray(NULL, cnt, sz) : realloc(NULL, n);
        adopt(s, q, n, malloc_align(n), new_seed(s, n), 0, 0, what);
        return;
    }
    if (n == 0) { /* glibc 2.36: frees and returns NULL */
        verify_slot(s, "before realloc to 0");
        void *q = array ? reallocarray(b->p, cnt, sz) : realloc(b->p, 0);
        if (q) fail("%s(%p, 0) = %p: expected NULL (the block freed)", what, (void *)b->p, q);
        live_bytes -= b->size;
        b->p = NULL;
        return;
    }
    if (n > b->size && !room_for(n - b->size)) return;
    verify_slot(s, "before realloc");
    size_t old = b->size;
    uint64_t seed = b->seed;
    uint8_t *q = array ? reallocarray(b->p, cnt, sz) : realloc(b->p, n);
    if (!q) fail("%s(%p, %zu) returned NULL", what, (void *)b->p, n);
    size_t keep = old < n ? old : n;
    size_t off = verify(q, keep, seed);
    if (off != SIZE_MAX)
        fail("%s(%p: %zu -> %zu) = %p: the kept bytes changed at offset %zu", what,
             (void *)b->p, old, n, (void *)q, off);
    live_bytes -= old;
    b->p = NULL;
    /* the pattern keeps its seed: the prefix is in place, the rest is filled */
    adopt(s, q, n, malloc_align(n), seed, keep, 0, what);
}

static void op_posix_memalign(unsigned s, struct input *in)
{
    size_t a = pick_align(in), n = pick_size(in);
    release(s, 2);
    void *sentinel = &slots[s], *p = sentinel;
    int valid = a && !(a & (a - 1)) && a % sizeof(void *) == 0;
    if (!valid || absurd(n) || a >= ALIGN_FAIL) {
        int r = posix_memalign(&p, a, n);
        int want = !valid ? EINVAL : ENOMEM;
        if (r != want || p != sentinel)
            fail("posix_memalign(%#zx, %#zx) = %d (pointer %p): expected %d, pointer untouched",
                 a, n, r, p, want);
        return;
    }
    if (!room_for(n)) return;
    int r = posix_memalign(&p, a, n);
    if (r) fail("posix_memalign(%zu, %zu) = %d", a, n, r);
    adopt(s, p, n, a, new_seed(s, n), 0, 1, "posix_memalign");
}

static size_t next_pow2(size_t x)
{
    size_t p = 1;
    while (p < x) p <<= 1;
    return p;
}

/* memalign and, in glibc 2.36, aligned_alloc: an alignment that is not a power of two is
 * rounded up to one; above SIZE_MAX/2+1 it is EINVAL. */
static void op_memalign(unsigned s, struct input *in, int which)
{
    size_t a = pick_align(in), n = pick_size(in);
    const char *what = which ? "aligned_alloc" : "memalign";
    release(s, 3);
    if (a > SIZE_MAX / 2 + 1) {
        errno = 0;
        void *p = which ? aligned_alloc_fn(a, n) : memalign_fn(a, n);
        expect_fail(p, errno, EINVAL, what, a, n);
        return;
    }
    size_t eff = next_pow2(a ? a : 1);
    if (absurd(n) || eff >= ALIGN_FAIL) {
        errno = 0;
        void *p = which ? aligned_alloc_fn(a, n) : memalign_fn(a, n);
        expect_fail(p, errno, ENOMEM, what, a, n);
        return;
    }
    if (!room_for(n)) return;
    void *p = which ? aligned_alloc_fn(a, n) : memalign_fn(a, n);
    size_t want = eff > malloc_align(n) ? eff : malloc_align(n);
    adopt(s, p, n, want, new_seed(s, n), 0, 1, what);
}

static void op_valloc(unsigned s, struct input *in, int pv)
{
    size_t n = pick_size(in);
    release(s, 0);
    const char *what = pv ? "pvalloc" : "valloc";
    if (absurd(n)) {
        errno = 0;
        void *p = pv ? pvalloc(n) : valloc(n);
        expect_fail(p, errno, ENOMEM, what, PAGE, n);
        return;
    }
    /* pvalloc gives whole pages: all of them are the program's */
    size_t size = pv ? (n ? (n + PAGE - 1) & ~(PAGE - 1) : PAGE) : n;
    if (!room_for(size)) return;
    void *p = pv ? pvalloc(n) : valloc(n);
    adopt(s, p, size, PAGE, new_seed(s, size), 0, 1, what);
}

/* malloc_usable_size: at least what was asked, and all of it usable: the pattern is
 * extended to the whole usable size. */
static void op_usable(unsigned s)
{
    struct slot *b = &slots[s];
    if (!b->p) {
        if (malloc_usable_size(NULL) != 0) fail("malloc_usable_size(NULL) is not 0");
        return;
    }
    size_t us = malloc_usable_size(b->p);
    if (us != b->usable)
        fail("malloc_usable_size(%p) = %zu, was %zu at allocation", (void *)b->p, us, b->usable);
    if (us > b->size && room_for(us - b->size)) {
        fill(b->p, b->size, us, b->seed);
        live_bytes += us - b->size;
        b->size = us;
    }
}

/* ---- a second thread ------------------------------------------------------------------ */
struct job {
    unsigned s;
    int alloc;
    size_t n;
    void *p;
};
static void *worker(void *arg)
{
    struct job *j = arg;
    if (j->alloc) {
        j->p = malloc(j->n);
    } else {
        verify_slot(j->s, "before a free by another thread");
        free(slots[j->s].p);
    }
    return NULL;
}
static void op_thread(unsigned s, struct input *in, int alloc)
{
    struct job j = {s, alloc, 0, NULL};
    if (alloc) {
        j.n = pick_size(in);
        release(s, 0);
        if (absurd(j.n) || !room_for(j.n)) return;
    } else if (!slots[s].p) {
        return;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, worker, &j)) fail("pthread_create failed");
    if (pthread_join(t, NULL)) fail("pthread_join failed");
    if (alloc) {
        adopt(s, j.p, j.n, malloc_align(j.n), new_seed(s, j.n), 0, 0, "malloc in a thread");
    } else {
        live_bytes -= slots[s].size;
        slots[s].p = NULL;
    }
}

static void verify_all(void)
{
    for (unsigned s = 0; s < NSLOTS; s++) verify_slot(s, "verify all");
}

static void check_findings(const char *when)
{
    unsigned long now = mb_finding_count();
    if (now != findings_before) fail("%s: memboss made %lu finding(s)", when, now - findings_before);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The options say which mode: make sure the runtime took it. */
    const char *o = getenv("MEMBOSS_OPTIONS");
    int want_check = o && strstr(o, "mode=check");
    if (want_check != mb_check_mode())
        fail("MEMBOSS_OPTIONS=%s but memboss runs in %s mode", o ? o : "",
             mb_check_mode() ? "check" : "fast");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size, 0};
    generation = 0;
    live_bytes = 0;
    findings_before = mb_finding_count();
    int ops = 0;
    while (in.i < in.n && ops++ < 4096) {
        uint8_t op = get8(&in);
        unsigned s = get8(&in) % NSLOTS;
        switch (op % 16) {
        case 0: case 1: op_malloc(s, &in); break;
        case 2: op_calloc(s, &in); break;
        case 3: case 4: op_realloc(s, &in, 0); break;
        case 5: op_realloc(s, &in, 1); break;
        case 6: release(s, op >> 4); break;
        case 7: op_posix_memalign(s, &in); break;
        case 8: op_memalign(s, &in, 0); break;
        case 9: op_memalign(s, &in, 1); break;
        case 10: op_valloc(s, &in, 0); break;
        case 11: op_valloc(s, &in, 1); break;
        case 12: op_usable(s); break;
        case 13: op_thread(s, &in, (op >> 4) & 1); break;
        case 14: verify_all(); break;
        default: release(s, 0); break;
        }
    }
    verify_all();
    for (unsigned s = 0; s < NSLOTS; s++) release(s, s);
    if (live_bytes) fail("bookkeeping: %zu live bytes after freeing everything", live_bytes);
    check_findings("at the end of the input");
    return 0;
}
