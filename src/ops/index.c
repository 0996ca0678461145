/* index.c -- the gather/scatter family: gather, take, take_along_axis,
 * dynamic slices, scatter and its reductions, put_along_axis, slice_update
 * and masked_scatter. Builders check everything that needs no data (shapes,
 * axes, dtypes) and raise MLX's messages; index values are checked by the
 * kernels (src/backend/cpu/index.c), which fail with EM_ERR_INDEX rather than
 * touch memory out of bounds. */
#include <string.h>

#include "rules.h"

/* ---------------------------------------------------------------- helpers */

static bool is_index_dtype(em_dtype dt) { return dtype_is_int(dt); }

/* Whether shape `from` broadcasts to `to` (NumPy's rules), with no error. */
static bool broadcastable(const int64_t *from, int nf, const int64_t *to, int nt) {
    if (nf > nt) return false;
    for (int i = 0; i < nf; i++) {
        int64_t f = from[nf - 1 - i], t = to[nt - 1 - i];
        if (f != t && f != 1) return false;
    }
    return true;
}

/* Checks the n index arrays of op (integer dtypes) and broadcasts them to
 * their common shape, written to shape; bc receives n new references.
 * Returns the rank, or -1 with an error (and nothing in bc). */
static int broadcast_indices(const char *op, const em_array *const *indices, size_t n,
                             em_array **bc, int64_t *shape) {
    int nd = 0;
    for (size_t k = 0; k < n; k++) {
        if (!indices[k]) return error_null_arg(op), -1;
        if (!is_index_dtype(indices[k]->dtype)) {
            error_set(EM_ERR_VALUE, "[%s] Got indices with invalid dtype. Indices must be integral.", op);
            return -1;
        }
        int64_t prev[EM_MAX_NDIM];
        memcpy(prev, shape, (size_t)nd * sizeof *shape);
        nd = shape_broadcast("broadcast_shapes", prev, nd, indices[k]->shape, indices[k]->ndim, shape);
        if (nd < 0) return -1;
    }
    for (size_t k = 0; k < n; k++) {
        bc[k] = ops_broadcast(indices[k], shape, nd);
        if (!bc[k]) {
            while (k-- > 0) em_array_release(bc[k]);
            return -1;
        }
    }
    return nd;
}

static void release_all(em_array **v, size_t n) {
    for (size_t i = 0; i < n; i++) em_array_release(v[i]);
}

/* Normalises the n axes of op into out (distinct, in range of ndim). */
static bool index_axes(const char *op, const int *axes, size_t n, int ndim, int *out) {
    bool seen[EM_MAX_NDIM] = {false};
    if (n && !axes) {
        error_set(EM_ERR_NULL, "[%s] The axes pointer is NULL.", op);
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        int ax = axes[k] < 0 ? axes[k] + ndim : axes[k];
        if (ax < 0 || ax >= ndim) {
            error_set(EM_ERR_INDEX, "[%s] Invalid axis %d for array with %d dimensions.", op, axes[k],
                      ndim);
            return false;
        }
        if (seen[ax]) {
            error_set(EM_ERR_VALUE, "[%s] Repeated axes are not allowed (axis %d).", op, axes[k]);
            return false;
        }
        seen[ax] = true;
        out[k] = ax;
    }
    return true;
}

/* Whether w (a window or slice size) fits axis d of a: 0 <= w <= dim, where an
 * indexed axis of size 0 also takes 1 (any index then fails at run time, and
 * taking no index from an empty axis works, as NumPy's take). */
static bool window_fits(int64_t w, int64_t dim, bool indexed) {
    return w >= 0 && (w <= dim || (indexed && dim == 0 && w == 1));
}

/* ---------------------------------------------------------------- gather */

EM_PUBLIC_OP(em_gather, (const em_array *a, const em_array *const *indices, size_t n,
                         const int *axes, const int64_t *slice_sizes, int nslice),
             (a, indices, n, axes, slice_sizes, nslice)) {
    EM_CHECK_ARG("gather", a);
    if (n && !indices) return error_set(EM_ERR_NULL, "[gather] The index list is NULL.");
    for (size_t k = 0; k < n; k++) EM_CHECK_ARG("gather", indices[k]);
    int nd = a->ndim;
    if (n > (size_t)nd)
        return error_set(EM_ERR_VALUE,
                         "[gather] Too many index arrays. Got %zu index arrays for input with %d "
                         "dimensions.", n, nd);
    if (nslice != nd)
        return error_set(EM_ERR_VALUE, "[gather] Got slice_sizes with size %d for array with %d dimensions.",
                         nslice, nd);
    if (nd && !slice_sizes) return error_set(EM_ERR_NULL, "[gather] The slice_sizes pointer is NULL.");
    int ax[EM_MAX_NDIM];
    if (!index_axes("gather", axes, n, nd, ax)) return NULL;
    bool indexed[EM_MAX_NDIM] = {false};
    for (size_t k = 0; k < n; k++) indexed[ax[k]] = true;
    for (int d = 0; d < nd; d++)
        if (!window_fits(slice_sizes[d], a->shape[d], indexed[d])) {
            char s1[1024], s2[1024];
            return error_set(EM_ERR_VALUE,
                             "[gather] Slice sizes must be in [0, a.shape(i)]. Got %s for array with "
                             "shape %s.", shape_str(slice_sizes, nd, s1, sizeof s1),
                             shape_str(a->shape, nd, s2, sizeof s2));
        }
    em_array *bc[EM_MAX_NDIM];
    int64_t shape[2 * EM_MAX_NDIM];
    int nb = broadcast_indices("gather", indices, n, bc, shape);
    if (nb < 0) return NULL;
    em_array *r = NULL;
    if (nb + nd > EM_MAX_NDIM) {
        error_set(EM_ERR_VALUE, "[gather] Arrays may have at most %d dimensions, got %d.", EM_MAX_NDIM,
                  nb + nd);
    } else {
        memcpy(shape + nb, slice_sizes, (size_t)nd * sizeof *shape);
        if (ops_check_shape("gather", shape, nb + nd, a->dtype)) {
            union {
                em_gather_params p;
                int64_t storage[1 + 2 * EM_MAX_NDIM];
            } u;
            memset(&u, 0, sizeof u);
            u.p.nidx = (int32_t)n;
            u.p.ndim = nd;
            for (size_t k = 0; k < n; k++) u.p.axes_sizes[k] = ax[k];
            memcpy(u.p.axes_sizes + n, slice_sizes, (size_t)nd * sizeof(int64_t));
            em_array *in[1 + EM_MAX_NDIM];
            in[0] = (em_array *)a;
            memcpy(in + 1, bc, n * sizeof *bc);
            r = node_make(EM_PRIM_GATHER, &u.p, PARAMS_SIZE(em_gather_params, axes_sizes, n + (size_t)nd),
                          in, (int)n + 1, a->dtype, shape, nb + nd);
        }
    }
    release_all(bc, n);
    return r;
}

