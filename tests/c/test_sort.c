/* test_sort.c -- sort, argsort, partition, argpartition, topk, median and
 * searchsorted: values and dtypes against references computed here (a
 * stable insertion sort with NaN last), every real dtype, lines short and
 * long (introsort and radix paths), NaN / inf / signed zeros, strided and
 * transposed inputs, other axes, empty and 0-d arrays, gradients (vjp, jvp)
 * against their definition, and every bad input. */
#include <stdint.h>

#include "check.h"

static const em_dtype DTYPES[] = {EM_BOOL, EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64,
                                  EM_INT8, EM_INT16, EM_INT32, EM_INT64, EM_FLOAT16,
                                  EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64};
#define N_DTYPES ((int)(sizeof DTYPES / sizeof *DTYPES))

static bool is_float(em_dtype d) { return d >= EM_FLOAT16 && d <= EM_FLOAT64; }

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* n values representable in dt (small integers, with repeats; floats also
 * get NaN, +-inf and +-0). */
static double *gen(em_dtype dt, int64_t n) {
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
        int64_t r = (int64_t)(next() % 200);
        if (dt == EM_BOOL) v[i] = r & 1;
        else if (dt >= EM_UINT8 && dt <= EM_UINT64) v[i] = (double)r;
        else v[i] = (double)(r - 100);
        if (is_float(dt)) {
            v[i] /= 4;
            switch (next() % 16) {
            case 0: v[i] = NAN; break;
            case 1: v[i] = INFINITY; break;
            case 2: v[i] = -INFINITY; break;
            case 3: v[i] = 0.0; break;
            case 4: v[i] = -0.0; break;
            default: break;
            }
        }
    }
    return v;
}

/* a < b with NaN last. */
static bool lt(double a, double b) { return !isnan(a) && (isnan(b) || a < b); }

/* Stable argsort of v (a merge sort: the reference). */
static void merge(const double *v, int64_t *idx, int64_t *tmp, int64_t n) {
    if (n < 2) return;
    int64_t h = n / 2;
    merge(v, idx, tmp, h);
    merge(v, idx + h, tmp, n - h);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = lt(v[idx[j]], v[idx[i]]) ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}
static void ref_argsort(const double *v, int64_t n, int64_t *idx) {
    int64_t *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    merge(v, idx, tmp, n);
    free(tmp);
}

static em_array *make(const double *v, const int64_t *shape, int nd, em_dtype dt) {
    em_array *d = em_array_from_data(v, shape, nd, EM_FLOAT64);
    em_array *r = em_astype(d, dt);
    em_array_release(d);
    return r;
}

static bool same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static void check_1d(em_dtype dt, int64_t n) {
    double *v = gen(dt, n);
    em_array *a = make(v, &n, 1, dt);
    double *x = check_values(a); /* as rounded to dt */
    int64_t *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    ref_argsort(x, n, idx);

    em_array *s = em_sort(a, -1, false), *i = em_argsort(a, 0, false);
    CHECK(em_array_dtype(s) == dt && em_array_dtype(i) == EM_UINT32);
    double *sv = check_values(s), *iv = check_values(i);
    int bad = 0;
    for (int64_t j = 0; j < n; j++) {
        if (!same(sv[j], x[idx[j]])) bad++;
        if ((int64_t)iv[j] != idx[j]) bad++;
    }
    CHECK_MSG(bad == 0, "dtype %s n %lld: %d mismatches", em_dtype_name(dt), (long long)n, bad);
    /* signed zeros and NaNs keep their bits: copy out as raw doubles */
    if (is_float(dt))
        for (int64_t j = 0; j < n; j++)
            if (sv[j] == 0) bad += signbit(sv[j]) != signbit(x[idx[j]]);
    CHECK(bad == 0);

    /* partition at a few kth (also negative), argpartition consistent */
    int64_t ks[] = {0, n / 3, n - 1, -1, -(n / 2) - 1};
    for (int q = 0; q < 5 && n > 0; q++) {
        int64_t k = ks[q] < 0 ? ks[q] + n : ks[q];
        if (k < 0) continue;
        em_array *p = em_partition(a, ks[q], 0, false), *pi = em_argpartition(a, ks[q], -1, false);
        double *pv = check_values(p), *piv = check_values(pi);
        int pbad = !same(pv[k], x[idx[k]]);
        for (int64_t j = 0; j < n; j++) {
            if (j < k && lt(pv[k], pv[j])) pbad++;
            if (j > k && lt(pv[j], pv[k])) pbad++;
            if (!same(x[(int64_t)piv[j]], pv[j])) pbad++;
        }
        CHECK_MSG(pbad == 0, "partition %s n %lld kth %lld", em_dtype_name(dt), (long long)n,
                  (long long)ks[q]);
        free(pv);
        free(piv);
        em_array_release(p);
        em_array_release(pi);
    }
    /* topk: the k largest, ascending */
    int64_t kk = n < 10 ? n : 10;
    em_array *t = em_topk(a, kk, -1, false);
    double *tv = check_values(t);
    int tbad = em_array_size(t) != kk;
    for (int64_t j = 0; j < kk && !tbad; j++) tbad += !same(tv[j], x[idx[n - kk + j]]);
    CHECK_MSG(tbad == 0, "topk %s n %lld", em_dtype_name(dt), (long long)n);
    free(tv);
    em_array_release(t);

    free(v);
    free(x);
    free(idx);
    free(sv);
    free(iv);
    em_array_release(a);
    em_array_release(s);
    em_array_release(i);
}

