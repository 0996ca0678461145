/* array.c -- the array type: construction, properties, conversions, Python
 * protocols and operators (MLX's weak scalars), in-place rebinding, pickling,
 * and the methods that mirror module functions. */
#include <string.h>

#include "pyember.h"

PyObject *py_array_wrap(em_state *st, em_array *a) {
    py_stream_done(); /* the op is built: its stream= ends here */
    if (!a) return PyErr_Occurred() ? NULL : py_raise_ember();
    ArrayObject *o = PyObject_New(ArrayObject, st->array_type);
    if (!o) {
        em_array_release(a);
        return NULL;
    }
    o->arr = a;
    o->weakrefs = NULL;
    return (PyObject *)o;
}

/* Replaces the array an object holds (in-place operators, __setstate__):
 * every Python reference to self sees the new value. Steals `a`. */
static void rebind(PyObject *self, em_array *a) {
    em_array *old = ((ArrayObject *)self)->arr;
    ((ArrayObject *)self)->arr = a;
    em_array_release(old);
}

static em_state *st_of(PyObject *self) { return state_of_type(Py_TYPE(self)); }

/* ---------------------------------------------------------------- lifetime */

static PyObject *array_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"val", "dtype", NULL};
    PyObject *val, *dtype = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:array", kwlist, &val, &dtype)) return NULL;
    em_state *st = state_of_type(tp);
    if (!st) return NULL;
    int dt = -1;
    if (py_arg_dtype(st, dtype, "array", true, &dt) < 0) return NULL;
    if (val == Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "array(): val must be a scalar, list, tuple, array or buffer, not NoneType.");
        return NULL;
    }
    em_array *a = py_to_array(st, val, dt);
    if (!a) return NULL;
    ArrayObject *o = (ArrayObject *)tp->tp_alloc(tp, 0);
    if (!o) {
        em_array_release(a);
        return NULL;
    }
    o->arr = a;
    return (PyObject *)o;
}

static void array_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    ArrayObject *o = (ArrayObject *)self;
    if (o->weakrefs) PyObject_ClearWeakRefs(self);
    em_array_release(o->arr);
    o->arr = NULL;
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* ---------------------------------------------------------------- properties */

static PyObject *get_shape(PyObject *self, void *c) {
    em_array *a = py_array_arr(self);
    int nd = em_array_ndim(a);
    const int64_t *s = em_array_shape(a);
    PyObject *t = PyTuple_New(nd);
    for (int i = 0; t && i < nd; i++) {
        PyObject *d = PyLong_FromLongLong(s[i]);
        if (!d) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, d);
    }
    return t;
}

static PyObject *get_dtype(PyObject *self, void *c) {
    em_state *st = st_of(self);
    return st ? py_dtype(st, em_array_dtype(py_array_arr(self))) : NULL;
}
static PyObject *get_ndim(PyObject *self, void *c) { return PyLong_FromLong(em_array_ndim(py_array_arr(self))); }
static PyObject *get_size(PyObject *self, void *c) { return PyLong_FromLongLong(em_array_size(py_array_arr(self))); }
static PyObject *get_itemsize(PyObject *self, void *c) {
    return PyLong_FromSize_t(em_array_itemsize(py_array_arr(self)));
}
static PyObject *get_nbytes(PyObject *self, void *c) { return PyLong_FromSize_t(em_array_nbytes(py_array_arr(self))); }

static PyObject *wrap_self(PyObject *self, em_array *r) {
    em_state *st = st_of(self);
    if (!st) {
        em_array_release(r);
        return NULL;
    }
    return py_array_wrap(st, r);
}

static PyObject *get_T(PyObject *self, void *c) { return wrap_self(self, em_transpose(py_array_arr(self), NULL, 0)); }
static PyObject *get_mT(PyObject *self, void *c) {
    em_array *a = py_array_arr(self);
    if (em_array_ndim(a) < 2) {
        PyErr_SetString(PyExc_ValueError, "[mT] The array must have at least 2 dimensions.");
        return NULL;
    }
    return wrap_self(self, em_swapaxes(a, -1, -2));
}
static PyObject *get_real(PyObject *self, void *c) { return wrap_self(self, em_real(py_array_arr(self))); }
static PyObject *get_imag(PyObject *self, void *c) { return wrap_self(self, em_imag(py_array_arr(self))); }

static PyObject *get_at(PyObject *self, void *c) {
    em_state *st = st_of(self);
    if (!st) return NULL;
    return PyObject_CallOneArg((PyObject *)st->at_type, self);
}

