/* convert.c -- Python values to arrays and back: scalars with MLX's default
 * and weak dtypes, nested lists, the buffer protocol both ways, item/tolist,
 * and NumPy's __array__. (DLPack lives in dlpack.c.) */
#include <string.h>

#include "pyember.h"

/* ---------------------------------------------------------------- scalars */

static em_scalar_kind scalar_kind(operand_kind k) {
    switch (k) {
    case OPND_BOOL: return EM_SCALAR_BOOL;
    case OPND_INT: return EM_SCALAR_INT;
    case OPND_FLOAT: return EM_SCALAR_FLOAT;
    default: return EM_SCALAR_COMPLEX;
    }
}

/* The scalar kind of a buffer's single element (NumPy scalars), from its
 * format; OPND_NONE when it is not one element. */
static operand_kind buffer_scalar_kind(PyObject *o) {
    Py_buffer v;
    if (PyObject_GetBuffer(o, &v, PyBUF_FORMAT | PyBUF_ND) < 0) {
        PyErr_Clear();
        return OPND_NONE;
    }
    operand_kind k = OPND_NONE;
    const char *f = v.format ? v.format : "B";
    while (*f == '<' || *f == '=' || *f == '@' || *f == '!' || *f == '>') f++;
    if (v.ndim == 0) {
        if (*f == '?') k = OPND_BOOL;
        else if (*f == 'Z') k = OPND_COMPLEX;
        else if (strchr("efd", *f)) k = OPND_FLOAT;
        else if (strchr("bBhHiIlLqQ", *f)) k = OPND_INT;
    }
    PyBuffer_Release(&v);
    return k;
}

operand_kind py_operand_kind(em_state *st, PyObject *o) {
    if (PyBool_Check(o)) return OPND_BOOL;
    if (PyLong_Check(o)) return OPND_INT;
    if (PyFloat_Check(o)) return OPND_FLOAT;
    if (PyComplex_Check(o)) return OPND_COMPLEX;
    if (py_is_array(st, o)) return OPND_ARRAY;
    /* NumPy scalars are weak too (they are not sequences, unlike arrays). */
    if (PyObject_CheckBuffer(o) && !PySequence_Check(o)) {
        operand_kind k = buffer_scalar_kind(o);
        if (k != OPND_NONE) return k;
    }
    if (PyObject_CheckBuffer(o) || PyObject_HasAttrString(o, "__dlpack__") ||
        PyObject_HasAttrString(o, "__mlx_array__"))
        return OPND_ARRAY;
    if (PyIndex_Check(o)) return OPND_INT;
    return OPND_NONE;
}

static em_array *int_overflow(PyObject *o, em_dtype dt) {
    PyObject *r = PyObject_Str(o);
    if (r) {
        PyErr_Format(PyExc_ValueError, "Converting %U to %s would result in overflow.", r,
                     em_dtype_name(dt));
        Py_DECREF(r);
    }
    return NULL;
}

/* A Python int as a 0-d array of dtype dt, refusing values dt cannot hold
 * when dt is an integer or bool dtype. */
static em_array *int_scalar(PyObject *o, em_dtype dt, bool check) {
    PyObject *i = PyNumber_Index(o);
    if (!i) return NULL;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(i, &overflow);
    em_array *r = NULL;
    em_dtype_kind k = em_dtype_kind_of(dt);
    bool integral = k == EM_KIND_INT || k == EM_KIND_UINT || k == EM_KIND_BOOL;
    if (v == -1 && PyErr_Occurred()) {
        /* error already set */
    } else if (overflow) {
        if (dt == EM_UINT64 && overflow > 0) {
            unsigned long long u = PyLong_AsUnsignedLongLong(i);
            if (!(u == (unsigned long long)-1 && PyErr_Occurred()))
                r = em_array_from_uint(u, dt);
            else {
                PyErr_Clear();
                int_overflow(o, dt);
            }
        } else if (!integral) {
            double d = PyLong_AsDouble(i);
            if (!(d == -1.0 && PyErr_Occurred())) r = em_array_from_double(d, dt);
        } else {
            int_overflow(o, dt);
        }
    } else if (check && integral && !em_dtype_fits_int(dt, (int64_t)v)) {
        int_overflow(o, dt);
    } else {
        r = em_array_from_int((int64_t)v, dt);
    }
    Py_DECREF(i);
    if (!r && !PyErr_Occurred()) py_raise_ember();
    return r;
}

