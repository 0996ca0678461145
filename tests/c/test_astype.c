/* test_astype.c -- astype between every pair of the 14 dtypes against an
 * independent reference (exact source values, one rounding), the named
 * rounding and saturation cases, strided/broadcast sources, copy, errors. */
#include "backend/cpu/simd.h"
#include "ew_util.h"

/* The exact value of a source element: an integer (exact in __int128), a
 * real (every float dtype is exact in double) or a complex pair. */
typedef struct {
    int kind; /* 0 integer, 1 real, 2 complex */
    __int128 i;
    double re, im;
} exact;

static exact load_exact(em_dtype dt, const void *p, int64_t k) {
    exact e = {1, 0, 0, 0};
    const char *b = (const char *)p + k * (int64_t)em_dtype_size(dt);
    switch (dt) {
    case EM_BOOL: e.kind = 0, e.i = *(const bool *)b; break;
    case EM_UINT8: e.kind = 0, e.i = *(const uint8_t *)b; break;
    case EM_UINT16: e.kind = 0, e.i = *(const uint16_t *)b; break;
    case EM_UINT32: e.kind = 0, e.i = *(const uint32_t *)b; break;
    case EM_UINT64: e.kind = 0, e.i = *(const uint64_t *)b; break;
    case EM_INT8: e.kind = 0, e.i = *(const int8_t *)b; break;
    case EM_INT16: e.kind = 0, e.i = *(const int16_t *)b; break;
    case EM_INT32: e.kind = 0, e.i = *(const int32_t *)b; break;
    case EM_INT64: e.kind = 0, e.i = *(const int64_t *)b; break;
    case EM_FLOAT16: e.re = ew_f16_value(*(const uint16_t *)b); break;
    case EM_BFLOAT16: e.re = ew_bf16_value(*(const uint16_t *)b); break;
    case EM_FLOAT32: e.re = *(const float *)b; break;
    case EM_FLOAT64: e.re = *(const double *)b; break;
    default: e.kind = 2, e.re = ((const float *)b)[0], e.im = ((const float *)b)[1]; break;
    }
    return e;
}

/* Rounds a double to a float format of `mant` bits, minimum exponent emin,
 * largest value maxv (round to nearest even). */
static double round_fmt(double v, int mant, int emin, double maxv) {
    if (isnan(v) || isinf(v) || v == 0) return v;
    int e;
    frexp(fabs(v), &e);
    int q = (e - 1 < emin ? emin : e - 1) - (mant - 1);
    double r = ldexp(nearbyint(ldexp(v, -q)), q);
    return fabs(r) > maxv ? copysign(INFINITY, v) : r;
}
/* The same for an integer, exactly, in integer arithmetic (no long double:
 * valgrind computes those in double precision). */
