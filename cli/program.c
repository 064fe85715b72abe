/* Finding the program as execvp does, and refusing, before anything runs, a program the
 * runtime cannot be preloaded into: it would run unchecked and look clean. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CLI_DEFAULT_PATH "/bin:/usr/bin" /* what glibc's execvp searches when PATH is unset */
#define CLI_SHEBANG_MAX 256              /* bytes of a #! line the kernel reads            */
#define CLI_MAX_INTERPRETERS 4           /* levels of #! the kernel follows                */

/* Dies saying why the program cannot be run checked. */
#define CLI_REFUSE(...) cli_die(CLI_EXIT_CANNOT_RUN, __VA_ARGS__)

/* 0 when path is a regular file we may execute, else why not as an errno value. */
static int cli_executable(const char *path)
{
    struct stat st;
    if (stat(path, &st)) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS)) return errno;
    return S_ISREG(st.st_mode) ? 0 : EACCES;
}

static int cli_not_found(int err) { return err == ENOENT || err == ENOTDIR; }

/* Like execvp: every PATH entry in turn (an empty one is the current directory); one that
 * exists but cannot be executed is skipped, and makes the final error 126, not 127. */
static char *cli_search_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path) path = CLI_DEFAULT_PATH;
    int denied = 0;
    for (const char *dir = path;; dir++) {
        size_t len = strcspn(dir, ":");
        char *cand = len ? cli_format("%.*s/%s", (int)len, dir, name) : cli_format("./%s", name);
        int err = cli_executable(cand);
        if (!err) return cand;
        denied |= !cli_not_found(err);
        free(cand);
        dir += len;
        if (!*dir) break;
    }
    if (denied) cli_die(CLI_EXIT_CANNOT_RUN, "%s: Permission denied", name);
    cli_die(CLI_EXIT_NOT_FOUND, "%s: command not found", name);
}

char *cli_program_resolve(const char *name)
{
    if (!*name) cli_die(CLI_EXIT_NOT_FOUND, "'': command not found");
    if (!strchr(name, '/')) return cli_search_path(name);
    int err = cli_executable(name);
    if (err)
        cli_die(cli_not_found(err) ? CLI_EXIT_NOT_FOUND : CLI_EXIT_CANNOT_RUN, "%s: %s", name,
                strerror(err));
    return cli_strdup(name);
}

/* The interpreter that runs a file that is not ELF: the one named on its #! line, or, for
 * a file without one (or with an empty one), /bin/sh, as execvp does on ENOEXEC. */
static char *cli_script_interpreter(int fd)
{
    char line[CLI_SHEBANG_MAX + 1];
    ssize_t n = pread(fd, line, CLI_SHEBANG_MAX, 0);
    if (n < 2 || line[0] != '#' || line[1] != '!') return cli_strdup("/bin/sh");
    line[n] = '\0';
    char *interp = line + 2 + strspn(line + 2, " \t");
    interp[strcspn(interp, " \t\n")] = '\0';
    return cli_strdup(*interp ? interp : "/bin/sh");
}

/* Why the loader would run the file open as fd in secure mode, where it ignores
 * LD_PRELOAD; NULL if it would not. Secure mode is when exec gives the process another
 * user or group than ours (set-ID bits), or, for a user other than root, capabilities. */
static const char *cli_secure_exec_reason(int fd)
{
    struct stat st;
    struct statvfs vfs;
    if (fstat(fd, &st) || fstatvfs(fd, &vfs) || (vfs.f_flag & ST_NOSUID))
        return NULL; /* on a nosuid mount the kernel ignores set-ID bits and capabilities */
    if ((st.st_mode & S_ISUID) && st.st_uid != getuid()) return "set-user-ID";
    /* Set-group-ID without group execute permission means mandatory locking instead. */
    if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && st.st_gid != getgid())
        return "set-group-ID";
    if (getuid() != 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0)
        return "given file capabilities";
    return NULL;
}

/* The static library beside the runtime, to suggest linking it in; its name if absent. */
static char *cli_static_library(const char *runtime)
{
    char *copy = cli_strdup(runtime);
    char *lib = cli_format("%s/libmemboss.a", dirname(copy));
    free(copy);
    if (!access(lib, R_OK)) return lib;
    free(lib);
    return cli_strdup("libmemboss.a");
}

/* Refuses the ELF program `what` (open as fd) unless the runtime can be preloaded into it:
 * an x86-64 program, run by the dynamic loader, linked with glibc, not run in secure mode. */
static void cli_check_elf(int fd, const char *what, const struct cli_elf_info *info,
                          const char *runtime)
{
    const char *unchecked = "so it would run unchecked";
    if (!info->is_64bit)
        CLI_REFUSE("%s is a 32-bit program: the runtime is x86-64 only, %s.", what, unchecked);
    if (!info->is_x86_64)
        CLI_REFUSE("%s is built for another architecture: the runtime is x86-64 only, %s.", what,
                   unchecked);
    if (!info->is_program)
        CLI_REFUSE("%s is an ELF file but not a program (an object file or a core dump?).", what);
    /* Neither loader nor TLS: nothing of a C library (linked with ld alone, or -nostdlib). */
    if (!info->has_interp && !info->has_dynamic && !info->has_tls)
        CLI_REFUSE("%s does not use the C library (no program interpreter, no thread-local "
                   "storage: linked with ld alone?). memboss checks the heap of programs that "
                   "allocate with the C library's malloc, which it replaces: link the program "
                   "with gcc (e.g. gcc -no-pie prog.o -o prog) and allocate with `call malloc` "
                   "and `call free`. A program that never calls malloc has no heap to check.",
                   what);
    if (!info->has_interp)
        CLI_REFUSE("%s is statically linked (no program interpreter): the runtime cannot be "
                   "preloaded into it, %s. Link it dynamically (e.g. gcc prog.o -o prog, "
                   "without -static) or link %s into it.",
                   what, unchecked, cli_static_library(runtime));
    if (!info->needs_libc)
        CLI_REFUSE("%s does not link the C library (no libc.so.6 among its dependencies), so it "
                   "does not use the malloc memboss replaces: there is nothing to check.",
                   what);
    const char *secure = cli_secure_exec_reason(fd);
    if (secure)
        CLI_REFUSE("%s is %s: the loader ignores LD_PRELOAD for it, %s.", what, secure, unchecked);
}

void cli_program_check(const char *path, const char *runtime)
{
    char *target = cli_strdup(path), *what = cli_strdup(path);
    for (int depth = 0;; depth++) {
        int fd = open(target, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            CLI_REFUSE("cannot read %s to check that the runtime can be preloaded into it: %s.",
                       what, strerror(errno));
        struct cli_elf_info info;
        if (cli_elf_read(fd, &info)) CLI_REFUSE("%s is a corrupt or truncated ELF file.", what);
        if (info.is_elf) {
            cli_check_elf(fd, what, &info, runtime);
            close(fd);
            break;
        }
        char *interp = cli_script_interpreter(fd);
        close(fd);
        if (depth == CLI_MAX_INTERPRETERS)
            CLI_REFUSE("%s: too many levels of script interpreters.", path);
        int err = cli_executable(interp);
        if (err) CLI_REFUSE("%s: bad interpreter %s: %s.", path, interp, strerror(err));
        free(what);
        what = cli_format("%s (the interpreter of %s)", interp, path);
        free(target);
        target = interp;
    }
    free(target);
    free(what);
}