static em_array *float_scalar(PyObject *o, em_dtype dt) {
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) return NULL;
    em_array *r = dt == EM_COMPLEX64 ? em_array_from_complex((float)v, 0.0f)
                                     : em_array_from_double(v, dt);
    if (!r) py_raise_ember();
    return r;
}

static em_array *complex_scalar(PyObject *o, int dtype) {
    Py_complex c = PyComplex_AsCComplex(o);
    if (c.real == -1.0 && PyErr_Occurred()) return NULL;
    em_array *r = em_array_from_complex((float)c.real, (float)c.imag);
    if (r && dtype >= 0 && dtype != EM_COMPLEX64) {
        em_array *t = em_astype(r, (em_dtype)dtype);
        em_array_release(r);
        r = t;
    }
    if (!r) py_raise_ember();
    return r;
}

static em_array *bool_scalar(PyObject *o, em_dtype dt) {
    int t = PyObject_IsTrue(o);
    if (t < 0) return NULL;
    em_array *r = dt == EM_BOOL ? em_array_from_bool(t) : em_array_from_int(t, dt);
    if (!r) py_raise_ember();
    return r;
}

em_array *py_weak_scalar(PyObject *o, operand_kind k, em_dtype other) {
    em_dtype dt = em_result_type_weak(other, scalar_kind(k));
    switch (k) {
    case OPND_BOOL: return bool_scalar(o, dt);
    case OPND_INT: return int_scalar(o, dt, true);
    case OPND_FLOAT: return float_scalar(o, dt);
    default: return complex_scalar(o, dt);
    }
}

/* A Python scalar with MLX's default dtypes, or cast to `dtype`. */
static em_array *default_scalar(PyObject *o, operand_kind k, int dtype) {
    switch (k) {
    case OPND_BOOL: return bool_scalar(o, dtype >= 0 ? (em_dtype)dtype : EM_BOOL);
    case OPND_INT: {
        if (dtype >= 0) return int_scalar(o, (em_dtype)dtype, false);
        PyObject *i = PyNumber_Index(o);
        if (!i) return NULL;
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(i, &overflow);
        Py_DECREF(i);
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (overflow) return int_overflow(o, EM_INT64);
        return int_scalar(o, em_dtype_fits_int(EM_INT32, v) ? EM_INT32 : EM_INT64, true);
    }
    case OPND_FLOAT: return float_scalar(o, dtype >= 0 ? (em_dtype)dtype : EM_FLOAT32);
    default: return complex_scalar(o, dtype);
    }
}

int py_binary_operands(em_state *st, PyObject *a, PyObject *b, em_array **x, em_array **y) {
    operand_kind ka = py_operand_kind(st, a), kb = py_operand_kind(st, b);
    *x = *y = NULL;
    if (ka == OPND_ARRAY || kb == OPND_ARRAY) {
        if (ka == OPND_ARRAY) *x = py_arg_array(st, a, "", "a");
        if (kb == OPND_ARRAY) *y = py_arg_array(st, b, "", "b");
        if ((ka == OPND_ARRAY && !*x) || (kb == OPND_ARRAY && !*y)) goto fail;
        if (ka != OPND_ARRAY) *x = py_weak_scalar(a, ka, em_array_dtype(*y));
        if (kb != OPND_ARRAY) *y = py_weak_scalar(b, kb, em_array_dtype(*x));
    } else {
        *x = py_to_array(st, a, -1);
        *y = *x ? py_to_array(st, b, -1) : NULL;
    }
    if (*x && *y) return 0;
fail:
    em_array_release(*x);
    em_array_release(*y);
    *x = *y = NULL;
    return -1;
}

/* ---------------------------------------------------------------- buffers in */

