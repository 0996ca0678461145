/* scan.c -- the CPU kernel of SCAN (cumsum, cumprod, cummax, cummin,
 * logcumsumexp): a running reduction along one axis, forward or reversed,
 * inclusive or exclusive, for every dtype and any input strides.
 *
 * Input and output share a dtype (the builders cast first). float16 and
 * bfloat16 accumulate in float32 and round each output; integers wrap; bool
 * sums are "or", products "and" (MLX's bool cumprod); max/min propagate NaN.
 * The exclusive scans start from the op's identity: 0, 1, the lowest or
 * highest value of the dtype (-inf/+inf for floats), -inf for logaddexp.
 *
 * Layouts. The output is row-major (outer, n, inner). With inner == 1 each
 * line is scanned on its own (lines in parallel; one long line stays on one
 * thread: eight interleaved segments fixed up in a second pass were tried
 * for float sums and ran at half the speed of the plain loop). Otherwise,
 * when the input's axes after the scanned one collapse to one stride, blocks
 * of up to COLS neighbouring lines are scanned together, one running value
 * per line, so that both input and output are read and written along
 * contiguous rows (blocks in parallel); any other layout falls back to one
 * line at a time. */
#include <math.h>
#include <stdalign.h>
#include <string.h>

#include "../../core/array.h"
#include "../../core/error.h"
#include "kernels.h"
#include "pool.h"
#include "scalar.h"

enum { COLS = 256 };

typedef void (*scan_line_fn)(const char *in, int64_t si, char *out, int64_t so, int64_t n, bool incl);
typedef void (*scan_cols_fn)(const char *in, int64_t sj, int64_t si, char *out, int64_t soj,
                             int64_t n, int64_t w, bool incl, void *acc);

#define LD_ID(t, p) (*(const t *)(const void *)(p))
#define ST_ID(t, p, v) (*(t *)(void *)(p) = (v))
#define LD_F16(t, p) em_f16_to_f32(*(const em_f16 *)(const void *)(p))
#define ST_F16(t, p, v) (*(em_f16 *)(void *)(p) = em_f32_to_f16(v))
#define LD_BF16(t, p) em_bf16_to_f32(*(const em_bf16 *)(const void *)(p))
#define ST_BF16(t, p, v) (*(em_bf16 *)(void *)(p) = em_f32_to_bf16(v))

/* One (op, dtype): t the storage type, a the accumulator type, as its
 * suffix in scalar.h, ID the identity, LD/ST the conversions. */
#define DEF_SCAN(OP, FN, s, t, a, as, ID, LD, ST)                              \
    static void scan_line_##OP##_##s(const char *in, int64_t si, char *out, int64_t so, \
                                     int64_t n, bool incl) {                   \
        a acc = ID;                                                            \
        if (incl)                                                              \
            for (int64_t j = 0; j < n; j++) {                                  \
                acc = em_##FN##_##as(acc, LD(t, in + j * si));                 \
                ST(t, out + j * so, acc);                                      \
            }                                                                  \
        else                                                                   \
            for (int64_t j = 0; j < n; j++) {                                  \
                a x = LD(t, in + j * si);                                      \
                ST(t, out + j * so, acc);                                      \
                acc = em_##FN##_##as(acc, x);                                  \
            }                                                                  \
    }                                                                          \
    static void scan_cols_##OP##_##s(const char *in, int64_t sj, int64_t si, char *out, \
                                     int64_t soj, int64_t n, int64_t w, bool incl, \
                                     void *accv) {                             \
        a *acc = accv;                                                         \
        for (int64_t i = 0; i < w; i++) acc[i] = ID;                           \
        for (int64_t j = 0; j < n; j++) {                                      \
            const char *p = in + j * sj;                                       \
            char *o = out + j * soj;                                           \
            if (incl)                                                          \
                for (int64_t i = 0; i < w; i++) {                              \
                    acc[i] = em_##FN##_##as(acc[i], LD(t, p + i * si));        \
                    ST(t, o + i * (int64_t)sizeof(t), acc[i]);                 \
                }                                                              \
            else                                                               \
                for (int64_t i = 0; i < w; i++) {                              \
                    a x = LD(t, p + i * si);                                   \
                    ST(t, o + i * (int64_t)sizeof(t), acc[i]);                 \
                    acc[i] = em_##FN##_##as(acc[i], x);                        \
                }                                                              \
        }                                                                      \
    }

/* The four ops every dtype has, with its lowest and highest values. */
#define DEF_SCAN4(s, t, a, as, LO, HI, LD, ST)                                 \
    DEF_SCAN(sum, add, s, t, a, as, (a)0, LD, ST)                              \
    DEF_SCAN(prod, multiply, s, t, a, as, (a)1, LD, ST)                        \
    DEF_SCAN(max, maximum, s, t, a, as, LO, LD, ST)                            \
    DEF_SCAN(min, minimum, s, t, a, as, HI, LD, ST)

