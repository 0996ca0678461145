/* test_misc_ops.c -- the C entry points of src/ops/misc.c, src/ops/strided.c
 * and src/transforms/dot.c: values (NumPy's), shapes, dtypes, NULL and bad
 * arguments with MLX's messages, and that nothing leaks. */
#include <stdint.h>

#include "check.h"

#define SH(...) ((int64_t[]){__VA_ARGS__})

/* An evaluated array of dtype holding 0, 1, 2, ... row-major. */
static em_array *iota(const int64_t *shape, int ndim, em_dtype dtype) {
    em_array *r = em_arange(0, 1, 1, EM_FLOAT64);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    em_array_release(r);
    em_array *f = em_arange(0, (double)n, 1, EM_FLOAT64);
    em_array *s = em_reshape(f, shape, ndim);
    em_array *a = em_astype(s, dtype);
    em_eval1(a);
    em_array_release(f);
    em_array_release(s);
    return a;
}

static em_array *vec(const double *v, int64_t n, em_dtype dtype) {
    em_array *d = em_array_from_data(v, &n, 1, EM_FLOAT64);
    em_array *a = em_astype(d, dtype);
    em_array_release(d);
    return a;
}

static bool item_bool(em_array *a) {
    bool b = false;
    CHECK(em_array_item_bool(a, &b) == EM_OK);
    em_array_release(a);
    return b;
}

static void test_elementwise(void) {
    em_array *x = vec((double[]){-2.7, -0.5, 0.5, 2.7, NAN, INFINITY}, 6, EM_FLOAT32);
    em_array *t = em_trunc(x);
    CHECK(em_array_dtype(t) == EM_FLOAT32 && check_equals(t, (double[]){-2, -0.0, 0, 2, NAN, INFINITY}, 6));
    em_array_release(t);
    em_array *i = iota(SH(3), 1, EM_INT32);
    t = em_trunc(i);
    CHECK(t == i);
    em_array_release(t);
    em_array *c = em_array_from_complex(1, 2);
    CHECK_ERROR(em_trunc(c), EM_ERR_VALUE, "[trunc] Not supported for complex64.");
    CHECK_ERROR(em_trunc(NULL), EM_ERR_NULL, "trunc");

    em_array *b = vec((double[]){0, 1, 2}, 3, EM_INT32);
    em_array *xo = em_logical_xor(b, i); /* (0,1,2) xor (0,1,2) */
    CHECK(em_array_dtype(xo) == EM_BOOL && check_equals(xo, (double[]){0, 0, 0}, 3));
    em_array_release(xo);
    em_array *z = vec((double[]){0}, 1, EM_FLOAT32);
    xo = em_logical_xor(b, z);
    CHECK(check_equals(xo, (double[]){0, 1, 1}, 3));
    em_array_release(xo);
    CHECK_ERROR(em_logical_xor(b, NULL), EM_ERR_NULL, "logical_xor");

    /* isclose: np.isclose([1, 1+1e-6, inf, nan, 1], [1, 1, inf, nan, 2]) */
    em_array *p = vec((double[]){1, 1 + 1e-6, INFINITY, NAN, 1}, 5, EM_FLOAT32);
    em_array *q = vec((double[]){1, 1, INFINITY, NAN, 2}, 5, EM_FLOAT64);
    em_array *r = em_isclose(p, q, 1e-5, 1e-8, false);
    CHECK(em_array_dtype(r) == EM_BOOL && check_equals(r, (double[]){1, 1, 1, 0, 0}, 5));
    em_array_release(r);
    r = em_isclose(p, q, 1e-5, 1e-8, true);
    CHECK(check_equals(r, (double[]){1, 1, 1, 1, 0}, 5));
    em_array_release(r);
    CHECK(!item_bool(em_allclose(p, q, 1e-5, 1e-8, true)));
    CHECK(item_bool(em_allclose(p, q, 1e-5, 1.5, true)));
    CHECK(item_bool(em_array_equal(p, p, true)));
    CHECK(!item_bool(em_array_equal(p, p, false)));
    CHECK(!item_bool(em_array_equal(p, b, false))); /* shapes differ */
    CHECK(item_bool(em_array_equal(i, b, false)));   /* int32 == int32 */
    em_array *f = em_astype(i, EM_FLOAT16);
    CHECK(item_bool(em_array_equal(i, f, false)));   /* any dtypes */
    em_array_release(f);
    CHECK_ERROR(em_isclose(p, NULL, 0, 0, false), EM_ERR_NULL, "isclose");
    CHECK_ERROR(em_array_equal(NULL, p, false), EM_ERR_NULL, "array_equal");
    em_array *three = vec((double[]){1, 2, 3}, 3, EM_FLOAT32);
    CHECK_ERROR(em_isclose(p, three, 0, 0, false), EM_ERR_VALUE, "cannot be broadcast");
    em_array_release(three);
    em_array_release(p);
    em_array_release(q);
    em_array_release(b);
    em_array_release(z);
    em_array_release(c);
    em_array_release(i);
    em_array_release(x);
}

