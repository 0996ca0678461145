/* qqmm.c -- MLX's qqmm and gather_qqmm: products where both sides are
 * quantized with one of the floating-point modes (mxfp4, mxfp8, nvfp4). x is
 * quantized on the fly; w too unless it comes packed (uint32, with its
 * scales). Built from quantize, dequantize and (gather_)matmul, so the values
 * are those of dequantize(quantize(x)) @ dequantize(w)^T in float32, rounded
 * once to x's dtype. With w unpacked, qqmm is a custom function carrying
 * MLX's QQMatmul vjp (below); otherwise quantize blocks the gradient as MLX's
 * vjp does. MLX's CPU build evaluates only one row of x against a packed w
 * ("NYI for the general case" otherwise, GatherQQMM not at all); ember
 * computes every case. */
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int ops_quant_params(const char *op, const char *mode, int *gs, int *bits);

static bool real_float(em_dtype d) { return em_dtype_kind_of(d) == EM_KIND_FLOAT && d != EM_FLOAT64; }

/* dequantize(quantize(a)) along the last axis in float32 (a of any rank >= 1). */
static em_array *quant_dequant(rule_tmp *t, const em_array *a, int gs, int bits, const char *mode,
                               const em_array *g) {
    int64_t K = a->shape[a->ndim - 1];
    em_array *a2 = tk(t, em_reshape(a, (int64_t[]){K ? a->size / K : 0, K}, 2));
    em_array *o[3] = {NULL, NULL, NULL};
    int n = 0;
    if (!a2 || em_quantize(a2, gs, bits, mode, g, o, &n) != EM_OK) return NULL;
    for (int i = 0; i < n; i++) tk(t, o[i]);
    em_array *d = tk(t, em_dequantize(o[0], o[1], NULL, gs, bits, mode, g, EM_FLOAT32, true));
    return d ? tk(t, em_reshape(d, a->shape, a->ndim)) : NULL;
}

/* The checks both ops share: mode, global scales, dtypes. The mode's index
 * or -1 with the error set. */
static int qq_check(const char *op, const em_array *x, const em_array *w, const em_array *scales,
                    const char **mode, int *gs, int *bits, const em_array *gx, const em_array *gw) {
    if (!*mode) *mode = "nvfp4";
    int m = ops_quant_params(op, *mode, gs, bits);
    if (m < 0) return -1;
    if (m == 0) {
        error_set(EM_ERR_VALUE, "[%s] The 'affine' mode is not supported; use 'mxfp4', 'mxfp8' or "
                                "'nvfp4'.", op);
        return -1;
    }
    if ((gx || gw) && m != 3) {
        error_set(EM_ERR_VALUE, "[%s] Global scale is only supported for 'nvfp4' quantization mode.", op);
        return -1;
    }
    if (!gx != !gw) {
        error_set(EM_ERR_VALUE, "[%s] For nvfp4 mode, either both global_scale_x and global_scale_w "
                                "must be provided, or neither.", op);
        return -1;
    }
    if (!real_float(x->dtype)) {
        error_set(EM_ERR_VALUE, "[%s] Only real floating types except float64 are supported but "
                                "first argument dtype == %s.", op, em_dtype_name(x->dtype));
        return -1;
    }
    if (w->dtype != EM_UINT32 && !real_float(w->dtype)) {
        error_set(EM_ERR_VALUE, "[%s] Only real floating types except float64 are supported but "
                                "second argument dtype == %s.", op, em_dtype_name(w->dtype));
        return -1;
    }
    if (w->dtype == EM_UINT32 && !scales) {
        error_set(EM_ERR_VALUE, "[%s] Scales must be provided if second argument is quantized.", op);
        return -1;
    }
    if (w->dtype != EM_UINT32 && scales) {
        error_set(EM_ERR_VALUE, "[%s] Scales are given but the second argument is not quantized "
                                "(uint32).", op);
        return -1;
    }
    if (x->ndim < 1) {
        error_set(EM_ERR_VALUE, "[%s] The first argument must have at least 1 dimension.", op);
        return -1;
    }
    return m;
}

/* w dequantized to float32 (..., N, K): packed w with its scales, else w
 * quantized and dequantized. K is checked against x's last axis. */
