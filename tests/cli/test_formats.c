/* memboss command — the JSON, SARIF and HTML renderers on findings built in memory:
 * an overflow with instruction, registers and map, a double free without source, a leak
 * reported as INFO and suppressed; text with quotes, backslashes, control characters,
 * non-ASCII, invalid UTF-8 and <>&.
 *
 *   test_formats [DIR]   writes findings.json, findings.sarif and findings.html into DIR
 *                        (kept, for tests/formats/validate.sh), else into a temporary one */
#include "../unit/check.h"
#include "finding.h"
#include "json_out.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NASTY "say \"hi\" \\ tab\there bell\x07 del\x7f gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93 bad\xff <b>&amp;</b>"

static char cwd_file[4096];

static struct cli_frame overflow_frames[] = {
    {.pc = 0x401136, .module = "/opt/prog", .module_off = 0x1136, .build_id = "abc123",
     .function = "main", .function_off = 0x16, .src_function = "main", .file = cwd_file, .line = 12, .column = 5},
    {.pc = 0x7f3c1e02724a, .is_return = 1, .module = "/usr/lib/x86_64-linux-gnu/libc.so.6", .module_off = 0x2724a,
     .file = "../sysdeps/start.h", .line = 58},
};
static struct cli_frame alloc_frames[] = {
    {.pc = 0x401120, .module = "/opt/prog", .module_off = 0x1120, .function = "make_\"it\"",
     .function_off = 4, .file = "/usr/src/lib \"x\".c", .line = 3},
};
static struct cli_stack overflow_stacks[] = {
    {.title = "WRITE at 0x7f3c1ffffff2 by thread 4242:", .tid = 4242, .n = 2, .frames = overflow_frames},
    {.title = "the block was allocated by thread 4242:", .tid = 4242, .n = 1, .frames = alloc_frames},
};
static struct cli_item overflow_items[] = {
    {.text = "WRITE at 0x7f3c1ffffff2 by thread 4242:", .stack = 0},
    {.text = NASTY, .stack = -1},
    {.text = "", .stack = 1},
};
static struct cli_reg overflow_regs[] = {
    {"rax", 0x7f3c1ffffff0, CLI_REG_HEAP}, {"rcx", 0x1122334455667788, CLI_REG_PLAIN},
    {"rbx", 0xbebebebebebebebe, CLI_REG_FILL_FRESH}, {"rip", 0x401136, CLI_REG_PLAIN},
};
static struct cli_region overflow_map[] = {
    {0x400000, 0x401000, "r--p", 0, "/opt/prog", "file", ".rodata of prog", 0},
    {0x401000, 0x402000, "r-xp", 0x1000, "/opt/prog", "file", ".text of prog", 0},
    {0x404000, 0x405000, "rw-p", 0x3000, "/opt/prog", "file", ".data of prog <&>", 0},
    {0x7f3c1fff0000, 0x7f3c20000000, "rw-p", 0, NULL, "heap", "heap (memboss)", 1},
    {0x7ffd4a000000, 0x7ffd4a021000, "rw-p", 0, "[stack]", "stack", "stack of thread 4242", 0},
};

static struct cli_frame df_frames[] = {
    {.pc = 0x401200, .module = "/opt/prog", .module_off = 0x1200, .function = "twice", .function_off = 9},
};
static struct cli_stack df_stacks[] = {{.title = "free of 0x4052a0 by thread 7:", .tid = 7, .n = 1, .frames = df_frames}};
static struct cli_item df_items[] = {
    {.text = "free of 0x4052a0 by thread 7:", .stack = 0},
    {.text = "0x4052a0 is at offset 0 of a 64-byte block at 0x4052a0, freed", .stack = -1},
};

static char source_file[4200]; /* a source file the test writes: its line 2 goes on the page */
static struct cli_frame leak_frames[] = {
    {.pc = 0x401300, .module = "/opt/prog", .module_off = 0x1300, .function = "leaky", .function_off = 1,
     .file = "./leak.c", .line = 7, .column = 0},
    {.pc = 0x401400, .is_return = 1, .module = "/opt/prog", .module_off = 0x1400, .function = "main",
     .function_off = 2, .file = source_file, .line = 2},
};
static struct cli_stack leak_stacks[] = {{.title = "allocated by thread 7:", .tid = 7, .n = 2, .frames = leak_frames}};
static struct cli_item leak_items[] = {
    {.text = "128 bytes in 2 blocks are still reachable in loss record 1 of 1", .stack = -1},
    {.text = "", .stack = 0},
};

static struct cli_finding findings[3];

