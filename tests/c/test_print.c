/* test_print.c -- em_array_to_string and em_set_print_precision. Every
 * expected string is mlx 0.32's repr() of the same array, copied verbatim. */
#include "check.h"
#include "core/half.h"

/* Checks a's printed form and releases a. */
#define EXPECT(a, want) expect_str((a), (want), __LINE__)
static void expect_str(em_array *a, const char *want, int line) {
    char *s = em_array_to_string(a);
    CHECK_MSG(s && strcmp(s, want) == 0, "line %d:\n  got  %s\n  want %s", line,
              s ? s : "(null)", want);
    if (!s) fprintf(stderr, "  error: %s\n", em_error_message());
    em_free(s);
    em_array_release(a);
}

static em_array *f32(const float *v, int64_t n) {
    return em_array_from_data(v, (int64_t[]){n}, 1, EM_FLOAT32);
}
static em_array *f64(const double *v, int64_t n) {
    return em_array_from_data(v, (int64_t[]){n}, 1, EM_FLOAT64);
}
/* float16 / bfloat16 arrays from float values (rounded to nearest even). */
static em_array *half_from(const float *v, int n, em_dtype dt) {
    uint16_t bits[16];
    for (int i = 0; i < n; i++)
        bits[i] = dt == EM_FLOAT16 ? em_f32_to_f16(v[i]).bits : em_f32_to_bf16(v[i]).bits;
    return em_array_from_data(bits, (int64_t[]){n}, 1, dt);
}
static em_array *c64(const float *re_im, int64_t n) {
    return em_array_from_data(re_im, (int64_t[]){n}, 1, EM_COMPLEX64);
}
/* int32 0, 1, ..., n-1 in the given shape. */
static em_array *iota32(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    int32_t *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (int32_t)i;
    em_array *a = em_array_from_data(v, shape, ndim, EM_INT32);
    free(v);
    return a;
}

static void test_scalars(void) {
    EXPECT(em_array_from_double(1.5, EM_FLOAT32), "array(1.5, dtype=float32)");
    EXPECT(em_array_from_bool(true), "array(True, dtype=bool)");
    EXPECT(em_array_from_bool(false), "array(False, dtype=bool)");
    EXPECT(em_array_from_int(-7, EM_INT8), "array(-7, dtype=int8)");
    EXPECT(em_array_from_complex(2, 3), "array(2+3j, dtype=complex64)");
    EXPECT(half_from((float[]){0.1f}, 1, EM_FLOAT16), "array([0.0999756], dtype=float16)");
    EXPECT(em_array_from_double(1.0 / 3, EM_FLOAT64), "array(0.333333, dtype=float64)");
    EXPECT(em_array_from_uint(UINT64_MAX, EM_UINT64), "array(18446744073709551615, dtype=uint64)");
    EXPECT(em_array_from_int(INT64_MIN, EM_INT64), "array(-9223372036854775808, dtype=int64)");
    EXPECT(em_array_from_double(0.1, EM_FLOAT16), "array(0.0999756, dtype=float16)");
    EXPECT(em_array_from_double(0.1, EM_BFLOAT16), "array(0.100098, dtype=bfloat16)");
    EXPECT(em_array_from_int(255, EM_UINT8), "array(255, dtype=uint8)");
    EXPECT(em_array_from_int(65535, EM_UINT16), "array(65535, dtype=uint16)");
    EXPECT(em_array_from_int(4294967295, EM_UINT32), "array(4294967295, dtype=uint32)");
    EXPECT(em_array_from_int(127, EM_INT8), "array(127, dtype=int8)");
    EXPECT(em_array_from_int(32767, EM_INT16), "array(32767, dtype=int16)");
    EXPECT(em_array_from_int(2147483647, EM_INT32), "array(2147483647, dtype=int32)");
    EXPECT(em_array_from_int(INT64_MAX, EM_INT64), "array(9223372036854775807, dtype=int64)");
    EXPECT(em_array_from_double(-0.0, EM_FLOAT32), "array(-0, dtype=float32)");
    EXPECT(em_array_from_double(NAN, EM_FLOAT64), "array(nan, dtype=float64)");
    EXPECT(em_array_from_double(-INFINITY, EM_FLOAT32), "array(-inf, dtype=float32)");
    EXPECT(em_array_from_double(1e10, EM_FLOAT32), "array(1e+10, dtype=float32)");
}

