/* reduce.c -- builders of the reductions: sum, prod, max, min, all, any (one
 * REDUCE primitive), argmax/argmin (ARG_REDUCE), and mean, var, std and
 * logsumexp, which are compositions of those with elementwise ops.
 *
 * Axis lists follow MLX: negative axes wrap; an axis out of range is an
 * EM_ERR_INDEX "[op] Invalid axis 3 for array with 2 dimensions.", a repeated
 * one an EM_ERR_VALUE "[op] Duplicate axes detected in reduction."; naxes < 0
 * means every axis and an empty list (or a 0-d array with "all") returns the
 * input unchanged (all/any: as bool). Dtypes are MLX's: sum/prod widen bool
 * and 8/16-bit integers to (u)int32, max/min keep the dtype, all/any give
 * bool, mean/var/std/logsumexp give floats, argmax/argmin give uint32.
 *
 * The REDUCE kernel accumulates in a type wider than the output where that
 * matters (float32 for float16/bfloat16; the (u)int32 output for narrow
 * integers), and it also accepts a float32 output for a SUM of any real
 * dtype: mean uses that to average integers and half floats without a cast
 * pass and without overflowing the half range (MLX overflows there: the mean
 * of 100000 float16 ones is inf in MLX, 1 here and in NumPy). For the same
 * reason integer means sum in float32 rather than wrapping in int32 (MLX:
 * mean([2^31-1, 1]) is -1.07e9; here and in NumPy 1.07e9), and half-float
 * var/std work in float32. The dtypes are MLX's throughout. */
#include <math.h>
#include <string.h>

#include "rules.h"

/* The parameter block of a REDUCE node, on the stack. */
typedef union {
    em_reduce_params p;
    unsigned char bytes[PARAMS_SIZE(em_reduce_params, axes, EM_MAX_NDIM)];
} reduce_params_buf;

/* Normalises `axes` (naxes < 0: all of them) into out[] as a sorted set and
 * returns its size, or -1 with MLX's error, checking the axes in order as
 * MLX does. mean_wording selects the out-of-range text of MLX's mean, which
 * var and std share (under their own names here; MLX says "[mean]"). */
static int reduce_axes(const char *op, const em_array *a, const int *axes, int naxes,
                       bool mean_wording, int *out) {
    int nd = a->ndim;
    if (naxes < 0) {
        for (int i = 0; i < nd; i++) out[i] = i;
        return nd;
    }
    if (naxes > 0 && !axes) {
        error_set(EM_ERR_NULL, "[%s] The axes pointer is NULL.", op);
        return -1;
    }
    bool seen[EM_MAX_NDIM] = {false};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
        if (ax < 0 || ax >= nd) {
            if (mean_wording)
                error_set(EM_ERR_INDEX, "[%s] axis %d is out of bounds for array with %d dimensions.",
                          op, axes[i], nd);
            else
                error_set(EM_ERR_INDEX, "[%s] Invalid axis %d for array with %d dimensions.", op,
                          axes[i], nd);
            return -1;
        }
        if (seen[ax]) {
            error_set(EM_ERR_VALUE, "[%s] Duplicate axes detected in reduction.", op);
            return -1;
        }
        seen[ax] = true;
    }
    int n = 0;
    for (int i = 0; i < nd; i++)
        if (seen[i]) out[n++] = i;
    return n;
}

/* The shape of reducing `a` over the sorted axes ax[0..nax). */
static int reduced_shape(const em_array *a, const int *ax, int nax, bool keepdims,
                         int64_t *shape) {
    int nd = 0;
    for (int i = 0, k = 0; i < a->ndim; i++) {
        bool r = k < nax && ax[k] == i;
        if (r) k++;
        if (!r) shape[nd++] = a->shape[i];
        else if (keepdims) shape[nd++] = 1;
    }
    return nd;
}

/* The number of elements the axes ax[0..nax) of `a` hold. */
static int64_t reduced_count(const em_array *a, const int *ax, int nax) {
    int64_t n = 1;
    for (int i = 0; i < nax; i++) n *= a->shape[ax[i]];
    return n;
}

