/* The instruction at a fault (cli/disasm.c): text in NASM-style Intel and AT&T syntax, the
 * size and direction of the memory access, and the explanation in words. */
#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"
#include "finding.h"

/* A finding whose instruction is the given bytes at pc 0x401000. */
static void set_insn(struct cli_finding *f, const char *bytes, size_t n)
{
    free(f->insn.text);
    free(f->insn.explanation);
    memset(f, 0, sizeof *f);
    f->insn.pc = 0x401000;
    memcpy(f->insn.bytes, bytes, n);
    f->insn.nbytes = n;
}

static int text_is(const struct cli_finding *f, const char *want)
{
    return f->insn.text && strcmp(f->insn.text, want) == 0;
}

static int explained(const struct cli_finding *f, const char *want)
{
    return f->insn.explanation && strcmp(f->insn.explanation, want) == 0;
}

static void decoding(void)
{
    struct cli_finding f = {0};

    set_insn(&f, "\x48\x89\x08", 3); /* mov qword [rax], rcx */
    cli_disasm_finding(&f, 0);
    CHECKF(text_is(&f, "mov qword [rax], rcx"), "text %s", f.insn.text);
    CHECK(f.insn.length == 3 && f.insn.access_size == 8 && f.insn.is_write == 1);
    cli_disasm_finding(&f, 1);
    CHECKF(text_is(&f, "movq %rcx, (%rax)"), "AT&T text %s", f.insn.text);
    CHECK(f.insn.access_size == 8 && f.insn.is_write == 1);

    set_insn(&f, "\x8b\x47\x10\x90", 4); /* mov eax, dword [rdi + 0x10]; then a nop */
    cli_disasm_finding(&f, 0);
    CHECKF(text_is(&f, "mov eax, dword [rdi + 0x10]"), "text %s", f.insn.text);
    CHECK(f.insn.length == 3 && f.insn.access_size == 4 && f.insn.is_write == 0);

    set_insn(&f, "\xa4", 1); /* movsb: reads [rsi], writes [rdi] */
    cli_disasm_finding(&f, 0);
    CHECKF(f.insn.text && strncmp(f.insn.text, "movsb", 5) == 0 && !strstr(f.insn.text, "ptr"),
           "text %s", f.insn.text);
    CHECK(f.insn.access_size == 1 && f.insn.is_write == 1);
    /* the registers say the fault was the read through rsi */
    struct cli_reg regs[2] = {{"rsi", 0x5000, CLI_REG_PLAIN}, {"rdi", 0x9000, CLI_REG_PLAIN}};
    f.regs = regs;
    f.nregs = 2;
    f.has_access = 1;
    f.access_addr = 0x5000;
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.access_size == 1 && f.insn.is_write == 0);
    f.access_addr = 0x9000;
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.access_size == 1 && f.insn.is_write == 1);
    f.regs = NULL;
    f.nregs = 0;

    set_insn(&f, "\x53", 1); /* push rbx: an 8-byte write to the stack */
    cli_disasm_finding(&f, 0);
    CHECKF(text_is(&f, "push rbx"), "text %s", f.insn.text);
    CHECK(f.insn.access_size == 8 && f.insn.is_write == 1);

    set_insn(&f, "\x5b", 1); /* pop rbx */
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.access_size == 8 && f.insn.is_write == 0);

    set_insn(&f, "\xe8\x00\x00\x00\x00", 5); /* call: pushes the return address */
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.access_size == 8 && f.insn.is_write == 1);

    set_insn(&f, "\xc5\xfe\x6f\x07", 4); /* vmovdqu ymm0, yword [rdi] */
    cli_disasm_finding(&f, 0);
    CHECKF(text_is(&f, "vmovdqu ymm0, yword [rdi]"), "text %s", f.insn.text);
    CHECK(f.insn.access_size == 32 && f.insn.is_write == 0);

    set_insn(&f, "\xc5\xf9\x7f\x06", 4); /* vmovdqa oword [rsi], xmm0 */
    cli_disasm_finding(&f, 0);
    CHECKF(text_is(&f, "vmovdqa oword [rsi], xmm0"), "text %s", f.insn.text);
    CHECK(f.insn.access_size == 16 && f.insn.is_write == 1);

    set_insn(&f, "\x48\x8d\x04\x24", 4); /* lea rax, [rsp]: touches no memory */
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.length == 4 && f.insn.access_size == 0);

    set_insn(&f, "\x06", 1); /* push es: not an instruction in 64-bit mode */
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.length == 0 && f.insn.text == NULL && f.insn.access_size == 0);

    set_insn(&f, "\x48", 1); /* a prefix cut short */
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.length == 0 && f.insn.text == NULL);

    set_insn(&f, "", 0); /* nothing recorded */
    cli_disasm_finding(&f, 0);
    CHECK(f.insn.length == 0 && f.insn.text == NULL && f.insn.explanation == NULL);
    set_insn(&f, "", 0);
}

