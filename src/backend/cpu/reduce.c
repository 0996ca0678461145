/* reduce.c -- CPU kernels of REDUCE (sum, prod, max, min, all, any over any
 * set of axes) and ARG_REDUCE (argmax, argmin along one axis), for every
 * dtype and any strides of the input.
 *
 * Plan. The input's axes are split into kept (K) and reduced (R) dims, size-1
 * dims dropped, each list sorted by decreasing input stride and merged where
 * the layout allows, so that a contiguous input reduced over "all", "the last
 * axes" or "the first axes" becomes one R run, K x R, or R x K. Then:
 *   - row mode, when the innermost R dim has the smallest stride: each output
 *     element is the reduction of whole rows (one call per row, SIMD when the
 *     row is contiguous), outputs stored in batches;
 *   - column mode, when the innermost K dim has the smallest stride: a chunk
 *     of up to COL_CHUNK outputs is accumulated from the matching chunk of
 *     every R position, a group of 8 to 64 rows per pass (SIMD when
 *     contiguous), so the input is read once, in order.
 *
 * Accuracy. Float sums (float16/bfloat16 accumulate in float32, float32,
 * float64, complex64) are pairwise: rows are summed recursively over blocks
 * of many partial sums, and the rows, or the groups of rows of column mode,
 * are combined through a binary counter (a pairwise tree built on the fly),
 * so rounding error grows with log(n), not n. Integers wrap (two's
 * complement, computed unsigned); max/min propagate NaN and argmax/argmin
 * return the first NaN, as NumPy and MLX; complex max/min/argmax compare
 * lexicographically (real, then imaginary) as both do.
 *
 * Dtypes (the builders' contract): SUM/PROD write the accumulator's dtype
 * (bool and 8/16-bit integers to (u)int32; half floats back to their dtype),
 * and SUM may also write float32 from any real dtype; MAX/MIN keep the dtype;
 * ALL/ANY write bool from any dtype. Anything else is EM_ERR_UNSUPPORTED.
 *
 * SIMD. The contiguous loops of sum (all real dtypes but the float32 output
 * variant), max/min (all real dtypes), the merges of the pairwise counter and
 * all/any of bools are written once with GCC/Clang vector extensions and
 * compiled three times: portable (16-byte vectors), AVX2 and AVX-512
 * (function target attributes), picked at run time with
 * __builtin_cpu_supports; the rest (prod, complex, argmax/argmin, all/any of
 * non-bools, strided rows) are plain loops.
 *
 * Threads: see "Threads" above reduce_rows; results do not depend on the
 * number of threads. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/error.h"
#include "kernels.h"
#include "pool.h"
#include "reduce.h"

enum {
    COL_CHUNK = 1024,  /* outputs per chunk in column mode */
    GROUP_MIN = 8,     /* rows combined per pass in column mode: 8, or more */
    GROUP_MAX = 64,    /* for narrow chunks, up to GROUP_ELEMS elements a pass */
    GROUP_ELEMS = 512,
    ROW_BATCH = 256    /* outputs stored per call in row mode */
};

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

/* Rows: pairwise above 256 elements, eight interleaved accumulators below. */
#define DEF_ROWCOL(OP, ACC, IN, TACC)                                          \
    static TACC OP##_##ACC##_##IN##_rp(const char *p, int64_t n, int64_t s) {  \
        if (n > 256) {                                                         \
            int64_t h = (n / 2) & ~(int64_t)7;                                 \
            TACC lo = OP##_##ACC##_##IN##_rp(p, h, s);                         \
            return st_##OP##_##ACC(lo, OP##_##ACC##_##IN##_rp(p + h * s, n - h, s)); \
        }                                                                      \
        TACC r = ld_##ACC##_##IN(p);                                           \
        int64_t i = 1;                                                         \
        if (n >= 16) {                                                         \
            TACC r0 = ld_##ACC##_##IN(p), r1 = ld_##ACC##_##IN(p + s);         \
            TACC r2 = ld_##ACC##_##IN(p + 2 * s), r3 = ld_##ACC##_##IN(p + 3 * s); \
            TACC r4 = ld_##ACC##_##IN(p + 4 * s), r5 = ld_##ACC##_##IN(p + 5 * s); \
            TACC r6 = ld_##ACC##_##IN(p + 6 * s), r7 = ld_##ACC##_##IN(p + 7 * s); \
            for (i = 8; i + 8 <= n; i += 8) {                                  \
                const char *q = p + i * s;                                     \
                r0 = st_##OP##_##ACC(r0, ld_##ACC##_##IN(q));                  \
                r1 = st_##OP##_##ACC(r1, ld_##ACC##_##IN(q + s));              \
                r2 = st_##OP##_##ACC(r2, ld_##ACC##_##IN(q + 2 * s));          \
                r3 = st_##OP##_##ACC(r3, ld_##ACC##_##IN(q + 3 * s));          \
                r4 = st_##OP##_##ACC(r4, ld_##ACC##_##IN(q + 4 * s));          \
                r5 = st_##OP##_##ACC(r5, ld_##ACC##_##IN(q + 5 * s));          \
                r6 = st_##OP##_##ACC(r6, ld_##ACC##_##IN(q + 6 * s));          \
                r7 = st_##OP##_##ACC(r7, ld_##ACC##_##IN(q + 7 * s));          \
            }                                                                  \
            r0 = st_##OP##_##ACC(st_##OP##_##ACC(r0, r1), st_##OP##_##ACC(r2, r3)); \
            r4 = st_##OP##_##ACC(st_##OP##_##ACC(r4, r5), st_##OP##_##ACC(r6, r7)); \
            r = st_##OP##_##ACC(r0, r4);                                       \
        }                                                                      \
        for (; i < n; i++) r = st_##OP##_##ACC(r, ld_##ACC##_##IN(p + i * s)); \
        return r;                                                              \
    }                                                                          \
    static void OP##_##ACC##_##IN##_row(const char *p, int64_t n, int64_t s, void *res) { \
        TACC r = OP##_##ACC##_##IN##_rp(p, n, s);                              \
        memcpy(res, &r, sizeof r);                                             \
    }                                                                          \
    static void OP##_##ACC##_##IN##_col(void *accv, const char *const *rows, int nr, \
                                        int64_t n, int64_t s, bool init) {     \
        TACC *acc = accv;                                                      \
        for (int k = 0; k < nr; k++) {                                         \
            const char *p = rows[k];                                           \
            if (k == 0 && init)                                                \
                for (int64_t j = 0; j < n; j++) acc[j] = ld_##ACC##_##IN(p + j * s); \
            else                                                               \
                for (int64_t j = 0; j < n; j++)                                \
                    acc[j] = st_##OP##_##ACC(acc[j], ld_##ACC##_##IN(p + j * s)); \
        }                                                                      \
    }

/* Accumulator-wide helpers: combine and fill with the identity. */
#define DEF_ACC(OP, ACC, TACC, ID)                                             \
    static void OP##_##ACC##_comb(void *av, const void *bv, int64_t n) {       \
        TACC *a = av;                                                          \
        const TACC *b = bv;                                                    \
        for (int64_t j = 0; j < n; j++) a[j] = st_##OP##_##ACC(a[j], b[j]);    \
    }                                                                          \
    static void OP##_##ACC##_fill(void *av, int64_t n) {                       \
        TACC *a = av;                                                          \
        for (int64_t j = 0; j < n; j++) a[j] = ID;                             \
    }

DEF_ACC(sum, f32, float, 0.0f)
DEF_ACC(sum, f64, double, 0.0)
DEF_ACC(sum, c64, cpx, ((cpx){0.0f, 0.0f}))
DEF_ACC(sum, u32, uint32_t, 0u)
DEF_ACC(sum, u64, uint64_t, 0u)
DEF_ACC(prod, f32, float, 1.0f)
DEF_ACC(prod, f64, double, 1.0)
DEF_ACC(prod, c64, cpx, ((cpx){1.0f, 0.0f}))
DEF_ACC(prod, u32, uint32_t, 1u)
DEF_ACC(prod, u64, uint64_t, 1u)
#define DEF_ORDER_ACC(ACC, T, LO, HI)                                          \
    DEF_ACC(max, ACC, T, LO)                                                   \
    DEF_ACC(min, ACC, T, HI)
DEF_ORDER_ACC(b, bool, false, true)
DEF_ORDER_ACC(u8, uint8_t, 0, UINT8_MAX)
DEF_ORDER_ACC(u16, uint16_t, 0, UINT16_MAX)
DEF_ORDER_ACC(u32, uint32_t, 0, UINT32_MAX)
DEF_ORDER_ACC(u64, uint64_t, 0, UINT64_MAX)
DEF_ORDER_ACC(i8, int8_t, INT8_MIN, INT8_MAX)
DEF_ORDER_ACC(i16, int16_t, INT16_MIN, INT16_MAX)
DEF_ORDER_ACC(i32, int32_t, INT32_MIN, INT32_MAX)
DEF_ORDER_ACC(i64, int64_t, INT64_MIN, INT64_MAX)
DEF_ORDER_ACC(f32, float, -INFINITY, INFINITY)
DEF_ORDER_ACC(f64, double, -INFINITY, INFINITY)
DEF_ORDER_ACC(c64, cpx, ((cpx){-INFINITY, -INFINITY}), ((cpx){INFINITY, INFINITY}))
DEF_ACC(all, nz, bool, true)
DEF_ACC(any, nz, bool, false)

/* The (op, accumulator, input) triples, X(OP, ACC, IN, TACC, ACC_DTYPE, IN_DTYPE). */
#define SUM_ENTRIES(X, OP)                                                     \
    X(OP, u32, bl, uint32_t, EM_UINT32, EM_BOOL)                             \
    X(OP, u32, u8, uint32_t, EM_UINT32, EM_UINT8)                              \
    X(OP, u32, u16, uint32_t, EM_UINT32, EM_UINT16)                            \
    X(OP, u32, u32, uint32_t, EM_UINT32, EM_UINT32)                            \
    X(OP, u64, u64, uint64_t, EM_UINT64, EM_UINT64)                            \
    X(OP, u32, i8, uint32_t, EM_UINT32, EM_INT8)                               \
    X(OP, u32, i16, uint32_t, EM_UINT32, EM_INT16)                             \
    X(OP, u32, i32, uint32_t, EM_UINT32, EM_INT32)                             \
    X(OP, u64, i64, uint64_t, EM_UINT64, EM_INT64)                             \
    X(OP, f32, f16, float, EM_FLOAT32, EM_FLOAT16)                             \
    X(OP, f32, bf16, float, EM_FLOAT32, EM_BFLOAT16)                           \
    X(OP, f32, f32, float, EM_FLOAT32, EM_FLOAT32)                             \
    X(OP, f64, f64, double, EM_FLOAT64, EM_FLOAT64)                            \
    X(OP, c64, c64, cpx, EM_COMPLEX64, EM_COMPLEX64)
