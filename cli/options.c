/* The memboss command line: options, their translation into runtime options, --help.
 *
 * Options come before the program, as `--name=value` (Valgrind's form) or a bare flag; the
 * first word that is not an option, or the word after `--`, is the program. */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_OPTION_VALUE_MAX 255 /* a runtime string option holds at most this many bytes */

struct cli_opt;
typedef void cli_apply_fn(struct cli_config *cfg, const struct cli_opt *o, const char *value);

struct cli_opt {
    const char *name;    /* long form, "--log-file" */
    char short_name;     /* 'q' for -q, or 0 */
    const char *arg;     /* what the value is, for --help; NULL for a flag */
    const char *runtime; /* the runtime option key; for a flag the key=value it sets */
    long min, max;       /* range of a numeric value */
    cli_apply_fn *apply;
    const char *help;
};

static cli_apply_fn cli_opt_exitcode, cli_opt_log_file, cli_opt_freelist, cli_opt_number,
    cli_opt_trace, cli_opt_mode, cli_opt_leak, cli_opt_kinds, cli_opt_fill, cli_opt_yesno, cli_opt_flag,
    cli_opt_raw, cli_opt_help, cli_opt_version, cli_opt_show_map, cli_opt_color, cli_opt_output,
    cli_opt_syntax, cli_opt_suppressions, cli_opt_gen_supp;

static const struct cli_opt cli_opts[] = {
    {"--error-exitcode", 0, "N", NULL, 0, 255, cli_opt_exitcode,
     "exit with N if anything was found (default 1; 0: off)"},
    {"--log-file", 0, "FILE", "log_file", 0, 0, cli_opt_log_file,
     "write findings to FILE, not stderr (%p: the pid)"},
    {"--freelist-vol", 0, "BYTES", "quarantine_size_mb", 0, 0, cli_opt_freelist,
     "freed bytes kept inaccessible (default 64m; k/m/g ok)"},
    {"--num-callers", 0, "N", "malloc_context_size", 1, 500, cli_opt_number,
     "stack frames kept per malloc and free (default 16)"},
    {"--trace-children", 0, "yes|no", NULL, 0, 0, cli_opt_trace,
     "also check processes the program starts (default yes)"},
    {"--leak-check", 0, "no|summary|full", "leak_check", 0, 0, cli_opt_leak,
     "find blocks nothing points to, at exit (default full)"},
    {"--show-leak-kinds", 0, "KINDS", "show_leak_kinds", 0, 0, cli_opt_kinds,
     "loss records shown: definite,indirect,possible,reachable|all|none (default definite,indirect,possible)"},
    {"--errors-for-leak-kinds", 0, "KINDS", "errors_for_leak_kinds", 0, 0, cli_opt_kinds,
     "leak kinds that count as errors (default definite,indirect)"},
    {"--mode", 0, "check|fast", "mode", 0, 0, cli_opt_mode,
     "check: find errors (default); fast: a fast malloc"},
    {"--guard-max", 0, "N", "guard_max", 0, INT_MAX, cli_opt_number,
     "the first N blocks get a guard page (default 256)"},
    {"--guard-sample", 0, "N", "guard_sample", 1, INT_MAX, cli_opt_number,
     "then guard one block in N (default 1024)"},
    {"--malloc-fill", 0, "0xNN|no", "malloc_fill_byte", 0, 0, cli_opt_fill,
     "byte that fills new blocks (default 0xbe; no: none)"},
    {"--free-fill", 0, "0xNN|no", "free_fill_byte", 0, 0, cli_opt_fill,
     "byte that fills freed blocks (default 0xfd; no: none)"},
    {"--report-unwritten", 0, "yes|no", "report_unwritten", 0, 0, cli_opt_yesno,
     "report blocks freed without being written (default no)"},
    {"--unwritten-reads", 0, "yes|no", "unwritten_reads", 0, 0, cli_opt_yesno,
     "trap reads of never-written guarded pages (default no)"},
    {"--max-errors", 0, "N", "max_errors", 0, INT_MAX, cli_opt_number,
     "report N findings in full, then count (default 100)"},
    {"--show-map", 0, NULL, "show_map=1", 0, 0, cli_opt_show_map,
     "at a fault, show the process's memory map, the address marked"},
    {"--color", 0, "auto|always|never", NULL, 0, 0, cli_opt_color,
     "ANSI colors in findings (default auto: when stderr is a terminal)"},
    {"--syntax", 0, "intel|att", NULL, 0, 0, cli_opt_syntax,
     "assembly syntax of the faulting instruction (default intel)"},
    {"--suppressions", 0, "FILE", NULL, 0, 0, cli_opt_suppressions,
     "hide the findings FILE describes (repeatable)"},
    {"--gen-suppressions", 0, "no|yes", NULL, 0, 0, cli_opt_gen_supp,
     "print a suppression entry after each finding (default no)"},
    {"--json", 0, "FILE", NULL, 0, 0, cli_opt_output, "also write the findings to FILE as JSON"},
    {"--sarif", 0, "FILE", NULL, 0, 0, cli_opt_output, "also write them as SARIF 2.1.0"},
    {"--html", 0, "FILE", NULL, 0, 0, cli_opt_output, "also write them as one HTML page"},
    {"--quiet", 'q', NULL, "verbosity=0", 0, 0, cli_opt_flag, "findings, and notes when checking degrades (default)"},
    {"--verbose", 'v', NULL, "verbosity=1", 0, 0, cli_opt_flag, "also the settings of each process at start"},
    {"--options", 0, "RAW", NULL, 0, 0, cli_opt_raw, "raw runtime options, key=value:key=value"},
    {"--help", 'h', NULL, NULL, 0, 0, cli_opt_help, "print this help and exit"},
    {"--version", 0, NULL, NULL, 0, 0, cli_opt_version, "print the version and exit"},
};
#define CLI_NOPTS (sizeof cli_opts / sizeof cli_opts[0])

