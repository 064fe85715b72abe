/* unwritten_reads: reads of bytes never written, caught by the MMU in guarded blocks.
 *
 * A guarded block from malloc or realloc is handed out with its data pages still PROT_NONE
 * (guard.c's page state byte is PAGE_CLOSED). The first access to such a page faults:
 *   - a write: the page becomes read-write and is filled as it would have been at malloc
 *     (canary around the block, malloc_fill_byte in it); the instruction runs again;
 *   - a read of the block's bytes: nothing on that page was ever written, so the value
 *     read is garbage. Reported once per block; then the page is opened the same way and
 *     the program goes on.
 * memboss's own code never touches a closed page: the canary checks and fills and the
 * realloc copy below skip them (a closed page holds exactly what memboss would have
 * filled in). The kernel does not fault for a system call: read(2) into a closed page
 * fails with EFAULT, which is why the option is off by default. */
#include "internal.h"

#include <sched.h>
#include <string.h>

enum { PAGE_OPEN = 0, PAGE_CLOSED = 1, PAGE_OPENING = 2 };

static uint8_t *page_of(const void *p) { return (uint8_t *)((uintptr_t)p & ~(uintptr_t)(MB_PAGE_SIZE - 1)); }

/* Bytes from p to the end of its page, at most n. */
static size_t chunk_len(const uint8_t *p, size_t n)
{
    size_t room = MB_PAGE_SIZE - ((uintptr_t)p & (MB_PAGE_SIZE - 1));
    return room < n ? room : n;
}

int mb__unwritten_closed(const void *p)
{
    uint8_t *flag = mb__guard_page_flag((uintptr_t)p);
    return flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE) != PAGE_OPEN;
}

/* memset of the part of [lo, hi) that lies on page. */
static void fill_on_page(uint8_t *page, uint8_t *lo, uint8_t *hi, int byte)
{
    if (lo < page) lo = page;
    if (hi > page + MB_PAGE_SIZE) hi = page + MB_PAGE_SIZE;
    if (lo < hi) memset(lo, byte, (size_t)(hi - lo));
}

/* A page made accessible gets what mb__check_malloc gives an open block: canary before
 * and after the user bytes, malloc_fill_byte in them (the rest of the run is zeroes). */
static void fill_page(const struct mb_guarded *g, uint8_t *page)
{
    uint8_t *end = g->user + g->info.size;
    fill_on_page(page, g->user - mb__guard_head_len(g), g->user, MB_FILL_CANARY);
    if (mb__opt.malloc_fill_byte >= 0) fill_on_page(page, g->user, end, (int)mb__opt.malloc_fill_byte);
    fill_on_page(page, end, g->run + (size_t)g->npages * MB_PAGE_SIZE, MB_FILL_CANARY);
}

/* Open a page whose state this thread set to PAGE_OPENING. If the kernel refuses to split
 * the mapping once more (vm.max_map_count), the whole run is opened instead: that merges
 * mappings rather than adding one. */
static void open_page(const struct mb_guarded *g, uint8_t *page)
{
    uint8_t *flag = mb__guard_page_flag((uintptr_t)page);
    if (mb__os_protect(page, MB_PAGE_SIZE, 1) != 0) {
        mb__os_protect(g->run, (size_t)g->npages * MB_PAGE_SIZE, 1);
        for (uint32_t i = 0; i < g->npages; i++) {
            uint8_t *pg = g->run + (size_t)i * MB_PAGE_SIZE, *f = mb__guard_page_flag((uintptr_t)pg);
            uint8_t closed = PAGE_CLOSED;
            if (pg == page || !__atomic_compare_exchange_n(f, &closed, PAGE_OPENING, 0, __ATOMIC_ACQ_REL,
                                                           __ATOMIC_ACQUIRE))
                continue;
            fill_page(g, pg);
            __atomic_store_n(f, PAGE_OPEN, __ATOMIC_RELEASE);
        }
    }
    fill_page(g, page);
    __atomic_store_n(flag, PAGE_OPEN, __ATOMIC_RELEASE);
}

