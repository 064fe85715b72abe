/* Stopping the other threads of the process while the leak scan runs, and reading their
 * registers: the only copy of a pointer may be in a register of a thread that is running.
 *
 * Each thread listed in /proc/self/task gets a signal (option stop_signal, SIGPWR by
 * default) whose handler, installed only for the duration of the stop, copies the
 * interrupted registers into the stop record and waits on a futex until the scan is done.
 * A thread that blocks the signal (read from /proc/self/task/TID/status) is not signalled:
 * it keeps running, its stack is scanned whole and its registers are not roots. Nothing
 * here allocates; the stop record is memory of the caller's. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

static struct mb_stop *_Atomic stop_now; /* the stop in progress, read by the handler */
static _Atomic int in_handler;            /* handlers running: the record must outlive them */

/* The registers a pointer can hide in (not rip and rsp: code and the stack itself). */
static const int greg_index[MB_STOP_NREGS] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI,
                                              REG_RDI, REG_RBP, REG_R8,  REG_R9,  REG_R10,
                                              REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

void mb__os_context_regs(const void *ucv, uintptr_t *regs, uintptr_t *sp)
{
    const ucontext_t *uc = ucv;
    for (int r = 0; r < MB_STOP_NREGS; r++) regs[r] = (uintptr_t)uc->uc_mcontext.gregs[greg_index[r]];
    *sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
}

static void futex_wait(_Atomic int *word, int value)
{
    syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic int *word)
{
    syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

static void on_stop(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    int saved_errno = errno;
    atomic_fetch_add(&in_handler, 1);
    struct mb_stop *s = atomic_load(&stop_now);
    int tid = mb__os_tid();
    struct mb_stopped_thread *t = NULL;
    for (unsigned i = 0; s && i < s->n; i++)
        if (s->threads[i].tid == tid) t = &s->threads[i];
    if (t && atomic_load(&t->state) == MB_STOP_SIGNALLED) {
        mb__os_context_regs(ucv, t->regs, &t->sp);
        atomic_store(&t->state, MB_STOP_STOPPED);
        futex_wake_all(&s->arrivals);
        while (!atomic_load(&s->release)) futex_wait(&s->release, 0);
        atomic_store(&t->state, MB_STOP_RESUMED); /* s is not touched after this */
        futex_wake_all(&s->arrivals);
    }
    atomic_fetch_sub(&in_handler, 1);
    errno = saved_errno;
}

/* 1 when thread tid blocks or ignores nothing that keeps it from taking sig. */
static int takes_signal(int tid, int sig)
{
    char path[64], text[2048];
    struct mb_buf b;
    mb__buf_init(&b, path, sizeof path);
    mb__buf_printf(&b, "/proc/self/task/%d/status", tid);
    mb__buf_putc(&b, 0);
    int fd = mb__os_open_read(path);
    if (fd < 0) return 0; /* gone */
    ssize_t n = mb__os_read(fd, text, sizeof text - 1);
    mb__os_close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    const char *p = strstr(text, "SigBlk:");
    if (!p) return 0;
    uint64_t mask = 0;
    for (p += 7; *p == ' ' || *p == '\t'; p++) {}
    for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
        mask = mask << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    return !(mask >> (sig - 1) & 1);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Adds every thread of /proc/self/task not yet in s; returns how many were added. */
static unsigned list_threads(struct mb_stop *s, int self)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return 0;
    unsigned added = 0;
    char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            const struct linux_dirent64 *d = (const void *)(buf + off);
            off += d->d_reclen;
            int tid = 0;
            for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++) tid = tid * 10 + (*c - '0');
            if (tid <= 0 || tid == self) continue;
            int known = 0;
            for (unsigned i = 0; i < s->n && !known; i++) known = s->threads[i].tid == tid;
            if (known || s->n == s->cap) continue;
            struct mb_stopped_thread *t = &s->threads[s->n++];
            memset(t, 0, sizeof *t);
            t->tid = tid;
            atomic_store(&t->state, MB_STOP_RUNNING);
            added++;
        }
    }
    close(fd);
    return added;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits until no thread of s is in state `from`, or until deadline; returns 1 if none is. */
static int wait_leave(struct mb_stop *s, int from, uint64_t deadline)
{
    for (;;) {
        int seen = atomic_load(&s->arrivals), waiting = 0;
        for (unsigned i = 0; i < s->n; i++) waiting |= atomic_load(&s->threads[i].state) == from;
        if (!waiting) return 1;
        if (now_ms() >= deadline) return 0;
        struct timespec ts = {0, 2 * 1000 * 1000};
        syscall(SYS_futex, (int *)&s->arrivals, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
    }
}

unsigned mb__os_stop_threads(struct mb_stop *s, int sig)
{
    s->n = 0;
    s->sig = sig;
    s->handler_left = 0;
    atomic_store(&s->release, 0);
    atomic_store(&s->arrivals, 0);
    if (sig <= 0 || sig >= 65 || sig == SIGKILL || sig == SIGSTOP) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_stop;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    atomic_store(&stop_now, s);
    if (__sigaction(sig, &sa, &s->old_action) != 0) {
        atomic_store(&stop_now, NULL);
        return 0;
    }
    int self = mb__os_tid(), pid = getpid();
    unsigned stopped = 0;
    /* Threads may be starting while we look: list again until a pass finds none new. */
    for (int pass = 0; pass < 8 && list_threads(s, self); pass++) {
        for (unsigned i = 0; i < s->n; i++) {
            struct mb_stopped_thread *t = &s->threads[i];
            if (atomic_load(&t->state) != MB_STOP_RUNNING) continue;
            if (!takes_signal(t->tid, sig)) {
                atomic_store(&t->state, MB_STOP_SKIPPED);
                continue;
            }
            atomic_store(&t->state, MB_STOP_SIGNALLED);
            if (syscall(SYS_tgkill, pid, t->tid, sig) != 0) atomic_store(&t->state, MB_STOP_SKIPPED);
        }
        wait_leave(s, MB_STOP_SIGNALLED, now_ms() + 1000);
    }
    for (unsigned i = 0; i < s->n; i++) stopped += atomic_load(&s->threads[i].state) == MB_STOP_STOPPED;
    return stopped;
}

void mb__os_resume_threads(struct mb_stop *s)
{
    if (!atomic_load(&stop_now)) return;
    atomic_store(&s->release, 1);
    futex_wake_all(&s->release);
    /* s must outlive every handler that still reads it. */
    int all_left = wait_leave(s, MB_STOP_STOPPED, now_ms() + 2000);
    int late = 0;
    for (unsigned i = 0; i < s->n; i++) late |= atomic_load(&s->threads[i].state) == MB_STOP_SIGNALLED;
    atomic_store(&stop_now, NULL);
    for (uint64_t end = now_ms() + 2000; atomic_load(&in_handler) && now_ms() < end;) sched_yield();
    /* A signal still on its way to a thread that never answered must find our handler (it
     * returns at once), not a default action that would end the process. */
    if (all_left && !late) __sigaction(s->sig, &s->old_action, NULL);
    s->handler_left = !(all_left && !late);
}
