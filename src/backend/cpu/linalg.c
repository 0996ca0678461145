/* linalg.c -- CPU kernels of the linear-algebra primitives (contracts in
 * src/ops/linalg.c), through LAPACKE's column-major *_work entry points.
 *
 * Each matrix of the batch is copied into a column-major scratch matrix (any
 * input strides; LAPACK overwrites its argument anyway), factorised there,
 * and the results are copied out row-major. The copies are O(n^2) against the
 * factorisations' O(n^3). The *_work routines are used rather than the
 * plain LAPACKE ones because those reject NaN inputs with an argument error
 * and transpose row-major matrices themselves; workspace sizes come from
 * LAPACK's queries (lwork = -1), made once per kernel call.
 *
 * `info` is turned into errors: a negative one is an internal bug (a bad
 * argument), a positive one is the input's fault (singular, not positive
 * definite, no convergence) and becomes an EM_ERR_RUNTIME that names the op,
 * the matrix's index in the batch and the pivot. LU is the exception: a
 * singular U is a valid factorisation (det and slogdet rely on it). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "../../core/error.h"
#include "kernels.h"

#define COL LAPACK_COL_MAJOR

typedef lapack_complex_float cpx;

static cpx mkc(float re, float im) {
    union { cpx c; float f[2]; } u;
    u.f[0] = re;
    u.f[1] = im;
    return u.c;
}

static em_dtype linalg_real_of(em_dtype dt) { return dt == EM_COMPLEX64 ? EM_FLOAT32 : dt; }

/* ---------------------------------------------------------------- batches */

/* A batch of matrices: batch + (rows, cols) of array x, any strides. */
typedef struct mats {
    const em_array *x;
    int nbatch;
    int64_t count;          /* number of matrices */
    int64_t rows, cols, rs, cs;
    size_t isz;
} mats;

static mats mats_of(const em_array *x) {
    mats m;
    m.x = x;
    m.nbatch = x->ndim - 2;
    m.count = 1;
    for (int d = 0; d < m.nbatch; d++) m.count *= x->shape[d];
    m.rows = x->shape[x->ndim - 2];
    m.cols = x->shape[x->ndim - 1];
    m.rs = x->strides[x->ndim - 2];
    m.cs = x->strides[x->ndim - 1];
    m.isz = array_itemsize(x);
    return m;
}

/* The address of matrix t's element (0, 0). */
static const char *mats_base(const mats *m, int64_t t) {
    int64_t off = 0;
    for (int d = m->nbatch - 1; d >= 0; d--) {
        int64_t i = t % m->x->shape[d];
        t /= m->x->shape[d];
        off += i * m->x->strides[d];
    }
    return array_ptr(m->x) + off * (int64_t)m->isz;
}

static inline void copy_elem(void *dst, const void *src, size_t isz) {
    if (isz == 4) memcpy(dst, src, 4);
    else memcpy(dst, src, 8);
}

/* Copies matrix t into dst, column-major with leading dimension ld. */
static void load_cm(const mats *m, int64_t t, void *dst, int64_t ld) {
    const char *b = mats_base(m, t);
    char *d = dst;
    size_t isz = m->isz;
    for (int64_t j = 0; j < m->cols; j++)
        for (int64_t i = 0; i < m->rows; i++)
            copy_elem(d + (size_t)(i + j * ld) * isz, b + (i * m->rs + j * m->cs) * (int64_t)isz, isz);
}

enum { KEEP_ALL, KEEP_LOWER, KEEP_UPPER, SYM_FROM_LOWER, SYM_FROM_UPPER };

/* Writes the rows x cols column-major matrix src (leading dimension ld) to
 * dst row-major. KEEP_LOWER/UPPER zero the other triangle; SYM_FROM_* mirror
 * one triangle into the other (real matrices). */
