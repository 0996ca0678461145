/* contract.c -- products built from matmul, multiply and the view ops:
 * tensordot, inner, outer, kron, addmm and vecdot. They add no primitive, so
 * their vjp, jvp and vmap come from the ops they are made of. Messages follow
 * MLX's text. */
#include <string.h>

#include "rules.h"

/* ---------------------------------------------------------------- tensordot */

/* a (free_a..., K...) x b (K..., free_b...) as one (M,K) @ (K,N) matmul. The
 * axes are normalised and distinct; their sizes match. */
static em_array *contract_axes(const em_array *a, const em_array *b, const int *xa, const int *xb,
                               int n) {
    rule_tmp t = {0};
    bool in_a[EM_MAX_NDIM] = {false}, in_b[EM_MAX_NDIM] = {false};
    for (int i = 0; i < n; i++) in_a[xa[i]] = in_b[xb[i]] = true;
    int pa[EM_MAX_NDIM], pb[EM_MAX_NDIM], na = 0, nb = 0;
    int64_t shape[EM_MAX_NDIM], m = 1, k = 1, nn = 1;
    int nd = 0;
    for (int i = 0; i < a->ndim; i++)
        if (!in_a[i]) {
            pa[na++] = i;
            shape[nd++] = a->shape[i];
            m *= a->shape[i];
        }
    for (int i = 0; i < n; i++) {
        pa[na++] = xa[i];
        pb[nb++] = xb[i];
        k *= a->shape[xa[i]];
    }
    for (int i = 0; i < b->ndim; i++)
        if (!in_b[i]) {
            pb[nb++] = i;
            shape[nd++] = b->shape[i];
            nn *= b->shape[i];
        }
    em_array *at = tk(&t, em_transpose(a, pa, a->ndim));
    em_array *bt = tk(&t, em_transpose(b, pb, b->ndim));
    int64_t sa[2] = {m, k}, sb[2] = {k, nn};
    em_array *p = tk(&t, em_matmul(tk(&t, em_reshape(at, sa, 2)), tk(&t, em_reshape(bt, sb, 2))));
    em_array *r = p ? em_reshape(p, shape, nd) : NULL;
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_tensordot_axes, (const em_array *a, const em_array *b, const int *axes_a,
                                 const int *axes_b, int n),
             (a, b, axes_a, axes_b, n)) {
    EM_CHECK_ARG("tensordot", a);
    EM_CHECK_ARG("tensordot", b);
    if (n < 0 || (n > 0 && (!axes_a || !axes_b)))
        return error_set(EM_ERR_VALUE, "[tensordot] Invalid axes (count %d).", n);
    if (n > a->ndim || n > b->ndim)
        return error_set(EM_ERR_VALUE, "[tensordot] Got %d axes to contract for inputs of %d and "
                                       "%d dimensions.", n, a->ndim, b->ndim);
    int xa[EM_MAX_NDIM], xb[EM_MAX_NDIM];
    bool seen_a[EM_MAX_NDIM] = {false}, seen_b[EM_MAX_NDIM] = {false};
    for (int i = 0; i < n; i++) {
        if ((xa[i] = shape_axis("tensordot", axes_a[i], a->ndim)) < 0) return NULL;
        if ((xb[i] = shape_axis("tensordot", axes_b[i], b->ndim)) < 0) return NULL;
        if (seen_a[xa[i]] || seen_b[xb[i]])
            return error_set(EM_ERR_VALUE, "[tensordot] Repeated axis in the axes to contract.");
        seen_a[xa[i]] = seen_b[xb[i]] = true;
        if (a->shape[xa[i]] != b->shape[xb[i]])
            return error_set(EM_ERR_VALUE,
                             "[tensordot] a and b must have the same shape on the contracted axes.");
    }
    return contract_axes(a, b, xa, xb, n);
}

EM_PUBLIC_OP(em_tensordot, (const em_array *a, const em_array *b, int axes), (a, b, axes)) {
    EM_CHECK_ARG("tensordot", a);
    EM_CHECK_ARG("tensordot", b);
    if (axes < 0) return error_set(EM_ERR_VALUE, "[tensordot] axis must be greater or equal to 0.");
    if (axes > a->ndim || axes > b->ndim)
        return error_set(EM_ERR_VALUE,
                         "[tensordot] a and b must have the same shape on the contracted axes.");
    int xa[EM_MAX_NDIM], xb[EM_MAX_NDIM];
    for (int i = 0; i < axes; i++) {
        xa[i] = a->ndim - axes + i;
        xb[i] = i;
    }
    return em_tensordot_axes(a, b, xa, xb, axes);
}

/* ---------------------------------------------------------------- inner, outer, kron */

EM_PUBLIC_OP(em_inner, (const em_array *a, const em_array *b), (a, b)) {
    EM_CHECK_ARG("inner", a);
    EM_CHECK_ARG("inner", b);
    if (a->ndim == 0 || b->ndim == 0) return em_multiply(a, b);
    if (a->shape[a->ndim - 1] != b->shape[b->ndim - 1])
        return error_set(EM_ERR_VALUE, "[inner] a and b must have the same last dimension.");
    int xa = a->ndim - 1, xb = b->ndim - 1;
    return contract_axes(a, b, &xa, &xb, 1);
}

