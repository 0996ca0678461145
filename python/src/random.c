/* random.c -- the ember.core.random submodule: MLX's signatures over the
 * em_random_* functions. The global key lives here, as in MLX's Python
 * module: `random.state` is a list holding one key array, which functions
 * called with key=None split (keeping the first half there, using the
 * second), so that compile(inputs=..., outputs=...) can capture it. The C
 * library's own global key (em_random_seed) is not used by Python. */
#include <time.h>

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* ---------------------------------------------------------------- the key */

/* The next key of random.state (a new reference), or NULL with an exception. */
static em_array *next_key(em_state *st) {
    PyObject *lst = st->random_state;
    if (!lst || !PyList_Check(lst) || PyList_GET_SIZE(lst) < 1 || !py_is_array(st, PyList_GET_ITEM(lst, 0))) {
        PyErr_SetString(PyExc_TypeError, "[random] random.state[0] must be a key array.");
        return NULL;
    }
    em_array *keys = em_random_split(py_array_arr(PyList_GET_ITEM(lst, 0)), 2);
    int64_t s0[2] = {0, 0}, e0[2] = {1, 2}, s1[2] = {1, 0}, e1[2] = {2, 2}, two = 2;
    em_array *a = keys ? em_slice(keys, s0, e0, NULL, 2) : NULL, *b = keys ? em_slice(keys, s1, e1, NULL, 2) : NULL;
    em_array *first = a ? em_reshape(a, &two, 1) : NULL, *second = b ? em_reshape(b, &two, 1) : NULL;
    em_array_release(keys), em_array_release(a), em_array_release(b);
    if (!first || !second) {
        em_array_release(first), em_array_release(second);
        py_raise_ember();
        return NULL;
    }
    PyObject *k = py_array_wrap(st, first);
    if (!k || PyList_SetItem(lst, 0, k) < 0) { /* steals k */
        em_array_release(second);
        return NULL;
    }
    return second;
}

/* key=None: the next global key; else the array given. New reference. */
static em_array *arg_key(em_state *st, PyObject *o, const char *fname) {
    if (!o || o == Py_None) return next_key(st);
    if (!py_is_array(st, o)) {
        PyErr_Format(PyExc_TypeError, "%s(): key must be an array, not %.100s.", fname, Py_TYPE(o)->tp_name);
        return NULL;
    }
    return em_array_retain(py_array_arr(o));
}

static int arg_stream(em_state *st, PyObject *o, const char *fname) {
    return o && o != Py_None ? py_arg_stream(st, o, fname) : 0;
}

static int arg_uint64(PyObject *o, const char *fname, uint64_t *out) {
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): seed must be an int, not %.100s.", fname, Py_TYPE(o)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s(): seed must be an integer in [0, 2**64).", fname);
        return -1;
    }
    *out = v;
    return 0;
}

/* shape=None leaves *nd at -1 when allow_none. */
static int arg_shape(PyObject *o, const char *fname, bool allow_none, int64_t *shape, int *nd) {
    *nd = allow_none ? -1 : 0;
    if (!o || (o == Py_None && allow_none)) return 0;
    return py_arg_shape(o, fname, "shape", shape, nd);
}

static int arg_dtype(em_state *st, PyObject *o, const char *fname, em_dtype def, em_dtype *out) {
    int dt = -1;
    if (o && py_arg_dtype(st, o, fname, true, &dt) < 0) return -1;
    *out = dt < 0 ? def : (em_dtype)dt;
    return 0;
}

/* A scalar or array argument: arrays as they are, Python scalars as arrays
 * of `dtype` (MLX's defaults when dtype < 0). NULL/None: NULL, no error. */
static em_array *arg_value(em_state *st, PyObject *o, const char *fname, const char *name, int dtype, int *err) {
    if (!o || o == Py_None) return NULL;
    em_array *a = py_is_array(st, o) ? em_array_retain(py_array_arr(o)) : py_to_array(st, o, dtype);
    if (!a) {
        (void)fname, (void)name;
        *err = 1;
    }
    return a;
}

/* The result, releasing the temporaries. */
static PyObject *done(em_state *st, em_array *r, em_array **tmp, int n) {
    for (int i = 0; i < n; i++) em_array_release(tmp[i]);
    return py_array_wrap(st, r);
}

static PyObject *fail(em_array **tmp, int n) {
    for (int i = 0; i < n; i++) em_array_release(tmp[i]);
    py_stream_done();
    return NULL;
}

/* ---------------------------------------------------------------- functions */