/* a flattened to 1-d (a 0-d array becomes one element). */
static em_array *flat(const em_array *a) {
    int64_t n = a->size;
    return ops_reshape(a, &n, 1);
}

EM_PUBLIC_OP(em_take, (const em_array *a, const em_array *indices, int axis, bool has_axis),
             (a, indices, axis, has_axis)) {
    EM_CHECK_ARG("take", a);
    EM_CHECK_ARG("take", indices);
    if (!has_axis) {
        em_array *f = flat(a);
        em_array *r = f ? em_take(f, indices, 0, true) : NULL;
        em_array_release(f);
        return r;
    }
    int nd = a->ndim, ax = axis < 0 ? axis + nd : axis;
    if (ax < 0 || ax >= nd)
        return error_set(EM_ERR_INDEX, "[take] Received invalid axis %d for array with %d dimensions.",
                         axis, nd);
    int64_t sizes[EM_MAX_NDIM];
    memcpy(sizes, a->shape, (size_t)nd * sizeof *sizes);
    sizes[ax] = 1;
    em_array *g = em_gather(a, &indices, 1, &ax, sizes, nd);
    if (!g) return NULL;
    /* g: indices.shape + a.shape with 1 at ax; drop that 1, then move the
     * index dims to where ax was */
    int k = indices->ndim;
    int64_t shape[EM_MAX_NDIM];
    int m = 0;
    for (int d = 0; d < g->ndim; d++)
        if (d != k + ax) shape[m++] = g->shape[d];
    em_array *r = ops_reshape(g, shape, m);
    em_array_release(g);
    if (!r || ax == 0 || k == 0) return r;
    int perm[EM_MAX_NDIM], q = 0;
    for (int d = 0; d < ax; d++) perm[q++] = k + d;
    for (int d = 0; d < k; d++) perm[q++] = d;
    for (int d = k + ax; d < m; d++) perm[q++] = d;
    em_array *t = em_transpose(r, perm, m);
    em_array_release(r);
    return t;
}

/* ---------------------------------------------------------------- along an axis */

/* The shape of b with axis ax removed, into out; returns its rank. */
static int without_axis(const int64_t *shape, int nd, int ax, int64_t *out) {
    int m = 0;
    for (int d = 0; d < nd; d++)
        if (d != ax) out[m++] = shape[d];
    return m;
}

/* The shape s (nd - 1 dims) with v inserted at ax. */
static void with_axis(const int64_t *s, int nd, int ax, int64_t v, int64_t *out) {
    for (int d = 0, k = 0; d < nd; d++) out[d] = d == ax ? v : s[k++];
}

/* Common checks of the along-axis ops: the axis and the indices. */
static bool axis_op_checks(const char *op, const em_array *a, const em_array *idx, int axis, int *ax) {
    int nd = a->ndim;
    *ax = axis < 0 ? axis + nd : axis;
    if (*ax < 0 || *ax >= nd) {
        error_set(EM_ERR_INDEX, "[%s] Axis %d is out of bounds for array with %d dimensions.", op, axis, nd);
        return false;
    }
    if (!is_index_dtype(idx->dtype)) {
        error_set(EM_ERR_VALUE, "[%s] Got indices with invalid dtype. Indices must be integral.", op);
        return false;
    }
    if (idx->ndim != nd) {
        error_set(EM_ERR_VALUE, "[%s] Indices of dimension %d does not match array of dimension %d.", op,
                  idx->ndim, nd);
        return false;
    }
    return true;
}

EM_PUBLIC_OP(em_take_along_axis, (const em_array *a, const em_array *indices, int axis, bool has_axis),
             (a, indices, axis, has_axis)) {
    EM_CHECK_ARG("take_along_axis", a);
    EM_CHECK_ARG("take_along_axis", indices);
    if (!has_axis) {
        em_array *f = flat(a);
        em_array *r = f ? em_take_along_axis(f, indices, 0, true) : NULL;
        em_array_release(f);
        return r;
    }
    int ax;
    if (!axis_op_checks("take_along_axis", a, indices, axis, &ax)) return NULL;
    int nd = a->ndim;
    int64_t sa[EM_MAX_NDIM], si[EM_MAX_NDIM], s[EM_MAX_NDIM], full[EM_MAX_NDIM];
    without_axis(a->shape, nd, ax, sa);
    without_axis(indices->shape, nd, ax, si);
    if (shape_broadcast("broadcast_shapes", sa, nd - 1, si, nd - 1, s) < 0) return NULL;
    with_axis(s, nd, ax, indices->shape[ax], full);
    em_array *idx = ops_broadcast(indices, full, nd);
    with_axis(s, nd, ax, a->shape[ax], full);
    em_array *src = ops_broadcast(a, full, nd);
    em_array *r = NULL;
    if (idx && src) {
        em_index_axis_params p;
        memset(&p, 0, sizeof p);
        p.axis = ax;
        em_array *in[2] = {src, idx};
        r = node_make(EM_PRIM_GATHER_AXIS, &p, sizeof p, in, 2, a->dtype, idx->shape, nd);
    }
    em_array_release(idx);
    em_array_release(src);
    return r;
}

