/* ternary.c -- CPU kernels of the ternary primitives. */
#include "kernels.h"

em_status cpu_ternary_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    (void)out;
    return cpu_unsupported(n, n->n_in ? in[0]->dtype : EM_FLOAT32);
}
