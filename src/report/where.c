/* memboss — what lies at an address: the region from /proc/self/maps, and for a module
 * mapping its ELF section and symbol (elf.c). Used while writing reports, which may happen
 * inside the fault handler, on a small alternate stack, while memboss's own heap is in an
 * unknown state: nothing here allocates, uses stdio or calls into the dynamic loader.
 * Files are read with raw reads through the os layer, into static buffers.
 *
 * Invariant: callers hold the report lock, so one caller at a time uses the static state
 * below (the maps reader, the lines kept from it, the module cache). Stack frames stay
 * small; all large buffers are static. */
#include "internal.h"
#include "report/elf.h"

#define MAPS_BUF 8192          /* a maps line is at most ~100 bytes + a PATH_MAX path   */
#define PATH_CAP 4200
#define NAME_CAP 128
#define SYM_CAP 256

#define USER_TOP 0x00007fffffffffffUL   /* last user address with 4-level paging  */
#define KERNEL_BASE 0xffff800000000000UL /* first canonical address of the upper half */

/* ---- /proc/self/maps, streamed line by line ----------------------------------------- */

struct mline {
    uintptr_t lo, hi;
    uint64_t off, inode, dev;
    char perms[5];
    const char *path;          /* into the reader's buffer: valid until the next line   */
    size_t pathlen;
};

struct mreader {
    int fd, eof, skipping;     /* skipping: dropping the rest of an overlong line       */
    size_t start, end;         /* unread bytes are buf[start, end)                       */
    char buf[MAPS_BUF];
};

/* The reader of reports (callers hold the report lock), and the one of the executable
 * ranges cache (its callers hold that cache's lock instead: mb__where_foreach_code). */
static struct mreader report_mr, code_mr;

static int maps_open(struct mreader *r)
{
    r->fd = mb__os_open_read("/proc/self/maps");
    r->eof = r->skipping = 0;
    r->start = r->end = 0;
    return r->fd < 0 ? -1 : 0;
}

static void maps_close(struct mreader *r)
{
    if (r->fd >= 0) mb__os_close(r->fd);
    r->fd = -1;
}

static void maps_fill(struct mreader *r)
{
    if (r->start > 0) { /* keep the partial line, at the front */
        size_t n = r->end - r->start;
        for (size_t i = 0; i < n; i++) r->buf[i] = r->buf[r->start + i];
        r->start = 0;
        r->end = n;
    }
    ssize_t got = mb__os_read(r->fd, r->buf + r->end, MAPS_BUF - r->end);
    if (got <= 0) r->eof = 1;
    else r->end += (size_t)got;
}

static const char *hex(const char *p, const char *e, uint64_t *v)
{
    uint64_t x = 0;
    const char *s = p;
    for (; p < e; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9') d = (unsigned)(*p - '0');
        else if (*p >= 'a' && *p <= 'f') d = (unsigned)(*p - 'a' + 10);
        else if (*p >= 'A' && *p <= 'F') d = (unsigned)(*p - 'A' + 10);
        else break;
        x = x << 4 | d;
    }
    *v = x;
    return p == s ? NULL : p;
}

/* "start-end perms offset major:minor inode   path" */
static int parse_line(const char *p, const char *e, struct mline *l)
{
    uint64_t lo, hi, maj, min;
    if (!(p = hex(p, e, &lo)) || p >= e || *p++ != '-') return 0;
    if (!(p = hex(p, e, &hi)) || p >= e || *p++ != ' ') return 0;
    if (e - p < 5 || p[4] != ' ') return 0;
    for (int i = 0; i < 4; i++) l->perms[i] = p[i];
    l->perms[4] = 0;
    p += 5;
    if (!(p = hex(p, e, &l->off)) || p >= e || *p++ != ' ') return 0;
    if (!(p = hex(p, e, &maj)) || p >= e || *p++ != ':') return 0;
    if (!(p = hex(p, e, &min)) || p >= e || *p++ != ' ') return 0;
    l->inode = 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++) l->inode = l->inode * 10 + (uint64_t)(*p - '0');
    while (p < e && *p == ' ') p++;
    l->lo = (uintptr_t)lo;
    l->hi = (uintptr_t)hi;
    l->dev = maj << 32 | min;
    l->path = p;
    l->pathlen = (size_t)(e - p);
    return 1;
}

