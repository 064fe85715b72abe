/* memboss command — writing JSON (and escaping text) for the renderers.
 *
 * A small streaming writer: values are written as they come, commas and indentation are
 * its business. Used by render_json.c and render_sarif.c; render_html.c uses the UTF-8
 * check. Text from the process (paths, symbol names, report lines) may hold any byte:
 * invalid UTF-8 becomes U+FFFD, so every file written is valid UTF-8. */
#ifndef CLI_JSON_OUT_H
#define CLI_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

#define CLI_JSON_DEPTH 32

struct cli_json {
    FILE *out;
    int depth;
    int count[CLI_JSON_DEPTH]; /* values written so far at each open level */
};

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s does not start one
 * (a stray continuation byte, an overlong form, a surrogate, a truncated sequence). */
int cli_utf8_len(const unsigned char *s);

/* Opens path for writing (the renderers' common start); NULL with a message on stderr. */
FILE *cli_render_open(const char *path, const char *what);
/* Closes out and reports a write error; 0 or -1. */
int cli_render_close(FILE *out, const char *path);

void cli_json_init(struct cli_json *j, FILE *out);
/* key is the member name inside an object, NULL inside an array or at the top. */
void cli_json_object(struct cli_json *j, const char *key);
void cli_json_array(struct cli_json *j, const char *key);
void cli_json_end(struct cli_json *j, char close); /* '}' or ']' */
void cli_json_str(struct cli_json *j, const char *key, const char *s); /* NULL: null */
void cli_json_int(struct cli_json *j, const char *key, long long v);
void cli_json_bool(struct cli_json *j, const char *key, int v);
void cli_json_null(struct cli_json *j, const char *key);
/* An address or a 64-bit value as the string "0x...", exact where a double is not. */
void cli_json_addr(struct cli_json *j, const char *key, uint64_t v);
/* Ends the document with a newline. */
void cli_json_finish(struct cli_json *j);

/* 64-bit FNV-1a, continued from h (start with CLI_FNV_START): fingerprints. */
#define CLI_FNV_START 0xcbf29ce484222325ull
uint64_t cli_fnv1a(uint64_t h, const char *s);

/* ---- names the renderers share ---- */
struct cli_insn;
/* "plain", "null", "heap", "freed", "fill-fresh", "fill-freed" (enum cli_reg_mark). */
const char *cli_reg_mark_name(int mark);
/* The instruction's bytes (its decoded length, else all copied) as "48 89 08";
 * hex holds 3 * 16 + 1 characters. */
void cli_insn_hex(const struct cli_insn *in, char *hex);

#endif
