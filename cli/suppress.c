/* memboss command — suppressions (docs/suppressions.md): files of entries close to
 * Valgrind's, each naming a finding's kind and the top frames of its first stack. A finding
 * an entry matches is marked suppressed_by (the entry's name); the renderers hide it. */
#include "cli.h"
#include "finding.h"

#include "../src/types.h" /* MB_FINDING_KINDS: the runtime's one list of finding kinds */

#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Leak kinds as bits, in the order of docs/leaks.md. */
static const char *const leak_kind_names[] = {"definite", "indirect", "possible", "reachable"};
#define LEAK_KINDS (sizeof leak_kind_names / sizeof *leak_kind_names)

enum supp_what { SUPP_FUN, SUPP_OBJ, SUPP_SRC, SUPP_ANY /* `...`: zero or more frames */ };

struct supp_frame {
    enum supp_what what;
    char *glob; /* NULL for SUPP_ANY                               */
    int line;   /* SUPP_SRC only: the frame's line, 0 for any line */
};

struct supp {
    char *name;
    char *kind;          /* a glob on cli_finding.kind                              */
    int has_leak_kinds;  /* a match-leak-kinds line was given                       */
    unsigned leak_kinds; /* its kinds, bit i for leak_kind_names[i]                 */
    size_t nframes;      /* never two SUPP_ANY in a row (they match the same)       */
    struct supp_frame *frames;
};

/* Every entry of every file loaded, in order: the first that matches names the finding.
 * They live as long as the command, so suppressed_by may point at their names. */
static struct supp *supps;
static size_t nsupps, capsupps;

/* What the shown name of a missing function, module or file matches, as in Valgrind:
 * `fun:*` matches any one frame. */
static const char unknown[] = "???";

/* ---- reading a file -------------------------------------------------------------------- */

struct reader {
    const char *path;
    int lineno;
};

__attribute__((noreturn, format(printf, 3, 4))) static void
supp_error(const struct reader *r, int lineno, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_die(CLI_EXIT_USAGE, "%s:%d: %s", r->path, lineno, msg);
}

/* The line without leading and trailing blanks (in place). */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\r\n", s[n - 1])) s[--n] = '\0';
    return s;
}

static int has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[\\") != NULL;
}

/* A kind with no glob characters must be one the runtime reports: a typo would otherwise
 * suppress nothing, silently. */
static void check_kind(const struct reader *r, const char *kind)
{
    static const char *const kinds[] = {
#define MB_X(id, name) name,
        MB_FINDING_KINDS(MB_X)
#undef MB_X
    };
    if (!*kind) supp_error(r, r->lineno, "the kind after 'memboss:' is empty");
    if (has_glob_chars(kind)) return;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(kind, kinds[i])) return;
    supp_error(r, r->lineno, "unknown kind '%s' (docs/report-format.md lists the kinds)", kind);
}

/* "definite,possible", "all" or "none", with blanks allowed around the words. */
static unsigned parse_leak_kinds(const struct reader *r, const char *list)
{
    unsigned mask = 0;
    const char *p = list;
    do {
        p += strspn(p, " \t");
        size_t n = strcspn(p, ", \t");
        size_t k = 0;
        while (k < LEAK_KINDS && (strlen(leak_kind_names[k]) != n || strncmp(p, leak_kind_names[k], n))) k++;
        if (k < LEAK_KINDS) mask |= 1u << k;
        else if (n == 3 && !strncmp(p, "all", 3)) mask |= (1u << LEAK_KINDS) - 1;
        else if (!(n == 4 && !strncmp(p, "none", 4)))
            supp_error(r, r->lineno, "bad leak kind '%.*s' in match-leak-kinds (definite, indirect, "
                                     "possible, reachable, comma-separated; all; none)", (int)n, p);
        p += n;
        p += strspn(p, " \t");
    } while (*p++ == ',');
    if (p[-1]) supp_error(r, r->lineno, "bad match-leak-kinds list '%s'", list);
    return mask;
}

static void add_frame(struct supp *s, enum supp_what what, char *glob, int line)
{
    if (what == SUPP_ANY && s->nframes && s->frames[s->nframes - 1].what == SUPP_ANY) return;
    struct supp_frame *v = realloc(s->frames, (s->nframes + 1) * sizeof *v);
    if (!v) cli_die(CLI_EXIT_FAILURE, "out of memory");
    s->frames = v;
    v[s->nframes++] = (struct supp_frame){what, glob ? cli_strdup(glob) : NULL, line};
}

