/* test_vmap_compose.c -- vmap composed with autodiff: vmap(grad(f)) and
 * vmap(jvp(f)) against the loop over the batch, grad(vmap(f)) and
 * jvp(vmap(f)) against those, and deeper nests (vmap(vmap(grad)),
 * vmap(grad(grad)), grad(vmap(vmap))), over ops of every family. */
#include "vmap_util.h"

/* ---------------------------------------------------------------- ops */

static em_array *u_exp(em_array *const *x, const void *a) { (void)a; return em_exp(x[0]); }
static em_array *u_sin(em_array *const *x, const void *a) { (void)a; return em_sin(x[0]); }
static em_array *u_tanh(em_array *const *x, const void *a) { (void)a; return em_tanh(x[0]); }
static em_array *u_sigmoid(em_array *const *x, const void *a) { (void)a; return em_sigmoid(x[0]); }
static em_array *u_square(em_array *const *x, const void *a) { (void)a; return em_square(x[0]); }
static em_array *u_abs(em_array *const *x, const void *a) { (void)a; return em_abs(x[0]); }
static em_array *u_erf(em_array *const *x, const void *a) { (void)a; return em_erf(x[0]); }
static em_array *b_mul(em_array *const *x, const void *a) { (void)a; return em_multiply(x[0], x[1]); }
static em_array *b_div(em_array *const *x, const void *a) { (void)a; return em_divide(x[0], x[1]); }
static em_array *b_max(em_array *const *x, const void *a) { (void)a; return em_maximum(x[0], x[1]); }
static em_array *b_atan2(em_array *const *x, const void *a) { (void)a; return em_arctan2(x[0], x[1]); }
static em_array *b_lae(em_array *const *x, const void *a) { (void)a; return em_logaddexp(x[0], x[1]); }
static em_array *b_sub_bc(em_array *const *x, const void *a) { (void)a; return em_subtract(x[0], x[1]); }
static em_array *r_sum(em_array *const *x, const void *a) { (void)a; return em_sum(x[0], AX(1), 1, false); }
static em_array *r_prod(em_array *const *x, const void *a) { (void)a; return em_prod(x[0], AX(0), 1, true); }
static em_array *r_max(em_array *const *x, const void *a) { (void)a; return em_max(x[0], AX(-1), 1, false); }
static em_array *r_var(em_array *const *x, const void *a) { (void)a; return em_var(x[0], NULL, -1, false, 1); }
static em_array *r_lse(em_array *const *x, const void *a) { (void)a; return em_logsumexp(x[0], AX(0), 1, false); }
static em_array *v_reshape(em_array *const *x, const void *a) { (void)a; return em_reshape(x[0], SH(-1), 1); }
static em_array *v_transpose(em_array *const *x, const void *a) { (void)a; return em_transpose(x[0], NULL, 0); }
static em_array *v_slice(em_array *const *x, const void *a) {
    (void)a;
    return em_slice(x[0], SH(2, 0), SH(-4, 3), SH(-1, 2), 2);
}
static em_array *v_broadcast(em_array *const *x, const void *a) {
    (void)a;
    em_array *e = em_expand_dims(x[0], AX(1), 1);
    em_array *r = em_broadcast_to(e, SH(3, 2, 3), 3);
    em_array_release(e);
    return r;
}
static em_array *j_concat(em_array *const *x, const void *a) {
    (void)a;
    return em_concatenate((const em_array *const *)x, 2, 0);
}
static em_array *j_pad(em_array *const *x, const void *a) {
    (void)a;
    em_array *v = em_sum(x[1], NULL, -1, false);
    em_array *r = em_pad(x[0], SH(1, 2), 1, EM_PAD_CONSTANT, v);
    em_array_release(v);
    return r;
}
static em_array *j_pad_edge(em_array *const *x, const void *a) {
    (void)a;
    return em_pad(x[0], SH(0, 2, 1, 0), 2, EM_PAD_EDGE, NULL);
}
static em_array *t_where(em_array *const *x, const void *a) {
    (void)a;
    em_array *c = em_greater(x[0], x[1]);
    em_array *r = em_where(c, x[0], x[1]);
    em_array_release(c);
    return r;
}
static em_array *m_matmul(em_array *const *x, const void *a) { (void)a; return em_matmul(x[0], x[1]); }
static em_array *c_astype(em_array *const *x, const void *a) {
    (void)a;
    em_array *f = em_astype(x[0], EM_FLOAT32), *s = em_square(f), *r = em_astype(s, EM_FLOAT64);
    em_array_release(f);
    em_array_release(s);
    return r;
}
static em_array *c_full(em_array *const *x, const void *a) {
    (void)a;
    em_array *s = em_sum(x[0], NULL, -1, false);
    em_array *f = em_full(SH(2, 3), 2, s, EM_FLOAT64), *r = em_multiply(f, x[0]);
    em_array_release(s);
    em_array_release(f);
    return r;
}
static em_array *mlp(em_array *const *x, const void *a) {
    (void)a;
    em_array *h = em_matmul(x[0], x[1]), *t = em_tanh(h);
    em_array *l = em_logsumexp(t, AX(-1), 1, false);
    em_array_release(h);
    em_array_release(t);
    return l;
}

