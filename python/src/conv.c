/* conv.c -- ember.core's convolutions: conv1d/2d/3d, conv_general, the
 * transposed convolutions and convolve (MLX's signatures and defaults). */
#include <string.h>

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

static bool is_int(PyObject *o) { return PyLong_Check(o) || PyIndex_Check(o); }

/* An int, or (when maxn != 1) a sequence of at most maxn ints (exactly maxn
 * when `exact`). o NULL leaves *n at 0 (the default). 0, or -1 with
 * TypeError in nanobind's words. */
static int int_list(PyObject *o, const char *fname, const char *name, int maxn, bool exact,
                    int *out, int *n) {
    *n = 0;
    if (!o) return 0;
    if (is_int(o) && !PyBool_Check(o)) {
        *n = 1;
        return py_arg_int(o, fname, name, out);
    }
    if (maxn > 1 && (PyList_Check(o) || PyTuple_Check(o))) {
        Py_ssize_t len = PySequence_Fast_GET_SIZE(o);
        if (len <= maxn && (!exact || len == maxn)) {
            for (Py_ssize_t i = 0; i < len; i++) {
                PyObject *e = PySequence_Fast_GET_ITEM(o, i);
                if (!is_int(e) || PyBool_Check(e)) goto bad;
                if (py_arg_int(e, fname, name, &out[i]) < 0) return -1;
            }
            *n = (int)len;
            return 0;
        }
    }
bad:
    PyErr_Format(PyExc_TypeError, "%s(): incompatible function arguments: %s must be %s.", fname,
                 name, maxn == 1 ? "an int" : exact ? "an int or a tuple of ints"
                                                    : "an int or a sequence of ints");
    return -1;
}

/* Parses (input, weight, ...) into two arrays. */
static int two_arrays(em_state *st, const py_argspec *spec, PyObject *const *a, em_array **x,
                      em_array **w) {
    *x = py_arg_array(st, a[0], spec->fname, spec->names[0]);
    *w = *x ? py_arg_array(st, a[1], spec->fname, spec->names[1]) : NULL;
    if (*w) return 0;
    em_array_release(*x);
    return -1;
}

static PyObject *finish(em_state *st, em_array *x, em_array *w, em_array *r) {
    em_array_release(x);
    em_array_release(w);
    return py_array_wrap(st, r);
}

/* A value given per dim: `v` (n entries: 1 repeated, or nd), expanded. */
static void expand(const int *v, int n, int nd, int dflt, int *out) {
    for (int d = 0; d < nd; d++) out[d] = n == 0 ? dflt : v[n == 1 ? 0 : d];
}

static PyObject *conv_fixed(int nd, const char *fname, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "conv", 2, 6, 2, true, "input", "weight", "stride", "padding", "dilation",
               "groups");
    py_argspec sp = spec;
    sp.fname = fname;
    PyObject *a[6];
    if (py_parse(st, &sp, args, nargs, kwnames, a) < 0) return NULL;
    int s[3], p[3], d[3], ns, np, ndl, groups = 1;
    if (int_list(a[2], fname, "stride", nd, true, s, &ns) < 0 ||
        int_list(a[3], fname, "padding", nd, true, p, &np) < 0 ||
        int_list(a[4], fname, "dilation", nd, true, d, &ndl) < 0 ||
        py_arg_int(a[5], fname, "groups", &groups) < 0)
        return NULL;
    int S[3], P[3], D[3];
    expand(s, ns, nd, 1, S);
    expand(p, np, nd, 0, P);
    expand(d, ndl, nd, 1, D);
    em_array *x, *w;
    if (two_arrays(st, &sp, a, &x, &w) < 0) return NULL;
    em_array *r = nd == 1   ? em_conv1d(x, w, S[0], P[0], D[0], groups)
                  : nd == 2 ? em_conv2d(x, w, S, P, D, groups)
                            : em_conv3d(x, w, S, P, D, groups);
    return finish(st, x, w, r);
}

static PyObject *f_conv1d(FASTCALL_ARGS) { return conv_fixed(1, "conv1d", m, args, nargs, kwnames); }
static PyObject *f_conv2d(FASTCALL_ARGS) { return conv_fixed(2, "conv2d", m, args, nargs, kwnames); }
static PyObject *f_conv3d(FASTCALL_ARGS) { return conv_fixed(3, "conv3d", m, args, nargs, kwnames); }

