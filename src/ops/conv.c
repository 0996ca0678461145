/* conv.c -- the convolution builders: conv_general (MLX's checks and
 * messages), the fixed-rank conv1d/2d/3d, the transposed convolutions and
 * NumPy's convolve, all made of one primitive, CONV.
 *
 * CONV contract (what the CPU kernel may assume), with the params of
 * em_conv_params:
 *   inputs (x, w) share one dtype, float32 or float64 (the builder computes
 *   float16/bfloat16 in float32 and casts back);
 *   x is (N, S_1..S_nd, Ci), w is (Co, K_1..K_nd, Ci / groups), groups
 *   divides Ci and Co, any strides;
 *   the output is (N, O_1..O_nd, Co) with, per spatial dim d,
 *     O = (Sd + lo + hi - Kd) / stride + 1   (integer division, Sd + lo + hi >= Kd)
 *     Sd = (S - 1) * idil + 1 (0 when S == 0),  Kd = (K - 1) * kdil + 1;
 *   out[n, o, co] = sum over taps t and channels c of the group of co of
 *     xd[n, o * stride + t * kdil - lo, c] * w[co, flip ? K-1-t : t, c]
 *   where xd is x dilated by idil (zeros between its elements, and outside).
 * Padding may be negative (the rules use it; MLX accepts it from users). */
#include <stdio.h>

#include "conv.h"

/* ---------------------------------------------------------------- the node */

em_array *conv_node(const em_array *x, const em_array *w, const em_conv_params *p) {
    if (!x || !w) return NULL;
    int nd = p->nd;
    int64_t shape[5];
    shape[0] = x->shape[0];
    for (int d = 0; d < nd; d++) {
        int64_t s = x->shape[1 + d], k = w->shape[1 + d];
        int64_t sd = s == 0 ? 0 : (s - 1) * p->idil[d] + 1;
        int64_t kd = (k - 1) * p->kdil[d] + 1;
        int64_t span = sd + p->lo[d] + p->hi[d] - kd;
        shape[1 + d] = span < 0 ? 0 : span / p->stride[d] + 1;
    }
    shape[nd + 1] = w->shape[0];
    em_array *in[2] = {(em_array *)x, (em_array *)w};
    return node_make(EM_PRIM_CONV, p, sizeof *p, in, 2, x->dtype, shape, nd + 2);
}

em_array *conv_wgrad_node(const em_array *x, const em_array *g, const em_conv_params *p,
                          const int64_t *kernel) {
    if (!x || !g) return NULL;
    em_conv_wgrad_params q;
    memset(&q, 0, sizeof q);
    q.conv = *p;
    int nd = p->nd;
    int64_t shape[5];
    shape[0] = g->shape[nd + 1];
    for (int d = 0; d < nd; d++) shape[1 + d] = q.kernel[d] = kernel[d];
    shape[nd + 1] = x->shape[nd + 1] / p->groups;
    em_array *in[2] = {(em_array *)x, (em_array *)g};
    return node_make(EM_PRIM_CONV_WEIGHT_GRAD, &q, sizeof q, in, 2, x->dtype, shape, nd + 2);
}

em_array *conv_igrad_node(const em_array *g, const em_array *w, const em_conv_params *p,
                          const int64_t *input) {
    if (!g || !w) return NULL;
    em_conv_igrad_params q;
    memset(&q, 0, sizeof q);
    q.conv = *p;
    int nd = p->nd;
    int64_t shape[5];
    shape[0] = g->shape[0];
    for (int d = 0; d < nd; d++) shape[1 + d] = q.input[d] = input[d];
    shape[nd + 1] = w->shape[nd + 1] * p->groups;
    em_array *in[2] = {(em_array *)g, (em_array *)w};
    return node_make(EM_PRIM_CONV_INPUT_GRAD, &q, sizeof q, in, 2, g->dtype, shape, nd + 2);
}

/* ---------------------------------------------------------------- checks */

static const char *ints_str(const int *v, int n, char *buf, size_t cap) {
    int64_t s[EM_MAX_NDIM];
    for (int i = 0; i < n; i++) s[i] = v[i];
    return shape_str(s, n, buf, cap);
}

/* Expands a per-dim list (0: default, 1: every dim, nd: as given) into out.
 * False with MLX's "Invalid <what> (...) for ND convolution." */
