/* Stack capture and the stack depot. An allocation records its stack as a 32-bit id; equal
 * stacks share one record. Capture follows the frame-pointer chain, trusting a frame only
 * while it lies inside the thread's stack and above the previous one, so hand-written
 * assembly without frame pointers costs frames, never a crash, and while its return
 * address lies in executable code (a stack address or other data is no frame). The first
 * frame is always the return address of the call to malloc/free, which is what a learner
 * needs most; code without frame pointers in between is stepped over where the stack
 * shows how (walk_past_frameless, and [sp] at a fault). */
#include "internal.h"

#include <string.h>

#define DEPOT_BUCKETS ((size_t)1 << 20)
#define DEPOT_BYTES ((size_t)1 << 30)  /* reserved, committed as records arrive          */

struct depot_rec {
    uint32_t next;   /* id of the next record in the bucket, 0 = end                    */
    uint32_t hash;
    uint32_t n;      /* frames                                                            */
    uint32_t pad;
    uintptr_t pcs[]; /* n frames                                                          */
};

static _Atomic uint32_t *depot_buckets; /* bucket -> first record id                   */
static uint8_t *depot_base;            /* records; id = offset / 8                      */
static size_t depot_used;
static mb_lock depot_lock;

void mb__stack_init(void)
{
    depot_buckets = mb__os_map(DEPOT_BUCKETS * sizeof(uint32_t));
    depot_base = mb__os_map(DEPOT_BYTES); /* untouched pages cost nothing              */
    depot_used = 16;                      /* id 0 means "no stack"                       */
    if (!depot_base) depot_buckets = NULL;
}

/* The address of the call instruction that returns to ret, when the bytes before ret
 * look like one (e8 rel32; ff /2 with a 6-, 3- or 2-byte encoding), else ret - 1. Only
 * bytes on the page of ret - 1 are read: that page holds part of the call, so it is mapped. */
static uintptr_t call_site(uintptr_t ret)
{
    static const unsigned lens[] = {5, 6, 3, 2};
    const uintptr_t page = (ret - 1) & ~(uintptr_t)(MB_PAGE_SIZE - 1);
    for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uintptr_t at = ret - lens[i];
        if ((at & ~(uintptr_t)(MB_PAGE_SIZE - 1)) != page) continue;
        uint8_t op = *(const uint8_t *)at;
        if ((lens[i] == 5 && op == 0xe8) || (lens[i] != 5 && op == 0xff)) return at;
    }
    return ret - 1;
}

/* A return address: ret - 1 (part of the call instruction) is in executable code. Words
 * that are not (stack addresses, data) end a walk: they are not frames. */
static int is_code_return(uintptr_t ret)
{
    return ret > MB_PAGE_SIZE && mb__code_contains(ret - 1);
}

/* A word that looks like a return address: in code, right after a call instruction, and
 * not in the runtime's own code (a stale word left by an earlier call into memboss). */
static int looks_returned_to(uintptr_t w)
{
    return is_code_return(w) && call_site(w) != w - 1 && !mb__code_is_runtime(w);
}

/* A place for a frame record: aligned, inside the thread's stack [lo, hi). */
static int in_stack(uintptr_t fp, uintptr_t lo, uintptr_t hi)
{
    return fp >= lo && hi >= 16 && fp <= hi - 16 && !(fp & 7); /* no wrap-around */
}

/* The frame-pointer chain from fp into pcs[n..max); returns the new count. A frame is
 * trusted only while it lies in the thread's stack [lo, hi), above the previous one. */
static unsigned walk_chain(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *pcs,
                           unsigned n, unsigned max)
{
    while (n < max && in_stack(fp, lo, hi)) {
        const uintptr_t *f = (const uintptr_t *)fp;
        uintptr_t ret = f[1], next = f[0];
        if (!is_code_return(ret)) break;
        pcs[n++] = ret;
        if (next <= fp) break; /* frames grow upwards; anything else is not a frame chain */
        fp = next;
    }
    return n;
}

#define GAP_WORDS 64 /* words above malloc's frame searched for its caller's return */

/* malloc called from a function that keeps no frame pointer and uses rbp for data (the C
 * library's strdup does): the rbp saved by the entry is no frame, and the chain would end
 * at frame 0. The caller's own return address is then the first word above the entry's
 * frame (from) that looks like one; the frame to go on from is the caller's caller's rbp,
 * which the caller pushed below that word before using rbp (it is callee-saved). */
static unsigned walk_past_frameless(uintptr_t from, uintptr_t lo, uintptr_t hi, uintptr_t *pcs,
                                    unsigned n, unsigned max)
{
    for (uintptr_t a = from; n < max && a <= hi - 8 && a < from + GAP_WORDS * 8; a += 8) {
        uintptr_t w = *(const uintptr_t *)a;
        if (!looks_returned_to(w)) continue;
        pcs[n++] = w;
        for (uintptr_t b = a; b > from;) {
            b -= 8;
            uintptr_t fp = *(const uintptr_t *)b;
            if (fp > a && in_stack(fp, lo, hi) && is_code_return(((const uintptr_t *)fp)[1]))
                return walk_chain(fp, lo, hi, pcs, n, max);
        }
        return n;
    }
    return n;
}

