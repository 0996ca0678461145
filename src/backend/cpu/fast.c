/* fast.c -- CPU kernels of the fused primitives RMS_NORM, LAYER_NORM, ROPE
 * and SDPA (contracts in src/ops/primitives.h and src/ops/fast.c).
 *
 * Every kernel works a row at a time: the row is read (any strides, any float
 * dtype) into a float32 scratch row (float64 for float64 data), computed on
 * there in one or two sweeps and written to the row-major output. Rows are
 * split over the thread pool; each chunk owns its scratch. Attention works on
 * blocks of query rows of one head, for which it reads the head's keys and
 * values once (converted to the accumulation type unless they are already
 * unit-stride rows of it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "../../core/error.h"
#include "../../core/half.h"
#include "kernels.h"
#include "pool.h"

/* ---------------------------------------------------------------- rows */

/* The element offset of row r (all axes but the last) of a. */
static int64_t row_offset(const em_array *a, int64_t r) {
    int64_t off = 0;
    for (int d = a->ndim - 2; d >= 0; d--) {
        int64_t n = a->shape[d];
        off += (r % n) * a->strides[d];
        r /= n;
    }
    return off;
}

static inline double ld1(em_dtype dt, const char *p) {
    switch (dt) {
    case EM_FLOAT16: return em_f16_to_f32(*(const em_f16 *)(const void *)p);
    case EM_BFLOAT16: return em_bf16_to_f32(*(const em_bf16 *)(const void *)p);
    case EM_FLOAT32: return *(const float *)(const void *)p;
    case EM_FLOAT64: return *(const double *)(const void *)p;
    case EM_INT32: return *(const int32_t *)(const void *)p;
    case EM_BOOL: return *(const bool *)(const void *)p;
    default: return 0;
    }
}

/* n elements of dtype dt from p, `st` elements apart, into d. */
#define LOADER(T)                                                              \
    static void load_##T(em_dtype dt, const char *p, int64_t st, int64_t n, T *d) { \
        size_t sz = em_dtype_size(dt);                                         \
        if (dt == EM_FLOAT32 && st == 1) {                                     \
            const float *s = (const float *)(const void *)p;                   \
            for (int64_t i = 0; i < n; i++) d[i] = (T)s[i];                    \
        } else if (dt == EM_FLOAT64 && st == 1) {                              \
            const double *s = (const double *)(const void *)p;                 \
            for (int64_t i = 0; i < n; i++) d[i] = (T)s[i];                    \
        } else {                                                               \
            for (int64_t i = 0; i < n; i++) d[i] = (T)ld1(dt, p + i * st * (int64_t)sz); \
        }                                                                      \
    }                                                                          \
    static void store_##T(em_dtype dt, char *p, int64_t n, const T *s) {       \
        switch (dt) {                                                          \
        case EM_FLOAT16:                                                       \
            for (int64_t i = 0; i < n; i++) ((em_f16 *)(void *)p)[i] = em_f32_to_f16((float)s[i]); \
            break;                                                             \
        case EM_BFLOAT16:                                                      \
            for (int64_t i = 0; i < n; i++) ((em_bf16 *)(void *)p)[i] = em_f32_to_bf16((float)s[i]); \
            break;                                                             \
        case EM_FLOAT32:                                                       \
            for (int64_t i = 0; i < n; i++) ((float *)(void *)p)[i] = (float)s[i]; \
            break;                                                             \
        default:                                                               \
            for (int64_t i = 0; i < n; i++) ((double *)(void *)p)[i] = (double)s[i]; \
        }                                                                      \
    }
LOADER(float)
LOADER(double)
#undef LOADER

static const char *elem(const em_array *a, int64_t off) {
    return array_ptr(a) + off * (int64_t)em_dtype_size(a->dtype);
}

/* Sums in 8 independent lanes, so that the compiler may vectorise them:
 * of a[i], and of (a[i] - mu)^2. */
