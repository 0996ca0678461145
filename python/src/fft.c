/* fft.c -- the ember.core.fft submodule: MLX's signatures over the em_fft_*
 * functions (stream is an ordinary last parameter here, as in MLX). */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

typedef em_array *(*fft1_fn)(const em_array *, const int64_t *, int, em_fft_norm);
typedef em_array *(*fftn_fn)(const em_array *, const int64_t *, int, const int *, int, em_fft_norm);
typedef em_array *(*shift_fn)(const em_array *, const int *, int);
typedef em_array *(*freq_fn)(int64_t, double);

/* norm: 'backward', 'ortho' or 'forward'; another string reaches the C check
 * as an invalid value, which gives MLX's message. */
static int arg_norm(PyObject *o, const char *fname, em_fft_norm *out) {
    *out = EM_FFT_NORM_BACKWARD;
    if (!o) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): norm must be a str, not %.100s.", fname, Py_TYPE(o)->tp_name);
        return -1;
    }
    static const char *const names[] = {"backward", "ortho", "forward"};
    for (int i = 0; i < 3; i++)
        if (PyUnicode_CompareWithASCIIString(o, names[i]) == 0) {
            *out = (em_fft_norm)i;
            return 0;
        }
    *out = (em_fft_norm)-1;
    return 0;
}

static int arg_stream(em_state *st, PyObject *o, const char *fname) {
    return o && o != Py_None ? py_arg_stream(st, o, fname) : 0;
}

static const char *const names1[] = {"a", "n", "axis", "norm", "stream"};

/* (a, n=None, axis=-1, norm='backward', stream=None) */
static PyObject *fft1(const char *fname, fft1_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    py_argspec spec = {fname, names1, 5, 0, 5, 1, false};
    PyObject *a[5];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t n = 0;
    int axis = -1;
    em_fft_norm norm;
    bool has_n = a[1] && a[1] != Py_None;
    if ((has_n && py_arg_int64(a[1], fname, "n", &n) < 0) || py_arg_int(a[2], fname, "axis", &axis) < 0 ||
        arg_norm(a[3], fname, &norm) < 0 || arg_stream(st, a[4], fname) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x, has_n ? &n : NULL, axis, norm);
    em_array_release(x);
    return py_array_wrap(st, r);
}

static const char *const namesn[] = {"a", "s", "axes", "norm", "stream"};

/* (a, s=None, axes=<default>, norm='backward', stream=None) */
static PyObject *fftn(const char *fname, fftn_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    py_argspec spec = {fname, namesn, 5, 0, 5, 1, false};
    PyObject *a[5];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t s[EM_MAX_NDIM];
    int ns = -1, axes[EM_MAX_NDIM], naxes = -1;
    em_fft_norm norm;
    if ((a[1] && a[1] != Py_None && py_arg_shape(a[1], fname, "s", s, &ns) < 0) ||
        py_arg_axes(a[2], fname, "axes", true, axes, &naxes) < 0 || arg_norm(a[3], fname, &norm) < 0 ||
        arg_stream(st, a[4], fname) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x, ns >= 0 ? s : NULL, ns, naxes >= 0 ? axes : NULL, naxes, norm);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* (a, axes=None, stream=None) */
static PyObject *shift(const char *fname, shift_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "axes", "stream"};
    py_argspec spec = {fname, names, 3, 0, 3, 1, false};
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int axes[EM_MAX_NDIM], naxes;
    if (py_arg_axes(a[1], fname, "axes", true, axes, &naxes) < 0 || arg_stream(st, a[2], fname) < 0)
        return NULL;
    em_array *x = py_arg_array(st, a[0], fname, "a");
    if (!x) return NULL;
    em_array *r = fn(x, naxes >= 0 ? axes : NULL, naxes);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* (n, d=1.0, stream=None) */
static PyObject *freq(const char *fname, freq_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"n", "d", "stream"};
    py_argspec spec = {fname, names, 3, 0, 3, 1, false};
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int64_t n = 0;
    double d = 1.0;
    if (py_arg_int64(a[0], fname, "n", &n) < 0 || py_arg_double(a[1], fname, "d", &d) < 0 ||
        arg_stream(st, a[2], fname) < 0)
        return NULL;
    return py_array_wrap(st, fn(n, d));
}

#define F1(name) \
    static PyObject *f_##name(FASTCALL_ARGS) { return fft1(#name, em_fft_##name, m, args, nargs, kwnames); }
#define FN(name) \
    static PyObject *f_##name(FASTCALL_ARGS) { return fftn(#name, em_fft_##name, m, args, nargs, kwnames); }
