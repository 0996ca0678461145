/* test_autodiff.c -- vjp and jvp of every differentiable op against central
 * finite differences in float64 (random inputs of several shapes, broadcasting
 * included), the same check applied to transformed functions (grad of grad,
 * jvp of grad, ...), zero derivatives where MLX has them, custom_function,
 * checkpoint, stop_gradient, eval inside a traced function, the errors and
 * their messages, and that nothing leaks. */
#include "check.h"
#include "core/node.h"

/* ---------------------------------------------------------------- helpers */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double urand(double lo, double hi) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(rng >> 11) / 9007199254740992.0;
}

static em_array *rand_array(const int64_t *shape, int nd, double lo, double hi) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = urand(lo, hi);
    em_array *a = em_array_from_data(v, shape, nd, EM_FLOAT64);
    free(v);
    return a;
}

static em_array *f64(const double *v, const int64_t *shape, int nd) {
    return em_array_from_data(v, shape, nd, EM_FLOAT64);
}

static em_array *scalar(double v) { return em_array_from_double(v, EM_FLOAT64); }

/* An op under test: n inputs to one output. */
typedef em_array *(*op_fn)(em_array *const *x);

static em_status op_closure_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    op_fn f = *(op_fn *)ctx;
    em_array *y = f(in);
    em_status s = em_array_list_push(out, y);
    em_array_release(y);
    return s;
}

static void free_ctx(void *ctx) { free(ctx); }

static em_closure *closure_of(op_fn f) {
    op_fn *ctx = malloc(sizeof *ctx);
    *ctx = f;
    return em_closure_new(op_closure_fn, ctx, free_ctx);
}

/* Sum over outputs of <w_k, f_k(x)> where x = base + s * dir (dir over all
 * inputs, NULL entries meaning 0). */
static double probe(em_closure *f, em_array *const *base, em_array *const *dir, double s, int nin,
                    em_array *const *w) {
    em_array *x[8];
    for (int i = 0; i < nin; i++) {
        em_array *k = scalar(s);
        em_array *step = dir[i] ? em_multiply(dir[i], k) : NULL;
        em_array_release(k);
        x[i] = step ? em_add(base[i], step) : em_array_retain(base[i]);
        em_array_release(step);
    }
    em_array_list *out = em_array_list_new();
    double total = 0;
    if (em_closure_call(f, x, (size_t)nin, out) == EM_OK) {
        for (size_t k = 0; k < em_array_list_size(out); k++) {
            em_array *y = em_array_list_get(out, k);
            double *v = check_values(y), *wv = check_values(w[k]);
            for (int64_t j = 0; v && wv && j < em_array_size(y); j++) total += v[j] * wv[j];
            free(v);
            free(wv);
        }
    } else {
        total = NAN;
    }
    em_array_list_free(out);
    for (int i = 0; i < nin; i++) em_array_release(x[i]);
    return total;
}

/* Central differences of probe along dir. */
static double fd(em_closure *f, em_array *const *x, em_array *const *dir, int nin, em_array *const *w) {
    const double h = 1e-6;
    return (probe(f, x, dir, h, nin, w) - probe(f, x, dir, -h, nin, w)) / (2 * h);
}

static double dot(em_array *a, em_array *b) {
    double *u = check_values(a), *v = check_values(b), s = 0;
    for (int64_t j = 0; u && v && j < em_array_size(a); j++) s += u[j] * v[j];
    free(u);
    free(v);
    return s;
}

/* Checks f's vjp and jvp at random x (shapes[i] of rank nds[i], values in
 * [lo, hi]) against finite differences: the vjp element by element, the jvp
 * along a random direction. */
static void check_fd(const char *name, em_closure *f, int nin, const int64_t (*shapes)[4],
                     const int *nds, double lo, double hi, double tol) {
    em_array *x[8], *t[8], *e[8] = {0};
    for (int i = 0; i < nin; i++) {
        x[i] = rand_array(shapes[i], nds[i], lo, hi);
        t[i] = rand_array(shapes[i], nds[i], -1, 1);
    }
    em_array_list *out = em_array_list_new(), *g = em_array_list_new(), *jv = em_array_list_new();
    CHECK_MSG(em_closure_call(f, x, (size_t)nin, out) == EM_OK, "%s: %s", name, em_error_message());
    size_t m = em_array_list_size(out);
    em_array *w[8];
    for (size_t k = 0; k < m; k++) {
        em_array *y = em_array_list_get(out, k);
        w[k] = rand_array(em_array_shape(y), em_array_ndim(y), -1, 1);
    }
    /* vjp, element by element */
    if (em_vjp(f, x, (size_t)nin, w, m, out, g) != EM_OK) {
        CHECK_MSG(0, "%s: vjp failed: %s", name, em_error_message());
        em_error_clear();
    } else {
        for (int i = 0; i < nin; i++) {
            em_array *gi = em_array_list_get(g, (size_t)i);
            CHECK_MSG(em_array_dtype(gi) == EM_FLOAT64 && check_shape(gi, nds[i], shapes[i]),
                      "%s: vjp %d has the wrong dtype or shape", name, i);
            double *gv = check_values(gi);
            int64_t n = em_array_size(x[i]);
            double *unit = calloc((size_t)(n ? n : 1), sizeof *unit);
            for (int64_t j = 0; gv && j < n; j++) {
                unit[j] = 1;
                em_array *dir[8] = {0};
                dir[i] = f64(unit, shapes[i], nds[i]);
                double want = fd(f, x, dir, nin, w);
                CHECK_MSG(fabs(gv[j] - want) <= tol * (1 + fabs(want)),
                          "%s: vjp input %d element %lld: got %.10g, finite differences %.10g", name, i,
                          (long long)j, gv[j], want);
                em_array_release(dir[i]);
                unit[j] = 0;
            }
            free(unit);
            free(gv);
        }
    }
    /* jvp along t */
    if (em_jvp(f, x, (size_t)nin, t, (size_t)nin, out, jv) != EM_OK) {
        CHECK_MSG(0, "%s: jvp failed: %s", name, em_error_message());
        em_error_clear();
    } else {
        double got = 0;
        for (size_t k = 0; k < m; k++) got += dot(em_array_list_get(jv, k), w[k]);
        double want = fd(f, x, t, nin, w);
        CHECK_MSG(fabs(got - want) <= tol * (1 + fabs(want)),
                  "%s: jvp: got %.10g, finite differences %.10g", name, got, want);
    }
    for (size_t k = 0; k < m; k++) em_array_release(w[k]);
    for (int i = 0; i < nin; i++) {
        em_array_release(x[i]);
        em_array_release(t[i]);
        em_array_release(e[i]);
    }
    em_array_list_free(out);
    em_array_list_free(g);
    em_array_list_free(jv);
}