typedef struct {
    const char *name;
    opfn f;
    int n;
    int64_t elem[2][3];
    int nd[2];
    double lo, hi;
} ccase;

static const ccase CASES[] = {
    {"exp", u_exp, 1, {{2, 3}}, {2}, -1, 1},
    {"sin", u_sin, 1, {{2, 3}}, {2}, -2, 2},
    {"tanh", u_tanh, 1, {{3}}, {1}, -2, 2},
    {"sigmoid", u_sigmoid, 1, {{2, 3}}, {2}, -2, 2},
    {"square", u_square, 1, {{2, 3}}, {2}, -2, 2},
    {"abs", u_abs, 1, {{2, 3}}, {2}, 0.5, 2},
    {"erf", u_erf, 1, {{2, 3}}, {2}, -1, 1},
    {"multiply", b_mul, 2, {{2, 3}, {2, 3}}, {2, 2}, -2, 2},
    {"divide", b_div, 2, {{2, 3}, {3}}, {2, 1}, 0.5, 2},
    {"maximum", b_max, 2, {{2, 3}, {2, 3}}, {2, 2}, -2, 2},
    {"arctan2", b_atan2, 2, {{2, 3}, {2, 3}}, {2, 2}, 0.5, 2},
    {"logaddexp", b_lae, 2, {{3}, {2, 3}}, {1, 2}, -2, 2},
    {"subtract 0-d", b_sub_bc, 2, {{2, 3}, {0}}, {2, 0}, -2, 2},
    {"sum", r_sum, 1, {{2, 3}}, {2}, -2, 2},
    {"prod", r_prod, 1, {{2, 3}}, {2}, 0.5, 2},
    {"max", r_max, 1, {{2, 3}}, {2}, -2, 2},
    {"var", r_var, 1, {{2, 3}}, {2}, -2, 2},
    {"logsumexp", r_lse, 1, {{2, 3}}, {2}, -2, 2},
    {"reshape", v_reshape, 1, {{2, 3}}, {2}, -2, 2},
    {"transpose", v_transpose, 1, {{2, 3}}, {2}, -2, 2},
    {"slice", v_slice, 1, {{6, 5}}, {2}, -2, 2},
    {"broadcast", v_broadcast, 1, {{3, 3}}, {2}, -2, 2},
    {"concatenate", j_concat, 2, {{2, 3}, {1, 3}}, {2, 2}, -2, 2},
    {"pad value", j_pad, 2, {{2, 3}, {2}}, {2, 1}, -2, 2},
    {"pad edge", j_pad_edge, 1, {{2, 3}}, {2}, -2, 2},
    {"where", t_where, 2, {{2, 3}, {2, 3}}, {2, 2}, -2, 2},
    {"matmul", m_matmul, 2, {{2, 3}, {3, 2}}, {2, 2}, -2, 2},
    {"matmul vector", m_matmul, 2, {{3}, {3, 2}}, {1, 2}, -2, 2},
    {"astype", c_astype, 1, {{2, 3}}, {2}, -2, 2},
    {"full", c_full, 1, {{2, 3}}, {2}, -2, 2},
    {"mlp", mlp, 2, {{2, 3}, {3, 4}}, {2, 2}, -1, 1},
};
#define NCASES (sizeof CASES / sizeof *CASES)