/* Next line into *l; 0 at the end. Lines that do not parse are skipped. */
static int maps_next(struct mreader *r, struct mline *l)
{
    for (;;) {
        size_t i = r->start;
        while (i < r->end && r->buf[i] != '\n') i++;
        if (r->skipping) {
            if (i < r->end) {
                r->skipping = 0;
                r->start = i + 1;
            } else {
                r->start = r->end = 0;
                if (r->eof) return 0;
                maps_fill(r);
            }
            continue;
        }
        if (i < r->end || (r->eof && r->start < r->end) || (r->start == 0 && r->end == MAPS_BUF)) {
            /* a whole line, the unterminated last one, or one longer than the buffer (cut) */
            const char *s = r->buf + r->start, *e = r->buf + i;
            if (i < r->end) r->start = i + 1;
            else if (r->eof) r->start = r->end;
            else r->skipping = 1, r->start = r->end;
            if (parse_line(s, e, l)) return 1;
            continue;
        }
        if (r->eof) return 0;
        maps_fill(r);
    }
}

/* ---- the region holding an address ------------------------------------------------ */

enum { K_ANON, K_PSEUDO, K_FILE }; /* no path; "[name]"; anything else (a file, mostly) */

struct saved {
    uintptr_t lo, hi;
    uint64_t off;
    char perms[5];
    int kind;
};

/* The module being read: consecutive maps lines with the same path. */
static struct {
    char path[PATH_CAP];
    size_t len;
    uint64_t inode, dev;
    uintptr_t base_lo;         /* its mapping at file offset 0 (else its first mapping)  */
    uint64_t base_off;
    int base_zero;
    uintptr_t last_hi;         /* end of its last mapping so far                          */
    int open;                  /* the line just read belonged to it                       */
} grp;

/* What one search found. */
static struct {
    int found;                 /* a mapping holds the address: hit                        */
    struct saved hit;
    char name[NAME_CAP];       /* hit's "[name]" when K_PSEUDO                            */
    int in_module;             /* hit belongs to grp: one of its mappings, or its .bss    */
    int bss;                   /* hit is the anonymous mapping right after grp's last one */
    int have_next;             /* the first mapping above the address (or above hit)      */
    struct saved next;
    int next_is_stack;
} rg;

static int kind_of(const struct mline *l)
{
    if (l->pathlen == 0) return K_ANON;
    return l->path[0] == '[' ? K_PSEUDO : K_FILE;
}

static void save(struct saved *s, const struct mline *l)
{
    s->lo = l->lo;
    s->hi = l->hi;
    s->off = l->off;
    for (int i = 0; i < 5; i++) s->perms[i] = l->perms[i];
    s->kind = kind_of(l);
}

static int path_is(const struct mline *l, const char *name)
{
    size_t i = 0;
    for (; name[i]; i++)
        if (i >= l->pathlen || l->path[i] != name[i]) return 0;
    return i == l->pathlen;
}

static void grp_add(const struct mline *l)
{
    int same = grp.open && grp.len == (l->pathlen < PATH_CAP - 1 ? l->pathlen : PATH_CAP - 1) &&
               grp.inode == l->inode && grp.dev == l->dev;
    for (size_t i = 0; same && i < grp.len; i++) same = grp.path[i] == l->path[i];
    if (!same) {
        grp.len = l->pathlen < PATH_CAP - 1 ? l->pathlen : PATH_CAP - 1;
        for (size_t i = 0; i < grp.len; i++) grp.path[i] = l->path[i];
        grp.path[grp.len] = 0;
        grp.inode = l->inode;
        grp.dev = l->dev;
        grp.base_lo = l->lo;
        grp.base_off = l->off;
        grp.base_zero = l->off == 0;
    } else if (!grp.base_zero && l->off == 0) {
        grp.base_lo = l->lo;
        grp.base_off = 0;
        grp.base_zero = 1;
    }
    grp.last_hi = l->hi;
    grp.open = 1;
}

