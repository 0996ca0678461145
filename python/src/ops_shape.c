/* ops_shape.c -- module functions for shape manipulation, joining and
 * splitting: reshape, flatten, squeeze, transpose, broadcast, concatenate,
 * stack, split, pad, tile, repeat, flip, atleast_*d, unstack. */
#include <string.h>

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* Parses the spec, converts args[0] to an array into *x. */
static int parse_a(em_state *st, const py_argspec *spec, FASTCALL_ARGS, PyObject **a, em_array **x) {
    if (py_parse(st, spec, args, nargs, kwnames, a) < 0) return -1;
    *x = py_arg_array(st, a[0], spec->fname, spec->names[0]);
    return *x ? 0 : -1;
}

static PyObject *done(em_state *st, em_array *x, em_array *r) {
    em_array_release(x);
    return py_array_wrap(st, r);
}

static PyObject *fail(em_array *x) {
    em_array_release(x);
    return NULL;
}

/* A list of new references as a Python list (steals them all). */
static PyObject *array_list(em_state *st, em_array **arrs, size_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    size_t i = 0;
    for (; l && i < n; i++) {
        PyObject *o = py_array_wrap(st, arrs[i]);
        if (!o) {
            Py_CLEAR(l);
            i++;
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, o);
    }
    for (; i < n; i++) em_array_release(arrs[i]);
    return l;
}

static PyObject *f_reshape(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "reshape", 1, 2, 2, true, "a", "shape");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int64_t shape[EM_MAX_NDIM];
    int nd;
    if (py_arg_shape(a[1], "reshape", "shape", shape, &nd) < 0) return fail(x);
    return done(st, x, em_reshape(x, shape, nd));
}

static PyObject *f_flatten(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "flatten", 1, 3, 1, true, "a", "start_axis", "end_axis");
    PyObject *a[3];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int s = 0, e = -1;
    if (py_arg_int(a[1], "flatten", "start_axis", &s) < 0 ||
        py_arg_int(a[2], "flatten", "end_axis", &e) < 0)
        return fail(x);
    return done(st, x, em_flatten(x, s, e));
}

static PyObject *f_unflatten(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "unflatten", 1, 3, 3, true, "a", "axis", "shape");
    PyObject *a[3];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axis;
    int64_t shape[EM_MAX_NDIM];
    int nd;
    if (py_arg_int(a[1], "unflatten", "axis", &axis) < 0 ||
        py_arg_shape(a[2], "unflatten", "shape", shape, &nd) < 0)
        return fail(x);
    return done(st, x, em_unflatten(x, axis, shape, nd));
}

static PyObject *f_squeeze(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "squeeze", 1, 2, 1, true, "a", "axis");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axes[EM_MAX_NDIM], n;
    if (py_arg_axes(a[1], "squeeze", "axis", true, axes, &n) < 0) return fail(x);
    return done(st, x, em_squeeze(x, axes, n));
}

static PyObject *f_expand_dims(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "expand_dims", 1, 2, 2, true, "a", "axis");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axes[EM_MAX_NDIM], n;
    if (py_arg_axes(a[1], "expand_dims", "axis", false, axes, &n) < 0) return fail(x);
    return done(st, x, em_expand_dims(x, axes, n));
}

static PyObject *transpose_impl(const char *fname, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "axes"};
    py_argspec spec = {fname, names, 2, 1, 2, 1, true};
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axes[EM_MAX_NDIM], n;
    if (py_arg_axes(a[1], fname, "axes", true, axes, &n) < 0) return fail(x);
    return done(st, x, n < 0 ? em_transpose(x, NULL, 0) : em_transpose(x, axes, n));
}
static PyObject *f_transpose(FASTCALL_ARGS) { return transpose_impl("transpose", m, args, nargs, kwnames); }
static PyObject *f_permute_dims(FASTCALL_ARGS) { return transpose_impl("permute_dims", m, args, nargs, kwnames); }

