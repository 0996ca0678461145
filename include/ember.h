/* ember.h -- the public C API of ember, a lazy NumPy-like array library.
 *
 * OWNERSHIP, the one rule:
 *   Every function that returns an em_array* returns a NEW reference, which the
 *   caller releases with em_array_release() (or leaves to the enclosing scope,
 *   see em_scope_begin). Arguments are BORROWED: no function steals a reference.
 *
 * ERRORS:
 *   An op that fails returns NULL and sets a thread-local error (a code and a
 *   message naming the op and the values: "[reshape] Cannot reshape array of size
 *   6 into shape (4,2)."). An op given a NULL argument returns NULL and keeps the
 *   first error, so a chain of ops may be checked once, at its end. Functions
 *   that only act (eval, copy-out) return EM_OK or an em_status error code.
 *   Nothing in this library aborts on a user's mistake.
 *
 * LAZINESS:
 *   Ops record a graph; nothing is computed until em_eval() or an implicit
 *   evaluation (em_array_data, em_array_item_*, em_array_to_string, copy-out).
 */
#ifndef EMBER_H
#define EMBER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(EMBER_STATIC)
#define EM_API
#elif defined(EMBER_BUILDING)
#define EM_API __attribute__((visibility("default")))
#else
#define EM_API
#endif

#define EM_VERSION_MAJOR 0
#define EM_VERSION_MINOR 1
#define EM_VERSION_PATCH 0
EM_API const char *em_version(void);

/* The largest rank an array may have (as NumPy 2). */
#define EM_MAX_NDIM 64

/* ---------------------------------------------------------------- errors */

typedef enum em_status {
    EM_OK = 0,
    EM_ERR_VALUE = 1,       /* bad value or shape  -> Python ValueError   */
    EM_ERR_TYPE = 2,        /* bad dtype           -> Python TypeError    */
    EM_ERR_INDEX = 3,       /* bad axis or index   -> Python IndexError   */
    EM_ERR_MEMORY = 4,      /* allocation failed   -> Python MemoryError  */
    EM_ERR_RUNTIME = 5,     /* failure at run time -> Python RuntimeError */
    EM_ERR_NULL = 6,        /* a NULL handle       -> Python ValueError   */
    EM_ERR_UNSUPPORTED = 7, /* no kernel for this  -> Python RuntimeError */
    EM_ERR_IO = 8           /* a file problem      -> Python OSError      */
} em_status;

/* The calling thread's error: its code (EM_OK when none) and message ("" when
 * none). The message stays valid until the next error or em_error_clear(). */
EM_API em_status em_error_code(void);
EM_API const char *em_error_message(void);
EM_API void em_error_clear(void);
/* Sets the calling thread's error, unless one is already set (the first error
 * wins), and returns the code: for callbacks (closures, readers, writers)
 * that fail for their own reasons. */
EM_API em_status em_error_set(em_status code, const char *message);

/* ---------------------------------------------------------------- dtypes */

/* Order matters: it is MLX's order and indexes the promotion table. */
typedef enum em_dtype {
    EM_BOOL = 0,
    EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64,
    EM_INT8, EM_INT16, EM_INT32, EM_INT64,
    EM_FLOAT16, EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64,
    EM_COMPLEX64,
    EM_NUM_DTYPES
} em_dtype;

typedef enum em_dtype_kind {
    EM_KIND_BOOL, EM_KIND_UINT, EM_KIND_INT, EM_KIND_FLOAT, EM_KIND_COMPLEX
} em_dtype_kind;

/* What a Python-style weak scalar is, for em_result_type_weak. */
typedef enum em_scalar_kind {
    EM_SCALAR_BOOL, EM_SCALAR_INT, EM_SCALAR_FLOAT, EM_SCALAR_COMPLEX
} em_scalar_kind;

EM_API const char *em_dtype_name(em_dtype dt);   /* "float32"; NULL if invalid */
EM_API size_t em_dtype_size(em_dtype dt);        /* bytes; 0 if invalid */
EM_API em_dtype_kind em_dtype_kind_of(em_dtype dt);
EM_API bool em_dtype_is_valid(int dt);
/* MLX's promotion of two arrays' dtypes. */
EM_API em_dtype em_result_type(em_dtype a, em_dtype b);
/* An array of dtype `a` meeting a weak Python scalar of kind `s`. */
EM_API em_dtype em_result_type_weak(em_dtype a, em_scalar_kind s);
/* Whether the integer v fits dtype dt (integer and bool dtypes; floats: true). */
EM_API bool em_dtype_fits_int(em_dtype dt, int64_t v);

/* ---------------------------------------------------------------- arrays */

typedef struct em_array em_array;

EM_API em_array *em_array_retain(em_array *a);   /* returns a; NULL-safe */
EM_API void em_array_release(em_array *a);       /* NULL-safe */

/* A new evaluated array holding a copy of `data` (row-major, `shape`'s product
 * elements of `dtype`). ndim may be 0 (shape may then be NULL). */
EM_API em_array *em_array_from_data(const void *data, const int64_t *shape,
                                    int ndim, em_dtype dtype);
/* A new array that shares `data` without copying; `deleter(ctx)` is called when
 * the last view of it is gone (deleter may be NULL). Strides in elements, may
 * be NULL for row-major. The caller guarantees the memory stays valid. */
EM_API em_array *em_array_from_external(void *data, const int64_t *shape,
                                        const int64_t *strides, int ndim,
                                        em_dtype dtype,
                                        void (*deleter)(void *ctx), void *ctx);
/* 0-d arrays from C scalars, cast to dtype as astype would. */
EM_API em_array *em_array_from_bool(bool v);
EM_API em_array *em_array_from_int(int64_t v, em_dtype dtype);
EM_API em_array *em_array_from_uint(uint64_t v, em_dtype dtype);
EM_API em_array *em_array_from_double(double v, em_dtype dtype);
EM_API em_array *em_array_from_complex(float re, float im);

/* Metadata: never evaluates. NULL arrays give 0 / NULL. */
EM_API em_dtype em_array_dtype(const em_array *a);
EM_API int em_array_ndim(const em_array *a);
EM_API const int64_t *em_array_shape(const em_array *a);
EM_API int64_t em_array_dim(const em_array *a, int axis); /* negative axes wrap */
EM_API int64_t em_array_size(const em_array *a);
EM_API size_t em_array_itemsize(const em_array *a);
EM_API size_t em_array_nbytes(const em_array *a);
EM_API bool em_array_is_evaluated(const em_array *a);

/* Data access (evaluates a first). em_array_data returns a pointer to the first
 * element; its layout is em_array_strides (in elements, may be zero or
 * negative); NULL on error. em_array_is_contiguous: row-major and dense. */
EM_API const void *em_array_data(em_array *a);
EM_API const int64_t *em_array_strides(em_array *a);
EM_API bool em_array_is_contiguous(em_array *a);
/* Copies a's elements, row-major, converted to `dtype`, into dst (which holds
 * nbytes). Fails if nbytes is smaller than size * sizeof(dtype). */
EM_API em_status em_array_copy_to(em_array *a, em_dtype dtype, void *dst,
                                  size_t nbytes);
/* The value of a one-element array, converted. */
EM_API em_status em_array_item_double(em_array *a, double *out);
EM_API em_status em_array_item_int(em_array *a, int64_t *out);
EM_API em_status em_array_item_bool(em_array *a, bool *out);
EM_API em_status em_array_item_complex(em_array *a, float *re, float *im);

/* MLX's printed form, "array([1, 2, 3], dtype=int32)". Returns a string
 * allocated with malloc that the caller frees with em_free; NULL on error. */
EM_API char *em_array_to_string(em_array *a);
EM_API void em_free(void *p);

/* Print options (process-wide): digits after the point, as MLX's precision. */
EM_API void em_set_print_precision(int precision);

/* ---------------------------------------------------------------- eval */

/* Evaluates every array given (NULL entries are an error) and all they depend
 * on, and waits until their values are there. Iterative: graphs of any depth.
 * Returns the error of any kernel that failed computing them (see streams). */
EM_API em_status em_eval(em_array *const *arrays, size_t n);
EM_API em_status em_eval1(em_array *a);
/* Schedules the evaluation of the arrays and returns at once: their kernels
 * run on their streams' worker threads, and a later em_eval, item, copy-out
 * or em_stream_synchronize waits for what it needs. May pause while too much
 * work is in flight (memory stays bounded). */
EM_API em_status em_async_eval(em_array *const *arrays, size_t n);

/* ---------------------------------------------------------------- devices, streams
 *
 * A device is (type, index); a stream is an ordered queue of work on one
 * device, run by its own worker thread. Both are small values (identifiers,
 * like file descriptors), not objects to release. Every op runs on the stream
 * current on the calling thread when it is built: the innermost em_stream_push
 * if any, else the thread's default stream of the default device. Each thread
 * has its own default streams (made on first use); work on different streams
 * runs concurrently, and a kernel that needs another stream's result waits for
 * it (an event), so results never depend on streams.
 *
 * Errors in kernels: a kernel that fails on a worker marks its outputs (and
 * everything computed from them) failed; reading any of them (em_eval, item,
 * copy-out, data) returns that error with its message, every time. A failure
 * that no read has reported yet is returned by the next em_stream_synchronize
 * of its stream, once. Nothing is lost or crashes.
 *
 * Only the CPU exists in this build: the GPU reports itself unavailable and
 * asking for it is an EM_ERR_VALUE error. */
