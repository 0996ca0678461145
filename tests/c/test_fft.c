/* test_fft.c -- the FFT ops: every transform against a double-precision DFT
 * computed here (lengths 1..4099: powers of two, smooth sizes, primes taking
 * Bluestein's path), long lengths (four-step) against signals with a known
 * spectrum, batches that fill SIMD lane groups fully and partly, strided
 * lines, norms, n-d transforms, shifts, every SIMD level of the kernel, the
 * plan cache from several threads, and every error with its code and message.
 * Tolerances come from float32's epsilon and the length. */
#include <complex.h>
#include <float.h>
#include <pthread.h>

#include "backend/cpu/simd.h"
#include "check.h"

typedef double _Complex zd;

#define PI 3.14159265358979323846

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2 - 1;
}

/* The DFT of x (n), sign -1 forward / +1 inverse, unnormalised, in double
 * (the angles reduced exactly: k*j mod n). */
static void dft(const zd *x, zd *y, int64_t n, int sign) {
    double *c = malloc(sizeof(double) * 2 * (size_t)n);
    for (int64_t m = 0; m < n; m++) {
        double a = sign * 2 * PI * (double)m / (double)n;
        c[2 * m] = cos(a);
        c[2 * m + 1] = sin(a);
    }
    for (int64_t k = 0; k < n; k++) {
        double sr = 0, si = 0;
        for (int64_t j = 0, m = 0; j < n; j++, m += k, m -= m >= n ? n : 0) {
            double xr = creal(x[j]), xi = cimag(x[j]);
            sr += xr * c[2 * m] - xi * c[2 * m + 1];
            si += xr * c[2 * m + 1] + xi * c[2 * m];
        }
        y[k] = sr + I * si;
    }
    free(c);
}

/* RMS and max error of got (complex64 or float32 array) against want,
 * relative to want's RMS, within 8 eps log2(n) (RMS) and 8 times that
 * (max). */
static int close_to(em_array *got, const zd *want, int64_t count, int64_t n) {
    if (!got || em_array_size(got) != count) return 0;
    float *g = malloc(sizeof(float) * 2 * (size_t)(count ? count : 1));
    bool cplx = em_array_dtype(got) == EM_COMPLEX64;
    em_status s = em_array_copy_to(got, em_array_dtype(got), g, sizeof(float) * (cplx ? 2 : 1) * (size_t)count);
    if (s != EM_OK) {
        free(g);
        return 0;
    }
    double ss = 0, es = 0, emax = 0;
    for (int64_t i = 0; i < count; i++) {
        zd v = cplx ? g[2 * i] + I * g[2 * i + 1] : g[i];
        double e = cabs(v - want[i]);
        ss += cabs(want[i]) * cabs(want[i]);
        es += e * e;
        if (e > emax) emax = e;
    }
    free(g);
    double rms = count ? sqrt(ss / (double)count) : 0, erms = count ? sqrt(es / (double)count) : 0;
    double bound = 8 * FLT_EPSILON * (1 + log2(n > 2 ? (double)n : 2)) * (rms > 0 ? rms : 1);
    if (erms <= bound && emax <= 8 * bound) return 1;
    fprintf(stderr, "  n=%lld: rms error %.3g, max %.3g, bound %.3g\n", (long long)n, erms, emax, bound);
    return 0;
}

/* A complex64 array of shape (rows, n) from x (double, rounded to float). */
static em_array *cplx_array(const zd *x, int64_t rows, int64_t n) {
    size_t cnt = (size_t)(rows * n);
    float *f = malloc(sizeof(float) * 2 * (cnt ? cnt : 1));
    for (size_t i = 0; i < cnt; i++) {
        f[2 * i] = (float)creal(x[i]);
        f[2 * i + 1] = (float)cimag(x[i]);
    }
    int64_t shape[2] = {rows, n};
    em_array *a = em_array_from_data(f, shape, 2, EM_COMPLEX64);
    free(f);
    return a;
}

static em_array *real_array(const zd *x, int64_t rows, int64_t n) {
    size_t cnt = (size_t)(rows * n);
    float *f = malloc(sizeof(float) * (cnt ? cnt : 1));
    for (size_t i = 0; i < cnt; i++) f[i] = (float)creal(x[i]);
    int64_t shape[2] = {rows, n};
    em_array *a = em_array_from_data(f, shape, 2, EM_FLOAT32);
    free(f);
    return a;
}

