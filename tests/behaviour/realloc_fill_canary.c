// Correct program (no finding): realloc_fill.c with canary blocks only (no guard pages).
// RUN-ARGS: --options=guard_max=0:guard_sample=0
#include "realloc_fill.c"
