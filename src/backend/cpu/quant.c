/* quant.c -- the CPU kernels of the quantisation family (contracts in
 * src/ops/quant.c): affine group quantise/dequantise, the quantized matmul
 * (matrix-vector rows by a fused unpack-and-dot, larger products by
 * dequantising panels of W to float32 and calling sgemm) and fp8 e4m3. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/error.h"
#include "../../core/half.h"
#include "kernels.h"
#include "pool.h"
#include "quant_fp.h"

/* A row-major view of `a`'s data: its own buffer when dense, else a packed
 * copy to free (*owned). NULL with an error when out of memory. */
static const void *dense(const em_array *a, void **owned) {
    *owned = NULL;
    if (a->size == 0 || (a->flags & EM_AF_ROW_CONTIG)) return array_ptr(a);
    size_t is = array_itemsize(a);
    char *d = malloc((size_t)a->size * is);
    if (!d) {
        error_set(EM_ERR_MEMORY, "[quantize] Out of memory.");
        return NULL;
    }
    int64_t idx[EM_MAX_NDIM] = {0};
    const char *base = array_ptr(a);
    for (int64_t i = 0; i < a->size; i++) {
        int64_t off = 0;
        for (int k = 0; k < a->ndim; k++) off += idx[k] * a->strides[k];
        memcpy(d + (size_t)i * is, base + off * (int64_t)is, is);
        for (int k = a->ndim - 1; k >= 0; k--) {
            if (++idx[k] < a->shape[k]) break;
            idx[k] = 0;
        }
    }
    *owned = d;
    return d;
}

/* Element i of a packed row (a little-endian bit stream of `bits` wide codes). */
static inline uint32_t unpack_one(const uint32_t *row, int64_t i, int bits) {
    int64_t bit = i * bits;
    int64_t w = bit >> 5;
    int off = (int)(bit & 31);
    uint64_t v = row[w] >> off;
    if (off + bits > 32) v |= (uint64_t)row[w + 1] << (32 - off);
    return (uint32_t)v & ((1u << bits) - 1u);
}

/* Dequantises n codes of a packed row starting at element k0 (a multiple of
 * gs) into out, with the row's scales and biases. */
static void dequant_row(const uint32_t *row, const float *s, const float *b, int64_t k0, int64_t n,
                        int gs, int bits, float *out) {
    for (int64_t g = k0 / gs; g * gs < k0 + n; g++) {
        float sc = s[g], bi = b[g];
        int64_t a = g * gs, e = a + gs;
        if (bits == 4) {
            for (int64_t k = a; k < e; k += 8) {
                uint32_t w = row[k >> 3];
                for (int j = 0; j < 8; j++) out[k - k0 + j] = sc * (float)((w >> (4 * j)) & 15u) + bi;
            }
        } else if (bits == 8) {
            for (int64_t k = a; k < e; k++)
                out[k - k0] = sc * (float)((row[k >> 2] >> (8 * (k & 3))) & 255u) + bi;
        } else {
            for (int64_t k = a; k < e; k++) out[k - k0] = sc * (float)unpack_one(row, k, bits) + bi;
        }
    }
}

/* f rounded to float16 (dt EM_FLOAT16) or bfloat16. */
static inline float half_round(float f, int dt) {
    return dt == EM_FLOAT16 ? em_f16_to_f32(em_f32_to_f16(f)) : em_bf16_to_f32(em_f32_to_bf16(f));
}

/* ---------------------------------------------------------------- quantize */

static void quantize_rows(const float *w, int64_t rows, int64_t K, int gs, int bits,
                          uint32_t *q, float *scales, float *biases) {
    float n_bins = (float)((1 << bits) - 1);
    int64_t ng = K / gs, nw = K * bits / 32;
    for (int64_t r = 0; r < rows; r++) {
        uint32_t *qr = q + r * nw;
        memset(qr, 0, (size_t)nw * sizeof *qr);
        for (int64_t g = 0; g < ng; g++) {
            const float *x = w + r * K + g * gs;
            float mx = x[0], mn = x[0];
            for (int j = 1; j < gs; j++) {
                mx = x[j] > mx ? x[j] : mx;
                mn = x[j] < mn ? x[j] : mn;
            }
            bool mask = fabsf(mn) > fabsf(mx);
            float scale = (mx - mn) / n_bins;
            scale = scale > 1e-7f ? scale : 1e-7f;
            scale = mask ? scale : -scale;
            float edge = mask ? mn : mx;
            float q0 = rintf(edge / scale), bias = 0.0f;
            if (bits == 1) { /* MLX: plain min/max, codes 0 and 1 */
                scale = fabsf(scale);
                bias = mn;
            } else if (q0 != 0.0f) {
                scale = edge / q0;
                bias = edge;
            }
            scales[r * ng + g] = scale;
            biases[r * ng + g] = bias;
            for (int j = 0; j < gs; j++) {
                float v = rintf((x[j] - bias) / scale);
                v = v < 0.0f ? 0.0f : v > n_bins ? n_bins : v;
                uint64_t code = (uint64_t)v;
                int64_t bit = (g * gs + j) * bits;
                int64_t wi = bit >> 5;
                int off = (int)(bit & 31);
                qr[wi] |= (uint32_t)(code << off);
                if (off + bits > 32) qr[wi + 1] |= (uint32_t)(code >> (32 - off));
            }
        }
    }
}

