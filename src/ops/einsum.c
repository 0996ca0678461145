/* einsum.c -- Einstein summation: the subscripts parser, the greedy
 * contraction order (opt_einsum's "greedy": at each step the pair of terms
 * whose contraction shrinks the intermediates most) with MLX's path report,
 * and the evaluation of that order with diagonal, sum, transpose, reshape,
 * multiply and matmul, so that einsum needs no primitive of its own and its
 * vjp, jvp and vmap come from those ops. Messages follow MLX's text.
 *
 * Labels: the letters A-Z are 0-25 and a-z 26-51 (so sorting labels sorts
 * as ASCII, the order of an implicit output); the dimensions an ellipsis
 * stands for are 52 + j, right-aligned across the terms as in broadcasting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define EIN_LETTERS 52
#define EIN_LABELS (EIN_LETTERS + EM_MAX_NDIM)

typedef struct { uint64_t w[2]; } labset;

static void ls_add(labset *s, int l) { s->w[l >> 6] |= 1ull << (l & 63); }
static bool ls_has(const labset *s, int l) { return (s->w[l >> 6] >> (l & 63)) & 1; }
static labset ls_or(labset a, labset b) { return (labset){{a.w[0] | b.w[0], a.w[1] | b.w[1]}}; }
static labset ls_and(labset a, labset b) { return (labset){{a.w[0] & b.w[0], a.w[1] & b.w[1]}}; }
static bool ls_any(labset a) { return a.w[0] || a.w[1]; }
static int ls_count(labset a) { return __builtin_popcountll(a.w[0]) + __builtin_popcountll(a.w[1]); }
static bool ls_eq(labset a, labset b) { return a.w[0] == b.w[0] && a.w[1] == b.w[1]; }

/* A parsed einsum: per operand its labels (one per axis), the output's, and
 * the size of every label (the broadcast of its sizes). */
typedef struct {
    size_t n;
    int nl[EM_MAX_NDIM + 1];               /* labels of operand i; [n]: the output */
    uint8_t (*lab)[EM_MAX_NDIM];           /* n + 1 rows */
    int64_t size[EIN_LABELS];
    bool used[EIN_LABELS];
} ein_spec;

static int letter(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    return -1;
}

/* One term (no spaces) into labels: letters, and the position of "..." in
 * *ell (-1 without). -1 with MLX's error for anything else. */
static int parse_term(const char *s, size_t len, int *lab, int *ell, const char *whole) {
    int n = 0;
    *ell = -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
            if (*ell >= 0) {
                error_set(EM_ERR_VALUE, "[einsum] Only one ellipsis per subscript is allowed but "
                                        "found more in '%.*s'.", (int)len, s);
                return -1;
            }
            *ell = n;
            i += 2;
            continue;
        }
        int l = letter(s[i]);
        if (l < 0) {
            error_set(EM_ERR_VALUE, "[einsum] Subscripts must be letters, but got '%c'.", s[i]);
            return -1;
        }
        if (n >= EM_MAX_NDIM) {
            error_set(EM_ERR_VALUE, "[einsum] Too many subscripts in '%s'.", whole);
            return -1;
        }
        lab[n++] = l;
    }
    return n;
}

/* Parses subscripts for the n operands into sp (sp->lab must hold n + 1
 * rows). False with the error set. */
