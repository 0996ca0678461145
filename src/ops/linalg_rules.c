/* linalg_rules.c -- the transform rules (vjp, jvp, vmap) of the linalg
 * primitives, written with the public ops (contracts in primitives.h).
 *
 * Conventions: matrices are the last two axes, batches broadcast through
 * matmul; mT is the transpose of the last two axes. A function that reads
 * one triangle of its input (tri_inv, cholesky, cholesky_inv, eigh,
 * solve_triangular) has a zero derivative in the other one, so its gradient
 * lives in that triangle. Real dtypes only (complex SVD/eigh inputs have no
 * rule, as in MLX). Formulas:
 *   inv        dY = -Y dA Y;                 A' = -Y^T G Y^T
 *   solve      dX = A^-1 (dB - dA X);        B' = A^-T G, A' = -B' X^T
 *   cholesky   S = sym(A), dL = L Phi(L^-1 dS L^-T), Phi = lower half with
 *              half diagonal;                S' = L^-T Phi(L^T G) L^-1
 *   qr (M >= N) the formulas of Walter & Lehmann / JAX's qr_jvp
 *   svd        Townsend, "Differentiating the Singular Value Decomposition",
 *              on the reduced factors (the extra columns of full U or Vt are
 *              not determined by A: their cotangents are ignored and their
 *              tangents are zero)
 *   eigh       dw = diag(V^T dS V), dV = V (F o V^T dS V), F_ij = 1/(w_j - w_i)
 *   lu (square) X = L^-1 P dA U^-1, dLU = L tril(X, -1) + triu(X) U
 * Degenerate singular values or eigenvalues give infinite or NaN gradients
 * (the derivative does not exist there), as in JAX and PyTorch. */
#include <string.h>

#include "../transforms/vmap.h"
#include "linalg.h"
#include "rules.h"

/* ---------------------------------------------------------------- helpers */

static em_array *mT(rule_tmp *t, const em_array *x) { return tk(t, em_swapaxes(x, -1, -2)); }
static em_array *mm(rule_tmp *t, const em_array *a, const em_array *b) { return tk(t, em_matmul(a, b)); }
static em_array *add(rule_tmp *t, const em_array *a, const em_array *b) { return tk(t, em_add(a, b)); }
static em_array *sub(rule_tmp *t, const em_array *a, const em_array *b) { return tk(t, em_subtract(a, b)); }
static em_array *mul(rule_tmp *t, const em_array *a, const em_array *b) { return tk(t, em_multiply(a, b)); }
static em_array *neg(rule_tmp *t, const em_array *a) { return tk(t, em_negative(a)); }

/* The triangle of x (upper: on and above diagonal k, else on and below). */
static em_array *tri(rule_tmp *t, const em_array *x, bool upper, int64_t k) {
    return tk(t, upper ? em_triu(x, k) : em_tril(x, k));
}

/* The symmetric matrix whose upper (lower) triangle is x's. */
static em_array *sym_from(rule_tmp *t, const em_array *x, bool upper) {
    return add(t, tri(t, x, upper, 0), mT(t, tri(t, x, upper, upper ? 1 : -1)));
}

/* The adjoint of sym_from: the gradient in x's triangle from the gradient g
 * of the symmetric matrix (off-diagonal entries are used twice). */
static em_array *sym_from_adj(rule_tmp *t, const em_array *g, bool upper) {
    return add(t, tri(t, g, upper, 0), tri(t, mT(t, g), upper, upper ? 1 : -1));
}

/* x's diagonal as a (..., n) vector, and a vector as a diagonal matrix. */
static em_array *eye_like(rule_tmp *t, const em_array *x) {
    int64_t n = x->shape[x->ndim - 1];
    return tk(t, em_eye(n, n, 0, x->dtype));
}
static em_array *diag_of(rule_tmp *t, const em_array *x) {
    int last = -1;
    return tk(t, em_sum(mul(t, x, eye_like(t, x)), &last, 1, false));
}
static em_array *diag_mat(rule_tmp *t, const em_array *v) {
    int ax = -1;
    em_array *col = tk(t, em_expand_dims(v, &ax, 1));
    int64_t n = v->shape[v->ndim - 1];
    return mul(t, col, tk(t, em_eye(n, n, 0, v->dtype)));
}

