/* dtype.c -- Dtype objects, DtypeCategory, finfo/iinfo, issubdtype, isdtype,
 * result_type and can_cast. */
#include <float.h>

#include "pyember.h"

/* ---------------------------------------------------------------- Dtype */

PyObject *py_dtype(em_state *st, em_dtype dt) {
    if (!em_dtype_is_valid((int)dt)) {
        PyErr_Format(PyExc_ValueError, "[dtype] Invalid dtype %d.", (int)dt);
        return NULL;
    }
    return Py_NewRef(st->dtypes[dt]);
}

int py_arg_dtype(em_state *st, PyObject *o, const char *fname, bool allow_none, int *out) {
    if (o == NULL || (allow_none && o == Py_None)) {
        if (o) *out = -1;
        return 0;
    }
    if (py_is_dtype(st, o)) {
        *out = (int)((DtypeObject *)o)->dtype;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s(): dtype must be an ember.core.Dtype%s, not %.100s.", fname,
                 allow_none ? " or None" : "", Py_TYPE(o)->tp_name);
    return -1;
}

static PyObject *dtype_repr(PyObject *self) {
    return PyUnicode_FromFormat("ember.core.%s", em_dtype_name(((DtypeObject *)self)->dtype));
}

static Py_hash_t dtype_hash(PyObject *self) {
    /* Distinct per dtype and stable across runs. */
    return (Py_hash_t)(0x5bd1e995u + 31u * (unsigned)((DtypeObject *)self)->dtype);
}

static PyObject *dtype_richcompare(PyObject *a, PyObject *b, int op) {
    if (Py_TYPE(a) != Py_TYPE(b) || (op != Py_EQ && op != Py_NE)) Py_RETURN_NOTIMPLEMENTED;
    bool eq = ((DtypeObject *)a)->dtype == ((DtypeObject *)b)->dtype;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static PyObject *dtype_get_size(PyObject *self, void *c) {
    return PyLong_FromSize_t(em_dtype_size(((DtypeObject *)self)->dtype));
}

/* Pickles as the module attribute of the same name (ember.core.float32). */
static PyObject *dtype_reduce(PyObject *self, PyObject *unused) {
    em_dtype dt = ((DtypeObject *)self)->dtype;
    return PyUnicode_FromString(dt == EM_BOOL ? "bool_" : em_dtype_name(dt));
}

static PyGetSetDef dtype_getset[] = {
    {"size", dtype_get_size, NULL, "Size of the type in bytes.", NULL},
    {NULL},
};

static PyMethodDef dtype_methods[] = {
    {"__reduce__", dtype_reduce, METH_NOARGS, NULL},
    {NULL},
};

static PyType_Slot dtype_slots[] = {
    {Py_tp_doc, "An object to hold the type of a :class:`array`.\n\n"
                "See the :ref:`list of types <data_types>` for more details\n"
                "on available data types."},
    {Py_tp_repr, dtype_repr},
    {Py_tp_hash, dtype_hash},
    {Py_tp_richcompare, dtype_richcompare},
    {Py_tp_getset, dtype_getset},
    {Py_tp_methods, dtype_methods},
    {0, NULL},
};

static PyType_Spec dtype_spec = {
    .name = "ember.core.Dtype",
    .basicsize = sizeof(DtypeObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = dtype_slots,
};

/* ---------------------------------------------------------------- categories */

static const char *const category_names[CAT_COUNT] = {
    "complexfloating", "floating", "inexact", "signedinteger",
    "unsignedinteger", "integer", "number", "generic"};

/* The category a category lies directly under (generic: itself). */
static const int category_parent[CAT_COUNT] = {
    [CAT_COMPLEXFLOATING] = CAT_INEXACT, [CAT_FLOATING] = CAT_INEXACT,
    [CAT_INEXACT] = CAT_NUMBER, [CAT_SIGNEDINTEGER] = CAT_INTEGER,
    [CAT_UNSIGNEDINTEGER] = CAT_INTEGER, [CAT_INTEGER] = CAT_NUMBER,
    [CAT_NUMBER] = CAT_GENERIC, [CAT_GENERIC] = CAT_GENERIC};

static int dtype_category_of(em_dtype dt) {
    switch (em_dtype_kind_of(dt)) {
    case EM_KIND_BOOL: return CAT_GENERIC;
    case EM_KIND_UINT: return CAT_UNSIGNEDINTEGER;
    case EM_KIND_INT: return CAT_SIGNEDINTEGER;
    case EM_KIND_FLOAT: return CAT_FLOATING;
    default: return CAT_COMPLEXFLOATING;
    }
}

static bool category_under(int c, int ancestor) {
    for (;;) {
        if (c == ancestor) return true;
        if (c == CAT_GENERIC) return false;
        c = category_parent[c];
    }
}

/* -1 if o is no category of this module. */
static int category_value(em_state *st, PyObject *o) {
    for (int i = 0; i < CAT_COUNT; i++)
        if (o == st->categories[i]) return i;
    return -1;
}

static PyObject *py_issubdtype(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    em_state *st = state_of_module(m);
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "issubdtype() takes exactly 2 arguments.");
        return NULL;
    }
    int c1 = category_value(st, args[0]), c2 = category_value(st, args[1]);
    bool d1 = py_is_dtype(st, args[0]), d2 = py_is_dtype(st, args[1]);
    if (!d1 && c1 < 0) {
        PyErr_SetString(PyExc_ValueError, "[issubdtype] Received invalid type for first input.");
        return NULL;
    }
    if (!d2 && c2 < 0) {
        PyErr_SetString(PyExc_ValueError, "[issubdtype] Received invalid type for second input.");
        return NULL;
    }
    if (d1 && d2)
        return PyBool_FromLong(((DtypeObject *)args[0])->dtype == ((DtypeObject *)args[1])->dtype);
    if (d2) Py_RETURN_FALSE; /* a category is never under one dtype */
    int from = d1 ? dtype_category_of(((DtypeObject *)args[0])->dtype) : c1;
    return PyBool_FromLong(category_under(from, c2));
}

