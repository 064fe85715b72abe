/* memboss command — the JSON writer and UTF-8 check the renderers share (json_out.h). */
#include "json_out.h"

#include "finding.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

int cli_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n;
    unsigned min, cp;
    if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000, cp = c & 0x07;
    else return 0;
    for (int i = 1; i < n; i++) {
        /* a NUL ends the string here, and is no continuation byte */
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

FILE *cli_render_open(const char *path, const char *what)
{
    FILE *out = fopen(path, "w");
    if (!out) fprintf(stderr, "memboss: cannot write the %s file %s: %s\n", what, path, strerror(errno));
    return out;
}

int cli_render_close(FILE *out, const char *path)
{
    int bad = ferror(out);
    if (fclose(out) != 0) bad = 1;
    if (bad) {
        fprintf(stderr, "memboss: writing %s failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

void cli_json_init(struct cli_json *j, FILE *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

static void put_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        int n = cli_utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", out); /* not UTF-8: one replacement per bad byte */
            p++;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, (size_t)n, out);
            p += n;
            continue;
        }
        unsigned char c = *p++;
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            /* 0x7f is legal JSON but invisible: escaped like the C0 controls */
            if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}

/* Before each value: the comma after the previous one, a newline, the indentation and
 * the member name. */
static void member(struct cli_json *j, const char *key)
{
    if (j->depth > 0) {
        if (j->count[j->depth - 1]++) fputc(',', j->out);
        fputc('\n', j->out);
        for (int i = 0; i < j->depth; i++) fputs("  ", j->out);
    }
    if (key) {
        put_string(j->out, key);
        fputs(": ", j->out);
    }
}

/* The renderers nest 8 levels at most (SARIF's deepest), far under CLI_JSON_DEPTH. */
static void begin(struct cli_json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->out);
    j->count[j->depth++] = 0;
}

void cli_json_object(struct cli_json *j, const char *key) { begin(j, key, '{'); }
void cli_json_array(struct cli_json *j, const char *key) { begin(j, key, '['); }

void cli_json_end(struct cli_json *j, char close)
{
    j->depth--;
    if (j->count[j->depth]) {
        fputc('\n', j->out);
        for (int i = 0; i < j->depth; i++) fputs("  ", j->out);
    }
    fputc(close, j->out);
}

void cli_json_str(struct cli_json *j, const char *key, const char *s)
{
    member(j, key);
    if (s) put_string(j->out, s);
    else fputs("null", j->out);
}

void cli_json_int(struct cli_json *j, const char *key, long long v)
{
    member(j, key);
    fprintf(j->out, "%lld", v);
}

void cli_json_bool(struct cli_json *j, const char *key, int v)
{
    member(j, key);
    fputs(v ? "true" : "false", j->out);
}

void cli_json_null(struct cli_json *j, const char *key)
{
    member(j, key);
    fputs("null", j->out);
}

void cli_json_addr(struct cli_json *j, const char *key, uint64_t v)
{
    member(j, key);
    fprintf(j->out, "\"0x%" PRIx64 "\"", v);
}

void cli_json_finish(struct cli_json *j) { fputc('\n', j->out); }

uint64_t cli_fnv1a(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

static const char *const reg_marks[] = {
    [CLI_REG_PLAIN] = "plain",           [CLI_REG_NULL] = "null",
    [CLI_REG_HEAP] = "heap",             [CLI_REG_FREED] = "freed",
    [CLI_REG_FILL_FRESH] = "fill-fresh", [CLI_REG_FILL_FREED] = "fill-freed",
};

const char *cli_reg_mark_name(int mark)
{
    return mark >= 0 && (size_t)mark < sizeof reg_marks / sizeof *reg_marks ? reg_marks[mark] : "plain";
}

void cli_insn_hex(const struct cli_insn *in, char *hex)
{
    size_t n = in->length ? in->length : in->nbytes;
    if (n > sizeof in->bytes) n = sizeof in->bytes;
    hex[0] = '\0';
    for (size_t i = 0; i < n; i++) sprintf(hex + 3 * i, i + 1 < n ? "%02x " : "%02x", in->bytes[i]);
}
