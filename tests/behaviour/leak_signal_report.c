/* leak_check_signal=12: SIGUSR2 asks a running program for a leak report, made at its
 * next malloc or free. The lost block is freed afterwards (its address was only kept
 * scrambled), so the report can only have come from the signal. */
// RUN-ARGS: --options=leak_check_signal=12
// EXPECT: 24 bytes in 1 block is definitely lost in loss record 1 of 1
// EXPECT: still running after the report
// EXPECT-STATUS: 1
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uintptr_t hidden;

static __attribute__((noinline)) void hide(void) { hidden = (uintptr_t)malloc(24) ^ 0xa5a5a5a5a5a5a5a5u; }

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    hide();
    scrub_stack();
    raise(SIGUSR2);
    free(malloc(1)); /* the report is made here */
    fprintf(stderr, "still running after the report\n");
    free((void *)(hidden ^ 0xa5a5a5a5a5a5a5a5u));
    return 0;
}
