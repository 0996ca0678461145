/* view.c -- ops that give a new view of the same data: broadcast_to, reshape,
 * transpose, slice, squeeze/expand_dims and friends. None of them copies
 * (reshape only when the layout leaves no other way). */
#include "ops.h"

em_array *ops_broadcast(const em_array *a, const int64_t *shape, int ndim) {
    EM_CHECK_ARG("broadcast_to", a);
    if (a->ndim == ndim) {
        bool same = true;
        for (int i = 0; i < ndim && same; i++) same = a->shape[i] == shape[i];
        if (same) return em_array_retain((em_array *)a);
    }
    bool ok = a->ndim <= ndim;
    for (int i = 0; ok && i < a->ndim; i++) {
        int64_t d = a->shape[a->ndim - 1 - i], t = shape[ndim - 1 - i];
        ok = d == t || d == 1;
    }
    for (int i = 0; ok && i < ndim; i++) ok = shape[i] >= 0;
    if (!ok) {
        char sa[256], sb[256];
        return error_set(EM_ERR_VALUE, "[broadcast_to] Cannot broadcast array of shape %s to shape %s.",
                         shape_str(a->shape, a->ndim, sa, sizeof sa), shape_str(shape, ndim, sb, sizeof sb));
    }
    em_array *in = (em_array *)a;
    return node_make(EM_PRIM_BROADCAST, NULL, 0, &in, 1, a->dtype, shape, ndim);
}

EM_PUBLIC_OP(em_broadcast_to, (const em_array *a, const int64_t *shape, int ndim), (a, shape, ndim)) {
    if (ndim > 0 && !shape) return error_set(EM_ERR_NULL, "[broadcast_to] The shape pointer is NULL.");
    if (ndim < 0 || ndim > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[broadcast_to] Invalid number of dimensions %d.", ndim);
    return ops_broadcast(a, shape, ndim);
}
