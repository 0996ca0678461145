/* reduce.h -- knobs of the CPU reduction kernels (src/backend/cpu/reduce.c)
 * that tests and benchmarks reach: which SIMD code path runs. */
#ifndef EM_BACKEND_CPU_REDUCE_H
#define EM_BACKEND_CPU_REDUCE_H

/* SIMD levels of the reduction kernels. */
enum { CPU_SIMD_PORTABLE = 0, CPU_SIMD_AVX2 = 1, CPU_SIMD_AVX512 = 2 };

/* Selects the SIMD level (-1: the best the CPU supports, the default) and
 * returns the level now in use, which is at most what the CPU supports.
 * Process-wide; meant for tests and benchmarks, not for use while kernels
 * run on other threads. */
int cpu_reduce_set_simd(int level);

#endif
