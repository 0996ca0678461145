/* view.c -- ops that give a new view of the same data: broadcast_to, reshape,
 * flatten/unflatten, transpose and friends, squeeze/expand_dims, slice and
 * split. None of them copies (reshape only when the layout leaves no other
 * way, which its kernel decides). Messages follow MLX's text. */
#include <string.h>

#include "rules.h"

/* ---------------------------------------------------------------- helpers */

bool ops_check_shape(const char *op, const int64_t *shape, int ndim, em_dtype dtype) {
    if (ndim < 0 || ndim > EM_MAX_NDIM) {
        error_set(EM_ERR_VALUE, "[%s] Arrays may have at most %d dimensions, got %d.", op,
                  EM_MAX_NDIM, ndim);
        return false;
    }
    if (ndim > 0 && !shape) {
        error_set(EM_ERR_NULL, "[%s] The shape pointer is NULL.", op);
        return false;
    }
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) {
            error_set(EM_ERR_VALUE, "[%s] Negative dimensions not allowed.", op);
            return false;
        }
    int64_t n = shape_numel(shape, ndim), bytes;
    if (n < 0 || __builtin_mul_overflow(n, (int64_t)em_dtype_size(dtype), &bytes)) {
        error_set(EM_ERR_VALUE, "[%s] The shape's number of bytes overflows a 64-bit size.", op);
        return false;
    }
    return true;
}

em_array *ops_reshape(const em_array *a, const int64_t *shape, int ndim) {
    EM_CHECK_ARG("reshape", a);
    if (a->ndim == ndim && (ndim == 0 || memcmp(a->shape, shape, (size_t)ndim * sizeof *shape) == 0))
        return em_array_retain((em_array *)a);
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_RESHAPE, NULL, 0, &in, 1, a->dtype, shape, ndim);
}

/* A SLICE view: per axis, the first index start[i], the step step[i] and the
 * count shape[i] (all already within bounds). */
static em_array *make_slice(const em_array *a, const int64_t *start, const int64_t *step,
                            const int64_t *shape) {
    bool same = true;
    for (int i = 0; i < a->ndim && same; i++)
        same = start[i] == 0 && step[i] == 1 && shape[i] == a->shape[i];
    if (same) return em_array_retain((em_array *)a);
    union {
        em_slice_params p;
        int64_t storage[1 + 2 * EM_MAX_NDIM];
    } u;
    memset(&u, 0, sizeof u);
    u.p.ndim = a->ndim;
    for (int i = 0; i < a->ndim; i++) {
        u.p.start_step[2 * i] = start[i];
        u.p.start_step[2 * i + 1] = step[i];
    }
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_SLICE, &u.p, PARAMS_SIZE(em_slice_params, start_step, 2 * a->ndim),
                     &in, 1, a->dtype, shape, a->ndim);
}

/* Python's slice.indices for one axis of length n (step != 0): the clamped
 * first index and the number of elements. */
