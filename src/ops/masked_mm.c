/* masked_mm.c -- MLX's matmul variants for mixtures of experts and sparse
 * blocks: gather_mm (operands picked by index from their batch), segmented_mm
 * (one product per segment of the inner dimension) and block_masked_mm
 * (block masks on the operands and the result). Each is made of take,
 * comparisons, multiply and matmul, so its vjp, jvp and vmap come from
 * those; none adds a primitive. Messages follow MLX's text. Integer operands
 * are computed, as em_matmul does (MLX refuses them). */
#include <string.h>

#include "rules.h"

static bool is_integral(em_dtype dt) {
    em_dtype_kind k = em_dtype_kind_of(dt);
    return k == EM_KIND_INT || k == EM_KIND_UINT;
}

static em_array *k_mismatch(const char *op, const em_array *a, const em_array *b) {
    char sa[256], sb[256];
    return error_set(EM_ERR_VALUE, "[%s] Last dimension of first input with shape %s must match "
                                   "second to last dimension of second input with shape %s.", op,
                     shape_str(a->shape, a->ndim, sa, sizeof sa),
                     shape_str(b->shape, b->ndim, sb, sizeof sb));
}

/* x (batch..., R, C) with its batch flattened, indexed by idx along it:
 * idx.shape + (R, C). x itself (retained) when idx is NULL. */
static em_array *gather_batch(const em_array *x, const em_array *idx, rule_tmp *t) {
    if (!idx) return em_array_retain((em_array *)x);
    int64_t s[3] = {-1, x->shape[x->ndim - 2], x->shape[x->ndim - 1]};
    if (x->size == 0) s[0] = shape_numel(x->shape, x->ndim - 2);
    em_array *flat = tk(t, em_reshape(x, s, 3));
    return flat ? em_take(flat, idx, 0, true) : NULL;
}

EM_PUBLIC_OP(em_gather_mm, (const em_array *a, const em_array *b, const em_array *lhs_indices,
                            const em_array *rhs_indices, bool sorted_indices),
             (a, b, lhs_indices, rhs_indices, sorted_indices)) {
    (void)sorted_indices; /* a hint MLX's kernels may use; the result is the same */
    EM_CHECK_ARG("gather_mm", a);
    EM_CHECK_ARG("gather_mm", b);
    if (a->ndim == 0 || b->ndim == 0)
        return error_set(EM_ERR_VALUE, "[gather_mm] Got 0 dimension input. Inputs must have at least "
                                       "one dimension.");
    if ((lhs_indices && !is_integral(lhs_indices->dtype)) ||
        (rhs_indices && !is_integral(rhs_indices->dtype)))
        return error_set(EM_ERR_VALUE,
                         "[gather_mm] Got indices with invalid dtype. Indices must be integral.");
    rule_tmp t = {0};
    /* vectors act as a (1,K) row and a (K,1) column, dropped at the end */
    int ax0 = 0, ax1 = 1;
    const em_array *A = a->ndim == 1 ? tk(&t, em_expand_dims(a, &ax0, 1)) : a;
    const em_array *B = b->ndim == 1 ? tk(&t, em_expand_dims(b, &ax1, 1)) : b;
    em_array *r = NULL;
    if (A && B && A->shape[A->ndim - 1] != B->shape[B->ndim - 2]) {
        k_mismatch("gather_mm", A, B);
    } else if (A && B) {
        em_array *ga = tk(&t, gather_batch(A, lhs_indices, &t));
        em_array *gb = tk(&t, gather_batch(B, rhs_indices, &t));
        r = tk(&t, em_matmul(ga, gb));
        if (r && b->ndim == 1) r = tk(&t, em_squeeze(r, (int[]){-1}, 1));
        if (r && a->ndim == 1) r = tk(&t, em_squeeze(r, (int[]){-2 + (b->ndim == 1)}, 1));
    }
    em_array *out = em_array_retain(r);
    rule_tmp_free(&t);
    return out;
}

/* out[s] = a[:, start_s:end_s] @ b[start_s:end_s, :]: a masked by the
 * segment's columns, then one batched product. An empty or reversed segment
 * gives zeros; bounds are clipped to [0, K). */
EM_PUBLIC_OP(em_segmented_mm, (const em_array *a, const em_array *b, const em_array *segments),
             (a, b, segments)) {
    EM_CHECK_ARG("segmented_mm", a);
    EM_CHECK_ARG("segmented_mm", b);
    EM_CHECK_ARG("segmented_mm", segments);
    if (a->ndim != 2 || b->ndim != 2)
        return error_set(EM_ERR_VALUE, "[segmented_mm] Batched matmul not supported");
    if (!is_integral(segments->dtype))
        return error_set(EM_ERR_VALUE,
                         "[segmented_mm] Got segments with invalid dtype. Segments must be integral.");
    if (segments->ndim == 0 || segments->shape[segments->ndim - 1] != 2) {
        char s[256];
        return error_set(EM_ERR_VALUE, "[segmented_mm] The segments should have shape (..., 2) but %s "
                                       "was provided.",
                         shape_str(segments->shape, segments->ndim, s, sizeof s));
    }
    if (a->shape[1] != b->shape[0]) return k_mismatch("segmented_mm", a, b);
    int64_t K = a->shape[1];
    int nd = segments->ndim;
    em_dtype dt = em_result_type(a->dtype, b->dtype);
    rule_tmp t = {0};
    int64_t lo[EM_MAX_NDIM] = {0}, hi[EM_MAX_NDIM];
    memcpy(hi, segments->shape, (size_t)nd * sizeof *hi);
    hi[nd - 1] = 1;
    em_array *start = tk(&t, em_slice(segments, lo, hi, NULL, nd)); /* (..., 1) */
    lo[nd - 1] = 1, hi[nd - 1] = 2;
    em_array *end = tk(&t, em_slice(segments, lo, hi, NULL, nd));
    em_array *k = tk(&t, em_arange(0, (double)K, 1, EM_INT64));
    em_array *mask = tk(&t, em_logical_and(tk(&t, em_greater_equal(k, start)), tk(&t, em_less(k, end))));
    int ax = nd - 1;
    mask = tk(&t, em_expand_dims(tk(&t, em_astype(mask, dt)), &ax, 1)); /* (..., 1, K) */
    em_array *r = em_matmul(tk(&t, em_multiply(a, mask)), b);
    rule_tmp_free(&t);
    return r;
}

