/* test_unary.c -- the unary elementwise ops: float values against double
 * libm in ulps, float16/bfloat16 exhaustively, special values, integer and
 * bool semantics, complex values against NumPy, result dtypes, broadcast and
 * strided inputs, the vectorised loops against the scalar ones bit for bit,
 * and errors. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "backend/cpu/simd.h"
#include "core/node.h"
#include "ew_util.h"

typedef em_array *(*unary_op)(const em_array *);

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_rsqrt(double x) { return 1.0 / sqrt(x); }
static double ref_square(double x) { return x * x; }
static double ref_reciprocal(double x) { return 1.0 / x; }
static double ref_sign(double x) { return x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x; }
static double ref_neg(double x) { return -x; }
/* erfinv by bisection over the bit patterns of doubles, on libm's erf (erfc
 * above 1/2): independent of the library's own. */
static bool erf_below(double x, double ay) { return ay < 0.5 ? erf(x) < ay : erfc(x) > 1 - ay; }
static double ref_erfinv(double y) {
    if (isnan(y) || fabs(y) > 1) return NAN;
    if (fabs(y) == 1) return copysign(INFINITY, y);
    if (y == 0) return y;
    double ay = fabs(y);
    uint64_t lo = 0, hi = ew_f64_bits(30.0);
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        double m;
        memcpy(&m, &mid, 8);
        if (erf_below(m, ay)) lo = mid;
        else hi = mid;
    }
    double a, b;
    memcpy(&a, &lo, 8);
    memcpy(&b, &hi, 8);
    return copysign(0.5 * (a + b), y);
}

typedef struct {
    const char *name;
    unary_op op;
    double (*ref)(double);
    double lo, hi;  /* where most inputs are drawn */
    double tol;     /* float32 ulps */
} acc_case;

static const acc_case acc_cases[] = {
    {"exp", em_exp, exp, -110, 95, 2},
    {"log", em_log, log, 0, 100, 2},
    {"tanh", em_tanh, tanh, -12, 12, 2},
    {"sigmoid", em_sigmoid, ref_sigmoid, -110, 110, 3},
    {"erf", em_erf, erf, -5, 5, 2},
    {"erfinv", em_erfinv, ref_erfinv, -1, 1, 4},
    {"expm1", em_expm1, expm1, -20, 20, 2},
    {"log1p", em_log1p, log1p, -1, 10, 2},
    {"log2", em_log2, log2, 0, 100, 2},
    {"log10", em_log10, log10, 0, 100, 2},
    {"sqrt", em_sqrt, sqrt, 0, 100, 0.5},
    {"rsqrt", em_rsqrt, ref_rsqrt, 0, 100, 1.5},
    {"square", em_square, ref_square, -100, 100, 0.5},
    {"reciprocal", em_reciprocal, ref_reciprocal, -100, 100, 0.5},
    {"sin", em_sin, sin, -10, 10, 2},
    {"cos", em_cos, cos, -10, 10, 2},
    {"tan", em_tan, tan, -10, 10, 2},
    {"arcsin", em_arcsin, asin, -1, 1, 2},
    {"arccos", em_arccos, acos, -1, 1, 2},
    {"arctan", em_arctan, atan, -10, 10, 2},
    {"sinh", em_sinh, sinh, -10, 10, 2},
    {"cosh", em_cosh, cosh, -10, 10, 2},
    {"arcsinh", em_arcsinh, asinh, -10, 10, 2},
    {"arccosh", em_arccosh, acosh, 1, 10, 2},
    {"arctanh", em_arctanh, atanh, -1, 1, 2},
    {"sign", em_sign, ref_sign, -2, 2, 0},
    {"negative", em_negative, ref_neg, -2, 2, 0},
    {"abs", em_abs, fabs, -2, 2, 0},
    {"floor", em_floor, floor, -10, 10, 0},
    {"ceil", em_ceil, ceil, -10, 10, 0},
    /* float32 trigonometry (scalar_trig.h): the bounds measured over every input, and wider ranges */
    {"sin (bound)", em_sin, sin, -4e5, 4e5, 1.6},
    {"cos (bound)", em_cos, cos, -4e5, 4e5, 1.6},
    {"tan (bound)", em_tan, tan, -4e5, 4e5, 1.6},
    {"arcsin (bound)", em_arcsin, asin, -1, 1, 1.2},
    {"arccos (bound)", em_arccos, acos, -1, 1, 1.2},
    {"arctan (bound)", em_arctan, atan, -3, 3, 1.4},
};
#define N_ACC (sizeof acc_cases / sizeof acc_cases[0])

static const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 0.5f, -0.5f,
                                 FLT_MIN, -FLT_MIN, 0x1p-149f, -0x1p-149f, FLT_MAX, -FLT_MAX,
                                 0.625f, -0.625f, 1e-30f, 88.72f, 89.0f, -103.9f, -104.0f,
                                 0.99999994f, -0.99999994f, 4.0f, 3.9f};
#define N_SPECIAL (sizeof specials / sizeof specials[0])

/* n float32 inputs: specials, then a range of interest, then random bits. */
static float *make_inputs(int64_t n, double lo, double hi, uint64_t seed) {
    float *x = malloc((size_t)n * sizeof *x);
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        if (i < (int64_t)N_SPECIAL) x[i] = specials[i];
        else if (i < n * 3 / 4) x[i] = (float)ew_uniform(&s, lo, hi);
        else x[i] = ew_bits_f32((uint32_t)ew_rand(&s));
    }
    return x;
}

static void test_float32_accuracy(void) {
    const int64_t n = 1 << 17;
    for (size_t c = 0; c < N_ACC; c++) {
        const acc_case *k = &acc_cases[c];
        em_scope_begin();
        float *x = make_inputs(n, k->lo, k->hi, 12345 + c);
        em_array *a = ew_vec(x, n, EM_FLOAT32);
        em_array *r = k->op(a);
        CHECK(ew_is(r, EM_FLOAT32, n));
        const float *y = ew_raw(r);
        double worst = 0;
        float wx = 0, wy = 0;
        for (int64_t i = 0; y && i < n; i++) {
            double u = ew_ulps_f32(y[i], k->ref(x[i]));
            if (u > worst) worst = u, wx = x[i], wy = y[i];
        }
        CHECK_MSG(y && worst <= k->tol, "%s float32: %.2f ulps at %a (got %a, want %.9g)", k->name,
                  worst, wx, wy, k->ref(wx));
        em_scope_end();
        free(x);
    }
}

