/* Stress: dlopen/dlclose of a library that allocates (dl_lib.c), from several threads.
 *
 * Each thread opens the library (next to this program: libstress_dl.so), calls its
 * function, which returns a signed block made inside the library, checks and frees the
 * block, and closes the library, ROUNDS times. The library is loaded and unloaded many
 * times: its constructor allocates, its destructor checks and frees part of that, and each
 * new thread's dynamic TLS for it is allocated by the loader. */
#include "stress.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 300

static char lib[4096];
static unsigned long bad_open, bad_work, bad_block;

static void *worker(void *arg)
{
    uint64_t id = (uint64_t)(uintptr_t)arg, r = 0x51ed27ull * (id + 1);
    for (int i = 0; i < ROUNDS; i++) {
        void *h = dlopen(lib, (i & 1) ? RTLD_NOW : RTLD_LAZY);
        if (!h) {
            __atomic_add_fetch(&bad_open, 1, __ATOMIC_RELAXED);
            continue;
        }
        void *(*work)(size_t, uint64_t) = (void *(*)(size_t, uint64_t))dlsym(h, "dl_work");
        if (!work) {
            __atomic_add_fetch(&bad_open, 1, __ATOMIC_RELAXED);
            dlclose(h);
            continue;
        }
        for (int k = 0; k < 4; k++) {
            size_t n = 16 + st_rand(&r) % 4000;
            uint64_t tag = (id << 32) | ((uint64_t)i << 4) | (uint64_t)k;
            uint8_t *p = work(n, tag);
            if (!p) {
                __atomic_add_fetch(&bad_work, 1, __ATOMIC_RELAXED);
                continue;
            }
            if (!st_ok(p, n, tag)) __atomic_add_fetch(&bad_block, 1, __ATOMIC_RELAXED);
            free(p);
        }
        if (dlclose(h) != 0) __atomic_add_fetch(&bad_open, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    if (n <= 0) return check_done("stress_dlopen");
    exe[n] = 0;
    snprintf(lib, sizeof lib, "%s/libstress_dl.so", dirname(exe));
    void *probe = dlopen(lib, RTLD_NOW);
    CHECKF(probe != NULL, "dlopen %s: %s", lib, dlerror());
    if (!probe) return check_done("stress_dlopen");
    dlclose(probe);

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECKF(bad_open == 0, "%lu failed dlopen/dlsym/dlclose calls", bad_open);
    CHECKF(bad_work == 0, "%lu calls into the library failed (its blocks or TLS damaged)",
           bad_work);
    CHECKF(bad_block == 0, "%lu blocks from the library with damaged contents", bad_block);
    return check_done("stress_dlopen");
}
