/* fast.c -- the ember.core.fast submodule: MLX's signatures over the
 * em_fast_* functions, and the custom-kernel builders, which raise MLX's
 * errors since this build has neither a Metal nor a CUDA back-end for them. */
#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* An optional array argument: NULL/None gives *out NULL. */
static int opt_array(em_state *st, PyObject *o, const char *fname, const char *name, em_array **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    *out = py_arg_array(st, o, fname, name);
    return *out ? 0 : -1;
}

static int arg_float(PyObject *o, const char *fname, const char *name, float *out) {
    double d = *out;
    if (py_arg_double(o, fname, name, &d) < 0) return -1;
    *out = (float)d;
    return 0;
}

static PyObject *f_rms_norm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "rms_norm", 0, 3, 3, true, "x", "weight", "eps");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    float eps = 0;
    em_array *x = NULL, *w = NULL;
    if (arg_float(a[2], "rms_norm", "eps", &eps) < 0 || !(x = py_arg_array(st, a[0], "rms_norm", "x")) ||
        opt_array(st, a[1], "rms_norm", "weight", &w) < 0) {
        em_array_release(x);
        return NULL;
    }
    em_array *r = em_fast_rms_norm(x, w, eps);
    em_array_release(x);
    em_array_release(w);
    return py_array_wrap(st, r);
}

static PyObject *f_layer_norm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "layer_norm", 0, 4, 4, true, "x", "weight", "bias", "eps");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    float eps = 0;
    em_array *x = NULL, *w = NULL, *b = NULL;
    if (arg_float(a[3], "layer_norm", "eps", &eps) < 0 || !(x = py_arg_array(st, a[0], "layer_norm", "x")) ||
        opt_array(st, a[1], "layer_norm", "weight", &w) < 0 || opt_array(st, a[2], "layer_norm", "bias", &b) < 0) {
        em_array_release(x);
        em_array_release(w);
        return NULL;
    }
    em_array *r = em_fast_layer_norm(x, w, b, eps);
    em_array_release(x);
    em_array_release(w);
    em_array_release(b);
    return py_array_wrap(st, r);
}

static PyObject *f_rope(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "rope", 0, 2, 6, true, "a", "dims", "traditional", "base", "scale", "offset", "freqs");
    PyObject *a[7];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dims = 0;
    bool trad = false;
    float base = 0, scale = 1;
    bool has_base = a[3] && a[3] != Py_None;
    if (py_arg_int(a[1], "rope", "dims", &dims) < 0 || py_arg_bool(a[2], "rope", "traditional", &trad) < 0 ||
        (has_base && arg_float(a[3], "rope", "base", &base) < 0) || arg_float(a[4], "rope", "scale", &scale) < 0)
        return NULL;
    em_array *x = NULL, *off = NULL, *freqs = NULL;
    if (!py_is_array(st, a[5]) && !PyLong_Check(a[5])) {
        PyErr_Format(PyExc_TypeError, "rope(): offset must be an int or an array, not %.100s.",
                     Py_TYPE(a[5])->tp_name);
        return NULL;
    }
    if (!(x = py_arg_array(st, a[0], "rope", "a")) || !(off = py_arg_array(st, a[5], "rope", "offset")) ||
        opt_array(st, a[6], "rope", "freqs", &freqs) < 0) {
        em_array_release(x);
        em_array_release(off);
        return NULL;
    }
    em_array *r = em_fast_rope(x, dims, trad, has_base, base, scale, off, freqs);
    em_array_release(x);
    em_array_release(off);
    em_array_release(freqs);
    return py_array_wrap(st, r);
}

static PyObject *f_sdpa(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *fn = "scaled_dot_product_attention";
    PY_ARGSPEC(spec, "scaled_dot_product_attention", 0, 3, 4, true, "q", "k", "v", "scale", "mask", "sinks",
               "force_fused");
    PyObject *a[7];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    float scale = 1;
    bool force = false;
    if (arg_float(a[3], fn, "scale", &scale) < 0 || py_arg_bool(a[6], fn, "force_fused", &force) < 0) return NULL;
    const char *mode = NULL;
    em_array *q = NULL, *k = NULL, *v = NULL, *mask = NULL, *sinks = NULL;
    PyObject *r = NULL;
    if (a[4] && PyUnicode_Check(a[4])) {
        mode = PyUnicode_AsUTF8(a[4]);
        if (!mode) return NULL;
    } else if (a[4] && a[4] != Py_None && !py_is_array(st, a[4])) {
        PyErr_Format(PyExc_TypeError, "scaled_dot_product_attention(): mask must be None, a str or an array, "
                                      "not %.100s.", Py_TYPE(a[4])->tp_name);
        return NULL;
    } else if (opt_array(st, a[4], fn, "mask", &mask) < 0) {
        return NULL;
    }
    if ((q = py_arg_array(st, a[0], fn, "q")) && (k = py_arg_array(st, a[1], fn, "k")) &&
        (v = py_arg_array(st, a[2], fn, "v")) && opt_array(st, a[5], fn, "sinks", &sinks) == 0)
        r = py_array_wrap(st, em_fast_scaled_dot_product_attention(q, k, v, scale, mode, mask, sinks));
    em_array_release(q);
    em_array_release(k);
    em_array_release(v);
    em_array_release(mask);
    em_array_release(sinks);
    return r;
}

