/* conv.h -- what the convolution builders (conv.c) share with their rules
 * (conv_rules.c). */
#ifndef EM_OPS_CONV_H
#define EM_OPS_CONV_H

#include <string.h>

#include "rules.h"

/* A CONV node of x and w (already of one float32/float64 dtype, shapes and
 * params valid per the contract in conv.c; no checks). New reference, or
 * NULL (a NULL input keeps the first error). */
em_array *conv_node(const em_array *x, const em_array *w, const em_conv_params *p);
/* A CONV_WEIGHT_GRAD node: the gradient with respect to w (of kernel sizes
 * kernel[0..p->nd)) of sum(CONV(x, w) * g). Same conventions. */
em_array *conv_wgrad_node(const em_array *x, const em_array *g, const em_conv_params *p,
                          const int64_t *kernel);

/* A CONV_INPUT_GRAD node: the gradient with respect to x (of spatial sizes
 * input[0..p->nd)) of sum(CONV(x, w) * g). Same conventions. */
em_array *conv_igrad_node(const em_array *g, const em_array *w, const em_conv_params *p,
                          const int64_t *input);

#endif