static PyObject *conv_transpose_fixed(int nd, const char *fname, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "conv_transpose", 2, 7, 2, true, "input", "weight", "stride", "padding",
               "dilation", "output_padding", "groups");
    py_argspec sp = spec;
    sp.fname = fname;
    PyObject *a[7];
    if (py_parse(st, &sp, args, nargs, kwnames, a) < 0) return NULL;
    int s[3], p[3], d[3], o[3], ns, np, ndl, no, groups = 1;
    if (int_list(a[2], fname, "stride", nd, true, s, &ns) < 0 ||
        int_list(a[3], fname, "padding", nd, true, p, &np) < 0 ||
        int_list(a[4], fname, "dilation", nd, true, d, &ndl) < 0 ||
        int_list(a[5], fname, "output_padding", nd, true, o, &no) < 0 ||
        py_arg_int(a[6], fname, "groups", &groups) < 0)
        return NULL;
    int S[3], P[3], D[3], O[3];
    expand(s, ns, nd, 1, S);
    expand(p, np, nd, 0, P);
    expand(d, ndl, nd, 1, D);
    expand(o, no, nd, 0, O);
    em_array *x, *w;
    if (two_arrays(st, &sp, a, &x, &w) < 0) return NULL;
    em_array *r = nd == 1   ? em_conv_transpose1d(x, w, S[0], P[0], D[0], O[0], groups)
                  : nd == 2 ? em_conv_transpose2d(x, w, S, P, D, O, groups)
                            : em_conv_transpose3d(x, w, S, P, D, O, groups);
    return finish(st, x, w, r);
}

static PyObject *f_conv_transpose1d(FASTCALL_ARGS) {
    return conv_transpose_fixed(1, "conv_transpose1d", m, args, nargs, kwnames);
}
static PyObject *f_conv_transpose2d(FASTCALL_ARGS) {
    return conv_transpose_fixed(2, "conv_transpose2d", m, args, nargs, kwnames);
}
static PyObject *f_conv_transpose3d(FASTCALL_ARGS) {
    return conv_transpose_fixed(3, "conv_transpose3d", m, args, nargs, kwnames);
}

/* conv_general's padding: an int, a sequence of ints (both sides), or a pair
 * of sequences (low, high). */
static int general_padding(PyObject *o, int *lo, int *nlo, int *hi, int *nhi) {
    *nlo = *nhi = 0;
    if (!o) return 0;
    if ((PyList_Check(o) || PyTuple_Check(o)) && PySequence_Fast_GET_SIZE(o) == 2) {
        PyObject *a = PySequence_Fast_GET_ITEM(o, 0), *b = PySequence_Fast_GET_ITEM(o, 1);
        bool sa = PyList_Check(a) || PyTuple_Check(a), sb = PyList_Check(b) || PyTuple_Check(b);
        if (sa && sb)
            return int_list(a, "conv_general", "padding", 3, false, lo, nlo) < 0 ||
                           int_list(b, "conv_general", "padding", 3, false, hi, nhi) < 0
                       ? -1
                       : 0;
    }
    if (int_list(o, "conv_general", "padding", EM_MAX_NDIM, false, lo, nlo) < 0) return -1;
    memcpy(hi, lo, sizeof(int) * (size_t)*nlo);
    *nhi = *nlo;
    return 0;
}

static PyObject *f_conv_general(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "conv_general", 2, 8, 2, true, "input", "weight", "stride", "padding",
               "kernel_dilation", "input_dilation", "groups", "flip");
    PyObject *a[8];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    /* lists may be longer than 3: conv_general reports their length */
    int s[EM_MAX_NDIM], lo[EM_MAX_NDIM], hi[EM_MAX_NDIM], kd[EM_MAX_NDIM], id[EM_MAX_NDIM];
    int ns, nlo, nhi, nkd, nid, groups = 1;
    bool flip = false;
    if (int_list(a[2], "conv_general", "stride", EM_MAX_NDIM, false, s, &ns) < 0 ||
        general_padding(a[3], lo, &nlo, hi, &nhi) < 0 ||
        int_list(a[4], "conv_general", "kernel_dilation", EM_MAX_NDIM, false, kd, &nkd) < 0 ||
        int_list(a[5], "conv_general", "input_dilation", EM_MAX_NDIM, false, id, &nid) < 0 ||
        py_arg_int(a[6], "conv_general", "groups", &groups) < 0 ||
        py_arg_bool(a[7], "conv_general", "flip", &flip) < 0)
        return NULL;
    em_array *x, *w;
    if (two_arrays(st, &spec, a, &x, &w) < 0) return NULL;
    /* MLX gives a one-element list to every dim, like an int */
    em_array *r = em_conv_general(x, w, s, ns, lo, nlo, hi, nhi, kd, nkd, id, nid, groups, flip);
    return finish(st, x, w, r);
}