/* ---------------------------------------------------------------- matmul */

typedef struct {
    const float *x, *s, *b;
    const uint32_t *w;
    float *out, *panel;
    int64_t M, K, N, nw, ng, p0;
    int gs, bits;
    const fpq_tables *fp; /* the fp modes: decode tables, s holds uint8 codes */
} qmm_ctx;

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QUANT_X86 1
/* sum_j q_j x_j per group of one 4-bit row, folded with the scales: returns
 * sum_g s_g (q_g . x_g). AVX2: one packed word is 8 codes, shifted apart
 * lane by lane. */
__attribute__((target("avx2,fma"))) static float dot4_avx2(const uint32_t *row, const float *x,
                                                            const float *s, int64_t ng, int gs) {
    const __m256i sh = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), m15 = _mm256_set1_epi32(15);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
        const uint32_t *wg = row + g * gs / 8;
        const float *xg = x + g * gs;
        for (int j = 0; j < gs / 8; j += 2) {
            __m256i w0 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)wg[j]), sh), m15);
            __m256i w1 = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)wg[j + 1]), sh), m15);
            d0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w0), _mm256_loadu_ps(xg + 8 * j), d0);
            d1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w1), _mm256_loadu_ps(xg + 8 * j + 8), d1);
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(s[g]), _mm256_add_ps(d0, d1), acc);
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}
#endif