/* float64: libm is the definition for most; sigmoid and erfinv are ours. */
static void test_float64_accuracy(void) {
    const int64_t n = 1 << 14;
    for (size_t c = 0; c < N_ACC; c++) {
        const acc_case *k = &acc_cases[c];
        em_scope_begin();
        double *x = malloc((size_t)n * sizeof *x);
        uint64_t s = 777 + c;
        for (int64_t i = 0; i < n; i++)
            x[i] = i < (int64_t)N_SPECIAL ? specials[i] : ew_uniform(&s, k->lo, k->hi);
        em_array *a = ew_vec(x, n, EM_FLOAT64);
        em_array *r = k->op(a);
        CHECK(ew_is(r, EM_FLOAT64, n));
        const double *y = ew_raw(r);
        double tol = k->op == em_sigmoid ? 4 : k->op == em_erfinv ? 8 : k->op == em_rsqrt ? 1.5 : 0;
        double worst = 0, wx = 0;
        for (int64_t i = 0; y && i < n; i++) {
            double u = ew_ulps_f64(y[i], k->ref(x[i]));
            if (u > worst) worst = u, wx = x[i];
        }
        CHECK_MSG(y && worst <= tol, "%s float64: %.2f ulps at %a", k->name, worst, wx);
        em_scope_end();
        free(x);
    }
}

/* erfinv(erf(x)) == x, within what the rounding of erf(x) allows. */
static void test_erfinv_roundtrip(void) {
    const int64_t n = 2000;
    double xs[2000];
    for (int64_t i = 0; i < n; i++) xs[i] = -5.9 + 11.8 * (double)i / (double)(n - 1);
    em_array *x = ew_vec(xs, n, EM_FLOAT64);
    em_array *r = em_erfinv(em_erf(x));
    const double *y = ew_raw(r);
    for (int64_t i = 0; y && i < n; i++) {
        double ey = erf(xs[i]);
        double slope = 1.1283791670955126 * exp(-xs[i] * xs[i]); /* 2/sqrt(pi) e^{-x^2} */
        double tol = 4 * DBL_EPSILON * fabs(xs[i]) + DBL_EPSILON * fabs(ey) / slope;
        if (ey == 1 || ey == -1) continue; /* erf(x) rounded to +-1: erfinv is +-inf */
        CHECK_MSG(fabs(y[i] - xs[i]) <= tol, "erfinv(erf(%.17g)) = %.17g", xs[i], y[i]);
    }
    float fx[3] = {0.5f, -0.9f, 0.999f};
    em_array *f = ew_vec(fx, 3, EM_FLOAT32);
    em_array *fr = em_erf(em_erfinv(f));
    const float *fy = ew_raw(fr);
    for (int i = 0; fy && i < 3; i++) CHECK_CLOSE(fy[i], fx[i], 2e-6);
}

/* float16 and bfloat16: every one of the 65536 inputs; computing in float32
 * then rounding once must land within half an ulp (plus float32's error). */
static void test_half_exhaustive(void) {
    static const struct { unary_op op; double (*ref)(double); const char *name; } ops[] = {
        {em_exp, exp, "exp"}, {em_log, log, "log"}, {em_tanh, tanh, "tanh"},
        {em_sigmoid, ref_sigmoid, "sigmoid"}, {em_erf, erf, "erf"}, {em_sqrt, sqrt, "sqrt"},
        {em_sin, sin, "sin"}, {em_negative, ref_neg, "negative"}, {em_abs, fabs, "abs"},
        {em_square, ref_square, "square"}, {em_floor, floor, "floor"},
        {em_expm1, expm1, "expm1"}, {em_log1p, log1p, "log1p"}, {em_log2, log2, "log2"},
        {em_log10, log10, "log10"}, {em_sinh, sinh, "sinh"}, {em_cosh, cosh, "cosh"},
        {em_arcsinh, asinh, "arcsinh"}, {em_arccosh, acosh, "arccosh"}, {em_arctanh, atanh, "arctanh"},
        {em_rsqrt, ref_rsqrt, "rsqrt"},
    };
    uint16_t *bits = malloc(65536 * sizeof *bits);
    for (int i = 0; i < 65536; i++) bits[i] = (uint16_t)i;
    for (int half = 0; half < 2; half++) {
        em_dtype dt = half ? EM_BFLOAT16 : EM_FLOAT16;
        em_array *a = ew_vec(bits, 65536, dt);
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            em_array *r = ops[k].op(a);
            CHECK(ew_is(r, dt, 65536));
            const uint16_t *y = ew_raw(r);
            double worst = 0;
            int wi = 0;
            for (int i = 0; y && i < 65536; i++) {
                double x = half ? ew_bf16_value(bits[i]) : ew_f16_value(bits[i]);
                double g = half ? ew_bf16_value(y[i]) : ew_f16_value(y[i]);
                double u = half ? ew_ulps(g, ops[k].ref(x), 8, -126, 0x1.fep127)
                                : ew_ulps(g, ops[k].ref(x), 11, -14, 65504);
                if (u > worst) worst = u, wi = i;
            }
            CHECK_MSG(y && worst <= 0.5005, "%s %s: %.4f ulps at bits 0x%04x", ops[k].name,
                      em_dtype_name(dt), worst, wi);
        }
    }
    free(bits);
}