static bool ein_parse(const char *subscripts, const em_array *const *ops, size_t n, ein_spec *sp) {
    size_t len = strlen(subscripts);
    char *s = malloc(len + 1);
    if (!s) {
        error_set(EM_ERR_MEMORY, "[einsum] Out of memory.");
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (subscripts[i] != ' ') s[k++] = subscripts[i];
    s[k] = 0;
    char *arrow = strstr(s, "->");
    size_t in_len = arrow ? (size_t)(arrow - s) : k;
    bool ok = false;
    int lab[EM_MAX_NDIM], ell, ells[EM_MAX_NDIM + 1];
    size_t nterms = 1;
    for (size_t i = 0; i < in_len; i++) nterms += s[i] == ',';
    sp->n = n;
    memset(sp->size, 0, sizeof sp->size);
    memset(sp->used, 0, sizeof sp->used);
    int E = 0; /* the ellipsis rank */
    if (nterms != n) {
        error_set(EM_ERR_VALUE, "[einsum] Number of operands, %zu, does not match number of input "
                                "subscripts, %zu", n, nterms);
        goto done;
    }
    /* first pass: labels and ellipsis ranks */
    int nletters[EM_MAX_NDIM + 1];
    for (size_t i = 0, start = 0; i < n; i++) {
        size_t end = start;
        while (end < in_len && s[end] != ',') end++;
        int m = parse_term(s + start, end - start, lab, &ell, subscripts);
        if (m < 0) goto done;
        const em_array *x = ops[i];
        if (m > x->ndim || (ell < 0 && m != x->ndim)) {
            error_set(EM_ERR_VALUE, "[einsum] Invalid number of subscripts %d for input %zu with %d "
                                    "dimensions.", m, i, x->ndim);
            goto done;
        }
        int e = ell < 0 ? 0 : x->ndim - m;
        if (e > E) E = e;
        ells[i] = ell;
        nletters[i] = m;
        for (int j = 0; j < m; j++) sp->lab[i][j] = (uint8_t)lab[j];
        start = end + 1;
    }
    /* second pass: expand ellipses, check sizes */
    for (size_t i = 0; i < n; i++) {
        const em_array *x = ops[i];
        int m = nletters[i], e = ells[i] < 0 ? 0 : x->ndim - m, pos = ells[i] < 0 ? m : ells[i];
        uint8_t full[EM_MAX_NDIM];
        for (int j = 0, q = 0; j < x->ndim; j++) {
            if (j >= pos && j < pos + e) full[j] = (uint8_t)(EIN_LETTERS + E - e + (j - pos));
            else full[j] = sp->lab[i][q++];
        }
        memcpy(sp->lab[i], full, (size_t)x->ndim);
        sp->nl[i] = x->ndim;
        /* repeated subscripts of one operand must agree exactly */
        for (int j = 0; j < x->ndim; j++)
            for (int q = 0; q < j; q++)
                if (full[q] == full[j] && x->shape[q] != x->shape[j]) {
                    error_set(EM_ERR_VALUE, "[einsum] Dimensions of repeated subscripts do not have "
                                            "the same size (%lld != %lld).",
                              (long long)x->shape[q], (long long)x->shape[j]);
                    goto done;
                }
        for (int j = 0; j < x->ndim; j++) {
            int l = full[j];
            int64_t d = x->shape[j];
            if (!sp->used[l] || sp->size[l] == 1) {
                sp->size[l] = d;
            } else if (d != 1 && d != sp->size[l]) {
                char buf[256];
                error_set(EM_ERR_VALUE, "[einsum] Cannot broadcast dimension %d of input %zu with "
                                        "shape %s to size %lld.", j, i,
                          shape_str(x->shape, x->ndim, buf, sizeof buf), (long long)sp->size[l]);
                goto done;
            }
            sp->used[l] = true;
        }
    }
    /* the output */
    int *no = &sp->nl[n];
    uint8_t *out = sp->lab[n];
    if (arrow) {
        const char *o = arrow + 2;
        int m = parse_term(o, strlen(o), lab, &ell, subscripts);
        if (m < 0) goto done;
        int q = 0;
        for (int j = 0; j <= m; j++) {
            if (j == (ell < 0 ? -2 : ell))
                for (int l = EIN_LETTERS; l < EIN_LETTERS + E; l++) out[q++] = (uint8_t)l;
            if (j == m) break;
            if (!sp->used[lab[j]]) {
                error_set(EM_ERR_VALUE, "[einsum] Output subscript '%c' does not appear in the input "
                                        "subscripts.", (char)(lab[j] < 26 ? 'A' + lab[j] : 'a' + lab[j] - 26));
                goto done;
            }
            if (q >= EM_MAX_NDIM) {
                error_set(EM_ERR_VALUE, "[einsum] Too many output subscripts.");
                goto done;
            }
            out[q++] = (uint8_t)lab[j];
        }
        *no = q;
        for (int j = 0; j < q; j++)
            for (int r = 0; r < j; r++)
                if (out[r] == out[j]) {
                    error_set(EM_ERR_VALUE, "[einsum] Repeat indices not allowed in output.");
                    goto done;
                }
    } else {
        int count[EIN_LABELS] = {0};
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < sp->nl[i]; j++) count[sp->lab[i][j]]++;
        int q = 0;
        for (int l = EIN_LETTERS; l < EIN_LETTERS + E; l++) out[q++] = (uint8_t)l;
        for (int l = 0; l < EIN_LETTERS; l++)
            if (count[l] == 1) out[q++] = (uint8_t)l;
        *no = q;
    }
    ok = true;
done:
    free(s);
    return ok;
}

