/* test_conv.c -- em_conv_general and the fixed-rank, transposed and 1-d
 * convolutions: values against a direct double-precision reference over 1-3
 * spatial dims, strides, asymmetric and negative padding, kernel and input
 * dilation, groups and flip, in float32/float64/float16/bfloat16, strided
 * operands; vjp and jvp against central finite differences in float64;
 * grad of grad; and MLX's errors. */
#include "check.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static double draw(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state % 2000001) / 1000000.0 - 1.0;
}

typedef struct cfg {
    int nd, groups, flip;
    int64_t n, ci, co, s[3], k[3];
    int stride[3], lo[3], hi[3], kdil[3], idil[3];
} cfg;

static int64_t prod(const int64_t *v, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= v[i];
    return p;
}

/* Output spatial sizes (per the CONV contract). */
static void out_sizes(const cfg *c, int64_t *o) {
    for (int d = 0; d < c->nd; d++) {
        int64_t sd = c->s[d] ? (c->s[d] - 1) * c->idil[d] + 1 : 0;
        int64_t kd = (c->k[d] - 1) * c->kdil[d] + 1;
        o[d] = (sd + c->lo[d] + c->hi[d] - kd) / c->stride[d] + 1;
    }
}

/* Direct reference: out (n, O, co) from x (n, S, ci), w (co, K, ci/g). */
static void reference(const cfg *c, const double *x, const double *w, double *out) {
    int64_t o[3], ot, kt, cig = c->ci / c->groups, cog = c->co / c->groups;
    out_sizes(c, o);
    ot = prod(o, c->nd);
    kt = prod(c->k, c->nd);
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t p = 0; p < ot; p++)
            for (int64_t co = 0; co < c->co; co++) {
                int64_t g = co / cog;
                double acc = 0;
                for (int64_t t = 0; t < kt; t++) {
                    /* spatial multi-indices of output p and tap t */
                    int64_t xi = 0, pp = p, tt = t;
                    bool ok = true;
                    int64_t oi[3], ti[3];
                    for (int d = c->nd - 1; d >= 0; d--) {
                        oi[d] = pp % o[d];
                        pp /= o[d];
                        ti[d] = tt % c->k[d];
                        tt /= c->k[d];
                    }
                    for (int d = 0; d < c->nd; d++) {
                        int64_t tap = c->flip ? c->k[d] - 1 - ti[d] : ti[d];
                        int64_t pos = oi[d] * c->stride[d] + tap * c->kdil[d] - c->lo[d];
                        if (pos < 0 || pos % c->idil[d] || pos / c->idil[d] >= c->s[d]) ok = false;
                        else xi = xi * c->s[d] + pos / c->idil[d];
                    }
                    if (!ok) continue;
                    for (int64_t ch = 0; ch < cig; ch++)
                        acc += x[(n * prod(c->s, c->nd) + xi) * c->ci + g * cig + ch] *
                               w[(co * kt + t) * cig + ch];
                }
                out[(n * ot + p) * c->co + co] = acc;
            }
}

static em_array *make(const double *v, const int64_t *shape, int nd, em_dtype dt) {
    em_array *a = em_array_from_data(v, shape, nd, EM_FLOAT64);
    em_array *r = em_astype(a, dt);
    em_array_release(a);
    return r;
}

static double *rand_vec(int64_t n, em_dtype dt) {
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
        v[i] = draw();
        if (dt == EM_FLOAT16 || dt == EM_BFLOAT16) v[i] = round(v[i] * 16) / 16; /* exact */
    }
    return v;
}

static em_array *run(const cfg *c, const em_array *x, const em_array *w) {
    return em_conv_general(x, w, c->stride, c->nd, c->lo, c->nd, c->hi, c->nd, c->kdil, c->nd,
                           c->idil, c->nd, c->groups, c->flip);
}

static void shapes(const cfg *c, int64_t *xs, int64_t *ws) {
    xs[0] = c->n;
    ws[0] = c->co;
    for (int d = 0; d < c->nd; d++) xs[1 + d] = c->s[d], ws[1 + d] = c->k[d];
    xs[c->nd + 1] = c->ci;
    ws[c->nd + 1] = c->ci / c->groups;
}