static em_array *qq_weight(rule_tmp *t, const char *op, const em_array *x, const em_array *w,
                           const em_array *scales, int gs, int bits, const char *mode,
                           const em_array *gw) {
    char b1[160], b2[160];
    int64_t kx = x->shape[x->ndim - 1];
    if (w->dtype != EM_UINT32) {
        if (w->shape[w->ndim - 1] != kx) {
            error_set(EM_ERR_VALUE, "[%s] Last dimension of first input with shape %s must match "
                                    "last dimension of second input with shape %s.", op,
                      shape_str(x->shape, x->ndim, b1, sizeof b1), shape_str(w->shape, w->ndim, b2, sizeof b2));
            return NULL;
        }
        return quant_dequant(t, w, gs, bits, mode, gw);
    }
    int64_t K = w->shape[w->ndim - 1] * 32 / bits;
    int64_t sh[EM_MAX_NDIM];
    memcpy(sh, w->shape, (size_t)w->ndim * sizeof *sh);
    sh[w->ndim - 1] = K / gs;
    bool ok = scales->ndim == w->ndim && !(K % gs);
    for (int i = 0; ok && i < w->ndim; i++) ok = scales->shape[i] == sh[i];
    if (!ok) {
        error_set(EM_ERR_VALUE, "[%s] The shapes of the weight and scales are incompatible based on "
                                "bits and group_size. w.shape() == %s and scales.shape() == %s with "
                                "group_size=%d and bits=%d", op,
                  shape_str(w->shape, w->ndim, b1, sizeof b1),
                  shape_str(scales->shape, scales->ndim, b2, sizeof b2), gs, bits);
        return NULL;
    }
    if (kx != K) {
        int64_t wsh[2] = {K, w->shape[w->ndim - 2]};
        char b3[160];
        error_set(EM_ERR_VALUE, "[%s] Last dimension of first input with shape (..., %lld) does not "
                                "match the expanded quantized matrix %s computed from shape %s with "
                                "group_size=%d, bits=%d and transpose=true", op, (long long)kx,
                  shape_str(wsh, 2, b3, sizeof b3), shape_str(w->shape, w->ndim, b1, sizeof b1), gs,
                  bits);
        return NULL;
    }
    em_array *s8 = scales->dtype == EM_UINT8 ? (em_array *)scales : tk(t, ops_cast(scales, EM_UINT8));
    return s8 ? tk(t, em_dequantize(w, s8, NULL, gs, bits, mode, gw, EM_FLOAT32, true)) : NULL;
}

