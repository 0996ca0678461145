/* device.c -- DeviceType, Device, Stream and the stream/device functions. The
 * C library runs everything on the CPU for now, so the GPU is reported as
 * unavailable and choosing it is a ValueError, as MLX does without a GPU. */

#include "pyember.h"

typedef struct {
    PyObject_HEAD
    PyObject *type; /* a DeviceType member */
    int index;
} DeviceObject;

typedef struct {
    PyObject_HEAD
    PyObject *device; /* a Device */
    int index;
} StreamObject;

typedef struct {
    PyObject_HEAD
    PyObject *target; /* what stream(s) was given */
} StreamContextObject;

static const char gpu_error[] = "[default_stream] Cannot get gpu stream without gpu backend.";

/* The DeviceType of a Device, DeviceType or Stream; NULL (no exception) when
 * o is none of these. Borrowed. */
static PyObject *device_type_of(em_state *st, PyObject *o) {
    if (o == st->cpu || o == st->gpu) return o;
    if (Py_TYPE(o) == st->device_type) return ((DeviceObject *)o)->type;
    if (Py_TYPE(o) == st->stream_type)
        return ((DeviceObject *)((StreamObject *)o)->device)->type;
    return NULL;
}

int py_arg_stream(em_state *st, PyObject *o, const char *fname) {
    if (o == Py_None) return 0;
    PyObject *t = device_type_of(st, o);
    if (!t) {
        PyErr_Format(PyExc_TypeError,
                     "%s(): stream must be a Stream, Device, DeviceType or None, not %.100s.",
                     fname, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (t == st->gpu) {
        PyErr_SetString(PyExc_ValueError, gpu_error);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- Device */

static PyObject *device_make(em_state *st, PyObject *type, int index) {
    DeviceObject *d = PyObject_GC_New(DeviceObject, st->device_type);
    if (!d) return NULL;
    d->type = Py_NewRef(type);
    d->index = index;
    PyObject_GC_Track(d);
    return (PyObject *)d;
}

static PyObject *device_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    em_state *st = state_of_type(tp);
    if (!st) return NULL;
    static char *kwlist[] = {"type", "index", NULL};
    PyObject *type;
    int index = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i:Device", kwlist, &type, &index)) return NULL;
    if (type != st->cpu && type != st->gpu) {
        PyErr_Format(PyExc_TypeError, "Device(): type must be a DeviceType, not %.100s.",
                     Py_TYPE(type)->tp_name);
        return NULL;
    }
    return device_make(st, type, index);
}

static PyObject *device_repr(PyObject *self) {
    DeviceObject *d = (DeviceObject *)self;
    PyObject *name = PyObject_GetAttrString(d->type, "name");
    if (!name) return NULL;
    PyObject *r = PyUnicode_FromFormat("Device(%U, %d)", name, d->index);
    Py_DECREF(name);
    return r;
}

static PyObject *device_richcompare(PyObject *a, PyObject *b, int op) {
    em_state *st = state_of_type(Py_TYPE(a));
    if (!st) return NULL;
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    DeviceObject *d = (DeviceObject *)a;
    bool eq;
    if (Py_TYPE(b) == st->device_type)
        eq = d->type == ((DeviceObject *)b)->type && d->index == ((DeviceObject *)b)->index;
    else if (b == st->cpu || b == st->gpu)
        eq = d->type == b;
    else
        Py_RETURN_NOTIMPLEMENTED;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t device_hash(PyObject *self) {
    DeviceObject *d = (DeviceObject *)self;
    Py_hash_t h = PyObject_Hash(d->type);
    return h == -1 ? -1 : h ^ (Py_hash_t)(d->index * 1000003);
}

static int device_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((DeviceObject *)self)->type);
    return 0;
}

static int device_clear(PyObject *self) {
    Py_CLEAR(((DeviceObject *)self)->type);
    return 0;
}

static void device_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    device_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef device_members[] = {
    {"type", T_OBJECT, offsetof(DeviceObject, type), READONLY, "The device's DeviceType."},
    {NULL},
};

static PyType_Slot device_slots[] = {
    {Py_tp_doc, "A device to run operations on."},
    {Py_tp_new, device_new},
    {Py_tp_repr, device_repr},
    {Py_tp_richcompare, device_richcompare},
    {Py_tp_hash, device_hash},
    {Py_tp_members, device_members},
    {Py_tp_traverse, device_traverse},
    {Py_tp_clear, device_clear},
    {Py_tp_dealloc, device_dealloc},
    {0, NULL},
};

static PyType_Spec device_spec = {
    .name = "ember.core.Device",
    .basicsize = sizeof(DeviceObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = device_slots,
};

/* ---------------------------------------------------------------- Stream */

static PyObject *stream_make(em_state *st, PyObject *device, int index) {
    StreamObject *s = PyObject_GC_New(StreamObject, st->stream_type);
    if (!s) return NULL;
    s->device = Py_NewRef(device);
    s->index = index;
    PyObject_GC_Track(s);
    return (PyObject *)s;
}

static PyObject *stream_repr(PyObject *self) {
    StreamObject *s = (StreamObject *)self;
    return PyUnicode_FromFormat("Stream(%R, %d)", s->device, s->index);
}

static PyObject *stream_richcompare(PyObject *a, PyObject *b, int op) {
    if (Py_TYPE(a) != Py_TYPE(b) || (op != Py_EQ && op != Py_NE)) Py_RETURN_NOTIMPLEMENTED;
    StreamObject *x = (StreamObject *)a, *y = (StreamObject *)b;
    int eq = PyObject_RichCompareBool(x->device, y->device, Py_EQ);
    if (eq < 0) return NULL;
    eq = eq && x->index == y->index;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static int stream_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((StreamObject *)self)->device);
    return 0;
}

static int stream_clear(PyObject *self) {
    Py_CLEAR(((StreamObject *)self)->device);
    return 0;
}

static void stream_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    stream_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef stream_members[] = {
    {"device", T_OBJECT, offsetof(StreamObject, device), READONLY, "The stream's device."},
    {NULL},
};

static PyType_Slot stream_slots[] = {
    {Py_tp_doc, "A stream for running operations on a given device."},
    {Py_tp_repr, stream_repr},
    {Py_tp_richcompare, stream_richcompare},
    {Py_tp_hash, PyObject_HashNotImplemented},
    {Py_tp_members, stream_members},
    {Py_tp_traverse, stream_traverse},
    {Py_tp_clear, stream_clear},
    {Py_tp_dealloc, stream_dealloc},
    {0, NULL},
};

static PyType_Spec stream_spec = {
    .name = "ember.core.Stream",
    .basicsize = sizeof(StreamObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = stream_slots,
};

/* ---------------------------------------------------------------- StreamContext */

static PyObject *ctx_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    em_state *st = state_of_type(tp);
    if (!st) return NULL;
    static char *kwlist[] = {"s", NULL};
    PyObject *s;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:StreamContext", kwlist, &s)) return NULL;
    if (py_arg_stream(st, s, "StreamContext") < 0) return NULL;
    StreamContextObject *c = (StreamContextObject *)tp->tp_alloc(tp, 0);
    if (c) c->target = Py_NewRef(s);
    return (PyObject *)c;
}

/* Only the CPU stream exists, so entering and leaving change nothing. */
static PyObject *ctx_enter(PyObject *self, PyObject *unused) { return Py_NewRef(self); }
static PyObject *ctx_exit(PyObject *self, PyObject *const *args, Py_ssize_t n) { Py_RETURN_NONE; }

static int ctx_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((StreamContextObject *)self)->target);
    return 0;
}

