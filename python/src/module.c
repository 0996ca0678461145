/* module.c -- the ember.core module: its state, initialisation, and the one
 * function that turns an ember error into a Python exception. */
#include "pyember.h"

static struct PyModuleDef core_def;

/* ---------------------------------------------------------------- errors */

PyObject *py_raise_ember(void) {
    py_stream_done();
    em_status code = em_error_code();
    const char *msg = em_error_message();
    PyObject *exc;
    switch (code) {
    case EM_ERR_TYPE: exc = PyExc_TypeError; break;
    case EM_ERR_INDEX: exc = PyExc_IndexError; break;
    case EM_ERR_MEMORY: exc = PyExc_MemoryError; break;
    case EM_ERR_RUNTIME:
    case EM_ERR_UNSUPPORTED: exc = PyExc_RuntimeError; break;
    case EM_ERR_IO: exc = PyExc_OSError; break;
    case EM_ERR_VALUE:
    case EM_ERR_NULL: exc = PyExc_ValueError; break;
    case EM_OK:
    default:
        /* A Python exception may already explain the failure. */
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "[ember] An operation failed without an error.");
        return NULL;
    }
    PyErr_SetString(exc, msg);
    em_error_clear();
    return NULL;
}

int py_check(em_status st) {
    if (st == EM_OK) return 0;
    py_raise_ember();
    return -1;
}

/* ---------------------------------------------------------------- submodules */

int py_add_submodule(PyObject *m, const char *name, PyMethodDef *defs, const char *doc) {
    const char *parent = PyModule_GetName(m);
    if (!parent) return -1;
    PyObject *full = PyUnicode_FromFormat("%s.%s", parent, name);
    if (!full) return -1;
    PyObject *sub = PyModule_NewObject(full);
    int r = -1;
    if (!sub) goto done;
    PyObject *d = PyUnicode_FromString(doc);
    if (!d || PyModule_AddObjectRef(sub, "__doc__", d) < 0) {
        Py_XDECREF(d);
        goto done;
    }
    Py_DECREF(d);
    for (PyMethodDef *def = defs; def->ml_name; def++) {
        PyObject *f = PyCFunction_NewEx(def, m, full);
        if (!f) goto done;
        int e = PyModule_AddObjectRef(sub, def->ml_name, f);
        Py_DECREF(f);
        if (e < 0) goto done;
    }
    if (PyModule_AddObjectRef(m, name, sub) < 0) goto done;
    PyObject *modules = PyImport_GetModuleDict();
    if (PyDict_SetItem(modules, full, sub) < 0) goto done;
    r = 0;
done:
    Py_XDECREF(sub);
    Py_DECREF(full);
    return r;
}

/* ---------------------------------------------------------------- state */

/* The module state reached from a type: the state of the module that created
 * tp or the first base of tp (in MRO order) that this module created, so that
 * Python subclasses of array work too. */
PyObject *module_of_type(PyTypeObject *tp) {
#if PY_VERSION_HEX >= 0x030B0000
    return PyType_GetModuleByDef(tp, &core_def);
#else
    PyObject *mro = tp->tp_mro;
    Py_ssize_t n = mro ? PyTuple_GET_SIZE(mro) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (!(base->tp_flags & Py_TPFLAGS_HEAPTYPE)) continue;
        PyObject *m = ((PyHeapTypeObject *)base)->ht_module;
        if (m && PyModule_GetDef(m) == &core_def) return m;
    }
    PyErr_SetString(PyExc_TypeError, "[ember] The type is not from ember.core.");
    return NULL;
#endif
}

em_state *state_of_type(PyTypeObject *tp) {
    PyObject *m = module_of_type(tp);
    return m ? state_of_module(m) : NULL;
}

