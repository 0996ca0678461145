/* trace.h -- what the transforms share to trace a function and walk what it
 * built: fresh tracer arrays, the tape of nodes between tracers and outputs,
 * and a hash map keyed by arrays (cotangents, tangents, batched values).
 *
 * How a transform uses them (autodiff.c is the model):
 *   1. tracers[i] = trace_tracer(x[i]): a new node per input, so that each
 *      input is told apart from the others and from the arrays it came from;
 *   2. trace_call(f, tracers, ...): runs f in a keep-graph section (eval.h);
 *   3. trace_tape_build(tracers, outputs, ...): the nodes that depend on a
 *      tracer, inputs before users, and the set of "active" arrays (tracers
 *      and those nodes' outputs);
 *   4. walk the tape calling each primitive's rule (primitives.h), keeping
 *      per-array values in a trace_map.
 * Node marks (node->mark) are used only inside trace_tape_build, so rules may
 * run nested transforms (custom rules do) while a walk is in progress. */
#ifndef EM_TRANSFORMS_TRACE_H
#define EM_TRANSFORMS_TRACE_H

#include "../core/node.h"

/* ---- array maps: open addressing, keys compared by address ---- */

typedef struct trace_entry {
    const em_array *key;   /* borrowed: the traced graph keeps it alive */
    em_array *value;       /* owned, may be NULL */
    int64_t aux;           /* free for the transform (vmap: the batch axis) */
} trace_entry;

typedef struct trace_map {
    trace_entry *slots;
    size_t n, cap;         /* cap is 0 or a power of two */
} trace_map;

/* The entry for key, or NULL. */
trace_entry *trace_map_get(const trace_map *m, const em_array *key);
/* The entry for key, inserted (value NULL, aux 0) when missing; NULL when
 * out of memory (with the error set). */
trace_entry *trace_map_put(trace_map *m, const em_array *key);
/* Releases every value and the slots. */
void trace_map_free(trace_map *m);

/* ---- tracing ---- */

/* A fresh array that stands for x in a traced function: a view node of x of
 * its own (new reference). Its values are x's; differentiating through it
 * (by an outer transform) gives the identity. */
em_array *trace_tracer(const em_array *x);

/* Calls f(in) inside a keep-graph section. */
em_status trace_call(em_closure *f, em_array *const *in, size_t n, em_array_list *out);

/* The nodes between tracers and outputs that depend on a tracer, in
 * topological order (each after the nodes producing its inputs), each held
 * by a reference; and `active`, the set of arrays that depend on a tracer
 * (its keys: the tracers and those nodes' live outputs; values NULL). The
 * walk does not enter evaluated arrays that have dropped their node (they
 * are constants), nor, unless through_stop_gradient, STOP_GRADIENT nodes. */
typedef struct trace_tape {
    em_node **nodes;
    size_t n;
    trace_map active;
} trace_tape;

em_status trace_tape_build(em_array *const *tracers, size_t n_tracers, em_array *const *outputs,
                           size_t n_outputs, bool through_stop_gradient, trace_tape *tape);
void trace_tape_free(trace_tape *tape);

static inline bool trace_is_active(const trace_tape *t, const em_array *a) {
    return a && trace_map_get(&t->active, a) != NULL;
}

#endif
