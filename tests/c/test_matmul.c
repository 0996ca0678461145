/* test_matmul.c -- em_matmul: shapes (vectors, batches, broadcasting, empty),
 * every dtype, operands laid out in memory in every way BLAS can and cannot
 * read, against a double-precision reference loop; and every error. */
#include "check.h"
#include "core/dtype.h"

/* ---------------------------------------------------------------- operands */

/* A logical operand: shape and row-major values, exactly representable in
 * its dtype (they were stored in it and read back). im is for complex64. */
typedef struct operand {
    em_dtype dt;
    int ndim;
    int64_t shape[8];
    int64_t size;
    double *re, *im;
} operand;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
/* A value of dt's natural test range: small integers for integer dtypes (so
 * the reference is exact), [-1, 1) for floats. */
static double draw(em_dtype dt) {
    if (dt == EM_BOOL) return (double)(rng() % 2);
    if (dtype_is_uint(dt)) return (double)(rng() % 6);
    if (dtype_is_int(dt)) return (double)(int)(rng() % 7) - 3;
    return (double)(rng() % 2000001) / 1000000.0 - 1.0;
}

/* Rounds v to dt by storing and loading it. */
static double round_to(em_dtype dt, double v) {
    unsigned char buf[16];
    dtype_store_double(dt, buf, v);
    return dtype_load_double(dt, buf);
}

static operand make_operand(em_dtype dt, int ndim, const int64_t *shape) {
    operand o = {dt, ndim, {0}, 1, NULL, NULL};
    for (int i = 0; i < ndim; i++) o.size *= o.shape[i] = shape[i];
    size_t n = (size_t)(o.size ? o.size : 1);
    o.re = calloc(n, sizeof(double));
    o.im = calloc(n, sizeof(double));
    em_dtype real = dt == EM_COMPLEX64 ? EM_FLOAT32 : dt;
    for (int64_t i = 0; i < o.size; i++) {
        o.re[i] = round_to(real, draw(real));
        if (dt == EM_COMPLEX64) o.im[i] = round_to(real, draw(real));
    }
    return o;
}

static void free_operand(operand *o) {
    free(o->re);
    free(o->im);
}

/* How an operand is laid out in memory. */
typedef enum {
    L_CONTIG,   /* row-major */
    L_TRANS,    /* each matrix column-major (BLAS: Trans) */
    L_PADDED,   /* row-major with a leading dimension of cols + 3 */
    L_STRIDED,  /* every other element in every axis (BLAS: copy) */
    L_REVERSED, /* rows in reverse order, a negative stride (BLAS: copy) */
    L_COUNT
} layout;
static const char *const layout_names[L_COUNT] = {"contig", "trans", "padded", "strided", "reversed"};

static void free_ctx(void *p) { free(p); }

/* An em_array holding o's values in the given layout (external memory). */
static em_array *to_array(const operand *o, layout l) {
    int nd = o->ndim;
    int64_t st[8], span = 1;
    size_t isz = em_dtype_size(o->dt);
    /* strides of the logical axes; the last two may be reordered */
    int64_t R = nd >= 2 ? o->shape[nd - 2] : 1, C = o->shape[nd - 1];
    int64_t rs = C, cs = 1, mat = R * C;
    switch (l) {
    case L_TRANS: if (nd >= 2) { rs = 1; cs = R; } break;
    case L_PADDED: rs = C + 3; mat = R * (C + 3); break;
    case L_STRIDED: rs = 2 * C; cs = 2; mat = 2 * R * C; break;
    default: break;
    }
    if (nd >= 2) { st[nd - 2] = rs; st[nd - 1] = cs; }
    else st[0] = cs;
    span = mat;
    for (int d = nd - 3; d >= 0; d--) {
        st[d] = span;
        span *= o->shape[d];
    }
    if (o->size == 0) span = 0;
    char *mem = calloc((size_t)(span > 0 ? span : 1) + 4, isz);
    char *base = mem;
    int rev = nd >= 2 ? nd - 2 : 0;
    if (l == L_REVERSED && o->shape[rev] > 0) {
        base += (size_t)((o->shape[rev] - 1) * st[rev]) * isz;
        st[rev] = -st[rev];
    }
    /* scatter the values */
    int64_t idx[8] = {0};
    for (int64_t i = 0; i < o->size; i++) {
        int64_t off = 0;
        for (int d = 0; d < nd; d++) off += idx[d] * st[d];
        char *p = base + off * (int64_t)isz;
        if (o->dt == EM_COMPLEX64) {
            float c[2] = {(float)o->re[i], (float)o->im[i]};
            memcpy(p, c, sizeof c);
        } else {
            dtype_store_double(o->dt, p, o->re[i]);
        }
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < o->shape[d]) break;
            idx[d] = 0;
        }
    }
    return em_array_from_external(base, o->shape, st, nd, o->dt, free_ctx, mem);
}

