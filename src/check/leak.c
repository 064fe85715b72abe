/* The leak check: a conservative mark from the roots, word by word, as Valgrind's memcheck
 * does it.
 *
 * The world stands still first: every lock of the runtime is taken and the other threads
 * are stopped (os/stop_linux.c), so no block changes while it is looked at. Then:
 *   roots   every readable, writable mapping that is not memboss's own: the .data and .bss
 *           of every module, thread-local storage, the program's and libc's anonymous
 *           memory, mmap'd files; the read-only-after-relocation part of each module (a
 *           static program keeps pointers there); each stopped thread's registers and its
 *           stack from its stack pointer up; the asking thread's stack from the point the
 *           request says (at exit: above the frame that called exit, see leak_exit.c).
 *   marking a word equal to a block's start marks it reachable; a word inside a block
 *           marks it possibly lost. A reachable block's start pointers make their blocks
 *           reachable; any pointer out of a possibly-lost block makes possibly lost.
 *   lost    blocks never marked: indirectly lost when another lost block points to them,
 *           else definitely lost.
 * Works in memory of its own (mb__os_map), never in the heap it scans. */
#include "leak.h"

#include <string.h>

#define STOP_MAX_THREADS 4096 /* threads stopped and read; more are scanned unstopped    */
#define RED_ZONE 128          /* below the stack pointer, a leaf function's own data     */

struct leak_ctx {
    struct mb_leak_block *blocks;
    size_t n, cap;
    size_t *work;             /* blocks whose state rose and whose words are to be read   */
    size_t nwork, work_cap;
    uintptr_t own_lo[8192], own_hi[8192]; /* not roots: memboss's mappings, and with
                                             * leak_scan_mmap=0 the program's mmaps */
    unsigned nown;
    uintptr_t self_sp;        /* the asking thread's stack is a root from here up          */
    struct mb_stop *stop;     /* the other threads and their stack pointers                */
    /* The previous mapping, held back one step: a read-only file mapping directly below a
     * writable one of the same file is that module's relocated read-only data. */
    uintptr_t prev_lo, prev_hi;
    int prev_readonly;
    char prev_path[256];
    size_t prev_pathlen;
    /* The scan's own state lives here, in a memboss mapping the scan skips: in a static
     * variable it would be a root holding the address of the last block read. */
    sigjmp_buf jmp;
    volatile uintptr_t cur, hi;
    volatile int definite, indirect; /* how the words being read mark (see scan)           */
    volatile long self;
    uintptr_t loader_lo, loader_hi; /* the dynamic loader's code                            */
};

static struct leak_ctx *ctx;

/* ---- collecting the live blocks ------------------------------------------------------ */

static void add_block(uintptr_t user, const struct mb_blockinfo *info)
{
    if (ctx->n == ctx->cap) return; /* more than counted: the rest are not judged */
    ctx->blocks[ctx->n++] = (struct mb_leak_block){user, info->size, 0, info->alloc_stack,
                                                    info->alloc_tid, MB_LEAK_DEFINITE};
}

static void count_guarded(struct mb_guarded *g, void *arg)
{
    (void)g;
    (*(size_t *)arg)++;
}

static void count_slot(uint8_t *slot, size_t bsize, struct mb_page *pg, unsigned idx, void *arg)
{
    (void)slot, (void)bsize;
    if (pg->info && idx < pg->info_cap && pg->info[idx].state == MB_BLOCK_LIVE) (*(size_t *)arg)++;
}

static void count_huge(struct mb_huge *d, void *arg)
{
    if (d->info && d->info->state == MB_BLOCK_LIVE) (*(size_t *)arg)++;
}

static void take_huge(struct mb_huge *d, void *arg)
{
    (void)arg;
    if (d->info && d->info->state == MB_BLOCK_LIVE) add_block((uintptr_t)d->user + d->info->user_off, d->info);
}

static void take_guarded(struct mb_guarded *g, void *arg)
{
    (void)arg;
    add_block((uintptr_t)g->user, &g->info);
}

static void take_slot(uint8_t *slot, size_t bsize, struct mb_page *pg, unsigned idx, void *arg)
{
    (void)bsize, (void)arg;
    if (!pg->info || idx >= pg->info_cap || pg->info[idx].state != MB_BLOCK_LIVE) return;
    add_block((uintptr_t)slot + pg->info[idx].user_off, &pg->info[idx]);
}

static size_t count_live(void)
{
    size_t live = 0;
    mb__guard_foreach_live(count_guarded, &live);
    mb__heap_foreach_block(count_slot, &live);
    mb__huge_foreach_live(count_huge, &live);
    return live;
}

