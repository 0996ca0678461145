/* matmul.c -- CPU kernel of MATMUL (contract in src/ops/matmul.c).
 *
 * float32, float64 and complex64 go to BLAS (sgemm, dgemm, cgemm); a matrix
 * whose strides BLAS can express (row-major with a leading dimension, or the
 * transpose of one) is passed in place with the matching trans flag, any other
 * (broadcast inside the matrix, negative or doubly strided) is first copied
 * into a dense scratch matrix; matrix-vector products use gemv. float16 and
 * bfloat16 are widened to float32, multiplied with sgemm and rounded back, as
 * MLX does on the CPU. Integers and bool use a blocked i-k-j loop over any
 * strides, in wrapping unsigned arithmetic (NumPy's result, without
 * signed-overflow UB).
 *
 * Batches are looped; when b is shared by every batch and a is row-major
 * dense, the batches fold into the rows of one product (x @ W with x of shape
 * (batch, seq, d) is one gemm). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "../../core/error.h"
#include "kernels.h"
#include "pool.h"

/* One operand seen as a batch of R x C matrices: element (i, j) of batch
 * offset o is at base + (o + i*rs + j*cs) * itemsize; offsets in elements. */
typedef struct operand {
    char *base;
    int64_t rows, cols, rs, cs;
    int64_t bstride[EM_MAX_NDIM]; /* per output batch dim (0 for vectors) */
} operand;

typedef struct plan {
    operand a, b;
    int nbatch;
    int64_t batch[EM_MAX_NDIM];
    int64_t nb; /* number of batches */
    int64_t M, N, K;
    char *c;    /* the output, dense (nb, M, N) */
    size_t isz;
} plan;

static void plan_make(plan *p, const em_array *a, const em_array *b, em_array *out) {
    bool av = a->ndim == 1, bv = b->ndim == 1;
    p->nbatch = out->ndim - (av ? 0 : 1) - (bv ? 0 : 1);
    p->nb = 1;
    for (int d = 0; d < p->nbatch; d++) p->nb *= p->batch[d] = out->shape[d];
    p->isz = array_itemsize(out);
    p->c = array_ptr(out);

    operand *x = &p->a;
    x->base = array_ptr(a);
    x->cols = a->shape[a->ndim - 1];
    x->cs = a->strides[a->ndim - 1];
    x->rows = av ? 1 : a->shape[a->ndim - 2];
    x->rs = av ? 0 : a->strides[a->ndim - 2];
    for (int d = 0; d < p->nbatch; d++) x->bstride[d] = av ? 0 : a->strides[d];

    x = &p->b;
    x->base = array_ptr(b);
    x->rows = b->shape[bv ? 0 : b->ndim - 2];
    x->rs = b->strides[bv ? 0 : b->ndim - 2];
    x->cols = bv ? 1 : b->shape[b->ndim - 1];
    x->cs = bv ? 0 : b->strides[b->ndim - 1];
    for (int d = 0; d < p->nbatch; d++) x->bstride[d] = bv ? 0 : b->strides[d];

    p->M = p->a.rows;
    p->K = p->a.cols;
    p->N = p->b.cols;

    /* Fold the batches into M when b is the same matrix for every batch and
     * a's batches follow each other densely in rows of K. */
    if (!av && p->nbatch > 0 && (a->flags & EM_AF_ROW_CONTIG)) {
        bool shared = true;
        for (int d = 0; d < p->nbatch && shared; d++)
            shared = p->batch[d] == 1 || p->b.bstride[d] == 0;
        if (shared) {
            p->M *= p->nb;
            p->a.rows = p->M;
            p->a.rs = p->K;
            p->a.cs = 1;
            p->nb = 1;
            p->nbatch = 0;
        }
    }
}

/* The element offsets of batch number t (row-major over p->batch). */
static void batch_offsets(const plan *p, int64_t t, int64_t *oa, int64_t *ob) {
    int64_t ra = 0, rb = 0;
    for (int d = p->nbatch - 1; d >= 0; d--) {
        int64_t i = t % p->batch[d];
        t /= p->batch[d];
        ra += i * p->a.bstride[d];
        rb += i * p->b.bstride[d];
    }
    *oa = ra;
    *ob = rb;
}

