/* ternary.c -- where (select) and clip. */
#include "rules.h"

EM_PUBLIC_OP(em_where, (const em_array *cond, const em_array *x, const em_array *y),
             (cond, x, y)) {
    EM_CHECK_ARG("where", cond);
    EM_CHECK_ARG("where", x);
    EM_CHECK_ARG("where", y);
    int64_t s1[EM_MAX_NDIM], shape[EM_MAX_NDIM];
    int n1 = shape_broadcast("broadcast_shapes", cond->shape, cond->ndim, x->shape, x->ndim, s1);
    if (n1 < 0) return NULL;
    int nd = shape_broadcast("broadcast_shapes", s1, n1, y->shape, y->ndim, shape);
    if (nd < 0) return NULL;
    em_dtype dt = em_result_type(x->dtype, y->dtype);
    const em_array *src[3] = {cond, x, y};
    em_dtype dts[3] = {EM_BOOL, dt, dt};
    em_array *in[3] = {NULL, NULL, NULL}, *r = NULL;
    for (int i = 0; i < 3; i++) {
        em_array *c = ops_cast(src[i], dts[i]);
        in[i] = ops_broadcast(c, shape, nd);
        em_array_release(c);
    }
    if (in[0] && in[1] && in[2]) r = node_make(EM_PRIM_SELECT, NULL, 0, in, 3, dt, shape, nd);
    for (int i = 0; i < 3; i++) em_array_release(in[i]);
    return r;
}

EM_PUBLIC_OP(em_clip, (const em_array *a, const em_array *lo, const em_array *hi), (a, lo, hi)) {
    EM_CHECK_ARG("clip", a);
    if (!lo && !hi)
        return error_set(EM_ERR_VALUE, "[clip] One of a_min and a_max must not be None.");
    em_array *r = em_array_retain((em_array *)a);
    if (lo) {
        em_array *t = em_maximum(r, lo);
        em_array_release(r);
        r = t;
    }
    if (hi && r) {
        em_array *t = em_minimum(r, hi);
        em_array_release(r);
        r = t;
    }
    return r;
}

/* ---------------------------------------------------------------- autodiff */

/* SELECT(cond, x, y): the condition has no derivative; each branch gets the
 * cotangent where it was chosen. */
em_status ops_ternary_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *cot, const bool *want, em_array **grads) {
    (void)n, (void)out;
    rule_tmp t = {0};
    em_array *zero = sc(&t, 0, cot[0]);
    em_status st = EM_OK;
    if (want[1] && st == EM_OK) st = rule_status(grads[1] = em_where(in[0], cot[0], zero));
    if (want[2] && st == EM_OK) st = rule_status(grads[2] = em_where(in[0], zero, cot[0]));
    rule_tmp_free(&t);
    return st;
}

em_status ops_ternary_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *tan, em_array **out_tan) {
    (void)n, (void)out;
    if (!tan[1] && !tan[2]) return EM_OK;
    rule_tmp t = {0};
    out_tan[0] = em_where(in[0], tk(&t, rules_or_zeros(tan[1], in[1])),
                          tk(&t, rules_or_zeros(tan[2], in[2])));
    rule_tmp_free(&t);
    return rule_status(out_tan[0]);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_ternary_vmap(const em_node *n, em_array *const *in, const int *axes,
                           em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
