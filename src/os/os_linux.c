/* The OS contract on Linux: mappings, protection, output, thread ids. Nothing here may
 * allocate: these functions run inside malloc and inside the fault handler. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* memboss's metadata mappings (not its heap regions, which the region map knows), for the
 * leak scan: they hold no roots. A fixed table; a mapping that does not fit is not
 * recorded, and is then scanned as a root, which can only hide a leak. */
#define OWN_MAX 4096
static struct {
    _Atomic uintptr_t lo;
    uintptr_t hi;
} own[OWN_MAX];

static void own_add(void *p, size_t size)
{
    if (!p) return;
    for (unsigned i = 0; i < OWN_MAX; i++) {
        uintptr_t expect = 0;
        if (atomic_load_explicit(&own[i].lo, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&own[i].lo, &expect, 1)) {
            own[i].hi = (uintptr_t)p + size;
            atomic_store_explicit(&own[i].lo, (uintptr_t)p, memory_order_release);
            return;
        }
    }
}

/* Forget [p, p+size); a mapping trimmed at one end shrinks. */
static void own_remove(void *p, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = a + size;
    for (unsigned i = 0; i < OWN_MAX; i++) {
        uintptr_t lo = atomic_load_explicit(&own[i].lo, memory_order_acquire);
        if (lo <= 1 || a >= own[i].hi || b <= lo) continue;
        if (a <= lo && b >= own[i].hi) atomic_store(&own[i].lo, 0);
        else if (a <= lo) atomic_store(&own[i].lo, b);
        else if (b >= own[i].hi) own[i].hi = a;
    }
}

unsigned mb__os_own_mappings(uintptr_t *lo, uintptr_t *hi, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < OWN_MAX && n < max; i++) {
        uintptr_t l = atomic_load_explicit(&own[i].lo, memory_order_acquire);
        if (l <= 1) continue;
        lo[n] = l;
        hi[n++] = own[i].hi;
    }
    return n;
}

void *mb__os_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) return NULL;
    own_add(p, size);
    return p;
}

/* Over-map by `align` and trim both ends: the kernel gives no aligned placement. */
void *mb__os_map_aligned(size_t size, size_t align)
{
    size_t span = size + align;
    if (span < size) return NULL;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    if (p == MAP_FAILED) return NULL;
    uintptr_t start = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    size_t head = start - (uintptr_t)p, tail = span - head - size;
    if (head) munmap(p, head);
    if (tail) munmap((uint8_t *)start + size, tail);
    return (void *)start; /* segments and huge blocks: the region map knows them */
}

void *mb__os_reserve(size_t size)
{
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    own_add(p, size);
    return p;
}

int mb__os_unmap(void *p, size_t size)
{
    own_remove(p, size);
    return munmap(p, size);
}

int mb__os_protect(void *p, size_t size, int rw)
{
    return mprotect(p, size, rw ? PROT_READ | PROT_WRITE : PROT_NONE);
}

int mb__os_discard(void *p, size_t size) { return madvise(p, size, MADV_DONTNEED); }

/* One system call both drops the pages and makes the range inaccessible. */
int mb__os_discard_none(void *p, size_t size)
{
    void *q = mmap(p, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                   -1, 0);
    return q == MAP_FAILED ? -1 : 0;
}

void mb__os_write_all(int fd, const char *p, size_t n)
{
    int saved = errno;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        n -= (size_t)w;
    }
    errno = saved;
}

int mb__os_tid(void) { return (int)syscall(SYS_gettid); }

int mb__os_open_read(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }

ssize_t mb__os_read(int fd, void *buf, size_t n)
{
    ssize_t r;
    do r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

ssize_t mb__os_pread(int fd, void *buf, size_t n, off_t off)
{
    ssize_t r;
    do r = pread(fd, buf, n, off);
    while (r < 0 && errno == EINTR);
    return r;
}

void mb__os_close(int fd) { close(fd); }

/* environ is set before any constructor runs, but the loader may call malloc earlier;
 * then there is nothing to read and the defaults apply. */
const char *mb__os_getenv(const char *name)
{
    if (!environ) return NULL;
    size_t n = 0;
    while (name[n]) n++;
    for (char **e = environ; *e; e++) {
        const char *s = *e;
        size_t i = 0;
        while (i < n && s[i] == name[i]) i++;
        if (i == n && s[n] == '=') return s + n + 1;
    }
    return NULL;
}

/* Extend a mapping in place; fails (-1) when something else is mapped right after it.
 * errno is left as it was: a failure here is not the caller's failure. */
int mb__os_grow_in_place(void *p, size_t old_size, size_t new_size)
{
    int saved = errno;
    void *q = mremap(p, old_size, new_size, 0);
    errno = saved;
    return q == MAP_FAILED ? -1 : 0;
}

/* The fstat system call itself, without the C library's wrapper (it calls fstatat with a
 * "" path in the library's read-only data, which the kernel reads: a page fault and a
 * 64 KiB fault-around window of the C library made resident for nothing). */
int mb__os_fstat(int fd, struct stat *st)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_fstat), "D"((long)fd), "S"(st)
                     : "rcx", "r11", "memory");
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return 0;
}

/* Move a mapping to a new home of new_size bytes aligned to `align`, taking its pages
 * along (page tables move, no byte is copied). The destination is reserved first, since
 * mremap itself picks no aligned placement; MREMAP_FIXED replaces the reservation's
 * middle, and its ends are unmapped. Returns NULL, with the old mapping intact, on
 * failure. errno is left as it was. */
void *mb__os_move_aligned(void *p, size_t old_size, size_t new_size, size_t align)
{
    int saved = errno;
    size_t span = new_size + align;
    void *q = MAP_FAILED;
    uint8_t *r = span < new_size ? MAP_FAILED
                                 : mmap(NULL, span, PROT_NONE,
                                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r != MAP_FAILED) {
        uintptr_t start = ((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1);
        q = mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start);
        if (q == MAP_FAILED) {
            munmap(r, span);
        } else {
            size_t head = start - (uintptr_t)r, tail = span - head - new_size;
            if (head) munmap(r, head);
            if (tail) munmap((uint8_t *)start + new_size, tail);
        }
    }
    errno = saved;
    return q == MAP_FAILED ? NULL : q;
}

/* Ask for transparent huge pages on [p, p+size): one fault then fills 2 MiB, not 4 KiB.
 * Advice only: a kernel without them, or with them off, changes nothing. */
void mb__os_huge_pages(void *p, size_t size)
{
    if (!mb__opt.huge_pages) return;
    int saved = errno;
    madvise(p, size, MADV_HUGEPAGE);
    errno = saved;
}
