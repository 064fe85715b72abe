/* memboss — cross-file prototypes of the runtime, grouped by the file that defines them.
 * Naming: mb_ public (include/memboss.h), mb__ internal, MB_ macros. */
#ifndef MB_INTERNAL_H
#define MB_INTERNAL_H

#include "types.h"

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#define MB_LIKELY(x) __builtin_expect(!!(x), 1)
#define MB_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MB_NOINLINE __attribute__((noinline))
#define MB_TLS __attribute__((tls_model("initial-exec"))) __thread
#define MB_API __attribute__((visibility("default")))
/* For the data the fast paths read: a declaration is not hidden by -fvisibility=hidden,
 * and without it each read of the variable goes through an address load first. */
#define MB_HIDDEN __attribute__((visibility("hidden")))
/* For the small tables every process touches (options, size classes, the park): they go
 * in the library's data, on the page of its global offset table, which the loader has
 * made resident anyway; in .bss the compiler's alignment of arrays (32) and the link
 * order would scatter them over pages of their own. */
#define MB_HOT_DATA __attribute__((section(".data.mb_hot")))

/* Asserts in tiers; they compile out. A user's bug is never an assert: it is a finding. */
#if MB_DEBUG >= 1
#define mb__assert(c) ((c) ? (void)0 : mb__panic("assertion failed: " #c, __FILE__, __LINE__))
#else
#define mb__assert(c) ((void)0)
#endif
#if MB_DEBUG >= 2
#define mb__assert_expensive(c) mb__assert(c)
#else
#define mb__assert_expensive(c) ((void)0)
#endif

#include <sched.h>
/* Fork handlers are registered lazily in fast mode (init.c): a single-threaded process
 * cannot fork while one of our locks is held, and registering costs resident pages of
 * the C library. Invariant: every lock acquisition first makes sure that the handlers are
 * registered once the process has a second thread; check mode registers at start. */
extern MB_HIDDEN _Atomic int mb__fork_ready; /* 2 once pthread_atfork has returned      */
void mb__fork_ready_slow(void);
static inline void mb__lock(mb_lock *l)
{
    if (MB_UNLIKELY(atomic_load_explicit(&mb__fork_ready, memory_order_acquire) != 2))
        mb__fork_ready_slow();
    while (__builtin_expect(atomic_exchange_explicit(&l->held, 1, memory_order_acquire), 0))
        while (atomic_load_explicit(&l->held, memory_order_relaxed)) sched_yield();
}
static inline void mb__unlock(mb_lock *l) { atomic_store_explicit(&l->held, 0, memory_order_release); }
static inline void mb__lock_reset(mb_lock *l) { atomic_store_explicit(&l->held, 0, memory_order_relaxed); }
/* Phases of the lock steps that fork and the leak scan take every lock with. */
enum {
    MB_FORK_PREPARE = 0, /* take the lock                                                */
    MB_FORK_PARENT = 1,  /* release it                                                   */
    MB_FORK_CHILD = 2,   /* reset it in the child: the thread that held it is not there  */
    MB_LOCK_TRY = 3,     /* take it unless it stays held for about 100 ms (signal paths) */
};
static inline int mb__lock_try_for(mb_lock *l, unsigned yields)
{
    for (unsigned i = 0; atomic_exchange_explicit(&l->held, 1, memory_order_acquire); i++) {
        if (i >= yields) return 0;
        sched_yield();
    }
    return 1;
}
/* Returns 0 only when MB_LOCK_TRY could not take the lock. */
static inline int mb__lock_fork(mb_lock *l, int phase)
{
    if (phase == MB_FORK_PREPARE) mb__lock(l);
    else if (phase == MB_FORK_PARENT) mb__unlock(l);
    else if (phase == MB_FORK_CHILD) mb__lock_reset(l);
    else return mb__lock_try_for(l, 20000);
    return 1;
}

static inline size_t mb__align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* ---- init.c: process start, options, threads, fork -------------------------------- */
struct mb_options {
#define MB_OPTION(type, name, def, safe, help) MB_OPT_DECL_##type(name)
#define MB_OPT_DECL_BOOL(name) int name;
#define MB_OPT_DECL_INT(name) long name;
#define MB_OPT_DECL_MODE(name) int name; /* 0 fast, 1 check */
#define MB_OPT_DECL_STR(name) char name[256];
#include "options.def"
#undef MB_OPTION
};
extern struct mb_options mb__opt;       /* valid once mb__init() ran                     */
extern MB_HIDDEN int mb__check_mode;    /* 1 when mode=check                              */
extern _Atomic int mb__init_state;      /* 0 not started, 1 starting, 2 ready             */
void mb__init(void);                    /* idempotent; called lazily from any entry      */
struct mb_heap *mb__thread_init(void);  /* first allocation of a thread                   */
/* The calling thread's stack as found at its first allocation: [lo, hi). */
void mb__thread_stack(uintptr_t *lo, uintptr_t *hi);
/* Which known thread's stack (or the guard page just below it) holds addr: its tid,
 * range, and whether addr is in the guard. Returns 0 when none. Async-signal-safe. */
