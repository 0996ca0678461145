/* compile.h -- what tests may ask a compiled closure (its context, from
 * closure_context) about its latest program: the number of primitive
 * applications (those inside FUSED steps counted one by one) and the number
 * of FUSED steps; and the switch export uses to trace without FUSED nodes. */
#ifndef EM_TRANSFORMS_COMPILE_H
#define EM_TRANSFORMS_COMPILE_H

#include <stddef.h>

size_t compile_last_program_steps(const void *ctx);
size_t compile_last_program_fused(const void *ctx);

/* While a thread is between begin and end, compiled functions it calls build
 * their plain primitives instead of FUSED nodes (export_function's trace). */
void compile_unfused_begin(void);
void compile_unfused_end(void);

#endif
