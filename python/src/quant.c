/* quant.c -- bindings of quantize, dequantize, quantized_matmul, gather_qmm, to_fp8 and
 * from_fp8 with MLX's signatures over the em_* functions. */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* An optional array argument (None: NULL). 0, or -1 with an exception. */
static int opt_array(em_state *st, PyObject *o, const char *fname, const char *name, em_array **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    *out = py_arg_array(st, o, fname, name);
    return *out ? 0 : -1;
}

/* An optional int (None: 0, the mode's default). */
static int opt_int(PyObject *o, const char *fname, const char *name, int *out) {
    *out = 0;
    if (!o || o == Py_None) return 0;
    return py_arg_int(o, fname, name, out);
}

/* The mode string (default "affine"). */
static int arg_mode(PyObject *o, const char *fname, const char **out) {
    if (!o) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): mode must be a str, not %.100s.", fname,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = PyUnicode_AsUTF8(o);
    return *out ? 0 : -1;
}

static void release_all(em_array **x, int n) {
    for (int i = 0; i < n; i++) em_array_release(x[i]);
}

static PyObject *f_quantize(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "quantize", 1, 4, 1, true, "w", "group_size", "bits", "mode", "global_scale");
    PyObject *a[5];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x[2] = {NULL, NULL}, *r[3] = {NULL, NULL, NULL};
    int gs, bits, n = 0;
    const char *mode = "affine";
    if (!(x[0] = py_arg_array(st, a[0], "quantize", "w"))) return NULL;
    if (opt_int(a[1], "quantize", "group_size", &gs) < 0 || opt_int(a[2], "quantize", "bits", &bits) < 0 ||
        arg_mode(a[3], "quantize", &mode) < 0 || opt_array(st, a[4], "quantize", "global_scale", &x[1]) < 0) {
        release_all(x, 2);
        return NULL;
    }
    em_status s = em_quantize(x[0], gs, bits, mode, x[1], r, &n);
    release_all(x, 2);
    if (py_check(s) < 0) return NULL;
    PyObject *t = PyTuple_New(n);
    for (int i = 0; i < n; i++) {
        PyObject *o = t ? py_array_wrap(st, r[i]) : (em_array_release(r[i]), NULL);
        if (t && !o) Py_CLEAR(t);
        if (t) PyTuple_SET_ITEM(t, i, o);
    }
    return t;
}

