/* ops_index.c -- module functions of the gather/scatter family: take,
 * take_along_axis, put_along_axis, and the dynamic slice and slice_update.
 * (Indexing with [] and x.at[] live in indexing.c.) */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* An optional axis: None (or not given) sets *has to false. */
static int arg_opt_axis(PyObject *o, const char *fname, int *axis, bool *has) {
    *has = o && o != Py_None;
    return *has ? py_arg_int(o, fname, "axis", axis) : 0;
}

/* A sequence of ints of at most `cap` entries (EM_MAX_NDIM). */
static int arg_int_list(PyObject *o, const char *fname, const char *name, int64_t *v, int *n) {
    PyObject *seq = PySequence_Check(o) ? PySequence_Fast(o, "") : NULL;
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s(): %s must be a sequence of ints, not %.100s.", fname, name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    if (k > EM_MAX_NDIM) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s(): %s has %zd entries, more than the %d allowed.", fname,
                     name, k, EM_MAX_NDIM);
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++)
        if (py_arg_int64(PySequence_Fast_GET_ITEM(seq, i), fname, name, &v[i]) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    *n = (int)k;
    Py_DECREF(seq);
    return 0;
}

static int arg_axes(PyObject *o, const char *fname, int *axes, int *n) {
    int64_t v[EM_MAX_NDIM];
    if (arg_int_list(o, fname, "axes", v, n) < 0) return -1;
    for (int i = 0; i < *n; i++) {
        if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
            PyErr_Format(PyExc_ValueError, "%s(): axis %lld is out of range.", fname, (long long)v[i]);
            return -1;
        }
        axes[i] = (int)v[i];
    }
    return 0;
}

/* Indices: a Python int (a 0-d int32 or int64 array) or anything array-like. */
static em_array *arg_indices(em_state *st, PyObject *o, const char *fname) {
    if (PyLong_Check(o) && !PyBool_Check(o)) return py_to_array(st, o, -1);
    return py_arg_array(st, o, fname, "indices");
}

static PyObject *f_take(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "take", 1, 3, 2, true, "a", "indices", "axis");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = 0;
    bool has;
    if (arg_opt_axis(a[2], "take", &axis, &has) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "take", "a");
    em_array *i = x ? arg_indices(st, a[1], "take") : NULL;
    em_array *r = i ? em_take(x, i, axis, has) : NULL;
    em_array_release(x);
    em_array_release(i);
    return PyErr_Occurred() ? (em_array_release(r), NULL) : py_array_wrap(st, r);
}

static PyObject *f_take_along_axis(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "take_along_axis", 1, 3, 2, true, "a", "indices", "axis");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = -1;
    bool has = true;
    if (a[2] && arg_opt_axis(a[2], "take_along_axis", &axis, &has) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "take_along_axis", "a");
    em_array *i = x ? py_arg_array(st, a[1], "take_along_axis", "indices") : NULL;
    em_array *r = i ? em_take_along_axis(x, i, axis, has) : NULL;
    em_array_release(x);
    em_array_release(i);
    return PyErr_Occurred() ? (em_array_release(r), NULL) : py_array_wrap(st, r);
}

static PyObject *f_put_along_axis(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "put_along_axis", 1, 4, 3, true, "a", "indices", "values", "axis");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = 0;
    bool has;
    if (arg_opt_axis(a[3], "put_along_axis", &axis, &has) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "put_along_axis", "a");
    em_array *i = x ? py_arg_array(st, a[1], "put_along_axis", "indices") : NULL;
    em_array *v = i ? py_arg_array(st, a[2], "put_along_axis", "values") : NULL;
    em_array *r = v ? em_put_along_axis(x, i, v, axis, has) : NULL;
    em_array_release(x);
    em_array_release(i);
    em_array_release(v);
    return PyErr_Occurred() ? (em_array_release(r), NULL) : py_array_wrap(st, r);
}

/* start_indices must be an array (MLX takes nothing else). */
static em_array *arg_start(em_state *st, PyObject *o, const char *fname) {
    if (!py_is_array(st, o)) {
        PyErr_Format(PyExc_TypeError, "%s(): start_indices must be an array, not %.100s.", fname,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    return em_array_retain(py_array_arr(o));
}

static PyObject *f_slice(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "slice", 0, 4, 4, true, "a", "start_indices", "axes", "slice_size");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axes[EM_MAX_NDIM], naxes, nsize;
    int64_t size[EM_MAX_NDIM];
    if (arg_axes(a[2], "slice", axes, &naxes) < 0 ||
        arg_int_list(a[3], "slice", "slice_size", size, &nsize) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], "slice", "a");
    em_array *s = x ? arg_start(st, a[1], "slice") : NULL;
    em_array *r = NULL;
    if (s && nsize != em_array_ndim(x))
        PyErr_Format(PyExc_ValueError, "[slice] Invalid slice size for array with %d dimensions.",
                     em_array_ndim(x));
    else if (s)
        r = em_slice_dynamic(x, s, axes, naxes, size);
    em_array_release(x);
    em_array_release(s);
    return PyErr_Occurred() ? (em_array_release(r), NULL) : py_array_wrap(st, r);
}

static PyObject *f_slice_update(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "slice_update", 0, 4, 4, true, "a", "update", "start_indices", "axes");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axes[EM_MAX_NDIM], naxes;
    if (arg_axes(a[3], "slice_update", axes, &naxes) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "slice_update", "a");
    em_array *u = x ? py_arg_array(st, a[1], "slice_update", "update") : NULL;
    em_array *s = u ? arg_start(st, a[2], "slice_update") : NULL;
    em_array *r = s ? em_slice_update_dynamic(x, u, s, axes, naxes) : NULL;
    em_array_release(x);
    em_array_release(u);
    em_array_release(s);
    return PyErr_Occurred() ? (em_array_release(r), NULL) : py_array_wrap(st, r);
}

PyMethodDef py_index_methods[] = {
    FASTCALL_DEF("take", f_take,
                 "take(a, /, indices, axis=None, *, stream=None)\n--\n\n"
                 "Take elements along an axis (of the flattened array when ``axis`` is None).\n\n"
                 "An index out of range makes evaluation raise IndexError."),
    FASTCALL_DEF("take_along_axis", f_take_along_axis,
                 "take_along_axis(a, /, indices, axis=-1, *, stream=None)\n--\n\n"
                 "Take values along an axis at the specified indices (which broadcast with ``a`` on "
                 "the other axes; ``axis=None`` flattens ``a``)."),
    FASTCALL_DEF("put_along_axis", f_put_along_axis,
                 "put_along_axis(a, /, indices, values, axis=None, *, stream=None)\n--\n\n"
                 "Put values along an axis at the specified indices; returns the new array."),
    FASTCALL_DEF("slice", f_slice,
                 "slice(a, start_indices, axes, slice_size, *, stream=None)\n--\n\n"
                 "Extract the sub-array of shape ``slice_size`` starting at ``start_indices`` "
                 "(an array) along ``axes``."),
    FASTCALL_DEF("slice_update", f_slice_update,
                 "slice_update(a, update, start_indices, axes, *, stream=None)\n--\n\n"
                 "Update the sub-array that starts at ``start_indices`` (an array) along ``axes``; "
                 "returns the new array."),
    {NULL},
};