static PyGetSetDef array_getset[] = {
    {"shape", get_shape, NULL, "The shape of the array as a Python tuple.", NULL},
    {"dtype", get_dtype, NULL, "The array's :class:`Dtype`.", NULL},
    {"ndim", get_ndim, NULL, "The array's dimension.", NULL},
    {"size", get_size, NULL, "Number of elements in the array.", NULL},
    {"itemsize", get_itemsize, NULL, "The size of the array's datatype in bytes.", NULL},
    {"nbytes", get_nbytes, NULL, "The number of bytes in the array.", NULL},
    {"T", get_T, NULL, "Equivalent to calling ``self.transpose()`` with no arguments.", NULL},
    {"mT", get_mT, NULL, "The array with its last two axes swapped.", NULL},
    {"real", get_real, NULL, "The real part of a complex array.", NULL},
    {"imag", get_imag, NULL, "The imaginary part of a complex array.", NULL},
    {"at", get_at, NULL,
     "Used to apply updates at the given indices (``x.at[idx].add(y)``).", NULL},
    {NULL},
};

/* ---------------------------------------------------------------- conversions */

static PyObject *m_item(PyObject *self, PyObject *unused) { return py_array_item(py_array_arr(self)); }
static PyObject *m_tolist(PyObject *self, PyObject *unused) { return py_array_tolist(py_array_arr(self)); }

static PyObject *m_astype(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = st_of(self);
    if (!st) return NULL;
    PY_ARGSPEC(spec, "astype", 0, 2, 1, false, "dtype", "stream");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    int dt;
    if (py_arg_dtype(st, a[0], "astype", false, &dt) < 0) return NULL;
    if (a[1] && py_arg_stream(st, a[1], "astype") < 0) return NULL;
    return py_array_wrap(st, em_astype(py_array_arr(self), (em_dtype)dt));
}

static PyObject *m_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = st_of(self);
    if (!st) return NULL;
    PY_ARGSPEC(spec, "__array__", 0, 2, 0, false, "dtype", "copy");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    return py_array_to_numpy(st, self, a[0], a[1]);
}

static PyObject *m_dlpack(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = st_of(self);
    if (!st) return NULL;
    PY_ARGSPEC(spec, "__dlpack__", 0, 0, 0, false, "stream", "max_version", "dl_device", "copy");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (a[3] && a[3] != Py_None && PyObject_IsTrue(a[3]) == 1) {
        em_array *c = em_copy(py_array_arr(self));
        if (!c) return py_raise_ember();
        PyObject *r = py_array_dlpack(st, c, a[1]);
        em_array_release(c);
        return r;
    }
    return py_array_dlpack(st, py_array_arr(self), a[1]);
}

static PyObject *m_dlpack_device(PyObject *self, PyObject *unused) { return Py_BuildValue("(ii)", 1, 0); }

static PyObject *m_copy(PyObject *self, PyObject *unused) {
    /* Arrays are immutable values: a copy may share the same data. */
    return wrap_self(self, em_array_retain(py_array_arr(self)));
}
static PyObject *m_deepcopy(PyObject *self, PyObject *memo) { return m_copy(self, NULL); }

/* Pickling: (raw bytes, shape, dtype name), restored with __setstate__ onto
 * array(0); needs no NumPy. */
static PyObject *m_getstate(PyObject *self, PyObject *unused) {
    em_array *a = py_array_arr(self);
    size_t n = em_array_nbytes(a);
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n);
    if (!bytes) return NULL;
    if (py_check(em_array_copy_to(a, em_array_dtype(a), PyBytes_AS_STRING(bytes), n)) < 0) {
        Py_DECREF(bytes);
        return NULL;
    }
    PyObject *shape = get_shape(self, NULL);
    PyObject *r = shape ? Py_BuildValue("(NNs)", bytes, shape, em_dtype_name(em_array_dtype(a))) : NULL;
    if (!shape) Py_DECREF(bytes);
    return r;
}

static PyObject *m_setstate(PyObject *self, PyObject *state) {
    PyObject *bytes, *shape;
    const char *name;
    if (!PyArg_ParseTuple(state, "SOs:__setstate__", &bytes, &shape, &name)) return NULL;
    int dt = -1;
    for (int i = 0; i < EM_NUM_DTYPES; i++)
        if (!strcmp(em_dtype_name((em_dtype)i), name)) dt = i;
    int64_t s[EM_MAX_NDIM];
    int nd;
    if (dt < 0) {
        PyErr_Format(PyExc_ValueError, "__setstate__: unknown dtype '%s'.", name);
        return NULL;
    }
    if (py_arg_shape(shape, "__setstate__", "shape", s, &nd) < 0) return NULL;
    int64_t count = 1;
    for (int i = 0; i < nd; i++) count *= s[i];
    if (count < 0 || (size_t)PyBytes_GET_SIZE(bytes) != (size_t)count * em_dtype_size((em_dtype)dt)) {
        PyErr_SetString(PyExc_ValueError, "__setstate__: the data does not match the shape.");
        return NULL;
    }
    em_array *a = em_array_from_data(PyBytes_AS_STRING(bytes), s, nd, (em_dtype)dt);
    if (!a) return py_raise_ember();
    rebind(self, a);
    Py_RETURN_NONE;
}

