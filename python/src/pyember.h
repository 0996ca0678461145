/* pyember.h -- what the files of the ember.core extension share: module state,
 * the object layouts, and the helpers each file exports to the others.
 *
 * Ownership follows CPython's rules for PyObject* (functions document what
 * they return) and ember.h's for em_array*: every em_array* a helper returns
 * is a new reference the caller releases. */
#ifndef PYEMBER_H
#define PYEMBER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdbool.h>
#include <stdint.h>

#include "ember.h"

/* The values of DtypeCategory (MLX's enum values). */
enum {
    CAT_COMPLEXFLOATING, CAT_FLOATING, CAT_INEXACT, CAT_SIGNEDINTEGER,
    CAT_UNSIGNEDINTEGER, CAT_INTEGER, CAT_NUMBER, CAT_GENERIC, CAT_COUNT
};

/* Module state: every type and singleton the module creates. */
typedef struct em_state {
    PyTypeObject *array_type;
    PyTypeObject *dtype_type;
    PyTypeObject *iter_type;
    PyTypeObject *at_type;
    PyTypeObject *finfo_type;
    PyTypeObject *iinfo_type;
    PyTypeObject *device_type;
    PyTypeObject *stream_type;
    PyTypeObject *tl_stream_type;
    PyTypeObject *stream_ctx_type;
    PyTypeObject *printopts_type;
    PyTypeObject *printopts_ctx_type;
    PyObject *dtypes[EM_NUM_DTYPES];  /* the Dtype singletons, by em_dtype */
    PyObject *dtype_category;         /* the DtypeCategory enum class */
    PyObject *categories[CAT_COUNT];  /* its members, by value */
    PyObject *device_type_enum;       /* the DeviceType enum class */
    PyObject *cpu, *gpu;              /* DeviceType.cpu / .gpu */
    PyTypeObject *transformed_type;   /* what grad/value_and_grad/checkpoint/compile return */
    PyTypeObject *custom_function_type;
    PyObject *tree_slot;              /* marks where an array was in a tree skeleton */
    PyObject *file_error;             /* ember.core._FileError (io.c) */
    int print_precision;              /* -1: MLX's default */
    PyObject *random_state;           /* random.state: [key] (random.c) */
} em_state;

/* The Python array object: a strong reference to an em_array. In-place
 * operators and __setitem__ replace `arr` (never NULL after construction). */
typedef struct {
    PyObject_HEAD
    em_array *arr;
    PyObject *weakrefs;
} ArrayObject;

typedef struct {
    PyObject_HEAD
    em_dtype dtype;
} DtypeObject;

/* ---------------------------------------------------------------- module.c */

/* The module (borrowed) that defines `tp` or one of its bases, or NULL with
 * TypeError. */
PyObject *module_of_type(PyTypeObject *tp);
/* The state of the module that defines `tp` (or one of its bases). */
em_state *state_of_type(PyTypeObject *tp);
static inline em_state *state_of_module(PyObject *m) {
    return (em_state *)PyModule_GetState(m);
}
/* Creates the submodule <m's name>.<name> with the given functions, bound to
 * m (so that they reach m's state), sets it as m.<name> and registers it in
 * sys.modules as MLX does. 0, or -1 with an exception. */
int py_add_submodule(PyObject *m, const char *name, PyMethodDef *defs, const char *doc);
/* Raises the calling thread's ember error as the matching Python exception,
 * clears it, and returns NULL. Raises RuntimeError if none is set. */
PyObject *py_raise_ember(void);
/* For status-returning calls: 0 on EM_OK, else raises and returns -1. */
int py_check(em_status st);

/* ---------------------------------------------------------------- array.c */

int array_module_init(PyObject *m, em_state *st);
/* Wraps a new em_array reference (stolen) in a Python array; NULL a raises the
 * ember error. Returns a new reference or NULL. */
PyObject *py_array_wrap(em_state *st, em_array *a);
static inline bool py_is_array(em_state *st, PyObject *o) {
    return PyObject_TypeCheck(o, st->array_type);
}
static inline em_array *py_array_arr(PyObject *o) { return ((ArrayObject *)o)->arr; }

/* ---------------------------------------------------------------- dtype.c */

int dtype_module_init(PyObject *m, em_state *st);
static inline bool py_is_dtype(em_state *st, PyObject *o) {
    return Py_TYPE(o) == st->dtype_type;
}
/* The Dtype object of dt (a new reference). */
PyObject *py_dtype(em_state *st, em_dtype dt);
/* Reads a Dtype argument; `allow_none` lets None through as -1. Returns 0 and
 * stores into *out, or raises TypeError naming `fname` and returns -1. */
