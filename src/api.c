/* The public API of include/memboss.h. */
#include "internal.h"
#include "memboss.h"

MB_API const char *mb_version(void) { return MB_VERSION; }

MB_API unsigned long mb_finding_count(void) { return atomic_load(&mb__findings); }

MB_API int mb_check_mode(void)
{
    if (atomic_load(&mb__init_state) != 2) mb__init();
    return mb__check_mode;
}

MB_API size_t mb_leak_check(void)
{
    if (atomic_load(&mb__init_state) != 2) mb__init();
    return mb__check_mode ? mb__leak_check_here() : 0;
}