/* ---------------------------------------------------------------- reference */

/* NumPy's matmul of a and b in double (complex) arithmetic, with the sum of
 * |a_ik| |b_kj| per output (for the error bound). Writes the output shape. */
static void reference(const operand *a, const operand *b, int *ndim, int64_t *shape,
                      double **re, double **im, double **mag) {
    bool av = a->ndim == 1, bv = b->ndim == 1;
    int na = av ? 0 : a->ndim - 2, nb = bv ? 0 : b->ndim - 2;
    int nbat = na > nb ? na : nb;
    int64_t bat[8];
    for (int d = 0; d < nbat; d++) {
        int64_t da = d - (nbat - na) >= 0 ? a->shape[d - (nbat - na)] : 1;
        int64_t db = d - (nbat - nb) >= 0 ? b->shape[d - (nbat - nb)] : 1;
        bat[d] = da == 1 ? db : da;
    }
    int64_t M = av ? 1 : a->shape[a->ndim - 2], K = a->shape[a->ndim - 1];
    int64_t N = bv ? 1 : b->shape[b->ndim - 1];
    int nd = 0;
    int64_t nbt = 1;
    for (int d = 0; d < nbat; d++) nbt *= shape[nd++] = bat[d];
    if (!av) shape[nd++] = M;
    if (!bv) shape[nd++] = N;
    *ndim = nd;
    size_t n = (size_t)(nbt * M * N);
    *re = calloc(n ? n : 1, sizeof(double));
    *im = calloc(n ? n : 1, sizeof(double));
    *mag = calloc(n ? n : 1, sizeof(double));
    for (int64_t t = 0; t < nbt; t++) {
        /* batch index -> each operand's matrix number (broadcast axes: 0) */
        int64_t ia = 0, ib = 0, sa = 1, sb = 1, rem = t;
        for (int d = nbat - 1; d >= 0; d--) {
            int64_t i = rem % bat[d];
            rem /= bat[d];
            int ja = d - (nbat - na), jb = d - (nbat - nb);
            if (ja >= 0) { if (a->shape[ja] > 1) ia += i * sa; sa *= a->shape[ja]; }
            if (jb >= 0) { if (b->shape[jb] > 1) ib += i * sb; sb *= b->shape[jb]; }
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double sr = 0, si = 0, sm = 0;
                for (int64_t k = 0; k < K; k++) {
                    int64_t pa = ia * M * K + i * K + k, pb = ib * K * N + k * N + j;
                    double ar = a->re[pa], ai = a->im[pa], br = b->re[pb], bi = b->im[pb];
                    sr += ar * br - ai * bi;
                    si += ar * bi + ai * br;
                    sm += hypot(ar, ai) * hypot(br, bi);
                }
                size_t o = (size_t)((t * M + i) * N + j);
                (*re)[o] = sr;
                (*im)[o] = si;
                (*mag)[o] = sm;
            }
    }
}

/* The unit roundoff of the dtype results are rounded to. */
static double out_eps(em_dtype dt) {
    switch (dt) {
    case EM_FLOAT16: return 0x1p-11;
    case EM_BFLOAT16: return 0x1p-8;
    case EM_FLOAT64: return 0x1p-53;
    default: return 0x1p-24;
    }
}

/* Checks c = a @ b against the reference: integers and bool exactly (the
 * values are small), floats within (2 K u_acc) sum|a||b| + 2 u_out |ref|,
 * where u_acc is the unit roundoff of the accumulation (float32 for halves). */
