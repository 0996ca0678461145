/* index.c -- CPU kernels of the indexing primitives: GATHER, GATHER_AXIS,
 * SCATTER, SCATTER_AXIS, SLICE_UPDATE and MASKED_SCATTER (contracts in
 * src/ops/primitives.h, builders in src/ops/index.c).
 *
 * How the work is laid out: the index arrays (one shape B, any strides, any
 * integer dtype) are walked row by row; each row is cut into chunks of CHUNK
 * positions. For a chunk, one tight loop per index array (typed by its
 * dtype) wraps negative indices, checks bounds and adds index * stride to a
 * byte offset per position; then one loop moves the chunk's windows: typed
 * by item size for copies, by dtype and reduction for accumulating scatters.
 * A window of one element (a[idx] on a vector, scatter_add into a vector) is
 * one load and one store per position, with no dispatch in between.
 *
 * Out-of-range indices are never followed: the kernel fails with
 * EM_ERR_INDEX, naming the index, the axis and its size.
 *
 * The updating primitives (SCATTER, SCATTER_AXIS, SLICE_UPDATE,
 * MASKED_SCATTER) carry EM_PF_UPDATE: when only the node holds the input
 * array and its buffer, evaluation gives the output that buffer and the
 * kernel updates it in place (x[i] = v in a loop costs O(1) per step);
 * otherwise the output comes with a fresh buffer and the input is copied
 * into it first (init_output). Called directly with an output that has no
 * buffer yet, the kernel chooses itself, also copying when checking the
 * indices first would cost more than a copy. An in-place update checks every
 * index (or the mask's count) before its first write, so a failure never
 * leaves a half-updated input behind. The gather with one index array and
 * one-element windows is a single fused loop (gfused_*). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/error.h"
#include "kernels.h"
#include "loops.h"
#include "region.h"
#include "scalar.h"

#define CHUNK 512

/* ---------------------------------------------------------------- combining ops */

/* The accumulating scatters combine with the elementwise ops' own scalar
 * functions (scalar.h: em_add_<dtype>, em_multiply_, em_maximum_,
 * em_minimum_), so x.at[i].add(y) and x + y agree bit for bit: integers wrap,
 * maximum/minimum propagate NaN and order complex values lexicographically,
 * bool adds as or. float16 and bfloat16 compute through float32, as the
 * elementwise kernels do. */
#define IX_HALF_OP(s, T, OP, TOF, FROMF)                                       \
    static inline T em_##OP##_##s(T a, T b) { return FROMF(em_##OP##_float32(TOF(a), TOF(b))); }
#define IX_HALF_OPS(s, T, TOF, FROMF)                                          \
    IX_HALF_OP(s, T, add, TOF, FROMF) IX_HALF_OP(s, T, multiply, TOF, FROMF)   \
    IX_HALF_OP(s, T, maximum, TOF, FROMF) IX_HALF_OP(s, T, minimum, TOF, FROMF)
IX_HALF_OPS(float16, em_f16, em_f16_to_f32, em_f32_to_f16)
IX_HALF_OPS(bfloat16, em_bf16, em_bf16_to_f32, em_f32_to_bf16)
#undef IX_HALF_OPS
#undef IX_HALF_OP

/* ---------------------------------------------------------------- loops */

/* Moves and combines. Strides and offsets are in bytes.
 *   gmove: d[j*ds] = x[j*xs + off[j]]            (gathers)
 *   smove: x[j*xs + off[j]] = u[j*us]            (plain scatters)
 *   sacc:  x[j*xs + off[j]] = f(that, u[j*us])   (accumulating scatters)
 *   acc:   x[j*xs] = f(x[j*xs], u[j*us])         (rows of larger windows) */
typedef void (*gmove_fn)(char *d, int64_t ds, const char *x, int64_t xs, const int64_t *off,
                         int64_t n);
typedef void (*smove_fn)(char *x, int64_t xs, const int64_t *off, const char *u, int64_t us,
                         int64_t n);
typedef void (*acc_fn)(char *x, int64_t xs, const char *u, int64_t us, int64_t n);

#define IX_MOVES(T)                                                            \
    static void gmove_##T(char *d, int64_t ds, const char *x, int64_t xs, const int64_t *off, \
                          int64_t n) {                                         \
        for (int64_t j = 0; j < n; j++)                                        \
            *(T *)(void *)(d + j * ds) = *(const T *)(const void *)(x + j * xs + off[j]); \
    }                                                                          \
    static void smove_##T(char *x, int64_t xs, const int64_t *off, const char *u, int64_t us, \
                          int64_t n) {                                         \
        for (int64_t j = 0; j < n; j++)                                        \
            *(T *)(void *)(x + j * xs + off[j]) = *(const T *)(const void *)(u + j * us); \
    }
IX_MOVES(uint8_t)
IX_MOVES(uint16_t)
IX_MOVES(uint32_t)
IX_MOVES(uint64_t)
#undef IX_MOVES