/* Array API kinds. */
static int isdtype_kind(em_state *st, em_dtype dt, PyObject *kind, bool *out) {
    if (py_is_dtype(st, kind)) {
        *out = ((DtypeObject *)kind)->dtype == dt;
        return 0;
    }
    if (!PyUnicode_Check(kind)) {
        PyErr_Format(PyExc_TypeError, "[isdtype] kind must be a Dtype, a string or a tuple, not %.100s.",
                     Py_TYPE(kind)->tp_name);
        return -1;
    }
    em_dtype_kind k = em_dtype_kind_of(dt);
    const char *s = PyUnicode_AsUTF8(kind);
    if (!s) return -1;
    if (!strcmp(s, "bool")) *out = k == EM_KIND_BOOL;
    else if (!strcmp(s, "signed integer")) *out = k == EM_KIND_INT;
    else if (!strcmp(s, "unsigned integer")) *out = k == EM_KIND_UINT;
    else if (!strcmp(s, "integral")) *out = k == EM_KIND_INT || k == EM_KIND_UINT;
    else if (!strcmp(s, "real floating")) *out = k == EM_KIND_FLOAT;
    else if (!strcmp(s, "complex floating")) *out = k == EM_KIND_COMPLEX;
    else if (!strcmp(s, "numeric")) *out = k != EM_KIND_BOOL;
    else {
        PyErr_Format(PyExc_ValueError, "[isdtype] Unknown data type kind: '%s'.", s);
        return -1;
    }
    return 0;
}

static PyObject *py_isdtype(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "isdtype", 0, 2, 2, false, "dtype", "kind");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt;
    if (py_arg_dtype(st, a[0], "isdtype", false, &dt) < 0) return NULL;
    bool r = false;
    if (PyTuple_Check(a[1])) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(a[1]) && !r; i++)
            if (isdtype_kind(st, (em_dtype)dt, PyTuple_GET_ITEM(a[1], i), &r) < 0) return NULL;
    } else if (isdtype_kind(st, (em_dtype)dt, a[1], &r) < 0) {
        return NULL;
    }
    return PyBool_FromLong(r);
}

static PyObject *py_result_type(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    em_state *st = state_of_module(m);
    if (nargs == 0) {
        PyErr_SetString(PyExc_ValueError, "[result_type] At least one array or dtype is required.");
        return NULL;
    }
    em_dtype r = EM_BOOL;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        em_dtype d;
        if (py_is_dtype(st, args[i])) d = ((DtypeObject *)args[i])->dtype;
        else if (py_is_array(st, args[i])) d = em_array_dtype(py_array_arr(args[i]));
        else {
            PyErr_SetString(PyExc_ValueError, "[result_type] Inputs must be arrays or dtypes.");
            return NULL;
        }
        r = i == 0 ? d : em_result_type(r, d);
    }
    return py_dtype(st, r);
}