static PyObject *two_ints(const char *fname, const char *n1, const char *n2,
                          em_array *(*fn)(const em_array *, int, int), FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *names[] = {"a", n1, n2};
    py_argspec spec = {fname, names, 3, 1, 3, 3, true};
    PyObject *a[3];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int i, j;
    if (py_arg_int(a[1], fname, n1, &i) < 0 || py_arg_int(a[2], fname, n2, &j) < 0) return fail(x);
    return done(st, x, fn(x, i, j));
}
static PyObject *f_swapaxes(FASTCALL_ARGS) {
    return two_ints("swapaxes", "axis1", "axis2", em_swapaxes, m, args, nargs, kwnames);
}
static PyObject *f_moveaxis(FASTCALL_ARGS) {
    return two_ints("moveaxis", "source", "destination", em_moveaxis, m, args, nargs, kwnames);
}

static PyObject *f_broadcast_to(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "broadcast_to", 1, 2, 2, true, "a", "shape");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int64_t shape[EM_MAX_NDIM];
    int nd;
    if (py_arg_shape(a[1], "broadcast_to", "shape", shape, &nd) < 0) return fail(x);
    return done(st, x, em_broadcast_to(x, shape, nd));
}

/* Converts a sequence of array-likes; writes new references to *out
 * (PyMem_Malloc'd, freed with free_arrays). */
static int array_seq(em_state *st, PyObject *o, const char *fname, em_array ***out, size_t *n) {
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq) {
        PyErr_Format(PyExc_TypeError, "%s(): expected a list or tuple of arrays.", fname);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    em_array **arr = PyMem_Calloc((size_t)(len ? len : 1), sizeof *arr);
    if (!arr) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        arr[i] = py_arg_array(st, PySequence_Fast_GET_ITEM(seq, i), fname, "arrays");
        if (!arr[i]) {
            for (Py_ssize_t j = 0; j < i; j++) em_array_release(arr[j]);
            PyMem_Free(arr);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = arr;
    *n = (size_t)len;
    return 0;
}

static void free_arrays(em_array **arr, size_t n) {
    for (size_t i = 0; i < n; i++) em_array_release(arr[i]);
    PyMem_Free(arr);
}

static PyObject *f_broadcast_arrays(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                                    PyObject *kwnames) {
    em_state *st = state_of_module(m);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, i), "stream") != 0) {
            PyErr_Format(PyExc_TypeError, "broadcast_arrays() got an unexpected keyword argument '%U'",
                         PyTuple_GET_ITEM(kwnames, i));
            return NULL;
        }
        if (py_arg_stream(st, args[nargs + i], "broadcast_arrays") < 0) return NULL;
    }
    PyObject *all = PyTuple_New(nargs);
    if (!all) return NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) PyTuple_SET_ITEM(all, i, Py_NewRef(args[i]));
    em_array **in;
    size_t n;
    int rc = array_seq(st, all, "broadcast_arrays", &in, &n);
    Py_DECREF(all);
    if (rc < 0) return NULL;
    em_array **out = PyMem_Calloc(n ? n : 1, sizeof *out);
    if (!out) {
        free_arrays(in, n);
        return PyErr_NoMemory();
    }
    em_status s = em_broadcast_arrays((const em_array *const *)in, n, out);
    free_arrays(in, n);
    if (s != EM_OK) {
        PyMem_Free(out);
        return py_raise_ember();
    }
    PyObject *l = array_list(st, out, n);
    PyMem_Free(out);
    return l;
}

typedef em_array *(*join_fn)(const em_array *const *, size_t, int);

