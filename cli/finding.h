/* memboss command — the findings of a run, as the command holds them after the run.
 *
 * The runtime writes each process's reports (docs/report-format.md) into the run's
 * directory, one file per process, with machine lines (docs/events.md) the user never sees.
 * report_parse.c reads them into these structures; symbolize.c and disasm.c fill in what
 * needs real libraries (source lines, instructions); suppress.c marks what the user
 * suppressed; the renderers (render_text.c, render_json.c, render_sarif.c, render_html.c)
 * only read them. Every string is owned by the finding (freed by cli_findings_free). */
#ifndef CLI_FINDING_H
#define CLI_FINDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One frame of a stack, as the runtime recorded it, then symbolized. */
struct cli_frame {
    uint64_t pc;        /* the address in the process                                   */
    int is_return;      /* a return address (every frame but #0): its call is at pc - 1 */
    char *module;       /* path of the module holding pc, NULL when none                */
    uint64_t module_off; /* pc - the module's load base (ELF virtual address space)      */
    char *build_id;     /* hex, NULL when the module has none or it was not recorded    */
    char *function;     /* from the runtime's line (ELF symbol), NULL when unnamed      */
    uint64_t function_off;
    /* Filled by symbolize.c from DWARF; NULL/0 when the module has no line information. */
    char *src_function; /* DWARF subprogram name (demangled), NULL if none             */
    char *file;         /* absolute or as recorded in DWARF                             */
    int line;           /* 0: unknown                                                   */
    int column;         /* 0: unknown                                                   */
};

struct cli_stack {
    char *title; /* "WRITE at 0x... by thread 4242:", "the block was allocated by thread 4242:" */
    int tid;     /* 0 when the title names no thread                                     */
    size_t n;
    struct cli_frame *frames;
};

/* A register at the fault and what memboss saw in it. */
enum cli_reg_mark {
    CLI_REG_PLAIN,
    CLI_REG_NULL,       /* zero, or within the first page                                */
    CLI_REG_HEAP,       /* points into a live heap block                                 */
    CLI_REG_FREED,      /* points into a freed block (quarantine)                        */
    CLI_REG_FILL_FRESH, /* carries the fresh fill pattern (never-written memory)         */
    CLI_REG_FILL_FREED  /* carries the free fill pattern                                  */
};
struct cli_reg {
    char name[8]; /* "rax" ... "r15", "rip", "rsp", "rbp" */
    uint64_t value;
    enum cli_reg_mark mark;
};

/* The instruction at a fault, from disasm.c. */
struct cli_insn {
    uint64_t pc;
    unsigned char bytes[16];
    size_t nbytes;     /* bytes the runtime copied from pc (0: none)                    */
    size_t length;     /* of the decoded instruction; 0 when it did not decode          */
    char *text;        /* "mov qword ptr [rax], rcx" in the chosen syntax               */
    int access_size;   /* bytes of the memory operand, 0 when none                       */
    int is_write;      /* the memory operand is written                                 */
    char *explanation; /* "an 8-byte write at offset 0 of a 2-byte block: 6 bytes past its end" */
};

/* One region of the process at the finding (--show-map). */
struct cli_region {
    uint64_t lo, hi;
    char perms[5];
    uint64_t offset;
    char *path;  /* the mapped file, "[heap]", "[stack]", or NULL                       */
    char *kind;  /* the runtime's class of the region (docs/events.md: file, heap, guard...) */
    char *label; /* what the post's picture calls it: ".text of prog", ".bss of prog",
                  * "heap (memboss)", "stack of thread 4242", "guard page", "mmap" ... */
    int has_addr; /* the finding's address lies in it                                  */
};

/* A line of the report body, in order: text, or a stack (index into stacks). */
struct cli_item {
    char *text;   /* the line without "==PID== " and without its two-space indent     */
    int stack;    /* -1 for a text line, else an index into cli_finding.stacks          */
};