static void conv_check_values(const cfg *c, em_dtype dt, bool transpose_input) {
    int64_t xs[5], ws[5], o[3];
    shapes(c, xs, ws);
    out_sizes(c, o);
    int64_t nx = prod(xs, c->nd + 2), nw = prod(ws, c->nd + 2);
    int64_t no = c->n * prod(o, c->nd) * c->co;
    double *x = rand_vec(nx, dt), *w = rand_vec(nw, dt), *want = calloc((size_t)no + 1, 8);
    double *got = calloc((size_t)no + 1, 8);
    reference(c, x, w, want);
    em_array *X, *W = make(w, ws, c->nd + 2, dt);
    if (transpose_input) {
        /* the same values through a view whose channels are not contiguous:
         * stored (ci, S, n), viewed (n, S, ci) */
        int64_t ts[5], sp = prod(c->s, c->nd);
        double *xt = malloc((size_t)(nx ? nx : 1) * sizeof *xt);
        for (int64_t n = 0; n < c->n; n++)
            for (int64_t p = 0; p < sp; p++)
                for (int64_t ch = 0; ch < c->ci; ch++)
                    xt[(ch * sp + p) * c->n + n] = x[(n * sp + p) * c->ci + ch];
        int perm[5];
        for (int d = 0; d < c->nd + 2; d++) ts[d] = xs[d], perm[d] = d;
        ts[0] = c->ci;
        ts[c->nd + 1] = c->n;
        perm[0] = c->nd + 1;
        perm[c->nd + 1] = 0;
        em_array *T = make(xt, ts, c->nd + 2, dt);
        X = em_transpose(T, perm, c->nd + 2);
        em_array_release(T);
        free(xt);
    } else {
        X = make(x, xs, c->nd + 2, dt);
    }
    em_array *r = run(c, X, W);
    CHECK_NO_ERROR();
    if (r) {
        CHECK(em_array_dtype(r) == dt);
        CHECK(em_array_ndim(r) == c->nd + 2);
        CHECK(em_array_dim(r, 0) == c->n && em_array_dim(r, -1) == c->co);
        for (int d = 0; d < c->nd; d++) CHECK(em_array_dim(r, 1 + d) == o[d]);
        CHECK(em_array_copy_to(r, EM_FLOAT64, got, (size_t)no * 8) == EM_OK);
        double tol = dt == EM_FLOAT64 ? 1e-12 : dt == EM_FLOAT32 ? 1e-4 : 2e-2;
        int bad = 0;
        for (int64_t i = 0; i < no; i++)
            if (fabs(got[i] - want[i]) > tol * (1 + fabs(want[i]))) bad++;
        CHECK_MSG(bad == 0, "nd %d dtype %s: %d of %lld values differ", c->nd,
                  em_dtype_name(dt), bad, (long long)no);
    }
    em_array_release(r);
    em_array_release(X);
    em_array_release(W);
    free(x);
    free(w);
    free(want);
    free(got);
}

/* ---------------------------------------------------------------- gradients */

typedef struct { cfg c; } fctx;

static em_status conv_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const cfg *c = &((fctx *)ctx)->c;
    em_array *r = run(c, in[0], in[1]);
    if (!r) return em_error_code();
    em_status st = em_array_list_push(out, r);
    em_array_release(r);
    return st;
}

/* <conv(x, w), u> as a double, evaluated. */
static double dot_out(const cfg *c, const double *x, const double *w, const double *u,
                      const int64_t *xs, const int64_t *ws, int64_t no) {
    int64_t o[3];
    out_sizes(c, o);
    double *r = calloc((size_t)no + 1, 8), acc = 0;
    reference(c, x, w, r);
    for (int64_t i = 0; i < no; i++) acc += r[i] * u[i];
    free(r);
    (void)xs, (void)ws;
    return acc;
}