static PyObject *join(const char *fname, join_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"arrays", "axis"};
    py_argspec spec = {fname, names, 2, 0, 2, 1, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = 0;
    if (py_arg_int(a[1], fname, "axis", &axis) < 0) return NULL;
    em_array **in;
    size_t n;
    if (array_seq(st, a[0], fname, &in, &n) < 0) return NULL;
    em_array *r = fn((const em_array *const *)in, n, axis);
    free_arrays(in, n);
    return py_array_wrap(st, r);
}
static PyObject *f_concatenate(FASTCALL_ARGS) { return join("concatenate", em_concatenate, m, args, nargs, kwnames); }
static PyObject *f_concat(FASTCALL_ARGS) { return join("concat", em_concatenate, m, args, nargs, kwnames); }
static PyObject *f_stack(FASTCALL_ARGS) { return join("stack", em_stack, m, args, nargs, kwnames); }

/* split into `sections` parts or at `indices` (NULL for sections). */
static PyObject *split_impl(em_state *st, em_array *x, int64_t sections, const int64_t *idx,
                            int nidx, int axis) {
    size_t cap = idx ? (size_t)nidx + 1 : (size_t)(sections > 0 ? sections : 1);
    em_array **out = PyMem_Calloc(cap, sizeof *out);
    if (!out) return PyErr_NoMemory();
    size_t n = 0;
    em_status s = em_split(x, sections, idx, nidx, axis, out, cap, &n);
    if (s != EM_OK) {
        PyMem_Free(out);
        return py_raise_ember();
    }
    PyObject *l = array_list(st, out, n);
    PyMem_Free(out);
    return l;
}

static PyObject *f_split(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "split", 1, 3, 2, true, "a", "indices_or_sections", "axis");
    PyObject *a[3];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axis = 0;
    if (py_arg_int(a[2], "split", "axis", &axis) < 0) return fail(x);
    PyObject *r;
    if (PyList_Check(a[1]) || PyTuple_Check(a[1])) {
        Py_ssize_t len = PySequence_Fast_GET_SIZE(a[1]);
        int64_t *idx = PyMem_Malloc((size_t)(len ? len : 1) * sizeof *idx);
        if (!idx) {
            em_array_release(x);
            return PyErr_NoMemory();
        }
        for (Py_ssize_t i = 0; i < len; i++) {
            if (py_arg_int64(PySequence_Fast_GET_ITEM(a[1], i), "split", "indices_or_sections",
                             &idx[i]) < 0) {
                PyMem_Free(idx);
                return fail(x);
            }
        }
        r = split_impl(st, x, 0, idx, (int)len, axis);
        PyMem_Free(idx);
    } else {
        int64_t sections;
        if (py_arg_int64(a[1], "split", "indices_or_sections", &sections) < 0) return fail(x);
        r = split_impl(st, x, sections, NULL, 0, axis);
    }
    em_array_release(x);
    return r;
}

static PyObject *f_unstack(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "unstack", 1, 1, 1, true, "x", "axis");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axis = 0;
    if (py_arg_int(a[1], "unstack", "axis", &axis) < 0) return fail(x);
    int nd = em_array_ndim(x);
    if (nd == 0 || axis < -nd || axis >= nd) {
        em_array_release(x);
        PyErr_Format(PyExc_ValueError, "[unstack] Invalid axis %d for array with %d dimensions.",
                     axis, nd);
        return NULL;
    }
    int64_t len = em_array_dim(x, axis);
    PyObject *parts = len > 0 ? split_impl(st, x, len, NULL, 0, axis) : PyList_New(0);
    em_array_release(x);
    if (!parts) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(parts); i++) {
        PyObject *p = PyList_GET_ITEM(parts, i);
        PyObject *q = py_array_wrap(st, em_squeeze(py_array_arr(p), &axis, 1));
        if (!q) {
            Py_DECREF(parts);
            return NULL;
        }
        PyList_SetItem(parts, i, q);
    }
    PyObject *t = PyList_AsTuple(parts);
    Py_DECREF(parts);
    return t;
}

