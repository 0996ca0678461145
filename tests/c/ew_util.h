/* ew_util.h -- helpers of the elementwise tests (test_unary.c, test_binary.c,
 * test_ternary.c, test_astype.c): making arrays, reading results back
 * without going through astype, and measuring float errors in ulps. */
#ifndef EM_TESTS_EW_UTIL_H
#define EM_TESTS_EW_UTIL_H

#include <float.h>
#include <stdint.h>

#include "check.h"

/* A 1-d array of n elements of dtype copied from data. */
static inline em_array *ew_vec(const void *data, int64_t n, em_dtype dt) {
    return em_array_from_data(data, &n, 1, dt);
}

/* Evaluates a and returns its elements, which must be row-contiguous (fresh
 * kernel outputs are); NULL (and a failed check) otherwise. */
static inline const void *ew_raw(em_array *a) {
    const void *p = a ? em_array_data(a) : NULL;
    CHECK_MSG(p != NULL, "evaluation failed: %s", em_error_message());
    if (p && !em_array_is_contiguous(a)) {
        CHECK_MSG(0, "result is not row-contiguous");
        return NULL;
    }
    return p;
}

/* a has dtype dt and shape (n). */
static inline int ew_is(const em_array *a, em_dtype dt, int64_t n) {
    return a && em_array_dtype(a) == dt && em_array_ndim(a) == 1 && em_array_shape(a)[0] == n;
}

static inline uint32_t ew_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float ew_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t ew_f64_bits(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }

/* The distance of got from the exact value want, in units of the last place
 * of a float with `mant` mantissa bits (24 float32, 11 float16, 8 bfloat16)
 * and minimum normal exponent emin. NaN must meet NaN; a want beyond the
 * largest finite value must be met by the same infinity. */
static inline double ew_ulps(double got, double want, int mant, int emin, double maxval) {
    if (isnan(want)) return isnan(got) ? 0 : 1e30;
    if (isnan(got)) return 1e30;
    if (isinf(want) || fabs(want) > maxval) {
        if (isinf(got) && (got > 0) == (want > 0)) return 0;
        if (!isinf(want) && fabs(got) == maxval) return 0.5; /* rounded down to max */
        return 1e30;
    }
    if (isinf(got)) return 1e30;
    int e;
    frexp(fabs(want), &e);
    if (e - 1 < emin) e = emin + 1;
    double ulp = ldexp(1.0, e - mant);
    return fabs(got - want) / ulp;
}
static inline double ew_ulps_f32(float got, double want) {
    return ew_ulps(got, want, 24, -126, FLT_MAX);
}
static inline double ew_ulps_f64(double got, double want) {
    return ew_ulps(got, want, 53, -1022, DBL_MAX);
}

/* A small deterministic generator (xorshift64*). */
static inline uint64_t ew_rand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}
/* Uniform in [lo, hi). */
static inline double ew_uniform(uint64_t *s, double lo, double hi) {
    return lo + (hi - lo) * (double)(ew_rand(s) >> 11) * 0x1p-53;
}

/* float16 and bfloat16 bits to double (independent of the library). */
static inline double ew_f16_value(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}
static inline double ew_bf16_value(uint16_t b) { return ew_bits_f32((uint32_t)b << 16); }

#endif