/* ---------------------------------------------------------------- custom kernels */

static PyObject *metal_call(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    (void)args;
    (void)kw;
    PyErr_SetString(PyExc_RuntimeError, "[metal_kernel] No Metal back-end.");
    return NULL;
}

static PyMethodDef metal_call_def = {"metal_kernel_call", (PyCFunction)(void (*)(void))metal_call,
                                     METH_VARARGS | METH_KEYWORDS,
                                     "kernel(*, inputs, output_shapes, output_dtypes, grid, threadgroup, "
                                     "template=None, init_value=None, verbose=False, stream=None)\n--\n\n"
                                     "Run the Metal kernel (not available in this build)."};

static PyObject *f_metal_kernel(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "metal_kernel", 0, 8, 4, false, "name", "input_names", "output_names", "source", "header",
               "ensure_row_contiguous", "atomic_outputs", "compile_options");
    PyObject *a[8];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (!PyUnicode_Check(a[0]) || !PyUnicode_Check(a[3])) {
        PyErr_SetString(PyExc_TypeError, "metal_kernel(): name and source must be str.");
        return NULL;
    }
    return PyCFunction_NewEx(&metal_call_def, m, NULL);
}

static PyObject *f_cuda_kernel(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "cuda_kernel", 0, 7, 4, false, "name", "input_names", "output_names", "source", "header",
               "ensure_row_contiguous", "shared_memory");
    PyObject *a[7];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    PyErr_SetString(PyExc_RuntimeError, "[cuda_kernel] No CUDA back-end.");
    return NULL;
}

static PyObject *f_precompiled_cuda_kernel(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "precompiled_cuda_kernel", 0, 0, 8, true, "name", "compiled_source", "inputs",
               "output_shapes", "output_dtypes", "scalars", "grid", "threadgroup", "shared_memory",
               "init_value", "ensure_row_contiguous");
    PyObject *a[11];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    PyErr_SetString(PyExc_RuntimeError, "[cuda_kernel] No CUDA back-end.");
    return NULL;
}

static PyMethodDef fast_methods[] = {
    FASTCALL_DEF("rms_norm", f_rms_norm,
                 "rms_norm(x, weight, eps, *, stream=None)\n--\n\n"
                 "Root Mean Square normalization (RMS norm) over the last axis of x, scaled by\n"
                 "weight (None: no scaling). Computed in float32 for half-precision inputs."),
    FASTCALL_DEF("layer_norm", f_layer_norm,
                 "layer_norm(x, weight, bias, eps, *, stream=None)\n--\n\n"
                 "Layer normalization over the last axis of x with optional weight and bias."),
    FASTCALL_DEF("rope", f_rope,
                 "rope(a, dims, *, traditional, base, scale, offset, freqs=None, stream=None)\n--\n\n"
                 "Rotary positional encoding of the first dims features of a (rank >= 3), at\n"
                 "positions offset + arange(a.shape[-2]) (offset an int, or an array of one\n"
                 "offset per a.shape[0]); traditional rotates consecutive pairs. Exactly one of\n"
                 "base and freqs gives the frequencies."),
    FASTCALL_DEF("scaled_dot_product_attention", f_sdpa,
                 "scaled_dot_product_attention(q, k, v, *, scale, mask=None, sinks=None, "
                 "force_fused=False, stream=None)\n--\n\n"
                 "softmax(q @ k.T * scale + mask) @ v for q (B, N_q, T_q, D), k (B, N_kv, T_kv, D),\n"
                 "v (B, N_kv, T_kv, D_v); N_q a multiple of N_kv (grouped-query attention).\n"
                 "mask: None, 'causal', a boolean array (True keeps) or an additive array\n"
                 "broadcastable to (B, N_q, T_q, T_kv); sinks (N_q,) add one logit per head."),
    FASTCALL_DEF("metal_kernel", f_metal_kernel,
                 "metal_kernel(name, input_names, output_names, source, header='', "
                 "ensure_row_contiguous=True, atomic_outputs=False, compile_options=None)\n--\n\n"
                 "A custom Metal kernel. This build has no Metal back-end: calling the\n"
                 "returned kernel raises RuntimeError."),
    FASTCALL_DEF("cuda_kernel", f_cuda_kernel,
                 "cuda_kernel(name, input_names, output_names, source, header='', "
                 "ensure_row_contiguous=True, shared_memory=0)\n--\n\n"
                 "A custom CUDA kernel. Raises RuntimeError: no CUDA back-end for custom kernels."),
    FASTCALL_DEF("precompiled_cuda_kernel", f_precompiled_cuda_kernel,
                 "precompiled_cuda_kernel(*, name, compiled_source, inputs, output_shapes, "
                 "output_dtypes, scalars, grid, threadgroup, shared_memory=0, init_value=None, "
                 "ensure_row_contiguous=False, stream=None)\n--\n\n"
                 "Run a compiled CUDA kernel. Raises RuntimeError: no CUDA back-end for custom kernels."),
    {NULL},
};

int fast_module_init(PyObject *m, em_state *st) {
    (void)st;
    return py_add_submodule(m, "fast", fast_methods, "Fused kernels (mlx.core.fast).");
}
