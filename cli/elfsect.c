/* Names for the regions of a memory map (--show-map), as the post's picture calls them:
 * ".text of prog", ".data+.bss of prog", "heap (memboss)", "stack of thread 4242"...
 *
 * A mapped file's mapping is named by the sections of .text, .rodata, .data and .bss that
 * lie in it: the file's ELF program headers give the mapping's load bias (the PT_LOAD that
 * starts at its file offset), its section headers the sections' addresses. .bss is not in
 * the file: what of it does not fit the last page of the file's rw mapping lies in the
 * anonymous mapping right after it, which gets the same file's names. */
#include "cli.h"
#include "finding.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_PAGE 4096ull
#define CLI_ELF_MAX_HEADERS 4096 /* more program or section headers: not a file we name */

/* The facts of one ELF file that naming needs. */
struct cli_elf_sects {
    size_t nload;
    Elf64_Phdr *load; /* its PT_LOAD headers */
    size_t nsect;
    struct {
        const char *name; /* one of cli_sect_names */
        uint64_t addr, size;
    } *sect;
};

static const char *const cli_sect_names[] = {".text", ".rodata", ".data", ".bss"};

static int cli_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    return pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* Reads path's PT_LOAD headers and its four sections; -1 when it is not a 64-bit ELF file
 * with section headers. */
static int cli_elf_sects_read(const char *path, struct cli_elf_sects *e)
{
    *e = (struct cli_elf_sects){0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    Elf64_Ehdr eh;
    Elf64_Phdr *ph = NULL;
    Elf64_Shdr *sh = NULL;
    char *names = NULL;
    int ok = !cli_pread_all(fd, &eh, sizeof eh, 0) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
             eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof *ph &&
             eh.e_shentsize == sizeof *sh && eh.e_phnum <= CLI_ELF_MAX_HEADERS &&
             eh.e_shnum <= CLI_ELF_MAX_HEADERS && eh.e_shstrndx < eh.e_shnum;
    if (ok) {
        ph = cli_alloc((eh.e_phnum + 1) * sizeof *ph);
        sh = cli_alloc((eh.e_shnum + 1) * sizeof *sh);
        ok = !cli_pread_all(fd, ph, eh.e_phnum * sizeof *ph, eh.e_phoff) &&
             !cli_pread_all(fd, sh, eh.e_shnum * sizeof *sh, eh.e_shoff) &&
             sh[eh.e_shstrndx].sh_size < (1u << 24);
    }
    if (ok) {
        const Elf64_Shdr *ss = &sh[eh.e_shstrndx];
        names = cli_alloc(ss->sh_size + 1);
        ok = !cli_pread_all(fd, names, ss->sh_size, ss->sh_offset);
        names[ss->sh_size] = '\0';
    }
    if (ok) {
        e->load = cli_alloc((eh.e_phnum + 1) * sizeof *e->load);
        for (size_t i = 0; i < eh.e_phnum; i++)
            if (ph[i].p_type == PT_LOAD) e->load[e->nload++] = ph[i];
        e->sect = cli_alloc((eh.e_shnum + 1) * sizeof *e->sect);
        for (size_t i = 0; i < eh.e_shnum; i++) {
            if (!(sh[i].sh_flags & SHF_ALLOC) || sh[i].sh_name >= sh[eh.e_shstrndx].sh_size) continue;
            for (size_t k = 0; k < sizeof cli_sect_names / sizeof *cli_sect_names; k++) {
                if (strcmp(names + sh[i].sh_name, cli_sect_names[k])) continue;
                e->sect[e->nsect].name = cli_sect_names[k];
                e->sect[e->nsect].addr = sh[i].sh_addr;
                e->sect[e->nsect++].size = sh[i].sh_size;
            }
        }
    }
    free(ph);
    free(sh);
    free(names);
    close(fd);
    return ok ? 0 : -1;
}

static void cli_elf_sects_free(struct cli_elf_sects *e)
{
    free(e->load);
    free(e->sect);
}

/* The load bias of the file mapping m: where the PT_LOAD that holds its file offset was
 * put, less its address in the file. -1 when no PT_LOAD holds it. (A segment can be several
 * mappings: RELRO makes the first pages of the rw segment read-only.) */
static int cli_elf_bias(const struct cli_elf_sects *e, const struct cli_region *m, uint64_t *bias)
{
    for (size_t i = 0; i < e->nload; i++) {
        const Elf64_Phdr *p = &e->load[i];
        uint64_t off = p->p_offset & ~(CLI_PAGE - 1);
        if (m->offset < off || m->offset >= p->p_offset + p->p_filesz) continue;
        *bias = m->lo - ((p->p_vaddr & ~(CLI_PAGE - 1)) + (m->offset - off));
        return 0;
    }
    return -1;
}

/* ".data+.bss of NAME" for the sections of e in [r->lo, r->hi) with the bias of file
 * mapping m; NULL when none lies there. */
static char *cli_elf_label(const struct cli_elf_sects *e, const struct cli_region *m,
                           const struct cli_region *r, const char *name)
{
    uint64_t bias;
    if (cli_elf_bias(e, m, &bias)) return NULL;
    struct cli_strlist found = {0};
    for (size_t i = 0; i < e->nsect; i++) {
        uint64_t lo = e->sect[i].addr + bias, hi = lo + e->sect[i].size;
        if (e->sect[i].size && lo < r->hi && hi > r->lo) cli_strlist_add(&found, e->sect[i].name);
    }
    char *label = NULL;
    if (found.n) {
        char *secs = cli_strlist_join(&found, '+');
        label = cli_format("%s of %s", secs, name);
        free(secs);
    }
    for (size_t i = 0; i < found.n; i++) free(found.v[i]);
    free(found.v);
    return label;
}

static const char *cli_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The names of the runtime's classes of regions that are not files (docs/events.md). */
static char *cli_kind_label(const struct cli_region *r)
{
    static const char *const names[][2] = {
        {"heap", "heap (memboss)"},     {"guard", "guard page (memboss)"},
        {"brk", "brk heap (grows up)"}, {"stack", "stack (grows down)"},
        {"stack-guard", "stack guard"}, {"vdso", "[vdso]"},
        {"vvar", "[vvar]"},             {"anon", "mmap"},
    };
    if (!strcmp(r->kind, "thread-stack"))
        return r->path && !strncmp(r->path, "thread ", 7) ? cli_format("stack of %s", r->path)
                                                          : cli_strdup("stack of a thread");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(r->kind, names[i][0])) return cli_strdup(names[i][1]);
    return cli_strdup(r->kind);
}

