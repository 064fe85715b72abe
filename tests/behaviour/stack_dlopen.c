/* malloc from a library loaded by dlopen after the first allocations: its tables are
 * found on the first miss, and the stack goes on into the program. */
// SHARED: lib/stack_dl_lib.c
// CFLAGS: -O2 -fomit-frame-pointer
// EXPECT: memboss: ERROR: leak
// EXPECT: in lib_inner
// EXPECT: in lib_make
// EXPECT: in load_and_make
// EXPECT: in main
// EXPECT-STATUS: 1
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void *load_and_make(void)
{
    void *h = dlopen("libstack_dl_lib.so", RTLD_NOW);
    if (!h) {
        printf("dlopen: %s\n", dlerror());
        exit(2);
    }
    void *(*make)(size_t) = (void *(*)(size_t))dlsym(h, "lib_make");
    void *p = make(24);
    __asm__ volatile("" ::: "memory");
    return p;
}

int main(void)
{
    free(malloc(8));
    void *p = load_and_make();
    __asm__ volatile("" ::: "memory");
    printf("lost %p\n", p);
    p = NULL;
    return 0;
}