/* ---------------------------------------------------------------- BLAS */

/* Whether BLAS can read x in place: as a row-major matrix (NoTrans, element
 * (i,j) at i*ld + j) or as the transpose of one (Trans, at j*ld + i). */
static bool blas_layout(const operand *x, enum CBLAS_TRANSPOSE *t, int64_t *ld) {
    int64_t R = x->rows, C = x->cols;
    int64_t one_c = C > 1 ? C : 1, one_r = R > 1 ? R : 1;
    if (C <= 1 || x->cs == 1) {
        int64_t l = R <= 1 ? one_c : x->rs;
        if (l >= one_c && l <= INT_MAX) {
            *t = CblasNoTrans;
            *ld = l;
            return true;
        }
    }
    if (R <= 1 || x->rs == 1) {
        int64_t l = C <= 1 ? one_r : x->cs;
        if (l >= one_r && l <= INT_MAX) {
            *t = CblasTrans;
            *ld = l;
            return true;
        }
    }
    return false;
}

/* Copies matrix x at element offset o into dense row-major dst (R x C). */
static void gather(const operand *x, int64_t o, size_t isz, char *dst) {
    const char *src = x->base + o * (int64_t)isz;
    for (int64_t i = 0; i < x->rows; i++)
        for (int64_t j = 0; j < x->cols; j++, dst += isz)
            memcpy(dst, src + (i * x->rs + j * x->cs) * (int64_t)isz, isz);
}

/* Widens matrix x at offset o to dense row-major float32. */
static void gather_f32(const operand *x, int64_t o, em_dtype dt, float *dst) {
    for (int64_t i = 0; i < x->rows; i++)
        for (int64_t j = 0; j < x->cols; j++) {
            int64_t e = o + i * x->rs + j * x->cs;
            if (dt == EM_FLOAT16) *dst++ = em_f16_to_f32(((const em_f16 *)(const void *)x->base)[e]);
            else *dst++ = em_bf16_to_f32(((const em_bf16 *)(const void *)x->base)[e]);
        }
}

/* One operand's source for a gemm: in place, or a scratch matrix refilled
 * only when the batch offset changes (broadcast batches copy once). */
typedef struct source {
    bool direct;
    enum CBLAS_TRANSPOSE t;
    int64_t ld;
    char *scratch;
    int64_t last; /* the offset held by scratch, -1 before the first */
} source;

static em_status source_init(source *s, const operand *x, size_t isz, bool widen) {
    s->scratch = NULL;
    s->last = -1;
    s->direct = !widen && blas_layout(x, &s->t, &s->ld);
    if (s->direct) return EM_OK;
    s->t = CblasNoTrans;
    s->ld = x->cols > 1 ? x->cols : 1;
    size_t n = (size_t)(x->rows * x->cols);
    s->scratch = malloc((n ? n : 1) * (widen ? sizeof(float) : isz));
    if (!s->scratch) return error_status(EM_ERR_MEMORY, "[matmul] Out of memory for a scratch matrix.");
    return EM_OK;
}

static const void *source_get(source *s, const operand *x, int64_t o, size_t isz, em_dtype dt) {
    if (s->direct) return x->base + o * (int64_t)isz;
    if (s->last != o) {
        if (dt == EM_FLOAT16 || dt == EM_BFLOAT16) gather_f32(x, o, dt, (float *)(void *)s->scratch);
        else gather(x, o, isz, s->scratch);
        s->last = o;
    }
    return s->scratch;
}

/* C (M x N, leading dimension ldc) = A B with BLAS in dtype cdt (float32,
 * float64 or complex64), each operand described by its trans flag and
 * leading dimension. A vector operand (M == 1 or N == 1) goes to gemv, which
 * OpenBLAS runs several times faster than a gemm of one column. */
