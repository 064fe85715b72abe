/* Machine lines: "==PID== @KEY FIELDS", written inside a report, between its first line
 * and its END line, for the memboss command to read (docs/events.md is the contract).
 * Only while reports go to the status directory (status_dir and report_to_status): a
 * program run under LD_PRELOAD alone never sees one.
 *
 * Invariant: callers are inside a report (the report lock is held), so the static table
 * of modules below has one user at a time. Nothing here allocates: fixed buffers, the
 * report writer's write(2), where.c's plain reads of /proc/self/maps. */
#include "internal.h"
#include "report/elf.h"

#include <ucontext.h>

#define MODULES_MAX 16     /* distinct modules per report; more are left out          */
#define MODULE_PATH 512    /* a longer path is cut                                     */
#define CODE_BYTES 16      /* bytes shown at the faulting pc                           */

int mb__events_on(void)
{
    return mb__opt.report_to_status && mb__opt.status_dir[0] && !mb__report_status_gone();
}

void mb__event_access(uintptr_t addr, int tid, const char *how)
{
    if (mb__events_on()) mb__report_line("@access %p %d %s", (void *)addr, tid, how);
}

void mb__event_block(const void *addr, size_t size, int freed)
{
    if (mb__events_on()) mb__report_line("@block %p %zu %s", addr, size, freed ? "freed" : "live");
}

void mb__event_leak(size_t bytes, size_t blocks, const char *kind)
{
    if (mb__events_on()) mb__report_line("@leak %zu %zu %s", bytes, blocks, kind);
}

/* ---- @module: the modules the report's frames named ---------------------------------- */

static struct {
    uintptr_t bias;
    char path[MODULE_PATH];
    char id[2 * MB_ELF_BUILD_ID_MAX + 1]; /* lowercase hex, or "-" */
} modules[MODULES_MAX];
static unsigned nmodules;