static void conv_check_grads(const cfg *c) {
    int64_t xs[5], ws[5], o[3], os[5];
    shapes(c, xs, ws);
    out_sizes(c, o);
    os[0] = c->n;
    for (int d = 0; d < c->nd; d++) os[1 + d] = o[d];
    os[c->nd + 1] = c->co;
    int nd2 = c->nd + 2;
    int64_t nx = prod(xs, nd2), nw = prod(ws, nd2), no = prod(os, nd2);
    double *x = rand_vec(nx, EM_FLOAT64), *w = rand_vec(nw, EM_FLOAT64),
           *u = rand_vec(no, EM_FLOAT64);
    double *tx = rand_vec(nx, EM_FLOAT64), *tw = rand_vec(nw, EM_FLOAT64);
    em_array *X = make(x, xs, nd2, EM_FLOAT64), *W = make(w, ws, nd2, EM_FLOAT64);
    em_array *U = make(u, os, nd2, EM_FLOAT64);
    em_array *TX = make(tx, xs, nd2, EM_FLOAT64), *TW = make(tw, ws, nd2, EM_FLOAT64);
    fctx ctx = {*c};
    em_closure *f = em_closure_new(conv_fn, &ctx, NULL);
    em_array_list *outs = em_array_list_new(), *vj = em_array_list_new(), *jv = em_array_list_new();
    em_array *prim[2] = {X, W}, *tans[2] = {TX, TW};
    CHECK(em_vjp(f, prim, 2, &U, 1, outs, vj) == EM_OK);
    CHECK(em_jvp(f, prim, 2, tans, 2, outs, jv) == EM_OK);
    CHECK_NO_ERROR();
    double h = 1e-3;
    /* vjp: d<f, u>/dx_i by central differences, at a sample of entries */
    for (int which = 0; which < 2 && em_array_list_size(vj) == 2; which++) {
        double *v = which ? w : x;
        int64_t nv = which ? nw : nx;
        double *g = malloc((size_t)(nv ? nv : 1) * 8);
        CHECK(em_array_copy_to(em_array_list_get(vj, (size_t)which), EM_FLOAT64, g,
                               (size_t)nv * 8) == EM_OK);
        int bad = 0;
        for (int64_t i = 0; i < nv; i += 1 + nv / 40) {
            double keep = v[i];
            v[i] = keep + h;
            double fp = dot_out(c, x, w, u, xs, ws, no);
            v[i] = keep - h;
            double fm = dot_out(c, x, w, u, xs, ws, no);
            v[i] = keep;
            double fd = (fp - fm) / (2 * h);
            if (fabs(fd - g[i]) > 1e-6 * (1 + fabs(fd))) bad++;
        }
        CHECK_MSG(bad == 0, "nd %d: vjp wrt %s: %d entries differ", c->nd, which ? "w" : "x", bad);
        free(g);
    }
    /* jvp: (f(x + h tx, w + h tw) - f(x - h tx, w - h tw)) / 2h */
    if (em_array_list_size(jv) == 1) {
        double *got = calloc((size_t)no + 1, 8), *fp = calloc((size_t)no + 1, 8),
               *fm = calloc((size_t)no + 1, 8);
        double *xp = malloc((size_t)(nx + 1) * 8), *wp = malloc((size_t)(nw + 1) * 8);
        CHECK(em_array_copy_to(em_array_list_get(jv, 0), EM_FLOAT64, got, (size_t)no * 8) == EM_OK);
        for (int sgn = 0; sgn < 2; sgn++) {
            double e = sgn ? -h : h;
            for (int64_t i = 0; i < nx; i++) xp[i] = x[i] + e * tx[i];
            for (int64_t i = 0; i < nw; i++) wp[i] = w[i] + e * tw[i];
            reference(c, xp, wp, sgn ? fm : fp);
        }
        int bad = 0;
        for (int64_t i = 0; i < no; i++) {
            double fd = (fp[i] - fm[i]) / (2 * h);
            if (fabs(fd - got[i]) > 1e-6 * (1 + fabs(fd))) bad++;
        }
        CHECK_MSG(bad == 0, "nd %d: jvp: %d entries differ", c->nd, bad);
        free(got), free(fp), free(fm), free(xp), free(wp);
    }
    em_array_list_free(outs);
    em_array_list_free(vj);
    em_array_list_free(jv);
    em_closure_release(f);
    em_array_release(X), em_array_release(W), em_array_release(U);
    em_array_release(TX), em_array_release(TW);
    free(x), free(w), free(u), free(tx), free(tw);
}

/* ---------------------------------------------------------------- configs */

