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

/* tanh: the polynomial in every lane (cheap), the e^{2|x|} path only for
 * vectors with a lane above 1 (a branch per vector costs less than a second
 * one around the polynomial: normal inputs mix the two in nearly every
 * vector). */
static inline T512 V tanh512(V x) {
    V ax = _mm512_abs_ps(x);
    __mmask16 big = _mm512_cmp_ps_mask(ax, SET1(1.0f), _CMP_GT_OQ);
    V z = _mm512_mul_ps(x, x);
    V p = SET1(EM_TANH_P6);
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P5));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P4));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P3));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P2));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P1));
    p = _mm512_fmadd_ps(p, z, SET1(EM_TANH_P0));
    V rs = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
    rs = _mm512_mask_mov_ps(rs, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), x);
    if (!big) return rs;
    V one = SET1(1.0f);
    /* scalar.h's em_tanh_exp_f32 */
    V ce = _mm512_min_ps(_mm512_add_ps(ax, ax), SET1(20.0f));
    V magic = SET1(EM_ROUND_MAGIC_F);
    V ne = _mm512_sub_ps(_mm512_fmadd_ps(ce, SET1(EM_LOG2E_F), magic), magic);
    V re = _mm512_fnmadd_ps(ne, SET1(EM_LN2_HI_F), ce);
    V pe = SET1(EM_TANH_E5);
    pe = _mm512_fmadd_ps(pe, re, SET1(EM_TANH_E4));
    pe = _mm512_fmadd_ps(pe, re, SET1(EM_TANH_E3));
    pe = _mm512_fmadd_ps(pe, re, SET1(EM_TANH_E2));
    pe = _mm512_fmadd_ps(pe, re, one);
    pe = _mm512_fmadd_ps(pe, re, one);
    V ez = _mm512_scalef_ps(pe, ne);
    V rb = _mm512_sub_ps(one, _mm512_div_ps(SET1(2.0f), _mm512_add_ps(ez, one)));
    return _mm512_mask_mov_ps(rs, big, copysign512(rb, x));
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

/* ---- the exp/log family: explog_body.h over AVX-512 ---- */
#define VX_TGT T512
#define VX_FN(name) name##_v512
#define VX_V __m512
#define VX_M __mmask16
#define VX_VI __m512i
#define VX_SET(c) _mm512_set1_ps(c)
#define VX_ISET(c) _mm512_set1_epi32((int)(c))
#define VX_ADD _mm512_add_ps
#define VX_SUB _mm512_sub_ps
#define VX_MUL _mm512_mul_ps
#define VX_DIV _mm512_div_ps
#define VX_FMA _mm512_fmadd_ps
#define VX_FMS _mm512_fmsub_ps
#define VX_SQRT _mm512_sqrt_ps
#define VX_ABS _mm512_abs_ps
#define VX_NEG neg512
#define VX_MIN _mm512_min_ps
#define VX_MAX _mm512_max_ps
#define VX_LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define VX_LE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ)
#define VX_GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define VX_GE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ)
#define VX_EQ(a, b) _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ)
#define VX_NE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_NEQ_OQ)
#define VX_UNORD(a) _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q)
#define VX_SIGNM(a) _mm512_movepi32_mask(_mm512_castps_si512(a))
#define VX_MAND(a, b) ((__mmask16)((a) & (b)))
#define VX_MOR(a, b) ((__mmask16)((a) | (b)))
#define VX_MNOT(a) ((__mmask16)((a) ^ 0xffffu))
#define VX_ANY(m) (!_mm512_kortestz(m, m))
#define VX_SEL(m, no, yes) _mm512_mask_mov_ps(no, m, yes)
#define VX_COPYSIGN copysign512
#define VX_RINT(a) _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VX_CASTI _mm512_castps_si512
#define VX_CASTF _mm512_castsi512_ps
#define VX_IADD _mm512_add_epi32
#define VX_ISUB _mm512_sub_epi32
#define VX_IAND _mm512_and_si512
#define VX_SRAI _mm512_srai_epi32
#define VX_SLLI _mm512_slli_epi32
#define VX_CVTIF _mm512_cvtepi32_ps
#define VX_SCALE _mm512_scalef_ps
#define VX_EXPF exp512
#define VX_VD __m512d
#define VX_DI __m512i
#define VX_DSET(c) _mm512_set1_pd(c)
#define VX_DISET(c) _mm512_set1_epi64((long long)(c))
#define VX_DADD _mm512_add_pd
#define VX_DSUB _mm512_sub_pd
#define VX_DMUL _mm512_mul_pd
#define VX_DDIV _mm512_div_pd
#define VX_DFMA _mm512_fmadd_pd
#define VX_DMIN _mm512_min_pd
#define VX_DMAX _mm512_max_pd
#define VX_DEQ(a, b) _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ)
#define VX_DSEL(m, no, yes) _mm512_mask_mov_pd(no, m, yes)
#define VX_DCASTI _mm512_castpd_si512
#define VX_DCASTF _mm512_castsi512_pd
#define VX_DIADD _mm512_add_epi64
#define VX_DISUB _mm512_sub_epi64
#define VX_DIAND _mm512_and_si512
#define VX_DIOR _mm512_or_si512
#define VX_DISRL _mm512_srli_epi64
#define VX_DISLL _mm512_slli_epi64
#include "explog_body.h"
#include "explog_undef.h"

