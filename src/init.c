/* Process start, threads and fork.
 *
 * The first call to any allocation function initialises the process, whatever runs first:
 * the loader, another library's constructor, or main. The heap is made usable before
 * anything that may itself call malloc (pthread_atfork, pthread keys), so such calls re-enter
 * a working allocator. */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <unistd.h>

/* The defaults, set at build time: filling them in at start would read string literals,
 * a page of the library's read-only data that fast mode otherwise never touches. */
struct mb_options mb__opt MB_HOT_DATA = {
#define MB_OPTION(type, name, def, safe, help) .name = def,
#include "options.def"
#undef MB_OPTION
};
/* The variables' names, out of read-only data for the same reason. */
static char env_options[] MB_HOT_DATA = "MEMBOSS_OPTIONS";
static char env_no_children[] MB_HOT_DATA = "MEMBOSS_NO_CHILDREN";
int mb__check_mode;
_Atomic int mb__init_state;
static _Atomic int init_owner; /* tid running mb__init, to let it re-enter */
static pthread_key_t thread_key;
static int thread_key_ok;

/* ---- thread stacks ------------------------------------------------------------------- */
/* Known thread stacks, for stack walking and for naming addresses. A fixed table: it is
 * read from the fault handler. */
#define MB_MAX_THREADS 4096
struct thread_slot {
    _Atomic int tid; /* 0: free */
    uintptr_t lo, hi;
};
static struct thread_slot thread_slots[MB_MAX_THREADS];
static MB_TLS uintptr_t tl_stack_lo, tl_stack_hi;
static MB_TLS int tl_slot = -1;

/* The mapping holding an address, found with where.c's reader of /proc/self/maps. */
struct find_mapping {
    uintptr_t addr, lo, hi;
    int found;
};

static void find_mapping_fn(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
                            size_t pathlen, void *arg)
{
    (void)perms, (void)path, (void)pathlen;
    struct find_mapping *f = arg;
    if (!f->found && f->addr >= lo && f->addr < hi) {
        f->lo = lo;
        f->hi = hi;
        f->found = 1;
    }
}

static int maps_find(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    struct find_mapping f = {addr, 0, 0, 0};
    mb__report_hold(1); /* where.c's reader is shared with reports */
    mb__where_foreach_mapping(find_mapping_fn, &f);
    mb__report_hold(0);
    *lo = f.lo;
    *hi = f.hi;
    return f.found;
}

static void thread_register_stack(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), lo, hi;
    if (!maps_find(sp, &lo, &hi)) {
        lo = sp & ~(uintptr_t)0xfff;
        hi = lo + MB_PAGE_SIZE;
    }
    int tid = mb__os_tid();
    if (tid == getpid()) { /* the main stack grows on demand, up to its rlimit */
        struct rlimit rl;
        if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < hi)
            lo = hi - rl.rlim_cur;
    }
    tl_stack_lo = lo;
    tl_stack_hi = hi;
    mb__dead_stack_forget(lo, hi); /* a stack glibc kept from an ended thread, alive again */
    for (int i = 0; i < MB_MAX_THREADS; i++) {
        int expect = 0;
        if (atomic_load_explicit(&thread_slots[i].tid, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&thread_slots[i].tid, &expect, -1)) {
            thread_slots[i].lo = lo;
            thread_slots[i].hi = hi;
            atomic_store_explicit(&thread_slots[i].tid, tid, memory_order_release);
            tl_slot = i;
            return;
        }
    }
}

void mb__thread_stack(uintptr_t *lo, uintptr_t *hi)
{
    *lo = tl_stack_lo;
    *hi = tl_stack_hi;
}

int mb__thread_stack_find(uintptr_t addr, int *tid, uintptr_t *lo, uintptr_t *hi, int *in_guard)
{
    for (int i = 0; i < MB_MAX_THREADS; i++) {
        int t = atomic_load_explicit(&thread_slots[i].tid, memory_order_acquire);
        if (t <= 0) continue;
        uintptr_t l = thread_slots[i].lo, h = thread_slots[i].hi;
        if (addr >= l - MB_PAGE_SIZE && addr < h) {
            *tid = t;
            *lo = l;
            *hi = h;
            *in_guard = addr < l;
            return 1;
        }
    }
    return 0;
}

/* ---- threads --------------------------------------------------------------------------- */

static void thread_exit(void *arg)
{
    struct mb_heap *h = arg;
    if (mb__tl_heap == h) mb__tl_heap = NULL;
    if (tl_slot >= 0) {
        atomic_store(&thread_slots[tl_slot].tid, 0);
        tl_slot = -1;
        if (mb__check_mode && mb__os_tid() != getpid()) mb__dead_stack_add(tl_stack_lo);
    }
    mb__fault_thread_exit();
    mb__heap_thread_exit(h);
}