static PyObject *m_reduce(PyObject *self, PyObject *unused) {
    PyObject *state = m_getstate(self, NULL);
    if (!state) return NULL;
    return Py_BuildValue("(O(i)N)", (PyObject *)Py_TYPE(self), 0, state);
}

static PyObject *m_format(PyObject *self, PyObject *spec) {
    if (!PyUnicode_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "__format__ expects a string.");
        return NULL;
    }
    if (PyUnicode_GET_LENGTH(spec) == 0) return PyObject_Str(self);
    em_array *a = py_array_arr(self);
    if (em_array_ndim(a) != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "unsupported format string passed to ember.core.array.__format__");
        return NULL;
    }
    PyObject *v = py_array_item(a);
    if (!v) return NULL;
    PyObject *r = PyObject_Format(v, spec);
    Py_DECREF(v);
    return r;
}

static PyObject *m_array_namespace(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                   PyObject *kwnames) {
    return PyImport_ImportModule("ember.core");
}

static PyObject *m_complex(PyObject *self, PyObject *unused) {
    em_array *a = py_array_arr(self);
    float re, im;
    if (py_check(em_array_item_complex(a, &re, &im)) < 0) return NULL;
    return PyComplex_FromDoubles(re, im);
}

/* ---------------------------------------------------------------- printing */

static PyObject *array_repr(PyObject *self) {
    if (py_wait(py_array_arr(self)) < 0) return NULL;
    char *s = em_array_to_string(py_array_arr(self));
    if (!s) return py_raise_ember();
    PyObject *r = PyUnicode_FromString(s);
    em_free(s);
    return r;
}

/* ---------------------------------------------------------------- numbers */

typedef em_array *(*binary_fn)(const em_array *, const em_array *);

static em_state *state_of_pair(PyObject *a, PyObject *b, PyObject **self) {
    em_state *st = state_of_type(Py_TYPE(a));
    if (st && py_is_array(st, a)) {
        *self = a;
        return st;
    }
    PyErr_Clear();
    st = state_of_type(Py_TYPE(b));
    *self = b;
    return st;
}

/* a OP b for operators: scalars are weak; what cannot be an operand is a
 * ValueError naming the operation (MLX's message), None a TypeError. */
static PyObject *binop(PyObject *a, PyObject *b, binary_fn fn, const char *what) {
    PyObject *self;
    em_state *st = state_of_pair(a, b, &self);
    if (!st) return NULL;
    PyObject *other = self == a ? b : a;
    if (other == Py_None) Py_RETURN_NOTIMPLEMENTED;
    if (py_operand_kind(st, other) == OPND_NONE) {
        PyErr_Format(PyExc_ValueError, "Cannot perform %s on an ember.core.array and %s", what,
                     Py_TYPE(other)->tp_name);
        return NULL;
    }
    em_array *x, *y;
    if (py_binary_operands(st, a, b, &x, &y) < 0) return NULL;
    em_array *r = fn(x, y);
    em_array_release(x);
    em_array_release(y);
    return py_array_wrap(st, r);
}

static PyObject *inplace(PyObject *self, PyObject *other, binary_fn fn, const char *what) {
    PyObject *r = binop(self, other, fn, what);
    if (!r || r == Py_NotImplemented) return r;
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st || !py_is_array(st, self)) {
        PyErr_Clear();
        return r;
    }
    rebind(self, em_array_retain(py_array_arr(r)));
    Py_DECREF(r);
    return Py_NewRef(self);
}

#define BINOP(slot, fn, what)                                                               \
    static PyObject *nb_##slot(PyObject *a, PyObject *b) { return binop(a, b, fn, what); } \
    static PyObject *nb_i##slot(PyObject *a, PyObject *b) { return inplace(a, b, fn, what); }

BINOP(add, em_add, "addition")
BINOP(sub, em_subtract, "subtraction")
BINOP(mul, em_multiply, "multiplication")
BINOP(floordiv, em_floor_divide, "floor division")
BINOP(mod, em_remainder, "modulus")
BINOP(and, em_bitwise_and, "bitwise and")
BINOP(or, em_bitwise_or, "bitwise or")
BINOP(xor, em_bitwise_xor, "bitwise xor")
BINOP(lshift, em_left_shift, "left shift")
BINOP(rshift, em_right_shift, "right shift")

static PyObject *nb_truediv(PyObject *a, PyObject *b) { return binop(a, b, em_divide, "division"); }
static PyObject *nb_itruediv(PyObject *a, PyObject *b) {
    em_state *st = state_of_type(Py_TYPE(a));
    if (st && py_is_array(st, a)) {
        em_dtype_kind k = em_dtype_kind_of(em_array_dtype(py_array_arr(a)));
        if (k != EM_KIND_FLOAT && k != EM_KIND_COMPLEX) {
            PyErr_SetString(PyExc_ValueError,
                            "In place division cannot cast to non-floating point type.");
            return NULL;
        }
    }
    PyErr_Clear();
    return inplace(a, b, em_divide, "division");
}

