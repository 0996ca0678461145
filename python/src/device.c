/* device.c -- DeviceType, Device, Stream, ThreadLocalStream, StreamContext and
 * the device and stream functions, over the C library's streams (ember.h),
 * plus the metal/cuda submodules. The GPU is reported unavailable and asking
 * for it is a ValueError with MLX's message.
 *
 * stream= arguments. py_arg_stream (called by py_parse for every op that
 * takes stream=) pushes the stream on the calling thread, so every node the
 * op builds runs there; py_stream_done pops it when the op's result is
 * wrapped (py_array_wrap) or its error raised (py_raise_ember), and the next
 * py_parse pops one left behind by an op that failed in between. */

#include "pyember.h"

typedef struct {
    PyObject_HEAD
    PyObject *type; /* a DeviceType member */
    int index;
} DeviceObject;

typedef struct {
    PyObject_HEAD
    PyObject *device; /* a Device */
    int index;        /* the C stream's index */
} StreamObject;

/* A handle that is a different stream on each thread (made on first use). */
typedef struct {
    PyObject_HEAD
    PyObject *device;
    int index;        /* its own number, for repr and equality */
    PyObject *per_thread; /* dict: thread ident -> C stream index */
} TLStreamObject;

typedef struct {
    PyObject_HEAD
    PyObject *target; /* what stream(s) was given */
    int pushed;       /* pushes made by __enter__ not yet undone */
} StreamContextObject;

static _Thread_local int op_pushed; /* the stream= push of the op in progress */

void py_stream_done(void) {
    if (op_pushed) {
        em_stream_pop();
        op_pushed = 0;
    }
}

/* The DeviceType of a Device, DeviceType, Stream or ThreadLocalStream; NULL
 * (no exception) when o is none of these. Borrowed. */
static PyObject *device_type_of(em_state *st, PyObject *o) {
    if (o == st->cpu || o == st->gpu) return o;
    if (Py_TYPE(o) == st->device_type) return ((DeviceObject *)o)->type;
    if (Py_TYPE(o) == st->stream_type)
        return ((DeviceObject *)((StreamObject *)o)->device)->type;
    if (Py_TYPE(o) == st->tl_stream_type)
        return ((DeviceObject *)((TLStreamObject *)o)->device)->type;
    return NULL;
}

/* A Device or DeviceType as a C device; -1 with TypeError otherwise. */
static int arg_device(em_state *st, PyObject *o, const char *fname, em_device *d) {
    if (o == st->cpu || o == st->gpu) {
        *d = (em_device){o == st->cpu ? EM_CPU : EM_GPU, 0};
        return 0;
    }
    if (Py_TYPE(o) == st->device_type) {
        DeviceObject *x = (DeviceObject *)o;
        *d = (em_device){x->type == st->cpu ? EM_CPU : EM_GPU, x->index};
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s(): expected a Device or DeviceType, not %.100s.", fname,
                 Py_TYPE(o)->tp_name);
    return -1;
}

static int tl_resolve(TLStreamObject *t, em_stream *out);

/* Any stream-like argument as a C stream: a Stream, a ThreadLocalStream (this
 * thread's stream), a Device or DeviceType (its default stream), None (the
 * default stream of the default device). -1 with an exception otherwise. */
