/* Stress: fork and exec from a threaded program.
 *
 * THREADS threads keep allocating, checking and freeing (blocks pass between them) while
 * the main thread forks ROUNDS children. Each child allocates and checks in its only
 * thread (the heap must not be left locked by a thread that does not exist in the child),
 * then execs: this program again as a helper (`fork_exec --child M`) or /bin/true. One
 * round in four uses posix_spawn from a worker thread instead. Under LD_PRELOAD the exec'd
 * program runs under memboss too: the helper checks that it does when its parent did
 * (M = 1) and exercises its own heap. Every child must exit 0. */
#include "stress.h"

#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define THREADS 3
#define ROUNDS 12
#define SLOTS 512

static uint8_t *_Atomic slots[SLOTS];
static int stop;
static unsigned long progress[THREADS], bad, null;
static char self[4096];
static int memboss_here;

/* A block of n bytes whose first 16 bytes say its tag and size. */
static uint8_t *make(uint64_t *r, uint64_t tag)
{
    size_t n = 16 + st_rand(r) % 2000;
    if ((st_rand(r) & 255) == 0) n = 300 * KiB;
    uint8_t *p = malloc(n);
    if (p) st_fill(p, n, tag);
    return p;
}
static int good(const uint8_t *p)
{
    uint64_t tag, n;
    memcpy(&tag, p, 8);
    memcpy(&n, p + 8, 8);
    return st_ok(p, n, tag);
}

static void *busy(void *arg)
{
    uint64_t id = (uint64_t)(uintptr_t)arg, r = 0x9e3779b97f4a7c15ull * (id + 1);
    for (uint64_t i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
        uint8_t *p = make(&r, (id << 40) | i);
        if (!p) {
            __atomic_add_fetch(&null, 1, __ATOMIC_RELAXED);
            continue;
        }
        uint8_t *old = atomic_exchange(&slots[st_rand(&r) % SLOTS], p);
        if (old) {
            if (!good(old)) __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
            free(old);
        }
        if ((i & 1023) == 0 && id == 0) {
            /* posix_spawn from a thread while the others allocate */
            pid_t pid;
            char *av[] = {(char *)"true", NULL};
            int e = posix_spawn(&pid, "/bin/true", NULL, NULL, av, environ);
            int st = 0;
            if (e != 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
                __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
        }
        __atomic_add_fetch(&progress[id], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* The child: one thread, the heap as the fork left it. */
static void child(int round)
{
    alarm(30); /* a heap deadlocked by the fork ends the child with SIGALRM */
    uint64_t r = 0x1234567ull + (uint64_t)round;
    uint8_t *keep[64] = {0};
    int failed = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t *p = make(&r, 0xc0000000ull + (uint64_t)i);
        if (!p) {
            failed = 1;
            continue;
        }
        unsigned k = (unsigned)(st_rand(&r) % 64);
        if (keep[k]) {
            if (!good(keep[k])) failed = 1;
            free(keep[k]);
        }
        keep[k] = p;
    }
    for (int k = 0; k < 64; k++)
        if (keep[k]) {
            if (!good(keep[k])) failed = 1;
            free(keep[k]);
        }
    /* the blocks the other threads left in the slots are still ours to check and free */
    for (int k = 0; k < SLOTS; k += 7) {
        uint8_t *p = atomic_exchange(&slots[k], NULL);
        if (p) {
            if (!good(p)) failed = 1;
            free(p);
        }
    }
    if (failed) _exit(3);
    if (round % 2 == 0) {
        execl(self, self, "--child", memboss_here ? "1" : "0", (char *)NULL);
    } else {
        execl("/bin/true", "true", (char *)NULL);
    }
    _exit(4); /* exec failed */
}

/* The exec'd helper: memboss must be here when it was in the parent. */
static int helper(int want_memboss)
{
    if (want_memboss && !st_under_memboss()) {
        fprintf(stderr, "fork_exec helper: memboss is not preloaded after exec\n");
        return 5;
    }
    uint64_t r = 99;
    uint8_t *keep[256] = {0};
    for (int i = 0; i < 5000; i++) {
        unsigned k = (unsigned)(st_rand(&r) % 256);
        if (keep[k]) {
            if (!good(keep[k])) return 6;
            free(keep[k]);
        }
        keep[k] = make(&r, (uint64_t)i);
        if (!keep[k]) return 7;
    }
    for (int k = 0; k < 256; k++) {
        if (!good(keep[k])) return 6;
        free(keep[k]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) return helper(atoi(argv[2]));
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    if (n <= 0) return check_done("stress_fork_exec");
    self[n] = 0;
    memboss_here = st_under_memboss();

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, busy, (void *)(uintptr_t)i) == 0);
    for (int round = 0; round < ROUNDS; round++) {
        unsigned long seen[THREADS];
        for (int i = 0; i < THREADS; i++) seen[i] = __atomic_load_n(&progress[i], __ATOMIC_RELAXED);
        for (int i = 0; i < THREADS; i++)
            while (__atomic_load_n(&progress[i], __ATOMIC_RELAXED) < seen[i] + 100) sched_yield();
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) child(round);
        CHECKF(pid > 0, "fork: %s", strerror(errno));
        if (pid < 0) continue;
        int st = 0;
        pid_t w;
        while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
        }
        CHECKF(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: %s %d", round,
               WIFSIGNALED(st) ? "killed by signal" : "exit status",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int k = 0; k < SLOTS; k++) {
        uint8_t *p = atomic_exchange(&slots[k], NULL);
        if (p) {
            if (!good(p)) bad++;
            free(p);
        }
    }
    CHECKF(bad == 0, "%lu damaged blocks or failed spawns", bad);
    CHECKF(null == 0, "%lu allocations returned NULL", null);
    printf("fork_exec: %d forks, memboss %s\n", ROUNDS, memboss_here ? "preloaded" : "absent");
    return check_done("stress_fork_exec");
}
