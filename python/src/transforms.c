/* transforms.c -- ember.core's function transformations with MLX's signatures:
 * grad, value_and_grad, vjp, jvp, stop_gradient, checkpoint, custom_function,
 * compile, enable_compile/disable_compile. Python functions and trees of
 * arrays are bridged here to the closures of ember.h; the transformations
 * themselves are the C library's.
 *
 * A Python exception raised inside a transformed function travels through
 * the C engine as an EM_ERR_RUNTIME error and comes out as itself. */
#include <stdlib.h>

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

static const char PY_RAISED[] = "[transforms] A Python exception was raised by the function.";

/* After a failed C call: the Python exception if a function raised one,
 * else the ember error. Returns NULL. */
static PyObject *fail(void) {
    if (PyErr_Occurred()) {
        em_error_clear();
        return NULL;
    }
    return py_raise_ember();
}

/* nanobind's wording for arguments of the wrong types (a TypeError). */
static PyObject *incompatible(const char *fname, const char *signature, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kwnames) {
    PyObject *types = PyUnicode_FromString("");
    for (Py_ssize_t i = 0; types && i < nargs; i++) {
        PyObject *t = PyUnicode_FromFormat("%U%s%s", types, i ? ", " : "", Py_TYPE(args[i])->tp_name);
        Py_SETREF(types, t);
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t j = 0; types && j < nkw; j++) {
        PyObject *t = PyUnicode_FromFormat("%U%s%U: %s%s", types,
                                           j == 0 ? (nargs ? ", kwargs = { " : "kwargs = { ") : ", ",
                                           PyTuple_GET_ITEM(kwnames, j),
                                           Py_TYPE(args[nargs + j])->tp_name, j == nkw - 1 ? " }" : "");
        Py_SETREF(types, t);
    }
    if (types)
        PyErr_Format(PyExc_TypeError,
                     "%s(): incompatible function arguments. The following argument types are "
                     "supported:\n    1. %s\n\nInvoked with types: %U", fname, signature, types);
    Py_XDECREF(types);
    return NULL;
}

/* ---------------------------------------------------------------- Python functions as closures */

typedef enum {
    OUT_ARRAYS, /* vjp, jvp: an array or a list/tuple of arrays */
    OUT_VALUE,  /* value_and_grad: a scalar array or a tuple starting with one */
    OUT_SCALAR, /* grad: a scalar array */
    OUT_TREE    /* checkpoint, custom_function, compile: any tree */
} out_mode;

/* A Python function called with (args, kwargs) in which some array leaves are
 * replaced by the closure's inputs: those of args[argnums[0]], ... then of
 * kwargs[argnames[0]], ...; or (all) every array leaf of (args, kwargs). */
typedef struct pyfn {
    em_state *st;
    PyObject *fun;
    PyObject *args;      /* tuple (a skeleton in `all` mode) */
    PyObject *kwargs;    /* dict */
    Py_ssize_t *argnums; /* owned */
    Py_ssize_t nargnums;
    PyObject *argnames;  /* tuple of str, or NULL */
    bool all, skeleton_result;
    out_mode mode;
    const char *tag;
    PyObject *result;    /* the last result (its skeleton when skeleton_result) */
    /* compile's captured state: the inputs past n_arg_leaves are put in place
     * of cap_in's arrays during the call; cap_out's arrays after it are
     * appended to the outputs, past the result's n_result_leaves */
    PyObject *cap_in, *cap_out;
    size_t n_arg_leaves, n_result_leaves;
} pyfn;

static void pyfn_free(void *ctx) {
    pyfn *p = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF(p->fun);
    Py_XDECREF(p->args);
    Py_XDECREF(p->kwargs);
    Py_XDECREF(p->argnames);
    Py_XDECREF(p->result);
    Py_XDECREF(p->cap_in);
    Py_XDECREF(p->cap_out);
    PyGILState_Release(g);
    free(p->argnums);
    free(p);
}

static pyfn *pyfn_new(em_state *st, PyObject *fun, PyObject *args, PyObject *kwargs, out_mode mode,
                      const char *tag) {
    pyfn *p = calloc(1, sizeof *p);
    if (!p) return (pyfn *)PyErr_NoMemory();
    p->st = st;
    p->fun = Py_NewRef(fun);
    p->args = Py_NewRef(args);
    p->kwargs = kwargs ? Py_NewRef(kwargs) : PyDict_New();
    p->mode = mode;
    p->tag = tag;
    if (!p->kwargs) {
        pyfn_free(p);
        return NULL;
    }
    return p;
}

/* A pyfn over every array leaf of (args, kwargs), which it keeps as a
 * skeleton (so a cache holding it holds no array). */
static pyfn *pyfn_all(em_state *st, PyObject *fun, PyObject *args, PyObject *kwargs, out_mode mode,
                      const char *tag) {
    PyObject *sa = py_tree_skeleton(st, args);
    PyObject *sk = sa ? py_tree_skeleton(st, kwargs ? kwargs : Py_None) : NULL;
    pyfn *p = sk ? pyfn_new(st, fun, sa, sk == Py_None ? NULL : sk, mode, tag) : NULL;
    if (p) {
        p->all = true;
        p->skeleton_result = true;
    }
    Py_XDECREF(sa);
    Py_XDECREF(sk);
    return p;
}

/* Pushes what the function returned, checked as `mode` wants. */
static int push_result(pyfn *p, PyObject *res, em_array_list *out) {
    em_state *st = p->st;
    switch (p->mode) {
    case OUT_ARRAYS:
        if (py_is_array(st, res)) return py_check(em_array_list_push(out, py_array_arr(res)));
        if (PyList_Check(res) || PyTuple_Check(res)) {
            for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(res); i++) {
                PyObject *o = PySequence_Fast_GET_ITEM(res, i);
                if (!py_is_array(st, o)) goto bad_arrays;
                if (py_check(em_array_list_push(out, py_array_arr(o))) < 0) return -1;
            }
            return 0;
        }
    bad_arrays:
        PyErr_Format(PyExc_RuntimeError,
                     "[%s] The function must return an array or a list or tuple of arrays, but it "
                     "returned %s.", p->tag, Py_TYPE(res)->tp_name);
        return -1;
    case OUT_SCALAR:
        if (py_is_array(st, res)) return py_check(em_array_list_push(out, py_array_arr(res)));
        PyErr_Format(PyExc_ValueError,
                     "[%s] The return value of the function whose gradient we want to compute "
                     "should be a scalar array; but %s was returned.", p->tag, Py_TYPE(res)->tp_name);
        return -1;
    case OUT_VALUE:
        if (py_is_array(st, res)) return py_check(em_array_list_push(out, py_array_arr(res)));
        if (!PyTuple_Check(res)) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] The return value of the function whose gradient we want to compute "
                         "should be either a scalar array or a tuple with the first value being a "
                         "scalar array (Union[array, tuple[array, Any, ...]]); but %s was returned.",
                         p->tag, Py_TYPE(res)->tp_name);
            return -1;
        }
        if (PyTuple_GET_SIZE(res) == 0) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] The return value of the function whose gradient we want to compute "
                         "should be either a scalar array or a non-empty tuple. The first value "
                         "should be a scalar array and the rest can be anything. Instead, we got an "
                         "empty tuple.", p->tag);
            return -1;
        }
        if (!py_is_array(st, PyTuple_GET_ITEM(res, 0))) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] The return value of the function whose gradient we want to compute "
                         "should be either a scalar array or a tuple with the first value being a "
                         "scalar array (Union[array, tuple[array, Any, ...]]); but it was a tuple "
                         "with the first value being of type %s .",
                         p->tag, Py_TYPE(PyTuple_GET_ITEM(res, 0))->tp_name);
            return -1;
        }
        return py_tree_flatten(st, res, out, false);
    case OUT_TREE: return py_tree_flatten(st, res, out, false);
    }
    return 0;
}

