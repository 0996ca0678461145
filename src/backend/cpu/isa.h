/* isa.h -- the instruction sets the generic typed elementwise loops are
 * compiled for, and the one in use.
 *
 * The loops of unary.c and binary.c are plain C that the compiler
 * vectorises; the library is built for baseline x86-64 (SSE2), so each loop
 * is compiled three times, for the baseline and with the target attributes
 * of AVX2 and AVX-512, and the kernel picks the one of the SIMD level simd.c
 * chose (EMBER_SIMD and cpu_simd_force cap it as they cap the float32
 * loops; the AVX2 level of simd.c requires FMA, so the AVX2 variant may use
 * fma()). The variants compute the same values: they are the same C, built
 * without floating-point contraction (scalar.h; C11 mode on GCC). Elsewhere than x86-64 the
 * three are one build. */
#ifndef EM_BACKEND_CPU_ISA_H
#define EM_BACKEND_CPU_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "simd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CPU_ISA_ATTR_base
#define CPU_ISA_ATTR_avx2 __attribute__((target("avx2,fma")))
#define CPU_ISA_ATTR_avx512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#else
#define CPU_ISA_ATTR_base
#define CPU_ISA_ATTR_avx2
#define CPU_ISA_ATTR_avx512
#endif

/* X(isa) for each variant; CPU_ISA_<isa> indexes the tables of variants. */
#define CPU_ISAS(X) X(base) X(avx2) X(avx512)
enum { CPU_ISA_base, CPU_ISA_avx2, CPU_ISA_avx512, CPU_NUM_ISAS };

/* The variant to run: the one of simd.c's active level. */
static inline int cpu_isa_active(void) {
    const cpu_simd_table *t = cpu_simd_active();
    return !t ? CPU_ISA_base : t == &cpu_simd_avx512_table ? CPU_ISA_avx512 : CPU_ISA_avx2;
}

/* Elements per block of the contiguous loops: a constant trip count that is
 * a multiple of every vector length lets GCC vectorise at -O2 (whose cost
 * model takes no loop that needs a scalar epilogue); the rest of a row, fewer
 * than this, runs element by element. */
#define CPU_LOOP_BLOCK 64

/* Whether the bytes [a, a + na) and [b, b + nb) share one (an output that
 * is not exactly one of the inputs, or not at all, gets the restrict-
 * qualified loops; an overlapping one goes through a block copy). */
static inline int cpu_isa_overlap(const void *a, size_t na, const void *b, size_t nb) {
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return na && nb && x < y + nb && y < x + na;
}

#endif
