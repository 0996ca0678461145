/* trees.c -- trees of lists, tuples and dicts (MLX's Python "trees"): the
 * array leaves in order, a tree's structure refilled with new arrays, a
 * structure without its arrays (a skeleton, for caches), and hashable keys
 * for compile's cache. Other leaves are kept as they are. */
#include "pyember.h"

static bool is_node(PyObject *o) { return PyList_Check(o) || PyTuple_Check(o) || PyDict_Check(o); }

static bool is_slot(em_state *st, PyObject *o) { return o == st->tree_slot || py_is_array(st, o); }

int py_tree_flatten(em_state *st, PyObject *tree, em_array_list *out, bool strict) {
    if (py_is_array(st, tree)) return py_check(em_array_list_push(out, py_array_arr(tree)));
    if (!is_node(tree)) {
        if (!strict) return 0;
        PyErr_SetString(PyExc_ValueError, "[tree_flatten] The argument should contain only arrays");
        return -1;
    }
    if (Py_EnterRecursiveCall(" while flattening a tree")) return -1;
    int rc = 0;
    if (PyDict_Check(tree)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (rc == 0 && PyDict_Next(tree, &pos, &k, &v)) rc = py_tree_flatten(st, v, out, strict);
    } else {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(tree);
        for (Py_ssize_t i = 0; rc == 0 && i < n; i++)
            rc = py_tree_flatten(st, PySequence_Fast_GET_ITEM(tree, i), out, strict);
    }
    Py_LeaveRecursiveCall();
    return rc;
}

/* Rebuilds tree with each slot (array or skeleton slot) replaced by
 * make(ctx, index) for consecutive indices from *pos. */
typedef PyObject *(*leaf_maker)(void *ctx, size_t i);

static PyObject *refill(em_state *st, PyObject *tree, leaf_maker make, void *ctx, size_t n,
                        size_t *pos) {
    if (is_slot(st, tree)) {
        if (*pos >= n) {
            PyErr_SetString(PyExc_RuntimeError, "[tree_unflatten] Not enough leaves to fill the tree.");
            return NULL;
        }
        return make(ctx, (*pos)++);
    }
    if (!is_node(tree)) return Py_NewRef(tree);
    if (Py_EnterRecursiveCall(" while rebuilding a tree")) return NULL;
    PyObject *r = NULL;
    if (PyDict_Check(tree)) {
        r = PyDict_New();
        Py_ssize_t p = 0;
        PyObject *k, *v;
        while (r && PyDict_Next(tree, &p, &k, &v)) {
            PyObject *x = refill(st, v, make, ctx, n, pos);
            if (!x || PyDict_SetItem(r, k, x) < 0) Py_CLEAR(r);
            Py_XDECREF(x);
        }
    } else {
        Py_ssize_t len = PySequence_Fast_GET_SIZE(tree);
        bool list = PyList_Check(tree);
        r = list ? PyList_New(len) : PyTuple_New(len);
        for (Py_ssize_t i = 0; r && i < len; i++) {
            PyObject *x = refill(st, PySequence_Fast_GET_ITEM(tree, i), make, ctx, n, pos);
            if (!x) Py_CLEAR(r);
            else if (list) PyList_SET_ITEM(r, i, x);
            else PyTuple_SET_ITEM(r, i, x);
        }
    }
    Py_LeaveRecursiveCall();
    return r;
}

typedef struct { em_state *st; em_array *const *arrays; } array_maker;

static PyObject *make_array(void *ctx, size_t i) {
    array_maker *m = ctx;
    return py_array_wrap(m->st, em_array_retain(m->arrays[i]));
}

PyObject *py_tree_fill(em_state *st, PyObject *tree, em_array *const *arrays, size_t n, size_t *pos) {
    array_maker m = {st, arrays};
    return refill(st, tree, make_array, &m, n, pos);
}

static PyObject *make_object(void *ctx, size_t i) { return Py_NewRef(((PyObject *const *)ctx)[i]); }

PyObject *py_tree_fill_objects(em_state *st, PyObject *tree, PyObject *const *objs, size_t n,
                               size_t *pos) {
    return refill(st, tree, make_object, (void *)objs, n, pos);
}

static PyObject *make_slot(void *ctx, size_t i) { return Py_NewRef((PyObject *)ctx); }

PyObject *py_tree_skeleton(em_state *st, PyObject *tree) {
    size_t pos = 0;
    return refill(st, tree, make_slot, st->tree_slot, (size_t)-1, &pos);
}

/* ---------------------------------------------------------------- keys */

