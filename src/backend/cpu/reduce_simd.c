/* reduce_simd.c -- the vectorised contiguous loops of the reductions: sums,
 * max/min, the pairwise counter's merges and all/any of bools, written once
 * with GCC/Clang vector extensions and compiled per SIMD level (portable
 * 16-byte vectors, AVX2, AVX-512) through function target attributes; the
 * level is picked at run time (cpu_reduce_set_simd). The tails use the
 * scalar loaders and steps of reduce_loops.h, so every path agrees. */
#include <stdatomic.h>
#include <stdint.h>

#include "reduce_loops.h"

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
    static const cpu_reduce_simd_table simd_##SUF = {                                     \
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

const cpu_reduce_simd_table *cpu_reduce_simd_current(void) {
    int l = atomic_load(&simd_level);
    if (l < 0) l = cpu_reduce_set_simd(-1);
#ifdef REDUCE_X86
    if (l == CPU_SIMD_AVX512) return &simd_AVX512;
    if (l == CPU_SIMD_AVX2) return &simd_AVX2;
#endif
    return &simd_PORTABLE;
}
