/* Canaries: the bytes around a block's user bytes hold MB_FILL_CANARY; a changed byte
 * is an overflow or underflow that did not reach a guard page. */
#include "internal.h"
#include "check/bytes.h"

void mb__canary_fill(uint8_t *p, size_t n) { mb__fill_bytes(p, n, MB_FILL_CANARY); }

/* The common case, intact, is one pass of 16-byte compares with one branch; the exact byte
 * is searched for only when something differs. */
uint8_t *mb__canary_find_bad(const uint8_t *p, size_t n, uint8_t expect)
{
    if (mb__all_bytes(p, n, expect)) return NULL;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        mb_v16 d = mb__v16_load(p + i) ^ ((mb_v16){0} + expect);
        uint64_t a[2];
        memcpy(a, &d, sizeof a);
        if (a[0] | a[1]) break;
    }
    for (; i < n; i++)
        if (p[i] != expect) return (uint8_t *)(p + i);
    return NULL;
}
