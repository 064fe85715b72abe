/* free_inside.c in fast mode: a free of a pointer inside a block stops the process. */
// RUN-ARGS: --mode=fast
// EXPECT: memboss: invalid free of
// EXPECT: (8 bytes inside a 64-byte block at
// EXPECT: stopping
// EXPECT-STATUS: 134
#include "free_inside.c"