static labset term_set(const ein_spec *sp, size_t i) {
    labset s = {{0, 0}};
    for (int j = 0; j < sp->nl[i]; j++) ls_add(&s, sp->lab[i][j]);
    return s;
}

static double set_size(const ein_spec *sp, labset s) {
    double v = 1;
    for (int l = 0; l < EIN_LABELS; l++)
        if (ls_has(&s, l)) v *= (double)sp->size[l];
    return v;
}

/* opt_einsum's count: the product of the sizes of every label involved,
 * times (terms - 1, at least 1), plus one when something is summed. */
static double flops(const ein_spec *sp, labset all, labset res, int terms) {
    double f = terms - 1 > 1 ? terms - 1 : 1;
    if (!ls_eq(ls_and(all, res), all)) f += 1;
    return set_size(sp, all) * f;
}

/* A step that contracts every term left at once (steps[k] = {EIN_ALL, EIN_ALL}). */
#define EIN_ALL (-2)

typedef struct {
    int scaling_naive, scaling_opt;
    double flops_naive, flops_opt;
} ein_cost;

/* A candidate step of the greedy search: contracting sets x and y gives res,
 * removing `removed` elements from the intermediates at `cost` flops. */
typedef struct {
    double removed, cost;
    int x, y;
    labset res;
} ein_cand;

/* The candidate (i, j) of the len sets, or false when its result is larger
 * than limit. */
static bool ein_candidate(const ein_spec *sp, const labset *sets, size_t len, labset out, size_t i,
                          size_t j, double limit, ein_cand *c) {
    labset keep = out;
    for (size_t q = 0; q < len; q++)
        if (q != i && q != j) keep = ls_or(keep, sets[q]);
    labset inv = ls_or(sets[i], sets[j]);
    c->res = ls_and(inv, keep);
    double size = set_size(sp, c->res);
    if (size > limit) return false;
    c->removed = set_size(sp, sets[i]) + set_size(sp, sets[j]) - size;
    c->cost = flops(sp, inv, c->res, 2);
    c->x = (int)i, c->y = (int)j;
    return true;
}

/* The greedy order, as NumPy's einsum_path (optimize='greedy') finds it and
 * MLX reports it: the first step looks at every pair of terms that share a
 * label, each later step at the pairs the newest intermediate makes; the
 * candidates found earlier are kept (their sizes and costs as computed then)
 * with their positions renumbered. A step takes the candidate removing the
 * most elements, then the cheapest, then the first found; one whose result
 * exceeds the largest input or output is skipped. Only when no candidate is
 * left are the step's pairs that share nothing (outer products) looked at.
 * (Checked against MLX 0.32 on 300 random contractions.) Writes the
 * len - 1 steps (one (0, -1) step for a single operand) and the report's
 * figures, which come from the labels the steps actually keep. Returns the
 * number of steps, or -1 (out of memory). */