#define SUMS(T)                                                                \
    static inline T sum_##T(const T *a, int64_t n) {                           \
        T s[8] = {0};                                                          \
        int64_t i = 0;                                                         \
        for (; i + 8 <= n; i += 8)                                             \
            for (int k = 0; k < 8; k++) s[k] += a[i + k];                      \
        T r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); \
        for (; i < n; i++) r += a[i];                                          \
        return r;                                                              \
    }                                                                          \
    static inline T sumsq_##T(const T *a, T mu, int64_t n) {                   \
        T s[8] = {0};                                                          \
        int64_t i = 0;                                                         \
        for (; i + 8 <= n; i += 8)                                             \
            for (int k = 0; k < 8; k++) s[k] += (a[i + k] - mu) * (a[i + k] - mu); \
        T r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); \
        for (; i < n; i++) r += (a[i] - mu) * (a[i] - mu);                     \
        return r;                                                              \
    }
SUMS(float)
SUMS(double)
#undef SUMS

/* ---------------------------------------------------------------- norms */

typedef struct norm_job {
    const em_node *n;
    em_array *const *in;
    em_array *out;
    int64_t D;
    bool failed;
} norm_job;

#define NORM_ROWS(T, SQRT)                                                     \
    static void norm_rows_##T(void *vctx, int64_t begin, int64_t end) {        \
        norm_job *J = vctx;                                                    \
        const em_norm_params *p = NODE_PARAMS(J->n, em_norm_params);           \
        const em_array *x = J->in[0];                                          \
        int64_t D = J->D;                                                      \
        T *buf = malloc((size_t)(3 * D + 1) * sizeof *buf);                    \
        if (!buf) {                                                            \
            J->failed = true;                                                  \
            return;                                                            \
        }                                                                      \
        T *w = buf + D, *b = buf + 2 * D;                                      \
        int k = 1;                                                             \
        if (p->has_weight) {                                                   \
            const em_array *a = J->in[k++];                                    \
            load_##T(a->dtype, array_ptr(a), a->strides[0], D, w);             \
        }                                                                      \
        if (p->has_bias) {                                                     \
            const em_array *a = J->in[k++];                                    \
            load_##T(a->dtype, array_ptr(a), a->strides[0], D, b);             \
        }                                                                      \
        bool rms = J->n->prim == EM_PRIM_RMS_NORM;                             \
        size_t osz = em_dtype_size(J->out->dtype);                             \
        for (int64_t r = begin; r < end; r++) {                                \
            load_##T(x->dtype, elem(x, row_offset(x, r)), x->strides[x->ndim - 1], D, buf); \
            T mu = rms ? (T)0 : sum_##T(buf, D) / (T)D;                        \
            T inv = (T)1 / SQRT(sumsq_##T(buf, mu, D) / (T)D + (T)p->eps);     \
            if (p->has_weight && p->has_bias)                                  \
                for (int64_t i = 0; i < D; i++) buf[i] = (buf[i] - mu) * inv * w[i] + b[i]; \
            else if (p->has_weight)                                            \
                for (int64_t i = 0; i < D; i++) buf[i] = (buf[i] - mu) * inv * w[i]; \
            else if (p->has_bias)                                              \
                for (int64_t i = 0; i < D; i++) buf[i] = (buf[i] - mu) * inv + b[i]; \
            else                                                               \
                for (int64_t i = 0; i < D; i++) buf[i] = (buf[i] - mu) * inv;  \
            store_##T(J->out->dtype, array_ptr(J->out) + r * D * (int64_t)osz, D, buf); \
        }                                                                      \
        free(buf);                                                             \
    }
NORM_ROWS(float, sqrtf)
NORM_ROWS(double, sqrt)
#undef NORM_ROWS

static em_status norm_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    const em_array *x = in[0];
    norm_job J = {n, in, out[0], x->shape[x->ndim - 1], false};
    if (x->size == 0) return EM_OK;
    int64_t rows = x->size / J.D, grain = CPU_GRAIN_ELEMS / J.D + 1;
    cpu_pool_parallel_for(rows, grain, x->dtype == EM_FLOAT64 ? norm_rows_double : norm_rows_float, &J);
    return J.failed ? error_status(EM_ERR_MEMORY, "[%s] Out of memory.", em_primitives[n->prim].name) : EM_OK;
}

/* ---------------------------------------------------------------- rope */

typedef struct rope_job {
    const em_node *n;
    em_array *const *in;
    em_array *out;
    const void *inv; /* half inverse frequencies, of the accumulation type */
    bool failed;
} rope_job;

