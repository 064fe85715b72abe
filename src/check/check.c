/* Check mode's allocation front end. Every block is either guarded (guard.c: own pages,
 * a guard page after it) or a canary block: a fast-heap slot laid out as
 *
 *     [ red zone: MB_REDZONE or more canary bytes ][ user bytes ][ canary to slot end ]
 *
 * with an out-of-band record (struct mb_blockinfo) per slot, kept in the page's info
 * array. Freed blocks go to the quarantine: guarded ones inaccessible, canary ones filled
 * with free_fill_byte and verified when they leave. Every pointer handed to free or realloc
 * is validated against the records before anything is touched. */
#include "internal.h"
#include "check/bytes.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

static MB_TLS int tl_tid;

int mb__check_tid(void)
{
    if (!tl_tid) tl_tid = mb__os_tid();
    return tl_tid;
}

void mb__check_fork_child(void) { tl_tid = 0; } /* the child's thread has a new id */

void mb__check_init(void)
{
    if (!mb__opt.handle_segv) mb__opt.unwritten_reads = 0; /* nothing would open the pages */
    mb__stack_init();
    mb__quarantine_init();
    mb__guard_init();
}

/* ---- locating blocks --------------------------------------------------------------- */

/* The records of canary blocks, one array per page: a program that allocates millions of
 * blocks touches megabytes of them, so they come from mappings of their own backed by huge
 * pages where the kernel allows (a 4 KiB page fault costs microseconds), not from the
 * general metadata heap. Arrays are powers of two of bytes; freed ones go to a list per
 * size. */
static struct mb_arena info_arena = {.huge = 1};

int mb__check_records_fork(int phase) { return mb__lock_fork(&info_arena.lock, phase); }

/* Only the owner thread gets here, for a page whose blocks are all free. */
static MB_NOINLINE struct mb_blockinfo *page_info_new(struct mb_page *pg, unsigned idx)
{
    mb__arena_free(&info_arena, pg->info, (size_t)pg->info_cap * sizeof *pg->info);
    pg->info = mb__arena_alloc(&info_arena, (size_t)pg->capacity * sizeof *pg->info);
    pg->info_cap = pg->info ? pg->capacity : 0;
    return pg->info ? &pg->info[idx] : NULL;
}

static inline __attribute__((always_inline)) struct mb_blockinfo *page_info(struct mb_page *pg, unsigned idx)
{
    if (MB_UNLIKELY(!pg->info || pg->info_cap < pg->capacity)) return page_info_new(pg, idx);
    return &pg->info[idx];
}

int mb__check_block_at(uintptr_t addr, struct mb_block *b)
{
    memset(b, 0, sizeof *b);
    void *region = mb__rmap_get(addr);
    if (!region) return 0;
    if (mb__region_kind(region) == MB_REGION_GUARD) {
        struct mb_guarded *g = mb__guard_at(addr);
        if (!g) return 0;
        b->g = g;
        b->info = &g->info;
        b->slot = g->run;
        b->slot_size = (size_t)g->npages * MB_PAGE_SIZE;
        b->user = g->user;
        return 1;
    }
    uint8_t *start;
    size_t bsize;
    struct mb_page *pg;
    struct mb_huge *hb;
    int allocated;
    if (!mb__heap_find((void *)addr, &start, &bsize, &pg, &hb, &allocated) || !allocated) return 0;
    if (hb) {
        if (!hb->info) return 0;
        b->info = hb->info;
        b->huge = 1;
    } else {
        if (!pg->info || ((uint8_t *)addr - pg->start) / pg->bsize >= pg->info_cap) return 0;
        b->info = &pg->info[((uint8_t *)addr - pg->start) / pg->bsize];
    }
    b->slot = start;
    b->slot_size = bsize;
    b->user = start + b->info->user_off;
    return 1;
}

static size_t head_len(const struct mb_block *b)
{
    return b->g ? mb__guard_head_len(b->g) : (size_t)(b->user - b->slot);
}

/* A huge slot's tail is whole pages: a red zone's worth of canary suffices. */
static size_t tail_len(const struct mb_block *b)
{
    size_t size = b->info->size;
    size_t tail = (size_t)(b->slot + b->slot_size - (b->user + size));
    size_t cap = mb__align_up(size, MB_ALIGN) - size + MB_REDZONE;
    return b->huge && tail > cap ? cap : tail;
}

