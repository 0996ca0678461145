/* simd_avx2.c -- the AVX2+FMA(+F16C) float32 loops of simd.h, lane for lane the float32 functions of scalar.h. */
#include <immintrin.h>

#include "scalar.h"
#include "simd.h"
#include "simd_trig.h"

#define T256 __attribute__((target("avx2,fma,f16c")))

typedef __m256 V;
#define W 8
#define SET1 _mm256_set1_ps

static inline T256 V sel(V mask, V no, V yes) { return _mm256_blendv_ps(no, yes, mask); }
static inline T256 V cmp_unord(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline T256 V sign_bit(void) { return _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)); }
static inline T256 V copysign256(V mag, V sgn) {
    V s = sign_bit();
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sgn));
}
static inline T256 V abs256(V x) { return _mm256_andnot_ps(sign_bit(), x); }
static inline T256 V neg256(V x) { return _mm256_xor_ps(sign_bit(), x); }

/* Lanes [0, k) set, for the tail's masked loads and stores. */
static inline T256 __m256i tail_mask(int64_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* ---- the functions (see scalar.h for each algorithm) ---- */

static inline T256 V exp256(V x) {
    /* min/max return their second operand when one is NaN: x's NaN flows
     * through to the result, quieted, as scalar.h's x + x. */
    V c = _mm256_min_ps(SET1(EM_EXP_BOUND_F), x);
    c = _mm256_max_ps(SET1(-EM_EXP_BOUND_F), c);
    V magic = SET1(EM_ROUND_MAGIC_F);
    V n = _mm256_sub_ps(_mm256_fmadd_ps(c, SET1(EM_LOG2E_F), magic), magic);
    V r = _mm256_fnmadd_ps(n, SET1(EM_LN2_HI_F), c);
    r = _mm256_fnmadd_ps(n, SET1(EM_LN2_LO_F), r);
    V p = SET1(EM_EXP_C6);
    p = _mm256_fmadd_ps(p, r, SET1(EM_EXP_C5));
    p = _mm256_fmadd_ps(p, r, SET1(EM_EXP_C4));
    p = _mm256_fmadd_ps(p, r, SET1(EM_EXP_C3));
    p = _mm256_fmadd_ps(p, r, SET1(EM_EXP_C2));
    p = _mm256_fmadd_ps(p, r, SET1(1.0f));
    p = _mm256_fmadd_ps(p, r, SET1(1.0f));
    /* p * 2^n1 (exact) * 2^n2 (one rounding), n = n1 + n2; NaN lanes give
     * garbage exponents here but p is NaN, so the product stays NaN */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    __m256i bias = _mm256_set1_epi32(127);
    V s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    V s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

static inline T256 V log256(V x) {
    V zero = _mm256_setzero_ps();
    /* Scaling every x below the smallest normal (negatives and zeros too,
     * whose results are replaced below) matches scalar.h's u < 2^23 test. */
    V sub = _mm256_cmp_ps(x, SET1(0x1p-126f), _CMP_LT_OQ);
    V xs = sel(sub, x, _mm256_mul_ps(x, SET1(0x1p23f)));
    V e0 = _mm256_and_ps(sub, SET1(-23.0f));
    __m256i ix = _mm256_sub_epi32(_mm256_castps_si256(xs), _mm256_set1_epi32((int)EM_SQRT_HALF_BITS));
    V e = _mm256_add_ps(_mm256_cvtepi32_ps(_mm256_srai_epi32(ix, 23)), e0);
    __m256i mb = _mm256_add_epi32(_mm256_and_si256(ix, _mm256_set1_epi32(0x007fffff)),
                                  _mm256_set1_epi32((int)EM_SQRT_HALF_BITS));
    V f = _mm256_sub_ps(_mm256_castsi256_ps(mb), SET1(1.0f));
    V z = _mm256_mul_ps(f, f);
    V p = SET1(EM_LOG_P8);
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P7));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P6));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P5));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P4));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P3));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P2));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P1));
    p = _mm256_fmadd_ps(p, f, SET1(EM_LOG_P0));
    V y = _mm256_mul_ps(_mm256_mul_ps(p, f), z);
    y = _mm256_fmadd_ps(e, SET1(EM_LN2_LO_F), y);
    y = _mm256_fmadd_ps(SET1(-0.5f), z, y);
    V r = _mm256_add_ps(f, y);
    r = _mm256_fmadd_ps(e, SET1(EM_LN2_HI_F), r);
    r = sel(_mm256_cmp_ps(x, SET1(INFINITY), _CMP_EQ_OQ), r, x);
    r = sel(_mm256_cmp_ps(x, zero, _CMP_EQ_OQ), r, SET1(-INFINITY));
    r = sel(_mm256_cmp_ps(x, zero, _CMP_LT_OQ), r, SET1(NAN));
    return sel(cmp_unord(x), r, _mm256_add_ps(x, x));
}

