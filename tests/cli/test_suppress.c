/* Suppressions (cli/suppress.c): reading files, good and bad; matching findings built in
 * memory by kind, leak kind and the frames of their first stack; entries written for a
 * finding suppress that finding. Loaded entries stay for the process's life, so each group
 * of checks runs in a child process of its own, and so does each load that must fail. */
#include "../unit/check.h"
#include "cli.h"
#include "finding.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------------------- */

/* A path to a file holding text (an anonymous memory file: nothing to clean up). */
static char *supp_file(const char *text)
{
    int fd = memfd_create("suppressions", 0);
    if (fd < 0) return cli_strdup("(no memfd)");
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) return cli_strdup("(short write)");
    return cli_format("/proc/self/fd/%d", fd);
}

static void load_text(const char *text)
{
    char *path = supp_file(text);
    cli_suppress_load(path);
    free(path);
}

/* Runs group in a child (fresh suppressions); its failures print there; one check here. */
static void run_group(const char *name, void (*group)(void))
{
    fflush(stdout);
    unsigned long failed_before = check_failures();
    pid_t pid = fork();
    if (pid == 0) {
        group();
        fflush(stdout);
        _exit(check_failures() > failed_before ? 1 : 0);
    }
    int status = -1;
    if (pid > 0) waitpid(pid, &status, 0);
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "group %s failed (status 0x%x)", name, status);
}

/* Loads path in a child; returns its exit status, and what it wrote on stderr in err. */
static int load_in_child(const char *path, char *err, size_t cap)
{
    int fds[2];
    if (pipe(fds)) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        cli_suppress_load(path);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fds[0], err + len, cap - 1 - len)) > 0) len += (size_t)n;
    err[len] = '\0';
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

static struct cli_frame frame(const char *fun, const char *module, const char *file, int line)
{
    return (struct cli_frame){.pc = 0x401000, .function = (char *)fun, .module = (char *)module,
                              .file = (char *)file, .line = line};
}

/* A finding of kind whose first (only) stack is frames[0..n). */
static struct cli_finding finding(const char *kind, struct cli_stack *st, struct cli_frame *frames, size_t n)
{
    *st = (struct cli_stack){.title = (char *)"WRITE at 0x10 by thread 1:", .n = n, .frames = frames};
    return (struct cli_finding){.kind = (char *)kind, .is_error = 1, .nstacks = 1, .stacks = st};
}

/* The name of the entry that suppresses f, or "" (f's mark is cleared first). */
static const char *suppressor(struct cli_finding *f)
{
    f->suppressed_by = NULL;
    struct cli_findings all = {.n = 1, .v = f};
    cli_suppress_apply(&all);
    return f->suppressed_by ? f->suppressed_by : "";
}

/* Which entry suppresses a finding of kind whose stack is frames[0..n). */
#define EXPECT(kind, frames, n, name)                                                         \
    do {                                                                                       \
        struct cli_stack st_;                                                                  \
        struct cli_finding f_ = finding(kind, &st_, frames, n);                                \
        CHECK_SUPP(&f_, name);                                                                 \
    } while (0)

#define CHECK_SUPP(f, name)                                                                   \
    do {                                                                                       \
        const char *got_ = suppressor(f);                                                      \
        CHECKF(!strcmp(got_, (name)), "suppressed by '%s', expected '%s'", got_, (name));      \
    } while (0)

/* ---- reading --------------------------------------------------------------------------- */