static int by_address(const void *x, const void *y)
{
    const struct mb_leak_block *a = x, *b = y;
    return a->user < b->user ? -1 : a->user > b->user;
}

/* ---- marking ------------------------------------------------------------------------- */

/* The live block holding address w, or -1. A pointer one past the end does not count. */
static long find_block(uintptr_t w)
{
    if (!mb__rmap_get(w)) return -1; /* cheap filter: not memboss memory at all */
    size_t lo = 0, hi = ctx->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ctx->blocks[mid].user <= w) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return -1;
    const struct mb_leak_block *b = &ctx->blocks[lo - 1];
    return w < b->user + (b->size ? b->size : 1) ? (long)(lo - 1) : -1;
}

static void raise_to(long i, uint8_t state)
{
    if (ctx->blocks[i].state >= state || ctx->nwork == ctx->work_cap) return;
    ctx->blocks[i].state = state;
    ctx->work[ctx->nwork++] = (size_t)i;
}

/* Reads the words of [lo, hi) and of every block they lead to. In the marking from the
 * roots (indirect == 0) a pointer raises its block to reachable or possibly lost; in the
 * indirect pass it turns unreached blocks other than `self` into indirectly lost ones. A
 * page that faults (a file mapped past its end, memory the program protected, a page of a
 * block never written) is skipped. */
static void scan(uintptr_t lo, uintptr_t hi, int definite, int indirect, long self)
{
    ctx->cur = (lo + 7) & ~(uintptr_t)7;
    ctx->hi = hi;
    ctx->definite = definite;
    ctx->indirect = indirect;
    ctx->self = self;
    if (sigsetjmp(ctx->jmp, 0)) ctx->cur = (ctx->cur | (MB_PAGE_SIZE - 1)) + 1;
    mb__fault_recover(&ctx->jmp);
    for (;;) {
        while (ctx->cur + 8 <= ctx->hi) {
            uintptr_t page_end = (ctx->cur | (MB_PAGE_SIZE - 1)) + 1, end = ctx->hi;
            if (end > page_end) end = page_end;
            int from_definite = ctx->definite, as_indirect = ctx->indirect;
            long skip = ctx->self;
            for (uintptr_t a = ctx->cur; a + 8 <= end; a += 8) {
                uintptr_t w = *(const uintptr_t *)a;
                long i = find_block(w);
                if (i < 0 || i == skip) continue;
                if (as_indirect) {
                    /* What i holds (itself, and blocks it took earlier as a definitely lost
                     * block of its own) now counts for the block this pass started at. */
                    struct mb_leak_block *b = &ctx->blocks[i];
                    if (b->state != MB_LEAK_DEFINITE) continue;
                    ctx->blocks[skip].owned += b->size + b->owned;
                    b->owned = 0;
                    raise_to(i, MB_LEAK_INDIRECT);
                } else {
                    raise_to(i, from_definite && w == ctx->blocks[i].user ? MB_LEAK_REACHABLE : MB_LEAK_POSSIBLE);
                }
            }
            ctx->cur = end;
        }
        if (!ctx->nwork) break;
        const struct mb_leak_block *b = &ctx->blocks[ctx->work[--ctx->nwork]];
        ctx->definite = b->state == MB_LEAK_REACHABLE;
        ctx->cur = b->user;
        ctx->hi = b->user + b->size;
    }
    mb__fault_recover(NULL);
}

static void scan_root(uintptr_t lo, uintptr_t hi) { scan(lo, hi, 1, 0, -1); }

/* ---- roots --------------------------------------------------------------------------- */

/* The end of memboss's region (segment, huge block, guard arena) holding addr, or 0. */
static uintptr_t own_region_end(uintptr_t addr)
{
    const uint8_t *r = mb__rmap_get(addr);
    if (!r) return 0;
    uintptr_t chunk_end = (addr | (MB_SEGMENT_SIZE - 1)) + 1;
    if (*r == MB_REGION_HUGE) {
        const struct mb_huge *h = (const void *)r;
        uintptr_t end = (uintptr_t)h->base + h->map_size;
        return addr >= (uintptr_t)h->base && addr < end ? end : 0;
    }
    return chunk_end; /* segments and the arena cover whole chunks */
}

/* Scans [lo, hi) minus memboss's own memory: its regions (user blocks are read only once
 * reached) and its metadata mappings, which the kernel may have merged into a
 * neighbouring mapping with the same permissions. */
