/* The unwinder's rules, per return address: the loaded modules' .eh_frame_hdr tables
 * (found with dl_iterate_phdr), read by cfi.c on a miss, and a cache of the decoded rules
 * so that a warm frame costs a hash probe and a few loads.
 *
 * The cache is a fixed, direct-mapped table in mmap'ed memory, read and written without
 * locks: a slot is two words, the address and its packed rule, and the rule carries 16
 * bits of the address's hash, so a slot torn by two writers reads as a miss, never as
 * another address's rule.
 *
 * The module list is rebuilt outside signal handlers only (dl_iterate_phdr takes the
 * loader's lock), when dlpi_adds or dlpi_subs show a library loaded or unloaded; an unload
 * also empties the cache, whose rules may be the unloaded code's. A fault handler uses
 * what is there, and reads a module's tables only while its code is still mapped. */
#include "internal.h"

#include <link.h>
#include <string.h>

#define CACHE_SLOTS ((size_t)1 << 16) /* 1 MiB                                            */
#define MOD_MAX 512                   /* modules kept; more go without CFI                */

enum { KIND_EMPTY = 0, KIND_RULE = 1, KIND_NOCFI = 2 };

struct slot {
    _Atomic uintptr_t key;
    _Atomic uint64_t val; /* check:15 cfa_rbp:1 kind:2 rbp:7 ra:7 cfa_off:32 (see pack) */
};

struct module {
    uintptr_t lo, hi;           /* span of the PT_LOAD segments: the tables' bounds       */
    uintptr_t text_lo, text_hi; /* span of the executable ones                           */
    uintptr_t hdr;              /* .eh_frame_hdr, 0: none                                 */
};

static struct slot *cache;
static struct module mods[MOD_MAX];
static _Atomic unsigned mod_n, mod_seq; /* mod_seq odd while the list is rewritten      */
static unsigned long long mod_adds, mod_subs;
static mb_lock mod_lock; /* one writer; only try-locked                                 */
static _Atomic int ready; /* the C library is up: dl_iterate_phdr may be called         */
MB_HIDDEN _Atomic unsigned mb__unwind_epoch; /* bumped when the module list is re-read   */

/* dl_iterate_phdr is unsafe before the C library initialised itself: malloc is called
 * earlier (by the loader). Until this constructor ran, stacks follow frame pointers. */
__attribute__((constructor)) static void unwind_ready(void)
{
    cache = mb__os_map(CACHE_SLOTS * sizeof *cache);
    atomic_store_explicit(&ready, cache != NULL, memory_order_release);
}

static inline uint64_t hash_of(uintptr_t a)
{
    return (uint64_t)a * 0x9e3779b97f4a7c15ull;
}

/* The packed rule; 0 when the rule does not fit (offsets of 8-byte slots up to 1016 bytes
 * below the CFA). The fields are placed so that a step extracts each with a shift or two. */
static uint64_t pack(uintptr_t a, int kind, const struct mb_cfi_rule *r)
{
    uint64_t check = hash_of(a) >> 49, v = check << 49 | (uint64_t)kind << 46;
    if (kind != KIND_RULE) return v;
    if ((r->ra_off | r->rbp_off) & 7 || r->ra_off < -1016 || r->rbp_off < -1016 ||
        r->ra_off > 0 || r->rbp_off > 0)
        return 0;
    v |= (uint64_t)r->cfa_rbp << 48 | (uint64_t)(-r->rbp_off / 8) << 39 |
         (uint64_t)(-r->ra_off / 8) << 32 | (uint32_t)r->cfa_off;
    return v;
}

struct scan {
    unsigned n;
    unsigned long long adds, subs;
};