/* power: pow_d over the two halves of 8 doubles, rounded back to floats */
static inline T512 __m512d lo_pd(V v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
static inline T512 __m512d hi_pd(V v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }
static inline T512 V join_ps(__m512d lo, __m512d hi) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}
static inline T512 V pow512(V x, V y) {
    V ax = _mm512_abs_ps(x), e, rcp;
    V f = pow_reduce_v512(ax, &e, &rcp);
    V r = join_ps(pow_d_v512(lo_pd(f), lo_pd(e), lo_pd(rcp), lo_pd(y)),
                  pow_d_v512(hi_pd(f), hi_pd(e), hi_pd(rcp), hi_pd(y)));
    __mmask16 cube = _mm512_cmp_ps_mask(y, SET1(3.0f), _CMP_EQ_OQ);
    if (cube) {
        __m512d l = lo_pd(ax), h = hi_pd(ax);
        r = _mm512_mask_mov_ps(r, cube, join_ps(_mm512_mul_pd(_mm512_mul_pd(l, l), l),
                                                _mm512_mul_pd(_mm512_mul_pd(h, h), h)));
    }
    return pow_fix_v512(x, y, r);
}
static inline T512 V rsqrt512(V x) { return _mm512_div_ps(SET1(1.0f), _mm512_sqrt_ps(x)); }

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
UNARY(u_expm1, expm1_v512)
UNARY(u_log1p, log1p_v512)
UNARY(u_log2, log2_v512)
UNARY(u_log10, log10_v512)
UNARY(u_sinh, sinh_v512)
UNARY(u_cosh, cosh_v512)
UNARY(u_arcsinh, arcsinh_v512)
UNARY(u_arccosh, arccosh_v512)
UNARY(u_arctanh, arctanh_v512)
UNARY(u_rsqrt, rsqrt512)
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
BINARY(b_pow, pow512)
BINARY(b_logaddexp, logaddexp_v512)
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
        /* exp/log family (explog_body.h) */
        [EM_PRIM_EXPM1] = u_expm1, [EM_PRIM_LOG1P] = u_log1p, [EM_PRIM_LOG2] = u_log2,
        [EM_PRIM_LOG10] = u_log10, [EM_PRIM_SINH] = u_sinh, [EM_PRIM_COSH] = u_cosh,
        [EM_PRIM_ARCSINH] = u_arcsinh, [EM_PRIM_ARCCOSH] = u_arccosh, [EM_PRIM_ARCTANH] = u_arctanh,
        [EM_PRIM_RSQRT] = u_rsqrt,
        /* trigonometry: simd_trig_avx512.c */
        [EM_PRIM_SIN] = cpu_trig_avx512_sin, [EM_PRIM_COS] = cpu_trig_avx512_cos, [EM_PRIM_TAN] = cpu_trig_avx512_tan,
        [EM_PRIM_ARCSIN] = cpu_trig_avx512_arcsin, [EM_PRIM_ARCCOS] = cpu_trig_avx512_arccos,
        [EM_PRIM_ARCTAN] = cpu_trig_avx512_arctan,
    },
    .binary = {
        [EM_PRIM_ADD] = b_add, [EM_PRIM_SUBTRACT] = b_sub, [EM_PRIM_MULTIPLY] = b_mul,
        [EM_PRIM_DIVIDE] = b_div, [EM_PRIM_MAXIMUM] = b_max, [EM_PRIM_MINIMUM] = b_min,
        /* exp/log family (explog_body.h) */
        [EM_PRIM_POWER] = b_pow, [EM_PRIM_LOGADDEXP] = b_logaddexp,
        [EM_PRIM_ARCTAN2] = cpu_trig_avx512_arctan2, /* simd_trig_avx512.c */
    },
    .f16_to_f32 = f16_to_f32,
    .f32_to_f16 = f32_to_f16,
    .bf16_to_f32 = bf16_to_f32,
    .f32_to_bf16 = f32_to_bf16,
};
