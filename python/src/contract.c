/* contract.c -- bindings of the contractions and diagonals: tensordot, inner,
 * outer, kron, addmm, vecdot, einsum, einsum_path, diag, diagonal, trace and
 * hadamard_transform, with MLX's signatures over the em_* functions. */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* Parses and converts the first `narr` parameters to arrays (written to x,
 * new references). 0, or -1 with an exception and nothing held. */
static int parse_arrays(em_state *st, const py_argspec *spec, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames, PyObject **a, em_array **x, int narr) {
    if (py_parse(st, spec, args, nargs, kwnames, a) < 0) return -1;
    for (int i = 0; i < narr; i++) {
        x[i] = py_arg_array(st, a[i], spec->fname, spec->names[i]);
        if (!x[i]) {
            for (int j = 0; j < i; j++) em_array_release(x[j]);
            return -1;
        }
    }
    return 0;
}

static void release_all(em_array **x, int n) {
    for (int i = 0; i < n; i++) em_array_release(x[i]);
}

/* Two arrays in, one out, no other parameter. */
static PyObject *pair_op(em_state *st, const py_argspec *spec, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames,
                         em_array *(*fn)(const em_array *, const em_array *)) {
    PyObject *a[2];
    em_array *x[2];
    if (parse_arrays(st, spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    em_array *r = fn(x[0], x[1]);
    release_all(x, 2);
    return py_array_wrap(st, r);
}

static PyObject *f_inner(FASTCALL_ARGS) {
    PY_ARGSPEC(spec, "inner", 2, 2, 2, true, "a", "b");
    return pair_op(state_of_module(m), &spec, args, nargs, kwnames, em_inner);
}

static PyObject *f_outer(FASTCALL_ARGS) {
    PY_ARGSPEC(spec, "outer", 2, 2, 2, true, "a", "b");
    return pair_op(state_of_module(m), &spec, args, nargs, kwnames, em_outer);
}

static PyObject *f_kron(FASTCALL_ARGS) {
    PY_ARGSPEC(spec, "kron", 0, 2, 2, true, "a", "b");
    return pair_op(state_of_module(m), &spec, args, nargs, kwnames, em_kron);
}

/* A sequence of ints into out (at most EM_MAX_NDIM); -1 without an
 * exception when o is not one. */
static int int_seq(PyObject *o, int *out) {
    if (!PyList_Check(o) && !PyTuple_Check(o)) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    if (n > EM_MAX_NDIM) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PySequence_Fast_GET_ITEM(o, i);
        if (!PyLong_Check(v) || PyBool_Check(v)) return -1;
        long l = PyLong_AsLong(v);
        if ((l == -1 && PyErr_Occurred()) || l < -EM_MAX_NDIM - 1 || l > EM_MAX_NDIM) {
            PyErr_Clear();
            l = EM_MAX_NDIM + 1; /* out of range for any array: the op says so */
        }
        out[i] = (int)l;
    }
    return (int)n;
}

static PyObject *f_tensordot(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "tensordot", 2, 3, 2, true, "a", "b", "axes");
    PyObject *a[3];
    em_array *x[2];
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    em_array *r = NULL;
    PyObject *ax = a[2];
    if (!ax || (PyLong_Check(ax) && !PyBool_Check(ax))) {
        int n = 2;
        if (ax && py_arg_int(ax, "tensordot", "axes", &n) < 0) goto done;
        r = em_tensordot(x[0], x[1], n);
    } else {
        int xa[EM_MAX_NDIM], xb[EM_MAX_NDIM], na = -1, nb = -1;
        if ((PyList_Check(ax) || PyTuple_Check(ax)) && PySequence_Fast_GET_SIZE(ax) == 2) {
            na = int_seq(PySequence_Fast_GET_ITEM(ax, 0), xa);
            nb = int_seq(PySequence_Fast_GET_ITEM(ax, 1), xb);
        }
        if (na < 0 || nb < 0) {
            PyErr_SetString(PyExc_TypeError, "tensordot(): incompatible function arguments: axes "
                                             "must be an int or a list of two sequences of ints.");
            goto done;
        }
        if (na != nb) {
            PyErr_SetString(PyExc_ValueError, "[tensordot] axes must have the same size.");
            goto done;
        }
        r = em_tensordot_axes(x[0], x[1], xa, xb, na);
    }
done:
    release_all(x, 2);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_addmm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "addmm", 3, 5, 3, true, "c", "a", "b", "alpha", "beta");
    PyObject *a[5];
    em_array *x[3];
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, x, 3) < 0) return NULL;
    double alpha = 1.0, beta = 1.0;
    em_array *r = NULL;
    if (py_arg_double(a[3], "addmm", "alpha", &alpha) == 0 &&
        py_arg_double(a[4], "addmm", "beta", &beta) == 0)
        r = em_addmm(x[0], x[1], x[2], alpha, beta);
    release_all(x, 3);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_vecdot(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "vecdot", 2, 2, 2, true, "a", "b", "axis");
    PyObject *a[3];
    em_array *x[2];
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    int axis = -1;
    em_array *r = NULL;
    if (py_arg_int(a[2], "vecdot", "axis", &axis) == 0) r = em_vecdot(x[0], x[1], axis);
    release_all(x, 2);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

