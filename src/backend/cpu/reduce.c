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
 * compiled three times (reduce_simd.c): portable (16-byte vectors), AVX2 and
 * AVX-512 (function target attributes), picked at run time with
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
#include "reduce_loops.h"

enum {
    COL_CHUNK = 1024,  /* outputs per chunk in column mode */
    GROUP_MIN = 8,     /* rows combined per pass in column mode: 8, or more */
    GROUP_MAX = 64,    /* for narrow chunks, up to GROUP_ELEMS elements a pass */
    GROUP_ELEMS = 512,
    ROW_BATCH = 256    /* outputs stored per call in row mode */
};

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
    const cpu_reduce_simd_table *t = cpu_reduce_simd_current();
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

/* Contiguous rows with a vectorised max (min) loop: the row in blocks of
 * ARG_BLOCK elements, each block's max taken by that loop; the best block
 * is then searched for the first element equal to its max (the same loop
 * finds the first stretch of ARG_SUB elements that holds it). A block whose
 * max is NaN holds the answer (the first NaN wins): the scan above finds it
 * there. So the answer is the scan's, in one vector pass over the row and
 * one more over one block, which stays in cache. */
enum { ARG_BLOCK = 8192, ARG_SUB = 128 };
#define ARG_CMP(ACC, T)                                                        \
    static inline bool arg_nan_##ACC(T v) { return v != v; }                   \
    static inline bool arg_eq_##ACC(T a, T b) { return a == b; }
ARG_CMP(b, bool)
ARG_CMP(u8, uint8_t)
ARG_CMP(u16, uint16_t)
ARG_CMP(u32, uint32_t)
ARG_CMP(u64, uint64_t)
ARG_CMP(i8, int8_t)
ARG_CMP(i16, int16_t)
ARG_CMP(i32, int32_t)
ARG_CMP(i64, int64_t)
ARG_CMP(f32, float)
ARG_CMP(f64, double)
#undef ARG_CMP
static inline bool arg_nan_c64(cpx v) { return cpx_isnan(v); }
static inline bool arg_eq_c64(cpx a, cpx b) { return !cpx_gt(a, b) && !cpx_gt(b, a); }
#define DEF_ARG_FAST(OP, ACC, IN, TACC, ADT, IDT)                              \
    static uint32_t arg_##OP##_##IN##_fast(vrow_fn vbest, const char *p, int64_t n) { \
        const int64_t sz = (int64_t)em_dtype_size(IDT);                       \
        TACC best;                                                             \
        memset(&best, 0, sizeof best);                                         \
        int64_t bb = 0;                                                        \
        for (int64_t b = 0; b < n; b += ARG_BLOCK) {                           \
            int64_t len = n - b < ARG_BLOCK ? n - b : ARG_BLOCK;               \
            TACC m;                                                            \
            vbest(p + b * sz, len, &m);                                        \
            if (arg_nan_##ACC(m)) return (uint32_t)b + arg_##OP##_##IN##_row(p + b * sz, len, sz); \
            if (b == 0 || bt_##OP##_##ACC(m, best)) best = m, bb = b;          \
        }                                                                      \
        int64_t len = n - bb < ARG_BLOCK ? n - bb : ARG_BLOCK, i = 0;          \
        const char *q = p + bb * sz;                                           \
        for (; i + ARG_SUB <= len; i += ARG_SUB) {                             \
            TACC m;                                                            \
            vbest(q + i * sz, ARG_SUB, &m);                                    \
            if (arg_eq_##ACC(m, best)) break;                                  \
        }                                                                      \
        while (i < len && !arg_eq_##ACC(ld_##ACC##_##IN(q + i * sz), best)) i++; \
        return (uint32_t)(bb + i);                                             \
    }
ORDER_ENTRIES(DEF_ARG_FAST, max)
ORDER_ENTRIES(DEF_ARG_FAST, min)

typedef uint32_t (*arg_fast_fn)(vrow_fn vbest, const char *p, int64_t n);
typedef struct { arg_row_fn row; arg_col_fn col; em_dtype acc; arg_fast_fn fast; } arg_entry;
#define X_ARG(OP, ACC, IN, TACC, ADT, IDT)                                     \
    [IDT] = {arg_##OP##_##IN##_row, arg_##OP##_##IN##_col, ADT, arg_##OP##_##IN##_fast},
static const arg_entry arg_entries[2][EM_NUM_DTYPES] = {
    [EM_ARG_MAX] = {ORDER_ENTRIES(X_ARG, max)},
    [EM_ARG_MIN] = {ORDER_ENTRIES(X_ARG, min)},
};
#undef X_ARG

typedef struct {
    const rplan *pl;
    const arg_entry *e;
    vrow_fn vbest;           /* row mode, contiguous rows: the vector max (min) */
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
        uint32_t r = J->vbest ? J->e->fast(J->vbest, pl->in + oin, ra->n)
                              : J->e->row(pl->in + oin, ra->n, ra->in);
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
    arg_job J = {&pl, e, NULL, 0, false};
    atomic_init(&J.failed, false);
    int64_t grain = ra->n >= GRAIN_REDUCE ? 1 : GRAIN_REDUCE / ra->n;
    if (pl.nk == 0 || abs64(ra->in) <= abs64(pl.k[pl.nk - 1].in)) {
        if (ra->in == (int64_t)em_dtype_size(in->dtype) && ra->n >= 32)
            J.vbest = cpu_reduce_simd_current()->row[p->op == EM_ARG_MAX ? EM_REDUCE_MAX : EM_REDUCE_MIN][in->dtype];
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
