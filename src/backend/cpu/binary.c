/* binary.c -- CPU kernels of the binary elementwise primitives.
 *
 * One inner loop per (op, dtype), expanded from scalar.h's functions, with
 * paths for contiguous operands (plain indexed loops the compiler
 * vectorises, built for each instruction set of isa.h, or the hand-written
 * float32 loops of simd.h), one broadcast operand (stride 0: its value read
 * once) and the general strided case. float16/bfloat16 run the float32 loops
 * block by block (elementwise.c). The builders (src/ops/binary.c) have cast
 * both inputs to one dtype and broadcast them to one shape. */
#include <string.h>

#include "elementwise.h"
#include "isa.h"
#include "kernels.h"
#include "scalar.h"
#include "simd.h"

/* The vectorised float32 loop of prim, if the CPU has one: contiguous or
 * broadcast operands directly, strided ones through block buffers. Returns
 * false when there is none. */
static bool simd_binary_f32(em_prim_id prim, char **p, const int64_t *st, int64_t n) {
    cpu_simd_binary_fn f = cpu_simd_binary(prim);
    int64_t so = st[0], sa = st[1], sb = st[2];
    if (!f || (sa == 0 && sb == 0)) return false; /* one value: the scalar path */
    if (so == 4 && (sa == 4 || sa == 0) && (sb == 4 || sb == 0)) {
        int mode = sa == 0 ? CPU_SIMD_SV : sb == 0 ? CPU_SIMD_VS : CPU_SIMD_VV;
        f((const float *)p[1], (const float *)p[2], (float *)p[0], n, mode);
        return true;
    }
    float ba[CPU_BLOCK], bb[CPU_BLOCK], bo[CPU_BLOCK];
    int mode = sa == 0 ? CPU_SIMD_SV : sb == 0 ? CPU_SIMD_VS : CPU_SIMD_VV;
    for (int64_t off = 0; off < n; off += CPU_BLOCK) {
        int64_t k = n - off < CPU_BLOCK ? n - off : CPU_BLOCK;
        const char *a = p[1] + off * sa, *b = p[2] + off * sb;
        for (int64_t i = 0; i < (sa ? k : 1); i++) ba[i] = *(const float *)(a + i * sa);
        for (int64_t i = 0; i < (sb ? k : 1); i++) bb[i] = *(const float *)(b + i * sb);
        f(ba, bb, bo, k, mode);
        char *o = p[0] + off * so;
        for (int64_t i = 0; i < k; i++) *(float *)(o + i * so) = bo[i];
    }
    return true;
}

/* x ** c for a float32 array x and one exponent c that is 1, 2, 3, -1 or
 * 0.5: products, a division or a square root instead of the general loop
 * (x ** 3 as a double cube rounded once). em_power_float32 (and its vector
 * loops) gives exactly these values for these exponents, so which path runs
 * never shows. x ** 0.5 keeps pow's values at -0 and -inf (+0 and +inf; sqrt
 * gives -0 and NaN). False for anything else. */
static bool power_f32_const(char **p, const int64_t *st, int64_t n) {
    if (st[0] != 4 || st[1] != 4 || st[2] != 0) return false;
    float c = *(const float *)p[2], one = 1.0f;
    const float *x = (const float *)p[1];
    float *o = (float *)p[0];
    cpu_simd_binary_fn mul = cpu_simd_binary(EM_PRIM_MULTIPLY), div = cpu_simd_binary(EM_PRIM_DIVIDE);
    cpu_simd_unary_fn sq = cpu_simd_unary(EM_PRIM_SQRT);
    if (c == 1.0f) {
        if (o != x) memmove(o, x, (size_t)n * sizeof *o);
    } else if (c == 2.0f && mul) {
        mul(x, x, o, n, CPU_SIMD_VV);
    } else if (c == 3.0f) { /* in double, as em_power_float32 does for y == 3 */
        for (int64_t i = 0; i < n; i++) o[i] = (float)((double)x[i] * x[i] * x[i]);
    } else if (c == -1.0f && div) {
        div(&one, x, o, n, CPU_SIMD_SV);
    } else if (c == 0.5f && sq) {
        for (int64_t i = 0; i < n; i += CPU_BLOCK) { /* x may be o: fix a block before storing it */
            int64_t k = n - i < CPU_BLOCK ? n - i : CPU_BLOCK;
            float r[CPU_BLOCK];
            sq(x + i, r, k);
            for (int64_t j = 0; j < k; j++)
                if (r[j] == 0.0f || x[i + j] == -INFINITY) r[j] = em_power_float32(x[i + j], 0.5f);
            memcpy(o + i, r, (size_t)k * sizeof *r);
        }
    } else {
        return false;
    }
    return true;
}

