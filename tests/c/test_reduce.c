/* test_reduce.c -- reductions (sum, prod, max, min, all, any, argmax, argmin,
 * mean, var, std, logsumexp): dtypes as MLX, values against references
 * computed here in double (or wrapping 64-bit integers), every dtype, axis
 * sets, keepdims, strided / reversed / broadcast inputs, NaN and infinities,
 * empty arrays, every SIMD level of the kernels, and every bad input. */
#include <float.h>
#include <stdint.h>

#include "backend/cpu/reduce.h"
#include "check.h"
#include "core/half.h"
#include "core/node.h"

static const em_dtype REAL_DTYPES[] = {EM_BOOL, EM_UINT8, EM_UINT16, EM_UINT32, EM_UINT64,
                                       EM_INT8, EM_INT16, EM_INT32, EM_INT64, EM_FLOAT16,
                                       EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64};
#define N_REAL ((int)(sizeof REAL_DTYPES / sizeof *REAL_DTYPES))

static bool is_float(em_dtype d) { return d >= EM_FLOAT16 && d <= EM_FLOAT64; }
static bool is_uint(em_dtype d) { return d >= EM_UINT8 && d <= EM_UINT64; }

/* ---------------------------------------------------------------- scalars */

static void put(em_dtype dt, void *p, double v) {
    switch (dt) {
    case EM_BOOL: *(uint8_t *)p = v != 0; break;
    case EM_UINT8: *(uint8_t *)p = (uint8_t)v; break;
    case EM_UINT16: *(uint16_t *)p = (uint16_t)v; break;
    case EM_UINT32: *(uint32_t *)p = (uint32_t)v; break;
    case EM_UINT64: *(uint64_t *)p = (uint64_t)v; break;
    case EM_INT8: *(int8_t *)p = (int8_t)v; break;
    case EM_INT16: *(int16_t *)p = (int16_t)v; break;
    case EM_INT32: *(int32_t *)p = (int32_t)v; break;
    case EM_INT64: *(int64_t *)p = (int64_t)v; break;
    case EM_FLOAT16: *(em_f16 *)p = em_f32_to_f16((float)v); break;
    case EM_BFLOAT16: *(em_bf16 *)p = em_f32_to_bf16((float)v); break;
    case EM_FLOAT32: *(float *)p = (float)v; break;
    case EM_FLOAT64: *(double *)p = v; break;
    case EM_COMPLEX64: {
        float c[2] = {(float)v, 0};
        memcpy(p, c, sizeof c);
        break;
    }
    default: break;
    }
}

static double get(em_dtype dt, const void *p) {
    switch (dt) {
    case EM_BOOL: return *(const uint8_t *)p;
    case EM_UINT8: return *(const uint8_t *)p;
    case EM_UINT16: return *(const uint16_t *)p;
    case EM_UINT32: return *(const uint32_t *)p;
    case EM_UINT64: return (double)*(const uint64_t *)p;
    case EM_INT8: return *(const int8_t *)p;
    case EM_INT16: return *(const int16_t *)p;
    case EM_INT32: return *(const int32_t *)p;
    case EM_INT64: return (double)*(const int64_t *)p;
    case EM_FLOAT16: return em_f16_to_f32(*(const em_f16 *)p);
    case EM_BFLOAT16: return em_bf16_to_f32(*(const em_bf16 *)p);
    case EM_FLOAT32: return *(const float *)p;
    case EM_FLOAT64: return *(const double *)p;
    default: return 0;
    }
}

/* A new array of the given shape with every element v (em_full's job, which
 * is not this file's subject). */
static em_array *filled(const int64_t *shape, int nd, em_dtype dt, double v) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    size_t isz = em_dtype_size(dt);
    char *buf = malloc((size_t)(n ? n : 1) * isz);
    for (int64_t i = 0; i < n; i++) put(dt, buf + i * (int64_t)isz, v);
    em_array *a = em_array_from_data(buf, shape, nd, dt);
    free(buf);
    return a;
}

/* The value an element of dtype dt holds after storing v. */
static double rounded(em_dtype dt, double v) {
    unsigned char b[16];
    put(dt, b, v);
    return get(dt, b);
}

/* ---------------------------------------------------------------- inputs */

enum { L_CONTIG, L_REVERSED, L_STEPPED, L_NEGATIVE, L_COUNT };
static const char *const layout_names[] = {"contiguous", "reversed axes", "stepped", "negative"};

/* A test input: an external array over `mem` in one of the layouts above,
 * and its values in row-major logical order. */
typedef struct {
    em_array *a;
    void *mem;
    double *vals;
    int64_t size;
} input;

typedef double (*gen_fn)(int64_t k, em_dtype dt);

static double gen_sum(int64_t k, em_dtype dt) {
    if (dt == EM_BOOL) return k % 3 == 0;
    int64_t v = (k * 7 + 3) % 11;
    return is_uint(dt) ? (double)v : (double)(v - 5);
}
static double gen_prod(int64_t k, em_dtype dt) {
    static const double f[4] = {1, -1, 2, 0.5}, s[4] = {1, -1, 2, 3}, u[4] = {1, 2, 3, 1};
    if (dt == EM_BOOL) return k % 5 != 0;
    return is_float(dt) ? f[k % 4] : is_uint(dt) ? u[k % 4] : s[k % 4];
}
static double gen_sparse_zero(int64_t k, em_dtype dt) {
    return k % 13 == 0 ? 0 : gen_sum(k, dt) == 0 ? 1 : gen_sum(k, dt);
}

static input make_input(em_dtype dt, const int64_t *shape, int nd, int layout, gen_fn gen) {
    input in = {0};
    int64_t phys[EM_MAX_NDIM], pst[EM_MAX_NDIM], st[EM_MAX_NDIM], n = 1, pn = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    for (int i = 0; i < nd; i++)
        phys[i] = layout == L_STEPPED ? 2 * shape[i] : layout == L_REVERSED ? shape[nd - 1 - i] : shape[i];
    for (int i = nd - 1; i >= 0; i--) {
        pst[i] = pn;
        pn *= phys[i] ? phys[i] : 1;
    }
    int64_t start = 0;
    for (int i = 0; i < nd; i++) {
        st[i] = layout == L_STEPPED ? 2 * pst[i] : layout == L_REVERSED ? pst[nd - 1 - i] : pst[i];
        if (layout == L_NEGATIVE && i == nd - 1 && shape[i] > 0) {
            st[i] = -pst[i];
            start += (shape[i] - 1) * pst[i];
        }
    }
    size_t isz = em_dtype_size(dt);
    in.mem = calloc((size_t)(pn ? pn : 1), isz);
    in.vals = malloc((size_t)(n ? n : 1) * sizeof(double));
    in.size = n;
    char *base = (char *)in.mem + start * (int64_t)isz;
    for (int64_t k = 0; k < n; k++) {
        int64_t rem = k, off = 0;
        for (int i = nd - 1; i >= 0; i--) {
            off += (rem % shape[i]) * st[i];
            rem /= shape[i];
        }
        in.vals[k] = rounded(dt, gen(k, dt));
        put(dt, base + off * (int64_t)isz, in.vals[k]);
    }
    in.a = em_array_from_external(base, shape, st, nd, dt, NULL, NULL);
    return in;
}

static void free_input(input *in) {
    em_array_release(in->a);
    free(in->mem);
    free(in->vals);
}

/* ---------------------------------------------------------------- references */

typedef enum { R_SUM, R_PROD, R_MAX, R_MIN, R_ALL, R_ANY } rop;
static const char *const rop_names[] = {"sum", "prod", "max", "min", "all", "any"};

static em_dtype sum_dtype(em_dtype d) {
    switch (d) {
    case EM_BOOL: case EM_INT8: case EM_INT16: return EM_INT32;
    case EM_UINT8: case EM_UINT16: return EM_UINT32;
    default: return d;
    }
}

static em_dtype rop_dtype(rop op, em_dtype in) {
    switch (op) {
    case R_SUM: case R_PROD: return sum_dtype(in);
    case R_MAX: case R_MIN: return in;
    default: return EM_BOOL;
    }
}

