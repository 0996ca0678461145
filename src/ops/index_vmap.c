/* index_vmap.c -- vmap rules of the gather/scatter family (the primitives
 * are documented in primitives.h, their builders in index.c).
 *
 * Every rule puts the batch at axis 0 of each operand (an unmapped operand
 * gets a broadcast batch axis) and rebuilds the op one rank up:
 *  - an op along one axis (GatherAxis, ScatterAxis, SliceUpdate) shifts its
 *    axis by one;
 *  - Gather/Scatter whose indices are all unmapped take the batch as one
 *    more window axis (the window spans the whole batch);
 *  - Gather/Scatter with a mapped index add an index over the batch axis,
 *    arange(S) shaped (S, 1, ..., 1), so element b of the batch reads or
 *    writes its own slice b of the operand;
 *  - MaskedScatter consumes its source in the order of the true entries,
 *    which a batch would interleave: it runs once per batch element and the
 *    results are stacked. */
#include <stdlib.h>
#include <string.h>

#include "../transforms/vmap.h"
#include "rules.h"

/* x (unbatched rank r, batch at `from` or unmapped) as (S, 1 x (nb - r), x's
 * own shape): batch first, then padded on the left to rank nb so that it
 * broadcasts against the other indices' common shape. */
static em_array *index_at_front(rule_tmp *t, const em_array *x, int from, int64_t size, int nb) {
    em_array *m = tk(t, vmap_move(x, from, 0, size));
    if (!m) return NULL;
    int r = m->ndim - 1;
    int64_t shape[EM_MAX_NDIM + 1];
    shape[0] = size;
    for (int i = 0; i < nb - r; i++) shape[1 + i] = 1;
    for (int i = 0; i < r; i++) shape[1 + nb - r + i] = m->shape[1 + i];
    return tk(t, ops_reshape(m, shape, 1 + nb));
}

/* arange(S) as (S, 1 x nb), in int32. */
static em_array *batch_iota(rule_tmp *t, int64_t size, int nb) {
    em_array *r = tk(t, em_arange(0, (double)size, 1, EM_INT32));
    int64_t shape[EM_MAX_NDIM + 1];
    shape[0] = size;
    for (int i = 0; i < nb; i++) shape[1 + i] = 1;
    return r ? tk(t, ops_reshape(r, shape, 1 + nb)) : NULL;
}

static bool any_mapped(const int *axes, int from, int to) {
    for (int i = from; i < to; i++)
        if (axes[i] >= 0) return true;
    return false;
}

/* The rank of the indices' common shape (inputs 1..nidx of n). */
static int index_rank(const em_node *n, int nidx) {
    int nb = 0;
    for (int k = 1; k <= nidx; k++) {
        const em_array *o = n->inputs[k];
        if (o->ndim > nb) nb = o->ndim;
    }
    return nb;
}

/* The index arrays of a gather/scatter under a mapped index: arange(S)
 * over the batch axis 0, then each of the node's nidx indices batched in
 * front, its axis (axes_of(k)) shifted past the batch. Writes 1 + nidx
 * arrays (temporaries of t) and axes; false on failure. */
static bool batch_indices(rule_tmp *t, em_array *const *in, const int *axes, int nidx, int nb,
                          int64_t size, const int32_t *index_axes, em_array **idx, int *ax) {
    idx[0] = batch_iota(t, size, nb);
    ax[0] = 0;
    if (!idx[0]) return false;
    for (int k = 0; k < nidx; k++) {
        idx[1 + k] = index_at_front(t, in[1 + k], axes[1 + k], size, nb);
        ax[1 + k] = index_axes[k] + 1;
        if (!idx[1 + k]) return false;
    }
    return true;
}