/* The arguments of a call with the inputs in place. */
static int fill_args(pyfn *p, em_array *const *in, size_t n, PyObject **a, PyObject **k) {
    em_state *st = p->st;
    size_t pos = 0;
    *a = *k = NULL;
    if (p->all) {
        *a = py_tree_fill(st, p->args, in, n, &pos);
        *k = *a ? py_tree_fill(st, p->kwargs, in, n, &pos) : NULL;
        return *k ? 0 : -1;
    }
    PyObject *list = PySequence_List(p->args);
    *k = list ? PyDict_Copy(p->kwargs) : NULL;
    for (Py_ssize_t i = 0; *k && i < p->nargnums; i++) {
        PyObject *v = py_tree_fill(st, PyList_GET_ITEM(list, p->argnums[i]), in, n, &pos);
        if (!v) Py_CLEAR(*k);
        else PyList_SetItem(list, p->argnums[i], v);
    }
    for (Py_ssize_t i = 0; *k && p->argnames && i < PyTuple_GET_SIZE(p->argnames); i++) {
        PyObject *name = PyTuple_GET_ITEM(p->argnames, i);
        PyObject *v = py_tree_fill(st, PyDict_GetItem(p->kwargs, name), in, n, &pos);
        if (!v || PyDict_SetItem(*k, name, v) < 0) Py_CLEAR(*k);
        Py_XDECREF(v);
    }
    *a = *k ? PyList_AsTuple(list) : NULL;
    Py_XDECREF(list);
    if (!*a) Py_CLEAR(*k);
    return *a ? 0 : -1;
}

/* Calls the function with the captured inputs' arrays replaced by in[...]
 * (n of them), and their originals put back afterwards. */
static PyObject *call_with_state(pyfn *p, PyObject *a, PyObject *k, em_array *const *in, size_t n) {
    em_state *st = p->st;
    em_array_list *orig = em_array_list_new();
    if (!orig) return py_raise_ember();
    size_t pos = 0;
    PyObject *res = NULL;
    if (py_tree_flatten(st, p->cap_in, orig, false) == 0 && py_tree_replace(st, p->cap_in, in, n, &pos) == 0)
        res = PyObject_Call(p->fun, a, k);
    /* the originals go back where the function left the placeholders (what it
     * replaced stays, to be returned as captured outputs) */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    size_t cnt = n < em_array_list_size(orig) ? n : em_array_list_size(orig);
    if (py_tree_swap(st, p->cap_in, in, em_array_list_data(orig), cnt) < 0) PyErr_Clear();
    PyErr_Restore(type, value, tb);
    em_array_list_free(orig);
    return res;
}

static em_status pyfn_call(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    pyfn *p = ctx;
    PyObject *a, *k, *res = NULL;
    if (fill_args(p, in, n, &a, &k) == 0) {
        res = p->cap_in ? call_with_state(p, a, k, in + p->n_arg_leaves, n - p->n_arg_leaves)
                        : PyObject_Call(p->fun, a, k);
        Py_DECREF(a);
        Py_DECREF(k);
    }
    if (res && push_result(p, res, out) < 0) Py_CLEAR(res);
    if (res && p->cap_out) {
        p->n_result_leaves = em_array_list_size(out);
        if (py_tree_flatten(p->st, p->cap_out, out, false) < 0) Py_CLEAR(res);
    }
    if (res) {
        Py_XSETREF(p->result, p->skeleton_result ? py_tree_skeleton(p->st, res) : Py_NewRef(res));
        Py_DECREF(res);
        if (p->result) return EM_OK;
    }
    Py_XDECREF(res);
    if (!PyErr_Occurred()) return py_raise_ember(), em_error_code();
    em_error_set(EM_ERR_RUNTIME, PY_RAISED);
    return EM_ERR_RUNTIME;
}

/* The closure of p, which it owns (NULL with an exception). */
static em_closure *pyfn_closure(pyfn *p) {
    if (!p) return NULL;
    em_closure *c = em_closure_new(pyfn_call, p, pyfn_free);
    if (!c) {
        pyfn_free(p);
        py_raise_ember();
    }
    return c;
}

/* Calls closure c on the array leaves of (args, kwargs) (and of p's captured
 * inputs) and fills the structure of p's result with what comes back (and
 * p's captured outputs with the rest). */
static PyObject *call_tree(em_state *st, em_closure *c, pyfn *p, PyObject *args, PyObject *kwargs) {
    em_array_list *in = em_array_list_new(), *out = em_array_list_new();
    PyObject *r = NULL;
    if (!in || !out) {
        py_raise_ember();
    } else if (py_tree_flatten(st, args, in, false) == 0 &&
               (!kwargs || py_tree_flatten(st, kwargs, in, false) == 0) &&
               (p->n_arg_leaves = em_array_list_size(in), !p->cap_in ||
                py_tree_flatten(st, p->cap_in, in, false) == 0)) {
        if (em_closure_call(c, em_array_list_data(in), em_array_list_size(in), out) != EM_OK) {
            fail();
        } else {
            size_t pos = 0, n = em_array_list_size(out);
            size_t nr = p->cap_out ? p->n_result_leaves : n;
            r = py_tree_fill(st, p->result, em_array_list_data(out), nr, &pos);
            if (r && p->cap_out && py_tree_replace(st, p->cap_out, em_array_list_data(out) + nr, n - nr,
                                                   &(size_t){0}) < 0)
                Py_CLEAR(r);
        }
    }
    em_array_list_free(in);
    em_array_list_free(out);
    return r;
}

