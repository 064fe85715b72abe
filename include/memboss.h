/* memboss — public API for programs that link or preload memboss and want to ask it things.
 * Every function is safe to call whether memboss is in fast or check mode. */
#ifndef MEMBOSS_H
#define MEMBOSS_H

#ifdef __cplusplus
extern "C" {
#endif

/* The runtime's version, e.g. "0.1.0". */
const char *mb_version(void);

/* Findings (reports of memory errors) made so far in this process. */
unsigned long mb_finding_count(void);

/* 1 when the runtime runs in check mode, 0 in fast mode. */
int mb_check_mode(void);

#ifdef __cplusplus
}
#endif
#endif