int mb__thread_stack_find(uintptr_t addr, int *tid, uintptr_t *lo, uintptr_t *hi, int *in_guard);
void mb__panic(const char *msg, const char *file, int line) __attribute__((noreturn));
/* Every lock of the runtime, in order: MB_FORK_PREPARE takes them, MB_LOCK_TRY takes them
 * unless one stays held (returns 0, holding none), MB_FORK_PARENT releases them. */
int mb__world_lock(int phase);

/* ---- options.c ---------------------------------------------------------------------- */
void mb__options_parse(struct mb_options *o, const char *text, int setuid);
void mb__options_defaults(struct mb_options *o);

/* ---- os/os_linux.c: the OS contract ------------------------------------------------- */
void *mb__os_map(size_t size);                       /* RW anonymous; NULL on failure   */
void *mb__os_map_aligned(size_t size, size_t align); /* RW, aligned; NULL on failure     */
void *mb__os_reserve(size_t size);                   /* PROT_NONE, no swap reservation   */
int mb__os_unmap(void *p, size_t size);
int mb__os_protect(void *p, size_t size, int rw);    /* rw: 1 read-write, 0 none        */
int mb__os_discard(void *p, size_t size);            /* contents gone, stays RW (zero)  */
int mb__os_discard_none(void *p, size_t size);       /* contents gone, PROT_NONE        */
int mb__os_grow_in_place(void *p, size_t old_size, size_t new_size);
/* fstat as the fstat system call: the C library's wrapper passes a path ("") that the
 * kernel reads from the library's read-only data, a page memboss would otherwise touch. */
struct stat;
int mb__os_fstat(int fd, struct stat *st);
void *mb__os_move_aligned(void *p, size_t old_size, size_t new_size, size_t align); /* or NULL */
void mb__os_huge_pages(void *p, size_t size);        /* advice: transparent huge pages   */
void mb__os_write_all(int fd, const char *p, size_t n);
int mb__os_tid(void);
int mb__os_open_read(const char *path);              /* -1 on failure                    */
ssize_t mb__os_read(int fd, void *buf, size_t n);
ssize_t mb__os_pread(int fd, void *buf, size_t n, off_t off);
void mb__os_close(int fd);
const char *mb__os_getenv(const char *name);         /* usable before libc is ready     */
/* memboss's metadata mappings (made by mb__os_map / mb__os_reserve): [lo[i], hi[i]) for
 * i < the count returned. The leak scan skips them as roots. */
unsigned mb__os_own_mappings(uintptr_t *lo, uintptr_t *hi, unsigned max);
/* Stop every other thread with signal sig and record its registers (s->cap entries);
 * returns how many stopped. Resume them before s goes away. */
unsigned mb__os_stop_threads(struct mb_stop *s, int sig);
void mb__os_resume_threads(struct mb_stop *s);
/* The registers a pointer can hide in (MB_STOP_NREGS) and the stack pointer of a ucontext. */
void mb__os_context_regs(const void *uc, uintptr_t *regs, uintptr_t *sp);

/* ---- heap/meta.c: metadata memory (never next to user data) ------------------------- */
void *mb__meta_alloc(size_t size);                   /* zeroed, 16-aligned               */
void mb__meta_free(void *p, size_t size);            /* size as passed to meta_alloc     */
void *mb__arena_alloc(struct mb_arena *a, size_t size); /* as meta_alloc, from arena a    */
void mb__arena_free(struct mb_arena *a, void *p, size_t size);
int mb__meta_lock_fork(int phase);                  /* 0 prepare, 1 parent, 2 child     */

/* ---- heap/rmap.c: region map ---------------------------------------------------------- */
void mb__rmap_set(uintptr_t addr, size_t size, void *region); /* region starts with kind */
int mb__rmap_fork(int phase);
#define MB_RMAP_LEAF_SIZE ((size_t)1 << MB_RMAP_LEAF_BITS)
extern MB_HIDDEN _Atomic(void *) *_Atomic mb__rmap_root[(size_t)1 << MB_RMAP_ROOT_BITS];
/* The flat table, and how many chunks it covers: 0 (and the radix table in use) until the
 * first region is set, or for good when the table could not be reserved. Invariant: the
 * table pointer is written before the count is published (release), and never changes. */
extern MB_HIDDEN _Atomic(void *) *mb__rmap_flat;
extern MB_HIDDEN _Atomic size_t mb__rmap_flat_chunks;
/* The region covering addr, or NULL. Lock-free; inline because every free asks it. */
static inline void *mb__rmap_get(uintptr_t addr)
{
    uintptr_t chunk = addr >> MB_SEGMENT_SHIFT;
    if (MB_LIKELY(chunk < atomic_load_explicit(&mb__rmap_flat_chunks, memory_order_acquire)))
        return atomic_load_explicit(&mb__rmap_flat[chunk], memory_order_acquire);
    uintptr_t r = chunk >> MB_RMAP_LEAF_BITS;
    if (MB_UNLIKELY(r >= ((size_t)1 << MB_RMAP_ROOT_BITS))) return NULL;
    _Atomic(void *) *leaf = atomic_load_explicit(&mb__rmap_root[r], memory_order_acquire);
    if (MB_UNLIKELY(!leaf)) return NULL;
    return atomic_load_explicit(&leaf[chunk & (MB_RMAP_LEAF_SIZE - 1)], memory_order_acquire);
}