/* The dtype of a PEP 3118 format; -1 unsupported, -2 complex128. */
static int format_dtype(const char *f, Py_ssize_t itemsize) {
    if (!f) return EM_UINT8;
    while (*f == '<' || *f == '=' || *f == '@' || *f == '!') f++;
    if (*f == '>') return -1;
    if (f[0] == 'Z' && f[1] == 'f') return EM_COMPLEX64;
    if (f[0] == 'Z' && f[1] == 'd') return -2;
    if (f[1] != '\0') return -1;
    switch (*f) {
    case '?': return EM_BOOL;
    case 'b': return EM_INT8;
    case 'B': case 'c': return EM_UINT8;
    case 'h': return EM_INT16;
    case 'H': return EM_UINT16;
    case 'i': case 'l': case 'q':
        return itemsize == 4 ? EM_INT32 : itemsize == 8 ? EM_INT64 : -1;
    case 'I': case 'L': case 'Q':
        return itemsize == 4 ? EM_UINT32 : itemsize == 8 ? EM_UINT64 : -1;
    case 'e': return EM_FLOAT16;
    case 'f': return EM_FLOAT32;
    case 'd': return EM_FLOAT64;
    default: return -1;
    }
}

/* Converts complex128 data (n pairs of doubles, contiguous) to a complex64
 * array through the library's float64 -> float32 cast. */
static em_array *complex128_array(const void *data, const int64_t *shape, int ndim) {
    int64_t pshape[EM_MAX_NDIM + 1];
    memcpy(pshape, shape, (size_t)ndim * sizeof(int64_t));
    pshape[ndim] = 2;
    em_array *pairs = em_array_from_data(data, pshape, ndim + 1, EM_FLOAT64);
    em_array *f32 = em_astype(pairs, EM_FLOAT32);
    em_array_release(pairs);
    if (!f32) return NULL;
    int64_t n = em_array_size(f32);
    float *tmp = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(float));
    em_array *r = NULL;
    if (!tmp) {
        em_array_release(f32);
        PyErr_NoMemory();
        return NULL;
    }
    if (em_array_copy_to(f32, EM_FLOAT32, tmp, (size_t)n * sizeof(float)) == EM_OK)
        r = em_array_from_data(tmp, shape, ndim, EM_COMPLEX64);
    PyMem_Free(tmp);
    em_array_release(f32);
    return r;
}

/* Copies a buffer into a new array. *handled is false when o offers no
 * buffer. MLX's defaults: float64 becomes float32, complex128 complex64,
 * unless dtype is given. */
static em_array *from_buffer(PyObject *o, int dtype, bool *handled) {
    Py_buffer v;
    *handled = false;
    if (PyObject_GetBuffer(o, &v, PyBUF_RECORDS_RO) < 0) {
        PyErr_Clear();
        return NULL;
    }
    *handled = true;
    em_array *r = NULL;
    int dt = format_dtype(v.format, v.itemsize);
    if (dt == -1 || (dt >= 0 && (Py_ssize_t)em_dtype_size((em_dtype)dt) != v.itemsize) ||
        (dt == -2 && v.itemsize != 16)) {
        PyErr_Format(PyExc_ValueError, "Unsupported buffer format '%s' in array initialization.",
                     v.format ? v.format : "B");
        PyBuffer_Release(&v);
        return NULL;
    }
    if (v.ndim > EM_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "[array] Arrays may have at most %d dimensions, got %d.",
                     EM_MAX_NDIM, v.ndim);
        PyBuffer_Release(&v);
        return NULL;
    }
    int64_t shape[EM_MAX_NDIM];
    for (int i = 0; i < v.ndim; i++) shape[i] = v.shape ? v.shape[i] : v.len / v.itemsize;
    const void *data = v.buf;
    void *tmp = NULL;
    if (!PyBuffer_IsContiguous(&v, 'C')) {
        tmp = PyMem_Malloc(v.len ? (size_t)v.len : 1);
        if (!tmp || PyBuffer_ToContiguous(tmp, &v, v.len, 'C') < 0) {
            if (!tmp) PyErr_NoMemory();
            PyMem_Free(tmp);
            PyBuffer_Release(&v);
            return NULL;
        }
        data = tmp;
    }
    if (dt == -2) r = complex128_array(data, shape, v.ndim);
    else r = em_array_from_data(data, shape, v.ndim, (em_dtype)dt);
    PyMem_Free(tmp);
    PyBuffer_Release(&v);
    if (!r) {
        if (!PyErr_Occurred()) py_raise_ember();
        return NULL;
    }
    int want = dtype >= 0 ? dtype : em_array_dtype(r) == EM_FLOAT64 ? EM_FLOAT32 : -1;
    if (want >= 0 && want != (int)em_array_dtype(r)) {
        em_array *t = em_astype(r, (em_dtype)want);
        em_array_release(r);
        if (!t) py_raise_ember();
        r = t;
    }
    return r;
}

