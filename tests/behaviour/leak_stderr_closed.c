/* A program that closes stderr before it exits, as GNU sort and tr do (close_stdout): the
 * leak report made at exit still reaches the original stderr, through memboss's own copy
 * of it. The program also puts another file on fd 2 first, which must not get reports. */
// EXPECT: memboss: ERROR: leak
// EXPECT: 48 bytes in 1 block is definitely lost
// EXPECT: in main
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *volatile sink;

int main(void)
{
    char *p = malloc(48);
    memset(p, 'x', 48);
    sink = p;
    sink = NULL; /* the only pointer is gone: definitely lost */
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 2);
    close(fd);
    fclose(stderr);
    close(2);
    return 0;
}
