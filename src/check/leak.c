/* The leak check at exit: a conservative mark from the roots, word by word.
 *
 * Roots are every readable, writable mapping that is not memboss's own (the program's and
 * its libraries' .data and .bss, thread stacks, TLS, anonymous mappings the program or
 * libc made), and the registers, which the exit path has spilled onto the stack being
 * scanned. A word that points into a live block, at its start or inside it, marks it, and
 * marked blocks are scanned in turn. Blocks left unmarked are lost: "definitely" when no
 * other lost block points to them, "indirectly" when one does.
 *
 * Works in memory of its own (mb__os_map), never in the heap it scans. */
#include "internal.h"

#include <string.h>

enum { UNREACHED = 0, REACHED, INDIRECT };

struct leak_block {
    uintptr_t user;
    uint64_t size;
    struct mb_blockinfo *info;
    uint8_t state;
};

struct leak_ctx {
    struct leak_block *blocks;
    size_t n, cap;
    size_t *work;            /* indices of marked blocks still to scan                 */
    size_t nwork;
    uintptr_t own_lo[4096], own_hi[4096];
    unsigned nown;
    uintptr_t sp;            /* the scanning thread's stack is a root from here up     */
    /* The scan's own state lives here, in a memboss mapping the scan skips: in a static
     * variable it would be a root holding the address of the last block scanned. */
    sigjmp_buf jmp;
    volatile uintptr_t lo, hi;
};

static struct leak_ctx *ctx;

static void add_block(uintptr_t user, uint64_t size, struct mb_blockinfo *info)
{
    if (ctx->n == ctx->cap) return; /* capacity counted beforehand; never hit */
    ctx->blocks[ctx->n++] = (struct leak_block){user, size, info, UNREACHED};
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
    if (d->info && d->info->state == MB_BLOCK_LIVE)
        add_block((uintptr_t)d->user + d->info->user_off, d->info->size, d->info);
}

static void take_guarded(struct mb_guarded *g, void *arg)
{
    (void)arg;
    add_block((uintptr_t)g->user, g->info.size, &g->info);
}

static void take_slot(uint8_t *slot, size_t bsize, struct mb_page *pg, unsigned idx, void *arg)
{
    (void)bsize, (void)arg;
    if (!pg->info || idx >= pg->info_cap || pg->info[idx].state != MB_BLOCK_LIVE) return;
    struct mb_blockinfo *info = &pg->info[idx];
    add_block((uintptr_t)slot + info->user_off, info->size, info);
}

static int by_address(const void *x, const void *y)
{
    const struct leak_block *a = x, *b = y;
    return a->user < b->user ? -1 : a->user > b->user;
}

/* Lost blocks together, definitely lost first, then by allocation stack. */
static int by_loss(const void *x, const void *y)
{
    const struct leak_block *a = x, *b = y;
    int ka = a->state == UNREACHED ? 0 : a->state == INDIRECT ? 1 : 2;
    int kb = b->state == UNREACHED ? 0 : b->state == INDIRECT ? 1 : 2;
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->info->alloc_stack < b->info->alloc_stack ? -1 : a->info->alloc_stack > b->info->alloc_stack;
}

/* Heap sort of n elements of `size` bytes: no allocation, no recursion. */
static void sort_any(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    uint8_t *v = base, tmp[64];
    mb__assert(size <= sizeof tmp);
#define AT(k) (v + (k) * size)
#define SWAP(a, b) (memcpy(tmp, AT(a), size), memcpy(AT(a), AT(b), size), memcpy(AT(b), tmp, size))
    for (size_t end = n, start = n / 2;;) {
        size_t r;
        if (start > 0) {
            r = --start;
        } else {
            if (end <= 1) break;
            end--;
            SWAP(0, end);
            r = 0;
        }
        for (;;) {
            size_t c = 2 * r + 1;
            if (c >= end) break;
            if (c + 1 < end && cmp(AT(c), AT(c + 1)) < 0) c++;
            if (cmp(AT(r), AT(c)) >= 0) break;
            SWAP(r, c);
            r = c;
        }
    }
#undef AT
#undef SWAP
}

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
    const struct leak_block *b = &ctx->blocks[lo - 1];
    return w < b->user + (b->size ? b->size : 1) ? (long)(lo - 1) : -1;
}

