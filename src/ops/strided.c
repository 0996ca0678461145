/* strided.c -- ops that show an array's memory another way: view (the bytes
 * as another dtype), as_strided (explicit shape, strides and offset),
 * contiguous, and depends (arrays that wait for others). Their primitives are
 * views (EM_PF_VIEW): the CPU kernels in src/backend/cpu/strided.c point the
 * outputs at the inputs' buffers, copying only for a view or contiguous whose
 * input layout leaves no other way.
 *
 * Rules: as_strided's vjp scatters the cotangent back to the positions it
 * read (summing repeats), its jvp strides the tangent alike; contiguous and
 * depends pass cotangents and tangents through. view has no vjp or jvp (nor
 * has MLX: bits reinterpreted are not differentiable). All four batch. */
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "../transforms/vmap.h"

/* ---------------------------------------------------------------- view */

EM_PUBLIC_OP(em_view, (const em_array *a, em_dtype dtype), (a, dtype)) {
    EM_CHECK_ARG("view", a);
    if (!em_dtype_is_valid((int)dtype))
        return error_set(EM_ERR_TYPE, "[view] Invalid dtype %d.", (int)dtype);
    size_t isz = em_dtype_size(a->dtype), osz = em_dtype_size(dtype);
    int64_t shape[EM_MAX_NDIM];
    if (a->ndim) memcpy(shape, a->shape, (size_t)a->ndim * sizeof *shape);
    if (isz != osz) {
        if (a->ndim == 0)
            return error_set(EM_ERR_VALUE, "[view] Changing the type of a scalar is only allowed"
                                           " for types with the same size.");
        int64_t *last = &shape[a->ndim - 1];
        if (osz > isz) {
            if ((*last * (int64_t)isz) % (int64_t)osz != 0)
                return error_set(EM_ERR_VALUE,
                                 "[view] When viewing as a larger dtype, the size in bytes of the"
                                 " last axis must be a multiple of the requested type size.");
            *last = *last * (int64_t)isz / (int64_t)osz;
        } else {
            *last *= (int64_t)(isz / osz);
        }
    }
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_VIEW_DTYPE, NULL, 0, &in, 1, dtype, shape, a->ndim);
}

/* ---------------------------------------------------------------- contiguous */

EM_PUBLIC_OP(em_contiguous, (const em_array *a, bool allow_col_major), (a, allow_col_major)) {
    EM_CHECK_ARG("contiguous", a);
    em_contiguous_params p = {.allow_col_major = allow_col_major};
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_CONTIGUOUS, &p, sizeof p, &in, 1, a->dtype, a->shape, a->ndim);
}

/* ---------------------------------------------------------------- as_strided */

typedef union {
    em_as_strided_params p;
    unsigned char bytes[PARAMS_SIZE(em_as_strided_params, strides, EM_MAX_NDIM)];
} as_strided_buf;

/* The AS_STRIDED node over c (row contiguous), params ready. */
static em_array *as_strided_node(const em_array *c, const em_as_strided_params *p,
                                 const int64_t *shape) {
    em_array *in = (em_array *)c;
    return node_make(EM_PRIM_AS_STRIDED, p, PARAMS_SIZE(em_as_strided_params, strides, p->ndim),
                     &in, 1, c->dtype, shape, p->ndim);
}

EM_PUBLIC_OP(em_as_strided, (const em_array *a, const int64_t *shape, const int64_t *strides,
                             int ndim, int64_t offset),
             (a, shape, strides, ndim, offset)) {
    EM_CHECK_ARG("as_strided", a);
    if (!ops_check_shape("as_strided", shape, ndim, a->dtype)) return NULL;
    as_strided_buf u;
    memset(&u, 0, sizeof u);
    u.p.ndim = ndim;
    u.p.offset = offset;
    int64_t row = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        u.p.strides[i] = strides ? strides[i] : row;
        row *= shape[i] ? shape[i] : 1;
    }
    /* Every element the view reaches must be one of a's (MLX reads whatever
     * memory lies there): lowest and highest flat index, without overflow. */
    int64_t size = shape_numel(shape, ndim), lo = offset, hi = offset;
    bool bad = false;
    for (int i = 0; i < ndim && size > 0 && !bad; i++) {
        int64_t step;
        bad = __builtin_mul_overflow(shape[i] - 1, u.p.strides[i], &step) ||
              __builtin_add_overflow(step < 0 ? lo : hi, step, step < 0 ? &lo : &hi);
    }
    if (size > 0 && (bad || lo < 0 || hi >= a->size))
        return error_set(EM_ERR_VALUE,
                         "[as_strided] The strided view reaches outside the array of size %lld"
                         " (elements %lld to %lld).",
                         (long long)a->size, (long long)lo, (long long)hi);
    em_array *c = em_contiguous(a, false);
    em_array *r = c ? as_strided_node(c, &u.p, shape) : NULL;
    em_array_release(c);
    return r;
}