static void test_reductions(void) {
    em_array *x = iota(SH(2, 3), 2, EM_FLOAT32);
    em_array *s = em_softmax(x, (int[]){1}, 1, false);
    CHECK(check_shape(s, 2, SH(2, 3)) && em_array_dtype(s) == EM_FLOAT32);
    double *v = check_values(s);
    double e1 = exp(-1.0), e2 = exp(-2.0), d = 1 + e1 + e2;
    for (int r = 0; v && r < 2; r++) {
        CHECK_CLOSE(v[3 * r], e2 / d, 1e-6);
        CHECK_CLOSE(v[3 * r + 1], e1 / d, 1e-6);
        CHECK_CLOSE(v[3 * r + 2], 1 / d, 1e-6);
    }
    free(v);
    em_array_release(s);
    s = em_softmax(x, NULL, -1, true);
    v = check_values(s);
    double tot = 0;
    for (int k = 0; v && k < 6; k++) tot += v[k];
    CHECK_CLOSE(tot, 1.0, 1e-6);
    free(v);
    em_array_release(s);
    em_array *h = em_astype(x, EM_FLOAT16);
    s = em_softmax(h, (int[]){-1}, 1, false);
    CHECK(em_array_dtype(s) == EM_FLOAT16);
    em_array_release(s);
    em_array_release(h);
    CHECK_ERROR(em_softmax(x, (int[]){2}, 1, false), EM_ERR_INDEX, "Invalid axis 2 for array with 2 dimensions");
    CHECK_ERROR(em_softmax(NULL, NULL, -1, false), EM_ERR_NULL, "softmax");

    /* count_nonzero of [[0,1,2],[3,4,5]] */
    em_array *c = em_count_nonzero(x, (int[]){0}, 1, false);
    CHECK(em_array_dtype(c) == EM_INT32 && check_equals(c, (double[]){1, 2, 2}, 3));
    em_array_release(c);
    c = em_count_nonzero(x, NULL, -1, true);
    CHECK(check_shape(c, 2, SH(1, 1)) && check_equals(c, (double[]){5}, 1));
    em_array_release(c);
    CHECK_ERROR(em_count_nonzero(x, (int[]){3}, 1, false), EM_ERR_INDEX, "[count_nonzero] Invalid axis 3");
    em_array_release(x);
}