/* Exact results at special values (sign of zero included). */
static void test_special_values(void) {
    static const struct { unary_op op; float x, want; } cases[] = {
        {em_exp, INFINITY, INFINITY}, {em_exp, -INFINITY, 0}, {em_exp, -0.0f, 1},
        {em_exp, 89.0f, INFINITY}, {em_exp, -104.0f, 0}, {em_exp, NAN, NAN},
        {em_exp, -87.0f, 0x1.666d0ep-126f}, {em_exp, -100.0f, 0x1.bp-145f},
        {em_log, 0.0f, -INFINITY}, {em_log, -0.0f, -INFINITY}, {em_log, -1.0f, NAN},
        {em_log, INFINITY, INFINITY}, {em_log, 1.0f, 0.0f}, {em_log, 0x1p-149f, -0x1.9d1da0p+6f},
        {em_log, NAN, NAN}, {em_log, -INFINITY, NAN},
        {em_tanh, INFINITY, 1}, {em_tanh, -INFINITY, -1}, {em_tanh, -0.0f, -0.0f},
        {em_tanh, 20.0f, 1}, {em_tanh, NAN, NAN},
        {em_sigmoid, INFINITY, 1}, {em_sigmoid, -INFINITY, 0}, {em_sigmoid, 0.0f, 0.5f},
        {em_sigmoid, -1000.0f, 0}, {em_sigmoid, 1000.0f, 1}, {em_sigmoid, NAN, NAN},
        {em_sigmoid, -100.0f, 0x1.bp-145f},
        {em_erf, INFINITY, 1}, {em_erf, -INFINITY, -1}, {em_erf, -0.0f, -0.0f}, {em_erf, NAN, NAN},
        {em_erf, 5.0f, 1}, {em_erfinv, 1.0f, INFINITY}, {em_erfinv, -1.0f, -INFINITY},
        {em_erfinv, 2.0f, NAN}, {em_erfinv, -0.0f, -0.0f}, {em_erfinv, NAN, NAN},
        {em_sqrt, -1.0f, NAN}, {em_sqrt, -0.0f, -0.0f}, {em_sqrt, INFINITY, INFINITY},
        {em_rsqrt, 0.0f, INFINITY}, {em_rsqrt, -0.0f, -INFINITY}, {em_rsqrt, 4.0f, 0.5f},
        {em_reciprocal, -0.0f, -INFINITY}, {em_reciprocal, INFINITY, 0},
        {em_expm1, -0.0f, -0.0f}, {em_expm1, 1e-10f, 1e-10f}, {em_log1p, -1.0f, -INFINITY},
        {em_sign, NAN, NAN}, {em_sign, -0.0f, 0.0f}, {em_sign, -3.0f, -1}, {em_sign, INFINITY, 1},
        {em_abs, -0.0f, 0.0f}, {em_abs, -INFINITY, INFINITY}, {em_negative, 0.0f, -0.0f},
        {em_floor, -0.5f, -1}, {em_ceil, -0.5f, -0.0f}, {em_floor, -0.0f, -0.0f},
        {em_arccosh, 0.5f, NAN}, {em_arctanh, 1.0f, INFINITY}, {em_arcsin, 2.0f, NAN},
        /* the exp/log family (explog_body.h): NumPy's values */
        {em_expm1, INFINITY, INFINITY}, {em_expm1, -INFINITY, -1}, {em_expm1, 89.0f, INFINITY},
        {em_expm1, -30.0f, -1}, {em_expm1, NAN, NAN}, {em_expm1, 0x1p-149f, 0x1p-149f},
        {em_log1p, -2.0f, NAN}, {em_log1p, INFINITY, INFINITY}, {em_log1p, -0.0f, -0.0f},
        {em_log1p, 0x1p-149f, 0x1p-149f}, {em_log1p, NAN, NAN}, {em_log1p, -INFINITY, NAN},
        {em_log2, 0.0f, -INFINITY}, {em_log2, -0.0f, -INFINITY}, {em_log2, -1.0f, NAN},
        {em_log2, INFINITY, INFINITY}, {em_log2, 1.0f, 0.0f}, {em_log2, 0x1p-149f, -149.0f},
        {em_log2, 1024.0f, 10.0f}, {em_log2, NAN, NAN}, {em_log10, 1000.0f, 3.0f},
        {em_log10, 10.0f, 1.0f}, {em_log10, 0.0f, -INFINITY}, {em_log10, -2.0f, NAN},
        {em_log10, INFINITY, INFINITY}, {em_log10, 1.0f, 0.0f},
        {em_sinh, -0.0f, -0.0f}, {em_sinh, INFINITY, INFINITY}, {em_sinh, -INFINITY, -INFINITY},
        {em_sinh, 89.5f, INFINITY}, {em_sinh, -89.5f, -INFINITY}, {em_sinh, 0x1p-149f, 0x1p-149f},
        {em_cosh, -0.0f, 1.0f}, {em_cosh, -INFINITY, INFINITY}, {em_cosh, 89.5f, INFINITY},
        {em_cosh, NAN, NAN}, {em_arcsinh, -0.0f, -0.0f}, {em_arcsinh, -INFINITY, -INFINITY},
        {em_arcsinh, FLT_MAX, 0x1.65a9f8p+6f}, {em_arcsinh, -0x1p-149f, -0x1p-149f},
        {em_arccosh, 1.0f, 0.0f}, {em_arccosh, INFINITY, INFINITY}, {em_arccosh, -INFINITY, NAN},
        {em_arccosh, FLT_MAX, 0x1.65a9f8p+6f}, {em_arccosh, NAN, NAN},
        {em_arctanh, -1.0f, -INFINITY}, {em_arctanh, -0.0f, -0.0f}, {em_arctanh, 1.5f, NAN},
        {em_arctanh, -INFINITY, NAN}, {em_arctanh, 0x1p-149f, 0x1p-149f},
        {em_rsqrt, INFINITY, 0.0f}, {em_rsqrt, -1.0f, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        em_array *a = em_array_from_double(cases[i].x, EM_FLOAT32);
        em_array *r = cases[i].op(a);
        double g = NAN;
        CHECK(em_array_item_double(r, &g) == EM_OK);
        float w = cases[i].want;
        CHECK_MSG((isnan(w) && isnan(g)) || (g == w && !signbit(g) == !signbit(w)),
                  "case %zu: f(%a) = %a, want %a", i, cases[i].x, g, w);
    }
}

/* round: half to even, for float32, float16, float64; identity on ints. */
static void test_round(void) {
    float x[10] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 0.49999997f, 3.7f, -3.7f, 8388609.0f, NAN};
    double want[10] = {0, 2, 2, -0.0, -2, 0, 4, -4, 8388609, NAN};
    em_dtype dts[3] = {EM_FLOAT32, EM_FLOAT16, EM_FLOAT64};
    for (int d = 0; d < 3; d++) {
        em_array *a = em_astype(ew_vec(x, 10, EM_FLOAT32), dts[d]);
        em_array *r = em_round(a, 0);
        CHECK(ew_is(r, dts[d], 10));
        double v[10];
        CHECK(em_array_copy_to(r, EM_FLOAT64, v, sizeof v) == EM_OK);
        for (int i = 0; i < 8; i++)
            CHECK_MSG(v[i] == want[i] && !signbit(v[i]) == !signbit(want[i]), "%s round(%g) = %g",
                      em_dtype_name(dts[d]), x[i], v[i]);
        CHECK(isnan(v[9]));
    }
    int32_t iv[3] = {7, -8, 2147483647};
    em_array *ia = ew_vec(iv, 3, EM_INT32);
    em_array *ir = em_round(ia, 0);
    CHECK(ew_is(ir, EM_INT32, 3) && check_equals(ir, (double[]){7, -8, 2147483647}, 3));
    em_array *d2 = em_round(ew_vec((float[]){1.2345f, -2.5f}, 2, EM_FLOAT32), 2);
    double dv[2];
    CHECK(em_array_copy_to(d2, EM_FLOAT64, dv, sizeof dv) == EM_OK);
    CHECK_CLOSE(dv[0], 1.23, 1e-6);
    CHECK_CLOSE(dv[1], -2.5, 1e-7);
}

