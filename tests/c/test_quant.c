/* test_quant.c -- quantisation through the C API: em_quantize's packed words,
 * scales and biases bit for bit against MLX's (recorded from mlx 0.32 for a
 * fixed matrix), em_dequantize against an independent unpacking, the
 * quantized matmul against a loop over the dequantized matrix (both
 * orientations, the matrix-vector and the panel paths), fp8, and the errors
 * (codes and MLX's messages), NULL handles included. */
#include "check.h"

static const uint32_t Q3[] = {2873360476u, 48627711u,   4294793760u, 3506443567u,
                              2843738090u, 4283860992u, 22212607u,   2147397904u,
                              2290092695u, 1421606901u, 4289479680u, 537044447u};
static const float S3[] = {-0.49823781847953796f, -0.49876314401626587f, 0.4999922215938568f,
                           0.49999961256980896f};
static const uint32_t Q4[] = {1107301208u, 3758091431u, 536950155u,  4294888052u,
                              1267901u,    4293699394u, 19237855u,   4291458080u,
                              1471021055u, 2806124562u, 2061500413u, 1948320036u,
                              2919235546u, 1108349511u, 3758095783u, 553723002u};
static const float S4[] = {-0.24911890923976898f, -0.24938157200813293f, 0.2499961107969284f,
                           0.24999980628490448f};
static const float B34[] = {1.9929512739181519f, 1.9950525760650635f, -1.9999688863754272f,
                            -1.9999984502792358f};

static em_array *fixed_w(void) {
    float w[128];
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 64; i++) w[r * 64 + i] = (float)(sin(i * 0.37 + r) * 2.0);
    return em_array_from_data(w, (int64_t[]){2, 64}, 2, EM_FLOAT32);
}

/* Code i of a packed row, bit by bit. */
static unsigned code_at(const uint32_t *row, int i, int bits) {
    unsigned v = 0;
    for (int k = 0; k < bits; k++) {
        int bit = i * bits + k;
        v |= ((row[bit / 32] >> (bit % 32)) & 1u) << k;
    }
    return v;
}

