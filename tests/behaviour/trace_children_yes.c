// --trace-children=yes (the default): the program runs a child (itself, through exec) that
// loses a block. The child is checked too: its leak is reported and counted.
// The program is trace_children_no.c's; there the child is left unchecked.
// RUN-ARGS: --trace-children=yes
// EXPECT: the child ran
// EXPECT: 48 bytes in 1 block is definitely lost
// EXPECT: ==memboss== 1 finding in 1 process
// EXPECT-STATUS: 1
#include "trace_children_no.c"
