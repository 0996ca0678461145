/* test_binary.c -- the binary elementwise ops: exact float arithmetic,
 * NumPy's float floor_divide/remainder/power/logaddexp/arctan2, integer
 * semantics of every integer dtype against an independent reference, bool
 * and complex against MLX/NumPy, float16/bfloat16 rounding, result dtypes,
 * broadcasting and strided inputs, the vectorised loops against the scalar
 * ones bit for bit, and errors. */
#include "backend/cpu/simd.h"
#include "ew_util.h"
#include "ew_ref.h"

typedef em_array *(*binary_op)(const em_array *, const em_array *);

static bool same(double g, double w) {
    return (isnan(g) && isnan(w)) || (g == w && !signbit(g) == !signbit(w));
}

/* ---- float arithmetic: correctly rounded, so (float)(a op b in double) ---- */

static float *random_floats(int64_t n, uint64_t seed) {
    static const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1, -1, FLT_MAX, -FLT_MAX,
                               FLT_MIN, 0x1p-149f, 3, -3};
    float *x = malloc((size_t)n * sizeof *x);
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        if (i % 7 == 0) x[i] = sp[(ew_rand(&s) >> 8) % (sizeof sp / sizeof sp[0])];
        else if (i % 3 == 0) x[i] = ew_bits_f32((uint32_t)ew_rand(&s));
        else x[i] = (float)ew_uniform(&s, -100, 100);
    }
    return x;
}

static double ref_max(double a, double b) { return isnan(a) ? a : isnan(b) ? b : a > b ? a : b; }
static double ref_min(double a, double b) { return isnan(a) ? a : isnan(b) ? b : a < b ? a : b; }

static void test_float_exact(void) {
    const int64_t n = 100003;
    float *x = random_floats(n, 1), *y = random_floats(n, 2);
    em_array *a = ew_vec(x, n, EM_FLOAT32), *b = ew_vec(y, n, EM_FLOAT32);
    double *dx = malloc((size_t)n * 8), *dy = malloc((size_t)n * 8);
    for (int64_t i = 0; i < n; i++) dx[i] = x[i], dy[i] = y[i];
    em_array *da = ew_vec(dx, n, EM_FLOAT64), *db = ew_vec(dy, n, EM_FLOAT64);
    binary_op ops[8] = {em_add, em_subtract, em_multiply, em_divide, em_maximum, em_minimum,
                        em_power, em_logaddexp};
    for (int k = 0; k < 6; k++) {
        em_array *r = ops[k](a, b), *rd = ops[k](da, db);
        CHECK(ew_is(r, EM_FLOAT32, n) && ew_is(rd, EM_FLOAT64, n));
        const float *g = ew_raw(r);
        const double *gd = ew_raw(rd);
        int bad = 0;
        for (int64_t i = 0; g && gd && i < n; i++) {
            double u = x[i], v = y[i], w;
            switch (k) {
            case 0: w = u + v; break;
            case 1: w = u - v; break;
            case 2: w = u * v; break;
            case 3: w = u / v; break;
            case 4: w = ref_max(u, v); break;
            default: w = ref_min(u, v); break;
            }
            /* max/min of +0 and -0 may return either zero */
            bool zero_pair = k >= 4 && u == 0 && v == 0;
            if (!(same(g[i], (float)w) || (zero_pair && g[i] == 0)) && bad++ < 5)
                CHECK_MSG(0, "op %d float32 (%a, %a) = %a, want %a", k, x[i], y[i], g[i], (float)w);
            if (!(same(gd[i], w) || (zero_pair && gd[i] == 0)) && bad++ < 5)
                CHECK_MSG(0, "op %d float64 (%a, %a) = %a, want %a", k, u, v, gd[i], w);
        }
        CHECK(bad == 0);
    }
    free(x);
    free(y);
    free(dx);
    free(dy);
}

/* NumPy's values for floor_divide, remainder, power, logaddexp, arctan2 on a
 * grid of specials (ew_ref.h); float32 power/logaddexp/arctan2 within ulps. */
