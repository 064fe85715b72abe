/* The report reader (cli/report_parse.c) on report files written here as the runtime writes
 * them (docs/events.md): a fault with machine lines, a leak, lines outside reports, a report
 * cut by a killed process, garbage, and a report read while it is being written. */
#include "cli.h"
#include "finding.h"

#include "../unit/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fault_report =
    "==4242== memboss: ERROR: heap-buffer-overflow\n"
    "==4242== @module 0x555555554000 1a2b3c /home/u/my prog\n"
    "==4242== @module 0x7ffff7dd0000 - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "==4242== @access 0x7f3c1ffffff2 4243 write\n"
    "==4242== @block 0x7f3c1ffffff0 2 live\n"
    "==4242== @reg rax 0x7f3c1ffffff2 heap\n"
    "==4242== @reg rcx 0xbebebebebebebebe fill-fresh\n"
    "==4242== @reg rdi 0x10 null\n"
    "==4242== @code 0x555555555136 48890800ff\n"
    "==4242== @map 0x555555554000 0x555555555000 r--p 0x0 file /home/u/my prog\n"
    "==4242== @map 0x7f3c1fff0000 0x7f3c20000000 rw-p 0x0 heap -\n"
    "==4242== @map 0x7ffffffde000 0x7ffffffff000 rw-p 0x0 stack [stack]\n"
    "==4242==   WRITE at 0x7f3c1ffffff2 by thread 4243:\n"
    "==4242==     #0 0x555555555136 in main+0x16 (/home/u/my prog+0x1136)\n"
    "==4242==     #1 0x7ffff7df724a (/usr/lib/x86_64-linux-gnu/libc.so.6+0x2724a)\n"
    "==4242==   0x7f3c1ffffff2 is 0 bytes after the end of a 2-byte block at 0x7f3c1ffffff0\n"
    "==4242==   the block was allocated by thread 4242:\n"
    "==4242==     #0 0x555555555120 in main+0x0 (/home/u/my prog+0x1120)\n"
    "==4242== memboss: END\n";

static const char *leak_report =
    "==4242== memboss: INFO: leak\n"
    "==4242== @leak 4096 1 reachable\n"
    "==4242==   4096 bytes in 1 block are still reachable in loss record 1 of 1\n"
    "==4242==   allocated by thread 4242:\n"
    "==4242==     #0 0x401136 in f+0x6 (/bin/x+0x1136)\n"
    "==4242== memboss: END\n";

static const char *tail_lines =
    "==4242== memboss: note: leak summary: definitely lost: 0 bytes in 0 blocks\n"
    "==4242== memboss: 1 finding in this process\n";

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = cli_format("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
}

