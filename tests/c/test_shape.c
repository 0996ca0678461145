/* test_shape.c -- the view ops: reshape, flatten/unflatten, transpose,
 * swapaxes, moveaxis, squeeze, expand_dims, broadcast_arrays, slice, split.
 * Values are NumPy's (tests/c comments give the expression); views are
 * checked to share memory and to copy only when no strides can express them. */
#include <stdint.h>

#include "check.h"

#define SH(...) ((int64_t[]){__VA_ARGS__})
#define NSH(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

/* An evaluated array of `dtype` holding 0, 1, 2, ... in row-major order. */
static em_array *iota(const int64_t *shape, int ndim, em_dtype dtype) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (double)i;
    em_array *d = em_array_from_data(v, shape, ndim, EM_FLOAT64);
    em_array *a = em_astype(d, dtype);
    em_eval1(a);
    em_array_release(d);
    free(v);
    return a;
}

static int strides_are(em_array *a, const int64_t *want, int n) {
    const int64_t *st = em_array_strides(a);
    if (!st || em_array_ndim(a) != n) return 0;
    for (int i = 0; i < n; i++)
        if (st[i] != want[i]) {
            fprintf(stderr, "  stride %d: got %lld want %lld\n", i, (long long)st[i], (long long)want[i]);
            return 0;
        }
    return 1;
}

/* The byte distance between the first elements of two arrays. */
static ptrdiff_t data_delta(em_array *a, em_array *b) {
    return (const char *)em_array_data(a) - (const char *)em_array_data(b);
}

/* ---------------------------------------------------------------- reshape */

static void test_reshape(void) {
    em_array *a = iota(SH(2, 3, 4), 3, EM_INT32);
    em_array *r = em_reshape(a, SH(4, -1), 2);
    CHECK(check_shape(r, 2, SH(4, 6)));
    CHECK(!em_array_is_evaluated(r));
    CHECK(em_array_data(r) == em_array_data(a));
    CHECK(strides_are(r, SH(6, 1), 2) && em_array_is_contiguous(r));
    double want[24];
    for (int i = 0; i < 24; i++) want[i] = i;
    CHECK(check_equals(r, want, 24));
    em_array_release(r);

    /* the same shape is the same array */
    r = em_reshape(a, SH(2, 3, 4), 3);
    CHECK(r == a);
    em_array_release(r);

    /* 0-d <-> 1-element, zero-size */
    em_array *s = iota(NULL, 0, EM_FLOAT32);
    r = em_reshape(s, SH(1, 1, -1), 3);
    CHECK(check_shape(r, 3, SH(1, 1, 1)) && em_array_data(r) == em_array_data(s));
    em_array *back = em_reshape(r, NULL, 0);
    CHECK(check_shape(back, 0, NULL) && check_equals(back, (double[]){0}, 1));
    em_array_release(back);
    em_array_release(r);
    em_array_release(s);
    em_array *z = iota(SH(0, 3), 2, EM_FLOAT32);
    r = em_reshape(z, SH(3, 0, 5), 3);
    CHECK(check_shape(r, 3, SH(3, 0, 5)) && em_eval1(r) == EM_OK && em_array_size(r) == 0);
    em_array_release(r);
    r = em_reshape(z, SH(-1, 5), 2);
    CHECK(check_shape(r, 2, SH(0, 5)));
    em_array_release(r);

    /* MLX's messages */
    CHECK_ERROR(em_reshape(a, SH(5, 5), 2), EM_ERR_VALUE,
                "[reshape] Cannot reshape array of size 24 into shape (5,5).");
    CHECK_ERROR(em_reshape(a, SH(-1, 5), 2), EM_ERR_VALUE,
                "[reshape] Cannot reshape array of size 24 into shape (4,5).");
    CHECK_ERROR(em_reshape(a, SH(-1, -1), 2), EM_ERR_VALUE,
                "[reshape] Reshape can only infer one dimension.");
    CHECK_ERROR(em_reshape(a, SH(-2, -12), 2), EM_ERR_VALUE,
                "[reshape] Cannot reshape array of size 24 into shape (-2,-12).");
    CHECK_ERROR(em_reshape(a, SH(-1, 0), 2), EM_ERR_VALUE,
                "[reshape] Cannot infer the shape of an empty array");
    CHECK_ERROR(em_reshape(z, SH(0, -1), 2), EM_ERR_VALUE,
                "[reshape] Cannot infer the shape of an empty array");
    /* a product that overflows int64 is a mismatch, not a wrap */
    CHECK_ERROR(em_reshape(a, SH(INT64_C(1) << 62, 1 << 4, 6), 3), EM_ERR_VALUE,
                "[reshape] Cannot reshape array of size 24 into shape (4611686018427387904,16,6).");
    CHECK_ERROR(em_reshape(a, SH(INT64_C(1) << 62, 8, -1), 3), EM_ERR_VALUE,
                "[reshape] Cannot reshape array of size 24");
    CHECK_ERROR(em_reshape(a, NULL, 2), EM_ERR_NULL, "[reshape] The shape pointer is NULL.");
    CHECK_ERROR(em_reshape(a, SH(1), 65), EM_ERR_VALUE, "[reshape] Arrays may have at most 64");
    CHECK_ERROR(em_reshape(NULL, SH(1), 1), EM_ERR_NULL, "[reshape] Received a NULL array handle.");
    em_array_release(z);
    em_array_release(a);
}

