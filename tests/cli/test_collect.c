/* Reading report files while they are written (cli/collect.c) and the text they become
 * (cli/render_text.c, cli/elfsect.c): a process's file grows between polls; each report is
 * rendered once, when its END line is there, into the process's --log-file; a cut report
 * at the end; the memory map high addresses first with this program's own sections named. */
#include "cli.h"
#include "finding.h"

#include "../unit/check.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/memboss-test-collect.XXXXXX";
static char bss_word[64]; /* in this program's .bss */

static void append(const char *name, const char *text)
{
    char *path = cli_format("%s/%s", dir, name);
    FILE *f = fopen(path, "a");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
}

/* The log file of pid, whole; "" when there is none. */
static char *log_text(int pid)
{
    char *path = cli_format("%s/log.%d.txt", dir, pid);
    FILE *f = fopen(path, "r");
    free(path);
    char *text = cli_strdup("");
    if (!f) return text;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *t = cli_format("%s%s", text, line);
        free(text);
        text = t;
    }
    fclose(f);
    return text;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++) n++;
    return n;
}

/* @map lines for this process's own mappings, as the runtime writes them. */
static char *own_map(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char *text = cli_strdup("");
    if (!f) return text;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perms[8], path[900] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %899[^\n]", &lo, &hi, perms, &off, path) < 4)
            continue;
        const char *kind = path[0] == '/' ? "file" : !strcmp(path, "[stack]") ? "stack" : "anon";
        char *t = cli_format("%s==4242== @map 0x%llx 0x%llx %s 0x%llx %s %s\n", text, lo, hi, perms,
                             off, kind, path[0] == '/' ? path : "-");
        free(text);
        text = t;
    }
    fclose(f);
    return text;
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    struct cli_config cfg = {.color = CLI_COLOR_NEVER, .show_map = 1};
    cfg.log_file = cli_format("%s/log.%%p.txt", dir);
    cli_collect_start(dir, &cfg);

    const char *head = "==4242== memboss: ERROR: heap-buffer-overflow\n"
                       "==4242== @access 0x%llx 4242 write\n"
                       "==4242== @reg rax 0x7f3c1ffffff2 heap\n"
                       "==4242== @reg rbx 0x0 null\n";
    char *first = cli_format(head, (unsigned long long)(uintptr_t)bss_word);
    append("4242.report", first);
    append("4242.report", "==4242==   WRITE at 0x10 by thread 4242:\n"
                          "==4242==     #0 0x401136 in main+0x16 (/bin/prog+0x1136)\n");
    cli_collect_poll(0);
    char *log = log_text(4242);
    CHECKF(!strstr(log, "ERROR"), "nothing before END: %s", log);
    free(log);

    char *map = own_map();
    append("4242.report", map);
    append("4242.report", "==4242==     #1 0x7f0000001000 (/lib/libc.so.6+0x1000)\n"
                          "==4242== memboss: END\n"
                          "==4242== memboss: note: a note between reports\n"
                          "==4242== memboss: INFO: leak\n");
    append("77.report", "==77== memboss: ERROR: double-free\n==77== memboss: END\n");
    cli_collect_poll(0);
    log = log_text(4242);
    CHECK(count(log, "==4242== memboss: ERROR: heap-buffer-overflow\n") == 1);
    CHECK(count(log, "==4242== memboss: END\n") == 1);
    CHECK(strstr(log, "==4242==     #0 0x401136 in main+0x16 (/bin/prog+0x1136)\n") != NULL);
    CHECK(strstr(log, "==4242==     #1 0x7f0000001000 (/lib/libc.so.6+0x1000)\n") != NULL);
    CHECK(strstr(log, "==4242==   rax 0x00007f3c1ffffff2 heap       rbx 0x0000000000000000 NULL\n"));
    CHECK(strstr(log, "==4242== memboss: note: a note between reports\n") != NULL);
    CHECK(!strstr(log, "INFO")); /* still being written */
    /* The map: high addresses first, our .bss marked, our .text named. */
    char *text_of = cli_format(".text of %s", program_invocation_short_name);
    char *bss_of = cli_format("bss of %s  <- ", program_invocation_short_name);
    const char *stack = strstr(log, "stack (grows down)"), *text = strstr(log, text_of);
    const char *arrow = strstr(log, "=> 0x");
    CHECKF(stack && text && stack < text, "stack above .text:\n%s", log);
    CHECKF(arrow && strstr(arrow, bss_of) && strstr(arrow, bss_of) < strchr(arrow, '\n'),
           "the address in .bss:\n%s", log);
    free(text_of);
    free(bss_of);
    char *other = log_text(77);
    CHECK(strstr(other, "==77== memboss: ERROR: double-free\n==77== memboss: END\n") == other);
    free(other);
    free(log);

    /* No new lines: nothing more. The process dies in the middle of its next report. */
    cli_collect_poll(0);
    append("4242.report", "==4242==   1 byte in 1 block is still reachable");
    cli_collect_poll(1);
    log = log_text(4242);
    CHECK(count(log, "memboss: ERROR: heap-buffer-overflow") == 1);
    CHECK(strstr(log, "==4242== memboss: INFO: leak\n==4242==   1 byte in 1 block is still "
                      "reachable\n==4242== memboss: (the report ends here") != NULL);
    free(log);
    struct cli_findings *all = cli_collect_findings();
    CHECK(all->n == 3 && all->processes == 2);
    /* By pid within a poll: 77's report, then 4242's. */
    CHECK(all->n == 3 && all->v[0].pid == 77 && all->v[1].complete && !all->v[2].complete);

    /* A symbolized frame: function, file and line instead of offsets. */
    if (all->n == 3 && all->v[1].nstacks == 1) {
        struct cli_frame *fr = &all->v[1].stacks[0].frames[0];
        fr->src_function = cli_strdup("main");
        fr->file = cli_strdup("/src/prog.c");
        fr->line = 12;
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        struct cli_render_opts o = {.color = 1};
        cli_render_finding(mem, &all->v[1], &o);
        fclose(mem);
        CHECKF(strstr(buf, "#0 0x401136 in \033[36mmain\033[0m \033[32m/src/prog.c:12\033[0m\n") != NULL,
               "%s", buf);
        CHECK(strstr(buf, "\033[1;31mERROR: heap-buffer-overflow\033[0m") != NULL);
        CHECK(!strstr(buf, "memory map")); /* show_map off */
        free(buf);
        /* The source line under frame #0, a caret under its column (when source lines can
         * be read: symbolize.c). */
        char *src = cli_format("%s/prog.c", dir);
        append("prog.c", "int main(void)\n{\n\tp[2] = 1;\n}\n");
        free(fr->file);
        fr->file = src;
        fr->line = 3;
        fr->column = 7;
        char *probe = cli_source_line(src, 3);
        buf = NULL;
        mem = open_memstream(&buf, &len);
        o.color = 0;
        cli_render_finding(mem, &all->v[1], &o);
        fclose(mem);
        /* The caret under the '=' (byte 7 of the line), however the tab is shown. */
        const char *row = probe ? strstr(buf, "==4242==          3 | ") : NULL;
        const char *caret = row ? strstr(row, "\n==4242==            | ") : NULL;
        if (probe)
            CHECKF(caret && strchr(row + 22, '=') - (row + 22) == strchr(caret, '^') - (caret + 23),
                   "%s", buf);
        free(probe);
        free(buf);
    }
    /* All at once: a suppressed finding is left out and counted; INFO is not counted. */
    if (all->n == 3) {
        all->v[0].suppressed_by = "a-rule";
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        struct cli_render_opts o = {0};
        cli_render_text(mem, all, &o);
        fclose(mem);
        CHECKF(!strstr(buf, "double-free") && strstr(buf, "memboss: INFO: leak") &&
                   strstr(buf, "==memboss== 1 finding in 2 processes (1 suppressed)\n"),
               "%s", buf);
        free(buf);
    }
    cli_findings_free(all);

    char *rm = cli_format("rm -rf %s", dir);
    CHECK(system(rm) == 0);
    free(rm);
    free(first);
    free(map);
    free((char *)cfg.log_file);
    return check_done("collect");
}