/* ---------------------------------------------------------------- einsum */

/* (subscripts, *operands, [stream=]) -> the subscripts (borrowed UTF-8) and
 * the operands as arrays (a new list). NULL with an exception. */
static em_array_list *einsum_args(em_state *st, const char *fname, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames, bool stream,
                                  const char **subs) {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *stream_obj = NULL;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        if (stream && PyUnicode_CompareWithASCIIString(k, "stream") == 0) {
            stream_obj = args[nargs + i];
            continue;
        }
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname, k);
        return NULL;
    }
    if (nargs < 1) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'subscripts' (pos 1)", fname);
        return NULL;
    }
    if (!PyUnicode_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "%s(): subscripts must be a str, not %.100s", fname,
                     Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    *subs = PyUnicode_AsUTF8(args[0]);
    if (!*subs) return NULL;
    em_array_list *l = em_array_list_new();
    if (!l) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 1; i < nargs; i++) {
        em_array *x = py_arg_array(st, args[i], fname, "operands");
        em_status s = x ? em_array_list_push(l, x) : EM_ERR_VALUE;
        em_array_release(x);
        if (s != EM_OK) {
            if (x) py_check(s);
            em_array_list_free(l);
            return NULL;
        }
    }
    if (stream_obj && py_arg_stream(st, stream_obj, fname) < 0) {
        em_array_list_free(l);
        return NULL;
    }
    return l;
}

static PyObject *f_einsum(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *subs;
    em_array_list *l = einsum_args(st, "einsum", args, nargs, kwnames, true, &subs);
    if (!l) return NULL;
    em_array *r = em_einsum(subs, (const em_array *const *)em_array_list_data(l),
                            em_array_list_size(l));
    em_array_list_free(l);
    return py_array_wrap(st, r);
}

static PyObject *f_einsum_path(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *subs;
    em_array_list *l = einsum_args(st, "einsum_path", args, nargs, kwnames, false, &subs);
    if (!l) return NULL;
    size_t n = em_array_list_size(l), np = 0, cap = 3 * n + 3;
    int *path = PyMem_Malloc(cap * sizeof *path);
    char *report = NULL;
    PyObject *res = NULL, *lst = NULL;
    if (!path) {
        PyErr_NoMemory();
        goto done;
    }
    if (py_check(em_einsum_path(subs, (const em_array *const *)em_array_list_data(l), n, path, cap,
                                &np, &report)) < 0)
        goto done;
    lst = PyList_New(0);
    for (size_t i = 0; lst && i < np;) {
        size_t k = i;
        while (k < np && path[k] >= 0) k++;
        PyObject *t = PyTuple_New((Py_ssize_t)(k - i));
        for (size_t q = i; t && q < k; q++) {
            PyObject *v = PyLong_FromLong(path[q]);
            if (!v) Py_CLEAR(t);
            else PyTuple_SET_ITEM(t, (Py_ssize_t)(q - i), v);
        }
        if (!t || PyList_Append(lst, t) < 0) Py_CLEAR(lst);
        Py_XDECREF(t);
        i = k + 1;
    }
    if (lst) res = Py_BuildValue("(Ns)", lst, report);
done:
    em_free(report);
    PyMem_Free(path);
    em_array_list_free(l);
    return res;
}