static void test_floats(void) {
    EXPECT(f32((float[]){0.1f, 0.25f, 3}, 3), "array([0.1, 0.25, 3], dtype=float32)");
    EXPECT(f32((float[]){1e10f, 1}, 2), "array([1e+10, 1], dtype=float32)");

    const float F[6] = {0.1f, 0.25f, 3, 1.0f / 3, 65504, -2.5f};
    EXPECT(f32(F, 6), "array([0.1, 0.25, 3, 0.333333, 65504, -2.5], dtype=float32)");
    EXPECT(half_from(F, 6, EM_FLOAT16), "array([0.0999756, 0.25, 3, 0.333252, 65504, -2.5], dtype=float16)");
    EXPECT(half_from(F, 6, EM_BFLOAT16), "array([0.100098, 0.25, 3, 0.333984, 65536, -2.5], dtype=bfloat16)");
    EXPECT(f64((double[]){0.1, 0.25, 3, 1.0 / 3, 65504, -2.5}, 6),
           "array([0.1, 0.25, 3, 0.333333, 65504, -2.5], dtype=float64)");

    const float G[6] = {1e-5f, 1e10f, 123456.7f, 1234567.0f, 1.5e-7f, 100000};
    EXPECT(f32(G, 6), "array([1e-05, 1e+10, 123457, 1.23457e+06, 1.5e-07, 100000], dtype=float32)");
    EXPECT(half_from(G, 6, EM_FLOAT16), "array([1.00136e-05, inf, inf, inf, 1.78814e-07, inf], dtype=float16)");
    EXPECT(half_from(G, 6, EM_BFLOAT16),
           "array([1.00136e-05, 9.99922e+09, 123392, 1.23699e+06, 1.49943e-07, 99840], dtype=bfloat16)");
    EXPECT(f64((double[]){1e-5, 1e10, 123456.7, 1234567.0, 1.5e-7, 100000}, 6),
           "array([1e-05, 1e+10, 123457, 1.23457e+06, 1.5e-07, 100000], dtype=float64)");

    EXPECT(f32((float[]){1.4e-45f, 3.4e38f, 1e-38f}, 3), "array([1.4013e-45, 3.4e+38, 1e-38], dtype=float32)");
}

static void test_special_values(void) {
    const float S[6] = {NAN, -NAN, INFINITY, -INFINITY, -0.0f, 0.0f};
    EXPECT(f32(S, 6), "array([nan, -nan, inf, -inf, -0, 0], dtype=float32)");
    EXPECT(f64((double[]){NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0}, 6),
           "array([nan, -nan, inf, -inf, -0, 0], dtype=float64)");
    EXPECT(half_from(S, 6, EM_FLOAT16), "array([nan, -nan, inf, -inf, -0, 0], dtype=float16)");
    /* (MLX turns -nan into nan when it converts to bfloat16; the bits are
     * printed as they are, so use a positive NaN here.) */
    EXPECT(half_from((float[]){NAN, INFINITY, -INFINITY, -0.0f, 0.0f}, 5, EM_BFLOAT16),
           "array([nan, inf, -inf, -0, 0], dtype=bfloat16)");
}

static void test_complex(void) {
    EXPECT(c64((float[]){1, 2, 3, -4, 0, 0}, 3), "array([1+2j, 3-4j, 0+0j], dtype=complex64)");
    EXPECT(c64((float[]){1, 2, 3, -4, 0, 0, -1.5f, 0.25f, 0, -0.0f, -0.0f, 0}, 6),
           "array([1+2j, 3-4j, 0+0j, -1.5+0.25j, 0+-0j, -0+0j], dtype=complex64)");
    EXPECT(c64((float[]){NAN, NAN, NAN, -NAN, 1, INFINITY, 1, -INFINITY, 1e10f, 1e-10f, 0.1f, 1.0f / 3}, 6),
           "array([nan+nanj, nan+-nanj, 1+infj, 1-infj, 1e+10+1e-10j, 0.1+0.333333j], dtype=complex64)");
    em_array *m = em_array_from_data((float[]){1, 2, 3, -4, 0, 0, 0, 1}, (int64_t[]){2, 2}, 2, EM_COMPLEX64);
    EXPECT(m, "array([[1+2j, 3-4j],\n       [0+0j, 0+1j]], dtype=complex64)");
}