/* Reshapes of non-contiguous arrays: views when the strides chain, copies
 * (still right) when not. */
static void test_reshape_strided(void) {
    em_array *a = iota(SH(2, 3, 4), 3, EM_FLOAT32);
    /* transpose(1, 0, 2): (3, 2, 4), strides (4, 12, 1) */
    em_array *t = em_transpose(a, (int[]){1, 0, 2}, 3);
    /* splitting and adding ones keeps a view */
    em_array *v = em_reshape(t, SH(3, 1, 2, 2, 2), 5);
    CHECK(em_array_data(v) == em_array_data(a));
    const int64_t *vs = em_array_strides(v); /* axis 1 has size 1: any stride */
    CHECK(vs && vs[0] == 4 && vs[2] == 12 && vs[3] == 2 && vs[4] == 1);
    CHECK(check_equals(v, (double[]){0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19,
                                     8, 9, 10, 11, 20, 21, 22, 23}, 24));
    em_array_release(v);
    /* merging axes 0 and 1 of the transposed array cannot be a view */
    em_array *c = em_reshape(t, SH(6, 4), 2);
    CHECK(em_array_data(c) != em_array_data(a));
    CHECK(em_array_is_contiguous(c));
    CHECK(check_equals(c, (double[]){0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19,
                                     8, 9, 10, 11, 20, 21, 22, 23}, 24));
    em_array_release(c);
    /* a full transpose flattened: a copy, NumPy's a.T.reshape(-1) */
    em_array *tt = em_transpose(a, NULL, 0);
    c = em_reshape(tt, SH(-1), 1);
    CHECK(check_equals(c, (double[]){0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18,
                                     10, 22, 3, 15, 7, 19, 11, 23}, 24));
    em_array_release(c);
    /* a[:, :, ::2]: (2,3,2) strides (12,4,2) chain all the way: every
     * reshape is a view */
    em_array *s = em_slice(a, SH(0, 0, 0), SH(2, 3, 4), SH(1, 1, 2), 3);
    v = em_reshape(s, SH(6, 2), 2);
    CHECK(em_array_data(v) == em_array_data(a) && strides_are(v, SH(4, 2), 2));
    CHECK(check_equals(v, (double[]){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22}, 12));
    em_array_release(v);
    c = em_reshape(s, SH(12), 1);
    CHECK(em_array_data(c) == em_array_data(a) && strides_are(c, SH(2), 1));
    CHECK(check_equals(c, (double[]){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22}, 12));
    em_array_release(c);
    em_array_release(s);
    /* a[:, :, :2]: (2,3,2) strides (12,4,1): rows (6,2) are a view, but
     * merging the last two axes copies */
    s = em_slice(a, SH(0, 0, 0), SH(2, 3, 2), NULL, 3);
    v = em_reshape(s, SH(6, 2), 2);
    CHECK(em_array_data(v) == em_array_data(a) && strides_are(v, SH(4, 1), 2));
    c = em_reshape(s, SH(2, 6), 2);
    CHECK(em_array_data(c) != em_array_data(a) && em_array_is_contiguous(c));
    CHECK(check_equals(c, (double[]){0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21}, 12));
    em_array_release(c);
    em_array_release(v);
    em_array_release(s);
    /* a broadcast array: splitting a zero-stride axis stays a view */
    em_array *row = iota(SH(3), 1, EM_INT16);
    em_array *b = em_broadcast_to(row, SH(4, 3), 2);
    v = em_reshape(b, SH(2, 2, 3), 3);
    CHECK(em_array_data(v) == em_array_data(row) && strides_are(v, SH(0, 0, 1), 3));
    c = em_reshape(b, SH(12), 1);
    CHECK(check_equals(c, (double[]){0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, 12));
    CHECK(em_array_data(c) != em_array_data(row));
    em_array_release(c);
    em_array_release(v);
    em_array_release(b);
    em_array_release(row);
    /* a negative-stride slice flattened copies in the right order */
    em_array *r = em_slice(a, SH(1, INT64_MAX, 3), SH(INT64_MIN, INT64_MIN, INT64_MIN), SH(-1, -1, -1), 3);
    c = em_reshape(r, SH(24), 1);
    double want[24];
    for (int i = 0; i < 24; i++) want[i] = 23 - i;
    CHECK(check_equals(c, want, 24));
    em_array_release(c);
    em_array_release(r);
    em_array_release(tt);
    em_array_release(t);
    em_array_release(a);
}

static void test_flatten(void) {
    em_array *a = iota(SH(2, 3, 4), 3, EM_INT8);
    em_array *f = em_flatten(a, 0, -1);
    CHECK(check_shape(f, 1, SH(24)) && em_array_data(f) == em_array_data(a));
    em_array_release(f);
    f = em_flatten(a, 1, 2);
    CHECK(check_shape(f, 2, SH(2, 12)));
    em_array_release(f);
    /* MLX clamps out-of-range axes */
    f = em_flatten(a, 1, 5);
    CHECK(check_shape(f, 2, SH(2, 12)));
    em_array_release(f);
    f = em_flatten(a, -5, 1);
    CHECK(check_shape(f, 2, SH(6, 4)));
    em_array_release(f);
    f = em_flatten(a, 1, 1);
    CHECK(f == a);
    em_array_release(f);
    em_array *s = iota(NULL, 0, EM_INT8);
    f = em_flatten(s, 0, -1);
    CHECK(check_shape(f, 1, SH(1)));
    em_array_release(f);
    em_array_release(s);
    CHECK_ERROR(em_flatten(a, 2, 1), EM_ERR_VALUE, "[flatten] start_axis must be less than or equal to end_axis");
    CHECK_ERROR(em_flatten(a, 0, -4), EM_ERR_VALUE, "[flatten] start_axis must be less than or equal to end_axis");
    CHECK_ERROR(em_flatten(NULL, 0, -1), EM_ERR_NULL, "[flatten]");

    em_array *u = em_unflatten(a, -1, SH(2, -1), 2);
    CHECK(check_shape(u, 4, SH(2, 3, 2, 2)) && em_array_data(u) == em_array_data(a));
    em_array_release(u);
    u = em_unflatten(a, 0, SH(1, 2, 1), 3);
    CHECK(check_shape(u, 5, SH(1, 2, 1, 3, 4)));
    em_array_release(u);
    CHECK_ERROR(em_unflatten(a, 1, SH(2, -1), 2), EM_ERR_VALUE,
                "[Unflatten] Cannot unflatten axis 1 with size 3 into shape (2,1).");
    CHECK_ERROR(em_unflatten(a, 2, SH(3, 5), 2), EM_ERR_VALUE,
                "[Unflatten] Cannot unflatten axis 2 with size 4 into shape (3,5).");
    CHECK_ERROR(em_unflatten(a, 2, SH(2, -2), 2), EM_ERR_VALUE,
                "[Unflatten] Cannot unflatten axis 2 with size 4 into shape (2,-2).");
    CHECK_ERROR(em_unflatten(a, 2, SH(-1, -1), 2), EM_ERR_VALUE, "[Unflatten] Can only infer one dimension.");
    CHECK_ERROR(em_unflatten(a, 2, NULL, 0), EM_ERR_VALUE, "[unflatten] Shape to unflatten to cannot be empty.");
    CHECK_ERROR(em_unflatten(a, 3, SH(4), 1), EM_ERR_INDEX, "[unflatten] Invalid axes 3 for array with 3 dimensions.");
    CHECK_ERROR(em_unflatten(a, -4, SH(4), 1), EM_ERR_INDEX, "[unflatten] Invalid axes -1 for array with 3 dimensions.");
    CHECK_ERROR(em_unflatten(a, 0, NULL, 2), EM_ERR_NULL, "[unflatten] The shape pointer is NULL.");
    CHECK_ERROR(em_unflatten(NULL, 0, SH(1), 1), EM_ERR_NULL, "[unflatten]");
    /* MLX divides by zero here; we refuse */
    em_array *z = iota(SH(2, 0), 2, EM_INT8);
    CHECK_ERROR(em_unflatten(z, 1, SH(-1, 0), 2), EM_ERR_VALUE, "[Unflatten] Cannot infer the shape of an empty array");
    u = em_unflatten(z, 1, SH(3, -1), 2);
    CHECK(check_shape(u, 3, SH(2, 3, 0)));
    em_array_release(u);
    em_array_release(z);
    em_array_release(a);
}

/* ---------------------------------------------------------------- transpose */

static void test_transpose(void) {
    em_array *a = iota(SH(2, 3, 4), 3, EM_FLOAT64);
    /* np.arange(24).reshape(2,3,4).transpose(2,0,1) */
    em_array *t = em_transpose(a, (int[]){2, 0, -2}, 3);
    CHECK(check_shape(t, 3, SH(4, 2, 3)));
    CHECK(em_array_data(t) == em_array_data(a) && strides_are(t, SH(1, 12, 4), 3));
    CHECK(!em_array_is_contiguous(t));
    CHECK(check_equals(t, (double[]){0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14,
                                     18, 22, 3, 7, 11, 15, 19, 23}, 24));
    em_array_release(t);
    /* NULL reverses */
    t = em_transpose(a, NULL, 0);
    CHECK(check_shape(t, 3, SH(4, 3, 2)) && strides_are(t, SH(1, 4, 12), 3));
    em_array_release(t);
    /* identity is the same array */
    t = em_transpose(a, (int[]){0, 1, 2}, 3);
    CHECK(t == a);
    em_array_release(t);
    /* np.swapaxes(x, 0, 2) */
    t = em_swapaxes(a, 0, -1);
    CHECK(check_shape(t, 3, SH(4, 3, 2)));
    CHECK(check_equals(t, (double[]){0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18,
                                     10, 22, 3, 15, 7, 19, 11, 23}, 24));
    em_array_release(t);
    /* np.moveaxis(x, 0, -1) */
    t = em_moveaxis(a, 0, -1);
    CHECK(check_shape(t, 3, SH(3, 4, 2)));
    CHECK(check_equals(t, (double[]){0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19,
                                     8, 20, 9, 21, 10, 22, 11, 23}, 24));
    em_array_release(t);
    t = em_moveaxis(a, 2, 0);
    CHECK(check_shape(t, 3, SH(4, 2, 3)) && strides_are(t, SH(1, 12, 4), 3));
    em_array_release(t);

    CHECK_ERROR(em_transpose(a, (int[]){0, 0, 1}, 3), EM_ERR_VALUE, "[transpose] Repeat axes not allowed.");
    CHECK_ERROR(em_transpose(a, (int[]){0, -2, 1}, 3), EM_ERR_VALUE, "[transpose] Repeat axes not allowed.");
    CHECK_ERROR(em_transpose(a, (int[]){0, 1}, 2), EM_ERR_VALUE,
                "[transpose] Received 2 axes for array with 3 dimensions.");
    CHECK_ERROR(em_transpose(a, (int[]){0, 1, 3}, 3), EM_ERR_INDEX,
                "[transpose] Invalid axis (3) for array with 3 dimensions.");
    CHECK_ERROR(em_transpose(a, (int[]){0, 1, -4}, 3), EM_ERR_INDEX,
                "[transpose] Invalid axis (-1) for array with 3 dimensions.");
    CHECK_ERROR(em_swapaxes(a, 0, 3), EM_ERR_INDEX, "[swapaxes] Invalid axis 3 for array with 3 dimensions.");
    CHECK_ERROR(em_swapaxes(a, -4, 1), EM_ERR_INDEX, "[swapaxes] Invalid axis -4 for array with 3 dimensions.");
    CHECK_ERROR(em_moveaxis(a, 3, 0), EM_ERR_INDEX, "[moveaxis] Invalid axis 3 for array with 3 dimensions.");
    CHECK_ERROR(em_moveaxis(a, 0, -4), EM_ERR_INDEX, "[moveaxis] Invalid axis -4 for array with 3 dimensions.");
    CHECK_ERROR(em_transpose(NULL, NULL, 0), EM_ERR_NULL, "[transpose]");
    CHECK_ERROR(em_swapaxes(NULL, 0, 1), EM_ERR_NULL, "[swapaxes]");
    CHECK_ERROR(em_moveaxis(NULL, 0, 1), EM_ERR_NULL, "[moveaxis]");

    /* 0-d */
    em_array *s = iota(NULL, 0, EM_FLOAT64);
    t = em_transpose(s, NULL, 0);
    CHECK(t == s);
    em_array_release(t);
    CHECK_ERROR(em_swapaxes(s, 0, 0), EM_ERR_INDEX, "[swapaxes] Invalid axis 0 for array with 0 dimensions.");
    em_array_release(s);
    em_array_release(a);
}

/* A 10-d array reversed: element [i0..i9] of the result is a[i9..i0]. */
static void test_high_rank(void) {
    int64_t shape[10] = {2, 1, 3, 2, 1, 2, 3, 1, 2, 2};
    em_array *a = iota(shape, 10, EM_INT32);
    em_array *t = em_transpose(a, NULL, 0);
    int64_t rshape[10];
    for (int i = 0; i < 10; i++) rshape[i] = shape[9 - i];
    CHECK(check_shape(t, 10, rshape));
    em_array *c = em_reshape(t, SH(-1), 1); /* a copy */
    int64_t n = em_array_size(a);
    double *got = check_values(c);
    int ok = got != NULL;
    int64_t astr[10], s = 1;
    for (int i = 9; i >= 0; i--) astr[i] = s, s *= shape[i];
    for (int64_t f = 0; ok && f < n; f++) {
        /* f is a flat index into t (shape rshape); unravel and map back */
        int64_t rem = f, src = 0;
        for (int i = 9; i >= 0; i--) {
            int64_t idx = rem % rshape[i];
            rem /= rshape[i];
            src += idx * astr[9 - i];
        }
        if (got[f] != (double)src) ok = 0;
    }
    CHECK(ok);
    free(got);
    /* squeeze every 1, expand back, slice a 10-d view */
    em_array *q = em_squeeze(a, NULL, -1);
    CHECK(check_shape(q, 7, SH(2, 3, 2, 2, 3, 2, 2)) && em_array_data(q) == em_array_data(a));
    em_array *e = em_expand_dims(q, (int[]){1, 4, 7}, 3);
    CHECK(check_shape(e, 10, shape));
    int64_t st[10], sp[10], stp[10];
    for (int i = 0; i < 10; i++) st[i] = -1, sp[i] = INT64_MIN, stp[i] = -1;
    em_array *r = em_slice(e, st, sp, stp, 10);
    double *rv = check_values(r);
    ok = rv != NULL;
    for (int64_t f = 0; ok && f < n; f++) ok = rv[f] == (double)(n - 1 - f);
    CHECK(ok);
    free(rv);
    em_array_release(r);
    em_array_release(e);
    em_array_release(q);
    em_array_release(c);
    em_array_release(t);
    em_array_release(a);
}

/* ---------------------------------------------------------------- squeeze */

static void test_squeeze_expand(void) {
    em_array *a = iota(SH(2, 1, 1, 4), 4, EM_UINT16);
    em_array *q = em_squeeze(a, NULL, -1);
    CHECK(check_shape(q, 2, SH(2, 4)) && em_array_data(q) == em_array_data(a));
    em_array_release(q);
    q = em_squeeze(a, (int[]){1, -2}, 2);
    CHECK(check_shape(q, 2, SH(2, 4)));
    em_array_release(q);
    q = em_squeeze(a, (int[]){2}, 1);
    CHECK(check_shape(q, 3, SH(2, 1, 4)));
    em_array_release(q);
    q = em_squeeze(a, NULL, 0);
    CHECK(q == a);
    em_array_release(q);
    CHECK_ERROR(em_squeeze(a, (int[]){0}, 1), EM_ERR_VALUE,
                "[squeeze] Cannot squeeze axis 0 with size 2 which is not equal to 1.");
    CHECK_ERROR(em_squeeze(a, (int[]){1, 4}, 2), EM_ERR_INDEX,
                "[squeeze] Axis 4 is out of bounds for array with 4 dimensions.");
    CHECK_ERROR(em_squeeze(a, (int[]){-5}, 1), EM_ERR_INDEX,
                "[squeeze] Axis -5 is out of bounds for array with 4 dimensions.");
    CHECK_ERROR(em_squeeze(a, (int[]){1, -3}, 2), EM_ERR_VALUE, "[squeeze] Received duplicate axes.");
    CHECK_ERROR(em_squeeze(a, NULL, 1), EM_ERR_NULL, "[squeeze] The axes pointer is NULL.");
    CHECK_ERROR(em_squeeze(NULL, NULL, -1), EM_ERR_NULL, "[squeeze]");

    em_array *e = em_expand_dims(a, (int[]){0, -1}, 2);
    CHECK(check_shape(e, 6, SH(1, 2, 1, 1, 4, 1)) && em_array_data(e) == em_array_data(a));
    em_array_release(e);
    e = em_expand_dims(a, (int[]){2}, 1);
    CHECK(check_shape(e, 5, SH(2, 1, 1, 1, 4)));
    em_array_release(e);
    CHECK_ERROR(em_expand_dims(a, (int[]){5}, 1), EM_ERR_INDEX,
                "[expand_dims] Axis 5 is out of bounds for array with 5 dimensions.");
    CHECK_ERROR(em_expand_dims(a, (int[]){-1, -7}, 2), EM_ERR_INDEX,
                "[expand_dims] Axis -7 is out of bounds for array with 6 dimensions.");
    CHECK_ERROR(em_expand_dims(a, (int[]){0, 0}, 2), EM_ERR_VALUE, "[expand_dims] Received duplicate axes.");
    CHECK_ERROR(em_expand_dims(a, (int[]){0, -6}, 2), EM_ERR_VALUE, "[expand_dims] Received duplicate axes.");
    CHECK_ERROR(em_expand_dims(NULL, (int[]){0}, 1), EM_ERR_NULL, "[expand_dims]");
    CHECK_ERROR(em_expand_dims(a, NULL, 1), EM_ERR_NULL, "[expand_dims] The axes pointer is NULL.");
    CHECK_ERROR(em_expand_dims(a, NULL, -1), EM_ERR_VALUE, "[expand_dims] Invalid number of axes -1.");
    em_array_release(a);

    em_array *s = iota(NULL, 0, EM_UINT16);
    q = em_squeeze(s, NULL, -1);
    CHECK(q == s);
    em_array_release(q);
    e = em_expand_dims(s, (int[]){0}, 1);
    CHECK(check_shape(e, 1, SH(1)) && check_equals(e, (double[]){0}, 1));
    em_array_release(e);
    em_array_release(s);
}

/* ---------------------------------------------------------------- broadcast_arrays */

static void test_broadcast_arrays(void) {
    em_array *x = iota(SH(2, 1), 2, EM_FLOAT32), *y = iota(SH(3), 1, EM_INT32);
    em_array *z = iota(SH(1, 1, 1), 3, EM_BOOL);
    em_array *out[3] = {NULL, NULL, NULL};
    const em_array *in[3] = {x, y, z};
    CHECK(em_broadcast_arrays(in, 3, out) == EM_OK);
    for (int i = 0; i < 3; i++) CHECK(check_shape(out[i], 3, SH(1, 2, 3)));
    CHECK(em_array_dtype(out[1]) == EM_INT32);
    CHECK(check_equals(out[0], (double[]){0, 0, 0, 1, 1, 1}, 6));
    CHECK(check_equals(out[1], (double[]){0, 1, 2, 0, 1, 2}, 6));
    CHECK(em_array_data(out[1]) == em_array_data(y) && strides_are(out[1], SH(0, 0, 1), 3));
    for (int i = 0; i < 3; i++) em_array_release(out[i]);
    CHECK(em_broadcast_arrays(NULL, 0, NULL) == EM_OK);
    em_array *w = iota(SH(4), 1, EM_FLOAT32);
    out[0] = out[1] = NULL;
    const em_array *bad2[2] = {y, w};
    CHECK(em_broadcast_arrays(bad2, 2, out) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "[broadcast_shapes] Shapes (3) and (4) cannot be broadcast.") != NULL);
    CHECK(out[0] == NULL && out[1] == NULL);
    em_error_clear();
    const em_array *withnull[2] = {y, NULL};
    CHECK(em_broadcast_arrays(withnull, 2, out) == EM_ERR_NULL);
    em_error_clear();
    em_array_release(w);
    em_array_release(x);
    em_array_release(y);
    em_array_release(z);
}

