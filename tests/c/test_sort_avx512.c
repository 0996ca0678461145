/* test_sort_avx512.c -- the AVX-512 quicksort of 32-bit keys
 * (backend/cpu/sort_avx512.c) and the values-only sort that uses it.
 *
 * The key sort itself against qsort over sizes around its network and
 * partition thresholds and over adversarial orders (all equal, sorted,
 * reversed, organ pipe, few distinct values), also with the heapsort
 * fallback forced, and its 64-bit twin (argsort's words) likewise. Then
 * em_sort of float32 / int32 / uint32 lines against a stable reference
 * sort made here (NaN last in input order, -0.0 and +0.0
 * in input order), bit for bit, and against the portable path (the radix
 * sort, EMBER_SIMD capped below AVX-512), over NaNs with payloads, +-0,
 * +-inf, denormals, strided and transposed inputs and axis 0; the 8/16-bit
 * dtypes against the portable path. Where the CPU
 * lacks AVX-512 only the portable path is checked. */
#include <stdint.h>

#include "backend/cpu/simd.h"
#include "backend/cpu/sort_avx512.h"
#include "check.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_u32(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

enum { D_RANDOM, D_FEW, D_EQUAL, D_SORTED, D_REVERSED, D_ORGAN, D_SAW, D_EXTREMES, D_COUNT };

static uint32_t key_at(int dist, int64_t i, int64_t n) {
    switch (dist) {
    case D_RANDOM: return (uint32_t)next();
    case D_FEW: return (uint32_t)(next() % 3) * 0x40000000u;
    case D_EQUAL: return 0x12345678u;
    case D_SORTED: return (uint32_t)i;
    case D_REVERSED: return (uint32_t)(n - i);
    case D_ORGAN: return (uint32_t)(i < n / 2 ? i : n - i);
    case D_SAW: return (uint32_t)(i % 97);
    default: return next() % 3 == 0 ? 0xffffffffu : next() % 2 ? 0 : (uint32_t)next();
    }
}

/* The key sort of n keys of dist with the given depth (-1: automatic). */
static void check_keys(int64_t n, int dist, int depth) {
    uint32_t *a = malloc((size_t)(n ? n : 1) * 4), *b = malloc((size_t)(n ? n : 1) * 4);
    for (int64_t i = 0; i < n; i++) a[i] = b[i] = key_at(dist, i, n);
    if (depth < 0) cpu_sort_u32_avx512(a, n);
    else cpu_sort_u32_avx512_depth(a, n, depth);
    qsort(b, (size_t)n, 4, cmp_u32);
    CHECK_MSG(n == 0 || memcmp(a, b, (size_t)n * 4) == 0, "keys n %lld dist %d depth %d", (long long)n,
              dist, depth);
    free(a);
    free(b);
}

static void test_keys(void) {
    for (int64_t n = 0; n <= 300; n++)
        for (int d = 0; d < D_COUNT; d++) check_keys(n, d, -1);
    const int64_t big[] = {383, 384, 385, 511, 512, 513, 1000, 1024, 4099, 65537, 1 << 20};
    for (size_t s = 0; s < sizeof big / sizeof *big; s++)
        for (int d = 0; d < D_COUNT; d++) check_keys(big[s], d, -1);
    /* the heapsort fallback at every depth it can start from */
    for (int depth = 0; depth < 4; depth++)
        for (int d = 0; d < D_COUNT; d++) check_keys(5000, d, depth);
}

/* The 64-bit twin: composite words (key << 32 | index), all distinct, and
 * plain words with repeats. */
