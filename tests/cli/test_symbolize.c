/* Source lines of frames (cli/symbolize.c) and source text (cli_source_line).
 *
 * The fixtures are built here, in a temporary directory: a non-PIE NASM program (ld, static
 * addresses), a PIE C program, a shared library, and the C program stripped with its DWARF
 * in a .gnu_debuglink file. Addresses come from their symbol tables (nm); the expected line
 * is the one of the source that carries a marker comment. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/check.h"
#include "finding.h"

static char dir[256];

static const char asm_src[] =
    "; fixture: a non-PIE program in NASM\n"
    "global _start\n"
    "section .text\n"
    "helper:\n"
    "    ret                         ; MARK-HELPER\n"
    "_start:\n"
    "    nop\n"
    "store:\n"
    "    mov qword [rax], rcx        ; MARK-STORE\n"
    "    call helper                 ; MARK-CALL\n"
    "after_call:\n"
    "    mov eax, 60                 ; MARK-AFTER\n"
    "    xor edi, edi\n"
    "    syscall\n";

static const char c_src[] =
    "/* fixture: a PIE program */\n"
    "static volatile int sink;\n"
    "\n"
    "__attribute__((noinline)) int mark_fn(int *p) { /* MARK-FN */\n"
    "    return *p + 1;\n"
    "}\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    int x = 1;\n"
    "    sink = mark_fn(&x);\n"
    "    return 0;\n"
    "}\n";

static const char lib_src[] =
    "/* fixture: a shared library */\n"
    "int lib_helper(int x);\n"
    "\n"
    "int lib_helper(int x)\n"
    "{\n"
    "    return x + 3;\n"
    "}\n"
    "\n"
    "int lib_fn(int x) { /* MARK-LIB */\n"
    "    return lib_helper(x) * 2;\n"
    "}\n";

/* The label marks the first instruction of the inlined body, in the function outer. */
static const char inl_src[] =
    "/* fixture: a function inlined into another, optimized */\n"
    "static inline __attribute__((always_inline)) int inner(volatile int *p)\n"
    "{\n"
    "    __asm__ volatile(\".globl inl_mark\\ninl_mark:\");\n"
    "    return *p * 3; /* MARK-INNER */\n"
    "}\n"
    "\n"
    "int outer(volatile int *p)\n"
    "{\n"
    "    return inner(p) + 1;\n"
    "}\n";

static char *path_of(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static int write_file(const char *name, const char *text)
{
    FILE *fp = fopen(path_of(name), "wb");
    if (!fp)
        return 0;
    fputs(text, fp);
    return fclose(fp) == 0;
}

static int sh(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof full, "cd '%s' && %s", dir, cmd);
    int rc = system(full);
    CHECKF(rc == 0, "command failed: %s", cmd);
    return rc == 0;
}

/* The value of symbol sym in the symbol table of the fixture `name` (nm), 0 when absent. */
static uint64_t symbol(const char *name, const char *sym)
{
    char cmd[1024], line[512];
    snprintf(cmd, sizeof cmd, "nm '%s'", path_of(name));
    FILE *p = popen(cmd, "r");
    uint64_t v = 0;
    if (!p)
        return 0;
    while (fgets(line, sizeof line, p)) {
        unsigned long long a;
        char type, s[256];
        if (sscanf(line, "%llx %c %255s", &a, &type, s) == 3 && strcmp(s, sym) == 0)
            v = a;
    }
    pclose(p);
    return v;
}

/* The build-id of a fixture in hex (readelf), "" when none. */
static void build_id(const char *name, char *out, size_t size)
{
    char cmd[1024], line[512];
    snprintf(cmd, sizeof cmd, "readelf -n '%s'", path_of(name));
    FILE *p = popen(cmd, "r");
    out[0] = '\0';
    while (p && fgets(line, sizeof line, p)) {
        char *at = strstr(line, "Build ID: ");
        if (at)
            sscanf(at + 10, "%127s", out);
    }
    if (p)
        pclose(p);
    (void)size;
}

