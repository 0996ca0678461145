/* simd_trig_avx2.c -- the AVX2+FMA float32 trigonometry loops of simd_trig.h (simd_trig_impl.h over ymm). */
#include <immintrin.h>

#include "scalar.h"
#include "simd.h"
#include "simd_trig.h"

#define TGT __attribute__((target("avx2,fma")))
#define W 8
typedef __m256 V;
typedef __m256 M; /* a lane is selected where its sign bit is set (blendv's rule) */
typedef __m256i VI;

static inline TGT V vset(float f) { return _mm256_set1_ps(f); }
static inline TGT V vadd(V a, V b) { return _mm256_add_ps(a, b); }
static inline TGT V vsub(V a, V b) { return _mm256_sub_ps(a, b); }
static inline TGT V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline TGT V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
static inline TGT V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
static inline TGT V vfnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
static inline TGT V vsqrt(V a) { return _mm256_sqrt_ps(a); }
static inline TGT V vsign(void) { return _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)); }
static inline TGT V vabs(V a) { return _mm256_andnot_ps(vsign(), a); }
static inline TGT V vmin(V a, V b) { return _mm256_min_ps(a, b); }
static inline TGT V vmax(V a, V b) { return _mm256_max_ps(a, b); }
static inline TGT VI vbits(V a) { return _mm256_castps_si256(a); }
static inline TGT V vxorbits(V a, VI b) { return _mm256_castsi256_ps(_mm256_xor_si256(vbits(a), b)); }
static inline TGT V vneg(V a) { return _mm256_xor_ps(a, vsign()); }
static inline TGT V vcopysign(V mag, V sgn) {
    return _mm256_or_ps(_mm256_andnot_ps(vsign(), mag), _mm256_and_ps(vsign(), sgn));
}
static inline TGT V vsel(M m, V no, V yes) { return _mm256_blendv_ps(no, yes, m); }
static inline TGT M mgt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline TGT M meq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline TGT M mnle(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
static inline TGT M mand(M a, M b) { return _mm256_and_ps(a, b); }
static inline TGT M munord(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
static inline TGT M mxor(M a, M b) { return _mm256_xor_ps(a, b); }
static inline TGT VI msign(M m) { return _mm256_castps_si256(_mm256_and_ps(m, vsign())); }
static inline TGT M mor(M a, M b) { return _mm256_or_ps(a, b); }
static inline TGT M mneg(V a) { return a; }
static inline TGT unsigned mbits(M m) { return (unsigned)_mm256_movemask_ps(m); }
static inline TGT VI viand(VI a, int c) { return _mm256_and_si256(a, _mm256_set1_epi32(c)); }
static inline TGT VI viadd(VI a, int c) { return _mm256_add_epi32(a, _mm256_set1_epi32(c)); }
static inline TGT VI vislli30(VI a) { return _mm256_slli_epi32(a, 30); }
static inline TGT M modd(VI q) { return _mm256_castsi256_ps(_mm256_slli_epi32(q, 31)); }
static inline TGT __m256i tail(int64_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline TGT V vload(const float *p) { return _mm256_loadu_ps(p); }
static inline TGT void vstore(float *p, V v) { _mm256_storeu_ps(p, v); }
static inline TGT V vload_tail(const float *p, int64_t k) { return _mm256_maskload_ps(p, tail(k)); }
static inline TGT void vstore_tail(float *p, int64_t k, V v) { _mm256_maskstore_ps(p, tail(k), v); }

#include "simd_trig_impl.h"

void cpu_trig_avx2_sin(const float *a, float *o, int64_t n) { trig_sin(a, o, n); }
void cpu_trig_avx2_cos(const float *a, float *o, int64_t n) { trig_cos(a, o, n); }
void cpu_trig_avx2_tan(const float *a, float *o, int64_t n) { trig_tan(a, o, n); }
void cpu_trig_avx2_arcsin(const float *a, float *o, int64_t n) { trig_arcsin(a, o, n); }
void cpu_trig_avx2_arccos(const float *a, float *o, int64_t n) { trig_arccos(a, o, n); }
void cpu_trig_avx2_arctan(const float *a, float *o, int64_t n) { trig_arctan(a, o, n); }
void cpu_trig_avx2_arctan2(const float *a, const float *b, float *o, int64_t n, int mode) {
    trig_arctan2(a, b, o, n, mode);
}