/* Mark what [lo, hi) points to as `state`, then what those blocks point to. A range that
 * faults (a file mapped past its end, a block another thread just freed, memory the
 * program protected) is skipped from the faulting word on. */
static void scan(uintptr_t lo, uintptr_t hi, uint8_t state, long self)
{
    ctx->lo = (lo + 7) & ~(uintptr_t)7;
    ctx->hi = hi;
    if (sigsetjmp(ctx->jmp, 0)) ctx->lo = ctx->hi; /* faulted: drop the rest of the range */
    mb__fault_recover(&ctx->jmp);
    for (;;) {
        for (uintptr_t a = ctx->lo; a + 8 <= ctx->hi; a += 8) {
            long i = find_block(*(const uintptr_t *)a);
            if (i < 0 || i == self || ctx->blocks[i].state != UNREACHED) continue;
            ctx->blocks[i].state = state;
            ctx->work[ctx->nwork++] = (size_t)i;
        }
        if (!ctx->nwork) break;
        const struct leak_block *b = &ctx->blocks[ctx->work[--ctx->nwork]];
        ctx->lo = b->user;
        ctx->hi = b->user + b->size;
    }
    mb__fault_recover(NULL);
}

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

/* Scan [lo, hi) minus memboss's own memory: its regions (user blocks are scanned only
 * once reached) and its metadata mappings, which the kernel may have merged into a
 * neighbouring mapping with the same permissions. */
static void scan_root(uintptr_t lo, uintptr_t hi)
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
        scan(lo, stop, REACHED, -1);
        lo = stop;
    }
}

static int path_is(const char *path, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && !memcmp(path, s, k);
}

/* Each readable, writable mapping is a root, but device memory and the kernel's pages.
 * Shared anonymous memory shows as "/dev/zero (deleted)" and POSIX shared memory as
 * "/dev/shm/...": those are the program's memory and are scanned. */
static void scan_mapping(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
                         size_t pathlen, void *arg)
{
    (void)arg;
    if (perms[0] != 'r' || perms[1] != 'w') return;
    if (path_is(path, pathlen, "/dev/") && !path_is(path, pathlen, "/dev/zero") &&
        !path_is(path, pathlen, "/dev/shm/"))
        return;
    if (path_is(path, pathlen, "[vvar]") || path_is(path, pathlen, "[vdso]") ||
        path_is(path, pathlen, "[vsyscall]"))
        return;
    if (ctx->sp >= lo && ctx->sp < hi) lo = ctx->sp;
    scan_root(lo, hi);
}

/* One loss record: the lost blocks of one kind from one allocation stack. */
struct loss_record {
    uint64_t bytes, blocks;
    uint32_t stack;
    int tid;
    uint8_t state;
};

/* Largest first within each kind; definitely lost before indirectly lost. */
static int by_record(const void *x, const void *y)
{
    const struct loss_record *a = x, *b = y;
    if (a->state != b->state) return a->state == UNREACHED ? 1 : -1;
    return a->bytes < b->bytes ? -1 : a->bytes > b->bytes;
}

/* Group the lost blocks (sorted with by_loss) into records; returns how many. */
static size_t make_records(struct loss_record *rec)
{
    size_t n = 0;
    for (size_t i = 0; i < ctx->n && ctx->blocks[i].state != REACHED; i++) {
        const struct leak_block *b = &ctx->blocks[i];
        if (!n || rec[n - 1].state != b->state || rec[n - 1].stack != b->info->alloc_stack)
            rec[n++] = (struct loss_record){0, 0, b->info->alloc_stack, b->info->alloc_tid, b->state};
        rec[n - 1].bytes += b->size;
        rec[n - 1].blocks++;
    }
    return n;
}

