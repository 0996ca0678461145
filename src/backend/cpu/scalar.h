/* scalar.h -- the scalar function of every elementwise op for every dtype it takes, and of every dtype conversion.
 *
 * This header is THE definition of the values ember's elementwise ops compute.
 * The CPU kernels expand these functions into loops; the vectorised float32
 * loops (simd_*.c) follow the float32 functions here operation for operation
 * (same constants, same fused multiply-adds, same order), so they agree with
 * them bit for bit; a fused, generated kernel that includes this header agrees
 * too, provided it is compiled without floating-point contraction
 * (-ffp-contract=off; C11 mode gives that on GCC) and without -ffast-math.
 *
 * Names: em_<op>_<suffix>, the suffix of EM_DTYPES (em_exp_float32,
 * em_add_int8). float16 and bfloat16 have no functions of their own: they
 * compute through float32 (widen with em_f16_to_f32, apply the float32
 * function, round back with em_f32_to_f16), exactly as the kernels do.
 *
 * Semantics (NumPy's values, MLX's dtype rules), where the two differ or C
 * leaves a choice:
 *   - integer +, -, *, negative, abs, square and power wrap (two's
 *     complement); abs(INT_MIN) == INT_MIN, as NumPy and MLX.
 *   - integer floor_divide and remainder follow Python's signs (the remainder
 *     takes the divisor's sign); division by zero gives 0 for both (NumPy;
 *     MLX's remainder returns the dividend); INT_MIN // -1 == INT_MIN.
 *   - float floor_divide and remainder are NumPy's divmod (fmod, then adjust;
 *     1.0 // 0.1 == 9); MLX computes floor(a / b) (== 10 there).
 *   - integer power with a negative exponent: 0, except base 1 (1) and base -1
 *     (+-1); MLX gives 0 for those too, NumPy refuses.
 *   - shifts by a negative count or >= the bit width give 0, or -1 for a right
 *     shift of a negative value (NumPy); MLX masks the count as x86 does.
 *   - maximum/minimum propagate NaN (the first NaN operand is returned);
 *     complex ones, and complex <, <=, >, >=, compare lexicographically (MLX).
 *   - sign(NaN) is NaN (NumPy; MLX gives 0); sign(-0.0) is +0.0; unsigned sign
 *     is 0 or 1; complex sign is z/|z| (0 for 0).
 *   - bool: add is or, subtract is xor, multiply/floor_divide/minimum are and,
 *     maximum is or, power is (a or not b) (MLX's results); remainder is 0
 *     (NumPy's x % 0 == 0; MLX returns a for a % False).
 *   - complex floor_divide is plain division (MLX).
 *   - casts: see the conversion section at the end. */
#ifndef EM_BACKEND_CPU_SCALAR_H
#define EM_BACKEND_CPU_SCALAR_H

#include <complex.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../core/dtype.h"
#include "../../ops/primitives.h"

/* No contraction of a*b+c into fma behind our back: the vector loops must
 * see the same roundings. (GCC in C11 mode does not contract.) */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

static inline uint32_t em_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float em_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* float32 sin cos tan arcsin arccos arctan arctan2 (and their errors): scalar_trig.h */
#include "scalar_trig.h"

/* ======================================================================
 * float32 kernels of the vectorised functions. Each is mirrored lane for
 * lane in simd_avx2.c and simd_avx512.c. Errors, measured against double
 * libm over every float32 input: exp 0.89 ulp, log 0.83, sigmoid 2.40, erf
 * 0.99, erfinv 3.5. Over every 7th float32 bit pattern (6.1e8 inputs;
 * bench/explog_accuracy.c): tanh 1.10, expm1 1.29, log1p 0.88, log2 1.01,
 * log10 0.86, sinh 1.61, cosh 1.35, arcsinh 1.21, arccosh 1.62, arctanh
 * 0.89 (at most 0.01% of inputs above 1 ulp). power: correctly rounded but
 * in near-halfway cases (2e7 random pairs: 3 off by the last bit, at most
 * 0.50001 ulp). logaddexp: NumPy's formula, within 4.5 ulps of the larger of
 * max(a, b) and the result (the sum cancels near 0; NumPy's float32 too).
 * ====================================================================== */

#define EM_LOG2E_F 0x1.715476p+0f
#define EM_LN2_HI_F 0x1.62e430p-1f  /* float(ln 2) */
#define EM_LN2_LO_F -0x1.05c610p-29f /* ln 2 - EM_LN2_HI_F */
#define EM_EXP_BOUND_F 104.0f        /* exp(104) overflows, exp(-104) rounds to 0 */
#define EM_SQRT_HALF_BITS 0x3f3504f3u

/* e^r ~ 1 + r + r^2 (C2 + C3 r + ... + C6 r^4) on [-ln2/2, ln2/2], a minimax
 * fit (relative error 3e-9) made for ember; evaluated by Horner in 6 fma. */
#define EM_EXP_C6 0x1.6a23d0p-10f
#define EM_EXP_C5 0x1.123a20p-7f
#define EM_EXP_C4 0x1.5558f2p-5f
#define EM_EXP_C3 0x1.555492p-3f
#define EM_EXP_C2 0x1.fffffcp-2f
#define EM_ROUND_MAGIC_F 0x1.8p23f /* (v + M) - M rounds |v| < 2^22 to an integer */

/* exp: x = n ln2 + r (n = rint(x/ln2) through the magic constant; r by
 * Cody-Waite with fma, whose first step is exact), e^r by the polynomial,
 * then scaled by 2^n with one rounding (into the subnormals if need be). */
static inline float em_exp_f32(float x) {
    if (x != x) return x + x;
    float c = fabsf(x) > EM_EXP_BOUND_F ? copysignf(EM_EXP_BOUND_F, x) : x;
    float n = fmaf(c, EM_LOG2E_F, EM_ROUND_MAGIC_F) - EM_ROUND_MAGIC_F;
    float r = fmaf(-n, EM_LN2_HI_F, c);
    r = fmaf(-n, EM_LN2_LO_F, r);
    float p = EM_EXP_C6;
    p = fmaf(p, r, EM_EXP_C5);
    p = fmaf(p, r, EM_EXP_C4);
    p = fmaf(p, r, EM_EXP_C3);
    p = fmaf(p, r, EM_EXP_C2);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    /* p * 2^n as p * 2^n1 * 2^n2 (|n| <= 151): the first product is exact,
     * the second rounds once; vscalefps does the same in one step. */
    int32_t ni = (int32_t)n, n1 = ni / 2, n2 = ni - n1;
    return p * em_bits_f32((uint32_t)(n1 + 127) << 23) * em_bits_f32((uint32_t)(n2 + 127) << 23);
}

/* Cephes' polynomial for log(1+f) - f + f^2/2 = f^3 P(f), f in
 * [sqrt(1/2)-1, sqrt(2)-1]. */
#define EM_LOG_P8 0x1.204376p-4f
#define EM_LOG_P7 -0x1.d7a370p-4f
#define EM_LOG_P6 0x1.de4a34p-4f
#define EM_LOG_P5 -0x1.fcba9ep-4f
#define EM_LOG_P4 0x1.23d37ep-3f
#define EM_LOG_P3 -0x1.555ca0p-3f
#define EM_LOG_P2 0x1.999d58p-3f
#define EM_LOG_P1 -0x1.fffff8p-3f
#define EM_LOG_P0 0x1.555554p-2f

/* log: x = 2^e m with m in [sqrt(1/2), sqrt(2)) read from the bits
 * (subnormals scaled by 2^23 first), log m by the polynomial. */