/* The move loops of an item size (1, 2, 4 or 8 bytes: every dtype). */
static gmove_fn gmove_for(size_t isz) {
    return isz == 1 ? gmove_uint8_t : isz == 2 ? gmove_uint16_t : isz == 4 ? gmove_uint32_t
                                                                          : gmove_uint64_t;
}
static smove_fn smove_for(size_t isz) {
    return isz == 1 ? smove_uint8_t : isz == 2 ? smove_uint16_t : isz == 4 ? smove_uint32_t
                                                                          : smove_uint64_t;
}

/* Names are pasted before they are passed on: `bool` is a macro. */
#define IX_ACC(F, SACC, ACC, T)                                                \
    static void SACC(char *x, int64_t xs, const int64_t *off, const char *u, int64_t us, int64_t n) { \
        for (int64_t j = 0; j < n; j++) {                                      \
            T *p = (T *)(void *)(x + j * xs + off[j]);                         \
            *p = F(*p, *(const T *)(const void *)(u + j * us));                \
        }                                                                      \
    }                                                                          \
    static void ACC(char *x, int64_t xs, const char *u, int64_t us, int64_t n) { \
        for (int64_t j = 0; j < n; j++) {                                      \
            T *p = (T *)(void *)(x + j * xs);                                  \
            *p = F(*p, *(const T *)(const void *)(u + j * us));                \
        }                                                                      \
    }
#define IX_ACCS(E, s, T)                                                       \
    IX_ACC(em_add_##s, sacc_sum_##s, acc_sum_##s, T)                           \
    IX_ACC(em_multiply_##s, sacc_prod_##s, acc_prod_##s, T)                    \
    IX_ACC(em_maximum_##s, sacc_max_##s, acc_max_##s, T)                       \
    IX_ACC(em_minimum_##s, sacc_min_##s, acc_min_##s, T)
EM_DTYPES(IX_ACCS)
#undef IX_ACCS
#undef IX_ACC

/* Indexed by em_scatter_op - 1 (SUM, PROD, MAX, MIN) and dtype. */
#define IX_ROW(E, s, T) [E] = {sacc_sum_##s, sacc_prod_##s, sacc_max_##s, sacc_min_##s},
static const smove_fn sacc_table[EM_NUM_DTYPES][4] = {EM_DTYPES(IX_ROW)};
#undef IX_ROW
#define IX_ROW(E, s, T) [E] = {acc_sum_##s, acc_prod_##s, acc_max_##s, acc_min_##s},
static const acc_fn acc_table[EM_NUM_DTYPES][4] = {EM_DTYPES(IX_ROW)};
#undef IX_ROW

/* ---------------------------------------------------------------- indices */

/* What an index array indexes: an axis of `dim` entries whose windows start
 * at 0..lim (lim = dim - window size; negative: no valid start), `bstride`
 * bytes apart. */
typedef struct { int64_t dim, lim, bstride; } ix_axis;

/* Index x of index dtype E on an axis of length dim, negatives wrapped, as
 * unsigned (so a value still out of range compares above any limit). */
static inline uint64_t ix_wrap_signed(int64_t v, int64_t dim) { return (uint64_t)(v < 0 ? v + dim : v); }
#define IX_WRAP(E, x, dim) (dtype_is_uint(E) ? (uint64_t)(x) : ix_wrap_signed((int64_t)(x), (dim)))

/* off[j] += (wrapped index j) * bstride for the m indices at p (stride s
 * bytes). Returns -1, or the first j whose index is out of bounds. */
typedef int64_t (*offsets_fn)(int64_t *off, const char *p, int64_t s, int64_t m, const ix_axis *ax);

#define IX_OFFSETS(E, s, T)                                                    \
    static int64_t offsets_##s(int64_t *off, const char *p, int64_t st, int64_t m, \
                               const ix_axis *ax) {                            \
        if (ax->lim < 0) return m ? 0 : -1;                                    \
        uint64_t lim = (uint64_t)ax->lim;                                      \
        int64_t dim = ax->dim, bs = ax->bstride;                               \
        for (int64_t j = 0; j < m; j++) {                                      \
            T x = *(const T *)(const void *)(p + j * st);                      \
            uint64_t u = IX_WRAP(E, x, dim);                                   \
            if (u > lim) return j;                                             \
            off[j] += (int64_t)u * bs;                                         \
        }                                                                      \
        return -1;                                                             \
    }
EM_DTYPES_INT(IX_OFFSETS)
#undef IX_OFFSETS

#define IX_ROW(E, s, T) [E] = offsets_##s,
static const offsets_fn offsets_table[EM_NUM_DTYPES] = {EM_DTYPES_INT(IX_ROW)};
#undef IX_ROW

/* Only the bounds check of offsets (the pass before an in-place update):
 * -1, or the first bad j. The loop has no exit, so it vectorises. */
typedef int64_t (*check_fn)(const char *p, int64_t s, int64_t m, const ix_axis *ax);

#define IX_CHECK(E, s, T)                                                      \
    static int64_t check_##s(const char *p, int64_t st, int64_t m, const ix_axis *ax) { \
        if (ax->lim < 0) return m ? 0 : -1;                                    \
        uint64_t lim = (uint64_t)ax->lim;                                      \
        int64_t dim = ax->dim;                                                 \
        bool bad = false;                                                      \
        for (int64_t j = 0; j < m; j++) {                                      \
            T x = *(const T *)(const void *)(p + j * st);                      \
            uint64_t u = IX_WRAP(E, x, dim);                                   \
            bad |= u > lim;                                                    \
        }                                                                      \
        if (!bad) return -1;                                                   \
        int64_t zero[CHUNK] = {0}, j = -1;                                     \
        for (int64_t c0 = 0; c0 < m && j < 0; c0 += CHUNK) {                   \
            int64_t k = offsets_##s(zero, p + c0 * st, st, m - c0 < CHUNK ? m - c0 : CHUNK, \
                                    &(ix_axis){dim, ax->lim, 0});               \
            if (k >= 0) j = c0 + k;                                            \
        }                                                                      \
        return j;                                                              \
    }
EM_DTYPES_INT(IX_CHECK)
#undef IX_CHECK

#define IX_ROW(E, s, T) [E] = check_##s,
static const check_fn check_table[EM_NUM_DTYPES] = {EM_DTYPES_INT(IX_ROW)};
#undef IX_ROW

/* The commonest gather, one index array and one-element windows (a[idx] on
 * a vector, take), in a single loop: d[j] = x[index j], d dense. Returns -1
 * or the first bad j. One function per index dtype and item size. */
typedef int64_t (*gfused_fn)(char *d, const char *x, const char *p, int64_t st, int64_t m,
                             const ix_axis *ax);

#define IX_GFUSED(E, s, T, M)                                                  \
    static int64_t gfused_##s##_##M(char *d, const char *x, const char *p, int64_t st, int64_t m, \
                                    const ix_axis *ax) {                       \
        if (ax->lim < 0) return m ? 0 : -1;                                    \
        uint64_t lim = (uint64_t)ax->lim;                                      \
        int64_t dim = ax->dim, bs = ax->bstride;                               \
        for (int64_t j = 0; j < m; j++) {                                      \
            T v = *(const T *)(const void *)(p + j * st);                      \
            uint64_t u = IX_WRAP(E, v, dim);                                   \
            if (u > lim) return j;                                             \
            ((M *)(void *)d)[j] = *(const M *)(const void *)(x + (int64_t)u * bs); \
        }                                                                      \
        return -1;                                                             \
    }
