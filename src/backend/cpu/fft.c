/* fft.c -- CPU kernel of FFT (contract in src/ops/fft.c): every line of the
 * input along the axis is transformed with a cached plan (fft_plan.c).
 *
 * With AVX2, lines are done 8 at a time, one per lane of a float vector, so
 * that the butterflies of fft_passes.h run on whole vectors with no shuffles;
 * dense lines move in and out of the lanes through 8x8 register transposes.
 * A single line, lines too long for the lane buffers to stay in cache, or a
 * CPU without AVX2 (or EMBER_SIMD=none) go one line at a time through the
 * scalar build of the same passes. Long lengths (FFT_FOURSTEP_MIN) use the
 * four-step algorithm, whose column and row transforms take the lanes again. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/alloc.h"
#include "../../core/error.h"
#include "fft_plan.h"
#include "kernels.h"
#include "pool.h"
#include "simd.h"

/* One FFT node's lines: the input and output as float arrays (complex ones
 * interleaved), offsets and strides in elements of their dtypes. */
typedef struct fft_job {
    int kind, inverse;
    int64_t n;
    float scale;
    const fft_plan *plan;
    const float *in;
    float *out;
    int64_t is, os;                  /* strides along the axis */
    int nouter;                      /* the other axes */
    int64_t shape[EM_MAX_NDIM], istr[EM_MAX_NDIM], ostr[EM_MAX_NDIM];
    /* The four-step routine for long lines (x -> y, conj when cj is -1,
     * scaled by sc; false when out of memory, with nothing set). */
    bool (*big)(const fft_cplan *c, const void *x, void *y, float cj, float sc);
} fft_job;

/* The first elements of line t in the input and output. */
static inline void fft_job_offsets(const fft_job *j, int64_t t, int64_t *io, int64_t *oo) {
    int64_t a = 0, b = 0;
    for (int d = j->nouter - 1; d >= 0; d--) {
        int64_t i = t % j->shape[d];
        t /= j->shape[d];
        a += i * j->istr[d];
        b += i * j->ostr[d];
    }
    *io = a;
    *oo = b;
}

/* ---- the scalar instantiation ---- */

#define FP_R float
#define FP_W 1
#define FP_NAME(x) s1_##x
#define FP_ATTR
#define FP_LANE(v, l) (v)
#include "fft_passes.h"
#include "fft_lines.h"
#undef FP_R
#undef FP_W
#undef FP_NAME
#undef FP_ATTR
#undef FP_LANE

/* ---- the AVX2 instantiation: 8 lanes ---- */

#if defined(__x86_64__) || defined(__i386__)
#define FFT_X86 1
#include <immintrin.h>

typedef float fft_v8 __attribute__((vector_size(32)));
#define T256 __attribute__((target("avx2,fma")))

#define FP_R fft_v8
#define FP_W 8
#define FP_NAME(x) v8_##x
#define FP_ATTR T256
#define FP_LANE(v, l) (v)[l]
#include "fft_passes.h"

/* Transposes the 8x8 block of floats in the variables r0..r7 (rows), with
 * named temporaries so that everything stays in registers. */