static PyObject *f_dequantize(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "dequantize", 1, 8, 2, true, "w", "scales", "biases", "group_size", "bits",
               "mode", "global_scale", "dtype");
    PyObject *a[8];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x[4] = {NULL, NULL, NULL, NULL}, *r = NULL;
    int gs, bits, dt = -1;
    const char *mode = "affine";
    if ((x[0] = py_arg_array(st, a[0], "dequantize", "w")) &&
        (x[1] = py_arg_array(st, a[1], "dequantize", "scales")) &&
        opt_array(st, a[2], "dequantize", "biases", &x[2]) == 0 &&
        opt_int(a[3], "dequantize", "group_size", &gs) == 0 &&
        opt_int(a[4], "dequantize", "bits", &bits) == 0 && arg_mode(a[5], "dequantize", &mode) == 0 &&
        opt_array(st, a[6], "dequantize", "global_scale", &x[3]) == 0 &&
        (!a[7] || py_arg_dtype(st, a[7], "dequantize", true, &dt) == 0))
        r = em_dequantize(x[0], x[1], x[2], gs, bits, mode, x[3], dt < 0 ? EM_FLOAT32 : (em_dtype)dt,
                          dt >= 0);
    release_all(x, 4);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_quantized_matmul(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "quantized_matmul", 2, 8, 3, true, "x", "w", "scales", "biases", "transpose",
               "group_size", "bits", "mode");
    PyObject *a[8];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x[4] = {NULL, NULL, NULL, NULL}, *r = NULL;
    int gs, bits;
    bool tr = true;
    const char *mode = "affine";
    const char *f = "quantized_matmul";
    if ((x[0] = py_arg_array(st, a[0], f, "x")) && (x[1] = py_arg_array(st, a[1], f, "w")) &&
        (x[2] = py_arg_array(st, a[2], f, "scales")) && opt_array(st, a[3], f, "biases", &x[3]) == 0 &&
        py_arg_bool(a[4], f, "transpose", &tr) == 0 && opt_int(a[5], f, "group_size", &gs) == 0 &&
        opt_int(a[6], f, "bits", &bits) == 0 && arg_mode(a[7], f, &mode) == 0)
        r = em_quantized_matmul(x[0], x[1], x[2], x[3], tr, gs, bits, mode);
    release_all(x, 4);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_gather_qmm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "gather_qmm", 2, 11, 3, true, "x", "w", "scales", "biases", "lhs_indices",
               "rhs_indices", "transpose", "group_size", "bits", "mode", "global_scale",
               "sorted_indices");
    PyObject *a[12];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL}, *r = NULL;
    int gs, bits;
    bool tr = true, sorted = false;
    const char *mode = "affine";
    const char *f = "gather_qmm";
    if ((x[0] = py_arg_array(st, a[0], f, "x")) && (x[1] = py_arg_array(st, a[1], f, "w")) &&
        (x[2] = py_arg_array(st, a[2], f, "scales")) && opt_array(st, a[3], f, "biases", &x[3]) == 0 &&
        opt_array(st, a[4], f, "lhs_indices", &x[4]) == 0 &&
        opt_array(st, a[5], f, "rhs_indices", &x[5]) == 0 &&
        py_arg_bool(a[6], f, "transpose", &tr) == 0 && opt_int(a[7], f, "group_size", &gs) == 0 &&
        opt_int(a[8], f, "bits", &bits) == 0 && arg_mode(a[9], f, &mode) == 0 &&
        opt_array(st, a[10], f, "global_scale", &x[6]) == 0 &&
        py_arg_bool(a[11], f, "sorted_indices", &sorted) == 0)
        r = em_gather_qmm(x[0], x[1], x[2], x[3], x[4], x[5], tr, gs, bits, mode, x[6], sorted);
    release_all(x, 7);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_qqmm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "qqmm", 0, 8, 2, true, "x", "w", "scales", "group_size", "bits", "mode",
               "global_scale_x", "global_scale_w");
    PyObject *a[8];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x[5] = {NULL, NULL, NULL, NULL, NULL}, *r = NULL;
    int gs, bits;
    const char *mode = "nvfp4";
    const char *f = "qqmm";
    if ((x[0] = py_arg_array(st, a[0], f, "x")) && (x[1] = py_arg_array(st, a[1], f, "w")) &&
        opt_array(st, a[2], f, "scales", &x[2]) == 0 && opt_int(a[3], f, "group_size", &gs) == 0 &&
        opt_int(a[4], f, "bits", &bits) == 0 && arg_mode(a[5], f, &mode) == 0 &&
        opt_array(st, a[6], f, "global_scale_x", &x[3]) == 0 &&
        opt_array(st, a[7], f, "global_scale_w", &x[4]) == 0)
        r = em_qqmm(x[0], x[1], x[2], gs, bits, mode, x[3], x[4]);
    release_all(x, 5);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_gather_qqmm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "gather_qqmm", 2, 10, 2, true, "x", "w", "scales", "lhs_indices",
               "rhs_indices", "group_size", "bits", "mode", "global_scale_x", "global_scale_w",
               "sorted_indices");
    PyObject *a[11];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL}, *r = NULL;
    int gs, bits;
    bool sorted = false;
    const char *mode = "nvfp4";
    const char *f = "gather_qqmm";
    if ((x[0] = py_arg_array(st, a[0], f, "x")) && (x[1] = py_arg_array(st, a[1], f, "w")) &&
        opt_array(st, a[2], f, "scales", &x[2]) == 0 &&
        opt_array(st, a[3], f, "lhs_indices", &x[3]) == 0 &&
        opt_array(st, a[4], f, "rhs_indices", &x[4]) == 0 &&
        opt_int(a[5], f, "group_size", &gs) == 0 && opt_int(a[6], f, "bits", &bits) == 0 &&
        arg_mode(a[7], f, &mode) == 0 && opt_array(st, a[8], f, "global_scale_x", &x[5]) == 0 &&
        opt_array(st, a[9], f, "global_scale_w", &x[6]) == 0 &&
        py_arg_bool(a[10], f, "sorted_indices", &sorted) == 0)
        r = em_gather_qqmm(x[0], x[1], x[2], x[3], x[4], gs, bits, mode, x[5], x[6], sorted);
    release_all(x, 7);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_to_fp8(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "to_fp8", 0, 1, 1, true, "x");
    PyObject *a[1];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "to_fp8", "x");
    if (!x) return NULL;
    em_array *r = em_to_fp8(x);
    em_array_release(x);
    return py_array_wrap(st, r);
}