static bool per_dim(const int *v, int n, int nd, int dflt, const char *what, int *out) {
    if (n < 0 || (n > 0 && !v) || (n > 1 && n != nd)) {
        char b[128] = "()";
        if (v && n > 0 && n <= EM_MAX_NDIM) ints_str(v, n, b, sizeof b);
        error_set(EM_ERR_VALUE, "[conv] Invalid %s %s for %dD convolution.", what, b, nd);
        return false;
    }
    for (int d = 0; d < nd; d++) out[d] = n == 0 ? dflt : v[n == 1 ? 0 : d];
    return true;
}

static bool positive(const int *v, int nd, const char *what, const char *plural) {
    for (int d = 0; d < nd; d++)
        if (v[d] <= 0) {
            char b[128];
            error_set(EM_ERR_VALUE, "[conv] %s sizes must be positive. Got %s %s.", what, plural,
                      ints_str(v, nd, b, sizeof b));
            return false;
        }
    return true;
}

/* The dtype a convolution of a and b computes in, or EM_NUM_DTYPES with the
 * error set. */
static em_dtype conv_dtype(const em_array *a, const em_array *b) {
    em_dtype dt = em_result_type(a->dtype, b->dtype);
    if (!dtype_is_float(a->dtype) || !dtype_is_float(dt)) {
        /* MLX names the input's dtype; a weight of another kind promotes */
        if (!dtype_is_float(a->dtype)) dt = a->dtype;
        error_set(EM_ERR_VALUE,
                  "[conv] Invalid input array with type %s. Convolution currently only supports "
                  "floating point types",
                  em_dtype_name(dt));
        return EM_NUM_DTYPES;
    }
    return dt;
}

/* MLX's checks of conv_general, in MLX's order. On success fills *p (all
 * fields) and *dt (the promoted dtype) and returns true; else sets the error. */
static bool conv_prepare(const em_array *x, const em_array *w, const int *stride, int nstride,
                         const int *padding_lo, int nlo, const int *padding_hi, int nhi,
                         const int *kernel_dilation, int nkdil, const int *input_dilation,
                         int nidil, int groups, bool flip, em_conv_params *out, em_dtype *dtp) {
    int nd = x->ndim - 2;
    if (nd < 1 || nd > 3)
        return !!error_set(EM_ERR_VALUE, "[conv] Only works for inputs with 1-3 spatial dimensions. "
                                       "The inputs must be in the format [N, ..., C_in]");
    em_dtype dt = conv_dtype(x, w);
    if (dt == EM_NUM_DTYPES) return false;
    if (w->ndim != nd + 2)
        return !!error_set(EM_ERR_VALUE,
                         "[conv] Invalid weight array with %d dimensions for %dD convolution. "
                         "Expected an array with %d dimensions following the format "
                         "[C_out, ..., C_in].",
                         w->ndim, nd, nd + 2);
    char sx[256], sw[256];
    int64_t ci = x->shape[nd + 1], co = w->shape[0], wci = w->shape[nd + 1];
    if (groups < 1)
        return !!error_set(EM_ERR_VALUE, "[conv] The number of groups must be positive. Got %d.",
                         groups);
    if (ci % groups)
        return !!error_set(EM_ERR_VALUE,
                         "[conv] The input channels must be divisible by the number of groups. "
                         "Got input with shape %s and %d groups.",
                         shape_str(x->shape, x->ndim, sx, sizeof sx), groups);
    if (wci * groups != ci)
        return !!error_set(EM_ERR_VALUE,
                         "[conv] Expect the input channels in the input and weight array to match "
                         "but got shapes - input: %s and weight: %s",
                         shape_str(x->shape, x->ndim, sx, sizeof sx),
                         shape_str(w->shape, w->ndim, sw, sizeof sw));
    if (groups > 1 && co % groups)
        return !!error_set(EM_ERR_VALUE,
                         "[conv] If groups > 1, the output channels must be divisible by the "
                         "number of groups. Got %lld output channels and %d groups.",
                         (long long)co, groups);
    em_conv_params p;
    memset(&p, 0, sizeof p);
    p.nd = nd;
    p.groups = groups;
    p.flip = flip;
    if (!per_dim(stride, nstride, nd, 1, "strides", p.stride)) return false;
    bool lo_ok = nlo >= 0 && (nlo == 0 || padding_lo) && (nlo <= 1 || nlo == nd);
    bool hi_ok = nhi >= 0 && (nhi == 0 || padding_hi) && (nhi <= 1 || nhi == nd);
    if (!lo_ok || !hi_ok) {
        char sl[128] = "()", sh[128] = "()";
        if (padding_lo && nlo > 0 && nlo <= EM_MAX_NDIM) ints_str(padding_lo, nlo, sl, sizeof sl);
        if (padding_hi && nhi > 0 && nhi <= EM_MAX_NDIM) ints_str(padding_hi, nhi, sh, sizeof sh);
        return !!error_set(EM_ERR_VALUE, "[conv] Invalid padding %s | %s for %dD convolution.", sl,
                         sh, nd);
    }
    per_dim(padding_lo, nlo, nd, 0, "padding", p.lo);
    per_dim(padding_hi, nhi, nd, 0, "padding", p.hi);
    if (!per_dim(kernel_dilation, nkdil, nd, 1, "kernel dilation", p.kdil)) return false;
    if (!per_dim(input_dilation, nidil, nd, 1, "input dilation", p.idil)) return false;
    if (!positive(p.stride, nd, "Stride", "strides")) return false;
    if (!positive(p.kdil, nd, "Kernel dilation", "kernel dilation")) return false;
    if (!positive(p.idil, nd, "Input dilation", "input dilation")) return false;
    for (int d = 0; d < nd; d++)
        if (x->shape[1 + d] > INT32_MAX || w->shape[1 + d] > INT32_MAX)
            return !!error_set(EM_ERR_VALUE, "[conv] Spatial dimensions larger than %d are not "
                                             "supported.", INT32_MAX);
    for (int d = 0; d < nd; d++) {
        int64_t s = x->shape[1 + d], k = w->shape[1 + d];
        int64_t sd = s == 0 ? 0 : (s - 1) * (int64_t)p.idil[d] + 1;
        int64_t kd = (k - 1) * (int64_t)p.kdil[d] + 1;
        if (sd + p.lo[d] + p.hi[d] < kd) {
            int64_t padded[5];
            padded[0] = x->shape[0];
            for (int e = 0; e < nd; e++) {
                int64_t se = x->shape[1 + e];
                se = (se == 0 ? 0 : (se - 1) * (int64_t)p.idil[e] + 1) + p.lo[e] + p.hi[e];
                padded[1 + e] = se < 0 ? 0 : se;
            }
            padded[nd + 1] = ci;
            char sl[128], sh[128];
            return !!error_set(EM_ERR_VALUE,
                             "[conv] Spatial dimensions of input after padding cannot be smaller "
                             "than weight spatial dimensions. Got error at axis %d for input with "
                             "shape %s, padding low %s, padding high %s, and weight of shape %s.",
                             d + 1, shape_str(padded, nd + 2, sx, sizeof sx),
                             ints_str(p.lo, nd, sl, sizeof sl), ints_str(p.hi, nd, sh, sizeof sh),
                             shape_str(w->shape, w->ndim, sw, sizeof sw));
        }
    }
    *out = p;
    *dtp = dt;
    return true;
}

