/* memboss command — --sarif=FILE: the findings as a SARIF 2.1.0 log, for code scanning
 * services (docs/formats.md). Reads the model only.
 *
 * A result's location is the first frame that has a source file (else frame #0 in its
 * module); the uri is relative to the working directory (uriBaseId SRCROOT) when the file
 * lies under it, else an absolute file URI. Every stack of the finding goes into the result's stacks. The partial
 * fingerprint hashes the kind, the function and the file, never an address, so the same
 * bug keeps its identity from run to run. */
#include "cli.h"
#include "finding.h"
#include "json_out.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* Every kind of docs/report-format.md, with the page that explains it. */
static const struct rule {
    const char *kind, *text, *doc;
} rules[] = {
    {"heap-use-after-free", "An access to a freed heap block", "report-format.md"},
    {"heap-buffer-overflow", "An access past the end of a heap block", "report-format.md"},
    {"heap-buffer-underflow", "An access before the start of a heap block", "report-format.md"},
    {"write-after-free", "A freed block changed while it waited in quarantine", "report-format.md"},
    {"double-free", "free or realloc of a block that is already free", "report-format.md"},
    {"invalid-free", "free of a pointer that malloc never returned", "report-format.md"},
    {"invalid-realloc", "realloc of a pointer that malloc never returned", "report-format.md"},
    {"null-dereference", "An access in the first page of the address space", "report-format.md"},
    {"stack-overflow", "An access in the guard below a thread's stack", "report-format.md"},
    {"segv", "An access to memory that is not mapped or not allowed", "report-format.md"},
    {"bus-error", "SIGBUS, such as an access past the end of a mapped file", "report-format.md"},
    {"unwritten-block", "A block freed while none of its bytes had been written", "report-format.md"},
    {"uninitialized-read", "A read of a block's bytes that nothing wrote", "report-format.md"},
    {"leak", "Heap blocks that were never freed", "leaks.md"},
};
#define NRULES (sizeof rules / sizeof *rules)

/* The rule list of this log: the known kinds, then any other kind the findings have. */
struct rule_list {
    size_t n;
    const char **kinds;
};

static size_t rule_index(const struct rule_list *l, const char *kind)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->kinds[i], kind) == 0) return i;
    return (size_t)-1;
}

static void rules_collect(struct rule_list *l, const struct cli_findings *all)
{
    l->kinds = calloc(NRULES + all->n, sizeof *l->kinds);
    l->n = 0;
    if (!l->kinds) return;
    for (size_t i = 0; i < NRULES; i++) l->kinds[l->n++] = rules[i].kind;
    for (size_t i = 0; i < all->n; i++)
        if (rule_index(l, all->v[i].kind) == (size_t)-1) l->kinds[l->n++] = all->v[i].kind;
}

static void rule(struct cli_json *j, const char *kind)
{
    const struct rule *r = NULL;
    for (size_t i = 0; i < NRULES; i++)
        if (strcmp(rules[i].kind, kind) == 0) r = &rules[i];
    cli_json_object(j, NULL);
    cli_json_str(j, "id", kind);
    cli_json_object(j, "shortDescription");
    cli_json_str(j, "text", r ? r->text : kind);
    cli_json_end(j, '}');
    /* The project publishes no web address: help names the document of memboss's docs/. */
    char *help = cli_format("memboss documentation: docs/%s", r ? r->doc : "report-format.md");
    cli_json_object(j, "help");
    cli_json_str(j, "text", help);
    cli_json_end(j, '}');
    free(help);
    cli_json_object(j, "defaultConfiguration");
    cli_json_str(j, "level", "error");
    cli_json_end(j, '}');
    cli_json_object(j, "properties");
    cli_json_array(j, "tags");
    cli_json_str(j, NULL, "memory");
    cli_json_end(j, ']');
    cli_json_end(j, '}');
    cli_json_end(j, '}');
}

/* s with every byte but the unreserved ones and '/' percent-encoded (RFC 3986). */
static char *uri_encode(const char *prefix, const char *s)
{
    size_t np = strlen(prefix);
    char *out = malloc(np + 3 * strlen(s) + 1), *p = out;
    if (!out) return NULL;
    memcpy(p, prefix, np);
    p += np;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~/", *c))
            *p++ = (char)*c;
        else
            p += sprintf(p, "%%%02X", *c);
    }
    *p = '\0';
    return out;
}

