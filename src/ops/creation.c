/* creation.c -- ops that make new arrays from nothing but sizes and values:
 * zeros/ones/full (and _like), arange, linspace, eye/identity, tri, and
 * tril/triu (a select with a tri mask, as MLX does). Messages follow MLX. */
#include <math.h>
#include <string.h>

#include "rules.h"

static bool check_dtype(const char *op, em_dtype dtype) {
    if (em_dtype_is_valid((int)dtype)) return true;
    error_set(EM_ERR_TYPE, "[%s] Invalid dtype %d.", op, (int)dtype);
    return false;
}

/* ---------------------------------------------------------------- full */

/* A 0-d value becomes a FULL node; any other is broadcast and copied. MLX
 * names every op of this family "full" in its messages. */
EM_PUBLIC_OP(em_full, (const int64_t *shape, int ndim, const em_array *value, em_dtype dtype),
             (shape, ndim, value, dtype)) {
    EM_CHECK_ARG("full", value);
    if (!check_dtype("full", dtype) || !ops_check_shape("full", shape, ndim, dtype)) return NULL;
    em_array *v = ops_cast(value, dtype), *r = NULL;
    if (!v) return NULL;
    if (v->ndim == 0) {
        r = node_make(EM_PRIM_FULL, NULL, 0, &v, 1, dtype, shape, ndim);
    } else {
        em_array *b = ops_broadcast(v, shape, ndim);
        if (b) r = em_copy(b);
        em_array_release(b);
    }
    em_array_release(v);
    return r;
}

EM_PUBLIC_OP(em_full_double, (const int64_t *shape, int ndim, double value, em_dtype dtype),
             (shape, ndim, value, dtype)) {
    if (!check_dtype("full", dtype)) return NULL;
    em_array *v = em_array_from_double(value, dtype);
    em_array *r = v ? em_full(shape, ndim, v, dtype) : NULL;
    em_array_release(v);
    return r;
}

EM_PUBLIC_OP(em_zeros, (const int64_t *shape, int ndim, em_dtype dtype), (shape, ndim, dtype)) {
    return em_full_double(shape, ndim, 0, dtype);
}

EM_PUBLIC_OP(em_ones, (const int64_t *shape, int ndim, em_dtype dtype), (shape, ndim, dtype)) {
    return em_full_double(shape, ndim, 1, dtype);
}

EM_PUBLIC_OP(em_zeros_like, (const em_array *a), (a)) {
    EM_CHECK_ARG("zeros_like", a);
    return em_full_double(a->shape, a->ndim, 0, a->dtype);
}

EM_PUBLIC_OP(em_ones_like, (const em_array *a), (a)) {
    EM_CHECK_ARG("ones_like", a);
    return em_full_double(a->shape, a->ndim, 1, a->dtype);
}

EM_PUBLIC_OP(em_full_like, (const em_array *a, const em_array *value), (a, value)) {
    EM_CHECK_ARG("full_like", a);
    EM_CHECK_ARG("full_like", value);
    return em_full(a->shape, a->ndim, value, a->dtype);
}

/* ---------------------------------------------------------------- arange */

static double trunc_i64(double v) {
    if (v >= 9223372036854775807.0) return 9223372036854775807.0;
    if (v <= -9223372036854775808.0) return -9223372036854775808.0;
    return trunc(v);
}

/* v rounded to dtype dt's precision (a real, non-integer dtype). */
static double round_to(em_dtype dt, double v) {
    switch (dt) {
    case EM_FLOAT64: return v;
    case EM_FLOAT16: return em_f16_to_f32(em_f32_to_f16((float)v));
    case EM_BFLOAT16: return em_bf16_to_f32(em_f32_to_bf16((float)v));
    default: return (float)v;
    }
}

/* The length is MLX's (and NumPy's): ceil((stop - start) / step), from the
 * values given. The values are NumPy's: the first two, start and start+step,
 * are rounded to the dtype (truncated for integers, as MLX and NumPy do), and
 * element i is first + i * (second - first) in the dtype's arithmetic. The
 * ARANGE parameters hold that rounded first value and difference. */