/* put_along_axis (op NONE) and scatter_add_axis (SUM). */
static em_array *put_axis(const char *op, em_scatter_op sop, const em_array *a, const em_array *indices,
                          const em_array *values, int axis) {
    int ax;
    if (!axis_op_checks(op, a, indices, axis, &ax)) return NULL;
    int nd = a->ndim;
    int64_t sa[EM_MAX_NDIM], si[EM_MAX_NDIM], s[EM_MAX_NDIM], ishape[EM_MAX_NDIM], t[EM_MAX_NDIM];
    without_axis(a->shape, nd, ax, sa);
    without_axis(indices->shape, nd, ax, si);
    if (shape_broadcast("broadcast_shapes", sa, nd - 1, si, nd - 1, s) < 0) return NULL;
    with_axis(s, nd, ax, indices->shape[ax], ishape);
    int nt = shape_broadcast("broadcast_shapes", ishape, nd, values->shape, values->ndim, t);
    if (nt < 0) return NULL;
    bool fits = nt == nd;
    for (int d = 0; d < nt && fits; d++) fits = d == ax || t[d] == a->shape[d];
    if (!fits) {
        char s1[1024], s2[1024];
        return error_set(EM_ERR_VALUE,
                         "[%s] Indices and values of broadcast shape %s do not fit array of shape %s "
                         "outside axis %d.", op, shape_str(t, nt, s1, sizeof s1),
                         shape_str(a->shape, nd, s2, sizeof s2), ax);
    }
    em_array *idx = ops_broadcast(indices, t, nd);
    em_array *v = ops_cast(values, a->dtype);
    em_array *upd = ops_broadcast(v, t, nd);
    em_array_release(v);
    em_array *r = NULL;
    if (idx && upd) {
        em_index_axis_params p;
        memset(&p, 0, sizeof p);
        p.axis = ax;
        p.op = sop;
        em_array *in[3] = {(em_array *)a, idx, upd};
        r = node_make(EM_PRIM_SCATTER_AXIS, &p, sizeof p, in, 3, a->dtype, a->shape, nd);
    }
    em_array_release(idx);
    em_array_release(upd);
    return r;
}

EM_PUBLIC_OP(em_put_along_axis, (const em_array *a, const em_array *indices, const em_array *values,
                                  int axis, bool has_axis), (a, indices, values, axis, has_axis)) {
    EM_CHECK_ARG("put_along_axis", a);
    EM_CHECK_ARG("put_along_axis", indices);
    EM_CHECK_ARG("put_along_axis", values);
    if (has_axis) return put_axis("put_along_axis", EM_SCATTER_NONE, a, indices, values, axis);
    em_array *f = flat(a);
    em_array *r = f ? put_axis("put_along_axis", EM_SCATTER_NONE, f, indices, values, 0) : NULL;
    em_array *out = r ? ops_reshape(r, a->shape, a->ndim) : NULL;
    em_array_release(f);
    em_array_release(r);
    return out;
}

EM_PUBLIC_OP(em_scatter_add_axis, (const em_array *a, const em_array *indices, const em_array *values,
                                   int axis), (a, indices, values, axis)) {
    EM_CHECK_ARG("scatter_add_axis", a);
    EM_CHECK_ARG("scatter_add_axis", indices);
    EM_CHECK_ARG("scatter_add_axis", values);
    return put_axis("scatter_add_axis", EM_SCATTER_SUM, a, indices, values, axis);
}

/* ---------------------------------------------------------------- scatter */

static em_array *scatter(const char *op, em_scatter_op sop, const em_array *a,
                         const em_array *const *indices, size_t n, const em_array *updates,
                         const int *axes) {
    EM_CHECK_ARG(op, a);
    EM_CHECK_ARG(op, updates);
    if (n && !indices) return error_set(EM_ERR_NULL, "[%s] The index list is NULL.", op);
    for (size_t k = 0; k < n; k++) EM_CHECK_ARG(op, indices[k]);
    int nd = a->ndim;
    if (n > (size_t)nd)
        return error_set(EM_ERR_VALUE,
                         "[%s] Too many index arrays. Got %zu index arrays for input with %d dimensions.",
                         op, n, nd);
    int ax[EM_MAX_NDIM];
    if (!index_axes(op, axes, n, nd, ax)) return NULL;
    em_array *bc[EM_MAX_NDIM];
    int64_t shape[EM_MAX_NDIM];
    int nb = broadcast_indices(op, indices, n, bc, shape);
    if (nb < 0) return NULL;
    em_array *r = NULL;
    char s1[1024], s2[1024];
    bool indexed[EM_MAX_NDIM] = {false};
    for (size_t k = 0; k < n; k++) indexed[ax[k]] = true;
    if (updates->ndim != nb + nd) {
        error_set(EM_ERR_VALUE,
                  "[%s] Updates with %d dimensions does not match the sum of the array (%d) and "
                  "indices (%d) dimensions.", op, updates->ndim, nd, nb);
        goto done;
    }
    for (int d = 0; d < nb; d++)
        if (updates->shape[d] != shape[d]) {
            error_set(EM_ERR_VALUE, "[%s] Updates of shape %s do not start with the indices' shape %s.",
                      op, shape_str(updates->shape, updates->ndim, s1, sizeof s1),
                      shape_str(shape, nb, s2, sizeof s2));
            goto done;
        }
    for (int d = 0; d < nd; d++)
        if (!window_fits(updates->shape[nb + d], a->shape[d], indexed[d])) {
            error_set(EM_ERR_VALUE, "[%s] Updates of shape %s are too large for array of shape %s.", op,
                      shape_str(updates->shape, updates->ndim, s1, sizeof s1),
                      shape_str(a->shape, nd, s2, sizeof s2));
            goto done;
        }
    em_array *u = ops_cast(updates, a->dtype);
    if (u) {
        union {
            em_scatter_params p;
            int32_t storage[2 + EM_MAX_NDIM];
        } pu;
        memset(&pu, 0, sizeof pu);
        pu.p.op = sop;
        pu.p.nidx = (int32_t)n;
        for (size_t k = 0; k < n; k++) pu.p.axes[k] = ax[k];
        em_array *in[2 + EM_MAX_NDIM];
        in[0] = (em_array *)a;
        memcpy(in + 1, bc, n * sizeof *bc);
        in[n + 1] = u;
        r = node_make(EM_PRIM_SCATTER, &pu.p, PARAMS_SIZE(em_scatter_params, axes, n), in, (int)n + 2,
                      a->dtype, a->shape, nd);
        em_array_release(u);
    }
done:
    release_all(bc, n);
    return r;
}

