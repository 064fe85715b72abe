/* A fully static program (memboss and the C library linked in). The C library keeps some
 * of its pointers in memory it makes read-only after relocation: the leak scan reads that
 * too, so only the program's own leak is reported. */
// LINK: static-all
// EXPECT: 33 bytes in 1 block is definitely lost in loss record 1 of 1
// EXPECT: leak summary: definitely lost: 33 bytes in 1 block; indirectly lost: 0 bytes in 0 blocks; possibly lost: 0 bytes in 0 blocks
// EXPECT-STATUS: 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static __attribute__((noinline)) void lose(void) { ((char *volatile)malloc(33))[0] = 1; }

static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[4096];
    for (int i = 0; i < 4096; i++) junk[i] = 0;
}

int main(void)
{
    char *p = strdup("hello");
    printf("%s\n", p);
    free(p);
    setenv("MEMBOSS_TEST", "1", 1);
    time_t t = 0;
    printf("%d\n", gmtime(&t)->tm_year);
    lose();
    scrub_stack();
    return 0;
}