/* ---------------------------------------------------------------- the transformed-function type */

typedef enum { T_GRAD, T_VALUE_AND_GRAD, T_CHECKPOINT, T_COMPILE } tkind;

typedef struct {
    PyObject_HEAD
    tkind kind;
    PyObject *fun;
    Py_ssize_t *argnums; /* sorted, distinct */
    Py_ssize_t nargnums;
    PyObject *argnames;  /* tuple of distinct str */
    bool shapeless;
    PyObject *inputs, *outputs; /* compile's captured state (or NULL) */
    PyObject *cache;     /* compile: key -> capsule of a compiled entry */
} TransformedObject;

static const char *tag_of(const TransformedObject *t) {
    return t->kind == T_VALUE_AND_GRAD ? "value_and_grad" : "grad";
}

/* ---- grad and value_and_grad ---- */

static PyObject *keys_text(PyObject *kwargs) {
    PyObject *s = PyUnicode_FromString("{");
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (s && kwargs && PyDict_Next(kwargs, &pos, &k, &v)) {
        PyObject *t = PyUnicode_FromFormat("%U%U,", s, k);
        Py_SETREF(s, t);
    }
    if (s) {
        PyObject *t = PyUnicode_FromFormat("%U}", s);
        Py_SETREF(s, t);
    }
    return s;
}

static PyObject *call_grad(TransformedObject *self, PyObject *args, PyObject *kwargs) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    const char *tag = tag_of(self);
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (self->nargnums && self->argnums[self->nargnums - 1] >= nargs)
        return PyErr_Format(PyExc_ValueError,
                            "[%s] Can't compute the gradient of argument index %zd because the "
                            "function is called with only %zd positional arguments.",
                            tag, self->argnums[self->nargnums - 1], nargs);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->argnames); i++) {
        PyObject *name = PyTuple_GET_ITEM(self->argnames, i);
        if (kwargs && PyDict_GetItem(kwargs, name)) continue;
        PyObject *keys = keys_text(kwargs);
        if (keys)
            PyErr_Format(PyExc_ValueError,
                         "[%s] Can't compute the gradient of keyword argument '%U' because the "
                         "function is called with the following keyword arguments %U", tag, name, keys);
        Py_XDECREF(keys);
        return NULL;
    }
    /* the differentiated leaves, in order */
    em_array_list *leaves = em_array_list_new(), *res = em_array_list_new();
    PyObject *result = NULL;
    em_closure *f = NULL, *vg = NULL;
    int *argnums = NULL;
    if (!leaves || !res) goto done;
    for (Py_ssize_t i = 0; i < self->nargnums; i++)
        if (py_tree_flatten(st, PyTuple_GET_ITEM(args, self->argnums[i]), leaves, true) < 0) goto done;
    /* the keyword arguments in the order of the call */
    PyObject *names = PyList_New(0);
    Py_ssize_t kp = 0;
    PyObject *key, *val;
    while (names && PyTuple_GET_SIZE(self->argnames) && kwargs && PyDict_Next(kwargs, &kp, &key, &val)) {
        int has = PySequence_Contains(self->argnames, key);
        if (has < 0 || (has && (PyList_Append(names, key) < 0 || py_tree_flatten(st, val, leaves, true) < 0)))
            Py_CLEAR(names);
    }
    PyObject *ordered = names ? PyList_AsTuple(names) : NULL;
    Py_XDECREF(names);
    if (!ordered) goto done;
    pyfn *p = pyfn_new(st, self->fun, args, kwargs, self->kind == T_GRAD ? OUT_SCALAR : OUT_VALUE, tag);
    if (p && self->nargnums) {
        p->argnums = malloc((size_t)self->nargnums * sizeof *p->argnums);
        if (!p->argnums) {
            pyfn_free(p);
            p = NULL;
            PyErr_NoMemory();
        } else {
            memcpy(p->argnums, self->argnums, (size_t)self->nargnums * sizeof *p->argnums);
            p->nargnums = self->nargnums;
        }
    }
    if (p) p->argnames = ordered;
    else Py_DECREF(ordered);
    if (!(f = pyfn_closure(p))) goto done;
    size_t L = em_array_list_size(leaves);
    em_status s;
    if (L == 0) {
        s = em_closure_call(f, NULL, 0, res); /* nothing to differentiate */
    } else {
        argnums = malloc(L * sizeof *argnums);
        if (!argnums) {
            PyErr_NoMemory();
            goto done;
        }
        for (size_t i = 0; i < L; i++) argnums[i] = (int)i;
        vg = em_value_and_grad(f, argnums, L);
        s = vg ? em_closure_call(vg, em_array_list_data(leaves), L, res) : em_error_code();
    }
    if (s != EM_OK) {
        fail();
        goto done;
    }
    /* the gradients, in the shapes of the arguments */
    em_array *const *g = em_array_list_data(res) + (em_array_list_size(res) - L);
    size_t pos = 0;
    PyObject *pos_grads = NULL, *kw_grads = NULL;
    if (self->nargnums == 1) {
        pos_grads = py_tree_fill(st, PyTuple_GET_ITEM(args, self->argnums[0]), g, L, &pos);
    } else if (self->nargnums > 1) {
        pos_grads = PyTuple_New(self->nargnums);
        for (Py_ssize_t i = 0; pos_grads && i < self->nargnums; i++) {
            PyObject *t = py_tree_fill(st, PyTuple_GET_ITEM(args, self->argnums[i]), g, L, &pos);
            if (!t) Py_CLEAR(pos_grads);
            else PyTuple_SET_ITEM(pos_grads, i, t);
        }
    } else {
        pos_grads = Py_NewRef(Py_None);
    }
    PyObject *grads = pos_grads;
    if (pos_grads && PyTuple_GET_SIZE(p->argnames)) {
        kw_grads = PyDict_New();
        for (Py_ssize_t i = 0; kw_grads && i < PyTuple_GET_SIZE(p->argnames); i++) {
            PyObject *name = PyTuple_GET_ITEM(p->argnames, i);
            PyObject *t = py_tree_fill(st, PyDict_GetItem(kwargs, name), g, L, &pos);
            if (!t || PyDict_SetItem(kw_grads, name, t) < 0) Py_CLEAR(kw_grads);
            Py_XDECREF(t);
        }
        grads = kw_grads ? PyTuple_Pack(2, pos_grads, kw_grads) : NULL;
        Py_DECREF(pos_grads);
        Py_XDECREF(kw_grads);
    }
    if (grads && self->kind == T_VALUE_AND_GRAD) {
        result = PyTuple_Pack(2, p->result, grads);
        Py_DECREF(grads);
    } else {
        result = grads;
    }
done:
    free(argnums);
    em_closure_release(vg);
    em_closure_release(f);
    em_array_list_free(leaves);
    em_array_list_free(res);
    return result;
}

