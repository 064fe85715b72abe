/* Stack capture and the stack depot. An allocation records its stack as a 32-bit id; equal
 * stacks share one record. The first frame is always the return address of the call to
 * malloc/free, which is what a learner needs most. Capture then follows each frame's CFI
 * rule (unwind.c: .eh_frame, cached per return address), so code built without frame
 * pointers (the C library, -O2 programs) keeps its callers; code with no CFI (hand-written
 * assembly) is stepped over by its return address on the stack and a validated rbp chain.
 * Every stack word read lies in the thread's stack, above the previous frame, and a
 * return address must lie in executable code: a bad frame ends a walk, never the process,
 * and a stack address or other data is no frame. */
#include "internal.h"

#include <string.h>

#define DEPOT_BYTES ((size_t)1 << 30)  /* reserved, committed as records arrive          */
#define TABLE_BITS_MIN 14              /* 128 KiB of slots to start with                  */
#define TABLE_BITS_MAX 25              /* 256 MiB: as many stacks as the records can hold */

/* A record holds its frames encoded: the first pc, then each pc's difference from the one
 * before, zigzag-signed, in 7-bit groups (low group first, bit 7 set on all but the last).
 * A caller is usually near its callee, and a recursion repeats one return address: cubes'
 * 16-frame stacks take 43 bytes a record with the header, instead of 136, and the depot's
 * memory (each new stack's first touch) is what programs with many stacks pay most for. */
#define ENC_MAX (MB_STACK_MAX * 10 + 8) /* encoded bytes of a stack at most, and padding   */
struct depot_rec {
    uint32_t hash;
    uint16_t n;        /* frames                                                          */
    uint16_t len;      /* bytes of enc                                                    */
    uint8_t enc[];     /* the n frames, encoded, then zeroes to a multiple of 8 bytes:
                        * compared a word at a time                                      */
};
_Static_assert(ENC_MAX < 65536, "an encoded stack's length fits in 16 bits");

/* The index: open addressing in one array of 8-byte slots, a record's hash above its id
 * (0: empty). A lookup reads one slot, usually, and a record only when the hashes agree;
 * the table is kept at most half full, so it stays dense in the cache (a chained table of
 * a million buckets cost a cache miss in a random line per lookup). Growing builds a new
 * table under the lock and publishes it; readers still in the old one find everything
 * that was in it, and a miss is looked up again under the lock. Old tables stay mapped. */
struct depot_table {
    unsigned bits;
    _Atomic uint64_t slot[];
};

static _Atomic(struct depot_table *) depot_table;
static size_t depot_count;             /* records, all in the current table             */
static uint8_t *depot_base;            /* records; id = offset / 8                      */
static size_t depot_used;
static mb_lock depot_lock;

static struct depot_table *table_new(unsigned bits)
{
    size_t bytes = sizeof(struct depot_table) + ((size_t)8 << bits);
    struct depot_table *t = mb__os_map(bytes);
    if (!t) return NULL;
    if (bytes >= ((size_t)2 << 20)) mb__os_huge_pages(t, bytes);
    t->bits = bits;
    return t;
}

