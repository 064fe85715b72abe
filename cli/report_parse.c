/* Reading the runtime's report files (docs/events.md) into findings (finding.h).
 *
 * A file DIR/PID.report holds reports, each from `==PID== memboss: ERROR: KIND` (or INFO)
 * to `==PID== memboss: END`, and lines outside any report (notes, the process's count,
 * fast-mode one-line reports). Inside a report: body lines indented by two spaces, stack
 * frames indented by four, and machine lines `==PID== @KEY FIELDS`. The file may be read
 * while it is written, and a killed process may leave a report cut anywhere, so every line
 * is checked and anything that does not parse is skipped, never trusted. */
#include "cli.h"
#include "finding.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- growing arrays ---------------------------------------------------------------------- */

/* Makes room for one more element in *v of n elements; capacity doubles at powers of two. */
static void *cli_grow(void *v, size_t n, size_t size)
{
    if (n & (n - 1) && n) return v; /* n is not a power of two: there is room */
    size_t cap = n ? 2 * n : 1;
    void *w = realloc(v, cap * size);
    if (!w) cli_die(CLI_EXIT_FAILURE, "out of memory");
    return w;
}

static char *cli_strndup(const char *s, size_t n)
{
    char *d = cli_alloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- numbers and words ------------------------------------------------------------------ */

/* A number at *p: hex with 0x, else decimal. Advances *p; returns -1 when there is none. */
static int cli_num(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int base = 10;
    if (s[0] == '0' && s[1] == 'x') {
        base = 16;
        s += 2;
    }
    const char *start = s;
    for (;; s++) {
        int d = *s >= '0' && *s <= '9'                ? *s - '0'
                : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                : base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                                       : -1;
        if (d < 0) break;
        v = v * (uint64_t)base + (uint64_t)d; /* wraps on absurd input: harmless */
    }
    if (s == start) return -1;
    *out = v;
    *p = s;
    return 0;
}

/* A number after spaces (a field of a machine line). */
static int cli_field(const char **p, uint64_t *out)
{
    *p += strspn(*p, " ");
    return cli_num(p, out);
}

/* The next space-separated word at *p: its start and length (0 at the end). */
static size_t cli_word(const char **p, const char **word)
{
    const char *s = *p + strspn(*p, " ");
    size_t n = strcspn(s, " ");
    *word = s;
    *p = s + n;
    return n;
}

static int cli_word_is(const char *w, size_t n, const char *s)
{
    return strlen(s) == n && !strncmp(w, s, n);
}

/* The rest of the line after one space, as a new string; NULL when empty or "-". */
static char *cli_rest(const char *p)
{
    p += strspn(p, " ");
    if (!*p || !strcmp(p, "-")) return NULL;
    return cli_strdup(p);
}

/* ---- lines ------------------------------------------------------------------------------- */

/* Splits "==PID== TEXT" into pid and text; -1 when the line has no such prefix. */
static int cli_line_split(const char *line, int *pid, const char **text)
{
    if (strncmp(line, "==", 2)) return -1;
    const char *p = line + 2;
    uint64_t v;
    if (*p < '0' || *p > '9' || cli_num(&p, &v) || v > 0x7fffffff || strncmp(p, "== ", 3)) return -1;
    *pid = (int)v;
    *text = p + 3;
    return 0;
}

enum cli_line_kind { CLI_L_OTHER, CLI_L_START, CLI_L_END };

static enum cli_line_kind cli_line_kind(const char *line, size_t len)
{
    char buf[64];
    int pid;
    const char *t;
    if (len >= sizeof buf) len = sizeof buf - 1; /* the two fixed lines are short */
    memcpy(buf, line, len);
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (cli_line_split(buf, &pid, &t)) return CLI_L_OTHER;
    if (!strncmp(t, "memboss: ERROR: ", 16) || !strncmp(t, "memboss: INFO: ", 15)) return CLI_L_START;
    if (!strcmp(t, "memboss: END")) return CLI_L_END;
    return CLI_L_OTHER;
}

/* ---- one report ------------------------------------------------------------------------- */

struct cli_module {
    char *path;
    uint64_t base;
    char *build_id;
};

struct cli_parse {
    struct cli_finding *f;
    size_t nmods;
    struct cli_module *mods;
};

static void cli_add_item(struct cli_finding *f, char *text, int stack)
{
    f->items = cli_grow(f->items, f->nitems, sizeof *f->items);
    f->items[f->nitems++] = (struct cli_item){text, stack};
}

/* "by thread N" in a stack's title, or 0. */
static int cli_title_tid(const char *title)
{
    const char *p = title ? strstr(title, "by thread ") : NULL;
    uint64_t v;
    if (!p) return 0;
    p += 10;
    return cli_num(&p, &v) || v > 0x7fffffff ? 0 : (int)v;
}

/* The stack a new frame belongs to: the last item if it is one, else a new stack titled by
 * the last text line (which then becomes the stack's item), else an untitled one. */
static struct cli_stack *cli_frame_stack(struct cli_finding *f)
{
    struct cli_item *last = f->nitems ? &f->items[f->nitems - 1] : NULL;
    if (last && last->stack >= 0) return &f->stacks[last->stack];
    f->stacks = cli_grow(f->stacks, f->nstacks, sizeof *f->stacks);
    struct cli_stack *s = &f->stacks[f->nstacks];
    *s = (struct cli_stack){0};
    if (last && last->text) {
        s->title = last->text; /* the title moves from the text item to the stack */
        last->text = NULL;
        last->stack = (int)f->nstacks;
    } else {
        cli_add_item(f, NULL, (int)f->nstacks);
    }
    s->tid = cli_title_tid(s->title);
    f->nstacks++;
    return s;
}

/* "#N 0xPC in FUNC+0xOFF (MODULE+0xOFF)" or "#N 0xPC (MODULE+0xOFF)"; -1 if not a frame. */
static int cli_parse_frame(struct cli_finding *f, const char *t)
{
    uint64_t n, pc;
    if (*t++ != '#' || cli_num(&t, &n) || *t++ != ' ' || strncmp(t, "0x", 2) || cli_num(&t, &pc))
        return -1;
    struct cli_frame fr = {.pc = pc};
    if (!strncmp(t, " in ", 4)) {
        t += 4;
        size_t len = strcspn(t, " ");
        fr.function = cli_strndup(t, len);
        char *plus = strstr(fr.function, "+0x");
        for (char *q; plus && (q = strstr(plus + 1, "+0x"));) plus = q;
        const char *num = plus ? plus + 1 : NULL;
        if (num && !cli_num(&num, &fr.function_off) && !*num) *plus = '\0';
        t += len;
    }
    size_t tl = strlen(t);
    if (!strncmp(t, " (", 2) && tl > 3 && t[tl - 1] == ')') {
        fr.module = cli_strndup(t + 2, tl - 3);
        char *plus = NULL;
        for (char *q = fr.module; (q = strstr(q, "+0x")); q++) plus = q;
        const char *num = plus ? plus + 1 : NULL;
        if (num && !cli_num(&num, &fr.module_off) && !*num) *plus = '\0';
    }
    struct cli_stack *s = cli_frame_stack(f);
    fr.is_return = s->n > 0;
    s->frames = cli_grow(s->frames, s->n, sizeof *s->frames);
    s->frames[s->n++] = fr;
    return 0;
}

static void cli_copy_word(char *dst, size_t size, const char *w, size_t n)
{
    if (n >= size) n = size - 1;
    memcpy(dst, w, n);
    dst[n] = '\0';
}

static const char *const cli_reg_marks[] = {"plain", "null", "heap", "freed", "fill-fresh",
                                            "fill-freed"};

static void cli_parse_reg(struct cli_finding *f, const char *p)
{
    const char *name, *mark;
    size_t nn = cli_word(&p, &name);
    uint64_t v;
    if (!nn || nn >= sizeof f->regs->name || cli_field(&p, &v)) return;
    size_t mn = cli_word(&p, &mark);
    struct cli_reg r = {.value = v, .mark = CLI_REG_PLAIN};
    cli_copy_word(r.name, sizeof r.name, name, nn);
    for (size_t i = 0; i < sizeof cli_reg_marks / sizeof *cli_reg_marks; i++)
        if (cli_word_is(mark, mn, cli_reg_marks[i])) r.mark = (enum cli_reg_mark)i;
    f->regs = cli_grow(f->regs, f->nregs, sizeof *f->regs);
    f->regs[f->nregs++] = r;
}

static int cli_hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void cli_parse_code(struct cli_finding *f, const char *p)
{
    const char *hex;
    uint64_t pc;
    if (cli_field(&p, &pc)) return;
    size_t n = cli_word(&p, &hex);
    f->insn.pc = pc;
    f->insn.nbytes = 0;
    for (size_t i = 0; i + 1 < n && f->insn.nbytes < sizeof f->insn.bytes; i += 2) {
        int hi = cli_hexval(hex[i]), lo = cli_hexval(hex[i + 1]);
        if (hi < 0 || lo < 0) break;
        f->insn.bytes[f->insn.nbytes++] = (unsigned char)(hi << 4 | lo);
    }
}

static void cli_parse_map(struct cli_finding *f, const char *p)
{
    struct cli_region r = {0};
    const char *perms, *kind;
    if (cli_field(&p, &r.lo)) return;
    if (cli_field(&p, &r.hi)) return;
    size_t pn = cli_word(&p, &perms);
    if (!pn || cli_field(&p, &r.offset)) return;
    size_t kn = cli_word(&p, &kind);
    if (!kn) return;
    cli_copy_word(r.perms, sizeof r.perms, perms, pn);
    r.kind = cli_strndup(kind, kn);
    r.path = cli_rest(p);
    f->regions = cli_grow(f->regions, f->nregions, sizeof *f->regions);
    f->regions[f->nregions++] = r;
}

static void cli_parse_module(struct cli_parse *ps, const char *p)
{
    const char *id;
    uint64_t base;
    if (cli_field(&p, &base)) return;
    size_t n = cli_word(&p, &id);
    char *path = cli_rest(p);
    if (!n || !path) {
        free(path);
        return;
    }
    ps->mods = cli_grow(ps->mods, ps->nmods, sizeof *ps->mods);
    ps->mods[ps->nmods++] = (struct cli_module){path, base,
                                                cli_word_is(id, n, "-") ? NULL : cli_strndup(id, n)};
}

/* "@access ADDR TID HOW", "@block ADDR SIZE STATE", "@leak BYTES BLOCKS KIND": two
 * numbers and a word. */
static void cli_parse_triple(struct cli_finding *f, const char *key, size_t kn, const char *t)
{
    const char *w;
    uint64_t a, b;
    if (cli_field(&t, &a) || cli_field(&t, &b)) return;
    size_t n = cli_word(&t, &w);
    if (cli_word_is(key, kn, "@access")) {
        f->has_access = 1;
        f->access_addr = a;
        f->access_tid = b <= 0x7fffffff ? (int)b : 0;
        int known = cli_word_is(w, n, "read") || cli_word_is(w, n, "write") || cli_word_is(w, n, "free");
        cli_copy_word(f->access_how, sizeof f->access_how, w, known ? n : 0);
    } else if (cli_word_is(key, kn, "@block")) {
        f->has_block = 1;
        f->block_addr = a;
        f->block_size = b;
        f->block_freed = cli_word_is(w, n, "freed");
    } else if (cli_word_is(key, kn, "@leak")) {
        f->leak_bytes = a;
        f->leak_blocks = b;
        cli_copy_word(f->leak_kind, sizeof f->leak_kind, w, n);
    }
}

/* A machine line "@KEY FIELDS" (the text after "==PID== "). Unknown keys are skipped, so a
 * newer runtime's lines do no harm. */
static void cli_parse_machine(struct cli_parse *ps, const char *t)
{
    const char *key;
    size_t kn = cli_word(&t, &key);
    if (cli_word_is(key, kn, "@module")) cli_parse_module(ps, t);
    else if (cli_word_is(key, kn, "@reg")) cli_parse_reg(ps->f, t);
    else if (cli_word_is(key, kn, "@code")) cli_parse_code(ps->f, t);
    else if (cli_word_is(key, kn, "@map")) cli_parse_map(ps->f, t);
    else cli_parse_triple(ps->f, key, kn, t);
}

/* One line of a report's body (the text after "==PID== "). */
static void cli_parse_body(struct cli_parse *ps, const char *t)
{
    if (t[0] == '@') {
        cli_parse_machine(ps, t);
    } else if (!strncmp(t, "    #", 5) && !cli_parse_frame(ps->f, t + 4)) {
        /* a frame */
    } else if (!strcmp(t, "memboss: END")) {
        ps->f->complete = 1;
    } else {
        cli_add_item(ps->f, cli_strdup(t + (strncmp(t, "  ", 2) ? 0 : 2)), -1);
    }
}

/* After the last line: frames get their module's build ID, regions the address. */
static void cli_parse_finish(struct cli_parse *ps)
{
    struct cli_finding *f = ps->f;
    for (size_t s = 0; s < f->nstacks; s++) {
        for (size_t i = 0; i < f->stacks[s].n; i++) {
            struct cli_frame *fr = &f->stacks[s].frames[i];
            for (size_t m = 0; fr->module && m < ps->nmods; m++) {
                if (strcmp(fr->module, ps->mods[m].path)) continue;
                if (ps->mods[m].build_id) fr->build_id = cli_strdup(ps->mods[m].build_id);
                break;
            }
        }
    }
    for (size_t r = 0; r < f->nregions; r++)
        f->regions[r].has_addr = f->has_access && f->access_addr >= f->regions[r].lo &&
                                 f->access_addr < f->regions[r].hi;
    for (size_t m = 0; m < ps->nmods; m++) {
        free(ps->mods[m].path);
        free(ps->mods[m].build_id);
    }
    free(ps->mods);
}

/* Parses the report in buf[0, len) (its first line is the ERROR/INFO line) into a new last
 * finding of all. */
static void cli_parse_report(const char *buf, size_t len, struct cli_findings *all)
{
    all->v = cli_grow(all->v, all->n, sizeof *all->v);
    struct cli_finding *f = &all->v[all->n++];
    *f = (struct cli_finding){0};
    struct cli_parse ps = {f, 0, NULL};
    for (size_t at = 0, n; at < len; at += n) {
        const char *nl = memchr(buf + at, '\n', len - at);
        n = nl ? (size_t)(nl - (buf + at)) + 1 : len - at;
        char *line = cli_strndup(buf + at, n - (nl != NULL));
        int pid;
        const char *t;
        if (!cli_line_split(line, &pid, &t)) {
            if (!f->kind) {
                int err = !strncmp(t, "memboss: ERROR: ", 16);
                f->pid = pid;
                f->is_error = err;
                f->kind = cli_strdup(t + (err ? 16 : 15));
            } else if (!f->complete) {
                cli_parse_body(&ps, t);
            }
        }
        free(line);
    }
    cli_parse_finish(&ps);
}

enum cli_unit cli_report_next(const char *buf, size_t len, int final, size_t *used,
                              struct cli_findings *all)
{
    *used = 0;
    if (!len) return CLI_UNIT_MORE;
    const char *nl = memchr(buf, '\n', len);
    if (!nl && !final) return CLI_UNIT_MORE;
    size_t first = nl ? (size_t)(nl - buf) + 1 : len;
    if (cli_line_kind(buf, first) != CLI_L_START) {
        *used = first;
        return CLI_UNIT_LINE;
    }
    /* A report ends at its END line; a new report's first line before it cuts it. */
    size_t at = first;
    int ended = 0;
    while (at < len && !ended) {
        nl = memchr(buf + at, '\n', len - at);
        if (!nl && !final) return CLI_UNIT_MORE;
        size_t n = nl ? (size_t)(nl - (buf + at)) + 1 : len - at;
        enum cli_line_kind k = cli_line_kind(buf + at, n);
        if (k == CLI_L_START) break; /* cut: the next report starts here */
        at += n;
        ended = k == CLI_L_END;
    }
    if (!ended && at == len && !final) return CLI_UNIT_MORE; /* still being written */
    cli_parse_report(buf, at, all);
    *used = at;
    return CLI_UNIT_FINDING;
}

/* ---- files -------------------------------------------------------------------------------- */

static int cli_cmp_pid(const void *a, const void *b)
{
    long x = atol(*(char *const *)a), y = atol(*(char *const *)b);
    return (x > y) - (x < y);
}

/* The whole file at dir_fd/name, NUL-terminated; NULL when it cannot be read. */
static char *cli_read_file(int dir_fd, const char *name, size_t *len)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = cli_alloc(cap);
    for (ssize_t r;; n += (size_t)r) {
        if (n + 1 >= cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) cli_die(CLI_EXIT_FAILURE, "out of memory");
            buf = b;
        }
        r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) r = 0;
        else if (r <= 0) break;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A report file's name: digits, then ".report". */
