/* test_linalg.c -- the linalg ops through the C API: each factorisation
 * checked by what defines it (A inv(A) = I, L L^T = A, Q R = A with Q^T Q = I,
 * U S Vt = A, A V = V diag(w), L[p] U = A, A x = b, ...) in double, over
 * float32 and float64, batches and strided (transposed) inputs; norms, det,
 * cross and pinv against values computed here; MLX's dtypes; and every error
 * (dtype, rank, shape; singular and non-positive-definite inputs at
 * evaluation) with its code and message. Tolerances: c * n * eps(dtype). */
#include <complex.h>
#include <float.h>

#include "check.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2 - 1;
}

static double eps_of(em_dtype dt) { return dt == EM_FLOAT64 ? DBL_EPSILON : FLT_EPSILON; }
static double tol(em_dtype dt, int64_t n) { return 64.0 * (double)(n > 1 ? n : 1) * eps_of(dt); }

/* A (batch, n, m) array of dtype dt holding v (double, row-major); called
 * inside a scope, which owns what it makes. */
static em_array *make(const double *v, int64_t batch, int64_t n, int64_t m, em_dtype dt) {
    int64_t shape[3] = {batch, n, m};
    return em_astype(em_array_from_data(v, shape, 3, EM_FLOAT64), dt);
}

/* Random well-conditioned (diagonally dominant) or SPD matrices. */
static double *random_mats(int64_t batch, int64_t n, int64_t m, int kind) {
    double *v = malloc(sizeof(double) * (size_t)(batch * n * m + 1));
    for (int64_t i = 0; i < batch * n * m; i++) v[i] = uniform();
    if (kind == 1)
        for (int64_t t = 0; t < batch; t++)
            for (int64_t i = 0; i < n && i < m; i++) v[(t * n + i) * m + i] += (double)n;
    if (kind == 2) { /* B B^T + n I */
        double *s = malloc(sizeof(double) * (size_t)(batch * n * n + 1));
        for (int64_t t = 0; t < batch; t++)
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++) {
                    double acc = i == j ? (double)n : 0;
                    for (int64_t k = 0; k < m; k++) acc += v[(t * n + i) * m + k] * v[(t * n + j) * m + k];
                    s[(t * n + i) * n + j] = acc;
                }
        free(v);
        v = s;
    }
    return v;
}

/* The values of a rounded to its dtype (the reference must use them). */
static double *rounded(const double *v, int64_t count, em_dtype dt) {
    double *r = malloc(sizeof(double) * (size_t)(count + 1));
    for (int64_t i = 0; i < count; i++) r[i] = dt == EM_FLOAT32 ? (double)(float)v[i] : v[i];
    return r;
}

/* max |(A B)_ij - C_ij| over a batch: A (n x k), B (k x m), C (n x m). */
static double prod_err(const double *a, const double *b, const double *c, int64_t batch, int64_t n,
                       int64_t k, int64_t m) {
    double e = 0;
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < m; j++) {
                double s = 0;
                for (int64_t q = 0; q < k; q++) s += a[(t * n + i) * k + q] * b[(t * k + q) * m + j];
                double d = fabs(s - c[(t * n + i) * m + j]);
                if (d > e) e = d;
            }
    return e;
}

static double *identities(int64_t batch, int64_t n) {
    double *v = calloc((size_t)(batch * n * n + 1), sizeof(double));
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < n; i++) v[(t * n + i) * n + i] = 1;
    return v;
}

/* (batch, n, m) -> (batch, m, n) */
static double *transposed(const double *v, int64_t batch, int64_t n, int64_t m) {
    double *r = malloc(sizeof(double) * (size_t)(batch * n * m + 1));
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < m; j++) r[(t * m + j) * n + i] = v[(t * n + i) * m + j];
    return r;
}

static const em_dtype DTYPES[] = {EM_FLOAT32, EM_FLOAT64};

/* ---------------------------------------------------------------- inverses, solves */

