/* fft.c -- builders of mlx.core.fft: the 1-d, 2-d and n-d complex and real
 * transforms (chains of FFT nodes, one per axis), fftshift/ifftshift (slices
 * and a concatenation per axis) and fftfreq/rfftfreq (constants).
 *
 * FFT contract (what the CPU kernel may assume): one input of any strides,
 *   C2C: complex64 input with n elements along axis -> complex64, n;
 *   R2C: float32 input with n elements along axis -> complex64, n/2 + 1;
 *   C2R: complex64 input with n/2 + 1 elements along axis -> float32, n;
 * the other axes equal; the output is row-major. `inverse` picks the +i
 * exponent (the inverse transform, unnormalised); every output element is
 * multiplied by `scale` (the builder folds the norm into it). The builder cuts
 * or zero-pads the input to those lengths first (slice, pad), so that their
 * own rules give the gradients of resizing.
 *
 * Gradients: each node is linear in its input: the vjp of a C2C node is the
 * node of the other direction with the same scale, that of R2C and C2R the
 * matching C2R/R2C with the Hermitian weights; rules come with the autodiff
 * engine's slots.
 *
 * Messages follow MLX's text, under the public function's name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../transforms/vmap.h"
#include "rules.h"

static bool check_norm(const char *op, em_fft_norm norm) {
    if (norm == EM_FFT_NORM_BACKWARD || norm == EM_FFT_NORM_ORTHO || norm == EM_FFT_NORM_FORWARD)
        return true;
    error_set(EM_ERR_VALUE, "[%s] Invalid norm. Expected one of {'backward', 'ortho', 'forward'}.", op);
    return false;
}

/* The factor of a transform of length n in the given direction. */
static double norm_scale(em_fft_norm norm, int64_t n, bool inverse) {
    if (norm == EM_FFT_NORM_ORTHO) return 1.0 / sqrt((double)n);
    if ((norm == EM_FFT_NORM_FORWARD) != inverse) return 1.0 / (double)n;
    return 1.0;
}

/* a cut or zero-padded to len elements along axis (a new reference). */
static em_array *resize_axis(const em_array *a, int axis, int64_t len) {
    int64_t have = a->shape[axis];
    if (have == len) return em_array_retain((em_array *)a);
    if (have > len) {
        int64_t start[EM_MAX_NDIM] = {0}, stop[EM_MAX_NDIM];
        memcpy(stop, a->shape, (size_t)a->ndim * sizeof *stop);
        stop[axis] = len;
        return em_slice(a, start, stop, NULL, a->ndim);
    }
    int64_t pw[2 * EM_MAX_NDIM] = {0};
    pw[2 * axis + 1] = len - have;
    return em_pad(a, pw, a->ndim, EM_PAD_CONSTANT, NULL);
}

/* One FFT node of kind along axis with transform length n, from any input:
 * cast, resize, node. */
static em_array *fft_axis(const em_array *a, int axis, em_fft_kind kind, bool inverse, int64_t n,
                          double scale) {
    em_dtype in_dt = kind == EM_FFT_R2C ? EM_FLOAT32 : EM_COMPLEX64;
    int64_t in_len = kind == EM_FFT_C2R ? n / 2 + 1 : n;
    int64_t shape[EM_MAX_NDIM];
    memcpy(shape, a->shape, (size_t)a->ndim * sizeof *shape);
    shape[axis] = kind == EM_FFT_R2C ? n / 2 + 1 : n;
    em_array *c = ops_cast(a, in_dt), *x = c ? resize_axis(c, axis, in_len) : NULL, *r = NULL;
    if (x) {
        em_fft_params p;
        memset(&p, 0, sizeof p);
        p.axis = axis;
        p.kind = kind;
        p.inverse = inverse;
        p.n = n;
        p.scale = scale;
        r = node_make(EM_PRIM_FFT, &p, sizeof p, &x, 1, kind == EM_FFT_C2R ? EM_FLOAT32 : EM_COMPLEX64,
                      shape, a->ndim);
    }
    em_array_release(c);
    em_array_release(x);
    return r;
}

static bool check_size(const char *op, int64_t n) {
    if (n > 0) return true;
    error_set(EM_ERR_VALUE, "[%s] Invalid FFT output size requested (%lld).", op, (long long)n);
    return false;
}