/* ---- allocation -------------------------------------------------------------------- */

/* `copied`: the first bytes that the caller (realloc) fills itself, not filled here. */
static inline __attribute__((always_inline)) void *check_alloc(size_t size, size_t align, enum mb_api api,
                                                               void *caller, size_t copied)
{
    if (size > PTRDIFF_MAX - (size_t)(2 << 20)) {
        errno = ENOMEM;
        return NULL;
    }
    uint32_t stack = mb__stack_capture(caller);
    struct mb_blockinfo *info;
    uint8_t *user;
    /* unwritten_reads: the pages of a block whose bytes are not written here stay closed
     * until the program touches them (only once the fault handler can open them). */
    int closed = mb__opt.unwritten_reads && api != MB_API_CALLOC && size && mb__fault_ready();
    struct mb_guarded *g = mb__guard_alloc(size, align, closed);
    if (g && closed) {
        info = &g->info;
        user = g->user;
    } else if (g) {
        info = &g->info;
        user = g->user;
        mb__canary_fill(user - mb__guard_head_len(g), mb__guard_head_len(g));
        mb__canary_fill(user + size, (size_t)(g->run + (size_t)g->npages * MB_PAGE_SIZE - (user + size)));
    } else {
        size_t a = align > MB_ALIGN ? align : MB_ALIGN;
        /* The red zone before the block keeps the alignment; above a page that would waste
         * as much as the alignment, so such blocks have no red zone before them. */
        size_t off = a > MB_PAGE_SIZE ? 0 : a > MB_REDZONE ? a : MB_REDZONE;
        size_t total = off + mb__align_up(size, MB_ALIGN) + MB_REDZONE;
        uint8_t *slot = mb__heap_malloc_aligned(total, a);
        if (!slot) return NULL;
        /* The slot's page, as free finds it (no lookup of the allocation bit: it was just set). */
        struct mb_segment *s = mb__rmap_get((uintptr_t)slot);
        size_t bsize;
        int huge = mb__region_kind(s) != MB_REGION_SEGMENT;
        if (MB_LIKELY(!huge)) {
            struct mb_page *pg = s->heads[((uintptr_t)slot & (MB_SEGMENT_SIZE - 1)) >> MB_SLICE_SHIFT];
            uint64_t idx = mb__page_block_of(pg, (uint64_t)(slot - pg->start));
            info = page_info(pg, (unsigned)idx);
            bsize = pg->bsize;
        } else {
            struct mb_huge *hb = (struct mb_huge *)s;
            if (!hb->info) hb->info = mb__meta_alloc(sizeof *hb->info);
            info = hb->info;
            bsize = hb->usable;
        }
        if (!info) {
            mb__heap_release(slot);
            errno = ENOMEM;
            return NULL;
        }
        *info = (struct mb_blockinfo){.size = size, .user_off = (uint32_t)off};
        user = slot + off;
        mb__fill_bytes(slot, off, MB_FILL_CANARY);
        struct mb_block b = {info, slot, bsize, NULL, user, huge};
        mb__fill_bytes(user + size, tail_len(&b), MB_FILL_CANARY);
    }
    info->alloc_stack = stack;
    info->alloc_tid = mb__check_tid();
    info->api = (uint8_t)api;
    if (mb__opt.malloc_fill_byte >= 0 && api != MB_API_CALLOC && !(g && closed))
        mb__fill_bytes(user + copied, size - copied, (uint8_t)mb__opt.malloc_fill_byte);
    __atomic_store_n(&info->state, MB_BLOCK_LIVE, __ATOMIC_RELEASE);
    return user;
}

void *mb__check_malloc(size_t size, size_t align, enum mb_api api, void *caller)
{
    return check_alloc(size, align, api, caller, 0);
}

size_t mb__check_usable_size(const void *p)
{
    struct mb_block b;
    if (!mb__check_block_at((uintptr_t)p, &b) || b.user != p || b.info->state != MB_BLOCK_LIVE) return 0;
    return b.info->size;
}