/* SUM into float32 from the real dtypes not already summed in float32. */
#define SUM_F32_ENTRIES(X)                                                     \
    X(sum, f32, bl, float, EM_FLOAT32, EM_BOOL)                              \
    X(sum, f32, u8, float, EM_FLOAT32, EM_UINT8)                               \
    X(sum, f32, u16, float, EM_FLOAT32, EM_UINT16)                             \
    X(sum, f32, u32, float, EM_FLOAT32, EM_UINT32)                             \
    X(sum, f32, u64, float, EM_FLOAT32, EM_UINT64)                             \
    X(sum, f32, i8, float, EM_FLOAT32, EM_INT8)                                \
    X(sum, f32, i16, float, EM_FLOAT32, EM_INT16)                              \
    X(sum, f32, i32, float, EM_FLOAT32, EM_INT32)                              \
    X(sum, f32, i64, float, EM_FLOAT32, EM_INT64)
#define ORDER_ENTRIES(X, OP)                                                   \
    X(OP, b, bl, bool, EM_BOOL, EM_BOOL)                                     \
    X(OP, u8, u8, uint8_t, EM_UINT8, EM_UINT8)                                 \
    X(OP, u16, u16, uint16_t, EM_UINT16, EM_UINT16)                            \
    X(OP, u32, u32, uint32_t, EM_UINT32, EM_UINT32)                            \
    X(OP, u64, u64, uint64_t, EM_UINT64, EM_UINT64)                            \
    X(OP, i8, i8, int8_t, EM_INT8, EM_INT8)                                    \
    X(OP, i16, i16, int16_t, EM_INT16, EM_INT16)                               \
    X(OP, i32, i32, int32_t, EM_INT32, EM_INT32)                               \
    X(OP, i64, i64, int64_t, EM_INT64, EM_INT64)                               \
    X(OP, f32, f16, float, EM_FLOAT32, EM_FLOAT16)                             \
    X(OP, f32, bf16, float, EM_FLOAT32, EM_BFLOAT16)                           \
    X(OP, f32, f32, float, EM_FLOAT32, EM_FLOAT32)                             \
    X(OP, f64, f64, double, EM_FLOAT64, EM_FLOAT64)                            \
    X(OP, c64, c64, cpx, EM_COMPLEX64, EM_COMPLEX64)
#define LOGIC_ENTRIES(X, OP)                                                   \
    X(OP, nz, bl, bool, EM_BOOL, EM_BOOL)                                    \
    X(OP, nz, u8, bool, EM_BOOL, EM_UINT8)                                     \
    X(OP, nz, u16, bool, EM_BOOL, EM_UINT16)                                   \
    X(OP, nz, u32, bool, EM_BOOL, EM_UINT32)                                   \
    X(OP, nz, u64, bool, EM_BOOL, EM_UINT64)                                   \
    X(OP, nz, i8, bool, EM_BOOL, EM_INT8)                                      \
    X(OP, nz, i16, bool, EM_BOOL, EM_INT16)                                    \
    X(OP, nz, i32, bool, EM_BOOL, EM_INT32)                                    \
    X(OP, nz, i64, bool, EM_BOOL, EM_INT64)                                    \
    X(OP, nz, f16, bool, EM_BOOL, EM_FLOAT16)                                  \
    X(OP, nz, bf16, bool, EM_BOOL, EM_BFLOAT16)                                \
    X(OP, nz, f32, bool, EM_BOOL, EM_FLOAT32)                                  \
    X(OP, nz, f64, bool, EM_BOOL, EM_FLOAT64)                                  \
    X(OP, nz, c64, bool, EM_BOOL, EM_COMPLEX64)
#define ALL_ENTRIES(X)                                                         \
    SUM_ENTRIES(X, sum) SUM_F32_ENTRIES(X) SUM_ENTRIES(X, prod)                \
    ORDER_ENTRIES(X, max) ORDER_ENTRIES(X, min) LOGIC_ENTRIES(X, all) LOGIC_ENTRIES(X, any)

#define X_DEF(OP, ACC, IN, TACC, ADT, IDT) DEF_ROWCOL(OP, ACC, IN, TACC)
ALL_ENTRIES(X_DEF)
#undef X_DEF

/* What the driver needs for one (op, input dtype, output dtype). */
typedef struct {
    em_dtype acc;     /* the accumulator's dtype */
    row_fn row;
    col_fn col;
    comb_fn comb;
    fill_fn fill;
    vrow_fn vrow;     /* contiguous fast paths, or NULL */
    vcol_fn vcol;
    bool pairwise;    /* float sums: combine partials through a binary counter */
} reduce_fns;

typedef struct { em_dtype acc; row_fn row; col_fn col; comb_fn comb; fill_fn fill; } entry;

#define X_ENTRY(OP, ACC, IN, TACC, ADT, IDT)                                   \
    [IDT] = {ADT, OP##_##ACC##_##IN##_row, OP##_##ACC##_##IN##_col, OP##_##ACC##_comb, \
             OP##_##ACC##_fill},
static const entry entries[6][EM_NUM_DTYPES] = {
    [EM_REDUCE_SUM] = {SUM_ENTRIES(X_ENTRY, sum)},
    [EM_REDUCE_PROD] = {SUM_ENTRIES(X_ENTRY, prod)},
    [EM_REDUCE_MAX] = {ORDER_ENTRIES(X_ENTRY, max)},
    [EM_REDUCE_MIN] = {ORDER_ENTRIES(X_ENTRY, min)},
    [EM_REDUCE_ALL] = {LOGIC_ENTRIES(X_ENTRY, all)},
    [EM_REDUCE_ANY] = {LOGIC_ENTRIES(X_ENTRY, any)},
};
static const entry sum_f32_entries[EM_NUM_DTYPES] = {
    SUM_F32_ENTRIES(X_ENTRY)
    [EM_FLOAT16] = {EM_FLOAT32, sum_f32_f16_row, sum_f32_f16_col, sum_f32_comb, sum_f32_fill},
    [EM_BFLOAT16] = {EM_FLOAT32, sum_f32_bf16_row, sum_f32_bf16_col, sum_f32_comb, sum_f32_fill},
    [EM_FLOAT32] = {EM_FLOAT32, sum_f32_f32_row, sum_f32_f32_col, sum_f32_comb, sum_f32_fill},
};
#undef X_ENTRY

/* ---------------------------------------------------------------- SIMD loops */

/* x86 levels: AVX2 with F16C (every AVX2 CPU has it; FMA is checked as its
 * proxy, since __builtin_cpu_supports cannot name it) and AVX-512 F+BW (the
 * byte and word lanes of bool and half-float loads). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define REDUCE_X86 1
#include <immintrin.h>
#define ATTR_AVX2 __attribute__((target("avx2,fma,f16c")))
#define ATTR_AVX512 __attribute__((target("avx512f,avx512bw,f16c")))
#endif
#define ATTR_PORTABLE

/* Vectors of B bytes: the native width of each level (16 portable, as SSE2
 * and NEON have; 32 for AVX2; 64 for AVX-512), so that they live in
 * registers; 16- and 8-bit inputs are loaded as vectors of B/2 and B/4
 * bytes and widened to the accumulator's B. (Some names come out the same
 * at two levels: C11 allows repeating an identical typedef.) */
#define VEC_TYPE(T, NAME, B) typedef T NAME##_##B __attribute__((vector_size(B)));
#define VEC_TYPES(B, HB, QB)                                                   \
    VEC_TYPE(float, vf32, B)                                                   \
    VEC_TYPE(double, vf64, B)                                                  \
    VEC_TYPE(uint32_t, vu32, B)                                                \
    VEC_TYPE(int32_t, vi32, B)                                                 \
    VEC_TYPE(uint64_t, vu64, B)                                                \
    VEC_TYPE(int64_t, vi64, B)                                                 \
    VEC_TYPE(uint8_t, vu8, B)                                                  \
    VEC_TYPE(int8_t, vi8, B)                                                   \
    VEC_TYPE(uint16_t, vu16, B)                                                \
    VEC_TYPE(int16_t, vi16, B)                                                 \
    VEC_TYPE(uint16_t, vu16, HB)                                               \
    VEC_TYPE(int16_t, vi16, HB)                                                \
    VEC_TYPE(uint8_t, vu8, QB)                                                 \
    VEC_TYPE(int8_t, vi8, QB)
VEC_TYPES(16, 8, 4)
VEC_TYPES(32, 16, 8)
VEC_TYPES(64, 32, 16)

/* Pins a freshly loaded vector in a register: without it GCC 12 widens a
 * vector it sees come from memory element by element (scalar code). Clang
 * needs no help (and refuses the constraint for the narrowest vectors). */
#if defined(REDUCE_X86) && !defined(__clang__)
#define VREG(v) __asm__("" : "+x"(v))
#else
#define VREG(v) ((void)0)
#endif

/* Vector loads LDV_*(V, x, p): the L = lanes(V) input elements at p (typed
 * input pointer) into the accumulator vector x. */
#define LDV_SAME(V, x, p) memcpy(&(x), (p), sizeof(x))
/* float16: the magnitude's bits moved into a float32 and scaled by 2^112
 * (exact for normals and subnormals, unless the thread flushes denormals),
 * infinities and NaNs rebuilt, the sign put back. */
#define LDV_F16(V, U, H, x, p)                                                 \
    do {                                                                       \
        H h_;                                                                  \
        memcpy(&h_, (p), sizeof h_);                                           \
        VREG(h_);                                                              \
        U u_ = __builtin_convertvector(h_, U);                                 \
        U m_ = (u_ & 0x7fffu) << 13;                                           \
        U s_ = (U)((V)m_ * 0x1p112f);                                          \
        U inf_ = (U)((u_ & 0x7c00u) == 0x7c00u);                               \
        s_ = (s_ & ~inf_) | ((m_ | 0x7f800000u) & inf_);                       \
        (x) = (V)(s_ | ((u_ & 0x8000u) << 16));                                \
    } while (0)
#define LDV_BF16(V, U, H, x, p)                                                \
    do {                                                                       \
        H h_;                                                                  \
        memcpy(&h_, (p), sizeof h_);                                           \
        VREG(h_);                                                              \
        (x) = (V)(__builtin_convertvector(h_, U) << 16);                       \
    } while (0)
/* narrow integers widened (sign-extended through W when signed) */
#define LDV_WIDEN(V, W, Q, x, p)                                               \
    do {                                                                       \
        Q q_;                                                                  \
        memcpy(&q_, (p), sizeof q_);                                           \
        VREG(q_);                                                              \
        (x) = (V)__builtin_convertvector(q_, W);                               \
    } while (0)
/* bools: any nonzero byte counts one */
#define LDV_BOOL(V, W, Q, x, p)                                                \
    do {                                                                       \
        Q q_;                                                                  \
        memcpy(&q_, (p), sizeof q_);                                           \
        VREG(q_);                                                              \
        q_ = (Q)(q_ != 0) & 1;                                                 \
        (x) = (V)__builtin_convertvector(q_, W);                               \
    } while (0)

/* v = op(v, x) on vectors; M is the lanes' mask type. Max/min keep NaN lanes
 * (x != x is false for integers and folds away). */
#define VSTEP_sum(M, V, v, x) ((v) += (x))
#define VSEL(M, V, m, x, v) ((V)(((M)(x) & (m)) | ((M)(v) & ~(m))))
#define VSTEP_max(M, V, v, x)                                                  \
    do {                                                                       \
        M m_ = (M)((x) > (v)) | (M)((x) != (x));                               \
        (v) = VSEL(M, V, m_, x, v);                                            \
    } while (0)
#define VSTEP_min(M, V, v, x)                                                  \
    do {                                                                       \
        M m_ = (M)((x) < (v)) | (M)((x) != (x));                               \
        (v) = VSEL(M, V, m_, x, v);                                            \
    } while (0)

/* Software prefetch of the `bytes` bytes PF_DIST ahead of p: the hardware
 * prefetchers alone leave the compare-heavy max/min loops short of
 * bandwidth. Prefetches never fault, past the end included. */
#define PF_DIST 2048
#define PREFETCH(p, bytes)                                                     \
    for (int q_ = 0; q_ < (int)(bytes); q_ += 64)                              \
        __builtin_prefetch((const char *)(p) + PF_DIST + q_)

/* Each loop below is named by op and NAME (the accumulator's suffix, then
 * the input's when they differ: f32_f16 sums float16 in float32) and takes
 * the accumulator type T, the input type TI, the vector V and mask M types,
 * a vector load LDV(x, p) and the scalar loader SLD for the tail. */

/* Contiguous pairwise sum: leaves of up to 64 lanes' worth of vectors (16
 * elements per lane), four vector accumulators, a tree across lanes. */
#define SIMD_SUM_ROW(SUF, ATTR, NAME, T, TI, V, LDV, SLD)                      \
    ATTR static T vsum_##NAME##_##SUF##_r(const TI *p, int64_t n) {            \
        enum { L = sizeof(V) / sizeof(T) };                                    \
        if (n > 64 * L) {                                                      \
            int64_t h = (n / 2) & ~(int64_t)(4 * L - 1);                       \
            T lo = vsum_##NAME##_##SUF##_r(p, h);                              \
            return (T)(lo + vsum_##NAME##_##SUF##_r(p + h, n - h));            \
        }                                                                      \
        V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, x0, x1, x2, x3;              \
        int64_t i = 0;                                                         \
        for (; i + 4 * L <= n; i += 4 * L) {                                   \
            PREFETCH(p + i, 4 * L * sizeof(TI));                               \
            LDV(x0, p + i);                                                    \
            LDV(x1, p + i + L);                                                \
            LDV(x2, p + i + 2 * L);                                            \
            LDV(x3, p + i + 3 * L);                                            \
            a0 += x0;                                                          \
            a1 += x1;                                                          \
            a2 += x2;                                                          \
            a3 += x3;                                                          \
        }                                                                      \
        for (; i + L <= n; i += L) {                                           \
            LDV(x0, p + i);                                                    \
            a0 += x0;                                                          \
        }                                                                      \
        a0 = (a0 + a1) + (a2 + a3);                                            \
        for (int w = L / 2; w > 0; w /= 2)                                     \
            for (int k = 0; k < w; k++) a0[k] += a0[k + w];                    \
        T r = a0[0];                                                           \
        for (; i < n; i++) r = (T)(r + SLD((const char *)(p + i)));            \
        return r;                                                              \
    }                                                                          \
    ATTR static void vrow_sum_##NAME##_##SUF(const char *p, int64_t n, void *res) { \
        T r = vsum_##NAME##_##SUF##_r((const TI *)(const void *)p, n);         \
        memcpy(res, &r, sizeof r);                                             \
    }

