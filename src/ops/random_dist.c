/* random_dist.c -- the distributions, as compositions of ordinary ops over
 * RANDOM_BITS in the order MLX composes them, so that a key gives MLX's
 * values (to the last bit where our elementwise kernels agree with MLX's) and
 * gradients and vmap come from the ops' own rules. Messages follow MLX. */
#include <math.h>
#include <string.h>

#include "random.h"
#include "rules.h"

#define DIST_CHECK_SHAPE(op, shape, ndim)                                      \
    do {                                                                       \
        if (!ops_check_shape(op, shape, ndim, EM_FLOAT32)) return NULL;        \
    } while (0)

/* The largest value below 1 that uniform draws (before the cast to dtype):
 * float32's, or the 16-bit type's own. */
static double below_one(em_dtype dt) {
    switch (dt) {
    case EM_FLOAT16: return 1.0 - 1.0 / 2048;  /* 0x3bff */
    case EM_BFLOAT16: return 1.0 - 1.0 / 256;  /* 0x3f7f */
    default: return (double)nextafterf(1.0f, 0.0f);
    }
}

/* Uniform in [0, below_one(dtype)] as float32: bits / (2^32 - 1) rounded as
 * float32, clipped. */
static em_array *unit_uniform(rule_tmp *t, const int64_t *shape, int ndim, em_dtype dtype,
                              const em_array *key) {
    em_array *b = tk(t, em_random_bits(shape, ndim, 4, key));
    em_array *u = tk(t, em_divide(b, tk(t, ops_scalar(4294967295.0, EM_FLOAT32))));
    return tk(t, em_minimum(u, tk(t, ops_scalar(below_one(dtype), EM_FLOAT32))));
}

EM_PUBLIC_OP(em_random_uniform, (const em_array *low, const em_array *high, const int64_t *shape,
                                 int ndim, em_dtype dtype, const em_array *key),
             (low, high, shape, ndim, dtype, key)) {
    DIST_CHECK_SHAPE("uniform", shape, ndim);
    if (!em_dtype_is_valid((int)dtype) || !dtype_is_float(dtype))
        return error_set(EM_ERR_VALUE, "[uniform] Can only generate uniform numbers with real floating point type.");
    if (dtype == EM_FLOAT64) return error_set(EM_ERR_RUNTIME, "[uniform] Unsupported type.");
    rule_tmp t = {.n = 0};
    em_array *lo = tk(&t, low ? ops_cast(low, dtype) : ops_scalar(0, dtype));
    em_array *hi = tk(&t, high ? ops_cast(high, dtype) : ops_scalar(1, dtype));
    em_array *range = tk(&t, lo && hi ? em_subtract(hi, lo) : NULL), *r = NULL;
    int64_t bshape[EM_MAX_NDIM];
    int bn = range ? shape_broadcast("broadcast_shapes", shape, ndim, range->shape, range->ndim, bshape) : -1;
    if (bn >= 0 && (bn != ndim || (ndim > 0 && memcmp(bshape, shape, (size_t)ndim * sizeof *shape)))) {
        char b1[256], b2[256];
        error_set(EM_ERR_VALUE, "[uniform] Cannot generate random values of shape %s from broadcasted shape %s.",
                  shape_str(shape, ndim, b1, sizeof b1), shape_str(bshape, bn, b2, sizeof b2));
        bn = -1;
    }
    if (bn >= 0) {
        em_array *u = unit_uniform(&t, shape, ndim, dtype, key);
        em_array *ud = tk(&t, u ? ops_cast(u, dtype) : NULL);
        r = ud ? em_add(tk(&t, em_multiply(range, ud)), lo) : NULL;
    }
    rule_tmp_free(&t);
    return r;
}

/* sqrt(2) erfinv(u), u uniform in (-1, 1) as float32, cast to dtype before
 * the product (as MLX, whatever the dtype). */