static void product1(em_dtype cdt, int M, int N, int K, enum CBLAS_TRANSPOSE ta, const void *A,
                     int lda, enum CBLAS_TRANSPOSE tb, const void *B, int ldb, void *C, int ldc) {
    static const float c_one[2] = {1, 0}, c_zero[2] = {0, 0};
    if (N == 1 || M == 1) {
        /* N == 1: C = op(A) x, x the column of B; M == 1: C = op(B)^T x, x
         * the row of A. The vector's step follows from its flag: a column
         * (K x 1) stored NoTrans steps by ld, a row (1 x K) Trans by ld. */
        bool col = N == 1;
        enum CBLAS_TRANSPOSE tm = col ? ta : tb;
        const void *mat = col ? A : B, *x = col ? B : A;
        int ldm = col ? lda : ldb;
        int inc = col ? (tb == CblasNoTrans ? ldb : 1) : (ta == CblasNoTrans ? 1 : lda);
        int incc = col ? ldc : 1;
        int rows = col ? M : N; /* the length of the result */
        /* stored row-major as (rows x K) when op is "no transpose" for a
         * column product, else as (K x rows) */
        bool stored_rows = col ? tm == CblasNoTrans : tm == CblasTrans;
        enum CBLAS_TRANSPOSE t = stored_rows ? CblasNoTrans : CblasTrans;
        int sm = stored_rows ? rows : K, sn = stored_rows ? K : rows;
        switch (cdt) {
        case EM_FLOAT32: cblas_sgemv(CblasRowMajor, t, sm, sn, 1.0f, mat, ldm, x, inc, 0.0f, C, incc); break;
        case EM_FLOAT64: cblas_dgemv(CblasRowMajor, t, sm, sn, 1.0, mat, ldm, x, inc, 0.0, C, incc); break;
        default: cblas_cgemv(CblasRowMajor, t, sm, sn, c_one, mat, ldm, x, inc, c_zero, C, incc); break;
        }
        return;
    }
    switch (cdt) {
    case EM_FLOAT32: cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc); break;
    case EM_FLOAT64: cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc); break;
    default: cblas_cgemm(CblasRowMajor, ta, tb, M, N, K, c_one, A, lda, B, ldb, c_zero, C, ldc); break;
    }
}

/* Threads: BLAS runs single-threaded (pool.h), so a large product is cut
 * into blocks of rows of C (or of columns, when C is wide and short), one
 * BLAS call each, over the pool. Each element of C is computed by one call
 * either way, so the cut does not change results beyond what BLAS's own
 * blocking does. */
enum { SPLIT_ALIGN = 64 };
#define SPLIT_MIN_FLOPS 4e6  /* multiply-adds a share is worth */

typedef struct {
    em_dtype cdt;
    int M, N, K, lda, ldb;
    enum CBLAS_TRANSPOSE ta, tb;
    const char *A, *B;
    char *C;
    size_t isz;
    bool rows;   /* cut M (else N) */
} product_job;

static void product_part(void *v, int64_t b, int64_t e) {
    const product_job *j = v;
    int lo = (int)(b * SPLIT_ALIGN), hi = (int)(e * SPLIT_ALIGN);
    if (j->rows) {
        if (hi > j->M) hi = j->M;
        /* row i of op(A): at i*lda (NoTrans) or at column i (Trans) */
        const char *A = j->A + (size_t)lo * (j->ta == CblasNoTrans ? (size_t)j->lda : 1) * j->isz;
        product1(j->cdt, hi - lo, j->N, j->K, j->ta, A, j->lda, j->tb, j->B, j->ldb,
                 j->C + (size_t)lo * (size_t)j->N * j->isz, j->N);
    } else {
        if (hi > j->N) hi = j->N;
        /* column jj of op(B): at column jj (NoTrans) or at jj*ldb (Trans) */
        const char *B = j->B + (size_t)lo * (j->tb == CblasNoTrans ? 1 : (size_t)j->ldb) * j->isz;
        product1(j->cdt, j->M, hi - lo, j->K, j->ta, j->A, j->lda, j->tb, B, j->ldb,
                 j->C + (size_t)lo * j->isz, j->N);
    }
}