int py_arg_dtype(em_state *st, PyObject *o, const char *fname, bool allow_none, int *out);

/* ---------------------------------------------------------------- convert.c */

/* Python value -> array: scalars, nested lists/tuples, arrays, buffers,
 * __dlpack__ objects, __mlx_array__ objects. dtype < 0 applies MLX's
 * defaults. Returns a new reference, or NULL with a Python exception set. */
em_array *py_to_array(em_state *st, PyObject *o, int dtype);
/* What a binary operand is: a Python scalar (weakly typed) or an array. */
typedef enum { OPND_ARRAY, OPND_BOOL, OPND_INT, OPND_FLOAT, OPND_COMPLEX, OPND_NONE } operand_kind;
operand_kind py_operand_kind(em_state *st, PyObject *o);
/* Converts a Python scalar of kind k to a 0-d array that meets an array of
 * dtype `other` (MLX's weak promotion; ValueError when an int overflows). */
em_array *py_weak_scalar(PyObject *o, operand_kind k, em_dtype other);
/* Both operands of a binary op, with MLX's weak scalars: writes two new
 * references, or returns -1 with an exception set. */
int py_binary_operands(em_state *st, PyObject *a, PyObject *b, em_array **x, em_array **y);
/* The value of a one-element array as a Python scalar (evaluates). */
PyObject *py_array_item(em_array *a);
/* Nested lists of Python scalars (evaluates). */
PyObject *py_array_tolist(em_array *a);
/* Buffer protocol export, shared with array.c's type slots. */
int py_array_getbuffer(PyObject *self, Py_buffer *view, int flags);
void py_array_releasebuffer(PyObject *self, Py_buffer *view);
/* DLPack. */
PyObject *py_array_dlpack(em_state *st, em_array *a, PyObject *max_version);
em_array *py_from_dlpack(em_state *st, PyObject *o, bool *handled);
/* NumPy conversion (__array__): a new ndarray, or NULL with an exception. */
PyObject *py_array_to_numpy(em_state *st, PyObject *self, PyObject *dtype, PyObject *copy);

/* ---------------------------------------------------------------- args.c */

/* A function's parameters, as MLX declares them. `names` lists every
 * parameter in order; the first `npos_only` are positional-only, those from
 * `kw_only` on are keyword-only, the first `nrequired` must be given. With
 * `stream` set, a keyword-only `stream=None` follows them and is checked. */
typedef struct {
    const char *fname;
    const char *const *names;
    int nparams, npos_only, kw_only, nrequired;
    bool stream;
} py_argspec;