/* Pad widths: n, (n,), (before, after), or one pair per axis. */
static int pad_widths(PyObject *o, int64_t *w, int *npairs) {
    int64_t flat[2 * EM_MAX_NDIM];
    if (PyLong_Check(o) || (PyIndex_Check(o) && !PySequence_Check(o))) {
        if (py_arg_int64(o, "pad", "pad_width", &flat[0]) < 0) return -1;
        w[0] = w[1] = flat[0];
        *npairs = 1;
        return 0;
    }
    PyObject *seq = PySequence_Fast(o, "pad(): pad_width must be an int or a sequence.");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int rc = 0;
    if (n > EM_MAX_NDIM) {
        PyErr_SetString(PyExc_ValueError, "[pad] Too many pad widths.");
        rc = -1;
    } else if (n >= 1 && PySequence_Check(PySequence_Fast_GET_ITEM(seq, 0))) {
        for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
            int64_t pair[EM_MAX_NDIM];
            int k;
            rc = py_arg_shape(PySequence_Fast_GET_ITEM(seq, i), "pad", "pad_width", pair, &k);
            if (rc == 0 && k != 1 && k != 2) {
                PyErr_SetString(PyExc_ValueError, "[pad] Each pad width must be (before, after).");
                rc = -1;
            }
            if (rc == 0) {
                w[2 * i] = pair[0];
                w[2 * i + 1] = pair[k - 1];
            }
        }
        *npairs = (int)n;
    } else if (n == 1 || n == 2) {
        for (Py_ssize_t i = 0; i < n && rc == 0; i++)
            rc = py_arg_int64(PySequence_Fast_GET_ITEM(seq, i), "pad", "pad_width", &flat[i]);
        w[0] = flat[0];
        w[1] = flat[n - 1];
        *npairs = 1;
    } else {
        PyErr_SetString(PyExc_ValueError, "[pad] Invalid pad_width.");
        rc = -1;
    }
    Py_DECREF(seq);
    return rc;
}

static PyObject *f_pad(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "pad", 0, 4, 2, true, "a", "pad_width", "mode", "constant_values");
    PyObject *a[4];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int64_t w[2 * EM_MAX_NDIM];
    int npairs;
    if (pad_widths(a[1], w, &npairs) < 0) return fail(x);
    em_pad_mode mode = EM_PAD_CONSTANT;
    if (a[2]) {
        const char *s = PyUnicode_Check(a[2]) ? PyUnicode_AsUTF8(a[2]) : NULL;
        if (!s) {
            PyErr_SetString(PyExc_TypeError, "pad(): mode must be a string.");
            return fail(x);
        }
        if (!strcmp(s, "edge")) mode = EM_PAD_EDGE;
        else if (strcmp(s, "constant") != 0) {
            PyErr_Format(PyExc_ValueError,
                         "[pad] Invalid padding mode (%s) passed to pad (supported: constant, edge)",
                         s);
            return fail(x);
        }
    }
    em_array *v = NULL;
    if (a[3]) {
        operand_kind k = py_operand_kind(st, a[3]);
        v = k == OPND_ARRAY || k == OPND_NONE ? py_arg_array(st, a[3], "pad", "constant_values")
                                              : py_weak_scalar(a[3], k, em_array_dtype(x));
        if (!v) return fail(x);
    }
    em_array *r = em_pad(x, w, npairs, mode, v);
    em_array_release(v);
    return done(st, x, r);
}

static PyObject *f_tile(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "tile", 2, 2, 2, true, "a", "reps");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int64_t reps[EM_MAX_NDIM];
    int n;
    if (py_arg_shape(a[1], "tile", "reps", reps, &n) < 0) return fail(x);
    return done(st, x, em_tile(x, reps, n));
}

static PyObject *f_repeat(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "repeat", 0, 3, 2, true, "array", "repeats", "axis");
    PyObject *a[3];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int64_t repeats;
    int axis = 0;
    bool has_axis = a[2] && a[2] != Py_None;
    if (py_arg_int64(a[1], "repeat", "repeats", &repeats) < 0 ||
        (has_axis && py_arg_int(a[2], "repeat", "axis", &axis) < 0))
        return fail(x);
    return done(st, x, em_repeat(x, repeats, has_axis ? &axis : NULL));
}