static void slice_indices(int64_t n, int64_t start, int64_t stop, int64_t step, int64_t *first,
                          int64_t *count) {
    int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
    if (start < 0) start = start + n < lower ? lower : start + n;
    else if (start > upper) start = upper;
    if (stop < 0) stop = stop + n < lower ? lower : stop + n;
    else if (stop > upper) stop = upper;
    /* the distance fits in uint64 even for |step| = 2^63 */
    uint64_t c = 0;
    if (step > 0 && start < stop)
        c = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
    else if (step < 0 && stop < start)
        c = ((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1;
    *count = (int64_t)c;
    /* an empty slice keeps a first index inside the array */
    *first = c ? start : 0;
}

/* Infers one -1 entry of shape (copied to out) so that its product is `size`.
 * Returns 0, 1 (more than one -1), 2 (product 0 with a -1) or 3 (mismatch:
 * out holds the shape to report). */
static int infer_shape(const int64_t *shape, int ndim, int64_t size, int64_t *out) {
    int infer = -1;
    int64_t known = 1;
    bool overflow = false;
    for (int i = 0; i < ndim; i++) {
        out[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0) return 1;
            infer = i;
        } else if (shape[i] < 0) {
            overflow = true; /* never a valid shape */
        } else if (!overflow && __builtin_mul_overflow(known, shape[i], &known)) {
            overflow = true;
        }
    }
    if (infer >= 0 && !overflow) {
        if (known == 0) return 2;
        out[infer] = size / known;
        known *= out[infer];
    }
    return overflow || known != size ? 3 : 0;
}

/* ---------------------------------------------------------------- broadcast */

em_array *ops_broadcast(const em_array *a, const int64_t *shape, int ndim) {
    EM_CHECK_ARG("broadcast_to", a);
    if (a->ndim == ndim) {
        bool same = true;
        for (int i = 0; i < ndim && same; i++) same = a->shape[i] == shape[i];
        if (same) return em_array_retain((em_array *)a);
    }
    bool ok = a->ndim <= ndim;
    for (int i = 0; ok && i < a->ndim; i++) {
        int64_t d = a->shape[a->ndim - 1 - i], t = shape[ndim - 1 - i];
        ok = d == t || d == 1;
    }
    for (int i = 0; ok && i < ndim; i++) ok = shape[i] >= 0;
    if (!ok && a->ndim > ndim) {
        char sa[256], sb[256];
        return error_set(EM_ERR_VALUE, "[broadcast_to] Cannot broadcast array of shape %s into shape %s.",
                         shape_str(a->shape, a->ndim, sa, sizeof sa), shape_str(shape, ndim, sb, sizeof sb));
    }
    if (!ok) {
        char sa[256], sb[256];
        return error_set(EM_ERR_VALUE, "[broadcast_shapes] Shapes %s and %s cannot be broadcast.",
                         shape_str(a->shape, a->ndim, sa, sizeof sa), shape_str(shape, ndim, sb, sizeof sb));
    }
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_BROADCAST, NULL, 0, &in, 1, a->dtype, shape, ndim);
}

EM_PUBLIC_OP(em_broadcast_to, (const em_array *a, const int64_t *shape, int ndim), (a, shape, ndim)) {
    if (ndim > 0 && !shape) return error_set(EM_ERR_NULL, "[broadcast_to] The shape pointer is NULL.");
    if (ndim < 0 || ndim > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[broadcast_to] Invalid number of dimensions %d.", ndim);
    return ops_broadcast(a, shape, ndim);
}

EM_PUBLIC_MULTI(em_broadcast_arrays, (const em_array *const *arrays, size_t n, em_array **out),
                (arrays, n, out), out, n) {
    if (n && (!arrays || !out))
        return error_status(EM_ERR_NULL, "[broadcast_arrays] The array list is NULL.");
    for (size_t i = 0; i < n; i++)
        if (!arrays[i]) return error_null_arg("broadcast_arrays"), em_error_code();
    int64_t shape[EM_MAX_NDIM];
    int nd = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t prev[EM_MAX_NDIM];
        memcpy(prev, shape, (size_t)nd * sizeof *shape);
        nd = shape_broadcast("broadcast_shapes", prev, nd, arrays[i]->shape, arrays[i]->ndim, shape);
        if (nd < 0) return em_error_code();
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = ops_broadcast(arrays[i], shape, nd);
        if (!out[i]) {
            while (i-- > 0) em_array_release(out[i]);
            return em_error_code();
        }
    }
    return EM_OK;
}

/* ---------------------------------------------------------------- reshape */

EM_PUBLIC_OP(em_reshape, (const em_array *a, const int64_t *shape, int ndim), (a, shape, ndim)) {
    EM_CHECK_ARG("reshape", a);
    if (ndim > 0 && !shape) return error_set(EM_ERR_NULL, "[reshape] The shape pointer is NULL.");
    if (ndim < 0 || ndim > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[reshape] Arrays may have at most %d dimensions, got %d.",
                         EM_MAX_NDIM, ndim);
    int64_t out[EM_MAX_NDIM];
    char s[1024];
    switch (infer_shape(shape, ndim, a->size, out)) {
    case 1: return error_set(EM_ERR_VALUE, "[reshape] Reshape can only infer one dimension.");
    case 2: return error_set(EM_ERR_VALUE, "[reshape] Cannot infer the shape of an empty array");
    case 3:
        return error_set(EM_ERR_VALUE, "[reshape] Cannot reshape array of size %lld into shape %s.",
                         (long long)a->size, shape_str(out, ndim, s, sizeof s));
    }
    return ops_reshape(a, out, ndim);
}