/* ---- integers and bool ---- */

static int64_t wrap(int64_t v, em_dtype dt) {
    int bits = (int)em_dtype_size(dt) * 8;
    if (bits == 64) return v;
    uint64_t m = ((uint64_t)1 << bits) - 1, u = (uint64_t)v & m;
    if (em_dtype_kind_of(dt) == EM_KIND_INT && (u >> (bits - 1))) return (int64_t)(u | ~m);
    return (int64_t)u;
}
static void store_int(em_dtype dt, void *p, size_t i, int64_t v) {
    switch (em_dtype_size(dt)) {
    case 1: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case 4: ((uint32_t *)p)[i] = (uint32_t)v; break;
    default: ((uint64_t *)p)[i] = (uint64_t)v; break;
    }
}
static int64_t load_int(em_dtype dt, const void *p, size_t i) {
    bool sgn = em_dtype_kind_of(dt) == EM_KIND_INT;
    switch (em_dtype_size(dt)) {
    case 1: return sgn ? (int64_t)((const int8_t *)p)[i] : (int64_t)((const uint8_t *)p)[i];
    case 2: return sgn ? (int64_t)((const int16_t *)p)[i] : (int64_t)((const uint16_t *)p)[i];
    case 4: return sgn ? (int64_t)((const int32_t *)p)[i] : (int64_t)((const uint32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
    }
}

static void test_integers(void) {
    for (int d = EM_UINT8; d <= EM_INT64; d++) {
        em_dtype dt = (em_dtype)d;
        bool sgn = em_dtype_kind_of(dt) == EM_KIND_INT;
        int bits = (int)em_dtype_size(dt) * 8;
        int64_t mn = sgn ? (bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1))) : 0;
        int64_t mx = sgn ? (bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1)
                         : (bits == 64 ? -1 : (int64_t)(((uint64_t)1 << bits) - 1));
        int64_t vals[8] = {0, 1, wrap(-1, dt), mn, mx, 5, wrap(-7, dt), wrap(200, dt)};
        uint64_t buf[8];
        for (int i = 0; i < 8; i++) store_int(dt, buf, (size_t)i, vals[i]);
        em_array *a = ew_vec(buf, 8, dt);
        em_array *r[6] = {em_abs(a), em_sign(a), em_negative(a), em_square(a),
                          em_bitwise_invert(a), em_floor(a)};
        for (int k = 0; k < 6; k++) {
            CHECK_MSG(ew_is(r[k], dt, 8), "%s op %d", em_dtype_name(dt), k);
            const void *y = ew_raw(r[k]);
            for (int i = 0; y && i < 8; i++) {
                int64_t v = vals[i], w;
                /* expected, in uint64 arithmetic then wrapped */
                switch (k) {
                case 0: w = sgn && v < 0 ? wrap((int64_t)(0 - (uint64_t)v), dt) : v; break;
                case 1: w = v > 0 ? 1 : v < 0 ? -1 : 0; if (!sgn) w = v != 0; break;
                case 2: w = wrap((int64_t)(0 - (uint64_t)v), dt); break;
                case 3: w = wrap((int64_t)((uint64_t)v * (uint64_t)v), dt); break;
                case 4: w = wrap(~v, dt); break;
                default: w = v; break;
                }
                CHECK_MSG(load_int(dt, y, (size_t)i) == w, "%s op %d of %lld: got %lld want %lld",
                          em_dtype_name(dt), k, (long long)v, (long long)load_int(dt, y, (size_t)i),
                          (long long)w);
            }
        }
        /* predicates and the complex parts */
        em_array *p[5] = {em_isnan(a), em_isinf(a), em_isfinite(a), em_logical_not(a), em_isposinf(a)};
        for (int k = 0; k < 5; k++) {
            CHECK(ew_is(p[k], EM_BOOL, 8));
            const bool *y = ew_raw(p[k]);
            for (int i = 0; y && i < 8; i++) {
                bool w = k == 2 ? true : k == 3 ? vals[i] == 0 : false;
                CHECK(y[i] == w);
            }
        }
        em_array *im = em_imag(a), *re = em_real(a), *cj = em_conjugate(a);
        CHECK(ew_is(im, dt, 8) && ew_is(re, dt, 8) && ew_is(cj, dt, 8));
        const void *yi = ew_raw(im), *yr = ew_raw(re);
        for (int i = 0; yi && yr && i < 8; i++) {
            CHECK(load_int(dt, yi, (size_t)i) == 0);
            CHECK(load_int(dt, yr, (size_t)i) == vals[i]);
        }
        /* float functions of integers compute in float32 */
        em_array *e = em_sqrt(a);
        CHECK(e && em_array_dtype(e) == EM_FLOAT32);
    }
    /* the cases the brief names: abs(int8 -128) wraps, unsigned sign is 0/1 */
    int8_t m = -128;
    em_array *a = ew_vec(&m, 1, EM_INT8), *r = em_abs(a);
    CHECK(ew_is(r, EM_INT8, 1) && ((const int8_t *)ew_raw(r))[0] == -128);
}