static void test_shifts(void) {
    /* diff of [1, 4, 9, 16] */
    em_array *a = vec((double[]){1, 4, 9, 16}, 4, EM_INT32);
    em_array *d = em_diff(a, 1, -1);
    CHECK(em_array_dtype(d) == EM_INT32 && check_equals(d, (double[]){3, 5, 7}, 3));
    em_array_release(d);
    d = em_diff(a, 2, 0);
    CHECK(check_equals(d, (double[]){2, 2}, 2));
    em_array_release(d);
    d = em_diff(a, 0, 0);
    CHECK(check_equals(d, (double[]){1, 4, 9, 16}, 4));
    em_array_release(d);
    d = em_diff(a, 1000000000, 0);
    CHECK(check_shape(d, 1, SH(0)));
    em_array_release(d);
    em_array *bo = vec((double[]){1, 0, 0}, 3, EM_BOOL);
    d = em_diff(bo, 1, 0);
    CHECK(em_array_dtype(d) == EM_BOOL && check_equals(d, (double[]){1, 0}, 2));
    em_array_release(d);
    em_array_release(bo);
    CHECK_ERROR(em_diff(a, -1, 0), EM_ERR_VALUE, "[diff] Order `n` must be non-negative.");
    CHECK_ERROR(em_diff(a, 1, 1), EM_ERR_INDEX, "[diff] Axis is out of bounds for the array.");
    em_array *s0 = vec((double[]){1}, 1, EM_INT32), *s = em_reshape(s0, NULL, 0);
    CHECK_ERROR(em_diff(s, 1, 0), EM_ERR_INDEX, "[diff] Axis is out of bounds");
    em_array_release(s0);

    /* roll: np.roll(arange(6).reshape(2,3), (1, 2), (0, 1)) */
    em_array *x = iota(SH(2, 3), 2, EM_INT32);
    em_array *r = em_roll(x, SH(1, 2), 2, (int[]){0, 1}, 2);
    CHECK(check_shape(r, 2, SH(2, 3)) && check_equals(r, (double[]){4, 5, 3, 1, 2, 0}, 6));
    em_array_release(r);
    r = em_roll(x, SH(1, 2), 2, NULL, -1); /* flattened, by 3 */
    CHECK(check_equals(r, (double[]){3, 4, 5, 0, 1, 2}, 6));
    em_array_release(r);
    r = em_roll(x, SH(-4), 1, (int[]){-1}, 1);
    CHECK(check_equals(r, (double[]){1, 2, 0, 4, 5, 3}, 6));
    em_array_release(r);
    r = em_roll(s, SH(3), 1, NULL, -1);
    CHECK(check_shape(r, 0, NULL) && check_equals(r, (double[]){1}, 1));
    em_array_release(r);
    CHECK_ERROR(em_roll(x, SH(1), 1, (int[]){2}, 1), EM_ERR_INDEX, "[roll] Invalid axis 2 for array with 2 dimensions.");
    CHECK_ERROR(em_roll(x, SH(1), 1, (int[]){0, 1}, 2), EM_ERR_VALUE,
                "[roll] At least one shift value per axis is required, 1 provided for 2 axes.");
    CHECK_ERROR(em_roll(x, NULL, 1, NULL, -1), EM_ERR_NULL, "roll");
    CHECK_ERROR(em_roll(NULL, SH(1), 1, NULL, -1), EM_ERR_NULL, "roll");
    em_array_release(s);
    em_array_release(x);
    em_array_release(a);
}

