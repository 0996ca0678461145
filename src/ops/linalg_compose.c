/* linalg_compose.c -- the linalg functions written with other ops: norm, pinv,
 * lu (from the LU primitive), det, slogdet and cross. Their gradients come
 * from the ops they are made of.
 *
 * Departures from MLX, where MLX's behaviour is a bug or an accident: norms
 * of complex input are real (MLX returns complex64 for some orders); matrix
 * 2-norms and nuclear norms of integer input work (MLX refuses them inside
 * its SVD); float16/bfloat16 norms are computed in float32 and rounded once;
 * a repeated axis is an error for every order. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "linalg.h"

/* Releases every non-NULL array of the list. */
static void release_all(em_array **xs, int n) {
    for (int i = 0; i < n; i++) em_array_release(xs[i]);
}

/* a[..., r0:r1, c0:c1] */
static em_array *slice_last2(const em_array *a, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM];
    for (int i = 0; i < a->ndim; i++) {
        start[i] = 0;
        stop[i] = a->shape[i];
    }
    start[a->ndim - 2] = r0;
    stop[a->ndim - 2] = r1;
    start[a->ndim - 1] = c0;
    stop[a->ndim - 1] = c1;
    return em_slice(a, start, stop, NULL, a->ndim);
}

/* a[..., i:i+1, ...] along axis. */
static em_array *slice_axis1(const em_array *a, int axis, int64_t i) {
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM];
    for (int d = 0; d < a->ndim; d++) {
        start[d] = 0;
        stop[d] = a->shape[d];
    }
    start[axis] = i;
    stop[axis] = i + 1;
    return em_slice(a, start, stop, NULL, a->ndim);
}

/* ---------------------------------------------------------------- norm */

enum { ORD_NUMBER, ORD_DEFAULT, ORD_FRO, ORD_NUC };

/* The dtype norms return, and the one they compute in. */
static em_dtype norm_out_dtype(em_dtype dt) {
    return dt == EM_FLOAT16 || dt == EM_BFLOAT16 || dt == EM_FLOAT64 || dt == EM_FLOAT32 ? dt : EM_FLOAT32;
}
static em_dtype norm_work_dtype(em_dtype dt) { return dt == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32; }

/* |a| in the working dtype. */
static em_array *norm_abs(const em_array *a) {
    if (a->dtype == EM_COMPLEX64) return em_abs(a);
    em_array *c = ops_cast(a, norm_work_dtype(a->dtype)), *r = c ? em_abs(c) : NULL;
    em_array_release(c);
    return r;
}

/* What norm_l2 squares: |a| for complex input; for real input a itself
 * (a * a == |a| * |a| exactly, and one pass fewer). */
static em_array *norm_l2_input(const em_array *a) {
    return a->dtype == EM_COMPLEX64 ? em_abs(a) : ops_cast(a, norm_work_dtype(a->dtype));
}

/* sqrt(sum |a|^2) over axes (n < 0: all). */
static em_array *norm_l2(const em_array *x, const int *ax, int n, bool keepdims) {
    em_array *s = em_square(x), *t = s ? em_sum(s, ax, n, keepdims) : NULL, *r = t ? em_sqrt(t) : NULL;
    em_array_release(s);
    em_array_release(t);
    return r;
}

/* A vector norm over the axes (one, or all when n < 0) of x = |a|, or of a
 * itself (real) for ord 2. */
static em_array *vector_norm(const em_array *x, double ord, const int *ax, int n, bool keepdims) {
    if (ord == 2) return norm_l2(x, ax, n, keepdims);
    if (ord == INFINITY) return em_max(x, ax, n, keepdims);
    if (ord == -INFINITY) return em_min(x, ax, n, keepdims);
    if (ord == 1) return em_sum(x, ax, n, keepdims);
    em_array *r = NULL;
    if (ord == 0) {
        em_array *zero = ops_scalar(0, x->dtype), *nz = zero ? em_not_equal(x, zero) : NULL;
        em_array *c = nz ? em_sum(nz, ax, n, keepdims) : NULL;
        r = c ? ops_cast(c, x->dtype) : NULL;
        em_array *tmp[] = {zero, nz, c};
        release_all(tmp, 3);
        return r;
    }
    em_array *p = ops_scalar(ord, x->dtype), *q = ops_scalar(1.0 / ord, x->dtype);
    em_array *xp = p ? em_power(x, p) : NULL, *s = xp ? em_sum(xp, ax, n, keepdims) : NULL;
    r = s && q ? em_power(s, q) : NULL;
    em_array *tmp[] = {p, q, xp, s};
    release_all(tmp, 4);
    return r;
}