#define TR8(r0, r1, r2, r3, r4, r5, r6, r7)                                    \
    do {                                                                       \
        __m256 t0_ = _mm256_unpacklo_ps(r0, r1), t1_ = _mm256_unpackhi_ps(r0, r1); \
        __m256 t2_ = _mm256_unpacklo_ps(r2, r3), t3_ = _mm256_unpackhi_ps(r2, r3); \
        __m256 t4_ = _mm256_unpacklo_ps(r4, r5), t5_ = _mm256_unpackhi_ps(r4, r5); \
        __m256 t6_ = _mm256_unpacklo_ps(r6, r7), t7_ = _mm256_unpackhi_ps(r6, r7); \
        __m256 s0_ = _mm256_shuffle_ps(t0_, t2_, _MM_SHUFFLE(1, 0, 1, 0));    \
        __m256 s1_ = _mm256_shuffle_ps(t0_, t2_, _MM_SHUFFLE(3, 2, 3, 2));    \
        __m256 s2_ = _mm256_shuffle_ps(t1_, t3_, _MM_SHUFFLE(1, 0, 1, 0));    \
        __m256 s3_ = _mm256_shuffle_ps(t1_, t3_, _MM_SHUFFLE(3, 2, 3, 2));    \
        __m256 s4_ = _mm256_shuffle_ps(t4_, t6_, _MM_SHUFFLE(1, 0, 1, 0));    \
        __m256 s5_ = _mm256_shuffle_ps(t4_, t6_, _MM_SHUFFLE(3, 2, 3, 2));    \
        __m256 s6_ = _mm256_shuffle_ps(t5_, t7_, _MM_SHUFFLE(1, 0, 1, 0));    \
        __m256 s7_ = _mm256_shuffle_ps(t5_, t7_, _MM_SHUFFLE(3, 2, 3, 2));    \
        r0 = _mm256_permute2f128_ps(s0_, s4_, 0x20);                           \
        r1 = _mm256_permute2f128_ps(s1_, s5_, 0x20);                           \
        r2 = _mm256_permute2f128_ps(s2_, s6_, 0x20);                           \
        r3 = _mm256_permute2f128_ps(s3_, s7_, 0x20);                           \
        r4 = _mm256_permute2f128_ps(s0_, s4_, 0x31);                           \
        r5 = _mm256_permute2f128_ps(s1_, s5_, 0x31);                           \
        r6 = _mm256_permute2f128_ps(s2_, s6_, 0x31);                           \
        r7 = _mm256_permute2f128_ps(s3_, s7_, 0x31);                           \
    } while (0)

/* Dense interleaved pairs (re, im) of 8 rows into the lanes, four elements
 * per transpose: the transposed block is exactly buf[e .. e+3] in memory
 * (re lanes, im lanes, re lanes, ...). Missing rows read row 0 (the caller
 * points them there). */
static T256 void v8_gather_dense(const float *const *src, int nl, int64_t count, v8_c *buf, float cj) {
    (void)nl;
    __m256 c = _mm256_set1_ps(cj);
    const float *s0 = src[0], *s1 = src[1], *s2 = src[2], *s3 = src[3], *s4 = src[4], *s5 = src[5],
                *s6 = src[6], *s7 = src[7];
    int64_t e = 0;
    for (; e + 4 <= count; e += 4) {
        __m256 r0 = _mm256_loadu_ps(s0 + 2 * e), r1 = _mm256_loadu_ps(s1 + 2 * e);
        __m256 r2 = _mm256_loadu_ps(s2 + 2 * e), r3 = _mm256_loadu_ps(s3 + 2 * e);
        __m256 r4 = _mm256_loadu_ps(s4 + 2 * e), r5 = _mm256_loadu_ps(s5 + 2 * e);
        __m256 r6 = _mm256_loadu_ps(s6 + 2 * e), r7 = _mm256_loadu_ps(s7 + 2 * e);
        TR8(r0, r1, r2, r3, r4, r5, r6, r7);
        float *d = (float *)(void *)(buf + e);
        if (cj != 1.0f) {
            r1 = _mm256_mul_ps(r1, c);
            r3 = _mm256_mul_ps(r3, c);
            r5 = _mm256_mul_ps(r5, c);
            r7 = _mm256_mul_ps(r7, c);
        }
        _mm256_store_ps(d, r0);
        _mm256_store_ps(d + 8, r1);
        _mm256_store_ps(d + 16, r2);
        _mm256_store_ps(d + 24, r3);
        _mm256_store_ps(d + 32, r4);
        _mm256_store_ps(d + 40, r5);
        _mm256_store_ps(d + 48, r6);
        _mm256_store_ps(d + 56, r7);
    }
    for (; e < count; e++)
        for (int l = 0; l < 8; l++) {
            buf[e].r[l] = src[l][2 * e];
            buf[e].i[l] = cj * src[l][2 * e + 1];
        }
}