/* An integer accumulator wrapped to dtype dt's width, as a double. */
static double wrap_to(em_dtype dt, uint64_t u) {
    switch (dt) {
    case EM_INT32: return (double)(int32_t)(uint32_t)u;
    case EM_UINT32: return (double)(uint32_t)u;
    case EM_INT64: return (double)(int64_t)u;
    default: return (double)u;
    }
}

/* Reduces vals (row-major over shape) over the axes in red[]; writes the
 * outputs (row-major over the kept axes) to out and the sums of |x| per
 * output to mag. */
static void reference(rop op, em_dtype in_dt, const double *vals, const int64_t *shape, int nd,
                      const bool *red, double *out, double *mag) {
    int64_t nout = 1, n = 1;
    for (int i = 0; i < nd; i++) {
        n *= shape[i];
        if (!red[i]) nout *= shape[i];
    }
    em_dtype od = rop_dtype(op, in_dt);
    bool exact_int = !is_float(in_dt) && (op == R_SUM || op == R_PROD);
    uint64_t *acc = calloc((size_t)(nout ? nout : 1), sizeof *acc);
    long double *facc = calloc((size_t)(nout ? nout : 1), sizeof *facc);
    bool *seen = calloc((size_t)(nout ? nout : 1), sizeof *seen);
    for (int64_t j = 0; j < nout; j++) {
        mag[j] = 0;
        acc[j] = op == R_PROD ? 1 : 0;
        facc[j] = op == R_PROD || op == R_ALL ? 1 : 0;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t rem = k, o = 0, mul = 1;
        for (int i = nd - 1; i >= 0; i--) {
            int64_t idx = rem % shape[i];
            rem /= shape[i];
            if (!red[i]) {
                o += idx * mul;
                mul *= shape[i];
            }
        }
        double v = vals[k];
        mag[o] += fabs(v);
        if (exact_int) {
            uint64_t u = (uint64_t)(int64_t)v;
            acc[o] = op == R_SUM ? acc[o] + u : acc[o] * u;
            continue;
        }
        long double *f = &facc[o];
        switch (op) {
        case R_SUM: *f += v; break;
        case R_PROD: *f *= v; break;
        case R_MAX:
        case R_MIN:
            if (!seen[o] || isnan(v) || (!isnan((double)*f) && (op == R_MAX ? v > *f : v < *f))) *f = v;
            seen[o] = true;
            break;
        case R_ALL: *f = *f && v != 0; break;
        case R_ANY: *f = *f || v != 0; break;
        }
    }
    for (int64_t j = 0; j < nout; j++) {
        if (exact_int) out[j] = wrap_to(od, acc[j]);
        else out[j] = is_float(od) ? rounded(od, (double)facc[j]) : (double)facc[j];
        if (!exact_int && !is_float(od) && od != EM_BOOL && (op == R_SUM || op == R_PROD))
            out[j] = wrap_to(od, (uint64_t)(int64_t)out[j]);
    }
    free(acc);
    free(facc);
    free(seen);
}

/* Whether got matches want for a result of dtype od, given the magnitude
 * sum m of the terms (float sums: a few ulps of the accumulator times m, plus
 * the rounding of the result). */
static bool close_enough(em_dtype od, double got, double want, double m) {
    if (isnan(want)) return isnan(got);
    if (got == want) return true;
    double rel;
    switch (od) {
    case EM_FLOAT16: rel = 1.0 / 1024; break;
    case EM_BFLOAT16: rel = 1.0 / 128; break;
    case EM_FLOAT32: rel = 0; break;
    case EM_FLOAT64: rel = 0; break;
    default: return false;
    }
    double acc_eps = od == EM_FLOAT64 ? 1e-15 : 1e-6;
    return fabs(got - want) <= rel * fabs(want) + 8 * acc_eps * (1 + m);
}

/* ---------------------------------------------------------------- value sweep */

static em_array *call_rop(rop op, em_array *a, const int *axes, int naxes, bool keepdims) {
    switch (op) {
    case R_SUM: return em_sum(a, axes, naxes, keepdims);
    case R_PROD: return em_prod(a, axes, naxes, keepdims);
    case R_MAX: return em_max(a, axes, naxes, keepdims);
    case R_MIN: return em_min(a, axes, naxes, keepdims);
    case R_ALL: return em_all(a, axes, naxes, keepdims);
    default: return em_any(a, axes, naxes, keepdims);
    }
}

/* Reduces `in` over axes (naxes < 0: all) and checks shape, dtype, values. */
static void check_reduce(rop op, const input *in, const int64_t *shape, int nd, const int *axes,
                         int naxes, bool keepdims, const char *what) {
    em_dtype dt = em_array_dtype(in->a);
    bool red[EM_MAX_NDIM] = {false};
    int nred = naxes < 0 ? nd : naxes;
    for (int i = 0; i < nred; i++) red[naxes < 0 ? i : (axes[i] + nd) % nd] = true;
    int64_t oshape[EM_MAX_NDIM], nout = 1;
    int ond = 0;
    for (int i = 0; i < nd; i++) {
        if (!red[i]) oshape[ond++] = shape[i], nout *= shape[i];
        else if (keepdims) oshape[ond++] = 1;
    }
    em_array *r = call_rop(op, in->a, axes, naxes, keepdims);
    double *want = malloc((size_t)(nout ? nout : 1) * sizeof *want);
    double *mag = malloc((size_t)(nout ? nout : 1) * sizeof *mag);
    reference(op, dt, in->vals, shape, nd, red, want, mag);
    em_dtype od = rop_dtype(op, dt);
    bool ok = r && check_shape(r, ond, oshape) && em_array_dtype(r) == od;
    double *got = ok ? check_values(r) : NULL;
    ok = ok && got;
    for (int64_t j = 0; ok && j < nout; j++)
        if (!close_enough(od, got[j], want[j], mag[j])) {
            fprintf(stderr, "  element %lld: got %.17g want %.17g\n", (long long)j, got[j], want[j]);
            ok = false;
        }
    CHECK_MSG(ok, "%s %s of %s over %d axes (keepdims %d): %s", what, rop_names[op],
              em_dtype_name(dt), naxes, keepdims, em_error_message());
    em_error_clear();
    free(got);
    free(want);
    free(mag);
    em_array_release(r);
}

typedef struct { int n; int axes[4]; } axis_set;

static void sweep_shape(const int64_t *shape, int nd, const axis_set *sets, int nsets,
                        int nlayouts) {
    for (int di = 0; di < N_REAL; di++) {
        em_dtype dt = REAL_DTYPES[di];
        for (int layout = 0; layout < nlayouts; layout++) {
            for (int op = R_SUM; op <= R_ANY; op++) {
                gen_fn gen = op == R_PROD ? gen_prod : op == R_ALL || op == R_ANY ? gen_sparse_zero : gen_sum;
                input in = make_input(dt, shape, nd, layout, gen);
                for (int s = 0; s < nsets; s++) {
                    const int *ax = sets[s].n < 0 ? NULL : sets[s].axes;
                    check_reduce((rop)op, &in, shape, nd, ax, sets[s].n, (s & 1) != 0,
                                 layout_names[layout]);
                }
                free_input(&in);
            }
        }
    }
}

