/* indexing.c -- array.__getitem__ / __setitem__. Basic indexing (ints,
 * slices, ..., None, and tuples of them) becomes em_slice + em_squeeze +
 * em_expand_dims. Advanced indexing (integer arrays and lists) and every
 * __setitem__ need gather/scatter primitives the C library does not have yet,
 * and raise NotImplementedError saying so. */
#include "pyember.h"

typedef enum { IX_INT, IX_SLICE, IX_NONE, IX_ELLIPSIS, IX_ARRAY } ix_kind;

static PyObject *unsupported_type(void) {
    PyErr_SetString(PyExc_ValueError, "Cannot index ember array using the given type.");
    return NULL;
}

static ix_kind classify(em_state *st, PyObject *k, int *bad) {
    *bad = 0;
    if (k == Py_None) return IX_NONE;
    if (k == Py_Ellipsis) return IX_ELLIPSIS;
    if (PySlice_Check(k)) return IX_SLICE;
    if (PyBool_Check(k)) {
        *bad = 1;
        return IX_INT;
    }
    if (PyLong_Check(k)) return IX_INT;
    if (py_is_array(st, k)) {
        em_array *a = py_array_arr(k);
        em_dtype_kind kind = em_dtype_kind_of(em_array_dtype(a));
        if (em_array_ndim(a) == 0 && (kind == EM_KIND_INT || kind == EM_KIND_UINT)) return IX_INT;
        return IX_ARRAY;
    }
    if (PyList_Check(k)) return IX_ARRAY;
    if (PyIndex_Check(k) && !PySequence_Check(k)) return IX_INT;
    *bad = 1;
    return IX_INT;
}

PyObject *py_array_getitem(PyObject *self, PyObject *key) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    em_array *a = py_array_arr(self);
    int nd = em_array_ndim(a);
    PyObject *tuple = PyTuple_Check(key) ? Py_NewRef(key) : PyTuple_Pack(1, key);
    if (!tuple) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    if (n > 2 * EM_MAX_NDIM) {
        Py_DECREF(tuple);
        PyErr_SetString(PyExc_IndexError, "Too many indices.");
        return NULL;
    }
    ix_kind kinds[2 * EM_MAX_NDIM];
    int consuming = 0, ellipses = 0, nnew = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int bad;
        kinds[i] = classify(st, PyTuple_GET_ITEM(tuple, i), &bad);
        if (bad) {
            Py_DECREF(tuple);
            return unsupported_type();
        }
        if (kinds[i] == IX_ARRAY) {
            Py_DECREF(tuple);
            PyErr_SetString(PyExc_NotImplementedError,
                            "[getitem] Indexing with integer arrays or lists (advanced indexing) is "
                            "not supported yet: it needs a gather primitive the C library does not "
                            "have.");
            return NULL;
        }
        if (kinds[i] == IX_INT || kinds[i] == IX_SLICE) consuming++;
        else if (kinds[i] == IX_ELLIPSIS) ellipses++;
        else nnew++;
    }
    if (ellipses > 1) {
        Py_DECREF(tuple);
        PyErr_SetString(PyExc_ValueError, "An index can only have a single ellipsis (...)");
        return NULL;
    }
    if (consuming > nd) {
        Py_DECREF(tuple);
        if (nd == 0)
            PyErr_SetString(PyExc_ValueError, "too many indices for array: array is 0-dimensional");
        else
            PyErr_Format(PyExc_ValueError, "Too many indices for array with %d dimensions.", nd);
        return NULL;
    }
    if (nd + nnew > EM_MAX_NDIM) {
        Py_DECREF(tuple);
        PyErr_Format(PyExc_ValueError, "Arrays may have at most %d dimensions.", EM_MAX_NDIM);
        return NULL;
    }
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM], step[EM_MAX_NDIM];
    int squeeze[EM_MAX_NDIM], nsq = 0, newax[EM_MAX_NDIM], nnewax = 0;
    int axis = 0, out = 0; /* input axis, output axis (after squeeze) */
    bool sliced = false;
    const int64_t *shape = em_array_shape(a);
    for (Py_ssize_t i = 0; i <= n; i++) {
        /* past the end: the axes no index named are full slices */
        ix_kind k = i < n ? kinds[i] : IX_ELLIPSIS;
        PyObject *item = i < n ? PyTuple_GET_ITEM(tuple, i) : NULL;
        if (k == IX_ELLIPSIS) {
            int fill = i < n ? nd - consuming : nd - axis;
            for (int j = 0; j < fill; j++, axis++, out++) {
                start[axis] = 0;
                stop[axis] = shape[axis];
                step[axis] = 1;
            }
            if (i == n) break;
            continue;
        }
        if (k == IX_NONE) {
            newax[nnewax++] = out++;
            continue;
        }
        int64_t dim = shape[axis];
        if (k == IX_INT) {
            long long v;
            PyObject *idx = PyNumber_Index(item);
            if (!idx) {
                Py_DECREF(tuple);
                return NULL;
            }
            v = PyLong_AsLongLong(idx);
            Py_DECREF(idx);
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(tuple);
                return NULL;
            }
            if (v < -dim || v >= dim) {
                Py_DECREF(tuple);
                PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis %d with size %lld",
                             v, axis, (long long)dim);
                return NULL;
            }
            if (v < 0) v += dim;
            start[axis] = v;
            stop[axis] = v + 1;
            step[axis] = 1;
            squeeze[nsq++] = axis;
            sliced = true;
        } else {
            Py_ssize_t s0, s1, s2;
            if (PySlice_Unpack(item, &s0, &s1, &s2) < 0) {
                Py_DECREF(tuple);
                return NULL;
            }
            PySlice_AdjustIndices((Py_ssize_t)dim, &s0, &s1, s2);
            /* Adjusted bounds are in [-1, dim]; -1 with a negative step means
             * "before the first element", which em_slice spells -dim-1. */
            start[axis] = s0 < 0 ? -dim - 1 : s0;
            stop[axis] = s1 < 0 ? -dim - 1 : s1;
            step[axis] = s2;
            if (s0 != 0 || s1 != dim || s2 != 1) sliced = true;
            out++;
        }
        axis++;
    }
    Py_DECREF(tuple);
    em_array *r = sliced ? em_slice(a, start, stop, step, nd) : em_array_retain(a);
    if (r && nsq) {
        em_array *t = em_squeeze(r, squeeze, nsq);
        em_array_release(r);
        r = t;
    }
    if (r && nnewax) {
        em_array *t = em_expand_dims(r, newax, nnewax);
        em_array_release(r);
        r = t;
    }
    return py_array_wrap(st, r);
}

int py_array_setitem(PyObject *self, PyObject *key, PyObject *value) {
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "ember arrays do not support item deletion.");
        return -1;
    }
    PyErr_SetString(PyExc_NotImplementedError,
                    "[setitem] Assignment to array elements is not supported yet: it needs a "
                    "scatter (slice update) primitive the C library does not have.");
    return -1;
}
