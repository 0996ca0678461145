/* vmap.c -- mx.vmap: MLX's vectorising map over trees (lists, tuples, dicts)
 * of arrays (trees.c), on the C API's em_vmap_apply.
 *
 * vmap(fun, in_axes=0, out_axes=0) returns a function that flattens its
 * arguments into arrays, pairs each with an axis from in_axes (a prefix of
 * the arguments' tree: an int or None there applies to everything below),
 * runs fun batched, then places each output's batch axis as out_axes (a
 * prefix of fun's result) says. Messages and exception types are MLX's.
 * Departure: a top-level None for in_axes or out_axes is accepted (MLX's
 * binding refuses it with a TypeError); an output with axis None that does not
 * depend on the batch is returned as it is (MLX inserts the batch in front of
 * its last axis). */
#include "pyember.h"

/* ---------------------------------------------------------------- axes */

typedef struct {
    int *items;
    Py_ssize_t n, cap;
    bool tuple_leaf;  /* an axis was given as a 1-tuple */
} axis_vec;

static int axis_push(axis_vec *v, int a) {
    if (v->n == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 8;
        int *p = PyMem_Realloc(v->items, (size_t)cap * sizeof *p);
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

static int not_prefix(void) {
    PyErr_SetString(PyExc_ValueError, "[tree_map] Additional input tree is not a valid prefix of the first tree.");
    return -1;
}

static int bad_axis_type(void) {
    PyErr_SetString(PyExc_ValueError, "[vmap] axis must be int or None.");
    return -1;
}

/* One leaf: the axis `a` gives the array x (an output's axis may also be
 * its rank: the batch placed last). */
static int leaf_axis(PyObject *x_obj, PyObject *a, bool output, axis_vec *v) {
    if (PyTuple_Check(a)) {
        if (PyTuple_GET_SIZE(a) != 1) return bad_axis_type();
        a = PyTuple_GET_ITEM(a, 0);
        if (!PyLong_Check(a) && a != Py_None) return bad_axis_type();
        v->tuple_leaf = true;
    }
    if (a == Py_None) return axis_push(v, EM_VMAP_NONE);
    if (!PyLong_Check(a)) return bad_axis_type();
    em_array *x = py_array_arr(x_obj);
    int nd = em_array_ndim(x) + output;
    int overflow = 0;
    long long ax = PyLong_AsLongLongAndOverflow(a, &overflow);
    if (ax == -1 && PyErr_Occurred()) return -1;
    if (!overflow && ax < 0) ax += nd;
    if (overflow || ax < 0 || ax >= nd) {
        char s[1024];
        size_t k = 0;
        const int64_t *sh = em_array_shape(x);
        k += (size_t)snprintf(s, sizeof s, "(");
        for (int i = 0; i < em_array_ndim(x) && k < sizeof s - 24; i++)
            k += (size_t)snprintf(s + k, sizeof s - k, i ? ",%lld" : "%lld", (long long)sh[i]);
        snprintf(s + k, sizeof s - k, ")");
        if (overflow)
            PyErr_Format(PyExc_IndexError, "[vmap] Invalid%svectorization axis %S for array with shape %s",
                         output ? " output " : " ", a, s);
        else
            PyErr_Format(PyExc_IndexError, "[vmap] Invalid%svectorization axis %lld for array with shape %s",
                         output ? " output " : " ", ax, s);
        return -1;
    }
    return axis_push(v, (int)ax);
}

/* MLX's tree_visit over (tree, axes): axes is a prefix of tree. */
static int visit(em_state *st, PyObject *t, PyObject *a, bool output, axis_vec *v) {
    bool list = PyList_Check(t), tuple = PyTuple_Check(t), dict = PyDict_Check(t);
    if (!list && !tuple && !dict) return leaf_axis(t, a, output, v);
    if (Py_EnterRecursiveCall(" in vmap")) return -1;
    int rc = 0;
    if (dict) {
        if (PyList_Check(a) || PyTuple_Check(a) || (PyDict_Check(a) && PyDict_GET_SIZE(a) != PyDict_GET_SIZE(t)))
            rc = not_prefix();
        Py_ssize_t pos = 0;
        PyObject *k, *val;
        while (rc == 0 && PyDict_Next(t, &pos, &k, &val)) {
            PyObject *sub = a;
            if (PyDict_Check(a)) {
                sub = PyDict_GetItemWithError(a, k);
                if (!sub) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError,
                                        "[tree_visit] Tree is not a valid prefix tree of the first tree.");
                    rc = -1;
                    break;
                }
            }
            rc = visit(st, val, sub, output, v);
        }
    } else {
        Py_ssize_t n = list ? PyList_GET_SIZE(t) : PyTuple_GET_SIZE(t);
        bool same = list ? PyList_Check(a) : PyTuple_Check(a);
        bool other = list ? (PyTuple_Check(a) || PyDict_Check(a)) : (PyList_Check(a) || PyDict_Check(a));
        if (other || (same && PySequence_Fast_GET_SIZE(a) != n)) rc = not_prefix();
        for (Py_ssize_t i = 0; rc == 0 && i < n; i++)
            rc = visit(st, PySequence_Fast_GET_ITEM(t, i), same ? PySequence_Fast_GET_ITEM(a, i) : a,
                       output, v);
    }
    Py_LeaveRecursiveCall();
    return rc;
}

