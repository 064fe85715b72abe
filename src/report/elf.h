/* memboss — reading ELF64 modules without allocating (used by where.c).
 *
 * A module is read from an open file (pread through the os layer) or from an image that is
 * already mapped in memory (the vDSO). mb__elf_parse() keeps what later lookups need in the
 * struct, so the caller can cache one struct mb_elf per module and only reopen the file.
 *
 * Invariant: one caller at a time. elf.c streams tables through static scratch buffers;
 * every caller holds the report lock. Nothing here recurses or uses a large stack frame. */
#ifndef MB_REPORT_ELF_H
#define MB_REPORT_ELF_H

#include <stddef.h>
#include <stdint.h>

#define MB_ELF_MAX_LOADS 16   /* PT_LOAD headers kept (more are folded into the span)   */
#define MB_ELF_BUILD_ID_MAX 64 /* longest build id kept (GNU ld writes 20 bytes)      */
#define MB_ELF_MAX_SECTS 64   /* allocated sections kept; beyond, lookups stream them   */

struct mb_elf_load {
    uint64_t vaddr, memsz;    /* p_vaddr, p_memsz                                        */
    uint64_t offset, filesz;  /* p_offset, p_filesz                                      */
};

/* An allocated (SHF_ALLOC) section. .tbss is never one: it occupies no address space. */
struct mb_elf_sect {
    uint64_t addr, size;      /* sh_addr, sh_size (for SHT_NOBITS: memory, no file bytes) */
    uint32_t name;            /* offset of its name in the section name table            */
    uint32_t index;           /* section index, as symbols' st_shndx name it            */
    uint8_t exec, write, nobits;
};

struct mb_elf_symtab {
    uint64_t off, size;       /* the table's file bytes; size 0: absent                  */
    uint64_t str_off, str_size; /* its string table                                     */
};

struct mb_elf {
    /* source, set by the caller before mb__elf_parse and before every lookup */
    int fd;                   /* an open file, or -1 to read from mem                    */
    const unsigned char *mem; /* an image mapped readable in memory (fd < 0)             */
    size_t mem_size;

    /* filled by mb__elf_parse */
    struct mb_elf_load loads[MB_ELF_MAX_LOADS];
    unsigned nloads;
    uint64_t load_lo, load_hi; /* span of all PT_LOADs: page-rounded [lo, hi)            */
    uint64_t shoff;           /* section headers; shnum 0: none                          */
    uint32_t shnum, shstrndx;
    uint64_t shstr_off, shstr_size;
    struct mb_elf_sect sects[MB_ELF_MAX_SECTS];
    unsigned nsects;
    int sects_partial;        /* more allocated sections than sects[] holds              */
    struct mb_elf_symtab syms[2]; /* [0] .symtab, [1] .dynsym                             */
    uint8_t build_id[MB_ELF_BUILD_ID_MAX]; /* NT_GNU_BUILD_ID's bytes (from PT_NOTE)        */
    unsigned build_id_len;    /* 0: the module has none                                  */
};

/* Reads the ELF header, program headers and section headers. 0 on success, -1 when the
 * source is not a readable ELF64 little-endian executable or shared object. */
int mb__elf_parse(struct mb_elf *e);

/* Load bias of a module from one of its mappings (start address and file offset, as in
 * /proc/self/maps): the address of vaddr 0. For the mapping at file offset 0 this is
 * map_lo minus the lowest PT_LOAD vaddr rounded down to a page. 0 on success, -1 if no
 * PT_LOAD covers map_off. */
int mb__elf_bias(const struct mb_elf *e, uintptr_t map_lo, uint64_t map_off, uintptr_t *bias);

/* 1 when vaddr lies in the module's loaded span (for telling its .bss from an unrelated
 * anonymous mapping that happens to follow it). */
int mb__elf_in_image(const struct mb_elf *e, uint64_t vaddr);

/* The allocated section holding vaddr: 1 and *out, or 0 when none. */
int mb__elf_section(const struct mb_elf *e, uint64_t vaddr, struct mb_elf_sect *out);

/* A section's name into buf (NUL-terminated, cut to cap); "" when unknown. */
void mb__elf_section_name(const struct mb_elf *e, const struct mb_elf_sect *s, char *buf,
                          size_t cap);

/* Code: a sized function holding vaddr wins; else the nearest label (size 0: assembler
 * labels) before vaddr in sect names it, with an offset, but never past the end of a sized
 * function: a pc beyond a function's size and inside no other is named by its module and
 * offset only. Data: the nearest data symbol before vaddr in sect, whatever its size
 * (NASM's data labels have size 0, 1, or that of their first item). */
enum mb_elf_symkind {
    MB_ELF_SYM_CODE, /* STT_FUNC, or in an executable section STT_NOTYPE (assembler labels) */
    MB_ELF_SYM_DATA, /* STT_OBJECT or STT_NOTYPE in sect, a section that is not executable  */
};

/* The symbol at vaddr from .symtab, else .dynsym. sect is the section holding vaddr (NULL
 * when unknown: then only typed, sized-or-preceding functions are considered). Returns 1
 * with its value in *value and its name in buf (NUL-terminated, cut to cap), 0 when none. */
int mb__elf_symbol(const struct mb_elf *e, uint64_t vaddr, enum mb_elf_symkind kind,
                   const struct mb_elf_sect *sect, uint64_t *value, char *buf, size_t cap);

#endif