static const char *bytes_word(unsigned long n) { return n == 1 ? "byte" : "bytes"; }

/* ---- canaries ------------------------------------------------------------------------ */

/* The canary bytes of a block: before the user bytes and after them (to the slot end,
 * or a red zone's worth for huge slots). */
static void print_bytes(const char *what, const uint8_t *from, const uint8_t *to)
{
    char text[3 * 16 + 8];
    struct mb_buf t;
    mb__buf_init(&t, text, sizeof text);
    for (const uint8_t *q = from; q < to && q < from + 16; q++) mb__buf_printf(&t, " %02x", *q);
    if (to - from > 16) mb__buf_puts(&t, " ...");
    mb__report_line("  %s:%s (the canary byte is %02x)", what, t.p, MB_FILL_CANARY);
}

/* The usual case in one test per run: a canary block (a guarded one's memory may be
 * closed: unwritten_reads) whose runs before and after the user bytes are intact. */
static inline int canaries_intact(const struct mb_block *b)
{
    return !b->g && mb__all_bytes(b->user + b->info->size, tail_len(b), MB_FILL_CANARY) &&
           mb__all_bytes(b->slot, (size_t)(b->user - b->slot), MB_FILL_CANARY);
}

/* Verify a live block's canaries byte by byte; report an overflow found at `when` ("free",
 * "realloc", "exit"). Returns 1 if intact. Callers test canaries_intact first. */
static MB_NOINLINE int verify_canaries(const struct mb_block *b, const char *when, void *caller)
{
    size_t size = b->info->size;
    const uint8_t *after = b->user + size;
    size_t tlen = tail_len(b);
    const uint8_t *bad_after = mb__unwritten_find_bad(after, tlen, MB_FILL_CANARY);
    size_t hlen = head_len(b);
    const uint8_t *bad_before = mb__unwritten_find_bad(b->user - hlen, hlen, MB_FILL_CANARY);
    if (!bad_after && !bad_before) return 1;
    enum mb_finding_kind kind = bad_after ? MB_FINDING_HEAP_BUFFER_OVERFLOW : MB_FINDING_HEAP_BUFFER_UNDERFLOW;
    if (!mb__report_begin(kind)) return 0;
    mb__event_block(b->user, size, 0);
    if (bad_after) {
        const uint8_t *last = after + tlen;
        while (last > bad_after && last[-1] == MB_FILL_CANARY) last--;
        unsigned long first = (unsigned long)(bad_after - after), past = (unsigned long)(last - after);
        mb__report_line("  found at %s: %lu byte%s after the end of a %lu-byte block at %p %s "
                        "overwritten (the block's bytes [%lu, %lu))",
                        when, past - first, past - first == 1 ? "" : "s", (unsigned long)size,
                        (void *)b->user, past - first == 1 ? "was" : "were",
                        (unsigned long)size + first, (unsigned long)size + past);
        print_bytes("the bytes there now", bad_after, last);
    }
    if (bad_before) {
        const uint8_t *last = b->user;
        while (last > bad_before && last[-1] == MB_FILL_CANARY) last--;
        unsigned long n = (unsigned long)(b->user - bad_before);
        mb__report_line("  found at %s: %lu %s before the start of a %lu-byte block at %p %s "
                        "overwritten",
                        when, n, bytes_word(n), (unsigned long)size, (void *)b->user, n == 1 ? "was" : "were");
        print_bytes("the bytes there now", bad_before, last);
    }
    if (caller)
        mb__report_stack(when[0] == 'r' ? "found at realloc" : "found at free",
                         mb__stack_capture(caller), mb__check_tid());
    mb__report_stack("the block was allocated", b->info->alloc_stack, b->info->alloc_tid);
    mb__report_end();
    /* Repair, so the same damage is reported once. */
    mb__unwritten_fill((uint8_t *)after, tlen, MB_FILL_CANARY);
    mb__unwritten_fill(b->user - hlen, hlen, MB_FILL_CANARY);
    return 0;
}

/* ---- free ---------------------------------------------------------------------------- */