/* What a region the map returned is (enum mb_region_kind): every region starts with its
 * kind byte, but they are of different types and sizes, so it is read as a byte. */
static inline unsigned mb__region_kind(const void *region) { return *(const uint8_t *)region; }

/* ---- heap/segment.c: segments and page carving ------------------------------------- */
void mb__segment_init(void);
struct mb_page *mb__segment_page_alloc(struct mb_heap *h, uint8_t cls);
void mb__segment_page_free(struct mb_page *pg);      /* page empty: slices back, discard */
void mb__segment_page_grow(struct mb_page *pg);      /* owner, refilling: more blocks usable */
int mb__segment_lock_fork(int phase);
extern uint32_t mb__class_bsize[MB_NUM_CLASSES];
/* Sets the page's divisors for block size bsize: magic (heap_find) and inv, shift (free). */
static inline void mb__page_divisor(struct mb_page *pg, uint32_t bsize)
{
    unsigned shift = (unsigned)__builtin_ctz(bsize);
    uint64_t d = bsize >> shift, inv = d; /* d * d == 1 mod 8: 3 good bits, doubled 5 times */
    for (int i = 0; i < 5; i++) inv *= 2 - d * inv;
    pg->magic = ((uint64_t)1 << 40) / bsize + 1;
    pg->inv = inv;
    pg->shift = (uint8_t)shift;
}
/* The index of the block holding off (from pg->start), for any off in the page: off /
 * bsize by the magic multiplier. For interior pointers and lookups (heap_find, check mode). */
static inline uint64_t mb__page_block_of(const struct mb_page *pg, uint64_t off)
{
    return (off * pg->magic) >> 40;
}
/* Block index of off (from pg->start) by the page's divisors: below pg->capacity only
 * when off is the start of a block handed out from the page (see struct mb_page). */
static inline uint64_t mb__page_index(const struct mb_page *pg, uint64_t off)
{
    uint64_t q = off * pg->inv;
    unsigned k = pg->shift;
    return (q >> k) | (q << ((64 - k) & 63));
}
/* struct mb_page's state when a local free has nothing to do but clear its bit: listed
 * (in_list 1), no remote frees pending (0). */
#define MB_PAGE_STATE_PLAIN ((uint16_t)1)
/* The page of a slice that is in no page: capacity 0, so free's fast path needs no test
 * for "no page" (its block-start test fails). Slices' head is never NULL. */
extern MB_HIDDEN struct mb_page mb__page_none;

/* Class of a request (1..MB_NUM_CLASSES-1), for size <= MB_SMALL_MAX. Up to
 * MB_CLASS_TABLE_MAX by table (class bounds above 128 are multiples of 32, so a class is
 * constant over each 16-byte step), which spares mixed-size programs a mispredicted
 * branch; above it by the formula the table is built from. */
#define MB_CLASS_TABLE_MAX 1024u
static inline unsigned mb__size_class_calc(size_t size)
{
    if (size <= 128) return size <= 16 ? 1 : (unsigned)((size + 15) >> 4);
    unsigned w = 63u - (unsigned)__builtin_clzl(size - 1); /* size-1 in [2^w, 2^(w+1))   */
    return 9 + (w - 7) * 4 + (unsigned)(((size - 1) >> (w - 2)) & 3);
}
extern MB_HIDDEN uint8_t mb__class_small[MB_CLASS_TABLE_MAX / 16 + 1]; /* never written */
static inline unsigned mb__size_class(size_t size)
{
    if (MB_LIKELY(size <= MB_CLASS_TABLE_MAX)) return mb__class_small[(size + 15) >> 4];
    return mb__size_class_calc(size);
}

/* ---- heap/heap.c: thread heaps, the fast paths ------------------------------------- */
extern MB_TLS struct mb_heap *mb__tl_heap;
/* The thread's heap in fast mode, NULL in check mode (and before the thread's first
 * allocation): malloc's and free's fast paths test this one pointer, not the mode too.
 * Set and cleared with mb__tl_heap (mb__heap_acquire, mb__heap_thread_exit). */
extern MB_TLS struct mb_heap *mb__tl_fast;
void *mb__heap_malloc(size_t size);                  /* NULL + ENOMEM on failure         */
void *mb__heap_malloc_slow(size_t size);             /* huge, or the thread's first     */
/* mb__heap_malloc_fast's empty bin b (the class of size): refilled from the next word of
 * its page, or by the slow path. */
