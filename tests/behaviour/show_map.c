// --show-map: at the fault, the process's memory as the post draws it, high addresses first,
// each mapping named (the stack, memboss's heap and guard pages, the program's .text...),
// the faulting address marked. Also the registers at the fault, four to a line.
// RUN-ARGS: --show-map
// EXPECT: memboss: ERROR: heap-buffer-overflow
// EXPECT: memory map at the fault, high addresses first:
// EXPECT: stack (grows down)
// EXPECT: .text of show_map_c
// EXPECT: .data+.bss of show_map_c
// EXPECT: .text of libc.so.6
// EXPECT: guard page (memboss)  <- 0x
// EXPECT: rip 0x
// EXPECT: memboss: END
// EXPECT-STATUS: 139
#include <stdint.h>
#include <stdlib.h>

int main(void)
{
    void *p = malloc(2);
    *(volatile uint64_t *)p = 0x1122334455667788;
    free(p);
    return 0;
}
