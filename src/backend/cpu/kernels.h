/* kernels.h -- the CPU backend's entry points: one kernel per primitive family
 * (cpu_<family>_kernel, in src/backend/cpu/<family>.c), dispatched on the
 * node's primitive. A kernel reads its inputs (evaluated, any strides), writes
 * its outputs (already given row-major buffers, for an EM_PF_UPDATE primitive
 * maybe input 0's own; unless the primitive has EM_PF_VIEW, in which case the
 * kernel or cpu_prepare sets them), and returns EM_OK or an error it has set.
 * Kernels run on a stream's worker, or on a thread waiting for them. */
#ifndef EM_BACKEND_CPU_KERNELS_H
#define EM_BACKEND_CPU_KERNELS_H

#include "../../core/node.h"
#include "loops.h"

typedef em_status (*cpu_kernel_fn)(const em_node *n, em_array *const *in, em_array *const *out);

#define X(ID, name, family, flags)                                             \
    em_status cpu_##family##_kernel(const em_node *n, em_array *const *in, em_array *const *out);
EM_PRIMITIVES(X)
#undef X

/* Runs node n on the CPU. */
em_status cpu_run(const em_node *n, em_array *const *in, em_array *const *out);

/* For EM_PF_VIEW primitives, called when the node is encoded (inputs have
 * their buffers and metadata, maybe not yet their values): gives the outputs
 * their buffers from the inputs' metadata and sets *run when a kernel must
 * still fill them (cpu_run, on the stream). Returns EM_ERR_UNSUPPORTED with
 * no error set for a primitive that can only do it all at once, with its
 * inputs' values at hand. */
em_status cpu_prepare(const em_node *n, em_array *const *in, em_array *const *out, bool *run);
em_status cpu_view_prepare(const em_node *n, em_array *const *in, em_array *const *out, bool *run);
em_status cpu_strided_prepare(const em_node *n, em_array *const *in, em_array *const *out, bool *run);
em_status cpu_diagonal_prepare(const em_node *n, em_array *const *in, em_array *const *out,
                               bool *run);

/* The error for a primitive/dtype the family does not handle. */
em_status cpu_unsupported(const em_node *n, em_dtype dt);

/* Whether FUSED can run primitive prim (parameters `params`) on arguments of
 * these dtypes, writing dtype `out`: its inner loop, or NULL. *ctx is the
 * context to pass the loop: params, or `storage` (astype's, which this
 * fills). For compile's fusion pass (src/transforms/fuse.c) and the FUSED
 * kernel. */
cpu_inner_fn cpu_fused_loop(em_prim_id prim, const em_dtype *args, int n_args, em_dtype out,
                            const void *params, cpu_loop_storage *storage, const void **ctx);

#endif
