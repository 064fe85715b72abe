/* Canaries: the bytes around a block's user bytes hold MB_FILL_CANARY; a changed byte
 * is an overflow or underflow that did not reach a guard page. */
#include "internal.h"

#include <string.h>

void mb__canary_fill(uint8_t *p, size_t n) { memset(p, MB_FILL_CANARY, n); }

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* One test for the common case: [p, p+n) holds only the canary. The words overlap at the
 * end (n >= 8), so no byte loop; differences are OR'ed, so one branch. */
int mb__canary_intact(const uint8_t *p, size_t n)
{
    const uint64_t pattern = 0x0101010101010101ull * MB_FILL_CANARY;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (p[i] != MB_FILL_CANARY) return 0;
        return 1;
    }
    uint64_t diff = load64(p + n - 8) ^ pattern;
    for (size_t i = 0; i + 8 < n; i += 8) diff |= load64(p + i) ^ pattern;
    return diff == 0;
}

/* Words are compared 32 bytes a round with one branch, and the last partial word by an
 * overlapping load; the exact byte is searched for only from the first round that differs. */
uint8_t *mb__canary_find_bad(const uint8_t *p, size_t n, uint8_t expect)
{
    uint64_t pattern = 0x0101010101010101ull * expect;
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        if ((load64(p + i) ^ pattern) | (load64(p + i + 8) ^ pattern) | (load64(p + i + 16) ^ pattern) |
            (load64(p + i + 24) ^ pattern))
            break;
    for (; i + 8 <= n; i += 8)
        if (load64(p + i) != pattern) break;
    if (i < n && n >= 8 && i + 8 > n && load64(p + n - 8) == pattern) return NULL; /* the tail */
    for (; i < n; i++)
        if (p[i] != expect) return (uint8_t *)(p + i);
    return NULL;
}