/* Phi(x): the lower triangle with the diagonal halved. */
static em_array *phi(rule_tmp *t, const em_array *x) {
    em_array *d = mul(t, mul(t, x, eye_like(t, x)), sc(t, 0.5, x));
    return sub(t, tri(t, x, false, 0), d);
}

/* v[..., None, :] (columns scaled by v) and v[..., :, None] (rows). */
static em_array *as_row(rule_tmp *t, const em_array *v) {
    int ax = -2;
    return tk(t, em_expand_dims(v, &ax, 1));
}
static em_array *as_col(rule_tmp *t, const em_array *v) {
    int ax = -1;
    return tk(t, em_expand_dims(v, &ax, 1));
}

/* F_ij = 1 / (v_j - v_i) off the diagonal, 0 on it. */
static em_array *gap_inverse(rule_tmp *t, const em_array *v) {
    em_array *d = sub(t, as_row(t, v), as_col(t, v));
    int64_t n = v->shape[v->ndim - 1];
    em_array *on = tk(t, em_eye(n, n, 0, EM_BOOL));
    return tk(t, em_where(on, sc(t, 0, v), tk(t, em_reciprocal(d))));
}

static em_array *solve_tri(rule_tmp *t, const em_array *a, const em_array *b, bool upper) {
    return tk(t, em_linalg_solve_triangular(a, b, upper));
}

static em_status real_only(const em_node *n, const em_array *a, const char *mode) {
    if (a->dtype != EM_COMPLEX64) return EM_OK;
    return error_status(EM_ERR_VALUE, "[%s::%s] Not implemented for complex inputs.",
                        em_primitives[n->prim].name, mode);
}

static em_status finish(rule_tmp *t, em_array *r, em_array **slot) {
    *slot = em_array_retain(r);
    rule_tmp_free(t);
    return *slot ? EM_OK : em_error_code();
}

/* ---------------------------------------------------------------- inverses */

static em_array *inverse_again(const em_inverse_params *p, const em_array *a) {
    switch (p->kind) {
    case EM_INVERSE_TRIANGULAR: return em_linalg_tri_inv(a, p->upper);
    case EM_INVERSE_CHOLESKY: return em_linalg_cholesky_inv(a, p->upper);
    default: return em_linalg_inv(a);
    }
}

/* The tangent of S = F F^T (lower) or F^T F (upper) for dF. */
static em_array *gram_tangent(rule_tmp *t, const em_array *f, const em_array *df, bool upper) {
    if (upper) return add(t, mm(t, mT(t, df), f), mm(t, mT(t, f), df));
    return add(t, mm(t, df, mT(t, f)), mm(t, f, mT(t, df)));
}

static em_status inverse_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                             em_array *const *cot, em_array **grads) {
    const em_inverse_params *p = NODE_PARAMS(n, em_inverse_params);
    rule_tmp t = {0};
    const em_array *a = in[0];
    em_array *y = out[0] ? out[0] : tk(&t, inverse_again(p, a));
    em_array *yt = mT(&t, y), *h = mm(&t, mm(&t, yt, cot[0]), yt), *g;
    if (p->kind == EM_INVERSE_GENERAL) {
        g = neg(&t, h);
    } else if (p->kind == EM_INVERSE_TRIANGULAR) {
        g = tri(&t, neg(&t, h), p->upper, 0);
    } else {
        /* S = F F^T: F' = -(H + H^T) F (lower) or -F (H + H^T) (upper) */
        em_array *f = tri(&t, a, p->upper, 0), *k = add(&t, h, mT(&t, h));
        g = tri(&t, neg(&t, p->upper ? mm(&t, f, k) : mm(&t, k, f)), p->upper, 0);
    }
    return finish(&t, g, &grads[0]);
}