static void build(void)
{
    findings[0] = (struct cli_finding){
        .pid = 4242, .kind = "heap-buffer-overflow", .is_error = 1, .complete = 1,
        .nitems = 3, .items = overflow_items, .nstacks = 2, .stacks = overflow_stacks,
        .has_access = 1, .access_addr = 0x7f3c1ffffff2, .access_tid = 4242, .access_how = "write",
        .nregs = 4, .regs = overflow_regs,
        .insn = {.pc = 0x401136, .bytes = {0x48, 0x89, 0x08, 0x90}, .nbytes = 16, .length = 3,
                 .text = "mov qword [rax], rcx", .access_size = 8, .is_write = 1,
                 .explanation = "an 8-byte write at offset 2 of a 2-byte block: 8 bytes past its end <\"'>"},
        .has_block = 1, .block_addr = 0x7f3c1ffffff0, .block_size = 2,
        .nregions = 5, .regions = overflow_map};
    findings[1] = (struct cli_finding){
        .pid = 4243, .kind = "double-free", .is_error = 1, .complete = 1, .nitems = 2, .items = df_items,
        .nstacks = 1, .stacks = df_stacks, .has_access = 1, .access_addr = 0x4052a0, .access_how = "free",
        .access_tid = 7, .has_block = 1, .block_addr = 0x4052a0, .block_size = 64, .block_freed = 1};
    findings[2] = (struct cli_finding){
        .pid = 4243, .kind = "leak", .is_error = 0, .complete = 0, .nitems = 2, .items = leak_items,
        .nstacks = 1, .stacks = leak_stacks, .leak_bytes = 128, .leak_blocks = 2, .leak_kind = "reachable",
        .suppressed_by = "known \"leak\" <one>"};
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = malloc(n + 1);
    if (s) memcpy(s, buf, n + 1);
    return s;
}

/* Every byte is valid UTF-8, and no control character but the newline (and the tab, when
 * tab) is in the file. */
static int clean_utf8(const char *s, int tab)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = cli_utf8_len(p);
        if (n == 0 || (n == 1 && *p < 0x20 && *p != '\n' && !(tab && *p == '\t')) || *p == 0x7f) return 0;
        p += n;
    }
    return 1;
}

static int has(const char *s, const char *what)
{
    return s && strstr(s, what) != NULL;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p++) n++;
    return n;
}

/* The first partial fingerprint of the SARIF log at path. */
static void fingerprint(const char *path, char *fp, size_t size)
{
    char *s = slurp(path);
    const char *p = s ? strstr(s, "\"memboss/v1\": \"") : NULL;
    snprintf(fp, size, "%.16s", p ? p + 15 : "none");
    free(s);
}

