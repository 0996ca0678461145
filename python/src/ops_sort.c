/* ops_sort.c -- module functions for sorting, searching and scans: sort,
 * argsort, partition, argpartition, topk, median, searchsorted, cumsum,
 * cumprod, cummax, cummin, logcumsumexp (and the aliases cumulative_sum,
 * cumulative_prod). */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* An optional axis: None gives *all = true. */
static int opt_axis(PyObject *o, const char *fname, int *axis, bool *all) {
    *all = o == Py_None;
    if (*all) return 0;
    return py_arg_int(o, fname, "axis", axis);
}

/* (a, /, axis=-1, *, stream=None) */
static PyObject *sort_like(const char *fname, em_array *(*fn)(const em_array *, int, bool),
                           FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "axis"};
    py_argspec spec = {fname, names, 2, 1, 2, 1, true};
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = -1;
    bool all = false;
    if (a[1] && opt_axis(a[1], fname, &axis, &all) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x, axis, all);
    em_array_release(x);
    return py_array_wrap(st, r);
}

static PyObject *f_sort(FASTCALL_ARGS) { return sort_like("sort", em_sort, m, args, nargs, kwnames); }
static PyObject *f_argsort(FASTCALL_ARGS) { return sort_like("argsort", em_argsort, m, args, nargs, kwnames); }

/* (a, /, kth, axis=-1, *, stream=None); topk names kth "k". */
static PyObject *kth_like(const char *fname, const char *kname,
                          em_array *(*fn)(const em_array *, int64_t, int, bool), FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *names[] = {"a", kname, "axis"};
    py_argspec spec = {fname, names, 3, 1, 3, 2, true};
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = -1;
    bool all = false;
    int64_t k = 0;
    if (py_arg_int64(a[1], fname, kname, &k) < 0) return NULL;
    if (a[2] && opt_axis(a[2], fname, &axis, &all) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x, k, axis, all);
    em_array_release(x);
    return py_array_wrap(st, r);
}

static PyObject *f_partition(FASTCALL_ARGS) {
    return kth_like("partition", "kth", em_partition, m, args, nargs, kwnames);
}
static PyObject *f_argpartition(FASTCALL_ARGS) {
    return kth_like("argpartition", "kth", em_argpartition, m, args, nargs, kwnames);
}
static PyObject *f_topk(FASTCALL_ARGS) { return kth_like("topk", "k", em_topk, m, args, nargs, kwnames); }

/* (a, /, axis=None, keepdims=False, *, stream=None) */
static PyObject *f_median(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "median", 1, 3, 1, true, "a", "axis", "keepdims");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axes[EM_MAX_NDIM], naxes;
    bool keepdims = false;
    if (py_arg_axes(a[1], "median", "axis", true, axes, &naxes) < 0 ||
        py_arg_bool(a[2], "median", "keepdims", &keepdims) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], "median", "a");
    if (!x) return NULL;
    em_array *r = em_median(x, axes, naxes, keepdims);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* (sorted_sequence, values, /, side='left', *, stream=None): both arrays. */
static PyObject *f_searchsorted(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "searchsorted", 2, 3, 2, true, "sorted_sequence", "values", "side");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    for (int i = 0; i < 2; i++)
        if (!py_is_array(st, a[i]))
            return PyErr_Format(PyExc_TypeError, "searchsorted(): %s must be an array, not %.100s.",
                                i ? "values" : "sorted_sequence", Py_TYPE(a[i])->tp_name);
    bool right = false;
    if (a[2]) {
        if (!PyUnicode_Check(a[2]))
            return PyErr_Format(PyExc_TypeError, "searchsorted(): side must be a str, not %.100s.",
                                Py_TYPE(a[2])->tp_name);
        if (PyUnicode_CompareWithASCIIString(a[2], "right") == 0) right = true;
        else if (PyUnicode_CompareWithASCIIString(a[2], "left") != 0)
            return PyErr_Format(PyExc_ValueError,
                                "[searchsorted] Invalid side '%U'. Expected 'left' or 'right'.", a[2]);
    }
    return py_array_wrap(st, em_searchsorted(py_array_arr(a[0]), py_array_arr(a[1]), right));
}

typedef em_array *(*scan_fn)(const em_array *, int, bool, bool, bool);

