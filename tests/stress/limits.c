/* Limits: under RLIMIT_AS (`limits rlimit`: set here, 256 MiB above the current size) or a
 * limit set before the program started (`limits ulimit`, run under `ulimit -v`), every
 * allocation call that fails must fail cleanly, with NULL and errno ENOMEM
 * (posix_memalign: the return value ENOMEM), and the program must go on.
 *
 * 1. Exhaust: blocks of 4 MiB, then ever smaller down to 16 bytes, until each size fails.
 * 2. With nothing left: malloc, calloc, realloc (the old block intact), reallocarray,
 *    memalign, posix_memalign, aligned_alloc, valloc, pvalloc of 256 MiB must fail; then
 *    each function, and strdup, is called with a small size until it fails: each first
 *    failure must be clean.
 * 3. Free the large blocks, allocate again with every function: it must work.
 * 4. Every block still held is checked and freed.
 *
 * Check mode reserves its guard arena (16 GiB of address space) at start, before the
 * limit: guarded blocks take no more address space and are not bounded by the limit, so
 * the check-mode run keeps guard_max small (else step 1 would fill the arena: 16 GiB). */
#include "stress.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/resource.h>

#define BIG (256 * MiB)
#define CAP ((size_t)16 << 30) /* more than this held: the limit is not working */

struct held {
    struct held *next;
    uint64_t tag;
};
static struct held *lists[16];
static size_t held_bytes;

static uint64_t tag_for(const void *p, size_t n) { return (uint64_t)(uintptr_t)p ^ (n * 31); }
static void hold(int list, void *p, size_t n)
{
    struct held *h = p;
    h->next = lists[list];
    h->tag = tag_for(p, n);
    if (n > 16) ((uint8_t *)p)[n - 1] = 0x5a;
    lists[list] = h;
    held_bytes += n;
}
static size_t release(int list, size_t n)
{
    size_t bad = 0;
    while (lists[list]) {
        struct held *h = lists[list];
        lists[list] = h->next;
        if (h->tag != tag_for(h, n) || (n > 16 && ((uint8_t *)h)[n - 1] != 0x5a)) bad++;
        free(h);
    }
    return bad;
}

/* Call alloc(n) until it fails; the failure must be NULL + ENOMEM. */
enum fn { F_MALLOC, F_CALLOC, F_REALLOC, F_REALLOCARRAY, F_MEMALIGN, F_POSIX_MEMALIGN,
          F_ALIGNED_ALLOC, F_VALLOC, F_PVALLOC, F_STRDUP, F_COUNT };
static const char *fn_name[F_COUNT] = {"malloc", "calloc", "realloc", "reallocarray",
                                        "memalign", "posix_memalign", "aligned_alloc",
                                        "valloc", "pvalloc", "strdup"};
static const char text[] = "forty bytes of text, for strdup to copy";

/* One call of fn for n bytes; *err = errno after it (posix_memalign: its result). */
static void *call(enum fn f, size_t n, int *err)
{
    void *p = NULL;
    errno = 0;
    switch (f) {
    case F_MALLOC: p = malloc(n); break;
    case F_CALLOC: p = calloc(n / 16, 16); break;
    case F_REALLOC: p = realloc(NULL, n); break;
    case F_REALLOCARRAY: p = reallocarray(NULL, n / 16, 16); break;
    case F_MEMALIGN: p = memalign(64, n); break;
    case F_POSIX_MEMALIGN: {
        int r = posix_memalign(&p, 64, n);
        *err = r;
        return r ? NULL : p;
    }
    case F_ALIGNED_ALLOC: p = aligned_alloc(64, n); break;
    case F_VALLOC: p = valloc(n); break;
    case F_PVALLOC: p = pvalloc(n); break;
    case F_STRDUP: p = strdup(text); break;
    case F_COUNT: break;
    }
    *err = errno;
    return p;
}