static void scan_program_memory(uintptr_t lo, uintptr_t hi)
{
    while (lo < hi) {
        uintptr_t end = own_region_end(lo);
        if (end) {
            lo = end;
            continue;
        }
        uintptr_t stop = (lo | (MB_SEGMENT_SIZE - 1)) + 1; /* region map granularity */
        if (stop > hi) stop = hi;
        for (unsigned i = 0; i < ctx->nown; i++) {
            if (ctx->own_lo[i] <= lo && ctx->own_hi[i] > lo) {
                stop = lo; /* lo is inside an own mapping: skip past it */
                lo = ctx->own_hi[i];
                break;
            }
            if (ctx->own_lo[i] > lo && ctx->own_lo[i] < stop) stop = ctx->own_lo[i];
        }
        if (stop <= lo) continue;
        scan_root(lo, stop);
        lo = stop;
    }
}

static int path_is(const char *path, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && !memcmp(path, s, k);
}

/* A thread's stack is live from its stack pointer up (to the mapping's end, which holds
 * the thread's TLS and descriptor); below it is dead. */
static uintptr_t live_from(uintptr_t lo, uintptr_t hi)
{
    if (ctx->self_sp >= lo && ctx->self_sp < hi) return ctx->self_sp;
    for (unsigned i = 0; ctx->stop && i < ctx->stop->n; i++) {
        const struct mb_stopped_thread *t = &ctx->stop->threads[i];
        if (atomic_load(&t->state) != MB_STOP_STOPPED || t->sp < lo || t->sp >= hi) continue;
        return t->sp - RED_ZONE > lo ? t->sp - RED_ZONE : lo;
    }
    return lo;
}

/* Each readable, writable mapping is a root, but device memory and the kernel's pages.
 * Shared anonymous memory shows as "/dev/zero (deleted)" and POSIX shared memory as
 * "/dev/shm/...": those are the program's memory and are scanned. */
static int is_loader(const char *path, size_t n)
{
    size_t base = n;
    while (base > 0 && path[base - 1] != '/') base--;
    return n - base > 7 && !memcmp(path + base, "ld-linux", 8);
}

static void scan_mapping(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
                         size_t pathlen, void *arg)
{
    (void)arg;
    if (perms[2] == 'x' && is_loader(path, pathlen) && !ctx->loader_lo) ctx->loader_lo = lo, ctx->loader_hi = hi;
    int writable = perms[0] == 'r' && perms[1] == 'w';
    int file = pathlen > 0 && path[0] == '/';
    /* The relocated read-only data (RELRO) sits directly below the module's .data. */
    if (writable && file && ctx->prev_readonly && ctx->prev_hi == lo && ctx->prev_pathlen == pathlen &&
        !memcmp(ctx->prev_path, path, pathlen))
        scan_program_memory(ctx->prev_lo, ctx->prev_hi);
    ctx->prev_readonly = perms[0] == 'r' && perms[1] == '-' && perms[2] == '-' && file &&
                         pathlen < sizeof ctx->prev_path;
    if (ctx->prev_readonly) {
        ctx->prev_lo = lo, ctx->prev_hi = hi, ctx->prev_pathlen = pathlen;
        memcpy(ctx->prev_path, path, pathlen);
    }
    if (!writable) return;
    if (path_is(path, pathlen, "/dev/") && !path_is(path, pathlen, "/dev/zero") &&
        !path_is(path, pathlen, "/dev/shm/"))
        return;
    if (path_is(path, pathlen, "[vvar]") || path_is(path, pathlen, "[vdso]") ||
        path_is(path, pathlen, "[vsyscall]"))
        return;
    scan_program_memory(live_from(lo, hi), hi);
}

/* Register values: their copies in the stop record or the request are read like memory. */
static void scan_words(const uintptr_t *w, unsigned n) { scan_root((uintptr_t)w, (uintptr_t)(w + n)); }

/* Stacks of ended threads are not roots (check/dead_stacks.c), unless a running thread
 * already uses the stack again. */
static void skip_dead_stacks(void)
{
    unsigned first = ctx->nown;
    unsigned n = mb__dead_stacks(ctx->own_lo + first, ctx->own_hi + first, 2048);
    for (unsigned i = 0; i < n; i++) {
        uintptr_t lo = ctx->own_lo[first + i], hi = ctx->own_hi[first + i];
        int used = ctx->self_sp >= lo && ctx->self_sp < hi;
        for (unsigned k = 0; ctx->stop && k < ctx->stop->n && !used; k++) {
            const struct mb_stopped_thread *t = &ctx->stop->threads[k];
            used = atomic_load(&t->state) == MB_STOP_STOPPED && t->sp >= lo && t->sp < hi;
        }
        if (!used) ctx->own_lo[ctx->nown] = lo, ctx->own_hi[ctx->nown++] = hi;
    }
}

/* ---- the check ------------------------------------------------------------------------ */

