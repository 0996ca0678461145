/* conv_rules.c -- the transform rules of CONV and CONV_WEIGHT_GRAD, written
 * with those primitives and views so that they compose (grad of grad, vmap
 * of grad).
 *
 * CONV vjp (S, K, O are spatial sizes, Sd = (S-1)*idil+1, per dim):
 *   input:  MLX's construction: a convolution of the cotangent, dilated by
 *           the stride, with the weight's in/out channels swapped (per group)
 *           and its flip toggled, padded (K-1)*kdil - lo before and
 *           Sd - 1 + lo - (O-1)*stride after, which gives the Sd positions of
 *           the dilated input; rows that are not input positions (idil > 1)
 *           are sliced away.
 *   weight: CONV_WEIGHT_GRAD(x, cotangent), a primitive of its own (the
 *           forward pass's packed windows times the cotangent, one gemm per
 *           tile: several times faster than MLX's convolution of x with the
 *           cotangent as kernel).
 * CONV_WEIGHT_GRAD is bilinear in (x, g): its vjp with cotangent c is the
 * input gradient above with c as the weight (for x) and CONV(x, c) (for g).
 * jvp: both primitives are linear in each input.
 * vmap: CONV with a mapped input alone folds the batch into N; with a mapped
 * weight alone (one group) into C_out; otherwise, and always for the weight
 * gradient, the batch becomes groups: x as (N, S, B*C_in), the other operand
 * (B*C_out) channels, groups B*G (an unmapped operand is broadcast). */
#include <stdint.h>

#include "../transforms/vmap.h"
#include "conv.h"

static const em_conv_params *conv_params(const em_node *n) {
    return (const em_conv_params *)(const void *)n->params;
}

static em_array *permute(const em_array *a, const int *perm, rule_tmp *t) {
    return tk(t, em_transpose(a, perm, a->ndim));
}

static int64_t dil_size(int64_t s, int32_t dil) { return s == 0 ? 0 : (s - 1) * dil + 1; }

static em_array *grad_input(const em_conv_params *p, const em_array *x, const em_array *w,
                            const em_array *g, rule_tmp *t) {
    int nd = p->nd, G = p->groups;
    int64_t ci = x->shape[nd + 1], co = w->shape[0];
    /* w (G*cog, K, cig) -> (G, cig, K, cog) -> (Ci, K, cog) */
    int64_t s[6];
    int perm[6];
    s[0] = G;
    s[1] = co / G;
    for (int d = 0; d < nd; d++) s[2 + d] = w->shape[1 + d];
    s[nd + 2] = ci / G;
    em_array *w5 = tk(t, ops_reshape(w, s, nd + 3));
    perm[0] = 0;
    perm[1] = nd + 2;
    for (int d = 0; d < nd; d++) perm[2 + d] = 2 + d;
    perm[nd + 2] = 1;
    em_array *wt = w5 ? permute(w5, perm, t) : NULL;
    s[0] = ci;
    for (int d = 0; d < nd; d++) s[1 + d] = w->shape[1 + d];
    s[nd + 1] = co / G;
    wt = wt ? tk(t, ops_reshape(wt, s, nd + 2)) : NULL;

    em_conv_params q;
    memset(&q, 0, sizeof q);
    q.nd = nd;
    q.groups = G;
    q.flip = !p->flip;
    bool sliced = false;
    for (int d = 0; d < nd; d++) {
        int64_t k = w->shape[1 + d], o = g->shape[1 + d];
        int64_t sd = dil_size(x->shape[1 + d], p->idil[d]);
        q.stride[d] = 1;
        q.kdil[d] = p->kdil[d];
        q.idil[d] = p->stride[d];
        q.lo[d] = (int32_t)((k - 1) * p->kdil[d] - p->lo[d]);
        q.hi[d] = (int32_t)(sd - 1 + p->lo[d] - (o - 1) * p->stride[d]);
        sliced |= p->idil[d] > 1;
    }
    em_array *dx = tk(t, conv_node(g, wt, &q));
    if (!dx || !sliced) return dx;
    int64_t start[5] = {0}, stop[5], step[5];
    for (int i = 0; i < dx->ndim; i++) {
        stop[i] = dx->shape[i];
        step[i] = i >= 1 && i <= nd ? p->idil[i - 1] : 1;
    }
    return tk(t, em_slice(dx, start, stop, step, dx->ndim));
}

/* a (mapped along `axis`, or -1 for unmapped) as (N, S.., B*C): the batch
 * next to the channels, an unmapped a broadcast there. */
static em_array *batch_to_channels(const em_array *a, int axis, int64_t B, int nd, rule_tmp *t) {
    int64_t s[6];
    em_array *x;
    if (axis >= 0) {
        x = tk(t, em_moveaxis(a, axis, nd + 1));
    } else {
        int ax = nd + 1;
        em_array *e = tk(t, em_expand_dims(a, &ax, 1));
        x = NULL;
        if (e) {
            for (int d = 0; d < e->ndim; d++) s[d] = e->shape[d];
            s[nd + 1] = B;
            x = tk(t, em_broadcast_to(e, s, e->ndim));
        }
    }
    if (!x) return NULL;
    for (int d = 0; d <= nd; d++) s[d] = x->shape[d];
    s[nd + 1] = B * x->shape[nd + 2];
    return tk(t, ops_reshape(x, s, nd + 2));
}

static const em_conv_wgrad_params *wgrad_params(const em_node *n) {
    return (const em_conv_wgrad_params *)(const void *)n->params;
}

