/* access.c -- reading an array's data from C: implicit evaluation, raw
 * pointers, copy-out with conversion, and item(). */
#include <string.h>

#include "../backend/cpu/loops.h"
#include "../ops/ops.h"
#include "error.h"
#include "node.h"
#include "scope.h"
#include "stream.h"

/* Evaluates a if needed and waits for its value (or its kernel's error). */
static em_status ensure_evaluated(em_array *a, const char *op) {
    if (!a) return error_null_arg(op), em_error_code();
    if (a->buf) return buffer_wait(a->buf);
    return em_eval(&a, 1);
}

EM_API const void *em_array_data(em_array *a) {
    if (ensure_evaluated(a, "data") != EM_OK) return NULL;
    return array_ptr(a);
}

EM_API const int64_t *em_array_strides(em_array *a) {
    if (ensure_evaluated(a, "strides") != EM_OK) return NULL;
    return a->strides;
}

EM_API bool em_array_is_contiguous(em_array *a) {
    if (ensure_evaluated(a, "is_contiguous") != EM_OK) return false;
    return (a->flags & EM_AF_ROW_CONTIG) != 0;
}

EM_API em_status em_array_copy_to(em_array *a, em_dtype dtype, void *dst, size_t nbytes) {
    if (!a) return error_null_arg("copy_to"), em_error_code();
    if (!em_dtype_is_valid((int)dtype))
        return error_status(EM_ERR_TYPE, "[copy_to] Invalid dtype %d.", (int)dtype);
    size_t need = (size_t)a->size * em_dtype_size(dtype);
    if (!dst && need) return error_status(EM_ERR_NULL, "[copy_to] The destination is NULL.");
    if (nbytes < need)
        return error_status(EM_ERR_VALUE,
                            "[copy_to] The destination holds %zu bytes but %zu are needed.",
                            nbytes, need);
    scope_op_depth++; /* internal ops: their results must not join the caller's scope */
    em_array *src = em_astype(a, dtype);
    scope_op_depth--;
    if (!src) return em_error_code();
    em_status st = ensure_evaluated(src, "copy_to");
    if (st == EM_OK && need) {
        if (src->flags & EM_AF_ROW_CONTIG) {
            memcpy(dst, array_ptr(src), need);
        } else {
            scope_op_depth++;
            em_array *view = em_array_from_external(dst, src->shape, NULL, src->ndim, dtype, NULL, NULL);
            scope_op_depth--;
            if (!view) st = em_error_code();
            else cpu_copy_strided(src, view);
            em_array_release(view);
        }
    }
    em_array_release(src);
    return st;
}

static em_status item_ptr(em_array *a, const char *op, const void **p) {
    em_status st = ensure_evaluated(a, op);
    if (st != EM_OK) return st;
    if (a->size != 1)
        return error_status(EM_ERR_VALUE,
                            "[%s] item can only be called on arrays of size 1.", op);
    *p = array_ptr(a);
    return EM_OK;
}

EM_API em_status em_array_item_double(em_array *a, double *out) {
    const void *p = NULL;
    em_status st = item_ptr(a, "item", &p);
    if (st == EM_OK && out) *out = dtype_load_double(a->dtype, p);
    return st;
}
EM_API em_status em_array_item_int(em_array *a, int64_t *out) {
    const void *p = NULL;
    em_status st = item_ptr(a, "item", &p);
    if (st == EM_OK && out) *out = dtype_load_int(a->dtype, p);
    return st;
}
EM_API em_status em_array_item_bool(em_array *a, bool *out) {
    const void *p = NULL;
    em_status st = item_ptr(a, "item", &p);
    if (st == EM_OK && out) {
        if (a->dtype == EM_COMPLEX64) {
            em_c64 c;
            memcpy(&c, p, sizeof c);
            *out = crealf(c) != 0 || cimagf(c) != 0;
        } else {
            *out = dtype_load_double(a->dtype, p) != 0;
        }
    }
    return st;
}
EM_API em_status em_array_item_complex(em_array *a, float *re, float *im) {
    const void *p = NULL;
    em_status st = item_ptr(a, "item", &p);
    if (st != EM_OK) return st;
    if (a->dtype == EM_COMPLEX64) {
        em_c64 c;
        memcpy(&c, p, sizeof c);
        if (re) *re = crealf(c);
        if (im) *im = cimagf(c);
    } else {
        if (re) *re = (float)dtype_load_double(a->dtype, p);
        if (im) *im = 0;
    }
    return st;
}