#define ROPE_ROWS(T, COS, SIN)                                                 \
    static void rope_rows_##T(void *vctx, int64_t begin, int64_t end) {        \
        rope_job *J = vctx;                                                    \
        const em_rope_params *p = NODE_PARAMS(J->n, em_rope_params);           \
        const em_array *x = J->in[0], *off = J->in[1];                         \
        int nd = x->ndim;                                                      \
        int64_t L = x->shape[nd - 2], D = x->shape[nd - 1], half = p->dims / 2; \
        int64_t per_batch = x->size / (D * (x->shape[0] ? x->shape[0] : 1));  \
        const T *inv = J->inv;                                                 \
        T *buf = malloc((size_t)(D + 1) * sizeof *buf);                        \
        if (!buf) {                                                            \
            J->failed = true;                                                  \
            return;                                                            \
        }                                                                      \
        size_t osz = em_dtype_size(J->out->dtype);                             \
        for (int64_t r = begin; r < end; r++) {                                \
            load_##T(x->dtype, elem(x, row_offset(x, r)), x->strides[nd - 1], D, buf); \
            int64_t o = off->ndim == 0 ? *(const int32_t *)(const void *)array_ptr(off) \
                                       : *(const int32_t *)(const void *)elem(off, (r / per_batch) * off->strides[0]); \
            T pos = (T)(r % L) + (T)o;                                         \
            T ps = pos * (T)p->scale;                                          \
            for (int64_t i = 0; i < half; i++) {                               \
                T th = ps * inv[i], c = COS(th), s = SIN(th);                  \
                int64_t i1 = p->traditional ? 2 * i : i;                       \
                int64_t i2 = p->traditional ? 2 * i + 1 : i + half;            \
                T a = buf[i1], b = buf[i2];                                    \
                buf[i1] = a * c - b * s;                                       \
                buf[i2] = a * s + b * c;                                       \
            }                                                                  \
            store_##T(J->out->dtype, array_ptr(J->out) + r * D * (int64_t)osz, D, buf); \
        }                                                                      \
        free(buf);                                                             \
    }
ROPE_ROWS(float, cosf, sinf)
ROPE_ROWS(double, cos, sin)
#undef ROPE_ROWS

static em_status rope_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    const em_rope_params *p = NODE_PARAMS(n, em_rope_params);
    const em_array *x = in[0];
    if (x->size == 0) return EM_OK;
    int64_t half = p->dims / 2, D = x->shape[x->ndim - 1];
    bool dbl = x->dtype == EM_FLOAT64;
    void *inv = malloc((size_t)(half + 1) * sizeof(double));
    if (!inv) return error_status(EM_ERR_MEMORY, "[RoPE] Out of memory.");
    for (int64_t i = 0; i < half; i++) {
        double f;
        if (p->has_freqs) {
            const em_array *fr = in[2];
            f = 1.0 / ld1(fr->dtype, elem(fr, i * fr->strides[0]));
        } else if (dbl) {
            f = exp((double)i * (-log(p->base) / (double)half));
        } else {
            f = expf((float)i * (float)(-log(p->base) / (double)half));
        }
        if (dbl) ((double *)inv)[i] = f;
        else ((float *)inv)[i] = (float)f;
    }
    rope_job J = {n, in, out[0], inv, false};
    cpu_pool_parallel_for(x->size / D, CPU_GRAIN_ELEMS / D + 1, dbl ? rope_rows_double : rope_rows_float, &J);
    free(inv);
    return J.failed ? error_status(EM_ERR_MEMORY, "[RoPE] Out of memory.") : EM_OK;
}

/* ---------------------------------------------------------------- attention */

enum { SDPA_BLOCK = 32 };

typedef struct sdpa_job {
    const em_node *n;
    em_array *const *in;
    em_array *out;
    int64_t nblk;
    bool failed;
} sdpa_job;

/* Element (i0, i1, i2, 0) of a rank-4 array. */
static const char *at4(const em_array *a, int64_t i0, int64_t i1, int64_t i2) {
    return elem(a, i0 * a->strides[0] + i1 * a->strides[1] + i2 * a->strides[2]);
}

/* One unit: a block of up to SDPA_BLOCK query rows of one head. Scores of the
 * block come from one GEMM against the keys the block may see, the weights
 * (exponentials, masked ones zero) from one sweep per row, the outputs from
 * one GEMM against the values; a row whose keys are all masked gets uniform
 * weights over all keys (the lowest-float semantics of MLX's masks). */
