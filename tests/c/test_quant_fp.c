/* test_quant_fp.c -- the floating-point quantisation modes through the C
 * API: em_quantize's codes and scales for mxfp4, mxfp8 and nvfp4 (with and
 * without a global scale) bit for bit against MLX's (recorded from mlx 0.32
 * for a fixed matrix), em_dequantize against an independent decoding, the
 * quantized matmul (both orientations) and em_qqmm / em_gather_qqmm against
 * loops over the decoded matrices, and the errors (codes, MLX's messages,
 * NULL handles). */
#include "check.h"

static const uint32_t Q_MXFP4[] = {
    1164338480u, 3740195985u, 1449546507u, 4008561172u, 1717907645u, 4007436613u,
    1716718558u, 3989443670u, 3106166373u, 701361901u,  2454021716u, 2631855836u,
    609641794u,  3454987721u, 1164334121u, 3740195986u};
static const uint8_t S_MXFP4[] = {126, 126, 126, 126};
static const uint32_t Q_MXFP8[] = {
    1987275776u, 1886746488u, 4126205028u, 4093049079u, 1936473835u, 1970763894u, 4058276720u,
    4143511541u, 1816587251u, 2004383347u, 3848499317u, 4176999921u, 1256977398u, 2021028716u,
    1651537271u, 4160090597u, 1987606645u, 4007291250u, 4160288756u, 1759375348u, 2021160562u,
    3681120886u, 4176999662u, 3706647799u, 2021028457u, 1769109112u, 4160024284u, 4009031672u,
    1987209691u, 1920366712u, 4109294953u, 4109891831u};
static const uint8_t S_MXFP8[] = {120, 120, 120, 120};
static const uint32_t Q_NVFP4[] = {
    1450669632u, 4026527138u, 1735877644u, 4294892069u, 2004238542u, 4293763670u,
    2003045615u, 4275709287u, 3644221302u, 970915838u,  2472965989u, 2649751533u,
    912750163u,  3741318873u, 1450665529u, 4026527123u};
static const uint8_t S_NVFP4[] = {43, 43, 43, 43, 43, 43, 43, 43};
static const uint32_t Q_NVFP4_GS[] = {
    2004318064u, 4294967270u, 2004317967u, 4294966887u, 2004316671u, 4294960759u,
    2004295679u, 4294862711u, 4235687799u, 2097151999u, 3346495351u, 3489660927u,
    2004318071u, 4294967292u, 2004318076u, 4294967239u};
static const uint8_t S_NVFP4_GS[] = {126, 126, 126, 126, 126, 126, 126, 126};

static em_array *fixed_w(void) {
    float w[128];
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 64; i++) w[r * 64 + i] = (float)(sin(i * 0.37 + r) * 2.0);
    return em_array_from_data(w, (int64_t[]){2, 64}, 2, EM_FLOAT32);
}

