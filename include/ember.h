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
 * on. Iterative: graphs of any depth. */
EM_API em_status em_eval(em_array *const *arrays, size_t n);
EM_API em_status em_eval1(em_array *a);

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
EM_API size_t em_set_memory_limit(size_t limit);  /* returns the old limit */
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

/* ---------------------------------------------------------------- linear algebra */

/* NumPy/MLX matmul: 1-d operands promoted and dropped, batch dims broadcast. */
EM_API em_array *em_matmul(const em_array *a, const em_array *b);

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

#ifdef __cplusplus
}
#endif
#endif /* EMBER_H */
