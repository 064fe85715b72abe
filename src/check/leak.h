/* The leak check's shared state: leak.c collects the live blocks and marks them from the
 * roots, leak_report.c groups and reports them. Private to src/check/leak*.c. */
#ifndef MB_LEAK_H
#define MB_LEAK_H

#include "internal.h"

/* Kinds, as Valgrind names them. The order matters: marking from the roots only raises a
 * block's state (unreached -> possible -> reachable), and the indirect pass only turns
 * unreached blocks into indirectly lost ones. */
enum mb_leak_kind {
    MB_LEAK_DEFINITE = 0,   /* no pointer anywhere reaches it (unreached)                  */
    MB_LEAK_INDIRECT,       /* only lost blocks point to it                                 */
    MB_LEAK_POSSIBLE,       /* reached, but only through a pointer into its middle          */
    MB_LEAK_REACHABLE,      /* a chain of start pointers from a root reaches it             */
    MB_LEAK_KINDS
};

/* A live block, copied out of its record so that the report needs no heap lock. */
struct mb_leak_block {
    uintptr_t user;
    uint64_t size;
    uint64_t owned;         /* definitely lost: bytes of the blocks lost through this one   */
    uint32_t stack;         /* allocation stack (depot id)                                  */
    int32_t tid;            /* allocating thread                                            */
    uint8_t state;          /* enum mb_leak_kind                                            */
};

/* Sorts n elements of `size` bytes (at most 64) in place: no allocation, no recursion. */
void mb__leak_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* Reports the classified blocks (sorted by address, n of them) at `level`; records is room
 * for n loss records. Returns the bytes in the kinds that are errors. */
size_t mb__leak_report(struct mb_leak_block *blocks, size_t n, void *records, int level);
#define MB_LEAK_RECORD_SIZE 40 /* bytes per loss record in the room given to mb__leak_report */

#endif