static void check_fault(const struct cli_finding *f)
{
    CHECK(f->pid == 4242);
    CHECK(!strcmp(f->kind, "heap-buffer-overflow"));
    CHECK(f->is_error && f->complete);
    CHECK(f->nstacks == 2);
    CHECK(f->nitems == 3); /* stack, text, stack */
    CHECKF(f->nitems == 3 && f->items[0].stack == 0 && f->items[1].stack == -1 &&
               !strcmp(f->items[1].text,
                       "0x7f3c1ffffff2 is 0 bytes after the end of a 2-byte block at 0x7f3c1ffffff0") &&
               f->items[2].stack == 1,
           "items in order");
    if (f->nstacks != 2) return;
    const struct cli_stack *s = &f->stacks[0];
    CHECK(!strcmp(s->title, "WRITE at 0x7f3c1ffffff2 by thread 4243:"));
    CHECK(s->tid == 4243 && f->stacks[1].tid == 4242);
    CHECK(s->n == 2);
    const struct cli_frame *top = cli_finding_top(f);
    CHECK(top == &s->frames[0]);
    CHECK(top->pc == 0x555555555136 && !top->is_return);
    CHECK(top->function && !strcmp(top->function, "main") && top->function_off == 0x16);
    CHECK(top->module && !strcmp(top->module, "/home/u/my prog") && top->module_off == 0x1136);
    CHECK(top->build_id && !strcmp(top->build_id, "1a2b3c"));
    const struct cli_frame *libc = &s->frames[1];
    CHECK(libc->is_return && !libc->function && libc->build_id == NULL);
    CHECK(!strcmp(libc->module, "/usr/lib/x86_64-linux-gnu/libc.so.6") && libc->module_off == 0x2724a);
    CHECK(f->has_access && f->access_addr == 0x7f3c1ffffff2 && f->access_tid == 4243);
    CHECK(!strcmp(f->access_how, "write"));
    CHECK(f->has_block && f->block_addr == 0x7f3c1ffffff0 && f->block_size == 2 && !f->block_freed);
    CHECK(f->nregs == 3);
    if (f->nregs == 3) {
        CHECK(!strcmp(f->regs[0].name, "rax") && f->regs[0].mark == CLI_REG_HEAP);
        CHECK(f->regs[1].value == 0xbebebebebebebebe && f->regs[1].mark == CLI_REG_FILL_FRESH);
        CHECK(f->regs[2].mark == CLI_REG_NULL);
    }
    CHECK(f->insn.pc == 0x555555555136 && f->insn.nbytes == 5 && f->insn.bytes[0] == 0x48 &&
          f->insn.bytes[4] == 0xff);
    CHECK(f->nregions == 3);
    if (f->nregions == 3) {
        CHECK(!strcmp(f->regions[0].path, "/home/u/my prog") && !strcmp(f->regions[0].kind, "file"));
        CHECK(!strcmp(f->regions[0].perms, "r--p") && !f->regions[0].has_addr);
        CHECK(f->regions[1].path == NULL && !strcmp(f->regions[1].kind, "heap") && f->regions[1].has_addr);
        CHECK(f->regions[2].lo == 0x7ffffffde000 && f->regions[2].hi == 0x7ffffffff000);
    }
}

static void check_leak(const struct cli_finding *f)
{
    CHECK(!f->is_error && f->complete && !strcmp(f->kind, "leak"));
    CHECK(f->leak_bytes == 4096 && f->leak_blocks == 1 && !strcmp(f->leak_kind, "reachable"));
    CHECK(f->nstacks == 1 && f->stacks[0].tid == 4242);
    CHECK(!f->has_access && f->nregs == 0);
}

/* Reads text in pieces of `step` bytes, as a poll would, and returns the lines outside
 * reports joined. */
static char *read_in_steps(const char *text, size_t step, struct cli_findings *all)
{
    size_t len = strlen(text), have = 0, done = 0, used;
    struct cli_strlist lines = {0};
    while (done < len) {
        have = have + step < len ? have + step : len;
        int final = have == len;
        for (;;) {
            enum cli_unit u = cli_report_next(text + done, have - done, final, &used, all);
            if (u == CLI_UNIT_MORE) break;
            if (u == CLI_UNIT_LINE) {
                char *l = cli_format("%.*s", (int)used, text + done);
                cli_strlist_add(&lines, l);
                free(l);
            }
            done += used;
        }
        if (final) break;
    }
    char *joined = cli_strlist_join(&lines, '|');
    for (size_t i = 0; i < lines.n; i++) free(lines.v[i]);
    free(lines.v);
    return joined;
}

