/* memboss — runs a program with the runtime preloaded in check mode, and exits as the
 * program did, or with --error-exitcode if any of its processes had findings.
 *
 *   memboss [run] [options] [--] program [args...]        (docs/cli.md) */
#include "cli.h"
#include "finding.h"

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

/* The exit status of memboss, from the program's wait status and the run's findings: the
 * processes' counts, less the findings the user suppressed. */
static int cli_finish(int status, struct cli_results r, unsigned long long suppressed,
                      int error_exitcode)
{
    if (WIFSIGNALED(status)) cli_die_of_signal(WTERMSIG(status));
    unsigned long long shown = r.findings > suppressed ? r.findings - suppressed : 0;
    if ((shown > 0 || suppressed > 0) && error_exitcode != 0)
        cli_render_summary(stderr, shown, r.processes, suppressed);
    if (shown > 0 && error_exitcode != 0) return error_exitcode;
    return WEXITSTATUS(status);
}

/* --json, --sarif, --html: each file written once the program has exited. */
static void cli_write_files(const struct cli_config *cfg, const struct cli_findings *all)
{
    if (cfg->json) cli_render_json(cfg->json, all);
    if (cfg->sarif) cli_render_sarif(cfg->sarif, all);
    if (cfg->html) cli_render_html(cfg->html, all);
}

static void cli_tick(void) { cli_collect_poll(0); }

int main(int argc, char **argv)
{
    struct cli_config cfg;
    cli_parse_args(argc, argv, &cfg);
    char *runtime = cli_runtime_find();
    char *path = cli_program_resolve(cfg.prog_argv[0]);
    cli_program_check(path, runtime);
    for (size_t i = 0; i < cfg.suppressions.n; i++) cli_suppress_load(cfg.suppressions.v[i]);
    const char *status_dir = cli_status_create();
    cli_env_setup(runtime, &cfg, status_dir);
    cli_collect_start(status_dir, &cfg);
    int status = cli_run(path, cfg.prog_argv, cli_tick);
    cli_collect_poll(1);
    struct cli_results results = cli_status_collect(); /* also removes the directory */
    struct cli_findings *all = cli_collect_findings();
    cli_write_files(&cfg, all);
    unsigned long long suppressed = 0;
    for (size_t i = 0; i < all->n; i++) suppressed += all->v[i].suppressed_by && all->v[i].is_error;
    return cli_finish(status, results, suppressed, cfg.error_exitcode);
}
