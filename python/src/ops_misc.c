/* ops_misc.c -- module functions for the ops of src/ops/misc.c and
 * src/ops/strided.c (trunc, logical_xor, isclose, allclose, array_equal,
 * softmax, count_nonzero, diff, roll, meshgrid, windows, broadcast_shapes,
 * matrix_transpose, view, as_strided, contiguous, depends, export_to_dot),
 * the ArrayLike class, and MLX's aliases that are the same function object
 * (mx.pow is mx.power). */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* Parses (a, ...) and converts a; 0 or -1 with an exception. */
static int parse_a(em_state *st, const py_argspec *spec, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, PyObject **a, em_array **x) {
    if (py_parse(st, spec, args, nargs, kwnames, a) < 0) return -1;
    *x = py_arg_array(st, a[0], spec->fname, spec->names[0]);
    return *x ? 0 : -1;
}

static PyObject *wrap_release(em_state *st, em_array *x, em_array *r) {
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* A tuple (or list) of new Python arrays from n new references (all taken,
 * even on failure). */
static PyObject *wrap_many(em_state *st, em_array **out, size_t n, bool list) {
    PyObject *t = list ? PyList_New((Py_ssize_t)n) : PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; i < n; i++) {
        PyObject *o = t ? py_array_wrap(st, out[i]) : NULL;
        if (!t) em_array_release(out[i]);
        else if (!o) {
            for (size_t k = i + 1; k < n; k++) em_array_release(out[k]);
            Py_CLEAR(t);
            break;
        } else if (list) PyList_SET_ITEM(t, (Py_ssize_t)i, o);
        else PyTuple_SET_ITEM(t, (Py_ssize_t)i, o);
    }
    py_stream_done();
    return t;
}

/* The arrays of a list or tuple (or one array), converted: *out (PyMem) holds
 * *n new references. */
static int array_seq(em_state *st, PyObject *o, const char *fname, const char *name,
                     em_array ***out, size_t *n) {
    PyObject *seq = py_is_array(st, o) ? PyTuple_Pack(1, o)
                    : (PyList_Check(o) || PyTuple_Check(o)) ? PySequence_Fast(o, "")
                                                             : NULL;
    if (!seq) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "%s(): %s must be an array or a sequence of arrays, not %.100s.",
                         fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    em_array **v = PyMem_Calloc(k ? (size_t)k : 1, sizeof *v);
    if (!v) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        v[i] = py_arg_array(st, PySequence_Fast_GET_ITEM(seq, i), fname, name);
        if (!v[i]) {
            for (Py_ssize_t j = 0; j < i; j++) em_array_release(v[j]);
            PyMem_Free(v);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = v;
    *n = (size_t)k;
    return 0;
}

static void free_arrays(em_array **v, size_t n) {
    for (size_t i = 0; i < n; i++) em_array_release(v[i]);
    PyMem_Free(v);
}

/* Only stream= among keywords (functions of *args). 0 or -1. */
static int only_stream(em_state *st, const char *fname, PyObject *const *args, Py_ssize_t nargs,
                       PyObject *kwnames, const char *const *also, PyObject **also_val, int nalso) {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        int j = 0;
        while (j < nalso && PyUnicode_CompareWithASCIIString(k, also[j]) != 0) j++;
        if (j < nalso) {
            also_val[j] = args[nargs + i];
            continue;
        }
        if (PyUnicode_CompareWithASCIIString(k, "stream") != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname, k);
            return -1;
        }
        if (py_arg_stream(st, args[nargs + i], fname) < 0) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- elementwise */

static PyObject *f_trunc(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "trunc", 1, 1, 1, true, "a");
    PyObject *a[1];
    em_array *x;
    if (parse_a(st, &spec, args, nargs, kwnames, a, &x) < 0) return NULL;
    return wrap_release(st, x, em_trunc(x));
}