#define SCATTER_OP(fn, SOP)                                                    \
    EM_PUBLIC_OP(em_##fn, (const em_array *a, const em_array *const *indices, size_t n, \
                           const em_array *updates, const int *axes),          \
                 (a, indices, n, updates, axes)) {                             \
        return scatter(#fn, SOP, a, indices, n, updates, axes);                \
    }
SCATTER_OP(scatter, EM_SCATTER_NONE)
SCATTER_OP(scatter_add, EM_SCATTER_SUM)
SCATTER_OP(scatter_prod, EM_SCATTER_PROD)
SCATTER_OP(scatter_max, EM_SCATTER_MAX)
SCATTER_OP(scatter_min, EM_SCATTER_MIN)
#undef SCATTER_OP

/* ---------------------------------------------------------------- slice update */

/* Python's slice.indices for one axis of length n (step != 0): the first
 * index and the count. The same rule as em_slice's (src/ops/view.c). */
static void slice_indices(int64_t n, int64_t start, int64_t stop, int64_t step, int64_t *first,
                          int64_t *count) {
    int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
    if (start < 0) start = start + n < lower ? lower : start + n;
    else if (start > upper) start = upper;
    if (stop < 0) stop = stop + n < lower ? lower : stop + n;
    else if (stop > upper) stop = upper;
    uint64_t c = 0;
    if (step > 0 && start < stop)
        c = ((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1;
    else if (step < 0 && stop < start)
        c = ((uint64_t)start - (uint64_t)stop - 1) / (0 - (uint64_t)step) + 1;
    *count = (int64_t)c;
    *first = c ? start : 0;
}

EM_PUBLIC_OP(em_slice_update, (const em_array *a, const em_array *update, const int64_t *start,
                               const int64_t *stop, const int64_t *step, int ndim),
             (a, update, start, stop, step, ndim)) {
    EM_CHECK_ARG("slice_update", a);
    EM_CHECK_ARG("slice_update", update);
    if (ndim != a->ndim)
        return error_set(EM_ERR_VALUE,
                         "[slice_update] Invalid number of indices or strides for array with dimension %d.",
                         a->ndim);
    if (ndim > 0 && (!start || !stop))
        return error_set(EM_ERR_NULL, "[slice_update] The start or stop pointer is NULL.");
    union {
        em_slice_params p;
        int64_t storage[1 + 2 * EM_MAX_NDIM];
    } u;
    memset(&u, 0, sizeof u);
    u.p.ndim = ndim;
    int64_t shape[EM_MAX_NDIM];
    for (int d = 0; d < ndim; d++) {
        int64_t st = step ? step[d] : 1, first;
        if (st == 0) return error_set(EM_ERR_VALUE, "[slice_update] Slice step cannot be zero.");
        slice_indices(a->shape[d], start[d], stop[d], st, &first, &shape[d]);
        u.p.start_step[2 * d] = first;
        u.p.start_step[2 * d + 1] = shape[d] < 2 ? 1 : st;
    }
    em_array *v = ops_cast(update, a->dtype);
    em_array *upd = ops_broadcast(v, shape, ndim);
    em_array_release(v);
    if (!upd) return NULL;
    em_array *r;
    if (upd->size == 0) {
        r = em_array_retain((em_array *)a);
    } else {
        em_array *in[2] = {(em_array *)a, upd};
        r = node_make(EM_PRIM_SLICE_UPDATE, &u.p, PARAMS_SIZE(em_slice_params, start_step, 2 * ndim), in,
                      2, a->dtype, a->shape, ndim);
    }
    em_array_release(upd);
    return r;
}

/* ---------------------------------------------------------------- dynamic slices */

/* The checks MLX's dynamic slice and slice_update make, and the start
 * indices as naxes 0-d index arrays (new references in out). */
static bool dynamic_starts(const char *op, const em_array *a, const em_array *start, const int *axes,
                           int naxes, int *ax, em_array **out) {
    if (!is_index_dtype(start->dtype)) {
        error_set(EM_ERR_VALUE, "[%s] Start indices must be integers, got type %s.", op,
                  em_dtype_name(start->dtype));
        return false;
    }
    if (start->ndim > 1) {
        error_set(EM_ERR_VALUE,
                  "[%s] array of starting indices must be zero or one dimensional but has dimension %d.",
                  op, start->ndim);
        return false;
    }
    if (naxes < 0 || start->size != naxes) {
        error_set(EM_ERR_VALUE, "[%s] Number of starting indices %lld does not match number of axes %d.",
                  op, (long long)start->size, naxes);
        return false;
    }
    if (naxes && !axes) {
        error_set(EM_ERR_NULL, "[%s] The axes pointer is NULL.", op);
        return false;
    }
    for (int k = 0; k < naxes; k++)
        if (axes[k] < -a->ndim || axes[k] >= a->ndim) {
            error_set(EM_ERR_INDEX, "[%s] Invalid axis %d for array with dimension %d.", op, axes[k],
                      a->ndim);
            return false;
        }
    if (!index_axes(op, axes, (size_t)naxes, a->ndim, ax)) return false;
    em_array *f = flat(start);
    for (int k = 0; k < naxes; k++) {
        int64_t lo = k, hi = k + 1;
        em_array *e = f ? em_slice(f, &lo, &hi, NULL, 1) : NULL;
        out[k] = e ? ops_reshape(e, NULL, 0) : NULL;
        em_array_release(e);
        if (!out[k]) {
            release_all(out, (size_t)k);
            em_array_release(f);
            return false;
        }
    }
    em_array_release(f);
    return true;
}

EM_PUBLIC_OP(em_slice_dynamic, (const em_array *a, const em_array *start_indices, const int *axes,
                                int naxes, const int64_t *slice_size),
             (a, start_indices, axes, naxes, slice_size)) {
    EM_CHECK_ARG("slice", a);
    EM_CHECK_ARG("slice", start_indices);
    int nd = a->ndim, ax[EM_MAX_NDIM];
    if (nd && !slice_size) return error_set(EM_ERR_NULL, "[slice] The slice_size pointer is NULL.");
    for (int d = 0; d < nd; d++)
        if (slice_size[d] < 0 || slice_size[d] > a->shape[d]) {
            char s1[1024], s2[1024];
            return error_set(EM_ERR_VALUE, "[slice] Invalid slice size %s for array with shape %s.",
                             shape_str(slice_size, nd, s1, sizeof s1), shape_str(a->shape, nd, s2, sizeof s2));
        }
    em_array *idx[EM_MAX_NDIM];
    if (!dynamic_starts("slice", a, start_indices, axes, naxes, ax, idx)) return NULL;
    em_array *r = em_gather(a, (const em_array *const *)idx, (size_t)naxes, ax, slice_size, nd);
    release_all(idx, (size_t)naxes);
    return r;
}

EM_PUBLIC_OP(em_slice_update_dynamic, (const em_array *a, const em_array *update,
                                       const em_array *start_indices, const int *axes, int naxes),
             (a, update, start_indices, axes, naxes)) {
    EM_CHECK_ARG("slice_update", a);
    EM_CHECK_ARG("slice_update", update);
    EM_CHECK_ARG("slice_update", start_indices);
    int nd = a->ndim, ax[EM_MAX_NDIM];
    /* the update as a window of a.ndim dims: leading 1s added or dropped */
    int64_t w[EM_MAX_NDIM];
    int un = update->ndim, lead = 0;
    while (un - lead > nd && update->shape[lead] == 1) lead++;
    bool fits = un - lead <= nd;
    for (int d = 0; d < nd && fits; d++) {
        int j = d - (nd - (un - lead));
        w[d] = j < 0 ? 1 : update->shape[lead + j];
        fits = w[d] <= a->shape[d];
    }
    if (!fits) {
        char s1[1024], s2[1024];
        return error_set(EM_ERR_VALUE, "[slice_update] Update of shape %s does not fit array of shape %s.",
                         shape_str(update->shape, un, s1, sizeof s1), shape_str(a->shape, nd, s2, sizeof s2));
    }
    em_array *idx[EM_MAX_NDIM];
    if (!dynamic_starts("slice_update", a, start_indices, axes, naxes, ax, idx)) return NULL;
    em_array *u = ops_reshape(update, w, nd);
    em_array *r = u ? em_scatter(a, (const em_array *const *)idx, (size_t)naxes, u, ax) : NULL;
    em_array_release(u);
    release_all(idx, (size_t)naxes);
    return r;
}

/* ---------------------------------------------------------------- masked scatter */

EM_PUBLIC_OP(em_masked_scatter, (const em_array *a, const em_array *mask, const em_array *src),
             (a, mask, src)) {
    EM_CHECK_ARG("masked_scatter", a);
    EM_CHECK_ARG("masked_scatter", mask);
    EM_CHECK_ARG("masked_scatter", src);
    char s1[1024], s2[1024];
    if (mask->dtype != EM_BOOL)
        return error_set(EM_ERR_VALUE, "[masked_scatter] The mask must be a boolean array, got %s.",
                         em_dtype_name(mask->dtype));
    int m = mask->ndim, nd = a->ndim;
    if (m > nd || memcmp(mask->shape, a->shape, (size_t)m * sizeof(int64_t)) != 0)
        return error_set(EM_ERR_VALUE,
                         "[masked_scatter] The boolean mask should have the same shape as the beginning "
                         "of the indexed array but the mask has shape %s and the array has shape %s",
                         shape_str(mask->shape, m, s1, sizeof s1), shape_str(a->shape, nd, s2, sizeof s2));
    /* src as (K, block): NumPy's broadcast to (1 or K, block), else MLX's
     * flat read of a multiple of the block's size */
    const int64_t *block = a->shape + m;
    int t = nd - m;
    int64_t bsize = shape_numel(block, t), target[EM_MAX_NDIM + 1];
    memcpy(target + 1, block, (size_t)t * sizeof *target);
    em_array *shaped = NULL;
    if (src->ndim <= t && broadcastable(src->shape, src->ndim, block, t)) {
        target[0] = 1;
        shaped = em_array_retain((em_array *)src);
    } else if (src->ndim == t + 1 && broadcastable(src->shape + 1, t, block, t)) {
        target[0] = src->shape[0];
        shaped = em_array_retain((em_array *)src);
    } else if (bsize > 0 && src->size % bsize == 0) {
        target[0] = src->size / bsize;
        shaped = ops_reshape(src, target, t + 1);
    } else {
        return error_set(EM_ERR_VALUE,
                         "[masked_scatter] Cannot assign values of shape %s to the entries of shape %s "
                         "that the mask selects.", shape_str(src->shape, src->ndim, s1, sizeof s1),
                         shape_str(block, t, s2, sizeof s2));
    }
    if (t + 1 > EM_MAX_NDIM) {
        em_array_release(shaped);
        return error_set(EM_ERR_VALUE, "[masked_scatter] Arrays may have at most %d dimensions.",
                         EM_MAX_NDIM);
    }
    em_array *c = ops_cast(shaped, a->dtype);
    em_array *s = ops_broadcast(c, target, t + 1);
    em_array_release(shaped);
    em_array_release(c);
    if (!s) return NULL;
    em_array *in[3] = {(em_array *)a, (em_array *)mask, s};
    em_array *r = node_make(EM_PRIM_MASKED_SCATTER, NULL, 0, in, 3, a->dtype, a->shape, nd);
    em_array_release(s);
    return r;
}

/* ---------------------------------------------------------------- autodiff */

/* Gathers and scatters are linear in their data; their indices (and masks)
 * have no derivative, and differentiating with respect to them is MLX's
 * error. Rules follow MLX's: the cotangent of a gather is scattered back
 * (added), the updates of a scatter get the cotangent gathered at their
 * positions, max/min scatters pass it where the result equals the input. */

static em_status wrt_indices(const char *op, const char *what) {
    return error_status(EM_ERR_VALUE,
                        "[%s] Cannot calculate VJP with respect to %s. Use stop_gradient on %s to stop "
                        "gradients from being computed.", op, what, what);
}

/* The node's primitive and parameters applied to new inputs (the tangent of
 * a linear node), with output dtype dt. */
static em_array *same_node(const em_node *n, em_array *const *in, em_dtype dt, const em_array *out) {
    for (int i = 0; i < n->n_in; i++) EM_CHECK_ARG(em_primitives[n->prim].name, in[i]);
    return node_make(n->prim, n->params, n->params_size, in, n->n_in, dt, out->shape, out->ndim);
}

static int gather_axes(const em_gather_params *p, int *axes) {
    for (int k = 0; k < p->nidx; k++) axes[k] = (int)p->axes_sizes[k];
    return p->nidx;
}

/* For each element of a scatter's updates (shape B + W, or the index shape
 * for an axis scatter: the nb leading dims number the writes), whether its
 * write is the one that stays where several land on one place: the last in
 * row-major order (NumPy's and em_scatter's rule), among the `candidates`
 * only when given. Computed by scattering the writes' numbers with a max. */
static em_array *kept_writes(const em_node *n, em_array *const *in, const em_array *upd, int nb,
                             const em_array *candidates, rule_tmp *t) {
    int64_t count = shape_numel(upd->shape, nb), ids_shape[EM_MAX_NDIM];
    for (int d = 0; d < upd->ndim; d++) ids_shape[d] = d < nb ? upd->shape[d] : 1;
    em_array *ids = tk(t, ops_reshape(tk(t, em_arange(0, (double)count, 1, EM_INT32)), ids_shape, upd->ndim));
    ids = tk(t, ops_broadcast(ids, upd->shape, upd->ndim));
    em_array *none = tk(t, em_full_double(in[0]->shape, in[0]->ndim, -1, EM_INT32));
    em_array *vals = candidates ? tk(t, em_where(candidates, ids, tk(t, ops_scalar(-1, EM_INT32)))) : ids;
    em_array *winner, *seen;
    if (n->prim == EM_PRIM_SCATTER_AXIS) {
        /* only put_along_axis asks: its own last-write rule gives the winner */
        int ax = NODE_PARAMS(n, em_index_axis_params)->axis;
        em_array *args[3] = {none, in[1], vals};
        winner = tk(t, same_node(n, args, EM_INT32, none));
        seen = tk(t, em_take_along_axis(winner, in[1], ax, true));
    } else {
        const em_scatter_params *p = NODE_PARAMS(n, em_scatter_params);
        int axes[EM_MAX_NDIM];
        for (int i = 0; i < p->nidx; i++) axes[i] = p->axes[i];
        const em_array *const *idx = (const em_array *const *)in + 1;
        winner = tk(t, em_scatter_max(none, idx, (size_t)p->nidx, vals, axes));
        seen = tk(t, em_gather(winner, idx, (size_t)p->nidx, axes, upd->shape + nb, upd->ndim - nb));
    }
    return tk(t, em_equal(seen, ids));
}

/* scatter_max/min: where the input was kept (eq_a, a's shape) and which
 * update was (the last of those reaching the result where a was not). */
static em_array *kept_extremum(const em_node *n, em_array *const *in, const em_array *out,
                               em_array **eq_a, rule_tmp *t) {
    const em_scatter_params *p = NODE_PARAMS(n, em_scatter_params);
    int k = p->nidx, axes[EM_MAX_NDIM];
    for (int i = 0; i < k; i++) axes[i] = p->axes[i];
    const em_array *a = in[0], *u = in[k + 1];
    const em_array *const *idx = (const em_array *const *)in + 1;
    int nb = u->ndim - a->ndim;
    *eq_a = tk(t, em_equal(out, a));
    em_array *reach = tk(t, em_equal(tk(t, em_gather(out, idx, (size_t)k, axes, u->shape + nb, a->ndim)), u));
    em_array *a_kept = tk(t, em_gather(*eq_a, idx, (size_t)k, axes, u->shape + nb, a->ndim));
    em_array *cand = tk(t, em_logical_and(reach, tk(t, em_logical_not(a_kept))));
    return tk(t, em_logical_and(cand, kept_writes(n, in, u, nb, cand, t)));
}

/* cot's windows at the scatter's positions: updates' shape. */
static em_array *gather_windows(const em_array *c, em_array *const *idx, int n, const int *axes,
                                const em_array *upd) {
    int nd = c->ndim;
    return em_gather(c, (const em_array *const *)idx, (size_t)n, axes, upd->shape + (upd->ndim - nd), nd);
}

/* The cotangent of MASKED_SCATTER's src (K, block): the cotangent's blocks at
 * the true entries, the k-th to row k (summed when K is 1). The rank of each
 * true entry is an inclusive prefix sum of the mask (log-step scan). */
static em_array *unmask(const em_array *c, const em_array *mask, const em_array *src, rule_tmp *t) {
    int m = mask->ndim, tb = c->ndim - m;
    int64_t nflat = mask->size, shape[EM_MAX_NDIM + 1];
    shape[0] = nflat;
    memcpy(shape + 1, c->shape + m, (size_t)tb * sizeof *shape);
    em_array *cf = tk(t, ops_reshape(c, shape, tb + 1));
    em_array *mf = tk(t, ops_reshape(mask, &nflat, 1));
    int64_t mb[EM_MAX_NDIM + 1];
    mb[0] = nflat;
    for (int i = 0; i < tb; i++) mb[i + 1] = 1;
    em_array *mfb = tk(t, ops_reshape(mf, mb, tb + 1));
    em_array *kept = tk(t, em_where(mfb, cf, sc(t, 0, c)));
    if (src->shape[0] == 1) {
        int zero = 0;
        return em_sum(kept, &zero, 1, true);
    }
    em_array *rank = tk(t, ops_cast(mf, EM_INT32));
    for (int64_t s = 1; s < nflat; s *= 2) {
        int64_t pw[2] = {s, 0};
        em_array *shifted = tk(t, em_pad(tk(t, rules_slice_axis(rank, 0, 0, nflat - s)), pw, 1, EM_PAD_CONSTANT, NULL));
        rank = tk(t, em_add(rank, shifted));
    }
    em_array *one = tk(t, ops_scalar(1, EM_INT32)), *zero = tk(t, ops_scalar(0, EM_INT32));
    em_array *pos = tk(t, em_where(mf, tk(t, em_subtract(rank, one)), zero));
    int64_t ushape[EM_MAX_NDIM + 2];
    ushape[0] = nflat;
    ushape[1] = 1;
    memcpy(ushape + 2, c->shape + m, (size_t)tb * sizeof *ushape);
    em_array *upd = tk(t, ops_reshape(kept, ushape, tb + 2));
    int axis0 = 0;
    return em_scatter_add(tk(t, em_zeros_like(src)), (const em_array *const *)&pos, 1, upd, &axis0);
}

em_status ops_index_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, const bool *want, em_array **grads) {
    const em_array *a = in[0], *c = cot[0];
    rule_tmp t = {0};
    em_status st = EM_OK;
    int axes[EM_MAX_NDIM];
    switch (n->prim) {
    case EM_PRIM_GATHER: {
        int k = gather_axes(NODE_PARAMS(n, em_gather_params), axes);
        for (int i = 1; i <= k; i++)
            if (want[i]) return wrt_indices("gather", "indices");
        if (want[0])
            grads[0] = em_scatter_add(tk(&t, em_zeros_like(a)), (const em_array *const *)in + 1, (size_t)k, c, axes);
        st = want[0] ? rule_status(grads[0]) : EM_OK;
        break;
    }
    case EM_PRIM_GATHER_AXIS: {
        if (want[1]) return wrt_indices("gather_axis", "indices");
        int ax = NODE_PARAMS(n, em_index_axis_params)->axis;
        if (want[0]) st = rule_status(grads[0] = em_scatter_add_axis(tk(&t, em_zeros_like(a)), in[1], c, ax));
        break;
    }
    case EM_PRIM_SCATTER: {
        const em_scatter_params *p = NODE_PARAMS(n, em_scatter_params);
        int k = p->nidx;
        const em_array *u = in[k + 1];
        for (int i = 0; i < k; i++) axes[i] = p->axes[i];
        for (int i = 1; i <= k; i++)
            if (want[i]) return wrt_indices("scatter", "indices");
        if (p->op == EM_SCATTER_PROD)
            return error_status(EM_ERR_RUNTIME, "[scatter] VJP not implemented for scatter_prod");
        em_array *const *idx = in + 1;
        if (want[0]) {
            if (p->op == EM_SCATTER_SUM) grads[0] = em_array_retain((em_array *)c);
            else if (p->op == EM_SCATTER_NONE)
                grads[0] = em_scatter(c, (const em_array *const *)idx, (size_t)k, tk(&t, em_zeros_like(u)), axes);
            else
                grads[0] = em_multiply(c, tk(&t, em_equal(out[0], a)));
            st = rule_status(grads[0]);
        }
        if (want[k + 1] && st == EM_OK) {
            em_array *g = tk(&t, gather_windows(c, idx, k, axes, u)), *eq_a;
            if (p->op == EM_SCATTER_MAX || p->op == EM_SCATTER_MIN)
                g = tk(&t, em_multiply(g, kept_extremum(n, in, out[0], &eq_a, &t)));
            else if (p->op == EM_SCATTER_NONE)
                g = tk(&t, em_multiply(g, kept_writes(n, in, u, u->ndim - a->ndim, NULL, &t)));
            st = rule_status(grads[k + 1] = em_array_retain(g));
        }
        break;
    }
    case EM_PRIM_SCATTER_AXIS: {
        const em_index_axis_params *p = NODE_PARAMS(n, em_index_axis_params);
        if (want[1]) return wrt_indices("scatter_axis", "indices");
        if (want[0]) {
            grads[0] = p->op == EM_SCATTER_SUM
                           ? em_array_retain((em_array *)c)
                           : em_put_along_axis(c, in[1], tk(&t, em_zeros_like(in[2])), p->axis, true);
            st = rule_status(grads[0]);
        }
        if (want[2] && st == EM_OK) {
            em_array *g = tk(&t, em_take_along_axis(c, in[1], p->axis, true));
            if (p->op == EM_SCATTER_NONE) g = tk(&t, em_multiply(g, kept_writes(n, in, in[2], in[2]->ndim, NULL, &t)));
            st = rule_status(grads[2] = em_array_retain(g));
        }
        break;
    }
    case EM_PRIM_SLICE_UPDATE: {
        if (want[0]) {
            em_array *args[2] = {(em_array *)c, tk(&t, em_zeros_like(in[1]))};
            st = rule_status(grads[0] = same_node(n, args, c->dtype, a));
        }
        if (want[1] && st == EM_OK) {
            em_array *src = (em_array *)c;
            grads[1] = node_make(EM_PRIM_SLICE, n->params, n->params_size, &src, 1, c->dtype, in[1]->shape,
                                 in[1]->ndim);
            st = rule_status(grads[1]);
        }
        break;
    }
    case EM_PRIM_MASKED_SCATTER: {
        if (want[1]) return wrt_indices("masked_scatter", "mask");
        const em_array *mask = in[1];
        if (want[0]) {
            int64_t mb[EM_MAX_NDIM];
            memcpy(mb, mask->shape, (size_t)mask->ndim * sizeof *mb);
            for (int i = mask->ndim; i < a->ndim; i++) mb[i] = 1;
            em_array *m = tk(&t, ops_reshape(mask, mb, a->ndim));
            st = rule_status(grads[0] = em_where(m, sc(&t, 0, c), c));
        }
        if (want[2] && st == EM_OK) st = rule_status(grads[2] = unmask(c, mask, in[2], &t));
        break;
    }
    default: st = ops_no_vjp(n); break;
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_index_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    /* the data inputs (tangents of the others must be zero) */
    int data[2] = {0, -1}, nidx = 0;
    switch (n->prim) {
    case EM_PRIM_GATHER: nidx = NODE_PARAMS(n, em_gather_params)->nidx; break;
    case EM_PRIM_GATHER_AXIS: nidx = 1; break;
    case EM_PRIM_SCATTER:
        if (NODE_PARAMS(n, em_scatter_params)->op == EM_SCATTER_PROD)
            return error_status(EM_ERR_RUNTIME, "[scatter] JVP not yet implemented");
        nidx = NODE_PARAMS(n, em_scatter_params)->nidx;
        data[1] = nidx + 1;
        break;
    case EM_PRIM_SCATTER_AXIS: nidx = 1; data[1] = 2; break;
    case EM_PRIM_SLICE_UPDATE: data[1] = 1; break;
    case EM_PRIM_MASKED_SCATTER: data[1] = 2; break; /* the mask's tangent is zero */
    default: return ops_no_jvp(n);
    }
    const char *name = n->prim == EM_PRIM_GATHER || n->prim == EM_PRIM_GATHER_AXIS ? "gather" : "scatter";
    for (int i = 1; i <= nidx && n->prim != EM_PRIM_MASKED_SCATTER; i++)
        if (tan[i]) return error_status(EM_ERR_VALUE, "[%s] Cannot calculate JVP with respect to indices.", name);
    const em_array *t0 = tan[0], *t1 = data[1] >= 0 ? tan[data[1]] : NULL;
    if (!t0 && !t1) return EM_OK;
    rule_tmp t = {0};
    em_dtype dt = t0 ? t0->dtype : t1->dtype;
    if (t0 && t1) dt = em_result_type(t0->dtype, t1->dtype);
    em_array *args[2 + EM_MAX_NDIM];
    for (int i = 0; i < n->n_in; i++) {
        bool is_data = i == data[0] || i == data[1];
        args[i] = is_data ? tk(&t, ops_cast(tk(&t, rules_or_zeros(tan[i], in[i])), dt)) : in[i];
    }
    if (n->prim == EM_PRIM_SCATTER && NODE_PARAMS(n, em_scatter_params)->op > EM_SCATTER_SUM) {
        /* max/min: the tangent of whichever value was kept (the vjp's masks) */
        const em_scatter_params *p = NODE_PARAMS(n, em_scatter_params);
        int axes[EM_MAX_NDIM];
        for (int i = 0; i < p->nidx; i++) axes[i] = p->axes[i];
        em_array *eq_a, *won = kept_extremum(n, in, out[0], &eq_a, &t);
        em_array *kept_a = tk(&t, em_multiply(args[0], tk(&t, ops_cast(eq_a, dt))));
        em_array *tu = tk(&t, em_multiply(args[nidx + 1], tk(&t, ops_cast(won, dt))));
        out_tan[0] = em_scatter_add(kept_a, (const em_array *const *)in + 1, (size_t)nidx, tu, axes);
    } else {
        out_tan[0] = same_node(n, args, dt, out[0]);
    }
    rule_tmp_free(&t);
    return rule_status(out_tan[0]);
}

/* The vmap rules are in index_vmap.c. */
