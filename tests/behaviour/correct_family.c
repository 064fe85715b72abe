// Correct program (no finding): the whole malloc family used properly, plus libc functions
// that allocate on the program's behalf. Exits 2 when a result is wrong; memboss must stay
// silent and the status must be 0.
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("wrong: %s\n", what);
        failures++;
    }
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char b)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != b)
            return 0;
    return 1;
}

int main(void)
{
    // malloc, and its usable size
    unsigned char *m = malloc(100);
    expect(m != NULL && (uintptr_t)m % 16 == 0, "malloc(100) is 16-byte aligned");
    memset(m, 0x11, 100);
    expect(malloc_usable_size(m) >= 100, "malloc_usable_size >= 100");
    free(m);

    // malloc(0) and free(NULL)
    void *z = malloc(0);
    free(z);
    free(NULL);

    // calloc: zeroed, and an overflowing count*size fails cleanly
    unsigned char *c = calloc(1000, 7);
    expect(c != NULL && all_bytes(c, 7000, 0), "calloc zeroes");
    free(c);
    volatile size_t big = SIZE_MAX / 2;
    errno = 0;
    void *bad = calloc(big, 4);
    expect(bad == NULL && errno == ENOMEM, "calloc overflow gives NULL/ENOMEM");

    // realloc: from NULL, grow, shrink; contents kept
    unsigned char *r = realloc(NULL, 10);
    expect(r != NULL, "realloc(NULL, 10)");
    memset(r, 0x22, 10);
    r = realloc(r, 100000);
    expect(r != NULL && all_bytes(r, 10, 0x22), "realloc grow keeps contents");
    memset(r, 0x33, 100000);
    r = realloc(r, 40);
    expect(r != NULL && all_bytes(r, 40, 0x33), "realloc shrink keeps contents");
    r = realloc(r, 40);
    expect(r != NULL && all_bytes(r, 40, 0x33), "realloc same size");
    free(r);

    // aligned allocations
    void *a = NULL;
    expect(posix_memalign(&a, 64, 200) == 0 && (uintptr_t)a % 64 == 0, "posix_memalign 64");
    memset(a, 1, 200);
    free(a);
    expect(posix_memalign(&a, 4096, 5000) == 0 && (uintptr_t)a % 4096 == 0,
           "posix_memalign 4096");
    memset(a, 1, 5000);
    free(a);
    expect(posix_memalign(&a, 3, 16) == EINVAL, "posix_memalign rejects alignment 3");
    void *al = aligned_alloc(256, 512);
    expect(al != NULL && (uintptr_t)al % 256 == 0, "aligned_alloc 256");
    memset(al, 2, 512);
    free(al);
    void *mem = memalign(128, 300);
    expect(mem != NULL && (uintptr_t)mem % 128 == 0, "memalign 128");
    free(mem);

    // strings allocated by libc
    char *s = strdup("memory management in assembly");
    expect(s != NULL && strcmp(s, "memory management in assembly") == 0, "strdup");
    free(s);
    char *sn = strndup("you're the boss now", 6);
    expect(sn != NULL && strcmp(sn, "you're") == 0, "strndup");
    free(sn);
    char *as = NULL;
    expect(asprintf(&as, "%d-%s", 42, "bytes") == 8 && strcmp(as, "42-bytes") == 0, "asprintf");
    free(as);

    // a stream that allocates its buffer, and getline's buffer
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "first line\nsecond line\n");
    fclose(f);
    expect(len == 23, "open_memstream");
    FILE *in = fmemopen(buf, len, "r");
    char *line = NULL;
    size_t cap = 0;
    int lines = 0;
    while (getline(&line, &cap, in) > 0)
        lines++;
    fclose(in);
    free(line);
    free(buf);
    expect(lines == 2, "getline");

    // many blocks of many sizes, freed in another order
    enum { N = 2000 };
    static void *blocks[N];
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(i * 37 % 3000) + 1;
        blocks[i] = malloc(n);
        memset(blocks[i], i & 0xff, n);
    }
    for (int i = 0; i < N; i += 2)
        free(blocks[i]);
    for (int i = 1; i < N; i += 2) {
        size_t n = (size_t)(i * 37 % 3000) + 1;
        expect(all_bytes(blocks[i], n, (unsigned char)(i & 0xff)), "block contents kept");
        free(blocks[i]);
    }

    return failures ? 2 : 0;
}