static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void check_words(int64_t n, int dist, int depth, bool composite) {
    uint64_t *a = malloc((size_t)(n ? n : 1) * 8), *b = malloc((size_t)(n ? n : 1) * 8);
    for (int64_t i = 0; i < n; i++) {
        uint64_t k = key_at(dist, i, n);
        a[i] = b[i] = composite ? k << 32 | (uint64_t)i : k * 0x100000001ull;
    }
    if (depth < 0) cpu_sort_u64_avx512(a, n);
    else cpu_sort_u64_avx512_depth(a, n, depth);
    qsort(b, (size_t)n, 8, cmp_u64);
    CHECK_MSG(n == 0 || memcmp(a, b, (size_t)n * 8) == 0, "words n %lld dist %d depth %d", (long long)n,
              dist, depth);
    free(a);
    free(b);
}

static void test_words(void) {
    for (int64_t n = 0; n <= 200; n++)
        for (int d = 0; d < D_COUNT; d++) check_words(n, d, -1, n % 2);
    const int64_t big[] = {255, 256, 257, 1000, 4099, 65537, 1 << 20};
    for (size_t s = 0; s < sizeof big / sizeof *big; s++)
        for (int d = 0; d < D_COUNT; d++) check_words(big[s], d, -1, true), check_words(big[s], d, -1, false);
    for (int depth = 0; depth < 4; depth++)
        for (int d = 0; d < D_COUNT; d++) check_words(5000, d, depth, false);
}

/* ---------------------------------------------------------------- em_sort */

/* float32 bits of n values: finite values with repeats, NaNs with several
 * payloads and signs, +-0, +-inf, denormals. */
static uint32_t f32_bits(int dist) {
    float f;
    uint32_t u;
    switch (next() % 12) {
    case 0: return 0x7fc00000u | (uint32_t)(next() % 4);  /* NaN, payloads */
    case 1: return 0xffc00001u;                           /* -NaN */
    case 2: return 0x00000000u;
    case 3: return 0x80000000u;
    case 4: return next() % 2 ? 0x7f800000u : 0xff800000u; /* +-inf */
    case 5: return (uint32_t)(next() % 0x7fffffu) | (next() % 2 ? 0x80000000u : 0); /* denormal */
    default:
        f = dist == D_FEW ? (float)(int)(next() % 5) - 2.0f : (float)((double)(int64_t)next() / 1e15);
        memcpy(&u, &f, 4);
        return u;
    }
}

static bool f32_less(uint32_t x, uint32_t y) {
    float a, b;
    memcpy(&a, &x, 4);
    memcpy(&b, &y, 4);
    return !isnan(a) && (isnan(b) || a < b);
}
static bool i32_less(uint32_t x, uint32_t y) { return (int32_t)x < (int32_t)y; }
static bool u32_less(uint32_t x, uint32_t y) { return x < y; }

/* A stable bottom-up merge sort: the reference. */
static void ref_sort(uint32_t *v, int64_t n, bool (*less)(uint32_t, uint32_t)) {
    uint32_t *t = malloc((size_t)(n ? n : 1) * 4);
    for (int64_t w = 1; w < n; w *= 2)
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) t[k++] = less(v[j], v[i]) ? v[j++] : v[i++];
            while (i < mid) t[k++] = v[i++];
            while (j < hi) t[k++] = v[j++];
            memcpy(v + lo, t + lo, (size_t)(hi - lo) * 4);
        }
    free(t);
}

/* em_sort(a, axis) as raw 32-bit words, row-major. */
static uint32_t *sorted_words(em_array *a, int axis) {
    em_array *s = em_sort(a, axis, false);
    int64_t n = em_array_size(s);
    uint32_t *o = malloc((size_t)(n ? n : 1) * 4);
    CHECK(s && em_array_copy_to(s, em_array_dtype(s), o, (size_t)(n ? n : 1) * 4) == EM_OK);
    em_array_release(s);
    return o;
}

static uint32_t *argsorted(em_array *a) {
    em_array *s = em_argsort(a, -1, false);
    int64_t n = em_array_size(s);
    uint32_t *o = malloc((size_t)(n ? n : 1) * 4);
    CHECK(s && em_array_copy_to(s, EM_UINT32, o, (size_t)(n ? n : 1) * 4) == EM_OK);
    em_array_release(s);
    return o;
}

