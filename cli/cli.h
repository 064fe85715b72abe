/* memboss command — declarations shared by the files of cli/. Every name is cli_ or CLI_.
 *
 * The command is an ordinary program (stdio and malloc are fine here). Its files:
 *   memboss.c   main: the steps of a run and the final exit status
 *   options.c   the command line: options, their translation to runtime options, --help
 *   runtime.c   where libmemboss.so is
 *   program.c   finding the program like execvp, refusing what cannot be preloaded
 *   elfcheck.c  reading the ELF facts program.c decides on
 *   env.c       the child's environment: LD_PRELOAD, MEMBOSS_OPTIONS, MEMBOSS_NO_CHILDREN
 *   status.c    the status directory where each process with findings leaves its count
 *   run.c       fork, exec, wait, signals
 *   report_parse.c  the runtime's report files (docs/events.md) into findings (finding.h)
 *   collect.c   reading the report files while the program runs, rendering each finding
 *   render_text.c   findings as text (docs/report-format.md), with source, code and map
 *   elfsect.c   which sections of a mapped ELF file lie in a mapping (--show-map's labels)
 *   util.c      fatal errors, memory, string lists */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit statuses of memboss itself; otherwise it exits as the program did. */
#define CLI_EXIT_USAGE 2        /* bad command line */
#define CLI_EXIT_FAILURE 125    /* memboss could not do its part (no runtime, no temp dir) */
#define CLI_EXIT_CANNOT_RUN 126 /* not executable, or the runtime cannot be preloaded */
#define CLI_EXIT_NOT_FOUND 127  /* no such program */

/* ---- util.c ---------------------------------------------------------------------------- */
/* Prints "memboss: MESSAGE" on stderr and exits with status. */
void cli_die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void *cli_alloc(size_t size); /* dies on failure */
char *cli_strdup(const char *s);
char *cli_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct cli_strlist {
    char **v;
    size_t n;
    size_t cap;
};
void cli_strlist_add(struct cli_strlist *l, const char *s); /* adds a copy of s */
char *cli_strlist_join(const struct cli_strlist *l, char sep);

/* ---- options.c ------------------------------------------------------------------------- */
enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
struct cli_config {
    int error_exitcode;                 /* exit status when there were findings, 0: keep */
    int trace_children;                 /* 0: check the direct child only */
    int show_map;                       /* print the memory map at faults */
    enum cli_color color;               /* auto: when stderr is a terminal */
    int att;                            /* instructions in AT&T syntax, not Intel */
    int gen_suppressions;               /* a suppression entry after each finding */
    const char *log_file;               /* absolute; %p: the pid. NULL: stderr */
    const char *json, *sarif, *html;    /* files written at the end, NULL: none */
    struct cli_strlist suppressions;    /* suppression files, in order */
    struct cli_strlist runtime_options; /* key=value items, in command-line order */
    char **prog_argv;                   /* the program and its arguments, NULL-terminated */
};
/* Fills cfg from the command line. Handles --help and --version (exit 0) and usage errors
 * (exit CLI_EXIT_USAGE) itself, so it returns only when there is a program to run. */
void cli_parse_args(int argc, char **argv, struct cli_config *cfg);

/* ---- runtime.c ------------------------------------------------------------------------- */
/* Absolute path of libmemboss.so; dies with CLI_EXIT_FAILURE when there is none. */
char *cli_runtime_find(void);

/* ---- program.c ------------------------------------------------------------------------- */
/* Path of the program execvp would run for name (contains a '/'); dies with 127 or 126. */
char *cli_program_resolve(const char *name);
/* Dies with CLI_EXIT_CANNOT_RUN, saying why, when the runtime could not be preloaded into
 * the program at path (or into the interpreter that runs it). runtime names libmemboss.so. */
void cli_program_check(const char *path, const char *runtime);

