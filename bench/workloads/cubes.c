/* cubes: logic minimization, many small short-lived objects in one thread. A Boolean
 * function of 16 inputs is a cover: a list of cubes (product terms), each cube a small
 * heap object. The complement of a random cover is computed by recursive Shannon
 * expansion, the way two-level minimizers do it: split on the most used variable, build
 * both cofactor covers (new cubes), complement them recursively, and merge the results
 * with the split literal added (new cubes again), freeing every intermediate cover. The
 * result is checked against the input on sample points. Modelled on the logic-
 * minimization workload of the classic benchmark suites. */
#include "common.h"

#define NV 16

struct cube { uint32_t care, val; }; /* care bit set: the variable appears; val: its polarity */
struct cover { int n, cap; struct cube **c; };

static struct cover *cover_new(int cap)
{
    struct cover *f = xmalloc(sizeof *f);
    f->n = 0;
    f->cap = cap < 4 ? 4 : cap;
    f->c = xmalloc(sizeof *f->c * (size_t)f->cap);
    return f;
}

static void add(struct cover *f, uint32_t care, uint32_t val)
{
    if (f->n == f->cap) {
        f->cap *= 2;
        struct cube **c = realloc(f->c, sizeof *c * (size_t)f->cap);
        if (!c) exit(3);
        f->c = c;
    }
    struct cube *q = xmalloc(sizeof *q);
    q->care = care;
    q->val = val & care;
    f->c[f->n++] = q;
}

static void cover_free(struct cover *f)
{
    for (int i = 0; i < f->n; i++) free(f->c[i]);
    free(f->c);
    free(f);
}

/* The cofactor of f by variable v = pol: cubes that agree, with v dropped. */
static struct cover *cofactor(const struct cover *f, int v, int pol)
{
    uint32_t b = 1u << v;
    struct cover *g = cover_new(f->n);
    for (int i = 0; i < f->n; i++) {
        const struct cube *q = f->c[i];
        if (!(q->care & b)) add(g, q->care, q->val);
        else if (!!(q->val & b) == pol) add(g, q->care & ~b, q->val);
    }
    return g;
}

static struct cover *complement(const struct cover *f)
{
    struct cover *r;
    if (f->n == 0) {
        r = cover_new(1);
        add(r, 0, 0);
        return r;
    }
    for (int i = 0; i < f->n; i++)
        if (f->c[i]->care == 0) return cover_new(1); /* f is 1: the complement is empty */
    if (f->n == 1) { /* De Morgan: one cube per literal, each negated */
        r = cover_new(NV);
        for (int v = 0; v < NV; v++)
            if (f->c[0]->care >> v & 1) add(r, 1u << v, ~f->c[0]->val);
        return r;
    }
    int use[NV] = {0}, best = 0;
    for (int i = 0; i < f->n; i++)
        for (int v = 0; v < NV; v++) use[v] += f->c[i]->care >> v & 1;
    for (int v = 1; v < NV; v++)
        if (use[v] > use[best]) best = v;
    struct cover *f1 = cofactor(f, best, 1), *f0 = cofactor(f, best, 0);
    struct cover *c1 = complement(f1), *c0 = complement(f0);
    cover_free(f1);
    cover_free(f0);
    uint32_t b = 1u << best;
    r = cover_new(c1->n + c0->n);
    for (int i = 0; i < c1->n; i++) add(r, c1->c[i]->care | b, c1->c[i]->val | b);
    for (int i = 0; i < c0->n; i++) add(r, c0->c[i]->care | b, c0->c[i]->val & ~b);
    cover_free(c1);
    cover_free(c0);
    return r;
}

static int covers(const struct cover *f, uint32_t m)
{
    for (int i = 0; i < f->n; i++)
        if ((m & f->c[i]->care) == f->c[i]->val) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    long n = scaled(1000, arg_scale(argc, argv));
    uint64_t s = rng_seed(11), h = 0;
    for (long i = 0; i < n; i++) {
        struct cover *f = cover_new(8);
        int terms = 10 + (int)(rng_next(&s) % 20);
        for (int t = 0; t < terms; t++) {
            uint32_t care = 0;
            while (__builtin_popcount(care) < 4) care |= 1u << (rng_next(&s) % NV);
            add(f, care, (uint32_t)rng_next(&s));
        }
        struct cover *g = complement(f);
        for (int k = 0; k < 64; k++) {
            uint32_t m = (uint32_t)rng_next(&s) & ((1u << NV) - 1);
            if (covers(f, m) == covers(g, m)) h = mix(h, 0xbad); /* wrong: f and not f agree */
        }
        h = mix(h, (uint64_t)g->n);
        cover_free(f);
        cover_free(g);
    }
    print_checksum("cubes", h);
    return 0;
}
