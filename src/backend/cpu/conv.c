/* conv.c -- CPU kernels of CONV and CONV_WEIGHT_GRAD (contracts in
 * src/ops/conv.c and primitives.h).
 *
 * im2col + BLAS: the output, seen as a (N*O) x Co matrix (rows are output
 * positions), is cut into tiles of rows; for each tile and group the input
 * windows are packed into a dense (rows x K*cig) matrix (zeros for padding and
 * dilation holes; the flip is applied while packing) and multiplied by the
 * group's (cog x K*cig) weight rows with one gemm (sgemm/dgemm), written
 * straight into the output with leading dimension Co. Tiles are sized to keep
 * the packed matrix near TILE_BYTES (so big inputs never materialise their
 * whole im2col matrix) and are spread over the thread pool; each element of
 * the output is computed by one gemm, so results do not depend on the
 * thread count.
 *
 * CONV_WEIGHT_GRAD packs the same windows and accumulates, per group,
 * g_tile^T (cog x rows) times the packed tile (rows x K*cig) into the weight
 * gradient (beta = 1). The rows are cut into chunks fixed by the problem's
 * size (never by the thread count), each summing into its own partial
 * gradient; the partials are added in chunk order, so results are the same
 * for any number of threads.
 *
 * CONV_INPUT_GRAD runs the other way (col2im): per tile, the cotangent's
 * rows times the group's weight rows give the windows' gradients (rows x
 * K*cig), which are added back into the input positions they came from
 * (holes and padding dropped). Windows overlap only within one image, so the
 * images are shared among the threads, each summing in a fixed order.
 *
 * Packing copies runs of cig channels (memcpy when the input's channel stride
 * is 1); an input whose channel stride is not 1 is first copied densely. The
 * weight is used in place when row-contiguous, else copied densely. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "../../core/error.h"
#include "kernels.h"
#include "pool.h"

enum { TILE_BYTES = 1 << 20 };

typedef struct conv_job {
    /* spatial dims padded to 3 with size-1 dims in front */
    int64_t S[3], K[3], O[3], Kt, Ot;
    int64_t N, ci, co, cig, cog, groups, depth; /* depth = Kt * cig */
    int64_t xs_n, xs[3], xs_c;                  /* input strides, elements */
    const char *x, *w, *g;
    char *out;
    char *part;                /* weight grad: nchunks partial gradients */
    int64_t chunk_rows;
    size_t isz;
    em_dtype dt;
    int64_t rows, tile;
    /* per dim, for output index o and tap t: the input index, or -1 (padding
     * or a dilation hole); idx[d] has O[d] * K[d] entries */
    int64_t *idx[3];
    atomic_int failed;
} conv_job;