static cfg C(int nd, int64_t n, int64_t ci, int64_t co, int groups, int64_t s, int64_t k,
             int stride, int lo, int hi, int kdil, int idil, int flip) {
    cfg c;
    memset(&c, 0, sizeof c);
    c.nd = nd, c.n = n, c.ci = ci, c.co = co, c.groups = groups, c.flip = flip;
    for (int d = 0; d < nd; d++) {
        /* vary the dims a little so that they are not all alike */
        c.s[d] = s + d;
        c.k[d] = k;
        c.stride[d] = stride;
        c.lo[d] = lo;
        c.hi[d] = hi + (d == 1);
        c.kdil[d] = kdil;
        c.idil[d] = idil;
    }
    return c;
}

static void test_values(void) {
    cfg cs[] = {
        C(1, 2, 3, 4, 1, 7, 3, 1, 0, 0, 1, 1, 0),
        C(1, 2, 4, 6, 2, 9, 3, 2, 1, 2, 2, 1, 0),
        C(1, 1, 3, 2, 1, 5, 2, 1, 1, 0, 1, 3, 1),
        C(1, 3, 2, 2, 1, 6, 3, 3, -1, 2, 1, 1, 0),
        C(2, 2, 3, 5, 1, 6, 3, 1, 1, 1, 1, 1, 0),
        C(2, 2, 4, 4, 4, 7, 3, 2, 1, 0, 1, 1, 1),
        C(2, 1, 6, 4, 2, 5, 2, 2, 2, 1, 2, 2, 0),
        C(2, 3, 8, 16, 1, 9, 1, 1, 0, 0, 1, 1, 0),
        C(3, 2, 2, 3, 1, 4, 2, 1, 1, 1, 1, 1, 0),
        C(3, 1, 4, 4, 2, 5, 3, 2, 1, 2, 1, 2, 1),
        C(2, 2, 64, 32, 1, 20, 3, 1, 1, 1, 1, 1, 0), /* threads and tiles */
    };
    em_dtype dts[] = {EM_FLOAT32, EM_FLOAT64, EM_FLOAT16, EM_BFLOAT16};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        for (int t = 0; t < 4; t++) conv_check_values(&cs[i], dts[t], false);
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) conv_check_values(&cs[i], EM_FLOAT32, true);
}

static void test_grads(void) {
    cfg cs[] = {
        C(1, 2, 3, 4, 1, 7, 3, 1, 0, 0, 1, 1, 0),
        C(1, 2, 4, 6, 2, 9, 3, 2, 1, 2, 2, 1, 0),
        C(1, 1, 3, 2, 1, 5, 2, 2, 1, 0, 1, 3, 1),
        C(1, 2, 2, 2, 1, 8, 3, 3, -1, 3, 1, 1, 0),
        C(2, 2, 3, 5, 1, 6, 3, 1, 1, 1, 1, 1, 0),
        C(2, 2, 4, 4, 2, 7, 3, 2, 1, 0, 1, 1, 1),
        C(2, 1, 4, 4, 2, 5, 2, 2, 2, 1, 2, 2, 0),
        C(3, 1, 2, 3, 1, 4, 2, 2, 1, 1, 1, 1, 1),
    };
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) conv_check_grads(&cs[i]);
}

/* ---------------------------------------------------------------- wrappers */

/* conv_transpose1d against its definition: the gradient of conv1d with
 * respect to the input (scatter form), for stride/padding/dilation/output
 * padding and groups; and convolve against NumPy's definition. */
