/* quant.c -- group quantisation (MLX's affine mode and the floating-point
 * modes mxfp4, mxfp8, nvfp4): the QUANTIZE, DEQUANTIZE and QUANTIZED_MATMUL
 * primitives, the fp8 (e4m3) conversions TO_FP8 and FROM_FP8, their public
 * ops and their vjp/jvp/vmap rules (qqmm: src/ops/qqmm.c).
 *
 * Contracts (what the CPU kernels in src/backend/cpu/quant.c may assume),
 * for the affine mode (p.mode 0):
 *   QUANTIZE: one float32 input (..., K), K a multiple of group_size; outputs
 *     packed uint32 (..., K*bits/32), float32 scales and biases (..., K/gs).
 *     Each row is one little-endian bit stream: element i holds bits
 *     [i*bits, (i+1)*bits) of it (MLX's layout for every width).
 *   DEQUANTIZE: uint32 (..., Kp), float32 scales and biases (..., K/gs);
 *     float32 output (..., K), K = Kp*32/bits.
 *   QUANTIZED_MATMUL: float32 x (M, K') with M rows, uint32 w (R, Kp),
 *     float32 scales, biases (R, Kp*32/bits/gs); transpose: x @ W^T, W of
 *     (R, Kp*32/bits), else x @ W. float32 output (M, N).
 *   TO_FP8: float32 in, uint8 out; FROM_FP8: uint8 in, float32 out.
 * The fp modes (p.mode 1-3, src/backend/cpu/quant_fp.c), no biases:
 *   QUANTIZE: float32 w (values of dtype p.round_dt, or float32) and, nvfp4
 *     only, a 0-d float32 global scale; outputs packed uint32 codes and
 *     uint8 scales (..., K/gs).
 *   DEQUANTIZE: uint32 w, uint8 scales, optional 0-d float32 global scale;
 *     float32 output.
 *   QUANTIZED_MATMUL: float32 x, uint32 w, uint8 scales (3 inputs).
 * Messages follow MLX's text. */
#include <string.h>

#include "rules.h"

/* Modes by name (em_quant_mode). */
static const char *const QMODE_NAMES[4] = {"affine", "mxfp4", "mxfp8", "nvfp4"};

static int quant_params(const char *op, const char *mode, int *gs, int *bits);

static int quant_mode(const char *op, const char *mode) {
    if (!mode) mode = "affine";
    for (int i = 0; i < 4; i++)
        if (!strcmp(mode, QMODE_NAMES[i])) return i;
    error_set(EM_ERR_VALUE, "[%s] Invalid quantization mode '%s'.", op, mode);
    return -1;
}

/* Resolves defaults and checks bits/group size for `mode`: its index, or -1
 * with MLX's error set (ops_quant_params: the same for src/ops/qqmm.c). */
int ops_quant_params(const char *op, const char *mode, int *gs, int *bits);
int ops_quant_params(const char *op, const char *mode, int *gs, int *bits) {
    return quant_params(op, mode, gs, bits);
}

static int quant_params(const char *op, const char *mode, int *gs, int *bits) {
    int m = quant_mode(op, mode);
    if (m < 0) return -1;
    if (m != EM_QMODE_AFFINE) { /* fixed by the format */
        int egs = m == EM_QMODE_NVFP4 ? 16 : 32, eb = m == EM_QMODE_MXFP8 ? 8 : 4;
        if (*gs <= 0) *gs = egs;
        if (*bits <= 0) *bits = eb;
        if (*gs != egs) {
            error_set(EM_ERR_VALUE, "[%s] %s quantization requires group size %d but got %d.", op,
                      QMODE_NAMES[m], egs, *gs);
            return -1;
        }
        if (*bits != eb) {
            error_set(EM_ERR_VALUE, "[%s] %s quantization requires bits to be %d but got %d.", op,
                      QMODE_NAMES[m], eb, *bits);
            return -1;
        }
        return m;
    }
    if (*gs <= 0) *gs = 64;
    if (*bits <= 0) *bits = 4;
    int b = *bits;
    if (b != 1 && b != 2 && b != 3 && b != 4 && b != 5 && b != 6 && b != 8) {
        error_set(EM_ERR_VALUE,
                  "[%s] The requested number of bits %d is not supported. The supported bits "
                  "are 1, 2, 3, 4, 5, 6 and 8.",
                  op, b);
        return -1;
    }
    if (*gs != 32 && *gs != 64 && *gs != 128) {
        error_set(EM_ERR_VALUE,
                  "[%s] The requested group size %d is not supported. The supported group "
                  "sizes are 32, 64, and 128.",
                  op, *gs);
        return -1;
    }
    return m;
}

