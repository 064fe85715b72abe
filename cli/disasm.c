/* memboss command — the instruction at a fault, decoded with capstone, and the access it
 * made told in words ("an 8-byte write at offset 0 of a 2-byte block: 6 bytes past its end").
 *
 * Intel text is written the way NASM users write it: capstone's "qword ptr [rax]" loses its
 * "ptr", and the vector sizes take NASM's names (oword, yword, zword, tword). */
#include "finding.h"

#include <capstone/capstone.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Capstone's size keyword -> NASM's. Keywords not listed are the same in both. */
static const char *nasm_size_name(const char *word, size_t len)
{
    static const char *const map[][2] = {
        {"xmmword", "oword"}, {"ymmword", "yword"}, {"zmmword", "zword"}, {"xword", "tword"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i][0]) == len && memcmp(map[i][0], word, len) == 0)
            return map[i][1];
    return NULL;
}

/* Rewrites capstone's Intel operands in NASM's words: "SIZE ptr [..]" -> "SIZE [..]". */
static char *nasm_operands(const char *ops)
{
    size_t n = strlen(ops);
    char *out = cli_alloc(n + 1); /* the rewrite never makes the text longer */
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (!isalpha((unsigned char)ops[i])) {
            out[o++] = ops[i++];
            continue;
        }
        size_t j = i;
        while (j < n && isalnum((unsigned char)ops[j]))
            j++;
        int sized = strncmp(ops + j, " ptr ", 5) == 0;
        const char *nasm = sized ? nasm_size_name(ops + i, j - i) : NULL;
        if (nasm) {
            memcpy(out + o, nasm, strlen(nasm));
            o += strlen(nasm);
        } else {
            memcpy(out + o, ops + i, j - i);
            o += j - i;
        }
        i = sized ? j + 4 : j; /* skip " ptr", keep the space after it */
    }
    out[o] = '\0';
    return out;
}

/* The value of a 64-bit register at the fault, from the finding's registers. */
static int reg_value(const struct cli_finding *f, const char *name, uint64_t *v)
{
    for (size_t i = 0; i < f->nregs; i++)
        if (strcmp(f->regs[i].name, name) == 0) {
            *v = f->regs[i].value;
            return 1;
        }
    return 0;
}

/* The address a memory operand names, when every register in it is known (rip-relative:
 * from the instruction's end). */
static int operand_addr(csh h, const struct cli_finding *f, const cs_insn *in, const cs_x86_op *op,
                        uint64_t *addr)
{
    uint64_t a = (uint64_t)op->mem.disp, v;
    if (op->mem.segment != X86_REG_INVALID)
        return 0; /* fs:/gs: bases are not among the registers recorded */
    if (op->mem.base == X86_REG_RIP)
        a += in->address + in->size;
    else if (op->mem.base != X86_REG_INVALID) {
        if (!reg_value(f, cs_reg_name(h, op->mem.base), &v))
            return 0;
        a += v;
    }
    if (op->mem.index != X86_REG_INVALID) {
        if (!reg_value(f, cs_reg_name(h, op->mem.index), &v))
            return 0;
        a += v * (uint64_t)op->mem.scale;
    }
    *addr = a;
    return 1;
}

/* Instructions whose memory access is the stack, without a memory operand. */
static int stack_access(unsigned id, int *is_write)
{
    switch (id) {
    case X86_INS_PUSH: case X86_INS_PUSHFQ: case X86_INS_CALL:
        *is_write = 1;
        return 8;
    case X86_INS_POP: case X86_INS_POPFQ: case X86_INS_RET: case X86_INS_LEAVE:
        *is_write = 0;
        return 8;
    default:
        return 0;
    }
}

/* Fills access_size and is_write from the instruction decoded in Intel order (destination
 * first, whatever syntax the text is in). Among several memory operands
 * (movs, cmps) it takes the one that covers the faulting address, else the one that matches
 * how the runtime says the address was accessed, else the first. */
static void access_of(csh h, struct cli_finding *f, const cs_insn *in, uint64_t *start)
{
    const cs_x86 *x = &in->detail->x86;
    int want_write = strcmp(f->access_how, "write") == 0, want_read = strcmp(f->access_how, "read") == 0;
    int best = -1, best_score = -1;
    for (int i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        if (op->type != X86_OP_MEM || in->id == X86_INS_LEA || in->id == X86_INS_NOP)
            continue;
        int score = 0;
        uint64_t a;
        if (f->has_access && operand_addr(h, f, in, op, &a) && f->access_addr >= a &&
            f->access_addr < a + (op->size ? op->size : 1))
            score += 4;
        if ((want_write && (op->access & CS_AC_WRITE)) || (want_read && (op->access & CS_AC_READ)))
            score += 2;
        if (score > best_score) {
            best = i;
            best_score = score;
        }
    }
    if (best < 0) {
        f->insn.access_size = stack_access(in->id, &f->insn.is_write);
        if (!f->insn.access_size)
            f->insn.is_write = want_write;
        return;
    }
    const cs_x86_op *op = &x->operands[best];
    f->insn.access_size = op->size;
    /* The CPU reports the first byte that faulted: for an access that straddles into a
     * guard page that is the page's start, not the operand's address. */
    uint64_t a;
    if (best_score >= 4 && operand_addr(h, f, in, op, &a))
        *start = a;
    /* A general-protection fault names no address (access_how ""): the operand's is the one refused. */
    else if (!f->access_how[0] && operand_addr(h, f, in, op, &a))
        *start = a;
    if (op->access & CS_AC_WRITE)
        f->insn.is_write = 1;
    else if (best == 0 && x->op_count > 1 && strstr(in->mnemonic, "mov"))
        f->insn.is_write = 1; /* capstone 4 marks vector stores (movups [m], xmm) as reads */
    else if (op->access & CS_AC_READ)
        f->insn.is_write = 0;
    else if (want_write || want_read) /* capstone knows no access flags for it */
        f->insn.is_write = want_write;
    else /* the destination comes first in Intel order */
        f->insn.is_write = best == 0 && x->op_count > 1 && in->id != X86_INS_CMP && in->id != X86_INS_TEST;
}