/* The line of src that holds marker (1-based). */
static int marker_line(const char *src, const char *marker)
{
    const char *at = strstr(src, marker);
    int line = 1;
    for (const char *s = src; at && s < at; s++)
        line += *s == '\n';
    return at ? line : -1;
}

/* s is the path of the file `name` of the fixtures' directory, written plainly. */
static int ends_with(const char *s, const char *name)
{
    return s && strcmp(s, path_of(name)) == 0;
}

/* Symbolizes one frame on its own, as part of a finding's stack. */
static struct cli_frame look_up(const char *module, uint64_t off, int is_return, const char *bid)
{
    struct cli_frame fr = {0};
    fr.pc = off + 0x555555554000ull;
    fr.module = (char *)path_of(module);
    fr.module_off = off;
    fr.is_return = is_return;
    fr.build_id = (char *)bid;
    struct cli_stack st = {NULL, 0, 1, &fr};
    struct cli_finding f = {0};
    f.nstacks = 1;
    f.stacks = &st;
    struct cli_findings all = {1, &f, 1};
    cli_symbolize_findings(&all);
    return fr;
}

static void frame_free(struct cli_frame *fr)
{
    free(fr->src_function);
    free(fr->file);
}

static void check_line(const char *what, struct cli_frame fr, const char *file, int line)
{
    CHECKF(ends_with(fr.file, file) && fr.line == line, "%s: %s:%d, expected %s:%d", what,
           fr.file ? fr.file : "(none)", fr.line, file, line);
    frame_free(&fr);
}

static void nasm_program(void)
{
    if (!write_file("fix.asm", asm_src) ||
        !sh("nasm -f elf64 -g -F dwarf fix.asm -o fix.o && ld -o fixasm fix.o"))
        return;
    uint64_t store = symbol("fixasm", "store"), after = symbol("fixasm", "after_call");
    CHECK(store >= 0x400000 && after > store); /* ld's static addresses */
    check_line("nasm store", look_up("fixasm", store, 0, NULL), "fix.asm",
               marker_line(asm_src, "MARK-STORE"));
    /* a return address is the line of its call; the same address as a pc is the next line */
    check_line("nasm return", look_up("fixasm", after, 1, NULL), "fix.asm",
               marker_line(asm_src, "MARK-CALL"));
    check_line("nasm pc", look_up("fixasm", after, 0, NULL), "fix.asm",
               marker_line(asm_src, "MARK-AFTER"));
    check_line("nasm helper", look_up("fixasm", symbol("fixasm", "helper"), 0, NULL), "fix.asm",
               marker_line(asm_src, "MARK-HELPER"));
}