static PyObject *nb_pow(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return binop(a, b, em_power, "power");
}
static PyObject *nb_ipow(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return inplace(a, b, em_power, "power");
}

/* @ takes arrays only (MLX has no scalar or reflected list form). */
static PyObject *matmul(PyObject *a, PyObject *b, bool in_place) {
    PyObject *self;
    em_state *st = state_of_pair(a, b, &self);
    if (!st) return NULL;
    if (py_operand_kind(st, a) != OPND_ARRAY || py_operand_kind(st, b) != OPND_ARRAY)
        Py_RETURN_NOTIMPLEMENTED;
    return in_place ? inplace(a, b, em_matmul, "matmul") : binop(a, b, em_matmul, "matmul");
}
static PyObject *nb_matmul(PyObject *a, PyObject *b) { return matmul(a, b, false); }
static PyObject *nb_imatmul(PyObject *a, PyObject *b) { return matmul(a, b, true); }

static PyObject *nb_neg(PyObject *self) { return wrap_self(self, em_negative(py_array_arr(self))); }
static PyObject *nb_pos(PyObject *self) { return wrap_self(self, em_array_retain(py_array_arr(self))); }
static PyObject *nb_abs(PyObject *self) { return wrap_self(self, em_abs(py_array_arr(self))); }
static PyObject *nb_invert(PyObject *self) {
    em_array *a = py_array_arr(self);
    return wrap_self(self, em_array_dtype(a) == EM_BOOL ? em_logical_not(a) : em_bitwise_invert(a));
}

static int nb_bool(PyObject *self) {
    bool v;
    if (py_wait(py_array_arr(self)) < 0) return -1;
    if (py_check(em_array_item_bool(py_array_arr(self), &v)) < 0) return -1;
    return v;
}

static PyObject *nb_int(PyObject *self) {
    em_array *a = py_array_arr(self);
    if (py_wait(a) < 0) return NULL;
    if (em_array_dtype(a) == EM_UINT64) return py_array_item(a);
    int64_t v;
    if (py_check(em_array_item_int(a, &v)) < 0) return NULL;
    return PyLong_FromLongLong(v);
}

static PyObject *nb_float(PyObject *self) {
    double v;
    if (py_wait(py_array_arr(self)) < 0) return NULL;
    if (py_check(em_array_item_double(py_array_arr(self), &v)) < 0) return NULL;
    return PyFloat_FromDouble(v);
}

static PyObject *nb_index(PyObject *self) {
    em_array *a = py_array_arr(self);
    em_dtype_kind k = em_dtype_kind_of(em_array_dtype(a));
    if (em_array_ndim(a) != 0 || (k != EM_KIND_INT && k != EM_KIND_UINT && k != EM_KIND_BOOL)) {
        PyErr_SetString(PyExc_TypeError,
                        "Only 0-dimensional integer arrays can be converted to an index.");
        return NULL;
    }
    return nb_int(self);
}

/* Comparisons: == and != with something that is no operand give False and
 * True; the orderings raise as the arithmetic operators do. */
static PyObject *array_richcompare(PyObject *self, PyObject *other, int op) {
    static const struct { binary_fn fn; const char *what; } ops[] = {
        [Py_LT] = {em_less, "less than"},
        [Py_LE] = {em_less_equal, "less than or equal"},
        [Py_EQ] = {em_equal, "equal"},
        [Py_NE] = {em_not_equal, "not equal"},
        [Py_GT] = {em_greater, "greater than"},
        [Py_GE] = {em_greater_equal, "greater than or equal"},
    };
    em_state *st = st_of(self);
    if (!st) return NULL;
    if ((op == Py_EQ || op == Py_NE) && (other == Py_None || py_operand_kind(st, other) == OPND_NONE))
        return PyBool_FromLong(op == Py_NE);
    return binop(self, other, ops[op].fn, ops[op].what);
}

static Py_hash_t array_hash(PyObject *self) {
    /* Identity, as MLX: arrays compare elementwise, so hash by object. */
    Py_hash_t h = (Py_hash_t)((uintptr_t)self >> 4);
    return h == -1 ? -2 : h;
}

/* Legacy division names (MLX keeps __div__ / __rdiv__). */
static PyObject *m_div(PyObject *self, PyObject *other) { return binop(self, other, em_divide, "division"); }
static PyObject *m_rdiv(PyObject *self, PyObject *other) { return binop(other, self, em_divide, "division"); }

/* ---------------------------------------------------------------- sequence */

static Py_ssize_t array_length(PyObject *self) {
    em_array *a = py_array_arr(self);
    if (em_array_ndim(a) == 0) {
        PyErr_SetString(PyExc_TypeError, "len() 0-dimensional array.");
        return -1;
    }
    return (Py_ssize_t)em_array_dim(a, 0);
}