static void test_bit_identical(void) {
    em_array *w = fixed_w(), *out[3];
    int n = 0;
    for (int bits = 3; bits <= 4; bits++) {
        em_error_clear();
    CHECK(em_quantize(w, 32, bits, "affine", NULL, out, &n) == EM_OK && n == 3);
        int nw = 64 * bits / 32;
        CHECK(check_shape(out[0], 2, (int64_t[]){2, nw}) && em_array_dtype(out[0]) == EM_UINT32);
        CHECK(check_shape(out[1], 2, (int64_t[]){2, 2}) && em_array_dtype(out[2]) == EM_FLOAT32);
        uint32_t q[16];
        float s[4], b[4];
        CHECK(em_array_copy_to(out[0], EM_UINT32, q, sizeof(uint32_t) * 2 * (size_t)nw) == EM_OK);
        CHECK(em_array_copy_to(out[1], EM_FLOAT32, s, sizeof s) == EM_OK);
        CHECK(em_array_copy_to(out[2], EM_FLOAT32, b, sizeof b) == EM_OK);
        CHECK(memcmp(q, bits == 3 ? Q3 : Q4, sizeof(uint32_t) * 2 * (size_t)nw) == 0);
        CHECK(memcmp(s, bits == 3 ? S3 : S4, sizeof s) == 0);
        CHECK(memcmp(b, B34, sizeof b) == 0);
        /* dequantize: scale * code + bias, element by element */
        em_array *d = em_dequantize(out[0], out[1], out[2], 32, bits, NULL, NULL, EM_FLOAT32, false);
        double *dv = check_values(d);
        int bad = 0;
        for (int r = 0; r < 2; r++)
            for (int i = 0; i < 64; i++) {
                float want = s[r * 2 + i / 32] * (float)code_at(q + r * nw, i, bits) + b[r * 2 + i / 32];
                bad += dv[r * 64 + i] != (double)want;
            }
        CHECK(bad == 0);
        /* x @ W^T and y @ W against loops over the dequantized W */
        float x[3 * 64], y[3 * 2];
        for (int i = 0; i < 3 * 64; i++) x[i] = (float)cos(i * 0.11);
        for (int i = 0; i < 6; i++) y[i] = (float)(i - 2.5);
        for (int rows = 1; rows <= 3; rows += 2) {
            em_array *xa = em_array_from_data(x, (int64_t[]){rows, 64}, 2, EM_FLOAT32);
            em_array *p = em_quantized_matmul(xa, out[0], out[1], out[2], true, 32, bits, "affine");
            CHECK(check_shape(p, 2, (int64_t[]){rows, 2}));
            double *pv = check_values(p);
            for (int m = 0; m < rows; m++)
                for (int r = 0; r < 2; r++) {
                    double acc = 0;
                    for (int k = 0; k < 64; k++) acc += (double)x[m * 64 + k] * dv[r * 64 + k];
                    CHECK_CLOSE(pv[m * 2 + r], acc, 1e-5);
                }
            free(pv);
            em_array_release(p);
            em_array_release(xa);
        }
        em_array *ya = em_array_from_data(y, (int64_t[]){3, 2}, 2, EM_FLOAT32);
        em_array *p = em_quantized_matmul(ya, out[0], out[1], out[2], false, 32, bits, "affine");
        CHECK(check_shape(p, 2, (int64_t[]){3, 64}));
        double *pv = check_values(p);
        for (int m = 0; m < 3; m++)
            for (int k = 0; k < 64; k++)
                CHECK_CLOSE(pv[m * 64 + k], y[m * 2] * dv[k] + y[m * 2 + 1] * dv[64 + k], 1e-5);
        free(pv);
        free(dv);
        em_array_release(p);
        em_array_release(ya);
        em_array_release(d);
        for (int i = 0; i < 3; i++) em_array_release(out[i]);
    }
    /* gather_qmm over a stack of the same matrix, picked twice: rows of x @ W^T */
    {
        CHECK(em_quantize(w, 32, 4, NULL, NULL, out, &n) == EM_OK);
        em_array *st[3], *e[3];
        for (int i = 0; i < 3; i++) {
            int ax = 0;
            e[i] = em_expand_dims(out[i], &ax, 1);
            const em_array *two[2] = {e[i], e[i]};
            st[i] = em_concatenate(two, 2, 0);
        }
        float x[64];
        for (int i = 0; i < 64; i++) x[i] = (float)(i % 7) - 3.0f;
        em_array *xa = em_array_from_data(x, (int64_t[]){1, 64}, 2, EM_FLOAT32);
        int32_t idx[2] = {1, 0};
        em_array *ia = em_array_from_data(idx, (int64_t[]){2}, 1, EM_INT32);
        em_array *g = em_gather_qmm(xa, st[0], st[1], st[2], NULL, ia, true, 32, 4, "affine", NULL, false);
        em_array *p = em_quantized_matmul(xa, out[0], out[1], out[2], true, 32, 4, "affine");
        CHECK(check_shape(g, 3, (int64_t[]){2, 1, 2}));
        double *gv = check_values(g), *pv = check_values(p);
        for (int i = 0; i < 4; i++) CHECK_CLOSE(gv[i], pv[i % 2], 1e-5);
        free(gv);
        free(pv);
        em_array_release(g);
        em_array_release(p);
        em_array_release(ia);
        em_array_release(xa);
        for (int i = 0; i < 3; i++) {
            em_array_release(st[i]);
            em_array_release(e[i]);
            em_array_release(out[i]);
        }
    }
    em_array_release(w);
    CHECK_NO_ERROR();
}

static void test_fp8(void) {
    float v[] = {0.0f, 1.0f, -3.0f, 448.0f, 1e6f, 0.001f, 1.0625f};
    uint8_t want[] = {0, 56, 196, 126, 126, 1, 56}; /* mlx 0.32 */
    em_array *a = em_array_from_data(v, (int64_t[]){7}, 1, EM_FLOAT32);
    em_array *c = em_to_fp8(a);
    uint8_t got[7];
    CHECK(em_array_dtype(c) == EM_UINT8 && em_array_copy_to(c, EM_UINT8, got, 7) == EM_OK);
    CHECK(memcmp(got, want, 7) == 0);
    em_array *back = em_from_fp8(c, EM_FLOAT32);
    double *bv = check_values(back);
    CHECK(bv && bv[1] == 1.0 && bv[2] == -3.0 && bv[3] == 448.0);
    free(bv);
    CHECK_ERROR(em_from_fp8(a, EM_FLOAT32), EM_ERR_VALUE,
                "[from_fp8] Input must have type uint8 but x.dtype() == float32.");
    em_array_release(back);
    em_array_release(c);
    em_array_release(a);
}