static PyObject *r_key(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "key", 0, 1, 1, false, "seed");
    PyObject *a[1];
    uint64_t seed;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_uint64(a[0], "key", &seed) < 0) return NULL;
    return py_array_wrap(st, em_random_key(seed));
}

static PyObject *r_seed(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "seed", 0, 1, 1, false, "seed");
    PyObject *a[1];
    uint64_t seed;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_uint64(a[0], "seed", &seed) < 0) return NULL;
    PyObject *k = py_array_wrap(st, em_random_key(seed));
    if (!k) return NULL;
    if (PyList_SetItem(st->random_state, 0, k) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *r_split(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "split", 0, 3, 1, false, "key", "num", "stream");
    PyObject *a[3];
    int num = 2;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || py_arg_int(a[1], "split", "num", &num) < 0) return NULL;
    if (!py_is_array(st, a[0])) {
        PyErr_Format(PyExc_TypeError, "split(): key must be an array, not %.100s.", Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    if (arg_stream(st, a[2], "split") < 0) return NULL;
    return py_array_wrap(st, em_random_split(py_array_arr(a[0]), num));
}

static PyObject *r_bits(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "bits", 0, 4, 0, false, "shape", "width", "key", "stream");
    PyObject *a[4];
    int64_t shape[EM_MAX_NDIM];
    int nd, width = 4;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[0], "bits", false, shape, &nd) < 0 ||
        py_arg_int(a[1], "bits", "width", &width) < 0 || arg_stream(st, a[3], "bits") < 0)
        return NULL;
    em_array *k = arg_key(st, a[2], "bits");
    if (!k) return fail(NULL, 0);
    return done(st, em_random_bits(shape, nd, width, k), &k, 1);
}

static PyObject *r_uniform(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "uniform", 0, 6, 0, false, "low", "high", "shape", "dtype", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM];
    int nd, err = 0;
    em_dtype dt;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[2], "uniform", false, shape, &nd) < 0 ||
        arg_dtype(st, a[3], "uniform", EM_FLOAT32, &dt) < 0 || arg_stream(st, a[5], "uniform") < 0)
        return NULL;
    em_array *t[3] = {arg_value(st, a[0], "uniform", "low", -1, &err), NULL, NULL};
    if (!err) t[1] = arg_value(st, a[1], "uniform", "high", -1, &err);
    if (!err) t[2] = arg_key(st, a[4], "uniform");
    if (err || !t[2]) return fail(t, 3);
    return done(st, em_random_uniform(t[0], t[1], shape, nd, dt, t[2]), t, 3);
}

static PyObject *r_normal(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "normal", 0, 6, 0, false, "shape", "dtype", "loc", "scale", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM];
    int nd, err = 0;
    em_dtype dt;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[0], "normal", false, shape, &nd) < 0 ||
        arg_dtype(st, a[1], "normal", EM_FLOAT32, &dt) < 0 || arg_stream(st, a[5], "normal") < 0)
        return NULL;
    em_array *t[3] = {arg_value(st, a[2], "normal", "loc", dt, &err), NULL, NULL};
    if (!err) t[1] = arg_value(st, a[3], "normal", "scale", dt, &err);
    if (!err) t[2] = arg_key(st, a[4], "normal");
    if (err || !t[2]) return fail(t, 3);
    return done(st, em_random_normal(shape, nd, dt, t[0], t[1], t[2]), t, 3);
}

static PyObject *r_randint(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "randint", 0, 6, 2, false, "low", "high", "shape", "dtype", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM];
    int nd, err = 0;
    em_dtype dt;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[2], "randint", false, shape, &nd) < 0 ||
        arg_dtype(st, a[3], "randint", EM_INT32, &dt) < 0 || arg_stream(st, a[5], "randint") < 0)
        return NULL;
    em_array *t[3] = {arg_value(st, a[0], "randint", "low", -1, &err), NULL, NULL};
    if (!err) t[1] = arg_value(st, a[1], "randint", "high", -1, &err);
    if (!err) t[2] = arg_key(st, a[4], "randint");
    if (err || !t[2] || !t[0] || !t[1]) {
        if (!err && t[2] && (!t[0] || !t[1])) PyErr_SetString(PyExc_TypeError, "randint(): low and high are required.");
        return fail(t, 3);
    }
    return done(st, em_random_randint(t[0], t[1], shape, nd, dt, t[2]), t, 3);
}