/* ---------------------------------------------------------------- depends */

EM_PUBLIC_MULTI(em_depends, (const em_array *const *inputs, size_t n, const em_array *const *deps,
                             size_t ndeps, em_array **out),
                (inputs, n, deps, ndeps, out), out, n) {
    if (n == 0) return EM_OK;
    if (!inputs || !out || (ndeps && !deps))
        return error_status(EM_ERR_NULL, "[depends] A pointer argument is NULL.");
    if (n > 1u << 20 || ndeps > 1u << 20)
        return error_status(EM_ERR_VALUE, "[depends] Too many arrays.");
    size_t total = n + ndeps;
    em_array *small[16], **in = total <= 16 ? small : malloc(total * sizeof *in);
    em_dtype dsmall[16], *dts = n <= 16 ? dsmall : malloc(n * sizeof *dts);
    const int64_t *ssmall[16], **shapes = n <= 16 ? ssmall : malloc(n * sizeof *shapes);
    int nsmall[16], *nds = n <= 16 ? nsmall : malloc(n * sizeof *nds);
    em_status st = EM_OK;
    if (!in || !dts || !shapes || !nds) {
        st = error_status(EM_ERR_MEMORY, "[depends] Out of memory.");
        goto done;
    }
    for (size_t i = 0; i < total; i++) {
        in[i] = (em_array *)(i < n ? inputs[i] : deps[i - n]);
        if (!in[i]) {
            error_null_arg("depends");
            st = em_error_code();
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        dts[i] = in[i]->dtype;
        shapes[i] = in[i]->shape;
        nds[i] = in[i]->ndim;
    }
    em_depends_params p = {.n_out = (int32_t)n};
    st = node_make_multi(EM_PRIM_DEPENDS, &p, sizeof p, in, (int)total, (int)n, dts, shapes, nds, out);
done:
    if (in != small) free(in);
    if (dts != dsmall) free(dts);
    if (shapes != ssmall) free(shapes);
    if (nds != nsmall) free(nds);
    return st;
}

/* ---------------------------------------------------------------- autodiff */

/* The flat positions (int64, of the view's shape) an AS_STRIDED node reads. */
static em_array *strided_positions(const em_as_strided_params *p, const int64_t *shape) {
    rule_tmp t = {0};
    em_array *idx = tk(&t, em_array_from_int(p->offset, EM_INT64));
    for (int i = 0; i < p->ndim && idx; i++) {
        int64_t bshape[EM_MAX_NDIM];
        for (int k = 0; k < p->ndim; k++) bshape[k] = k == i ? shape[i] : 1;
        em_array *r = tk(&t, em_arange(0, (double)shape[i], 1, EM_INT64));
        em_array *s = tk(&t, em_multiply(r, tk(&t, em_array_from_int(p->strides[i], EM_INT64))));
        idx = tk(&t, em_add(idx, tk(&t, ops_reshape(s, bshape, p->ndim))));
    }
    em_array *r = idx ? ops_broadcast(idx, shape, p->ndim) : NULL;
    rule_tmp_free(&t);
    return r;
}

em_status ops_strided_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    switch (n->prim) {
    case EM_PRIM_CONTIGUOUS:
        if (want[0] && cot[0]) grads[0] = em_array_retain(cot[0]);
        return EM_OK;
    case EM_PRIM_DEPENDS: {
        const em_depends_params *p = NODE_PARAMS(n, em_depends_params);
        for (int i = 0; i < p->n_out; i++)
            if (want[i] && cot[i]) grads[i] = em_array_retain(cot[i]);
        return EM_OK; /* the dependencies get nothing */
    }
    case EM_PRIM_AS_STRIDED: {
        if (!want[0]) return EM_OK;
        const em_as_strided_params *p = NODE_PARAMS(n, em_as_strided_params);
        const em_array *x = in[0], *c = cot[0];
        int64_t flat = x->size, cn = c->size;
        rule_tmp t = {0};
        em_array *pos = tk(&t, strided_positions(p, c->shape));
        em_array *g = tk(&t, em_scatter_add_axis(tk(&t, em_zeros(&flat, 1, c->dtype)),
                                                 tk(&t, ops_reshape(pos, &cn, 1)),
                                                 tk(&t, ops_reshape(c, &cn, 1)), 0));
        grads[0] = g ? ops_reshape(g, x->shape, x->ndim) : NULL;
        rule_tmp_free(&t);
        return rule_status(grads[0]);
    }
    default: return ops_no_vjp(n);
    }
}

