/* simd_trig_avx512.c -- the AVX-512 float32 trigonometry loops of simd_trig.h (simd_trig_impl.h over zmm). */
#include <immintrin.h>

#include "scalar.h"
#include "simd.h"
#include "simd_trig.h"

#define TGT __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define W 16
typedef __m512 V;
typedef __mmask16 M;
typedef __m512i VI;

static inline TGT V vset(float f) { return _mm512_set1_ps(f); }
static inline TGT V vadd(V a, V b) { return _mm512_add_ps(a, b); }
static inline TGT V vsub(V a, V b) { return _mm512_sub_ps(a, b); }
static inline TGT V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
static inline TGT V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
static inline TGT V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
static inline TGT V vfnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
static inline TGT V vsqrt(V a) { return _mm512_sqrt_ps(a); }
static inline TGT V vabs(V a) { return _mm512_abs_ps(a); }
static inline TGT V vmin(V a, V b) { return _mm512_min_ps(a, b); }
static inline TGT V vmax(V a, V b) { return _mm512_max_ps(a, b); }
static inline TGT VI vsignmask(void) { return _mm512_set1_epi32((int)0x80000000u); }
static inline TGT VI vbits(V a) { return _mm512_castps_si512(a); }
static inline TGT V vxorbits(V a, VI b) { return _mm512_castsi512_ps(_mm512_xor_si512(vbits(a), b)); }
static inline TGT V vneg(V a) { return vxorbits(a, vsignmask()); }
static inline TGT V vcopysign(V mag, V sgn) {
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(vbits(sgn), vbits(mag), vsignmask(), 0xe4));
}
static inline TGT V vsel(M m, V no, V yes) { return _mm512_mask_mov_ps(no, m, yes); }
static inline TGT M mgt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline TGT M meq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline TGT M mnle(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ); }
static inline TGT M mand(M a, M b) { return (M)(a & b); }
static inline TGT M munord(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
static inline TGT M mxor(M a, M b) { return (M)(a ^ b); }
static inline TGT VI msign(M m) { return _mm512_maskz_mov_epi32(m, vsignmask()); }
static inline TGT M mor(M a, M b) { return (M)(a | b); }
static inline TGT M mneg(V a) { return _mm512_movepi32_mask(vbits(a)); }
static inline TGT unsigned mbits(M m) { return m; }
static inline TGT VI viand(VI a, int c) { return _mm512_and_si512(a, _mm512_set1_epi32(c)); }
static inline TGT VI viadd(VI a, int c) { return _mm512_add_epi32(a, _mm512_set1_epi32(c)); }
static inline TGT VI vislli30(VI a) { return _mm512_slli_epi32(a, 30); }
static inline TGT M modd(VI q) { return _mm512_test_epi32_mask(q, _mm512_set1_epi32(1)); }
static inline TGT M tail(int64_t k) { return (M)((1u << k) - 1); }
static inline TGT V vload(const float *p) { return _mm512_loadu_ps(p); }
static inline TGT void vstore(float *p, V v) { _mm512_storeu_ps(p, v); }
static inline TGT V vload_tail(const float *p, int64_t k) { return _mm512_maskz_loadu_ps(tail(k), p); }
static inline TGT void vstore_tail(float *p, int64_t k, V v) { _mm512_mask_storeu_ps(p, tail(k), v); }

#include "simd_trig_impl.h"

void cpu_trig_avx512_sin(const float *a, float *o, int64_t n) { trig_sin(a, o, n); }
void cpu_trig_avx512_cos(const float *a, float *o, int64_t n) { trig_cos(a, o, n); }
void cpu_trig_avx512_tan(const float *a, float *o, int64_t n) { trig_tan(a, o, n); }
void cpu_trig_avx512_arcsin(const float *a, float *o, int64_t n) { trig_arcsin(a, o, n); }
void cpu_trig_avx512_arccos(const float *a, float *o, int64_t n) { trig_arccos(a, o, n); }
void cpu_trig_avx512_arctan(const float *a, float *o, int64_t n) { trig_arctan(a, o, n); }
void cpu_trig_avx512_arctan2(const float *a, const float *b, float *o, int64_t n, int mode) {
    trig_arctan2(a, b, o, n, mode);
}
