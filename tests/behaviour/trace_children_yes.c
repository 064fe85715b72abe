// --trace-children=yes (the default): the program runs a child (itself, through exec) that
// loses a block. The child is checked too: its leak is reported and counted.
// trace_children_no.c is the same program with the child left unchecked.
// RUN-ARGS: --trace-children=yes
// EXPECT: the child ran
// EXPECT: 48 bytes in 1 block is definitely lost
// EXPECT: ==memboss== 1 finding in 1 process
// EXPECT-STATUS: 1
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
