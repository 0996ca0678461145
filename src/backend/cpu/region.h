/* region.h -- stack-made array headers that name a region of an existing
 * buffer, so that kernels can hand sub-blocks of their outputs (or inputs)
 * to cpu_copy_strided without allocating anything. */
#ifndef EM_BACKEND_CPU_REGION_H
#define EM_BACKEND_CPU_REGION_H

#include <string.h>

#include "../../core/array.h"

/* Makes *r a header over base's buffer: element 0 at byte `offset` from the
 * buffer's start, the given shape and strides (in elements). shape and
 * strides are borrowed: they must outlive r. r owns nothing; never release it. */
static inline void region_init(em_array *r, const em_array *base, size_t offset,
                               const int64_t *shape, const int64_t *strides, int ndim) {
    memset(r, 0, sizeof *r);
    r->dtype = base->dtype;
    r->ndim = ndim;
    r->shape = (int64_t *)shape;
    r->strides = (int64_t *)strides;
    r->size = 1;
    for (int i = 0; i < ndim; i++) r->size *= shape[i];
    r->data_size = r->size;
    r->offset = offset;
    r->buf = base->buf;
}

/* Row-major strides (in elements) of shape. */
static inline void region_row_strides(const int64_t *shape, int ndim, int64_t *strides) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] ? shape[i] : 1;
    }
}

#endif
