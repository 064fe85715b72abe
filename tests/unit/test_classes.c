/* memboss unit tests: the size classes. The fast path's table must agree with the
 * formula for every size it covers, and every class must hold the sizes it is given. */
#include "check.h"

#include "../../src/internal.h"

int main(void)
{
    mb__segment_init(); /* fills mb__class_bsize */
    for (size_t s = 0; s <= MB_CLASS_TABLE_MAX; s++)
        CHECKF(mb__size_class(s) == mb__size_class_calc(s ? s : 1), "size %zu: table %u, formula %u", s,
               mb__size_class(s), mb__size_class_calc(s ? s : 1));
    unsigned prev = 1;
    for (size_t s = 1; s <= MB_SMALL_MAX; s++) {
        unsigned c = mb__size_class(s);
        int ok = c >= 1 && c < MB_NUM_CLASSES && mb__class_bsize[c] >= s && c >= prev &&
                 (c == 1 || mb__class_bsize[c - 1] < s);
        if (!ok) CHECKF(0, "size %zu: class %u", s, c);
        prev = c;
    }
    CHECK(mb__size_class(MB_SMALL_MAX) == MB_NUM_CLASSES - 1);
    return check_done("classes");
}