static em_status inverse_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                             em_array *const *tan, em_array **out_tan) {
    const em_inverse_params *p = NODE_PARAMS(n, em_inverse_params);
    rule_tmp t = {0};
    const em_array *a = in[0];
    em_array *y = out[0] ? out[0] : tk(&t, inverse_again(p, a)), *da = tan[0];
    if (p->kind == EM_INVERSE_TRIANGULAR) da = tri(&t, da, p->upper, 0);
    if (p->kind == EM_INVERSE_CHOLESKY)
        da = gram_tangent(&t, tri(&t, a, p->upper, 0), tri(&t, da, p->upper, 0), p->upper);
    return finish(&t, neg(&t, mm(&t, mm(&t, y, da), y)), &out_tan[0]);
}

/* ---------------------------------------------------------------- cholesky */

/* The lower factor Lc of the node's output (transposed when it is upper). */
static em_array *lower_factor(rule_tmp *t, const em_node *n, const em_array *a, em_array *const *out) {
    bool upper = NODE_PARAMS(n, em_triangle_params)->upper;
    em_array *f = out[0] ? out[0] : tk(t, em_linalg_cholesky(a, upper));
    return upper ? mT(t, f) : f;
}

static em_status cholesky_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                              em_array *const *cot, em_array **grads) {
    bool upper = NODE_PARAMS(n, em_triangle_params)->upper;
    rule_tmp t = {0};
    em_array *l = lower_factor(&t, n, in[0], out), *g = upper ? mT(&t, cot[0]) : cot[0];
    em_array *lt = mT(&t, l);
    em_array *pm = phi(&t, mm(&t, lt, g));
    /* S' = L^-T P L^-1 = (L^-T (L^-T P)^T)^T */
    em_array *z = solve_tri(&t, lt, pm, true);
    em_array *s = mT(&t, solve_tri(&t, lt, mT(&t, z), true));
    return finish(&t, sym_from_adj(&t, s, upper), &grads[0]);
}

static em_status cholesky_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                              em_array *const *tan, em_array **out_tan) {
    bool upper = NODE_PARAMS(n, em_triangle_params)->upper;
    rule_tmp t = {0};
    em_array *l = lower_factor(&t, n, in[0], out);
    em_array *ds = sym_from(&t, tan[0], upper);
    /* M = L^-1 dS L^-T = (L^-1 (L^-1 dS)^T)^T */
    em_array *z = solve_tri(&t, l, ds, false);
    em_array *m = mT(&t, solve_tri(&t, l, mT(&t, z), false));
    em_array *dl = mm(&t, l, phi(&t, m));
    return finish(&t, upper ? mT(&t, dl) : dl, &out_tan[0]);
}

/* ---------------------------------------------------------------- qr */

static em_status qr_check(const em_array *a, const char *mode) {
    if (a->shape[a->ndim - 2] >= a->shape[a->ndim - 1]) return EM_OK;
    return error_status(EM_ERR_VALUE, "[QRF::%s] Only implemented for matrices with at least as many rows "
                                      "as columns.", mode);
}

static void qr_factors(rule_tmp *t, const em_array *a, em_array *const *out, em_array **q, em_array **r) {
    *q = out[0];
    *r = out[1];
    if (!*q || !*r) {
        em_array *f[2] = {NULL, NULL};
        if (em_linalg_qr(a, f) == EM_OK) {
            tk(t, f[0]);
            tk(t, f[1]);
        }
        if (!*q) *q = f[0];
        if (!*r) *r = f[1];
    }
}

static em_status qr_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, em_array **grads) {
    (void)n;
    if (qr_check(in[0], "vjp") != EM_OK) return em_error_code();
    rule_tmp t = {0};
    em_array *q, *r;
    qr_factors(&t, in[0], out, &q, &r);
    em_array *m = NULL;
    if (cot[1]) m = mm(&t, r, mT(&t, cot[1]));
    if (cot[0]) {
        em_array *qq = mm(&t, mT(&t, cot[0]), q);
        m = m ? sub(&t, m, qq) : neg(&t, qq);
    }
    em_array *b = mm(&t, q, sym_from(&t, m, false));
    if (cot[0]) b = add(&t, b, cot[0]);
    /* A' = b R^-T = (R^-1 b^T)^T */
    em_array *g = mT(&t, solve_tri(&t, r, mT(&t, b), true));
    return finish(&t, g, &grads[0]);
}