typedef struct {
    PyObject_HEAD
    PyObject *array;
    Py_ssize_t index, length;
} IterObject;

static PyObject *array_iter(PyObject *self) {
    em_state *st = st_of(self);
    if (!st) return NULL;
    em_array *a = py_array_arr(self);
    if (em_array_ndim(a) == 0) {
        PyErr_SetString(PyExc_TypeError, "iter() 0-dimensional array.");
        return NULL;
    }
    IterObject *it = PyObject_GC_New(IterObject, st->iter_type);
    if (!it) return NULL;
    it->array = Py_NewRef(self);
    it->index = 0;
    it->length = (Py_ssize_t)em_array_dim(a, 0);
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

static PyObject *iter_next(PyObject *self) {
    IterObject *it = (IterObject *)self;
    if (!it->array || it->index >= it->length) return NULL;
    PyObject *i = PyLong_FromSsize_t(it->index++);
    if (!i) return NULL;
    PyObject *r = py_array_getitem(it->array, i);
    Py_DECREF(i);
    return r;
}

static PyObject *iter_length_hint(PyObject *self, PyObject *unused) {
    IterObject *it = (IterObject *)self;
    return PyLong_FromSsize_t(it->length > it->index ? it->length - it->index : 0);
}

static int iter_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((IterObject *)self)->array);
    return 0;
}

static void iter_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((IterObject *)self)->array);
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

static PyMethodDef iter_methods[] = {
    {"__length_hint__", iter_length_hint, METH_NOARGS, NULL},
    {NULL},
};

static PyType_Slot iter_slots[] = {
    {Py_tp_doc, "An iterator over the first axis of an array."},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, iter_next},
    {Py_tp_methods, iter_methods},
    {Py_tp_traverse, iter_traverse},
    {Py_tp_dealloc, iter_dealloc},
    {0, NULL},
};

static PyType_Spec iter_spec = {
    .name = "ember.core.ArrayIterator",
    .basicsize = sizeof(IterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = iter_slots,
};

/* ---------------------------------------------------------------- ArrayAt */

typedef struct {
    PyObject_HEAD
    PyObject *array;
    PyObject *indices; /* NULL until indexed */
} AtObject;

static PyObject *at_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    PyObject *x;
    if (!PyArg_ParseTuple(args, "O:ArrayAt", &x)) return NULL;
    AtObject *o = (AtObject *)tp->tp_alloc(tp, 0);
    if (o) o->array = Py_NewRef(x);
    return (PyObject *)o;
}

static PyObject *at_getitem(PyObject *self, PyObject *key) {
    AtObject *o = (AtObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    AtObject *r = (AtObject *)tp->tp_alloc(tp, 0);
    if (!r) return NULL;
    r->array = Py_NewRef(o->array);
    r->indices = Py_NewRef(key);
    return (PyObject *)r;
}

/* x.at[idx].op(value): the accumulating scatters (indexing.c). */
static PyObject *at_update(PyObject *self, PyObject *value, const char *name) {
    AtObject *o = (AtObject *)self;
    if (!o->indices) {
        PyErr_SetString(PyExc_ValueError, "Cannot update without indices, use x.at[idx].add(y).");
        return NULL;
    }
    return py_array_at_update(o->array, o->indices, value, name);
}

#define AT_METHOD(name)                                                             \
    static PyObject *at_##name(PyObject *self, PyObject *value) { return at_update(self, value, #name); }
AT_METHOD(add)
AT_METHOD(subtract)
AT_METHOD(multiply)
AT_METHOD(divide)
AT_METHOD(maximum)
AT_METHOD(minimum)

static int at_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((AtObject *)self)->array);
    Py_VISIT(((AtObject *)self)->indices);
    return 0;
}

static void at_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((AtObject *)self)->array);
    Py_CLEAR(((AtObject *)self)->indices);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyMethodDef at_methods[] = {
    {"add", at_add, METH_O, "add(value)\n--\n\nAdd ``value`` at the stored indices."},
    {"subtract", at_subtract, METH_O, "subtract(value)\n--\n\nSubtract ``value`` at the indices."},
    {"multiply", at_multiply, METH_O, "multiply(value)\n--\n\nMultiply by ``value`` at the indices."},
    {"divide", at_divide, METH_O, "divide(value)\n--\n\nDivide by ``value`` at the indices."},
    {"maximum", at_maximum, METH_O, "maximum(value)\n--\n\nMaximum with ``value`` at the indices."},
    {"minimum", at_minimum, METH_O, "minimum(value)\n--\n\nMinimum with ``value`` at the indices."},
    {NULL},
};