/* MLX clamps the axes into range instead of refusing them. */
EM_PUBLIC_OP(em_flatten, (const em_array *a, int start_axis, int end_axis), (a, start_axis, end_axis)) {
    EM_CHECK_ARG("flatten", a);
    int nd = a->ndim;
    if (nd == 0) return ops_reshape(a, (int64_t[]){1}, 1);
    int64_t s = (int64_t)start_axis + (start_axis < 0 ? nd : 0);
    int64_t e = (int64_t)end_axis + (end_axis < 0 ? nd : 0);
    if (s < 0) s = 0;
    if (e > nd - 1) e = nd - 1;
    /* after clamping, 0 <= s <= e < nd unless this refuses */
    if (e < s)
        return error_set(EM_ERR_VALUE, "[flatten] start_axis must be less than or equal to end_axis");
    int64_t shape[EM_MAX_NDIM];
    int k = 0;
    for (int i = 0; i < s; i++) shape[k++] = a->shape[i];
    int64_t m = 1;
    for (int64_t i = s; i <= e; i++) m *= a->shape[i];
    shape[k++] = m;
    for (int64_t i = e + 1; i < nd; i++) shape[k++] = a->shape[i];
    return ops_reshape(a, shape, k);
}

EM_PUBLIC_OP(em_unflatten, (const em_array *a, int axis, const int64_t *shape, int ndim),
             (a, axis, shape, ndim)) {
    EM_CHECK_ARG("unflatten", a);
    if (ndim <= 0) return error_set(EM_ERR_VALUE, "[unflatten] Shape to unflatten to cannot be empty.");
    if (!shape) return error_set(EM_ERR_NULL, "[unflatten] The shape pointer is NULL.");
    int ax = axis < 0 ? axis + a->ndim : axis;
    if (ax < 0 || ax >= a->ndim)
        return error_set(EM_ERR_INDEX, "[unflatten] Invalid axes %d for array with %d dimensions.",
                         ax, a->ndim);
    if (a->ndim - 1 + ndim > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[unflatten] Arrays may have at most %d dimensions, got %d.",
                         EM_MAX_NDIM, a->ndim - 1 + ndim);
    int64_t out[EM_MAX_NDIM];
    char s[1024];
    switch (infer_shape(shape, ndim, a->shape[ax], out)) {
    case 1: return error_set(EM_ERR_VALUE, "[Unflatten] Can only infer one dimension.");
    case 2: return error_set(EM_ERR_VALUE, "[Unflatten] Cannot infer the shape of an empty array");
    case 3:
        return error_set(EM_ERR_VALUE, "[Unflatten] Cannot unflatten axis %d with size %lld into shape %s.",
                         axis, (long long)a->shape[ax], shape_str(out, ndim, s, sizeof s));
    }
    int64_t full[EM_MAX_NDIM];
    int k = 0;
    for (int i = 0; i < ax; i++) full[k++] = a->shape[i];
    for (int i = 0; i < ndim; i++) full[k++] = out[i];
    for (int i = ax + 1; i < a->ndim; i++) full[k++] = a->shape[i];
    return ops_reshape(a, full, k);
}

/* ---------------------------------------------------------------- transpose */

/* perm holds normalised, distinct axes. */
static em_array *make_transpose(const em_array *a, const int *perm) {
    bool identity = true;
    for (int i = 0; i < a->ndim && identity; i++) identity = perm[i] == i;
    if (identity) return em_array_retain((em_array *)a);
    union {
        em_transpose_params p;
        int32_t storage[1 + EM_MAX_NDIM];
    } u;
    memset(&u, 0, sizeof u);
    int64_t shape[EM_MAX_NDIM];
    u.p.ndim = a->ndim;
    for (int i = 0; i < a->ndim; i++) {
        u.p.perm[i] = perm[i];
        shape[i] = a->shape[perm[i]];
    }
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_TRANSPOSE, &u.p, PARAMS_SIZE(em_transpose_params, perm, a->ndim),
                     &in, 1, a->dtype, shape, a->ndim);
}

EM_PUBLIC_OP(em_transpose, (const em_array *a, const int *perm, int nperm), (a, perm, nperm)) {
    EM_CHECK_ARG("transpose", a);
    int nd = a->ndim, p[EM_MAX_NDIM];
    if (!perm) {
        for (int i = 0; i < nd; i++) p[i] = nd - 1 - i;
        return make_transpose(a, p);
    }
    if (nperm != nd)
        return error_set(EM_ERR_VALUE, "[transpose] Received %d axes for array with %d dimensions.",
                         nperm, nd);
    bool seen[EM_MAX_NDIM] = {false};
    for (int i = 0; i < nd; i++) {
        int ax = perm[i] < 0 ? perm[i] + nd : perm[i];
        if (ax < 0 || ax >= nd)
            return error_set(EM_ERR_INDEX, "[transpose] Invalid axis (%d) for array with %d dimensions.",
                             ax, nd);
        if (seen[ax]) return error_set(EM_ERR_VALUE, "[transpose] Repeat axes not allowed.");
        seen[ax] = true;
        p[i] = ax;
    }
    return make_transpose(a, p);
}