/* Fills rg for addr. -1 when the maps cannot be read. */
static int find(uintptr_t addr)
{
    struct mline l;
    rg.found = rg.in_module = rg.bss = rg.have_next = rg.next_is_stack = 0;
    rg.name[0] = 0;
    grp.open = 0;
    grp.len = 0;
    if (maps_open(&report_mr) < 0) return -1;
    while (maps_next(&report_mr, &l)) {
        if (rg.found || l.lo > addr) { /* the mapping above: only its kind matters */
            rg.have_next = 1;
            save(&rg.next, &l);
            rg.next_is_stack = path_is(&l, "[stack]");
            break;
        }
        int kind = kind_of(&l), bss = 0;
        if (kind == K_FILE) {
            grp_add(&l);
        } else {
            bss = kind == K_ANON && grp.open && grp.last_hi == l.lo;
            grp.open = 0;
        }
        if (addr >= l.hi) continue;
        rg.found = 1;
        save(&rg.hit, &l);
        if (kind == K_PSEUDO) {
            size_t n = l.pathlen < NAME_CAP - 1 ? l.pathlen : NAME_CAP - 1;
            for (size_t i = 0; i < n; i++) rg.name[i] = l.path[i];
            rg.name[n] = 0;
        }
        rg.in_module = kind == K_FILE || bss;
        rg.bss = bss;
    }
    maps_close(&report_mr);
    return 0;
}

/* ---- the module cache ----------------------------------------------------------------- */

/* The last module parsed, keyed by path, file identity and load address. Only the file is
 * reopened on a hit (an fd is never kept between calls: the program may close or reuse
 * it). A module that is not ELF is remembered too, so it is not parsed again. */
static struct mb_elf elf;
static struct {
    int state;                 /* 0 empty, 1 parsed, -1 not ELF                            */
    char path[PATH_CAP];
    size_t len;
    uint64_t inode, dev;
    uintptr_t base_lo;
    uintptr_t bias;
} ck;

static int str_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int cstr_is(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* Opens a module (a file path, or an image in memory when mem is set) and returns its
 * parsed headers with ck.bias set, or NULL. Pair with module_close(). */
static struct mb_elf *module_open(const char *path, size_t len, uint64_t inode, uint64_t dev,
                                  uintptr_t base_lo, uint64_t base_off, const void *mem,
                                  size_t mem_size)
{
    int same = ck.state != 0 && str_eq(ck.path, ck.len, path, len) && ck.inode == inode &&
               ck.dev == dev && ck.base_lo == base_lo;
    if (same && ck.state < 0) return NULL;
    elf.fd = -1;
    elf.mem = mem;
    elf.mem_size = mem_size;
    if (!mem && (elf.fd = mb__os_open_read(path)) < 0) return NULL; /* not cached: may be EMFILE */
    if (same) return &elf;
    for (size_t i = 0; i < len; i++) ck.path[i] = path[i];
    ck.path[len] = 0;
    ck.len = len;
    ck.inode = inode;
    ck.dev = dev;
    ck.base_lo = base_lo;
    ck.state = -1;
    if (mb__elf_parse(&elf) == 0 && mb__elf_bias(&elf, base_lo, base_off, &ck.bias) == 0) {
        ck.state = 1;
        return &elf;
    }
    if (elf.fd >= 0) mb__os_close(elf.fd);
    elf.fd = -1;
    return NULL;
}

static void module_close(void)
{
    if (elf.fd >= 0) mb__os_close(elf.fd);
    elf.fd = -1;
}

/* Worth opening as a module: a path, not a device (opening one may have side effects),
 * not a file that is gone (the name in maps then ends in " (deleted)"). */
static int openable(const char *path, size_t len)
{
    static const char deleted[] = " (deleted)";
    const size_t dl = sizeof deleted - 1;
    if (len == 0 || path[0] != '/') return 0;
    if (len >= 5 && str_eq(path, 5, "/dev/", 5)) return 0;
    return !(len >= dl && str_eq(path + len - dl, dl, deleted, dl));
}

/* The module of rg.hit: grp, or the [vdso] image itself. */
static struct mb_elf *hit_module(void)
{
    if (rg.in_module) {
        if (!openable(grp.path, grp.len)) return NULL;
        return module_open(grp.path, grp.len, grp.inode, grp.dev, grp.base_lo, grp.base_off,
                           NULL, 0);
    }
    if (rg.hit.kind == K_PSEUDO && cstr_is(rg.name, "[vdso]") && rg.hit.perms[0] == 'r')
        return module_open(rg.name, sizeof "[vdso]" - 1, 0, 0, rg.hit.lo, rg.hit.off,
                           (const void *)rg.hit.lo, rg.hit.hi - rg.hit.lo);
    return NULL;
}

/* ---- phrases ------------------------------------------------------------------------ */

static char sect_name[NAME_CAP];
static char sym_name[SYM_CAP];

static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/') b = p + 1;
    return b;
}

