/* memboss unit tests: mb__canary_find_bad finds the first byte that differs from the
 * expected one, at every offset, length and alignment, against a plain byte loop. */
#include "check.h"

#include "../../src/internal.h"

#include <string.h>

static const uint8_t *first_bad(const uint8_t *p, size_t n, uint8_t expect)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != expect) return p + i;
    return NULL;
}

int main(void)
{
    uint8_t buf[300];
    for (size_t align = 0; align < 9; align++)
        for (size_t n = 0; n < 160; n++)
            for (long bad = -1; bad < (long)n; bad++) { /* -1: no changed byte */
                const uint8_t *p = buf + align;
                memset(buf, 0xca, sizeof buf);
                if (bad >= 0) buf[align + (size_t)bad] = 0x00;
                if (bad >= 0 && (size_t)bad + 5 < n) buf[align + (size_t)bad + 5] = 0xcb;
                CHECKF(mb__canary_find_bad(p, n, 0xca) == first_bad(p, n, 0xca),
                       "align %zu, %zu bytes, changed byte %ld", align, n, bad);
            }
    /* A byte just past the range does not count. */
    memset(buf, 0xfd, sizeof buf);
    buf[37] = 0;
    CHECK(mb__canary_find_bad(buf, 37, 0xfd) == NULL);
    CHECK(mb__canary_find_bad(buf, 38, 0xfd) == buf + 37);
    return check_done("canary");
}