/* "memboss: PROBLEM 'ARG' (memboss --help lists the options)", exit 2. */
static void cli_usage_error(const char *problem, const char *arg) __attribute__((noreturn));
static void cli_usage_error(const char *problem, const char *arg)
{
    fprintf(stderr, "memboss: %s '%s' (memboss --help lists the options)\n", problem, arg);
    exit(CLI_EXIT_USAGE);
}

static void cli_bad_value(const struct cli_opt *o, const char *value, const char *expected)
    __attribute__((noreturn));
static void cli_bad_value(const struct cli_opt *o, const char *value, const char *expected)
{
    fprintf(stderr, "memboss: %s=%s: expected %s\n", o->name, value, expected);
    exit(CLI_EXIT_USAGE);
}

/* Decimal digits only (no sign, no blanks), with an optional k/m/g (binary) suffix when
 * suffix_ok. Returns -1 when s is not such a number or it exceeds limit. */
static int cli_parse_number(const char *s, int suffix_ok, unsigned long long limit,
                            unsigned long long *out)
{
    unsigned long long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (limit - (unsigned)(*p - '0')) / 10) return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (p == s) return -1;
    unsigned shift = 0;
    if (suffix_ok && *p && !p[1]) {
        const char *units = "kKmMgG", *u = strchr(units, *p);
        if (!u) return -1;
        shift = 10 * (unsigned)((u - units) / 2 + 1);
        p++;
    }
    if (*p || v > limit >> shift) return -1;
    *out = v << shift;
    return 0;
}

static void cli_add_runtime_option(struct cli_config *cfg, const char *key, const char *fmt,
                                   unsigned long long v)
{
    char *item = cli_format(fmt, key, v);
    cli_strlist_add(&cfg->runtime_options, item);
    free(item);
}