static void test_bool(void) {
    bool b[2] = {true, false};
    em_array *a = ew_vec(b, 2, EM_BOOL);
    unary_op same[] = {em_abs, em_sign, em_square, em_floor, em_ceil, em_conjugate, em_real};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        em_array *r = same[k](a);
        CHECK(ew_is(r, EM_BOOL, 2));
        const bool *y = ew_raw(r);
        CHECK(y && y[0] == true && y[1] == false);
    }
    em_array *inv = em_bitwise_invert(a), *ln = em_logical_not(a), *im = em_imag(a);
    em_array *ex = em_exp(a), *fin = em_isfinite(a), *rd = em_round(a, 0);
    const bool *y1 = ew_raw(inv), *y2 = ew_raw(ln), *y3 = ew_raw(im), *y4 = ew_raw(fin), *y5 = ew_raw(rd);
    CHECK(y1 && !y1[0] && y1[1]);
    CHECK(y2 && !y2[0] && y2[1]);
    CHECK(y3 && !y3[0] && !y3[1]);
    CHECK(y4 && y4[0] && y4[1]);
    CHECK(y5 && y5[0] && !y5[1]);
    CHECK(ew_is(ex, EM_FLOAT32, 2) && check_equals(ex, (double[]){expf(1), 1}, 2));
}

/* ---- complex64, against NumPy 2.4 ---- */

static const float complex_in[5][2] = {{0.5f, 0.25f}, {-2, 0}, {3, -1}, {-1.5f, -2.5f}, {0.1f, 2}};
static const struct { const char *name; unary_op op; float want[5][2]; } complex_cases[] = {
    {"exp", em_exp, {{1.59746647, 0.407900155}, {0.135335281, 0}, {10.8522615, -16.9013958}, {-0.178759307, -0.133537188}, {-0.459913403, 1.00492907}}},
    {"log", em_log, {{-0.581575394, 0.463647604}, {0.693147182, 3.14159274}, {1.15129256, -0.321750551}, {1.07003307, -2.11121583}, {0.694395602, 1.5208379}}},
    {"log1p", em_log1p, {{0.419164628, 0.165148675}, {0, 3.14159274}, {1.41660666, -0.244978666}, {0.935901105, -1.76819181}, {0.825289965, 1.06795311}}},
    {"log2", em_log2, {{-0.839035928, 0.668902099}, {1, 4.53236008}, {1.66096401, -0.46418792}, {1.54373133, -3.0458405}, {1.00180113, 2.19410539}}},
    {"log10", em_log10, {{-0.25257498, 0.2013596}, {0.30103001, 1.36437643}, {0.5, -0.139734492}, {0.464709461, -0.916889429}, {0.301572174, 0.660491526}}},
    {"sqrt", em_sqrt, {{0.727673352, 0.171780378}, {0, 1.41421354}, {1.75531733, -0.284848779}, {0.841271698, -1.4858458}, {1.02530444, 0.975320101}}},
    {"rsqrt", em_rsqrt, {{1.30170166, -0.307290077}, {0, -0.707106769}, {0.555080056, 0.0900770873}, {0.288553804, 0.509640932}, {0.512012541, -0.487051576}}},
    {"square", em_square, {{0.1875, 0.25}, {4, -0}, {8, -6}, {-4, 7.5}, {-3.99000001, 0.400000006}}},
    {"reciprocal", em_reciprocal, {{1.60000002, -0.800000012}, {-0.5, -0}, {0.300000012, 0.100000009}, {-0.176470593, 0.29411763}, {0.0249376539, -0.498753101}}},
    {"sin", em_sin, {{0.494485795, 0.221688166}, {-0.909297407, -0}, {0.217759535, 1.16344035}, {-6.1169281, -0.427974522}, {0.375592887, 3.60874128}}},
    {"cos", em_cos, {{0.905150115, -0.1211088}, {-0.416146845, 0}, {-1.5276382, 0.165844396}, {0.433780968, -6.03504896}, {3.74340057, -0.362081885}}},
    {"tan", em_tan, {{0.504500747, 0.312420726}, {2.18503976, 0}, {-0.0591685399, -0.76801759}, {-0.0019273432, -1.01342881}, {0.00702302158, 0.964706957}}},
    {"arcsin", em_arcsin, {{0.501608849, 0.281396061}, {-1.57079637, 1.31695795}, {1.23309517, -1.8241986}, {-0.515548468, -1.7776624}, {0.0447004959, 1.44452953}}},
    {"arccos", em_arccos, {{1.06918752, -0.281396061}, {3.14159274, -1.31695795}, {0.337701142, 1.8241986}, {2.08634472, 1.7776624}, {1.52609587, -1.44452953}}},
    {"arctan", em_arctan, {{0.484254509, 0.200586617}, {-1.10714877, 0}, {1.27679503, -0.0919312015}, {-1.38054311, -0.292517811}, {1.53762245, 0.547096193}}},
    {"sinh", em_sinh, {{0.504895687, 0.278979123}, {-3.62686038, 0}, {5.41268063, -8.47164536}, {1.70585847, -1.40785158}, {-0.0416840799, 0.913847685}}},
    {"cosh", em_cosh, {{1.09257078, 0.128921032}, {3.76219583, -0}, {5.43958092, -8.42975044}, {-1.88461792, 1.27431428}, {-0.418229312, 0.0910813659}}},
    {"tanh", em_tanh, {{0.485487252, 0.198055461}, {-0.964027643, 0}, {1.00205517, -0.00451713754}, {-0.967786908, 0.0926378369}, {0.549463093, -2.06537843}}},
    {"arcsinh", em_arcsinh, {{0.492675662, 0.224328458}, {-1.44363546, 0}, {1.86416161, -0.307603627}, {-1.75014877, -1.00336277}, {1.3188765, 1.51315713}}},
    {"arccosh", em_arccosh, {{0.281396061, 1.06918752}, {1.31695795, 3.14159274}, {1.8241986, -0.337701142}, {1.7776624, -2.08634472}, {1.44452953, 1.52609587}}},
    {"arctanh", em_arctanh, {{0.500370026, 0.31439817}, {-0.549306154, 1.57079637}, {0.305943877, -1.4614619}, {-0.163481608, -1.27679503}, {0.0199706946, 1.10794783}}},
    {"sign", em_sign, {{0.89442718, 0.44721359}, {-1, 0}, {0.948683262, -0.316227764}, {-0.51449579, -0.857492983}, {0.0499376208, 0.998752356}}},
    {"negative", em_negative, {{-0.5, -0.25}, {2, -0}, {-3, 1}, {1.5, 2.5}, {-0.100000001, -2}}},
    {"conjugate", em_conjugate, {{0.5, -0.25}, {-2, -0}, {3, 1}, {-1.5, 2.5}, {0.100000001, -2}}},
};

static em_array *round0(const em_array *a) { return em_round(a, 0); }

