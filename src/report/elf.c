/* memboss — ELF64 headers, sections and symbols, read without allocating (see elf.h).
 *
 * Tables are streamed through one static scratch buffer in chunks, so a module with tens
 * of thousands of symbols costs a few dozen preads and no memory. Strings are read one at
 * a time, only for the names that are needed.
 *
 * Invariant: one caller at a time (the report lock); the static buffers below are shared. */
#include "report/elf.h"

#include "internal.h"

#include <elf.h>

#define SCRATCH 8192
#define NAME_MAX_READ 256
#define PAGE_MASK ((uint64_t)MB_PAGE_SIZE - 1)

/* Chunk buffer for program headers, section headers and symbols. */
static union {
    unsigned char b[SCRATCH];
    Elf64_Phdr ph[SCRATCH / sizeof(Elf64_Phdr)];
    Elf64_Shdr sh[SCRATCH / sizeof(Elf64_Shdr)];
    Elf64_Sym sym[SCRATCH / sizeof(Elf64_Sym)];
} scratch;

/* Names of the best symbol so far and of a candidate that ties with it. */
static char best_name[NAME_MAX_READ], cand_name[NAME_MAX_READ];

/* Reads up to n bytes at off; returns the count read (short at end of source). */
static size_t rd(const struct mb_elf *e, void *dst, size_t n, uint64_t off)
{
    unsigned char *d = dst;
    if (e->fd >= 0) {
        size_t got = 0;
        while (got < n) {
            if (off + got > (uint64_t)INT64_MAX) break;
            ssize_t r = mb__os_pread(e->fd, d + got, n - got, (off_t)(off + got));
            if (r <= 0) break;
            got += (size_t)r;
        }
        return got;
    }
    if (!e->mem || off >= e->mem_size) return 0;
    if (n > e->mem_size - off) n = (size_t)(e->mem_size - off);
    for (size_t i = 0; i < n; i++) d[i] = e->mem[off + i];
    return n;
}

static int rd_all(const struct mb_elf *e, void *dst, size_t n, uint64_t off)
{
    return rd(e, dst, n, off) == n;
}

/* The string at str_off + idx of a string table of str_size bytes, into buf. */
static void rd_str(const struct mb_elf *e, uint64_t str_off, uint64_t str_size, uint64_t idx,
                   char *buf, size_t cap)
{
    if (!cap) return;
    buf[0] = 0;
    if (idx >= str_size) return;
    size_t n = cap - 1;
    if (n > str_size - idx) n = (size_t)(str_size - idx);
    n = rd(e, buf, n, str_off + idx);
    buf[n] = 0; /* the name ends at its NUL, or is cut at cap - 1 */
}

static void sect_from_shdr(struct mb_elf_sect *s, const Elf64_Shdr *sh, uint32_t index)
{
    s->addr = sh->sh_addr;
    s->size = sh->sh_size;
    s->name = sh->sh_name;
    s->index = index;
    s->exec = (sh->sh_flags & SHF_EXECINSTR) != 0;
    s->write = (sh->sh_flags & SHF_WRITE) != 0;
    s->nobits = sh->sh_type == SHT_NOBITS;
}

/* A section that takes address space: allocated, not empty, not thread-local NOBITS
 * (.tbss overlaps whatever follows it in the address layout). */
static int sect_occupies(const Elf64_Shdr *sh)
{
    if (!(sh->sh_flags & SHF_ALLOC) || sh->sh_size == 0) return 0;
    return !(sh->sh_type == SHT_NOBITS && (sh->sh_flags & SHF_TLS));
}

/* Streams the section headers. With fill: records sections, symbol tables and the name
 * table into e. With want != NULL: stops at the occupying section holding vaddr. */