static int cli_is_report_name(const char *name)
{
    size_t d = strspn(name, "0123456789");
    return d > 0 && !strcmp(name + d, ".report");
}

int cli_report_names(int dir_fd, struct cli_strlist *names)
{
    int fd = dup(dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return -1;
    }
    rewinddir(d);
    size_t first = names->n;
    for (struct dirent *e; (e = readdir(d));)
        if (cli_is_report_name(e->d_name)) cli_strlist_add(names, e->d_name);
    qsort(names->v + first, names->n - first, sizeof *names->v, cli_cmp_pid);
    closedir(d);
    return 0;
}

int cli_findings_read_dir(const char *dir, struct cli_findings *all)
{
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct cli_strlist names = {0};
    if (dir_fd < 0 || cli_report_names(dir_fd, &names)) {
        if (dir_fd >= 0) close(dir_fd);
        return -1;
    }
    for (size_t i = 0; i < names.n; i++) {
        size_t len, used;
        char *buf = cli_read_file(dir_fd, names.v[i], &len);
        size_t before = all->n;
        for (size_t at = 0; buf && at < len; at += used)
            if (cli_report_next(buf + at, len - at, 1, &used, all) == CLI_UNIT_MORE) break;
        all->processes += all->n > before;
        free(buf);
        free(names.v[i]);
    }
    free(names.v);
    close(dir_fd);
    return 0;
}