/* The nvfp4 global scale: float32 with one element, checked for `op`, as a
 * 0-d float32 array (new reference), or NULL with the error set. */
static em_array *global_scale_arg(const char *op, const em_array *g) {
    if (g->dtype != EM_FLOAT32) {
        error_set(EM_ERR_VALUE, "[%s] Global scale must have dtype float32 but got %s.", op,
                  em_dtype_name(g->dtype));
        return NULL;
    }
    if (g->size != 1) {
        char b[160];
        error_set(EM_ERR_VALUE, "[%s] Global scale must be a scalar but got shape %s.", op,
                  shape_str(g->shape, g->ndim, b, sizeof b));
        return NULL;
    }
    return em_reshape(g, NULL, 0);
}

static bool is_float(em_dtype d) { return em_dtype_kind_of(d) == EM_KIND_FLOAT; }

/* quantize for the fp modes: packed uint32 codes and uint8 scales (shapes
 * shq and shs), no biases; w's values go in as float32 with its dtype noted
 * (MLX computes the scales and the scaled elements in it). */
static em_status fp_quantize(const em_array *w, em_quant_params *p, const em_array *global_scale,
                             const int64_t *shq, const int64_t *shs, em_array **out, int *n_out) {
    if (w->dtype == EM_FLOAT16 || w->dtype == EM_BFLOAT16) p->round_dt = (int32_t)w->dtype;
    rule_tmp t = {0};
    em_array *in[2] = {tk(&t, ops_cast(w, EM_FLOAT32)), NULL};
    if (global_scale && !(in[1] = tk(&t, global_scale_arg("quantize", global_scale)))) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    const int64_t *shapes[2] = {shq, shs};
    int nds[2] = {w->ndim, w->ndim};
    em_dtype dts[2] = {EM_UINT32, EM_UINT8};
    em_status s = in[0] ? node_make_multi(EM_PRIM_QUANTIZE, p, sizeof *p, in, global_scale ? 2 : 1,
                                          2, dts, shapes, nds, out)
                        : em_error_code();
    rule_tmp_free(&t);
    if (s == EM_OK) *n_out = 2;
    return s;
}

EM_PUBLIC_MULTI(em_quantize,
                (const em_array *w, int group_size, int bits, const char *mode,
                 const em_array *global_scale, em_array **out, int *n_out),
                (w, group_size, bits, mode, global_scale, out, n_out), out, *n_out) {
    if (!w || !out || !n_out) return error_status(EM_ERR_NULL, "[quantize] NULL argument.");
    *n_out = 0;
    int m = quant_mode("quantize", mode);
    if (m < 0) return EM_ERR_VALUE;
    if (global_scale && m != EM_QMODE_NVFP4)
        return error_status(EM_ERR_VALUE,
                            "[quantize] Global scale is only supported for 'nvfp4' quantization mode.");
    if ((m = quant_params("quantize", mode, &group_size, &bits)) < 0) return EM_ERR_VALUE;
    if (!is_float(w->dtype))
        return error_status(EM_ERR_VALUE,
                            "[quantize] Only real floating types can be quantized but w has type %s.",
                            em_dtype_name(w->dtype));
    if (w->ndim < 2)
        return error_status(EM_ERR_VALUE,
                            "[quantize] The matrix to be quantized must have at least 2 dimension "
                            "but it has only %d.",
                            w->ndim);
    int64_t K = w->shape[w->ndim - 1];
    if (K % group_size) {
        char b[160];
        return error_status(EM_ERR_VALUE,
                            "[quantize] The last dimension of the matrix needs to be divisible by "
                            "the quantization group size %d. However the provided  matrix has shape %s",
                            group_size, shape_str(w->shape, w->ndim, b, sizeof b));
    }
    em_quant_params p = {group_size, bits, 0, 0, m};
    int64_t shq[EM_MAX_NDIM], shs[EM_MAX_NDIM];
    memcpy(shq, w->shape, (size_t)w->ndim * sizeof *shq);
    memcpy(shs, w->shape, (size_t)w->ndim * sizeof *shs);
    shq[w->ndim - 1] = K * bits / 32;
    shs[w->ndim - 1] = K / group_size;
    if (m != EM_QMODE_AFFINE) return fp_quantize(w, &p, global_scale, shq, shs, out, n_out);
    const int64_t *shapes[3] = {shq, shs, shs};
    int nds[3] = {w->ndim, w->ndim, w->ndim};
    em_dtype dts[3] = {EM_UINT32, EM_FLOAT32, EM_FLOAT32};
    em_array *in = ops_cast(w, EM_FLOAT32), *r[3] = {NULL, NULL, NULL};
    if (!in) return em_error_code();
    em_status s = node_make_multi(EM_PRIM_QUANTIZE, &p, sizeof p, &in, 1, 3, dts, shapes, nds, r);
    em_array_release(in);
    if (s != EM_OK) return s;
    out[0] = r[0];
    for (int i = 1; i < 3; i++) {
        out[i] = ops_cast(r[i], w->dtype);
        em_array_release(r[i]);
    }
    if (!out[1] || !out[2]) {
        for (int i = 0; i < 3; i++) em_array_release(out[i]), out[i] = NULL;
        return em_error_code();
    }
    *n_out = 3;
    return EM_OK;
}

