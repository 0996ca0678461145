/* sort.c -- builders of sort, argsort, partition, argpartition, topk, median
 * and searchsorted, and the rules of SORT, ARGSORT, PARTITION, ARGPARTITION
 * and SEARCHSORTED.
 *
 * Semantics (MLX's, checked against MLX 0.32's CPU build): sorts are stable
 * and put NaN last (-0.0 and +0.0 compare equal); `all_axes` flattens first;
 * argsort/argpartition/searchsorted give uint32. A partition puts the element
 * of rank kth (negative kth counts from the end) at kth, smaller or equal
 * ones (in no particular order) before and the rest after; ties are broken
 * by position, so the result is deterministic. topk(a, k) is the last k
 * entries of partition(a, -k), where ember also sorts those k ascending (MLX
 * leaves them unordered; on small inputs it happens to return them sorted
 * too). median sorts nothing: it partitions at the middle (and, for an even
 * count, takes the max of the lower half too); a NaN anywhere in the group
 * gives NaN.
 *
 * Errors: a bad axis is EM_ERR_INDEX "[sort] Axis 2 is out of bounds for
 * array with 2 dimensions."; a bad kth or k is EM_ERR_VALUE with MLX's text
 * (including the missing space of "[partition] Received invalid kth 3along
 * axis", which MLX's partition has and its argpartition has not). */
#include <math.h>
#include <string.h>

#include "rules.h"

static int sort_axis(const char *op, int axis, int ndim) {
    int ax = axis < 0 ? axis + ndim : axis;
    if (ax < 0 || ax >= ndim) {
        error_set(EM_ERR_INDEX, "[%s] Axis %d is out of bounds for array with %d dimensions.", op,
                  axis, ndim);
        return -1;
    }
    return ax;
}

static em_array *flat(const em_array *a) {
    int64_t n = a->size;
    return ops_reshape(a, &n, 1);
}

static em_array *sort_node(em_prim_id prim, const em_array *a, int axis, int64_t kth, bool tail) {
    if (!a) return NULL;
    em_sort_params p;
    memset(&p, 0, sizeof p);
    p.axis = axis;
    p.kth = kth;
    p.sorted_tail = tail;
    bool arg = prim == EM_PRIM_ARGSORT || prim == EM_PRIM_ARGPARTITION;
    em_array *in = (em_array *)a;
    return node_make(prim, &p, sizeof p, &in, 1, arg ? EM_UINT32 : a->dtype, a->shape, a->ndim);
}

/* sort and argsort: axis (or all_axes: the flattened array). */
static em_array *sort_op(const char *name, em_prim_id prim, const em_array *a, int axis,
                         bool all_axes) {
    EM_CHECK_ARG(name, a);
    if (all_axes) {
        em_array *f = flat(a);
        em_array *r = f ? sort_node(prim, f, 0, 0, false) : NULL;
        em_array_release(f);
        return r;
    }
    int ax = sort_axis(name, axis, a->ndim);
    if (ax < 0) return NULL;
    return sort_node(prim, a, ax, 0, false);
}

EM_PUBLIC_OP(em_sort, (const em_array *a, int axis, bool all_axes), (a, axis, all_axes)) {
    return sort_op("sort", EM_PRIM_SORT, a, axis, all_axes);
}

EM_PUBLIC_OP(em_argsort, (const em_array *a, int axis, bool all_axes), (a, axis, all_axes)) {
    return sort_op("argsort", EM_PRIM_ARGSORT, a, axis, all_axes);
}

/* partition/argpartition/topk over a validated axis `ax` (`axis` as the
 * user gave it, for messages). */
static em_array *partition_op(const char *name, em_prim_id prim, const em_array *a, int64_t kth,
                              int axis, bool all_axes) {
    EM_CHECK_ARG(name, a);
    em_array *x = all_axes ? flat(a) : em_array_retain((em_array *)a);
    if (!x) return NULL;
    int ax = all_axes ? 0 : sort_axis(name, axis, x->ndim);
    if (ax < 0) {
        em_array_release(x);
        return NULL;
    }
    int64_t n = x->shape[ax], k = kth < 0 ? kth + n : kth;
    if (k < 0 || k >= n) {
        char buf[512];
        error_set(EM_ERR_VALUE, "[%s] Received invalid kth %lld%salong axis %d for array with shape: %s",
                  name, (long long)kth, prim == EM_PRIM_PARTITION ? "" : " ", all_axes ? 0 : axis,
                  shape_str(x->shape, x->ndim, buf, sizeof buf));
        em_array_release(x);
        return NULL;
    }
    em_array *r = sort_node(prim, x, ax, k, false);
    em_array_release(x);
    return r;
}

EM_PUBLIC_OP(em_partition, (const em_array *a, int64_t kth, int axis, bool all_axes),
             (a, kth, axis, all_axes)) {
    return partition_op("partition", EM_PRIM_PARTITION, a, kth, axis, all_axes);
}

EM_PUBLIC_OP(em_argpartition, (const em_array *a, int64_t kth, int axis, bool all_axes),
             (a, kth, axis, all_axes)) {
    return partition_op("argpartition", EM_PRIM_ARGPARTITION, a, kth, axis, all_axes);
}

