/* test_trig.c -- float32 sin, cos, tan, arcsin, arccos, arctan and arctan2 (scalar_trig.h and its vector loops):
 * ulps against double libm over random and hard inputs (near multiples of pi/2, around the fast path's bound,
 * the domain and range edges), special values and signed zeros, arctan2's grid of zeros, ones, infinities and
 * NaN (NumPy's values), float16/bfloat16 exhaustively, and the AVX-512, AVX2 and scalar loops against each other
 * bit for bit, contiguous, strided and broadcast. */
#include "backend/cpu/scalar_trig.h"
#include "backend/cpu/simd.h"
#include "core/node.h"
#include "ew_util.h"

typedef em_array *(*unary_op)(const em_array *);

typedef struct {
    const char *name;
    unary_op op;
    double (*ref)(double);
    double lo, hi; /* where most inputs are drawn */
    double tol;    /* float32 ulps */
} trig_case;

static const trig_case cases[] = {
    {"sin", em_sin, sin, -7e5, 7e5, 1.6},  {"cos", em_cos, cos, -7e5, 7e5, 1.6},
    {"tan", em_tan, tan, -7e5, 7e5, 1.6},  {"arcsin", em_arcsin, asin, -1, 1, 1.2},
    {"arccos", em_arccos, acos, -1, 1, 1.2}, {"arctan", em_arctan, atan, -40, 40, 1.4},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static const float specials[] = {
    0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1.0f, -1.0f, 0.5f, -0.5f, 0x1.fffffep-2f, 0x1.000002p-1f,
    -0x1.000002p-1f, 0x1.fffffep-1f, -0x1.fffffep-1f, 0x1.000002p+0f, -0x1.000002p+0f, FLT_MIN, -FLT_MIN,
    0x1p-149f, -0x1p-149f, FLT_MAX, -FLT_MAX, 1e-30f, 0x1.fffffep-1f, 0x1.000002p+0f, -0x1.000002p+0f,
    0x1.3504f4p+1f, 0x1p24f, 0x1p100f, EM_TRIG_BOUND_F, -EM_TRIG_BOUND_F, 0x1.000002p17f,
    0x1.fffffep16f, 1e10f, -1e30f, 0x1p100f, 0x1.921fb6p+0f, 0x1.921fb6p+1f, 0x1.2d97c8p+2f, 0x1.921fb6p+2f,
    0x1.921fb6p-1f, 0x1.2d97c8p+1f, 1e-5f, -3e-8f, 22.0f, 355.0f, 103993.0f,
};
#define N_SPECIAL (sizeof specials / sizeof specials[0])

/* n inputs: the specials; floats around k pi/2 for k up to the bound (the reduction's hard cases: each is the
 * float nearest k pi/2, or one ulp off); uniform in [lo, hi] and [-4, 4]; random bit patterns. */
static float *make_inputs(int64_t n, double lo, double hi, uint64_t seed) {
    float *x = malloc((size_t)n * sizeof *x);
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        if (i < (int64_t)N_SPECIAL) {
            x[i] = specials[i];
        } else if (i < n / 8) {
            double k = floor(ew_uniform(&s, 0, 2 * EM_TRIG_BOUND_F / 3.14159265358979));
            float f = (float)(k * 1.57079632679489661923);
            uint32_t u = ew_f32_bits(f) + (uint32_t)(ew_rand(&s) % 3) - 1u;
            x[i] = (ew_rand(&s) & 1 ? -1.0f : 1.0f) * ew_bits_f32(u);
        } else if (i < n / 2) {
            x[i] = (float)ew_uniform(&s, lo, hi);
        } else if (i < n * 5 / 8) {
            x[i] = (float)ew_uniform(&s, -4, 4);
        } else {
            x[i] = ew_bits_f32((uint32_t)ew_rand(&s));
        }
    }
    return x;
}

static bool same_bits(em_array *r, em_array *ref) {
    const float *a = ew_raw(r), *b = ew_raw(ref);
    if (!a || !b || em_array_size(r) != em_array_size(ref)) return false;
    return memcmp(a, b, (size_t)em_array_size(r) * sizeof(float)) == 0;
}

/* ulps against double libm, at the best SIMD level; then every level, contiguous and strided (the strided
 * result must equal every other element of the contiguous one), bit for bit. */