static PyObject *py_can_cast(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "can_cast", 0, 2, 2, false, "from_", "to");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int from, to;
    if (py_is_array(st, a[0])) from = (int)em_array_dtype(py_array_arr(a[0]));
    else if (py_arg_dtype(st, a[0], "can_cast", false, &from) < 0) return NULL;
    if (py_arg_dtype(st, a[1], "can_cast", false, &to) < 0) return NULL;
    /* Safe when promotion to `to` keeps `to`. */
    return PyBool_FromLong(em_result_type((em_dtype)from, (em_dtype)to) == (em_dtype)to);
}

/* ---------------------------------------------------------------- finfo / iinfo */

typedef struct {
    PyObject_HEAD
    PyObject *min, *max, *eps, *smallest_normal, *dtype;
    int bits;
} FinfoObject;

typedef struct {
    PyObject_HEAD
    PyObject *min, *max, *dtype;
} IinfoObject;

/* The limits of each float format (metadata, as <float.h> gives them). */
static void float_limits(em_dtype dt, double *max, double *eps, double *tiny, int *bits) {
    switch (dt) {
    case EM_FLOAT16:
        *max = 65504.0; *eps = 0.0009765625; *tiny = 6.103515625e-05; *bits = 16;
        break;
    case EM_BFLOAT16:
        *max = 3.3895313892515355e+38; *eps = 0.0078125; *tiny = 1.1754943508222875e-38; *bits = 16;
        break;
    case EM_FLOAT64:
        *max = DBL_MAX; *eps = DBL_EPSILON; *tiny = DBL_MIN; *bits = 64;
        break;
    default:
        *max = FLT_MAX; *eps = FLT_EPSILON; *tiny = FLT_MIN; *bits = 32;
        break;
    }
}

static PyObject *finfo_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    em_state *st = state_of_type(tp);
    if (!st) return NULL;
    PyObject *d;
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "finfo() takes no keyword arguments.");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O:finfo", &d)) return NULL;
    int dt;
    if (py_arg_dtype(st, d, "finfo", false, &dt) < 0) return NULL;
    em_dtype_kind k = em_dtype_kind_of((em_dtype)dt);
    if (k != EM_KIND_FLOAT && k != EM_KIND_COMPLEX) {
        PyErr_Format(PyExc_ValueError, "[finfo] dtype %s is not inexact.", em_dtype_name((em_dtype)dt));
        return NULL;
    }
    if (dt == EM_COMPLEX64) dt = EM_FLOAT32;
    double max, eps, tiny;
    int bits;
    float_limits((em_dtype)dt, &max, &eps, &tiny, &bits);
    FinfoObject *f = (FinfoObject *)tp->tp_alloc(tp, 0);
    if (!f) return NULL;
    f->min = PyFloat_FromDouble(-max);
    f->max = PyFloat_FromDouble(max);
    f->eps = PyFloat_FromDouble(eps);
    f->smallest_normal = PyFloat_FromDouble(tiny);
    f->dtype = py_dtype(st, (em_dtype)dt);
    f->bits = bits;
    if (!f->min || !f->max || !f->eps || !f->smallest_normal || !f->dtype) {
        Py_DECREF(f);
        return NULL;
    }
    return (PyObject *)f;
}

static PyObject *fmt_g(PyObject *v) {
    char *s = PyOS_double_to_string(PyFloat_AsDouble(v), 'g', 6, 0, NULL);
    if (!s) return NULL;
    PyObject *r = PyUnicode_FromString(s);
    PyMem_Free(s);
    return r;
}

static PyObject *finfo_repr(PyObject *self) {
    FinfoObject *f = (FinfoObject *)self;
    PyObject *mn = fmt_g(f->min), *mx = fmt_g(f->max), *r = NULL;
    if (mn && mx)
        r = PyUnicode_FromFormat("finfo(min=%U, max=%U, dtype=%s)", mn, mx,
                                 em_dtype_name(((DtypeObject *)f->dtype)->dtype));
    Py_XDECREF(mn);
    Py_XDECREF(mx);
    return r;
}