#define IX_GFUSEDS(E, s, T)                                                    \
    IX_GFUSED(E, s, T, uint8_t) IX_GFUSED(E, s, T, uint16_t)                   \
    IX_GFUSED(E, s, T, uint32_t) IX_GFUSED(E, s, T, uint64_t)
EM_DTYPES_INT(IX_GFUSEDS)
#undef IX_GFUSEDS
#undef IX_GFUSED

/* Indexed by index dtype and log2 of the item size. */
#define IX_ROW(E, s, T) [E] = {gfused_##s##_uint8_t, gfused_##s##_uint16_t, gfused_##s##_uint32_t, \
                               gfused_##s##_uint64_t},
static const gfused_fn gfused_table[EM_NUM_DTYPES][4] = {EM_DTYPES_INT(IX_ROW)};
#undef IX_ROW

/* The first bad index a kernel met: where it is, for the message. */
typedef struct {
    bool set;
    em_dtype dtype;
    const char *p;
    int axis;
    int64_t dim, window;
} ix_bad;

static void bad_note(ix_bad *b, em_dtype dt, const char *p, int axis, int64_t dim, int64_t window) {
    b->set = true;
    b->dtype = dt;
    b->p = p;
    b->axis = axis;
    b->dim = dim;
    b->window = window;
}

static em_status bad_error(const char *op, const ix_bad *b) {
    char v[32];
    if (b->dtype == EM_UINT64)
        snprintf(v, sizeof v, "%llu", (unsigned long long)*(const uint64_t *)(const void *)b->p);
    else
        snprintf(v, sizeof v, "%lld", (long long)dtype_load_int(b->dtype, b->p));
    if (b->window == 1)
        return error_status(EM_ERR_INDEX, "[%s] Index %s is out of bounds for axis %d with size %lld.",
                            op, v, b->axis, (long long)b->dim);
    return error_status(EM_ERR_INDEX,
                        "[%s] Index %s with slice size %lld is out of bounds for axis %d with size %lld.",
                        op, v, (long long)b->window, b->axis, (long long)b->dim);
}

/* ---------------------------------------------------------------- walks */

/* A walk over a shape that several operands share (each with its own byte
 * strides), in row-major order, dimensions collapsed where every operand
 * allows. fn gets each innermost row: the operands' pointers and strides,
 * its length and the row-major position of its first element; it returns
 * false to stop the walk. */
typedef bool (*walk_fn)(char **p, const int64_t *s, int64_t n, int64_t pos0, void *ctx);

#define WALK_MAX_OPS (EM_MAX_NDIM + 2)

typedef struct {
    int nops, nd;
    bool empty;
    int64_t shape[EM_MAX_NDIM];
    char *base[WALK_MAX_OPS];
    int64_t st[WALK_MAX_OPS][EM_MAX_NDIM];
} walker;

/* The walk over `shape` (nd dims) of ops[k], whose first nd strides are used.
 * The walker is large: callers allocate it. */
