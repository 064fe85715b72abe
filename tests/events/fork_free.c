// A parent reports before it forks (its report file is open), then its child and it each
// free a block twice: each process must write its own file (DIR/PID.report), holding its
// own findings only.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void free_twice(size_t size)
{
    char *volatile p = malloc(size);
    free(p);
    free(p); // the bug
}

int main(void)
{
    free_twice(16);
    pid_t child = fork();
    if (child < 0) return 2;
    free_twice(24);
    if (child == 0) _exit(0);
    int status;
    if (waitpid(child, &status, 0) != child) return 2;
    return 0;
}
