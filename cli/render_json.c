/* memboss command — --json=FILE: every finding of the run as one JSON document
 * (docs/formats.md, schema docs/findings.schema.json). Reads the model only. */
#include "finding.h"
#include "json_out.h"

/* The document's own version: raised when a field changes meaning or goes away. */
#define CLI_JSON_VERSION 1

static void frame(struct cli_json *j, const struct cli_frame *fr)
{
    cli_json_object(j, NULL);
    cli_json_addr(j, "pc", fr->pc);
    cli_json_bool(j, "is_return", fr->is_return);
    cli_json_str(j, "module", fr->module);
    cli_json_addr(j, "module_offset", fr->module_off);
    cli_json_str(j, "build_id", fr->build_id);
    cli_json_str(j, "symbol", fr->function);
    if (fr->function) cli_json_addr(j, "function_offset", fr->function_off);
    else cli_json_null(j, "function_offset");
    cli_json_str(j, "function", fr->src_function ? fr->src_function : fr->function);
    cli_json_str(j, "file", fr->file);
    cli_json_int(j, "line", fr->line);
    cli_json_int(j, "column", fr->column);
    cli_json_end(j, '}');
}

static void stacks(struct cli_json *j, const struct cli_finding *f)
{
    cli_json_array(j, "stacks");
    for (size_t s = 0; s < f->nstacks; s++) {
        const struct cli_stack *st = &f->stacks[s];
        cli_json_object(j, NULL);
        cli_json_str(j, "title", st->title);
        cli_json_int(j, "thread", st->tid);
        cli_json_array(j, "frames");
        for (size_t i = 0; i < st->n; i++) frame(j, &st->frames[i]);
        cli_json_end(j, ']');
        cli_json_end(j, '}');
    }
    cli_json_end(j, ']');
}

static void instruction(struct cli_json *j, const struct cli_insn *in)
{
    if (in->nbytes == 0) {
        cli_json_null(j, "instruction");
        return;
    }
    char hex[3 * sizeof in->bytes + 1];
    cli_insn_hex(in, hex);
    cli_json_object(j, "instruction");
    cli_json_addr(j, "pc", in->pc);
    cli_json_str(j, "bytes", hex);
    cli_json_str(j, "text", in->text);
    cli_json_int(j, "access_size", in->access_size);
    cli_json_bool(j, "write", in->is_write);
    cli_json_str(j, "explanation", in->explanation);
    cli_json_end(j, '}');
}

static void finding(struct cli_json *j, const struct cli_finding *f)
{
    cli_json_object(j, NULL);
    cli_json_str(j, "kind", f->kind);
    cli_json_str(j, "severity", f->is_error ? "error" : "info");
    cli_json_int(j, "pid", f->pid);
    cli_json_bool(j, "complete", f->complete);
    if (f->has_access) {
        cli_json_object(j, "access");
        cli_json_addr(j, "address", f->access_addr);
        cli_json_int(j, "thread", f->access_tid);
        cli_json_str(j, "how", f->access_how[0] ? f->access_how : NULL);
        cli_json_end(j, '}');
    } else {
        cli_json_null(j, "access");
    }
    if (f->has_block) {
        cli_json_object(j, "block");
        cli_json_addr(j, "address", f->block_addr);
        cli_json_int(j, "size", (long long)f->block_size);
        cli_json_bool(j, "freed", f->block_freed);
        cli_json_end(j, '}');
    } else {
        cli_json_null(j, "block");
    }
    if (f->leak_kind[0]) {
        cli_json_object(j, "leak");
        cli_json_int(j, "bytes", (long long)f->leak_bytes);
        cli_json_int(j, "blocks", (long long)f->leak_blocks);
        cli_json_str(j, "kind", f->leak_kind);
        cli_json_end(j, '}');
    } else {
        cli_json_null(j, "leak");
    }
    cli_json_array(j, "message");
    for (size_t i = 0; i < f->nitems; i++)
        if (f->items[i].stack < 0) cli_json_str(j, NULL, f->items[i].text);
    cli_json_end(j, ']');
    stacks(j, f);
    cli_json_array(j, "registers");
    for (size_t i = 0; i < f->nregs; i++) {
        cli_json_object(j, NULL);
        cli_json_str(j, "name", f->regs[i].name);
        cli_json_addr(j, "value", f->regs[i].value);
        cli_json_str(j, "mark", cli_reg_mark_name(f->regs[i].mark));
        cli_json_end(j, '}');
    }
    cli_json_end(j, ']');
    instruction(j, &f->insn);
    cli_json_array(j, "map");
    for (size_t i = 0; i < f->nregions; i++) {
        const struct cli_region *r = &f->regions[i];
        cli_json_object(j, NULL);
        cli_json_addr(j, "lo", r->lo);
        cli_json_addr(j, "hi", r->hi);
        cli_json_str(j, "perms", r->perms);
        cli_json_addr(j, "offset", r->offset);
        cli_json_str(j, "kind", r->kind);
        cli_json_str(j, "path", r->path);
        cli_json_str(j, "label", r->label);
        cli_json_bool(j, "has_address", r->has_addr);
        cli_json_end(j, '}');
    }
    cli_json_end(j, ']');
    cli_json_str(j, "suppressed_by", f->suppressed_by);
    cli_json_end(j, '}');
}

int cli_render_json(const char *path, const struct cli_findings *all)
{
    FILE *out = cli_render_open(path, "JSON");
    if (!out) return -1;
    struct cli_json j;
    cli_json_init(&j, out);
    cli_json_object(&j, NULL);
    cli_json_int(&j, "version", CLI_JSON_VERSION);
    cli_json_object(&j, "tool");
    cli_json_str(&j, "name", "memboss");
    cli_json_str(&j, "version", MB_VERSION);
    cli_json_end(&j, '}');
    cli_json_int(&j, "processes", (long long)all->processes);
    cli_json_array(&j, "findings");
    for (size_t i = 0; i < all->n; i++) finding(&j, &all->v[i]);
    cli_json_end(&j, ']');
    cli_json_end(&j, '}');
    cli_json_finish(&j);
    return cli_render_close(out, path);
}