static int check_product(em_array *c, const operand *a, const operand *b, const char *what) {
    int nd;
    int64_t shape[8];
    double *re, *im, *mag;
    reference(a, b, &nd, shape, &re, &im, &mag);
    int ok = 1;
    if (!c) {
        fprintf(stderr, "  %s: NULL (%s)\n", what, em_error_message());
        ok = 0;
    } else if (!check_shape(c, nd, shape)) {
        fprintf(stderr, "  %s: wrong shape\n", what);
        ok = 0;
    } else if (em_eval1(c) != EM_OK) {
        fprintf(stderr, "  %s: eval failed: %s\n", what, em_error_message());
        ok = 0;
    } else {
        em_dtype dt = em_array_dtype(c);
        const char *p = em_array_data(c);
        CHECK(em_array_is_contiguous(c));
        int64_t K = a->shape[a->ndim - 1];
        double uacc = dt == EM_FLOAT64 ? 0x1p-53 : 0x1p-24;
        size_t isz = em_dtype_size(dt);
        for (int64_t i = 0; i < em_array_size(c) && ok; i++) {
            const char *e = p + (size_t)i * isz;
            double gr, gi = 0;
            if (dt == EM_COMPLEX64) {
                float v[2];
                memcpy(v, e, sizeof v);
                gr = v[0];
                gi = v[1];
            } else {
                gr = dtype_load_double(dt, e);
            }
            double want_r = re[i], want_i = im[i];
            if (dt == EM_BOOL) want_r = want_r != 0;
            if (dtype_is_int(dt)) { /* exact in double, then wrapped as NumPy does */
                unsigned char w[8];
                dtype_store_int(dt, w, (int64_t)want_r);
                want_r = dtype_load_double(dt, w);
            }
            double tol = dtype_is_inexact(dt)
                             ? 2 * (double)K * uacc * mag[i] + 2 * out_eps(dt) * hypot(want_r, want_i)
                             : 0;
            if (fabs(gr - want_r) > tol || fabs(gi - want_i) > tol) {
                fprintf(stderr, "  %s: element %lld: got %.9g%+.9gj want %.9g%+.9gj (tol %.3g)\n",
                        what, (long long)i, gr, gi, want_r, want_i, tol);
                ok = 0;
            }
        }
    }
    free(re);
    free(im);
    free(mag);
    return ok;
}

/* ---------------------------------------------------------------- tests */

static const em_dtype all_dtypes[] = {EM_FLOAT32, EM_FLOAT64, EM_COMPLEX64, EM_FLOAT16, EM_BFLOAT16,
                                      EM_INT32, EM_INT64, EM_INT8, EM_INT16, EM_UINT8, EM_UINT16,
                                      EM_UINT32, EM_UINT64, EM_BOOL};
#define NDTYPES (sizeof all_dtypes / sizeof all_dtypes[0])

typedef struct shape_case {
    int na;
    int64_t a[5];
    int nb;
    int64_t b[5];
} shape_case;

static const shape_case shape_cases[] = {
    {2, {3, 4}, 2, {4, 5}},
    {1, {4}, 1, {4}},                /* vector . vector -> 0-d */
    {1, {4}, 2, {4, 5}},             /* -> (5) */
    {2, {3, 4}, 1, {4}},             /* -> (3) */
    {1, {1}, 1, {1}},
    {2, {1, 1}, 2, {1, 1}},
    {2, {5, 1}, 2, {1, 6}},          /* outer product */
    {4, {2, 1, 3, 4}, 3, {5, 4, 2}}, /* batch broadcast -> (2,5,3,2) */
    {1, {3}, 3, {2, 3, 4}},          /* -> (2,4) */
    {3, {2, 5, 3}, 1, {3}},          /* -> (2,5) */
    {4, {2, 3, 4, 5}, 2, {5, 6}},    /* b shared by every batch: one folded product */
    {2, {4, 5}, 3, {3, 5, 2}},       /* a shared by every batch */
    {3, {1, 4, 5}, 3, {3, 5, 2}},
    {2, {33, 70}, 2, {70, 65}},
};