F1(fft)
F1(ifft)
F1(rfft)
F1(irfft)
FN(fft2)
FN(ifft2)
FN(rfft2)
FN(irfft2)
FN(fftn)
FN(ifftn)
FN(rfftn)
FN(irfftn)
static PyObject *f_fftshift(FASTCALL_ARGS) { return shift("fftshift", em_fft_fftshift, m, args, nargs, kwnames); }
static PyObject *f_ifftshift(FASTCALL_ARGS) { return shift("ifftshift", em_fft_ifftshift, m, args, nargs, kwnames); }
static PyObject *f_fftfreq(FASTCALL_ARGS) { return freq("fftfreq", em_fft_fftfreq, m, args, nargs, kwnames); }
static PyObject *f_rfftfreq(FASTCALL_ARGS) { return freq("rfftfreq", em_fft_rfftfreq, m, args, nargs, kwnames); }

#define DOC1(name, what)                                                       \
    #name "(a, n=None, axis=-1, norm='backward', stream=None)\n--\n\n" what   \
    "\n\nArgs:\n    a (array): Input array.\n"                                 \
    "    n (int, optional): Size of the transformed axis: the input is cut or\n" \
    "        zero-padded to it. The default is the input's size.\n"          \
    "    axis (int, optional): Axis along which to transform (default -1).\n" \
    "    norm (str, optional): 'backward' (default), 'ortho' or 'forward'.\n\n" \
    "Returns:\n    array: The transform."
#define DOCN(name, axes, what)                                                 \
    #name "(a, s=None, axes=" axes ", norm='backward', stream=None)\n--\n\n" what \
    "\n\nArgs:\n    a (array): Input array.\n"                                 \
    "    s (list(int), optional): Sizes of the transformed axes: the input is\n" \
    "        cut or zero-padded to them. The default is the input's sizes.\n" \
    "    axes (list(int), optional): Axes along which to transform.\n"       \
    "    norm (str, optional): 'backward' (default), 'ortho' or 'forward'.\n\n" \
    "Returns:\n    array: The transform."

static PyMethodDef fft_methods[] = {
    FASTCALL_DEF("fft", f_fft, DOC1(fft, "One dimensional discrete Fourier Transform.")),
    FASTCALL_DEF("ifft", f_ifft, DOC1(ifft, "One dimensional inverse discrete Fourier Transform.")),
    FASTCALL_DEF("rfft", f_rfft, DOC1(rfft, "One dimensional discrete Fourier Transform on a real input "
                                            "(the n // 2 + 1 non-negative frequencies).")),
    FASTCALL_DEF("irfft", f_irfft, DOC1(irfft, "The inverse of rfft (real output of size n, by default "
                                               "2 * (m - 1) for an input of size m).")),
    FASTCALL_DEF("fft2", f_fft2, DOCN(fft2, "[-2, -1]", "Two dimensional discrete Fourier Transform.")),
    FASTCALL_DEF("ifft2", f_ifft2, DOCN(ifft2, "[-2, -1]", "Two dimensional inverse discrete Fourier Transform.")),
    FASTCALL_DEF("rfft2", f_rfft2, DOCN(rfft2, "[-2, -1]", "Two dimensional real discrete Fourier Transform.")),
    FASTCALL_DEF("irfft2", f_irfft2, DOCN(irfft2, "[-2, -1]", "The inverse of rfft2.")),
    FASTCALL_DEF("fftn", f_fftn, DOCN(fftn, "None", "n-dimensional discrete Fourier Transform.")),
    FASTCALL_DEF("ifftn", f_ifftn, DOCN(ifftn, "None", "n-dimensional inverse discrete Fourier Transform.")),
    FASTCALL_DEF("rfftn", f_rfftn, DOCN(rfftn, "None", "n-dimensional real discrete Fourier Transform.")),
    FASTCALL_DEF("irfftn", f_irfftn, DOCN(irfftn, "None", "The inverse of rfftn.")),
    FASTCALL_DEF("fftshift", f_fftshift,
                 "fftshift(a, axes=None, stream=None)\n--\n\n"
                 "Shift the zero-frequency component to the center of the spectrum.\n\nArgs:\n"
                 "    a (array): Input array.\n    axes (int or list(int), optional): Axes to shift\n"
                 "        (default: all).\n\nReturns:\n    array: The shifted array."),
    FASTCALL_DEF("ifftshift", f_ifftshift,
                 "ifftshift(a, axes=None, stream=None)\n--\n\n"
                 "The inverse of fftshift.\n\nArgs:\n"
                 "    a (array): Input array.\n    axes (int or list(int), optional): Axes to shift\n"
                 "        (default: all).\n\nReturns:\n    array: The shifted array."),
    FASTCALL_DEF("fftfreq", f_fftfreq,
                 "fftfreq(n, d=1.0, stream=None)\n--\n\n"
                 "The sample frequencies of an fft of size n with sample spacing d.\n\n"
                 "Returns:\n    array: float32 frequencies."),
    FASTCALL_DEF("rfftfreq", f_rfftfreq,
                 "rfftfreq(n, d=1.0, stream=None)\n--\n\n"
                 "The sample frequencies of an rfft of size n with sample spacing d.\n\n"
                 "Returns:\n    array: float32 frequencies."),
    {NULL},
};

int fft_module_init(PyObject *m, em_state *st) {
    (void)st;
    return py_add_submodule(m, "fft", fft_methods, "Fourier transforms (mlx.core.fft).");
}