static MB_NOINLINE void report_bad_free(void *p, void *caller, int from_realloc, const struct mb_block *b, int found)
{
    int twice = found && b->user == p && b->info->state == MB_BLOCK_QUARANTINED;
    enum mb_finding_kind kind = twice ? MB_FINDING_DOUBLE_FREE
                                : from_realloc ? MB_FINDING_INVALID_REALLOC : MB_FINDING_INVALID_FREE;
    if (!mb__report_begin(kind)) return;
    const char *fn = from_realloc ? "realloc" : "free";
    mb__event_access((uintptr_t)p, mb__check_tid(), "free");
    if (found && b->info->state != MB_BLOCK_FREE)
        mb__event_block(b->user, b->info->size, b->info->state == MB_BLOCK_QUARANTINED);
    if (twice) {
        mb__report_line("  %s of %p: a %lu-byte block that was already freed", fn, p,
                        (unsigned long)b->info->size);
    } else if (found && b->info->state != MB_BLOCK_FREE) {
        long off = (long)((uint8_t *)p - b->user);
        if (off >= 0 && (size_t)off < b->info->size)
            mb__report_line("  %s of %p, which malloc never returned: it is %ld %s inside a "
                            "%lu-byte block at %p%s",
                            fn, p, off, bytes_word((unsigned long)off), (unsigned long)b->info->size, (void *)b->user,
                            b->info->state == MB_BLOCK_QUARANTINED ? " (already freed)" : "");
        else if (off < 0)
            mb__report_line("  %s of %p, which malloc never returned: it is %ld %s before a "
                            "%lu-byte block at %p",
                            fn, p, -off, bytes_word((unsigned long)-off), (unsigned long)b->info->size, (void *)b->user);
        else
            mb__report_line("  %s of %p, which malloc never returned: it is %lu %s after the "
                            "end of a %lu-byte block at %p",
                            fn, p, (unsigned long)(off - (long)b->info->size),
                            bytes_word((unsigned long)(off - (long)b->info->size)),
                            (unsigned long)b->info->size, (void *)b->user);
    } else {
        char text[768];
        struct mb_buf w;
        mb__buf_init(&w, text, sizeof text);
        mb__where_describe(&w, (uintptr_t)p);
        mb__report_line("  %s of %p, which malloc never returned: it is %s", fn, p, w.p);
    }
    mb__report_stack(twice ? "the second free" : fn, mb__stack_capture(caller), mb__check_tid());
    if (found && b->info->state != MB_BLOCK_FREE) {
        if (b->info->free_stack) mb__report_stack("the block was freed", b->info->free_stack, b->info->free_tid);
        mb__report_stack("the block was allocated", b->info->alloc_stack, b->info->alloc_tid);
    }
    mb__report_line("  memboss ignored this %s.", fn);
    mb__report_end();
}

/* The usual free: p is the start of a live canary block in a page of the fast heap. The
 * page and record as mb__check_block_at finds them, without its other cases; 0 sends
 * every other pointer there. */
static inline __attribute__((always_inline)) int find_live_slot(void *p, struct mb_block *b)
{
    struct mb_segment *s = mb__rmap_get((uintptr_t)p);
    if (MB_UNLIKELY(!s || mb__region_kind(s) != MB_REGION_SEGMENT)) return 0;
    struct mb_page *pg = s->heads[((uintptr_t)p & (MB_SEGMENT_SIZE - 1)) >> MB_SLICE_SHIFT];
    if (MB_UNLIKELY(!pg->start || !pg->info)) return 0;
    /* p below pg->start wraps to an index whose slot lies above p: no match below. */
    uint64_t idx = mb__page_block_of(pg, (uint64_t)((uint8_t *)p - pg->start));
    if (MB_UNLIKELY(idx >= pg->info_cap || idx >= pg->capacity)) return 0;
    struct mb_blockinfo *info = &pg->info[idx];
    uint8_t *slot = pg->start + idx * pg->bsize;
    if (MB_UNLIKELY(slot + info->user_off != (uint8_t *)p ||
                    __atomic_load_n(&info->state, __ATOMIC_ACQUIRE) != MB_BLOCK_LIVE ||
                    !((MB_LOAD(pg->alloc[idx >> 6]) >> (idx & 63)) & 1)))
        return 0;
    *b = (struct mb_block){info, slot, pg->bsize, NULL, (uint8_t *)p, 0};
    return 1;
}