static inline float em_log_f32(float x) {
    if (x != x) return x + x;
    if (x < 0) return NAN;
    if (x == 0) return -INFINITY;
    if (x == INFINITY) return x;
    uint32_t u = em_f32_bits(x);
    float e0 = 0.0f;
    if (u < 0x00800000u) {
        x *= 0x1p23f;
        e0 = -23.0f;
        u = em_f32_bits(x);
    }
    int32_t ix = (int32_t)(u - EM_SQRT_HALF_BITS);
    float e = (float)(ix >> 23) + e0;
    float f = em_bits_f32(((uint32_t)ix & 0x007fffffu) + EM_SQRT_HALF_BITS) - 1.0f;
    float z = f * f;
    float p = EM_LOG_P8;
    p = fmaf(p, f, EM_LOG_P7);
    p = fmaf(p, f, EM_LOG_P6);
    p = fmaf(p, f, EM_LOG_P5);
    p = fmaf(p, f, EM_LOG_P4);
    p = fmaf(p, f, EM_LOG_P3);
    p = fmaf(p, f, EM_LOG_P2);
    p = fmaf(p, f, EM_LOG_P1);
    p = fmaf(p, f, EM_LOG_P0);
    float y = p * f * z;
    y = fmaf(e, EM_LN2_LO_F, y);
    y = fmaf(-0.5f, z, y);
    float r = f + y;
    return fmaf(e, EM_LN2_HI_F, r);
}

/* tanh(x) = x + x^3 P(x^2) on |x| <= 1, a minimax fit (relative error
 * 6e-9) made for ember. */
#define EM_TANH_P6 -0x1.77dcb2p-12f
#define EM_TANH_P5 0x1.2da4c0p-9f
#define EM_TANH_P4 -0x1.0460b0p-7f
#define EM_TANH_P3 0x1.60098cp-6f
#define EM_TANH_P2 -0x1.b96222p-5f
#define EM_TANH_P1 0x1.110be2p-3f
#define EM_TANH_P0 -0x1.55553cp-2f

/* tanh: the polynomial for |x| <= 1, else 1 - 2/(e^{2|x|} + 1) with x's
 * sign (e^{2|x|} by em_tanh_exp_f32). The vector loops skip the exp path
 * for vectors with no lane above 1 (64 Ki in [0.05, 0.95]: 21 -> 8 us);
 * vectors mixing both (normal inputs: nearly all) cost what the former
 * Cephes split at 0.625 did (64 Ki standard normal: 21.3 -> 20.6 us). */
/* e^c for tanh's large path, c = 2|x| in [2, 20] (clamped): 2/(e^c + 1)
 * there is at most 0.24, which divides the error of e^c by 4; one
 * Cody-Waite step (the lost n ln2_lo is below 6e-8 of an already small
 * term) and a degree-5 polynomial (minimax, 1.1e-7) suffice. */
#define EM_TANH_E5 0x1.106288p-7f
#define EM_TANH_E4 0x1.5729f0p-5f
#define EM_TANH_E3 0x1.5557aep-3f
#define EM_TANH_E2 0x1.fffdfcp-2f
static inline float em_tanh_exp_f32(float a2) {
    float c = a2 < 20.0f ? a2 : 20.0f;
    float n = fmaf(c, EM_LOG2E_F, EM_ROUND_MAGIC_F) - EM_ROUND_MAGIC_F;
    float r = fmaf(-n, EM_LN2_HI_F, c);
    float p = EM_TANH_E5;
    p = fmaf(p, r, EM_TANH_E4);
    p = fmaf(p, r, EM_TANH_E3);
    p = fmaf(p, r, EM_TANH_E2);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    return p * em_bits_f32((uint32_t)((int32_t)n + 127) << 23);
}

static inline float em_tanh_f32(float x) {
    float ax = fabsf(x);
    if (ax > 1.0f) {
        float z = em_tanh_exp_f32(ax + ax);
        return copysignf(1.0f - 2.0f / (z + 1.0f), x);
    }
    float z = x * x;
    float p = EM_TANH_P6;
    p = fmaf(p, z, EM_TANH_P5);
    p = fmaf(p, z, EM_TANH_P4);
    p = fmaf(p, z, EM_TANH_P3);
    p = fmaf(p, z, EM_TANH_P2);
    p = fmaf(p, z, EM_TANH_P1);
    p = fmaf(p, z, EM_TANH_P0);
    return x == 0 ? x : fmaf(p * z, x, x); /* keeps -0 */
}

/* sigmoid: with e = exp(-|x|), 1/(1+e) for x >= 0 and e/(1+e) below: never
 * overflows, accurate for large |x| of either sign. */
static inline float em_sigmoid_f32(float x) {
    float e = em_exp_f32(-fabsf(x));
    return (x < 0 ? e : 1.0f) / (1.0f + e);
}

/* erf: |x| < 1: x + x Q(x^2) (minimax, fitted for ember); else
 * 1 - exp(-x^2) R(|x| - 1), R a minimax fit of erfc(t) e^{t^2} on [1, 4]
 * weighted by e^{-t^2}; x^2's rounding error is folded back in; |x| >= 4
 * rounds to +-1. */
#define EM_ERF_A6 0x1.496a6ep-14f
#define EM_ERF_A5 -0x1.a3f718p-11f
#define EM_ERF_A4 0x1.5405b6p-8f
#define EM_ERF_A3 -0x1.b7f90ep-6f
#define EM_ERF_A2 0x1.ce2cf8p-4f
#define EM_ERF_A1 -0x1.81273ep-2f
#define EM_ERF_A0 0x1.06eba8p-3f
#define EM_ERF_B8 0x1.c02294p-14f
#define EM_ERF_B7 -0x1.151a0ap-10f
#define EM_ERF_B6 0x1.41ddcep-8f
#define EM_ERF_B5 -0x1.ef2138p-7f
#define EM_ERF_B4 0x1.2e1472p-5f
#define EM_ERF_B3 -0x1.43cd70p-4f
#define EM_ERF_B2 0x1.3c1c24p-3f
#define EM_ERF_B1 -0x1.17c4a4p-2f
#define EM_ERF_B0 0x1.b5d878p-2f

static inline float em_erf_f32(float x) {
    float t = fabsf(x);
    if (t < 1.0f) {
        float s = x * x;
        float p = EM_ERF_A6;
        p = fmaf(p, s, EM_ERF_A5);
        p = fmaf(p, s, EM_ERF_A4);
        p = fmaf(p, s, EM_ERF_A3);
        p = fmaf(p, s, EM_ERF_A2);
        p = fmaf(p, s, EM_ERF_A1);
        p = fmaf(p, s, EM_ERF_A0);
        return fmaf(p, x, x);
    }
    if (x != x) return x + x;
    t = t < 4.0f ? t : 4.0f;
    float u = t - 1.0f;
    float p = EM_ERF_B8;
    p = fmaf(p, u, EM_ERF_B7);
    p = fmaf(p, u, EM_ERF_B6);
    p = fmaf(p, u, EM_ERF_B5);
    p = fmaf(p, u, EM_ERF_B4);
    p = fmaf(p, u, EM_ERF_B3);
    p = fmaf(p, u, EM_ERF_B2);
    p = fmaf(p, u, EM_ERF_B1);
    p = fmaf(p, u, EM_ERF_B0);
    float s = t * t;
    float ds = fmaf(t, t, -s);
    p = fmaf(-p, ds, p);
    return copysignf(1.0f - em_exp_f32(-s) * p, x);
}

/* erfinv's two polynomials, highest degree first: in w - 2.5 for w < 5, in
 * sqrt(w) - 3 above (shared with the vectorised loops of simd_avx*.c). */
#define EM_ERFINV_A0 2.81022636e-08f
#define EM_ERFINV_A1 3.43273939e-07f
#define EM_ERFINV_A2 -3.5233877e-06f
#define EM_ERFINV_A3 -4.39150654e-06f
#define EM_ERFINV_A4 0.00021858087f
#define EM_ERFINV_A5 -0.00125372503f
#define EM_ERFINV_A6 -0.00417768164f
#define EM_ERFINV_A7 0.246640727f
#define EM_ERFINV_A8 1.50140941f
#define EM_ERFINV_B0 -0.000200214257f
#define EM_ERFINV_B1 0.000100950558f
#define EM_ERFINV_B2 0.00134934322f
#define EM_ERFINV_B3 -0.00367342844f
#define EM_ERFINV_B4 0.00573950773f
#define EM_ERFINV_B5 -0.0076224613f
#define EM_ERFINV_B6 0.00943887047f
#define EM_ERFINV_B7 1.00167406f
#define EM_ERFINV_B8 2.83297682f