#define PY_ARGSPEC(var, fname, npos_only, kw_only, nrequired, stream, ...)     \
    static const char *const var##_names[] = {__VA_ARGS__};                     \
    static const py_argspec var = {fname, var##_names,                          \
                                   (int)(sizeof var##_names / sizeof(char *)),  \
                                   npos_only, kw_only, nrequired, stream}

/* Fills out[0..nparams-1] with borrowed references (NULL when not given).
 * Returns 0, or -1 with TypeError set. */
int py_parse(em_state *st, const py_argspec *spec, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, PyObject **out);
/* stream= / device arguments: None, a DeviceType, Device, Stream or
 * ThreadLocalStream. Makes it the stream of the op being called (until
 * py_stream_done). Returns 0, or -1 with an exception (ValueError for the
 * GPU). */
int py_arg_stream(em_state *st, PyObject *o, const char *fname);
/* Ends the stream= of the op in progress, if any (device.c). */
void py_stream_done(void);
/* Evaluates a and waits for its value with the GIL released (other Python
 * threads run meanwhile). Returns 0, or -1 with the error raised. */
int py_wait(em_array *a);
/* Converters: return 0 on success, -1 with an exception. `o` may be NULL
 * (not given), which leaves *out at its default. */
int py_arg_int(PyObject *o, const char *fname, const char *name, int *out);
int py_arg_int64(PyObject *o, const char *fname, const char *name, int64_t *out);
int py_arg_double(PyObject *o, const char *fname, const char *name, double *out);
int py_arg_bool(PyObject *o, const char *fname, const char *name, bool *out);
/* An int or a sequence of ints. *n is set to -1 for None/NULL when
 * allow_none. */
int py_arg_axes(PyObject *o, const char *fname, const char *name, bool allow_none, int *axes,
                int *n);
/* A shape: an int or a sequence of ints (at most EM_MAX_NDIM). */
int py_arg_shape(PyObject *o, const char *fname, const char *name, int64_t *shape, int *ndim);
/* An array argument (anything py_to_array takes). New reference. */
em_array *py_arg_array(em_state *st, PyObject *o, const char *fname, const char *name);

/* ---------------------------------------------------------------- the rest */

int ops_module_init(PyObject *m, em_state *st);  /* ops_*.c register through it */
extern PyMethodDef py_elementwise_methods[];
extern PyMethodDef py_reduce_methods[];
extern PyMethodDef py_shape_methods[];
extern PyMethodDef py_creation_methods[];
extern PyMethodDef py_misc_methods[];
extern PyMethodDef py_index_methods[];
extern PyMethodDef py_vmap_methods[];
extern PyMethodDef py_io_methods[];
extern PyMethodDef py_conv_methods[];   /* conv.c */
extern PyMethodDef py_sort_methods[];   /* ops_sort.c */
extern PyMethodDef py_contract_methods[]; /* contract.c */
extern PyMethodDef py_quant_methods[];    /* quant.c */
int io_module_init(PyObject *m, em_state *st);
int device_module_init(PyObject *m, em_state *st);
int linalg_module_init(PyObject *m, em_state *st);  /* linalg.c: ember.core.linalg */
int fft_module_init(PyObject *m, em_state *st);     /* fft.c: ember.core.fft */
int random_module_init(PyObject *m, em_state *st);  /* random.c: ember.core.random */
int misc_module_init(PyObject *m, em_state *st);
int fast_module_init(PyObject *m, em_state *st);    /* fast.c: ember.core.fast */
int export_module_init(PyObject *m, em_state *st);  /* export.c: export_function & co. */
/* ops_misc.c: its functions, ArrayLike and the same-object aliases (run last). */
extern PyMethodDef py_misc_ops_methods[];
int misc_ops_module_init(PyObject *m, em_state *st);
PyObject *py_array_view(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames);

/* Indexing (indexing.c). */
PyObject *py_array_getitem(PyObject *self, PyObject *key);
int py_array_setitem(PyObject *self, PyObject *key, PyObject *value);
/* x.at[key].op(value) for op "add", "subtract", "multiply", "divide",
 * "maximum", "minimum": the updated array (a new object), or NULL. */
PyObject *py_array_at_update(PyObject *array, PyObject *key, PyObject *value, const char *op);

/* ---------------------------------------------------------------- trees.c */

/* Appends the array leaves of a tree of lists, tuples and dicts (dict values
 * in order) to out. strict: any other leaf is MLX's ValueError "[tree_flatten]
 * The argument should contain only arrays"; otherwise other leaves are
 * skipped. 0, or -1 with an exception. */
int py_tree_flatten(em_state *st, PyObject *tree, em_array_list *out, bool strict);
/* A copy of tree with its slots (arrays, or st->tree_slot in a skeleton)
 * replaced in flatten order by new Python arrays of arrays[*pos], ...
 * (*pos advances); other leaves are shared. New reference or NULL. */
PyObject *py_tree_fill(em_state *st, PyObject *tree, em_array *const *arrays, size_t n, size_t *pos);
/* The same with arbitrary objects (borrowed) for the slots. */
PyObject *py_tree_fill_objects(em_state *st, PyObject *tree, PyObject *const *objs, size_t n,
                               size_t *pos);
/* tree with its arrays replaced by st->tree_slot (holds no array). */
PyObject *py_tree_skeleton(em_state *st, PyObject *tree);
/* A hashable key of the tree's structure, constants and arrays' dtypes and
 * shapes (ranks only when !shapes); ValueError (MLX's compile message) for
 * leaves that are neither arrays nor None, bool, int, float or str. */
PyObject *py_tree_key(em_state *st, PyObject *tree, bool shapes);
/* Replaces, in place, the array leaves held by the lists and dicts of tree
 * (in flatten order) by arrays[*pos], ... (compile's captured state). An
 * array directly in a tuple cannot be replaced: ValueError. 0 or -1. */
int py_tree_replace(em_state *st, PyObject *tree, em_array *const *arrays, size_t n, size_t *pos);
/* Replaces, in place, each array leaf of tree's lists and dicts that is
 * from[i] by to[i] (the others stay). 0 or -1. */
int py_tree_swap(em_state *st, PyObject *tree, em_array *const *from, em_array *const *to, size_t n);

/* ---------------------------------------------------------------- transforms.c */

int transforms_module_init(PyObject *m, em_state *st);
extern PyMethodDef py_transform_methods[];

/* A borrowed em_array from a Python array, or NULL if o is not one. */
static inline em_array *py_as_array(em_state *st, PyObject *o) {
    return py_is_array(st, o) ? py_array_arr(o) : NULL;
}

#endif
