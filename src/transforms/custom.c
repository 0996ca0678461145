/* custom.c -- custom_function and checkpoint: closures whose results come out
 * of a CUSTOM node (src/ops/custom.c) carrying the rules. */
#include <stdlib.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "../ops/custom.h"

static em_status custom_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    custom_rules *r = ctx;
    em_array_list *res = em_array_list_new();
    if (!res) return em_error_code();
    em_status st = em_closure_call(r->fun, in, n, res);
    size_t m = em_array_list_size(res);
    em_array **outs = st == EM_OK ? calloc(m ? m : 1, sizeof *outs) : NULL;
    if (st == EM_OK && !outs) st = error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    if (st == EM_OK && m) {
        scope_op_depth++;
        st = custom_apply(r, in, (int)n, em_array_list_data(res), (int)m, outs);
        scope_op_depth--;
    }
    for (size_t i = 0; i < m && st == EM_OK; i++) st = em_array_list_push(out, outs[i]);
    if (outs)
        for (size_t i = 0; i < m; i++) em_array_release(outs[i]);
    free(outs);
    em_array_list_free(res);
    return st;
}

static void custom_free(void *ctx) { refobj_release(&((custom_rules *)ctx)->base); }

EM_API em_closure *em_custom_function(em_closure *f, em_closure *vjp, em_closure *jvp,
                                      em_closure *vmap) {
    if (!f) return error_set(EM_ERR_NULL, "[custom_function] The function is NULL.");
    custom_rules *r = custom_rules_new(f, vjp, jvp, vmap);
    if (!r) return NULL;
    em_closure *c = em_closure_new(custom_fn, r, custom_free);
    if (!c) custom_free(r);
    return c;
}

/* The default vjp of a CUSTOM node runs the function again from its inputs,
 * while the forward graph, behind stop_gradient, is not referenced by the
 * backward one: exactly checkpointing. */
EM_API em_closure *em_checkpoint(em_closure *f) {
    if (!f) return error_set(EM_ERR_NULL, "[checkpoint] The function is NULL.");
    return em_custom_function(f, NULL, NULL, NULL);
}
