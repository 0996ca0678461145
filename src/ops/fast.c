/* fast.c -- mlx.core.fast: the fused primitives RMS_NORM, LAYER_NORM, ROPE and
 * SDPA, their builders, and their transform rules.
 *
 * Each primitive has a reference composition made of ordinary ops (the
 * "fallback", as MLX calls it) computing the same function; the fused CPU
 * kernel (src/backend/cpu/fast.c) computes the forward pass in one sweep per
 * row, and vjp, jvp and vmap are those of the fallback (em_vjp / em_jvp /
 * em_vmap_apply over a closure of it), so they compose to any depth. The
 * norms batch without leaving the fused kernel when only x is mapped.
 *
 * Contracts of the nodes: see primitives.h. Builders validate with MLX's
 * messages, promote the inputs to one float dtype and broadcast the mask, so
 * kernels see one dtype (a bool mask and the int32 offset excepted). */
#include <math.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

static bool is_float(em_dtype dt) { return em_dtype_kind_of(dt) == EM_KIND_FLOAT; }
/* The dtype a half-precision computation accumulates in. */
static em_dtype acc_dtype(em_dtype dt) { return dt == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32; }

static void shp(const em_array *a, char *buf, size_t n) { shape_str(a->shape, a->ndim, buf, n); }

/* ---------------------------------------------------------------- norms */

static bool check_norm_param(const char *op, const char *what, const em_array *p, const em_array *x) {
    if (!p) return true;
    if (p->ndim != 1) {
        error_set(EM_ERR_VALUE, "[%s] %s must have 1 dimension but has %d dimensions.", op, what, p->ndim);
        return false;
    }
    if (p->shape[0] != x->shape[x->ndim - 1]) {
        error_set(EM_ERR_VALUE, "[%s] %s must have the same size as the last dimension of x but has %lld elements.",
                  op, what, (long long)p->shape[0]);
        return false;
    }
    return true;
}

static em_array *make_norm(em_prim_id prim, const char *op, const em_array *x, const em_array *w,
                           const em_array *b, float eps) {
    EM_CHECK_ARG(op, x);
    if (x->ndim == 0)
        return error_set(EM_ERR_VALUE, "[%s] Input must have at least 1 dimension but got input with 0 dimensions.", op);
    const char *wname = prim == EM_PRIM_RMS_NORM ? "(*weight)" : "weight";
    if (!check_norm_param(op, wname, w, x) || !check_norm_param(op, "bias", b, x)) return NULL;
    em_dtype dt = x->dtype;
    if (w) dt = em_result_type(dt, w->dtype);
    if (b) dt = em_result_type(dt, b->dtype);
    if (!is_float(dt)) return error_set(EM_ERR_VALUE, "[%s] Received unsupported type %s.", op, em_dtype_name(dt));
    rule_tmp t = {0};
    em_array *in[3];
    int n = 0;
    in[n++] = tk(&t, ops_cast(x, dt));
    if (w) in[n++] = tk(&t, ops_cast(w, dt));
    if (b) in[n++] = tk(&t, ops_cast(b, dt));
    em_norm_params p;
    memset(&p, 0, sizeof p);
    p.eps = eps;
    p.has_weight = w != NULL;
    p.has_bias = b != NULL;
    em_array *r = node_make(prim, &p, sizeof p, in, n, dt, x->shape, x->ndim);
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_fast_rms_norm, (const em_array *x, const em_array *weight, float eps), (x, weight, eps)) {
    return make_norm(EM_PRIM_RMS_NORM, "rms_norm", x, weight, NULL, eps);
}

EM_PUBLIC_OP(em_fast_layer_norm, (const em_array *x, const em_array *weight, const em_array *bias, float eps),
             (x, weight, bias, eps)) {
    return make_norm(EM_PRIM_LAYER_NORM, "layer_norm", x, weight, bias, eps);
}

