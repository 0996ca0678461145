/* linalg.c -- the ember.core.linalg submodule: MLX's signatures over the
 * em_linalg_* functions. Its functions are bound with the core module as
 * `self`, so they reach the module state like every other function. */
#include <math.h>

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* A tuple of n new array references (stolen), or NULL. */
static PyObject *tuple_of(em_state *st, em_array **r, int n) {
    PyObject *t = PyTuple_New(n);
    if (!t) {
        for (int i = 0; i < n; i++) em_array_release(r[i]);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        PyObject *o = py_array_wrap(st, r[i]);
        if (!o) {
            for (int k = i + 1; k < n; k++) em_array_release(r[k]);
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, o);
    }
    return t;
}

/* Parses and converts the leading array arguments (narr of them). */
static int parse(em_state *st, const py_argspec *spec, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames, PyObject **a, em_array **x, int narr) {
    if (py_parse(st, spec, args, nargs, kwnames, a) < 0) return -1;
    for (int i = 0; i < narr; i++) {
        x[i] = py_arg_array(st, a[i], spec->fname, spec->names[i]);
        if (!x[i]) {
            for (int k = 0; k < i; k++) em_array_release(x[k]);
            return -1;
        }
    }
    return 0;
}

typedef em_array *(*unary_fn)(const em_array *);
typedef em_array *(*upper_fn)(const em_array *, bool);
typedef em_status (*multi_fn)(const em_array *, em_array **);

