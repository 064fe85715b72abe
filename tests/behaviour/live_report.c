// The command renders a report while the program still runs. This program plays the
// runtime's part by hand (docs/events.md): it writes a complete report into its PID.report
// in the run's directory (status_dir in MEMBOSS_OPTIONS), and its count, then waits until
// the report shows up in its --log-file, rendered by memboss, and copies the log to stderr.
// A report the command only read after the exit would never show up: the program gives up
// after 30 s and says so.
// RUN-ARGS: --log-file=live_report.%p.log
// EXPECT: rendered while running
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: WRITE at 0x1000 by thread
// EXPECT: #0 0x401136 in main+0x16 (/no/such/prog+0x1136)
// EXPECT: memboss: END
// EXPECT: ==memboss== 1 finding in 1 process
// EXPECT-STATUS: 1
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of status_dir in MEMBOSS_OPTIONS (the last one). */
static const char *status_dir(void)
{
    static char dir[512];
    const char *opts = getenv("MEMBOSS_OPTIONS"), *p = opts, *found = NULL;
    while (p && (p = strstr(p, "status_dir="))) found = p += 11;
    if (!found) return NULL;
    snprintf(dir, sizeof dir, "%.*s", (int)strcspn(found, ":,"), found);
    return dir;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        exit(3);
    }
    close(fd);
}

int main(void)
{
    const char *dir = status_dir();
    if (!dir) {
        fputs("no status_dir\n", stderr);
        return 3;
    }
    int pid = getpid();
    char path[700], text[2048], log[64];
    snprintf(text, sizeof text,
             "==%d== memboss: ERROR: heap-buffer-overflow\n"
             "==%d== @module 0x400000 - /no/such/prog\n"
             "==%d== @access 0x1000 %d write\n"
             "==%d==   WRITE at 0x1000 by thread %d:\n"
             "==%d==     #0 0x401136 in main+0x16 (/no/such/prog+0x1136)\n"
             "==%d== memboss: END\n",
             pid, pid, pid, pid, pid, pid, pid, pid);
    snprintf(path, sizeof path, "%s/%d.report", dir, pid);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/%d", dir, pid);
    write_file(path, "1\n");
    snprintf(log, sizeof log, "live_report.%d.log", pid);
    for (int i = 0; i < 3000; i++) {
        FILE *f = fopen(log, "r");
        char got[4096] = "";
        size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
        if (f) fclose(f);
        got[n] = '\0';
        if (strstr(got, "memboss: END\n")) {
            fprintf(stderr, "rendered while running\n%s", got);
            unlink(log);
            return 0;
        }
        usleep(10000);
    }
    fputs("the report was not rendered in 30 s\n", stderr);
    return 0;
}
