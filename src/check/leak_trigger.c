/* When the leak check runs besides at exit: on request of the program (mb_leak_check), on
 * a signal that asks for a report (leak_check_signal), and, with leak_check_on_signal,
 * before a signal kills the process. */
#include "leak.h"

#include <signal.h>
#include <string.h>
#include <ucontext.h>

extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

_Atomic int mb__leak_pending; /* a leak_check_signal arrived; the next malloc or free reports */

static int level(void) { return mb__opt.leak_check > 0 ? (int)mb__opt.leak_check : 2; }

/* The signal only sets a flag: the signal may have interrupted the allocator itself, so
 * the check runs at the next malloc or free, where no lock of the runtime is held. */
static void on_leak_signal(int sig)
{
    (void)sig;
    atomic_store(&mb__leak_pending, 1);
}

size_t mb__leak_check_here(void)
{
    __builtin_unwind_init(); /* the caller's registers are saved in this frame: roots */
    volatile uintptr_t marker = 0;
    struct mb_leak_request rq = {.level = level(), .self_sp = (uintptr_t)&marker & ~(uintptr_t)7};
    size_t lost = mb__leak_check(&rq);
    marker = lost;
    return marker;
}

void mb__leak_poll_slow(void)
{
    if (atomic_exchange(&mb__leak_pending, 0)) mb__leak_check_here();
}

/* Signals whose default action ends the process (SIGSEGV and SIGBUS are fault.c's). */
static const int deadly[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGFPE, SIGUSR1,
                             SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU, SIGXFSZ, SIGSYS};

void mb__leak_on_death(int sig, const void *ucv)
{
    static _Atomic int once;
    if (!mb__opt.leak_check_on_signal || mb__opt.leak_check <= 0 || atomic_exchange(&once, 1)) return;
    uintptr_t regs[MB_STOP_NREGS], sp = 0;
    struct mb_leak_request rq = {.level = (int)mb__opt.leak_check, .from_signal = 1};
    if (ucv) {
        mb__os_context_regs(ucv, regs, &sp);
        rq.regs = regs;
        rq.nregs = MB_STOP_NREGS;
        rq.self_sp = sp > 128 ? sp - 128 : sp; /* the interrupted code's red zone is live */
    }
    mb__report_note("killed by signal %d: checking for leaks first", sig);
    mb__leak_check(&rq);
}

static void on_deadly(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    mb__leak_on_death(sig, ucv);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    __sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

void mb__leak_signal_init(void)
{
    struct sigaction sa, old;
    int sig = (int)mb__opt.leak_check_signal;
    if (sig > 0 && sig < 65 && sig != SIGSEGV && sig != SIGBUS && sig != SIGKILL && sig != SIGSTOP) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_leak_signal;
        sa.sa_flags = SA_RESTART;
        __sigaction(sig, &sa, NULL);
    }
    if (!mb__opt.leak_check_on_signal || mb__opt.leak_check <= 0) return;
    for (unsigned i = 0; i < sizeof deadly / sizeof deadly[0]; i++) {
        if (deadly[i] == sig || __sigaction(deadly[i], NULL, &old) != 0) continue;
        if (old.sa_handler != SIG_DFL) continue; /* the program's, or ignored */
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_deadly;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
        __sigaction(deadly[i], &sa, NULL);
    }
}
