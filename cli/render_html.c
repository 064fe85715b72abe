/* memboss command — --html=FILE: one self-contained page (inline CSS and script, nothing
 * fetched) with every finding: its lines, stacks, source line, instruction, registers and
 * the memory map drawn as boxes, high addresses at the top (docs/formats.md). Reads the
 * model only. Every text from the process is escaped, and invalid UTF-8 replaced. */
#include "cli.h"
#include "finding.h"
#include "json_out.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void esc(FILE *out, const char *s)
{
    if (!s) return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = cli_utf8_len(p);
        if (n == 0) {
            fputs("\xef\xbf\xbd", out); /* U+FFFD for each byte that is not UTF-8 */
            p++;
        } else if (n > 1) {
            fwrite(p, 1, (size_t)n, out);
            p += n;
        } else {
            unsigned char c = *p++;
            switch (c) {
            case '&': fputs("&amp;", out); break;
            case '<': fputs("&lt;", out); break;
            case '>': fputs("&gt;", out); break;
            case '"': fputs("&quot;", out); break;
            case '\'': fputs("&#39;", out); break;
            default:
                /* control characters are shown, not passed to the page */
                if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) fprintf(out, "\\x%02x", c);
                else fputc(c, out);
            }
        }
    }
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}"
    "header{background:#263238;color:#eee;padding:12px 20px}header h1{margin:0;font-size:20px}"
    "header label,header select{margin-right:12px}main{padding:12px 20px}"
    ".finding{background:#fff;border:1px solid #ccc;border-left:6px solid #c62828;margin:0 0 14px;"
    "border-radius:4px}.finding.info{border-left-color:#1565c0}.finding.suppressed{opacity:.6}"
    ".finding h2{margin:0;padding:8px 12px;font-size:16px;cursor:pointer;background:#fafafa}"
    ".finding h2 .meta{font-weight:normal;color:#666;font-size:13px;margin-left:10px}"
    ".finding.closed .body{display:none}.body{padding:8px 12px}"
    ".line{font-family:monospace;white-space:pre-wrap}"
    ".stack{margin:8px 0}.stack h3{font-size:13px;margin:4px 0;font-family:monospace}"
    "table{border-collapse:collapse;font-family:monospace;font-size:12px}"
    "td,th{padding:1px 8px;text-align:left;vertical-align:top}tr:nth-child(even){background:#f3f3f3}"
    ".src{font-family:monospace;background:#fff8e1;padding:4px 8px;white-space:pre;margin:2px 0 0 40px}"
    ".insn{font-family:monospace;background:#eef;padding:6px 8px;margin:8px 0}"
    ".regs td.mark{color:#888}.regs tr.m-heap td,.regs tr.m-freed td{color:#2e7d32;font-weight:bold}"
    ".regs tr.m-null td,.regs tr.m-fill-fresh td,.regs tr.m-fill-freed td{color:#c62828;font-weight:bold}"
    ".map{display:flex;flex-direction:column;width:640px;margin:10px 0;font-family:monospace;font-size:12px}"
    ".reg{position:relative;border:1px solid #777;margin-top:-1px;padding:2px 6px;overflow:visible;"
    "background:#eceff1}.reg .rng{float:right;color:#555}"
    ".reg.k-text{background:#c8e6c9}.reg.k-rodata{background:#dcedc8}.reg.k-data{background:#fff9c4}"
    ".reg.k-heap{background:#ffe0b2}.reg.k-stack{background:#bbdefb}.reg.k-guard{background:repeating-"
    "linear-gradient(45deg,#eee 0 6px,#bbb 6px 12px)}.reg.hit{outline:3px solid #c62828;z-index:1}"
    ".gap{height:10px;text-align:center;color:#999;line-height:10px}"
    ".at{position:absolute;left:-4px;right:-4px;border-top:2px dashed #c62828}"
    ".at span{position:absolute;left:100%;top:-9px;margin-left:6px;color:#c62828;white-space:nowrap}"
    ".grow{color:#555;font-style:italic;margin-left:8px}.end{color:#777;font-size:11px;margin:2px 0}"
    "h4{margin:10px 0 4px;font-size:13px}";

/* Collapse on a click on the title; filters by kind and by suppression. The last line
 * marks the page as ready: a check that the script ran to its end. */
static const char script[] =
    "(function(){\n"
    "var all=document.querySelectorAll('.finding');\n"
    "var kind=document.getElementById('kind'),sup=document.getElementById('sup');\n"
    "function apply(){for(var i=0;i<all.length;i++){var f=all[i];\n"
    "var show=(kind.value===''||f.dataset.kind===kind.value)&&(sup.checked||!f.classList.contains('suppressed'));\n"
    "f.style.display=show?'':'none';}}\n"
    "for(var i=0;i<all.length;i++){all[i].querySelector('h2').addEventListener('click',function(e){\n"
    "e.currentTarget.parentNode.classList.toggle('closed');});}\n"
    "kind.addEventListener('change',apply);sup.addEventListener('change',apply);apply();\n"
    "document.body.setAttribute('data-ready','yes');\n"
    "})();\n";