static void store_rm(const void *src, int64_t ld, int64_t rows, int64_t cols, void *dst,
                     size_t isz, int mode) {
    const char *s = src;
    char *d = dst;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            char *o = d + (size_t)(i * cols + j) * isz;
            int64_t r = i, c = j;
            if ((mode == KEEP_LOWER && j > i) || (mode == KEEP_UPPER && j < i)) {
                memset(o, 0, isz);
                continue;
            }
            if ((mode == SYM_FROM_LOWER && j > i) || (mode == SYM_FROM_UPPER && j < i)) {
                r = j;
                c = i;
            }
            copy_elem(o, s + (size_t)(r + c * ld) * isz, isz);
        }
}

static char *out_ptr(em_array *o, int64_t t, int64_t per) {
    return array_ptr(o) + (size_t)(t * per) * array_itemsize(o);
}

/* ---------------------------------------------------------------- errors */

/* " (matrix 3 of the batch)" when there is a batch. */
static const char *where(const mats *m, int64_t t, char *buf, size_t cap) {
    if (m->nbatch == 0) return "";
    snprintf(buf, cap, " (matrix %lld of the batch)", (long long)t);
    return buf;
}

static em_status bad_arg(const char *op, const char *routine, lapack_int info) {
    return error_status(EM_ERR_RUNTIME, "[linalg::%s] LAPACK's %s rejected its argument %d.", op,
                        routine, (int)-info);
}

static em_status too_large(const char *op) {
    return error_status(EM_ERR_VALUE, "[linalg::%s] The matrices are too large for LAPACK's 32-bit sizes.", op);
}

static bool fits(const mats *m) {
    return m->rows <= INT_MAX && m->cols <= INT_MAX && m->rows * m->cols <= INT_MAX;
}

/* A workspace query's answer (work[0] in the routine's type), at least lo. */
static lapack_int lwork_of(em_dtype dt, const void *w, lapack_int lo) {
    double v = dt == EM_FLOAT32 ? *(const float *)w : dt == EM_FLOAT64 ? *(const double *)w
                                                                      : crealf(*(const cpx *)w);
    lapack_int n = (lapack_int)v;
    if ((double)n < v) n++;
    return n > lo ? n : lo;
}

static void *scratch(size_t n, size_t isz) { return malloc((n ? n : 1) * isz); }

#define S_OR_D(dt, fn, ...) ((dt) == EM_FLOAT32 ? LAPACKE_s##fn##_work(COL, __VA_ARGS__) : LAPACKE_d##fn##_work(COL, __VA_ARGS__))

/* ---------------------------------------------------------------- inverses, Cholesky */