/* tanh: the polynomial in every lane, the e^{2|x|} path only for vectors
 * with a lane above 1 (as tanh512). */
static inline T256 V tanh256(V x) {
    V ax = abs256(x);
    V big = _mm256_cmp_ps(ax, SET1(1.0f), _CMP_GT_OQ);
    V z = _mm256_mul_ps(x, x);
    V p = SET1(EM_TANH_P6);
    p = _mm256_fmadd_ps(p, z, SET1(EM_TANH_P5));
    p = _mm256_fmadd_ps(p, z, SET1(EM_TANH_P4));
    p = _mm256_fmadd_ps(p, z, SET1(EM_TANH_P3));
    p = _mm256_fmadd_ps(p, z, SET1(EM_TANH_P2));
    p = _mm256_fmadd_ps(p, z, SET1(EM_TANH_P1));
    p = _mm256_fmadd_ps(p, z, SET1(EM_TANH_P0));
    V rs = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    rs = sel(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ), rs, x);
    if (!_mm256_movemask_ps(big)) return rs;
    V one = SET1(1.0f);
    /* scalar.h's em_tanh_exp_f32 */
    V ce = _mm256_min_ps(_mm256_add_ps(ax, ax), SET1(20.0f));
    V magic = SET1(EM_ROUND_MAGIC_F);
    V ne = _mm256_sub_ps(_mm256_fmadd_ps(ce, SET1(EM_LOG2E_F), magic), magic);
    V re = _mm256_fnmadd_ps(ne, SET1(EM_LN2_HI_F), ce);
    V pe = SET1(EM_TANH_E5);
    pe = _mm256_fmadd_ps(pe, re, SET1(EM_TANH_E4));
    pe = _mm256_fmadd_ps(pe, re, SET1(EM_TANH_E3));
    pe = _mm256_fmadd_ps(pe, re, SET1(EM_TANH_E2));
    pe = _mm256_fmadd_ps(pe, re, one);
    pe = _mm256_fmadd_ps(pe, re, one);
    V ez = _mm256_mul_ps(pe, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(ne), _mm256_set1_epi32(127)), 23)));
    V rb = _mm256_sub_ps(one, _mm256_div_ps(SET1(2.0f), _mm256_add_ps(ez, one)));
    return sel(big, rs, copysign256(rb, x));
}

static inline T256 V sigmoid256(V x) {
    V e = exp256(_mm256_or_ps(x, sign_bit()));
    V one = SET1(1.0f);
    V num = sel(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ), one, e);
    return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

static inline T256 V erf256(V x) {
    V t = abs256(x);
    V small = _mm256_cmp_ps(t, SET1(1.0f), _CMP_LT_OQ);
    V s = _mm256_mul_ps(x, x);
    V p = SET1(EM_ERF_A6);
    p = _mm256_fmadd_ps(p, s, SET1(EM_ERF_A5));
    p = _mm256_fmadd_ps(p, s, SET1(EM_ERF_A4));
    p = _mm256_fmadd_ps(p, s, SET1(EM_ERF_A3));
    p = _mm256_fmadd_ps(p, s, SET1(EM_ERF_A2));
    p = _mm256_fmadd_ps(p, s, SET1(EM_ERF_A1));
    p = _mm256_fmadd_ps(p, s, SET1(EM_ERF_A0));
    V ra = _mm256_fmadd_ps(p, x, x);
    V tc = _mm256_min_ps(t, SET1(4.0f));
    V u = _mm256_sub_ps(tc, SET1(1.0f));
    V q = SET1(EM_ERF_B8);
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B7));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B6));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B5));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B4));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B3));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B2));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B1));
    q = _mm256_fmadd_ps(q, u, SET1(EM_ERF_B0));
    V s2 = _mm256_mul_ps(tc, tc);
    V ds = _mm256_fmsub_ps(tc, tc, s2);
    q = _mm256_fnmadd_ps(q, ds, q);
    V rb = _mm256_sub_ps(SET1(1.0f), _mm256_mul_ps(exp256(neg256(s2)), q));
    rb = copysign256(rb, x);
    V r = sel(small, rb, ra);
    return sel(cmp_unord(x), r, _mm256_add_ps(x, x));
}