/* ---------------------------------------------------------------- lists in */

enum { K_BOOL, K_INT, K_FLOAT, K_COMPLEX };

typedef struct {
    em_state *st;
    int ndim;          /* -1 until the first leaf */
    int known;         /* entries of shape fixed so far */
    int64_t shape[EM_MAX_NDIM];
    int kind;          /* widest scalar kind seen, -1 none */
    bool wide_int;     /* an int that needs int64 */
    int arr_dtype;     /* promotion of the arrays met, -1 none */
    /* fill pass */
    char *out;
    em_dtype storage;
    int64_t pos;
} list_ctx;

static int list_error(const char *msg) {
    PyErr_SetString(PyExc_ValueError, msg);
    return -1;
}

static int leaf_kind(PyObject *o) {
    if (PyBool_Check(o)) return K_BOOL;
    if (PyLong_Check(o)) return K_INT;
    if (PyFloat_Check(o)) return K_FLOAT;
    if (PyComplex_Check(o)) return K_COMPLEX;
    return -1;
}

/* Records a dimension of length len at depth d. */
static int note_dim(list_ctx *c, int d, int64_t len) {
    if (d >= EM_MAX_NDIM) return list_error("[array] Too many dimensions in array initialization.");
    if (c->ndim >= 0 && d >= c->ndim)
        return list_error("Initialization encountered extra dimension.");
    if (d < c->known) {
        if (c->shape[d] != len) return list_error("Initialization encountered non-uniform length.");
    } else if (d == c->known) {
        c->shape[d] = len;
        c->known++;
    }
    return 0;
}

static int scan(list_ctx *c, PyObject *o, int d) {
    if (PyList_Check(o) || PyTuple_Check(o)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        if (note_dim(c, d, n) < 0) return -1;
        if (Py_EnterRecursiveCall(" in array initialization")) return -1;
        int r = 0;
        for (Py_ssize_t i = 0; i < n && r == 0; i++)
            r = scan(c, PySequence_Fast_GET_ITEM(o, i), d + 1);
        Py_LeaveRecursiveCall();
        return r;
    }
    int k = leaf_kind(o);
    int leaf_nd = 0;
    const int64_t *leaf_shape = NULL;
    em_array *arr = NULL;
    if (k < 0) {
        if (py_is_array(c->st, o)) {
            arr = py_array_arr(o);
        } else if (PyIndex_Check(o) && !PyObject_CheckBuffer(o)) {
            k = K_INT;
        } else {
            PyErr_Format(PyExc_ValueError, "Invalid type %s received in array initialization.",
                         Py_TYPE(o)->tp_name);
            return -1;
        }
    }
    if (arr) {
        leaf_nd = em_array_ndim(arr);
        leaf_shape = em_array_shape(arr);
        em_dtype dt = em_array_dtype(arr);
        c->arr_dtype = c->arr_dtype < 0 ? (int)dt : (int)em_result_type((em_dtype)c->arr_dtype, dt);
    }
    if (c->ndim < 0) {
        c->ndim = d + leaf_nd;
        if (c->ndim > EM_MAX_NDIM)
            return list_error("[array] Too many dimensions in array initialization.");
        if (c->known > c->ndim) return list_error("Initialization encountered extra dimension.");
    } else if (d + leaf_nd != c->ndim) {
        return list_error(d + leaf_nd < c->ndim ? "Initialization encountered non-uniform length."
                                                : "Initialization encountered extra dimension.");
    }
    for (int i = 0; i < leaf_nd; i++)
        if (note_dim(c, d + i, leaf_shape[i]) < 0) return -1;
    if (k >= 0) {
        if (k > c->kind) c->kind = k;
        if (k == K_INT) {
            int overflow = 0;
            PyObject *idx = PyNumber_Index(o);
            if (!idx) return -1;
            long long v = PyLong_AsLongLongAndOverflow(idx, &overflow);
            Py_DECREF(idx);
            if (v == -1 && PyErr_Occurred()) return -1;
            if (overflow) {
                int_overflow(o, EM_INT64);
                return -1;
            }
            if (!em_dtype_fits_int(EM_INT32, v)) c->wide_int = true;
        }
    }
    return 0;
}