static em_status qr_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    (void)n;
    if (qr_check(in[0], "jvp") != EM_OK) return em_error_code();
    rule_tmp t = {0};
    em_array *q, *r;
    qr_factors(&t, in[0], out, &q, &r);
    /* X = dA R^-1 = (R^-T dA^T)^T; R^T is lower */
    em_array *x = mT(&t, solve_tri(&t, mT(&t, r), mT(&t, tan[0]), false));
    em_array *qtx = mm(&t, mT(&t, q), x);
    em_array *low = tri(&t, qtx, false, -1), *dom = sub(&t, low, mT(&t, low));
    em_array *dq = add(&t, mm(&t, q, sub(&t, dom, qtx)), x);
    em_array *dr = mm(&t, sub(&t, qtx, dom), r);
    out_tan[0] = em_array_retain(dq);
    out_tan[1] = em_array_retain(dr);
    rule_tmp_free(&t);
    if (out_tan[0] && out_tan[1]) return EM_OK;
    em_array_release(out_tan[0]);
    em_array_release(out_tan[1]);
    out_tan[0] = out_tan[1] = NULL;
    return em_error_code();
}

/* ---------------------------------------------------------------- svd */

/* The reduced factors U (M, K), S (K), V (N, K) of a: the node's outputs cut
 * to K columns, or a reduced SVD made again. */
static em_status svd_factors(rule_tmp *t, const em_node *n, const em_array *a, em_array *const *out,
                             em_array **u, em_array **s, em_array **v) {
    const em_svd_params *p = NODE_PARAMS(n, em_svd_params);
    int64_t m = a->shape[a->ndim - 2], nn = a->shape[a->ndim - 1], k = m < nn ? m : nn;
    em_array *f[3] = {NULL, NULL, NULL};
    if (p->vectors && out[0] && out[1] && out[2]) {
        f[0] = out[0];
        f[1] = out[1];
        f[2] = out[2];
    } else {
        if (linalg_svd_node(a, true, false, f) != EM_OK) return em_error_code();
        for (int i = 0; i < 3; i++) tk(t, f[i]);
    }
    int nd = a->ndim;
    int64_t start[EM_MAX_NDIM] = {0}, stop[EM_MAX_NDIM];
    memcpy(stop, f[0]->shape, (size_t)nd * sizeof *stop);
    stop[nd - 1] = k;
    *u = tk(t, em_slice(f[0], start, stop, NULL, nd));
    memcpy(stop, f[2]->shape, (size_t)nd * sizeof *stop);
    stop[nd - 2] = k;
    *v = mT(t, tk(t, em_slice(f[2], start, stop, NULL, nd)));
    *s = f[1];
    return *u && *v ? EM_OK : em_error_code();
}

/* x cut to its first k columns (rows when rows is set). */
static em_array *first_k(rule_tmp *t, const em_array *x, int64_t k, bool rows) {
    int nd = x->ndim;
    int64_t start[EM_MAX_NDIM] = {0}, stop[EM_MAX_NDIM];
    memcpy(stop, x->shape, (size_t)nd * sizeof *stop);
    stop[nd - (rows ? 2 : 1)] = k;
    return tk(t, em_slice(x, start, stop, NULL, nd));
}