static void test_float_numpy(void) {
    enum { NA = 12, NB = 10, N = NA * NB };
    double a[N], b[N];
    for (int i = 0; i < NA; i++)
        for (int j = 0; j < NB; j++) a[i * NB + j] = fd_a[i], b[i * NB + j] = fd_b[j];
    for (int d = 0; d < 2; d++) {
        em_dtype dt = d ? EM_FLOAT64 : EM_FLOAT32;
        em_array *x = em_astype(ew_vec(a, N, EM_FLOAT64), dt), *y = em_astype(ew_vec(b, N, EM_FLOAT64), dt);
        struct { binary_op op; const double *want; double tol; const char *name; } cases[5] = {
            {em_floor_divide, d ? fdiv_float64 : fdiv_float32, 0, "floor_divide"},
            {em_remainder, d ? rem_float64 : rem_float32, 0, "remainder"},
            {em_power, d ? pow_float64 : pow_float32, 1, "power"},
            {em_logaddexp, d ? lae_float64 : lae_float32, d ? 1 : 3, "logaddexp"},
            {em_arctan2, d ? atan2_float64 : atan2_float32, 1, "arctan2"},
        };
        for (int k = 0; k < 5; k++) {
            em_array *r = cases[k].op(x, y);
            CHECK(ew_is(r, dt, N));
            double g[N];
            CHECK(em_array_copy_to(r, EM_FLOAT64, g, sizeof g) == EM_OK);
            for (int i = 0; i < N; i++) {
                double w = cases[k].want[i];
                bool ok = cases[k].tol == 0 ? same(g[i], w)
                          : (d ? ew_ulps_f64(g[i], w) : ew_ulps_f32((float)g[i], w)) <= cases[k].tol;
                CHECK_MSG(ok, "%s %s(%g, %g) = %a, want %a", em_dtype_name(dt), cases[k].name, a[i],
                          b[i], g[i], w);
            }
        }
    }
    /* the cases the brief names, in float32 */
    float p[6] = {1, -1, 0, -0.0f, -INFINITY, INFINITY}, q[6] = {0, 0, 0, 0, -INFINITY, INFINITY};
    em_array *pa = ew_vec(p, 6, EM_FLOAT32), *qa = ew_vec(q, 6, EM_FLOAT32);
    double g[6];
    CHECK(em_array_copy_to(em_divide(pa, qa), EM_FLOAT64, g, sizeof g) == EM_OK);
    CHECK(g[0] == INFINITY && g[1] == -INFINITY && isnan(g[2]) && isnan(g[3]));
    CHECK(em_array_copy_to(em_logaddexp(pa, qa), EM_FLOAT64, g, sizeof g) == EM_OK);
    CHECK(g[4] == -INFINITY && g[5] == INFINITY);
}

/* ---- integers: every dtype, every pair of interesting values ---- */

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

enum { I_ADD, I_SUB, I_MUL, I_FDIV, I_REM, I_POW, I_MAX, I_MIN, I_AND, I_OR, I_XOR, I_SHL, I_SHR,
       I_EQ, I_LT, I_GE, I_COUNT };
static const binary_op int_ops[I_COUNT] = {
    em_add, em_subtract, em_multiply, em_floor_divide, em_remainder, em_power, em_maximum,
    em_minimum, em_bitwise_and, em_bitwise_or, em_bitwise_xor, em_left_shift, em_right_shift,
    em_equal, em_less, em_greater_equal};

/* The reference: exact arithmetic in __int128, Python's floor division, then
 * wrapped to the dtype. Unsigned values are given as their uint64 bits. */
static int64_t int_ref(int op, int64_t a, int64_t b, em_dtype dt) {
    bool sgn = em_dtype_kind_of(dt) == EM_KIND_INT;
    int bits = (int)em_dtype_size(dt) * 8;
    __int128 x = sgn ? (__int128)a : (__int128)(uint64_t)a;
    __int128 y = sgn ? (__int128)b : (__int128)(uint64_t)b;
    __int128 r = 0;
    switch (op) {
    case I_ADD: r = x + y; break;
    case I_SUB: r = x - y; break;
    case I_MUL: r = (__int128)((unsigned __int128)x * (unsigned __int128)y); break;
    case I_FDIV:
    case I_REM:
        if (y == 0) return 0;
        {
            __int128 q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) q -= 1, m += y;
            r = op == I_FDIV ? q : m;
        }
        break;
    case I_POW:
        if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) ? wrap(-1, dt) : 1) : 0;
        if (y > 300) return -999; /* not checked */
        {
            uint64_t acc = 1;
            for (__int128 i = 0; i < y; i++) acc *= (uint64_t)x;
            r = acc;
        }
        break;
    case I_MAX: r = x > y ? x : y; break;
    case I_MIN: r = x < y ? x : y; break;
    case I_AND: r = x & y; break;
    case I_OR: r = x | y; break;
    case I_XOR: r = x ^ y; break;
    case I_SHL: r = y < 0 || y >= bits ? 0 : (__int128)((uint64_t)x << (int)y); break;
    case I_SHR: r = y < 0 || y >= bits ? (x < 0 ? -1 : 0) : x >> (int)y; break;
    case I_EQ: return x == y;
    case I_LT: return x < y;
    case I_GE: return x >= y;
    }
    return wrap((int64_t)(uint64_t)(unsigned __int128)r, dt);
}