static void explanations(void)
{
    struct cli_finding f = {0};

    set_insn(&f, "\x48\x89\x08", 3); /* an 8-byte write */
    f.has_access = 1;
    f.has_block = 1;
    f.block_addr = 0x10000;
    f.block_size = 2;
    f.access_addr = 0x10000;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "an 8-byte write at offset 0 of a 2-byte block: 6 bytes past its end"),
           "overflow: %s", f.insn.explanation);

    /* The store straddles into the guard page after the block: the CPU reports the page's
     * first byte (offset 2), the operand [rax] says where the access began. */
    struct cli_reg rax = {"rax", 0x10000, CLI_REG_HEAP};
    f.regs = &rax;
    f.nregs = 1;
    f.access_addr = 0x10002;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "an 8-byte write at offset 0 of a 2-byte block: 6 bytes past its end"),
           "straddling overflow: %s", f.insn.explanation);
    /* A general-protection fault (no address from the CPU) through a garbage pointer. */
    struct cli_finding g = {0};
    set_insn(&g, "\x0f\xb6\x31", 3); /* movzx esi, byte [rcx] */
    struct cli_reg rcx = {"rcx", 0xbebebebebebebebeull, CLI_REG_FILL_FRESH};
    g.regs = &rcx;
    g.nregs = 1;
    g.has_access = 1;
    cli_disasm_finding(&g, 0);
    CHECKF(explained(&g, "a 1-byte read at address 0xbebebebebebebebe (non-canonical: no memory can be there)"),
           "general-protection fault: %s", g.insn.explanation);
    set_insn(&g, "", 0);

    f.regs = NULL;
    f.nregs = 0;
    f.access_addr = 0x10000;

    f.block_size = 64;
    f.block_freed = 1;
    f.access_addr = 0x10008;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "an 8-byte write at offset 8 of a 64-byte block, freed"), "freed: %s",
           f.insn.explanation);

    set_insn(&f, "\x8b\x47\x10", 3); /* a 4-byte read */
    f.has_access = 1;
    f.has_block = 1;
    f.block_addr = 0x20010;
    f.block_size = 32;
    f.access_addr = 0x20000;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "a 4-byte read 16 bytes before a 32-byte block"), "underflow: %s",
           f.insn.explanation);

    f.access_addr = 0x2002e; /* offset 30: 2 of the 4 bytes are past the end */
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "a 4-byte read at offset 30 of a 32-byte block: 2 bytes past its end"),
           "partial overflow: %s", f.insn.explanation);

    set_insn(&f, "\x48\x8b\x18", 3); /* mov rbx, qword [rax] */
    f.has_access = 1;
    f.access_addr = 0;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "an 8-byte read at address 0x0 (NULL)"), "NULL: %s", f.insn.explanation);

    f.access_addr = 0x18;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "an 8-byte read at address 0x18 (NULL + 24)"), "near NULL: %s",
           f.insn.explanation);

    /* an instruction that does not decode: the runtime's word for the access, no size */
    set_insn(&f, "\x06", 1);
    f.has_access = 1;
    strcpy(f.access_how, "write");
    f.has_block = 1;
    f.block_addr = 0x30000;
    f.block_size = 11;
    f.access_addr = 0x30004;
    cli_disasm_finding(&f, 0);
    CHECKF(explained(&f, "a write at offset 4 of an 11-byte block"), "undecoded: %s",
           f.insn.explanation);
    set_insn(&f, "", 0);
}

int main(void)
{
    decoding();
    explanations();
    return check_done("disasm");
}