/* Singular values of x with the axes (r, c) moved last, reduced over K by
 * max (ord 2), min (-2) or sum (nuclear). */
static em_array *svd_norm(const em_array *a, int r, int c, int kind, bool keepdims) {
    int perm[EM_MAX_NDIM], np = 0;
    for (int i = 0; i < a->ndim; i++)
        if (i != r && i != c) perm[np++] = i;
    perm[np++] = r;
    perm[np++] = c;
    em_dtype wd = a->dtype == EM_COMPLEX64 ? EM_COMPLEX64 : norm_work_dtype(a->dtype);
    em_array *x = ops_cast(a, wd), *t = x ? em_transpose(x, perm, np) : NULL, *s = NULL, *res = NULL;
    if (t) linalg_svd_node(t, false, false, &s);
    int last = -1;
    if (s) res = kind == 2 ? em_max(s, &last, 1, false) : kind == -2 ? em_min(s, &last, 1, false)
                                                          : em_sum(s, &last, 1, false);
    if (res && keepdims) {
        int ax[2] = {r < c ? r : c, r < c ? c : r};
        em_array *e = em_expand_dims(res, ax, 2);
        em_array_release(res);
        res = e;
    }
    em_array *tmp[] = {x, t, s};
    release_all(tmp, 3);
    return res;
}

/* A matrix norm of a over axes (r, c). */
static em_array *matrix_norm(const em_array *a, int kind, double ord, int r, int c, bool keepdims) {
    if (kind == ORD_NUC) return svd_norm(a, r, c, 0, keepdims);
    if (kind == ORD_NUMBER && (ord == 2 || ord == -2)) return svd_norm(a, r, c, (int)ord, keepdims);
    em_array *x = kind != ORD_NUMBER ? norm_l2_input(a) : norm_abs(a), *res = NULL;
    if (!x) return NULL;
    int both[2] = {r < c ? r : c, r < c ? c : r};
    if (kind != ORD_NUMBER) {
        res = norm_l2(x, both, 2, keepdims);
    } else {
        /* 1: max over columns of the column sums; inf: max over rows of the row sums. */
        int sum_ax = fabs(ord) == 1 ? r : c, red_ax = fabs(ord) == 1 ? c : r;
        em_array *s = em_sum(x, &sum_ax, 1, true);
        em_array *m = !s ? NULL : ord > 0 ? em_max(s, &red_ax, 1, true) : em_min(s, &red_ax, 1, true);
        res = m && !keepdims ? em_squeeze(m, both, 2) : em_array_retain(m);
        em_array_release(s);
        em_array_release(m);
    }
    em_array_release(x);
    return res;
}

static em_array *norm(const em_array *a, int kind, double ord, const char *ord_str,
                      const int *axes, int naxes, bool keepdims) {
    EM_CHECK_ARG("linalg::norm", a);
    if (kind == ORD_NUMBER && isnan(ord))
        return error_set(EM_ERR_VALUE, "[linalg::norm] Invalid ord nan.");
    em_dtype od = norm_out_dtype(a->dtype);
    int ax[2], nax;
    if (naxes < 0) {
        if (kind == ORD_DEFAULT) {
            em_array *x = norm_l2_input(a), *r = x ? norm_l2(x, NULL, -1, keepdims) : NULL;
            em_array *o = r ? ops_cast(r, od) : NULL;
            em_array_release(x);
            em_array_release(r);
            return o;
        }
        if (a->ndim != 1 && a->ndim != 2)
            return error_set(EM_ERR_VALUE, "[linalg::norm] Received too many axes for norm.");
        nax = a->ndim;
        ax[0] = 0;
        ax[1] = 1;
    } else {
        if (naxes > 2)
            return error_set(EM_ERR_VALUE, "[linalg::norm] Received too many axes for norm.");
        if (naxes == 0)
            return error_set(EM_ERR_VALUE, "[linalg::norm] Received an empty list of axes.");
        if (!axes) return error_set(EM_ERR_NULL, "[linalg::norm] The axes pointer is NULL.");
        nax = naxes;
        for (int i = 0; i < nax; i++)
            if ((ax[i] = shape_axis("linalg::norm", axes[i], a->ndim)) < 0) return NULL;
        if (nax == 2 && ax[0] == ax[1])
            return error_set(EM_ERR_VALUE, "[linalg::norm] Duplicate axes detected in norm.");
    }
    if ((kind == ORD_FRO || kind == ORD_NUC) && nax != 2)
        return error_set(EM_ERR_VALUE,
                         "[linalg::norm] Norm '%s' only supported for matrices, but received %d axis/axes.",
                         ord_str, nax);
    em_array *r = NULL;
    if (nax == 1) {
        double o = kind == ORD_DEFAULT ? 2 : ord;
        em_array *x = o == 2 ? norm_l2_input(a) : norm_abs(a);
        r = x ? vector_norm(x, o, ax, 1, keepdims) : NULL;
        em_array_release(x);
    } else {
        if (kind == ORD_NUMBER && !(fabs(ord) == 1 || fabs(ord) == 2 || isinf(ord)))
            return error_set(EM_ERR_VALUE, "[linalg::norm] Invalid ord %g for matrix norm.", ord);
        r = matrix_norm(a, kind, ord, ax[0], ax[1], keepdims);
    }
    em_array *o = r ? ops_cast(r, od) : NULL;
    em_array_release(r);
    return o;
}

