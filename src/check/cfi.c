/* The call-frame information of .eh_frame, read through .eh_frame_hdr's sorted table:
 * which FDE covers a pc, and what its CIE and FDE instructions say at that pc, reduced to
 * the rule the unwinder needs: CFA = rsp or rbp + offset, the return address and the
 * caller's rbp at fixed offsets from the CFA. Rules outside that shape (expressions, a
 * register copied into another) are refused: the unwinder falls back to frame pointers.
 *
 * Every byte read lies in [lo, hi), the module's mapped span, so a damaged table ends a
 * lookup, never the process. Nothing here allocates or takes a lock. */
#include "internal.h"

enum { DW_RBP = 6, DW_RSP = 7 }; /* DWARF register numbers of x86-64 */

struct cur {
    const uint8_t *p, *end;
    int bad; /* a read went past end: every later read yields 0 */
};

static uint64_t rd(struct cur *c, unsigned n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint64_t uleb(struct cur *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint64_t b = rd(c, 1);
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    c->bad = 1;
    return 0;
}

static int64_t sleb(struct cur *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint64_t b;
    do {
        b = rd(c, 1);
        if (shift < 64) v |= (b & 0x7f) << shift;
        shift += 7;
    } while ((b & 0x80) && !c->bad);
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

/* A pointer in DW_EH_PE encoding enc; datarel is the base of .eh_frame_hdr. Indirect and
 * text/func-relative encodings do not occur in the tables read here: refused. */
static uintptr_t ptr(struct cur *c, uint8_t enc, uintptr_t datarel)
{
    if (enc == 0xff) return 0; /* DW_EH_PE_omit */
    uintptr_t at = (uintptr_t)c->p, v;
    switch (enc & 0x0f) {
    case 0x00: v = (uintptr_t)rd(c, 8); break;                  /* absptr  */
    case 0x01: v = (uintptr_t)uleb(c); break;                   /* uleb128 */
    case 0x02: v = (uintptr_t)(uint16_t)rd(c, 2); break;        /* udata2  */
    case 0x03: v = (uintptr_t)(uint32_t)rd(c, 4); break;        /* udata4  */
    case 0x04: v = (uintptr_t)rd(c, 8); break;                  /* udata8  */
    case 0x09: v = (uintptr_t)sleb(c); break;                   /* sleb128 */
    case 0x0a: v = (uintptr_t)(int64_t)(int16_t)rd(c, 2); break;/* sdata2  */
    case 0x0b: v = (uintptr_t)(int64_t)(int32_t)rd(c, 4); break;/* sdata4  */
    case 0x0c: v = (uintptr_t)rd(c, 8); break;                  /* sdata8  */
    default: c->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += at; break;      /* pcrel   */
    case 0x30: v += datarel; break; /* datarel */
    default: c->bad = 1; return 0;
    }
    if (enc & 0x80) c->bad = 1; /* indirect */
    return v;
}

/* Rules of one row of the table, in the shape the unwinder keeps. */
struct row {
    int cfa_reg;
    int64_t cfa_off;
    int ra_how, rbp_how; /* 0 unchanged/undefined, 1 saved at CFA + off, -1 unusable */
    int64_t ra_off, rbp_off;
};

struct cie {
    int64_t code_align, data_align;
    unsigned ra_reg;
    uint8_t fde_enc;
    int has_z;
    const uint8_t *insns, *insns_end;
};

static int parse_cie(const uint8_t *at, uintptr_t lo, uintptr_t hi, struct cie *cie)
{
    struct cur c = {at, (const uint8_t *)hi, (uintptr_t)at < lo};
    uint32_t len = (uint32_t)rd(&c, 4);
    if (len == 0xffffffffu || c.bad || (size_t)(c.end - c.p) < len) return 0;
    c.end = c.p + len;
    if (rd(&c, 4) != 0) return 0; /* CIE id */
    unsigned version = (unsigned)rd(&c, 1);
    if (version != 1 && version != 3 && version != 4) return 0;
    const uint8_t *aug = c.p;
    while (rd(&c, 1) != 0 && !c.bad) {}
    if (version == 4 && (rd(&c, 1) != 8 || rd(&c, 1) != 0)) return 0; /* address, segment size */
    cie->code_align = (int64_t)uleb(&c);
    cie->data_align = sleb(&c);
    cie->ra_reg = version == 1 ? (unsigned)rd(&c, 1) : (unsigned)uleb(&c);
    cie->fde_enc = 0; /* absptr */
    cie->has_z = aug[0] == 'z';
    if (cie->has_z) {
        uint64_t n = uleb(&c);
        const uint8_t *data_end = c.p + n;
        if (c.bad || n > (size_t)(c.end - c.p)) return 0;
        for (const uint8_t *a = aug + 1; *a && !c.bad; a++) {
            if (*a == 'R') cie->fde_enc = (uint8_t)rd(&c, 1);
            else if (*a == 'L') rd(&c, 1);
            else if (*a == 'P') ptr(&c, (uint8_t)rd(&c, 1) & 0x7f, 0); /* skipped: indirect is fine */
            else if (*a != 'S' && *a != 'B') break; /* unknown: the length still skips it */
        }
        c.p = data_end;
    } else if (aug[0]) {
        return 0; /* an augmentation that cannot be skipped */
    }
    cie->insns = c.p;
    cie->insns_end = c.end;
    return !c.bad && cie->code_align > 0;
}

static void set_saved(struct row *r, unsigned reg, unsigned ra_reg, int how, int64_t off)
{
    if (reg == ra_reg) r->ra_how = how, r->ra_off = off;
    else if (reg == DW_RBP) r->rbp_how = how, r->rbp_off = off;
}

#define STATE_MAX 4 /* nesting of DW_CFA_remember_state */

/* Runs instructions [p, end) from location loc while loc <= pc. init: the row after the
 * CIE's instructions (DW_CFA_restore's target), NULL while running those. 0: unusable. */
static int run(const uint8_t *p, const uint8_t *end, const struct cie *cie, uintptr_t loc,
               uintptr_t pc, struct row *r, const struct row *init)
{
    struct cur c = {p, end, 0};
    struct row saved[STATE_MAX];
    unsigned depth = 0;
    while (c.p < c.end && !c.bad) {
        uint8_t op = (uint8_t)rd(&c, 1);
        uint64_t reg, delta = 0;
        switch (op >> 6) {
        case 1: delta = op & 0x3f; break;                         /* advance_loc */
        case 2:                                                   /* offset      */
            set_saved(r, op & 0x3f, cie->ra_reg, 1, (int64_t)uleb(&c) * cie->data_align);
            continue;
        case 3:                                                   /* restore     */
            if (!init) return 0;
            if ((op & 0x3f) == cie->ra_reg) r->ra_how = init->ra_how, r->ra_off = init->ra_off;
            else if ((op & 0x3f) == DW_RBP) r->rbp_how = init->rbp_how, r->rbp_off = init->rbp_off;
            continue;
        default:
            switch (op) {
            case 0x00: continue; /* nop */
            case 0x01: {         /* set_loc */
                uintptr_t to = ptr(&c, cie->fde_enc, 0);
                if (to > pc) return !c.bad;
                loc = to;
                continue;
            }
            case 0x02: delta = rd(&c, 1); break;
            case 0x03: delta = rd(&c, 2); break;
            case 0x04: delta = rd(&c, 4); break;
            case 0x05: reg = uleb(&c); set_saved(r, (unsigned)reg, cie->ra_reg, 1, (int64_t)uleb(&c) * cie->data_align); continue;
            case 0x11: reg = uleb(&c); set_saved(r, (unsigned)reg, cie->ra_reg, 1, sleb(&c) * cie->data_align); continue;
            case 0x2f: reg = uleb(&c); set_saved(r, (unsigned)reg, cie->ra_reg, 1, -(int64_t)uleb(&c) * cie->data_align); continue;
            case 0x06:           /* restore_extended */
                reg = uleb(&c);
                if (!init) return 0;
                if (reg == cie->ra_reg) r->ra_how = init->ra_how, r->ra_off = init->ra_off;
                else if (reg == DW_RBP) r->rbp_how = init->rbp_how, r->rbp_off = init->rbp_off;
                continue;
            case 0x07: case 0x08: /* undefined, same_value */
                set_saved(r, (unsigned)uleb(&c), cie->ra_reg, 0, 0);
                continue;
            case 0x09:            /* register: rbp or ra kept in another register */
                reg = uleb(&c);
                uleb(&c);
                set_saved(r, (unsigned)reg, cie->ra_reg, -1, 0);
                continue;
            case 0x0a:
                if (depth == STATE_MAX) return 0;
                saved[depth++] = *r;
                continue;
            case 0x0b: /* the whole row, the CFA rule too (epilogues in mid-function) */
                if (depth == 0) return 0;
                *r = saved[--depth];
                continue;
            case 0x0c: r->cfa_reg = (int)uleb(&c); r->cfa_off = (int64_t)uleb(&c); continue;
            case 0x12: r->cfa_reg = (int)uleb(&c); r->cfa_off = sleb(&c) * cie->data_align; continue;
            case 0x0d: r->cfa_reg = (int)uleb(&c); continue;
            case 0x0e: r->cfa_off = (int64_t)uleb(&c); continue;
            case 0x13: r->cfa_off = sleb(&c) * cie->data_align; continue;
            case 0x0f:            /* def_cfa_expression (PLT entries): not this shape */
                r->cfa_reg = -1;
                c.p += uleb(&c);
                continue;
            case 0x10: case 0x16: /* expression, val_expression */
                reg = uleb(&c);
                set_saved(r, (unsigned)reg, cie->ra_reg, -1, 0);
                c.p += uleb(&c);
                continue;
            case 0x14: case 0x15: /* val_offset(_sf): a value, not a slot */
                reg = uleb(&c);
                if (op == 0x14) uleb(&c); else sleb(&c);
                set_saved(r, (unsigned)reg, cie->ra_reg, -1, 0);
                continue;
            case 0x2e: uleb(&c); continue; /* GNU_args_size */
            default: return 0;
            }
        }
        /* An advance: the rows so far cover [loc, loc + delta). */
        loc += delta * (uint64_t)cie->code_align;
        if (loc > pc) return !c.bad;
    }
    return !c.bad && c.p <= c.end;
}

/* The FDE for pc from the binary search table of .eh_frame_hdr at hdr (only the
 * datarel|sdata4 table that every linker writes), or NULL. */
static const uint8_t *find_fde(uintptr_t hdr, uintptr_t lo, uintptr_t hi, uintptr_t pc)
{
    struct cur c = {(const uint8_t *)hdr, (const uint8_t *)hi, hdr < lo};
    uint8_t version = (uint8_t)rd(&c, 1), frame_enc = (uint8_t)rd(&c, 1);
    uint8_t count_enc = (uint8_t)rd(&c, 1), table_enc = (uint8_t)rd(&c, 1);
    if (version != 1 || table_enc != 0x3b) return NULL;
    ptr(&c, frame_enc, hdr);
    uintptr_t count = ptr(&c, count_enc, hdr);
    if (c.bad || count == 0 || count > (uintptr_t)(c.end - c.p) / 8) return NULL;
    const int32_t *t = (const int32_t *)c.p; /* pairs: initial location, FDE (hdr-relative) */
    size_t a = 0, b = count;
    while (b - a > 1) {
        size_t m = a + (b - a) / 2;
        if (hdr + (intptr_t)t[2 * m] <= pc) a = m;
        else b = m;
    }
    if (hdr + (intptr_t)t[2 * a] > pc) return NULL;
    uintptr_t fde = hdr + (intptr_t)t[2 * a + 1];
    return fde >= lo && fde < hi ? (const uint8_t *)fde : NULL;
}

int mb__cfi_find(uintptr_t hdr, uintptr_t lo, uintptr_t hi, uintptr_t pc, struct mb_cfi_rule *out)
{
    const uint8_t *fde = find_fde(hdr, lo, hi, pc);
    if (!fde) return 0;
    struct cur c = {fde, (const uint8_t *)hi, 0};
    uint32_t len = (uint32_t)rd(&c, 4);
    if (len == 0 || len == 0xffffffffu || c.bad || (size_t)(c.end - c.p) < len) return -1;
    c.end = c.p + len;
    const uint8_t *id_at = c.p;
    uint32_t cie_off = (uint32_t)rd(&c, 4);
    struct cie cie;
    if (!cie_off || (uintptr_t)id_at - cie_off < lo || !parse_cie(id_at - cie_off, lo, hi, &cie))
        return -1;
    uintptr_t begin = ptr(&c, cie.fde_enc, 0);
    uintptr_t range = ptr(&c, cie.fde_enc & 0x0f, 0);
    if (c.bad || pc < begin || pc - begin >= range) return 0; /* a gap between functions */
    if (cie.has_z) c.p += uleb(&c);
    if (c.bad || c.p > c.end) return -1;
    struct row r = {DW_RSP, 8, 0, 0, 0, 0}, init;
    if (!run(cie.insns, cie.insns_end, &cie, 0, (uintptr_t)-1, &r, NULL)) return -1;
    init = r;
    if (!run(c.p, c.end, &cie, begin, pc, &r, &init)) return -1;
    if ((r.cfa_reg != DW_RSP && r.cfa_reg != DW_RBP) || r.ra_how < 0 || r.rbp_how < 0)
        return -1;
    if (r.cfa_off < -(1 << 22) || r.cfa_off >= (1 << 22) || r.ra_off < -1024 || r.ra_off > 0 ||
        r.rbp_off < -1024 || r.rbp_off > 0)
        return -1; /* beyond the cached rule's fields */
    out->cfa_rbp = r.cfa_reg == DW_RBP;
    out->cfa_off = (int32_t)r.cfa_off;
    out->ra_off = r.ra_how ? (int32_t)r.ra_off : 0; /* 0: undefined, the outermost frame */
    out->rbp_off = r.rbp_how ? (int32_t)r.rbp_off : 0;
    return 1;
}