/* A REDUCE node over validated, sorted axes (nax >= 1), with output dtype out. */
static em_array *reduce_node(const em_array *a, em_reduce_op op, const int *ax, int nax,
                             bool keepdims, em_dtype out) {
    reduce_params_buf pb;
    memset(&pb, 0, sizeof pb);
    pb.p.op = (int32_t)op;
    pb.p.naxes = nax;
    for (int i = 0; i < nax; i++) pb.p.axes[i] = ax[i];
    int64_t shape[EM_MAX_NDIM];
    int nd = reduced_shape(a, ax, nax, keepdims, shape);
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_REDUCE, &pb.p, PARAMS_SIZE(em_reduce_params, axes, nax), &in, 1,
                     out, shape, nd);
}

/* MLX's sum/prod output dtype. */
static em_dtype sum_dtype(em_dtype d) {
    switch (d) {
    case EM_BOOL: case EM_INT8: case EM_INT16: return EM_INT32;
    case EM_UINT8: case EM_UINT16: return EM_UINT32;
    default: return d;
    }
}

static const char *const reduce_names[] = {
    [EM_REDUCE_SUM] = "sum", [EM_REDUCE_PROD] = "prod", [EM_REDUCE_MAX] = "max",
    [EM_REDUCE_MIN] = "min", [EM_REDUCE_ALL] = "all",   [EM_REDUCE_ANY] = "any"};

static em_array *reduce(em_reduce_op op, const em_array *a, const int *axes, int naxes,
                        bool keepdims) {
    const char *name = reduce_names[op];
    EM_CHECK_ARG(name, a);
    int ax[EM_MAX_NDIM];
    int nax = reduce_axes(name, a, axes, naxes, false, ax);
    if (nax < 0) return NULL;
    bool logical = op == EM_REDUCE_ALL || op == EM_REDUCE_ANY;
    if (nax == 0) return logical ? ops_cast(a, EM_BOOL) : em_array_retain((em_array *)a);
    if ((op == EM_REDUCE_MAX || op == EM_REDUCE_MIN) && a->size == 0)
        for (int i = 0; i < nax; i++)
            if (a->shape[ax[i]] == 0)
                return error_set(EM_ERR_VALUE, "[%s] Cannot %s reduce over axis %d with size 0.",
                                 name, name, ax[i]);
    em_dtype out = logical ? EM_BOOL
                   : op == EM_REDUCE_SUM || op == EM_REDUCE_PROD ? sum_dtype(a->dtype)
                                                                 : a->dtype;
    return reduce_node(a, op, ax, nax, keepdims, out);
}

#define REDUCE_OP(fn, OP)                                                      \
    EM_PUBLIC_OP(em_##fn, (const em_array *a, const int *axes, int naxes, bool keepdims), \
                 (a, axes, naxes, keepdims)) {                                 \
        return reduce(OP, a, axes, naxes, keepdims);                           \
    }

REDUCE_OP(sum, EM_REDUCE_SUM)
REDUCE_OP(prod, EM_REDUCE_PROD)
REDUCE_OP(max, EM_REDUCE_MAX)
REDUCE_OP(min, EM_REDUCE_MIN)
REDUCE_OP(all, EM_REDUCE_ALL)
REDUCE_OP(any, EM_REDUCE_ANY)

/* ---------------------------------------------------------------- mean, var */

/* The float dtype mean/var compute in: float64 and complex64 keep theirs,
 * everything else float32 (half floats are widened: see the file comment). */
static em_dtype compute_dtype(em_dtype d) {
    return d == EM_FLOAT64 || d == EM_COMPLEX64 ? d : EM_FLOAT32;
}