/* erfinv: Giles' single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2010), with w = -log(1 - x^2). */
static inline float em_erfinv_f32(float x) {
    float ax = fabsf(x);
    if (!(ax < 1.0f)) return ax == 1.0f ? copysignf(INFINITY, x) : NAN;
    float w = -em_log_f32(fmaf(-x, x, 1.0f)), p;
    if (w < 5.0f) {
        w = w - 2.5f;
        p = EM_ERFINV_A0;
        p = fmaf(p, w, EM_ERFINV_A1);
        p = fmaf(p, w, EM_ERFINV_A2);
        p = fmaf(p, w, EM_ERFINV_A3);
        p = fmaf(p, w, EM_ERFINV_A4);
        p = fmaf(p, w, EM_ERFINV_A5);
        p = fmaf(p, w, EM_ERFINV_A6);
        p = fmaf(p, w, EM_ERFINV_A7);
        p = fmaf(p, w, EM_ERFINV_A8);
    } else {
        w = sqrtf(w) - 3.0f;
        p = EM_ERFINV_B0;
        p = fmaf(p, w, EM_ERFINV_B1);
        p = fmaf(p, w, EM_ERFINV_B2);
        p = fmaf(p, w, EM_ERFINV_B3);
        p = fmaf(p, w, EM_ERFINV_B4);
        p = fmaf(p, w, EM_ERFINV_B5);
        p = fmaf(p, w, EM_ERFINV_B6);
        p = fmaf(p, w, EM_ERFINV_B7);
        p = fmaf(p, w, EM_ERFINV_B8);
    }
    return p * x;
}

/* float64 erfinv: Giles' approximation as a start, then Newton steps to full
 * precision: on erf for |y| < 1/2; on log(erfc) above, where 1 - |y| is
 * exact and log(erfc) is nearly quadratic, so the steps converge from either
 * side even deep in the tail (there the start is erfc's asymptote). */
static inline double em_erfinv_f64(double y) {
    double ay = fabs(y);
    if (!(ay < 1.0)) return ay == 1.0 ? copysign(INFINITY, y) : NAN;
    if (ay == 0) return y;
    double c = 1.0 - ay, w = -log(c * (1.0 + ay)), p, x;
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = p * w + 3.43273939e-07;
        p = p * w - 3.5233877e-06;
        p = p * w - 4.39150654e-06;
        p = p * w + 0.00021858087;
        p = p * w - 0.00125372503;
        p = p * w - 0.00417768164;
        p = p * w + 0.246640727;
        p = p * w + 1.50140941;
        x = p * ay;
    } else if (w < 16.0) {
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = p * w + 0.000100950558;
        p = p * w + 0.00134934322;
        p = p * w - 0.00367342844;
        p = p * w + 0.00573950773;
        p = p * w - 0.0076224613;
        p = p * w + 0.00943887047;
        p = p * w + 1.00167406;
        p = p * w + 2.83297682;
        x = p * ay;
    } else { /* erfc(x) ~ e^{-x^2} / (x sqrt(pi)) */
        x = sqrt(-log(c));
        x = sqrt(-log(c * x * 1.7724538509055160));
    }
    for (int i = 0; i < 8; i++) {
        double d = 1.1283791670955126 * exp(-x * x); /* erf'(x) = 2/sqrt(pi) e^{-x^2} */
        double dx;
        if (ay < 0.5) {
            dx = (erf(x) - ay) / d;
        } else {
            double e = erfc(x);
            dx = -log(e / c) * e / d;
        }
        x -= dx;
        /* Newton converges quadratically: the error left after a step of
         * size dx is about K dx^2 with K = |f''/2f'| (x on erf, about 1/2x
         * on log erfc), far below an ulp once dx < 1e-9 x; stopping there
         * saves the step that only confirmed convergence (2 steps, not 3). */
        if (!(fabs(dx) > 1e-9 * x)) break;
    }
    return copysign(x, y);
}

static inline double em_sigmoid_f64(double x) {
    double e = exp(-fabs(x));
    return (x < 0 ? e : 1.0) / (1.0 + e);
}

/* ---- the exp/log family: expm1, log1p, log2, log10, sinh, cosh, arcsinh,
 * arccosh, arctanh, power, logaddexp. One body (explog_body.h, where each
 * algorithm is described) expanded here over plain floats and in
 * simd_avx2.c / simd_avx512.c over vectors. Errors measured against double
 * libm (float32 ulps; all float32 inputs for the unary ones, 2^24 random
 * pairs plus edge grids for the binary ones): see the table at the top of
 * this section. ---- */
#define EM_EXPM1_Q0 0x1.555554p-3f /* (expm1(r) - r - r^2/2) / r^3, minimax */
#define EM_EXPM1_Q1 0x1.5554f2p-5f /* on [-ln2/2, ln2/2] fitted for ember */
#define EM_EXPM1_Q2 0x1.1111cap-7f
#define EM_EXPM1_Q3 0x1.6d406cp-10f
#define EM_EXPM1_Q4 0x1.9fbdf8p-13f
#define EM_SINH_S0 0x1.555556p-3f /* (sinh(x) - x) / x^3 in x^2, minimax on */
#define EM_SINH_S1 0x1.111134p-7f /* [0, 1] fitted for ember */
#define EM_SINH_S2 0x1.9ffe92p-13f
#define EM_SINH_S3 0x1.7a15b6p-19f
#define EM_SQRT_HALF_M1_F -0x1.2bec34p-2f /* float(sqrt(1/2)) - 1 */
#define EM_SQRT2_M1_F 0x1.a82798p-2f      /* 2 float(sqrt(1/2)) - 1 */
#define EM_LN2_F 0x1.62e430p-1f
#define EM_LOG2E_LO_F 0x1.4ae0c0p-26f  /* log2(e) - EM_LOG2E_F */
#define EM_LOG10E_F 0x1.bcb7b2p-2f
#define EM_LOG10E_LO_F -0x1.5b235ep-27f
#define EM_LOG10_2_HI_F 0x1.344p-2f    /* 11 bits: e * it is exact */
#define EM_LOG10_2_LO_F 0x1.3509f8p-18f
/* 2 log2(e) / (2k + 1): log2(1 + f) = s sum_k L_k s^2k, s = f / (2 + f) */
#define EM_POW_L0 0x1.71547652b82fep+1
#define EM_POW_L1 0x1.ec709dc3a03fdp-1
#define EM_POW_L2 0x1.2776c50ef9bfep-1
#define EM_POW_L3 0x1.a61762a7aded9p-2
#define EM_POW_L4 0x1.484b13d7c02a9p-2
#define EM_POW_L5 0x1.0c9a84994022dp-2
#define EM_POW_L6 0x1.c68f568d31760p-3
#define EM_POW_L7 0x1.89f3b1694cffep-3