static PyObject *f_logical_xor(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "logical_xor", 2, 2, 2, true, "a", "b");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x, *y;
    if (py_binary_operands(st, a[0], a[1], &x, &y) < 0) return NULL;
    em_array *r = em_logical_xor(x, y);
    em_array_release(y);
    return wrap_release(st, x, r);
}

static PyObject *close_impl(const char *fname, bool all, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "b", "rtol", "atol", "equal_nan"};
    py_argspec spec = {fname, names, 5, 2, 4, 2, true};
    PyObject *a[5];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    double rtol = 1e-5, atol = 1e-8;
    bool eqn = false;
    if (py_arg_double(a[2], fname, "rtol", &rtol) < 0 || py_arg_double(a[3], fname, "atol", &atol) < 0 ||
        py_arg_bool(a[4], fname, "equal_nan", &eqn) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    em_array *y = x ? py_arg_array(st, a[1], fname, "b") : NULL;
    if (!y) {
        em_array_release(x);
        return NULL;
    }
    em_array *r = all ? em_allclose(x, y, rtol, atol, eqn) : em_isclose(x, y, rtol, atol, eqn);
    em_array_release(y);
    return wrap_release(st, x, r);
}
static PyObject *f_isclose(FASTCALL_ARGS) { return close_impl("isclose", false, m, args, nargs, kwnames); }
static PyObject *f_allclose(FASTCALL_ARGS) { return close_impl("allclose", true, m, args, nargs, kwnames); }

static PyObject *f_array_equal(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "array_equal", 0, 2, 2, true, "a", "b", "equal_nan");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    bool eqn = false;
    if (py_arg_bool(a[2], "array_equal", "equal_nan", &eqn) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "array_equal", "a");
    em_array *y = x ? py_arg_array(st, a[1], "array_equal", "b") : NULL;
    if (!y) {
        em_array_release(x);
        return NULL;
    }
    em_array *r = em_array_equal(x, y, eqn);
    em_array_release(y);
    return wrap_release(st, x, r);
}

/* ---------------------------------------------------------------- reductions */

static PyObject *f_softmax(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "softmax", 1, 2, 1, true, "a", "axis", "precise");
    PyObject *a[3];
    em_array *x;
    int axes[EM_MAX_NDIM], n;
    bool precise = false;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 ||
        py_arg_axes(a[1], "softmax", "axis", true, axes, &n) < 0 ||
        py_arg_bool(a[2], "softmax", "precise", &precise) < 0)
        return NULL;
    if (!(x = py_arg_array(st, a[0], "softmax", "a"))) return NULL;
    return wrap_release(st, x, em_softmax(x, axes, n, precise));
}

static PyObject *f_count_nonzero(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "count_nonzero", 1, 1, 1, true, "a", "axis", "keepdims");
    PyObject *a[3];
    em_array *x;
    int axes[EM_MAX_NDIM], n;
    bool keep = false;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 ||
        py_arg_axes(a[1], "count_nonzero", "axis", true, axes, &n) < 0 ||
        py_arg_bool(a[2], "count_nonzero", "keepdims", &keep) < 0)
        return NULL;
    if (!(x = py_arg_array(st, a[0], "count_nonzero", "a"))) return NULL;
    return wrap_release(st, x, em_count_nonzero(x, axes, n, keep));
}

/* ---------------------------------------------------------------- shifts */

static PyObject *f_diff(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "diff", 1, 3, 1, true, "a", "n", "axis");
    PyObject *a[3];
    int n = 1, axis = -1;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || py_arg_int(a[1], "diff", "n", &n) < 0 ||
        py_arg_int(a[2], "diff", "axis", &axis) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], "diff", "a");
    if (!x) return NULL;
    return wrap_release(st, x, em_diff(x, n, axis));
}

/* roll(a, shift, axis=None, /): an int shift meets a tuple of axes by being
 * repeated, a tuple of shifts meets one int axis (or None) by its sum. */