static int fill(list_ctx *c, PyObject *o) {
    if (PyList_Check(o) || PyTuple_Check(o)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        for (Py_ssize_t i = 0; i < n; i++)
            if (fill(c, PySequence_Fast_GET_ITEM(o, i)) < 0) return -1;
        return 0;
    }
    size_t isz = em_dtype_size(c->storage);
    char *dst = c->out + c->pos * (int64_t)isz;
    if (py_is_array(c->st, o)) {
        em_array *a = py_array_arr(o);
        int64_t n = em_array_size(a);
        if (py_check(em_array_copy_to(a, c->storage, dst, (size_t)n * isz)) < 0) return -1;
        c->pos += n;
        return 0;
    }
    if (c->storage == EM_COMPLEX64) {
        Py_complex z = PyComplex_AsCComplex(o);
        if (z.real == -1.0 && PyErr_Occurred()) return -1;
        float v[2] = {(float)z.real, (float)z.imag};
        memcpy(dst, v, sizeof v);
    } else if (c->storage == EM_FLOAT64) {
        double v = PyFloat_AsDouble(o);
        if (v == -1.0 && PyErr_Occurred()) return -1;
        memcpy(dst, &v, sizeof v);
    } else {
        PyObject *idx = PyNumber_Index(o);
        if (!idx) return -1;
        long long v = PyLong_AsLongLong(idx);
        Py_DECREF(idx);
        if (v == -1 && PyErr_Occurred()) return -1;
        int64_t w = v;
        memcpy(dst, &w, sizeof w);
    }
    c->pos++;
    return 0;
}

static em_array *from_list(em_state *st, PyObject *o, int dtype) {
    list_ctx c = {.st = st, .ndim = -1, .kind = -1, .arr_dtype = -1};
    if (scan(&c, o, 0) < 0) return NULL;
    if (c.ndim < 0) c.ndim = c.known; /* no leaves: an empty array */
    /* MLX's defaults: the widest kind among the scalars, promoted with the
     * dtypes of any arrays inside; no scalars and no arrays: float32. */
    em_dtype def;
    switch (c.kind) {
    case K_BOOL: def = EM_BOOL; break;
    case K_INT: def = c.wide_int ? EM_INT64 : EM_INT32; break;
    case K_FLOAT: def = EM_FLOAT32; break;
    case K_COMPLEX: def = EM_COMPLEX64; break;
    default: def = c.arr_dtype >= 0 ? (em_dtype)c.arr_dtype : EM_FLOAT32; break;
    }
    if (c.kind >= 0 && c.arr_dtype >= 0) def = em_result_type(def, (em_dtype)c.arr_dtype);
    em_dtype target = dtype >= 0 ? (em_dtype)dtype : def;
    /* Values are gathered in a wide dtype of their kind and cast once. */
    em_dtype_kind tk = em_dtype_kind_of(def);
    c.storage = tk == EM_KIND_COMPLEX ? EM_COMPLEX64
                : tk == EM_KIND_FLOAT ? EM_FLOAT64
                : def == EM_UINT64 ? EM_UINT64 : EM_INT64;
    if (c.kind < 0 && c.arr_dtype >= 0) c.storage = def; /* arrays only: keep theirs */
    int64_t n = 1;
    for (int i = 0; i < c.ndim; i++) n *= c.shape[i];
    size_t isz = em_dtype_size(c.storage);
    c.out = PyMem_Malloc((size_t)(n ? n : 1) * isz);
    if (!c.out) {
        PyErr_NoMemory();
        return NULL;
    }
    em_array *r = NULL;
    if (fill(&c, o) == 0) {
        r = em_array_from_data(c.out, c.shape, c.ndim, c.storage);
        if (r && c.storage != target) {
            em_array *t = em_astype(r, target);
            em_array_release(r);
            r = t;
        }
        if (!r) py_raise_ember();
    }
    PyMem_Free(c.out);
    return r;
}