EM_PUBLIC_OP(em_arange, (double start, double stop, double step, em_dtype dtype),
             (start, stop, step, dtype)) {
    if (!check_dtype("arange", dtype)) return NULL;
    if (dtype == EM_BOOL) return error_set(EM_ERR_VALUE, "[arange] bool not supported for arange.");
    if (isnan(start) || isnan(stop) || isnan(step) || isinf(start) || isinf(stop))
        return error_set(EM_ERR_VALUE, "[arange] Cannot compute length.");
    if (step == 0) return error_set(EM_ERR_VALUE, "[arange] step must be nonzero.");
    double real = isinf(step) ? ((step > 0) == (start < stop) && start != stop ? 1 : 0)
                              : ceil((stop - start) / step);
    if (isnan(real)) return error_set(EM_ERR_VALUE, "[arange] Cannot compute length.");
    if (real > 4611686018427387904.0) return error_set(EM_ERR_VALUE, "[arange] Maximum size exceeded.");
    int64_t n = real > 0 ? (int64_t)real : 0;
    if (!ops_check_shape("arange", &n, 1, dtype)) return NULL;
    em_arange_params p;
    memset(&p, 0, sizeof p);
    if (dtype_is_int(dtype)) {
        p.start = trunc_i64(start);
        /* wraps like the int64 arithmetic of the kernel when the difference is huge */
        uint64_t d = (uint64_t)(int64_t)trunc_i64(start + step) - (uint64_t)(int64_t)p.start;
        p.step = n > 1 ? (double)(int64_t)d : 0;
    } else if (dtype == EM_FLOAT64) {
        p.start = start;
        p.step = n > 1 ? (start + step) - start : 0;
    } else {
        /* float32 arithmetic, as NumPy's fill for float, half and complex */
        float s = (float)round_to(dtype, start), t = (float)round_to(dtype, start + step);
        p.start = s;
        p.step = n > 1 ? (double)(t - s) : 0;
    }
    return node_make(EM_PRIM_ARANGE, &p, sizeof p, NULL, 0, dtype, &n, 1);
}

/* NumPy's values: start + i * step in float64 with step = (stop - start) /
 * (num - 1), the last one exactly stop, then cast to dtype (so integers
 * truncate, as MLX's astype does; NumPy floors). */
EM_PUBLIC_OP(em_linspace, (double start, double stop, int64_t num, em_dtype dtype),
             (start, stop, num, dtype)) {
    if (!check_dtype("linspace", dtype)) return NULL;
    if (num < 0)
        return error_set(EM_ERR_VALUE, "[linspace] number of samples, %lld, must be non-negative.",
                         (long long)num);
    if (!ops_check_shape("linspace", &num, 1, EM_FLOAT64)) return NULL;
    if (num <= 1) return em_full_double(&num, 1, start, dtype);
    em_arange_params p;
    memset(&p, 0, sizeof p);
    p.start = start;
    p.step = (stop - start) / (double)(num - 1);
    int64_t body_n = num - 1, one = 1;
    em_array *parts[2];
    parts[0] = node_make(EM_PRIM_ARANGE, &p, sizeof p, NULL, 0, EM_FLOAT64, &body_n, 1);
    parts[1] = em_full_double(&one, 1, stop, EM_FLOAT64);
    em_array *all = parts[0] && parts[1] ? em_concatenate((const em_array *const *)parts, 2, 0) : NULL;
    em_array *r = all ? ops_cast(all, dtype) : NULL;
    em_array_release(parts[0]);
    em_array_release(parts[1]);
    em_array_release(all);
    return r;
}

/* ---------------------------------------------------------------- eye, tri */

EM_PUBLIC_OP(em_eye, (int64_t n, int64_t m, int64_t k, em_dtype dtype), (n, m, k, dtype)) {
    if (m < 0) m = n;
    if (n < 0) return error_set(EM_ERR_VALUE, "[eye] N and M must be positive integers.");
    int64_t shape[2] = {n, m};
    if (!check_dtype("eye", dtype) || !ops_check_shape("eye", shape, 2, dtype)) return NULL;
    em_diag_params p;
    memset(&p, 0, sizeof p);
    p.k = k;
    return node_make(EM_PRIM_EYE, &p, sizeof p, NULL, 0, dtype, shape, 2);
}

