/* scan.c -- builders of cumsum, cumprod, cummax, cummin and logcumsumexp
 * (one SCAN primitive), and its rules.
 *
 * Semantics are MLX's: `all_axes` scans the flattened array (a 0-d input
 * becomes one element); `reverse` runs from the end; an exclusive scan's
 * element i combines the elements before i (in the scan's direction), the
 * first one being the op's identity (0, 1, the dtype's lowest or highest
 * value, -inf). Dtypes: cumsum turns bool into int32 and keeps every other
 * dtype (int8 stays int8: MLX, not NumPy), cumprod/cummax/cummin keep the
 * dtype (bool included), logcumsumexp gives floats (float32 for integers).
 * A bad axis is EM_ERR_INDEX "[cumsum] Axis 2 is out of bounds for array
 * with 2 dimensions.".
 *
 * Rules (all written with scans, so they compose):
 *   cumsum: vjp the reversed cumsum of the cotangent, jvp the cumsum of the
 *     tangent.
 *   cumprod: divides by x only before the first zero of each line; at the
 *     first zero the products are recomputed with that zero taken as 1, and
 *     after it the gradient is 0 (MLX's vjp; the jvp, which MLX lacks, by the
 *     same split).
 *   cummax/cummin: each output comes from the most recent element (in scan
 *     order) equal to the running extreme (MLX's choice among ties); the vjp
 *     scatters cotangents there, the jvp gathers tangents from there (MLX has
 *     no jvp).
 *   logcumsumexp: d y_j / d x_i = exp(x_i - y_j), summed with a per-line
 *     shift by max(x) so that exp overflows only where the values' range
 *     spans more than the dtype's exponent range.
 *   vmap: the scanned axis moves past the batch axis. */
#include <math.h>
#include <string.h>

#include "rules.h"

static em_array *scan_node(const em_array *a, em_scan_op op, int axis, bool reverse, bool inclusive) {
    if (!a) return NULL;
    em_scan_params p;
    memset(&p, 0, sizeof p);
    p.op = (int32_t)op;
    p.axis = axis;
    p.reverse = reverse;
    p.inclusive = inclusive;
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_SCAN, &p, sizeof p, &in, 1, a->dtype, a->shape, a->ndim);
}

static em_array *scan_op(const char *name, em_scan_op op, const em_array *a, int axis,
                         bool all_axes, bool reverse, bool inclusive) {
    EM_CHECK_ARG(name, a);
    em_array *x;
    int ax = 0;
    if (all_axes) {
        int64_t n = a->size;
        x = ops_reshape(a, &n, 1);
    } else {
        ax = axis < 0 ? axis + a->ndim : axis;
        if (ax < 0 || ax >= a->ndim)
            return error_set(EM_ERR_INDEX, "[%s] Axis %d is out of bounds for array with %d dimensions.",
                             name, axis, a->ndim);
        x = em_array_retain((em_array *)a);
    }
    em_dtype dt = a->dtype;
    if (op == EM_SCAN_SUM && dt == EM_BOOL) dt = EM_INT32;
    if (op == EM_SCAN_LOGADDEXP) dt = dtype_to_inexact(dt);
    em_array *c = ops_cast(x, dt);
    em_array *r = scan_node(c, op, ax, reverse, inclusive);
    em_array_release(x);
    em_array_release(c);
    return r;
}