static inline T256 V sqrt256(V x) { return _mm256_sqrt_ps(x); }
/* floorf/ceilf: exact; a NaN comes back unchanged, as scalar.h's em_floor_f32
 * (roundps alone would quiet a signalling NaN) */
static inline T256 V floor256(V x) {
    return sel(cmp_unord(x), _mm256_round_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), x);
}
static inline T256 V ceil256(V x) {
    return sel(cmp_unord(x), _mm256_round_ps(x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC), x);
}

/* erfinv: both of scalar.h's branches in every lane, the coefficients chosen
 * per lane (w < 5 or not), so each lane does exactly the scalar's arithmetic. */
static inline T256 V erfinv256(V x) {
    V ax = abs256(x);
    V w = neg256(log256(_mm256_fnmadd_ps(x, x, SET1(1.0f))));
    V lo = _mm256_cmp_ps(w, SET1(5.0f), _CMP_LT_OQ);
    V t = sel(lo, _mm256_sub_ps(_mm256_sqrt_ps(w), SET1(3.0f)), _mm256_sub_ps(w, SET1(2.5f)));
#define C(k) sel(lo, SET1(EM_ERFINV_B##k), SET1(EM_ERFINV_A##k))
    V p = C(0);
    p = _mm256_fmadd_ps(p, t, C(1));
    p = _mm256_fmadd_ps(p, t, C(2));
    p = _mm256_fmadd_ps(p, t, C(3));
    p = _mm256_fmadd_ps(p, t, C(4));
    p = _mm256_fmadd_ps(p, t, C(5));
    p = _mm256_fmadd_ps(p, t, C(6));
    p = _mm256_fmadd_ps(p, t, C(7));
    p = _mm256_fmadd_ps(p, t, C(8));
#undef C
    V r = _mm256_mul_ps(p, x);
    /* |x| >= 1 or NaN: NaN, except +-1 -> +-inf */
    r = sel(_mm256_cmp_ps(ax, SET1(1.0f), _CMP_NLT_UQ), r, SET1(NAN));
    return sel(_mm256_cmp_ps(ax, SET1(1.0f), _CMP_EQ_OQ), r, copysign256(SET1(INFINITY), x));
}

static inline T256 V add256(V a, V b) { return _mm256_add_ps(a, b); }
static inline T256 V sub256(V a, V b) { return _mm256_sub_ps(a, b); }
static inline T256 V mul256(V a, V b) { return _mm256_mul_ps(a, b); }
static inline T256 V div256(V a, V b) { return _mm256_div_ps(a, b); }
/* maxps(a, b) is a > b ? a : b; a NaN a is then put back. */
static inline T256 V max256(V a, V b) { return sel(cmp_unord(a), _mm256_max_ps(a, b), a); }
static inline T256 V min256(V a, V b) { return sel(cmp_unord(a), _mm256_min_ps(a, b), a); }

/* ---- the exp/log family: explog_body.h over AVX2 ---- */
/* p * 2^n as scalar.h's em_v_scale_: two exact powers of two */
static inline T256 V scale256(V p, V n) {
    V magic = SET1(EM_ROUND_MAGIC_F);
    __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(n, magic)), _mm256_castps_si256(magic));
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    __m256i bias = _mm256_set1_epi32(127);
    V s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    V s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}