/* ---- checkpoint ---- */

static PyObject *call_checkpoint(TransformedObject *self, PyObject *args, PyObject *kwargs) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    pyfn *p = pyfn_all(st, self->fun, args, kwargs, OUT_TREE, "checkpoint");
    em_closure *f = pyfn_closure(p), *c = f ? em_checkpoint(f) : NULL;
    PyObject *r = NULL;
    if (f && !c) py_raise_ember();
    if (c) r = call_tree(st, c, p, args, kwargs);
    em_closure_release(c);
    em_closure_release(f);
    return r;
}

/* ---- compile ---- */

typedef struct compiled_entry {
    em_closure *compiled;
    pyfn *fn; /* owned by the closure compiled wraps */
} compiled_entry;

static void entry_free(PyObject *capsule) {
    compiled_entry *e = PyCapsule_GetPointer(capsule, "ember.compiled");
    if (!e) return;
    em_closure_release(e->compiled);
    free(e);
}

static PyObject *call_compiled(TransformedObject *self, PyObject *args, PyObject *kwargs) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    PyObject *cap_in = self->inputs && self->inputs != Py_None ? self->inputs : NULL;
    PyObject *cap_out = self->outputs && self->outputs != Py_None ? self->outputs : NULL;
    PyObject *both = PyTuple_Pack(3, args, kwargs ? kwargs : Py_None, cap_in ? cap_in : Py_None);
    PyObject *key = both ? py_tree_key(st, both, !self->shapeless) : NULL;
    Py_XDECREF(both);
    if (!key) return NULL;
    PyObject *cap = PyDict_GetItemWithError(self->cache, key);
    compiled_entry *e = NULL;
    if (cap) {
        e = PyCapsule_GetPointer(cap, "ember.compiled");
    } else if (!PyErr_Occurred()) {
        pyfn *p = pyfn_all(st, self->fun, args, kwargs, OUT_TREE, "compile");
        if (p) {
            p->cap_in = cap_in ? Py_NewRef(cap_in) : NULL;
            p->cap_out = cap_out ? Py_NewRef(cap_out) : NULL;
        }
        em_closure *f = pyfn_closure(p);
        e = f ? calloc(1, sizeof *e) : NULL;
        if (f && !e) PyErr_NoMemory();
        if (e) {
            e->fn = p;
            e->compiled = em_compile(f, self->shapeless);
            if (!e->compiled) {
                free(e);
                e = NULL;
                py_raise_ember();
            }
        }
        em_closure_release(f);
        PyObject *c = e ? PyCapsule_New(e, "ember.compiled", entry_free) : NULL;
        if (e && !c) {
            em_closure_release(e->compiled);
            free(e);
            e = NULL;
        }
        if (c && PyDict_SetItem(self->cache, key, c) < 0) e = NULL;
        Py_XDECREF(c);
    }
    Py_DECREF(key);
    return e ? call_tree(st, e->compiled, e->fn, args, kwargs) : NULL;
}

/* ---- the type ---- */

static PyObject *transformed_call(PyObject *o, PyObject *args, PyObject *kwargs) {
    TransformedObject *self = (TransformedObject *)o;
    switch (self->kind) {
    case T_CHECKPOINT: return call_checkpoint(self, args, kwargs);
    case T_COMPILE:
        if (!em_compile_enabled()) return PyObject_Call(self->fun, args, kwargs);
        return call_compiled(self, args, kwargs);
    default: return call_grad(self, args, kwargs);
    }
}

static int transformed_traverse(PyObject *o, visitproc visit, void *arg) {
    TransformedObject *self = (TransformedObject *)o;
    Py_VISIT(Py_TYPE(o));
    Py_VISIT(self->fun);
    Py_VISIT(self->argnames);
    Py_VISIT(self->inputs);
    Py_VISIT(self->outputs);
    Py_VISIT(self->cache);
    return 0;
}

static int transformed_clear(PyObject *o) {
    TransformedObject *self = (TransformedObject *)o;
    Py_CLEAR(self->fun);
    Py_CLEAR(self->argnames);
    Py_CLEAR(self->inputs);
    Py_CLEAR(self->outputs);
    Py_CLEAR(self->cache);
    return 0;
}

static void transformed_dealloc(PyObject *o) {
    PyTypeObject *tp = Py_TYPE(o);
    PyObject_GC_UnTrack(o);
    transformed_clear(o);
    PyMem_Free(((TransformedObject *)o)->argnums);
    tp->tp_free(o);
    Py_DECREF(tp);
}

/* Binds like a function, so transformed functions work as methods. */
static PyObject *transformed_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (!obj || obj == Py_None) return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyObject *transformed_wrapped(PyObject *o, void *c) {
    return Py_NewRef(((TransformedObject *)o)->fun);
}

static PyGetSetDef transformed_getset[] = {
    {"__wrapped__", transformed_wrapped, NULL, "The function that was transformed.", NULL},
    {NULL},
};

static PyType_Slot transformed_slots[] = {
    {Py_tp_doc, "A function transformed by grad, value_and_grad, checkpoint or compile."},
    {Py_tp_call, transformed_call},
    {Py_tp_traverse, transformed_traverse},
    {Py_tp_clear, transformed_clear},
    {Py_tp_dealloc, transformed_dealloc},
    {Py_tp_descr_get, transformed_get},
    {Py_tp_getset, transformed_getset},
    {0, NULL},
};

