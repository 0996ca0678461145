/* node.c -- creating and releasing graph nodes. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "node.h"
#include "stream.h"

static em_node *node_alloc(em_prim_id prim, const void *params, size_t params_size,
                           em_array *const *inputs, int n_in, int n_out) {
    const char *name = em_primitives[prim].name;
    for (int i = 0; i < n_in; i++)
        if (!inputs[i]) return error_null_arg(name);
    size_t psz = (params_size + 15) & ~(size_t)15;
    em_node *n = malloc(sizeof *n + psz + (size_t)(n_in + n_out) * sizeof(em_array *));
    if (!n) return error_set(EM_ERR_MEMORY, "[%s] Out of memory.", name);
    atomic_init(&n->rc, 0);
    n->prim = prim;
    n->n_in = n_in;
    n->n_out = n_out;
    n->stream = stream_current();
    n->mark = 0;
    n->params_size = params_size;
    if (params_size) memcpy(n->params, params, params_size);
    if (em_primitives[prim].flags & EM_PF_REFPARAMS)
        refobj_retain(*(em_refobj *const *)(const void *)n->params);
    n->inputs = (em_array **)(void *)(n->params + psz);
    n->outputs = n->inputs + n_in;
    for (int i = 0; i < n_in; i++) n->inputs[i] = em_array_retain(inputs[i]);
    return n;
}

/* Frees a node that never got outputs. */
static void node_discard(em_node *n) {
    for (int i = 0; i < n->n_in; i++) em_array_release(n->inputs[i]);
    if (em_primitives[n->prim].flags & EM_PF_REFPARAMS)
        refobj_release(*(em_refobj *const *)(const void *)n->params);
    free(n);
}

em_array *node_make(em_prim_id prim, const void *params, size_t params_size,
                    em_array *const *inputs, int n_in, em_dtype dtype,
                    const int64_t *shape, int ndim) {
    em_array *out = array_new(em_primitives[prim].name, dtype, shape, ndim);
    if (!out) return NULL;
    em_node *n = node_alloc(prim, params, params_size, inputs, n_in, 1);
    if (!n) {
        em_array_release(out);
        return NULL;
    }
    n->outputs[0] = out;
    atomic_init(&n->rc, 1);
    out->node = n;
    out->out_index = 0;
    return out;
}

em_status node_make_multi(em_prim_id prim, const void *params, size_t params_size,
                          em_array *const *inputs, int n_in, int n_out,
                          const em_dtype *dtypes, const int64_t *const *shapes,
                          const int *ndims, em_array **outs) {
    const char *name = em_primitives[prim].name;
    for (int i = 0; i < n_out; i++) {
        outs[i] = array_new(name, dtypes[i], shapes[i], ndims[i]);
        if (!outs[i]) {
            while (i-- > 0) em_array_release(outs[i]);
            return em_error_code();
        }
    }
    em_node *n = node_alloc(prim, params, params_size, inputs, n_in, n_out);
    if (!n) {
        for (int i = 0; i < n_out; i++) em_array_release(outs[i]);
        return em_error_code();
    }
    atomic_init(&n->rc, n_out);
    for (int i = 0; i < n_out; i++) {
        n->outputs[i] = outs[i];
        outs[i]->node = n;
        outs[i]->out_index = i;
    }
    return EM_OK;
}

static atomic_ullong stamp_counter;

uint64_t node_stamps(unsigned k) { return atomic_fetch_add(&stamp_counter, k) + 1; }

void node_retain(em_node *n) { atomic_fetch_add(&n->rc, 1); }

/* Inputs are released through em_array_release, which queues rather than
 * recurses, so a long chain is freed iteratively. */
void node_release(em_node *n) {
    if (!n || !refcount_drop(&n->rc)) return;
    node_discard(n);
}