int main(int argc, char **argv)
{
    int own_limit = !(argc > 1 && strcmp(argv[1], "ulimit") == 0);
    printf("limits: %s\n", own_limit ? "RLIMIT_AS set by the program" : "limit set before start");
    fflush(stdout);
    free(malloc(100)); /* the heap is set up before the limit */
    if (own_limit) {
        struct rlimit rl = {st_statm(0) + 256 * MiB, RLIM_INFINITY};
        rl.rlim_max = rl.rlim_cur;
        CHECKF(setrlimit(RLIMIT_AS, &rl) == 0,
               "setrlimit: %s", strerror(errno));
    }
    uint8_t *victim = malloc(1000);
    CHECK(victim != NULL);
    if (!victim) return check_done("stress_limits");
    st_fill(victim, 1000, 0xabcdef);

    /* 1. exhaust, from large blocks to small */
    static const size_t ladder[] = {4 * MiB, MiB, 256 * KiB, 64 * KiB, 16 * KiB, 4 * KiB,
                                    1024, 256, 64, 16};
    enum { NL = sizeof ladder / sizeof ladder[0] };
    for (int k = 0; k < NL; k++) {
        size_t count = 0;
        for (;;) {
            errno = 0;
            void *p = malloc(ladder[k]);
            if (!p) {
                CHECKF(errno == ENOMEM, "malloc(%zu) failed with errno %d, not ENOMEM",
                       ladder[k], errno);
                break;
            }
            hold(k, p, ladder[k]);
            count++;
            if (held_bytes > CAP) break;
        }
        printf("limits: %zu blocks of %zu bytes before the first failure\n", count, ladder[k]);
    }
    CHECKF(held_bytes <= CAP, "%zu MiB allocated: the limit did not hold", held_bytes / MiB);
    fflush(stdout);

    /* 2. nothing left: large requests fail, the old block of a failed realloc survives */
    for (int f = 0; f < F_STRDUP; f++) {
        int err;
        void *p = f == F_REALLOC ? (errno = 0, realloc(victim, BIG)) : call((enum fn)f, BIG, &err);
        if (f == F_REALLOC) err = errno;
        CHECKF(p == NULL && err == ENOMEM, "%s of %zu MiB under the limit: %p, errno %d",
               fn_name[f], BIG / MiB, p, err);
        if (p && f != F_REALLOC) free(p);
        if (p && f == F_REALLOC) victim = p;
    }
    CHECKF(st_ok(victim, 1000, 0xabcdef), "a failed realloc damaged the old block");
    errno = 0;
    void *q = realloc(victim, 900 * KiB);
    if (q) {
        CHECKF(st_ok(q, 1000, 0xabcdef), "realloc lost the contents");
        victim = realloc(q, 1000);
        CHECK(victim != NULL);
    } else {
        CHECKF(errno == ENOMEM, "realloc grow failed with errno %d", errno);
        CHECKF(st_ok(victim, 1000, 0xabcdef), "a failed realloc damaged the old block");
    }
    volatile size_t many = SIZE_MAX / 8; /* calloc's product overflows */
    errno = 0;
    CHECK(calloc(many, 16) == NULL && errno == ENOMEM);
    /* small sizes: each function until it fails */
    for (int f = 0; f < F_COUNT; f++) {
        size_t n = f == F_STRDUP ? sizeof text : 48, count = 0;
        int err = 0;
        for (;;) {
            void *p = call((enum fn)f, n, &err);
            if (!p) break;
            if (f == F_STRDUP) CHECK(strcmp(p, text) == 0);
            if (f == F_CALLOC) CHECK(((uint64_t *)p)[5] == 0);
            hold(NL + (f & 3), p, 40);
            count++;
            if (held_bytes > CAP) break;
        }
        CHECKF(err == ENOMEM, "%s(%zu) failed with %s %d after %zu calls, not ENOMEM",
               fn_name[f], n, f == F_POSIX_MEMALIGN ? "result" : "errno", err, count);
    }
    puts("limits: every function failed cleanly; the program goes on");
    fflush(stdout);

    /* 3. give back the large blocks: allocation works again */
    CHECK(release(0, ladder[0]) == 0);
    CHECK(release(1, ladder[1]) == 0);
    for (int f = 0; f < F_COUNT; f++) {
        int err;
        void *p = call((enum fn)f, 1000, &err);
        CHECKF(p != NULL, "%s(1000) after freeing memory: NULL, errno %d", fn_name[f], err);
        free(p);
        p = call((enum fn)f, MiB, &err);
        CHECKF(p != NULL, "%s(1 MiB) after freeing memory: NULL, errno %d", fn_name[f], err);
        if (p && f != F_STRDUP) memset(p, 1, MiB);
        free(p);
    }

    /* 4. everything still held is intact */
    size_t bad = 0;
    for (int k = 2; k < NL; k++) bad += release(k, ladder[k]);
    for (int k = NL; k < NL + 4; k++) bad += release(k, 40);
    CHECKF(bad == 0, "%zu held blocks damaged", bad);
    CHECKF(st_ok(victim, 1000, 0xabcdef), "the realloc'd block lost its contents");
    free(victim);
    return check_done("stress_limits");
}
