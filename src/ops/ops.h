/* ops.h -- helpers shared by the op builders in src/ops. */
#ifndef EM_OPS_OPS_H
#define EM_OPS_OPS_H

#include "../core/error.h"
#include "../core/node.h"
#include "../core/scope.h"
#include "../core/shape.h"

/* Casts `a` to dtype (a new reference; a itself retained when it already has
 * that dtype). */
em_array *ops_cast(const em_array *a, em_dtype dtype);
/* Broadcasts `a` to shape (a new reference; a retained when equal). */
em_array *ops_broadcast(const em_array *a, const int64_t *shape, int ndim);
/* Checks a user-given shape for `op`: rank, NULL pointer, negative dims, byte
 * count overflow. False with an error set. */
bool ops_check_shape(const char *op, const int64_t *shape, int ndim, em_dtype dtype);
/* Reshapes `a` to a valid shape of the same size (a retained when equal). */
em_array *ops_reshape(const em_array *a, const int64_t *shape, int ndim);
/* A 0-d array of dtype holding v (an evaluated constant). */
em_array *ops_scalar(double v, em_dtype dtype);

#endif
