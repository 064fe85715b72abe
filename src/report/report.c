/* The one report writer. Every finding is framed by a fixed first line
 * "==PID== memboss: ERROR: KIND" and a fixed last line "==PID== memboss: END"
 * (docs/report-format.md). Lines are formatted into a static buffer under the report lock
 * and written with write(2): no malloc, no stdio, safe in the fault handler. */
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

_Atomic unsigned long mb__findings;

static const char *const finding_names[] = {
#define MB_X(id, name) name,
    MB_FINDING_KINDS(MB_X)
#undef MB_X
};

/* Where reports go: a private duplicate of stderr (or of the log file) placed high in the
 * descriptor table, so that a program that closes or redirects fd 2 before exiting (GNU
 * sort and tr close it at exit) does not lose the reports made at exit. Close-on-exec: a
 * program this one executes starts from its own fd 2. A fork keeps it, as it keeps fd 2.
 * Invariant: out_dev/out_ino name the file out_fd was opened on; when out_fd no longer
 * refers to it (the program closed or reused the number), reports fall back to fd 2. */
static int out_fd = 2;
static dev_t out_dev;
static ino_t out_ino;
static mb_lock report_lock;
static _Atomic int report_owner; /* tid holding the lock: a fault inside a report is ours */
static char line_buf[2048];      /* guarded by report_lock                                */

const char *mb__finding_name(enum mb_finding_kind kind) { return finding_names[kind]; }

/* Lowest descriptor number for out_fd: high, where programs rarely dup2 (shells use
 * 10..255), but below 1024 and the soft limit (a descriptor table as large as a high limit
 * would cost memory in every process). */
#define OUT_FD_SPARE 32
static int high_fd_floor(void)
{
    struct rlimit rl;
    rlim_t lim = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < lim) lim = rl.rlim_cur;
    return lim > OUT_FD_SPARE + 3 ? (int)(lim - OUT_FD_SPARE) : 3;
}

/* Makes fd (ours, or 2) the report descriptor, moved high when possible. */
static void set_out_fd(int fd)
{
    if (fd == 2 && !mb__opt.stderr_copy) return; /* reports go to whatever fd 2 is then */
    int high = fcntl(fd, F_DUPFD_CLOEXEC, high_fd_floor());
    if (high >= 0) {
        if (fd != 2) close(fd);
        fd = high;
    }
    struct stat st;
    if (fd != 2 && mb__os_fstat(fd, &st) == 0) {
        out_fd = fd;
        out_dev = st.st_dev;
        out_ino = st.st_ino;
    }
}

/* Under `memboss run` (status_dir and report_to_status): DIR/PID.report, opened at the
 * first line this process writes. Invariant: status_fd was opened by process status_pid;
 * a forked child sees another pid and opens a file of its own (the parent's descriptor it
 * inherited is closed, not written). */
static int status_fd = -1;
static int status_pid;
/* The pid of a process whose report file could not be opened (the run's directory is
 * gone: the command has finished while this process lives on). It reports as without
 * `memboss run`: plain text to stderr or the log file, no machine lines. */
static int status_gone_pid;

int mb__report_status_gone(void) { return status_gone_pid && status_gone_pid == (int)getpid(); }

static int status_out_fd(void)
{
    int pid = (int)getpid();
    if (status_pid == pid && status_fd >= 0) return status_fd;
    if (status_fd >= 0) close(status_fd);
    char path[512];
    struct mb_buf p;
    mb__buf_init(&p, path, sizeof path);
    mb__buf_printf(&p, "%s/%d.report", mb__opt.status_dir, pid);
    status_pid = pid;
    status_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (status_fd >= 0) {
        int high = fcntl(status_fd, F_DUPFD_CLOEXEC, high_fd_floor());
        if (high >= 0) {
            close(status_fd);
            status_fd = high;
        }
    }
    if (status_fd < 0) status_gone_pid = pid;
    return status_fd;
}