EM_PUBLIC_OP(em_swapaxes, (const em_array *a, int axis1, int axis2), (a, axis1, axis2)) {
    EM_CHECK_ARG("swapaxes", a);
    int a1 = shape_axis("swapaxes", axis1, a->ndim);
    if (a1 < 0) return NULL;
    int a2 = shape_axis("swapaxes", axis2, a->ndim);
    if (a2 < 0) return NULL;
    int p[EM_MAX_NDIM];
    for (int i = 0; i < a->ndim; i++) p[i] = i;
    p[a1] = a2;
    p[a2] = a1;
    return make_transpose(a, p);
}

EM_PUBLIC_OP(em_moveaxis, (const em_array *a, int source, int destination), (a, source, destination)) {
    EM_CHECK_ARG("moveaxis", a);
    int src = shape_axis("moveaxis", source, a->ndim);
    if (src < 0) return NULL;
    int dst = shape_axis("moveaxis", destination, a->ndim);
    if (dst < 0) return NULL;
    int p[EM_MAX_NDIM], k = 0;
    for (int i = 0; i < a->ndim; i++)
        if (i != src) p[k++] = i;
    memmove(p + dst + 1, p + dst, (size_t)(a->ndim - 1 - dst) * sizeof *p);
    p[dst] = src;
    return make_transpose(a, p);
}

/* ---------------------------------------------------------------- squeeze */

EM_PUBLIC_OP(em_squeeze, (const em_array *a, const int *axes, int naxes), (a, axes, naxes)) {
    EM_CHECK_ARG("squeeze", a);
    int nd = a->ndim;
    bool drop[EM_MAX_NDIM] = {false};
    if (naxes < 0) {
        for (int i = 0; i < nd; i++) drop[i] = a->shape[i] == 1;
    } else {
        if (naxes > 0 && !axes) return error_set(EM_ERR_NULL, "[squeeze] The axes pointer is NULL.");
        for (int i = 0; i < naxes; i++) {
            int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
            if (ax < 0 || ax >= nd)
                return error_set(EM_ERR_INDEX, "[squeeze] Axis %d is out of bounds for array with %d dimensions.",
                                 axes[i], nd);
            if (a->shape[ax] != 1)
                return error_set(EM_ERR_VALUE,
                                 "[squeeze] Cannot squeeze axis %d with size %lld which is not equal to 1.",
                                 axes[i], (long long)a->shape[ax]);
        }
        for (int i = 0; i < naxes; i++) {
            int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
            if (drop[ax]) return error_set(EM_ERR_VALUE, "[squeeze] Received duplicate axes.");
            drop[ax] = true;
        }
    }
    int64_t shape[EM_MAX_NDIM];
    int k = 0;
    for (int i = 0; i < nd; i++)
        if (!drop[i]) shape[k++] = a->shape[i];
    return ops_reshape(a, shape, k);
}

EM_PUBLIC_OP(em_expand_dims, (const em_array *a, const int *axes, int naxes), (a, axes, naxes)) {
    EM_CHECK_ARG("expand_dims", a);
    if (naxes < 0) return error_set(EM_ERR_VALUE, "[expand_dims] Invalid number of axes %d.", naxes);
    if (naxes > 0 && !axes) return error_set(EM_ERR_NULL, "[expand_dims] The axes pointer is NULL.");
    if (naxes > EM_MAX_NDIM - a->ndim)
        return error_set(EM_ERR_VALUE, "[expand_dims] Arrays may have at most %d dimensions, got %d.",
                         EM_MAX_NDIM, a->ndim + naxes);
    int out_nd = a->ndim + naxes;
    for (int i = 0; i < naxes; i++)
        if (axes[i] < -out_nd || axes[i] >= out_nd)
            return error_set(EM_ERR_INDEX, "[expand_dims] Axis %d is out of bounds for array with %d dimensions.",
                             axes[i], out_nd);
    bool ins[EM_MAX_NDIM] = {false};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i] < 0 ? axes[i] + out_nd : axes[i];
        if (ins[ax]) return error_set(EM_ERR_VALUE, "[expand_dims] Received duplicate axes.");
        ins[ax] = true;
    }
    int64_t shape[EM_MAX_NDIM];
    for (int i = 0, k = 0; i < out_nd; i++) shape[i] = ins[i] ? 1 : a->shape[k++];
    return ops_reshape(a, shape, out_nd);
}