/* `src:GLOB` or `src:GLOB:LINE`. */
static void add_src_frame(const struct reader *r, struct supp *s, char *arg)
{
    char *colon = strrchr(arg, ':');
    int line = 0;
    if (colon && colon > arg && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        errno = 0;
        long v = strtol(colon + 1, NULL, 10);
        if (errno || v < 1 || v > 1000000000)
            supp_error(r, r->lineno, "bad line number '%s' (1 or more)", colon + 1);
        line = (int)v;
        *colon = '\0';
    }
    add_frame(s, SUPP_SRC, arg, line);
}

/* One line of an entry's body: match-leak-kinds (before any frame), a frame, or `...`. */
static void body_line(const struct reader *r, struct supp *s, char *line)
{
    static const struct {
        const char *prefix;
        enum supp_what what;
    } kinds[] = {{"fun:", SUPP_FUN}, {"obj:", SUPP_OBJ}, {"src:", SUPP_SRC}};
    if (!strcmp(line, "...")) {
        add_frame(s, SUPP_ANY, NULL, 0);
        return;
    }
    if (!strncmp(line, "match-leak-kinds:", 17)) {
        if (s->nframes || s->has_leak_kinds)
            supp_error(r, r->lineno, "match-leak-kinds goes once, right after the kind line");
        s->has_leak_kinds = 1;
        s->leak_kinds = parse_leak_kinds(r, line + 17);
        return;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(line, kinds[i].prefix, n)) continue;
        char *arg = trim(line + n);
        if (!*arg) supp_error(r, r->lineno, "'%s' needs a pattern", kinds[i].prefix);
        if (kinds[i].what == SUPP_SRC) add_src_frame(r, s, arg);
        else add_frame(s, kinds[i].what, arg, 0);
        return;
    }
    supp_error(r, r->lineno, "expected fun:, obj:, src:, '...' or '}', found '%s'", line);
}

static struct supp *new_supp(void)
{
    if (nsupps == capsupps) {
        capsupps = capsupps ? 2 * capsupps : 16;
        struct supp *v = realloc(supps, capsupps * sizeof *v);
        if (!v) cli_die(CLI_EXIT_FAILURE, "out of memory");
        supps = v;
    }
    supps[nsupps] = (struct supp){0};
    return &supps[nsupps];
}

void cli_suppress_load(const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in) cli_die(CLI_EXIT_USAGE, "cannot read the suppressions file %s: %s", path, strerror(errno));
    struct reader r = {path, 0};
    enum { OUTSIDE, NAME, KIND, BODY } state = OUTSIDE;
    int open_line = 0; /* the line of the current entry's '{' */
    struct supp *s = NULL;
    char *buf = NULL;
    size_t cap = 0;
    while (getline(&buf, &cap, in) >= 0) {
        r.lineno++;
        char *line = trim(buf);
        if (!*line || *line == '#') continue;
        switch (state) {
        case OUTSIDE:
            if (strcmp(line, "{")) supp_error(&r, r.lineno, "expected '{' to begin a suppression, found '%s'", line);
            open_line = r.lineno;
            s = new_supp();
            state = NAME;
            break;
        case NAME:
            if (!strcmp(line, "{") || !strcmp(line, "}"))
                supp_error(&r, r.lineno, "expected the suppression's name, found '%s'", line);
            s->name = cli_strdup(line);
            state = KIND;
            break;
        case KIND:
            if (strncmp(line, "memboss:", 8))
                supp_error(&r, r.lineno, "expected memboss:KIND after the name, found '%s'", line);
            check_kind(&r, line + 8);
            s->kind = cli_strdup(line + 8);
            state = BODY;
            break;
        case BODY:
            if (strcmp(line, "}")) {
                body_line(&r, s, line);
                break;
            }
            nsupps++; /* complete: now it takes part in matching */
            state = OUTSIDE;
            break;
        }
    }
    int read_error = ferror(in);
    free(buf);
    fclose(in);
    if (read_error) cli_die(CLI_EXIT_USAGE, "cannot read the suppressions file %s", path);
    if (state != OUTSIDE) supp_error(&r, open_line, "this suppression has no closing '}'");
}

/* ---- matching -------------------------------------------------------------------------- */

static int glob_matches(const char *glob, const char *s)
{
    return fnmatch(glob, s ? s : unknown, 0) == 0;
}