/* Validates p; returns 1 and fills b when p is a live block's pointer, else reports. */
static inline __attribute__((always_inline)) int validate(void *p, void *caller, int from_realloc, struct mb_block *b)
{
    if (MB_LIKELY(find_live_slot(p, b))) return 1;
    int found = mb__check_block_at((uintptr_t)p, b);
    if (MB_LIKELY(found && b->user == p && b->info->state == MB_BLOCK_LIVE)) return 1;
    report_bad_free(p, caller, from_realloc, b, found);
    return 0;
}

/* report_unwritten: a block freed while every byte still holds malloc's fill was never
 * written (or was written with exactly that byte: the one false positive). Not at
 * realloc: growing a buffer before filling it is normal, and the fill moves with the
 * bytes, so a block that is never written is still found when it is freed. */
static void report_unwritten(const struct mb_block *b, void *caller, const char *when)
{
    if (when[0] == 'r') return;
    if (!b->info->size || b->info->api == MB_API_CALLOC || mb__opt.malloc_fill_byte < 0 ||
        mb__unwritten_find_bad(b->user, b->info->size, (uint8_t)mb__opt.malloc_fill_byte) ||
        !mb__report_begin(MB_FINDING_UNWRITTEN_BLOCK))
        return;
    mb__event_block(b->user, b->info->size, 0);
    mb__report_line("  a %lu-byte block at %p was freed without ever being written: all its bytes "
                    "still hold memboss's fill 0x%02lx", (unsigned long)b->info->size, (void *)b->user,
                    (unsigned long)mb__opt.malloc_fill_byte);
    mb__report_stack("the block was freed", mb__stack_capture(caller), mb__check_tid());
    mb__report_stack("the block was allocated", b->info->alloc_stack, b->info->alloc_tid);
    mb__report_end();
}

static inline __attribute__((always_inline)) void free_block(struct mb_block *b, void *caller, const char *when)
{
    if (MB_UNLIKELY(!canaries_intact(b))) verify_canaries(b, when, caller); /* reports */
    if (mb__opt.report_unwritten) report_unwritten(b, caller, when);
    b->info->free_stack = mb__stack_capture(caller);
    b->info->free_tid = mb__check_tid();
    b->info->state = MB_BLOCK_QUARANTINED;
    if (b->g) {
        mb__guard_quarantine(b->g);
        mb__quarantine_push(b->g, b->info, 1);
    } else if (b->huge && mb__fault_ready()) {
        /* A huge block is sealed instead of filled: its pages are dropped and made
         * inaccessible (one system call instead of writing and later reading every byte),
         * so a use after free faults at the instruction. */
        struct mb_huge *hb = (struct mb_huge *)mb__rmap_get((uintptr_t)b->slot);
        b->info->sealed = mb__os_discard_none(hb->base, hb->map_size) == 0;
        if (!b->info->sealed && mb__opt.free_fill_byte >= 0)
            mb__fill_bytes(b->user, b->info->size, (uint8_t)mb__opt.free_fill_byte);
        mb__quarantine_push(b->slot, b->info, 0);
    } else {
        if (mb__opt.free_fill_byte >= 0) mb__fill_bytes(b->user, b->info->size, (uint8_t)mb__opt.free_fill_byte);
        mb__quarantine_push(b->slot, b->info, 0);
    }
}

void mb__check_free(void *p, void *caller, int from_realloc)
{
    struct mb_block b;
    if (!validate(p, caller, from_realloc, &b)) return;
    free_block(&b, caller, "free");
}

/* A quarantined canary block's free fill must be intact: a changed byte is a write after
 * free that no guard page caught. `when` says where it was found. Repaired once reported. */