/* ---- elfcheck.c ------------------------------------------------------------------------ */
struct cli_elf_info {
    int is_elf;     /* the file starts with the ELF magic; nothing else is set if not */
    int is_64bit;   /* ELFCLASS64 */
    int is_x86_64;  /* little-endian, EM_X86_64 (the other fields need little-endian) */
    int is_program; /* ET_EXEC or ET_DYN */
    int has_interp; /* has PT_INTERP: the dynamic loader runs it, so LD_PRELOAD works */
    int needs_libc; /* DT_NEEDED names libc.so.6 */
    int has_tls;    /* has PT_TLS: a static C library always brings one (errno) */
    int has_dynamic; /* has PT_DYNAMIC (a static-pie program has one) */
};
/* Reads the ELF header, program headers and dynamic section of the file open as fd.
 * Returns 0, or -1 when the file is ELF but truncated or inconsistent. */
int cli_elf_read(int fd, struct cli_elf_info *info);

/* ---- env.c ----------------------------------------------------------------------------- */
/* Sets LD_PRELOAD, MEMBOSS_OPTIONS and MEMBOSS_NO_CHILDREN in our environment, which the
 * program inherits. */
void cli_env_setup(const char *runtime, const struct cli_config *cfg, const char *status_dir);

/* ---- status.c -------------------------------------------------------------------------- */
struct cli_results {
    unsigned long long findings;  /* sum of the processes' counts */
    unsigned long long processes; /* processes that had findings */
};
/* Creates the private status directory and returns its absolute path; removed at exit. */
const char *cli_status_create(void);
/* Reads the counts the processes left, then removes the directory. */
struct cli_results cli_status_collect(void);

/* ---- run.c ----------------------------------------------------------------------------- */
/* Runs the program at path with argv and returns its wait status, calling tick (if not
 * NULL) every 100 ms while it runs. SIGINT and SIGQUIT are
 * ignored meanwhile (the terminal sends them to the program too); SIGTERM and SIGHUP are
 * passed on to it. */
int cli_run(const char *path, char **argv, void (*tick)(void));

/* ---- collect.c ------------------------------------------------------------------------- */
struct cli_findings;
struct cli_finding;
struct cli_render_opts;
/* Starts reading the report files that the run's processes write into dir. */
void cli_collect_start(const char *dir, const struct cli_config *cfg);
/* Renders every report completed since the last call, and the lines between reports; with
 * final (the program has exited), also what is left, cut reports included. */
void cli_collect_poll(int final);
/* Every finding read so far (symbolized, disassembled, suppressions applied). */
struct cli_findings *cli_collect_findings(void);

/* ---- report_parse.c -------------------------------------------------------------------- */
/* What the text at the start of a report file's unread part holds. */
enum cli_unit {
    CLI_UNIT_MORE,    /* not enough yet: a line or a report still being written      */
    CLI_UNIT_FINDING, /* a report, now the last finding of all                        */
    CLI_UNIT_LINE     /* a line outside any report (a note, a count, a fast-mode line) */
};
/* Reads one unit from buf[0, len): sets *used to the bytes it took. With final (the
 * process has exited), a cut report is taken as it is (complete = 0) and a last line
 * without its newline is a line. */
enum cli_unit cli_report_next(const char *buf, size_t len, int final, size_t *used,
                              struct cli_findings *all);
/* Adds the names of the report files in the open directory fd (PID.report) to names, by
 * pid. Returns -1 when it cannot be read. */
int cli_report_names(int dir_fd, struct cli_strlist *names);

/* ---- elfsect.c ------------------------------------------------------------------------- */
/* Sets the label of every region of f's map that has none (what the post's picture calls it). */
void cli_label_regions(struct cli_finding *f);

/* ---- render_text.c --------------------------------------------------------------------- */
/* One finding as text, suppressed or not (the caller decides). */
void cli_render_finding(FILE *out, const struct cli_finding *f, const struct cli_render_opts *o);
/* "==memboss== N findings in M processes", with " (K suppressed)" when K > 0. */
void cli_render_summary(FILE *out, unsigned long long findings, unsigned long long processes,
                        unsigned long long suppressed);

#endif