/* Every dtype, every shape, contiguous operands. */
static void test_shapes_dtypes(void) {
    for (size_t d = 0; d < NDTYPES; d++)
        for (size_t s = 0; s < sizeof shape_cases / sizeof shape_cases[0]; s++) {
            const shape_case *sc = &shape_cases[s];
            operand a = make_operand(all_dtypes[d], sc->na, sc->a);
            operand b = make_operand(all_dtypes[d], sc->nb, sc->b);
            em_array *x = to_array(&a, L_CONTIG), *y = to_array(&b, L_CONTIG);
            em_array *c = em_matmul(x, y);
            CHECK(c && !em_array_is_evaluated(c) && em_array_dtype(c) == all_dtypes[d]);
            CHECK_MSG(check_product(c, &a, &b, "shapes"), "dtype %s, case %zu",
                      em_dtype_name(all_dtypes[d]), s);
            em_array_release(c);
            em_array_release(x);
            em_array_release(y);
            free_operand(&a);
            free_operand(&b);
        }
}

/* Every pair of layouts of a and b (BLAS in place with NoTrans/Trans and a
 * leading dimension, or copied first), for the dtypes of each path. */
static void test_layouts(void) {
    static const em_dtype dts[] = {EM_FLOAT32, EM_FLOAT64, EM_COMPLEX64, EM_FLOAT16, EM_INT32, EM_BOOL};
    static const shape_case cases[] = {
        {2, {7, 5}, 2, {5, 3}},
        {3, {2, 4, 6}, 3, {2, 6, 3}},
        {3, {2, 4, 6}, 2, {6, 3}},
        {1, {6}, 2, {6, 3}},
        {2, {4, 6}, 1, {6}},
        {1, {6}, 1, {6}},
        {2, {1, 6}, 2, {6, 1}},
    };
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++)
        for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++)
            for (int la = 0; la < L_COUNT; la++)
                for (int lb = 0; lb < L_COUNT; lb++) {
                    operand a = make_operand(dts[d], cases[s].na, cases[s].a);
                    operand b = make_operand(dts[d], cases[s].nb, cases[s].b);
                    em_array *x = to_array(&a, (layout)la), *y = to_array(&b, (layout)lb);
                    em_array *c = em_matmul(x, y);
                    CHECK_MSG(check_product(c, &a, &b, "layouts"), "dtype %s, case %zu, a %s, b %s",
                              em_dtype_name(dts[d]), s, layout_names[la], layout_names[lb]);
                    em_array_release(c);
                    em_array_release(x);
                    em_array_release(y);
                    free_operand(&a);
                    free_operand(&b);
                }
}

/* Operands broadcast inside a matrix (zero strides) and across batches. */
static void test_broadcast_operands(void) {
    float col[4] = {1, 2, 3, 4}, m[8] = {1, 0, 0, 1, 2, 2, -1, 3};
    em_array *c4 = em_array_from_data(col, (int64_t[]){4, 1}, 2, EM_FLOAT32);
    em_array *B = em_broadcast_to(c4, (int64_t[]){4, 3}, 2); /* column strides 0 */
    em_array *A = em_array_from_data(m, (int64_t[]){2, 4}, 2, EM_FLOAT32);
    em_array *C = em_matmul(A, B);
    /* rows of A dotted with (1,2,3,4) in every column */
    CHECK(check_shape(C, 2, (int64_t[]){2, 3}));
    CHECK(check_equals(C, (double[]){5, 5, 5, 15, 15, 15}, 6));
    em_array *Ab = em_broadcast_to(A, (int64_t[]){3, 2, 4}, 3); /* batch stride 0 */
    em_array *D = em_matmul(Ab, B);
    CHECK(check_shape(D, 3, (int64_t[]){3, 2, 3}));
    CHECK(check_equals(D, (double[]){5, 5, 5, 15, 15, 15, 5, 5, 5, 15, 15, 15, 5, 5, 5, 15, 15, 15}, 18));
    em_array *s = em_array_from_double(2, EM_FLOAT32);
    em_array *v = em_broadcast_to(s, (int64_t[]){4}, 1); /* a vector of stride 0 */
    em_array *E = em_matmul(A, v);
    CHECK(check_shape(E, 1, (int64_t[]){2}));
    CHECK(check_equals(E, (double[]){4, 12}, 2));
    em_array *arrs[] = {c4, B, A, C, Ab, D, s, v, E};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) em_array_release(arrs[i]);
}