struct mb_heap *mb__thread_init(void)
{
    if (atomic_load_explicit(&mb__init_state, memory_order_acquire) != 2) {
        mb__init();
        if (mb__tl_heap) return mb__tl_heap;
    }
    struct mb_heap *h = mb__heap_acquire(mb__os_tid());
    if (!h) return NULL;
    mb__tl_heap = h;
    if (thread_key_ok) pthread_setspecific(thread_key, h);
    if (mb__check_mode) {
        thread_register_stack();
        mb__fault_thread_init();
    }
    return h;
}

/* ---- fork ---------------------------------------------------------------------------- */
/* Every lock of ours is taken before fork, in one order, and released in both processes:
 * a child of a threaded program must not find a lock held by a thread it does not have. */
/* Every lock, outer first (the order in types.h); the report lock sits between the guard
 * lock and the heaps lock. fork leaves the report lock out: the child resets it instead. */
static int (*const lock_steps[])(int) = {mb__quarantine_fork, mb__guard_fork, mb__report_lock_step,
                                         mb__heap_fork,       mb__segment_lock_fork,
                                         mb__huge_fork,       mb__stack_fork,
                                         mb__rmap_fork,       mb__check_records_fork, mb__meta_lock_fork,
                                         mb__code_fork,       mb__unwind_fork};
#define LOCK_STEPS ((int)(sizeof lock_steps / sizeof lock_steps[0]))

static void fork_phase(int phase)
{
    if (phase == MB_FORK_PREPARE) {
        for (int i = 0; i < LOCK_STEPS; i++)
            if (lock_steps[i] != mb__report_lock_step) lock_steps[i](phase);
    } else {
        for (int i = LOCK_STEPS - 1; i >= 0; i--)
            if (lock_steps[i] != mb__report_lock_step) lock_steps[i](phase);
    }
    if (phase == MB_FORK_CHILD) {
        mb__report_fork_child();
        mb__check_fork_child();
        if (mb__check_mode && tl_slot >= 0) { /* the child's only thread has a new tid */
            for (int i = 0; i < MB_MAX_THREADS; i++)
                if (i != tl_slot) atomic_store(&thread_slots[i].tid, 0);
            atomic_store(&thread_slots[tl_slot].tid, mb__os_tid());
        }
        if (mb__tl_heap) mb__tl_heap->tid = mb__os_tid();
    }
}

int mb__world_lock(int phase)
{
    if (phase == MB_FORK_PARENT) {
        for (int i = LOCK_STEPS - 1; i >= 0; i--) lock_steps[i](MB_FORK_PARENT);
        return 1;
    }
    for (int i = 0; i < LOCK_STEPS; i++) {
        if (lock_steps[i](phase)) continue;
        while (i-- > 0) lock_steps[i](MB_FORK_PARENT); /* a lock stayed held: give up */
        return 0;
    }
    return 1;
}
static void fork_prepare(void) { fork_phase(MB_FORK_PREPARE); }
static void fork_parent(void) { fork_phase(MB_FORK_PARENT); }
static void fork_child(void) { fork_phase(MB_FORK_CHILD); }

/* The fork handlers, registered on demand. In fast mode a process with one thread needs
 * none: fork cannot find one of our locks held (no other thread could hold it), and the
 * child needs no repair but its heap's tid, which is informational. So they are
 * registered when the process has a second thread, checked before every lock is taken
 * (mb__lock): a thread that forks later finds them. pthread_atfork's code and data are
 * otherwise pages of the C library that a small program never touches (two 64 KiB
 * fault-around windows). 0: not registered; 1: being registered by fork_reg_tid; 2: done.
 * Other threads wait for 2, so that none takes a lock a fork could not see; the
 * registering thread itself goes on (pthread_atfork may call malloc). */
MB_HIDDEN _Atomic int mb__fork_ready;
static _Atomic int fork_reg_tid;

static void fork_handlers_register(void)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&mb__fork_ready, &expect, 1)) {
        atomic_store(&fork_reg_tid, mb__os_tid());
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        atomic_store_explicit(&mb__fork_ready, 2, memory_order_release);
        return;
    }
    if (expect == 2 || atomic_load(&fork_reg_tid) == mb__os_tid()) return;
    while (atomic_load_explicit(&mb__fork_ready, memory_order_acquire) != 2) sched_yield();
}

void mb__fork_ready_slow(void)
{
    if (atomic_load_explicit(&mb__fork_ready, memory_order_acquire) == 2) return;
    if (__libc_single_threaded && !mb__check_mode) return;
    fork_handlers_register();
}

