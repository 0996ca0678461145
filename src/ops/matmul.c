/* matmul.c -- the matmul builder: NumPy/MLX rules for 1-d operands, batch
 * broadcasting and dtype promotion; the MATMUL primitive's input contract.
 *
 * MATMUL contract (what the CPU kernel may assume):
 *   inputs (a, b) share one dtype (the promoted one);
 *   a is (..., M, K) or a vector (K); b is (..., K, N) or a vector (K);
 *   an input of rank >= 2 carries exactly the output's batch dims (the builder
 *   broadcasts them, so batch strides may be 0); a vector input is shared by
 *   every batch;
 *   the output is batch + (M, if a is not a vector) + (N, if b is not one).
 * Keeping vectors 1-d (rather than reshaping them to (1,K) / (K,1) and back)
 * spares two view nodes per call and needs no reshape.
 *
 * Departure from MLX: MLX refuses integer and bool matmul ("Only inexact types
 * are supported ..."); ember computes it as NumPy does (wrapping integer
 * arithmetic; bool gives OR of ANDs), which is a superset. */
#include "rules.h"

static const char *shape_or_vec(const em_array *x, bool first, char *buf, size_t cap) {
    if (x->ndim != 1) return shape_str(x->shape, x->ndim, buf, cap);
    int64_t s[2] = {first ? 1 : x->shape[0], first ? x->shape[0] : 1};
    return shape_str(s, 2, buf, cap);
}

EM_PUBLIC_OP(em_matmul, (const em_array *a, const em_array *b), (a, b)) {
    EM_CHECK_ARG("matmul", a);
    EM_CHECK_ARG("matmul", b);
    if (a->ndim == 0 || b->ndim == 0)
        return error_set(EM_ERR_VALUE, "[matmul] Got 0 dimension input. Inputs must have at "
                                       "least one dimension.");
    int64_t ka = a->shape[a->ndim - 1];
    int64_t kb = b->shape[b->ndim == 1 ? 0 : b->ndim - 2];
    if (ka != kb) {
        /* MLX reports vectors as the (1,K) row and (K,1) column they act as. */
        char sa[256], sb[256];
        return error_set(EM_ERR_VALUE,
                         "[matmul] Last dimension of first input with shape %s must match "
                         "second to last dimension of second input with shape %s.",
                         shape_or_vec(a, true, sa, sizeof sa), shape_or_vec(b, false, sb, sizeof sb));
    }
    int na = a->ndim >= 2 ? a->ndim - 2 : 0, nb = b->ndim >= 2 ? b->ndim - 2 : 0;
    int64_t shape[EM_MAX_NDIM];
    int nbatch = shape_broadcast("broadcast_shapes", a->shape, na, b->shape, nb, shape);
    if (nbatch < 0) return NULL;
    int nd = nbatch;
    if (a->ndim >= 2) shape[nd++] = a->shape[a->ndim - 2];
    if (b->ndim >= 2) shape[nd++] = b->shape[b->ndim - 1];

    em_dtype dt = em_result_type(a->dtype, b->dtype);
    const em_array *src[2] = {a, b};
    em_array *in[2] = {NULL, NULL}, *r = NULL;
    for (int i = 0; i < 2; i++) {
        const em_array *x = src[i];
        em_array *c = ops_cast(x, dt);
        if (c && x->ndim >= 2) {
            int64_t full[EM_MAX_NDIM];
            for (int d = 0; d < nbatch; d++) full[d] = shape[d];
            full[nbatch] = x->shape[x->ndim - 2];
            full[nbatch + 1] = x->shape[x->ndim - 1];
            in[i] = ops_broadcast(c, full, nbatch + 2);
            em_array_release(c);
        } else {
            in[i] = c;
        }
    }
    if (in[0] && in[1]) r = node_make(EM_PRIM_MATMUL, NULL, 0, in, 2, dt, shape, nd);
    em_array_release(in[0]);
    em_array_release(in[1]);
    return r;
}

/* ---------------------------------------------------------------- autodiff */

/* With vectors made matrices (a: (1,K), b: (K,1), and the cotangent given the
 * matching unit axes), the cotangent of a is C @ B^T and that of b is A^T @ C;
 * a vector operand, shared by every batch, then sums over the batch dims. */
static em_array *as_matrix(const em_array *v, bool row, rule_tmp *t) {
    if (v->ndim != 1) return (em_array *)v;
    int64_t s[2] = {row ? 1 : v->shape[0], row ? v->shape[0] : 1};
    return tk(t, ops_reshape(v, s, 2));
}

static em_array *back_to_vector(em_array *g, const em_array *like, rule_tmp *t) {
    if (!g || like->ndim != 1) return em_array_retain(g);
    int axes[EM_MAX_NDIM], n = g->ndim - 2;
    for (int i = 0; i < n; i++) axes[i] = i;
    em_array *s = n ? tk(t, em_sum(g, axes, n, false)) : g;
    return ops_reshape(s, like->shape, 1);
}

