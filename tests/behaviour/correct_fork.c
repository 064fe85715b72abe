// Correct program (no finding): fork while another thread is allocating; each child allocates
// and frees, then exits. A child that deadlocks on an allocator lock hangs the test (timeout).
// memboss must stay silent and the status must be 0.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!stop) {
        char *p = malloc(48);
        memset(p, 7, 48);
        free(p);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, churn, NULL) != 0)
        return 3;
    int status = 0;
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return 3;
        if (pid == 0) {
            for (int j = 0; j < 100; j++)
                free(malloc((size_t)j * 16 + 1));
            char *s = strdup("child");
            free(s);
            exit(0);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            status = 2;
    }
    stop = 1;
    pthread_join(t, NULL);
    return status;
}