static em_status inverse(const em_node *nd, em_array *in, em_array *out) {
    const em_inverse_params *p = NODE_PARAMS(nd, em_inverse_params);
    static const char *const ops[] = {"inv", "tri_inv", "cholesky_inv"};
    const char *op = ops[p->kind];
    mats m = mats_of(in);
    if (!fits(&m)) return too_large(op);
    em_dtype dt = in->dtype;
    lapack_int n = (lapack_int)m.rows, info = 0;
    char uplo = p->upper ? 'U' : 'L', buf[64];
    if (n == 0 || m.count == 0) return EM_OK;
    lapack_int lwork = 1;
    void *a = scratch((size_t)n * n, m.isz), *work = NULL;
    lapack_int *ipiv = malloc((size_t)n * sizeof *ipiv);
    em_status st = EM_OK;
    if (!a || !ipiv) goto oom;
    if (p->kind == EM_INVERSE_GENERAL) {
        double q[2];
        info = S_OR_D(dt, getri, n, a, n, ipiv, (void *)q, -1);
        if (info < 0) {
            st = bad_arg(op, "getri", info);
            goto done;
        }
        lwork = lwork_of(dt, q, n);
        if (!(work = scratch((size_t)lwork, m.isz))) goto oom;
    }
    for (int64_t t = 0; t < m.count; t++) {
        load_cm(&m, t, a, n);
        int mode = KEEP_ALL;
        if (p->kind == EM_INVERSE_GENERAL) {
            info = S_OR_D(dt, getrf, n, n, a, n, ipiv);
            if (info == 0) info = S_OR_D(dt, getri, n, a, n, ipiv, work, lwork);
            if (info > 0) {
                st = error_status(EM_ERR_RUNTIME,
                                  "[linalg::inv] The matrix is singular: U[%d,%d] is zero in its LU "
                                  "factorization%s.", (int)info - 1, (int)info - 1, where(&m, t, buf, sizeof buf));
                goto done;
            }
        } else if (p->kind == EM_INVERSE_TRIANGULAR) {
            info = S_OR_D(dt, trtri, uplo, 'N', n, a, n);
            mode = p->upper ? KEEP_UPPER : KEEP_LOWER;
            if (info > 0) {
                st = error_status(EM_ERR_RUNTIME,
                                  "[linalg::tri_inv] The matrix is singular: its diagonal element "
                                  "%d is zero%s.", (int)info - 1, where(&m, t, buf, sizeof buf));
                goto done;
            }
        } else {
            info = S_OR_D(dt, potri, uplo, n, a, n);
            mode = p->upper ? SYM_FROM_UPPER : SYM_FROM_LOWER;
            if (info > 0) {
                st = error_status(EM_ERR_RUNTIME,
                                  "[linalg::cholesky_inv] The Cholesky factor is singular: its "
                                  "diagonal element %d is zero%s.", (int)info - 1, where(&m, t, buf, sizeof buf));
                goto done;
            }
        }
        if (info < 0) {
            st = bad_arg(op, "inverse", info);
            goto done;
        }
        store_rm(a, n, n, n, out_ptr(out, t, (int64_t)n * n), m.isz, mode);
    }
    goto done;
oom:
    st = error_status(EM_ERR_MEMORY, "[linalg::%s] Out of memory for the workspace.", op);
done:
    free(a);
    free(work);
    free(ipiv);
    return st;
}

static em_status cholesky(const em_node *nd, em_array *in, em_array *out) {
    bool upper = NODE_PARAMS(nd, em_triangle_params)->upper;
    mats m = mats_of(in);
    if (!fits(&m)) return too_large("cholesky");
    lapack_int n = (lapack_int)m.rows;
    char buf[64];
    if (n == 0 || m.count == 0) return EM_OK;
    void *a = scratch((size_t)n * n, m.isz);
    if (!a) return error_status(EM_ERR_MEMORY, "[linalg::cholesky] Out of memory for the workspace.");
    em_status st = EM_OK;
    for (int64_t t = 0; t < m.count && st == EM_OK; t++) {
        load_cm(&m, t, a, n);
        lapack_int info = S_OR_D(in->dtype, potrf, upper ? 'U' : 'L', n, a, n);
        if (info > 0)
            st = error_status(EM_ERR_RUNTIME,
                              "[linalg::cholesky] The matrix is not positive definite: its leading "
                              "minor of order %d is not positive%s.", (int)info, where(&m, t, buf, sizeof buf));
        else if (info < 0)
            st = bad_arg("cholesky", "potrf", info);
        else
            store_rm(a, n, n, n, out_ptr(out, t, (int64_t)n * n), m.isz, upper ? KEEP_UPPER : KEEP_LOWER);
    }
    free(a);
    return st;
}

/* ---------------------------------------------------------------- QR */

