/* unary.c -- builders of the unary elementwise ops and their dtype rules. */
#include <float.h>
#include <math.h>

#include "ops.h"

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

em_status ops_unary_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, const bool *want, em_array **grads) {
    (void)in, (void)out, (void)cot, (void)want, (void)grads;
    return ops_no_vjp(n);
}

em_status ops_unary_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    (void)in, (void)out, (void)tan, (void)out_tan;
    return ops_no_jvp(n);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_unary_vmap(const em_node *n, em_array *const *in, const int *axes,
                         em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
