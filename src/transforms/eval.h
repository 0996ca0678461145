/* eval.h -- what the transforms need from evaluation: a graph-keeping mode.
 *
 * While at least one keep-graph section is open on the calling thread (a
 * transform is tracing a function), em_eval neither detaches the arrays it
 * computes from their nodes nor donates input buffers to outputs: a function
 * that calls eval while being differentiated or compiled leaves a graph the
 * transform can still walk, with every intermediate's values intact.
 *
 * Outside such sections eval detaches as usual, and also detaches any array it
 * meets that was computed earlier but still holds its node (a leftover from a
 * traced eval), so those graphs are freed once the transform is over. An
 * evaluated array is always a leaf for eval, node or not. */
#ifndef EM_TRANSFORMS_EVAL_H
#define EM_TRANSFORMS_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ember.h"

void eval_keep_graph_begin(void);
void eval_keep_graph_end(void);
bool eval_keeping_graph(void);

/* While a function is traced into a replayable graph (compile; vmap may do
 * the same), evaluating anything that depends on its placeholder arrays is an
 * error (MLX's "[eval] Attempting to eval an array during function
 * transformations like compile or vmap is not allowed."): the values would be
 * baked into the replayed graph. eval_forbid_push registers the placeholders
 * (borrowed; n may be 0) until the matching eval_forbid_pop. Sections nest. */
em_status eval_forbid_push(em_array *const *placeholders, size_t n);
void eval_forbid_pop(void);

#endif