/* Sizes that cross the integer loop's blocks and BLAS's kernels' edges. */
static void test_large(void) {
    static const em_dtype dts[] = {EM_FLOAT32, EM_INT32, EM_BFLOAT16};
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
        operand a = make_operand(dts[d], 2, (int64_t[]){37, 300});
        operand b = make_operand(dts[d], 2, (int64_t[]){300, 530});
        em_array *x = to_array(&a, L_CONTIG), *y = to_array(&b, d == 1 ? L_STRIDED : L_TRANS);
        em_array *c = em_matmul(x, y);
        CHECK_MSG(check_product(c, &a, &b, "large"), "dtype %s", em_dtype_name(dts[d]));
        em_array_release(c);
        em_array_release(x);
        em_array_release(y);
        free_operand(&a);
        free_operand(&b);
    }
}

static void test_empty(void) {
    static const shape_case cases[] = {
        {2, {0, 3}, 2, {3, 4}},    /* -> (0,4) */
        {2, {3, 0}, 2, {0, 4}},    /* k = 0: zeros (3,4) */
        {3, {2, 0, 3}, 2, {3, 4}}, /* -> (2,0,4) */
        {2, {5, 0}, 1, {0}},       /* -> zeros (5) */
        {1, {0}, 1, {0}},          /* -> 0-d zero */
        {3, {0, 2, 3}, 2, {3, 4}}, /* no batches */
        {2, {2, 3}, 2, {3, 0}},    /* -> (2,0) */
    };
    static const em_dtype dts[] = {EM_FLOAT32, EM_FLOAT16, EM_COMPLEX64, EM_INT8, EM_BOOL};
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++)
        for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
            operand a = make_operand(dts[d], cases[s].na, cases[s].a);
            operand b = make_operand(dts[d], cases[s].nb, cases[s].b);
            em_array *x = to_array(&a, L_CONTIG), *y = to_array(&b, L_CONTIG);
            em_array *c = em_matmul(x, y);
            CHECK_MSG(check_product(c, &a, &b, "empty"), "dtype %s, case %zu", em_dtype_name(dts[d]), s);
            em_array_release(c);
            em_array_release(x);
            em_array_release(y);
            free_operand(&a);
            free_operand(&b);
        }
}

/* k = 0 with operands that have no memory at all. */
static void test_empty_external(void) {
    em_array *a = em_array_from_external(NULL, (int64_t[]){3, 0}, NULL, 2, EM_FLOAT32, NULL, NULL);
    em_array *b = em_array_from_external(NULL, (int64_t[]){0, 4}, NULL, 2, EM_FLOAT32, NULL, NULL);
    em_array *c = em_matmul(a, b);
    CHECK(check_shape(c, 2, (int64_t[]){3, 4}));
    CHECK(check_equals(c, (double[12]){0}, 12));
    em_array *e = em_array_from_external(NULL, (int64_t[]){4, 0}, NULL, 2, EM_FLOAT32, NULL, NULL);
    em_array *d = em_matmul(b, e);
    CHECK(check_shape(d, 2, (int64_t[]){0, 0}) && em_eval1(d) == EM_OK);
    em_array_release(e);
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
    em_array_release(d);
}