static void good_file(void)
{
    load_text("# a comment before the first entry\n"
              "\n"
              "{\n"
              "   first one\n"
              "   memboss:heap-buffer-overflow\n"
              "   # a comment inside\n"
              "   fun:main\n"
              "}\n"
              "{\r\n"
              "\tsecond\t\r\n"
              "\tmemboss:leak\r\n"
              "\tmatch-leak-kinds: definite, possible\r\n"
              "\tsrc:alloc.c:12\r\n"
              "\t...\r\n"
              "\tobj:*/libc.so.6\r\n"
              "}\r\n"
              "{\n  no frames\n  memboss:double-fre?\n}\n");
    struct cli_stack st;
    struct cli_frame a[] = {frame("main", "/bin/prog", NULL, 0)};
    EXPECT("heap-buffer-overflow", a, 1, "first one");
    struct cli_frame b[] = {frame("make", "/bin/prog", "/src/alloc.c", 12), frame("main", "/bin/prog", NULL, 0),
                            frame("__libc_start_call_main", "/usr/lib/x86_64-linux-gnu/libc.so.6", NULL, 0)};
    struct cli_finding f = finding("leak", &st, b, 3);
    strcpy(f.leak_kind, "possible");
    CHECK_SUPP(&f, "second");
    EXPECT("double-free", a, 1, "no frames");
    EXPECT("invalid-free", a, 1, "");
}

static void several_files(void)
{
    load_text("{\n from the first file\n memboss:segv\n fun:f\n}\n");
    load_text("{\n from the second file\n memboss:*\n fun:*\n}\n");
    struct cli_stack st;
    struct cli_frame a[] = {frame("f", NULL, NULL, 0)};
    EXPECT("segv", a, 1, "from the first file"); /* the first entry loaded wins */
    EXPECT("leak", a, 1, "from the second file");
    /* a finding already marked keeps its mark */
    struct cli_finding f = finding("leak", &st, a, 1);
    f.suppressed_by = "earlier";
    struct cli_findings all = {.n = 1, .v = &f};
    cli_suppress_apply(&all);
    CHECK(!strcmp(f.suppressed_by, "earlier"));
}

static const struct {
    const char *text;
    int line;        /* expected in "PATH:LINE: " */
    const char *say; /* a part of the message */
} bad_files[] = {
    {"hello\n", 1, "expected '{'"},
    {"# comment\n\n{\n}\n", 4, "name"},
    {"{\n  name\n  fun:main\n}\n", 3, "expected memboss:KIND"},
    {"{\n  name\n  Memcheck:Leak\n}\n", 3, "expected memboss:KIND"},
    {"{\n  name\n  memboss:\n}\n", 3, "empty"},
    {"{\n  name\n  memboss:heap-overflow\n}\n", 3, "unknown kind 'heap-overflow'"},
    {"{\n  name\n  memboss:leak\n  fun:main\n  bogus:x\n}\n", 5, "expected fun:, obj:, src:"},
    {"{\n  name\n  memboss:leak\n  fun:\n}\n", 4, "needs a pattern"},
    {"{\n  name\n  memboss:leak\n  obj:   \n}\n", 4, "needs a pattern"},
    {"{\n  name\n  memboss:leak\n  fun:main\n  match-leak-kinds: definite\n}\n", 5, "right after the kind"},
    {"{\n  name\n  memboss:leak\n  match-leak-kinds: definite,lost\n}\n", 4, "bad leak kind 'lost'"},
    {"{\n  name\n  memboss:leak\n  match-leak-kinds: definite possible\n}\n", 4, "match-leak-kinds"},
    {"{\n  name\n  memboss:leak\n  match-leak-kinds:\n}\n", 4, "bad leak kind ''"},
    {"{\n  name\n  memboss:leak\n  src:a.c:0\n}\n", 4, "bad line number '0'"},
    {"{\n  name\n  memboss:leak\n  src:a.c:99999999999\n}\n", 4, "bad line number"},
    {"{\n  n\n  memboss:leak\n}\n}\n", 5, "expected '{'"},
    {"{\n  n\n  memboss:leak\n}\n\n{\n  m\n  memboss:leak\n  fun:x\n", 6, "no closing '}'"},
    {"{\n  n\n", 1, "no closing '}'"},
    {"{\n  {\n", 2, "expected the suppression's name"},
};