static void check_inv_solve(em_dtype dt, int64_t batch, int64_t n) {
    em_scope_begin();
    double *v = random_mats(batch, n, n, 1), *a = rounded(v, batch * n * n, dt);
    em_array *x = make(v, batch, n, n, dt);
    double *inv = check_values(em_linalg_inv(x)), *eye = identities(batch, n);
    CHECK_MSG(inv && prod_err(a, inv, eye, batch, n, n, n) <= tol(dt, n), "inv %s n=%lld",
              em_dtype_name(dt), (long long)n);
    /* through a transposed view: inv(A^T) = inv(A)^T */
    em_array *xt = em_swapaxes(x, -1, -2);
    double *invt = check_values(em_linalg_inv(xt)), *at = transposed(a, batch, n, n);
    CHECK(invt && prod_err(at, invt, eye, batch, n, n, n) <= tol(dt, n));
    /* solve with a matrix right-hand side, then a shared vector */
    double *bv = random_mats(batch, n, 2, 0), *b = rounded(bv, batch * n * 2, dt);
    double *sol = check_values(em_linalg_solve(x, make(bv, batch, n, 2, dt)));
    CHECK_MSG(sol && prod_err(a, sol, b, batch, n, n, 2) <= tol(dt, n) * 4, "solve %s", em_dtype_name(dt));
    int64_t vs[1] = {n};
    em_array *b1 = em_astype(em_array_from_data(bv, vs, 1, EM_FLOAT64), dt);
    em_array *s1 = em_linalg_solve(x, b1);
    CHECK(em_array_ndim(s1) == 2 && em_array_dim(s1, 0) == batch && em_array_dim(s1, 1) == n);
    double *sv = check_values(s1), *bb = malloc(sizeof(double) * (size_t)(batch * n));
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < n; i++) bb[t * n + i] = dt == EM_FLOAT32 ? (double)(float)bv[i] : bv[i];
    CHECK(sv && prod_err(a, sv, bb, batch, n, n, 1) <= tol(dt, n) * 4);
    /* triangular: lower and upper, the other triangle is not read */
    for (int up = 0; up < 2; up++) {
        double *tri = malloc(sizeof(double) * (size_t)(batch * n * n));
        for (int64_t t = 0; t < batch; t++)
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++)
                    tri[(t * n + i) * n + j] = (up ? j >= i : j <= i) ? a[(t * n + i) * n + j] : 0;
        double *ti = check_values(em_linalg_tri_inv(x, up));
        CHECK_MSG(ti && prod_err(tri, ti, eye, batch, n, n, n) <= tol(dt, n), "tri_inv upper=%d", up);
        double *ts = check_values(em_linalg_solve_triangular(x, make(bv, batch, n, 2, dt), up));
        CHECK(ts && prod_err(tri, ts, b, batch, n, n, 2) <= tol(dt, n) * 4);
        free(tri);
        free(ti);
        free(ts);
    }
    free(v);
    free(a);
    free(inv);
    free(eye);
    free(invt);
    free(at);
    free(bv);
    free(b);
    free(sol);
    free(sv);
    free(bb);
    em_scope_end();
}

static void check_cholesky(em_dtype dt, int64_t batch, int64_t n) {
    em_scope_begin();
    double *v = random_mats(batch, n, n, 2), *a = rounded(v, batch * n * n, dt);
    em_array *x = make(v, batch, n, n, dt);
    for (int up = 0; up < 2; up++) {
        double *f = check_values(em_linalg_cholesky(x, up));
        if (!f) {
            CHECK(f);
            continue;
        }
        double *ft = transposed(f, batch, n, n);
        /* lower: L L^T = A; upper: U^T U = A; the other triangle is zero */
        double e = up ? prod_err(ft, f, a, batch, n, n, n) : prod_err(f, ft, a, batch, n, n, n);
        CHECK_MSG(e <= tol(dt, n) * (double)n, "cholesky upper=%d err %g", up, e);
        bool zeros = true;
        for (int64_t t = 0; t < batch; t++)
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++)
                    if ((up ? j < i : j > i) && f[(t * n + i) * n + j] != 0) zeros = false;
        CHECK(zeros);
        /* cholesky_inv of the factor is inv(A) */
        em_array *fa = make(f, batch, n, n, dt);
        double *ci = check_values(em_linalg_cholesky_inv(fa, up)), *eye = identities(batch, n);
        CHECK(ci && prod_err(a, ci, eye, batch, n, n, n) <= tol(dt, n) * (double)n);
        free(f);
        free(ft);
        free(ci);
        free(eye);
    }
    free(v);
    free(a);
    em_scope_end();
}

/* ---------------------------------------------------------------- factorisations */