static void product(em_dtype cdt, int M, int N, int K, enum CBLAS_TRANSPOSE ta, const void *A,
                    int lda, enum CBLAS_TRANSPOSE tb, const void *B, int ldb, void *C) {
    double flops = (double)M * N * K;
    int cut = M >= N ? M : N;
    if (flops < 2 * SPLIT_MIN_FLOPS || cut < 2 * SPLIT_ALIGN || cpu_pool_threads() < 2) {
        product1(cdt, M, N, K, ta, A, lda, tb, B, ldb, C, N);
        return;
    }
    product_job j = {cdt, M, N, K, lda, ldb, ta, tb, A, B, C, em_dtype_size(cdt), M >= N};
    int64_t blocks = (cut + SPLIT_ALIGN - 1) / SPLIT_ALIGN;
    double per_block = flops / (double)blocks;
    int64_t grain = per_block >= SPLIT_MIN_FLOPS ? 1 : (int64_t)(SPLIT_MIN_FLOPS / per_block) + 1;
    cpu_pool_parallel_for(blocks, grain, product_part, &j);
}

static em_status matmul_blas(const plan *p, em_dtype dt) {
    if (p->M > INT_MAX || p->N > INT_MAX || p->K > INT_MAX)
        return error_status(EM_ERR_VALUE,
                            "[matmul] Matrices of %lld x %lld x %lld exceed BLAS's 32-bit sizes.",
                            (long long)p->M, (long long)p->N, (long long)p->K);
    bool half = dt == EM_FLOAT16 || dt == EM_BFLOAT16;
    source sa, sb;
    em_status st = source_init(&sa, &p->a, p->isz, half);
    if (st == EM_OK) st = source_init(&sb, &p->b, p->isz, half);
    else sb.scratch = NULL;
    float *cf = NULL;
    if (st == EM_OK && half) {
        cf = malloc((size_t)(p->M * p->N) * sizeof *cf);
        if (!cf) st = error_status(EM_ERR_MEMORY, "[matmul] Out of memory for a scratch matrix.");
    }
    for (int64_t t = 0; t < p->nb && st == EM_OK; t++) {
        int64_t oa, ob;
        batch_offsets(p, t, &oa, &ob);
        const void *A = source_get(&sa, &p->a, oa, p->isz, dt);
        const void *B = source_get(&sb, &p->b, ob, p->isz, dt);
        char *C = p->c + t * p->M * p->N * (int64_t)p->isz;
        product(half ? EM_FLOAT32 : dt, (int)p->M, (int)p->N, (int)p->K, sa.t, A, (int)sa.ld, sb.t, B,
                (int)sb.ld, half ? (void *)cf : (void *)C);
        if (half)
            for (int64_t i = 0; i < p->M * p->N; i++) {
                if (dt == EM_FLOAT16) ((em_f16 *)(void *)C)[i] = em_f32_to_f16(cf[i]);
                else ((em_bf16 *)(void *)C)[i] = em_f32_to_bf16(cf[i]);
            }
    }
    free(sa.scratch);
    free(sb.scratch);
    free(cf);
    return st;
}

/* ---------------------------------------------------------------- integers */

enum { BLOCK_I = 32, BLOCK_K = 128, BLOCK_J = 512 };

/* C[M x N] (dense, zeroed) += A * B over any strides. T is the element type,
 * U its unsigned twin (how C is written) and W the unsigned type the products
 * are formed in (at least unsigned int, so nothing promotes to signed int). */
#define MATMUL_INT(suffix, T, U, W)                                            \
    static void matmul_##suffix(const plan *p, int64_t oa, int64_t ob, char *cp) { \
        const T *A = (const T *)(const void *)p->a.base + oa;                  \
        const T *B = (const T *)(const void *)p->b.base + ob;                  \
        U *C = (U *)(void *)cp;                                                \
        int64_t M = p->M, N = p->N, K = p->K;                                  \
        int64_t ars = p->a.rs, acs = p->a.cs, brs = p->b.rs, bcs = p->b.cs;    \
        for (int64_t i0 = 0; i0 < M; i0 += BLOCK_I)                            \
            for (int64_t k0 = 0; k0 < K; k0 += BLOCK_K)                        \
                for (int64_t j0 = 0; j0 < N; j0 += BLOCK_J) {                  \
                    int64_t i1 = i0 + BLOCK_I < M ? i0 + BLOCK_I : M;          \
                    int64_t k1 = k0 + BLOCK_K < K ? k0 + BLOCK_K : K;          \
                    int64_t j1 = j0 + BLOCK_J < N ? j0 + BLOCK_J : N;          \
                    for (int64_t i = i0; i < i1; i++) {                        \
                        U *c = C + i * N;                                      \
                        for (int64_t k = k0; k < k1; k++) {                    \
                            W aik = (W)A[i * ars + k * acs];                   \
                            if (aik == 0) continue;                            \
                            const T *b = B + k * brs;                          \
                            if (bcs == 1)                                      \
                                for (int64_t j = j0; j < j1; j++)              \
                                    c[j] = (U)(c[j] + aik * (W)b[j]);          \
                            else                                               \
                                for (int64_t j = j0; j < j1; j++)              \
                                    c[j] = (U)(c[j] + aik * (W)b[j * bcs]);    \
                        }                                                      \
                    }                                                          \
                }                                                              \
    }

