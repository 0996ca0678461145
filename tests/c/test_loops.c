/* test_loops.c -- the generic typed elementwise loops (unary.c, binary.c):
 * every (op, dtype) loop, at every instruction-set level (isa.h), gives on
 * contiguous operands, scalar broadcasts on either side and in place the
 * bits its strided scalar path gives, over every length 0..67 (every tail
 * of a block) and a few blocks; and the integer floor_divide and remainder,
 * which divide in float or double, are exact (Python's signs, 0 for a
 * division by zero, INT_MIN // -1 == INT_MIN) over every int8/uint8 pair and
 * many pairs of the wider types, edges included; float32 floor_divide and
 * remainder (fmod in double where exact) equal scalar.h's; and the casts to
 * bool give the strided cast's bits at every level. */
#include <stdint.h>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/scalar.h"
#include "backend/cpu/simd.h"
#include "check.h"
#include "ops/primitives.h"

enum { MAXN = 200, NLEN = 72 };
static const int64_t lengths[NLEN] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
    18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
    36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
    54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 128, 131, 191, MAXN};
static const char *levels[] = {"none", "avx2", "avx512"};

static uint64_t rng = 88172645463325252u;
static uint64_t next_rand(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* One random float: specials, small integers and halves (round's ties),
 * ordinary values, or any bit pattern (signalling NaNs included). */
static double rand_double(void) {
    static const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5,
                                     INFINITY, -INFINITY, NAN, 1e300, -1e-310, 3e38, 1e-45};
    uint64_t r = next_rand();
    switch (r % 5) {
    case 0: return special[(r >> 8) % (sizeof special / sizeof special[0])];
    case 4: return -2.0; /* the caller takes a signalling NaN */
    case 1: return (double)((int64_t)(r >> 8) % 41 - 20) * 0.5;
    case 2: return ((double)(r >> 11) / 9007199254740992.0 - 0.5) * 200.0;
    default: return -1.0; /* the caller takes raw bits */
    }
}

/* Fills n elements of dtype dt (bools 0 or 1). */
static void fill(em_dtype dt, void *p, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = next_rand();
        double d = rand_double();
        bool raw = d == -1.0, snan = d == -2.0;
        if (snan) r = (r & 0x8000000000000000u) | 0x7ff0000000000001u | (r & 0x3ff);
        switch (dt) {
        case EM_BOOL: ((uint8_t *)p)[i] = r & 1; break;
        case EM_FLOAT32: {
            float f = (float)d;
            uint32_t sn = (uint32_t)(r >> 32 & 0x80000000u) | 0x7f800001u | (uint32_t)(r & 0xff);
            if (raw) memcpy(&f, &r, sizeof f);
            if (snan) memcpy(&f, &sn, sizeof f);
            ((float *)p)[i] = f;
            break;
        }
        case EM_FLOAT64: {
            if (raw || snan) memcpy(&d, &r, sizeof d);
            ((double *)p)[i] = d;
            break;
        }
        case EM_COMPLEX64: {
            float f[2] = {(float)d, (float)rand_double()};
            if (raw || snan) memcpy(f, &r, sizeof f);
            memcpy((char *)p + 8 * i, f, sizeof f);
            break;
        }
        default: {
            /* small values half the time: divisors 0, +-1 and equal operands */
            if (r & 1) r = (uint64_t)((int64_t)(r >> 1) % 5 - 2);
            memcpy((char *)p + i * (int64_t)em_dtype_size(dt), &r, em_dtype_size(dt));
        }
        }
    }
}

/* Under valgrind (check.h's under_valgrind) the AVX levels' loops still
 * run (for the memory checks), their values are not compared. */

static const em_nan_to_num_params nan_params = {1.5, 1e30, -1e30};

/* Runs fn over n elements: nin inputs, each contiguous, strided (every
 * other element) or a broadcast (stride 0) as mode[k] says ('c', 's', 'b'),
 * into a contiguous or strided output; writes the n results contiguously to
 * res. */