static PyType_Spec transformed_spec = {
    "ember.core._Transformed", sizeof(TransformedObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    transformed_slots,
};

static TransformedObject *transformed_new(em_state *st, tkind kind, PyObject *fun) {
    TransformedObject *t = PyObject_GC_New(TransformedObject, st->transformed_type);
    if (!t) return NULL;
    t->kind = kind;
    t->fun = Py_NewRef(fun);
    t->argnums = NULL;
    t->nargnums = 0;
    t->argnames = PyTuple_New(0);
    t->shapeless = false;
    t->inputs = t->outputs = NULL;
    t->cache = NULL;
    PyObject_GC_Track(t);
    if (!t->argnames) Py_CLEAR(t);
    return t;
}

/* ---------------------------------------------------------------- grad, value_and_grad */

static const char GRAD_SIG[] =
    "grad(fun: Callable[P, R], argnums: int | Sequence[int] | None = None, argnames: str | "
    "Sequence[str] = []) -> Callable[P, Any]";
static const char VAG_SIG[] =
    "value_and_grad(fun: Callable[P, R], argnums: int | Sequence[int] | None = None, argnames: "
    "str | Sequence[str] = []) -> Callable[P, tuple[Any, Any]]";

static int cmp_ssize(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static PyObject *make_grad(tkind kind, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *fname = kind == T_GRAD ? "grad" : "value_and_grad";
    const char *sig = kind == T_GRAD ? GRAD_SIG : VAG_SIG;
    PY_ARGSPEC(spec, "grad", 0, 3, 1, false, "fun", "argnums", "argnames");
    py_argspec s = spec;
    s.fname = fname;
    PyObject *a[3];
    if (py_parse(st, &s, args, nargs, kwnames, a) < 0) return NULL;
    PyObject *fun = a[0], *argnums = a[1], *argnames = a[2];
    /* ints are anything with __index__ but floats (numpy integers included) */
    bool one = argnums && argnums != Py_None && !PyFloat_Check(argnums) && PyIndex_Check(argnums);
    bool nums_ok = !argnums || argnums == Py_None || one || PyList_Check(argnums) || PyTuple_Check(argnums);
    for (Py_ssize_t i = 0; nums_ok && argnums && !one && argnums != Py_None &&
                           i < PySequence_Fast_GET_SIZE(argnums); i++) {
        PyObject *v = PySequence_Fast_GET_ITEM(argnums, i);
        nums_ok = !PyFloat_Check(v) && PyIndex_Check(v);
    }
    bool names_ok = !argnames || PyUnicode_Check(argnames) || PyList_Check(argnames) ||
                    PyTuple_Check(argnames);
    for (Py_ssize_t i = 0; names_ok && argnames && !PyUnicode_Check(argnames) &&
                           i < PySequence_Fast_GET_SIZE(argnames); i++)
        names_ok = PyUnicode_Check(PySequence_Fast_GET_ITEM(argnames, i));
    if (!PyCallable_Check(fun) || !nums_ok || !names_ok)
        return incompatible(fname, sig, args, nargs, kwnames);
    /* argnames: distinct, in the order given */
    PyObject *names = PyList_New(0);
    if (!names) return NULL;
    if (argnames) {
        PyObject *seq = PyUnicode_Check(argnames) ? PyTuple_Pack(1, argnames) : Py_NewRef(argnames);
        for (Py_ssize_t i = 0; seq && i < PySequence_Fast_GET_SIZE(seq); i++) {
            PyObject *n = PySequence_Fast_GET_ITEM(seq, i);
            int has = PySequence_Contains(names, n);
            if (has < 0 || (!has && PyList_Append(names, n) < 0)) Py_CLEAR(seq);
        }
        if (!seq) {
            Py_DECREF(names);
            return NULL;
        }
        Py_DECREF(seq);
    }
    /* argnums: sorted (MLX returns the gradients in argument order) */
    Py_ssize_t count = !argnums || argnums == Py_None ? (PyList_GET_SIZE(names) ? 0 : 1)
                       : one ? 1 : PySequence_Fast_GET_SIZE(argnums);
    Py_ssize_t *nums = PyMem_Malloc((size_t)(count ? count : 1) * sizeof *nums);
    if (!nums) {
        Py_DECREF(names);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *v = !argnums || argnums == Py_None ? NULL
                      : one ? argnums : PySequence_Fast_GET_ITEM(argnums, i);
        PyObject *iv = v ? PyNumber_Index(v) : NULL;
        nums[i] = iv ? PyLong_AsSsize_t(iv) : v ? -1 : 0;
        Py_XDECREF(iv);
        if (nums[i] == -1 && PyErr_Occurred()) goto bad;
        if (nums[i] < 0) {
            PyErr_Format(PyExc_ValueError, "[%s] Can't compute the gradient of negative argument index %zd",
                         fname, nums[i]);
            goto bad;
        }
    }
    qsort(nums, (size_t)count, sizeof *nums, cmp_ssize);
    for (Py_ssize_t i = 1; i < count; i++)
        if (nums[i] == nums[i - 1]) {
            PyErr_Format(PyExc_ValueError, "[%s] Duplicate argument index %zd is not allowed.", fname, nums[i]);
            goto bad;
        }
    if (count == 0 && PyList_GET_SIZE(names) == 0) {
        PyErr_Format(PyExc_ValueError, "[%s] Gradient wrt no argument requested", fname);
        goto bad;
    }
    TransformedObject *t = transformed_new(st, kind, fun);
    if (!t) goto bad;
    t->argnums = nums;
    t->nargnums = count;
    Py_SETREF(t->argnames, PyList_AsTuple(names));
    Py_DECREF(names);
    if (!t->argnames) Py_CLEAR(t);
    return (PyObject *)t;
bad:
    PyMem_Free(nums);
    Py_DECREF(names);
    return NULL;
}

static PyObject *f_grad(FASTCALL_ARGS) { return make_grad(T_GRAD, m, args, nargs, kwnames); }
static PyObject *f_value_and_grad(FASTCALL_ARGS) {
    return make_grad(T_VALUE_AND_GRAD, m, args, nargs, kwnames);
}

/* ---------------------------------------------------------------- vjp, jvp */

static const char VJP_SIG[] =
    "vjp(fun: Callable, primals: list[array], cotangents: list[array]) -> tuple[list[array], list[array]]";
static const char JVP_SIG[] =
    "jvp(fun: Callable, primals: list[array], tangents: list[array]) -> tuple[list[array], list[array]]";

static bool array_list_arg(em_state *st, PyObject *o) {
    if (!PyList_Check(o) && !PyTuple_Check(o)) return false;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(o); i++)
        if (!py_is_array(st, PySequence_Fast_GET_ITEM(o, i))) return false;
    return true;
}

static PyObject *list_of(em_state *st, em_array_list *l) {
    PyObject *r = PyList_New((Py_ssize_t)em_array_list_size(l));
    for (size_t i = 0; r && i < em_array_list_size(l); i++) {
        PyObject *a = py_array_wrap(st, em_array_retain(em_array_list_get(l, i)));
        if (!a) Py_CLEAR(r);
        else PyList_SET_ITEM(r, (Py_ssize_t)i, a);
    }
    return r;
}

static PyObject *forward_or_reverse(bool reverse, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    const char *fname = reverse ? "vjp" : "jvp";
    PY_ARGSPEC(spec, "vjp", 0, 3, 3, false, "fun", "primals", "cotangents");
    PY_ARGSPEC(jspec, "jvp", 0, 3, 3, false, "fun", "primals", "tangents");
    PyObject *a[3];
    if (py_parse(st, reverse ? &spec : &jspec, args, nargs, kwnames, a) < 0) return NULL;
    if (!PyCallable_Check(a[0]) || !array_list_arg(st, a[1]) || !array_list_arg(st, a[2]))
        return incompatible(fname, reverse ? VJP_SIG : JVP_SIG, args, nargs, kwnames);
    PyObject *primals = PySequence_Tuple(a[1]);
    if (!primals) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(primals), k = PySequence_Fast_GET_SIZE(a[2]);
    pyfn *p = pyfn_new(st, a[0], primals, NULL, OUT_ARRAYS, fname);
    if (p && n) {
        p->argnums = malloc((size_t)n * sizeof *p->argnums);
        if (!p->argnums) {
            pyfn_free(p);
            p = NULL;
            PyErr_NoMemory();
        }
        for (Py_ssize_t i = 0; p && i < n; i++) p->argnums[i] = i;
        if (p) p->nargnums = n;
    }
    em_closure *f = pyfn_closure(p);
    em_array **x = PyMem_Malloc((size_t)(n + k + 1) * sizeof *x);
    em_array_list *outs = em_array_list_new(), *res = em_array_list_new();
    PyObject *r = NULL;
    if (f && x && outs && res) {
        for (Py_ssize_t i = 0; i < n; i++) x[i] = py_array_arr(PyTuple_GET_ITEM(primals, i));
        for (Py_ssize_t i = 0; i < k; i++) x[n + i] = py_array_arr(PySequence_Fast_GET_ITEM(a[2], i));
        em_status s = reverse ? em_vjp(f, x, (size_t)n, x + n, (size_t)k, outs, res)
                              : em_jvp(f, x, (size_t)n, x + n, (size_t)k, outs, res);
        if (s != EM_OK) fail();
        else r = Py_BuildValue("(NN)", list_of(st, outs), list_of(st, res));
    } else if (f && !PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    PyMem_Free(x);
    em_array_list_free(outs);
    em_array_list_free(res);
    em_closure_release(f);
    Py_DECREF(primals);
    return r;
}

static PyObject *f_vjp(FASTCALL_ARGS) { return forward_or_reverse(true, m, args, nargs, kwnames); }
static PyObject *f_jvp(FASTCALL_ARGS) { return forward_or_reverse(false, m, args, nargs, kwnames); }

/* ---------------------------------------------------------------- stop_gradient, checkpoint */

static PyObject *f_stop_gradient(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "stop_gradient", 1, 1, 1, true, "a");
    PyObject *a[1];
    if (nargs >= 1 && !py_is_array(st, args[0]))
        return incompatible("stop_gradient",
                            "stop_gradient(a: array, /, *, stream: StreamOrDevice = None) -> array",
                            args, nargs, kwnames);
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    return py_array_wrap(st, em_stop_gradient(py_array_arr(a[0])));
}

static PyObject *f_checkpoint(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "checkpoint", 0, 1, 1, false, "fun");
    PyObject *a[1];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (!PyCallable_Check(a[0]))
        return incompatible("checkpoint", "checkpoint(fun: Callable) -> Callable", args, nargs, kwnames);
    return (PyObject *)transformed_new(st, T_CHECKPOINT, a[0]);
}

