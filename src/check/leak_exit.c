/* The exit rule: which part of the exiting thread's stack is dead when the leak check runs
 * at exit.
 *
 * The check runs inside exit(), after the program's atexit handlers and destructors. A
 * pointer that is only on the stack of the function that called exit() (main's locals
 * when main calls exit, or anything main kept when it returned: the C library called
 * exit for it) will never be used again, so it must not keep its block reachable. The
 * rule:
 *   1. From the leak check's own frame, walk up the stack to the return address of the
 *      call to exit(): a word pointing just after a `call` whose target is the C
 *      library's exit, directly or through a PLT or GOT entry.
 *   2. Above it lies the frame of the function that called exit. Its end is the next word
 *      up that is a return address (points into executable memory just after a call
 *      instruction): the return into that function's caller.
 *   3. Everything below that return address is dead; the stack above it is a root.
 * When main returns, the function that called exit is the C library's start-up code:
 * main's frame, below it, is dead, and so are the start-up frame's own words.
 * When step 1 finds nothing (exit reached by a tail jump or a function pointer), the
 * stack is a root from the leak check's frame up, as in LeakSanitizer. */
#include "leak.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_BYTES (64 * 1024) /* the exit path's frames are a few hundred bytes */

#define EXEC_MAX 512 /* executable mappings remembered; beyond, a word is not a return address */

struct exec_ranges {
    uintptr_t lo[EXEC_MAX], hi[EXEC_MAX];
    unsigned n;
};

/* Reads n bytes at addr into out; 0 when they are not readable. */
static int peek(uintptr_t addr, void *out, size_t n)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 0)) {
        mb__fault_recover(NULL);
        return 0;
    }
    mb__fault_recover(&jb);
    memcpy(out, (const void *)addr, n);
    mb__fault_recover(NULL);
    return 1;
}

static int32_t rel32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Where a call to target t ends up: t itself, or what the PLT stub at t jumps to. */
static uintptr_t through_plt(uintptr_t t)
{
    uint8_t c[16];
    if (!peek(t, c, sizeof c)) return t;
    size_t at = 0;
    if (c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa) at = 4; /* endbr64 */
    if (c[at] == 0xf2) at++;                                                   /* bnd      */
    if (c[at] != 0xff || c[at + 1] != 0x25) return t;                          /* jmp [rip+d] */
    uintptr_t slot = t + at + 6 + (uintptr_t)(intptr_t)rel32(c + at + 2), v;
    return peek(slot, &v, sizeof v) ? v : t;
}

/* The target of the call instruction that ends at ret, or 0 when ret does not follow a
 * call whose target can be read (direct, or through a memory operand at rip+d). */
static uintptr_t call_target(uintptr_t ret)
{
    uint8_t c[7];
    if (ret < 7 || !peek(ret - 7, c, sizeof c)) return 0;
    if (c[2] == 0xe8) return through_plt(ret + (uintptr_t)(intptr_t)rel32(c + 3)); /* call rel32 */
    if (c[1] == 0xff && c[2] == 0x15) {                                            /* call [rip+d] */
        uintptr_t v;
        return peek(ret + (uintptr_t)(intptr_t)rel32(c + 3), &v, sizeof v) ? v : 0;
    }
    return 0;
}

/* 1 when ret follows a call instruction of any form (direct, register, memory). */
static int follows_call(uintptr_t ret)
{
    uint8_t c[7];
    if (ret < 7 || !peek(ret - 7, c, sizeof c)) return 0;
    if (c[2] == 0xe8) return 1;                                        /* call rel32        */
    if (c[5] == 0xff && (c[6] & 0xf8) == 0xd0) return 1;               /* call reg          */
    if (c[4] == 0x41 && c[5] == 0xff && (c[6] & 0xf8) == 0xd0) return 1; /* call r8-r15    */
    if (c[4] == 0xff && (c[5] & 0x38) == 0x10) return 1;               /* call [reg+d8]     */
    if (c[1] == 0xff && (c[2] & 0x38) == 0x10) return 1;               /* call [..+d32]     */
    if (c[5] == 0xff && (c[6] & 0x38) == 0x10 && (c[6] & 0xc0) == 0) return 1; /* call [reg] */
    return 0;
}

static void note_exec(uintptr_t lo, uintptr_t hi, const char *perms, const char *path, size_t pathlen,
                      void *arg)
{
    (void)path, (void)pathlen;
    struct exec_ranges *x = arg;
    if (perms[2] != 'x' || x->n == EXEC_MAX) return;
    x->lo[x->n] = lo;
    x->hi[x->n++] = hi;
}

/* 1 when addr is in an executable mapping: a candidate return address. */
static int executable(const struct exec_ranges *x, uintptr_t addr)
{
    for (unsigned i = 0; i < x->n; i++)
        if (addr >= x->lo[i] && addr < x->hi[i]) return 1;
    return 0;
}

/* Needs where.c's maps reader: the caller holds the report lock. */
uintptr_t mb__leak_exit_dead_top(uintptr_t sp)
{
    struct exec_ranges x;
    x.n = 0;
    mb__where_foreach_mapping(note_exec, &x);
    uintptr_t exit_fn = (uintptr_t)&exit;
    uintptr_t lo, hi;
    mb__thread_stack(&lo, &hi);
    if (sp < lo || sp >= hi) hi = sp + SEARCH_BYTES;
    uintptr_t end = sp + SEARCH_BYTES < hi ? sp + SEARCH_BYTES : hi;
    uintptr_t a = (sp + 7) & ~(uintptr_t)7, w;
    for (; a + 8 <= end; a += 8) /* 1: the return address of the call to exit */
        if (peek(a, &w, sizeof w) && w > 4096 && executable(&x, w) && call_target(w) == exit_fn) break;
    if (a + 8 > end) return 0;
    for (a += 8; a + 8 <= hi; a += 8) /* 2: the caller's own return address */
        if (peek(a, &w, sizeof w) && w > 4096 && executable(&x, w) && follows_call(w)) return a + 8;
    return 0;
}
