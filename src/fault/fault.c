/* SIGSEGV and SIGBUS: name what the faulting instruction touched, then die of the same
 * signal. Runs on a per-thread alternate stack, so a stack overflow is reported too.
 * Nothing here allocates or takes a lock that malloc may hold: heap state is read through
 * the checker's queries, other regions through where.c's plain reads of /proc.
 * Faults that are not in memboss's memory go to the handler installed before ours. */
#include "internal.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

/* The alternate stack also runs the program's own handlers chained from ours, which may
 * use more stack than a report: pages cost only when touched. */
#define ALT_STACK_SIZE ((size_t)256 << 10)

/* The program's own handlers for SIGSEGV and SIGBUS: the ones installed before memboss's,
 * and, through the sigaction/signal wrappers below, any it installs afterwards. Faults
 * outside memboss's memory are handed to them. */
static struct sigaction prev_segv, prev_bus;
static _Atomic int handler_installed;

extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
static MB_TLS void *tl_alt_stack; /* ours, to unmap at thread exit */
static MB_TLS sigjmp_buf *tl_recover;

void mb__fault_recover(sigjmp_buf *jb) { tl_recover = jb; }

int mb__fault_probe(void *p, void *out, size_t n, int write)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 0) != 0) return 0; /* the handler cleared tl_recover */
    tl_recover = &jb;
    if (write) __atomic_fetch_add((uint8_t *)p, 0, __ATOMIC_RELAXED); /* writes, changes nothing */
    else __builtin_memcpy(out, p, n);
    tl_recover = NULL;
    return 1;
}

int mb__fault_ready(void) { return atomic_load(&handler_installed); }

void mb__fault_thread_init(void)
{
    if (!mb__opt.handle_segv) return;
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE)) return; /* the program's */
    uint8_t *mem = mb__os_map(ALT_STACK_SIZE + MB_PAGE_SIZE);
    if (!mem) return;
    mb__os_protect(mem, MB_PAGE_SIZE, 0); /* a guard below the alternate stack */
    stack_t ss = {.ss_sp = mem + MB_PAGE_SIZE, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0) tl_alt_stack = mem;
    else mb__os_unmap(mem, ALT_STACK_SIZE + MB_PAGE_SIZE);
}

void mb__fault_thread_exit(void)
{
    if (!tl_alt_stack) return;
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    mb__os_unmap(tl_alt_stack, ALT_STACK_SIZE + MB_PAGE_SIZE);
    tl_alt_stack = NULL;
}

static int is_stack_overflow(uintptr_t addr, uintptr_t sp)
{
    int tid, in_guard;
    uintptr_t lo = 0, hi;
    if (mb__thread_stack_find(addr, &tid, &lo, &hi, &in_guard) && in_guard) return 1;
    /* The main stack grows on demand: an access near the stack pointer below everything
     * mapped is the stack running out. */
    return addr + 65536 >= sp && addr <= sp + 65536 && addr < lo;
}

static void report_segv(int sig, const siginfo_t *si, const ucontext_t *uc, const uintptr_t *pcs,
                        unsigned n)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    long trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    int is_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    int gp = sig == SIGSEGV && trapno == 13; /* general protection: si_addr is not the address */
    enum mb_finding_kind kind = sig == SIGBUS ? MB_FINDING_BUS_ERROR
                                : gp           ? MB_FINDING_SEGV
                                : addr < MB_PAGE_SIZE ? MB_FINDING_NULL_DEREFERENCE
                                : is_stack_overflow(addr, sp) ? MB_FINDING_STACK_OVERFLOW
                                                              : MB_FINDING_SEGV;
    if (!mb__report_begin(kind)) return;
    if (gp) {
        mb__report_line("  general-protection fault by thread %d at:", mb__check_tid());
        mb__event_access(0, mb__check_tid(), "unknown"); /* the CPU gave no address */
        mb__event_fault(uc);
        mb__report_pc_stack(NULL, pcs, n, 0);
        mb__report_line("  the CPU refused the access without naming an address: most often a "
                        "non-canonical pointer (no memory can be there)");
        mb__garbage_explain(0, 0, uc);
    } else {
        mb__report_line("  %s at %p by thread %d:", is_write ? "WRITE" : "READ", (void *)addr,
                        mb__check_tid());
        mb__event_access(addr, mb__check_tid(), sig == SIGBUS ? "unknown" : is_write ? "write" : "read");
        mb__event_fault(uc);
        mb__report_pc_stack(NULL, pcs, n, 0);
        char text[768];
        struct mb_buf w;
        mb__buf_init(&w, text, sizeof text);
        mb__where_describe(&w, addr);
        mb__report_line("  %p is %s", (void *)addr, w.p);
        if (kind == MB_FINDING_STACK_OVERFLOW)
            mb__report_line("  the stack pointer is %p: the stack is exhausted (runaway recursion "
                            "or a huge local array)", (void *)sp);
        mb__garbage_explain(addr, 1, uc);
    }
    mb__report_end();
}