/* Copies an arbitrary strided array into dense row-major memory. */
static void dense_copy(const em_array *a, char *dst) {
    size_t isz = array_itemsize(a);
    const char *base = array_ptr(a);
    int nd = a->ndim;
    if (a->size == 0) return;
    int64_t inner = nd ? a->shape[nd - 1] : 1, is = nd ? a->strides[nd - 1] : 0;
    int64_t idx[EM_MAX_NDIM] = {0};
    int64_t outer = a->size / (inner ? inner : 1);
    for (int64_t r = 0; r < outer; r++) {
        int64_t off = 0;
        for (int d = 0; d < nd - 1; d++) off += idx[d] * a->strides[d];
        const char *src = base + off * (int64_t)isz;
        if (isz == 4)
            for (int64_t j = 0; j < inner; j++)
                memcpy(dst + j * 4, src + j * is * 4, 4);
        else
            for (int64_t j = 0; j < inner; j++)
                memcpy(dst + j * (int64_t)isz, src + j * is * (int64_t)isz, isz);
        dst += inner * (int64_t)isz;
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < a->shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* Packs rows [r0, r1) of group g into col (dense, (r1-r0) x depth). */
static void pack(const conv_job *j, int64_t r0, int64_t r1, int64_t g, char *col) {
    size_t isz = j->isz;
    size_t run = (size_t)j->cig * isz;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / j->Ot, o = r % j->Ot;
        int64_t o2 = o % j->O[2], o1 = (o / j->O[2]) % j->O[1], o0 = o / (j->O[2] * j->O[1]);
        const int64_t *i0 = j->idx[0] + o0 * j->K[0], *i1 = j->idx[1] + o1 * j->K[1],
                      *i2 = j->idx[2] + o2 * j->K[2];
        const char *xb = j->x + (n * j->xs_n + g * j->cig * j->xs_c) * (int64_t)isz;
        char *dst = col + (size_t)(r - r0) * (size_t)j->depth * isz;
        for (int64_t a = 0; a < j->K[0]; a++) {
            for (int64_t b = 0; b < j->K[1]; b++) {
                bool rowok = i0[a] >= 0 && i1[b] >= 0;
                int64_t base = rowok ? i0[a] * j->xs[0] + i1[b] * j->xs[1] : 0;
                for (int64_t c = 0; c < j->K[2]; c++, dst += run) {
                    if (!rowok || i2[c] < 0) {
                        memset(dst, 0, run);
                        continue;
                    }
                    const char *src = xb + (base + i2[c] * j->xs[2]) * (int64_t)isz;
                    memcpy(dst, src, run);
                }
            }
        }
    }
}

static void gemm(const conv_job *j, int64_t r0, int64_t r1, int64_t g, const char *col) {
    int M = (int)(r1 - r0), Nn = (int)j->cog, K = (int)j->depth, ldc = (int)j->co;
    const char *W = j->w + (size_t)(g * j->cog) * (size_t)j->depth * j->isz;
    char *C = j->out + ((size_t)r0 * (size_t)j->co + (size_t)(g * j->cog)) * j->isz;
    if (j->dt == EM_FLOAT32)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, Nn, K, 1.0f,
                    (const float *)(const void *)col, K, (const float *)(const void *)W, K, 0.0f,
                    (float *)(void *)C, ldc);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, Nn, K, 1.0,
                    (const double *)(const void *)col, K, (const double *)(const void *)W, K, 0.0,
                    (double *)(void *)C, ldc);
}

static void run_tiles(void *v, int64_t b, int64_t e) {
    conv_job *j = v;
    char *col = malloc((size_t)j->tile * (size_t)j->depth * j->isz);
    if (!col) {
        atomic_store(&j->failed, 1);
        return;
    }
    for (int64_t t = b; t < e; t++) {
        int64_t r0 = t * j->tile, r1 = r0 + j->tile < j->rows ? r0 + j->tile : j->rows;
        for (int64_t g = 0; g < j->groups; g++) {
            pack(j, r0, r1, g, col);
            gemm(j, r0, r1, g, col);
        }
    }
    free(col);
}

/* A dense copy of a (malloc), or NULL with the error set. */
static char *dense(const em_array *a) {
    char *c = malloc((size_t)(a->size ? a->size : 1) * array_itemsize(a));
    if (!c) error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
    else dense_copy(a, c);
    return c;
}

/* Fills j from the params, x, the kernel sizes K and output sizes O (nd
 * each), C_out and the dtype; allocates *xcopy (an input whose channels
 * are not contiguous, copied) and *idx (the index tables). */
