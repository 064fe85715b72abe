/* memboss command — source lines of stack frames, from DWARF, with elfutils libdwfl.
 *
 * Each module (path + build-id) is opened once, offline, at load bias 0, so that an address
 * in it is the frame's module_off: the ELF virtual address for a non-PIE executable, a PIE
 * one and a shared library alike. libdwfl finds separate debug files (.gnu_debuglink next to
 * the module or in .debug/, build-id files under /usr/lib/debug) by itself. */
#include "finding.h"

#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* An opened module. dwfl is NULL when the file could not be read or is another build than
 * the one that ran (its build-id differs from the frame's): such frames stay unsymbolized. */
struct module {
    char *path;
    char *build_id; /* as the frames named it, NULL when they named none */
    Dwfl *dwfl;
    Dwfl_Module *mod;
};

static struct module *modules;
static size_t nmodules, capmodules;

static char *debuginfo_path; /* libdwfl's default search path ("/usr/lib/debug" ...) */

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static void *resize(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p)
        cli_die(CLI_EXIT_FAILURE, "out of memory");
    return p;
}

/* The module's build-id, in hex as the runtime writes it; NULL when it has none. */
static char *module_build_id(Dwfl_Module *mod)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n <= 0)
        return NULL;
    char *hex = cli_alloc((size_t)n * 2 + 1);
    for (int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", bits[i]);
    return hex;
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The module at path as the frames name it: opened on first use, then from the cache. */
static struct module *module_open(const char *path, const char *build_id)
{
    for (size_t i = 0; i < nmodules; i++)
        if (strcmp(modules[i].path, path) == 0 && same(modules[i].build_id, build_id))
            return &modules[i];
    if (nmodules == capmodules) {
        capmodules = capmodules ? capmodules * 2 : 16;
        modules = resize(modules, capmodules * sizeof *modules);
    }
    struct module *m = &modules[nmodules++];
    m->path = cli_strdup(path);
    m->build_id = build_id ? cli_strdup(build_id) : NULL;
    m->dwfl = dwfl_begin(&offline_callbacks);
    m->mod = NULL;
    if (!m->dwfl)
        return m;
    /* base 0, add_p_vaddr: the module sits at its own ELF addresses (bias 0) */
    m->mod = dwfl_report_elf(m->dwfl, path, path, -1, 0, true);
    dwfl_report_end(m->dwfl, NULL, NULL);
    char *have = m->mod ? module_build_id(m->mod) : NULL;
    if (!m->mod || (build_id && have && strcasecmp(build_id, have) != 0)) {
        dwfl_end(m->dwfl);
        m->dwfl = NULL;
        m->mod = NULL;
    }
    free(have);
    return m;
}

/* A copy of a DWARF file name without doubled slashes and "./" parts: NASM's compilation
 * directory ends in '/', so libdw's join gives "dir//file.asm". */
static char *clean_path(const char *file)
{
    char *out = cli_strdup(file), *o = out;
    for (const char *s = file; *s; s++) {
        if (*s == '/' && o > out && o[-1] == '/')
            continue;
        if (*s == '.' && s[1] == '/' && (s == file || s[-1] == '/')) {
            s++;
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

/* The name of the innermost function (inlined or not) around addr in the compile unit. */
static char *function_name(Dwarf_Die *cu, Dwarf_Addr addr)
{
    Dwarf_Die *scopes = NULL;
    char *name = NULL;
    int n = dwarf_getscopes(cu, addr, &scopes);
    for (int i = 0; i < n && !name; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
            const char *s = dwarf_diename(&scopes[i]);
            if (!s) { /* an inlined instance or an out-of-line copy: the name is at its origin */
                Dwarf_Attribute attr;
                Dwarf_Die origin;
                if (dwarf_attr_integrate(&scopes[i], DW_AT_abstract_origin, &attr) &&
                    dwarf_formref_die(&attr, &origin))
                    s = dwarf_diename(&origin);
            }
            if (s)
                name = cli_strdup(s);
        }
    }
    free(scopes);
    return name;
}

static void frame_clear(struct cli_frame *fr)
{
    free(fr->src_function);
    free(fr->file);
    fr->src_function = fr->file = NULL;
    fr->line = fr->column = 0;
}

static void symbolize_frame(struct cli_frame *fr)
{
    frame_clear(fr);
    if (!fr->module || (fr->is_return && fr->module_off == 0))
        return;
    struct module *m = module_open(fr->module, fr->build_id);
    if (!m->mod)
        return;
    /* a return address: the line of the call, the instruction before it */
    Dwarf_Addr addr = fr->module_off - (fr->is_return ? 1 : 0);
    Dwfl_Line *l = dwfl_module_getsrc(m->mod, addr);
    if (l) {
        int line = 0, col = 0;
        const char *file = dwfl_lineinfo(l, NULL, &line, &col, NULL, NULL);
        if (file && line > 0) {
            fr->file = clean_path(file);
            fr->line = line;
            fr->column = col;
        }
    }
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &bias);
    if (cu)
        fr->src_function = function_name(cu, addr - bias);
}

void cli_symbolize_findings(struct cli_findings *all)
{
    /* Local files only: libdwfl would otherwise ask the debuginfod servers the environment
     * names (Debian sets one) for every module without DWARF, over the network. */
    if (!getenv("MEMBOSS_DEBUGINFOD"))
        unsetenv("DEBUGINFOD_URLS");
    for (size_t i = 0; i < all->n; i++) {
        struct cli_finding *f = &all->v[i];
        for (size_t s = 0; s < f->nstacks; s++)
            for (size_t k = 0; k < f->stacks[s].n; k++)
                symbolize_frame(&f->stacks[s].frames[k]);
    }
}

/* A source file read once: its lines, without line ends, tabs expanded. */
struct source {
    char *path;
    char **lines; /* NULL when the file could not be read */
    size_t nlines;
};

static struct source *sources;
static size_t nsources, capsources;

/* One line as it is shown: "\r" of a CRLF end dropped, tabs to the next multiple of 8. */
static char *display_line(const char *s, size_t len)
{
    if (len && s[len - 1] == '\r')
        len--;
    size_t tabs = 0;
    for (size_t i = 0; i < len; i++)
        tabs += s[i] == '\t';
    char *out = cli_alloc(len + tabs * 7 + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\t') {
            *o++ = s[i];
            continue;
        }
        do
            *o++ = ' ';
        while ((o - out) % 8);
    }
    *o = '\0';
    return out;
}

static void source_read(struct source *src)
{
    FILE *fp = fopen(src->path, "rb");
    if (!fp)
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char buf[65536];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        fwrite(buf, 1, n, mem);
    int failed = ferror(fp) || !mem;
    fclose(fp);
    if (mem)
        fclose(mem);
    if (failed) {
        free(text);
        return;
    }
    size_t cap = 64;
    src->lines = cli_alloc(cap * sizeof *src->lines);
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (src->nlines == cap) {
            cap *= 2;
            src->lines = resize(src->lines, cap * sizeof *src->lines);
        }
        src->lines[src->nlines++] = display_line(text + at, end - at);
        at = end + 1;
    }
    free(text);
}

char *cli_source_line(const char *file, int line)
{
    if (!file || line <= 0)
        return NULL;
    struct source *src = NULL;
    for (size_t i = 0; i < nsources && !src; i++)
        if (strcmp(sources[i].path, file) == 0)
            src = &sources[i];
    if (!src) {
        if (nsources == capsources) {
            capsources = capsources ? capsources * 2 : 16;
            sources = resize(sources, capsources * sizeof *sources);
        }
        src = &sources[nsources++];
        *src = (struct source){cli_strdup(file), NULL, 0};
        source_read(src);
    }
    if ((size_t)line > src->nlines)
        return NULL;
    return cli_strdup(src->lines[line - 1]);
}