/* The mean of `a` over the sorted axes ax[0..nax), in compute_dtype(a). */
static em_array *mean_compute(const em_array *a, const int *ax, int nax, bool keepdims) {
    em_dtype ct = compute_dtype(a->dtype);
    em_array *s = nax ? reduce_node(a, EM_REDUCE_SUM, ax, nax, keepdims, ct) : ops_cast(a, ct);
    em_array *n = ops_scalar((double)reduced_count(a, ax, nax), EM_FLOAT32);
    em_array *r = em_divide(s, n);
    em_array_release(s);
    em_array_release(n);
    return r;
}

/* MLX's mean dtype: floats keep theirs, the rest become float32. */
static em_dtype mean_dtype(em_dtype d) { return dtype_is_inexact(d) ? d : EM_FLOAT32; }

EM_PUBLIC_OP(em_mean, (const em_array *a, const int *axes, int naxes, bool keepdims),
             (a, axes, naxes, keepdims)) {
    EM_CHECK_ARG("mean", a);
    int ax[EM_MAX_NDIM];
    int nax = reduce_axes("mean", a, axes, naxes, true, ax);
    if (nax < 0) return NULL;
    em_array *m = mean_compute(a, ax, nax, keepdims);
    em_array *r = ops_cast(m, mean_dtype(a->dtype));
    em_array_release(m);
    return r;
}

/* var (and std when root): sum(|x - mean(x)|^2) / max(n - ddof, 0), computed
 * in compute_dtype(a); the result has a's float dtype (ints: float32, complex:
 * float32 as MLX). n - ddof <= 0 gives inf (or nan for zero deviations), as
 * MLX. */
static em_array *variance(const char *name, const em_array *a, const int *axes, int naxes,
                          bool keepdims, int ddof, bool root) {
    EM_CHECK_ARG(name, a);
    int ax[EM_MAX_NDIM];
    int nax = reduce_axes(name, a, axes, naxes, true, ax);
    if (nax < 0) return NULL;
    em_dtype ct = compute_dtype(a->dtype);
    em_dtype out = a->dtype == EM_COMPLEX64 ? EM_FLOAT32 : mean_dtype(a->dtype);
    em_dtype real = ct == EM_COMPLEX64 ? EM_FLOAT32 : ct;
    double denom = fmax((double)reduced_count(a, ax, nax) - (double)ddof, 0.0);

    em_array *x = ops_cast(a, ct);
    em_array *mu = x ? mean_compute(x, ax, nax, true) : NULL;
    em_array *d = em_subtract(x, mu);
    em_array *ad = ct == EM_COMPLEX64 ? em_abs(d) : em_array_retain(d);
    em_array *sq = em_square(ad);
    em_array *s = NULL;
    if (sq) s = nax ? reduce_node(sq, EM_REDUCE_SUM, ax, nax, keepdims, real) : em_array_retain(sq);
    em_array *dn = ops_scalar(denom, real);
    em_array *v = em_divide(s, dn);
    em_array *rt = root ? em_sqrt(v) : em_array_retain(v);
    em_array *r = ops_cast(rt, out);
    em_array *tmp[] = {x, mu, d, ad, sq, s, dn, v, rt};
    for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) em_array_release(tmp[i]);
    return r;
}

EM_PUBLIC_OP(em_var, (const em_array *a, const int *axes, int naxes, bool keepdims, int ddof),
             (a, axes, naxes, keepdims, ddof)) {
    return variance("var", a, axes, naxes, keepdims, ddof, false);
}

EM_PUBLIC_OP(em_std, (const em_array *a, const int *axes, int naxes, bool keepdims, int ddof),
             (a, axes, naxes, keepdims, ddof)) {
    return variance("std", a, axes, naxes, keepdims, ddof, true);
}

/* ---------------------------------------------------------------- logsumexp */

/* log(sum(exp(x - m))) + m with m = max(x): no overflow for large x; where m
 * is infinite (a row of -inf, or any +inf) the answer is m itself, which the
 * formula would turn into nan. Half floats sum and take the log in float32. */
