/* memboss unit tests: realloc of huge blocks (above 256 KiB). In the fast heap a huge block
 * grows in place when the address space after it is free, moves (its pages remapped, not
 * copied) when it is not, and shrinks in place, giving its tail back to the OS. Check mode
 * always moves a reallocated block; there only the contents are checked. Every path must
 * keep the contents up to the smaller of the two sizes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "check.h"
#include "memboss.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

static int fast;

/* A byte pattern that differs from page to page, so a page moved to the wrong place shows. */
static uint8_t pat(size_t i, unsigned seed) { return (uint8_t)((i * 131 + (i >> 12) * 7 + seed) | 1); }

static void fill(uint8_t *p, size_t from, size_t to, unsigned seed)
{
    for (size_t i = from; i < to; i++) p[i] = pat(i, seed);
}

/* The first offset below n that lost its byte, or SIZE_MAX. Every 61st byte and every
 * page's first and last byte are looked at. */
static size_t lost(const uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += (i % 4096 == 0 || i % 4096 == 4095) ? 1 : 61)
        if (p[i] != pat(i, seed)) return i;
    if (n && p[n - 1] != pat(n - 1, seed)) return n - 1;
    return SIZE_MAX;
}

static int mapped(const void *p)
{
    unsigned char v;
    return mincore((void *)((uintptr_t)p & ~(uintptr_t)4095), 4096, &v) == 0;
}