static em_status svd_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, em_array **grads) {
    const em_svd_params *p = NODE_PARAMS(n, em_svd_params);
    const em_array *a = in[0];
    if (real_only(n, a, "vjp") != EM_OK) return em_error_code();
    int64_t m = a->shape[a->ndim - 2], nn = a->shape[a->ndim - 1], k = m < nn ? m : nn;
    rule_tmp t = {0};
    em_array *u, *s, *v;
    if (svd_factors(&t, n, a, out, &u, &s, &v) != EM_OK) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    em_array *gu = p->vectors && cot[0] ? first_k(&t, cot[0], k, false) : NULL;
    em_array *gs = p->vectors ? cot[1] : cot[0];
    em_array *gv = p->vectors && cot[2] ? mT(&t, first_k(&t, cot[2], k, true)) : NULL;
    em_array *inner = gs ? diag_mat(&t, gs) : tk(&t, em_zeros_like(tk(&t, em_matmul(mT(&t, u), u))));
    em_array *f = NULL, *rs = NULL;
    if (gu || gv) {
        f = gap_inverse(&t, tk(&t, em_square(s)));
        rs = tk(&t, em_reciprocal(s));
    }
    em_array *ut = mT(&t, u), *vt = mT(&t, v), *g;
    if (gu) {
        em_array *utgu = mm(&t, ut, gu), *j = mul(&t, f, sub(&t, utgu, mT(&t, utgu)));
        inner = add(&t, inner, mul(&t, j, as_row(&t, s)));
    }
    if (gv) {
        em_array *vtgv = mm(&t, vt, gv), *kk = mul(&t, f, sub(&t, vtgv, mT(&t, vtgv)));
        inner = add(&t, inner, mul(&t, as_col(&t, s), kk));
    }
    g = mm(&t, mm(&t, u, inner), vt);
    if (gu && m > k) {
        /* (I - U U^T) U' S^-1 V^T */
        em_array *perp = sub(&t, gu, mm(&t, u, mm(&t, ut, gu)));
        g = add(&t, g, mm(&t, mul(&t, perp, as_row(&t, rs)), vt));
    }
    if (gv && nn > k) {
        /* U S^-1 V'^T (I - V V^T) */
        em_array *gvt = mT(&t, gv), *perp = sub(&t, gvt, mm(&t, mm(&t, gvt, v), vt));
        g = add(&t, g, mm(&t, u, mul(&t, as_col(&t, rs), perp)));
    }
    return finish(&t, g, &grads[0]);
}

/* pads the last two axes of x (rows, cols) with zeros up to (r, c) */
static em_array *pad_to(rule_tmp *t, const em_array *x, int64_t r, int64_t c) {
    int nd = x->ndim;
    int64_t pw[2 * EM_MAX_NDIM] = {0};
    pw[2 * (nd - 2) + 1] = r - x->shape[nd - 2];
    pw[2 * (nd - 1) + 1] = c - x->shape[nd - 1];
    if (!pw[2 * (nd - 2) + 1] && !pw[2 * (nd - 1) + 1]) return (em_array *)x;
    return tk(t, em_pad(x, pw, nd, EM_PAD_CONSTANT, NULL));
}

static em_status svd_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    const em_svd_params *p = NODE_PARAMS(n, em_svd_params);
    const em_array *a = in[0];
    if (real_only(n, a, "jvp") != EM_OK) return em_error_code();
    int64_t m = a->shape[a->ndim - 2], nn = a->shape[a->ndim - 1], k = m < nn ? m : nn;
    rule_tmp t = {0};
    em_array *u, *s, *v;
    if (svd_factors(&t, n, a, out, &u, &s, &v) != EM_OK) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    em_array *ut = mT(&t, u), *vt = mT(&t, v), *da = tan[0];
    em_array *dp = mm(&t, mm(&t, ut, da), v), *ds = diag_of(&t, dp);
    if (!p->vectors) return finish(&t, ds, &out_tan[0]);
    em_array *f = gap_inverse(&t, tk(&t, em_square(s))), *rs = tk(&t, em_reciprocal(s));
    em_array *srow = as_row(&t, s), *scol = as_col(&t, s);
    /* dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1 */
    em_array *du = mm(&t, u, mul(&t, f, add(&t, mul(&t, dp, srow), mul(&t, scol, mT(&t, dp)))));
    em_array *dav = mm(&t, da, v);
    du = add(&t, du, mul(&t, sub(&t, dav, mm(&t, u, mm(&t, ut, dav))), as_row(&t, rs)));
    /* dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1 */
    em_array *dv = mm(&t, v, mul(&t, f, add(&t, mul(&t, scol, dp), mul(&t, mT(&t, dp), srow))));
    em_array *dau = mm(&t, mT(&t, da), u);
    dv = add(&t, dv, mul(&t, sub(&t, dau, mm(&t, v, mm(&t, vt, dau))), as_row(&t, rs)));
    em_array *dvt = mT(&t, dv);
    if (p->full) {
        du = pad_to(&t, du, m, m);
        dvt = pad_to(&t, dvt, nn, nn);
    }
    (void)k;
    out_tan[0] = em_array_retain(du);
    out_tan[1] = em_array_retain(ds);
    out_tan[2] = em_array_retain(dvt);
    rule_tmp_free(&t);
    if (out_tan[0] && out_tan[1] && out_tan[2]) return EM_OK;
    for (int i = 0; i < 3; i++) {
        em_array_release(out_tan[i]);
        out_tan[i] = NULL;
    }
    return em_error_code();
}