const struct cli_frame *cli_finding_top(const struct cli_finding *f)
{
    for (size_t i = 0; i < f->nstacks; i++)
        if (f->stacks[i].n) return &f->stacks[i].frames[0];
    return NULL;
}

static void cli_frame_free(struct cli_frame *fr)
{
    free(fr->module);
    free(fr->build_id);
    free(fr->function);
    free(fr->src_function);
    free(fr->file);
}

static void cli_finding_free(struct cli_finding *f)
{
    free(f->kind);
    for (size_t i = 0; i < f->nitems; i++) free(f->items[i].text);
    free(f->items);
    for (size_t s = 0; s < f->nstacks; s++) {
        for (size_t i = 0; i < f->stacks[s].n; i++) cli_frame_free(&f->stacks[s].frames[i]);
        free(f->stacks[s].frames);
        free(f->stacks[s].title);
    }
    free(f->stacks);
    free(f->regs);
    free(f->insn.text);
    free(f->insn.explanation);
    for (size_t r = 0; r < f->nregions; r++) {
        free(f->regions[r].path);
        free(f->regions[r].kind);
        free(f->regions[r].label);
    }
    free(f->regions);
}

void cli_findings_free(struct cli_findings *all)
{
    for (size_t i = 0; i < all->n; i++) cli_finding_free(&all->v[i]);
    free(all->v);
    *all = (struct cli_findings){0};
}
