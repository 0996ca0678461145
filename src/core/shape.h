/* shape.h -- shape helpers shared by op builders: broadcasting, axis checks,
 * and shape formatting for messages. */
#ifndef EM_CORE_SHAPE_H
#define EM_CORE_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "ember.h"

/* Formats a shape as MLX does in messages: "(2,3)", "(4)" for one dim, "()". */
const char *shape_str(const int64_t *shape, int ndim, char *buf, size_t cap);

/* The broadcast of two shapes into out (capacity EM_MAX_NDIM); NULL-free.
 * Returns the rank, or -1 with "[op] Shapes (a) and (b) cannot be broadcast." */
int shape_broadcast(const char *op, const int64_t *a, int na, const int64_t *b, int nb,
                    int64_t *out);

/* Whether two shapes are the same. */
static inline bool shape_equal(const int64_t *a, int na, const int64_t *b, int nb) {
    if (na != nb) return false;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* Normalises axis (negative wraps) for rank ndim; -1 with an IndexError
 * "[op] Invalid axis X for array with N dimensions." when out of range. */
int shape_axis(const char *op, int axis, int ndim);

/* Normalises a list of axes into sorted unique axes (out, capacity ndim);
 * returns the count or -1 with an error (out of range; repeated). */
int shape_axes(const char *op, const int *axes, int naxes, int ndim, int *out);

#endif