/* ", which is read-only" for mappings a store faults on; nothing for writable ones. */
static void perms_note(struct mb_buf *out, const char *perms)
{
    if (perms[0] == '-' && perms[1] == '-' && perms[2] == '-')
        mb__buf_puts(out, ", which is not accessible");
    else if (perms[1] != 'w')
        mb__buf_puts(out, ", which is read-only");
}

static void describe_anon(struct mb_buf *out)
{
    const struct saved *h = &rg.hit;
    if (h->perms[0] == '-' && h->perms[1] == '-' && h->perms[2] == '-') {
        /* a PROT_NONE mapping right below a writable anonymous one: a thread stack's guard */
        if (rg.have_next && rg.next.kind == K_ANON && rg.next.lo == h->hi &&
            rg.next.perms[0] == 'r' && rg.next.perms[1] == 'w')
            mb__buf_printf(out, "in a guard page (PROT_NONE mapping 0x%lx-0x%lx)", h->lo, h->hi);
        else
            mb__buf_printf(out, "in a PROT_NONE mapping 0x%lx-0x%lx", h->lo, h->hi);
        return;
    }
    mb__buf_printf(out, "in an anonymous mapping %s 0x%lx-0x%lx", h->perms, h->lo, h->hi);
}

/* A module's mapping (or its .bss): section, symbol, offset in the module. */
static void describe_module(struct mb_buf *out, uintptr_t addr)
{
    const struct saved *h = &rg.hit;
    struct mb_elf *e = hit_module();
    if (!e) {
        if (rg.bss) describe_anon(out);
        else
            mb__buf_printf(out, "in a mapping of %s %s 0x%lx-0x%lx (file offset 0x%lx)",
                           grp.path, h->perms, h->lo, h->hi,
                           (unsigned long)(h->off + (addr - h->lo)));
        return;
    }
    uint64_t vaddr = addr - ck.bias;
    if (rg.bss && !mb__elf_in_image(e, vaddr)) { /* an unrelated mapping that follows it */
        module_close();
        describe_anon(out);
        return;
    }
    struct mb_elf_sect s;
    uint64_t v;
    if (mb__elf_section(e, vaddr, &s)) {
        mb__elf_section_name(e, &s, sect_name, sizeof sect_name);
        mb__buf_printf(out, "in the %s of %s", sect_name[0] ? sect_name : "unnamed section",
                       grp.path);
        if (s.exec) {
            if (mb__elf_symbol(e, vaddr, MB_ELF_SYM_CODE, &s, &v, sym_name, sizeof sym_name))
                mb__buf_printf(out, ", function %s+0x%lx", sym_name, (unsigned long)(vaddr - v));
        } else if (mb__elf_symbol(e, vaddr, MB_ELF_SYM_DATA, &s, &v, sym_name, sizeof sym_name)) {
            mb__buf_printf(out, ", variable %s", sym_name);
            if (vaddr != v) mb__buf_printf(out, "+%lu", (unsigned long)(vaddr - v));
        }
        mb__buf_printf(out, " (%s+0x%lx)", base_name(grp.path), (unsigned long)vaddr);
    } else {
        mb__buf_printf(out, "in %s (%s+0x%lx)", grp.path, base_name(grp.path),
                       (unsigned long)vaddr);
        if (e->shnum) mb__buf_puts(out, ", outside any section");
    }
    module_close();
    perms_note(out, h->perms);
}