static void cli_opt_number(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    unsigned long long v;
    if (cli_parse_number(value, 0, (unsigned long long)o->max, &v) ||
        v < (unsigned long long)o->min) {
        char *range = cli_format("a number from %ld to %ld", o->min, o->max);
        cli_bad_value(o, value, range);
    }
    cli_add_runtime_option(cfg, o->runtime, "%s=%llu", v);
}

/* The CLI decides the exit status itself from the status directory: under memboss run the
 * runtime does not change a process's exit status, so nothing is passed on. */
static void cli_opt_exitcode(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    unsigned long long v;
    if (cli_parse_number(value, 0, (unsigned long long)o->max, &v))
        cli_bad_value(o, value, "a number from 0 to 255");
    cfg->error_exitcode = (int)v;
}

/* The runtime separates options with ':' or ',', so neither may appear in a value. */
static void cli_check_option_text(const struct cli_opt *o, const char *value, const char *text)
{
    if (strpbrk(text, ":,")) cli_bad_value(o, value, "a value without ':' or ','");
    if (strlen(text) > CLI_OPTION_VALUE_MAX)
        cli_bad_value(o, value, "a value of at most 255 bytes (as an absolute path)");
}

/* A relative FILE is made absolute now, so that it still means the same file for processes
 * that change directory. */
static void cli_opt_log_file(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    if (!*value) cli_bad_value(o, value, "a file name");
    char *path;
    if (value[0] == '/') {
        path = cli_strdup(value);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd) cli_die(CLI_EXIT_FAILURE, "cannot find the current directory for %s", o->name);
        path = cli_format("%s/%s", cwd, value);
        free(cwd);
    }
    cli_check_option_text(o, value, path);
    char *item = cli_format("%s=%s", o->runtime, path);
    cli_strlist_add(&cfg->runtime_options, item);
    free(item);
    free((char *)cfg->log_file);
    cfg->log_file = path; /* the command writes each process's reports there itself */
}

/* The runtime's quarantine is sized in MiB: round up, and keep at least 1. */
static void cli_opt_freelist(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    const unsigned long long mib = 1ull << 20, limit = 1ull << 50;
    unsigned long long bytes;
    if (cli_parse_number(value, 1, limit, &bytes))
        cli_bad_value(o, value, "a number of bytes, with an optional k, m or g suffix");
    unsigned long long mb = (bytes + mib - 1) / mib;
    cli_add_runtime_option(cfg, o->runtime, "%s=%llu", mb ? mb : 1);
}

/* yes: 1, no: 0, else a usage error. */
static int cli_parse_yesno(const struct cli_opt *o, const char *value)
{
    if (strcmp(value, "yes") && strcmp(value, "no")) cli_bad_value(o, value, "yes or no");
    return !strcmp(value, "yes");
}

static void cli_opt_trace(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    cfg->trace_children = cli_parse_yesno(o, value);
}

static void cli_opt_mode(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    if (strcmp(value, "check") && strcmp(value, "fast")) cli_bad_value(o, value, "check or fast");
    char *item = cli_format("%s=%s", o->runtime, value);
    cli_strlist_add(&cfg->runtime_options, item);
    free(item);
}

/* Valgrind's words for how much of the leak check to show. */
static void cli_opt_leak(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    static const char *const levels[] = {"no", "summary", "full"};
    for (unsigned long long i = 0; i < 3; i++) {
        if (!strcmp(value, levels[i])) {
            cli_add_runtime_option(cfg, o->runtime, "%s=%llu", i);
            return;
        }
    }
    cli_bad_value(o, value, "no, summary or full");
}

