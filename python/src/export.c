/* export.c -- export_function, import_function, exporter and FunctionExporter
 * (mlx.core's function export) over em_export_writer / em_imported. */
#include "pyember.h"

static const char PY_RAISED[] = "[export_function] A Python exception was raised by the function.";
static const char BAD_INPUTS[] = "[export_function] Inputs can either be a variable number of positional and "
                                 "keyword arrays or a single tuple and/or dictionary of arrays.";
static const char BAD_OUTPUTS[] = "[export_function] Outputs can be either a single array, a tuple, or a list of arrays.";

/* The pending Python exception if there is one (the ember error is dropped),
 * else the ember error. NULL. */
static PyObject *raise_either(void) {
    if (PyErr_Occurred()) {
        em_error_clear();
        return NULL;
    }
    return py_raise_ember();
}

/* ---------------------------------------------------------------- inputs */

/* Flattened inputs: positional arrays, then keyword arrays in name order. */
typedef struct inputs {
    em_array **arr;
    const char **kw;   /* borrowed UTF-8 of the names in `names` */
    PyObject *names;   /* list of the keyword names (sorted) */
    Py_ssize_t n_pos, n_kw;
} inputs;

static void inputs_free(inputs *in) {
    for (Py_ssize_t i = 0; in->arr && i < in->n_pos + in->n_kw; i++) em_array_release(in->arr[i]);
    PyMem_Free(in->arr);
    PyMem_Free(in->kw);
    Py_XDECREF(in->names);
    memset(in, 0, sizeof *in);
}

static bool all_arrays(em_state *st, PyObject *seq) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seq); i++)
        if (!py_is_array(st, PyTuple_GET_ITEM(seq, i))) return false;
    return true;
}

/* args (a tuple) and kwargs (a dict or NULL) as MLX takes them: arrays, or one
 * tuple and/or one dict of arrays. `err` is the message for anything else. */
static int inputs_parse(em_state *st, PyObject *args, PyObject *kwargs, const char *err, inputs *in) {
    memset(in, 0, sizeof *in);
    PyObject *pos = NULL, *kw = PyDict_New();
    if (!kw) return -1;
    int r = -1;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (all_arrays(st, args)) {
        pos = Py_NewRef(args);
    } else if (n >= 1 && n <= 2) {
        PyObject *a0 = PyTuple_GET_ITEM(args, 0), *a1 = n == 2 ? PyTuple_GET_ITEM(args, 1) : NULL;
        PyObject *t = NULL, *d = NULL;
        if (PyTuple_Check(a0) || PyList_Check(a0)) t = a0, d = a1;
        else if (PyDict_Check(a0) && !a1) d = a0;
        if ((!t && !d) || (d && !PyDict_Check(d))) goto bad;
        pos = t ? PySequence_Tuple(t) : PyTuple_New(0);
        if (!pos) goto done;
        if (!all_arrays(st, pos)) goto bad;
        if (d && PyDict_Update(kw, d) < 0) goto done;
    } else {
        goto bad;
    }
    if (kwargs && PyDict_Update(kw, kwargs) < 0) goto done;
    in->names = PyDict_Keys(kw);
    if (!in->names || PyList_Sort(in->names) < 0) goto done;
    in->n_pos = PyTuple_GET_SIZE(pos);
    in->n_kw = PyList_GET_SIZE(in->names);
    in->arr = PyMem_Calloc((size_t)(in->n_pos + in->n_kw + 1), sizeof *in->arr);
    in->kw = PyMem_Calloc((size_t)(in->n_kw + 1), sizeof *in->kw);
    if (!in->arr || !in->kw) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < in->n_pos; i++) in->arr[i] = em_array_retain(py_array_arr(PyTuple_GET_ITEM(pos, i)));
    for (Py_ssize_t i = 0; i < in->n_kw; i++) {
        PyObject *k = PyList_GET_ITEM(in->names, i), *v;
        if (!PyUnicode_Check(k) || !(v = PyDict_GetItemWithError(kw, k)) || !py_is_array(st, v)) {
            if (!PyErr_Occurred()) goto bad;
            goto done;
        }
        in->kw[i] = PyUnicode_AsUTF8(k);
        if (!in->kw[i]) goto done;
        in->arr[in->n_pos + i] = em_array_retain(py_array_arr(v));
    }
    r = 0;
    goto done;
bad:
    PyErr_SetString(PyExc_ValueError, err);
done:
    Py_XDECREF(pos);
    Py_DECREF(kw);
    if (r < 0) inputs_free(in);
    return r;
}

