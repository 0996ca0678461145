/* pending.c -- weak placeholders for the C API functions whose implementation
 * has not landed in src/ yet, so that the extension loads and everything else
 * works meanwhile. Each strong definition in src/ replaces its placeholder at
 * link time; a placeholder only reports "not implemented yet" through the
 * library's error state (RuntimeError in Python). Delete an entry once its
 * function exists, and the file once all do. */
#include "ember.h"
#include "core/error.h"

#define PENDING_ARRAY(name, params)                                                \
    __attribute__((weak)) em_array *name params;                                   \
    __attribute__((weak)) em_array *name params {                                  \
        return error_set(EM_ERR_UNSUPPORTED, "[%s] Not implemented yet in this build.", #name + 3); \
    }
#define PENDING_STATUS(name, params)                                               \
    __attribute__((weak)) em_status name params;                                   \
    __attribute__((weak)) em_status name params {                                  \
        return error_status(EM_ERR_UNSUPPORTED, "[%s] Not implemented yet in this build.", #name + 3); \
    }

/* creation */
PENDING_ARRAY(em_zeros, (const int64_t *shape, int ndim, em_dtype dtype))
PENDING_ARRAY(em_ones, (const int64_t *shape, int ndim, em_dtype dtype))
PENDING_ARRAY(em_full, (const int64_t *shape, int ndim, const em_array *value, em_dtype dtype))
PENDING_ARRAY(em_full_double, (const int64_t *shape, int ndim, double value, em_dtype dtype))
PENDING_ARRAY(em_zeros_like, (const em_array *a))
PENDING_ARRAY(em_ones_like, (const em_array *a))
PENDING_ARRAY(em_full_like, (const em_array *a, const em_array *value))
PENDING_ARRAY(em_arange, (double start, double stop, double step, em_dtype dtype))
PENDING_ARRAY(em_linspace, (double start, double stop, int64_t num, em_dtype dtype))
PENDING_ARRAY(em_eye, (int64_t n, int64_t m, int64_t k, em_dtype dtype))
PENDING_ARRAY(em_identity, (int64_t n, em_dtype dtype))
PENDING_ARRAY(em_tri, (int64_t n, int64_t m, int64_t k, em_dtype dtype))
PENDING_ARRAY(em_tril, (const em_array *a, int64_t k))
PENDING_ARRAY(em_triu, (const em_array *a, int64_t k))

/* reductions */
PENDING_ARRAY(em_sum, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_prod, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_max, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_min, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_mean, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_var, (const em_array *a, const int *axes, int naxes, bool keepdims, int ddof))
PENDING_ARRAY(em_std, (const em_array *a, const int *axes, int naxes, bool keepdims, int ddof))
PENDING_ARRAY(em_all, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_any, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_logsumexp, (const em_array *a, const int *axes, int naxes, bool keepdims))
PENDING_ARRAY(em_argmax, (const em_array *a, int axis, bool all_axes, bool keepdims))
PENDING_ARRAY(em_argmin, (const em_array *a, int axis, bool all_axes, bool keepdims))

/* shapes */
PENDING_ARRAY(em_reshape, (const em_array *a, const int64_t *shape, int ndim))
PENDING_ARRAY(em_flatten, (const em_array *a, int start_axis, int end_axis))
PENDING_ARRAY(em_unflatten, (const em_array *a, int axis, const int64_t *shape, int ndim))
PENDING_ARRAY(em_transpose, (const em_array *a, const int *perm, int nperm))
PENDING_ARRAY(em_swapaxes, (const em_array *a, int axis1, int axis2))
PENDING_ARRAY(em_moveaxis, (const em_array *a, int source, int destination))
PENDING_ARRAY(em_squeeze, (const em_array *a, const int *axes, int naxes))
PENDING_ARRAY(em_expand_dims, (const em_array *a, const int *axes, int naxes))
PENDING_STATUS(em_broadcast_arrays, (const em_array *const *arrays, size_t n, em_array **out))
PENDING_ARRAY(em_slice, (const em_array *a, const int64_t *start, const int64_t *stop,
                         const int64_t *step, int ndim))
PENDING_ARRAY(em_concatenate, (const em_array *const *arrays, size_t n, int axis))
PENDING_ARRAY(em_stack, (const em_array *const *arrays, size_t n, int axis))
PENDING_STATUS(em_split, (const em_array *a, int64_t sections, const int64_t *indices, int nidx,
                          int axis, em_array **out, size_t out_cap, size_t *nout))
PENDING_ARRAY(em_pad, (const em_array *a, const int64_t *pad_width, int npairs, em_pad_mode mode,
                       const em_array *value))
PENDING_ARRAY(em_tile, (const em_array *a, const int64_t *reps, int nreps))
PENDING_ARRAY(em_repeat, (const em_array *a, int64_t repeats, const int *axis))

/* linear algebra, printing */
PENDING_ARRAY(em_matmul, (const em_array *a, const em_array *b))

__attribute__((weak)) char *em_array_to_string(em_array *a);
__attribute__((weak)) char *em_array_to_string(em_array *a) {
    (void)a;
    return error_set(EM_ERR_UNSUPPORTED, "[array_to_string] Not implemented yet in this build.");
}
__attribute__((weak)) void em_set_print_precision(int precision);
__attribute__((weak)) void em_set_print_precision(int precision) { (void)precision; }
