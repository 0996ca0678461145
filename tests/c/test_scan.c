/* test_scan.c -- cumsum, cumprod, cummax, cummin, logcumsumexp: values and
 * dtypes against references computed here in double, every real dtype,
 * forward/reverse, inclusive/exclusive, each axis of contiguous, transposed
 * and strided inputs (the line, column and fallback paths), NaN and
 * infinities, empty and 0-d arrays, the exclusive identities, gradients (vjp
 * and jvp) against finite differences in float64, and bad axes. */
#include <stdint.h>

#include "check.h"

static const em_dtype DTYPES[] = {EM_BOOL, EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64,
                                  EM_INT8, EM_INT16, EM_INT32, EM_INT64, EM_FLOAT16,
                                  EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64};
#define N_DTYPES ((int)(sizeof DTYPES / sizeof *DTYPES))

enum { SUM, PROD, MAX, MIN, LSE };
typedef em_array *(*scan_fn)(const em_array *, int, bool, bool, bool);
static const scan_fn FNS[] = {em_cumsum, em_cumprod, em_cummax, em_cummin, em_logcumsumexp};

static bool is_float(em_dtype d) { return d >= EM_FLOAT16 && d <= EM_FLOAT64; }

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Values that keep every scan of op exact in dt over a short line: small
 * non-negative ints for sums, +-1 and 1-2 for products. */
static double value(em_dtype dt, int op) {
    int64_t r = (int64_t)(next() % 8);
    if (dt == EM_BOOL) return (double)(r & 1);
    if (op == PROD) return dt >= EM_INT8 ? (double)((r & 1) ? 1 : -1) : (double)(1 + (r == 7));
    if (op == SUM) return (double)(r % 4);
    if (is_float(dt)) return (double)(r - 4) / 2;
    return dt >= EM_INT8 ? (double)(r - 4) : (double)r;
}

static double combine(int op, double a, double b) {
    switch (op) {
    case SUM: return a + b;
    case PROD: return a * b;
    case MAX: return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
    case MIN: return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
    default: {
        double m = a > b ? a : b;
        if (m == -INFINITY) return m;
        return m + log(exp(a - m) + exp(b - m));
    }
    }
}

static double ident(int op, em_dtype dt) {
    switch (op) {
    case SUM: return 0;
    case PROD: return 1;
    case MAX:
        switch (dt) {
        case EM_BOOL: case EM_UINT8: case EM_UINT16: case EM_UINT32: case EM_UINT64: return 0;
        case EM_INT8: return INT8_MIN;
        case EM_INT16: return INT16_MIN;
        case EM_INT32: return INT32_MIN;
        case EM_INT64: return (double)INT64_MIN;
        default: return -INFINITY;
        }
    case MIN:
        switch (dt) {
        case EM_BOOL: return 1;
        case EM_UINT8: return UINT8_MAX;
        case EM_UINT16: return UINT16_MAX;
        case EM_UINT32: return UINT32_MAX;
        case EM_UINT64: return (double)UINT64_MAX;
        case EM_INT8: return INT8_MAX;
        case EM_INT16: return INT16_MAX;
        case EM_INT32: return INT32_MAX;
        case EM_INT64: return (double)INT64_MAX;
        default: return INFINITY;
        }
    default: return -INFINITY;
    }
}

static em_dtype out_dtype(int op, em_dtype dt) {
    if (op == SUM && dt == EM_BOOL) return EM_INT32;
    if (op == LSE && !is_float(dt)) return EM_FLOAT32;
    return dt;
}

/* The reference scan of x (shape sh, row-major) along ax into r. */
static void ref_scan(int op, em_dtype dt, const double *x, const int64_t *sh, int nd, int ax,
                     bool rev, bool inc, double *r) {
    int64_t size = 1, st = 1;
    for (int i = 0; i < nd; i++) size *= sh[i];
    for (int i = ax + 1; i < nd; i++) st *= sh[i];
    int64_t n = sh[ax];
    for (int64_t o = 0; o < size; o++) {
        if ((o / st) % n != 0) continue;
        double acc = ident(op, dt);
        for (int64_t k = 0; k < n; k++) {
            int64_t j = rev ? n - 1 - k : k;
            double v = x[o + j * st];
            bool lg = dt == EM_BOOL && op != SUM && op != LSE;
            if (lg) v = v != 0;
            if (inc) acc = combine(op, acc, v);
            r[o + j * st] = lg ? acc != 0 : acc;
            if (!inc) acc = combine(op, acc, v);
        }
    }
}

