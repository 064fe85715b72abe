/* Stacks of threads that have ended. glibc keeps the stack of a joined or detached thread
 * mapped, to give it to the next thread it starts; until then its words are what the dead
 * thread left there, and a leak scan that read them as roots would call a block the
 * thread leaked "still reachable". Valgrind does not read them either (memory below a
 * stack pointer is not addressable to it).
 *
 * When a thread ends (its memboss TSD destructor runs), the part of its stack mapping
 * below its static TLS is recorded as dead: [mapping start, lowest static TLS block).
 * The TLS blocks and the thread descriptor above stay roots: the loader reuses them with
 * the stack, and the descriptor points to the thread's TLS vector. A thread that gets the
 * stack next removes the record when it registers its stack; a record whose range holds a
 * running thread's stack pointer is ignored by the scan. */
#include "internal.h"

#include <link.h>

#define DEAD_MAX 1024 /* records kept; when full, the oldest stays and new ones are lost */
#define TLS_SPAN ((uintptr_t)16 << 20) /* static TLS lies within this much below the TP */

static struct {
    _Atomic uintptr_t lo; /* 0: free; 1: being written */
    uintptr_t hi;
} dead[DEAD_MAX];

struct tls_low {
    uintptr_t tp, low;
};

/* The lowest static TLS block of the calling thread: the blocks of the initial modules
 * (and of modules loaded later into the static TLS surplus) lie below the thread pointer. */
static int lowest_tls(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct tls_low *t = arg;
    uintptr_t d = (uintptr_t)info->dlpi_tls_data;
    if (d && d < t->tp && t->tp - d < TLS_SPAN && d < t->low) t->low = d;
    return 0;
}

void mb__dead_stack_add(uintptr_t lo)
{
    struct tls_low t;
    __asm__("mov %%fs:0, %0" : "=r"(t.tp)); /* the TCB's pointer to itself: the TP */
    t.low = t.tp;
    dl_iterate_phdr(lowest_tls, &t);
    uintptr_t hi = (t.low & ~(uintptr_t)15) - 64; /* below any TLS alignment padding */
    if (!lo || hi <= lo || t.tp - lo > ((uintptr_t)1 << 32)) return; /* not a thread stack */
    for (unsigned i = 0; i < DEAD_MAX; i++) {
        uintptr_t expect = 0;
        if (atomic_load_explicit(&dead[i].lo, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&dead[i].lo, &expect, 1)) {
            dead[i].hi = hi;
            atomic_store_explicit(&dead[i].lo, lo, memory_order_release);
            return;
        }
    }
}

void mb__dead_stack_forget(uintptr_t lo, uintptr_t hi)
{
    for (unsigned i = 0; i < DEAD_MAX; i++) {
        uintptr_t l = atomic_load_explicit(&dead[i].lo, memory_order_acquire);
        if (l > 1 && l < hi && dead[i].hi > lo) atomic_compare_exchange_strong(&dead[i].lo, &l, 0);
    }
}

unsigned mb__dead_stacks(uintptr_t *lo, uintptr_t *hi, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < DEAD_MAX && n < max; i++) {
        uintptr_t l = atomic_load_explicit(&dead[i].lo, memory_order_acquire);
        if (l <= 1) continue;
        lo[n] = l;
        hi[n++] = dead[i].hi;
    }
    return n;
}
