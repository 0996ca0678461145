/* unary.c -- builders of the unary elementwise ops and their dtype rules. */
#include <float.h>
#include <math.h>

#include "rules.h"

typedef enum {
    U_SAME,      /* output keeps the input dtype */
    U_INEXACT,   /* ints and bool compute in float32 */
    U_PREDICATE, /* output bool */
    U_NO_BOOL,   /* like U_SAME, bool refused */
    U_INTEGER,   /* integer or bool only */
    U_PART       /* real/imag/abs: complex gives float32 */
} unary_rule;

typedef struct { const char *name; unary_rule rule; bool complex_ok; } unary_info;

static em_array *unary_params(em_prim_id prim, const unary_info *u, const em_array *a,
                              const void *params, size_t psize) {
    EM_CHECK_ARG(u->name, a);
    em_dtype in = a->dtype, out = in;
    if (in == EM_COMPLEX64 && !u->complex_ok)
        return error_set(EM_ERR_VALUE, "[%s] Not supported for complex64.", u->name);
    switch (u->rule) {
    case U_SAME: break;
    case U_INEXACT: out = in = dtype_to_inexact(in); break;
    case U_PREDICATE: out = EM_BOOL; break;
    case U_NO_BOOL:
        if (in == EM_BOOL)
            return error_set(EM_ERR_VALUE,
                             "[%s] Not supported for bool, use logical_not instead.", u->name);
        break;
    case U_INTEGER:
        if (!dtype_is_int(in) && in != EM_BOOL)
            return error_set(EM_ERR_VALUE,
                             "[%s] Bitwise inverse only allowed on integer types.", u->name);
        break;
    case U_PART: if (in == EM_COMPLEX64) out = EM_FLOAT32; break;
    }
    em_array *self = (em_array *)a;
    if (a->dtype == in) /* the common case, without a retain and release of a */
        return node_make(prim, params, psize, &self, 1, out, a->shape, a->ndim);
    em_array *x = ops_cast(a, in);
    if (!x) return NULL;
    em_array *r = node_make(prim, params, psize, &x, 1, out, a->shape, a->ndim);
    em_array_release(x);
    return r;
}