/* ---------------------------------------------------------------- slice */

/* Python's slice over range(n), the obvious way: the indices it selects. */
static int64_t py_slice(int64_t n, int64_t start, int64_t stop, int64_t step, int64_t *idx) {
    int64_t c = 0;
    if (step > 0) {
        int64_t s = start < 0 ? (start + n < 0 ? 0 : start + n) : (start > n ? n : start);
        int64_t e = stop < 0 ? (stop + n < 0 ? 0 : stop + n) : (stop > n ? n : stop);
        for (int64_t i = s; i < e; i += step) idx[c++] = i;
    } else {
        int64_t s = start < 0 ? (start + n < 0 ? -1 : start + n) : (start > n - 1 ? n - 1 : start);
        int64_t e = stop < 0 ? (stop + n < 0 ? -1 : stop + n) : (stop > n - 1 ? n - 1 : stop);
        for (int64_t i = s; i > e; i += step) idx[c++] = i;
    }
    return c;
}

static uint64_t rng_state = 88172645463325252ull;
static int64_t rnd(int64_t lo, int64_t hi) { /* [lo, hi] */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (int64_t)(rng_state % (uint64_t)(hi - lo + 1));
}

static void test_slice_random(void) {
    em_array *a = iota(SH(5, 7), 2, EM_INT64);
    int bad = 0;
    for (int trial = 0; trial < 400; trial++) {
        int64_t st[2], sp[2], step[2], idx[2][16], cnt[2];
        for (int d = 0; d < 2; d++) {
            int64_t n = d ? 7 : 5;
            st[d] = rnd(-10, 10);
            sp[d] = rnd(-10, 10);
            do step[d] = rnd(-4, 4); while (!step[d]);
            if (trial % 7 == 0) st[d] = step[d] > 0 ? INT64_MIN : INT64_MAX;
            if (trial % 5 == 0) sp[d] = step[d] > 0 ? INT64_MAX : INT64_MIN;
            cnt[d] = py_slice(n, st[d], sp[d], step[d], idx[d]);
        }
        em_array *s = em_slice(a, st, sp, step, 2);
        if (!check_shape(s, 2, cnt)) {
            bad++;
            em_array_release(s);
            continue;
        }
        double want[128];
        for (int64_t i = 0; i < cnt[0]; i++)
            for (int64_t j = 0; j < cnt[1]; j++) want[i * cnt[1] + j] = (double)(idx[0][i] * 7 + idx[1][j]);
        if (!check_equals(s, want, (size_t)(cnt[0] * cnt[1]))) bad++;
        /* a non-empty slice shares a's memory at the right place */
        if (cnt[0] && cnt[1] &&
            data_delta(s, a) != (ptrdiff_t)(idx[0][0] * 7 + idx[1][0]) * 8) bad++;
        em_array_release(s);
    }
    CHECK_MSG(bad == 0, "%d random slices wrong", bad);
    em_array_release(a);
}