void mb__leak_check(void)
{
    if (mb__opt.leak_check <= 0) return;
    size_t live = 0;
    mb__guard_foreach_live(count_guarded, &live);
    mb__heap_foreach_block(count_slot, &live);
    mb__huge_foreach_live(count_huge, &live);
    if (!live) return;
    size_t ctx_bytes = mb__align_up(sizeof *ctx, MB_PAGE_SIZE);
    size_t blocks_bytes = mb__align_up(live * sizeof(struct leak_block), MB_PAGE_SIZE);
    size_t per_block = sizeof(size_t) > sizeof(struct loss_record) ? sizeof(size_t)
                                                                    : sizeof(struct loss_record);
    size_t work_bytes = mb__align_up(live * per_block, MB_PAGE_SIZE);
    uint8_t *mem = mb__os_map(ctx_bytes + blocks_bytes + work_bytes);
    if (!mem) return;
    ctx = (struct leak_ctx *)mem;
    ctx->blocks = (struct leak_block *)(mem + ctx_bytes);
    ctx->work = (size_t *)(mem + ctx_bytes + blocks_bytes);
    ctx->cap = live;
    mb__guard_foreach_live(take_guarded, NULL);
    mb__heap_foreach_block(take_slot, NULL);
    mb__huge_foreach_live(take_huge, NULL);
    sort_any(ctx->blocks, ctx->n, sizeof *ctx->blocks, by_address);
    ctx->nown = mb__os_own_mappings(ctx->own_lo, ctx->own_hi, 4096);

    /* Roots. Our own stack is scanned from here up: the program's frames and the
     * registers saved by the calls that led here are above us. The report lock keeps
     * where.c's maps reader ours while the mappings are walked. */
    ctx->sp = (uintptr_t)__builtin_frame_address(0);
    mb__report_hold(1);
    mb__where_foreach_mapping(scan_mapping, NULL);
    mb__report_hold(0);
    /* Lost blocks that other lost blocks point to are indirectly lost. */
    for (size_t i = 0; i < ctx->n; i++)
        if (ctx->blocks[i].state == UNREACHED)
            scan(ctx->blocks[i].user, ctx->blocks[i].user + ctx->blocks[i].size, INDIRECT, (long)i);

    /* Loss records: sort the lost blocks by kind and stack, group, order the groups. The
     * work array (one word per block) is no longer needed: it holds the records. */
    sort_any(ctx->blocks, ctx->n, sizeof *ctx->blocks, by_loss);
    struct loss_record *rec = (struct loss_record *)ctx->work;
    size_t nrec = 0;
    if (work_bytes / sizeof *rec >= ctx->n) {
        nrec = make_records(rec);
    }
    sort_any(rec, nrec, sizeof *rec, by_record); /* ascending: reported from the end */
    unsigned long def_bytes = 0, def_blocks = 0, ind_bytes = 0, ind_blocks = 0;
    for (size_t k = nrec; k-- > 0;) {
        const struct loss_record *r = &rec[k];
        int definite = r->state == UNREACHED;
        *(definite ? &def_bytes : &ind_bytes) += r->bytes;
        *(definite ? &def_blocks : &ind_blocks) += r->blocks;
        if (mb__opt.leak_check < 2 || !mb__report_begin(MB_FINDING_LEAK)) continue;
        mb__report_line("  %lu bytes in %lu block%s are %s lost in loss record %lu of %lu",
                        (unsigned long)r->bytes, (unsigned long)r->blocks, r->blocks == 1 ? "" : "s",
                        definite ? "definitely" : "indirectly", (unsigned long)(nrec - k),
                        (unsigned long)nrec);
        mb__report_stack("allocated", r->stack, r->tid);
        mb__report_end();
    }
    if (def_blocks || ind_blocks) {
        /* With leak_check=1 the summary is the one finding; with 2 it follows the records. */
        int framed = mb__opt.leak_check < 2 && mb__report_begin(MB_FINDING_LEAK);
        if (framed || mb__opt.leak_check >= 2)
            (framed ? mb__report_line : mb__report_note)(
                "%sleak summary: definitely lost: %lu bytes in %lu blocks; indirectly lost: "
                "%lu bytes in %lu blocks",
                framed ? "  " : "", def_bytes, def_blocks, ind_bytes, ind_blocks);
        if (framed) mb__report_end();
    }
    mb__os_unmap(mem, ctx_bytes + blocks_bytes + work_bytes);
    ctx = NULL;
}
