/* memboss — runs a program with the runtime preloaded in check mode, and exits as the
 * program did, or with --error-exitcode if any of its processes had findings.
 *
 *   memboss [run] [options] [--] program [args...]        (docs/cli.md) */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* Dies of sig as the program did, so that the shell sees the same status (139 for
 * SIGSEGV...). Without a core dump: the program's own, if any, is the useful one. */
static void cli_die_of_signal(int sig) __attribute__((noreturn));
static void cli_die_of_signal(int sig)
{
    struct rlimit core;
    if (getrlimit(RLIMIT_CORE, &core) == 0) {
        core.rlim_cur = 0;
        setrlimit(RLIMIT_CORE, &core);
    }
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    exit(128 + sig); /* only if sig does not end a process */
}

/* The exit status of memboss, from the program's wait status and the run's findings. */
static int cli_finish(int status, struct cli_results r, int error_exitcode)
{
    if (WIFSIGNALED(status)) cli_die_of_signal(WTERMSIG(status));
    if (r.findings > 0 && error_exitcode != 0) {
        fprintf(stderr, "==memboss== %llu finding%s in %llu process%s\n", r.findings,
                r.findings == 1 ? "" : "s", r.processes, r.processes == 1 ? "" : "es");
        return error_exitcode;
    }
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    struct cli_config cfg;
    cli_parse_args(argc, argv, &cfg);
    char *runtime = cli_runtime_find();
    char *path = cli_program_resolve(cfg.prog_argv[0]);
    cli_program_check(path, runtime);
    const char *status_dir = cli_status_create();
    cli_env_setup(runtime, &cfg, status_dir);
    int status = cli_run(path, cfg.prog_argv);
    struct cli_results results = cli_status_collect(); /* also removes the directory */
    return cli_finish(status, results, cfg.error_exitcode);
}