static void test_grids_windows_shapes(void) {
    em_array *a = vec((double[]){1, 2}, 2, EM_INT32), *b = vec((double[]){3, 4, 5}, 3, EM_FLOAT32);
    em_array *out[2];
    CHECK(em_meshgrid((const em_array *[]){a, b}, 2, false, false, out) == EM_OK);
    CHECK(check_shape(out[0], 2, SH(3, 2)) && em_array_dtype(out[0]) == EM_INT32);
    CHECK(check_equals(out[0], (double[]){1, 2, 1, 2, 1, 2}, 6));
    CHECK(check_equals(out[1], (double[]){3, 3, 4, 4, 5, 5}, 6));
    em_array_release(out[0]);
    em_array_release(out[1]);
    CHECK(em_meshgrid((const em_array *[]){a, b}, 2, true, true, out) == EM_OK);
    CHECK(check_shape(out[0], 2, SH(2, 1)) && check_shape(out[1], 2, SH(1, 3)));
    em_array_release(out[0]);
    em_array_release(out[1]);
    CHECK(em_meshgrid(NULL, 0, false, false, NULL) == EM_OK);
    em_error_clear();
    CHECK(em_meshgrid((const em_array *[]){a, NULL}, 2, false, false, out) == EM_ERR_NULL);
    CHECK(out[0] == NULL && out[1] == NULL);
    em_error_clear();
    em_array_release(a);
    em_array_release(b);

    /* np.hanning(5), np.hamming(3), np.blackman(3), np.bartlett(5) */
    em_array *w = em_hanning(5);
    CHECK(em_array_dtype(w) == EM_FLOAT32 && check_equals(w, (double[]){0, 0.5, 1, 0.5, 0}, 5));
    em_array_release(w);
    w = em_hamming(3);
    double *v = check_values(w);
    CHECK(v && fabs(v[0] - 0.08) < 1e-7 && v[1] == 1.0 && fabs(v[2] - 0.08) < 1e-7);
    free(v);
    em_array_release(w);
    w = em_blackman(3);
    v = check_values(w);
    CHECK(v && fabs(v[0]) < 1e-7 && fabs(v[1] - 1.0) < 1e-7);
    free(v);
    em_array_release(w);
    w = em_bartlett(5);
    CHECK(check_equals(w, (double[]){0, 0.5, 1, 0.5, 0}, 5));
    em_array_release(w);
    w = em_hanning(1);
    CHECK(check_equals(w, (double[]){1}, 1));
    em_array_release(w);
    w = em_hanning(-4);
    CHECK(check_shape(w, 1, SH(0)));
    em_array_release(w);
    CHECK_ERROR(em_hanning(INT64_MAX), EM_ERR_MEMORY, "[hanning]");

    int64_t shp[EM_MAX_NDIM];
    int nd = -1;
    CHECK(em_broadcast_shapes((const int64_t *[]){SH(6, 7), SH(5, 6, 1), SH(7)}, (int[]){2, 3, 1}, 3,
                              shp, &nd) == EM_OK);
    CHECK(nd == 3 && shp[0] == 5 && shp[1] == 6 && shp[2] == 7);
    CHECK(em_broadcast_shapes((const int64_t *[]){SH(2), SH(3)}, (int[]){1, 1}, 2, shp, &nd) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "[broadcast_shapes] Shapes (2) and (3) cannot be broadcast.") != NULL);
    em_error_clear();
    CHECK(em_broadcast_shapes(NULL, NULL, 0, shp, &nd) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "Must provide at least one shape.") != NULL);
    em_error_clear();
    CHECK(em_broadcast_shapes((const int64_t *[]){SH(2)}, (int[]){-1}, 1, shp, &nd) == EM_ERR_VALUE);
    em_error_clear();

    em_array *m = iota(SH(2, 3, 4), 3, EM_INT16);
    em_array *t = em_matrix_transpose(m);
    CHECK(check_shape(t, 3, SH(2, 4, 3)));
    double *tv = check_values(t);
    CHECK(tv && tv[1] == 4 && tv[3] == 1 && tv[12] == 12);
    free(tv);
    em_array_release(t);
    em_array *one = vec((double[]){1}, 1, EM_INT32);
    CHECK_ERROR(em_matrix_transpose(one), EM_ERR_VALUE, "[matrix_transpose] Input array must have at least 2 dimensions.");
    em_array_release(one);
    em_array_release(m);
}

