/* Findings as text: the runtime's report (docs/report-format.md) with what the command adds
 * to it: source file and line in frames, the source line under the first frame with a caret,
 * the faulting instruction in words, the registers, and (show_map) the process's memory as
 * a picture, high addresses first. */
#include "cli.h"
#include "finding.h"

#include <stdlib.h>
#include <string.h>

/* ANSI attributes; every colored span ends with CLI_C_OFF. */
#define CLI_C_OFF "\033[0m"
#define CLI_C_ERROR "\033[1;31m"
#define CLI_C_INFO "\033[1;33m"
#define CLI_C_TITLE "\033[1m"
#define CLI_C_FUNC "\033[36m"
#define CLI_C_FILE "\033[32m"
#define CLI_C_CARET "\033[1;32m"
#define CLI_C_MARK "\033[1;35m"
#define CLI_C_ARROW "\033[1;31m"

/* Starts a colored span: the attribute, or nothing without colors. */
static const char *cli_on(const struct cli_render_opts *o, const char *attr)
{
    return o->color ? attr : "";
}

static const char *cli_off(const struct cli_render_opts *o) { return o->color ? CLI_C_OFF : ""; }

static const char *cli_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "    #N 0xPC in FUNC FILE:LINE" when symbolized, else the runtime's form. */
static void cli_render_frame(FILE *out, int pid, size_t i, const struct cli_frame *fr,
                             const struct cli_render_opts *o)
{
    fprintf(out, "==%d==     #%zu 0x%llx", pid, i, (unsigned long long)fr->pc);
    const char *func = fr->src_function ? fr->src_function : fr->function;
    if (fr->file && fr->line > 0) {
        if (func) fprintf(out, " in %s%s%s", cli_on(o, CLI_C_FUNC), func, cli_off(o));
        fprintf(out, " %s%s:%d%s\n", cli_on(o, CLI_C_FILE), fr->file, fr->line, cli_off(o));
        return;
    }
    if (fr->function)
        fprintf(out, " in %s%s%s+0x%llx", cli_on(o, CLI_C_FUNC), fr->function, cli_off(o),
                (unsigned long long)fr->function_off);
    if (fr->module) fprintf(out, " (%s+0x%llx)", fr->module, (unsigned long long)fr->module_off);
    fputc('\n', out);
}

/* The display column (0-based; a tab goes to the next multiple of 8, as source lines are
 * shown) of DWARF's byte column `column` (1-based) of line `line` of file; -1 if unknown. */