static void test_values(void) {
    static const axis_set small[] = {{-1, {0}},  {1, {0}},     {1, {1}},     {1, {2}},
                                     {1, {-1}},  {2, {0, 2}},  {2, {2, 0}},  {2, {0, 1}},
                                     {2, {1, 2}}, {3, {0, 1, 2}}, {1, {-3}}};
    sweep_shape((int64_t[]){3, 4, 5}, 3, small, (int)(sizeof small / sizeof *small), L_COUNT);
    static const axis_set mid[] = {{1, {0}}, {1, {1}}, {1, {2}}, {2, {0, 2}}, {2, {1, 2}},
                                   {-1, {0}}, {2, {0, 1}}};
    sweep_shape((int64_t[]){2, 17, 33}, 3, mid, (int)(sizeof mid / sizeof *mid), L_COUNT);
    static const axis_set two[] = {{1, {0}}, {1, {1}}, {-1, {0}}, {1, {-1}}};
    sweep_shape((int64_t[]){40, 70}, 2, two, 4, L_COUNT);
    /* long rows: the pairwise recursion of the SIMD loops */
    sweep_shape((int64_t[]){3, 2500}, 2, two, 4, 2);
    /* many short rows (column mode with few columns, row mode with short rows) */
    sweep_shape((int64_t[]){300, 3}, 2, two, 4, 2);
    /* four axes */
    static const axis_set four[] = {{2, {0, 2}}, {2, {1, 3}}, {3, {0, 1, 3}}, {1, {2}}};
    sweep_shape((int64_t[]){2, 3, 4, 6}, 4, four, 4, L_COUNT);
}

/* A broadcast (zero-stride) input counts each element as often as it
 * appears. */
static void test_broadcast_input(void) {
    float v[3] = {1.5f, -2, 4};
    em_array *a = em_array_from_data(v, (int64_t[]){3}, 1, EM_FLOAT32);
    em_array *b = em_broadcast_to(a, (int64_t[]){4, 3}, 2);
    em_array *s0 = em_sum(b, (int[]){0}, 1, false);
    em_array *s1 = em_sum(b, (int[]){1}, 1, false);
    em_array *sa = em_sum(b, NULL, -1, false);
    em_array *p0 = em_prod(b, (int[]){0}, 1, true);
    em_array *m1 = em_max(b, (int[]){1}, 1, false);
    CHECK(check_equals(s0, (double[]){6, -8, 16}, 3));
    CHECK(check_equals(s1, (double[]){3.5, 3.5, 3.5, 3.5}, 4));
    CHECK(check_equals(sa, (double[]){14}, 1));
    CHECK(check_shape(p0, 2, (int64_t[]){1, 3}) && check_equals(p0, (double[]){5.0625, 16, 256}, 3));
    CHECK(check_equals(m1, (double[]){4, 4, 4, 4}, 4));
    /* a long broadcast axis: strided row of stride 0 */
    em_array *big = em_broadcast_to(a, (int64_t[]){1000, 3}, 2);
    em_array *sb = em_sum(big, (int[]){0}, 1, false);
    CHECK(check_equals(sb, (double[]){1500, -2000, 4000}, 3));
    em_array *arr[] = {a, b, s0, s1, sa, p0, m1, big, sb};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
}

/* ---------------------------------------------------------------- dtypes */

static void test_dtypes(void) {
    /* MLX 0.32: mx.sum(mx.ones((2,3), dtype=d), axis=0).dtype and so on */
    static const em_dtype sum_dt[] = {EM_INT32, EM_UINT32, EM_UINT32, EM_UINT32, EM_UINT64,
                                      EM_INT32, EM_INT32, EM_INT32, EM_INT64, EM_FLOAT16,
                                      EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64, EM_COMPLEX64};
    for (int d = 0; d < EM_NUM_DTYPES; d++) {
        em_dtype dt = (em_dtype)d;
        em_array *a = filled((int64_t[]){2, 3}, 2, dt, 0);
        int ax[1] = {0};
        em_array *r[12] = {
            em_sum(a, ax, 1, false),         em_prod(a, ax, 1, false),
            em_max(a, ax, 1, false),         em_min(a, ax, 1, false),
            em_mean(a, ax, 1, false),        em_var(a, ax, 1, false, 0),
            em_std(a, ax, 1, false, 0),      em_all(a, ax, 1, false),
            em_any(a, ax, 1, false),         em_logsumexp(a, ax, 1, false),
            em_argmax(a, 0, false, false),   em_argmin(a, 0, false, false)};
        em_dtype fl = is_float(dt) ? dt : dt == EM_COMPLEX64 ? EM_COMPLEX64 : EM_FLOAT32;
        em_dtype want[12] = {sum_dt[d], sum_dt[d], dt, dt, fl,
                             dt == EM_COMPLEX64 ? EM_FLOAT32 : fl,
                             dt == EM_COMPLEX64 ? EM_FLOAT32 : fl,
                             EM_BOOL, EM_BOOL, fl, EM_UINT32, EM_UINT32};
        for (int i = 0; i < 12; i++) {
            CHECK_MSG(r[i] && em_array_dtype(r[i]) == want[i], "op %d of %s: got %s", i,
                      em_dtype_name(dt), r[i] ? em_dtype_name(em_array_dtype(r[i])) : "NULL");
            CHECK(check_shape(r[i], 1, (int64_t[]){3}));
            em_array_release(r[i]);
        }
        em_array_release(a);
    }
    em_error_clear();
}

/* ---------------------------------------------------------------- axes */

static void test_axes_rules(void) {
    em_array *a = filled((int64_t[]){2, 3}, 2, EM_INT8, 1);
    /* no axes: the input itself (MLX returns it unchanged, dtype included) */
    em_array *r = em_sum(a, NULL, 0, false);
    CHECK(r == a && em_array_dtype(r) == EM_INT8);
    em_array_release(r);
    r = em_max(a, (int[]){0}, 0, true);
    CHECK(r == a);
    em_array_release(r);
    r = em_all(a, NULL, 0, false);
    CHECK(r && em_array_dtype(r) == EM_BOOL && check_shape(r, 2, (int64_t[]){2, 3}));
    CHECK(check_equals(r, (double[]){1, 1, 1, 1, 1, 1}, 6));
    em_array_release(r);
    /* 0-d with all axes: unchanged */
    em_array *s = em_array_from_int(3, EM_INT8);
    r = em_sum(s, NULL, -1, false);
    CHECK(r == s);
    em_array_release(r);
    r = em_sum(s, NULL, -1, true);
    CHECK(r == s && em_array_ndim(r) == 0);
    em_array_release(r);
    CHECK_ERROR(em_sum(s, (int[]){0}, 1, false), EM_ERR_INDEX,
                "[sum] Invalid axis 0 for array with 0 dimensions.");
    em_array_release(s);
    /* keepdims shapes */
    em_array *b = filled((int64_t[]){2, 3, 4}, 3, EM_FLOAT32, 1);
    r = em_sum(b, (int[]){-1, 0}, 2, true);
    CHECK(check_shape(r, 3, (int64_t[]){1, 3, 1}) && check_equals(r, (double[]){8, 8, 8}, 3));
    em_array_release(r);
    r = em_sum(b, NULL, -1, true);
    CHECK(check_shape(r, 3, (int64_t[]){1, 1, 1}) && check_equals(r, (double[]){24}, 1));
    em_array_release(r);
    r = em_sum(b, NULL, -1, false);
    CHECK(check_shape(r, 0, NULL) && check_equals(r, (double[]){24}, 1));
    em_array_release(r);
    /* reducing only size-1 axes */
    em_array *c = filled((int64_t[]){1, 3, 1}, 3, EM_INT32, 1);
    r = em_sum(c, (int[]){0, 2}, 2, false);
    CHECK(check_shape(r, 1, (int64_t[]){3}) && check_equals(r, (double[]){1, 1, 1}, 3));
    em_array_release(r);
    em_array_release(c);
    em_array_release(b);
    em_array_release(a);
}

