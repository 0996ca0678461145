/* kernels.c -- the CPU kernel table, generated from EM_PRIMITIVES. */
#include "../../core/error.h"
#include "kernels.h"

static const cpu_kernel_fn table[EM_PRIM_COUNT] = {
#define X(ID, name, family, flags) [EM_PRIM_##ID] = cpu_##family##_kernel,
    EM_PRIMITIVES(X)
#undef X
};

em_status cpu_run(const em_node *n, em_array *const *in, em_array *const *out) {
    return table[n->prim](n, in, out);
}

em_status cpu_unsupported(const em_node *n, em_dtype dt) {
    return error_status(EM_ERR_UNSUPPORTED, "[%s] Not supported on the cpu for dtype %s.",
                        em_primitives[n->prim].name, em_dtype_name(dt));
}

em_status cpu_prepare(const em_node *n, em_array *const *in, em_array *const *out, bool *run) {
    switch (n->prim) {
    case EM_PRIM_BROADCAST:
    case EM_PRIM_RESHAPE:
    case EM_PRIM_TRANSPOSE:
    case EM_PRIM_SLICE:
    case EM_PRIM_STOP_GRADIENT: return cpu_view_prepare(n, in, out, run);
    case EM_PRIM_VIEW_DTYPE:
    case EM_PRIM_AS_STRIDED:
    case EM_PRIM_CONTIGUOUS:
    case EM_PRIM_DEPENDS: return cpu_strided_prepare(n, in, out, run);
    case EM_PRIM_DIAGONAL: return cpu_diagonal_prepare(n, in, out, run);
    case EM_PRIM_CUSTOM: /* its outputs are views of inputs: metadata only */
        *run = false;
        return cpu_custom_kernel(n, in, out);
    default: return EM_ERR_UNSUPPORTED;
    }
}