static int ein_path(const ein_spec *sp, int (*steps)[2], ein_cost *c) {
    size_t n = sp->n;
    labset out = term_set(sp, n), all = out;
    labset *sets = malloc((n + 1) * sizeof *sets);
    ein_cand *cand = malloc((n * n + 1) * sizeof *cand);
    if (!sets || !cand) {
        free(sets), free(cand);
        return -1;
    }
    double limit = set_size(sp, out);
    for (size_t i = 0; i < n; i++) {
        sets[i] = term_set(sp, i);
        all = ls_or(all, sets[i]);
        double s = set_size(sp, sets[i]);
        if (s > limit) limit = s;
    }
    c->scaling_naive = ls_count(all);
    c->flops_naive = flops(sp, all, out, (int)n);
    int ns = 0;
    if (n == 1) {
        steps[0][0] = 0, steps[0][1] = -1;
        ns = 1;
    }
    size_t nc = 0;
    for (size_t len = n; len > 1; len--) {
        for (size_t i = 0; i < len; i++)
            for (size_t j = i + 1; j < len; j++) {
                if (len != n && j != len - 1) continue; /* later steps: pairs with the newest */
                if (!ls_any(ls_and(sets[i], sets[j]))) continue;
                nc += ein_candidate(sp, sets, len, out, i, j, limit, &cand[nc]);
            }
        /* no candidate: the same pairs, outer products included; if the size
         * limit still leaves none, one step contracts all that remain */
        bool none = nc == 0;
        for (size_t i = 0; none && i < len; i++)
            for (size_t j = i + 1; j < len; j++) {
                if (len != n && j != len - 1) continue;
                nc += ein_candidate(sp, sets, len, out, i, j, limit, &cand[nc]);
            }
        if (nc == 0) {
            steps[ns][0] = steps[ns][1] = EIN_ALL;
            ns++;
            break;
        }
        size_t b = 0;
        for (size_t k = 1; k < nc; k++)
            if (cand[k].removed > cand[b].removed ||
                (cand[k].removed == cand[b].removed && cand[k].cost < cand[b].cost))
                b = k;
        ein_cand best = cand[b];
        int bx = best.x, by = best.y;
        size_t w = 0;
        for (size_t k = 0; k < nc; k++) {
            ein_cand q = cand[k];
            if (q.x == bx || q.x == by || q.y == bx || q.y == by) continue;
            q.x -= (q.x > bx) + (q.x > by);
            q.y -= (q.y > bx) + (q.y > by);
            cand[w++] = q;
        }
        nc = w;
        w = 0;
        for (size_t q = 0; q < len; q++)
            if ((int)q != bx && (int)q != by) sets[w++] = sets[q];
        sets[w] = best.res;
        steps[ns][0] = bx, steps[ns][1] = by;
        ns++;
    }
    /* the report: walk the steps with the labels each result really keeps */
    for (size_t i = 0; i < n; i++) sets[i] = term_set(sp, i);
    c->scaling_opt = 0;
    c->flops_opt = 0;
    size_t len = n;
    for (int s = 0; s < ns; s++) {
        int x = steps[s][0], y = steps[s][1];
        if (x == EIN_ALL) {
            labset inv = sets[0];
            for (size_t q = 1; q < len; q++) inv = ls_or(inv, sets[q]);
            if (ls_count(inv) > c->scaling_opt) c->scaling_opt = ls_count(inv);
            c->flops_opt += flops(sp, inv, ls_and(inv, out), (int)len);
            break;
        }
        labset inv = y < 0 ? sets[x] : ls_or(sets[x], sets[y]), keep = out;
        for (size_t q = 0; q < len; q++)
            if ((int)q != x && (int)q != y) keep = ls_or(keep, sets[q]);
        labset res = ls_and(inv, keep);
        if (ls_count(inv) > c->scaling_opt) c->scaling_opt = ls_count(inv);
        c->flops_opt += flops(sp, inv, res, y < 0 ? 1 : 2);
        size_t w = 0;
        for (size_t q = 0; q < len; q++)
            if ((int)q != x && (int)q != y) sets[w++] = sets[q];
        sets[w] = res;
        len = w + 1;
    }
    free(sets);
    free(cand);
    return ns;
}

/* ---------------------------------------------------------------- evaluation */

/* An operand in flight: its array (owned) and one label per axis. */
typedef struct {
    em_array *x;
    int nl;
    uint8_t lab[EM_MAX_NDIM];
} ein_term;

static void term_set_x(ein_term *t, em_array *x) {
    em_array_release(t->x);
    t->x = x;
}

/* Sums t over its axes whose labels are not in keep. */
static void term_sum_out(ein_term *t, labset keep) {
    int axes[EM_MAX_NDIM], na = 0, nl = 0;
    uint8_t lab[EM_MAX_NDIM];
    for (int j = 0; j < t->nl; j++) {
        if (ls_has(&keep, t->lab[j])) lab[nl++] = t->lab[j];
        else axes[na++] = j;
    }
    if (!na || !t->x) return;
    term_set_x(t, em_sum(t->x, axes, na, false));
    memcpy(t->lab, lab, (size_t)nl);
    t->nl = nl;
}

/* Replaces each repeated label of t by its diagonal (moved last). */
static void term_diagonals(ein_term *t) {
    for (int j = 0; j < t->nl && t->x; j++)
        for (int q = j + 1; q < t->nl; q++)
            if (t->lab[q] == t->lab[j]) {
                uint8_t l = t->lab[j];
                term_set_x(t, em_diagonal(t->x, 0, j, q));
                int w = 0;
                for (int r = 0; r < t->nl; r++)
                    if (r != j && r != q) t->lab[w++] = t->lab[r];
                t->lab[w++] = l;
                t->nl = w;
                j = -1; /* start over: the axes moved */
                break;
            }
}