/* A fault: frame 0 is the pc. A function that keeps no frame pointer (most of the C
 * library's string functions) leaves rbp to an older frame, so the chain would skip its
 * direct caller; but at most instructions of such a leaf, nothing is pushed yet and [sp]
 * is its return address. That word is taken when it looks like one (in code, right after
 * a call instruction) and the chain does not yield it first. */
unsigned mb__stack_walk(uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *pcs, unsigned max)
{
    uintptr_t lo, hi;
    mb__thread_stack(&lo, &hi);
    unsigned n = 0;
    if (max == 0) return 0;
    pcs[n++] = pc;
    if (sp > lo) lo = sp;
    uintptr_t top = 0;
    if (sp >= lo && hi >= 8 && sp <= hi - 8 && !(sp & 7)) top = *(const uintptr_t *)sp;
    int leaf = is_code_return(top) && call_site(top) != top - 1;
    if (leaf && n < max) pcs[n++] = top;
    unsigned first = n;
    n = walk_chain(fp, lo, hi, pcs, n, max);
    if (leaf && n > first && pcs[first] == top) { /* the chain's first frame: not twice */
        for (unsigned i = first; i + 1 < n; i++) pcs[i] = pcs[i + 1];
        n--;
    }
    return n;
}

static uint32_t hash_pcs(const uintptr_t *pcs, unsigned n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

static uint32_t depot_put(const uintptr_t *pcs, unsigned n)
{
    if (!depot_buckets || n == 0) return 0;
    uint32_t h = hash_pcs(pcs, n);
    _Atomic uint32_t *bucket = &depot_buckets[h & (DEPOT_BUCKETS - 1)];
    /* Records are immutable once published: readers walk the chain without the lock. */
    for (uint32_t id = atomic_load_explicit(bucket, memory_order_acquire); id;) {
        struct depot_rec *r = (struct depot_rec *)(depot_base + (size_t)id * 8);
        if (r->hash == h && r->n == n && !memcmp(r->pcs, pcs, n * sizeof *pcs)) return id;
        id = r->next;
    }
    size_t bytes = sizeof(struct depot_rec) + n * sizeof(uintptr_t);
    mb__lock(&depot_lock);
    if (depot_used + bytes > DEPOT_BYTES) {
        mb__unlock(&depot_lock);
        return 0;
    }
    uint32_t id = (uint32_t)(depot_used / 8);
    struct depot_rec *r = (struct depot_rec *)(depot_base + depot_used);
    depot_used += bytes;
    r->hash = h;
    r->n = n;
    memcpy(r->pcs, pcs, n * sizeof *pcs);
    r->next = atomic_load_explicit(bucket, memory_order_relaxed);
    atomic_store_explicit(bucket, id, memory_order_release);
    mb__unlock(&depot_lock);
    return id;
}

uint32_t mb__stack_capture(void *frame)
{
    uintptr_t pcs[MB_STACK_MAX];
    long want = mb__opt.malloc_context_size;
    unsigned max = want <= 0 ? 0 : want > MB_STACK_MAX ? MB_STACK_MAX : (unsigned)want;
    if (max == 0) return 0;
    const uintptr_t *f = frame;
    uintptr_t lo, hi;
    mb__thread_stack(&lo, &hi);
    /* The entry keeps a frame pointer (the runtime is built with one), so the return
     * address of its caller is at frame + 8, whatever the caller is: always frame 0. It is
     * stored as the call to malloc/free itself, like a fault's exact pc; the others stay
     * return addresses (reports name the instruction before them). */
    pcs[0] = call_site(f[1]);
    uintptr_t from = (uintptr_t)frame + 16, fp = f[0];
    if (from > lo) lo = from;
    unsigned n;
    if (in_stack(fp, lo, hi) && is_code_return(((const uintptr_t *)fp)[1]))
        n = walk_chain(fp, lo, hi, pcs, 1, max);
    else
        n = walk_past_frameless(from, lo, hi, pcs, 1, max);
    return depot_put(pcs, n);
}

unsigned mb__stack_get(uint32_t id, uintptr_t *pcs, unsigned max)
{
    if (!id || !depot_base) return 0;
    const struct depot_rec *r = (const struct depot_rec *)(depot_base + (size_t)id * 8);
    unsigned n = r->n < max ? r->n : max;
    memcpy(pcs, r->pcs, n * sizeof *pcs);
    return n;
}

int mb__stack_fork(int phase)
{
    return mb__lock_fork(&depot_lock, phase);
}