/* The converse, for the first nl rows: (sr * re, si * im). */
static T256 void v8_scatter_dense(float *const *dst, int nl, int64_t count, const v8_c *buf, float sr,
                                  float si) {
    __m256 vr = _mm256_set1_ps(sr), vi = _mm256_set1_ps(si);
    int64_t e = 0;
    for (; e + 4 <= count; e += 4) {
        const float *s = (const float *)(const void *)(buf + e);
        __m256 r0 = _mm256_mul_ps(_mm256_load_ps(s), vr), r1 = _mm256_mul_ps(_mm256_load_ps(s + 8), vi);
        __m256 r2 = _mm256_mul_ps(_mm256_load_ps(s + 16), vr), r3 = _mm256_mul_ps(_mm256_load_ps(s + 24), vi);
        __m256 r4 = _mm256_mul_ps(_mm256_load_ps(s + 32), vr), r5 = _mm256_mul_ps(_mm256_load_ps(s + 40), vi);
        __m256 r6 = _mm256_mul_ps(_mm256_load_ps(s + 48), vr), r7 = _mm256_mul_ps(_mm256_load_ps(s + 56), vi);
        TR8(r0, r1, r2, r3, r4, r5, r6, r7);
        if (nl == 8) {
            _mm256_storeu_ps(dst[0] + 2 * e, r0);
            _mm256_storeu_ps(dst[1] + 2 * e, r1);
            _mm256_storeu_ps(dst[2] + 2 * e, r2);
            _mm256_storeu_ps(dst[3] + 2 * e, r3);
            _mm256_storeu_ps(dst[4] + 2 * e, r4);
            _mm256_storeu_ps(dst[5] + 2 * e, r5);
            _mm256_storeu_ps(dst[6] + 2 * e, r6);
            _mm256_storeu_ps(dst[7] + 2 * e, r7);
        } else {
            __m256 r[8] = {r0, r1, r2, r3, r4, r5, r6, r7};
            for (int l = 0; l < nl; l++) _mm256_storeu_ps(dst[l] + 2 * e, r[l]);
        }
    }
    for (; e < count; e++)
        for (int l = 0; l < nl; l++) {
            dst[l][2 * e] = sr * buf[e].r[l];
            dst[l][2 * e + 1] = si * buf[e].i[l];
        }
}

/* 8 consecutive complex values into the lanes of e (deinterleaved), and
 * back (interleaved, scaled). */
static inline T256 void v8x_ld_lanes(const fft_cf *src, v8_c *e, float cj) {
    __m256 a = _mm256_loadu_ps(&src[0].r), b = _mm256_loadu_ps(&src[4].r);
    __m256 re = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    __m256 im = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    re = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(re), _MM_SHUFFLE(3, 1, 2, 0)));
    im = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(im), _MM_SHUFFLE(3, 1, 2, 0)));
    _mm256_store_ps((float *)(void *)&e->r, re);
    _mm256_store_ps((float *)(void *)&e->i, _mm256_mul_ps(im, _mm256_set1_ps(cj)));
}

