/* The program's own mmap'd memory, for leak_scan_mmap=0.
 *
 * By default every writable mapping is a root of the leak scan, the program's mmap'd
 * memory included, as in Valgrind (Python, for one, keeps its objects there). A program
 * whose mmap'd memory holds stale words (a custom allocator's free space) can say
 * leak_scan_mmap=0: then what it maps through mmap is not scanned. To know which mappings
 * are the program's, mmap, mmap64, mremap and munmap are wrapped here (the C library's own
 * mappings, made through its internal calls, are not seen and stay roots). The wrappers
 * are weak, so that a fully static program keeps the C library's. They record only in
 * check mode with leak_scan_mmap=0; otherwise they are the system call and nothing else. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MMAP_MAX 4096 /* mappings remembered; beyond, a mapping is scanned as a root */

static struct {
    uintptr_t lo, hi; /* lo == 0: a free entry */
} maps[MMAP_MAX];
static mb_lock maps_lock; /* not taken by the leak scan: it reads with the world stopped */

static int tracking(void)
{
    return atomic_load_explicit(&mb__init_state, memory_order_acquire) == 2 && mb__check_mode &&
           !mb__opt.leak_scan_mmap;
}

/* Forget [a, b); a mapping cut in the middle becomes two. */
static void forget(uintptr_t a, uintptr_t b)
{
    for (unsigned i = 0; i < MMAP_MAX; i++) {
        uintptr_t lo = maps[i].lo, hi = maps[i].hi;
        if (!lo || b <= lo || a >= hi) continue;
        if (a <= lo && b >= hi) {
            maps[i].lo = 0;
        } else if (a <= lo) {
            maps[i].lo = b;
        } else if (b >= hi) {
            maps[i].hi = a;
        } else {
            maps[i].hi = a;
            for (unsigned k = 0; k < MMAP_MAX; k++)
                if (!maps[k].lo) {
                    maps[k].lo = b, maps[k].hi = hi;
                    break;
                }
        }
    }
}

static void remember(uintptr_t lo, size_t len)
{
    uintptr_t hi = lo + mb__align_up(len, MB_PAGE_SIZE);
    mb__lock(&maps_lock);
    forget(lo, hi); /* MAP_FIXED over an old mapping */
    for (unsigned i = 0; i < MMAP_MAX; i++)
        if (!maps[i].lo) {
            maps[i].lo = lo, maps[i].hi = hi;
            break;
        }
    mb__unlock(&maps_lock);
}

static long sys_result(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

__attribute__((weak)) MB_API void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long r = sys_result(syscall(SYS_mmap, addr, len, prot, flags, fd, off));
    if (r != -1 && tracking()) remember((uintptr_t)r, len);
    return (void *)r;
}

__attribute__((weak)) MB_API void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

__attribute__((weak)) MB_API int munmap(void *addr, size_t len)
{
    long r = sys_result(syscall(SYS_munmap, addr, len));
    if (r == 0 && tracking()) {
        mb__lock(&maps_lock);
        forget((uintptr_t)addr, (uintptr_t)addr + mb__align_up(len, MB_PAGE_SIZE));
        mb__unlock(&maps_lock);
    }
    return (int)r;
}

__attribute__((weak)) MB_API void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    long r = sys_result(syscall(SYS_mremap, old, old_len, new_len, flags, new_addr));
    if (r != -1 && tracking()) {
        int ours = 0;
        mb__lock(&maps_lock);
        for (unsigned i = 0; i < MMAP_MAX && !ours; i++)
            ours = maps[i].lo && maps[i].lo <= (uintptr_t)old && (uintptr_t)old < maps[i].hi;
        forget((uintptr_t)old, (uintptr_t)old + mb__align_up(old_len, MB_PAGE_SIZE));
        mb__unlock(&maps_lock);
        if (ours) remember((uintptr_t)r, new_len);
    }
    return (void *)r;
}

unsigned mb__mmap_roots_skipped(uintptr_t *lo, uintptr_t *hi, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MMAP_MAX && n < max; i++)
        if (maps[i].lo) lo[n] = maps[i].lo, hi[n++] = maps[i].hi;
    return n;
}