typedef enum em_device_type { EM_CPU = 0, EM_GPU = 1 } em_device_type;
typedef struct em_device { em_device_type type; int index; } em_device;
typedef struct em_stream { int index; em_device device; } em_stream;

EM_API em_device em_device_default(void);
EM_API em_status em_device_set_default(em_device d);
EM_API bool em_device_is_available(em_device d);
EM_API int em_device_count(em_device_type type);
/* The stream ops built now on this thread run on d: the innermost pushed
 * stream, else the thread's default. */
EM_API em_status em_stream_default(em_device d, em_stream *out);
/* Makes s the calling thread's default stream on its device. */
EM_API em_status em_stream_set_default(em_stream s);
/* A new stream on d, usable from any thread. */
EM_API em_status em_stream_new(em_device d, em_stream *out);
/* The stream ops built now on this thread run on. */
EM_API em_stream em_stream_current(void);
/* Ops built on this thread run on s until the matching em_stream_pop (pushes
 * nest up to 64 deep): MLX's stream= argument, and `with stream(s)`. */
EM_API em_status em_stream_push(em_stream s);
EM_API void em_stream_pop(void);
/* Waits until everything submitted to s has run; returns the latest kernel
 * error on s that no read has reported (then forgets it). */
EM_API em_status em_stream_synchronize(em_stream s);

/* ---------------------------------------------------------------- threads */

/* The number of threads the CPU kernels may use for one operation, the
 * calling thread included. The default is EMBER_NUM_THREADS when set (a
 * positive integer), else the number of CPUs the process may run on. n <= 0
 * restores the default. Returns the previous count. Results never depend on
 * it. BLAS runs single-threaded inside ember's own pool. */
EM_API int em_set_num_threads(int n);
EM_API int em_get_num_threads(void);

/* ---------------------------------------------------------------- scopes */

/* A scope collects every reference that ops return on this thread while it is
 * open, and releases them at em_scope_end, except the ones passed to
 * em_scope_keep, which pass to the enclosing scope (or, with none, to the
 * caller). Scopes nest. em_scope_end returns the number of references it
 * released; em_scope_keep returns its argument. */
EM_API void em_scope_begin(void);
EM_API size_t em_scope_end(void);
EM_API em_array *em_scope_keep(em_array *a);

/* ---------------------------------------------------------------- memory */

EM_API size_t em_get_active_memory(void);
EM_API size_t em_get_peak_memory(void);
EM_API void em_reset_peak_memory(void);
EM_API size_t em_get_cache_memory(void);
EM_API size_t em_set_cache_limit(size_t limit);   /* returns the old limit */
/* Past the memory limit an allocation fails with EM_ERR_MEMORY (after waiting
 * once for work in flight to give memory back); the default is 1.5 times the
 * machine's memory, as MLX's. */
EM_API size_t em_set_memory_limit(size_t limit);  /* returns the old limit */
EM_API size_t em_get_memory_limit(void);
EM_API void em_clear_cache(void);
/* The number of live em_array objects (for leak tests). */
EM_API int64_t em_live_arrays(void);

/* ---------------------------------------------------------------- creation */

EM_API em_array *em_zeros(const int64_t *shape, int ndim, em_dtype dtype);
EM_API em_array *em_ones(const int64_t *shape, int ndim, em_dtype dtype);
/* `value` is broadcast to shape and cast to dtype. */
EM_API em_array *em_full(const int64_t *shape, int ndim, const em_array *value,
                         em_dtype dtype);
EM_API em_array *em_full_double(const int64_t *shape, int ndim, double value,
                                em_dtype dtype);
EM_API em_array *em_zeros_like(const em_array *a);
EM_API em_array *em_ones_like(const em_array *a);
EM_API em_array *em_full_like(const em_array *a, const em_array *value);
/* Values start, start+step, ... below stop (above, for negative steps). */
EM_API em_array *em_arange(double start, double stop, double step, em_dtype dtype);
EM_API em_array *em_linspace(double start, double stop, int64_t num, em_dtype dtype);
/* n x m (m < 0 means m = n) with ones on diagonal k. */
EM_API em_array *em_eye(int64_t n, int64_t m, int64_t k, em_dtype dtype);
EM_API em_array *em_identity(int64_t n, em_dtype dtype);
/* n x m ones at and below diagonal k. */
EM_API em_array *em_tri(int64_t n, int64_t m, int64_t k, em_dtype dtype);
EM_API em_array *em_tril(const em_array *a, int64_t k);
EM_API em_array *em_triu(const em_array *a, int64_t k);

/* ---------------------------------------------------------------- dtype */

EM_API em_array *em_astype(const em_array *a, em_dtype dtype);
/* A copy with its own row-major buffer. */
EM_API em_array *em_copy(const em_array *a);

/* ---------------------------------------------------------------- elementwise */

/* Unary: same dtype out, except where noted. */
EM_API em_array *em_abs(const em_array *a);
EM_API em_array *em_sign(const em_array *a);
EM_API em_array *em_negative(const em_array *a);
EM_API em_array *em_exp(const em_array *a);        /* ints, bool -> float32 */
EM_API em_array *em_expm1(const em_array *a);
EM_API em_array *em_log(const em_array *a);
EM_API em_array *em_log1p(const em_array *a);
EM_API em_array *em_log2(const em_array *a);
EM_API em_array *em_log10(const em_array *a);
EM_API em_array *em_sqrt(const em_array *a);
EM_API em_array *em_rsqrt(const em_array *a);
EM_API em_array *em_square(const em_array *a);
EM_API em_array *em_reciprocal(const em_array *a);
EM_API em_array *em_sin(const em_array *a);
EM_API em_array *em_cos(const em_array *a);
EM_API em_array *em_tan(const em_array *a);
EM_API em_array *em_arcsin(const em_array *a);
EM_API em_array *em_arccos(const em_array *a);
EM_API em_array *em_arctan(const em_array *a);
EM_API em_array *em_sinh(const em_array *a);
EM_API em_array *em_cosh(const em_array *a);
EM_API em_array *em_tanh(const em_array *a);
EM_API em_array *em_arcsinh(const em_array *a);
EM_API em_array *em_arccosh(const em_array *a);
EM_API em_array *em_arctanh(const em_array *a);
EM_API em_array *em_erf(const em_array *a);
EM_API em_array *em_erfinv(const em_array *a);
EM_API em_array *em_sigmoid(const em_array *a);
EM_API em_array *em_floor(const em_array *a);
EM_API em_array *em_ceil(const em_array *a);
EM_API em_array *em_round(const em_array *a, int decimals);
EM_API em_array *em_degrees(const em_array *a);
EM_API em_array *em_radians(const em_array *a);
EM_API em_array *em_isnan(const em_array *a);     /* -> bool */
EM_API em_array *em_isinf(const em_array *a);     /* -> bool */
EM_API em_array *em_isfinite(const em_array *a);  /* -> bool */
EM_API em_array *em_isposinf(const em_array *a);  /* -> bool */
EM_API em_array *em_isneginf(const em_array *a);  /* -> bool */
EM_API em_array *em_logical_not(const em_array *a); /* -> bool */
EM_API em_array *em_bitwise_invert(const em_array *a);
EM_API em_array *em_conjugate(const em_array *a);
EM_API em_array *em_real(const em_array *a);
EM_API em_array *em_imag(const em_array *a);
/* NaN -> nan, +inf -> posinf, -inf -> neginf; a NULL pointer means MLX's
 * default (0, the dtype's largest finite value, its lowest). */
EM_API em_array *em_nan_to_num(const em_array *a, double nan,
                               const double *posinf, const double *neginf);

/* Binary: inputs broadcast, dtypes promote with em_result_type. */
EM_API em_array *em_add(const em_array *a, const em_array *b);
EM_API em_array *em_subtract(const em_array *a, const em_array *b);
EM_API em_array *em_multiply(const em_array *a, const em_array *b);
EM_API em_array *em_divide(const em_array *a, const em_array *b); /* -> float */
EM_API em_array *em_floor_divide(const em_array *a, const em_array *b);
EM_API em_array *em_remainder(const em_array *a, const em_array *b);
EM_API em_array *em_power(const em_array *a, const em_array *b);
EM_API em_array *em_maximum(const em_array *a, const em_array *b);
EM_API em_array *em_minimum(const em_array *a, const em_array *b);
EM_API em_array *em_logaddexp(const em_array *a, const em_array *b);
EM_API em_array *em_arctan2(const em_array *a, const em_array *b);
EM_API em_array *em_equal(const em_array *a, const em_array *b);         /* -> bool */
EM_API em_array *em_not_equal(const em_array *a, const em_array *b);     /* -> bool */
EM_API em_array *em_less(const em_array *a, const em_array *b);          /* -> bool */
EM_API em_array *em_less_equal(const em_array *a, const em_array *b);    /* -> bool */
EM_API em_array *em_greater(const em_array *a, const em_array *b);       /* -> bool */
EM_API em_array *em_greater_equal(const em_array *a, const em_array *b); /* -> bool */
EM_API em_array *em_logical_and(const em_array *a, const em_array *b);   /* -> bool */
EM_API em_array *em_logical_or(const em_array *a, const em_array *b);    /* -> bool */
EM_API em_array *em_bitwise_and(const em_array *a, const em_array *b);
EM_API em_array *em_bitwise_or(const em_array *a, const em_array *b);
EM_API em_array *em_bitwise_xor(const em_array *a, const em_array *b);
EM_API em_array *em_left_shift(const em_array *a, const em_array *b);
EM_API em_array *em_right_shift(const em_array *a, const em_array *b);