EM_PUBLIC_OP(em_outer, (const em_array *a, const em_array *b), (a, b)) {
    EM_CHECK_ARG("outer", a);
    EM_CHECK_ARG("outer", b);
    rule_tmp t = {0};
    int64_t sa[2] = {a->size, 1}, sb[2] = {1, b->size};
    em_array *r = em_multiply(tk(&t, em_reshape(a, sa, 2)), tk(&t, em_reshape(b, sb, 2)));
    rule_tmp_free(&t);
    return r;
}

/* Both operands padded to one rank n with leading ones; a as (a0,1,a1,1,...)
 * times b as (1,b0,1,b1,...) is (a0,b0,a1,b1,...), which reshapes to the
 * products of the pairs. */
EM_PUBLIC_OP(em_kron, (const em_array *a, const em_array *b), (a, b)) {
    EM_CHECK_ARG("kron", a);
    EM_CHECK_ARG("kron", b);
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    if (2 * n > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[kron] Inputs of %d dimensions are not supported.", n);
    int64_t sa[2 * EM_MAX_NDIM], sb[2 * EM_MAX_NDIM], so[EM_MAX_NDIM];
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - a->ndim ? 1 : a->shape[i - (n - a->ndim)];
        int64_t db = i < n - b->ndim ? 1 : b->shape[i - (n - b->ndim)];
        sa[2 * i] = da, sa[2 * i + 1] = 1;
        sb[2 * i] = 1, sb[2 * i + 1] = db;
        if (!ops_check_shape("kron", (int64_t[]){da, db}, 2, EM_COMPLEX64)) return NULL;
        so[i] = da * db;
    }
    if (!ops_check_shape("kron", so, n, EM_COMPLEX64)) return NULL;
    rule_tmp t = {0};
    em_array *p = tk(&t, em_multiply(tk(&t, em_reshape(a, sa, 2 * n)), tk(&t, em_reshape(b, sb, 2 * n))));
    em_array *r = p ? em_reshape(p, so, n) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- addmm, vecdot */

EM_PUBLIC_OP(em_addmm, (const em_array *c, const em_array *a, const em_array *b, double alpha,
                        double beta),
             (c, a, b, alpha, beta)) {
    EM_CHECK_ARG("addmm", c);
    EM_CHECK_ARG("addmm", a);
    EM_CHECK_ARG("addmm", b);
    em_dtype dt = em_result_type(em_result_type(a->dtype, b->dtype), c->dtype);
    em_dtype_kind kind = em_dtype_kind_of(dt);
    if (kind != EM_KIND_FLOAT && kind != EM_KIND_COMPLEX) dt = EM_FLOAT32;
    rule_tmp t = {0};
    em_array *r = tk(&t, em_matmul(tk(&t, ops_cast(a, dt)), tk(&t, ops_cast(b, dt))));
    if (!r) {
        rule_tmp_free(&t);
        return NULL;
    }
    bool fits = c->ndim <= r->ndim;
    for (int i = 0; fits && i < c->ndim; i++) {
        int64_t dc = c->shape[c->ndim - 1 - i];
        fits = dc == 1 || dc == r->shape[r->ndim - 1 - i];
    }
    if (!fits) {
        rule_tmp_free(&t);
        return error_set(EM_ERR_VALUE, "[addmm] input c must broadcast to the output shape");
    }
    if (alpha != 1.0) r = tk(&t, em_multiply(r, tk(&t, ops_scalar(alpha, dt))));
    if (beta != 0.0) {
        em_array *cc = tk(&t, ops_cast(c, dt));
        if (beta != 1.0) cc = tk(&t, em_multiply(cc, tk(&t, ops_scalar(beta, dt))));
        r = tk(&t, em_add(r, cc));
    }
    em_array *out = em_array_retain(r);
    rule_tmp_free(&t);
    return out;
}

EM_PUBLIC_OP(em_vecdot, (const em_array *a, const em_array *b, int axis), (a, b, axis)) {
    EM_CHECK_ARG("vecdot", a);
    EM_CHECK_ARG("vecdot", b);
    if (a->ndim == 0 || b->ndim == 0)
        return error_set(EM_ERR_VALUE, "[vecdot] inputs must be at least 1D.");
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    if (axis < -nd || axis >= nd) return error_set(EM_ERR_INDEX, "[vecdot] axis is out of bounds.");
    int ax = axis < 0 ? axis + nd : axis;
    int ia = ax - (nd - a->ndim), ib = ax - (nd - b->ndim);
    if (ia < 0 || ib < 0) return error_set(EM_ERR_INDEX, "[vecdot] axis is out of bounds.");
    if (a->shape[ia] != b->shape[ib])
        return error_set(EM_ERR_VALUE, "[vecdot] a and b must have the same size along axis.");
    rule_tmp t = {0};
    const em_array *x = a;
    if (em_dtype_kind_of(a->dtype) == EM_KIND_COMPLEX) x = tk(&t, em_conjugate(a));
    em_array *p = tk(&t, em_multiply(x, b));
    em_array *r = p ? em_sum(p, &ax, 1, false) : NULL;
    rule_tmp_free(&t);
    return r;
}
