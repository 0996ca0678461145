/* fused.h -- FUSED ("Compiled"): a chain of elementwise primitives over one
 * shape that compile (src/transforms/compile.c) runs as a single node, so
 * that the CPU kernel (src/backend/cpu/fused.c) passes over memory once,
 * block by block, instead of once per primitive.
 *
 * The program works on registers: 0 .. n_in-1 are the node's inputs, n_in + k
 * the result of op k. Every input has the program's shape, or one element
 * (`scalar`: an array of size 1 that the chain broadcasts, read with stride
 * 0). Every op is a unary, binary or select primitive whose arguments have
 * one dtype (select: a bool condition and two of the result's) and whose
 * result has the program's shape. The node's outputs are the results of the
 * ops listed in `outs`. The transform rules expand the program back into
 * its primitives and transform those. */
#ifndef EM_OPS_FUSED_H
#define EM_OPS_FUSED_H

#include "../core/node.h"

typedef struct fused_op {
    em_prim_id prim;
    em_dtype dtype;         /* of its result */
    int n_args;             /* 1, 2 or 3 */
    int args[3];            /* registers */
    size_t params_size;
    void *params;           /* owned copy (NULL when params_size is 0) */
} fused_op;

typedef struct fused_prog {
    em_refobj base;
    int n_in, n_ops, n_out;
    bool *scalar;           /* n_in: the input has one element, read with stride 0 */
    fused_op *ops;
    int *outs;              /* n_out registers, each an op's result */
    int ndim;
    int64_t shape[EM_MAX_NDIM];
} fused_prog;

/* The parameters of a FUSED node: the program (the node owns a reference). */
typedef struct { fused_prog *prog; } em_fused_params;

/* A new empty program (reference count 1) for n_in inputs and the shape;
 * fused_prog_add_op copies params. NULL / an error status on failure. */
fused_prog *fused_prog_new(int n_in, const int64_t *shape, int ndim);
em_status fused_prog_add_op(fused_prog *p, em_prim_id prim, em_dtype dtype, int n_args,
                            const int *args, const void *params, size_t params_size);

/* Whether output `out` of a FUSED node may take input `in`'s buffer (the
 * evaluator's donation): its op comes at or after the last op that reads that
 * input, so the kernel, which runs the ops block by block in order, has read
 * each block of the input before it writes the output's. */
bool fused_may_donate(const em_node *n, int in, int out);

/* The program's ops applied with the ordinary primitives to `in` (scalar
 * inputs broadcast first): the unfused graph, written to outs (n_out new
 * references). */
em_status fused_expand(const fused_prog *p, em_array *const *in, em_array **outs);

#endif
