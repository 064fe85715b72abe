/* The library that dlopen.c opens and closes: it allocates in its constructor, in a
 * function and in a thread-local block of its own (the loader allocates dynamic TLS with
 * malloc), and frees part of it in its destructor. */
#include "stress.h"

#include <stdlib.h>

#define KEPT 64

static uint8_t *kept[KEPT];
static size_t kept_n[KEPT];
static int ctor_ok;
static __thread uint64_t tls_words[64]; /* dynamic TLS: allocated by the loader */

__attribute__((constructor)) static void dl_ctor(void)
{
    ctor_ok = 1;
    for (int i = 0; i < KEPT; i++) {
        kept_n[i] = 16 + (size_t)i * 37;
        kept[i] = malloc(kept_n[i]);
        if (kept[i]) st_fill(kept[i], kept_n[i], 0xd1000000ull + (uint64_t)i);
        else ctor_ok = 0;
    }
}

/* 0 when the constructor's blocks are intact. */
static int verify(void)
{
    for (int i = 0; i < KEPT; i++)
        if (!kept[i] || !st_ok(kept[i], kept_n[i], 0xd1000000ull + (uint64_t)i)) return 1;
    return 0;
}

__attribute__((destructor)) static void dl_dtor(void)
{
    int bad = verify();
    for (int i = 0; i < KEPT; i += 2) { /* the odd ones are left behind, as libraries do */
        free(kept[i]);
        kept[i] = NULL;
    }
    if (bad) {
        fputs("dl_lib: the constructor's blocks were damaged before the destructor\n", stderr);
        abort();
    }
}

/* A block of n bytes signed with tag, for the caller to check and free; returns NULL (and
 * the caller counts a failure) when anything here went wrong. */
__attribute__((visibility("default"))) void *dl_work(size_t n, uint64_t tag)
{
    if (!ctor_ok || verify()) return NULL;
    for (int i = 0; i < 64; i++) tls_words[i] = tag ^ (uint64_t)i;
    char *s = strdup("a string duplicated inside the library");
    if (!s) return NULL;
    void *p = malloc(n);
    if (p) st_fill(p, n, tag);
    int bad = strcmp(s, "a string duplicated inside the library") != 0;
    free(s);
    for (int i = 0; i < 64; i++) /* the TLS block is not someone else's heap block */
        if (tls_words[i] != (tag ^ (uint64_t)i)) bad = 1;
    if (bad) {
        free(p);
        return NULL;
    }
    return p;
}
