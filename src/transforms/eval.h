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

void eval_keep_graph_begin(void);
void eval_keep_graph_end(void);
bool eval_keeping_graph(void);

#endif
