/* Built -O2 -fomit-frame-pointer: no frame records anywhere, and the allocation stack must
 * still name every caller, by the functions' CFI. */
// CFLAGS: -O2 -fomit-frame-pointer
// EXPECT: memboss: ERROR: leak
// EXPECT: #0 
// EXPECT-ANY: in g+ || in g 
// EXPECT: #1 
// EXPECT-ANY: in f+ || in f 
// EXPECT: #2 
// EXPECT-ANY: in main+ || in main 
// EXPECT-STATUS: 1
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static char *g(int n)
{
    char *p = malloc((size_t)n);
    p[0] = 1;
    return p;
}

__attribute__((noinline)) static char *f(int n)
{
    char *p = g(n + 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
    return p;
}

int main(int argc, char **argv)
{
    (void)argv;
    char *p = f(argc + 31);
    __asm__ volatile("" ::: "memory");
    printf("lost %p\n", (void *)p);
    p = NULL;
    return 0;
}
