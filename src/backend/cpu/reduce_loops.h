/* reduce_loops.h -- what the reduction loops share (src/backend/cpu/reduce.c
 * and reduce_simd.c): the complex64 pair, element loaders, the reduction
 * steps, and the signatures of the row and column loops. All static inline.
 * Bools (suffix bl: `bool` is a macro) are read as bytes, any nonzero true. */
#ifndef EM_BACKEND_CPU_REDUCE_LOOPS_H
#define EM_BACKEND_CPU_REDUCE_LOOPS_H

#include <string.h>

#include "kernels.h"
#include "reduce.h"

#define MAYBE_UNUSED __attribute__((unused))

/* ---------------------------------------------------------------- scalars */

typedef struct { float re, im; } cpx; /* complex64, as two floats */

static inline bool cpx_isnan(cpx a) { return a.re != a.re || a.im != a.im; }
static inline cpx cpx_add(cpx a, cpx b) { return (cpx){a.re + b.re, a.im + b.im}; }
static inline cpx cpx_mul(cpx a, cpx b) {
    return (cpx){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
/* b above a in (real, imaginary) order. */
static inline bool cpx_gt(cpx b, cpx a) { return b.re > a.re || (b.re == a.re && b.im > a.im); }

/* Loaders ld_<acc>_<in>: one input element as the accumulator type. Bools
 * (suffix bl: `bool` is a macro) are read as bytes, any nonzero one true. */
#define LD_CAST(ACC, TACC, IN, TIN)                                            \
    static inline MAYBE_UNUSED TACC ld_##ACC##_##IN(const char *p) {          \
        return (TACC) * (const TIN *)(const void *)p;                          \
    }
#define LD_BOOL(ACC, TACC)                                                     \
    static inline MAYBE_UNUSED TACC ld_##ACC##_bl(const char *p) {          \
        return (TACC)(*(const uint8_t *)p != 0);                               \
    }
LD_BOOL(u32, uint32_t)
LD_CAST(u32, uint32_t, u8, uint8_t)
LD_CAST(u32, uint32_t, u16, uint16_t)
LD_CAST(u32, uint32_t, u32, uint32_t)
LD_CAST(u32, uint32_t, i8, int8_t)
LD_CAST(u32, uint32_t, i16, int16_t)
LD_CAST(u32, uint32_t, i32, int32_t)
LD_CAST(u64, uint64_t, u64, uint64_t)
LD_CAST(u64, uint64_t, i64, int64_t)
LD_BOOL(f32, float)
LD_CAST(f32, float, u8, uint8_t)
LD_CAST(f32, float, u16, uint16_t)
LD_CAST(f32, float, u32, uint32_t)
LD_CAST(f32, float, u64, uint64_t)
LD_CAST(f32, float, i8, int8_t)
LD_CAST(f32, float, i16, int16_t)
LD_CAST(f32, float, i32, int32_t)
LD_CAST(f32, float, i64, int64_t)
LD_CAST(f32, float, f32, float)
LD_CAST(f64, double, f64, double)
LD_BOOL(b, bool)
LD_CAST(u8, uint8_t, u8, uint8_t)
LD_CAST(u16, uint16_t, u16, uint16_t)
LD_CAST(i8, int8_t, i8, int8_t)
LD_CAST(i16, int16_t, i16, int16_t)
LD_CAST(i32, int32_t, i32, int32_t)
LD_CAST(i64, int64_t, i64, int64_t)
static inline float ld_f32_f16(const char *p) { return em_f16_to_f32(*(const em_f16 *)(const void *)p); }
static inline float ld_f32_bf16(const char *p) { return em_bf16_to_f32(*(const em_bf16 *)(const void *)p); }
static inline cpx ld_c64_c64(const char *p) {
    cpx c;
    memcpy(&c, p, sizeof c);
    return c;
}
/* ld_nz_<in>: "is nonzero", for all/any (NaN is nonzero). */
#define LD_NZ(IN, TIN)                                                         \
    static inline bool ld_nz_##IN(const char *p) { return *(const TIN *)(const void *)p != 0; }