EM_PUBLIC_OP(em_identity, (int64_t n, em_dtype dtype), (n, dtype)) {
    return em_eye(n, n, 0, dtype);
}

EM_PUBLIC_OP(em_tri, (int64_t n, int64_t m, int64_t k, em_dtype dtype), (n, m, k, dtype)) {
    if (m < 0) m = n;
    if (n < 0) return error_set(EM_ERR_VALUE, "[tri] N and M must be non-negative integers.");
    int64_t shape[2] = {n, m};
    if (!check_dtype("tri", dtype) || !ops_check_shape("tri", shape, 2, dtype)) return NULL;
    em_diag_params p;
    memset(&p, 0, sizeof p);
    p.k = k;
    return node_make(EM_PRIM_TRI, &p, sizeof p, NULL, 0, dtype, shape, 2);
}

/* tril: where(tri(k), a, 0); triu: where(tri(k - 1), 0, a). The mask has the
 * last two dims and broadcasts over the batch. */
static em_array *triangle(const char *op, const em_array *a, int64_t k, bool lower) {
    EM_CHECK_ARG(op, a);
    if (a->ndim < 2) return error_set(EM_ERR_VALUE, "[%s] array must be at least 2-D", op);
    int64_t n = a->shape[a->ndim - 2], m = a->shape[a->ndim - 1];
    em_array *mask = em_tri(n, m, lower ? k : (k == INT64_MIN ? k : k - 1), EM_BOOL);
    em_array *zero = ops_scalar(0, a->dtype), *r = NULL;
    if (mask && zero) r = lower ? em_where(mask, a, zero) : em_where(mask, zero, a);
    em_array_release(mask);
    em_array_release(zero);
    return r;
}

EM_PUBLIC_OP(em_tril, (const em_array *a, int64_t k), (a, k)) { return triangle("tril", a, k, true); }
EM_PUBLIC_OP(em_triu, (const em_array *a, int64_t k), (a, k)) { return triangle("triu", a, k, false); }

/* ---------------------------------------------------------------- autodiff */

/* FULL broadcasts its 0-d value; the other creation primitives have no
 * inputs, so no transform ever asks them for a rule. */
em_status ops_creation_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                           em_array *const *cot, const bool *want, em_array **grads) {
    (void)in, (void)out;
    if (n->prim != EM_PRIM_FULL || !want[0]) return EM_OK;
    grads[0] = em_sum(cot[0], NULL, -1, false);
    return rule_status(grads[0]);
}

em_status ops_creation_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                           em_array *const *tan, em_array **out_tan) {
    (void)in;
    if (n->prim != EM_PRIM_FULL) return EM_OK;
    out_tan[0] = em_full(out[0]->shape, out[0]->ndim, tan[0], tan[0]->dtype);
    return rule_status(out_tan[0]);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* FULL is the only creation primitive with an input (its 0-d value): a
 * mapped value (B,) fills (B, shape...), batch in front. The others have no
 * input to map over, so the engine never asks them. */
em_status ops_creation_vmap(const em_node *n, em_array *const *in, const int *axes,
                            em_array **out, int *out_axes) {
    if (n->prim != EM_PRIM_FULL) return ops_no_vmap(n);
    (void)axes;
    const em_array *like = vmap_traced_out(n, 0);
    int64_t shape[EM_MAX_NDIM];
    shape[0] = in[0]->shape[0];
    for (int i = 0; i < like->ndim; i++) shape[1 + i] = 1;
    em_array *v = ops_reshape(in[0], shape, like->ndim + 1);
    memcpy(shape + 1, like->shape, (size_t)like->ndim * sizeof *shape);
    out[0] = v ? em_full(shape, like->ndim + 1, v, like->dtype) : NULL;
    out_axes[0] = 0;
    em_array_release(v);
    return out[0] ? EM_OK : em_error_code();
}
