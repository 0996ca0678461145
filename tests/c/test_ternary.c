/* test_ternary.c -- where (select) for every dtype, with broadcasting,
 * promotion, strided inputs and errors; and clip, which is built on it. */
#include "ew_util.h"

static void test_every_dtype(void) {
    enum { N = 13 };
    bool c[N];
    for (int i = 0; i < N; i++) c[i] = (i * 7) % 3 == 0;
    em_array *cond = ew_vec(c, N, EM_BOOL);
    for (int d = 0; d < EM_NUM_DTYPES; d++) {
        em_dtype dt = (em_dtype)d;
        size_t sz = em_dtype_size(dt);
        unsigned char x[N * 8], y[N * 8];
        for (size_t i = 0; i < N * sz; i++) x[i] = (unsigned char)(i * 31 + 1), y[i] = (unsigned char)(i * 17 + 200);
        if (dt == EM_BOOL)
            for (int i = 0; i < N; i++) x[i] = (unsigned char)(i & 1), y[i] = (unsigned char)!(i & 1);
        em_array *r = em_where(cond, ew_vec(x, N, dt), ew_vec(y, N, dt));
        CHECK_MSG(ew_is(r, dt, N), "%s", em_dtype_name(dt));
        const unsigned char *g = ew_raw(r);
        for (int i = 0; g && i < N; i++)
            CHECK_MSG(!memcmp(g + i * sz, (c[i] ? x : y) + i * sz, sz), "%s element %d", em_dtype_name(dt), i);
    }
}

static void test_broadcast_promote_strides(void) {
    /* cond (3,1), x (4,) int32, y a float scalar: (3,4) float32 */
    bool c[3] = {true, false, true};
    int32_t x[4] = {1, -2, 3, -4};
    em_array *cond = em_array_from_data(c, (int64_t[]){3, 1}, 2, EM_BOOL);
    em_array *r = em_where(cond, ew_vec(x, 4, EM_INT32), em_array_from_double(0.5, EM_FLOAT32));
    CHECK(check_shape(r, 2, (int64_t[]){3, 4}) && em_array_dtype(r) == EM_FLOAT32);
    CHECK(check_equals(r, (double[]){1, -2, 3, -4, 0.5, 0.5, 0.5, 0.5, 1, -2, 3, -4}, 12));
    /* a non-bool cond is cast: NaN and -0.0 are true and false */
    float fc[4] = {NAN, -0.0f, 2, 0};
    int16_t a[4] = {1, 2, 3, 4}, b[4] = {-1, -2, -3, -4};
    em_array *r2 = em_where(ew_vec(fc, 4, EM_FLOAT32), ew_vec(a, 4, EM_INT16), ew_vec(b, 4, EM_INT16));
    CHECK(ew_is(r2, EM_INT16, 4) && check_equals(r2, (double[]){1, -2, 3, -4}, 4));
    /* strided and reversed operands */
    double xs[8] = {0, 10, 1, 11, 2, 12, 3, 13};
    bool cs[4] = {true, true, false, false};
    em_array *sx = em_array_from_external(xs, (int64_t[]){4}, (int64_t[]){2}, 1, EM_FLOAT64, NULL, NULL);
    em_array *rx = em_array_from_external(xs + 7, (int64_t[]){4}, (int64_t[]){-2}, 1, EM_FLOAT64, NULL, NULL);
    em_array *sc = em_array_from_external(cs + 3, (int64_t[]){4}, (int64_t[]){-1}, 1, EM_BOOL, NULL, NULL);
    em_array *r3 = em_where(sc, sx, rx);
    CHECK(ew_is(r3, EM_FLOAT64, 4) && check_equals(r3, (double[]){13, 12, 2, 3}, 4));
    /* complex and half with a broadcast scalar */
    em_array *z = em_where(ew_vec(cs, 4, EM_BOOL), em_array_from_complex(1, -1),
                           em_astype(ew_vec(a, 4, EM_INT16), EM_FLOAT16));
    CHECK(ew_is(z, EM_COMPLEX64, 4));
    const float *zf = ew_raw(z);
    CHECK(zf && zf[0] == 1 && zf[1] == -1 && zf[2] == 1 && zf[4] == 3 && zf[5] == 0 && zf[6] == 4);
    /* 0-d */
    em_array *s = em_where(em_array_from_bool(false), em_array_from_int(1, EM_UINT8), em_array_from_int(7, EM_UINT8));
    int64_t v = 0;
    CHECK(s && em_array_ndim(s) == 0 && em_array_item_int(s, &v) == EM_OK && v == 7);
}

static void test_clip(void) {
    float x[5] = {-3, -1, 0, 2, NAN};
    em_array *a = ew_vec(x, 5, EM_FLOAT32);
    em_array *lo = em_array_from_double(-1.5, EM_FLOAT32), *hi = em_array_from_double(1, EM_FLOAT32);
    CHECK(check_equals(em_clip(a, lo, hi), (double[]){-1.5, -1, 0, 1, NAN}, 5));
    CHECK(check_equals(em_clip(a, NULL, hi), (double[]){-3, -1, 0, 1, NAN}, 5));
    CHECK(check_equals(em_clip(a, lo, NULL), (double[]){-1.5, -1, 0, 2, NAN}, 5));
    CHECK_ERROR(em_clip(a, NULL, NULL), EM_ERR_VALUE, "[clip] One of a_min and a_max must not be None.");
}

static void test_errors(void) {
    em_array *c = em_array_from_bool(true), *x = em_array_from_double(1, EM_FLOAT32);
    CHECK_ERROR(em_where(NULL, x, x), EM_ERR_NULL, "where");
    CHECK_ERROR(em_where(c, NULL, x), EM_ERR_NULL, "where");
    CHECK_ERROR(em_where(c, x, NULL), EM_ERR_NULL, "where");
    em_array *p = ew_vec((float[3]){0}, 3, EM_FLOAT32), *q = ew_vec((float[2]){0}, 2, EM_FLOAT32);
    CHECK_ERROR(em_where(c, p, q), EM_ERR_VALUE, "[broadcast_shapes] Shapes (3) and (2) cannot be broadcast.");
}

#define RUN(test)                                                              \
    do {                                                                       \
        em_scope_begin();                                                      \
        test();                                                                \
        em_scope_end();                                                        \
    } while (0)

int main(void) {
    int64_t live = em_live_arrays();
    RUN(test_every_dtype);
    RUN(test_broadcast_promote_strides);
    RUN(test_clip);
    RUN(test_errors);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