static void test_slice(void) {
    em_array *a = iota(SH(2, 3, 4), 3, EM_FLOAT32);
    /* x[::-1, 2:0:-1, ::3] */
    em_array *s = em_slice(a, SH(INT64_MAX, 2, 0), SH(INT64_MIN, 0, INT64_MAX), SH(-1, -1, 3), 3);
    CHECK(check_shape(s, 3, SH(2, 2, 2)));
    CHECK(strides_are(s, SH(-12, -4, 3), 3));
    CHECK(data_delta(s, a) == (12 + 8) * 4);
    CHECK(check_equals(s, (double[]){20, 23, 16, 19, 8, 11, 4, 7}, 8));
    /* chained: slice of a transposed slice, reshaped; x.transpose(2,0,1)[1:, :, ::-2].reshape(-1) */
    em_array *t = em_transpose(a, (int[]){2, 0, 1}, 3);
    em_array *u = em_slice(t, SH(1, 0, -1), SH(INT64_MAX, INT64_MAX, INT64_MIN), SH(1, 1, -2), 3);
    em_array *f = em_reshape(u, SH(-1), 1);
    CHECK(check_equals(f, (double[]){9, 1, 21, 13, 10, 2, 22, 14, 11, 3, 23, 15}, 12));
    em_array_release(f);
    /* a slice of a slice of a slice stays a view of the first buffer */
    em_array *v1 = em_slice(a, SH(1, 0, 0), SH(2, 3, 4), NULL, 3);
    em_array *v2 = em_slice(v1, SH(0, 1, 1), SH(1, 3, 4), SH(1, 1, 2), 3);
    em_array *v3 = em_slice(v2, SH(0, -1, -1), SH(1, INT64_MIN, INT64_MIN), SH(1, -1, -1), 3);
    CHECK(check_shape(v3, 3, SH(1, 2, 2)));
    CHECK(check_equals(v3, (double[]){23, 21, 19, 17}, 4));
    CHECK(em_array_data(v3) != NULL && data_delta(v3, a) == 23 * 4);
    CHECK(strides_are(v3, SH(12, -4, -2), 3));
    /* a contiguous block slice is contiguous; a row-strided one is not */
    CHECK(em_array_is_contiguous(v1));
    CHECK(!em_array_is_contiguous(v2));
    /* the full slice is the same array */
    em_array *same = em_slice(a, SH(0, 0, 0), SH(2, 3, 4), NULL, 3);
    CHECK(same == a);
    em_array_release(same);
    /* empty results */
    em_array *e = em_slice(a, SH(0, 2, 0), SH(2, 1, 4), NULL, 3);
    CHECK(check_shape(e, 3, SH(2, 0, 4)) && em_eval1(e) == EM_OK && em_array_size(e) == 0);
    em_array_release(e);
    e = em_slice(a, SH(5, 0, 0), SH(9, 3, 4), NULL, 3);
    CHECK(check_shape(e, 3, SH(0, 3, 4)) && em_eval1(e) == EM_OK);
    em_array_release(e);
    /* 0-d */
    em_array *z = iota(NULL, 0, EM_FLOAT32);
    e = em_slice(z, NULL, NULL, NULL, 0);
    CHECK(e == z);
    em_array_release(e);
    em_array_release(z);
    /* huge steps do not overflow */
    e = em_slice(a, SH(0, 2, 0), SH(2, INT64_MIN, 4), SH(INT64_MAX, INT64_MIN, 1), 3);
    CHECK(check_shape(e, 3, SH(1, 1, 4)) && check_equals(e, (double[]){8, 9, 10, 11}, 4));
    em_array_release(e);

    CHECK_ERROR(em_slice(a, SH(0, 0, 0), SH(1, 1, 1), SH(1, 0, 1), 3), EM_ERR_VALUE,
                "[slice] Slice step cannot be zero.");
    CHECK_ERROR(em_slice(a, SH(0, 0), SH(1, 1), NULL, 2), EM_ERR_VALUE,
                "[slice] Invalid number of indices or strides for array with dimension 3.");
    CHECK_ERROR(em_slice(a, NULL, SH(1, 1, 1), NULL, 3), EM_ERR_NULL, "[slice]");
    CHECK_ERROR(em_slice(NULL, SH(0), SH(1), NULL, 1), EM_ERR_NULL, "[slice]");
    em_array_release(v3);
    em_array_release(v2);
    em_array_release(v1);
    em_array_release(u);
    em_array_release(t);
    em_array_release(s);
    em_array_release(a);
}