static void check_utf8_len(void)
{
    CHECK(cli_utf8_len((const unsigned char *)"a") == 1);
    CHECK(cli_utf8_len((const unsigned char *)"\xc3\xb6") == 2);
    CHECK(cli_utf8_len((const unsigned char *)"\xe2\x9c\x93") == 3);
    CHECK(cli_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80") == 4);
    CHECK(cli_utf8_len((const unsigned char *)"\xc0\xaf") == 0);         /* overlong '/' */
    CHECK(cli_utf8_len((const unsigned char *)"\xed\xa0\x80") == 0);     /* a surrogate */
    CHECK(cli_utf8_len((const unsigned char *)"\xe2\x9c") == 0);         /* cut short */
    CHECK(cli_utf8_len((const unsigned char *)"\x80") == 0);
    CHECK(cli_utf8_len((const unsigned char *)"\xf4\x90\x80\x80") == 0); /* past U+10FFFF */
}

int main(int argc, char **argv)
{
    char tmpl[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpl, sizeof tmpl, "%s/memboss-formats.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    char cwd[4000];
    if (!dir || !getcwd(cwd, sizeof cwd)) {
        printf("no directory\n");
        return check_done("test_formats");
    }
    snprintf(cwd_file, sizeof cwd_file, "%s/src/prog.c", cwd);
    snprintf(source_file, sizeof source_file, "%s/leaky.c", dir);
    FILE *src = fopen(source_file, "w");
    if (src) {
        fputs("int main(void)\n{ return leaky(\"<&>\"); }\n", src);
        fclose(src);
    }
    build();
    struct cli_findings all = {.n = 3, .v = findings, .processes = 2};
    char json[4200], sarif[4200], html[4200], sarif2[4200];
    snprintf(json, sizeof json, "%s/findings.json", dir);
    snprintf(sarif, sizeof sarif, "%s/findings.sarif", dir);
    snprintf(html, sizeof html, "%s/findings.html", dir);
    snprintf(sarif2, sizeof sarif2, "%s/moved.sarif", dir);

    check_utf8_len();
    CHECK(cli_render_json(json, &all) == 0);
    CHECK(cli_render_sarif(sarif, &all) == 0);
    CHECK(cli_render_html(html, &all) == 0);
    CHECK(cli_render_json("/nonexistent-dir/x.json", &all) == -1);

    char *s = slurp(json);
    CHECKF(s && clean_utf8(s, 0), "findings.json is not clean UTF-8");
    CHECK(has(s, "\"say \\\"hi\\\" \\\\ tab\\there bell\\u0007 del\\u007f gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93 bad\\ufffd <b>&amp;</b>\""));
    CHECK(has(s, "\"address\": \"0x7f3c1ffffff2\""));
    CHECK(has(s, "\"value\": \"0xbebebebebebebebe\""));
    CHECK(has(s, "\"mark\": \"fill-fresh\""));
    CHECK(has(s, "\"bytes\": \"48 89 08\""));
    CHECK(has(s, "\"suppressed_by\": \"known \\\"leak\\\" <one>\""));
    CHECK(has(s, "\"kind\": \"reachable\""));
    CHECK(has(s, "\"severity\": \"info\""));
    CHECK(has(s, "\"processes\": 2"));
    CHECK(count(s, "\"kind\": \"") == 3 + 5 + 1); /* findings, regions, the loss record */
    CHECK(count(s, "{") == count(s, "}") && count(s, "[") == count(s, "]"));
    free(s);

    s = slurp(sarif);
    CHECKF(s && clean_utf8(s, 0), "findings.sarif is not clean UTF-8");
    CHECK(has(s, "\"version\": \"2.1.0\""));
    CHECK(has(s, "\"uri\": \"src/prog.c\",\n") && has(s, "\"uriBaseId\": \"SRCROOT\""));
    CHECK(has(s, "\"uri\": \"leak.c\""));
    CHECK(has(s, "\"uri\": \"../sysdeps/start.h\"\n"));
    /* the double free has no source: placed in its module */
    CHECK(has(s, "\"uri\": \"file:///opt/prog\""));
    CHECK(!has(s, "\"uri\": \"\""));
    CHECK(has(s, "\"uri\": \"file:///usr/src/lib%20%22x%22.c\"\n"));
    CHECK(has(s, "\"startLine\": 12") && has(s, "\"startColumn\": 5"));
    CHECK(has(s, "\"ruleId\": \"double-free\""));
    CHECK(has(s, "\"level\": \"note\""));
    CHECK(has(s, "\"justification\": \"known \\\"leak\\\" <one>\""));
    CHECK(has(s, "\"name\": \"make_\\\"it\\\"\""));
    CHECK(count(s, "\"ruleId\"") == 3);
    CHECK(count(s, "\"stacks\"") == 3);
    CHECK(count(s, "{") == count(s, "}") && count(s, "[") == count(s, "]"));
    free(s);

    /* The fingerprint ignores addresses and line numbers, and follows kind and function. */
    char fp1[20], fp2[20];
    fingerprint(sarif, fp1, sizeof fp1);
    overflow_frames[0].pc += 0x10000;
    overflow_frames[0].line = 40;
    findings[0].access_addr += 0x1000;
    CHECK(cli_render_sarif(sarif2, &all) == 0);
    fingerprint(sarif2, fp2, sizeof fp2);
    CHECKF(strcmp(fp1, "none") != 0 && strcmp(fp1, fp2) == 0, "fingerprints %s and %s", fp1, fp2);
    overflow_frames[0].src_function = "other";
    CHECK(cli_render_sarif(sarif2, &all) == 0);
    fingerprint(sarif2, fp2, sizeof fp2);
    CHECKF(strcmp(fp1, fp2) != 0, "another function, same fingerprint %s", fp1);
    overflow_frames[0].src_function = "main";
    overflow_frames[0].pc -= 0x10000;
    overflow_frames[0].line = 12;
    findings[0].access_addr -= 0x1000;
    unlink(sarif2);

    s = slurp(html);
    CHECKF(s && clean_utf8(s, 1), "findings.html is not clean UTF-8");
    CHECK(has(s, "say &quot;hi&quot; \\ tab\there bell\\x07 del\\x7f gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93 bad\xef\xbf\xbd &lt;b&gt;&amp;amp;&lt;/b&gt;"));
    CHECK(!has(s, "<b>") && !has(s, "<one>") && !has(s, "http"));
    CHECK(has(s, "id=\"finding-1\"") && has(s, "id=\"finding-2\"") && has(s, "id=\"finding-3\""));
    CHECK(has(s, "class=\"finding info suppressed\""));
    CHECK(has(s, "mov qword [rax], rcx") && has(s, "48 89 08"));
    CHECK(has(s, "&lt;&quot;&#39;&gt;"));
    CHECK(has(s, "class=\"m-fill-fresh\""));
    CHECK(count(s, "class=\"reg k-") == 5 && count(s, " hit\"") == 1 && has(s, "&#9664; 0x7f3c1ffffff2"));
    CHECK(has(s, ".data of prog &lt;&amp;&gt;"));
    /* boxes from the highest address down: the stack first, .rodata last */
    CHECK(has(s, "stack of thread 4242") && has(s, ".rodata of prog") &&
          strstr(s, "stack of thread 4242") < strstr(s, "heap (memboss)") &&
          strstr(s, "heap (memboss)") < strstr(s, ".text of prog") &&
          strstr(s, ".text of prog") < strstr(s, ".rodata of prog"));
    CHECK(has(s, "<div class=\"src\">2 | { return leaky(&quot;&lt;&amp;&gt;&quot;); }</div>"));
    free(s);

    unlink(source_file);
    if (argc <= 1) {
        unlink(json);
        unlink(sarif);
        unlink(html);
        rmdir(dir);
    }
    return check_done("test_formats");
}