static void check_qr_svd(em_dtype dt, int64_t batch, int64_t m, int64_t n) {
    em_scope_begin();
    int64_t k = m < n ? m : n;
    double *v = random_mats(batch, m, n, 0), *a = rounded(v, batch * m * n, dt);
    em_array *x = make(v, batch, m, n, dt), *o[3];
    CHECK(em_linalg_qr(x, o) == EM_OK);
    double *q = check_values(o[0]), *r = check_values(o[1]);
    CHECK(em_array_dim(o[0], 2) == k && em_array_dim(o[1], 1) == k);
    CHECK_MSG(q && r && prod_err(q, r, a, batch, m, k, n) <= tol(dt, m + n), "qr %lldx%lld", (long long)m,
              (long long)n);
    double *qt = transposed(q, batch, m, k), *eye = identities(batch, k);
    CHECK(prod_err(qt, q, eye, batch, k, m, k) <= tol(dt, m));
    free(q);
    free(r);
    free(qt);
    free(eye);
    /* SVD: U (m, m) S (k) Vt (n, n); a = U[:, :k] diag(S) Vt[:k] */
    CHECK(em_linalg_svd(x, true, o) == EM_OK);
    double *u = check_values(o[0]), *s = check_values(o[1]), *vt = check_values(o[2]);
    CHECK(em_array_dtype(o[1]) == dt && em_array_dim(o[0], 2) == m && em_array_dim(o[2], 1) == n);
    double *us = malloc(sizeof(double) * (size_t)(batch * m * k + 1)), *vk = malloc(sizeof(double) * (size_t)(batch * k * n + 1));
    for (int64_t t = 0; t < batch; t++) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++) us[(t * m + i) * k + j] = u[(t * m + i) * m + j] * s[t * k + j];
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < n; j++) vk[(t * k + i) * n + j] = vt[(t * n + i) * n + j];
        for (int64_t j = 1; j < k; j++) CHECK(s[t * k + j] <= s[t * k + j - 1]);
    }
    CHECK_MSG(prod_err(us, vk, a, batch, m, k, n) <= tol(dt, m + n), "svd %lldx%lld", (long long)m, (long long)n);
    CHECK(em_linalg_svd(x, false, o) == EM_OK);
    double *s2 = check_values(o[0]);
    for (int64_t i = 0; s2 && i < batch * k; i++) CHECK_CLOSE(s2[i], s[i], tol(dt, m + n));
    /* pinv: a pinv(a) a = a */
    double *p = check_values(em_linalg_pinv(x)), *ap = malloc(sizeof(double) * (size_t)(batch * m * m + 1));
    CHECK(p != NULL);
    for (int64_t t = 0; p && t < batch; t++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < m; j++) {
                double acc = 0;
                for (int64_t q2 = 0; q2 < n; q2++) acc += a[(t * m + i) * n + q2] * p[(t * n + q2) * m + j];
                ap[(t * m + i) * m + j] = acc;
            }
    CHECK(p && prod_err(ap, a, a, batch, m, m, n) <= tol(dt, m + n) * 10);
    free(u);
    free(s);
    free(vt);
    free(us);
    free(vk);
    free(s2);
    free(p);
    free(ap);
    free(v);
    free(a);
    em_scope_end();
}

static void check_lu(em_dtype dt, int64_t batch, int64_t m, int64_t n) {
    em_scope_begin();
    int64_t k = m < n ? m : n;
    double *v = random_mats(batch, m, n, 0), *a = rounded(v, batch * m * n, dt);
    em_array *x = make(v, batch, m, n, dt), *o[3];
    CHECK(em_linalg_lu(x, o) == EM_OK);
    CHECK(em_array_dtype(o[0]) == EM_UINT32);
    double *p = check_values(o[0]), *l = check_values(o[1]), *u = check_values(o[2]);
    double *lp = malloc(sizeof(double) * (size_t)(batch * m * k + 1));
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++) lp[(t * m + i) * k + j] = l[(t * m + (int64_t)p[t * m + i]) * k + j];
    CHECK_MSG(prod_err(lp, u, a, batch, m, k, n) <= tol(dt, m + n), "lu %lldx%lld", (long long)m, (long long)n);
    CHECK(em_linalg_lu_factor(x, o) == EM_OK);
    CHECK(em_array_dim(o[1], 1) == k && em_array_dtype(o[1]) == EM_UINT32);
    free(p);
    free(l);
    free(u);
    free(lp);
    free(v);
    free(a);
    em_scope_end();
}

