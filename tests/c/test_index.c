/* test_index.c -- the gather/scatter family: take, take_along_axis,
 * put_along_axis, gather, scatter and its reductions, slice_update, dynamic
 * slices and masked_scatter. Values are NumPy's (np.take, np.add.at, ...);
 * repeated indices, negative and out-of-range indices, every index and data
 * dtype, strided and broadcast operands, in-place updates, and every bad
 * input with its code and message. */
#include <stdint.h>

#include "check.h"

#define SH(...) ((int64_t[]){__VA_ARGS__})
#define V(...) ((double[]){__VA_ARGS__})
#define NV(...) (sizeof((double[]){__VA_ARGS__}) / sizeof(double))
/* r has shape (given as SH(...)) and values exactly V(...); releases r. */
#define CHECK_ARR(r, nd, shape, ...)                                           \
    do {                                                                       \
        em_array *r_ = (r);                                                    \
        CHECK_MSG(r_ != NULL, "NULL result: %s", em_error_message());          \
        CHECK(check_shape(r_, nd, shape));                                     \
        CHECK(check_equals(r_, V(__VA_ARGS__), NV(__VA_ARGS__)));              \
        em_array_release(r_);                                                  \
        em_error_clear();                                                      \
    } while (0)

static const em_dtype ALL[] = {EM_BOOL, EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64, EM_INT8, EM_INT16,
                               EM_INT32, EM_INT64, EM_FLOAT16, EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64,
                               EM_COMPLEX64};
static const em_dtype INTS[] = {EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64,
                                EM_INT8, EM_INT16, EM_INT32, EM_INT64};

/* An evaluated array of `dtype` from doubles, row-major. */
static em_array *arr(const double *v, const int64_t *shape, int ndim, em_dtype dtype) {
    em_array *d = em_array_from_data(v, shape, ndim, EM_FLOAT64);
    em_array *a = em_astype(d, dtype);
    em_eval1(a);
    em_array_release(d);
    return a;
}
#define ARR(dt, nd, shape, ...) arr(V(__VA_ARGS__), shape, nd, dt)

/* 0, 1, 2, ... */
static em_array *iota(const int64_t *shape, int ndim, em_dtype dtype) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (double)i;
    em_array *a = arr(v, shape, ndim, dtype);
    free(v);
    return a;
}

/* Evaluating r fails with code and a message containing substr; releases r. */
#define CHECK_EVAL_ERROR(r, code, substr)                                      \
    do {                                                                       \
        em_error_clear();                                                      \
        em_array *r_ = (r);                                                    \
        CHECK_MSG(r_ != NULL, "building failed: %s", em_error_message());      \
        em_status s_ = em_eval1(r_);                                           \
        CHECK_MSG(s_ == (code) && strstr(em_error_message(), (substr)) != NULL, \
                  "got %d \"%s\"", (int)s_, em_error_message());               \
        em_error_clear();                                                      \
        em_array_release(r_);                                                  \
    } while (0)

/* ---------------------------------------------------------------- take */