EM_PUBLIC_OP(em_linalg_norm, (const em_array *a, const int *axes, int naxes, bool keepdims),
             (a, axes, naxes, keepdims)) {
    return norm(a, ORD_DEFAULT, 0, NULL, axes, naxes, keepdims);
}

EM_PUBLIC_OP(em_linalg_norm_ord, (const em_array *a, double ord, const int *axes, int naxes, bool keepdims),
             (a, ord, axes, naxes, keepdims)) {
    return norm(a, ORD_NUMBER, ord, NULL, axes, naxes, keepdims);
}

EM_PUBLIC_OP(em_linalg_norm_matrix, (const em_array *a, const char *ord, const int *axes, int naxes,
                                     bool keepdims),
             (a, ord, axes, naxes, keepdims)) {
    if (!ord) return error_set(EM_ERR_NULL, "[linalg::norm] The ord string is NULL.");
    int kind = !strcmp(ord, "fro") ? ORD_FRO : !strcmp(ord, "nuc") ? ORD_NUC : -1;
    if (kind < 0) {
        EM_CHECK_ARG("linalg::norm", a);
        int n = naxes < 0 ? a->ndim : naxes;
        if (n != 2)
            return error_set(EM_ERR_VALUE,
                             "[linalg::norm] Norm '%s' only supported for matrices, but received %d axis/axes.",
                             ord, n);
        return error_set(EM_ERR_VALUE, "[linalg::norm] Invalid ord '%s' for matrix norm.", ord);
    }
    return norm(a, kind, 0, ord, axes, naxes, keepdims);
}

/* ---------------------------------------------------------------- pinv */

EM_PUBLIC_OP(em_linalg_pinv, (const em_array *a), (a)) {
    if (!linalg_check("pinv", a, false, NULL)) return NULL;
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1];
    if (m == 0 || n == 0) {
        int64_t shape[EM_MAX_NDIM];
        memcpy(shape, a->shape, (size_t)a->ndim * sizeof *shape);
        shape[a->ndim - 2] = n;
        shape[a->ndim - 1] = m;
        return em_zeros(shape, a->ndim, a->dtype);
    }
    em_array *usv[3] = {NULL, NULL, NULL};
    if (linalg_svd_node(a, true, false, usv) != EM_OK) return NULL;
    /* pinv = V diag(1/s for s > cutoff, else 0) U^T, cutoff = max(M,N) eps max(s). */
    double eps = a->dtype == EM_FLOAT32 ? FLT_EPSILON : DBL_EPSILON;
    int last = -1;
    em_array *smax = em_max(usv[1], &last, 1, true);
    em_array *rc = ops_scalar((double)(m > n ? m : n) * eps, a->dtype);
    em_array *cut = smax && rc ? em_multiply(smax, rc) : NULL;
    em_array *keep = cut ? em_greater(usv[1], cut) : NULL;
    em_array *inv = em_reciprocal(usv[1]), *zero = ops_scalar(0, a->dtype);
    em_array *rs = keep && inv && zero ? em_where(keep, inv, zero) : NULL;
    int one = -2;
    em_array *rs2 = rs ? em_expand_dims(rs, &one, 1) : NULL;
    em_array *v = em_swapaxes(usv[2], -1, -2), *ut = em_swapaxes(usv[0], -1, -2);
    em_array *vs = v && rs2 ? em_multiply(v, rs2) : NULL;
    em_array *r = vs && ut ? em_matmul(vs, ut) : NULL;
    em_array *tmp[] = {usv[0], usv[1], usv[2], smax, rc, cut, keep, inv, zero, rs, rs2, v, ut, vs};
    release_all(tmp, 14);
    return r;
}