static void test_transpose_and_convolve(void) {
    int64_t n = 2, L = 5, ci = 4, co = 6, K = 3;
    int groups = 2;
    int stride = 2, pad = 1, dil = 2, op = 1;
    int64_t xs[3] = {n, L, ci}, ws[3] = {co, K, ci / groups};
    double *x = rand_vec(n * L * ci, EM_FLOAT64), *w = rand_vec(co * K * ci / groups, EM_FLOAT64);
    em_array *X = make(x, xs, 3, EM_FLOAT64), *W = make(w, ws, 3, EM_FLOAT64);
    em_array *r = em_conv_transpose1d(X, W, stride, pad, dil, op, groups);
    CHECK_NO_ERROR();
    int64_t Lo = (L - 1) * stride - 2 * pad + dil * (K - 1) + op + 1;
    CHECK(r && em_array_dim(r, 1) == Lo && em_array_dim(r, 2) == co);
    /* the scatter form (PyTorch's definition, which MLX's construction
     * matches): out[n, i*stride + k*dil - pad, co] += x[n, i, c] w[co, k, c] */
    double *want = calloc((size_t)(n * Lo * co), 8), *got = calloc((size_t)(n * Lo * co), 8);
    int64_t cig = ci / groups, cog = co / groups;
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < L; i++)
            for (int64_t o = 0; o < co; o++)
                for (int64_t k = 0; k < K; k++) {
                    int64_t pos = i * stride + k * dil - pad;
                    if (pos < 0 || pos >= Lo) continue;
                    for (int64_t c = 0; c < cig; c++)
                        want[(b * Lo + pos) * co + o] +=
                            x[(b * L + i) * ci + (o / cog) * cig + c] * w[(o * K + k) * cig + c];
                }
    if (r) {
        CHECK(em_array_copy_to(r, EM_FLOAT64, got, (size_t)(n * Lo * co) * 8) == EM_OK);
        int bad = 0;
        for (int64_t i = 0; i < n * Lo * co; i++) bad += fabs(got[i] - want[i]) > 1e-12;
        CHECK_MSG(bad == 0, "conv_transpose1d: %d values differ", bad);
    }
    em_array_release(r);
    /* 2-d and 3-d shapes */
    int64_t x2s[4] = {1, 4, 5, 3}, w2s[4] = {2, 3, 2, 3};
    em_array *X2 = em_ones(x2s, 4, EM_FLOAT32), *W2 = em_ones(w2s, 4, EM_FLOAT32);
    int st2[2] = {2, 1}, pd2[2] = {1, 0}, dl2[2] = {1, 2}, op2[2] = {1, 0};
    r = em_conv_transpose2d(X2, W2, st2, pd2, dl2, op2, 1);
    CHECK(r && em_array_dim(r, 1) == 3 * 2 - 2 + 2 + 1 + 1 && em_array_dim(r, 2) == 4 + 2 + 1 &&
          em_array_dim(r, 3) == 2);
    em_array_release(r);
    int64_t x3s[5] = {1, 2, 3, 4, 2}, w3s[5] = {3, 2, 2, 2, 2};
    em_array *X3 = em_ones(x3s, 5, EM_FLOAT32), *W3 = em_ones(w3s, 5, EM_FLOAT32);
    r = em_conv_transpose3d(X3, W3, NULL, NULL, NULL, NULL, 1);
    CHECK(r && em_array_dim(r, 1) == 3 && em_array_dim(r, 2) == 4 && em_array_dim(r, 3) == 5);
    em_array_release(r);
    r = em_conv3d(X3, W3, NULL, NULL, NULL, 1);
    CHECK(r && em_array_dim(r, 1) == 1 && em_array_dim(r, 2) == 2 && em_array_dim(r, 3) == 3);
    double v = 0;
    em_array *s = r ? em_sum(r, NULL, -1, false) : NULL;
    CHECK(s && em_array_item_double(s, &v) == EM_OK && v == 1 * 2 * 3 * 3 * 16);
    em_array_release(s);
    em_array_release(r);
    em_array_release(X3), em_array_release(W3), em_array_release(X2), em_array_release(W2);

    /* convolve: full/same/valid, either operand longer */
    double a[5] = {1, 2, 3, 4, 5}, b[3] = {1, 10, 100};
    int64_t na = 5, nb = 3;
    em_array *A = make(a, &na, 1, EM_FLOAT64), *B = make(b, &nb, 1, EM_FLOAT64);
    double full[7] = {1, 12, 123, 234, 345, 450, 500};
    struct { em_convolve_mode m; int off, len; } modes[] = {
        {EM_CONVOLVE_FULL, 0, 7}, {EM_CONVOLVE_SAME, 1, 5}, {EM_CONVOLVE_VALID, 2, 3}};
    for (int i = 0; i < 3; i++)
        for (int swap = 0; swap < 2; swap++) {
            em_array *c = swap ? em_convolve(B, A, modes[i].m) : em_convolve(A, B, modes[i].m);
            double out[7] = {0};
            CHECK(c && em_array_dim(c, 0) == modes[i].len);
            if (c) CHECK(em_array_copy_to(c, EM_FLOAT64, out, sizeof out) == EM_OK);
            for (int j = 0; c && j < modes[i].len; j++) CHECK(out[j] == full[modes[i].off + j]);
            em_array_release(c);
        }
    em_array_release(A), em_array_release(B);
    em_array_release(X), em_array_release(W);
    free(x), free(w), free(want), free(got);
}

