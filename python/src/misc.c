/* misc.c -- eval, matmul, asarray/from_dlpack, memory statistics, print
 * options, and the registration of every module function table. */

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* ---------------------------------------------------------------- eval */

typedef struct {
    em_array **items;
    size_t n, cap;
} array_vec;

static int vec_push(array_vec *v, em_array *a) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        em_array **p = PyMem_Realloc(v->items, cap * sizeof *p);
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = a;
    return 0;
}

/* Collects the arrays in nested lists, tuples and dict values; anything else
 * is ignored, as MLX does. The arrays are borrowed from their objects. */
static int collect(em_state *st, PyObject *o, array_vec *v) {
    if (py_is_array(st, o)) return vec_push(v, py_array_arr(o));
    if (PyList_Check(o) || PyTuple_Check(o) || PyDict_Check(o)) {
        if (Py_EnterRecursiveCall(" in eval")) return -1;
        int rc = 0;
        if (PyDict_Check(o)) {
            Py_ssize_t pos = 0;
            PyObject *k, *val;
            while (rc == 0 && PyDict_Next(o, &pos, &k, &val)) rc = collect(st, val, v);
        } else {
            for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(o); i++)
                rc = collect(st, PySequence_Fast_GET_ITEM(o, i), v);
        }
        Py_LeaveRecursiveCall();
        return rc;
    }
    return 0;
}

/* Evaluates (sync) or schedules (async) every array in args' trees. The
 * arrays are retained while the GIL is released: another thread could rebind
 * the Python objects that hold them meanwhile. */
static PyObject *eval_impl(PyObject *m, PyObject *const *args, Py_ssize_t nargs, bool async) {
    em_state *st = state_of_module(m);
    array_vec v = {0};
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (collect(st, args[i], &v) < 0) {
            PyMem_Free(v.items);
            return NULL;
        }
    }
    for (size_t i = 0; i < v.n; i++) em_array_retain(v.items[i]);
    em_status s = EM_OK;
    if (v.n) {
        Py_BEGIN_ALLOW_THREADS
        s = async ? em_async_eval(v.items, v.n) : em_eval(v.items, v.n);
        Py_END_ALLOW_THREADS
    }
    for (size_t i = 0; i < v.n; i++) em_array_release(v.items[i]);
    PyMem_Free(v.items);
    if (py_check(s) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *f_eval(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    return eval_impl(m, args, nargs, false);
}

static PyObject *f_async_eval(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    return eval_impl(m, args, nargs, true);
}

int py_wait(em_array *a) {
    em_status s;
    em_array_retain(a);
    Py_BEGIN_ALLOW_THREADS
    s = em_eval1(a);
    Py_END_ALLOW_THREADS
    em_array_release(a);
    return py_check(s);
}

static PyObject *f_matmul(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "matmul", 2, 2, 2, true, "a", "b");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_array *x = py_arg_array(st, a[0], "matmul", "a");
    em_array *y = x ? py_arg_array(st, a[1], "matmul", "b") : NULL;
    em_array *r = y ? em_matmul(x, y) : NULL;
    em_array_release(x);
    em_array_release(y);
    return y ? py_array_wrap(st, r) : NULL;
}

/* ---------------------------------------------------------------- interop */

static PyObject *f_asarray(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "asarray", 0, 2, 1, false, "a", "dtype", "copy");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt = -1;
    if (py_arg_dtype(st, a[1], "asarray", true, &dt) < 0) return NULL;
    if (py_is_array(st, a[0]) && (dt < 0 || dt == (int)em_array_dtype(py_array_arr(a[0]))) &&
        !(a[2] && a[2] != Py_None && PyObject_IsTrue(a[2]) == 1))
        return Py_NewRef(a[0]);
    return py_array_wrap(st, py_to_array(st, a[0], dt));
}