static void check_eig(em_dtype dt, int64_t batch, int64_t n) {
    em_scope_begin();
    double *v = random_mats(batch, n, n, 2), *a = rounded(v, batch * n * n, dt);
    em_array *x = make(v, batch, n, n, dt), *o[2];
    CHECK(em_linalg_eigh(x, 'U', o) == EM_OK);
    double *w = check_values(o[0]), *vec = check_values(o[1]);
    double *vw = malloc(sizeof(double) * (size_t)(batch * n * n + 1));
    for (int64_t t = 0; t < batch; t++)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) vw[(t * n + i) * n + j] = vec[(t * n + i) * n + j] * w[t * n + j];
    double scale = 0;
    for (int64_t i = 0; i < batch * n; i++) scale = fmax(scale, fabs(w[i]));
    CHECK_MSG(prod_err(a, vec, vw, batch, n, n, n) <= tol(dt, n) * scale, "eigh %s n=%lld", em_dtype_name(dt),
              (long long)n);
    double *wv = check_values(em_linalg_eigvalsh(x, 'L'));
    for (int64_t i = 0; wv && i < batch * n; i++) CHECK_CLOSE(wv[i], w[i], tol(dt, n));
    /* general: complex eigenpairs of a non-symmetric matrix */
    double *g = random_mats(batch, n, n, 0), *ga = rounded(g, batch * n * n, dt);
    em_array *gx = make(g, batch, n, n, dt);
    CHECK(em_linalg_eig(gx, o) == EM_OK);
    CHECK(em_array_dtype(o[0]) == EM_COMPLEX64 && em_array_dtype(o[1]) == EM_COMPLEX64);
    float *ew = malloc(sizeof(float) * 2 * (size_t)(batch * n)), *ev = malloc(sizeof(float) * 2 * (size_t)(batch * n * n));
    CHECK(em_array_copy_to(o[0], EM_COMPLEX64, ew, sizeof(float) * 2 * (size_t)(batch * n)) == EM_OK);
    CHECK(em_array_copy_to(o[1], EM_COMPLEX64, ev, sizeof(float) * 2 * (size_t)(batch * n * n)) == EM_OK);
    double err = 0;
    for (int64_t t = 0; t < batch; t++)
        for (int64_t j = 0; j < n; j++) {
            double _Complex lam = ew[2 * (t * n + j)] + I * ew[2 * (t * n + j) + 1];
            for (int64_t i = 0; i < n; i++) {
                double _Complex s = 0;
                for (int64_t q = 0; q < n; q++)
                    s += ga[(t * n + i) * n + q] * (ev[2 * ((t * n + q) * n + j)] + I * ev[2 * ((t * n + q) * n + j) + 1]);
                double _Complex vij = ev[2 * ((t * n + i) * n + j)] + I * ev[2 * ((t * n + i) * n + j) + 1];
                err = fmax(err, cabs(s - lam * vij));
            }
        }
    CHECK_MSG(err <= 64.0 * n * FLT_EPSILON * (double)n, "eig err %g", err);
    free(ew);
    free(ev);
    free(g);
    free(ga);
    free(w);
    free(vec);
    free(vw);
    free(wv);
    free(v);
    free(a);
    em_scope_end();
}

/* ---------------------------------------------------------------- compositions */

