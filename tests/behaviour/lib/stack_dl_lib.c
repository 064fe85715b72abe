/* A library that stack_dlopen.c loads with dlopen: it allocates. */
#include <stdlib.h>

__attribute__((noinline)) static void *lib_inner(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" ::: "memory");
    return p;
}

void *lib_make(size_t n)
{
    void *p = lib_inner(n);
    __asm__ volatile("" ::: "memory");
    return p;
}
