/* node.h -- graph nodes (one application of a primitive) and the builders that
 * create them. A node holds strong references to its inputs and weak pointers
 * to its outputs; each output holds a strong reference to its node. */
#ifndef EM_CORE_NODE_H
#define EM_CORE_NODE_H

#include <stdalign.h>

#include "../ops/primitives.h"
#include "array.h"

struct em_node {
    atomic_long rc;
    em_prim_id prim;
    int n_in, n_out;
    int stream;           /* the stream it runs on (0: the CPU's default) */
    uint64_t mark;        /* scratch for graph walks: a stamp from node_stamps() */
    em_array **inputs;    /* strong */
    em_array **outputs;   /* weak: an output clears its slot when it dies */
    size_t params_size;
    alignas(16) unsigned char params[]; /* the primitive's parameter struct */
};

/* Builds a node and its one output array of the given dtype and shape.
 * Inputs are borrowed (the node retains them); `params` (params_size bytes,
 * may be NULL/0) is copied. Returns the new output (rc 1) or NULL. Any NULL
 * input makes it return NULL (keeping the first error). */
em_array *node_make(em_prim_id prim, const void *params, size_t params_size,
                    em_array *const *inputs, int n_in, em_dtype dtype,
                    const int64_t *shape, int ndim);
/* The same for several outputs: writes n_out new arrays to outs. */
em_status node_make_multi(em_prim_id prim, const void *params, size_t params_size,
                          em_array *const *inputs, int n_in, int n_out,
                          const em_dtype *dtypes, const int64_t *const *shapes,
                          const int *ndims, em_array **outs);

/* Reserves k consecutive fresh stamps for a graph walk and returns the first:
 * a walk marks the nodes it has seen with them, and a mark from an earlier
 * walk (of any kind: eval, autodiff, vmap, compile) never equals them. */
uint64_t node_stamps(unsigned k);

void node_retain(em_node *n);
void node_release(em_node *n);

/* The node's parameter struct, typed. */
#define NODE_PARAMS(n, type) ((const type *)(const void *)(n)->params)

#endif