static void test_complex(void) {
    em_array *z = ew_vec(complex_in, 5, EM_COMPLEX64);
    for (size_t c = 0; c < sizeof complex_cases / sizeof complex_cases[0]; c++) {
        em_array *r = complex_cases[c].op(z);
        CHECK_MSG(ew_is(r, EM_COMPLEX64, 5), "%s", complex_cases[c].name);
        const float *y = ew_raw(r);
        for (int i = 0; y && i < 5; i++) {
            const float *w = complex_cases[c].want[i];
            double scale = 1 + hypot(w[0], w[1]);
            CHECK_MSG(fabs(y[2 * i] - w[0]) <= 2e-6 * scale && fabs(y[2 * i + 1] - w[1]) <= 2e-6 * scale,
                      "%s(%g%+gj) = %.9g%+.9gj, want %.9g%+.9gj", complex_cases[c].name,
                      complex_in[i][0], complex_in[i][1], y[2 * i], y[2 * i + 1], w[0], w[1]);
        }
    }
    /* parts and abs give float32 */
    em_array *ab = em_abs(z), *re = em_real(z), *im = em_imag(z), *rd = round0(z);
    CHECK(ew_is(ab, EM_FLOAT32, 5) && ew_is(re, EM_FLOAT32, 5) && ew_is(im, EM_FLOAT32, 5));
    const float *ya = ew_raw(ab), *yr = ew_raw(re), *yi = ew_raw(im), *yd = ew_raw(rd);
    static const float absw[5] = {0.559017003f, 2, 3.1622777f, 2.91547585f, 2.00249839f};
    static const float rdw[5][2] = {{0, 0}, {-2, 0}, {3, -1}, {-2, -2}, {0, 2}};
    for (int i = 0; ya && yr && yi && yd && i < 5; i++) {
        CHECK_CLOSE(ya[i], absw[i], 1e-7);
        CHECK(yr[i] == complex_in[i][0] && yi[i] == complex_in[i][1]);
        CHECK(yd[2 * i] == rdw[i][0] && yd[2 * i + 1] == rdw[i][1]);
    }
    /* predicates, MLX's: isposinf is z == inf + 0j */
    float sp[5][2] = {{INFINITY, 0}, {0, NAN}, {0, INFINITY}, {-INFINITY, 0}, {0, 0}};
    em_array *s = ew_vec(sp, 5, EM_COMPLEX64);
    unary_op preds[6] = {em_isnan, em_isinf, em_isfinite, em_isposinf, em_isneginf, em_logical_not};
    static const bool pw[6][5] = {{0, 1, 0, 0, 0}, {1, 0, 1, 1, 0}, {0, 0, 0, 0, 1},
                                  {1, 0, 0, 0, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 1}};
    for (int k = 0; k < 6; k++) {
        em_array *r = preds[k](s);
        CHECK(ew_is(r, EM_BOOL, 5));
        const bool *y = ew_raw(r);
        for (int i = 0; y && i < 5; i++) CHECK_MSG(y[i] == pw[k][i], "predicate %d element %d", k, i);
    }
}

static void test_nan_to_num(void) {
    float x[4] = {NAN, INFINITY, -INFINITY, 1.5f};
    em_array *a = ew_vec(x, 4, EM_FLOAT32);
    em_array *r = em_nan_to_num(a, 0, NULL, NULL);
    CHECK(ew_is(r, EM_FLOAT32, 4) && check_equals(r, (double[]){0, FLT_MAX, -FLT_MAX, 1.5}, 4));
    double pi = 1e6, ni = -5;
    em_array *r2 = em_nan_to_num(a, 1, &pi, &ni);
    CHECK(check_equals(r2, (double[]){1, 1e6, -5, 1.5}, 4));
    /* float16: default bounds are its own; 1e6 overflows to inf as in MLX */
    em_array *h = em_astype(a, EM_FLOAT16);
    em_array *r3 = em_nan_to_num(h, 1, NULL, NULL), *r4 = em_nan_to_num(h, 1, &pi, &ni);
    CHECK(ew_is(r3, EM_FLOAT16, 4) && check_equals(r3, (double[]){1, 65504, -65504, 1.5}, 4));
    CHECK(check_equals(r4, (double[]){1, INFINITY, -5, 1.5}, 4));
    em_array *b = em_astype(a, EM_BFLOAT16), *r5 = em_nan_to_num(b, 0, NULL, NULL);
    CHECK(check_equals(r5, (double[]){0, 0x1.fep127, -0x1.fep127, 1.5}, 4));
    em_array *d = em_astype(a, EM_FLOAT64), *r6 = em_nan_to_num(d, 0, NULL, NULL);
    CHECK(check_equals(r6, (double[]){0, DBL_MAX, -DBL_MAX, 1.5}, 4));
    int32_t iv[2] = {3, -4};
    em_array *ia = ew_vec(iv, 2, EM_INT32), *r7 = em_nan_to_num(ia, 0, NULL, NULL);
    CHECK(ew_is(r7, EM_INT32, 2) && check_equals(r7, (double[]){3, -4}, 2));
}

/* ---- layouts: strided, negative strides, transposed, broadcast, 0-d, empty ---- */

static bool same_bits_f32(em_array *r, em_array *ref) {
    const float *a = ew_raw(r), *b = ew_raw(ref);
    if (!a || !b || em_array_size(r) != em_array_size(ref)) return false;
    return memcmp(a, b, (size_t)em_array_size(r) * sizeof(float)) == 0;
}

