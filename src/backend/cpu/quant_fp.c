/* quant_fp.c -- CPU kernels of MLX's floating-point quantisation modes:
 * mxfp4 (fp4 e2m1 codes, e8m0 power-of-two scale per 32), mxfp8 (fp8 e4m3
 * codes, e8m0 scale per 32) and nvfp4 (fp4 codes, e4m3 scale per 16, an
 * optional float32 global scale). Bit for bit what MLX 0.32's CPU build
 * writes (its recipe, established against it in tests/python/data/
 * gen_quant_fp_mlx.py): per group, scale = max|w| / (6 or 448) in w's dtype;
 * mx*: the exponent is the exact ceil(log2(scale)) (0 for a zero scale; a
 * non-finite scale stores 128, or 0 for a half w, and divides by 0),
 * nvfp4: the scale's e4m3 code; the elements w / decoded scale (in w's dtype) are coded: fp4 by the
 * nearest of the 16 code values (float32 distances, also for half inputs;
 * the lowest code on a tie, +0 before -0), fp8 by to_fp8. */
#include "quant_fp.h"

#include <math.h>
#include <string.h>

#include "../../core/half.h"
#include "pool.h"

static const float FP4_VALUES[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                     -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

/* ---------------------------------------------------------------- e4m3, e8m0 */

/* float -> e4m3 code, round to nearest even, saturating to +-448 (NaN too),
 * the sign kept: done on the float's bits like MLX's ToFP8. */
static uint8_t e4m3_encode(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = u & 0x80000000u, a = u ^ sign;
    uint8_t r;
    if (a >= 543u << 21) { /* >= 464 (rounds past 448), inf, NaN */
        r = 0x7e;
    } else if (a < 121u << 23) { /* below 2^-6: subnormal codes via an aligned add */
        float t, m;
        uint32_t mb = 141u << 23;
        memcpy(&m, &mb, 4);
        memcpy(&t, &a, 4);
        t += m;
        uint32_t tb;
        memcpy(&tb, &t, 4);
        r = (uint8_t)(tb - mb);
    } else {
        uint32_t odd = (a >> 20) & 1u;
        a += ((uint32_t)(7 - 127) << 23) + 0x7ffffu + odd;
        r = (uint8_t)(a >> 20);
    }
    return (uint8_t)(r | (sign >> 24));
}

static float e4m3_decode(uint8_t v) {
    int e = (v >> 3) & 15, m = v & 7;
    float a = (e == 15 && m == 7) ? NAN : e == 0 ? ldexpf((float)m, -9) : ldexpf(8.0f + (float)m, e - 10);
    return v & 0x80 ? -a : a;
}

static float e8m0_decode(uint8_t v) { return v == 0 ? ldexpf(1.0f, -127) : v == 255 ? INFINITY : ldexpf(1.0f, v - 127); }

/* ---------------------------------------------------------------- tables */

void fpq_tables_init(fpq_tables *t, int mode, const float *global_scale) {
    for (int i = 0; i < 256; i++)
        t->elem[i] = mode == EM_QMODE_MXFP8 ? e4m3_decode((uint8_t)i) : FP4_VALUES[i & 15];
    float inv = global_scale ? *global_scale / 2688.0f : 1.0f; /* 448 * 6 */
    for (int i = 0; i < 256; i++)
        t->scale[i] = mode == EM_QMODE_NVFP4 ? e4m3_decode((uint8_t)i) * (global_scale ? inv : 1.0f)
                                             : e8m0_decode((uint8_t)i);
}

/* ---------------------------------------------------------------- quantize */

/* f rounded to dt (0: float32); MLX's bfloat16 NaN is positive. */
static inline float rnd(float f, int dt) {
    if (!dt) return f;
    if (dt == EM_FLOAT16) return em_f16_to_f32(em_f32_to_f16(f));
    return isnan(f) ? NAN : em_bf16_to_f32(em_f32_to_bf16(f));
}

/* x / d with x86's results where d is 0 (MLX divides): 0/0 the default NaN
 * (sign set), a NaN x kept. */
static inline float qdiv(float x, float d) {
    if (d == 0.0f && x == 0.0f) return -NAN;
    return x / d;
}

/* The fp4 code of v: the nearest code value by float32 distance (MLX
 * measures in float32 for half inputs too: bfloat16 shows it), the first
 * code on ties (so -0 and small negatives code +0); NaN and inf code 0. */
static inline uint32_t fp4_code_slow(float v) {
    uint32_t best = 0;
    float bd = fabsf(v - FP4_VALUES[0]);
    for (uint32_t i = 1; i < 16; i++) {
        float d = fabsf(v - FP4_VALUES[i]);
        if (d < bd) bd = d, best = i;
    }
    return best;
}

/* The same by thresholds up to 6: between two
 * neighbouring code values the differences are exact (Sterbenz), so the
 * nearest with ties to the lower magnitude is exactly MLX's choice. Beyond 6
 * (where rounded distances can tie, to code 0 for huge v), inf and NaN: the
 * distances themselves. */
static inline uint32_t fp4_code(float v) {
    float a = fabsf(v);
    if (!(a <= 6.0f)) return fp4_code_slow(v);
    uint32_t m = a <= 0.25f ? 0 : a <= 0.75f ? 1 : a <= 1.25f ? 2 : a <= 1.75f ? 3
               : a <= 2.5f ? 4 : a <= 3.5f ? 5 : a <= 5.0f ? 6 : 7;
    return m && signbit(v) ? m | 8u : m;
}

/* The power-of-two exponent of an mx scale: the least e with 2^e >= s. */
static inline int ceil_log2(float s) {
    int e;
    float m = frexpf(s, &e); /* s = m 2^e, m in [0.5, 1) */
    return m == 0.5f ? e - 1 : e;
}

typedef struct {
    const float *w, *global_scale;
    int64_t K;
    const em_quant_params *p;
    uint32_t *q;
    uint8_t *s;
} quant_ctx;

/* Rows [r0, r1). */
static void quant_part(void *vc, int64_t r0, int64_t r1) {
    const quant_ctx *c = vc;
    const float *w = c->w, *global_scale = c->global_scale;
    int64_t K = c->K;
    uint32_t *q = c->q;
    uint8_t *s = c->s;
    int gs = c->p->group_size, bits = c->p->bits, dt = c->p->round_dt, mode = c->p->mode;
    float maxval = bits == 4 ? 6.0f : 448.0f;
    float enc = global_scale ? 2688.0f / *global_scale : 1.0f;
    int64_t ng = K / gs, nw = K * bits / 32;
    for (int64_t r = r0; r < r1; r++) {
        uint32_t *qr = q + r * nw;
        memset(qr, 0, (size_t)nw * sizeof *qr);
        for (int64_t g = 0; g < ng; g++) {
            const float *x = w + r * K + g * gs;
            float amax = 0.0f;
            bool nan = false;
            for (int j = 0; j < gs; j++) {
                float a = fabsf(x[j]);
                nan |= isnan(a);
                amax = a > amax ? a : amax;
            }
            float sc = nan ? NAN : rnd(amax / maxval, dt), div;
            uint8_t code;
            if (mode == EM_QMODE_NVFP4) {
                if (global_scale) sc *= enc;
                code = e4m3_encode(sc);
                div = e4m3_decode(code); /* exact in every float dtype */
                if (global_scale) div /= enc;
            } else if (!isfinite(sc)) { /* what MLX stores: 128 in float32, 0 in half */
                code = dt ? 0 : 128, div = 0.0f;
            } else {
                int e = sc == 0.0f ? 0 : ceil_log2(sc);
                code = (uint8_t)(e + 127);
                div = rnd(ldexpf(1.0f, e), dt);
            }
            s[r * ng + g] = code;
            int vdt = global_scale ? 0 : dt; /* a float32 global scale promotes */
            for (int j = 0; j < gs; j++) {
                float v = rnd(qdiv(x[j], div), vdt);
                uint32_t cd = bits == 8 ? e4m3_encode(v) : fp4_code(v);
                int64_t bit = (g * gs + j) * bits;
                qr[bit >> 5] |= cd << (bit & 31);
            }
        }
    }
}

void fpq_quantize_rows(const float *w, int64_t rows, int64_t K, const em_quant_params *p,
                       const float *global_scale, uint32_t *q, uint8_t *s) {
    quant_ctx c = {w, global_scale, K, p, q, s};
    cpu_pool_parallel_for(rows, K >= 16384 ? 1 : 16384 / (K ? K : 1), quant_part, &c);
}

/* ---------------------------------------------------------------- dequantize */

void fpq_dequant_row(const fpq_tables *t, const uint32_t *row, const uint8_t *s, int64_t k0,
                     int64_t n, int gs, int bits, float *out) {
    for (int64_t g = k0 / gs; g * gs < k0 + n; g++) {
        float sc = t->scale[s[g]];
        float *o = out + (g * gs - k0);
        if (bits == 4) {
            const uint32_t *wg = row + g * gs / 8;
            for (int k = 0; k < gs / 8; k++) {
                uint32_t w = wg[k];
                for (int j = 0; j < 8; j++) o[8 * k + j] = t->elem[(w >> (4 * j)) & 15u] * sc;
            }
        } else {
            const uint8_t *b = (const uint8_t *)(row + g * gs / 4); /* little-endian bytes */
            for (int j = 0; j < gs; j++) o[j] = t->elem[b[j]] * sc;
        }
    }
}

/* ---------------------------------------------------------------- dot */

/* sum_g scale_g (codes_g . x_g) over one packed row, portably. */
static float dot_any(const fpq_tables *t, const uint32_t *row, const uint8_t *s, const float *x,
                     int64_t ng, int gs, int bits) {
    float acc = 0.0f;
    for (int64_t g = 0; g < ng; g++) {
        float lane[8] = {0};
        const float *xg = x + g * gs;
        if (bits == 4) {
            const uint32_t *wg = row + g * gs / 8;
            for (int k = 0; k < gs / 8; k++)
                for (int j = 0; j < 8; j++) lane[j] += t->elem[(wg[k] >> (4 * j)) & 15u] * xg[8 * k + j];
        } else {
            const uint8_t *b = (const uint8_t *)(row + g * gs / 4);
            for (int k = 0; k < gs; k += 8)
                for (int j = 0; j < 8; j++) lane[j] += t->elem[b[k + j]] * xg[k + j];
        }
        acc += t->scale[s[g]] * (((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                                 ((lane[4] + lane[5]) + (lane[6] + lane[7])));
    }
    return acc;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* AVX2: a word of 8 fp4 codes decoded by a lane permute of the 8 magnitudes
 * and the sign bit moved to bit 31; fp8 codes gathered from the table. */
__attribute__((target("avx2,fma"))) static float dot_avx2(const fpq_tables *t, const uint32_t *row,
                                                          const uint8_t *s, const float *x,
                                                          int64_t ng, int gs, int bits) {
    const __m256i sh = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i m7 = _mm256_set1_epi32(7), m8 = _mm256_set1_epi32(8);
    const __m256 mag = _mm256_loadu_ps(t->elem);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
        __m256 d = _mm256_setzero_ps();
        const float *xg = x + g * gs;
        if (bits == 4) {
            const uint32_t *wg = row + g * gs / 8;
            for (int k = 0; k < gs / 8; k++) {
                __m256i c = _mm256_srlv_epi32(_mm256_set1_epi32((int)wg[k]), sh);
                __m256 v = _mm256_permutevar8x32_ps(mag, _mm256_and_si256(c, m7));
                __m256i sign = _mm256_slli_epi32(_mm256_and_si256(c, m8), 28);
                v = _mm256_xor_ps(v, _mm256_castsi256_ps(sign));
                d = _mm256_fmadd_ps(v, _mm256_loadu_ps(xg + 8 * k), d);
            }
        } else {
            const uint8_t *b = (const uint8_t *)(row + g * gs / 4);
            for (int k = 0; k < gs; k += 8) {
                __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + k)));
                __m256 v = _mm256_i32gather_ps(t->elem, c, 4);
                d = _mm256_fmadd_ps(v, _mm256_loadu_ps(xg + k), d);
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(t->scale[s[g]]), d, acc);
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}
#endif

float fpq_dot(const fpq_tables *t, const uint32_t *row, const uint8_t *s, const float *x,
              int64_t ng, int gs, int bits) {
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return dot_avx2(t, row, s, x, ng, gs, bits);
#endif
    return dot_any(t, row, s, x, ng, gs, bits);
}
