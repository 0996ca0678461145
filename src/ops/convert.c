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
