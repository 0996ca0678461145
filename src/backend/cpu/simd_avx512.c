/* simd_avx512.c -- the AVX-512 float32 loops of simd.h, lane for lane the float32 functions of scalar.h. */
#include <immintrin.h>

#include "scalar.h"
#include "simd.h"
#include "simd_trig.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

typedef __m512 V;
#define W 16
#define SET1 _mm512_set1_ps

static inline T512 __mmask16 tail_mask(int64_t k) { return (__mmask16)((1u << k) - 1); }

static inline T512 V copysign512(V mag, V sgn) {
    const __m512i s = _mm512_set1_epi32((int)0x80000000u);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(sgn),
                                                         _mm512_castps_si512(mag), s, 0xe4));
}

/* ---- the functions (see scalar.h for each algorithm) ---- */

static inline T512 V exp512(V x) {
    /* min/max return their second operand when one is NaN: x's NaN flows
     * through to the result, quieted, as scalar.h's x + x. */
    V c = _mm512_min_ps(SET1(EM_EXP_BOUND_F), x);
    c = _mm512_max_ps(SET1(-EM_EXP_BOUND_F), c);
    V magic = SET1(EM_ROUND_MAGIC_F);
    V n = _mm512_sub_ps(_mm512_fmadd_ps(c, SET1(EM_LOG2E_F), magic), magic);
    V r = _mm512_fnmadd_ps(n, SET1(EM_LN2_HI_F), c);
    r = _mm512_fnmadd_ps(n, SET1(EM_LN2_LO_F), r);
    V p = SET1(EM_EXP_C6);
    p = _mm512_fmadd_ps(p, r, SET1(EM_EXP_C5));
    p = _mm512_fmadd_ps(p, r, SET1(EM_EXP_C4));
    p = _mm512_fmadd_ps(p, r, SET1(EM_EXP_C3));
    p = _mm512_fmadd_ps(p, r, SET1(EM_EXP_C2));
    p = _mm512_fmadd_ps(p, r, SET1(1.0f));
    p = _mm512_fmadd_ps(p, r, SET1(1.0f));
    return _mm512_scalef_ps(p, n); /* p * 2^n, one rounding */
}

static inline T512 V log512(V x) {
    __m512i u = _mm512_castps_si512(x);
    __mmask16 sub = _mm512_cmplt_epu32_mask(u, _mm512_set1_epi32(0x00800000));
    V xs = _mm512_mask_mul_ps(x, sub, x, SET1(0x1p23f));
    V e0 = _mm512_maskz_mov_ps(sub, SET1(-23.0f));
    __m512i ix = _mm512_sub_epi32(_mm512_castps_si512(xs), _mm512_set1_epi32((int)EM_SQRT_HALF_BITS));
    V e = _mm512_add_ps(_mm512_cvtepi32_ps(_mm512_srai_epi32(ix, 23)), e0);
    __m512i mb = _mm512_add_epi32(_mm512_and_si512(ix, _mm512_set1_epi32(0x007fffff)),
                                  _mm512_set1_epi32((int)EM_SQRT_HALF_BITS));
    V f = _mm512_sub_ps(_mm512_castsi512_ps(mb), SET1(1.0f));
    V z = _mm512_mul_ps(f, f);
    V p = SET1(EM_LOG_P8);
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P7));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P6));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P5));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P4));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P3));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P2));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P1));
    p = _mm512_fmadd_ps(p, f, SET1(EM_LOG_P0));
    V y = _mm512_mul_ps(_mm512_mul_ps(p, f), z);
    y = _mm512_fmadd_ps(e, SET1(EM_LN2_LO_F), y);
    y = _mm512_fmadd_ps(SET1(-0.5f), z, y);
    V r = _mm512_add_ps(f, y);
    r = _mm512_fmadd_ps(e, SET1(EM_LN2_HI_F), r);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, SET1(INFINITY), _CMP_EQ_OQ), x);
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), SET1(-INFINITY));
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), SET1(NAN));
    return _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x, x);
}