static int finfo_traverse(PyObject *self, visitproc visit, void *arg) {
    FinfoObject *f = (FinfoObject *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(f->dtype);
    return 0;
}

static void finfo_dealloc(PyObject *self) {
    FinfoObject *f = (FinfoObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_XDECREF(f->min);
    Py_XDECREF(f->max);
    Py_XDECREF(f->eps);
    Py_XDECREF(f->smallest_normal);
    Py_XDECREF(f->dtype);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef finfo_members[] = {
    {"min", T_OBJECT, offsetof(FinfoObject, min), READONLY, NULL},
    {"max", T_OBJECT, offsetof(FinfoObject, max), READONLY, NULL},
    {"eps", T_OBJECT, offsetof(FinfoObject, eps), READONLY, NULL},
    {"smallest_normal", T_OBJECT, offsetof(FinfoObject, smallest_normal), READONLY, NULL},
    {"dtype", T_OBJECT, offsetof(FinfoObject, dtype), READONLY, NULL},
    {"bits", T_INT, offsetof(FinfoObject, bits), READONLY, NULL},
    {NULL},
};

static PyType_Slot finfo_slots[] = {
    {Py_tp_doc, "Get information on floating-point types."},
    {Py_tp_new, finfo_new},
    {Py_tp_repr, finfo_repr},
    {Py_tp_members, finfo_members},
    {Py_tp_traverse, finfo_traverse},
    {Py_tp_dealloc, finfo_dealloc},
    {0, NULL},
};

static PyType_Spec finfo_spec = {
    .name = "ember.core.finfo",
    .basicsize = sizeof(FinfoObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = finfo_slots,
};

static PyObject *iinfo_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    em_state *st = state_of_type(tp);
    if (!st) return NULL;
    PyObject *d;
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "iinfo() takes no keyword arguments.");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O:iinfo", &d)) return NULL;
    int dt;
    if (py_arg_dtype(st, d, "iinfo", false, &dt) < 0) return NULL;
    em_dtype_kind k = em_dtype_kind_of((em_dtype)dt);
    if (k != EM_KIND_INT && k != EM_KIND_UINT) {
        PyErr_Format(PyExc_ValueError, "[iinfo] Only integer types supported but %s was provided",
                     em_dtype_name((em_dtype)dt));
        return NULL;
    }
    IinfoObject *f = (IinfoObject *)tp->tp_alloc(tp, 0);
    if (!f) return NULL;
    int bits = (int)em_dtype_size((em_dtype)dt) * 8;
    if (k == EM_KIND_UINT) {
        f->min = PyLong_FromLong(0);
        f->max = PyLong_FromUnsignedLongLong(bits == 64 ? UINT64_MAX : ((1ull << bits) - 1));
    } else {
        long long hi = bits == 64 ? INT64_MAX : (long long)((1ull << (bits - 1)) - 1);
        f->min = PyLong_FromLongLong(-hi - 1);
        f->max = PyLong_FromLongLong(hi);
    }
    f->dtype = py_dtype(st, (em_dtype)dt);
    if (!f->min || !f->max || !f->dtype) {
        Py_DECREF(f);
        return NULL;
    }
    return (PyObject *)f;
}

static PyObject *iinfo_repr(PyObject *self) {
    IinfoObject *f = (IinfoObject *)self;
    return PyUnicode_FromFormat("iinfo(min=%S, max=%S, dtype=%s)", f->min, f->max,
                                em_dtype_name(((DtypeObject *)f->dtype)->dtype));
}

static int iinfo_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((IinfoObject *)self)->dtype);
    return 0;
}

