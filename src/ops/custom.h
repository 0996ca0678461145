/* custom.h -- the rules a CUSTOM node carries (custom_function, checkpoint)
 * and the builder that makes such a node. */
#ifndef EM_OPS_CUSTOM_H
#define EM_OPS_CUSTOM_H

#include "../core/node.h"

/* The function and the user's rules for it (any rule may be NULL: the
 * default is the transform of `fun` itself). Closure conventions: see
 * em_custom_function in ember.h. */
typedef struct custom_rules {
    em_refobj base;
    em_closure *fun, *vjp, *jvp, *vmap;
} custom_rules;

/* A new rules object (reference count 1) holding references to the closures. */
custom_rules *custom_rules_new(em_closure *fun, em_closure *vjp, em_closure *jvp, em_closure *vmap);

/* The CUSTOM node over `primals` (n_primals, the function's inputs) and
 * `outputs` (n_out, what the function returned for them), whose n_out
 * outputs (new references, written to outs) have the values of `outputs` and
 * take their derivatives from the rules. */
em_status custom_apply(custom_rules *r, em_array *const *primals, int n_primals,
                       em_array *const *outputs, int n_out, em_array **outs);

#endif