static PyObject *f_convolve(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "convolve", 2, 3, 2, true, "a", "v", "mode");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_convolve_mode mode = EM_CONVOLVE_FULL;
    if (a[2]) {
        const char *s = PyUnicode_Check(a[2]) ? PyUnicode_AsUTF8(a[2]) : NULL;
        if (!s) {
            PyErr_SetString(PyExc_TypeError, "convolve(): mode must be a string.");
            return NULL;
        }
        if (!strcmp(s, "same")) mode = EM_CONVOLVE_SAME;
        else if (!strcmp(s, "valid")) mode = EM_CONVOLVE_VALID;
        else if (strcmp(s, "full") != 0) mode = (em_convolve_mode)-1;
    }
    if (!py_is_array(st, a[0]) || !py_is_array(st, a[1])) {
        PyErr_SetString(PyExc_TypeError, "convolve(): a and v must be arrays.");
        return NULL;
    }
    em_array *x, *w;
    if (two_arrays(st, &spec, a, &x, &w) < 0) return NULL;
    return finish(st, x, w, em_convolve(x, w, mode));
}

PyMethodDef py_conv_methods[] = {
    FASTCALL_DEF("conv1d", f_conv1d,
                 "conv1d(input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, "
                 "stream=None)\n--\n\n1D convolution over an input with several channels "
                 "(input NLC, weight OKI)."),
    FASTCALL_DEF("conv2d", f_conv2d,
                 "conv2d(input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, "
                 "stream=None)\n--\n\n2D convolution over an input with several channels "
                 "(input NHWC, weight OHWI)."),
    FASTCALL_DEF("conv3d", f_conv3d,
                 "conv3d(input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, "
                 "stream=None)\n--\n\n3D convolution over an input with several channels "
                 "(input NDHWC, weight ODHWI)."),
    FASTCALL_DEF("conv_transpose1d", f_conv_transpose1d,
                 "conv_transpose1d(input, weight, /, stride=1, padding=0, dilation=1, "
                 "output_padding=0, groups=1, *, stream=None)\n--\n\n"
                 "1D transposed convolution over an input with several channels."),
    FASTCALL_DEF("conv_transpose2d", f_conv_transpose2d,
                 "conv_transpose2d(input, weight, /, stride=1, padding=0, dilation=1, "
                 "output_padding=0, groups=1, *, stream=None)\n--\n\n"
                 "2D transposed convolution over an input with several channels."),
    FASTCALL_DEF("conv_transpose3d", f_conv_transpose3d,
                 "conv_transpose3d(input, weight, /, stride=1, padding=0, dilation=1, "
                 "output_padding=0, groups=1, *, stream=None)\n--\n\n"
                 "3D transposed convolution over an input with several channels."),
    FASTCALL_DEF("conv_general", f_conv_general,
                 "conv_general(input, weight, /, stride=1, padding=0, kernel_dilation=1, "
                 "input_dilation=1, groups=1, flip=False, *, stream=None)\n--\n\n"
                 "General convolution over an input with several channels: per-dim stride, "
                 "padding (an int, a list, or a pair of lists (low, high)), kernel and input "
                 "dilation, groups, and an optional flip of the kernel."),
    FASTCALL_DEF("convolve", f_convolve,
                 "convolve(a, v, /, mode='full', *, stream=None)\n--\n\n"
                 "The discrete convolution of 1D arrays ('full', 'same' or 'valid')."),
    {NULL, NULL, 0, NULL},
};