static void verify_free_fill(const struct mb_block *b, const char *when)
{
    if (mb__opt.free_fill_byte < 0) return;
    uint8_t fill = (uint8_t)mb__opt.free_fill_byte;
    if (MB_LIKELY(mb__all_bytes(b->user, b->info->size, fill))) return;
    const uint8_t *bad = mb__canary_find_bad(b->user, b->info->size, fill);
    if (!bad || !mb__report_begin(MB_FINDING_WRITE_AFTER_FREE)) return;
    mb__event_block(b->user, b->info->size, 1);
    const uint8_t *last = b->user + b->info->size;
    while (last > bad && last[-1] == fill) last--;
    mb__report_line("  a %lu-byte block at %p was written after it was freed: bytes [%lu, %lu) "
                    "changed while it waited in quarantine",
                    (unsigned long)b->info->size, (void *)b->user, (unsigned long)(bad - b->user),
                    (unsigned long)(last - b->user));
    mb__report_line("  found %s; the write itself was not seen (the block had no guard page)", when);
    mb__report_stack("the block was freed", b->info->free_stack, b->info->free_tid);
    mb__report_stack("the block was allocated", b->info->alloc_stack, b->info->alloc_tid);
    mb__report_end();
    memset(b->user, fill, b->info->size);
}

/* A block leaves quarantine: verify a canary block's poison, then release it. The record
 * came with the entry (it stays put while the slot is allocated), so no lookup is needed. */
void mb__check_release(void *entry, struct mb_blockinfo *info, int guarded)
{
    if (guarded) {
        mb__guard_release(entry);
        return;
    }
    struct mb_block b = {.info = info, .slot = entry, .user = (uint8_t *)entry + info->user_off};
    if (info->sealed) { /* its pages open again, empty */
        struct mb_huge *hb = (struct mb_huge *)mb__rmap_get((uintptr_t)entry);
        mb__os_protect(hb->base, hb->map_size, 1);
        info->sealed = 0;
    } else {
        verify_free_fill(&b, "when the block left quarantine");
    }
    b.info->state = MB_BLOCK_FREE;
    mb__heap_release(entry);
}

void *mb__check_realloc(void *p, size_t size, void *caller)
{
    struct mb_block b;
    if (!validate(p, caller, 1, &b)) {
        errno = ENOMEM;
        return NULL;
    }
    /* Always move: a stale pointer to the old block then faults in quarantine. */
    size_t old = b.info->size;
    void *q = check_alloc(size, 0, MB_API_REALLOC, caller, old < size ? old : size);
    if (!q) return NULL;
    if (mb__opt.unwritten_reads) mb__unwritten_copy(q, p, old < size ? old : size);
    else memcpy(q, p, old < size ? old : size);
    free_block(&b, caller, "realloc");
    return q;
}

/* ---- at exit -------------------------------------------------------------------------- */

/* At exit another thread may still run, and the program may have protected its own
 * blocks: a canary that faults is skipped, not a crash. (The bytes are read once before
 * any report starts, so no lock is held when a fault jumps back here.) One sigsetjmp
 * covers a whole walk: after a fault the walk starts again and skips the blocks it had
 * reached, the faulting one included (a walk visits blocks in the same order each time). */
static sigjmp_buf exit_jmp;
static unsigned long exit_seen, exit_skip; /* blocks reached in this walk; to pass over */

/* A live block's canaries; a canary block still in quarantine, its free fill (the write
 * after free would otherwise go unseen: it never leaves quarantine). */
static inline __attribute__((always_inline)) void verify_at_exit(const struct mb_block *b)
{
    if (__atomic_fetch_add(&exit_seen, 1, __ATOMIC_RELAXED) < exit_skip) return;
    if (b->info->state != MB_BLOCK_LIVE) verify_free_fill(b, "at exit, while the block was still in quarantine");
    else if (!canaries_intact(b)) verify_canaries(b, "exit", NULL);
}

static void exit_check_guarded(struct mb_guarded *g, void *arg)
{
    (void)arg;
    struct mb_block b = {&g->info, g->run, (size_t)g->npages * MB_PAGE_SIZE, g, g->user, 0};
    verify_at_exit(&b);
}

static void exit_check_slot(uint8_t *slot, size_t bsize, struct mb_page *pg, unsigned idx, void *arg)
{
    (void)arg;
    if (!pg->info || idx >= pg->info_cap || pg->info[idx].state != MB_BLOCK_LIVE) return;
    struct mb_block b = {&pg->info[idx], slot, bsize, NULL, slot + pg->info[idx].user_off, 0};
    verify_at_exit(&b);
}

