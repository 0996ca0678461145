/* creation.c -- module functions that create arrays: zeros, ones, full and
 * their _like forms, arange, linspace, eye, identity, tri, tril, triu. */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

static PyObject *filled(const char *fname, em_array *(*fn)(const int64_t *, int, em_dtype),
                        FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"shape", "dtype"};
    py_argspec spec = {fname, names, 2, 0, 2, 1, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t shape[EM_MAX_NDIM];
    int nd, dt = EM_FLOAT32;
    if (py_arg_shape(a[0], fname, "shape", shape, &nd) < 0 ||
        py_arg_dtype(st, a[1], fname, true, &dt) < 0)
        return NULL;
    return py_array_wrap(st, fn(shape, nd, dt < 0 ? EM_FLOAT32 : (em_dtype)dt));
}
static PyObject *f_zeros(FASTCALL_ARGS) { return filled("zeros", em_zeros, m, args, nargs, kwnames); }
static PyObject *f_ones(FASTCALL_ARGS) { return filled("ones", em_ones, m, args, nargs, kwnames); }
static PyObject *f_empty(FASTCALL_ARGS) { return filled("empty", em_zeros, m, args, nargs, kwnames); }

static PyObject *f_full(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "full", 0, 3, 2, true, "shape", "vals", "dtype");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t shape[EM_MAX_NDIM];
    int nd, dt = -1;
    if (py_arg_shape(a[0], "full", "shape", shape, &nd) < 0 ||
        py_arg_dtype(st, a[2], "full", true, &dt) < 0)
        return NULL;
    em_array *v = py_arg_array(st, a[1], "full", "vals");
    if (!v) return NULL;
    em_array *r = em_full(shape, nd, v, dt < 0 ? em_array_dtype(v) : (em_dtype)dt);
    em_array_release(v);
    return py_array_wrap(st, r);
}

static PyObject *filled_like(const char *fname, em_array *(*fn)(const int64_t *, int, em_dtype),
                             FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "dtype"};
    py_argspec spec = {fname, names, 2, 1, 2, 1, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt = -1;
    if (py_arg_dtype(st, a[1], fname, true, &dt) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(em_array_shape(x), em_array_ndim(x), dt < 0 ? em_array_dtype(x) : (em_dtype)dt);
    em_array_release(x);
    return py_array_wrap(st, r);
}
static PyObject *f_zeros_like(FASTCALL_ARGS) { return filled_like("zeros_like", em_zeros, m, args, nargs, kwnames); }
static PyObject *f_ones_like(FASTCALL_ARGS) { return filled_like("ones_like", em_ones, m, args, nargs, kwnames); }
static PyObject *f_empty_like(FASTCALL_ARGS) { return filled_like("empty_like", em_zeros, m, args, nargs, kwnames); }

static PyObject *f_full_like(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "full_like", 0, 3, 2, true, "a", "vals", "dtype");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt = -1;
    if (py_arg_dtype(st, a[2], "full_like", true, &dt) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "full_like", "a");
    if (!x) return NULL;
    em_dtype out = dt < 0 ? em_array_dtype(x) : (em_dtype)dt;
    operand_kind k = py_operand_kind(st, a[1]);
    em_array *v = k == OPND_ARRAY || k == OPND_NONE ? py_arg_array(st, a[1], "full_like", "vals")
                                                    : py_weak_scalar(a[1], k, out);
    em_array *r = v ? em_full(em_array_shape(x), em_array_ndim(x), v, out) : NULL;
    em_array_release(x);
    em_array_release(v);
    return v ? py_array_wrap(st, r) : NULL;
}

/* arange([start,] stop[, step], dtype=None): ints give int32 (int64 when a
 * bound needs it), any float gives float32. */