/* float32 and float64 floor_divide and remainder: scalar.h's divmod (NumPy's), whose
 * cost is fmodf, an exact but slow library call. Where |a / b| < 2^29 with
 * a, b finite and b != 0, fmod(a, b) is computed in double: the double
 * quotient's truncation is the exact truncated quotient (a non-integer
 * quotient of two floats is at least 2^-24 from an integer, more than the
 * rounding error of a double division below 2^29), and a - q * b is then
 * exact in double (q * b fits 53 bits; the difference is fmod's
 * representable result). The rest of divmod follows scalar.h operation for
 * operation without branches, so the block vectorises; the other lanes
 * (infinities, NaN, zero divisors, huge quotients) take scalar.h's function
 * after. Same values as the scalar loop, bit for bit (a zero fmod has the
 * sign of a in fmodf and + here, which divmod never lets show). */
/* c ? x : y on the bits: GCC turns a select whose arms hold a division or
 * a conversion into a branch around them, which stops vectorisation. */
static inline float sel_f32(bool c, float x, float y) {
    uint32_t m = 0u - (uint32_t)c, ux, uy;
    memcpy(&ux, &x, 4), memcpy(&uy, &y, 4);
    ux = (ux & m) | (uy & ~m);
    memcpy(&x, &ux, 4);
    return x;
}
static inline double sel_f64(bool c, double x, double y) {
    uint64_t m = 0u - (uint64_t)c, ux, uy;
    memcpy(&ux, &x, 8), memcpy(&uy, &y, 8);
    ux = (ux & m) | (uy & ~m);
    memcpy(&x, &ux, 8);
    return x;
}
/* floor(x) for finite x as rint(x), less 1 where that rounded up (floorf
 * does not vectorise under GCC's default -ftrapping-math; rintf does). */
static inline __attribute__((always_inline)) float divmod_f32_fast(float a, float b, bool rem, unsigned char *slow) {
    double qd = (double)a / (double)b;
    bool fast = (fabs(qd) < 0x1p29) & (fabsf(b) < INFINITY);
    *slow = !fast;
    double q = (double)(int32_t)sel_f64(fast, qd, 0.0); /* trunc(qd), exact */
    float m = (float)((double)a - q * (double)b);     /* fmodf(a, b) (its sign at 0 aside) */
    float div = (a - m) / b;
    bool adj = (m != 0) & ((b < 0) != (m < 0));
    float m2 = sel_f32(m == 0, copysignf(0.0f, b), sel_f32(adj, m + b, m));
    div = sel_f32(adj, div - 1, div);
    float r = rintf(div);
    float fd = sel_f32(r > div, r - 1, r);
    fd = sel_f32(div - fd > 0.5f, fd + 1, fd);
    fd = sel_f32(div != 0, fd, copysignf(0.0f, a / b));
    return sel_f32(rem, m2, fd);
}
/* float64: no wider type, so fmod is a - q * b in one fma, exact whenever
 * it is representable, which it is for q the truncated quotient or one off
 * it (|a - q b| < 2 |b|, a multiple of the smaller ulp); the double quotient
 * may be one off near an integer, which the sign and size of the result
 * show and one more exact step corrects. Fast where |a / b| < 2^52 (q is
 * then an exact integer) with a, b finite and b != 0. trunc is rint moved
 * toward zero where it rounded away (trunc does not vectorise under
 * -ftrapping-math). */