/* mask (..., ceil(R/bs), ceil(C/bs)) as an elementwise (..., R, C) factor of
 * dtype dt: each entry repeated over its block, cut to R x C. */
static em_array *expand_mask(const char *which, const em_array *m, int64_t R, int64_t C, int64_t bs,
                             em_dtype dt, int max_ndim, rule_tmp *t) {
    if (m->ndim > max_ndim) {
        char s[256];
        return error_set(EM_ERR_VALUE, "[block_masked_mm] %s of shape %s has more batch dimensions "
                                       "than its operand.", which, shape_str(m->shape, m->ndim, s, sizeof s));
    }
    int64_t rb = (R + bs - 1) / bs, cb = (C + bs - 1) / bs;
    if (m->ndim < 2 || (m->shape[m->ndim - 2] != rb && m->shape[m->ndim - 2] != 1) ||
        (m->shape[m->ndim - 1] != cb && m->shape[m->ndim - 1] != 1)) {
        char s[256];
        return error_set(EM_ERR_VALUE, "[block_masked_mm] %s of shape %s does not match the block "
                                       "shape (%lld,%lld).", which,
                         shape_str(m->shape, m->ndim, s, sizeof s), (long long)rb, (long long)cb);
    }
    int nb = m->ndim - 2;
    int64_t s5[EM_MAX_NDIM + 2], b5[EM_MAX_NDIM + 2];
    memcpy(s5, m->shape, (size_t)nb * sizeof *s5);
    memcpy(b5, m->shape, (size_t)nb * sizeof *b5);
    s5[nb] = m->shape[nb], s5[nb + 1] = 1, s5[nb + 2] = m->shape[nb + 1], s5[nb + 3] = 1;
    b5[nb] = rb, b5[nb + 1] = bs, b5[nb + 2] = cb, b5[nb + 3] = bs;
    if (nb + 4 > EM_MAX_NDIM) return error_set(EM_ERR_VALUE, "[block_masked_mm] Too many dimensions.");
    em_array *x = tk(t, em_reshape(tk(t, em_astype(m, dt)), s5, nb + 4));
    x = tk(t, em_broadcast_to(x, b5, nb + 4));
    int64_t s2[EM_MAX_NDIM];
    memcpy(s2, m->shape, (size_t)nb * sizeof *s2);
    s2[nb] = rb * bs, s2[nb + 1] = cb * bs;
    x = tk(t, em_reshape(x, s2, nb + 2));
    int64_t lo[EM_MAX_NDIM] = {0};
    s2[nb] = R, s2[nb + 1] = C;
    return x ? em_slice(x, lo, s2, NULL, nb + 2) : NULL;
}

EM_PUBLIC_OP(em_block_masked_mm, (const em_array *a, const em_array *b, int block_size,
                                  const em_array *mask_out, const em_array *mask_lhs,
                                  const em_array *mask_rhs),
             (a, b, block_size, mask_out, mask_lhs, mask_rhs)) {
    EM_CHECK_ARG("block_masked_mm", a);
    EM_CHECK_ARG("block_masked_mm", b);
    if (block_size <= 0)
        return error_set(EM_ERR_VALUE, "[block_masked_mm] block_size must be positive, got %d.",
                         block_size);
    if (a->ndim == 0 || b->ndim == 0) return em_matmul(a, b); /* matmul's error */
    em_dtype dt = em_result_type(a->dtype, b->dtype);
    rule_tmp t = {0};
    int ax0 = 0, ax1 = 1;
    em_array *A = a->ndim == 1 ? tk(&t, em_expand_dims(a, &ax0, 1)) : (em_array *)a;
    em_array *B = b->ndim == 1 ? tk(&t, em_expand_dims(b, &ax1, 1)) : (em_array *)b;
    em_array *r = NULL;
    if (!A || !B) goto done;
    if (A->shape[A->ndim - 1] != B->shape[B->ndim - 2]) {
        k_mismatch("block_masked_mm", A, B);
        goto done;
    }
    int64_t M = A->shape[A->ndim - 2], K = A->shape[A->ndim - 1], N = B->shape[B->ndim - 1];
    if (mask_lhs) A = tk(&t, em_multiply(A, tk(&t, expand_mask("mask_lhs", mask_lhs, M, K, block_size, dt, A->ndim, &t))));
    if (mask_rhs) B = tk(&t, em_multiply(B, tk(&t, expand_mask("mask_rhs", mask_rhs, K, N, block_size, dt, B->ndim, &t))));
    r = tk(&t, em_matmul(A, B));
    if (r && mask_out)
        r = tk(&t, em_multiply(r, tk(&t, expand_mask("mask_out", mask_out, M, N, block_size, dt,
                                                     r->ndim, &t))));
    if (r && b->ndim == 1) r = tk(&t, em_squeeze(r, (int[]){-1}, 1));
    if (r && a->ndim == 1) r = tk(&t, em_squeeze(r, (int[]){-2 + (b->ndim == 1)}, 1));
done:;
    em_array *out = em_array_retain(r);
    rule_tmp_free(&t);
    return out;
}