static PyType_Slot at_slots[] = {
    {Py_tp_doc, "A helper object to apply updates at specific indices."},
    {Py_tp_new, at_new},
    {Py_mp_subscript, at_getitem},
    {Py_tp_methods, at_methods},
    {Py_tp_traverse, at_traverse},
    {Py_tp_dealloc, at_dealloc},
    {0, NULL},
};

static PyType_Spec at_spec = {
    .name = "ember.core.ArrayAt",
    .basicsize = sizeof(AtObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = at_slots,
};

/* ---------------------------------------------------------------- mirrors */

/* Methods that are module functions with the array first: they pass self and
 * their arguments to the function, which parses them with its own names. */
static PyObject *call_with_self(PyObject *self, const char *name, PyObject *const *args,
                                Py_ssize_t nargs, PyObject *kwnames) {
    PyObject *mod = module_of_type(Py_TYPE(self));
    if (!mod) return NULL;
    PyObject *fn = PyObject_GetAttrString(mod, name);
    if (!fn) return NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *small[16], **buf = small;
    if (nargs + nkw + 1 > 16) {
        buf = PyMem_Malloc((size_t)(nargs + nkw + 1) * sizeof(PyObject *));
        if (!buf) {
            Py_DECREF(fn);
            return PyErr_NoMemory();
        }
    }
    buf[0] = self;
    memcpy(buf + 1, args, (size_t)(nargs + nkw) * sizeof(PyObject *));
    PyObject *r = PyObject_Vectorcall(fn, buf, (size_t)(nargs + 1), kwnames);
    if (buf != small) PyMem_Free(buf);
    Py_DECREF(fn);
    return r;
}

#define MIRROR(name)                                                                      \
    static PyObject *mirror_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs, \
                                   PyObject *kwnames) {                                   \
        return call_with_self(self, #name, args, nargs, kwnames);                          \
    }
#define MIRROR_DEF(name, sig, doc)                                                       \
    {#name, (PyCFunction)(void (*)(void))mirror_##name, METH_FASTCALL | METH_KEYWORDS,      \
     #name sig "\n--\n\n" doc}

MIRROR(flatten) MIRROR(squeeze) MIRROR(moveaxis) MIRROR(swapaxes) MIRROR(split)
MIRROR(abs) MIRROR(square) MIRROR(sqrt) MIRROR(rsqrt) MIRROR(reciprocal) MIRROR(exp)
MIRROR(log) MIRROR(log2) MIRROR(log10) MIRROR(log1p) MIRROR(sin) MIRROR(cos) MIRROR(round)
MIRROR(conj) MIRROR(all) MIRROR(any) MIRROR(sum) MIRROR(prod) MIRROR(min) MIRROR(max)
MIRROR(mean) MIRROR(var) MIRROR(std) MIRROR(logsumexp) MIRROR(argmin) MIRROR(argmax)
MIRROR(cumsum) MIRROR(cumprod) MIRROR(cummax) MIRROR(cummin) MIRROR(logcumsumexp)
MIRROR(diag) MIRROR(diagonal)

/* reshape(*shape) and transpose(*axes) take separate ints or one sequence. */
static PyObject *star_ints(PyObject *self, const char *name, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames) {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, i), "stream") != 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", name,
                         PyTuple_GET_ITEM(kwnames, i));
            return NULL;
        }
    }
    PyObject *seq;
    if (nargs == 1 && (PyList_Check(args[0]) || PyTuple_Check(args[0])))
        seq = Py_NewRef(args[0]);
    else if (nargs == 0 && !strcmp(name, "transpose"))
        seq = Py_NewRef(Py_None);
    else {
        seq = PyTuple_New(nargs);
        for (Py_ssize_t i = 0; seq && i < nargs; i++) PyTuple_SET_ITEM(seq, i, Py_NewRef(args[i]));
    }
    if (!seq) return NULL;
    PyObject *call[3] = {seq, nkw ? args[nargs] : NULL, NULL};
    PyObject *r = call_with_self(self, name, call, 1, kwnames);
    Py_DECREF(seq);
    return r;
}

static PyObject *m_reshape(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    return star_ints(self, "reshape", args, nargs, kwnames);
}
static PyObject *m_transpose(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    return star_ints(self, "transpose", args, nargs, kwnames);
}

#define RED_DOC "(self, axis=None, keepdims=False, *, stream=None)"