/* The same for any width, portably (8 lanes the compiler may vectorise). */
static float dot_any(const uint32_t *row, const float *x, const float *s, int64_t ng, int gs,
                     int bits) {
    float acc = 0.0f;
    for (int64_t g = 0; g < ng; g++) {
        float lane[8] = {0};
        int64_t a = g * gs;
        for (int j = 0; j < gs; j += 8)
            for (int t = 0; t < 8; t++)
                lane[t] += (float)unpack_one(row, a + j + t, bits) * x[a + j + t];
        acc += s[g] * (((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                       ((lane[4] + lane[5]) + (lane[6] + lane[7])));
    }
    return acc;
}

/* Rows [r0, r1) of W (R = N rows of K, transpose) dotted with each x row,
 * for small M: out[m, r] = sum_g s_g (q_g . x_g) + b_g sum(x_g), the x group
 * sums precomputed in c->panel (M x ng). */
static void qmm_vec_part(void *vctx, int64_t r0, int64_t r1) {
    const qmm_ctx *c = vctx;
    if (c->fp) { /* the fp modes: table-decoded dot products, no biases */
        for (int64_t r = r0; r < r1; r++)
            for (int64_t m = 0; m < c->M; m++)
                c->out[m * c->N + r] = fpq_dot(c->fp, c->w + r * c->nw,
                                               (const uint8_t *)c->s + r * c->ng, c->x + m * c->K,
                                               c->ng, c->gs, c->bits);
        return;
    }
#ifdef QUANT_X86
    bool avx2 = c->bits == 4 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    for (int64_t r = r0; r < r1; r++) {
        const uint32_t *row = c->w + r * c->nw;
        const float *s = c->s + r * c->ng, *b = c->b + r * c->ng;
        for (int64_t m = 0; m < c->M; m++) {
            const float *x = c->x + m * c->K, *xs = c->panel + m * c->ng;
            float acc;
#ifdef QUANT_X86
            if (avx2)
                acc = dot4_avx2(row, x, s, c->ng, c->gs);
            else
#endif
                acc = dot_any(row, x, s, c->ng, c->gs, c->bits);
            for (int64_t g = 0; g < c->ng; g++) acc += b[g] * xs[g];
            c->out[m * c->N + r] = acc;
        }
    }
}

/* Dequantises packed rows [p0 + i0, p0 + i1) into the panel. */
static void qmm_panel_part(void *vctx, int64_t i0, int64_t i1) {
    const qmm_ctx *c = vctx;
    int64_t width = c->nw * 32 / c->bits;
    for (int64_t i = i0; i < i1; i++) {
        int64_t r = c->p0 + i;
        if (c->fp)
            fpq_dequant_row(c->fp, c->w + r * c->nw, (const uint8_t *)c->s + r * c->ng, 0, width,
                            c->gs, c->bits, c->panel + i * width);
        else
            dequant_row(c->w + r * c->nw, c->s + r * c->ng, c->b + r * c->ng, 0, width, c->gs,
                        c->bits, c->panel + i * width);
    }
}

#define QMM_PANEL 256

static em_status qmm_run(const em_node *n, const float *x, const uint32_t *w, const void *s,
                         const float *b, float *out, int64_t M, int64_t R, int64_t nw) {
    const em_quant_params *p = NODE_PARAMS(n, em_quant_params);
    int64_t width = nw * 32 / p->bits; /* the unpacked row length */
    fpq_tables tab;
    if (p->mode) fpq_tables_init(&tab, p->mode, NULL);
    qmm_ctx c = {x, s, b, w, out, NULL, M, 0, 0, nw, width / p->group_size, 0, p->group_size, p->bits,
                 p->mode ? &tab : NULL};
    if (M == 0) return EM_OK;
    if (p->transpose && p->mode) {
        c.K = width;
        c.N = R;
        if (M <= 4) {
            cpu_pool_parallel_for(R, 16, qmm_vec_part, &c);
            return EM_OK;
        }
    } else if (p->transpose) {
        c.K = width;
        c.N = R;
        if (M <= 4) {
            c.panel = malloc((size_t)(M * c.ng + 1) * sizeof(float));
            if (!c.panel) return error_status(EM_ERR_MEMORY, "[quantized_matmul] Out of memory.");
            for (int64_t m = 0; m < M; m++)
                for (int64_t g = 0; g < c.ng; g++) {
                    float sx = 0.0f;
                    for (int j = 0; j < p->group_size; j++) sx += x[m * width + g * p->group_size + j];
                    c.panel[m * c.ng + g] = sx;
                }
            cpu_pool_parallel_for(R, 16, qmm_vec_part, &c);
            free(c.panel);
            return EM_OK;
        }
    } else {
        c.K = R;
        c.N = width;
    }
    if (width == 0 || R == 0) {
        memset(out, 0, (size_t)(M * c.N) * sizeof *out);
        return EM_OK;
    }
    int64_t pr = QMM_PANEL;
    c.panel = malloc((size_t)(pr < R ? pr : R) * (size_t)width * sizeof(float));
    if (!c.panel) return error_status(EM_ERR_MEMORY, "[quantized_matmul] Out of memory.");
    for (int64_t p0 = 0; p0 < R; p0 += pr) {
        int64_t np = R - p0 < pr ? R - p0 : pr;
        c.p0 = p0;
        cpu_pool_parallel_for(np, 8, qmm_panel_part, &c);
        if (p->transpose) /* out[:, p0:p0+np] = x (M, K) @ panel^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)np, (int)width, 1.0f,
                        x, (int)width, c.panel, (int)width, 0.0f, out + p0, (int)R);
        else /* out += x[:, p0:p0+np] @ panel (np, N) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)width, (int)np, 1.0f,
                        x + p0, (int)R, c.panel, (int)width, p0 ? 1.0f : 0.0f, out, (int)width);
    }
    free(c.panel);
    return EM_OK;
}

/* ---------------------------------------------------------------- fp8 */

static uint8_t fp8_encode(float f) {
    uint8_t sign = signbit(f) ? 0x80 : 0;
    float a = fabsf(f);
    if (isnan(f) || a >= 448.0f) return (uint8_t)(sign | 0x7e);
    if (a < 0.015625f) /* subnormal: units of 2^-9; 8 units is the first normal */
        return (uint8_t)(sign | (uint8_t)nearbyintf(a * 512.0f));
    int e;
    float m = frexpf(a, &e); /* a = m 2^e, m in [0.5, 1) */
    int exp = e - 1;
    int q = (int)nearbyintf((m * 2.0f - 1.0f) * 8.0f);
    if (q == 8) q = 0, exp++;
    int code = ((exp + 7) << 3) | q;
    return (uint8_t)(sign | (code > 0x7e ? 0x7e : code));
}

static float fp8_decode(uint8_t v) {
    float sign = v & 0x80 ? -1.0f : 1.0f;
    int e = (v >> 3) & 15, m = v & 7;
    if (e == 15 && m == 7) return NAN;
    if (e == 0) return sign * ldexpf((float)m, -9);
    return sign * ldexpf(1.0f + (float)m / 8.0f, e - 7);
}

/* ---------------------------------------------------------------- dispatch */

em_status cpu_quant_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    const em_quant_params *p = NODE_PARAMS(n, em_quant_params);
    void *own[4] = {NULL, NULL, NULL, NULL};
    const void *d[4] = {NULL, NULL, NULL, NULL};
    em_status st = EM_OK;
    for (int i = 0; i < n->n_in; i++)
        if (!(d[i] = dense(in[i], &own[i]))) st = EM_ERR_MEMORY;
    if (st != EM_OK) goto done;
    switch (n->prim) {
    case EM_PRIM_QUANTIZE: { /* outputs the caller released: written to scratch */
        int64_t K = in[0]->ndim ? in[0]->shape[in[0]->ndim - 1] : 1;
        int64_t rows = K ? in[0]->size / K : 0;
        void *o[3] = {NULL, NULL, NULL}, *scratch[3] = {NULL, NULL, NULL};
        size_t item[3] = {4, p->mode ? 1 : 4, 4};
        int64_t cnt[3] = {rows * (K * p->bits / 32), rows * (K / p->group_size),
                          rows * (K / p->group_size)};
        for (int i = 0; i < n->n_out; i++) {
            o[i] = out[i] ? array_ptr(out[i]) : (scratch[i] = malloc((size_t)cnt[i] * item[i] + 1));
            if (!o[i]) st = error_status(EM_ERR_MEMORY, "[quantize] Out of memory.");
        }
        if (st == EM_OK && p->mode)
            fpq_quantize_rows(d[0], rows, K, p, n->n_in > 1 ? (const float *)d[1] : NULL, o[0], o[1]);
        else if (st == EM_OK)
            quantize_rows(d[0], rows, K, p->group_size, p->bits, o[0], o[1], o[2]);
        for (int i = 0; i < 3; i++) free(scratch[i]);
        break;
    }
    case EM_PRIM_DEQUANTIZE: {
        int64_t nw = in[0]->shape[in[0]->ndim - 1], K = nw * 32 / p->bits, ng = K / p->group_size;
        int64_t rows = nw ? in[0]->size / nw : 0;
        float *o = (float *)array_ptr(out[0]);
        if (p->mode) {
            fpq_tables tab;
            fpq_tables_init(&tab, p->mode, n->n_in > 2 ? (const float *)d[2] : NULL);
            for (int64_t r = 0; r < rows; r++)
                fpq_dequant_row(&tab, (const uint32_t *)d[0] + r * nw, (const uint8_t *)d[1] + r * ng,
                                0, K, p->group_size, p->bits, o + r * K);
            break;
        }
        const float *s = d[1], *b = d[2];
        for (int64_t r = 0; r < rows; r++) {
            if (p->round_dt) { /* a half dtype: scale * q and the sum each rounded to it */
                for (int64_t k = 0; k < K; k++) {
                    int64_t g = r * ng + k / p->group_size;
                    float q = (float)unpack_one((const uint32_t *)d[0] + r * nw, k, p->bits);
                    o[r * K + k] = half_round(half_round(s[g] * q, p->round_dt) + b[g], p->round_dt);
                }
            } else {
                dequant_row((const uint32_t *)d[0] + r * nw, s + r * ng, b + r * ng, 0, K,
                            p->group_size, p->bits, o + r * K);
            }
        }
        break;
    }
    case EM_PRIM_QUANTIZED_MATMUL:
        st = qmm_run(n, d[0], d[1], d[2], n->n_in > 3 ? d[3] : NULL, (float *)array_ptr(out[0]), in[0]->shape[0],
                     in[1]->shape[0], in[1]->shape[1]);
        break;
    case EM_PRIM_TO_FP8: {
        const float *x = d[0];
        uint8_t *o = (uint8_t *)array_ptr(out[0]);
        for (int64_t i = 0; i < in[0]->size; i++) o[i] = fp8_encode(x[i]);
        break;
    }
    case EM_PRIM_FROM_FP8: {
        const uint8_t *x = d[0];
        float *o = (float *)array_ptr(out[0]);
        for (int64_t i = 0; i < in[0]->size; i++) o[i] = fp8_decode(x[i]);
        break;
    }
    default: st = cpu_unsupported(n, in[0]->dtype); break;
    }
done:
    for (int i = 0; i < 4; i++) free(own[i]);
    return st;
}
