/* ops_elementwise.c -- module functions for the elementwise ops: unary,
 * binary (with MLX's weak Python scalars), where, clip, round, nan_to_num. */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

typedef em_array *(*unary_fn)(const em_array *);
typedef em_array *(*binary_fn)(const em_array *, const em_array *);

static const char *const names_a[] = {"a"};
static const char *const names_ab[] = {"a", "b"};

static PyObject *unary(const char *fname, unary_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    py_argspec spec = {fname, names_a, 1, 1, 1, 1, true};
    PyObject *a[1];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* `npos_only`: 2 for MLX's (a, b, /) functions, 0 for (a, b). */
static PyObject *binary(const char *fname, binary_fn fn, int npos_only, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    py_argspec spec = {fname, names_ab, 2, npos_only, 2, 2, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x, *y;
    if (py_binary_operands(st, a[0], a[1], &x, &y) < 0) return NULL;
    em_array *r = fn(x, y);
    em_array_release(x);
    em_array_release(y);
    return py_array_wrap(st, r);
}

/* X(python name, C function, doc) */
#define UNARY_OPS(X)                                                                       \
    X(abs, em_abs, "Element-wise absolute value.")                                         \
    X(sign, em_sign, "Element-wise sign.")                                                 \
    X(negative, em_negative, "Element-wise negation.")                                     \
    X(exp, em_exp, "Element-wise exponential.")                                            \
    X(expm1, em_expm1, "Element-wise exponential minus 1, accurate near 0.")               \
    X(log, em_log, "Element-wise natural logarithm.")                                      \
    X(log1p, em_log1p, "Element-wise natural log of one plus the array.")                  \
    X(log2, em_log2, "Element-wise base-2 logarithm.")                                     \
    X(log10, em_log10, "Element-wise base-10 logarithm.")                                  \
    X(sqrt, em_sqrt, "Element-wise square root.")                                          \
    X(rsqrt, em_rsqrt, "Element-wise reciprocal and square root.")                         \
    X(square, em_square, "Element-wise square.")                                           \
    X(reciprocal, em_reciprocal, "Element-wise reciprocal.")                               \
    X(sin, em_sin, "Element-wise sine.")                                                   \
    X(cos, em_cos, "Element-wise cosine.")                                                 \
    X(tan, em_tan, "Element-wise tangent.")                                                \
    X(arcsin, em_arcsin, "Element-wise inverse sine.")                                     \
    X(arccos, em_arccos, "Element-wise inverse cosine.")                                   \
    X(arctan, em_arctan, "Element-wise inverse tangent.")                                  \
    X(sinh, em_sinh, "Element-wise hyperbolic sine.")                                      \
    X(cosh, em_cosh, "Element-wise hyperbolic cosine.")                                    \
    X(tanh, em_tanh, "Element-wise hyperbolic tangent.")                                   \
    X(arcsinh, em_arcsinh, "Element-wise inverse hyperbolic sine.")                        \
    X(arccosh, em_arccosh, "Element-wise inverse hyperbolic cosine.")                      \
    X(arctanh, em_arctanh, "Element-wise inverse hyperbolic tangent.")                     \
    X(erf, em_erf, "Element-wise error function.")                                         \
    X(erfinv, em_erfinv, "Element-wise inverse of the error function.")                    \
    X(sigmoid, em_sigmoid, "Element-wise logistic sigmoid 1 / (1 + exp(-a)).")             \
    X(floor, em_floor, "Element-wise floor.")                                              \
    X(ceil, em_ceil, "Element-wise ceil.")                                                 \
    X(degrees, em_degrees, "Convert angles from radians to degrees.")                      \
    X(radians, em_radians, "Convert angles from degrees to radians.")                      \
    X(isnan, em_isnan, "Return a boolean array indicating which elements are NaN.")        \
    X(isinf, em_isinf, "Return a boolean array indicating which elements are +/- inifnity.") \
    X(isfinite, em_isfinite, "Return a boolean array indicating which elements are finite.") \
    X(isposinf, em_isposinf, "Return a boolean array indicating which elements are positive infinity.") \
    X(isneginf, em_isneginf, "Return a boolean array indicating which elements are negative infinity.") \
    X(logical_not, em_logical_not, "Element-wise logical not.")                            \
    X(bitwise_invert, em_bitwise_invert, "Element-wise bitwise inverse.")                  \
    X(conjugate, em_conjugate, "Return the elementwise complex conjugate of the input.")   \
    X(real, em_real, "Returns the real part of a complex array.")                          \
    X(imag, em_imag, "Returns the imaginary part of a complex array.")

/* X(python name, C function, positional-only count, doc) */
#define BINARY_OPS(X)                                                                      \
    X(add, em_add, 0, "Element-wise addition.")                                            \
    X(subtract, em_subtract, 0, "Element-wise subtraction.")                               \
    X(multiply, em_multiply, 0, "Element-wise multiplication.")                            \
    X(divide, em_divide, 0, "Element-wise division.")                                      \
    X(floor_divide, em_floor_divide, 0, "Element-wise integer division.")                  \
    X(remainder, em_remainder, 0, "Element-wise remainder of division (sign of the divisor).") \
    X(power, em_power, 2, "Element-wise power operation.")                                 \
    X(maximum, em_maximum, 2, "Element-wise maximum.")                                     \
    X(minimum, em_minimum, 2, "Element-wise minimum.")                                     \
    X(logaddexp, em_logaddexp, 2, "Element-wise log-add-exp: log(exp(a) + exp(b)), stably.") \
    X(arctan2, em_arctan2, 2, "Element-wise inverse tangent of the ratio of two arrays.")  \
    X(equal, em_equal, 0, "Element-wise equality.")                                        \
    X(not_equal, em_not_equal, 0, "Element-wise not equal.")                               \
    X(less, em_less, 0, "Element-wise less than.")                                         \
    X(less_equal, em_less_equal, 0, "Element-wise less than or equal.")                    \
    X(greater, em_greater, 0, "Element-wise greater than.")                                \
    X(greater_equal, em_greater_equal, 0, "Element-wise greater or equal.")                \
    X(logical_and, em_logical_and, 2, "Element-wise logical and.")                         \
    X(logical_or, em_logical_or, 2, "Element-wise logical or.")                            \
    X(bitwise_and, em_bitwise_and, 0, "Element-wise bitwise and.")                         \
    X(bitwise_or, em_bitwise_or, 0, "Element-wise bitwise or.")                            \
    X(bitwise_xor, em_bitwise_xor, 0, "Element-wise bitwise xor.")                         \
    X(left_shift, em_left_shift, 0, "Element-wise left shift.")                            \
    X(right_shift, em_right_shift, 0, "Element-wise right shift.")

#define DEFINE_UNARY(name, fn, doc) \
    static PyObject *f_##name(FASTCALL_ARGS) { return unary(#name, fn, m, args, nargs, kwnames); }
#define DEFINE_BINARY(name, fn, npos, doc) \
    static PyObject *f_##name(FASTCALL_ARGS) { return binary(#name, fn, npos, m, args, nargs, kwnames); }
UNARY_OPS(DEFINE_UNARY)
BINARY_OPS(DEFINE_BINARY)

/* Identity (+a): the same value. */
static em_array *positive(const em_array *a) { return em_array_retain((em_array *)a); }
static PyObject *f_positive(FASTCALL_ARGS) { return unary("positive", positive, m, args, nargs, kwnames); }

static PyObject *f_round(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "round", 1, 2, 1, true, "a", "decimals");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int decimals = 0;
    if (py_arg_int(a[1], "round", "decimals", &decimals) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "round", "a");
    if (!x) return NULL;
    em_array *r = em_round(x, decimals);
    em_array_release(x);
    return py_array_wrap(st, r);
}

static int optional_double(PyObject *o, const char *name, double *v, const double **p) {
    *p = NULL;
    if (!o || o == Py_None) return 0;
    if (py_arg_double(o, "nan_to_num", name, v) < 0) return -1;
    *p = v;
    return 0;
}

static PyObject *f_nan_to_num(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "nan_to_num", 0, 4, 1, true, "a", "nan", "posinf", "neginf");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    double nan = 0.0, pinf, ninf;
    const double *pp, *pn;
    if (py_arg_double(a[1], "nan_to_num", "nan", &nan) < 0 ||
        optional_double(a[2], "posinf", &pinf, &pp) < 0 ||
        optional_double(a[3], "neginf", &ninf, &pn) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], "nan_to_num", "a");
    if (!x) return NULL;
    em_array *r = em_nan_to_num(x, nan, pp, pn);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* where(condition, x, y): x and y meet as the operands of a binary op do. */
