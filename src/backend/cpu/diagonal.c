/* diagonal.c -- the CPU kernel of DIAGONAL: a strided view of its input (the
 * contract is in src/ops/diagonal.c). The output keeps the input's other
 * axes and strides and walks the diagonal with stride s1 + s2; nothing is
 * copied, so the work is done when the node is encoded (cpu_diagonal_prepare). */
#include <stdlib.h>

#include "kernels.h"

em_status cpu_diagonal_prepare(const em_node *n, em_array *const *in, em_array *const *out,
                               bool *run) {
    const em_diagonal_params *p = NODE_PARAMS(n, em_diagonal_params);
    em_array *a = in[0], *o = out[0];
    *run = false;
    if (o->size == 0) {
        array_share_data(o, a, a->offset, NULL, 0);
        return EM_OK;
    }
    int64_t st[EM_MAX_NDIM], span = 1;
    int k = 0;
    for (int i = 0; i < a->ndim; i++)
        if (i != p->axis1 && i != p->axis2) st[k++] = a->strides[i];
    st[k] = a->strides[p->axis1] + a->strides[p->axis2];
    for (int i = 0; i < o->ndim; i++) span += (o->shape[i] - 1) * llabs(st[i]);
    int64_t first = p->offset >= 0 ? p->offset * a->strides[p->axis2]
                                   : -p->offset * a->strides[p->axis1];
    size_t off = (size_t)((int64_t)a->offset + first * (int64_t)array_itemsize(a));
    array_share_data(o, a, off, st, span);
    return EM_OK;
}

em_status cpu_diagonal_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    bool run;
    return out[0]->buf ? EM_OK : cpu_diagonal_prepare(n, in, out, &run);
}