/* The flat axes of tree's arrays under `axes` (MLX's axes_to_flat_tree). */
static int flat_axes(em_state *st, PyObject *tree, PyObject *axes, bool output, axis_vec *v) {
    if (visit(st, tree, axes, output, v) < 0) return -1;
    if (v->tuple_leaf && !py_is_array(st, tree)) return bad_axis_type();
    return 0;
}

/* ---------------------------------------------------------------- the call */

typedef struct {
    em_state *st;
    PyObject *fun, *args;
    PyObject *outputs;  /* fun's result (new reference), once called */
} call_ctx;

/* The traced call: fun on the arguments with their arrays replaced by the
 * engine's placeholders; its result's arrays go to `out`. A Python
 * exception stays set (the caller re-raises it). */
static em_status call_fun(void *p, em_array *const *in, size_t n, em_array_list *out) {
    call_ctx *c = p;
    size_t pos = 0;
    PyObject *args = py_tree_fill(c->st, c->args, in, n, &pos);
    PyObject *r = args ? PyObject_Call(c->fun, args, NULL) : NULL;
    Py_XDECREF(args);
    int rc = r ? py_tree_flatten(c->st, r, out, true) : -1;
    Py_XSETREF(c->outputs, r);
    if (rc == 0) return EM_OK;
    em_error_clear();
    return EM_ERR_RUNTIME;
}

/* Out array i: its batch axis `from` (-1: none) placed at `to`. */
static em_array *place(em_array *v, int from, int to, int64_t size) {
    if (from == to) return em_array_retain(v);
    if (from >= 0 && to == EM_VMAP_NONE) {
        PyErr_Format(PyExc_ValueError, "[vmap] Axis -1 invalid for output with %d dimensions.",
                     em_array_ndim(v));
        return NULL;
    }
    if (from >= 0) return em_moveaxis(v, from, to);
    int nd = em_array_ndim(v);
    int64_t shape[EM_MAX_NDIM];
    if (nd >= EM_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "[vmap] Arrays may have at most %d dimensions, got %d.",
                     EM_MAX_NDIM, nd + 1);
        return NULL;
    }
    for (int i = 0, k = 0; i <= nd; i++) shape[i] = i == to ? size : em_array_shape(v)[k++];
    em_array *e = em_expand_dims(v, &to, 1);
    em_array *b = e ? em_broadcast_to(e, shape, nd + 1) : NULL;
    em_array_release(e);
    return b;
}