/* ---------------------------------------------------------------- 1-d */

static em_array *fft1(const char *op, const em_array *a, const int64_t *n, int axis, em_fft_norm norm,
                      em_fft_kind kind, bool inverse) {
    EM_CHECK_ARG(op, a);
    if (!check_norm(op, norm)) return NULL;
    int ax = shape_axis(op, axis, a->ndim);
    if (ax < 0) return NULL;
    int64_t len = n ? *n : kind == EM_FFT_C2R ? 2 * (a->shape[ax] - 1) : a->shape[ax];
    if (!check_size(op, len)) return NULL;
    return fft_axis(a, ax, kind, inverse, len, norm_scale(norm, len, inverse));
}

#define DEFINE_FFT1(name, kind, inverse)                                       \
    EM_PUBLIC_OP(em_fft_##name, (const em_array *a, const int64_t *n, int axis, em_fft_norm norm), \
                 (a, n, axis, norm)) {                                         \
        return fft1(#name, a, n, axis, norm, kind, inverse);                   \
    }
DEFINE_FFT1(fft, EM_FFT_C2C, false)
DEFINE_FFT1(ifft, EM_FFT_C2C, true)
DEFINE_FFT1(rfft, EM_FFT_R2C, false)
DEFINE_FFT1(irfft, EM_FFT_C2R, true)

/* ---------------------------------------------------------------- n-d */

/* two: the *fft2 functions, whose default axes are (-2, -1). */
static em_array *fftn(const char *op, const em_array *a, const int64_t *s, int ns, const int *axes,
                      int naxes, em_fft_norm norm, em_fft_kind kind, bool inverse, bool two) {
    EM_CHECK_ARG(op, a);
    if (!check_norm(op, norm)) return NULL;
    int ax[EM_MAX_NDIM], nax;
    if (ns < 0) s = NULL;
    if (!axes || naxes < 0) {
        if (two) {
            ax[0] = -2;
            ax[1] = -1;
            nax = 2;
        } else {
            if (s) return error_set(EM_ERR_VALUE, "[%s] `axes` should not be `None` if `s` is not `None`.", op);
            nax = a->ndim;
            for (int i = 0; i < nax; i++) ax[i] = i;
        }
    } else {
        if (naxes > EM_MAX_NDIM) return error_set(EM_ERR_VALUE, "[%s] Too many axes (%d).", op, naxes);
        nax = naxes;
        memcpy(ax, axes, (size_t)nax * sizeof *ax);
    }
    if (s && ns != nax) return error_set(EM_ERR_VALUE, "[%s] Shape and axes have different sizes.", op);
    for (int i = 0; i < nax; i++)
        if ((ax[i] = shape_axis(op, ax[i], a->ndim)) < 0) return NULL;
    for (int i = 0; i < nax; i++)
        for (int k = 0; k < i; k++)
            if (ax[i] == ax[k])
                return error_set(EM_ERR_VALUE, "[%s] Duplicated axis %d received.", op, ax[i]);
    if (nax == 0) {
        if (kind != EM_FFT_C2C) return error_set(EM_ERR_VALUE, "[%s] At least one axis is needed.", op);
        return em_astype(a, EM_COMPLEX64);
    }
    int64_t len[EM_MAX_NDIM];
    for (int i = 0; i < nax; i++) {
        len[i] = s ? s[i] : a->shape[ax[i]];
        if (!s && kind == EM_FFT_C2R && i == nax - 1) len[i] = 2 * (a->shape[ax[i]] - 1);
        if (!check_size(op, len[i])) return NULL;
    }
    /* R2C goes first (on the last axis), C2R last (on the last axis). */
    em_array *x = em_array_retain((em_array *)a);
    int last = nax - 1;
    if (kind == EM_FFT_R2C) {
        em_array *y = fft_axis(x, ax[last], EM_FFT_R2C, inverse, len[last],
                               norm_scale(norm, len[last], inverse));
        em_array_release(x);
        x = y;
    }
    int stop = kind == EM_FFT_C2C ? nax : last;
    for (int i = stop - 1; i >= 0 && x; i--) {
        em_array *y = fft_axis(x, ax[i], EM_FFT_C2C, inverse, len[i], norm_scale(norm, len[i], inverse));
        em_array_release(x);
        x = y;
    }
    if (kind == EM_FFT_C2R && x) {
        em_array *y = fft_axis(x, ax[last], EM_FFT_C2R, inverse, len[last],
                               norm_scale(norm, len[last], inverse));
        em_array_release(x);
        x = y;
    }
    return x;
}

#define DEFINE_FFTN(name, kind, inverse, two)                                  \
    EM_PUBLIC_OP(em_fft_##name, (const em_array *a, const int64_t *s, int ns, const int *axes, \
                                 int naxes, em_fft_norm norm),                 \
                 (a, s, ns, axes, naxes, norm)) {                              \
        return fftn(#name, a, s, ns, axes, naxes, norm, kind, inverse, two);   \
    }
DEFINE_FFTN(fft2, EM_FFT_C2C, false, true)
DEFINE_FFTN(ifft2, EM_FFT_C2C, true, true)
DEFINE_FFTN(rfft2, EM_FFT_R2C, false, true)
DEFINE_FFTN(irfft2, EM_FFT_C2R, true, true)
DEFINE_FFTN(fftn, EM_FFT_C2C, false, false)
DEFINE_FFTN(ifftn, EM_FFT_C2C, true, false)
DEFINE_FFTN(rfftn, EM_FFT_R2C, false, false)
DEFINE_FFTN(irfftn, EM_FFT_C2R, true, false)

/* ---------------------------------------------------------------- shifts */

static em_array *shift(const char *op, const em_array *a, const int *axes, int naxes, bool inverse) {
    EM_CHECK_ARG(op, a);
    int ax[EM_MAX_NDIM], nax = 0;
    if (!axes || naxes < 0) {
        for (int i = 0; i < a->ndim; i++) ax[nax++] = i;
    } else {
        if (naxes > EM_MAX_NDIM) return error_set(EM_ERR_VALUE, "[%s] Too many axes (%d).", op, naxes);
        for (int i = 0; i < naxes; i++)
            if ((ax[nax++] = shape_axis(op, axes[i], a->ndim)) < 0) return NULL;
    }
    em_array *x = em_array_retain((em_array *)a);
    for (int i = 0; i < nax && x; i++) {
        int64_t n = x->shape[ax[i]], k = inverse ? n / 2 : n - n / 2;
        if (k == 0 || k == n) continue;
        int64_t start[EM_MAX_NDIM] = {0}, stop[EM_MAX_NDIM];
        memcpy(stop, x->shape, (size_t)x->ndim * sizeof *stop);
        stop[ax[i]] = k;
        em_array *lo = em_slice(x, start, stop, NULL, x->ndim);
        start[ax[i]] = k;
        stop[ax[i]] = n;
        em_array *hi = em_slice(x, start, stop, NULL, x->ndim);
        em_array *parts[2] = {hi, lo}, *y = NULL;
        if (lo && hi) y = em_concatenate((const em_array *const *)parts, 2, ax[i]);
        em_array_release(lo);
        em_array_release(hi);
        em_array_release(x);
        x = y;
    }
    return x;
}

EM_PUBLIC_OP(em_fft_fftshift, (const em_array *a, const int *axes, int naxes), (a, axes, naxes)) {
    return shift("fftshift", a, axes, naxes, false);
}

EM_PUBLIC_OP(em_fft_ifftshift, (const em_array *a, const int *axes, int naxes), (a, axes, naxes)) {
    return shift("ifftshift", a, axes, naxes, true);
}

/* ---------------------------------------------------------------- frequencies */

static em_array *freq(const char *op, int64_t n, double d, bool real) {
    if (n <= 0) return error_set(EM_ERR_VALUE, "[%s] `n` must be greater than 0.", op);
    int64_t m = real ? n / 2 + 1 : n;
    float *v = malloc((size_t)m * sizeof *v);
    if (!v) return error_set(EM_ERR_MEMORY, "[%s] Out of memory.", op);
    double scale = 1.0 / ((double)n * d);
    for (int64_t i = 0; i < m; i++) {
        int64_t k = real || i < (n + 1) / 2 ? i : i - n;
        v[i] = (float)((double)k * scale);
    }
    em_array *r = em_array_from_data(v, &m, 1, EM_FLOAT32);
    free(v);
    return r;
}

EM_PUBLIC_OP(em_fft_fftfreq, (int64_t n, double d), (n, d)) { return freq("fftfreq", n, d, false); }
EM_PUBLIC_OP(em_fft_rfftfreq, (int64_t n, double d), (n, d)) { return freq("rfftfreq", n, d, true); }

/* ---------------------------------------------------------------- rules */

/* The node of params p (with axis replaced) over x, x already of the
 * contract's dtype and length. */
static em_array *fft_like(const em_fft_params *p, const em_array *x, int axis, int kind, bool inverse) {
    return fft_axis(x, axis, (em_fft_kind)kind, inverse, p->n, p->scale);
}

/* jvp: the transform is linear; the tangent goes through the same node. */
em_status ops_fft_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                      em_array *const *tan, em_array **out_tan) {
    (void)in, (void)out;
    const em_fft_params *p = NODE_PARAMS(n, em_fft_params);
    if (!tan[0]) return EM_OK;
    out_tan[0] = fft_like(p, tan[0], p->axis, p->kind, p->inverse);
    return rule_status(out_tan[0]);
}