static em_status job_setup(conv_job *j, const em_conv_params *p, const em_array *x,
                           const int64_t *K, const int64_t *O, int64_t co, char **xcopy,
                           int64_t **idx) {
    int nd = p->nd, off = 3 - nd;
    *xcopy = NULL;
    *idx = NULL;
    j->isz = array_itemsize(x);
    j->dt = x->dtype;
    j->N = x->shape[0];
    j->ci = x->shape[nd + 1];
    j->co = co;
    j->groups = p->groups;
    j->cig = j->ci / j->groups;
    j->cog = j->co / j->groups;
    j->Kt = j->Ot = 1;
    for (int d = 0; d < 3; d++) {
        bool real = d >= off;
        j->S[d] = real ? x->shape[1 + d - off] : 1;
        j->K[d] = real ? K[d - off] : 1;
        j->O[d] = real ? O[d - off] : 1;
        j->Kt *= j->K[d];
        j->Ot *= j->O[d];
    }
    j->depth = j->Kt * j->cig;
    j->rows = j->N * j->Ot;
    if (j->depth > INT_MAX || j->co > INT_MAX)
        return error_status(EM_ERR_VALUE, "[conv] Sizes exceed BLAS's 32-bit limits.");
    if (x->strides[nd + 1] != 1 && j->cig > 1) {
        if (!(*xcopy = dense(x))) return EM_ERR_MEMORY;
        j->x = *xcopy;
        int64_t s = j->ci;
        for (int d = 2; d >= 0; d--) {
            j->xs[d] = s;
            s *= j->S[d];
        }
        j->xs_n = s;
        j->xs_c = 1;
    } else {
        j->x = array_ptr(x);
        j->xs_n = x->strides[0];
        for (int d = 0; d < 3; d++) j->xs[d] = d >= off ? x->strides[1 + d - off] : 0;
        j->xs_c = x->strides[nd + 1];
    }
    int64_t nidx = j->O[0] * j->K[0] + j->O[1] * j->K[1] + j->O[2] * j->K[2];
    int64_t *q = *idx = malloc((size_t)(nidx ? nidx : 1) * sizeof *q);
    if (!q) return error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
    for (int d = 0; d < 3; d++) {
        j->idx[d] = q;
        bool real = d >= off;
        int64_t stride = real ? p->stride[d - off] : 1, kdil = real ? p->kdil[d - off] : 1,
                idil = real ? p->idil[d - off] : 1, lo = real ? p->lo[d - off] : 0;
        bool flip = real && p->flip;
        for (int64_t oo = 0; oo < j->O[d]; oo++)
            for (int64_t t = 0; t < j->K[d]; t++) {
                int64_t tap = flip ? j->K[d] - 1 - t : t;
                int64_t pos = oo * stride + tap * kdil - lo;
                int64_t i = -1;
                if (pos >= 0 && pos % idil == 0 && pos / idil < j->S[d]) i = pos / idil;
                *q++ = i;
            }
    }
    /* tiles of rows: near TILE_BYTES of packed input (at least 8 rows) */
    int64_t rowbytes = j->depth * (int64_t)j->isz;
    int64_t tile = rowbytes ? TILE_BYTES / rowbytes : 1;
    j->tile = tile < 8 ? 8 : tile;
    atomic_init(&j->failed, 0);
    return EM_OK;
}

static em_status conv_forward(const em_node *n, const em_array *x, const em_array *w, em_array *o) {
    const em_conv_params *p = (const em_conv_params *)(const void *)n->params;
    int nd = p->nd;
    conv_job j;
    memset(&j, 0, sizeof j);
    char *xcopy, *wcopy = NULL;
    int64_t *idx;
    em_status st = job_setup(&j, p, x, w->shape + 1, o->shape + 1, w->shape[0], &xcopy, &idx);
    j.out = array_ptr(o);
    if (st == EM_OK && j.depth == 0) {
        memset(j.out, 0, (size_t)o->size * j.isz);
    } else if (st == EM_OK) {
        j.w = array_ptr(w);
        if (!(w->flags & EM_AF_ROW_CONTIG) && !(j.w = wcopy = dense(w))) st = EM_ERR_MEMORY;
    }
    if (st == EM_OK && j.depth > 0) {
        /* enough tiles to share among the threads */
        int threads = cpu_pool_threads();
        if (threads > 1) {
            int64_t share = (j.rows + 4 * threads - 1) / (4 * threads);
            if (share < j.tile) j.tile = share < 32 ? 32 : share;
        }
        if (j.tile > j.rows) j.tile = j.rows;
        int64_t ntiles = (j.rows + j.tile - 1) / j.tile;
        double flops = (double)j.rows * (double)j.co * (double)j.depth;
        if (flops < 4e6 || threads < 2) run_tiles(&j, 0, ntiles);
        else cpu_pool_parallel_for(ntiles, 1, run_tiles, &j);
        if (atomic_load(&j.failed)) st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
    }
    (void)nd;
    free(idx);
    free(xcopy);
    free(wcopy);
    return st;
}

