/* misc.c -- ops made of other ops: trunc, logical_xor, isclose/allclose,
 * array_equal, softmax, count_nonzero, diff, roll, meshgrid, the windows,
 * broadcast_shapes and matrix_transpose. They add no primitive, so their
 * gradients and batching come from the ops they are made of. Messages follow
 * MLX 0.32's text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* ---------------------------------------------------------------- elementwise */

/* floor for x >= 0, ceil below (so -0.5 gives -0.0, as C's trunc). */
EM_PUBLIC_OP(em_trunc, (const em_array *a), (a)) {
    EM_CHECK_ARG("trunc", a);
    if (a->dtype == EM_COMPLEX64)
        return error_set(EM_ERR_VALUE, "[trunc] Not supported for complex64.");
    if (!dtype_is_float(a->dtype)) return em_array_retain((em_array *)a);
    rule_tmp t = {0};
    em_array *neg = tk(&t, em_less(a, sc(&t, 0.0, a)));
    em_array *r = em_where(neg, tk(&t, em_ceil(a)), tk(&t, em_floor(a)));
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_logical_xor, (const em_array *a, const em_array *b), (a, b)) {
    EM_CHECK_ARG("logical_xor", a);
    EM_CHECK_ARG("logical_xor", b);
    em_array *x = em_astype(a, EM_BOOL), *y = x ? em_astype(b, EM_BOOL) : NULL;
    em_array *r = y ? em_not_equal(x, y) : NULL;
    em_array_release(x);
    em_array_release(y);
    return r;
}

/* The real dtype a comparison of a and b works in: their promotion with
 * float32 (MLX's tolerances are float32 constants), magnitudes of complex. */
static em_dtype close_dtype(const em_array *a, const em_array *b) {
    return em_result_type(em_result_type(a->dtype, b->dtype), EM_FLOAT32);
}

EM_PUBLIC_OP(em_isclose,
             (const em_array *a, const em_array *b, double rtol, double atol, bool equal_nan),
             (a, b, rtol, atol, equal_nan)) {
    EM_CHECK_ARG("isclose", a);
    EM_CHECK_ARG("isclose", b);
    em_dtype dt = close_dtype(a, b), rt = dt == EM_COMPLEX64 ? EM_FLOAT32 : dt;
    rule_tmp t = {0};
    em_array *x = tk(&t, ops_cast(a, dt)), *y = tk(&t, ops_cast(b, dt));
    em_array *lhs = tk(&t, em_abs(tk(&t, em_subtract(x, y))));
    em_array *rhs = tk(&t, em_add(tk(&t, ops_scalar(atol, rt)),
                                  tk(&t, em_multiply(tk(&t, ops_scalar(rtol, rt)), tk(&t, em_abs(y))))));
    /* finite values within tolerance, or infinities of one sign */
    em_array *fin = tk(&t, em_logical_and(tk(&t, em_isfinite(x)), tk(&t, em_isfinite(y))));
    em_array *close = tk(&t, em_logical_and(tk(&t, em_less_equal(lhs, rhs)), fin));
    em_array *inf = tk(&t, em_logical_and(tk(&t, em_equal(x, y)), tk(&t, em_isinf(x))));
    em_array *r = em_logical_or(close, inf);
    if (r && equal_nan) {
        em_array *nn = tk(&t, em_logical_and(tk(&t, em_isnan(x)), tk(&t, em_isnan(y))));
        tk(&t, r);
        r = em_logical_or(r, nn);
    }
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_allclose,
             (const em_array *a, const em_array *b, double rtol, double atol, bool equal_nan),
             (a, b, rtol, atol, equal_nan)) {
    em_array *c = em_isclose(a, b, rtol, atol, equal_nan);
    em_array *r = c ? em_all(c, NULL, -1, false) : NULL;
    em_array_release(c);
    return r;
}