/* Mixed dtypes promote as MLX's table says; integers wrap as NumPy's do. */
static void test_promotion_and_wrap(void) {
    static const struct { em_dtype a, b, out; } cases[] = {
        {EM_FLOAT16, EM_BFLOAT16, EM_FLOAT32}, {EM_FLOAT16, EM_INT32, EM_FLOAT16},
        {EM_INT8, EM_UINT8, EM_INT16},         {EM_UINT64, EM_INT8, EM_FLOAT32},
        {EM_FLOAT64, EM_FLOAT32, EM_FLOAT64},  {EM_COMPLEX64, EM_FLOAT32, EM_COMPLEX64},
        {EM_BOOL, EM_INT32, EM_INT32},         {EM_BOOL, EM_BOOL, EM_BOOL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        em_array *x = em_array_from_data((double[]){1, 1, 0, 1, 0, 1}, (int64_t[]){2, 3}, 2, EM_FLOAT64);
        em_array *y = em_array_from_data((double[]){1, 0, 1, 1, 0, 1}, (int64_t[]){3, 2}, 2, EM_FLOAT64);
        em_array *xa = em_astype(x, cases[i].a), *yb = em_astype(y, cases[i].b);
        em_array *c = em_matmul(xa, yb);
        CHECK_MSG(c && em_array_dtype(c) == cases[i].out, "%s @ %s", em_dtype_name(cases[i].a),
                  em_dtype_name(cases[i].b));
        if (cases[i].out == EM_BOOL) CHECK(check_equals(c, (double[]){1, 1, 1, 1}, 4));
        else CHECK(check_equals(c, (double[]){2, 1, 1, 1}, 4)); /* complex: the real parts */
        em_array *arrs[] = {x, y, xa, yb, c};
        for (size_t k = 0; k < 5; k++) em_array_release(arrs[k]);
    }
    /* NumPy: int8 100 * 1 summed 3 times is 300, which wraps to 44 */
    int8_t a8[6] = {100, 100, 100, 100, 100, 100}, b8[6] = {1, 1, 1, 1, 1, 1};
    em_array *a = em_array_from_data(a8, (int64_t[]){2, 3}, 2, EM_INT8);
    em_array *b = em_array_from_data(b8, (int64_t[]){3, 2}, 2, EM_INT8);
    em_array *c = em_matmul(a, b);
    CHECK(check_equals(c, (double[]){44, 44, 44, 44}, 4));
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
    /* uint16: 3 * 60000 * 3 = 540000 -> 15712 (NumPy) */
    uint16_t u[3] = {60000, 60000, 60000}, v[3] = {3, 3, 3};
    a = em_array_from_data(u, (int64_t[]){3}, 1, EM_UINT16);
    b = em_array_from_data(v, (int64_t[]){3}, 1, EM_UINT16);
    c = em_matmul(a, b);
    CHECK(check_equals(c, (double[]){15712}, 1));
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
    /* int64: INT64_MAX * 2 + 2 wraps to 0 */
    int64_t p[2] = {INT64_MAX, 1}, q[2] = {2, 2};
    a = em_array_from_data(p, (int64_t[]){2}, 1, EM_INT64);
    b = em_array_from_data(q, (int64_t[]){2}, 1, EM_INT64);
    c = em_matmul(a, b);
    int64_t r = -1;
    CHECK(em_array_item_int(c, &r) == EM_OK && r == 0);
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
}

/* NaN and inf propagate through BLAS (no fast-math shortcuts). */
static void test_nonfinite(void) {
    float x[4] = {NAN, 1, INFINITY, 1}, y[4] = {1, 0, 0, 1};
    em_array *a = em_array_from_data(x, (int64_t[]){2, 2}, 2, EM_FLOAT32);
    em_array *b = em_array_from_data(y, (int64_t[]){2, 2}, 2, EM_FLOAT32);
    em_array *c = em_matmul(a, b);
    CHECK(check_equals(c, (double[]){NAN, NAN, INFINITY, NAN}, 4));
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
}

static void test_errors(void) {
    em_array *s = em_array_from_double(1, EM_FLOAT32);
    em_array *v3 = em_array_from_data((float[3]){0}, (int64_t[]){3}, 1, EM_FLOAT32);
    em_array *v4 = em_array_from_data((float[4]){0}, (int64_t[]){4}, 1, EM_FLOAT32);
    em_array *v5 = em_array_from_data((float[5]){0}, (int64_t[]){5}, 1, EM_FLOAT32);
    em_array *m23 = em_array_from_data((float[6]){0}, (int64_t[]){2, 3}, 2, EM_FLOAT32);
    em_array *m45 = em_array_from_data((float[20]){0}, (int64_t[]){4, 5}, 2, EM_FLOAT32);
    em_array *t234 = em_array_from_data((float[24]){0}, (int64_t[]){2, 3, 4}, 3, EM_FLOAT32);
    em_array *t223 = em_array_from_data((float[12]){0}, (int64_t[]){2, 2, 3}, 3, EM_FLOAT32);
    em_array *t334 = em_array_from_data((float[36]){0}, (int64_t[]){3, 3, 4}, 3, EM_FLOAT32);
    em_array *q2453 = em_array_from_data((float[120]){0}, (int64_t[]){2, 4, 5, 3}, 4, EM_FLOAT32);
    em_array *t332 = em_array_from_data((float[18]){0}, (int64_t[]){3, 3, 2}, 3, EM_FLOAT32);
    em_array *t345 = em_array_from_data((float[60]){0}, (int64_t[]){3, 4, 5}, 3, EM_FLOAT32);
    const char *zero_d = "[matmul] Got 0 dimension input. Inputs must have at least one dimension.";
    CHECK_ERROR(em_matmul(s, v4), EM_ERR_VALUE, zero_d);
    CHECK_ERROR(em_matmul(v3, s), EM_ERR_VALUE, zero_d);
    CHECK_ERROR(em_matmul(s, s), EM_ERR_VALUE, zero_d);
    CHECK_ERROR(em_matmul(m23, m45), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (2,3) must match second to last "
                "dimension of second input with shape (4,5).");
    CHECK_ERROR(em_matmul(v3, v4), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (1,3) must match second to last "
                "dimension of second input with shape (4,1).");
    CHECK_ERROR(em_matmul(v3, m45), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (1,3) must match second to last "
                "dimension of second input with shape (4,5).");
    CHECK_ERROR(em_matmul(m23, v4), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (2,3) must match second to last "
                "dimension of second input with shape (4,1).");
    CHECK_ERROR(em_matmul(t234, v5), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (2,3,4) must match second to last "
                "dimension of second input with shape (5,1).");
    CHECK_ERROR(em_matmul(v5, t234), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (1,5) must match second to last "
                "dimension of second input with shape (2,3,4).");
    /* the inner dimensions are checked before the batch dims */
    CHECK_ERROR(em_matmul(t223, t345), EM_ERR_VALUE,
                "[matmul] Last dimension of first input with shape (2,2,3) must match second to last "
                "dimension of second input with shape (3,4,5).");
    CHECK_ERROR(em_matmul(t223, t334), EM_ERR_VALUE, "[broadcast_shapes] Shapes (2) and (3) cannot be broadcast.");
    CHECK_ERROR(em_matmul(q2453, t332), EM_ERR_VALUE,
                "[broadcast_shapes] Shapes (2,4) and (3) cannot be broadcast.");
    CHECK_ERROR(em_matmul(NULL, m23), EM_ERR_NULL, "[matmul]");
    CHECK_ERROR(em_matmul(m23, NULL), EM_ERR_NULL, "[matmul]");
    /* a chain keeps its first error */
    em_error_clear();
    em_array *bad = em_matmul(m23, m45);
    em_array *worse = em_matmul(bad, m45);
    CHECK(!bad && !worse && em_error_code() == EM_ERR_VALUE &&
          strstr(em_error_message(), "shape (2,3) must match") != NULL);
    em_error_clear();
    em_array *arrs[] = {s, v3, v4, v5, m23, m45, t234, t223, t334, q2453, t332, t345};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; i++) em_array_release(arrs[i]);
}