static em_status qr(em_array *in, em_array *q, em_array *r) {
    mats m = mats_of(in);
    if (!fits(&m)) return too_large("qr");
    em_dtype dt = in->dtype;
    lapack_int M = (lapack_int)m.rows, N = (lapack_int)m.cols, K = M < N ? M : N;
    if (K == 0 || m.count == 0) return EM_OK;
    double q1[2], q2[2];
    void *a = scratch((size_t)M * N, m.isz), *tau = scratch((size_t)K, m.isz), *work = NULL;
    em_status st = EM_OK;
    if (!a || !tau) goto oom;
    lapack_int info = S_OR_D(dt, geqrf, M, N, a, M, tau, (void *)q1, -1);
    if (info == 0) info = S_OR_D(dt, orgqr, M, K, K, a, M, tau, (void *)q2, -1);
    if (info < 0) {
        st = bad_arg("qr", "geqrf", info);
        goto done;
    }
    lapack_int lw1 = lwork_of(dt, q1, N), lw2 = lwork_of(dt, q2, K), lwork = lw1 > lw2 ? lw1 : lw2;
    if (!(work = scratch((size_t)lwork, m.isz))) goto oom;
    for (int64_t t = 0; t < m.count; t++) {
        load_cm(&m, t, a, M);
        info = S_OR_D(dt, geqrf, M, N, a, M, tau, work, lwork);
        if (info == 0 && r) store_rm(a, M, K, N, out_ptr(r, t, (int64_t)K * N), m.isz, KEEP_UPPER);
        if (info == 0 && q) {
            info = S_OR_D(dt, orgqr, M, K, K, a, M, tau, work, lwork);
            if (info == 0) store_rm(a, M, M, K, out_ptr(q, t, (int64_t)M * K), m.isz, KEEP_ALL);
        }
        if (info != 0) {
            st = bad_arg("qr", "geqrf/orgqr", info);
            goto done;
        }
    }
    goto done;
oom:
    st = error_status(EM_ERR_MEMORY, "[linalg::qr] Out of memory for the workspace.");
done:
    free(a);
    free(tau);
    free(work);
    return st;
}

/* ---------------------------------------------------------------- SVD */

static lapack_int gesdd(em_dtype dt, char jobz, lapack_int M, lapack_int N, void *a, void *s,
                        void *u, lapack_int ldu, void *vt, lapack_int ldvt, void *work,
                        lapack_int lwork, float *rwork, lapack_int *iwork) {
    switch (dt) {
    case EM_FLOAT32:
        return LAPACKE_sgesdd_work(COL, jobz, M, N, a, M, s, u, ldu, vt, ldvt, work, lwork, iwork);
    case EM_FLOAT64:
        return LAPACKE_dgesdd_work(COL, jobz, M, N, a, M, s, u, ldu, vt, ldvt, work, lwork, iwork);
    default:
        return LAPACKE_cgesdd_work(COL, jobz, M, N, a, M, s, u, ldu, vt, ldvt, work, lwork, rwork,
                                   iwork);
    }
}

/* n x n identity, row-major, of dtype dt at dst. */
static void eye_rm(em_dtype dt, int64_t rows, int64_t cols, void *dst) {
    size_t isz = em_dtype_size(dt);
    memset(dst, 0, (size_t)(rows * cols) * isz);
    for (int64_t i = 0; i < rows && i < cols; i++) dtype_store_double(dt, (char *)dst + (size_t)(i * cols + i) * isz, 1.0);
}