/* ---------------------------------------------------------------- the traced function */

typedef struct pyfun {
    em_state *st;
    PyObject *fun;
    Py_ssize_t n_pos;
    PyObject *names; /* keyword names of the trailing inputs */
} pyfun;

static em_status pyfun_call(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    pyfun *p = ctx;
    PyObject *a = PyTuple_New(p->n_pos), *k = PyDict_New(), *res = NULL;
    if (!a || !k) goto fail;
    for (size_t i = 0; i < n; i++) {
        PyObject *o = py_array_wrap(p->st, em_array_retain(in[i]));
        if (!o) goto fail;
        if ((Py_ssize_t)i < p->n_pos) {
            PyTuple_SET_ITEM(a, (Py_ssize_t)i, o);
        } else {
            int e = PyDict_SetItem(k, PyList_GET_ITEM(p->names, (Py_ssize_t)i - p->n_pos), o);
            Py_DECREF(o);
            if (e < 0) goto fail;
        }
    }
    res = PyObject_Call(p->fun, a, k);
    if (!res) goto fail;
    if (py_is_array(p->st, res)) {
        if (em_array_list_push(out, py_array_arr(res)) != EM_OK) goto fail_ember;
    } else if (PyTuple_Check(res) || PyList_Check(res)) {
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(res); i++) {
            PyObject *o = PySequence_Fast_GET_ITEM(res, i);
            if (!py_is_array(p->st, o)) {
                PyErr_SetString(PyExc_ValueError, BAD_OUTPUTS);
                goto fail;
            }
            if (em_array_list_push(out, py_array_arr(o)) != EM_OK) goto fail_ember;
        }
    } else {
        PyErr_SetString(PyExc_ValueError, BAD_OUTPUTS);
        goto fail;
    }
    Py_DECREF(res);
    Py_DECREF(a);
    Py_DECREF(k);
    return EM_OK;
fail:
    Py_XDECREF(res);
    Py_XDECREF(a);
    Py_XDECREF(k);
    return em_error_set(EM_ERR_RUNTIME, PY_RAISED);
fail_ember:
    Py_XDECREF(res);
    Py_XDECREF(a);
    Py_XDECREF(k);
    return em_error_code();
}

/* Records one trace of fun at `in` into w. 0, or -1 with an exception. */
static int add_trace(em_state *st, em_export_writer *w, PyObject *fun, inputs *in) {
    pyfun p = {st, fun, in->n_pos, in->names};
    em_closure *c = em_closure_new(pyfun_call, &p, NULL);
    if (!c) return raise_either(), -1;
    em_status s = em_export_writer_add(w, c, in->arr, (size_t)in->n_pos, in->kw, (size_t)in->n_kw);
    em_closure_release(c);
    if (s != EM_OK) return raise_either(), -1;
    return 0;
}

static int split_options(PyObject *kwargs, PyObject **shapeless, PyObject **metadata, PyObject **rest) {
    *shapeless = *metadata = NULL;
    *rest = kwargs ? PyDict_Copy(kwargs) : PyDict_New();
    if (!*rest) return -1;
    *shapeless = PyDict_GetItemString(*rest, "shapeless");
    *metadata = PyDict_GetItemString(*rest, "metadata");
    Py_XINCREF(*shapeless);
    Py_XINCREF(*metadata);
    if ((*shapeless && PyDict_DelItemString(*rest, "shapeless") < 0) ||
        (*metadata && PyDict_DelItemString(*rest, "metadata") < 0))
        return -1;
    return 0;
}

static int metadata_arg(PyObject *o, const char **out) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "export_function(): metadata must be a str, not %.100s.", Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = PyUnicode_AsUTF8(o);
    return *out ? 0 : -1;
}

static int path_arg(PyObject *o, const char *fname, PyObject **bytes) {
    *bytes = NULL;
    if (!PyUnicode_Check(o) && !PyBytes_Check(o) && !PyObject_HasAttrString(o, "__fspath__")) {
        PyErr_Format(PyExc_TypeError, "%s(): file must be a str or path, not %.100s.", fname, Py_TYPE(o)->tp_name);
        return -1;
    }
    return PyUnicode_FSConverter(o, bytes) ? 0 : -1;
}

/* The callback form: the callback receives MLX-like dicts describing the
 * trace's inputs, keyword inputs and outputs. */
