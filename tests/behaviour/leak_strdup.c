/* A leak allocated by strdup: malloc's caller is the C library's strdup, which keeps no
 * frame pointer and uses rbp for data, so the frame-pointer chain ends at it. The stack
 * still goes on to the program's own frames (copy_name, then main), and the C library's
 * frame past main, in a function whose name the library does not export, is named by
 * module and offset only, not by the nearest exported symbol before it. */
// EXPECT: memboss: ERROR: leak
// EXPECT: 6 bytes in 1 block is definitely lost
// EXPECT-ANY: in copy_name+ || in copy_name 
// EXPECT-ANY: in main+ || in main 
// EXPECT-NOT: __libc_init_first+
// EXPECT-NOT: (unknown module)
// EXPECT-STATUS: 1
#include <stdlib.h>
#include <string.h>

char *volatile sink;

static __attribute__((noinline)) void copy_name(const char *s)
{
    sink = strdup(s);
    sink = NULL;
}

int main(void)
{
    copy_name("hello");
    return 0;
}