typedef struct op_case {
    const char *name;
    op_fn fn;
    int nin;
    double lo, hi;
} op_case;

/* Every case on a few shape sets. Unary: (), (3), (2,3); binary also with
 * broadcasting. */
static void check_cases(const op_case *cases, int n, double tol) {
    static const int64_t shapes1[3][4] = {{0}, {3}, {2, 3}};
    static const int nds1[3] = {0, 1, 2};
    static const int64_t shapes2[4][2][4] = {
        {{0}, {0}}, {{3}, {3}}, {{2, 3}, {3}}, {{3, 1}, {1, 4}}};
    static const int nds2[4][2] = {{0, 0}, {1, 1}, {2, 1}, {2, 2}};
    for (int c = 0; c < n; c++) {
        em_closure *f = closure_of(cases[c].fn);
        if (cases[c].nin == 1)
            for (int s = 0; s < 3; s++) check_fd(cases[c].name, f, 1, &shapes1[s], &nds1[s], cases[c].lo, cases[c].hi, tol);
        else
            for (int s = 0; s < 4; s++) check_fd(cases[c].name, f, 2, shapes2[s], nds2[s], cases[c].lo, cases[c].hi, tol);
        em_closure_release(f);
    }
}

/* ---------------------------------------------------------------- ops */

#define U(fn) static em_array *u_##fn(em_array *const *x) { return em_##fn(x[0]); }
U(abs) U(negative) U(exp) U(expm1) U(log) U(log1p) U(log2) U(log10) U(sqrt) U(rsqrt)
U(square) U(reciprocal) U(sin) U(cos) U(tan) U(arcsin) U(arccos) U(arctan) U(sinh)
U(cosh) U(tanh) U(arcsinh) U(arccosh) U(arctanh) U(erf) U(erfinv) U(sigmoid) U(floor)
U(ceil) U(sign) U(degrees) U(radians) U(copy) U(stop_gradient)
static em_array *u_round(em_array *const *x) { return em_round(x[0], 0); }
static em_array *u_round2(em_array *const *x) { return em_round(x[0], 2); }
static em_array *u_nan_to_num(em_array *const *x) { return em_nan_to_num(x[0], 0, NULL, NULL); }

#define B(fn) static em_array *b_##fn(em_array *const *x) { return em_##fn(x[0], x[1]); }
B(add) B(subtract) B(multiply) B(divide) B(power) B(maximum) B(minimum) B(logaddexp)
B(arctan2) B(remainder) B(floor_divide)

static const op_case UNARY[] = {
    {"abs", u_abs, 1, -2, 2}, {"negative", u_negative, 1, -2, 2}, {"exp", u_exp, 1, -2, 2},
    {"expm1", u_expm1, 1, -2, 2}, {"log", u_log, 1, 0.5, 3}, {"log1p", u_log1p, 1, -0.5, 3},
    {"log2", u_log2, 1, 0.5, 3}, {"log10", u_log10, 1, 0.5, 3}, {"sqrt", u_sqrt, 1, 0.5, 3},
    {"rsqrt", u_rsqrt, 1, 0.5, 3}, {"square", u_square, 1, -2, 2},
    {"reciprocal", u_reciprocal, 1, 0.5, 3}, {"sin", u_sin, 1, -3, 3}, {"cos", u_cos, 1, -3, 3},
    {"tan", u_tan, 1, -1.2, 1.2}, {"arcsin", u_arcsin, 1, -0.8, 0.8},
    {"arccos", u_arccos, 1, -0.8, 0.8}, {"arctan", u_arctan, 1, -3, 3}, {"sinh", u_sinh, 1, -2, 2},
    {"cosh", u_cosh, 1, -2, 2}, {"tanh", u_tanh, 1, -2, 2}, {"arcsinh", u_arcsinh, 1, -2, 2},
    {"arccosh", u_arccosh, 1, 1.2, 3}, {"arctanh", u_arctanh, 1, -0.8, 0.8},
    {"erf", u_erf, 1, -2, 2}, {"erfinv", u_erfinv, 1, -0.8, 0.8},
    {"sigmoid", u_sigmoid, 1, -3, 3}, {"floor", u_floor, 1, -3, 3}, {"ceil", u_ceil, 1, -3, 3},
    {"round", u_round, 1, -3, 3}, {"round(2)", u_round2, 1, -3, 3}, {"sign", u_sign, 1, -3, 3},
    {"degrees", u_degrees, 1, -3, 3}, {"radians", u_radians, 1, -3, 3}, {"copy", u_copy, 1, -3, 3},
    {"nan_to_num", u_nan_to_num, 1, -3, 3},
};

static const op_case BINARY[] = {
    {"add", b_add, 2, -2, 2}, {"subtract", b_subtract, 2, -2, 2},
    {"multiply", b_multiply, 2, -2, 2}, {"divide", b_divide, 2, 0.5, 2},
    {"power", b_power, 2, 0.5, 2}, {"maximum", b_maximum, 2, -2, 2},
    {"minimum", b_minimum, 2, -2, 2}, {"logaddexp", b_logaddexp, 2, -2, 2},
    {"arctan2", b_arctan2, 2, 0.2, 2}, {"remainder", b_remainder, 2, 0.3, 3},
    {"floor_divide", b_floor_divide, 2, 0.3, 3},
};

/* ---------------------------------------------------------------- reductions */