static void ctx_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((StreamContextObject *)self)->target);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMethodDef ctx_methods[] = {
    {"__enter__", ctx_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))ctx_exit, METH_FASTCALL, NULL},
    {NULL},
};

static PyType_Slot ctx_slots[] = {
    {Py_tp_doc, "A context manager for setting the current device and stream."},
    {Py_tp_new, ctx_new},
    {Py_tp_methods, ctx_methods},
    {Py_tp_traverse, ctx_traverse},
    {Py_tp_dealloc, ctx_dealloc},
    {0, NULL},
};

static PyType_Spec ctx_spec = {
    .name = "ember.core.StreamContext",
    .basicsize = sizeof(StreamContextObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = ctx_slots,
};

/* ---------------------------------------------------------------- functions */

static PyObject *f_default_device(PyObject *m, PyObject *unused) {
    return Py_NewRef(state_of_module(m)->default_device);
}

static PyObject *f_set_default_device(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    if (py_arg_stream(st, d, "set_default_device") < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *f_default_stream(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    if (py_arg_stream(st, d, "default_stream") < 0) return NULL;
    return Py_NewRef(st->default_stream);
}

static PyObject *f_set_default_stream(PyObject *m, PyObject *s) {
    em_state *st = state_of_module(m);
    if (Py_TYPE(s) != st->stream_type) {
        PyErr_SetString(PyExc_TypeError, "set_default_stream(): expected a Stream.");
        return NULL;
    }
    if (py_arg_stream(st, s, "set_default_stream") < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *f_new_stream(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    if (py_arg_stream(st, d, "new_stream") < 0) return NULL;
    if (d == Py_None) {
        PyErr_SetString(PyExc_TypeError, "new_stream(): expected a Device.");
        return NULL;
    }
    /* Work on every stream runs in order on the CPU; a new stream is a new
     * name for that queue. */
    return stream_make(st, st->default_device, ++st->next_stream);
}

static PyObject *f_stream(PyObject *m, PyObject *s) {
    em_state *st = state_of_module(m);
    return PyObject_CallOneArg((PyObject *)st->stream_ctx_type, s);
}

static PyObject *f_synchronize(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "synchronize", 0, 1, 0, false, "stream");
    PyObject *a[1];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (a[0] && py_arg_stream(st, a[0], "synchronize") < 0) return NULL;
    /* Evaluation is synchronous: nothing is in flight. */
    Py_RETURN_NONE;
}

static PyObject *f_is_available(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    PyObject *t = device_type_of(st, d);
    if (!t) {
        PyErr_SetString(PyExc_TypeError, "is_available(): expected a Device or DeviceType.");
        return NULL;
    }
    return PyBool_FromLong(t == st->cpu);
}

static PyObject *f_device_count(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    PyObject *t = device_type_of(st, d);
    if (!t) {
        PyErr_SetString(PyExc_TypeError, "device_count(): expected a DeviceType.");
        return NULL;
    }
    return PyLong_FromLong(t == st->cpu ? 1 : 0);
}

static PyMethodDef device_functions[] = {
    {"default_device", f_default_device, METH_NOARGS,
     "default_device()\n--\n\nGet the default device."},
    {"set_default_device", f_set_default_device, METH_O,
     "set_default_device(device)\n--\n\nSet the default device."},
    {"default_stream", f_default_stream, METH_O,
     "default_stream(device)\n--\n\nGet the device's default stream."},
    {"set_default_stream", f_set_default_stream, METH_O,
     "set_default_stream(stream)\n--\n\nSet the default stream."},
    {"new_stream", f_new_stream, METH_O, "new_stream(device)\n--\n\nMake a new stream on the given device."},
    {"stream", f_stream, METH_O,
     "stream(s)\n--\n\nCreate a context manager to set the default device and stream."},
    {"synchronize", (PyCFunction)(void (*)(void))f_synchronize, METH_FASTCALL | METH_KEYWORDS,
     "synchronize(stream=None)\n--\n\nSynchronize with the given stream."},
    {"is_available", f_is_available, METH_O,
     "is_available(device)\n--\n\nCheck if a back-end is available for the given device."},
    {"device_count", f_device_count, METH_O,
     "device_count(device_type)\n--\n\nGet the number of available devices of the given type."},
    {NULL},
};

static PyObject *sub_is_available(PyObject *m, PyObject *unused) { Py_RETURN_FALSE; }

static PyMethodDef backend_functions[] = {
    {"is_available", sub_is_available, METH_NOARGS,
     "is_available()\n--\n\nWhether the back-end is available (never, in this build)."},
    {NULL},
};

static int add_submodule(PyObject *m, const char *name, const char *qualname) {
    PyObject *sub = PyModule_New(qualname);
    if (!sub) return -1;
    if (PyModule_AddFunctions(sub, backend_functions) < 0 ||
        PyModule_AddObjectRef(m, name, sub) < 0) {
        Py_DECREF(sub);
        return -1;
    }
    Py_DECREF(sub);
    return 0;
}

int device_module_init(PyObject *m, em_state *st) {
    PyObject *enum_mod = PyImport_ImportModule("enum");
    if (!enum_mod) return -1;
    PyObject *Enum = PyObject_GetAttrString(enum_mod, "Enum");
    Py_DECREF(enum_mod);
    if (!Enum) return -1;
    PyObject *args = Py_BuildValue("(s[(si)(si)])", "DeviceType", "cpu", 0, "gpu", 1);
    PyObject *kw = Py_BuildValue("{ss}", "module", "ember.core");
    PyObject *cls = args && kw ? PyObject_Call(Enum, args, kw) : NULL;
    Py_DECREF(Enum);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (!cls) return -1;
    st->device_type_enum = cls;
    st->cpu = PyObject_GetAttrString(cls, "cpu");
    st->gpu = PyObject_GetAttrString(cls, "gpu");
    if (!st->cpu || !st->gpu) return -1;
    if (PyModule_AddObjectRef(m, "DeviceType", cls) < 0 ||
        PyModule_AddObjectRef(m, "cpu", st->cpu) < 0 ||
        PyModule_AddObjectRef(m, "gpu", st->gpu) < 0)
        return -1;
    PyObject *t = PyType_FromModuleAndSpec(m, &device_spec, NULL);
    if (!t) return -1;
    st->device_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "Device", t) < 0) return -1;
    t = PyType_FromModuleAndSpec(m, &stream_spec, NULL);
    if (!t) return -1;
    st->stream_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "Stream", t) < 0) return -1;
    t = PyType_FromModuleAndSpec(m, &ctx_spec, NULL);
    if (!t) return -1;
    st->stream_ctx_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "StreamContext", t) < 0) return -1;
    st->default_device = device_make(st, st->cpu, 0);
    if (!st->default_device) return -1;
    st->default_stream = stream_make(st, st->default_device, 0);
    if (!st->default_stream) return -1;
    if (add_submodule(m, "metal", "ember.core.metal") < 0 ||
        add_submodule(m, "cuda", "ember.core.cuda") < 0)
        return -1;
    return PyModule_AddFunctions(m, device_functions);
}