#define SCAN_OP(fn, OP)                                                        \
    EM_PUBLIC_OP(em_##fn, (const em_array *a, int axis, bool all_axes, bool reverse, bool inclusive), \
                 (a, axis, all_axes, reverse, inclusive)) {                    \
        return scan_op(#fn, OP, a, axis, all_axes, reverse, inclusive);        \
    }

SCAN_OP(cumsum, EM_SCAN_SUM)
SCAN_OP(cumprod, EM_SCAN_PROD)
SCAN_OP(cummax, EM_SCAN_MAX)
SCAN_OP(cummin, EM_SCAN_MIN)
SCAN_OP(logcumsumexp, EM_SCAN_LOGADDEXP)

/* ---------------------------------------------------------------- rules */

/* 0, 1, ..., n-1 (int32) along `axis` of an array of rank nd, 1 elsewhere. */
static em_array *positions(const em_array *x, int axis, rule_tmp *t) {
    int64_t shape[EM_MAX_NDIM];
    for (int i = 0; i < x->ndim; i++) shape[i] = i == axis ? x->shape[i] : 1;
    return tk(t, em_reshape(tk(t, em_arange(0, (double)x->shape[axis], 1, EM_INT32)), shape,
                            x->ndim));
}

/* The first position of each line in scan order, as a bool mask. */
static em_array *first_position(const em_array *x, const em_scan_params *p, rule_tmp *t) {
    double first = p->reverse ? (double)x->shape[p->axis] - 1 : 0;
    return tk(t, em_equal(positions(x, p->axis, t), tk(t, ops_scalar(first, EM_INT32))));
}

/* cummax/cummin: the index along the axis each output copies (clamped into
 * range at the first position of an exclusive scan, whose output is the
 * identity and copies nothing). */
static em_array *extreme_source(const em_array *x, const em_array *y, const em_scan_params *p,
                                rule_tmp *t) {
    const em_array *inc = p->inclusive ? y
                                       : tk(t, scan_node(x, (em_scan_op)p->op, p->axis, p->reverse, true));
    em_array *pos = positions(x, p->axis, t);
    double last = (double)x->shape[p->axis] - 1;
    em_array *fill = tk(t, ops_scalar(p->reverse ? last : 0, EM_INT32));
    em_array *mark = tk(t, em_where(tk(t, em_equal(x, inc)), pos, fill));
    em_array *src = tk(t, scan_node(mark, p->reverse ? EM_SCAN_MIN : EM_SCAN_MAX, p->axis, p->reverse,
                                    p->inclusive));
    if (p->inclusive) return src;
    return tk(t, p->reverse ? em_minimum(src, fill) : em_maximum(src, fill));
}

/* cumprod's pieces: the first zero of each line (mask) and the line's
 * inclusive products. */
static em_array *first_zero(const em_array *x, const em_scan_params *p, rule_tmp *t) {
    em_array *z = sc(t, 0, x);
    em_array *inc = tk(t, scan_node(x, EM_SCAN_PROD, p->axis, p->reverse, true));
    em_array *exc = tk(t, scan_node(x, EM_SCAN_PROD, p->axis, p->reverse, false));
    return tk(t, em_logical_and(tk(t, em_equal(inc, z)), tk(t, em_not_equal(exc, z))));
}

/* A per-line shift for logcumsumexp: max(x) along the axis, 0 where that is
 * not finite; treated as a constant. */
static em_array *lse_shift(const em_array *x, int axis, rule_tmp *t) {
    em_array *m = tk(t, em_stop_gradient(tk(t, em_max(x, &axis, 1, true))));
    em_array *fin = tk(t, em_logical_not(tk(t, em_logical_or(tk(t, em_isinf(m)), tk(t, em_isnan(m))))));
    return tk(t, em_where(fin, m, sc(t, 0, m)));
}

/* exp(shift - y), 0 where y is -inf (the first output of an exclusive scan). */
static em_array *lse_weight(const em_array *y, const em_array *m, rule_tmp *t) {
    em_array *e = tk(t, em_exp(tk(t, em_subtract(m, y))));
    return tk(t, em_where(tk(t, em_isneginf(y)), sc(t, 0, e), e));
}

em_status ops_scan_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    if (!want[0]) return EM_OK;
    const em_scan_params *p = NODE_PARAMS(n, em_scan_params);
    const em_array *x = in[0], *y = out[0], *c = cot[0];
    int ax = p->axis;
    bool rev = p->reverse, inc = p->inclusive;
    rule_tmp t = {0};
    em_array *g = NULL;
    switch ((em_scan_op)p->op) {
    case EM_SCAN_SUM: g = scan_node(c, EM_SCAN_SUM, ax, !rev, inc); break;
    case EM_SCAN_PROD: {
        if (!y) y = tk(&t, scan_node(x, EM_SCAN_PROD, ax, rev, inc));
        em_array *z = sc(&t, 0, x), *one = sc(&t, 1, x);
        em_array *fz = first_zero(x, p, &t);
        em_array *incp = tk(&t, scan_node(x, EM_SCAN_PROD, ax, rev, true));
        em_array *yz = tk(&t, scan_node(tk(&t, em_where(fz, one, x)), EM_SCAN_PROD, ax, rev, inc));
        em_array *gz = tk(&t, scan_node(tk(&t, em_multiply(yz, c)), EM_SCAN_SUM, ax, !rev, inc));
        em_array *xs = tk(&t, em_where(tk(&t, em_equal(x, z)), one, x));
        em_array *gy = tk(&t, em_divide(tk(&t, scan_node(tk(&t, em_multiply(y, c)), EM_SCAN_SUM, ax, !rev, inc)), xs));
        em_array *after = tk(&t, em_equal(incp, z));
        g = em_where(fz, gz, tk(&t, em_where(after, tk(&t, em_zeros_like(gy)), gy)));
        break;
    }
    case EM_SCAN_MAX:
    case EM_SCAN_MIN: {
        if (!y) y = tk(&t, scan_node(x, (em_scan_op)p->op, ax, rev, inc));
        em_array *src = extreme_source(x, y, p, &t);
        em_array *cc = inc ? (em_array *)c
                           : tk(&t, em_where(first_position(x, p, &t), tk(&t, em_zeros_like(c)), c));
        g = em_scatter_add_axis(tk(&t, em_zeros_like(c)), src, cc, ax);
        break;
    }
    case EM_SCAN_LOGADDEXP: {
        if (!y) y = tk(&t, scan_node(x, EM_SCAN_LOGADDEXP, ax, rev, inc));
        em_array *m = lse_shift(x, ax, &t);
        em_array *w = tk(&t, em_multiply(c, lse_weight(y, m, &t)));
        em_array *s = tk(&t, scan_node(w, EM_SCAN_SUM, ax, !rev, inc));
        g = em_multiply(tk(&t, em_exp(tk(&t, em_subtract(x, m)))), s);
        break;
    }
    }
    rule_tmp_free(&t);
    grads[0] = g;
    return rule_status(g);
}

