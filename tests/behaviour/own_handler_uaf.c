/* A program with its own SIGSEGV handler (installed after memboss's, as binutils' `as`
 * does) still gets its use after free reported: the fault is in memboss's memory. */
// EXPECT: memboss: ERROR: heap-use-after-free
// EXPECT: WRITE at
// EXPECT: 16-byte block
// EXPECT-NOT: program handler
// EXPECT-STATUS: 139
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static void handler(int sig)
{
    (void)sig;
    write(2, "program handler\n", 16);
    _exit(3);
}

int main(void)
{
    signal(SIGSEGV, handler);
    char *volatile p = malloc(16);
    free(p);
    p[0] = 1;
    return 0;
}
