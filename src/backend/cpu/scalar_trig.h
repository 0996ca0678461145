/* scalar_trig.h -- float32 sin, cos, tan, arcsin, arccos, arctan, arctan2: the definition the vectorised loops of
 * simd_trig_avx512.c / simd_trig_avx2.c follow lane for lane (included by scalar.h, whose rules apply: no
 * contraction, the same fused multiply-adds in the same order).
 *
 * Every branch below is a pure selection between values each lane can compute, so the vector loops compute all
 * branches and blend; they match these functions bit for bit. Errors: EM_TRIG_ERRORS at the end of this comment.
 *
 *   sin, cos, tan: x = n pi/2 + r by Cody-Waite in three float parts with fma (the first step is exact for
 *     |x| <= EM_TRIG_BOUND_F), then polynomials on |r| <= pi/4 chosen and signed by n mod 4 (tan: -1/tan r for
 *     odd n). Above the bound, and for inf/NaN, the exact path: libm's double sin/cos/tan of the float's exact
 *     value, rounded once (the vector loops call the same function for those lanes).
 *   arcsin, arccos: |x| <= 1/2 by an odd polynomial in x; above, through s = sqrt((1 - |x|)/2):
 *     asin|x| = pi/2 - 2 asin s, acos x = 2 asin s (x > 0) or pi - 2 asin s; pi/2 and pi in two parts.
 *   arctan, arctan2: the ratio t in [-1, 1] (x itself or -1/x; min(|y|,|x|)/max) by one division, corrected by
 *     the division's exact residual, an odd polynomial, and pi/2 or pi added in two parts; arctan2's signed-zero
 *     and infinity cases as C's atan2.
 *
 * The sine and cosine polynomials are Cephes' (sinf, cosf); those of tan, asin and atan are minimax fits made for
 * ember (Lawson's iteration on the relative error, coefficients rounded to float).
 *
 * EM_TRIG_ERRORS, the largest error found against double libm, in ulps of the float32 result, over every 5th
 * float32 bit pattern (8.6e8 inputs; 4.3e8 in [-1, 1] for arcsin/arccos; arctan2 on 8.6e8 pairs of random bit
 * patterns and 8.6e8 pairs within 32 ulps of each other): sin 1.56, cos 1.56, tan 1.51, arcsin 1.15,
 * arccos 1.12, arctan 1.29, arctan2 1.63. (The tests check 1.6, 1.6, 1.6, 1.2, 1.2, 1.4 and 1.8.) */
#ifndef EM_BACKEND_CPU_SCALAR_TRIG_H
#define EM_BACKEND_CPU_SCALAR_TRIG_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Only the functions of this file are defined here; scalar.h's em_f32_bits/em_bits_f32 are redone locally so the
 * header stands alone. */
static inline uint32_t em_trig_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float em_trig_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

#define EM_TRIG_BOUND_F 0x1p17f      /* sin/cos/tan: the fast path for |x| <= this */
#define EM_TRIG_MAGIC_F 0x1.8p23f    /* (v + M) - M rounds |v| < 2^22 to an integer, kept in M's low bits */
#define EM_TRIG_2_PI_F 0x1.45f306p-1f /* 2/pi */
#define EM_PIO2_1_F 0x1.921fb6p+0f    /* pi/2 = P1 + P2 + P3 + O(2^-76) */
#define EM_PIO2_2_F -0x1.777a5cp-25f
#define EM_PIO2_3_F -0x1.ee59dap-50f
#define EM_PIO2_HI_F 0x1.921fb6p+0f
#define EM_PIO2_LO_F -0x1.777a5cp-25f
#define EM_PI_HI_F 0x1.921fb6p+1f
#define EM_PI_LO_F -0x1.777a5cp-24f

/* sin r ~ r + r z S(z), cos r ~ 1 - z/2 + z^2 C(z), tan r ~ r + r z T(z), z = r^2, |r| <= pi/4 (T: relative
 * error 2e-9) */