/* ---------------------------------------------------------------- split */

static void test_split(void) {
    em_array *a = iota(SH(3, 4), 2, EM_INT32);
    em_array *out[8];
    size_t n = 0;
    CHECK(em_split(a, 2, NULL, 0, 1, out, 8, &n) == EM_OK && n == 2);
    CHECK(check_shape(out[0], 2, SH(3, 2)) && check_shape(out[1], 2, SH(3, 2)));
    CHECK(check_equals(out[1], (double[]){2, 3, 6, 7, 10, 11}, 6));
    CHECK(data_delta(out[1], a) == 2 * 4);
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);

    /* MLX: mx.split(a, [3, 1], axis=1) -> (3,3), (3,0), (3,3) */
    CHECK(em_split(a, 0, SH(3, 1), 2, -1, out, 8, &n) == EM_OK && n == 3);
    CHECK(check_shape(out[0], 2, SH(3, 3)) && check_shape(out[1], 2, SH(3, 0)) &&
          check_shape(out[2], 2, SH(3, 3)));
    CHECK(check_equals(out[2], (double[]){1, 2, 3, 5, 6, 7, 9, 10, 11}, 9));
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);
    /* negative and out-of-range indices wrap and clamp */
    CHECK(em_split(a, 0, SH(-1), 1, 1, out, 8, &n) == EM_OK && n == 2);
    CHECK(check_shape(out[0], 2, SH(3, 3)) && check_shape(out[1], 2, SH(3, 1)));
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);
    CHECK(em_split(a, 0, SH(10), 1, 1, out, 8, &n) == EM_OK && n == 2);
    CHECK(check_shape(out[0], 2, SH(3, 4)) && check_shape(out[1], 2, SH(3, 0)));
    CHECK(out[0] == a);
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);
    CHECK(em_split(a, 0, SH(-10), 1, 1, out, 8, &n) == EM_OK && n == 2);
    CHECK(check_shape(out[0], 2, SH(3, 0)) && check_shape(out[1], 2, SH(3, 4)));
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);
    CHECK(em_split(a, 0, SH(0), 0, 0, out, 8, &n) == EM_OK && n == 1 && out[0] == a);
    em_array_release(out[0]);
    /* rows, then zero-size axes */
    CHECK(em_split(a, 3, NULL, 0, 0, out, 3, &n) == EM_OK && n == 3);
    CHECK(check_equals(out[2], (double[]){8, 9, 10, 11}, 4));
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);
    em_array *z = iota(SH(0), 1, EM_INT32);
    CHECK(em_split(z, 3, NULL, 0, 0, out, 8, &n) == EM_OK && n == 3 && check_shape(out[2], 1, SH(0)));
    for (size_t i = 0; i < n; i++) em_array_release(out[i]);

    em_error_clear();
    CHECK(em_split(a, 3, NULL, 0, 1, out, 8, &n) == EM_ERR_VALUE && n == 0);
    CHECK(strstr(em_error_message(), "[split] Array split does not result in sub arrays with equal size: "
                                     "attempting 3 splits along axis 1 for shape (3,4).") != NULL);
    em_error_clear();
    CHECK(em_split(a, 0, NULL, 0, 1, out, 8, &n) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "[split] num_splits must be positive and non-zero but got 0.") != NULL);
    em_error_clear();
    CHECK(em_split(a, 2, NULL, 0, 2, out, 8, &n) == EM_ERR_INDEX);
    CHECK(strstr(em_error_message(), "[split] Axis 2 is out of bounds for array with 2 dimensions.") != NULL);
    em_error_clear();
    CHECK(em_split(a, 4, NULL, 0, 1, out, 2, &n) == EM_ERR_VALUE && n == 4);
    CHECK(strstr(em_error_message(), "[split] The output holds 2 arrays but 4 are needed.") != NULL);
    em_error_clear();
    em_array *s = iota(NULL, 0, EM_INT32);
    CHECK(em_split(s, 1, NULL, 0, 0, out, 8, &n) == EM_ERR_INDEX);
    CHECK(strstr(em_error_message(), "[split] Axis 0 is out of bounds for array with 0 dimensions.") != NULL);
    em_error_clear();
    CHECK(em_split(NULL, 1, NULL, 0, 0, out, 8, &n) == EM_ERR_NULL && n == 0);
    em_error_clear();
    CHECK(em_split(a, 1, NULL, 0, 0, out, 8, NULL) == EM_ERR_NULL);
    em_error_clear();

    /* in a scope, every part is collected */
    int64_t live = em_live_arrays();
    em_scope_begin();
    CHECK(em_split(a, 4, NULL, 0, 1, out, 8, &n) == EM_OK);
    CHECK(em_scope_end() == 4);
    CHECK(em_live_arrays() == live);
    em_array_release(s);
    em_array_release(z);
    em_array_release(a);
}

