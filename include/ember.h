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

/* Sets the calling thread's error from a callback (the first error wins). */
EM_API em_status em_error_set(em_status code, const char *message);

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

#ifdef __cplusplus
}
#endif
#endif /* EMBER_H */
