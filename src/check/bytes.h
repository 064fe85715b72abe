/* Inline fills and comparisons of short byte runs for check mode's hot paths: canaries
 * (16 to a few dozen bytes), the fill of fresh and freed blocks. 16-byte vectors (SSE2, the
 * x86-64 baseline) with an overlapping last store or load, so no byte loop above 4 bytes
 * and no call; long runs go to memset. Private to src/check. */
#ifndef MB_CHECK_BYTES_H
#define MB_CHECK_BYTES_H

#include <stdint.h>
#include <string.h>

typedef uint8_t mb_v16 __attribute__((vector_size(16)));

static inline mb_v16 mb__v16_load(const uint8_t *p)
{
    mb_v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void mb__v16_store(uint8_t *p, mb_v16 v) { memcpy(p, &v, sizeof v); }

static inline uint64_t mb__load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t mb__load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#define MB_FILL_INLINE_MAX 256 /* above: memset */

/* [p, p+n) = byte. */
static inline void mb__fill_bytes(uint8_t *p, size_t n, uint8_t byte)
{
    if (n >= 16) {
        if (n > MB_FILL_INLINE_MAX) {
            memset(p, byte, n);
            return;
        }
        mb_v16 v = (mb_v16){0} + byte;
        for (size_t i = 0; i + 16 < n; i += 16) mb__v16_store(p + i, v);
        mb__v16_store(p + n - 16, v);
        return;
    }
    uint64_t w = 0x0101010101010101ull * byte;
    if (n >= 8) {
        memcpy(p, &w, 8);
        memcpy(p + n - 8, &w, 8);
    } else if (n >= 4) {
        uint32_t h = (uint32_t)w;
        memcpy(p, &h, 4);
        memcpy(p + n - 4, &h, 4);
    } else {
        for (size_t i = 0; i < n; i++) p[i] = byte;
    }
}

/* 1 when every byte of [p, p+n) is `byte`: differences are OR'ed, one branch at the end. */
static inline int mb__all_bytes(const uint8_t *p, size_t n, uint8_t byte)
{
    if (n >= 16) {
        mb_v16 v = (mb_v16){0} + byte, acc = (mb_v16){0};
        for (size_t i = 0; i + 16 < n; i += 16) acc |= mb__v16_load(p + i) ^ v;
        acc |= mb__v16_load(p + n - 16) ^ v;
        uint64_t a[2];
        memcpy(a, &acc, sizeof a);
        return (a[0] | a[1]) == 0;
    }
    uint64_t w = 0x0101010101010101ull * byte;
    if (n >= 8) return ((mb__load64(p) ^ w) | (mb__load64(p + n - 8) ^ w)) == 0;
    if (n >= 4) return ((mb__load32(p) ^ (uint32_t)w) | (mb__load32(p + n - 4) ^ (uint32_t)w)) == 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte) return 0;
    return 1;
}

#endif