static void test_errors(void) {
    em_array *a = filled((int64_t[]){2, 3}, 2, EM_FLOAT32, 0);
    CHECK_ERROR(em_sum(a, (int[]){3}, 1, false), EM_ERR_INDEX,
                "[sum] Invalid axis 3 for array with 2 dimensions.");
    CHECK_ERROR(em_prod(a, (int[]){-3}, 1, false), EM_ERR_INDEX,
                "[prod] Invalid axis -3 for array with 2 dimensions.");
    CHECK_ERROR(em_max(a, (int[]){0, 5}, 2, false), EM_ERR_INDEX,
                "[max] Invalid axis 5 for array with 2 dimensions.");
    CHECK_ERROR(em_min(a, (int[]){1, 1}, 2, false), EM_ERR_VALUE,
                "[min] Duplicate axes detected in reduction.");
    CHECK_ERROR(em_all(a, (int[]){0, -2}, 2, false), EM_ERR_VALUE,
                "[all] Duplicate axes detected in reduction.");
    CHECK_ERROR(em_any(a, (int[]){9}, 1, true), EM_ERR_INDEX,
                "[any] Invalid axis 9 for array with 2 dimensions.");
    CHECK_ERROR(em_mean(a, (int[]){5}, 1, false), EM_ERR_INDEX,
                "[mean] axis 5 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_mean(a, (int[]){-3}, 1, false), EM_ERR_INDEX,
                "[mean] axis -3 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_mean(a, (int[]){0, 0}, 2, false), EM_ERR_VALUE,
                "[mean] Duplicate axes detected in reduction.");
    CHECK_ERROR(em_var(a, (int[]){5}, 1, false, 0), EM_ERR_INDEX,
                "[var] axis 5 is out of bounds for array with 2 dimensions.");
    CHECK_ERROR(em_std(a, (int[]){1, -1}, 2, false, 1), EM_ERR_VALUE,
                "[std] Duplicate axes detected in reduction.");
    CHECK_ERROR(em_logsumexp(a, (int[]){5}, 1, false), EM_ERR_INDEX,
                "[logsumexp] Invalid axis 5 for array with 2 dimensions.");
    CHECK_ERROR(em_logsumexp(a, (int[]){1, 1}, 2, false), EM_ERR_VALUE,
                "[logsumexp] Duplicate axes detected in reduction.");
    CHECK_ERROR(em_argmax(a, 2, false, false), EM_ERR_INDEX,
                "[argmax] Invalid axis 2 for array with 2 dimensions.");
    CHECK_ERROR(em_argmin(a, -3, false, true), EM_ERR_INDEX,
                "[argmin] Invalid axis -3 for array with 2 dimensions.");
    /* NULL arrays and axis lists */
    CHECK_ERROR(em_sum(NULL, NULL, -1, false), EM_ERR_NULL, "[sum]");
    CHECK_ERROR(em_mean(NULL, NULL, -1, false), EM_ERR_NULL, "[mean]");
    CHECK_ERROR(em_var(NULL, NULL, -1, false, 0), EM_ERR_NULL, "[var]");
    CHECK_ERROR(em_logsumexp(NULL, NULL, -1, false), EM_ERR_NULL, "[logsumexp]");
    CHECK_ERROR(em_argmax(NULL, 0, true, false), EM_ERR_NULL, "[argmax]");
    CHECK_ERROR(em_sum(a, NULL, 2, false), EM_ERR_NULL, "[sum] The axes pointer is NULL.");
    CHECK_ERROR(em_mean(a, NULL, 1, false), EM_ERR_NULL, "[mean] The axes pointer is NULL.");
    /* the first error of a chain is kept */
    em_error_clear();
    em_array *x = em_sum(a, (int[]){7}, 1, false);
    em_array *y = em_max(x, NULL, -1, false);
    CHECK(!x && !y && em_error_code() == EM_ERR_INDEX &&
          strstr(em_error_message(), "[sum] Invalid axis 7") != NULL);
    em_error_clear();
    /* empty reductions that MLX refuses */
    em_array *e = filled((int64_t[]){0, 3}, 2, EM_FLOAT32, 0);
    CHECK_ERROR(em_max(e, NULL, -1, false), EM_ERR_VALUE,
                "[max] Cannot max reduce over axis 0 with size 0.");
    CHECK_ERROR(em_min(e, (int[]){0}, 1, true), EM_ERR_VALUE,
                "[min] Cannot min reduce over axis 0 with size 0.");
    CHECK_ERROR(em_argmax(e, 1, false, false), EM_ERR_VALUE,
                "[argmax] Cannot argmax reduce zero size array.");
    CHECK_ERROR(em_argmin(e, 0, true, false), EM_ERR_VALUE,
                "[argmin] Cannot argmin reduce zero size array.");
    CHECK_ERROR(em_logsumexp(e, (int[]){1}, 1, false), EM_ERR_VALUE,
                "[logsumexp] Received empty array.");
    em_array *e2 = filled((int64_t[]){3, 0, 0}, 3, EM_INT32, 0);
    CHECK_ERROR(em_max(e2, (int[]){2, 1}, 2, false), EM_ERR_VALUE,
                "[max] Cannot max reduce over axis 1 with size 0.");
    em_array_release(e2);
    em_array_release(e);
    em_array_release(a);
}

/* Composite ops hand only their result to a scope: their intermediates are
 * theirs to release (the graph keeps what it needs). */
static void test_scopes(void) {
    int64_t live = em_live_arrays();
    em_scope_begin();
    em_array *a = filled((int64_t[]){2, 3, 4}, 3, EM_FLOAT16, 1);
    em_mean(a, (int[]){1}, 1, false);
    em_var(a, NULL, -1, true, 1);
    em_std(a, (int[]){0, 2}, 2, false, 0);
    em_logsumexp(a, (int[]){-1}, 1, false);
    em_argmax(a, 2, false, false);
    em_sum(a, NULL, -1, false);
    CHECK(em_scope_end() == 7);
    CHECK(em_live_arrays() == live);
    em_error_clear();
}

/* ---------------------------------------------------------------- empty */

static void test_empty(void) {
    em_array *e = filled((int64_t[]){0, 3}, 2, EM_FLOAT32, 0);
    em_array *r = em_sum(e, (int[]){0}, 1, false);
    CHECK(check_shape(r, 1, (int64_t[]){3}) && check_equals(r, (double[]){0, 0, 0}, 3));
    em_array_release(r);
    r = em_sum(e, NULL, -1, false);
    CHECK(check_shape(r, 0, NULL) && check_equals(r, (double[]){0}, 1));
    em_array_release(r);
    r = em_prod(e, (int[]){0}, 1, true);
    CHECK(check_shape(r, 2, (int64_t[]){1, 3}) && check_equals(r, (double[]){1, 1, 1}, 3));
    em_array_release(r);
    r = em_all(e, (int[]){0}, 1, false);
    CHECK(em_array_dtype(r) == EM_BOOL && check_equals(r, (double[]){1, 1, 1}, 3));
    em_array_release(r);
    r = em_any(e, (int[]){0}, 1, false);
    CHECK(check_equals(r, (double[]){0, 0, 0}, 3));
    em_array_release(r);
    /* max over a non-empty axis of an empty array is an empty array */
    r = em_max(e, (int[]){1}, 1, false);
    CHECK(check_shape(r, 1, (int64_t[]){0}) && em_eval1(r) == EM_OK);
    em_array_release(r);
    /* every dtype: sum and prod of nothing */
    for (int d = 0; d < EM_NUM_DTYPES; d++) {
        em_array *z = filled((int64_t[]){2, 0}, 2, (em_dtype)d, 0);
        em_array *s = em_sum(z, (int[]){1}, 1, false);
        em_array *p = em_prod(z, (int[]){-1}, 1, false);
        CHECK_MSG(check_equals(s, (double[]){0, 0}, 2) && check_equals(p, (double[]){1, 1}, 2),
                  "%s", em_dtype_name((em_dtype)d));
        em_array_release(z);
        em_array_release(s);
        em_array_release(p);
    }
    em_array_release(e);
}

/* ---------------------------------------------------------------- NaN, inf, wrap */