static PyObject *f_from_fp8(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "from_fp8", 0, 2, 1, true, "x", "dtype");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt = EM_BFLOAT16;
    if (a[1] && py_arg_dtype(st, a[1], "from_fp8", false, &dt) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "from_fp8", "x");
    if (!x) return NULL;
    em_array *r = em_from_fp8(x, (em_dtype)dt);
    em_array_release(x);
    return py_array_wrap(st, r);
}

PyMethodDef py_quant_methods[] = {
    FASTCALL_DEF("quantize", f_quantize,
                 "quantize(w, /, group_size=None, bits=None, mode='affine', *, global_scale=None, "
                 "stream=None)\n--\n\n"
                 "Quantize the array w along its last axis in groups of group_size, each\n"
                 "element given `bits` bits. Returns (w_q, scales, biases) for 'affine'."),
    FASTCALL_DEF("dequantize", f_dequantize,
                 "dequantize(w, /, scales, biases=None, group_size=None, bits=None, mode='affine', "
                 "global_scale=None, dtype=None, *, stream=None)\n--\n\n"
                 "Dequantize w (packed by quantize) with its scales and biases."),
    FASTCALL_DEF("quantized_matmul", f_quantized_matmul,
                 "quantized_matmul(x, w, /, scales, biases=None, transpose=True, group_size=None, "
                 "bits=None, mode='affine', *, stream=None)\n--\n\n"
                 "Matrix multiplication of x with the quantized matrix w (transposed when\n"
                 "transpose is True)."),
    FASTCALL_DEF("gather_qmm", f_gather_qmm,
                 "gather_qmm(x, w, /, scales, biases=None, lhs_indices=None, rhs_indices=None, "
                 "transpose=True, group_size=None, bits=None, mode='affine', global_scale=None, *, "
                 "sorted_indices=False, stream=None)\n--\n\n"
                 "quantized_matmul with matrix-level gathers: the matrices of x and of the\n"
                 "quantized w picked by lhs_indices and rhs_indices (None: all, in order)."),
    FASTCALL_DEF("qqmm", f_qqmm,
                 "qqmm(x, w, scales=None, group_size=None, bits=None, mode='nvfp4', "
                 "global_scale_x=None, global_scale_w=None, *, stream=None)\n--\n\n"
                 "x @ w.T with x quantized on the fly (mode 'nvfp4', 'mxfp8' or 'mxfp4') and w\n"
                 "quantized on the fly, or already quantized (uint32, with its scales)."),
    FASTCALL_DEF("gather_qqmm", f_gather_qqmm,
                 "gather_qqmm(x, w, /, scales=None, lhs_indices=None, rhs_indices=None, "
                 "group_size=None, bits=None, mode='nvfp4', global_scale_x=None, "
                 "global_scale_w=None, *, sorted_indices=False, stream=None)\n--\n\n"
                 "qqmm with matrix-level gathers: the matrices of x and of w picked by\n"
                 "lhs_indices and rhs_indices (None: all, in order)."),
    FASTCALL_DEF("to_fp8", f_to_fp8,
                 "to_fp8(x, *, stream=None)\n--\n\nConvert x to float8 e4m3 codes (uint8)."),
    FASTCALL_DEF("from_fp8", f_from_fp8,
                 "from_fp8(x, dtype=bfloat16, *, stream=None)\n--\n\n"
                 "Convert float8 e4m3 codes (uint8) to dtype."),
    {NULL, NULL, 0, NULL}};
