/* A use after free two calls deep, in a function with a stack frame, in code built without frame pointers: the access stack,
 * taken in the fault handler, must name the reader and its callers (outer appears in no
 * other stack), and be as deep as an allocation's. */
// CFLAGS: -O2 -fomit-frame-pointer
// EXPECT: memboss: ERROR: heap-use-after-free
// EXPECT: READ at
// EXPECT-ANY: in read_it+ || in read_it 
// EXPECT-ANY: in middle+ || in middle 
// EXPECT-ANY: in outer+ || in outer 
// EXPECT-STATUS: 139
#include <stdio.h>
#include <stdlib.h>

/* A frame of its own (the buffer): at the read, the return address is not at [sp]. */
__attribute__((noinline)) static int read_it(volatile char *p)
{
    volatile char buf[64];
    buf[1] = 1;
    __asm__ volatile("" : : "r"(buf) : "memory"); /* the frame is set up before the read */
    int v = p[8];
    return v + buf[1];
}

__attribute__((noinline)) static int middle(volatile char *p)
{
    int v = read_it(p);
    __asm__ volatile("" ::: "memory");
    return v * 3;
}

__attribute__((noinline)) static int outer(volatile char *p)
{
    int v = middle(p);
    __asm__ volatile("" ::: "memory");
    return v - 1;
}

int main(void)
{
    volatile char *p = malloc(64);
    p[8] = 1;
    free((void *)p);
    int v = outer(p);
    __asm__ volatile("" ::: "memory");
    printf("%d\n", v);
    return 0;
}
