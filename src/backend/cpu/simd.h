/* simd.h -- vectorised float32 loops of the hottest elementwise ops (AVX2 and
 * AVX-512 builds of each, chosen at run time from what the CPU supports).
 *
 * Each loop computes exactly what the scalar function of scalar.h computes,
 * bit for bit, so that results never depend on the path (contiguous or not,
 * which CPU, the position of an element in a vector). The loops take
 * contiguous float arrays; out may equal an input (in-place), but must not
 * otherwise overlap one. */
#ifndef EM_BACKEND_CPU_SIMD_H
#define EM_BACKEND_CPU_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#include "../../ops/primitives.h"

typedef void (*cpu_simd_unary_fn)(const float *a, float *out, int64_t n);

/* Binary modes: both operands arrays, or a (SV) / b (VS) one value. */
enum { CPU_SIMD_VV, CPU_SIMD_SV, CPU_SIMD_VS };
typedef void (*cpu_simd_binary_fn)(const float *a, const float *b, float *out, int64_t n, int mode);

/* float16/bfloat16 <-> float32 conversions, bit for bit half.h's. */
typedef void (*cpu_simd_widen_fn)(const uint16_t *a, float *out, int64_t n);
typedef void (*cpu_simd_narrow_fn)(const float *a, uint16_t *out, int64_t n);

/* Per primitive, the loop (NULL where there is none). */
typedef struct cpu_simd_table {
    const char *name;
    cpu_simd_unary_fn unary[EM_PRIM_COUNT];
    cpu_simd_binary_fn binary[EM_PRIM_COUNT];
    cpu_simd_widen_fn f16_to_f32, bf16_to_f32;
    cpu_simd_narrow_fn f32_to_f16, f32_to_bf16;
} cpu_simd_table;

extern const cpu_simd_table cpu_simd_avx2_table;   /* simd_avx2.c */
extern const cpu_simd_table cpu_simd_avx512_table; /* simd_avx512.c */

/* The table in use: the best the CPU supports, capped by the environment
 * variable EMBER_SIMD ("none", "avx2", "avx512") or by cpu_simd_force; NULL
 * for none (the scalar loops then run). */
const cpu_simd_table *cpu_simd_active(void);
/* For tests and benchmarks: "none", "avx2", "avx512", or NULL to go back to
 * automatic. Returns false (changing nothing) if the CPU lacks that level. */
bool cpu_simd_force(const char *level);

static inline cpu_simd_unary_fn cpu_simd_unary(em_prim_id p) {
    const cpu_simd_table *t = cpu_simd_active();
    return t ? t->unary[p] : NULL;
}
static inline cpu_simd_binary_fn cpu_simd_binary(em_prim_id p) {
    const cpu_simd_table *t = cpu_simd_active();
    return t ? t->binary[p] : NULL;
}

#endif