static double round_int(__int128 v, int mant, double maxv) {
    unsigned __int128 u = v < 0 ? (unsigned __int128)(-v) : (unsigned __int128)v;
    int n = 0;
    while (n < 128 && (u >> n)) n++;
    double r;
    if (n <= mant) {
        r = (double)(uint64_t)u;
    } else {
        int sh = n - mant;
        unsigned __int128 q = u >> sh, rem = u & (((unsigned __int128)1 << sh) - 1);
        unsigned __int128 half = (unsigned __int128)1 << (sh - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        r = ldexp((double)(uint64_t)q, sh);
    }
    if (r > maxv) r = INFINITY;
    return v < 0 ? -r : r;
}

/* The expected destination value, as (re, im) doubles or an integer. */
typedef struct { bool is_int; __int128 i; double re, im; } expect;

static expect convert_ref(exact x, em_dtype to) {
    expect w = {false, 0, 0, 0};
    if (to == EM_BOOL) {
        w.is_int = true;
        w.i = x.kind == 0 ? x.i != 0 : (x.re != 0 || (x.kind == 2 && x.im != 0));
        return w;
    }
    if (to >= EM_UINT8 && to <= EM_INT64) {
        int bits = (int)em_dtype_size(to) * 8;
        bool sgn = to >= EM_INT8;
        __int128 lo = sgn ? -((__int128)1 << (bits - 1)) : 0;
        __int128 hi = sgn ? ((__int128)1 << (bits - 1)) - 1 : ((__int128)1 << bits) - 1;
        w.is_int = true;
        if (x.kind == 0) { /* the low bits */
            unsigned __int128 m = ((unsigned __int128)1 << bits) - 1, u = (unsigned __int128)x.i & m;
            w.i = sgn && (u >> (bits - 1)) ? (__int128)u - ((__int128)1 << bits) : (__int128)u;
        } else if (isnan(x.re)) {
            w.i = 0;
        } else { /* truncate, saturate */
            double t = trunc(x.re);
            w.i = t <= (double)lo ? lo : t >= (double)hi ? hi : (__int128)t;
        }
        return w;
    }
    static const struct { int mant, emin; double maxv; } fmt[] = {
        [EM_FLOAT16] = {11, -14, 65504}, [EM_BFLOAT16] = {8, -126, 0x1.fep127},
        [EM_FLOAT32] = {24, -126, FLT_MAX}, [EM_FLOAT64] = {53, -1022, DBL_MAX},
        [EM_COMPLEX64] = {24, -126, FLT_MAX}};
    w.re = x.kind == 0 ? round_int(x.i, fmt[to].mant, fmt[to].maxv)
                       : round_fmt(x.re, fmt[to].mant, fmt[to].emin, fmt[to].maxv);
    if (to == EM_COMPLEX64) w.im = x.kind == 2 ? x.im : 0;
    return w;
}

static expect load_result(em_dtype dt, const void *p, int64_t k) {
    exact e = load_exact(dt, p, k);
    expect w = {e.kind == 0, e.i, e.re, e.im};
    return w;
}

static bool same_value(double a, double b) {
    return (isnan(a) && isnan(b)) || (a == b && !signbit(a) == !signbit(b));
}

/* Source values of each dtype: integers around every boundary, every
 * float16/bfloat16, specials and random float32/float64/complex. */
static void *make_source(em_dtype dt, int64_t *n) {
    static const int64_t ints[] = {0, 1, -1, 2, 127, 128, 255, 256, -128, -129, 32767, 32768,
                                   65504, 65519, 65520, 65535, 65536, 16777217, 2147483647,
                                   -2147483648LL, 4294967295LL, 4294967296LL, 9007199254740993LL,
                                   1152921504606846977LL + 4503599627370496LL, INT64_MAX, INT64_MIN,
                                   -7, 1000003};
    static const double reals[] = {0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.7, 127.9, 128.0, -128.9,
                                   -129.0, 255.5, 256.0, -1.0, -0.99, 65504.0, 65519.99, 65520.0,
                                   2147483647.5, 2147483648.0, -2147483649.0, 4294967296.0,
                                   0x1p63, -0x1p63, 0x1p64, 1e30, -1e30, INFINITY, -INFINITY, NAN,
                                   1 + 0x1p-11, 1 + 0x1p-11 + 0x1p-40, 1 + 3 * 0x1p-11, 0x1p-25,
                                   0x1.8p-25, 0x1p-24, 0x1p-149, 0x1p-150, 0x1.000001p-150, 3.4e38,
                                   3.3961e38, 1e-45, 0x1.0101p0};
    enum { NI = sizeof ints / sizeof ints[0], NR = sizeof reals / sizeof reals[0] };
    uint64_t s = 1234 + (uint64_t)dt;
    void *p;
    if (dt == EM_BOOL) {
        *n = 2;
        bool *b = malloc(2);
        b[0] = false, b[1] = true;
        return b;
    }
    if (dt >= EM_UINT8 && dt <= EM_INT64) {
        *n = NI + 200;
        p = malloc((size_t)*n * 8);
        for (int64_t k = 0; k < *n; k++) {
            int64_t v = k < NI ? ints[k] : (int64_t)ew_rand(&s) >> (ew_rand(&s) % 64);
            switch (em_dtype_size(dt)) {
            case 1: ((uint8_t *)p)[k] = (uint8_t)v; break;
            case 2: ((uint16_t *)p)[k] = (uint16_t)v; break;
            case 4: ((uint32_t *)p)[k] = (uint32_t)v; break;
            default: ((uint64_t *)p)[k] = (uint64_t)v; break;
            }
        }
        return p;
    }
    if (dt == EM_FLOAT16 || dt == EM_BFLOAT16) {
        *n = 65536;
        uint16_t *h = malloc(65536 * 2);
        for (int k = 0; k < 65536; k++) h[k] = (uint16_t)k;
        return h;
    }
    *n = NR + 3000;
    if (dt == EM_FLOAT64) {
        double *d = malloc((size_t)*n * 8);
        for (int64_t k = 0; k < *n; k++) {
            uint64_t r = ew_rand(&s);
            double v;
            memcpy(&v, &r, 8);
            d[k] = k < NR ? reals[k] : k % 2 ? v : ew_uniform(&s, -70000, 70000);
        }
        return d;
    }
    float *f = malloc((size_t)*n * (dt == EM_COMPLEX64 ? 8 : 4));
    int64_t m = dt == EM_COMPLEX64 ? 2 * *n : *n;
    for (int64_t k = 0; k < m; k++)
        f[k] = k < NR ? (float)reals[k] : k % 2 ? ew_bits_f32((uint32_t)ew_rand(&s))
                                                : (float)ew_uniform(&s, -70000, 70000);
    return f;
}

static void test_every_pair(void) {
    for (int from = 0; from < EM_NUM_DTYPES; from++) {
        int64_t n;
        void *src = make_source((em_dtype)from, &n);
        em_array *a = ew_vec(src, n, (em_dtype)from);
        for (int to = 0; to < EM_NUM_DTYPES; to++) {
            em_scope_begin();
            em_array *r = em_astype(a, (em_dtype)to);
            CHECK(ew_is(r, (em_dtype)to, n));
            const void *g = ew_raw(r);
            int bad = 0;
            for (int64_t k = 0; g && k < n; k++) {
                exact x = load_exact((em_dtype)from, src, k);
                expect w = convert_ref(x, (em_dtype)to), got = load_result((em_dtype)to, g, k);
                bool ok = w.is_int ? got.i == w.i
                                   : same_value(got.re, w.re) && same_value(got.im, w.im);
                if (!ok && bad++ < 3)
                    CHECK_MSG(0, "%s -> %s element %lld (%a%+aj / %lld): got %a%+aj / %lld", em_dtype_name((em_dtype)from),
                              em_dtype_name((em_dtype)to), (long long)k, x.re, x.im, (long long)x.i,
                              got.re, got.im, (long long)got.i);
            }
            CHECK(bad == 0);
            em_scope_end();
        }
        free(src);
    }
}

/* The cases the brief names, spelled out. */
static void test_named_cases(void) {
    float f[7] = {NAN, INFINITY, -INFINITY, 3e9f, -3e9f, -1.7f, 1.7f};
    em_array *a = ew_vec(f, 7, EM_FLOAT32);
    CHECK(check_equals(em_astype(a, EM_INT32), (double[]){0, INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, -1, 1}, 7));
    CHECK(check_equals(em_astype(a, EM_UINT8), (double[]){0, 255, 0, 255, 0, 0, 1}, 7));
    CHECK(check_equals(em_astype(a, EM_BOOL), (double[]){1, 1, 1, 1, 1, 1, 1}, 7));
    const int64_t *i64 = ew_raw(em_astype(a, EM_INT64));
    CHECK(i64 && i64[0] == 0 && i64[1] == INT64_MAX && i64[2] == INT64_MIN && i64[3] == 3000000000LL);
    const uint64_t *u64 = ew_raw(em_astype(a, EM_UINT64));
    CHECK(u64 && u64[0] == 0 && u64[1] == UINT64_MAX && u64[2] == 0 && u64[6] == 1);
    /* float -> bool is != 0; complex -> real is the real part */
    float zb[3][2] = {{0, 0}, {0, -1}, {2.75f, 5}};
    em_array *z = ew_vec(zb, 3, EM_COMPLEX64);
    CHECK(check_equals(em_astype(z, EM_BOOL), (double[]){0, 1, 1}, 3));
    CHECK(check_equals(em_astype(z, EM_INT32), (double[]){0, 0, 2}, 3));
    CHECK(check_equals(em_astype(z, EM_FLOAT16), (double[]){0, 0, 2.75}, 3));
    CHECK(check_equals(em_astype(ew_vec((float[]){-0.0f, 0.0f}, 2, EM_FLOAT32), EM_BOOL), (double[]){0, 0}, 2));
    /* int64 -> float16 via float: 65519 rounds down, 65520 overflows */
    int64_t iv[3] = {65519, 65520, (int64_t)1 << 60};
    CHECK(check_equals(em_astype(ew_vec(iv, 3, EM_INT64), EM_FLOAT16), (double[]){65504, INFINITY, INFINITY}, 3));
    /* one rounding from the exact value, never two */
    double dv[2] = {1 + 0x1p-11 + 0x1p-40, 1 + 0x1p-11};
    CHECK(check_equals(em_astype(ew_vec(dv, 2, EM_FLOAT64), EM_FLOAT16), (double[]){1 + 0x1p-10, 1}, 2));
    int64_t bv[1] = {((int64_t)1 << 60) + ((int64_t)1 << 52) + 1};
    CHECK(check_equals(em_astype(ew_vec(bv, 1, EM_INT64), EM_BFLOAT16), (double[]){0x1p60 + 0x1p53}, 1));
    /* float32 -> bfloat16 ties to even, NaN stays NaN */
    float tv[3] = {ew_bits_f32(0x3f808000u), ew_bits_f32(0x3f818000u), NAN};
    const uint16_t *bb = ew_raw(em_astype(ew_vec(tv, 3, EM_FLOAT32), EM_BFLOAT16));
    CHECK(bb && bb[0] == 0x3f80 && bb[1] == 0x3f82 && (bb[2] & 0x7fff) > 0x7f80);
    /* int -> int keeps the low bits */
    int32_t w[2] = {-1, 300};
    CHECK(check_equals(em_astype(ew_vec(w, 2, EM_INT32), EM_UINT8), (double[]){255, 44}, 2));
    const uint64_t *wu = ew_raw(em_astype(ew_vec((int8_t[]){-1}, 1, EM_INT8), EM_UINT64));
    CHECK(wu && wu[0] == UINT64_MAX);
    /* bool -> complex */
    const float *bc = ew_raw(em_astype(em_array_from_bool(true), EM_COMPLEX64));
    CHECK(bc && bc[0] == 1 && bc[1] == 0);
}

static void test_layouts_and_copy(void) {
    int16_t base[24];
    for (int i = 0; i < 24; i++) base[i] = (int16_t)(i * 1000 - 9000);
    /* a transposed (4, 3) view of every other element */
    em_array *t = em_array_from_external(base, (int64_t[]){4, 3}, (int64_t[]){2, 8}, 2, EM_INT16, NULL, NULL);
    double want[12];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) want[i * 3 + j] = base[2 * i + 8 * j];
    em_array *f = em_astype(t, EM_FLOAT32), *h = em_astype(t, EM_FLOAT16), *c = em_copy(t);
    CHECK(check_shape(f, 2, (int64_t[]){4, 3}) && check_equals(f, want, 12));
    double hw[12];
    for (int k = 0; k < 12; k++) hw[k] = round_fmt(want[k], 11, -14, 65504);
    CHECK(check_equals(h, hw, 12));
    CHECK(c && em_array_dtype(c) == EM_INT16 && check_equals(c, want, 12) && em_array_is_contiguous(c));
    /* a broadcast source */
    em_array *b = em_broadcast_to(em_array_from_double(-2.5, EM_FLOAT64), (int64_t[]){3, 5}, 2);
    em_array *bi = em_astype(b, EM_INT8), *bc = em_copy(b);
    CHECK(check_shape(bi, 2, (int64_t[]){3, 5}));
    const int8_t *bv = ew_raw(bi);
    for (int k = 0; bv && k < 15; k++) CHECK(bv[k] == -2);
    CHECK(bc && em_array_is_contiguous(bc) && check_equals(bc, (double[]){-2.5, -2.5, -2.5, -2.5, -2.5,
        -2.5, -2.5, -2.5, -2.5, -2.5, -2.5, -2.5, -2.5, -2.5, -2.5}, 15));
    /* same dtype is the same values; a round trip through float64 is exact */
    float rt[4] = {0.1f, -3e38f, 0x1p-149f, -0.0f};
    em_array *ra = ew_vec(rt, 4, EM_FLOAT32);
    const float *back = ew_raw(em_astype(em_astype(ra, EM_FLOAT64), EM_FLOAT32));
    CHECK(back && !memcmp(back, rt, sizeof rt));
    CHECK(em_astype(ra, EM_FLOAT32) != NULL);
    /* empty */
    em_array *e = em_astype(em_array_from_data(NULL, (int64_t[]){2, 0}, 2, EM_INT32), EM_COMPLEX64);
    CHECK(check_shape(e, 2, (int64_t[]){2, 0}) && em_eval1(e) == EM_OK);
}