static inline double em_v_bits_f64_(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline uint64_t em_v_f64_bits_(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
/* p * 2^n as two exact powers of two (no conversion of n: it may be NaN in
 * a lane whose result is discarded) */
static inline float em_v_scale_(float p, float n) {
    uint32_t ni = em_f32_bits(n + EM_ROUND_MAGIC_F) - em_f32_bits(EM_ROUND_MAGIC_F);
    uint32_t n1 = (uint32_t)((int32_t)ni >> 1), n2 = ni - n1;
    return p * em_bits_f32((n1 + 127u) << 23) * em_bits_f32((n2 + 127u) << 23);
}

#define VX_TGT
#define VX_FN(name) em_v_##name
#define VX_V float
#define VX_M bool
#define VX_VI uint32_t
#define VX_SET(c) ((float)(c))
#define VX_ISET(c) ((uint32_t)(c))
#define VX_ADD(a, b) ((a) + (b))
#define VX_SUB(a, b) ((a) - (b))
#define VX_MUL(a, b) ((a) * (b))
#define VX_DIV(a, b) ((a) / (b))
#define VX_FMA(a, b, c) fmaf(a, b, c)
#define VX_FMS(a, b, c) fmaf(a, b, -(c))
#define VX_SQRT(a) sqrtf(a)
#define VX_ABS(a) fabsf(a)
#define VX_NEG(a) (-(a))
#define VX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VX_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VX_LT(a, b) ((a) < (b))
#define VX_LE(a, b) ((a) <= (b))
#define VX_GT(a, b) ((a) > (b))
#define VX_GE(a, b) ((a) >= (b))
#define VX_EQ(a, b) ((a) == (b))
#define VX_NE(a, b) ((a) < (b) || (a) > (b))
#define VX_UNORD(a) ((a) != (a))
#define VX_SIGNM(a) (signbit(a) != 0)
#define VX_MAND(a, b) ((a) && (b))
#define VX_MOR(a, b) ((a) || (b))
#define VX_MNOT(a) (!(a))
#define VX_ANY(m) (m)
#define VX_SEL(m, no, yes) ((m) ? (yes) : (no))
#define VX_COPYSIGN(m, s) copysignf(m, s)
#define VX_RINT(a) rintf(a)
#define VX_CASTI(a) em_f32_bits(a)
#define VX_CASTF(a) em_bits_f32(a)
#define VX_IADD(a, b) ((a) + (b))
#define VX_ISUB(a, b) ((a) - (b))
#define VX_IAND(a, b) ((a) & (b))
#define VX_SRAI(a, k) ((uint32_t)((int32_t)(a) >> (k)))
#define VX_SLLI(a, k) ((a) << (k))
#define VX_CVTIF(a) ((float)(int32_t)(a))
#define VX_SCALE(p, n) em_v_scale_(p, n)
#define VX_EXPF(a) em_exp_f32(a)
#define VX_VD double
#define VX_DI uint64_t
#define VX_DSET(c) ((double)(c))
#define VX_DISET(c) ((uint64_t)(c))
#define VX_DADD(a, b) ((a) + (b))
#define VX_DSUB(a, b) ((a) - (b))
#define VX_DMUL(a, b) ((a) * (b))
#define VX_DDIV(a, b) ((a) / (b))
#define VX_DFMA(a, b, c) fma(a, b, c)
#define VX_DMIN(a, b) ((a) < (b) ? (a) : (b))
#define VX_DMAX(a, b) ((a) > (b) ? (a) : (b))
#define VX_DEQ(a, b) ((a) == (b))
#define VX_DSEL(m, no, yes) ((m) ? (yes) : (no))
#define VX_DCASTI(a) em_v_f64_bits_(a)
#define VX_DCASTF(a) em_v_bits_f64_(a)
#define VX_DIADD(a, b) ((a) + (b))
#define VX_DISUB(a, b) ((a) - (b))
#define VX_DIAND(a, b) ((a) & (b))
#define VX_DIOR(a, b) ((a) | (b))
#define VX_DISRL(a, k) ((a) >> (k))
#define VX_DISLL(a, k) ((a) << (k))
#include "explog_body.h"
#include "explog_undef.h"

static inline float em_expm1_f32(float x) { return em_v_expm1(x); }
static inline float em_log1p_f32(float x) { return em_v_log1p(x); }
static inline float em_log2_f32(float x) { return em_v_log2(x); }
static inline float em_log10_f32(float x) { return em_v_log10(x); }
static inline float em_sinh_f32(float x) { return em_v_sinh(x); }
static inline float em_cosh_f32(float x) { return em_v_cosh(x); }
static inline float em_arcsinh_f32(float x) { return em_v_arcsinh(x); }
static inline float em_arccosh_f32(float x) { return em_v_arccosh(x); }
static inline float em_arctanh_f32(float x) { return em_v_arctanh(x); }
static inline float em_logaddexp_f32(float a, float b) { return em_v_logaddexp(a, b); }
static inline float em_power_f32(float x, float y) {
    float ax = fabsf(x), e, rcp;
    float f = em_v_pow_reduce(ax, &e, &rcp);
    float r = (float)em_v_pow_d((double)f, (double)e, (double)rcp, (double)y);
    if (y == 3.0f) r = (float)((double)ax * ax * ax);
    return em_v_pow_fix(x, y, r);
}

/* ======================================================================
 * Unary ops.
 * ====================================================================== */

/* bool */
static inline bool em_abs_bool(bool x) { return x; }
static inline bool em_sign_bool(bool x) { return x; }
static inline bool em_square_bool(bool x) { return x; }
static inline bool em_floor_bool(bool x) { return x; }
static inline bool em_ceil_bool(bool x) { return x; }
static inline bool em_round_bool(bool x) { return x; }
static inline bool em_conjugate_bool(bool x) { return x; }
static inline bool em_real_bool(bool x) { return x; }
static inline bool em_imag_bool(bool x) { (void)x; return false; }
static inline bool em_bitwise_invert_bool(bool x) { return !x; }
static inline bool em_logical_not_bool(bool x) { return !x; }
static inline bool em_isnan_bool(bool x) { (void)x; return false; }
static inline bool em_isinf_bool(bool x) { (void)x; return false; }
static inline bool em_isfinite_bool(bool x) { (void)x; return true; }
static inline bool em_isposinf_bool(bool x) { (void)x; return false; }
static inline bool em_isneginf_bool(bool x) { (void)x; return false; }

/* Integers: arithmetic in uint64_t, which wraps without undefined behaviour;
 * the conversion back to a narrower signed type wraps (GCC and Clang
 * define it so). */
#define EM_UNARY_INT_(E, s, t)                                                 \
    static inline t em_square_##s(t x) { return (t)((uint64_t)x * (uint64_t)x); } \
    static inline t em_negative_##s(t x) { return (t)(0 - (uint64_t)x); }      \
    static inline t em_floor_##s(t x) { return x; }                            \
    static inline t em_ceil_##s(t x) { return x; }                             \
    static inline t em_round_##s(t x) { return x; }                            \
    static inline t em_conjugate_##s(t x) { return x; }                        \
    static inline t em_real_##s(t x) { return x; }                             \
    static inline t em_imag_##s(t x) { (void)x; return 0; }                    \
    static inline t em_bitwise_invert_##s(t x) { return (t)~x; }               \
    static inline bool em_logical_not_##s(t x) { return x == 0; }              \
    static inline bool em_isnan_##s(t x) { (void)x; return false; }            \
    static inline bool em_isinf_##s(t x) { (void)x; return false; }            \
    static inline bool em_isfinite_##s(t x) { (void)x; return true; }          \
    static inline bool em_isposinf_##s(t x) { (void)x; return false; }         \
    static inline bool em_isneginf_##s(t x) { (void)x; return false; }
EM_DTYPES_INT(EM_UNARY_INT_)
#undef EM_UNARY_INT_

#define EM_UNARY_UINT_(E, s, t)                                                \
    static inline t em_abs_##s(t x) { return x; }                              \
    static inline t em_sign_##s(t x) { return x != 0; }
EM_DTYPES_UINT(EM_UNARY_UINT_)
#undef EM_UNARY_UINT_

#define EM_UNARY_SINT_(E, s, t)                                                \
    static inline t em_abs_##s(t x) { return x < 0 ? em_negative_##s(x) : x; } \
    static inline t em_sign_##s(t x) { return (t)((x > 0) - (x < 0)); }
EM_DTYPES_SINT(EM_UNARY_SINT_)
#undef EM_UNARY_SINT_

/* float32 and float64: libm where it is accurate and not vectorised, the
 * kernels above where it is. */
/* floor, ceil and rint with a NaN returned unchanged: glibc's versions and
 * SSE4.1's round instructions differ on a signalling NaN (the instructions
 * quiet it), and the vectorised loops (simd_*.c, and the generic loops built
 * per instruction set, isa.h) must give the same bits as this in every
 * build. */
static inline float em_floor_f32(float x) { return x != x ? x : floorf(x); }
static inline float em_ceil_f32(float x) { return x != x ? x : ceilf(x); }
/* float64 floor/ceil as rint, moved by one where it went the wrong way, the
 * sign put back (floor and ceil keep x's sign: ceil(-0.5) == -0): the same
 * values as floor/ceil in every rounding mode, and it vectorises (floor
 * does not under GCC's default -ftrapping-math; rint does). */
static inline double em_floor_f64(double x) {
    double r = rint(x);
    return x != x ? x : copysign(r > x ? r - 1 : r, x);
}
static inline double em_ceil_f64(double x) {
    double r = rint(x);
    return x != x ? x : copysign(r < x ? r + 1 : r, x);
}
/* rint: half to even under the default rounding mode (NumPy's round). */
static inline float em_round_f32(float x) { return x != x ? x : rintf(x); }
static inline double em_round_f64(double x) { return x != x ? x : rint(x); }
#define EM_UNARY_LIBM_(op, f32, f64)                                           \
    static inline float em_##op##_float32(float x) { return f32(x); }          \
    static inline double em_##op##_float64(double x) { return f64(x); }
EM_UNARY_LIBM_(abs, fabsf, fabs)
EM_UNARY_LIBM_(expm1, em_expm1_f32, expm1)
EM_UNARY_LIBM_(log1p, em_log1p_f32, log1p)
EM_UNARY_LIBM_(log2, em_log2_f32, log2)
EM_UNARY_LIBM_(log10, em_log10_f32, log10)
EM_UNARY_LIBM_(sqrt, sqrtf, sqrt)
EM_UNARY_LIBM_(sin, em_sin_f32, sin)
EM_UNARY_LIBM_(cos, em_cos_f32, cos)
EM_UNARY_LIBM_(tan, em_tan_f32, tan)
EM_UNARY_LIBM_(arcsin, em_arcsin_f32, asin)
EM_UNARY_LIBM_(arccos, em_arccos_f32, acos)
EM_UNARY_LIBM_(arctan, em_arctan_f32, atan)
EM_UNARY_LIBM_(sinh, em_sinh_f32, sinh)
EM_UNARY_LIBM_(cosh, em_cosh_f32, cosh)
EM_UNARY_LIBM_(arcsinh, em_arcsinh_f32, asinh)
EM_UNARY_LIBM_(arccosh, em_arccosh_f32, acosh)
EM_UNARY_LIBM_(arctanh, em_arctanh_f32, atanh)
EM_UNARY_LIBM_(floor, em_floor_f32, em_floor_f64)
EM_UNARY_LIBM_(ceil, em_ceil_f32, em_ceil_f64)
EM_UNARY_LIBM_(round, em_round_f32, em_round_f64)
EM_UNARY_LIBM_(exp, em_exp_f32, exp)
EM_UNARY_LIBM_(log, em_log_f32, log)
EM_UNARY_LIBM_(tanh, em_tanh_f32, tanh)
EM_UNARY_LIBM_(sigmoid, em_sigmoid_f32, em_sigmoid_f64)
EM_UNARY_LIBM_(erf, em_erf_f32, erf)
EM_UNARY_LIBM_(erfinv, em_erfinv_f32, em_erfinv_f64)
#undef EM_UNARY_LIBM_

#define EM_UNARY_FLOAT_(E, s, t)                                               \
    static inline t em_negative_##s(t x) { return -x; }                        \
    static inline t em_sign_##s(t x) { return x > 0 ? (t)1 : x < 0 ? (t)-1 : x == 0 ? (t)0 : x; } \
    static inline t em_rsqrt_##s(t x) { return (t)1 / em_sqrt_##s(x); }       \
    static inline t em_square_##s(t x) { return x * x; }                       \
    static inline t em_reciprocal_##s(t x) { return (t)1 / x; }                \
    static inline t em_conjugate_##s(t x) { return x; }                        \
    static inline t em_real_##s(t x) { return x; }                             \
    static inline t em_imag_##s(t x) { (void)x; return 0; }                    \
    static inline bool em_isnan_##s(t x) { return x != x; }                    \
    static inline bool em_isinf_##s(t x) { return x == (t)INFINITY || x == -(t)INFINITY; } \
    static inline bool em_isfinite_##s(t x) { return x - x == 0; }             \
    static inline bool em_isposinf_##s(t x) { return x == (t)INFINITY; }       \
    static inline bool em_isneginf_##s(t x) { return x == -(t)INFINITY; }      \
    static inline bool em_logical_not_##s(t x) { return x == 0; }              \
    static inline t em_nan_to_num_##s(t x, const em_nan_to_num_params *p) {    \
        return x != x ? (t)p->nan : x == (t)INFINITY ? (t)p->posinf            \
               : x == -(t)INFINITY ? (t)p->neginf : x;                         \
    }
EM_DTYPES_NATIVE_FLOAT(EM_UNARY_FLOAT_)
#undef EM_UNARY_FLOAT_

/* complex64. (C11's CMPLXF is missing from glibc under Clang; a complex
 * float is laid out as float[2].) */
static inline em_c64 em_c64_make(float re, float im) {
    float p[2] = {re, im};
    em_c64 z;
    memcpy(&z, p, sizeof z);
    return z;
}
static inline float em_abs_complex64(em_c64 z) { return cabsf(z); }
static inline float em_real_complex64(em_c64 z) { return crealf(z); }
static inline float em_imag_complex64(em_c64 z) { return cimagf(z); }
static inline em_c64 em_conjugate_complex64(em_c64 z) { return conjf(z); }
static inline em_c64 em_negative_complex64(em_c64 z) { return em_c64_make(-crealf(z), -cimagf(z)); }
static inline em_c64 em_sign_complex64(em_c64 z) {
    if (crealf(z) == 0 && cimagf(z) == 0) return em_c64_make(0.0f, 0.0f);
    float m = cabsf(z);
    return em_c64_make(crealf(z) / m, cimagf(z) / m);
}
/* Products as NumPy writes them (no C99 Annex G recovery of infinities). */
static inline em_c64 em_cmul_(em_c64 a, em_c64 b) {
    float ar = crealf(a), ai = cimagf(a), br = crealf(b), bi = cimagf(b);
    return em_c64_make(ar * br - ai * bi, ar * bi + ai * br);
}
static inline em_c64 em_square_complex64(em_c64 z) { return em_cmul_(z, z); }
static inline em_c64 em_reciprocal_complex64(em_c64 z) { return 1.0f / z; }
static inline em_c64 em_exp_complex64(em_c64 z) { return cexpf(z); }
static inline em_c64 em_log_complex64(em_c64 z) { return clogf(z); }
static inline em_c64 em_log1p_complex64(em_c64 z) { return clogf(1.0f + z); }
static inline em_c64 em_log2_complex64(em_c64 z) {
    em_c64 l = clogf(z);
    return em_c64_make(crealf(l) * 1.44269504088896340736f, cimagf(l) * 1.44269504088896340736f);
}
static inline em_c64 em_log10_complex64(em_c64 z) {
    em_c64 l = clogf(z);
    return em_c64_make(crealf(l) * 0.434294481903251827651f, cimagf(l) * 0.434294481903251827651f);
}
static inline em_c64 em_sqrt_complex64(em_c64 z) { return csqrtf(z); }
static inline em_c64 em_rsqrt_complex64(em_c64 z) { return 1.0f / csqrtf(z); }
static inline em_c64 em_sin_complex64(em_c64 z) { return csinf(z); }
static inline em_c64 em_cos_complex64(em_c64 z) { return ccosf(z); }
static inline em_c64 em_tan_complex64(em_c64 z) { return ctanf(z); }
static inline em_c64 em_arcsin_complex64(em_c64 z) { return casinf(z); }
static inline em_c64 em_arccos_complex64(em_c64 z) { return cacosf(z); }
static inline em_c64 em_arctan_complex64(em_c64 z) { return catanf(z); }
static inline em_c64 em_sinh_complex64(em_c64 z) { return csinhf(z); }
static inline em_c64 em_cosh_complex64(em_c64 z) { return ccoshf(z); }
static inline em_c64 em_tanh_complex64(em_c64 z) { return ctanhf(z); }
static inline em_c64 em_arcsinh_complex64(em_c64 z) { return casinhf(z); }
static inline em_c64 em_arccosh_complex64(em_c64 z) { return cacoshf(z); }
static inline em_c64 em_arctanh_complex64(em_c64 z) { return catanhf(z); }
static inline em_c64 em_round_complex64(em_c64 z) { return em_c64_make(em_round_f32(crealf(z)), em_round_f32(cimagf(z))); }
static inline bool em_isnan_complex64(em_c64 z) { return isnan(crealf(z)) || isnan(cimagf(z)); }
static inline bool em_isinf_complex64(em_c64 z) { return isinf(crealf(z)) || isinf(cimagf(z)); }
static inline bool em_isfinite_complex64(em_c64 z) { return isfinite(crealf(z)) && isfinite(cimagf(z)); }
/* As MLX: z == inf with inf promoted to complex (inf + 0j). */
static inline bool em_isposinf_complex64(em_c64 z) { return crealf(z) == INFINITY && cimagf(z) == 0; }
static inline bool em_isneginf_complex64(em_c64 z) { return crealf(z) == -INFINITY && cimagf(z) == 0; }
static inline bool em_logical_not_complex64(em_c64 z) { return crealf(z) == 0 && cimagf(z) == 0; }

/* ======================================================================
 * Binary ops.
 * ====================================================================== */

/* bool (MLX's results; see the top). */
static inline bool em_add_bool(bool a, bool b) { return a | b; }
static inline bool em_subtract_bool(bool a, bool b) { return a ^ b; }
static inline bool em_multiply_bool(bool a, bool b) { return a & b; }
static inline bool em_floor_divide_bool(bool a, bool b) { return a & b; }
static inline bool em_remainder_bool(bool a, bool b) { (void)a; (void)b; return false; }
static inline bool em_power_bool(bool a, bool b) { return a | !b; }
static inline bool em_maximum_bool(bool a, bool b) { return a | b; }
static inline bool em_minimum_bool(bool a, bool b) { return a & b; }
static inline bool em_logical_and_bool(bool a, bool b) { return a & b; }
static inline bool em_logical_or_bool(bool a, bool b) { return a | b; }
static inline bool em_bitwise_and_bool(bool a, bool b) { return a & b; }
static inline bool em_bitwise_or_bool(bool a, bool b) { return a | b; }
static inline bool em_bitwise_xor_bool(bool a, bool b) { return a ^ b; }

/* Comparisons of every real dtype. */
#define EM_COMPARE_(E, s, t)                                                   \
    static inline bool em_equal_##s(t a, t b) { return a == b; }               \
    static inline bool em_not_equal_##s(t a, t b) { return a != b; }           \
    static inline bool em_less_##s(t a, t b) { return a < b; }                 \
    static inline bool em_less_equal_##s(t a, t b) { return a <= b; }          \
    static inline bool em_greater_##s(t a, t b) { return a > b; }              \
    static inline bool em_greater_equal_##s(t a, t b) { return a >= b; }
EM_COMPARE_(EM_BOOL, bool, bool)
EM_DTYPES_INT(EM_COMPARE_)
EM_DTYPES_NATIVE_FLOAT(EM_COMPARE_)
#undef EM_COMPARE_

#define EM_BINARY_INT_(E, s, t)                                                \
    static inline t em_add_##s(t a, t b) { return (t)((uint64_t)a + (uint64_t)b); } \
    static inline t em_subtract_##s(t a, t b) { return (t)((uint64_t)a - (uint64_t)b); } \
    static inline t em_multiply_##s(t a, t b) { return (t)((uint64_t)a * (uint64_t)b); } \
    static inline t em_maximum_##s(t a, t b) { return a > b ? a : b; }         \
    static inline t em_minimum_##s(t a, t b) { return a < b ? a : b; }         \
    static inline t em_bitwise_and_##s(t a, t b) { return (t)(a & b); }        \
    static inline t em_bitwise_or_##s(t a, t b) { return (t)(a | b); }         \
    static inline t em_bitwise_xor_##s(t a, t b) { return (t)(a ^ b); }        \
    static inline t em_power_pos_##s(t a, uint64_t e) { /* by squaring */      \
        uint64_t r = 1, x = (uint64_t)a;                                       \
        for (; e; e >>= 1, x *= x)                                             \
            if (e & 1) r *= x;                                                 \
        return (t)r;                                                           \
    }