/* The product once checked (w raw or packed). */
static em_array *qqmm_eval(const em_array *x, const em_array *w, const em_array *scales, int gs,
                           int bits, const char *mode, const em_array *gx, const em_array *gw) {
    rule_tmp t = {0};
    em_array *W = qq_weight(&t, "qqmm", x, w, scales, gs, bits, mode, gw);
    em_array *X = W ? quant_dequant(&t, x, gs, bits, mode, gx) : NULL;
    em_array *r = X ? tk(&t, em_matmul(X, tk(&t, em_swapaxes(W, 0, 1)))) : NULL;
    r = r ? ops_cast(r, x->dtype) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* With w unquantized the product is a custom function carrying MLX's
 * QQMatmul vjp: dx = qqmm(cot, w^T), dw = qqmm(cot^T, x^T) (x flattened to
 * rows), both quantized on the fly again, without global scales. */
typedef struct {
    int gs, bits;
    const char *mode;
    em_array *gx, *gw;
} qq_ctx;

static void qq_ctx_free(void *vc) {
    qq_ctx *c = vc;
    em_array_release(c->gx);
    em_array_release(c->gw);
    free(c);
}

static em_status qq_fwd(void *vc, em_array *const *in, size_t n, em_array_list *out) {
    const qq_ctx *c = vc;
    (void)n;
    em_array *r = qqmm_eval(in[0], in[1], NULL, c->gs, c->bits, c->mode, c->gx, c->gw);
    em_status s = em_array_list_push(out, r);
    em_array_release(r);
    return s;
}

static em_status qq_vjp(void *vc, em_array *const *in, size_t n, em_array_list *out) {
    const qq_ctx *c = vc;
    (void)n; /* x, w, cot, y */
    const em_array *x = in[0], *w = in[1], *cot = in[2];
    rule_tmp t = {0};
    em_array *dx = tk(&t, em_qqmm(cot, tk(&t, em_swapaxes(w, 0, 1)), NULL, c->gs, c->bits, c->mode,
                                  NULL, NULL));
    int64_t K = x->shape[x->ndim - 1], N = cot->shape[cot->ndim - 1];
    em_array *x2 = tk(&t, em_reshape(x, (int64_t[]){K ? x->size / K : 0, K}, 2));
    em_array *c2 = tk(&t, em_reshape(cot, (int64_t[]){N ? cot->size / N : 0, N}, 2));
    em_array *dw = x2 && c2 ? tk(&t, em_qqmm(tk(&t, em_swapaxes(c2, 0, 1)), tk(&t, em_swapaxes(x2, 0, 1)),
                                             NULL, c->gs, c->bits, c->mode, NULL, NULL))
                            : NULL;
    em_status s = dx && dw ? EM_OK : em_error_code();
    if (s == EM_OK) s = em_array_list_push(out, dx);
    if (s == EM_OK) s = em_array_list_push(out, dw);
    rule_tmp_free(&t);
    return s;
}

static qq_ctx *qq_ctx_new(int gs, int bits, const char *mode, const em_array *gx, const em_array *gw) {
    qq_ctx *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->gs = gs, c->bits = bits, c->mode = mode;
    c->gx = gx ? em_array_retain((em_array *)gx) : NULL;
    c->gw = gw ? em_array_retain((em_array *)gw) : NULL;
    return c;
}

EM_PUBLIC_OP(em_qqmm,
             (const em_array *x, const em_array *w, const em_array *scales, int group_size, int bits,
              const char *mode, const em_array *global_scale_x, const em_array *global_scale_w),
             (x, w, scales, group_size, bits, mode, global_scale_x, global_scale_w)) {
    const char *op = "qqmm";
    EM_CHECK_ARG(op, x);
    EM_CHECK_ARG(op, w);
    int m = qq_check(op, x, w, scales, &mode, &group_size, &bits, global_scale_x, global_scale_w);
    if (m < 0) return NULL;
    if (w->ndim != 2)
        return error_set(EM_ERR_VALUE, "[qqmm] Only 2D inputs are supported but x.ndim() == %d and "
                                       "w.ndim() == %d.", x->ndim, w->ndim);
    if (w->dtype == EM_UINT32)
        return qqmm_eval(x, w, scales, group_size, bits, mode, global_scale_x, global_scale_w);
    if (w->shape[1] != x->shape[x->ndim - 1]) { /* the message, before any closure */
        rule_tmp t = {0};
        qq_weight(&t, op, x, w, NULL, group_size, bits, mode, global_scale_w);
        rule_tmp_free(&t);
        return NULL;
    }
    static const char *const names[4] = {"affine", "mxfp4", "mxfp8", "nvfp4"};
    qq_ctx *cf = qq_ctx_new(group_size, bits, names[m], global_scale_x, global_scale_w);
    qq_ctx *cv = qq_ctx_new(group_size, bits, names[m], NULL, NULL);
    em_closure *f = cf ? em_closure_new(qq_fwd, cf, qq_ctx_free) : NULL;
    em_closure *v = cv ? em_closure_new(qq_vjp, cv, qq_ctx_free) : NULL;
    if (!f && cf) qq_ctx_free(cf);
    if (!v && cv) qq_ctx_free(cv);
    em_closure *cfn = f && v ? em_custom_function(f, v, NULL, NULL) : NULL;
    em_closure_release(f);
    em_closure_release(v);
    em_array_list *out = cfn ? em_array_list_new() : NULL;
    em_array *r = NULL;
    if (out) {
        em_array *in[2] = {(em_array *)x, (em_array *)w};
        if (em_closure_call(cfn, in, 2, out) == EM_OK) r = em_array_retain(em_array_list_get(out, 0));
    } else if (em_error_code() == EM_OK) {
        error_set(EM_ERR_MEMORY, "[qqmm] Out of memory.");
    }
    em_array_list_free(out);
    em_closure_release(cfn);
    return r;
}

EM_PUBLIC_OP(em_gather_qqmm,
             (const em_array *x, const em_array *w, const em_array *scales,
              const em_array *lhs_indices, const em_array *rhs_indices, int group_size, int bits,
              const char *mode, const em_array *global_scale_x, const em_array *global_scale_w,
              bool sorted_indices),
             (x, w, scales, lhs_indices, rhs_indices, group_size, bits, mode, global_scale_x,
              global_scale_w, sorted_indices)) {
    const char *op = "gather_qqmm";
    EM_CHECK_ARG(op, x);
    EM_CHECK_ARG(op, w);
    if (qq_check(op, x, w, scales, &mode, &group_size, &bits, global_scale_x, global_scale_w) < 0)
        return NULL;
    if (w->ndim < 2 || x->ndim < 2)
        return error_set(EM_ERR_VALUE, "[gather_qqmm] Got %dD x and %dD w; both need at least 2 "
                                       "dimensions.", x->ndim, w->ndim);
    rule_tmp t = {0};
    em_array *W = qq_weight(&t, op, x, w, scales, group_size, bits, mode, global_scale_w);
    em_array *X = W ? quant_dequant(&t, x, group_size, bits, mode, global_scale_x) : NULL;
    em_array *r = X ? tk(&t, em_gather_mm(X, tk(&t, em_swapaxes(W, -1, -2)), lhs_indices,
                                          rhs_indices, sorted_indices))
                    : NULL;
    r = r ? ops_cast(r, x->dtype) : NULL;
    rule_tmp_free(&t);
    return r;
}