/* ---------------------------------------------------------------- grad of grad */

static em_status sum_sq_conv(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    int pad[2] = {1, 1};
    em_array *r = em_conv2d(in[0], in[1], NULL, pad, NULL, 1);
    em_array *q = em_multiply(r, r), *s = em_sum(q, NULL, -1, false);
    em_status st = s ? em_array_list_push(out, s) : em_error_code();
    em_array_release(r), em_array_release(q), em_array_release(s);
    return st;
}

static em_status grad_sum(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    em_closure *g = ctx;
    em_array_list *r = em_array_list_new();
    em_status st = em_closure_call(g, in, n, r);
    em_array *s = st == EM_OK ? em_sum(em_array_list_get(r, 0), NULL, -1, false) : NULL;
    if (s) st = em_array_list_push(out, s);
    else if (st == EM_OK) st = em_error_code();
    em_array_release(s);
    em_array_list_free(r);
    return st;
}

/* d/dw sum(d/dx sum(conv(x, w)^2)) against finite differences of the first
 * derivative (itself checked above). */
static void test_grad_of_grad(void) {
    int64_t xs[4] = {1, 4, 4, 2}, ws[4] = {3, 3, 3, 2};
    double *x = rand_vec(32, EM_FLOAT64), *w = rand_vec(54, EM_FLOAT64);
    em_array *X = make(x, xs, 4, EM_FLOAT64), *W = make(w, ws, 4, EM_FLOAT64);
    em_closure *f = em_closure_new(sum_sq_conv, NULL, NULL);
    int a0 = 0, a1 = 1;
    em_closure *gx = em_grad(f, &a0, 1);
    em_closure *h = em_closure_new(grad_sum, gx, NULL);
    em_closure *gw = em_grad(h, &a1, 1);
    em_array *in[2] = {X, W};
    em_array_list *r = em_array_list_new();
    CHECK(em_closure_call(gw, in, 2, r) == EM_OK);
    CHECK_NO_ERROR();
    double *g = calloc(54, 8);
    if (em_array_list_size(r) == 1)
        CHECK(em_array_copy_to(em_array_list_get(r, 0), EM_FLOAT64, g, 54 * 8) == EM_OK);
    int bad = 0;
    for (int i = 0; i < 54; i += 5) {
        double e = 1e-4, vals[2];
        for (int s = 0; s < 2; s++) {
            w[i] += s ? -2 * e : e;
            em_array *W2 = make(w, ws, 4, EM_FLOAT64);
            em_array *in2[2] = {X, W2};
            em_array_list *o = em_array_list_new();
            em_status st = em_closure_call(h, in2, 2, o);
            vals[s] = 0;
            if (st == EM_OK) em_array_item_double(em_array_list_get(o, 0), &vals[s]);
            em_array_list_free(o);
            em_array_release(W2);
        }
        w[i] += e;
        double fd = (vals[0] - vals[1]) / (2 * e);
        if (fabs(fd - g[i]) > 1e-5 * (1 + fabs(fd))) bad++;
    }
    CHECK_MSG(bad == 0, "grad of grad: %d entries differ", bad);
    em_array_list_free(r);
    em_closure_release(gw), em_closure_release(h), em_closure_release(gx), em_closure_release(f);
    em_array_release(X), em_array_release(W);
    free(x), free(w), free(g);
}

/* ---------------------------------------------------------------- errors */

