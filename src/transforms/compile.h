/* compile.h -- what tests may ask a compiled closure (its context, from
 * closure_context) about its latest program: the number of primitive
 * applications (those inside FUSED steps counted one by one) and the number
 * of FUSED steps. */
#ifndef EM_TRANSFORMS_COMPILE_H
#define EM_TRANSFORMS_COMPILE_H

#include <stddef.h>

size_t compile_last_program_steps(const void *ctx);
size_t compile_last_program_fused(const void *ctx);

#endif