EM_PUBLIC_OP(em_array_equal, (const em_array *a, const em_array *b, bool equal_nan),
             (a, b, equal_nan)) {
    EM_CHECK_ARG("array_equal", a);
    EM_CHECK_ARG("array_equal", b);
    if (a->ndim != b->ndim ||
        (a->ndim && memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape) != 0))
        return em_array_from_bool(false);
    em_dtype dt = em_result_type(a->dtype, b->dtype);
    rule_tmp t = {0};
    em_array *x = tk(&t, ops_cast(a, dt)), *y = tk(&t, ops_cast(b, dt));
    em_array *eq = tk(&t, em_equal(x, y));
    if (equal_nan && dtype_is_inexact(dt))
        eq = tk(&t, em_logical_or(eq, tk(&t, em_logical_and(tk(&t, em_isnan(x)), tk(&t, em_isnan(y))))));
    em_array *r = eq ? em_all(eq, NULL, -1, false) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- reductions */

/* The shift by the maximum is behind stop_gradient: softmax does not depend
 * on it, and its gradient would only add terms that cancel. */
EM_PUBLIC_OP(em_softmax, (const em_array *a, const int *axes, int naxes, bool precise),
             (a, axes, naxes, precise)) {
    (void)precise;
    EM_CHECK_ARG("softmax", a);
    int ax[EM_MAX_NDIM], nax = a->ndim;
    if (naxes >= 0) {
        nax = shape_axes("softmax", axes, naxes, a->ndim, ax);
        if (nax < 0) return NULL;
    } else {
        for (int i = 0; i < nax; i++) ax[i] = i;
    }
    em_dtype dt = dtype_to_inexact(a->dtype);
    bool half = dt == EM_FLOAT16 || dt == EM_BFLOAT16;
    rule_tmp t = {0};
    em_array *x = tk(&t, ops_cast(a, half ? EM_FLOAT32 : dt));
    if (a->size == 0 || nax == 0) {
        /* nothing to reduce over: exp(x - x) = 1 per element, as MLX */
        em_array *r = x ? em_exp(tk(&t, em_subtract(x, x))) : NULL;
        em_array *out = ops_cast(r, dt);
        em_array_release(r);
        rule_tmp_free(&t);
        return out;
    }
    em_array *m = tk(&t, em_stop_gradient(tk(&t, em_max(x, ax, nax, true))));
    em_array *e = tk(&t, em_exp(tk(&t, em_subtract(x, m))));
    em_array *r = tk(&t, em_divide(e, tk(&t, em_sum(e, ax, nax, true))));
    em_array *out = ops_cast(r, dt);
    rule_tmp_free(&t);
    return out;
}

