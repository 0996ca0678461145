/* test_join.c -- concatenate, stack, pad, tile, repeat: values (NumPy's),
 * shapes, dtype promotion, and every bad input with MLX's messages. */
#include <stdint.h>

#include "check.h"

#define SH(...) ((int64_t[]){__VA_ARGS__})

/* An evaluated array of `dtype` holding scale * (0, 1, 2, ...) row-major. */
static em_array *iota_s(const int64_t *shape, int ndim, em_dtype dtype, double scale) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = scale * (double)i;
    em_array *d = em_array_from_data(v, shape, ndim, EM_FLOAT64);
    em_array *a = em_astype(d, dtype);
    em_eval1(a);
    em_array_release(d);
    free(v);
    return a;
}
static em_array *iota(const int64_t *shape, int ndim, em_dtype dtype) {
    return iota_s(shape, ndim, dtype, 1);
}

/* ---------------------------------------------------------------- concatenate */

static void test_concatenate(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *b0 = iota_s(SH(3, 4), 2, EM_INT8, 10);
    em_array *b = em_slice(b0, SH(0, 0), SH(3, 2), NULL, 2); /* a strided input */
    /* np.concatenate([a, a[:, :2] * 10], axis=1) */
    em_array *c = em_concatenate((const em_array *[]){a, b}, 2, -1);
    CHECK(check_shape(c, 2, SH(3, 6)) && em_array_dtype(c) == EM_INT32);
    CHECK(check_equals(c, (double[]){0, 1, 2, 3, 0, 10, 4, 5, 6, 7, 40, 50, 8, 9, 10, 11, 80, 90}, 18));
    em_array_release(c);
    /* axis 0, three inputs, one empty; int8 + uint8 -> int16 (MLX) */
    em_array *u = iota(SH(1, 2), 2, EM_UINT8), *e = iota(SH(0, 2), 2, EM_INT8);
    c = em_concatenate((const em_array *[]){b, e, u}, 3, 0);
    CHECK(check_shape(c, 2, SH(4, 2)) && em_array_dtype(c) == EM_INT16);
    CHECK(check_equals(c, (double[]){0, 10, 40, 50, 80, 90, 0, 1}, 8));
    em_array_release(c);
    /* float16 and complex */
    em_array *h = iota(SH(2), 1, EM_FLOAT16), *f = iota(SH(1), 1, EM_FLOAT32);
    c = em_concatenate((const em_array *[]){h, f}, 2, 0);
    CHECK(em_array_dtype(c) == EM_FLOAT32 && check_equals(c, (double[]){0, 1, 0}, 3));
    em_array_release(c);
    em_array *cx = em_array_from_complex(1.5f, -2.0f);
    em_array *cx1 = em_reshape(cx, SH(1), 1);
    c = em_concatenate((const em_array *[]){h, cx1}, 2, 0);
    CHECK(em_array_dtype(c) == EM_COMPLEX64);
    float cv[6];
    CHECK(em_array_copy_to(c, EM_COMPLEX64, cv, sizeof cv) == EM_OK);
    CHECK(cv[0] == 0 && cv[2] == 1 && cv[3] == 0 && cv[4] == 1.5f && cv[5] == -2.0f);
    em_array_release(c);
    em_array_release(cx1);
    em_array_release(cx);
    /* one array: itself */
    c = em_concatenate((const em_array *[]){a}, 1, 1);
    CHECK(c == a);
    em_array_release(c);
    /* zero-size output */
    c = em_concatenate((const em_array *[]){e, e}, 2, 0);
    CHECK(check_shape(c, 2, SH(0, 2)) && em_eval1(c) == EM_OK);
    em_array_release(c);
    /* many inputs (more than fit the builder's stack buffer) */
    em_array *one = iota(SH(1), 1, EM_INT64);
    const em_array *many[40];
    for (int i = 0; i < 40; i++) many[i] = one;
    c = em_concatenate(many, 40, 0);
    CHECK(check_shape(c, 1, SH(40)));
    em_array_release(c);

    em_array *x22 = iota(SH(2, 2), 2, EM_FLOAT32), *x2 = iota(SH(2), 1, EM_FLOAT32);
    CHECK_ERROR(em_concatenate((const em_array *[]){a, a, x22}, 3, 1), EM_ERR_VALUE,
                "[concatenate] All the input array dimensions must match exactly except for the "
                "concatenation axis. However, the provided shapes are (3,4), (3,4), (2,2), and the "
                "concatenation axis is 1.");
    CHECK_ERROR(em_concatenate((const em_array *[]){a, x2}, 2, 1), EM_ERR_VALUE,
                "[concatenate] All the input arrays must have the same number of dimensions. However, "
                "got arrays with dimensions 2 and 1.");
    CHECK_ERROR(em_concatenate((const em_array *[]){a, x2, a}, 3, 5), EM_ERR_INDEX,
                "[concatenate] Axis 5 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_concatenate((const em_array *[]){a, a}, 2, -3), EM_ERR_INDEX,
                "[concatenate] Axis -3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_concatenate(NULL, 0, 0), EM_ERR_VALUE, "[concatenate] No arrays provided for concatenation");
    em_array *s = em_array_from_int(1, EM_INT32);
    CHECK_ERROR(em_concatenate((const em_array *[]){s, s}, 2, 0), EM_ERR_INDEX,
                "[concatenate] Axis 0 is out of bounds for array with 0 dimensions.");
    CHECK_ERROR(em_concatenate((const em_array *[]){a, NULL}, 2, 0), EM_ERR_NULL, "[concatenate]");
    CHECK_ERROR(em_concatenate(NULL, 2, 0), EM_ERR_NULL, "[concatenate]");
    em_array_release(s);
    em_array_release(x22);
    em_array_release(x2);
    em_array_release(one);
    em_array_release(h);
    em_array_release(f);
    em_array_release(u);
    em_array_release(e);
    em_array_release(b);
    em_array_release(b0);
    em_array_release(a);
}

static void test_stack(void) {
    em_array *a = iota(SH(2, 4), 2, EM_INT32);
    em_array *r0 = em_slice(a, SH(0, 0), SH(1, 4), NULL, 2);
    em_array *r1 = em_slice(a, SH(1, 0), SH(2, 4), NULL, 2);
    em_array *x = em_reshape(r0, SH(4), 1), *y = em_reshape(r1, SH(4), 1);
    /* np.stack([a[0], a[1]], axis=1) */
    em_array *s = em_stack((const em_array *[]){x, y}, 2, -1);
    CHECK(check_shape(s, 2, SH(4, 2)));
    CHECK(check_equals(s, (double[]){0, 4, 1, 5, 2, 6, 3, 7}, 8));
    em_array_release(s);
    s = em_stack((const em_array *[]){x, y, x}, 3, 0);
    CHECK(check_shape(s, 2, SH(3, 4)));
    CHECK(check_equals(s, (double[]){0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3}, 12));
    em_array_release(s);
    /* 0-d and promotion: mx.stack([mx.array(1), mx.array(2.5)]) */
    em_array *i1 = em_array_from_int(1, EM_INT32), *f2 = em_array_from_double(2.5, EM_FLOAT32);
    s = em_stack((const em_array *[]){i1, f2}, 2, 0);
    CHECK(check_shape(s, 1, SH(2)) && em_array_dtype(s) == EM_FLOAT32);
    CHECK(check_equals(s, (double[]){1, 2.5}, 2));
    em_array_release(s);
    CHECK_ERROR(em_stack((const em_array *[]){x, a}, 2, 0), EM_ERR_VALUE, "[stack] All arrays must have the same shape");
    CHECK_ERROR(em_stack((const em_array *[]){x, x}, 2, 2), EM_ERR_INDEX,
                "[stack] Axis 2 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_stack((const em_array *[]){x, x}, 2, -3), EM_ERR_INDEX,
                "[stack] Axis -3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_stack(NULL, 0, 0), EM_ERR_VALUE, "[stack] No arrays provided for stacking");
    CHECK_ERROR(em_stack((const em_array *[]){NULL}, 1, 0), EM_ERR_NULL, "[stack]");
    em_array_release(i1);
    em_array_release(f2);
    em_array_release(x);
    em_array_release(y);
    em_array_release(r0);
    em_array_release(r1);
    em_array_release(a);
}

/* ---------------------------------------------------------------- pad */

static void test_pad(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    /* np.pad(a, ((1,0),(2,1)), constant_values=7) */
    em_array *seven = em_array_from_double(7.9, EM_FLOAT64); /* cast to int32: 7 */
    em_array *p = em_pad(a, SH(1, 0, 2, 1), 2, EM_PAD_CONSTANT, seven);
    CHECK(check_shape(p, 2, SH(4, 7)) && em_array_dtype(p) == EM_INT32);
    CHECK(check_equals(p, (double[]){7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 1, 2, 3, 7, 7, 7, 4, 5, 6, 7,
                                     7, 7, 7, 8, 9, 10, 11, 7}, 28));
    em_array_release(p);
    /* one pair for every axis, zero value */
    p = em_pad(a, SH(1, 1), 1, EM_PAD_CONSTANT, NULL);
    CHECK(check_shape(p, 2, SH(5, 6)));
    CHECK(check_equals(p, (double[]){0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 7, 0,
                                     0, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0}, 30));
    em_array_release(p);
    /* np.pad(a, ((1,2),(2,1)), mode='edge') on a transposed-back input */
    em_array *t = em_transpose(a, NULL, 0), *tt = em_transpose(t, NULL, 0);
    p = em_pad(tt, SH(1, 2, 2, 1), 2, EM_PAD_EDGE, NULL);
    CHECK(check_shape(p, 2, SH(6, 7)));
    CHECK(check_equals(p, (double[]){0, 0, 0, 1, 2, 3, 3, 0, 0, 0, 1, 2, 3, 3, 4, 4, 4, 5, 6, 7, 7,
                                     8, 8, 8, 9, 10, 11, 11, 8, 8, 8, 9, 10, 11, 11, 8, 8, 8, 9, 10,
                                     11, 11}, 42));
    em_array_release(p);
    /* edge on a 3-d float16 array: corners of a (1,1,2) block */
    em_array *h = iota(SH(1, 1, 2), 3, EM_FLOAT16);
    p = em_pad(h, SH(1, 1, 0, 1, 1, 0), 3, EM_PAD_EDGE, NULL);
    CHECK(check_shape(p, 3, SH(3, 2, 3)) && em_array_dtype(p) == EM_FLOAT16);
    CHECK(check_equals(p, (double[]){0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1}, 18));
    em_array_release(p);
    em_array_release(h);
    /* complex value, bool array */
    em_array *bo = iota(SH(2), 1, EM_BOOL), *tr = em_array_from_bool(true);
    p = em_pad(bo, SH(2, 1), 1, EM_PAD_CONSTANT, tr);
    CHECK(em_array_dtype(p) == EM_BOOL && check_equals(p, (double[]){1, 1, 0, 1, 1}, 5));
    em_array_release(p);
    em_array_release(tr);
    em_array_release(bo);
    /* 0-d: nothing to pad; zero widths: the same array */
    em_array *s = em_array_from_int(3, EM_INT32);
    p = em_pad(s, SH(1, 1), 1, EM_PAD_CONSTANT, NULL);
    CHECK(p == s);
    em_array_release(p);
    p = em_pad(a, SH(0, 0, 0, 0), 2, EM_PAD_EDGE, NULL);
    CHECK(p == a);
    em_array_release(p);
    /* empty input, constant: MLX gives zeros of (2,5) */
    em_array *z = iota(SH(0, 3), 2, EM_FLOAT32);
    p = em_pad(z, SH(1, 1), 1, EM_PAD_CONSTANT, NULL);
    CHECK(check_shape(p, 2, SH(2, 5)) && check_equals(p, (double[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 10));
    em_array_release(p);
    /* a value given as a 1-element array of any rank */
    em_array *v1 = iota_s(SH(1, 1), 2, EM_FLOAT32, 1);
    em_array *v1b = em_broadcast_to(s, SH(1, 1), 2);
    p = em_pad(a, SH(0, 0, 1, 0), 2, EM_PAD_CONSTANT, v1b);
    CHECK(check_shape(p, 2, SH(3, 5)) && check_equals(p, (double[]){3, 0, 1, 2, 3, 3, 4, 5, 6, 7, 3, 8, 9, 10, 11}, 15));
    em_array_release(p);
    em_array_release(v1b);
    em_array_release(v1);

    em_array *v2 = iota(SH(2), 1, EM_INT32);
    CHECK_ERROR(em_pad(a, SH(1, 1), 1, EM_PAD_CONSTANT, v2), EM_ERR_VALUE,
                "[pad] The padding value must be a single element");
    CHECK_ERROR(em_pad(z, SH(1, 1), 1, EM_PAD_EDGE, NULL), EM_ERR_VALUE,
                "[pad] Cannot extend empty axis 0 using modes other than 'constant'.");
    CHECK_ERROR(em_pad(a, SH(-1, 0), 1, EM_PAD_CONSTANT, NULL), EM_ERR_VALUE,
                "Invalid low padding size (-1) passed to pad for axis 0. Padding sizes must be non-negative");
    CHECK_ERROR(em_pad(a, SH(1, 2, 3, -4), 2, EM_PAD_CONSTANT, NULL), EM_ERR_VALUE,
                "Invalid high padding size (-4) passed to pad for axis 1. Padding sizes must be non-negative");
    CHECK_ERROR(em_pad(a, SH(1, 2, 3, 4, 5, 6), 3, EM_PAD_CONSTANT, NULL), EM_ERR_VALUE,
                "Invalid number of padding sizes passed to pad with axes of size 2");
    CHECK_ERROR(em_pad(a, SH(INT64_MAX, 1), 1, EM_PAD_CONSTANT, NULL), EM_ERR_VALUE, "[pad] The shape's number of bytes overflows");
    CHECK_ERROR(em_pad(a, SH(INT64_C(1) << 40, 0), 1, EM_PAD_CONSTANT, NULL), EM_ERR_VALUE, "[pad] The shape's number of bytes overflows");
    CHECK_ERROR(em_pad(a, SH(1, 1), 1, (em_pad_mode)7, NULL), EM_ERR_VALUE, "[pad] Invalid padding mode 7.");
    CHECK_ERROR(em_pad(a, NULL, 1, EM_PAD_CONSTANT, NULL), EM_ERR_NULL, "[pad]");
    CHECK_ERROR(em_pad(NULL, SH(1, 1), 1, EM_PAD_CONSTANT, NULL), EM_ERR_NULL, "[pad]");
    em_array_release(v2);
    em_array_release(z);
    em_array_release(s);
    em_array_release(t);
    em_array_release(tt);
    em_array_release(seven);
    em_array_release(a);
}

/* ---------------------------------------------------------------- tile, repeat */

static void test_tile(void) {
    em_array *a = iota(SH(3, 4), 2, EM_UINT8);
    /* np.tile(a, (2,1,2)) */
    em_array *t = em_tile(a, SH(2, 1, 2), 3);
    CHECK(check_shape(t, 3, SH(2, 3, 8)) && em_array_dtype(t) == EM_UINT8);
    CHECK(check_equals(t, (double[]){0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11, 8, 9, 10, 11,
                                     0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11, 8, 9, 10, 11}, 48));
    em_array_release(t);
    /* np.tile(a, (2,)) */
    t = em_tile(a, SH(2), 1);
    CHECK(check_shape(t, 2, SH(3, 8)));
    CHECK(check_equals(t, (double[]){0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11, 8, 9, 10, 11}, 24));
    em_array_release(t);
    t = em_tile(a, NULL, 0);
    CHECK(t == a);
    em_array_release(t);
    t = em_tile(a, SH(0, 2), 2);
    CHECK(check_shape(t, 2, SH(0, 8)) && em_eval1(t) == EM_OK);
    em_array_release(t);
    em_array *s = em_array_from_double(1.5, EM_FLOAT32);
    t = em_tile(s, SH(2, 3), 2);
    CHECK(check_shape(t, 2, SH(2, 3)) && check_equals(t, (double[]){1.5, 1.5, 1.5, 1.5, 1.5, 1.5}, 6));
    em_array_release(t);
    CHECK_ERROR(em_tile(a, SH(-1), 1), EM_ERR_VALUE, "[tile] Negative dimensions not allowed.");
    CHECK_ERROR(em_tile(a, SH(INT64_C(1) << 62, 4), 2), EM_ERR_VALUE, "[tile] The shape's number of bytes overflows");
    CHECK_ERROR(em_tile(a, NULL, 2), EM_ERR_NULL, "[tile]");
    CHECK_ERROR(em_tile(NULL, SH(2), 1), EM_ERR_NULL, "[tile]");
    em_array_release(s);
    em_array_release(a);
}

static void test_repeat(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT64);
    int ax0 = 0, ax1 = -1, ax2 = 2;
    /* np.repeat(a, 2, axis=0) */
    em_array *r = em_repeat(a, 2, &ax0);
    CHECK(check_shape(r, 2, SH(6, 4)));
    CHECK(check_equals(r, (double[]){0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 8, 9, 10, 11, 8, 9, 10, 11}, 24));
    em_array_release(r);
    r = em_repeat(a, 2, &ax1);
    CHECK(check_shape(r, 2, SH(3, 8)));
    CHECK(check_equals(r, (double[]){0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11}, 24));
    em_array_release(r);
    /* np.repeat(a[:2, :2], 3): flattened first */
    em_array *q = em_slice(a, SH(0, 0), SH(2, 2), NULL, 2);
    r = em_repeat(q, 3, NULL);
    CHECK(check_shape(r, 1, SH(12)));
    CHECK(check_equals(r, (double[]){0, 0, 0, 1, 1, 1, 4, 4, 4, 5, 5, 5}, 12));
    em_array_release(r);
    em_array_release(q);
    r = em_repeat(a, 0, &ax1);
    CHECK(check_shape(r, 2, SH(3, 0)) && em_eval1(r) == EM_OK);
    em_array_release(r);
    r = em_repeat(a, 1, &ax0);
    CHECK(r == a);
    em_array_release(r);
    em_array *s = em_array_from_int(3, EM_INT32);
    r = em_repeat(s, 2, NULL);
    CHECK(check_shape(r, 1, SH(2)) && check_equals(r, (double[]){3, 3}, 2));
    em_array_release(r);
    CHECK_ERROR(em_repeat(s, 2, &ax0), EM_ERR_INDEX, "[repeat] Axis 0 is out of bounds for array with 0 dimensions.");
    CHECK_ERROR(em_repeat(a, -1, &ax1), EM_ERR_VALUE, "[repeat] Number of repeats cannot be negative");
    CHECK_ERROR(em_repeat(a, 2, &ax2), EM_ERR_INDEX, "[repeat] Axis 2 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_repeat(a, INT64_MAX, &ax0), EM_ERR_VALUE, "[repeat] The shape's number of bytes overflows");
    CHECK_ERROR(em_repeat(NULL, 2, NULL), EM_ERR_NULL, "[repeat]");
    em_array_release(s);
    em_array_release(a);
}

/* Every dtype through the byte-copying kernels: concatenate, pad (both
 * modes), and the copy of a reshaped transpose (tile). Values 0..5 survive
 * every dtype; bool sees them as 0 or 1. */
static void test_all_dtypes(void) {
    static const em_dtype dts[] = {EM_BOOL, EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64, EM_INT8,
                                   EM_INT16, EM_INT32, EM_INT64, EM_FLOAT16, EM_BFLOAT16,
                                   EM_FLOAT32, EM_FLOAT64, EM_COMPLEX64};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        em_dtype dt = dts[k];
        bool b = dt == EM_BOOL;
#define V(x) (b ? ((x) != 0) : (x))
        em_array *a = iota(SH(2, 3), 2, dt);
        em_array *c = em_concatenate((const em_array *[]){a, a}, 2, 1);
        CHECK_MSG(em_array_dtype(c) == dt &&
                      check_equals(c, (double[]){V(0), V(1), V(2), V(0), V(1), V(2), V(3), V(4), V(5),
                                                 V(3), V(4), V(5)}, 12), "concatenate %s", em_dtype_name(dt));
        em_array *p = em_pad(a, SH(0, 1, 1, 0), 2, EM_PAD_EDGE, NULL);
        CHECK_MSG(check_equals(p, (double[]){V(0), V(0), V(1), V(2), V(3), V(3), V(4), V(5), V(3), V(3),
                                             V(4), V(5)}, 12), "pad edge %s", em_dtype_name(dt));
        em_array *one = em_array_from_double(1, dt);
        em_array *q = em_pad(a, SH(1, 0), 1, EM_PAD_CONSTANT, one);
        CHECK_MSG(check_shape(q, 2, SH(3, 4)) &&
                      check_equals(q, (double[]){1, 1, 1, 1, 1, V(0), V(1), V(2), 1, V(3), V(4), V(5)}, 12),
                  "pad constant %s", em_dtype_name(dt));
        em_array *t = em_transpose(a, NULL, 0);
        em_array *r = em_reshape(t, SH(6), 1);
        CHECK_MSG(check_equals(r, (double[]){V(0), V(3), V(1), V(4), V(2), V(5)}, 6), "reshape copy %s",
                  em_dtype_name(dt));
#undef V
        em_array_release(r);
        em_array_release(t);
        em_array_release(q);
        em_array_release(one);
        em_array_release(p);
        em_array_release(c);
        em_array_release(a);
    }
}

int main(void) {
    int64_t live = em_live_arrays();
    test_concatenate();
    test_stack();
    test_pad();
    test_tile();
    test_repeat();
    test_all_dtypes();
    CHECK(em_live_arrays() == live);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