static PyObject *f_roll(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "roll", 3, 3, 2, true, "a", "shift", "axis");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t shift[EM_MAX_NDIM], total = 0;
    int ns, axes[EM_MAX_NDIM], na;
    if (py_arg_shape(a[1], "roll", "shift", shift, &ns) < 0 ||
        py_arg_axes(a[2], "roll", "axis", true, axes, &na) < 0)
        return NULL;
    bool int_shift = PyLong_Check(a[1]) || !PySequence_Check(a[1]);
    bool int_axis = a[2] && a[2] != Py_None && (PyLong_Check(a[2]) || !PySequence_Check(a[2]));
    if (int_shift)
        for (int i = 1; i < na; i++) shift[i] = shift[0];
    if (int_shift && na > 0) ns = na;
    if (int_axis) {
        for (int i = 0; i < ns; i++) total += shift[i];
        shift[0] = total;
        ns = ns ? 1 : 0;
    }
    em_array *x = py_arg_array(st, a[0], "roll", "a");
    if (!x) return NULL;
    return wrap_release(st, x, em_roll(x, shift, ns, na < 0 ? NULL : axes, na));
}

/* ---------------------------------------------------------------- grids */

static PyObject *f_meshgrid(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const kw[] = {"sparse", "indexing"};
    PyObject *kv[2] = {NULL, NULL};
    if (only_stream(st, "meshgrid", args, nargs, kwnames, kw, kv, 2) < 0) return NULL;
    bool sparse = false, ij = false;
    if (py_arg_bool(kv[0] == Py_None ? NULL : kv[0], "meshgrid", "sparse", &sparse) < 0) return NULL;
    if (kv[1] && kv[1] != Py_None) {
        if (!PyUnicode_Check(kv[1])) {
            PyErr_Format(PyExc_TypeError, "meshgrid(): indexing must be a str, not %.100s.",
                         Py_TYPE(kv[1])->tp_name);
            return NULL;
        }
        const char *s = PyUnicode_AsUTF8(kv[1]);
        if (!s) return NULL;
        if (strcmp(s, "ij") && strcmp(s, "xy")) {
            PyErr_SetString(PyExc_ValueError,
                            "[meshgrid] Invalid indexing value. Valid values are 'xy' and 'ij'.");
            return NULL;
        }
        ij = s[0] == 'i';
    }
    em_array **in = PyMem_Calloc(nargs ? (size_t)nargs : 1, sizeof *in);
    em_array **out = PyMem_Calloc(nargs ? (size_t)nargs : 1, sizeof *out);
    if (!in || !out) {
        PyMem_Free(in);
        PyMem_Free(out);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (!py_is_array(st, args[i])) {
            PyErr_Format(PyExc_TypeError, "meshgrid(): arrays must be arrays, not %.100s.",
                         Py_TYPE(args[i])->tp_name);
            free_arrays(in, (size_t)i);
            PyMem_Free(out);
            return NULL;
        }
        in[i] = em_array_retain(py_array_arr(args[i]));
    }
    em_status s = em_meshgrid((const em_array *const *)in, (size_t)nargs, sparse, ij, out);
    free_arrays(in, (size_t)nargs);
    if (s != EM_OK) {
        PyMem_Free(out);
        py_stream_done();
        return py_raise_ember();
    }
    PyObject *r = wrap_many(st, out, (size_t)nargs, false);
    PyMem_Free(out);
    return r;
}

typedef em_array *(*window_fn)(int64_t);