/* Independent decoders: fp4 e2m1, fp8 e4m3 (by formula), e8m0 and e4m3 scales. */
static double fp4(unsigned c) {
    static const double v[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    return c & 8 ? -v[c & 7] : v[c & 7];
}
static double e4m3(unsigned c) {
    int e = (int)(c >> 3) & 15, m = (int)c & 7;
    double a = e == 0 ? m * pow(2, -9) : (1 + m / 8.0) * pow(2, e - 7);
    return c & 0x80 ? -a : a;
}
static double e8m0(unsigned c) { return pow(2, (int)c - 127); }

typedef struct {
    const char *mode;
    int gs, bits;
    const uint32_t *q;
    const uint8_t *s;
} fp_case;

static const fp_case CASES[] = {{"mxfp4", 32, 4, Q_MXFP4, S_MXFP4},
                                {"mxfp8", 32, 8, Q_MXFP8, S_MXFP8},
                                {"nvfp4", 16, 4, Q_NVFP4, S_NVFP4}};

/* The value element i of row r stands for, decoded by hand. */
static double decoded(const fp_case *c, const uint32_t *q, const uint8_t *s, int r, int i) {
    int nw = 64 * c->bits / 32, ng = 64 / c->gs;
    int bit = i * c->bits;
    unsigned code = (q[r * nw + bit / 32] >> (bit % 32)) & ((1u << c->bits) - 1u);
    double scale = c->gs == 16 ? e4m3(s[r * ng + i / c->gs]) : e8m0(s[r * ng + i / c->gs]);
    return (c->bits == 4 ? fp4(code) : e4m3(code)) * scale;
}

static void test_modes(void) {
    em_array *w = fixed_w();
    for (int k = 0; k < 3; k++) {
        const fp_case *c = &CASES[k];
        em_array *out[3] = {NULL, NULL, NULL};
        int n = 0, nw = 64 * c->bits / 32, ng = 64 / c->gs;
        em_error_clear();
        CHECK(em_quantize(w, 0, 0, c->mode, NULL, out, &n) == EM_OK && n == 2);
        CHECK(check_shape(out[0], 2, (int64_t[]){2, nw}) && em_array_dtype(out[0]) == EM_UINT32);
        CHECK(check_shape(out[1], 2, (int64_t[]){2, ng}) && em_array_dtype(out[1]) == EM_UINT8);
        uint32_t q[32];
        uint8_t s[8];
        CHECK(em_array_copy_to(out[0], EM_UINT32, q, sizeof(uint32_t) * 2 * (size_t)nw) == EM_OK);
        CHECK(em_array_copy_to(out[1], EM_UINT8, s, (size_t)(2 * ng)) == EM_OK);
        CHECK(memcmp(q, c->q, sizeof(uint32_t) * 2 * (size_t)nw) == 0);
        CHECK(memcmp(s, c->s, (size_t)(2 * ng)) == 0);
        /* dequantize: bfloat16 by default, exact in float32 */
        em_array *d16 = em_dequantize(out[0], out[1], NULL, 0, 0, c->mode, NULL, EM_FLOAT32, false);
        CHECK(d16 && em_array_dtype(d16) == EM_BFLOAT16);
        em_array *d = em_dequantize(out[0], out[1], NULL, 0, 0, c->mode, NULL, EM_FLOAT32, true);
        double *dv = check_values(d);
        int bad = 0;
        for (int r = 0; r < 2; r++)
            for (int i = 0; i < 64; i++) bad += !dv || dv[r * 64 + i] != decoded(c, q, s, r, i);
        CHECK(bad == 0);
        /* x @ W^T and x^T-shaped products against loops over the decoded W */
        float xv[3 * 64], xt[3 * 2];
        for (int i = 0; i < 3 * 64; i++) xv[i] = (float)cos(i * 0.11);
        for (int i = 0; i < 6; i++) xt[i] = (float)(i - 2);
        em_array *x = em_array_from_data(xv, (int64_t[]){3, 64}, 2, EM_FLOAT32);
        em_array *xta = em_array_from_data(xt, (int64_t[]){3, 2}, 2, EM_FLOAT32);
        em_array *y = em_quantized_matmul(x, out[0], out[1], NULL, true, 0, 0, c->mode);
        em_array *yt = em_quantized_matmul(xta, out[0], out[1], NULL, false, 0, 0, c->mode);
        CHECK(check_shape(y, 2, (int64_t[]){3, 2}) && check_shape(yt, 2, (int64_t[]){3, 64}));
        double *yv = check_values(y), *ytv = check_values(yt);
        bad = 0;
        for (int m = 0; m < 3; m++) {
            for (int r = 0; r < 2; r++) {
                double ref = 0;
                for (int i = 0; i < 64; i++) ref += xv[m * 64 + i] * decoded(c, q, s, r, i);
                bad += !yv || fabs(yv[m * 2 + r] - ref) > 1e-4 * (1 + fabs(ref));
            }
            for (int i = 0; i < 64; i++) {
                double ref = xt[m * 2] * decoded(c, q, s, 0, i) + xt[m * 2 + 1] * decoded(c, q, s, 1, i);
                bad += !ytv || fabs(ytv[m * 64 + i] - ref) > 1e-4 * (1 + fabs(ref));
            }
        }
        CHECK(bad == 0);
        /* qqmm: x quantized on the fly; w raw or packed alike */
        em_array *qa = em_qqmm(x, w, NULL, 0, 0, c->mode, NULL, NULL);
        em_array *qb = em_qqmm(x, out[0], out[1], 0, 0, c->mode, NULL, NULL);
        CHECK(qa && qb && check_shape(qa, 2, (int64_t[]){3, 2}));
        double *qav = check_values(qa), *qbv = check_values(qb);
        CHECK(qav && qbv && memcmp(qav, qbv, 6 * sizeof(double)) == 0);
        /* gather_qqmm with w as a batch of one expert */
        int64_t one[3] = {1, 2, 64};
        em_array *w3 = em_reshape(w, one, 3);
        uint32_t idx0 = 0;
        em_array *ri = em_array_from_data(&idx0, (int64_t[]){1}, 1, EM_UINT32);
        em_array *gq = em_gather_qqmm(x, w3, NULL, NULL, ri, 0, 0, c->mode, NULL, NULL, false);
        double *gqv = check_values(gq);
        CHECK(gq && check_shape(gq, 3, (int64_t[]){1, 3, 2}) && gqv && memcmp(gqv, qav, 6 * sizeof(double)) == 0);
        free(gqv);
        free(qav);
        free(qbv);
        free(yv);
        free(ytv);
        free(dv);
        em_array *rel[] = {d16, d, x, xta, y, yt, qa, qb, w3, ri, gq, out[0], out[1]};
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) em_array_release(rel[i]);
    }
    /* nvfp4 with a global scale */
    float g = 0.5f;
    em_array *ga = em_array_from_data(&g, NULL, 0, EM_FLOAT32), *out[3] = {NULL, NULL, NULL};
    int n = 0;
    CHECK(em_quantize(w, 16, 4, "nvfp4", ga, out, &n) == EM_OK && n == 2);
    uint32_t q[16];
    uint8_t s[8];
    CHECK(em_array_copy_to(out[0], EM_UINT32, q, sizeof q) == EM_OK &&
          em_array_copy_to(out[1], EM_UINT8, s, sizeof s) == EM_OK);
    CHECK(memcmp(q, Q_NVFP4_GS, sizeof q) == 0 && memcmp(s, S_NVFP4_GS, sizeof s) == 0);
    em_array *d = em_dequantize(out[0], out[1], NULL, 16, 4, "nvfp4", ga, EM_FLOAT32, true);
    double *dv = check_values(d);
    fp_case c = {"nvfp4", 16, 4, q, s};
    int bad = 0;
    for (int i = 0; i < 128; i++)
        bad += !dv || fabs(dv[i] - decoded(&c, q, s, i / 64, i % 64) * (0.5 / 2688.0)) > 1e-7 * fabs(dv[i]);
    CHECK(bad == 0);
    free(dv);
    em_array_release(d);
    em_array_release(out[0]);
    em_array_release(out[1]);
    em_array_release(ga);
    em_array_release(w);
}