static void test_errors(void) {
    em_array *w = fixed_w(), *out[3];
    int n = 0;
    em_error_clear();
    em_error_clear();
    CHECK(em_quantize(w, 32, 7, NULL, NULL, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[quantize] The requested number of bits 7 is not supported."));
    em_error_clear();
    CHECK(em_quantize(w, 16, 4, NULL, NULL, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "The supported group sizes are 32, 64, and 128."));
    em_error_clear();
    CHECK(em_quantize(w, 128, 4, NULL, NULL, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "matrix has shape (2,64)"));
    em_error_clear();
    CHECK(em_quantize(w, 32, 4, "foo", NULL, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[quantize] Invalid quantization mode 'foo'."));
    em_error_clear();
    CHECK(em_quantize(NULL, 32, 4, NULL, NULL, out, &n) == EM_ERR_NULL);
    em_error_clear();
    CHECK(em_quantize(w, 32, 4, NULL, NULL, NULL, &n) == EM_ERR_NULL);
    em_error_clear();
    CHECK(em_quantize(w, 32, 4, NULL, NULL, out, NULL) == EM_ERR_NULL);
    em_error_clear();
    em_error_clear();
    CHECK(em_quantize(w, 32, 4, NULL, NULL, out, &n) == EM_OK);
    em_array *x = em_array_from_data((float[64]){0}, (int64_t[]){1, 63}, 2, EM_FLOAT32);
    CHECK_ERROR(em_quantized_matmul(x, out[0], out[1], out[2], true, 32, 4, NULL), EM_ERR_VALUE,
                "[quantized_matmul] Last dimension of first input with shape (..., 63)");
    CHECK_ERROR(em_quantized_matmul(x, out[0], out[1], NULL, true, 32, 4, NULL), EM_ERR_VALUE,
                "Biases must be provided for affine quantization.");
    CHECK_ERROR(em_quantized_matmul(NULL, out[0], out[1], out[2], true, 32, 4, NULL), EM_ERR_NULL, "");
    CHECK_ERROR(em_quantized_matmul(x, out[0], out[1], out[2], true, 64, 4, NULL), EM_ERR_VALUE,
                "The shapes of the weight and scales are incompatible");
    CHECK_ERROR(em_dequantize(out[0], out[1], out[2], 32, 8, NULL, NULL, EM_FLOAT32, false),
                EM_ERR_VALUE, "Shape of scales and biases does not match");
    CHECK_ERROR(em_dequantize(w, out[1], out[2], 32, 4, NULL, NULL, EM_FLOAT32, false), EM_ERR_VALUE,
                "[dequantize] The matrix should be given as a uint32");
    CHECK_ERROR(em_dequantize(out[0], out[1], out[2], 32, 4, NULL, NULL, EM_INT32, true), EM_ERR_VALUE,
                "Only real floating types are supported but output dtype == int32.");
    CHECK_ERROR(em_dequantize(out[0], NULL, out[2], 32, 4, NULL, NULL, EM_FLOAT32, false), EM_ERR_NULL, "");
    CHECK_ERROR(em_to_fp8(NULL), EM_ERR_NULL, "");
    CHECK_ERROR(em_gather_qmm(NULL, out[0], out[1], out[2], NULL, NULL, true, 32, 4, NULL, NULL, false),
                EM_ERR_NULL, "");
    em_array *fi = em_array_from_data((float[]){0.5f}, (int64_t[]){1}, 1, EM_FLOAT32);
    CHECK_ERROR(em_gather_qmm(x, out[0], out[1], out[2], NULL, fi, true, 32, 4, NULL, NULL, false),
                EM_ERR_VALUE, "[gather_qmm] Got indices with invalid dtype. Indices must be integral.");
    em_array_release(fi);
    for (int i = 0; i < 3; i++) em_array_release(out[i]);
    em_array_release(x);
    em_array_release(w);
}

int main(void) {
    test_bit_identical();
    test_fp8();
    test_errors();
    CHECK(em_live_arrays() == 0);
    CHECK_DONE();
}