EM_PUBLIC_OP(em_count_nonzero, (const em_array *a, const int *axes, int naxes, bool keepdims),
             (a, axes, naxes, keepdims)) {
    EM_CHECK_ARG("count_nonzero", a);
    int ax[EM_MAX_NDIM];
    if (naxes >= 0 && shape_axes("count_nonzero", axes, naxes, a->ndim, ax) < 0) return NULL;
    rule_tmp t = {0};
    /* bool sums as it is (a comparison pass would cost more than the sum) */
    em_array *nz = a->dtype == EM_BOOL ? (em_array *)a : tk(&t, em_not_equal(a, sc(&t, 0.0, a)));
    em_array *s = tk(&t, em_sum(nz, axes, naxes, keepdims));
    em_array *r = ops_cast(s, EM_INT32);
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- shifts */

EM_PUBLIC_OP(em_diff, (const em_array *a, int n, int axis), (a, n, axis)) {
    EM_CHECK_ARG("diff", a);
    if (n < 0) return error_set(EM_ERR_VALUE, "[diff] Order `n` must be non-negative.");
    if (axis < -a->ndim || axis >= a->ndim)
        return error_set(EM_ERR_INDEX, "[diff] Axis is out of bounds for the array.");
    if (axis < 0) axis += a->ndim;
    int64_t len = a->shape[axis];
    if (n >= len) return rules_slice_axis(a, axis, 0, 0); /* empty along axis */
    em_array *x = em_array_retain((em_array *)a);
    for (int k = 0; k < n && x; k++) {
        int64_t m = x->shape[axis];
        em_array *hi = rules_slice_axis(x, axis, 1, m - 1);
        em_array *lo = hi ? rules_slice_axis(x, axis, 0, m - 1) : NULL;
        em_array *d = lo ? (x->dtype == EM_BOOL ? em_not_equal(hi, lo) : em_subtract(hi, lo)) : NULL;
        em_array_release(hi);
        em_array_release(lo);
        em_array_release(x);
        x = d;
    }
    return x;
}

/* a rolled by k along axis: its last k elements first. */
static em_array *roll_axis(em_array *a, int64_t k, int axis) {
    int64_t len = a->shape[axis];
    if (len == 0 || (k %= len) == 0) return em_array_retain(a);
    if (k < 0) k += len;
    em_array *p[2];
    p[0] = rules_slice_axis(a, axis, len - k, k);
    p[1] = p[0] ? rules_slice_axis(a, axis, 0, len - k) : NULL;
    em_array *r = p[1] ? em_concatenate((const em_array *const *)p, 2, axis) : NULL;
    em_array_release(p[0]);
    em_array_release(p[1]);
    return r;
}

EM_PUBLIC_OP(em_roll,
             (const em_array *a, const int64_t *shift, int nshift, const int *axes, int naxes),
             (a, shift, nshift, axes, naxes)) {
    EM_CHECK_ARG("roll", a);
    if (nshift > 0 && !shift) return error_set(EM_ERR_NULL, "[roll] The shift pointer is NULL.");
    if (naxes > 0 && !axes) return error_set(EM_ERR_NULL, "[roll] The axes pointer is NULL.");
    if (naxes == 0) return em_array_retain((em_array *)a);
    if (naxes < 0) {
        int64_t total = 0, flat = a->size;
        for (int i = 0; i < nshift; i++) total += shift[i] % (flat ? flat : 1);
        em_array *f = ops_reshape(a, &flat, 1);
        em_array *r = f ? roll_axis(f, total, 0) : NULL;
        em_array *out = r ? ops_reshape(r, a->shape, a->ndim) : NULL;
        em_array_release(f);
        em_array_release(r);
        return out;
    }
    if (nshift < naxes)
        return error_set(EM_ERR_VALUE,
                         "[roll] At least one shift value per axis is required, %d provided for %d axes.",
                         nshift, naxes);
    int ax[EM_MAX_NDIM];
    if (naxes > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[roll] Too many axes (%d).", naxes);
    for (int i = 0; i < naxes; i++)
        if ((ax[i] = shape_axis("roll", axes[i], a->ndim)) < 0) return NULL;
    em_array *x = em_array_retain((em_array *)a);
    for (int i = 0; i < naxes && x; i++) {
        em_array *r = roll_axis(x, shift[i], ax[i]);
        em_array_release(x);
        x = r;
    }
    return x;
}

/* ---------------------------------------------------------------- grids */

EM_PUBLIC_MULTI(em_meshgrid, (const em_array *const *arrays, size_t n, bool sparse, bool ij,
                              em_array **out),
                (arrays, n, sparse, ij, out), out, n) {
    if (n > 0 && (!arrays || !out))
        return error_status(EM_ERR_NULL, "[meshgrid] The arrays pointer is NULL.");
    if (n > EM_MAX_NDIM)
        return error_status(EM_ERR_VALUE, "[meshgrid] At most %d arrays, got %zu.", EM_MAX_NDIM, n);
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        if (!arrays[i]) {
            error_null_arg("meshgrid");
            return em_error_code();
        }
    }
    int nd = (int)n;
    int64_t full[EM_MAX_NDIM];
    for (int i = 0; i < nd; i++) full[i] = arrays[i]->size;
    /* 'xy' swaps the first two axes of the grid */
    int pos[EM_MAX_NDIM];
    for (int i = 0; i < nd; i++) pos[i] = i;
    if (!ij && nd >= 2) {
        pos[0] = 1;
        pos[1] = 0;
        int64_t t = full[0];
        full[0] = full[1];
        full[1] = t;
    }
    for (int i = 0; i < nd; i++) {
        int64_t shape[EM_MAX_NDIM];
        for (int k = 0; k < nd; k++) shape[k] = 1;
        shape[pos[i]] = arrays[i]->size;
        em_array *r = ops_reshape(arrays[i], shape, nd);
        out[i] = r && !sparse ? ops_broadcast(r, full, nd) : em_array_retain(r);
        em_array_release(r);
        if (!out[i]) {
            for (int k = 0; k < i; k++) {
                em_array_release(out[k]);
                out[k] = NULL;
            }
            return em_error_code();
        }
    }
    return EM_OK;
}

typedef enum { WIN_HANNING, WIN_HAMMING, WIN_BLACKMAN, WIN_BARTLETT } window_kind;

/* Computed here in double, as NumPy does, then stored as float32: the window
 * is a constant, evaluated at once. */
static em_array *window(const char *op, window_kind kind, int64_t m) {
    if (m < 1) m = 0;
    /* the memory limit bounds it, as it would an evaluated array */
    if ((uint64_t)m > SIZE_MAX / sizeof(float) || (size_t)m * sizeof(float) > em_get_memory_limit())
        return error_set(EM_ERR_MEMORY, "[%s] Cannot allocate a window of %lld points.", op,
                         (long long)m);
    float *w = malloc((size_t)(m ? m : 1) * sizeof *w);
    if (!w)
        return error_set(EM_ERR_MEMORY, "[%s] Cannot allocate a window of %lld points.", op,
                         (long long)m);
    for (int64_t i = 0; i < m; i++) {
        double v = 1.0;
        if (m > 1) {
            double x = 2.0 * M_PI * (double)i / (double)(m - 1);
            switch (kind) {
            case WIN_HANNING: v = 0.5 - 0.5 * cos(x); break;
            case WIN_HAMMING: v = 0.54 - 0.46 * cos(x); break;
            case WIN_BLACKMAN: v = 0.42 - 0.5 * cos(x) + 0.08 * cos(2.0 * x); break;
            case WIN_BARTLETT: v = 1.0 - fabs(2.0 * (double)i / (double)(m - 1) - 1.0); break;
            }
        }
        w[i] = (float)v;
    }
    em_array *r = em_array_from_data(w, &m, 1, EM_FLOAT32);
    free(w);
    return r;
}

EM_PUBLIC_OP(em_hanning, (int64_t m), (m)) { return window("hanning", WIN_HANNING, m); }
EM_PUBLIC_OP(em_hamming, (int64_t m), (m)) { return window("hamming", WIN_HAMMING, m); }
EM_PUBLIC_OP(em_blackman, (int64_t m), (m)) { return window("blackman", WIN_BLACKMAN, m); }
EM_PUBLIC_OP(em_bartlett, (int64_t m), (m)) { return window("bartlett", WIN_BARTLETT, m); }

/* ---------------------------------------------------------------- shapes */

EM_API em_status em_broadcast_shapes(const int64_t *const *shapes, const int *ndims, size_t n,
                                     int64_t *out, int *out_ndim) {
    if (n == 0)
        return error_status(EM_ERR_VALUE, "[broadcast_shapes] Must provide at least one shape.");
    if (!shapes || !ndims || !out || !out_ndim)
        return error_status(EM_ERR_NULL, "[broadcast_shapes] A pointer argument is NULL.");
    int64_t acc[EM_MAX_NDIM];
    int nd = 0;
    for (size_t i = 0; i < n; i++) {
        if (ndims[i] < 0 || ndims[i] > EM_MAX_NDIM || (ndims[i] > 0 && !shapes[i]))
            return error_status(EM_ERR_VALUE, "[broadcast_shapes] Shape %zu is not valid.", i);
        for (int k = 0; k < ndims[i]; k++)
            if (shapes[i][k] < 0)
                return error_status(EM_ERR_VALUE,
                                    "[broadcast_shapes] Negative dimensions not allowed.");
        if (i == 0) {
            nd = ndims[0];
            if (nd) memcpy(acc, shapes[0], (size_t)nd * sizeof *acc);
            continue;
        }
        int64_t next[EM_MAX_NDIM];
        nd = shape_broadcast("broadcast_shapes", acc, nd, shapes[i], ndims[i], next);
        if (nd < 0) return em_error_code();
        if (nd) memcpy(acc, next, (size_t)nd * sizeof *acc);
    }
    if (nd) memcpy(out, acc, (size_t)nd * sizeof *acc);
    *out_ndim = nd;
    return EM_OK;
}

EM_PUBLIC_OP(em_matrix_transpose, (const em_array *a), (a)) {
    EM_CHECK_ARG("matrix_transpose", a);
    if (a->ndim < 2)
        return error_set(EM_ERR_VALUE,
                         "[matrix_transpose] Input array must have at least 2 dimensions.");
    return em_swapaxes(a, -1, -2);
}