#define SDPA_UNITS(T, EXP, DT, GEMM)                                           \
    static void sdpa_units_##T(void *vctx, int64_t begin, int64_t end) {       \
        sdpa_job *J = vctx;                                                    \
        const em_sdpa_params *p = NODE_PARAMS(J->n, em_sdpa_params);          \
        const em_array *q = J->in[0], *k = J->in[1], *v = J->in[2];            \
        const em_array *mask = p->mask >= EM_SDPA_MASK_BOOL ? J->in[3] : NULL; \
        const em_array *sinks = p->has_sinks ? J->in[p->mask >= EM_SDPA_MASK_BOOL ? 4 : 3] : NULL; \
        int64_t H = q->shape[1], L = q->shape[2], D = q->shape[3];             \
        int64_t Hk = k->shape[1], S = k->shape[2], Dv = v->shape[3];           \
        bool kdirect = k->dtype == DT && k->strides[3] == 1 && k->strides[2] >= D; \
        bool vdirect = v->dtype == DT && v->strides[3] == 1 && v->strides[2] >= Dv; \
        size_t need = (size_t)(SDPA_BLOCK * (D + S + Dv) + 4) + (kdirect ? 0 : (size_t)(S * D)) + \
                      (vdirect ? 0 : (size_t)(S * Dv));                        \
        T *buf = malloc(need * sizeof *buf);                                   \
        if (!buf) {                                                            \
            J->failed = true;                                                  \
            return;                                                            \
        }                                                                      \
        T *qb = buf, *sc = qb + SDPA_BLOCK * D, *acc = sc + SDPA_BLOCK * S, *kc = acc + SDPA_BLOCK * Dv; \
        T *vc = kdirect ? kc : kc + S * D;                                     \
        T den[SDPA_BLOCK];                                                     \
        bool uniform[SDPA_BLOCK];                                              \
        size_t osz = em_dtype_size(J->out->dtype);                             \
        int64_t last_head = -1;                                                \
        const T *kb = NULL, *vb = NULL;                                        \
        int64_t kst = D, vst = Dv;                                             \
        for (int64_t u = begin; u < end; u++) {                                \
            int64_t bh = u / J->nblk, blk = u % J->nblk;                       \
            int64_t b = bh / H, h = bh % H, hk = h / (H / Hk);                 \
            int64_t head = b * Hk + hk;                                        \
            if (head != last_head) {                                           \
                last_head = head;                                              \
                if (kdirect) {                                                 \
                    kb = (const T *)(const void *)at4(k, b, hk, 0);            \
                    kst = k->strides[2];                                       \
                } else {                                                       \
                    for (int64_t j = 0; j < S; j++)                            \
                        load_##T(k->dtype, at4(k, b, hk, j), k->strides[3], D, kc + j * D); \
                    kb = kc;                                                   \
                    kst = D;                                                   \
                }                                                              \
                if (vdirect) {                                                 \
                    vb = (const T *)(const void *)at4(v, b, hk, 0);            \
                    vst = v->strides[2];                                       \
                } else {                                                       \
                    for (int64_t j = 0; j < S; j++)                            \
                        load_##T(v->dtype, at4(v, b, hk, j), v->strides[3], Dv, vc + j * Dv); \
                    vb = vc;                                                   \
                    vst = Dv;                                                  \
                }                                                              \
            }                                                                  \
            T sink = sinks ? (T)ld1(sinks->dtype, elem(sinks, h * sinks->strides[0])) : (T)0; \
            int64_t i0 = blk * SDPA_BLOCK;                                     \
            int64_t nq = i0 + SDPA_BLOCK < L ? SDPA_BLOCK : L - i0;            \
            int64_t nmax = S;                                                  \
            if (p->mask == EM_SDPA_MASK_CAUSAL) {                              \
                nmax = i0 + nq - 1 + S - L + 1;                                \
                nmax = nmax > S ? S : nmax < 0 ? 0 : nmax;                     \
            }                                                                  \
            for (int64_t r = 0; r < nq; r++)                                   \
                load_##T(q->dtype, at4(q, b, h, i0 + r), q->strides[3], D, qb + r * D); \
            if (nmax > 0 && D > 0)                                             \
                GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nmax, (int)D, (T)p->scale, \
                     qb, (int)D, kb, (int)kst, (T)0, sc, (int)S);              \
            else                                                               \
                for (int64_t x_ = 0; x_ < nq * S; x_++) sc[x_] = 0;            \
            for (int64_t r = 0; r < nq; r++) {                                 \
                int64_t i = i0 + r, jmax = nmax;                               \
                if (p->mask == EM_SDPA_MASK_CAUSAL) {                          \
                    jmax = i + S - L + 1;                                      \
                    jmax = jmax > S ? S : jmax < 0 ? 0 : jmax;                 \
                }                                                              \
                T *row = sc + r * S;                                           \
                const char *mrow = mask ? at4(mask, b, h, i) : NULL;           \
                int64_t mst = mask ? mask->strides[3] * (int64_t)em_dtype_size(mask->dtype) : 0; \
                if (p->mask == EM_SDPA_MASK_BOOL) {                            \
                    for (int64_t j = 0; j < jmax; j++)                         \
                        if (!*(const bool *)(const void *)(mrow + j * mst)) row[j] = -(T)INFINITY; \
                } else if (p->mask == EM_SDPA_MASK_ADD) {                      \
                    for (int64_t j = 0; j < jmax; j++) row[j] += (T)ld1(mask->dtype, mrow + j * mst); \
                }                                                              \
                T m = sinks ? sink : -(T)INFINITY;                             \
                for (int64_t j = 0; j < jmax; j++) m = row[j] > m ? row[j] : m; \
                uniform[r] = m == -(T)INFINITY;                                \
                T d = sinks && !uniform[r] ? EXP(sink - m) : (T)0;             \
                for (int64_t j = 0; j < nmax; j++) {                           \
                    T e = j < jmax && !uniform[r] ? EXP(row[j] - m) : (T)0;    \
                    row[j] = e;                                                \
                    d += e;                                                    \
                }                                                              \
                den[r] = d;                                                    \
            }                                                                  \
            if (nmax > 0 && Dv > 0)                                            \
                GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nq, (int)Dv, (int)nmax, (T)1, sc, \
                     (int)S, vb, (int)vst, (T)0, acc, (int)Dv);                \
            else                                                               \
                for (int64_t x_ = 0; x_ < nq * Dv; x_++) acc[x_] = 0;          \
            for (int64_t r = 0; r < nq; r++) {                                 \
                T *o = acc + r * Dv;                                           \
                if (uniform[r]) {                                              \
                    for (int64_t d = 0; d < Dv; d++) o[d] = 0;                 \
                    for (int64_t j = 0; j < S; j++)                            \
                        for (int64_t d = 0; d < Dv; d++) o[d] += vb[j * vst + d]; \
                    den[r] = (T)S;                                             \
                }                                                              \
                T inv = den[r] > 0 ? (T)1 / den[r] : (T)0;                     \
                for (int64_t d = 0; d < Dv; d++) o[d] *= inv;                  \
                store_##T(J->out->dtype, array_ptr(J->out) + ((bh * L + i0 + r) * Dv) * (int64_t)osz, Dv, o); \
            }                                                                  \
        }                                                                      \
        free(buf);                                                             \
    }
SDPA_UNITS(float, expf, EM_FLOAT32, cblas_sgemm)
SDPA_UNITS(double, exp, EM_FLOAT64, cblas_dgemm)
#undef SDPA_UNITS

static em_status sdpa_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    const em_array *q = in[0];
    if (out[0]->size == 0) return EM_OK;
    int64_t L = q->shape[2];
    sdpa_job J = {n, in, out[0], (L + SDPA_BLOCK - 1) / SDPA_BLOCK, false};
    int64_t units = q->shape[0] * q->shape[1] * J.nblk;
    cpu_pool_parallel_for(units, 1, q->dtype == EM_FLOAT64 ? sdpa_units_double : sdpa_units_float, &J);
    return J.failed ? error_status(EM_ERR_MEMORY, "[ScaledDotProductAttention] Out of memory.") : EM_OK;
}

em_status cpu_fast_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_RMS_NORM:
    case EM_PRIM_LAYER_NORM: return norm_kernel(n, in, out);
    case EM_PRIM_ROPE: return rope_kernel(n, in, out);
    case EM_PRIM_SDPA: return sdpa_kernel(n, in, out);
    default: return cpu_unsupported(n, out[0]->dtype);
    }
}