/* The result of a primitive built on the float32/float64 casts of x and w,
 * cast back to dt (float16/bfloat16 compute in float32, as matmul does). */
static em_array *in_compute_dtype(const em_array *x, const em_array *w, em_dtype dt,
                                  em_array *(*build)(const em_array *, const em_array *,
                                                     const void *),
                                  const void *ctx) {
    em_dtype cdt = dt == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
    em_array *xc = ops_cast(x, cdt), *wc = ops_cast(w, cdt);
    em_array *r = xc && wc ? build(xc, wc, ctx) : NULL;
    em_array_release(xc);
    em_array_release(wc);
    if (r && dt != cdt) {
        em_array *c = ops_cast(r, dt);
        em_array_release(r);
        r = c;
    }
    return r;
}

static em_array *build_conv(const em_array *x, const em_array *w, const void *ctx) {
    return conv_node(x, w, ctx);
}

EM_PUBLIC_OP(em_conv_general,
             (const em_array *x, const em_array *w, const int *stride, int nstride,
              const int *padding_lo, int nlo, const int *padding_hi, int nhi,
              const int *kernel_dilation, int nkdil, const int *input_dilation, int nidil,
              int groups, bool flip),
             (x, w, stride, nstride, padding_lo, nlo, padding_hi, nhi, kernel_dilation, nkdil,
              input_dilation, nidil, groups, flip)) {
    EM_CHECK_ARG("conv_general", x);
    EM_CHECK_ARG("conv_general", w);
    em_conv_params p;
    em_dtype dt;
    if (!conv_prepare(x, w, stride, nstride, padding_lo, nlo, padding_hi, nhi, kernel_dilation,
                      nkdil, input_dilation, nidil, groups, flip, &p, &dt))
        return NULL;
    return in_compute_dtype(x, w, dt, build_conv, &p);
}

/* ---------------------------------------------------------------- fixed rank */

