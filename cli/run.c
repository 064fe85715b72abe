/* Running the program: fork, exec, wait. Its standard streams are ours, untouched.
 *
 * While it runs, memboss behaves like system(): SIGINT and SIGQUIT are ignored (the terminal
 * sends them to the whole foreground process group, so the program gets them anyway, and
 * memboss must outlive it to report), and SIGTERM and SIGHUP, which are usually sent to
 * memboss alone, are passed on to the program. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The program's pid. Set before the forwarding handler is installed and never changed
 * after, so the handler always reads a complete value. */
static pid_t cli_child;

static void cli_forward_signal(int sig) { kill(cli_child, sig); }

/* Sets the handling of sig, except that a signal memboss was started ignoring (under nohup,
 * say) stays ignored, as in a shell. */
static void cli_handle(int sig, void (*handler)(int))
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* In the child: exec the program, or say why not and exit as a shell would. */
static void cli_exec(const char *path, char **argv, const sigset_t *mask) __attribute__((noreturn));
static void cli_exec(const char *path, char **argv, const sigset_t *mask)
{
    sigprocmask(SIG_SETMASK, mask, NULL);
    /* path contains a '/', so execvp does not search PATH again; it is used for what execv
     * lacks: running a file without #! (ENOEXEC) with /bin/sh. */
    execvp(path, argv);
    int err = errno;
    fprintf(stderr, "memboss: cannot run %s: %s\n", path, strerror(err));
    _exit(err == ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_CANNOT_RUN); /* no atexit handlers */
}

int cli_run(const char *path, char **argv, void (*tick)(void))
{
    /* The four signals stay blocked from before fork until their handling is set up, so
     * none can arrive in between; the child restores the original mask before exec. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) cli_die(CLI_EXIT_FAILURE, "cannot start %s: fork: %s", path, strerror(errno));
    if (pid == 0) cli_exec(path, argv, &old);
    cli_child = pid;
    cli_handle(SIGINT, SIG_IGN);
    cli_handle(SIGQUIT, SIG_IGN);
    cli_handle(SIGTERM, cli_forward_signal);
    cli_handle(SIGHUP, cli_forward_signal);
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* Polls every 100 ms, so that tick sees what the program reports while it runs. */
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, tick ? WNOHANG : 0);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) cli_die(CLI_EXIT_FAILURE, "waitpid: %s", strerror(errno));
        if (r == 0) {
            tick();
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL); /* EINTR: poll sooner */
        }
    }
}