static em_array *make(const double *v, const int64_t *shape, int nd, em_dtype dt) {
    em_array *d = em_array_from_data(v, shape, nd, EM_FLOAT64);
    em_array *r = em_astype(d, dt);
    em_array_release(d);
    return r;
}

static int compare(em_array *got, const double *want, int64_t n, double tol) {
    double *g = check_values(got);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        bool ok = (isnan(g[i]) && isnan(want[i])) || g[i] == want[i] ||
                  fabs(g[i] - want[i]) <= tol * (1 + fabs(want[i]));
        if (!ok && bad++ < 3) fprintf(stderr, "  [%lld] got %g want %g\n", (long long)i, g[i], want[i]);
    }
    free(g);
    return bad;
}

/* Every (dtype, op, direction, inclusiveness, axis) on a (3, 4, 5) array and
 * its transpose, and a strided slice. */
static void check_values_all(void) {
    int64_t shape[3] = {3, 4, 5}, n = 60;
    for (int d = 0; d < N_DTYPES; d++) {
        em_dtype dt = DTYPES[d];
        for (int op = 0; op < 5; op++) {
            double v[60];
            for (int64_t i = 0; i < n; i++) v[i] = value(dt, op);
            em_array *a0 = make(v, shape, 3, dt);
            int perm[3] = {2, 0, 1};
            em_array *at = em_transpose(a0, perm, 3);
            int64_t lo[3] = {0, 0, 0}, hi[3] = {3, 4, 5}, step[3] = {1, 2, -1};
            em_array *as = em_slice(a0, lo, hi, step, 3);
            em_array *views[3] = {a0, at, as};
            for (int w = 0; w < 3; w++) {
                em_array *a = views[w];
                double *x = check_values(a);
                int nd = em_array_ndim(a);
                const int64_t *sh = em_array_shape(a);
                int64_t sz = em_array_size(a);
                double *r = malloc((size_t)sz * sizeof *r);
                for (int ax = 0; ax < nd; ax++)
                    for (int rev = 0; rev < 2; rev++)
                        for (int inc = 0; inc < 2; inc++) {
                            em_array *y = FNS[op](a, ax - (rev ? nd : 0), false, rev, inc);
                            ref_scan(op, dt, x, sh, nd, ax, rev, inc, r);
                            double tol = op == LSE || dt == EM_FLOAT16 || dt == EM_BFLOAT16 ? 1e-2 : 1e-12;
                            CHECK_MSG(em_array_dtype(y) == out_dtype(op, dt), "dtype %s op %d",
                                      em_dtype_name(dt), op);
                            int bad = compare(y, r, sz, tol);
                            CHECK_MSG(bad == 0, "%s op %d view %d axis %d rev %d inc %d",
                                      em_dtype_name(dt), op, w, ax, rev, inc);
                            em_array_release(y);
                        }
                /* all axes: the flattened array */
                em_array *y = FNS[op](a, 0, true, false, true);
                int64_t flat = sz;
                ref_scan(op, dt, x, &flat, 1, 0, false, true, r);
                CHECK(em_array_ndim(y) == 1 && compare(y, r, sz, op == LSE || !is_float(dt) ? 1e-2 : 1e-12) == 0);
                em_array_release(y);
                free(r);
                free(x);
            }
            em_array_release(a0);
            em_array_release(at);
            em_array_release(as);
        }
    }
}

