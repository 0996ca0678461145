/* scope.h -- scopes (see ember.h) and the wrapper every public op is defined
 * with, so that only the outermost public call hands its result to a scope.
 *
 *   EM_PUBLIC_OP(em_add, (const em_array *a, const em_array *b), (a, b)) {
 *       ... body; may return early ...
 *   }
 *
 * defines em_add as an exported function that calls the body and passes its
 * result to the open scope when it was not called from inside another op. Ops
 * may call each other's public functions freely. */
#ifndef EM_CORE_SCOPE_H
#define EM_CORE_SCOPE_H

#include "ember.h"

extern _Thread_local int scope_op_depth;
/* Passes a new reference to the innermost open scope if the call is the
 * outermost op (scope_op_depth == 0). Returns a. */
em_array *scope_track(em_array *a);

/* Hides the open scopes (and op nesting) from code about to run as a user's
 * function (a closure): what it makes is its own, whatever scopes its caller
 * opened. scope_restore puts them back. */
typedef struct scope_saved { void *top; int depth; } scope_saved;
scope_saved scope_hide(void);
void scope_restore(scope_saved s);

#define EM_PUBLIC_OP(name, params, args)                                       \
    static em_array *name##_body params;                                       \
    EM_API em_array *name params {                                             \
        scope_op_depth++;                                                      \
        em_array *r_ = name##_body args;                                       \
        scope_op_depth--;                                                      \
        return scope_track(r_);                                                \
    }                                                                          \
    static em_array *name##_body params

/* The same for public functions that return a status and write `n` arrays to
 * `outs` (the body's signature is the function's). */
#define EM_PUBLIC_MULTI(name, params, args, outs, n)                           \
    static em_status name##_body params;                                       \
    EM_API em_status name params {                                             \
        scope_op_depth++;                                                      \
        em_status s_ = name##_body args;                                       \
        scope_op_depth--;                                                      \
        if (s_ == EM_OK)                                                       \
            for (size_t i_ = 0; i_ < (size_t)(n); i_++) scope_track((outs)[i_]); \
        return s_;                                                             \
    }                                                                          \
    static em_status name##_body params

#endif