/* ---------------------------------------------------------------- grad and jvp as ops */

/* sum(f(x)) as a closure over f's n inputs. */
typedef struct { opfn f; const void *arg; } sum_ctx;
static em_status sum_call(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const sum_ctx *c = ctx;
    em_array *y = c->f(in, c->arg);
    em_array *s = em_sum(y, NULL, -1, false);
    em_status st = s ? em_array_list_push(out, s) : em_error_code();
    em_array_release(y);
    em_array_release(s);
    return st;
}

/* The gradient of sum(f) with respect to input `which`. */
typedef struct { opfn f; const void *arg; int n, which; } grad_arg;
static em_array *grad_op(em_array *const *in, const void *arg) {
    const grad_arg *g = arg;
    sum_ctx c = {g->f, g->arg};
    em_closure *h = em_closure_new(sum_call, &c, NULL);
    em_closure *gr = em_grad(h, &g->which, 1);
    em_array_list *out = em_array_list_new();
    em_array *r = NULL;
    if (gr && em_closure_call(gr, in, (size_t)g->n, out) == EM_OK) r = em_array_retain(em_array_list_get(out, 0));
    em_array_list_free(out);
    em_closure_release(gr);
    em_closure_release(h);
    return r;
}

/* The jvp of f at in[0..n) along in[n..2n). */
typedef struct { opfn f; const void *arg; int n; } jvp_arg;
static em_array *jvp_op(em_array *const *in, const void *arg) {
    const jvp_arg *j = arg;
    op_ctx c = {j->f, j->arg};
    em_closure *h = em_closure_new(op_call, &c, NULL);
    em_array_list *out = em_array_list_new(), *tan = em_array_list_new();
    em_array *r = NULL;
    if (em_jvp(h, in, (size_t)j->n, in + j->n, (size_t)j->n, out, tan) == EM_OK)
        r = em_array_retain(em_array_list_get(tan, 0));
    em_array_list_free(out);
    em_array_list_free(tan);
    em_closure_release(h);
    return r;
}

/* vmap(f) over fixed axes, as an op. */
typedef struct { opfn f; const void *arg; int n; const int *axes; int out_axis; } vmap_arg;
static em_array *vmap_op(em_array *const *in, const void *arg) {
    const vmap_arg *v = arg;
    return run_vmap(v->f, v->arg, in, v->n, v->axes, v->out_axis);
}

static em_array *rand64(const int64_t *elem, int nd, int axis, double lo, double hi) {
    int64_t s[EM_MAX_NDIM];
    int k = batched_shape(elem, nd, axis, 3, s);
    return rand_array(s, k, EM_FLOAT64, lo, hi);
}

/* ---------------------------------------------------------------- tests */

/* vmap(grad(f)) against the loop, for the gradient of every input. */
static void test_vmap_of_grad(void) {
    for (size_t c = 0; c < NCASES; c++) {
        const ccase *k = &CASES[c];
        const int64_t *elem[] = {k->elem[0], k->elem[1]};
        for (int w = 0; w < k->n; w++) {
            grad_arg g = {k->f, NULL, k->n, w};
            char name[64];
            snprintf(name, sizeof name, "vmap(grad(%s), %d)", k->name, w);
            check_all_axes(name, grad_op, &g, k->n, elem, k->nd,
                           (em_dtype[]){EM_FLOAT64, EM_FLOAT64}, k->lo, k->hi, 1e-9);
        }
    }
}

/* grad(sum(vmap(f))) equals vmap(grad(sum(f))) where the input is mapped,
 * and its sum over the batch where it is not. */