static void bad_file_errors(void)
{
    char err[1024];
    for (size_t i = 0; i < sizeof bad_files / sizeof *bad_files; i++) {
        char *path = supp_file(bad_files[i].text);
        int status = load_in_child(path, err, sizeof err);
        char *where = cli_format(":%d: ", bad_files[i].line);
        CHECKF(status == CLI_EXIT_USAGE, "bad file %zu: status %d", i, status);
        CHECKF(!strncmp(err, "memboss: /proc/self/fd/", 23), "bad file %zu: '%s'", i, err);
        CHECKF(strstr(err, where) != NULL, "bad file %zu: no '%s' in '%s'", i, where, err);
        CHECKF(strstr(err, bad_files[i].say) != NULL, "bad file %zu: no '%s' in '%s'", i, bad_files[i].say, err);
        CHECKF(strchr(err, '\n') == strrchr(err, '\n'), "bad file %zu: more than one line: '%s'", i, err);
        free(where);
        free(path);
    }
    /* a good file loads: status 0, nothing said */
    char *path = supp_file("{\n ok\n memboss:leak\n ...\n}\n");
    int status = load_in_child(path, err, sizeof err);
    free(path);
    CHECKF(status == 0 && !err[0], "good file: status %d, '%s'", status, err);
}

static void missing_file(void)
{
    char err[512];
    int status = load_in_child("no/such/suppressions.supp", err, sizeof err);
    CHECKF(status == CLI_EXIT_USAGE, "status %d", status);
    CHECKF(strstr(err, "memboss: cannot read the suppressions file no/such/suppressions.supp: "), "'%s'", err);
}

/* ---- matching -------------------------------------------------------------------------- */

static void kinds(void)
{
    load_text("{\n exact\n memboss:double-free\n ...\n}\n"
              "{\n heap glob\n memboss:heap-*\n ...\n}\n"
              "{\n one char\n memboss:seg?\n ...\n}\n"
              "{\n class\n memboss:[bn]u*\n ...\n}\n");
    struct cli_frame a[] = {frame("main", "/bin/prog", NULL, 0)};
    EXPECT("double-free", a, 1, "exact");
    EXPECT("heap-use-after-free", a, 1, "heap glob");
    EXPECT("heap-buffer-overflow", a, 1, "heap glob");
    EXPECT("segv", a, 1, "one char");
    EXPECT("bus-error", a, 1, "class");
    EXPECT("null-dereference", a, 1, "class");
    EXPECT("invalid-free", a, 1, "");
    EXPECT("write-after-free", a, 1, "");
}

static void frame_lines(void)
{
    load_text("{\n dwarf name\n memboss:segv\n fun:ns::parse(char const*)\n}\n"
              "{\n elf name\n memboss:segv\n fun:_ZN2ns5parseEPKc\n}\n"
              "{\n fun glob\n memboss:segv\n fun:read_*\n}\n"
              "{\n obj\n memboss:segv\n obj:*/libz.so.?\n}\n"
              "{\n src basename\n memboss:segv\n src:util.c\n}\n"
              "{\n src path\n memboss:segv\n src:*/lib/io.c\n}\n"
              "{\n src line\n memboss:segv\n src:net.c:40\n}\n"
              "{\n unknown\n memboss:heap-buffer-overflow\n fun:*\n}\n");
    struct cli_stack st;
    struct cli_frame fr[1];
    struct cli_finding f;
#define ONE(fun_, mod_, file_, line_, expect)                                                 \
    fr[0] = frame(fun_, mod_, file_, line_);                                                   \
    EXPECT("segv", fr, 1, expect)
    /* fun: the DWARF name when there is one, the ELF symbol too */
    ONE("_ZN2ns5parseEPKc", "/bin/prog", NULL, 0, "elf name");
    fr[0] = frame("_ZN2ns5parseEPKc", "/bin/prog", NULL, 0);
    fr[0].src_function = (char *)"ns::parse(char const*)";
    f = finding("segv", &st, fr, 1);
    CHECK_SUPP(&f, "dwarf name");
    fr[0].function = (char *)"_ZN2ns5parseEPKc.cold";
    CHECK_SUPP(&f, "dwarf name");
    fr[0].src_function = (char *)"ns::other()";
    fr[0].function = (char *)"_ZN2ns5parseEPKc";
    CHECK_SUPP(&f, "elf name");
    ONE("read_all", "/bin/prog", NULL, 0, "fun glob");
    ONE("do_read_all", "/bin/prog", NULL, 0, "");
    /* obj: the module's path, * crosses '/' */
    ONE(NULL, "/usr/lib/x86_64-linux-gnu/libz.so.1", NULL, 0, "obj");
    ONE(NULL, "/usr/lib/x86_64-linux-gnu/libz.so.1.2", NULL, 0, "");
    ONE(NULL, NULL, NULL, 0, "");
    /* src: basename or path, line when given */
    ONE("f", "/bin/prog", "/home/u/p/util.c", 7, "src basename");
    ONE("f", "/bin/prog", "util.c", 7, "src basename");
    ONE("f", "/bin/prog", "/home/u/p/util.cc", 7, "");
    ONE("f", "/bin/prog", "/home/u/lib/io.c", 3, "src path");
    ONE("f", "/bin/prog", "/home/u/libio.c", 3, "");
    ONE("f", "/bin/prog", "/home/u/net.c", 40, "src line");
    ONE("f", "/bin/prog", "/home/u/net.c", 41, "");
    ONE("f", "/bin/prog", "/home/u/net.c", 0, "");
    ONE("f", "/bin/prog", NULL, 40, "");
#undef ONE
    /* fun:* matches a frame whose function is unknown, as Valgrind's ??? */
    fr[0] = frame(NULL, NULL, NULL, 0);
    EXPECT("heap-buffer-overflow", fr, 1, "unknown");
}