int main(void)
{
    char dir[] = "/tmp/memboss-test-report.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);

    /* Two processes; the second's file holds a cut report and garbage. */
    char *first = cli_format("%s%s%s", fault_report, leak_report, tail_lines);
    write_file(dir, "4242.report", first);
    write_file(dir, "77.report",
               "garbage line\n"
               "==77== memboss: ERROR: heap-use-after-free\n"
               "==77== @access zz 1\n"
               "==77== @reg\n"
               "==77== @reg r8\n"
               "==77== @code 0x10 4g\n"
               "==77== @map 0x1\n"
               "==77== @block 0x10\n"
               "==77== @bogus 1 2 3\n"
               "==77==     #\n"
               "==77==     #1 0x\n"
               "==77==     #2 0x10 in\n"
               "==77==     #3 0x20 in f+0xzz (\n"
               "==77==     #4 0x30 (m+0x)\n"
               "====   READ at 0x1000 by thread\n"
               "==77==   READ at 0x1000 by th");
    write_file(dir, "4242", "1\n"); /* a status count file: not a report */

    struct cli_findings all = {0};
    CHECK(cli_findings_read_dir(dir, &all) == 0);
    CHECKF(all.n == 3, "%zu findings", all.n);
    CHECK(all.processes == 2);
    if (all.n == 3) {
        const struct cli_finding *cut = &all.v[0]; /* pid 77 sorts first */
        CHECK(cut->pid == 77 && !cut->complete && cut->is_error);
        CHECK(!strcmp(cut->kind, "heap-use-after-free"));
        CHECK(!cut->has_access && !cut->has_block && cut->nregs == 0 && cut->nregions == 0);
        CHECK(cut->insn.nbytes == 0);
        CHECKF(cut->nstacks == 1 && cut->stacks[0].n == 3, "frames #2, #3, #4 parse");
        CHECK(cut->nitems >= 1 && !strcmp(cut->items[cut->nitems - 1].text, "READ at 0x1000 by th"));
        if (cut->nstacks == 1 && cut->stacks[0].n == 3) {
            const struct cli_frame *fr = cut->stacks[0].frames;
            CHECK(fr[0].pc == 0x10 && fr[2].module && !strcmp(fr[2].module, "m+0x"));
        }
        check_fault(&all.v[1]);
        check_leak(&all.v[2]);
    }
    cli_findings_free(&all);
    CHECK(all.n == 0 && all.v == NULL);
    CHECK(cli_findings_read_dir("/nonexistent-memboss-dir", &all) == -1);

    /* Incremental reading: whatever the piece size, the same findings and lines, and a
     * report is taken only once its END line is there. */
    size_t steps[] = {1, 7, 64, 100000};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        char *lines = read_in_steps(first, steps[i], &all);
        CHECKF(all.n == 2, "step %zu: %zu findings", steps[i], all.n);
        if (all.n == 2) {
            check_fault(&all.v[0]);
            check_leak(&all.v[1]);
        }
        CHECKF(!strcmp(lines, "==4242== memboss: note: leak summary: definitely lost: 0 bytes "
                              "in 0 blocks\n|==4242== memboss: 1 finding in this process\n"),
               "step %zu: lines %s", steps[i], lines);
        free(lines);
        cli_findings_free(&all);
    }
    size_t used;
    CHECK(cli_report_next(fault_report, strlen(fault_report) - 1, 0, &used, &all) == CLI_UNIT_MORE);
    CHECK(cli_report_next(fault_report, 200, 0, &used, &all) == CLI_UNIT_MORE && all.n == 0);
    /* A report cut by the next one's first line. */
    int cut_at = (int)(strstr(fault_report, "==4242== @block") - fault_report);
    char *two = cli_format("%.*s%s", cut_at, fault_report, leak_report);
    CHECK(cli_report_next(two, strlen(two), 0, &used, &all) == CLI_UNIT_FINDING);
    CHECK(all.n == 1 && !all.v[0].complete && used == (size_t)cut_at && all.v[0].has_access);
    CHECK(cli_report_next(two + used, strlen(two + used), 0, &used, &all) == CLI_UNIT_FINDING);
    CHECK(all.n == 2 && all.v[1].complete && !strcmp(all.v[1].kind, "leak"));
    free(two);
    cli_findings_free(&all);

    /* Random bytes, and reports with random lines dropped: no crash, everything consumed. */
    srand(1);
    for (int round = 0; round < 300; round++) {
        char buf[2048];
        size_t n = 0;
        for (const char *p = fault_report; *p && n < sizeof buf - 1; p++)
            if (round % 2 || rand() % 16) buf[n++] = round % 2 ? (char)(rand() % 256) : *p;
        buf[n] = '\0';
        size_t done = 0;
        while (done < n && cli_report_next(buf + done, n - done, 1, &used, &all) != CLI_UNIT_MORE)
            done += used;
        CHECKF(done == n, "round %d consumed %zu of %zu", round, done, n);
        cli_findings_free(&all);
    }

    char *rm = cli_format("rm -rf %s", dir);
    CHECK(system(rm) == 0);
    free(rm);
    free(first);
    return check_done("report");
}