static PyObject *f_from_dlpack(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "from_dlpack", 1, 1, 1, false, "x", "copy");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    bool handled;
    em_array *r = py_from_dlpack(st, a[0], &handled);
    if (!handled) {
        PyErr_Format(PyExc_TypeError, "from_dlpack(): %.100s has no __dlpack__ method.",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    if (!r) return NULL;
    /* As array(): float64 becomes float32. A copy when asked for. */
    if (em_array_dtype(r) == EM_FLOAT64) {
        em_array *t = em_astype(r, EM_FLOAT32);
        em_array_release(r);
        r = t;
    } else if (a[1] && a[1] != Py_None && PyObject_IsTrue(a[1]) == 1) {
        em_array *t = em_copy(r);
        em_array_release(r);
        r = t;
    }
    return py_array_wrap(st, r);
}

/* ---------------------------------------------------------------- memory */

static PyObject *f_get_active_memory(PyObject *m, PyObject *u) { return PyLong_FromSize_t(em_get_active_memory()); }
static PyObject *f_get_peak_memory(PyObject *m, PyObject *u) { return PyLong_FromSize_t(em_get_peak_memory()); }
static PyObject *f_get_cache_memory(PyObject *m, PyObject *u) { return PyLong_FromSize_t(em_get_cache_memory()); }
static PyObject *f_reset_peak_memory(PyObject *m, PyObject *u) {
    em_reset_peak_memory();
    Py_RETURN_NONE;
}
static PyObject *f_clear_cache(PyObject *m, PyObject *u) {
    em_clear_cache();
    Py_RETURN_NONE;
}

static int size_arg(PyObject *o, const char *fname, size_t *out) {
    size_t v = PyLong_AsSize_t(o);
    if (v == (size_t)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError) || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s(): limit must be a non-negative int.", fname);
        }
        return -1;
    }
    *out = v;
    return 0;
}
static PyObject *f_set_memory_limit(PyObject *m, PyObject *o) {
    size_t v;
    if (size_arg(o, "set_memory_limit", &v) < 0) return NULL;
    return PyLong_FromSize_t(em_set_memory_limit(v));
}
static PyObject *f_set_cache_limit(PyObject *m, PyObject *o) {
    size_t v;
    if (size_arg(o, "set_cache_limit", &v) < 0) return NULL;
    return PyLong_FromSize_t(em_set_cache_limit(v));
}

/* ---------------------------------------------------------------- printing */

typedef struct {
    PyObject_HEAD
    int precision;
} PrintOptionsObject;

typedef struct {
    PyObject_HEAD
    int precision, saved;
} PrintCtxObject;

static void set_precision(em_state *st, int p) {
    st->print_precision = p;
    em_set_print_precision(p);
}

static PyObject *popts_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"precision", NULL};
    int p = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|i:PrintOptions", kwlist, &p)) return NULL;
    PrintOptionsObject *o = (PrintOptionsObject *)tp->tp_alloc(tp, 0);
    if (o) o->precision = p;
    return (PyObject *)o;
}

static PyObject *popts_repr(PyObject *self) {
    return PyUnicode_FromFormat("PrintOptions(precision=%d)", ((PrintOptionsObject *)self)->precision);
}

static void simple_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef popts_members[] = {
    {"precision", T_INT, offsetof(PrintOptionsObject, precision), 0,
     "Number of decimal places used when printing."},
    {NULL},
};

static PyType_Slot popts_slots[] = {
    {Py_tp_doc, "PrintOptions(precision=-1)\n--\n\nOptions for printing arrays."},
    {Py_tp_new, popts_new},
    {Py_tp_repr, popts_repr},
    {Py_tp_members, popts_members},
    {Py_tp_dealloc, simple_dealloc},
    {0, NULL},
};

static PyType_Spec popts_spec = {
    .name = "ember.core.PrintOptions",
    .basicsize = sizeof(PrintOptionsObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = popts_slots,
};

static PyObject *ctx_enter(PyObject *self, PyObject *u) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    PrintCtxObject *c = (PrintCtxObject *)self;
    c->saved = st->print_precision;
    set_precision(st, c->precision);
    return Py_NewRef(self);
}

static PyObject *ctx_exit(PyObject *self, PyObject *const *args, Py_ssize_t n) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    set_precision(st, ((PrintCtxObject *)self)->saved);
    Py_RETURN_NONE;
}

static PyMethodDef pctx_methods[] = {
    {"__enter__", ctx_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))ctx_exit, METH_FASTCALL, NULL},
    {NULL},
};

static PyType_Slot pctx_slots[] = {
    {Py_tp_doc, "A context that sets print options and restores them on exit."},
    {Py_tp_methods, pctx_methods},
    {Py_tp_dealloc, simple_dealloc},
    {0, NULL},
};