/* flip: a slice with step -1 along the axes (all when None). */
static PyObject *f_flip(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "flip", 1, 2, 1, true, "a", "axis");
    PyObject *a[2];
    em_array *x;
    if (parse_a(st, &spec, m, args, nargs, kwnames, a, &x) < 0) return NULL;
    int axes[EM_MAX_NDIM], n, nd = em_array_ndim(x);
    if (py_arg_axes(a[1], "flip", "axis", true, axes, &n) < 0) return fail(x);
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM], step[EM_MAX_NDIM];
    bool flip[EM_MAX_NDIM] = {false};
    for (int i = 0; i < (n < 0 ? nd : n); i++) {
        int ax = n < 0 ? i : axes[i];
        if (ax < -nd || ax >= nd) {
            PyErr_Format(PyExc_ValueError, "[flip] Invalid axis %d for array with %d dimensions.",
                         ax, nd);
            return fail(x);
        }
        flip[ax < 0 ? ax + nd : ax] = true;
    }
    for (int i = 0; i < nd; i++) {
        int64_t d = em_array_dim(x, i);
        start[i] = flip[i] ? d - 1 : 0;
        stop[i] = flip[i] ? -d - 1 : d; /* -d-1: before the first element */
        step[i] = flip[i] ? -1 : 1;
    }
    return done(st, x, em_slice(x, start, stop, step, nd));
}

/* atleast_Nd: 0-d -> (1,..), 1-d (n) -> (1, n[, 1]), 2-d (m, n) -> (m, n, 1). */
static PyObject *atleast(int want, const char *fname, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, i), "stream") != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname,
                         PyTuple_GET_ITEM(kwnames, i));
            return NULL;
        }
        if (py_arg_stream(st, args[nargs + i], fname) < 0) return NULL;
    }
    PyObject *out = PyList_New(nargs);
    for (Py_ssize_t i = 0; out && i < nargs; i++) {
        em_array *x = py_arg_array(st, args[i], fname, "arys"), *r = NULL;
        if (x) {
            int nd = em_array_ndim(x);
            const int64_t *s = em_array_shape(x);
            int64_t shape[3] = {1, 1, 1};
            if (nd >= want) r = em_array_retain(x);
            else {
                if (nd == 1) shape[1] = s[0];
                if (nd == 2) shape[0] = s[0], shape[1] = s[1];
                r = em_reshape(x, shape, want);
            }
            em_array_release(x);
        }
        PyObject *o = x ? py_array_wrap(st, r) : NULL;
        if (!o) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, o);
    }
    if (out && nargs == 1) {
        PyObject *one = Py_NewRef(PyList_GET_ITEM(out, 0));
        Py_DECREF(out);
        return one;
    }
    return out;
}
static PyObject *f_atleast_1d(FASTCALL_ARGS) { return atleast(1, "atleast_1d", m, args, nargs, kwnames); }
static PyObject *f_atleast_2d(FASTCALL_ARGS) { return atleast(2, "atleast_2d", m, args, nargs, kwnames); }
static PyObject *f_atleast_3d(FASTCALL_ARGS) { return atleast(3, "atleast_3d", m, args, nargs, kwnames); }