EM_DTYPES_INT(EM_BINARY_INT_)
#undef EM_BINARY_INT_

/* Integer floor_divide and remainder of the types of at most 32 bits divide
 * in float (8 and 16 bits) or double (32 bits), which vectorises where the
 * integer division does not: with |a| < 2^24 (2^53) the rounded quotient of
 * a / b never reaches an integer that the exact one does not, so truncating
 * it gives the exact truncated quotient. The divisors whose quotient would
 * not fit an int32 (0, and -1 signed or 1 unsigned) are replaced by one that
 * does and their results put in after with masks: no branch, so that the
 * loops vectorise (a select would be turned into one around the division). */
static inline int32_t em_sdiv32_(int32_t a, int32_t b, bool narrow, int32_t *rem) {
    int32_t bad = -(int32_t)(b == 0) | -(int32_t)(b == -1);
    int32_t bd = (b & ~bad) | (bad & 1);
    int32_t q = narrow ? (int32_t)((float)a / (float)bd) : (int32_t)((double)a / (double)bd);
    int32_t r = a - q * bd, adj = -(int32_t)((r != 0) & ((r ^ bd) < 0));
    *rem = (r + (bd & adj)) & ~bad;
    return ((q + adj) & ~bad) | ((int32_t)(0u - (uint32_t)a) & -(int32_t)(b == -1));
}
static inline uint32_t em_udiv32_(uint32_t a, uint32_t b, bool narrow, uint32_t *rem) {
    uint32_t small = 0u - (uint32_t)(b <= 1);
    uint32_t bd = (b & ~small) | (2u & small);
    uint32_t q = narrow ? (uint32_t)(int32_t)((float)a / (float)bd)
                        : (uint32_t)(int32_t)((double)a / (double)bd);
    *rem = (a - q * bd) & ~small;
    return (q & ~small) | (a & (0u - (uint32_t)(b == 1)));
}