/* ---------------------------------------------------------------- compile */

static PyObject *f_compile(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "compile", 0, 4, 1, false, "fun", "inputs", "outputs", "shapeless");
    PyObject *a[4];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (!PyCallable_Check(a[0]) || (a[3] && !PyBool_Check(a[3])))
        return incompatible("compile",
                            "compile(fun: Callable[P, R], inputs: object | None = None, outputs: "
                            "object | None = None, shapeless: bool = False) -> Callable[P, R]",
                            args, nargs, kwnames);
    TransformedObject *t = transformed_new(st, T_COMPILE, a[0]);
    if (!t) return NULL;
    t->shapeless = a[3] == Py_True;
    t->inputs = a[1] ? Py_NewRef(a[1]) : NULL;
    t->outputs = a[2] ? Py_NewRef(a[2]) : NULL;
    if (!(t->cache = PyDict_New())) Py_CLEAR(t);
    return (PyObject *)t;
}

static PyObject *f_enable_compile(PyObject *m, PyObject *u) {
    em_enable_compile();
    Py_RETURN_NONE;
}

static PyObject *f_disable_compile(PyObject *m, PyObject *u) {
    em_disable_compile();
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- custom_function */

typedef struct {
    PyObject_HEAD
    PyObject *fun, *vjp, *jvp, *vmap;
    PyObject *weakrefs;
} CustomObject;

typedef enum { RULE_VJP, RULE_JVP, RULE_VMAP } rule_kind;

/* A user rule as a closure (conventions: em_custom_function in ember.h). */
typedef struct rulefn {
    em_state *st;
    rule_kind kind;
    PyObject *rule;
    PyObject *in_skel;  /* skeleton of (args, kwargs) */
    PyObject *out_skel; /* skeleton of the function's result, set after the call */
    size_t n_in, n_out; /* the function's input and output arrays */
} rulefn;

static void rulefn_free(void *ctx) {
    rulefn *r = ctx;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF(r->rule);
    Py_XDECREF(r->in_skel);
    Py_XDECREF(r->out_skel);
    PyGILState_Release(g);
    free(r);
}

static const char *const rule_tags[] = {"custom vjp", "custom jvp", "custom vmap"};

/* The positional arguments filled with `in`: the single one, or the tuple. */
static PyObject *primal_args(rulefn *r, em_array *const *in) {
    size_t pos = 0;
    PyObject *both = py_tree_fill(r->st, r->in_skel, in, r->n_in, &pos);
    if (!both) return NULL;
    PyObject *a = PyTuple_GET_ITEM(both, 0), *k = PyTuple_GET_ITEM(both, 1), *res = NULL;
    if (PyDict_Check(k) && PyDict_GET_SIZE(k) > 0)
        PyErr_Format(PyExc_ValueError, "[%s] Function should only accept positional arguments",
                     rule_tags[r->kind]);
    else
        res = PyTuple_GET_SIZE(a) == 1 ? Py_NewRef(PyTuple_GET_ITEM(a, 0)) : Py_NewRef(a);
    Py_DECREF(both);
    return res;
}

/* Pushes the first `count` arrays of tree (MLX ignores any extra). */
static int push_first(em_state *st, PyObject *tree, size_t count, em_array_list *out, const char *tag) {
    em_array_list *l = em_array_list_new();
    if (!l) return py_raise_ember(), -1;
    int rc = py_tree_flatten(st, tree, l, false);
    if (rc == 0 && em_array_list_size(l) < count) {
        PyErr_Format(PyExc_ValueError, "[%s] The function returned %zu arrays but %zu were expected.",
                     tag, em_array_list_size(l), count);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) rc = py_check(em_array_list_push(out, em_array_list_get(l, i)));
    em_array_list_free(l);
    return rc;
}

static PyObject *axes_tree(em_state *st, PyObject *tree, PyObject *const *axes, size_t n) {
    size_t pos = 0;
    return py_tree_fill_objects(st, tree, axes, n, &pos);
}

static em_status rulefn_call(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    rulefn *r = ctx;
    em_state *st = r->st;
    size_t np = r->n_in, m = r->n_out;
    (void)n;
    PyObject *res = NULL, *a = primal_args(r, in);
    int rc = a ? 0 : -1;
    if (rc == 0 && r->kind == RULE_VJP) {
        size_t pos = 0, pos2 = 0;
        PyObject *c = py_tree_fill(st, r->out_skel, in + np, m, &pos);
        PyObject *o = c ? py_tree_fill(st, r->out_skel, in + np + m, m, &pos2) : NULL;
        res = o ? PyObject_CallFunctionObjArgs(r->rule, a, c, o, NULL) : NULL;
        Py_XDECREF(c);
        Py_XDECREF(o);
        rc = res ? push_first(st, res, np, out, "custom vjp") : -1;
    } else if (rc == 0 && r->kind == RULE_JVP) {
        PyObject *t = primal_args(r, in + np);
        res = t ? PyObject_CallFunctionObjArgs(r->rule, a, t, NULL) : NULL;
        Py_XDECREF(t);
        rc = res ? push_first(st, res, r->n_out, out, "custom jvp") : -1;
    } else if (rc == 0) {
        /* vmap: axes come as 0-d int32 arrays, -1 meaning None */
        PyObject **objs = PyMem_Malloc((np ? np : 1) * sizeof *objs);
        rc = objs ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < np; i++) {
            int64_t v = -1;
            rc = py_check(em_array_item_int(in[np + i], &v));
            objs[i] = rc == 0 ? (v < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(v)) : NULL;
            if (rc == 0 && !objs[i]) rc = -1;
        }
        PyObject *both = rc == 0 ? axes_tree(st, r->in_skel, objs, np) : NULL;
        for (size_t i = 0; objs && i < np; i++) Py_XDECREF(objs[i]);
        PyMem_Free(objs);
        if (both) {
            PyObject *aa = PyTuple_GET_ITEM(both, 0);
            PyObject *ax = PyTuple_GET_SIZE(aa) == 1 ? PyTuple_GET_ITEM(aa, 0) : aa;
            res = PyObject_CallFunctionObjArgs(r->rule, a, ax, NULL);
            Py_DECREF(both);
        }
        rc = res ? 0 : -1;
        if (rc == 0 && (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2)) {
            PyErr_SetString(PyExc_ValueError, "[custom vmap] Vmap function should return a tuple with 2 items.");
            rc = -1;
        }
        if (rc == 0) rc = py_tree_flatten(st, PyTuple_GET_ITEM(res, 0), out, false);
        size_t outs = em_array_list_size(out);
        PyObject *oa = rc == 0 ? PyTuple_GET_ITEM(res, 1) : NULL;
        for (size_t i = 0; rc == 0 && i < outs; i++) {
            PyObject *v = PyLong_Check(oa) || oa == Py_None ? oa
                          : (PyList_Check(oa) || PyTuple_Check(oa)) && (size_t)PySequence_Fast_GET_SIZE(oa) == outs
                              ? PySequence_Fast_GET_ITEM(oa, i) : NULL;
            if (!v || (v != Py_None && !PyLong_Check(v))) {
                PyErr_SetString(PyExc_ValueError, "[custom vmap] The output axes must be ints or None, one per output.");
                rc = -1;
                break;
            }
            em_array *ax = em_array_from_int(v == Py_None ? -1 : PyLong_AsLong(v), EM_INT32);
            rc = py_check(em_array_list_push(out, ax));
            em_array_release(ax);
        }
    }
    Py_XDECREF(a);
    Py_XDECREF(res);
    if (rc == 0) return EM_OK;
    em_array_list_clear(out);
    if (!PyErr_Occurred()) return em_error_code();
    em_error_set(EM_ERR_RUNTIME, PY_RAISED);
    return EM_ERR_RUNTIME;
}

