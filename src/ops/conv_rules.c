/* conv_rules.c -- the transform rules of CONV, CONV_WEIGHT_GRAD and
 * CONV_INPUT_GRAD, written with those primitives and views so that they
 * compose (grad of grad, vmap of grad).
 *
 * The three are one bilinear form seen from each side: for y = CONV(x, w),
 * <CONV(x, w), g> = <x, INPUT_GRAD(g, w)> = <w, WEIGHT_GRAD(x, g)>. So:
 *   CONV vjp:        x <- INPUT_GRAD(g, w),   w <- WEIGHT_GRAD(x, g)
 *   WEIGHT_GRAD vjp (cotangent c, of w's shape):
 *                    x <- INPUT_GRAD(g, c),   g <- CONV(x, c)
 *   INPUT_GRAD vjp (cotangent c, of x's shape):
 *                    g <- CONV(c, w),         w <- WEIGHT_GRAD(c, g)
 * and each jvp is the primitive applied to (tangent, other) plus (other,
 * tangent). MLX builds the gradients from convolutions instead (the input
 * gradient as a convolution of the stride-dilated cotangent, the weight
 * gradient as a convolution of x with the cotangent as kernel); the two
 * dedicated primitives do the same sums with the forward pass's packing and
 * one gemm per tile, without multiplying by the zeros of the dilation.
 * vmap: a mapped x (or g, for INPUT_GRAD) alone folds the batch into N; a
 * mapped weight alone (CONV, one group) into C_out; otherwise the batch
 * becomes groups: the operands as (N, S, B*C) channels, groups B*G (an
 * unmapped operand is broadcast). */
#include <stdint.h>

#include "../transforms/vmap.h"
#include "conv.h"

static const em_conv_params *conv_params(const em_node *n) {
    return (const em_conv_params *)(const void *)n->params;
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
                      : i == 0 ? tk(&t, conv_igrad_node(g, c, p, x->shape + 1))
                               : tk(&t, conv_node(x, c, p));
        st = rule_status(grads[i] = em_array_retain(r));
    }
    rule_tmp_free(&t);
    return st;
}

static const em_conv_igrad_params *igrad_params(const em_node *n) {
    return (const em_conv_igrad_params *)(const void *)n->params;
}

static em_status igrad_vjp(const em_node *n, em_array *const *in, em_array *const *cot,
                           const bool *want, em_array **grads) {
    const em_conv_params *p = &igrad_params(n)->conv;
    const em_array *g = in[0], *w = in[1], *c = cot[0];
    bool empty = g->size == 0 || w->size == 0 || c->size == 0;
    rule_tmp t = {0};
    em_status st = EM_OK;
    for (int i = 0; i < 2 && st == EM_OK; i++) {
        if (!want[i]) continue;
        em_array *r = empty ? tk(&t, em_zeros_like(in[i]))
                      : i == 0 ? tk(&t, conv_node(c, w, p))
                               : tk(&t, conv_wgrad_node(c, g, p, w->shape + 1));
        st = rule_status(grads[i] = em_array_retain(r));
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_conv_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    if (n->prim == EM_PRIM_CONV_WEIGHT_GRAD) return wgrad_vjp(n, in, cot, want, grads);
    if (n->prim == EM_PRIM_CONV_INPUT_GRAD) return igrad_vjp(n, in, cot, want, grads);
    if (n->prim != EM_PRIM_CONV) return ops_no_vjp(n);
    const em_conv_params *p = conv_params(n);
    const em_array *x = in[0], *w = in[1], *g = cot[0];
    bool empty = x->size == 0 || w->size == 0 || g->size == 0;
    rule_tmp t = {0};
    em_status st = EM_OK;
    for (int i = 0; i < 2 && st == EM_OK; i++) {
        if (!want[i]) continue;
        em_array *r = empty ? tk(&t, em_zeros_like(in[i]))
                      : i == 0 ? tk(&t, conv_igrad_node(g, w, p, x->shape + 1))
                               : tk(&t, conv_wgrad_node(x, g, p, w->shape + 1));
        st = rule_status(grads[i] = em_array_retain(r));
    }
    rule_tmp_free(&t);
    return st;
}

/* The node's primitive, with its params, applied to (a, b). */
static em_array *same_kind(const em_node *n, const em_array *a, const em_array *b) {
    const em_conv_params *p = conv_params(n);
    switch (n->prim) {
    case EM_PRIM_CONV_WEIGHT_GRAD: return conv_wgrad_node(a, b, p, wgrad_params(n)->kernel);
    case EM_PRIM_CONV_INPUT_GRAD: return conv_igrad_node(a, b, p, igrad_params(n)->input);
    default: return conv_node(a, b, p);
    }
}

em_status ops_conv_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    (void)out;
    if (n->prim != EM_PRIM_CONV && n->prim != EM_PRIM_CONV_WEIGHT_GRAD &&
        n->prim != EM_PRIM_CONV_INPUT_GRAD)
        return ops_no_jvp(n);
    rule_tmp t = {0};
    em_array *r = NULL;
    if (tan[0]) r = tk(&t, same_kind(n, tan[0], in[1]));
    if (tan[1]) {
        em_array *s = tk(&t, same_kind(n, in[0], tan[1]));
        r = r ? tk(&t, em_add(r, s)) : s;
    }
    out_tan[0] = em_array_retain(r);
    rule_tmp_free(&t);
    return rule_status(out_tan[0]);
}

em_status ops_conv_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                        int *out_axes) {
    bool wg = n->prim == EM_PRIM_CONV_WEIGHT_GRAD, ig = n->prim == EM_PRIM_CONV_INPUT_GRAD;
    if (n->prim != EM_PRIM_CONV && !wg && !ig) return ops_no_vmap(n);
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
        r = tk(&t, same_kind(n, x, in[1]));
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
        if (axes[0] < 0 && p->groups == 1 && !ig) {
            x = in[0];
        } else {
            q.groups = (int32_t)(p->groups * B);
            x = batch_to_channels(in[0], axes[0], B, nd, &t);
        }
        r = tk(&t, ig ? conv_igrad_node(x, w, &q, igrad_params(n)->input) : conv_node(x, w, &q));
        for (int d = 0; d <= nd; d++) s[d] = like->shape[d];
        s[nd + 1] = B;
        s[nd + 2] = like->shape[nd + 1];
        out_axes[0] = nd + 1;
    }
    out[0] = r ? ops_reshape(r, s, like->ndim + 1) : NULL;
    rule_tmp_free(&t);
    return rule_status(out[0]);
}