#define EM_BINARY_UINT_(E, s, t)                                               \
    static inline t em_floor_divide_##s(t a, t b) {                            \
        if (sizeof(t) > 4) return b ? (t)(a / b) : 0;                          \
        uint32_t r;                                                            \
        return (t)em_udiv32_((uint32_t)a, (uint32_t)b, sizeof(t) <= 2, &r);    \
    }                                                                          \
    static inline t em_remainder_##s(t a, t b) {                               \
        if (sizeof(t) > 4) return b ? (t)(a % b) : 0;                          \
        uint32_t r;                                                            \
        em_udiv32_((uint32_t)a, (uint32_t)b, sizeof(t) <= 2, &r);              \
        return (t)r;                                                           \
    }                                                                          \
    static inline t em_power_##s(t a, t b) { return em_power_pos_##s(a, b); }  \
    static inline t em_left_shift_##s(t a, t b) {                              \
        return (uint64_t)b < 8 * sizeof(t) ? (t)((uint64_t)a << b) : 0;        \
    }                                                                          \
    static inline t em_right_shift_##s(t a, t b) {                             \
        return (uint64_t)b < 8 * sizeof(t) ? (t)(a >> b) : 0;                  \
    }
EM_DTYPES_UINT(EM_BINARY_UINT_)
#undef EM_BINARY_UINT_

/* Signed: b == -1 is taken apart so that INT_MIN / -1 never happens. A right
 * shift of a negative value is arithmetic (GCC and Clang define it so). */
