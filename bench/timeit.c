/* A bench tool: runs a command and writes "WALL CPU MAXRSS STATUS" to the file $TIMEIT_OUT
 * (else to stderr):
 * wall-clock seconds, user + system CPU seconds and peak RSS (KiB) of the command and its
 * waited-for descendants (wait4), and its exit status (128 + N when killed by signal N).
 *   TIMEIT_OUT=FILE timeit CMD [ARG...]
 * TIMEIT_LD_PRELOAD, when set, becomes the command's LD_PRELOAD (this program itself
 * runs without the allocator under test). A small C program rather than the runner: a
 * child's peak RSS starts from what it inherited at fork, and this program is small. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: TIMEIT_OUT=FILE timeit CMD [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        const char *pre = getenv("TIMEIT_LD_PRELOAD");
        if (pre) {
            setenv("LD_PRELOAD", pre, 1);
            unsetenv("TIMEIT_LD_PRELOAD");
        }
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return 2;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const char *name = getenv("TIMEIT_OUT");
    FILE *out = name ? fopen(name, "w") : stderr;
    if (!out) return 2;
    fprintf(out, "%.6f %.6f %ld %d\n", wall, cpu, ru.ru_maxrss, code);
    return fclose(out) != 0 ? 2 : 0;
}