/* out_fd, or fd 2 when the program closed out_fd or put another file in its place. */
static int current_out_fd(void)
{
    if (mb__events_on()) {
        int fd = status_out_fd();
        if (fd >= 0) return fd;
    }
    struct stat st;
    if (out_fd != 2 && (mb__os_fstat(out_fd, &st) != 0 || st.st_dev != out_dev || st.st_ino != out_ino))
        out_fd = 2;
    return out_fd;
}

/* log_file: "%p" becomes the pid, as in Valgrind's --log-file. */
static void open_log(void)
{
    const char *f = mb__opt.log_file;
    if (!f[0]) {
        set_out_fd(2);
        return;
    }
    char path[512];
    struct mb_buf b;
    mb__buf_init(&b, path, sizeof path);
    for (; *f; f++) {
        if (f[0] == '%' && f[1] == 'p') {
            mb__buf_printf(&b, "%d", (int)getpid());
            f++;
        } else {
            mb__buf_putc(&b, *f);
        }
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    set_out_fd(fd >= 0 ? fd : 2);
}

void mb__report_init(void) { open_log(); }

static void emit(struct mb_buf *b)
{
    mb__buf_putc(b, '\n');
    mb__os_write_all(current_out_fd(), b->p, b->len);
}

static void vline(const char *fmt, va_list ap)
{
    struct mb_buf b;
    mb__buf_init(&b, line_buf, sizeof line_buf);
    mb__buf_printf(&b, "==%d== ", (int)getpid());
    mb__buf_vprintf(&b, fmt, ap);
    emit(&b);
}

void mb__report_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
}

/* "==PID== memboss: " HEAD, the formatted text, TAIL: one line in a buffer of its own,
 * written with one write(2). */
static void own_line(const char *head, const char *tail, const char *fmt, va_list ap)
{
    char buf[512];
    struct mb_buf b;
    mb__buf_init(&b, buf, sizeof buf);
    mb__buf_printf(&b, "==%d== memboss: %s", (int)getpid(), head);
    mb__buf_vprintf(&b, fmt, ap);
    mb__buf_puts(&b, tail);
    emit(&b);
}

/* A note is not a finding: one line, outside any report. */
void mb__report_note(const char *fmt, ...)
{
    int tid = mb__os_tid();
    int nested = atomic_load(&report_owner) == tid;
    if (!nested) mb__lock(&report_lock);
    va_list ap;
    va_start(ap, fmt);
    own_line("note: ", "", fmt, ap);
    va_end(ap);
    if (!nested) mb__unlock(&report_lock);
}

/* Fast mode's hardening: one line, then SIGABRT. The report lock is not taken (the
 * interrupted code may hold it, in a signal handler that frees): one write(2) of one line
 * does not interleave with another report's lines mid-line. */
void mb__report_stop(const char *fmt, ...)
{
    atomic_fetch_add(&mb__findings, 1);
    va_list ap;
    va_start(ap, fmt);
    own_line("", " \xe2\x80\x94 stopping", fmt, ap); /* an em dash */
    va_end(ap);
    abort();
}

/* Under `memboss run`, each process with findings leaves its count in the status
 * directory, which the command reads when the program is done. */
static void write_status(unsigned long n)
{
    if (!mb__opt.status_dir[0]) return;
    char path[512], text[32];
    struct mb_buf p, t;
    mb__buf_init(&p, path, sizeof path);
    mb__buf_printf(&p, "%s/%d", mb__opt.status_dir, (int)getpid());
    mb__buf_init(&t, text, sizeof text);
    mb__buf_printf(&t, "%lu\n", n);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    mb__os_write_all(fd, t.p, t.len);
    close(fd);
}

/* Opens a report: counted (an ERROR, in the exit status) or not (an INFO the user asked
 * to see, such as still-reachable blocks). Returns 0 when nothing is to be written. */