/* ---------------------------------------------------------------- eigh */

static em_status eigh_factors(rule_tmp *t, const em_node *n, const em_array *a, em_array *const *out,
                              em_array **w, em_array **v) {
    const em_eig_params *p = NODE_PARAMS(n, em_eig_params);
    if (p->vectors && out[0] && out[1]) {
        *w = out[0];
        *v = out[1];
        return EM_OK;
    }
    em_array *f[2] = {NULL, NULL};
    if (em_linalg_eigh(a, p->upper ? 'U' : 'L', f) != EM_OK) return em_error_code();
    *w = tk(t, f[0]);
    *v = tk(t, f[1]);
    return EM_OK;
}

static em_status eigh_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *cot, em_array **grads) {
    const em_eig_params *p = NODE_PARAMS(n, em_eig_params);
    if (real_only(n, in[0], "vjp") != EM_OK) return em_error_code();
    rule_tmp t = {0};
    em_array *w, *v;
    if (eigh_factors(&t, n, in[0], out, &w, &v) != EM_OK) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    em_array *gw = cot[0], *gv = p->vectors ? cot[1] : NULL;
    em_array *inner = gw ? diag_mat(&t, gw) : NULL;
    if (gv) {
        em_array *j = mul(&t, gap_inverse(&t, w), mm(&t, mT(&t, v), gv));
        inner = inner ? add(&t, inner, j) : j;
    }
    em_array *s = mm(&t, mm(&t, v, inner), mT(&t, v));
    return finish(&t, sym_from_adj(&t, s, p->upper), &grads[0]);
}

static em_status eigh_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *tan, em_array **out_tan) {
    const em_eig_params *p = NODE_PARAMS(n, em_eig_params);
    if (real_only(n, in[0], "jvp") != EM_OK) return em_error_code();
    rule_tmp t = {0};
    em_array *w, *v;
    if (eigh_factors(&t, n, in[0], out, &w, &v) != EM_OK) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    em_array *pm = mm(&t, mm(&t, mT(&t, v), sym_from(&t, tan[0], p->upper)), v);
    em_array *dw = diag_of(&t, pm);
    if (!p->vectors) return finish(&t, dw, &out_tan[0]);
    em_array *dv = mm(&t, v, mul(&t, gap_inverse(&t, w), pm));
    out_tan[0] = em_array_retain(dw);
    out_tan[1] = em_array_retain(dv);
    rule_tmp_free(&t);
    if (out_tan[0] && out_tan[1]) return EM_OK;
    em_array_release(out_tan[0]);
    em_array_release(out_tan[1]);
    out_tan[0] = out_tan[1] = NULL;
    return em_error_code();
}

/* ---------------------------------------------------------------- lu */

/* L (unit lower), U and the permutation matrix Pm (Pm[i, j] = perm[i] == j,
 * so a = Pm @ L @ U) of a square LU node's outputs. */
