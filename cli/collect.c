/* Reading the run's report files while the program runs (docs/events.md).
 *
 * Every process writes its reports into DIR/PID.report. Each poll reads what each file
 * gained since the last one, takes every report whose END line is there, and sends it
 * through symbolize -> disassemble -> suppress -> render, at once: a long-running program's
 * findings appear while it runs. Lines outside reports (notes, counts) are passed on as
 * they are. What is taken is never read again; a report still being written waits for the
 * next poll, and after the program's exit the last poll takes cut reports too. */
#include "cli.h"
#include "finding.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One process's report file. */
struct cli_source {
    int pid;
    char *name;   /* "PID.report" */
    off_t offset; /* bytes of the file read so far */
    char *pending; /* read but not yet taken: a report being written, or a partial line */
    size_t npending;
    FILE *out; /* while its units are taken: stderr or its --log-file, opened when needed */
    int color;
    int had_finding;
};

static struct {
    const char *dir;
    const struct cli_config *cfg;
    struct cli_source *v;
    size_t n;
    struct cli_findings all;
} cli_col;

void cli_collect_start(const char *dir, const struct cli_config *cfg)
{
    cli_col.dir = dir;
    cli_col.cfg = cfg;
}

struct cli_findings *cli_collect_findings(void) { return &cli_col.all; }

/* The log file of pid: the pattern with each %p replaced. */
static char *cli_log_path(const char *pattern, int pid)
{
    char *path = cli_strdup("");
    for (const char *p = pattern; *p;) {
        const char *at = strstr(p, "%p");
        int n = at ? (int)(at - p) : (int)strlen(p);
        char *longer = at ? cli_format("%s%.*s%d", path, n, p, pid) : cli_format("%s%s", path, p);
        free(path);
        path = longer;
        p += n + (at ? 2 : 0);
    }
    return path;
}

static FILE *cli_open_output(int pid, int *color)
{
    const struct cli_config *cfg = cli_col.cfg;
    *color = cfg->color == CLI_COLOR_ALWAYS ||
             (cfg->color == CLI_COLOR_AUTO && !cfg->log_file && isatty(2));
    if (!cfg->log_file) return stderr;
    char *path = cli_log_path(cfg->log_file, pid);
    /* Appended to, as the runtime does when it writes a log file itself. */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        fprintf(stderr, "memboss: cannot write %s: %s; findings go to stderr\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        f = stderr;
    }
    free(path);
    return f;
}

/* s->out, opened if it is not yet: a log file is opened for each batch of units and closed
 * after it, so that a run of many processes does not hold a descriptor for each. */
static FILE *cli_output(struct cli_source *s)
{
    if (!s->out) s->out = cli_open_output(s->pid, &s->color);
    return s->out;
}

static struct cli_source *cli_source_of(const char *name)
{
    for (size_t i = 0; i < cli_col.n; i++)
        if (!strcmp(cli_col.v[i].name, name)) return &cli_col.v[i];
    struct cli_source *v = realloc(cli_col.v, (cli_col.n + 1) * sizeof *v);
    if (!v) cli_die(CLI_EXIT_FAILURE, "out of memory");
    cli_col.v = v;
    struct cli_source *s = &v[cli_col.n++];
    *s = (struct cli_source){.pid = atoi(name), .name = cli_strdup(name)};
    return s;
}

/* Appends what the file gained since the last read to s->pending. */
static void cli_source_read(struct cli_source *s, int dir_fd)
{
    int fd = openat(dir_fd, s->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[65536];
    for (;;) {
        ssize_t r = pread(fd, buf, sizeof buf, s->offset);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        char *p = realloc(s->pending, s->npending + (size_t)r);
        if (!p) cli_die(CLI_EXIT_FAILURE, "out of memory");
        s->pending = p;
        memcpy(p + s->npending, buf, (size_t)r);
        s->npending += (size_t)r;
        s->offset += r;
    }
    close(fd);
}

/* The pipeline of one new finding: the last of all. */
static void cli_finish_finding(struct cli_source *s)
{
    const struct cli_config *cfg = cli_col.cfg;
    struct cli_findings *all = &cli_col.all;
    struct cli_finding *f = &all->v[all->n - 1];
    struct cli_findings one = {1, f, 0}; /* a view of the new finding alone */
    cli_symbolize_findings(&one);
    cli_disasm_finding(f, cfg->att);
    cli_label_regions(f);
    cli_suppress_apply(&one);
    if (!s->had_finding) all->processes++;
    s->had_finding = 1;
    if (f->suppressed_by) return;
    FILE *out = cli_output(s);
    struct cli_render_opts o = {s->color, cfg->show_map, cfg->gen_suppressions, cfg->att};
    cli_render_finding(out, f, &o);
}

/* Takes every whole unit at the start of s->pending. */
static void cli_source_take(struct cli_source *s, int final)
{
    size_t done = 0, used;
    for (;;) {
        enum cli_unit u = cli_report_next(s->pending + done, s->npending - done, final, &used,
                                          &cli_col.all);
        if (u == CLI_UNIT_MORE) break;
        if (u == CLI_UNIT_FINDING) {
            cli_finish_finding(s);
        } else {
            FILE *out = cli_output(s);
            fwrite(s->pending + done, 1, used, out);
            if (s->pending[done + used - 1] != '\n') fputc('\n', out);
        }
        done += used;
    }
    if (s->out && s->out != stderr) fclose(s->out);
    else if (s->out) fflush(s->out);
    s->out = NULL;
    if (!done) return;
    memmove(s->pending, s->pending + done, s->npending - done);
    s->npending -= done;
}

void cli_collect_poll(int final)
{
    int dir_fd = cli_col.dir ? open(cli_col.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dir_fd < 0) return;
    struct cli_strlist names = {0};
    cli_report_names(dir_fd, &names);
    for (size_t i = 0; i < names.n; i++) {
        struct cli_source *s = cli_source_of(names.v[i]);
        cli_source_read(s, dir_fd);
        cli_source_take(s, final);
        free(names.v[i]);
    }
    free(names.v);
    close(dir_fd);
    if (!final) return;
    for (size_t i = 0; i < cli_col.n; i++) {
        free(cli_col.v[i].name);
        free(cli_col.v[i].pending);
    }
    free(cli_col.v);
    cli_col.v = NULL;
    cli_col.n = 0;
}