/* f(a, *, stream=None) -> array */
static PyObject *unary(const char *fname, unary_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a"};
    py_argspec spec = {fname, names, 1, 0, 1, 1, true};
    PyObject *a[1];
    em_array *x;
    if (parse(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    em_array *r = fn(x);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* f(a, upper=False, *, stream=None) -> array */
static PyObject *with_upper(const char *fname, upper_fn fn, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "upper"};
    py_argspec spec = {fname, names, 2, 0, 2, 1, true};
    PyObject *a[2];
    em_array *x;
    if (parse(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    bool upper = false;
    if (py_arg_bool(a[1], fname, "upper", &upper) < 0) {
        em_array_release(x);
        return NULL;
    }
    em_array *r = fn(x, upper);
    em_array_release(x);
    return py_array_wrap(st, r);
}

/* f(a, *, stream=None) -> tuple of n arrays */
static PyObject *multi(const char *fname, multi_fn fn, int n, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a"};
    py_argspec spec = {fname, names, 1, 0, 1, 1, true};
    PyObject *a[1];
    em_array *x, *r[3];
    if (parse(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    em_status s = fn(x, r);
    em_array_release(x);
    if (py_check(s) < 0) return NULL;
    return tuple_of(st, r, n);
}

/* ---------------------------------------------------------------- functions */

static PyObject *f_norm(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "norm", 1, 4, 1, true, "a", "ord", "axis", "keepdims");
    PyObject *a[4];
    em_array *x;
    if (parse(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    int axes[EM_MAX_NDIM], naxes;
    bool keepdims = false;
    if (py_arg_axes(a[2], "norm", "axis", true, axes, &naxes) < 0 ||
        py_arg_bool(a[3], "norm", "keepdims", &keepdims) < 0) {
        em_array_release(x);
        return NULL;
    }
    PyObject *ord = a[1];
    em_array *r = NULL;
    if (!ord || ord == Py_None) {
        r = em_linalg_norm(x, axes, naxes, keepdims);
    } else if (PyUnicode_Check(ord)) {
        const char *s = PyUnicode_AsUTF8(ord);
        if (s) r = em_linalg_norm_matrix(x, s, axes, naxes, keepdims);
    } else {
        double o;
        if (py_arg_double(ord, "norm", "ord", &o) == 0) r = em_linalg_norm_ord(x, o, axes, naxes, keepdims);
    }
    em_array_release(x);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_svd(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "svd", 0, 2, 1, true, "a", "compute_uv");
    PyObject *a[2];
    em_array *x, *r[3];
    if (parse(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    bool uv = true;
    if (py_arg_bool(a[1], "svd", "compute_uv", &uv) < 0) {
        em_array_release(x);
        return NULL;
    }
    em_status s = em_linalg_svd(x, uv, r);
    em_array_release(x);
    if (py_check(s) < 0) return NULL;
    return uv ? tuple_of(st, r, 3) : py_array_wrap(st, r[0]);
}

/* UPLO: 'L' or 'U'; anything else reaches the C check as '\0'. */
static int arg_uplo(PyObject *o, const char *fname, char *out) {
    *out = 'L';
    if (!o) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): UPLO must be a str, not %.100s.", fname, Py_TYPE(o)->tp_name);
        return -1;
    }
    const char *s = PyUnicode_AsUTF8(o);
    if (!s) return -1;
    *out = s[0] && !s[1] ? s[0] : '\0';
    return 0;
}

static PyObject *eigh_impl(const char *fname, bool vectors, FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    static const char *const names[] = {"a", "UPLO"};
    py_argspec spec = {fname, names, 2, 0, 2, 1, true};
    PyObject *a[2];
    em_array *x, *r[2];
    char uplo;
    if (parse(st, &spec, args, nargs, kwnames, a, &x, 1) < 0) return NULL;
    if (arg_uplo(a[1], fname, &uplo) < 0) {
        em_array_release(x);
        return NULL;
    }
    if (!vectors) {
        em_array *w = em_linalg_eigvalsh(x, uplo);
        em_array_release(x);
        return py_array_wrap(st, w);
    }
    em_status s = em_linalg_eigh(x, uplo, r);
    em_array_release(x);
    if (py_check(s) < 0) return NULL;
    return tuple_of(st, r, 2);
}

static PyObject *f_eigh(FASTCALL_ARGS) { return eigh_impl("eigh", true, m, args, nargs, kwnames); }
static PyObject *f_eigvalsh(FASTCALL_ARGS) { return eigh_impl("eigvalsh", false, m, args, nargs, kwnames); }

static PyObject *f_cross(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "cross", 0, 3, 2, true, "a", "b", "axis");
    PyObject *a[3];
    em_array *x[2];
    if (parse(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    int axis = -1;
    em_array *r = NULL;
    if (py_arg_int(a[2], "cross", "axis", &axis) == 0) r = em_linalg_cross(x[0], x[1], axis);
    em_array_release(x[0]);
    em_array_release(x[1]);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

static PyObject *f_solve(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "solve", 0, 2, 2, true, "a", "b");
    PyObject *a[2];
    em_array *x[2];
    if (parse(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    em_array *r = em_linalg_solve(x[0], x[1]);
    em_array_release(x[0]);
    em_array_release(x[1]);
    return py_array_wrap(st, r);
}

static PyObject *f_solve_triangular(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "solve_triangular", 0, 2, 2, true, "a", "b", "upper");
    PyObject *a[3];
    em_array *x[2];
    if (parse(st, &spec, args, nargs, kwnames, a, x, 2) < 0) return NULL;
    bool upper = false;
    em_array *r = NULL;
    if (py_arg_bool(a[2], "solve_triangular", "upper", &upper) == 0)
        r = em_linalg_solve_triangular(x[0], x[1], upper);
    em_array_release(x[0]);
    em_array_release(x[1]);
    if (!r && PyErr_Occurred()) return NULL;
    return py_array_wrap(st, r);
}

#define UNARY(name) \
    static PyObject *f_##name(FASTCALL_ARGS) { return unary(#name, em_linalg_##name, m, args, nargs, kwnames); }
UNARY(inv)
UNARY(pinv)
UNARY(eigvals)
UNARY(det)
#define UPPER(name) \
    static PyObject *f_##name(FASTCALL_ARGS) { return with_upper(#name, em_linalg_##name, m, args, nargs, kwnames); }
UPPER(tri_inv)
UPPER(cholesky)
UPPER(cholesky_inv)
#define MULTI(name, n) \
    static PyObject *f_##name(FASTCALL_ARGS) { return multi(#name, em_linalg_##name, n, m, args, nargs, kwnames); }
MULTI(qr, 2)
MULTI(eig, 2)
MULTI(lu, 3)
MULTI(lu_factor, 2)
MULTI(slogdet, 2)

/* ---------------------------------------------------------------- table */

#define A_DOC "\n\nArgs:\n    a (array): Input array.\n"

static PyMethodDef linalg_methods[] = {
    FASTCALL_DEF("norm", f_norm,
                 "norm(a, /, ord=None, axis=None, keepdims=False, *, stream=None)\n--\n\n"
                 "Matrix or vector norm: the 2-norm of the flattened array by default; ord\n"
                 "picks a vector norm (any number, inf, -inf) or a matrix norm (1, -1, 2, -2,\n"
                 "inf, -inf, 'fro', 'nuc') over one or two axes." A_DOC
                 "    ord (int, float or str, optional): Order of the norm.\n"
                 "    axis (int or list(int), optional): The axes of the vector or matrix.\n"
                 "    keepdims (bool, optional): Keep the reduced axes as singletons.\n\n"
                 "Returns:\n    array: The norm (real)."),
    FASTCALL_DEF("qr", f_qr,
                 "qr(a, *, stream=None)\n--\n\n"
                 "The reduced QR factorization of the last two axes: Q (..., M, K), R (..., K, N)." A_DOC
                 "\nReturns:\n    tuple(array, array): Q and R."),
    FASTCALL_DEF("svd", f_svd,
                 "svd(a, compute_uv=True, *, stream=None)\n--\n\n"
                 "The singular value decomposition a = U diag(S) Vt (full U and Vt)." A_DOC
                 "    compute_uv (bool, optional): Return U and Vt too (default True).\n\n"
                 "Returns:\n    tuple(array, array, array) or array: U, S, Vt, or S alone."),
    FASTCALL_DEF("inv", f_inv, "inv(a, *, stream=None)\n--\n\nThe inverse of a square matrix." A_DOC
                 "\nReturns:\n    array: The inverse."),
    FASTCALL_DEF("tri_inv", f_tri_inv,
                 "tri_inv(a, upper=False, *, stream=None)\n--\n\n"
                 "The inverse of the triangular matrix in a's lower (upper) triangle." A_DOC
                 "    upper (bool, optional): Use the upper triangle.\n\nReturns:\n    array: The inverse."),
    FASTCALL_DEF("pinv", f_pinv, "pinv(a, *, stream=None)\n--\n\nThe Moore-Penrose pseudo-inverse." A_DOC
                 "\nReturns:\n    array: The pseudo-inverse (..., N, M)."),
    FASTCALL_DEF("cholesky", f_cholesky,
                 "cholesky(a, upper=False, *, stream=None)\n--\n\n"
                 "The Cholesky factor of a symmetric positive definite matrix (lower, or upper)." A_DOC
                 "    upper (bool, optional): Return the upper factor.\n\nReturns:\n    array: The factor."),
    FASTCALL_DEF("cholesky_inv", f_cholesky_inv,
                 "cholesky_inv(a, upper=False, *, stream=None)\n--\n\n"
                 "The inverse of the matrix whose Cholesky factor is a." A_DOC
                 "    upper (bool, optional): The factor is upper triangular.\n\nReturns:\n    array: The inverse."),
    FASTCALL_DEF("cross", f_cross,
                 "cross(a, b, axis=-1, *, stream=None)\n--\n\n"
                 "The cross product of 2- or 3-vectors along axis." A_DOC
                 "    b (array): Input array.\n    axis (int, optional): The vectors' axis.\n\n"
                 "Returns:\n    array: The cross product."),
    FASTCALL_DEF("eigvals", f_eigvals,
                 "eigvals(a, *, stream=None)\n--\n\nThe eigenvalues of a square matrix (complex64)." A_DOC
                 "\nReturns:\n    array: The eigenvalues."),
    FASTCALL_DEF("eig", f_eig,
                 "eig(a, *, stream=None)\n--\n\n"
                 "Eigenvalues and right eigenvectors of a square matrix (complex64)." A_DOC
                 "\nReturns:\n    tuple(array, array): The eigenvalues and the eigenvectors (columns)."),
    FASTCALL_DEF("eigvalsh", f_eigvalsh,
                 "eigvalsh(a, UPLO='L', *, stream=None)\n--\n\n"
                 "The eigenvalues of a symmetric or Hermitian matrix, ascending." A_DOC
                 "    UPLO (str, optional): The triangle to read, 'L' or 'U'.\n\nReturns:\n    array: The eigenvalues."),
    FASTCALL_DEF("eigh", f_eigh,
                 "eigh(a, UPLO='L', *, stream=None)\n--\n\n"
                 "Eigenvalues (ascending) and eigenvectors of a symmetric or Hermitian matrix." A_DOC
                 "    UPLO (str, optional): The triangle to read, 'L' or 'U'.\n\n"
                 "Returns:\n    tuple(array, array): The eigenvalues and the eigenvectors (columns)."),
    FASTCALL_DEF("lu", f_lu,
                 "lu(a, *, stream=None)\n--\n\n"
                 "LU factorization with partial pivoting: a = L[p] @ U." A_DOC
                 "\nReturns:\n    tuple(array, array, array): p (uint32), L and U."),
    FASTCALL_DEF("lu_factor", f_lu_factor,
                 "lu_factor(a, *, stream=None)\n--\n\n"
                 "Compact LU factorization (LAPACK's getrf)." A_DOC
                 "\nReturns:\n    tuple(array, array): LU and the pivots (uint32, 0-based)."),
    FASTCALL_DEF("solve", f_solve,
                 "solve(a, b, *, stream=None)\n--\n\nSolve a x = b for x." A_DOC
                 "    b (array): Right-hand side: a vector (N) or matrices (..., N, K).\n\n"
                 "Returns:\n    array: The solution."),
    FASTCALL_DEF("solve_triangular", f_solve_triangular,
                 "solve_triangular(a, b, *, upper=False, stream=None)\n--\n\n"
                 "Solve a x = b for the triangular matrix in a's lower (upper) triangle." A_DOC
                 "    b (array): Right-hand side.\n    upper (bool, optional): Use the upper triangle.\n\n"
                 "Returns:\n    array: The solution."),
    FASTCALL_DEF("det", f_det, "det(a, *, stream=None)\n--\n\nThe determinant of a square matrix." A_DOC
                 "\nReturns:\n    array: The determinant."),
    FASTCALL_DEF("slogdet", f_slogdet,
                 "slogdet(a, *, stream=None)\n--\n\n"
                 "The sign and the natural log of the absolute value of the determinant." A_DOC
                 "\nReturns:\n    tuple(array, array): sign and logabsdet."),
    {NULL},
};

int linalg_module_init(PyObject *m, em_state *st) {
    (void)st;
    return py_add_submodule(m, "linalg", linalg_methods, "Linear algebra (mlx.core.linalg).");
}