static int begin(enum mb_finding_kind kind, int counted)
{
    int tid = mb__os_tid();
    if (atomic_load(&report_owner) == tid) return 0; /* a finding while reporting one */
    mb__lock(&report_lock);
    atomic_store(&report_owner, tid);
    if (!counted) {
        mb__report_line("memboss: INFO: %s", finding_names[kind]);
        return 1;
    }
    unsigned long n = atomic_fetch_add(&mb__findings, 1) + 1;
    write_status(n);
    if (mb__opt.max_errors > 0 && n > (unsigned long)mb__opt.max_errors) {
        if (n == (unsigned long)mb__opt.max_errors + 1)
            mb__report_line("memboss: note: %ld findings reported; further ones are counted only",
                            mb__opt.max_errors);
        atomic_store(&report_owner, 0);
        mb__unlock(&report_lock);
        return 0;
    }
    mb__report_line("memboss: ERROR: %s", finding_names[kind]);
    return 1;
}

int mb__report_begin(enum mb_finding_kind kind) { return begin(kind, 1); }
int mb__report_begin_info(enum mb_finding_kind kind) { return begin(kind, 0); }

void mb__report_end(void)
{
    mb__event_modules_flush();
    mb__report_line("memboss: END");
    atomic_store(&report_owner, 0);
    mb__unlock(&report_lock);
}

/* The report lock as one of the lock steps of mb__world_lock. */
int mb__report_lock_step(int phase)
{
    if (phase == MB_FORK_PARENT) {
        atomic_store(&report_owner, 0);
        mb__unlock(&report_lock);
        return 1;
    }
    if (!mb__lock_fork(&report_lock, phase)) return 0;
    atomic_store(&report_owner, mb__os_tid());
    return 1;
}

/* For users of where.c's static state outside a report (the leak scan). */
void mb__report_hold(int on)
{
    if (on) {
        mb__lock(&report_lock);
        atomic_store(&report_owner, mb__os_tid());
    } else {
        atomic_store(&report_owner, 0);
        mb__unlock(&report_lock);
    }
}

void mb__report_pc_stack(const char *title, const uintptr_t *pcs, unsigned n, int tid)
{
    if (title) mb__report_line("  %s by thread %d:", title, tid);
    for (unsigned i = 0; i < n; i++) {
        struct mb_buf b;
        mb__buf_init(&b, line_buf, sizeof line_buf);
        mb__buf_printf(&b, "==%d==     #%u %p ", (int)getpid(), i, (void *)pcs[i]);
        /* Frame 0 is an instruction (the faulting one, or the call to malloc/free); the
         * others are return addresses, printed as such, named by the call before them. */
        mb__where_symbolize(&b, pcs[i], i != 0);
        emit(&b);
    }
    if (n == 0) mb__report_line("    (no stack recorded)");
}

void mb__report_stack(const char *title, uint32_t stack_id, int tid)
{
    uintptr_t pcs[MB_STACK_MAX];
    unsigned n = mb__stack_get(stack_id, pcs, MB_STACK_MAX);
    mb__report_pc_stack(title, pcs, n, tid);
}

void mb__report_fork_child(void)
{
    mb__lock_reset(&report_lock);
    atomic_store(&report_owner, 0);
    atomic_store(&mb__findings, 0);
}

/* Runs at exit, from memboss's destructor (init.c). */
void mb__report_exit_status(void)
{
    if (mb__check_mode && mb__opt.check_at_exit) mb__check_at_exit();
    unsigned long n = atomic_load(&mb__findings);
    if (!n) return;
    mb__lock(&report_lock);
    mb__report_line("memboss: %lu finding%s in this process", n, n == 1 ? "" : "s");
    mb__unlock(&report_lock);
    if (mb__opt.exitcode && !mb__opt.status_dir[0]) {
        /* The exit status must say that memboss found errors. exit() would flush stdio after
         * the destructors; _exit does not, so flush here (no allocation: buffers exist).
         * What would have run after this destructor does not run: the destructors of the
         * libraries loaded before memboss (the C library's own), and atexit handlers
         * registered before main. */
        fflush(NULL);
        _exit((int)mb__opt.exitcode);
    }
}
