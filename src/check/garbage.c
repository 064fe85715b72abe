/* Garbage values: a fault whose address, or a register, is made of one of memboss's fill
 * patterns (docs/garbage-values.md) was caused by a pointer read from memory memboss
 * filled: a block never written (malloc_fill_byte), a freed block (free_fill_byte) or a
 * red zone (the canary). Say so, and find the block the pointer was most likely read from:
 * one a register (or, failing that, a word of the faulting frame) points into that still
 * holds the pattern. Runs in the fault handler: no allocation, no lock but the report's,
 * every read of a block under fault recovery. */
#include "internal.h"

#include <ucontext.h>

#define OFFSET_MAX 4096   /* pattern + offset: a field of a struct behind a garbage pointer */
#define MAX_BLOCKS 3      /* blocks named per report                                        */
#define FRAME_WORDS 64    /* stack words looked at above the stack pointer                  */

enum pattern { FRESH, FREED, CANARY, PATTERNS };

static const char *const pattern_name[PATTERNS] = {
    "memboss's uninitialized-memory pattern",
    "memboss's freed-memory pattern",
    "memboss's red-zone (canary) pattern",
};
static const char *const pattern_meaning[PATTERNS] = {
    "a pointer was read from a heap block that was never written",
    "a pointer was read from a heap block after it was freed",
    "a pointer was read from outside a heap block (its red zone): an overflow",
};

/* A value made of a pattern: which one, how wide (8 bytes, or 4 from a 32-bit load) and
 * what was added to it. */
struct match {
    enum pattern kind;
    unsigned width;
    long off;
};

static int pattern_byte(enum pattern k)
{
    return k == FRESH ? (int)mb__opt.malloc_fill_byte : k == FREED ? (int)mb__opt.free_fill_byte : MB_FILL_CANARY;
}

static int match(uint64_t v, struct match *m)
{
    for (int k = 0; k < PATTERNS; k++) {
        int byte = pattern_byte((enum pattern)k);
        if (byte < 0) continue;
        int64_t d = (int64_t)(v - 0x0101010101010101ull * (uint8_t)byte);
        uint32_t hi = (uint32_t)(v >> 32);
        int32_t d32 = (int32_t)((uint32_t)v - 0x01010101u * (uint8_t)byte);
        if (d > -OFFSET_MAX && d < OFFSET_MAX) *m = (struct match){(enum pattern)k, 8, (long)d};
        else if ((hi == 0 || hi == 0xffffffffu) && d32 > -OFFSET_MAX && d32 < OFFSET_MAX)
            *m = (struct match){(enum pattern)k, 4, (long)d32};
        else continue;
        return 1;
    }
    return 0;
}

/* "0x... is memboss's ... pattern + 8 (...): meaning". */
static void say_match(const char *what, uint64_t v, const struct match *m)
{
    char extra[128];
    struct mb_buf e;
    mb__buf_init(&e, extra, sizeof extra);
    if (m->width == 4) mb__buf_puts(&e, " (4 bytes of it: a 32-bit load)");
    if (m->off > 0) mb__buf_printf(&e, " + %ld (a field at offset %ld of a garbage pointer)", m->off, m->off);
    if (m->off < 0) mb__buf_printf(&e, " - %ld", -m->off);
    mb__report_line("  %s %p is %s%s: %s", what, (void *)v, pattern_name[m->kind], e.p,
                    pattern_meaning[m->kind]);
}

/* The registers a garbage pointer may be in: all but the stack pointer and the pc. */
static int data_reg(unsigned i) { return mb__regs[i].reg != REG_RSP && mb__regs[i].reg != REG_RIP; }

/* ---- where the pointer came from ------------------------------------------------------- */

struct search {
    struct match want[PATTERNS]; /* one per pattern seen (kind, width)                     */
    unsigned nwant;
    uint8_t *named[MAX_BLOCKS];  /* blocks already named                                   */
    unsigned nnamed;
};

/* The width bytes at p, read under fault recovery; 0 if they cannot be read (the program
 * protected them, or unwritten_reads has not opened their page yet). */
static int read_word(const uint8_t *p, unsigned width, uint64_t *v)
{
    *v = 0;
    if (mb__unwritten_closed(p) || mb__unwritten_closed(p + width - 1)) return 0;
    return mb__fault_probe((void *)p, v, width, 0);
}

/* Runs of words (width-aligned from the block start) of [user, user+size) that equal the
 * pattern, as text "[8, 16), [32, 40)". Returns the count of runs. */
static unsigned find_runs(const uint8_t *user, size_t size, const struct match *m, struct mb_buf *out)
{
    uint64_t word = 0x0101010101010101ull * (uint8_t)pattern_byte(m->kind);
    if (m->width == 4) word &= 0xffffffffu;
    unsigned runs = 0;
    size_t start = 0;
    int in_run = 0;
    for (size_t i = 0; i <= size; i += m->width) {
        uint64_t v;
        int hit = i + m->width <= size && read_word(user + i, m->width, &v) && v == word;
        if (hit && !in_run) start = i;
        if (!hit && in_run && ++runs <= 4) mb__buf_printf(out, "%s[%zu, %zu)", runs > 1 ? ", " : "", start, i);
        in_run = hit;
    }
    if (runs > 4) mb__buf_puts(out, ", ...");
    return runs;
}