/* ---------------------------------------------------------------- slice */

EM_PUBLIC_OP(em_slice, (const em_array *a, const int64_t *start, const int64_t *stop,
                        const int64_t *step, int ndim), (a, start, stop, step, ndim)) {
    EM_CHECK_ARG("slice", a);
    if (ndim != a->ndim)
        return error_set(EM_ERR_VALUE,
                         "[slice] Invalid number of indices or strides for array with dimension %d.",
                         a->ndim);
    if (ndim > 0 && (!start || !stop))
        return error_set(EM_ERR_NULL, "[slice] The start or stop pointer is NULL.");
    int64_t first[EM_MAX_NDIM], steps[EM_MAX_NDIM], shape[EM_MAX_NDIM];
    for (int i = 0; i < ndim; i++) {
        steps[i] = step ? step[i] : 1;
        if (steps[i] == 0) return error_set(EM_ERR_VALUE, "[slice] Slice step cannot be zero.");
        slice_indices(a->shape[i], start[i], stop[i], steps[i], &first[i], &shape[i]);
        /* with fewer than two elements the step is meaningless: make it 1,
         * so kernels never scale a stride by a huge step */
        if (shape[i] < 2) steps[i] = 1;
    }
    return make_slice(a, first, steps, shape);
}

/* An index of an axis of length n, wrapped and clamped into [0, n] as Python
 * slicing does. */
static int64_t clamp_index(int64_t i, int64_t n) {
    if (i < 0) return i + n < 0 ? 0 : i + n;
    return i > n ? n : i;
}

/* One piece of split: a[..., start:start+count, ...] along axis. */
static em_array *slice_axis(const em_array *a, int axis, int64_t start, int64_t count) {
    int64_t first[EM_MAX_NDIM], steps[EM_MAX_NDIM], shape[EM_MAX_NDIM];
    for (int i = 0; i < a->ndim; i++) {
        first[i] = 0;
        steps[i] = 1;
        shape[i] = a->shape[i];
    }
    first[axis] = count ? start : 0;
    shape[axis] = count;
    return make_slice(a, first, steps, shape);
}

/* On success *nout is the number of parts. When out_cap is too small, *nout
 * still tells how many were needed (and nothing is written to out). */
EM_PUBLIC_MULTI(em_split, (const em_array *a, int64_t sections, const int64_t *indices, int nidx,
                           int axis, em_array **out, size_t out_cap, size_t *nout),
                (a, sections, indices, nidx, axis, out, out_cap, nout), out, *nout) {
    if (nout) *nout = 0;
    if (!a) return error_null_arg("split"), em_error_code();
    if (!nout) return error_status(EM_ERR_NULL, "[split] The count pointer is NULL.");
    int ax = axis < 0 ? axis + a->ndim : axis;
    if (ax < 0 || ax >= a->ndim)
        return error_status(EM_ERR_INDEX, "[split] Axis %d is out of bounds for array with %d dimensions.",
                            axis, a->ndim);
    int64_t n = a->shape[ax];
    size_t parts;
    if (indices) {
        if (nidx < 0)
            return error_status(EM_ERR_VALUE, "[split] Invalid number of indices %d.", nidx);
        parts = (size_t)nidx + 1;
    } else {
        char s[1024];
        if (sections <= 0)
            return error_status(EM_ERR_VALUE,
                                "[split] num_splits must be positive and non-zero but got %lld.",
                                (long long)sections);
        if (n % sections)
            return error_status(EM_ERR_VALUE,
                                "[split] Array split does not result in sub arrays with equal size: "
                                "attempting %lld splits along axis %d for shape %s.",
                                (long long)sections, axis, shape_str(a->shape, a->ndim, s, sizeof s));
        if ((uint64_t)sections > SIZE_MAX)
            return error_status(EM_ERR_VALUE, "[split] Too many sections %lld.", (long long)sections);
        parts = (size_t)sections;
    }
    if (parts > out_cap || !out) {
        *nout = parts;
        return error_status(out ? EM_ERR_VALUE : EM_ERR_NULL,
                            "[split] The output holds %zu arrays but %zu are needed.",
                            out ? out_cap : 0, parts);
    }
    for (size_t i = 0; i < parts; i++) {
        int64_t lo, hi;
        if (indices) {
            lo = i == 0 ? 0 : clamp_index(indices[i - 1], n);
            hi = i == parts - 1 ? n : clamp_index(indices[i], n);
        } else {
            lo = (int64_t)i * (n / sections);
            hi = lo + n / sections;
        }
        out[i] = slice_axis(a, ax, lo, hi > lo ? hi - lo : 0);
        if (!out[i]) {
            while (i-- > 0) em_array_release(out[i]);
            return em_error_code();
        }
    }
    *nout = parts;
    return EM_OK;
}