static void test_integers(void) {
    for (int d = EM_UINT8; d <= EM_INT64; d++) {
        em_dtype dt = (em_dtype)d;
        bool sgn = em_dtype_kind_of(dt) == EM_KIND_INT;
        int bits = (int)em_dtype_size(dt) * 8;
        int64_t mn = sgn ? (bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1))) : 0;
        int64_t mx = sgn ? (bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1)
                         : wrap(-1, dt);
        int64_t vals[] = {0, 1, 2, 3, 7, wrap(-1, dt), wrap(-2, dt), wrap(-7, dt), mn, mx,
                          bits - 1, bits, bits + 1, wrap(100, dt), 63};
        enum { NV = sizeof vals / sizeof vals[0], NP = NV * NV };
        uint64_t xa[NP], xb[NP];
        for (int i = 0; i < NV; i++)
            for (int j = 0; j < NV; j++) {
                store_int(dt, xa, (size_t)(i * NV + j), vals[i]);
                store_int(dt, xb, (size_t)(i * NV + j), vals[j]);
            }
        em_array *a = ew_vec(xa, NP, dt), *b = ew_vec(xb, NP, dt);
        for (int op = 0; op < I_COUNT; op++) {
            em_array *r = int_ops[op](a, b);
            em_dtype want_dt = op >= I_EQ ? EM_BOOL : dt;
            CHECK_MSG(ew_is(r, want_dt, NP), "%s op %d", em_dtype_name(dt), op);
            const void *g = ew_raw(r);
            int bad = 0;
            for (int i = 0; g && i < NP; i++) {
                int64_t x = load_int(dt, xa, (size_t)i), y = load_int(dt, xb, (size_t)i);
                int64_t w = int_ref(op, x, y, dt);
                if (w == -999 && op == I_POW) continue;
                int64_t got = op >= I_EQ ? ((const bool *)g)[i] : load_int(dt, g, (size_t)i);
                if (got != w && bad++ < 4)
                    CHECK_MSG(0, "%s op %d (%lld, %lld): got %lld want %lld", em_dtype_name(dt), op,
                              (long long)x, (long long)y, (long long)got, (long long)w);
            }
            CHECK(bad == 0);
        }
    }
    /* the named cases: INT_MIN // -1, division by zero, 3**-1 */
    int32_t p[4] = {INT32_MIN, 5, 3, -7}, q[4] = {-1, 0, -1, 2};
    em_array *pa = ew_vec(p, 4, EM_INT32), *qa = ew_vec(q, 4, EM_INT32);
    CHECK(check_equals(em_floor_divide(pa, qa), (double[]){INT32_MIN, 0, -3, -4}, 4));
    CHECK(check_equals(em_remainder(pa, qa), (double[]){0, 0, 0, 1}, 4));
    CHECK(check_equals(em_power(pa, qa), (double[]){0, 1, 0, 49}, 4));
    int64_t big[2] = {2, 2}, e[2] = {63, 64};
    em_array *bp = em_power(ew_vec(big, 2, EM_INT64), ew_vec(e, 2, EM_INT64));
    const int64_t *bg = ew_raw(bp);
    CHECK(bg && bg[0] == INT64_MIN && bg[1] == 0);
}