/* A long line (parallel paths) and wide columns (blocks of the column path). */
static void check_large(void) {
    int64_t n = 200000, shape[2] = {7, 600};
    double *v = malloc((size_t)n * sizeof *v), *r = malloc((size_t)n * sizeof *r);
    for (int64_t i = 0; i < n; i++) v[i] = (double)(next() % 5);
    em_array *a = make(v, &n, 1, EM_INT64);
    em_array *y = em_cumsum(a, 0, false, false, true);
    ref_scan(SUM, EM_INT64, v, &n, 1, 0, false, true, r);
    CHECK(compare(y, r, n, 0) == 0);
    em_array_release(y);
    em_array_release(a);
    /* long float lines (the segmented sum), forward and reversed, strided */
    for (int dti = 0; dti < 2; dti++) {
        em_dtype dt = dti ? EM_FLOAT64 : EM_FLOAT32;
        a = make(v, &n, 1, dt);
        int64_t lo = 1, hi = n, st = 2;
        em_array *sl = em_slice(a, &lo, &hi, &st, 1);
        int64_t m = em_array_size(sl);
        double *xs = check_values(sl);
        for (int rev = 0; rev < 2; rev++) {
            y = em_cumsum(sl, 0, false, rev, true);
            ref_scan(SUM, dt, xs, &m, 1, 0, rev, true, r);
            CHECK_MSG(compare(y, r, m, dti ? 1e-12 : 1e-6) == 0, "long %s rev %d", em_dtype_name(dt), rev);
            em_array_release(y);
        }
        free(xs);
        em_array_release(sl);
        em_array_release(a);
    }
    a = make(v, shape, 2, EM_FLOAT64);
    y = em_cummax(a, 0, false, true, false);
    ref_scan(MAX, EM_FLOAT64, v, shape, 2, 0, true, false, r);
    CHECK(compare(y, r, 4200, 0) == 0);
    em_array_release(y);
    em_array_release(a);
    free(v);
    free(r);
}

static void check_special(void) {
    double v[5] = {1, NAN, 3, -INFINITY, 0};
    int64_t n = 5;
    em_array *a = make(v, &n, 1, EM_FLOAT32);
    double wmax[5] = {1, NAN, NAN, NAN, NAN};
    em_array *y = em_cummax(a, 0, false, false, true);
    CHECK(check_equals(y, wmax, 5));
    em_array_release(y);
    double li[3] = {-INFINITY, -INFINITY, 1};
    int64_t three = 3;
    em_array *b = make(li, &three, 1, EM_FLOAT32);
    y = em_logcumsumexp(b, 0, false, false, true);
    CHECK(check_equals(y, li, 3));
    em_array_release(y);
    em_array_release(b);
    em_array_release(a);
    /* 0-d: all axes gives one element, an axis is an error */
    em_array *z = em_array_from_double(3, EM_FLOAT32);
    y = em_cumsum(z, 0, true, false, true);
    CHECK(y && em_array_ndim(y) == 1 && em_array_size(y) == 1);
    em_array_release(y);
    CHECK_ERROR(em_cumsum(z, 0, false, false, true), EM_ERR_INDEX,
                "[cumsum] Axis 0 is out of bounds for array with 0 dimensions.");
    em_array_release(z);
    int64_t es[2] = {0, 3};
    em_array *e = em_zeros(es, 2, EM_FLOAT32);
    y = em_cumprod(e, 0, false, true, false);
    CHECK(check_shape(y, 2, es) && em_eval1(y) == EM_OK);
    em_array_release(y);
    em_array_release(e);
    /* complex sums and products */
    em_array *c = em_array_from_complex(1, 1), *c2 = em_multiply(c, c);
    em_array *cs = em_cumprod(c2, 0, true, false, true);
    CHECK(cs && em_array_dtype(cs) == EM_COMPLEX64 && em_eval1(cs) == EM_OK);
    em_array_release(cs);
    em_array_release(c);
    em_array_release(c2);
}

