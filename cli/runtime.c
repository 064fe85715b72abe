/* Where the runtime library is: MEMBOSS_LIB if set, else libmemboss.so beside the memboss
 * executable (the build directory), else ../lib/memboss/ from it (the installed layout,
 * bin/memboss and lib/memboss/libmemboss.so). */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The absolute, symlink-free path of file, or NULL when it does not exist. */
static char *cli_existing_file(const char *file)
{
    char *abs = realpath(file, NULL);
    if (abs && access(abs, R_OK)) {
        free(abs);
        return NULL;
    }
    return abs;
}

static char *cli_exe_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        cli_die(CLI_EXIT_FAILURE, "cannot find my own executable: /proc/self/exe: %s",
                strerror(errno));
    exe[n] = '\0';
    return cli_strdup(dirname(exe));
}

char *cli_runtime_find(void)
{
    const char *env = getenv("MEMBOSS_LIB");
    if (env && *env) {
        char *lib = cli_existing_file(env);
        if (!lib) cli_die(CLI_EXIT_FAILURE, "MEMBOSS_LIB=%s: %s", env, strerror(errno));
        return lib;
    }
    char *dir = cli_exe_dir();
    char *beside = cli_format("%s/libmemboss.so", dir);
    char *installed = cli_format("%s/../lib/memboss/libmemboss.so", dir);
    char *lib = cli_existing_file(beside);
    if (!lib) lib = cli_existing_file(installed);
    if (!lib)
        cli_die(CLI_EXIT_FAILURE,
                "cannot find the runtime library: neither %s nor %s exists "
                "(set MEMBOSS_LIB to its path)",
                beside, installed);
    free(dir);
    free(beside);
    free(installed);
    return lib;
}