void cli_label_regions(struct cli_finding *f)
{
    struct cli_elf_sects e = {0};
    const char *loaded = NULL; /* the file e describes; files' mappings are neighbours */
    int have = 0;
    for (size_t i = 0; i < f->nregions; i++) {
        struct cli_region *r = &f->regions[i];
        if (r->label || !r->kind) continue;
        /* The file mapping whose sections may lie here: r itself, or for an anonymous
         * mapping, the rw file mapping it follows (.bss). */
        const struct cli_region *m = NULL;
        if (!strcmp(r->kind, "file") && r->path) m = r;
        else if (!strcmp(r->kind, "anon") && i > 0 && f->regions[i - 1].kind &&
                 !strcmp(f->regions[i - 1].kind, "file") && f->regions[i - 1].path &&
                 f->regions[i - 1].hi == r->lo && f->regions[i - 1].perms[1] == 'w')
            m = &f->regions[i - 1];
        if (m && (!loaded || strcmp(loaded, m->path))) {
            if (have) cli_elf_sects_free(&e);
            have = !cli_elf_sects_read(m->path, &e);
            loaded = m->path;
        }
        if (m && have) r->label = cli_elf_label(&e, m, r, cli_base(m->path));
        if (!r->label) r->label = m == r ? cli_strdup(cli_base(r->path)) : cli_kind_label(r);
    }
    if (have) cli_elf_sects_free(&e);
}