EM_PUBLIC_OP(em_topk, (const em_array *a, int64_t k, int axis, bool all_axes),
             (a, k, axis, all_axes)) {
    EM_CHECK_ARG("topk", a);
    em_array *x = all_axes ? flat(a) : em_array_retain((em_array *)a);
    if (!x) return NULL;
    int ax = all_axes ? 0 : sort_axis("topk", axis, x->ndim);
    if (ax < 0) {
        em_array_release(x);
        return NULL;
    }
    int64_t n = x->shape[ax];
    if (k < 0 || k > n) {
        char buf[512];
        error_set(EM_ERR_VALUE, "[topk] Received invalid k=%lld along axis %d for array with shape: %s",
                  (long long)k, all_axes ? 0 : axis, shape_str(x->shape, x->ndim, buf, sizeof buf));
        em_array_release(x);
        return NULL;
    }
    em_array *p = k > 0 ? sort_node(EM_PRIM_PARTITION, x, ax, n - k, true) : em_array_retain(x);
    em_array *r = p ? rules_slice_axis(p, ax, n - k, k) : NULL;
    em_array_release(p);
    em_array_release(x);
    return r;
}

/* ---------------------------------------------------------------- median */

EM_PUBLIC_OP(em_median, (const em_array *a, const int *axes, int naxes, bool keepdims),
             (a, axes, naxes, keepdims)) {
    EM_CHECK_ARG("median", a);
    int nd = a->ndim;
    bool red[EM_MAX_NDIM] = {false};
    if (naxes < 0) {
        for (int i = 0; i < nd; i++) red[i] = true;
    } else {
        if (naxes == 0)
            return error_set(EM_ERR_VALUE, "[flatten] start_axis must be less than or equal to end_axis");
        if (!axes) return error_set(EM_ERR_NULL, "[median] The axes pointer is NULL.");
        for (int i = 0; i < naxes; i++) {
            int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
            if (ax < 0 || ax >= nd)
                return error_set(EM_ERR_INDEX, "[median] axis %d is out of bounds for array with %d dimensions.",
                                 axes[i], nd);
            if (red[ax]) return error_set(EM_ERR_VALUE, "[median] Received duplicate axis.");
            red[ax] = true;
        }
    }
    /* kept axes first, then the reduced ones flattened into one */
    int perm[EM_MAX_NDIM], k = 0;
    int64_t shape[EM_MAX_NDIM + 1], kshape[EM_MAX_NDIM], K = 1;
    for (int i = 0; i < nd; i++)
        if (!red[i]) shape[k] = a->shape[i], perm[k++] = i;
    int kept = k;
    for (int i = 0; i < nd; i++)
        if (red[i]) K *= a->shape[i], perm[k++] = i;
    if (K == 0) return error_set(EM_ERR_VALUE, "[median] Cannot take median along empty axis.");
    for (int i = 0; i < nd; i++) kshape[i] = red[i] ? 1 : a->shape[i];
    shape[kept] = K;
    em_dtype dt = dtype_is_inexact(a->dtype) ? a->dtype : EM_FLOAT32;

    rule_tmp t = {0};
    em_array *x = tk(&t, em_reshape(tk(&t, em_transpose(a, perm, nd)), shape, kept + 1));
    em_array *x2 = tk(&t, ops_cast(x, dt));
    em_array *part = tk(&t, sort_node(EM_PRIM_PARTITION, x2, kept, K / 2, false));
    em_array *hi = tk(&t, part ? rules_slice_axis(part, kept, K / 2, 1) : NULL);
    em_array *m = hi;
    if (K % 2 == 0) {
        int last = kept;
        em_array *lo = tk(&t, em_max(tk(&t, part ? rules_slice_axis(part, kept, 0, K / 2) : NULL),
                                     &last, 1, true));
        m = tk(&t, em_divide(tk(&t, em_add(lo, hi)), sc(&t, 2, hi)));
    }
    if (dtype_is_float(a->dtype)) {
        int last = kept;
        em_array *nan = tk(&t, em_any(tk(&t, em_isnan(x)), &last, 1, true));
        m = tk(&t, em_where(nan, sc(&t, NAN, m), m));
    }
    em_array *r = m ? (keepdims ? em_reshape(m, kshape, nd) : em_reshape(m, shape, kept)) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- searchsorted */

EM_PUBLIC_OP(em_searchsorted, (const em_array *seq, const em_array *values, bool right),
             (seq, values, right)) {
    EM_CHECK_ARG("searchsorted", seq);
    EM_CHECK_ARG("searchsorted", values);
    if (seq->ndim != 1)
        return error_set(EM_ERR_VALUE, "[searchsorted] The sorted sequence must be 1-D but has %d dimensions.",
                         seq->ndim);
    em_dtype dt = em_result_type(seq->dtype, values->dtype);
    em_array *in[2] = {ops_cast(seq, dt), ops_cast(values, dt)};
    em_sort_params p;
    memset(&p, 0, sizeof p);
    p.sorted_tail = right;
    em_array *r = in[0] && in[1] ? node_make(EM_PRIM_SEARCHSORTED, &p, sizeof p, in, 2, EM_UINT32,
                                             values->shape, values->ndim)
                                 : NULL;
    em_array_release(in[0]);
    em_array_release(in[1]);
    return r;
}

/* ---------------------------------------------------------------- rules */

/* The indices that node n (SORT or PARTITION) applied to x picks, as uint32. */
static em_array *picked(const em_node *n, const em_array *x) {
    const em_sort_params *p = NODE_PARAMS(n, em_sort_params);
    em_prim_id prim = n->prim == EM_PRIM_SORT ? EM_PRIM_ARGSORT : EM_PRIM_ARGPARTITION;
    return sort_node(prim, x, p->axis, p->kth, p->sorted_tail);
}

em_status ops_sort_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    if (n->prim != EM_PRIM_SORT && n->prim != EM_PRIM_PARTITION) return EM_OK;
    if (!want[0]) return EM_OK;
    int axis = NODE_PARAMS(n, em_sort_params)->axis;
    rule_tmp t = {0};
    em_array *idx = tk(&t, picked(n, in[0]));
    em_array *z = tk(&t, em_zeros_like(cot[0]));
    em_array *g = em_put_along_axis(z, idx, cot[0], axis, true);
    rule_tmp_free(&t);
    grads[0] = g;
    return rule_status(g);
}