static em_closure *rule_closure(em_state *st, rule_kind kind, PyObject *rule, PyObject *in_skel,
                                size_t n_in, rulefn **made) {
    *made = NULL;
    if (!rule) return NULL;
    rulefn *r = calloc(1, sizeof *r);
    if (!r) return (em_closure *)PyErr_NoMemory();
    r->st = st;
    r->kind = kind;
    r->rule = Py_NewRef(rule);
    r->in_skel = Py_NewRef(in_skel);
    r->n_in = n_in;
    em_closure *c = em_closure_new(rulefn_call, r, rulefn_free);
    if (!c) {
        rulefn_free(r);
        py_raise_ember();
        return NULL;
    }
    *made = r;
    return c;
}

static PyObject *custom_call(PyObject *o, PyObject *args, PyObject *kwargs) {
    CustomObject *self = (CustomObject *)o;
    if (!self->vjp && !self->jvp && !self->vmap) return PyObject_Call(self->fun, args, kwargs);
    em_state *st = state_of_type(Py_TYPE(o));
    if (!st) return NULL;
    PyObject *r = NULL, *both = PyTuple_Pack(2, args, kwargs ? kwargs : Py_None);
    PyObject *skel = both ? py_tree_skeleton(st, both) : NULL;
    em_array_list *in = em_array_list_new(), *out = em_array_list_new();
    em_closure *f = NULL, *rules[3] = {NULL, NULL, NULL}, *cf = NULL;
    rulefn *made[3] = {NULL, NULL, NULL};
    if (!skel || !in || !out || py_tree_flatten(st, both, in, false) < 0) goto done;
    size_t n = em_array_list_size(in);
    pyfn *p = pyfn_all(st, self->fun, args, kwargs, OUT_TREE, "custom_function");
    if (!(f = pyfn_closure(p))) goto done;
    PyObject *user[3] = {self->vjp, self->jvp, self->vmap};
    for (int i = 0; i < 3; i++) {
        rules[i] = rule_closure(st, (rule_kind)i, user[i], skel, n, &made[i]);
        if (user[i] && !rules[i]) goto done;
    }
    if (!(cf = em_custom_function(f, rules[0], rules[1], rules[2]))) {
        py_raise_ember();
        goto done;
    }
    if (em_closure_call(cf, em_array_list_data(in), n, out) != EM_OK) {
        fail();
        goto done;
    }
    for (int i = 0; i < 3; i++)
        if (made[i]) {
            Py_XSETREF(made[i]->out_skel, Py_NewRef(p->result));
            made[i]->n_out = em_array_list_size(out);
        }
    size_t pos = 0;
    r = py_tree_fill(st, p->result, em_array_list_data(out), em_array_list_size(out), &pos);
done:
    for (int i = 0; i < 3; i++) em_closure_release(rules[i]);
    em_closure_release(cf);
    em_closure_release(f);
    em_array_list_free(in);
    em_array_list_free(out);
    Py_XDECREF(both);
    Py_XDECREF(skel);
    return r;
}

