/* Canaries: the bytes around a block's user bytes hold MB_FILL_CANARY; a changed byte
 * is an overflow or underflow that did not reach a guard page. */
#include "internal.h"

#include <string.h>

void mb__canary_fill(uint8_t *p, size_t n) { memset(p, MB_FILL_CANARY, n); }

uint8_t *mb__canary_find_bad(const uint8_t *p, size_t n, uint8_t expect)
{
    uint64_t pattern = 0x0101010101010101ull * expect;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v != pattern) break;
    }
    for (; i < n; i++)
        if (p[i] != expect) return (uint8_t *)(p + i);
    return NULL;
}
