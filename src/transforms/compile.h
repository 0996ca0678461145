/* compile.h -- what tests may ask a compiled closure (its context, from
 * closure_context): the number of steps of its latest program. */
#ifndef EM_TRANSFORMS_COMPILE_H
#define EM_TRANSFORMS_COMPILE_H

#include <stddef.h>

size_t compile_last_program_steps(const void *ctx);

#endif