/* x rounded to float32 (what the arrays hold), for the references. */
static void round_inputs(zd *x, size_t cnt, bool real) {
    for (size_t i = 0; i < cnt; i++)
        x[i] = (double)(float)creal(x[i]) + (real ? 0 : I * (double)(float)cimag(x[i]));
}

/* ---------------------------------------------------------------- 1-d vs DFT */

static void check_length(int64_t n, int64_t rows) {
    size_t cnt = (size_t)(n * rows);
    zd *x = malloc(sizeof(zd) * cnt), *y = malloc(sizeof(zd) * cnt), *r = malloc(sizeof(zd) * cnt);
    for (size_t i = 0; i < cnt; i++) x[i] = uniform() + I * uniform();
    round_inputs(x, cnt, false);
    em_scope_begin();
    em_array *a = cplx_array(x, rows, n);
    /* forward and inverse (backward norm) */
    for (int inv = 0; inv < 2; inv++) {
        for (int64_t t = 0; t < rows; t++) dft(x + t * n, y + t * n, n, inv ? 1 : -1);
        if (inv)
            for (size_t i = 0; i < cnt; i++) y[i] /= (double)n;
        em_array *f = inv ? em_fft_ifft(a, NULL, -1, EM_FFT_NORM_BACKWARD) : em_fft_fft(a, NULL, -1, EM_FFT_NORM_BACKWARD);
        CHECK_MSG(close_to(f, y, (int64_t)cnt, n), "%s n=%lld rows=%lld", inv ? "ifft" : "fft", (long long)n,
                  (long long)rows);
    }
    /* real: rfft, then irfft of the exact spectrum */
    for (size_t i = 0; i < cnt; i++) x[i] = creal(x[i]);
    em_array *ar = real_array(x, rows, n);
    int64_t h = n / 2 + 1;
    zd *half = malloc(sizeof(zd) * (size_t)(h * rows));
    for (int64_t t = 0; t < rows; t++) {
        dft(x + t * n, y + t * n, n, -1);
        for (int64_t k = 0; k < h; k++) half[t * h + k] = y[t * n + k];
    }
    em_array *rf = em_fft_rfft(ar, NULL, -1, EM_FFT_NORM_BACKWARD);
    CHECK_MSG(close_to(rf, half, h * rows, n), "rfft n=%lld rows=%lld", (long long)n, (long long)rows);
    round_inputs(half, (size_t)(h * rows), false);
    em_array *spec = cplx_array(half, rows, h);
    em_array *back = em_fft_irfft(spec, &n, -1, EM_FFT_NORM_BACKWARD);
    /* the reference: the inverse DFT of the Hermitian completion */
    for (int64_t t = 0; t < rows; t++) {
        for (int64_t k = 0; k < n; k++) {
            int64_t kk = k < h ? k : n - k;
            zd v = half[t * h + kk];
            if (k >= h) v = conj(v);
            if (k == 0 || (n % 2 == 0 && k == n / 2)) v = creal(v);
            y[t * n + k] = v;
        }
        dft(y + t * n, r + t * n, n, 1);
    }
    for (size_t i = 0; i < cnt; i++) r[i] = creal(r[i]) / (double)n;
    CHECK_MSG(close_to(back, r, (int64_t)cnt, n), "irfft n=%lld rows=%lld", (long long)n, (long long)rows);
    CHECK(em_array_dtype(back) == EM_FLOAT32 && em_array_dtype(rf) == EM_COMPLEX64);
    em_scope_end();
    free(half);
    free(x);
    free(y);
    free(r);
}

/* ---------------------------------------------------------------- long lines */

/* x_j = sum of amp_t e^(2 pi i f_t j / n): the forward transform is
 * n * amp_t at bin f_t and zero elsewhere. */
static void check_long(int64_t n) {
    const int64_t f[3] = {1, n / 3, n - 5};
    const zd amp[3] = {1.0, 0.5 - 0.25 * I, -0.75 * I};
    zd *x = malloc(sizeof(zd) * (size_t)n), *y = calloc((size_t)n, sizeof(zd));
    for (int64_t j = 0; j < n; j++) {
        x[j] = 0;
        for (int t = 0; t < 3; t++) {
            double a = 2 * PI * (double)((f[t] * j) % n) / (double)n;
            x[j] += amp[t] * (cos(a) + I * sin(a));
        }
    }
    round_inputs(x, (size_t)n, false);
    for (int t = 0; t < 3; t++) y[f[t]] += (double)n * amp[t];
    em_scope_begin();
    em_array *a = cplx_array(x, 1, n);
    em_array *fx = em_fft_fft(a, NULL, -1, EM_FFT_NORM_BACKWARD);
    CHECK_MSG(close_to(fx, y, n, n), "fft of tones, n=%lld", (long long)n);
    /* and back, orthonormal both ways */
    em_array *o = em_fft_fft(a, NULL, -1, EM_FFT_NORM_ORTHO), *b = em_fft_ifft(o, NULL, -1, EM_FFT_NORM_ORTHO);
    CHECK_MSG(close_to(b, x, n, n), "ortho round trip, n=%lld", (long long)n);
    em_scope_end();
    free(x);
    free(y);
}

