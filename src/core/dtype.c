/* dtype.c -- dtype names, sizes, kinds and MLX's promotion rules. */
#include <math.h>
#include <string.h>

#include "../backend/cpu/scalar.h"
#include "dtype.h"

#define NAME(E, s, t) [E] = #s,
static const char *const names[EM_NUM_DTYPES] = {EM_DTYPES(NAME)};
#undef NAME
#define SIZE(E, s, t) [E] = sizeof(t),
static const unsigned char sizes[EM_NUM_DTYPES] = {EM_DTYPES(SIZE)};
#undef SIZE

EM_API bool em_dtype_is_valid(int dt) { return dt >= 0 && dt < EM_NUM_DTYPES; }
EM_API const char *em_dtype_name(em_dtype dt) {
    return em_dtype_is_valid((int)dt) ? names[dt] : NULL;
}
EM_API size_t em_dtype_size(em_dtype dt) { return em_dtype_is_valid((int)dt) ? sizes[dt] : 0; }

EM_API em_dtype_kind em_dtype_kind_of(em_dtype dt) {
    if (dt == EM_BOOL) return EM_KIND_BOOL;
    if (dtype_is_uint(dt)) return EM_KIND_UINT;
    if (dtype_is_sint(dt)) return EM_KIND_INT;
    if (dtype_is_float(dt)) return EM_KIND_FLOAT;
    return EM_KIND_COMPLEX;
}

/* MLX's table (checked against mlx 0.32: zeros(dtype=a) + zeros(dtype=b)). */
enum { b_ = EM_BOOL, u1 = EM_UINT8, u2 = EM_UINT16, u4 = EM_UINT32, u8 = EM_UINT64,
       i1 = EM_INT8, i2 = EM_INT16, i4 = EM_INT32, i8 = EM_INT64, f2 = EM_FLOAT16,
       bf = EM_BFLOAT16, f4 = EM_FLOAT32, f8 = EM_FLOAT64, c8 = EM_COMPLEX64 };
static const unsigned char promote[EM_NUM_DTYPES][EM_NUM_DTYPES] = {
    /*        b_  u1  u2  u4  u8  i1  i2  i4  i8  f2  bf  f4  f8  c8 */
    /* b_ */ {b_, u1, u2, u4, u8, i1, i2, i4, i8, f2, bf, f4, f8, c8},
    /* u1 */ {u1, u1, u2, u4, u8, i2, i2, i4, i8, f2, bf, f4, f8, c8},
    /* u2 */ {u2, u2, u2, u4, u8, i4, i4, i4, i8, f2, bf, f4, f8, c8},
    /* u4 */ {u4, u4, u4, u4, u8, i8, i8, i8, i8, f2, bf, f4, f8, c8},
    /* u8 */ {u8, u8, u8, u8, u8, f4, f4, f4, f4, f2, bf, f4, f8, c8},
    /* i1 */ {i1, i2, i4, i8, f4, i1, i2, i4, i8, f2, bf, f4, f8, c8},
    /* i2 */ {i2, i2, i4, i8, f4, i2, i2, i4, i8, f2, bf, f4, f8, c8},
    /* i4 */ {i4, i4, i4, i8, f4, i4, i4, i4, i8, f2, bf, f4, f8, c8},
    /* i8 */ {i8, i8, i8, i8, f4, i8, i8, i8, i8, f2, bf, f4, f8, c8},
    /* f2 */ {f2, f2, f2, f2, f2, f2, f2, f2, f2, f2, f4, f4, f8, c8},
    /* bf */ {bf, bf, bf, bf, bf, bf, bf, bf, bf, f4, bf, f4, f8, c8},
    /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f4, f4, f4, f4, f8, c8},
    /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8, f8, f8, f8, f8, c8},
    /* c8 */ {c8, c8, c8, c8, c8, c8, c8, c8, c8, c8, c8, c8, c8, c8},
};