static void test_nan_inf(void) {
    /* rows long enough for the SIMD loops, NaN in different places */
    enum { N = 300 };
    float *x = malloc(2 * N * sizeof *x);
    double *d = malloc(2 * N * sizeof *d);
    for (int i = 0; i < 2 * N; i++) x[i] = (float)(i % 17) - 8, d[i] = x[i];
    x[N + 150] = NAN;
    d[7] = NAN;
    x[5] = INFINITY;
    x[N + 200] = -INFINITY;
    em_array *a = em_array_from_data(x, (int64_t[]){2, N}, 2, EM_FLOAT32);
    em_array *b = em_array_from_data(d, (int64_t[]){2, N}, 2, EM_FLOAT64);
    em_array *ra = em_max(a, (int[]){1}, 1, false), *rb = em_min(b, (int[]){1}, 1, false);
    CHECK(check_equals(ra, (double[]){INFINITY, NAN}, 2));
    CHECK(check_equals(rb, (double[]){NAN, -8}, 2));
    em_array *ca = em_min(a, (int[]){0}, 1, false);
    double *v = check_values(ca);
    CHECK(v && isnan(v[150]) && v[200] == -INFINITY && v[5] == (double)((N + 5) % 17) - 8);
    free(v);
    em_array *sa = em_sum(a, (int[]){1}, 1, false);
    v = check_values(sa);
    CHECK(v && v[0] == INFINITY && isnan(v[1]));
    free(v);
    /* argmax/argmin: the first NaN wins */
    em_array *am = em_argmax(a, 1, false, false), *an = em_argmin(b, 1, false, false);
    CHECK(check_equals(am, (double[]){5, 150}, 2));
    CHECK(check_equals(an, (double[]){7, 6}, 2));
    em_array *am0 = em_argmax(a, 0, false, false);
    double *w = check_values(am0);
    CHECK(w && w[150] == 1 && w[5] == 0 && w[200] == 0);
    free(w);
    /* all and any treat NaN as true */
    float nn[3] = {0, NAN, 0};
    em_array *n3 = em_array_from_data(nn, (int64_t[]){3}, 1, EM_FLOAT32);
    em_array *any = em_any(n3, NULL, -1, false), *all = em_all(n3, (int[]){0}, 1, false);
    CHECK(check_equals(any, (double[]){1}, 1) && check_equals(all, (double[]){0}, 1));
    em_array *arr[] = {a, b, ra, rb, ca, sa, am, an, am0, n3, any, all};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
    free(x);
    free(d);
}

static void test_integer_wrap(void) {
    int32_t x[2] = {INT32_MAX, 1};
    em_array *a = em_array_from_data(x, (int64_t[]){2}, 1, EM_INT32);
    em_array *s = em_sum(a, NULL, -1, false);
    CHECK(check_equals(s, (double[]){(double)INT32_MIN}, 1));
    int8_t y[3] = {100, 100, 100};
    em_array *b = em_array_from_data(y, (int64_t[]){3}, 1, EM_INT8);
    em_array *sb = em_sum(b, NULL, -1, false);
    CHECK(em_array_dtype(sb) == EM_INT32 && check_equals(sb, (double[]){300}, 1));
    uint8_t z[3] = {200, 200, 200};
    em_array *c = em_array_from_data(z, (int64_t[]){3}, 1, EM_UINT8);
    em_array *pc = em_prod(c, NULL, -1, false);
    CHECK(em_array_dtype(pc) == EM_UINT32 && check_equals(pc, (double[]){8000000}, 1));
    int64_t w[2] = {(int64_t)1 << 40, (int64_t)1 << 30};
    em_array *d = em_array_from_data(w, (int64_t[]){2}, 1, EM_INT64);
    em_array *pd = em_prod(d, NULL, -1, false);
    CHECK(check_equals(pd, (double[]){0}, 1));
    uint64_t u[3] = {UINT64_MAX, 5, UINT64_MAX - 1};
    em_array *e = em_array_from_data(u, (int64_t[]){3}, 1, EM_UINT64);
    em_array *me = em_max(e, NULL, -1, false), *ne = em_min(e, NULL, -1, false);
    const uint64_t *pm = em_array_data(me), *pn = em_array_data(ne);
    CHECK(pm && pn && *pm == UINT64_MAX && *pn == 5);
    int8_t neg[4] = {-128, 127, -1, 0};
    em_array *f = em_array_from_data(neg, (int64_t[]){4}, 1, EM_INT8);
    em_array *mf = em_max(f, NULL, -1, false), *nf = em_min(f, NULL, -1, false);
    em_array *af = em_argmin(f, 0, false, false);
    CHECK(em_array_dtype(mf) == EM_INT8 && check_equals(mf, (double[]){127}, 1));
    CHECK(check_equals(nf, (double[]){-128}, 1) && check_equals(af, (double[]){0}, 1));
    em_array *arr[] = {a, s, b, sb, c, pc, d, pd, e, me, ne, f, mf, nf, af};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
}

/* ---------------------------------------------------------------- halves, complex */

static void test_half(void) {
    em_array *o = filled((int64_t[]){5000}, 1, EM_FLOAT16, 1);
    em_array *s = em_sum(o, NULL, -1, false);
    CHECK(em_array_dtype(s) == EM_FLOAT16 && check_equals(s, (double[]){5000}, 1));
    em_array *ob = filled((int64_t[]){5000}, 1, EM_BFLOAT16, 1);
    em_array *sb = em_sum(ob, NULL, -1, false);
    /* float32 accumulation, then one rounding to bfloat16 (MLX: 4992) */
    CHECK(em_array_dtype(sb) == EM_BFLOAT16 && check_equals(sb, (double[]){4992}, 1));
    em_array *big = filled((int64_t[]){2}, 1, EM_FLOAT16, 60000);
    em_array *sbig = em_sum(big, NULL, -1, false);
    CHECK(check_equals(sbig, (double[]){INFINITY}, 1));
    em_array *mx = em_max(big, NULL, -1, false);
    CHECK(em_array_dtype(mx) == EM_FLOAT16 && check_equals(mx, (double[]){60000}, 1));
    em_array *arr[] = {o, s, ob, sb, big, sbig, mx};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);

    /* every float16 class through the vector conversions: subnormals, the
     * largest value, signed zeros, infinities, NaN; rows of 200 so the SIMD
     * loops see them. Reference: the exact conversion of half.h. */
    static const uint16_t specials[] = {0x0001, 0x03ff, 0x8001, 0x7bff, 0xfbff, 0x8000,
                                        0x0000, 0x3555, 0xc400, 0x0400};
    enum { N = 200 };
    uint16_t h[3 * N];
    for (int i = 0; i < 3 * N; i++) h[i] = specials[i % 10];
    h[N + 77] = 0x7c00;                /* +inf in row 1 */
    h[2 * N + 150] = 0x7e01;           /* NaN in row 2 */
    h[2 * N + 10] = 0xfc00;            /* -inf in row 2 */
    for (int kind = 0; kind < 2; kind++) {
        em_dtype dt = kind ? EM_BFLOAT16 : EM_FLOAT16;
        em_array *a = em_array_from_data(h, (int64_t[]){3, N}, 2, dt);
        em_array *r[3] = {em_sum(a, (int[]){1}, 1, false), em_max(a, (int[]){1}, 1, false),
                          em_min(a, (int[]){1}, 1, false)};
        for (int op = 0; op < 3; op++) {
            double *v = check_values(r[op]);
            bool ok = v != NULL;
            for (int row = 0; ok && row < 3; row++) {
                double acc = op == 0 ? 0 : op == 1 ? -INFINITY : INFINITY, mag = 0;
                bool nan = false;
                for (int i = 0; i < N; i++) {
                    em_f16 e16 = {h[row * N + i]};
                    em_bf16 eb = {h[row * N + i]};
                    double x = kind ? em_bf16_to_f32(eb) : em_f16_to_f32(e16);
                    nan |= isnan(x);
                    mag += fabs(x);
                    acc = op == 0 ? acc + x : op == 1 ? fmax(acc, x) : fmin(acc, x);
                }
                double want = nan ? NAN : rounded(dt, acc);
                /* sums cancel +-max: a float32 accumulator's rounding */
                ok = close_enough(dt, v[row], want, op == 0 ? mag : 0);
                if (!ok) fprintf(stderr, "  %s op %d row %d: got %.9g want %.9g\n", em_dtype_name(dt), op, row, v[row], want);
            }
            CHECK(ok);
            free(v);
            em_array_release(r[op]);
        }
        /* column mode: a (N, 3) view of the same data */
        em_array *c = em_array_from_data(h, (int64_t[]){N, 3}, 2, dt);
        em_array *cm = em_max(c, (int[]){0}, 1, false);
        double *v = check_values(cm);
        double want[3] = {-INFINITY, -INFINITY, -INFINITY};
        bool anynan[3] = {false, false, false};
        for (int i = 0; i < 3 * N; i++) {
            em_f16 e16 = {h[i]};
            em_bf16 eb = {h[i]};
            double x = kind ? em_bf16_to_f32(eb) : em_f16_to_f32(e16);
            anynan[i % 3] |= isnan(x);
            want[i % 3] = fmax(want[i % 3], x);
        }
        CHECK(v && (anynan[0] ? isnan(v[0]) : v[0] == want[0]) &&
              (anynan[1] ? isnan(v[1]) : v[1] == want[1]) && (anynan[2] ? isnan(v[2]) : v[2] == want[2]));
        free(v);
        em_array_release(cm);
        em_array_release(c);
        em_array_release(a);
    }
}

