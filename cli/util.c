/* Small helpers of the memboss command: fatal errors, memory, string lists. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("memboss: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

void *cli_alloc(size_t size)
{
    void *p = malloc(size);
    if (!p) cli_die(CLI_EXIT_FAILURE, "out of memory");
    return p;
}

char *cli_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(cli_alloc(n), s, n);
}

char *cli_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) cli_die(CLI_EXIT_FAILURE, "out of memory");
    return s;
}

void cli_strlist_add(struct cli_strlist *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, l->cap * sizeof *v);
        if (!v) cli_die(CLI_EXIT_FAILURE, "out of memory");
        l->v = v;
    }
    l->v[l->n++] = cli_strdup(s);
}

char *cli_strlist_join(const struct cli_strlist *l, char sep)
{
    size_t len = 1;
    for (size_t i = 0; i < l->n; i++) len += strlen(l->v[i]) + 1;
    char *out = cli_alloc(len), *p = out;
    for (size_t i = 0; i < l->n; i++) {
        if (i) *p++ = sep;
        size_t n = strlen(l->v[i]);
        memcpy(p, l->v[i], n);
        p += n;
    }
    *p = '\0';
    return out;
}
