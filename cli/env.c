/* The program's environment, which makes it run checked: LD_PRELOAD loads the runtime,
 * MEMBOSS_OPTIONS configures it, MEMBOSS_NO_CHILDREN keeps it out of the program's own
 * children. Set in memboss's environment, which the program inherits. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void cli_setenv(const char *name, const char *value)
{
    if (setenv(name, value, 1))
        cli_die(CLI_EXIT_FAILURE, "cannot set %s: %s", name, strerror(errno));
}

/* Whether an LD_PRELOAD entry is the runtime. An entry without '/' is a name the loader
 * looks up in the library directories, so only paths are compared. */
static int cli_is_runtime(const char *entry, const char *runtime)
{
    if (!strchr(entry, '/')) return 0;
    char *abs = realpath(entry, NULL);
    int same = abs && !strcmp(abs, runtime);
    free(abs);
    return same;
}

/* The entries already there first (the loader separates them by ':' or ' '), then the
 * runtime, once: an entry that names it already is dropped. */
static void cli_env_preload(const char *runtime)
{
    if (strpbrk(runtime, ": "))
        cli_die(CLI_EXIT_FAILURE,
                "the runtime's path %s contains ':' or a space, which LD_PRELOAD "
                "cannot hold (copy it elsewhere and set MEMBOSS_LIB)",
                runtime);
    struct cli_strlist entries = {0};
    const char *old = getenv("LD_PRELOAD");
    char *copy = cli_strdup(old ? old : "");
    for (char *save, *e = strtok_r(copy, ": ", &save); e; e = strtok_r(NULL, ": ", &save))
        if (!cli_is_runtime(e, runtime)) cli_strlist_add(&entries, e);
    free(copy);
    cli_strlist_add(&entries, runtime);
    char *value = cli_strlist_join(&entries, ':');
    cli_setenv("LD_PRELOAD", value);
    free(value);
}

/* The runtime takes the last value of a key. So: the environment's options first, then
 * check mode, a full leak check, and the command line's options, which win over them; status_dir
 * and report_to_status last, since memboss itself reads the results and reports there. */
static void cli_env_options(const struct cli_config *cfg, const char *status_dir)
{
    struct cli_strlist items = {0};
    const char *old = getenv("MEMBOSS_OPTIONS");
    if (old && *old) cli_strlist_add(&items, old);
    cli_strlist_add(&items, "mode=check");
    cli_strlist_add(&items, "leak_check=2"); /* --leak-check=full unless the user says else */
    for (size_t i = 0; i < cfg->runtime_options.n; i++)
        cli_strlist_add(&items, cfg->runtime_options.v[i]);
    /* The processes write their reports into DIR/PID.report, for the command to render. */
    char *status = cli_format("status_dir=%s:report_to_status=1", status_dir);
    cli_strlist_add(&items, status);
    free(status);
    char *value = cli_strlist_join(&items, ':');
    cli_setenv("MEMBOSS_OPTIONS", value);
    free(value);
}

void cli_env_setup(const char *runtime, const struct cli_config *cfg, const char *status_dir)
{
    cli_env_preload(runtime);
    cli_env_options(cfg, status_dir);
    if (cfg->trace_children)
        unsetenv("MEMBOSS_NO_CHILDREN");
    else
        cli_setenv("MEMBOSS_NO_CHILDREN", "1");
}