static void test_integers(void) {
    EXPECT(em_array_from_data((int32_t[]){1, 2, 3}, (int64_t[]){3}, 1, EM_INT32),
           "array([1, 2, 3], dtype=int32)");
    EXPECT(em_array_from_data((uint8_t[]){0, 0, 1, 255}, (int64_t[]){4}, 1, EM_UINT8),
           "array([0, 0, 1, 255], dtype=uint8)");
    EXPECT(em_array_from_data((uint16_t[]){0, 0, 1, 65535}, (int64_t[]){4}, 1, EM_UINT16),
           "array([0, 0, 1, 65535], dtype=uint16)");
    EXPECT(em_array_from_data((uint32_t[]){0, 0, 1, UINT32_MAX}, (int64_t[]){4}, 1, EM_UINT32),
           "array([0, 0, 1, 4294967295], dtype=uint32)");
    EXPECT(em_array_from_data((uint64_t[]){0, 0, 1, UINT64_MAX}, (int64_t[]){4}, 1, EM_UINT64),
           "array([0, 0, 1, 18446744073709551615], dtype=uint64)");
    EXPECT(em_array_from_data((int8_t[]){-128, 0, 1, 127}, (int64_t[]){4}, 1, EM_INT8),
           "array([-128, 0, 1, 127], dtype=int8)");
    EXPECT(em_array_from_data((int16_t[]){-32768, 0, 1, 32767}, (int64_t[]){4}, 1, EM_INT16),
           "array([-32768, 0, 1, 32767], dtype=int16)");
    EXPECT(em_array_from_data((int32_t[]){INT32_MIN, 0, 1, INT32_MAX}, (int64_t[]){4}, 1, EM_INT32),
           "array([-2147483648, 0, 1, 2147483647], dtype=int32)");
    EXPECT(em_array_from_data((int64_t[]){INT64_MIN, 0, 1, INT64_MAX}, (int64_t[]){4}, 1, EM_INT64),
           "array([-9223372036854775808, 0, 1, 9223372036854775807], dtype=int64)");
    EXPECT(em_array_from_data((bool[]){true, false, false, true}, (int64_t[]){2, 2}, 2, EM_BOOL),
           "array([[True, False],\n       [False, True]], dtype=bool)");
}

static void test_nested(void) {
    EXPECT(iota32((int64_t[]){3, 4}, 2),
           "array([[0, 1, 2, 3],\n       [4, 5, 6, 7],\n       [8, 9, 10, 11]], dtype=int32)");
    EXPECT(iota32((int64_t[]){2, 3, 4}, 3),
           "array([[[0, 1, 2, 3],\n        [4, 5, 6, 7],\n        [8, 9, 10, 11]],\n"
           "       [[12, 13, 14, 15],\n        [16, 17, 18, 19],\n        [20, 21, 22, 23]]], dtype=int32)");
    EXPECT(iota32((int64_t[]){2, 3, 2, 2}, 4),
           "array([[[[0, 1],\n         [2, 3]],\n        [[4, 5],\n         [6, 7]],\n        [[8, 9],\n"
           "         [10, 11]]],\n       [[[12, 13],\n         [14, 15]],\n        [[16, 17],\n"
           "         [18, 19]],\n        [[20, 21],\n         [22, 23]]]], dtype=int32)");
    float q[24];
    for (int i = 0; i < 24; i++) q[i] = (float)i / 4;
    EXPECT(em_array_from_data(q, (int64_t[]){2, 3, 4}, 3, EM_FLOAT32),
           "array([[[0, 0.25, 0.5, 0.75],\n        [1, 1.25, 1.5, 1.75],\n        [2, 2.25, 2.5, 2.75]],\n"
           "       [[3, 3.25, 3.5, 3.75],\n        [4, 4.25, 4.5, 4.75],\n        [5, 5.25, 5.5, 5.75]]], dtype=float32)");
    EXPECT(em_array_from_data((float[]){0}, (int64_t[]){1, 1, 1}, 3, EM_FLOAT32), "array([[[0]]], dtype=float32)");
}