static int cli_display_column(const char *file, int line, int column)
{
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = 0;
    for (int i = 0; i < line && n >= 0; i++) n = getline(&buf, &cap, f);
    int col = -1;
    if (n >= column - 1) {
        col = 0;
        for (int i = 0; i < column - 1 && buf[i] != '\n'; i++) col = buf[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
    }
    free(buf);
    fclose(f);
    return col;
}

/* The source line of frame #0 with a caret under its column (or under its first word), as
 * a compiler shows a diagnostic; nothing when the file cannot be read. */
static void cli_render_source(FILE *out, int pid, const struct cli_frame *fr,
                              const struct cli_render_opts *o)
{
    if (!fr->file || fr->line <= 0) return;
    char *text = cli_source_line(fr->file, fr->line);
    if (!text) return;
    int col = fr->column > 0 ? cli_display_column(fr->file, fr->line, fr->column) : -1;
    if (col < 0 || (size_t)col >= strlen(text)) col = (int)strspn(text, " \t");
    fprintf(out, "==%d==     %6d | %s\n", pid, fr->line, text);
    fprintf(out, "==%d==            | %*s%s^%s\n", pid, col, "", cli_on(o, CLI_C_CARET), cli_off(o));
    free(text);
}

static const char *const cli_mark_words[] = {"", "NULL", "heap", "freed", "new-fill", "free-fill"};

/* The instruction in words, then the registers in rows of four, each with what it points to
 * or holds, in columns. */
static void cli_render_fault(FILE *out, int pid, const struct cli_finding *f,
                             const struct cli_render_opts *o)
{
    if (f->insn.text) {
        fprintf(out, "==%d==   %s%s%s", pid, cli_on(o, CLI_C_TITLE), f->insn.text, cli_off(o));
        if (f->insn.explanation) fprintf(out, " \xe2\x80\x94 %s", f->insn.explanation);
        fputc('\n', out);
    }
    for (size_t i = 0; i < f->nregs; i++) {
        const struct cli_reg *r = &f->regs[i];
        int last = i % 4 == 3 || i + 1 == f->nregs;
        const char *mark = (size_t)r->mark < sizeof cli_mark_words / sizeof *cli_mark_words
                               ? cli_mark_words[r->mark]
                               : "";
        if (i % 4 == 0) fprintf(out, "==%d==  ", pid);
        fprintf(out, " %-3s 0x%016llx %s%s%s", r->name, (unsigned long long)r->value,
                cli_on(o, CLI_C_MARK), mark, cli_off(o));
        if (last) fputc('\n', out);
        else fprintf(out, "%*s", 10 - (int)strlen(mark), "");
    }
}

/* A region's name in the picture: its label, else its class and path. */
static char *cli_region_name(const struct cli_region *r)
{
    if (r->label) return cli_strdup(r->label);
    if (r->path) return cli_format("%s %s", r->kind ? r->kind : "", cli_basename(r->path));
    return cli_strdup(r->kind ? r->kind : "?");
}

/* memboss's heap: its segments and guard pages alternate, so they make one run. */
static int cli_is_heap(const struct cli_region *r)
{
    return r->kind && (!strcmp(r->kind, "heap") || !strcmp(r->kind, "guard"));
}

/* Whether region a and its lower neighbour b make one line of the picture. */
static int cli_same_run(const struct cli_region *a, const struct cli_region *b)
{
    if (a->has_addr || b->has_addr || b->hi != a->lo) return 0;
    if (cli_is_heap(a) && cli_is_heap(b)) return 1;
    char *na = cli_region_name(a), *nb = cli_region_name(b);
    int same = !strcmp(na, nb) && !strcmp(a->perms, b->perms);
    free(na);
    free(nb);
    return same;
}

/* The map, high addresses first (stack at the top, then mappings and libraries, the heap,
 * the program). Runs of neighbouring regions of the same name and permissions, and of
 * memboss's heap, are one line; the region of the finding's address stands alone. */
static void cli_render_map(FILE *out, int pid, const struct cli_finding *f,
                           const struct cli_render_opts *o)
{
    if (!f->nregions) return;
    fprintf(out, "==%d==   memory map at the fault, high addresses first:\n", pid);
    for (size_t i = f->nregions; i-- > 0;) {
        const struct cli_region *r = &f->regions[i];
        uint64_t hi = r->hi;
        size_t run = 1;
        int mixed = 0; /* a heap run with guard pages in it */
        for (; i > 0 && cli_same_run(&f->regions[i], &f->regions[i - 1]); run++) {
            mixed |= strcmp(f->regions[i].kind, f->regions[i - 1].kind) != 0;
            i--;
        }
        const struct cli_region *low = &f->regions[i];
        char *name = mixed ? cli_strdup("heap (memboss) and guard pages") : cli_region_name(r);
        fprintf(out, "==%d==   %s%s%s 0x%012llx-0x%012llx %s %s", pid, cli_on(o, CLI_C_ARROW),
                r->has_addr ? "=>" : "  ", cli_off(o), (unsigned long long)low->lo,
                (unsigned long long)hi, mixed ? "    " : r->perms, name);
        if (run > 1) fprintf(out, " (%zu mappings)", run);
        if (r->has_addr)
            fprintf(out, "  %s<- 0x%llx%s", cli_on(o, CLI_C_ARROW),
                    (unsigned long long)f->access_addr, cli_off(o));
        fputc('\n', out);
        free(name);
    }
}

void cli_render_finding(FILE *out, const struct cli_finding *f, const struct cli_render_opts *o)
{
    int pid = f->pid;
    fprintf(out, "==%d== memboss: %s%s: %s%s\n", pid, cli_on(o, f->is_error ? CLI_C_ERROR : CLI_C_INFO),
            f->is_error ? "ERROR" : "INFO", f->kind, cli_off(o));
    for (size_t i = 0; i < f->nitems; i++) {
        const struct cli_item *it = &f->items[i];
        if (it->stack < 0 || (size_t)it->stack >= f->nstacks) {
            if (it->text) fprintf(out, "==%d==   %s\n", pid, it->text);
            continue;
        }
        const struct cli_stack *s = &f->stacks[it->stack];
        if (s->title) fprintf(out, "==%d==   %s%s%s\n", pid, cli_on(o, CLI_C_TITLE), s->title, cli_off(o));
        for (size_t j = 0; j < s->n; j++) {
            cli_render_frame(out, pid, j, &s->frames[j], o);
            if (j == 0 && it->stack == 0) cli_render_source(out, pid, &s->frames[0], o);
        }
        if (it->stack == 0) cli_render_fault(out, pid, f, o);
    }
    if (!f->nstacks) cli_render_fault(out, pid, f, o);
    if (o->show_map) cli_render_map(out, pid, f, o);
    if (f->complete) fprintf(out, "==%d== memboss: END\n", pid);
    else fprintf(out, "==%d== memboss: (the report ends here: the process was cut short)\n", pid);
    if (o->gen_suppressions) cli_suppress_write_entry(out, f);
}

void cli_render_summary(FILE *out, unsigned long long findings, unsigned long long processes,
                        unsigned long long suppressed)
{
    fprintf(out, "==memboss== %llu finding%s in %llu process%s", findings, findings == 1 ? "" : "s",
            processes, processes == 1 ? "" : "es");
    if (suppressed) fprintf(out, " (%llu suppressed)", suppressed);
    fputc('\n', out);
}

void cli_render_text(FILE *out, const struct cli_findings *all, const struct cli_render_opts *o)
{
    unsigned long long shown = 0, suppressed = 0;
    for (size_t i = 0; i < all->n; i++) {
        const struct cli_finding *f = &all->v[i];
        if (f->suppressed_by) {
            suppressed += f->is_error;
            continue;
        }
        cli_render_finding(out, f, o);
        shown += f->is_error;
    }
    if (shown || suppressed) cli_render_summary(out, shown, all->processes, suppressed);
}