static em_array *conv_nd(const em_array *x, const em_array *w, int nd, const int *stride,
                         const int *padding, const int *dilation, int groups) {
    return em_conv_general(x, w, stride, stride ? nd : 0, padding, padding ? nd : 0, padding,
                           padding ? nd : 0, dilation, dilation ? nd : 0, NULL, 0, groups, false);
}

EM_PUBLIC_OP(em_conv1d,
             (const em_array *x, const em_array *w, int stride, int padding, int dilation,
              int groups),
             (x, w, stride, padding, dilation, groups)) {
    return conv_nd(x, w, 1, &stride, &padding, &dilation, groups);
}

EM_PUBLIC_OP(em_conv2d,
             (const em_array *x, const em_array *w, const int *stride, const int *padding,
              const int *dilation, int groups),
             (x, w, stride, padding, dilation, groups)) {
    return conv_nd(x, w, 2, stride, padding, dilation, groups);
}

EM_PUBLIC_OP(em_conv3d,
             (const em_array *x, const em_array *w, const int *stride, const int *padding,
              const int *dilation, int groups),
             (x, w, stride, padding, dilation, groups)) {
    return conv_nd(x, w, 3, stride, padding, dilation, groups);
}

/* ---------------------------------------------------------------- transposed */

/* A transposed convolution is the input gradient of a convolution: MLX
 * defines it as conv_general(x, w, padding (K-1)*dilation - padding before,
 * that plus output_padding after, kernel dilation `dilation`, input dilation
 * `stride`, flip), whose checks and messages we keep; it is computed as
 * CONV_INPUT_GRAD(x, w') with w' the per-group transpose of w, (C_in, K,
 * C_out/G), stride `stride`, kernel dilation `dilation` and padding
 * `padding` (padding - output_padding after, so that the convolution of the
 * result's shape gives x's): the same sums without the zeros of the
 * dilated input. */
typedef struct {
    em_conv_params p;
    int64_t out[3];
} transpose_ctx;

static em_array *build_transpose(const em_array *x, const em_array *w, const void *ctx) {
    const transpose_ctx *c = ctx;
    int nd = c->p.nd, G = c->p.groups;
    int64_t co = w->shape[0], cig = w->shape[nd + 1], s[6];
    /* w (G*cog, K, cig) -> (G, cig, K, cog) -> (G*cig, K, cog) */
    s[0] = G;
    s[1] = co / G;
    for (int d = 0; d < nd; d++) s[2 + d] = w->shape[1 + d];
    s[nd + 2] = cig;
    int perm[6];
    perm[0] = 0;
    perm[1] = nd + 2;
    for (int d = 0; d < nd; d++) perm[2 + d] = 2 + d;
    perm[nd + 2] = 1;
    em_array *w5 = ops_reshape(w, s, nd + 3);
    em_array *wt = w5 ? em_transpose(w5, perm, nd + 3) : NULL;
    s[0] = G * cig;
    for (int d = 0; d < nd; d++) s[1 + d] = w->shape[1 + d];
    s[nd + 1] = co / G;
    em_array *w3 = wt ? ops_reshape(wt, s, nd + 2) : NULL;
    em_array *r = w3 ? conv_igrad_node(x, w3, &c->p, c->out) : NULL;
    em_array_release(w5);
    em_array_release(wt);
    em_array_release(w3);
    return r;
}

