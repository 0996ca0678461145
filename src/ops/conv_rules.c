/* conv_rules.c -- CONV's transform rules, written with CONV itself and views
 * so that they compose (grad of grad, vmap of grad).
 *
 * vjp (MLX's construction; S, K, O are spatial sizes, Sd = (S-1)*idil+1,
 * Kd = (K-1)*kdil+1, per spatial dim):
 *   input:  a convolution of the cotangent, dilated by the stride, with the
 *           weight's in/out channels swapped (per group) and its flip toggled,
 *           padded (K-1)*kdil - lo before and Sd - 1 + lo - (O-1)*stride after,
 *           which gives the Sd positions of the dilated input; rows that are
 *           not input positions (idil > 1) are sliced away.
 *   weight: a convolution whose batch is the input channels and whose channels
 *           are the batch: x as (Ci/G, S, G*N) with the cotangent as kernel
 *           (Co, O, N), stride kdil, kernel dilation stride, input dilation
 *           idil, groups G; the high padding loses the r = (Sd+lo+hi-Kd) mod
 *           stride positions the forward pass never reached, so exactly K
 *           taps come out; a flipped forward pass reverses them.
 * jvp: CONV is linear in each input.
 * vmap: a mapped input alone folds the batch into N; a mapped weight alone
 * (one group) into C_out; otherwise the batch becomes groups: x as
 * (N, S, B*Ci), w as (B*Co, K, Ci/G), groups B*G. */
#include <stdint.h>

#include "../transforms/vmap.h"
#include "conv.h"

static const em_conv_params *conv_params(const em_node *n) {
    return (const em_conv_params *)(const void *)n->params;
}

static em_array *permute(const em_array *a, const int *perm, rule_tmp *t) {
    return tk(t, em_transpose(a, perm, a->ndim));
}

/* a with its axes 1..nd reversed (a flipped kernel). */
static em_array *reverse_spatial(em_array *a, int nd, rule_tmp *t) {
    if (!a) return NULL;
    int64_t start[5], stop[5], step[5];
    for (int i = 0; i < a->ndim; i++) {
        bool rev = i >= 1 && i <= nd;
        start[i] = rev ? a->shape[i] - 1 : 0;
        stop[i] = rev ? -a->shape[i] - 1 : a->shape[i];
        step[i] = rev ? -1 : 1;
    }
    return tk(t, em_slice(a, start, stop, step, a->ndim));
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

static em_array *grad_weight(const em_conv_params *p, const em_array *x, const em_array *w,
                             const em_array *g, rule_tmp *t) {
    int nd = p->nd, G = p->groups;
    int64_t n = x->shape[0], ci = x->shape[nd + 1];
    /* x (N, S, G, cig) -> (cig, S, G, N) -> (cig, S, G*N) */
    int64_t s[6];
    int perm[6];
    s[0] = n;
    for (int d = 0; d < nd; d++) s[1 + d] = x->shape[1 + d];
    s[nd + 1] = G;
    s[nd + 2] = ci / G;
    em_array *x5 = tk(t, ops_reshape(x, s, nd + 3));
    perm[0] = nd + 2;
    for (int d = 0; d < nd; d++) perm[1 + d] = 1 + d;
    perm[nd + 1] = nd + 1;
    perm[nd + 2] = 0;
    em_array *xt = x5 ? permute(x5, perm, t) : NULL;
    s[0] = ci / G;
    s[nd + 1] = G * n;
    xt = xt ? tk(t, ops_reshape(xt, s, nd + 2)) : NULL;
    /* g (N, O, Co) -> (Co, O, N); and back for the result */
    perm[0] = nd + 1;
    for (int d = 0; d < nd; d++) perm[1 + d] = 1 + d;
    perm[nd + 1] = 0;
    em_array *gt = permute(g, perm, t);

    em_conv_params q;
    memset(&q, 0, sizeof q);
    q.nd = nd;
    q.groups = G;
    for (int d = 0; d < nd; d++) {
        int64_t k = w->shape[1 + d], o = g->shape[1 + d];
        int64_t sd = dil_size(x->shape[1 + d], p->idil[d]);
        int64_t kd = (k - 1) * p->kdil[d] + 1;
        int64_t r = sd + p->lo[d] + p->hi[d] - kd - (o - 1) * p->stride[d];
        q.stride[d] = p->kdil[d];
        q.kdil[d] = p->stride[d];
        q.idil[d] = p->idil[d];
        q.lo[d] = p->lo[d];
        q.hi[d] = (int32_t)(p->hi[d] - r);
    }
    em_array *dwt = tk(t, conv_node(xt, gt, &q)); /* (cig, K, Co) */
    em_array *dw = dwt ? permute(dwt, perm, t) : NULL;
    return p->flip ? reverse_spatial(dw, nd, t) : dw;
}

em_status ops_conv_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
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
                               : grad_weight(p, x, w, g, &t);
        st = rule_status(grads[i] = em_array_retain(r));
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_conv_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                       em_array *const *tan, em_array **out_tan) {
    (void)out;
    if (n->prim != EM_PRIM_CONV) return ops_no_jvp(n);
    const em_conv_params *p = conv_params(n);
    rule_tmp t = {0};
    em_array *r = NULL;
    if (tan[0]) r = tk(&t, conv_node(tan[0], in[1], p));
    if (tan[1]) {
        em_array *s = tk(&t, conv_node(in[0], tan[1], p));
        r = r ? tk(&t, em_add(r, s)) : s;
    }
    out_tan[0] = em_array_retain(r);
    rule_tmp_free(&t);
    return rule_status(out_tan[0]);
}

em_status ops_conv_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                        int *out_axes) {
    if (n->prim != EM_PRIM_CONV) return ops_no_vmap(n);
    const em_conv_params *p = conv_params(n);
    const em_array *like = vmap_traced_out(n, 0);
    int nd = p->nd;
    int64_t B = vmap_size(in, axes, 2);
    rule_tmp t = {0};
    int64_t s[6];
    em_array *r = NULL;
    if (axes[1] < 0) {
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
        } else if ((int64_t)p->groups * B > INT32_MAX) {
            rule_tmp_free(&t);
            return error_status(EM_ERR_VALUE, "[vmap] Too many convolution groups.");
        } else {
            /* the batch becomes groups: x (N, S, B, C) -> (N, S, B*C) */
            q.groups = (int32_t)(p->groups * B);
            if (axes[0] >= 0) {
                x = tk(&t, em_moveaxis(in[0], axes[0], nd + 1));
            } else {
                int ax = nd + 1;
                em_array *e = tk(&t, em_expand_dims(in[0], &ax, 1));
                if (e) {
                    for (int d = 0; d < e->ndim; d++) s[d] = e->shape[d];
                    s[nd + 1] = B;
                    x = tk(&t, em_broadcast_to(e, s, e->ndim));
                }
            }
            if (x) {
                for (int d = 0; d <= nd; d++) s[d] = x->shape[d];
                s[nd + 1] = B * x->shape[nd + 2];
                x = tk(&t, ops_reshape(x, s, nd + 2));
            }
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