#define VX_TGT T256
#define VX_FN(name) name##_v256
#define VX_V __m256
#define VX_M __m256
#define VX_VI __m256i
#define VX_SET(c) _mm256_set1_ps(c)
#define VX_ISET(c) _mm256_set1_epi32((int)(c))
#define VX_ADD _mm256_add_ps
#define VX_SUB _mm256_sub_ps
#define VX_MUL _mm256_mul_ps
#define VX_DIV _mm256_div_ps
#define VX_FMA _mm256_fmadd_ps
#define VX_FMS _mm256_fmsub_ps
#define VX_SQRT _mm256_sqrt_ps
#define VX_ABS abs256
#define VX_NEG neg256
#define VX_MIN _mm256_min_ps
#define VX_MAX _mm256_max_ps
#define VX_LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define VX_LE(a, b) _mm256_cmp_ps(a, b, _CMP_LE_OQ)
#define VX_GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define VX_GE(a, b) _mm256_cmp_ps(a, b, _CMP_GE_OQ)
#define VX_EQ(a, b) _mm256_cmp_ps(a, b, _CMP_EQ_OQ)
#define VX_NE(a, b) _mm256_cmp_ps(a, b, _CMP_NEQ_OQ)
#define VX_UNORD(a) cmp_unord(a)
#define VX_SIGNM(a) _mm256_castsi256_ps(_mm256_srai_epi32(_mm256_castps_si256(a), 31))
#define VX_MAND _mm256_and_ps
#define VX_MOR _mm256_or_ps
#define VX_MNOT(a) _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(-1)))
#define VX_ANY(m) (_mm256_movemask_ps(m) != 0)
#define VX_SEL(m, no, yes) _mm256_blendv_ps(no, yes, m)
#define VX_COPYSIGN copysign256
#define VX_RINT(a) _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VX_CASTI _mm256_castps_si256
#define VX_CASTF _mm256_castsi256_ps
#define VX_IADD _mm256_add_epi32
#define VX_ISUB _mm256_sub_epi32
#define VX_IAND _mm256_and_si256
#define VX_SRAI _mm256_srai_epi32
#define VX_SLLI _mm256_slli_epi32
#define VX_CVTIF _mm256_cvtepi32_ps
#define VX_SCALE scale256
#define VX_EXPF exp256
#define VX_VD __m256d
#define VX_DI __m256i
#define VX_DSET(c) _mm256_set1_pd(c)
#define VX_DISET(c) _mm256_set1_epi64x((long long)(c))
#define VX_DADD _mm256_add_pd
#define VX_DSUB _mm256_sub_pd
#define VX_DMUL _mm256_mul_pd
#define VX_DDIV _mm256_div_pd
#define VX_DFMA _mm256_fmadd_pd
#define VX_DMIN _mm256_min_pd
#define VX_DMAX _mm256_max_pd
#define VX_DEQ(a, b) _mm256_cmp_pd(a, b, _CMP_EQ_OQ)
#define VX_DSEL(m, no, yes) _mm256_blendv_pd(no, yes, m)
#define VX_DCASTI _mm256_castpd_si256
#define VX_DCASTF _mm256_castsi256_pd
#define VX_DIADD _mm256_add_epi64
#define VX_DISUB _mm256_sub_epi64
#define VX_DIAND _mm256_and_si256
#define VX_DIOR _mm256_or_si256
#define VX_DISRL _mm256_srli_epi64
#define VX_DISLL _mm256_slli_epi64
#include "explog_body.h"
#include "explog_undef.h"

/* power: pow_d over the two halves of 4 doubles, rounded back to floats */
static inline T256 __m256d lo_pd(V v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline T256 __m256d hi_pd(V v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
static inline T256 V join_ps(__m256d lo, __m256d hi) { return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)); }
static inline T256 V pow256(V x, V y) {
    V ax = abs256(x), e, rcp;
    V f = pow_reduce_v256(ax, &e, &rcp);
    V r = join_ps(pow_d_v256(lo_pd(f), lo_pd(e), lo_pd(rcp), lo_pd(y)),
                  pow_d_v256(hi_pd(f), hi_pd(e), hi_pd(rcp), hi_pd(y)));
    V cube = _mm256_cmp_ps(y, SET1(3.0f), _CMP_EQ_OQ);
    if (_mm256_movemask_ps(cube)) {
        __m256d l = lo_pd(ax), h = hi_pd(ax);
        r = sel(cube, r, join_ps(_mm256_mul_pd(_mm256_mul_pd(l, l), l), _mm256_mul_pd(_mm256_mul_pd(h, h), h)));
    }
    return pow_fix_v256(x, y, r);
}
static inline T256 V rsqrt256(V x) { return _mm256_div_ps(SET1(1.0f), _mm256_sqrt_ps(x)); }

/* ---- loops ---- */