/* Resident bytes of the process (statm), for the shrink's give-back. */
static size_t resident(void)
{
    char buf[128];
    FILE *f = fopen("/proc/self/statm", "r");
    size_t pages = 0;
    if (f && fgets(buf, sizeof buf, f)) sscanf(buf, "%*s %zu", &pages);
    if (f) fclose(f);
    return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Grow in place: a block shrunk from 40 MiB leaves free address space after it (checked
 * with a probe mapping, unmapped again); growing into it keeps the address. */
static void test_grow_in_place(void)
{
    size_t n = 6 * MiB + 123;
    uint8_t *p = malloc(n);
    CHECK(p != NULL);
    if (!p) return;
    uint8_t *big = realloc(p, 40 * MiB);
    CHECK(big != NULL);
    if (!big) {
        free(p);
        return;
    }
    p = realloc(big, n);
    CHECK(p != NULL);
    if (!p) {
        free(big);
        return;
    }
    fill(p, 0, n, 1);
    size_t us = malloc_usable_size(p);
    size_t m = 20 * MiB + 77;
    void *probe = mmap(p + us, 24 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    int free_after = probe == p + us;
    if (probe != MAP_FAILED) munmap(probe, 24 * MiB);
    CHECKF(!fast || free_after, "grow in place: no free space after a shrunk block");
    uint8_t *q = realloc(p, m);
    CHECKF(q != NULL, "grow in place: realloc(%zu -> %zu) returned NULL", n, m);
    if (!q) {
        free(p);
        return;
    }
    if (fast && free_after) CHECKF(q == p, "grow in place: moved from %p to %p with free space after it", (void *)p, (void *)q);
    CHECKF(malloc_usable_size(q) >= m, "grow in place: usable %zu < %zu", malloc_usable_size(q), m);
    size_t off = lost(q, n, 1);
    CHECKF(off == SIZE_MAX, "grow in place: lost contents at offset %zu", off);
    fill(q, n, m, 1); /* the new tail is writable */
    off = lost(q, m, 1);
    CHECKF(off == SIZE_MAX, "grow in place: tail wrong at offset %zu", off);
    free(q);
}

/* Grow when something is mapped right after the block: it must move, contents and all,
 * and the program's mapping after it must stay untouched. */
static void test_grow_move(void)
{
    size_t n = 5 * MiB + 4321;
    uint8_t *p = malloc(n);
    CHECK(p != NULL);
    if (!p) return;
    fill(p, 0, n, 2);
    size_t us = malloc_usable_size(p);
    uint8_t *wall = mmap(p + us, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    int walled = wall == p + us;
    if (walled) memset(wall, 0x5a, 4096);
    size_t m = 3 * us + 5;
    uint8_t *q = realloc(p, m);
    CHECKF(q != NULL, "grow by moving: realloc(%zu -> %zu) returned NULL", n, m);
    if (q) {
        if (fast && walled) CHECKF(q != p, "grow by moving: stayed at %p over a mapping", (void *)p);
        CHECKF(((uintptr_t)q & 15) == 0, "grow by moving: %p misaligned", (void *)q);
        CHECKF(malloc_usable_size(q) >= m, "grow by moving: usable %zu < %zu", malloc_usable_size(q), m);
        size_t off = lost(q, n, 2);
        CHECKF(off == SIZE_MAX, "grow by moving: lost contents at offset %zu", off);
        fill(q, n, m, 2);
        off = lost(q, m, 2);
        CHECKF(off == SIZE_MAX, "grow by moving: tail wrong at offset %zu", off);
    }
    if (walled) {
        int intact = 1;
        for (size_t i = 0; i < 4096; i++) intact &= wall[i] == 0x5a;
        CHECKF(intact, "grow by moving: the mapping after the block changed");
        munmap(wall, 4096);
    } else if (wall != MAP_FAILED) {
        munmap(wall, 4096);
    }
    free(q ? q : p);
}

/* Shrink: stays in place in the fast heap, gives the tail back (unmapped, resident set
 * smaller), and the block can grow again. */
static void test_shrink(void)
{
    size_t n = 48 * MiB + 999;
    uint8_t *p = realloc(NULL, 1 * MiB); /* reached by realloc growth, as a buffer would be */
    CHECK(p != NULL);
    if (!p) return;
    p = realloc(p, n);
    CHECK(p != NULL);
    if (!p) return;
    fill(p, 0, n, 3);
    size_t full = resident();
    size_t m = 5 * MiB + 17;
    uint8_t *q = realloc(p, m);
    CHECKF(q != NULL, "shrink: realloc(%zu -> %zu) returned NULL", n, m);
    if (!q) {
        free(p);
        return;
    }
    size_t after = resident();
    if (fast) {
        CHECKF(q == p, "shrink: moved from %p to %p", (void *)p, (void *)q);
        CHECKF(!mapped(p + n - 1), "shrink: the tail at %p is still mapped", (void *)(p + n - 1));
        CHECKF(full > after && full - after >= 32 * MiB,
               "shrink: resident %zu MiB before, %zu MiB after: the tail was not given back",
               full / MiB, after / MiB);
        CHECKF(malloc_usable_size(q) >= m && malloc_usable_size(q) < 8 * MiB,
               "shrink: usable %zu for %zu", malloc_usable_size(q), m);
    }
    size_t off = lost(q, m, 3);
    CHECKF(off == SIZE_MAX, "shrink: lost contents at offset %zu", off);
    /* shrink a little (stays), then grow back */
    uint8_t *r = realloc(q, m - 1000);
    CHECK(r != NULL);
    if (r) q = r;
    if (fast) CHECK(r == q);
    off = lost(q, m - 1000, 3);
    CHECKF(off == SIZE_MAX, "shrink a little: lost contents at offset %zu", off);
    r = realloc(q, n);
    CHECK(r != NULL);
    if (r) {
        q = r;
        off = lost(q, m - 1000, 3);
        CHECKF(off == SIZE_MAX, "grow after shrink: lost contents at offset %zu", off);
        fill(q, 0, n, 4);
        off = lost(q, n, 4);
        CHECKF(off == SIZE_MAX, "grow after shrink: wrong at offset %zu", off);
    }
    /* shrink to a small block: leaves the huge heap, keeps the prefix */
    r = realloc(q, 100 * KiB);
    CHECK(r != NULL);
    if (r) {
        q = r;
        off = lost(q, 100 * KiB, 4);
        CHECKF(off == SIZE_MAX, "shrink to small: lost contents at offset %zu", off);
    }
    free(q);
}

/* bigrealloc's pattern on several buffers at once, with short-lived blocks between
 * steps: every buffer keeps its contents whatever its neighbours do. */
static void test_buffers(void)
{
    enum { BUFS = 3 };
    uint8_t *buf[BUFS] = {0};
    size_t len[BUFS] = {0};
    unsigned seed[BUFS] = {10, 20, 30};
    for (int round = 0; round < 4; round++) {
        for (int b = 0; b < BUFS; b++) {
            size_t limit = (size_t)(8 + 4 * b + round) * MiB;
            while (len[b] < limit) {
                size_t next = len[b] + 64 * KiB + len[b] / 4 + (size_t)b * 4099;
                uint8_t *p = realloc(buf[b], next);
                CHECK(p != NULL);
                if (!p) return;
                size_t off = lost(p, len[b], seed[b]);
                CHECKF(off == SIZE_MAX, "buffer %d: grow %zu -> %zu lost offset %zu", b, len[b], next, off);
                fill(p, len[b], next, seed[b]);
                buf[b] = p;
                len[b] = next;
                uint8_t *t = malloc(1 * MiB);
                CHECK(t != NULL);
                if (t) t[MiB - 1] = 1;
                free(t);
            }
        }
        for (int b = 0; b < BUFS; b++) {
            while (len[b] > MiB) {
                size_t next = len[b] / 2 + 333;
                uint8_t *p = realloc(buf[b], next);
                CHECK(p != NULL);
                if (!p) return;
                size_t off = lost(p, next, seed[b]);
                CHECKF(off == SIZE_MAX, "buffer %d: shrink %zu -> %zu lost offset %zu", b, len[b], next, off);
                buf[b] = p;
                len[b] = next;
            }
        }
    }
    for (int b = 0; b < BUFS; b++) free(buf[b]);
}

/* Whether the mapping holding p carries the kernel's "huge pages advised" flag (VmFlags
 * hg in /proc/self/smaps); -1 when the mapping is not found. */
static int advised_huge(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int inside = 0, found = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

/* A buffer grown by realloc past 2 MiB asks for huge pages (it is being filled), unless
 * MEMBOSS_OPTIONS says huge_pages=0; a block that malloc handed out as it is does not. */
static void test_huge_advice(void)
{
    if (!fast || access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0) return;
    const char *o = getenv("MEMBOSS_OPTIONS");
    int want = !(o && strstr(o, "huge_pages=0"));
    uint8_t *plain = malloc(8 * MiB), *p = NULL;
    CHECK(plain != NULL);
    size_t n = 0;
    while (n < 8 * MiB) {
        size_t next = n + 512 * KiB;
        uint8_t *q = realloc(p, next);
        CHECK(q != NULL);
        if (!q) break;
        memset(q + n, 7, next - n);
        p = q;
        n = next;
    }
    if (p) CHECKF(advised_huge(p) == want, "grown buffer: huge pages advised %d, expected %d", advised_huge(p), want);
    if (plain) CHECKF(advised_huge(plain) == 0, "plain 8 MiB block: huge pages advised %d", advised_huge(plain));
    free(p);
    free(plain);
}

int main(void)
{
    fast = !mb_check_mode();
    test_grow_in_place();
    test_grow_move();
    test_shrink();
    test_buffers();
    test_huge_advice();
    return check_done("huge");
}