static void test_strided(void) {
    /* view: float32 [1, 2] as int32 and int16 */
    em_array *f = vec((double[]){1, 2}, 2, EM_FLOAT32);
    em_array *v = em_view(f, EM_INT32);
    CHECK(em_array_dtype(v) == EM_INT32 && check_equals(v, (double[]){1065353216, 1073741824}, 2));
    em_array_release(v);
    v = em_view(f, EM_INT16);
    CHECK(check_shape(v, 1, SH(4)) && check_equals(v, (double[]){0, 16256, 0, 16384}, 4));
    em_array_release(v);
    /* a transposed int16 (2,2) as int32: the row-major copy is read */
    em_array *s = iota(SH(2, 2), 2, EM_INT16), *st = em_transpose(s, NULL, 0);
    v = em_view(st, EM_INT32);
    CHECK(check_shape(v, 2, SH(2, 1)) && check_equals(v, (double[]){2 << 16, 1 + (3 << 16)}, 2));
    em_array_release(v);
    em_array *odd = iota(SH(3), 1, EM_INT16);
    CHECK_ERROR(em_view(odd, EM_INT32), EM_ERR_VALUE, "the size in bytes of the last axis must be a multiple");
    em_array *sc = em_array_from_double(1.0, EM_FLOAT32);
    CHECK_ERROR(em_view(sc, EM_INT16), EM_ERR_VALUE, "[view] Changing the type of a scalar");
    CHECK_ERROR(em_view(sc, (em_dtype)99), EM_ERR_TYPE, "[view]");
    CHECK_ERROR(em_view(NULL, EM_INT32), EM_ERR_NULL, "view");

    /* as_strided over arange(6): shape (2,2), strides (1,2) */
    em_array *r = iota(SH(6), 1, EM_INT32);
    em_array *a = em_as_strided(r, SH(2, 2), SH(1, 2), 2, 0);
    CHECK(check_shape(a, 2, SH(2, 2)) && check_equals(a, (double[]){0, 2, 1, 3}, 4));
    em_array_release(a);
    a = em_as_strided(r, SH(3), SH(-1), 1, 5);
    CHECK(check_equals(a, (double[]){5, 4, 3}, 3));
    em_array_release(a);
    a = em_as_strided(r, SH(2), NULL, 1, 4);
    CHECK(check_equals(a, (double[]){4, 5}, 2));
    em_array_release(a);
    /* a transposed input counts in row-major order of its values */
    em_array *r2 = iota(SH(2, 3), 2, EM_INT32), *rt = em_transpose(r2, NULL, 0);
    a = em_as_strided(rt, SH(6), SH(1), 1, 0);
    CHECK(check_equals(a, (double[]){0, 3, 1, 4, 2, 5}, 6));
    em_array_release(a);
    CHECK_ERROR(em_as_strided(r, SH(2), SH(1), 1, 5), EM_ERR_VALUE, "[as_strided] The strided view reaches outside");
    CHECK_ERROR(em_as_strided(r, SH(2), SH(INT64_MAX), 1, 0), EM_ERR_VALUE, "reaches outside");
    CHECK_ERROR(em_as_strided(r, SH(-1), SH(1), 1, 0), EM_ERR_VALUE, "Negative dimensions");
    CHECK_ERROR(em_as_strided(r, NULL, NULL, 2, 0), EM_ERR_NULL, "as_strided");

    /* contiguous */
    em_array *c = em_contiguous(rt, false);
    CHECK(check_shape(c, 2, SH(3, 2)) && check_equals(c, (double[]){0, 3, 1, 4, 2, 5}, 6));
    CHECK(em_array_is_contiguous(c));
    em_array_release(c);
    c = em_contiguous(r2, false);
    em_eval1(c);
    CHECK(em_array_data(c) == em_array_data(r2)); /* already contiguous: no copy */
    em_array_release(c);
    c = em_contiguous(rt, true);
    CHECK(check_equals(c, (double[]){0, 3, 1, 4, 2, 5}, 6));
    em_array_release(c);

    /* depends: outputs are the inputs */
    em_array *dout[2];
    em_array *two = em_multiply(r, r);
    CHECK(em_depends((const em_array *[]){r, two}, 2, (const em_array *[]){f}, 1, dout) == EM_OK);
    CHECK(check_equals(dout[1], (double[]){0, 1, 4, 9, 16, 25}, 6));
    em_array_release(dout[0]); /* released before evaluation: fine */
    em_array_release(dout[1]);
    CHECK(em_depends(NULL, 0, NULL, 0, NULL) == EM_OK);
    CHECK(em_depends((const em_array *[]){NULL}, 1, NULL, 0, dout) == EM_ERR_NULL);
    em_error_clear();
    em_array_release(two);

    /* export_to_dot */
    em_array *e = em_exp(f), *g = em_add(e, f);
    char *text = em_export_to_dot(&g, 1, (em_array *[]){f}, (const char *[]){"x"}, 1);
    CHECK(text && strstr(text, "digraph {\n{ rank=source; \"x\"; }\n") == text);
    CHECK(text && strstr(text, "[label =\"Exp\", shape=rectangle]") && strstr(text, "{ rank=sink; \"C\"; }"));
    em_free(text);
    CHECK(em_export_to_dot(&g, 1, NULL, NULL, 1) == NULL && em_error_code() == EM_ERR_NULL);
    em_error_clear();
    em_array_release(e);
    em_array_release(g);

    em_array_release(r2);
    em_array_release(rt);
    em_array_release(r);
    em_array_release(sc);
    em_array_release(odd);
    em_array_release(s);
    em_array_release(st);
    em_array_release(f);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_elementwise();
    test_reductions();
    test_shifts();
    test_grids_windows_shapes();
    test_strided();
    CHECK(em_live_arrays() == live);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
