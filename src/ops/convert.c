/* convert.c -- astype, copy, and the casting/broadcast helpers builders use. */
#include "ops.h"

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

em_status ops_convert_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *cot, const bool *want, em_array **grads) {
    (void)in, (void)out, (void)cot, (void)want, (void)grads;
    return ops_no_vjp(n);
}

em_status ops_convert_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                          em_array *const *tan, em_array **out_tan) {
    (void)in, (void)out, (void)tan, (void)out_tan;
    return ops_no_jvp(n);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_convert_vmap(const em_node *n, em_array *const *in, const int *axes,
                           em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