/* Sorting along each axis of a (4, 5, 6) array, also transposed. */
static void check_axes(void) {
    int64_t shape[3] = {4, 5, 6}, n = 120;
    double *v = gen(EM_FLOAT32, n);
    em_array *a0 = make(v, shape, 3, EM_FLOAT32);
    int perm[3] = {2, 0, 1};
    em_array *views[2] = {a0, em_transpose(a0, perm, 3)};
    for (int w = 0; w < 2; w++) {
        em_array *a = views[w];
        const int64_t *sh = em_array_shape(a);
        double *x = check_values(a);
        for (int ax = 0; ax < 3; ax++) {
            em_array *s = em_sort(a, ax - 3, false), *i = em_argsort(a, ax, false);
            double *sv = check_values(s), *iv = check_values(i);
            int64_t st[3] = {sh[1] * sh[2], sh[2], 1}, len = sh[ax], bad = 0;
            double line[8];
            int64_t idx[8];
            for (int64_t o = 0; o < n; o++) {
                int64_t c[3] = {o / st[0], o / st[1] % sh[1], o % sh[2]};
                if (c[ax] != 0) continue;
                for (int64_t j = 0; j < len; j++) line[j] = x[o + j * st[ax]];
                ref_argsort(line, len, idx);
                for (int64_t j = 0; j < len; j++) {
                    bad += !same(sv[o + j * st[ax]], line[idx[j]]);
                    bad += (int64_t)iv[o + j * st[ax]] != idx[j];
                }
            }
            CHECK_MSG(bad == 0, "view %d axis %d: %lld mismatches", w, ax, (long long)bad);
            free(sv);
            free(iv);
            em_array_release(s);
            em_array_release(i);
        }
        free(x);
    }
    /* axis None flattens */
    em_array *f = em_sort(views[1], 0, true);
    CHECK(em_array_ndim(f) == 1 && em_array_size(f) == n);
    em_array_release(f);
    em_array_release(views[1]);
    em_array_release(a0);
    free(v);
}

static void check_empty_0d(void) {
    int64_t shape[2] = {0, 3}, s2[2] = {3, 0};
    em_array *e = em_zeros(shape, 2, EM_FLOAT32), *e2 = em_zeros(s2, 2, EM_FLOAT32);
    em_array *r = em_sort(e, -1, false);
    CHECK(check_shape(r, 2, shape));
    em_array_release(r);
    r = em_argsort(e2, -1, false);
    CHECK(check_shape(r, 2, s2) && em_array_dtype(r) == EM_UINT32 && em_eval1(r) == EM_OK);
    em_array_release(r);
    r = em_topk(e2, 0, -1, false);
    CHECK(check_shape(r, 2, s2) && em_eval1(r) == EM_OK);
    em_array_release(r);
    em_array *z = em_array_from_double(3, EM_FLOAT32);
    CHECK_ERROR(em_sort(z, -1, false), EM_ERR_INDEX,
                "[sort] Axis -1 is out of bounds for array with 0 dimensions.");
    r = em_sort(z, 0, true);
    int64_t one = 1;
    CHECK(check_shape(r, 1, &one));
    em_array_release(r);
    r = em_median(z, NULL, -1, false);
    double d = 0;
    CHECK(r && em_array_ndim(r) == 0 && em_array_item_double(r, &d) == EM_OK && d == 3);
    em_array_release(r);
    em_array_release(z);
    em_array_release(e);
    em_array_release(e2);
}