static PyObject *window(const char *fname, window_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"M"};
    py_argspec spec = {fname, names, 1, 0, 1, 1, true};
    PyObject *a[1];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (!PyLong_Check(a[0])) {
        PyErr_Format(PyExc_TypeError, "%s(): M must be an int, not %.100s.", fname,
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    int64_t mm;
    if (py_arg_int64(a[0], fname, "M", &mm) < 0) return NULL;
    return py_array_wrap(st, fn(mm));
}
static PyObject *f_hanning(FASTCALL_ARGS) { return window("hanning", em_hanning, m, args, nargs, kwnames); }
static PyObject *f_hamming(FASTCALL_ARGS) { return window("hamming", em_hamming, m, args, nargs, kwnames); }
static PyObject *f_blackman(FASTCALL_ARGS) { return window("blackman", em_blackman, m, args, nargs, kwnames); }
static PyObject *f_bartlett(FASTCALL_ARGS) { return window("bartlett", em_bartlett, m, args, nargs, kwnames); }

/* ---------------------------------------------------------------- shapes */

static PyObject *f_broadcast_shapes(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                                    PyObject *kwnames) {
    (void)m;
    if (kwnames && PyTuple_GET_SIZE(kwnames)) {
        PyErr_Format(PyExc_TypeError, "broadcast_shapes() got an unexpected keyword argument '%U'",
                     PyTuple_GET_ITEM(kwnames, 0));
        return NULL;
    }
    int64_t *buf = PyMem_Malloc((size_t)(nargs ? nargs : 1) * EM_MAX_NDIM * sizeof *buf);
    const int64_t **shapes = PyMem_Malloc((size_t)(nargs ? nargs : 1) * sizeof *shapes);
    int *nds = PyMem_Malloc((size_t)(nargs ? nargs : 1) * sizeof *nds);
    PyObject *r = NULL;
    if (!buf || !shapes || !nds) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (!PyList_Check(args[i]) && !PyTuple_Check(args[i])) {
            PyErr_Format(PyExc_TypeError, "broadcast_shapes(): shapes must be sequences of ints, not %.100s.",
                         Py_TYPE(args[i])->tp_name);
            goto done;
        }
        if (py_arg_shape(args[i], "broadcast_shapes", "shapes", buf + i * EM_MAX_NDIM, &nds[i]) < 0)
            goto done;
        shapes[i] = buf + i * EM_MAX_NDIM;
    }
    int64_t out[EM_MAX_NDIM];
    int nd;
    if (em_broadcast_shapes(shapes, nds, (size_t)nargs, out, &nd) != EM_OK) {
        py_raise_ember();
        goto done;
    }
    r = PyTuple_New(nd);
    for (int i = 0; r && i < nd; i++) {
        PyObject *v = PyLong_FromLongLong(out[i]);
        if (!v) Py_CLEAR(r);
        else PyTuple_SET_ITEM(r, i, v);
    }
done:
    PyMem_Free(buf);
    PyMem_Free(shapes);
    PyMem_Free(nds);
    return r;
}

static PyObject *f_matrix_transpose(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "matrix_transpose", 1, 1, 1, true, "a");
    PyObject *a[1];
    em_array *x;
    if (parse_a(st, &spec, args, nargs, kwnames, a, &x) < 0) return NULL;
    return wrap_release(st, x, em_matrix_transpose(x));
}

/* ---------------------------------------------------------------- memory views */