#define EM_SIN_S2 -1.9515295891e-4f
#define EM_SIN_S1 8.3321608736e-3f
#define EM_SIN_S0 -1.6666654611e-1f
#define EM_COS_C2 2.443315711809948e-5f
#define EM_COS_C1 -1.388731625493765e-3f
#define EM_COS_C0 4.166664568298827e-2f
#define EM_TAN_T6 0x1.2d7ef2p-8f
#define EM_TAN_T5 -0x1.7b16acp-12f
#define EM_TAN_T4 0x1.6e9f00p-7f
#define EM_TAN_T3 0x1.5a7bacp-6f
#define EM_TAN_T2 0x1.bb11ccp-5f
#define EM_TAN_T1 0x1.110c62p-3f
#define EM_TAN_T0 0x1.555564p-2f
/* asin s ~ s + s z A(z), z = s^2 <= 1/4 (relative error 5e-9) */
#define EM_ASIN_A4 0x1.596db0p-5f
#define EM_ASIN_A3 0x1.8c27aap-6f
#define EM_ASIN_A2 0x1.747e58p-5f
#define EM_ASIN_A1 0x1.3301e4p-4f
#define EM_ASIN_A0 0x1.5555c8p-3f
/* atan t ~ t + t z B(z), z = t^2, |t| <= 1 (relative error 3e-9) */
#define EM_ATAN_B8 -0x1.d62e3ep-10f
#define EM_ATAN_B7 0x1.65a57ap-7f
#define EM_ATAN_B6 -0x1.fed09cp-6f
#define EM_ATAN_B5 0x1.dac988p-5f
#define EM_ATAN_B4 -0x1.583478p-4f
#define EM_ATAN_B3 0x1.c099f8p-4f
#define EM_ATAN_B2 -0x1.2421b6p-3f
#define EM_ATAN_B1 0x1.9991fep-3f
#define EM_ATAN_B0 -0x1.55553ep-2f

/* The exact path of sin/cos/tan (|x| above the bound, inf, NaN). */
static inline float em_sin_big_f32(float x) { return (float)sin((double)x); }
static inline float em_cos_big_f32(float x) { return (float)cos((double)x); }
static inline float em_tan_big_f32(float x) { return (float)tan((double)x); }

/* r = x - n pi/2 for |x| <= EM_TRIG_BOUND_F; *q gets n (mod 4 in its low bits). */
static inline float em_trig_reduce_f32(float x, uint32_t *q) {
    float k = fmaf(x, EM_TRIG_2_PI_F, EM_TRIG_MAGIC_F);
    *q = em_trig_bits(k);
    float n = k - EM_TRIG_MAGIC_F;
    float r = fmaf(-n, EM_PIO2_1_F, x);
    r = fmaf(-n, EM_PIO2_2_F, r);
    return fmaf(-n, EM_PIO2_3_F, r);
}

static inline float em_sin_poly_f32(float r, float z) {
    float p = EM_SIN_S2;
    p = fmaf(p, z, EM_SIN_S1);
    p = fmaf(p, z, EM_SIN_S0);
    return fmaf(r * z, p, r);
}
static inline float em_cos_poly_f32(float z) {
    float p = EM_COS_C2;
    p = fmaf(p, z, EM_COS_C1);
    p = fmaf(p, z, EM_COS_C0);
    return fmaf(z * z, p, fmaf(-0.5f, z, 1.0f));
}

/* sin or cos of r by quadrant q: q odd takes the cosine, bit 1 of q flips the sign. */
static inline float em_sincos_quadrant_f32(float r, uint32_t q) {
    float z = r * r;
    float s = em_sin_poly_f32(r, z), c = em_cos_poly_f32(z);
    float v = q & 1u ? c : s;
    return em_trig_float(em_trig_bits(v) ^ ((q & 2u) << 30));
}

static inline float em_sin_f32(float x) {
    if (!(fabsf(x) <= EM_TRIG_BOUND_F)) return em_sin_big_f32(x);
    if (x == 0) return x; /* -0: the reduction's n P2 term (+0) would turn r into +0 */
    uint32_t q;
    float r = em_trig_reduce_f32(x, &q);
    return em_sincos_quadrant_f32(r, q);
}

static inline float em_cos_f32(float x) {
    if (!(fabsf(x) <= EM_TRIG_BOUND_F)) return em_cos_big_f32(x);
    uint32_t q;
    float r = em_trig_reduce_f32(x, &q);
    return em_sincos_quadrant_f32(r, q + 1u);
}

/* The same reduction carried as r_hi + r_lo (for tan, whose odd quadrants divide): n P2 joins r1 by an
 * error-free sum, the product's own error and n P3 go into r_lo. *lo gets r_lo. */
