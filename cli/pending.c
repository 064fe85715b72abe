/* TEMPORARY: stand-ins for functions of finding.h that other files of cli/ will define
 * (symbolize.c, disasm.c, suppress.c, render_json.c, render_sarif.c, render_html.c). Each is
 * weak, so the real definition wins as soon as it is linked; each entry is deleted when its
 * file lands, and this file with the last. They do nothing, or fail when asked to write. */
#include "cli.h"
#include "finding.h"

#include <stdio.h>

__attribute__((weak)) void cli_symbolize_findings(struct cli_findings *all) { (void)all; }

__attribute__((weak)) char *cli_source_line(const char *file, int line)
{
    (void)file, (void)line;
    return NULL;
}

__attribute__((weak)) void cli_disasm_finding(struct cli_finding *f, int att) { (void)f, (void)att; }

__attribute__((weak)) void cli_suppress_load(const char *path)
{
    cli_die(CLI_EXIT_USAGE, "cannot read suppressions from %s: not supported in this build", path);
}

__attribute__((weak)) void cli_suppress_apply(struct cli_findings *all) { (void)all; }

__attribute__((weak)) void cli_suppress_write_entry(FILE *out, const struct cli_finding *f)
{
    (void)out, (void)f;
}

static int cli_pending_unsupported(const char *what, const char *path)
{
    fprintf(stderr, "memboss: cannot write %s to %s: not supported in this build\n", what, path);
    return -1;
}

__attribute__((weak)) int cli_render_json(const char *path, const struct cli_findings *all)
{
    (void)all;
    return cli_pending_unsupported("JSON", path);
}

__attribute__((weak)) int cli_render_sarif(const char *path, const struct cli_findings *all)
{
    (void)all;
    return cli_pending_unsupported("SARIF", path);
}

__attribute__((weak)) int cli_render_html(const char *path, const struct cli_findings *all)
{
    (void)all;
    return cli_pending_unsupported("HTML", path);
}