/* Random chains of transposes and slices, reshaped to random factorings of
 * their size: the values always follow row-major order, whether the reshape
 * became a view or a copy, and a view always shares the base's memory. */
static void test_reshape_random(void) {
    em_array *base = iota(SH(4, 6, 5), 3, EM_INT32);
    int bad = 0, views = 0, copies = 0;
    for (int trial = 0; trial < 300; trial++) {
        int perm[3] = {0, 1, 2};
        for (int i = 2; i > 0; i--) {
            int j = (int)rnd(0, i), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        em_array *t = em_transpose(base, perm, 3);
        int64_t st[3], sp[3], step[3];
        for (int d = 0; d < 3; d++) {
            int64_t n = em_array_shape(t)[d];
            step[d] = rnd(0, 3) ? 1 : (rnd(0, 1) ? 2 : -1);
            st[d] = step[d] > 0 ? rnd(0, 1) : n - 1 - rnd(0, 1);
            sp[d] = step[d] > 0 ? n - rnd(0, 1) : INT64_MIN;
        }
        em_array *s = em_slice(t, st, sp, step, 3);
        int64_t size = em_array_size(s);
        /* odd trials: a random factoring of size into up to 5 dims, with
         * some 1s; even trials: each axis split in two (always a view) */
        int64_t shape[6], rem = size;
        int nd = 0;
        if (trial % 2) {
            while (nd < 4 && rem > 1) {
                int64_t f = rnd(1, rem);
                while (rem % f) f--;
                shape[nd++] = f;
                rem /= f;
            }
            shape[nd++] = rem;
        } else {
            for (int d = 0; d < 3; d++) {
                int64_t n = em_array_shape(s)[d], f = n ? rnd(1, n) : 1;
                while (n % f) f--;
                shape[nd++] = f;
                shape[nd++] = n / f;
            }
        }
        em_array *r = em_reshape(s, shape, nd);
        int32_t *want = malloc((size_t)size * 4 + 4), *got = malloc((size_t)size * 4 + 4);
        if (!r || em_array_copy_to(s, EM_INT32, want, (size_t)size * 4) != EM_OK ||
            em_array_copy_to(r, EM_INT32, got, (size_t)size * 4) != EM_OK ||
            memcmp(want, got, (size_t)size * 4) != 0)
            bad++;
        if (r && em_array_data(r) == em_array_data(s)) views++;
        else if (r) copies++;
        free(want);
        free(got);
        em_array_release(r);
        em_array_release(s);
        em_array_release(t);
    }
    CHECK_MSG(bad == 0, "%d random reshapes wrong", bad);
    CHECK_MSG(views > 150 && copies > 50, "%d views, %d copies", views, copies); /* both paths ran */
    em_array_release(base);
}

/* Views never copy, and evaluating one does not allocate. */
static void test_views_no_alloc(void) {
    em_array *a = iota(SH(64, 64), 2, EM_FLOAT64);
    size_t before = em_get_active_memory();
    em_array *t = em_transpose(a, NULL, 0);
    em_array *s = em_slice(t, SH(1, 63), SH(64, INT64_MIN), SH(2, -3), 2);
    em_array *r = em_reshape(s, SH(4, 8, 22), 3); /* (32, 22): axis 0 splits: a view */
    em_array *e = em_expand_dims(r, (int[]){0}, 1);
    em_array *q = em_squeeze(e, NULL, -1);
    em_array *m = em_moveaxis(q, 2, 0);
    CHECK(em_eval1(m) == EM_OK);
    CHECK(em_get_active_memory() == before);
    CHECK(em_array_data(m) != NULL);
    /* element [c, i, j] of m is s[(i * 8 + j), c] = t[1 + 2 (8i + j), 63 - 3c] = a[63 - 3c, 1 + 2(8i+j)] */
    double *v = check_values(m);
    int ok = v != NULL;
    for (int c = 0; ok && c < 22; c++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++)
                ok = ok && v[(c * 4 + i) * 8 + j] == (63 - 3 * c) * 64 + 1 + 2 * (8 * i + j);
    CHECK(ok);
    free(v);
    em_array_release(m);
    em_array_release(q);
    em_array_release(e);
    em_array_release(r);
    em_array_release(s);
    em_array_release(t);
    em_array_release(a);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_reshape();
    test_reshape_strided();
    test_flatten();
    test_transpose();
    test_high_rank();
    test_squeeze_expand();
    test_broadcast_arrays();
    test_slice();
    test_slice_random();
    test_split();
    test_reshape_random();
    test_views_no_alloc();
    CHECK(em_live_arrays() == live);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