/* ---------------------------------------------------------------- strided lines, norms */

static void check_axis0(void) {
    /* (n, cols) transformed along axis 0: lines are strided, lanes adjacent */
    const int64_t n = 12, cols = 10;
    zd *x = malloc(sizeof(zd) * n * cols), *col = malloc(sizeof(zd) * n), *want = malloc(sizeof(zd) * n * cols);
    for (int64_t i = 0; i < n * cols; i++) x[i] = uniform() + I * uniform();
    round_inputs(x, (size_t)(n * cols), false);
    for (int64_t c = 0; c < cols; c++) {
        zd in[12], out[12];
        for (int64_t r = 0; r < n; r++) in[r] = x[r * cols + c];
        dft(in, out, n, -1);
        for (int64_t r = 0; r < n; r++) want[r * cols + c] = out[r] / sqrt((double)n);
    }
    em_scope_begin();
    em_array *a = cplx_array(x, n, cols);
    CHECK(close_to(em_fft_fft(a, NULL, 0, EM_FFT_NORM_ORTHO), want, n * cols, n));
    /* the same through a transposed view and axis -1 */
    em_array *t = em_transpose(a, NULL, 0), *f = em_fft_fft(t, NULL, -1, EM_FFT_NORM_ORTHO);
    em_array *back = em_transpose(f, NULL, 0);
    CHECK(close_to(back, want, n * cols, n));
    /* forward norm: 1/n */
    for (int64_t i = 0; i < n * cols; i++) want[i] /= sqrt((double)n);
    CHECK(close_to(em_fft_fft(a, NULL, 0, EM_FFT_NORM_FORWARD), want, n * cols, n));
    em_scope_end();
    free(x);
    free(col);
    free(want);
}

/* fft2 of (3, 4, 5) over axes (0, 2) with s = (4, 6): padding on both. */
static void check_nd(void) {
    const int64_t d0 = 3, d1 = 4, d2 = 5, s0 = 4, s2 = 6;
    zd *x = malloc(sizeof(zd) * d0 * d1 * d2);
    for (int64_t i = 0; i < d0 * d1 * d2; i++) x[i] = uniform() + I * uniform();
    round_inputs(x, (size_t)(d0 * d1 * d2), false);
    zd *want = calloc((size_t)(s0 * d1 * s2), sizeof(zd));
    for (int64_t k0 = 0; k0 < s0; k0++)
        for (int64_t j = 0; j < d1; j++)
            for (int64_t k2 = 0; k2 < s2; k2++) {
                zd s = 0;
                for (int64_t i0 = 0; i0 < d0; i0++)
                    for (int64_t i2 = 0; i2 < d2; i2++) {
                        double a = -2 * PI * ((double)(k0 * i0) / s0 + (double)(k2 * i2) / s2);
                        s += x[(i0 * d1 + j) * d2 + i2] * (cos(a) + I * sin(a));
                    }
                want[(k0 * d1 + j) * s2 + k2] = s;
            }
    em_scope_begin();
    float *f = malloc(sizeof(float) * 2 * d0 * d1 * d2);
    for (int64_t i = 0; i < d0 * d1 * d2; i++) {
        f[2 * i] = (float)creal(x[i]);
        f[2 * i + 1] = (float)cimag(x[i]);
    }
    int64_t shape[3] = {d0, d1, d2}, s[2] = {s0, s2};
    int axes[2] = {0, 2};
    em_array *a = em_array_from_data(f, shape, 3, EM_COMPLEX64);
    em_array *r = em_fft_fft2(a, s, 2, axes, 2, EM_FFT_NORM_BACKWARD);
    CHECK(close_to(r, want, s0 * d1 * s2, s0 * s2));
    em_array *rn = em_fft_fftn(a, s, 2, axes, 2, EM_FFT_NORM_BACKWARD);
    CHECK(close_to(rn, want, s0 * d1 * s2, s0 * s2));
    em_scope_end();
    free(f);
    free(x);
    free(want);
}

