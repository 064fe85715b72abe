/* A fault that is not in memboss's memory goes to the program's own SIGSEGV handler,
 * installed with sigaction after memboss's: memboss stays silent and the program's
 * handler decides (here: exit status 3). */
// EXPECT-NOT: memboss:
// EXPECT: program handler
// EXPECT-STATUS: 3
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)ctx;
    if (si->si_addr == (void *)8) write(2, "program handler\n", 16);
    _exit(3);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    *(volatile int *)8 = 1;
    return 0;
}