/* A comma-separated list of leak kinds, or all, or none, as Valgrind takes it. */
static void cli_opt_kinds(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    static const char *const kinds[] = {"definite", "indirect", "possible", "reachable", "all", "none"};
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ","), k = 0;
        while (k < 6 && (strlen(kinds[k]) != n || strncmp(p, kinds[k], n))) k++;
        if (k == 6) cli_bad_value(o, value, "definite, indirect, possible, reachable (comma-separated), all or none");
        p += n + (p[n] == ',');
    }
    char *item = cli_format("%s=%s", o->runtime, value);
    cli_strlist_add(&cfg->runtime_options, item);
    free(item);
}

/* A byte in hex, as Valgrind takes it: 0xNN or NN; `no` or `off`: no fill. */
static void cli_opt_fill(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    if (!strcmp(value, "no") || !strcmp(value, "off")) {
        cli_add_runtime_option(cfg, o->runtime, "%s=-%llu", 1ull);
        return;
    }
    const char *digits = value + (value[0] == '0' && (value[1] == 'x' || value[1] == 'X') ? 2 : 0);
    size_t n = strlen(digits);
    if (n < 1 || n > 2 || strspn(digits, "0123456789abcdefABCDEF") != n)
        cli_bad_value(o, value, "a byte in hex, 0x00 to 0xff, or no");
    cli_add_runtime_option(cfg, o->runtime, "%s=0x%02llx", strtoull(digits, NULL, 16));
}

static void cli_opt_yesno(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    cli_add_runtime_option(cfg, o->runtime, "%s=%llu", (unsigned long long)cli_parse_yesno(o, value));
}

static void cli_opt_flag(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    (void)value;
    cli_strlist_add(&cfg->runtime_options, o->runtime);
}

static void cli_opt_show_map(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    cli_opt_flag(cfg, o, value);
    cfg->show_map = 1;
}

static void cli_opt_color(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    static const char *const words[] = {"auto", "always", "never"};
    for (int i = 0; i < 3; i++) {
        if (!strcmp(value, words[i])) {
            cfg->color = (enum cli_color)i;
            return;
        }
    }
    cli_bad_value(o, value, "auto, always or never");
}

static void cli_opt_syntax(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    if (strcmp(value, "intel") && strcmp(value, "att")) cli_bad_value(o, value, "intel or att");
    cfg->att = !strcmp(value, "att");
}

static void cli_opt_suppressions(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    if (!*value) cli_bad_value(o, value, "a file name");
    cli_strlist_add(&cfg->suppressions, value);
}

static void cli_opt_gen_supp(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    cfg->gen_suppressions = cli_parse_yesno(o, value);
}

/* --json, --sarif, --html: files the command writes at the end (the last one given wins). */
static void cli_opt_output(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    if (!*value) cli_bad_value(o, value, "a file name");
    const char **field = !strcmp(o->name, "--json")    ? &cfg->json
                         : !strcmp(o->name, "--sarif") ? &cfg->sarif
                                                       : &cfg->html;
    *field = value;
}

static void cli_opt_raw(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    (void)o;
    if (*value) cli_strlist_add(&cfg->runtime_options, value);
}

#define CLI_HELP_WIDTH 80    /* columns of --help's output                          */
#define CLI_HELP_FORM_MAX 24 /* a longer option form gets a line of its own            */

/* An option's form as --help shows it: "-q, --quiet", "--log-file=FILE", "--version". */
static char *cli_option_form(const struct cli_opt *o)
{
    return o->short_name ? cli_format("-%c, %s", o->short_name, o->name)
           : o->arg      ? cli_format("%s=%s", o->name, o->arg)
                         : cli_strdup(o->name);
}

/* text from column col (the cursor is there), its words wrapped at CLI_HELP_WIDTH with
 * each further line indented to col. */
static void cli_print_wrapped(const char *text, int col)
{
    int at = col;
    while (*text) {
        int len = (int)strcspn(text, " ");
        if (at > col && at + 1 + len > CLI_HELP_WIDTH) {
            printf("\n%*s", col, "");
            at = col;
        } else if (at > col) {
            putchar(' ');
            at++;
        }
        printf("%.*s", len, text);
        at += len;
        text += len;
        text += strspn(text, " ");
    }
    putchar('\n');
}