/* The uri of a source file, and whether it is relative to SRCROOT (the working directory). */
static char *file_uri(const char *file, const char *cwd, int *relative)
{
    size_t n = strlen(cwd);
    *relative = 1;
    if (file[0] != '/') {
        /* relative in DWARF: to the working directory unless it climbs out of it (then
         * it is relative to a build directory nobody knows, and gets no base) */
        while (strncmp(file, "./", 2) == 0) file += 2;
        if (strncmp(file, "../", 3) == 0) *relative = 0;
        return uri_encode("", file);
    }
    if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/') return uri_encode("", file + n + 1);
    if (n == 1) return uri_encode("", file + 1); /* cwd is "/" */
    *relative = 0;
    return uri_encode("file://", file);
}

static const char *frame_function(const struct cli_frame *fr)
{
    return fr->src_function ? fr->src_function : fr->function;
}

/* A location object for a frame: its source position (if any), its address in its module
 * and its function. */
static void frame_location(struct cli_json *j, const char *key, const struct cli_frame *fr,
                           const char *cwd)
{
    cli_json_object(j, key);
    cli_json_object(j, "physicalLocation");
    /* Code scanning wants an artifact for every location: the source file, else the
     * module (a program without line information is still placed in its binary). */
    const char *artifact = fr->file ? fr->file : fr->module;
    if (artifact) {
        int rel;
        char *uri = file_uri(artifact, cwd, &rel);
        cli_json_object(j, "artifactLocation");
        cli_json_str(j, "uri", uri ? uri : "");
        if (rel) cli_json_str(j, "uriBaseId", "SRCROOT");
        cli_json_end(j, '}');
        free(uri);
        if (fr->file && fr->line > 0) {
            cli_json_object(j, "region");
            cli_json_int(j, "startLine", fr->line);
            if (fr->column > 0) cli_json_int(j, "startColumn", fr->column);
            cli_json_end(j, '}');
        }
    }
    cli_json_object(j, "address");
    /* user-space addresses are below 2^47: exact as JSON numbers */
    cli_json_int(j, "absoluteAddress", (long long)fr->pc);
    if (fr->module) {
        cli_json_int(j, "relativeAddress", (long long)fr->module_off);
        cli_json_str(j, "fullyQualifiedName", fr->module);
    }
    cli_json_end(j, '}');
    cli_json_end(j, '}');
    if (frame_function(fr)) {
        cli_json_array(j, "logicalLocations");
        cli_json_object(j, NULL);
        cli_json_str(j, "name", frame_function(fr));
        cli_json_str(j, "kind", "function");
        cli_json_end(j, '}');
        cli_json_end(j, ']');
    }
    /* the frame as the text report writes it */
    char *text = fr->function ? cli_format("0x%" PRIx64 " in %s+0x%" PRIx64 " (%s+0x%" PRIx64 ")", fr->pc,
                                           fr->function, fr->function_off,
                                           fr->module ? fr->module : "?", fr->module_off)
                              : cli_format("0x%" PRIx64 " (%s+0x%" PRIx64 ")", fr->pc,
                                           fr->module ? fr->module : "?", fr->module_off);
    cli_json_object(j, "message");
    cli_json_str(j, "text", text);
    cli_json_end(j, '}');
    free(text);
    cli_json_end(j, '}');
}

/* The frame a result is placed at: the first with a source file, else frame #0. */
static const struct cli_frame *result_frame(const struct cli_finding *f)
{
    for (size_t s = 0; s < f->nstacks; s++)
        for (size_t i = 0; i < f->stacks[s].n; i++)
            if (f->stacks[s].frames[i].file) return &f->stacks[s].frames[i];
    for (size_t s = 0; s < f->nstacks; s++)
        if (f->stacks[s].n) return &f->stacks[s].frames[0];
    return NULL;
}

static char *message_text(const struct cli_finding *f)
{
    size_t len = strlen(f->kind) + 3;
    for (size_t i = 0; i < f->nitems; i++)
        if (f->items[i].stack < 0) len += strlen(f->items[i].text) + 1;
    char *s = malloc(len);
    if (!s) return NULL;
    strcpy(s, f->kind);
    strcat(s, ": ");
    int first = 1;
    for (size_t i = 0; i < f->nitems; i++) {
        if (f->items[i].stack >= 0) continue;
        if (!first) strcat(s, "\n");
        strcat(s, f->items[i].text);
        first = 0;
    }
    return s;
}