static int scan_sections(struct mb_elf *fill, const struct mb_elf *e, uint64_t vaddr,
                         struct mb_elf_sect *want)
{
    const size_t per = SCRATCH / sizeof(Elf64_Shdr);
    uint32_t link[2] = {0, 0};
    for (uint32_t i = 0; i < e->shnum;) {
        size_t n = e->shnum - i < per ? e->shnum - i : per;
        uint64_t at = e->shoff + (uint64_t)i * sizeof(Elf64_Shdr);
        if (!rd_all(e, scratch.sh, n * sizeof(Elf64_Shdr), at)) return 0;
        for (size_t k = 0; k < n; k++, i++) {
            const Elf64_Shdr *sh = &scratch.sh[k];
            if (want && sect_occupies(sh) && vaddr >= sh->sh_addr &&
                vaddr - sh->sh_addr < sh->sh_size) {
                sect_from_shdr(want, sh, i);
                return 1;
            }
            if (!fill) continue;
            if (i == e->shstrndx && sh->sh_type == SHT_STRTAB) {
                fill->shstr_off = sh->sh_offset;
                fill->shstr_size = sh->sh_size;
            }
            if ((sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_DYNSYM) &&
                sh->sh_entsize == sizeof(Elf64_Sym) && sh->sh_size >= sizeof(Elf64_Sym)) {
                int t = sh->sh_type == SHT_DYNSYM;
                fill->syms[t].off = sh->sh_offset;
                fill->syms[t].size = sh->sh_size - sh->sh_size % sizeof(Elf64_Sym);
                link[t] = sh->sh_link;
            }
            if (sect_occupies(sh)) {
                if (fill->nsects < MB_ELF_MAX_SECTS)
                    sect_from_shdr(&fill->sects[fill->nsects++], sh, i);
                else
                    fill->sects_partial = 1;
            }
        }
    }
    if (fill) { /* each symbol table's strings are in the section its sh_link names */
        for (int t = 0; t < 2; t++) {
            Elf64_Shdr sh;
            if (!fill->syms[t].size) continue;
            if (link[t] == 0 || link[t] >= e->shnum ||
                !rd_all(e, &sh, sizeof sh, e->shoff + (uint64_t)link[t] * sizeof sh) ||
                sh.sh_type != SHT_STRTAB) {
                fill->syms[t].size = 0;
                continue;
            }
            fill->syms[t].str_off = sh.sh_offset;
            fill->syms[t].str_size = sh.sh_size;
        }
    }
    return 0;
}

#define MAX_NOTES 4 /* PT_NOTE segments looked at for the build id */

/* NT_GNU_BUILD_ID in the notes at [off, off + size) into e->build_id. A note is a header
 * (namesz, descsz, type), the name and the descriptor, each padded to 4 bytes. */
static void read_build_id(struct mb_elf *e, uint64_t off, uint64_t size)
{
    unsigned char buf[512];
    size_t n = rd(e, buf, size < sizeof buf ? (size_t)size : sizeof buf, off);
    for (size_t at = 0; at + sizeof(Elf64_Nhdr) <= n;) {
        Elf64_Nhdr nh;
        __builtin_memcpy(&nh, buf + at, sizeof nh);
        size_t name = at + sizeof nh, desc = name + ((nh.n_namesz + 3u) & ~3u);
        if (nh.n_namesz > n || nh.n_descsz > n || desc + nh.n_descsz > n) return;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
            __builtin_memcmp(buf + name, "GNU", 4) == 0 && nh.n_descsz <= MB_ELF_BUILD_ID_MAX) {
            __builtin_memcpy(e->build_id, buf + desc, nh.n_descsz);
            e->build_id_len = nh.n_descsz;
            return;
        }
        at = desc + ((nh.n_descsz + 3u) & ~3u);
    }
}

int mb__elf_parse(struct mb_elf *e)
{
    Elf64_Ehdr eh;
    e->nloads = 0;
    e->load_lo = UINT64_MAX;
    e->load_hi = 0;
    e->shoff = 0;
    e->shnum = e->shstrndx = 0;
    e->shstr_off = e->shstr_size = 0;
    e->nsects = 0;
    e->sects_partial = 0;
    for (int t = 0; t < 2; t++) e->syms[t] = (struct mb_elf_symtab){0, 0, 0, 0};

    if (!rd_all(e, &eh, sizeof eh, 0)) return -1;
    if (eh.e_ident[EI_MAG0] != ELFMAG0 || eh.e_ident[EI_MAG1] != ELFMAG1 ||
        eh.e_ident[EI_MAG2] != ELFMAG2 || eh.e_ident[EI_MAG3] != ELFMAG3 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
        return -1;

    /* Program headers: the PT_LOADs give the bias and the loaded span; the PT_NOTEs the
     * build id, read once the headers are done with the scratch buffer. */
    uint64_t notes[MAX_NOTES][2];
    unsigned nnotes = 0;
    e->build_id_len = 0;
    const size_t per = SCRATCH / sizeof(Elf64_Phdr);
    for (unsigned i = 0; i < eh.e_phnum;) {
        size_t n = eh.e_phnum - i < per ? eh.e_phnum - i : per;
        uint64_t at = eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
        if (!rd_all(e, scratch.ph, n * sizeof(Elf64_Phdr), at)) return -1;
        for (size_t k = 0; k < n; k++, i++) {
            const Elf64_Phdr *ph = &scratch.ph[k];
            if (ph->p_type == PT_NOTE && nnotes < MAX_NOTES) {
                notes[nnotes][0] = ph->p_offset;
                notes[nnotes++][1] = ph->p_filesz;
            }
            if (ph->p_type != PT_LOAD) continue;
            uint64_t lo = ph->p_vaddr & ~PAGE_MASK;
            uint64_t hi = (ph->p_vaddr + ph->p_memsz + PAGE_MASK) & ~PAGE_MASK;
            if (lo < e->load_lo) e->load_lo = lo;
            if (hi > e->load_hi) e->load_hi = hi;
            if (e->nloads < MB_ELF_MAX_LOADS)
                e->loads[e->nloads++] = (struct mb_elf_load){ph->p_vaddr, ph->p_memsz,
                                                             ph->p_offset, ph->p_filesz};
        }
    }
    if (e->load_hi == 0) return -1;
    for (unsigned i = 0; i < nnotes && !e->build_id_len; i++) read_build_id(e, notes[i][0], notes[i][1]);

    /* Section headers are optional (a stripped-to-the-bone module still gets a bias). */
    if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr)) return 0;
    uint32_t shnum = eh.e_shnum, shstrndx = eh.e_shstrndx;
    if (shnum == 0 || shstrndx == SHN_XINDEX) { /* extended numbering: in section 0 */
        Elf64_Shdr sh0;
        if (!rd_all(e, &sh0, sizeof sh0, eh.e_shoff)) return 0;
        if (shnum == 0) shnum = sh0.sh_size > (1u << 24) ? 0 : (uint32_t)sh0.sh_size;
        if (shstrndx == SHN_XINDEX) shstrndx = sh0.sh_link;
    }
    e->shoff = eh.e_shoff;
    e->shnum = shnum;
    e->shstrndx = shstrndx;
    scan_sections(e, e, 0, NULL);
    return 0;
}

