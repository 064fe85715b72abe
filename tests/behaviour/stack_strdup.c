/* strdup is the C library's, built without frame pointers: the stack of its allocation
 * must show the program's function that called it, and that function's caller. */
// CFLAGS: -O2 -fomit-frame-pointer -fbuiltin
// EXPECT: memboss: ERROR: leak
// EXPECT: in copy_name
// EXPECT: in main
// EXPECT-STATUS: 1
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static char *copy_name(const char *s)
{
    char *p = strdup(s);
    __asm__ volatile("" ::: "memory");
    return p;
}

int main(int argc, char **argv)
{
    char *p = copy_name(argv[argc - 1]);
    __asm__ volatile("" ::: "memory");
    printf("lost a copy of %zu bytes\n", strlen(p) + 1);
    p = NULL;
    return 0;
}