static void run_loop(cpu_inner_fn fn, int nin, const em_dtype dt, em_dtype odt, char *const *in,
                     const char *mode, bool out_strided, char *res, int64_t n) {
    size_t isz = em_dtype_size(dt), osz = em_dtype_size(odt);
    char buf[3][2 * MAXN * 8 + 16];
    char *p[3];
    int64_t st[3];
    for (int k = 0; k < nin; k++) {
        if (mode[k] == 'b') {
            p[1 + k] = in[k], st[1 + k] = 0;
        } else if (mode[k] == 's') {
            for (int64_t i = 0; i < n; i++) memcpy(buf[1 + k] + 2 * i * isz, in[k] + i * isz, isz);
            p[1 + k] = buf[1 + k], st[1 + k] = 2 * (int64_t)isz;
        } else {
            p[1 + k] = in[k], st[1 + k] = (int64_t)isz;
        }
    }
    p[0] = out_strided ? buf[0] : res;
    st[0] = (int64_t)(out_strided ? 2 * osz : osz);
    fn(p, st, n, &nan_params);
    if (out_strided)
        for (int64_t i = 0; i < n; i++) memcpy(res + i * osz, buf[0] + 2 * i * osz, osz);
}

/* Whether n results of dtype dt are the same: the same bits, except that
 * any NaN equals any NaN (which of two NaN operands' payloads a result
 * carries depends on the order the compiler gives commutative operations;
 * the hand-written float32 loops of simd.h do the same). */
static bool same_results(em_dtype dt, const char *x, const char *y, int64_t n) {
    if (dt == EM_FLOAT32 || dt == EM_COMPLEX64 || dt == EM_FLOAT64) {
        int64_t lanes = dt == EM_FLOAT32 ? n : 2 * n, w = dt == EM_FLOAT64 ? 8 : 4;
        if (dt == EM_FLOAT64) lanes = n;
        for (int64_t i = 0; i < lanes; i++) {
            if (!memcmp(x + i * w, y + i * w, (size_t)w)) continue;
            double a, b;
            if (w == 8) {
                memcpy(&a, x + i * w, 8), memcpy(&b, y + i * w, 8);
            } else {
                float fa, fb;
                memcpy(&fa, x + i * w, 4), memcpy(&fb, y + i * w, 4);
                a = fa, b = fb;
            }
            if (!(a != a && b != b)) return false;
        }
        return true;
    }
    return !memcmp(x, y, (size_t)n * em_dtype_size(dt));
}

/* The loop of (prim, dt) at the current level, NULL if none; *odt its output. */
static cpu_inner_fn loop_of(int nin, em_prim_id prim, em_dtype dt, em_dtype *odt) {
    return nin == 1 ? cpu_unary_loop(prim, dt, odt) : cpu_binary_loop(prim, dt, odt);
}

/* Every loop at every level against the strided scalar path at level none. */
static void test_layouts_and_levels(void) {
    static char in[2][MAXN * 8], ref[MAXN * 8], got[MAXN * 8], inplace[MAXN * 8];
    int checked = 0;
    for (int nin = 1; nin <= 2; nin++) {
        /* input layouts: contiguous, then a broadcast on either side */
        const char *modes[] = {"cc", "bc", "cb"};
        for (int prim = 0; prim < EM_PRIM_COUNT; prim++) {
            for (int d = 0; d < EM_NUM_DTYPES; d++) {
                em_dtype dt = (em_dtype)d, odt;
                CHECK(cpu_simd_force("none"));
                if (!loop_of(nin, (em_prim_id)prim, dt, &odt)) continue;
                size_t isz = em_dtype_size(dt), osz = em_dtype_size(odt);
                for (int m = 0; m < (nin == 1 ? 2 : 3); m++) {
                    const char *mode = nin == 1 ? (m ? "b" : "c") : modes[m];
                    /* float32 x ** c for c in {2, 3, -1, 0.5} is not powf
                     * (binary.c's power_f32_const: within 2 ulp of it) */
                    if (prim == EM_PRIM_POWER && dt == EM_FLOAT32 && m == 2) continue;
                    char smode[2] = {mode[0] == 'b' ? 'b' : 's', nin == 2 && mode[1] == 'b' ? 'b' : 's'};
                    for (int li = 0; li < NLEN; li++) {
                        int64_t n = lengths[li];
                        fill(dt, in[0], MAXN);
                        fill(dt, in[1], MAXN);
                        char *ins[2] = {in[0], in[1]};
                        CHECK(cpu_simd_force("none"));
                        cpu_inner_fn rfn = loop_of(nin, (em_prim_id)prim, dt, &odt);
                        run_loop(rfn, nin, dt, odt, ins, smode, true, ref, n);
                        for (int l = 0; l < 3; l++) {
                            if (!cpu_simd_force(levels[l])) continue;
                            cpu_inner_fn fn = loop_of(nin, (em_prim_id)prim, dt, &odt);
                            memset(got, 0x5a, sizeof got);
                            run_loop(fn, nin, dt, odt, ins, mode, false, got, n);
                            CHECK_MSG((l > 0 && under_valgrind()) || same_results(odt, got, ref, n), "%s %s n=%lld %s layout %s",
                                      em_primitives[prim].name, em_dtype_name(dt), (long long)n,
                                      levels[l], mode);
                            /* in place: the output is the (first array) input */
                            int k = mode[0] == 'b' ? 1 : 0;
                            if (odt == dt && n > 0) {
                                memcpy(inplace, in[k], (size_t)n * isz);
                                char *ins2[2] = {ins[0], ins[1]};
                                ins2[k] = inplace;
                                char *p[3] = {inplace, ins2[0], ins2[1]};
                                int64_t st[3] = {(int64_t)osz, mode[0] == 'b' ? 0 : (int64_t)isz,
                                                 nin == 2 && mode[1] == 'b' ? 0 : (int64_t)isz};
                                fn(p, st, n, &nan_params);
                                CHECK_MSG((l > 0 && under_valgrind()) || same_results(odt, inplace, ref, n),
                                          "%s %s n=%lld %s in place", em_primitives[prim].name,
                                          em_dtype_name(dt), (long long)n, levels[l]);
                            }
                            checked++;
                        }
                    }
                }
            }
        }
    }
    cpu_simd_force(NULL);
    CHECK(checked > 10000);
}