/* Contiguous max/min: eight vector accumulators (the compare-and-select
 * chain is long) started at the first elements, then one, then a scalar
 * pass over the lanes and the tail. */
#define VLOAD8(LDV, p, L)                                                      \
    LDV(x0, (p));                                                              \
    LDV(x1, (p) + (L));                                                        \
    LDV(x2, (p) + 2 * (L));                                                    \
    LDV(x3, (p) + 3 * (L));                                                    \
    LDV(x4, (p) + 4 * (L));                                                    \
    LDV(x5, (p) + 5 * (L));                                                    \
    LDV(x6, (p) + 6 * (L));                                                    \
    LDV(x7, (p) + 7 * (L))
#define SIMD_ORDER_ROW(SUF, ATTR, OP, NAME, T, TI, V, M, LDV, SLD)             \
    ATTR static void vrow_##OP##_##NAME##_##SUF(const char *pc, int64_t n, void *res) { \
        enum { L = sizeof(V) / sizeof(T) };                                    \
        const TI *p = (const TI *)(const void *)pc;                            \
        T r = SLD(pc);                                                         \
        int64_t i = 0;                                                         \
        if (n >= L) {                                                          \
            V x0, x1, x2, x3, x4, x5, x6, x7, a0;                              \
            LDV(a0, p);                                                        \
            i = L;                                                             \
            if (n >= 8 * L) {                                                  \
                VLOAD8(LDV, p, L);                                             \
                V a1 = x1, a2 = x2, a3 = x3, a4 = x4, a5 = x5, a6 = x6, a7 = x7; \
                for (i = 8 * L; i + 8 * L <= n; i += 8 * L) {                  \
                    PREFETCH(p + i, 8 * L * sizeof(TI));                       \
                    VLOAD8(LDV, p + i, L);                                     \
                    VSTEP_##OP(M, V, a0, x0);                                  \
                    VSTEP_##OP(M, V, a1, x1);                                  \
                    VSTEP_##OP(M, V, a2, x2);                                  \
                    VSTEP_##OP(M, V, a3, x3);                                  \
                    VSTEP_##OP(M, V, a4, x4);                                  \
                    VSTEP_##OP(M, V, a5, x5);                                  \
                    VSTEP_##OP(M, V, a6, x6);                                  \
                    VSTEP_##OP(M, V, a7, x7);                                  \
                }                                                              \
                VSTEP_##OP(M, V, a0, a4);                                      \
                VSTEP_##OP(M, V, a1, a5);                                      \
                VSTEP_##OP(M, V, a2, a6);                                      \
                VSTEP_##OP(M, V, a3, a7);                                      \
                VSTEP_##OP(M, V, a0, a1);                                      \
                VSTEP_##OP(M, V, a2, a3);                                      \
                VSTEP_##OP(M, V, a0, a2);                                      \
            }                                                                  \
            for (; i + L <= n; i += L) {                                       \
                LDV(x0, p + i);                                                \
                VSTEP_##OP(M, V, a0, x0);                                      \
            }                                                                  \
            r = a0[0];                                                         \
            for (int k = 1; k < L; k++) r = st_##OP##_##NAME##_SCALAR(r, a0[k]); \
        }                                                                      \
        for (; i < n; i++) r = st_##OP##_##NAME##_SCALAR(r, SLD((const char *)(p + i))); \
        memcpy(res, &r, sizeof r);                                             \
    }

/* Contiguous column step over up to GROUP_MAX rows; pf (bytes, or 0) is
 * prefetched ahead of every row. */
#define SIMD_COL(SUF, ATTR, OP, NAME, T, TI, V, M, LDV, SLD)                   \
    ATTR static void vcol_##OP##_##NAME##_##SUF(void *accv, const char *const *rows, int nr, \
                                                int64_t n, bool init, int64_t pf) { \
        enum { L = sizeof(V) / sizeof(T) };                                    \
        T *acc = accv;                                                         \
        int64_t j = 0;                                                         \
        for (; j + L <= n; j += L) {                                           \
            V v, x;                                                            \
            if (pf && j % (64 / sizeof(TI)) < L)                               \
                for (int k = 0; k < nr; k++)                                   \
                    __builtin_prefetch(rows[k] + j * (int64_t)sizeof(TI) + pf); \
            LDV(v, (const TI *)(const void *)rows[0] + j);                     \
            for (int k = 1; k < nr; k++) {                                     \
                LDV(x, (const TI *)(const void *)rows[k] + j);                 \
                VSTEP_##OP(M, V, v, x);                                        \
            }                                                                  \
            if (!init) {                                                       \
                memcpy(&x, acc + j, sizeof x);                                 \
                VSTEP_##OP(M, V, x, v);                                        \
                v = x;                                                         \
            }                                                                  \
            memcpy(acc + j, &v, sizeof v);                                     \
        }                                                                      \
        for (; j < n; j++) {                                                   \
            T v = SLD(rows[0] + j * (int64_t)sizeof(TI));                      \
            for (int k = 1; k < nr; k++)                                       \
                v = st_##OP##_##NAME##_SCALAR(v, SLD(rows[k] + j * (int64_t)sizeof(TI))); \
            acc[j] = init ? v : st_##OP##_##NAME##_SCALAR(acc[j], v);          \
        }                                                                      \
    }

/* The scalar steps by loop NAME (the accumulator decides). */
#define st_sum_f32_SCALAR st_sum_f32
#define st_sum_f64_SCALAR st_sum_f64
#define st_sum_u32_SCALAR st_sum_u32
#define st_sum_u64_SCALAR st_sum_u64
#define st_sum_f32_f16_SCALAR st_sum_f32
#define st_sum_f32_bf16_SCALAR st_sum_f32
#define st_sum_u32_bl_SCALAR st_sum_u32
#define st_sum_u32_u8_SCALAR st_sum_u32
#define st_sum_u32_i8_SCALAR st_sum_u32
#define st_sum_u32_u16_SCALAR st_sum_u32
#define st_sum_u32_i16_SCALAR st_sum_u32
#define st_max_f32_SCALAR st_max_f32
#define st_max_f64_SCALAR st_max_f64
#define st_max_i32_SCALAR st_max_i32
#define st_max_u32_SCALAR st_max_u32
#define st_max_i64_SCALAR st_max_i64
#define st_max_u64_SCALAR st_max_u64
#define st_max_f32_f16_SCALAR st_max_f32
#define st_max_f32_bf16_SCALAR st_max_f32
#define st_max_i8_SCALAR st_max_i8
#define st_max_u8_SCALAR st_max_u8
#define st_max_i16_SCALAR st_max_i16
#define st_max_u16_SCALAR st_max_u16
#define st_min_f32_SCALAR st_min_f32
#define st_min_f64_SCALAR st_min_f64
#define st_min_i32_SCALAR st_min_i32
#define st_min_u32_SCALAR st_min_u32
#define st_min_i64_SCALAR st_min_i64
#define st_min_u64_SCALAR st_min_u64
#define st_min_f32_f16_SCALAR st_min_f32
#define st_min_f32_bf16_SCALAR st_min_f32
#define st_min_i8_SCALAR st_min_i8
#define st_min_u8_SCALAR st_min_u8
#define st_min_i16_SCALAR st_min_i16
#define st_min_u16_SCALAR st_min_u16

