/* leakgrow: a leak-and-grow pattern. Blocks of 16..1024 bytes are allocated in a stream;
 * most live for a short while (a window of 1000) and are freed, but one in eight is never
 * freed, so the heap keeps growing while the churn goes on in the memory between the
 * leaked blocks. Models long-running programs that leak or cache without bound, and
 * measures whether the allocator keeps reusing the holes or keeps taking new memory. */
#include "common.h"

#define WINDOW 1000

int main(int argc, char **argv)
{
    long n = scaled(2e6, arg_scale(argc, argv));
    static unsigned char *win[WINDOW];
    uint64_t s = rng_seed(9), h = 0;
    long leaked = 0;
    for (long i = 0; i < n; i++) {
        uint64_t r = rng_next(&s);
        size_t size = 16 + (size_t)(r % 1009);
        unsigned char *p = xmalloc(size);
        p[0] = (unsigned char)r;
        p[size - 1] = (unsigned char)(r >> 8);
        if ((r >> 32) % 8 == 0) {
            leaked++; /* never freed */
            continue;
        }
        unsigned k = (unsigned)(i % WINDOW);
        if (win[k]) {
            h = mix(h, win[k][0]);
            free(win[k]);
        }
        win[k] = p;
    }
    for (unsigned k = 0; k < WINDOW; k++) free(win[k]);
    print_checksum("leakgrow", mix(h, (uint64_t)leaked));
    return 0;
}