static void test_layouts(void) {
    enum { R = 37, C = 23 };
    static float base[3 * R * C];
    uint64_t s = 99;
    for (int i = 0; i < 3 * R * C; i++) base[i] = (float)ew_uniform(&s, -4, 4);
    unary_op ops[] = {em_exp, em_log, em_tanh, em_sigmoid, em_erf, em_sqrt, em_negative,
                      em_abs, em_sin, em_floor, em_isnan};
    /* every third element, as a (R, C) array, and the same transposed and reversed */
    int64_t shape[2] = {R, C}, st[2] = {3 * C, 3};
    em_array *strided = em_array_from_external(base, shape, st, 2, EM_FLOAT32, NULL, NULL);
    int64_t tshape[2] = {C, R}, tst[2] = {3, 3 * C};
    em_array *transposed = em_array_from_external(base, tshape, tst, 2, EM_FLOAT32, NULL, NULL);
    int64_t rst[2] = {-3 * C, -3};
    em_array *reversed = em_array_from_external(base + 3 * (R * C - 1), shape, rst, 2, EM_FLOAT32,
                                                NULL, NULL);
    CHECK(strided && transposed && reversed && !em_array_is_contiguous(strided));
    float dense[R * C], tdense[R * C], rdense[R * C];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            dense[i * C + j] = base[3 * (i * C + j)];
            tdense[j * R + i] = base[3 * (i * C + j)];
            rdense[i * C + j] = base[3 * (R * C - 1 - (i * C + j))];
        }
    em_array *d = em_array_from_data(dense, shape, 2, EM_FLOAT32);
    em_array *td = em_array_from_data(tdense, tshape, 2, EM_FLOAT32);
    em_array *rd = em_array_from_data(rdense, shape, 2, EM_FLOAT32);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        em_array *r1 = ops[k](strided), *w1 = ops[k](d);
        em_array *r2 = ops[k](transposed), *w2 = ops[k](td);
        em_array *r3 = ops[k](reversed), *w3 = ops[k](rd);
        CHECK(check_shape(r1, 2, shape) && check_shape(r2, 2, tshape));
        size_t isz = em_array_itemsize(r1);
        const void *p[6] = {ew_raw(r1), ew_raw(w1), ew_raw(r2), ew_raw(w2), ew_raw(r3), ew_raw(w3)};
        CHECK_MSG(p[0] && p[1] && !memcmp(p[0], p[1], R * C * isz), "strided op %zu", k);
        CHECK_MSG(p[2] && p[3] && !memcmp(p[2], p[3], R * C * isz), "transposed op %zu", k);
        CHECK_MSG(p[4] && p[5] && !memcmp(p[4], p[5], R * C * isz), "reversed op %zu", k);
    }
    /* float16 through the same paths */
    em_array *hs = em_astype(strided, EM_FLOAT16), *hd = em_astype(d, EM_FLOAT16);
    em_array *ht = em_exp(hs), *hw = em_exp(hd);
    CHECK(ht && hw && !memcmp(ew_raw(ht), ew_raw(hw), R * C * 2));

    /* broadcast inputs: a scalar to (5, 7), a row to (4, 3) */
    em_array *sc = em_array_from_double(0.75, EM_FLOAT32);
    em_array *bs = em_broadcast_to(sc, (int64_t[]){5, 7}, 2);
    em_array *e = em_exp(bs);
    CHECK(check_shape(e, 2, (int64_t[]){5, 7}));
    const float *ey = ew_raw(e);
    for (int i = 0; ey && i < 35; i++) CHECK(ey[i] == ey[0] && fabs(ey[i] - exp(0.75)) < 2e-7);
    em_array *row = ew_vec((int16_t[]){-3, 0, 9}, 3, EM_INT16);
    em_array *br = em_broadcast_to(row, (int64_t[]){4, 3}, 2);
    em_array *na = em_negative(br), *ex = em_exp(br);
    CHECK(check_shape(na, 2, (int64_t[]){4, 3}) && em_array_dtype(na) == EM_INT16);
    CHECK(check_equals(na, (double[]){3, 0, -9, 3, 0, -9, 3, 0, -9, 3, 0, -9}, 12));
    CHECK(ex && em_array_dtype(ex) == EM_FLOAT32);

    /* 0-d and empty */
    em_array *z = em_array_from_int(-5, EM_INT64), *za = em_abs(z);
    int64_t v = 0;
    CHECK(za && em_array_ndim(za) == 0 && em_array_item_int(za, &v) == EM_OK && v == 5);
    em_array *emp = em_array_from_data(NULL, (int64_t[]){0, 4}, 2, EM_FLOAT32);
    em_array *ee = em_exp(emp);
    CHECK(check_shape(ee, 2, (int64_t[]){0, 4}) && em_eval1(ee) == EM_OK);
}

/* The AVX-512, AVX2 and scalar loops give the same bits (odd lengths, so
 * the masked tails run too); so do strided inputs, which go through blocks. */
static void test_simd_bit_exact(void) {
    const int64_t n = 5003;
    float *x = make_inputs(n, -20, 20, 4242);
    em_array *a = ew_vec(x, n, EM_FLOAT32);
    em_array *sa = em_array_from_external(x, (int64_t[]){n / 2}, (int64_t[]){2}, 1, EM_FLOAT32,
                                          NULL, NULL);
    unary_op ops[] = {em_exp, em_log, em_tanh, em_sigmoid, em_erf, em_sqrt, em_negative, em_abs,
                      em_floor, em_ceil, em_expm1, em_log1p, em_log2, em_log10, em_sinh, em_cosh,
                      em_arcsinh, em_arccosh, em_arctanh, em_rsqrt};
    const char *levels[] = {"avx2", "avx512"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        CHECK(cpu_simd_force("none"));
        em_array *ref = ops[k](a), *sref = ops[k](sa);
        CHECK(em_eval1(ref) == EM_OK && em_eval1(sref) == EM_OK);
        for (int l = 0; l < 2; l++) {
            if (!cpu_simd_force(levels[l])) continue;
            em_array *r = ops[k](a), *sr = ops[k](sa);
            CHECK_MSG(same_bits_f32(r, ref), "op %zu %s contiguous differs from scalar", k, levels[l]);
            CHECK_MSG(same_bits_f32(sr, sref), "op %zu %s strided differs from scalar", k, levels[l]);
        }
    }
    /* erfinv over its domain: uniform in [-1, 1], the tails near +-1 (both
     * polynomial branches), the specials and random bit patterns */
    float *y = make_inputs(n, -1, 1, 777);
    uint64_t s = 5;
    for (int64_t i = n / 2; i < n * 5 / 8; i++) {
        float t = (float)ew_uniform(&s, 0, 1);
        y[i] = (i & 1 ? -1.0f : 1.0f) * (1.0f - t * t * t * t * 1e-3f);
    }
    y[n - 1] = 1.0f, y[n - 2] = -1.0f, y[n - 3] = 0x1p-149f, y[n - 4] = -0.0f;
    y[n - 5] = 0x1.fffffep-1f, y[n - 6] = -0x1.fffffep-1f;
    em_array *ya = ew_vec(y, n, EM_FLOAT32);
    CHECK(cpu_simd_force("none"));
    em_array *yref = em_erfinv(ya);
    CHECK(em_eval1(yref) == EM_OK);
    for (int l = 0; l < 2; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        em_array *r = em_erfinv(ya);
        CHECK_MSG(same_bits_f32(r, yref), "erfinv %s differs from scalar", levels[l]);
    }
    cpu_simd_force(NULL);
    CHECK(!cpu_simd_force("sse9"));
    free(x);
    free(y);
}