static inline T512 V tanh512(V x) {
    V ax = _mm512_abs_ps(x);
    __mmask16 big = _mm512_cmp_ps_mask(ax, SET1(0.625f), _CMP_GT_OQ);
    V one = SET1(1.0f);
    V ez = exp512(_mm512_add_ps(ax, ax));
    V rb = _mm512_sub_ps(one, _mm512_div_ps(SET1(2.0f), _mm512_add_ps(ez, one)));
    rb = copysign512(rb, x);
    V z = _mm512_mul_ps(x, x);
    V p = SET1(EM_TANH_P4);
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P3));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P2));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P1));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P0));
    V rs = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
    rs = _mm512_mask_mov_ps(rs, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), x);
    return _mm512_mask_mov_ps(rs, big, rb);
}

static inline T512 V sigmoid512(V x) {
    V e = exp512(_mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x),
                                                     _mm512_set1_epi32((int)0x80000000u))));
    V one = SET1(1.0f);
    V num = _mm512_mask_mov_ps(one, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), e);
    return _mm512_div_ps(num, _mm512_add_ps(one, e));
}

static inline T512 V erf512(V x) {
    V t = _mm512_abs_ps(x);
    __mmask16 small = _mm512_cmp_ps_mask(t, SET1(1.0f), _CMP_LT_OQ);
    V s = _mm512_mul_ps(x, x);
    V p = SET1(EM_ERF_A6);
    p = _mm512_fmadd_ps(p, s, SET1(EM_ERF_A5));
    p = _mm512_fmadd_ps(p, s, SET1(EM_ERF_A4));
    p = _mm512_fmadd_ps(p, s, SET1(EM_ERF_A3));
    p = _mm512_fmadd_ps(p, s, SET1(EM_ERF_A2));
    p = _mm512_fmadd_ps(p, s, SET1(EM_ERF_A1));
    p = _mm512_fmadd_ps(p, s, SET1(EM_ERF_A0));
    V ra = _mm512_fmadd_ps(p, x, x);
    V tc = _mm512_min_ps(t, SET1(4.0f));
    V u = _mm512_sub_ps(tc, SET1(1.0f));
    V q = SET1(EM_ERF_B8);
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B7));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B6));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B5));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B4));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B3));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B2));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B1));
    q = _mm512_fmadd_ps(q, u, SET1(EM_ERF_B0));
    V s2 = _mm512_mul_ps(tc, tc);
    V ds = _mm512_fmsub_ps(tc, tc, s2);
    q = _mm512_fnmadd_ps(q, ds, q);
    V neg_s2 = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(s2), _mm512_set1_epi32((int)0x80000000u)));
    V rb = _mm512_sub_ps(SET1(1.0f), _mm512_mul_ps(exp512(neg_s2), q));
    rb = copysign512(rb, x);
    V r = _mm512_mask_mov_ps(rb, small, ra);
    return _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x, x);
}

static inline T512 V sqrt512(V x) { return _mm512_sqrt_ps(x); }
static inline T512 V neg512(V x) {
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}
static inline T512 V abs512(V x) { return _mm512_abs_ps(x); }
/* floorf/ceilf: exact; a NaN comes back unchanged, as scalar.h's em_floor_f32
 * (roundscale alone would quiet a signalling NaN) */
static inline T512 V floor512(V x) {
    V r = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}