/* Stacks a, b, c, d against entries with and without `...`. */
static void consecutive_frames(void)
{
    load_text("{\n b first\n memboss:segv\n fun:b\n}\n"
              "{\n a c\n memboss:segv\n fun:a\n fun:c\n}\n"
              "{\n five\n memboss:segv\n fun:a\n fun:b\n fun:c\n fun:d\n fun:e\n}\n"
              "{\n a b\n memboss:segv\n fun:a\n fun:b\n}\n");
    struct cli_frame s[] = {frame("a", 0, 0, 0), frame("b", 0, 0, 0), frame("c", 0, 0, 0), frame("d", 0, 0, 0)};
    EXPECT("segv", s, 4, "a b"); /* b is not frame #0; a c skips b; five is longer than the stack */
    EXPECT("segv", s + 1, 3, "b first");
    EXPECT("segv", s, 1, "");
}

static void ellipsis(void)
{
    load_text("{\n start\n memboss:segv\n ...\n fun:c\n}\n"
              "{\n middle\n memboss:heap-buffer-overflow\n fun:a\n ...\n fun:d\n}\n"
              "{\n end\n memboss:double-free\n fun:a\n fun:b\n ...\n}\n"
              "{\n full end\n memboss:invalid-free\n fun:a\n fun:b\n fun:c\n fun:d\n ...\n}\n"
              "{\n twice\n memboss:bus-error\n ...\n fun:b\n ...\n ...\n fun:d\n}\n"
              "{\n only\n memboss:leak\n ...\n}\n");
    struct cli_frame s[] = {frame("a", 0, 0, 0), frame("b", 0, 0, 0), frame("c", 0, 0, 0), frame("d", 0, 0, 0)};
    struct cli_frame ad[] = {frame("a", 0, 0, 0), frame("d", 0, 0, 0)};
    struct cli_frame cd[] = {frame("c", 0, 0, 0), frame("d", 0, 0, 0)};
    struct cli_frame ba[] = {frame("b", 0, 0, 0), frame("a", 0, 0, 0)};
    EXPECT("segv", s, 4, "start");
    EXPECT("segv", cd, 2, "start"); /* ... matches zero frames */
    EXPECT("segv", s, 2, "");
    EXPECT("heap-buffer-overflow", s, 4, "middle");
    EXPECT("heap-buffer-overflow", ad, 2, "middle");
    EXPECT("heap-buffer-overflow", s, 3, ""); /* no d */
    EXPECT("heap-buffer-overflow", s + 1, 3, ""); /* frame #0 is not a */
    EXPECT("double-free", s, 4, "end");
    EXPECT("double-free", s, 2, "end");
    EXPECT("double-free", ba, 2, "");
    EXPECT("invalid-free", s, 4, "full end");
    EXPECT("bus-error", s, 4, "twice");
    EXPECT("bus-error", cd, 2, "");
    /* a finding without a stack: only an entry without frame lines (or only ...) */
    struct cli_finding bare = {.kind = (char *)"leak"};
    CHECK_SUPP(&bare, "only");
    bare.kind = (char *)"segv";
    CHECK_SUPP(&bare, "");
}