void *mb__heap_malloc_bin(size_t size, struct mb_bin *b);
/* Owner-side bitmap access: only the owner writes alloc[], other threads read it while
 * freeing remotely, so accesses are relaxed atomics (plain moves on x86-64). */
#define MB_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define MB_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* Bits set in x, without libgcc's out-of-line popcount (no popcnt at the x86-64 baseline). */
static inline unsigned mb__popcount64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}
/* mb__class_small as byte offsets of the bins in struct mb_heap: malloc's fast path adds
 * one to the heap's address. Filled before the first heap is handed out. */
extern MB_HIDDEN uint16_t mb__bin_off[MB_CLASS_TABLE_MAX / 16 + 1];
/* Take the lowest free block of the bin's mask (not empty) and mark it allocated. */
static inline void *mb__bin_pop(struct mb_bin *b)
{
    uint64_t m = b->mask;
    uint64_t i = (uint64_t)__builtin_ctzll(m);
    b->mask = m & (m - 1);
    MB_STORE(*b->alloc, MB_LOAD(*b->alloc) | (1ull << i));
    return b->base + i * b->bsize;
}
/* malloc's fast path for thread heap h (not NULL): a small request whose bin has a free
 * block. An empty bin goes to mb__heap_malloc_bin, anything else to slow(size), by tail
 * calls, so that an exported entry built on it keeps no frame of its own. Always inlined:
 * slow is a constant there. */
static inline __attribute__((always_inline)) void *mb__heap_malloc_fast(struct mb_heap *h,
                                                                      size_t size,
                                                                      void *(*slow)(size_t))
{
    struct mb_bin *b;
    if (MB_LIKELY(size <= MB_CLASS_TABLE_MAX))
        b = (struct mb_bin *)((char *)h + mb__bin_off[(size + 15) >> 4]);
    else if (size <= MB_SMALL_MAX) b = &h->bins[mb__size_class_calc(size)];
    else return slow(size);
    if (MB_LIKELY(b->mask != 0)) return mb__bin_pop(b);
    return mb__heap_malloc_bin(size, b);
}
void *mb__heap_malloc_aligned(size_t size, size_t align);
/* Free a fast-heap or huge block. A double or invalid free (p not the start of a live
 * block) is reported in one line and stops the process with SIGABRT. */
void mb__heap_free(void *p);                          /* p may be NULL                    */
/* mb__heap_free_fast's other cases, each reached by a tail call: anything but a local
 * block of a cached segment (the full test, huge blocks, bad frees: stops), a segment not
 * cached, a page with remote frees pending or not listed, a page emptied. */
void mb__heap_free_slow(void *p);
void mb__heap_free_seg_miss(struct mb_heap *h, void *p);
void mb__heap_free_state(struct mb_heap *h, void *p);
void mb__heap_free_emptied(struct mb_heap *h, struct mb_page *pg);
void mb__remote_free_from(struct mb_heap *h, struct mb_page *pg, uint64_t idx);
/* free for thread heap h (not NULL): a block of h's pages in h's cached segment is freed
 * here; every other case goes on by a tail call, so that the exported free built on it
 * keeps no frame of its own. Every pointer is validated before anything changes: the
 * segment (by the region map), the page, the block start, the alloc bit. */
static inline __attribute__((always_inline)) void mb__heap_free_fast(struct mb_heap *h, void *p)
{
    uintptr_t slice = (uintptr_t)p >> MB_SLICE_SHIFT;
    if (MB_UNLIKELY(slice >> (MB_SEGMENT_SHIFT - MB_SLICE_SHIFT) != h->seg_chunk)) {
        mb__heap_free_seg_miss(h, p);
        return;
    }
    /* The slice's entry of the segment's heads[] (see struct mb_heap). Never NULL: a
     * slice in no page has mb__page_none, capacity 0: the test below fails. */
    struct mb_page *pg = *(struct mb_page **)(h->seg_slices + slice * sizeof(struct mb_page *));
    uint64_t idx = mb__page_index(pg, (uint64_t)((uint8_t *)p - pg->start));
    if (MB_UNLIKELY(idx >= pg->capacity)) { /* not a block start, or not ours */
        mb__heap_free_slow(p);
        return;
    }
    unsigned w = (unsigned)(idx >> 6);
    uint64_t a = MB_LOAD(pg->alloc[w]);
    if (MB_UNLIKELY(pg->owner != h)) { /* another heap's block: remote.c */
        mb__remote_free_from(h, pg, idx);
        return;
    }
    /* A page with remote frees not yet collected goes the slow way, which also checks
     * the block's remote bit: a block another thread freed is still allocated in alloc[]
     * until then. One flag per page instead of remote[w], a line per bitmap word. A
     * remote free racing with this one is caught by mb__remote_collect (see bin_take_word).
     * The same test finds a page to be listed again (in_list clear). */
    if (MB_UNLIKELY(!((a >> (idx & 63)) & 1) ||
                    __atomic_load_n(&pg->state, __ATOMIC_RELAXED) != MB_PAGE_STATE_PLAIN)) {
        mb__heap_free_state(h, p); /* a double free among them: the full test stops */
        return;
    }
    /* The bit is set: toggling clears it. btc with a register takes the bit number modulo
     * 64, which the compiler does not know (it would mask idx first). */
    __asm__("btc %1, %0" : "+r"(a) : "r"(idx) : "cc");
    MB_STORE(pg->alloc[w], a);
    if (MB_UNLIKELY(--pg->used == 0)) mb__heap_free_emptied(h, pg);
}
void mb__heap_realloc_bad(void *p);                  /* realloc of such a p: stop         */
int mb__heap_release(void *p);                       /* free without report; 0 when ok  */
struct mb_heap *mb__heap_acquire(int tid);           /* adopt an orphan or make a heap   */
size_t mb__heap_usable_size(const void *p);          /* 0 for pointers not ours          */
/* Locate the block holding p: its start and usable size, and the page (NULL for huge).
 * Returns 0 when p is not inside a block slot of ours. Allocated or not. */