static inline T256 void v8x_st_lanes(fft_cf *dst, const v8_c *e, float sr, float si) {
    __m256 re = _mm256_mul_ps(_mm256_load_ps((const float *)(const void *)&e->r), _mm256_set1_ps(sr));
    __m256 im = _mm256_mul_ps(_mm256_load_ps((const float *)(const void *)&e->i), _mm256_set1_ps(si));
    __m256 lo = _mm256_unpacklo_ps(re, im), hi = _mm256_unpackhi_ps(re, im);
    _mm256_storeu_ps(&dst[0].r, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(&dst[4].r, _mm256_permute2f128_ps(lo, hi, 0x31));
}

/* 8 rows times their twiddles into the lanes, 4 elements per pair of
 * transposes (the data's and twr's); twq's factor is one vector per 64. */
static T256 void v8x_ld_rows_tw(const fft_cf *const *rows, const fft_cf *const *twq,
                                const fft_cf *const *twr, int64_t count, v8_c *buf) {
    for (int64_t j0 = 0; j0 < count; j0 += 64) {
        int64_t end = count - j0 < 64 ? count : j0 + 64, q = j0 / 64, j = j0;
        __m256 qr = _mm256_setr_ps(twq[0][q].r, twq[1][q].r, twq[2][q].r, twq[3][q].r, twq[4][q].r,
                                   twq[5][q].r, twq[6][q].r, twq[7][q].r);
        __m256 qi = _mm256_setr_ps(twq[0][q].i, twq[1][q].i, twq[2][q].i, twq[3][q].i, twq[4][q].i,
                                   twq[5][q].i, twq[6][q].i, twq[7][q].i);
        for (; j + 4 <= end; j += 4) {
            __m256 a0 = _mm256_loadu_ps(&rows[0][j].r), a1 = _mm256_loadu_ps(&rows[1][j].r);
            __m256 a2 = _mm256_loadu_ps(&rows[2][j].r), a3 = _mm256_loadu_ps(&rows[3][j].r);
            __m256 a4 = _mm256_loadu_ps(&rows[4][j].r), a5 = _mm256_loadu_ps(&rows[5][j].r);
            __m256 a6 = _mm256_loadu_ps(&rows[6][j].r), a7 = _mm256_loadu_ps(&rows[7][j].r);
            TR8(a0, a1, a2, a3, a4, a5, a6, a7);
            int64_t r = j - j0;
            __m256 w0 = _mm256_loadu_ps(&twr[0][r].r), w1 = _mm256_loadu_ps(&twr[1][r].r);
            __m256 w2 = _mm256_loadu_ps(&twr[2][r].r), w3 = _mm256_loadu_ps(&twr[3][r].r);
            __m256 w4 = _mm256_loadu_ps(&twr[4][r].r), w5 = _mm256_loadu_ps(&twr[5][r].r);
            __m256 w6 = _mm256_loadu_ps(&twr[6][r].r), w7 = _mm256_loadu_ps(&twr[7][r].r);
            TR8(w0, w1, w2, w3, w4, w5, w6, w7);
            float *d = (float *)(void *)(buf + j);
#define CMUL_STORE(k, ar, ai, rr, ri)                                          \
    do {                                                                       \
        __m256 wr_ = _mm256_sub_ps(_mm256_mul_ps(qr, rr), _mm256_mul_ps(qi, ri)); \
        __m256 wi_ = _mm256_add_ps(_mm256_mul_ps(qr, ri), _mm256_mul_ps(qi, rr)); \
        _mm256_store_ps(d + 16 * (k), _mm256_sub_ps(_mm256_mul_ps(ar, wr_), _mm256_mul_ps(ai, wi_))); \
        _mm256_store_ps(d + 16 * (k) + 8, _mm256_add_ps(_mm256_mul_ps(ar, wi_), _mm256_mul_ps(ai, wr_))); \
    } while (0)
            CMUL_STORE(0, a0, a1, w0, w1);
            CMUL_STORE(1, a2, a3, w2, w3);
            CMUL_STORE(2, a4, a5, w4, w5);
            CMUL_STORE(3, a6, a7, w6, w7);
#undef CMUL_STORE
        }
        for (; j < end; j++)
            for (int l = 0; l < 8; l++) {
                fft_cf qq = twq[l][q], rr = twr[l][j - j0];
                float wr = qq.r * rr.r - qq.i * rr.i, wi = qq.r * rr.i + qq.i * rr.r;
                float re = rows[l][j].r, im = rows[l][j].i;
                buf[j].r[l] = re * wr - im * wi;
                buf[j].i[l] = re * wi + im * wr;
            }
    }
}

#define FP_GATHER v8_gather_dense
#define FP_SCATTER v8_scatter_dense
#define FP_LD_LANES v8x_ld_lanes
#define FP_ST_LANES v8x_st_lanes
#define FP_LD_ROWS_TW v8x_ld_rows_tw
#include "fft_lines.h"
#undef FP_GATHER
#undef FP_SCATTER
#undef FP_LD_LANES
#undef FP_ST_LANES
#undef FP_LD_ROWS_TW
#undef FP_R
#undef FP_W
#undef FP_NAME
#undef FP_ATTR
#undef FP_LANE
#endif

/* ---- the four-step routines ---- */

/* The blocks of one sweep, spread over the thread pool; each chunk of blocks
 * has its own lane buffers. */
typedef struct big_ctx {
    const fft_cplan *c;
    const fft_cf *x;
    fft_cf *y, *tmp;
    float cj, sc;
    int rows;        /* which sweep */
    int w;           /* lanes */
    size_t csz;      /* bytes of a lane element */
    void (*cols)(const fft_cplan *, const fft_cf *, fft_cf *, int64_t, void *, void *, float);
    void (*rws)(const fft_cplan *, const fft_cf *, fft_cf *, int64_t, void *, void *, float, float);
    atomic_int failed;
} big_ctx;

static void big_chunk(void *arg, int64_t b0, int64_t b1) {
    big_ctx *k = arg;
    const fft_cplan *c = k->c;
    int64_t m = c->n1 > c->n2 ? c->n1 : c->n2;
    int64_t sc = c->sub1->scratch > c->sub2->scratch ? c->sub1->scratch : c->sub2->scratch;
    int64_t lanes = (64 / k->w) * (m + 1);
    size_t bytes = (size_t)(lanes + sc) * k->csz;
    char *mem = alloc_bytes(bytes);
    if (!mem) {
        atomic_store(&k->failed, 1);
        return;
    }
    if (k->w > 1) memset(mem, 0, bytes); /* no denormal garbage in idle lanes */
    char *scratch = mem + (size_t)lanes * k->csz;
    for (int64_t b = b0; b < b1; b++) {
        if (k->rows) k->rws(c, k->tmp, k->y, b, mem, scratch, k->cj, k->sc);
        else k->cols(c, k->x, k->tmp, b, mem, scratch, k->cj);
    }
    alloc_free(mem, bytes);
}

static bool big_run(big_ctx *k) {
    const fft_cplan *c = k->c;
    size_t tb = (size_t)c->n * sizeof(fft_cf);
    k->tmp = alloc_bytes(tb);
    if (!k->tmp) return false;
    atomic_init(&k->failed, 0);
    k->rows = 0;
    cpu_pool_parallel_for((c->n2 + 63) / 64, 1, big_chunk, k);
    if (!atomic_load(&k->failed)) {
        k->rows = 1;
        cpu_pool_parallel_for((c->n1 + 63) / 64, 1, big_chunk, k);
    }
    alloc_free(k->tmp, tb);
    if (atomic_load(&k->failed))
        error_set(EM_ERR_MEMORY, "[fft] Out of memory for the work buffers.");
    return !atomic_load(&k->failed);
}

#define DEFINE_BIG(pre, nw)                                                   \
    static void pre##cols_fn(const fft_cplan *c, const fft_cf *x, fft_cf *tmp, int64_t b, void *buf, \
                             void *scratch, float cj) {                        \
        pre##fourstep_cols(c, x, tmp, b, buf, scratch, cj);                    \
    }                                                                          \
    static void pre##rows_fn(const fft_cplan *c, const fft_cf *tmp, fft_cf *y, int64_t b, void *buf, \
                             void *scratch, float cj, float sc) {              \
        pre##fourstep_rows(c, tmp, y, b, buf, scratch, cj, sc);                \
    }                                                                          \
    static bool pre##big(const fft_cplan *c, const void *x, void *y, float cj, float sc) { \
        big_ctx k = {.c = c, .x = x, .y = y, .cj = cj, .sc = sc, .w = (nw),    \
                     .csz = sizeof(pre##c), .cols = pre##cols_fn, .rws = pre##rows_fn}; \
        return big_run(&k);                                                    \
    }
DEFINE_BIG(s1_, 1)
#ifdef FFT_X86
DEFINE_BIG(v8_, 8)
#endif

/* Lane buffers stay below this many bytes each (beyond, one line at a time). */
#define LANE_BUF_MAX ((int64_t)1 << 20)

typedef em_status (*group_fn)(const fft_job *, int64_t, int, void *, void *, void *);

/* Groups of w lines, spread over the thread pool; each chunk of groups has
 * its own buffers. */
typedef struct lines_ctx {
    const fft_job *j;
    group_fn fn;
    int64_t lines;
    int w;
    size_t bytes, csz;
    atomic_int failed;
    em_status code;
    char msg[256];
} lines_ctx;

static void lines_chunk(void *arg, int64_t g0, int64_t g1) {
    lines_ctx *k = arg;
    const fft_job *j = k->j;
    char *mem = alloc_bytes(k->bytes);
    em_status st = mem ? EM_OK : EM_ERR_MEMORY;
    if (mem) {
        /* idle lanes (a last group short of w lines) compute on zeros, never
         * on denormal garbage */
        if (k->w > 1 && g1 * k->w > k->lines) memset(mem, 0, k->bytes);
        size_t e = (size_t)(j->n + 1) * k->csz;
        for (int64_t g = g0; g < g1 && st == EM_OK; g++) {
            int64_t t0 = g * k->w;
            int nl = k->lines - t0 < k->w ? (int)(k->lines - t0) : k->w;
            st = k->fn(j, t0, nl, mem, mem + e, mem + 2 * e);
        }
        alloc_free(mem, k->bytes);
    }
    if (st != EM_OK && atomic_exchange(&k->failed, 1) == 0) {
        k->code = st;
        snprintf(k->msg, sizeof k->msg, "%s", mem ? em_error_message() : "[fft] Out of memory for the work buffers.");
    }
    if (st != EM_OK) em_error_clear();
}

static em_status run(const em_node *nd, const em_array *in, em_array *out) {
    const em_fft_params *p = NODE_PARAMS(nd, em_fft_params);
    if (out->size == 0) return EM_OK;
    fft_job j;
    memset(&j, 0, sizeof j);
    j.kind = p->kind;
    j.inverse = p->inverse;
    j.n = p->n;
    j.scale = (float)p->scale;
    j.in = (const float *)(const void *)array_ptr(in);
    j.out = (float *)(void *)array_ptr(out);
    int ax = p->axis;
    j.is = in->strides[ax];
    int64_t lines = 1, s = 1;
    for (int d = out->ndim - 1; d >= 0; d--) {
        if (d == ax) j.os = s;
        s *= out->shape[d];
    }
    for (int d = 0; d < in->ndim; d++) {
        if (d == ax) continue;
        j.shape[j.nouter] = in->shape[d];
        j.istr[j.nouter] = in->strides[d];
        int64_t os = 1;
        for (int e = d + 1; e < out->ndim; e++) os *= out->shape[e];
        j.ostr[j.nouter] = os;
        lines *= in->shape[d];
        j.nouter++;
    }
    fft_plan *plan = fft_plan_get(j.n, j.kind != EM_FFT_C2C);
    if (!plan) return em_error_code();
    j.plan = plan;
    /* a split (four-step) plan runs only through j.big, one line at a time */
    const fft_cplan *c = plan->c;

    /* lanes: 8 lines at once when there are several and they fit the cache */
    int w = 1;
    group_fn fn = s1_group;
    size_t csz = sizeof(s1_c);
    j.big = c->sub1 ? s1_big : NULL;
#ifdef FFT_X86
    if (cpu_simd_active()) {
        if (c->sub1) j.big = v8_big;
        if (lines > 1 && (j.n + 1) * 8 * 8 <= LANE_BUF_MAX && !c->sub1) {
            w = 8;
            fn = v8_group;
            csz = sizeof(v8_c);
        }
    }
#endif
    lines_ctx k = {.j = &j, .fn = fn, .lines = lines, .w = w, .csz = csz};
    k.bytes = ((size_t)(2 * (j.n + 1) + (c->sub1 ? 0 : c->scratch)) * csz + 63) / 64 * 64;
    atomic_init(&k.failed, 0);
    /* a chunk of groups is worth a helper from about 64 Ki elements on */
    int64_t groups = (lines + w - 1) / w, per = w * j.n, grain = per >= 65536 ? 1 : 65536 / per;
    cpu_pool_parallel_for(groups, grain, lines_chunk, &k);
    fft_plan_release(plan);
    if (atomic_load(&k.failed)) return error_status(k.code, "%s", k.msg);
    return EM_OK;
}

em_status cpu_fft_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (n->prim != EM_PRIM_FFT) return cpu_unsupported(n, in[0]->dtype);
    return run(n, in[0], out[0]);
}