static inline __attribute__((always_inline)) double divmod_f64_fast(double a, double b, bool rem, unsigned char *slow) {
    double qd = a / b;
    bool fast = (fabs(qd) < 0x1p52) & (fabs(b) < INFINITY);
    *slow = !fast;
    qd = sel_f64(fast, qd, 0.0);
    double t = rint(qd);
    double q = sel_f64(fabs(t) > fabs(qd), t - copysign(1.0, qd), t);
    double r = fma(-q, b, a), ab = copysign(fabs(b), a);
    r = sel_f64((r != 0) & ((r < 0) != (a < 0)), r + ab, r);
    r = sel_f64(fabs(r) >= fabs(b), r - ab, r);
    double m = r;
    double div = (a - m) / b;
    bool adj = (m != 0) & ((b < 0) != (m < 0));
    double m2 = sel_f64(m == 0, copysign(0.0, b), sel_f64(adj, m + b, m));
    div = sel_f64(adj, div - 1, div);
    double rd = rint(div);
    double fd = sel_f64(rd > div, rd - 1, rd);
    fd = sel_f64(div - fd > 0.5, fd + 1, fd);
    fd = sel_f64(div != 0, fd, copysign(0.0, a / b));
    return sel_f64(rem, m2, fd);
}
#define DIVMOD(T, s, isa)                                                      \
    static CPU_ISA_ATTR_##isa bool divmod_##s##_##isa(bool rem, char **p, const int64_t *st, \
                                                      int64_t n) {             \
        int64_t so = st[0], sa = st[1], sb = st[2];                            \
        if (so != sizeof(T) || (sa != 0 && sa != sizeof(T)) || (sb != 0 && sb != sizeof(T))) \
            return false;                                                      \
        for (int64_t i = 0; i < n; i += CPU_LOOP_BLOCK) {                      \
            int64_t k = n - i < CPU_LOOP_BLOCK ? n - i : CPU_LOOP_BLOCK;       \
            T x[CPU_LOOP_BLOCK], y[CPU_LOOP_BLOCK], r[CPU_LOOP_BLOCK];         \
            unsigned char slow[CPU_LOOP_BLOCK];                                \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) x[j] = y[j] = 1;          \
            for (int64_t j = 0; j < k; j++) {                                  \
                x[j] = *(const T *)(p[1] + (i + j) * sa);                      \
                y[j] = *(const T *)(p[2] + (i + j) * sb);                      \
            }                                                                  \
            unsigned any = 0;                                                  \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) {                         \
                r[j] = divmod_##s##_fast(x[j], y[j], rem, &slow[j]);           \
                any |= slow[j];                                                \
            }                                                                  \
            if (any)                                                           \
                for (int64_t j = 0; j < k; j++)                                \
                    if (slow[j])                                               \
                        r[j] = rem ? em_remainder_##s(x[j], y[j]) : em_floor_divide_##s(x[j], y[j]); \
            memcpy(p[0] + i * (int64_t)sizeof(T), r, (size_t)k * sizeof(T));   \
        }                                                                      \
        return true;                                                           \
    }
#define divmod_float32_fast divmod_f32_fast
#define divmod_float64_fast divmod_f64_fast
DIVMOD(float, float32, base)
DIVMOD(float, float32, avx2)
DIVMOD(float, float32, avx512)
DIVMOD(double, float64, base)
DIVMOD(double, float64, avx2)
DIVMOD(double, float64, avx512)

/* The contiguous loops of one op for one instruction set (isa.h): both
 * operands arrays, or one of them one value (a weak Python scalar, most
 * often). o must not overlap an array operand. Blocks of a constant length
 * vectorise; the rest of the row runs element by element. */