/* ---------------------------------------------------------------- stop_gradient */

EM_PUBLIC_OP(em_stop_gradient, (const em_array *a), (a)) {
    EM_CHECK_ARG("stop_gradient", a);
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_STOP_GRADIENT, NULL, 0, &in, 1, a->dtype, a->shape, a->ndim);
}

/* ---------------------------------------------------------------- autodiff */

/* The same view primitive with the same parameters, applied to v (whose
 * shape is the node's input shape): the tangent of a linear view. */
static em_array *same_view(const em_node *n, const em_array *v, const em_array *out) {
    EM_CHECK_ARG("jvp", v);
    em_array *in = (em_array *)v;
    return node_make(n->prim, n->params, n->params_size, &in, 1, v->dtype, out->shape, out->ndim);
}

/* The cotangent of a slice, put back where the slice took it from: stepped
 * axes are dilated (each element followed by |step| - 1 zeros, reversed
 * first for negative steps), then one zero pad places the block. */
static em_array *unslice(const em_node *n, const em_array *c, const em_array *x) {
    const em_slice_params *p = NODE_PARAMS(n, em_slice_params);
    int nd = x->ndim;
    for (int i = 0; i < nd; i++)
        if (c->shape[i] == 0) return NULL;
    rule_tmp t = {0};
    em_array *g = (em_array *)c;
    int64_t widths[2 * EM_MAX_NDIM];
    for (int i = 0; i < nd && g; i++) {
        int64_t k = c->shape[i], first = p->start_step[2 * i], step = p->start_step[2 * i + 1];
        int64_t len = k;
        if (step != 1) {
            int64_t s = step < 0 ? -step : step;
            if (step < 0) {
                int64_t lo[EM_MAX_NDIM], hi[EM_MAX_NDIM], st[EM_MAX_NDIM];
                for (int d = 0; d < nd; d++) {
                    lo[d] = 0;
                    hi[d] = g->shape[d];
                    st[d] = 1;
                }
                lo[i] = k - 1;
                hi[i] = -k - 1;
                st[i] = -1;
                g = tk(&t, em_slice(g, lo, hi, st, nd));
                first += (k - 1) * step;
            }
            int ax = i + 1;
            em_array *e = tk(&t, em_expand_dims(g, &ax, 1));
            int64_t pw[2 * EM_MAX_NDIM + 2] = {0};
            pw[2 * ax + 1] = s - 1;
            em_array *pd = tk(&t, em_pad(e, pw, nd + 1, EM_PAD_CONSTANT, NULL));
            int64_t shape[EM_MAX_NDIM];
            for (int d = 0; d < nd; d++) shape[d] = g ? g->shape[d] : 0;
            shape[i] = k * s;
            len = (k - 1) * s + 1;
            g = tk(&t, rules_slice_axis(tk(&t, ops_reshape(pd, shape, nd)), i, 0, len));
        }
        widths[2 * i] = first;
        widths[2 * i + 1] = x->shape[i] - first - len;
    }
    em_array *r = g ? em_pad(g, widths, nd, EM_PAD_CONSTANT, NULL) : NULL;
    rule_tmp_free(&t);
    return r;
}

