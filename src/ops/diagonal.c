/* diagonal.c -- diagonals: the DIAGONAL view primitive (em_diagonal) and the
 * ops made from it, diag and trace, with the primitive's vjp/jvp/vmap rules.
 *
 * DIAGONAL contract (what the CPU kernel may assume):
 *   one input of rank >= 2; params hold the offset and two distinct,
 *   normalised axes; the output has the input's other axes in order, then
 *   the diagonal's axis, of length max(0, min(n1 + min(off,0), n2 - max(off,0)))
 *   (0 when |off| is past the matrix). It is a strided view: no data moves.
 * Messages follow MLX's text. */
#include <string.h>

#include "rules.h"

/* The length of the offset diagonal of an n1 x n2 matrix (no overflow for
 * any offset). */
static int64_t diag_len(int64_t n1, int64_t n2, int64_t off) {
    if (off >= 0) return off >= n2 ? 0 : (n1 < n2 - off ? n1 : n2 - off);
    if (off <= -n1) return 0;
    return n1 + off < n2 ? n1 + off : n2;
}

/* Checks rank and axes for `op` (diagonal or trace), writing the normalised
 * axes; false with MLX's error set. */
static bool diag_axes(const char *op, const em_array *a, int axis1, int axis2, int *ax1, int *ax2) {
    if (a->ndim < 2) {
        error_set(EM_ERR_VALUE,
                  "[%s] Array must have at least two dimensions, but got %d dimensions.", op,
                  a->ndim);
        return false;
    }
    int n = a->ndim;
    if (axis1 < -n || axis1 >= n) {
        error_set(EM_ERR_INDEX, "[%s] Invalid axis1 %d for array with %d dimensions.", op, axis1, n);
        return false;
    }
    if (axis2 < -n || axis2 >= n) {
        error_set(EM_ERR_INDEX, "[%s] Invalid axis2 %d for array with %d dimensions.", op, axis2, n);
        return false;
    }
    *ax1 = axis1 < 0 ? axis1 + n : axis1;
    *ax2 = axis2 < 0 ? axis2 + n : axis2;
    if (*ax1 == *ax2) {
        error_set(EM_ERR_VALUE, "[%s] axis1 and axis2 cannot be the same axis", op);
        return false;
    }
    return true;
}

static em_array *make_diagonal(const em_array *a, int64_t off, int ax1, int ax2) {
    int64_t shape[EM_MAX_NDIM];
    int nd = 0;
    for (int i = 0; i < a->ndim; i++)
        if (i != ax1 && i != ax2) shape[nd++] = a->shape[i];
    int64_t d = diag_len(a->shape[ax1], a->shape[ax2], off);
    shape[nd++] = d;
    em_diagonal_params p;
    memset(&p, 0, sizeof p);
    p.offset = d ? off : 0;
    p.axis1 = ax1;
    p.axis2 = ax2;
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_DIAGONAL, &p, sizeof p, &in, 1, a->dtype, shape, nd);
}

EM_PUBLIC_OP(em_diagonal, (const em_array *a, int64_t offset, int axis1, int axis2),
             (a, offset, axis1, axis2)) {
    EM_CHECK_ARG("diagonal", a);
    int ax1, ax2;
    if (!diag_axes("diagonal", a, axis1, axis2, &ax1, &ax2)) return NULL;
    return make_diagonal(a, offset, ax1, ax2);
}

/* The inverse placement: g (..., d) written on the offset diagonal of
 * zero (..., n1, n2) matrices, whose last two axes then move to ax1 and ax2
 * of a rank-nd result (ax1 == nd-2, ax2 == nd-1 leaves them last). Made of
 * where, pad and transpose, so it differentiates and batches. */