static PyObject *key_of(em_state *st, PyObject *o, bool shapes) {
    if (py_is_array(st, o)) {
        em_array *a = py_array_arr(o);
        if (!shapes) return Py_BuildValue("(ii)", (int)em_array_dtype(a), em_array_ndim(a));
        PyObject *shape = PyTuple_New(em_array_ndim(a));
        for (int i = 0; shape && i < em_array_ndim(a); i++)
            PyTuple_SET_ITEM(shape, i, PyLong_FromLongLong(em_array_shape(a)[i]));
        return shape ? Py_BuildValue("(iN)", (int)em_array_dtype(a), shape) : NULL;
    }
    if (o == Py_None || PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) || PyUnicode_Check(o))
        return PyTuple_Pack(2, (PyObject *)Py_TYPE(o), o);
    if (!is_node(o)) {
        PyErr_Format(PyExc_ValueError,
                     "[compile] Function arguments must be trees of arrays or constants (floats, "
                     "ints, strings, or None), but received type %s.", Py_TYPE(o)->tp_name);
        return NULL;
    }
    if (Py_EnterRecursiveCall(" while hashing a tree")) return NULL;
    PyObject *items = PyList_New(0);
    if (items && PyList_Append(items, (PyObject *)Py_TYPE(o)) < 0) Py_CLEAR(items);
    if (items && PyDict_Check(o)) {
        Py_ssize_t p = 0;
        PyObject *k, *v;
        while (items && PyDict_Next(o, &p, &k, &v)) {
            PyObject *kv = key_of(st, v, shapes);
            if (!kv || PyList_Append(items, k) < 0 || PyList_Append(items, kv) < 0) Py_CLEAR(items);
            Py_XDECREF(kv);
        }
    } else if (items) {
        for (Py_ssize_t i = 0; items && i < PySequence_Fast_GET_SIZE(o); i++) {
            PyObject *kv = key_of(st, PySequence_Fast_GET_ITEM(o, i), shapes);
            if (!kv || PyList_Append(items, kv) < 0) Py_CLEAR(items);
            Py_XDECREF(kv);
        }
    }
    Py_LeaveRecursiveCall();
    PyObject *t = items ? PyList_AsTuple(items) : NULL;
    Py_XDECREF(items);
    return t;
}

PyObject *py_tree_key(em_state *st, PyObject *tree, bool shapes) { return key_of(st, tree, shapes); }

/* ---------------------------------------------------------------- in place */

int py_tree_replace(em_state *st, PyObject *tree, em_array *const *arrays, size_t n, size_t *pos) {
    if (!is_node(tree)) return 0;
    if (Py_EnterRecursiveCall(" while updating a tree")) return -1;
    int rc = 0;
    if (PyDict_Check(tree)) {
        PyObject *items = PyDict_Items(tree);
        for (Py_ssize_t i = 0; items && rc == 0 && i < PyList_GET_SIZE(items); i++) {
            PyObject *kv = PyList_GET_ITEM(items, i), *v = PyTuple_GET_ITEM(kv, 1);
            if (py_is_array(st, v)) {
                PyObject *a = *pos < n ? py_array_wrap(st, em_array_retain(arrays[(*pos)++])) : NULL;
                if (!a && !PyErr_Occurred())
                    PyErr_SetString(PyExc_RuntimeError, "[compile] Not enough arrays to update the captured state.");
                rc = a && PyDict_SetItem(tree, PyTuple_GET_ITEM(kv, 0), a) == 0 ? 0 : -1;
                Py_XDECREF(a);
            } else {
                rc = py_tree_replace(st, v, arrays, n, pos);
            }
        }
        if (!items) rc = -1;
        Py_XDECREF(items);
    } else {
        bool list = PyList_Check(tree);
        for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(tree); i++) {
            PyObject *v = PySequence_Fast_GET_ITEM(tree, i);
            if (!py_is_array(st, v)) {
                rc = py_tree_replace(st, v, arrays, n, pos);
            } else if (!list) {
                PyErr_SetString(PyExc_ValueError,
                                "[compile] Arrays of the captured state directly in a tuple cannot be updated.");
                rc = -1;
            } else {
                PyObject *a = *pos < n ? py_array_wrap(st, em_array_retain(arrays[(*pos)++])) : NULL;
                if (!a && !PyErr_Occurred())
                    PyErr_SetString(PyExc_RuntimeError, "[compile] Not enough arrays to update the captured state.");
                rc = a && PyList_SetItem(tree, i, a) == 0 ? 0 : -1;
            }
        }
    }
    Py_LeaveRecursiveCall();
    return rc;
}

/* The array to put in place of leaf a: to[i] where a is from[i], else NULL. */
static em_array *swap_for(em_array *a, em_array *const *from, em_array *const *to, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (from[i] == a) return to[i];
    return NULL;
}

int py_tree_swap(em_state *st, PyObject *tree, em_array *const *from, em_array *const *to, size_t n) {
    if (!is_node(tree)) return 0;
    if (Py_EnterRecursiveCall(" while updating a tree")) return -1;
    int rc = 0;
    if (PyDict_Check(tree)) {
        PyObject *items = PyDict_Items(tree);
        for (Py_ssize_t i = 0; items && rc == 0 && i < PyList_GET_SIZE(items); i++) {
            PyObject *kv = PyList_GET_ITEM(items, i), *v = PyTuple_GET_ITEM(kv, 1);
            em_array *b = py_is_array(st, v) ? swap_for(py_array_arr(v), from, to, n) : NULL;
            if (b) {
                PyObject *w = py_array_wrap(st, em_array_retain(b));
                rc = w && PyDict_SetItem(tree, PyTuple_GET_ITEM(kv, 0), w) == 0 ? 0 : -1;
                Py_XDECREF(w);
            } else {
                rc = py_tree_swap(st, v, from, to, n);
            }
        }
        if (!items) rc = -1;
        Py_XDECREF(items);
    } else {
        for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(tree); i++) {
            PyObject *v = PySequence_Fast_GET_ITEM(tree, i);
            em_array *b = py_is_array(st, v) ? swap_for(py_array_arr(v), from, to, n) : NULL;
            if (b && PyList_Check(tree)) {
                PyObject *w = py_array_wrap(st, em_array_retain(b));
                rc = w && PyList_SetItem(tree, i, w) == 0 ? 0 : -1;
            } else if (!b) {
                rc = py_tree_swap(st, v, from, to, n);
            }
        }
    }
    Py_LeaveRecursiveCall();
    return rc;
}