static PyObject *f_arange(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "arange", 0, 4, 0, true, "start", "stop", "step", "dtype");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    /* A Dtype given positionally ends the numbers. */
    for (int i = 1; i < 3; i++) {
        if (a[i] && i < nargs && py_is_dtype(st, a[i])) {
            if (a[3]) {
                PyErr_SetString(PyExc_TypeError, "arange() got multiple values for argument 'dtype'");
                return NULL;
            }
            a[3] = a[i];
            a[i] = NULL;
            if (i == 1) a[2] = NULL;
        }
    }
    PyObject *start = a[0], *stop = a[1], *step = a[2];
    if (!stop) {
        if (!start) {
            PyErr_SetString(PyExc_TypeError, "arange() missing required argument 'stop'");
            return NULL;
        }
        stop = start;
        start = NULL;
    }
    PyObject *vals[3] = {start, stop, step};
    double v[3] = {0.0, 0.0, 1.0};
    bool any_float = false, wide = false;
    for (int i = 0; i < 3; i++) {
        if (!vals[i] || vals[i] == Py_None) continue;
        if (PyFloat_Check(vals[i])) any_float = true;
        else if (!PyIndex_Check(vals[i])) {
            PyErr_Format(PyExc_TypeError, "arange(): expected a number, got %.100s.",
                         Py_TYPE(vals[i])->tp_name);
            return NULL;
        } else {
            long long iv = PyLong_AsLongLong(vals[i]);
            if (iv == -1 && PyErr_Occurred()) return NULL;
            if (!em_dtype_fits_int(EM_INT32, iv)) wide = true;
        }
        v[i] = PyFloat_AsDouble(vals[i]);
        if (v[i] == -1.0 && PyErr_Occurred()) return NULL;
    }
    int dt = -1;
    if (py_arg_dtype(st, a[3], "arange", true, &dt) < 0) return NULL;
    if (dt < 0) dt = any_float ? EM_FLOAT32 : wide ? EM_INT64 : EM_INT32;
    return py_array_wrap(st, em_arange(v[0], v[1], v[2], (em_dtype)dt));
}

static PyObject *f_linspace(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "linspace", 0, 6, 2, false, "start", "stop", "num", "endpoint", "dtype",
               "stream");
    PyObject *a[6];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    double start, stop;
    int64_t num = 50;
    bool endpoint = true;
    int dt = EM_FLOAT32;
    if (py_arg_double(a[0], "linspace", "start", &start) < 0 ||
        py_arg_double(a[1], "linspace", "stop", &stop) < 0 ||
        py_arg_int64(a[2], "linspace", "num", &num) < 0 ||
        py_arg_bool(a[3], "linspace", "endpoint", &endpoint) < 0 ||
        py_arg_dtype(st, a[4], "linspace", true, &dt) < 0 ||
        (a[5] && py_arg_stream(st, a[5], "linspace") < 0))
        return NULL;
    if (dt < 0) dt = EM_FLOAT32;
    if (endpoint || num <= 0) return py_array_wrap(st, em_linspace(start, stop, num, (em_dtype)dt));
    /* Without the endpoint: the first num of num + 1 points. */
    em_array *full = em_linspace(start, stop, num + 1, (em_dtype)dt);
    int64_t s0 = 0, s1 = num, s2 = 1;
    em_array *r = em_slice(full, &s0, &s1, &s2, 1);
    em_array_release(full);
    return py_array_wrap(st, r);
}

static PyObject *f_eye(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "eye", 0, 4, 1, true, "n", "m", "k", "dtype");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t n, mm = -1, k = 0;
    int dt = EM_FLOAT32;
    if (py_arg_int64(a[0], "eye", "n", &n) < 0 ||
        (a[1] && a[1] != Py_None && py_arg_int64(a[1], "eye", "m", &mm) < 0) ||
        py_arg_int64(a[2], "eye", "k", &k) < 0 || py_arg_dtype(st, a[3], "eye", true, &dt) < 0)
        return NULL;
    return py_array_wrap(st, em_eye(n, mm, k, dt < 0 ? EM_FLOAT32 : (em_dtype)dt));
}

static PyObject *f_tri(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "tri", 0, 4, 1, true, "n", "m", "k", "dtype");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t n, mm = -1, k = 0;
    int dt = EM_FLOAT32;
    if (py_arg_int64(a[0], "tri", "n", &n) < 0 ||
        (a[1] && a[1] != Py_None && py_arg_int64(a[1], "tri", "m", &mm) < 0) ||
        py_arg_int64(a[2], "tri", "k", &k) < 0 || py_arg_dtype(st, a[3], "tri", true, &dt) < 0)
        return NULL;
    return py_array_wrap(st, em_tri(n, mm, k, dt < 0 ? EM_FLOAT32 : (em_dtype)dt));
}

