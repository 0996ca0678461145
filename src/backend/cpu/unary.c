/* unary.c -- CPU kernels of the unary elementwise primitives.
 *
 * One inner loop per (op, dtype), expanded from scalar.h's functions: each
 * has a contiguous path (a plain indexed loop the compiler vectorises, built
 * for each instruction set of isa.h, or the hand-written float32 loop of
 * simd.h), a broadcast-input path (computes once, fills) and a
 * strided path. float16/bfloat16 run the float32 loops block by block
 * (elementwise.c). The builders (src/ops/unary.c) have already cast the input
 * to the dtype the op computes in. */
#include <string.h>

#include "elementwise.h"
#include "isa.h"
#include "kernels.h"
#include "pool.h"
#include "scalar.h"
#include "simd.h"

/* The vectorised float32 loop of prim, if the CPU has one: contiguous
 * operands directly, strided ones through a block buffer. Returns false when
 * there is none, or the input is a broadcast (the scalar path then computes
 * the one value). */
static bool simd_unary_f32(em_prim_id prim, char **p, const int64_t *st, int64_t n) {
    cpu_simd_unary_fn f = cpu_simd_unary(prim);
    if (!f || st[1] == 0) return false;
    if (st[0] == 4 && st[1] == 4) {
        f((const float *)p[1], (float *)p[0], n);
        return true;
    }
    float buf[CPU_BLOCK];
    for (int64_t off = 0; off < n; off += CPU_BLOCK) {
        int64_t k = n - off < CPU_BLOCK ? n - off : CPU_BLOCK;
        const char *a = p[1] + off * st[1];
        for (int64_t i = 0; i < k; i++) buf[i] = *(const float *)(a + i * st[1]);
        if (st[0] == 4) {
            f(buf, (float *)p[0] + off, k);
        } else {
            f(buf, buf, k);
            char *o = p[0] + off * st[0];
            for (int64_t i = 0; i < k; i++) *(float *)(o + i * st[0]) = buf[i];
        }
    }
    return true;
}

#define CALL(op, s, x) em_##op##s(x)
#define CALL_PARAMS(op, s, x) em_##op##s(x, (const em_nan_to_num_params *)ctx)

/* The contiguous loop of one op for one instruction set (isa.h): o must
 * not overlap a. Blocks of a constant length vectorise; the rest of the row
 * runs element by element. */
#define CONTIG(op, s, Tin, Tout, CALLER, isa)                                  \
    static inline CPU_ISA_ATTR_##isa void uc_##op##s##_##isa(                  \
        Tout *restrict o, const Tin *restrict a, int64_t n, const void *ctx) { \
        (void)ctx;                                                             \
        int64_t i = 0;                                                         \
        for (; i + CPU_LOOP_BLOCK <= n; i += CPU_LOOP_BLOCK)                   \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) o[i + j] = CALLER(op, s, a[i + j]); \
        for (; i < n; i++) o[i] = CALLER(op, s, a[i]);                         \
    }

/* The inner loop of one op for one instruction set. An output overlapping
 * its input (in place) takes the input a block at a time through a copy. */