/* ---------------------------------------------------------------- entry */

em_array *py_to_array(em_state *st, PyObject *o, int dtype) {
    em_array *r = NULL;
    if (py_is_array(st, o)) {
        em_array *a = py_array_arr(o);
        r = dtype >= 0 ? em_astype(a, (em_dtype)dtype) : em_array_retain(a);
        if (!r) py_raise_ember();
        return r;
    }
    if (PyBool_Check(o)) return default_scalar(o, OPND_BOOL, dtype);
    if (PyLong_Check(o)) return default_scalar(o, OPND_INT, dtype);
    if (PyFloat_Check(o)) return default_scalar(o, OPND_FLOAT, dtype);
    if (PyComplex_Check(o)) return default_scalar(o, OPND_COMPLEX, dtype);
    if (PyList_Check(o) || PyTuple_Check(o)) return from_list(st, o, dtype);
    if (PyObject_CheckBuffer(o)) {
        bool handled;
        r = from_buffer(o, dtype, &handled);
        if (handled) return r;
    }
    if (PyObject_HasAttrString(o, "__dlpack__")) {
        bool handled;
        em_array *shared = py_from_dlpack(st, o, &handled);
        if (handled) {
            if (!shared) return NULL;
            /* array() copies: the producer may change its memory later. */
            em_dtype dt = em_array_dtype(shared);
            int want = dtype >= 0 ? dtype : dt == EM_FLOAT64 ? EM_FLOAT32 : (int)dt;
            r = want != (int)dt ? em_astype(shared, (em_dtype)want) : em_copy(shared);
            em_array_release(shared);
            if (r && em_eval1(r) != EM_OK) {
                em_array_release(r);
                r = NULL;
            }
            if (!r) py_raise_ember();
            return r;
        }
    }
    if (PyObject_HasAttrString(o, "__mlx_array__")) {
        PyObject *a = PyObject_CallMethod(o, "__mlx_array__", NULL);
        if (!a) return NULL;
        if (!py_is_array(st, a)) {
            PyErr_SetString(PyExc_TypeError, "__mlx_array__ must return an ember.core.array.");
            Py_DECREF(a);
            return NULL;
        }
        r = py_to_array(st, a, dtype);
        Py_DECREF(a);
        return r;
    }
    if (PyIndex_Check(o)) return default_scalar(o, OPND_INT, dtype);
    PyErr_Format(PyExc_ValueError, "Invalid type %s received in array initialization.",
                 Py_TYPE(o)->tp_name);
    return NULL;
}

/* ---------------------------------------------------------------- out */

PyObject *py_array_item(em_array *a) {
    if (py_wait(a) < 0) return NULL;
    em_dtype dt = em_array_dtype(a);
    switch (em_dtype_kind_of(dt)) {
    case EM_KIND_BOOL: {
        bool v;
        if (py_check(em_array_item_bool(a, &v)) < 0) return NULL;
        return PyBool_FromLong(v);
    }
    case EM_KIND_UINT:
    case EM_KIND_INT: {
        int64_t v;
        if (py_check(em_array_item_int(a, &v)) < 0) return NULL;
        return dt == EM_UINT64 ? PyLong_FromUnsignedLongLong((uint64_t)v) : PyLong_FromLongLong(v);
    }
    case EM_KIND_FLOAT: {
        double v;
        if (py_check(em_array_item_double(a, &v)) < 0) return NULL;
        return PyFloat_FromDouble(v);
    }
    default: {
        float re, im;
        if (py_check(em_array_item_complex(a, &re, &im)) < 0) return NULL;
        return PyComplex_FromDoubles(re, im);
    }
    }
}

