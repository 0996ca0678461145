/* args.c -- argument parsing for METH_FASTCALL functions with MLX's parameter
 * names, and the converters for ints, axes, shapes, arrays and streams. */
#include <limits.h>

#include "pyember.h"

int py_parse(em_state *st, const py_argspec *s, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, PyObject **out) {
    py_stream_done(); /* one left by an op that failed before its end */
    for (int i = 0; i < s->nparams; i++) out[i] = NULL;
    if (nargs > s->kw_only) {
        if (s->kw_only == 0)
            PyErr_Format(PyExc_TypeError, "%s() takes no positional arguments (%zd given)",
                         s->fname, nargs);
        else
            PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional argument%s (%zd given)",
                         s->fname, s->kw_only, s->kw_only == 1 ? "" : "s", nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) out[i] = args[i];
    PyObject *stream = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t j = 0; j < nkw; j++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, j), *v = args[nargs + j];
        int found = -1;
        for (int i = s->npos_only; i < s->nparams; i++) {
            if (PyUnicode_CompareWithASCIIString(k, s->names[i]) == 0) {
                found = i;
                break;
            }
        }
        if (found < 0 && s->stream && PyUnicode_CompareWithASCIIString(k, "stream") == 0) {
            stream = v;
            continue;
        }
        if (found < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", s->fname, k);
            return -1;
        }
        if (out[found]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", s->fname,
                         s->names[found]);
            return -1;
        }
        out[found] = v;
    }
    for (int i = 0; i < s->nrequired; i++) {
        if (!out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", s->fname,
                         s->names[i], i + 1);
            return -1;
        }
    }
    if (stream && py_arg_stream(st, stream, s->fname) < 0) return -1;
    return 0;
}

/* ---------------------------------------------------------------- scalars */

static int as_long_long(PyObject *o, const char *fname, const char *name, long long *v) {
    if (PyFloat_Check(o) || !PyIndex_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): %s must be an integer, not %.100s.", fname, name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(o);
    if (!i) return -1;
    int overflow = 0;
    *v = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "%s(): %s is too large.", fname, name);
        return -1;
    }
    return *v == -1 && PyErr_Occurred() ? -1 : 0;
}

int py_arg_int(PyObject *o, const char *fname, const char *name, int *out) {
    if (!o) return 0;
    long long v;
    if (as_long_long(o, fname, name, &v) < 0) return -1;
    if (v < INT_MIN || v > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "%s(): %s is out of range.", fname, name);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int py_arg_int64(PyObject *o, const char *fname, const char *name, int64_t *out) {
    if (!o) return 0;
    long long v;
    if (as_long_long(o, fname, name, &v) < 0) return -1;
    *out = (int64_t)v;
    return 0;
}

int py_arg_double(PyObject *o, const char *fname, const char *name, double *out) {
    if (!o) return 0;
    if (!PyFloat_Check(o) && !PyLong_Check(o) && !PyIndex_Check(o) &&
        !PyObject_HasAttrString(o, "__float__")) {
        PyErr_Format(PyExc_TypeError, "%s(): %s must be a number, not %.100s.", fname, name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

int py_arg_bool(PyObject *o, const char *fname, const char *name, bool *out) {
    if (!o) return 0;
    int r = PyObject_IsTrue(o);
    if (r < 0) return -1;
    *out = r != 0;
    return 0;
}

/* ---------------------------------------------------------------- sequences */

/* Reads an int or a sequence of ints into v (at most cap). */
static int int_list(PyObject *o, const char *fname, const char *name, long long *v, int cap,
                    int *n) {
    if (PyLong_Check(o) || (PyIndex_Check(o) && !PySequence_Check(o))) {
        *n = 1;
        return as_long_long(o, fname, name, v);
    }
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): %s must be an int or a sequence of ints, not %.100s.",
                     fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len > cap) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s(): %s has %zd entries, more than the %d allowed.", fname,
                     name, len, cap);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        if (as_long_long(PySequence_Fast_GET_ITEM(seq, i), fname, name, &v[i]) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *n = (int)len;
    return 0;
}

int py_arg_axes(PyObject *o, const char *fname, const char *name, bool allow_none, int *axes,
                int *n) {
    if (!o || (allow_none && o == Py_None)) {
        *n = -1;
        return 0;
    }
    long long v[EM_MAX_NDIM];
    if (int_list(o, fname, name, v, EM_MAX_NDIM, n) < 0) return -1;
    for (int i = 0; i < *n; i++) {
        if (v[i] < INT_MIN || v[i] > INT_MAX) {
            PyErr_Format(PyExc_ValueError, "%s(): axis %lld is out of range.", fname, v[i]);
            return -1;
        }
        axes[i] = (int)v[i];
    }
    return 0;
}

int py_arg_shape(PyObject *o, const char *fname, const char *name, int64_t *shape, int *ndim) {
    long long v[EM_MAX_NDIM];
    if (int_list(o, fname, name, v, EM_MAX_NDIM, ndim) < 0) return -1;
    for (int i = 0; i < *ndim; i++) shape[i] = (int64_t)v[i];
    return 0;
}

em_array *py_arg_array(em_state *st, PyObject *o, const char *fname, const char *name) {
    if (py_is_array(st, o)) return em_array_retain(py_array_arr(o));
    return py_to_array(st, o, -1);
}