static void test_errors(void) {
    em_array *w = fixed_w(), *out[3] = {NULL, NULL, NULL};
    int n = 0;
    em_error_clear();
    CHECK(em_quantize(w, 64, 0, "mxfp4", NULL, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[quantize] mxfp4 quantization requires group size 32 but got 64."));
    em_error_clear();
    CHECK(em_quantize(w, 0, 4, "mxfp8", NULL, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[quantize] mxfp8 quantization requires bits to be 8 but got 4."));
    em_error_clear();
    float g2[2] = {1, 2};
    em_array *gbad = em_array_from_data(g2, (int64_t[]){2}, 1, EM_FLOAT32);
    CHECK(em_quantize(w, 0, 0, "nvfp4", gbad, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[quantize] Global scale must be a scalar but got shape (2)."));
    em_error_clear();
    CHECK(em_quantize(w, 0, 0, "mxfp4", gbad, out, &n) == EM_ERR_VALUE &&
          strstr(em_error_message(), "Global scale is only supported for 'nvfp4' quantization mode."));
    em_error_clear();
    CHECK(em_quantize(NULL, 0, 0, "nvfp4", NULL, out, &n) == EM_ERR_NULL);
    em_error_clear();
    CHECK(em_quantize(w, 0, 0, "nvfp4", NULL, out, &n) == EM_OK && n == 2);
    CHECK_ERROR(em_dequantize(out[0], out[1], out[1], 0, 0, "nvfp4", NULL, EM_FLOAT32, false),
                EM_ERR_VALUE, "[dequantize] Biases must be null for quantization mode 'nvfp4'.");
    CHECK_ERROR(em_dequantize(out[0], w, NULL, 0, 0, "nvfp4", NULL, EM_FLOAT32, false), EM_ERR_VALUE,
                "[dequantize] Scale type must be uint8 but received type float32.");
    CHECK_ERROR(em_dequantize(out[0], NULL, NULL, 0, 0, "nvfp4", NULL, EM_FLOAT32, false), EM_ERR_NULL, "");
    em_array *x = em_array_from_data((float[64]){0}, (int64_t[]){2, 32}, 2, EM_FLOAT32);
    CHECK_ERROR(em_quantized_matmul(x, out[0], out[1], NULL, true, 0, 0, "nvfp4"), EM_ERR_VALUE,
                "[quantized_matmul] Last dimension of first input with shape (..., 32)");
    CHECK_ERROR(em_qqmm(x, out[0], NULL, 0, 0, NULL, NULL, NULL), EM_ERR_VALUE,
                "[qqmm] Scales must be provided if second argument is quantized.");
    CHECK_ERROR(em_qqmm(x, w, NULL, 0, 0, NULL, NULL, NULL), EM_ERR_VALUE,
                "[qqmm] Last dimension of first input with shape (2,32) must match last dimension of "
                "second input with shape (2,64).");
    CHECK_ERROR(em_qqmm(NULL, w, NULL, 0, 0, NULL, NULL, NULL), EM_ERR_NULL, "");
    CHECK_ERROR(em_qqmm(x, NULL, NULL, 0, 0, NULL, NULL, NULL), EM_ERR_NULL, "");
    CHECK_ERROR(em_gather_qqmm(NULL, w, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, false), EM_ERR_NULL, "");
    CHECK_ERROR(em_qqmm(x, w, NULL, 0, 0, "mxfp8", gbad, NULL), EM_ERR_VALUE,
                "[qqmm] Global scale is only supported for 'nvfp4' quantization mode.");
    CHECK_ERROR(em_gather_qmm(x, out[0], out[1], NULL, NULL, NULL, true, 0, 0, "nvfp4", gbad, false),
                EM_ERR_VALUE, "[gather_qmm] Global scale is not supported without indices.");
    em_array_release(x);
    em_array_release(gbad);
    em_array_release(out[0]);
    em_array_release(out[1]);
    em_array_release(w);
}

int main(void) {
    test_modes();
    test_errors();
    CHECK(em_live_arrays() == 0);
    CHECK_DONE();
}
