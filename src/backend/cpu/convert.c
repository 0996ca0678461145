/* convert.c -- CPU kernels of copy and astype (every pair of the 14 dtypes).
 *
 * A cast goes block by block through a small buffer: the source is widened
 * to one of five value classes (scalar.h: uint64, int64, float, double,
 * complex), then converted to the destination. That gives every pair from
 * loops generated per source dtype and per (class, destination), each a
 * plain loop the compiler can vectorise, with one definition of each
 * conversion rule (scalar.h's em_<dst>_from_<class>). */
#include <string.h>

#include "elementwise.h"
#include "isa.h"
#include "kernels.h"
#include "scalar.h"
#include "simd.h"

enum { CLS_U64, CLS_I64, CLS_F32, CLS_F64, CLS_C64, CLS_COUNT };

typedef union {
    uint64_t u64[CPU_BLOCK];
    int64_t i64[CPU_BLOCK];
    float f32[CPU_BLOCK];
    double f64[CPU_BLOCK];
    em_c64 c64[CPU_BLOCK];
} wide_block;

typedef void (*widen_fn)(const char *src, int64_t st, wide_block *dst, int64_t k);
typedef void (*narrow_fn)(const wide_block *src, char *dst, int64_t st, int64_t k);

/* The class of each dtype's widened value. */
#define CLASS_OF(E, s, t)                                                      \
    [E] = _Generic((em_wide_##s){0}, uint64_t: CLS_U64, int64_t: CLS_I64,      \
                   float: CLS_F32, double: CLS_F64, em_c64: CLS_C64),
static const int class_of[EM_NUM_DTYPES] = {EM_DTYPES(CLASS_OF)};
#undef CLASS_OF

/* widen_<src>: k source elements (byte stride st) to the block. */
#define WIDEN(E, s, t)                                                         \
    static void widen_##s(const char *src, int64_t st, wide_block *dst, int64_t k) { \
        em_wide_##s *d = (em_wide_##s *)(void *)dst;                           \
        if (st == sizeof(t)) {                                                 \
            const t *a = (const t *)src;                                       \
            for (int64_t i = 0; i < k; i++) d[i] = em_widen_##s(a[i]);         \
        } else {                                                               \
            for (int64_t i = 0; i < k; i++) d[i] = em_widen_##s(*(const t *)(src + i * st)); \
        }                                                                      \
    }
EM_DTYPES(WIDEN)
#undef WIDEN

/* narrow_<class>_<dst>: k block values to the destination (byte stride st). */
#define NARROW_ONE(name, cls, W, conv, t)                                      \
    static void name(const wide_block *src, char *dst, int64_t st, int64_t k) { \
        const W *a = src->cls;                                                 \
        if (st == sizeof(t)) {                                                 \
            t *d = (t *)dst;                                                   \
            for (int64_t i = 0; i < k; i++) d[i] = conv(a[i]);                 \
        } else {                                                               \
            for (int64_t i = 0; i < k; i++) *(t *)(dst + i * st) = conv(a[i]); \
        }                                                                      \
    }
/* (Names are pasted here, at the first level: a bare `bool` passed further
 * down would be expanded to _Bool.) */
