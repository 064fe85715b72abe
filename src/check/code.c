/* The process's executable ranges, cached for the stack walker: a "return address" outside
 * every executable mapping is a stack address or other data, and ends a walk.
 *
 * The table is read lock-free (a sequence count, odd while the table is rewritten) and
 * rebuilt from /proc/self/maps when a pc is in no range: a library loaded since the last
 * read. Garbage words miss too, so rebuilds are at most one per REFRESH_NS; the writer
 * only try-locks, so a thread that faults while rebuilding (or any other writer) simply
 * goes without. Nothing here allocates: safe in the fault handler and in malloc. */
#include "internal.h"

#include <sys/auxv.h>
#include <time.h>

#define CODE_MAX 1024                 /* executable mappings kept; more are dropped      */
#define REFRESH_NS (10ull * 1000000)  /* at most one rebuild per 10 ms                    */

static _Atomic uintptr_t code_lo[CODE_MAX], code_hi[CODE_MAX]; /* sorted, disjoint         */
static _Atomic unsigned code_n;
static _Atomic unsigned code_seq;     /* odd while the writer rewrites the table         */
static _Atomic uint64_t code_stamp;   /* monotonic time of the last rebuild, 0: never     */
static mb_lock code_lock;             /* one writer; a leaf: nothing is taken inside it   */
/* The runtime's own code when it is a shared object (preloaded), else empty: linked into
 * the program, its code is the program's. No return address above malloc's frame is in it. */
static _Atomic uintptr_t runtime_lo, runtime_hi;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + 1; /* never 0 */
}

static void add_range(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
                      size_t pathlen, void *arg)
{
    (void)path, (void)pathlen;
    unsigned *n = arg;
    /* Readable too: the walker reads the bytes before a return address ([vsyscall] is
     * execute-only). */
    if (perms[0] != 'r' || perms[2] != 'x' || *n >= CODE_MAX) return;
    uintptr_t self = (uintptr_t)&mb__code_contains, entry = (uintptr_t)getauxval(AT_ENTRY);
    if (self >= lo && self < hi && !(entry >= lo && entry < hi)) {
        atomic_store_explicit(&runtime_lo, lo, memory_order_relaxed);
        atomic_store_explicit(&runtime_hi, hi, memory_order_relaxed);
    }
    atomic_store_explicit(&code_lo[*n], lo, memory_order_relaxed);
    atomic_store_explicit(&code_hi[*n], hi, memory_order_relaxed);
    (*n)++;
}

static void rebuild(void)
{
    uint64_t last = atomic_load_explicit(&code_stamp, memory_order_relaxed);
    if (last && now_ns() - last < REFRESH_NS) return;
    if (atomic_exchange_explicit(&code_lock.held, 1, memory_order_acquire)) return;
    unsigned n = 0;
    atomic_fetch_add_explicit(&code_seq, 1, memory_order_acq_rel); /* odd: rewriting     */
    mb__where_foreach_code(add_range, &n); /* /proc/self/maps is in address order        */
    atomic_store_explicit(&code_n, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&code_seq, 1, memory_order_acq_rel); /* even: consistent   */
    atomic_store_explicit(&code_stamp, now_ns(), memory_order_relaxed);
    mb__unlock(&code_lock);
}

/* 1 found, 0 not found, -1 the table changed meanwhile. */
static int lookup(uintptr_t pc)
{
    unsigned seq = atomic_load_explicit(&code_seq, memory_order_acquire);
    if (seq & 1) return -1;
    unsigned lo = 0, hi = atomic_load_explicit(&code_n, memory_order_relaxed);
    if (hi > CODE_MAX) hi = CODE_MAX;
    int found = 0;
    while (lo < hi) { /* the last range starting at or below pc */
        unsigned mid = lo + (hi - lo) / 2;
        if (atomic_load_explicit(&code_lo[mid], memory_order_relaxed) <= pc) lo = mid + 1;
        else hi = mid;
    }
    if (lo > 0) found = pc < atomic_load_explicit(&code_hi[lo - 1], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&code_seq, memory_order_relaxed) == seq ? found : -1;
}

int mb__code_contains(uintptr_t pc)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int r = lookup(pc);
        if (r > 0) return 1;
        if (r == 0) {
            if (attempt == 1) return 0;
            rebuild(); /* maybe a library loaded since: read the maps again (rate-limited) */
        }
    }
    return lookup(pc) > 0;
}

/* The writer never blocks, so fork needs no prepare step: only a child that inherited
 * the lock held by a thread it does not have must free it. */
int mb__code_fork(int phase)
{
    if (phase == MB_FORK_CHILD) mb__lock_reset(&code_lock);
    return 1;
}

int mb__code_is_runtime(uintptr_t pc)
{
    return pc >= atomic_load_explicit(&runtime_lo, memory_order_relaxed) &&
           pc < atomic_load_explicit(&runtime_hi, memory_order_relaxed);
}
