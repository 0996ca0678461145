/* linalg.c -- builders of the LAPACK-backed primitives (inverse, Cholesky, QR,
 * SVD, eigh, eig, LU, solve, triangular solve) and the public functions that
 * are one such node: their checks and messages follow MLX's.
 *
 * Contracts of the primitives (what the CPU kernels may assume):
 *   every matrix input has shape batch + (M, N), any strides, dtype float32 or
 *   float64 (SVD, EIGH, EIG also complex64); outputs are row-major:
 *   INVERSE          (..., N, N) -> (..., N, N); for the triangular and
 *                    Cholesky kinds only the `upper` (or lower) triangle of the
 *                    input is read; a triangular inverse has zeros in its other
 *                    triangle, a Cholesky inverse is the full symmetric matrix.
 *   CHOLESKY         (..., N, N) -> the factor, zeros in the other triangle.
 *   QR               -> Q (..., M, K), R (..., K, N), K = min(M, N).
 *   SVD              -> U (..., M, M|K), S (..., K) real, Vt (..., N|K, N), or
 *                    S alone (params: vectors, full).
 *   EIGH             -> w (..., N) real ascending [, V (..., N, N)].
 *   EIG              -> w (..., N) complex64 [, V (..., N, N) complex64].
 *   LU               -> LU (..., M, N), pivots (..., K) uint32 (0-based
 *                    LAPACK row swaps), perm (..., M) uint32 with
 *                    a[i] = (L U)[perm[i]].
 *   SOLVE, SOLVE_TRIANGULAR
 *                    inputs a (..., N, N), b (..., N, K) with the same batch
 *                    (the builder broadcasts) and dtype; the output holds the
 *                    (..., N, K) solution row-major (its shape may drop K = 1
 *                    when b was a vector).
 * Outputs of the multi-output primitives may have been released (their slots
 * are NULL): EM_PF_OPTIONAL_OUTPUTS. Failures that depend on the values
 * (singular, not positive definite, no convergence) are kernel errors.
 *
 * Gradients: each primitive is a plain mathematical function of its inputs
 * (no pivoting order or workspace leaks into the outputs except LU's pivots,
 * which are integers), so vjp/jvp rules can be written with ordinary ops
 * once the autodiff engine's rule slots exist. */
#include <string.h>

#include "linalg.h"

/* ---------------------------------------------------------------- checks */

bool linalg_check(const char *op, const em_array *a, bool complex_ok, const char *square_msg) {
    if (!a) {
        error_null_arg(op);
        return false;
    }
    em_dtype dt = a->dtype;
    if (!(dt == EM_FLOAT32 || dt == EM_FLOAT64 || (complex_ok && dt == EM_COMPLEX64))) {
        error_set(EM_ERR_VALUE, "[linalg::%s] Arrays must have type float32%s. Received array with type %s.",
                  op, complex_ok ? ", float64 or complex64" : " or float64", em_dtype_name(dt));
        return false;
    }
    if (a->ndim < 2) {
        error_set(EM_ERR_VALUE, "[linalg::%s] Arrays must have >= 2 dimensions. Received array with %d dimensions.",
                  op, a->ndim);
        return false;
    }
    if (square_msg && a->shape[a->ndim - 1] != a->shape[a->ndim - 2]) {
        error_set(EM_ERR_VALUE, "[linalg::%s] %s", op, square_msg);
        return false;
    }
    return true;
}

em_dtype linalg_real_dtype(em_dtype dt) { return dt == EM_COMPLEX64 ? EM_FLOAT32 : dt; }

/* Writes batch + (r, c) to shape, returning the rank. */
static int batch_shape(const em_array *a, int64_t r, int64_t c, int ntail, int64_t *shape) {
    int nb = a->ndim - 2;
    for (int i = 0; i < nb; i++) shape[i] = a->shape[i];
    if (ntail >= 1) shape[nb] = r;
    if (ntail >= 2) shape[nb + 1] = c;
    return nb + ntail;
}

static em_array *one_node(em_prim_id prim, const void *params, size_t psize, const em_array *a,
                          em_dtype dt) {
    em_array *in = (em_array *)a;
    return node_make(prim, params, psize, &in, 1, dt, a->shape, a->ndim);
}

/* ---------------------------------------------------------------- inverses */