static int same_path(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

void mb__event_module(uintptr_t bias, const char *path, const uint8_t *build_id, unsigned id_len)
{
    if (!mb__events_on()) return;
    for (unsigned i = 0; i < nmodules; i++)
        if (modules[i].bias == bias && same_path(modules[i].path, path)) return;
    if (nmodules == MODULES_MAX) return;
    size_t n = 0;
    for (; path[n] && n < MODULE_PATH - 1; n++) modules[nmodules].path[n] = path[n];
    modules[nmodules].path[n] = 0;
    modules[nmodules].bias = bias;
    static const char digits[] = "0123456789abcdef";
    char *id = modules[nmodules].id;
    if (id_len > MB_ELF_BUILD_ID_MAX) id_len = 0;
    for (unsigned i = 0; i < id_len; i++) {
        id[2 * i] = digits[build_id[i] >> 4];
        id[2 * i + 1] = digits[build_id[i] & 15];
    }
    if (id_len) id[2 * id_len] = 0;
    else id[0] = '-', id[1] = 0;
    nmodules++;
}

void mb__event_modules_flush(void)
{
    for (unsigned i = 0; i < nmodules; i++)
        mb__report_line("@module %p %s %s", (void *)modules[i].bias, modules[i].id, modules[i].path);
    nmodules = 0;
}

/* ---- at a fault: @reg, @code, @map --------------------------------------------------- */

const struct mb_reg_name mb__regs[MB_NREGS] = {
    {"rax", REG_RAX}, {"rbx", REG_RBX}, {"rcx", REG_RCX}, {"rdx", REG_RDX}, {"rsi", REG_RSI},
    {"rdi", REG_RDI}, {"rbp", REG_RBP}, {"rsp", REG_RSP}, {"r8", REG_R8},   {"r9", REG_R9},
    {"r10", REG_R10}, {"r11", REG_R11}, {"r12", REG_R12}, {"r13", REG_R13}, {"r14", REG_R14},
    {"r15", REG_R15}, {"rip", REG_RIP}};

/* What a register's value is: a small number, a pointer into a heap block, a fill pattern. */
static const char *mark(uint64_t v)
{
    if (v < MB_PAGE_SIZE) return "null";
    struct mb_block b;
    if (mb__check_block_at((uintptr_t)v, &b) && b.info && (uintptr_t)v >= (uintptr_t)b.user &&
        (uintptr_t)v - (uintptr_t)b.user < b.info->size) {
        if (b.info->state == MB_BLOCK_LIVE) return "heap";
        if (b.info->state == MB_BLOCK_QUARANTINED) return "freed";
    }
    switch (mb__garbage_fill_kind(v)) {
    case MB_FILL_FRESH: return "fill-fresh";
    case MB_FILL_FREED: return "fill-freed";
    default: return "plain";
    }
}

/* Up to CODE_BYTES at pc, byte by byte under fault recovery (the code may end at an
 * unreadable page). */
static void code_line(uintptr_t pc)
{
    char text[2 * CODE_BYTES + 1];
    static const char digits[] = "0123456789abcdef";
    unsigned n = 0;
    for (; n < CODE_BYTES; n++) {
        uint8_t byte;
        if (!mb__fault_probe((void *)(pc + n), &byte, 1, 0)) break;
        text[2 * n] = digits[byte >> 4];
        text[2 * n + 1] = digits[byte & 15];
    }
    text[2 * n] = 0;
    mb__report_line("@code %p %s", (void *)pc, n ? text : "-");
}

/* 1 when a 4 MiB chunk of [lo, hi) belongs to memboss's heap (a segment, a huge block, the
 * guard arena): the kernel merges neighbouring anonymous mappings, so a maps line may
 * start below the first chunk of ours. A bounded number of chunks is looked at. */
static int ours(uintptr_t lo, uintptr_t hi)
{
    if (mb__rmap_get(lo)) return 1;
    uintptr_t c = mb__align_up(lo, MB_SEGMENT_SIZE);
    for (unsigned i = 0; i < 1024 && c < hi; i++, c += MB_SEGMENT_SIZE)
        if (mb__rmap_get(c)) return 1;
    return 0;
}

/* The KIND of a mapping, from memboss's own knowledge first (its heap regions, thread
 * stacks), then from the name /proc/self/maps gives it. */
static void map_line(uintptr_t lo, uintptr_t hi, const char *perms, uint64_t off,
                     const char *path, size_t pathlen)
{
    const char *kind = "anon";
    char who[32];
    struct mb_buf w;
    mb__buf_init(&w, who, sizeof who);
    int none = perms[0] == '-' && perms[1] == '-' && perms[2] == '-';
    int tid = 0, in_guard = 0;
    uintptr_t slo, shi;
    if (pathlen && path[0] == '[') {
        if (pathlen == 7 && path[1] == 's') kind = "stack";        /* [stack] */
        else if (pathlen == 6 && path[1] == 'h') kind = "brk";     /* [heap]  */
        else if (pathlen == 6 && path[2] == 'd') kind = "vdso";    /* [vdso]  */
        else if (pathlen == 6 && path[2] == 'v') kind = "vvar";    /* [vvar]  */
    } else if (pathlen) {
        kind = "file";
    } else if (ours(lo, hi)) {
        kind = none ? "guard" : "heap";
    } else if (mb__thread_stack_find(lo, &tid, &slo, &shi, &in_guard)) {
        kind = in_guard ? "stack-guard" : "thread-stack";
        if (!in_guard) mb__buf_printf(&w, "thread %d", tid);
    } else if (none && mb__thread_stack_find(hi, &tid, &slo, &shi, &in_guard) && !in_guard) {
        kind = "stack-guard"; /* the PROT_NONE mapping right below a known stack */
    }
    char line[MODULE_PATH + 128];
    struct mb_buf b;
    mb__buf_init(&b, line, sizeof line);
    mb__buf_printf(&b, "@map %p %p %s 0x%lx %s ", (void *)lo, (void *)hi, perms, (unsigned long)off, kind);
    if (w.len) mb__buf_puts(&b, who);
    else if (pathlen) mb__buf_putn(&b, path, pathlen < MODULE_PATH ? pathlen : MODULE_PATH);
    else mb__buf_putc(&b, '-');
    mb__report_line("%s", b.p);
}

void mb__event_fault(const void *ucv)
{
    if (!mb__events_on()) return;
    const ucontext_t *uc = ucv;
    for (unsigned i = 0; i < MB_NREGS; i++) {
        uint64_t v = (uint64_t)uc->uc_mcontext.gregs[mb__regs[i].reg];
        mb__report_line("@reg %s %p %s", mb__regs[i].name, (void *)v, mark(v));
    }
    code_line((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
    if (mb__opt.show_map) mb__where_foreach_map_line(map_line);
}