/* A product inside a scope, freed at its end; the graph holds no leaks. */
static void test_scope(void) {
    int64_t live = em_live_arrays();
    em_scope_begin();
    em_array *a = em_array_from_data((float[]){1, 2, 3, 4}, (int64_t[]){2, 2}, 2, EM_FLOAT32);
    em_array *c = em_matmul(em_matmul(a, a), a); /* [[37, 54], [81, 118]] */
    CHECK(check_equals(c, (double[]){37, 54, 81, 118}, 4));
    /* reading values inside a scope (copy_to makes internal arrays) */
    double t[4] = {1, 3, 2, 4};
    em_array *at = em_array_from_external(t, (int64_t[]){2, 2}, (int64_t[]){1, 2}, 2, EM_FLOAT64, NULL, NULL);
    CHECK(check_equals(at, (double[]){1, 2, 3, 4}, 4));
    CHECK(check_equals(em_matmul(at, at), (double[]){7, 10, 15, 22}, 4));
    em_scope_end();
    CHECK(em_live_arrays() == live);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_shapes_dtypes();
    test_layouts();
    test_broadcast_operands();
    test_large();
    test_empty();
    test_empty_external();
    test_promotion_and_wrap();
    test_nonfinite();
    test_errors();
    test_scope();
    CHECK(em_live_arrays() == live);
    CHECK_NO_ERROR();
    CHECK_DONE();
}