static em_array *inverse(const char *op, const char *square_msg, const em_array *a,
                         em_inverse_kind kind, bool upper) {
    if (!linalg_check(op, a, false, square_msg)) return NULL;
    em_inverse_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.upper = upper;
    return one_node(EM_PRIM_INVERSE, &p, sizeof p, a, a->dtype);
}

EM_PUBLIC_OP(em_linalg_inv, (const em_array *a), (a)) {
    return inverse("inv", "Inverses are only defined for square matrices.", a, EM_INVERSE_GENERAL, false);
}

EM_PUBLIC_OP(em_linalg_tri_inv, (const em_array *a, bool upper), (a, upper)) {
    return inverse("tri_inv", "Inverses are only defined for square matrices.", a,
                   EM_INVERSE_TRIANGULAR, upper);
}

EM_PUBLIC_OP(em_linalg_cholesky_inv, (const em_array *a, bool upper), (a, upper)) {
    return inverse("cholesky_inv", "Cholesky inverse is only defined for square matrices.", a,
                   EM_INVERSE_CHOLESKY, upper);
}

EM_PUBLIC_OP(em_linalg_cholesky, (const em_array *a, bool upper), (a, upper)) {
    if (!linalg_check("cholesky", a, false,
                      "Cholesky decomposition is only defined for square matrices."))
        return NULL;
    em_triangle_params p;
    memset(&p, 0, sizeof p);
    p.upper = upper;
    return one_node(EM_PRIM_CHOLESKY, &p, sizeof p, a, a->dtype);
}

/* ---------------------------------------------------------------- factorisations */

static em_status check_out(const char *op, em_array **out) {
    if (!out) return error_status(EM_ERR_NULL, "[linalg::%s] The output pointer is NULL.", op);
    return EM_OK;
}

EM_PUBLIC_MULTI(em_linalg_qr, (const em_array *a, em_array **out), (a, out), out, 2) {
    if (check_out("qr", out) != EM_OK) return em_error_code();
    if (!linalg_check("qr", a, false, NULL)) return em_error_code();
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t sq[EM_MAX_NDIM], sr[EM_MAX_NDIM];
    int nd = batch_shape(a, m, k, 2, sq);
    batch_shape(a, k, n, 2, sr);
    em_dtype dts[2] = {a->dtype, a->dtype};
    const int64_t *shapes[2] = {sq, sr};
    int nds[2] = {nd, nd};
    em_array *in = (em_array *)a;
    return node_make_multi(EM_PRIM_QR, NULL, 0, &in, 1, 2, dts, shapes, nds, out);
}

em_status linalg_svd_node(const em_array *a, bool vectors, bool full, em_array **out) {
    if (!linalg_check("svd", a, true, NULL)) return em_error_code();
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t su[EM_MAX_NDIM], ss[EM_MAX_NDIM], sv[EM_MAX_NDIM];
    int nd = batch_shape(a, m, full ? m : k, 2, su);
    batch_shape(a, k, 0, 1, ss);
    batch_shape(a, full ? n : k, n, 2, sv);
    em_svd_params p;
    memset(&p, 0, sizeof p);
    p.vectors = vectors;
    p.full = full;
    em_dtype real = linalg_real_dtype(a->dtype);
    em_array *in = (em_array *)a;
    if (!vectors) {
        out[0] = node_make(EM_PRIM_SVD, &p, sizeof p, &in, 1, real, ss, nd - 1);
        return out[0] ? EM_OK : em_error_code();
    }
    em_dtype dts[3] = {a->dtype, real, a->dtype};
    const int64_t *shapes[3] = {su, ss, sv};
    int nds[3] = {nd, nd - 1, nd};
    return node_make_multi(EM_PRIM_SVD, &p, sizeof p, &in, 1, 3, dts, shapes, nds, out);
}

EM_PUBLIC_MULTI(em_linalg_svd, (const em_array *a, bool compute_uv, em_array **out),
                (a, compute_uv, out), out, compute_uv ? 3 : 1) {
    if (check_out("svd", out) != EM_OK) return em_error_code();
    return linalg_svd_node(a, compute_uv, true, out);
}

static int uplo_upper(const char *op, char uplo) {
    if (uplo == 'L' || uplo == 'U') return uplo == 'U';
    error_set(EM_ERR_VALUE, "[linalg::%s] UPLO must be 'L' or 'U', got '%c'.", op, uplo ? uplo : '?');
    return -1;
}