static PyMethodDef array_methods[] = {
    {"item", m_item, METH_NOARGS, "item(self)\n--\n\nAccess the value of a scalar array."},
    {"tolist", m_tolist, METH_NOARGS,
     "tolist(self)\n--\n\nConvert the array to a list (a scalar for 0-d arrays)."},
    {"astype", (PyCFunction)(void (*)(void))m_astype, METH_FASTCALL | METH_KEYWORDS,
     "astype(self, dtype, stream=None)\n--\n\nCast the array to a specified type."},
    {"reshape", (PyCFunction)(void (*)(void))m_reshape, METH_FASTCALL | METH_KEYWORDS,
     "reshape(self, *shape, stream=None)\n--\n\n"
     "Equivalent to :func:`reshape` but the shape can be passed either as a\n"
     ":obj:`tuple` or as separate arguments."},
    {"view", (PyCFunction)(void (*)(void))py_array_view, METH_FASTCALL | METH_KEYWORDS,
     "view(self, dtype, *, stream=None)\n--\n\nSee :func:`view`."},
    {"transpose", (PyCFunction)(void (*)(void))m_transpose, METH_FASTCALL | METH_KEYWORDS,
     "transpose(self, *axes, stream=None)\n--\n\n"
     "Equivalent to :func:`transpose` but the axes can be passed either as\n"
     "a tuple or as separate arguments."},
    MIRROR_DEF(flatten, "(self, start_axis=0, end_axis=-1, *, stream=None)", "See :func:`flatten`."),
    MIRROR_DEF(squeeze, "(self, axis=None, *, stream=None)", "See :func:`squeeze`."),
    MIRROR_DEF(moveaxis, "(self, source, destination, *, stream=None)", "See :func:`moveaxis`."),
    MIRROR_DEF(swapaxes, "(self, axis1, axis2, *, stream=None)", "See :func:`swapaxes`."),
    MIRROR_DEF(diag, "(self, k=0, *, stream=None)", "See :func:`diag`."),
    MIRROR_DEF(diagonal, "(self, offset=0, axis1=0, axis2=1, stream=None)", "See :func:`diagonal`."),
    MIRROR_DEF(split, "(self, indices_or_sections, axis=0, *, stream=None)", "See :func:`split`."),
    MIRROR_DEF(abs, "(self, *, stream=None)", "See :func:`abs`."),
    MIRROR_DEF(square, "(self, *, stream=None)", "See :func:`square`."),
    MIRROR_DEF(sqrt, "(self, *, stream=None)", "See :func:`sqrt`."),
    MIRROR_DEF(rsqrt, "(self, *, stream=None)", "See :func:`rsqrt`."),
    MIRROR_DEF(reciprocal, "(self, *, stream=None)", "See :func:`reciprocal`."),
    MIRROR_DEF(exp, "(self, *, stream=None)", "See :func:`exp`."),
    MIRROR_DEF(log, "(self, *, stream=None)", "See :func:`log`."),
    MIRROR_DEF(log2, "(self, *, stream=None)", "See :func:`log2`."),
    MIRROR_DEF(log10, "(self, *, stream=None)", "See :func:`log10`."),
    MIRROR_DEF(log1p, "(self, *, stream=None)", "See :func:`log1p`."),
    MIRROR_DEF(sin, "(self, *, stream=None)", "See :func:`sin`."),
    MIRROR_DEF(cos, "(self, *, stream=None)", "See :func:`cos`."),
    MIRROR_DEF(round, "(self, decimals=0, *, stream=None)", "See :func:`round`."),
    MIRROR_DEF(conj, "(self, *, stream=None)", "See :func:`conj`."),
    MIRROR_DEF(all, RED_DOC, "See :func:`all`."),
    MIRROR_DEF(any, RED_DOC, "See :func:`any`."),
    MIRROR_DEF(sum, RED_DOC, "See :func:`sum`."),
    MIRROR_DEF(prod, RED_DOC, "See :func:`prod`."),
    MIRROR_DEF(min, RED_DOC, "See :func:`min`."),
    MIRROR_DEF(max, RED_DOC, "See :func:`max`."),
    MIRROR_DEF(mean, RED_DOC, "See :func:`mean`."),
    MIRROR_DEF(var, "(self, axis=None, keepdims=False, ddof=0, *, stream=None)", "See :func:`var`."),
    MIRROR_DEF(std, "(self, axis=None, keepdims=False, ddof=0, *, stream=None)", "See :func:`std`."),
    MIRROR_DEF(logsumexp, RED_DOC, "See :func:`logsumexp`."),
    MIRROR_DEF(argmin, RED_DOC, "See :func:`argmin`."),
    MIRROR_DEF(argmax, RED_DOC, "See :func:`argmax`."),
    MIRROR_DEF(cumsum, "(self, axis=None, *, reverse=False, inclusive=True, stream=None)", "See :func:`cumsum`."),
    MIRROR_DEF(cumprod, "(self, axis=None, *, reverse=False, inclusive=True, stream=None)", "See :func:`cumprod`."),
    MIRROR_DEF(cummax, "(self, axis=None, *, reverse=False, inclusive=True, stream=None)", "See :func:`cummax`."),
    MIRROR_DEF(cummin, "(self, axis=None, *, reverse=False, inclusive=True, stream=None)", "See :func:`cummin`."),
    MIRROR_DEF(logcumsumexp, "(self, axis=None, *, reverse=False, inclusive=True, stream=None)", "See :func:`logcumsumexp`."),
    {"__array__", (PyCFunction)(void (*)(void))m_array, METH_FASTCALL | METH_KEYWORDS,
     "__array__(self, dtype=None, copy=None)\n--\n\nConvert to a NumPy array."},
    {"__dlpack__", (PyCFunction)(void (*)(void))m_dlpack, METH_FASTCALL | METH_KEYWORDS,
     "__dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None)\n--\n\n"
     "Export the array as a DLPack capsule."},
    {"__dlpack_device__", m_dlpack_device, METH_NOARGS,
     "__dlpack_device__(self)\n--\n\nThe DLPack device: (kDLCPU, 0)."},
    {"__div__", m_div, METH_O, NULL},
    {"__rdiv__", m_rdiv, METH_O, NULL},
    {"__copy__", m_copy, METH_NOARGS, NULL},
    {"__deepcopy__", m_deepcopy, METH_O, NULL},
    {"__getstate__", m_getstate, METH_NOARGS, NULL},
    {"__setstate__", m_setstate, METH_O, NULL},
    {"__reduce__", m_reduce, METH_NOARGS, NULL},
    {"__format__", m_format, METH_O, NULL},
    {"__complex__", m_complex, METH_NOARGS, NULL},
    {"__array_namespace__", (PyCFunction)(void (*)(void))m_array_namespace,
     METH_FASTCALL | METH_KEYWORDS, NULL},
    {NULL},
};