/* The norms as ordinary ops, accumulating in float32 (float64 for float64). */
static em_array *norm_ref(const em_node *n, em_array *const *in) {
    const em_norm_params *p = NODE_PARAMS(n, em_norm_params);
    rule_tmp t = {0};
    const em_array *x = in[0];
    em_dtype dt = x->dtype, acc = acc_dtype(dt);
    int last = -1;
    em_array *xf = tk(&t, ops_cast(x, acc));
    em_array *eps = sc(&t, p->eps, xf);
    em_array *y;
    if (n->prim == EM_PRIM_RMS_NORM) {
        em_array *ms = tk(&t, em_mean(tk(&t, em_square(xf)), &last, 1, true));
        y = tk(&t, em_multiply(xf, tk(&t, em_rsqrt(tk(&t, em_add(ms, eps))))));
    } else {
        em_array *mu = tk(&t, em_mean(xf, &last, 1, true));
        em_array *d = tk(&t, em_subtract(xf, mu));
        em_array *var = tk(&t, em_mean(tk(&t, em_square(d)), &last, 1, true));
        y = tk(&t, em_multiply(d, tk(&t, em_rsqrt(tk(&t, em_add(var, eps))))));
    }
    int k = 1;
    if (p->has_weight) y = tk(&t, em_multiply(y, tk(&t, ops_cast(in[k++], acc))));
    if (p->has_bias) y = tk(&t, em_add(y, tk(&t, ops_cast(in[k++], acc))));
    em_array *r = y ? ops_cast(y, dt) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- rope */

EM_PUBLIC_OP(em_fast_rope, (const em_array *x, int dims, bool traditional, bool has_base, float base,
                            float scale, const em_array *offset, const em_array *freqs),
             (x, dims, traditional, has_base, base, scale, offset, freqs)) {
    EM_CHECK_ARG("rope", x);
    EM_CHECK_ARG("rope", offset);
    if (x->ndim < 3)
        return error_set(EM_ERR_VALUE, "[rope] Input must have at least 3 dimensions but got input with %d dimensions.",
                         x->ndim);
    if (!is_float(x->dtype))
        return error_set(EM_ERR_VALUE, "[rope] Input must be a floating type but got %s.", em_dtype_name(x->dtype));
    if (dims <= 0 || dims % 2 != 0) return error_set(EM_ERR_VALUE, "[rope] dims must be even but got %d.", dims);
    if (dims > x->shape[x->ndim - 1])
        return error_set(EM_ERR_VALUE, "[rope] dims (%d) must not exceed the last dimension of the input (%lld).",
                         dims, (long long)x->shape[x->ndim - 1]);
    if (has_base && freqs) return error_set(EM_ERR_VALUE, "[rope] Only one of base or freqs can have a value.");
    if (!has_base && !freqs) return error_set(EM_ERR_VALUE, "[rope] Neither base nor freqs has a value.");
    char sbuf[128];
    if (freqs && (freqs->ndim != 1 || freqs->shape[0] != dims / 2)) {
        shp(freqs, sbuf, sizeof sbuf);
        return error_set(EM_ERR_VALUE, "[rope] freqs must be one dimensional with size %d but got shape %s.",
                         dims / 2, sbuf);
    }
    if (offset->ndim > 1) {
        shp(offset, sbuf, sizeof sbuf);
        return error_set(EM_ERR_VALUE, "[rope] offset must have at most one dimension but has shape %s.",
                         sbuf);
    }
    em_dtype_kind ok = em_dtype_kind_of(offset->dtype);
    if (ok != EM_KIND_INT && ok != EM_KIND_UINT)
        return error_set(EM_ERR_VALUE, "[rope] offset must be an integer but got type %s.",
                         em_dtype_name(offset->dtype));
    if (offset->ndim == 1 && offset->shape[0] != 1 && offset->shape[0] != x->shape[0]) {
        shp(offset, sbuf, sizeof sbuf);
        return error_set(EM_ERR_VALUE, "[rope] offset must be a scalar or vector with %lld elements but has shape %s.",
                         (long long)x->shape[0], sbuf);
    }
    if (freqs && !is_float(freqs->dtype))
        return error_set(EM_ERR_VALUE, "[rope] freqs must be a floating type but got %s.", em_dtype_name(freqs->dtype));
    rule_tmp t = {0};
    em_array *in[3];
    int n = 0;
    in[n++] = (em_array *)x;
    em_array *off = tk(&t, ops_cast(offset, EM_INT32));
    if (off && offset->ndim == 1 && offset->shape[0] != x->shape[0])
        off = tk(&t, ops_broadcast(off, x->shape, 1));
    in[n++] = off;
    if (freqs) in[n++] = tk(&t, ops_cast(freqs, EM_FLOAT32));
    em_rope_params p;
    memset(&p, 0, sizeof p);
    p.base = has_base ? base : 0;
    p.scale = scale;
    p.dims = dims;
    p.traditional = traditional;
    p.has_freqs = freqs != NULL;
    em_array *r = node_make(EM_PRIM_ROPE, &p, sizeof p, in, n, x->dtype, x->shape, x->ndim);
    rule_tmp_free(&t);
    return r;
}

/* RoPE as ordinary ops, in float32 (float64 for float64). */
static em_array *rope_ref(const em_node *n, em_array *const *in) {
    const em_rope_params *p = NODE_PARAMS(n, em_rope_params);
    rule_tmp t = {0};
    const em_array *x = in[0], *off = in[1];
    int nd = x->ndim;
    int64_t L = x->shape[nd - 2], D = x->shape[nd - 1], half = p->dims / 2;
    em_dtype acc = acc_dtype(x->dtype);
    em_array *inv;
    if (p->has_freqs) {
        inv = tk(&t, em_reciprocal(tk(&t, ops_cast(in[2], acc))));
    } else {
        em_array *ar = tk(&t, em_arange(0, (double)half, 1, acc));
        inv = tk(&t, em_exp(tk(&t, em_multiply(ar, sc(&t, -log(p->base) / (double)half, ar)))));
    }
    em_array *pos = tk(&t, em_arange(0, (double)L, 1, acc));
    em_array *offf = tk(&t, ops_cast(off, acc));
    if (off->ndim == 1) {
        int ax = 1;
        offf = tk(&t, em_expand_dims(offf, &ax, 1)); /* (B, 1) */
    }
    pos = tk(&t, em_add(pos, offf)); /* (L,) or (B, L) */
    int ax = pos ? pos->ndim : 0;
    pos = tk(&t, em_expand_dims(pos, &ax, 1));
    em_array *theta = tk(&t, em_multiply(tk(&t, em_multiply(pos, sc(&t, p->scale, pos))), inv));
    if (theta && off->ndim == 1) { /* (B, L, half) -> (B, 1.., L, half) */
        int64_t shape[EM_MAX_NDIM];
        shape[0] = x->shape[0];
        for (int i = 1; i < nd - 2; i++) shape[i] = 1;
        shape[nd - 2] = L;
        shape[nd - 1] = half;
        theta = tk(&t, em_reshape(theta, shape, nd));
    }
    em_array *c = tk(&t, em_cos(theta)), *s = tk(&t, em_sin(theta));
    em_array *xf = tk(&t, ops_cast(x, acc));
    em_array *x1, *x2;
    int last = nd - 1;
    if (p->traditional) {
        em_array *xr = tk(&t, rules_slice_axis(xf, last, 0, p->dims));
        int64_t shape[EM_MAX_NDIM + 1];
        memcpy(shape, x->shape, (size_t)(nd - 1) * sizeof *shape);
        shape[nd - 1] = half;
        shape[nd] = 2;
        xr = tk(&t, em_reshape(xr, shape, nd + 1));
        x1 = tk(&t, em_squeeze(tk(&t, rules_slice_axis(xr, nd, 0, 1)), &nd, 1));
        x2 = tk(&t, em_squeeze(tk(&t, rules_slice_axis(xr, nd, 1, 1)), &nd, 1));
    } else {
        x1 = tk(&t, rules_slice_axis(xf, last, 0, half));
        x2 = tk(&t, rules_slice_axis(xf, last, half, half));
    }
    em_array *o1 = tk(&t, em_subtract(tk(&t, em_multiply(x1, c)), tk(&t, em_multiply(x2, s))));
    em_array *o2 = tk(&t, em_add(tk(&t, em_multiply(x1, s)), tk(&t, em_multiply(x2, c))));
    em_array *rot;
    if (p->traditional) {
        const em_array *pair[2] = {o1, o2};
        rot = o1 && o2 ? tk(&t, em_stack(pair, 2, nd)) : NULL;
        int64_t shape[EM_MAX_NDIM];
        memcpy(shape, x->shape, (size_t)nd * sizeof *shape);
        shape[nd - 1] = p->dims;
        rot = tk(&t, em_reshape(rot, shape, nd));
    } else {
        const em_array *pair[2] = {o1, o2};
        rot = o1 && o2 ? tk(&t, em_concatenate(pair, 2, last)) : NULL;
    }
    if (rot && p->dims < D) {
        const em_array *parts[2] = {rot, tk(&t, rules_slice_axis(xf, last, p->dims, D - p->dims))};
        rot = parts[1] ? tk(&t, em_concatenate(parts, 2, last)) : NULL;
    }
    em_array *r = rot ? ops_cast(rot, x->dtype) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- attention */

static const char *SDPA = "scaled_dot_product_attention";

EM_PUBLIC_OP(em_fast_scaled_dot_product_attention,
             (const em_array *q, const em_array *k, const em_array *v, float scale, const char *mask_mode,
              const em_array *mask, const em_array *sinks),
             (q, k, v, scale, mask_mode, mask, sinks)) {
    EM_CHECK_ARG(SDPA, q);
    EM_CHECK_ARG(SDPA, k);
    EM_CHECK_ARG(SDPA, v);
    char sbuf[128], sbuf2[128];
    const em_array *qkv[3] = {q, k, v};
    for (int i = 0; i < 3; i++)
        if (qkv[i]->ndim != 4) {
            shp(qkv[i], sbuf, sizeof sbuf);
            return error_set(EM_ERR_VALUE, "[%s] input with shape %s expected to be rank 4", SDPA, sbuf);
        }
    int mode = EM_SDPA_MASK_NONE;
    if (mask_mode) {
        if (strcmp(mask_mode, "causal") != 0)
            return error_set(EM_ERR_VALUE, "[%s] invalid mask option '%s'. Must be 'causal', or an array.", SDPA,
                             mask_mode);
        if (mask) return error_set(EM_ERR_VALUE, "[%s] Give either the 'causal' mask or a mask array, not both.", SDPA);
        mode = EM_SDPA_MASK_CAUSAL;
    } else if (mask) {
        mode = mask->dtype == EM_BOOL ? EM_SDPA_MASK_BOOL : EM_SDPA_MASK_ADD;
    }
    if (q->shape[3] != k->shape[3]) {
        shp(q, sbuf, sizeof sbuf);
        shp(k, sbuf2, sizeof sbuf2);
        return error_set(EM_ERR_VALUE, "[%s] query, keys expected to have matching last dimension; found query shape %s for keys shape %s.",
                         SDPA, sbuf, sbuf2);
    }
    int64_t B = q->shape[0], H = q->shape[1], L = q->shape[2], Hk = k->shape[1], S = k->shape[2];
    if (Hk == 0 || H % Hk != 0)
        return error_set(EM_ERR_VALUE, "[%s] n_heads must be a multiple of n_kv_heads, found n_heads %lld for n_kv_heads %lld.",
                         SDPA, (long long)H, (long long)Hk);
    if (k->shape[0] != B || v->shape[0] != B || v->shape[1] != Hk || v->shape[2] != S) {
        shp(q, sbuf, sizeof sbuf);
        shp(v, sbuf2, sizeof sbuf2);
        char kb[128];
        shp(k, kb, sizeof kb);
        return error_set(EM_ERR_VALUE, "[%s] query %s, keys %s and values %s do not agree on batch size, key/value heads and sequence length.",
                         SDPA, sbuf, kb, sbuf2);
    }
    if (sinks && (sinks->ndim != 1 || sinks->shape[0] != H)) {
        shp(sinks, sbuf, sizeof sbuf);
        return error_set(EM_ERR_VALUE, "[%s] Received invalid shape for sinks %s.", SDPA, sbuf);
    }
    em_dtype dt = em_result_type(em_result_type(q->dtype, k->dtype), v->dtype);
    if (!is_float(dt))
        return error_set(EM_ERR_VALUE, "[%s] Received unsupported type %s.", SDPA, em_dtype_name(dt));
    if (mode == EM_SDPA_MASK_ADD) {
        em_dtype_kind mk = em_dtype_kind_of(mask->dtype);
        if (mk == EM_KIND_COMPLEX)
            return error_set(EM_ERR_VALUE, "[%s] Unsupported mask type %s.", SDPA, em_dtype_name(mask->dtype));
    }
    rule_tmp t = {0};
    em_array *in[5];
    int n = 0;
    in[n++] = tk(&t, ops_cast(q, dt));
    in[n++] = tk(&t, ops_cast(k, dt));
    in[n++] = tk(&t, ops_cast(v, dt));
    if (mask) {
        int64_t ms[4] = {B, H, L, S};
        em_array *m = mode == EM_SDPA_MASK_BOOL ? (em_array *)mask : tk(&t, ops_cast(mask, dt));
        in[n++] = tk(&t, em_broadcast_to(m, ms, 4));
    }
    if (sinks) in[n++] = tk(&t, ops_cast(sinks, dt));
    em_sdpa_params p;
    memset(&p, 0, sizeof p);
    p.scale = scale;
    p.mask = mode;
    p.has_sinks = sinks != NULL;
    int64_t os[4] = {B, H, L, v->shape[3]};
    em_array *r = node_make(EM_PRIM_SDPA, &p, sizeof p, in, n, dt, os, 4); /* NULL inputs: NULL */
    rule_tmp_free(&t);
    return r;
}

/* The lowest finite value of a float dtype: what a masked score becomes. */
static double lowest(em_dtype dt) {
    switch (dt) {
    case EM_FLOAT16: return -65504.0;
    case EM_BFLOAT16: return -3.3895313892515355e38;
    case EM_FLOAT32: return -FLT_MAX;
    default: return -DBL_MAX;
    }
}

/* Attention as ordinary ops: scores and softmax in float32 (float64). */
static em_array *sdpa_ref(const em_node *n, em_array *const *in) {
    const em_sdpa_params *p = NODE_PARAMS(n, em_sdpa_params);
    rule_tmp t = {0};
    const em_array *q = in[0], *k = in[1], *v = in[2];
    int64_t B = q->shape[0], H = q->shape[1], L = q->shape[2], D = q->shape[3];
    int64_t Hk = k->shape[1], S = k->shape[2], Dv = v->shape[3], rep = H / Hk;
    em_dtype acc = acc_dtype(q->dtype);
    int64_t s5[5] = {B, Hk, rep, L, D};
    em_array *qf = tk(&t, em_reshape(tk(&t, ops_cast(q, acc)), s5, 5));
    int ax2 = 2;
    em_array *kf = tk(&t, em_expand_dims(tk(&t, ops_cast(k, acc)), &ax2, 1));
    em_array *vf = tk(&t, em_expand_dims(tk(&t, ops_cast(v, acc)), &ax2, 1));
    em_array *s = tk(&t, em_matmul(tk(&t, em_multiply(qf, sc(&t, p->scale, qf))), tk(&t, em_swapaxes(kf, -1, -2))));
    int next = 3;
    int64_t m5[5] = {B, Hk, rep, L, S};
    em_array *low = sc(&t, lowest(acc), s);
    if (p->mask == EM_SDPA_MASK_CAUSAL) {
        em_array *ri = tk(&t, em_arange((double)(S - L), (double)S, 1, EM_INT64));
        int one = 1;
        ri = tk(&t, em_expand_dims(ri, &one, 1));
        em_array *cj = tk(&t, em_arange(0, (double)S, 1, EM_INT64));
        em_array *keep = tk(&t, em_greater_equal(ri, cj));
        s = tk(&t, em_where(keep, s, low));
    } else if (p->mask == EM_SDPA_MASK_BOOL) {
        s = tk(&t, em_where(tk(&t, em_reshape(in[next++], m5, 5)), s, low));
    } else if (p->mask == EM_SDPA_MASK_ADD) {
        s = tk(&t, em_add(s, tk(&t, ops_cast(tk(&t, em_reshape(in[next++], m5, 5)), acc))));
    }
    int last = -1;
    if (p->has_sinks) {
        int64_t k5[5] = {1, Hk, rep, 1, 1}, b5[5] = {B, Hk, rep, L, 1};
        em_array *sk = tk(&t, em_reshape(tk(&t, ops_cast(in[next], acc)), k5, 5));
        sk = tk(&t, em_broadcast_to(sk, b5, 5));
        const em_array *parts[2] = {sk, s};
        s = sk && s ? tk(&t, em_concatenate(parts, 2, 4)) : NULL;
    }
    em_array *mx = tk(&t, em_stop_gradient(tk(&t, em_max(s, &last, 1, true))));
    em_array *e = tk(&t, em_exp(tk(&t, em_subtract(s, mx))));
    em_array *pr = tk(&t, em_divide(e, tk(&t, em_sum(e, &last, 1, true))));
    if (p->has_sinks) pr = tk(&t, rules_slice_axis(pr, 4, 1, S));
    em_array *o = tk(&t, em_matmul(pr, vf));
    int64_t os[4] = {B, H, L, Dv};
    o = tk(&t, em_reshape(o, os, 4));
    em_array *r = o ? ops_cast(o, q->dtype) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- rules */

/* A closure computing the node's fallback from the inputs whose `vary` bit
 * is set (in order); the other inputs are held fixed. */
typedef struct ref_ctx {
    em_node *node;
    em_array *fixed[5];
    unsigned vary;
} ref_ctx;

static em_array *fallback(const em_node *n, em_array *const *in) {
    switch (n->prim) {
    case EM_PRIM_RMS_NORM:
    case EM_PRIM_LAYER_NORM: return norm_ref(n, in);
    case EM_PRIM_ROPE: return rope_ref(n, in);
    default: return sdpa_ref(n, in);
    }
}

static em_status ref_fn(void *vctx, em_array *const *in, size_t n_in, em_array_list *out) {
    ref_ctx *c = vctx;
    em_array *all[5];
    size_t j = 0;
    for (int i = 0; i < c->node->n_in; i++) {
        if (c->vary >> i & 1) {
            if (j >= n_in) return em_error_set(EM_ERR_VALUE, "[fast] Wrong number of inputs.");
            all[i] = in[j++];
        } else {
            all[i] = c->fixed[i];
        }
    }
    em_array *r = fallback(c->node, all);
    if (!r) return em_error_code();
    em_status st = em_array_list_push(out, r);
    em_array_release(r);
    return st;
}

static void ref_free(void *vctx) {
    ref_ctx *c = vctx;
    for (int i = 0; i < 5; i++) em_array_release(c->fixed[i]);
    node_release(c->node);
    free(c);
}

/* The fallback closure over the inputs in `vary` (new reference or NULL). */
static em_closure *ref_closure(const em_node *n, em_array *const *in, unsigned vary) {
    ref_ctx *c = calloc(1, sizeof *c);
    if (!c) return error_set(EM_ERR_MEMORY, "[fast] Out of memory.");
    c->node = (em_node *)n;
    node_retain(c->node);
    c->vary = vary;
    for (int i = 0; i < n->n_in; i++)
        if (!(vary >> i & 1)) c->fixed[i] = em_array_retain(in[i]);
    em_closure *f = em_closure_new(ref_fn, c, ref_free);
    if (!f) ref_free(c);
    return f;
}

/* The inputs a derivative may flow to: the float ones. */
static unsigned float_inputs(const em_node *n, em_array *const *in) {
    unsigned m = 0;
    for (int i = 0; i < n->n_in; i++)
        if (is_float(in[i]->dtype)) m |= 1u << i;
    return m;
}

em_status ops_fast_vjp(const em_node *n, em_array *const *in, em_array *const *out, em_array *const *cot,
                       const bool *want, em_array **grads) {
    (void)out;
    unsigned vary = float_inputs(n, in);
    em_array *prim[5];
    int np = 0;
    for (int i = 0; i < n->n_in; i++)
        if (vary >> i & 1) prim[np++] = in[i];
    em_closure *f = ref_closure(n, in, vary);
    if (!f) return em_error_code();
    em_array_list *outs = em_array_list_new(), *vjps = em_array_list_new();
    em_status st = outs && vjps ? em_vjp(f, prim, (size_t)np, cot, 1, outs, vjps)
                                : error_status(EM_ERR_MEMORY, "[fast] Out of memory.");
    for (int i = 0, j = 0; i < n->n_in && st == EM_OK; i++)
        if (vary >> i & 1) {
            if (want[i]) grads[i] = em_array_retain(em_array_list_get(vjps, (size_t)j));
            j++;
        }
    em_array_list_free(outs);
    em_array_list_free(vjps);
    em_closure_release(f);
    return st;
}

em_status ops_fast_jvp(const em_node *n, em_array *const *in, em_array *const *out, em_array *const *tan,
                       em_array **out_tan) {
    (void)out;
    unsigned vary = 0;
    em_array *prim[5], *tg[5];
    int np = 0;
    for (int i = 0; i < n->n_in; i++)
        if (tan[i] && is_float(in[i]->dtype)) {
            vary |= 1u << i;
            prim[np] = in[i];
            tg[np++] = tan[i];
        }
    if (!np) return EM_OK;
    em_closure *f = ref_closure(n, in, vary);
    if (!f) return em_error_code();
    em_array_list *outs = em_array_list_new(), *jvps = em_array_list_new();
    em_status st = outs && jvps ? em_jvp(f, prim, (size_t)np, tg, (size_t)np, outs, jvps)
                                : error_status(EM_ERR_MEMORY, "[fast] Out of memory.");
    if (st == EM_OK) out_tan[0] = em_array_retain(em_array_list_get(jvps, 0));
    em_array_list_free(outs);
    em_array_list_free(jvps);
    em_closure_release(f);
    return st;
}

em_status ops_fast_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out, int *out_axes) {
    bool only_x = axes[0] >= 0;
    for (int i = 1; i < n->n_in; i++) only_x = only_x && axes[i] < 0;
    if (only_x && (n->prim == EM_PRIM_RMS_NORM || n->prim == EM_PRIM_LAYER_NORM) && axes[0] < in[0]->ndim - 1) {
        /* the norm works on the last axis: any other batch axis is just a row */
        em_array *r = node_make(n->prim, n->params, n->params_size, in, n->n_in, in[0]->dtype, in[0]->shape,
                                in[0]->ndim);
        out[0] = r;
        out_axes[0] = axes[0];
        return rule_status(r);
    }
    em_closure *f = ref_closure(n, in, (1u << n->n_in) - 1);
    if (!f) return em_error_code();
    em_array_list *outs = em_array_list_new();
    int *oax = NULL;
    em_status st = outs ? em_vmap_apply(f, in, (size_t)n->n_in, axes, outs, &oax)
                        : error_status(EM_ERR_MEMORY, "[fast] Out of memory.");
    if (st == EM_OK) {
        out[0] = em_array_retain(em_array_list_get(outs, 0));
        out_axes[0] = oax ? oax[0] : EM_VMAP_NONE;
    }
    em_free(oax);
    em_array_list_free(outs);
    em_closure_release(f);
    return st;
}