static int resolve_stream(em_state *st, PyObject *o, const char *fname, em_stream *s) {
    if (o == Py_None) {
        return py_check(em_stream_default(em_device_default(), s));
    }
    if (Py_TYPE(o) == st->stream_type) {
        StreamObject *x = (StreamObject *)o;
        DeviceObject *d = (DeviceObject *)x->device;
        *s = (em_stream){x->index, {d->type == st->cpu ? EM_CPU : EM_GPU, d->index}};
        return 0;
    }
    if (Py_TYPE(o) == st->tl_stream_type) return tl_resolve((TLStreamObject *)o, s);
    if (!device_type_of(st, o)) {
        PyErr_Format(PyExc_TypeError,
                     "%s(): stream must be a Stream, Device, DeviceType or None, not %.100s.", fname,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    em_device d;
    if (arg_device(st, o, fname, &d) < 0) return -1;
    return py_check(em_stream_default(d, s));
}

int py_arg_stream(em_state *st, PyObject *o, const char *fname) {
    py_stream_done();
    if (o == Py_None) return 0;
    em_stream s;
    if (resolve_stream(st, o, fname, &s) < 0 || py_check(em_stream_push(s)) < 0) return -1;
    op_pushed = 1;
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

/* The Device object of a C device. New reference. */
static PyObject *device_of(em_state *st, em_device d) {
    return device_make(st, d.type == EM_CPU ? st->cpu : st->gpu, d.index);
}

/* ---------------------------------------------------------------- Stream */

static PyObject *stream_make(em_state *st, em_stream s) {
    PyObject *dev = device_of(st, s.device);
    if (!dev) return NULL;
    StreamObject *o = PyObject_GC_New(StreamObject, st->stream_type);
    if (!o) {
        Py_DECREF(dev);
        return NULL;
    }
    o->device = dev;
    o->index = s.index;
    PyObject_GC_Track(o);
    return (PyObject *)o;
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

static Py_hash_t stream_hash(PyObject *self) {
    StreamObject *s = (StreamObject *)self;
    Py_hash_t h = PyObject_Hash(s->device);
    return h == -1 ? -1 : h ^ (Py_hash_t)((s->index + 1) * 7919);
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
    {Py_tp_hash, stream_hash},
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

/* ---------------------------------------------------------------- ThreadLocalStream */

static int tl_next; /* numbers ThreadLocalStreams (under the GIL) */

static int tl_resolve(TLStreamObject *t, em_stream *out) {
    PyObject *key = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    if (!key) return -1;
    PyObject *v = PyDict_GetItemWithError(t->per_thread, key);
    if (v) {
        Py_DECREF(key);
        *out = (em_stream){(int)PyLong_AsLong(v), {EM_CPU, 0}};
        return 0;
    }
    if (PyErr_Occurred() || py_check(em_stream_new((em_device){EM_CPU, 0}, out)) < 0) {
        Py_DECREF(key);
        return -1;
    }
    PyObject *iv = PyLong_FromLong(out->index);
    int rc = iv ? PyDict_SetItem(t->per_thread, key, iv) : -1;
    Py_XDECREF(iv);
    Py_DECREF(key);
    return rc;
}

static PyObject *tl_repr(PyObject *self) {
    TLStreamObject *t = (TLStreamObject *)self;
    return PyUnicode_FromFormat("ThreadLocalStream(%R, %d)", t->device, t->index);
}

static int tl_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((TLStreamObject *)self)->device);
    Py_VISIT(((TLStreamObject *)self)->per_thread);
    return 0;
}

static int tl_clear(PyObject *self) {
    Py_CLEAR(((TLStreamObject *)self)->device);
    Py_CLEAR(((TLStreamObject *)self)->per_thread);
    return 0;
}

static void tl_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    tl_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef tl_members[] = {
    {"device", T_OBJECT, offsetof(TLStreamObject, device), READONLY, "The stream's device."},
    {NULL},
};

static PyType_Slot tl_slots[] = {
    {Py_tp_doc, "A stream handle that resolves to a distinct stream on each thread."},
    {Py_tp_repr, tl_repr},
    {Py_tp_members, tl_members},
    {Py_tp_traverse, tl_traverse},
    {Py_tp_clear, tl_clear},
    {Py_tp_dealloc, tl_dealloc},
    {0, NULL},
};

static PyType_Spec tl_spec = {
    .name = "ember.core.ThreadLocalStream",
    .basicsize = sizeof(TLStreamObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = tl_slots,
};

/* ---------------------------------------------------------------- StreamContext */

static PyObject *ctx_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    em_state *st = state_of_type(tp);
    if (!st) return NULL;
    static char *kwlist[] = {"s", NULL};
    PyObject *s;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:StreamContext", kwlist, &s)) return NULL;
    em_stream probe;
    if (s == Py_None || resolve_stream(st, s, "StreamContext", &probe) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "StreamContext(): expected a Stream, Device or DeviceType.");
        return NULL;
    }
    StreamContextObject *c = (StreamContextObject *)tp->tp_alloc(tp, 0);
    if (c) {
        c->target = Py_NewRef(s);
        c->pushed = 0;
    }
    return (PyObject *)c;
}

/* Makes the stream (or the device's default stream) the default for the
 * thread until __exit__; returns None, as MLX does. */
static PyObject *ctx_enter(PyObject *self, PyObject *unused) {
    StreamContextObject *c = (StreamContextObject *)self;
    em_state *st = state_of_type(Py_TYPE(self));
    em_stream s;
    if (!st || resolve_stream(st, c->target, "stream", &s) < 0) return NULL;
    if (py_check(em_stream_push(s)) < 0) return NULL;
    c->pushed++;
    Py_RETURN_NONE;
}

static PyObject *ctx_exit(PyObject *self, PyObject *const *args, Py_ssize_t n) {
    StreamContextObject *c = (StreamContextObject *)self;
    if (c->pushed > 0) {
        em_stream_pop();
        c->pushed--;
    }
    Py_RETURN_NONE;
}

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
    return device_of(state_of_module(m), em_device_default());
}

static PyObject *f_set_default_device(PyObject *m, PyObject *d) {
    em_device dev;
    if (arg_device(state_of_module(m), d, "set_default_device", &dev) < 0) return NULL;
    if (py_check(em_device_set_default(dev)) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *f_default_stream(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    em_device dev;
    em_stream s;
    if (arg_device(st, d, "default_stream", &dev) < 0 || py_check(em_stream_default(dev, &s)) < 0)
        return NULL;
    return stream_make(st, s);
}

static PyObject *f_set_default_stream(PyObject *m, PyObject *s) {
    em_state *st = state_of_module(m);
    if (Py_TYPE(s) != st->stream_type) {
        PyErr_Format(PyExc_TypeError, "set_default_stream(): expected a Stream, not %.100s.",
                     Py_TYPE(s)->tp_name);
        return NULL;
    }
    em_stream cs;
    if (resolve_stream(st, s, "set_default_stream", &cs) < 0 ||
        py_check(em_stream_set_default(cs)) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *f_new_stream(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    em_device dev;
    em_stream s;
    if (arg_device(st, d, "new_stream", &dev) < 0 || py_check(em_stream_new(dev, &s)) < 0)
        return NULL;
    return stream_make(st, s);
}

static PyObject *f_new_thread_local_stream(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    em_device dev;
    if (arg_device(st, d, "new_thread_local_stream", &dev) < 0) return NULL;
    if (dev.type == EM_GPU) {
        PyErr_SetString(PyExc_ValueError, "[new_stream] Cannot make gpu stream without gpu backend.");
        return NULL;
    }
    TLStreamObject *t = PyObject_GC_New(TLStreamObject, st->tl_stream_type);
    if (!t) return NULL;
    t->device = device_of(st, dev);
    t->per_thread = PyDict_New();
    t->index = tl_next++;
    PyObject_GC_Track(t);
    if (!t->device || !t->per_thread) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static PyObject *f_clear_streams(PyObject *m, PyObject *unused) {
    /* Streams live as long as the process (a thread's default one until the
     * thread exits): nothing to destroy. */
    Py_RETURN_NONE;
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
    em_stream s;
    if (resolve_stream(st, a[0] ? a[0] : Py_None, "synchronize", &s) < 0) return NULL;
    em_status r;
    Py_BEGIN_ALLOW_THREADS
    r = em_stream_synchronize(s);
    Py_END_ALLOW_THREADS
    if (py_check(r) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *f_is_available(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    em_device dev;
    if (!device_type_of(st, d)) {
        PyErr_SetString(PyExc_TypeError, "is_available(): expected a Device or DeviceType.");
        return NULL;
    }
    if (arg_device(st, d, "is_available", &dev) < 0) return NULL;
    return PyBool_FromLong(em_device_is_available(dev));
}

static PyObject *f_device_count(PyObject *m, PyObject *d) {
    em_state *st = state_of_module(m);
    if (d != st->cpu && d != st->gpu) {
        PyErr_SetString(PyExc_TypeError, "device_count(): expected a DeviceType.");
        return NULL;
    }
    return PyLong_FromLong(em_device_count(d == st->cpu ? EM_CPU : EM_GPU));
}

/* The CPU's model name from /proc/cpuinfo (Linux), else "cpu". */
static PyObject *cpu_name(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strlen(v);
        while (n && (v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
        fclose(f);
        return PyUnicode_FromStringAndSize(v, (Py_ssize_t)n);
    }
    if (f) fclose(f);
    return PyUnicode_FromString("cpu");
}

static PyObject *f_device_info(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "device_info", 0, 1, 0, false, "d");
    PyObject *a[1];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_device dev = em_device_default();
    if (a[0] && a[0] != Py_None && arg_device(st, a[0], "device_info", &dev) < 0) return NULL;
    PyObject *info = PyDict_New();
    if (!info || dev.type != EM_CPU) return info;
    PyObject *name = cpu_name();
#if defined(__x86_64__)
    PyObject *arch = PyUnicode_FromString("x86_64");
#elif defined(__aarch64__)
    PyObject *arch = PyUnicode_FromString("arm64");
#else
    PyObject *arch = PyUnicode_FromString("unknown");
#endif
    if (!name || !arch || PyDict_SetItemString(info, "architecture", arch) < 0 ||
        PyDict_SetItemString(info, "device_name", name) < 0)
        Py_CLEAR(info);
    Py_XDECREF(name);
    Py_XDECREF(arch);
    return info;
}

/* ---------------------------------------------------------------- memory (MLX's additions) */

static PyObject *f_get_memory_limit(PyObject *m, PyObject *unused) {
    return PyLong_FromSize_t(em_get_memory_limit());
}

static PyObject *f_set_wired_limit(PyObject *m, PyObject *o) {
    /* Wired (resident) memory is a macOS notion: the limit is accepted and
     * ignored; the previous value is always 0, as MLX reports without Metal. */
    size_t v = PyLong_AsSize_t(o);
    if (v == (size_t)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "set_wired_limit(): limit must be a non-negative int.");
        return NULL;
    }
    return PyLong_FromLong(0);
}

static PyMethodDef device_functions[] = {
    {"default_device", f_default_device, METH_NOARGS,
     "default_device()\n--\n\nGet the default device."},
    {"set_default_device", f_set_default_device, METH_O,
     "set_default_device(device)\n--\n\nSet the default device."},
    {"default_stream", f_default_stream, METH_O,
     "default_stream(device)\n--\n\nGet the device's default stream."},
    {"set_default_stream", f_set_default_stream, METH_O,
     "set_default_stream(stream)\n--\n\nSet the default stream.\n\n"
     "This will make the given stream the default for the streams device. It will not\n"
     "change the default device."},
    {"new_stream", f_new_stream, METH_O,
     "new_stream(device)\n--\n\nMake a new stream on the given device (usable from any thread)."},
    {"new_thread_unsafe_stream", f_new_stream, METH_O,
     "new_thread_unsafe_stream(device)\n--\n\nMake a new stream usable from any thread."},
    {"new_thread_local_stream", f_new_thread_local_stream, METH_O,
     "new_thread_local_stream(device)\n--\n\n"
     "Make a stream handle that is a distinct stream on each thread."},
    {"clear_streams", f_clear_streams, METH_NOARGS,
     "clear_streams()\n--\n\nDestroy all streams created in current thread."},
    {"stream", f_stream, METH_O,
     "stream(s)\n--\n\nCreate a context manager to set the default device and stream."},
    {"synchronize", (PyCFunction)(void (*)(void))f_synchronize, METH_FASTCALL | METH_KEYWORDS,
     "synchronize(stream=None)\n--\n\nSynchronize with the given stream.\n\n"
     "If a device is given its default stream is used; None means the default stream of\n"
     "the default device. Raises the error of a kernel that failed on the stream."},
    {"is_available", f_is_available, METH_O,
     "is_available(device)\n--\n\nCheck if a back-end is available for the given device."},
    {"device_count", f_device_count, METH_O,
     "device_count(device_type)\n--\n\nGet the number of available devices of the given type."},
    {"device_info", (PyCFunction)(void (*)(void))f_device_info, METH_FASTCALL | METH_KEYWORDS,
     "device_info(d=None)\n--\n\nGet information about a device (a dict)."},
    {"get_memory_limit", f_get_memory_limit, METH_NOARGS,
     "get_memory_limit()\n--\n\nGet the memory limit in bytes."},
    {"set_wired_limit", f_set_wired_limit, METH_O,
     "set_wired_limit(limit)\n--\n\nSet the wired size limit (a no-op here); returns the old one."},
    {NULL},
};

/* ---------------------------------------------------------------- metal / cuda */

static PyObject *sub_is_available(PyObject *m, PyObject *unused) { Py_RETURN_FALSE; }

/* mx.metal's memory functions: deprecated forwards to the top-level ones,
 * with MLX's warning on stderr. */
static PyObject *forward(PyObject *m, const char *name, PyObject *arg) {
    PySys_WriteStderr("mx.metal.%s is deprecated and will be removed in a future version. "
                      "Use mx.%s instead.\n", name, name);
    PyObject *core = PyImport_ImportModule("ember.core");
    if (!core) return NULL;
    PyObject *fn = PyObject_GetAttrString(core, name);
    Py_DECREF(core);
    if (!fn) return NULL;
    PyObject *r = arg ? PyObject_CallOneArg(fn, arg) : PyObject_CallNoArgs(fn);
    Py_DECREF(fn);
    return r;
}

#define FORWARD0(name)                                                         \
    static PyObject *metal_##name(PyObject *m, PyObject *u) { return forward(m, #name, NULL); }
#define FORWARD1(name)                                                         \
    static PyObject *metal_##name(PyObject *m, PyObject *o) { return forward(m, #name, o); }
FORWARD0(get_active_memory)
FORWARD0(get_peak_memory)
FORWARD0(reset_peak_memory)
FORWARD0(get_cache_memory)
FORWARD0(clear_cache)
FORWARD0(device_info)
FORWARD1(set_memory_limit)
FORWARD1(set_cache_limit)
FORWARD1(set_wired_limit)

static PyObject *metal_capture(PyObject *m, PyObject *o) {
    PyErr_SetString(PyExc_RuntimeError, "[metal::start_capture] Metal is not available.");
    return NULL;
}
static PyObject *metal_stop_capture(PyObject *m, PyObject *u) { Py_RETURN_NONE; }

static PyMethodDef cuda_functions[] = {
    {"is_available", sub_is_available, METH_NOARGS,
     "is_available()\n--\n\nWhether the CUDA back-end is available (never, in this build)."},
    {NULL},
};

#define METAL_DEF(name, flags, sig)                                            \
    {#name, (PyCFunction)(void (*)(void))metal_##name, flags,                  \
     #name sig "\n--\n\nDeprecated: use mx." #name " instead."}
static PyMethodDef metal_functions[] = {
    {"is_available", sub_is_available, METH_NOARGS,
     "is_available()\n--\n\nWhether the Metal back-end is available (never, in this build)."},
    METAL_DEF(get_active_memory, METH_NOARGS, "()"),
    METAL_DEF(get_peak_memory, METH_NOARGS, "()"),
    METAL_DEF(reset_peak_memory, METH_NOARGS, "()"),
    METAL_DEF(get_cache_memory, METH_NOARGS, "()"),
    METAL_DEF(clear_cache, METH_NOARGS, "()"),
    METAL_DEF(device_info, METH_NOARGS, "()"),
    METAL_DEF(set_memory_limit, METH_O, "(limit)"),
    METAL_DEF(set_cache_limit, METH_O, "(limit)"),
    METAL_DEF(set_wired_limit, METH_O, "(limit)"),
    {"start_capture", metal_capture, METH_O,
     "start_capture(path)\n--\n\nStart a Metal capture (unavailable here)."},
    {"stop_capture", metal_stop_capture, METH_NOARGS, "stop_capture()\n--\n\nStop a Metal capture."},
    {NULL},
};

static int add_submodule(PyObject *m, const char *name, const char *qualname, PyMethodDef *fns) {
    PyObject *sub = PyModule_New(qualname);
    if (!sub) return -1;
    if (PyModule_AddFunctions(sub, fns) < 0 || PyModule_AddObjectRef(m, name, sub) < 0) {
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
    t = PyType_FromModuleAndSpec(m, &tl_spec, NULL);
    if (!t) return -1;
    st->tl_stream_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "ThreadLocalStream", t) < 0) return -1;
    t = PyType_FromModuleAndSpec(m, &ctx_spec, NULL);
    if (!t) return -1;
    st->stream_ctx_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "StreamContext", t) < 0) return -1;
    if (add_submodule(m, "metal", "ember.core.metal", metal_functions) < 0 ||
        add_submodule(m, "cuda", "ember.core.cuda", cuda_functions) < 0)
        return -1;
    return PyModule_AddFunctions(m, device_functions);
}