static void test_errors(void) {
    int64_t xs[4] = {2, 5, 5, 4}, ws[4] = {6, 3, 3, 4}, w3s[3] = {6, 3, 4}, w2s[4] = {6, 3, 3, 2};
    int64_t bigk[4] = {6, 7, 7, 4}, w5[4] = {5, 3, 3, 2}, x1s[2] = {3, 4}, ws1[3] = {6, 3, 3};
    em_array *x = em_zeros(xs, 4, EM_FLOAT32), *w = em_zeros(ws, 4, EM_FLOAT32);
    em_array *w3 = em_zeros(w3s, 3, EM_FLOAT32), *w2 = em_zeros(w2s, 4, EM_FLOAT32);
    em_array *wk = em_zeros(bigk, 4, EM_FLOAT32), *wo = em_zeros(w5, 4, EM_FLOAT32);
    em_array *xi = em_zeros(xs, 4, EM_INT32), *x1 = em_zeros(x1s, 2, EM_FLOAT32);
    em_array *wc = em_zeros(ws1, 3, EM_FLOAT32), *xc = em_zeros(xs, 4, EM_COMPLEX64);
    int zero[2] = {0, 0}, neg[2] = {-1, -1}, three[3] = {1, 2, 3};
    CHECK_ERROR(em_conv2d(x, w3, NULL, NULL, NULL, 1), EM_ERR_VALUE,
                "[conv] Invalid weight array with 3 dimensions for 2D convolution");
    CHECK_ERROR(em_conv1d(x1, w3, 1, 0, 1, 1), EM_ERR_VALUE,
                "[conv] Only works for inputs with 1-3 spatial dimensions");
    CHECK_ERROR(em_conv2d(xi, w, NULL, NULL, NULL, 1), EM_ERR_VALUE,
                "[conv] Invalid input array with type int32");
    CHECK_ERROR(em_conv2d(xc, w, NULL, NULL, NULL, 1), EM_ERR_VALUE,
                "Invalid input array with type complex64");
    CHECK_ERROR(em_conv2d(x, w2, NULL, NULL, NULL, 3), EM_ERR_VALUE,
                "[conv] The input channels must be divisible by the number of groups. Got input "
                "with shape (2,5,5,4) and 3 groups.");
    CHECK_ERROR(em_conv2d(x, w2, NULL, NULL, NULL, 1), EM_ERR_VALUE,
                "[conv] Expect the input channels in the input and weight array to match but got "
                "shapes - input: (2,5,5,4) and weight: (6,3,3,2)");
    CHECK_ERROR(em_conv2d(x, wo, NULL, NULL, NULL, 2), EM_ERR_VALUE,
                "Got 5 output channels and 2 groups.");
    CHECK_ERROR(em_conv2d(x, w, NULL, NULL, NULL, 0), EM_ERR_VALUE, "[conv]");
    CHECK_ERROR(em_conv2d(x, w, NULL, NULL, NULL, -2), EM_ERR_VALUE, "[conv]");
    CHECK_ERROR(em_conv2d(x, w, zero, NULL, NULL, 1), EM_ERR_VALUE,
                "[conv] Stride sizes must be positive. Got strides (0,0).");
    CHECK_ERROR(em_conv2d(x, w, neg, NULL, NULL, 1), EM_ERR_VALUE, "Got strides (-1,-1).");
    CHECK_ERROR(em_conv2d(x, w, NULL, NULL, zero, 1), EM_ERR_VALUE,
                "[conv] Kernel dilation sizes must be positive. Got kernel dilation (0,0).");
    CHECK_ERROR(em_conv_general(x, w, NULL, 0, NULL, 0, NULL, 0, NULL, 0, zero, 2, 1, false),
                EM_ERR_VALUE, "[conv] Input dilation sizes must be positive.");
    CHECK_ERROR(em_conv_general(x, w, three, 3, NULL, 0, NULL, 0, NULL, 0, NULL, 0, 1, false),
                EM_ERR_VALUE, "[conv] Invalid strides (1,2,3) for 2D convolution.");
    CHECK_ERROR(em_conv_general(x, w, NULL, 0, three, 2, three, 3, NULL, 0, NULL, 0, 1, false),
                EM_ERR_VALUE, "[conv] Invalid padding (1,2) | (1,2,3) for 2D convolution.");
    CHECK_ERROR(em_conv_general(x, w, NULL, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0, 1, false),
                EM_ERR_VALUE, "[conv] Invalid strides");
    CHECK_ERROR(em_conv2d(x, wk, NULL, NULL, NULL, 1), EM_ERR_VALUE,
                "[conv] Spatial dimensions of input after padding cannot be smaller than weight "
                "spatial dimensions. Got error at axis 1 for input with shape (2,5,5,4), padding "
                "low (0,0), padding high (0,0), and weight of shape (6,7,7,4).");
    CHECK_ERROR(em_conv2d(NULL, w, NULL, NULL, NULL, 1), EM_ERR_NULL, "");
    CHECK_ERROR(em_conv2d(x, NULL, NULL, NULL, NULL, 1), EM_ERR_NULL, "");
    CHECK_ERROR(em_conv_transpose2d(x, NULL, NULL, NULL, NULL, NULL, 1), EM_ERR_NULL, "");
    CHECK_ERROR(em_conv_transpose1d(x1, wc, 1, 0, 1, 0, 1), EM_ERR_VALUE,
                "[conv] Only works for inputs with 1-3 spatial dimensions");
    int64_t one = 3, zero_len = 0, mat[2] = {2, 2};
    em_array *v = em_zeros(&one, 1, EM_FLOAT32), *e = em_zeros(&zero_len, 1, EM_FLOAT32);
    em_array *m2 = em_zeros(mat, 2, EM_FLOAT32), *vi = em_zeros(&one, 1, EM_INT32);
    CHECK_ERROR(em_convolve(v, e, EM_CONVOLVE_FULL), EM_ERR_VALUE, "[convolve] Inputs cannot be empty.");
    CHECK_ERROR(em_convolve(m2, v, EM_CONVOLVE_FULL), EM_ERR_VALUE, "[convolve] Inputs must be 1D.");
    CHECK_ERROR(em_convolve(v, v, (em_convolve_mode)7), EM_ERR_VALUE, "[convolve] Invalid mode.");
    CHECK_ERROR(em_convolve(vi, vi, EM_CONVOLVE_FULL), EM_ERR_VALUE, "Invalid input array with type int32");
    CHECK_ERROR(em_convolve(NULL, v, EM_CONVOLVE_FULL), EM_ERR_NULL, "");
    em_array *arrs[] = {x, w, w3, w2, wk, wo, xi, x1, wc, xc, v, e, m2, vi};
    for (size_t i = 0; i < sizeof arrs / sizeof *arrs; i++) em_array_release(arrs[i]);
}