/* Ternary. */
EM_API em_array *em_where(const em_array *cond, const em_array *x, const em_array *y);
/* Either bound may be NULL (unbounded), not both. */
EM_API em_array *em_clip(const em_array *a, const em_array *lo, const em_array *hi);

/* ---------------------------------------------------------------- reductions */

/* `axes` lists axes (negative ones wrap, no repeats); naxes < 0 means all. */
EM_API em_array *em_sum(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_prod(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_max(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_min(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_mean(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_var(const em_array *a, const int *axes, int naxes, bool keepdims, int ddof);
EM_API em_array *em_std(const em_array *a, const int *axes, int naxes, bool keepdims, int ddof);
EM_API em_array *em_all(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_any(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_logsumexp(const em_array *a, const int *axes, int naxes, bool keepdims);
/* One axis, or all of them flattened when all_axes is true. -> uint32 */
EM_API em_array *em_argmax(const em_array *a, int axis, bool all_axes, bool keepdims);
EM_API em_array *em_argmin(const em_array *a, int axis, bool all_axes, bool keepdims);

/* ---------------------------------------------------------------- sorting and scans */

/* Along one axis, or the flattened array when all_axes is true. Sorts are
 * stable with NaN last; arg variants give uint32. A partition puts the
 * element of rank kth (negative: from the end) at kth, no larger ones before
 * it and no smaller ones after. topk gives the k largest, ascending. */
EM_API em_array *em_sort(const em_array *a, int axis, bool all_axes);
EM_API em_array *em_argsort(const em_array *a, int axis, bool all_axes);
EM_API em_array *em_partition(const em_array *a, int64_t kth, int axis, bool all_axes);
EM_API em_array *em_argpartition(const em_array *a, int64_t kth, int axis, bool all_axes);
EM_API em_array *em_topk(const em_array *a, int64_t k, int axis, bool all_axes);
/* Median over axes (naxes < 0: all); ints and bool give float32. */
EM_API em_array *em_median(const em_array *a, const int *axes, int naxes, bool keepdims);
/* Insertion points of values into the 1-d ascending seq (NaN last): the
 * first (right: the last) that keeps it sorted. -> uint32, values' shape. */
EM_API em_array *em_searchsorted(const em_array *seq, const em_array *values, bool right);
/* Running sum, product, max, min, log-sum-exp along axis (all_axes: the
 * flattened array), from the end when reverse, element i included unless
 * !inclusive. cumsum of bool gives int32, logcumsumexp floats. */
EM_API em_array *em_cumsum(const em_array *a, int axis, bool all_axes, bool reverse, bool inclusive);
EM_API em_array *em_cumprod(const em_array *a, int axis, bool all_axes, bool reverse, bool inclusive);
EM_API em_array *em_cummax(const em_array *a, int axis, bool all_axes, bool reverse, bool inclusive);
EM_API em_array *em_cummin(const em_array *a, int axis, bool all_axes, bool reverse, bool inclusive);
EM_API em_array *em_logcumsumexp(const em_array *a, int axis, bool all_axes, bool reverse,
                                 bool inclusive);

/* ---------------------------------------------------------------- shapes */

/* One entry of shape may be -1 (inferred). */
EM_API em_array *em_reshape(const em_array *a, const int64_t *shape, int ndim);
EM_API em_array *em_flatten(const em_array *a, int start_axis, int end_axis);
EM_API em_array *em_unflatten(const em_array *a, int axis, const int64_t *shape, int ndim);
/* perm NULL reverses the axes. */
EM_API em_array *em_transpose(const em_array *a, const int *perm, int nperm);
EM_API em_array *em_swapaxes(const em_array *a, int axis1, int axis2);
EM_API em_array *em_moveaxis(const em_array *a, int source, int destination);
/* naxes < 0: every axis of size 1. */
EM_API em_array *em_squeeze(const em_array *a, const int *axes, int naxes);
EM_API em_array *em_expand_dims(const em_array *a, const int *axes, int naxes);
EM_API em_array *em_broadcast_to(const em_array *a, const int64_t *shape, int ndim);
/* Each of the n arrays broadcast to their common shape (n new references
 * written to out; on error none are). */
EM_API em_status em_broadcast_arrays(const em_array *const *arrays, size_t n, em_array **out);
/* Slice with per-axis start, stop, step (NULL steps mean 1); Python rules for
 * negative and out-of-range starts and stops; step 0 is an error. Shares data. */
EM_API em_array *em_slice(const em_array *a, const int64_t *start, const int64_t *stop,
                          const int64_t *step, int ndim);
EM_API em_array *em_concatenate(const em_array *const *arrays, size_t n, int axis);
EM_API em_array *em_stack(const em_array *const *arrays, size_t n, int axis);
/* Into `sections` equal parts, or at the `nidx` indices (when indices != NULL).
 * Writes the parts to out (capacity out_cap) and their count to *nout. */
EM_API em_status em_split(const em_array *a, int64_t sections, const int64_t *indices,
                          int nidx, int axis, em_array **out, size_t out_cap, size_t *nout);
typedef enum em_pad_mode { EM_PAD_CONSTANT, EM_PAD_EDGE } em_pad_mode;
/* pad_width holds (before, after) for each of the `npairs` axes (npairs is
 * ndim, or 1 to use one pair for every axis). value may be NULL (zero). */
EM_API em_array *em_pad(const em_array *a, const int64_t *pad_width, int npairs,
                        em_pad_mode mode, const em_array *value);
EM_API em_array *em_tile(const em_array *a, const int64_t *reps, int nreps);
/* axis NULL: flatten first. */
EM_API em_array *em_repeat(const em_array *a, int64_t repeats, const int *axis);

/* ---------------------------------------------------------------- indexing */

/* Index arrays may have any integer dtype (not bool); negative indices count
 * from the end of their axis. An index outside its axis is never read or
 * written: evaluating the op fails with EM_ERR_INDEX ("[gather] Index 5 is
 * out of bounds for axis 0 with size 3."), MLX leaves it unchecked. */

/* a's entries at `indices` along axis (a flattened when !has_axis): NumPy's
 * take, out shape a.shape[:axis] + indices.shape + a.shape[axis+1:]. */
EM_API em_array *em_take(const em_array *a, const em_array *indices, int axis, bool has_axis);
/* NumPy's take_along_axis: indices has a's rank (1 when !has_axis: a is
 * flattened) and broadcasts with a on every axis but `axis`. */
EM_API em_array *em_take_along_axis(const em_array *a, const em_array *indices, int axis,
                                    bool has_axis);
/* a copy of a with values (broadcast to the indices' shape) written at
 * indices along axis (a flattened when !has_axis; the result has a's shape);
 * a repeated index keeps the last value. The _add form sums instead. */
EM_API em_array *em_put_along_axis(const em_array *a, const em_array *indices,
                                   const em_array *values, int axis, bool has_axis);
EM_API em_array *em_scatter_add_axis(const em_array *a, const em_array *indices,
                                     const em_array *values, int axis);
/* a copy of a whose slice (start, stop, step as em_slice: Python's rules, NULL
 * step means 1) holds `update`, cast to a's dtype and broadcast to the
 * slice's shape. */
EM_API em_array *em_slice_update(const em_array *a, const em_array *update,
                                 const int64_t *start, const int64_t *stop,
                                 const int64_t *step, int ndim);
/* MLX's dynamic slice: the window of shape slice_size (a.ndim entries) that
 * starts at start_indices (a 0-d or 1-d integer array, one entry per axis in
 * `axes`; 0 on the other axes). The window must fit in a. */
EM_API em_array *em_slice_dynamic(const em_array *a, const em_array *start_indices,
                                  const int *axes, int naxes, const int64_t *slice_size);
/* a copy of a with `update` (a.ndim dims at most, broadcast as a window) at
 * the window that starts at start_indices, as em_slice_dynamic. */
EM_API em_array *em_slice_update_dynamic(const em_array *a, const em_array *update,
                                         const em_array *start_indices, const int *axes,
                                         int naxes);

/* MLX's Gather: the n index arrays (broadcast together to shape B) index the
 * distinct axes `axes` of a; slice_sizes (nslice == a.ndim entries) gives the
 * window taken at each index, which must fit in a. Output: B + slice_sizes,
 * out[b, w] = a[w + start(b)], start(b) = indices[k][b] on axes[k], 0 on the
 * other axes. n may be 0 (one window at the origin). */
EM_API em_array *em_gather(const em_array *a, const em_array *const *indices, size_t n,
                           const int *axes, const int64_t *slice_sizes, int nslice);
/* MLX's Scatter, the inverse: updates has shape B + W (B the indices'
 * broadcast shape, W a window of a.ndim dims) and is cast to a's dtype; the
 * result is a with each window written at start(b). em_scatter keeps the last
 * write of a repeated index (row-major order of B); the others combine every
 * update (sum, product, maximum, minimum; NaN propagates). */
EM_API em_array *em_scatter(const em_array *a, const em_array *const *indices, size_t n,
                            const em_array *updates, const int *axes);
EM_API em_array *em_scatter_add(const em_array *a, const em_array *const *indices, size_t n,
                                const em_array *updates, const int *axes);
EM_API em_array *em_scatter_prod(const em_array *a, const em_array *const *indices, size_t n,
                                 const em_array *updates, const int *axes);
EM_API em_array *em_scatter_max(const em_array *a, const em_array *const *indices, size_t n,
                                const em_array *updates, const int *axes);
EM_API em_array *em_scatter_min(const em_array *a, const em_array *const *indices, size_t n,
                                const em_array *updates, const int *axes);
/* NumPy's a[mask] = src: mask (bool) has the shape of a's leading mask.ndim
 * axes; src, cast to a's dtype, broadcasts to (K, rest of a's shape) where K
 * is 1 or the number of true entries (then the k-th true entry takes row k),
 * or, as MLX, has a multiple of the rest's size and is read in order.
 * Evaluating fails with EM_ERR_VALUE when K does not match the mask. */
EM_API em_array *em_masked_scatter(const em_array *a, const em_array *mask,
                                   const em_array *src);

/* ---------------------------------------------------------------- linear algebra */

/* NumPy/MLX matmul: 1-d operands promoted and dropped, batch dims broadcast. */
EM_API em_array *em_matmul(const em_array *a, const em_array *b);

/* Contractions (mlx.core's). Dtypes promote as matmul's (integer products
 * are computed, as NumPy; MLX refuses them). */
/* tensordot contracting the last `axes` axes of a with the first of b. */
EM_API em_array *em_tensordot(const em_array *a, const em_array *b, int axes);
/* tensordot contracting a's axes_a[i] with b's axes_b[i] (n pairs). */
EM_API em_array *em_tensordot_axes(const em_array *a, const em_array *b, const int *axes_a,
                                   const int *axes_b, int n);
/* Over the last axes (0-d operands scale the other). */
EM_API em_array *em_inner(const em_array *a, const em_array *b);
/* Of the flattened operands: (a.size, b.size). */
EM_API em_array *em_outer(const em_array *a, const em_array *b);
EM_API em_array *em_kron(const em_array *a, const em_array *b);
/* alpha * (a @ b) + beta * c, c broadcast to the product's shape; integer
 * and bool operands give float32, as MLX. */
EM_API em_array *em_addmm(const em_array *c, const em_array *a, const em_array *b, double alpha,
                          double beta);
/* sum(conj(a) * b) along axis, a and b broadcast together. */
EM_API em_array *em_vecdot(const em_array *a, const em_array *b, int axis);
/* Einstein summation over the n operands (NumPy's subscripts: letters,
 * one "..." per term, optional "->output"), contracted pairwise in the order
 * em_einsum_path gives. */
EM_API em_array *em_einsum(const char *subscripts, const em_array *const *operands, size_t n);
/* The contraction order einsum takes (MLX's greedy order): each step's
 * operand positions (two, or one for a lone operand, or all that remain),
 * each step ended by -1, in the list where a step removes its operands and
 * appends its result; path has room for path_cap ints (3 * n always
 * suffices) and *path_len gets the count written. When report is not NULL,
 * it gets MLX's report text, to release with em_free. */
EM_API em_status em_einsum_path(const char *subscripts, const em_array *const *operands, size_t n,
                                int *path, size_t path_cap, size_t *path_len, char **report);
/* The offset diagonal between axis1 and axis2, as the last axis (a view). */
EM_API em_array *em_diagonal(const em_array *a, int64_t offset, int axis1, int axis2);
/* 2-d: the k-th diagonal; 1-d: the square matrix with a on its k-th diagonal. */
EM_API em_array *em_diag(const em_array *a, int64_t k);
/* The sum of em_diagonal, of dtype (cast first) when has_dtype, else of
 * em_sum's dtype. */
EM_API em_array *em_trace(const em_array *a, int64_t offset, int axis1, int axis2, em_dtype dtype,
                          bool has_dtype);
/* The Walsh-Hadamard transform along the last axis (size m * 2^k, m in 1,
 * 12, 20, 28, MLX's matrices), times scale (1/sqrt(size) when !has_scale).
 * Integer, bool and complex inputs give float32 (complex: the real part). */
EM_API em_array *em_hadamard_transform(const em_array *a, double scale, bool has_scale);
/* MLX's gather_mm: a's and b's matrices picked by index from their
 * (flattened) batch dims (an index array NULL: the batch as it is), then
 * multiplied with broadcasting: out shape broadcast(lhs, rhs) + (M, N).
 * sorted_indices is a hint. */
EM_API em_array *em_gather_mm(const em_array *a, const em_array *b, const em_array *lhs_indices,
                              const em_array *rhs_indices, bool sorted_indices);
/* a (M,K) @ b (K,N) over each segment [start, end) of K given by segments
 * (..., 2), integral: out (..., M, N); an empty segment gives zeros. */
EM_API em_array *em_segmented_mm(const em_array *a, const em_array *b, const em_array *segments);
/* a @ b with block masks (NULL: none) of shapes (..., ceil(rows/bs),
 * ceil(cols/bs)) for a, b and the result, each entry (bool or a factor)
 * applied to its block_size x block_size block. */
EM_API em_array *em_block_masked_mm(const em_array *a, const em_array *b, int block_size,
                                    const em_array *mask_out, const em_array *mask_lhs,
                                    const em_array *mask_rhs);

/* ---------------------------------------------------------------- quantisation */

/* MLX's group quantisation. mode NULL or "affine": a group_size or bits of 0
 * takes the defaults 64 and 4; bits 1, 2, 3, 4, 5, 6, 8 and group sizes 32,
 * 64, 128; the last axis of w is cut into groups, each mapped to scale * q +
 * bias, q in [0, 2^bits); em_quantize writes to out (room for 3) the packed
 * uint32 weights (each row a little-endian bit stream, MLX's layout, bit for
 * bit), the scales and the biases (w's dtype), and sets *n_out to 3.
 * The floating-point modes (defaults fixed by the format, others refused):
 * "mxfp4" (fp4 e2m1 codes, group 32, bits 4), "mxfp8" (fp8 e4m3 codes, group
 * 32, bits 8) and "nvfp4" (fp4 codes, group 16, bits 4): out gets the packed
 * codes and uint8 scales (e8m0 for mx*, e4m3 for nvfp4), *n_out is 2, no
 * biases. global_scale (nvfp4 only, else NULL): a float32 of one element. */
EM_API em_status em_quantize(const em_array *w, int group_size, int bits, const char *mode,
                             const em_array *global_scale, em_array **out, int *n_out);
/* The floats w stands for: dtype when has_dtype, else scales' dtype (affine)
 * or bfloat16 (the fp modes, whose biases must be NULL). */
EM_API em_array *em_dequantize(const em_array *w, const em_array *scales, const em_array *biases,
                               int group_size, int bits, const char *mode,
                               const em_array *global_scale, em_dtype dtype, bool has_dtype);
/* x @ W^T (transpose) or x @ W, W = em_dequantize(w, scales, biases): x of
 * shape (..., K); a batched w (..., R, Kp) is dequantized and multiplied with
 * matmul's broadcasting; the result's dtype promotes x's with scales' (affine)
 * or is x's, a float (the fp modes). */
EM_API em_array *em_quantized_matmul(const em_array *x, const em_array *w, const em_array *scales,
                                     const em_array *biases, bool transpose, int group_size,
                                     int bits, const char *mode);
/* MLX's gather_qmm: gather_mm(x, W) with W (..., rows, cols) the dequantized
 * experts (transposed on their last two axes when transpose), picked by
 * lhs_indices/rhs_indices (NULL: the batch as it is). global_scale (nvfp4
 * with indices only, else NULL): float32, one per expert (w's batch shape). */
EM_API em_array *em_gather_qmm(const em_array *x, const em_array *w, const em_array *scales,
                               const em_array *biases, const em_array *lhs_indices,
                               const em_array *rhs_indices, bool transpose, int group_size,
                               int bits, const char *mode, const em_array *global_scale,
                               bool sorted_indices);
/* MLX's qqmm: x (..., K) quantized on the fly (mode NULL: "nvfp4"; mxfp4,
 * mxfp8 too), times w^T with w (N, K) quantized on the fly, or already packed
 * (uint32, with its scales; else scales NULL): the dequantized x @ the
 * dequantized w^T, in x's dtype. global_scale_x and global_scale_w: nvfp4
 * only, both or neither. */
EM_API em_array *em_qqmm(const em_array *x, const em_array *w, const em_array *scales,
                         int group_size, int bits, const char *mode,
                         const em_array *global_scale_x, const em_array *global_scale_w);
/* gather_qqmm: em_qqmm's quantisation with gather_mm's expert selection (w of
 * shape (..., N, K), always transposed). */
EM_API em_array *em_gather_qqmm(const em_array *x, const em_array *w, const em_array *scales,
                                const em_array *lhs_indices, const em_array *rhs_indices,
                                int group_size, int bits, const char *mode,
                                const em_array *global_scale_x, const em_array *global_scale_w,
                                bool sorted_indices);
/* float8 e4m3 codes (uint8) of x, rounded to nearest even and saturated to
 * +-448 (NaN kept); em_from_fp8 decodes them to dtype. */
EM_API em_array *em_to_fp8(const em_array *x);
EM_API em_array *em_from_fp8(const em_array *x, em_dtype dtype);

/* ---------------------------------------------------------------- linalg */

/* mlx.core.linalg. Matrix functions act on the last two axes and are batched
 * over the leading ones. Unless noted they take float32 or float64 (an
 * EM_ERR_VALUE error names the dtype otherwise, as MLX). Singular,
 * non-positive-definite or non-convergent inputs are found when the array is
 * evaluated: em_eval (or the read that evaluates) then fails with
 * EM_ERR_RUNTIME (MLX raises RuntimeError there too) and a message naming
 * the op, the matrix's batch index and the failing pivot; no output is
 * produced.
 *
 * Functions returning several arrays write them to `out` (room for the count
 * given) and return EM_OK, or an error with nothing written. */

/* Norms (NumPy's numpy.linalg.norm). `axes` (naxes of them; naxes < 0: None)
 * choose a vector norm (1 axis) or a matrix norm (2 axes); with None, a 1-d
 * input gets a vector norm and a 2-d one a matrix norm, and em_linalg_norm
 * (the default order) flattens any input. Real output: float32 for integer,
 * bool and complex64 inputs, else the input's float dtype.
 * em_linalg_norm_ord: vectors take any order (inf, -inf, 0: nonzero count,
 * p: (sum |x|^p)^(1/p)); matrices take 1, -1, 2, -2, inf, -inf.
 * em_linalg_norm_matrix: ord "fro" or "nuc" (matrices only). */
EM_API em_array *em_linalg_norm(const em_array *a, const int *axes, int naxes, bool keepdims);
EM_API em_array *em_linalg_norm_ord(const em_array *a, double ord, const int *axes, int naxes,
                                    bool keepdims);
EM_API em_array *em_linalg_norm_matrix(const em_array *a, const char *ord, const int *axes,
                                       int naxes, bool keepdims);
/* Reduced QR of (..., M, N): out = {Q (..., M, K), R (..., K, N)}, K = min(M, N). */
EM_API em_status em_linalg_qr(const em_array *a, em_array **out);
/* SVD of (..., M, N) (float32, float64, complex64): with compute_uv, out =
 * {U (..., M, M), S (..., K), Vt (..., N, N)} (a = U diag(S) Vt); without,
 * out = {S}. S is real, descending. */
EM_API em_status em_linalg_svd(const em_array *a, bool compute_uv, em_array **out);
EM_API em_array *em_linalg_inv(const em_array *a);
/* Inverse of the triangular matrix in a's lower (or upper) triangle; the
 * other triangle is not read. */
EM_API em_array *em_linalg_tri_inv(const em_array *a, bool upper);
/* Moore-Penrose pseudo-inverse (..., N, M), through the SVD; singular values
 * at or below max(M, N) * eps * max(S) count as zero. */
EM_API em_array *em_linalg_pinv(const em_array *a);
/* Cholesky factor L (a = L L^T) or, with upper, U (a = U^T U); only a's
 * lower (upper) triangle is read; not positive definite: an error. */
EM_API em_array *em_linalg_cholesky(const em_array *a, bool upper);
/* The inverse of the matrix whose Cholesky factor is in a's lower (upper)
 * triangle. */
EM_API em_array *em_linalg_cholesky_inv(const em_array *a, bool upper);
/* x with a x = b: a (..., N, N); b (N) a vector or (..., N, K); batch axes
 * broadcast (b (N) is shared by every batch). */
EM_API em_array *em_linalg_solve(const em_array *a, const em_array *b);
/* The same for the triangular matrix in a's lower (upper) triangle. */
EM_API em_array *em_linalg_solve_triangular(const em_array *a, const em_array *b, bool upper);
/* LU with partial pivoting of (..., M, N): out = {p (..., M) uint32,
 * L (..., M, K), U (..., K, N)} with a = L[p] @ U (MLX's convention). */
EM_API em_status em_linalg_lu(const em_array *a, em_array **out);
/* Compact LU: out = {LU (..., M, N), pivots (..., K) uint32}: row i was
 * swapped with row pivots[i] (0-based, LAPACK's order). */
EM_API em_status em_linalg_lu_factor(const em_array *a, em_array **out);
/* Symmetric / Hermitian eigenproblem (float32, float64, complex64), reading
 * the triangle uplo ('L' or 'U'): out = {w (..., N) real ascending,
 * V (..., N, N) with the eigenvectors in its columns}. */
EM_API em_status em_linalg_eigh(const em_array *a, char uplo, em_array **out);
EM_API em_array *em_linalg_eigvalsh(const em_array *a, char uplo);
/* General eigenproblem (float32, float64, complex64): out = {w (..., N),
 * V (..., N, N)}, both complex64; columns of V are unit eigenvectors. */
EM_API em_status em_linalg_eig(const em_array *a, em_array **out);
EM_API em_array *em_linalg_eigvals(const em_array *a);
/* Cross product of 2- or 3-vectors along axis (2-vectors get a zero third
 * component); the other axes broadcast. */
EM_API em_array *em_linalg_cross(const em_array *a, const em_array *b, int axis);
/* Determinant, and out = {sign, log|det|} (real inputs; integers -> float32). */
EM_API em_array *em_linalg_det(const em_array *a);
EM_API em_status em_linalg_slogdet(const em_array *a, em_array **out);

/* ---------------------------------------------------------------- convolutions */

/* Channels last, as MLX: input (N, *spatial, C_in), weight (C_out, *kernel,
 * C_in / groups), result (N, *out_spatial, C_out); 1 to 3 spatial dims.
 * The operands promote to a floating dtype (float16/bfloat16 are computed in
 * float32 and rounded back); integer and complex operands are an error.
 * em_conv_general's per-dim lists (stride, padding before and after each
 * spatial dim, kernel and input dilation) have n entries: 0 for the default
 * (1, or 0 for padding), 1 for the same value on every dim, or one per dim.
 * flip convolves with the spatially reversed kernel. The fixed-rank forms
 * take int[rank] arrays, or NULL for the default. */
EM_API em_array *em_conv_general(const em_array *input, const em_array *weight,
                                 const int *stride, int nstride, const int *padding_lo, int nlo,
                                 const int *padding_hi, int nhi, const int *kernel_dilation,
                                 int nkdil, const int *input_dilation, int nidil, int groups,
                                 bool flip);
EM_API em_array *em_conv1d(const em_array *input, const em_array *weight, int stride, int padding,
                           int dilation, int groups);
EM_API em_array *em_conv2d(const em_array *input, const em_array *weight, const int *stride,
                           const int *padding, const int *dilation, int groups);
EM_API em_array *em_conv3d(const em_array *input, const em_array *weight, const int *stride,
                           const int *padding, const int *dilation, int groups);
/* Transposed convolutions (the gradient of a convolution with respect to its
 * input), weight (C_out, *kernel, C_in / groups) as MLX. */
EM_API em_array *em_conv_transpose1d(const em_array *input, const em_array *weight, int stride,
                                     int padding, int dilation, int output_padding, int groups);
EM_API em_array *em_conv_transpose2d(const em_array *input, const em_array *weight,
                                     const int *stride, const int *padding, const int *dilation,
                                     const int *output_padding, int groups);
EM_API em_array *em_conv_transpose3d(const em_array *input, const em_array *weight,
                                     const int *stride, const int *padding, const int *dilation,
                                     const int *output_padding, int groups);
/* NumPy's 1-d convolve of a and v. */
typedef enum em_convolve_mode { EM_CONVOLVE_FULL, EM_CONVOLVE_SAME, EM_CONVOLVE_VALID } em_convolve_mode;
EM_API em_array *em_convolve(const em_array *a, const em_array *v, em_convolve_mode mode);

/* ---------------------------------------------------------------- fft */

/* mlx.core.fft. Outputs are complex64 (irfft*: float32), whatever the input
 * dtype, as MLX. Any length works (mixed radix 2/3/4/5/7 and Bluestein).
 * norm scales the forward transform by 1 (BACKWARD), 1/sqrt(n) (ORTHO) or 1/n
 * (FORWARD), and the inverse by the complementary factor.
 *
 * 1-d: n (NULL: the input's length along axis, or 2*(m-1) for irfft) is the
 * transform length; the input is cut or zero-padded to it along axis.
 * n-d: s (NULL: the input's lengths, irfftn's last one 2*(m-1)) gives the
 * lengths along `axes` (NULL: every axis for *fftn, the last two for *fft2;
 * axes must be given when s is). ns and naxes count s and axes. */
typedef enum em_fft_norm { EM_FFT_NORM_BACKWARD, EM_FFT_NORM_ORTHO, EM_FFT_NORM_FORWARD } em_fft_norm;

EM_API em_array *em_fft_fft(const em_array *a, const int64_t *n, int axis, em_fft_norm norm);
EM_API em_array *em_fft_ifft(const em_array *a, const int64_t *n, int axis, em_fft_norm norm);
EM_API em_array *em_fft_rfft(const em_array *a, const int64_t *n, int axis, em_fft_norm norm);
EM_API em_array *em_fft_irfft(const em_array *a, const int64_t *n, int axis, em_fft_norm norm);
EM_API em_array *em_fft_fft2(const em_array *a, const int64_t *s, int ns, const int *axes,
                             int naxes, em_fft_norm norm);
EM_API em_array *em_fft_ifft2(const em_array *a, const int64_t *s, int ns, const int *axes,
                              int naxes, em_fft_norm norm);
EM_API em_array *em_fft_rfft2(const em_array *a, const int64_t *s, int ns, const int *axes,
                              int naxes, em_fft_norm norm);
EM_API em_array *em_fft_irfft2(const em_array *a, const int64_t *s, int ns, const int *axes,
                               int naxes, em_fft_norm norm);
EM_API em_array *em_fft_fftn(const em_array *a, const int64_t *s, int ns, const int *axes,
                             int naxes, em_fft_norm norm);
EM_API em_array *em_fft_ifftn(const em_array *a, const int64_t *s, int ns, const int *axes,
                              int naxes, em_fft_norm norm);
EM_API em_array *em_fft_rfftn(const em_array *a, const int64_t *s, int ns, const int *axes,
                              int naxes, em_fft_norm norm);
EM_API em_array *em_fft_irfftn(const em_array *a, const int64_t *s, int ns, const int *axes,
                               int naxes, em_fft_norm norm);
/* Rolls each of `axes` (NULL: all) by n/2 (fftshift) or -(n/2) (ifftshift). */
EM_API em_array *em_fft_fftshift(const em_array *a, const int *axes, int naxes);
EM_API em_array *em_fft_ifftshift(const em_array *a, const int *axes, int naxes);
/* Sample frequencies (float32) for a length-n transform with spacing d. */
EM_API em_array *em_fft_fftfreq(int64_t n, double d);
EM_API em_array *em_fft_rfftfreq(int64_t n, double d);

/* ---------------------------------------------------------------- more ops */

/* Rounds toward zero (integers and bool unchanged; complex refused). */
EM_API em_array *em_trunc(const em_array *a);
/* a != 0 XOR b != 0, broadcast (-> bool). */
EM_API em_array *em_logical_xor(const em_array *a, const em_array *b);
/* |a - b| <= atol + rtol * |b| per element, broadcast (-> bool); infinities
 * are close only to themselves, NaNs only to NaNs and only with equal_nan. */
EM_API em_array *em_isclose(const em_array *a, const em_array *b, double rtol, double atol,
                            bool equal_nan);
/* all(isclose(...)): a 0-d bool. */
EM_API em_array *em_allclose(const em_array *a, const em_array *b, double rtol, double atol,
                             bool equal_nan);
/* A 0-d bool: same shape and equal values (any dtypes; NaN == NaN with equal_nan). */
EM_API em_array *em_array_equal(const em_array *a, const em_array *b, bool equal_nan);
/* exp(a - max) / sum(exp(a - max)) over axes (naxes < 0: all); integers give
 * float32. Half floats always accumulate in float32 (`precise` is accepted
 * for MLX's signature). */
EM_API em_array *em_softmax(const em_array *a, const int *axes, int naxes, bool precise);
/* The number of non-zero entries over axes (naxes < 0: all) as int32. */
EM_API em_array *em_count_nonzero(const em_array *a, const int *axes, int naxes, bool keepdims);
/* The n-th difference along axis (bool: not_equal), n >= 0. */
EM_API em_array *em_diff(const em_array *a, int n, int axis);
/* Rolls axes[i] by shift[i] (nshift >= naxes; extra shifts are ignored).
 * naxes < 0 (axes may be NULL): the flattened array rolled by the sum of the
 * shifts, reshaped back. */
EM_API em_array *em_roll(const em_array *a, const int64_t *shift, int nshift, const int *axes,
                         int naxes);
/* Coordinate grids of n arrays (each flattened): out[i] has shape (len_0, ..,
 * len_{n-1}) ('ij') or with the first two swapped ('xy', ij false); sparse
 * gives size-1 axes except its own. Writes n new arrays. */
EM_API em_status em_meshgrid(const em_array *const *arrays, size_t n, bool sparse, bool ij,
                             em_array **out);
/* Windows of m points (float32; m < 1 gives an empty array, m = 1 [1]). */
EM_API em_array *em_hanning(int64_t m);
EM_API em_array *em_hamming(int64_t m);
EM_API em_array *em_blackman(int64_t m);
EM_API em_array *em_bartlett(int64_t m);
/* The broadcast of n >= 1 shapes into out (capacity EM_MAX_NDIM); its rank
 * to *out_ndim. */
EM_API em_status em_broadcast_shapes(const int64_t *const *shapes, const int *ndims, size_t n,
                                     int64_t *out, int *out_ndim);
/* The last two axes swapped (ndim >= 2). */
EM_API em_array *em_matrix_transpose(const em_array *a);
/* The bytes of a read as dtype: the last axis scales by the ratio of the item
 * sizes (its byte size must divide; a 0-d array only for equal sizes). */
EM_API em_array *em_view(const em_array *a, em_dtype dtype);
/* A view of a's elements in row-major order (a copy when a is not row
 * contiguous) with the given shape, strides (in elements, may be negative;
 * NULL: row-major) and offset. Every reachable element must lie inside the
 * array (EM_ERR_VALUE otherwise). */
EM_API em_array *em_as_strided(const em_array *a, const int64_t *shape, const int64_t *strides,
                               int ndim, int64_t offset);
/* a, row contiguous (or column contiguous with allow_col_major): the same
 * buffer when it already is, else a copy. */
EM_API em_array *em_contiguous(const em_array *a, bool allow_col_major);
/* out[i] is inputs[i], evaluated only after deps (n >= 1 outputs). */
EM_API em_status em_depends(const em_array *const *inputs, size_t n, const em_array *const *deps,
                            size_t ndeps, em_array **out);
/* The graph that computes outputs (their unevaluated ancestors) in Graphviz
 * DOT text, laid out as MLX does: arrays are "A", "B", ... unless one of
 * named[0..nnamed) is given names[i]. A new string to release with em_free,
 * or NULL with an error. */
EM_API char *em_export_to_dot(em_array *const *outputs, size_t n, em_array *const *named,
                              const char *const *names, size_t nnamed);
/* ---------------------------------------------------------------- array lists */

/* A growable list of array references, how closures and transforms return a
 * number of arrays known only at run time. The list owns what it holds. */
typedef struct em_array_list em_array_list;

EM_API em_array_list *em_array_list_new(void);           /* NULL when out of memory */
EM_API void em_array_list_free(em_array_list *l);         /* releases its arrays; NULL-safe */
EM_API void em_array_list_clear(em_array_list *l);        /* releases its arrays, keeps l */
/* Appends a (retained). A NULL a keeps the first error and returns it. */
EM_API em_status em_array_list_push(em_array_list *l, const em_array *a);
EM_API size_t em_array_list_size(const em_array_list *l);
/* The i-th array, BORROWED (valid while the list holds it); NULL out of range. */
EM_API em_array *em_array_list_get(const em_array_list *l, size_t i);
EM_API em_array *const *em_array_list_data(const em_array_list *l);

/* ---------------------------------------------------------------- closures */

/* A function of arrays to arrays, the unit the transforms work on: `fn` reads
 * n_inputs borrowed inputs and appends its results to `outputs` (an empty
 * list), returning EM_OK, or an error code with the thread's error set. `ctx`
 * is passed through; destructor(ctx), when set, runs once the closure's last
 * reference is released. Closures are reference-counted like arrays: every
 * function returning an em_closure* returns a new reference. `fn` runs
 * outside the scopes of whoever calls it: the references it makes are its own
 * to release (or to leave to scopes it opens and ends itself). */
typedef em_status (*em_closure_fn)(void *ctx, em_array *const *inputs, size_t n_inputs,
                                   em_array_list *outputs);
typedef struct em_closure em_closure;

EM_API em_closure *em_closure_new(em_closure_fn fn, void *ctx, void (*destructor)(void *ctx));
EM_API em_closure *em_closure_retain(em_closure *f);      /* returns f; NULL-safe */
EM_API void em_closure_release(em_closure *f);            /* NULL-safe */
/* Clears `outputs` and calls f. On error `outputs` is left empty. */
EM_API em_status em_closure_call(em_closure *f, em_array *const *inputs, size_t n_inputs,
                                 em_array_list *outputs);

/* ---------------------------------------------------------------- transforms */

/* The identity, through which no gradient flows. */
EM_API em_array *em_stop_gradient(const em_array *a);

/* Reverse mode: calls f(primals) and writes its outputs to `outputs` and, to
 * `vjps`, one array per primal: the sum over f's outputs of the cotangent
 * (one per output, of its shape; extra cotangents are ignored) times that
 * output's Jacobian. */
EM_API em_status em_vjp(em_closure *f, em_array *const *primals, size_t n_primals,
                        em_array *const *cotangents, size_t n_cotangents,
                        em_array_list *outputs, em_array_list *vjps);
/* Forward mode: calls f(primals) and writes its outputs to `outputs` and, to
 * `jvps`, one array per output: its Jacobian times the tangents (one per
 * primal, of its shape). */
EM_API em_status em_jvp(em_closure *f, em_array *const *primals, size_t n_primals,
                        em_array *const *tangents, size_t n_tangents,
                        em_array_list *outputs, em_array_list *jvps);
/* A closure computing f and the gradient of its first output (a scalar) with
 * respect to the inputs listed in argnums (n_argnums >= 1; NULL argnums with
 * n_argnums 0 means input 0). value_and_grad's outputs are f's outputs
 * followed by one gradient per argnum; grad's are the gradients alone. */
EM_API em_closure *em_value_and_grad(em_closure *f, const int *argnums, size_t n_argnums);
EM_API em_closure *em_grad(em_closure *f, const int *argnums, size_t n_argnums);

/* f with user rules (each may be NULL, keeping the default: the transform of
 * f itself). For f with n inputs and m outputs:
 *   vjp(primals[n] ++ cotangents[m] ++ outputs[m]) -> n vjps;
 *   jvp(primals[n] ++ tangents[n]) -> m tangents;
 *   vmap(inputs[n] ++ axes[n]) -> outputs[m] ++ out_axes[m], where an axis is
 *   a 0-d int32 array, -1 meaning "not mapped". */
EM_API em_closure *em_custom_function(em_closure *f, em_closure *vjp, em_closure *jvp,
                                      em_closure *vmap);
/* f whose intermediates are not kept for the backward pass: its vjp runs f
 * again from the inputs. */
EM_API em_closure *em_checkpoint(em_closure *f);

/* Vectorising map. An axis here is an input's or output's batch axis, in
 * [0, ndim); EM_VMAP_NONE (-1) means "not mapped" (an input passed whole to
 * every element; an output the same for every element). Negative axes do not
 * wrap (the Python binding wraps them before calling).
 *
 * em_vmap returns a closure computing f over a batch: input i is sliced along
 * in_axes[i] (all mapped inputs must have one length there, the batch size;
 * at least one input must be mapped) and output j carries the batch along
 * out_axes[j]. n_in_axes / n_out_axes of 0 (axes NULL) mean 0 for every
 * input / output; otherwise they must equal the numbers of inputs / outputs
 * when the closure is called. An output that does not depend on the batch is
 * broadcast along its out axis, or returned as is for EM_VMAP_NONE; a mapped
 * output with EM_VMAP_NONE is an error. */
#define EM_VMAP_NONE (-1)
EM_API em_closure *em_vmap(em_closure *f, const int *in_axes, size_t n_in_axes,
                           const int *out_axes, size_t n_out_axes);
/* The transform itself, for bindings that place the outputs themselves:
 * calls f batched as em_vmap does (in_axes: one per input, or NULL for 0)
 * and writes f's outputs, batched, to `outputs` and the batch axis each
 * carries to *out_axes, an array of em_array_list_size(outputs) ints
 * allocated with malloc (free it with em_free; NULL when f has no outputs),
 * EM_VMAP_NONE for an output that does not depend on the batch (it then has
 * f's unbatched shape). */
EM_API em_status em_vmap_apply(em_closure *f, em_array *const *inputs, size_t n_inputs,
                               const int *in_axes, em_array_list *outputs, int **out_axes);

/* A closure equal to f that traces f once per input signature (count, dtypes,
 * shapes) and then replays the recorded graph instead of calling f again.
 * Arrays f uses without deriving them from its inputs are frozen into the
 * graph; evaluating an array that depends on the inputs inside f is an error.
 * shapeless is accepted (each new shape is traced again). */
EM_API em_closure *em_compile(em_closure *f, bool shapeless);
/* Process-wide switch: while disabled, compiled closures just call f. */
EM_API void em_enable_compile(void);
EM_API void em_disable_compile(void);
EM_API bool em_compile_enabled(void);
/* ---------------------------------------------------------------- files */

/* .npy, .npz, .safetensors and .gguf files.
 *
 * LOADING never trusts a file: every length, offset, count, shape product,
 * dtype code and alignment is checked against the file's real size before it
 * is used, and a malformed file gives EM_ERR_IO with a message that names the
 * file and what is wrong ("[load_npy] Cannot load 'x.npy': ..."). Arrays
 * loaded from a path share the file's read-only memory mapping when their
 * bytes are aligned and need no conversion (pages are read when first
 * touched; writing over a file that is mapped replaces it instead of
 * truncating it); other arrays own a copy. Arguments that are wrong whatever
 * the file holds (an unknown format, metadata for npy) give EM_ERR_VALUE.
 *
 * SAVING evaluates the arrays it writes. Writers produce the bytes NumPy
 * (np.save, np.savez, np.savez_compressed), the `safetensors` package and the
 * `gguf` package produce for the same input.
 *
 * Strings (names, metadata) are UTF-8; a length out-parameter, where a
 * function has one, gives the byte length (loaded strings may hold NULs). */

typedef enum em_file_format {
    EM_FORMAT_AUTO = 0,     /* from the path's extension; for memory and readers, from the magic bytes */
    EM_FORMAT_NPY,
    EM_FORMAT_NPZ,
    EM_FORMAT_SAFETENSORS,
    EM_FORMAT_GGUF
} em_file_format;

/* Flags for em_load* (EM_IO_COPY) and em_save* (EM_IO_COMPRESS). */
enum {
    EM_IO_COPY = 1u << 0,      /* never share a memory mapping: every array owns its bytes */
    EM_IO_COMPRESS = 1u << 1   /* .npz: deflate each member (np.savez_compressed) */
};

/* A dictionary of named arrays plus named metadata values, both in insertion
 * order; setting an existing name replaces its value in place. The map holds
 * a reference to each array; em_map_free releases them. Accessors that return
 * arrays return NEW references (the one rule); returned strings are borrowed
 * and stay valid until the entry is replaced or the map freed. */
typedef struct em_map em_map;

/* What a metadata value holds: a string (safetensors, gguf), an array (gguf
 * numbers: 0-d for a scalar, 1-d for an array) or a list of strings (gguf). */
typedef enum em_meta_kind { EM_META_STRING, EM_META_ARRAY, EM_META_STRINGS } em_meta_kind;

EM_API em_map *em_map_new(void);                    /* NULL with EM_ERR_MEMORY */
EM_API void em_map_free(em_map *m);                 /* NULL-safe */
EM_API size_t em_map_size(const em_map *m);         /* number of arrays */
EM_API const char *em_map_key(const em_map *m, size_t i, size_t *len); /* NULL if out of range */
EM_API em_array *em_map_at(const em_map *m, size_t i);        /* NULL + EM_ERR_INDEX if out of range */
EM_API em_array *em_map_get(const em_map *m, const char *key); /* NULL + EM_ERR_VALUE if absent */
EM_API em_status em_map_set(em_map *m, const char *key, const em_array *a);
EM_API size_t em_map_meta_size(const em_map *m);
EM_API const char *em_map_meta_key(const em_map *m, size_t i, size_t *len);
EM_API em_meta_kind em_map_meta_kind(const em_map *m, size_t i);
/* The value of metadata entry i as a string (EM_META_STRING; NULL otherwise),
 * an array (EM_META_ARRAY; NULL + error otherwise), or the count and items of
 * a list of strings (EM_META_STRINGS; 0 / NULL otherwise). */
EM_API const char *em_map_meta_string(const em_map *m, size_t i, size_t *len);
EM_API em_array *em_map_meta_array(const em_map *m, size_t i);
EM_API size_t em_map_meta_count(const em_map *m, size_t i);
EM_API const char *em_map_meta_item(const em_map *m, size_t i, size_t j, size_t *len);
EM_API em_status em_map_set_meta_string(em_map *m, const char *key, const char *value);
EM_API em_status em_map_set_meta_array(em_map *m, const char *key, const em_array *a);
EM_API em_status em_map_set_meta_strings(em_map *m, const char *key, const char *const *values,
                                         size_t n);

/* A random-access source of bytes: `size` bytes, of which read_at copies
 * exactly n starting at `offset` into dst (offset + n <= size), returning
 * EM_OK, or an error code after setting the error (see em_error_set). */
typedef struct em_reader {
    void *ctx;
    uint64_t size;
    em_status (*read_at)(void *ctx, uint64_t offset, void *dst, size_t n);
} em_reader;

/* A sink: write stores all n bytes or returns an error code. */
typedef struct em_writer {
    void *ctx;
    em_status (*write)(void *ctx, const void *src, size_t n);
} em_writer;

/* Loads every array (and the metadata) of a file. A .npy file gives a map with
 * one array, named "". `name` names a memory block or reader in messages.
 * em_load_memory copies what it keeps of `data`. NULL with an error on
 * failure. */
EM_API em_map *em_load(const char *path, em_file_format format, unsigned flags);
EM_API em_map *em_load_memory(const void *data, size_t n, em_file_format format,
                              const char *name, unsigned flags);
EM_API em_map *em_load_reader(const em_reader *r, em_file_format format, const char *name,
                              unsigned flags);
/* The array of a .npy file. */
EM_API em_array *em_load_npy(const char *path);

/* Writes the map's arrays (and, for safetensors and gguf, its metadata) in
 * `format` (EM_FORMAT_AUTO: from the path's extension). .npy takes exactly
 * one array; .npz names each member "<key>.npy". The file is written in
 * place unless arrays of this process map it. */
EM_API em_status em_save(const char *path, em_file_format format, const em_map *arrays,
                         unsigned flags);
EM_API em_status em_save_writer(const em_writer *w, em_file_format format, const em_map *arrays,
                                const char *name, unsigned flags);
EM_API em_status em_save_npy(const char *path, const em_array *a);

/* ---------------------------------------------------------------- random
 *
 * Counter-based Threefry-2x32 (20 rounds), as MLX: a key is a uint32 array
 * of shape (2); the same key gives the same numbers as MLX's. Every function
 * taking `key` accepts NULL for the global key: it is split, the first half
 * kept as the new global key and the second used (MLX's KeySequence). The
 * global key is process-wide, guarded, seeded by em_random_seed (before that,
 * from the clock in milliseconds). A `shape` of rank ndim as elsewhere;
 * where noted, ndim < 0 means "not given" (shape may then be NULL). */
EM_API em_array *em_random_key(uint64_t seed);       /* [seed >> 32, seed & 0xffffffff] */
EM_API void em_random_seed(uint64_t seed);           /* the global key becomes key(seed) */
EM_API em_array *em_random_state(void);              /* the global key itself (a new reference) */
/* num keys, shape (num, 2): random_bits((num, 2), 4, key). */
EM_API em_array *em_random_split(const em_array *key, int num);
/* Raw bits of `width` bytes (1, 2 or 4: uint8, uint16, uint32). */
EM_API em_array *em_random_bits(const int64_t *shape, int ndim, int width, const em_array *key);
/* Uniform in [low, high) (low, high 0-d or broadcasting to shape; NULL: 0
 * and 1), dtype float32, float16 or bfloat16. */
EM_API em_array *em_random_uniform(const em_array *low, const em_array *high, const int64_t *shape,
                                   int ndim, em_dtype dtype, const em_array *key);
/* Normal samples times scale plus loc (each NULL when absent). */
EM_API em_array *em_random_normal(const int64_t *shape, int ndim, em_dtype dtype, const em_array *loc,
                                  const em_array *scale, const em_array *key);
/* Integers in [low, high) of an integer (or bool) dtype. */
EM_API em_array *em_random_randint(const em_array *low, const em_array *high, const int64_t *shape,
                                   int ndim, em_dtype dtype, const em_array *key);
/* bool samples, true with probability p (floating; NULL: 0.5); ndim < 0: p's shape. */
EM_API em_array *em_random_bernoulli(const em_array *p, const int64_t *shape, int ndim,
                                     const em_array *key);
/* Normal samples truncated to [lower, upper]; ndim < 0: their broadcast shape. */
EM_API em_array *em_random_truncated_normal(const em_array *lower, const em_array *upper,
                                            const int64_t *shape, int ndim, em_dtype dtype,
                                            const em_array *key);
EM_API em_array *em_random_gumbel(const int64_t *shape, int ndim, em_dtype dtype, const em_array *key);
EM_API em_array *em_random_laplace(const int64_t *shape, int ndim, em_dtype dtype, double loc,
                                   double scale, const em_array *key);
/* Indices (uint32) drawn from the unnormalised log-probabilities along axis.
 * At most one of shape (ndim >= 0) and num_samples (>= 0) is given; neither:
 * the logits' shape without axis. */
EM_API em_array *em_random_categorical(const em_array *logits, int axis, const int64_t *shape,
                                       int ndim, int64_t num_samples, const em_array *key);
/* Samples of N(mean, cov): shape + (n,), float32 only. */
EM_API em_array *em_random_multivariate_normal(const em_array *mean, const em_array *cov,
                                               const int64_t *shape, int ndim, em_dtype dtype,
                                               const em_array *key);
/* A random permutation of arange(n) (uint32), or of x along axis. */
EM_API em_array *em_random_permutation_n(int64_t n, const em_array *key);
EM_API em_array *em_random_permutation(const em_array *x, int axis, const em_array *key);

/* ---------------------------------------------------------------- fast (fused kernels) */

/* mlx.core.fast. Inputs of float dtypes (promoted together); optional arrays
 * may be NULL. Each runs as one fused kernel forward; its vjp, jvp and vmap
 * are those of the unfused composition.
 *   rms_norm:   x * rsqrt(mean(x^2, -1) + eps) * weight
 *   layer_norm: (x - mean) * rsqrt(var + eps) * weight + bias  (over axis -1)
 *   rope:       rotary embedding of the first `dims` features of x (rank >= 3)
 *               at positions offset + arange(x.shape[-2]); offset an integer
 *               0-d array or one per x.shape[0]; exactly one of base (has_base)
 *               and freqs (dims/2,) gives the frequencies.
 *   scaled_dot_product_attention: softmax(scale * q k^T + mask) v over
 *               q (B,H,L,D), k (B,Hk,S,D), v (B,Hk,S,Dv) with H % Hk == 0;
 *               mask_mode NULL (no mask, or `mask` if given) or "causal"
 *               (any other string is an error); mask a bool (keep) or an
 *               additive array broadcastable to
 *               (B,H,L,S); sinks (H,) add one logit per head to the softmax. */
EM_API em_array *em_fast_rms_norm(const em_array *x, const em_array *weight, float eps);
EM_API em_array *em_fast_layer_norm(const em_array *x, const em_array *weight,
                                    const em_array *bias, float eps);
EM_API em_array *em_fast_rope(const em_array *x, int dims, bool traditional, bool has_base,
                              float base, float scale, const em_array *offset,
                              const em_array *freqs);
EM_API em_array *em_fast_scaled_dot_product_attention(const em_array *q, const em_array *k,
                                                      const em_array *v, float scale,
                                                      const char *mask_mode,
                                                      const em_array *mask,
                                                      const em_array *sinks);

/* ---------------------------------------------------------------- function export */

/* Traces of a function saved to a file and replayed later without the
 * function (mlx.core.export_function / import_function; ember's own format,
 * described in src/transforms/export.c). A writer collects traces: each
 * em_export_writer_add runs f on tracers of `inputs` (n_pos positional ones,
 * then n_kw keyword ones named kw_names) and records the graph; close writes
 * the file once (later adds fail). Functions with custom_function or
 * checkpoint nodes cannot be exported. */
typedef struct em_export_writer em_export_writer;
EM_API em_export_writer *em_export_writer_new(const char *path, const char *metadata, bool shapeless);
EM_API em_status em_export_writer_add(em_export_writer *w, em_closure *f, em_array *const *inputs,
                                      size_t n_pos, const char *const *kw_names, size_t n_kw);
EM_API em_status em_export_writer_close(em_export_writer *w);
EM_API void em_export_writer_free(em_export_writer *w); /* NULL-safe; does not close */

/* An imported function: its traces, replayed by em_imported_call on inputs
 * whose count, keyword names, dtypes and shapes match one of them (else
 * EM_ERR_VALUE listing the traces). A damaged or malformed file is
 * EM_ERR_VALUE, a missing one EM_ERR_IO. */
typedef struct em_imported em_imported;
EM_API em_imported *em_import_function(const char *path);
EM_API em_imported *em_import_function_bytes(const void *data, size_t n);
EM_API void em_imported_free(em_imported *f); /* NULL-safe */
EM_API const char *em_imported_metadata(const em_imported *f); /* "" when none */
EM_API size_t em_imported_num_traces(const em_imported *f);
EM_API em_status em_imported_call(const em_imported *f, em_array *const *inputs, size_t n_pos,
                                  const char *const *kw_names, size_t n_kw, em_array_list *out);

#ifdef __cplusplus
}
#endif
#endif /* EMBER_H */
