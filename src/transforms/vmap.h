/* vmap.h -- helpers the primitives' vmap rules share (the rule contract is in
 * src/ops/primitives.h; the engine is src/transforms/vmap.c).
 *
 * Every helper follows the rules' conventions: arguments borrowed, arrays
 * returned as new references, NULL (or an error code) with the thread's error
 * set on failure. A batch axis of -1 means "not mapped". */
#ifndef EM_TRANSFORMS_VMAP_H
#define EM_TRANSFORMS_VMAP_H

#include "../core/node.h"

/* The batch size: the length of the batch axis of the first mapped input
 * (0 when none is mapped). */
int64_t vmap_size(em_array *const *in, const int *axes, int n);

/* The index of the first mapped input, or -1. */
int vmap_first(const int *axes, int n);

/* `a` with its batch axis moved from `from` to `to`. An unmapped `a`
 * (from == -1) gets a new axis of length `size` at `to`, a broadcast view,
 * so that it meets mapped operands shape for shape. */
em_array *vmap_move(const em_array *a, int from, int to, int64_t size);

/* The rule of every elementwise primitive (unary, binary, ternary, astype,
 * copy): node n rebuilt over its batched inputs, each moved (or, unmapped,
 * broadcast) so that the batch sits at the first mapped input's axis, which
 * is the output's. The output dtype is n's. */
em_status vmap_elementwise(const em_node *n, em_array *const *in, const int *axes,
                           em_array **out, int *out_axes);

/* The traced output k of n: its unbatched shape and dtype. The engine holds
 * every output of a node whose rule it calls, so this is never NULL there. */
static inline const em_array *vmap_traced_out(const em_node *n, int k) {
    return n->outputs[k];
}

#endif