EM_PUBLIC_OP(em_logsumexp, (const em_array *a, const int *axes, int naxes, bool keepdims),
             (a, axes, naxes, keepdims)) {
    EM_CHECK_ARG("logsumexp", a);
    if (a->size == 0) return error_set(EM_ERR_VALUE, "[logsumexp] Received empty array.");
    int ax[EM_MAX_NDIM];
    int nax = reduce_axes("logsumexp", a, axes, naxes, false, ax);
    if (nax < 0) return NULL;
    em_dtype dt = dtype_to_inexact(a->dtype);
    if (nax == 0) return ops_cast(a, dt);
    bool half = dt == EM_FLOAT16 || dt == EM_BFLOAT16;
    em_dtype st = half ? EM_FLOAT32 : dt;

    em_array *x = ops_cast(a, dt);
    em_array *m = x ? reduce_node(x, EM_REDUCE_MAX, ax, nax, true, dt) : NULL;
    em_array *d = em_subtract(x, m);
    em_array *e = em_exp(d);
    em_array *s = e ? reduce_node(e, EM_REDUCE_SUM, ax, nax, keepdims, st) : NULL;
    em_array *ls = em_log(s);
    /* m without its kept axes: a MAX over those size-1 axes (exact, and only
     * as large as the output) rather than a reshape. */
    em_array *mk = keepdims ? em_array_retain(m) : m ? reduce_node(m, EM_REDUCE_MAX, ax, nax, false, dt) : NULL;
    em_array *mf = ops_cast(mk, st);
    em_array *y = em_add(ls, mf);
    em_array *inf = em_isinf(mf);
    em_array *w = em_where(inf, mf, y);
    em_array *r = ops_cast(w, dt);
    em_array *tmp[] = {x, m, d, e, s, ls, mk, mf, y, inf, w};
    for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) em_array_release(tmp[i]);
    return r;
}

/* ---------------------------------------------------------------- argmax */

static em_array *arg_reduce(em_argreduce_op op, const em_array *a, int axis, bool all_axes,
                            bool keepdims) {
    const char *name = op == EM_ARG_MAX ? "argmax" : "argmin";
    EM_CHECK_ARG(name, a);
    if (a->size == 0)
        return error_set(EM_ERR_VALUE, "[%s] Cannot %s reduce zero size array.", name, name);
    em_argreduce_params p;
    memset(&p, 0, sizeof p);
    p.op = (int32_t)op;
    if (all_axes && a->ndim == 0) return em_array_from_int(0, EM_UINT32);
    if (all_axes && a->ndim > 1) {
        /* Flatten, reduce the one axis, then give the result a's rank of
         * ones (keepdims) or no axes. */
        int64_t flat = a->size, ones[EM_MAX_NDIM];
        for (int i = 0; i < a->ndim; i++) ones[i] = 1;
        em_array *f = ops_reshape(a, &flat, 1);
        em_array *r = f ? node_make(EM_PRIM_ARG_REDUCE, &p, sizeof p, &f, 1, EM_UINT32, NULL, 0)
                        : NULL;
        em_array *k = keepdims && r ? ops_reshape(r, ones, a->ndim) : em_array_retain(r);
        em_array_release(f);
        em_array_release(r);
        return k;
    }
    int ax = all_axes ? 0 : shape_axis(name, axis, a->ndim);
    if (ax < 0) return NULL;
    p.axis = ax;
    int64_t shape[EM_MAX_NDIM];
    int nd = reduced_shape(a, &ax, 1, keepdims, shape);
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_ARG_REDUCE, &p, sizeof p, &in, 1, EM_UINT32, shape, nd);
}

EM_PUBLIC_OP(em_argmax, (const em_array *a, int axis, bool all_axes, bool keepdims),
             (a, axis, all_axes, keepdims)) {
    return arg_reduce(EM_ARG_MAX, a, axis, all_axes, keepdims);
}

EM_PUBLIC_OP(em_argmin, (const em_array *a, int axis, bool all_axes, bool keepdims),
             (a, axis, all_axes, keepdims)) {
    return arg_reduce(EM_ARG_MIN, a, axis, all_axes, keepdims);
}