/* ---------------------------------------------------------------- weight gradient */

/* part (cog x depth per group, ldc depth) += g[r0:r1, group]^T @ col. */
static void gemm_acc(const conv_job *j, int64_t r0, int64_t r1, int64_t g, const char *col,
                     char *part) {
    int M = (int)j->cog, Nn = (int)j->depth, K = (int)(r1 - r0), lda = (int)j->co;
    const char *A = j->g + ((size_t)r0 * (size_t)j->co + (size_t)(g * j->cog)) * j->isz;
    char *C = part + (size_t)(g * j->cog) * (size_t)j->depth * j->isz;
    if (j->dt == EM_FLOAT32)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, Nn, K, 1.0f,
                    (const float *)(const void *)A, lda, (const float *)(const void *)col, Nn,
                    1.0f, (float *)(void *)C, Nn);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, Nn, K, 1.0,
                    (const double *)(const void *)A, lda, (const double *)(const void *)col, Nn,
                    1.0, (double *)(void *)C, Nn);
}

static void run_chunks(void *v, int64_t b, int64_t e) {
    conv_job *j = v;
    int64_t tile = j->tile < j->chunk_rows ? j->tile : j->chunk_rows;
    char *col = malloc((size_t)tile * (size_t)j->depth * j->isz);
    if (!col) {
        atomic_store(&j->failed, 1);
        return;
    }
    size_t wsize = (size_t)j->co * (size_t)j->depth * j->isz;
    for (int64_t c = b; c < e; c++) {
        char *part = j->part + (size_t)c * wsize;
        int64_t end = (c + 1) * j->chunk_rows < j->rows ? (c + 1) * j->chunk_rows : j->rows;
        for (int64_t r0 = c * j->chunk_rows; r0 < end; r0 += tile) {
            int64_t r1 = r0 + tile < end ? r0 + tile : end;
            for (int64_t g = 0; g < j->groups; g++) {
                pack(j, r0, r1, g, col);
                gemm_acc(j, r0, r1, g, col, part);
            }
        }
    }
    free(col);
}

enum { WGRAD_MAX_CHUNKS = 32 };
#define WGRAD_CHUNK_FLOPS 16e6
#define WGRAD_PARTIAL_BYTES (64.0 * 1024 * 1024)