void mb__stack_init(void)
{
    depot_base = mb__os_map(DEPOT_BYTES); /* untouched pages cost nothing              */
    depot_used = 16;                      /* id 0 means "no stack"                       */
    /* The records' end is where each new stack goes: huge pages, where the kernel allows
     * them, spare most of the page faults of a program with many stacks. */
    if (depot_base) mb__os_huge_pages(depot_base, DEPOT_BYTES);
    if (depot_base) atomic_store_explicit(&depot_table, table_new(TABLE_BITS_MIN), memory_order_release);
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

#define GAP_WORDS 64 /* words above a frameless function's sp searched for its return */

/* One frame up through code without CFI (hand-written assembly), from r. Its return
 * address is the first word from sp up that looks like one; the frame record at rbp, when
 * rbp is a plausible frame above sp, ends the search (its return address is the caller's
 * frame-pointer step). A function that pushed rbp and uses it for data leaves no plausible
 * rbp: the caller's caller's rbp is then the first word below the return address that
 * points to a frame record above it (rbp is callee-saved, so it was pushed there). */
int mb__stack_step_frameless(struct mb_unwind_regs *r, uintptr_t lo, uintptr_t hi)
{
    uintptr_t bp = r->bp, sp = r->sp;
    int framed = in_stack(bp, lo, hi) && bp >= sp;
    for (uintptr_t a = sp; hi >= 8 && a <= hi - 8; a += 8) {
        if (framed && a == bp + 8) {
            const uintptr_t *f = (const uintptr_t *)bp;
            if (!is_code_return(f[1])) return 0;
            r->pc = f[1], r->sp = bp + 16, r->bp = f[0];
            return 1;
        }
        if (a - sp >= GAP_WORDS * 8) {
            if (!framed) return 0;
            a = bp; /* the next round reads the frame record's return address */
            continue;
        }
        uintptr_t w = *(const uintptr_t *)a;
        if (!looks_returned_to(w)) continue;
        r->pc = w, r->sp = a + 8;
        for (uintptr_t b = a; !framed && b > sp;) {
            b -= 8;
            uintptr_t fp = *(const uintptr_t *)b;
            if (fp > a && in_stack(fp, lo, hi) && is_code_return(((const uintptr_t *)fp)[1]))
                r->bp = fp, framed = 1;
        }
        return 1;
    }
    return 0;
}

/* A fault: frame 0 is the pc, then its callers as for an allocation. */
unsigned mb__stack_walk(uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *pcs, unsigned max)
{
    uintptr_t lo, hi;
    mb__thread_stack(&lo, &hi);
    if (max > MB_STACK_MAX) max = MB_STACK_MAX;
    if (max == 0) return 0;
    pcs[0] = pc;
    if (sp > lo) lo = sp;
    return mb__unwind((struct mb_unwind_regs){pc, sp, fp}, lo, hi, pcs, 1, max, 1, 1, NULL);
}

/* pcs[0..n) encoded into enc (ENC_MAX bytes, 8-aligned), zero-padded to a multiple of 8
 * bytes, and hashed into *hash (in the same pass); returns the length without the padding. */
static unsigned encode_pcs(const uintptr_t *pcs, unsigned n, uint8_t *enc, uint32_t *hash)
{
    unsigned len = 0;
    uintptr_t prev = 0;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        int64_t d = (int64_t)(pcs[i] - prev);
        uint64_t z = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
        prev = pcs[i];
        while (z >= 0x80) {
            enc[len++] = (uint8_t)(z | 0x80);
            z >>= 7;
        }
        enc[len++] = (uint8_t)z;
    }
    memset(enc + len, 0, 8); /* enough for the padding */
    *hash = (uint32_t)h;
    return len;
}