/* ---------------------------------------------------------------- diagonals */

static PyObject *f_diag(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "diag", 1, 2, 1, true, "a", "k");
    PyObject *a[2];
    em_array *x;
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    int64_t k = 0;
    em_array *r = py_arg_int64(a[1], "diag", "k", &k) == 0 ? em_diag(x, k) : NULL;
    em_array_release(x);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

/* MLX takes diagonal's stream positionally too. */
static PyObject *f_diagonal(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "diagonal", 0, 5, 1, false, "a", "offset", "axis1", "axis2", "stream");
    PyObject *a[5];
    em_array *x;
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    int64_t off = 0;
    int ax1 = 0, ax2 = 1;
    em_array *r = NULL;
    if (py_arg_int64(a[1], "diagonal", "offset", &off) == 0 &&
        py_arg_int(a[2], "diagonal", "axis1", &ax1) == 0 &&
        py_arg_int(a[3], "diagonal", "axis2", &ax2) == 0 &&
        (!a[4] || py_arg_stream(st, a[4], "diagonal") == 0))
        r = em_diagonal(x, off, ax1, ax2);
    em_array_release(x);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_trace(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "trace", 1, 5, 1, true, "a", "offset", "axis1", "axis2", "dtype");
    PyObject *a[5];
    em_array *x;
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    int64_t off = 0;
    int ax1 = 0, ax2 = 1, dt = -1;
    em_array *r = NULL;
    if (py_arg_int64(a[1], "trace", "offset", &off) == 0 &&
        py_arg_int(a[2], "trace", "axis1", &ax1) == 0 &&
        py_arg_int(a[3], "trace", "axis2", &ax2) == 0 &&
        py_arg_dtype(st, a[4], "trace", true, &dt) == 0)
        r = em_trace(x, off, ax1, ax2, dt < 0 ? EM_FLOAT32 : (em_dtype)dt, dt >= 0);
    em_array_release(x);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_hadamard_transform(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "hadamard_transform", 0, 2, 1, true, "a", "scale");
    PyObject *a[2];
    em_array *x;
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    double scale = 1.0;
    bool has = a[1] && a[1] != Py_None;
    em_array *r = NULL;
    if (!has || py_arg_double(a[1], "hadamard_transform", "scale", &scale) == 0)
        r = em_hadamard_transform(x, scale, has);
    em_array_release(x);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

/* ---------------------------------------------------------------- matmul variants */

/* An optional array argument: NULL for None or not given. 0 or -1. */
static int opt_array(em_state *st, PyObject *o, const char *fname, const char *name, em_array **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    *out = py_arg_array(st, o, fname, name);
    return *out ? 0 : -1;
}

static PyObject *f_gather_mm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "gather_mm", 2, 4, 2, true, "a", "b", "lhs_indices", "rhs_indices",
               "sorted_indices");
    PyObject *a[5];
    em_array *x[4] = {NULL, NULL, NULL, NULL};
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    bool sorted = false;
    em_array *r = NULL;
    if (opt_array(st, a[2], "gather_mm", "lhs_indices", &x[2]) == 0 &&
        opt_array(st, a[3], "gather_mm", "rhs_indices", &x[3]) == 0 &&
        py_arg_bool(a[4], "gather_mm", "sorted_indices", &sorted) == 0)
        r = em_gather_mm(x[0], x[1], x[2], x[3], sorted);
    release_all(x, 4);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_segmented_mm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "segmented_mm", 2, 3, 3, true, "a", "b", "segments");
    PyObject *a[3];
    em_array *x[3];
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, x, 3) < 0) return NULL;
    em_array *r = em_segmented_mm(x[0], x[1], x[2]);
    release_all(x, 3);
    return py_array_wrap(st, r);
}