static bool (*less_of(em_dtype dt))(uint32_t, uint32_t) {
    return dt == EM_FLOAT32 ? f32_less : dt == EM_INT32 ? i32_less : u32_less;
}

/* A line of n words of dt and dist sorted by em_sort on both paths and by
 * the reference. */
static void check_line(em_dtype dt, int64_t n, int dist) {
    uint32_t *v = malloc((size_t)(n ? n : 1) * 4);
    for (int64_t i = 0; i < n; i++) {
        if (dt == EM_FLOAT32 && dist == D_RANDOM) v[i] = f32_bits(dist);
        else if (dt == EM_FLOAT32 && dist == D_FEW) v[i] = f32_bits(D_FEW);
        else v[i] = key_at(dist, i, n);
    }
    em_array *a = em_array_from_data(v, &n, 1, dt);
    uint32_t *fast = sorted_words(a, -1), *ifast = argsorted(a);
    CHECK(cpu_simd_force("avx2") || cpu_simd_force("none"));
    uint32_t *port = sorted_words(a, 0), *iport = argsorted(a);
    cpu_simd_force(NULL);
    /* argsort: a permutation, stable, the same on both paths */
    bool (*less)(uint32_t, uint32_t) = less_of(dt);
    int bad = 0;
    char *seen = calloc((size_t)(n ? n : 1), 1);
    for (int64_t j = 0; j < n; j++) {
        if (ifast[j] >= (uint32_t)n || seen[ifast[j]]++) {
            bad++;
            break;
        }
        if (j > 0 && less(v[ifast[j]], v[ifast[j - 1]])) bad++;
        if (j > 0 && !less(v[ifast[j - 1]], v[ifast[j]]) && ifast[j] < ifast[j - 1]) bad++;
    }
    CHECK_MSG(bad == 0 && (n == 0 || memcmp(ifast, iport, (size_t)n * 4) == 0),
              "argsort %s n %lld dist %d", em_dtype_name(dt), (long long)n, dist);
    free(seen);
    free(ifast);
    free(iport);
    ref_sort(v, n, less);
    CHECK_MSG(n == 0 || memcmp(fast, v, (size_t)n * 4) == 0, "%s n %lld dist %d: not the stable sort",
              em_dtype_name(dt), (long long)n, dist);
    CHECK_MSG(n == 0 || memcmp(port, v, (size_t)n * 4) == 0, "%s n %lld dist %d: portable path",
              em_dtype_name(dt), (long long)n, dist);
    free(v);
    free(fast);
    free(port);
    em_array_release(a);
}

static void test_lines(void) {
    const em_dtype dts[] = {EM_FLOAT32, EM_INT32, EM_UINT32};
    for (int t = 0; t < 3; t++) {
        for (int64_t n = 0; n <= 300; n += (n < 40 ? 1 : 7))
            for (int d = 0; d < D_COUNT; d++) check_line(dts[t], n, d);
        const int64_t big[] = {1000, 4099, 65537};
        for (size_t s = 0; s < 3; s++)
            for (int d = 0; d < D_COUNT; d++) check_line(dts[t], big[s], d);
        check_line(dts[t], 1 << 20, D_RANDOM);
        check_line(dts[t], 1 << 20, D_FEW);
    }
}

/* 8/16-bit dtypes (keys widened to 32 bits on the AVX-512 path): raw random
 * bits (NaNs with payloads, both zeros, denormals for the halves), sorted
 * alike on both paths, byte for byte (test_sort.c checks the portable path
 * against a reference). */