static void exit_check_huge(struct mb_huge *d, void *arg)
{
    (void)arg;
    if (!d->info || d->info->state != MB_BLOCK_LIVE) return;
    struct mb_block b = {d->info, d->user, d->usable, NULL, d->user + d->info->user_off, 1};
    verify_at_exit(&b);
}

/* Canary blocks in the quarantine FIFO (not every block whose state says quarantined: in a
 * forked child, one may have been cut in the middle of its fill). */
static void exit_check_quarantined(void *entry, struct mb_blockinfo *info, int guarded)
{
    if (guarded || info->state != MB_BLOCK_QUARANTINED || info->sealed) return;
    struct mb_block b = {.info = info, .slot = entry, .user = (uint8_t *)entry + info->user_off};
    verify_at_exit(&b);
}

static void exit_walk(int walk)
{
    switch (walk) {
    case 0: mb__guard_foreach_live(exit_check_guarded, NULL); break;
    case 1: mb__heap_foreach_block(exit_check_slot, NULL); break;
    case 2: mb__huge_foreach_live(exit_check_huge, NULL); break;
    default: mb__quarantine_foreach(exit_check_quarantined); break;
    }
}

void mb__check_at_exit(void)
{
    static int walk; /* static: kept across the jump back */
    for (walk = 0; walk < 4; walk++) {
        exit_skip = 0;
        if (sigsetjmp(exit_jmp, 0) != 0) {
            /* A block faulted: the handler cleared the recovery point. The quarantine's walk
             * holds its lock (this thread took it) until it returns, which it did not. */
            if (walk == 3) mb__quarantine_walk_abandoned();
            exit_skip = __atomic_load_n(&exit_seen, __ATOMIC_RELAXED);
        }
        __atomic_store_n(&exit_seen, 0, __ATOMIC_RELAXED);
        mb__fault_recover(&exit_jmp);
        exit_walk(walk);
        mb__fault_recover(NULL);
    }
    struct mb_leak_request rq = {.level = (int)mb__opt.leak_check, .at_exit = 1};
    mb__leak_check(&rq);
}

/* ---- faults ----------------------------------------------------------------------------- */

void mb__check_describe_access(int is_write, uintptr_t addr, const uintptr_t *pcs, unsigned n,
                               const void *uc)
{
    mb__report_line("  %s at %p by thread %d:", is_write ? "WRITE" : "READ", (void *)addr,
                    mb__check_tid());
    mb__event_access(addr, mb__check_tid(), is_write ? "write" : "read");
    if (uc) mb__event_fault(uc);
    mb__report_pc_stack(NULL, pcs, n, 0);
}

/* A fault in a sealed huge block: a use after free. */
static int explain_sealed(void *region, uintptr_t addr, int is_write, const uintptr_t *pcs, unsigned n,
                          const void *uc)
{
    struct mb_huge *hb = region;
    struct mb_blockinfo *info = hb->info;
    if ((uint8_t *)addr < hb->base || (uint8_t *)addr >= hb->base + hb->map_size || !info ||
        !info->sealed || info->state != MB_BLOCK_QUARANTINED)
        return 0;
    uint8_t *user = hb->user + info->user_off;
    if (!mb__report_begin(MB_FINDING_HEAP_USE_AFTER_FREE)) return 1;
    mb__check_describe_access(is_write, addr, pcs, n, uc);
    mb__event_block(user, info->size, 1);
    long off = (long)((uint8_t *)addr - user);
    if (off >= 0 && (uint64_t)off < info->size)
        mb__report_line("  %p is at offset %ld of a %lu-byte block at %p, freed", (void *)addr, off,
                        (unsigned long)info->size, (void *)user);
    else
        mb__report_line("  %p is %ld %s %s a %lu-byte block at %p, freed", (void *)addr,
                        off < 0 ? -off : off - (long)info->size,
                        bytes_word((unsigned long)(off < 0 ? -off : off - (long)info->size)),
                        off < 0 ? "before" : "after the end of", (unsigned long)info->size, (void *)user);
    mb__report_stack("the block was freed", info->free_stack, info->free_tid);
    mb__report_stack("the block was allocated", info->alloc_stack, info->alloc_tid);
    mb__report_end();
    return 1;
}