em_status ops_matmul_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    (void)n, (void)out;
    const em_array *a = in[0], *b = in[1];
    rule_tmp t = {0};
    em_array *A = as_matrix(a, true, &t), *B = as_matrix(b, false, &t), *C = cot[0];
    if (a->ndim == 1) {
        int ax = C->ndim - (b->ndim == 1 ? 0 : 1);
        C = tk(&t, em_expand_dims(C, &ax, 1));
    }
    if (b->ndim == 1) {
        int ax = C ? C->ndim : 0;
        C = tk(&t, em_expand_dims(C, &ax, 1));
    }
    em_status st = EM_OK;
    if (want[0]) {
        em_array *g = tk(&t, em_matmul(C, tk(&t, em_swapaxes(B, -1, -2))));
        st = rule_status(grads[0] = back_to_vector(g, a, &t));
    }
    if (want[1] && st == EM_OK) {
        em_array *g = tk(&t, em_matmul(tk(&t, em_swapaxes(A, -1, -2)), C));
        st = rule_status(grads[1] = back_to_vector(g, b, &t));
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_matmul_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    (void)n, (void)out;
    rule_tmp t = {0};
    em_array *r = NULL;
    if (tan[0]) r = tk(&t, em_matmul(tan[0], in[1]));
    if (tan[1]) {
        em_array *s = tk(&t, em_matmul(in[0], tan[1]));
        r = r ? tk(&t, em_add(r, s)) : s;
    }
    out_tan[0] = em_array_retain(r);
    rule_tmp_free(&t);
    return rule_status(out_tan[0]);
}

/* ---------------------------------------------------------------- vmap */

#include <string.h>

#include "../transforms/vmap.h"

/* A mapped operand gets its batch axis in front, a leading batch dim that
 * matmul's broadcasting lines up with the other operand's; a mapped vector
 * becomes a (B, 1..., 1, K) row or (B, 1..., K, 1) column matrix, with ones
 * for the traced batch dims, whose unit axis is dropped from the product.
 * Unmapped operands stay as they are: their batch dims align from the right. */
/* Without batch dims, one mapped operand folds the batch into a matrix
 * dimension: one product instead of a batch of small ones. A mapped a:
 * (B*M, K) @ b -> (B, M, N); a mapped b: a @ (K, B*N) -> (M, B, N). */
static em_status matmul_fold(const em_node *n, em_array *const *in, const int *axes, bool a_vec,
                             int64_t size, em_array **out, int *out_axes) {
    const em_array *like = vmap_traced_out(n, 0);
    bool a_mapped = axes[0] >= 0;
    const em_array *x = in[a_mapped ? 0 : 1];
    em_array *m = em_moveaxis(x, axes[a_mapped ? 0 : 1], a_mapped ? 0 : 1);
    int64_t shape[EM_MAX_NDIM];
    em_array *f = NULL;
    if (m && a_mapped) {
        /* (B, M, K) or (B, K) -> (B*M, K) */
        shape[0] = size * (a_vec ? 1 : m->shape[1]);
        shape[1] = m->shape[m->ndim - 1];
        f = ops_reshape(m, shape, 2);
    } else if (m) {
        /* (K, B, N) or (K, B) -> (K, B*N) */
        shape[0] = m->shape[0];
        shape[1] = size * (m->ndim == 3 ? m->shape[2] : 1);
        f = ops_reshape(m, shape, 2);
    }
    em_array *r = f ? (a_mapped ? em_matmul(f, in[1]) : em_matmul(in[0], f)) : NULL;
    /* the batch goes after M when a is an unmapped matrix, else in front */
    int at = !a_mapped && !a_vec ? 1 : 0;
    for (int i = 0, k = 0; i <= like->ndim; i++) shape[i] = i == at ? size : like->shape[k++];
    out[0] = r ? ops_reshape(r, shape, like->ndim + 1) : NULL;
    out_axes[0] = at;
    em_array_release(m);
    em_array_release(f);
    em_array_release(r);
    return out[0] ? EM_OK : em_error_code();
}

em_status ops_matmul_vmap(const em_node *n, em_array *const *in, const int *axes,
                          em_array **out, int *out_axes) {
    const em_array *like = vmap_traced_out(n, 0);
    int64_t size = vmap_size(in, axes, 2);
    bool vec[2];
    for (int i = 0; i < 2; i++) vec[i] = in[i]->ndim - (axes[i] >= 0) == 1;
    int nbatch = like->ndim - !vec[0] - !vec[1];
    if (nbatch == 0 && (axes[0] < 0 || axes[1] < 0))
        return matmul_fold(n, in, axes, vec[0], size, out, out_axes);
    if (nbatch + 3 > EM_MAX_NDIM)
        return error_status(EM_ERR_VALUE, "[vmap] Arrays may have at most %d dimensions, got %d.",
                            EM_MAX_NDIM, nbatch + 3);
    em_array *x[2] = {NULL, NULL};
    em_status st = EM_OK;
    for (int i = 0; i < 2 && st == EM_OK; i++) {
        if (axes[i] < 0) {
            x[i] = em_array_retain(in[i]);
            continue;
        }
        em_array *m = em_moveaxis(in[i], axes[i], 0);
        if (m && vec[i]) {
            int64_t shape[EM_MAX_NDIM];
            int k = 0;
            shape[k++] = size;
            for (int d = 0; d < nbatch; d++) shape[k++] = 1;
            shape[k++] = i == 0 ? 1 : m->shape[1];
            shape[k++] = i == 0 ? m->shape[1] : 1;
            x[i] = ops_reshape(m, shape, k);
        } else {
            x[i] = em_array_retain(m);
        }
        em_array_release(m);
        if (!x[i]) st = em_error_code();
    }
    em_array *r = st == EM_OK ? em_matmul(x[0], x[1]) : NULL;
    if (r) {
        int64_t shape[EM_MAX_NDIM];
        shape[0] = size;
        memcpy(shape + 1, like->shape, (size_t)like->ndim * sizeof *shape);
        out[0] = ops_reshape(r, shape, like->ndim + 1);
        out_axes[0] = 0;
    }
    em_array_release(r);
    em_array_release(x[0]);
    em_array_release(x[1]);
    return out[0] ? EM_OK : em_error_code();
}
