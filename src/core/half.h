/* half.h -- float16 and bfloat16 storage types and their exact conversions to
 * and from float32 (round to nearest even, NaN kept quiet). */
#ifndef EM_CORE_HALF_H
#define EM_CORE_HALF_H

#include <stdint.h>
#include <string.h>

/* Distinct struct types, so the two 16-bit floats can never be confused with
 * each other or with uint16_t in the X-macro expansions. */
typedef struct { uint16_t bits; } em_f16;
typedef struct { uint16_t bits; } em_bf16;

static inline uint32_t half_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float half_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float em_f16_to_f32(em_f16 h) {
    uint32_t sign = (uint32_t)(h.bits & 0x8000u) << 16;
    uint32_t exp = (h.bits >> 10) & 0x1fu;
    uint32_t man = h.bits & 0x3ffu;
    if (exp == 0x1f) /* inf, or NaN made quiet (as IEEE and F16C's vcvtph2ps do) */
        return half_bits_f32(sign | 0x7f800000u | ((man ? man | 0x200u : 0) << 13));
    if (exp == 0) {
        if (man == 0) return half_bits_f32(sign);
        /* subnormal: man * 2^-24 */
        float v = (float)man * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return half_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

static inline em_f16 em_f32_to_f16(float f) {
    uint32_t u = half_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    em_f16 h;
    if (a >= 0x7f800000u) { /* inf or nan */
        h.bits = (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u | ((a >> 13) & 0x3ffu) : 0));
        return h;
    }
    if (a >= 0x477ff000u) { /* rounds to >= 65520: overflow to inf */
        h.bits = (uint16_t)(sign | 0x7c00u);
        return h;
    }
    if (a < 0x38800000u) { /* below the smallest normal: subnormal or zero */
        float v = half_bits_f32(a) * 16777216.0f; /* in units of 2^-24 */
        /* rint-like round half to even on the integer part */
        uint32_t m = (uint32_t)v;
        float rem = v - (float)m;
        if (rem > 0.5f || (rem == 0.5f && (m & 1u))) m++;
        h.bits = (uint16_t)(sign | m);
        return h;
    }
    uint32_t r = a + 0x0fffu + ((a >> 13) & 1u) - (112u << 23); /* round to even */
    h.bits = (uint16_t)(sign | (r >> 13));
    return h;
}

static inline float em_bf16_to_f32(em_bf16 b) { return half_bits_f32((uint32_t)b.bits << 16); }

static inline em_bf16 em_f32_to_bf16(float f) {
    uint32_t u = half_f32_bits(f);
    em_bf16 b;
    if ((u & 0x7fffffffu) > 0x7f800000u) { b.bits = (uint16_t)((u >> 16) | 0x40u); return b; }
    u += 0x7fffu + ((u >> 16) & 1u);
    b.bits = (uint16_t)(u >> 16);
    return b;
}

#endif