int mb__heap_find(const void *p, uint8_t **start, size_t *bsize, struct mb_page **page,
                  struct mb_huge **huge, int *allocated);
int mb__heap_fork(int phase);
void mb__heap_thread_exit(struct mb_heap *h);
/* Calls fn for every allocated block of every page (stop the world yourself). */
void mb__heap_foreach_block(void (*fn)(uint8_t *block, size_t bsize, struct mb_page *pg,
                                       unsigned idx, void *arg),
                            void *arg);

/* heap.c's services to remote.c: the stop for a double free at p, and a page whose remote
 * frees were applied (to be listed again or released). */
void mb__heap_stop_double_free(void *p) __attribute__((noreturn));
void mb__heap_page_collected(struct mb_heap *h, struct mb_page *pg);

/* ---- heap/remote.c: frees into pages of another heap -------------------------------- */
/* Free block bit of word w of pg, a page another heap owns. Returns 0, or -1 for a
 * double free (the block is not allocated, or its remote free is already pending). */
int mb__remote_free(struct mb_page *pg, unsigned w, uint64_t bit);
void mb__remote_collect(struct mb_heap *h);          /* apply the frees others left in h */
/* (mb__remote_free_from, with heap.c's free paths above: free's remote case, the thread
 * of heap h (not NULL) frees block idx of pg, a page another heap owns. Deferred in h's
 * rfree table; a double free found stops.) */
void mb__remote_flush(struct mb_heap *h);            /* publish h's deferred frees       */
void mb__remote_forget(struct mb_heap *h);           /* fork's child: drop them          */

/* ---- heap/huge.c: blocks above MB_SMALL_MAX --------------------------------------- */
void *mb__huge_alloc(size_t size, size_t align);
int mb__huge_free(struct mb_huge *h);                 /* -1: not allocated (double free) */
void *mb__huge_realloc(struct mb_huge *h, size_t size); /* in place or NULL             */
int mb__huge_fork(int phase);
int mb__huge_fresh(const void *p);                   /* never written since mapped       */
/* Calls fn for every allocated huge block (the caller keeps other threads out). */
void mb__huge_foreach_live(void (*fn)(struct mb_huge *d, void *arg), void *arg);

/* ---- check/check.c: the check-mode allocation front end ---------------------------- */
void *mb__check_malloc(size_t size, size_t align, enum mb_api api, void *caller);
void mb__check_free(void *p, void *caller, int from_realloc);
void *mb__check_realloc(void *p, size_t size, void *caller);
/* caller: the exported entry's __builtin_frame_address(0) (see mb__stack_capture). */
size_t mb__check_usable_size(const void *p);
void mb__check_at_exit(void);
void mb__check_init(void);
/* A fault at addr: when addr is check-mode heap memory (a guard page, a freed block),
 * report it (access stack pcs[0..n)) and return 1; else return 0. Async-signal-safe. */
int mb__check_explain_fault(uintptr_t addr, int is_write, const uintptr_t *pcs, unsigned n,
                            const void *uc);
/* The check-mode block whose slot holds addr (live, quarantined or, for a guarded run,
 * free). Returns 0 if none. Lock-free: usable in the fault handler. */
int mb__check_block_at(uintptr_t addr, struct mb_block *b);
/* "READ at ADDR by thread T:" and the access stack, inside a report; with uc (the
 * handler's ucontext_t, or NULL) also the fault's machine lines. */
void mb__check_describe_access(int is_write, uintptr_t addr, const uintptr_t *pcs, unsigned n,
                               const void *uc);
/* The thread id of the caller, cached. */
int mb__check_tid(void);
void mb__check_fork_child(void);