em_status ops_view_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    if (!want[0]) return EM_OK;
    const em_array *x = in[0], *c = cot[0];
    em_array *g = NULL;
    switch (n->prim) {
    case EM_PRIM_RESHAPE: g = ops_reshape(c, x->shape, x->ndim); break;
    case EM_PRIM_TRANSPOSE: {
        const em_transpose_params *p = NODE_PARAMS(n, em_transpose_params);
        int inv[EM_MAX_NDIM];
        for (int i = 0; i < p->ndim; i++) inv[p->perm[i]] = i;
        g = em_transpose(c, inv, p->ndim);
        break;
    }
    case EM_PRIM_SLICE:
        g = unslice(n, c, x);
        if (!g && error_is_set()) return em_error_code();
        grads[0] = g;
        return EM_OK;
    case EM_PRIM_BROADCAST: g = rules_unbroadcast(c, x); break;
    default: return EM_OK; /* stop_gradient: zero */
    }
    grads[0] = g;
    return rule_status(g);
}

em_status ops_view_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    (void)in;
    if (n->prim == EM_PRIM_STOP_GRADIENT) return EM_OK;
    out_tan[0] = same_view(n, tan[0], out[0]);
    return rule_status(out_tan[0]);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* RESHAPE and BROADCAST work on the batch axis moved to the front: reshape
 * is row-major per element, and broadcasting aligns trailing axes. */
static em_status reshape_vmap(const em_node *n, const em_array *x, int b, em_array **out,
                              int *out_axes) {
    const em_array *like = vmap_traced_out(n, 0);
    int64_t shape[EM_MAX_NDIM];
    shape[0] = x->shape[b];
    em_array *m = em_moveaxis(x, b, 0);
    if (n->prim == EM_PRIM_RESHAPE) {
        memcpy(shape + 1, like->shape, (size_t)like->ndim * sizeof *shape);
        out[0] = m ? ops_reshape(m, shape, like->ndim + 1) : NULL;
    } else {
        /* (B, in...) -> (B, 1..., in...) -> (B, out...) */
        int extra = like->ndim - (x->ndim - 1);
        for (int i = 0; i < extra; i++) shape[1 + i] = 1;
        for (int i = 1; i < x->ndim; i++) shape[extra + i] = m ? m->shape[i] : 0;
        em_array *r = m ? ops_reshape(m, shape, like->ndim + 1) : NULL;
        memcpy(shape + 1, like->shape, (size_t)like->ndim * sizeof *shape);
        out[0] = r ? ops_broadcast(r, shape, like->ndim + 1) : NULL;
        em_array_release(r);
    }
    em_array_release(m);
    out_axes[0] = 0;
    return out[0] ? EM_OK : em_error_code();
}

em_status ops_view_vmap(const em_node *n, em_array *const *in, const int *axes,
                        em_array **out, int *out_axes) {
    const em_array *x = in[0];
    int b = axes[0];
    switch (n->prim) {
    case EM_PRIM_RESHAPE:
    case EM_PRIM_BROADCAST: return reshape_vmap(n, x, b, out, out_axes);
    case EM_PRIM_TRANSPOSE: {
        /* the batch axis stays where it is; the others are permuted around it */
        const em_transpose_params *p = NODE_PARAMS(n, em_transpose_params);
        int perm[EM_MAX_NDIM];
        for (int i = 0, k = 0; i <= p->ndim; i++) {
            if (i == b) {
                perm[i] = b;
                continue;
            }
            perm[i] = p->perm[k] + (p->perm[k] >= b);
            k++;
        }
        out[0] = make_transpose(x, perm);
        out_axes[0] = b;
        break;
    }
    case EM_PRIM_SLICE: {
        /* the whole batch axis: start 0, step 1 */
        const em_slice_params *p = NODE_PARAMS(n, em_slice_params);
        int64_t start[EM_MAX_NDIM], step[EM_MAX_NDIM];
        for (int i = 0, k = 0; i <= p->ndim; i++) {
            start[i] = i == b ? 0 : p->start_step[2 * k];
            step[i] = i == b ? 1 : p->start_step[2 * k + 1];
            k += i != b;
        }
        int64_t shape[EM_MAX_NDIM];
        const em_array *like = vmap_traced_out(n, 0);
        for (int i = 0, k = 0; i <= p->ndim; i++) shape[i] = i == b ? x->shape[b] : like->shape[k++];
        out[0] = make_slice(x, start, step, shape);
        out_axes[0] = b;
        break;
    }
    case EM_PRIM_STOP_GRADIENT:
        out[0] = em_stop_gradient(x);
        out_axes[0] = b;
        break;
    default: return ops_no_vmap(n);
    }
    return out[0] ? EM_OK : em_error_code();
}
