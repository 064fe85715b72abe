/* pairs: pure malloc/free pairs in one thread, the allocator's fast path. Eight small
 * sizes in turn (16..128 bytes); each block gets one byte written so the pair is not
 * optimized away. Models the simplest malloc/free throughput benchmarks.
 * Also the program callgrind counts instructions per pair on (run.py). */
#include "common.h"

int main(int argc, char **argv)
{
    long n = scaled(40e6, arg_scale(argc, argv));
    uint64_t h = 0;
    for (long i = 0; i < n; i++) {
        size_t size = 16 + (size_t)(i & 7) * 16;
        unsigned char *volatile p = xmalloc(size);
        p[0] = (unsigned char)i;
        h += p[0];
        free(p);
    }
    print_checksum("pairs", mix(h, (uint64_t)n));
    return 0;
}
