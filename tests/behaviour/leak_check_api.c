/* mb_leak_check() reports the leaks of a running program now. The block's address is kept
 * only in a scrambled form while the check runs (so it is definitely lost then), and is
 * freed afterwards: the leak check at exit finds nothing. */
// EXPECT: 40 bytes in 1 block is definitely lost in loss record 1 of 1
// EXPECT: in main
// EXPECT: mb_leak_check returned 40
// EXPECT-NOT: 2 findings
// EXPECT-STATUS: 1
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

size_t mb_leak_check(void) __attribute__((weak)); /* memboss.h: resolved when preloaded */

uintptr_t hidden;

static __attribute__((noinline)) void hide(void) { hidden = (uintptr_t)malloc(40) ^ 0x5555555555555555u; }

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    if (!mb_leak_check) return 2;
    hide();
    scrub_stack();
    size_t lost = mb_leak_check();
    fprintf(stderr, "mb_leak_check returned %zu\n", lost);
    free((void *)(hidden ^ 0x5555555555555555u));
    return 0;
}