/* Reads element i of a host copy in `dt` (after tolist's widening). */
static PyObject *element(const char *p, em_dtype dt) {
    switch (dt) {
    case EM_BOOL: return PyBool_FromLong(*(const bool *)p);
    case EM_UINT8: return PyLong_FromLong(*(const uint8_t *)p);
    case EM_UINT16: return PyLong_FromLong(*(const uint16_t *)p);
    case EM_UINT32: return PyLong_FromUnsignedLong(*(const uint32_t *)p);
    case EM_UINT64: return PyLong_FromUnsignedLongLong(*(const uint64_t *)p);
    case EM_INT8: return PyLong_FromLong(*(const int8_t *)p);
    case EM_INT16: return PyLong_FromLong(*(const int16_t *)p);
    case EM_INT32: return PyLong_FromLong(*(const int32_t *)p);
    case EM_INT64: return PyLong_FromLongLong(*(const int64_t *)p);
    case EM_FLOAT32: return PyFloat_FromDouble(*(const float *)p);
    case EM_FLOAT64: return PyFloat_FromDouble(*(const double *)p);
    case EM_COMPLEX64: {
        float v[2];
        memcpy(v, p, sizeof v);
        return PyComplex_FromDoubles(v[0], v[1]);
    }
    default: return NULL;
    }
}

