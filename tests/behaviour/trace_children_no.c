// --trace-children=no: the program runs a child (itself, through exec) that loses a block.
// The child runs without memboss, so nothing is reported and the status is the program's.
// trace_children_yes.c is the same program checked in full.
// RUN-ARGS: --trace-children=no
// EXPECT: the child ran
// EXPECT-NOT: memboss:
// EXPECT-STATUS: 0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        char *lost = malloc(48);
        memset(lost, 1, 48);
        lost = NULL;
        fputs("the child ran\n", stderr);
        return 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
