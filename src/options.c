/* MEMBOSS_OPTIONS parsing, generated from options.def. Runs inside the first malloc: no
 * allocation, no stdio, no strtol (locale). A bad value keeps the default and says so. */
#include "internal.h"

#include <limits.h>

#include <string.h>

void mb__options_defaults(struct mb_options *o)
{
#define MB_OPT_SET_BOOL(name, def) o->name = (def);
#define MB_OPT_SET_INT(name, def) o->name = (def);
#define MB_OPT_SET_MODE(name, def) o->name = (def);
#define MB_OPT_SET_STR(name, def) memcpy(o->name, (def), sizeof(def));
#define MB_OPTION(type, name, def, safe, help) MB_OPT_SET_##type(name, def)
#include "options.def"
#undef MB_OPTION
}

static int parse_int(const char *s, size_t n, long *out)
{
    long v = 0, sign = 1;
    size_t i = 0;
    if (i < n && s[i] == '-') {
        sign = -1;
        i++;
    }
    unsigned base = 10;
    if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    }
    if (i >= n) return -1;
    for (; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else break;
        if (v > (long)1 << 50) return -1;
        v = v * (long)base + (long)d;
    }
    if (i < n) { /* size suffix */
        if (i + 1 != n) return -1;
        unsigned shift;
        switch (s[i]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return -1;
        }
        if (v > LONG_MAX >> shift) return -1; /* too large for a long once scaled */
        v <<= shift;
    }
    *out = v * sign;
    return 0;
}

static int parse_bool(const char *s, size_t n, int *out)
{
    if ((n == 1 && (s[0] == '1' || s[0] == 'y')) || (n == 4 && !memcmp(s, "true", 4)) ||
        (n == 3 && !memcmp(s, "yes", 3))) {
        *out = 1;
        return 0;
    }
    if ((n == 1 && (s[0] == '0' || s[0] == 'n')) || (n == 5 && !memcmp(s, "false", 5)) ||
        (n == 2 && !memcmp(s, "no", 2))) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_mode(const char *s, size_t n, int *out)
{
    if (n == 4 && !memcmp(s, "fast", 4)) *out = 0;
    else if (n == 5 && !memcmp(s, "check", 5)) *out = 1;
    else return -1;
    return 0;
}

static int parse_str(const char *s, size_t n, char *out, size_t cap)
{
    if (n >= cap) return -1;
    memcpy(out, s, n);
    out[n] = 0;
    return 0;
}

static void warn(const char *what, const char *key, size_t klen)
{
    char line[256];
    struct mb_buf b;
    mb__buf_init(&b, line, sizeof line);
    mb__buf_puts(&b, "memboss: MEMBOSS_OPTIONS: ");
    mb__buf_puts(&b, what);
    mb__buf_puts(&b, " '");
    mb__buf_putn(&b, key, klen);
    mb__buf_puts(&b, "'\n");
    mb__os_write_all(2, b.p, b.len);
}

static void set_one(struct mb_options *o, const char *k, size_t kn, const char *v, size_t vn,
                    int setuid)
{
    int bad = 0;
#define MB_OPT_PARSE_BOOL(name) bad = parse_bool(v, vn, &o->name);
#define MB_OPT_PARSE_INT(name) bad = parse_int(v, vn, &o->name);
#define MB_OPT_PARSE_MODE(name) bad = parse_mode(v, vn, &o->name);
#define MB_OPT_PARSE_STR(name) bad = parse_str(v, vn, o->name, sizeof o->name);
#define MB_OPTION(type, name, def, safe, help)                                                \
    if (kn == sizeof(#name) - 1 && !memcmp(k, #name, kn)) {                                   \
        if (setuid && !(safe)) {                                                              \
            warn("ignored in a set-uid program:", k, kn);                                     \
            return;                                                                           \
        }                                                                                     \
        MB_OPT_PARSE_##type(name) if (bad) warn("bad value for", k, kn);                      \
        return;                                                                               \
    }
#include "options.def"
#undef MB_OPTION
    warn("unknown option", k, kn);
}

/* 1 when text starts a new pair: a key of letters, digits and '_' followed by '='. */
static int starts_pair(const char *text)
{
    const char *p = text;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') p++;
    return p > text && *p == '=';
}

/* text: key=value pairs separated by ':' (or by ',' when a key= follows it, so that a
 * value may itself be a comma-separated list: show_leak_kinds=definite,possible); the last
 * value of a key wins. */
void mb__options_parse(struct mb_options *o, const char *text, int setuid)
{
    while (text && *text) {
        const char *end = text;
        while (*end && *end != ':' && !(*end == ',' && starts_pair(end + 1))) end++;
        const char *eq = text;
        while (eq < end && *eq != '=') eq++;
        if (eq < end) set_one(o, text, (size_t)(eq - text), eq + 1, (size_t)(end - eq - 1), setuid);
        else if (end > text) warn("missing value for", text, (size_t)(end - text));
        text = *end ? end + 1 : end;
    }
}
