/* primitives.c -- the primitive table, generated from EM_PRIMITIVES. */
#include "ember.h"
#include "primitives.h"

const em_primitive em_primitives[EM_PRIM_COUNT] = {
#define X(ID, NAME, family, FLAGS) [EM_PRIM_##ID] = {EM_PRIM_##ID, NAME, FLAGS},
    EM_PRIMITIVES(X)
#undef X
};