/* ---------------------------------------------------------------- autodiff */

/* For each element of x, the product of the others along the reduced axes,
 * without dividing by zero: with no zero in its group it is prod / x, with
 * exactly one zero it is the product of the non-zeros at the zero and 0
 * elsewhere, with more it is 0. */
static em_array *prod_others(const em_array *x, const int32_t *axes32, int naxes, rule_tmp *t) {
    int axes[EM_MAX_NDIM];
    for (int i = 0; i < naxes; i++) axes[i] = axes32[i];
    em_array *zero = sc(t, 0, x), *one = sc(t, 1, x);
    em_array *isz = tk(t, em_equal(x, zero));
    em_array *nz = tk(t, em_sum(isz, axes, naxes, true));
    em_array *pnz = tk(t, em_prod(tk(t, em_where(isz, one, x)), axes, naxes, true));
    em_array *none = tk(t, em_equal(nz, tk(t, ops_scalar(0, nz ? nz->dtype : EM_INT32))));
    em_array *single = tk(t, em_logical_and(isz, tk(t, em_equal(nz, tk(t, ops_scalar(1, nz ? nz->dtype : EM_INT32))))));
    em_array *at_zero = tk(t, em_where(single, pnz, zero));
    return tk(t, em_where(none, tk(t, em_divide(pnz, x)), at_zero));
}

/* max/min: the cotangent is shared equally by the elements equal to the
 * result (MLX). */
static em_array *extremum_share(const em_array *x, const em_array *y, const em_array *c,
                                const int32_t *axes32, int naxes, rule_tmp *t) {
    int axes[EM_MAX_NDIM];
    for (int i = 0; i < naxes; i++) axes[i] = axes32[i];
    em_array *mask = tk(t, ops_cast(tk(t, em_equal(x, tk(t, rules_expand_reduced(y, x, axes32, naxes)))),
                                    c->dtype));
    em_array *count = tk(t, em_sum(mask, axes, naxes, true));
    em_array *cb = tk(t, rules_expand_reduced(c, x, axes32, naxes));
    return em_multiply(cb, tk(t, em_divide(mask, count)));
}

em_status ops_reduce_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    if (!want[0] || n->prim != EM_PRIM_REDUCE) return EM_OK; /* argmax/argmin: zero */
    const em_reduce_params *p = NODE_PARAMS(n, em_reduce_params);
    rule_tmp t = {0};
    em_array *g = NULL;
    switch ((em_reduce_op)p->op) {
    case EM_REDUCE_SUM: g = rules_expand_reduced(cot[0], in[0], p->axes, p->naxes); break;
    case EM_REDUCE_PROD:
        g = em_multiply(tk(&t, rules_expand_reduced(cot[0], in[0], p->axes, p->naxes)),
                        prod_others(in[0], p->axes, p->naxes, &t));
        break;
    case EM_REDUCE_MAX:
    case EM_REDUCE_MIN: g = extremum_share(in[0], out[0], cot[0], p->axes, p->naxes, &t); break;
    default: rule_tmp_free(&t); return EM_OK; /* all, any: zero */
    }
    rule_tmp_free(&t);
    grads[0] = g;
    return rule_status(g);
}

/* max/min forward: the tangent of the first extreme element (MLX picks it
 * with argmax/argmin): the reduced axes are moved last and flattened, and a
 * one-hot of the arg-reduction selects the tangent. */