/* float32 floor_divide and remainder (binary.c computes fmod in double where
 * exact): contiguous and broadcast against the strided scalar path on pairs
 * made to stress it: quotients a hair off an integer, near the 2^29 limit,
 * signed zeros, subnormals, infinities, NaN, zero divisors, any bits. */
static void test_float_divmod(void) {
    enum { N = 100000 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    char *ref = malloc(N * 4), *got = malloc(N * 4);
    for (int i = 0; i < N; i++) {
        uint64_t r = next_rand(), q = next_rand();
        float x, y;
        switch (r % 6) {
        case 0: memcpy(&x, &r, 4), memcpy(&y, &q, 4); break;
        case 1: /* an integer quotient, then one ulp off it */
            y = (float)((double)(q % 2000) - 1000.0) / 7.0f;
            x = y * (float)(int64_t)((r >> 8) % 1000000 - 500000);
            if ((r >> 40) & 1) x = nextafterf(x, (r >> 41) & 1 ? INFINITY : -INFINITY);
            break;
        case 2: /* quotients around 2^29 */
            y = 1.0f + (float)(q % 1000) / 1000.0f;
            x = y * ldexpf(1.0f, 27 + (int)((r >> 8) % 4)) * ((r >> 20) & 1 ? -1.0f : 1.0f);
            if ((r >> 21) & 1) x = nextafterf(x, 0.0f);
            break;
        case 3: {
            static const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-45f, -1e-40f,
                                       1.0f, -1.0f, 3e38f, 0.1f, -0.1f};
            x = sp[(r >> 8) % 12], y = sp[(q >> 8) % 12];
            break;
        }
        case 4: x = (float)((int64_t)(r >> 8) % 201 - 100), y = (float)((int64_t)(q >> 8) % 21 - 10); break;
        default:
            x = (float)((double)(r >> 11) / 9007199254740992.0 - 0.5) * 1e6f;
            y = (float)((double)(q >> 11) / 9007199254740992.0 - 0.5) * 10.0f;
        }
        a[i] = x, b[i] = y;
    }
    for (int rem = 0; rem < 2; rem++) {
        em_prim_id prim = rem ? EM_PRIM_REMAINDER : EM_PRIM_FLOOR_DIVIDE;
        em_dtype odt;
        char *ins[2] = {(char *)a, (char *)b};
        for (int bc = 0; bc < 3; bc++) {
            const char *mode = bc == 0 ? "cc" : bc == 1 ? "bc" : "cb";
            int64_t n = N;
            for (int64_t i = 0; i < n; i++) { /* scalar.h's definition */
                float x = a[bc == 1 ? 0 : i], y = b[bc == 2 ? 0 : i];
                float v = rem ? em_remainder_float32(x, y) : em_floor_divide_float32(x, y);
                memcpy(ref + 4 * i, &v, 4);
            }
            for (int l = 0; l < 3; l++) {
                if (!cpu_simd_force(levels[l])) continue;
                cpu_inner_fn fn = cpu_binary_loop(prim, EM_FLOAT32, &odt);
                run_loop(fn, 2, EM_FLOAT32, odt, ins, mode, false, got, n);
                int64_t bad = -1;
                for (int64_t i = 0; i < n && bad < 0; i++)
                    if (!same_results(EM_FLOAT32, got + 4 * i, ref + 4 * i, 1)) bad = i;
                CHECK_MSG(bad < 0 || (l > 0 && under_valgrind()), "%s float32 %s layout %s: %a, %a gives %a, not %a",
                          rem ? "remainder" : "floor_divide", levels[l], mode,
                          bad < 0 ? 0.0 : a[bc == 1 ? 0 : bad], bad < 0 ? 0.0 : b[bc == 2 ? 0 : bad],
                          bad < 0 ? 0.0 : ((float *)got)[bad], bad < 0 ? 0.0 : ((float *)ref)[bad]);
            }
        }
    }
    cpu_simd_force(NULL);
    free(a), free(b), free(ref), free(got);
}