int mb__elf_bias(const struct mb_elf *e, uintptr_t map_lo, uint64_t map_off, uintptr_t *bias)
{
    if (map_off == 0 && e->load_hi) {
        *bias = map_lo - (uintptr_t)e->load_lo;
        return 0;
    }
    /* Any other mapping of a segment: the file page at map_off sits at the same distance
     * from the segment's first page in memory as in the file. */
    for (unsigned i = 0; i < e->nloads; i++) {
        const struct mb_elf_load *l = &e->loads[i];
        uint64_t off0 = l->offset & ~PAGE_MASK;
        if (map_off >= off0 && map_off < l->offset + l->filesz) {
            *bias = map_lo - (uintptr_t)((l->vaddr & ~PAGE_MASK) + (map_off - off0));
            return 0;
        }
    }
    return -1;
}

int mb__elf_in_image(const struct mb_elf *e, uint64_t vaddr)
{
    return vaddr >= e->load_lo && vaddr < e->load_hi;
}

int mb__elf_section(const struct mb_elf *e, uint64_t vaddr, struct mb_elf_sect *out)
{
    for (unsigned i = 0; i < e->nsects; i++) {
        const struct mb_elf_sect *s = &e->sects[i];
        if (vaddr >= s->addr && vaddr - s->addr < s->size) {
            *out = *s;
            return 1;
        }
    }
    if (!e->sects_partial) return 0;
    return scan_sections(NULL, e, vaddr, out);
}

void mb__elf_section_name(const struct mb_elf *e, const struct mb_elf_sect *s, char *buf,
                          size_t cap)
{
    rd_str(e, e->shstr_off, e->shstr_size, s->name, buf, cap);
}

/* ---- symbols -------------------------------------------------------------------------- */

struct cand {
    uint64_t value, size;
    uint32_t name;
    uint8_t type, bind;
    int contains;             /* sized and holding vaddr                                 */
};

static unsigned leading_underscores(const char *s)
{
    unsigned n = 0;
    while (s[n] == '_') n++;
    return n;
}

static int bind_rank(uint8_t bind)
{
    return bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
}

/* Of two symbols at the same address (aliases), the one to show: a typed one over an
 * assembler label, then the name with fewer leading underscores ("write" over
 * "__libc_write"), then global over weak over local. Reads names only for such ties. */
static int alias_better(const struct mb_elf *e, const struct mb_elf_symtab *t,
                        const struct cand *c, const struct cand *best, int *best_loaded,
                        int *cand_loaded)
{
    int tc = c->type != STT_NOTYPE, tb = best->type != STT_NOTYPE;
    if (tc != tb) return tc > tb;
    if (!*best_loaded) {
        rd_str(e, t->str_off, t->str_size, best->name, best_name, sizeof best_name);
        *best_loaded = 1;
    }
    rd_str(e, t->str_off, t->str_size, c->name, cand_name, sizeof cand_name);
    *cand_loaded = 1;
    if (!cand_name[0]) return 0;
    unsigned uc = leading_underscores(cand_name), ub = leading_underscores(best_name);
    if (uc != ub) return uc < ub;
    return bind_rank(c->bind) > bind_rank(best->bind);
}

/* A symbol up to this size is a label: it reaches up to the next symbol. Code labels have
 * size 0. Data symbols all count as labels: NASM gives its data labels size 0 or 1, or
 * with debug information the size of their first item only (8 for a dq list). */