/* The vectorised float16/bfloat16 conversions give half.h's bits exactly,
 * NaN payloads included: every half to float32, and float32 bit patterns
 * (random, near ties, subnormal) to halves, on each level against "none". */
static void test_half_bits_every_level(void) {
    enum { NF = 100003 };
    uint16_t *h = malloc(65536 * 2);
    float *f = malloc(NF * 4);
    for (int i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    uint64_t s = 77;
    for (int i = 0; i < NF; i++) {
        uint32_t u = (uint32_t)ew_rand(&s);
        if (i % 3 == 1) u = (u & 0xffff0000u) | 0x8000u | (u & 0x1000u); /* bfloat16 ties */
        if (i % 3 == 2) u = (u & 0x80000000u) | ((u % 0x3a000000u) & ~0xfffu) | 0x1000u; /* float16 ties, subnormals */
        f[i] = ew_bits_f32(u);
    }
    const char *levels[3] = {"none", "avx2", "avx512"};
    void *ref[4] = {NULL, NULL, NULL, NULL};
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        em_scope_begin();
        em_array *outs[4] = {em_astype(ew_vec(h, 65536, EM_FLOAT16), EM_FLOAT32),
                             em_astype(ew_vec(h, 65536, EM_BFLOAT16), EM_FLOAT32),
                             em_astype(ew_vec(f, NF, EM_FLOAT32), EM_FLOAT16),
                             em_astype(ew_vec(f, NF, EM_FLOAT32), EM_BFLOAT16)};
        for (int k = 0; k < 4; k++) {
            const void *g = ew_raw(outs[k]);
            size_t nb = em_array_nbytes(outs[k]);
            if (!g) continue;
            if (l == 0) {
                ref[k] = malloc(nb);
                memcpy(ref[k], g, nb);
            } else {
                CHECK_MSG(ref[k] && !memcmp(g, ref[k], nb), "conversion %d on %s differs from scalar", k, levels[l]);
            }
        }
        em_scope_end();
    }
    cpu_simd_force(NULL);
    for (int k = 0; k < 4; k++) free(ref[k]);
    free(h);
    free(f);
}