static const int AX0[] = {0}, AX1[] = {1}, AX01[] = {0, 1}, AXN[] = {-1};
#define R(fn, axes, n, keep) static em_array *r_##fn##_##axes##keep(em_array *const *x) { return em_##fn(x[0], axes, n, keep); }
#define RALL(fn) R(fn, AX0, 1, false) R(fn, AX1, 1, true) R(fn, AX01, 2, false) R(fn, AXN, -1, false)
RALL(sum) RALL(prod) RALL(max) RALL(min) RALL(mean) RALL(logsumexp)
static em_array *r_var(em_array *const *x) { return em_var(x[0], AX1, 1, false, 0); }
static em_array *r_std(em_array *const *x) { return em_std(x[0], AX0, 1, true, 1); }
static em_array *r_var_all(em_array *const *x) { return em_var(x[0], NULL, -1, false, 0); }
#define RCASES(fn) {#fn "(0)", r_##fn##_AX0false, 1, -2, 2}, {#fn "(1,keep)", r_##fn##_AX1true, 1, -2, 2}, \
    {#fn "(0,1)", r_##fn##_AX01false, 1, -2, 2}, {#fn "(all)", r_##fn##_AXNfalse, 1, -2, 2}
static const op_case REDUCE[] = {
    RCASES(sum), RCASES(prod), RCASES(max), RCASES(min), RCASES(mean), RCASES(logsumexp),
    {"var(1)", r_var, 1, -2, 2}, {"std(0,keep,ddof1)", r_std, 1, -2, 2}, {"var(all)", r_var_all, 1, -2, 2},
};

/* The reductions on (2,3,4) inputs (the axis sets above). */
static void check_reductions(void) {
    static const int64_t shape[1][4] = {{2, 3, 4}};
    static const int nd[1] = {3};
    for (size_t c = 0; c < sizeof REDUCE / sizeof *REDUCE; c++) {
        em_closure *f = closure_of(REDUCE[c].fn);
        check_fd(REDUCE[c].name, f, 1, shape, nd, REDUCE[c].lo, REDUCE[c].hi, 1e-6);
        em_closure_release(f);
    }
}

/* prod with zeros: the derivative is the product of the others. */
static void check_prod_zeros(void) {
    static const double v[] = {2, 0, 3, 4, 0, 0};
    static const int64_t sh[] = {2, 3};
    em_closure *f = closure_of(r_prod_AX1true);
    em_array *x = f64(v, sh, 2), *c = em_ones((int64_t[]){2, 1}, 2, EM_FLOAT64);
    em_array_list *out = em_array_list_new(), *g = em_array_list_new();
    CHECK(em_vjp(f, &x, 1, &c, 1, out, g) == EM_OK);
    double *gv = check_values(em_array_list_get(g, 0));
    static const double want[] = {0, 6, 0, 0, 0, 0};
    for (int i = 0; gv && i < 6; i++) CHECK_CLOSE(gv[i], want[i], 0);
    free(gv);
    em_array_list_free(out);
    em_array_list_free(g);
    em_array_release(x);
    em_array_release(c);
    em_closure_release(f);
}

/* ---------------------------------------------------------------- shapes */

static em_array *v_reshape(em_array *const *x) { return em_reshape(x[0], (int64_t[]){3, 2, 4}, 3); }
static em_array *v_transpose(em_array *const *x) { return em_transpose(x[0], (int[]){2, 0, 1}, 3); }
static em_array *v_swap(em_array *const *x) { return em_swapaxes(x[0], 0, 2); }
static em_array *v_slice(em_array *const *x) {
    return em_slice(x[0], (int64_t[]){1, 0, 1}, (int64_t[]){2, 3, 4}, (int64_t[]){1, 2, 2}, 3);
}
static em_array *v_slice_neg(em_array *const *x) {
    return em_slice(x[0], (int64_t[]){-1, 2, 3}, (int64_t[]){-3, -4, 0}, (int64_t[]){-1, -1, -2}, 3);
}
static em_array *v_slice_step3(em_array *const *x) {
    return em_slice(x[0], (int64_t[]){0, 0, 0}, (int64_t[]){2, 3, 4}, (int64_t[]){1, 1, 3}, 3);
}
static em_array *v_broadcast(em_array *const *x) {
    em_array *s = em_slice(x[0], (int64_t[]){0, 0, 0}, (int64_t[]){2, 1, 4}, NULL, 3);
    em_array *r = em_broadcast_to(s, (int64_t[]){5, 2, 3, 4}, 4);
    em_array_release(s);
    return r;
}
static em_array *v_squeeze_expand(em_array *const *x) {
    em_array *e = em_expand_dims(x[0], (int[]){0, 2}, 2);
    em_array *r = em_squeeze(e, (int[]){0}, 1);
    em_array_release(e);
    return r;
}
static em_array *v_moveaxis(em_array *const *x) { return em_moveaxis(x[0], 0, -1); }
static em_array *v_flatten(em_array *const *x) { return em_flatten(x[0], 1, 2); }
static em_array *v_split(em_array *const *x) {
    em_array *parts[3];
    size_t n;
    if (em_split(x[0], 0, (int64_t[]){1, 3}, 2, 2, parts, 3, &n) != EM_OK) return NULL;
    em_array *r = em_multiply(parts[0], parts[2]);
    em_array *q = em_subtract(r, parts[1]);
    em_array *out = em_sum(q, NULL, -1, false);
    for (size_t i = 0; i < n; i++) em_array_release(parts[i]);
    em_array_release(r);
    em_array_release(q);
    return out;
}
static em_array *j_concat(em_array *const *x) {
    em_array *s = em_sin(x[0]);
    const em_array *parts[3] = {x[0], s, x[0]};
    em_array *r = em_concatenate(parts, 3, 1);
    em_array_release(s);
    return r;
}
static em_array *j_stack(em_array *const *x) {
    em_array *s = em_exp(x[0]);
    const em_array *parts[2] = {s, x[0]};
    em_array *r = em_stack(parts, 2, -1);
    em_array_release(s);
    return r;
}
static em_array *j_pad(em_array *const *x) {
    return em_pad(x[0], (int64_t[]){1, 0, 0, 2, 2, 1}, 3, EM_PAD_CONSTANT, NULL);
}
static em_array *j_pad_edge(em_array *const *x) {
    return em_pad(x[0], (int64_t[]){1, 2, 0, 2, 3, 1}, 3, EM_PAD_EDGE, NULL);
}
static em_array *j_pad_value(em_array *const *x) {
    em_array *v = em_sum(x[0], NULL, -1, false);
    em_array *r = em_pad(x[0], (int64_t[]){1, 1}, 1, EM_PAD_CONSTANT, v);
    em_array_release(v);
    return r;
}
static em_array *j_tile(em_array *const *x) { return em_tile(x[0], (int64_t[]){2, 1, 2}, 3); }
static em_array *j_repeat(em_array *const *x) { return em_repeat(x[0], 3, (int[]){1}); }
static em_array *c_full(em_array *const *x) {
    em_array *v = em_sum(x[0], NULL, -1, false);
    em_array *r = em_full((int64_t[]){2, 2}, 2, v, EM_FLOAT64);
    em_array_release(v);
    return r;
}
static em_array *c_astype(em_array *const *x) {
    em_array *a = em_astype(x[0], EM_FLOAT32);
    em_array *b = em_astype(a, EM_FLOAT64);
    em_array_release(a);
    return b;
}
static em_array *t_where(em_array *const *x) {
    em_array *z = scalar(0);
    em_array *c = em_greater(x[0], z);
    em_array *s = em_sin(x[0]);
    em_array *r = em_where(c, x[0], s);
    em_array_release(z);
    em_array_release(c);
    em_array_release(s);
    return r;
}
static em_array *t_clip(em_array *const *x) {
    em_array *lo = scalar(-0.5), *hi = scalar(0.5);
    em_array *r = em_clip(x[0], lo, hi);
    em_array_release(lo);
    em_array_release(hi);
    return r;
}
static em_array *t_tril(em_array *const *x) { return em_triu(x[0], 1); }

static const op_case SHAPES[] = {
    {"reshape", v_reshape, 1, -2, 2}, {"transpose", v_transpose, 1, -2, 2},
    {"swapaxes", v_swap, 1, -2, 2}, {"slice", v_slice, 1, -2, 2},
    {"slice(negative steps)", v_slice_neg, 1, -2, 2}, {"slice(step 3)", v_slice_step3, 1, -2, 2},
    {"broadcast_to", v_broadcast, 1, -2, 2}, {"squeeze/expand_dims", v_squeeze_expand, 1, -2, 2},
    {"moveaxis", v_moveaxis, 1, -2, 2}, {"flatten", v_flatten, 1, -2, 2}, {"split", v_split, 1, -2, 2},
    {"concatenate", j_concat, 1, -2, 2}, {"stack", j_stack, 1, -2, 2}, {"pad", j_pad, 1, -2, 2},
    {"pad(edge)", j_pad_edge, 1, -2, 2}, {"pad(value)", j_pad_value, 1, -2, 2},
    {"tile", j_tile, 1, -2, 2}, {"repeat", j_repeat, 1, -2, 2}, {"full", c_full, 1, -2, 2},
    {"where", t_where, 1, -2, 2}, {"clip", t_clip, 1, -2, 2}, {"triu", t_tril, 1, -2, 2},
};

static void check_shapes(void) {
    static const int64_t shape[1][4] = {{2, 3, 4}};
    static const int nd[1] = {3};
    for (size_t c = 0; c < sizeof SHAPES / sizeof *SHAPES; c++) {
        em_closure *f = closure_of(SHAPES[c].fn);
        check_fd(SHAPES[c].name, f, 1, shape, nd, SHAPES[c].lo, SHAPES[c].hi, 1e-6);
        em_closure_release(f);
    }
    /* astype passes the cotangent through (float32 is too coarse for finite
     * differences with this step) */
    em_closure *f = closure_of(c_astype);
    em_array *x = rand_array(shape[0], 3, -2, 2), *c = rand_array(shape[0], 3, -2, 2);
    em_array_list *out = em_array_list_new(), *g = em_array_list_new();
    CHECK(em_vjp(f, &x, 1, &c, 1, out, g) == EM_OK);
    CHECK_CLOSE(dot(em_array_list_get(g, 0), c), dot(c, c), 1e-6);
    em_array_list_free(out);
    em_array_list_free(g);
    em_array_release(x);
    em_array_release(c);
    em_closure_release(f);
}

/* ---------------------------------------------------------------- indexing */

static em_array *idx_array(const int32_t *v, int64_t n) {
    return em_array_from_data(v, &n, 1, EM_INT32);
}
static em_array *i_gather(em_array *const *x) { /* windows (1,2,4) at rows 1,0,1 of axis 0, cols 0,1,0 */
    em_array *i0 = idx_array((int32_t[]){1, 0, 1}, 3), *i1 = idx_array((int32_t[]){0, 1, 0}, 3);
    const em_array *ix[2] = {i0, i1};
    em_array *r = em_gather(x[0], ix, 2, (int[]){0, 1}, (int64_t[]){1, 2, 4}, 3);
    em_array_release(i0);
    em_array_release(i1);
    return r;
}
static em_array *i_take(em_array *const *x) {
    em_array *i = idx_array((int32_t[]){2, 0, -1, 2}, 4);
    em_array *r = em_take(x[0], i, 2, true);
    em_array_release(i);
    return r;
}
static em_array *i_take_along(em_array *const *x) {
    int64_t s[3] = {2, 1, 4};
    em_array *i = em_array_from_data((int32_t[]){2, 0, 1, 2, 0, 0, 1, 1}, s, 3, EM_INT32);
    em_array *r = em_take_along_axis(x[0], i, 1, true);
    em_array_release(i);
    return r;
}
/* scatters into swapaxes(x) (3, 2, 4) of squared windows (1, 2, 4) of it, at
 * rows 2, 0, 2: the repeated row is written twice */
static em_array *scatter_case(em_array *const *x, int which) {
    em_array *i = idx_array((int32_t[]){2, 0, 2}, 3);
    em_array *xt = em_swapaxes(x[0], 0, 1);
    em_array *win = em_reshape(xt, (int64_t[]){3, 1, 2, 4}, 4);
    em_array *upd = em_multiply(win, win);
    const em_array *ix[1] = {i};
    int ax = 0;
    em_array *r = which == 0 ? em_scatter(xt, ix, 1, upd, &ax)
                  : which == 1 ? em_scatter_add(xt, ix, 1, upd, &ax)
                  : which == 2 ? em_scatter_max(xt, ix, 1, upd, &ax)
                               : em_scatter_min(xt, ix, 1, upd, &ax);
    em_array *arr[] = {i, xt, win, upd};
    for (int k = 0; k < 4; k++) em_array_release(arr[k]);
    return r;
}
static em_array *i_scatter(em_array *const *x) { return scatter_case(x, 0); }
static em_array *i_scatter_add(em_array *const *x) { return scatter_case(x, 1); }
static em_array *i_scatter_max(em_array *const *x) { return scatter_case(x, 2); }
static em_array *i_scatter_min(em_array *const *x) { return scatter_case(x, 3); }
static em_array *axis_case(em_array *const *x, bool add) {
    int64_t s[3] = {2, 2, 4};
    em_array *i = em_array_from_data((int32_t[]){2, 0, 1, 2, 0, 0, 1, 1, 1, 1, 0, 2, 2, 2, 0, 1}, s, 3, EM_INT32);
    em_array *v = em_slice(x[0], (int64_t[]){0, 1, 0}, (int64_t[]){2, 3, 4}, NULL, 3);
    em_array *e = em_exp(v);
    em_array *r = add ? em_scatter_add_axis(x[0], i, e, 1) : em_put_along_axis(x[0], i, e, 1, true);
    em_array *arr[] = {i, v, e};
    for (int k = 0; k < 3; k++) em_array_release(arr[k]);
    return r;
}
static em_array *i_put_along(em_array *const *x) { return axis_case(x, false); }
static em_array *i_scatter_add_axis(em_array *const *x) { return axis_case(x, true); }
static em_array *i_slice_update(em_array *const *x) {
    em_array *u = em_slice(x[0], (int64_t[]){0, 0, 0}, (int64_t[]){2, 3, 2}, NULL, 3);
    em_array *c = em_cos(u);
    em_array *r = em_slice_update(x[0], c, (int64_t[]){0, 0, 3}, (int64_t[]){2, 3, 0}, (int64_t[]){1, 1, -2}, 3);
    em_array_release(u);
    em_array_release(c);
    return r;
}
static em_array *masked_case(em_array *const *x, bool repeated) {
    int64_t s[2] = {2, 3};
    em_array *m = em_array_from_data((bool[]){true, false, true, false, false, true}, s, 2, EM_BOOL);
    em_array *src = repeated ? em_slice(x[0], (int64_t[]){1, 1, 0}, (int64_t[]){2, 2, 4}, NULL, 3)
                             : em_slice(x[0], (int64_t[]){0, 0, 0}, (int64_t[]){1, 3, 4}, NULL, 3);
    em_array *t = em_tanh(src);
    em_array *r = em_masked_scatter(x[0], m, t);
    em_array *arr[] = {m, src, t};
    for (int k = 0; k < 3; k++) em_array_release(arr[k]);
    return r;
}
static em_array *i_masked(em_array *const *x) { return masked_case(x, false); }
static em_array *i_masked_repeated(em_array *const *x) { return masked_case(x, true); }

static const op_case INDEXING[] = {
    {"gather", i_gather, 1, -2, 2}, {"take", i_take, 1, -2, 2},
    {"take_along_axis", i_take_along, 1, -2, 2}, {"scatter", i_scatter, 1, -2, 2},
    {"scatter_add", i_scatter_add, 1, -2, 2}, {"scatter_max", i_scatter_max, 1, -2, 2},
    {"scatter_min", i_scatter_min, 1, -2, 2}, {"put_along_axis", i_put_along, 1, -2, 2},
    {"scatter_add_axis", i_scatter_add_axis, 1, -2, 2}, {"slice_update", i_slice_update, 1, -2, 2},
    {"masked_scatter", i_masked, 1, -2, 2}, {"masked_scatter(repeated)", i_masked_repeated, 1, -2, 2},
};

static void check_indexing(void) {
    static const int64_t shape[1][4] = {{2, 3, 4}};
    static const int nd[1] = {3};
    for (size_t c = 0; c < sizeof INDEXING / sizeof *INDEXING; c++) {
        em_closure *f = closure_of(INDEXING[c].fn);
        check_fd(INDEXING[c].name, f, 1, shape, nd, INDEXING[c].lo, INDEXING[c].hi, 1e-6);
        em_closure_release(f);
    }
}

/* ---------------------------------------------------------------- matmul */

static em_array *m_matmul(em_array *const *x) { return em_matmul(x[0], x[1]); }

static void check_matmul(void) {
    static const struct { int64_t s[2][4]; int nd[2]; } cases[] = {
        {{{2, 3}, {3, 4}}, {2, 2}}, {{{3}, {3, 4}}, {1, 2}}, {{{2, 3}, {3}}, {2, 1}},
        {{{3}, {3}}, {1, 1}}, {{{2, 2, 3}, {3, 4}}, {3, 2}}, {{{3}, {2, 3, 2}}, {1, 3}},
        {{{2, 1, 2, 3}, {4, 3, 2}}, {4, 3}}, {{{2, 2, 3}, {3}}, {3, 1}},
    };
    em_closure *f = closure_of(m_matmul);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        check_fd("matmul", f, 2, cases[c].s, cases[c].nd, -2, 2, 1e-6);
    em_closure_release(f);
}

/* ---------------------------------------------------------------- zeros */

/* f's vjp and jvp at x are zero (MLX's piecewise-constant and integer ops). */
static void check_zero(const char *name, op_fn fn, em_array *x, em_array *cot) {
    em_closure *f = closure_of(fn);
    em_array_list *out = em_array_list_new(), *g = em_array_list_new();
    CHECK_MSG(em_vjp(f, &x, 1, &cot, 1, out, g) == EM_OK, "%s: %s", name, em_error_message());
    em_array *gi = em_array_list_get(g, 0);
    CHECK_MSG(gi && em_array_dtype(gi) == em_array_dtype(x), "%s: vjp dtype", name);
    double *v = gi ? check_values(gi) : NULL;
    for (int64_t i = 0; v && i < em_array_size(x); i++) CHECK_MSG(v[i] == 0, "%s: vjp not zero", name);
    free(v);
    CHECK_MSG(em_jvp(f, &x, 1, &x, 1, out, g) == EM_OK, "%s: %s", name, em_error_message());
    v = em_array_list_size(g) ? check_values(em_array_list_get(g, 0)) : NULL;
    for (int64_t i = 0; v && i < em_array_size(em_array_list_get(g, 0)); i++)
        CHECK_MSG(v[i] == 0, "%s: jvp not zero", name);
    free(v);
    em_array_list_free(out);
    em_array_list_free(g);
    em_closure_release(f);
}

static em_array *z_less(em_array *const *x) {
    em_array *z = scalar(0);
    em_array *r = em_less(x[0], z);
    em_array_release(z);
    return r;
}
static em_array *z_argmax(em_array *const *x) { return em_argmax(x[0], 0, true, false); }
static em_array *z_isnan(em_array *const *x) { return em_isnan(x[0]); }
static em_array *z_any(em_array *const *x) { return em_any(x[0], NULL, -1, false); }
static em_array *z_int(em_array *const *x) {
    em_array *i = em_astype(x[0], EM_INT32);
    em_array *r = em_floor_divide(i, i);
    em_array_release(i);
    return r;
}

static void check_zeros(void) {
    em_array *x = f64((double[]){1.5, -2, 0.25}, (int64_t[]){3}, 1);
    em_array *cb = em_ones((int64_t[]){3}, 1, EM_BOOL), *cf = em_ones((int64_t[]){3}, 1, EM_FLOAT64);
    em_array *cu = em_array_from_int(1, EM_UINT32), *cs = em_array_from_bool(true);
    em_array *ci = em_ones((int64_t[]){3}, 1, EM_INT32);
    check_zero("stop_gradient", u_stop_gradient, x, cf);
    check_zero("floor", u_floor, x, cf);
    check_zero("sign", u_sign, x, cf);
    check_zero("less", z_less, x, cb);
    check_zero("isnan", z_isnan, x, cb);
    check_zero("argmax", z_argmax, x, cu);
    check_zero("any", z_any, x, cs);
    check_zero("floor_divide(int)", z_int, x, ci);
    em_array *arr[] = {x, cb, cf, cu, cs, ci};
    for (size_t i = 0; i < 6; i++) em_array_release(arr[i]);
}

/* ---------------------------------------------------------------- compositions */

static em_array *g_scalar(em_array *const *x) { /* sin(x) x^2, elementwise */
    em_array *s = em_sin(x[0]), *q = em_square(x[0]);
    em_array *r = em_multiply(s, q);
    em_array_release(s);
    em_array_release(q);
    return r;
}
static em_array *g_loss(em_array *const *x) { /* sum(tanh(W x) * exp(x)) with W = x x^T */
    em_array *w = em_matmul(x[0], x[0]);
    em_array *t = em_tanh(w), *e = em_exp(x[0]);
    em_array *p = em_multiply(t, e);
    em_array *r = em_sum(p, NULL, -1, false);
    em_array *arr[] = {w, t, e, p};
    for (int i = 0; i < 4; i++) em_array_release(arr[i]);
    return r;
}
static em_array *g_two(em_array *const *x) { /* sum(x0 * sin(x1)) */
    em_array *s = em_sin(x[1]);
    em_array *p = em_multiply(x[0], s);
    em_array *r = em_sum(p, NULL, -1, false);
    em_array_release(s);
    em_array_release(p);
    return r;
}

/* A function whose body evaluates an intermediate (as Python code calling
 * mx.eval or .item() would) before using it. */
static em_array *g_eval(em_array *const *x) {
    em_array *s = em_sin(x[0]);
    em_eval1(s);
    em_array *q = em_multiply(s, x[0]);
    em_eval1(q);
    em_array *r = em_exp(q);
    em_array_release(s);
    em_array_release(q);
    return r;
}

/* jvp of f along ones, as a function: vjp and jvp of it are checked too. */
static em_status jvp_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    em_closure *f = ctx;
    em_array *t = em_ones_like(in[0]);
    em_array_list *o = em_array_list_new();
    em_status s = em_jvp(f, in, n, &t, 1, o, out);
    em_array_release(t);
    em_array_list_free(o);
    return s;
}