static void check_values_small(void) {
    em_scope_begin();
    double m[4] = {1, -2, 3, 4}, v3[3] = {3, -4, 1};
    int64_t s22[2] = {2, 2}, s3[1] = {3};
    em_array *a = em_array_from_data(m, s22, 2, EM_FLOAT64), *x = em_array_from_data(v3, s3, 1, EM_FLOAT64);
    double out;
    CHECK(em_array_item_double(em_linalg_det(a), &out) == EM_OK);
    CHECK_CLOSE(out, 10, 1e-12);
    em_array *o[2];
    CHECK(em_linalg_slogdet(a, o) == EM_OK);
    CHECK(em_array_item_double(o[0], &out) == EM_OK && out == 1);
    CHECK(em_array_item_double(o[1], &out) == EM_OK);
    CHECK_CLOSE(out, log(10), 1e-12);
    CHECK(em_array_item_double(em_linalg_norm(a, NULL, -1, false), &out) == EM_OK);
    CHECK_CLOSE(out, sqrt(30), 1e-12);
    CHECK(em_array_item_double(em_linalg_norm_ord(a, 1, NULL, -1, false), &out) == EM_OK);
    CHECK_CLOSE(out, 6, 1e-12);
    CHECK(em_array_item_double(em_linalg_norm_ord(a, INFINITY, NULL, -1, false), &out) == EM_OK);
    CHECK_CLOSE(out, 7, 1e-12);
    CHECK(em_array_item_double(em_linalg_norm_matrix(a, "nuc", NULL, -1, false), &out) == EM_OK);
    CHECK_CLOSE(out, 7.0710678118654755, 1e-12);
    CHECK(em_array_item_double(em_linalg_norm_ord(x, 0, NULL, -1, false), &out) == EM_OK && out == 3);
    CHECK(em_array_item_double(em_linalg_norm_ord(x, -INFINITY, NULL, -1, false), &out) == EM_OK && out == 1);
    CHECK(em_array_item_double(em_linalg_norm_ord(x, 3, NULL, -1, false), &out) == EM_OK);
    CHECK_CLOSE(out, cbrt(27 + 64 + 1), 1e-12);
    int ax[1] = {1};
    em_array *rn = em_linalg_norm_ord(a, 2, ax, 1, true);
    double want_rows[2] = {sqrt(5), 5};
    double *rv = check_values(rn);
    CHECK(em_array_ndim(rn) == 2 && em_array_dim(rn, 1) == 1 && rv);
    for (int i = 0; rv && i < 2; i++) CHECK_CLOSE(rv[i], want_rows[i], 1e-12);
    free(rv);
    /* cross: 3-vectors, and a 2-vector padded with 0 */
    double p[3] = {1, 2, 3}, q[3] = {4, 5, 6}, want[3] = {-3, 6, -3};
    em_array *pa = em_array_from_data(p, s3, 1, EM_FLOAT64), *qa = em_array_from_data(q, s3, 1, EM_FLOAT64);
    CHECK(check_equals(em_linalg_cross(pa, qa, -1), want, 3));
    int64_t s2[1] = {2};
    double want2[3] = {12, -6, -3};
    CHECK(check_equals(em_linalg_cross(em_array_from_data(p, s2, 1, EM_FLOAT64), qa, 0), want2, 3));
    /* dtypes: integer norms and dets are float32 */
    em_array *ia = em_astype(a, EM_INT32);
    CHECK(em_array_dtype(em_linalg_norm(ia, NULL, -1, false)) == EM_FLOAT32);
    CHECK(em_array_dtype(em_linalg_det(ia)) == EM_FLOAT32);
    CHECK_NO_ERROR();
    em_scope_end();
}

/* ---------------------------------------------------------------- errors */