static void c_programs(void)
{
    if (!write_file("fixc.c", c_src) || !write_file("fixlib.c", lib_src) ||
        !write_file("inl.c", inl_src) ||
        !sh("gcc -g -O0 -fPIE -pie -o fixc fixc.c && "
            "gcc -g -O0 -fPIC -shared -o libfix.so fixlib.c && "
            "gcc -g -O2 -fPIC -shared -o libinl.so inl.c && "
            "objcopy --only-keep-debug fixc fixc.debug && "
            "objcopy --strip-debug --add-gnu-debuglink=fixc.debug fixc fixc-linked && "
            "objcopy --strip-debug fixc fixc-stripped"))
        return;
    int fn_line = marker_line(c_src, "MARK-FN");
    uint64_t fn = symbol("fixc", "mark_fn");
    CHECKF(fn > 0 && fn < 0x100000, "mark_fn at 0x%llx: not a PIE address", (unsigned long long)fn);

    struct cli_frame fr = look_up("fixc", fn, 0, NULL);
    CHECKF(fr.src_function && strcmp(fr.src_function, "mark_fn") == 0, "function %s",
           fr.src_function ? fr.src_function : "(none)");
    check_line("pie", fr, "fixc.c", fn_line);

    char bid[128];
    build_id("fixc", bid, sizeof bid);
    CHECK(bid[0] != '\0');
    check_line("pie, its build-id", look_up("fixc", fn, 0, bid), "fixc.c", fn_line);
    fr = look_up("fixc", fn, 0, "00112233445566778899aabbccddeeff00112233");
    CHECKF(fr.file == NULL && fr.line == 0, "another build's frame got %s:%d", fr.file, fr.line);
    frame_free(&fr);

    /* the debug information found through .gnu_debuglink; none without it */
    check_line("debuglink", look_up("fixc-linked", fn, 0, NULL), "fixc.c", fn_line);
    fr = look_up("fixc-stripped", fn, 0, NULL);
    CHECK(fr.file == NULL && fr.line == 0);
    frame_free(&fr);

    uint64_t lib = symbol("libfix.so", "lib_fn");
    CHECK(lib > 0);
    fr = look_up("libfix.so", lib, 0, NULL);
    CHECK(fr.src_function && strcmp(fr.src_function, "lib_fn") == 0);
    check_line("shared library", fr, "fixlib.c", marker_line(lib_src, "MARK-LIB"));

    /* inlined code: the innermost function and its line */
    uint64_t inl = symbol("libinl.so", "inl_mark");
    CHECK(inl > 0);
    fr = look_up("libinl.so", inl, 0, NULL);
    CHECKF(fr.src_function && strcmp(fr.src_function, "inner") == 0, "inlined: %s",
           fr.src_function ? fr.src_function : "(none)");
    check_line("inlined", fr, "inl.c", marker_line(inl_src, "MARK-INNER"));
}

static void edge_cases(void)
{
    struct cli_frame fr = look_up("no-such-module", 0x1000, 0, NULL);
    CHECK(fr.file == NULL && fr.line == 0 && fr.src_function == NULL);
    fr = look_up("fix.asm", 0x10, 0, NULL); /* not an ELF file */
    CHECK(fr.file == NULL && fr.line == 0 && fr.src_function == NULL);
    fr.module = NULL; /* a frame outside every module stays as it is */
    struct cli_stack st = {NULL, 0, 1, &fr};
    struct cli_finding f = {0};
    f.nstacks = 1;
    f.stacks = &st;
    struct cli_findings all = {1, &f, 1};
    cli_symbolize_findings(&all);
    CHECK(fr.file == NULL && fr.line == 0);
}

static void source_lines(void)
{
    if (!write_file("crlf.asm", "first\r\n\tmov rax, 1\t; x\r\nthird\n\nlast without end"))
        return;
    const char *p = path_of("crlf.asm");
    char *s;
    CHECK((s = cli_source_line(p, 1)) && strcmp(s, "first") == 0);
    free(s);
    s = cli_source_line(p, 2);
    CHECKF(s && strcmp(s, "        mov rax, 1      ; x") == 0, "tabs: [%s]", s);
    free(s);
    CHECK((s = cli_source_line(p, 4)) && strcmp(s, "") == 0);
    free(s);
    CHECK((s = cli_source_line(p, 5)) && strcmp(s, "last without end") == 0);
    free(s);
    CHECK(cli_source_line(p, 6) == NULL);
    CHECK(cli_source_line(p, 0) == NULL);
    CHECK(cli_source_line(path_of("missing.asm"), 1) == NULL);
    CHECK(cli_source_line(dir, 1) == NULL); /* a directory is no source file */
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/memboss-symbolize-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char real[PATH_MAX];
    if (!mkdtemp(dir) || !realpath(dir, real) || strlen(real) >= sizeof dir) {
        CHECK(!"mkdtemp");
        return check_done("symbolize");
    }
    strcpy(dir, real); /* as the compilers write it: no symbolic links */
    nasm_program();
    c_programs();
    edge_cases();
    source_lines();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done("symbolize");
}