static inline T512 V ceil512(V x) {
    V r = _mm512_roundscale_ps(x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* erfinv: both of scalar.h's branches in every lane, the coefficients chosen
 * per lane (w < 5 or not), so each lane does exactly the scalar's arithmetic. */
static inline T512 V erfinv512(V x) {
    V ax = _mm512_abs_ps(x);
    V w = neg512(log512(_mm512_fnmadd_ps(x, x, SET1(1.0f))));
    __mmask16 lo = _mm512_cmp_ps_mask(w, SET1(5.0f), _CMP_LT_OQ);
    V t = _mm512_mask_mov_ps(_mm512_sub_ps(_mm512_sqrt_ps(w), SET1(3.0f)), lo,
                             _mm512_sub_ps(w, SET1(2.5f)));
#define C(k) _mm512_mask_mov_ps(SET1(EM_ERFINV_B##k), lo, SET1(EM_ERFINV_A##k))
    V p = C(0);
    p = _mm512_fmadd_ps(p, t, C(1));
    p = _mm512_fmadd_ps(p, t, C(2));
    p = _mm512_fmadd_ps(p, t, C(3));
    p = _mm512_fmadd_ps(p, t, C(4));
    p = _mm512_fmadd_ps(p, t, C(5));
    p = _mm512_fmadd_ps(p, t, C(6));
    p = _mm512_fmadd_ps(p, t, C(7));
    p = _mm512_fmadd_ps(p, t, C(8));
#undef C
    V r = _mm512_mul_ps(p, x);
    /* |x| >= 1 or NaN: NaN, except +-1 -> +-inf */
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(ax, SET1(1.0f), _CMP_NLT_UQ), SET1(NAN));
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(ax, SET1(1.0f), _CMP_EQ_OQ), copysign512(SET1(INFINITY), x));
}

static inline T512 V add512(V a, V b) { return _mm512_add_ps(a, b); }
static inline T512 V sub512(V a, V b) { return _mm512_sub_ps(a, b); }
static inline T512 V mul512(V a, V b) { return _mm512_mul_ps(a, b); }
static inline T512 V div512(V a, V b) { return _mm512_div_ps(a, b); }
/* maxps(a, b) is a > b ? a : b; a NaN a is then put back. */
static inline T512 V max512(V a, V b) {
    return _mm512_mask_mov_ps(_mm512_max_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}
static inline T512 V min512(V a, V b) {
    return _mm512_mask_mov_ps(_mm512_min_ps(a, b), _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), a);
}

/* ---- loops ---- */

#define UNARY(name, F)                                                         \
    static T512 void name(const float *a, float *o, int64_t n) {               \
        int64_t i = 0;                                                         \
        for (; i + 2 * W <= n; i += 2 * W) {                                   \
            V x0 = _mm512_loadu_ps(a + i), x1 = _mm512_loadu_ps(a + i + W);    \
            _mm512_storeu_ps(o + i, F(x0));                                    \
            _mm512_storeu_ps(o + i + W, F(x1));                                \
        }                                                                      \
        for (; i < n; i += W) {                                                \
            __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i);   \
            _mm512_mask_storeu_ps(o + i, m, F(_mm512_maskz_loadu_ps(m, a + i))); \
        }                                                                      \
    }
UNARY(u_exp, exp512)
UNARY(u_log, log512)
UNARY(u_tanh, tanh512)
UNARY(u_sigmoid, sigmoid512)
UNARY(u_erf, erf512)
UNARY(u_erfinv, erfinv512)
UNARY(u_sqrt, sqrt512)
UNARY(u_neg, neg512)
UNARY(u_abs, abs512)
UNARY(u_floor, floor512)
UNARY(u_ceil, ceil512)
#undef UNARY

#define BINARY(name, F)                                                        \
    static T512 void name(const float *a, const float *b, float *o, int64_t n, int mode) { \
        int64_t i = 0;                                                         \
        if (mode == CPU_SIMD_VV) {                                             \
            for (; i + 2 * W <= n; i += 2 * W) {                               \
                V r0 = F(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));      \
                V r1 = F(_mm512_loadu_ps(a + i + W), _mm512_loadu_ps(b + i + W)); \
                _mm512_storeu_ps(o + i, r0);                                   \
                _mm512_storeu_ps(o + i + W, r1);                               \
            }                                                                  \
            for (; i < n; i += W) {                                            \
                __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i); \
                _mm512_mask_storeu_ps(o + i, m, F(_mm512_maskz_loadu_ps(m, a + i), \
                                                  _mm512_maskz_loadu_ps(m, b + i))); \
            }                                                                  \
        } else if (mode == CPU_SIMD_SV) {                                      \
            V va = SET1(a[0]);                                                 \
            for (; i < n; i += W) {                                            \
                __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i); \
                _mm512_mask_storeu_ps(o + i, m, F(va, _mm512_maskz_loadu_ps(m, b + i))); \
            }                                                                  \
        } else {                                                               \
            V vb = SET1(b[0]);                                                 \
            for (; i < n; i += W) {                                            \
                __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i); \
                _mm512_mask_storeu_ps(o + i, m, F(_mm512_maskz_loadu_ps(m, a + i), vb)); \
            }                                                                  \
        }                                                                      \
    }
