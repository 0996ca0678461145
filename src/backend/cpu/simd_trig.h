/* simd_trig.h -- the vectorised float32 sin, cos, tan, arcsin, arccos, arctan and arctan2 loops (simd.h's
 * signatures), bit for bit scalar_trig.h's functions; entries of the tables in simd_avx512.c and simd_avx2.c. */
#ifndef EM_BACKEND_CPU_SIMD_TRIG_H
#define EM_BACKEND_CPU_SIMD_TRIG_H

#include <stdint.h>

#define EM_TRIG_LOOPS_(L)                                                      \
    void cpu_trig_##L##_sin(const float *a, float *out, int64_t n);           \
    void cpu_trig_##L##_cos(const float *a, float *out, int64_t n);           \
    void cpu_trig_##L##_tan(const float *a, float *out, int64_t n);           \
    void cpu_trig_##L##_arcsin(const float *a, float *out, int64_t n);        \
    void cpu_trig_##L##_arccos(const float *a, float *out, int64_t n);        \
    void cpu_trig_##L##_arctan(const float *a, float *out, int64_t n);        \
    void cpu_trig_##L##_arctan2(const float *a, const float *b, float *out, int64_t n, int mode);
EM_TRIG_LOOPS_(avx512)
EM_TRIG_LOOPS_(avx2)
#undef EM_TRIG_LOOPS_

#endif