static em_status gather_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                             int *out_axes) {
    const em_gather_params *p = NODE_PARAMS(n, em_gather_params);
    int nidx = p->nidx, nd = p->ndim;
    int64_t size = vmap_size(in, axes, n->n_in);
    rule_tmp t = {.n = 0};
    em_array *a = tk(&t, vmap_move(in[0], axes[0], 0, size));
    int gax[EM_MAX_NDIM + 1];
    int64_t slice[EM_MAX_NDIM + 1];
    em_array *idx[EM_MAX_NDIM + 1];
    em_array *r = NULL;
    if (!any_mapped(axes, 1, 1 + nidx)) {
        /* the batch is one more window axis: out B + (S, W) */
        for (int k = 0; k < nidx; k++) idx[k] = in[1 + k], gax[k] = (int)p->axes_sizes[k] + 1;
        slice[0] = size;
        for (int i = 0; i < nd; i++) slice[1 + i] = p->axes_sizes[nidx + i];
        if (a) r = em_gather(a, (const em_array *const *)idx, (size_t)nidx, gax, slice, nd + 1);
        out_axes[0] = index_rank(n, nidx);
    } else {
        /* an index over the batch: out (S, B) + (1, W), the 1 dropped */
        int nb = index_rank(n, nidx);
        int32_t iax[EM_MAX_NDIM];
        for (int k = 0; k < nidx; k++) iax[k] = (int32_t)p->axes_sizes[k];
        bool ok = a && batch_indices(&t, in, axes, nidx, nb, size, iax, idx, gax);
        slice[0] = 1;
        for (int i = 0; i < nd; i++) slice[1 + i] = p->axes_sizes[nidx + i];
        em_array *g = ok ? tk(&t, em_gather(a, (const em_array *const *)idx, (size_t)nidx + 1, gax,
                                            slice, nd + 1))
                         : NULL;
        int drop = 1 + nb;
        if (g) r = em_squeeze(g, &drop, 1);
        out_axes[0] = 0;
    }
    rule_tmp_free(&t);
    out[0] = r;
    return rule_status(r);
}

static em_array *scatter_by_op(int op, const em_array *a, em_array *const *idx, size_t n,
                               const em_array *upd, const int *ax) {
    const em_array *const *ix = (const em_array *const *)idx;
    switch (op) {
    case EM_SCATTER_SUM: return em_scatter_add(a, ix, n, upd, ax);
    case EM_SCATTER_PROD: return em_scatter_prod(a, ix, n, upd, ax);
    case EM_SCATTER_MAX: return em_scatter_max(a, ix, n, upd, ax);
    case EM_SCATTER_MIN: return em_scatter_min(a, ix, n, upd, ax);
    default: return em_scatter(a, ix, n, upd, ax);
    }
}

static em_status scatter_vmap(const em_node *n, em_array *const *in, const int *axes,
                              em_array **out, int *out_axes) {
    const em_scatter_params *p = NODE_PARAMS(n, em_scatter_params);
    int nidx = p->nidx, u = nidx + 1;
    int64_t size = vmap_size(in, axes, n->n_in);
    int nb = index_rank(n, nidx);
    rule_tmp t = {.n = 0};
    em_array *a = tk(&t, vmap_move(in[0], axes[0], 0, size));
    int sax[EM_MAX_NDIM + 1];
    em_array *idx[EM_MAX_NDIM + 1];
    em_array *r = NULL;
    if (!any_mapped(axes, 1, 1 + nidx)) {
        /* updates B + W become B + (S, W): the batch is a window axis */
        em_array *upd = tk(&t, vmap_move(in[u], axes[u], nb, size));
        for (int k = 0; k < nidx; k++) idx[k] = in[1 + k], sax[k] = p->axes[k] + 1;
        if (a && upd) r = scatter_by_op(p->op, a, idx, (size_t)nidx, upd, sax);
    } else {
        /* updates (S, B) + (1, W) under an index over the batch */
        bool ok = a && batch_indices(&t, in, axes, nidx, nb, size, p->axes, idx, sax);
        em_array *m = ok ? tk(&t, vmap_move(in[u], axes[u], 0, size)) : NULL;
        int one = 1 + nb;
        em_array *upd = m ? tk(&t, em_expand_dims(m, &one, 1)) : NULL;
        if (upd) r = scatter_by_op(p->op, a, idx, (size_t)nidx + 1, upd, sax);
    }
    out_axes[0] = 0;
    rule_tmp_free(&t);
    out[0] = r;
    return rule_status(r);
}

/* GatherAxis / ScatterAxis: every operand batched at 0, the axis shifted. */
static em_status axis_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                           int *out_axes) {
    const em_index_axis_params *p = NODE_PARAMS(n, em_index_axis_params);
    int64_t size = vmap_size(in, axes, n->n_in);
    rule_tmp t = {.n = 0};
    em_array *x[3] = {NULL, NULL, NULL};
    bool ok = true;
    for (int i = 0; i < n->n_in && ok; i++) ok = (x[i] = tk(&t, vmap_move(in[i], axes[i], 0, size)));
    em_array *r = NULL;
    if (ok && n->prim == EM_PRIM_GATHER_AXIS)
        r = em_take_along_axis(x[0], x[1], p->axis + 1, true);
    else if (ok && p->op == EM_SCATTER_SUM)
        r = em_scatter_add_axis(x[0], x[1], x[2], p->axis + 1);
    else if (ok)
        r = em_put_along_axis(x[0], x[1], x[2], p->axis + 1, true);
    out_axes[0] = 0;
    rule_tmp_free(&t);
    out[0] = r;
    return rule_status(r);
}