/* To bool from every integer and native float dtype through the contiguous
 * fast path (blocks of 32 and a tail): x != 0, so -0.0 is false and NaN
 * true; a strided source gives the same. */
static void test_to_bool_long(void) {
    enum { N = 100 + 3 };
    double v[N];
    for (int i = 0; i < N; i++) v[i] = i % 5 == 0 ? 0.0 : i % 7 == 0 ? -(double)i : 1.0 * (i % 3);
    static const em_dtype dts[] = {EM_UINT8, EM_INT8, EM_UINT16, EM_INT16, EM_UINT32, EM_INT32,
                                   EM_UINT64, EM_INT64, EM_FLOAT32, EM_FLOAT64};
    em_array *src = ew_vec(v, N, EM_FLOAT64);
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        em_array *x = em_astype(src, dts[k]);
        em_array *b = em_astype(x, EM_BOOL);
        em_array *xs = em_slice(x, (int64_t[]){1}, (int64_t[]){N}, (int64_t[]){2}, 1);
        em_array *bs = em_astype(xs, EM_BOOL);
        double back[N];
        CHECK(em_array_copy_to(x, EM_FLOAT64, back, sizeof back) == EM_OK);
        const bool *p = ew_raw(b), *ps = ew_raw(bs);
        CHECK(p && ps && em_array_dtype(b) == EM_BOOL);
        int bad = 0;
        for (int i = 0; p && i < N; i++) bad += p[i] != (back[i] != 0);
        for (int i = 0; ps && i < N / 2; i++) bad += ps[i] != (back[1 + 2 * i] != 0);
        CHECK_MSG(bad == 0, "%s: %d wrong", em_dtype_name(dts[k]), bad);
    }
    float f[40];
    for (int i = 0; i < 40; i++) f[i] = i == 3 ? -0.0f : i == 5 ? NAN : i == 7 ? INFINITY : i == 9 ? 0x1p-149f : 0.0f;
    const bool *pf = ew_raw(em_astype(ew_vec(f, 40, EM_FLOAT32), EM_BOOL));
    for (int i = 0; pf && i < 40; i++) CHECK(pf[i] == (i == 5 || i == 7 || i == 9));
}

static void test_errors(void) {
    CHECK_ERROR(em_astype(NULL, EM_FLOAT32), EM_ERR_NULL, "astype");
    CHECK_ERROR(em_copy(NULL), EM_ERR_NULL, "copy");
    em_array *a = em_array_from_double(1, EM_FLOAT32);
    CHECK_ERROR(em_astype(a, (em_dtype)99), EM_ERR_TYPE, "[astype] Invalid dtype 99.");
}

#define RUN(test)                                                              \
    do {                                                                       \
        em_scope_begin();                                                      \
        test();                                                                \
        em_scope_end();                                                        \
    } while (0)

int main(void) {
    int64_t live = em_live_arrays();
    RUN(test_every_pair);
    RUN(test_named_cases);
    RUN(test_layouts_and_copy);
    RUN(test_half_bits_every_level);
    RUN(test_to_bool_long);
    RUN(test_errors);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
