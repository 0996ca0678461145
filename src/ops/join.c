/* join.c -- ops that join or enlarge arrays: concatenate, stack, pad, and
 * tile/repeat (which, as in MLX, are a broadcast view reshaped into a copy).
 * Messages follow MLX's text, prefixed with the op's name where MLX's has
 * none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

EM_PUBLIC_OP(em_concatenate, (const em_array *const *arrays, size_t n, int axis), (arrays, n, axis)) {
    if (n == 0) return error_set(EM_ERR_VALUE, "[concatenate] No arrays provided for concatenation");
    if (!arrays) return error_set(EM_ERR_NULL, "[concatenate] The array list is NULL.");
    for (size_t i = 0; i < n; i++) EM_CHECK_ARG("concatenate", arrays[i]);
    if (n > INT32_MAX) return error_set(EM_ERR_VALUE, "[concatenate] Too many arrays (%zu).", n);
    const em_array *a0 = arrays[0];
    int nd = a0->ndim;
    int ax = axis < 0 ? axis + nd : axis;
    if (ax < 0 || ax >= nd)
        return error_set(EM_ERR_INDEX, "[concatenate] Axis %d is out of bounds for array with %d dimensions.",
                         axis, nd);
    em_dtype dt = a0->dtype;
    for (size_t i = 1; i < n; i++) {
        if (arrays[i]->ndim != nd)
            return error_set(EM_ERR_VALUE,
                             "[concatenate] All the input arrays must have the same number of dimensions. "
                             "However, got arrays with dimensions %d and %d.", nd, arrays[i]->ndim);
        dt = em_result_type(dt, arrays[i]->dtype);
    }
    int64_t shape[EM_MAX_NDIM];
    memcpy(shape, a0->shape, (size_t)nd * sizeof *shape);
    bool ok = true;
    for (size_t i = 1; i < n; i++) {
        for (int d = 0; d < nd; d++)
            if (d != ax && arrays[i]->shape[d] != shape[d]) ok = false;
        if (ok && __builtin_add_overflow(shape[ax], arrays[i]->shape[ax], &shape[ax]))
            return error_set(EM_ERR_VALUE, "[concatenate] The shape's number of bytes overflows a 64-bit size.");
    }
    if (!ok) {
        char msg[900];
        size_t k = 0;
        for (size_t i = 0; i < n && k < sizeof msg - 1; i++) {
            char s[256];
            k += (size_t)snprintf(msg + k, sizeof msg - k, "%s, ",
                                  shape_str(arrays[i]->shape, nd, s, sizeof s));
        }
        return error_set(EM_ERR_VALUE,
                         "[concatenate] All the input array dimensions must match exactly except for the "
                         "concatenation axis. However, the provided shapes are %sand the concatenation axis is %d.",
                         msg, axis);
    }
    if (!ops_check_shape("concatenate", shape, nd, dt)) return NULL;
    if (n == 1) return ops_cast(a0, dt);
    em_array *stackbuf[16], **in = n <= 16 ? stackbuf : malloc(n * sizeof *in);
    if (!in) return error_set(EM_ERR_MEMORY, "[concatenate] Out of memory.");
    size_t made = 0;
    for (; made < n; made++)
        if (!(in[made] = ops_cast(arrays[made], dt))) break;
    em_array *r = NULL;
    if (made == n) {
        em_axis_params p;
        memset(&p, 0, sizeof p);
        p.axis = ax;
        r = node_make(EM_PRIM_CONCATENATE, &p, sizeof p, in, (int)n, dt, shape, nd);
    }
    for (size_t i = 0; i < made; i++) em_array_release(in[i]);
    if (in != stackbuf) free(in);
    return r;
}

EM_PUBLIC_OP(em_stack, (const em_array *const *arrays, size_t n, int axis), (arrays, n, axis)) {
    if (n == 0) return error_set(EM_ERR_VALUE, "[stack] No arrays provided for stacking");
    if (!arrays) return error_set(EM_ERR_NULL, "[stack] The array list is NULL.");
    for (size_t i = 0; i < n; i++) EM_CHECK_ARG("stack", arrays[i]);
    const em_array *a0 = arrays[0];
    int nd = a0->ndim + 1;
    if (axis < -nd || axis >= nd)
        return error_set(EM_ERR_INDEX, "[stack] Axis %d is out of bounds for array with %d dimensions.",
                         axis, nd);
    for (size_t i = 1; i < n; i++)
        if (arrays[i]->ndim != a0->ndim ||
            memcmp(arrays[i]->shape, a0->shape, (size_t)a0->ndim * sizeof(int64_t)) != 0)
            return error_set(EM_ERR_VALUE, "[stack] All arrays must have the same shape");
    em_array *stackbuf[16], **ex = n <= 16 ? stackbuf : malloc(n * sizeof *ex);
    if (!ex) return error_set(EM_ERR_MEMORY, "[stack] Out of memory.");
    size_t made = 0;
    for (; made < n; made++)
        if (!(ex[made] = em_expand_dims(arrays[made], &axis, 1))) break;
    em_array *r = made == n ? em_concatenate((const em_array *const *)ex, n, axis) : NULL;
    for (size_t i = 0; i < made; i++) em_array_release(ex[i]);
    if (ex != stackbuf) free(ex);
    return r;
}

EM_PUBLIC_OP(em_pad, (const em_array *a, const int64_t *pad_width, int npairs, em_pad_mode mode,
                      const em_array *value), (a, pad_width, npairs, mode, value)) {
    EM_CHECK_ARG("pad", a);
    int nd = a->ndim;
    if (npairs != nd && npairs != 1)
        return error_set(EM_ERR_VALUE,
                         "[pad] Invalid number of padding sizes passed to pad with axes of size %d", nd);
    if (!pad_width) return error_set(EM_ERR_NULL, "[pad] The pad_width pointer is NULL.");
    if (mode != EM_PAD_CONSTANT && mode != EM_PAD_EDGE)
        return error_set(EM_ERR_VALUE, "[pad] Invalid padding mode %d.", (int)mode);
    union {
        em_pad_params p;
        int64_t storage[1 + 2 * EM_MAX_NDIM];
    } u;
    memset(&u, 0, sizeof u);
    u.p.mode = (int32_t)mode;
    u.p.ndim = nd;
    int64_t shape[EM_MAX_NDIM];
    bool any = false;
    for (int d = 0; d < nd; d++) {
        const int64_t *w = pad_width + 2 * (npairs == 1 ? 0 : d);
        if (w[0] < 0)
            return error_set(EM_ERR_VALUE,
                             "[pad] Invalid low padding size (%lld) passed to pad for axis %d. "
                             "Padding sizes must be non-negative", (long long)w[0], d);
        if (w[1] < 0)
            return error_set(EM_ERR_VALUE,
                             "[pad] Invalid high padding size (%lld) passed to pad for axis %d. "
                             "Padding sizes must be non-negative", (long long)w[1], d);
        if (mode == EM_PAD_EDGE && a->shape[d] == 0 && (w[0] || w[1]))
            return error_set(EM_ERR_VALUE,
                             "[pad] Cannot extend empty axis %d using modes other than 'constant'.", d);
        if (__builtin_add_overflow(a->shape[d], w[0], &shape[d]) ||
            __builtin_add_overflow(shape[d], w[1], &shape[d]))
            return error_set(EM_ERR_VALUE, "[pad] The shape's number of bytes overflows a 64-bit size.");
        u.p.low_high[2 * d] = w[0];
        u.p.low_high[2 * d + 1] = w[1];
        any = any || w[0] || w[1];
    }
    if (!ops_check_shape("pad", shape, nd, a->dtype)) return NULL;
    if (value && value->size != 1)
        return error_set(EM_ERR_VALUE, "[pad] The padding value must be a single element, got shape of size %lld.",
                         (long long)value->size);
    if (!any) return em_array_retain((em_array *)a);
    em_array *v;
    if (value) {
        em_array *flat = ops_reshape(value, NULL, 0);
        v = ops_cast(flat, a->dtype);
        em_array_release(flat);
    } else {
        v = ops_scalar(0, a->dtype);
    }
    if (!v) return NULL;
    em_array *in[2] = {(em_array *)a, v};
    em_array *r = node_make(EM_PRIM_PAD, &u.p, PARAMS_SIZE(em_pad_params, low_high, 2 * nd), in, 2,
                            a->dtype, shape, nd);
    em_array_release(v);
    return r;
}

/* MLX's tile: reshape to put a 1 before each repeated axis, broadcast those to
 * the repetitions, and reshape to the product (a copy, by the reshape). */