static void check_shift_freq(void) {
    em_scope_begin();
    em_array *a = em_arange(0, 5, 1, EM_INT32);
    double w1[5] = {3, 4, 0, 1, 2}, w2[5] = {2, 3, 4, 0, 1};
    CHECK(check_equals(em_fft_fftshift(a, NULL, -1), w1, 5));
    CHECK(check_equals(em_fft_ifftshift(a, NULL, -1), w2, 5));
    double f[5] = {0, 0.2, 0.4, -0.4, -0.2}, rf[3] = {0, 0.2, 0.4};
    double *v = check_values(em_fft_fftfreq(5, 1.0));
    for (int i = 0; v && i < 5; i++) CHECK_CLOSE(v[i], f[i], 1e-6);
    free(v);
    v = check_values(em_fft_rfftfreq(5, 1.0));
    for (int i = 0; v && i < 3; i++) CHECK_CLOSE(v[i], rf[i], 1e-6);
    free(v);
    em_scope_end();
}

/* ---------------------------------------------------------------- errors */

static void check_errors(void) {
    em_scope_begin();
    em_array *a = em_zeros((int64_t[]){4}, 1, EM_COMPLEX64), *b = em_zeros((int64_t[]){3, 4, 5}, 3, EM_FLOAT32);
    int64_t zero = 0, neg = -2;
    CHECK_ERROR(em_fft_fft(a, &zero, -1, EM_FFT_NORM_BACKWARD), EM_ERR_VALUE,
                "[fft] Invalid FFT output size requested (0).");
    CHECK_ERROR(em_fft_rfft(a, &neg, -1, EM_FFT_NORM_BACKWARD), EM_ERR_VALUE,
                "[rfft] Invalid FFT output size requested (-2).");
    CHECK_ERROR(em_fft_irfft(em_zeros((int64_t[]){1}, 1, EM_COMPLEX64), NULL, -1, EM_FFT_NORM_BACKWARD),
                EM_ERR_VALUE, "Invalid FFT output size requested (0)");
    CHECK_ERROR(em_fft_fft(a, NULL, 1, EM_FFT_NORM_BACKWARD), EM_ERR_INDEX,
                "[fft] Invalid axis 1 for array with 1 dimensions.");
    CHECK_ERROR(em_fft_ifft(a, NULL, -1, (em_fft_norm)7), EM_ERR_VALUE,
                "[ifft] Invalid norm. Expected one of {'backward', 'ortho', 'forward'}.");
    CHECK_ERROR(em_fft_fft(NULL, NULL, -1, EM_FFT_NORM_BACKWARD), EM_ERR_NULL, "fft");
    int64_t s2[2] = {2, 6};
    int ax1[1] = {0}, dup[2] = {1, 1}, bad[2] = {0, 3};
    CHECK_ERROR(em_fft_fftn(b, s2, 2, NULL, -1, EM_FFT_NORM_BACKWARD), EM_ERR_VALUE,
                "[fftn] `axes` should not be `None` if `s` is not `None`.");
    CHECK_ERROR(em_fft_rfftn(b, s2, 2, ax1, 1, EM_FFT_NORM_BACKWARD), EM_ERR_VALUE,
                "[rfftn] Shape and axes have different sizes.");
    CHECK_ERROR(em_fft_fftn(b, NULL, -1, dup, 2, EM_FFT_NORM_BACKWARD), EM_ERR_VALUE,
                "[fftn] Duplicated axis 1 received.");
    CHECK_ERROR(em_fft_irfft2(b, NULL, -1, bad, 2, EM_FFT_NORM_BACKWARD), EM_ERR_INDEX,
                "[irfft2] Invalid axis 3 for array with 3 dimensions.");
    CHECK_ERROR(em_fft_fftshift(a, (int[]){2}, 1), EM_ERR_INDEX,
                "[fftshift] Invalid axis 2 for array with 1 dimensions.");
    CHECK_ERROR(em_fft_fftfreq(0, 1.0), EM_ERR_VALUE, "[fftfreq] `n` must be greater than 0.");
    /* dtypes: any input, complex64 out (irfft: float32) */
    em_array *i = em_arange(0, 8, 1, EM_INT32);
    CHECK(em_array_dtype(em_fft_fft(i, NULL, -1, EM_FFT_NORM_BACKWARD)) == EM_COMPLEX64);
    CHECK(em_array_dtype(em_fft_irfft(i, NULL, -1, EM_FFT_NORM_BACKWARD)) == EM_FLOAT32);
    CHECK(em_array_shape(em_fft_irfft(i, NULL, -1, EM_FFT_NORM_BACKWARD))[0] == 14);
    /* empty batches are fine */
    em_array *e = em_zeros((int64_t[]){0, 6}, 2, EM_FLOAT32), *re = em_fft_rfft(e, NULL, -1, EM_FFT_NORM_BACKWARD);
    CHECK(re && em_eval1(re) == EM_OK && em_array_dim(re, 1) == 4);
    CHECK_NO_ERROR();
    em_scope_end();
}

