/* dtype.h -- the one list of dtypes, their C storage types, and the X-macros
 * that kernels expand over it. */
#ifndef EM_CORE_DTYPE_H
#define EM_CORE_DTYPE_H

#include <complex.h>
#include <stdbool.h>
#include <stdint.h>

#include "ember.h"
#include "half.h"

typedef float _Complex em_c64;

/* X(ENUM, suffix, ctype): every dtype, in enum order. `suffix` names generated
 * functions (kernel_add_float32 ...). */
#define EM_DTYPES(X)                                                           \
    X(EM_BOOL, bool, bool)                                                     \
    X(EM_UINT8, uint8, uint8_t)                                                \
    X(EM_UINT16, uint16, uint16_t)                                             \
    X(EM_UINT32, uint32, uint32_t)                                             \
    X(EM_UINT64, uint64, uint64_t)                                             \
    X(EM_INT8, int8, int8_t)                                                   \
    X(EM_INT16, int16, int16_t)                                                \
    X(EM_INT32, int32, int32_t)                                                \
    X(EM_INT64, int64, int64_t)                                                \
    X(EM_FLOAT16, float16, em_f16)                                             \
    X(EM_BFLOAT16, bfloat16, em_bf16)                                          \
    X(EM_FLOAT32, float32, float)                                              \
    X(EM_FLOAT64, float64, double)                                             \
    X(EM_COMPLEX64, complex64, em_c64)

/* Subsets, same shape of entry. */
#define EM_DTYPES_UINT(X)                                                      \
    X(EM_UINT8, uint8, uint8_t)                                                \
    X(EM_UINT16, uint16, uint16_t)                                             \
    X(EM_UINT32, uint32, uint32_t)                                             \
    X(EM_UINT64, uint64, uint64_t)
#define EM_DTYPES_SINT(X)                                                      \
    X(EM_INT8, int8, int8_t)                                                   \
    X(EM_INT16, int16, int16_t)                                                \
    X(EM_INT32, int32, int32_t)                                                \
    X(EM_INT64, int64, int64_t)
#define EM_DTYPES_INT(X) EM_DTYPES_UINT(X) EM_DTYPES_SINT(X)
#define EM_DTYPES_NATIVE_FLOAT(X)                                              \
    X(EM_FLOAT32, float32, float)                                              \
    X(EM_FLOAT64, float64, double)
#define EM_DTYPES_HALF(X)                                                      \
    X(EM_FLOAT16, float16, em_f16)                                             \
    X(EM_BFLOAT16, bfloat16, em_bf16)

static inline bool dtype_is_float(em_dtype d) { return d >= EM_FLOAT16 && d <= EM_FLOAT64; }
static inline bool dtype_is_int(em_dtype d) { return d >= EM_UINT8 && d <= EM_INT64; }
static inline bool dtype_is_uint(em_dtype d) { return d >= EM_UINT8 && d <= EM_UINT64; }
static inline bool dtype_is_sint(em_dtype d) { return d >= EM_INT8 && d <= EM_INT64; }
static inline bool dtype_is_inexact(em_dtype d) { return d >= EM_FLOAT16; }
static inline bool dtype_is_complex(em_dtype d) { return d == EM_COMPLEX64; }

/* The dtype unary float functions compute in: floats keep theirs, everything
 * else becomes float32 (as MLX's exp/sin/... do). */
static inline em_dtype dtype_to_inexact(em_dtype d) {
    return dtype_is_inexact(d) ? d : EM_FLOAT32;
}

/* Generic scalar conversions used by casts, printing and item(). */
double dtype_load_double(em_dtype dt, const void *p);
int64_t dtype_load_int(em_dtype dt, const void *p);
/* Stores v converted to dt (as astype from float64 / int64 would). */
void dtype_store_double(em_dtype dt, void *p, double v);
void dtype_store_int(em_dtype dt, void *p, int64_t v);

#endif