static PyObject *build_list(const char **p, em_dtype dt, const int64_t *shape, int ndim) {
    if (ndim == 0) {
        PyObject *r = element(*p, dt);
        *p += em_dtype_size(dt);
        return r;
    }
    PyObject *l = PyList_New((Py_ssize_t)shape[0]);
    if (!l) return NULL;
    for (int64_t i = 0; i < shape[0]; i++) {
        PyObject *x = build_list(p, dt, shape + 1, ndim - 1);
        if (!x) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

PyObject *py_array_tolist(em_array *a) {
    if (py_wait(a) < 0) return NULL;
    em_dtype dt = em_array_dtype(a);
    /* Half-precision values become Python floats through float32. */
    em_dtype host = dt == EM_FLOAT16 || dt == EM_BFLOAT16 ? EM_FLOAT32 : dt;
    int64_t n = em_array_size(a);
    size_t nbytes = (size_t)n * em_dtype_size(host);
    char *buf = PyMem_Malloc(nbytes ? nbytes : 1);
    if (!buf) return PyErr_NoMemory();
    if (py_check(em_array_copy_to(a, host, buf, nbytes)) < 0) {
        PyMem_Free(buf);
        return NULL;
    }
    const char *p = buf;
    PyObject *r = build_list(&p, host, em_array_shape(a), em_array_ndim(a));
    PyMem_Free(buf);
    return r;
}

/* ---------------------------------------------------------------- buffers out */

typedef struct {
    em_array *arr;     /* kept alive while the buffer is exported */
    Py_ssize_t dims[]; /* ndim shape entries, then ndim strides in bytes */
} export_info;

static const char *buffer_format(em_dtype dt) {
    switch (dt) {
    case EM_BOOL: return "?";
    case EM_UINT8: return "B";
    case EM_UINT16: return "H";
    case EM_UINT32: return "I";
    case EM_UINT64: return "Q";
    case EM_INT8: return "b";
    case EM_INT16: return "h";
    case EM_INT32: return "i";
    case EM_INT64: return "q";
    case EM_FLOAT16: return "e";
    case EM_FLOAT32: return "f";
    case EM_FLOAT64: return "d";
    case EM_COMPLEX64: return "Zf";
    default: return NULL; /* bfloat16 has no PEP 3118 code */
    }
}

/* Exports the evaluated array read-only and without copying: arrays are
 * immutable (a writable view would also defeat buffer donation). */
int py_array_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    em_array *a = py_array_arr(self);
    if (py_wait(a) < 0) return -1;
    em_dtype dt = em_array_dtype(a);
    const char *fmt = buffer_format(dt);
    if (!fmt) {
        PyErr_Format(PyExc_BufferError, "%s arrays cannot be exported through the buffer protocol.",
                     em_dtype_name(dt));
        return -1;
    }
    if (flags & PyBUF_WRITABLE) {
        PyErr_SetString(PyExc_BufferError, "ember arrays are read-only.");
        return -1;
    }
    const char *data = em_array_data(a);
    const int64_t *strides = data ? em_array_strides(a) : NULL;
    if (!data || !strides) {
        py_raise_ember();
        return -1;
    }
    int nd = em_array_ndim(a);
    bool contig = em_array_is_contiguous(a);
    if (!contig && (flags & PyBUF_STRIDES) != PyBUF_STRIDES) {
        PyErr_SetString(PyExc_BufferError, "The array is not contiguous.");
        return -1;
    }
    if ((flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS && nd > 1) {
        PyErr_SetString(PyExc_BufferError, "The array is not Fortran contiguous.");
        return -1;
    }
    if ((flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS && !contig) {
        PyErr_SetString(PyExc_BufferError, "The array is not C contiguous.");
        return -1;
    }
    export_info *info = PyMem_Malloc(sizeof *info + 2 * (size_t)(nd ? nd : 1) * sizeof(Py_ssize_t));
    if (!info) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t isz = (Py_ssize_t)em_dtype_size(dt);
    const int64_t *shape = em_array_shape(a);
    for (int i = 0; i < nd; i++) {
        info->dims[i] = (Py_ssize_t)shape[i];
        info->dims[nd + i] = (Py_ssize_t)strides[i] * isz;
    }
    info->arr = em_array_retain(a);
    view->buf = (void *)data;
    view->obj = Py_NewRef(self);
    view->len = (Py_ssize_t)em_array_nbytes(a);
    view->readonly = 1;
    view->itemsize = isz;
    view->format = (flags & PyBUF_FORMAT) ? (char *)fmt : NULL;
    view->ndim = nd;
    view->shape = (flags & PyBUF_ND) == PyBUF_ND ? info->dims : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? info->dims + nd : NULL;
    view->suboffsets = NULL;
    view->internal = info;
    return 0;
}

void py_array_releasebuffer(PyObject *self, Py_buffer *view) {
    export_info *info = view->internal;
    if (info) {
        em_array_release(info->arr);
        PyMem_Free(info);
    }
}

/* ---------------------------------------------------------------- NumPy */

PyObject *py_array_to_numpy(em_state *st, PyObject *self, PyObject *dtype, PyObject *copy) {
    if (py_wait(py_array_arr(self)) < 0) return NULL;
    PyObject *np = PyImport_ImportModule("numpy");
    if (!np) return NULL;
    PyObject *src = Py_NewRef(self), *r = NULL;
    bool converted = false;
    if (em_array_dtype(py_array_arr(self)) == EM_BFLOAT16) {
        /* NumPy has no bfloat16: hand out float32 values. */
        Py_DECREF(src);
        src = py_array_wrap(st, em_astype(py_array_arr(self), EM_FLOAT32));
        converted = true;
        if (!src) goto done;
    }
    PyObject *mv = PyMemoryView_FromObject(src);
    if (!mv) goto done;
    int want_copy = copy && copy != Py_None ? PyObject_IsTrue(copy) : -1;
    if (want_copy == 0 && converted) {
        PyErr_SetString(PyExc_ValueError, "Unable to avoid copy while creating an array as requested.");
        Py_DECREF(mv);
        goto done;
    }
    PyObject *arr = PyObject_CallMethod(np, want_copy == 1 ? "array" : "asarray", "O", mv);
    Py_DECREF(mv);
    if (arr && dtype && dtype != Py_None) {
        r = PyObject_CallMethod(arr, "astype", "O", dtype);
        Py_DECREF(arr);
    } else {
        r = arr;
    }
done:
    Py_XDECREF(src);
    Py_DECREF(np);
    return r;
}