static em_status conv_weight_grad(const em_node *n, const em_array *x, const em_array *g,
                                  em_array *o) {
    const em_conv_wgrad_params *wp = (const em_conv_wgrad_params *)(const void *)n->params;
    const em_conv_params *p = &wp->conv;
    int nd = p->nd;
    conv_job j;
    memset(&j, 0, sizeof j);
    char *xcopy, *gcopy = NULL, *parts = NULL;
    int64_t *idx;
    em_status st = job_setup(&j, p, x, o->shape + 1, g->shape + 1, g->shape[nd + 1], &xcopy, &idx);
    j.out = array_ptr(o);
    size_t wsize = (size_t)o->size * j.isz;
    if (st == EM_OK && (j.rows == 0 || j.depth == 0)) {
        memset(j.out, 0, wsize);
    } else if (st == EM_OK) {
        j.g = array_ptr(g);
        if (!(g->flags & EM_AF_ROW_CONTIG) && !(j.g = gcopy = dense(g))) st = EM_ERR_MEMORY;
    }
    if (st == EM_OK && j.rows > 0 && j.depth > 0) {
        /* chunks fixed by the problem's size: enough work each, bounded
         * memory for the partial gradients */
        double flops = (double)j.rows * (double)j.co * (double)j.depth;
        int64_t nch = (int64_t)(flops / WGRAD_CHUNK_FLOPS);
        int64_t by_mem = (int64_t)(WGRAD_PARTIAL_BYTES / (double)(wsize ? wsize : 1));
        if (nch > WGRAD_MAX_CHUNKS) nch = WGRAD_MAX_CHUNKS;
        if (nch > by_mem) nch = by_mem;
        if (nch > j.rows) nch = j.rows;
        if (nch < 1) nch = 1;
        j.chunk_rows = (j.rows + nch - 1) / nch;
        nch = (j.rows + j.chunk_rows - 1) / j.chunk_rows;
        if (nch == 1) {
            j.part = j.out;
            memset(j.out, 0, wsize);
        } else if (!(j.part = parts = calloc((size_t)nch, wsize))) {
            st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
        }
        if (st == EM_OK) {
            if (nch == 1 || cpu_pool_threads() < 2) run_chunks(&j, 0, nch);
            else cpu_pool_parallel_for(nch, 1, run_chunks, &j);
            if (atomic_load(&j.failed)) st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
        }
        if (st == EM_OK && nch > 1) {
            int64_t len = o->size;
            if (j.dt == EM_FLOAT32) {
                float *dst = (float *)(void *)j.out;
                const float *src = (const float *)(const void *)parts;
                memcpy(dst, src, wsize);
                for (int64_t c = 1; c < nch; c++)
                    for (int64_t i = 0; i < len; i++) dst[i] += src[c * len + i];
            } else {
                double *dst = (double *)(void *)j.out;
                const double *src = (const double *)(const void *)parts;
                memcpy(dst, src, wsize);
                for (int64_t c = 1; c < nch; c++)
                    for (int64_t i = 0; i < len; i++) dst[i] += src[c * len + i];
            }
        }
    }
    free(parts);
    free(idx);
    free(xcopy);
    free(gcopy);
    return st;
}

/* ---------------------------------------------------------------- input gradient */

/* Adds col (rows [r0, r1) of group g, as packed) into the input gradient
 * j->x (dense, written through a cast). */
static void unpack_add(const conv_job *j, int64_t r0, int64_t r1, int64_t g, const char *col) {
    size_t isz = j->isz;
    int64_t cig = j->cig;
    for (int64_t r = r0; r < r1; r++) {
        int64_t n = r / j->Ot, o = r % j->Ot;
        int64_t o2 = o % j->O[2], o1 = (o / j->O[2]) % j->O[1], o0 = o / (j->O[2] * j->O[1]);
        const int64_t *i0 = j->idx[0] + o0 * j->K[0], *i1 = j->idx[1] + o1 * j->K[1],
                      *i2 = j->idx[2] + o2 * j->K[2];
        char *xb = (char *)j->x + (n * j->xs_n + g * cig) * (int64_t)isz;
        const char *src = col + (size_t)(r - r0) * (size_t)j->depth * isz;
        for (int64_t a = 0; a < j->K[0]; a++)
            for (int64_t b = 0; b < j->K[1]; b++) {
                bool rowok = i0[a] >= 0 && i1[b] >= 0;
                int64_t base = rowok ? i0[a] * j->xs[0] + i1[b] * j->xs[1] : 0;
                for (int64_t c = 0; c < j->K[2]; c++, src += (size_t)cig * isz) {
                    if (!rowok || i2[c] < 0) continue;
                    char *dst = xb + (base + i2[c] * j->xs[2]) * (int64_t)isz;
                    if (j->dt == EM_FLOAT32) {
                        float *d = (float *)(void *)dst;
                        const float *s = (const float *)(const void *)src;
                        for (int64_t k = 0; k < cig; k++) d[k] += s[k];
                    } else {
                        double *d = (double *)(void *)dst;
                        const double *s = (const double *)(const void *)src;
                        for (int64_t k = 0; k < cig; k++) d[k] += s[k];
                    }
                }
            }
    }
}