#define NARROW(E, s, t)                                                        \
    NARROW_ONE(narrow_u64_##s, u64, uint64_t, em_##s##_from_u64, t)            \
    NARROW_ONE(narrow_i64_##s, i64, int64_t, em_##s##_from_i64, t)             \
    NARROW_ONE(narrow_f32_##s, f32, float, em_##s##_from_f32, t)               \
    NARROW_ONE(narrow_f64_##s, f64, double, em_##s##_from_f64, t)              \
    NARROW_ONE(narrow_c64_##s, c64, em_c64, em_##s##_from_c64, t)
EM_DTYPES(NARROW)
#undef NARROW
#undef NARROW_ONE

static const widen_fn widen[EM_NUM_DTYPES] = {
#define W(E, s, t) [E] = widen_##s,
    EM_DTYPES(W)
#undef W
};
static const narrow_fn narrow[CLS_COUNT][EM_NUM_DTYPES] = {
#define N(E, s, t)                                                             \
    [CLS_U64][E] = narrow_u64_##s, [CLS_I64][E] = narrow_i64_##s,              \
    [CLS_F32][E] = narrow_f32_##s, [CLS_F64][E] = narrow_f64_##s,              \
    [CLS_C64][E] = narrow_c64_##s,
    EM_DTYPES(N)
#undef N
};

/* float16/bfloat16 <-> float32, the common casts of mixed precision,
 * vectorised when the CPU allows (bit for bit the same). */
static void widen_half_fast(const char *src, int64_t st, wide_block *dst, int64_t k, em_dtype dt) {
    const cpu_simd_table *t = cpu_simd_active();
    if (st == 2 && t) (dt == EM_FLOAT16 ? t->f16_to_f32 : t->bf16_to_f32)((const uint16_t *)src, dst->f32, k);
    else (dt == EM_FLOAT16 ? widen_float16 : widen_bfloat16)(src, st, dst, k);
}
static void widen_f16_fast(const char *src, int64_t st, wide_block *dst, int64_t k) {
    widen_half_fast(src, st, dst, k, EM_FLOAT16);
}
static void widen_bf16_fast(const char *src, int64_t st, wide_block *dst, int64_t k) {
    widen_half_fast(src, st, dst, k, EM_BFLOAT16);
}
static void narrow_half_fast(const wide_block *src, char *dst, int64_t st, int64_t k, em_dtype dt) {
    const cpu_simd_table *t = cpu_simd_active();
    if (st == 2 && t) (dt == EM_FLOAT16 ? t->f32_to_f16 : t->f32_to_bf16)(src->f32, (uint16_t *)dst, k);
    else (dt == EM_FLOAT16 ? narrow_f32_float16 : narrow_f32_bfloat16)(src, dst, st, k);
}
static void narrow_f32_f16_fast(const wide_block *src, char *dst, int64_t st, int64_t k) {
    narrow_half_fast(src, dst, st, k, EM_FLOAT16);
}
static void narrow_f32_bf16_fast(const wide_block *src, char *dst, int64_t st, int64_t k) {
    narrow_half_fast(src, dst, st, k, EM_BFLOAT16);
}

typedef struct { widen_fn w; narrow_fn n; } cast_ctx;

/* Aliasing: an in-place cast (a donated buffer, same item size) reads each
 * block before writing it. A broadcast source (stride 0) is simply read
 * again for each element. */
static void cast_inner(char **p, const int64_t *s, int64_t n, const void *vctx) {
    const cast_ctx *c = vctx;
    wide_block buf;
    for (int64_t off = 0; off < n; off += CPU_BLOCK) {
        int64_t k = n - off < CPU_BLOCK ? n - off : CPU_BLOCK;
        c->w(p[1] + off * s[1], s[1], &buf, k);
        c->n(&buf, p[0] + off * s[0], s[0], k);
    }
}

/* Integer or float to bool (the cast in front of logical_and/or and of
 * where on numbers), contiguous: x != 0 directly, in blocks the compiler
 * vectorises (built for each instruction set of isa.h), instead of through
 * the widened block (5-10x slower). float16/bfloat16 test their bits: a half
 * is nonzero when any bit but the sign is set (NaN too, as x != 0). In place
 * (a donated buffer of int8/uint8) the input is copied a block at a time.
 * Other layouts take cast_inner. */
#define TO_BOOL_ISA(s, t, NZ, isa)                                             \
    static inline CPU_ISA_ATTR_##isa void to_bool_run_##s##_##isa(             \
        bool *restrict o, const t *restrict a, int64_t n) {                    \
        int64_t i = 0;                                                         \
        for (; i + CPU_LOOP_BLOCK <= n; i += CPU_LOOP_BLOCK)                   \
            for (int j = 0; j < CPU_LOOP_BLOCK; j++) o[i + j] = NZ(a[i + j]);  \
        for (; i < n; i++) o[i] = NZ(a[i]);                                    \
    }                                                                          \
    static CPU_ISA_ATTR_##isa void to_bool_##s##_##isa(char **p, const int64_t *st, int64_t n, \
                                                       const void *ctx) {      \
        if (st[0] != 1 || st[1] != sizeof(t)) {                                \
            cast_inner(p, st, n, ctx);                                         \
            return;                                                            \
        }                                                                      \
        if (!cpu_isa_overlap(p[0], (size_t)n, p[1], (size_t)n * sizeof(t))) { \
            to_bool_run_##s##_##isa((bool *)p[0], (const t *)p[1], n);         \
            return;                                                            \
        }                                                                      \
        for (int64_t i = 0; i < n; i += CPU_LOOP_BLOCK) { /* in place */       \
            int64_t k = n - i < CPU_LOOP_BLOCK ? n - i : CPU_LOOP_BLOCK;       \
            t x[CPU_LOOP_BLOCK];                                               \
            memcpy(x, p[1] + i * (int64_t)sizeof(t), (size_t)k * sizeof(t));   \
            to_bool_run_##s##_##isa((bool *)p[0] + i, x, k);                   \
        }                                                                      \
    }
#define NONZERO(x) ((x) != 0)
#define NONZERO_HALF(x) (((x) & 0x7fff) != 0)
#define TO_BOOL_NZ(E, s, t, NZ)                                                \
    TO_BOOL_ISA(s, t, NZ, base) TO_BOOL_ISA(s, t, NZ, avx2) TO_BOOL_ISA(s, t, NZ, avx512)
#define TO_BOOL(E, s, t) TO_BOOL_NZ(E, s, t, NONZERO)
EM_DTYPES_INT(TO_BOOL)
EM_DTYPES_NATIVE_FLOAT(TO_BOOL)
TO_BOOL_NZ(EM_FLOAT16, float16, uint16_t, NONZERO_HALF)
TO_BOOL_NZ(EM_BFLOAT16, bfloat16, uint16_t, NONZERO_HALF)
#undef TO_BOOL
#undef TO_BOOL_NZ
#undef TO_BOOL_ISA
static const cpu_inner_fn to_bool[CPU_NUM_ISAS][EM_NUM_DTYPES] = {
#define T(E, s, t)                                                             \
    [CPU_ISA_base][E] = to_bool_##s##_base, [CPU_ISA_avx2][E] = to_bool_##s##_avx2, \
    [CPU_ISA_avx512][E] = to_bool_##s##_avx512,
    EM_DTYPES_INT(T) EM_DTYPES_NATIVE_FLOAT(T) T(EM_FLOAT16, float16, em_f16) T(EM_BFLOAT16, bfloat16, em_bf16)
#undef T
};

_Static_assert(sizeof(cast_ctx) <= sizeof(cpu_loop_storage), "cpu_loop_storage is too small");

cpu_inner_fn cpu_cast_loop(em_dtype from, em_dtype to, cpu_loop_storage *storage) {
    if (from == to || !widen[from] || !narrow[class_of[from]][to]) return NULL;
    cast_ctx c = {widen[from], narrow[class_of[from]][to]};
    if (from == EM_FLOAT16) c.w = widen_f16_fast;
    if (from == EM_BFLOAT16) c.w = widen_bf16_fast;
    if (to == EM_FLOAT16 && class_of[from] == CLS_F32) c.n = narrow_f32_f16_fast;
    if (to == EM_BFLOAT16 && class_of[from] == CLS_F32) c.n = narrow_f32_bf16_fast;
    memcpy(storage, &c, sizeof c);
    cpu_inner_fn tb = to_bool[cpu_isa_active()][from];
    return to == EM_BOOL && tb ? tb : cast_inner;
}

em_status cpu_convert_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    em_dtype from = in[0]->dtype, to = out[0]->dtype;
    if (n->prim == EM_PRIM_COPY || from == to) {
        if (from != to) return cpu_unsupported(n, from);
        cpu_copy_strided(in[0], out[0]);
        return EM_OK;
    }
    cpu_loop_storage c;
    cpu_inner_fn fn = cpu_cast_loop(from, to, &c);
    if (!fn) return cpu_unsupported(n, from);
    em_array *ops[2] = {out[0], in[0]};
    cpu_elementwise_run(2, ops, fn, &c);
    return EM_OK;
}