#define EM_BINARY_SINT_(E, s, t)                                               \
    static inline t em_floor_divide_##s(t a, t b) {                            \
        if (sizeof(t) > 4) {                                                   \
            if (b == 0) return 0;                                              \
            if (b == -1) return em_negative_##s(a);                            \
            t q = (t)(a / b), r = (t)(a % b);                                  \
            return r != 0 && (r < 0) != (b < 0) ? (t)(q - 1) : q;              \
        }                                                                      \
        int32_t r;                                                             \
        return (t)em_sdiv32_((int32_t)a, (int32_t)b, sizeof(t) <= 2, &r);      \
    }                                                                          \
    static inline t em_remainder_##s(t a, t b) {                               \
        if (sizeof(t) > 4) {                                                   \
            if (b == 0 || b == -1) return 0;                                   \
            t r = (t)(a % b);                                                  \
            return r != 0 && (r < 0) != (b < 0) ? (t)(r + b) : r;              \
        }                                                                      \
        int32_t r;                                                             \
        em_sdiv32_((int32_t)a, (int32_t)b, sizeof(t) <= 2, &r);                \
        return (t)r;                                                           \
    }                                                                          \
    static inline t em_power_##s(t a, t b) {                                   \
        if (b >= 0) return em_power_pos_##s(a, (uint64_t)b);                   \
        return a == 1 ? 1 : a == -1 ? (((uint64_t)b & 1) ? -1 : 1) : 0;        \
    }                                                                          \
    static inline t em_left_shift_##s(t a, t b) {                              \
        return b >= 0 && b < (t)(8 * sizeof(t)) ? (t)((uint64_t)a << b) : 0;   \
    }                                                                          \
    static inline t em_right_shift_##s(t a, t b) {                             \
        if (b >= 0 && b < (t)(8 * sizeof(t))) return (t)(a >> b);              \
        return a < 0 ? -1 : 0;                                                 \
    }
EM_DTYPES_SINT(EM_BINARY_SINT_)
#undef EM_BINARY_SINT_

/* float32 and float64. floor_divide/remainder: NumPy's npy_divmod. */
#define EM_BINARY_FLOAT_(E, s, t, SFX)                                         \
    static inline t em_add_##s(t a, t b) { return a + b; }                     \
    static inline t em_subtract_##s(t a, t b) { return a - b; }                \
    static inline t em_multiply_##s(t a, t b) { return a * b; }                \
    static inline t em_divide_##s(t a, t b) { return a / b; }                  \
    static inline t em_maximum_##s(t a, t b) { return a != a ? a : a > b ? a : b; } \
    static inline t em_minimum_##s(t a, t b) { return a != a ? a : a < b ? a : b; } \
    static inline t em_power_libm_##s(t a, t b) { return pow##SFX(a, b); }     \
    static inline t em_arctan2_##s(t a, t b) { return em_trig_atan2##SFX(a, b); } \
    static inline t em_divmod_##s(t a, t b, t *mod) {                          \
        t m = fmod##SFX(a, b);                                                 \
        if (b == 0) {                                                          \
            *mod = m;                                                          \
            return a / b;                                                      \
        }                                                                      \
        t div = (a - m) / b;                                                   \
        if (m != 0) {                                                          \
            if ((b < 0) != (m < 0)) {                                          \
                m += b;                                                        \
                div -= 1;                                                      \
            }                                                                  \
        } else {                                                               \
            m = copysign##SFX(0, b);                                           \
        }                                                                      \
        t fd;                                                                  \
        if (div != 0) {                                                        \
            fd = floor##SFX(div);                                              \
            if (div - fd > (t)0.5) fd += 1;                                    \
        } else {                                                               \
            fd = copysign##SFX(0, a / b);                                      \
        }                                                                      \
        *mod = m;                                                              \
        return fd;                                                             \
    }                                                                          \
    static inline t em_floor_divide_##s(t a, t b) {                            \
        t m;                                                                   \
        return em_divmod_##s(a, b, &m);                                        \
    }                                                                          \
    static inline t em_remainder_##s(t a, t b) {                               \
        t m;                                                                   \
        if (b == 0) return fmod##SFX(a, b);                                    \
        em_divmod_##s(a, b, &m);                                               \
        return m;                                                              \
    }                                                                          \
    /* NumPy's logaddexp: equal arguments (and infinities) exactly. */        \
    static inline t em_logaddexp_libm_##s(t a, t b) {                          \
        if (a == b) return a + (t)0.693147180559945309417;                                       \
        t d = a - b;                                                           \
        if (d > 0) return a + log1p##SFX(em_exp_##s(-d));                      \
        if (d <= 0) return b + log1p##SFX(em_exp_##s(d));                      \
        return d;                                                              \
    }
EM_BINARY_FLOAT_(EM_FLOAT32, float32, float, f)
EM_BINARY_FLOAT_(EM_FLOAT64, float64, double, )
#undef EM_BINARY_FLOAT_
/* float32 power and logaddexp: explog_body.h's (vectorised); float64: libm's. */
static inline float em_power_float32(float a, float b) { return em_power_f32(a, b); }
static inline double em_power_float64(double a, double b) { return em_power_libm_float64(a, b); }
static inline float em_logaddexp_float32(float a, float b) { return em_logaddexp_f32(a, b); }
static inline double em_logaddexp_float64(double a, double b) { return em_logaddexp_libm_float64(a, b); }

/* complex64 */
static inline em_c64 em_add_complex64(em_c64 a, em_c64 b) { return a + b; }
static inline em_c64 em_subtract_complex64(em_c64 a, em_c64 b) { return a - b; }
static inline em_c64 em_multiply_complex64(em_c64 a, em_c64 b) { return em_cmul_(a, b); }
static inline em_c64 em_divide_complex64(em_c64 a, em_c64 b) { return a / b; }
static inline em_c64 em_floor_divide_complex64(em_c64 a, em_c64 b) { return a / b; }
/* NumPy's nc_pow: z**0 == 1, integer exponents below 100 by squaring. */
static inline em_c64 em_power_complex64(em_c64 a, em_c64 b) {
    float br = crealf(b), bi = cimagf(b);
    if (br == 0 && bi == 0) return em_c64_make(1.0f, 0.0f);
    if (crealf(a) == 0 && cimagf(a) == 0) {
        if (br > 0 && bi == 0) return em_c64_make(0.0f, 0.0f);
        return em_c64_make(NAN, NAN);
    }
    if (bi == 0 && br > -100 && br < 100 && br == (float)(int)br) {
        int n = (int)br;
        unsigned m = (unsigned)(n < 0 ? -n : n);
        em_c64 r = em_c64_make(1.0f, 0.0f), x = a;
        for (; m; m >>= 1, x = em_cmul_(x, x))
            if (m & 1) r = em_cmul_(r, x);
        return n < 0 ? 1.0f / r : r;
    }
    return cpowf(a, b);
}
static inline bool em_cnan_(em_c64 z) { return crealf(z) != crealf(z) || cimagf(z) != cimagf(z); }
static inline bool em_equal_complex64(em_c64 a, em_c64 b) { return crealf(a) == crealf(b) && cimagf(a) == cimagf(b); }
static inline bool em_not_equal_complex64(em_c64 a, em_c64 b) { return !em_equal_complex64(a, b); }
static inline bool em_less_complex64(em_c64 a, em_c64 b) {
    return crealf(a) < crealf(b) || (crealf(a) == crealf(b) && cimagf(a) < cimagf(b));
}
static inline bool em_less_equal_complex64(em_c64 a, em_c64 b) {
    return crealf(a) < crealf(b) || (crealf(a) == crealf(b) && cimagf(a) <= cimagf(b));
}
static inline bool em_greater_complex64(em_c64 a, em_c64 b) { return em_less_complex64(b, a); }
static inline bool em_greater_equal_complex64(em_c64 a, em_c64 b) { return em_less_equal_complex64(b, a); }
static inline em_c64 em_maximum_complex64(em_c64 a, em_c64 b) {
    return em_cnan_(a) ? a : em_cnan_(b) ? b : em_greater_complex64(a, b) ? a : b;
}
static inline em_c64 em_minimum_complex64(em_c64 a, em_c64 b) {
    return em_cnan_(a) ? a : em_cnan_(b) ? b : em_less_complex64(a, b) ? a : b;
}
/* MLX's: max + log1p(exp(min - max)), with max/min lexicographic. */
static inline em_c64 em_logaddexp_complex64(em_c64 a, em_c64 b) {
    em_c64 hi = em_maximum_complex64(a, b), lo = em_minimum_complex64(a, b);
    if ((crealf(lo) == -INFINITY && cimagf(lo) == 0) || (crealf(hi) == INFINITY && cimagf(hi) == 0))
        return hi;
    return hi + clogf(1.0f + cexpf(lo - hi));
}