static void check_narrow(em_dtype dt, int64_t n) {
    size_t es = dt == EM_BOOL || dt == EM_INT8 || dt == EM_UINT8 ? 1 : 2;
    unsigned char *v = malloc((size_t)(n ? n : 1) * es);
    for (int64_t i = 0; i < n * (int64_t)es; i++) v[i] = (unsigned char)(next() % 7 == 0 ? 0 : next());
    if (dt == EM_BOOL)
        for (int64_t i = 0; i < n; i++) v[i] &= 1;
    em_array *a = em_array_from_data(v, &n, 1, dt);
    size_t bytes = (size_t)(n ? n : 1) * es;
    unsigned char *f = malloc(bytes), *g = malloc(bytes);
    em_array *s1 = em_sort(a, -1, false);
    CHECK(em_array_copy_to(s1, dt, f, bytes) == EM_OK);
    CHECK(cpu_simd_force("avx2") || cpu_simd_force("none"));
    em_array *s2 = em_sort(a, -1, false);
    CHECK(em_array_copy_to(s2, dt, g, bytes) == EM_OK);
    cpu_simd_force(NULL);
    CHECK_MSG(n == 0 || memcmp(f, g, (size_t)n * es) == 0, "%s n %lld: paths differ", em_dtype_name(dt),
              (long long)n);
    free(v);
    free(f);
    free(g);
    em_array_release(a);
    em_array_release(s1);
    em_array_release(s2);
}

static void test_narrow(void) {
    const em_dtype dts[] = {EM_BOOL, EM_INT8, EM_UINT8, EM_INT16, EM_UINT16, EM_FLOAT16, EM_BFLOAT16};
    const int64_t ns[] = {1, 2, 15, 17, 100, 255, 256, 257, 300, 1000, 4099, 65537};
    for (size_t t = 0; t < sizeof dts / sizeof *dts; t++)
        for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) check_narrow(dts[t], ns[i]);
}

/* A 3 x n float32 matrix sorted along axis 0 of its transpose (strided
 * lines) and along axis 1 of a column-strided slice. */
static void test_views(int64_t n) {
    int64_t shape[2] = {3, n};
    uint32_t *v = malloc((size_t)(3 * n) * 4);
    for (int64_t i = 0; i < 3 * n; i++) v[i] = f32_bits(D_RANDOM);
    em_array *a = em_array_from_data(v, shape, 2, EM_FLOAT32);
    int perm[2] = {1, 0};
    em_array *at = em_transpose(a, perm, 2);          /* n x 3 */
    uint32_t *got = sorted_words(at, 0);              /* each column: row r of a */
    int bad = 0;
    for (int r = 0; r < 3; r++) {
        uint32_t *line = malloc((size_t)n * 4);
        memcpy(line, v + r * n, (size_t)n * 4);
        ref_sort(line, n, f32_less);
        for (int64_t i = 0; i < n; i++) bad += got[i * 3 + r] != line[i];
        free(line);
    }
    CHECK_MSG(bad == 0, "transposed n %lld: %d wrong", (long long)n, bad);
    int64_t st[2] = {0, 1}, sp[2] = {3, n}, step[2] = {1, 2};
    em_array *s = em_slice(a, st, sp, step, 2); /* every other column */
    int64_t m = em_array_dim(s, 1);
    uint32_t *g2 = sorted_words(s, -1);
    bad = 0;
    for (int r = 0; r < 3; r++) {
        uint32_t *line = malloc((size_t)(m ? m : 1) * 4);
        for (int64_t i = 0; i < m; i++) line[i] = v[r * n + 1 + 2 * i];
        ref_sort(line, m, f32_less);
        for (int64_t i = 0; i < m; i++) bad += g2[r * m + i] != line[i];
        free(line);
    }
    CHECK_MSG(bad == 0, "strided n %lld: %d wrong", (long long)n, bad);
    free(v);
    free(got);
    free(g2);
    em_array_release(a);
    em_array_release(at);
    em_array_release(s);
}

int main(void) {
    if (cpu_sort_u32_avx512_ok()) test_keys(), test_words();
    else printf("no AVX-512: the key sort itself is not tested here\n");
    test_lines();
    test_narrow();
    const int64_t ns[] = {1, 2, 17, 255, 257, 1000, 4099, 65537};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) test_views(ns[i]);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