static void frame_row(FILE *out, size_t i, const struct cli_frame *fr)
{
    fprintf(out, "<tr><td>#%zu</td><td>0x%" PRIx64 "</td><td>", i, fr->pc);
    if (fr->src_function) esc(out, fr->src_function);
    else if (fr->function) {
        esc(out, fr->function);
        fprintf(out, "+0x%" PRIx64, fr->function_off);
    }
    fputs("</td><td>", out);
    if (fr->file) {
        esc(out, fr->file);
        if (fr->line > 0) fprintf(out, ":%d", fr->line);
        if (fr->column > 0) fprintf(out, ":%d", fr->column);
    }
    fputs("</td><td>", out);
    if (fr->module) {
        esc(out, fr->module);
        fprintf(out, "+0x%" PRIx64, fr->module_off);
    }
    fputs("</td></tr>\n", out);
}

static void stack(FILE *out, const struct cli_stack *st)
{
    fputs("<div class=\"stack\"><h3>", out);
    esc(out, st->title);
    fputs("</h3><table>\n", out);
    for (size_t i = 0; i < st->n; i++) frame_row(out, i, &st->frames[i]);
    fputs("</table>", out);
    /* the source line of the first frame whose file can be read */
    const struct cli_frame *src = NULL;
    char *line = NULL;
    for (size_t i = 0; i < st->n && !line; i++) {
        src = &st->frames[i];
        if (src->file && src->line > 0) line = cli_source_line(src->file, src->line);
    }
    if (line) {
        fprintf(out, "<div class=\"src\">%d | ", src->line);
        esc(out, line);
        fputs("</div>", out);
        free(line);
    }
    fputs("</div>\n", out);
}

static void insn(FILE *out, const struct cli_insn *in)
{
    if (in->nbytes == 0) return;
    char hex[3 * sizeof in->bytes + 1];
    cli_insn_hex(in, hex);
    fprintf(out, "<div class=\"insn\">0x%" PRIx64 ": %s &nbsp; ", in->pc, hex);
    esc(out, in->text ? in->text : "(not decoded)");
    if (in->explanation) {
        fputs("<br>", out);
        esc(out, in->explanation);
    }
    fputs("</div>\n", out);
}

static void registers(FILE *out, const struct cli_finding *f)
{
    if (f->nregs == 0) return;
    fputs("<h4>registers</h4><table class=\"regs\">\n", out);
    for (size_t i = 0; i < f->nregs; i++) {
        const char *m = cli_reg_mark_name(f->regs[i].mark);
        fprintf(out, "<tr class=\"m-%s\"><td>", m);
        esc(out, f->regs[i].name);
        fprintf(out, "</td><td>0x%016" PRIx64 "</td><td class=\"mark\">%s</td></tr>\n", f->regs[i].value,
                f->regs[i].mark == CLI_REG_PLAIN ? "" : m);
    }
    fputs("</table>\n", out);
}

/* The class that colors a region: from the runtime's kind, else its permissions. */
static const char *region_class(const struct cli_region *r)
{
    const char *k = r->kind ? r->kind : "", *l = r->label ? r->label : "";
    if (strstr(k, "guard") || strstr(l, "guard")) return "guard";
    if (strstr(k, "stack") || strstr(l, "stack")) return "stack";
    if (strstr(k, "heap") || strstr(l, "heap")) return "heap";
    if (r->perms[2] == 'x') return "text";
    if (r->perms[1] == 'w') return "data";
    if (r->perms[0] == 'r') return "rodata";
    return "guard";
}

static int region_cmp(const void *a, const void *b)
{
    const struct cli_region *x = *(const struct cli_region *const *)a, *y = *(const struct cli_region *const *)b;
    return x->lo < y->lo ? 1 : x->lo > y->lo ? -1 : 0;
}

/* The map as boxes from the highest address down: the stack at the top growing down, the
 * heap growing up, the program's sections at the bottom; the address marked in its box. */