static em_status lu_factors(rule_tmp *t, const em_array *a, em_array *const *out, em_array **l,
                            em_array **u, em_array **pm) {
    if (a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
        return error_status(EM_ERR_VALUE, "[LUF] The gradient is only implemented for square matrices.");
    em_array *f[3] = {out[0], out[1], out[2]};
    if (!f[0] || !f[2]) {
        em_array *g[3] = {NULL, NULL, NULL};
        if (linalg_lu_node("lu", a, g) != EM_OK) return em_error_code();
        for (int i = 0; i < 3; i++) f[i] = tk(t, g[i]);
    }
    int64_t n = a->shape[a->ndim - 1];
    *l = add(t, tri(t, f[0], false, -1), tk(t, em_eye(n, n, 0, a->dtype)));
    *u = tri(t, f[0], true, 0);
    em_array *idx = tk(t, em_arange(0, (double)n, 1, EM_UINT32));
    *pm = tk(t, em_astype(tk(t, em_equal(as_col(t, f[2]), idx)), a->dtype));
    return *pm ? EM_OK : em_error_code();
}

static em_status lu_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, em_array **grads) {
    (void)n;
    rule_tmp t = {0};
    em_array *l = NULL, *u = NULL, *pm = NULL;
    if (!cot[0]) return EM_OK; /* pivots and permutation are integers */
    if (lu_factors(&t, in[0], out, &l, &u, &pm) != EM_OK) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    em_array *c = cot[0];
    em_array *x = add(&t, tri(&t, mm(&t, mT(&t, l), c), false, -1), tri(&t, mm(&t, c, mT(&t, u)), true, 0));
    /* G = L^-T X U^-T, then a' = Pm G */
    em_array *y = solve_tri(&t, mT(&t, l), x, true);
    em_array *g = mT(&t, solve_tri(&t, u, mT(&t, y), true));
    return finish(&t, mm(&t, pm, g), &grads[0]);
}

static em_status lu_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    (void)n;
    rule_tmp t = {0};
    em_array *l = NULL, *u = NULL, *pm = NULL;
    if (lu_factors(&t, in[0], out, &l, &u, &pm) != EM_OK) {
        rule_tmp_free(&t);
        return em_error_code();
    }
    /* X = L^-1 (Pm^T dA) U^-1 */
    em_array *y = solve_tri(&t, l, mm(&t, mT(&t, pm), tan[0]), false);
    em_array *x = mT(&t, solve_tri(&t, mT(&t, u), mT(&t, y), false));
    em_array *d = add(&t, mm(&t, l, tri(&t, x, false, -1)), mm(&t, tri(&t, x, true, 0), u));
    return finish(&t, d, &out_tan[0]);
}

/* ---------------------------------------------------------------- solves */

/* The node's output (or cotangent, or tangent) as (..., N, K): a vector
 * right-hand side's solution has no K axis. */
static em_array *as_rhs(rule_tmp *t, const em_array *x, const em_array *b) {
    if (!x || x->ndim == b->ndim) return (em_array *)x;
    return tk(t, ops_reshape(x, b->shape, b->ndim));
}

static em_status solve_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                           em_array *const *cot, const bool *want, em_array **grads) {
    bool trian = n->prim == EM_PRIM_SOLVE_TRIANGULAR;
    bool upper = trian && NODE_PARAMS(n, em_triangle_params)->upper;
    rule_tmp t = {0};
    const em_array *a = in[0], *b = in[1];
    em_array *x = as_rhs(&t, out[0] ? out[0] : tk(&t, trian ? em_linalg_solve_triangular(a, b, upper)
                                                            : em_linalg_solve(a, b)), b);
    em_array *g = as_rhs(&t, cot[0], b);
    /* b' = A^-T g (A^T's triangle is the other one) */
    em_array *gb = trian ? solve_tri(&t, mT(&t, a), g, !upper) : tk(&t, em_linalg_solve(mT(&t, a), g));
    em_status st = EM_OK;
    if (want[1]) st = rule_status(grads[1] = em_array_retain(gb));
    if (want[0] && st == EM_OK) {
        em_array *ga = neg(&t, mm(&t, gb, mT(&t, x)));
        if (trian) ga = tri(&t, ga, upper, 0);
        st = rule_status(grads[0] = em_array_retain(ga));
    }
    rule_tmp_free(&t);
    return st;
}

static em_status solve_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                           em_array *const *tan, em_array **out_tan) {
    bool trian = n->prim == EM_PRIM_SOLVE_TRIANGULAR;
    bool upper = trian && NODE_PARAMS(n, em_triangle_params)->upper;
    rule_tmp t = {0};
    const em_array *a = in[0], *b = in[1];
    em_array *rhs = tan[1];
    if (tan[0]) {
        em_array *x = as_rhs(&t, out[0] ? out[0] : tk(&t, trian ? em_linalg_solve_triangular(a, b, upper)
                                                                : em_linalg_solve(a, b)), b);
        em_array *da = trian ? tri(&t, tan[0], upper, 0) : tan[0];
        em_array *ax = mm(&t, da, x);
        rhs = rhs ? sub(&t, rhs, ax) : neg(&t, ax);
    }
    em_array *dx = trian ? solve_tri(&t, a, rhs, upper) : tk(&t, em_linalg_solve(a, rhs));
    const em_array *like = out[0] ? out[0] : NULL;
    if (dx && like && like->ndim != dx->ndim) dx = tk(&t, ops_reshape(dx, like->shape, like->ndim));
    return finish(&t, dx, &out_tan[0]);
}