static void test_grad_of_vmap(void) {
    for (size_t c = 0; c < NCASES; c++) {
        const ccase *k = &CASES[c];
        int choice[2] = {0, 0};
        for (;;) {
            int axes[2] = {choice[0] - 1, choice[1] - 1};
            if (axes[0] >= 0 || (k->n > 1 && axes[1] >= 0)) {
                em_array *in[2] = {NULL, NULL};
                for (int i = 0; i < k->n; i++) in[i] = rand64(k->elem[i], k->nd[i], axes[i], k->lo, k->hi);
                for (int w = 0; w < k->n; w++) {
                    vmap_arg va = {k->f, NULL, k->n, axes, 0};
                    grad_arg g1 = {vmap_op, &va, k->n, w};
                    em_array *got = grad_op(in, &g1);
                    grad_arg g2 = {k->f, NULL, k->n, w};
                    em_array *per = run_vmap(grad_op, &g2, in, k->n, axes, axes[w] >= 0 ? axes[w] : 0);
                    em_array *want = axes[w] >= 0 ? em_array_retain(per) : em_sum(per, AX(0), 1, false);
                    CHECK_MSG(same_array(got, want, 1e-9), "grad(vmap(%s)) input %d, axes %d %d: %s",
                              k->name, w, axes[0], axes[1], em_error_message());
                    em_error_clear();
                    em_array_release(got);
                    em_array_release(per);
                    em_array_release(want);
                }
                em_array_release(in[0]);
                em_array_release(in[1]);
            }
            int i = 0;
            while (i < k->n && ++choice[i] == k->nd[i] + 2) choice[i++] = 0;
            if (i == k->n) break;
        }
    }
}

/* vmap(jvp(f)) against the loop; jvp(vmap(f)) against vmap(jvp(f)). */
static void test_jvp(void) {
    for (size_t c = 0; c < NCASES; c++) {
        const ccase *k = &CASES[c];
        if (k->n != 1) continue;
        jvp_arg j = {k->f, NULL, 1};
        const int64_t *elem[] = {k->elem[0], k->elem[0]};
        char name[64];
        snprintf(name, sizeof name, "vmap(jvp(%s))", k->name);
        check_all_axes(name, jvp_op, &j, 2, elem, (int[]){k->nd[0], k->nd[0]},
                       (em_dtype[]){EM_FLOAT64, EM_FLOAT64}, k->lo, k->hi, 1e-9);
        for (int ax = 0; ax <= k->nd[0]; ax++) {
            em_array *x = rand64(k->elem[0], k->nd[0], ax, k->lo, k->hi);
            em_array *t = rand64(k->elem[0], k->nd[0], ax, -1, 1);
            vmap_arg va = {k->f, NULL, 1, (int[]){ax}, 0};
            jvp_arg jv = {vmap_op, &va, 1};
            em_array *got = jvp_op(ARR(x, t), &jv);
            em_array *want = run_vmap(jvp_op, &j, ARR(x, t), 2, (int[]){ax, ax}, 0);
            CHECK_MSG(same_array(got, want, 1e-9), "jvp(vmap(%s)) axis %d", k->name, ax);
            em_array_release(got);
            em_array_release(want);
            em_array_release(x);
            em_array_release(t);
        }
    }
}

/* Deeper nests. */
static void test_nests(void) {
    /* vmap(vmap(grad(f))): x (4, 3, 2, 3), both batch axes over a (2, 3)
     * element; the gradient of sum(sin(x)) is cos(x) */
    grad_arg g = {u_sin, NULL, 1, 0};
    vmap_arg inner = {grad_op, &g, 1, (int[]){1}, 1};
    em_array *x = rand_array(SH(4, 3, 2, 3), 4, EM_FLOAT64, -2, 2);
    em_array *got = run_vmap(vmap_op, &inner, &x, 1, (int[]){0}, 0);
    em_array *want = em_cos(x);
    CHECK(same_array(got, want, 1e-12));
    em_array_release(got);
    em_array_release(want);
    /* grad(vmap(vmap(f))) */
    vmap_arg v1 = {u_sin, NULL, 1, (int[]){1}, 1};
    vmap_arg v2 = {vmap_op, &v1, 1, (int[]){0}, 0};
    grad_arg g2 = {vmap_op, &v2, 1, 0};
    got = grad_op(&x, &g2);
    want = em_cos(x);
    CHECK(same_array(got, want, 1e-12));
    em_array_release(got);
    em_array_release(want);
    /* vmap(grad(sum(grad(sum(x^2))))): d/dx sum(2x) = 2 */
    grad_arg gs = {u_square, NULL, 1, 0};      /* 2x */
    grad_arg gg = {grad_op, &gs, 1, 0};        /* d/dx sum(2x) = 2 */
    em_array *y = rand_array(SH(3, 2), 2, EM_FLOAT64, -2, 2);
    got = run_vmap(grad_op, &gg, &y, 1, (int[]){1}, 1);
    em_array *two = em_full_double(SH(3, 2), 2, 2, EM_FLOAT64);
    CHECK(same_array(got, two, 0));
    em_array_release(got);
    em_array_release(two);
    em_array_release(y);
    em_array_release(x);
}