/* The axis of label l in t, or -1. */
static int term_axis(const ein_term *t, int l) {
    for (int j = 0; j < t->nl; j++)
        if (t->lab[j] == l) return j;
    return -1;
}

/* t's array with its axes in the order of labels[0..k) (all of t's labels),
 * reshaped to the sizes `shape` (nd dims). New reference. */
static em_array *term_arrange(const ein_term *t, const uint8_t *labels, int k, const int64_t *shape,
                              int nd) {
    int perm[EM_MAX_NDIM];
    for (int j = 0; j < k; j++) perm[j] = term_axis(t, labels[j]);
    em_array *p = em_transpose(t->x, perm, k);
    em_array *r = p ? em_reshape(p, shape, nd) : NULL;
    em_array_release(p);
    return r;
}

static labset term_labels(const ein_term *t) {
    labset s = {{0, 0}};
    for (int j = 0; j < t->nl; j++) ls_add(&s, t->lab[j]);
    return s;
}

/* Contracts b into a (b's array released), keeping the labels in keep: the
 * labels both share and keep lose go to a matmul's inner dimension, those
 * both keep are its batch dimensions (broadcast where one side has size 1),
 * the others its rows and columns; with nothing to sum, a broadcast
 * multiply; with neither rows nor columns, a multiply and a sum. */
static void term_contract(ein_term *a, ein_term *b, labset keep) {
    term_sum_out(a, ls_or(keep, term_labels(b)));
    term_sum_out(b, ls_or(keep, term_labels(a)));
    /* an inner label of size 1 on one side only: squeezed there, summed on
     * the other */
    for (int j = 0; j < a->nl && a->x && b->x; j++) {
        int l = a->lab[j], q = term_axis(b, l);
        if (q < 0 || ls_has(&keep, l) || a->x->shape[j] == b->x->shape[q]) continue;
        ein_term *one = a->x->shape[j] == 1 ? a : b, *other = one == a ? b : a;
        labset only = term_labels(one), rest = term_labels(other);
        for (int r = 0; r < EIN_LABELS; r++)
            if (r == l) {
                only.w[r >> 6] &= ~(1ull << (r & 63));
                rest.w[r >> 6] &= ~(1ull << (r & 63));
            }
        term_sum_out(one, only);
        term_sum_out(other, rest);
        j = -1;
    }
    if (!a->x || !b->x) {
        term_set_x(a, NULL);
        term_set_x(b, NULL);
        return;
    }
    uint8_t bt[EM_MAX_NDIM], fa[EM_MAX_NDIM], fb[EM_MAX_NDIM], in[EM_MAX_NDIM];
    int nbt = 0, nfa = 0, nfb = 0, nin = 0;
    int64_t m = 1, k = 1, nn = 1;
    for (int j = 0; j < a->nl; j++) {
        int l = a->lab[j], q = term_axis(b, l);
        if (q < 0) fa[nfa++] = (uint8_t)l, m *= a->x->shape[j];
        else if (ls_has(&keep, l)) bt[nbt++] = (uint8_t)l;
        else in[nin++] = (uint8_t)l, k *= a->x->shape[j];
    }
    for (int j = 0; j < b->nl; j++)
        if (term_axis(a, b->lab[j]) < 0) fb[nfb++] = b->lab[j], nn *= b->x->shape[j];
    int64_t sa[EM_MAX_NDIM + 2], sb[EM_MAX_NDIM + 2], so[EM_MAX_NDIM];
    uint8_t la[EM_MAX_NDIM], lb[EM_MAX_NDIM], lo[EM_MAX_NDIM];
    int nd = 0;
    for (int j = 0; j < nbt; j++) {
        int64_t da = a->x->shape[term_axis(a, bt[j])], db = b->x->shape[term_axis(b, bt[j])];
        sa[j] = da, sb[j] = db, so[nd] = da == 1 ? db : da, lo[nd++] = bt[j];
        la[j] = lb[j] = bt[j];
    }
    for (int j = 0; j < nfa; j++) so[nd] = a->x->shape[term_axis(a, fa[j])], lo[nd++] = fa[j];
    for (int j = 0; j < nfb; j++) so[nd] = b->x->shape[term_axis(b, fb[j])], lo[nd++] = fb[j];
    memcpy(la + nbt, fa, (size_t)nfa), memcpy(la + nbt + nfa, in, (size_t)nin);
    memcpy(lb + nbt, in, (size_t)nin), memcpy(lb + nbt + nin, fb, (size_t)nfb);
    em_array *r = NULL;
    if (nin == 0 || (nfa == 0 && nfb == 0)) {
        /* a as (batch, fa, 1 for fb, in), b as (batch, 1 for fa, fb, in) */
        int da = nbt, db = nbt;
        for (int j = 0; j < nfa; j++) sa[da++] = a->x->shape[term_axis(a, fa[j])], sb[db++] = 1;
        for (int j = 0; j < nfb; j++) sa[da++] = 1, sb[db++] = b->x->shape[term_axis(b, fb[j])];
        for (int j = 0; j < nin; j++) {
            sa[da++] = a->x->shape[term_axis(a, in[j])];
            sb[db++] = b->x->shape[term_axis(b, in[j])];
        }
        uint8_t lb2[EM_MAX_NDIM];
        memcpy(lb2, bt, (size_t)nbt), memcpy(lb2 + nbt, fb, (size_t)nfb), memcpy(lb2 + nbt + nfb, in, (size_t)nin);
        em_array *xa = term_arrange(a, la, a->nl, sa, da);
        em_array *xb = term_arrange(b, lb2, b->nl, sb, db);
        em_array *p = xa && xb ? em_multiply(xa, xb) : NULL;
        if (p && nin) {
            int axes[EM_MAX_NDIM];
            for (int j = 0; j < nin; j++) axes[j] = nd + j;
            r = em_sum(p, axes, nin, false);
            em_array_release(p);
        } else {
            r = p;
        }
        em_array_release(xa);
        em_array_release(xb);
    } else {
        sa[nbt] = m, sa[nbt + 1] = k;
        sb[nbt] = k, sb[nbt + 1] = nn;
        em_array *xa = term_arrange(a, la, a->nl, sa, nbt + 2);
        em_array *xb = term_arrange(b, lb, b->nl, sb, nbt + 2);
        em_array *p = xa && xb ? em_matmul(xa, xb) : NULL;
        r = p ? em_reshape(p, so, nd) : NULL;
        em_array_release(p);
        em_array_release(xa);
        em_array_release(xb);
    }
    term_set_x(a, r);
    term_set_x(b, NULL);
    memcpy(a->lab, lo, (size_t)nd);
    a->nl = nd;
}