/* float64 floor_divide and remainder (binary.c: fmod as one fma, corrected
 * once): contiguous and broadcast against scalar.h's definition on pairs
 * made to stress it (quotients one ulp off an integer, near 2^52, signed
 * zeros, subnormals, infinities, NaN, zero divisors, any bits). */
static void test_float64_divmod(void) {
    enum { N = 100000 };
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    char *ref = malloc(N * 8), *got = malloc(N * 8);
    for (int i = 0; i < N; i++) {
        uint64_t r = next_rand(), q = next_rand();
        double x, y;
        switch (r % 6) {
        case 0: memcpy(&x, &r, 8), memcpy(&y, &q, 8); break;
        case 1:
            y = ((double)(q % 2000) - 1000.0) / 7.0;
            x = y * (double)(int64_t)((r >> 8) % 100000000 - 50000000);
            if ((r >> 40) & 1) x = nextafter(x, (r >> 41) & 1 ? INFINITY : -INFINITY);
            break;
        case 2:
            y = 1.0 + (double)(q % 100000) / 100000.0;
            x = y * ldexp(1.0, 49 + (int)((r >> 8) % 5)) * ((r >> 20) & 1 ? -1.0 : 1.0);
            if ((r >> 21) & 1) x = nextafter(x, 0.0);
            break;
        case 3: {
            static const double sp[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 5e-324, -1e-310,
                                        1.0, -1.0, 1e308, 0.1, -0.1};
            x = sp[(r >> 8) % 12], y = sp[(q >> 8) % 12];
            break;
        }
        case 4: x = (double)((int64_t)(r >> 8) % 201 - 100), y = (double)((int64_t)(q >> 8) % 21 - 10); break;
        default:
            x = ((double)(r >> 11) / 9007199254740992.0 - 0.5) * 1e12;
            y = ((double)(q >> 11) / 9007199254740992.0 - 0.5) * 10.0;
        }
        a[i] = x, b[i] = y;
    }
    for (int rem = 0; rem < 2; rem++) {
        em_prim_id prim = rem ? EM_PRIM_REMAINDER : EM_PRIM_FLOOR_DIVIDE;
        em_dtype odt;
        char *ins[2] = {(char *)a, (char *)b};
        for (int bc = 0; bc < 3; bc++) {
            const char *mode = bc == 0 ? "cc" : bc == 1 ? "bc" : "cb";
            for (int64_t i = 0; i < N; i++) {
                double x = a[bc == 1 ? 0 : i], y = b[bc == 2 ? 0 : i];
                double v = rem ? em_remainder_float64(x, y) : em_floor_divide_float64(x, y);
                memcpy(ref + 8 * i, &v, 8);
            }
            for (int l = 0; l < 3; l++) {
                if (!cpu_simd_force(levels[l])) continue;
                cpu_inner_fn fn = cpu_binary_loop(prim, EM_FLOAT64, &odt);
                run_loop(fn, 2, EM_FLOAT64, odt, ins, mode, false, got, N);
                int64_t bad = -1;
                for (int64_t i = 0; i < N && bad < 0; i++)
                    if (!same_results(EM_FLOAT64, got + 8 * i, ref + 8 * i, 1)) bad = i;
                CHECK_MSG(bad < 0 || (l > 0 && under_valgrind()), "%s float64 %s layout %s: %a, %a gives %a, not %a",
                          rem ? "remainder" : "floor_divide", levels[l], mode,
                          bad < 0 ? 0.0 : a[bc == 1 ? 0 : bad], bad < 0 ? 0.0 : b[bc == 2 ? 0 : bad],
                          bad < 0 ? 0.0 : ((double *)got)[bad], bad < 0 ? 0.0 : ((double *)ref)[bad]);
            }
        }
    }
    cpu_simd_force(NULL);
    free(a), free(b), free(ref), free(got);
}