static void test_empty(void) {
    EXPECT(em_array_from_data(NULL, (int64_t[]){0}, 1, EM_FLOAT32), "array([], dtype=float32)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){0}, 1, EM_INT32), "array([], dtype=int32)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){0}, 1, EM_BOOL), "array([], dtype=bool)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){0}, 1, EM_COMPLEX64), "array([], dtype=complex64)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){2, 0}, 2, EM_FLOAT32), "array([[],\n       []], dtype=float32)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){0, 3}, 2, EM_FLOAT32), "array([], dtype=float32)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){3, 2, 0}, 3, EM_FLOAT32),
           "array([[[],\n        []],\n       [[],\n        []],\n       [[],\n        []]], dtype=float32)");
    EXPECT(em_array_from_data(NULL, (int64_t[]){2, 0, 3}, 3, EM_INT64), "array([[],\n       []], dtype=int64)");
    /* external memory that is not there at all */
    EXPECT(em_array_from_external(NULL, (int64_t[]){2, 0}, NULL, 2, EM_FLOAT32, NULL, NULL),
           "array([[],\n       []], dtype=float32)");
}

static void test_summarised(void) {
    EXPECT(iota32((int64_t[]){6}, 1), "array([0, 1, 2, 3, 4, 5], dtype=int32)");
    EXPECT(iota32((int64_t[]){7}, 1), "array([0, 1, 2, ..., 4, 5, 6], dtype=int32)");
    EXPECT(iota32((int64_t[]){10000}, 1), "array([0, 1, 2, ..., 9997, 9998, 9999], dtype=int32)");
    EXPECT(iota32((int64_t[]){1001, 1}, 2),
           "array([[0],\n       [1],\n       [2],\n       ...,\n       [998],\n       [999],\n       [1000]], dtype=int32)");
    EXPECT(iota32((int64_t[]){40, 50}, 2),
           "array([[0, 1, 2, ..., 47, 48, 49],\n       [50, 51, 52, ..., 97, 98, 99],\n"
           "       [100, 101, 102, ..., 147, 148, 149],\n       ...,\n"
           "       [1850, 1851, 1852, ..., 1897, 1898, 1899],\n       [1900, 1901, 1902, ..., 1947, 1948, 1949],\n"
           "       [1950, 1951, 1952, ..., 1997, 1998, 1999]], dtype=int32)");
    EXPECT(iota32((int64_t[]){10, 10, 10}, 3),
           "array([[[0, 1, 2, ..., 7, 8, 9],\n        [10, 11, 12, ..., 17, 18, 19],\n        [20, 21, 22, ..., 27, 28, 29],\n"
           "        ...,\n        [70, 71, 72, ..., 77, 78, 79],\n        [80, 81, 82, ..., 87, 88, 89],\n"
           "        [90, 91, 92, ..., 97, 98, 99]],\n       [[100, 101, 102, ..., 107, 108, 109],\n"
           "        [110, 111, 112, ..., 117, 118, 119],\n        [120, 121, 122, ..., 127, 128, 129],\n        ...,\n"
           "        [170, 171, 172, ..., 177, 178, 179],\n        [180, 181, 182, ..., 187, 188, 189],\n"
           "        [190, 191, 192, ..., 197, 198, 199]],\n       [[200, 201, 202, ..., 207, 208, 209],\n"
           "        [210, 211, 212, ..., 217, 218, 219],\n        [220, 221, 222, ..., 227, 228, 229],\n        ...,\n"
           "        [270, 271, 272, ..., 277, 278, 279],\n        [280, 281, 282, ..., 287, 288, 289],\n"
           "        [290, 291, 292, ..., 297, 298, 299]],\n       ...,\n       [[700, 701, 702, ..., 707, 708, 709],\n"
           "        [710, 711, 712, ..., 717, 718, 719],\n        [720, 721, 722, ..., 727, 728, 729],\n        ...,\n"
           "        [770, 771, 772, ..., 777, 778, 779],\n        [780, 781, 782, ..., 787, 788, 789],\n"
           "        [790, 791, 792, ..., 797, 798, 799]],\n       [[800, 801, 802, ..., 807, 808, 809],\n"
           "        [810, 811, 812, ..., 817, 818, 819],\n        [820, 821, 822, ..., 827, 828, 829],\n        ...,\n"
           "        [870, 871, 872, ..., 877, 878, 879],\n        [880, 881, 882, ..., 887, 888, 889],\n"
           "        [890, 891, 892, ..., 897, 898, 899]],\n       [[900, 901, 902, ..., 907, 908, 909],\n"
           "        [910, 911, 912, ..., 917, 918, 919],\n        [920, 921, 922, ..., 927, 928, 929],\n        ...,\n"
           "        [970, 971, 972, ..., 977, 978, 979],\n        [980, 981, 982, ..., 987, 988, 989],\n"
           "        [990, 991, 992, ..., 997, 998, 999]]], dtype=int32)");
    float h[49];
    for (int i = 0; i < 49; i++) h[i] = (float)i * 0.5f;
    EXPECT(em_array_from_data(h, (int64_t[]){7, 7}, 2, EM_FLOAT32),
           "array([[0, 0.5, 1, ..., 2, 2.5, 3],\n       [3.5, 4, 4.5, ..., 5.5, 6, 6.5],\n"
           "       [7, 7.5, 8, ..., 9, 9.5, 10],\n       ...,\n       [14, 14.5, 15, ..., 16, 16.5, 17],\n"
           "       [17.5, 18, 18.5, ..., 19.5, 20, 20.5],\n       [21, 21.5, 22, ..., 23, 23.5, 24]], dtype=float32)");
    const float P[8] = {0.1f, 0.25f, 3, 1.0f / 3, 65504, 1e-5f, -2.5f, 1e10f};
    EXPECT(f32(P, 8), "array([0.1, 0.25, 3, ..., 1e-05, -2.5, 1e+10], dtype=float32)");
    EXPECT(half_from(P, 8, EM_FLOAT16), "array([0.0999756, 0.25, 3, ..., 1.00136e-05, -2.5, inf], dtype=float16)");
    EXPECT(c64((float[]){1, 2, 3, -4, 0, 0, -1.5f, 0.25f, 0, -0.0f, NAN, -NAN, 1, -INFINITY}, 7),
           "array([1+2j, 3-4j, 0+0j, ..., 0+-0j, nan+-nanj, 1-infj], dtype=complex64)");
}

