/* The cost of a leak scan: N live 32-byte blocks, chained so that every block is reachable
 * only through the block allocated after it (a scan must follow the chain), then one
 * mb_leak_check() timed. Run preloaded in check mode:
 *
 *   make bench-leak            (N = 100000 and 1000000)
 *
 * Prints "blocks N scan S s". guard_max=0: a million guarded blocks would exceed the
 * kernel's map count; the scan's cost does not depend on where blocks live. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

size_t mb_leak_check(void) __attribute__((weak)); /* memboss.h, resolved when preloaded */

void *head; /* the root of the chain */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (!mb_leak_check || n < 1) {
        fprintf(stderr, "usage: LD_PRELOAD=libmemboss.so MEMBOSS_OPTIONS=mode=check %s N\n", argv[0]);
        return 2;
    }
    for (long i = 0; i < n; i++) {
        void **b = malloc(32);
        *b = head; /* block i is reachable only from block i + 1 */
        head = b;
    }
    double t = now();
    size_t lost = mb_leak_check();
    double d = now() - t;
    printf("blocks %ld scan %.3f s%s\n", n, d, lost ? " (a leak was found: wrong)" : "");
    return lost != 0;
}