static PyMemberDef array_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(ArrayObject, weakrefs), READONLY, NULL},
    {NULL},
};

static PyType_Slot array_slots[] = {
    {Py_tp_doc, "array(val, dtype=None)\n--\n\nAn N-dimensional array object."},
    {Py_tp_new, array_new},
    {Py_tp_dealloc, array_dealloc},
    {Py_tp_repr, array_repr},
    {Py_tp_str, array_repr},
    {Py_tp_hash, array_hash},
    {Py_tp_richcompare, array_richcompare},
    {Py_tp_iter, array_iter},
    {Py_tp_getset, array_getset},
    {Py_tp_methods, array_methods},
    {Py_tp_members, array_members},
    {Py_mp_length, array_length},
    {Py_mp_subscript, py_array_getitem},
    {Py_mp_ass_subscript, py_array_setitem},
    {Py_bf_getbuffer, py_array_getbuffer},
    {Py_bf_releasebuffer, py_array_releasebuffer},
    {Py_nb_add, nb_add}, {Py_nb_inplace_add, nb_iadd},
    {Py_nb_subtract, nb_sub}, {Py_nb_inplace_subtract, nb_isub},
    {Py_nb_multiply, nb_mul}, {Py_nb_inplace_multiply, nb_imul},
    {Py_nb_true_divide, nb_truediv}, {Py_nb_inplace_true_divide, nb_itruediv},
    {Py_nb_floor_divide, nb_floordiv}, {Py_nb_inplace_floor_divide, nb_ifloordiv},
    {Py_nb_remainder, nb_mod}, {Py_nb_inplace_remainder, nb_imod},
    {Py_nb_power, nb_pow}, {Py_nb_inplace_power, nb_ipow},
    {Py_nb_matrix_multiply, nb_matmul}, {Py_nb_inplace_matrix_multiply, nb_imatmul},
    {Py_nb_and, nb_and}, {Py_nb_inplace_and, nb_iand},
    {Py_nb_or, nb_or}, {Py_nb_inplace_or, nb_ior},
    {Py_nb_xor, nb_xor}, {Py_nb_inplace_xor, nb_ixor},
    {Py_nb_lshift, nb_lshift}, {Py_nb_inplace_lshift, nb_ilshift},
    {Py_nb_rshift, nb_rshift}, {Py_nb_inplace_rshift, nb_irshift},
    {Py_nb_negative, nb_neg},
    {Py_nb_positive, nb_pos},
    {Py_nb_absolute, nb_abs},
    {Py_nb_invert, nb_invert},
    {Py_nb_bool, nb_bool},
    {Py_nb_int, nb_int},
    {Py_nb_float, nb_float},
    {Py_nb_index, nb_index},
    {0, NULL},
};

static PyType_Spec array_spec = {
    .name = "ember.core.array",
    .basicsize = sizeof(ArrayObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = array_slots,
};

int array_module_init(PyObject *m, em_state *st) {
    PyObject *t = PyType_FromModuleAndSpec(m, &array_spec, NULL);
    if (!t) return -1;
    st->array_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "array", t) < 0) return -1;
    t = PyType_FromModuleAndSpec(m, &iter_spec, NULL);
    if (!t) return -1;
    st->iter_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "ArrayIterator", t) < 0) return -1;
    t = PyType_FromModuleAndSpec(m, &at_spec, NULL);
    if (!t) return -1;
    st->at_type = (PyTypeObject *)t;
    return PyModule_AddObjectRef(m, "ArrayAt", t);
}