static PyObject *f_where(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "where", 3, 3, 3, true, "condition", "x", "y");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *c = py_arg_array(st, a[0], "where", "condition"), *x, *y;
    if (!c) return NULL;
    if (py_binary_operands(st, a[1], a[2], &x, &y) < 0) {
        em_array_release(c);
        return NULL;
    }
    em_array *r = em_where(c, x, y);
    em_array_release(c);
    em_array_release(x);
    em_array_release(y);
    return py_array_wrap(st, r);
}

/* clip(a, /, a_min, a_max): bounds may be None; scalar bounds are weak. */
static PyObject *f_clip(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "clip", 1, 3, 3, true, "a", "a_min", "a_max");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "clip", "a");
    if (!x) return NULL;
    em_array *b[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        PyObject *o = a[1 + i];
        if (o == Py_None) continue;
        operand_kind k = py_operand_kind(st, o);
        b[i] = k == OPND_ARRAY || k == OPND_NONE ? py_arg_array(st, o, "clip", "a_min")
                                                 : py_weak_scalar(o, k, em_array_dtype(x));
        if (!b[i]) {
            em_array_release(x);
            em_array_release(b[0]);
            return NULL;
        }
    }
    em_array *r = em_clip(x, b[0], b[1]);
    em_array_release(x);
    em_array_release(b[0]);
    em_array_release(b[1]);
    return py_array_wrap(st, r);
}