static void test_unary_ops(void) {
    const int64_t n = 1 << 18;
    const char *levels[] = {"none", "avx2", "avx512"};
    for (size_t c = 0; c < N_CASES; c++) {
        const trig_case *k = &cases[c];
        em_scope_begin();
        float *x = make_inputs(n, k->lo, k->hi, 777 + c);
        em_array *a = ew_vec(x, n, EM_FLOAT32);
        em_array *sa = em_array_from_external(x, (int64_t[]){n / 2}, (int64_t[]){2}, 1, EM_FLOAT32, NULL, NULL);
        em_array *r = k->op(a);
        CHECK(ew_is(r, EM_FLOAT32, n));
        const float *y = ew_raw(r);
        double worst = 0;
        float wx = 0, wy = 0;
        for (int64_t i = 0; y && i < n; i++) {
            double u = ew_ulps_f32(y[i], k->ref(x[i]));
            if (u > worst) worst = u, wx = x[i], wy = y[i];
        }
        CHECK_MSG(y && worst <= k->tol, "%s: %.3f ulps at %a (got %a, want %.9g)", k->name, worst, wx, wy,
                  k->ref(wx));
        CHECK(cpu_simd_force("none"));
        em_array *ref = k->op(a);
        CHECK(em_eval1(ref) == EM_OK);
        const float *rv = ew_raw(ref);
        for (int l = 0; l < 3; l++) {
            if (!cpu_simd_force(levels[l])) continue;
            em_array *rl = k->op(a), *sr = k->op(sa);
            CHECK_MSG(same_bits(rl, ref), "%s %s contiguous differs from scalar", k->name, levels[l]);
            const float *sv = ew_raw(sr);
            bool ok = sv && rv;
            for (int64_t i = 0; ok && i < n / 2; i++) ok = ew_f32_bits(sv[i]) == ew_f32_bits(rv[2 * i]);
            CHECK_MSG(ok, "%s %s strided differs from contiguous", k->name, levels[l]);
        }
        cpu_simd_force(NULL);
        em_scope_end();
        free(x);
    }
}

/* Exact results: signs of zero, infinities, NaN, domain edges. */
static void test_special_values(void) {
    static const struct { unary_op op; float x, want; } sv[] = {
        {em_sin, 0.0f, 0.0f}, {em_sin, -0.0f, -0.0f}, {em_sin, INFINITY, NAN}, {em_sin, -INFINITY, NAN},
        {em_sin, NAN, NAN}, {em_sin, 0x1p-149f, 0x1p-149f}, {em_sin, -1e-30f, -1e-30f},
        {em_cos, 0.0f, 1.0f}, {em_cos, -0.0f, 1.0f}, {em_cos, INFINITY, NAN}, {em_cos, NAN, NAN},
        {em_tan, 0.0f, 0.0f}, {em_tan, -0.0f, -0.0f}, {em_tan, -INFINITY, NAN}, {em_tan, NAN, NAN},
        {em_tan, -0x1p-149f, -0x1p-149f},
        {em_arcsin, 0.0f, 0.0f}, {em_arcsin, -0.0f, -0.0f}, {em_arcsin, 1.0f, 0x1.921fb6p+0f},
        {em_arcsin, -1.0f, -0x1.921fb6p+0f}, {em_arcsin, 0x1.000002p+0f, NAN}, {em_arcsin, -2.0f, NAN},
        {em_arcsin, INFINITY, NAN}, {em_arcsin, NAN, NAN}, {em_arcsin, 0x1p-149f, 0x1p-149f},
        {em_arccos, 1.0f, 0.0f}, {em_arccos, -1.0f, 0x1.921fb6p+1f}, {em_arccos, 0.0f, 0x1.921fb6p+0f},
        {em_arccos, -0.0f, 0x1.921fb6p+0f}, {em_arccos, 0x1.000002p+0f, NAN}, {em_arccos, -INFINITY, NAN},
        {em_arccos, NAN, NAN},
        {em_arctan, 0.0f, 0.0f}, {em_arctan, -0.0f, -0.0f}, {em_arctan, INFINITY, 0x1.921fb6p+0f},
        {em_arctan, -INFINITY, -0x1.921fb6p+0f}, {em_arctan, 1.0f, 0x1.921fb6p-1f}, {em_arctan, NAN, NAN},
        {em_arctan, FLT_MAX, 0x1.921fb6p+0f}, {em_arctan, -0x1p-149f, -0x1p-149f},
    };
    const char *levels[] = {"none", "avx2", "avx512"};
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++) {
            /* a vector of 19 copies, so the vector loops (and their tails) run */
            float in[19];
            for (int j = 0; j < 19; j++) in[j] = sv[i].x;
            em_array *r = sv[i].op(ew_vec(in, 19, EM_FLOAT32));
            const float *g = ew_raw(r);
            float w = sv[i].want;
            bool ok = g != NULL;
            for (int j = 0; ok && j < 19; j++)
                ok = (isnan(w) && isnan(g[j])) || (g[j] == w && !signbit(g[j]) == !signbit(w));
            CHECK_MSG(ok, "%s case %zu: f(%a) = %a, want %a", levels[l], i, sv[i].x, g ? g[0] : 0.0f, w);
        }
    }
    cpu_simd_force(NULL);
}