static em_status svd(const em_node *nd, em_array *in, em_array *const *out) {
    const em_svd_params *p = NODE_PARAMS(nd, em_svd_params);
    mats m = mats_of(in);
    if (!fits(&m)) return too_large("svd");
    em_dtype dt = in->dtype;
    lapack_int M = (lapack_int)m.rows, N = (lapack_int)m.cols, K = M < N ? M : N;
    em_array *uo = p->vectors ? out[0] : NULL, *so = p->vectors ? out[1] : out[0],
             *vo = p->vectors ? out[2] : NULL;
    char jobz = !p->vectors ? 'N' : p->full ? 'A' : 'S', buf[64];
    lapack_int ucols = p->full ? M : K, vrows = p->full ? N : K;
    if (m.count == 0) return EM_OK;
    if (K == 0) {
        for (int64_t t = 0; t < m.count; t++) {
            if (uo) eye_rm(dt, M, ucols, out_ptr(uo, t, (int64_t)M * ucols));
            if (vo) eye_rm(dt, vrows, N, out_ptr(vo, t, (int64_t)vrows * N));
        }
        return EM_OK;
    }
    size_t rsz = em_dtype_size(linalg_real_of(dt));
    bool vec = jobz != 'N';
    size_t usz = vec ? (size_t)M * ucols : 1, vsz = vec ? (size_t)vrows * N : 1;
    size_t lrwork = dt != EM_COMPLEX64 ? 1
                    : !vec ? (size_t)7 * K
                           : (size_t)K * (size_t)(5 * K + 7 > 2 * (M > N ? M : N) + 2 * K + 1
                                                      ? 5 * K + 7
                                                      : 2 * (M > N ? M : N) + 2 * K + 1);
    void *a = scratch((size_t)M * N, m.isz), *s = scratch((size_t)K, rsz), *u = scratch(usz, m.isz),
         *vt = scratch(vsz, m.isz), *work = NULL;
    float *rwork = malloc(lrwork * sizeof *rwork);
    lapack_int *iwork = malloc((size_t)8 * K * sizeof *iwork);
    em_status st = EM_OK;
    if (!a || !s || !u || !vt || !rwork || !iwork) goto oom;
    double q[2];
    lapack_int info = gesdd(dt, jobz, M, N, a, s, u, M, vt, vrows, q, -1, rwork, iwork);
    if (info < 0) {
        st = bad_arg("svd", "gesdd", info);
        goto done;
    }
    lapack_int lwork = lwork_of(dt, q, 1);
    if (!(work = scratch((size_t)lwork, m.isz))) goto oom;
    for (int64_t t = 0; t < m.count; t++) {
        load_cm(&m, t, a, M);
        info = gesdd(dt, jobz, M, N, a, s, u, M, vt, vrows, work, lwork, rwork, iwork);
        if (info > 0) {
            st = error_status(EM_ERR_RUNTIME, "[linalg::svd] The SVD did not converge%s.",
                              where(&m, t, buf, sizeof buf));
            goto done;
        }
        if (info < 0) {
            st = bad_arg("svd", "gesdd", info);
            goto done;
        }
        if (so) memcpy(out_ptr(so, t, K), s, (size_t)K * rsz);
        if (uo) store_rm(u, M, M, ucols, out_ptr(uo, t, (int64_t)M * ucols), m.isz, KEEP_ALL);
        if (vo) store_rm(vt, vrows, vrows, N, out_ptr(vo, t, (int64_t)vrows * N), m.isz, KEEP_ALL);
    }
    goto done;
oom:
    st = error_status(EM_ERR_MEMORY, "[linalg::svd] Out of memory for the workspace.");
done:
    free(a);
    free(s);
    free(u);
    free(vt);
    free(work);
    free(rwork);
    free(iwork);
    return st;
}

/* ---------------------------------------------------------------- eigh */

static lapack_int syevd(em_dtype dt, char jobz, char uplo, lapack_int n, void *a, void *w,
                        void *work, lapack_int lwork, float *rwork, lapack_int lrwork,
                        lapack_int *iwork, lapack_int liwork) {
    switch (dt) {
    case EM_FLOAT32: return LAPACKE_ssyevd_work(COL, jobz, uplo, n, a, n, w, work, lwork, iwork, liwork);
    case EM_FLOAT64: return LAPACKE_dsyevd_work(COL, jobz, uplo, n, a, n, w, work, lwork, iwork, liwork);
    default:
        return LAPACKE_cheevd_work(COL, jobz, uplo, n, a, n, w, work, lwork, rwork, lrwork, iwork, liwork);
    }
}