/* "a" or "an" before a number of bytes as it is spoken: an 8, an 11, an 18, an 80..., an 11000. */
static const char *article(uint64_t n)
{
    char d[24];
    snprintf(d, sizeof d, "%llu", (unsigned long long)n);
    size_t len = strlen(d);
    if (d[0] == '8' || (len % 3 == 2 && d[0] == '1' && (d[1] == '1' || d[1] == '8')))
        return "an";
    return "a";
}

/* "an 8-byte write", "a write", "an access". */
static char *access_words(int size, const char *how)
{
    if (size > 0)
        return cli_format("%s %d-byte %s", article((uint64_t)size), size, how);
    return cli_format("%s %s", *how == 'a' ? "an" : "a", how);
}

/* The explanation from the access (size, direction) and the finding's address and block. */
/* a: the first byte the instruction accesses (the operand's address when known). */
static char *explain(const struct cli_finding *f, uint64_t a, int size, const char *how)
{
    char *acc = access_words(size, how), *s;
    if (f->has_block) {
        const char *freed = f->block_freed ? ", freed" : "";
        uint64_t bs = f->block_size, b = f->block_addr;
        if (a < b) {
            s = cli_format("%s %llu byte%s before %s %llu-byte block%s", acc,
                           (unsigned long long)(b - a), b - a == 1 ? "" : "s", article(bs),
                           (unsigned long long)bs, freed);
        } else {
            uint64_t off = a - b, end = off + (size > 0 ? (uint64_t)size : 1);
            /* past its end: the bytes of the access beyond the block's size */
            if (end > bs)
                s = cli_format("%s at offset %llu of %s %llu-byte block%s: %llu byte%s past its end",
                               acc, (unsigned long long)off, article(bs), (unsigned long long)bs,
                               freed, (unsigned long long)(end - bs), end - bs == 1 ? "" : "s");
            else
                s = cli_format("%s at offset %llu of %s %llu-byte block%s", acc,
                               (unsigned long long)off, article(bs), (unsigned long long)bs, freed);
        }
    } else if (a == 0) {
        s = cli_format("%s at address 0x0 (NULL)", acc);
    } else if (a < 4096) { /* the first page is never mapped: a field of a NULL pointer */
        s = cli_format("%s at address 0x%llx (NULL + %llu)", acc, (unsigned long long)a,
                       (unsigned long long)a);
    } else {
        /* x86-64 addresses are canonical: bits 63..47 all equal */
        uint64_t top = a >> 47;
        s = cli_format("%s at address 0x%llx%s", acc, (unsigned long long)a,
                       top == 0 || top == 0x1ffff ? "" : " (non-canonical: no memory can be there)");
    }
    free(acc);
    return s;
}

void cli_disasm_finding(struct cli_finding *f, int att)
{
    struct cli_insn *ins = &f->insn;
    free(ins->text);
    free(ins->explanation);
    ins->text = ins->explanation = NULL;
    ins->length = 0;
    ins->access_size = 0;
    ins->is_write = strcmp(f->access_how, "write") == 0;

    uint64_t start = f->access_addr;
    csh h;
    size_t nbytes = ins->nbytes < sizeof ins->bytes ? ins->nbytes : sizeof ins->bytes;
    if (nbytes && cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK) {
        cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
        cs_insn *in = NULL;
        if (cs_disasm(h, ins->bytes, nbytes, ins->pc, 1, &in) == 1) {
            ins->length = in->size;
            access_of(h, f, in, &start);
            if (att) { /* decoded again for the text alone */
                cs_free(in, 1);
                in = NULL;
                cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
                if (cs_disasm(h, ins->bytes, nbytes, ins->pc, 1, &in) != 1)
                    in = NULL;
            }
        }
        if (in) {
            if (!in->op_str[0])
                ins->text = cli_strdup(in->mnemonic);
            else {
                char *ops = att ? cli_strdup(in->op_str) : nasm_operands(in->op_str);
                ins->text = cli_format("%s %s", in->mnemonic, ops);
                free(ops);
            }
            cs_free(in, 1);
        }
        cs_close(&h);
    }
    if (!f->has_access || strcmp(f->access_how, "free") == 0)
        return;
    const char *how = ins->length ? (ins->is_write ? "write" : "read")
                                  : (f->access_how[0] ? f->access_how : "access");
    ins->explanation = explain(f, start, ins->access_size, how);
}