static em_status eigh_node(const char *op, const em_array *a, char uplo, bool vectors, em_array **out) {
    if (!linalg_check(op, a, true, "Only defined for square matrices.")) return em_error_code();
    int upper = uplo_upper(op, uplo);
    if (upper < 0) return em_error_code();
    int64_t n = a->shape[a->ndim - 1], sw[EM_MAX_NDIM];
    int nd = batch_shape(a, n, 0, 1, sw);
    em_eig_params p;
    memset(&p, 0, sizeof p);
    p.upper = upper;
    p.vectors = vectors;
    em_array *in = (em_array *)a;
    em_dtype real = linalg_real_dtype(a->dtype);
    if (!vectors) {
        out[0] = node_make(EM_PRIM_EIGH, &p, sizeof p, &in, 1, real, sw, nd);
        return out[0] ? EM_OK : em_error_code();
    }
    em_dtype dts[2] = {real, a->dtype};
    const int64_t *shapes[2] = {sw, a->shape};
    int nds[2] = {nd, a->ndim};
    return node_make_multi(EM_PRIM_EIGH, &p, sizeof p, &in, 1, 2, dts, shapes, nds, out);
}

EM_PUBLIC_MULTI(em_linalg_eigh, (const em_array *a, char uplo, em_array **out), (a, uplo, out), out, 2) {
    if (check_out("eigh", out) != EM_OK) return em_error_code();
    return eigh_node("eigh", a, uplo, true, out);
}

EM_PUBLIC_OP(em_linalg_eigvalsh, (const em_array *a, char uplo), (a, uplo)) {
    em_array *w = NULL;
    eigh_node("eigvalsh", a, uplo, false, &w);
    return w;
}

static em_status eig_node(const char *op, const em_array *a, bool vectors, em_array **out) {
    if (!linalg_check(op, a, true, "Only defined for square matrices.")) return em_error_code();
    int64_t n = a->shape[a->ndim - 1], sw[EM_MAX_NDIM];
    int nd = batch_shape(a, n, 0, 1, sw);
    em_eig_params p;
    memset(&p, 0, sizeof p);
    p.vectors = vectors;
    em_array *in = (em_array *)a;
    if (!vectors) {
        out[0] = node_make(EM_PRIM_EIG, &p, sizeof p, &in, 1, EM_COMPLEX64, sw, nd);
        return out[0] ? EM_OK : em_error_code();
    }
    em_dtype dts[2] = {EM_COMPLEX64, EM_COMPLEX64};
    const int64_t *shapes[2] = {sw, a->shape};
    int nds[2] = {nd, a->ndim};
    return node_make_multi(EM_PRIM_EIG, &p, sizeof p, &in, 1, 2, dts, shapes, nds, out);
}

EM_PUBLIC_MULTI(em_linalg_eig, (const em_array *a, em_array **out), (a, out), out, 2) {
    if (check_out("eig", out) != EM_OK) return em_error_code();
    return eig_node("eig", a, true, out);
}

EM_PUBLIC_OP(em_linalg_eigvals, (const em_array *a), (a)) {
    em_array *w = NULL;
    eig_node("eigvals", a, false, &w);
    return w;
}

em_status linalg_lu_node(const char *op, const em_array *a, em_array **out) {
    if (!linalg_check(op, a, false, NULL)) return em_error_code();
    int64_t m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    int64_t sp[EM_MAX_NDIM], sq[EM_MAX_NDIM];
    int nd = batch_shape(a, k, 0, 1, sp);
    batch_shape(a, m, 0, 1, sq);
    em_dtype dts[3] = {a->dtype, EM_UINT32, EM_UINT32};
    const int64_t *shapes[3] = {a->shape, sp, sq};
    int nds[3] = {a->ndim, nd, nd};
    em_array *in = (em_array *)a;
    return node_make_multi(EM_PRIM_LU, NULL, 0, &in, 1, 3, dts, shapes, nds, out);
}

EM_PUBLIC_MULTI(em_linalg_lu_factor, (const em_array *a, em_array **out), (a, out), out, 2) {
    if (check_out("lu_factor", out) != EM_OK) return em_error_code();
    em_array *r[3];
    if (linalg_lu_node("lu_factor", a, r) != EM_OK) return em_error_code();
    out[0] = r[0];
    out[1] = r[1];
    em_array_release(r[2]);
    return EM_OK;
}

/* ---------------------------------------------------------------- solves */

/* Checks (a, b) for a solve and returns a (batch, N, N) and b (batch, N, K)
 * broadcast and cast to their common float dtype, and the output's shape. */