/* ======================================================================
 * Conversions (astype). A value is first widened to one of five classes
 * (uint64_t for bool and unsigned, int64_t for signed, float for float16,
 * bfloat16 and float32, double, complex), then converted to the
 * destination: em_widen_<src> and em_<dst>_from_<class>. Rules:
 *   - to bool: != 0 (NaN is true; complex: either part).
 *   - integer to integer: the low bits (two's complement wrap), as C/NumPy.
 *   - float to integer: truncation toward zero, saturated to the
 *     destination's range (300.0 -> uint8 255, -1.0 -> uint8 0, inf -> int32
 *     INT32_MAX); NaN gives 0. Never undefined behaviour. (NumPy and MLX
 *     leave these cases unspecified; on x86 they give e.g. INT32_MIN, 44,
 *     255.)
 *   - complex to real: the real part.
 *   - to float16/bfloat16: one rounding to nearest even from the exact
 *     value: integers and float64 go through float32 rounded to odd, which
 *     makes the second rounding exact; float32 rounds directly (half.h).
 * ====================================================================== */

typedef uint64_t em_wide_bool;
typedef uint64_t em_wide_uint8, em_wide_uint16, em_wide_uint32, em_wide_uint64;
typedef int64_t em_wide_int8, em_wide_int16, em_wide_int32, em_wide_int64;
typedef float em_wide_float16, em_wide_bfloat16, em_wide_float32;
typedef double em_wide_float64;
typedef em_c64 em_wide_complex64;

static inline uint64_t em_widen_bool(bool x) { return x; }
#define EM_WIDEN_UINT_(E, s, t) static inline uint64_t em_widen_##s(t x) { return x; }
#define EM_WIDEN_SINT_(E, s, t) static inline int64_t em_widen_##s(t x) { return x; }
EM_DTYPES_UINT(EM_WIDEN_UINT_)
EM_DTYPES_SINT(EM_WIDEN_SINT_)
#undef EM_WIDEN_UINT_
#undef EM_WIDEN_SINT_
static inline float em_widen_float16(em_f16 x) { return em_f16_to_f32(x); }
static inline float em_widen_bfloat16(em_bf16 x) { return em_bf16_to_f32(x); }
static inline float em_widen_float32(float x) { return x; }
static inline double em_widen_float64(double x) { return x; }
static inline em_c64 em_widen_complex64(em_c64 x) { return x; }

/* Round to odd: the nearest float toward zero, with its last bit set when
 * inexact. A second rounding to a format of <= 22 bits is then exact. */
static inline float em_u64_to_f32_odd_(uint64_t u) {
    if (u < (1u << 24)) return (float)u;
    int sh = 40 - __builtin_clzll(u);
    uint64_t m = u >> sh;
    if (u & (((uint64_t)1 << sh) - 1)) m |= 1;
    return ldexpf((float)m, sh);
}
static inline float em_i64_to_f32_odd_(int64_t v) {
    float f = em_u64_to_f32_odd_(v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    return v < 0 ? -f : f;
}
static inline float em_f64_to_f32_odd_(double d) {
    float f = (float)d;
    if ((double)f != d && d == d) {
        uint32_t u = em_f32_bits(f);
        if (!(u & 1)) u = fabs((double)f) < fabs(d) ? u + 1 : u - 1;
        f = em_bits_f32(u);
    }
    return f;
}

static inline bool em_bool_from_u64(uint64_t v) { return v != 0; }
static inline bool em_bool_from_i64(int64_t v) { return v != 0; }
static inline bool em_bool_from_f32(float v) { return v != 0; }
static inline bool em_bool_from_f64(double v) { return v != 0; }
static inline bool em_bool_from_c64(em_c64 v) { return crealf(v) != 0 || cimagf(v) != 0; }

/* Float to integer: truncation, saturated to the destination's range; NaN
 * gives 0. The bounds below are exact doubles: lo is one below the smallest
 * value (or a value that rounds to it), hi the largest value plus one. */
#define EM_TO_INT_(s, t, lo, hi)                                               \
    static inline t em_##s##_from_u64(uint64_t v) { return (t)v; }            \
    static inline t em_##s##_from_i64(int64_t v) { return (t)v; }             \
    static inline t em_##s##_from_f64(double v) {                              \
        if (v != v) return 0;                                                  \
        if (v <= (lo)) return (t)((lo) + 1);                                   \
        if (v >= (hi)) return (t)((hi) - 1);                                   \
        return (t)v;                                                           \
    }                                                                          \
    static inline t em_##s##_from_f32(float v) { return em_##s##_from_f64(v); } \
    static inline t em_##s##_from_c64(em_c64 v) { return em_##s##_from_f64(crealf(v)); }
EM_TO_INT_(uint8, uint8_t, -1.0, 256.0)
EM_TO_INT_(uint16, uint16_t, -1.0, 65536.0)
EM_TO_INT_(uint32, uint32_t, -1.0, 4294967296.0)
EM_TO_INT_(int8, int8_t, -129.0, 128.0)
EM_TO_INT_(int16, int16_t, -32769.0, 32768.0)
EM_TO_INT_(int32, int32_t, -2147483649.0, 2147483648.0)
#undef EM_TO_INT_
/* 64 bits: the limits are not doubles; the comparisons are done at 2^63 and
 * 2^64, which are. */
static inline uint64_t em_uint64_from_u64(uint64_t v) { return v; }
static inline uint64_t em_uint64_from_i64(int64_t v) { return (uint64_t)v; }
static inline uint64_t em_uint64_from_f64(double v) {
    if (!(v > -1.0)) return 0; /* NaN too */
    return v >= 0x1p64 ? UINT64_MAX : (uint64_t)v;
}
static inline uint64_t em_uint64_from_f32(float v) { return em_uint64_from_f64(v); }
static inline uint64_t em_uint64_from_c64(em_c64 v) { return em_uint64_from_f64(crealf(v)); }
static inline int64_t em_int64_from_u64(uint64_t v) { return (int64_t)v; }
static inline int64_t em_int64_from_i64(int64_t v) { return v; }
static inline int64_t em_int64_from_f64(double v) {
    if (v != v) return 0;
    if (v < -0x1p63) return INT64_MIN;
    return v >= 0x1p63 ? INT64_MAX : (int64_t)v;
}
static inline int64_t em_int64_from_f32(float v) { return em_int64_from_f64(v); }
static inline int64_t em_int64_from_c64(em_c64 v) { return em_int64_from_f64(crealf(v)); }

#define EM_TO_HALF_(s, t, from_f32)                                            \
    static inline t em_##s##_from_f32(float v) { return from_f32(v); }        \
    static inline t em_##s##_from_u64(uint64_t v) { return from_f32(em_u64_to_f32_odd_(v)); } \
    static inline t em_##s##_from_i64(int64_t v) { return from_f32(em_i64_to_f32_odd_(v)); } \
    static inline t em_##s##_from_f64(double v) { return from_f32(em_f64_to_f32_odd_(v)); } \
    static inline t em_##s##_from_c64(em_c64 v) { return from_f32(crealf(v)); }
EM_TO_HALF_(float16, em_f16, em_f32_to_f16)
EM_TO_HALF_(bfloat16, em_bf16, em_f32_to_bf16)
#undef EM_TO_HALF_

#define EM_TO_REAL_(s, t)                                                      \
    static inline t em_##s##_from_u64(uint64_t v) { return (t)v; }            \
    static inline t em_##s##_from_i64(int64_t v) { return (t)v; }             \
    static inline t em_##s##_from_f32(float v) { return (t)v; }               \
    static inline t em_##s##_from_f64(double v) { return (t)v; }              \
    static inline t em_##s##_from_c64(em_c64 v) { return (t)crealf(v); }
EM_TO_REAL_(float32, float)
EM_TO_REAL_(float64, double)
#undef EM_TO_REAL_

static inline em_c64 em_complex64_from_u64(uint64_t v) { return em_c64_make((float)v, 0.0f); }
static inline em_c64 em_complex64_from_i64(int64_t v) { return em_c64_make((float)v, 0.0f); }
static inline em_c64 em_complex64_from_f32(float v) { return em_c64_make(v, 0.0f); }
static inline em_c64 em_complex64_from_f64(double v) { return em_c64_make((float)v, 0.0f); }
static inline em_c64 em_complex64_from_c64(em_c64 v) { return v; }

#endif