static void map(FILE *out, const struct cli_finding *f)
{
    if (f->nregions == 0) return;
    const struct cli_region **v = malloc(f->nregions * sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < f->nregions; i++) v[i] = &f->regions[i];
    qsort(v, f->nregions, sizeof *v, region_cmp);
    uint64_t addr = f->has_access ? f->access_addr : f->block_addr;
    int marked = f->has_access || f->has_block;
    fputs("<h4>memory map</h4><div class=\"map\"><div class=\"end\">high addresses</div>\n", out);
    for (size_t i = 0; i < f->nregions; i++) {
        const struct cli_region *r = v[i];
        if (i && v[i - 1]->lo > r->hi) fputs("<div class=\"gap\">&#8942;</div>\n", out);
        uint64_t size = r->hi > r->lo ? r->hi - r->lo : 1;
        int h = 20; /* a box grows with the logarithm of the region's size */
        for (uint64_t s = size >> 12; s > 1 && h < 80; s >>= 1) h += 4;
        const char *cls = region_class(r);
        fprintf(out, "<div class=\"reg k-%s%s\" style=\"height:%dpx\">", cls, r->has_addr ? " hit" : "", h);
        esc(out, r->label ? r->label : r->path ? r->path : "mapping");
        if (!strcmp(cls, "stack")) fputs("<span class=\"grow\">&#8595; grows down</span>", out);
        if (!strcmp(cls, "heap")) fputs("<span class=\"grow\">&#8593; grows up</span>", out);
        fprintf(out, "<span class=\"rng\">0x%" PRIx64 "-0x%" PRIx64 " ", r->lo, r->hi);
        esc(out, r->perms);
        fputs("</span>", out);
        if (r->has_addr && marked && addr >= r->lo && addr < r->hi) {
            /* the address's place in the box; the top is the highest address */
            double pos = 100.0 * (double)(r->hi - 1 - addr) / (double)size;
            fprintf(out, "<div class=\"at\" style=\"top:%.1f%%\"><span>&#9664; 0x%" PRIx64 "</span></div>", pos,
                    addr);
        }
        fputs("</div>\n", out);
    }
    fputs("<div class=\"end\">low addresses</div></div>\n", out);
    free(v);
}

static void finding(FILE *out, size_t idx, const struct cli_finding *f)
{
    fprintf(out, "<section class=\"finding %s%s\" id=\"finding-%zu\" data-kind=\"", f->is_error ? "error" : "info",
            f->suppressed_by ? " suppressed" : "", idx + 1);
    esc(out, f->kind);
    fputs("\">\n<h2>", out);
    esc(out, f->kind);
    fprintf(out, "<span class=\"meta\">%s, process %d%s", f->is_error ? "error" : "info", f->pid,
            f->complete ? "" : ", report cut short");
    if (f->leak_kind[0])
        fprintf(out, ", %" PRIu64 " bytes in %" PRIu64 " blocks, %s", f->leak_bytes, f->leak_blocks, f->leak_kind);
    if (f->suppressed_by) {
        fputs(", suppressed by ", out);
        esc(out, f->suppressed_by);
    }
    fputs("</span></h2>\n<div class=\"body\">\n", out);
    for (size_t i = 0; i < f->nitems; i++) {
        const struct cli_item *it = &f->items[i];
        if (it->stack >= 0 && (size_t)it->stack < f->nstacks) {
            stack(out, &f->stacks[it->stack]);
        } else if (it->stack < 0) {
            fputs("<div class=\"line\">", out);
            esc(out, it->text);
            fputs("</div>\n", out);
        }
    }
    insn(out, &f->insn);
    registers(out, f);
    map(out, f);
    fputs("</div>\n</section>\n", out);
}

int cli_render_html(const char *path, const struct cli_findings *all)
{
    FILE *out = cli_render_open(path, "HTML");
    if (!out) return -1;
    size_t errors = 0, suppressed = 0;
    for (size_t i = 0; i < all->n; i++) {
        if (all->v[i].suppressed_by) suppressed++;
        else if (all->v[i].is_error) errors++;
    }
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta name=\"generator\" content=\"memboss %s\">\n<title>memboss: %zu findings</title>\n"
                 "<style>%s</style></head>\n<body>\n<header><h1>memboss %s</h1>\n"
                 "<p>%zu findings (%zu errors, %zu suppressed) in %llu processes</p>\n",
            MB_VERSION, all->n, css, MB_VERSION, all->n, errors, suppressed, all->processes);
    fputs("<label>kind <select id=\"kind\"><option value=\"\">all</option>", out);
    for (size_t i = 0; i < all->n; i++) {
        size_t k = 0;
        while (k < i && strcmp(all->v[k].kind, all->v[i].kind) != 0) k++;
        if (k < i) continue; /* one option per kind */
        fputs("<option>", out);
        esc(out, all->v[i].kind);
        fputs("</option>", out);
    }
    fputs("</select></label><label><input type=\"checkbox\" id=\"sup\"> show suppressed</label></header>\n<main>\n",
          out);
    for (size_t i = 0; i < all->n; i++) finding(out, i, &all->v[i]);
    if (all->n == 0) fputs("<p>No findings.</p>\n", out);
    fprintf(out, "</main>\n<script>\n%s</script>\n</body></html>\n", script);
    return cli_render_close(out, path);
}
