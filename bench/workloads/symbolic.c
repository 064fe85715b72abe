/* symbolic: symbolic math, many small short-lived objects in one thread. Random
 * polynomial expressions in x and y are built as trees of 32-byte nodes, differentiated
 * (a new tree), simplified (another new tree; constants folded, x*0 and x+0 removed) and
 * evaluated modulo a prime; each generation of trees is freed when the next exists.
 * Modelled on the symbolic-algebra and bignum workloads of the classic benchmark suites. */
#include "common.h"

enum { NUM, VAR, ADD, MUL, POW };
#define P 1000003u

struct node {
    int op, var;
    long val; /* NUM: the value; POW: the exponent */
    struct node *l, *r;
};

static long nodes; /* live nodes, to keep trees bounded */

static struct node *mk(int op, long val, int var, struct node *l, struct node *r)
{
    struct node *n = xmalloc(sizeof *n);
    n->op = op; n->val = val; n->var = var; n->l = l; n->r = r;
    nodes++;
    return n;
}

static void drop(struct node *n)
{
    if (!n) return;
    drop(n->l);
    drop(n->r);
    nodes--;
    free(n);
}

static struct node *copy(const struct node *n)
{
    return n ? mk(n->op, n->val, n->var, copy(n->l), copy(n->r)) : NULL;
}

static struct node *gen(uint64_t *s, int depth)
{
    uint64_t r = rng_next(s);
    if (depth == 0 || r % 5 == 0)
        return (r >> 8) & 1 ? mk(VAR, 0, (int)((r >> 9) & 1), NULL, NULL)
                            : mk(NUM, (long)((r >> 10) % 9) + 1, 0, NULL, NULL);
    switch ((r >> 16) % 5) {
    case 0: return mk(POW, (long)((r >> 20) % 3) + 2, 0, gen(s, depth - 1), NULL);
    case 1: case 2: return mk(MUL, 0, 0, gen(s, depth - 1), gen(s, depth - 1));
    default: return mk(ADD, 0, 0, gen(s, depth - 1), gen(s, depth - 1));
    }
}

static struct node *diff(const struct node *n, int v)
{
    switch (n->op) {
    case NUM: return mk(NUM, 0, 0, NULL, NULL);
    case VAR: return mk(NUM, n->var == v, 0, NULL, NULL);
    case ADD: return mk(ADD, 0, 0, diff(n->l, v), diff(n->r, v));
    case MUL: /* (fg)' = f'g + fg' */
        return mk(ADD, 0, 0, mk(MUL, 0, 0, diff(n->l, v), copy(n->r)),
                  mk(MUL, 0, 0, copy(n->l), diff(n->r, v)));
    default: /* (f^k)' = k f^(k-1) f' */
        return mk(MUL, 0, 0, mk(NUM, n->val, 0, NULL, NULL),
                  mk(MUL, 0, 0, n->val == 2 ? copy(n->l) : mk(POW, n->val - 1, 0, copy(n->l), NULL),
                     diff(n->l, v)));
    }
}

static int is_num(const struct node *n, long v) { return n->op == NUM && n->val == v; }

static struct node *simp(const struct node *n)
{
    if (n->op == NUM || n->op == VAR) return mk(n->op, n->val, n->var, NULL, NULL);
    struct node *a = simp(n->l), *b = n->r ? simp(n->r) : NULL;
    if (n->op == POW) {
        if (a->op == NUM) {
            long x = 1;
            for (long i = 0; i < n->val; i++) x = x * a->val % P;
            drop(a);
            return mk(NUM, x, 0, NULL, NULL);
        }
        return mk(POW, n->val, 0, a, NULL);
    }
    if (a->op == NUM && b->op == NUM) {
        long x = n->op == ADD ? (a->val + b->val) % P : a->val * b->val % P;
        drop(a); drop(b);
        return mk(NUM, x, 0, NULL, NULL);
    }
    if (n->op == ADD && is_num(a, 0)) { drop(a); return b; }
    if (n->op == ADD && is_num(b, 0)) { drop(b); return a; }
    if (n->op == MUL && (is_num(a, 0) || is_num(b, 0))) {
        drop(a); drop(b);
        return mk(NUM, 0, 0, NULL, NULL);
    }
    if (n->op == MUL && is_num(a, 1)) { drop(a); return b; }
    if (n->op == MUL && is_num(b, 1)) { drop(b); return a; }
    return mk(n->op, 0, 0, a, b);
}

static long eval(const struct node *n, long x, long y)
{
    switch (n->op) {
    case NUM: return n->val % P;
    case VAR: return n->var ? y : x;
    case ADD: return (eval(n->l, x, y) + eval(n->r, x, y)) % P;
    case MUL: return eval(n->l, x, y) * eval(n->r, x, y) % P;
    default: {
        long b = eval(n->l, x, y), r = 1;
        for (long i = 0; i < n->val; i++) r = r * b % P;
        return r;
    }
    }
}

int main(int argc, char **argv)
{
    long n = scaled(6000, arg_scale(argc, argv));
    uint64_t s = rng_seed(3), h = 0;
    for (long i = 0; i < n; i++) {
        struct node *e = gen(&s, 5);
        for (int k = 0; k < 4 && nodes < 5000; k++) {
            struct node *d = diff(e, k & 1);
            struct node *t = simp(d);
            drop(d);
            drop(e);
            e = t;
            h = mix(h, (uint64_t)eval(e, 3 + k, 5 + i % 7));
        }
        drop(e);
    }
    print_checksum("symbolic", mix(h, (uint64_t)nodes));
    return 0;
}