/* Views print through their strides. */
static void test_views(void) {
    int32_t v[12];
    for (int i = 0; i < 12; i++) v[i] = i;
    /* MLX: mx.arange(12).reshape(3, 4).T */
    EXPECT(em_array_from_external(v, (int64_t[]){4, 3}, (int64_t[]){1, 4}, 2, EM_INT32, NULL, NULL),
           "array([[0, 4, 8],\n       [1, 5, 9],\n       [2, 6, 10],\n       [3, 7, 11]], dtype=int32)");
    /* reversed rows (negative strides) */
    EXPECT(em_array_from_external(v + 8, (int64_t[]){3, 4}, (int64_t[]){-4, 1}, 2, EM_INT32, NULL, NULL),
           "array([[8, 9, 10, 11],\n       [4, 5, 6, 7],\n       [0, 1, 2, 3]], dtype=int32)");
    em_array *row = em_array_from_data((int32_t[]){1, 2, 3}, (int64_t[]){3}, 1, EM_INT32);
    EXPECT(em_broadcast_to(row, (int64_t[]){4, 3}, 2),
           "array([[1, 2, 3],\n       [1, 2, 3],\n       [1, 2, 3],\n       [1, 2, 3]], dtype=int32)");
    em_array_release(row);
}

/* Printing is an implicit evaluation. */
static void test_lazy(void) {
    em_array *a = f32((float[]){1, 2}, 2), *b = f32((float[]){10, 20}, 2);
    em_array *c = em_add(a, b);
    CHECK(c && !em_array_is_evaluated(c));
    char *s = em_array_to_string(c);
    CHECK(s && strcmp(s, "array([11, 22], dtype=float32)") == 0);
    CHECK(em_array_is_evaluated(c));
    em_free(s);
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
}