/* Casts to bool (the contiguous loops of convert.c, per instruction set;
 * halves by their bits) against the strided cast: every float16/bfloat16
 * bit pattern, and random values of the other dtypes. */
static void test_casts_to_bool(void) {
    enum { N = 65536 };
    uint16_t *h = malloc(N * 2 * sizeof *h);
    char *ref = malloc(N), *got = malloc(N), *src = malloc(N * 8);
    for (int i = 0; i < N; i++) h[i] = (uint16_t)i;
    for (int d = 0; d < EM_NUM_DTYPES; d++) {
        em_dtype dt = (em_dtype)d;
        if (dt == EM_BOOL) continue;
        size_t sz = em_dtype_size(dt);
        if (dt == EM_FLOAT16 || dt == EM_BFLOAT16) memcpy(src, h, N * 2);
        else fill(dt, src, N);
        /* the reference: element by element through the strided path */
        char *strided = malloc(N * 2 * sz);
        for (int i = 0; i < N; i++) memcpy(strided + 2 * i * sz, src + i * sz, sz);
        cpu_loop_storage c;
        CHECK(cpu_simd_force("none"));
        cpu_inner_fn fn = cpu_cast_loop(dt, EM_BOOL, &c);
        CHECK(fn != NULL);
        if (!fn) continue;
        char *p[2] = {ref, strided};
        int64_t st[2] = {1, 2 * (int64_t)sz};
        fn(p, st, N, &c);
        for (int l = 0; l < 3; l++) {
            if (!cpu_simd_force(levels[l])) continue;
            fn = cpu_cast_loop(dt, EM_BOOL, &c);
            for (int li = 0; li < NLEN; li++) {
                int64_t n = li == NLEN - 1 ? N : lengths[li];
                char *q[2] = {got, src};
                int64_t qs[2] = {1, (int64_t)sz};
                fn(q, qs, n, &c);
                CHECK_MSG((l > 0 && under_valgrind()) || !memcmp(got, ref, (size_t)n), "%s to bool %s n=%lld", em_dtype_name(dt),
                          levels[l], (long long)n);
                if (sz == 1) { /* in place: a donated int8/uint8 buffer */
                    memcpy(got, src, (size_t)n);
                    char *r[2] = {got, got};
                    fn(r, qs, n, &c);
                    CHECK_MSG((l > 0 && under_valgrind()) || !memcmp(got, ref, (size_t)n),
                              "%s to bool %s n=%lld in place", em_dtype_name(dt), levels[l], (long long)n);
                }
            }
        }
        if (dt == EM_FLOAT16) { /* and the values: x != 0 */
            int bad = 0;
            for (int i = 0; i < N; i++) {
                float f = em_f16_to_f32(*(const em_f16 *)(src + 2 * i));
                bad += ref[i] != (f != 0);
            }
            CHECK_MSG(bad == 0, "float16 to bool: %d wrong", bad);
        }
        free(strided);
    }
    cpu_simd_force(NULL);
    free(h), free(ref), free(got), free(src);
}

/* Python's floor division and remainder in int64 (b != 0). */
static int64_t py_floordiv(int64_t a, int64_t b) {
    int64_t q = a / b, r = a % b;
    return r != 0 && (r < 0) != (b < 0) ? q - 1 : q;
}

/* Checks floor_divide and remainder of dtype dt on the n pairs (a[i], b[i])
 * (int64 values within dt's range) at every level, against Python's values
 * wrapped to dt (0 for a zero divisor). */