/* vjp (MLX's convention: the cotangent times the conjugate Jacobian), for
 * y = s F x with F the DFT of the node's direction:
 *   C2C: s F^H c, the other direction with the same scale;
 *   R2C (x real, the first n/2 + 1 outputs): Re(s F^H pad_n(c));
 *   C2R (x the half spectrum of a Hermitian one, imaginary parts of X_0
 *        and X_n/2 unused): s * m * R2C_other(c), m = 2 except at 0 and
 *        n/2 (n even), where a coefficient is used once. */
em_status ops_fft_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                      em_array *const *cot, const bool *want, em_array **grads) {
    (void)in, (void)out;
    const em_fft_params *p = NODE_PARAMS(n, em_fft_params);
    if (!want[0] || !cot[0]) return EM_OK;
    rule_tmp t = {0};
    em_array *g = NULL;
    if (p->kind == EM_FFT_C2C) {
        g = tk(&t, fft_like(p, cot[0], p->axis, EM_FFT_C2C, !p->inverse));
    } else if (p->kind == EM_FFT_R2C) {
        g = tk(&t, em_real(tk(&t, fft_like(p, cot[0], p->axis, EM_FFT_C2C, !p->inverse))));
    } else {
        em_array *h = tk(&t, fft_like(p, cot[0], p->axis, EM_FFT_R2C, !p->inverse));
        if (!h) {
            rule_tmp_free(&t);
            return em_error_code();
        }
        int64_t m = p->n / 2 + 1, twos = p->n % 2 ? m - 1 : m - 2;
        float *w = malloc((size_t)m * sizeof *w);
        if (!w) {
            rule_tmp_free(&t);
            return error_status(EM_ERR_MEMORY, "[FFT::vjp] Out of memory.");
        }
        for (int64_t k = 0; k < m; k++) w[k] = k >= 1 && k <= twos ? 2.0f : 1.0f;
        int64_t shape[EM_MAX_NDIM];
        for (int d = 0; d < h->ndim; d++) shape[d] = d == p->axis ? m : 1;
        em_array *mask = tk(&t, em_array_from_data(w, &m, 1, EM_FLOAT32));
        free(w);
        mask = tk(&t, ops_reshape(mask, shape, h->ndim));
        g = tk(&t, em_multiply(h, mask));
    }
    grads[0] = em_array_retain(g);
    rule_tmp_free(&t);
    return rule_status(grads[0]);
}

/* vmap: the batch axis is one more axis of lines; the transform's axis moves
 * past it when it comes first. */
em_status ops_fft_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                       int *out_axes) {
    const em_fft_params *p = NODE_PARAMS(n, em_fft_params);
    int axis = p->axis + (axes[0] <= p->axis ? 1 : 0);
    out[0] = fft_like(p, in[0], axis, p->kind, p->inverse);
    out_axes[0] = axes[0];
    return rule_status(out[0]);
}