static void check_compositions(void) {
    static const int64_t s0[1][4] = {{0}}, s3[1][4] = {{3}}, s22[1][4] = {{2, 2}};
    static const int nd0[1] = {0}, nd1[1] = {1}, nd2[1] = {2};
    em_closure *f = closure_of(g_scalar);
    em_closure *g1 = em_grad(f, NULL, 0), *g2 = em_grad(g1, NULL, 0), *g3 = em_grad(g2, NULL, 0);
    check_fd("grad", g1, 1, s0, nd0, -2, 2, 1e-6);
    check_fd("grad(grad)", g2, 1, s0, nd0, -2, 2, 1e-6);
    check_fd("grad(grad(grad))", g3, 1, s0, nd0, -2, 2, 1e-5);
    /* the value: d^2/dx^2 sin(x) x^2 = (2 - x^2) sin x + 4 x cos x */
    em_array *x = scalar(0.7);
    em_array_list *o = em_array_list_new();
    CHECK(em_closure_call(g2, &x, 1, o) == EM_OK);
    double v = 0;
    CHECK(em_array_item_double(em_array_list_get(o, 0), &v) == EM_OK);
    CHECK_CLOSE(v, (2 - 0.49) * sin(0.7) + 2.8 * cos(0.7), 1e-12);
    em_array_release(x);
    em_array_list_free(o);
    em_closure *jf = em_closure_new(jvp_fn, em_closure_retain(g1), (void (*)(void *))em_closure_release);
    check_fd("jvp(grad)", jf, 1, s0, nd0, -2, 2, 1e-6);
    em_closure_release(jf);
    em_closure *hf = closure_of(g_loss);
    em_closure *hg = em_grad(hf, NULL, 0), *hv = em_value_and_grad(hf, NULL, 0);
    check_fd("grad(matrix loss)", hg, 1, s22, nd2, -1, 1, 1e-6);
    check_fd("value_and_grad(matrix loss)", hv, 1, s22, nd2, -1, 1, 1e-6);
    em_closure *two = closure_of(g_two);
    em_closure *ga = em_grad(two, (int[]){1}, 1), *gb = em_grad(two, (int[]){1, 0}, 2);
    static const int64_t s33[2][4] = {{3}, {3}};
    static const int nd11[2] = {1, 1};
    check_fd("grad(argnums=1)", ga, 2, s33, nd11, -2, 2, 1e-6);
    check_fd("grad(argnums=(1,0))", gb, 2, s33, nd11, -2, 2, 1e-6);
    em_closure *ev = closure_of(g_eval), *gev = em_grad(ev, NULL, 0);
    check_fd("eval inside", ev, 1, s3, nd1, -2, 2, 1e-6);
    check_fd("grad of a function calling eval", gev, 1, s0, nd0, -2, 2, 1e-6);
    em_closure *list[] = {f, g1, g2, g3, hf, hg, hv, two, ga, gb, ev, gev};
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) em_closure_release(list[i]);
}