static void test_take(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *i = ARR(EM_INT32, 1, SH(3), 2, 0, -1);
    /* np.take(a, [2, 0, -1], axis=0) */
    CHECK_ARR(em_take(a, i, 0, true), 2, SH(3, 4), 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
    /* np.take(a, [[0, 3], [1, 1]], axis=1): index dims where the axis was */
    em_array *i2 = ARR(EM_INT64, 2, SH(2, 2), 0, 3, 1, 1);
    CHECK_ARR(em_take(a, i2, -1, true), 3, SH(3, 2, 2), 0, 3, 1, 1, 4, 7, 5, 5, 8, 11, 9, 9);
    /* flattened */
    em_array *i3 = ARR(EM_INT16, 2, SH(2, 2), 11, 0, -1, 5);
    CHECK_ARR(em_take(a, i3, 0, false), 2, SH(2, 2), 11, 0, 11, 5);
    /* a 0-d index drops the axis */
    em_array *two = em_array_from_int(2, EM_UINT8);
    CHECK_ARR(em_take(a, two, 1, true), 1, SH(3), 2, 6, 10);
    CHECK_ARR(em_take(a, two, 0, false), 0, SH(0), 2);
    /* a middle axis of a 3-d array: np.take(b, [[2, 0]], axis=1) */
    em_array *b = iota(SH(2, 3, 4), 3, EM_FLOAT32);
    em_array *i4 = ARR(EM_INT32, 2, SH(1, 2), 2, 0);
    CHECK_ARR(em_take(b, i4, 1, true), 4, SH(2, 1, 2, 4), 8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23,
              12, 13, 14, 15);
    /* every index dtype */
    for (size_t k = 0; k < sizeof INTS / sizeof *INTS; k++) {
        em_array *ik = ARR(INTS[k], 1, SH(2), 3, 1);
        CHECK_ARR(em_take(a, ik, 1, true), 2, SH(3, 2), 3, 1, 7, 5, 11, 9);
        em_array_release(ik);
    }
    /* a 0-d array taken without an axis */
    em_array *s = em_array_from_int(5, EM_INT32);
    em_array *z2 = ARR(EM_INT32, 1, SH(2), 0, 0);
    CHECK_ARR(em_take(s, z2, 0, false), 1, SH(2), 5, 5);
    /* empty indices from an empty axis */
    em_array *e = iota(SH(0, 3), 2, EM_FLOAT32), *ei = iota(SH(0), 1, EM_INT32);
    em_array *r = em_take(e, ei, 0, true);
    CHECK(check_shape(r, 2, SH(0, 3)) && em_eval1(r) == EM_OK);
    em_array_release(r);
    /* strided input (a transposed) and strided indices (every other) */
    em_array *at = em_transpose(a, NULL, 0);
    em_array *i5 = ARR(EM_INT32, 1, SH(4), 2, 9, 1, 9);
    em_array *i5s = em_slice(i5, SH(0), SH(4), SH(2), 1);
    CHECK_ARR(em_take(at, i5s, 0, true), 2, SH(2, 3), 2, 6, 10, 1, 5, 9);
    em_array_release(i5s);
    em_array_release(i5);
    em_array_release(at);
    /* out of range, either side, and a huge unsigned index */
    em_array *bad = ARR(EM_INT32, 1, SH(2), 1, 3);
    CHECK_EVAL_ERROR(em_take(a, bad, 0, true), EM_ERR_INDEX,
                     "[gather] Index 3 is out of bounds for axis 0 with size 3.");
    em_array *neg = ARR(EM_INT8, 1, SH(1), -5);
    CHECK_EVAL_ERROR(em_take(a, neg, 1, true), EM_ERR_INDEX,
                     "[gather] Index -5 is out of bounds for axis 1 with size 4.");
    uint64_t huge = UINT64_MAX;
    em_array *hu = em_array_from_data(&huge, SH(1), 1, EM_UINT64);
    CHECK_EVAL_ERROR(em_take(a, hu, 0, false), EM_ERR_INDEX,
                     "[gather] Index 18446744073709551615 is out of bounds for axis 0 with size 12.");
    em_array *zero = ARR(EM_INT32, 1, SH(1), 0);
    CHECK_EVAL_ERROR(em_take(e, zero, 0, true), EM_ERR_INDEX,
                     "[gather] Index 0 is out of bounds for axis 0 with size 0.");
    /* bad input */
    em_array *f = ARR(EM_FLOAT32, 1, SH(1), 0);
    em_array *bl = ARR(EM_BOOL, 1, SH(1), 1);
    CHECK_ERROR(em_take(a, f, 0, true), EM_ERR_VALUE,
                "[gather] Got indices with invalid dtype. Indices must be integral.");
    CHECK_ERROR(em_take(a, bl, 0, true), EM_ERR_VALUE,
                "[gather] Got indices with invalid dtype. Indices must be integral.");
    CHECK_ERROR(em_take(a, i, 2, true), EM_ERR_INDEX,
                "[take] Received invalid axis 2 for array with 2 dimensions.");
    CHECK_ERROR(em_take(a, i, -3, true), EM_ERR_INDEX,
                "[take] Received invalid axis -3 for array with 2 dimensions.");
    CHECK_ERROR(em_take(s, i, 0, true), EM_ERR_INDEX,
                "[take] Received invalid axis 0 for array with 0 dimensions.");
    CHECK_ERROR(em_take(NULL, i, 0, true), EM_ERR_NULL, "take");
    CHECK_ERROR(em_take(a, NULL, 0, true), EM_ERR_NULL, "take");
    em_array *list[] = {a, i, i2, i3, two, b, i4, s, z2, e, ei, bad, neg, hu, zero, f, bl};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* Every data dtype moves through gather and scatter unchanged. */
static void test_all_dtypes(void) {
    em_array *i = ARR(EM_INT32, 1, SH(4), 3, 0, 3, 1);
    em_array *j = ARR(EM_INT64, 1, SH(2), 1, 2);
    for (size_t k = 0; k < sizeof ALL / sizeof *ALL; k++) {
        em_dtype dt = ALL[k];
        em_array *a = ARR(dt, 1, SH(4), 0, 1, 0, 1);
        em_array *t = em_take(a, i, 0, true);
        CHECK(em_array_dtype(t) == dt);
        CHECK_ARR(t, 1, SH(4), 1, 0, 1, 1);
        em_array *u = ARR(dt, 2, SH(2, 1), 1, 1), *s2 = ARR(dt, 2, SH(2, 1), 0, 1);
        em_array *s = em_scatter(a, (const em_array *[]){j}, 1, u, (int[]){0});
        CHECK(em_array_dtype(s) == dt);
        CHECK_ARR(s, 1, SH(4), 0, 1, 1, 1);
        CHECK_ARR(em_scatter_add(a, (const em_array *[]){j}, 1, s2, (int[]){0}), 1, SH(4), 0, 1, 1, 1);
        CHECK_ARR(em_scatter_max(a, (const em_array *[]){j}, 1, s2, (int[]){0}), 1, SH(4), 0, 1, 1, 1);
        CHECK_ARR(em_scatter_min(a, (const em_array *[]){j}, 1, s2, (int[]){0}), 1, SH(4), 0, 0, 0, 1);
        CHECK_ARR(em_scatter_prod(a, (const em_array *[]){j}, 1, s2, (int[]){0}), 1, SH(4), 0, 0, 0, 1);
        em_array_release(s2);
        em_array_release(u);
        em_array_release(a);
    }
    /* complex values keep both parts; max/min order them lexicographically */
    float cz[6] = {1, 2, 1, 3, 0, 9};
    em_array *c = em_array_from_data(cz, SH(3), 1, EM_COMPLEX64);
    em_array *ci = ARR(EM_INT32, 1, SH(3), 0, 0, 0);
    em_array *c3 = em_reshape(c, SH(3, 1), 2);
    em_array *zero = em_zeros(SH(1), 1, EM_COMPLEX64);
    float out[2];
    em_array *mx = em_scatter_max(zero, (const em_array *[]){ci}, 1, c3, (int[]){0});
    CHECK(em_array_copy_to(mx, EM_COMPLEX64, out, sizeof out) == EM_OK && out[0] == 1 && out[1] == 3);
    em_array *sm = em_scatter_add(zero, (const em_array *[]){ci}, 1, c3, (int[]){0});
    CHECK(em_array_copy_to(sm, EM_COMPLEX64, out, sizeof out) == EM_OK && out[0] == 2 && out[1] == 14);
    em_array *one = em_ones(SH(1), 1, EM_COMPLEX64);
    em_array *pr = em_scatter_prod(one, (const em_array *[]){ci}, 1, c3, (int[]){0});
    /* (1+2j)(1+3j)(0+9j) = (-5+5j)(9j) = -45-45j */
    CHECK(em_array_copy_to(pr, EM_COMPLEX64, out, sizeof out) == EM_OK && out[0] == -45 && out[1] == -45);
    em_array *list[] = {i, j, c, ci, c3, zero, mx, sm, one, pr};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* ---------------------------------------------------------------- along an axis */

static void test_take_along_axis(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *i = ARR(EM_INT32, 2, SH(3, 1), 1, 0, 3);
    CHECK_ARR(em_take_along_axis(a, i, 1, true), 2, SH(3, 1), 1, 4, 11);
    em_array *i0 = ARR(EM_UINT8, 2, SH(1, 4), 2, 0, 1, 1);
    CHECK_ARR(em_take_along_axis(a, i0, 0, true), 2, SH(1, 4), 8, 1, 6, 7);
    /* indices broadcast against a outside the axis */
    em_array *ib = ARR(EM_INT64, 2, SH(1, 2), 3, -1);
    CHECK_ARR(em_take_along_axis(a, ib, -1, true), 2, SH(3, 2), 3, 3, 7, 7, 11, 11);
    /* and a against the indices: a (4,1) with indices (1,3) along axis 1 */
    em_array *col = iota(SH(4, 1), 2, EM_FLOAT64);
    em_array *z3 = ARR(EM_INT32, 2, SH(1, 3), 0, 0, -1);
    CHECK_ARR(em_take_along_axis(col, z3, 1, true), 2, SH(4, 3), 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3);
    /* flattened */
    em_array *fl = ARR(EM_INT16, 1, SH(3), 11, 0, -12);
    CHECK_ARR(em_take_along_axis(a, fl, 0, false), 1, SH(3), 11, 0, 0);
    em_array *ib0 = ARR(EM_INT32, 2, SH(1, 4), 3, 0, 0, 0);
    CHECK_EVAL_ERROR(em_take_along_axis(a, ib0, 0, true), EM_ERR_INDEX,
                     "[take_along_axis] Index 3 is out of bounds for axis 0 with size 3.");
    em_array *e = iota(SH(3, 0), 2, EM_INT32);
    CHECK_EVAL_ERROR(em_take_along_axis(e, i, 1, true), EM_ERR_INDEX,
                     "[take_along_axis] Index 1 is out of bounds for axis 1 with size 0.");
    em_array *f = ARR(EM_FLOAT32, 2, SH(1, 1), 0);
    CHECK_ERROR(em_take_along_axis(a, f, 0, true), EM_ERR_VALUE,
                "[take_along_axis] Got indices with invalid dtype. Indices must be integral.");
    CHECK_ERROR(em_take_along_axis(a, i, 2, true), EM_ERR_INDEX,
                "[take_along_axis] Axis 2 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_take_along_axis(a, fl, 0, true), EM_ERR_VALUE,
                "[take_along_axis] Indices of dimension 1 does not match array of dimension 2.");
    CHECK_ERROR(em_take_along_axis(a, i, 0, false), EM_ERR_VALUE,
                "[take_along_axis] Indices of dimension 2 does not match array of dimension 1.");
    em_array *wide = ARR(EM_INT32, 2, SH(1, 2), 1, 0);
    CHECK_ERROR(em_take_along_axis(a, wide, 0, true), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (4) and (2) cannot be broadcast.");
    CHECK_ERROR(em_take_along_axis(NULL, i, 0, true), EM_ERR_NULL, "take_along_axis");
    em_array *list[] = {a, i, i0, ib, ib0, col, z3, fl, e, f, wide};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

static void test_put_along_axis(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *i = ARR(EM_INT32, 2, SH(3, 1), 1, 0, 3);
    em_array *v = ARR(EM_INT32, 2, SH(3, 1), 100, 101, 102);
    CHECK_ARR(em_put_along_axis(a, i, v, 1, true), 2, SH(3, 4), 0, 100, 2, 3, 101, 5, 6, 7, 8, 9, 10, 102);
    /* repeated indices: the last value wins; add sums them */
    em_array *ir = ARR(EM_INT64, 2, SH(3, 2), 0, 0, 1, 1, 2, -1);
    em_array *vr = ARR(EM_INT32, 2, SH(3, 2), 5, 6, 7, 8, 9, 10);
    CHECK_ARR(em_put_along_axis(a, ir, vr, 1, true), 2, SH(3, 4), 6, 1, 2, 3, 4, 8, 6, 7, 8, 9, 9, 10);
    CHECK_ARR(em_scatter_add_axis(a, ir, vr, -1), 2, SH(3, 4), 11, 1, 2, 3, 4, 20, 6, 7, 8, 9, 19, 21);
    /* a scalar value (cast to a's dtype), broadcast */
    em_array *x = em_array_from_double(7.9, EM_FLOAT64);
    CHECK_ARR(em_put_along_axis(a, i, x, 1, true), 2, SH(3, 4), 0, 7, 2, 3, 7, 5, 6, 7, 8, 9, 10, 7);
    /* MLX: indices broadcast with values; (1,1) indices, (1,2) values */
    em_array *i11 = ARR(EM_INT32, 2, SH(1, 1), 1), *v12 = ARR(EM_INT32, 2, SH(1, 2), 5, 6);
    CHECK_ARR(em_put_along_axis(a, i11, v12, 1, true), 2, SH(3, 4), 0, 6, 2, 3, 4, 6, 6, 7, 8, 6, 10, 11);
    /* flattened: the result keeps a's shape */
    em_array *fl = ARR(EM_INT32, 1, SH(2), 1, -12), *fv = ARR(EM_INT32, 1, SH(2), 7, 8);
    CHECK_ARR(em_put_along_axis(a, fl, fv, 0, false), 2, SH(3, 4), 8, 7, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    CHECK_EVAL_ERROR(em_put_along_axis(a, i, v, 0, true), EM_ERR_INDEX,
                     "[put_along_axis] Index 3 is out of bounds for axis 0 with size 3.");
    em_array *wide = ARR(EM_INT32, 2, SH(1, 3), 1, 0, 2);
    CHECK_ERROR(em_put_along_axis(a, wide, v, 0, true), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (4) and (3) cannot be broadcast.");
    em_array *v3 = ARR(EM_INT32, 1, SH(3), 1, 2, 3);
    CHECK_ERROR(em_put_along_axis(a, i11, v3, 0, true), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (1,4) and (3) cannot be broadcast.");
    em_array *col = iota(SH(4, 1), 2, EM_INT32), *i13 = ARR(EM_INT32, 2, SH(1, 3), 0, 0, 0);
    CHECK_ERROR(em_put_along_axis(col, i13, x, 0, true), EM_ERR_VALUE,
                "[put_along_axis] Indices and values of broadcast shape (1,3) do not fit array of shape "
                "(4,1) outside axis 0.");
    em_array *v23 = ARR(EM_INT32, 2, SH(2, 3), 1, 2, 3, 4, 5, 6);
    CHECK_ERROR(em_put_along_axis(col, i13, v23, 1, true), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (4,3) and (2,3) cannot be broadcast.");
    CHECK_ERROR(em_put_along_axis(a, i, v, -3, true), EM_ERR_INDEX,
                "[put_along_axis] Axis -3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_put_along_axis(a, fl, v, 0, true), EM_ERR_VALUE,
                "[put_along_axis] Indices of dimension 1 does not match array of dimension 2.");
    em_array *f = ARR(EM_FLOAT64, 2, SH(1, 1), 0);
    CHECK_ERROR(em_put_along_axis(a, f, v, 0, true), EM_ERR_VALUE,
                "[put_along_axis] Got indices with invalid dtype. Indices must be integral.");
    CHECK_ERROR(em_put_along_axis(a, i, NULL, 0, true), EM_ERR_NULL, "put_along_axis");
    CHECK_ERROR(em_scatter_add_axis(a, NULL, v, 0), EM_ERR_NULL, "scatter_add_axis");
    em_array *list[] = {a, i, v, ir, vr, x, i11, v12, fl, fv, wide, v3, col, i13, v23, f};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* ---------------------------------------------------------------- gather */

static void test_gather(void) {
    em_array *b = iota(SH(2, 3, 4), 3, EM_INT32);
    em_array *i0 = ARR(EM_INT32, 2, SH(3, 1), 2, 0, 1), *i1 = ARR(EM_UINT16, 1, SH(2), 3, 0);
    em_array *i1n = ARR(EM_INT16, 1, SH(2), 3, -4);
    int axes[2] = {1, -1};
    /* indices broadcast to (3,2); windows (2,1,1) */
    CHECK_ARR(em_gather(b, (const em_array *[]){i0, i1n}, 2, axes, SH(2, 1, 1), 3), 5, SH(3, 2, 2, 1, 1),
              11, 23, 8, 20, 3, 15, 0, 12, 7, 19, 4, 16);
    CHECK_ARR(em_gather(b, (const em_array *[]){i0, i1}, 2, axes, SH(2, 1, 1), 3), 5, SH(3, 2, 2, 1, 1),
              11, 23, 8, 20, 3, 15, 0, 12, 7, 19, 4, 16);
    /* no index: one window at the origin */
    CHECK_ARR(em_gather(b, NULL, 0, NULL, SH(1, 2, 2), 3), 3, SH(1, 2, 2), 0, 1, 4, 5);
    /* windows larger than one along the indexed axis */
    em_array *st = ARR(EM_INT32, 1, SH(2), 1, 0);
    CHECK_ARR(em_gather(b, (const em_array *[]){st}, 1, (int[]){1}, SH(1, 2, 2), 3), 4, SH(2, 1, 2, 2),
              4, 5, 8, 9, 0, 1, 4, 5);
    CHECK_EVAL_ERROR(em_gather(b, (const em_array *[]){st}, 1, (int[]){2}, SH(1, 1, 4), 3), EM_ERR_INDEX,
                     "[gather] Index 1 with slice size 4 is out of bounds for axis 2 with size 4.");
    /* a broadcast (zero-stride) input */
    em_array *row = iota(SH(4), 1, EM_FLOAT32);
    em_array *bro = em_broadcast_to(row, SH(3, 4), 2);
    CHECK_ARR(em_gather(bro, (const em_array *[]){i0}, 1, (int[]){0}, SH(1, 2), 2), 4, SH(3, 1, 1, 2),
              0, 1, 0, 1, 0, 1);
    /* empty windows move nothing, but their indices are still checked (NumPy) */
    em_array *e = iota(SH(2, 0), 2, EM_FLOAT32), *i01 = ARR(EM_INT32, 1, SH(2), 1, -2);
    em_array *r = em_take(e, i01, 0, true);
    CHECK(check_shape(r, 2, SH(2, 0)) && em_eval1(r) == EM_OK);
    em_array_release(r);
    em_array *i2 = ARR(EM_INT32, 1, SH(2), 0, 2);
    CHECK_EVAL_ERROR(em_take(e, i2, 0, true), EM_ERR_INDEX,
                     "[gather] Index 2 is out of bounds for axis 0 with size 2.");
    em_array *ue = iota(SH(2, 1, 0), 3, EM_FLOAT32);
    CHECK_EVAL_ERROR(em_scatter(e, (const em_array *[]){i2}, 1, ue, (int[]){0}), EM_ERR_INDEX,
                     "[scatter] Index 2 is out of bounds for axis 0 with size 2.");
    r = em_scatter(e, (const em_array *[]){i01}, 1, ue, (int[]){0});
    CHECK(check_shape(r, 2, SH(2, 0)) && em_eval1(r) == EM_OK);
    em_array_release(r);
    /* bad input */
    em_array *f = ARR(EM_FLOAT32, 1, SH(1), 0);
    CHECK_ERROR(em_gather(b, (const em_array *[]){f}, 1, (int[]){0}, SH(1, 3, 4), 3), EM_ERR_VALUE,
                "[gather] Got indices with invalid dtype. Indices must be integral.");
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0, i1}, 2, (int[]){1, 1}, SH(1, 1, 1), 3),
                EM_ERR_VALUE, "[gather] Repeated axes are not allowed (axis 1).");
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0}, 1, (int[]){3}, SH(1, 1, 1), 3), EM_ERR_INDEX,
                "[gather] Invalid axis 3 for array with 3 dimensions.");
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0}, 1, (int[]){0}, SH(1, 1), 2), EM_ERR_VALUE,
                "[gather] Got slice_sizes with size 2 for array with 3 dimensions.");
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0}, 1, (int[]){0}, SH(1, 4, 1), 3), EM_ERR_VALUE,
                "[gather] Slice sizes must be in [0, a.shape(i)]. Got (1,4,1) for array with shape (2,3,4).");
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0, i0, i0, i0}, 4, (int[]){0, 1, 2, 3}, SH(1, 1, 1), 3),
                EM_ERR_VALUE, "[gather] Too many index arrays. Got 4 index arrays for input with 3 dimensions.");
    em_array *i4 = ARR(EM_INT32, 2, SH(2, 2), 0, 0, 0, 0);
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0, i4}, 2, (int[]){0, 1}, SH(1, 1, 1), 3), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (3,1) and (2,2) cannot be broadcast.");
    CHECK_ERROR(em_gather(b, (const em_array *[]){i0, NULL}, 2, (int[]){0, 1}, SH(1, 1, 1), 3), EM_ERR_NULL,
                "gather");
    CHECK_ERROR(em_gather(b, NULL, 1, (int[]){0}, SH(1, 1, 1), 3), EM_ERR_NULL, "gather");
    em_array *list[] = {b, i0, i1, i1n, st, row, bro, e, i01, i2, ue, f, i4};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* ---------------------------------------------------------------- scatter */