/* ---- process ------------------------------------------------------------------------ */

/* Before libc has set environ, read the variable from /proc/self/environ. */
static const char *read_options_env(void)
{
    const char *v = mb__os_getenv(env_options);
    if (v) return v;
    extern char **environ;
    if (environ) return NULL;
    static char env[8192];
    int fd = mb__os_open_read("/proc/self/environ");
    if (fd < 0) return NULL;
    ssize_t n = mb__os_read(fd, env, sizeof env - 1);
    mb__os_close(fd);
    if (n <= 0) return NULL;
    env[n] = 0;
    static const char key[] = "MEMBOSS_OPTIONS=";
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1)
        if (!strncmp(env + i, key, sizeof key - 1)) return env + i + sizeof key - 1;
    return NULL;
}

void mb__init(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&mb__init_state, &expect, 1)) {
        if (expect == 2 || atomic_load(&init_owner) == mb__os_tid()) return;
        while (atomic_load_explicit(&mb__init_state, memory_order_acquire) != 2) sched_yield();
        return;
    }
    atomic_store(&init_owner, mb__os_tid());
    mb__options_parse(&mb__opt, read_options_env(), getauxval(AT_SECURE) != 0);
    mb__check_mode = mb__opt.mode == 1;
    mb__segment_init();
    mb__report_init();
    if (mb__check_mode) {
        mb__check_init();
        mb__leak_signal_init();
    }
    /* The heap works from here on: what follows may call malloc. */
    struct mb_heap *h = mb__heap_acquire(mb__os_tid());
    mb__tl_heap = h;
    atomic_store_explicit(&mb__init_state, 2, memory_order_release);
    thread_key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
    if (thread_key_ok && h) pthread_setspecific(thread_key, h);
    if (mb__check_mode || !__libc_single_threaded) fork_handlers_register();
    if (mb__check_mode) {
        thread_register_stack();
        mb__fault_install();
        mb__fault_thread_init();
    }
    if (mb__opt.verbosity >= 1)
        mb__report_note("memboss %s, %s mode: guard_max=%ld guard_sample=%ld quarantine=%ld MiB "
                        "leak_check=%ld",
                        MB_VERSION, mb__check_mode ? "check" : "fast", mb__opt.guard_max,
                        mb__opt.guard_sample, mb__opt.quarantine_size_mb, mb__opt.leak_check);
}

/* MEMBOSS_NO_CHILDREN: check this process only. Our entry leaves LD_PRELOAD (edited in
 * place, others' entries kept) and the options leave the environment, so that programs
 * this one executes run unchecked. Done here, not in mb__init: unsetenv takes libc's
 * environment lock, which setenv holds while it calls malloc. */
static void untrace_children(void)
{
    extern char **environ;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11)) continue;
        char *tok = *e + 11;
        while (*tok) {
            char *end = tok;
            while (*end && *end != ':' && *end != ' ') end++;
            char save = *end;
            *end = 0;
            int ours = strstr(tok, "libmemboss") != NULL;
            *end = save;
            if (ours) {
                if (*end) end++;
                memmove(tok, end, strlen(end) + 1);
            } else {
                tok = *end ? end + 1 : end;
            }
        }
    }
    unsetenv("MEMBOSS_OPTIONS");
    unsetenv("MEMBOSS_NO_CHILDREN");
}

/* The end-of-process work (exit checks, leak scan, summary, exit status) must come after
 * everything else the program runs at exit. memboss's destructor runs among the others,
 * in an order the loader chooses, so it only queues the work: an exit handler registered
 * while exit handlers run is run after the current one (the loader's, which runs all the
 * destructors) returns. No DSO handle: tied to memboss's, the C library would run it
 * as soon as memboss itself is finalized. */
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static void exit_work(void *arg)
{
    (void)arg;
    mb__report_exit_status();
}

__attribute__((destructor)) static void mb__destructor(void)
{
    if (atomic_load(&mb__init_state) != 2) return;
    if (__cxa_atexit(exit_work, NULL, NULL) != 0) exit_work(NULL);
}

__attribute__((constructor)) static void mb__constructor(void)
{
    if (atomic_load(&mb__init_state) == 0) mb__thread_init();
    if (mb__os_getenv(env_no_children)) untrace_children();
}

void mb__panic(const char *msg, const char *file, int line)
{
    char b[512];
    struct mb_buf buf;
    mb__buf_init(&buf, b, sizeof b);
    mb__buf_printf(&buf, "memboss: internal error: %s (%s:%d)\n", msg, file, line);
    mb__os_write_all(2, buf.p, buf.len);
    abort();
}