static void check_errors(void) {
    em_scope_begin();
    double sing[4] = {1, 2, 2, 4};
    int64_t s22[2] = {2, 2}, s23[2] = {2, 3}, s3[1] = {3};
    em_array *sg = em_array_from_data(sing, s22, 2, EM_FLOAT64), *o[3];
    em_array *r = em_linalg_inv(sg);
    CHECK(r != NULL);  /* values are only known at evaluation */
    CHECK(em_eval1(r) == EM_ERR_RUNTIME &&
          strstr(em_error_message(), "[linalg::inv] The matrix is singular: U[1,1] is zero") != NULL);
    em_error_clear();
    CHECK(em_eval1(em_linalg_cholesky(sg, false)) == EM_ERR_RUNTIME &&
          strstr(em_error_message(), "[linalg::cholesky] The matrix is not positive definite: its leading "
                                     "minor of order 2 is not positive.") != NULL);
    em_error_clear();
    em_array *b = em_ones(s22 /* (2) */, 1, EM_FLOAT64);
    CHECK(em_eval1(em_linalg_solve(sg, b)) == EM_ERR_RUNTIME &&
          strstr(em_error_message(), "[linalg::solve] The matrix is singular") != NULL);
    em_error_clear();
    /* a singular matrix has an LU factorization and a zero determinant */
    CHECK(em_linalg_lu(sg, o) == EM_OK && em_eval(o, 3) == EM_OK);
    double d;
    CHECK(em_array_item_double(em_linalg_det(sg), &d) == EM_OK && d == 0);
    /* build-time errors */
    em_array *i32 = em_ones(s22, 2, EM_INT32), *v = em_ones(s3, 1, EM_FLOAT32), *ns = em_ones(s23, 2, EM_FLOAT32);
    CHECK_ERROR(em_linalg_inv(i32), EM_ERR_VALUE,
                "[linalg::inv] Arrays must have type float32 or float64. Received array with type int32.");
    CHECK_ERROR(em_linalg_cholesky(v, false), EM_ERR_VALUE,
                "[linalg::cholesky] Arrays must have >= 2 dimensions. Received array with 1 dimensions.");
    CHECK_ERROR(em_linalg_inv(ns), EM_ERR_VALUE, "[linalg::inv] Inverses are only defined for square matrices.");
    CHECK_ERROR(em_linalg_eigvalsh(ns, 'L'), EM_ERR_VALUE, "[linalg::eigvalsh] Only defined for square matrices.");
    CHECK_ERROR(em_linalg_eigvalsh(em_ones(s22, 2, EM_FLOAT32), 'Q'), EM_ERR_VALUE, "UPLO must be 'L' or 'U'");
    CHECK_ERROR(em_linalg_solve(ns, v), EM_ERR_VALUE,
                "[linalg::solve] First input must be a square matrix. Received array with shape (2,3).");
    CHECK_ERROR(em_linalg_solve(sg, v), EM_ERR_VALUE,
                "[linalg::solve] Last dimension of first input with shape (2,2) must match second to last "
                "dimension of second input with shape (3).");
    CHECK_ERROR(em_linalg_norm_ord(ns, 3, NULL, -1, false), EM_ERR_VALUE,
                "[linalg::norm] Invalid ord 3 for matrix norm.");
    CHECK_ERROR(em_linalg_norm_matrix(v, "fro", NULL, -1, false), EM_ERR_VALUE,
                "[linalg::norm] Norm 'fro' only supported for matrices, but received 1 axis/axes.");
    int64_t s44[2] = {4, 4};
    em_array *sq4 = em_ones(s44, 2, EM_FLOAT32);
    CHECK_ERROR(em_linalg_cross(sq4, sq4, 1), EM_ERR_VALUE, "[linalg::cross] The specified axis must have size 2 or 3.");
    CHECK_ERROR(em_linalg_inv(NULL), EM_ERR_NULL, "inv");
    CHECK(em_linalg_qr(i32, o) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_linalg_qr(ns, NULL) == EM_ERR_NULL);
    em_error_clear();
    CHECK_ERROR(em_linalg_det(em_ones(s22, 2, EM_COMPLEX64)), EM_ERR_VALUE,
                "[linalg::det] Complex inputs are not supported.");
    /* keeping one output of a factorisation is enough to evaluate it */
    CHECK(em_linalg_svd(ns, true, o) == EM_OK);
    em_array *s = em_scope_keep(o[1]);
    em_scope_end();
    CHECK(em_eval1(s) == EM_OK);
    em_array_release(s);
}

/* ---------------------------------------------------------------- rules */

typedef em_array *(*unary_op)(const em_array *);

static em_status call_unary(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    em_array *r = ((unary_op)ctx)(in[0]);
    if (!r) return em_error_code();
    em_status s = em_array_list_push(out, r);
    em_array_release(r);
    return s;
}

static em_status call_qr(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *r[2];
    em_status s = em_linalg_qr(in[0], r);
    if (s != EM_OK) return s;
    em_array_list_push(out, r[0]);
    em_array_list_push(out, r[1]);
    em_array_release(r[0]);
    em_array_release(r[1]);
    return EM_OK;
}

/* inv's vjp and jvp against their formulas (-Y^T G Y^T, -Y T Y); QR's vjp
 * against central differences of <G, Q> + <H, R>; vmap of inv. The rules
 * also run here under the sanitizers and valgrind. */
