/* memboss unit tests: a tiny check helper.
 *
 *   CHECK(cond)              record a passed or failed check; a failure prints file:line
 *   CHECKF(cond, fmt, ...)   the same, with a printf-style note on failure
 *   return check_done("heap");   prints `unit heap N M` (passed, failed) as the last line
 *                                and returns the exit status (1 when a check failed)
 *
 * No abort on failure: the test goes on. Thread-safe counters. Uses stdio only (no malloc
 * of its own beyond what stdio does); failure notes are capped so that a systematic bug
 * does not print thousands of lines. */
#ifndef MEMBOSS_UNIT_CHECK_H
#define MEMBOSS_UNIT_CHECK_H

#include <stdarg.h>
#include <stdio.h>

#define CHECK_MAX_NOTES 50

static unsigned long check_passed_, check_failed_;

__attribute__((unused, format(printf, 4, 5))) static int
check_record_(int ok, const char *file, int line, const char *fmt, ...)
{
    if (ok) {
        __atomic_add_fetch(&check_passed_, 1, __ATOMIC_RELAXED);
        return 1;
    }
    unsigned long n = __atomic_add_fetch(&check_failed_, 1, __ATOMIC_RELAXED);
    if (n <= CHECK_MAX_NOTES) {
        char note[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(note, sizeof note, fmt, ap);
        va_end(ap);
        /* one fprintf per note so that threads do not interleave within a line */
        fprintf(stdout, "FAIL %s:%d: %s\n", file, line, note);
        fflush(stdout);
    } else if (n == CHECK_MAX_NOTES + 1) {
        fprintf(stdout, "FAIL (further failures are counted, not printed)\n");
        fflush(stdout);
    }
    return 0;
}

#define CHECK(cond) check_record_(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) check_record_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Failed checks so far (a test may stop a loop early once things went wrong). */
__attribute__((unused)) static unsigned long check_failures(void)
{
    return __atomic_load_n(&check_failed_, __ATOMIC_RELAXED);
}

__attribute__((unused)) static int check_done(const char *name)
{
    unsigned long p = __atomic_load_n(&check_passed_, __ATOMIC_RELAXED);
    unsigned long f = __atomic_load_n(&check_failed_, __ATOMIC_RELAXED);
    fflush(stdout);
    fprintf(stdout, "unit %s %lu %lu\n", name, p, f);
    fflush(stdout);
    return f ? 1 : 0;
}

#endif