/* (a, /, axis=None, *, reverse=False, inclusive=True[, dtype=None], stream=None) */
static PyObject *scan(const char *fname, scan_fn fn, bool has_dtype, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "axis", "reverse", "inclusive", "dtype"};
    py_argspec spec = {fname, names, has_dtype ? 5 : 4, 1, 2, 1, true};
    PyObject *a[5] = {NULL};
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axis = 0, dtype = -1;
    bool all = true, reverse = false, inclusive = true;
    if ((a[1] && opt_axis(a[1], fname, &axis, &all) < 0) ||
        py_arg_bool(a[2], fname, "reverse", &reverse) < 0 ||
        py_arg_bool(a[3], fname, "inclusive", &inclusive) < 0 ||
        (has_dtype && a[4] && py_arg_dtype(st, a[4], fname, true, &dtype) < 0))
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    if (dtype >= 0) {
        em_array *c = em_astype(x, (em_dtype)dtype);
        em_array_release(x);
        if (!c) return py_raise_ember();
        x = c;
    }
    em_array *r = fn(x, axis, all, reverse, inclusive);
    em_array_release(x);
    return py_array_wrap(st, r);
}

static PyObject *f_cumsum(FASTCALL_ARGS) { return scan("cumsum", em_cumsum, true, m, args, nargs, kwnames); }
static PyObject *f_cumprod(FASTCALL_ARGS) { return scan("cumprod", em_cumprod, true, m, args, nargs, kwnames); }
static PyObject *f_cummax(FASTCALL_ARGS) { return scan("cummax", em_cummax, false, m, args, nargs, kwnames); }
static PyObject *f_cummin(FASTCALL_ARGS) { return scan("cummin", em_cummin, false, m, args, nargs, kwnames); }
static PyObject *f_logcumsumexp(FASTCALL_ARGS) {
    return scan("logcumsumexp", em_logcumsumexp, false, m, args, nargs, kwnames);
}

#define SCAN_DOC(name, what, dt)                                               \
    name "(a, /, axis=None, *, reverse=False, inclusive=True" dt ", stream=None)\n--\n\n" \
    "Return the cumulative " what " of the elements along the given axis.\n\n" \
    "Args:\n    a (array): Input array.\n"                                     \
    "    axis (int, optional): Optional axis to compute the cumulative " what " over.\n" \
    "        If unspecified the cumulative " what " of the flattened array is returned.\n" \
    "    reverse (bool): Perform the cumulative " what " in reverse.\n"        \
    "    inclusive (bool): The i-th element of the output includes the i-th\n" \
    "        element of the input.\n\nReturns:\n    array: The output array."

PyMethodDef py_sort_methods[] = {
    FASTCALL_DEF("sort", f_sort,
                 "sort(a, /, axis=-1, *, stream=None)\n--\n\n"
                 "Returns a sorted copy of the array (stable, NaN last); axis=None sorts the\n"
                 "flattened array."),
    FASTCALL_DEF("argsort", f_argsort,
                 "argsort(a, /, axis=-1, *, stream=None)\n--\n\n"
                 "Returns the indices that sort the array (uint32, stable)."),
    FASTCALL_DEF("partition", f_partition,
                 "partition(a, /, kth, axis=-1, *, stream=None)\n--\n\n"
                 "Returns a partitioned copy of the array such that the smaller kth\n"
                 "elements are first."),
    FASTCALL_DEF("argpartition", f_argpartition,
                 "argpartition(a, /, kth, axis=-1, *, stream=None)\n--\n\n"
                 "Returns the indices that partition the array."),
    FASTCALL_DEF("topk", f_topk,
                 "topk(a, /, k, axis=-1, *, stream=None)\n--\n\n"
                 "Returns the ``k`` largest elements from the input along a given axis."),
    FASTCALL_DEF("median", f_median,
                 "median(a, /, axis=None, keepdims=False, *, stream=None)\n--\n\n"
                 "Compute the median(s) over the given axes."),
    FASTCALL_DEF("searchsorted", f_searchsorted,
                 "searchsorted(sorted_sequence, values, /, side='left', *, stream=None)\n--\n\n"
                 "Find the indices that keep ``sorted_sequence`` sorted when inserting\n"
                 "``values`` (uint32)."),
    FASTCALL_DEF("cumsum", f_cumsum, SCAN_DOC("cumsum", "sum", ", dtype=None")),
    FASTCALL_DEF("cumulative_sum", f_cumsum, SCAN_DOC("cumulative_sum", "sum", ", dtype=None")),
    FASTCALL_DEF("cumprod", f_cumprod, SCAN_DOC("cumprod", "product", ", dtype=None")),
    FASTCALL_DEF("cumulative_prod", f_cumprod, SCAN_DOC("cumulative_prod", "product", ", dtype=None")),
    FASTCALL_DEF("cummax", f_cummax, SCAN_DOC("cummax", "maximum", "")),
    FASTCALL_DEF("cummin", f_cummin, SCAN_DOC("cummin", "minimum", "")),
    FASTCALL_DEF("logcumsumexp", f_logcumsumexp, SCAN_DOC("logcumsumexp", "log-sum-exp", "")),
    {NULL, NULL, 0, NULL},
};