static em_status eigh(const em_node *nd, em_array *in, em_array *const *out) {
    const em_eig_params *p = NODE_PARAMS(nd, em_eig_params);
    mats m = mats_of(in);
    if (!fits(&m)) return too_large("eigh");
    em_dtype dt = in->dtype;
    lapack_int n = (lapack_int)m.rows;
    em_array *wo = out[0], *vo = p->vectors ? out[1] : NULL;
    char jobz = p->vectors ? 'V' : 'N', uplo = p->upper ? 'U' : 'L', buf[64];
    if (n == 0 || m.count == 0) return EM_OK;
    size_t rsz = em_dtype_size(linalg_real_of(dt));
    void *a = scratch((size_t)n * n, m.isz), *w = scratch((size_t)n, rsz), *work = NULL;
    float *rwork = NULL;
    lapack_int *iwork = NULL;
    em_status st = EM_OK;
    if (!a || !w) goto oom;
    double q[2];
    float rq = 0;
    lapack_int iq = 0;
    lapack_int info = syevd(dt, jobz, uplo, n, a, w, q, -1, &rq, -1, &iq, -1);
    if (info < 0) {
        st = bad_arg("eigh", "syevd", info);
        goto done;
    }
    lapack_int lwork = lwork_of(dt, q, 1), lrwork = (lapack_int)rq + 1, liwork = iq > 1 ? iq : 1;
    work = scratch((size_t)lwork, m.isz);
    rwork = malloc((size_t)lrwork * sizeof *rwork);
    iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !rwork || !iwork) goto oom;
    for (int64_t t = 0; t < m.count; t++) {
        load_cm(&m, t, a, n);
        info = syevd(dt, jobz, uplo, n, a, w, work, lwork, rwork, lrwork, iwork, liwork);
        if (info > 0) {
            st = error_status(EM_ERR_RUNTIME, "[linalg::eigh] The eigenvalue algorithm did not converge%s.",
                              where(&m, t, buf, sizeof buf));
            goto done;
        }
        if (info < 0) {
            st = bad_arg("eigh", "syevd", info);
            goto done;
        }
        if (wo) memcpy(out_ptr(wo, t, n), w, (size_t)n * rsz);
        if (vo) store_rm(a, n, n, n, out_ptr(vo, t, (int64_t)n * n), m.isz, KEEP_ALL);
    }
    goto done;
oom:
    st = error_status(EM_ERR_MEMORY, "[linalg::eigh] Out of memory for the workspace.");
done:
    free(a);
    free(w);
    free(work);
    free(rwork);
    free(iwork);
    return st;
}

/* ---------------------------------------------------------------- eig */

/* Real input: float32 works in float32, float64 in float64; eigenvalues and
 * vectors are assembled as complex64 (LAPACK stores a conjugate pair's vector
 * as two real columns, re and im). */