static PyObject *f_identity(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "identity", 0, 2, 1, true, "n", "dtype");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t n;
    int dt = EM_FLOAT32;
    if (py_arg_int64(a[0], "identity", "n", &n) < 0 ||
        py_arg_dtype(st, a[1], "identity", true, &dt) < 0)
        return NULL;
    return py_array_wrap(st, em_identity(n, dt < 0 ? EM_FLOAT32 : (em_dtype)dt));
}

static PyObject *triangle(const char *fname, em_array *(*fn)(const em_array *, int64_t), FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"x", "k"};
    py_argspec spec = {fname, names, 2, 0, 2, 1, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t k = 0;
    if (py_arg_int64(a[1], fname, "k", &k) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "x");
    if (!x) return NULL;
    em_array *r = fn(x, k);
    em_array_release(x);
    return py_array_wrap(st, r);
}
static PyObject *f_tril(FASTCALL_ARGS) { return triangle("tril", em_tril, m, args, nargs, kwnames); }
static PyObject *f_triu(FASTCALL_ARGS) { return triangle("triu", em_triu, m, args, nargs, kwnames); }

/* MLX shows `dtype=float32` as the default; the text signatures say None
 * (which these functions read as float32) because inspect can only evaluate
 * literal defaults. */
PyMethodDef py_creation_methods[] = {
    FASTCALL_DEF("zeros", f_zeros,
                 "zeros(shape, dtype=None, *, stream=None)\n--\n\nConstruct an array of zeros."),
    FASTCALL_DEF("ones", f_ones,
                 "ones(shape, dtype=None, *, stream=None)\n--\n\nConstruct an array of ones."),
    FASTCALL_DEF("empty", f_empty,
                 "empty(shape, dtype=None, *, stream=None)\n--\n\n"
                 "Construct an array of the given shape (zero-filled, as :func:`zeros`)."),
    FASTCALL_DEF("full", f_full,
                 "full(shape, vals, dtype=None, *, stream=None)\n--\n\n"
                 "Construct an array with the given value (broadcast to ``shape``)."),
    FASTCALL_DEF("zeros_like", f_zeros_like,
                 "zeros_like(a, /, dtype=None, *, stream=None)\n--\n\n"
                 "An array of zeros with the same shape (and dtype, unless given) as ``a``."),
    FASTCALL_DEF("ones_like", f_ones_like,
                 "ones_like(a, /, dtype=None, *, stream=None)\n--\n\n"
                 "An array of ones with the same shape (and dtype, unless given) as ``a``."),
    FASTCALL_DEF("empty_like", f_empty_like,
                 "empty_like(a, /, dtype=None, *, stream=None)\n--\n\nSee :func:`zeros_like`."),
    FASTCALL_DEF("full_like", f_full_like,
                 "full_like(a, vals, dtype=None, *, stream=None)\n--\n\n"
                 "An array filled with ``vals``, shaped like ``a``."),
    FASTCALL_DEF("arange", f_arange,
                 "arange(start, stop=None, step=None, dtype=None, *, stream=None)\n--\n\n"
                 "Generates ranges of numbers in the half-open interval ``[start, stop)``\n"
                 "in increments of ``step``; ``arange(stop)`` starts at 0."),
    FASTCALL_DEF("linspace", f_linspace,
                 "linspace(start, stop, num=50, endpoint=True, dtype=None, stream=None)\n--\n\n"
                 "Generate ``num`` evenly spaced numbers over the interval ``[start, stop]``."),
    FASTCALL_DEF("eye", f_eye,
                 "eye(n, m=None, k=0, dtype=None, *, stream=None)\n--\n\n"
                 "Create an identity matrix or a general diagonal matrix."),
    FASTCALL_DEF("identity", f_identity,
                 "identity(n, dtype=None, *, stream=None)\n--\n\nCreate a square identity matrix."),
    FASTCALL_DEF("tri", f_tri,
                 "tri(n, m=None, k=0, dtype=None, *, stream=None)\n--\n\n"
                 "An array with ones at and below the given diagonal and zeros elsewhere."),
    FASTCALL_DEF("tril", f_tril,
                 "tril(x, k=0, *, stream=None)\n--\n\nZeros the array above the given diagonal."),
    FASTCALL_DEF("triu", f_triu,
                 "triu(x, k=0, *, stream=None)\n--\n\nZeros the array below the given diagonal."),
    {NULL},
};