/* ---------------------------------------------------------------- custom */

static int calls;
static em_status count_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    calls++;
    em_array *s = em_sin(in[0]);
    em_array *e = em_exp(s);
    em_status st = em_array_list_push(out, e);
    em_array_release(s);
    em_array_release(e);
    return st;
}
/* vjp(primals, cotangents, outputs) -> 2 * cotangent * output */
static em_status my_vjp(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx;
    CHECK(n == 3);
    em_array *two = scalar(2);
    em_array *a = em_multiply(two, in[1]);
    em_array *b = em_multiply(a, in[2]);
    em_status st = em_array_list_push(out, b);
    em_array_release(two);
    em_array_release(a);
    em_array_release(b);
    return st;
}
/* jvp(primals, tangents) -> 3 * tangent */
static em_status my_jvp(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx;
    CHECK(n == 2);
    em_array *three = scalar(3);
    em_array *a = em_multiply(three, in[1]);
    em_status st = em_array_list_push(out, a);
    em_array_release(three);
    em_array_release(a);
    return st;
}

/* vmap(inputs ++ axes) -> outputs ++ out_axes: 2 * x, mapped on the same axis */
static em_status my_vmap(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx;
    CHECK(n == 2);
    int64_t ax = -2;
    CHECK(em_array_item_int(in[1], &ax) == EM_OK);
    em_array *two = scalar(2), *y = em_multiply(two, in[0]), *a = em_array_from_int(ax, EM_INT32);
    em_status st = em_array_list_push(out, y);
    if (st == EM_OK) st = em_array_list_push(out, a);
    em_array_release(two);
    em_array_release(y);
    em_array_release(a);
    return st;
}

