/* leak_mmap_root.c with the default leak_scan_mmap=1: memory the program got from mmap is
 * a root (as in Valgrind), so the block whose only pointer is there is still reachable. */
// RUN-ARGS: --show-leak-kinds=all
// EXPECT: 72 bytes in 1 block is still reachable in loss record 1 of 1
// EXPECT: in keep_in_mmap
// EXPECT-STATUS: 0
#include "leak_mmap_root.c"