void mb__where_describe(struct mb_buf *out, uintptr_t addr)
{
    if (addr < MB_PAGE_SIZE) {
        mb__buf_printf(out, "in the NULL page (offset %lu)", (unsigned long)addr);
        return;
    }
    if (addr < 65536) { /* below vm.mmap_min_addr */
        mb__buf_puts(out, "in the first 64 KiB, which is never mapped");
        return;
    }
    if (addr > USER_TOP && addr < KERNEL_BASE) {
        mb__buf_puts(out, "a non-canonical address (no memory can be there)");
        return;
    }
    int tid = 0, in_guard = 0;
    uintptr_t lo = 0, hi = 0;
    if (addr <= USER_TOP && mb__thread_stack_find(addr, &tid, &lo, &hi, &in_guard)) {
        if (in_guard)
            mb__buf_printf(out, "in the guard page below the stack of thread %d", tid);
        else
            mb__buf_printf(out, "on the stack of thread %d (%lu bytes below its top)", tid,
                           (unsigned long)(hi - addr));
        return;
    }
    if (find(addr) < 0) {
        mb__buf_puts(out, "in an unknown place (/proc/self/maps is unreadable)");
        return;
    }
    if (!rg.found) {
        if (addr >= KERNEL_BASE)
            mb__buf_puts(out, "in the kernel's half of the address space (never accessible)");
        else if (rg.have_next && rg.next_is_stack && rg.next.lo - addr <= ((uintptr_t)1 << 20))
            mb__buf_puts(out, "just below the main thread's stack (stack overflow?)");
        else
            mb__buf_puts(out, "in no mapping (nothing is there)");
        return;
    }
    const struct saved *h = &rg.hit;
    if (rg.in_module) {
        describe_module(out, addr);
    } else if (h->kind == K_ANON) {
        describe_anon(out);
    } else if (cstr_is(rg.name, "[stack]")) {
        mb__buf_printf(out, "on the main thread's stack (%lu bytes below its top)",
                       (unsigned long)(h->hi - addr));
    } else if (cstr_is(rg.name, "[heap]")) {
        mb__buf_puts(out, "in the brk heap (memboss does not allocate there)");
    } else { /* [vdso], [vvar], [vsyscall], [anon:name]... */
        mb__buf_printf(out, "in %s %s 0x%lx-0x%lx", rg.name, h->perms, h->lo, h->hi);
    }
}

void mb__where_symbolize(struct mb_buf *out, uintptr_t pc, int is_return)
{
    struct mb_elf *e;
    /* A return address may be the first byte after its function (a call to a function that
     * does not return ends it): look up the call instruction, print pc's own offsets. */
    const uintptr_t at = pc - (is_return ? 1 : 0);
    if (find(at) < 0 || !rg.found || rg.bss || !(e = hit_module())) {
        if (rg.found && rg.hit.kind == K_FILE && !rg.bss) { /* a file we cannot read as ELF */
            mb__buf_printf(out, "(%s+0x%lx)", grp.path,
                           (unsigned long)(rg.hit.off + (pc - rg.hit.lo)));
            mb__event_module(rg.hit.lo - (uintptr_t)rg.hit.off, grp.path, NULL, 0);
        } else
            mb__buf_puts(out, "(unknown module)");
        return;
    }
    const char *path = rg.in_module ? grp.path : rg.name;
    uint64_t vaddr = at - ck.bias, v;
    struct mb_elf_sect s;
    int have_sect = mb__elf_section(e, vaddr, &s);
    if (mb__elf_symbol(e, vaddr, MB_ELF_SYM_CODE, have_sect ? &s : NULL, &v, sym_name,
                       sizeof sym_name))
        mb__buf_printf(out, "in %s+0x%lx ", sym_name, (unsigned long)(pc - ck.bias - v));
    mb__event_module(ck.bias, path, e->build_id, e->build_id_len);
    module_close();
    mb__buf_printf(out, "(%s+0x%lx)", path, (unsigned long)(pc - ck.bias));
}

static void mappings_to(struct mreader *r, mb_mapping_fn *fn, void *arg)
{
    struct mline l;
    if (maps_open(r) < 0) return;
    while (maps_next(r, &l)) fn(l.lo, l.hi, l.perms, l.path, l.pathlen, arg);
    maps_close(r);
}

/* Every mapping, in address order, to fn. fn must not call back into this file (its
 * buffers are in use) and must not allocate. */
void mb__where_foreach_mapping(mb_mapping_fn *fn, void *arg)
{
    mappings_to(&report_mr, fn, arg);
}

/* Every mapping with its file offset (the @map lines of report/events.c), as above. */
void mb__where_foreach_map_line(mb_map_line_fn *fn)
{
    struct mline l;
    if (maps_open(&report_mr) < 0) return;
    while (maps_next(&report_mr, &l)) fn(l.lo, l.hi, l.perms, l.off, l.path, l.pathlen);
    maps_close(&report_mr);
}

/* The same for the executable ranges cache (check/code.c), through a reader of its own. */
void mb__where_foreach_code(mb_mapping_fn *fn, void *arg)
{
    mappings_to(&code_mr, fn, arg);
}