/* view(a, dtype): shared by mx.view and array.view (self as a). */
static PyObject *view_impl(em_state *st, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames) {
    static const char *const names2[] = {"a", "dtype"}, *const names1[] = {"dtype"};
    py_argspec spec = {"view", self ? names1 : names2, self ? 1 : 2, 0, self ? 1 : 2,
                       self ? 1 : 2, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt;
    if (py_arg_dtype(st, a[self ? 0 : 1], "view", false, &dt) < 0) return NULL;
    em_array *x = self ? em_array_retain(py_array_arr(self)) : py_arg_array(st, a[0], "view", "a");
    if (!x) return NULL;
    return wrap_release(st, x, em_view(x, (em_dtype)dt));
}
static PyObject *f_view(FASTCALL_ARGS) {
    return view_impl(state_of_module(m), NULL, args, nargs, kwnames);
}
PyObject *py_array_view(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = state_of_type(Py_TYPE(self));
    return st ? view_impl(st, self, args, nargs, kwnames) : NULL;
}

static PyObject *f_as_strided(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "as_strided", 1, 4, 1, true, "a", "shape", "strides", "offset");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t shape[EM_MAX_NDIM], strides[EM_MAX_NDIM], offset = 0;
    int nd = -1, ns = -1;
    if ((a[1] && a[1] != Py_None && py_arg_shape(a[1], "as_strided", "shape", shape, &nd) < 0) ||
        (a[2] && a[2] != Py_None && py_arg_shape(a[2], "as_strided", "strides", strides, &ns) < 0) ||
        py_arg_int64(a[3], "as_strided", "offset", &offset) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], "as_strided", "a");
    if (!x) return NULL;
    if (nd < 0) {
        nd = em_array_ndim(x);
        if (nd) memcpy(shape, em_array_shape(x), (size_t)nd * sizeof *shape);
    }
    if (ns >= 0 && ns != nd) {
        em_array_release(x);
        py_stream_done();
        PyErr_Format(PyExc_ValueError,
                     "[as_strided] The shape has %d dimensions but %d strides were given.", nd, ns);
        return NULL;
    }
    return wrap_release(st, x, em_as_strided(x, shape, ns < 0 ? NULL : strides, nd, offset));
}

static PyObject *f_contiguous(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "contiguous", 1, 2, 1, true, "a", "allow_col_major");
    PyObject *a[2];
    bool col = false;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 ||
        py_arg_bool(a[1], "contiguous", "allow_col_major", &col) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], "contiguous", "a");
    if (!x) return NULL;
    return wrap_release(st, x, em_contiguous(x, col));
}

/* depends(inputs, dependencies): one array in, one out; a sequence in, a list out. */
static PyObject *f_depends(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "depends", 0, 2, 2, false, "inputs", "dependencies");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array **in, **deps, **out;
    size_t n, nd;
    if (array_seq(st, a[0], "depends", "inputs", &in, &n) < 0) return NULL;
    if (array_seq(st, a[1], "depends", "dependencies", &deps, &nd) < 0) {
        free_arrays(in, n);
        return NULL;
    }
    out = PyMem_Calloc(n ? n : 1, sizeof *out);
    em_status s = out ? em_depends((const em_array *const *)in, n, (const em_array *const *)deps,
                                   nd, out)
                      : EM_ERR_MEMORY;
    free_arrays(in, n);
    free_arrays(deps, nd);
    if (s != EM_OK) {
        PyMem_Free(out);
        return out ? py_raise_ember() : PyErr_NoMemory();
    }
    PyObject *r;
    if (py_is_array(st, a[0])) r = py_array_wrap(st, out[0]);
    else r = wrap_many(st, out, n, true);
    PyMem_Free(out);
    return r;
}

/* export_to_dot(file, *args, **kwargs): file is a path or has write(). */
static PyObject *f_export_to_dot(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames) {
    em_state *st = state_of_module(m);
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "export_to_dot() missing required argument 'file' (pos 1)");
        return NULL;
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    em_array_list *outs = em_array_list_new();
    em_array **named = PyMem_Calloc((size_t)(nkw ? nkw : 1), sizeof *named);
    const char **names = PyMem_Calloc((size_t)(nkw ? nkw : 1), sizeof *names);
    PyObject *r = NULL;
    char *text = NULL;
    if (!outs || !named || !names) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 1; i < nargs; i++)
        if (py_tree_flatten(st, args[i], outs, true) < 0) goto done;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *v = args[nargs + i];
        if (!py_is_array(st, v)) {
            PyErr_SetString(PyExc_ValueError, "[export_to_dot] Keyword arguments must be arrays.");
            goto done;
        }
        named[i] = py_array_arr(v);
        if (!(names[i] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i)))) goto done;
    }
    text = em_export_to_dot(em_array_list_data(outs), em_array_list_size(outs), named, names,
                            (size_t)nkw);
    if (!text) {
        py_raise_ember();
        goto done;
    }
    PyObject *file = args[0], *s = PyUnicode_FromString(text);
    if (!s) goto done;
    if (PyUnicode_Check(file) || PyObject_HasAttrString(file, "__fspath__")) {
        PyObject *io = PyImport_ImportModule("io");
        PyObject *f = io ? PyObject_CallMethod(io, "open", "Os", file, "w") : NULL;
        Py_XDECREF(io);
        PyObject *w = f ? PyObject_CallMethod(f, "write", "O", s) : NULL;
        PyObject *c = f ? PyObject_CallMethod(f, "close", NULL) : NULL;
        if (w && c) r = Py_NewRef(Py_None);
        Py_XDECREF(w);
        Py_XDECREF(c);
        Py_XDECREF(f);
    } else {
        PyObject *w = PyObject_CallMethod(file, "write", "O", s);
        if (w) r = Py_NewRef(Py_None);
        Py_XDECREF(w);
    }
    Py_DECREF(s);
