/* test_fast.c -- the C API of mlx.core.fast and of function export: fused
 * rms_norm / layer_norm / attention against references computed here in
 * double, errors for NULL and bad arguments, an export round trip (file and
 * bytes), and damaged images (every truncation, random byte changes) that
 * must give an error, never a crash. (Python tests cover the rest:
 * tests/python/test_fast.py, test_export.py.) */
#include <math.h>
#include <stdint.h>

#include "check.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double urand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1;
}

static em_array *randn(int ndim, const int64_t *shape, double *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = urand();
    return em_array_from_data(out, shape, ndim, EM_FLOAT64);
}

static void check_norms(void) {
    double x[3 * 5], w[5], b[5], got[15];
    int64_t xs[2] = {3, 5}, ws[1] = {5};
    em_array *X = randn(2, xs, x, 15), *W = randn(1, ws, w, 5), *B = randn(1, ws, b, 5);
    em_array *r = em_fast_rms_norm(X, W, 1e-5f), *l = em_fast_layer_norm(X, W, B, 1e-5f);
    CHECK(r && l && em_array_dtype(r) == EM_FLOAT64 && check_shape(l, 2, xs));
    CHECK(em_array_copy_to(r, EM_FLOAT64, got, sizeof got) == EM_OK);
    for (int i = 0; i < 3; i++) {
        double ss = 0, mu = 0, var = 0;
        for (int j = 0; j < 5; j++) ss += x[i * 5 + j] * x[i * 5 + j], mu += x[i * 5 + j];
        mu /= 5;
        for (int j = 0; j < 5; j++) var += (x[i * 5 + j] - mu) * (x[i * 5 + j] - mu);
        for (int j = 0; j < 5; j++)
            CHECK_CLOSE(got[i * 5 + j], x[i * 5 + j] / sqrt(ss / 5 + (double)1e-5f) * w[j], 1e-12);
        double lg[15];
        CHECK(em_array_copy_to(l, EM_FLOAT64, lg, sizeof lg) == EM_OK);
        for (int j = 0; j < 5; j++)
            CHECK_CLOSE(lg[i * 5 + j], (x[i * 5 + j] - mu) / sqrt(var / 5 + (double)1e-5f) * w[j] + b[j], 1e-12);
    }
    em_array_release(r);
    em_array_release(l);
    CHECK_ERROR(em_fast_rms_norm(NULL, W, 1e-5f), EM_ERR_NULL, "rms_norm");
    CHECK_ERROR(em_fast_layer_norm(X, B, X, 1e-5f), EM_ERR_VALUE, "[layer_norm] bias must have 1 dimension");
    em_array *I = em_astype(X, EM_INT32);
    CHECK_ERROR(em_fast_rms_norm(I, NULL, 1e-5f), EM_ERR_VALUE, "[rms_norm] Received unsupported type int32.");
    CHECK_ERROR(em_fast_rope(X, 4, false, true, 1e4f, 1.0f, NULL, NULL), EM_ERR_NULL, "rope");
    em_array *off = em_array_from_data((int32_t[]){0}, NULL, 0, EM_INT32);
    CHECK_ERROR(em_fast_rope(X, 4, false, true, 1e4f, 1.0f, off, NULL), EM_ERR_VALUE, "at least 3 dimensions");
    em_array_release(off);
    em_array_release(I);
    em_array_release(X);
    em_array_release(W);
    em_array_release(B);
}

static void check_sdpa(void) {
    enum { H = 2, Hk = 1, L = 3, S = 4, Dd = 2 };
    double q[H * L * Dd], k[Hk * S * Dd], v[Hk * S * Dd], got[H * L * Dd];
    int64_t qs[4] = {1, H, L, Dd}, ks[4] = {1, Hk, S, Dd};
    em_array *Q = randn(4, qs, q, H * L * Dd), *K = randn(4, ks, k, Hk * S * Dd), *V = randn(4, ks, v, Hk * S * Dd);
    em_array *o = em_fast_scaled_dot_product_attention(Q, K, V, 0.5f, "causal", NULL, NULL);
    CHECK(o && check_shape(o, 4, qs));
    CHECK(em_array_copy_to(o, EM_FLOAT64, got, sizeof got) == EM_OK);
    for (int h = 0; h < H; h++)
        for (int i = 0; i < L; i++) {
            double s[S], m = -INFINITY, den = 0, acc[Dd] = {0};
            int jmax = i + S - L + 1;
            for (int j = 0; j < jmax; j++) {
                s[j] = 0.5 * (q[(h * L + i) * Dd] * k[j * Dd] + q[(h * L + i) * Dd + 1] * k[j * Dd + 1]);
                m = fmax(m, s[j]);
            }
            for (int j = 0; j < jmax; j++) {
                double e = exp(s[j] - m);
                den += e;
                for (int d = 0; d < Dd; d++) acc[d] += e * v[j * Dd + d];
            }
            for (int d = 0; d < Dd; d++) CHECK_CLOSE(got[(h * L + i) * Dd + d], acc[d] / den, 1e-12);
        }
    em_array_release(o);
    CHECK_ERROR(em_fast_scaled_dot_product_attention(Q, K, NULL, 1.0f, NULL, NULL, NULL), EM_ERR_NULL,
                "scaled_dot_product_attention");
    CHECK_ERROR(em_fast_scaled_dot_product_attention(Q, K, V, 1.0f, "foo", NULL, NULL), EM_ERR_VALUE,
                "invalid mask option 'foo'");
    CHECK_ERROR(em_fast_scaled_dot_product_attention(K, Q, V, 1.0f, NULL, NULL, NULL), EM_ERR_VALUE,
                "n_heads must be a multiple of n_kv_heads");
    em_array_release(Q);
    em_array_release(K);
    em_array_release(V);
}