static PyType_Spec pctx_spec = {
    .name = "ember.core._PrintOptionsContext",
    .basicsize = sizeof(PrintCtxObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = pctx_slots,
};

static int precision_arg(em_state *st, const char *fname, FASTCALL_ARGS, int *p) {
    PY_ARGSPEC(spec, "set_printoptions", 0, 1, 0, false, "precision");
    py_argspec s = spec;
    s.fname = fname;
    PyObject *a[1];
    if (py_parse(st, &s, args, nargs, kwnames, a) < 0) return -1;
    *p = st->print_precision;
    return py_arg_int(a[0], fname, "precision", p);
}

static PyObject *f_set_printoptions(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    int p;
    if (precision_arg(st, "set_printoptions", m, args, nargs, kwnames, &p) < 0) return NULL;
    set_precision(st, p);
    Py_RETURN_NONE;
}

static PyObject *f_get_printoptions(PyObject *m, PyObject *u) {
    em_state *st = state_of_module(m);
    PrintOptionsObject *o = PyObject_New(PrintOptionsObject, st->printopts_type);
    if (o) o->precision = st->print_precision;
    return (PyObject *)o;
}

static PyObject *f_printoptions(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    int p;
    if (precision_arg(st, "printoptions", m, args, nargs, kwnames, &p) < 0) return NULL;
    PrintCtxObject *c = PyObject_New(PrintCtxObject, st->printopts_ctx_type);
    if (c) c->precision = c->saved = p;
    return (PyObject *)c;
}

/* ---------------------------------------------------------------- tables */

PyMethodDef py_misc_methods[] = {
    {"async_eval", (PyCFunction)(void (*)(void))f_async_eval, METH_FASTCALL,
     "async_eval(*args)\n--\n\nAsynchronously evaluate an :class:`array` or tree of :class:`array`.\n\n"
     "Returns at once: the arrays' kernels run on their streams' worker threads, and a\n"
     "later eval, item, conversion or synchronize waits only for what it needs. Errors\n"
     "of kernels are raised there.\n\n"
     "Args:\n    *args (arrays or trees of arrays): Each argument can be a single array\n"
     "      or a tree of arrays. If a tree is given the nodes can be a Python\n"
     "      :class:`list`, :class:`tuple` or :class:`dict`. Leaves which are not\n"
     "      arrays are ignored."},
    {"eval", (PyCFunction)(void (*)(void))f_eval, METH_FASTCALL,
     "eval(*args)\n--\n\nEvaluate an :class:`array` or tree of :class:`array`.\n\n"
     "Args:\n    *args (arrays or trees of arrays): Each argument can be a single array\n"
     "      or a tree of arrays (lists, tuples, dicts). Other leaves are ignored."},
    FASTCALL_DEF("matmul", f_matmul,
                 "matmul(a, b, /, *, stream=None)\n--\n\nMatrix multiplication (NumPy rules for\n"
                 "1-D operands and broadcast batch dimensions)."),
    FASTCALL_DEF("asarray", f_asarray,
                 "asarray(a, dtype=None, *, copy=None)\n--\n\n"
                 "Convert the input to an array (the same array when nothing changes)."),
    FASTCALL_DEF("from_dlpack", f_from_dlpack,
                 "from_dlpack(x, /, *, copy=None)\n--\n\n"
                 "Make an array from a DLPack producer, sharing its memory."),
    {"get_active_memory", f_get_active_memory, METH_NOARGS,
     "get_active_memory()\n--\n\nThe bytes held by live arrays."},
    {"get_peak_memory", f_get_peak_memory, METH_NOARGS,
     "get_peak_memory()\n--\n\nThe peak number of bytes held by arrays."},
    {"reset_peak_memory", f_reset_peak_memory, METH_NOARGS,
     "reset_peak_memory()\n--\n\nReset the peak memory to zero."},
    {"get_cache_memory", f_get_cache_memory, METH_NOARGS,
     "get_cache_memory()\n--\n\nThe bytes held in the allocator's cache."},
    {"set_memory_limit", f_set_memory_limit, METH_O,
     "set_memory_limit(limit)\n--\n\nSet the memory limit; returns the previous one."},
    {"set_cache_limit", f_set_cache_limit, METH_O,
     "set_cache_limit(limit)\n--\n\nSet the cache limit; returns the previous one."},
    {"clear_cache", f_clear_cache, METH_NOARGS, "clear_cache()\n--\n\nClear the memory cache."},
    FASTCALL_DEF("set_printoptions", f_set_printoptions,
                 "set_printoptions(precision=None)\n--\n\nSet global options for printing arrays."),
    {"get_printoptions", f_get_printoptions, METH_NOARGS,
     "get_printoptions()\n--\n\nThe current print options (a :class:`PrintOptions`)."},
    FASTCALL_DEF("printoptions", f_printoptions,
                 "printoptions(precision=None)\n--\n\n"
                 "A context manager that sets print options and restores them on exit."),
    {NULL},
};

int misc_module_init(PyObject *m, em_state *st) {
    PyObject *t = PyType_FromModuleAndSpec(m, &popts_spec, NULL);
    if (!t) return -1;
    st->printopts_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "PrintOptions", t) < 0) return -1;
    t = PyType_FromModuleAndSpec(m, &pctx_spec, NULL);
    if (!t) return -1;
    st->printopts_ctx_type = (PyTypeObject *)t;
    return PyModule_AddObjectRef(m, "_PrintOptionsContext", t);
}

int ops_module_init(PyObject *m, em_state *st) {
    PyMethodDef *tables[] = {py_elementwise_methods, py_reduce_methods, py_shape_methods,
                             py_creation_methods, py_misc_methods, py_index_methods,
                             py_transform_methods, py_vmap_methods, py_io_methods,
                             py_conv_methods, py_sort_methods, py_contract_methods,
                             py_misc_ops_methods,
                             py_quant_methods};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        if (PyModule_AddFunctions(m, tables[i]) < 0) return -1;
    return 0;
}