static int frame_matches(const struct supp_frame *sf, const struct cli_frame *fr)
{
    switch (sf->what) {
    case SUPP_FUN: /* the name shown (from DWARF when known), or the ELF symbol */
        return glob_matches(sf->glob, fr->src_function ? fr->src_function : fr->function) ||
               (fr->src_function && fr->function && glob_matches(sf->glob, fr->function));
    case SUPP_OBJ:
        return glob_matches(sf->glob, fr->module);
    case SUPP_SRC: {
        if (sf->line && fr->line != sf->line) return 0;
        const char *base = fr->file ? strrchr(fr->file, '/') : NULL;
        return glob_matches(sf->glob, fr->file) || (base && glob_matches(sf->glob, base + 1));
    }
    case SUPP_ANY:
        return 1;
    }
    return 0;
}

/* Whether the entry's frame lines match frames #0, #1, ... of the stack. Dynamic
 * programming over (entry line, frame), from the end: `ok[j]` says whether the lines from
 * i on match from frame j, so each pair is tried once however many `...` there are. */
static int stack_matches(const struct supp *s, const struct cli_stack *st)
{
    size_t nf = st ? st->n : 0;
    char *ok = cli_alloc(nf + 1), *next = cli_alloc(nf + 1);
    memset(next, 1, nf + 1); /* no lines left: a match, whatever frames remain */
    for (size_t i = s->nframes; i-- > 0;) {
        const struct supp_frame *sf = &s->frames[i];
        for (size_t j = nf + 1; j-- > 0;) {
            if (sf->what == SUPP_ANY) ok[j] = next[j] || (j < nf && ok[j + 1]);
            else ok[j] = j < nf && next[j + 1] && frame_matches(sf, &st->frames[j]);
        }
        char *t = ok;
        ok = next;
        next = t;
    }
    int match = next[0];
    free(ok);
    free(next);
    return match;
}

/* The index of a leak finding's kind in leak_kind_names, or -1 (not a leak, or unknown). */
static int leak_kind_index(const struct cli_finding *f)
{
    if (!f->kind || strcmp(f->kind, "leak")) return -1;
    for (size_t k = 0; k < LEAK_KINDS; k++)
        if (!strcmp(f->leak_kind, leak_kind_names[k])) return (int)k;
    return -1;
}

static int leak_kind_matches(const struct supp *s, const struct cli_finding *f)
{
    if (!s->has_leak_kinds || !f->kind || strcmp(f->kind, "leak")) return 1;
    int k = leak_kind_index(f);
    return k >= 0 && ((s->leak_kinds >> k) & 1);
}

static int supp_matches(const struct supp *s, const struct cli_finding *f)
{
    return glob_matches(s->kind, f->kind) && leak_kind_matches(s, f) &&
           stack_matches(s, f->nstacks ? &f->stacks[0] : NULL);
}

void cli_suppress_apply(struct cli_findings *all)
{
    for (size_t i = 0; i < all->n; i++) {
        struct cli_finding *f = &all->v[i];
        for (size_t k = 0; k < nsupps && !f->suppressed_by; k++)
            if (supp_matches(&supps[k], f)) f->suppressed_by = supps[k].name;
    }
}

/* ---- writing an entry ------------------------------------------------------------------ */

/* s as a glob that matches s alone: fnmatch's special characters escaped. */
static void put_literal(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (strchr("*?[\\", *s)) fputc('\\', out);
        fputc(*s, out);
    }
}

void cli_suppress_write_entry(FILE *out, const struct cli_finding *f)
{
    const char *kind = f->kind ? f->kind : "";
    if (!f->nstacks || !f->stacks[0].n)
        fprintf(out, "# the finding has no stack: this entry matches every %s finding\n", kind);
    fputs("{\n   <insert_a_suppression_name_here>\n   memboss:", out);
    put_literal(out, kind);
    fputc('\n', out);
    int leak = leak_kind_index(f);
    if (leak >= 0) fprintf(out, "   match-leak-kinds: %s\n", leak_kind_names[leak]);
    const struct cli_stack *st = f->nstacks ? &f->stacks[0] : NULL;
    for (size_t j = 0; st && j < st->n; j++) {
        const struct cli_frame *fr = &st->frames[j];
        const char *fun = fr->src_function ? fr->src_function : fr->function;
        if (fun) {
            fputs("   fun:", out);
            put_literal(out, fun);
        } else if (fr->module) {
            fputs("   obj:", out);
            put_literal(out, fr->module);
        } else {
            fputs("   obj:*", out); /* nothing known: any one frame */
        }
        fputc('\n', out);
    }
    fputs("}\n", out);
}
