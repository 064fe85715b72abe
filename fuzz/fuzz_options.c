/* memboss fuzzing: the MEMBOSS_OPTIONS parser (src/options.c).
 *
 * The input's first byte chooses set-uid parsing (bit 0); the rest is the option string,
 * cut at its first NUL as the environment would. Checks: no crash or undefined behaviour
 * (built with AddressSanitizer and UBSan: the parser's objects are linked in, not the
 * heap); every field in range after parsing (modes and booleans 0 or 1, strings
 * NUL-terminated within their arrays and free of the separators); a set-uid parse leaves
 * the unsafe options at their defaults; parsing is deterministic (the same text onto the
 * defaults twice gives the same struct) and idempotent (parsing the text again onto its
 * own result changes nothing); and the result round-trips: printed back as
 * key=value:... and parsed onto the defaults, it gives the same struct. The parser's
 * warnings go to mb__os_write_all, defined here: each must be one whole message. */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 8192

static int quiet = 1;
static unsigned long warnings;

/* The parser's only way out: its warnings. */
void mb__os_write_all(int fd, const char *p, size_t n)
{
    static const char prefix[] = "memboss: MEMBOSS_OPTIONS: ";
    if (fd != 2) abort();
    if (n == 0 || n > 255 || memcmp(p, prefix, n < sizeof prefix - 1 ? n : sizeof prefix - 1)) {
        fprintf(stderr, "fuzz_options: malformed warning (%zu bytes)\n", n);
        abort();
    }
    warnings++;
    if (!quiet && fwrite(p, 1, n, stderr) != n) abort();
}