em_status ops_strided_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *tan, em_array **out_tan) {
    (void)in;
    switch (n->prim) {
    case EM_PRIM_CONTIGUOUS:
        out_tan[0] = em_array_retain(tan[0]);
        return EM_OK;
    case EM_PRIM_DEPENDS: {
        const em_depends_params *p = NODE_PARAMS(n, em_depends_params);
        for (int i = 0; i < p->n_out; i++) out_tan[i] = em_array_retain(tan[i]);
        return EM_OK;
    }
    case EM_PRIM_AS_STRIDED: {
        if (!tan[0]) return EM_OK;
        const em_as_strided_params *p = NODE_PARAMS(n, em_as_strided_params);
        em_array *c = em_contiguous(tan[0], false);
        out_tan[0] = c ? as_strided_node(c, p, out[0]->shape) : NULL;
        em_array_release(c);
        return rule_status(out_tan[0]);
    }
    default: return ops_no_jvp(n);
    }
}

em_status ops_strided_vmap(const em_node *n, em_array *const *in, const int *axes,
                           em_array **out, int *out_axes) {
    switch (n->prim) {
    case EM_PRIM_CONTIGUOUS: {
        const em_contiguous_params *p = NODE_PARAMS(n, em_contiguous_params);
        out[0] = em_contiguous(in[0], p->allow_col_major);
        out_axes[0] = axes[0];
        return rule_status(out[0]);
    }
    case EM_PRIM_VIEW_DTYPE: {
        /* the batch axis must not be the last one when the last one rescales */
        const em_array *like = vmap_traced_out(n, 0);
        em_array *x = em_array_retain(in[0]);
        int b = axes[0];
        if (b == x->ndim - 1 && em_dtype_size(like->dtype) != em_dtype_size(x->dtype)) {
            em_array *m = em_moveaxis(x, b, 0);
            em_array_release(x);
            x = m;
            b = 0;
        }
        out[0] = x ? em_view(x, like->dtype) : NULL;
        out_axes[0] = b;
        em_array_release(x);
        return rule_status(out[0]);
    }
    case EM_PRIM_AS_STRIDED: {
        /* each element's block of the contiguous batch is one row: stride = its size */
        const em_as_strided_params *p = NODE_PARAMS(n, em_as_strided_params);
        const em_array *like = vmap_traced_out(n, 0);
        int b = axes[0];
        int64_t nb = in[0]->shape[b], per = nb ? in[0]->size / nb : 0;
        as_strided_buf u;
        memset(&u, 0, sizeof u);
        u.p.ndim = p->ndim + 1;
        u.p.offset = p->offset;
        u.p.strides[0] = per;
        memcpy(u.p.strides + 1, p->strides, (size_t)p->ndim * sizeof *p->strides);
        int64_t shape[EM_MAX_NDIM + 1];
        shape[0] = nb;
        memcpy(shape + 1, like->shape, (size_t)like->ndim * sizeof *shape);
        em_array *m = em_moveaxis(in[0], b, 0);
        em_array *c = m ? em_contiguous(m, false) : NULL;
        out[0] = c ? as_strided_node(c, &u.p, shape) : NULL;
        out_axes[0] = 0;
        em_array_release(m);
        em_array_release(c);
        return rule_status(out[0]);
    }
    case EM_PRIM_DEPENDS: {
        const em_depends_params *p = NODE_PARAMS(n, em_depends_params);
        size_t nd = (size_t)(n->n_in - p->n_out);
        em_status st = em_depends((const em_array *const *)in, (size_t)p->n_out,
                                  (const em_array *const *)in + p->n_out, nd, out);
        for (int i = 0; i < p->n_out; i++) out_axes[i] = axes[i];
        return st;
    }
    default: return ops_no_vmap(n);
    }
}