int mb__check_explain_fault(uintptr_t addr, int is_write, const uintptr_t *pcs, unsigned n,
                            const void *uc)
{
    void *region = mb__rmap_get(addr);
    if (region && mb__region_kind(region) == MB_REGION_HUGE) return explain_sealed(region, addr, is_write, pcs, n, uc);
    if (!region || mb__region_kind(region) != MB_REGION_GUARD) return 0;
    struct mb_guarded *g = mb__guard_at(addr);
    if (!g) {
        if (!mb__report_begin(MB_FINDING_SEGV)) return 1;
        mb__check_describe_access(is_write, addr, pcs, n, uc);
        mb__report_line("  %p is in memboss's guard arena, in no block", (void *)addr);
        mb__report_end();
        return 1;
    }
    struct mb_blockinfo *info = &g->info;
    uint8_t *data_end = g->run + (size_t)g->npages * MB_PAGE_SIZE;
    /* A live block's own pages fault only if the program changed their protection itself
     * (mprotect of its memory): that fault is the program's, not a finding. */
    if ((uint8_t *)addr < data_end && info->state == MB_BLOCK_LIVE) return 0;
    if ((uint8_t *)addr < data_end) { /* freed: in quarantine, or already out of it */
        if (!mb__report_begin(MB_FINDING_HEAP_USE_AFTER_FREE)) return 1;
        mb__check_describe_access(is_write, addr, pcs, n, uc);
        mb__event_block(g->user, info->size, 1);
        long off = (long)((uint8_t *)addr - g->user);
        if (off >= 0 && (uint64_t)off < info->size)
            mb__report_line("  %p is at offset %ld of a %lu-byte block at %p, freed", (void *)addr,
                            off, (unsigned long)info->size, (void *)g->user);
        else
            mb__report_line("  %p is %ld %s %s a %lu-byte block at %p, freed", (void *)addr,
                            off < 0 ? -off : off - (long)info->size,
                            bytes_word((unsigned long)(off < 0 ? -off : off - (long)info->size)), off < 0 ? "before" : "after the end of",
                            (unsigned long)info->size, (void *)g->user);
        if (info->state == MB_BLOCK_FREE)
            mb__report_line("  (the block has left quarantine; its pages stay inaccessible until reused)");
        mb__report_stack("the block was freed", info->free_stack, info->free_tid);
        mb__report_stack("the block was allocated", info->alloc_stack, info->alloc_tid);
        mb__report_end();
        return 1;
    }
    /* In g's trailing guard page: past g's end, or before the next run's block. */
    struct mb_guarded *next = mb__guard_next(g);
    size_t past = addr - (uintptr_t)(g->user + info->size);
    int under = next && next->info.state != MB_BLOCK_FREE &&
                (uintptr_t)next->user - addr < past;
    struct mb_guarded *b = under ? next : g;
    int freed = b->info.state != MB_BLOCK_LIVE;
    enum mb_finding_kind kind = freed ? MB_FINDING_HEAP_USE_AFTER_FREE
                                : under ? MB_FINDING_HEAP_BUFFER_UNDERFLOW : MB_FINDING_HEAP_BUFFER_OVERFLOW;
    if (!mb__report_begin(kind)) return 1;
    mb__check_describe_access(is_write, addr, pcs, n, uc);
    mb__event_block(b->user, b->info.size, freed);
    if (under)
        mb__report_line("  %p is %lu %s before the start of a %lu-byte block at %p%s", (void *)addr,
                        (unsigned long)((uintptr_t)b->user - addr),
                        bytes_word((unsigned long)((uintptr_t)b->user - addr)), (unsigned long)b->info.size,
                        (void *)b->user, freed ? ", freed" : "");
    else
        mb__report_line("  %p is %lu %s after the end of a %lu-byte block at %p (offset %lu)%s",
                        (void *)addr, (unsigned long)past, bytes_word(past), (unsigned long)info->size, (void *)g->user,
                        (unsigned long)(addr - (uintptr_t)g->user), freed ? ", freed" : "");
    if (freed) mb__report_stack("the block was freed", b->info.free_stack, b->info.free_tid);
    mb__report_stack("the block was allocated", b->info.alloc_stack, b->info.alloc_tid);
    mb__report_end();
    return 1;
}
