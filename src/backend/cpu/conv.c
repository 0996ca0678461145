/* conv.c -- CPU kernel of CONV (contract in src/ops/conv.c).
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
    const char *x, *w;
    char *out;
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

static em_status conv_run(const em_node *n, const em_array *x, const em_array *w, em_array *o) {
    const em_conv_params *p = (const em_conv_params *)(const void *)n->params;
    conv_job j;
    memset(&j, 0, sizeof j);
    int nd = p->nd, off = 3 - nd;
    j.isz = array_itemsize(o);
    j.dt = o->dtype;
    j.out = array_ptr(o);
    j.N = x->shape[0];
    j.ci = x->shape[nd + 1];
    j.co = w->shape[0];
    j.groups = p->groups;
    j.cig = j.ci / j.groups;
    j.cog = j.co / j.groups;
    j.Kt = j.Ot = 1;
    for (int d = 0; d < 3; d++) {
        bool real = d >= off;
        j.S[d] = real ? x->shape[1 + d - off] : 1;
        j.K[d] = real ? w->shape[1 + d - off] : 1;
        j.O[d] = real ? o->shape[1 + d - off] : 1;
        j.Kt *= j.K[d];
        j.Ot *= j.O[d];
    }
    j.depth = j.Kt * j.cig;
    j.rows = j.N * j.Ot;
    if (j.depth == 0) {
        memset(array_ptr(o), 0, (size_t)o->size * j.isz);
        return EM_OK;
    }
    if (j.depth > INT_MAX || j.co > INT_MAX)
        return error_status(EM_ERR_VALUE, "[conv] Sizes exceed BLAS's 32-bit limits.");

    em_status st = EM_OK;
    char *xcopy = NULL, *wcopy = NULL;
    if (x->strides[nd + 1] != 1 && j.cig > 1) {
        xcopy = malloc((size_t)x->size * j.isz);
        if (!xcopy) return error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
        dense_copy(x, xcopy);
        j.x = xcopy;
        int64_t s = j.ci;
        for (int d = 2; d >= 0; d--) {
            j.xs[d] = s;
            s *= j.S[d];
        }
        j.xs_n = s;
        j.xs_c = 1;
    } else {
        j.x = array_ptr(x);
        j.xs_n = x->strides[0];
        for (int d = 0; d < 3; d++) j.xs[d] = d >= off ? x->strides[1 + d - off] : 0;
        j.xs_c = x->strides[nd + 1];
    }
    if (!(w->flags & EM_AF_ROW_CONTIG)) {
        wcopy = malloc((size_t)w->size * j.isz);
        if (!wcopy) st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
        else dense_copy(w, wcopy);
        j.w = wcopy;
    } else {
        j.w = array_ptr(w);
    }
    int64_t nidx = j.O[0] * j.K[0] + j.O[1] * j.K[1] + j.O[2] * j.K[2];
    int64_t *idx = st == EM_OK ? malloc((size_t)nidx * sizeof *idx) : NULL;
    if (st == EM_OK && !idx) st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
    if (st == EM_OK) {
        int64_t *q = idx;
        for (int d = 0; d < 3; d++) {
            j.idx[d] = q;
            bool real = d >= off;
            int64_t stride = real ? p->stride[d - off] : 1, kdil = real ? p->kdil[d - off] : 1,
                    idil = real ? p->idil[d - off] : 1, lo = real ? p->lo[d - off] : 0;
            bool flip = real && p->flip;
            for (int64_t oo = 0; oo < j.O[d]; oo++)
                for (int64_t t = 0; t < j.K[d]; t++) {
                    int64_t tap = flip ? j.K[d] - 1 - t : t;
                    int64_t pos = oo * stride + tap * kdil - lo;
                    int64_t i = -1;
                    if (pos >= 0 && pos % idil == 0 && pos / idil < j.S[d]) i = pos / idil;
                    *q++ = i;
                }
        }
        /* tiles of rows: near TILE_BYTES of packed input, and enough of them
         * to share among the threads */
        int64_t rowbytes = j.depth * (int64_t)j.isz;
        int64_t tile = TILE_BYTES / rowbytes;
        if (tile < 8) tile = 8;
        int threads = cpu_pool_threads();
        if (threads > 1) {
            int64_t share = (j.rows + 4 * threads - 1) / (4 * threads);
            if (share < tile) tile = share < 32 ? 32 : share;
        }
        if (tile > j.rows) tile = j.rows;
        j.tile = tile;
        int64_t ntiles = (j.rows + tile - 1) / tile;
        atomic_init(&j.failed, 0);
        double flops = (double)j.rows * (double)j.co * (double)j.depth;
        if (flops < 4e6 || threads < 2) run_tiles(&j, 0, ntiles);
        else cpu_pool_parallel_for(ntiles, 1, run_tiles, &j);
        if (atomic_load(&j.failed)) st = error_status(EM_ERR_MEMORY, "[conv] Out of memory.");
    }
    free(idx);
    free(xcopy);
    free(wcopy);
    return st;
}

em_status cpu_conv_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (n->prim != EM_PRIM_CONV) return cpu_unsupported(n, in[0]->dtype);
    em_dtype dt = out[0]->dtype;
    if (dt != EM_FLOAT32 && dt != EM_FLOAT64) return cpu_unsupported(n, dt);
    if (out[0]->size == 0) return EM_OK;
    return conv_run(n, in[0], in[1], out[0]);
}
