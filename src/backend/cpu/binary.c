/* binary.c -- CPU kernels of the binary elementwise primitives.
 *
 * One inner loop per (op, dtype), expanded from scalar.h's functions, with
 * paths for contiguous operands (plain indexed loops, or the vectorised
 * float32 loops of simd.h), one broadcast operand (stride 0: its value read
 * once) and the general strided case. float16/bfloat16 run the float32 loops
 * block by block (elementwise.c). The builders (src/ops/binary.c) have cast
 * both inputs to one dtype and broadcast them to one shape. */
#include <string.h>

#include "elementwise.h"
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

#define LOOP(P, op, E, s, T, Tout)                                             \
    static void b_##op##s(char **p, const int64_t *st, int64_t n, const void *ctx) { \
        (void)ctx;                                                             \
        if (E == EM_FLOAT32 && EM_PRIM_##P == EM_PRIM_POWER && power_f32_const(p, st, n)) return; \
        if (E == EM_FLOAT32 && simd_binary_f32(EM_PRIM_##P, p, st, n)) return; \
        char *o = p[0];                                                        \
        const char *a = p[1], *b = p[2];                                       \
        int64_t so = st[0], sa = st[1], sb = st[2];                            \
        if (so == sizeof(Tout) && sa == sizeof(T) && sb == sizeof(T)) {        \
            int64_t i = 0;                                                     \
            for (; i + CPU_VBLOCK <= n; i += CPU_VBLOCK) {                     \
                T x[CPU_VBLOCK], y[CPU_VBLOCK];                                \
                Tout r[CPU_VBLOCK];                                            \
                memcpy(x, a + i * sizeof(T), sizeof x);                        \
                memcpy(y, b + i * sizeof(T), sizeof y);                        \
                for (int j = 0; j < CPU_VBLOCK; j++) r[j] = em_##op##s(x[j], y[j]); \
                memcpy(o + i * sizeof(Tout), r, sizeof r);                     \
            }                                                                  \
            for (; i < n; i++)                                                 \
                ((Tout *)o)[i] = em_##op##s(((const T *)a)[i], ((const T *)b)[i]); \
        } else if (so == sizeof(Tout) && sa == 0 && sb == sizeof(T)) {         \
            /* a scalar (a weak Python scalar, most often) and an array: the \
             * value is read once, the loop vectorises as the contiguous one */ \
            const T va = *(const T *)a;                                        \
            int64_t i = 0;                                                     \
            for (; i + CPU_VBLOCK <= n; i += CPU_VBLOCK) {                     \
                T y[CPU_VBLOCK];                                               \
                Tout r[CPU_VBLOCK];                                            \
                memcpy(y, b + i * sizeof(T), sizeof y);                        \
                for (int j = 0; j < CPU_VBLOCK; j++) r[j] = em_##op##s(va, y[j]); \
                memcpy(o + i * sizeof(Tout), r, sizeof r);                     \
            }                                                                  \
            for (; i < n; i++) ((Tout *)o)[i] = em_##op##s(va, ((const T *)b)[i]); \
        } else if (so == sizeof(Tout) && sa == sizeof(T) && sb == 0) {         \
            const T vb = *(const T *)b;                                        \
            int64_t i = 0;                                                     \
            for (; i + CPU_VBLOCK <= n; i += CPU_VBLOCK) {                     \
                T x[CPU_VBLOCK];                                               \
                Tout r[CPU_VBLOCK];                                            \
                memcpy(x, a + i * sizeof(T), sizeof x);                        \
                for (int j = 0; j < CPU_VBLOCK; j++) r[j] = em_##op##s(x[j], vb); \
                memcpy(o + i * sizeof(Tout), r, sizeof r);                     \
            }                                                                  \
            for (; i < n; i++) ((Tout *)o)[i] = em_##op##s(((const T *)a)[i], vb); \
        } else if (so == sizeof(Tout) && sa == 0 && sb == 0) {                 \
            Tout v = em_##op##s(*(const T *)a, *(const T *)b);                 \
            for (int64_t i = 0; i < n; i++) ((Tout *)o)[i] = v;                \
        } else {                                                               \
            for (int64_t i = 0; i < n; i++)                                    \
                *(Tout *)(o + i * so) = em_##op##s(*(const T *)(a + i * sa), \
                                                      *(const T *)(b + i * sb)); \
        }                                                                      \
    }

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
#define ENTRY(P, op, E, s, T, Tout) [EM_PRIM_##P][E] = b_##op##s,
#define TAB_INT(E, s, t) OPS_INT(ENTRY, E, _##s, t)
#define TAB_FLOAT(E, s, t) OPS_FLOAT(ENTRY, E, _##s, t)
static const cpu_inner_fn loops[EM_PRIM_COUNT][EM_NUM_DTYPES] = {
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
    if (dt == EM_FLOAT16 || dt == EM_BFLOAT16 || !loops[prim][dt]) return NULL;
    *out = (em_dtype)(out_dtype[prim][dt] - 1);
    return loops[prim][dt];
}

em_status cpu_binary_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    em_dtype dt = in[0]->dtype;
    bool half = dt == EM_FLOAT16 || dt == EM_BFLOAT16;
    em_dtype cdt = half ? EM_FLOAT32 : dt;
    cpu_inner_fn fn = loops[n->prim][cdt];
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