/* divmod(a, b): (floor_divide(a, b), remainder(a, b)). */
static PyObject *f_divmod(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "divmod", 0, 2, 2, true, "a", "b");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x, *y;
    if (py_binary_operands(st, a[0], a[1], &x, &y) < 0) return NULL;
    /* both built before either is wrapped: wrapping ends the op's stream= */
    em_array *cq = em_floor_divide(x, y), *cr = cq ? em_remainder(x, y) : NULL;
    em_array_release(x);
    em_array_release(y);
    if (!cr) {
        em_array_release(cq);
        return py_raise_ember();
    }
    PyObject *q = py_array_wrap(st, cq);
    if (!q) {
        em_array_release(cr);
        return NULL;
    }
    PyObject *r = py_array_wrap(st, cr);
    if (!r) {
        Py_DECREF(q);
        return NULL;
    }
    return Py_BuildValue("(NN)", q, r);
}

static PyObject *f_astype(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "astype", 2, 2, 2, true, "a", "dtype");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt;
    if (py_arg_dtype(st, a[1], "astype", false, &dt) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "astype", "a");
    if (!x) return NULL;
    em_array *r = em_astype(x, (em_dtype)dt);
    em_array_release(x);
    return py_array_wrap(st, r);
}

#define UNARY_DEF(name, fn, doc) \
    FASTCALL_DEF(#name, f_##name, #name "(a, /, *, stream=None)\n--\n\n" doc),
#define BINARY_SIG_0 "(a, b, *, stream=None)"
#define BINARY_SIG_2 "(a, b, /, *, stream=None)"
#define BINARY_DEF(name, fn, npos, doc)                                                    \
    FASTCALL_DEF(#name, f_##name,                                                          \
                 #name BINARY_SIG_##npos "\n--\n\n" doc                                    \
                       "\n\nPython scalars are weakly typed: they take the dtype of the array operand."),

/* Aliases of the same C functions under MLX's Array-API names. */
#define ALIAS_UNARY(alias, name) \
    FASTCALL_DEF(#alias, f_##name, #alias "(a, /, *, stream=None)\n--\n\nAlias of :func:`" #name "`."),
#define ALIAS_BINARY(alias, name) \
    FASTCALL_DEF(#alias, f_##name, #alias "(a, b, /, *, stream=None)\n--\n\nAlias of :func:`" #name "`."),

PyMethodDef py_elementwise_methods[] = {
    UNARY_OPS(UNARY_DEF)
    BINARY_OPS(BINARY_DEF)
    ALIAS_UNARY(conj, conjugate)
    ALIAS_UNARY(asin, arcsin)
    ALIAS_UNARY(acos, arccos)
    ALIAS_UNARY(atan, arctan)
    ALIAS_UNARY(asinh, arcsinh)
    ALIAS_UNARY(acosh, arccosh)
    ALIAS_UNARY(atanh, arctanh)
    ALIAS_BINARY(atan2, arctan2)
    ALIAS_BINARY(pow, power)
    ALIAS_BINARY(bitwise_left_shift, left_shift)
    ALIAS_BINARY(bitwise_right_shift, right_shift)
    FASTCALL_DEF("positive", f_positive, "positive(a, /, *, stream=None)\n--\n\nElement-wise +a."),
    FASTCALL_DEF("round", f_round,
                 "round(a, /, decimals=0, *, stream=None)\n--\n\n"
                 "Round to the given number of decimals (halves to even)."),
    FASTCALL_DEF("nan_to_num", f_nan_to_num,
                 "nan_to_num(a, nan=0.0, posinf=None, neginf=None, *, stream=None)\n--\n\n"
                 "Replace NaN and Inf values with finite numbers."),
    FASTCALL_DEF("where", f_where,
                 "where(condition, x, y, /, *, stream=None)\n--\n\n"
                 "Select from ``x`` or ``y`` according to ``condition``."),
    FASTCALL_DEF("clip", f_clip,
                 "clip(a, /, a_min, a_max, *, stream=None)\n--\n\n"
                 "Clip the values of the array between the given minimum and maximum."),
    FASTCALL_DEF("divmod", f_divmod,
                 "divmod(a, b, *, stream=None)\n--\n\n"
                 "Element-wise quotient and remainder: (a // b, a % b)."),
    FASTCALL_DEF("astype", f_astype,
                 "astype(a, dtype, /, *, stream=None)\n--\n\nCast an array to a dtype."),
    {NULL},
};