static em_status eig(const em_node *nd, em_array *in, em_array *const *out) {
    const em_eig_params *p = NODE_PARAMS(nd, em_eig_params);
    mats m = mats_of(in);
    if (!fits(&m)) return too_large("eig");
    em_dtype dt = in->dtype;
    lapack_int n = (lapack_int)m.rows;
    em_array *wo = out[0], *vo = p->vectors ? out[1] : NULL;
    char jobvr = p->vectors ? 'V' : 'N', buf[64];
    if (n == 0 || m.count == 0) return EM_OK;
    size_t isz = m.isz, nn = (size_t)n * n;
    void *a = scratch(nn, isz), *wr = scratch((size_t)n, isz), *wi = scratch((size_t)n, isz),
         *vr = scratch(p->vectors ? nn : 1, isz), *work = NULL;
    float *rwork = malloc((size_t)2 * n * sizeof *rwork);
    em_status st = EM_OK;
    lapack_int ldvr = p->vectors ? n : 1, info;
    if (!a || !wr || !wi || !vr || !rwork) goto oom;
    double q[2];
    if (dt == EM_COMPLEX64)
        info = LAPACKE_cgeev_work(COL, 'N', jobvr, n, a, n, wr, NULL, 1, vr, ldvr, (void *)q, -1, rwork);
    else
        info = S_OR_D(dt, geev, 'N', jobvr, n, a, n, wr, wi, NULL, 1, vr, ldvr, (void *)q, -1);
    if (info < 0) {
        st = bad_arg("eig", "geev", info);
        goto done;
    }
    lapack_int lwork = lwork_of(dt, q, 1);
    if (!(work = scratch((size_t)lwork, isz))) goto oom;
    for (int64_t t = 0; t < m.count; t++) {
        load_cm(&m, t, a, n);
        if (dt == EM_COMPLEX64)
            info = LAPACKE_cgeev_work(COL, 'N', jobvr, n, a, n, wr, NULL, 1, vr, ldvr, work, lwork, rwork);
        else
            info = S_OR_D(dt, geev, 'N', jobvr, n, a, n, wr, wi, NULL, 1, vr, ldvr, work, lwork);
        if (info > 0) {
            st = error_status(EM_ERR_RUNTIME, "[linalg::eig] The QR algorithm did not converge%s.",
                              where(&m, t, buf, sizeof buf));
            goto done;
        }
        if (info < 0) {
            st = bad_arg("eig", "geev", info);
            goto done;
        }
        cpx *w = wo ? (cpx *)(void *)out_ptr(wo, t, n) : NULL;
        cpx *v = vo ? (cpx *)(void *)out_ptr(vo, t, (int64_t)nn) : NULL;
        if (dt == EM_COMPLEX64) {
            if (w) memcpy(w, wr, (size_t)n * sizeof *w);
            if (v) store_rm(vr, n, n, n, v, isz, KEEP_ALL);
            continue;
        }
        for (lapack_int j = 0; j < n; j++) {
            double re = dtype_load_double(dt, (char *)wr + j * isz),
                   im = dtype_load_double(dt, (char *)wi + j * isz);
            if (w) w[j] = mkc((float)re, (float)im);
            if (!v) continue;
            bool pair = im != 0 && j + 1 < n;
            for (lapack_int i = 0; i < n; i++) {
                double x = dtype_load_double(dt, (char *)vr + ((size_t)j * n + i) * isz);
                double y = pair ? dtype_load_double(dt, (char *)vr + ((size_t)(j + 1) * n + i) * isz) : 0;
                v[(size_t)i * n + j] = mkc((float)x, (float)y);
                if (pair) v[(size_t)i * n + j + 1] = mkc((float)x, (float)-y);
            }
            if (pair) {
                if (w) w[j + 1] = mkc((float)re, (float)-im);
                j++;
            }
        }
        if (w && !v)
            for (lapack_int j = 0; j < n; j++)
                w[j] = mkc((float)dtype_load_double(dt, (char *)wr + j * isz),
                              (float)dtype_load_double(dt, (char *)wi + j * isz));
    }
    goto done;
oom:
    st = error_status(EM_ERR_MEMORY, "[linalg::eig] Out of memory for the workspace.");
done:
    free(a);
    free(wr);
    free(wi);
    free(vr);
    free(work);
    free(rwork);
    return st;
}

/* ---------------------------------------------------------------- LU */