/* ---------------------------------------------------------------- custom rules under vmap */

/* f(x, y) = sin(x) * y, with a vjp giving (5 * cot * y, 7 * cot) and a jvp
 * giving 3 * tx + ty: distinguishable from the true derivatives. */
static em_status cf_fun(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *s = em_sin(in[0]), *r = em_multiply(s, in[1]);
    em_status st = r ? em_array_list_push(out, r) : em_error_code();
    em_array_release(s);
    em_array_release(r);
    return st;
}
static em_status cf_vjp(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n; /* x, y, cot, out */
    em_array *k5 = em_array_from_double(5, EM_FLOAT64), *k7 = em_array_from_double(7, EM_FLOAT64);
    em_array *a = em_multiply(in[2], k5), *ga = em_multiply(a, in[1]), *gb = em_multiply(in[2], k7);
    em_status st = em_array_list_push(out, ga);
    if (st == EM_OK) st = em_array_list_push(out, gb);
    em_array *tmp[] = {k5, k7, a, ga, gb};
    for (size_t i = 0; i < 5; i++) em_array_release(tmp[i]);
    return st;
}
static em_status cf_jvp(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n; /* x, y, tx, ty */
    em_array *k3 = em_array_from_double(3, EM_FLOAT64), *a = em_multiply(in[2], k3), *r = em_add(a, in[3]);
    em_status st = r ? em_array_list_push(out, r) : em_error_code();
    em_array_release(k3);
    em_array_release(a);
    em_array_release(r);
    return st;
}

static em_array *closure_op(em_array *const *in, const void *arg) {
    em_array_list *out = em_array_list_new();
    em_array *r = NULL;
    if (em_closure_call((em_closure *)arg, in, 2, out) == EM_OK) r = em_array_retain(em_array_list_get(out, 0));
    em_array_list_free(out);
    return r;
}

/* grad(vmap(f)) and jvp(vmap(f)) use f's custom rules, as vmap(grad(f))
 * and vmap(jvp(f)) do: x (3, 4) mapped, y (4) unmapped (its cotangent is the
 * sum over the batch). */
