/* The CFI interpreter (src/check/cfi.c) on this program's own .eh_frame: at a known point
 * of functions of three shapes (a small frame, a large one, one with alloca that keeps
 * its CFA on rbp), the rule it derives must find the real return address, and, where rbp
 * is the CFA register, the caller's rbp. Lookups outside every FDE, and tables cut short,
 * must fail without reading out of bounds. */
#include "check.h"
#include "internal.h"

#include <alloca.h>
#include <link.h>
#include <string.h>

static uintptr_t hdr, span_lo, span_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    span_lo = UINTPTR_MAX;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_GNU_EH_FRAME) hdr = a;
        if (ph->p_type != PT_LOAD) continue;
        if (a < span_lo) span_lo = a;
        if (a + ph->p_memsz > span_hi) span_hi = a + ph->p_memsz;
    }
    return 1; /* the first object is the program */
}

/* The registers right here: the pc of the instruction after the lea, rsp and rbp. */
#define HERE(pc, sp, bp) \
    __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" : "=r"(pc), "=r"(sp), "=r"(bp))

/* The rule at pc applied to (sp, bp): does it find ret (and the caller's rbp)? */
static void check_rule(const char *what, uintptr_t pc, uintptr_t sp, uintptr_t bp, void *ret,
                       uintptr_t caller_bp)
{
    struct mb_cfi_rule r;
    int found = mb__cfi_find(hdr, span_lo, span_hi, pc, &r);
    CHECKF(found == 1, "%s: mb__cfi_find says %d", what, found);
    if (found != 1) return;
    uintptr_t cfa = (r.cfa_rbp ? bp : sp) + (uintptr_t)(intptr_t)r.cfa_off;
    CHECKF(r.ra_off == -8, "%s: return address at CFA%+d", what, r.ra_off);
    CHECKF(*(void **)(cfa + (uintptr_t)(intptr_t)r.ra_off) == ret, "%s: the rule misses the return address", what);
    if (r.cfa_rbp) {
        CHECKF(r.rbp_off != 0, "%s: CFA on rbp, but rbp not saved", what);
        if (r.rbp_off) CHECKF(*(uintptr_t *)(cfa + (uintptr_t)(intptr_t)r.rbp_off) == caller_bp, "%s: caller's rbp", what);
    }
}

static uintptr_t outer_bp;

__attribute__((noinline)) static int small_frame(int x)
{
    uintptr_t pc, sp, bp;
    HERE(pc, sp, bp);
    check_rule("small frame", pc, sp, bp, __builtin_return_address(0), outer_bp);
    return x + 1;
}

__attribute__((noinline)) static int large_frame(int x)
{
    volatile char buf[5000];
    buf[x] = 1;
    uintptr_t pc, sp, bp;
    HERE(pc, sp, bp);
    check_rule("large frame", pc, sp, bp, __builtin_return_address(0), outer_bp);
    return buf[x] + small_frame(x);
}

__attribute__((noinline)) static int alloca_frame(int n)
{
    volatile char *p = alloca((size_t)n);
    p[0] = 1;
    uintptr_t pc, sp, bp;
    HERE(pc, sp, bp);
    check_rule("alloca frame", pc, sp, bp, __builtin_return_address(0), outer_bp);
    return p[0] + large_frame(n);
}

int main(int argc, char **argv)
{
    (void)argv;
    dl_iterate_phdr(find_self, NULL);
    CHECK(hdr != 0 && span_lo < hdr && hdr < span_hi);
    if (!hdr) return check_done("cfi");
    uintptr_t pc, sp, bp;
    HERE(pc, sp, bp);
    outer_bp = bp;
    (void)pc, (void)sp;
    CHECK(alloca_frame(argc + 100) == argc + 103);

    /* At a function's first instruction: CFA = rsp + 8, rbp untouched. */
    struct mb_cfi_rule r;
    CHECK(mb__cfi_find(hdr, span_lo, span_hi, (uintptr_t)&small_frame, &r) == 1);
    CHECK(!r.cfa_rbp && r.cfa_off == 8 && r.ra_off == -8 && r.rbp_off == 0);
    /* Below the program: no FDE. Data is no function either. */
    CHECK(mb__cfi_find(hdr, span_lo, span_hi, span_lo, &r) == 0);
    CHECK(mb__cfi_find(hdr, span_lo, span_hi, (uintptr_t)&outer_bp, &r) <= 0);
    /* Tables cut short: nothing found, nothing read beyond. */
    CHECK(mb__cfi_find(hdr, span_lo, hdr + 6, (uintptr_t)&small_frame, &r) <= 0);
    CHECK(mb__cfi_find(hdr, hdr + 1, span_hi, (uintptr_t)&small_frame, &r) <= 0);
    /* A damaged copy of the header: a wrong version, a wrong table encoding. */
    uint8_t copy[64];
    memcpy(copy, (const void *)hdr, sizeof copy);
    copy[0] = 2;
    CHECK(mb__cfi_find((uintptr_t)copy, (uintptr_t)copy, (uintptr_t)copy + sizeof copy,
                       (uintptr_t)&small_frame, &r) == 0);
    return check_done("cfi");
}