static void check_errors(void) {
    int64_t shape[2] = {2, 3};
    double v[6] = {1, 2, 3, 4, 5, 6};
    em_array *a = make(v, shape, 2, EM_FLOAT32);
    CHECK_ERROR(em_sort(a, 2, false), EM_ERR_INDEX,
                "[sort] Axis 2 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_argsort(a, -3, false), EM_ERR_INDEX,
                "[argsort] Axis -3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_partition(a, 3, -1, false), EM_ERR_VALUE,
                "[partition] Received invalid kth 3along axis -1 for array with shape: (2,3)");
    CHECK_ERROR(em_partition(a, -4, -1, false), EM_ERR_VALUE, "invalid kth -4along");
    CHECK_ERROR(em_argpartition(a, 5, 0, false), EM_ERR_VALUE,
                "[argpartition] Received invalid kth 5 along axis 0 for array with shape: (2,3)");
    CHECK_ERROR(em_partition(a, 1, 4, false), EM_ERR_INDEX,
                "[partition] Axis 4 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_topk(a, 4, -1, false), EM_ERR_VALUE,
                "[topk] Received invalid k=4 along axis -1 for array with shape: (2,3)");
    CHECK_ERROR(em_topk(a, -1, -1, false), EM_ERR_VALUE, "[topk] Received invalid k=-1");
    CHECK_ERROR(em_topk(a, 2, 3, false), EM_ERR_INDEX,
                "[topk] Axis 3 is out of bounds for array with 2 dimensions.");
    int ax3 = 3, dup[2] = {0, -2};
    CHECK_ERROR(em_median(a, &ax3, 1, false), EM_ERR_INDEX,
                "[median] axis 3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_median(a, dup, 2, false), EM_ERR_VALUE, "[median] Received duplicate axis.");
    int64_t zs = 0;
    em_array *e = em_zeros(&zs, 1, EM_FLOAT32);
    CHECK_ERROR(em_median(e, NULL, -1, false), EM_ERR_VALUE,
                "[median] Cannot take median along empty axis.");
    CHECK_ERROR(em_searchsorted(a, e, false), EM_ERR_VALUE,
                "[searchsorted] The sorted sequence must be 1-D but has 2 dimensions.");
    CHECK_ERROR(em_sort(NULL, 0, false), EM_ERR_NULL, "sort");
    CHECK_ERROR(em_topk(NULL, 1, 0, false), EM_ERR_NULL, "topk");
    CHECK_ERROR(em_median(NULL, NULL, -1, false), EM_ERR_NULL, "median");
    CHECK_ERROR(em_searchsorted(a, NULL, false), EM_ERR_NULL, "searchsorted");
    em_array_release(e);
    em_array_release(a);
}

static void check_median(void) {
    int64_t shape[2] = {2, 3};
    double v[6] = {1, 5, 3, 4, 2, 6};
    em_array *a = make(v, shape, 2, EM_INT32);
    em_array *m = em_median(a, NULL, -1, false);
    double d = 0;
    CHECK(em_array_dtype(m) == EM_FLOAT32 && em_array_item_double(m, &d) == EM_OK && d == 3.5);
    int ax0 = 0, ax1 = -1;
    em_array *m0 = em_median(a, &ax0, 1, false), *m1 = em_median(a, &ax1, 1, true);
    double want0[3] = {2.5, 3.5, 4.5}, want1[2] = {3, 4};
    int64_t s1[2] = {2, 1};
    CHECK(check_equals(m0, want0, 3));
    CHECK(check_shape(m1, 2, s1) && check_equals(m1, want1, 2));
    double nv[3] = {1, NAN, 3};
    int64_t three = 3;
    em_array *na = make(nv, &three, 1, EM_FLOAT16), *nm = em_median(na, NULL, -1, false);
    CHECK(em_array_dtype(nm) == EM_FLOAT16 && em_array_item_double(nm, &d) == EM_OK && isnan(d));
    em_array *arr[] = {a, m, m0, m1, na, nm};
    for (size_t i = 0; i < 6; i++) em_array_release(arr[i]);
}

static void check_searchsorted(void) {
    double sv[4] = {1, 2, 2, 4}, vv[6] = {0, 2, 3, 5, NAN, -INFINITY};
    int64_t n4 = 4, shape[2] = {2, 3};
    em_array *s = make(sv, &n4, 1, EM_INT32), *v = make(vv, shape, 2, EM_FLOAT32);
    em_array *l = em_searchsorted(s, v, false), *r = em_searchsorted(s, v, true);
    double wl[6] = {0, 1, 3, 4, 4, 0}, wr[6] = {0, 3, 3, 4, 4, 0};
    CHECK(em_array_dtype(l) == EM_UINT32 && check_shape(l, 2, shape));
    CHECK(check_equals(l, wl, 6));
    CHECK(check_equals(r, wr, 6));
    em_array *arr[] = {s, v, l, r};
    for (size_t i = 0; i < 4; i++) em_array_release(arr[i]);
}

/* ---------------------------------------------------------------- autodiff */

static em_status f_sort(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    int which = *(int *)ctx;
    em_array *r = which == 0 ? em_sort(in[0], -1, false)
                  : which == 1 ? em_partition(in[0], 2, -1, false)
                  : which == 2 ? em_topk(in[0], 3, 0, false)
                               : em_median(in[0], NULL, -1, false);
    if (!r) return em_error_code();
    em_status st = em_array_list_push(out, r);
    em_array_release(r);
    return st;
}

/* The vjp with cotangent c and the jvp with tangent t against finite
 * differences of <c, f(x)> and f along t, in float64. */
static void check_grads(int which) {
    int64_t n = 7;
    double xv[7] = {0.3, -1.2, 2.5, 0.7, -0.1, 1.9, -2.2}, tv[7] = {1, -2, 0.5, 3, -1, 0.25, 2};
    em_array *x = em_array_from_data(xv, &n, 1, EM_FLOAT64);
    em_array *t = em_array_from_data(tv, &n, 1, EM_FLOAT64);
    em_closure *f = em_closure_new(f_sort, &which, NULL);
    em_array_list *out = em_array_list_new(), *g = em_array_list_new();
    em_array *y = NULL;
    {
        em_array_list *o = em_array_list_new();
        em_closure_call(f, &x, 1, o);
        y = em_array_retain(em_array_list_get(o, 0));
        em_array_list_free(o);
    }
    int64_t m = em_array_size(y);
    double cv[7] = {0.5, -1, 2, 1.5, -0.5, 1, 0.25};
    em_array *c = em_array_from_data(cv, em_array_shape(y), em_array_ndim(y), EM_FLOAT64);
    CHECK(em_vjp(f, &x, 1, &c, 1, out, g) == EM_OK);
    double *gv = check_values(em_array_list_get(g, 0));
    em_array_list *jo = em_array_list_new(), *jt = em_array_list_new();
    CHECK(em_jvp(f, &x, 1, &t, 1, jo, jt) == EM_OK);
    double *jv = check_values(em_array_list_get(jt, 0));
    const double eps = 1e-6;
    double fd_j[7] = {0};
    for (int64_t i = 0; i < n; i++) {
        double xp[7], xm[7];
        for (int64_t k = 0; k < n; k++) xp[k] = xm[k] = xv[k];
        xp[i] += eps;
        xm[i] -= eps;
        em_array *ap = em_array_from_data(xp, &n, 1, EM_FLOAT64), *am = em_array_from_data(xm, &n, 1, EM_FLOAT64);
        em_array_list *op = em_array_list_new(), *om = em_array_list_new();
        em_closure_call(f, &ap, 1, op);
        em_closure_call(f, &am, 1, om);
        double *yp = check_values(em_array_list_get(op, 0)), *ym = check_values(em_array_list_get(om, 0));
        double d = 0;
        for (int64_t k = 0; k < m; k++) {
            d += cv[k] * (yp[k] - ym[k]) / (2 * eps);
            fd_j[k] += tv[i] * (yp[k] - ym[k]) / (2 * eps);
        }
        CHECK_CLOSE(gv[i], d, 1e-6);
        free(yp);
        free(ym);
        em_array_list_free(op);
        em_array_list_free(om);
        em_array_release(ap);
        em_array_release(am);
    }
    for (int64_t k = 0; k < m; k++) CHECK_CLOSE(jv[k], fd_j[k], 1e-6);
    free(gv);
    free(jv);
    em_array_list_free(out);
    em_array_list_free(g);
    em_array_list_free(jo);
    em_array_list_free(jt);
    em_closure_release(f);
    em_array_release(x);
    em_array_release(t);
    em_array_release(y);
    em_array_release(c);
}

int main(void) {
    int64_t lens[] = {0, 1, 2, 7, 17, 100, 300, 1500, 5000, 70000};
    for (int d = 0; d < N_DTYPES; d++)
        for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) check_1d(DTYPES[d], lens[l]);
    check_axes();
    check_empty_0d();
    check_errors();
    check_median();
    check_searchsorted();
    for (int w = 0; w < 4; w++) check_grads(w);
    CHECK_DONE();
}