static em_array *diag_embed(const em_array *g, int64_t off, int64_t n1, int64_t n2, int ax1,
                            int ax2) {
    rule_tmp t = {0};
    int nb = g->ndim - 1, nd = nb + 2;
    int64_t d = g->shape[nb];
    em_array *m;
    if (d == 0) {
        int64_t shape[EM_MAX_NDIM];
        memcpy(shape, g->shape, (size_t)nb * sizeof *shape);
        shape[nb] = n1;
        shape[nb + 1] = n2;
        m = tk(&t, em_zeros(shape, nd, g->dtype));
    } else {
        int ax = nd - 1;
        em_array *col = tk(&t, em_expand_dims(g, &ax, 1)); /* (..., d, 1): row i holds g[i] */
        em_array *eye = tk(&t, em_eye(d, d, 0, EM_BOOL));
        m = tk(&t, em_where(eye, col, sc(&t, 0, g)));
        int64_t pw[2 * EM_MAX_NDIM] = {0};
        int64_t r0 = off < 0 ? -off : 0, c0 = off > 0 ? off : 0;
        pw[2 * nb] = r0;
        pw[2 * nb + 1] = n1 - r0 - d;
        pw[2 * nb + 2] = c0;
        pw[2 * nb + 3] = n2 - c0 - d;
        m = tk(&t, em_pad(m, pw, nd, EM_PAD_CONSTANT, NULL));
    }
    int perm[EM_MAX_NDIM];
    for (int p = 0, k = 0; p < nd; p++) perm[p] = p == ax1 ? nb : p == ax2 ? nb + 1 : k++;
    em_array *r = em_transpose(m, perm, nd);
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_diag, (const em_array *a, int64_t k), (a, k)) {
    EM_CHECK_ARG("diag", a);
    if (a->ndim == 2) return make_diagonal(a, k, 0, 1);
    if (a->ndim != 1)
        return error_set(EM_ERR_VALUE, "[diag] array must be 1-D or 2-D, got array with %d dimensions.",
                         a->ndim);
    int64_t n = a->shape[0], ak = k == INT64_MIN ? INT64_MAX : k < 0 ? -k : k;
    if (ak > INT64_MAX - n || !ops_check_shape("diag", (int64_t[]){n + ak, n + ak}, 2, a->dtype))
        return error_set(EM_ERR_VALUE, "[diag] The offset %lld makes the result too large.", (long long)k);
    return diag_embed(a, k, n + ak, n + ak, 0, 1);
}

EM_PUBLIC_OP(em_trace, (const em_array *a, int64_t offset, int axis1, int axis2, em_dtype dtype,
                        bool has_dtype),
             (a, offset, axis1, axis2, dtype, has_dtype)) {
    EM_CHECK_ARG("trace", a);
    if (has_dtype && !em_dtype_is_valid((int)dtype))
        return error_set(EM_ERR_TYPE, "[trace] Invalid dtype %d.", (int)dtype);
    int ax1, ax2;
    if (!diag_axes("trace", a, axis1, axis2, &ax1, &ax2)) return NULL;
    rule_tmp t = {0};
    em_array *d = tk(&t, make_diagonal(a, offset, ax1, ax2));
    if (has_dtype) d = tk(&t, em_astype(d, dtype));
    int last = a->ndim - 2;
    em_array *r = d ? em_sum(d, &last, 1, false) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- rules */

em_status ops_diagonal_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                           em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    if (!want[0]) return EM_OK;
    const em_diagonal_params *p = NODE_PARAMS(n, em_diagonal_params);
    const em_array *x = in[0];
    grads[0] = diag_embed(cot[0], p->offset, x->shape[p->axis1], x->shape[p->axis2], p->axis1,
                          p->axis2);
    return rule_status(grads[0]);
}

em_status ops_diagonal_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                           em_array *const *tan, em_array **out_tan) {
    (void)in, (void)out;
    const em_diagonal_params *p = NODE_PARAMS(n, em_diagonal_params);
    out_tan[0] = make_diagonal(tan[0], p->offset, p->axis1, p->axis2);
    return rule_status(out_tan[0]);
}

/* The batch axis moves to the front, past which the two axes shift by one;
 * the other axes, and so the batch, stay ahead of the diagonal's. */
em_status ops_diagonal_vmap(const em_node *n, em_array *const *in, const int *axes,
                            em_array **out, int *out_axes) {
    const em_diagonal_params *p = NODE_PARAMS(n, em_diagonal_params);
    em_array *m = em_moveaxis(in[0], axes[0], 0);
    out[0] = m ? make_diagonal(m, p->offset, p->axis1 + 1, p->axis2 + 1) : NULL;
    em_array_release(m);
    out_axes[0] = 0;
    return rule_status(out[0]);
}