/* a[j] += b[j]: merging partial sums in the pairwise counter. */
#define SIMD_COMB(SUF, ATTR, ACC, T, V)                                        \
    ATTR static void vcomb_sum_##ACC##_##SUF(void *av, const void *bv, int64_t n) { \
        enum { L = sizeof(V) / sizeof(T) };                                    \
        T *a = av;                                                             \
        const T *b = bv;                                                       \
        int64_t j = 0;                                                         \
        for (; j + L <= n; j += L) {                                           \
            V x, y;                                                            \
            memcpy(&x, a + j, sizeof x);                                       \
            memcpy(&y, b + j, sizeof y);                                       \
            x += y;                                                            \
            memcpy(a + j, &x, sizeof x);                                       \
        }                                                                      \
        for (; j < n; j++) a[j] += b[j];                                       \
    }
/* complex64 partial sums: pairs of floats */
#define SIMD_COMB_C64(SUF, ATTR)                                               \
    ATTR static void vcomb_sum_c64_##SUF(void *av, const void *bv, int64_t n) { \
        vcomb_sum_f32_##SUF(av, bv, 2 * n);                                    \
    }

/* all/any of bools, on bytes: any ORs them, all ANDs their "nonzero" masks;
 * the column accumulators are bools (bytes 0/1). */