static em_array *conv_transpose(const em_array *x, const em_array *w, int nd, const int *stride,
                                const int *padding, const int *dilation, const int *out_pad,
                                int groups) {
    EM_CHECK_ARG("conv_transpose", x);
    EM_CHECK_ARG("conv_transpose", w);
    int lo[3], hi[3], one[3] = {1, 1, 1};
    /* a rank mismatch is reported by conv_prepare; use 1 for missing dims */
    for (int d = 0; d < nd; d++) {
        int64_t k = w->ndim == nd + 2 ? w->shape[1 + d] : 1;
        if (k > INT32_MAX) k = INT32_MAX; /* conv_prepare reports it */
        int dil = dilation ? dilation[d] : 1, pad = padding ? padding[d] : 0;
        int64_t l = (int64_t)dil * (k - 1) - pad, h = l + (out_pad ? out_pad[d] : 0);
        if (l < INT32_MIN || l > INT32_MAX || h < INT32_MIN || h > INT32_MAX)
            return error_set(EM_ERR_VALUE, "[conv_transpose] Padding out of range.");
        lo[d] = (int)l;
        hi[d] = (int)h;
    }
    em_conv_params mp;
    em_dtype dt;
    if (!conv_prepare(x, w, one, nd, lo, nd, hi, nd, dilation, dilation ? nd : 0, stride,
                      stride ? nd : 0, groups, true, &mp, &dt))
        return NULL;
    transpose_ctx c;
    memset(&c, 0, sizeof c);
    c.p.nd = nd;
    c.p.groups = groups;
    for (int d = 0; d < nd; d++) {
        int64_t k = w->shape[1 + d], sz = x->shape[1 + d];
        int pad = padding ? padding[d] : 0, op = out_pad ? out_pad[d] : 0;
        c.p.stride[d] = mp.idil[d];
        c.p.kdil[d] = mp.kdil[d];
        c.p.idil[d] = 1;
        c.p.lo[d] = pad;
        int64_t hi64 = (int64_t)pad - op;
        if (hi64 < INT32_MIN || hi64 > INT32_MAX)
            return error_set(EM_ERR_VALUE, "[conv_transpose] Padding out of range.");
        c.p.hi[d] = (int32_t)hi64;
        /* the size of MLX's convolution: Sd + lo + hi - Kd + 1 */
        int64_t sd = sz == 0 ? 0 : (sz - 1) * (int64_t)mp.idil[d] + 1;
        c.out[d] = sd + mp.lo[d] + mp.hi[d] - ((k - 1) * (int64_t)mp.kdil[d] + 1) + 1;
    }
    return in_compute_dtype(x, w, dt, build_transpose, &c);
}

EM_PUBLIC_OP(em_conv_transpose1d,
             (const em_array *x, const em_array *w, int stride, int padding, int dilation,
              int output_padding, int groups),
             (x, w, stride, padding, dilation, output_padding, groups)) {
    return conv_transpose(x, w, 1, &stride, &padding, &dilation, &output_padding, groups);
}

EM_PUBLIC_OP(em_conv_transpose2d,
             (const em_array *x, const em_array *w, const int *stride, const int *padding,
              const int *dilation, const int *output_padding, int groups),
             (x, w, stride, padding, dilation, output_padding, groups)) {
    return conv_transpose(x, w, 2, stride, padding, dilation, output_padding, groups);
}

EM_PUBLIC_OP(em_conv_transpose3d,
             (const em_array *x, const em_array *w, const int *stride, const int *padding,
              const int *dilation, const int *output_padding, int groups),
             (x, w, stride, padding, dilation, output_padding, groups)) {
    return conv_transpose(x, w, 3, stride, padding, dilation, output_padding, groups);
}

/* ---------------------------------------------------------------- convolve */

/* NumPy's convolve: the longer operand is the signal; the other, flipped,
 * slides over it. 'same' keeps len(signal) outputs centred as NumPy does
 * (full[(m-1)/2 :][: n]). */
EM_PUBLIC_OP(em_convolve, (const em_array *a, const em_array *v, em_convolve_mode mode),
             (a, v, mode)) {
    EM_CHECK_ARG("convolve", a);
    EM_CHECK_ARG("convolve", v);
    if (a->ndim != 1 || v->ndim != 1)
        return error_set(EM_ERR_VALUE, "[convolve] Inputs must be 1D.");
    if (a->size == 0 || v->size == 0)
        return error_set(EM_ERR_VALUE, "[convolve] Inputs cannot be empty.");
    if (mode != EM_CONVOLVE_FULL && mode != EM_CONVOLVE_SAME && mode != EM_CONVOLVE_VALID)
        return error_set(EM_ERR_VALUE, "[convolve] Invalid mode.");
    const em_array *sig = a, *ker = v;
    if (v->size > a->size) sig = v, ker = a;
    int64_t n = sig->shape[0], m = ker->shape[0];
    if (m - 1 > INT32_MAX) return error_set(EM_ERR_VALUE, "[convolve] Kernel too long.");
    int lo = 0, hi = 0;
    if (mode == EM_CONVOLVE_FULL) lo = hi = (int)(m - 1);
    else if (mode == EM_CONVOLVE_SAME) lo = (int)(m / 2), hi = (int)((m - 1) / 2);
    int64_t xs[3] = {1, n, 1}, ws[3] = {1, m, 1};
    em_array *x = ops_reshape(sig, xs, 3), *w = x ? ops_reshape(ker, ws, 3) : NULL;
    em_array *r = w ? em_conv_general(x, w, NULL, 0, &lo, 1, &hi, 1, NULL, 0, NULL, 0, 1, true) : NULL;
    em_array *out = NULL;
    if (r) {
        int64_t len = r->shape[1];
        out = ops_reshape(r, &len, 1);
    }
    em_array_release(x);
    em_array_release(w);
    em_array_release(r);
    return out;
}