static void test_complex(void) {
    /* [[1+2i, 3-1i, 3+0i], [nan, 0, 1+1i]] */
    float v[12] = {1, 2, 3, -1, 3, 0, NAN, 0, 0, 0, 1, 1};
    em_array *a = em_array_from_data(v, (int64_t[]){2, 3}, 2, EM_COMPLEX64);
    em_array *s = em_sum(a, (int[]){1}, 1, false);
    em_array *p = em_prod(a, (int[]){-1}, 1, false);
    em_array *mx = em_max(a, (int[]){1}, 1, false);
    em_array *mn = em_min(a, (int[]){0}, 1, false);
    em_array *any = em_any(a, (int[]){0}, 1, false);
    em_array *all = em_all(a, (int[]){1}, 1, false);
    em_array *am = em_argmax(a, 1, false, false);
    em_array *an = em_argmin(a, 1, false, false);
    const float *ps = em_array_data(s), *pp = em_array_data(p);
    const float *pmx = em_array_data(mx), *pmn = em_array_data(mn);
    CHECK(ps && ps[0] == 7 && ps[1] == 1 && isnan(ps[2]));
    /* (1+2i)(3-i) = 5+5i; times 3 = 15+15i */
    CHECK(pp && pp[0] == 15 && pp[1] == 15 && (isnan(pp[2]) || isnan(pp[3])));
    CHECK(pmx && pmx[0] == 3 && pmx[1] == 0 && isnan(pmx[2]));
    CHECK(pmn && isnan(pmn[0]) && pmn[2] == 0 && pmn[3] == 0 && pmn[4] == 1 && pmn[5] == 1);
    CHECK(check_equals(any, (double[]){1, 1, 1}, 3) && check_equals(all, (double[]){1, 0}, 2));
    CHECK(check_equals(am, (double[]){2, 0}, 2) && check_equals(an, (double[]){0, 0}, 2));
    /* a long contiguous row, and column mode */
    enum { N = 500 };
    float *w = malloc(2 * N * sizeof *w);
    for (int i = 0; i < N; i++) w[2 * i] = (float)(i % 10), w[2 * i + 1] = (float)(i % 7) - 3;
    em_array *b = em_array_from_data(w, (int64_t[]){N}, 1, EM_COMPLEX64);
    em_array *sb = em_sum(b, NULL, -1, false);
    const float *psb = em_array_data(sb);
    double re = 0, im = 0;
    for (int i = 0; i < N; i++) re += i % 10, im += i % 7 - 3;
    CHECK(psb && psb[0] == (float)re && psb[1] == (float)im);
    em_array *b2 = em_array_from_data(w, (int64_t[]){25, 20}, 2, EM_COMPLEX64);
    em_array *sb2 = em_sum(b2, (int[]){0}, 1, false);
    const float *p2 = em_array_data(sb2);
    bool ok = p2 != NULL;
    for (int j = 0; ok && j < 20; j++) {
        double r2 = 0, i2 = 0;
        for (int r = 0; r < 25; r++) r2 += w[2 * (r * 20 + j)], i2 += w[2 * (r * 20 + j) + 1];
        ok = p2[2 * j] == (float)r2 && p2[2 * j + 1] == (float)i2;
    }
    CHECK(ok);
    em_array *arr[] = {a, s, p, mx, mn, any, all, am, an, b, sb, b2, sb2};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
    free(w);
}

/* ---------------------------------------------------------------- argmax */

static void check_arg(bool is_max, const input *in, const int64_t *shape, int nd, int axis,
                      bool keepdims, const char *what) {
    int ax = (axis + nd) % nd;
    int64_t n = shape[ax], inner = 1, outer = 1;
    for (int i = ax + 1; i < nd; i++) inner *= shape[i];
    for (int i = 0; i < ax; i++) outer *= shape[i];
    em_array *r = is_max ? em_argmax(in->a, axis, false, keepdims) : em_argmin(in->a, axis, false, keepdims);
    int64_t oshape[EM_MAX_NDIM];
    int ond = 0;
    for (int i = 0; i < nd; i++)
        if (i != ax) oshape[ond++] = shape[i];
        else if (keepdims) oshape[ond++] = 1;
    bool ok = r && em_array_dtype(r) == EM_UINT32 && check_shape(r, ond, oshape);
    double *got = ok ? check_values(r) : NULL;
    ok = ok && got;
    for (int64_t o = 0; ok && o < outer; o++)
        for (int64_t j = 0; ok && j < inner; j++) {
            int64_t best = 0;
            for (int64_t i = 1; i < n; i++) {
                double v = in->vals[(o * n + i) * inner + j], b = in->vals[(o * n + best) * inner + j];
                if (!isnan(b) && (isnan(v) || (is_max ? v > b : v < b))) best = i;
            }
            if (got[o * inner + j] != (double)best) {
                fprintf(stderr, "  at %lld,%lld: got %g want %lld\n", (long long)o, (long long)j,
                        got[o * inner + j], (long long)best);
                ok = false;
            }
        }
    CHECK_MSG(ok, "%s arg%s of %s along %d", what, is_max ? "max" : "min",
              em_dtype_name(em_array_dtype(in->a)), axis);
    free(got);
    em_array_release(r);
}

static double gen_ties(int64_t k, em_dtype dt) {
    if (dt == EM_BOOL) return k % 4 == 1;
    return (double)((k * 5 + 1) % 4) + (is_uint(dt) ? 0 : -1);
}

static void test_argreduce(void) {
    static const int64_t shapes[][3] = {{3, 4, 5}, {2, 40, 33}};
    for (int si = 0; si < 2; si++)
        for (int di = 0; di < N_REAL; di++)
            for (int layout = 0; layout < L_COUNT; layout++) {
                input in = make_input(REAL_DTYPES[di], shapes[si], 3, layout, gen_ties);
                for (int axis = -1; axis < 3; axis++) {
                    check_arg(true, &in, shapes[si], 3, axis, axis == 1, layout_names[layout]);
                    check_arg(false, &in, shapes[si], 3, axis, axis == 0, layout_names[layout]);
                }
                free_input(&in);
            }
    /* flattened: 1-d needs no reshape; 0-d is index 0 */
    int32_t x[6] = {3, 9, 2, 9, -4, 1};
    em_array *a = em_array_from_data(x, (int64_t[]){6}, 1, EM_INT32);
    em_array *m = em_argmax(a, 0, true, false), *k = em_argmin(a, 0, true, true);
    CHECK(check_shape(m, 0, NULL) && check_equals(m, (double[]){1}, 1));
    CHECK(check_shape(k, 1, (int64_t[]){1}) && check_equals(k, (double[]){4}, 1));
    em_array *s = em_array_from_double(2.5, EM_FLOAT32);
    em_array *z = em_argmax(s, 0, true, true);
    CHECK(check_shape(z, 0, NULL) && em_array_dtype(z) == EM_UINT32 && check_equals(z, (double[]){0}, 1));
    em_array *arr[] = {a, m, k, s, z};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
}

/* argmax over all axes of an N-d array flattens it with RESHAPE, whose CPU
 * kernel comes with the shape ops: checked only where it runs. */