#define LOAD(p) _mm256_loadu_ps(p)
#define MLOAD(m, p) _mm256_maskload_ps(p, m)
#define MSTORE(m, p, v) _mm256_maskstore_ps(p, m, v)

#define UNARY(name, F)                                                         \
    static T256 void name(const float *a, float *o, int64_t n) {               \
        int64_t i = 0;                                                         \
        for (; i + 2 * W <= n; i += 2 * W) {                                   \
            V x0 = LOAD(a + i), x1 = LOAD(a + i + W);                          \
            _mm256_storeu_ps(o + i, F(x0));                                    \
            _mm256_storeu_ps(o + i + W, F(x1));                                \
        }                                                                      \
        for (; i < n; i += W) {                                                \
            __m256i m = tail_mask(n - i);                                      \
            MSTORE(m, o + i, F(MLOAD(m, a + i)));                              \
        }                                                                      \
    }
UNARY(u_exp, exp256)
UNARY(u_log, log256)
UNARY(u_tanh, tanh256)
UNARY(u_sigmoid, sigmoid256)
UNARY(u_erf, erf256)
UNARY(u_erfinv, erfinv256)
UNARY(u_sqrt, sqrt256)
UNARY(u_neg, neg256)
UNARY(u_abs, abs256)
UNARY(u_floor, floor256)
UNARY(u_ceil, ceil256)
UNARY(u_expm1, expm1_v256)
UNARY(u_log1p, log1p_v256)
UNARY(u_log2, log2_v256)
UNARY(u_log10, log10_v256)
UNARY(u_sinh, sinh_v256)
UNARY(u_cosh, cosh_v256)
UNARY(u_arcsinh, arcsinh_v256)
UNARY(u_arccosh, arccosh_v256)
UNARY(u_arctanh, arctanh_v256)
UNARY(u_rsqrt, rsqrt256)
#undef UNARY

#define BINARY(name, F)                                                        \
    static T256 void name(const float *a, const float *b, float *o, int64_t n, int mode) { \
        int64_t i = 0;                                                         \
        if (mode == CPU_SIMD_VV) {                                             \
            for (; i + 2 * W <= n; i += 2 * W) {                               \
                V r0 = F(LOAD(a + i), LOAD(b + i));                            \
                V r1 = F(LOAD(a + i + W), LOAD(b + i + W));                    \
                _mm256_storeu_ps(o + i, r0);                                   \
                _mm256_storeu_ps(o + i + W, r1);                               \
            }                                                                  \
            for (; i < n; i += W) {                                            \
                __m256i m = tail_mask(n - i);                                  \
                MSTORE(m, o + i, F(MLOAD(m, a + i), MLOAD(m, b + i)));         \
            }                                                                  \
        } else if (mode == CPU_SIMD_SV) {                                      \
            V va = SET1(a[0]);                                                 \
            for (; i + W <= n; i += W) _mm256_storeu_ps(o + i, F(va, LOAD(b + i))); \
            if (i < n) {                                                       \
                __m256i m = tail_mask(n - i);                                  \
                MSTORE(m, o + i, F(va, MLOAD(m, b + i)));                      \
            }                                                                  \
        } else {                                                               \
            V vb = SET1(b[0]);                                                 \
            for (; i + W <= n; i += W) _mm256_storeu_ps(o + i, F(LOAD(a + i), vb)); \
            if (i < n) {                                                       \
                __m256i m = tail_mask(n - i);                                  \
                MSTORE(m, o + i, F(MLOAD(m, a + i), vb));                      \
            }                                                                  \
        }                                                                      \
    }
BINARY(b_add, add256)
BINARY(b_sub, sub256)
BINARY(b_mul, mul256)
BINARY(b_div, div256)
BINARY(b_max, max256)
BINARY(b_min, min256)
BINARY(b_pow, pow256)
BINARY(b_logaddexp, logaddexp_v256)
#undef BINARY