static int core_traverse(PyObject *m, visitproc visit, void *arg) {
    em_state *st = state_of_module(m);
    if (!st) return 0;
    Py_VISIT(st->array_type);
    Py_VISIT(st->dtype_type);
    Py_VISIT(st->iter_type);
    Py_VISIT(st->at_type);
    Py_VISIT(st->finfo_type);
    Py_VISIT(st->iinfo_type);
    Py_VISIT(st->device_type);
    Py_VISIT(st->stream_type);
    Py_VISIT(st->tl_stream_type);
    Py_VISIT(st->stream_ctx_type);
    Py_VISIT(st->printopts_type);
    Py_VISIT(st->printopts_ctx_type);
    Py_VISIT(st->transformed_type);
    Py_VISIT(st->custom_function_type);
    Py_VISIT(st->tree_slot);
    for (int i = 0; i < EM_NUM_DTYPES; i++) Py_VISIT(st->dtypes[i]);
    Py_VISIT(st->dtype_category);
    for (int i = 0; i < CAT_COUNT; i++) Py_VISIT(st->categories[i]);
    Py_VISIT(st->device_type_enum);
    Py_VISIT(st->cpu);
    Py_VISIT(st->gpu);
    Py_VISIT(st->file_error);
    Py_VISIT(st->random_state);
    return 0;
}

static int core_clear(PyObject *m) {
    em_state *st = state_of_module(m);
    if (!st) return 0;
    Py_CLEAR(st->array_type);
    Py_CLEAR(st->dtype_type);
    Py_CLEAR(st->iter_type);
    Py_CLEAR(st->at_type);
    Py_CLEAR(st->finfo_type);
    Py_CLEAR(st->iinfo_type);
    Py_CLEAR(st->device_type);
    Py_CLEAR(st->stream_type);
    Py_CLEAR(st->tl_stream_type);
    Py_CLEAR(st->stream_ctx_type);
    Py_CLEAR(st->printopts_type);
    Py_CLEAR(st->printopts_ctx_type);
    Py_CLEAR(st->transformed_type);
    Py_CLEAR(st->custom_function_type);
    Py_CLEAR(st->tree_slot);
    for (int i = 0; i < EM_NUM_DTYPES; i++) Py_CLEAR(st->dtypes[i]);
    Py_CLEAR(st->dtype_category);
    for (int i = 0; i < CAT_COUNT; i++) Py_CLEAR(st->categories[i]);
    Py_CLEAR(st->device_type_enum);
    Py_CLEAR(st->cpu);
    Py_CLEAR(st->gpu);
    Py_CLEAR(st->file_error);
    Py_CLEAR(st->random_state);
    return 0;
}

static void core_free(void *m) { core_clear((PyObject *)m); }

/* ---------------------------------------------------------------- init */

static int add_float(PyObject *m, const char *name, double v) {
    PyObject *o = PyFloat_FromDouble(v);
    if (!o) return -1;
    int r = PyModule_AddObjectRef(m, name, o);
    Py_DECREF(o);
    return r;
}

static int core_exec(PyObject *m) {
    em_state *st = state_of_module(m);
    st->print_precision = -1;
    if (dtype_module_init(m, st) < 0) return -1;
    if (device_module_init(m, st) < 0) return -1;
    if (array_module_init(m, st) < 0) return -1;
    if (ops_module_init(m, st) < 0) return -1;
    if (misc_module_init(m, st) < 0) return -1;
    if (linalg_module_init(m, st) < 0 || fft_module_init(m, st) < 0) return -1;
    if (transforms_module_init(m, st) < 0) return -1;
    if (io_module_init(m, st) < 0) return -1;
    if (random_module_init(m, st) < 0) return -1;
    if (fast_module_init(m, st) < 0) return -1;
    if (export_module_init(m, st) < 0) return -1;
    if (misc_ops_module_init(m, st) < 0) return -1;
    if (PyModule_AddStringConstant(m, "__version__", em_version()) < 0) return -1;
    if (add_float(m, "pi", 3.141592653589793) < 0 || add_float(m, "e", 2.718281828459045) < 0 ||
        add_float(m, "euler_gamma", 0.5772156649015329) < 0 ||
        add_float(m, "inf", Py_HUGE_VAL) < 0 || add_float(m, "nan", Py_NAN) < 0)
        return -1;
    if (PyModule_AddObjectRef(m, "newaxis", Py_None) < 0) return -1;
    return 0;
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, (void *)core_exec},
    {0, NULL},
};

static struct PyModuleDef core_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ember.core",
    .m_doc = "ember.core: lazy arrays with MLX's Python API, over the ember C library.",
    .m_size = sizeof(em_state),
    .m_methods = NULL,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

PyMODINIT_FUNC PyInit_core(void);
PyMODINIT_FUNC PyInit_core(void) { return PyModuleDef_Init(&core_def); }