/* ---------------------------------------------------------------- threads, cache */

static void *worker(void *arg) {
    int64_t base = (int64_t)(intptr_t)arg, *bad = calloc(1, sizeof *bad);
    for (int it = 0; it < 40; it++) {
        int64_t n = base + it % 37; /* more lengths than the cache holds */
        em_scope_begin();
        em_array *x = em_ones((int64_t[]){3, n}, 2, EM_COMPLEX64);
        em_array *y = em_fft_fft(x, NULL, -1, EM_FFT_NORM_BACKWARD);
        float *v = malloc(sizeof(float) * 6 * (size_t)n);
        if (!y || em_array_copy_to(y, EM_COMPLEX64, v, sizeof(float) * 6 * (size_t)n) != EM_OK) (*bad)++;
        else
            for (int64_t k = 0; k < 3 * n; k++) {
                double want = k % n == 0 ? (double)n : 0;
                if (fabs(v[2 * k] - want) > 1e-4 * n || fabs(v[2 * k + 1]) > 1e-4 * n) (*bad)++;
            }
        free(v);
        em_scope_end();
    }
    return bad;
}

static void check_threads(void) {
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)(20 + 7 * i));
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        CHECK_MSG(*(int64_t *)r == 0, "thread %d: %lld wrong values", i, (long long)*(int64_t *)r);
        free(r);
    }
}

/* ---------------------------------------------------------------- rules */

static em_status call_rfft(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    int64_t len = 10;
    em_array *r = em_fft_rfft(in[0], &len, -1, EM_FFT_NORM_ORTHO);
    if (!r) return em_error_code();
    em_status s = em_array_list_push(out, r);
    em_array_release(r);
    return s;
}

/* rfft (n = 10 from 8 samples, ortho): the vjp is Re(F^H pad(c)) / sqrt(10)
 * cut to 8, the jvp the transform of the tangent. */
static void check_rules(void) {
    em_scope_begin();
    zd x[8], c[6];
    for (int i = 0; i < 8; i++) x[i] = round(uniform() * 8) / 8;
    for (int i = 0; i < 6; i++) c[i] = round(uniform() * 8) / 8 + I * round(uniform() * 8) / 8;
    em_array *a = real_array(x, 1, 8), *ca = cplx_array(c, 1, 6);
    em_closure *f = em_closure_new(call_rfft, NULL, NULL);
    em_array_list *out = em_array_list_new(), *res = em_array_list_new();
    CHECK(em_vjp(f, &a, 1, &ca, 1, out, res) == EM_OK);
    zd want[8];
    for (int j = 0; j < 8; j++) {
        zd s = 0;
        for (int k = 0; k < 6; k++) s += c[k] * (cos(2 * PI * j * k / 10) + I * sin(2 * PI * j * k / 10));
        want[j] = creal(s) / sqrt(10.0);
    }
    CHECK(close_to(em_array_list_get(res, 0), want, 8, 10));
    em_array_list_clear(res);
    CHECK(em_jvp(f, &a, 1, &a, 1, out, res) == EM_OK);
    CHECK(em_array_dtype(em_array_list_get(res, 0)) == EM_COMPLEX64);
    em_closure_release(f);
    em_array_list_free(out);
    em_array_list_free(res);
    em_scope_end();
}

int main(void) {
    int64_t live = em_live_arrays();
    const char *levels[] = {"none", "avx2", "avx512"};
    const int64_t lengths[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 30, 97, 100, 1000, 1024, 4099};
    for (int l = 0; l < 3; l++) {
        if (!cpu_simd_force(levels[l])) continue;
        for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
            check_length(lengths[i], 1);
            if (lengths[i] <= 1024) check_length(lengths[i], lengths[i] < 100 ? 11 : 3);
        }
        check_long(16384);
        check_long(1 << 17);
        check_long(100003); /* prime: Bluestein over a four-step length */
        check_long(3 * 5 * 7 * 11 * 13 * 17);
        check_axis0();
        check_nd();
    }
    cpu_simd_force(NULL);
    check_shift_freq();
    check_rules();
    check_errors();
    check_threads();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_DONE();
}