/* SliceUpdate: the same slice one rank up, the whole batch axis taken. */
static em_status slice_update_vmap(const em_node *n, em_array *const *in, const int *axes,
                                   em_array **out, int *out_axes) {
    const em_slice_params *p = NODE_PARAMS(n, em_slice_params);
    int64_t size = vmap_size(in, axes, 2);
    rule_tmp t = {.n = 0};
    em_array *a = tk(&t, vmap_move(in[0], axes[0], 0, size));
    em_array *v = tk(&t, vmap_move(in[1], axes[1], 0, size));
    em_array *r = NULL;
    if (a && v) {
        union {
            em_slice_params p;
            int64_t storage[1 + 2 * (EM_MAX_NDIM + 1)];
        } w;
        memset(&w, 0, sizeof w);
        w.p.ndim = p->ndim + 1;
        w.p.start_step[0] = 0;
        w.p.start_step[1] = 1;
        memcpy(w.p.start_step + 2, p->start_step, 2 * (size_t)p->ndim * sizeof(int64_t));
        em_array *ins[2] = {a, v};
        r = node_make(EM_PRIM_SLICE_UPDATE, &w.p, PARAMS_SIZE(em_slice_params, start_step, 2 * w.p.ndim),
                      ins, 2, a->dtype, a->shape, a->ndim);
    }
    out_axes[0] = 0;
    rule_tmp_free(&t);
    out[0] = r;
    return rule_status(r);
}

/* The batch element b of x (batched at `ax`, or x itself when unmapped). */
static em_array *batch_element(const em_array *x, int ax, int64_t b) {
    if (ax < 0) return em_array_retain((em_array *)x);
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM];
    for (int i = 0; i < x->ndim; i++) start[i] = 0, stop[i] = x->shape[i];
    start[ax] = b, stop[ax] = b + 1;
    em_array *s = em_slice(x, start, stop, NULL, x->ndim);
    em_array *r = s ? em_squeeze(s, &ax, 1) : NULL;
    em_array_release(s);
    return r;
}

static em_status masked_scatter_vmap(const em_node *n, em_array *const *in, const int *axes,
                                     em_array **out, int *out_axes) {
    (void)n;
    int64_t size = vmap_size(in, axes, 3);
    em_array **res = calloc((size_t)(size > 0 ? size : 1), sizeof *res);
    if (!res) return error_status(EM_ERR_MEMORY, "[vmap] Out of memory.");
    bool ok = true;
    for (int64_t b = 0; b < size && ok; b++) {
        em_array *e[3] = {NULL, NULL, NULL};
        for (int i = 0; i < 3; i++) e[i] = batch_element(in[i], axes[i], b);
        res[b] = e[0] && e[1] && e[2] ? em_masked_scatter(e[0], e[1], e[2]) : NULL;
        ok = res[b] != NULL;
        for (int i = 0; i < 3; i++) em_array_release(e[i]);
    }
    em_array *r = NULL;
    if (ok && size > 0) {
        r = em_stack((const em_array *const *)res, (size_t)size, 0);
    } else if (ok) {
        /* an empty batch: a, with its batch axis, unchanged */
        r = vmap_move(in[0], axes[0], 0, 0);
    }
    for (int64_t b = 0; b < size; b++) em_array_release(res[b]);
    free(res);
    out_axes[0] = 0;
    out[0] = r;
    return rule_status(r);
}

em_status ops_index_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                         int *out_axes) {
    switch (n->prim) {
    case EM_PRIM_GATHER: return gather_vmap(n, in, axes, out, out_axes);
    case EM_PRIM_SCATTER: return scatter_vmap(n, in, axes, out, out_axes);
    case EM_PRIM_GATHER_AXIS:
    case EM_PRIM_SCATTER_AXIS: return axis_vmap(n, in, axes, out, out_axes);
    case EM_PRIM_SLICE_UPDATE: return slice_update_vmap(n, in, axes, out, out_axes);
    case EM_PRIM_MASKED_SCATTER: return masked_scatter_vmap(n, in, axes, out, out_axes);
    default: return ops_no_vmap(n);
    }
}