/* Empty batches and channels give empty or zero results; a zero-size kernel
 * gives zeros (MLX's shapes). */
static void test_empty(void) {
    int64_t x0[4] = {0, 3, 3, 2}, w1[4] = {1, 1, 1, 2}, xc0[4] = {1, 3, 3, 0}, wc0[4] = {2, 1, 1, 0};
    int64_t wk0[4] = {1, 0, 1, 2}, x1[4] = {1, 3, 3, 2};
    em_array *a = em_ones(x0, 4, EM_FLOAT32), *b = em_ones(w1, 4, EM_FLOAT32);
    em_array *r = em_conv2d(a, b, NULL, NULL, NULL, 1);
    CHECK(r && em_array_dim(r, 0) == 0 && em_eval(&r, 1) == EM_OK);
    em_array_release(r), em_array_release(a), em_array_release(b);
    a = em_ones(xc0, 4, EM_FLOAT32), b = em_ones(wc0, 4, EM_FLOAT32);
    r = em_conv2d(a, b, NULL, NULL, NULL, 1);
    em_array *s = r ? em_sum(r, NULL, -1, false) : NULL;
    double v = -1;
    CHECK(r && em_array_size(r) == 18 && s && em_array_item_double(s, &v) == EM_OK && v == 0);
    em_array_release(s), em_array_release(r), em_array_release(a), em_array_release(b);
    a = em_ones(x1, 4, EM_FLOAT32), b = em_ones(wk0, 4, EM_FLOAT32);
    r = em_conv2d(a, b, NULL, NULL, NULL, 1);
    CHECK(r && em_array_dim(r, 1) == 4 && em_array_dim(r, 2) == 3);
    s = r ? em_sum(r, NULL, -1, false) : NULL;
    CHECK(s && em_array_item_double(s, &v) == EM_OK && v == 0);
    em_array_release(s), em_array_release(r), em_array_release(a), em_array_release(b);
}

int main(void) {
    test_values();
    test_grads();
    test_transpose_and_convolve();
    test_grad_of_grad();
    test_errors();
    test_empty();
    CHECK_DONE();
}