static void test_custom_rules(void) {
    em_closure *fun = em_closure_new(cf_fun, NULL, NULL), *vjp = em_closure_new(cf_vjp, NULL, NULL);
    em_closure *jvp = em_closure_new(cf_jvp, NULL, NULL);
    em_closure *cf = em_custom_function(fun, vjp, jvp, NULL);
    em_array *x = rand_array(SH(4, 3), 2, EM_FLOAT64, -2, 2), *y = rand_array(SH(3), 1, EM_FLOAT64, -2, 2);
    for (int ax = 0; ax < 2; ax++) {
        em_array *xb = ax ? em_transpose(x, NULL, 0) : em_array_retain(x);
        for (int w = 0; w < 2; w++) {
            vmap_arg va = {closure_op, cf, 2, (int[]){ax, NONE}, 0};
            grad_arg g1 = {vmap_op, &va, 2, w};
            em_array *got = grad_op(ARR(xb, y), &g1);
            grad_arg g2 = {closure_op, cf, 2, w};
            em_array *per = run_vmap(grad_op, &g2, ARR(xb, y), 2, (int[]){ax, NONE}, w ? 0 : ax);
            em_array *want = w ? em_sum(per, AX(0), 1, false) : em_array_retain(per);
            CHECK_MSG(same_array(got, want, 1e-12), "grad(vmap(custom)) axis %d input %d", ax, w);
            /* and they are the custom rule's numbers: 5 * y, 7 * batch */
            em_array *k = em_array_from_double(w ? 7 * 4 : 5, EM_FLOAT64);
            em_array *exact = w ? em_full(SH(3), 1, k, EM_FLOAT64) : NULL;
            if (!w) {
                em_array *t = em_multiply(y, k), *t2 = em_reshape(t, ax ? SH(3, 1) : SH(1, 3), 2);
                exact = em_broadcast_to(t2, em_array_shape(xb), 2);
                em_array_release(t);
                em_array_release(t2);
            }
            CHECK_MSG(same_array(got, exact, 1e-12), "custom vjp under vmap, input %d", w);
            em_array_release(k);
            em_array_release(exact);
            em_array_release(got);
            em_array_release(per);
            em_array_release(want);
        }
        /* jvp(vmap(f)): 3 tx + ty */
        em_array *tx = rand_array(em_array_shape(xb), 2, EM_FLOAT64, -1, 1);
        em_array *ty = rand_array(SH(3), 1, EM_FLOAT64, -1, 1);
        vmap_arg va = {closure_op, cf, 2, (int[]){ax, NONE}, 0};
        op_ctx c = {vmap_op, &va};
        em_closure *h = em_closure_new(op_call, &c, NULL);
        em_array_list *o = em_array_list_new(), *t = em_array_list_new();
        CHECK(em_jvp(h, ARR(xb, y), 2, ARR(tx, ty), 2, o, t) == EM_OK);
        em_array *ty2 = em_reshape(ty, ax ? SH(3, 1) : SH(1, 3), 2);
        em_array *k3 = em_array_from_double(3, EM_FLOAT64), *a = em_multiply(tx, k3), *b = em_add(a, ty2);
        em_array *want = ax ? em_transpose(b, NULL, 0) : em_array_retain(b);
        CHECK_MSG(same_array(em_array_list_get(t, 0), want, 1e-12), "custom jvp under vmap axis %d", ax);
        em_array *tmp[] = {k3, a, b, want, tx, ty, ty2, xb};
        for (size_t i = 0; i < 8; i++) em_array_release(tmp[i]);
        em_array_list_free(o);
        em_array_list_free(t);
        em_closure_release(h);
    }
    /* two levels of vmap, then grad: still the custom vjp */
    em_array *x3 = rand_array(SH(2, 4, 3), 3, EM_FLOAT64, -2, 2);
    vmap_arg inner = {closure_op, cf, 2, (int[]){0, NONE}, 0};
    vmap_arg outer = {vmap_op, &inner, 2, (int[]){1, NONE}, 0};
    grad_arg g = {vmap_op, &outer, 2, 1};
    em_array *got = grad_op(ARR(x3, y), &g);
    em_array *k = em_array_from_double(7 * 8, EM_FLOAT64), *exact = em_full(SH(3), 1, k, EM_FLOAT64);
    CHECK(same_array(got, exact, 1e-12));
    em_array_release(got);
    em_array_release(k);
    em_array_release(exact);
    em_array_release(x3);
    /* checkpoint: values and gradients unchanged under vmap */
    em_closure *ck = em_checkpoint(fun);
    vmap_arg vc = {closure_op, ck, 2, (int[]){0, NONE}, 0};
    grad_arg gc = {vmap_op, &vc, 2, 0};
    got = grad_op(ARR(x, y), &gc);
    em_array *cx = em_cos(x), *want = em_multiply(cx, y);
    CHECK(same_array(got, want, 1e-12));
    em_array_release(cx);
    em_array_release(want);
    em_array_release(got);
    em_closure_release(ck);
    em_array_release(x);
    em_array_release(y);
    em_closure_release(cf);
    em_closure_release(jvp);
    em_closure_release(vjp);
    em_closure_release(fun);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_vmap_of_grad();
    test_grad_of_vmap();
    test_jvp();
    test_nests();
    test_custom_rules();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