/* The CUSTOM primitive's vmap rule calls the user's rule (or, without one,
 * vmaps the function) and gives a CUSTOM node again, batched along axis 0
 * (test_vmap*.c check it further). */
static void check_custom_vmap(void) {
    em_closure *f = em_closure_new(count_fn, NULL, NULL), *vm = em_closure_new(my_vmap, NULL, NULL);
    em_closure *cf = em_custom_function(f, NULL, NULL, vm), *plain = em_custom_function(f, NULL, NULL, NULL);
    em_array *x = f64((double[]){0.5, -1}, (int64_t[]){2}, 1);
    em_array_list *o = em_array_list_new();
    CHECK(em_closure_call(cf, &x, 1, o) == EM_OK);
    em_array *y = em_array_list_get(o, 0);
    em_node *nd = y->node;
    CHECK(nd && nd->prim == EM_PRIM_CUSTOM && nd->n_in == 2 && nd->n_out == 1);
    em_array *in[2] = {x, nd->inputs[1]}, *res = NULL;
    int axes[2] = {0, 0}, out_axis = -5;
    CHECK(em_primitives[EM_PRIM_CUSTOM].vmap(nd, in, axes, &res, &out_axis) == EM_OK);
    CHECK(out_axis == 0 && res && res->node && res->node->prim == EM_PRIM_CUSTOM);
    double *v = res ? check_values(res) : NULL;
    CHECK(v && v[0] == 1 && v[1] == -2);
    free(v);
    em_array_release(res);
    res = NULL;
    CHECK(em_closure_call(plain, &x, 1, o) == EM_OK);
    nd = em_array_list_get(o, 0)->node;
    in[1] = nd->inputs[1];
    CHECK(em_primitives[EM_PRIM_CUSTOM].vmap(nd, in, axes, &res, &out_axis) == EM_OK && out_axis == 0);
    v = res ? check_values(res) : NULL;
    CHECK(v && fabs(v[0] - exp(sin(0.5))) < 1e-15 && fabs(v[1] - exp(sin(-1.0))) < 1e-15);
    free(v);
    em_array_release(res);
    em_array_list_free(o);
    em_array_release(x);
    em_closure *list[] = {f, vm, cf, plain};
    for (int i = 0; i < 4; i++) em_closure_release(list[i]);
}