static bool reshape_runs(void) {
    em_array *a = filled((int64_t[]){2, 2}, 2, EM_FLOAT32, 0);
    em_array *r = em_argmax(a, 0, true, false);
    bool ok = r && em_eval1(r) == EM_OK;
    em_error_clear();
    em_array_release(r);
    em_array_release(a);
    return ok;
}

static void test_argreduce_flat(void) {
    if (!reshape_runs()) {
        printf("SKIPPED: argmax over all axes of N-d arrays (no RESHAPE kernel yet)\n");
        return;
    }
    float x[6] = {3, 9, 2, 9, -4, 1};
    em_array *a = em_array_from_data(x, (int64_t[]){2, 3}, 2, EM_FLOAT32);
    em_array *m = em_argmax(a, 0, true, false), *k = em_argmin(a, 0, true, true);
    CHECK(check_shape(m, 0, NULL) && check_equals(m, (double[]){1}, 1));
    CHECK(check_shape(k, 2, (int64_t[]){1, 1}) && check_equals(k, (double[]){4}, 1));
    em_array_release(a);
    em_array_release(m);
    em_array_release(k);
}

/* A unique extreme at every position of rows of many lengths: catches a
 * SIMD lane or tail that is dropped. Row p of a (P, n) array holds its
 * extreme at column p (row mode); in the (n, P) array, column p holds it at
 * row p (column mode). */
static void check_extreme(em_dtype dt, int64_t n, bool is_max) {
    int64_t P = n;
    size_t isz = em_dtype_size(dt);
    char *rows = malloc((size_t)(P * n) * isz), *cols = malloc((size_t)(P * n) * isz);
    double ext = is_max ? 100 : 0;
    for (int64_t p = 0; p < P; p++)
        for (int64_t i = 0; i < n; i++) {
            double base = (double)((p + 3 * i) % 5 + 1);
            put(dt, rows + (p * n + i) * (int64_t)isz, i == p ? ext : base);
            put(dt, cols + (i * P + p) * (int64_t)isz, i == p ? ext : base);
        }
    em_array *a = em_array_from_data(rows, (int64_t[]){P, n}, 2, dt);
    em_array *b = em_array_from_data(cols, (int64_t[]){n, P}, 2, dt);
    em_array *r[4] = {is_max ? em_max(a, (int[]){1}, 1, false) : em_min(a, (int[]){1}, 1, false),
                      is_max ? em_max(b, (int[]){0}, 1, false) : em_min(b, (int[]){0}, 1, false),
                      is_max ? em_argmax(a, 1, false, false) : em_argmin(a, 1, false, false),
                      is_max ? em_argmax(b, 0, false, false) : em_argmin(b, 0, false, false)};
    bool ok = true;
    for (int k = 0; k < 4 && ok; k++) {
        double *v = check_values(r[k]);
        ok = v != NULL;
        for (int64_t p = 0; ok && p < P; p++) ok = v[p] == (k < 2 ? ext : (double)p);
        free(v);
    }
    CHECK_MSG(ok, "%s of %s, n = %lld", is_max ? "max" : "min", em_dtype_name(dt), (long long)n);
    for (int k = 0; k < 4; k++) em_array_release(r[k]);
    em_array_release(a);
    em_array_release(b);
    free(rows);
    free(cols);
}

static void test_extremes(void) {
    static const em_dtype dts[] = {EM_FLOAT32, EM_FLOAT64, EM_INT32, EM_UINT32, EM_INT64,
                                   EM_UINT64, EM_INT8, EM_UINT8, EM_INT16, EM_UINT16,
                                   EM_FLOAT16, EM_BFLOAT16};
    static const int64_t lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65,
                                   100, 127, 128, 129, 255, 256, 257, 300};
    for (size_t d = 0; d < sizeof dts / sizeof *dts; d++)
        for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
            check_extreme(dts[d], lens[l], true);
            check_extreme(dts[d], lens[l], false);
        }
}

/* The REDUCE node mean builds: a SUM into float32 from integers, bools and
 * half floats (no cast pass, no half overflow). Built directly, since em_mean
 * also needs the divide kernel. And a dtype pair the kernel refuses. */
static em_array *sum_node(em_array *a, const int *axes, int naxes, const int64_t *shape, int nd,
                          em_dtype out) {
    union {
        em_reduce_params p;
        unsigned char b[PARAMS_SIZE(em_reduce_params, axes, 4)];
    } u;
    memset(&u, 0, sizeof u);
    u.p.op = EM_REDUCE_SUM;
    u.p.naxes = naxes;
    for (int i = 0; i < naxes; i++) u.p.axes[i] = axes[i];
    return node_make(EM_PRIM_REDUCE, &u.p, PARAMS_SIZE(em_reduce_params, axes, naxes), &a, 1, out,
                     shape, nd);
}

static void test_sum_to_float32(void) {
    static const em_dtype dts[] = {EM_BOOL, EM_UINT8, EM_INT8, EM_UINT16, EM_INT16, EM_UINT32,
                                   EM_INT32, EM_UINT64, EM_INT64, EM_FLOAT16, EM_BFLOAT16, EM_FLOAT32};
    for (size_t d = 0; d < sizeof dts / sizeof *dts; d++)
        for (int layout = 0; layout < L_COUNT; layout++) {
            int64_t shape[2] = {37, 41};
            input in = make_input(dts[d], shape, 2, layout, gen_sum);
            em_array *r0 = sum_node(in.a, (int[]){0}, 1, (int64_t[]){41}, 1, EM_FLOAT32);
            em_array *r1 = sum_node(in.a, (int[]){1}, 1, (int64_t[]){37}, 1, EM_FLOAT32);
            double *v0 = check_values(r0), *v1 = check_values(r1);
            bool ok = v0 && v1;
            for (int j = 0; ok && j < 41; j++) {
                double s = 0;
                for (int i = 0; i < 37; i++) s += in.vals[i * 41 + j];
                ok = v0[j] == s;
            }
            for (int i = 0; ok && i < 37; i++) {
                double s = 0;
                for (int j = 0; j < 41; j++) s += in.vals[i * 41 + j];
                ok = v1[i] == s;
            }
            CHECK_MSG(ok, "sum of %s (%s) into float32", em_dtype_name(dts[d]), layout_names[layout]);
            free(v0);
            free(v1);
            em_array_release(r0);
            em_array_release(r1);
            free_input(&in);
        }
    /* 100000 float16 ones: 100000 in float32, where a float16 sum is inf */
    em_array *h = filled((int64_t[]){100000}, 1, EM_FLOAT16, 1);
    em_array *s = sum_node(h, (int[]){0}, 1, NULL, 0, EM_FLOAT32);
    CHECK(check_equals(s, (double[]){100000}, 1));
    em_array_release(s);
    /* float64 into float32 is not a reduction the kernel does */
    em_array *f = filled((int64_t[]){3}, 1, EM_FLOAT64, 1);
    em_array *bad = sum_node(f, (int[]){0}, 1, NULL, 0, EM_FLOAT32);
    em_error_clear();
    CHECK(em_eval1(bad) == EM_ERR_UNSUPPORTED &&
          strstr(em_error_message(), "[Reduce] Not supported on the cpu for dtype float64 into float32.") != NULL);
    em_error_clear();
    em_array_release(bad);
    em_array_release(f);
    em_array_release(h);
}

/* ---------------------------------------------------------------- accuracy */

/* 0.1f summed a million times: a running float32 sum is off by about 1%; a
 * pairwise one by a few ulps. Row mode (all axes, last axis) and column mode
 * (first axis, with and without SIMD). */