PyMethodDef py_shape_methods[] = {
    FASTCALL_DEF("reshape", f_reshape,
                 "reshape(a, /, shape, *, stream=None)\n--\n\nReshape an array while preserving the size."),
    FASTCALL_DEF("flatten", f_flatten,
                 "flatten(a, /, start_axis=0, end_axis=-1, *, stream=None)\n--\n\n"
                 "Flatten an array, from ``start_axis`` to ``end_axis`` (inclusive)."),
    FASTCALL_DEF("unflatten", f_unflatten,
                 "unflatten(a, /, axis, shape, *, stream=None)\n--\n\n"
                 "Unflatten an axis of an array to a shape."),
    FASTCALL_DEF("squeeze", f_squeeze,
                 "squeeze(a, /, axis=None, *, stream=None)\n--\n\nRemove length one axes from an array."),
    FASTCALL_DEF("expand_dims", f_expand_dims,
                 "expand_dims(a, /, axis, *, stream=None)\n--\n\nAdd a size one dimension at the given axis."),
    FASTCALL_DEF("transpose", f_transpose,
                 "transpose(a, /, axes=None, *, stream=None)\n--\n\n"
                 "Transpose the dimensions of the array (reversed when ``axes`` is None)."),
    FASTCALL_DEF("permute_dims", f_permute_dims,
                 "permute_dims(a, /, axes=None, *, stream=None)\n--\n\nSee :func:`transpose`."),
    FASTCALL_DEF("swapaxes", f_swapaxes,
                 "swapaxes(a, /, axis1, axis2, *, stream=None)\n--\n\nSwap two axes of an array."),
    FASTCALL_DEF("moveaxis", f_moveaxis,
                 "moveaxis(a, /, source, destination, *, stream=None)\n--\n\n"
                 "Move an axis to a new position."),
    FASTCALL_DEF("broadcast_to", f_broadcast_to,
                 "broadcast_to(a, /, shape, *, stream=None)\n--\n\nBroadcast an array to the given shape."),
    FASTCALL_DEF("broadcast_arrays", f_broadcast_arrays,
                 "broadcast_arrays(*arrays, stream=None)\n--\n\nBroadcast arrays against one another."),
    FASTCALL_DEF("concatenate", f_concatenate,
                 "concatenate(arrays, axis=0, *, stream=None)\n--\n\n"
                 "Concatenate the arrays along the given axis."),
    FASTCALL_DEF("concat", f_concat,
                 "concat(arrays, axis=0, *, stream=None)\n--\n\nSee :func:`concatenate`."),
    FASTCALL_DEF("stack", f_stack,
                 "stack(arrays, axis=0, *, stream=None)\n--\n\nStacks the arrays along a new axis."),
    FASTCALL_DEF("split", f_split,
                 "split(a, /, indices_or_sections, axis=0, *, stream=None)\n--\n\n"
                 "Split an array along a given axis, into equal sections or at the indices."),
    FASTCALL_DEF("unstack", f_unstack,
                 "unstack(x, /, *, axis=0, stream=None)\n--\n\n"
                 "Split an array into a list of arrays along an axis, removing it."),
    FASTCALL_DEF("pad", f_pad,
                 "pad(a, pad_width, mode='constant', constant_values=0, *, stream=None)\n--\n\n"
                 "Pad an array with a constant value ('constant') or its edge values ('edge')."),
    FASTCALL_DEF("tile", f_tile,
                 "tile(a, reps, /, *, stream=None)\n--\n\nConstruct an array by repeating ``a``."),
    FASTCALL_DEF("repeat", f_repeat,
                 "repeat(array, repeats, axis=None, *, stream=None)\n--\n\n"
                 "Repeat each element along an axis (of the flattened array when None)."),
    FASTCALL_DEF("flip", f_flip,
                 "flip(a, /, axis=None, *, stream=None)\n--\n\nReverse the order of elements along axes."),
    FASTCALL_DEF("atleast_1d", f_atleast_1d,
                 "atleast_1d(*arys, stream=None)\n--\n\nConvert all arrays to have at least one dimension."),
    FASTCALL_DEF("atleast_2d", f_atleast_2d,
                 "atleast_2d(*arys, stream=None)\n--\n\nConvert all arrays to have at least two dimensions."),
    FASTCALL_DEF("atleast_3d", f_atleast_3d,
                 "atleast_3d(*arys, stream=None)\n--\n\nConvert all arrays to have at least three dimensions."),
    {NULL},
};