static PyObject *r_bernoulli(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "bernoulli", 0, 4, 0, false, "p", "shape", "key", "stream");
    PyObject *a[4];
    int64_t shape[EM_MAX_NDIM];
    int nd, err = 0;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[1], "bernoulli", true, shape, &nd) < 0 ||
        arg_stream(st, a[3], "bernoulli") < 0)
        return NULL;
    em_array *t[2] = {arg_value(st, a[0], "bernoulli", "p", -1, &err), NULL};
    if (!err) t[1] = arg_key(st, a[2], "bernoulli");
    if (err || !t[1]) return fail(t, 2);
    return done(st, em_random_bernoulli(t[0], shape, nd, t[1]), t, 2);
}

static PyObject *r_truncated_normal(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "truncated_normal", 0, 6, 2, false, "lower", "upper", "shape", "dtype", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM];
    int nd, err = 0;
    em_dtype dt;
    const char *f = "truncated_normal";
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[2], f, true, shape, &nd) < 0 ||
        arg_dtype(st, a[3], f, EM_FLOAT32, &dt) < 0 || arg_stream(st, a[5], f) < 0)
        return NULL;
    em_array *t[3] = {arg_value(st, a[0], f, "lower", -1, &err), NULL, NULL};
    if (!err) t[1] = arg_value(st, a[1], f, "upper", -1, &err);
    if (!err) t[2] = arg_key(st, a[4], f);
    if (err || !t[2]) return fail(t, 3);
    return done(st, em_random_truncated_normal(t[0], t[1], shape, nd, dt, t[2]), t, 3);
}

static PyObject *r_gumbel(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "gumbel", 0, 4, 0, false, "shape", "dtype", "key", "stream");
    PyObject *a[4];
    int64_t shape[EM_MAX_NDIM];
    int nd;
    em_dtype dt;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[0], "gumbel", false, shape, &nd) < 0 ||
        arg_dtype(st, a[1], "gumbel", EM_FLOAT32, &dt) < 0 || arg_stream(st, a[3], "gumbel") < 0)
        return NULL;
    em_array *k = arg_key(st, a[2], "gumbel");
    if (!k) return fail(NULL, 0);
    return done(st, em_random_gumbel(shape, nd, dt, k), &k, 1);
}

static PyObject *r_laplace(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "laplace", 0, 6, 0, false, "shape", "dtype", "loc", "scale", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM];
    int nd;
    em_dtype dt;
    double loc = 0, scale = 1;
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[0], "laplace", false, shape, &nd) < 0 ||
        arg_dtype(st, a[1], "laplace", EM_FLOAT32, &dt) < 0 || py_arg_double(a[2], "laplace", "loc", &loc) < 0 ||
        py_arg_double(a[3], "laplace", "scale", &scale) < 0 || arg_stream(st, a[5], "laplace") < 0)
        return NULL;
    em_array *k = arg_key(st, a[4], "laplace");
    if (!k) return fail(NULL, 0);
    return done(st, em_random_laplace(shape, nd, dt, loc, scale, k), &k, 1);
}

static PyObject *r_categorical(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "categorical", 0, 6, 1, false, "logits", "axis", "shape", "num_samples", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM], ns = -1;
    int nd, axis = -1;
    const char *f = "categorical";
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || py_arg_int(a[1], f, "axis", &axis) < 0 ||
        arg_shape(a[2], f, true, shape, &nd) < 0 ||
        (a[3] && a[3] != Py_None && py_arg_int64(a[3], f, "num_samples", &ns) < 0) || arg_stream(st, a[5], f) < 0)
        return NULL;
    if (a[3] && a[3] != Py_None && ns < 0) {
        PyErr_SetString(PyExc_ValueError, "[categorical] num_samples must be non-negative.");
        return fail(NULL, 0);
    }
    em_array *t[2] = {py_arg_array(st, a[0], f, "logits"), NULL};
    if (t[0]) t[1] = arg_key(st, a[4], f);
    if (!t[0] || !t[1]) return fail(t, 2);
    return done(st, em_random_categorical(t[0], axis, nd >= 0 ? shape : NULL, nd, ns, t[1]), t, 2);
}

static PyObject *r_multivariate_normal(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "multivariate_normal", 0, 6, 2, false, "mean", "cov", "shape", "dtype", "key", "stream");
    PyObject *a[6];
    int64_t shape[EM_MAX_NDIM];
    int nd;
    em_dtype dt;
    const char *f = "multivariate_normal";
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || arg_shape(a[2], f, false, shape, &nd) < 0 ||
        arg_dtype(st, a[3], f, EM_FLOAT32, &dt) < 0 || arg_stream(st, a[5], f) < 0)
        return NULL;
    em_array *t[3] = {py_arg_array(st, a[0], f, "mean"), NULL, NULL};
    if (t[0]) t[1] = py_arg_array(st, a[1], f, "cov");
    if (t[1]) t[2] = arg_key(st, a[4], f);
    if (!t[2]) return fail(t, 3);
    return done(st, em_random_multivariate_normal(t[0], t[1], shape, nd, dt, t[2]), t, 3);
}