static PyObject *f_block_masked_mm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "block_masked_mm", 2, 6, 2, true, "a", "b", "block_size", "mask_out",
               "mask_lhs", "mask_rhs");
    PyObject *a[6];
    em_array *x[5] = {NULL, NULL, NULL, NULL, NULL};
    if (parse_arrays(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    int bs = 64;
    em_array *r = NULL;
    if (py_arg_int(a[2], "block_masked_mm", "block_size", &bs) == 0 &&
        opt_array(st, a[3], "block_masked_mm", "mask_out", &x[2]) == 0 &&
        opt_array(st, a[4], "block_masked_mm", "mask_lhs", &x[3]) == 0 &&
        opt_array(st, a[5], "block_masked_mm", "mask_rhs", &x[4]) == 0)
        r = em_block_masked_mm(x[0], x[1], bs, x[2], x[3], x[4]);
    release_all(x, 5);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

PyMethodDef py_contract_methods[] = {
    FASTCALL_DEF("tensordot", f_tensordot,
                 "tensordot(a, b, /, axes=2, *, stream=None)\n--\n\n"
                 "Compute the tensor dot product along the specified axes: an int (the\n"
                 "last axes of a with the first of b) or a list of two lists of axes."),
    FASTCALL_DEF("inner", f_inner,
                 "inner(a, b, /, *, stream=None)\n--\n\n"
                 "Ordinary inner product of vectors for 1-D arrays, in higher dimensions a\n"
                 "sum product over the last axes."),
    FASTCALL_DEF("outer", f_outer,
                 "outer(a, b, /, *, stream=None)\n--\n\n"
                 "Compute the outer product of two 1-D arrays (inputs are flattened)."),
    FASTCALL_DEF("kron", f_kron,
                 "kron(a, b, *, stream=None)\n--\n\nCompute the Kronecker product of two arrays."),
    FASTCALL_DEF("addmm", f_addmm,
                 "addmm(c, a, b, /, alpha=1.0, beta=1.0, *, stream=None)\n--\n\n"
                 "Matrix multiplication with addition and optional scaling:\n"
                 "alpha * (a @ b) + beta * c."),
    FASTCALL_DEF("vecdot", f_vecdot,
                 "vecdot(a, b, /, *, axis=-1, stream=None)\n--\n\n"
                 "The vector dot product sum(conj(a) * b) along axis."),
    FASTCALL_DEF("einsum", f_einsum,
                 "einsum(subscripts, *operands, stream=None)\n--\n\n"
                 "Perform the Einstein summation convention on the operands."),
    FASTCALL_DEF("einsum_path", f_einsum_path,
                 "einsum_path(subscripts, *operands)\n--\n\n"
                 "Compute the contraction order for the given Einstein summation: a list\n"
                 "of contracted positions and a report string."),
    FASTCALL_DEF("diag", f_diag,
                 "diag(a, /, k=0, *, stream=None)\n--\n\n"
                 "Extract a diagonal (2-D input) or construct a diagonal matrix (1-D input)."),
    FASTCALL_DEF("diagonal", f_diagonal,
                 "diagonal(a, offset=0, axis1=0, axis2=1, stream=None)\n--\n\n"
                 "Return the specified diagonal, taken between axis1 and axis2, as the\n"
                 "last axis of the result."),
    FASTCALL_DEF("trace", f_trace,
                 "trace(a, /, offset=0, axis1=0, axis2=1, dtype=None, *, stream=None)\n--\n\n"
                 "Return the sum along a specified diagonal in the given array."),
    FASTCALL_DEF("hadamard_transform", f_hadamard_transform,
                 "hadamard_transform(a, scale=None, *, stream=None)\n--\n\n"
                 "Perform the Walsh-Hadamard transform along the final axis (size m * 2^k,\n"
                 "m in 1, 12, 20, 28); scale defaults to 1/sqrt(size)."),
    FASTCALL_DEF("gather_mm", f_gather_mm,
                 "gather_mm(a, b, /, lhs_indices=None, rhs_indices=None, *, sorted_indices=False, "
                 "stream=None)\n--\n\n"
                 "Matrix multiplication with matrix-level gather: the indices pick matrices\n"
                 "from the flattened batch dimensions of a and b."),
    FASTCALL_DEF("segmented_mm", f_segmented_mm,
                 "segmented_mm(a, b, /, segments, *, stream=None)\n--\n\n"
                 "Matrix multiplication with the inner dimension cut into segments (start,\n"
                 "end), one product per segment."),
    FASTCALL_DEF("block_masked_mm", f_block_masked_mm,
                 "block_masked_mm(a, b, /, block_size=64, mask_out=None, mask_lhs=None, "
                 "mask_rhs=None, *, stream=None)\n--\n\n"
                 "Matrix multiplication with block masks on the operands and the output."),
    {NULL},
};