static em_status lu(em_array *in, em_array *const *out) {
    mats m = mats_of(in);
    if (!fits(&m)) return too_large("lu");
    lapack_int M = (lapack_int)m.rows, N = (lapack_int)m.cols, K = M < N ? M : N;
    if (m.count == 0) return EM_OK;
    void *a = scratch((size_t)M * N, m.isz);
    lapack_int *ipiv = malloc(((size_t)K + 1) * sizeof *ipiv);
    uint32_t *perm = malloc(((size_t)M + 1) * sizeof *perm);
    em_status st = EM_OK;
    if (!a || !ipiv || !perm) {
        st = error_status(EM_ERR_MEMORY, "[linalg::lu] Out of memory for the workspace.");
        goto done;
    }
    for (int64_t t = 0; t < m.count; t++) {
        lapack_int info = 0;
        if (K > 0) {
            load_cm(&m, t, a, M);
            info = S_OR_D(in->dtype, getrf, M, N, a, M, ipiv);
        }
        if (info < 0) {
            st = bad_arg("lu", "getrf", info);
            goto done;
        }
        if (out[0]) store_rm(a, M, M, N, out_ptr(out[0], t, (int64_t)M * N), m.isz, KEEP_ALL);
        for (lapack_int i = 0; i < M; i++) perm[i] = (uint32_t)i;
        uint32_t *piv = out[1] ? (uint32_t *)(void *)out_ptr(out[1], t, K) : NULL;
        for (lapack_int i = 0; i < K; i++) {
            lapack_int j = ipiv[i] - 1;
            if (piv) piv[i] = (uint32_t)j;
            uint32_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        /* perm[i] is the row of a in row i of L U; the output is its inverse. */
        if (out[2]) {
            uint32_t *q = (uint32_t *)(void *)out_ptr(out[2], t, M);
            for (lapack_int i = 0; i < M; i++) q[perm[i]] = (uint32_t)i;
        }
    }
done:
    free(a);
    free(ipiv);
    free(perm);
    return st;
}

/* ---------------------------------------------------------------- solves */

static em_status solve(const em_node *nd, em_array *const *in, em_array *out) {
    bool tri = nd->prim == EM_PRIM_SOLVE_TRIANGULAR;
    bool upper = tri && NODE_PARAMS(nd, em_triangle_params)->upper;
    const char *op = tri ? "solve_triangular" : "solve";
    mats ma = mats_of(in[0]), mb = mats_of(in[1]);
    if (!fits(&ma) || !fits(&mb)) return too_large(op);
    lapack_int n = (lapack_int)ma.rows, k = (lapack_int)mb.cols;
    char buf[64];
    if (n == 0 || k == 0 || ma.count == 0) return EM_OK;
    void *a = scratch((size_t)n * n, ma.isz), *b = scratch((size_t)n * k, ma.isz);
    lapack_int *ipiv = malloc((size_t)n * sizeof *ipiv);
    em_status st = EM_OK;
    if (!a || !b || !ipiv) {
        st = error_status(EM_ERR_MEMORY, "[linalg::%s] Out of memory for the workspace.", op);
        goto done;
    }
    for (int64_t t = 0; t < ma.count; t++) {
        load_cm(&ma, t, a, n);
        load_cm(&mb, t, b, n);
        lapack_int info = tri ? S_OR_D(in[0]->dtype, trtrs, upper ? 'U' : 'L', 'N', 'N', n, k, a, n, b, n)
                              : S_OR_D(in[0]->dtype, gesv, n, k, a, n, ipiv, b, n);
        if (info > 0) {
            if (tri)
                st = error_status(EM_ERR_RUNTIME,
                                  "[linalg::%s] The matrix is singular: its diagonal element %d is zero%s.",
                                  op, (int)info - 1, where(&ma, t, buf, sizeof buf));
            else
                st = error_status(EM_ERR_RUNTIME,
                                  "[linalg::%s] The matrix is singular: U[%d,%d] is zero in its LU "
                                  "factorization%s.", op, (int)info - 1, (int)info - 1,
                                  where(&ma, t, buf, sizeof buf));
            goto done;
        }
        if (info < 0) {
            st = bad_arg(op, tri ? "trtrs" : "gesv", info);
            goto done;
        }
        store_rm(b, n, n, k, out_ptr(out, t, (int64_t)n * k), ma.isz, KEEP_ALL);
    }
done:
    free(a);
    free(b);
    free(ipiv);
    return st;
}

/* ---------------------------------------------------------------- entry */

em_status cpu_linalg_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_INVERSE: return inverse(n, in[0], out[0]);
    case EM_PRIM_CHOLESKY: return cholesky(n, in[0], out[0]);
    case EM_PRIM_QR: return qr(in[0], out[0], out[1]);
    case EM_PRIM_SVD: return svd(n, in[0], out);
    case EM_PRIM_EIGH: return eigh(n, in[0], out);
    case EM_PRIM_EIG: return eig(n, in[0], out);
    case EM_PRIM_LU: return lu(in[0], out);
    case EM_PRIM_SOLVE:
    case EM_PRIM_SOLVE_TRIANGULAR: return solve(n, in, out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
