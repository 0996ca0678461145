/* custom.c -- the CPU kernel of CUSTOM nodes: each output is a view of the
 * matching one of the node's last n_out inputs (the function's outputs). */
#include "kernels.h"

em_status cpu_custom_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (n->prim != EM_PRIM_CUSTOM) return cpu_unsupported(n, in[0]->dtype);
    int first = n->n_in - n->n_out;
    for (int i = 0; i < n->n_out; i++) {
        em_array *src = in[first + i], *o = out[i];
        if (o) array_share_data(o, src, src->offset, src->strides, src->data_size);
    }
    return EM_OK;
}
