/* program.h -- what compile records (src/transforms/compile.c): a program of
 * primitive applications between the inputs of a traced function and its
 * outputs, and the fusion pass over it (src/transforms/fuse.c). */
#ifndef EM_TRANSFORMS_PROGRAM_H
#define EM_TRANSFORMS_PROGRAM_H

#include "../core/node.h"

/* Where a value of the program comes from. */
typedef enum { REF_INPUT, REF_STEP, REF_CONST } ref_kind;
typedef struct ref {
    ref_kind kind;
    int index, out;        /* input index; or step index and output index */
    em_array *constant;    /* owned */
} ref;

typedef struct step {
    em_prim_id prim;
    void *params;          /* owned copy; its em_refobj retained (EM_PF_REFPARAMS) */
    size_t params_size;
    int n_in, n_out;
    ref *in;
    em_dtype *dtypes;
    int *ndims;
    int64_t **shapes;
} step;

typedef struct program {
    int n_inputs;
    em_dtype *dtypes;      /* the signature */
    int *ndims;
    int64_t **shapes;
    size_t n_steps, n_outputs;
    step *steps;
    ref *outputs;
    struct program *next;
} program;

/* Frees what a step owns and zeroes it. */
void step_clear(step *st);

/* Replaces each run of two or more elementwise steps over one shape by a
 * FUSED step (src/ops/fused.h) computing the values the rest of the program
 * and its outputs use; the steps it leaves unused stay for simplify to drop.
 * EM_OK, or an error with the program unchanged. */
em_status program_fuse(program *p);

#endif