static uint64_t label_max_size(enum mb_elf_symkind kind)
{
    return kind == MB_ELF_SYM_DATA ? UINT64_MAX : 0;
}

/* Whether symbol s (of type type) may name vaddr at all: the right kind, in the right
 * section. Labels and data count only within the section holding vaddr. */
static int sym_kind_ok(const Elf64_Sym *s, uint8_t type, enum mb_elf_symkind kind,
                       const struct mb_elf_sect *sect)
{
    int same_sect = sect && s->st_shndx == sect->index;
    if (kind == MB_ELF_SYM_DATA)
        return (type == STT_OBJECT || type == STT_NOTYPE) && same_sect && !sect->exec;
    if (type == STT_FUNC || type == STT_GNU_IFUNC) return !sect || same_sect;
    return type == STT_NOTYPE && same_sect && sect->exec; /* an assembler label in code */
}

/* One pass over one symbol table. Returns 1 with *best set when a symbol matched: one
 * that holds vaddr by its size, else the nearest label before it, unless a sized symbol
 * ends between that label and vaddr (vaddr is then past the end of a known function or
 * object, in code or data no symbol names). */
static int search_table(const struct mb_elf *e, const struct mb_elf_symtab *t, uint64_t vaddr,
                        enum mb_elf_symkind kind, const struct mb_elf_sect *sect,
                        struct cand *best, int *best_loaded)
{
    const size_t per = SCRATCH / sizeof(Elf64_Sym);
    const uint64_t count = t->size / sizeof(Elf64_Sym);
    const uint64_t label_max = label_max_size(kind);
    uint64_t sized_end = 0; /* end of the last sized symbol that ends at or before vaddr */
    int found = 0;
    *best_loaded = 0;
    for (uint64_t i = 0; i < count;) {
        size_t n = count - i < per ? (size_t)(count - i) : per;
        size_t got = rd(e, scratch.sym, n * sizeof(Elf64_Sym), t->off + i * sizeof(Elf64_Sym));
        n = got / sizeof(Elf64_Sym);
        if (n == 0) break;
        i += n;
        for (size_t k = 0; k < n; k++) {
            const Elf64_Sym *s = &scratch.sym[k];
            if (s->st_name == 0 || s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE ||
                s->st_value > vaddr)
                continue;
            uint8_t type = ELF64_ST_TYPE(s->st_info);
            if (!sym_kind_ok(s, type, kind, sect)) continue;
            int label = s->st_size <= label_max;
            int contains = !label && vaddr - s->st_value < s->st_size;
            if (!label && !contains) { /* sized, ended before vaddr: bounds the labels */
                if (s->st_value + s->st_size > sized_end) sized_end = s->st_value + s->st_size;
                continue;
            }
            struct cand c = {s->st_value, s->st_size, s->st_name, type,
                             (uint8_t)ELF64_ST_BIND(s->st_info), contains};
            int take, cand_loaded = 0;
            if (!found) take = 1;
            else if (c.contains != best->contains) take = c.contains; /* sized and holding wins */
            else if (c.value != best->value) take = c.value > best->value; /* nearest wins */
            else take = alias_better(e, t, &c, best, best_loaded, &cand_loaded);
            if (!take) continue;
            if (cand_loaded) {
                /* the new best's name is already in cand_name */
                for (size_t j = 0; j < sizeof best_name; j++)
                    if (!(best_name[j] = cand_name[j])) break;
            } else {
                *best_loaded = 0;
            }
            *best = c;
            found = 1;
        }
    }
    return found && (best->contains || best->value >= sized_end);
}

int mb__elf_symbol(const struct mb_elf *e, uint64_t vaddr, enum mb_elf_symkind kind,
                   const struct mb_elf_sect *sect, uint64_t *value, char *buf, size_t cap)
{
    struct cand best = {0, 0, 0, 0, 0, 0};
    int loaded = 0;
    for (int t = 0; t < 2; t++) { /* .symtab, then .dynsym if .symtab is absent or silent */
        const struct mb_elf_symtab *tab = &e->syms[t];
        if (!tab->size || !search_table(e, tab, vaddr, kind, sect, &best, &loaded)) continue;
        if (!loaded) rd_str(e, tab->str_off, tab->str_size, best.name, best_name, sizeof best_name);
        if (!best_name[0]) continue;
        if (cap) {
            size_t j = 0;
            /* "stdout@GLIBC_2.2.5" (a copy-relocated symbol): the version is noise */
            for (; j + 1 < cap && best_name[j] && best_name[j] != '@'; j++) buf[j] = best_name[j];
            buf[j] = 0;
        }
        *value = best.value;
        return 1;
    }
    return 0;
}