MATMUL_INT(uint8, uint8_t, uint8_t, unsigned)
MATMUL_INT(uint16, uint16_t, uint16_t, unsigned)
MATMUL_INT(uint32, uint32_t, uint32_t, uint32_t)
MATMUL_INT(uint64, uint64_t, uint64_t, uint64_t)
MATMUL_INT(int8, int8_t, uint8_t, unsigned)
MATMUL_INT(int16, int16_t, uint16_t, unsigned)
MATMUL_INT(int32, int32_t, uint32_t, uint32_t)
MATMUL_INT(int64, int64_t, uint64_t, uint64_t)
#undef MATMUL_INT

/* bool: OR over k of (a AND b). Bytes other than 0 count as true. */
static void matmul_bool(const plan *p, int64_t oa, int64_t ob, char *cp) {
    const uint8_t *A = (const uint8_t *)p->a.base + oa, *B = (const uint8_t *)p->b.base + ob;
    uint8_t *C = (uint8_t *)cp;
    for (int64_t i = 0; i < p->M; i++)
        for (int64_t k = 0; k < p->K; k++) {
            if (!A[i * p->a.rs + k * p->a.cs]) continue;
            const uint8_t *b = B + k * p->b.rs;
            for (int64_t j = 0; j < p->N; j++) C[i * p->N + j] |= b[j * p->b.cs] != 0;
        }
}

typedef void (*matmul_loop_fn)(const plan *p, int64_t oa, int64_t ob, char *c);

static em_status matmul_loop(const plan *p, em_dtype dt) {
    matmul_loop_fn fn = NULL;
    switch (dt) {
    case EM_BOOL: fn = matmul_bool; break;
    case EM_UINT8: fn = matmul_uint8; break;
    case EM_UINT16: fn = matmul_uint16; break;
    case EM_UINT32: fn = matmul_uint32; break;
    case EM_UINT64: fn = matmul_uint64; break;
    case EM_INT8: fn = matmul_int8; break;
    case EM_INT16: fn = matmul_int16; break;
    case EM_INT32: fn = matmul_int32; break;
    case EM_INT64: fn = matmul_int64; break;
    default: return EM_ERR_UNSUPPORTED;
    }
    memset(p->c, 0, (size_t)(p->nb * p->M * p->N) * p->isz);
    for (int64_t t = 0; t < p->nb; t++) {
        int64_t oa, ob;
        batch_offsets(p, t, &oa, &ob);
        fn(p, oa, ob, p->c + t * p->M * p->N * (int64_t)p->isz);
    }
    return EM_OK;
}

/* ---------------------------------------------------------------- entry */

em_status cpu_matmul_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (n->prim != EM_PRIM_MATMUL) return cpu_unsupported(n, in[0]->dtype);
    em_array *o = out[0];
    if (o->size == 0) return EM_OK;
    if (in[0]->shape[in[0]->ndim - 1] == 0) {
        /* an empty sum: zeros (all-zero bytes in every dtype); the inputs
         * may have no memory at all */
        memset(array_ptr(o), 0, (size_t)o->size * array_itemsize(o));
        return EM_OK;
    }
    plan p;
    plan_make(&p, in[0], in[1], o);
    em_dtype dt = o->dtype;
    if (dtype_is_int(dt) || dt == EM_BOOL) return matmul_loop(&p, dt);
    return matmul_blas(&p, dt);
}