/* ---------------------------------------------------------------- public */

static bool ein_args(const char *subscripts, const em_array *const *operands, size_t n) {
    if (!subscripts) {
        error_set(EM_ERR_NULL, "[einsum] The subscripts are NULL.");
        return false;
    }
    if (n == 0) {
        error_set(EM_ERR_VALUE, "[einsum] At least one operand is required.");
        return false;
    }
    if (n > 4096) {
        error_set(EM_ERR_VALUE, "[einsum] Too many operands (%zu).", n);
        return false;
    }
    if (!operands) {
        error_null_arg("einsum");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!operands[i]) {
            error_null_arg("einsum");
            return false;
        }
    return true;
}

EM_PUBLIC_OP(em_einsum, (const char *subscripts, const em_array *const *operands, size_t n),
             (subscripts, operands, n)) {
    if (!ein_args(subscripts, operands, n)) return NULL;
    ein_spec sp;
    sp.lab = malloc((n + 1) * sizeof *sp.lab);
    ein_term *t = calloc(n, sizeof *t);
    int (*steps)[2] = malloc(n * sizeof *steps);
    em_array *r = NULL;
    if (!sp.lab || !t || !steps) {
        error_set(EM_ERR_MEMORY, "[einsum] Out of memory.");
        goto done;
    }
    if (!ein_parse(subscripts, operands, n, &sp)) goto done;
    labset out = term_set(&sp, n);
    for (size_t i = 0; i < n; i++) {
        t[i].x = em_array_retain((em_array *)operands[i]);
        t[i].nl = sp.nl[i];
        memcpy(t[i].lab, sp.lab[i], (size_t)sp.nl[i]);
        term_diagonals(&t[i]);
    }
    /* labels no other operand or the output has are summed at once */
    for (size_t i = 0; i < n; i++) {
        labset keep = out;
        for (size_t q = 0; q < n; q++)
            if (q != i) keep = ls_or(keep, term_labels(&t[q]));
        term_sum_out(&t[i], keep);
    }
    ein_cost cost;
    int ns = ein_path(&sp, steps, &cost);
    if (ns < 0) {
        error_set(EM_ERR_MEMORY, "[einsum] Out of memory.");
        goto done;
    }
    size_t len = n;
    for (int s = 0; s < ns && len > 1;) {
        int i = 0, j = 1; /* an all-at-once step: pair by pair from the front until one is left */
        if (steps[s][0] != EIN_ALL) {
            if (steps[s][1] < 0) break;
            i = steps[s][0], j = steps[s][1];
            s++;
        }

        labset keep = out;
        for (size_t q = 0; q < len; q++)
            if ((int)q != i && (int)q != j) keep = ls_or(keep, term_labels(&t[q]));
        term_contract(&t[i], &t[j], keep);
        ein_term res = t[i];
        size_t w = 0;
        for (size_t q = 0; q < len; q++)
            if ((int)q != i && (int)q != j) t[w++] = t[q];
        t[w] = res;
        for (size_t q = w + 1; q < len; q++) t[q].x = NULL; /* moved down, or released */
        len--;
    }
    ein_term *f = &t[0];
    term_sum_out(f, out);
    if (f->x) {
        int64_t shape[EM_MAX_NDIM];
        int no = sp.nl[n];
        for (int j = 0; j < no; j++) shape[j] = f->x->shape[term_axis(f, sp.lab[n][j])];
        em_array *p = term_arrange(f, sp.lab[n], no, shape, no);
        for (int j = 0; j < no; j++) shape[j] = sp.size[sp.lab[n][j]];
        r = p ? ops_broadcast(p, shape, no) : NULL;
        em_array_release(p);
    }
done:
    if (t)
        for (size_t i = 0; i < n; i++) em_array_release(t[i].x);
    free(t);
    free(steps);
    free(sp.lab);
    return r;
}