EM_PUBLIC_OP(em_tile, (const em_array *a, const int64_t *reps, int nreps), (a, reps, nreps)) {
    EM_CHECK_ARG("tile", a);
    if (nreps < 0 || nreps > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[tile] Invalid number of repetitions %d.", nreps);
    if (nreps > 0 && !reps) return error_set(EM_ERR_NULL, "[tile] The reps pointer is NULL.");
    int nd = a->ndim > nreps ? a->ndim : nreps;
    int64_t shape[EM_MAX_NDIM], r[EM_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        int si = i - (nd - a->ndim), ri = i - (nd - nreps);
        shape[i] = si < 0 ? 1 : a->shape[si];
        r[i] = ri < 0 ? 1 : reps[ri];
        if (r[i] < 0) return error_set(EM_ERR_VALUE, "[tile] Negative dimensions not allowed.");
    }
    int64_t ex[2 * EM_MAX_NDIM], br[2 * EM_MAX_NDIM], fin[EM_MAX_NDIM] = {0};
    int k = 0;
    for (int i = 0; i < nd; i++) {
        if (__builtin_mul_overflow(shape[i], r[i], &fin[i]))
            return error_set(EM_ERR_VALUE, "[tile] The shape's number of bytes overflows a 64-bit size.");
        if (r[i] != 1) {
            ex[k] = 1;
            br[k++] = r[i];
        }
        ex[k] = shape[i];
        br[k++] = shape[i];
    }
    if (!ops_check_shape("tile", fin, nd, a->dtype)) return NULL;
    if (k > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[tile] Arrays may have at most %d dimensions, got %d.", EM_MAX_NDIM, k);
    em_array *x = ops_reshape(a, ex, k);
    em_array *y = ops_broadcast(x, br, k);
    em_array *z = ops_reshape(y, fin, nd);
    em_array_release(x);
    em_array_release(y);
    return z;
}

EM_PUBLIC_OP(em_repeat, (const em_array *a, int64_t repeats, const int *axis), (a, repeats, axis)) {
    EM_CHECK_ARG("repeat", a);
    if (!axis) {
        em_array *flat = em_flatten(a, 0, -1);
        int zero = 0;
        em_array *r = em_repeat(flat, repeats, &zero);
        em_array_release(flat);
        return r;
    }
    int nd = a->ndim, ax = *axis < 0 ? *axis + nd : *axis;
    if (ax < 0 || ax >= nd)
        return error_set(EM_ERR_INDEX, "[repeat] Axis %d is out of bounds for array with %d dimensions.",
                         *axis, nd);
    if (repeats < 0) return error_set(EM_ERR_VALUE, "[repeat] Number of repeats cannot be negative");
    if (repeats == 1) return em_array_retain((em_array *)a);
    if (nd == EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[repeat] Arrays may have at most %d dimensions, got %d.",
                         EM_MAX_NDIM, nd + 1);
    int64_t br[EM_MAX_NDIM], fin[EM_MAX_NDIM];
    for (int i = 0, k = 0; i <= nd; i++) br[i] = i == ax + 1 ? repeats : a->shape[k++];
    memcpy(fin, a->shape, (size_t)nd * sizeof *fin);
    if (__builtin_mul_overflow(fin[ax], repeats, &fin[ax]))
        return error_set(EM_ERR_VALUE, "[repeat] The shape's number of bytes overflows a 64-bit size.");
    if (!ops_check_shape("repeat", fin, nd, a->dtype)) return NULL;
    int e = ax + 1;
    em_array *x = em_expand_dims(a, &e, 1);
    em_array *y = ops_broadcast(x, br, nd + 1);
    em_array *z = ops_reshape(y, fin, nd);
    em_array_release(x);
    em_array_release(y);
    return z;
}

/* ---------------------------------------------------------------- autodiff */

/* The cotangent of a pad for its array: the middle block, plus (edge mode)
 * each padded region summed onto the edge it repeats. */
static em_array *unpad(const em_pad_params *p, const em_array *c, const em_array *x) {
    rule_tmp t = {0};
    em_array *g = (em_array *)c;
    for (int d = 0; d < p->ndim && g; d++) {
        int64_t lo = p->low_high[2 * d], hi = p->low_high[2 * d + 1], len = x->shape[d];
        if (!lo && !hi) continue;
        em_array *mid = tk(&t, rules_slice_axis(g, d, lo, len));
        if (p->mode == EM_PAD_EDGE && len > 0) {
            for (int side = 0; side < 2; side++) {
                int64_t w = side ? hi : lo;
                if (!w) continue;
                em_array *part = tk(&t, rules_slice_axis(g, d, side ? lo + len : 0, w));
                em_array *s = tk(&t, em_sum(part, &d, 1, true));
                int64_t pw[2 * EM_MAX_NDIM] = {0};
                pw[2 * d + (side ? 0 : 1)] = len - 1;
                mid = tk(&t, em_add(mid, tk(&t, em_pad(s, pw, p->ndim, EM_PAD_CONSTANT, NULL))));
            }
        }
        g = mid;
    }
    em_array *r = em_array_retain(g);
    rule_tmp_free(&t);
    return r;
}

em_status ops_join_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    const em_array *c = cot[0];
    if (n->prim == EM_PRIM_CONCATENATE) {
        int ax = NODE_PARAMS(n, em_axis_params)->axis;
        int64_t off = 0;
        for (int i = 0; i < n->n_in; i++) {
            int64_t len = in[i]->shape[ax];
            if (want[i] && !(grads[i] = rules_slice_axis(c, ax, off, len))) return em_error_code();
            off += len;
        }
        return EM_OK;
    }
    const em_pad_params *p = NODE_PARAMS(n, em_pad_params);
    if (want[0] && !(grads[0] = unpad(p, c, in[0]))) return em_error_code();
    if (want[1] && p->mode == EM_PAD_CONSTANT) {
        /* the value fills everything outside the middle block */
        rule_tmp t = {0};
        em_array *mid = tk(&t, unpad(p, c, in[0]));
        grads[1] = em_subtract(tk(&t, em_sum(c, NULL, -1, false)), tk(&t, em_sum(mid, NULL, -1, false)));
        rule_tmp_free(&t);
        return rule_status(grads[1]);
    }
    return EM_OK;
}

em_status ops_join_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    rule_tmp t = {0};
    em_array *r = NULL;
    if (n->prim == EM_PRIM_CONCATENATE) {
        em_array *sb[16] = {0}, **parts = n->n_in <= 16 ? sb : malloc((size_t)n->n_in * sizeof *parts);
        if (!parts) return error_status(EM_ERR_MEMORY, "[concatenate] Out of memory.");
        int made = 0;
        for (; made < n->n_in; made++)
            if (!(parts[made] = rules_or_zeros(tan[made], in[made]))) break;
        if (made == n->n_in)
            r = em_concatenate((const em_array *const *)parts, (size_t)n->n_in,
                               NODE_PARAMS(n, em_axis_params)->axis);
        for (int i = 0; i < made; i++) em_array_release(parts[i]);
        if (parts != sb) free(parts);
    } else {
        /* pad the array's tangent with the value's tangent */
        em_array *ta = tk(&t, rules_or_zeros(tan[0], in[0]));
        em_array *tv = tk(&t, rules_or_zeros(tan[1], in[1]));
        em_dtype dt = ta && tv ? em_result_type(ta->dtype, tv->dtype) : EM_FLOAT32;
        em_array *args[2] = {tk(&t, ops_cast(ta, dt)), tk(&t, ops_cast(tv, dt))};
        if (args[0] && args[1])
            r = node_make(EM_PRIM_PAD, n->params, n->params_size, args, 2, dt, out[0]->shape,
                          out[0]->ndim);
    }
    rule_tmp_free(&t);
    out_tan[0] = r;
    return rule_status(r);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* CONCATENATE: every input with the batch at the first mapped one's axis t
 * (unmapped ones broadcast), joined along the shifted axis. */
static em_status concatenate_vmap(const em_node *n, em_array *const *in, const int *axes,
                                  em_array **out, int *out_axes) {
    int t = axes[vmap_first(axes, n->n_in)];
    int64_t size = vmap_size(in, axes, n->n_in);
    int ax = NODE_PARAMS(n, em_axis_params)->axis;
    em_array *sb[16], **x = n->n_in <= 16 ? sb : calloc((size_t)n->n_in, sizeof *x);
    if (!x) return error_status(EM_ERR_MEMORY, "[vmap] Out of memory.");
    int made = 0;
    for (; made < n->n_in; made++)
        if (!(x[made] = vmap_move(in[made], axes[made], t, size))) break;
    out[0] = made == n->n_in ? em_concatenate((const em_array *const *)x, (size_t)made, ax + (ax >= t))
                             : NULL;
    out_axes[0] = t;
    for (int i = 0; i < made; i++) em_array_release(x[i]);
    if (x != sb) free(x);
    return out[0] ? EM_OK : em_error_code();
}

/* A PAD node over x with the widths of p and none on the batch axis t. */
static em_array *pad_batched(const em_pad_params *p, em_array *x, em_array *value, int t) {
    union {
        em_pad_params p;
        int64_t storage[1 + 2 * EM_MAX_NDIM];
    } u;
    memset(&u, 0, sizeof u);
    u.p.mode = p->mode;
    u.p.ndim = x->ndim;
    int64_t shape[EM_MAX_NDIM];
    for (int i = 0, k = 0; i < x->ndim; i++) {
        int64_t lo = i == t ? 0 : p->low_high[2 * k], hi = i == t ? 0 : p->low_high[2 * k + 1];
        k += i != t;
        u.p.low_high[2 * i] = lo;
        u.p.low_high[2 * i + 1] = hi;
        shape[i] = x->shape[i] + lo + hi;
    }
    em_array *ins[2] = {x, value};
    return node_make(EM_PRIM_PAD, &u.p, PARAMS_SIZE(em_pad_params, low_high, 2 * x->ndim), ins, 2,
                     x->dtype, shape, x->ndim);
}

/* PAD: no padding along the batch. A mapped constant (one per element) pads
 * with zeros and then selects it where a padded mask of ones is false. */
static em_status pad_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                          int *out_axes) {
    const em_pad_params *p = NODE_PARAMS(n, em_pad_params);
    int t = axes[0] >= 0 ? axes[0] : 0;
    int64_t size = vmap_size(in, axes, 2);
    em_array *x = vmap_move(in[0], axes[0], t, size);
    out_axes[0] = t;
    if (axes[1] < 0 || p->mode != EM_PAD_CONSTANT) {
        em_array *v = axes[1] < 0 ? em_array_retain(in[1]) : ops_scalar(0, in[0]->dtype);
        out[0] = x && v ? pad_batched(p, x, v, t) : NULL;
        em_array_release(v);
        em_array_release(x);
        return out[0] ? EM_OK : em_error_code();
    }
    /* the value (size,) as (1, ..., size at t, ..., 1) */
    int64_t vshape[EM_MAX_NDIM];
    for (int i = 0; x && i < x->ndim; i++) vshape[i] = i == t ? size : 1;
    em_array *zero = ops_scalar(0, in[0]->dtype), *no = em_array_from_bool(false);
    em_array *ones = x ? em_ones(x->shape, x->ndim, EM_BOOL) : NULL;
    em_array *padded = x && zero ? pad_batched(p, x, zero, t) : NULL;
    em_array *mask = ones && no ? pad_batched(p, ones, no, t) : NULL;
    em_array *v = x ? ops_reshape(in[1], vshape, x->ndim) : NULL;
    out[0] = mask && padded && v ? em_where(mask, padded, v) : NULL;
    em_array *tmp[] = {x, zero, no, ones, padded, mask, v};
    for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) em_array_release(tmp[i]);
    return out[0] ? EM_OK : em_error_code();
}

em_status ops_join_vmap(const em_node *n, em_array *const *in, const int *axes,
                        em_array **out, int *out_axes) {
    switch (n->prim) {
    case EM_PRIM_CONCATENATE: return concatenate_vmap(n, in, axes, out, out_axes);
    case EM_PRIM_PAD: return pad_vmap(n, in, axes, out, out_axes);
    default: return ops_no_vmap(n);
    }
}