#define CONTIG(op, s, T, Tout, isa)                                            \
    static inline CPU_ISA_ATTR_##isa void bvv_##op##s##_##isa(                 \
        Tout *restrict o, const T *restrict a, const T *restrict b, int64_t n) { \
        int64_t i = 0;                                                         \
        for (; i + CPU_LOOP_BLOCK <= n; i += CPU_LOOP_BLOCK)                   \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) o[i + j] = em_##op##s(a[i + j], b[i + j]); \
        for (; i < n; i++) o[i] = em_##op##s(a[i], b[i]);                      \
    }                                                                          \
    static inline CPU_ISA_ATTR_##isa void bsv_##op##s##_##isa(                 \
        Tout *restrict o, const T va, const T *restrict b, int64_t n) {        \
        int64_t i = 0;                                                         \
        for (; i + CPU_LOOP_BLOCK <= n; i += CPU_LOOP_BLOCK)                   \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) o[i + j] = em_##op##s(va, b[i + j]); \
        for (; i < n; i++) o[i] = em_##op##s(va, b[i]);                        \
    }                                                                          \
    static inline CPU_ISA_ATTR_##isa void bvs_##op##s##_##isa(                 \
        Tout *restrict o, const T *restrict a, const T vb, int64_t n) {        \
        int64_t i = 0;                                                         \
        for (; i + CPU_LOOP_BLOCK <= n; i += CPU_LOOP_BLOCK)                   \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) o[i + j] = em_##op##s(a[i + j], vb); \
        for (; i < n; i++) o[i] = em_##op##s(a[i], vb);                        \
    }

/* Whether the contiguous output (n elements of byte stride so) overlaps an
 * operand (byte stride sa, 0 for one value, which is read before any write):
 * such an operand is read a block at a time through a copy. */
#define OVERLAPS(a, sa) cpu_isa_overlap(o, (size_t)(n * so), a, (size_t)(n * sa))