#define UNARY(fn, PRIM, rule, cplx)                                            \
    EM_PUBLIC_OP(em_##fn, (const em_array *a), (a)) {                          \
        static const unary_info u = {#fn, rule, cplx};                         \
        return unary_params(EM_PRIM_##PRIM, &u, a, NULL, 0);                   \
    }

UNARY(abs, ABS, U_PART, true)
UNARY(sign, SIGN, U_SAME, true)
UNARY(negative, NEGATIVE, U_NO_BOOL, true)
UNARY(exp, EXP, U_INEXACT, true)
UNARY(expm1, EXPM1, U_INEXACT, false)
UNARY(log, LOG, U_INEXACT, true)
UNARY(log1p, LOG1P, U_INEXACT, true)
UNARY(log2, LOG2, U_INEXACT, true)
UNARY(log10, LOG10, U_INEXACT, true)
UNARY(sqrt, SQRT, U_INEXACT, true)
UNARY(rsqrt, RSQRT, U_INEXACT, true)
UNARY(square, SQUARE, U_SAME, true)
UNARY(reciprocal, RECIPROCAL, U_INEXACT, true)
UNARY(sin, SIN, U_INEXACT, true)
UNARY(cos, COS, U_INEXACT, true)
UNARY(tan, TAN, U_INEXACT, true)
UNARY(arcsin, ARCSIN, U_INEXACT, true)
UNARY(arccos, ARCCOS, U_INEXACT, true)
UNARY(arctan, ARCTAN, U_INEXACT, true)
UNARY(sinh, SINH, U_INEXACT, true)
UNARY(cosh, COSH, U_INEXACT, true)
UNARY(tanh, TANH, U_INEXACT, true)
UNARY(arcsinh, ARCSINH, U_INEXACT, true)
UNARY(arccosh, ARCCOSH, U_INEXACT, true)
UNARY(arctanh, ARCTANH, U_INEXACT, true)
UNARY(erf, ERF, U_INEXACT, false)
UNARY(erfinv, ERFINV, U_INEXACT, false)
UNARY(sigmoid, SIGMOID, U_INEXACT, false)
UNARY(floor, FLOOR, U_SAME, false)
UNARY(ceil, CEIL, U_SAME, false)
UNARY(isnan, ISNAN, U_PREDICATE, true)
UNARY(isinf, ISINF, U_PREDICATE, true)
UNARY(isfinite, ISFINITE, U_PREDICATE, true)
UNARY(isposinf, ISPOSINF, U_PREDICATE, true)
UNARY(isneginf, ISNEGINF, U_PREDICATE, true)
UNARY(logical_not, LOGICAL_NOT, U_PREDICATE, true)
UNARY(bitwise_invert, BITWISE_INVERT, U_INTEGER, true) /* its rule refuses complex, with MLX's message */
UNARY(conjugate, CONJUGATE, U_SAME, true)
UNARY(real, REAL, U_PART, true)
UNARY(imag, IMAG, U_PART, true)

/* round(a, decimals): rounds half to even; with decimals != 0 it scales by
 * 10^decimals first (as MLX), integers only when decimals < 0. */
EM_PUBLIC_OP(em_round, (const em_array *a, int decimals), (a, decimals)) {
    static const unary_info u = {"round", U_SAME, true};
    EM_CHECK_ARG("round", a);
    if (decimals == 0 || (decimals > 0 && !dtype_is_inexact(a->dtype)))
        return unary_params(EM_PRIM_ROUND, &u, a, NULL, 0);
    em_dtype dt = dtype_is_inexact(a->dtype) ? a->dtype : EM_FLOAT32;
    em_array *s = ops_scalar(pow(10.0, decimals), dt);
    em_array *x = em_multiply(a, s);
    em_array *r = x ? unary_params(EM_PRIM_ROUND, &u, x, NULL, 0) : NULL;
    em_array *y = em_divide(r, s);
    em_array *out = ops_cast(y, a->dtype);
    em_array_release(s);
    em_array_release(x);
    em_array_release(r);
    em_array_release(y);
    return out;
}

static em_array *scale(const em_array *a, double k, const char *name) {
    EM_CHECK_ARG(name, a);
    em_array *x = ops_cast(a, dtype_to_inexact(a->dtype));
    em_array *s = x ? ops_scalar(k, x->dtype) : NULL;
    em_array *r = em_multiply(x, s);
    em_array_release(x);
    em_array_release(s);
    return r;
}
EM_PUBLIC_OP(em_degrees, (const em_array *a), (a)) { return scale(a, 180.0 / M_PI, "degrees"); }
EM_PUBLIC_OP(em_radians, (const em_array *a), (a)) { return scale(a, M_PI / 180.0, "radians"); }

/* The largest and lowest finite values of a float dtype. */
static double dtype_max(em_dtype dt) {
    switch (dt) {
    case EM_FLOAT16: return 65504.0;
    case EM_BFLOAT16: return 3.3895313892515355e38;
    case EM_FLOAT32: return FLT_MAX;
    default: return DBL_MAX;
    }
}

EM_PUBLIC_OP(em_nan_to_num,
             (const em_array *a, double nan, const double *posinf, const double *neginf),
             (a, nan, posinf, neginf)) {
    static const unary_info u = {"nan_to_num", U_SAME, false};
    EM_CHECK_ARG("nan_to_num", a);
    if (a->dtype == EM_COMPLEX64)
        return error_set(EM_ERR_VALUE, "[nan_to_num] Does not yet support given type: complex64.");
    if (!dtype_is_inexact(a->dtype)) return em_array_retain((em_array *)a);
    em_nan_to_num_params p = {nan, posinf ? *posinf : dtype_max(a->dtype),
                              neginf ? *neginf : -dtype_max(a->dtype)};
    return unary_params(EM_PRIM_NAN_TO_NUM, &u, a, &p, sizeof p);
}

/* ---------------------------------------------------------------- autodiff */

/* The derivative of the node's function at x (output y), as an array of x's
 * shape, or NULL when it is zero (a temporary of t; *err set on failure).
 * Both vjp (cotangent times derivative; conjugated for complex, as MLX) and
 * jvp (tangent times derivative) use it. */
static em_array *derivative(const em_node *n, const em_array *x, const em_array *y, rule_tmp *t,
                            bool *err) {
    em_array *d = NULL;
    switch (n->prim) {
    case EM_PRIM_ABS: d = tk(t, em_sign(x)); break;
    case EM_PRIM_EXP: return (em_array *)y;
    case EM_PRIM_EXPM1: d = tk(t, em_add(y, sc(t, 1, y))); break;
    case EM_PRIM_LOG: d = tk(t, em_reciprocal(x)); break;
    case EM_PRIM_LOG1P: d = tk(t, em_reciprocal(tk(t, em_add(x, sc(t, 1, x))))); break;
    case EM_PRIM_LOG2:
        d = tk(t, em_reciprocal(tk(t, em_multiply(x, sc(t, M_LN2, x)))));
        break;
    case EM_PRIM_LOG10:
        d = tk(t, em_reciprocal(tk(t, em_multiply(x, sc(t, M_LN10, x)))));
        break;
    case EM_PRIM_SQRT: d = tk(t, em_divide(sc(t, 0.5, y), y)); break;
    case EM_PRIM_RSQRT: d = tk(t, em_multiply(sc(t, -0.5, y), tk(t, em_divide(y, x)))); break;
    case EM_PRIM_SQUARE: d = tk(t, em_multiply(sc(t, 2, x), x)); break;
    case EM_PRIM_RECIPROCAL: d = tk(t, em_negative(tk(t, em_square(y)))); break;
    case EM_PRIM_SIN: d = tk(t, em_cos(x)); break;
    case EM_PRIM_COS: d = tk(t, em_negative(tk(t, em_sin(x)))); break;
    case EM_PRIM_TAN: d = tk(t, em_reciprocal(tk(t, em_square(tk(t, em_cos(x)))))); break;
    case EM_PRIM_ARCSIN:
    case EM_PRIM_ARCCOS:
        d = tk(t, em_rsqrt(tk(t, em_subtract(sc(t, 1, x), tk(t, em_square(x))))));
        if (n->prim == EM_PRIM_ARCCOS) d = tk(t, em_negative(d));
        break;
    case EM_PRIM_ARCTAN: d = tk(t, em_reciprocal(tk(t, em_add(sc(t, 1, x), tk(t, em_square(x)))))); break;
    case EM_PRIM_SINH: d = tk(t, em_cosh(x)); break;
    case EM_PRIM_COSH: d = tk(t, em_sinh(x)); break;
    case EM_PRIM_TANH: d = tk(t, em_subtract(sc(t, 1, y), tk(t, em_square(y)))); break;
    case EM_PRIM_ARCSINH: d = tk(t, em_rsqrt(tk(t, em_add(tk(t, em_square(x)), sc(t, 1, x))))); break;
    case EM_PRIM_ARCCOSH: d = tk(t, em_rsqrt(tk(t, em_subtract(tk(t, em_square(x)), sc(t, 1, x))))); break;
    case EM_PRIM_ARCTANH: d = tk(t, em_reciprocal(tk(t, em_subtract(sc(t, 1, x), tk(t, em_square(x)))))); break;
    case EM_PRIM_ERF: /* 2/sqrt(pi) exp(-x^2) */
        d = tk(t, em_multiply(sc(t, M_2_SQRTPI, x), tk(t, em_exp(tk(t, em_negative(tk(t, em_square(x))))))));
        break;
    case EM_PRIM_ERFINV: /* sqrt(pi)/2 exp(y^2) */
        d = tk(t, em_multiply(sc(t, 0.5 * sqrt(M_PI), y), tk(t, em_exp(tk(t, em_square(y))))));
        break;
    case EM_PRIM_SIGMOID: d = tk(t, em_multiply(y, tk(t, em_subtract(sc(t, 1, y), y)))); break;
    case EM_PRIM_NAN_TO_NUM: d = tk(t, ops_cast(tk(t, em_isfinite(x)), x->dtype)); break;
    default: return NULL; /* piecewise constant: sign, floor, ceil, round, predicates */
    }
    if (!d) *err = true;
    return d;
}

/* The linear unary primitives map a cotangent or tangent directly. */
static em_status linear(const em_node *n, const em_array *v, bool reverse, em_array **r) {
    rule_tmp t = {0};
    switch (n->prim) {
    case EM_PRIM_NEGATIVE: *r = em_negative(v); break;
    case EM_PRIM_CONJUGATE: *r = em_conjugate(v); break;
    case EM_PRIM_REAL:
        *r = reverse ? ops_cast(v, EM_COMPLEX64) : em_real(v);
        break;
    case EM_PRIM_IMAG:
        *r = reverse ? em_multiply(v, tk(&t, em_array_from_complex(0, 1))) : em_imag(v);
        break;
    default: *r = NULL; break;
    }
    rule_tmp_free(&t);
    return rule_status(*r);
}

static bool is_linear(em_prim_id p) {
    return p == EM_PRIM_NEGATIVE || p == EM_PRIM_CONJUGATE || p == EM_PRIM_REAL || p == EM_PRIM_IMAG;
}

em_status ops_unary_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, const bool *want, em_array **grads) {
    if (n->prim == EM_PRIM_BITWISE_INVERT) return ops_no_vjp(n);
    if (!want[0]) return EM_OK;
    if (is_linear(n->prim)) return linear(n, cot[0], true, &grads[0]);
    rule_tmp t = {0};
    bool err = false;
    em_array *d = derivative(n, in[0], out[0], &t, &err);
    if (d && d->dtype == EM_COMPLEX64 && n->prim != EM_PRIM_ABS) d = tk(&t, em_conjugate(d));
    if (d) grads[0] = em_multiply(cot[0], d);
    rule_tmp_free(&t);
    return err || (d && !grads[0]) ? em_error_code() : EM_OK;
}

em_status ops_unary_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    if (n->prim == EM_PRIM_BITWISE_INVERT) return ops_no_jvp(n);
    if (is_linear(n->prim)) return linear(n, tan[0], false, &out_tan[0]);
    switch (n->prim) {
    case EM_PRIM_ISNAN: case EM_PRIM_ISFINITE: case EM_PRIM_ISPOSINF: case EM_PRIM_ISNEGINF:
        /* MLX: zeros of the input's float dtype (bool zeros for other inputs) */
        if (dtype_is_inexact(in[0]->dtype)) {
            out_tan[0] = em_zeros(out[0]->shape, out[0]->ndim, in[0]->dtype);
            return rule_status(out_tan[0]);
        }
        return EM_OK;
    default: break;
    }
    rule_tmp t = {0};
    bool err = false;
    em_array *d = derivative(n, in[0], out[0], &t, &err);
    if (d) out_tan[0] = em_multiply(tan[0], d);
    rule_tmp_free(&t);
    return err || (d && !out_tan[0]) ? em_error_code() : EM_OK;
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_unary_vmap(const em_node *n, em_array *const *in, const int *axes,
                         em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