static inline float em_trig_reduce2_f32(float x, uint32_t *q, float *lo) {
    float k = fmaf(x, EM_TRIG_2_PI_F, EM_TRIG_MAGIC_F);
    *q = em_trig_bits(k);
    float n = k - EM_TRIG_MAGIC_F;
    float r1 = fmaf(-n, EM_PIO2_1_F, x);
    float c = n * -EM_PIO2_2_F;
    float ce = fmaf(n, -EM_PIO2_2_F, -c);
    float s = r1 + c, bb = s - r1;
    float err = (r1 - (s - bb)) + (c - bb);
    *lo = fmaf(n, -EM_PIO2_3_F, err + ce);
    return s;
}

/* tan: t = tan(r_hi + r_lo) as t_hi + t_lo; odd quadrants take -1/t with one correction step on the division. */
static inline float em_tan_f32(float x) {
    if (!(fabsf(x) <= EM_TRIG_BOUND_F)) return em_tan_big_f32(x);
    if (x == 0) return x;
    uint32_t q;
    float rl, rh = em_trig_reduce2_f32(x, &q, &rl);
    float z = rh * rh;
    float p = EM_TAN_T6;
    p = fmaf(p, z, EM_TAN_T5);
    p = fmaf(p, z, EM_TAN_T4);
    p = fmaf(p, z, EM_TAN_T3);
    p = fmaf(p, z, EM_TAN_T2);
    p = fmaf(p, z, EM_TAN_T1);
    p = fmaf(p, z, EM_TAN_T0);
    float tail = fmaf(rh * z, p, rl);
    float th = rh + tail;
    if (!(q & 1u)) return th;
    float tl = tail - (th - rh);
    float y = -1.0f / th;
    float rho = fmaf(y, tl, fmaf(y, th, 1.0f));
    return fmaf(y, rho, y);
}

/* asin s for |s| <= 1/2, z = s^2 (or z = s^2 as passed). */
static inline float em_asin_poly_f32(float s, float z) {
    float p = EM_ASIN_A4;
    p = fmaf(p, z, EM_ASIN_A3);
    p = fmaf(p, z, EM_ASIN_A2);
    p = fmaf(p, z, EM_ASIN_A1);
    p = fmaf(p, z, EM_ASIN_A0);
    return fmaf(s * z, p, s);
}

static inline float em_arcsin_f32(float x) {
    float a = fabsf(x);
    if (a > 0.5f) {
        float z = 0.5f * (1.0f - a); /* exact */
        float sq = sqrtf(z);
        float p = EM_ASIN_A4;
        p = fmaf(p, z, EM_ASIN_A3);
        p = fmaf(p, z, EM_ASIN_A2);
        p = fmaf(p, z, EM_ASIN_A1);
        p = fmaf(p, z, EM_ASIN_A0);
        /* pi/2 - 2 (s + q), q = s z A(z): HI - 2s by an error-free (fast) two-sum, its error and -2q joining LO */
        float q = (sq * z) * p;
        float h = fmaf(-2.0f, sq, EM_PIO2_HI_F);
        float e = -2.0f * sq - (h - EM_PIO2_HI_F);
        float r = h + (e + fmaf(-2.0f, q, EM_PIO2_LO_F));
        return copysignf(r, x);
    }
    return em_asin_poly_f32(x, x * x);
}

static inline float em_arccos_f32(float x) {
    float a = fabsf(x);
    if (a > 0.5f) {
        float z = 0.5f * (1.0f - a);
        float sq = sqrtf(z);
        float p = EM_ASIN_A4;
        p = fmaf(p, z, EM_ASIN_A3);
        p = fmaf(p, z, EM_ASIN_A2);
        p = fmaf(p, z, EM_ASIN_A1);
        p = fmaf(p, z, EM_ASIN_A0);
        float sz = sq * z;
        if (x > 0) return 2.0f * fmaf(sz, p, sq);
        /* pi - 2 (s + q) as arcsin's pi/2 - 2 (s + q) */
        float h = fmaf(-2.0f, sq, EM_PI_HI_F);
        float e = -2.0f * sq - (h - EM_PI_HI_F);
        return h + (e + fmaf(-2.0f, sz * p, EM_PI_LO_F));
    }
    /* pi/2 - asin x, the polynomial's tail joined with pi/2's low part first */
    float z = x * x;
    float p = EM_ASIN_A4;
    p = fmaf(p, z, EM_ASIN_A3);
    p = fmaf(p, z, EM_ASIN_A2);
    p = fmaf(p, z, EM_ASIN_A1);
    p = fmaf(p, z, EM_ASIN_A0);
    float u = fmaf(x * z, p, -EM_PIO2_LO_F);
    return EM_PIO2_HI_F - (x + u);
}

