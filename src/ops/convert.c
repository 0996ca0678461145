/* convert.c -- astype, copy, and the casting/broadcast helpers builders use. */
#include "rules.h"

em_array *ops_cast(const em_array *a, em_dtype dtype) {
    EM_CHECK_ARG("astype", a);
    if (a->dtype == dtype) return em_array_retain((em_array *)a);
    if (!em_dtype_is_valid((int)dtype))
        return error_set(EM_ERR_TYPE, "[astype] Invalid dtype %d.", (int)dtype);
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_ASTYPE, NULL, 0, &in, 1, dtype, a->shape, a->ndim);
}

em_array *ops_scalar(double v, em_dtype dtype) { return em_array_from_double(v, dtype); }

EM_PUBLIC_OP(em_astype, (const em_array *a, em_dtype dtype), (a, dtype)) {
    return ops_cast(a, dtype);
}

EM_PUBLIC_OP(em_copy, (const em_array *a), (a)) {
    EM_CHECK_ARG("copy", a);
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_COPY, NULL, 0, &in, 1, a->dtype, a->shape, a->ndim);
}

/* ---------------------------------------------------------------- autodiff */

/* astype passes derivatives through, cast back to the input's dtype (MLX),
 * even for integer and bool casts; copy is the identity. */
em_status ops_convert_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *cot, const bool *want, em_array **grads) {
    (void)n, (void)out;
    if (!want[0]) return EM_OK;
    grads[0] = ops_cast(cot[0], in[0]->dtype);
    return rule_status(grads[0]);
}

em_status ops_convert_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *tan, em_array **out_tan) {
    (void)n, (void)in;
    out_tan[0] = ops_cast(tan[0], out[0]->dtype);
    return rule_status(out_tan[0]);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_convert_vmap(const em_node *n, em_array *const *in, const int *axes,
                           em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