/* logical_not and bitwise_invert of bool, contiguous (words of 8 bytes and a
 * tail) and strided. */
static void test_bool_not_long(void) {
    enum { N = 1000 + 5 };
    bool v[N];
    uint64_t s = 11;
    for (int i = 0; i < N; i++) v[i] = ew_rand(&s) & 1;
    em_array *a = ew_vec(v, N, EM_BOOL);
    em_array *sa = em_array_from_external(v, (int64_t[]){N / 3}, (int64_t[]){3}, 1, EM_BOOL, NULL, NULL);
    em_array *r[4] = {em_logical_not(a), em_bitwise_invert(a), em_logical_not(sa), em_bitwise_invert(sa)};
    for (int k = 0; k < 4; k++) {
        const bool *p = ew_raw(r[k]);
        CHECK(p && em_array_dtype(r[k]) == EM_BOOL);
        int bad = 0, len = k < 2 ? N : N / 3, step = k < 2 ? 1 : 3;
        for (int i = 0; p && i < len; i++) bad += p[i] != !v[i * step];
        CHECK_MSG(bad == 0, "case %d: %d wrong", k, bad);
    }
}

static void test_dtypes_and_errors(void) {
    int32_t iv[2] = {1, 2};
    em_array *i = ew_vec(iv, 2, EM_INT32);
    em_array *e = em_exp(i), *s = em_sin(em_astype(i, EM_BFLOAT16)), *n = em_isnan(i);
    CHECK(e && em_array_dtype(e) == EM_FLOAT32);
    CHECK(s && em_array_dtype(s) == EM_BFLOAT16);
    CHECK(n && em_array_dtype(n) == EM_BOOL);

    CHECK_ERROR(em_exp(NULL), EM_ERR_NULL, "exp");
    CHECK_ERROR(em_abs(NULL), EM_ERR_NULL, "abs");
    CHECK_ERROR(em_nan_to_num(NULL, 0, NULL, NULL), EM_ERR_NULL, "nan_to_num");
    em_array *c = em_array_from_complex(1, 1);
    CHECK_ERROR(em_expm1(c), EM_ERR_VALUE, "[expm1] Not supported for complex64.");
    CHECK_ERROR(em_erf(c), EM_ERR_VALUE, "[erf] Not supported for complex64.");
    CHECK_ERROR(em_erfinv(c), EM_ERR_VALUE, "[erfinv] Not supported for complex64.");
    CHECK_ERROR(em_sigmoid(c), EM_ERR_VALUE, "[sigmoid] Not supported for complex64.");
    CHECK_ERROR(em_floor(c), EM_ERR_VALUE, "[floor] Not supported for complex64.");
    CHECK_ERROR(em_ceil(c), EM_ERR_VALUE, "[ceil] Not supported for complex64.");
    CHECK_ERROR(em_nan_to_num(c, 0, NULL, NULL), EM_ERR_VALUE,
                "[nan_to_num] Does not yet support given type: complex64.");
    CHECK_ERROR(em_bitwise_invert(c), EM_ERR_VALUE,
                "[bitwise_invert] Bitwise inverse only allowed on integer types.");
    em_array *f = em_array_from_double(1.5, EM_FLOAT32), *b = em_array_from_bool(true);
    CHECK_ERROR(em_bitwise_invert(f), EM_ERR_VALUE,
                "[bitwise_invert] Bitwise inverse only allowed on integer types.");
    CHECK_ERROR(em_negative(b), EM_ERR_VALUE,
                "[negative] Not supported for bool, use logical_not instead.");
    /* a node whose dtypes do not fit its kernel (a builder bug) is an error
     * at eval, never a write of the wrong width */
    em_array *fx = ew_vec((float[]){1, 2}, 2, EM_FLOAT32);
    int64_t two = 2;
    em_array *bad = node_make(EM_PRIM_EXP, NULL, 0, &fx, 1, EM_INT8, &two, 1);
    em_error_clear();
    CHECK(bad && em_eval1(bad) == EM_ERR_RUNTIME && strstr(em_error_message(), "[Exp] Internal error"));
    em_error_clear();
    em_array_release(bad);
    em_array *pair[2] = {fx, ew_vec((double[]){1, 2}, 2, EM_FLOAT64)};
    em_array *bad2 = node_make(EM_PRIM_ADD, NULL, 0, pair, 2, EM_FLOAT32, &two, 1);
    CHECK(bad2 && em_eval1(bad2) == EM_ERR_RUNTIME);
    em_error_clear();
    em_array_release(bad2);
    /* a chain whose inputs are donated computes in place correctly */
    em_array *x = ew_vec((float[]){1, 2, 3, 4}, 4, EM_FLOAT32);
    em_array *y = em_sqrt(em_exp(em_negative(em_square(x))));
    double v[4];
    CHECK(em_array_copy_to(y, EM_FLOAT64, v, sizeof v) == EM_OK);
    for (int k = 0; k < 4; k++) CHECK_CLOSE(v[k], exp(-0.5 * (k + 1) * (k + 1)), 1e-6);
}

#define RUN(test)                                                              \
    do {                                                                       \
        em_scope_begin();                                                      \
        test();                                                                \
        em_scope_end();                                                        \
    } while (0)

int main(void) {
    /* Under valgrind the value checks run on the portable loops (see
     * under_valgrind); test_simd_bit_exact still forces each level. */
    if (under_valgrind()) setenv("EMBER_SIMD", "none", 1);
    int64_t live = em_live_arrays();
    RUN(test_float32_accuracy);
    RUN(test_float64_accuracy);
    RUN(test_erfinv_roundtrip);
    RUN(test_half_exhaustive);
    RUN(test_special_values);
    RUN(test_round);
    RUN(test_integers);
    RUN(test_bool);
    RUN(test_complex);
    RUN(test_nan_to_num);
    RUN(test_layouts);
    RUN(test_simd_bit_exact);
    RUN(test_bool_not_long);
    RUN(test_dtypes_and_errors);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