/* ---------------------------------------------------------------- entry points */

em_status ops_linalg_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    if (!want[0] && n->prim != EM_PRIM_SOLVE && n->prim != EM_PRIM_SOLVE_TRIANGULAR) return EM_OK;
    switch (n->prim) {
    case EM_PRIM_INVERSE: return inverse_vjp(n, in, out, cot, grads);
    case EM_PRIM_CHOLESKY: return cholesky_vjp(n, in, out, cot, grads);
    case EM_PRIM_QR: return qr_vjp(n, in, out, cot, grads);
    case EM_PRIM_SVD: return svd_vjp(n, in, out, cot, grads);
    case EM_PRIM_EIGH: return eigh_vjp(n, in, out, cot, grads);
    case EM_PRIM_LU: return lu_vjp(n, in, out, cot, grads);
    case EM_PRIM_SOLVE:
    case EM_PRIM_SOLVE_TRIANGULAR: return solve_vjp(n, in, out, cot, want, grads);
    default: return ops_no_vjp(n);
    }
}

em_status ops_linalg_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    if (n->prim != EM_PRIM_SOLVE && n->prim != EM_PRIM_SOLVE_TRIANGULAR && !tan[0]) return EM_OK;
    switch (n->prim) {
    case EM_PRIM_INVERSE: return inverse_jvp(n, in, out, tan, out_tan);
    case EM_PRIM_CHOLESKY: return cholesky_jvp(n, in, out, tan, out_tan);
    case EM_PRIM_QR: return qr_jvp(n, in, out, tan, out_tan);
    case EM_PRIM_SVD: return svd_jvp(n, in, out, tan, out_tan);
    case EM_PRIM_EIGH: return eigh_jvp(n, in, out, tan, out_tan);
    case EM_PRIM_LU: return lu_jvp(n, in, out, tan, out_tan);
    case EM_PRIM_SOLVE:
    case EM_PRIM_SOLVE_TRIANGULAR: return solve_jvp(n, in, out, tan, out_tan);
    default: return ops_no_jvp(n);
    }
}

/* Every linalg primitive works on matrices batched over leading axes: the
 * batch axis goes in front (an unmapped input is broadcast along it) and the
 * same node is made over the batched inputs; every output carries the batch
 * in front. */
em_status ops_linalg_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                          int *out_axes) {
    int64_t size = vmap_size(in, axes, n->n_in);
    em_array *x[2] = {NULL, NULL};
    em_status st = EM_OK;
    for (int i = 0; i < n->n_in && st == EM_OK; i++)
        if (!(x[i] = vmap_move(in[i], axes[i], 0, size))) st = em_error_code();
    em_dtype dts[3];
    int64_t shapes[3][EM_MAX_NDIM];
    const int64_t *sp[3];
    int nds[3];
    for (int k = 0; k < n->n_out && st == EM_OK; k++) {
        const em_array *like = vmap_traced_out(n, k);
        if (like->ndim + 1 > EM_MAX_NDIM) {
            st = error_status(EM_ERR_VALUE, "[vmap] Arrays may have at most %d dimensions.", EM_MAX_NDIM);
            break;
        }
        dts[k] = like->dtype;
        shapes[k][0] = size;
        memcpy(shapes[k] + 1, like->shape, (size_t)like->ndim * sizeof(int64_t));
        sp[k] = shapes[k];
        nds[k] = like->ndim + 1;
        out_axes[k] = 0;
    }
    if (st == EM_OK)
        st = node_make_multi(n->prim, n->params, n->params_size, x, n->n_in, n->n_out, dts, sp, nds, out);
    em_array_release(x[0]);
    em_array_release(x[1]);
    return st;
}