static void iinfo_dealloc(PyObject *self) {
    IinfoObject *f = (IinfoObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_XDECREF(f->min);
    Py_XDECREF(f->max);
    Py_XDECREF(f->dtype);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMemberDef iinfo_members[] = {
    {"min", T_OBJECT, offsetof(IinfoObject, min), READONLY, NULL},
    {"max", T_OBJECT, offsetof(IinfoObject, max), READONLY, NULL},
    {"dtype", T_OBJECT, offsetof(IinfoObject, dtype), READONLY, NULL},
    {NULL},
};

static PyType_Slot iinfo_slots[] = {
    {Py_tp_doc, "Get information on integer types."},
    {Py_tp_new, iinfo_new},
    {Py_tp_repr, iinfo_repr},
    {Py_tp_members, iinfo_members},
    {Py_tp_traverse, iinfo_traverse},
    {Py_tp_dealloc, iinfo_dealloc},
    {0, NULL},
};

static PyType_Spec iinfo_spec = {
    .name = "ember.core.iinfo",
    .basicsize = sizeof(IinfoObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = iinfo_slots,
};

/* ---------------------------------------------------------------- init */

static PyMethodDef dtype_functions[] = {
    {"issubdtype", (PyCFunction)(void (*)(void))py_issubdtype, METH_FASTCALL,
     "issubdtype(arg1, arg2)\n--\n\n"
     "Check if a :obj:`Dtype` or :obj:`DtypeCategory` is a subtype of another."},
    {"isdtype", (PyCFunction)(void (*)(void))py_isdtype, METH_FASTCALL | METH_KEYWORDS,
     "isdtype(dtype, kind)\n--\n\n"
     "Check whether a dtype is of a given kind ('bool', 'signed integer', 'unsigned integer',\n"
     "'integral', 'real floating', 'complex floating', 'numeric'), a dtype, or a tuple of them."},
    {"result_type", (PyCFunction)(void (*)(void))py_result_type, METH_FASTCALL,
     "result_type(*arrays_and_dtypes)\n--\n\n"
     "Find the data type resulting from promoting the given arrays and dtypes."},
    {"can_cast", (PyCFunction)(void (*)(void))py_can_cast, METH_FASTCALL | METH_KEYWORDS,
     "can_cast(from_, to)\n--\n\nWhether a cast from one dtype to another is safe."},
    {NULL},
};

static int add_type(PyObject *m, PyType_Spec *spec, PyTypeObject **out) {
    PyObject *t = PyType_FromModuleAndSpec(m, spec, NULL);
    if (!t) return -1;
    *out = (PyTypeObject *)t;
    return PyModule_AddObjectRef(m, strrchr(spec->name, '.') + 1, t);
}

int dtype_module_init(PyObject *m, em_state *st) {
    if (add_type(m, &dtype_spec, &st->dtype_type) < 0) return -1;
    for (int i = 0; i < EM_NUM_DTYPES; i++) {
        DtypeObject *d = PyObject_New(DtypeObject, st->dtype_type);
        if (!d) return -1;
        d->dtype = (em_dtype)i;
        st->dtypes[i] = (PyObject *)d;
        const char *name = i == EM_BOOL ? "bool_" : em_dtype_name((em_dtype)i);
        if (PyModule_AddObjectRef(m, name, (PyObject *)d) < 0) return -1;
    }
    /* DtypeCategory is a Python enum, as in MLX. */
    PyObject *enum_mod = PyImport_ImportModule("enum");
    if (!enum_mod) return -1;
    PyObject *members = PyList_New(0);
    for (int i = 0; members && i < CAT_COUNT; i++) {
        PyObject *pair = Py_BuildValue("(si)", category_names[i], i);
        if (!pair || PyList_Append(members, pair) < 0) Py_CLEAR(members);
        Py_XDECREF(pair);
    }
    PyObject *cls = NULL;
    if (members) {
        PyObject *kw = Py_BuildValue("{ss}", "module", "ember.core");
        PyObject *args = Py_BuildValue("(sO)", "DtypeCategory", members);
        PyObject *Enum = PyObject_GetAttrString(enum_mod, "Enum");
        if (kw && args && Enum) cls = PyObject_Call(Enum, args, kw);
        Py_XDECREF(kw);
        Py_XDECREF(args);
        Py_XDECREF(Enum);
    }
    Py_XDECREF(members);
    Py_DECREF(enum_mod);
    if (!cls) return -1;
    st->dtype_category = cls;
    if (PyModule_AddObjectRef(m, "DtypeCategory", cls) < 0) return -1;
    for (int i = 0; i < CAT_COUNT; i++) {
        st->categories[i] = PyObject_GetAttrString(cls, category_names[i]);
        if (!st->categories[i]) return -1;
        if (PyModule_AddObjectRef(m, category_names[i], st->categories[i]) < 0) return -1;
    }
    if (add_type(m, &finfo_spec, &st->finfo_type) < 0) return -1;
    if (add_type(m, &iinfo_spec, &st->iinfo_type) < 0) return -1;
    return PyModule_AddFunctions(m, dtype_functions);
}
