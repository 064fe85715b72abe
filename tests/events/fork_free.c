// A parent and its forked child each free a block twice: each process must write its own
// report file (DIR/PID.report) holding its own finding.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    char *volatile p = malloc(24);
    pid_t child = fork();
    if (child < 0) return 2;
    free(p);
    free(p); // the bug, once in each process
    if (child == 0) _exit(0);
    int status;
    if (waitpid(child, &status, 0) != child) return 2;
    return 0;
}
