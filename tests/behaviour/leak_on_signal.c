/* leak_check_on_signal=1: a program killed by a signal (here SIGTERM) still gets its leak
 * check, then dies of the signal. */
// RUN-ARGS: --options=leak_check_on_signal=1
// EXPECT: killed by signal 15: checking for leaks first
// EXPECT: 56 bytes in 1 block is definitely lost
// EXPECT-STATUS: 143
#include <signal.h>
#include <stdlib.h>

static __attribute__((noinline)) void lose(void) { ((char *volatile)malloc(56))[0] = 1; }

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    lose();
    scrub_stack();
    raise(SIGTERM);
    return 0;
}