done:
    em_free(text);
    em_array_list_free(outs);
    PyMem_Free(named);
    PyMem_Free(names);
    return r;
}

/* ---------------------------------------------------------------- tables */

PyMethodDef py_misc_ops_methods[] = {
    FASTCALL_DEF("trunc", f_trunc, "trunc(a, /, *, stream=None)\n--\n\nElement-wise truncation towards zero."),
    FASTCALL_DEF("logical_xor", f_logical_xor,
                 "logical_xor(a, b, /, *, stream=None)\n--\n\nElement-wise logical exclusive or."),
    FASTCALL_DEF("isclose", f_isclose,
                 "isclose(a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False, stream=None)\n--\n\n"
                 "Element-wise ``abs(a - b) <= atol + rtol * abs(b)``, with broadcasting.\n\n"
                 "Infinities are close when equal; NaNs only with ``equal_nan``."),
    FASTCALL_DEF("allclose", f_allclose,
                 "allclose(a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False, stream=None)\n--\n\n"
                 "Whether every element of ``a`` is close to ``b`` (see :func:`isclose`)."),
    FASTCALL_DEF("array_equal", f_array_equal,
                 "array_equal(a, b, *, equal_nan=False, stream=None)\n--\n\n"
                 "True if the arrays have the same shape and equal values (any dtypes)."),
    FASTCALL_DEF("softmax", f_softmax,
                 "softmax(a, /, axis=None, *, precise=False, stream=None)\n--\n\n"
                 "Softmax over the given axes (all when None), computed stably."),
    FASTCALL_DEF("count_nonzero", f_count_nonzero,
                 "count_nonzero(a, /, *, axis=None, keepdims=False, stream=None)\n--\n\n"
                 "Count the non-zero elements over the given axes (int32)."),
    FASTCALL_DEF("diff", f_diff,
                 "diff(a, /, n=1, axis=-1, *, stream=None)\n--\n\n"
                 "The n-th discrete difference along the given axis."),
    FASTCALL_DEF("roll", f_roll,
                 "roll(a, shift, axis=None, /, *, stream=None)\n--\n\n"
                 "Roll array elements along the given axes (the flattened array when None)."),
    FASTCALL_DEF("meshgrid", f_meshgrid,
                 "meshgrid(*arrays, sparse=False, indexing='xy', stream=None)\n--\n\n"
                 "Coordinate grids from 1-D coordinate arrays ('xy' or 'ij' indexing)."),
    FASTCALL_DEF("hanning", f_hanning, "hanning(M, *, stream=None)\n--\n\nThe Hanning window of M points."),
    FASTCALL_DEF("hamming", f_hamming, "hamming(M, *, stream=None)\n--\n\nThe Hamming window of M points."),
    FASTCALL_DEF("blackman", f_blackman, "blackman(M, *, stream=None)\n--\n\nThe Blackman window of M points."),
    FASTCALL_DEF("bartlett", f_bartlett, "bartlett(M, *, stream=None)\n--\n\nThe Bartlett window of M points."),
    FASTCALL_DEF("broadcast_shapes", f_broadcast_shapes,
                 "broadcast_shapes(*shapes)\n--\n\nThe shape that broadcasting the given shapes gives."),
    FASTCALL_DEF("matrix_transpose", f_matrix_transpose,
                 "matrix_transpose(a, /, *, stream=None)\n--\n\nTranspose the last two dimensions of the array."),
    FASTCALL_DEF("view", f_view,
                 "view(a, dtype, *, stream=None)\n--\n\n"
                 "View the array's bytes as another dtype (the last axis scales with the item size)."),
    FASTCALL_DEF("as_strided", f_as_strided,
                 "as_strided(a, /, shape=None, strides=None, offset=0, *, stream=None)\n--\n\n"
                 "A view of the row-contiguous array with the given shape, strides and offset."),
    FASTCALL_DEF("contiguous", f_contiguous,
                 "contiguous(a, /, allow_col_major=False, *, stream=None)\n--\n\n"
                 "Force an array to be row contiguous, copying if necessary."),
    FASTCALL_DEF("depends", f_depends,
                 "depends(inputs, dependencies)\n--\n\n"
                 "The inputs, made to depend on the dependencies in the graph."),
    FASTCALL_DEF("export_to_dot", f_export_to_dot,
                 "export_to_dot(file, *args, **kwargs)\n--\n\n"
                 "Export the graph of the given arrays to DOT format (keywords name arrays)."),
    {NULL, NULL, 0, NULL},
};