static em_array *std_normal(rule_tmp *t, const int64_t *shape, int ndim, em_dtype dtype,
                            const em_array *key) {
    em_array *lo = tk(t, ops_scalar((double)nextafterf(-1.0f, 0.0f), EM_FLOAT32));
    em_array *hi = tk(t, ops_scalar(1.0, EM_FLOAT32));
    em_array *u = tk(t, lo && hi ? em_random_uniform(lo, hi, shape, ndim, EM_FLOAT32, key) : NULL);
    em_array *e = tk(t, u ? ops_cast(tk(t, em_erfinv(u)), dtype) : NULL);
    return tk(t, e ? em_multiply(tk(t, ops_scalar(sqrt(2.0), dtype)), e) : NULL);
}

EM_PUBLIC_OP(em_random_normal, (const int64_t *shape, int ndim, em_dtype dtype, const em_array *loc,
                                const em_array *scale, const em_array *key),
             (shape, ndim, dtype, loc, scale, key)) {
    DIST_CHECK_SHAPE("normal", shape, ndim);
    if (!em_dtype_is_valid((int)dtype) || !dtype_is_inexact(dtype))
        return error_set(EM_ERR_VALUE, "[normal] Only floating point and complex64 types are supported.");
    rule_tmp t = {.n = 0};
    em_array *s;
    if (dtype == EM_COMPLEX64) {
        /* real and imaginary parts: a float32 draw of shape + (2,), times
         * sqrt(1/2), so that E|z|^2 = 1 */
        int64_t s2[EM_MAX_NDIM];
        if (ndim >= EM_MAX_NDIM)
            return error_set(EM_ERR_VALUE, "[normal] Arrays may have at most %d dimensions.", EM_MAX_NDIM);
        if (ndim > 0) memcpy(s2, shape, (size_t)ndim * sizeof *s2);
        s2[ndim] = 2;
        em_array *f = std_normal(&t, s2, ndim + 1, EM_FLOAT32, key);
        f = tk(&t, f ? em_multiply(f, tk(&t, ops_scalar(sqrt(0.5), EM_FLOAT32))) : NULL);
        em_array *re = tk(&t, f ? em_squeeze(tk(&t, rules_slice_axis(f, ndim, 0, 1)), &ndim, 1) : NULL);
        em_array *im = tk(&t, f ? em_squeeze(tk(&t, rules_slice_axis(f, ndim, 1, 1)), &ndim, 1) : NULL);
        em_array *j = tk(&t, em_array_from_complex(0.0f, 1.0f));
        s = tk(&t, re && im ? em_add(tk(&t, ops_cast(re, EM_COMPLEX64)), tk(&t, em_multiply(im, j))) : NULL);
    } else {
        s = std_normal(&t, shape, ndim, dtype, key);
    }
    if (s && scale) s = tk(&t, em_multiply(scale, s));
    if (s && loc) s = tk(&t, em_add(loc, s));
    em_array *r = s ? em_array_retain(s) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* floor(uniform(low, high)) in float32, at least low, cast to dtype. */
EM_PUBLIC_OP(em_random_randint, (const em_array *low, const em_array *high, const int64_t *shape,
                                 int ndim, em_dtype dtype, const em_array *key),
             (low, high, shape, ndim, dtype, key)) {
    EM_CHECK_ARG("randint", low);
    EM_CHECK_ARG("randint", high);
    if (!em_dtype_is_valid((int)dtype) || dtype_is_inexact(dtype))
        return error_set(EM_ERR_VALUE, "[randint] randint only accepts integer dtypes and bool.");
    rule_tmp t = {.n = 0};
    /* the bounds in the dtype first (so randint(-5, 17, dtype=uint8) is 251s, as MLX) */
    em_array *lo = tk(&t, ops_cast(low, dtype)), *hi = tk(&t, ops_cast(high, dtype));
    em_array *u = tk(&t, lo && hi ? em_random_uniform(lo, hi, shape, ndim, EM_FLOAT32, key) : NULL);
    em_array *f = tk(&t, u ? em_floor(u) : NULL);
    em_array *m = tk(&t, f ? em_maximum(f, tk(&t, ops_cast(lo, EM_FLOAT32))) : NULL);
    em_array *r = m ? ops_cast(m, dtype) : NULL;
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_random_bernoulli, (const em_array *p, const int64_t *shape, int ndim, const em_array *key),
             (p, shape, ndim, key)) {
    rule_tmp t = {.n = 0};
    em_array *pp = p ? (em_array *)p : tk(&t, ops_scalar(0.5, EM_FLOAT32)), *r = NULL;
    if (!pp) return NULL;
    if (!dtype_is_float(pp->dtype)) {
        rule_tmp_free(&t);
        return error_set(EM_ERR_VALUE, "[bernoulli] bernoulli probability `p` must be a float type.");
    }
    if (ndim < 0) {
        shape = pp->shape;
        ndim = pp->ndim;
    } else {
        int64_t b[EM_MAX_NDIM];
        DIST_CHECK_SHAPE("bernoulli", shape, ndim);
        int bn = shape_broadcast("broadcast_shapes", shape, ndim, pp->shape, pp->ndim, b);
        if (bn < 0 || !shape_equal(b, bn, shape, ndim)) {
            rule_tmp_free(&t);
            if (bn < 0) return NULL;
            return error_set(EM_ERR_VALUE, "[bernoulli] shape of `p` is incompatible with argument `shape`.");
        }
    }
    em_array *u = tk(&t, em_random_uniform(NULL, NULL, shape, ndim, pp->dtype, key));
    r = u ? em_less(u, pp) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* sqrt(2) erfinv(uniform(erf(lower / sqrt 2), erf(upper / sqrt 2))), clipped
 * to [lower, upper] (JAX's and MLX's method). */
EM_PUBLIC_OP(em_random_truncated_normal, (const em_array *lower, const em_array *upper,
                                          const int64_t *shape, int ndim, em_dtype dtype,
                                          const em_array *key),
             (lower, upper, shape, ndim, dtype, key)) {
    EM_CHECK_ARG("truncated_normal", lower);
    EM_CHECK_ARG("truncated_normal", upper);
    if (!em_dtype_is_valid((int)dtype) || !dtype_is_float(dtype))
        return error_set(EM_ERR_VALUE, "[trunc_normal] trunc_normal only accepts floating point dtypes.");
    int64_t b[EM_MAX_NDIM];
    if (ndim < 0) {
        ndim = shape_broadcast("broadcast_shapes", lower->shape, lower->ndim, upper->shape, upper->ndim, b);
        if (ndim < 0) return NULL;
        shape = b;
    }
    rule_tmp t = {.n = 0};
    em_array *s2 = tk(&t, ops_scalar(sqrt(2.0), dtype));
    em_array *lo = tk(&t, ops_cast(lower, dtype)), *hi = tk(&t, ops_cast(upper, dtype)), *r = NULL;
    em_array *a = tk(&t, lo ? em_erf(tk(&t, em_divide(lo, s2))) : NULL);
    em_array *bb = tk(&t, hi ? em_erf(tk(&t, em_divide(hi, s2))) : NULL);
    em_array *u = tk(&t, a && bb ? em_random_uniform(a, bb, shape, ndim, dtype, key) : NULL);
    em_array *o = tk(&t, u ? em_multiply(s2, tk(&t, em_erfinv(u))) : NULL);
    if (o) r = em_maximum(tk(&t, em_minimum(hi, o)), lo);
    rule_tmp_free(&t);
    return r;
}

/* -log(-log(uniform)). */
EM_PUBLIC_OP(em_random_gumbel, (const int64_t *shape, int ndim, em_dtype dtype, const em_array *key),
             (shape, ndim, dtype, key)) {
    rule_tmp t = {.n = 0};
    em_array *u = tk(&t, em_random_uniform(NULL, NULL, shape, ndim, dtype, key));
    em_array *l = tk(&t, u ? em_negative(tk(&t, em_log(u))) : NULL);
    em_array *r = l ? em_negative(tk(&t, em_log(l))) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* The inverse CDF on u uniform in (-1, 1): sign(u) log1p(-|u|), in float32,
 * then cast, scaled and shifted. */
EM_PUBLIC_OP(em_random_laplace, (const int64_t *shape, int ndim, em_dtype dtype, double loc,
                                 double scale, const em_array *key),
             (shape, ndim, dtype, loc, scale, key)) {
    if (!em_dtype_is_valid((int)dtype) || !dtype_is_float(dtype))
        return error_set(EM_ERR_VALUE, "[laplace] Only real floating point types are supported.");
    rule_tmp t = {.n = 0};
    em_array *lo = tk(&t, ops_scalar((double)nextafterf(-1.0f, 0.0f), EM_FLOAT32));
    em_array *hi = tk(&t, ops_scalar(1.0, EM_FLOAT32));
    em_array *u = tk(&t, lo && hi ? em_random_uniform(lo, hi, shape, ndim, EM_FLOAT32, key) : NULL);
    em_array *m = tk(&t, u ? em_multiply(tk(&t, ops_scalar(-1.0, EM_FLOAT32)), tk(&t, em_abs(u))) : NULL);
    em_array *s = tk(&t, m ? em_multiply(tk(&t, em_sign(u)), tk(&t, em_log1p(m))) : NULL);
    s = tk(&t, s ? ops_cast(s, dtype) : NULL);
    if (s && scale != 1.0) s = tk(&t, em_multiply(tk(&t, ops_scalar(scale, dtype)), s));
    if (s && loc != 0.0) s = tk(&t, em_add(tk(&t, ops_scalar(loc, dtype)), s));
    em_array *r = s ? em_array_retain(s) : NULL;
    rule_tmp_free(&t);
    return r;
}

/* argmax(gumbel(shape with the axis's length inserted) + logits): the axis
 * sits at `offset` of the draw, logits broadcasting against its tail. */
static em_array *categorical_impl(const em_array *logits, int axis, const int64_t *shape, int ndim,
                                  const em_array *key) {
    int64_t g[EM_MAX_NDIM];
    if (ndim + 1 > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[categorical] Arrays may have at most %d dimensions.", EM_MAX_NDIM);
    int offset = axis + ndim - logits->ndim + 1;
    if (offset < 0 || offset > ndim) /* a shape shorter than the logits' batch */
        return error_set(EM_ERR_VALUE, "[categorical] Requested shape is not broadcast compatible with the logits.");
    memcpy(g, shape, (size_t)offset * sizeof *g);
    g[offset] = logits->shape[axis];
    memcpy(g + offset + 1, shape + offset, (size_t)(ndim - offset) * sizeof *g);
    rule_tmp t = {.n = 0};
    em_array *gs = tk(&t, em_random_gumbel(g, ndim + 1, EM_FLOAT32, key));
    em_array *r = gs ? em_argmax(tk(&t, em_add(gs, logits)), offset, false, false) : NULL;
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_random_categorical, (const em_array *logits, int axis, const int64_t *shape, int ndim,
                                     int64_t num_samples, const em_array *key),
             (logits, axis, shape, ndim, num_samples, key)) {
    EM_CHECK_ARG("categorical", logits);
    if (ndim >= 0 && num_samples >= 0)
        return error_set(EM_ERR_VALUE, "[categorical] At most one of shape or num_samples can be specified.");
    int ax = axis < 0 ? axis + logits->ndim : axis;
    if (ax < 0 || ax >= logits->ndim)
        return error_set(EM_ERR_INDEX, "[categorical] Invalid axis %d for logits with %d dimensions.", axis,
                         logits->ndim);
    int64_t s[EM_MAX_NDIM];
    int ns = 0;
    for (int i = 0; i < logits->ndim; i++)
        if (i != ax) s[ns++] = logits->shape[i];
    if (num_samples >= 0) {
        /* logits (..., 1) after the axis: one draw per sample */
        int last = logits->ndim;
        em_array *l = em_expand_dims(logits, &last, 1);
        s[ns++] = num_samples;
        em_array *r = l ? categorical_impl(l, ax, s, ns, key) : NULL;
        em_array_release(l);
        return r;
    }
    if (ndim >= 0) {
        DIST_CHECK_SHAPE("categorical", shape, ndim);
        int64_t b[EM_MAX_NDIM];
        int bn = shape_broadcast("broadcast_shapes", shape, ndim, s, ns, b);
        if (bn < 0) return NULL;
        if (!shape_equal(b, bn, shape, ndim)) {
            char b1[256], b2[256];
            return error_set(EM_ERR_VALUE,
                             "[categorical] Requested shape %s is not broadcast compatible with reduced logits shape%s.",
                             shape_str(shape, ndim, b1, sizeof b1), shape_str(s, ns, b2, sizeof b2));
        }
        return categorical_impl(logits, ax, shape, ndim, key);
    }
    return categorical_impl(logits, ax, s, ns, key);
}

/* mean + z @ (U sqrt(S) Vt) with z standard normal (the SVD square root of
 * cov, as MLX). */
EM_PUBLIC_OP(em_random_multivariate_normal, (const em_array *mean, const em_array *cov, const int64_t *shape,
                                             int ndim, em_dtype dtype, const em_array *key),
             (mean, cov, shape, ndim, dtype, key)) {
    EM_CHECK_ARG("multivariate_normal", mean);
    EM_CHECK_ARG("multivariate_normal", cov);
    DIST_CHECK_SHAPE("multivariate_normal", shape, ndim);
    if (dtype != EM_FLOAT32) return error_set(EM_ERR_VALUE, "[multivariate_normal] dtype must be float32.");
    if (mean->ndim < 1)
        return error_set(EM_ERR_VALUE, "[multivariate_normal] mean must have at least one dimension.");
    if (cov->ndim < 2)
        return error_set(EM_ERR_VALUE, "[multivariate_normal] cov must have at least two dimensions.");
    int64_t n = mean->shape[mean->ndim - 1];
    if (cov->shape[cov->ndim - 1] != cov->shape[cov->ndim - 2])
        return error_set(EM_ERR_VALUE, "[multivariate_normal] last two dimensions of cov must be equal.");
    if (n != cov->shape[cov->ndim - 1])
        return error_set(EM_ERR_VALUE, "[multivariate_normal] mean and cov must have compatible shapes.");
    int64_t b1[EM_MAX_NDIM], out[EM_MAX_NDIM];
    int n1 = shape_broadcast("broadcast_shapes", mean->shape, mean->ndim - 1, cov->shape, cov->ndim - 2, b1);
    int no = n1 < 0 ? -1 : shape_broadcast("broadcast_shapes", shape, ndim, b1, n1, out);
    if (no < 0) return NULL;
    if (no >= EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[multivariate_normal] Arrays may have at most %d dimensions.", EM_MAX_NDIM);
    out[no] = n;
    rule_tmp t = {.n = 0};
    em_array *usv[3] = {NULL, NULL, NULL}, *r = NULL;
    em_array *c = tk(&t, ops_cast(cov, EM_FLOAT32));
    if (c && em_linalg_svd(c, true, usv) == EM_OK) {
        for (int i = 0; i < 3; i++) tk(&t, usv[i]);
        int m2 = -2;
        em_array *sq = tk(&t, em_expand_dims(tk(&t, em_sqrt(usv[1])), &m2, 1));
        em_array *sd = tk(&t, sq ? em_matmul(tk(&t, em_multiply(usv[0], sq)), usv[2]) : NULL);
        em_array *z = tk(&t, sd ? em_random_normal(out, no + 1, dtype, NULL, NULL, key) : NULL);
        em_array *zs = tk(&t, z ? em_matmul(tk(&t, em_expand_dims(z, &m2, 1)), tk(&t, ops_cast(sd, dtype))) : NULL);
        if (zs) r = em_add(mean, tk(&t, em_squeeze(zs, &m2, 1)));
    }
    rule_tmp_free(&t);
    return r;
}

/* ---------------------------------------------------------------- permutation */

/* argsort(bits((n,))): MLX's permutation, so a key gives MLX's order. */
EM_PUBLIC_OP(em_random_permutation_n, (int64_t n, const em_array *key), (n, key)) {
    em_array *b = em_random_bits(&n, 1, 4, key);
    em_array *r = b ? em_argsort(b, 0, false) : NULL;
    em_array_release(b);
    return r;
}

EM_PUBLIC_OP(em_random_permutation, (const em_array *x, int axis, const em_array *key), (x, axis, key)) {
    EM_CHECK_ARG("permutation", x);
    int ax = shape_axis("permutation", axis, x->ndim);
    if (ax < 0) return NULL;
    em_array *p = em_random_permutation_n(x->shape[ax], key);
    em_array *r = p ? em_take(x, p, ax, true) : NULL;
    em_array_release(p);
    return r;
}