static void check_ranges(const struct mb_options *o, const char *when)
{
#define CHECK_BOOL(name)                                                                      \
    if (o->name != 0 && o->name != 1) {                                                       \
        fprintf(stderr, "fuzz_options: %s: " #name " = %d\n", when, o->name);                 \
        abort();                                                                              \
    }
#define MB_OPT_CHECK_BOOL(name) CHECK_BOOL(name)
#define MB_OPT_CHECK_MODE(name) CHECK_BOOL(name)
#define MB_OPT_CHECK_INT(name)
#define MB_OPT_CHECK_STR(name)                                                                \
    {                                                                                         \
        const char *z = memchr(o->name, 0, sizeof o->name);                                   \
        if (!z || memchr(o->name, ':', (size_t)(z - o->name))) {                              \
            fprintf(stderr, "fuzz_options: %s: " #name " unterminated or holds a separator\n", \
                    when);                                                                    \
            abort();                                                                          \
        }                                                                                     \
    }
#define MB_OPTION(type, name, def, safe, help) MB_OPT_CHECK_##type(name)
#include "options.def"
#undef MB_OPTION
}

/* Field by field (the struct's padding is not part of the result). */
static int same(const struct mb_options *a, const struct mb_options *b)
{
#define MB_OPT_SAME_BOOL(name) if (a->name != b->name) return 0;
#define MB_OPT_SAME_INT(name) if (a->name != b->name) return 0;
#define MB_OPT_SAME_MODE(name) if (a->name != b->name) return 0;
#define MB_OPT_SAME_STR(name) if (strcmp(a->name, b->name)) return 0;
#define MB_OPTION(type, name, def, safe, help) MB_OPT_SAME_##type(name)
#include "options.def"
#undef MB_OPTION
    return 1;
}

/* A set-uid parse: every option that is not set-uid safe keeps its default. */
static void check_setuid(const struct mb_options *o, const struct mb_options *d)
{
#define MB_OPT_UNSAFE_SAME_BOOL(name) o->name == d->name
#define MB_OPT_UNSAFE_SAME_INT(name) o->name == d->name
#define MB_OPT_UNSAFE_SAME_MODE(name) o->name == d->name
#define MB_OPT_UNSAFE_SAME_STR(name) !strcmp(o->name, d->name)
#define MB_OPTION(type, name, def, safe, help)                                                \
    if (!(safe) && !(MB_OPT_UNSAFE_SAME_##type(name))) {                                      \
        fprintf(stderr, "fuzz_options: a set-uid parse changed " #name "\n");                 \
        abort();                                                                              \
    }
#include "options.def"
#undef MB_OPTION
}

/* The parser's numbers: up to about 2^54 before a suffix. Printed in decimal, a value is
 * read back when its magnitude is at most 2^50; larger ones are copied as they are. */
#define PRINTABLE_MAX ((long)1 << 50)

static void put(char *out, size_t *len, const char *s, size_t n)
{
    if (*len + n >= TEXT_MAX * 2) abort(); /* cannot happen: bounded by the struct */
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = 0;
}

/* A string value that holds ",key=" cannot be given back: the parser starts a new pair
 * there (so that lists such as show_leak_kinds=definite,indirect stay whole). Such strings
 * are copied instead. */
static int splits(const char *v)
{
    for (const char *c = strchr(v, ','); c; c = strchr(c + 1, ',')) {
        const char *p = c + 1;
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') p++;
        if (p > c + 1 && *p == '=') return 1;
    }
    return 0;
}

/* Print o as key=value:... onto text; fields that cannot be printed go to *direct. */
static void print_options(const struct mb_options *o, char *out, struct mb_options *direct)
{
    size_t len = 0;
    char num[32];
    out[0] = 0;
#define SEP() put(out, &len, ":", 1)
#define MB_OPT_PRINT_BOOL(name) put(out, &len, o->name ? #name "=1" : #name "=0", sizeof(#name) + 1); SEP();
#define MB_OPT_PRINT_MODE(name) put(out, &len, o->name ? #name "=check" : #name "=fast", strlen(o->name ? #name "=check" : #name "=fast")); SEP();
#define MB_OPT_PRINT_INT(name)                                                                \
    if (o->name >= -PRINTABLE_MAX && o->name <= PRINTABLE_MAX) {                              \
        int k = snprintf(num, sizeof num, "%ld", o->name);                                    \
        put(out, &len, #name "=", sizeof(#name));                                             \
        put(out, &len, num, (size_t)k);                                                       \
        SEP();                                                                                \
    } else {                                                                                  \
        direct->name = o->name;                                                               \
    }
#define MB_OPT_PRINT_STR(name)                                                                \
    if (!splits(o->name)) {                                                                   \
        put(out, &len, #name "=", sizeof(#name));                                             \
        put(out, &len, o->name, strlen(o->name));                                             \
        SEP();                                                                                \
    } else {                                                                                  \
        memcpy(direct->name, o->name, sizeof o->name);                                        \
    }
#define MB_OPTION(type, name, def, safe, help) MB_OPT_PRINT_##type(name)
#include "options.def"
#undef MB_OPTION
#undef SEP
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    quiet = getenv("FUZZ_OPTIONS_VERBOSE") == NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int setuid = data[0] & 1;
    data++;
    size--;
    if (size > TEXT_MAX) return 0;
    /* the text in an exact-size heap buffer, so that ASan sees a read past its end */
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = 0;

    static struct mb_options defaults, a, b, c, d;
    mb__options_defaults(&defaults);
    check_ranges(&defaults, "the defaults");

    mb__options_defaults(&a);
    mb__options_parse(&a, text, setuid);
    check_ranges(&a, "after parsing");
    if (setuid) check_setuid(&a, &defaults);

    mb__options_defaults(&b);
    mb__options_parse(&b, text, setuid);
    if (!same(&a, &b)) {
        fprintf(stderr, "fuzz_options: two parses of the same text differ\n");
        abort();
    }

    memcpy(&c, &a, sizeof c);
    mb__options_parse(&c, text, setuid);
    if (!same(&a, &c)) {
        fprintf(stderr, "fuzz_options: parsing the text again onto its result changed it\n");
        abort();
    }

    /* round trip (not for set-uid: the unsafe options are then ignored by design) */
    if (!setuid) {
        static char printed[TEXT_MAX * 2];
        mb__options_defaults(&d);
        print_options(&a, printed, &d);
        unsigned long before = warnings;
        mb__options_parse(&d, printed, 0);
        if (warnings != before) {
            fprintf(stderr, "fuzz_options: the printed options drew a warning:\n%s\n", printed);
            abort();
        }
        check_ranges(&d, "after the round trip");
        if (!same(&a, &d)) {
            fprintf(stderr, "fuzz_options: printed back and parsed again, the options differ:\n%s\n",
                    printed);
            abort();
        }
    }
    free(text);
    return 0;
}
