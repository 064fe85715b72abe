/* The status directory: a private temporary directory, named to the runtime as
 * status_dir=DIR. Each process of the run that has findings keeps there a file named by its
 * pid holding its count of findings in decimal and a newline (rewritten at each finding).
 * The command reads them once the program has exited, then removes the directory. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_TMPDIR_MAX 200 /* keeps status_dir=DIR within the runtime's 255-byte values */

static char cli_status_dir[PATH_MAX]; /* "" when there is none (not made yet, or removed) */

/* Removes the directory and what the processes left in it. Runs at exit too, so that no
 * path out of memboss leaves it behind; does nothing the second time. */
static void cli_status_remove(void)
{
    if (!cli_status_dir[0]) return;
    DIR *d = opendir(cli_status_dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d));)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(d), e->d_name, e->d_type == DT_DIR ? AT_REMOVEDIR : 0);
        closedir(d);
    }
    if (rmdir(cli_status_dir) && errno != ENOENT)
        fprintf(stderr, "memboss: cannot remove %s: %s\n", cli_status_dir, strerror(errno));
    cli_status_dir[0] = '\0';
}

/* The path goes into MEMBOSS_OPTIONS, so it must be absolute (the processes may change
 * directory) and free of the runtime's option separators; else /tmp is used. */
static const char *cli_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/' || strpbrk(tmp, ":,") || strlen(tmp) > CLI_TMPDIR_MAX) return "/tmp";
    return tmp;
}

const char *cli_status_create(void)
{
    const char *tmp = cli_tmpdir();
    size_t len = strlen(tmp);
    while (len > 1 && tmp[len - 1] == '/') len--;
    snprintf(cli_status_dir, sizeof cli_status_dir, "%.*s/memboss.XXXXXX", (int)len, tmp);
    if (!mkdtemp(cli_status_dir)) {
        int err = errno;
        cli_status_dir[0] = '\0';
        cli_die(CLI_EXIT_FAILURE, "cannot create a temporary directory in %s: %s", tmp,
                strerror(err));
    }
    atexit(cli_status_remove);
    return cli_status_dir;
}

static int cli_is_pid(const char *name)
{
    return name[0] >= '1' && name[0] <= '9' && name[strspn(name, "0123456789")] == '\0';
}

/* The count in the status file `name`. The file exists only because its process had a
 * finding, so one that is empty or unreadable (the process died while rewriting it) still
 * counts as one. */
static unsigned long long cli_read_count(int dir_fd, const char *name)
{
    char text[32];
    ssize_t n = -1;
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, text, sizeof text - 1);
        close(fd);
    }
    if (n <= 0 || text[0] < '0' || text[0] > '9') return 1;
    text[n] = '\0';
    return strtoull(text, NULL, 10);
}

struct cli_results cli_status_collect(void)
{
    struct cli_results r = {0, 0};
    DIR *d = opendir(cli_status_dir);
    if (!d) {
        fprintf(stderr, "memboss: cannot read the results in %s: %s\n", cli_status_dir,
                strerror(errno));
        return r;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (!cli_is_pid(e->d_name)) continue; /* not a result, e.g. "." */
        unsigned long long n = cli_read_count(dirfd(d), e->d_name);
        r.findings += n;
        r.processes += n > 0;
    }
    closedir(d);
    cli_status_remove();
    return r;
}