static void check_rules(void) {
    em_scope_begin();
    const int64_t n = 4;
    double *v = random_mats(1, n, n, 1), *g = random_mats(1, n, n, 0);
    em_array *a = make(v, 1, n, n, EM_FLOAT64), *c = make(g, 1, n, n, EM_FLOAT64);
    em_closure *f = em_closure_new(call_unary, (void *)em_linalg_inv, NULL);
    em_array_list *out = em_array_list_new(), *res = em_array_list_new();
    CHECK(em_vjp(f, &a, 1, &c, 1, out, res) == EM_OK);
    double *y = check_values(em_linalg_inv(a)), *got = check_values(em_array_list_get(res, 0));
    double *yt = transposed(y, 1, n, n), *want = malloc(sizeof(double) * n * n), *tmp = malloc(sizeof(double) * n * n);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t k = 0; k < n; k++) s += yt[i * n + k] * g[k * n + j];
            tmp[i * n + j] = s;
        }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t k = 0; k < n; k++) s += tmp[i * n + k] * yt[k * n + j];
            want[i * n + j] = -s;
        }
    for (int64_t i = 0; got && i < n * n; i++) CHECK_CLOSE(got[i], want[i], 1e-12);
    em_array_list_clear(res);
    CHECK(em_jvp(f, &a, 1, &c, 1, out, res) == EM_OK);
    free(got);
    got = check_values(em_array_list_get(res, 0));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t k = 0; k < n; k++) s += y[i * n + k] * g[k * n + j];
            tmp[i * n + j] = s;
        }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t k = 0; k < n; k++) s += tmp[i * n + k] * y[k * n + j];
            CHECK_CLOSE(got ? got[i * n + j] : 0, -s, 1e-12);
        }
    /* QR: vjp element by element against central differences */
    em_closure *fq = em_closure_new(call_qr, NULL, NULL);
    double *h = random_mats(1, n, n, 0);
    em_array *cq[2] = {c, make(h, 1, n, n, EM_FLOAT64)};
    em_array_list_clear(res);
    CHECK(em_vjp(fq, &a, 1, cq, 2, out, res) == EM_OK);
    double *gq = check_values(em_array_list_get(res, 0));
    for (int64_t e = 0; gq && e < n * n; e++) {
        double side[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            double *w = malloc(sizeof(double) * n * n);
            memcpy(w, v, sizeof(double) * n * n);
            w[e] += sgn ? -1e-6 : 1e-6;
            em_array *o[2];
            side[sgn] = 0;
            if (em_linalg_qr(make(w, 1, n, n, EM_FLOAT64), o) == EM_OK) {
                double *q = check_values(o[0]), *r = check_values(o[1]);
                for (int64_t i = 0; q && r && i < n * n; i++) side[sgn] += g[i] * q[i] + h[i] * r[i];
                free(q);
                free(r);
            }
            free(w);
        }
        CHECK_CLOSE(gq[e], (side[0] - side[1]) / 2e-6, 1e-6);
    }
    /* vmap of inv over a batch of 3 */
    double *vb = random_mats(3, n, n, 1);
    em_array *ab = make(vb, 3, n, n, EM_FLOAT64);
    em_closure *fv = em_vmap(f, NULL, 0, NULL, 0);
    em_array_list_clear(res);
    CHECK(em_closure_call(fv, &ab, 1, res) == EM_OK);
    double *bv = check_values(em_array_list_get(res, 0)), *binv = check_values(em_linalg_inv(ab));
    for (int64_t i = 0; bv && binv && i < 3 * n * n; i++) CHECK_CLOSE(bv[i], binv[i], 1e-12);
    CHECK_NO_ERROR();
    em_closure_release(fv);
    em_closure_release(fq);
    em_closure_release(f);
    em_array_list_free(out);
    em_array_list_free(res);
    free(v), free(g), free(h), free(vb), free(y), free(yt), free(want), free(tmp), free(got), free(gq), free(bv), free(binv);
    em_scope_end();
}

int main(void) {
    int64_t live = em_live_arrays();
    for (int d = 0; d < 2; d++) {
        em_dtype dt = DTYPES[d];
        const int64_t sizes[] = {1, 2, 3, 8, 33};
        for (int i = 0; i < 5; i++) {
            check_inv_solve(dt, i % 2 ? 3 : 1, sizes[i]);
            check_cholesky(dt, 2, sizes[i]);
            check_eig(dt, 2, sizes[i]);
        }
        const int64_t shapes[][2] = {{3, 3}, {5, 2}, {2, 5}, {1, 4}, {16, 16}};
        for (int i = 0; i < 5; i++) {
            check_qr_svd(dt, 2, shapes[i][0], shapes[i][1]);
            check_lu(dt, 3, shapes[i][0], shapes[i][1]);
        }
    }
    check_values_small();
    check_rules();
    check_errors();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_DONE();
}