static void test_scatter(void) {
    em_array *z = em_zeros(SH(5), 1, EM_FLOAT32);
    em_array *i = ARR(EM_INT32, 1, SH(5), 0, 1, 0, 3, 0);
    em_array *u = ARR(EM_FLOAT32, 2, SH(5, 1), 1.5, 2, 3, 4, 5);
    const em_array *ix[] = {i};
    int ax0 = 0;
    /* np.add.at / multiply.at / maximum.at / minimum.at; x[idx] = v */
    CHECK_ARR(em_scatter_add(z, ix, 1, u, &ax0), 1, SH(5), 9.5, 2, 0, 4, 0);
    CHECK_ARR(em_scatter(z, ix, 1, u, &ax0), 1, SH(5), 5, 2, 0, 4, 0);
    em_array *two = em_full_double(SH(5), 1, 2, EM_FLOAT32);
    CHECK_ARR(em_scatter_prod(two, ix, 1, u, &ax0), 1, SH(5), 45, 4, 2, 8, 2);
    em_array *x = ARR(EM_FLOAT32, 1, SH(5), 1, 2, 3, 4, 5);
    em_array *um = ARR(EM_FLOAT32, 2, SH(5, 1), 7, -2, NAN, 9, 8);
    CHECK_ARR(em_scatter_max(x, ix, 1, um, &ax0), 1, SH(5), NAN, 2, 3, 9, 5);
    em_array *i2 = ARR(EM_INT64, 1, SH(5), 0, 1, 0, 3, 4);
    em_array *un = ARR(EM_FLOAT32, 2, SH(5, 1), 7, -2, -1, 9, NAN);
    CHECK_ARR(em_scatter_min(x, (const em_array *[]){i2}, 1, un, &ax0), 1, SH(5), -1, -2, 3, 4, NAN);
    /* windows: rows of a (3,4), repeated */
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *ri = ARR(EM_INT8, 1, SH(3), 2, 0, -1);
    em_array *ru = ARR(EM_INT32, 3, SH(3, 1, 4), 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110);
    CHECK_ARR(em_scatter_add(a, (const em_array *[]){ri}, 1, ru, &ax0), 2, SH(3, 4),
              40, 51, 62, 73, 4, 5, 6, 7, 88, 109, 130, 151);
    CHECK_ARR(em_scatter(a, (const em_array *[]){ri}, 1, ru, &ax0), 2, SH(3, 4),
              40, 50, 60, 70, 4, 5, 6, 7, 80, 90, 100, 110);
    /* a window narrower than the row, a broadcast (zero-stride) update and a
     * float update cast to int */
    em_array *v = em_array_from_double(-1.7, EM_FLOAT64);
    em_array *vb = em_broadcast_to(v, SH(3, 1, 2), 3);
    CHECK_ARR(em_scatter(a, (const em_array *[]){ri}, 1, vb, &ax0), 2, SH(3, 4),
              -1, -1, 2, 3, 4, 5, 6, 7, -1, -1, 10, 11);
    /* two index arrays (a point each), broadcast together */
    em_array *r0 = ARR(EM_INT32, 2, SH(2, 1), 0, 2), *c0 = ARR(EM_INT32, 1, SH(2), 1, -1);
    em_array *pu = ARR(EM_INT32, 4, SH(2, 2, 1, 1), 100, 200, 300, 400);
    CHECK_ARR(em_scatter(a, (const em_array *[]){r0, c0}, 2, pu, (int[]){0, 1}), 2, SH(3, 4),
              0, 100, 2, 200, 4, 5, 6, 7, 8, 300, 10, 400);
    /* no index: the window at the origin */
    em_array *w = ARR(EM_INT32, 2, SH(1, 2), -5, -6);
    CHECK_ARR(em_scatter_add(a, NULL, 0, w, NULL), 2, SH(3, 4), -5, -5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    /* integer sums wrap */
    em_array *u8 = ARR(EM_UINT8, 1, SH(2), 250, 1);
    em_array *u8i = ARR(EM_INT32, 1, SH(3), 0, 0, 1);
    em_array *u8u = ARR(EM_UINT8, 2, SH(3, 1), 3, 4, 255);
    CHECK_ARR(em_scatter_add(u8, (const em_array *[]){u8i}, 1, u8u, &ax0), 1, SH(2), 1, 0);
    /* out of range: nothing written, an error at evaluation */
    em_array *bad = ARR(EM_INT32, 1, SH(5), 0, 1, 0, 5, 0);
    CHECK_EVAL_ERROR(em_scatter_add(z, (const em_array *[]){bad}, 1, u, &ax0), EM_ERR_INDEX,
                     "[scatter] Index 5 is out of bounds for axis 0 with size 5.");
    em_array *v232 = em_broadcast_to(v, SH(2, 3, 2), 3);
    CHECK_EVAL_ERROR(em_scatter(a, (const em_array *[]){c0}, 1, v232, (int[]){1}), EM_ERR_INDEX,
                     "[scatter] Index -1 with slice size 2 is out of bounds for axis 1 with size 4.");
    /* bad input */
    em_array *f = ARR(EM_FLOAT32, 1, SH(5), 0, 0, 0, 0, 0);
    CHECK_ERROR(em_scatter(z, (const em_array *[]){f}, 1, u, &ax0), EM_ERR_VALUE,
                "[scatter] Got indices with invalid dtype. Indices must be integral.");
    CHECK_ERROR(em_scatter_add(z, ix, 1, i, &ax0), EM_ERR_VALUE,
                "[scatter_add] Updates with 1 dimensions does not match the sum of the array (1) and "
                "indices (1) dimensions.");
    em_array *u4 = iota(SH(4, 1), 2, EM_FLOAT32);
    CHECK_ERROR(em_scatter_max(z, ix, 1, u4, &ax0), EM_ERR_VALUE,
                "[scatter_max] Updates of shape (4,1) do not start with the indices' shape (5).");
    em_array *u56 = iota(SH(5, 6), 2, EM_FLOAT32);
    CHECK_ERROR(em_scatter_min(z, ix, 1, u56, &ax0), EM_ERR_VALUE,
                "[scatter_min] Updates of shape (5,6) are too large for array of shape (5).");
    CHECK_ERROR(em_scatter_prod(z, ix, 1, u, (int[]){1}), EM_ERR_INDEX,
                "[scatter_prod] Invalid axis 1 for array with 1 dimensions.");
    CHECK_ERROR(em_scatter(a, (const em_array *[]){r0, c0}, 2, pu, (int[]){0, -2}), EM_ERR_VALUE,
                "[scatter] Repeated axes are not allowed (axis -2).");
    CHECK_ERROR(em_scatter(z, (const em_array *[]){i, i}, 2, pu, (int[]){0, 1}), EM_ERR_VALUE,
                "[scatter] Too many index arrays. Got 2 index arrays for input with 1 dimensions.");
    CHECK_ERROR(em_scatter(z, ix, 1, NULL, &ax0), EM_ERR_NULL, "scatter");
    CHECK_ERROR(em_scatter(NULL, ix, 1, u, &ax0), EM_ERR_NULL, "scatter");
    CHECK_ERROR(em_scatter(z, (const em_array *[]){NULL}, 1, u, &ax0), EM_ERR_NULL, "scatter");
    CHECK_ERROR(em_scatter(z, ix, 1, u, NULL), EM_ERR_NULL, "[scatter] The axes pointer is NULL.");
    em_array *list[] = {z, i, u, two, x, um, i2, un, a, ri, ru, v, vb, v232, r0, c0, pu, w,
                        u8, u8i, u8u, bad, f, u4, u56};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* Updates whose input only the node holds happen in place; others copy, and
 * the input keeps its values. */
static void test_in_place(void) {
    em_array *a = iota(SH(4), 1, EM_FLOAT32);
    em_array *i = ARR(EM_INT32, 1, SH(1), 2);
    em_array *u = ARR(EM_FLOAT32, 1, SH(1), 9);
    int ax0 = 0;
    /* a is still held: a copy */
    em_array *r = em_slice_update(a, u, SH(2), SH(3), NULL, 1);
    CHECK(check_equals(r, V(0, 1, 9, 3), 4) && check_equals(a, V(0, 1, 2, 3), 4));
    em_array_release(r);
    /* a chain x[k] = k * 10 over an array nothing else holds: each step
     * takes the previous buffer */
    em_array *x = em_zeros(SH(1000), 1, EM_FLOAT32);
    em_eval1(x);
    const void *p0 = em_array_data(x);
    for (int k = 0; k < 1000; k++) {
        em_array *kk = em_array_from_int(k, EM_INT32);
        em_array *v = em_array_from_double(10.0 * k, EM_FLOAT32);
        em_array *v1 = em_reshape(v, SH(1, 1), 2);
        em_array *kk1 = em_reshape(kk, SH(1), 1);
        em_array *y = em_scatter(x, (const em_array *[]){kk1}, 1, v1, &ax0);
        em_array_release(x);
        x = y;
        em_array_release(kk);
        em_array_release(kk1);
        em_array_release(v);
        em_array_release(v1);
    }
    CHECK(em_eval1(x) == EM_OK);
    CHECK(em_array_data(x) == p0);
    double v[1000];
    CHECK(em_array_copy_to(x, EM_FLOAT64, v, sizeof v) == EM_OK);
    bool ok = true;
    for (int k = 0; k < 1000; k++) ok = ok && v[k] == 10.0 * k;
    CHECK(ok);
    /* an in-place scatter with a bad index fails before writing anything,
     * and fails the same way when evaluated again */
    em_array *bad = ARR(EM_INT32, 1, SH(2), 1, 1000);
    em_array *two = ARR(EM_FLOAT32, 2, SH(2, 1), -1, -2);
    em_array *y = em_scatter_add(x, (const em_array *[]){bad}, 1, two, &ax0);
    em_array_release(x);
    CHECK(em_eval1(y) == EM_ERR_INDEX);
    em_error_clear();
    CHECK(em_eval1(y) == EM_ERR_INDEX);
    em_error_clear();
    em_array_release(y);
    /* every updating primitive in place (few indices for the size: an
     * update that checks more than a quarter of the size copies instead) */
    em_array *b = iota(SH(2, 8), 2, EM_INT64);
    em_eval1(b);
    const void *pb = em_array_data(b);
    em_array *i1 = ARR(EM_INT32, 2, SH(2, 1), 2, 0);
    em_array *u1 = ARR(EM_INT64, 2, SH(2, 1), -1, -2);
    em_array *c = em_put_along_axis(b, i1, u1, 1, true);
    em_array_release(b);
    em_array *m = ARR(EM_BOOL, 1, SH(2), 0, 1), *mv = em_array_from_int(7, EM_INT64);
    em_array *d = em_masked_scatter(c, m, mv);
    em_array_release(c);
    em_array *e = em_slice_update(d, mv, SH(0, 1), SH(1, 2), NULL, 2);
    em_array_release(d);
    CHECK(check_equals(e, V(0, 7, -1, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7), 16));
    CHECK(em_array_data(e) == pb);
    em_array *list[] = {a, i, u, bad, two, i1, u1, m, mv, e};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* ---------------------------------------------------------------- slice update */

static void test_slice_update(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    /* x[::2, ::-2] = [100, 200] */
    em_array *u = ARR(EM_INT32, 1, SH(2), 100, 200);
    CHECK_ARR(em_slice_update(a, u, SH(0, -1), SH(3, -5), SH(2, -2), 2), 2, SH(3, 4),
              0, 200, 2, 100, 4, 5, 6, 7, 8, 200, 10, 100);
    /* x[1:, 1:3] = [[7], [8]] (float, cast) */
    em_array *c = ARR(EM_FLOAT64, 2, SH(2, 1), 7.5, 8.5);
    CHECK_ARR(em_slice_update(a, c, SH(1, 1), SH(3, 3), NULL, 2), 2, SH(3, 4),
              0, 1, 2, 3, 4, 7, 7, 7, 8, 8, 8, 11);
    /* a strided input and out-of-range stops (Python's slicing) */
    em_array *at = em_transpose(a, NULL, 0);
    em_array *s = em_array_from_int(-1, EM_INT32);
    CHECK_ARR(em_slice_update(at, s, SH(2, -100), SH(100, 1), NULL, 2), 2, SH(4, 3),
              0, 4, 8, 1, 5, 9, -1, 6, 10, -1, 7, 11);
    /* an empty slice leaves a as it is */
    em_array *r = em_slice_update(a, s, SH(2, 0), SH(2, 4), NULL, 2);
    CHECK(r == a);
    em_array_release(r);
    /* 0-d */
    em_array *z = em_array_from_int(3, EM_INT32);
    CHECK_ARR(em_slice_update(z, s, NULL, NULL, NULL, 0), 0, SH(0), -1);
    CHECK_ERROR(em_slice_update(a, u, SH(0, 0), SH(3, 4), SH(1, 0), 2), EM_ERR_VALUE,
                "[slice_update] Slice step cannot be zero.");
    CHECK_ERROR(em_slice_update(a, u, SH(0), SH(3), NULL, 1), EM_ERR_VALUE,
                "[slice_update] Invalid number of indices or strides for array with dimension 2.");
    em_array *big = iota(SH(2, 3, 4), 3, EM_INT32);
    CHECK_ERROR(em_slice_update(a, big, SH(0, 0), SH(3, 4), NULL, 2), EM_ERR_VALUE,
                "Cannot broadcast array of shape (2,3,4) into shape (3,4).");
    CHECK_ERROR(em_slice_update(a, u, SH(0, 0), SH(3, 3), NULL, 2), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (2) and (3,3) cannot be broadcast.");
    CHECK_ERROR(em_slice_update(a, NULL, SH(0, 0), SH(3, 3), NULL, 2), EM_ERR_NULL, "slice_update");
    CHECK_ERROR(em_slice_update(a, u, NULL, SH(3, 3), NULL, 2), EM_ERR_NULL,
                "[slice_update] The start or stop pointer is NULL.");
    em_array *list[] = {a, u, c, at, s, z, big};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

static void test_dynamic_slices(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *s11 = ARR(EM_INT32, 1, SH(2), 1, 1), *s1 = em_array_from_int(1, EM_UINT32);
    int ax01[2] = {0, 1}, ax1 = 1;
    /* mx.slice(a, mx.array([1, 1]), (0, 1), (2, 2)); mx.slice(a, mx.array(1), (1,), (2, 1)) */
    CHECK_ARR(em_slice_dynamic(a, s11, ax01, 2, SH(2, 2)), 2, SH(2, 2), 5, 6, 9, 10);
    CHECK_ARR(em_slice_dynamic(a, s1, &ax1, 1, SH(2, 1)), 2, SH(2, 1), 1, 5);
    /* mx.slice_update(a, ones((1, 2)), [1, 1], (0, 1)); the update broadcasts as a window */
    em_array *o = em_ones(SH(1, 2), 2, EM_INT32), *o2 = em_ones(SH(2), 1, EM_FLOAT32);
    CHECK_ARR(em_slice_update_dynamic(a, o, s11, ax01, 2), 2, SH(3, 4), 0, 1, 2, 3, 4, 1, 1, 7, 8, 9, 10, 11);
    CHECK_ARR(em_slice_update_dynamic(a, o2, s11, ax01, 2), 2, SH(3, 4), 0, 1, 2, 3, 4, 1, 1, 7, 8, 9, 10, 11);
    em_array *o3 = em_ones(SH(1, 1, 2), 3, EM_INT32);
    CHECK_ARR(em_slice_update_dynamic(a, o3, s1, &ax1, 1), 2, SH(3, 4), 0, 1, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    /* the window must fit: an error at evaluation (MLX reads past the end) */
    em_array *s23 = ARR(EM_INT64, 1, SH(2), 2, 3);
    CHECK_EVAL_ERROR(em_slice_dynamic(a, s23, ax01, 2, SH(2, 1)), EM_ERR_INDEX,
                     "[gather] Index 2 with slice size 2 is out of bounds for axis 0 with size 3.");
    CHECK_EVAL_ERROR(em_slice_update_dynamic(a, o, s23, ax01, 2), EM_ERR_INDEX,
                     "[scatter] Index 3 with slice size 2 is out of bounds for axis 1 with size 4.");
    /* MLX's messages */
    int ax0 = 0, ax3 = 3, ax00[2] = {0, 0};
    CHECK_ERROR(em_slice_dynamic(a, s11, &ax0, 1, SH(2, 2)), EM_ERR_VALUE,
                "[slice] Number of starting indices 2 does not match number of axes 1.");
    em_array *fs = ARR(EM_FLOAT32, 1, SH(1), 1);
    CHECK_ERROR(em_slice_dynamic(a, fs, &ax0, 1, SH(2, 2)), EM_ERR_VALUE,
                "[slice] Start indices must be integers, got type float32.");
    CHECK_ERROR(em_slice_dynamic(a, s1, &ax0, 1, SH(4, 2)), EM_ERR_VALUE,
                "[slice] Invalid slice size (4,2) for array with shape (3,4).");
    CHECK_ERROR(em_slice_dynamic(a, s1, &ax3, 1, SH(2, 2)), EM_ERR_INDEX,
                "[slice] Invalid axis 3 for array with dimension 2.");
    em_array *s2d = ARR(EM_INT32, 2, SH(1, 1), 1);
    CHECK_ERROR(em_slice_dynamic(a, s2d, &ax0, 1, SH(2, 2)), EM_ERR_VALUE,
                "[slice] array of starting indices must be zero or one dimensional but has dimension 2.");
    CHECK_ERROR(em_slice_dynamic(a, s11, ax00, 2, SH(2, 2)), EM_ERR_VALUE,
                "[slice] Repeated axes are not allowed (axis 0).");
    CHECK_ERROR(em_slice_update_dynamic(a, o, s1, ax01, 2), EM_ERR_VALUE,
                "[slice_update] Number of starting indices 1 does not match number of axes 2.");
    CHECK_ERROR(em_slice_update_dynamic(a, o, fs, &ax0, 1), EM_ERR_VALUE,
                "[slice_update] Start indices must be integers, got type float32.");
    em_array *big = em_ones(SH(2, 2, 2), 3, EM_INT32), *wide = em_ones(SH(5), 1, EM_INT32);
    CHECK_ERROR(em_slice_update_dynamic(a, big, s11, ax01, 2), EM_ERR_VALUE,
                "[slice_update] Update of shape (2,2,2) does not fit array of shape (3,4).");
    CHECK_ERROR(em_slice_update_dynamic(a, wide, s11, ax01, 2), EM_ERR_VALUE,
                "[slice_update] Update of shape (5) does not fit array of shape (3,4).");
    CHECK_ERROR(em_slice_dynamic(a, NULL, &ax0, 1, SH(2, 2)), EM_ERR_NULL, "slice");
    em_array *list[] = {a, s11, s1, o, o2, o3, s23, fs, s2d, big, wide};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* ---------------------------------------------------------------- masked scatter */

static void test_masked_scatter(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *m = ARR(EM_BOOL, 1, SH(3), 1, 0, 1);
    em_array *rows = ARR(EM_INT32, 2, SH(2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
    /* x[m] = rows; x[m] = one row (broadcast); x[m] = scalar */
    CHECK_ARR(em_masked_scatter(a, m, rows), 2, SH(3, 4), 1, 2, 3, 4, 4, 5, 6, 7, 5, 6, 7, 8);
    em_array *row = ARR(EM_FLOAT32, 1, SH(4), -1, -2, -3, -4);
    CHECK_ARR(em_masked_scatter(a, m, row), 2, SH(3, 4), -1, -2, -3, -4, 4, 5, 6, 7, -1, -2, -3, -4);
    em_array *s = em_array_from_int(0, EM_INT32);
    CHECK_ARR(em_masked_scatter(a, m, s), 2, SH(3, 4), 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0);
    /* (K, 1) broadcast along the block */
    em_array *k1 = ARR(EM_INT32, 2, SH(2, 1), 9, 8);
    CHECK_ARR(em_masked_scatter(a, m, k1), 2, SH(3, 4), 9, 9, 9, 9, 4, 5, 6, 7, 8, 8, 8, 8);
    /* a full mask; MLX's flat read of the values */
    em_array *m2 = ARR(EM_BOOL, 2, SH(3, 4), 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0);
    em_array *v4 = ARR(EM_INT32, 1, SH(4), 0, -1, -2, -3);
    CHECK_ARR(em_masked_scatter(a, m2, v4), 2, SH(3, 4), 0, 1, 2, -1, 4, 5, -2, 7, 8, -3, 10, 11);
    em_array *flat8 = ARR(EM_INT32, 1, SH(8), 1, 2, 3, 4, 5, 6, 7, 8);
    CHECK_ARR(em_masked_scatter(a, m, flat8), 2, SH(3, 4), 1, 2, 3, 4, 4, 5, 6, 7, 5, 6, 7, 8);
    /* a 0-d mask */
    em_array *t = em_array_from_bool(true), *fz = em_array_from_bool(false);
    CHECK_ARR(em_masked_scatter(a, t, s), 2, SH(3, 4), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    CHECK_ARR(em_masked_scatter(a, fz, s), 2, SH(3, 4), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    /* a strided (transposed) mask over a transposed array */
    em_array *at = em_transpose(a, NULL, 0), *m2t = em_transpose(m2, NULL, 0);
    em_array *v4t = ARR(EM_INT32, 1, SH(4), -10, -20, -30, -40);
    /* at's true entries in row-major order: (0,0) (1,2) (2,1) (3,0) */
    CHECK_ARR(em_masked_scatter(at, m2t, v4t), 2, SH(4, 3), -10, 4, 8, 1, 5, -20, 2, -30, 10, -40, 7, 11);
    /* the count must match */
    em_array *three = ARR(EM_INT32, 2, SH(3, 4), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    CHECK_EVAL_ERROR(em_masked_scatter(a, m, three), EM_ERR_VALUE,
                     "[masked_scatter] Cannot assign 12 input values to the 8 output values where the "
                     "mask is true.");
    em_array *mb = ARR(EM_BOOL, 1, SH(2), 1, 0), *mi = ARR(EM_INT32, 1, SH(3), 1, 0, 1);
    CHECK_ERROR(em_masked_scatter(a, mb, s), EM_ERR_VALUE,
                "[masked_scatter] The boolean mask should have the same shape as the beginning of the "
                "indexed array but the mask has shape (2) and the array has shape (3,4)");
    CHECK_ERROR(em_masked_scatter(a, mi, s), EM_ERR_VALUE,
                "[masked_scatter] The mask must be a boolean array, got int32.");
    em_array *v3 = ARR(EM_INT32, 1, SH(3), 1, 2, 3);
    CHECK_ERROR(em_masked_scatter(a, m, v3), EM_ERR_VALUE,
                "[masked_scatter] Cannot assign values of shape (3) to the entries of shape (4) that the "
                "mask selects.");
    CHECK_ERROR(em_masked_scatter(a, NULL, s), EM_ERR_NULL, "masked_scatter");
    em_array *list[] = {a, m, rows, row, s, k1, m2, v4, flat8, t, fz, at, m2t, v4t, three, mb, mi, v3};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
}

/* ---------------------------------------------------------------- large */

/* 1 Mi elements: a permutation gathered, and scatter_add with many repeats,
 * against sums computed here. */
static void test_large(void) {
    const int64_t n = 1 << 20;
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    float *val = malloc((size_t)n * sizeof *val);
    for (int64_t k = 0; k < n; k++) {
        idx[k] = (int32_t)((k * 7919) % n);
        val[k] = (float)(k % 1000);
    }
    em_array *i = em_array_from_data(idx, &n, 1, EM_INT32);
    em_array *v = em_array_from_data(val, &n, 1, EM_FLOAT32);
    em_array *g = em_take(v, i, 0, true);
    float *got = malloc((size_t)n * sizeof *got);
    CHECK(em_array_copy_to(g, EM_FLOAT32, got, (size_t)n * sizeof *got) == EM_OK);
    bool ok = true;
    for (int64_t k = 0; k < n && ok; k++) ok = got[k] == val[idx[k]];
    CHECK(ok);
    /* 1024 bins */
    const int64_t nb = 1024;
    for (int64_t k = 0; k < n; k++) idx[k] = (int32_t)((k * 31) % nb);
    em_array *bi = em_array_from_data(idx, &n, 1, EM_INT32);
    em_array *z = em_zeros(&nb, 1, EM_FLOAT32);
    em_array *v2 = em_reshape(v, SH(n, 1), 2);
    em_array *s = em_scatter_add(z, (const em_array *[]){bi}, 1, v2, (int[]){0});
    double want[1024] = {0};
    for (int64_t k = 0; k < n; k++) want[idx[k]] += val[k];
    double gotd[1024];
    CHECK(em_array_copy_to(s, EM_FLOAT64, gotd, sizeof gotd) == EM_OK);
    ok = true;
    for (int64_t k = 0; k < nb && ok; k++) ok = gotd[k] == want[k]; /* sums of ints below 2^24 */
    CHECK(ok);
    em_array *list[] = {i, v, g, bi, z, v2, s};
    for (size_t k = 0; k < sizeof list / sizeof *list; k++) em_array_release(list[k]);
    free(idx);
    free(val);
    free(got);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_take();
    test_all_dtypes();
    test_take_along_axis();
    test_put_along_axis();
    test_gather();
    test_scatter();
    test_in_place();
    test_slice_update();
    test_dynamic_slices();
    test_masked_scatter();
    test_large();
    CHECK(em_live_arrays() == live);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