LD_NZ(bl, uint8_t)
LD_NZ(u8, uint8_t)
LD_NZ(u16, uint16_t)
LD_NZ(u32, uint32_t)
LD_NZ(u64, uint64_t)
LD_NZ(i8, int8_t)
LD_NZ(i16, int16_t)
LD_NZ(i32, int32_t)
LD_NZ(i64, int64_t)
LD_NZ(f32, float)
LD_NZ(f64, double)
static inline bool ld_nz_f16(const char *p) { return ld_f32_f16(p) != 0; }
static inline bool ld_nz_bf16(const char *p) { return ld_f32_bf16(p) != 0; }
static inline bool ld_nz_c64(const char *p) {
    cpx c = ld_c64_c64(p);
    return c.re != 0 || c.im != 0;
}

/* Steps st_<op>_<acc>(a, b): the reduction's binary operation. Unsigned
 * accumulators make integer wrap-around defined. Float max/min keep a NaN
 * once seen. */
#define ST_ARITH(ACC, T)                                                       \
    static inline T st_sum_##ACC(T a, T b) { return (T)(a + b); }              \
    static inline T st_prod_##ACC(T a, T b) { return (T)(a * b); }
ST_ARITH(f32, float)
ST_ARITH(f64, double)
ST_ARITH(u32, uint32_t)
ST_ARITH(u64, uint64_t)
static inline cpx st_sum_c64(cpx a, cpx b) { return cpx_add(a, b); }
static inline cpx st_prod_c64(cpx a, cpx b) { return cpx_mul(a, b); }

#define ST_ORDER_INT(ACC, T)                                                   \
    static inline T st_max_##ACC(T a, T b) { return b > a ? b : a; }           \
    static inline T st_min_##ACC(T a, T b) { return b < a ? b : a; }
#define ST_ORDER_FLOAT(ACC, T)                                                 \
    static inline T st_max_##ACC(T a, T b) { return b > a || b != b ? b : a; } \
    static inline T st_min_##ACC(T a, T b) { return b < a || b != b ? b : a; }
ST_ORDER_INT(b, bool)
ST_ORDER_INT(u8, uint8_t)
ST_ORDER_INT(u16, uint16_t)
ST_ORDER_INT(u32, uint32_t)
ST_ORDER_INT(u64, uint64_t)
ST_ORDER_INT(i8, int8_t)
ST_ORDER_INT(i16, int16_t)
ST_ORDER_INT(i32, int32_t)
ST_ORDER_INT(i64, int64_t)
ST_ORDER_FLOAT(f32, float)
ST_ORDER_FLOAT(f64, double)
static inline cpx st_max_c64(cpx a, cpx b) {
    return !cpx_isnan(a) && (cpx_isnan(b) || cpx_gt(b, a)) ? b : a;
}
static inline cpx st_min_c64(cpx a, cpx b) {
    return !cpx_isnan(a) && (cpx_isnan(b) || cpx_gt(a, b)) ? b : a;
}
static inline bool st_all_nz(bool a, bool b) { return a && b; }
static inline bool st_any_nz(bool a, bool b) { return a || b; }

/* ---------------------------------------------------------------- generic loops */

/* Reduces a row of n >= 1 elements, `s` bytes apart, into *res (the
 * accumulator type). */
typedef void (*row_fn)(const char *p, int64_t n, int64_t s, void *res);
/* Column step: for j < n, acc[j] = op(acc[j], rows[0][j], ..., rows[nr-1][j])
 * with element j of a row at byte j*s; with init, acc's old values are
 * ignored. */
typedef void (*col_fn)(void *acc, const char *const *rows, int nr, int64_t n, int64_t s,
                       bool init);
/* The same for contiguous rows (s is the input's itemsize): the SIMD loops. */
typedef void (*vrow_fn)(const char *p, int64_t n, void *res);
typedef void (*vcol_fn)(void *acc, const char *const *rows, int nr, int64_t n, bool init,
                        int64_t pf);
/* a[j] = op(a[j], b[j]) for j < n; and a[j] = the op's identity. */
typedef void (*comb_fn)(void *a, const void *b, int64_t n);
typedef void (*fill_fn)(void *a, int64_t n);

/* The contiguous loops of one SIMD level, by (op, input dtype) for the
 * default accumulators (int32 sums accumulate in uint32, and so on). */
typedef struct {
    vrow_fn row[6][EM_NUM_DTYPES];
    vcol_fn col[6][EM_NUM_DTYPES];
    comb_fn sum_comb[EM_NUM_DTYPES]; /* by accumulator dtype */
} cpu_reduce_simd_table;

/* The table of the SIMD level in use (reduce_simd.c). */
const cpu_reduce_simd_table *cpu_reduce_simd_current(void);

#endif