static PyObject *custom_new(PyTypeObject *tp, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"f", NULL};
    PyObject *f;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:custom_function", kwlist, &f)) return NULL;
    if (!PyCallable_Check(f)) {
        PyErr_Format(PyExc_TypeError, "custom_function(): f must be callable, not %.100s.", Py_TYPE(f)->tp_name);
        return NULL;
    }
    CustomObject *o = (CustomObject *)tp->tp_alloc(tp, 0);
    if (o) o->fun = Py_NewRef(f);
    return (PyObject *)o;
}

static PyObject *set_rule(PyObject *o, PyObject *f, PyObject **slot, const char *name) {
    if (!PyCallable_Check(f))
        return PyErr_Format(PyExc_TypeError, "custom_function.%s(): f must be callable, not %.100s.", name,
                            Py_TYPE(f)->tp_name);
    Py_XSETREF(*slot, Py_NewRef(f));
    return Py_NewRef(o);
}

static PyObject *custom_vjp(PyObject *o, PyObject *f) { return set_rule(o, f, &((CustomObject *)o)->vjp, "vjp"); }
static PyObject *custom_jvp(PyObject *o, PyObject *f) { return set_rule(o, f, &((CustomObject *)o)->jvp, "jvp"); }
static PyObject *custom_vmap(PyObject *o, PyObject *f) { return set_rule(o, f, &((CustomObject *)o)->vmap, "vmap"); }

static int custom_traverse(PyObject *o, visitproc visit, void *arg) {
    CustomObject *c = (CustomObject *)o;
    Py_VISIT(Py_TYPE(o));
    Py_VISIT(c->fun);
    Py_VISIT(c->vjp);
    Py_VISIT(c->jvp);
    Py_VISIT(c->vmap);
    return 0;
}

static int custom_clear(PyObject *o) {
    CustomObject *c = (CustomObject *)o;
    Py_CLEAR(c->fun);
    Py_CLEAR(c->vjp);
    Py_CLEAR(c->jvp);
    Py_CLEAR(c->vmap);
    return 0;
}

static void custom_dealloc(PyObject *o) {
    PyTypeObject *tp = Py_TYPE(o);
    PyObject_GC_UnTrack(o);
    if (((CustomObject *)o)->weakrefs) PyObject_ClearWeakRefs(o);
    custom_clear(o);
    tp->tp_free(o);
    Py_DECREF(tp);
}

static PyMethodDef custom_methods[] = {
    {"vjp", custom_vjp, METH_O,
     "vjp(self, f)\n--\n\nDefine a custom vjp for the wrapped function: f(primals, cotangents, "
     "outputs) returns the vector-Jacobian products of the primals."},
    {"jvp", custom_jvp, METH_O,
     "jvp(self, f)\n--\n\nDefine a custom jvp for the wrapped function: f(primals, tangents) returns "
     "the Jacobian-vector products of the outputs."},
    {"vmap", custom_vmap, METH_O,
     "vmap(self, f)\n--\n\nDefine a custom vectorization rule: f(inputs, axes) returns (outputs, "
     "out_axes)."},
    {NULL},
};

static PyMemberDef custom_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(CustomObject, weakrefs), READONLY, NULL},
    {NULL},
};

static PyType_Slot custom_slots[] = {
    {Py_tp_doc, "custom_function(f)\n--\n\nSet up a function for custom gradient and vmap "
                "definitions. Use it as a decorator, then decorate the rules with .vjp, .jvp and .vmap."},
    {Py_tp_new, custom_new},
    {Py_tp_call, custom_call},
    {Py_tp_methods, custom_methods},
    {Py_tp_members, custom_members},
    {Py_tp_traverse, custom_traverse},
    {Py_tp_clear, custom_clear},
    {Py_tp_dealloc, custom_dealloc},
    {Py_tp_descr_get, transformed_get},
    {0, NULL},
};

static PyType_Spec custom_spec = {
    "ember.core.custom_function", sizeof(CustomObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE, custom_slots,
};

/* ---------------------------------------------------------------- tables */

PyMethodDef py_transform_methods[] = {
    FASTCALL_DEF("grad", f_grad,
                 "grad(fun, argnums=None, argnames=[])\n--\n\n"
                 "Returns a function which computes the gradient of ``fun`` with respect to the\n"
                 "arguments ``argnums`` (positions) and ``argnames`` (keywords)."),
    FASTCALL_DEF("value_and_grad", f_value_and_grad,
                 "value_and_grad(fun, argnums=None, argnames=[])\n--\n\n"
                 "Returns a function which computes the value and the gradient of ``fun``."),
    FASTCALL_DEF("vjp", f_vjp,
                 "vjp(fun, primals, cotangents)\n--\n\nCompute the vector-Jacobian product: "
                 "returns (outputs, vjps)."),
    FASTCALL_DEF("jvp", f_jvp,
                 "jvp(fun, primals, tangents)\n--\n\nCompute the Jacobian-vector product: "
                 "returns (outputs, jvps)."),
    FASTCALL_DEF("stop_gradient", f_stop_gradient,
                 "stop_gradient(a, /, *, stream=None)\n--\n\n"
                 "Stop gradients from being computed: the identity with zero derivative."),
    FASTCALL_DEF("checkpoint", f_checkpoint,
                 "checkpoint(fun)\n--\n\nA function that computes ``fun`` without keeping its\n"
                 "intermediates for the backward pass, which recomputes them."),
    FASTCALL_DEF("compile", f_compile,
                 "compile(fun, inputs=None, outputs=None, shapeless=False)\n--\n\n"
                 "Returns a compiled function which produces the same output as ``fun``: its\n"
                 "graph is traced once per input signature and replayed."),
    {"enable_compile", f_enable_compile, METH_NOARGS,
     "enable_compile()\n--\n\nGlobally enable compilation."},
    {"disable_compile", f_disable_compile, METH_NOARGS,
     "disable_compile()\n--\n\nGlobally disable compilation: compiled functions run as they are."},
    {NULL},
};

int transforms_module_init(PyObject *m, em_state *st) {
    PyObject *t = PyType_FromModuleAndSpec(m, &transformed_spec, NULL);
    if (!t) return -1;
    st->transformed_type = (PyTypeObject *)t;
    t = PyType_FromModuleAndSpec(m, &custom_spec, NULL);
    if (!t) return -1;
    st->custom_function_type = (PyTypeObject *)t;
    if (PyModule_AddObjectRef(m, "custom_function", t) < 0) return -1;
    st->tree_slot = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    return st->tree_slot ? 0 : -1;
}