em_status ops_sort_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    (void)out;
    if (n->prim != EM_PRIM_SORT && n->prim != EM_PRIM_PARTITION) return EM_OK;
    if (!tan[0]) return EM_OK;
    int axis = NODE_PARAMS(n, em_sort_params)->axis;
    em_array *idx = picked(n, in[0]);
    em_array *r = em_take_along_axis(tan[0], idx, axis, true);
    em_array_release(idx);
    out_tan[0] = r;
    return rule_status(r);
}

#include "../transforms/vmap.h"

/* SEARCHSORTED with a batched sequence (B, n): by counting, per value v,
 * the entries below it in NaN-last order (for 'right', not above it):
 * seq < v (<= v), or, for a NaN v, the non-NaN entries (all of them). This
 * builds a (B, M, n) comparison, M the values per batch element: fine for a
 * vmap, not a kernel. The output is batched along axis 0. */
static em_status searchsorted_batched(em_array *const *in, const int *axes, bool right,
                                      em_array **out, int *out_axes) {
    rule_tmp t = {0};
    int64_t B = in[0]->shape[axes[0]];
    em_array *seq = tk(&t, vmap_move(in[0], axes[0], 0, B));
    em_array *val = tk(&t, vmap_move(in[1], axes[1], 0, B));
    out[0] = NULL;
    if (!seq || !val) goto done;
    int64_t n = seq->shape[1], M = 1, vshape[EM_MAX_NDIM];
    for (int i = 0; i < val->ndim; i++) vshape[i] = val->shape[i];
    for (int i = 1; i < val->ndim; i++) M *= val->shape[i];
    int64_t s3[3] = {B, 1, n}, v3[3] = {B, M, 1};
    em_array *sq = tk(&t, em_reshape(seq, s3, 3)), *vv = tk(&t, em_reshape(val, v3, 3));
    em_array *cmp = tk(&t, right ? em_less_equal(sq, vv) : em_less(sq, vv));
    int last = -1;
    em_array *cnt = tk(&t, em_sum(tk(&t, ops_cast(cmp, EM_INT32)), &last, 1, false));
    em_array *vnan = tk(&t, em_reshape(tk(&t, em_isnan(vv)), (int64_t[2]){B, M}, 2));
    em_array *nn = right ? tk(&t, ops_scalar((double)n, EM_INT32))
                         : tk(&t, em_sum(tk(&t, ops_cast(tk(&t, em_logical_not(tk(&t, em_isnan(sq)))), EM_INT32)),
                                         &last, 1, false));
    em_array *r = tk(&t, em_where(vnan, nn, cnt));
    out[0] = em_reshape(tk(&t, ops_cast(r, EM_UINT32)), vshape, val->ndim);
    out_axes[0] = 0;
done:
    rule_tmp_free(&t);
    return rule_status(out[0]);
}

/* The sorted axis moves past the batch axis, which stays where it is. */
em_status ops_sort_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                        int *out_axes) {
    em_sort_params p = *NODE_PARAMS(n, em_sort_params);
    if (n->prim == EM_PRIM_SEARCHSORTED) {
        if (axes[0] >= 0) return searchsorted_batched(in, axes, p.sorted_tail != 0, out, out_axes);
        out[0] = node_make(EM_PRIM_SEARCHSORTED, &p, sizeof p, in, 2, EM_UINT32, in[1]->shape,
                           in[1]->ndim);
        out_axes[0] = axes[1];
        return rule_status(out[0]);
    }
    int b = axes[0];
    if (p.axis >= b) p.axis++;
    out[0] = sort_node(n->prim, in[0], p.axis, p.kth, p.sorted_tail);
    out_axes[0] = b;
    return rule_status(out[0]);
}