/* (bool is a macro: spelled out so that it is pasted, never expanded) */
DEF_SCAN(sum, add, bool, bool, bool, bool, false, LD_ID, ST_ID)
DEF_SCAN(prod, multiply, bool, bool, bool, bool, true, LD_ID, ST_ID)
DEF_SCAN(max, maximum, bool, bool, bool, bool, false, LD_ID, ST_ID)
DEF_SCAN(min, minimum, bool, bool, bool, bool, true, LD_ID, ST_ID)
DEF_SCAN4(uint8, uint8_t, uint8_t, uint8, 0, UINT8_MAX, LD_ID, ST_ID)
DEF_SCAN4(uint16, uint16_t, uint16_t, uint16, 0, UINT16_MAX, LD_ID, ST_ID)
DEF_SCAN4(uint32, uint32_t, uint32_t, uint32, 0, UINT32_MAX, LD_ID, ST_ID)
DEF_SCAN4(uint64, uint64_t, uint64_t, uint64, 0, UINT64_MAX, LD_ID, ST_ID)
DEF_SCAN4(int8, int8_t, int8_t, int8, INT8_MIN, INT8_MAX, LD_ID, ST_ID)
DEF_SCAN4(int16, int16_t, int16_t, int16, INT16_MIN, INT16_MAX, LD_ID, ST_ID)
DEF_SCAN4(int32, int32_t, int32_t, int32, INT32_MIN, INT32_MAX, LD_ID, ST_ID)
DEF_SCAN4(int64, int64_t, int64_t, int64, INT64_MIN, INT64_MAX, LD_ID, ST_ID)
DEF_SCAN4(float16, em_f16, float, float32, -INFINITY, INFINITY, LD_F16, ST_F16)
DEF_SCAN4(bfloat16, em_bf16, float, float32, -INFINITY, INFINITY, LD_BF16, ST_BF16)
DEF_SCAN4(float32, float, float, float32, -INFINITY, INFINITY, LD_ID, ST_ID)
DEF_SCAN4(float64, double, double, float64, -INFINITY, INFINITY, LD_ID, ST_ID)
DEF_SCAN4(complex64, em_c64, em_c64, complex64, em_c64_make(-INFINITY, 0.0f),
          em_c64_make(INFINITY, 0.0f), LD_ID, ST_ID)
DEF_SCAN(lae, logaddexp, float16, em_f16, float, float32, -INFINITY, LD_F16, ST_F16)
DEF_SCAN(lae, logaddexp, bfloat16, em_bf16, float, float32, -INFINITY, LD_BF16, ST_BF16)
DEF_SCAN(lae, logaddexp, float32, float, float, float32, -INFINITY, LD_ID, ST_ID)
DEF_SCAN(lae, logaddexp, float64, double, double, float64, -INFINITY, LD_ID, ST_ID)
DEF_SCAN(lae, logaddexp, complex64, em_c64, em_c64, complex64, em_c64_make(-INFINITY, 0.0f),
         LD_ID, ST_ID)

typedef struct { scan_line_fn line; scan_cols_fn cols; } scan_fns;

