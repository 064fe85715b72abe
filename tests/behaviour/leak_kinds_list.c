/* leak_interior.c with lists of kinds (Valgrind's comma-separated form): possibly lost
 * blocks count as errors but are not shown, so the summary is the finding. */
// RUN-ARGS: --show-leak-kinds=definite,reachable --errors-for-leak-kinds=definite,possible
// EXPECT: memboss: ERROR: leak
// EXPECT: leak summary: definitely lost: 0 bytes in 0 blocks; indirectly lost: 0 bytes in 0 blocks; possibly lost: 80 bytes in 1 block
// EXPECT-NOT: is possibly lost in loss record
// EXPECT-STATUS: 1
#include "leak_interior.c"