/* ---- check/guard.c: guarded blocks ------------------------------------------------- */
void mb__guard_init(void);
/* NULL: use canaries. closed: leave the data pages PROT_NONE (unwritten_reads). */
struct mb_guarded *mb__guard_alloc(size_t size, size_t align, int closed);
void mb__guard_quarantine(struct mb_guarded *g);     /* make inaccessible                */
void mb__guard_release(struct mb_guarded *g);        /* leave quarantine: reusable       */
void mb__guard_foreach_live(void (*fn)(struct mb_guarded *g, void *arg), void *arg);
/* Where addr falls: the record of the run or trailing guard page holding it, or NULL. */
struct mb_guarded *mb__guard_at(uintptr_t addr);
struct mb_guarded *mb__guard_next(struct mb_guarded *g); /* record of the run after g's guard */
/* unwritten_reads: the state byte of the arena page holding addr, or NULL (outside the
 * arena, or the option off). Nonzero only while a live block's page is PROT_NONE. */
uint8_t *mb__guard_page_flag(uintptr_t addr);
size_t mb__guard_head_len(const struct mb_guarded *g); /* canary bytes before g->user    */
int mb__guard_fork(int phase);

/* ---- check/quarantine.c ----------------------------------------------------------- */
/* Kinds of quarantined entry: a guarded record or a canary block of the fast heap. */
/* info: the block's record, kept with the entry so that leaving needs no lookup. */
void mb__quarantine_push(void *entry, struct mb_blockinfo *info, int guarded);
void mb__quarantine_init(void);
int mb__quarantine_release_guarded(void);            /* oldest out until a guarded one   */
/* Defined by check.c: a quarantined entry leaves; verify and release it. */
void mb__check_release(void *entry, struct mb_blockinfo *info, int guarded);
int mb__quarantine_fork(int phase);
void mb__quarantine_foreach(void (*fn)(void *entry, struct mb_blockinfo *info, int guarded)); /* oldest first */
void mb__quarantine_walk_abandoned(void);            /* after a fault in the foreach's fn */

/* ---- check/canary.c -------------------------------------------------------------------- */
void mb__canary_fill(uint8_t *p, size_t n);
/* First byte of [p, p+n) that is not the canary, or NULL. */
uint8_t *mb__canary_find_bad(const uint8_t *p, size_t n, uint8_t expect);

/* ---- check/unwritten.c: unwritten_reads, pages opened at their first access ---------- */
int mb__unwritten_closed(const void *p);             /* p's page never accessed yet       */
/* Like mb__canary_find_bad / memset / memcpy, but skipping closed pages. */
uint8_t *mb__unwritten_find_bad(const uint8_t *p, size_t n, uint8_t expect);
void mb__unwritten_fill(uint8_t *p, size_t n, uint8_t byte);
void mb__unwritten_copy(uint8_t *dst, const uint8_t *src, size_t n);
/* A fault on a closed page: open it (reporting a read of the block's bytes) and return 1
 * so that the instruction runs again; 0 when the fault is not on a closed page. */
int mb__unwritten_fault(uintptr_t addr, int is_write, uintptr_t pc, uintptr_t fp, uintptr_t sp);

/* ---- check/garbage.c: faults explained by memboss's fill patterns ------------------- */
/* Inside a fault report: say which registers (and, when addr_known, the address) carry a
 * fill pattern, and which heap block the garbage pointer was most likely read from. uc is
 * the handler's ucontext_t. Async-signal-safe, allocates nothing. */
void mb__garbage_explain(uintptr_t addr, int addr_known, const void *uc);
/* Which fill pattern a value is made of (within a small offset). */
enum { MB_FILL_NONE, MB_FILL_FRESH, MB_FILL_FREED, MB_FILL_RED_ZONE };
int mb__garbage_fill_kind(uint64_t v);

/* ---- check/stack.c: stack capture and depot ---------------------------------------- */
/* frame: __builtin_frame_address(0) of the exported entry (malloc, free...): its return
 * address is the first frame, then the frame-pointer chain as far as it is sane. */
uint32_t mb__stack_capture(void *frame);                  /* depot id, 0 = none          */
/* Walk a frame-pointer chain from (pc, fp) into pcs[0..max); returns the count. */
unsigned mb__stack_walk(uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *pcs, unsigned max);
void mb__stack_init(void);
unsigned mb__stack_get(uint32_t id, uintptr_t *pcs, unsigned max);
int mb__stack_fork(int phase);
int mb__check_records_fork(int phase);          /* check mode's block records arena  */

/* ---- fault/fault.c ----------------------------------------------------------------- */
void mb__fault_install(void);
void mb__fault_thread_init(void);                     /* alternate stack for this thread */
void mb__fault_thread_exit(void);
int mb__fault_ready(void);                            /* the SIGSEGV handler is installed */
/* While set, a SIGSEGV/SIGBUS in this thread jumps back to *jb instead of being reported:
 * the exit scans read memory another thread or the program may have made unreadable.
 * The handler clears it before jumping. */
#include <setjmp.h>
void mb__fault_recover(sigjmp_buf *jb);
/* Under such recovery: copy n bytes from p to out (write: instead write p's first byte
 * back, atomically unchanged). Returns 0 when the access faulted. */
int mb__fault_probe(void *p, void *out, size_t n, int write);