/* arctan2 over {+0, -0, 1, -1, inf, -inf, nan}^2: NumPy's values (y by row, x by column), bit for bit, but
 * for (+-1, +-1), where NumPy's pi/4 is one ulp below the correctly rounded 0x1.921fb6p-1 that C gives. */
static void test_arctan2_grid(void) {
    static const float v[7] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN};
    static const float want[7][7] = {
        {0.0f, 0x1.921fb6p+1f, 0.0f, 0x1.921fb6p+1f, 0.0f, 0x1.921fb6p+1f, NAN},
        {-0.0f, -0x1.921fb6p+1f, -0.0f, -0x1.921fb6p+1f, -0.0f, -0x1.921fb6p+1f, NAN},
        {0x1.921fb6p+0f, 0x1.921fb6p+0f, 0x1.921fb6p-1f, 0x1.2d97c8p+1f, 0.0f, 0x1.921fb6p+1f, NAN},
        {-0x1.921fb6p+0f, -0x1.921fb6p+0f, -0x1.921fb6p-1f, -0x1.2d97c8p+1f, -0.0f, -0x1.921fb6p+1f, NAN},
        {0x1.921fb6p+0f, 0x1.921fb6p+0f, 0x1.921fb6p+0f, 0x1.921fb6p+0f, 0x1.921fb6p-1f, 0x1.2d97c8p+1f, NAN},
        {-0x1.921fb6p+0f, -0x1.921fb6p+0f, -0x1.921fb6p+0f, -0x1.921fb6p+0f, -0x1.921fb6p-1f, -0x1.2d97c8p+1f, NAN},
        {NAN, NAN, NAN, NAN, NAN, NAN, NAN},
    };
    /* each pair 3 times over (21 x 7 lanes per row), so vector loops and tails both see every pair */
    float y[147], x[147];
    for (int i = 0; i < 147; i++) y[i] = v[i / 21], x[i] = v[i % 7];
    const char *levels[] = {"none", "avx2", "avx512"};
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        em_array *r = em_arctan2(ew_vec(y, 147, EM_FLOAT32), ew_vec(x, 147, EM_FLOAT32));
        CHECK(ew_is(r, EM_FLOAT32, 147));
        const float *g = ew_raw(r);
        for (int i = 0; g && i < 147; i++) {
            float w = want[i / 21][i % 7];
            bool ok = (isnan(w) && isnan(g[i])) || (g[i] == w && !signbit(g[i]) == !signbit(w));
            CHECK_MSG(ok, "%s: arctan2(%a, %a) = %a, want %a", levels[l], y[i], x[i], g[i], w);
        }
        /* one operand a scalar (the broadcast loops) */
        for (int i = 0; i < 7; i++) {
            em_array *ys = em_array_from_double(v[i], EM_FLOAT32), *xs = em_array_from_double(v[i], EM_FLOAT32);
            em_array *r1 = em_arctan2(ys, ew_vec(x, 21, EM_FLOAT32)), *r2 = em_arctan2(ew_vec(y, 147, EM_FLOAT32), xs);
            const float *g1 = ew_raw(r1), *g2 = ew_raw(r2);
            bool ok = g1 && g2;
            for (int j = 0; ok && j < 21; j++) {
                float w = want[i][j % 7];
                ok = (isnan(w) && isnan(g1[j])) || (g1[j] == w && !signbit(g1[j]) == !signbit(w));
            }
            for (int j = 0; ok && j < 147; j++) {
                float w = want[j / 21][i];
                ok = (isnan(w) && isnan(g2[j])) || (g2[j] == w && !signbit(g2[j]) == !signbit(w));
            }
            CHECK_MSG(ok, "%s: arctan2 with a scalar %a differs", levels[l], v[i]);
        }
    }
    cpu_simd_force(NULL);
}

/* arctan2 over random pairs (both random bits, both uniform, ratios near tan(pi/8), tan(3pi/8) and 1, huge and
 * tiny pairs): ulps against double atan2; every SIMD level and a strided pair bit for bit (NaN payloads aside). */