static void test_accuracy(void) {
    enum { N = 1 << 20, C = 16 };
    float *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) x[i] = 0.1f;
    double want = (double)0.1f * N;
    em_array *a = em_array_from_data(x, (int64_t[]){N}, 1, EM_FLOAT32);
    em_array *s = em_sum(a, NULL, -1, false);
    double got = 0;
    CHECK(em_array_item_double(s, &got) == EM_OK);
    CHECK_MSG(fabs(got - want) <= 1e-6 * want, "all axes: got %.9g want %.9g", got, want);
    em_array *b = em_array_from_data(x, (int64_t[]){N / C, C}, 2, EM_FLOAT32);
    em_array *s0 = em_sum(b, (int[]){0}, 1, false);
    double *v = check_values(s0);
    bool ok = v != NULL;
    for (int j = 0; ok && j < C; j++) ok = fabs(v[j] - want / C) <= 1e-6 * want / C;
    CHECK_MSG(ok, "first axis: got %.9g want %.9g", v ? v[0] : 0.0, want / C);
    free(v);
    /* a strided first axis (generic column loop) and float16 input */
    em_array *bt = em_array_from_external(x, (int64_t[]){C, N / C}, (int64_t[]){1, C}, 2,
                                          EM_FLOAT32, NULL, NULL);
    em_array *s1 = em_sum(bt, (int[]){1}, 1, false);
    v = check_values(s1);
    ok = v != NULL;
    for (int j = 0; ok && j < C; j++) ok = fabs(v[j] - want / C) <= 1e-6 * want / C;
    CHECK_MSG(ok, "transposed: got %.9g want %.9g", v ? v[0] : 0.0, want / C);
    free(v);
    em_array *arr[] = {a, s, b, s0, bt, s1};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
    free(x);
}

/* ---------------------------------------------------------------- compositions */

/* mean/var/std/logsumexp run elementwise kernels (divide, subtract, square,
 * sqrt, abs, exp, log, isinf, where); their values are checked where those
 * kernels exist. Shapes, dtypes and errors are checked above regardless. */
static bool elementwise_runs(void) {
    em_array *a = em_array_from_double(2, EM_FLOAT32);
    em_array *c = em_isinf(a);
    em_array *t[] = {em_divide(a, a), em_subtract(a, a), em_square(a), em_sqrt(a), em_exp(a),
                     em_log(a), em_where(c, a, a), em_abs(a), em_array_retain(c)};
    em_array_release(c);
    bool ok = true;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        ok = ok && t[i] && em_eval1(t[i]) == EM_OK;
        em_array_release(t[i]);
    }
    em_error_clear();
    em_array_release(a);
    return ok;
}

static void test_compositions(void) {
    if (!elementwise_runs()) {
        printf("SKIPPED: values of mean/var/std/logsumexp (elementwise kernels missing)\n");
        return;
    }
    float x[6] = {1, 2, 4, -1, 3, 8};
    em_array *a = em_array_from_data(x, (int64_t[]){2, 3}, 2, EM_FLOAT32);
    em_array *m = em_mean(a, (int[]){1}, 1, false);
    double *v = check_values(m);
    CHECK(v && fabs(v[0] - 7.0 / 3) < 1e-6 && fabs(v[1] - 10.0 / 3) < 1e-6);
    free(v);
    em_array *va = em_var(a, NULL, -1, false, 1);
    double mu = (1 + 2 + 4 - 1 + 3 + 8) / 6.0, ss = 0;
    for (int i = 0; i < 6; i++) ss += (x[i] - mu) * (x[i] - mu);
    double got = 0;
    CHECK(em_array_item_double(va, &got) == EM_OK && fabs(got - ss / 5) < 1e-5);
    em_array *sd = em_std(a, (int[]){0}, 1, true, 0);
    v = check_values(sd);
    CHECK(check_shape(sd, 2, (int64_t[]){1, 3}) && v && fabs(v[0] - 1) < 1e-6 &&
          fabs(v[1] - 0.5) < 1e-6 && fabs(v[2] - 2) < 1e-6);
    free(v);
    /* ddof >= n: inf (nan for zero deviations), as MLX */
    em_array *ones = filled((int64_t[]){3}, 1, EM_FLOAT32, 1);
    em_array *vi = em_var(a, (int[]){1}, 1, false, 3), *vn = em_var(ones, NULL, -1, false, 5);
    CHECK(check_equals(vi, (double[]){INFINITY, INFINITY}, 2) && check_equals(vn, (double[]){NAN}, 1));
    /* integer mean: float32, no wrap-around (MLX: -1.07e9) */
    int32_t big[2] = {INT32_MAX, 1};
    em_array *ib = em_array_from_data(big, (int64_t[]){2}, 1, EM_INT32);
    em_array *mb = em_mean(ib, NULL, -1, false);
    CHECK(em_array_dtype(mb) == EM_FLOAT32 && em_array_item_double(mb, &got) == EM_OK &&
          fabs(got - 1073741824.0) < 100);
    /* float16 mean of many ones: 1 (MLX overflows to inf) */
    em_array *h = filled((int64_t[]){100000}, 1, EM_FLOAT16, 1);
    em_array *mh = em_mean(h, NULL, -1, false), *vh = em_var(h, NULL, -1, false, 0);
    CHECK(em_array_dtype(mh) == EM_FLOAT16 && check_equals(mh, (double[]){1}, 1));
    CHECK(check_equals(vh, (double[]){0}, 1));
    /* empty mean: nan */
    em_array *e = filled((int64_t[]){0, 2}, 2, EM_FLOAT32, 0);
    em_array *me = em_mean(e, (int[]){0}, 1, false);
    CHECK(check_equals(me, (double[]){NAN, NAN}, 2));
    /* complex variance: mean |x - mu|^2, float32 */
    float c[4] = {1, 2, 3, -1};
    em_array *ca = em_array_from_data(c, (int64_t[]){2}, 1, EM_COMPLEX64);
    em_array *cv = em_var(ca, NULL, -1, false, 0);
    CHECK(em_array_dtype(cv) == EM_FLOAT32 && check_equals(cv, (double[]){3.25}, 1));
    /* logsumexp: large values, -inf rows, +inf, nan */
    float l[12] = {1000, 1000, 1000, -INFINITY, -INFINITY, -INFINITY,
                   INFINITY, 1, -INFINITY, NAN, 1, 2};
    em_array *la = em_array_from_data(l, (int64_t[]){4, 3}, 2, EM_FLOAT32);
    em_array *ls = em_logsumexp(la, (int[]){1}, 1, false);
    em_array *lk = em_logsumexp(la, (int[]){-1}, 1, true);
    v = check_values(ls);
    CHECK(v && fabs(v[0] - (1000 + log(3.0))) < 1e-3 && v[1] == -INFINITY && v[2] == INFINITY &&
          isnan(v[3]));
    free(v);
    CHECK(check_shape(lk, 2, (int64_t[]){4, 1}));
    em_array *i3 = em_array_from_data((int32_t[]){1, 2, 3}, (int64_t[]){3}, 1, EM_INT32);
    em_array *li = em_logsumexp(i3, NULL, -1, false);
    CHECK(em_array_dtype(li) == EM_FLOAT32 && em_array_item_double(li, &got) == EM_OK &&
          fabs(got - log(exp(1) + exp(2) + exp(3))) < 1e-5);
    em_array *arr[] = {a, m, va, sd, ones, vi, vn, ib, mb, h, mh, vh, e, me, ca, cv, la, ls, lk, i3, li};
    for (size_t i = 0; i < sizeof arr / sizeof *arr; i++) em_array_release(arr[i]);
}

/* ---------------------------------------------------------------- main */

int main(void) {
    int64_t live = em_live_arrays();
    test_dtypes();
    test_axes_rules();
    test_errors();
    test_scopes();
    test_empty();
    test_compositions();
    test_argreduce_flat();
    int best = cpu_reduce_set_simd(-1);
    printf("kernels checked at SIMD levels 0..%d\n", best);
    for (int level = 0; level <= best; level++) {
        CHECK(cpu_reduce_set_simd(level) == level);
        test_values();
        test_broadcast_input();
        test_nan_inf();
        test_integer_wrap();
        test_half();
        test_complex();
        test_argreduce();
        test_extremes();
        test_sum_to_float32();
        test_accuracy();
    }
    cpu_reduce_set_simd(-1);
    CHECK_NO_ERROR();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_DONE();
}