static em_status solve_inputs(const char *op, const em_array *a, const em_array *b, em_array **pa,
                              em_array **pb, int64_t *oshape, int *ond) {
    char s1[256], s2[256];
    if (!a || !b) return error_null_arg(op), em_error_code();
    if (a->ndim < 2)
        return error_status(EM_ERR_VALUE, "[linalg::%s] First input must have >= 2 dimensions. "
                                          "Received array with %d dimensions.", op, a->ndim);
    if (b->ndim < 1)
        return error_status(EM_ERR_VALUE, "[linalg::%s] Second input must have >= 1 dimensions. "
                                          "Received array with %d dimensions.", op, b->ndim);
    int64_t n = a->shape[a->ndim - 1];
    if (a->shape[a->ndim - 2] != n)
        return error_status(EM_ERR_VALUE, "[linalg::%s] First input must be a square matrix. "
                                          "Received array with shape %s.",
                            op, shape_str(a->shape, a->ndim, s1, sizeof s1));
    bool vec = b->ndim == 1;
    if (b->shape[vec ? 0 : b->ndim - 2] != n)
        return error_status(EM_ERR_VALUE,
                            "[linalg::%s] Last dimension of first input with shape %s must match "
                            "second to last dimension of second input with shape %s.",
                            op, shape_str(a->shape, a->ndim, s1, sizeof s1),
                            shape_str(b->shape, b->ndim, s2, sizeof s2));
    em_dtype dt = em_result_type(a->dtype, b->dtype);
    if (dt != EM_FLOAT32 && dt != EM_FLOAT64)
        return error_status(EM_ERR_VALUE, "[linalg::%s] Input arrays must promote to float32 or float64. "
                                          "Received arrays with type %s and %s.",
                            op, em_dtype_name(a->dtype), em_dtype_name(b->dtype));
    int64_t batch[EM_MAX_NDIM];
    int nbatch = shape_broadcast("broadcast_shapes", a->shape, a->ndim - 2, b->shape,
                                 vec ? 0 : b->ndim - 2, batch);
    if (nbatch < 0) return em_error_code();
    int64_t k = vec ? 1 : b->shape[b->ndim - 1], full[EM_MAX_NDIM];
    memcpy(full, batch, (size_t)nbatch * sizeof *full);
    full[nbatch] = n;
    full[nbatch + 1] = n;
    em_array *ca = ops_cast(a, dt), *cb = ops_cast(b, dt), *vb = NULL;
    *pa = ca ? ops_broadcast(ca, full, nbatch + 2) : NULL;
    if (cb && vec) {
        int64_t col[2] = {n, 1};
        vb = ops_reshape(cb, col, 2);
    } else {
        vb = em_array_retain(cb);
    }
    full[nbatch + 1] = k;
    *pb = vb ? ops_broadcast(vb, full, nbatch + 2) : NULL;
    em_array_release(ca);
    em_array_release(cb);
    em_array_release(vb);
    if (!*pa || !*pb) {
        em_array_release(*pa);
        em_array_release(*pb);
        return em_error_code();
    }
    memcpy(oshape, full, (size_t)(nbatch + 2) * sizeof *oshape);
    *ond = vec ? nbatch + 1 : nbatch + 2;
    return EM_OK;
}

static em_array *solve(const char *op, em_prim_id prim, const em_array *a, const em_array *b,
                       bool upper) {
    em_array *in[2];
    int64_t shape[EM_MAX_NDIM];
    int nd = 0;
    if (solve_inputs(op, a, b, &in[0], &in[1], shape, &nd) != EM_OK) return NULL;
    em_triangle_params p;
    memset(&p, 0, sizeof p);
    p.upper = upper;
    em_array *r = node_make(prim, prim == EM_PRIM_SOLVE ? NULL : &p,
                            prim == EM_PRIM_SOLVE ? 0 : sizeof p, in, 2, in[0]->dtype, shape, nd);
    em_array_release(in[0]);
    em_array_release(in[1]);
    return r;
}

EM_PUBLIC_OP(em_linalg_solve, (const em_array *a, const em_array *b), (a, b)) {
    return solve("solve", EM_PRIM_SOLVE, a, b, false);
}

EM_PUBLIC_OP(em_linalg_solve_triangular, (const em_array *a, const em_array *b, bool upper),
             (a, b, upper)) {
    return solve("solve_triangular", EM_PRIM_SOLVE_TRIANGULAR, a, b, upper);
}