static void check_errors(void) {
    int64_t shape[2] = {2, 3};
    em_array *a = em_zeros(shape, 2, EM_FLOAT32);
    CHECK_ERROR(em_cumsum(a, 2, false, false, true), EM_ERR_INDEX,
                "[cumsum] Axis 2 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_cumsum(a, -3, false, false, true), EM_ERR_INDEX,
                "[cumsum] Axis -3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_cummax(a, 5, false, false, true), EM_ERR_INDEX, "[cummax] Axis 5");
    CHECK_ERROR(em_logcumsumexp(a, 5, false, false, true), EM_ERR_INDEX, "[logcumsumexp] Axis 5");
    CHECK_ERROR(em_cumprod(NULL, 0, true, false, true), EM_ERR_NULL, "cumprod");
    em_array_release(a);
}

/* ---------------------------------------------------------------- autodiff */

typedef struct { int op, rev, inc; } scan_ctx;

static em_status f_scan(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const scan_ctx *c = ctx;
    em_array *r = FNS[c->op](in[0], -1, false, c->rev, c->inc);
    if (!r) return em_error_code();
    em_status st = em_array_list_push(out, r);
    em_array_release(r);
    return st;
}

/* vjp and jvp against central differences, x of shape (2, 5), float64; x
 * has zeros (cumprod's cases) and ties (cummax's). */
static void check_grads(int op, int rev, int inc, const double *xv) {
    int64_t shape[2] = {2, 5}, n = 10;
    double tv[10] = {1, -2, 0.5, 3, -1, 0.25, 2, -0.5, 1.5, 1};
    double cv[10] = {0.5, -1, 2, 1.5, -0.5, 1, 0.25, 3, -2, 0.75};
    scan_ctx ctx = {op, rev, inc};
    em_closure *f = em_closure_new(f_scan, &ctx, NULL);
    em_array *x = em_array_from_data(xv, shape, 2, EM_FLOAT64);
    em_array *t = em_array_from_data(tv, shape, 2, EM_FLOAT64);
    em_array *c = em_array_from_data(cv, shape, 2, EM_FLOAT64);
    em_array_list *o = em_array_list_new(), *g = em_array_list_new(), *jo = em_array_list_new(),
                  *jt = em_array_list_new();
    CHECK(em_vjp(f, &x, 1, &c, 1, o, g) == EM_OK);
    CHECK(em_jvp(f, &x, 1, &t, 1, jo, jt) == EM_OK);
    double *gv = check_values(em_array_list_get(g, 0)), *jv = check_values(em_array_list_get(jt, 0));
    double fdj[10] = {0}, fdg[10] = {0};
    const double eps = 1e-6;
    for (int64_t i = 0; i < n; i++) {
        double xp[10], xm[10];
        memcpy(xp, xv, sizeof xp);
        memcpy(xm, xv, sizeof xm);
        xp[i] += eps;
        xm[i] -= eps;
        em_array *ap = em_array_from_data(xp, shape, 2, EM_FLOAT64), *am = em_array_from_data(xm, shape, 2, EM_FLOAT64);
        em_array_list *op_ = em_array_list_new(), *om = em_array_list_new();
        em_closure_call(f, &ap, 1, op_);
        em_closure_call(f, &am, 1, om);
        double *yp = check_values(em_array_list_get(op_, 0)), *ym = check_values(em_array_list_get(om, 0));
        for (int64_t k = 0; k < n; k++) {
            double dy = (isinf(yp[k]) && yp[k] == ym[k]) ? 0 : (yp[k] - ym[k]) / (2 * eps);
            fdg[i] += cv[k] * dy;
            fdj[k] += tv[i] * dy;
        }
        free(yp);
        free(ym);
        em_array_list_free(op_);
        em_array_list_free(om);
        em_array_release(ap);
        em_array_release(am);
    }
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!(fabs(gv[i] - fdg[i]) <= 1e-5 * (1 + fabs(fdg[i])))) bad++;
        if (!(fabs(jv[i] - fdj[i]) <= 1e-5 * (1 + fabs(fdj[i])))) bad++;
    }
    CHECK_MSG(bad == 0, "op %d rev %d inc %d: %d gradient mismatches", op, rev, inc, bad);
    free(gv);
    free(jv);
    em_array_list_free(o);
    em_array_list_free(g);
    em_array_list_free(jo);
    em_array_list_free(jt);
    em_array_release(x);
    em_array_release(t);
    em_array_release(c);
    em_closure_release(f);
}

int main(void) {
    check_values_all();
    check_large();
    check_special();
    check_errors();
    /* distinct values (max/min are then differentiable), and zeros for cumprod */
    double x1[10] = {0.3, -1.2, 2.5, 0.7, -0.1, 1.9, -2.2, 0.45, 1.1, -0.6};
    double x2[10] = {0.3, 0, 2.5, 0, -0.1, 1.9, -2.2, 0, 1.1, -0.6};
    for (int op = 0; op < 5; op++)
        for (int rev = 0; rev < 2; rev++)
            for (int inc = 0; inc < 2; inc++) {
                check_grads(op, rev, inc, x1);
                if (op == PROD) check_grads(op, rev, inc, x2);
            }
    CHECK_DONE();
}