static em_status wgrad_vjp(const em_node *n, em_array *const *in, em_array *const *cot,
                           const bool *want, em_array **grads) {
    const em_conv_params *p = &wgrad_params(n)->conv;
    const em_array *x = in[0], *g = in[1], *c = cot[0];
    bool empty = x->size == 0 || g->size == 0 || c->size == 0;
    rule_tmp t = {0};
    em_status st = EM_OK;
    for (int i = 0; i < 2 && st == EM_OK; i++) {
        if (!want[i]) continue;
        em_array *r = empty ? tk(&t, em_zeros_like(in[i]))
                      : i == 0 ? grad_input(p, x, c, g, &t)
                               : tk(&t, conv_node(x, c, p));
        st = rule_status(grads[i] = em_array_retain(r));
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_conv_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    if (n->prim == EM_PRIM_CONV_WEIGHT_GRAD) return wgrad_vjp(n, in, cot, want, grads);
    if (n->prim != EM_PRIM_CONV) return ops_no_vjp(n);
    const em_conv_params *p = conv_params(n);
    const em_array *x = in[0], *w = in[1], *g = cot[0];
    bool empty = x->size == 0 || w->size == 0 || g->size == 0;
    rule_tmp t = {0};
    em_status st = EM_OK;
    for (int i = 0; i < 2 && st == EM_OK; i++) {
        if (!want[i]) continue;
        em_array *r = empty ? tk(&t, em_zeros_like(in[i]))
                      : i == 0 ? grad_input(p, x, w, g, &t)
                               : tk(&t, conv_wgrad_node(x, g, p, w->shape + 1));
        st = rule_status(grads[i] = em_array_retain(r));
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_conv_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    (void)out;
    bool wg = n->prim == EM_PRIM_CONV_WEIGHT_GRAD;
    if (n->prim != EM_PRIM_CONV && !wg) return ops_no_jvp(n);
    const em_conv_params *p = conv_params(n);
    const int64_t *kernel = wg ? wgrad_params(n)->kernel : NULL;
    rule_tmp t = {0};
    em_array *r = NULL;
    if (tan[0])
        r = tk(&t, wg ? conv_wgrad_node(tan[0], in[1], p, kernel) : conv_node(tan[0], in[1], p));
    if (tan[1]) {
        em_array *s = tk(&t, wg ? conv_wgrad_node(in[0], tan[1], p, kernel)
                                : conv_node(in[0], tan[1], p));
        r = r ? tk(&t, em_add(r, s)) : s;
    }
    out_tan[0] = em_array_retain(r);
    rule_tmp_free(&t);
    return rule_status(out_tan[0]);
}

em_status ops_conv_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                        int *out_axes) {
    bool wg = n->prim == EM_PRIM_CONV_WEIGHT_GRAD;
    if (n->prim != EM_PRIM_CONV && !wg) return ops_no_vmap(n);
    const em_conv_params *p = conv_params(n);
    const em_array *like = vmap_traced_out(n, 0);
    int nd = p->nd;
    int64_t B = vmap_size(in, axes, 2);
    rule_tmp t = {0};
    int64_t s[6];
    em_array *r = NULL;
    if ((int64_t)p->groups * B > INT32_MAX)
        return error_status(EM_ERR_VALUE, "[vmap] Too many convolution groups.");
    if (wg) {
        /* the batch becomes groups; (B*Co, K, cig) -> (B, Co, K, cig) */
        em_conv_params q = *p;
        q.groups = (int32_t)(p->groups * B);
        r = tk(&t, conv_wgrad_node(batch_to_channels(in[0], axes[0], B, nd, &t),
                                   batch_to_channels(in[1], axes[1], B, nd, &t), &q,
                                   wgrad_params(n)->kernel));
        s[0] = B;
        for (int d = 0; d < like->ndim; d++) s[1 + d] = like->shape[d];
        out_axes[0] = 0;
    } else if (axes[1] < 0) {
        /* (B, N, S, C) -> (B*N, S, C) */
        em_array *x = tk(&t, em_moveaxis(in[0], axes[0], 0));
        if (x) {
            s[0] = B * x->shape[1];
            for (int d = 0; d <= nd; d++) s[1 + d] = x->shape[2 + d];
            x = tk(&t, ops_reshape(x, s, nd + 2));
        }
        r = tk(&t, conv_node(x, in[1], p));
        s[0] = B;
        for (int d = 0; d < like->ndim; d++) s[1 + d] = like->shape[d];
        out_axes[0] = 0;
    } else {
        em_array *w = tk(&t, em_moveaxis(in[1], axes[1], 0));
        if (w) {
            s[0] = B * w->shape[1];
            for (int d = 0; d <= nd; d++) s[1 + d] = w->shape[2 + d];
            w = tk(&t, ops_reshape(w, s, nd + 2));
        }
        em_conv_params q = *p;
        em_array *x = NULL;
        if (axes[0] < 0 && p->groups == 1) {
            x = in[0];
        } else {
            q.groups = (int32_t)(p->groups * B);
            x = batch_to_channels(in[0], axes[0], B, nd, &t);
        }
        r = tk(&t, conv_node(x, w, &q));
        for (int d = 0; d <= nd; d++) s[d] = like->shape[d];
        s[nd + 1] = B;
        s[nd + 2] = like->shape[nd + 1];
        out_axes[0] = nd + 1;
    }
    out[0] = r ? ops_reshape(r, s, like->ndim + 1) : NULL;
    rule_tmp_free(&t);
    return rule_status(out[0]);
}