static void check_custom(void) {
    em_closure *f = em_closure_new(count_fn, NULL, NULL), *vj = em_closure_new(my_vjp, NULL, NULL);
    em_closure *jv = em_closure_new(my_jvp, NULL, NULL);
    em_closure *cf = em_custom_function(f, vj, jv, NULL);
    em_array *x = f64((double[]){0.5, -1}, (int64_t[]){2}, 1), *c = f64((double[]){1, 2}, (int64_t[]){2}, 1);
    em_array_list *o = em_array_list_new(), *g = em_array_list_new();
    CHECK(em_vjp(cf, &x, 1, &c, 1, o, g) == EM_OK);
    double *y = check_values(em_array_list_get(o, 0)), *gv = check_values(em_array_list_get(g, 0));
    for (int i = 0; y && gv && i < 2; i++) CHECK_CLOSE(gv[i], 2 * (i + 1) * y[i], 1e-15);
    free(y);
    free(gv);
    CHECK(em_jvp(cf, &x, 1, &c, 1, o, g) == EM_OK);
    gv = check_values(em_array_list_get(g, 0));
    for (int i = 0; gv && i < 2; i++) CHECK_CLOSE(gv[i], 3 * (i + 1), 1e-15);
    free(gv);
    /* defaults: the function's own derivatives */
    em_closure *df = em_custom_function(f, NULL, NULL, NULL);
    static const int64_t s3[1][4] = {{3}};
    static const int nd1[1] = {1};
    check_fd("custom_function (defaults)", df, 1, s3, nd1, -2, 2, 1e-6);
    /* checkpoint: the backward pass runs the function again */
    em_closure *ck = em_checkpoint(f), *gk = em_grad(f, NULL, 0), *gck;
    (void)gk;
    check_fd("checkpoint", ck, 1, s3, nd1, -2, 2, 1e-6);
    calls = 0;
    CHECK(em_vjp(ck, &x, 1, &c, 1, o, g) == EM_OK);
    CHECK_MSG(calls == 2, "checkpoint ran the function %d times", calls);
    calls = 0;
    CHECK(em_vjp(f, &x, 1, &c, 1, o, g) == EM_OK);
    CHECK(calls == 1);
    em_closure_release(gk);
    gck = NULL;
    em_closure *list[] = {f, vj, jv, cf, df, ck, gck};
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) em_closure_release(list[i]);
    em_array_list_free(o);
    em_array_list_free(g);
    em_array_release(x);
    em_array_release(c);
}

/* A chain of `layers` blocks of 12 elementwise ops on n floats: with checkpointed
 * blocks the backward pass keeps only the blocks' inputs, so the peak memory
 * of computing the gradient is far lower. */
static em_status block_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *x = em_array_retain(in[0]);
    for (int i = 0; i < 6; i++) {
        em_array *a = em_sin(x), *b = em_tanh(a);
        em_array_release(x);
        em_array_release(a);
        x = b;
    }
    em_status st = em_array_list_push(out, x);
    em_array_release(x);
    return st;
}
typedef struct chain_ctx { em_closure *block; int layers; } chain_ctx;
static em_status chain_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    chain_ctx *c = ctx;
    em_array *x = em_array_retain(in[0]);
    em_array_list *o = em_array_list_new();
    em_status st = EM_OK;
    for (int i = 0; i < c->layers && st == EM_OK; i++) {
        st = em_closure_call(c->block, &x, 1, o);
        em_array_release(x);
        x = st == EM_OK ? em_array_retain(em_array_list_get(o, 0)) : NULL;
    }
    em_array *s = em_sum(x, NULL, -1, false);
    if (st == EM_OK) st = em_array_list_push(out, s);
    em_array_release(s);
    em_array_release(x);
    em_array_list_free(o);
    return st;
}

static size_t grad_peak(em_closure *block) {
    chain_ctx cc = {block, 8};
    em_closure *f = em_closure_new(chain_fn, &cc, NULL), *g = em_grad(f, NULL, 0);
    int64_t n = 1 << 18;
    em_array *x = em_ones(&n, 1, EM_FLOAT32);
    em_eval1(x);
    em_array_list *o = em_array_list_new();
    em_clear_cache();
    em_reset_peak_memory();
    size_t base = em_get_active_memory();
    CHECK(em_closure_call(g, &x, 1, o) == EM_OK);
    CHECK(em_eval(em_array_list_data(o), 1) == EM_OK);
    size_t peak = em_get_peak_memory() - base;
    em_array_list_free(o);
    em_array_release(x);
    em_closure_release(g);
    em_closure_release(f);
    return peak;
}

static void check_checkpoint_memory(void) {
    em_closure *block = em_closure_new(block_fn, NULL, NULL), *ck = em_checkpoint(block);
    size_t plain = grad_peak(block), saved = grad_peak(ck);
    CHECK_MSG(saved * 3 < plain, "peak with checkpoint %zu, without %zu", saved, plain);
    em_closure_release(ck);
    em_closure_release(block);
}

/* ---------------------------------------------------------------- errors */