/* ---------------------------------------------------------------- ArrayLike, aliases */

static PyType_Slot arraylike_slots[] = {
    {Py_tp_doc, "Any Python object which has an ``__mlx__array__`` method that\nreturns an :obj:`array`."},
    {0, NULL},
};

static PyType_Spec arraylike_spec = {
    .name = "ember.core.ArrayLike",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = arraylike_slots,
};

/* MLX binds these names to the very function objects of their targets. */
static const char *const same_object[][2] = {
    {"pow", "power"}, {"acos", "arccos"}, {"asin", "arcsin"}, {"atan", "arctan"},
    {"acosh", "arccosh"}, {"asinh", "arcsinh"}, {"atanh", "arctanh"}, {"atan2", "arctan2"},
    {"bitwise_left_shift", "left_shift"}, {"bitwise_right_shift", "right_shift"},
    {"empty", "zeros"}, {"empty_like", "zeros_like"}, {"cumulative_sum", "cumsum"},
    {"cumulative_prod", "cumprod"},
};

int misc_ops_module_init(PyObject *m, em_state *st) {
    (void)st;
    PyObject *t = PyType_FromModuleAndSpec(m, &arraylike_spec, NULL);
    if (!t || PyModule_AddObjectRef(m, "ArrayLike", t) < 0) {
        Py_XDECREF(t);
        return -1;
    }
    Py_DECREF(t);
    for (size_t i = 0; i < sizeof same_object / sizeof *same_object; i++) {
        PyObject *f = PyObject_GetAttrString(m, same_object[i][1]);
        if (!f) { /* a target another part has not added yet */
            PyErr_Clear();
            continue;
        }
        int rc = PyObject_SetAttrString(m, same_object[i][0], f);
        Py_DECREF(f);
        if (rc < 0) return -1;
    }
    /* mx.matrix_norm is mx.linalg.norm */
    PyObject *la = PyObject_GetAttrString(m, "linalg");
    PyObject *norm = la ? PyObject_GetAttrString(la, "norm") : NULL;
    Py_XDECREF(la);
    if (!norm) {
        PyErr_Clear();
        return 0;
    }
    int rc = PyObject_SetAttrString(m, "matrix_norm", norm);
    Py_DECREF(norm);
    return rc;
}
