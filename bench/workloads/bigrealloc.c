/* bigrealloc: very large blocks reallocated. Four buffers grow by realloc in uneven
 * steps from 64 KiB to 32-64 MiB, the new tail written at each step (a growing log or
 * vector), then shrink back in steps, and start over; a short-lived 1 MiB block between
 * steps keeps the address space busy. Exercises how an allocator grows and shrinks huge
 * blocks in place (mremap or a copy), and returns memory. Modelled on the realloc tests
 * of allocator benchmark suites. */
#include "common.h"
#include <string.h>

#define BUFS 4

int main(int argc, char **argv)
{
    long rounds = scaled(8, arg_scale(argc, argv));
    unsigned char *buf[BUFS] = {0};
    size_t len[BUFS] = {0};
    uint64_t s = rng_seed(5), h = 0;
    for (long r = 0; r < rounds; r++) {
        int b = (int)(r % BUFS);
        size_t limit = ((size_t)32 << 20) + (rng_next(&s) % ((size_t)32 << 20));
        while (len[b] < limit) { /* grow */
            size_t next = len[b] + 65536 + len[b] / 8 + rng_next(&s) % 65536;
            unsigned char *p = realloc(buf[b], next);
            if (!p) exit(3);
            if (len[b]) h = mix(h, p[len[b] - 1]);
            memset(p + len[b], (int)(next & 255), next - len[b]);
            buf[b] = p;
            len[b] = next;
            unsigned char *t = xmalloc(1 << 20);
            t[0] = p[next / 2];
            h += t[0];
            free(t);
        }
        while (len[b] > ((size_t)1 << 20)) { /* shrink */
            size_t next = len[b] / 2 + rng_next(&s) % 4096;
            unsigned char *p = realloc(buf[b], next);
            if (!p) exit(3);
            h = mix(h, p[next - 1]);
            buf[b] = p;
            len[b] = next;
        }
    }
    for (int b = 0; b < BUFS; b++) free(buf[b]);
    print_checksum("bigrealloc", h);
    return 0;
}