struct cli_finding {
    int pid;
    char *kind;          /* "heap-buffer-overflow", "leak", ... (docs/report-format.md)   */
    int is_error;        /* ERROR (counted) or INFO                                      */
    int complete;        /* the END line was seen (a killed process may cut a report)    */
    size_t nitems;
    struct cli_item *items;
    size_t nstacks;
    struct cli_stack *stacks;
    /* Access faults only (has_access): */
    int has_access;
    uint64_t access_addr;
    int access_tid;
    char access_how[8]; /* "read", "write", "free" (a pointer given to free/realloc), "" unknown */
    size_t nregs;
    struct cli_reg *regs;
    struct cli_insn insn; /* insn.nbytes == 0: no instruction recorded                   */
    /* The block the address or pointer concerns (has_block): */
    int has_block;
    uint64_t block_addr;
    uint64_t block_size;
    int block_freed;
    /* Leaks only: */
    uint64_t leak_bytes;
    uint64_t leak_blocks;
    char leak_kind[12]; /* "definite", "indirect", "possible", "reachable"                */
    /* --show-map: */
    size_t nregions;
    struct cli_region *regions;
    /* suppress.c: */
    const char *suppressed_by; /* the name of the matching suppression, NULL when shown */
};

/* Every finding of a run, in order (by process, then as written). */
struct cli_findings {
    size_t n;
    struct cli_finding *v;
    unsigned long long processes; /* processes that had findings (suppressed or not) */
};

/* ---- report_parse.c -------------------------------------------------------------------- */
/* Reads every process's report file in dir into all (appending). Returns 0, -1 on error. */
int cli_findings_read_dir(const char *dir, struct cli_findings *all);
/* Frame 0 of a finding's first stack: where it happened, as precisely as known. */
const struct cli_frame *cli_finding_top(const struct cli_finding *f);
void cli_findings_free(struct cli_findings *all);

/* ---- symbolize.c (elfutils libdw) ------------------------------------------------------- */
/* Fills src_function, file, line, column of every frame whose module has DWARF line
 * information (for a return address, of the call before it). Opens each module once. */
void cli_symbolize_findings(struct cli_findings *all);
/* The text of line `line` of file (without its newline), or NULL when the file cannot be
 * read or is shorter; the caller frees it. */
char *cli_source_line(const char *file, int line);

/* ---- disasm.c (capstone) ---------------------------------------------------------------- */
/* Decodes f->insn.bytes: fills text (Intel syntax, or AT&T when att), access_size,
 * is_write and, with the finding's block, the explanation in words. */
void cli_disasm_finding(struct cli_finding *f, int att);

/* ---- suppress.c ------------------------------------------------------------------------- */
/* Reads a suppressions file (docs/suppressions.md); dies with a usage message on a bad one. */
void cli_suppress_load(const char *path);
/* Sets suppressed_by on every finding a loaded suppression matches. */
void cli_suppress_apply(struct cli_findings *all);
/* Writes a ready suppression entry for f (--gen-suppressions=yes). */
void cli_suppress_write_entry(FILE *out, const struct cli_finding *f);

/* ---- renderers -------------------------------------------------------------------------- */
struct cli_render_opts {
    int color;            /* ANSI colors in text                                     */
    int show_map;         /* print the memory map of findings that have one          */
    int gen_suppressions; /* a suppression entry after each shown finding            */
    int att;              /* AT&T syntax for instructions                            */
};
/* Text as docs/report-format.md shows it, with source lines, instructions and (show_map)
 * the map; suppressed findings are left out and counted in the last line. */
void cli_render_text(FILE *out, const struct cli_findings *all, const struct cli_render_opts *o);
int cli_render_json(const char *path, const struct cli_findings *all);  /* 0 or -1 */
int cli_render_sarif(const char *path, const struct cli_findings *all); /* SARIF 2.1.0 */
int cli_render_html(const char *path, const struct cli_findings *all);  /* one page */

#endif