BINARY(b_add, add512)
BINARY(b_sub, sub512)
BINARY(b_mul, mul512)
BINARY(b_div, div512)
BINARY(b_max, max512)
BINARY(b_min, min512)
#undef BINARY

static T512 void f16_to_f32(const uint16_t *a, float *o, int64_t n) {
    for (int64_t i = 0; i < n; i += W) {
        __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i);
        _mm512_mask_storeu_ps(o + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, a + i)));
    }
}
static T512 void f32_to_f16(const float *a, uint16_t *o, int64_t n) {
    for (int64_t i = 0; i < n; i += W) {
        __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i);
        __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, a + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_mask_storeu_epi16(o + i, m, h);
    }
}

static T512 void bf16_to_f32(const uint16_t *a, float *o, int64_t n) {
    for (int64_t i = 0; i < n; i += W) {
        __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i);
        __m512i u = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, a + i));
        _mm512_mask_storeu_ps(o + i, m, _mm512_castsi512_ps(_mm512_slli_epi32(u, 16)));
    }
}
/* half.h's em_f32_to_bf16: round to nearest even, NaN kept quiet. */
static T512 void f32_to_bf16(const float *a, uint16_t *o, int64_t n) {
    for (int64_t i = 0; i < n; i += W) {
        __mmask16 m = n - i >= W ? (__mmask16)0xffff : tail_mask(n - i);
        V x = _mm512_maskz_loadu_ps(m, a + i);
        __m512i u = _mm512_castps_si512(x);
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb), 16);
        __m512i q = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
        r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), q);
        _mm256_mask_storeu_epi16(o + i, m, _mm512_cvtepi32_epi16(r));
    }
}

const cpu_simd_table cpu_simd_avx512_table = {
    .name = "avx512",
    .unary = {
        [EM_PRIM_EXP] = u_exp, [EM_PRIM_LOG] = u_log, [EM_PRIM_TANH] = u_tanh,
        [EM_PRIM_SIGMOID] = u_sigmoid, [EM_PRIM_ERF] = u_erf, [EM_PRIM_ERFINV] = u_erfinv, [EM_PRIM_SQRT] = u_sqrt,
        [EM_PRIM_NEGATIVE] = u_neg, [EM_PRIM_ABS] = u_abs, [EM_PRIM_FLOOR] = u_floor, [EM_PRIM_CEIL] = u_ceil,
        /* trigonometry: simd_trig_avx512.c */
        [EM_PRIM_SIN] = cpu_trig_avx512_sin, [EM_PRIM_COS] = cpu_trig_avx512_cos, [EM_PRIM_TAN] = cpu_trig_avx512_tan,
        [EM_PRIM_ARCSIN] = cpu_trig_avx512_arcsin, [EM_PRIM_ARCCOS] = cpu_trig_avx512_arccos,
        [EM_PRIM_ARCTAN] = cpu_trig_avx512_arctan,
    },
    .binary = {
        [EM_PRIM_ADD] = b_add, [EM_PRIM_SUBTRACT] = b_sub, [EM_PRIM_MULTIPLY] = b_mul,
        [EM_PRIM_DIVIDE] = b_div, [EM_PRIM_MAXIMUM] = b_max, [EM_PRIM_MINIMUM] = b_min,
        [EM_PRIM_ARCTAN2] = cpu_trig_avx512_arctan2, /* simd_trig_avx512.c */
    },
    .f16_to_f32 = f16_to_f32,
    .f32_to_f16 = f32_to_f16,
    .bf16_to_f32 = bf16_to_f32,
    .f32_to_bf16 = f32_to_bf16,
};