static PyObject *vmapped_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    /* self: (module, fun, in_axes, out_axes) */
    em_state *st = state_of_module(PyTuple_GET_ITEM(self, 0));
    PyObject *fun = PyTuple_GET_ITEM(self, 1), *in_axes = PyTuple_GET_ITEM(self, 2);
    PyObject *out_axes = PyTuple_GET_ITEM(self, 3);
    if (kwargs && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "[vmap] Keyword arguments are not supported.");
        return NULL;
    }
    axis_vec iax = {0}, oax = {0};
    call_ctx ctx = {st, fun, args, NULL};
    em_array_list *inputs = em_array_list_new(), *outs = em_array_list_new();
    em_closure *f = em_closure_new(call_fun, &ctx, NULL);
    int *got = NULL;
    em_array **placed = NULL;
    size_t m = 0;
    PyObject *result = NULL;
    if (!inputs || !outs || !f) {
        py_raise_ember();
        goto done;
    }
    if (py_tree_flatten(st, args, inputs, true) < 0) goto done;
    PyObject *tree = PyTuple_GET_SIZE(args) == 1 ? PyTuple_GET_ITEM(args, 0) : args;
    if (flat_axes(st, tree, in_axes, false, &iax) < 0) goto done;
    em_array *const *in = em_array_list_data(inputs);
    size_t n = em_array_list_size(inputs);
    if (em_vmap_apply(f, in, n, iax.items, outs, &got) != EM_OK) {
        if (PyErr_Occurred()) em_error_clear();
        else py_raise_ember();
        goto done;
    }
    m = em_array_list_size(outs);
    /* out_axes are checked against fun's (unbatched) outputs, as MLX */
    if (flat_axes(st, ctx.outputs, out_axes, true, &oax) < 0) goto done;
    int64_t size = 0;
    for (size_t i = 0; i < n; i++)
        if (iax.items[i] >= 0) {
            size = em_array_shape(in[i])[iax.items[i]];
            break;
        }
    placed = PyMem_Calloc(m ? m : 1, sizeof *placed);
    if (!placed) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        placed[i] = place(em_array_list_get(outs, i), got[i], oax.items[i], size);
        if (!placed[i]) {
            if (!PyErr_Occurred()) py_raise_ember();
            goto done;
        }
    }
    size_t pos = 0;
    result = py_tree_fill(st, ctx.outputs, placed, m, &pos);
done:
    for (size_t i = 0; placed && i < m; i++) em_array_release(placed[i]);
    PyMem_Free(placed);
    em_free(got);
    em_array_list_free(outs);
    em_array_list_free(inputs);
    em_closure_release(f);
    Py_XDECREF(ctx.outputs);
    PyMem_Free(iax.items);
    PyMem_Free(oax.items);
    return result;
}

static PyMethodDef vmapped_def = {
    "vmapped", (PyCFunction)(void (*)(void))vmapped_call, METH_VARARGS | METH_KEYWORDS,
    "The vectorised function returned by vmap."};

PY_ARGSPEC(vmap_spec, "vmap", 0, 3, 1, false, "fun", "in_axes", "out_axes");

static PyObject *f_vmap(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    em_state *st = state_of_module(m);
    PyObject *a[3];
    if (py_parse(st, &vmap_spec, args, nargs, kwnames, a) < 0) return NULL;
    if (!PyCallable_Check(a[0])) {
        PyErr_Format(PyExc_TypeError, "vmap(): fun must be callable, not %.100s.", Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    PyObject *zero = PyLong_FromLong(0);
    if (!zero) return NULL;
    PyObject *self = PyTuple_Pack(4, m, a[0], a[1] ? a[1] : zero, a[2] ? a[2] : zero);
    Py_DECREF(zero);
    if (!self) return NULL;
    PyObject *r = PyCFunction_NewEx(&vmapped_def, self, NULL);
    Py_DECREF(self);
    return r;
}

PyMethodDef py_vmap_methods[] = {
    {"vmap", (PyCFunction)(void (*)(void))f_vmap, METH_FASTCALL | METH_KEYWORDS,
     "vmap(fun, in_axes=0, out_axes=0)\n--\n\n"
     "Returns a vectorized version of ``fun``.\n\n"
     "Args:\n"
     "    fun (Callable): A function which takes a variable number of\n"
     "      :class:`array` or a tree of :class:`array` and returns\n"
     "      a variable number of :class:`array` or a tree of :class:`array`.\n"
     "    in_axes (int, optional): An integer or a valid prefix tree of the\n"
     "      inputs to ``fun`` where each node specifies the vmapped axis. If\n"
     "      the value is ``None`` then the corresponding input(s) are not vmapped.\n"
     "      Defaults to ``0``.\n"
     "    out_axes (int, optional): An integer or a valid prefix tree of the\n"
     "      outputs of ``fun`` where each node specifies the vmapped axis. If\n"
     "      the value is ``None`` then the corresponding outputs(s) are not vmapped.\n"
     "      Defaults to ``0``.\n\n"
     "Returns:\n"
     "    Callable: The vectorized function."},
    {NULL, NULL, 0, NULL},
};