/* Only the first stack counts (a leak's: the allocation stack). */
static void first_stack_only(void)
{
    load_text("{\n second\n memboss:heap-use-after-free\n fun:release\n}\n");
    struct cli_frame use[] = {frame("reader", 0, 0, 0)}, rel[] = {frame("release", 0, 0, 0)};
    struct cli_stack st[2] = {{.n = 1, .frames = use}, {.n = 1, .frames = rel}};
    struct cli_finding f = {.kind = (char *)"heap-use-after-free", .nstacks = 2, .stacks = st};
    CHECK_SUPP(&f, "");
    st[0].frames = rel;
    CHECK_SUPP(&f, "second");
}

static void leak_kinds(void)
{
    load_text("{\n definite or possible\n memboss:leak\n match-leak-kinds: definite,possible\n fun:mk\n}\n"
              "{\n none\n memboss:leak\n match-leak-kinds: none\n fun:*\n}\n"
              "{\n all\n memboss:leak\n match-leak-kinds: all\n fun:other\n}\n"
              "{\n not a leak\n memboss:*\n match-leak-kinds: reachable\n fun:copy\n}\n");
    struct cli_stack st;
    struct cli_frame mk[] = {frame("mk", 0, 0, 0)}, other[] = {frame("other", 0, 0, 0)},
                     copy[] = {frame("copy", 0, 0, 0)};
    static const char *const names[] = {"definite", "indirect", "possible", "reachable", ""};
    static const char *const expect_mk[] = {"definite or possible", "", "definite or possible", "", ""};
    static const char *const expect_other[] = {"all", "all", "all", "all", ""};
    for (size_t k = 0; k < 5; k++) {
        struct cli_finding f = finding("leak", &st, mk, 1);
        strcpy(f.leak_kind, names[k]);
        CHECK_SUPP(&f, expect_mk[k]);
        f = finding("leak", &st, other, 1);
        strcpy(f.leak_kind, names[k]);
        CHECK_SUPP(&f, expect_other[k]);
    }
    struct cli_finding f = finding("leak", &st, copy, 1);
    strcpy(f.leak_kind, "reachable");
    CHECK_SUPP(&f, "not a leak");
    strcpy(f.leak_kind, "definite");
    CHECK_SUPP(&f, "");
    EXPECT("heap-buffer-overflow", copy, 1, "not a leak"); /* match-leak-kinds concerns leaks only */
}

/* ---- writing an entry ------------------------------------------------------------------ */

/* not inlined: gcc then takes open_memstream's buffer for the local it was reached by */
__attribute__((noinline)) static char *entry_of(const struct cli_finding *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cli_suppress_write_entry(out, f);
    fclose(out);
    return text;
}

static void entry_text(void)
{
    struct cli_stack st;
    struct cli_frame s[] = {frame("grow", "/bin/prog", "/p/grow.c", 3), frame(NULL, "/usr/lib/libx.so", 0, 0),
                            frame(NULL, NULL, NULL, 0)};
    s[0].src_function = (char *)"grow_buffer";
    struct cli_finding f = finding("leak", &st, s, 3);
    strcpy(f.leak_kind, "indirect");
    char *text = entry_of(&f);
    const char *want = "{\n"
                       "   <insert_a_suppression_name_here>\n"
                       "   memboss:leak\n"
                       "   match-leak-kinds: indirect\n"
                       "   fun:grow_buffer\n"
                       "   obj:/usr/lib/libx.so\n"
                       "   obj:*\n"
                       "}\n";
    CHECKF(!strcmp(text, want), "entry:\n%s", text);
    free(text);
}