static PyObject *sig_list(em_state *st, em_array *const *a, Py_ssize_t n, const char *prefix, Py_ssize_t start) {
    PyObject *l = PyList_New(n);
    for (Py_ssize_t i = 0; l && i < n; i++) {
        int nd = em_array_ndim(a[i]);
        PyObject *shape = PyTuple_New(nd);
        for (int d = 0; shape && d < nd; d++) PyTuple_SET_ITEM(shape, d, PyLong_FromLongLong(em_array_shape(a[i])[d]));
        PyObject *dt = py_dtype(st, em_array_dtype(a[i]));
        PyObject *t = shape && dt ? Py_BuildValue("(sNN)", "", shape, dt) : NULL;
        if (!t) {
            Py_XDECREF(shape);
            Py_XDECREF(dt);
            Py_CLEAR(l);
            break;
        }
        PyObject *name = PyUnicode_FromFormat("%s%zd", prefix, start + i);
        if (!name) {
            Py_DECREF(t);
            Py_CLEAR(l);
            break;
        }
        Py_SETREF(PyTuple_GET_ITEM(t, 0), name);
        PyList_SET_ITEM(l, i, t);
    }
    return l;
}

static PyObject *export_callback(em_state *st, PyObject *cb, PyObject *fun, inputs *in) {
    Py_ssize_t n = in->n_pos + in->n_kw;
    PyObject *ins = sig_list(st, in->arr, n, "in_", 0);
    if (!ins) return NULL;
    PyObject *ev = Py_BuildValue("{s:s,s:N}", "type", "inputs", "inputs", ins);
    PyObject *r = ev ? PyObject_CallOneArg(cb, ev) : NULL;
    Py_XDECREF(ev);
    if (!r) return NULL;
    Py_DECREF(r);
    PyObject *kws = PyList_New(in->n_kw);
    for (Py_ssize_t i = 0; kws && i < in->n_kw; i++)
        PyList_SET_ITEM(kws, i, Py_BuildValue("(sN)", in->kw[i], PyUnicode_FromFormat("in_%zd", in->n_pos + i)));
    ev = kws ? Py_BuildValue("{s:s,s:N}", "type", "keyword_inputs", "keywords", kws) : NULL;
    r = ev ? PyObject_CallOneArg(cb, ev) : NULL;
    Py_XDECREF(ev);
    if (!r) return NULL;
    Py_DECREF(r);
    pyfun p = {st, fun, in->n_pos, in->names};
    em_array_list *outs = em_array_list_new();
    if (!outs) return PyErr_NoMemory();
    if (pyfun_call(&p, in->arr, (size_t)n, outs) != EM_OK) {
        em_array_list_free(outs);
        return raise_either();
    }
    PyObject *ol = sig_list(st, em_array_list_data(outs), (Py_ssize_t)em_array_list_size(outs), "out_", 0);
    em_array_list_free(outs);
    ev = ol ? Py_BuildValue("{s:s,s:N}", "type", "outputs", "outputs", ol) : NULL;
    r = ev ? PyObject_CallOneArg(cb, ev) : NULL;
    Py_XDECREF(ev);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static PyObject *f_export_function(PyObject *m, PyObject *args, PyObject *kwargs) {
    em_state *st = state_of_module(m);
    if (PyTuple_GET_SIZE(args) < 2) {
        PyErr_SetString(PyExc_TypeError, "export_function() missing required arguments: 'file_or_callback' and 'fun'.");
        return NULL;
    }
    PyObject *target = PyTuple_GET_ITEM(args, 0), *fun = PyTuple_GET_ITEM(args, 1);
    PyObject *o_shapeless, *o_meta, *rest, *path = NULL, *ret = NULL;
    PyObject *ex_args = PyTuple_GetSlice(args, 2, PyTuple_GET_SIZE(args));
    inputs in = {0};
    em_export_writer *w = NULL;
    bool shapeless = false;
    const char *meta = NULL;
    if (!ex_args) return NULL;
    if (split_options(kwargs, &o_shapeless, &o_meta, &rest) < 0) goto done;
    if (py_arg_bool(o_shapeless, "export_function", "shapeless", &shapeless) < 0 || metadata_arg(o_meta, &meta) < 0)
        goto done;
    if (!PyCallable_Check(fun)) {
        PyErr_SetString(PyExc_TypeError, "export_function(): fun must be callable.");
        goto done;
    }
    if (inputs_parse(st, ex_args, rest, BAD_INPUTS, &in) < 0) goto done;
    if (PyCallable_Check(target) && !PyUnicode_Check(target)) {
        if (meta) {
            PyErr_SetString(PyExc_ValueError, "[export_function] The metadata argument is only supported when "
                                              "exporting to a file, not when using a callback.");
            goto done;
        }
        ret = export_callback(st, target, fun, &in);
        goto done;
    }
    if (path_arg(target, "export_function", &path) < 0) goto done;
    if (!(w = em_export_writer_new(PyBytes_AS_STRING(path), meta, shapeless))) {
        raise_either();
        goto done;
    }
    if (add_trace(st, w, fun, &in) < 0) goto done;
    if (em_export_writer_close(w) != EM_OK) {
        raise_either();
        goto done;
    }
    ret = Py_NewRef(Py_None);
done:
    em_export_writer_free(w);
    inputs_free(&in);
    Py_XDECREF(path);
    Py_XDECREF(ex_args);
    Py_XDECREF(o_shapeless);
    Py_XDECREF(o_meta);
    Py_XDECREF(rest);
    return ret;
}

/* ---------------------------------------------------------------- import */

static void imported_capsule_free(PyObject *cap) {
    em_imported_free(PyCapsule_GetPointer(cap, "ember.imported"));
}

static PyObject *imported_call(PyObject *cap, PyObject *args, PyObject *kwargs) {
    em_imported *f = PyCapsule_GetPointer(cap, "ember.imported");
    PyObject *m = PyCapsule_GetContext(cap);
    if (!f || !m) return NULL;
    em_state *st = state_of_module(m);
    inputs in;
    if (inputs_parse(st, args, kwargs,
                     "[import_function::call] Inputs can either be a variable number of positional and keyword "
                     "arrays or a single tuple and/or dictionary of arrays.",
                     &in) < 0)
        return NULL;
    em_array_list *out = em_array_list_new();
    PyObject *r = NULL;
    if (!out) {
        PyErr_NoMemory();
    } else if (em_imported_call(f, in.arr, (size_t)in.n_pos, in.kw, (size_t)in.n_kw, out) != EM_OK) {
        py_raise_ember();
    } else {
        size_t n = em_array_list_size(out);
        r = PyTuple_New((Py_ssize_t)n);
        for (size_t i = 0; r && i < n; i++) {
            PyObject *o = py_array_wrap(st, em_array_retain(em_array_list_get(out, i)));
            if (!o) Py_CLEAR(r);
            else PyTuple_SET_ITEM(r, (Py_ssize_t)i, o);
        }
    }
    em_array_list_free(out);
    inputs_free(&in);
    return r;
}

static PyMethodDef imported_def = {"imported_function", (PyCFunction)(void (*)(void))imported_call,
                                   METH_VARARGS | METH_KEYWORDS,
                                   "imported_function(*args, **kwargs)\n--\n\n"
                                   "Call the imported function: returns a tuple of arrays."};

static PyObject *f_import_function(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "import_function", 0, 2, 1, false, "file", "return_metadata");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    bool want_meta = false;
    PyObject *path;
    if (py_arg_bool(a[1], "import_function", "return_metadata", &want_meta) < 0 ||
        path_arg(a[0], "import_function", &path) < 0)
        return NULL;
    em_imported *f = em_import_function(PyBytes_AS_STRING(path));
    Py_DECREF(path);
    if (!f) return py_raise_ember();
    PyObject *cap = PyCapsule_New(f, "ember.imported", imported_capsule_free);
    if (!cap) {
        em_imported_free(f);
        return NULL;
    }
    if (PyCapsule_SetContext(cap, m) < 0) {
        Py_DECREF(cap);
        return NULL;
    }
    PyObject *fn = PyCFunction_NewEx(&imported_def, cap, NULL);
    Py_DECREF(cap);
    if (!fn || !want_meta) return fn;
    return Py_BuildValue("(Ns)", fn, em_imported_metadata(f));
}