/* Checks w/scales/biases for `op` and writes the unpacked last dimension. */
static bool quant_check_packed(const char *op, const em_array *w, const em_array *scales,
                               const em_array *biases, int gs, int bits, int m, int64_t *K) {
    (void)gs;
    if (m != EM_QMODE_AFFINE) {
        if (biases) {
            error_set(EM_ERR_VALUE, "[%s] Biases must be null for quantization mode '%s'.",
                      strcmp(op, "gather_qmm") ? op : "quantized_matmul", QMODE_NAMES[m]);
            return false;
        }
        if (w->dtype != EM_UINT32) {
            error_set(EM_ERR_VALUE, "[%s] The matrix should be given as a uint32", op);
            return false;
        }
        if (scales->dtype != EM_UINT8) {
            error_set(EM_ERR_VALUE, "[%s] Scale type must be uint8 but received type %s.", op,
                      em_dtype_name(scales->dtype));
            return false;
        }
        if (w->ndim < 2) {
            error_set(EM_ERR_VALUE,
                      "[%s] The matrix to be dequantized must have at least 2 dimension but it "
                      "has only %d.",
                      op, w->ndim);
            return false;
        }
        *K = w->shape[w->ndim - 1] * 32 / bits;
        return true;
    }
    if (!biases) {
        error_set(EM_ERR_VALUE, "[%s] Biases must be provided for affine quantization.", op);
        return false;
    }
    if (w->dtype != EM_UINT32) {
        error_set(EM_ERR_VALUE, "[%s] The matrix should be given as a uint32", op);
        return false;
    }
    if (!is_float(scales->dtype) || !is_float(biases->dtype)) {
        error_set(EM_ERR_VALUE, "[%s] Scales and biases must be floating point, got %s and %s.", op,
                  em_dtype_name(scales->dtype), em_dtype_name(biases->dtype));
        return false;
    }
    if (w->ndim < 2) {
        error_set(EM_ERR_VALUE, "[%s] The matrix should have at least 2 dimensions but it has %d.",
                  op, w->ndim);
        return false;
    }
    *K = w->shape[w->ndim - 1] * 32 / bits;
    return true;
}

static bool same_shape(const em_array *a, const int64_t *shape, int nd) {
    if (a->ndim != nd) return false;
    for (int i = 0; i < nd; i++)
        if (a->shape[i] != shape[i]) return false;
    return true;
}