/* ---------------------------------------------------------------- lu, det */

EM_PUBLIC_MULTI(em_linalg_lu, (const em_array *a, em_array **out), (a, out), out, 3) {
    if (!out) return error_status(EM_ERR_NULL, "[linalg::lu] The output pointer is NULL.");
    em_array *f[3];
    if (linalg_lu_node("lu", a, f) != EM_OK) return em_error_code();
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    em_array *lpart = slice_last2(f[0], 0, m, 0, k), *upart = slice_last2(f[0], 0, k, 0, n);
    em_array *strict = lpart ? em_tril(lpart, -1) : NULL, *eye = em_eye(m, k, 0, a->dtype);
    em_array *l = strict && eye ? em_add(strict, eye) : NULL, *u = upart ? em_triu(upart, 0) : NULL;
    em_array *tmp[] = {f[0], f[1], lpart, upart, strict, eye};
    release_all(tmp, 6);
    if (!l || !u) {
        em_array *rest[] = {f[2], l, u};
        release_all(rest, 3);
        return em_error_code();
    }
    out[0] = f[2];
    out[1] = l;
    out[2] = u;
    return EM_OK;
}

/* The dtype det/slogdet compute in, or -1 with MLX's error. */
static int det_dtype(const char *op, const em_array *a) {
    if (!a) return error_null_arg(op), -1;
    if (a->dtype == EM_COMPLEX64)
        return error_set(EM_ERR_VALUE, "[linalg::%s] Complex inputs are not supported.", op), -1;
    if (a->ndim < 2)
        return error_set(EM_ERR_VALUE, "[linalg::%s] Arrays must have >= 2 dimensions. Received array "
                                       "with %d dimensions.", op, a->ndim), -1;
    if (a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
        return error_set(EM_ERR_VALUE, "[linalg::%s] Only defined for square matrices.", op), -1;
    return a->dtype == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
}

/* The dtype det/slogdet return (MLX: floats keep theirs, others float32). */
static em_dtype det_out_dtype(em_dtype dt) { return dtype_is_float(dt) ? dt : EM_FLOAT32; }

/* From the LU of a: the diagonal of U (..., n) and the permutation's sign
 * (...) as +-1 in dtype dt. */
static em_status lu_parts(const char *op, const em_array *a, em_dtype dt, em_array **diag, em_array **sign) {
    *diag = *sign = NULL;
    em_array *x = ops_cast(a, dt), *f[3] = {NULL, NULL, NULL};
    if (!x || linalg_lu_node(op, x, f) != EM_OK) {
        em_array_release(x);
        return em_error_code();
    }
    int64_t n = a->shape[a->ndim - 1], flat[EM_MAX_NDIM];
    int nb = a->ndim - 2;
    memcpy(flat, a->shape, (size_t)nb * sizeof *flat);
    flat[nb] = n * n;
    em_array *lu = f[0] ? ops_reshape(f[0], flat, nb + 1) : NULL;
    if (lu) {
        int64_t start[EM_MAX_NDIM] = {0}, stop[EM_MAX_NDIM], step[EM_MAX_NDIM];
        for (int i = 0; i <= nb; i++) {
            stop[i] = flat[i];
            step[i] = 1;
        }
        step[nb] = n + 1;
        *diag = em_slice(lu, start, stop, step, nb + 1);
    }
    /* sign = 1 - 2 * (number of rows swapped mod 2) */
    em_array *idx = em_arange(0, (double)n, 1, EM_UINT32);
    em_array *moved = idx ? em_not_equal(f[1], idx) : NULL;
    int last = -1;
    em_array *cnt = moved ? em_sum(moved, &last, 1, false) : NULL;
    em_array *two = ops_scalar(2, EM_UINT32), *par = cnt && two ? em_remainder(cnt, two) : NULL;
    em_array *pf = par ? ops_cast(par, dt) : NULL, *m2 = ops_scalar(-2, dt), *one = ops_scalar(1, dt);
    em_array *sc = pf && m2 ? em_multiply(pf, m2) : NULL;
    *sign = sc && one ? em_add(sc, one) : NULL;
    em_array *tmp[] = {x, f[0], f[1], f[2], lu, idx, moved, cnt, two, par, pf, m2, one, sc};
    release_all(tmp, 14);
    if (!*diag || !*sign) {
        em_array_release(*diag);
        em_array_release(*sign);
        *diag = *sign = NULL;
        return em_error_code();
    }
    return EM_OK;
}

EM_PUBLIC_OP(em_linalg_det, (const em_array *a), (a)) {
    int dt = det_dtype("det", a);
    if (dt < 0) return NULL;
    em_array *d, *s;
    if (lu_parts("det", a, (em_dtype)dt, &d, &s) != EM_OK) return NULL;
    int last = -1;
    em_array *p = em_prod(d, &last, 1, false), *r = p ? em_multiply(p, s) : NULL;
    em_array *o = r ? ops_cast(r, det_out_dtype(a->dtype)) : NULL;
    em_array *tmp[] = {d, s, p, r};
    release_all(tmp, 4);
    return o;
}

EM_PUBLIC_MULTI(em_linalg_slogdet, (const em_array *a, em_array **out), (a, out), out, 2) {
    if (!out) return error_status(EM_ERR_NULL, "[linalg::slogdet] The output pointer is NULL.");
    int dt = det_dtype("slogdet", a);
    if (dt < 0) return em_error_code();
    em_array *d, *s;
    if (lu_parts("slogdet", a, (em_dtype)dt, &d, &s) != EM_OK) return em_error_code();
    int last = -1;
    em_dtype od = det_out_dtype(a->dtype);
    em_array *sg = em_sign(d), *ps = sg ? em_prod(sg, &last, 1, false) : NULL;
    em_array *sign = ps ? em_multiply(ps, s) : NULL;
    em_array *ab = em_abs(d), *lg = ab ? em_log(ab) : NULL, *la = lg ? em_sum(lg, &last, 1, false) : NULL;
    em_array *o0 = sign ? ops_cast(sign, od) : NULL, *o1 = la ? ops_cast(la, od) : NULL;
    em_array *tmp[] = {d, s, sg, ps, sign, ab, lg, la};
    release_all(tmp, 8);
    if (!o0 || !o1) {
        em_array_release(o0);
        em_array_release(o1);
        return em_error_code();
    }
    out[0] = o0;
    out[1] = o1;
    return EM_OK;
}

/* ---------------------------------------------------------------- cross */

EM_PUBLIC_OP(em_linalg_cross, (const em_array *a, const em_array *b, int axis), (a, b, axis)) {
    EM_CHECK_ARG("linalg::cross", a);
    EM_CHECK_ARG("linalg::cross", b);
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int ax = axis < 0 ? axis + nd : axis;
    if (ax < 0 || ax >= nd || nd == 0)
        return error_set(EM_ERR_INDEX, "[linalg::cross] Axis %d is out of bounds for array with %d dimensions.",
                         axis, nd);
    const em_array *src[2] = {a, b};
    em_array *v[2] = {NULL, NULL}, *bc[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        const em_array *x = src[i];
        int64_t shape[EM_MAX_NDIM];
        int off = nd - x->ndim;
        for (int d = 0; d < nd; d++) shape[d] = d < off ? 1 : x->shape[d - off];
        if (shape[ax] != 2 && shape[ax] != 3) {
            em_array_release(v[0]);
            return error_set(EM_ERR_VALUE, "[linalg::cross] The specified axis must have size 2 or 3.");
        }
        em_array *r = ops_reshape(x, shape, nd);
        if (r && shape[ax] == 2) {
            int64_t pw[2 * EM_MAX_NDIM] = {0};
            pw[2 * ax + 1] = 1;
            em_array *p = em_pad(r, pw, nd, EM_PAD_CONSTANT, NULL);
            em_array_release(r);
            r = p;
        }
        v[i] = r;
    }
    em_array *res = NULL;
    if (v[0] && v[1] && em_broadcast_arrays((const em_array *const *)v, 2, bc) == EM_OK) {
        em_array *ca[3], *cb[3], *c[3] = {NULL, NULL, NULL};
        for (int k = 0; k < 3; k++) {
            ca[k] = slice_axis1(bc[0], ax, k);
            cb[k] = slice_axis1(bc[1], ax, k);
        }
        for (int k = 0; k < 3; k++) {
            int i = (k + 1) % 3, j = (k + 2) % 3;
            em_array *p = ca[i] && cb[j] ? em_multiply(ca[i], cb[j]) : NULL;
            em_array *q = ca[j] && cb[i] ? em_multiply(ca[j], cb[i]) : NULL;
            c[k] = p && q ? em_subtract(p, q) : NULL;
            em_array_release(p);
            em_array_release(q);
        }
        if (c[0] && c[1] && c[2]) res = em_concatenate((const em_array *const *)c, 3, ax);
        release_all(ca, 3);
        release_all(cb, 3);
        release_all(c, 3);
    }
    em_array *tmp[] = {v[0], v[1], bc[0], bc[1]};
    release_all(tmp, 4);
    return res;
}