static T256 void f16_to_f32(const uint16_t *a, float *o, int64_t n) {
    int64_t i = 0;
    for (; i + W <= n; i += W) _mm256_storeu_ps(o + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))));
    for (; i < n; i++) {
        em_f16 h = {a[i]};
        o[i] = em_f16_to_f32(h);
    }
}
static T256 void f32_to_f16(const float *a, uint16_t *o, int64_t n) {
    int64_t i = 0;
    for (; i + W <= n; i += W)
        _mm_storeu_si128((__m128i *)(o + i), _mm256_cvtps_ph(LOAD(a + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) o[i] = em_f32_to_f16(a[i]).bits;
}

static T256 void bf16_to_f32(const uint16_t *a, float *o, int64_t n) {
    int64_t i = 0;
    for (; i + W <= n; i += W) {
        __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(a + i)));
        _mm256_storeu_ps(o + i, _mm256_castsi256_ps(_mm256_slli_epi32(u, 16)));
    }
    for (; i < n; i++) {
        em_bf16 b = {a[i]};
        o[i] = em_bf16_to_f32(b);
    }
}
/* half.h's em_f32_to_bf16: round to nearest even, NaN kept quiet. */
static T256 void f32_to_bf16(const float *a, uint16_t *o, int64_t n) {
    int64_t i = 0;
    for (; i + W <= n; i += W) {
        V x = LOAD(a + i);
        __m256i u = _mm256_castps_si256(x);
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb), 16);
        __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        r = _mm256_castps_si256(sel(cmp_unord(x), _mm256_castsi256_ps(r), _mm256_castsi256_ps(q)));
        /* 32 -> 16 bits: pack (saturation is harmless, values < 2^16), then
         * undo the lane interleave of the 256-bit pack */
        __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
        _mm_storeu_si128((__m128i *)(o + i), _mm256_castsi256_si128(p));
    }
    for (; i < n; i++) o[i] = em_f32_to_bf16(a[i]).bits;
}

const cpu_simd_table cpu_simd_avx2_table = {
    .name = "avx2",
    .unary = {
        [EM_PRIM_EXP] = u_exp, [EM_PRIM_LOG] = u_log, [EM_PRIM_TANH] = u_tanh,
        [EM_PRIM_SIGMOID] = u_sigmoid, [EM_PRIM_ERF] = u_erf, [EM_PRIM_ERFINV] = u_erfinv, [EM_PRIM_SQRT] = u_sqrt,
        [EM_PRIM_NEGATIVE] = u_neg, [EM_PRIM_ABS] = u_abs, [EM_PRIM_FLOOR] = u_floor, [EM_PRIM_CEIL] = u_ceil,
        /* exp/log family (explog_body.h) */
        [EM_PRIM_EXPM1] = u_expm1, [EM_PRIM_LOG1P] = u_log1p, [EM_PRIM_LOG2] = u_log2,
        [EM_PRIM_LOG10] = u_log10, [EM_PRIM_SINH] = u_sinh, [EM_PRIM_COSH] = u_cosh,
        [EM_PRIM_ARCSINH] = u_arcsinh, [EM_PRIM_ARCCOSH] = u_arccosh, [EM_PRIM_ARCTANH] = u_arctanh,
        [EM_PRIM_RSQRT] = u_rsqrt,
        /* trigonometry: simd_trig_avx2.c */
        [EM_PRIM_SIN] = cpu_trig_avx2_sin, [EM_PRIM_COS] = cpu_trig_avx2_cos, [EM_PRIM_TAN] = cpu_trig_avx2_tan,
        [EM_PRIM_ARCSIN] = cpu_trig_avx2_arcsin, [EM_PRIM_ARCCOS] = cpu_trig_avx2_arccos,
        [EM_PRIM_ARCTAN] = cpu_trig_avx2_arctan,
    },
    .binary = {
        [EM_PRIM_ADD] = b_add, [EM_PRIM_SUBTRACT] = b_sub, [EM_PRIM_MULTIPLY] = b_mul,
        [EM_PRIM_DIVIDE] = b_div, [EM_PRIM_MAXIMUM] = b_max, [EM_PRIM_MINIMUM] = b_min,
        /* exp/log family (explog_body.h) */
        [EM_PRIM_POWER] = b_pow, [EM_PRIM_LOGADDEXP] = b_logaddexp,
        [EM_PRIM_ARCTAN2] = cpu_trig_avx2_arctan2, /* simd_trig_avx2.c */
    },
    .f16_to_f32 = f16_to_f32,
    .f32_to_f16 = f32_to_f16,
    .bf16_to_f32 = bf16_to_f32,
    .f32_to_bf16 = f32_to_bf16,
};