static inline float em_atan_horner_f32(float z) {
    float p = EM_ATAN_B8;
    p = fmaf(p, z, EM_ATAN_B7);
    p = fmaf(p, z, EM_ATAN_B6);
    p = fmaf(p, z, EM_ATAN_B5);
    p = fmaf(p, z, EM_ATAN_B4);
    p = fmaf(p, z, EM_ATAN_B3);
    p = fmaf(p, z, EM_ATAN_B2);
    p = fmaf(p, z, EM_ATAN_B1);
    return fmaf(p, z, EM_ATAN_B0);
}

/* hi + t + u, |t| <= 1 <= hi or hi = 0, u small: hi + t by an error-free (fast) two-sum, its error joining u. */
static inline float em_atan_sum_f32(float hi, float t, float u) {
    float s = hi + t;
    float e = t - (s - hi);
    return s + (e + u);
}

/* arctan: |x| <= 1 directly; above, pi/2 + atan(t) with t = -1/|x| and its correction -tl = (num - t den) (-t)
 * from the division's exact residual (1/den = -t). den is capped at 2^100 (no inf * 0 in the residual). */
static inline float em_arctan_f32(float x) {
    float a = fabsf(x);
    bool big = a > 1.0f;
    float num = big ? -1.0f : a;
    float den = big ? (a < 0x1p100f ? a : 0x1p100f) : 1.0f;
    float t = num / den;
    float tl = fmaf(-t, den, num) * t; /* minus the correction; 0 where den = 1 */
    float hi = big ? EM_PIO2_HI_F : 0.0f, lo = big ? EM_PIO2_LO_F : 0.0f;
    float z = t * t;
    float u = fmaf(t * z, em_atan_horner_f32(z), lo - tl);
    return copysignf(em_atan_sum_f32(hi, t, u), x);
}

/* arctan2(y, x): with a = |y|, b = |x|, t = min/max in [0, 1] as min (1/max) corrected by tl = (min - t max) /
 * max; the angle is +-atan t plus 0, pi/2 or pi (by a > b and x's sign) in two parts, with y's sign. Huge or
 * tiny pairs are scaled by a power of two first (exact); a min below 2^-100 takes the plain quotient (the
 * residual would underflow; atan t = t there). The vector loops run the general case for lanes with max in
 * [2^-60, 2^125], min 0 or >= 2^-100 and no NaN, and call this function for the others. */
static inline float em_arctan2_f32(float y, float x) {
    if (y != y || x != x) return y + x;
    float a = fabsf(y), b = fabsf(x);
    float mx = a > b ? a : b;
    float s = mx > 0x1p125f ? 0x1p-4f : mx < 0x1p-60f ? 0x1p64f : 1.0f;
    a *= s, b *= s, mx *= s;
    float mn = a < b ? a : b, t, tl;
    if (mx == 0) {
        t = 0.0f, tl = 0.0f; /* (+-0, +-0) */
    } else if (mx == INFINITY) {
        t = mn == INFINITY ? 1.0f : 0.0f, tl = 0.0f;
    } else if (mn < 0x1p-100f && mn > 0) {
        t = mn / mx, tl = 0.0f;
    } else {
        float d = 1.0f / mx;
        t = mn * d;
        tl = fmaf(-t, mx, mn) * d;
    }
    bool big = a > b, neg = signbit(x);
    float hi = big ? EM_PIO2_HI_F : neg ? EM_PI_HI_F : 0.0f;
    float lo = big ? EM_PIO2_LO_F : neg ? EM_PI_LO_F : 0.0f;
    float z = t * t;
    float p = em_atan_horner_f32(z);
    float tz = t * z;
    if (big != neg) t = -t, tz = -tz, tl = -tl;
    float u = fmaf(tz, p, tl + lo);
    return copysignf(em_atan_sum_f32(hi, t, u), y);
}

/* arctan2 by dtype suffix (scalar.h's binary float macro): ours for float32, libm's for float64 */
static inline float em_trig_atan2f(float y, float x) { return em_arctan2_f32(y, x); }
static inline double em_trig_atan2(double y, double x) { return atan2(y, x); }

#endif
