/* randsize: random sizes with a bounded live set, one thread. A table of 4096 slots; each
 * step frees a random slot and refills it with a block of a random size: mostly small
 * (8..128 B), some medium (up to 4 KiB), a few large (up to 128 KiB). Both ends of every
 * block are written and read back before it is freed. Models the random-size
 * stress tests of allocator benchmark suites: fragmentation and size-class spread. */
#include "common.h"
#include <string.h>

#define SLOTS 4096

static size_t pick_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 100);
    r >>= 8;
    if (k < 80) return 8 + (size_t)(r % 121);
    if (k < 96) return 128 + (size_t)(r % 3969);
    return 4096 + (size_t)(r % (128 * 1024 - 4096));
}

int main(int argc, char **argv)
{
    long n = scaled(8e6, arg_scale(argc, argv));
    static unsigned char *slot[SLOTS];
    static size_t len[SLOTS];
    uint64_t s = rng_seed(7), h = 0;
    for (long i = 0; i < n; i++) {
        uint64_t r = rng_next(&s);
        unsigned k = (unsigned)(r >> 40) % SLOTS;
        if (slot[k]) {
            h = mix(h, slot[k][0] + 256u * slot[k][len[k] - 1]);
            free(slot[k]);
        }
        size_t size = pick_size(r);
        unsigned char *p = xmalloc(size);
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)(i >> 8);
        slot[k] = p;
        len[k] = size;
    }
    for (unsigned k = 0; k < SLOTS; k++) free(slot[k]);
    print_checksum("randsize", h);
    return 0;
}
