/* The leak report: loss records (the blocks of one kind from one allocation stack),
 * definitely lost first, then indirectly, possibly lost and still reachable, largest first
 * within each kind, numbered "loss record N of M"; then one summary line of every kind.
 * show_leak_kinds chooses the records shown; errors_for_leak_kinds the kinds that count
 * as findings, and so make the exit status non-zero. */
#include "leak.h"

#include <string.h>

static const char *const kind_words[MB_LEAK_KINDS] = {"definitely lost", "indirectly lost",
                                                      "possibly lost", "still reachable"};
static const char *const kind_names[MB_LEAK_KINDS] = {"definite", "indirect", "possible", "reachable"};

struct loss_record {
    uint64_t bytes, blocks;
    uint64_t owned;         /* definitely lost: the bytes indirectly lost through them */
    uint32_t stack;
    int32_t tid;
    uint8_t kind;
};
_Static_assert(sizeof(struct loss_record) <= MB_LEAK_RECORD_SIZE, "room given per record");

/* "definite,possible", "all" or "none" -> a mask of kinds; unknown words are ignored. */
static unsigned parse_kinds(const char *s)
{
    unsigned mask = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 3 && !memcmp(s, "all", 3)) mask = (1u << MB_LEAK_KINDS) - 1;
        for (unsigned k = 0; k < MB_LEAK_KINDS; k++)
            if (n == strlen(kind_names[k]) && !memcmp(s, kind_names[k], n)) mask |= 1u << k;
        s += n + (s[n] == ',');
    }
    return mask;
}

void mb__leak_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    uint8_t *v = base, tmp[64];
    mb__assert(size <= sizeof tmp);
#define AT(k) (v + (k) * size)
#define SWAP(a, b) (memcpy(tmp, AT(a), size), memcpy(AT(a), AT(b), size), memcpy(AT(b), tmp, size))
    for (size_t end = n, start = n / 2;;) { /* heap sort */
        size_t r;
        if (start > 0) {
            r = --start;
        } else {
            if (end <= 1) break;
            end--;
            SWAP(0, end);
            r = 0;
        }
        for (;;) {
            size_t c = 2 * r + 1;
            if (c >= end) break;
            if (c + 1 < end && cmp(AT(c), AT(c + 1)) < 0) c++;
            if (cmp(AT(r), AT(c)) >= 0) break;
            SWAP(r, c);
            r = c;
        }
    }
#undef AT
#undef SWAP
}

/* Blocks of one kind together, then by allocation stack. */
static int by_kind_stack(const void *x, const void *y)
{
    const struct mb_leak_block *a = x, *b = y;
    if (a->state != b->state) return a->state < b->state ? -1 : 1;
    return a->stack < b->stack ? -1 : a->stack > b->stack;
}

/* The order of the report: earlier kinds first, then more bytes (with those lost through
 * them) first. */
static int by_report_order(const void *x, const void *y)
{
    const struct loss_record *a = x, *b = y;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    uint64_t ta = a->bytes + a->owned, tb = b->bytes + b->owned;
    return ta > tb ? -1 : ta < tb;
}

static const char *blocks_word(uint64_t n) { return n == 1 ? "block" : "blocks"; }

size_t mb__leak_report(struct mb_leak_block *blocks, size_t n, void *room, int level)
{
    unsigned show = parse_kinds(mb__opt.show_leak_kinds);
    unsigned errors = parse_kinds(mb__opt.errors_for_leak_kinds);
    uint64_t bytes[MB_LEAK_KINDS] = {0}, count[MB_LEAK_KINDS] = {0};

    mb__leak_sort(blocks, n, sizeof *blocks, by_kind_stack);
    struct loss_record *rec = room;
    size_t nrec = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mb_leak_block *b = &blocks[i];
        bytes[b->state] += b->size;
        count[b->state]++;
        if (!(show & 1u << b->state)) continue;
        if (!nrec || rec[nrec - 1].kind != b->state || rec[nrec - 1].stack != b->stack)
            rec[nrec++] = (struct loss_record){0, 0, 0, b->stack, b->tid, b->state};
        rec[nrec - 1].bytes += b->size;
        rec[nrec - 1].owned += b->owned;
        rec[nrec - 1].blocks++;
    }
    mb__leak_sort(rec, nrec, sizeof *rec, by_report_order);
    int counted_shown = 0; /* a record of an error kind was reported */
    for (size_t k = 0; level >= 2 && k < nrec; k++) {
        const struct loss_record *r = &rec[k];
        int counted = errors & 1u << r->kind;
        counted_shown |= counted;
        if (!(counted ? mb__report_begin : mb__report_begin_info)(MB_FINDING_LEAK)) continue;
        char amount[96]; /* Valgrind's "72 (24 direct, 48 indirect) bytes" */
        struct mb_buf a;
        mb__buf_init(&a, amount, sizeof amount);
        if (r->owned)
            mb__buf_printf(&a, "%lu (%lu direct, %lu indirect)", (unsigned long)(r->bytes + r->owned),
                           (unsigned long)r->bytes, (unsigned long)r->owned);
        else
            mb__buf_printf(&a, "%lu", (unsigned long)r->bytes);
        mb__buf_putc(&a, 0);
        mb__report_line("  %s bytes in %lu %s %s %s in loss record %lu of %lu", amount, (unsigned long)r->blocks,
                        blocks_word(r->blocks), r->blocks == 1 ? "is" : "are", kind_words[r->kind],
                        (unsigned long)(k + 1), (unsigned long)nrec);
        mb__event_leak(r->bytes, r->blocks, kind_names[r->kind]);
        mb__report_stack("allocated", r->stack, r->tid);
        mb__report_end();
    }

    size_t lost = 0;
    for (unsigned k = 0; k < MB_LEAK_KINDS; k++)
        if (errors & 1u << k) lost += bytes[k];
    int any = 0;
    for (unsigned k = 0; k < MB_LEAK_KINDS; k++) any |= count[k] && (show | errors) & 1u << k;
    if (!any) return lost;
    /* With level 1 the summary is the one report (a finding when something counts); with 2
     * it is a note after the records, or the finding itself when the kinds that count as
     * errors were not shown. */
    char line[512];
    struct mb_buf b;
    mb__buf_init(&b, line, sizeof line);
    mb__buf_puts(&b, "leak summary:");
    for (unsigned k = 0; k < MB_LEAK_KINDS; k++)
        mb__buf_printf(&b, "%s %s: %lu bytes in %lu %s", k ? ";" : "", kind_words[k], (unsigned long)bytes[k],
                       (unsigned long)count[k], blocks_word(count[k]));
    mb__buf_putc(&b, 0);
    if (level >= 2 && (counted_shown || !lost)) {
        mb__report_note("%s", line);
    } else if ((lost ? mb__report_begin : mb__report_begin_info)(MB_FINDING_LEAK)) {
        mb__report_line("  %s", line);
        mb__report_end();
    }
    return lost;
}