static void result(struct cli_json *j, const struct cli_finding *f, const struct rule_list *rl,
                   const char *cwd)
{
    cli_json_object(j, NULL);
    cli_json_str(j, "ruleId", f->kind);
    size_t ri = rule_index(rl, f->kind);
    if (ri != (size_t)-1) cli_json_int(j, "ruleIndex", (long long)ri);
    cli_json_str(j, "level", f->is_error ? "error" : "note");
    char *text = message_text(f);
    cli_json_object(j, "message");
    cli_json_str(j, "text", text ? text : f->kind);
    cli_json_end(j, '}');
    free(text);

    const struct cli_frame *top = result_frame(f);
    if (top) {
        cli_json_array(j, "locations");
        frame_location(j, NULL, top, cwd);
        cli_json_end(j, ']');
    }
    /* kind | function | file: what identifies the bug, not where it was mapped */
    uint64_t h = cli_fnv1a(CLI_FNV_START, f->kind);
    if (top) {
        int rel;
        char *uri = top->file ? file_uri(top->file, cwd, &rel) : NULL;
        h = cli_fnv1a(cli_fnv1a(h, "|"), frame_function(top) ? frame_function(top) : "");
        h = cli_fnv1a(cli_fnv1a(h, "|"), uri ? uri : "");
        free(uri);
    }
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, h);
    cli_json_object(j, "partialFingerprints");
    cli_json_str(j, "memboss/v1", fp);
    cli_json_end(j, '}');

    if (f->nstacks) {
        cli_json_array(j, "stacks");
        for (size_t s = 0; s < f->nstacks; s++) {
            const struct cli_stack *st = &f->stacks[s];
            cli_json_object(j, NULL);
            cli_json_object(j, "message");
            cli_json_str(j, "text", st->title ? st->title : "stack");
            cli_json_end(j, '}');
            cli_json_array(j, "frames");
            for (size_t i = 0; i < st->n; i++) {
                cli_json_object(j, NULL);
                frame_location(j, "location", &st->frames[i], cwd);
                if (st->frames[i].module) cli_json_str(j, "module", st->frames[i].module);
                if (st->tid > 0) cli_json_int(j, "threadId", st->tid);
                cli_json_end(j, '}');
            }
            cli_json_end(j, ']');
            cli_json_end(j, '}');
        }
        cli_json_end(j, ']');
    }
    if (f->suppressed_by) {
        cli_json_array(j, "suppressions");
        cli_json_object(j, NULL);
        cli_json_str(j, "kind", "external");
        cli_json_str(j, "justification", f->suppressed_by);
        cli_json_end(j, '}');
        cli_json_end(j, ']');
    }
    cli_json_object(j, "properties");
    cli_json_int(j, "pid", f->pid);
    cli_json_bool(j, "complete", f->complete);
    if (f->has_access) cli_json_addr(j, "accessAddress", f->access_addr);
    cli_json_end(j, '}');
    cli_json_end(j, '}');
}

int cli_render_sarif(const char *path, const struct cli_findings *all)
{
    char *cwd = getcwd(NULL, 0);
    struct rule_list rl;
    rules_collect(&rl, all);
    if (!cwd || !rl.kinds) {
        fprintf(stderr, "memboss: cannot write %s: out of memory or no working directory\n", path);
        free(cwd);
        free(rl.kinds);
        return -1;
    }
    FILE *out = cli_render_open(path, "SARIF");
    if (!out) {
        free(cwd);
        free(rl.kinds);
        return -1;
    }
    struct cli_json j;
    cli_json_init(&j, out);
    cli_json_object(&j, NULL);
    cli_json_str(&j, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    cli_json_str(&j, "version", "2.1.0");
    cli_json_array(&j, "runs");
    cli_json_object(&j, NULL);
    cli_json_object(&j, "tool");
    cli_json_object(&j, "driver");
    cli_json_str(&j, "name", "memboss");
    cli_json_str(&j, "version", MB_VERSION);
    cli_json_str(&j, "semanticVersion", MB_VERSION);
    cli_json_array(&j, "rules");
    for (size_t i = 0; i < rl.n; i++) rule(&j, rl.kinds[i]);
    cli_json_end(&j, ']');
    cli_json_end(&j, '}');
    cli_json_end(&j, '}');
    char *root = uri_encode("file://", cwd);
    if (root) {
        size_t n = strlen(root);
        cli_json_object(&j, "originalUriBaseIds");
        cli_json_object(&j, "SRCROOT");
        /* a base URI ends with '/' */
        if (root[n - 1] != '/') {
            char *r = realloc(root, n + 2);
            if (r) root = strcat(r, "/");
        }
        cli_json_str(&j, "uri", root);
        cli_json_end(&j, '}');
        cli_json_end(&j, '}');
        free(root);
    }
    cli_json_str(&j, "columnKind", "unicodeCodePoints");
    cli_json_array(&j, "results");
    for (size_t i = 0; i < all->n; i++) result(&j, &all->v[i], &rl, cwd);
    cli_json_end(&j, ']');
    cli_json_end(&j, '}');
    cli_json_end(&j, ']');
    cli_json_end(&j, '}');
    cli_json_finish(&j);
    free(cwd);
    free(rl.kinds);
    return cli_render_close(out, path);
}