/* Let the default action happen: returning re-runs the faulting instruction, which
 * faults again and kills the process with the same signal, core dump included. */
static void die_by(int sig, const siginfo_t *si, const void *uc)
{
    mb__leak_on_death(sig, uc);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    __sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0) raise(sig); /* sent by kill(): nothing to re-run */
}

static void chain(struct sigaction *prev, int sig, siginfo_t *si, void *uc)
{
    struct sigaction h = *prev;
    if (h.sa_flags & SA_RESETHAND) { /* one-shot handler, as the kernel would do */
        memset(prev, 0, sizeof *prev);
        prev->sa_handler = SIG_DFL;
    }
    if (h.sa_flags & SA_SIGINFO) h.sa_sigaction(sig, si, uc);
    else h.sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    if (tl_recover && si->si_code > 0) { /* a memboss scan touched unreadable memory */
        sigjmp_buf *jb = tl_recover;
        tl_recover = NULL;
        siglongjmp(*jb, 1);
    }
    const ucontext_t *uc = ctx;
    struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
    int has_prev = !(prev->sa_flags & SA_SIGINFO) ? prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN
                                                  : prev->sa_sigaction != NULL;
    if (si->si_code <= 0) { /* kill(pid, SIGSEGV): not a fault to explain */
        if (has_prev) chain(prev, sig, si, ctx);
        else die_by(sig, si, ctx);
        return;
    }
    uintptr_t addr = (uintptr_t)si->si_addr;
    int is_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    /* First touch of a page kept inaccessible until written (unwritten_reads): resume. */
    if (sig == SIGSEGV && mb__unwritten_fault(addr, is_write, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
                                              (uintptr_t)uc->uc_mcontext.gregs[REG_RBP],
                                              (uintptr_t)uc->uc_mcontext.gregs[REG_RSP]))
        return;
    uintptr_t pcs[MB_STACK_MAX];
    unsigned n = mb__stack_walk((uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
                                (uintptr_t)uc->uc_mcontext.gregs[REG_RBP],
                                (uintptr_t)uc->uc_mcontext.gregs[REG_RSP], pcs,
                                mb__opt.malloc_context_size > 1 ? (unsigned)mb__opt.malloc_context_size : 1);
    if (sig == SIGSEGV && mb__check_explain_fault(addr, is_write, pcs, n, uc)) {
        die_by(sig, si, ctx);
        return;
    }
    if (has_prev) { /* not memboss's memory: the program's own handler decides */
        chain(prev, sig, si, ctx);
        return;
    }
    report_segv(sig, si, uc, pcs, n);
    die_by(sig, si, ctx);
}

void mb__fault_install(void)
{
    if (!mb__opt.handle_segv) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    __sigaction(SIGSEGV, &sa, &prev_segv);
    __sigaction(SIGBUS, &sa, &prev_bus);
    atomic_store(&handler_installed, 1);
}

/* A program that installs its own SIGSEGV or SIGBUS handler after memboss's does not
 * replace it: memboss keeps the signal, records the program's handler, and hands it every
 * fault that is not in memboss's memory. The program sees its own handler as installed. */
MB_API int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if ((sig == SIGSEGV || sig == SIGBUS) && atomic_load(&handler_installed)) {
        struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
        struct sigaction was = *prev;
        if (act) *prev = *act;
        if (old) *old = was;
        return 0;
    }
    return __sigaction(sig, act, old);
}

/* signal() for SIGSEGV and SIGBUS, once memboss's handler is in place, records the
 * program's handler like sigaction above; any other call is glibc's own signal(), whose
 * other name bsd_signal is not shadowed (it honours siginterrupt and rejects bad input). */
extern __sighandler_t bsd_signal(int sig, __sighandler_t handler);

MB_API __sighandler_t signal(int sig, __sighandler_t handler)
{
    if ((sig != SIGSEGV && sig != SIGBUS) || !atomic_load(&handler_installed) ||
        handler == SIG_ERR)
        return bsd_signal(sig, handler);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, sig);
    if (sigaction(sig, &sa, &old) < 0) return SIG_ERR;
    return old.sa_handler;
}