static void cli_print_help(void)
{
    printf("usage: memboss [run] [options] [--] program [args...]\n"
           "\n"
           "Runs program with the memboss runtime preloaded in check mode and reports heap\n"
           "errors (use after free, overflows, double and invalid frees) as they happen.\n"
           "\n"
           "options:\n");
    /* One help column for every option: after the widest form that fits the limit. */
    int width = 0;
    for (size_t i = 0; i < CLI_NOPTS; i++) {
        char *form = cli_option_form(&cli_opts[i]);
        int len = (int)strlen(form);
        if (len <= CLI_HELP_FORM_MAX && len > width) width = len;
        free(form);
    }
    const int col = 2 + width + 2;
    for (size_t i = 0; i < CLI_NOPTS; i++) {
        char *form = cli_option_form(&cli_opts[i]);
        if ((int)strlen(form) > width) printf("  %s\n%*s", form, col, "");
        else printf("  %-*s  ", width, form);
        cli_print_wrapped(cli_opts[i].help, col);
        free(form);
    }
    printf("\n"
           "environment:\n"
           "  MEMBOSS_LIB       the runtime library to preload (default: libmemboss.so next\n"
           "                    to memboss, or in ../lib/memboss/)\n"
           "  MEMBOSS_OPTIONS   runtime options; the command line's come after and win\n"
           "  LD_PRELOAD        kept; libmemboss.so is added after its entries\n"
           "\n"
           "exit status:\n"
           "  the program's status, or --error-exitcode's N if there were findings;\n"
           "  if the program dies of a signal, memboss dies of the same signal\n"
           "  2    usage error (bad or unknown option, no program)\n"
           "  125  memboss could not run it (no runtime library, no temporary directory)\n"
           "  126  program not executable, or the runtime cannot be preloaded into it\n"
           "  127  program not found\n");
}

static void cli_opt_help(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    (void)cfg, (void)o, (void)value;
    cli_print_help();
    exit(0);
}

static void cli_opt_version(struct cli_config *cfg, const struct cli_opt *o, const char *value)
{
    (void)cfg, (void)o, (void)value;
    printf("memboss %s\n", MB_VERSION);
    exit(0);
}

/* The option arg names, or dies naming it. *value is what follows '=' (NULL if none). */
static const struct cli_opt *cli_find_option(const char *arg, const char **value)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    *value = eq ? eq + 1 : NULL;
    for (size_t i = 0; i < CLI_NOPTS; i++) {
        const struct cli_opt *o = &cli_opts[i];
        int is_short = len == 2 && arg[1] == o->short_name && o->short_name;
        if (is_short || (strlen(o->name) == len && !strncmp(arg, o->name, len))) return o;
    }
    cli_usage_error("unknown option", arg);
}

static void cli_apply_option(struct cli_config *cfg, const char *arg)
{
    const char *value;
    const struct cli_opt *o = cli_find_option(arg, &value);
    if (o->arg && !value) {
        fprintf(stderr, "memboss: %s needs a value: %s=%s\n", o->name, o->name, o->arg);
        exit(CLI_EXIT_USAGE);
    }
    if (!o->arg && value) cli_usage_error("no value allowed in", arg);
    o->apply(cfg, o, value);
}

void cli_parse_args(int argc, char **argv, struct cli_config *cfg)
{
    *cfg = (struct cli_config){.error_exitcode = 1, .trace_children = 1};
    int i = 1;
    if (i < argc && !strcmp(argv[i], "run")) i++;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') break;
        cli_apply_option(cfg, a);
    }
    if (i >= argc) {
        fputs("usage: memboss [run] [options] [--] program [args...]\n"
              "memboss: no program to run (memboss --help lists the options)\n",
              stderr);
        exit(CLI_EXIT_USAGE);
    }
    cfg->prog_argv = argv + i;
}