/* `what` (a register, a stack word) holds p: if p points into a heap block that still holds
 * one of the patterns wanted, name the block. Returns 1 when it did. */
static int name_source(struct search *s, const char *what, uintptr_t p)
{
    struct mb_block b;
    if (!mb__check_block_at(p, &b) || b.info->state == MB_BLOCK_FREE) return 0;
    if (b.g && b.info->state != MB_BLOCK_LIVE) return 0; /* a freed guarded block's pages are gone */
    for (unsigned i = 0; i < s->nnamed; i++)
        if (s->named[i] == b.user) return 0;
    for (unsigned w = 0; w < s->nwant; w++) {
        char text[160];
        struct mb_buf t;
        mb__buf_init(&t, text, sizeof text);
        unsigned runs = find_runs(b.user, b.info->size, &s->want[w], &t);
        if (!runs) continue;
        int freed = b.info->state == MB_BLOCK_QUARANTINED;
        char where[64];
        struct mb_buf r;
        mb__buf_init(&r, where, sizeof where);
        if (p < (uintptr_t)b.user) mb__buf_printf(&r, "%lu bytes before", (unsigned long)((uintptr_t)b.user - p));
        else if (p - (uintptr_t)b.user >= b.info->size)
            mb__buf_printf(&r, "%lu bytes after the end of", (unsigned long)(p - (uintptr_t)b.user - b.info->size));
        else mb__buf_puts(&r, "into");
        mb__report_line("  %s = %p points %s the %lu-byte block at %p%s; its bytes %s still hold "
                        "that pattern: the pointer was most likely read from there",
                        what, (void *)p, r.p, (unsigned long)b.info->size, (void *)b.user, freed ? ", freed" : "", t.p);
        if (freed) mb__report_stack("that block was freed", b.info->free_stack, b.info->free_tid);
        mb__report_stack("that block was allocated", b.info->alloc_stack, b.info->alloc_tid);
        s->named[s->nnamed++] = b.user;
        return 1;
    }
    return 0;
}

static void want(struct search *s, const struct match *m)
{
    for (unsigned i = 0; i < s->nwant; i++)
        if (s->want[i].kind == m->kind && s->want[i].width == m->width) return;
    if (s->nwant < PATTERNS) s->want[s->nwant++] = *m;
}

/* Registers first; when none points to such a block, the words of the faulting frame
 * (locals of unoptimized code live there). */
static void find_sources(struct search *s, const greg_t *g)
{
    char what[48];
    struct mb_buf w;
    for (unsigned i = 0; i < MB_NREGS && s->nnamed < MAX_BLOCKS; i++) {
        if (!data_reg(i)) continue;
        mb__buf_init(&w, what, sizeof what);
        mb__buf_printf(&w, "register %s", mb__regs[i].name);
        name_source(s, what, (uintptr_t)g[mb__regs[i].reg]);
    }
    if (s->nnamed) return;
    uintptr_t sp = (uintptr_t)g[REG_RSP];
    int tid, in_guard;
    uintptr_t lo, hi;
    if (!mb__thread_stack_find(sp, &tid, &lo, &hi, &in_guard) || in_guard) hi = sp + FRAME_WORDS * 8;
    for (unsigned i = 0; i < FRAME_WORDS && sp + i * 8 + 8 <= hi && s->nnamed < MAX_BLOCKS; i++) {
        uint64_t v;
        if (!read_word((const uint8_t *)(sp + i * 8), 8, &v)) break;
        mb__buf_init(&w, what, sizeof what);
        mb__buf_printf(&w, "the stack word at %p (rsp+%u)", (void *)(sp + i * 8), i * 8);
        name_source(s, what, (uintptr_t)v);
    }
}

void mb__garbage_explain(uintptr_t addr, int addr_known, const void *ctx)
{
    const greg_t *g = ((const ucontext_t *)ctx)->uc_mcontext.gregs;
    struct search s = {.nwant = 0};
    struct match m;
    if (addr_known && match(addr, &m)) {
        say_match("the address", addr, &m);
        want(&s, &m);
    }
    for (unsigned i = 0; i < MB_NREGS; i++) {
        if (!data_reg(i)) continue;
        uint64_t v = (uint64_t)g[mb__regs[i].reg];
        if (v == addr && addr_known) continue; /* said above */
        char what[32];
        struct mb_buf w;
        mb__buf_init(&w, what, sizeof what);
        mb__buf_printf(&w, "register %s =", mb__regs[i].name);
        if (match(v, &m)) {
            say_match(what, v, &m);
            want(&s, &m);
        }
    }
    if (s.nwant) find_sources(&s, g);
}

int mb__garbage_fill_kind(uint64_t v)
{
    struct match m;
    if (!match(v, &m)) return MB_FILL_NONE;
    return m.kind == FRESH ? MB_FILL_FRESH : m.kind == FREED ? MB_FILL_FREED : MB_FILL_RED_ZONE;
}
