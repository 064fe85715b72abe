/* memboss — public API for programs that link or preload memboss and want to ask it things.
 * Every function is safe to call whether memboss is in fast or check mode. */
#ifndef MEMBOSS_H
#define MEMBOSS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The runtime's version, e.g. "0.1.0". */
const char *mb_version(void);

/* Findings (reports of memory errors) made so far in this process. */
unsigned long mb_finding_count(void);

/* 1 when the runtime runs in check mode, 0 in fast mode. */
int mb_check_mode(void);

/* Check mode: looks for leaks now, while the program runs, and reports them as at exit
 * (loss records as the leak_check option says, full when it is off). The calling thread's
 * stack from the caller's frame up, its registers, and every other thread (stopped for the
 * scan) are roots. Returns the bytes lost in the kinds that count as errors (definitely and
 * indirectly lost unless errors_for_leak_kinds says otherwise); 0 in fast mode. */
size_t mb_leak_check(void);

#ifdef __cplusplus
}
#endif
#endif