#define ROW(OP)                                                                \
    {                                                                          \
        [EM_BOOL] = {scan_line_##OP##_bool, scan_cols_##OP##_bool},            \
        [EM_UINT8] = {scan_line_##OP##_uint8, scan_cols_##OP##_uint8},         \
        [EM_UINT16] = {scan_line_##OP##_uint16, scan_cols_##OP##_uint16},      \
        [EM_UINT32] = {scan_line_##OP##_uint32, scan_cols_##OP##_uint32},      \
        [EM_UINT64] = {scan_line_##OP##_uint64, scan_cols_##OP##_uint64},      \
        [EM_INT8] = {scan_line_##OP##_int8, scan_cols_##OP##_int8},            \
        [EM_INT16] = {scan_line_##OP##_int16, scan_cols_##OP##_int16},         \
        [EM_INT32] = {scan_line_##OP##_int32, scan_cols_##OP##_int32},         \
        [EM_INT64] = {scan_line_##OP##_int64, scan_cols_##OP##_int64},         \
        [EM_FLOAT16] = {scan_line_##OP##_float16, scan_cols_##OP##_float16},   \
        [EM_BFLOAT16] = {scan_line_##OP##_bfloat16, scan_cols_##OP##_bfloat16}, \
        [EM_FLOAT32] = {scan_line_##OP##_float32, scan_cols_##OP##_float32},   \
        [EM_FLOAT64] = {scan_line_##OP##_float64, scan_cols_##OP##_float64},   \
        [EM_COMPLEX64] = {scan_line_##OP##_complex64, scan_cols_##OP##_complex64}, \
    }
static const scan_fns scan_table[5][EM_NUM_DTYPES] = {
    [EM_SCAN_SUM] = ROW(sum),
    [EM_SCAN_PROD] = ROW(prod),
    [EM_SCAN_MAX] = ROW(max),
    [EM_SCAN_MIN] = ROW(min),
    [EM_SCAN_LOGADDEXP] = {
        [EM_FLOAT16] = {scan_line_lae_float16, scan_cols_lae_float16},
        [EM_BFLOAT16] = {scan_line_lae_bfloat16, scan_cols_lae_bfloat16},
        [EM_FLOAT32] = {scan_line_lae_float32, scan_cols_lae_float32},
        [EM_FLOAT64] = {scan_line_lae_float64, scan_cols_lae_float64},
        [EM_COMPLEX64] = {scan_line_lae_complex64, scan_cols_lae_complex64},
    },
};
#undef ROW

typedef struct {
    const scan_fns *f;
    bool reverse, incl;
    int64_t n, inner, es;
    int64_t sa;                 /* input byte stride along the axis */
    int64_t si;                 /* cols mode: input byte stride of the inner run */
    int64_t nblk;               /* cols mode: blocks per outer index */
    int nd;                     /* lines mode: the other dims; cols mode: the outer dims */
    int64_t shp[EM_MAX_NDIM], str[EM_MAX_NDIM];
    const char *in;
    char *out;
} scan_job;

static int64_t offset_of(const scan_job *J, int64_t r) {
    int64_t off = 0;
    for (int d = J->nd - 1; d >= 0; d--) {
        off += (r % J->shp[d]) * J->str[d];
        r /= J->shp[d];
    }
    return off;
}

static void lines_range(void *v, int64_t b, int64_t e) {
    const scan_job *J = v;
    int64_t n = J->n, sa = J->sa, so = J->inner * J->es;
    for (int64_t l = b; l < e; l++) {
        const char *p = J->in + offset_of(J, l);
        char *o = J->out + ((l / J->inner) * n * J->inner + l % J->inner) * J->es;
        if (J->reverse) J->f->line(p + (n - 1) * sa, -sa, o + (n - 1) * so, -so, n, J->incl);
        else J->f->line(p, sa, o, so, n, J->incl);
    }
}

static void cols_range(void *v, int64_t b, int64_t e) {
    const scan_job *J = v;
    alignas(16) char acc[COLS * 16];
    int64_t n = J->n, sa = J->sa, so = J->inner * J->es;
    for (int64_t q = b; q < e; q++) {
        int64_t o = q / J->nblk, c0 = q % J->nblk * COLS;
        int64_t w = J->inner - c0 < COLS ? J->inner - c0 : COLS;
        const char *p = J->in + offset_of(J, o) + c0 * J->si;
        char *out = J->out + (o * n * J->inner + c0) * J->es;
        if (J->reverse)
            J->f->cols(p + (n - 1) * sa, -sa, J->si, out + (n - 1) * so, -so, n, w, J->incl, acc);
        else
            J->f->cols(p, sa, J->si, out, so, n, w, J->incl, acc);
    }
}

static em_status scan_kernel(const em_node *nd, const em_array *in, em_array *out) {
    const em_scan_params *p = NODE_PARAMS(nd, em_scan_params);
    if (p->op < 0 || p->op > EM_SCAN_LOGADDEXP || p->axis < 0 || p->axis >= in->ndim ||
        in->dtype != out->dtype || !scan_table[p->op][in->dtype].line)
        return cpu_unsupported(nd, in->dtype);
    if (out->size == 0) return EM_OK;
    int axis = p->axis;
    scan_job J;
    memset(&J, 0, sizeof J);
    J.f = &scan_table[p->op][in->dtype];
    J.reverse = p->reverse != 0;
    J.incl = p->inclusive != 0;
    J.n = in->shape[axis];
    J.es = (int64_t)array_itemsize(in);
    J.sa = in->strides[axis] * J.es;
    J.inner = 1;
    for (int d = axis + 1; d < in->ndim; d++) J.inner *= in->shape[d];
    J.in = array_ptr(in);
    J.out = array_ptr(out);
    int64_t n = J.n, outer = out->size / (n * J.inner);

    /* Do the axes after `axis` collapse to one stride? */
    bool collapse = J.inner > 1;
    int64_t si = 0, run = 1;
    bool set = false;
    for (int d = in->ndim - 1; collapse && d > axis; d--) {
        if (in->shape[d] == 1) continue;
        if (!set) {
            si = in->strides[d];
            run = in->shape[d];
            set = true;
        } else if (in->strides[d] != si * run) {
            collapse = false;
        } else {
            run *= in->shape[d];
        }
    }
    if (collapse) {
        J.si = si * J.es;
        J.nblk = (J.inner + COLS - 1) / COLS;
        for (int d = 0; d < axis; d++) {
            J.shp[J.nd] = in->shape[d];
            J.str[J.nd++] = in->strides[d] * J.es;
        }
        int64_t per = n * (J.inner < COLS ? J.inner : COLS);
        cpu_pool_parallel_for(outer * J.nblk, per >= CPU_GRAIN_ELEMS ? 1 : CPU_GRAIN_ELEMS / per,
                              cols_range, &J);
        return EM_OK;
    }
    for (int d = 0; d < in->ndim; d++)
        if (d != axis) {
            J.shp[J.nd] = in->shape[d];
            J.str[J.nd++] = in->strides[d] * J.es;
        }
    cpu_pool_parallel_for(outer * J.inner, n >= CPU_GRAIN_ELEMS ? 1 : CPU_GRAIN_ELEMS / n,
                          lines_range, &J);
    return EM_OK;
}

em_status cpu_scan_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_SCAN: return scan_kernel(n, in[0], out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