#define CHECK_STATUS_ERROR(expr, code, substr)                                 \
    do {                                                                       \
        em_error_clear();                                                      \
        em_status st_ = (expr);                                                \
        CHECK_MSG(st_ == (code) && em_error_code() == (code) &&                \
                      strstr(em_error_message(), (substr)) != NULL,            \
                  "got %d, message \"%s\"", (int)st_, em_error_message());     \
        em_error_clear();                                                      \
    } while (0)

#define CHECK_NULL_ERROR(expr, code, substr)                                   \
    do {                                                                       \
        em_error_clear();                                                      \
        em_closure *c_ = (expr);                                               \
        CHECK_MSG(!c_ && em_error_code() == (code) && strstr(em_error_message(), (substr)), \
                  "message \"%s\"", em_error_message());                       \
        em_closure_release(c_);                                                \
        em_error_clear();                                                      \
    } while (0)

static em_array *e_bad_reshape(em_array *const *x) { return em_reshape(x[0], (int64_t[]){7}, 1); }
static em_array *e_invert(em_array *const *x) { return em_bitwise_invert(x[0]); }
static em_status two_vjps(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_status st = em_array_list_push(out, in[0]);
    return st == EM_OK ? em_array_list_push(out, in[0]) : st;
}

static void check_errors(void) {
    em_closure *f = closure_of(u_sin), *two = closure_of(g_two);
    CHECK_NULL_ERROR(em_grad(f, (int[]){-1}, 1), EM_ERR_VALUE,
                     "[grad] Can't compute the gradient of negative argument index -1");
    CHECK_NULL_ERROR(em_grad(two, (int[]){1, 1}, 2), EM_ERR_VALUE,
                     "[grad] Repeat argument number not allowed in grad.");
    CHECK_NULL_ERROR(em_grad(f, (int[]){0}, 0), EM_ERR_VALUE, "[grad] Must specify at least one argument.");
    CHECK_NULL_ERROR(em_grad(NULL, NULL, 0), EM_ERR_NULL, "[grad]");
    em_array *x = f64((double[]){1, 2, 3}, (int64_t[]){3}, 1), *s = scalar(1);
    em_array *c2 = f64((double[]){1, 2}, (int64_t[]){2}, 1);
    em_array_list *o = em_array_list_new(), *g = em_array_list_new();
    em_closure *g1 = em_grad(two, (int[]){1}, 1), *gs = em_grad(f, NULL, 0);
    CHECK_STATUS_ERROR(em_closure_call(g1, &x, 1, o), EM_ERR_VALUE,
                       "[grad] Invalid argument number for function with 1 arguments.");
    CHECK_STATUS_ERROR(em_closure_call(gs, &x, 1, o), EM_ERR_VALUE,
                       "[vjp] Output shape (3) does not match cotangent shape ().");
    CHECK_STATUS_ERROR(em_vjp(f, &s, 1, &c2, 1, o, g), EM_ERR_VALUE,
                       "[vjp] Output shape () does not match cotangent shape (2). If you are using "
                       "grad your function must return a scalar.");
    em_array *cc[2] = {s, s};
    CHECK_STATUS_ERROR(em_vjp(f, &s, 1, cc, 0, o, g), EM_ERR_VALUE,
                       "[vjp] Number of outputs to compute gradients for (1) does not match number "
                       "of cotangents (0).");
    CHECK(em_vjp(f, &s, 1, cc, 2, o, g) == EM_OK); /* extra cotangents are ignored */
    CHECK_STATUS_ERROR(em_jvp(f, &s, 1, cc, 2, o, g), EM_ERR_VALUE,
                       "[jvp] Number of inputs does not match number of tangents.");
    CHECK_STATUS_ERROR(em_jvp(f, &s, 1, &x, 1, o, g), EM_ERR_VALUE,
                       "[jvp] Input shape does not match shape of tangent.");
    em_closure *bad = closure_of(e_bad_reshape);
    CHECK_STATUS_ERROR(em_vjp(bad, &x, 1, &x, 1, o, g), EM_ERR_VALUE,
                       "[reshape] Cannot reshape array of size 3 into shape (7).");
    CHECK(em_array_list_size(o) == 0 && em_array_list_size(g) == 0);
    em_closure *inv = closure_of(e_invert);
    em_array *xi = em_array_from_int(3, EM_INT32);
    CHECK_STATUS_ERROR(em_jvp(inv, &xi, 1, &xi, 1, o, g), EM_ERR_VALUE,
                       "[Primitive::jvp] Not implemented for BitwiseInvert.");
    CHECK_STATUS_ERROR(em_vjp(inv, &xi, 1, &xi, 1, o, g), EM_ERR_VALUE,
                       "[Primitive::vjp] Not implemented for BitwiseInvert.");
    em_closure *tv = em_closure_new(two_vjps, NULL, NULL), *cf = em_custom_function(f, tv, NULL, NULL);
    CHECK_STATUS_ERROR(em_vjp(cf, &s, 1, &s, 1, o, g), EM_ERR_VALUE,
                       "[custom_function] The custom vjp returned 2 arrays but 1 were expected.");
    CHECK_STATUS_ERROR(em_vjp(NULL, &s, 1, &s, 1, o, g), EM_ERR_NULL, "[vjp]");
    /* inside a scope, every reference the transforms hand out is released once */
    int64_t live = em_live_arrays();
    em_scope_begin();
    em_array *y = em_multiply(x, x);
    CHECK(em_vjp(f, &y, 1, &y, 1, o, g) == EM_OK);
    CHECK(em_closure_call(gs, &s, 1, o) == EM_OK);
    em_array_list_clear(o);
    em_array_list_clear(g);
    em_scope_end();
    CHECK(em_live_arrays() == live);
    em_closure *list[] = {f, two, g1, gs, bad, inv, tv, cf};
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) em_closure_release(list[i]);
    em_array *arr[] = {x, s, c2, xi};
    for (size_t i = 0; i < 4; i++) em_array_release(arr[i]);
    em_array_list_free(o);
    em_array_list_free(g);
}

int main(void) {
    int64_t live0 = em_live_arrays();
    check_cases(UNARY, (int)(sizeof UNARY / sizeof *UNARY), 1e-6);
    check_cases(BINARY, (int)(sizeof BINARY / sizeof *BINARY), 1e-6);
    check_reductions();
    check_prod_zeros();
    check_shapes();
    check_matmul();
    check_indexing();
    check_zeros();
    check_compositions();
    check_custom();
    check_custom_vmap();
    check_checkpoint_memory();
    check_errors();
    CHECK_NO_ERROR();
    CHECK_MSG(em_live_arrays() == live0, "%lld arrays leaked", (long long)(em_live_arrays() - live0));
    CHECK_DONE();
}