static size_t run(const struct mb_leak_request *rq)
{
    if (!mb__world_lock(rq->from_signal ? MB_LOCK_TRY : MB_FORK_PREPARE)) {
        mb__report_note("leak check skipped: the allocator was busy when the signal came");
        return 0;
    }
    if (rq->at_exit && mb__opt.leak_exit_rule) { /* needs where.c, which the report lock (taken above) keeps ours */
        uintptr_t top = mb__leak_exit_dead_top(ctx->self_sp);
        if (top) ctx->self_sp = top;
    }
    if (ctx->stop) mb__os_stop_threads(ctx->stop, (int)mb__opt.stop_signal);
    mb__guard_foreach_live(take_guarded, NULL);
    mb__heap_foreach_block(take_slot, NULL);
    mb__huge_foreach_live(take_huge, NULL);
    mb__leak_sort(ctx->blocks, ctx->n, sizeof *ctx->blocks, by_address);
    ctx->nown = mb__os_own_mappings(ctx->own_lo, ctx->own_hi, 4096);
    if (!mb__opt.leak_scan_mmap)
        ctx->nown += mb__mmap_roots_skipped(ctx->own_lo + ctx->nown, ctx->own_hi + ctx->nown, 2048);
    skip_dead_stacks();

    mb__where_foreach_mapping(scan_mapping, NULL);
    for (unsigned i = 0; ctx->stop && i < ctx->stop->n; i++)
        if (atomic_load(&ctx->stop->threads[i].state) == MB_STOP_STOPPED)
            scan_words(ctx->stop->threads[i].regs, MB_STOP_NREGS);
    if (rq->regs) scan_words(rq->regs, rq->nregs);
    /* Lost blocks that other lost blocks point to are indirectly lost. */
    for (size_t i = 0; i < ctx->n; i++)
        if (ctx->blocks[i].state == MB_LEAK_DEFINITE)
            scan(ctx->blocks[i].user, ctx->blocks[i].user + ctx->blocks[i].size, 0, 1, (long)i);

    /* The loader keeps each thread's TLS vector through a pointer to its second word: such
     * blocks, possibly lost to the scan, live as long as the thread's TLS does. */
    for (size_t i = 0; i < ctx->n; i++) {
        uintptr_t pc;
        if (ctx->blocks[i].state == MB_LEAK_POSSIBLE && mb__stack_get(ctx->blocks[i].stack, &pc, 1) &&
            pc >= ctx->loader_lo && pc < ctx->loader_hi)
            ctx->blocks[i].state = MB_LEAK_REACHABLE;
    }
    if (ctx->stop) mb__os_resume_threads(ctx->stop);
    mb__world_lock(MB_FORK_PARENT);
    return mb__leak_report(ctx->blocks, ctx->n, ctx->work, rq->level);
}

size_t mb__leak_check(const struct mb_leak_request *rq)
{
    if (!mb__check_mode || rq->level <= 0) return 0;
    size_t live = count_live();
    if (!live) return 0;
    live += live / 4 + 1024; /* other threads allocate until they are stopped */
    size_t work_entry = 2 * sizeof(size_t) > MB_LEAK_RECORD_SIZE ? 2 * sizeof(size_t) : MB_LEAK_RECORD_SIZE;
    size_t ctx_bytes = mb__align_up(sizeof *ctx, MB_PAGE_SIZE);
    size_t stop_bytes = mb__align_up(sizeof(struct mb_stop) + STOP_MAX_THREADS * sizeof(struct mb_stopped_thread),
                                     MB_PAGE_SIZE);
    size_t blocks_bytes = mb__align_up(live * sizeof(struct mb_leak_block), MB_PAGE_SIZE);
    size_t work_bytes = mb__align_up(live * work_entry, MB_PAGE_SIZE);
    size_t total = ctx_bytes + stop_bytes + blocks_bytes + work_bytes;
    uint8_t *mem = mb__os_map(total);
    if (!mem) return 0;
    ctx = (struct leak_ctx *)mem;
    ctx->stop = (struct mb_stop *)(mem + ctx_bytes);
    ctx->stop->cap = STOP_MAX_THREADS;
    ctx->blocks = (struct mb_leak_block *)(mem + ctx_bytes + stop_bytes);
    ctx->cap = live;
    ctx->work = (size_t *)(mem + ctx_bytes + stop_bytes + blocks_bytes);
    ctx->work_cap = work_bytes / sizeof(size_t);

    /* The asking thread's stack: at exit, above the frame that called exit(); otherwise
     * from the point the request names, or from here (the caller's frames and the
     * registers its callees saved are above this one). */
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    ctx->self_sp = rq->self_sp ? rq->self_sp : here;
    size_t lost = run(rq);
    mb__os_unmap(mem, total);
    ctx = NULL;
    return lost;
}