em_status ops_scan_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    if (!tan[0]) return EM_OK;
    const em_scan_params *p = NODE_PARAMS(n, em_scan_params);
    const em_array *x = in[0], *y = out[0], *dx = tan[0];
    int ax = p->axis;
    bool rev = p->reverse, inc = p->inclusive;
    rule_tmp t = {0};
    em_array *r = NULL;
    if (!y && p->op != EM_SCAN_SUM) y = tk(&t, scan_node(x, (em_scan_op)p->op, ax, rev, inc));
    switch ((em_scan_op)p->op) {
    case EM_SCAN_SUM: r = scan_node(dx, EM_SCAN_SUM, ax, rev, inc); break;
    case EM_SCAN_PROD: {
        em_array *z = sc(&t, 0, x), *one = sc(&t, 1, x);
        em_array *fz = first_zero(x, p, &t);
        em_array *xs = tk(&t, em_where(tk(&t, em_equal(x, z)), one, x));
        em_array *before = tk(&t, em_multiply(y, tk(&t, scan_node(tk(&t, em_divide(dx, xs)), EM_SCAN_SUM, ax, rev, inc))));
        em_array *tz = tk(&t, scan_node(tk(&t, em_where(fz, dx, tk(&t, em_zeros_like(dx)))), EM_SCAN_SUM, ax, rev, inc));
        em_array *yz = tk(&t, scan_node(tk(&t, em_where(fz, one, x)), EM_SCAN_PROD, ax, rev, inc));
        r = em_where(tk(&t, em_not_equal(y, z)), before, tk(&t, em_multiply(tz, yz)));
        break;
    }
    case EM_SCAN_MAX:
    case EM_SCAN_MIN: {
        em_array *src = extreme_source(x, y, p, &t);
        em_array *g = tk(&t, em_take_along_axis(dx, src, ax, true));
        r = inc ? em_array_retain(g)
                : em_where(first_position(x, p, &t), tk(&t, em_zeros_like(g)), g);
        break;
    }
    case EM_SCAN_LOGADDEXP: {
        em_array *m = lse_shift(x, ax, &t);
        em_array *e = tk(&t, em_multiply(dx, tk(&t, em_exp(tk(&t, em_subtract(x, m))))));
        em_array *s = tk(&t, scan_node(e, EM_SCAN_SUM, ax, rev, inc));
        r = em_multiply(s, lse_weight(y, m, &t));
        break;
    }
    }
    rule_tmp_free(&t);
    out_tan[0] = r;
    return rule_status(r);
}

#include "../transforms/vmap.h"

em_status ops_scan_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                        int *out_axes) {
    const em_scan_params *p = NODE_PARAMS(n, em_scan_params);
    int b = axes[0], ax = p->axis + (p->axis >= b);
    out[0] = scan_node(in[0], (em_scan_op)p->op, ax, p->reverse, p->inclusive);
    out_axes[0] = b;
    return rule_status(out[0]);
}
