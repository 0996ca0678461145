/* ops_reduce.c -- module functions for the reductions: sum, prod, max, min,
 * mean, var, std, all, any, logsumexp, argmax, argmin. */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

typedef em_array *(*reduce_fn)(const em_array *, const int *, int, bool);
typedef em_array *(*moment_fn)(const em_array *, const int *, int, bool, int);
typedef em_array *(*arg_fn)(const em_array *, int, bool, bool);

static const char *const names_reduce[] = {"a", "axis", "keepdims", "ddof"};

/* (a, /, axis=None, keepdims=False[, ddof=0], *, stream=None) */
static PyObject *reduce(const char *fname, reduce_fn fn, moment_fn mfn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    int np = mfn ? 4 : 3;
    py_argspec spec = {fname, names_reduce, np, 1, np, 1, true};
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axes[EM_MAX_NDIM], naxes, ddof = 0;
    bool keepdims = false;
    if (py_arg_axes(a[1], fname, "axis", true, axes, &naxes) < 0 ||
        py_arg_bool(a[2], fname, "keepdims", &keepdims) < 0 ||
        (mfn && py_arg_int(a[3], fname, "ddof", &ddof) < 0))
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = mfn ? mfn(x, axes, naxes, keepdims, ddof) : fn(x, axes, naxes, keepdims);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* (a, /, axis=None, keepdims=False, *, stream=None): one axis, or all. */
static PyObject *argreduce(const char *fname, arg_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    py_argspec spec = {fname, names_reduce, 3, 1, 3, 1, true};
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = 0;
    bool keepdims = false, all = !a[1] || a[1] == Py_None;
    if ((!all && py_arg_int(a[1], fname, "axis", &axis) < 0) ||
        py_arg_bool(a[2], fname, "keepdims", &keepdims) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x, axis, all, keepdims);
    em_array_release(x);
    return py_array_wrap(st, r);
}

#define REDUCE_OPS(X)                                                          \
    X(sum, "Sum reduce the array over the given axes.")                        \
    X(prod, "A product reduction over the given axes.")                        \
    X(max, "A `max` reduction over the given axes.")                           \
    X(min, "A `min` reduction over the given axes.")                           \
    X(mean, "Compute the mean(s) over the given axes.")                        \
    X(all, "An `and` reduction over the given axes.")                          \
    X(any, "An `or` reduction over the given axes.")                           \
    X(logsumexp, "A `log-sum-exp` reduction over the given axes.")

#define DEFINE_REDUCE(name, doc) \
    static PyObject *f_##name(FASTCALL_ARGS) { return reduce(#name, em_##name, NULL, m, args, nargs, kwnames); }
REDUCE_OPS(DEFINE_REDUCE)

static PyObject *f_var(FASTCALL_ARGS) { return reduce("var", NULL, em_var, m, args, nargs, kwnames); }
static PyObject *f_std(FASTCALL_ARGS) { return reduce("std", NULL, em_std, m, args, nargs, kwnames); }
static PyObject *f_argmax(FASTCALL_ARGS) { return argreduce("argmax", em_argmax, m, args, nargs, kwnames); }
static PyObject *f_argmin(FASTCALL_ARGS) { return argreduce("argmin", em_argmin, m, args, nargs, kwnames); }

#define REDUCE_ARGS_DOC                                                        \
    "\n\nArgs:\n    a (array): Input array.\n"                                  \
    "    axis (int or list(int), optional): Optional axis or axes to reduce over.\n" \
    "        If unspecified this defaults to reducing over the entire array.\n" \
    "    keepdims (bool, optional): Keep reduced axes as singleton dimensions,\n" \
    "        defaults to `False`.\n\nReturns:\n    array: The output array."
#define REDUCE_DEF(name, doc)                                                  \
    FASTCALL_DEF(#name, f_##name,                                              \
                 #name "(a, /, axis=None, keepdims=False, *, stream=None)\n--\n\n" doc REDUCE_ARGS_DOC),

PyMethodDef py_reduce_methods[] = {
    REDUCE_OPS(REDUCE_DEF)
    FASTCALL_DEF("var", f_var,
                 "var(a, /, axis=None, keepdims=False, ddof=0, *, stream=None)\n--\n\n"
                 "Compute the variance(s) over the given axes; the divisor is N - ddof."),
    FASTCALL_DEF("std", f_std,
                 "std(a, /, axis=None, keepdims=False, ddof=0, *, stream=None)\n--\n\n"
                 "Compute the standard deviation(s) over the given axes; the divisor is N - ddof."),
    FASTCALL_DEF("argmax", f_argmax,
                 "argmax(a, /, axis=None, keepdims=False, *, stream=None)\n--\n\n"
                 "Indices of the maximum values along the axis (uint32)."),
    FASTCALL_DEF("argmin", f_argmin,
                 "argmin(a, /, axis=None, keepdims=False, *, stream=None)\n--\n\n"
                 "Indices of the minimum values along the axis (uint32)."),
    {NULL},
};