static void walker_init(walker *w, const int64_t *shape, int nd, int nops, em_array *const *ops) {
    w->nops = nops;
    w->empty = false;
    for (int d = 0; d < nd; d++)
        if (shape[d] == 0) w->empty = true;
    if (w->empty) return;
    for (int k = 0; k < nops; k++) w->base[k] = array_ptr(ops[k]);
    int m = 0;
    for (int d = 0; d < nd; d++) {
        if (shape[d] == 1) continue;
        bool merge = m > 0;
        for (int k = 0; k < nops && merge; k++) {
            int64_t sd = ops[k]->strides[d] * (int64_t)array_itemsize(ops[k]);
            merge = w->st[k][m - 1] == sd * shape[d];
        }
        if (merge) {
            w->shape[m - 1] *= shape[d];
            for (int k = 0; k < nops; k++)
                w->st[k][m - 1] = ops[k]->strides[d] * (int64_t)array_itemsize(ops[k]);
        } else {
            w->shape[m] = shape[d];
            for (int k = 0; k < nops; k++)
                w->st[k][m] = ops[k]->strides[d] * (int64_t)array_itemsize(ops[k]);
            m++;
        }
    }
    if (m == 0) {
        w->shape[0] = 1;
        for (int k = 0; k < nops; k++) w->st[k][0] = 0;
        m = 1;
    }
    w->nd = m;
}

static bool walker_run(const walker *w, walk_fn fn, void *ctx) {
    if (w->empty) return true;
    int nd = w->nd, nops = w->nops;
    int64_t n = w->shape[nd - 1], inner[WALK_MAX_OPS], idx[EM_MAX_NDIM], pos = 0;
    char *p[WALK_MAX_OPS], *q[WALK_MAX_OPS];
    for (int k = 0; k < nops; k++) {
        inner[k] = w->st[k][nd - 1];
        p[k] = w->base[k];
    }
    for (int d = 0; d < nd - 1; d++) idx[d] = 0;
    for (;;) {
        memcpy(q, p, (size_t)nops * sizeof *p);
        if (!fn(q, inner, n, pos, ctx)) return false;
        pos += n;
        int d = nd - 2;
        for (; d >= 0; d--) {
            for (int k = 0; k < nops; k++) p[k] += w->st[k][d];
            if (++idx[d] < w->shape[d]) break;
            for (int k = 0; k < nops; k++) p[k] -= w->st[k][d] * w->shape[d];
            idx[d] = 0;
        }
        if (d < 0) return true;
    }
}

/* ---------------------------------------------------------------- windows */

/* The block of elements moved at each index: a shape walked on two sides,
 * x (the indexed array) and y (the dense side: gather's output, scatter's
 * updates), each with its own byte strides; collapsed like a walk. nd == 0
 * is a single element. */
typedef struct {
    int nd;
    int64_t size;
    int64_t shape[EM_MAX_NDIM], sx[EM_MAX_NDIM], sy[EM_MAX_NDIM];
} window;

static void window_init(window *w, const int64_t *shape, int nd, const int64_t *sx, size_t xsz,
                        const int64_t *sy, size_t ysz) {
    int m = 0;
    w->size = 1;
    for (int d = 0; d < nd; d++) {
        w->size *= shape[d];
        if (shape[d] == 1) continue;
        int64_t a = sx[d] * (int64_t)xsz, b = sy[d] * (int64_t)ysz;
        if (m > 0 && w->sx[m - 1] == a * shape[d] && w->sy[m - 1] == b * shape[d]) {
            w->shape[m - 1] *= shape[d];
            w->sx[m - 1] = a;
            w->sy[m - 1] = b;
        } else {
            w->shape[m] = shape[d];
            w->sx[m] = a;
            w->sy[m] = b;
            m++;
        }
    }
    w->nd = m;
}

/* What is done to each innermost row of a window: x and y as above. */
typedef struct {
    size_t isz;
    bool to_x;   /* copy y into x (scatter) rather than x into y (gather) */
    acc_fn acc;  /* or combine y into x */
} row_op;

static void row_apply(const row_op *r, char *x, int64_t sx, char *y, int64_t sy, int64_t n) {
    if (r->acc) {
        r->acc(x, sx, y, sy, n);
        return;
    }
    char *d = r->to_x ? x : y, *s = r->to_x ? y : x;
    int64_t ds = r->to_x ? sx : sy, ss = r->to_x ? sy : sx;
    if (ds == (int64_t)r->isz && ss == (int64_t)r->isz) {
        memcpy(d, s, (size_t)n * r->isz);
        return;
    }
    switch (r->isz) {
#define IX_COPY(T)                                                             \
    case sizeof(T):                                                            \
        for (int64_t j = 0; j < n; j++)                                        \
            *(T *)(void *)(d + j * ds) = *(const T *)(const void *)(s + j * ss); \
        return;
        IX_COPY(uint8_t) IX_COPY(uint16_t) IX_COPY(uint32_t) IX_COPY(uint64_t)
#undef IX_COPY
    }
}