/* Take a closed page for opening: 1 when this thread must open it; 0 when it is open
 * (waiting while another thread opens it). */
static int take_page(uint8_t *flag)
{
    uint8_t st = PAGE_CLOSED;
    if (__atomic_compare_exchange_n(flag, &st, PAGE_OPENING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return 1;
    while (st == PAGE_OPENING) {
        sched_yield();
        st = __atomic_load_n(flag, __ATOMIC_ACQUIRE);
    }
    return 0;
}

/* ---- memboss's own accesses ------------------------------------------------------------ */

uint8_t *mb__unwritten_find_bad(const uint8_t *p, size_t n, uint8_t expect)
{
    if (!mb__opt.unwritten_reads) return mb__canary_find_bad(p, n, expect);
    for (size_t len; n; p += len, n -= len) {
        len = chunk_len(p, n);
        uint8_t *bad = mb__unwritten_closed(p) ? NULL : mb__canary_find_bad(p, len, expect);
        if (bad) return bad;
    }
    return NULL;
}

void mb__unwritten_fill(uint8_t *p, size_t n, uint8_t byte)
{
    for (size_t len; n; p += len, n -= len) {
        len = chunk_len(p, n);
        if (!mb__unwritten_closed(p)) memset(p, byte, len);
    }
}

/* realloc's copy: what the old block never wrote stays unwritten in the new one. */
void mb__unwritten_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t len; n; dst += len, src += len, n -= len) {
        len = chunk_len(src, n);
        if (mb__unwritten_closed(src)) continue;
        for (uint8_t *pg = page_of(dst); pg < dst + len; pg += MB_PAGE_SIZE) {
            uint8_t *flag = mb__guard_page_flag((uintptr_t)pg);
            if (flag && take_page(flag)) open_page(mb__guard_at((uintptr_t)pg), pg);
        }
        memcpy(dst, src, len);
    }
}

/* ---- the fault ---------------------------------------------------------------------------- */

static void report_read(const struct mb_guarded *g, uintptr_t addr, uintptr_t pc, uintptr_t fp, uintptr_t sp)
{
    if (!mb__report_begin(MB_FINDING_UNINITIALIZED_READ)) return;
    uintptr_t pcs[MB_STACK_MAX];
    unsigned n = mb__stack_walk(pc, fp, sp, pcs, 16);
    mb__check_describe_access(0, addr, pcs, n, NULL);
    mb__report_line("  a read of bytes never written: %p is at offset %lu of the %lu-byte block at %p, "
                    "on a page of it nothing was written to yet; the value read is garbage",
                    (void *)addr, (unsigned long)(addr - (uintptr_t)g->user), (unsigned long)g->info.size,
                    (void *)g->user);
    mb__report_stack("the block was allocated", g->info.alloc_stack, g->info.alloc_tid);
    mb__report_line("  (reported once per block; memboss made the page readable and the program went on)");
    mb__report_end();
}

int mb__unwritten_fault(uintptr_t addr, int is_write, uintptr_t pc, uintptr_t fp, uintptr_t sp)
{
    uint8_t *flag = mb__guard_page_flag(addr);
    struct mb_guarded *g = flag ? mb__guard_at(addr) : NULL;
    if (!g || __atomic_load_n(&g->info.state, __ATOMIC_ACQUIRE) != MB_BLOCK_LIVE ||
        addr >= (uintptr_t)g->run + (size_t)g->npages * MB_PAGE_SIZE)
        return 0;
    /* Open, yet the access faulted: another thread opened it meanwhile (run it again) or
     * the program protected it itself (not ours). Try the same kind of access. */
    uint8_t byte;
    if (!take_page(flag)) return mb__fault_probe((void *)addr, &byte, 1, is_write);
    int in_block = addr >= (uintptr_t)g->user && addr < (uintptr_t)g->user + g->info.size;
    if (!is_write && in_block && !g->info.read_reported) {
        g->info.read_reported = 1;
        report_read(g, addr, pc, fp, sp);
    }
    open_page(g, page_of((void *)addr));
    return 1;
}