static int count_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct scan *s = arg;
    (void)size;
    s->adds = info->dlpi_adds, s->subs = info->dlpi_subs;
    return 1; /* the counters are the same in every entry: one is enough */
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct scan *s = arg;
    (void)size;
    s->adds = info->dlpi_adds, s->subs = info->dlpi_subs;
    if (s->n >= MOD_MAX) return 0;
    struct module m = {UINTPTR_MAX, 0, UINTPTR_MAX, 0, 0};
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_GNU_EH_FRAME) m.hdr = a;
        if (ph->p_type != PT_LOAD) continue;
        if (a < m.lo) m.lo = a;
        if (a + ph->p_memsz > m.hi) m.hi = a + ph->p_memsz;
        if (!(ph->p_flags & PF_X)) continue;
        if (a < m.text_lo) m.text_lo = a;
        if (a + ph->p_memsz > m.text_hi) m.text_hi = a + ph->p_memsz;
    }
    if (m.text_lo >= m.text_hi) return 0;
    if (m.hdr < m.lo || m.hdr >= m.hi) m.hdr = 0;
    /* Kept sorted by text_lo (insertion: the loader's order is not address order). */
    unsigned i = s->n++;
    for (; i > 0 && mods[i - 1].text_lo > m.text_lo; i--) mods[i] = mods[i - 1];
    mods[i] = m;
    return 0;
}

/* Re-reads the module list when a library came or went since the last read; an unload
 * empties the cache. Never in a signal handler. */
static void refresh(void)
{
    struct scan s = {0, 0, 0};
    dl_iterate_phdr(count_cb, &s);
    if (s.adds == mod_adds && s.subs == mod_subs && atomic_load(&mod_n)) return;
    if (atomic_exchange_explicit(&mod_lock.held, 1, memory_order_acquire)) return;
    int unloaded = s.subs != mod_subs;
    atomic_fetch_add_explicit(&mod_seq, 1, memory_order_acq_rel); /* odd: rewriting      */
    if (unloaded) /* first: a reader that sees the new list must not find old rules */
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            atomic_store_explicit(&cache[i].key, 0, memory_order_relaxed);
    s.n = 0;
    dl_iterate_phdr(module_cb, &s);
    mod_adds = s.adds, mod_subs = s.subs;
    atomic_store_explicit(&mod_n, s.n, memory_order_relaxed);
    atomic_fetch_add_explicit(&mod_seq, 1, memory_order_acq_rel); /* even: consistent    */
    atomic_fetch_add_explicit(&mb__unwind_epoch, 1, memory_order_release); /* memos stale */
    mb__unlock(&mod_lock);
}

/* A copy of the module whose code holds a: 1, or 0 (none, or the list changed meanwhile). */
static int module_of(uintptr_t a, struct module *out)
{
    unsigned seq = atomic_load_explicit(&mod_seq, memory_order_acquire);
    if (seq & 1) return 0;
    unsigned lo = 0, hi = atomic_load_explicit(&mod_n, memory_order_relaxed);
    if (hi > MOD_MAX) hi = MOD_MAX;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (mods[mid].text_lo <= a) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return 0;
    *out = mods[lo - 1];
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&mod_seq, memory_order_relaxed) != seq) return 0;
    return a < out->text_hi;
}

/* The rule for code address a, decoded from its module's tables; 0 when a is no code. */
static uint64_t fill(uintptr_t a, int in_signal)
{
    struct module m;
    int found = module_of(a, &m);
    if (!found && !in_signal) {
        refresh();
        found = module_of(a, &m);
    }
    if (!found) return mb__code_contains(a) ? pack(a, KIND_NOCFI, NULL) : 0;
    /* In a handler the list may predate a dlclose: read the tables only while the code
     * they describe is still mapped (code.c reads /proc/self/maps, no lock). */
    if (in_signal && !mb__code_contains(a)) return 0;
    struct mb_cfi_rule r;
    uint64_t v = m.hdr && mb__cfi_find(m.hdr, m.lo, m.hi, a, &r) > 0 ? pack(a, KIND_RULE, &r) : 0;
    if (!v) v = pack(a, KIND_NOCFI, NULL);
    struct slot *s = &cache[hash_of(a) >> 32 & (CACHE_SLOTS - 1)];
    atomic_store_explicit(&s->key, 0, memory_order_relaxed);
    atomic_store_explicit(&s->val, v, memory_order_release);
    atomic_store_explicit(&s->key, a, memory_order_release);
    return v;
}

