/* view.c -- CPU kernels of the view primitives: they point the output at the
 * input's buffer with new strides, copying only when no strides can express
 * the result. */
#include "kernels.h"

static em_status broadcast(em_array *in, em_array *out) {
    int64_t st[EM_MAX_NDIM];
    int off = out->ndim - in->ndim;
    for (int i = 0; i < out->ndim; i++) {
        int j = i - off;
        st[i] = j < 0 || in->shape[j] == 1 ? 0 : in->strides[j];
    }
    array_share_data(out, in, in->offset, st, in->data_size);
    return EM_OK;
}

em_status cpu_view_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_BROADCAST: return broadcast(in[0], out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