/* ---- report/fmt.c: formatting without allocation ----------------------------------- */
void mb__buf_init(struct mb_buf *b, char *storage, size_t cap);
void mb__buf_putc(struct mb_buf *b, char c);
void mb__buf_puts(struct mb_buf *b, const char *s);
void mb__buf_putn(struct mb_buf *b, const char *s, size_t n);
/* printf subset: %s %c %d %u %ld %lu %zu %x %lx %zx %p %%, with optional '0' pad and width. */
void mb__buf_printf(struct mb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mb__buf_vprintf(struct mb_buf *b, const char *fmt, va_list ap);

/* ---- report/report.c: the one report writer ---------------------------------------- */
/* A report: begin() writes the fixed first line, line() each line, end() the last. Between
 * begin and end the report lock is held. begin returns 0 when the report is suppressed
 * (max_errors reached, or recursion), in which case the caller skips line() and end(). */
int mb__report_begin(enum mb_finding_kind kind);
int mb__report_begin_info(enum mb_finding_kind kind); /* shown, not counted        */
void mb__report_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mb__report_stack(const char *title, uint32_t stack_id, int tid);
void mb__report_pc_stack(const char *title, const uintptr_t *pcs, unsigned n, int tid);
void mb__report_end(void);
void mb__report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line "==PID== memboss: TEXT — stopping", counted as a finding, then abort(): fast
 * mode's hardening. Async-signal-safe, takes no lock. */
void mb__report_stop(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void mb__report_fork_child(void);
void mb__report_init(void);                          /* open the log file                */
void mb__report_hold(int on);                        /* take/leave the report lock       */
int mb__report_lock_step(int phase);                 /* the report lock in mb__world_lock */
extern _Atomic unsigned long mb__findings;            /* findings so far                  */
const char *mb__finding_name(enum mb_finding_kind kind);
void mb__report_exit_status(void);                   /* atexit: status file, exit code   */

/* ---- report/events.c: machine lines for the command (docs/events.md) ---------------- */
/* Machine lines "==PID== @KEY ..." are written only while reports go to the status
 * directory (status_dir and report_to_status). Every call is made inside a report. */
int mb__events_on(void);
int mb__report_status_gone(void); /* report.c: this process's report file could not be opened */
void mb__event_access(uintptr_t addr, int tid, const char *how); /* read|write|free|unknown */
void mb__event_block(const void *addr, size_t size, int freed);
void mb__event_leak(size_t bytes, size_t blocks, const char *kind);
void mb__event_fault(const void *uc);                 /* @reg, @code, and @map (show_map) */
/* A frame named a module: remembered for the report's @module lines (written at END). */
void mb__event_module(uintptr_t bias, const char *path, const uint8_t *build_id, unsigned id_len);
void mb__event_modules_flush(void);
/* The general registers in the order of @reg lines, with their ucontext gregs index. */
struct mb_reg_name {
    const char *name;
    int reg;
};
#define MB_NREGS 17
extern const struct mb_reg_name mb__regs[MB_NREGS];

/* ---- report/where.c: what lies at an address (not heap blocks) -------------------- */
/* Appends one phrase describing the region holding addr, e.g.
 *   "in the .bss of /home/u/prog (prog+0x4010)" or "on the stack of thread 1234" or
 *   "in the NULL page" or "in no mapping". Async-signal-safe, allocates nothing. */
void mb__where_describe(struct mb_buf *out, uintptr_t addr);
/* Appends "in func+0x1f (/path/mod+0x113f)", or "(/path/mod+0x113f)" with no symbol,
 * or "(unknown module)". The offsets are pc's; for a return address (is_return) the
 * function is the one holding pc - 1, the call. Async-signal-safe, allocates nothing. */
void mb__where_symbolize(struct mb_buf *out, uintptr_t pc, int is_return);
/* Every mapping of /proc/self/maps, in address order, to fn (which must not allocate).
 * foreach_mapping uses the reports' reader: hold the report lock. foreach_code has a
 * reader of its own, for check/code.c alone (under its lock). */
typedef void mb_mapping_fn(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
                           size_t pathlen, void *arg);
void mb__where_foreach_mapping(mb_mapping_fn *fn, void *arg);
void mb__where_foreach_code(mb_mapping_fn *fn, void *arg);
typedef void mb_map_line_fn(uintptr_t lo, uintptr_t hi, const char *perms, uint64_t off,
                            const char *path, size_t pathlen);
void mb__where_foreach_map_line(mb_map_line_fn *fn);   /* with file offsets; report lock */

/* ---- check/cfi.c: .eh_frame rules, check/unwind.c: the CFI unwinder ------------------ */
/* A frame's rule: CFA = (rbp or rsp) + cfa_off; the return address at CFA + ra_off (0:
 * undefined, the outermost frame); the caller's rbp at CFA + rbp_off (0: rbp unchanged). */
struct mb_cfi_rule {
    int cfa_rbp;
    int32_t cfa_off, ra_off, rbp_off;
};
/* The rule at code address pc from the .eh_frame_hdr at hdr, every read inside [lo, hi):
 * 1 found, 0 no FDE covers pc, -1 an FDE whose rule is not of that shape or is damaged. */
int mb__cfi_find(uintptr_t hdr, uintptr_t lo, uintptr_t hi, uintptr_t pc, struct mb_cfi_rule *out);
struct mb_unwind_regs {
    uintptr_t pc, sp, bp;
};
/* The stack words a walk's result depends on (where, and what they held), for stack.c's
 * memo: the same start and the same words give the same frames. n > MB_UNWIND_LOG_MAX:
 * the walk depended on more (a frameless step, a word that was no code), or too many.
 * uses_bp: the walk used the starting rbp (a CFA from rbp before rbp was read back). */
#define MB_UNWIND_LOG_MAX (2 * MB_STACK_MAX) /* a return address and a saved rbp a frame */
struct mb_unwind_log {
    unsigned n;
    unsigned uses_bp;
    uintptr_t base;                   /* offsets are from here (set by the caller)        */
    uint32_t off[MB_UNWIND_LOG_MAX];  /* where each word is: base + off                   */
    uintptr_t val[MB_UNWIND_LOG_MAX]; /* what it held                                     */
};
/* Bumped whenever the module list is re-read (a library came or went): logged walks
 * from before may no longer hold. */
extern MB_HIDDEN _Atomic unsigned mb__unwind_epoch;
/* The frames above r into pcs[n..max): by each frame's CFI rule, cached per address,
 * and by mb__stack_step_frameless where the code has none. exact: r.pc is a faulting
 * instruction, not a return address. Stack words are read only inside [lo, hi). Returns
 * the new count. Allocation-free; in_signal: no dl_iterate_phdr (the loader's lock).
 * log: NULL, or where the words the frames depend on are noted (from log->base). */
unsigned mb__unwind(struct mb_unwind_regs r, uintptr_t lo, uintptr_t hi, uintptr_t *pcs,
                    unsigned n, unsigned max, int exact, int in_signal, struct mb_unwind_log *log);
/* One frame up through code without CFI (stack.c): 1, with r->pc validated as code. */
int mb__stack_step_frameless(struct mb_unwind_regs *r, uintptr_t lo, uintptr_t hi);
int mb__unwind_fork(int phase);

/* ---- check/code.c: the executable ranges, cached --------------------------------------- */
/* 1 when pc lies in a readable executable mapping. Lock-free; the table is re-read from
 * /proc/self/maps when pc is in none (at most every few milliseconds). Async-signal-safe. */
int mb__code_contains(uintptr_t pc);
int mb__code_fork(int phase);
int mb__code_is_runtime(uintptr_t pc);                /* in the preloaded runtime's code */

/* ---- check/leak*.c: blocks nothing points to ---------------------------------------- */
/* Who asks for a leak check, and what of the asking thread is a root. */
struct mb_leak_request {
    int level;              /* 1 a summary, 2 every loss record                              */
    int at_exit;            /* the process is exiting: the exit rule decides the dead stack  */
    int from_signal;        /* inside a signal handler: never wait long on a lock            */
    uintptr_t self_sp;      /* else: the asking thread's stack is a root from here up         */
    const uintptr_t *regs;  /* registers of the asking thread's interrupted context, or NULL  */
    unsigned nregs;
};
/* Scans, classifies and reports; returns the bytes lost in the error kinds. */
size_t mb__leak_check(const struct mb_leak_request *rq);
/* Exit rule: the top of the exiting thread's dead stack, from sp inside the exit path. */
uintptr_t mb__leak_exit_dead_top(uintptr_t sp);
/* Stacks of ended threads that glibc keeps for reuse (check/dead_stacks.c): not roots. */
void mb__dead_stack_add(uintptr_t lo);               /* the ending thread's stack mapping */
void mb__dead_stack_forget(uintptr_t lo, uintptr_t hi); /* a new thread took [lo, hi)   */
unsigned mb__dead_stacks(uintptr_t *lo, uintptr_t *hi, unsigned max);
/* The program's own mmaps, recorded when leak_scan_mmap=0 (check/mmap_roots.c). */
unsigned mb__mmap_roots_skipped(uintptr_t *lo, uintptr_t *hi, unsigned max);
void mb__leak_signal_init(void);                      /* leak_check_signal, _on_signal   */
size_t mb__leak_check_here(void);                     /* now, from the caller's frame up */
void mb__leak_on_death(int sig, const void *uc);      /* a signal is about to kill us    */
/* A leak_check_signal arrived: report at the next malloc or free (not in the handler,
 * which may have interrupted the allocator). */
extern MB_HIDDEN _Atomic int mb__leak_pending;
void mb__leak_poll_slow(void);
static inline void mb__leak_poll(void)
{
    if (MB_UNLIKELY(atomic_load_explicit(&mb__leak_pending, memory_order_relaxed))) mb__leak_poll_slow();
}

#endif