static void test_arctan2_values(void) {
    const int64_t n = 1 << 18;
    float *y = malloc((size_t)n * sizeof *y), *x = malloc((size_t)n * sizeof *x);
    uint64_t s = 4321;
    static const double ratios[] = {0.41421356, 2.41421356, 1.0, 1e-20, 1e20};
    for (int64_t i = 0; i < n; i++) {
        int kind = (int)(i % 4);
        if (kind == 0) {
            y[i] = ew_bits_f32((uint32_t)ew_rand(&s)), x[i] = ew_bits_f32((uint32_t)ew_rand(&s));
        } else if (kind == 1) {
            y[i] = (float)ew_uniform(&s, -10, 10), x[i] = (float)ew_uniform(&s, -10, 10);
        } else {
            double mag = ldexp(1.0, (int)(ew_rand(&s) % 250) - 125);
            x[i] = (float)(ew_uniform(&s, -1, 1) * mag);
            double rr = ratios[ew_rand(&s) % 5] * (1 + ew_uniform(&s, -1e-3, 1e-3));
            y[i] = (float)(x[i] * rr * (ew_rand(&s) & 1 ? -1 : 1));
        }
    }
    em_array *ya = ew_vec(y, n, EM_FLOAT32), *xa = ew_vec(x, n, EM_FLOAT32);
    em_array *r = em_arctan2(ya, xa);
    const float *g = ew_raw(r);
    double worst = 0;
    int64_t wi = 0;
    for (int64_t i = 0; g && i < n; i++) {
        double u = ew_ulps_f32(g[i], atan2(y[i], x[i]));
        if (u > worst) worst = u, wi = i;
    }
    CHECK_MSG(g && worst <= 1.8, "arctan2: %.3f ulps at (%a, %a)", worst, y[wi], x[wi]);
    em_array *sy = em_array_from_external(y, (int64_t[]){n / 2}, (int64_t[]){2}, 1, EM_FLOAT32, NULL, NULL);
    em_array *sx = em_array_from_external(x, (int64_t[]){n / 2}, (int64_t[]){2}, 1, EM_FLOAT32, NULL, NULL);
    const char *levels[] = {"none", "avx2", "avx512"};
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        const float *c = ew_raw(em_arctan2(ya, xa)), *sc = ew_raw(em_arctan2(sy, sx));
        bool ok = c && sc && g;
        for (int64_t i = 0; ok && i < n; i++) ok = isnan(g[i]) ? isnan(c[i]) : ew_f32_bits(c[i]) == ew_f32_bits(g[i]);
        for (int64_t i = 0; ok && i < n / 2; i++)
            ok = isnan(g[2 * i]) ? isnan(sc[i]) : ew_f32_bits(sc[i]) == ew_f32_bits(g[2 * i]);
        CHECK_MSG(ok, "arctan2 %s differs from the automatic level", levels[l]);
    }
    cpu_simd_force(NULL);
    free(y);
    free(x);
}

/* float16 and bfloat16, every input: computing in float32 and rounding once lands within half an ulp (plus
 * float32's error). */
static void test_half_exhaustive(void) {
    uint16_t *bits = malloc(65536 * sizeof *bits);
    for (int i = 0; i < 65536; i++) bits[i] = (uint16_t)i;
    for (int half = 0; half < 2; half++) {
        em_dtype dt = half ? EM_BFLOAT16 : EM_FLOAT16;
        em_array *a = ew_vec(bits, 65536, dt);
        for (size_t k = 0; k < N_CASES; k++) {
            em_array *r = cases[k].op(a);
            CHECK(ew_is(r, dt, 65536));
            const uint16_t *y = ew_raw(r);
            double worst = 0;
            int wi = 0;
            for (int i = 0; y && i < 65536; i++) {
                double x = half ? ew_bf16_value(bits[i]) : ew_f16_value(bits[i]);
                double g = half ? ew_bf16_value(y[i]) : ew_f16_value(y[i]);
                double u = half ? ew_ulps(g, cases[k].ref(x), 8, -126, 0x1.fep127)
                                : ew_ulps(g, cases[k].ref(x), 11, -14, 65504);
                if (u > worst) worst = u, wi = i;
            }
            CHECK_MSG(y && worst <= 0.5005, "%s %s: %.4f ulps at bits 0x%04x", cases[k].name, em_dtype_name(dt),
                      worst, wi);
        }
    }
    free(bits);
}

#define RUN(test)                                                              \
    do {                                                                       \
        em_scope_begin();                                                      \
        test();                                                                \
        em_scope_end();                                                        \
    } while (0)

int main(void) {
    int64_t live = em_live_arrays();
    RUN(test_unary_ops);
    RUN(test_special_values);
    RUN(test_arctan2_grid);
    RUN(test_arctan2_values);
    RUN(test_half_exhaustive);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