static PyObject *r_permutation(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "permutation", 0, 4, 1, false, "x", "axis", "key", "stream");
    PyObject *a[4];
    int axis = 0;
    const char *f = "permutation";
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0 || py_arg_int(a[1], f, "axis", &axis) < 0 ||
        arg_stream(st, a[3], f) < 0)
        return NULL;
    if (PyLong_Check(a[0])) {
        int64_t n;
        if (py_arg_int64(a[0], f, "x", &n) < 0) return fail(NULL, 0);
        em_array *k = arg_key(st, a[2], f);
        if (!k) return fail(NULL, 0);
        return done(st, em_random_permutation_n(n, k), &k, 1);
    }
    em_array *t[2] = {py_arg_array(st, a[0], f, "x"), NULL};
    if (t[0]) t[1] = arg_key(st, a[2], f);
    if (!t[1]) return fail(t, 2);
    return done(st, em_random_permutation(t[0], axis, t[1]), t, 2);
}

/* ---------------------------------------------------------------- the module */

#define KEYDOC "    key (array, optional): A PRNG key (default: the global key, advanced).\n"

static PyMethodDef random_methods[] = {
    FASTCALL_DEF("key", r_key,
                 "key(seed)\n--\n\nGet a PRNG key from a seed.\n\nArgs:\n    seed (int): Seed for the PRNG.\n\n"
                 "Returns:\n    array: The PRNG key array (uint32, shape (2,))."),
    FASTCALL_DEF("seed", r_seed,
                 "seed(seed)\n--\n\nSeed the global PRNG.\n\nArgs:\n    seed (int): Seed for the global PRNG."),
    FASTCALL_DEF("split", r_split,
                 "split(key, num=2, stream=None)\n--\n\nSplit a PRNG key into sub keys.\n\nArgs:\n"
                 "    key (array): Input key to split.\n    num (int, optional): Number of sub keys. Default: 2.\n\n"
                 "Returns:\n    array: The array of sub keys with num as its first dimension."),
    FASTCALL_DEF("bits", r_bits,
                 "bits(shape=[], width=4, key=None, stream=None)\n--\n\nGenerate an array of random bits "
                 "(ember: MLX's C++ random::bits).\n\nArgs:\n    shape (list(int), optional): Shape of the output.\n"
                 "    width (int, optional): Bytes per element: 1, 2 or 4 (uint8, uint16, uint32).\n" KEYDOC
                 "\nReturns:\n    array: The random bits."),
    FASTCALL_DEF("uniform", r_uniform,
                 "uniform(low=0, high=1, shape=[], dtype=None, key=None, stream=None)\n--\n\n"
                 "Generate uniformly distributed random numbers in the half-open interval [low, high).\n\n"
                 "Args:\n    low (scalar or array, optional): Lower bound. Default: 0.\n"
                 "    high (scalar or array, optional): Upper bound. Default: 1.\n"
                 "    shape (list(int), optional): Shape of the output. Default: ().\n"
                 "    dtype (Dtype, optional): Type of the output. Default: float32.\n" KEYDOC
                 "\nReturns:\n    array: The output array of random values."),
    FASTCALL_DEF("normal", r_normal,
                 "normal(shape=[], dtype=None, loc=None, scale=None, key=None, stream=None)\n--\n\n"
                 "Generate normally distributed random numbers.\n\nArgs:\n"
                 "    shape (list(int), optional): Shape of the output. Default: ().\n"
                 "    dtype (Dtype, optional): Type of the output. Default: float32.\n"
                 "    loc (scalar or array, optional): Mean of the distribution. Default: 0.\n"
                 "    scale (scalar or array, optional): Standard deviation. Default: 1.\n" KEYDOC
                 "\nReturns:\n    array: The output array of random values."),
    FASTCALL_DEF("randint", r_randint,
                 "randint(low, high, shape=[], dtype=None, key=None, stream=None)\n--\n\n"
                 "Generate random integers from the half-open interval [low, high).\n\nArgs:\n"
                 "    low (scalar or array): Lower bound.\n    high (scalar or array): Upper bound.\n"
                 "    shape (list(int), optional): Shape of the output. Default: ().\n"
                 "    dtype (Dtype, optional): Type of the output. Default: int32.\n" KEYDOC
                 "\nReturns:\n    array: The array of random integers."),
    FASTCALL_DEF("bernoulli", r_bernoulli,
                 "bernoulli(p=0.5, shape=None, key=None, stream=None)\n--\n\n"
                 "Generate Bernoulli random values with probability p.\n\nArgs:\n"
                 "    p (float or array, optional): Probability of True. Default: 0.5.\n"
                 "    shape (list(int), optional): Shape of the output. Default: p's shape.\n" KEYDOC
                 "\nReturns:\n    array: The array of random booleans."),
    FASTCALL_DEF("truncated_normal", r_truncated_normal,
                 "truncated_normal(lower, upper, shape=None, dtype=None, key=None, stream=None)\n--\n\n"
                 "Generate values from a truncated normal distribution on [lower, upper].\n\nArgs:\n"
                 "    lower (scalar or array): Lower bound.\n    upper (scalar or array): Upper bound.\n"
                 "    shape (list(int), optional): Shape of the output. Default: the bounds' broadcast.\n"
                 "    dtype (Dtype, optional): Type of the output. Default: float32.\n" KEYDOC
                 "\nReturns:\n    array: The output array of random values."),
    FASTCALL_DEF("gumbel", r_gumbel,
                 "gumbel(shape=[], dtype=None, key=None, stream=None)\n--\n\n"
                 "Sample from the standard Gumbel distribution.\n\nArgs:\n"
                 "    shape (list(int), optional): Shape of the output. Default: ().\n"
                 "    dtype (Dtype, optional): Type of the output. Default: float32.\n" KEYDOC
                 "\nReturns:\n    array: The Gumbel samples."),
    FASTCALL_DEF("categorical", r_categorical,
                 "categorical(logits, axis=-1, shape=None, num_samples=None, key=None, stream=None)\n--\n\n"
                 "Sample from a categorical distribution given unnormalized log-probabilities.\n\nArgs:\n"
                 "    logits (array): The unnormalized categorical distribution(s).\n"
                 "    axis (int, optional): The axis of the categories. Default: -1.\n"
                 "    shape (list(int), optional): Shape of the output (broadcasting with the logits\n"
                 "        without axis).\n    num_samples (int, optional): Samples per distribution.\n" KEYDOC
                 "\nReturns:\n    array: The sampled indices (uint32)."),
    FASTCALL_DEF("laplace", r_laplace,
                 "laplace(shape=[], dtype=None, loc=0.0, scale=1.0, key=None, stream=None)\n--\n\n"
                 "Sample numbers from a Laplace distribution.\n\nArgs:\n"
                 "    shape (list(int), optional): Shape of the output. Default: ().\n"
                 "    dtype (Dtype, optional): Type of the output. Default: float32.\n"
                 "    loc (float, optional): Mean of the distribution. Default: 0.0.\n"
                 "    scale (float, optional): Scale b of the distribution. Default: 1.0.\n" KEYDOC
                 "\nReturns:\n    array: The output array of random values."),
    FASTCALL_DEF("multivariate_normal", r_multivariate_normal,
                 "multivariate_normal(mean, cov, shape=[], dtype=None, key=None, stream=None)\n--\n\n"
                 "Generate jointly-normal random samples given a mean and covariance (float32 only).\n\nArgs:\n"
                 "    mean (array): Mean, of shape (..., n).\n    cov (array): Covariance, of shape (..., n, n).\n"
                 "    shape (list(int), optional): Batch shape, broadcasting with mean's and cov's.\n"
                 "    dtype (Dtype, optional): Type of the output (float32).\n" KEYDOC
                 "\nReturns:\n    array: The samples, of shape shape + (n,)."),
    FASTCALL_DEF("permutation", r_permutation,
                 "permutation(x, axis=0, key=None, stream=None)\n--\n\n"
                 "Generate a random permutation of arange(x) (an int) or shuffle x along axis.\n\nArgs:\n"
                 "    x (int or array): The length of the permutation, or the array to shuffle.\n"
                 "    axis (int, optional): The axis to shuffle along. Default: 0.\n" KEYDOC
                 "\nReturns:\n    array: The permutation or the shuffled array."),
    {NULL},
};

int random_module_init(PyObject *m, em_state *st) {
    if (py_add_submodule(m, "random", random_methods, "Random number generation (mlx.core.random).") < 0)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    PyObject *k = py_array_wrap(st, em_random_key(ms));
    if (!k) return -1;
    st->random_state = PyList_New(1);
    if (!st->random_state) {
        Py_DECREF(k);
        return -1;
    }
    PyList_SET_ITEM(st->random_state, 0, k);
    PyObject *sub = PyObject_GetAttrString(m, "random");
    if (!sub) return -1;
    int r = PyModule_AddObjectRef(sub, "state", st->random_state);
    Py_DECREF(sub);
    return r;
}