/* The inner loop of one op for one instruction set. */
#define LOOP_ISA(P, op, E, s, T, Tout, isa)                                    \
    CONTIG(op, s, T, Tout, isa)                                                \
    static CPU_ISA_ATTR_##isa void b_##op##s##_##isa(char **p, const int64_t *st, int64_t n, \
                                                     const void *ctx) {        \
        (void)ctx;                                                             \
        if (E == EM_FLOAT32 && EM_PRIM_##P == EM_PRIM_POWER && power_f32_const(p, st, n)) return; \
        if (E == EM_FLOAT32 && simd_binary_f32(EM_PRIM_##P, p, st, n)) return; \
        if ((EM_PRIM_##P == EM_PRIM_REMAINDER || EM_PRIM_##P == EM_PRIM_FLOOR_DIVIDE) && \
            ((E == EM_FLOAT32 && divmod_float32_##isa(EM_PRIM_##P == EM_PRIM_REMAINDER, p, st, n)) || \
             (E == EM_FLOAT64 && divmod_float64_##isa(EM_PRIM_##P == EM_PRIM_REMAINDER, p, st, n)))) \
            return;                                                            \
        char *o = p[0];                                                        \
        const char *a = p[1], *b = p[2];                                       \
        int64_t so = st[0], sa = st[1], sb = st[2];                            \
        bool contig = so == sizeof(Tout) && (sa == 0 || sa == sizeof(T)) && (sb == 0 || sb == sizeof(T)); \
        if (contig && sa == 0 && sb == 0) {                                    \
            Tout v = em_##op##s(*(const T *)a, *(const T *)b);                 \
            for (int64_t i = 0; i < n; i++) ((Tout *)o)[i] = v;                \
        } else if (contig && !OVERLAPS(a, sa) && !OVERLAPS(b, sb)) {     \
            if (sa == 0)                                                       \
                bsv_##op##s##_##isa((Tout *)o, *(const T *)a, (const T *)b, n); \
            else if (sb == 0)                                                  \
                bvs_##op##s##_##isa((Tout *)o, (const T *)a, *(const T *)b, n); \
            else                                                               \
                bvv_##op##s##_##isa((Tout *)o, (const T *)a, (const T *)b, n); \
        } else if (contig) {                                                   \
            for (int64_t i = 0; i < n; i += CPU_LOOP_BLOCK) {                  \
                int64_t k = n - i < CPU_LOOP_BLOCK ? n - i : CPU_LOOP_BLOCK;   \
                T x[CPU_LOOP_BLOCK], y[CPU_LOOP_BLOCK];                        \
                if (sa) memcpy(x, a + i * sa, (size_t)k * sizeof(T));          \
                if (sb) memcpy(y, b + i * sb, (size_t)k * sizeof(T));          \
                Tout *oi = (Tout *)o + i;                                      \
                if (sa == 0)                                                   \
                    bsv_##op##s##_##isa(oi, *(const T *)a, y, k);              \
                else if (sb == 0)                                              \
                    bvs_##op##s##_##isa(oi, x, *(const T *)b, k);              \
                else                                                           \
                    bvv_##op##s##_##isa(oi, x, y, k);                          \
            }                                                                  \
        } else {                                                               \
            for (int64_t i = 0; i < n; i++)                                    \
                *(Tout *)(o + i * so) = em_##op##s(*(const T *)(a + i * sa),   \
                                                   *(const T *)(b + i * sb));  \
        }                                                                      \
    }
#define LOOP(P, op, E, s, T, Tout)                                             \
    LOOP_ISA(P, op, E, s, T, Tout, base)                                       \
    LOOP_ISA(P, op, E, s, T, Tout, avx2)                                       \
    LOOP_ISA(P, op, E, s, T, Tout, avx512)

/* Which ops each dtype family has: X(PRIM, op, E, s, T, Tout). The suffix
 * s carries its leading underscore (_int8), pasted on at the first level: a
 * bare `bool` would be expanded to _Bool on the way down. */
#define COMPARISONS(X, E, s, t)                                                \
    X(EQUAL, equal, E, s, t, bool)                                             \
    X(NOT_EQUAL, not_equal, E, s, t, bool)                                     \
    X(LESS, less, E, s, t, bool)                                               \
    X(LESS_EQUAL, less_equal, E, s, t, bool)                                   \
    X(GREATER, greater, E, s, t, bool)                                         \
    X(GREATER_EQUAL, greater_equal, E, s, t, bool)
#define ARITHMETIC(X, E, s, t)                                                 \
    X(ADD, add, E, s, t, t)                                                    \
    X(SUBTRACT, subtract, E, s, t, t)                                          \
    X(MULTIPLY, multiply, E, s, t, t)                                          \
    X(FLOOR_DIVIDE, floor_divide, E, s, t, t)                                  \
    X(POWER, power, E, s, t, t)                                                \
    X(MAXIMUM, maximum, E, s, t, t)                                            \
    X(MINIMUM, minimum, E, s, t, t)                                            \
    COMPARISONS(X, E, s, t)
#define BITWISE(X, E, s, t)                                                    \
    X(BITWISE_AND, bitwise_and, E, s, t, t)                                    \
    X(BITWISE_OR, bitwise_or, E, s, t, t)                                      \
    X(BITWISE_XOR, bitwise_xor, E, s, t, t)
#define OPS_BOOL(X, E, s, t)                                                   \
    ARITHMETIC(X, E, s, t)                                                     \
    BITWISE(X, E, s, t)                                                        \
    X(REMAINDER, remainder, E, s, t, t)                                        \
    X(LOGICAL_AND, logical_and, E, s, t, t)                                    \
    X(LOGICAL_OR, logical_or, E, s, t, t)
#define OPS_INT(X, E, s, t)                                                    \
    ARITHMETIC(X, E, s, t)                                                     \
    BITWISE(X, E, s, t)                                                        \
    X(REMAINDER, remainder, E, s, t, t)                                        \
    X(LEFT_SHIFT, left_shift, E, s, t, t)                                      \
    X(RIGHT_SHIFT, right_shift, E, s, t, t)
#define OPS_COMPLEX(X, E, s, t)                                                \
    ARITHMETIC(X, E, s, t)                                                     \
    X(DIVIDE, divide, E, s, t, t)                                              \
    X(LOGADDEXP, logaddexp, E, s, t, t)
#define OPS_FLOAT(X, E, s, t)                                                  \
    OPS_COMPLEX(X, E, s, t)                                                    \
    X(REMAINDER, remainder, E, s, t, t)                                        \
    X(ARCTAN2, arctan2, E, s, t, t)

/* The loops. */
#define GEN_INT(E, s, t) OPS_INT(LOOP, E, _##s, t)
#define GEN_FLOAT(E, s, t) OPS_FLOAT(LOOP, E, _##s, t)
OPS_BOOL(LOOP, EM_BOOL, _bool, bool)
EM_DTYPES_INT(GEN_INT)
EM_DTYPES_NATIVE_FLOAT(GEN_FLOAT)
OPS_COMPLEX(LOOP, EM_COMPLEX64, _complex64, em_c64)
#undef GEN_INT
#undef GEN_FLOAT

/* The table, from the same lists. */
#define ENTRY(P, op, E, s, T, Tout)                                            \
    [CPU_ISA_base][EM_PRIM_##P][E] = b_##op##s##_base,                         \
    [CPU_ISA_avx2][EM_PRIM_##P][E] = b_##op##s##_avx2,                         \
    [CPU_ISA_avx512][EM_PRIM_##P][E] = b_##op##s##_avx512,
#define TAB_INT(E, s, t) OPS_INT(ENTRY, E, _##s, t)
#define TAB_FLOAT(E, s, t) OPS_FLOAT(ENTRY, E, _##s, t)
static const cpu_inner_fn loops[CPU_NUM_ISAS][EM_PRIM_COUNT][EM_NUM_DTYPES] = {
    OPS_BOOL(ENTRY, EM_BOOL, _bool, bool)
    EM_DTYPES_INT(TAB_INT)
    EM_DTYPES_NATIVE_FLOAT(TAB_FLOAT)
    OPS_COMPLEX(ENTRY, EM_COMPLEX64, _complex64, em_c64)
};
#undef ENTRY

/* The dtype each loop writes, to check the node against (a builder bug must
 * give an error, not a write of the wrong width). */
#define OUT_DTYPE(P, op, E, s, T, Tout) [EM_PRIM_##P][E] = 1 + CPU_DTYPE_OF(Tout),
#define OUT_INT(E, s, t) OPS_INT(OUT_DTYPE, E, _##s, t)
#define OUT_FLOAT(E, s, t) OPS_FLOAT(OUT_DTYPE, E, _##s, t)
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

cpu_inner_fn cpu_binary_loop(em_prim_id prim, em_dtype dt, em_dtype *out) {
    cpu_inner_fn fn = loops[cpu_isa_active()][prim][dt];
    if (dt == EM_FLOAT16 || dt == EM_BFLOAT16 || !fn) return NULL;
    *out = (em_dtype)(out_dtype[prim][dt] - 1);
    return fn;
}

em_status cpu_binary_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    em_dtype dt = in[0]->dtype;
    bool half = dt == EM_FLOAT16 || dt == EM_BFLOAT16;
    em_dtype cdt = half ? EM_FLOAT32 : dt;
    cpu_inner_fn fn = loops[cpu_isa_active()][n->prim][cdt];
    if (!fn) return cpu_unsupported(n, dt);
    em_dtype want = (em_dtype)(out_dtype[n->prim][cdt] - 1);
    if (half && want == EM_FLOAT32) want = dt;
    if (in[1]->dtype != dt || out[0]->dtype != want)
        return cpu_elementwise_mismatch(n, in[1]->dtype != dt ? in[1]->dtype : dt, out[0]->dtype);
    em_array *ops[3] = {out[0], in[0], in[1]};
    if (half) {
        cpu_half_ctx h = {fn, NULL, dt, out[0]->dtype, 2};
        cpu_elementwise_run(3, ops, cpu_elementwise_half_loop, &h);
    } else {
        cpu_elementwise_run(3, ops, fn, NULL);
    }
    return EM_OK;
}