EM_PUBLIC_OP(em_dequantize,
             (const em_array *w, const em_array *scales, const em_array *biases, int group_size,
              int bits, const char *mode, const em_array *global_scale, em_dtype dtype,
              bool has_dtype),
             (w, scales, biases, group_size, bits, mode, global_scale, dtype, has_dtype)) {
    EM_CHECK_ARG("dequantize", w);
    EM_CHECK_ARG("dequantize", scales);
    int m = quant_mode("dequantize", mode);
    if (m < 0) return NULL;
    if (global_scale && m != EM_QMODE_NVFP4)
        return error_set(EM_ERR_VALUE, "[dequantize] Global scale is only supported for 'nvfp4' "
                                       "quantization mode.");
    if (quant_params("dequantize", mode, &group_size, &bits) < 0) return NULL;
    int64_t K;
    if (!quant_check_packed("dequantize", w, scales, biases, group_size, bits, m, &K)) return NULL;
    em_dtype od = has_dtype ? dtype : m ? EM_BFLOAT16 : scales->dtype;
    if (has_dtype && (!em_dtype_is_valid((int)dtype) || !is_float(dtype)))
        return error_set(EM_ERR_VALUE,
                         "[dequantize] Only real floating types are supported but output dtype == %s.",
                         em_dtype_is_valid((int)dtype) ? em_dtype_name(dtype) : "?");
    int64_t sh[EM_MAX_NDIM];
    memcpy(sh, w->shape, (size_t)w->ndim * sizeof *sh);
    sh[w->ndim - 1] = (w->shape[w->ndim - 1] * 32) % ((int64_t)bits * group_size) ? -1 : K / group_size;
    if (m != EM_QMODE_AFFINE) {
        if (sh[w->ndim - 1] < 0 || !same_shape(scales, sh, w->ndim)) {
            char b1[160], b2[160];
            return error_set(EM_ERR_VALUE,
                             "[dequantize] Shape of scales does not match the matrix given the "
                             "quantization parameters. Provided matrix of shape %s and scales of "
                             "shape %s.",
                             shape_str(w->shape, w->ndim, b1, sizeof b1),
                             shape_str(scales->shape, scales->ndim, b2, sizeof b2));
        }
        em_quant_params p = {group_size, bits, 0, 0, m};
        rule_tmp t = {0};
        em_array *in[3] = {(em_array *)w, (em_array *)scales, NULL};
        if (global_scale && !(in[2] = tk(&t, global_scale_arg("dequantize", global_scale)))) {
            rule_tmp_free(&t);
            return NULL;
        }
        sh[w->ndim - 1] = K;
        em_array *r = tk(&t, node_make(EM_PRIM_DEQUANTIZE, &p, sizeof p, in, global_scale ? 3 : 2,
                                       EM_FLOAT32, sh, w->ndim));
        r = r ? ops_cast(r, od) : NULL;
        rule_tmp_free(&t);
        return r;
    }
    if (sh[w->ndim - 1] < 0 || !same_shape(scales, sh, w->ndim) || !same_shape(biases, sh, w->ndim)) {
        char b1[160], b2[160];
        return error_set(EM_ERR_VALUE,
                         "[dequantize] Shape of scales and biases does not match the matrix given "
                         "the quantization parameters. Provided matrix of shape %s and "
                         "scales/biases of shape %s with group_size=%d and bits=%d.",
                         shape_str(w->shape, w->ndim, b1, sizeof b1),
                         shape_str(scales->shape, scales->ndim, b2, sizeof b2), group_size, bits);
    }
    em_quant_params p = {group_size, bits, 0, 0, 0};
    if (scales->dtype == EM_FLOAT16 || scales->dtype == EM_BFLOAT16) p.round_dt = (int32_t)scales->dtype;
    rule_tmp t = {0};
    em_array *in[3] = {(em_array *)w, tk(&t, ops_cast(scales, EM_FLOAT32)),
                       tk(&t, ops_cast(biases, EM_FLOAT32))};
    sh[w->ndim - 1] = K;
    em_array *r = tk(&t, node_make(EM_PRIM_DEQUANTIZE, &p, sizeof p, in, 3, EM_FLOAT32, sh, w->ndim));
    r = r ? ops_cast(r, od) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* The quantized product with checked arguments: x cast to float32 and
 * flattened to rows, the float32 product reshaped and cast to `od`. */
static em_array *qmm_make(const em_array *x, const em_array *w, const em_array *scales,
                          const em_array *biases, bool transpose, int gs, int bits, int m,
                          em_dtype od) {
    int64_t K = w->shape[1] * 32 / bits, R = w->shape[0];
    int64_t kin = transpose ? K : R, N = transpose ? R : K;
    int64_t rows = kin ? x->size / kin : 0;
    em_quant_params p = {gs, bits, transpose, 0, m};
    rule_tmp t = {0};
    em_array *x2 = tk(&t, ops_cast(x, EM_FLOAT32));
    x2 = tk(&t, ops_reshape(x2, (int64_t[]){rows, kin}, 2));
    em_array *in[4] = {x2, (em_array *)w, m ? (em_array *)scales : tk(&t, ops_cast(scales, EM_FLOAT32)),
                       m ? NULL : tk(&t, ops_cast(biases, EM_FLOAT32))};
    em_array *r = tk(&t, node_make(EM_PRIM_QUANTIZED_MATMUL, &p, sizeof p, in, m ? 3 : 4,
                                   EM_FLOAT32, (int64_t[]){rows, N}, 2));
    int64_t sh[EM_MAX_NDIM];
    memcpy(sh, x->shape, (size_t)x->ndim * sizeof *sh);
    sh[x->ndim - 1] = N;
    r = tk(&t, r ? ops_reshape(r, sh, x->ndim) : NULL);
    r = r ? ops_cast(r, od) : NULL;
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_quantized_matmul,
             (const em_array *x, const em_array *w, const em_array *scales, const em_array *biases,
              bool transpose, int group_size, int bits, const char *mode),
             (x, w, scales, biases, transpose, group_size, bits, mode)) {
    const char *op = "quantized_matmul";
    EM_CHECK_ARG(op, x);
    EM_CHECK_ARG(op, w);
    EM_CHECK_ARG(op, scales);
    int m = quant_params(op, mode, &group_size, &bits);
    if (m < 0) return NULL;
    int64_t K;
    if (!quant_check_packed(op, w, scales, biases, group_size, bits, m, &K)) return NULL;
    char b1[160], b2[160];
    int64_t sh[EM_MAX_NDIM];
    memcpy(sh, w->shape, (size_t)w->ndim * sizeof *sh);
    sh[w->ndim - 1] = K / group_size;
    if (K % group_size || !same_shape(scales, sh, w->ndim) || (!m && !same_shape(biases, sh, w->ndim)))
        return error_set(EM_ERR_VALUE,
                         "[quantized_matmul] The shapes of the weight and scales are incompatible "
                         "based on bits and group_size. w.shape() == %s and scales.shape() == %s "
                         "with group_size=%d and bits=%d",
                         shape_str(w->shape, w->ndim, b1, sizeof b1),
                         shape_str(scales->shape, scales->ndim, b2, sizeof b2), group_size, bits);
    if (x->ndim < 1)
        return error_set(EM_ERR_VALUE, "[quantized_matmul] The input must have at least 1 dimension.");
    if (em_dtype_kind_of(x->dtype) == EM_KIND_COMPLEX)
        return error_set(EM_ERR_VALUE, "[quantized_matmul] Complex inputs are not supported.");
    int64_t rows = w->shape[w->ndim - 2], kin = transpose ? K : rows;
    if (x->shape[x->ndim - 1] != kin) {
        int64_t wsh[2] = {transpose ? K : rows, transpose ? rows : K};
        return error_set(EM_ERR_VALUE,
                         "[quantized_matmul] Last dimension of first input with shape (..., %lld) "
                         "does not match the expanded quantized matrix %s computed from shape %s "
                         "with group_size=%d, bits=%d and transpose=%s",
                         (long long)x->shape[x->ndim - 1], shape_str(wsh, 2, b1, sizeof b1),
                         shape_str(w->shape, w->ndim, b2, sizeof b2), group_size, bits,
                         transpose ? "true" : "false");
    }
    em_dtype od = em_result_type(x->dtype, scales->dtype);
    if (!is_float(od)) od = EM_FLOAT32;
    if (m != EM_QMODE_AFFINE) {
        if (!is_float(x->dtype))
            return error_set(EM_ERR_VALUE,
                             "[quantized_matmul] Only real floating types are supported but "
                             "x.dtype() == %s.",
                             em_dtype_name(x->dtype));
        od = x->dtype;
    }
    if (w->ndim == 2) return qmm_make(x, w, scales, biases, transpose, group_size, bits, m, od);
    /* batched w: dequantized, then matmul's broadcasting (and its rules) */
    if (x->ndim < 2)
        return error_set(EM_ERR_VALUE, "[quantized_matmul] A batched w needs x of at least 2 dimensions.");
    rule_tmp t = {0};
    em_array *W = tk(&t, em_dequantize(w, scales, biases, group_size, bits, mode, NULL, EM_FLOAT32, true));
    if (W && transpose) W = tk(&t, em_swapaxes(W, -1, -2));
    em_array *r = W ? tk(&t, em_matmul(tk(&t, ops_cast(x, od)), W)) : NULL;
    r = r ? ops_cast(r, od) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* gather_qmm: the quantized experts dequantized, then gather_mm (which
 * brings the indexing, broadcasting and the gradient to x). */
EM_PUBLIC_OP(em_gather_qmm,
             (const em_array *x, const em_array *w, const em_array *scales, const em_array *biases,
              const em_array *lhs_indices, const em_array *rhs_indices, bool transpose,
              int group_size, int bits, const char *mode, const em_array *global_scale,
              bool sorted_indices),
             (x, w, scales, biases, lhs_indices, rhs_indices, transpose, group_size, bits, mode,
              global_scale, sorted_indices)) {
    const char *op = "gather_qmm";
    EM_CHECK_ARG(op, x);
    EM_CHECK_ARG(op, w);
    EM_CHECK_ARG(op, scales);
    int m = quant_params(op, mode, &group_size, &bits);
    if (m < 0) return NULL;
    int64_t K;
    if (!quant_check_packed(op, w, scales, biases, group_size, bits, m, &K)) return NULL;
    if (global_scale && m != EM_QMODE_NVFP4)
        return error_set(EM_ERR_VALUE, "[gather_qmm] Global scale is only supported for 'nvfp4' "
                                       "quantization mode.");
    if (global_scale && !lhs_indices && !rhs_indices)
        return error_set(EM_ERR_VALUE, "[gather_qmm] Global scale is not supported without indices.");
    if (global_scale && !same_shape(global_scale, w->shape, w->ndim - 2)) {
        char b1[160], b2[160];
        return error_set(EM_ERR_VALUE,
                         "[gather_qmm] Global scale must have one entry per expert with shape %s "
                         "but got %s.",
                         shape_str(w->shape, w->ndim - 2, b1, sizeof b1),
                         shape_str(global_scale->shape, global_scale->ndim, b2, sizeof b2));
    }
    if (global_scale && global_scale->dtype != EM_FLOAT32)
        return error_set(EM_ERR_VALUE, "[gather_qmm] Global scale must have dtype float32 but got %s.",
                         em_dtype_name(global_scale->dtype));
    if (m != EM_QMODE_AFFINE && !is_float(x->dtype))
        return error_set(EM_ERR_VALUE,
                         "[gather_qmm] Only real floating types are supported but x.dtype() == %s.",
                         em_dtype_name(x->dtype));
    if ((lhs_indices && em_dtype_kind_of(lhs_indices->dtype) != EM_KIND_INT &&
         em_dtype_kind_of(lhs_indices->dtype) != EM_KIND_UINT) ||
        (rhs_indices && em_dtype_kind_of(rhs_indices->dtype) != EM_KIND_INT &&
         em_dtype_kind_of(rhs_indices->dtype) != EM_KIND_UINT))
        return error_set(EM_ERR_VALUE,
                         "[gather_qmm] Got indices with invalid dtype. Indices must be integral.");
    rule_tmp t = {0};
    em_array *W = tk(&t, em_dequantize(w, scales, biases, group_size, bits, mode, NULL, EM_FLOAT32,
                                       m != EM_QMODE_AFFINE));
    if (W && global_scale) { /* each expert's global scale / (448 * 6) on its decoded scales */
        int64_t gsh[EM_MAX_NDIM];
        memcpy(gsh, global_scale->shape, (size_t)global_scale->ndim * sizeof *gsh);
        gsh[global_scale->ndim] = gsh[global_scale->ndim + 1] = 1;
        em_array *f = tk(&t, em_divide(global_scale, tk(&t, em_full_double(NULL, 0, 2688.0, EM_FLOAT32))));
        f = f ? tk(&t, em_reshape(f, gsh, global_scale->ndim + 2)) : NULL;
        W = f ? tk(&t, em_multiply(W, f)) : NULL;
    }
    if (W && transpose) W = tk(&t, em_swapaxes(W, -1, -2));
    if (W && m != EM_QMODE_AFFINE) W = tk(&t, ops_cast(W, x->dtype));
    em_array *r = W ? em_gather_mm(x, W, lhs_indices, rhs_indices, sorted_indices) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- fp8 */

EM_PUBLIC_OP(em_to_fp8, (const em_array *x), (x)) {
    EM_CHECK_ARG("to_fp8", x);
    if (!is_float(x->dtype) && em_dtype_kind_of(x->dtype) != EM_KIND_INT &&
        em_dtype_kind_of(x->dtype) != EM_KIND_UINT && em_dtype_kind_of(x->dtype) != EM_KIND_BOOL)
        return error_set(EM_ERR_VALUE, "[to_fp8] Unsupported input type %s.", em_dtype_name(x->dtype));
    em_array *in = ops_cast(x, EM_FLOAT32);
    em_array *r = in ? node_make(EM_PRIM_TO_FP8, NULL, 0, &in, 1, EM_UINT8, x->shape, x->ndim) : NULL;
    em_array_release(in);
    return r;
}

EM_PUBLIC_OP(em_from_fp8, (const em_array *x, em_dtype dtype), (x, dtype)) {
    EM_CHECK_ARG("from_fp8", x);
    if (x->dtype != EM_UINT8)
        return error_set(EM_ERR_VALUE, "[from_fp8] Input must have type uint8 but x.dtype() == %s.",
                         em_dtype_name(x->dtype));
    if (!em_dtype_is_valid((int)dtype) || !is_float(dtype))
        return error_set(EM_ERR_VALUE, "[from_fp8] Only real floating types are supported.");
    em_array *in = (em_array *)x;
    em_array *r = node_make(EM_PRIM_FROM_FP8, NULL, 0, &in, 1, EM_FLOAT32, x->shape, x->ndim);
    em_array *o = r ? ops_cast(r, dtype) : NULL;
    em_array_release(r);
    return o;
}

/* ---------------------------------------------------------------- rules */

/* The gradient of the dequantized matrix's loss (dW, shaped as W: (R, K) or
 * (K, N)) summed into scales (times q) and biases, per group. */
static em_array *group_sum(rule_tmp *t, em_array *a, const em_array *like, int gs) {
    int64_t sh[EM_MAX_NDIM + 1];
    memcpy(sh, like->shape, (size_t)like->ndim * sizeof *sh);
    sh[like->ndim] = gs;
    em_array *r = tk(t, em_reshape(a, sh, like->ndim + 1));
    int ax = like->ndim;
    return tk(t, em_sum(r, &ax, 1, false));
}

em_status ops_quant_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    const em_quant_params *p = NODE_PARAMS(n, em_quant_params);
    if (n->prim == EM_PRIM_TO_FP8 || n->prim == EM_PRIM_FROM_FP8) return ops_no_vjp(n);
    if (n->prim == EM_PRIM_QUANTIZE) return ops_no_vjp(n);
    rule_tmp t = {0};
    if (n->prim == EM_PRIM_DEQUANTIZE) {
        if (want[0]) return error_status(EM_ERR_RUNTIME, "[Dequantize::vjp] no gradient wrt the quantized weights.");
        if (p->mode)
            return error_status(EM_ERR_RUNTIME, "[Dequantize::vjp] no gradient wrt the scales of "
                                                "the '%s' quantization mode.", QMODE_NAMES[p->mode]);
        em_array *q = tk(&t, em_dequantize(in[0], tk(&t, em_ones_like(in[1])), tk(&t, em_zeros_like(in[2])),
                                           p->group_size, p->bits, "affine", NULL, EM_FLOAT32, true));
        if (want[1]) grads[1] = em_array_retain(group_sum(&t, tk(&t, em_multiply(cot[0], q)), in[1], p->group_size));
        if (want[2]) grads[2] = em_array_retain(group_sum(&t, cot[0], in[2], p->group_size));
        rule_tmp_free(&t);
        return (want[1] && !grads[1]) || (want[2] && !grads[2]) ? em_error_code() : EM_OK;
    }
    /* QUANTIZED_MATMUL: x (M, kin), cot (M, N) */
    if (want[1]) return error_status(EM_ERR_RUNTIME, "[QuantizedMatmul::vjp] no gradient wrt the quantized weights.");
    if (want[0])
        grads[0] = qmm_make(cot[0], in[1], in[2], p->mode ? NULL : in[3], !p->transpose,
                            p->group_size, p->bits, p->mode, EM_FLOAT32);
    if (p->mode && want[2])
        return error_status(EM_ERR_RUNTIME, "[QuantizedMatmul::vjp] no gradient wrt the scales of "
                                            "the '%s' quantization mode.", QMODE_NAMES[p->mode]);
    if (!p->mode && (want[2] || want[3])) {
        /* dW = cot^T x (R, K) for x @ W^T; x^T cot (K, N) for x @ W */
        em_array *dw = p->transpose
                           ? tk(&t, em_matmul(tk(&t, em_swapaxes(cot[0], 0, 1)), in[0]))
                           : tk(&t, em_matmul(tk(&t, em_swapaxes(in[0], 0, 1)), cot[0]));
        em_array *q = tk(&t, em_dequantize(in[1], tk(&t, em_ones_like(in[2])), tk(&t, em_zeros_like(in[3])),
                                           p->group_size, p->bits, "affine", NULL, EM_FLOAT32, true));
        if (want[2]) grads[2] = em_array_retain(group_sum(&t, tk(&t, em_multiply(dw, q)), in[2], p->group_size));
        if (want[3]) grads[3] = em_array_retain(group_sum(&t, dw, in[3], p->group_size));
    }
    rule_tmp_free(&t);
    for (int i = 0; i < n->n_in; i++)
        if (i != 1 && want[i] && !grads[i]) return em_error_code();
    return EM_OK;
}

em_status ops_quant_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    (void)out;
    const em_quant_params *p = NODE_PARAMS(n, em_quant_params);
    if (n->prim != EM_PRIM_QUANTIZED_MATMUL) return ops_no_jvp(n);
    if (tan[1] || tan[2] || (n->n_in > 3 && tan[3]))
        return error_status(EM_ERR_RUNTIME, "[QuantizedMatmul::jvp] No JVP wrt the quantized matrix yet.");
    out_tan[0] = qmm_make(tan[0], in[1], in[2], p->mode ? NULL : in[3], p->transpose,
                          p->group_size, p->bits, p->mode, EM_FLOAT32);
    return rule_status(out_tan[0]);
}

/* QUANTIZE, DEQUANTIZE and the fp8 conversions act row by row on any leading
 * dims, so the batch axis goes to the front and the op is rebuilt; MLX has no
 * vmap for QuantizedMatmul. */
em_status ops_quant_vmap(const em_node *n, em_array *const *in, const int *axes,
                         em_array **out, int *out_axes) {
    const em_quant_params *p = NODE_PARAMS(n, em_quant_params);
    if (n->prim == EM_PRIM_QUANTIZED_MATMUL)
        return error_status(EM_ERR_RUNTIME, "[QuantizedMatmul::vmap] NYI");
    int64_t bsz = 0;
    for (int i = 0; i < n->n_in; i++)
        if (axes[i] >= 0) bsz = in[i]->shape[axes[i]];
    rule_tmp t = {0};
    em_array *x[3] = {NULL, NULL, NULL};
    /* the fp modes' global scale (the last input) stays unbatched */
    int gsi = (n->prim == EM_PRIM_QUANTIZE || n->prim == EM_PRIM_DEQUANTIZE) && p->mode && n->n_in == (n->prim == EM_PRIM_QUANTIZE ? 2 : 3) ? n->n_in - 1 : -1;
    if (gsi >= 0 && axes[gsi] >= 0)
        return error_status(EM_ERR_VALUE, "[%s::vmap] A batched global scale is not supported.",
                            n->prim == EM_PRIM_QUANTIZE ? "Quantize" : "Dequantize");
    for (int i = 0; i < n->n_in; i++) {
        if (i == gsi) {
            x[i] = in[i];
        } else if (axes[i] >= 0) {
            x[i] = tk(&t, em_moveaxis(in[i], axes[i], 0));
        } else {
            int64_t sh[EM_MAX_NDIM];
            sh[0] = bsz;
            memcpy(sh + 1, in[i]->shape, (size_t)in[i]->ndim * sizeof *sh);
            int zero = 0;
            x[i] = tk(&t, ops_broadcast(tk(&t, em_expand_dims(in[i], &zero, 1)), sh, in[i]->ndim + 1));
        }
    }
    em_status s = EM_OK;
    for (int i = 0; i < n->n_out; i++) out_axes[i] = 0;
    switch (n->prim) {
    case EM_PRIM_QUANTIZE: {
        int k;
        s = em_quantize(x[0], p->group_size, p->bits, QMODE_NAMES[p->mode], gsi >= 0 ? x[gsi] : NULL,
                        out, &k);
        for (int i = 1; i < 3 && s == EM_OK && !p->mode; i++) {
            em_array *c = ops_cast(out[i], EM_FLOAT32);
            em_array_release(out[i]);
            out[i] = c;
        }
        break;
    }
    case EM_PRIM_DEQUANTIZE:
        out[0] = p->mode ? em_dequantize(x[0], x[1], NULL, p->group_size, p->bits, QMODE_NAMES[p->mode],
                                         gsi >= 0 ? x[gsi] : NULL, EM_FLOAT32, true)
                         : em_dequantize(x[0], x[1], x[2], p->group_size, p->bits, "affine", NULL,
                                         EM_FLOAT32, true);
        s = rule_status(out[0]);
        break;
    case EM_PRIM_TO_FP8: out[0] = em_to_fp8(x[0]), s = rule_status(out[0]); break;
    default: out[0] = em_from_fp8(x[0], EM_FLOAT32), s = rule_status(out[0]); break;
    }
    rule_tmp_free(&t);
    return s;
}