/* f(x, y) = exp(x) * y + sum(x) (a keyword input y). */
static em_status fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx;
    (void)n;
    em_array *e = em_exp(in[0]), *p = em_multiply(e, in[1]);
    em_array *s = em_sum(in[0], NULL, -1, false), *r = em_add(p, s);
    em_status st = r ? em_array_list_push(out, r) : em_error_code();
    em_array_release(e);
    em_array_release(p);
    em_array_release(s);
    em_array_release(r);
    return st;
}

static void check_export(void) {
    const char *path = "test_fast_export.emfn";
    double x[6], y[6], want[6], got[6];
    int64_t sh[2] = {2, 3};
    em_array *in[2] = {randn(2, sh, x, 6), randn(2, sh, y, 6)};
    em_closure *f = em_closure_new(fn, NULL, NULL);
    em_export_writer *w = em_export_writer_new(path, "meta", false);
    const char *kw[1] = {"y"};
    CHECK(em_export_writer_add(w, f, in, 1, kw, 1) == EM_OK);
    CHECK(em_export_writer_close(w) == EM_OK);
    CHECK(em_export_writer_add(w, f, in, 1, kw, 1) == EM_ERR_RUNTIME);
    em_error_clear();
    em_export_writer_free(w);
    em_imported *g = em_import_function(path);
    CHECK(g && strcmp(em_imported_metadata(g), "meta") == 0 && em_imported_num_traces(g) == 1);
    em_array_list *out = em_array_list_new();
    CHECK(em_imported_call(g, in, 1, kw, 1, out) == EM_OK && em_array_list_size(out) == 1);
    CHECK(em_array_copy_to(em_array_list_get(out, 0), EM_FLOAT64, got, sizeof got) == EM_OK);
    double sum = 0;
    for (int i = 0; i < 6; i++) sum += x[i];
    for (int i = 0; i < 6; i++) want[i] = exp(x[i]) * y[i] + sum;
    for (int i = 0; i < 6; i++) CHECK_CLOSE(got[i], want[i], 1e-12);
    CHECK(em_imported_call(g, in, 2, NULL, 0, out) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "No imported function found") != NULL);
    em_error_clear();
    em_imported_free(g);
    /* the image: every truncation and random byte changes are errors */
    FILE *fp = fopen(path, "rb");
    unsigned char buf[1 << 14];
    size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
    if (fp) fclose(fp);
    CHECK(n > 24 && n < sizeof buf);
    for (size_t cut = 0; cut < n; cut++) {
        em_imported *h = em_import_function_bytes(buf, cut);
        CHECK(h == NULL && em_error_code() == EM_ERR_VALUE);
        em_error_clear();
    }
    for (int t = 0; t < 2000; t++) {
        unsigned char b2[1 << 14];
        memcpy(b2, buf, n);
        size_t at = (size_t)((urand() + 1) / 2 * (double)n) % n;
        unsigned char old = b2[at];
        b2[at] = (unsigned char)(b2[at] + 1 + (unsigned)((urand() + 1) * 100));
        if (b2[at] == old) continue;
        em_imported *h = em_import_function_bytes(b2, n);
        CHECK(h == NULL && em_error_code() == EM_ERR_VALUE);
        em_error_clear();
    }
    CHECK(em_import_function("no-such-file.emfn") == NULL && em_error_code() == EM_ERR_IO);
    em_error_clear();
    remove(path);
    em_array_list_free(out);
    em_closure_release(f);
    em_array_release(in[0]);
    em_array_release(in[1]);
}

int main(void) {
    check_norms();
    check_sdpa();
    check_export();
    CHECK_NO_ERROR();
    CHECK_DONE();
}