static em_array *extremum_tangent(const em_node *n, const em_array *x, const em_array *tan,
                                  const em_array *y, rule_tmp *t) {
    const em_reduce_params *p = NODE_PARAMS(n, em_reduce_params);
    int perm[EM_MAX_NDIM], k = 0;
    int64_t shape[EM_MAX_NDIM], K = 1;
    bool red[EM_MAX_NDIM] = {false};
    for (int i = 0; i < p->naxes; i++) red[p->axes[i]] = true;
    for (int i = 0; i < x->ndim; i++)
        if (!red[i]) {
            shape[k] = x->shape[i];
            perm[k++] = i;
        }
    int kept = k;
    for (int i = 0; i < x->ndim; i++)
        if (red[i]) {
            K *= x->shape[i];
            perm[k++] = i;
        }
    shape[kept] = K;
    em_array *xf = tk(t, em_reshape(tk(t, em_transpose(x, perm, x->ndim)), shape, kept + 1));
    em_array *tf = tk(t, em_reshape(tk(t, em_transpose(tan, perm, x->ndim)), shape, kept + 1));
    em_array *idx = tk(t, p->op == EM_REDUCE_MAX ? em_argmax(xf, -1, false, true)
                                                 : em_argmin(xf, -1, false, true));
    em_array *ar = tk(t, em_arange(0, (double)K, 1, EM_UINT32));
    int last = -1;
    em_array *pick = tk(t, em_sum(tk(t, em_multiply(tf, tk(t, em_equal(ar, idx)))), &last, 1, false));
    return em_reshape(pick, y->shape, y->ndim);
}

em_status ops_reduce_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    if (n->prim != EM_PRIM_REDUCE) return EM_OK;
    const em_reduce_params *p = NODE_PARAMS(n, em_reduce_params);
    int axes[EM_MAX_NDIM];
    for (int i = 0; i < p->naxes; i++) axes[i] = p->axes[i];
    bool keep = out[0]->ndim == in[0]->ndim;
    rule_tmp t = {0};
    em_array *r = NULL;
    switch ((em_reduce_op)p->op) {
    case EM_REDUCE_SUM: r = em_sum(tan[0], axes, p->naxes, keep); break;
    case EM_REDUCE_PROD:
        r = em_sum(tk(&t, em_multiply(tan[0], prod_others(in[0], p->axes, p->naxes, &t))), axes,
                   p->naxes, keep);
        break;
    case EM_REDUCE_MAX:
    case EM_REDUCE_MIN: r = extremum_tangent(n, in[0], tan[0], out[0], &t); break;
    default: return EM_OK;
    }
    rule_tmp_free(&t);
    out_tan[0] = r;
    return rule_status(r);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* The reduced axes shift past the batch axis b, which stays (keepdims) or
 * moves left by the number of reduced axes before it. keepdims is read from
 * the traced output's rank. */
em_status ops_reduce_vmap(const em_node *n, em_array *const *in, const int *axes,
                          em_array **out, int *out_axes) {
    const em_array *x = in[0], *like = vmap_traced_out(n, 0);
    int b = axes[0], before = 0;
    bool keepdims = like->ndim == x->ndim - 1;
    int64_t shape[EM_MAX_NDIM];
    if (n->prim == EM_PRIM_ARG_REDUCE) {
        em_argreduce_params p = *NODE_PARAMS(n, em_argreduce_params);
        before = p.axis < b;
        if (p.axis >= b) p.axis++;
        int nd = reduced_shape(x, &p.axis, 1, keepdims, shape);
        out[0] = node_make(EM_PRIM_ARG_REDUCE, &p, sizeof p, (em_array *const *)in, 1, like->dtype,
                           shape, nd);
    } else {
        const em_reduce_params *p = NODE_PARAMS(n, em_reduce_params);
        reduce_params_buf pb;
        memset(&pb, 0, sizeof pb);
        pb.p.op = p->op;
        pb.p.naxes = p->naxes;
        for (int i = 0; i < p->naxes; i++) {
            before += p->axes[i] < b;
            pb.p.axes[i] = p->axes[i] + (p->axes[i] >= b);
        }
        int nd = reduced_shape(x, pb.p.axes, p->naxes, keepdims, shape);
        out[0] = node_make(EM_PRIM_REDUCE, &pb.p, PARAMS_SIZE(em_reduce_params, axes, p->naxes),
                           (em_array *const *)in, 1, like->dtype, shape, nd);
    }
    out_axes[0] = keepdims ? b : b - before;
    return out[0] ? EM_OK : em_error_code();
}