#define SIMD_LOGIC(SUF, ATTR, OP, B, VOP, ID)                                  \
    ATTR static void vrow_##OP##_bl_##SUF(const char *p, int64_t n, void *res) { \
        vu8_##B a = (vu8_##B){0} + (uint8_t)(ID ? 1 : 0), x;                   \
        int64_t i = 0;                                                         \
        for (; i + B <= n; i += B) {                                           \
            PREFETCH(p + i, B);                                                \
            memcpy(&x, p + i, sizeof x);                                       \
            a VOP## = (vu8_##B)(x != 0) & 1;                                   \
        }                                                                      \
        bool r = ID;                                                           \
        for (int k = 0; k < B; k++) r = st_##OP##_nz(r, a[k] != 0);            \
        for (; i < n; i++) r = st_##OP##_nz(r, p[i] != 0);                     \
        *(bool *)res = r;                                                      \
    }                                                                          \
    ATTR static void vcol_##OP##_bl_##SUF(void *accv, const char *const *rows, int nr, \
                                          int64_t n, bool init, int64_t pf) {  \
        unsigned char *acc = accv;                                             \
        int64_t j = 0;                                                         \
        for (; j + B <= n; j += B) {                                           \
            vu8_##B v, x;                                                      \
            if (pf)                                                            \
                for (int k = 0; k < nr; k++) __builtin_prefetch(rows[k] + j + pf); \
            memcpy(&v, rows[0] + j, sizeof v);                                 \
            v = (vu8_##B)(v != 0) & 1;                                         \
            for (int k = 1; k < nr; k++) {                                     \
                memcpy(&x, rows[k] + j, sizeof x);                             \
                v VOP## = (vu8_##B)(x != 0) & 1;                               \
            }                                                                  \
            if (!init) {                                                       \
                memcpy(&x, acc + j, sizeof x);                                 \
                v VOP## = x;                                                   \
            }                                                                  \
            memcpy(acc + j, &v, sizeof v);                                     \
        }                                                                      \
        for (; j < n; j++) {                                                   \
            bool v = rows[0][j] != 0;                                          \
            for (int k = 1; k < nr; k++) v = st_##OP##_nz(v, rows[k][j] != 0); \
            acc[j] = init ? v : st_##OP##_nz(acc[j] != 0, v);                  \
        }                                                                      \
    }

/* The instantiations of one level. */
#define SIMD_ALL(SUF, ATTR, B, HB, QB)                                         \
    SIMD_COMB(SUF, ATTR, f32, float, vf32_##B)                                 \
    SIMD_COMB(SUF, ATTR, f64, double, vf64_##B)                                \
    SIMD_COMB_C64(SUF, ATTR)                                                   \
    SIMD_SUMS(SUF, ATTR, B, HB, QB, SIMD_SUM_ROW_X)                            \
    SIMD_SUMS(SUF, ATTR, B, HB, QB, SIMD_COL_X)                                \
    SIMD_ORDERS(SUF, ATTR, B, HB, max)                                         \
    SIMD_ORDERS(SUF, ATTR, B, HB, min)                                         \
    SIMD_LOGIC(SUF, ATTR, any, B, |, false)                                    \
    SIMD_LOGIC(SUF, ATTR, all, B, &, true)
#define SIMD_SUM_ROW_X(SUF, ATTR, NAME, T, TI, V, M, LDV, SLD)                 \
    SIMD_SUM_ROW(SUF, ATTR, NAME, T, TI, V, LDV, SLD)
#define SIMD_COL_X(SUF, ATTR, NAME, T, TI, V, M, LDV, SLD)                     \
    SIMD_COL(SUF, ATTR, sum, NAME, T, TI, V, M, LDV, SLD)
#define SIMD_SUMS(SUF, ATTR, B, HB, QB, X)                                     \
    X(SUF, ATTR, f32, float, float, vf32_##B, vi32_##B, LDS_##B, ld_f32_f32)   \
    X(SUF, ATTR, f64, double, double, vf64_##B, vi64_##B, LDS_##B, ld_f64_f64) \
    X(SUF, ATTR, u32, uint32_t, uint32_t, vu32_##B, vi32_##B, LDS_##B, ld_u32_u32) \
    X(SUF, ATTR, u64, uint64_t, uint64_t, vu64_##B, vi64_##B, LDS_##B, ld_u64_u64) \
    X(SUF, ATTR, f32_f16, float, uint16_t, vf32_##B, vi32_##B, LDF16_##B, ld_f32_f16) \
    X(SUF, ATTR, f32_bf16, float, uint16_t, vf32_##B, vi32_##B, LDBF16_##B, ld_f32_bf16) \
    X(SUF, ATTR, u32_bl, uint32_t, uint8_t, vu32_##B, vi32_##B, LDBL_##B, ld_u32_bl) \
    X(SUF, ATTR, u32_u8, uint32_t, uint8_t, vu32_##B, vi32_##B, LDU8_##B, ld_u32_u8) \
    X(SUF, ATTR, u32_i8, uint32_t, int8_t, vu32_##B, vi32_##B, LDI8_##B, ld_u32_i8) \
    X(SUF, ATTR, u32_u16, uint32_t, uint16_t, vu32_##B, vi32_##B, LDU16_##B, ld_u32_u16) \
    X(SUF, ATTR, u32_i16, uint32_t, int16_t, vu32_##B, vi32_##B, LDI16_##B, ld_u32_i16)
#define SIMD_ORDERS(SUF, ATTR, B, HB, OP)                                      \
    SIMD_ORDER_X(SUF, ATTR, OP, f32, float, float, vf32_##B, vi32_##B, LDS_##B, ld_f32_f32) \
    SIMD_ORDER_X(SUF, ATTR, OP, f64, double, double, vf64_##B, vi64_##B, LDS_##B, ld_f64_f64) \
    SIMD_ORDER_X(SUF, ATTR, OP, i32, int32_t, int32_t, vi32_##B, vi32_##B, LDS_##B, ld_i32_i32) \
    SIMD_ORDER_X(SUF, ATTR, OP, u32, uint32_t, uint32_t, vu32_##B, vi32_##B, LDS_##B, ld_u32_u32) \
    SIMD_ORDER_X(SUF, ATTR, OP, i64, int64_t, int64_t, vi64_##B, vi64_##B, LDS_##B, ld_i64_i64) \
    SIMD_ORDER_X(SUF, ATTR, OP, u64, uint64_t, uint64_t, vu64_##B, vi64_##B, LDS_##B, ld_u64_u64) \
    SIMD_ORDER_X(SUF, ATTR, OP, f32_f16, float, uint16_t, vf32_##B, vi32_##B, LDF16_##B, ld_f32_f16) \
    SIMD_ORDER_X(SUF, ATTR, OP, f32_bf16, float, uint16_t, vf32_##B, vi32_##B, LDBF16_##B, ld_f32_bf16) \
    SIMD_ORDER_X(SUF, ATTR, OP, i8, int8_t, int8_t, vi8_##B, vi8_##B, LDS_##B, ld_i8_i8) \
    SIMD_ORDER_X(SUF, ATTR, OP, u8, uint8_t, uint8_t, vu8_##B, vi8_##B, LDS_##B, ld_u8_u8) \
    SIMD_ORDER_X(SUF, ATTR, OP, i16, int16_t, int16_t, vi16_##B, vi16_##B, LDS_##B, ld_i16_i16) \
    SIMD_ORDER_X(SUF, ATTR, OP, u16, uint16_t, uint16_t, vu16_##B, vi16_##B, LDS_##B, ld_u16_u16)
#define SIMD_ORDER_X(SUF, ATTR, OP, NAME, T, TI, V, M, LDV, SLD)               \
    SIMD_ORDER_ROW(SUF, ATTR, OP, NAME, T, TI, V, M, LDV, SLD)                 \
    SIMD_COL(SUF, ATTR, OP, NAME, T, TI, V, M, LDV, SLD)
/* The loaders of each width: LD<input>_<B>(x, p). */
#define LDS_16(x, p) LDV_SAME(0, x, p)
#define LDS_32(x, p) LDV_SAME(0, x, p)
#define LDS_64(x, p) LDV_SAME(0, x, p)
#define LDF16_16(x, p) LDV_F16(vf32_16, vu32_16, vu16_8, x, p)
#ifdef REDUCE_X86
/* The F16C conversion instructions. Clang would fold the widening into the
 * NaN test and compare halves lane by lane: the empty asm keeps it a float
 * vector. */
#ifdef __clang__
#define F32_OPAQUE(x, C) __asm__("" : "+" C(x))
#else
#define F32_OPAQUE(x, C) ((void)0)
#endif
#define LDF16_32(x, p)                                                         \
    do {                                                                       \
        (x) = (vf32_32)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p))); \
        F32_OPAQUE(x, "x");                                                    \
    } while (0)
#define LDF16_64(x, p)                                                         \
    do {                                                                       \
        (x) = (vf32_64)_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p))); \
        F32_OPAQUE(x, "v");                                                    \
    } while (0)
#endif
#define LDBF16_16(x, p) LDV_BF16(vf32_16, vu32_16, vu16_8, x, p)
#define LDBF16_32(x, p) LDV_BF16(vf32_32, vu32_32, vu16_16, x, p)
#define LDBF16_64(x, p) LDV_BF16(vf32_64, vu32_64, vu16_32, x, p)
#define LDBL_16(x, p) LDV_BOOL(vu32_16, vu32_16, vu8_4, x, p)
#define LDBL_32(x, p) LDV_BOOL(vu32_32, vu32_32, vu8_8, x, p)
#define LDBL_64(x, p) LDV_BOOL(vu32_64, vu32_64, vu8_16, x, p)
#define LDU8_16(x, p) LDV_WIDEN(vu32_16, vu32_16, vu8_4, x, p)
#define LDU8_32(x, p) LDV_WIDEN(vu32_32, vu32_32, vu8_8, x, p)
#define LDU8_64(x, p) LDV_WIDEN(vu32_64, vu32_64, vu8_16, x, p)
#define LDI8_16(x, p) LDV_WIDEN(vu32_16, vi32_16, vi8_4, x, p)
#define LDI8_32(x, p) LDV_WIDEN(vu32_32, vi32_32, vi8_8, x, p)
#define LDI8_64(x, p) LDV_WIDEN(vu32_64, vi32_64, vi8_16, x, p)
#define LDU16_16(x, p) LDV_WIDEN(vu32_16, vu32_16, vu16_8, x, p)
#define LDU16_32(x, p) LDV_WIDEN(vu32_32, vu32_32, vu16_16, x, p)
#define LDU16_64(x, p) LDV_WIDEN(vu32_64, vu32_64, vu16_32, x, p)
#define LDI16_16(x, p) LDV_WIDEN(vu32_16, vi32_16, vi16_8, x, p)
#define LDI16_32(x, p) LDV_WIDEN(vu32_32, vi32_32, vi16_16, x, p)
#define LDI16_64(x, p) LDV_WIDEN(vu32_64, vi32_64, vi16_32, x, p)

/* The contiguous loops of one SIMD level, by (op, input dtype) for the
 * default accumulators (int32 sums accumulate in uint32, and so on). */
typedef struct {
    vrow_fn row[6][EM_NUM_DTYPES];
    vcol_fn col[6][EM_NUM_DTYPES];
    comb_fn sum_comb[EM_NUM_DTYPES]; /* by accumulator dtype */
} simd_table;

#define SIMD_SUM_FNS(KIND, SUF)                                                \
    {[EM_FLOAT32] = v##KIND##_sum_f32_##SUF,      [EM_FLOAT64] = v##KIND##_sum_f64_##SUF,   \
     [EM_INT32] = v##KIND##_sum_u32_##SUF,        [EM_UINT32] = v##KIND##_sum_u32_##SUF,    \
     [EM_INT64] = v##KIND##_sum_u64_##SUF,        [EM_UINT64] = v##KIND##_sum_u64_##SUF,    \
     [EM_FLOAT16] = v##KIND##_sum_f32_f16_##SUF,  [EM_BFLOAT16] = v##KIND##_sum_f32_bf16_##SUF, \
     [EM_BOOL] = v##KIND##_sum_u32_bl_##SUF,      [EM_UINT8] = v##KIND##_sum_u32_u8_##SUF,  \
     [EM_INT8] = v##KIND##_sum_u32_i8_##SUF,      [EM_UINT16] = v##KIND##_sum_u32_u16_##SUF, \
     [EM_INT16] = v##KIND##_sum_u32_i16_##SUF}
#define SIMD_ORDER_FNS(KIND, OP, SUF)                                          \
    {[EM_FLOAT32] = v##KIND##_##OP##_f32_##SUF,   [EM_FLOAT64] = v##KIND##_##OP##_f64_##SUF, \
     [EM_INT32] = v##KIND##_##OP##_i32_##SUF,     [EM_UINT32] = v##KIND##_##OP##_u32_##SUF,  \
     [EM_INT64] = v##KIND##_##OP##_i64_##SUF,     [EM_UINT64] = v##KIND##_##OP##_u64_##SUF,  \
     [EM_FLOAT16] = v##KIND##_##OP##_f32_f16_##SUF,                           \
     [EM_BFLOAT16] = v##KIND##_##OP##_f32_bf16_##SUF,                         \
     [EM_INT8] = v##KIND##_##OP##_i8_##SUF,       [EM_UINT8] = v##KIND##_##OP##_u8_##SUF,    \
     [EM_INT16] = v##KIND##_##OP##_i16_##SUF,     [EM_UINT16] = v##KIND##_##OP##_u16_##SUF, \
     [EM_BOOL] = v##KIND##_##OP##_BOOL_AS_##SUF}
/* max of bools is any, min is all */
#define vrow_max_BOOL_AS_PORTABLE vrow_any_bl_PORTABLE
#define vcol_max_BOOL_AS_PORTABLE vcol_any_bl_PORTABLE
#define vrow_min_BOOL_AS_PORTABLE vrow_all_bl_PORTABLE
#define vcol_min_BOOL_AS_PORTABLE vcol_all_bl_PORTABLE
#define vrow_max_BOOL_AS_AVX2 vrow_any_bl_AVX2
#define vcol_max_BOOL_AS_AVX2 vcol_any_bl_AVX2
#define vrow_min_BOOL_AS_AVX2 vrow_all_bl_AVX2
#define vcol_min_BOOL_AS_AVX2 vcol_all_bl_AVX2
#define vrow_max_BOOL_AS_AVX512 vrow_any_bl_AVX512
#define vcol_max_BOOL_AS_AVX512 vcol_any_bl_AVX512
#define vrow_min_BOOL_AS_AVX512 vrow_all_bl_AVX512
#define vcol_min_BOOL_AS_AVX512 vcol_all_bl_AVX512
#define SIMD_TABLE(SUF, B, HB, QB)                                             \
    SIMD_ALL(SUF, ATTR_##SUF, B, HB, QB)                                       \
    static const simd_table simd_##SUF = {                                     \
        .row = {[EM_REDUCE_SUM] = SIMD_SUM_FNS(row, SUF),                      \
                [EM_REDUCE_MAX] = SIMD_ORDER_FNS(row, max, SUF),               \
                [EM_REDUCE_MIN] = SIMD_ORDER_FNS(row, min, SUF),               \
                [EM_REDUCE_ALL] = {[EM_BOOL] = vrow_all_bl_##SUF},             \
                [EM_REDUCE_ANY] = {[EM_BOOL] = vrow_any_bl_##SUF}},            \
        .col = {[EM_REDUCE_SUM] = SIMD_SUM_FNS(col, SUF),                      \
                [EM_REDUCE_MAX] = SIMD_ORDER_FNS(col, max, SUF),               \
                [EM_REDUCE_MIN] = SIMD_ORDER_FNS(col, min, SUF),               \
                [EM_REDUCE_ALL] = {[EM_BOOL] = vcol_all_bl_##SUF},             \
                [EM_REDUCE_ANY] = {[EM_BOOL] = vcol_any_bl_##SUF}},            \
        .sum_comb = {[EM_FLOAT32] = vcomb_sum_f32_##SUF,                       \
                     [EM_FLOAT64] = vcomb_sum_f64_##SUF,                       \
                     [EM_COMPLEX64] = vcomb_sum_c64_##SUF},                    \
    };

SIMD_TABLE(PORTABLE, 16, 8, 4)
#ifdef REDUCE_X86
SIMD_TABLE(AVX2, 32, 16, 8)
SIMD_TABLE(AVX512, 64, 32, 16)
#endif

static int simd_best(void) {
#ifdef REDUCE_X86
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        return CPU_SIMD_AVX512;
    if (avx2) return CPU_SIMD_AVX2;
#endif
    return CPU_SIMD_PORTABLE;
}

static atomic_int simd_level = -1; /* -1: not chosen yet */

int cpu_reduce_set_simd(int level) {
    int best = simd_best();
    int l = level < 0 || level > best ? best : level;
    atomic_store(&simd_level, l);
    return l;
}

static const simd_table *simd_current(void) {
    int l = atomic_load(&simd_level);
    if (l < 0) l = cpu_reduce_set_simd(-1);
#ifdef REDUCE_X86
    if (l == CPU_SIMD_AVX512) return &simd_AVX512;
    if (l == CPU_SIMD_AVX2) return &simd_AVX2;
#endif
    return &simd_PORTABLE;
}

/* The functions for (op, in, out); false when the kernel has none. */
static bool reduce_lookup(int op, em_dtype in, em_dtype out, reduce_fns *f) {
    if (op < 0 || op > EM_REDUCE_ANY || !em_dtype_is_valid((int)in)) return false;
    bool to_f32 = op == EM_REDUCE_SUM && out == EM_FLOAT32 &&
                  entries[EM_REDUCE_SUM][in].acc != EM_FLOAT32;
    const entry *e = to_f32 ? &sum_f32_entries[in] : &entries[op][in];
    if (!e->row) return false;
    em_dtype a = e->acc;
    bool ok = out == a || (a == EM_FLOAT32 && (out == EM_FLOAT16 || out == EM_BFLOAT16)) ||
              (a == EM_UINT32 && out == EM_INT32) || (a == EM_UINT64 && out == EM_INT64);
    if (!ok) return false;
    const simd_table *t = simd_current();
    *f = (reduce_fns){a, e->row, e->col, e->comb, e->fill, NULL, NULL,
                      op == EM_REDUCE_SUM && (a == EM_FLOAT32 || a == EM_FLOAT64 ||
                                              a == EM_COMPLEX64)};
    if (!to_f32) {
        f->vrow = t->row[op][in];
        f->vcol = t->col[op][in];
    }
    if (f->pairwise) f->comb = t->sum_comb[a];
    return true;
}

/* Writes n accumulators (dtype acc, contiguous) to dst, os bytes apart, as
 * dtype out (the same size, or a half float from float32). */
static void store_acc(em_dtype acc, const void *src, em_dtype out, char *dst, int64_t n,
                      int64_t os) {
    size_t asz = em_dtype_size(acc);
    if (acc == EM_FLOAT32 && out == EM_FLOAT16) {
        const float *s = src;
        for (int64_t j = 0; j < n; j++) *(em_f16 *)(void *)(dst + j * os) = em_f32_to_f16(s[j]);
    } else if (acc == EM_FLOAT32 && out == EM_BFLOAT16) {
        const float *s = src;
        for (int64_t j = 0; j < n; j++) *(em_bf16 *)(void *)(dst + j * os) = em_f32_to_bf16(s[j]);
    } else if (os == (int64_t)asz) {
        memcpy(dst, src, (size_t)n * asz);
    } else {
        for (int64_t j = 0; j < n; j++) memcpy(dst + j * os, (const char *)src + (size_t)j * asz, asz);
    }
}

/* ---------------------------------------------------------------- pairwise counter */

/* A binary counter of partial results (w accumulators each): level l holds
 * the combination of 2^l pushes, so n pushes cost n combines in all and every
 * input goes through about log2(n) additions. Buffers are swapped, never
 * copied: lv[0..nlev) and t always own distinct buffers. */
typedef struct {
    comb_fn comb;
    int64_t w;
    uint64_t occ;
    void *t;
    void *lv[64];
} counter;

/* buf holds nlev + 1 buffers of w accumulators of esz bytes. */
static void counter_init(counter *c, comb_fn comb, int64_t w, size_t esz, char *buf, int nlev) {
    c->comb = comb;
    c->w = w;
    c->occ = 0;
    for (int l = 0; l < nlev; l++) c->lv[l] = buf + (size_t)l * (size_t)w * esz;
    c->t = buf + (size_t)nlev * (size_t)w * esz;
}

/* Adds the partial in c->t. */
static void counter_push(counter *c) {
    int l = 0;
    while (c->occ >> l & 1) {
        c->comb(c->t, c->lv[l], c->w);
        c->occ &= ~(1ull << l);
        l++;
    }
    void *f = c->lv[l];
    c->lv[l] = c->t;
    c->t = f;
    c->occ |= 1ull << l;
}

/* Combines the occupied levels (at least one) and empties the counter;
 * returns the buffer holding the result. */
static void *counter_finish(counter *c) {
    void *r = NULL;
    for (int l = 0; l < 64; l++)
        if (c->occ >> l & 1) {
            if (!r) r = c->lv[l];
            else c->comb(r, c->lv[l], c->w);
        }
    c->occ = 0;
    return r;
}

/* Levels a counter needs for n pushes. */
static int counter_levels(int64_t n) {
    int l = 1;
    while (l < 63 && (n >> l) != 0) l++;
    return l;
}

/* ---------------------------------------------------------------- plan */

typedef struct { int64_t n, in, out; } rdim; /* size, strides in bytes */

typedef struct {
    int nk, nr;
    rdim k[EM_MAX_NDIM]; /* kept dims, outer to inner */
    rdim r[EM_MAX_NDIM]; /* reduced dims, outer to inner */
    const char *in;
    char *out;
} rplan;

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

/* Sorts by decreasing |input stride| (then |output stride|) and merges
 * neighbours that are one run in both input and output. Returns the count. */
static int sort_merge(rdim *d, int n) {
    for (int i = 1; i < n; i++) {
        rdim x = d[i];
        int j = i;
        while (j > 0 && (abs64(d[j - 1].in) < abs64(x.in) ||
                         (abs64(d[j - 1].in) == abs64(x.in) && abs64(d[j - 1].out) < abs64(x.out)))) {
            d[j] = d[j - 1];
            j--;
        }
        d[j] = x;
    }
    if (n == 0) return 0;
    int m = 0;
    for (int i = 1; i < n; i++) {
        if (d[m].in == d[i].in * d[i].n && d[m].out == d[i].out * d[i].n) {
            d[m].n *= d[i].n;
            d[m].in = d[i].in;
            d[m].out = d[i].out;
        } else {
            d[++m] = d[i];
        }
    }
    return m + 1;
}

/* Splits in's dims (size-1 ones dropped) into kept and reduced (red[d]);
 * output axes follow the kept ones, or all of them when out has in's rank
 * (keepdims). With flip, reduced dims of negative stride are walked
 * forwards (the order of a reduction does not matter). */
static void plan_init(rplan *pl, const em_array *in, const em_array *out, const bool *red,
                      bool flip) {
    int64_t isz = (int64_t)array_itemsize(in), osz = (int64_t)array_itemsize(out);
    bool keep = out->ndim == in->ndim;
    pl->in = array_ptr(in);
    pl->out = array_ptr(out);
    pl->nk = pl->nr = 0;
    for (int d = 0, od = 0; d < in->ndim; d++) {
        int64_t n = in->shape[d], is = in->strides[d] * isz;
        if (red[d]) {
            if (keep) od++;
            if (n == 1) continue;
            if (flip && is < 0) {
                pl->in += (n - 1) * is;
                is = -is;
            }
            pl->r[pl->nr++] = (rdim){n, is, 0};
        } else {
            int64_t os = out->strides[od++] * osz;
            if (n != 1) pl->k[pl->nk++] = (rdim){n, is, os};
        }
    }
    pl->nk = sort_merge(pl->k, pl->nk);
    pl->nr = sort_merge(pl->r, pl->nr);
}

/* Steps the odometer idx over dims d[0..nd) and moves the offsets. */
static inline void odo_next(const rdim *d, int nd, int64_t *idx, int64_t *oin, int64_t *oout) {
    for (int i = nd - 1; i >= 0; i--) {
        *oin += d[i].in;
        *oout += d[i].out;
        if (++idx[i] < d[i].n) return;
        *oin -= d[i].in * d[i].n;
        *oout -= d[i].out * d[i].n;
        idx[i] = 0;
    }
}

static int64_t dims_count(const rdim *d, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= d[i].n;
    return n;
}

/* Whether row mode suits the plan (see the file comment): the innermost
 * reduced dim has the smaller stride, unless its rows are short and the kept
 * dim long. When the kept dim is innermost, column mode always reads less
 * memory (one pass), even for narrow chunks. */
static bool use_rows(const rplan *pl) {
    if (pl->nk == 0) return true;
    const rdim *ri = &pl->r[pl->nr - 1], *ki = &pl->k[pl->nk - 1];
    return abs64(ri->in) <= abs64(ki->in) && !(ri->n < 16 && ki->n >= 16);
}

/* Sets the odometer idx over dims d[0..nd) to position t (row-major) and
 * the offsets to match. */
static void odo_set(const rdim *d, int nd, int64_t t, int64_t *idx, int64_t *oin, int64_t *oout) {
    *oin = *oout = 0;
    for (int i = nd - 1; i >= 0; i--) {
        idx[i] = t % d[i].n;
        t /= d[i].n;
        *oin += idx[i] * d[i].in;
        *oout += idx[i] * d[i].out;
    }
}

/* ---------------------------------------------------------------- REDUCE */

/* Threads. Work is cut into pieces fixed by the shape alone, never by the
 * number of threads, so every thread count gives the same bits:
 *   - row mode: whole outputs are independent; a single row longer than
 *     ROW_PIECE elements is reduced in pieces of ROW_PIECE, whose results
 *     are then combined (float sums pairwise, through the counter);
 *   - column mode: chunks of outputs are independent; when a chunk has more
 *     than BLOCK_GROUPS groups of rows, the groups are cut into aligned
 *     blocks of BLOCK_GROUPS, whose results are combined in order (float
 *     sums enter the counter at the level a block stands for, which gives
 *     the very tree one counter over every group builds).
 * Partial results live in a scratch buffer; the pieces run over the pool. */
enum {
    ROW_PIECE = 1 << 16,       /* elements of one row reduced as one piece */
    BLOCK_GROUPS = 64,         /* groups of rows per block in column mode */
    BLOCK_LEVEL = 6,           /* log2(BLOCK_GROUPS) */
    GRAIN_REDUCE = 64 * 1024   /* input elements a thread's share is worth */
};

typedef struct {
    const rplan *pl;
    const reduce_fns *f;
    em_dtype out_dt;
    const rdim *ri, *ki;   /* innermost reduced and kept dims */
    rdim one;              /* ki when there are no kept dims */
    int nro, nko;          /* outer reduced and kept dims */
    int64_t nrows;         /* rows per output */
    int64_t npiece;        /* pieces per row (1: whole rows) */
    bool contig, pw;
    size_t esz;
    char *part;            /* npiece > 1: one accumulator per piece */
} rows_job;

static void rows_job_init(rows_job *J, const rplan *pl, const reduce_fns *f, size_t isz,
                          em_dtype out_dt) {
    J->pl = pl;
    J->f = f;
    J->out_dt = out_dt;
    J->one = (rdim){1, 0, 0};
    J->ri = &pl->r[pl->nr - 1];
    J->ki = pl->nk ? &pl->k[pl->nk - 1] : &J->one;
    J->nro = pl->nr - 1;
    J->nko = pl->nk ? pl->nk - 1 : 0;
    J->nrows = dims_count(pl->r, J->nro);
    J->contig = J->ri->in == (int64_t)isz && f->vrow;
    J->pw = f->pairwise && J->nrows > 1;
    J->esz = em_dtype_size(f->acc);
    J->npiece = J->nrows == 1 && J->ri->n > ROW_PIECE ? (J->ri->n + ROW_PIECE - 1) / ROW_PIECE : 1;
    J->part = NULL;
}

/* Row mode, outputs [b, e) in row-major order over the kept dims: each
 * reduces the rows at every position of the outer reduced dims (one row when
 * there are none); outputs along the innermost kept dim are stored in
 * batches. */
static void rows_range(void *v, int64_t b, int64_t e) {
    const rows_job *J = v;
    const rplan *pl = J->pl;
    const reduce_fns *f = J->f;
    const rdim *ri = J->ri, *ki = J->ki;
    size_t esz = J->esz;
    _Alignas(16) unsigned char res[ROW_BATCH * 16], pool[65 * 16];
    counter c;
    int64_t kidx[EM_MAX_NDIM] = {0}, oin, oout, j = b % ki->n;
    odo_set(pl->k, J->nko, b / ki->n, kidx, &oin, &oout);
    while (b < e) {
        int64_t cw = ki->n - j < e - b ? ki->n - j : e - b;
        if (cw > ROW_BATCH) cw = ROW_BATCH;
        for (int64_t jj = 0; jj < cw; jj++) {
            const char *p = pl->in + oin + (j + jj) * ki->in;
            unsigned char *r = res + (size_t)jj * esz;
            if (J->nrows == 1) {
                if (J->contig) f->vrow(p, ri->n, r);
                else f->row(p, ri->n, ri->in, r);
                continue;
            }
            /* several rows: pairwise through the counter, or the first
             * into r and each next one beside it, combined */
            int64_t ridx[EM_MAX_NDIM] = {0}, rin = 0, dummy = 0;
            if (J->pw) counter_init(&c, f->comb, 1, esz, (char *)pool, 64);
            for (int64_t u = 0; u < J->nrows; u++) {
                void *dst = J->pw ? c.t : u == 0 ? (void *)r : pool;
                if (J->contig) f->vrow(p + rin, ri->n, dst);
                else f->row(p + rin, ri->n, ri->in, dst);
                if (J->pw) counter_push(&c);
                else if (u > 0) f->comb(r, pool, 1);
                odo_next(pl->r, J->nro, ridx, &rin, &dummy);
            }
            if (J->pw) memcpy(r, counter_finish(&c), esz);
        }
        store_acc(f->acc, res, J->out_dt, pl->out + oout + j * ki->out, cw, ki->out);
        b += cw;
        j += cw;
        if (j == ki->n) {
            j = 0;
            odo_next(pl->k, J->nko, kidx, &oin, &oout);
        }
    }
}

/* Pieces [b, e) of the long rows (piece q of output q / npiece) into part. */
static void pieces_range(void *v, int64_t b, int64_t e) {
    const rows_job *J = v;
    const rplan *pl = J->pl;
    const rdim *ri = J->ri, *ki = J->ki;
    for (int64_t q = b; q < e; q++) {
        int64_t o = q / J->npiece, k = q % J->npiece;
        int64_t kidx[EM_MAX_NDIM], oin, oout;
        odo_set(pl->k, J->nko, o / ki->n, kidx, &oin, &oout);
        const char *p = pl->in + oin + (o % ki->n) * ki->in + k * ROW_PIECE * ri->in;
        int64_t len = ri->n - k * ROW_PIECE < ROW_PIECE ? ri->n - k * ROW_PIECE : ROW_PIECE;
        char *dst = J->part + (size_t)q * J->esz;
        if (J->contig) J->f->vrow(p, len, dst);
        else J->f->row(p, len, ri->in, dst);
    }
}

/* Combines each output's pieces (in order; float sums pairwise) and stores. */
static void pieces_finish(const rows_job *J, int64_t nout) {
    const reduce_fns *f = J->f;
    size_t esz = J->esz;
    _Alignas(16) unsigned char pool[65 * 16];
    int64_t kidx[EM_MAX_NDIM] = {0}, oin = 0, oout = 0;
    for (int64_t t = 0, o = 0; o < nout; t++) {
        for (int64_t j = 0; j < J->ki->n; j++, o++) {
            char *pp = J->part + (size_t)(o * J->npiece) * esz;
            const void *r = pp;
            if (f->pairwise) {
                counter c;
                counter_init(&c, f->comb, 1, esz, (char *)pool, 64);
                for (int64_t k = 0; k < J->npiece; k++) {
                    memcpy(c.t, pp + (size_t)k * esz, esz);
                    counter_push(&c);
                }
                r = counter_finish(&c);
            } else {
                for (int64_t k = 1; k < J->npiece; k++) f->comb(pp, pp + (size_t)k * esz, 1);
            }
            store_acc(f->acc, r, J->out_dt, J->pl->out + oout + j * J->ki->out, 1, 0);
        }
        odo_next(J->pl->k, J->nko, kidx, &oin, &oout);
    }
}

static em_status reduce_rows(const rplan *pl, const reduce_fns *f, size_t isz, em_dtype out_dt) {
    rows_job J;
    rows_job_init(&J, pl, f, isz, out_dt);
    int64_t nout = dims_count(pl->k, J.nko) * J.ki->n;
    if (J.npiece == 1) {
        int64_t per = J.nrows * J.ri->n;
        cpu_pool_parallel_for(nout, per >= GRAIN_REDUCE ? 1 : GRAIN_REDUCE / per, rows_range, &J);
        return EM_OK;
    }
    J.part = malloc((size_t)(nout * J.npiece) * J.esz);
    if (!J.part) return error_status(EM_ERR_MEMORY, "[Reduce] Out of memory for a scratch buffer.");
    cpu_pool_parallel_for(nout * J.npiece, 1, pieces_range, &J);
    pieces_finish(&J, nout);
    free(J.part);
    return EM_OK;
}

/* Column mode: chunks of the innermost kept dim accumulate the matching
 * chunk of every reduced position, a group of rows along the innermost
 * reduced dim at a time. A work item is (outer kept position, chunk, block
 * of groups). */
typedef struct {
    const rplan *pl;
    const reduce_fns *f;
    em_dtype out_dt;
    const rdim *ki, *rl;
    int nko, nro;
    int64_t w, gsz;        /* chunk width, rows per group */
    int64_t gpr, ngroups;  /* groups per innermost reduced run, in all */
    int64_t nck, nblk;     /* chunks per outer position, blocks per chunk */
    bool contig;
    size_t esz;
    char *part;            /* nblk > 1: one chunk of accumulators per item */
    atomic_bool failed;    /* a scratch allocation failed */
} cols_job;

/* Groups [g0, g1) of the chunk at base (cw wide) into dst (cw accumulators):
 * a counter of at most BLOCK_GROUPS pushes for float sums, else
 * accumulated in place. scratch holds (BLOCK_LEVEL + 2) chunks. */
static void cols_groups(const cols_job *J, const char *base, int64_t cw, int64_t g0, int64_t g1,
                        char *scratch, void *dst) {
    const reduce_fns *f = J->f;
    const rdim *rl = J->rl;
    counter c;
    int64_t ridx[EM_MAX_NDIM], rin, dummy;
    int64_t u = g0 / J->gpr;
    odo_set(J->pl->r, J->nro, u, ridx, &rin, &dummy);
    if (f->pairwise) counter_init(&c, f->comb, cw, J->esz, scratch, BLOCK_LEVEL + 1);
    for (int64_t g = g0; g < g1; g++) {
        int64_t i0 = (g % J->gpr) * J->gsz;
        if (g > g0 && i0 == 0) odo_next(J->pl->r, J->nro, ridx, &rin, &dummy);
        const char *rows[GROUP_MAX];
        int nr = (int)(rl->n - i0 < J->gsz ? rl->n - i0 : J->gsz);
        for (int k = 0; k < nr; k++) rows[k] = base + rin + (i0 + k) * rl->in;
        void *acc = f->pairwise ? c.t : dst;
        bool init = f->pairwise || g == g0;
        /* prefetch the next group's rows (the hardware prefetchers start
         * cold on every new row) */
        int64_t pf = i0 + 2 * J->gsz <= rl->n ? J->gsz * rl->in : 0;
        if (J->contig) f->vcol(acc, rows, nr, cw, init, pf);
        else f->col(acc, rows, nr, cw, J->ki->in, init);
        if (f->pairwise) counter_push(&c);
    }
    if (f->pairwise) memcpy(dst, counter_finish(&c), (size_t)cw * J->esz);
}

/* The input and output positions of item q and its width. */
static int64_t cols_item(const cols_job *J, int64_t q, const char **base, char **out) {
    int64_t blk = q % J->nblk, ck = q / J->nblk % J->nck, t = q / J->nblk / J->nck;
    (void)blk;
    int64_t kidx[EM_MAX_NDIM], oin, oout, j0 = ck * J->w;
    odo_set(J->pl->k, J->nko, t, kidx, &oin, &oout);
    *base = J->pl->in + oin + j0 * J->ki->in;
    *out = J->pl->out + oout + j0 * J->ki->out;
    return J->ki->n - j0 < J->w ? J->ki->n - j0 : J->w;
}

static void cols_range(void *v, int64_t b, int64_t e) {
    cols_job *J = v;
    size_t cbytes = (size_t)J->w * J->esz;
    char *scratch = malloc((BLOCK_LEVEL + 3) * cbytes);
    if (!scratch) {
        atomic_store(&J->failed, true);
        return;
    }
    char *res = scratch + (BLOCK_LEVEL + 2) * cbytes;
    for (int64_t q = b; q < e; q++) {
        const char *base;
        char *out;
        int64_t cw = cols_item(J, q, &base, &out);
        int64_t g0 = q % J->nblk * BLOCK_GROUPS;
        int64_t g1 = J->nblk == 1 ? J->ngroups : g0 + BLOCK_GROUPS < J->ngroups ? g0 + BLOCK_GROUPS : J->ngroups;
        if (J->nblk == 1) {
            cols_groups(J, base, cw, g0, g1, scratch, res);
            store_acc(J->f->acc, res, J->out_dt, out, cw, J->ki->out);
        } else {
            cols_groups(J, base, cw, g0, g1, scratch, J->part + (size_t)q * cbytes);
        }
    }
    free(scratch);
}

/* Combines the blocks of every chunk and stores them (nblk > 1). */
static em_status cols_finish(cols_job *J) {
    const reduce_fns *f = J->f;
    size_t cbytes = (size_t)J->w * J->esz;
    int nlev = counter_levels(J->nblk) + BLOCK_LEVEL;
    char *buf = malloc((size_t)(nlev + 1) * cbytes);
    if (!buf) return error_status(EM_ERR_MEMORY, "[Reduce] Out of memory for a scratch buffer.");
    bool tail = J->ngroups % BLOCK_GROUPS != 0;
    int64_t nitems = J->nck * J->nblk * dims_count(J->pl->k, J->nko);
    for (int64_t q0 = 0; q0 < nitems; q0 += J->nblk) {
        const char *base;
        char *out;
        int64_t cw = cols_item(J, q0, &base, &out);
        char *pp = J->part + (size_t)q0 * cbytes;
        const void *r = pp;
        if (f->pairwise) {
            /* full blocks enter at level BLOCK_LEVEL; the tail's own fold
             * of its lower levels comes first, as one counter would do */
            counter c;
            counter_init(&c, f->comb, cw, J->esz, buf, nlev);
            int64_t nfull = tail ? J->nblk - 1 : J->nblk;
            for (int64_t k = 0; k < nfull; k++) {
                memcpy(c.t, pp + (size_t)k * cbytes, (size_t)cw * J->esz);
                int l = BLOCK_LEVEL;
                while (c.occ >> l & 1) {
                    c.comb(c.t, c.lv[l], c.w);
                    c.occ &= ~(1ull << l);
                    l++;
                }
                void *fr = c.lv[l];
                c.lv[l] = c.t;
                c.t = fr;
                c.occ |= 1ull << l;
            }
            if (tail) {
                char *rt = pp + (size_t)nfull * cbytes;
                for (int l = 0; l < 64; l++)
                    if (c.occ >> l & 1) f->comb(rt, c.lv[l], cw);
                r = rt;
            } else {
                r = counter_finish(&c);
            }
        } else {
            for (int64_t k = 1; k < J->nblk; k++) f->comb(pp, pp + (size_t)k * cbytes, cw);
        }
        store_acc(f->acc, r, J->out_dt, out, cw, J->ki->out);
    }
    free(buf);
    return EM_OK;
}

static em_status reduce_cols(const rplan *pl, const reduce_fns *f, size_t isz, em_dtype out_dt) {
    cols_job J;
    J.pl = pl;
    J.f = f;
    J.out_dt = out_dt;
    J.ki = &pl->k[pl->nk - 1];
    J.rl = &pl->r[pl->nr - 1];
    J.nko = pl->nk - 1;
    J.nro = pl->nr - 1;
    J.w = J.ki->n < COL_CHUNK ? J.ki->n : COL_CHUNK;
    int64_t ge = GROUP_ELEMS / J.w;
    J.gsz = ge < GROUP_MIN ? GROUP_MIN : ge > GROUP_MAX ? GROUP_MAX : ge;
    J.gpr = (J.rl->n + J.gsz - 1) / J.gsz;
    J.ngroups = dims_count(pl->r, J.nro) * J.gpr;
    J.nck = (J.ki->n + J.w - 1) / J.w;
    J.nblk = (J.ngroups + BLOCK_GROUPS - 1) / BLOCK_GROUPS;
    J.contig = J.ki->in == (int64_t)isz && f->vcol;
    J.esz = em_dtype_size(f->acc);
    J.part = NULL;
    atomic_init(&J.failed, false);
    int64_t nitems = dims_count(pl->k, J.nko) * J.nck * J.nblk;
    if (J.nblk > 1) {
        J.part = malloc((size_t)nitems * (size_t)J.w * J.esz);
        if (!J.part) return error_status(EM_ERR_MEMORY, "[Reduce] Out of memory for a scratch buffer.");
    }
    int64_t per = J.w * (J.nblk > 1 ? BLOCK_GROUPS * J.gsz : dims_count(pl->r, pl->nr));
    cpu_pool_parallel_for(nitems, per >= GRAIN_REDUCE ? 1 : GRAIN_REDUCE / per, cols_range, &J);
    em_status st = atomic_load(&J.failed)
                       ? error_status(EM_ERR_MEMORY, "[Reduce] Out of memory for a scratch buffer.")
                       : J.nblk > 1 ? cols_finish(&J) : EM_OK;
    free(J.part);
    return st;
}

/* Every output gets the identity (a reduction over zero elements). */
static void reduce_empty(const reduce_fns *f, em_array *out) {
    size_t osz = array_itemsize(out);
    unsigned char acc[16];
    f->fill(acc, 1);
    for (int64_t i = 0; i < out->size; i++)
        store_acc(f->acc, acc, out->dtype, array_ptr(out) + (size_t)i * osz, 1, 0);
}

static em_status reduce_kernel(const em_node *n, em_array *in, em_array *out) {
    const em_reduce_params *p = NODE_PARAMS(n, em_reduce_params);
    reduce_fns f;
    if (!reduce_lookup(p->op, in->dtype, out->dtype, &f))
        return error_status(EM_ERR_UNSUPPORTED,
                            "[Reduce] Not supported on the cpu for dtype %s into %s.",
                            em_dtype_name(in->dtype), em_dtype_name(out->dtype));
    if (out->size == 0) return EM_OK;
    if (in->size == 0) {
        reduce_empty(&f, out);
        return EM_OK;
    }
    bool red[EM_MAX_NDIM] = {false};
    for (int i = 0; i < p->naxes; i++) red[p->axes[i]] = true;
    rplan pl;
    plan_init(&pl, in, out, red, true);
    if (pl.nr == 0) pl.r[pl.nr++] = (rdim){1, 0, 0}; /* only size-1 axes reduced */
    if (use_rows(&pl)) return reduce_rows(&pl, &f, array_itemsize(in), out->dtype);
    return reduce_cols(&pl, &f, array_itemsize(in), out->dtype);
}

/* ---------------------------------------------------------------- ARG_REDUCE */

/* bt_<op>_<acc>(v, b): v replaces the best b so far. A NaN wins and stays. */
#define BT_INT(ACC, T)                                                         \
    static inline bool bt_max_##ACC(T v, T b) { return v > b; }                \
    static inline bool bt_min_##ACC(T v, T b) { return v < b; }
#define BT_FLOAT(ACC, T)                                                       \
    static inline bool bt_max_##ACC(T v, T b) { return b == b && (v > b || v != v); } \
    static inline bool bt_min_##ACC(T v, T b) { return b == b && (v < b || v != v); }
BT_INT(b, bool)
BT_INT(u8, uint8_t)
BT_INT(u16, uint16_t)
BT_INT(u32, uint32_t)
BT_INT(u64, uint64_t)
BT_INT(i8, int8_t)
BT_INT(i16, int16_t)
BT_INT(i32, int32_t)
BT_INT(i64, int64_t)
BT_FLOAT(f32, float)
BT_FLOAT(f64, double)
static inline bool bt_max_c64(cpx v, cpx b) { return !cpx_isnan(b) && (cpx_isnan(v) || cpx_gt(v, b)); }
static inline bool bt_min_c64(cpx v, cpx b) { return !cpx_isnan(b) && (cpx_isnan(v) || cpx_gt(b, v)); }

/* Scans a row of n elements s bytes apart: the index of its first best. */
typedef uint32_t (*arg_row_fn)(const char *p, int64_t n, int64_t s);
/* Column step for position r of the axis: for j < n, element j (at byte
 * j*s) against best[j]/idx[j]; r == 0 starts them. */
typedef void (*arg_col_fn)(void *best, uint32_t *idx, const char *p, int64_t n, int64_t s,
                           uint32_t r);

#define DEF_ARG(OP, ACC, IN, TACC, ADT, IDT)                                   \
    static uint32_t arg_##OP##_##IN##_row(const char *p, int64_t n, int64_t s) { \
        TACC b = ld_##ACC##_##IN(p);                                           \
        uint32_t bi = 0;                                                       \
        for (int64_t i = 1; i < n; i++) {                                      \
            TACC v = ld_##ACC##_##IN(p + i * s);                               \
            if (bt_##OP##_##ACC(v, b)) b = v, bi = (uint32_t)i;                \
        }                                                                      \
        return bi;                                                             \
    }                                                                          \
    static void arg_##OP##_##IN##_col(void *bestv, uint32_t *idx, const char *p, int64_t n, \
                                      int64_t s, uint32_t r) {                 \
        TACC *best = bestv;                                                    \
        if (r == 0) {                                                          \
            for (int64_t j = 0; j < n; j++) best[j] = ld_##ACC##_##IN(p + j * s), idx[j] = 0; \
            return;                                                            \
        }                                                                      \
        for (int64_t j = 0; j < n; j++) {                                      \
            TACC v = ld_##ACC##_##IN(p + j * s);                               \
            if (bt_##OP##_##ACC(v, best[j])) best[j] = v, idx[j] = r;          \
        }                                                                      \
    }
ORDER_ENTRIES(DEF_ARG, max)
ORDER_ENTRIES(DEF_ARG, min)

typedef struct { arg_row_fn row; arg_col_fn col; em_dtype acc; } arg_entry;
#define X_ARG(OP, ACC, IN, TACC, ADT, IDT) [IDT] = {arg_##OP##_##IN##_row, arg_##OP##_##IN##_col, ADT},
static const arg_entry arg_entries[2][EM_NUM_DTYPES] = {
    [EM_ARG_MAX] = {ORDER_ENTRIES(X_ARG, max)},
    [EM_ARG_MIN] = {ORDER_ENTRIES(X_ARG, min)},
};
#undef X_ARG

typedef struct {
    const rplan *pl;
    const arg_entry *e;
    int64_t w;               /* column mode: chunk width */
    atomic_bool failed;
} arg_job;

/* Row mode: outputs [b, e), each the scan of one row. */
static void arg_rows_range(void *v, int64_t b, int64_t e) {
    const arg_job *J = v;
    const rplan *pl = J->pl;
    const rdim *ra = &pl->r[0];
    int64_t kidx[EM_MAX_NDIM], oin, oout;
    odo_set(pl->k, pl->nk, b, kidx, &oin, &oout);
    for (int64_t t = b; t < e; t++) {
        uint32_t r = J->e->row(pl->in + oin, ra->n, ra->in);
        memcpy(pl->out + oout, &r, sizeof r);
        odo_next(pl->k, pl->nk, kidx, &oin, &oout);
    }
}

/* Column mode: items [b, e), each a chunk of outputs along the innermost
 * kept dim at one outer position. */
static void arg_cols_range(void *v, int64_t b, int64_t e) {
    arg_job *J = v;
    const rplan *pl = J->pl;
    const rdim *ra = &pl->r[0], *ki = &pl->k[pl->nk - 1];
    int64_t w = J->w, nck = (ki->n + w - 1) / w;
    /* the indices, then the best values from a 16-byte boundary */
    size_t off = ((size_t)w * sizeof(uint32_t) + 15) & ~(size_t)15;
    char *buf = malloc(off + (size_t)w * em_dtype_size(J->e->acc));
    if (!buf) {
        atomic_store(&J->failed, true);
        return;
    }
    uint32_t *idx = (uint32_t *)(void *)buf;
    for (int64_t q = b; q < e; q++) {
        int64_t kidx[EM_MAX_NDIM], oin, oout, j0 = q % nck * w;
        odo_set(pl->k, pl->nk - 1, q / nck, kidx, &oin, &oout);
        int64_t cw = ki->n - j0 < w ? ki->n - j0 : w;
        const char *base = pl->in + oin + j0 * ki->in;
        for (int64_t r = 0; r < ra->n; r++)
            J->e->col(buf + off, idx, base + r * ra->in, cw, ki->in, (uint32_t)r);
        store_acc(EM_UINT32, idx, EM_UINT32, pl->out + oout + j0 * ki->out, cw, ki->out);
    }
    free(buf);
}

static em_status arg_reduce_kernel(const em_node *n, em_array *in, em_array *out) {
    const em_argreduce_params *p = NODE_PARAMS(n, em_argreduce_params);
    if (p->op < 0 || p->op > EM_ARG_MIN || out->dtype != EM_UINT32)
        return cpu_unsupported(n, in->dtype);
    const arg_entry *e = &arg_entries[p->op][in->dtype];
    if (out->size == 0) return EM_OK;
    if (in->size == 0)
        return error_status(EM_ERR_VALUE, "[ArgReduce] Cannot reduce an empty axis.");
    if (in->shape[p->axis] == 1) {
        memset(array_ptr(out), 0, (size_t)out->size * sizeof(uint32_t));
        return EM_OK;
    }
    bool red[EM_MAX_NDIM] = {false};
    red[p->axis] = true;
    rplan pl;
    plan_init(&pl, in, out, red, false);
    const rdim *ra = &pl.r[0];
    arg_job J = {&pl, e, 0, false};
    atomic_init(&J.failed, false);
    int64_t grain = ra->n >= GRAIN_REDUCE ? 1 : GRAIN_REDUCE / ra->n;
    if (pl.nk == 0 || abs64(ra->in) <= abs64(pl.k[pl.nk - 1].in)) {
        cpu_pool_parallel_for(dims_count(pl.k, pl.nk), grain, arg_rows_range, &J);
        return EM_OK;
    }
    const rdim *ki = &pl.k[pl.nk - 1];
    J.w = ki->n < COL_CHUNK ? ki->n : COL_CHUNK;
    int64_t nitems = dims_count(pl.k, pl.nk - 1) * ((ki->n + J.w - 1) / J.w);
    int64_t per = J.w * ra->n;
    cpu_pool_parallel_for(nitems, per >= GRAIN_REDUCE ? 1 : GRAIN_REDUCE / per, arg_cols_range, &J);
    if (atomic_load(&J.failed))
        return error_status(EM_ERR_MEMORY, "[ArgReduce] Out of memory for a scratch buffer.");
    return EM_OK;
}

em_status cpu_reduce_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_REDUCE: return reduce_kernel(n, in[0], out[0]);
    case EM_PRIM_ARG_REDUCE: return arg_reduce_kernel(n, in[0], out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