static void window_run(const window *w, const row_op *r, char *x, char *y) {
    int nd = w->nd;
    if (nd <= 1) {
        row_apply(r, x, nd ? w->sx[0] : 0, y, nd ? w->sy[0] : 0, nd ? w->shape[0] : 1);
        return;
    }
    int64_t idx[EM_MAX_NDIM], n = w->shape[nd - 1];
    for (int d = 0; d < nd - 1; d++) idx[d] = 0;
    for (;;) {
        row_apply(r, x, w->sx[nd - 1], y, w->sy[nd - 1], n);
        int d = nd - 2;
        for (; d >= 0; d--) {
            x += w->sx[d];
            y += w->sy[d];
            if (++idx[d] < w->shape[d]) break;
            x -= w->sx[d] * w->shape[d];
            y -= w->sy[d] * w->shape[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

/* ---------------------------------------------------------------- outputs */

/* Gives `out` (a's shape and dtype) a's buffer when only the node holds a
 * and its buffer and a is dense row-major from the buffer's start (then
 * *in_place is true), else a fresh row-major copy of a. `checks` is the
 * number of indices an in-place update must check before writing: past a
 * quarter of a's size, that pass (scalar, about 0.6 ns an index) costs more
 * than the copy (memory-bound), so the update copies instead. */
static em_status init_output(em_array *a, em_array *out, int64_t checks, bool *in_place) {
    if (out->buf) { /* evaluation chose (EM_PF_UPDATE) */
        *in_place = out->buf == a->buf;
        if (!*in_place && out->size) cpu_copy_strided(a, out);
        return EM_OK;
    }
    *in_place = checks <= a->size / 4 && atomic_load(&a->rc) == 1 && a->buf && !a->buf->external &&
                atomic_load(&a->buf->rc) == 1 && (a->flags & EM_AF_ROW_CONTIG) &&
                a->offset == 0 && a->size == out->size;
    if (*in_place) {
        array_share_data(out, a, 0, NULL, a->size);
        return EM_OK;
    }
    if (array_alloc_data(out) != EM_OK)
        return error_is_set() ? em_error_code()
                              : error_status(EM_ERR_MEMORY, "[index] Out of memory.");
    if (out->size) cpu_copy_strided(a, out);
    return EM_OK;
}

/* ---------------------------------------------------------------- gather and scatter */

typedef struct {
    int nidx;
    em_dtype idt[EM_MAX_NDIM];
    int axis[EM_MAX_NDIM];
    ix_axis ax[EM_MAX_NDIM];
    size_t isz;
    window win;
    row_op rop;
    char *x;            /* the indexed array: gather's input, scatter's output */
    char *y;            /* gather: the output (row-major, wbytes per position) */
    int64_t wbytes;
    gmove_fn gmove;
    gfused_fn gfused;   /* gather: one index, one-element windows */
    smove_fn smove;     /* scatter: plain or accumulating */
    ix_bad bad;
} ix_ctx;

/* Offsets of a chunk of m positions (index operands p[0..nidx), strides s)
 * into x. False when an index is out of bounds (noted in c->bad). */
static bool chunk_offsets(ix_ctx *c, char **p, const int64_t *s, int64_t c0, int64_t m,
                          int64_t *off) {
    memset(off, 0, (size_t)m * sizeof *off);
    for (int k = 0; k < c->nidx; k++) {
        const char *pk = p[k] + c0 * s[k];
        int64_t j = offsets_table[c->idt[k]](off, pk, s[k], m, &c->ax[k]);
        if (j >= 0) {
            bad_note(&c->bad, c->idt[k], pk + j * s[k], c->axis[k], c->ax[k].dim,
                     c->ax[k].dim - c->ax[k].lim);
            return false;
        }
    }
    return true;
}

static bool gather_row(char **p, const int64_t *s, int64_t n, int64_t pos0, void *vctx) {
    ix_ctx *c = vctx;
    if (c->gfused) {
        int64_t j = c->gfused(c->y + pos0 * c->wbytes, c->x, p[0], s[0], n, &c->ax[0]);
        if (j >= 0) bad_note(&c->bad, c->idt[0], p[0] + j * s[0], c->axis[0], c->ax[0].dim, 1);
        return j < 0;
    }
    int64_t off[CHUNK];
    for (int64_t c0 = 0; c0 < n; c0 += CHUNK) {
        int64_t m = n - c0 < CHUNK ? n - c0 : CHUNK;
        if (!chunk_offsets(c, p, s, c0, m, off)) return false;
        char *dst = c->y + (pos0 + c0) * c->wbytes;
        if (c->win.nd == 0) c->gmove(dst, (int64_t)c->isz, c->x, 0, off, m);
        else
            for (int64_t j = 0; j < m; j++) window_run(&c->win, &c->rop, c->x + off[j], dst + j * c->wbytes);
    }
    return true;
}

/* Only checks the indices p[0..nidx): before an in-place scatter, and when
 * the windows are empty (nothing moves, but a bad index is still an error,
 * as in NumPy). */
static bool check_row(char **p, const int64_t *s, int64_t n, int64_t pos0, void *vctx) {
    (void)pos0;
    ix_ctx *c = vctx;
    for (int k = 0; k < c->nidx; k++) {
        int64_t j = check_table[c->idt[k]](p[k], s[k], n, &c->ax[k]);
        if (j >= 0) {
            bad_note(&c->bad, c->idt[k], p[k] + j * s[k], c->axis[k], c->ax[k].dim,
                     c->ax[k].dim - c->ax[k].lim);
            return false;
        }
    }
    return true;
}

/* p[nidx] is the updates operand (its B part). */
static bool scatter_row(char **p, const int64_t *s, int64_t n, int64_t pos0, void *vctx) {
    (void)pos0;
    ix_ctx *c = vctx;
    int64_t off[CHUNK], us = s[c->nidx];
    for (int64_t c0 = 0; c0 < n; c0 += CHUNK) {
        int64_t m = n - c0 < CHUNK ? n - c0 : CHUNK;
        if (!chunk_offsets(c, p, s, c0, m, off)) return false;
        char *u = p[c->nidx] + c0 * us;
        if (c->win.nd == 0) c->smove(c->x, 0, off, u, us, m);
        else
            for (int64_t j = 0; j < m; j++) window_run(&c->win, &c->rop, c->x + off[j], u + j * us);
    }
    return true;
}

static void ctx_axes(ix_ctx *c, em_array *const *idx, const int32_t *axes, int nidx, const em_array *x,
                     const int64_t *window_shape) {
    c->nidx = nidx;
    for (int k = 0; k < nidx; k++) {
        int ax = axes[k];
        c->idt[k] = idx[k]->dtype;
        c->axis[k] = ax;
        c->ax[k].dim = x->shape[ax];
        c->ax[k].lim = x->shape[ax] - window_shape[ax];
        c->ax[k].bstride = x->strides[ax] * (int64_t)array_itemsize(x);
    }
}

static em_status gather(const em_node *n, em_array *const *in, em_array *out) {
    const em_gather_params *p = NODE_PARAMS(n, em_gather_params);
    em_array *a = in[0];
    int nidx = p->nidx, nd = a->ndim, nb = out->ndim - nd;
    /* no position, or empty windows and no index to check */
    if (shape_numel(out->shape, nb) == 0 || (out->size == 0 && nidx == 0)) return EM_OK;
    const int64_t *sizes = p->axes_sizes + nidx;
    int32_t axes[EM_MAX_NDIM];
    for (int k = 0; k < nidx; k++) axes[k] = (int32_t)p->axes_sizes[k];
    ix_ctx *c = calloc(1, sizeof *c);
    walker *w = malloc(sizeof *w);
    if (!c || !w) {
        free(c);
        free(w);
        return error_status(EM_ERR_MEMORY, "[gather] Out of memory.");
    }
    ctx_axes(c, in + 1, axes, nidx, a, sizes);
    walker_init(w, out->shape, nb, nidx, in + 1);
    bool ok;
    if (out->size == 0) {
        ok = walker_run(w, check_row, c);
    } else {
        c->isz = array_itemsize(a);
        int64_t ost[EM_MAX_NDIM];
        region_row_strides(sizes, nd, ost);
        window_init(&c->win, sizes, nd, a->strides, c->isz, ost, c->isz);
        c->rop = (row_op){c->isz, false, NULL};
        /* a may be empty here (an indexed axis of size 0): then every index
         * fails before anything is read */
        c->x = a->size ? array_ptr(a) : NULL;
        c->y = array_ptr(out);
        c->wbytes = c->win.size * (int64_t)c->isz;
        c->gmove = gmove_for(c->isz);
        if (nidx == 1 && c->win.nd == 0 && c->ax[0].lim == c->ax[0].dim - 1)
            c->gfused = gfused_table[c->idt[0]][c->isz == 1 ? 0 : c->isz == 2 ? 1 : c->isz == 4 ? 2 : 3];
        ok = walker_run(w, gather_row, c);
    }
    em_status st = ok ? EM_OK : bad_error("gather", &c->bad);
    free(c);
    free(w);
    return st;
}

static em_status scatter(const em_node *n, em_array *const *in, em_array *out) {
    const em_scatter_params *p = NODE_PARAMS(n, em_scatter_params);
    int nidx = p->nidx;
    em_array *a = in[0], *upd = in[nidx + 1];
    int nd = a->ndim, nb = upd->ndim - nd;
    int64_t positions = shape_numel(upd->shape, nb);
    bool in_place;
    em_status st = init_output(a, out, positions * nidx, &in_place);
    if (st != EM_OK || positions == 0 || (upd->size == 0 && nidx == 0)) return st;
    ix_ctx *c = calloc(1, sizeof *c);
    walker *w = malloc(sizeof *w);
    if (!c || !w) {
        free(c);
        free(w);
        return error_status(EM_ERR_MEMORY, "[scatter] Out of memory.");
    }
    const int64_t *wshape = upd->shape + nb;
    ctx_axes(c, in + 1, p->axes, nidx, out, wshape);
    c->isz = array_itemsize(a);
    window_init(&c->win, wshape, nd, out->strides, c->isz, upd->strides + nb, c->isz);
    acc_fn acc = p->op == EM_SCATTER_NONE ? NULL : acc_table[a->dtype][p->op - 1];
    c->rop = (row_op){c->isz, true, acc};
    c->smove = p->op == EM_SCATTER_NONE ? smove_for(c->isz) : sacc_table[a->dtype][p->op - 1];
    c->x = out->size ? array_ptr(out) : NULL;
    bool ok;
    if (upd->size == 0) {
        /* empty windows: only the indices to check */
        walker_init(w, upd->shape, nb, nidx, in + 1);
        ok = walker_run(w, check_row, c);
    } else {
        walker_init(w, upd->shape, nb, nidx + 1, in + 1);
        ok = !in_place || walker_run(w, check_row, c);
        if (ok) ok = walker_run(w, scatter_row, c);
    }
    st = ok ? EM_OK : bad_error("scatter", &c->bad);
    free(c);
    free(w);
    return st;
}

/* ---------------------------------------------------------------- along an axis */

/* GATHER_AXIS / SCATTER_AXIS run through the shared strided driver over
 * (x view, idx, y): x is the indexed array seen with idx's shape and a zero
 * stride along the axis, so the index only adds its offset. */
typedef struct {
    ix_axis ax;
    em_dtype idt;
    int axis;
    gmove_fn gmove;
    smove_fn smove;
    bool apply;
    ix_bad *bad;
} axis_ctx;

static void gather_axis_inner(char **p, const int64_t *s, int64_t n, const void *vctx) {
    const axis_ctx *c = vctx;
    if (c->bad->set) return;
    int64_t off[CHUNK];
    for (int64_t c0 = 0; c0 < n; c0 += CHUNK) {
        int64_t m = n - c0 < CHUNK ? n - c0 : CHUNK;
        const char *pi = p[1] + c0 * s[1];
        memset(off, 0, (size_t)m * sizeof *off);
        int64_t j = offsets_table[c->idt](off, pi, s[1], m, &c->ax);
        if (j >= 0) {
            bad_note(c->bad, c->idt, pi + j * s[1], c->axis, c->ax.dim, 1);
            return;
        }
        c->gmove(p[0] + c0 * s[0], s[0], p[2] + c0 * s[2], s[2], off, m);
    }
}

/* p: (x view of out, idx, upd). */
static void scatter_axis_inner(char **p, const int64_t *s, int64_t n, const void *vctx) {
    const axis_ctx *c = vctx;
    if (c->bad->set) return;
    if (!c->apply) {
        int64_t j = check_table[c->idt](p[1], s[1], n, &c->ax);
        if (j >= 0) bad_note(c->bad, c->idt, p[1] + j * s[1], c->axis, c->ax.dim, 1);
        return;
    }
    int64_t off[CHUNK];
    for (int64_t c0 = 0; c0 < n; c0 += CHUNK) {
        int64_t m = n - c0 < CHUNK ? n - c0 : CHUNK;
        const char *pi = p[1] + c0 * s[1];
        memset(off, 0, (size_t)m * sizeof *off);
        int64_t j = offsets_table[c->idt](off, pi, s[1], m, &c->ax);
        if (j >= 0) {
            bad_note(c->bad, c->idt, pi + j * s[1], c->axis, c->ax.dim, 1);
            return;
        }
        c->smove(p[0] + c0 * s[0], s[0], off, p[2] + c0 * s[2], s[2], m);
    }
}

/* A header over x's buffer with `shape` and x's strides, zero along axis. */
static void axis_view(em_array *v, int64_t *st, const em_array *x, const int64_t *shape, int axis) {
    for (int d = 0; d < x->ndim; d++) st[d] = d == axis ? 0 : x->strides[d];
    region_init(v, x, x->offset, shape, st, x->ndim);
}

static em_status gather_axis(const em_node *n, em_array *a, em_array *idx, em_array *out) {
    int axis = NODE_PARAMS(n, em_index_axis_params)->axis;
    if (out->size == 0) return EM_OK;
    ix_bad bad = {0};
    if (a->size == 0) { /* the axis is empty: the first index is out of bounds */
        bad_note(&bad, idx->dtype, array_ptr(idx), axis, 0, 1);
        return bad_error("take_along_axis", &bad);
    }
    size_t isz = array_itemsize(a);
    axis_ctx c = {{a->shape[axis], a->shape[axis] - 1, a->strides[axis] * (int64_t)isz},
                  idx->dtype, axis, gmove_for(isz), NULL, true, &bad};
    em_array av;
    int64_t st[EM_MAX_NDIM];
    axis_view(&av, st, a, idx->shape, axis);
    em_array *ops[3] = {out, idx, &av};
    cpu_iter it;
    cpu_iter_init(&it, 3, ops);
    cpu_iter_run(&it, gather_axis_inner, &c);
    return bad.set ? bad_error("take_along_axis", &bad) : EM_OK;
}

static em_status scatter_axis(const em_node *n, em_array *a, em_array *idx, em_array *upd,
                              em_array *out) {
    const em_index_axis_params *p = NODE_PARAMS(n, em_index_axis_params);
    int axis = p->axis;
    bool in_place;
    em_status st = init_output(a, out, idx->size, &in_place);
    if (st != EM_OK || idx->size == 0) return st;
    ix_bad bad = {0};
    size_t isz = array_itemsize(out);
    axis_ctx c = {{out->shape[axis], out->shape[axis] - 1, out->strides[axis] * (int64_t)isz},
                  idx->dtype, axis, NULL,
                  p->op == EM_SCATTER_NONE ? smove_for(isz) : sacc_table[out->dtype][p->op - 1],
                  false, &bad};
    em_array ov;
    int64_t vst[EM_MAX_NDIM];
    axis_view(&ov, vst, out, idx->shape, axis);
    em_array *ops[3] = {&ov, idx, upd};
    cpu_iter it;
    cpu_iter_init(&it, 3, ops);
    if (in_place) cpu_iter_run(&it, scatter_axis_inner, &c);
    c.apply = true;
    if (!bad.set) cpu_iter_run(&it, scatter_axis_inner, &c);
    return bad.set ? bad_error("put_along_axis", &bad) : EM_OK;
}

/* ---------------------------------------------------------------- slice update */

static em_status slice_update(const em_node *n, em_array *a, em_array *upd, em_array *out) {
    const em_slice_params *p = NODE_PARAMS(n, em_slice_params);
    bool in_place;
    em_status st = init_output(a, out, 0, &in_place);
    if (st != EM_OK || upd->size == 0) return st;
    int nd = out->ndim;
    int64_t rs[EM_MAX_NDIM], vs[EM_MAX_NDIM], off = (int64_t)out->offset;
    region_row_strides(out->shape, nd, rs);
    for (int d = 0; d < nd; d++) {
        off += p->start_step[2 * d] * rs[d] * (int64_t)array_itemsize(out);
        vs[d] = rs[d] * p->start_step[2 * d + 1];
    }
    em_array dst;
    region_init(&dst, out, (size_t)off, upd->shape, vs, nd);
    cpu_copy_strided(upd, &dst);
    return EM_OK;
}

/* ---------------------------------------------------------------- masked scatter */

typedef struct {
    int64_t count;      /* true entries seen */
    bool apply;
    char *x;            /* out */
    char *src;
    int64_t src_rows, src_row_bytes, block_bytes;
    window win;
    row_op rop;
} mask_ctx;

static bool mask_row(char **p, const int64_t *s, int64_t n, int64_t pos0, void *vctx) {
    mask_ctx *c = vctx;
    const char *m = p[0];
    if (!c->apply) {
        for (int64_t j = 0; j < n; j++) c->count += *(const bool *)(const void *)(m + j * s[0]);
        return true;
    }
    for (int64_t j = 0; j < n; j++) {
        if (!*(const bool *)(const void *)(m + j * s[0])) continue;
        char *row = c->src + (c->src_rows == 1 ? 0 : c->count * c->src_row_bytes);
        window_run(&c->win, &c->rop, c->x + (pos0 + j) * c->block_bytes, row);
        c->count++;
    }
    return true;
}

static em_status masked_scatter(em_array *a, em_array *mask, em_array *src, em_array *out) {
    bool in_place;
    em_status st = init_output(a, out, 0, &in_place);
    if (st != EM_OK) return st;
    int m = mask->ndim, nd = out->ndim;
    size_t isz = array_itemsize(out);
    mask_ctx *c = calloc(1, sizeof *c);
    walker *w = malloc(sizeof *w);
    if (!c || !w) {
        free(c);
        free(w);
        return error_status(EM_ERR_MEMORY, "[masked_scatter] Out of memory.");
    }
    int64_t ost[EM_MAX_NDIM];
    region_row_strides(out->shape, nd, ost);
    window_init(&c->win, out->shape + m, nd - m, ost + m, isz, src->strides + 1, isz);
    c->rop = (row_op){isz, true, NULL};
    c->block_bytes = c->win.size * (int64_t)isz;
    c->src_rows = src->shape[0];
    c->src_row_bytes = src->strides[0] * (int64_t)isz;
    walker_init(w, mask->shape, m, 1, &mask);
    walker_run(w, mask_row, c);
    int64_t count = c->count;
    if (src->shape[0] != 1 && src->shape[0] != count) {
        st = error_status(EM_ERR_VALUE,
                          "[masked_scatter] Cannot assign %lld input values to the %lld output "
                          "values where the mask is true.",
                          (long long)(src->shape[0] * c->win.size), (long long)(count * c->win.size));
    } else if (count && c->win.size) {
        c->apply = true;
        c->count = 0;
        c->x = array_ptr(out);
        c->src = array_ptr(src);
        walker_run(w, mask_row, c);
    }
    free(c);
    free(w);
    return st;
}

/* ---------------------------------------------------------------- entry */

em_status cpu_index_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_GATHER: return gather(n, in, out[0]);
    case EM_PRIM_GATHER_AXIS: return gather_axis(n, in[0], in[1], out[0]);
    case EM_PRIM_SCATTER: return scatter(n, in, out[0]);
    case EM_PRIM_SCATTER_AXIS: return scatter_axis(n, in[0], in[1], in[2], out[0]);
    case EM_PRIM_SLICE_UPDATE: return slice_update(n, in[0], in[1], out[0]);
    case EM_PRIM_MASKED_SCATTER: return masked_scatter(in[0], in[1], in[2], out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