/* col (rows x depth) = g[r0:r1, group] @ W_group. */
static void gemm_cols(const conv_job *j, int64_t r0, int64_t r1, int64_t g, char *col) {
    int M = (int)(r1 - r0), Nn = (int)j->depth, K = (int)j->cog, lda = (int)j->co;
    const char *A = j->g + ((size_t)r0 * (size_t)j->co + (size_t)(g * j->cog)) * j->isz;
    const char *W = j->w + (size_t)(g * j->cog) * (size_t)j->depth * j->isz;
    if (j->dt == EM_FLOAT32)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, Nn, K, 1.0f,
                    (const float *)(const void *)A, lda, (const float *)(const void *)W, Nn, 0.0f,
                    (float *)(void *)col, Nn);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, Nn, K, 1.0,
                    (const double *)(const void *)A, lda, (const double *)(const void *)W, Nn, 0.0,
                    (double *)(void *)col, Nn);
}

static void run_images(void *v, int64_t b, int64_t e) {
    conv_job *j = v;
    int64_t tile = j->tile < j->Ot ? j->tile : j->Ot;
    char *col = malloc((size_t)tile * (size_t)j->depth * j->isz);
    if (!col) {
        atomic_store(&j->failed, 1);
        return;
    }
    for (int64_t n = b; n < e; n++) {
        int64_t end = (n + 1) * j->Ot;
        for (int64_t r0 = n * j->Ot; r0 < end; r0 += tile) {
            int64_t r1 = r0 + tile < end ? r0 + tile : end;
            for (int64_t g = 0; g < j->groups; g++) {
                gemm_cols(j, r0, r1, g, col);
                unpack_add(j, r0, r1, g, col);
            }
        }
    }
    free(col);
}

static em_status conv_input_grad(const em_node *n, const em_array *g, const em_array *w,
                                 em_array *o) {
    const em_conv_igrad_params *ip = (const em_conv_igrad_params *)(const void *)n->params;
    const em_conv_params *p = &ip->conv;
    int nd = p->nd;
    conv_job j;
    memset(&j, 0, sizeof j);
    char *xcopy, *gcopy = NULL, *wcopy = NULL;
    int64_t *idx;
    /* the output plays the input's part (dense: job_setup copies nothing) */
    em_status st = job_setup(&j, p, o, w->shape + 1, g->shape + 1, w->shape[0], &xcopy, &idx);
    memset(array_ptr(o), 0, (size_t)o->size * j.isz);
    if (st == EM_OK && j.rows > 0 && j.depth > 0 && j.co > 0) {
        j.g = array_ptr(g);
        j.w = array_ptr(w);
        if (!(g->flags & EM_AF_ROW_CONTIG) && !(j.g = gcopy = dense(g))) st = EM_ERR_MEMORY;
        if (st == EM_OK && !(w->flags & EM_AF_ROW_CONTIG) && !(j.w = wcopy = dense(w)))
            st = EM_ERR_MEMORY;
    } else {
        j.rows = 0;
    }
    if (st == EM_OK && j.rows > 0) {
        double flops = (double)j.rows * (double)j.co * (double)j.depth;
        if (flops < 4e6 || j.N < 2 || cpu_pool_threads() < 2) run_images(&j, 0, j.N);
        else cpu_pool_parallel_for(j.N, 1, run_images, &j);
        if (atomic_load(&j.failed)) st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
    }
    (void)nd;
    free(idx);
    free(xcopy);
    free(gcopy);
    free(wcopy);
    return st;
}

em_status cpu_conv_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    em_dtype dt = out[0]->dtype;
    if (dt != EM_FLOAT32 && dt != EM_FLOAT64) return cpu_unsupported(n, dt);
    if (out[0]->size == 0) return EM_OK;
    switch (n->prim) {
    case EM_PRIM_CONV: return conv_forward(n, in[0], in[1], out[0]);
    case EM_PRIM_CONV_WEIGHT_GRAD: return conv_weight_grad(n, in[0], in[1], out[0]);
    case EM_PRIM_CONV_INPUT_GRAD: return conv_input_grad(n, in[0], in[1], out[0]);
    default: return cpu_unsupported(n, dt);
    }
}