EM_API em_dtype em_result_type(em_dtype a, em_dtype b) {
    if (!em_dtype_is_valid((int)a) || !em_dtype_is_valid((int)b)) return EM_FLOAT32;
    return (em_dtype)promote[a][b];
}

/* MLX: a weak scalar takes the array's dtype, except that an int meets bool as
 * int32, a float meets bool/integers as float32, a complex gives complex64. */
EM_API em_dtype em_result_type_weak(em_dtype a, em_scalar_kind s) {
    switch (s) {
    case EM_SCALAR_BOOL: return a;
    case EM_SCALAR_INT: return a == EM_BOOL ? EM_INT32 : a;
    case EM_SCALAR_FLOAT: return dtype_is_inexact(a) ? a : EM_FLOAT32;
    case EM_SCALAR_COMPLEX: return EM_COMPLEX64;
    }
    return a;
}

EM_API bool em_dtype_fits_int(em_dtype dt, int64_t v) {
    switch (dt) {
    case EM_BOOL: return v == 0 || v == 1;
    case EM_UINT8: return v >= 0 && v <= UINT8_MAX;
    case EM_UINT16: return v >= 0 && v <= UINT16_MAX;
    case EM_UINT32: return v >= 0 && v <= (int64_t)UINT32_MAX;
    case EM_UINT64: return v >= 0;
    case EM_INT8: return v >= INT8_MIN && v <= INT8_MAX;
    case EM_INT16: return v >= INT16_MIN && v <= INT16_MAX;
    case EM_INT32: return v >= INT32_MIN && v <= INT32_MAX;
    default: return true;
    }
}

double dtype_load_double(em_dtype dt, const void *p) {
    switch (dt) {
    case EM_BOOL: return *(const bool *)p ? 1.0 : 0.0;
    case EM_UINT8: return *(const uint8_t *)p;
    case EM_UINT16: return *(const uint16_t *)p;
    case EM_UINT32: return *(const uint32_t *)p;
    case EM_UINT64: return (double)*(const uint64_t *)p;
    case EM_INT8: return *(const int8_t *)p;
    case EM_INT16: return *(const int16_t *)p;
    case EM_INT32: return *(const int32_t *)p;
    case EM_INT64: return (double)*(const int64_t *)p;
    case EM_FLOAT16: return em_f16_to_f32(*(const em_f16 *)p);
    case EM_BFLOAT16: return em_bf16_to_f32(*(const em_bf16 *)p);
    case EM_FLOAT32: return *(const float *)p;
    case EM_FLOAT64: return *(const double *)p;
    case EM_COMPLEX64: return crealf(*(const em_c64 *)p);
    default: return 0;
    }
}

int64_t dtype_load_int(em_dtype dt, const void *p) {
    switch (dt) {
    case EM_UINT64: return (int64_t)*(const uint64_t *)p;
    case EM_INT64: return *(const int64_t *)p;
    case EM_FLOAT16: case EM_BFLOAT16: case EM_FLOAT32: case EM_FLOAT64: case EM_COMPLEX64:
        return em_int64_from_f64(dtype_load_double(dt, p));
    default: return (int64_t)dtype_load_double(dt, p);
    }
}

/* Stores convert exactly as the astype kernels do (scalar.h is the one
 * definition of every conversion): floats to integers truncate and saturate,
 * NaN gives 0, integers wrap, half types round once. */
void dtype_store_double(em_dtype dt, void *p, double v) {
    switch (dt) {
#define STORE(E, s, t) case E: { t x = em_##s##_from_f64(v); memcpy(p, &x, sizeof x); break; }
        EM_DTYPES(STORE)
#undef STORE
    default: break;
    }
}

void dtype_store_int(em_dtype dt, void *p, int64_t v) {
    switch (dt) {
#define STORE(E, s, t) case E: { t x = em_##s##_from_i64(v); memcpy(p, &x, sizeof x); break; }
        EM_DTYPES(STORE)
#undef STORE
    default: break;
    }
}