/* The subscripts as MLX prints them: as given. */
EM_API em_status em_einsum_path(const char *subscripts, const em_array *const *operands, size_t n,
                                int *path, size_t path_cap, size_t *path_len, char **report) {
    if (!ein_args(subscripts, operands, n)) return em_error_code();
    if (!path_len || (!path && path_cap)) return error_status(EM_ERR_NULL, "[einsum_path] NULL output.");
    ein_spec sp;
    sp.lab = malloc((n + 1) * sizeof *sp.lab);
    int (*steps)[2] = malloc(n * sizeof *steps);
    em_status st = EM_OK;
    if (!sp.lab || !steps) {
        st = error_status(EM_ERR_MEMORY, "[einsum] Out of memory.");
        goto done;
    }
    if (!ein_parse(subscripts, operands, n, &sp)) {
        st = em_error_code();
        goto done;
    }
    ein_cost c;
    int ns = ein_path(&sp, steps, &c);
    if (ns < 0) {
        st = error_status(EM_ERR_MEMORY, "[einsum] Out of memory.");
        goto done;
    }
    /* each step's positions, then -1 */
    size_t w = 0, len = n;
    for (int s = 0; s < ns; s++) {
        size_t need = steps[s][0] == EIN_ALL ? len + 1 : steps[s][1] < 0 ? 2 : 3;
        if (w + need > path_cap) {
            st = error_status(EM_ERR_VALUE, "[einsum_path] The path needs more than %zu entries.",
                              path_cap);
            goto done;
        }
        if (steps[s][0] == EIN_ALL)
            for (size_t q = 0; q < len; q++) path[w++] = (int)q;
        else
            for (int k = 0; k < 2 && steps[s][k] >= 0; k++) path[w++] = steps[s][k];
        path[w++] = -1;
        len -= need - 2;
    }
    *path_len = w;
    if (report) {
        const char *fmt = "  Complete contraction:  %s\n         Naive scaling:  %d\n     Optimized "
                          "scaling:  %d\n      Naive FLOP count:  %.0f\n  Optimized FLOP count:  %.0f\n";
        int rlen = snprintf(NULL, 0, fmt, subscripts, c.scaling_naive, c.scaling_opt, c.flops_naive,
                           c.flops_opt);
        *report = rlen >= 0 ? malloc((size_t)rlen + 1) : NULL;
        if (!*report) {
            st = error_status(EM_ERR_MEMORY, "[einsum_path] Out of memory.");
            goto done;
        }
        snprintf(*report, (size_t)rlen + 1, fmt, subscripts, c.scaling_naive, c.scaling_opt,
                 c.flops_naive, c.flops_opt);
    }
done:
    free(steps);
    free(sp.lab);
    return st;
}