/* Loads the entry written for each finding: it suppresses that finding and not one that
 * differs in its kind, leak kind or a frame. */
static void round_trip(void)
{
    struct cli_frame s[] = {
        frame("_ZN4gridixEm", "/opt/my app/bin/prog", "/p/grid.cc", 10),
        frame("_ZNK4grid4nameB5cxx11Ev", "/opt/my app/bin/prog", NULL, 0),
        frame(NULL, "/opt/lib/lib[1]*?.so", NULL, 0),
        frame("operator*", NULL, NULL, 0),
        frame("back\\slash", NULL, NULL, 0),
        frame(NULL, NULL, NULL, 0),
        frame("main", "/opt/my app/bin/prog", NULL, 0),
    };
    s[0].src_function = (char *)"grid::operator[](unsigned long)";
    s[1].src_function = (char *)"grid::name[abi:cxx11]() const";
    const size_t n = sizeof s / sizeof *s;
    struct cli_stack st;
    struct cli_finding f = finding("heap-buffer-overflow", &st, s, n);
    char *text = entry_of(&f);
    load_text(text);
    CHECK_SUPP(&f, "<insert_a_suppression_name_here>");
    free(text);
    /* each frame line is specific: change one frame and the entry no longer matches */
    for (size_t j = 0; j < n; j++) {
        if (!s[j].function && !s[j].module) continue; /* obj:* matches any frame */
        struct cli_frame saved = s[j];
        s[j] = frame("something_else", "/elsewhere.so", NULL, 0);
        CHECKF(!strcmp(suppressor(&f), ""), "frame %zu changed, still suppressed", j);
        s[j] = saved;
    }
    CHECK_SUPP(&f, "<insert_a_suppression_name_here>");
    struct cli_finding g = finding("heap-buffer-underflow", &st, s, n);
    CHECK_SUPP(&g, "");
    g = finding("heap-buffer-overflow", &st, s, n - 1); /* a shorter stack */
    CHECK_SUPP(&g, "");

    /* a leak: its leak kind is part of the entry */
    struct cli_finding leak = finding("leak", &st, s, 2);
    strcpy(leak.leak_kind, "possible");
    text = entry_of(&leak);
    const char *placeholder = "<insert_a_suppression_name_here>";
    char *at = strstr(text, placeholder);
    CHECK(at != NULL);
    char *named = at ? cli_format("%.*sa named entry%s", (int)(at - text), text, at + strlen(placeholder))
                     : cli_strdup(text);
    load_text(named);
    CHECK_SUPP(&leak, "a named entry");
    strcpy(leak.leak_kind, "definite");
    CHECK_SUPP(&leak, "");
    free(named);
    free(text);
    /* a leak kind memboss does not know: no match-leak-kinds line, so the entry loads */
    strcpy(leak.leak_kind, "other");
    text = entry_of(&leak);
    CHECKF(!strstr(text, "match-leak-kinds"), "%s", text);
    load_text(text);
    CHECK_SUPP(&leak, "<insert_a_suppression_name_here>");
    free(text);

    /* a finding without a stack */
    struct cli_finding bare = {.kind = (char *)"segv"};
    text = entry_of(&bare);
    CHECKF(strstr(text, "# ") == text, "%s", text);
    load_text(text);
    CHECK_SUPP(&bare, "<insert_a_suppression_name_here>");
    free(text);
}

int main(void)
{
    run_group("good file", good_file);
    run_group("several files", several_files);
    bad_file_errors();
    missing_file();
    run_group("kinds", kinds);
    run_group("frame lines", frame_lines);
    run_group("consecutive frames", consecutive_frames);
    run_group("ellipsis", ellipsis);
    run_group("first stack only", first_stack_only);
    run_group("leak kinds", leak_kinds);
    run_group("entry text", entry_text);
    run_group("round trip", round_trip);
    return check_done("suppress");
}
