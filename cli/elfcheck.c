/* Reading just enough of an ELF file to tell whether the runtime can be preloaded into it:
 * its class and machine, whether it has a program interpreter (PT_INTERP), and whether its
 * dynamic section lists libc.so.6. Only program headers are used, never section headers:
 * they are what the kernel and the loader go by, and they survive stripping.
 *
 * 32-bit and 64-bit files are read into one form (struct cli_elf_hdr, cli_elf_phdr). Fields
 * beyond e_ident are read only from little-endian files (the only ones this host runs). */
#include "cli.h"

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_ELF_MAX_PHDRS 4096 /* far above any real program; bounds a malformed count */

struct cli_elf_hdr {
    uint16_t type, machine;
    uint64_t phoff;
    uint16_t phentsize, phnum;
};

struct cli_elf_phdr {
    uint32_t type;
    uint64_t offset, vaddr, filesz;
};

/* The file's bytes [off, off+n); -1 when the file is shorter. */
static int cli_read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r <= 0) return -1;
        done += (size_t)r;
    }
    return 0;
}

static int cli_read_hdr(int fd, int is_64bit, struct cli_elf_hdr *h)
{
    if (is_64bit) {
        Elf64_Ehdr e;
        if (cli_read_at(fd, &e, sizeof e, 0)) return -1;
        *h = (struct cli_elf_hdr){e.e_type, e.e_machine, e.e_phoff, e.e_phentsize, e.e_phnum};
        return 0;
    }
    Elf32_Ehdr e;
    if (cli_read_at(fd, &e, sizeof e, 0)) return -1;
    *h = (struct cli_elf_hdr){e.e_type, e.e_machine, e.e_phoff, e.e_phentsize, e.e_phnum};
    return 0;
}

static int cli_read_phdr(int fd, int is_64bit, uint64_t off, struct cli_elf_phdr *p)
{
    if (is_64bit) {
        Elf64_Phdr e;
        if (cli_read_at(fd, &e, sizeof e, off)) return -1;
        *p = (struct cli_elf_phdr){e.p_type, e.p_offset, e.p_vaddr, e.p_filesz};
        return 0;
    }
    Elf32_Phdr e;
    if (cli_read_at(fd, &e, sizeof e, off)) return -1;
    *p = (struct cli_elf_phdr){e.p_type, e.p_offset, e.p_vaddr, e.p_filesz};
    return 0;
}

/* Entry i of the dynamic array at off: its tag and value. */
static int cli_read_dyn(int fd, int is_64bit, uint64_t off, size_t i, int64_t *tag, uint64_t *val)
{
    if (is_64bit) {
        Elf64_Dyn d;
        if (cli_read_at(fd, &d, sizeof d, off + i * sizeof d)) return -1;
        *tag = d.d_tag;
        *val = d.d_un.d_val;
        return 0;
    }
    Elf32_Dyn d;
    if (cli_read_at(fd, &d, sizeof d, off + i * sizeof d)) return -1;
    *tag = d.d_tag;
    *val = d.d_un.d_val;
    return 0;
}

/* File offset of virtual address vaddr, through the PT_LOAD segment holding it. */
static int cli_vaddr_to_offset(const struct cli_elf_phdr *ph, size_t n, uint64_t vaddr,
                               uint64_t *off)
{
    for (size_t i = 0; i < n; i++) {
        if (ph[i].type == PT_LOAD && vaddr >= ph[i].vaddr && vaddr - ph[i].vaddr < ph[i].filesz) {
            *off = ph[i].offset + (vaddr - ph[i].vaddr);
            return 0;
        }
    }
    return -1;
}

/* Whether the dynamic section described by dyn has a DT_NEEDED entry "libc.so.6". The
 * names are offsets into DT_STRTAB, which is given as a virtual address. */
static int cli_needs_libc(int fd, int is_64bit, const struct cli_elf_phdr *ph, size_t nph,
                          const struct cli_elf_phdr *dyn, int *needs)
{
    static const char libc[] = "libc.so.6";
    size_t entsize = is_64bit ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn), n = dyn->filesz / entsize;
    uint64_t strtab = 0, strsz = 0, val, stroff;
    int64_t tag = DT_NULL;
    for (size_t i = 0; i < n; i++) {
        if (cli_read_dyn(fd, is_64bit, dyn->offset, i, &tag, &val)) return -1;
        if (tag == DT_NULL) break;
        if (tag == DT_STRTAB) strtab = val;
        if (tag == DT_STRSZ) strsz = val;
    }
    *needs = 0;
    if (!strtab) return 0; /* no string table: no names, no DT_NEEDED */
    if (cli_vaddr_to_offset(ph, nph, strtab, &stroff)) return -1;
    for (size_t i = 0; i < n && !*needs; i++) {
        if (cli_read_dyn(fd, is_64bit, dyn->offset, i, &tag, &val)) return -1;
        if (tag == DT_NULL) break;
        char name[sizeof libc];
        /* Compare with the terminating NUL, so "libc.so.6x" is no match. */
        if (tag == DT_NEEDED && val + sizeof name <= strsz &&
            !cli_read_at(fd, name, sizeof name, stroff + val))
            *needs = !memcmp(name, libc, sizeof name);
    }
    return 0;
}

/* Reads the program headers and fills has_interp, has_tls, has_dynamic and needs_libc. */
static int cli_read_segments(int fd, int is_64bit, const struct cli_elf_hdr *h,
                             struct cli_elf_info *info)
{
    size_t entsize = is_64bit ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (h->phnum > CLI_ELF_MAX_PHDRS || (h->phnum && h->phentsize != entsize)) return -1;
    struct cli_elf_phdr *ph = cli_alloc((h->phnum + 1u) * sizeof *ph); /* +1: never 0 bytes */
    const struct cli_elf_phdr *dyn = NULL;
    int rc = 0;
    for (size_t i = 0; i < h->phnum; i++) {
        rc = cli_read_phdr(fd, is_64bit, h->phoff + i * entsize, &ph[i]);
        if (rc) break;
        if (ph[i].type == PT_INTERP) info->has_interp = 1;
        if (ph[i].type == PT_DYNAMIC) dyn = &ph[i], info->has_dynamic = 1;
        if (ph[i].type == PT_TLS) info->has_tls = 1;
    }
    if (!rc && dyn) rc = cli_needs_libc(fd, is_64bit, ph, h->phnum, dyn, &info->needs_libc);
    free(ph);
    return rc;
}

int cli_elf_read(int fd, struct cli_elf_info *info)
{
    unsigned char ident[EI_NIDENT];
    *info = (struct cli_elf_info){0};
    if (cli_read_at(fd, ident, sizeof ident, 0) || memcmp(ident, ELFMAG, SELFMAG)) return 0;
    info->is_elf = 1;
    if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) return -1;
    info->is_64bit = ident[EI_CLASS] == ELFCLASS64;
    if (ident[EI_DATA] != ELFDATA2LSB) return 0;
    struct cli_elf_hdr h;
    if (cli_read_hdr(fd, info->is_64bit, &h)) return -1;
    info->is_x86_64 = h.machine == EM_X86_64;
    info->is_program = h.type == ET_EXEC || h.type == ET_DYN;
    return cli_read_segments(fd, info->is_64bit, &h, info);
}