/* The first max frames of an encoded stack of n into pcs; returns how many. */
static unsigned decode_pcs(const uint8_t *enc, unsigned n, uintptr_t *pcs, unsigned max)
{
    uintptr_t prev = 0;
    unsigned i = 0;
    for (; i < n && i < max; i++) {
        uint64_t z = 0;
        unsigned shift = 0;
        uint8_t b;
        do {
            b = *enc++;
            z |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        prev += (uintptr_t)((z >> 1) ^ (0 - (z & 1)));
        pcs[i] = prev;
    }
    return i;
}

/* Two padded encodings of len bytes, 8-aligned. */
static inline int same_enc(const uint8_t *a, const uint8_t *b, unsigned len)
{
    uint64_t diff = 0;
    for (unsigned i = 0; i < len; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    return diff == 0;
}

/* The id of this stack's record in table t; 0 when none. Records are immutable once
 * published: readers probe without the lock. */
static uint32_t depot_find(const struct depot_table *t, uint32_t h, const uint8_t *enc,
                           unsigned len, unsigned n)
{
    size_t mask = ((size_t)1 << t->bits) - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t v = atomic_load_explicit(&t->slot[i], memory_order_acquire);
        if (!v) return 0;
        if ((uint32_t)(v >> 32) != h) continue;
        const struct depot_rec *r = (const struct depot_rec *)(depot_base + (size_t)(uint32_t)v * 8);
        if (r->n == n && r->len == len && same_enc(r->enc, enc, len)) return (uint32_t)v;
    }
}

static void table_insert(struct depot_table *t, uint64_t v)
{
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t i = (uint32_t)(v >> 32) & mask;
    while (atomic_load_explicit(&t->slot[i], memory_order_relaxed)) i = (i + 1) & mask;
    atomic_store_explicit(&t->slot[i], v, memory_order_release);
}

/* Under the lock: a table twice as large with every slot of t, published. */
static void table_grow(struct depot_table *t)
{
    if (t->bits >= TABLE_BITS_MAX) return;
    struct depot_table *g = table_new(t->bits + 1);
    if (!g) return;
    for (size_t i = 0; i < ((size_t)1 << t->bits); i++) {
        uint64_t v = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
        if (v) table_insert(g, v);
    }
    atomic_store_explicit(&depot_table, g, memory_order_release);
}

/* Invariant: one record per distinct stack (leak records are grouped by its id). */
static uint32_t depot_put(const uintptr_t *pcs, unsigned n)
{
    struct depot_table *t = atomic_load_explicit(&depot_table, memory_order_acquire);
    if (!t || n == 0) return 0;
    _Alignas(8) uint8_t enc[ENC_MAX];
    uint32_t h;
    unsigned len = encode_pcs(pcs, n, enc, &h);
    uint32_t found = depot_find(t, h, enc, len, n);
    if (found) return found;
    size_t bytes = mb__align_up(sizeof(struct depot_rec) + len, 8); /* ids count 8 bytes */
    mb__lock(&depot_lock);
    /* Another thread may have published the same stack since, or grown the table. */
    t = atomic_load_explicit(&depot_table, memory_order_relaxed);
    if ((found = depot_find(t, h, enc, len, n))) {
        mb__unlock(&depot_lock);
        return found;
    }
    /* A full table (growth failed) takes no more: the stack goes unrecorded. */
    if (depot_used + bytes > DEPOT_BYTES || 4 * (depot_count + 1) > 3 * ((size_t)1 << t->bits)) {
        mb__unlock(&depot_lock);
        return 0;
    }
    uint32_t id = (uint32_t)(depot_used / 8);
    struct depot_rec *r = (struct depot_rec *)(depot_base + depot_used);
    depot_used += bytes;
    r->hash = h;
    r->n = (uint16_t)n;
    r->len = (uint16_t)len;
    memcpy(r->enc, enc, mb__align_up(len, 8)); /* the padding too: same_enc reads it */
    table_insert(t, (uint64_t)h << 32 | id);
    depot_count++;
    if (2 * depot_count > ((size_t)1 << t->bits)) table_grow(t);
    mb__unlock(&depot_lock);
    return id;
}

/* The memo: each thread keeps its last few captures, keyed by where the walk starts (the
 * return address, sp and, if the walk used it, rbp at the entry), with every stack word
 * the walk read. A walk
 * is a function of its start, the words it reads and the rules (unchanged while
 * mb__unwind_epoch is): when all of them match, the stack is the one recorded, and its
 * depot id is known without unwinding or hashing. A loop that allocates from one place
 * pays a comparison per word instead of an unwind step and a depot lookup per frame. */
#define MEMO_BITS 3
struct memo {
    uintptr_t ret, sp, bp;     /* the walk's start (bp matters only if log.uses_bp)      */
    unsigned epoch;            /* mb__unwind_epoch when recorded                         */
    uint32_t id;               /* the stack's depot id; 0: slot empty or being written  */
    struct mb_unwind_log log;  /* the words the walk depended on                         */
};
static MB_TLS struct memo memo[1u << MEMO_BITS];
static MB_TLS uint8_t memo_mru[1u << (MEMO_BITS - 1)]; /* per set: the way used last */
static MB_TLS int memo_busy; /* a capture is under way: a signal handler's own skips the memo */

/* Every word the recorded walk read still holds what it held. */
static inline int memo_matches(const struct memo *m)
{
    uintptr_t diff = 0;
    for (unsigned i = 0; i < m->log.n; i++)
        diff |= *(const uintptr_t *)(m->sp + m->log.off[i]) ^ m->log.val[i];
    return diff == 0;
}

/* A capture the memo did not know: the walk, recorded into m (NULL: not recorded).
 * Realigned: hand-written assembly often calls malloc with a misaligned stack, and the
 * unwinder's structures may be moved with aligned vector stores. */
__attribute__((force_align_arg_pointer)) MB_NOINLINE static uint32_t
capture_walk(const uintptr_t *f, struct memo *m, unsigned epoch)
{
    uintptr_t pcs[MB_STACK_MAX];
    long want = mb__opt.malloc_context_size;
    unsigned max = want > MB_STACK_MAX ? MB_STACK_MAX : (unsigned)want;
    /* The caller as it is when the call returns: sp just above the return address, rbp
     * as the entry saved it. */
    uintptr_t ret = f[1], from = (uintptr_t)f + 16, bp = f[0];
    uintptr_t lo, hi;
    mb__thread_stack(&lo, &hi);
    /* The entry keeps a frame pointer (the runtime is built with one), so the return
     * address of its caller is at frame + 8, whatever the caller is: always frame 0. It is
     * stored as the call to malloc/free itself, like a fault's exact pc; the others stay
     * return addresses (reports name the instruction before them). */
    pcs[0] = call_site(ret);
    if (from > lo) lo = from;
    if (m) {
        memo_busy = 1;
        m->id = 0;
        m->log.base = from;
    }
    unsigned n = mb__unwind((struct mb_unwind_regs){ret, from, bp}, lo, hi, pcs, 1, max, 0, 0,
                            m ? &m->log : NULL);
    uint32_t id = depot_put(pcs, n);
    if (m) {
        if (m->log.n <= MB_UNWIND_LOG_MAX) {
            m->bp = bp, m->epoch = epoch;
            m->id = id; /* last: the slot is whole */
        }
        memo_busy = 0;
    }
    return id;
}

/* The memo's answer when it has one (no walk, no depot lookup), else the walk. */
uint32_t mb__stack_capture(void *frame)
{
    if (mb__opt.malloc_context_size <= 0) return 0;
    const uintptr_t *f = frame;
    uintptr_t ret = f[1], from = (uintptr_t)frame + 16;
    /* Two ways per set: a loop's malloc and free start at the same sp from two call
     * sites, and one way each would make them evict each other whenever their hashes
     * met (one stack layout in eight). */
    unsigned set = (unsigned)(((ret ^ from) * 0x9e3779b97f4a7c15ull) >> (64 - MEMO_BITS + 1));
    struct memo *w = &memo[2 * set], *m = NULL;
    if (w[0].ret == ret && w[0].sp == from) m = &w[0];
    else if (w[1].ret == ret && w[1].sp == from) m = &w[1];
    unsigned epoch = atomic_load_explicit(&mb__unwind_epoch, memory_order_acquire);
    if (MB_UNLIKELY(memo_busy)) return capture_walk(f, NULL, epoch);
    if (m) {
        memo_mru[set] = (uint8_t)(m - w);
        if (m->id && (m->bp == f[0] || !m->log.uses_bp) && m->epoch == epoch && memo_matches(m))
            return m->id;
        return capture_walk(f, m, epoch); /* a start seen before: record the walk */
    }
    /* A start new to the set is only noted, in its less recently used way: a walk is
     * recorded when its start comes back, so that captures that never repeat (recursion)
     * pay no recording. */
    m = &w[memo_mru[set] ^ 1];
    memo_mru[set] = (uint8_t)(m - w);
    memo_busy = 1; /* a signal handler's capture in between must not see half a slot */
    m->id = 0;
    m->ret = ret, m->sp = from;
    memo_busy = 0;
    return capture_walk(f, NULL, epoch);
}

unsigned mb__stack_get(uint32_t id, uintptr_t *pcs, unsigned max)
{
    if (!id || !depot_base) return 0;
    const struct depot_rec *r = (const struct depot_rec *)(depot_base + (size_t)id * 8);
    return decode_pcs(r->enc, r->n, pcs, max);
}

int mb__stack_fork(int phase)
{
    return mb__lock_fork(&depot_lock, phase);
}