static void test_bool(void) {
    /* MLX's results for T,F,T,F op F,F,T,T */
    bool x[4] = {1, 0, 1, 0}, y[4] = {0, 0, 1, 1};
    em_array *a = ew_vec(x, 4, EM_BOOL), *b = ew_vec(y, 4, EM_BOOL);
    static const struct { binary_op op; bool want[4]; } cases[] = {
        {em_add, {1, 0, 1, 1}}, {em_subtract, {1, 0, 0, 1}}, {em_multiply, {0, 0, 1, 0}},
        {em_floor_divide, {0, 0, 1, 0}}, {em_remainder, {0, 0, 0, 0}}, {em_power, {1, 1, 1, 0}},
        {em_maximum, {1, 0, 1, 1}}, {em_minimum, {0, 0, 1, 0}}, {em_less, {0, 0, 0, 1}},
        {em_greater_equal, {1, 1, 1, 0}}, {em_bitwise_xor, {1, 0, 0, 1}},
        {em_bitwise_and, {0, 0, 1, 0}}, {em_bitwise_or, {1, 0, 1, 1}},
        {em_logical_and, {0, 0, 1, 0}}, {em_logical_or, {1, 0, 1, 1}}, {em_equal, {0, 1, 1, 0}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        em_array *r = cases[k].op(a, b);
        CHECK_MSG(ew_is(r, EM_BOOL, 4), "case %zu dtype", k);
        const bool *g = ew_raw(r);
        for (int i = 0; g && i < 4; i++) CHECK_MSG(g[i] == cases[k].want[i], "case %zu element %d", k, i);
    }
    /* bool promotes where the op needs it */
    em_array *dv = em_divide(a, b), *sh = em_left_shift(a, a), *lg = em_logaddexp(a, b);
    CHECK(dv && em_array_dtype(dv) == EM_FLOAT32 && check_equals(dv, (double[]){INFINITY, NAN, 1, 0}, 4));
    CHECK(sh && em_array_dtype(sh) == EM_UINT8 && check_equals(sh, (double[]){2, 0, 2, 0}, 4));
    CHECK(lg && em_array_dtype(lg) == EM_FLOAT32);
    /* logical ops of other dtypes go through bool */
    float f[3] = {0, NAN, -2};
    em_array *fa = ew_vec(f, 3, EM_FLOAT32);
    CHECK(check_equals(em_logical_and(fa, fa), (double[]){0, 1, 1}, 3));
}

static void test_complex(void) {
    em_array *a = ew_vec(cz_a, 6, EM_COMPLEX64), *b = ew_vec(cz_b, 6, EM_COMPLEX64);
    static const struct { binary_op op; const float (*want)[2]; double tol; const char *name; } cases[] = {
        {em_add, cz_add, 0, "add"}, {em_subtract, cz_sub, 0, "subtract"}, {em_multiply, cz_mul, 0, "multiply"},
        {em_divide, cz_div, 1e-7, "divide"}, {em_power, cz_pow, 2e-6, "power"},
        {em_maximum, cz_max, 0, "maximum"}, {em_minimum, cz_min, 0, "minimum"},
        {em_logaddexp, cz_lae, 1e-6, "logaddexp"}, {em_floor_divide, cz_fdiv, 1e-7, "floor_divide"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        em_array *r = cases[k].op(a, b);
        CHECK_MSG(ew_is(r, EM_COMPLEX64, 6), "%s", cases[k].name);
        const float *g = ew_raw(r);
        for (int i = 0; g && i < 6; i++)
            for (int part = 0; part < 2; part++) {
                double v = g[2 * i + part], w = cases[k].want[i][part];
                bool ok = same(v, w) || (isnan(v) && isnan(w)) ||
                          fabs(v - w) <= cases[k].tol * (1 + fabs(w));
                CHECK_MSG(ok, "%s element %d part %d: %a want %a", cases[k].name, i, part, v, w);
            }
    }
    const struct { binary_op op; const bool *want; } cmp[3] = {
        {em_less, cz_less}, {em_less_equal, cz_le}, {em_equal, cz_eq}};
    for (int k = 0; k < 3; k++) {
        em_array *r = cmp[k].op(a, b);
        const bool *g = ew_raw(r);
        for (int i = 0; g && i < 6; i++) CHECK(g[i] == cmp[k].want[i]);
    }
    /* lexicographic order and NaN in maximum, as MLX */
    float c[3][2] = {{1, 5}, {NAN, 0}, {1, 1}}, d[3][2] = {{1, 9}, {0, 1}, {1, 1}};
    em_array *ca = ew_vec(c, 3, EM_COMPLEX64), *da = ew_vec(d, 3, EM_COMPLEX64);
    const float *m = ew_raw(em_maximum(ca, da));
    CHECK(m && m[0] == 1 && m[1] == 9 && isnan(m[2]) && m[4] == 1 && m[5] == 1);
    const bool *ge = ew_raw(em_greater_equal(ca, da));
    CHECK(ge && !ge[0] && !ge[1] && ge[2]);
    /* z**0 == 1, integer powers exact */
    float z[2][2] = {{0, 0}, {1, 1}}, e[2][2] = {{0, 0}, {2, 0}};
    const float *pw = ew_raw(em_power(ew_vec(z, 2, EM_COMPLEX64), ew_vec(e, 2, EM_COMPLEX64)));
    CHECK(pw && pw[0] == 1 && pw[1] == 0 && pw[2] == 0 && pw[3] == 2);
}

/* float16/bfloat16: one rounding of the exact result (float32's 24 bits
 * make the double rounding harmless for + - * /). */
static double round_to(double v, int mant, int emin, double maxv) {
    if (isnan(v) || isinf(v) || v == 0) return v;
    int e;
    frexp(fabs(v), &e);
    int q = (e - 1 < emin ? emin : e - 1) - (mant - 1);
    double r = ldexp(nearbyint(ldexp(v, -q)), q);
    return fabs(r) > maxv ? copysign(INFINITY, v) : r;
}

static void test_half(void) {
    const int64_t n = 50000;
    uint16_t *x = malloc((size_t)n * 2), *y = malloc((size_t)n * 2);
    uint64_t s = 5;
    for (int64_t i = 0; i < n; i++) x[i] = (uint16_t)ew_rand(&s), y[i] = (uint16_t)ew_rand(&s);
    binary_op ops[4] = {em_add, em_subtract, em_multiply, em_divide};
    for (int h = 0; h < 2; h++) {
        em_dtype dt = h ? EM_BFLOAT16 : EM_FLOAT16;
        em_array *a = ew_vec(x, n, dt), *b = ew_vec(y, n, dt);
        for (int k = 0; k < 4; k++) {
            em_array *r = ops[k](a, b);
            CHECK(ew_is(r, dt, n));
            const uint16_t *g = ew_raw(r);
            int bad = 0;
            for (int64_t i = 0; g && i < n; i++) {
                double u = h ? ew_bf16_value(x[i]) : ew_f16_value(x[i]);
                double v = h ? ew_bf16_value(y[i]) : ew_f16_value(y[i]);
                double w = k == 0 ? u + v : k == 1 ? u - v : k == 2 ? u * v : u / v;
                w = h ? round_to(w, 8, -126, 0x1.fep127) : round_to(w, 11, -14, 65504);
                double got = h ? ew_bf16_value(g[i]) : ew_f16_value(g[i]);
                if (!same(got, w) && !(isnan(got) && isnan(w)) && bad++ < 4)
                    CHECK_MSG(0, "%s op %d (%a, %a) = %a want %a", em_dtype_name(dt), k, u, v, got, w);
            }
            CHECK(bad == 0);
        }
        /* comparisons of halves give bool; mixing the two halves gives float32 */
        em_array *lt = em_less(a, b);
        CHECK(ew_is(lt, EM_BOOL, n));
        const bool *g = ew_raw(lt);
        for (int64_t i = 0; g && i < n; i++) {
            double u = h ? ew_bf16_value(x[i]) : ew_f16_value(x[i]);
            double v = h ? ew_bf16_value(y[i]) : ew_f16_value(y[i]);
            if (g[i] != (u < v)) {
                CHECK_MSG(0, "less %a %a", u, v);
                break;
            }
        }
    }
    em_array *m = em_add(ew_vec(x, 4, EM_FLOAT16), ew_vec(y, 4, EM_BFLOAT16));
    CHECK(m && em_array_dtype(m) == EM_FLOAT32);
    free(x);
    free(y);
}

/* ---- broadcasting and layouts ---- */

static void test_broadcast_and_strides(void) {
    enum { R = 19, C = 37 };
    static float base[2 * R * C];
    uint64_t s = 17;
    for (int i = 0; i < 2 * R * C; i++) base[i] = (float)ew_uniform(&s, -3, 3);
    float col[R], row[C];
    for (int i = 0; i < R; i++) col[i] = (float)ew_uniform(&s, -3, 3);
    for (int j = 0; j < C; j++) row[j] = (float)ew_uniform(&s, -3, 3);
    int64_t shape[2] = {R, C};
    em_array *m = em_array_from_data(base, shape, 2, EM_FLOAT32);
    em_array *rc = em_array_from_data(col, (int64_t[]){R, 1}, 2, EM_FLOAT32);
    em_array *rr = ew_vec(row, C, EM_FLOAT32);
    em_array *sc = em_array_from_double(1.25, EM_FLOAT32);
    /* every other element, and transposed */
    em_array *st = em_array_from_external(base, shape, (int64_t[]){2 * C, 2}, 2, EM_FLOAT32, NULL, NULL);
    em_array *tr = em_array_from_external(base, shape, (int64_t[]){1, R}, 2, EM_FLOAT32, NULL, NULL);
    binary_op ops[8] = {em_add, em_subtract, em_multiply, em_divide, em_maximum, em_minimum,
                        em_power, em_less};
    em_array *lhs[4] = {m, st, tr, sc}, *rhs[4] = {rc, rr, sc, st};
    for (int k = 0; k < 8; k++)
        for (int l = 0; l < 4; l++)
            for (int r = 0; r < 4; r++) {
                if (l == 3 && r != 3) continue; /* a scalar needs a full partner */
                em_array *got = ops[k](lhs[l], rhs[r]);
                CHECK(check_shape(got, 2, shape));
                double *g = check_values(got);
                double *x = check_values(em_broadcast_to(lhs[l], shape, 2));
                double *y = check_values(em_broadcast_to(rhs[r], shape, 2));
                int bad = 0;
                for (int i = 0; g && x && y && i < R * C; i++) {
                    float u = (float)x[i], v = (float)y[i];
                    double w;
                    switch (k) {
                    case 0: w = (float)(u + v); break;
                    case 1: w = (float)(u - v); break;
                    case 2: w = (float)(u * v); break;
                    case 3: w = (float)(u / v); break;
                    case 4: w = ref_max(u, v); break;
                    case 5: w = ref_min(u, v); break;
                    case 6: w = (float)pow(u, v); break; /* correctly rounded (glibc powf is not quite) */
                    default: w = u < v; break;
                    }
                    if (!same(g[i], w) && bad++ < 3)
                        CHECK_MSG(0, "op %d lhs %d rhs %d element %d: %a want %a", k, l, r, i, g[i], w);
                }
                CHECK(g && x && y && bad == 0);
                free(g);
                free(x);
                free(y);
            }
    /* integers: a broadcast column and a strided row */
    int32_t iv[6] = {1, 2, 3, 4, 5, 6}, jv[2] = {10, -10};
    em_array *ia = em_array_from_external(iv, (int64_t[]){3}, (int64_t[]){2}, 1, EM_INT32, NULL, NULL);
    em_array *ja = em_array_from_data(jv, (int64_t[]){2, 1}, 2, EM_INT32);
    CHECK(check_equals(em_multiply(ja, ia), (double[]){10, 30, 50, -10, -30, -50}, 6));
    CHECK(check_equals(em_floor_divide(ia, ja), (double[]){0, 0, 0, -1, -1, -1}, 6));
    /* shapes that do not broadcast */
    CHECK_ERROR(em_add(m, ew_vec(row, 5, EM_FLOAT32)), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (19,37) and (5) cannot be broadcast.");
    /* empty */
    em_array *e = em_multiply(em_array_from_data(NULL, (int64_t[]){0, 3}, 2, EM_INT8), ew_vec(iv, 3, EM_INT32));
    CHECK(check_shape(e, 2, (int64_t[]){0, 3}) && em_array_dtype(e) == EM_INT32 && em_eval1(e) == EM_OK);
}

/* The AVX-512, AVX2 and scalar loops agree bit for bit, in every mode, but
 * for which payload a NaN op NaN returns (C lets the compiler commute). */
static void test_simd_bit_exact(void) {
    const int64_t n = 4099;
    float *x = random_floats(n, 8), *y = random_floats(n, 9);
    em_array *a = ew_vec(x, n, EM_FLOAT32), *b = ew_vec(y, n, EM_FLOAT32);
    em_array *sa = em_array_from_external(x, (int64_t[]){n / 3}, (int64_t[]){3}, 1, EM_FLOAT32, NULL, NULL);
    em_array *sb = em_array_from_external(y, (int64_t[]){n / 3}, (int64_t[]){3}, 1, EM_FLOAT32, NULL, NULL);
    em_array *one = em_array_from_double(-1.5, EM_FLOAT32), *nan = em_array_from_double(NAN, EM_FLOAT32);
    binary_op ops[8] = {em_add, em_subtract, em_multiply, em_divide, em_maximum, em_minimum,
                        em_power, em_logaddexp};
    const char *levels[2] = {"avx2", "avx512"};
    em_array *pairs[6][2] = {{a, b}, {one, b}, {a, one}, {sa, sb}, {nan, b}, {sa, nan}};
    for (int k = 0; k < 8; k++)
        for (int p = 0; p < 6; p++) {
            CHECK(cpu_simd_force("none"));
            em_array *ref = ops[k](pairs[p][0], pairs[p][1]);
            const void *rb = ew_raw(ref);
            for (int l = 0; l < 2; l++) {
                if (!cpu_simd_force(levels[l])) continue;
                em_array *r = ops[k](pairs[p][0], pairs[p][1]);
                const float *g = ew_raw(r), *w = rb;
                bool ok = g && w;
                for (int64_t i = 0; ok && i < em_array_size(r); i++)
                    ok = isnan(g[i]) ? isnan(w[i]) : ew_f32_bits(g[i]) == ew_f32_bits(w[i]);
                CHECK_MSG(ok, "op %d pair %d: %s differs from scalar", k, p, levels[l]);
            }
        }
    /* power: the constant exponents of binary.c's fast path give the general
     * loop's bits (contiguous base: fast path; strided base and an exponent
     * array: the general loop), at every SIMD level */
    const float cs[7] = {1, 2, 3, -1, 0.5f, 2.5f, -2};
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(l == 0 ? "none" : levels[l - 1])) continue;
        for (int k = 0; k < 7; k++) {
            em_array *c = em_array_from_double(cs[k], EM_FLOAT32);
            em_array *ca = em_contiguous(sa, false);
            em_array *fast = em_power(ca, c), *strided = em_power(sa, c);
            em_array *arr = em_power(ca, em_full((int64_t[]){n / 3}, 1, c, EM_FLOAT32));
            const float *f = ew_raw(fast), *g = ew_raw(strided), *h = ew_raw(arr);
            bool ok = f && g && h;
            for (int64_t i = 0; ok && i < n / 3; i++)
                ok = (isnan(f[i]) && isnan(g[i]) && isnan(h[i])) ||
                     (ew_f32_bits(f[i]) == ew_f32_bits(g[i]) && ew_f32_bits(f[i]) == ew_f32_bits(h[i]));
            CHECK_MSG(ok, "power by %g: fast path and general loop differ (level %d)", cs[k], l);
        }
    }
    cpu_simd_force(NULL);
    free(x);
    free(y);
}

/* A scalar with an array (the weak-scalar case: x + 1): the value is read
 * once, on either side, for every integer width, with a tail past the
 * 32-element blocks; values against a plain loop with C's wrap-around. */
static void test_scalar_operand(void) {
    enum { N = 1000 + 7 };
    int16_t v16[N];
    uint8_t v8[N];
    int64_t v64[N];
    for (int i = 0; i < N; i++) {
        v16[i] = (int16_t)(i * 37 - 18000);
        v8[i] = (uint8_t)(i * 7);
        v64[i] = (int64_t)i * 1000003 - 500000000;
    }
    em_array *a16 = ew_vec(v16, N, EM_INT16), *a8 = ew_vec(v8, N, EM_UINT8), *a64 = ew_vec(v64, N, EM_INT64);
    em_array *s16 = em_array_from_int(300, EM_INT16), *s8 = em_array_from_int(200, EM_UINT8);
    em_array *s64 = em_array_from_int(-7, EM_INT64);
    em_array *r1 = em_add(a16, s16), *r2 = em_subtract(s16, a16), *r3 = em_add(a8, s8);
    em_array *r4 = em_multiply(s64, a64), *r5 = em_maximum(a16, s16), *r6 = em_not_equal(s8, a8);
    const int16_t *p1 = ew_raw(r1), *p2 = ew_raw(r2), *p5 = ew_raw(r5);
    const uint8_t *p3 = ew_raw(r3);
    const int64_t *p4 = ew_raw(r4);
    const bool *p6 = ew_raw(r6);
    CHECK(p1 && p2 && p3 && p4 && p5 && p6 && em_array_dtype(r6) == EM_BOOL);
    int bad = 0;
    for (int i = 0; p1 && p2 && p3 && p4 && p5 && p6 && i < N; i++) {
        bad += p1[i] != (int16_t)(uint16_t)((uint16_t)v16[i] + 300u);
        bad += p2[i] != (int16_t)(uint16_t)(300u - (uint16_t)v16[i]);
        bad += p3[i] != (uint8_t)(v8[i] + 200);
        bad += p4[i] != -7 * v64[i];
        bad += p5[i] != (v16[i] > 300 ? v16[i] : 300);
        bad += p6[i] != (v8[i] != 200);
    }
    CHECK_MSG(bad == 0, "%d wrong elements", bad);
    /* two scalars broadcast to an array */
    em_array *b = em_add(em_broadcast_to(s16, (int64_t[]){3, 5}, 2), em_broadcast_to(s16, (int64_t[]){3, 5}, 2));
    CHECK(check_shape(b, 2, (int64_t[]){3, 5}));
    const int16_t *pb = ew_raw(b);
    for (int i = 0; pb && i < 15; i++) CHECK(pb[i] == 600);
}

static void test_dtypes_and_errors(void) {
    int8_t i8 = -3;
    uint8_t u8 = 200;
    em_array *a = em_array_from_data(&i8, NULL, 0, EM_INT8), *b = em_array_from_data(&u8, NULL, 0, EM_UINT8);
    em_array *s = em_add(a, b);
    int64_t v = 0;
    CHECK(s && em_array_dtype(s) == EM_INT16 && em_array_item_int(s, &v) == EM_OK && v == 197);
    em_array *q = em_divide(a, b);
    CHECK(q && em_array_dtype(q) == EM_FLOAT32);
    em_array *h = em_add(em_array_from_int(3, EM_INT32), em_array_from_double(0.5, EM_FLOAT16));
    double d = 0;
    CHECK(h && em_array_dtype(h) == EM_FLOAT16 && em_array_item_double(h, &d) == EM_OK && d == 3.5);

    CHECK_ERROR(em_add(NULL, a), EM_ERR_NULL, "add");
    CHECK_ERROR(em_power(a, NULL), EM_ERR_NULL, "power");
    em_array *f = em_array_from_double(1, EM_FLOAT32), *c = em_array_from_complex(1, 1);
    CHECK_ERROR(em_bitwise_and(f, f), EM_ERR_VALUE,
                "[bitwise_and] Only allowed on integer or boolean types but got types float32 and float32.");
    CHECK_ERROR(em_left_shift(f, a), EM_ERR_VALUE,
                "[left_shift] Only allowed on integer or boolean types but got types float32 and int8.");
    CHECK_ERROR(em_right_shift(c, c), EM_ERR_VALUE,
                "[right_shift] Only allowed on integer or boolean types but got types complex64 and complex64.");
    CHECK_ERROR(em_remainder(c, f), EM_ERR_VALUE, "[remainder] Complex type not supported.");
    CHECK_ERROR(em_arctan2(c, f), EM_ERR_VALUE, "[arctan2] Not supported for complex64.");
}

#define RUN(test)                                                              \
    do {                                                                       \
        em_scope_begin();                                                      \
        test();                                                                \
        em_scope_end();                                                        \
    } while (0)

int main(void) {
    int64_t live = em_live_arrays();
    RUN(test_float_exact);
    RUN(test_float_numpy);
    RUN(test_integers);
    RUN(test_bool);
    RUN(test_complex);
    RUN(test_half);
    RUN(test_broadcast_and_strides);
    RUN(test_simd_bit_exact);
    RUN(test_scalar_operand);
    RUN(test_dtypes_and_errors);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