/* ---------------------------------------------------------------- FunctionExporter */

typedef struct {
    PyObject_HEAD
    em_export_writer *w;
    PyObject *fun;
} ExporterObject;

static PyObject *exporter_close(PyObject *self, PyObject *unused) {
    (void)unused;
    ExporterObject *e = (ExporterObject *)self;
    if (e->w && em_export_writer_close(e->w) != EM_OK) return py_raise_ember();
    Py_RETURN_NONE;
}

static PyObject *exporter_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    ExporterObject *e = (ExporterObject *)self;
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    inputs in;
    if (inputs_parse(st, args, kwargs, BAD_INPUTS, &in) < 0) return NULL;
    int r = add_trace(st, e->w, e->fun, &in);
    inputs_free(&in);
    if (r < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *exporter_enter(PyObject *self, PyObject *u) {
    (void)u;
    return Py_NewRef(self);
}

static PyObject *exporter_exit(PyObject *self, PyObject *const *args, Py_ssize_t n) {
    (void)args;
    (void)n;
    return exporter_close(self, NULL);
}

static int exporter_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(((ExporterObject *)self)->fun);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int exporter_clear(PyObject *self) {
    Py_CLEAR(((ExporterObject *)self)->fun);
    return 0;
}

static void exporter_dealloc(PyObject *self) {
    ExporterObject *e = (ExporterObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (e->w && em_export_writer_close(e->w) != EM_OK) em_error_clear(); /* as a file object's close on GC */
    em_export_writer_free(e->w);
    exporter_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMethodDef exporter_methods[] = {
    {"close", exporter_close, METH_NOARGS, "close(self)\n--\n\nFinish the export file."},
    {"__enter__", exporter_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))exporter_exit, METH_FASTCALL, NULL},
    {NULL},
};

static PyType_Slot exporter_slots[] = {
    {Py_tp_doc, "A context managing class for exporting multiple traces of the same\n"
                "function to a file.\n\nMake an instance of this class by calling :func:`exporter`."},
    {Py_tp_call, exporter_call},
    {Py_tp_methods, exporter_methods},
    {Py_tp_traverse, exporter_traverse},
    {Py_tp_clear, exporter_clear},
    {Py_tp_dealloc, exporter_dealloc},
    {0, NULL},
};

static PyType_Spec exporter_spec = {
    .name = "ember.core.FunctionExporter",
    .basicsize = sizeof(ExporterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = exporter_slots,
};

static PyObject *f_exporter(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "exporter", 0, 2, 2, false, "file", "fun", "shapeless", "metadata");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    bool shapeless = false;
    const char *meta = NULL;
    PyObject *path;
    if (py_arg_bool(a[2], "exporter", "shapeless", &shapeless) < 0 || metadata_arg(a[3], &meta) < 0) return NULL;
    if (!PyCallable_Check(a[1])) {
        PyErr_SetString(PyExc_TypeError, "exporter(): fun must be callable.");
        return NULL;
    }
    if (path_arg(a[0], "exporter", &path) < 0) return NULL;
    PyObject *tp = PyObject_GetAttrString(m, "FunctionExporter");
    ExporterObject *e = tp ? PyObject_GC_New(ExporterObject, (PyTypeObject *)tp) : NULL;
    Py_XDECREF(tp);
    if (!e) {
        Py_DECREF(path);
        return NULL;
    }
    e->fun = Py_NewRef(a[1]);
    e->w = em_export_writer_new(PyBytes_AS_STRING(path), meta, shapeless);
    Py_DECREF(path);
    PyObject_GC_Track((PyObject *)e);
    if (!e->w) {
        Py_DECREF(e);
        return py_raise_ember();
    }
    return (PyObject *)e;
}

PyMethodDef py_export_methods[] = {
    {"export_function", (PyCFunction)(void (*)(void))f_export_function, METH_VARARGS | METH_KEYWORDS,
     "export_function(file_or_callback, fun, *args, shapeless=False, metadata=None, **kwargs)\n--\n\n"
     "Trace fun at the example array inputs (*args and **kwargs, or one tuple and/or\n"
     "dict of arrays) and write the trace to a file in ember's own format (not MLX's\n"
     ".mlxfn), or describe it to a callback. Read it back with import_function."},
    {"import_function", (PyCFunction)(void (*)(void))f_import_function, METH_FASTCALL | METH_KEYWORDS,
     "import_function(file, return_metadata=False)\n--\n\n"
     "Import a function written by export_function or exporter. The returned callable\n"
     "takes arrays as the exported traces did and returns a tuple of arrays."},
    {"exporter", (PyCFunction)(void (*)(void))f_exporter, METH_FASTCALL | METH_KEYWORDS,
     "exporter(file, fun, *, shapeless=False, metadata=None)\n--\n\n"
     "A FunctionExporter: call it once per trace to record, then close() (or use it\n"
     "as a context manager) to write the file."},
    {NULL},
};

int export_module_init(PyObject *m, em_state *st) {
    (void)st;
    PyObject *t = PyType_FromModuleAndSpec(m, &exporter_spec, NULL);
    if (!t) return -1;
    int r = PyModule_AddObjectRef(m, "FunctionExporter", t);
    Py_DECREF(t);
    if (r < 0) return -1;
    return PyModule_AddFunctions(m, py_export_methods);
}