static void test_precision(void) {
    const float X[8] = {0.1f, -2.5f, 3, 1.0f / 3, 12345.678f, NAN, -INFINITY, -0.0f};
    const float Z[4] = {1, 2, 1.0f / 3, -0.5f};
    em_set_print_precision(0);
    EXPECT(f32(X, 8), "array([0, -2, 3, ..., nan, -inf, -0], dtype=float32)");
    EXPECT(c64(Z, 2), "array([1+2j, 0-0j], dtype=complex64)");
    EXPECT(em_array_from_data((int16_t[]){1, 2}, (int64_t[]){2}, 1, EM_INT16), "array([1, 2], dtype=int16)");
    EXPECT(f64((double[]){1.0 / 3, -2.5}, 2), "array([0, -2], dtype=float64)");
    em_set_print_precision(1);
    EXPECT(f32(X, 8), "array([0.1, -2.5, 3.0, ..., nan, -inf, -0.0], dtype=float32)");
    EXPECT(c64(Z, 2), "array([1.0+2.0j, 0.3-0.5j], dtype=complex64)");
    em_set_print_precision(3);
    EXPECT(f32(X, 8), "array([0.100, -2.500, 3.000, ..., nan, -inf, -0.000], dtype=float32)");
    EXPECT(c64(Z, 2), "array([1.000+2.000j, 0.333-0.500j], dtype=complex64)");
    EXPECT(em_array_from_double(1.0 / 3, EM_FLOAT32), "array(0.333, dtype=float32)");
    EXPECT(f64((double[]){1.0 / 3, -2.5}, 2), "array([0.333, -2.500], dtype=float64)");
    EXPECT(half_from((float[]){1.0f / 3, -2.5f}, 2, EM_FLOAT16), "array([0.333, -2.500], dtype=float16)");
    EXPECT(half_from((float[]){1.0f / 3, -2.5f}, 2, EM_BFLOAT16), "array([0.334, -2.500], dtype=bfloat16)");
    EXPECT(em_array_from_data((bool[]){true}, (int64_t[]){1}, 1, EM_BOOL), "array([True], dtype=bool)");
    em_set_print_precision(8);
    EXPECT(f32(X, 8), "array([0.10000000, -2.50000000, 3.00000000, ..., nan, -inf, -0.00000000], dtype=float32)");
    EXPECT(c64(Z, 2), "array([1.00000000+2.00000000j, 0.33333334-0.50000000j], dtype=complex64)");
    EXPECT(f64((double[]){1.0 / 3, -2.5}, 2), "array([0.33333333, -2.50000000], dtype=float64)");
    EXPECT(half_from((float[]){1.0f / 3, -2.5f}, 2, EM_FLOAT16), "array([0.33325195, -2.50000000], dtype=float16)");
    em_set_print_precision(20);
    EXPECT(f32((float[]){0.1f, 12345.678f}, 2),
           "array([0.10000000149011611938, 12345.67773437500000000000], dtype=float32)");
    em_set_print_precision(2);
    EXPECT(f32((float[]){1e38f, -1e20f}, 2),
           "array([99999996802856924650656260769173209088.00, -100000002004087734272.00], dtype=float32)");
    /* any negative precision other than -1 is fixed with 6 digits */
    em_set_print_precision(-5);
    EXPECT(f32(X, 8), "array([0.100000, -2.500000, 3.000000, ..., nan, -inf, -0.000000], dtype=float32)");
    EXPECT(c64(Z, 2), "array([1.000000+2.000000j, 0.333333-0.500000j], dtype=complex64)");
    em_set_print_precision(-1);
    EXPECT(f32(X, 8), "array([0.1, -2.5, 3, ..., nan, -inf, -0], dtype=float32)");
    EXPECT(c64(Z, 2), "array([1+2j, 0.333333-0.5j], dtype=complex64)");
}

static void test_errors(void) {
    em_error_clear();
    CHECK(em_array_to_string(NULL) == NULL && em_error_code() == EM_ERR_NULL);
    CHECK(strstr(em_error_message(), "[array_to_string]") != NULL);
    em_error_clear();
    /* an evaluation that fails: its error comes back, nothing is printed */
    em_array *one = em_array_from_double(1, EM_FLOAT32);
    em_array *big = em_broadcast_to(one, (int64_t[]){1 << 20}, 1);
    em_array *sum = em_add(big, big);
    size_t old = em_set_memory_limit(1 << 20);
    CHECK(em_array_to_string(sum) == NULL && em_error_code() == EM_ERR_MEMORY);
    em_set_memory_limit(old);
    em_error_clear();
    em_array_release(sum);
    em_array_release(big);
    em_array_release(one);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_scalars();
    test_floats();
    test_special_values();
    test_complex();
    test_integers();
    test_nested();
    test_empty();
    test_summarised();
    test_views();
    test_lazy();
    test_precision();
    test_errors();
    CHECK(em_live_arrays() == live);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