/* The packed rule for code address a: cached, or decoded now. 0: a is no code. */
static inline uint64_t rule_of(uintptr_t a, int in_signal)
{
    uint64_t h = hash_of(a);
    struct slot *s = &cache[h >> 32 & (CACHE_SLOTS - 1)];
    if (atomic_load_explicit(&s->key, memory_order_acquire) == a) {
        uint64_t v = atomic_load_explicit(&s->val, memory_order_acquire);
        if (v >> 49 == h >> 49) return v;
    }
    return fill(a, in_signal);
}

/* The thread's last walk, for the next one: deep recursion allocates from ever new
 * starts (the stack memo never sees one twice), yet consecutive walks share their outer
 * frames. A walk that reaches a state (pc, sp, and rbp when a later rule reads it) of the
 * last walk, with every stack word the last walk read beyond it unchanged, would repeat the
 * last walk from there: it takes those frames instead, and resumes unwinding where the last
 * walk stopped at its frame limit. Frame i's state is the registers once pcs[i] is known,
 * and ra_at/bp_at say which words the step into it read (0: none). Two records per thread:
 * the last walk is read while the current one is written. */
struct walk_rec {
    unsigned first, n;      /* states [first - 1, n) are known                            */
    unsigned cut;           /* the walk stopped at its frame limit, not at its end        */
    unsigned end_lo;        /* it ended at a word below lo                                */
    unsigned epoch;         /* mb__unwind_epoch: the rules the walk used                  */
    uintptr_t lo, hi;
    uintptr_t pc[MB_STACK_MAX], sp[MB_STACK_MAX], bp[MB_STACK_MAX], out[MB_STACK_MAX];
    uintptr_t ra_at[MB_STACK_MAX], bp_at[MB_STACK_MAX];
    uint8_t cfa_rbp[MB_STACK_MAX]; /* the step into state i computed its CFA from rbp     */
};
static MB_TLS struct walk_rec walk_recs[2];
static MB_TLS unsigned walk_cur;  /* walk_recs[walk_cur] is the last walk (n = 0: none)   */
static MB_TLS int walk_busy;      /* a walk is under way: a nested one (a signal) keeps out */

/* The last walk's frames after its state j, when this walk is at the same state: their
 * words unchanged and inside [lo, hi). *need_bp: rbp at the state matters to them. */
static int suffix_holds(const struct walk_rec *R, unsigned j, uintptr_t lo, uintptr_t hi, int *need_bp)
{
    /* A walk that ended at a word below its own lo ends the same only with the same lo. */
    if (R->hi != hi || (R->end_lo && R->lo != lo)) return 0;
    uintptr_t diff = 0, below = 0;
    int need = -1;
    for (unsigned i = j + 1; i < R->n; i++) {
        if (need < 0 && R->cfa_rbp[i]) need = 1;
        if (R->bp_at[i]) {
            if (need < 0) need = 0;
            diff |= *(const uintptr_t *)R->bp_at[i] ^ R->bp[i];
            below |= R->bp_at[i] < lo;
        }
        diff |= *(const uintptr_t *)R->ra_at[i] ^ R->pc[i];
        below |= R->ra_at[i] < lo;
    }
    if (diff || below) return 0;
    *need_bp = need < 0 ? (int)R->cut : need;
    return 1;
}

/* A return address read by a CFI step is kept before it is known to be code; the next
 * lookup, which needs its rule anyway, says whether it is (unchecked: the frame to drop
 * when it is not). The registers live in locals: r escapes only to the frameless step.
 * For the log, the walk keeps where each return address was read (a store per frame),
 * and a saved rbp only when a later CFA is computed from it: a restored rbp that no rule
 * uses does not change the frames. A walk the log cannot describe is marked spoiled. */
#define BP_READS MB_STACK_MAX
/* mb__unwind's locals: note that the frames depend on the saved rbp read from stack word
 * `at` (it held `val`); a walk that depends on more than BP_READS of them is spoiled. */