#define LOOP_ISA(P, op, E, s, Tin, Tout, CALLER, isa)                          \
    CONTIG(op, s, Tin, Tout, CALLER, isa)                                      \
    static CPU_ISA_ATTR_##isa void u_##op##s##_##isa(char **p, const int64_t *st, int64_t n, \
                                                     const void *ctx) {        \
        (void)ctx;                                                             \
        if (E == EM_FLOAT32 && simd_unary_f32(EM_PRIM_##P, p, st, n)) return;  \
        char *o = p[0];                                                        \
        const char *a = p[1];                                                  \
        if (st[0] == sizeof(Tout) && st[1] == sizeof(Tin)) {                   \
            if (!cpu_isa_overlap(o, (size_t)n * sizeof(Tout), a, (size_t)n * sizeof(Tin))) { \
                uc_##op##s##_##isa((Tout *)o, (const Tin *)a, n, ctx);         \
                return;                                                        \
            }                                                                  \
            for (int64_t i = 0; i < n; i += CPU_LOOP_BLOCK) {                  \
                int64_t k = n - i < CPU_LOOP_BLOCK ? n - i : CPU_LOOP_BLOCK;   \
                Tin x[CPU_LOOP_BLOCK];                                         \
                memcpy(x, a + i * (int64_t)sizeof(Tin), (size_t)k * sizeof(Tin)); \
                uc_##op##s##_##isa((Tout *)o + i, x, k, ctx);                  \
            }                                                                  \
        } else if (st[1] == 0) {                                               \
            Tout v = CALLER(op, s, *(const Tin *)a);                           \
            if (st[0] == sizeof(Tout)) {                                       \
                Tout *oo = (Tout *)o;                                          \
                for (int64_t i = 0; i < n; i++) oo[i] = v;                     \
            } else {                                                           \
                for (int64_t i = 0; i < n; i++) *(Tout *)(o + i * st[0]) = v;  \
            }                                                                  \
        } else {                                                               \
            for (int64_t i = 0; i < n; i++)                                    \
                *(Tout *)(o + i * st[0]) = CALLER(op, s, *(const Tin *)(a + i * st[1])); \
        }                                                                      \
    }
#define LOOP_WITH(P, op, E, s, Tin, Tout, CALLER)                              \
    LOOP_ISA(P, op, E, s, Tin, Tout, CALLER, base)                             \
    LOOP_ISA(P, op, E, s, Tin, Tout, CALLER, avx2)                             \
    LOOP_ISA(P, op, E, s, Tin, Tout, CALLER, avx512)
#define LOOP(P, op, E, s, Tin, Tout) LOOP_WITH(P, op, E, s, Tin, Tout, CALL)

/* Which ops each dtype family has: X(PRIM, op, E, s, Tin, Tout). The
 * suffix s carries its leading underscore (_int8), pasted on at the first
 * level: a bare `bool` would be expanded to _Bool on the way down. */
#define PREDICATES(X, E, s, t)                                                 \
    X(ISNAN, isnan, E, s, t, bool)                                             \
    X(ISINF, isinf, E, s, t, bool)                                             \
    X(ISFINITE, isfinite, E, s, t, bool)                                       \
    X(ISPOSINF, isposinf, E, s, t, bool)                                       \
    X(ISNEGINF, isneginf, E, s, t, bool)                                       \
    X(LOGICAL_NOT, logical_not, E, s, t, bool)
#define SAME_REAL(X, E, s, t)                                                  \
    X(ABS, abs, E, s, t, t)                                                    \
    X(SIGN, sign, E, s, t, t)                                                  \
    X(SQUARE, square, E, s, t, t)                                              \
    X(FLOOR, floor, E, s, t, t)                                                \
    X(CEIL, ceil, E, s, t, t)                                                  \
    X(ROUND, round, E, s, t, t)                                                \
    X(CONJUGATE, conjugate, E, s, t, t)                                        \
    X(REAL, real, E, s, t, t)                                                  \
    X(IMAG, imag, E, s, t, t)
#define OPS_BOOL(X, E, s, t)                                                   \
    SAME_REAL(X, E, s, t)                                                      \
    PREDICATES(X, E, s, t)                                                     \
    X(BITWISE_INVERT, bitwise_invert, E, s, t, t)
#define OPS_INT(X, E, s, t)                                                    \
    OPS_BOOL(X, E, s, t)                                                       \
    X(NEGATIVE, negative, E, s, t, t)
/* Float functions that complex64 has too. */
#define FLOAT_AND_COMPLEX(X, E, s, t)                                          \
    X(NEGATIVE, negative, E, s, t, t)                                          \
    X(SIGN, sign, E, s, t, t)                                                  \
    X(EXP, exp, E, s, t, t)                                                    \
    X(LOG, log, E, s, t, t)                                                    \
    X(LOG1P, log1p, E, s, t, t)                                                \
    X(LOG2, log2, E, s, t, t)                                                  \
    X(LOG10, log10, E, s, t, t)                                                \
    X(SQRT, sqrt, E, s, t, t)                                                  \
    X(RSQRT, rsqrt, E, s, t, t)                                                \
    X(SQUARE, square, E, s, t, t)                                              \
    X(RECIPROCAL, reciprocal, E, s, t, t)                                      \
    X(SIN, sin, E, s, t, t)                                                    \
    X(COS, cos, E, s, t, t)                                                    \
    X(TAN, tan, E, s, t, t)                                                    \
    X(ARCSIN, arcsin, E, s, t, t)                                              \
    X(ARCCOS, arccos, E, s, t, t)                                              \
    X(ARCTAN, arctan, E, s, t, t)                                              \
    X(SINH, sinh, E, s, t, t)                                                  \
    X(COSH, cosh, E, s, t, t)                                                  \
    X(TANH, tanh, E, s, t, t)                                                  \
    X(ARCSINH, arcsinh, E, s, t, t)                                            \
    X(ARCCOSH, arccosh, E, s, t, t)                                            \
    X(ARCTANH, arctanh, E, s, t, t)                                            \
    X(ROUND, round, E, s, t, t)                                                \
    X(CONJUGATE, conjugate, E, s, t, t)                                        \
    PREDICATES(X, E, s, t)
#define OPS_FLOAT(X, E, s, t)                                                  \
    FLOAT_AND_COMPLEX(X, E, s, t)                                              \
    X(ABS, abs, E, s, t, t)                                                    \
    X(REAL, real, E, s, t, t)                                                  \
    X(IMAG, imag, E, s, t, t)                                                  \
    X(EXPM1, expm1, E, s, t, t)                                                \
    X(ERF, erf, E, s, t, t)                                                    \
    X(ERFINV, erfinv, E, s, t, t)                                              \
    X(SIGMOID, sigmoid, E, s, t, t)                                            \
    X(FLOOR, floor, E, s, t, t)                                                \
    X(CEIL, ceil, E, s, t, t)
#define OPS_COMPLEX(X, E, s, t)                                                \
    FLOAT_AND_COMPLEX(X, E, s, t)                                              \
    X(ABS, abs, E, s, t, float)                                                \
    X(REAL, real, E, s, t, float)                                              \
    X(IMAG, imag, E, s, t, float)

/* The loops. */
#define GEN_INT(E, s, t) OPS_INT(LOOP, E, _##s, t)
#define GEN_FLOAT(E, s, t)                                                     \
    OPS_FLOAT(LOOP, E, _##s, t)                                                \
    LOOP_WITH(NAN_TO_NUM, nan_to_num, E, _##s, t, t, CALL_PARAMS)
OPS_BOOL(LOOP, EM_BOOL, _bool, bool)
EM_DTYPES_INT(GEN_INT)
EM_DTYPES_NATIVE_FLOAT(GEN_FLOAT)
OPS_COMPLEX(LOOP, EM_COMPLEX64, _complex64, em_c64)
#undef GEN_INT
#undef GEN_FLOAT

/* The table, from the same lists. */
#define ENTRY(P, op, E, s, Tin, Tout)                                          \
    [CPU_ISA_base][EM_PRIM_##P][E] = u_##op##s##_base,                         \
    [CPU_ISA_avx2][EM_PRIM_##P][E] = u_##op##s##_avx2,                         \
    [CPU_ISA_avx512][EM_PRIM_##P][E] = u_##op##s##_avx512,
#define TAB_INT(E, s, t) OPS_INT(ENTRY, E, _##s, t)
#define TAB_FLOAT(E, s, t) OPS_FLOAT(ENTRY, E, _##s, t) ENTRY(NAN_TO_NUM, nan_to_num, E, _##s, t, t)
static const cpu_inner_fn loops[CPU_NUM_ISAS][EM_PRIM_COUNT][EM_NUM_DTYPES] = {
    OPS_BOOL(ENTRY, EM_BOOL, _bool, bool)
    EM_DTYPES_INT(TAB_INT)
    EM_DTYPES_NATIVE_FLOAT(TAB_FLOAT)
    OPS_COMPLEX(ENTRY, EM_COMPLEX64, _complex64, em_c64)
};
#undef ENTRY

/* The dtype each loop writes, to check the node against (a builder bug must
 * give an error, not a write of the wrong width). */
#define OUT_DTYPE(P, op, E, s, Tin, Tout) [EM_PRIM_##P][E] = 1 + CPU_DTYPE_OF(Tout),
#define OUT_INT(E, s, t) OPS_INT(OUT_DTYPE, E, _##s, t)
#define OUT_FLOAT(E, s, t) OPS_FLOAT(OUT_DTYPE, E, _##s, t) OUT_DTYPE(NAN_TO_NUM, nan_to_num, E, _##s, t, t)
static const signed char out_dtype[EM_PRIM_COUNT][EM_NUM_DTYPES] = {
    OPS_BOOL(OUT_DTYPE, EM_BOOL, _bool, bool)
    EM_DTYPES_INT(OUT_INT)
    EM_DTYPES_NATIVE_FLOAT(OUT_FLOAT)
    OPS_COMPLEX(OUT_DTYPE, EM_COMPLEX64, _complex64, em_c64)
};
#undef TAB_INT
#undef TAB_FLOAT
#undef OUT_INT
#undef OUT_FLOAT
#undef OUT_DTYPE

/* logical_not/bitwise_invert of bool: bytes 0/1 flipped with xor. The
 * generic loop over `bool` stays byte by byte (gcc -O2 does not vectorise
 * it); eight bytes per word it is 5x faster. */
static void u_not_bool_bytes(char **p, const int64_t *st, int64_t n, const void *ctx) {
    (void)ctx;
    uint8_t *o = (uint8_t *)p[0];
    const uint8_t *a = (const uint8_t *)p[1];
    if (st[0] == 1 && st[1] == 1) {
        int64_t i = 0;
        for (; i + 32 <= n; i += 32) { /* 32 bytes as 4 words (in and out may be one) */
            uint64_t w[4];
            memcpy(w, a + i, sizeof w);
            for (int j = 0; j < 4; j++) w[j] ^= 0x0101010101010101u;
            memcpy(o + i, w, sizeof w);
        }
        for (; i < n; i++) o[i] = a[i] ^ 1u;
    } else {
        for (int64_t i = 0; i < n; i++) o[i * st[0]] = a[i * st[1]] ^ 1u;
    }
}

/* The functions that cost more per element than they move (a polynomial, a
 * division or a square root each): their contiguous loops are split over the
 * pool from 2 * CPU_GRAIN_ELEMS / 4 elements on; at 8 Ki elements an exp
 * takes about a microsecond, several times what handing half of it to a
 * spinning helper costs. */
static const bool costly[EM_PRIM_COUNT] = {
    [EM_PRIM_EXP] = true,    [EM_PRIM_EXPM1] = true,   [EM_PRIM_LOG] = true,
    [EM_PRIM_LOG1P] = true,  [EM_PRIM_LOG2] = true,    [EM_PRIM_LOG10] = true,
    [EM_PRIM_SQRT] = true,   [EM_PRIM_RSQRT] = true,   [EM_PRIM_RECIPROCAL] = true,
    [EM_PRIM_SIN] = true,    [EM_PRIM_COS] = true,     [EM_PRIM_TAN] = true,
    [EM_PRIM_ARCSIN] = true, [EM_PRIM_ARCCOS] = true,  [EM_PRIM_ARCTAN] = true,
    [EM_PRIM_SINH] = true,   [EM_PRIM_COSH] = true,    [EM_PRIM_TANH] = true,
    [EM_PRIM_ARCSINH] = true, [EM_PRIM_ARCCOSH] = true, [EM_PRIM_ARCTANH] = true,
    [EM_PRIM_ERF] = true,    [EM_PRIM_ERFINV] = true,  [EM_PRIM_SIGMOID] = true,
};

cpu_inner_fn cpu_unary_loop(em_prim_id prim, em_dtype dt, em_dtype *out) {
    cpu_inner_fn fn = loops[cpu_isa_active()][prim][dt];
    if (dt == EM_FLOAT16 || dt == EM_BFLOAT16 || !fn) return NULL;
    *out = (em_dtype)(out_dtype[prim][dt] - 1);
    if (dt == EM_BOOL && (prim == EM_PRIM_LOGICAL_NOT || prim == EM_PRIM_BITWISE_INVERT))
        return u_not_bool_bytes;
    return fn;
}

em_status cpu_unary_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    em_dtype dt = in[0]->dtype;
    bool half = dt == EM_FLOAT16 || dt == EM_BFLOAT16;
    em_dtype cdt = half ? EM_FLOAT32 : dt;
    cpu_inner_fn fn = loops[cpu_isa_active()][n->prim][cdt];
    if (dt == EM_BOOL && (n->prim == EM_PRIM_LOGICAL_NOT || n->prim == EM_PRIM_BITWISE_INVERT))
        fn = u_not_bool_bytes;
    if (!fn) return cpu_unsupported(n, dt);
    em_dtype want = (em_dtype)(out_dtype[n->prim][cdt] - 1);
    if (half && want == EM_FLOAT32) want = dt;
    if (out[0]->dtype != want) return cpu_elementwise_mismatch(n, dt, out[0]->dtype);
    em_array *ops[2] = {out[0], in[0]};
    int64_t grain = costly[n->prim] ? CPU_GRAIN_ELEMS / 2 : CPU_GRAIN_ELEMS;
    if (half) {
        cpu_half_ctx h = {fn, n->params, dt, out[0]->dtype, 1};
        cpu_elementwise_run_grain(2, ops, cpu_elementwise_half_loop, &h, grain);
    } else {
        cpu_elementwise_run_grain(2, ops, fn, n->params, grain);
    }
    return EM_OK;
}