static void check_division(em_dtype dt, const int64_t *a, const int64_t *b, int64_t n) {
    size_t sz = em_dtype_size(dt);
    bool sgn = dt == EM_INT8 || dt == EM_INT16 || dt == EM_INT32;
    char *x = malloc((size_t)n * sz), *y = malloc((size_t)n * sz), *o = malloc((size_t)n * sz);
    for (int64_t i = 0; i < n; i++) {
        memcpy(x + i * (int64_t)sz, &a[i], sz); /* little-endian: the low bytes */
        memcpy(y + i * (int64_t)sz, &b[i], sz);
    }
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        for (int r = 0; r < 2; r++) {
            em_dtype odt;
            cpu_inner_fn fn = cpu_binary_loop(r ? EM_PRIM_REMAINDER : EM_PRIM_FLOOR_DIVIDE, dt, &odt);
            CHECK(fn && odt == dt);
            if (!fn) continue;
            char *p[3] = {o, x, y};
            int64_t st[3] = {(int64_t)sz, (int64_t)sz, (int64_t)sz};
            fn(p, st, n, NULL);
            int64_t bad = 0, first = -1;
            for (int64_t i = 0; i < n; i++) {
                int64_t want = b[i] == 0 ? 0 : r ? a[i] - py_floordiv(a[i], b[i]) * b[i] : py_floordiv(a[i], b[i]);
                uint64_t wbits = (uint64_t)want, gbits = 0;
                memcpy(&gbits, o + i * (int64_t)sz, sz);
                if (sz < 8) wbits &= (1ull << (8 * sz)) - 1; /* wrapped to dt */
                if (gbits != wbits && !bad++) first = i;
            }
            CHECK_MSG(bad == 0 || (l > 0 && under_valgrind()), "%s %s %s: %lld wrong, first %lld %s %lld", levels[l],
                      r ? "remainder" : "floor_divide", em_dtype_name(dt), (long long)bad,
                      first < 0 ? 0LL : (long long)a[first], r ? "%" : "//",
                      first < 0 ? 0LL : (long long)b[first]);
        }
    }
    cpu_simd_force(NULL);
    (void)sgn;
    free(x), free(y), free(o);
}

static void test_integer_division(void) {
    /* every pair of 8-bit values */
    enum { P8 = 256 * 256 };
    int64_t *a = malloc(P8 * 2 * sizeof *a), *b = a + P8;
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < P8; i++) {
            a[i] = s ? (int8_t)(i >> 8) : (i >> 8);
            b[i] = s ? (int8_t)(i & 255) : (i & 255);
        }
        check_division(s ? EM_INT8 : EM_UINT8, a, b, P8);
    }
    free(a);
    /* 16 and 32 bits: edges against edges, and random pairs (with small
     * divisors and quotients near the rounding limits) */
    enum { N = 200000 };
    a = malloc(N * 2 * sizeof *a), b = a + N;
    const em_dtype wide[] = {EM_UINT16, EM_INT16, EM_UINT32, EM_INT32};
    for (int w = 0; w < 4; w++) {
        em_dtype dt = wide[w];
        bool sgn = dt == EM_INT16 || dt == EM_INT32;
        int bits = (int)em_dtype_size(dt) * 8;
        int64_t lo = sgn ? -(1LL << (bits - 1)) : 0, hi = sgn ? (1LL << (bits - 1)) - 1 : (1LL << bits) - 1;
        int64_t edge[] = {lo, lo + 1, hi, hi - 1, 0, 1, 2, 3, 7, -1, -2, -3, -7, hi / 2, lo / 2,
                          hi / 3, lo / 3, 65535, 65536, -65536, 46341, -46341};
        int ne = (int)(sizeof edge / sizeof edge[0]), k = 0;
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < ne; j++) {
                int64_t x = edge[i] < lo || edge[i] > hi ? hi : edge[i];
                int64_t y = edge[j] < lo || edge[j] > hi ? 1 : edge[j];
                a[k] = x, b[k] = y, k++;
            }
        for (; k < N; k++) {
            uint64_t r = next_rand();
            int64_t span = hi - lo + 1;
            a[k] = lo + (int64_t)(r % (uint64_t)span);
            uint64_t q = next_rand();
            switch (q % 3) {
            case 0: b[k] = lo + (int64_t)((q >> 2) % (uint64_t)span); break;
            case 1: b[k] = (int64_t)((q >> 2) % 33) - (sgn ? 16 : 0); break;
            default: { /* a divisor with a quotient a hair off an integer */
                int64_t d = (int64_t)((q >> 2) % 1000) + 2, m = a[k] / d;
                a[k] = m * d + ((q >> 20) & 1 ? 1 : -1);
                if (a[k] < lo || a[k] > hi) a[k] = m * d;
                b[k] = (q >> 21) & 1 && sgn ? -d : d;
            }
            }
        }
        check_division(dt, a, b, N);
    }
    free(a);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_layouts_and_levels();
    test_integer_division();
    test_float_divmod();
    test_float64_divmod();
    test_casts_to_bool();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