#define LOG_BP(at, val)                                                                   \
    do {                                                                                  \
        if (nbp < BP_READS) bp_at[nbp] = (at), bp_val[nbp] = (val);                       \
        else spoiled = 1;                                                                 \
        nbp++;                                                                            \
    } while (0)
unsigned mb__unwind(struct mb_unwind_regs r, uintptr_t lo, uintptr_t hi, uintptr_t *pcs,
                    unsigned n, unsigned max, int exact, int in_signal, struct mb_unwind_log *log)
{
    uintptr_t ra_at[MB_STACK_MAX];          /* ra_at[i]: where pcs[i] was read           */
    uintptr_t bp_at[BP_READS], bp_val[BP_READS];
    int ok = atomic_load_explicit(&ready, memory_order_acquire), unchecked = 0;
    uintptr_t pc = r.pc, sp = r.sp, bp = r.bp;
    unsigned first = n, nbp = 0, spoiled = 0, uses_bp = 0;
    uintptr_t bp_from = 0; /* where bp was read; 0: bp is r.bp, or already logged         */
    int bp_fresh = 1;      /* bp is still r.bp                                            */
    if (max > MB_STACK_MAX) max = MB_STACK_MAX;
    /* The last walk (R) and this one's record (W): allocation captures only. */
    struct walk_rec *R = NULL, *W = NULL;
    unsigned jr = 0, cut = 0, end_lo = 0, tries = 2; /* a failed junction seldom holds further up */
    if (ok && !in_signal && !exact && !walk_busy && n >= 1 && n < max) {
        walk_busy = 1;
        R = &walk_recs[walk_cur];
        W = &walk_recs[walk_cur ^ 1];
        if (R->epoch != atomic_load_explicit(&mb__unwind_epoch, memory_order_acquire)) R->n = 0;
        W->first = first, W->lo = lo, W->hi = hi;
        W->epoch = atomic_load_explicit(&mb__unwind_epoch, memory_order_acquire);
        W->pc[n - 1] = pc, W->sp[n - 1] = sp, W->bp[n - 1] = bp, W->out[n - 1] = pcs[n - 1];
        W->ra_at[n - 1] = W->bp_at[n - 1] = 0, W->cfa_rbp[n - 1] = 0;
        jr = R->n ? R->first - 1 : 0;
        goto junction;
    }
    while (n < max) {
        uint64_t v = ok ? rule_of(exact ? pc : pc - 1, in_signal) : (uint64_t)KIND_NOCFI << 46;
        exact = 0;
        if (!v) { /* no code: the last return address was no frame */
            n -= unchecked;
            spoiled = 1;
            goto out;
        }
        unchecked = 0;
        if ((v >> 46 & 3) != KIND_RULE) {
            struct mb_unwind_regs f = {pc, sp, bp};
            spoiled = 1;
            if (!mb__stack_step_frameless(&f, lo, hi)) goto out; /* it validates f.pc */
            pc = f.pc, sp = f.sp, bp = f.bp;
            pcs[n++] = pc;
            continue;
        }
        /* CFA = rsp or rbp + offset, above this frame; the slots below it in [lo, hi). */
        unsigned ra = (unsigned)(v >> 32) & 0x7f, rbp = (unsigned)(v >> 39) & 0x7f;
        uintptr_t cfa;
        int from_bp = (v >> 48) & 1;
        if (from_bp) {
            cfa = bp + (uintptr_t)(int64_t)(int32_t)v;
            if (bp_fresh) {
                uses_bp = 1;
            } else if (bp_from) { /* the saved rbp matters: log it, once */
                LOG_BP(bp_from, bp);
                bp_from = 0;
            }
        } else {
            cfa = sp + (uintptr_t)(int64_t)(int32_t)v;
        }
        if (!ra || cfa <= sp || cfa > hi || cfa - 8 * ra < lo) { /* !ra: outermost */
            end_lo = ra && cfa > sp && cfa <= hi;
            goto out;
        }
        uintptr_t read_bp = 0;
        if (rbp) {
            if (cfa - 8 * rbp < lo) {
                end_lo = 1;
                goto out;
            }
            read_bp = bp_from = cfa - 8 * rbp;
            bp = *(const uintptr_t *)bp_from;
            bp_fresh = 0;
        }
        ra_at[n] = cfa - 8 * ra;
        pc = *(const uintptr_t *)ra_at[n];
        sp = cfa;
        unchecked = 1;
        pcs[n++] = pc;
        if (!W) continue;
        W->pc[n - 1] = pc, W->sp[n - 1] = sp, W->bp[n - 1] = bp, W->out[n - 1] = pc;
        W->ra_at[n - 1] = ra_at[n - 1], W->bp_at[n - 1] = read_bp, W->cfa_rbp[n - 1] = (uint8_t)from_bp;
    junction:
        /* States only go up the stack: the last walk's are passed in order. */
        while (jr < R->n && R->sp[jr] < sp) jr++;
        if (jr < R->n && R->sp[jr] == sp && R->pc[jr] == pc && !spoiled && tries) {
            int need_bp;
            if (!suffix_holds(R, jr, lo, hi, &need_bp) || (need_bp && R->bp[jr] != bp)) {
                tries--;
                continue;
            }
            if (need_bp) { /* rbp here matters: log where it came from, as a rule would */
                if (bp_fresh) {
                    uses_bp = 1;
                } else if (bp_from) {
                    LOG_BP(bp_from, bp);
                }
            }
            /* The frames beyond, and every word they were read from, into the log. */
            unsigned i = jr + 1;
            for (; i < R->n && n < max; i++, n++) {
                pcs[n] = R->out[i];
                ra_at[n] = R->ra_at[i];
                if (R->bp_at[i]) {
                    LOG_BP(R->bp_at[i], R->bp[i]);
                }
                W->pc[n] = R->pc[i], W->sp[n] = R->sp[i], W->bp[n] = R->bp[i], W->out[n] = R->out[i];
                W->ra_at[n] = R->ra_at[i], W->bp_at[n] = R->bp_at[i], W->cfa_rbp[n] = R->cfa_rbp[i];
            }
            unchecked = 0; /* the last walk validated its frames */
            if (n >= max) { /* frames may go on beyond the limit */
                cut = 1;
                goto out;
            }
            if (!R->cut) { /* this walk ends where the last one did */
                end_lo = R->end_lo;
                goto out;
            }
            /* The last walk stopped at its limit, this one goes on from its last state. A
             * rbp it read is logged above; one it did not is this walk's, logged above. */
            pc = R->pc[R->n - 1], sp = R->sp[R->n - 1], bp = R->bp[R->n - 1];
            bp_from = 0, bp_fresh = 0;
            jr = R->n;
        }
    }
    cut = 1;
    if (unchecked && ok && !rule_of(pc - 1, in_signal)) n--, spoiled = 1, cut = 0;
out:
    if (W) {
        W->n = spoiled ? 0 : n;
        W->cut = cut;
        W->end_lo = end_lo;
        walk_cur ^= 1;
        walk_busy = 0;
    }
    if (log) {
        unsigned k = 0;
        uintptr_t far = 0; /* bits above 32 of an offset: a word out of the log's reach */
        if (!spoiled && nbp + (n - first) <= MB_UNWIND_LOG_MAX) {
            for (unsigned i = first; i < n; i++, k++) {
                far |= ra_at[i] - log->base;
                log->off[k] = (uint32_t)(ra_at[i] - log->base), log->val[k] = pcs[i];
            }
            for (unsigned i = 0; i < nbp; i++, k++) {
                far |= bp_at[i] - log->base;
                log->off[k] = (uint32_t)(bp_at[i] - log->base), log->val[k] = bp_val[i];
            }
        }
        if (spoiled || nbp + (n - first) > MB_UNWIND_LOG_MAX || far >> 32) k = MB_UNWIND_LOG_MAX + 1;
        log->n = k;
        log->uses_bp = uses_bp;
    }
    return n;
}
#undef LOG_BP

/* The list's writer only try-locks: a child that inherited it held resets it. */
int mb__unwind_fork(int phase)
{
    if (phase == MB_FORK_CHILD) mb__lock_reset(&mod_lock);
    return 1;
}
