/* indexing.c -- array.__getitem__, __setitem__ and the x.at[idx] updates,
 * NumPy's indexing rules over the C library's ops.
 *
 *   - Basic indices (ints, slices, ..., None) read a view: em_slice, then
 *     em_squeeze and em_expand_dims.
 *   - Advanced indices (integer arrays and lists, and the ints among them)
 *     broadcast together and become one em_gather on the sliced view. Their
 *     broadcast dims go where the first advanced index was when the advanced
 *     indices are next to each other in the key, else first (NumPy's rule).
 *     Boolean masks are refused for reads, as MLX does.
 *   - An assignment broadcasts the value to the shape the read would have
 *     (leading 1s of the value dropped first), then: em_slice_update for
 *     basic keys, em_scatter for advanced ones (a partial slice becomes an
 *     arange index, a full or empty one a window), em_masked_scatter for a
 *     boolean mask alone. The Python array is rebound to the result, so
 *     every reference to it sees the change, as in MLX.
 *   - x.at[idx].add(v) and friends are the accumulating scatters (repeated
 *     indices accumulate); subtract adds -v and divide multiplies by 1/v, as
 *     MLX does.
 * Every failure is a Python exception; out-of-range array indices raise
 * IndexError when the result is evaluated (MLX does not check them). */
#include <string.h>

#include "pyember.h"

typedef enum { IX_INT, IX_SLICE, IX_NONE, IX_ELLIPSIS, IX_ARRAY, IX_MASK } ix_kind;

#define IX_MAX_KEY (2 * EM_MAX_NDIM)

typedef struct {
    ix_kind kind;
    em_array *arr;   /* IX_ARRAY, IX_MASK: a new reference */
    int64_t v;       /* IX_INT: the index, in range */
    int64_t start, stop, step; /* IX_SLICE: as em_slice takes them */
    int64_t first, count;      /* IX_SLICE: the first index and the length */
    int axis;        /* the axis of the array it indexes, -1 for None */
    bool full;       /* IX_SLICE: the whole axis, in order */
} ix_item;

typedef struct {
    int n;           /* the items: the ellipsis expanded, trailing axes as full slices */
    bool has_array;  /* an integer array is present: the ints are advanced too */
    bool adjacent;   /* the advanced items are next to each other in the key */
    bool mask;       /* the key is one boolean mask (assignments only) */
    ix_item it[IX_MAX_KEY + EM_MAX_NDIM];
} ix_index;

static void ix_free(ix_index *ix) {
    for (int i = 0; i < ix->n; i++) em_array_release(ix->it[i].arr);
    ix->n = 0;
}

/* An ember error as a Python exception (NULL-returning helpers). */
static em_array *raised(void) {
    py_raise_ember();
    return NULL;
}

static int unsupported_type(void) {
    PyErr_SetString(PyExc_ValueError, "Cannot index ember array using the given type.");
    return -1;
}

static const char *fmt_shape(const int64_t *s, int n, char *buf, size_t cap) {
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < n && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, i ? ",%lld" : "%lld", (long long)s[i]);
    if (k < cap) snprintf(buf + k, cap - k, ")");
    return buf;
}

static int int_value(PyObject *k, int64_t *v) {
    PyObject *idx = PyNumber_Index(k);
    if (!idx) return -1;
    long long x = PyLong_AsLongLong(idx);
    Py_DECREF(idx);
    if (x == -1 && PyErr_Occurred()) return -1;
    *v = x;
    return 0;
}

/* One item of the key, not yet placed on an axis. */
static int classify(em_state *st, PyObject *k, bool for_set, ix_item *it) {
    memset(it, 0, sizeof *it);
    it->axis = -1;
    if (k == Py_None) {
        it->kind = IX_NONE;
        return 0;
    }
    if (k == Py_Ellipsis) {
        it->kind = IX_ELLIPSIS;
        return 0;
    }
    if (PySlice_Check(k)) {
        it->kind = IX_SLICE;
        return 0;
    }
    if (PyBool_Check(k)) {
        /* MLX: a[True] = v sets everything; a[True] is refused */
        if (!for_set) return unsupported_type();
        it->kind = IX_MASK;
        it->arr = em_array_from_bool(k == Py_True);
        return it->arr ? 0 : (py_raise_ember(), -1);
    }
    if (PyLong_Check(k)) {
        it->kind = IX_INT;
        return int_value(k, &it->v);
    }
    if (py_is_array(st, k)) {
        em_array *a = py_array_arr(k);
        em_dtype_kind kind = em_dtype_kind_of(em_array_dtype(a));
        if (kind == EM_KIND_BOOL) {
            it->kind = IX_MASK;
        } else if (em_array_ndim(a) == 0 && (kind == EM_KIND_INT || kind == EM_KIND_UINT)) {
            it->kind = IX_INT;
            return int_value(k, &it->v);
        } else {
            it->kind = IX_ARRAY; /* other dtypes: the op names the bad dtype */
        }
        it->arr = em_array_retain(a);
        return 0;
    }
    if (PyIndex_Check(k) && !PySequence_Check(k)) { /* NumPy integer scalars */
        it->kind = IX_INT;
        return int_value(k, &it->v);
    }
    /* lists, and NumPy arrays (buffers that are sequences) */
    if (PyList_Check(k) || (PyObject_CheckBuffer(k) && PySequence_Check(k) && !PyBytes_Check(k) &&
                            !PyByteArray_Check(k))) {
        em_array *a = py_to_array(st, k, -1);
        if (!a) return -1;
        em_dtype dt = em_array_dtype(a);
        if (em_array_size(a) == 0 && em_dtype_kind_of(dt) != EM_KIND_INT &&
            em_dtype_kind_of(dt) != EM_KIND_UINT) {
            /* an empty list indexes nothing (NumPy); MLX reads it as float32 */
            em_array *c = em_astype(a, EM_INT32);
            em_array_release(a);
            if (!c) return (py_raise_ember(), -1);
            a = c;
            dt = EM_INT32;
        }
        it->kind = dt == EM_BOOL ? IX_MASK : IX_ARRAY;
        it->arr = a;
        return 0;
    }
    return unsupported_type();
}

/* A full slice item of axis `axis` (length dim). */
static void full_slice(ix_item *it, int axis, int64_t dim) {
    memset(it, 0, sizeof *it);
    it->kind = IX_SLICE;
    it->axis = axis;
    it->stop = dim;
    it->step = 1;
    it->count = dim;
    it->full = true;
}

/* Parses `key` for array a. On success ix holds the items (release with
 * ix_free); on failure a Python exception is set and ix holds nothing. */
static int ix_parse(em_state *st, em_array *a, PyObject *key, bool for_set, ix_index *ix) {
    ix->n = 0;
    ix->has_array = ix->mask = false;
    ix->adjacent = true;
    int nd = em_array_ndim(a);
    const int64_t *shape = em_array_shape(a);
    PyObject *tuple = PyTuple_Check(key) ? Py_NewRef(key) : PyTuple_Pack(1, key);
    if (!tuple) return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    if (n > IX_MAX_KEY) {
        Py_DECREF(tuple);
        PyErr_SetString(PyExc_IndexError, "Too many indices.");
        return -1;
    }
    ix_item raw[IX_MAX_KEY];
    int consuming = 0, ellipses = 0, nnew = 0, nmask = 0, first = -1, last = -1;
    Py_ssize_t got = 0;
    int rc = 0;
    for (; got < n; got++) {
        if (classify(st, PyTuple_GET_ITEM(tuple, got), for_set, &raw[got]) < 0) {
            rc = -1;
            break;
        }
        switch (raw[got].kind) {
        case IX_INT: case IX_SLICE: consuming++; break;
        case IX_ARRAY: consuming++; ix->has_array = true; break;
        case IX_ELLIPSIS: ellipses++; break;
        case IX_NONE: nnew++; break;
        case IX_MASK: nmask++; break;
        }
    }
    if (rc == 0 && nmask) {
        if (!for_set) {
            PyErr_SetString(PyExc_ValueError, "boolean indices are not yet supported");
            rc = -1;
        } else if (n != 1) {
            PyErr_SetString(PyExc_ValueError,
                            "Boolean masks are only supported as the sole index of an assignment.");
            rc = -1;
        } else {
            ix->it[0] = raw[0];
            ix->n = 1;
            ix->mask = true;
            Py_DECREF(tuple);
            return 0;
        }
    }
    if (rc == 0 && ellipses > 1) {
        PyErr_SetString(PyExc_ValueError, "An index can only have a single ellipsis (...)");
        rc = -1;
    }
    if (rc == 0 && consuming > nd) {
        if (nd == 0)
            PyErr_SetString(PyExc_ValueError, "too many indices for array: array is 0-dimensional");
        else
            PyErr_Format(PyExc_ValueError, "Too many indices for array with %d dimensions.", nd);
        rc = -1;
    }
    if (rc == 0 && nd + nnew > EM_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "Arrays may have at most %d dimensions.", EM_MAX_NDIM);
        rc = -1;
    }
    if (rc < 0) {
        for (Py_ssize_t i = 0; i < got; i++) em_array_release(raw[i].arr);
        Py_DECREF(tuple);
        return -1;
    }
    /* NumPy: advanced indices next to each other keep their place */
    for (Py_ssize_t i = 0; i < n; i++)
        if (raw[i].kind == IX_ARRAY || (ix->has_array && raw[i].kind == IX_INT)) {
            if (first < 0) first = (int)i;
            last = (int)i;
        }
    for (int i = first; i >= 0 && i <= last; i++)
        if (raw[i].kind != IX_ARRAY && raw[i].kind != IX_INT) ix->adjacent = false;
    int axis = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        ix_item *r = &raw[i];
        if (r->kind == IX_ELLIPSIS) {
            for (int j = 0; j < nd - consuming; j++, axis++) full_slice(&ix->it[ix->n++], axis, shape[axis]);
            continue;
        }
        ix_item *it = &ix->it[ix->n++];
        *it = *r;
        r->arr = NULL; /* moved */
        if (r->kind == IX_NONE) continue;
        it->axis = axis;
        int64_t dim = shape[axis];
        if (r->kind == IX_INT) {
            if (it->v < -dim || it->v >= dim) {
                PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis %d with size %lld",
                             (long long)it->v, axis, (long long)dim);
                rc = -1;
            }
            if (it->v < 0) it->v += dim;
        } else if (r->kind == IX_SLICE) {
            Py_ssize_t s0, s1, s2;
            if (PySlice_Unpack(PyTuple_GET_ITEM(tuple, i), &s0, &s1, &s2) < 0) {
                rc = -1;
            } else {
                Py_ssize_t len = PySlice_AdjustIndices((Py_ssize_t)dim, &s0, &s1, s2);
                /* Adjusted bounds are in [-1, dim]; -1 with a negative step means
                 * "before the first element", which em_slice spells -dim-1. */
                it->start = s0 < 0 ? -dim - 1 : s0;
                it->stop = s1 < 0 ? -dim - 1 : s1;
                it->step = s2;
                it->first = s0;
                it->count = len;
                it->full = s0 == 0 && len == dim && s2 == 1;
            }
        }
        axis++;
    }
    for (; axis < nd && rc == 0; axis++) full_slice(&ix->it[ix->n++], axis, shape[axis]);
    Py_DECREF(tuple);
    if (rc < 0) {
        for (Py_ssize_t i = 0; i < n; i++) em_array_release(raw[i].arr);
        ix_free(ix);
    }
    return rc;
}

/* ---------------------------------------------------------------- reads */

static em_array *get_basic(em_array *a, const ix_index *ix) {
    int nd = em_array_ndim(a);
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM], step[EM_MAX_NDIM];
    int squeeze[EM_MAX_NDIM], nsq = 0, newax[EM_MAX_NDIM], nnew = 0, out = 0;
    bool sliced = false;
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind == IX_NONE) {
            newax[nnew++] = out++;
        } else if (it->kind == IX_INT) {
            start[it->axis] = it->v;
            stop[it->axis] = it->v + 1;
            step[it->axis] = 1;
            squeeze[nsq++] = it->axis;
            sliced = true;
        } else {
            start[it->axis] = it->start;
            stop[it->axis] = it->stop;
            step[it->axis] = it->step;
            sliced = sliced || !it->full;
            out++;
        }
    }
    em_array *r = sliced ? em_slice(a, start, stop, step, nd) : em_array_retain(a);
    if (r && nsq) {
        em_array *t = em_squeeze(r, squeeze, nsq);
        em_array_release(r);
        r = t;
    }
    if (r && nnew) {
        em_array *t = em_expand_dims(r, newax, nnew);
        em_array_release(r);
        r = t;
    }
    return r;
}

/* Slices first (a view), then one gather over the advanced axes, whose
 * broadcast dims B are then moved and the Nones inserted. */
static em_array *get_advanced(em_array *a, const ix_index *ix) {
    int nd = em_array_ndim(a);
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM], step[EM_MAX_NDIM], sizes[EM_MAX_NDIM];
    bool sliced = false, adv[EM_MAX_NDIM] = {false};
    em_array *idx[EM_MAX_NDIM];
    int axes[EM_MAX_NDIM], nadv = 0, before = -1, nslices = 0;
    const int64_t *shape = em_array_shape(a);
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind == IX_NONE) continue;
        int d = it->axis;
        if (it->kind == IX_SLICE) {
            start[d] = it->start;
            stop[d] = it->stop;
            step[d] = it->step;
            sliced = sliced || !it->full;
            nslices++;
            continue;
        }
        start[d] = 0;
        stop[d] = shape[d];
        step[d] = 1;
        if (before < 0) before = nslices;
        adv[d] = true;
        axes[nadv] = d;
        idx[nadv++] = it->kind == IX_ARRAY ? em_array_retain(it->arr) : em_array_from_int(it->v, EM_INT64);
    }
    em_array *v = sliced ? em_slice(a, start, stop, step, nd) : em_array_retain(a);
    em_array *g = NULL;
    if (v) {
        for (int d = 0; d < nd; d++) sizes[d] = adv[d] ? 1 : em_array_shape(v)[d];
        g = em_gather(v, (const em_array *const *)idx, (size_t)nadv, axes, sizes, nd);
    }
    em_array_release(v);
    for (int k = 0; k < nadv; k++) em_array_release(idx[k]);
    if (!g) return NULL;
    /* g: B + the window; drop the window's advanced axes */
    int nb = em_array_ndim(g) - nd, m = 0;
    int64_t rshape[EM_MAX_NDIM];
    const int64_t *gs = em_array_shape(g);
    for (int k = 0; k < nb; k++) rshape[m++] = gs[k];
    for (int d = 0; d < nd; d++)
        if (!adv[d]) rshape[m++] = gs[nb + d];
    em_array *r = em_reshape(g, rshape, m);
    em_array_release(g);
    if (r && ix->adjacent && before > 0 && nb > 0) {
        int perm[EM_MAX_NDIM], q = 0;
        for (int k = 0; k < before; k++) perm[q++] = nb + k;
        for (int k = 0; k < nb; k++) perm[q++] = k;
        for (int k = nb + before; k < m; k++) perm[q++] = k;
        em_array *t = em_transpose(r, perm, m);
        em_array_release(r);
        r = t;
    }
    int newax[EM_MAX_NDIM], nnew = 0, pos = ix->adjacent ? 0 : nb;
    bool placed = !ix->adjacent;
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind == IX_NONE) newax[nnew++] = pos++;
        else if (it->kind == IX_SLICE) pos++;
        else if (!placed) {
            pos += nb;
            placed = true;
        }
    }
    if (r && nnew) {
        em_array *t = em_expand_dims(r, newax, nnew);
        em_array_release(r);
        r = t;
    }
    return r;
}

PyObject *py_array_getitem(PyObject *self, PyObject *key) {
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return NULL;
    em_array *a = py_array_arr(self);
    ix_index ix;
    if (ix_parse(st, a, key, false, &ix) < 0) return NULL;
    em_array *r = ix.has_array ? get_advanced(a, &ix) : get_basic(a, &ix);
    ix_free(&ix);
    return py_array_wrap(st, r);
}

/* ---------------------------------------------------------------- writes */

typedef enum { UPD_SET, UPD_ADD, UPD_SUBTRACT, UPD_MULTIPLY, UPD_DIVIDE, UPD_MAXIMUM, UPD_MINIMUM } upd_op;

/* What each dim of the read's shape G comes from. */
typedef enum { G_B, G_SLICE, G_NONE } g_kind;
typedef struct { g_kind kind; int item; } g_dim;

/* The broadcast shape B of the advanced items (ints are 0-d). */
static int adv_shape(const ix_index *ix, int64_t *b) {
    int nb = 0;
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind != IX_ARRAY) continue;
        int n = em_array_ndim(it->arr);
        const int64_t *s = em_array_shape(it->arr);
        int m = n > nb ? n : nb;
        int64_t out[EM_MAX_NDIM];
        for (int k = 0; k < m; k++) {
            int64_t x = k < m - nb ? 1 : b[k - (m - nb)], y = k < m - n ? 1 : s[k - (m - n)];
            if (x != y && x != 1 && y != 1) {
                char s1[512], s2[512];
                PyErr_Format(PyExc_ValueError, "[broadcast_shapes] Shapes %s and %s cannot be broadcast.",
                             fmt_shape(b, nb, s1, sizeof s1), fmt_shape(s, n, s2, sizeof s2));
                return -1;
            }
            out[k] = x == 1 ? y : x;
        }
        memcpy(b, out, (size_t)m * sizeof *b);
        nb = m;
    }
    return nb;
}

/* The shape G of a[key] (B of rank nb placed by NumPy's rule) and where each
 * of its dims comes from. Returns G's rank. */
static int read_shape(const ix_index *ix, const int64_t *b, int nb, int64_t *g, g_dim *lab) {
    int ng = 0;
    bool placed = false;
    if (!ix->adjacent) {
        for (int k = 0; k < nb; k++) g[ng] = b[k], lab[ng++] = (g_dim){G_B, k};
        placed = true;
    }
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind == IX_NONE) {
            g[ng] = 1;
            lab[ng++] = (g_dim){G_NONE, i};
        } else if (it->kind == IX_SLICE) {
            g[ng] = it->count;
            lab[ng++] = (g_dim){G_SLICE, i};
        } else if (!placed) {
            for (int k = 0; k < nb; k++) g[ng] = b[k], lab[ng++] = (g_dim){G_B, k};
            placed = true;
        }
    }
    return ng;
}

/* The value with G's rank: leading 1s dropped while it has more dims, or 1s
 * added; it must broadcast to G. A new reference, or NULL with an exception. */
static em_array *fit_value(em_array *v, const int64_t *g, int ng) {
    int vn = em_array_ndim(v), lead = 0;
    const int64_t *vs = em_array_shape(v);
    while (vn - lead > ng && vs[lead] == 1) lead++;
    bool ok = vn - lead <= ng;
    int64_t shape[EM_MAX_NDIM];
    for (int k = 0; k < ng && ok; k++) {
        int j = k - (ng - (vn - lead));
        shape[k] = j < 0 ? 1 : vs[lead + j];
        ok = shape[k] == g[k] || shape[k] == 1;
    }
    if (!ok) {
        char s1[512], s2[512];
        PyErr_Format(PyExc_ValueError, "Cannot broadcast array of shape %s into shape %s.",
                     fmt_shape(vs, vn, s1, sizeof s1), fmt_shape(g, ng, s2, sizeof s2));
        return NULL;
    }
    em_array *r = em_reshape(v, shape, ng);
    return r ? r : raised();
}

/* a[key] = v with a basic key: one slice_update. */
static em_array *set_basic(em_array *a, const ix_index *ix, em_array *v) {
    int nd = em_array_ndim(a);
    int64_t g[EM_MAX_NDIM], start[EM_MAX_NDIM], stop[EM_MAX_NDIM], step[EM_MAX_NDIM], us[EM_MAX_NDIM];
    g_dim lab[EM_MAX_NDIM];
    int ng = read_shape(ix, NULL, 0, g, lab);
    em_array *f = fit_value(v, g, ng);
    if (!f) return NULL;
    const int64_t *fs = em_array_shape(f);
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind == IX_INT) {
            start[it->axis] = it->v;
            stop[it->axis] = it->v + 1;
            step[it->axis] = 1;
            us[it->axis] = 1;
        } else if (it->kind == IX_SLICE) {
            start[it->axis] = it->start;
            stop[it->axis] = it->stop;
            step[it->axis] = it->step;
        }
    }
    for (int k = 0; k < ng; k++)
        if (lab[k].kind == G_SLICE) us[ix->it[lab[k].item].axis] = fs[k];
    em_array *u = em_reshape(f, us, nd);
    em_array *r = u ? em_slice_update(a, u, start, stop, step, nd) : NULL;
    em_array_release(f);
    em_array_release(u);
    return r ? r : raised();
}

/* Whether a slice is a window of the scatter (the whole axis; or nothing,
 * so that the indices of an empty selection are still checked, as NumPy
 * does) rather than an arange index. Its window size is its length. */
static bool is_window(const ix_item *it) {
    return it->kind == IX_SLICE && (it->full || it->count == 0);
}

/* A scatter for a[key] = v or x.at[key].op(v): the advanced items and the
 * partial slices index (broadcast to B + C, C the slices' lengths), the
 * full slices are windows; the value, laid out as B + C + window,
 * broadcasts to it. */
static em_array *scatter_update(em_array *a, const ix_index *ix, em_array *v, upd_op op) {
    int64_t b[EM_MAX_NDIM], g[2 * EM_MAX_NDIM];
    g_dim lab[2 * EM_MAX_NDIM];
    int nb = adv_shape(ix, b);
    if (nb < 0) return NULL;
    int ng = read_shape(ix, b, nb, g, lab);
    if (ng > EM_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "Arrays may have at most %d dimensions.", EM_MAX_NDIM);
        return NULL;
    }
    em_array *f = fit_value(v, g, ng);
    if (!f) return NULL;
    /* the value's dims in the order B, partial slices, windows, Nones */
    int perm[EM_MAX_NDIM], q = 0, np_ = 0;
    for (int k = 0; k < ng; k++)
        if (lab[k].kind == G_B) perm[q++] = k;
    for (int k = 0; k < ng; k++)
        if (lab[k].kind == G_SLICE && !is_window(&ix->it[lab[k].item])) perm[q++] = k, np_++;
    int nfull_at = q;
    for (int k = 0; k < ng; k++)
        if (lab[k].kind == G_SLICE && is_window(&ix->it[lab[k].item])) perm[q++] = k;
    for (int k = 0; k < ng; k++)
        if (lab[k].kind == G_NONE) perm[q++] = k;
    em_array *t = em_transpose(f, perm, ng);
    em_array_release(f);
    if (!t) return raised();
    /* as B + C + window (the Nones dropped, 1s on the indexed axes) */
    const int64_t *ts = em_array_shape(t);
    int64_t us[3 * EM_MAX_NDIM], target[3 * EM_MAX_NDIM];
    int nu = 0, full_k = nfull_at;
    for (int k = 0; k < nb + np_; k++) {
        us[nu] = ts[k];
        target[nu++] = k < nb ? b[k] : 0; /* C filled below */
    }
    for (int i = 0, c = nb; i < ix->n; i++)
        if (ix->it[i].kind == IX_SLICE && !is_window(&ix->it[i])) target[c++] = ix->it[i].count;
    for (int i = 0; i < ix->n; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind == IX_NONE) continue;
        bool window = is_window(it);
        us[nu] = window ? ts[full_k++] : 1;
        target[nu++] = window ? it->count : 1;
    }
    em_array *u = em_reshape(t, us, nu);
    em_array_release(t);
    em_array *ub = u ? em_broadcast_to(u, target, nu) : NULL;
    em_array_release(u);
    if (!ub) return raised();
    /* the index arrays, shaped to broadcast to B + C */
    em_array *idx[EM_MAX_NDIM];
    int axes[EM_MAX_NDIM], n = 0;
    bool ok = true;
    for (int i = 0; i < ix->n && ok; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind != IX_ARRAY && it->kind != IX_INT) continue;
        em_array *x = it->kind == IX_ARRAY ? em_array_retain(it->arr) : em_array_from_int(it->v, EM_INT64);
        int xn = x ? em_array_ndim(x) : 0;
        int64_t xs[2 * EM_MAX_NDIM];
        if (x) memcpy(xs, em_array_shape(x), (size_t)xn * sizeof *xs);
        for (int k = 0; k < np_; k++) xs[xn + k] = 1;
        idx[n] = x && xn + np_ <= EM_MAX_NDIM ? em_reshape(x, xs, xn + np_) : NULL;
        em_array_release(x);
        axes[n] = it->axis;
        ok = idx[n++] != NULL;
    }
    for (int i = 0, c = 0; i < ix->n && ok; i++) {
        const ix_item *it = &ix->it[i];
        if (it->kind != IX_SLICE || is_window(it)) continue;
        em_array *r = em_arange((double)it->first, (double)it->first + (double)it->count * (double)it->step,
                                (double)it->step, EM_INT64);
        int64_t rs[EM_MAX_NDIM];
        rs[0] = it->count;
        for (int k = 1; k < np_ - c; k++) rs[k] = 1;
        idx[n] = r ? em_reshape(r, rs, np_ - c) : NULL;
        em_array_release(r);
        axes[n] = it->axis;
        ok = idx[n++] != NULL;
        c++;
    }
    em_array *r = NULL;
    if (ok) {
        const em_array *const *ci = (const em_array *const *)idx;
        switch (op) {
        case UPD_SET: r = em_scatter(a, ci, (size_t)n, ub, axes); break;
        case UPD_ADD: case UPD_SUBTRACT: r = em_scatter_add(a, ci, (size_t)n, ub, axes); break;
        case UPD_MULTIPLY: case UPD_DIVIDE: r = em_scatter_prod(a, ci, (size_t)n, ub, axes); break;
        case UPD_MAXIMUM: r = em_scatter_max(a, ci, (size_t)n, ub, axes); break;
        case UPD_MINIMUM: r = em_scatter_min(a, ci, (size_t)n, ub, axes); break;
        }
    }
    for (int k = 0; k < n; k++) em_array_release(idx[k]);
    em_array_release(ub);
    return r ? r : raised();
}

/* The value of an assignment into an array of dtype dt: Python scalars are
 * weak (MLX: a[i] = 2**40 on int32 overflows), the rest converts as
 * mx.array would. */
static em_array *value_array(em_state *st, PyObject *value, em_dtype dt) {
    operand_kind k = py_operand_kind(st, value);
    if (k == OPND_BOOL || k == OPND_INT || k == OPND_FLOAT || k == OPND_COMPLEX)
        return py_weak_scalar(value, k, dt);
    return py_arg_array(st, value, "__setitem__", "value");
}

/* a with key updated by value (op): a new reference, or NULL with an
 * exception. */
static em_array *update(em_state *st, em_array *a, PyObject *key, PyObject *value, upd_op op) {
    ix_index ix;
    if (ix_parse(st, a, key, true, &ix) < 0) return NULL;
    em_array *v = value_array(st, value, em_array_dtype(a)), *r = NULL;
    if (v && (op == UPD_SUBTRACT || op == UPD_DIVIDE)) {
        em_array *c = em_astype(v, em_array_dtype(a));
        em_array *w = c ? (op == UPD_SUBTRACT ? em_negative(c) : em_reciprocal(c)) : NULL;
        em_array_release(c);
        em_array_release(v);
        v = w ? w : raised();
    }
    if (!v) {
    } else if (ix.mask && op != UPD_SET) {
        PyErr_SetString(PyExc_ValueError, "Boolean masks are not supported in x.at[] updates.");
    } else if (ix.mask) {
        r = em_masked_scatter(a, ix.it[0].arr, v);
        if (!r) raised();
    } else if (op == UPD_SET && !ix.has_array) {
        r = set_basic(a, &ix, v);
    } else {
        r = scatter_update(a, &ix, v, op);
    }
    em_array_release(v);
    ix_free(&ix);
    return r;
}

int py_array_setitem(PyObject *self, PyObject *key, PyObject *value) {
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "ember arrays do not support item deletion.");
        return -1;
    }
    em_state *st = state_of_type(Py_TYPE(self));
    if (!st) return -1;
    em_array *r = update(st, py_array_arr(self), key, value, UPD_SET);
    if (!r) return -1;
    em_array *old = ((ArrayObject *)self)->arr;
    ((ArrayObject *)self)->arr = r;
    em_array_release(old);
    return 0;
}

PyObject *py_array_at_update(PyObject *array, PyObject *key, PyObject *value, const char *op) {
    static const struct { const char *name; upd_op op; } ops[] = {
        {"add", UPD_ADD}, {"subtract", UPD_SUBTRACT}, {"multiply", UPD_MULTIPLY},
        {"divide", UPD_DIVIDE}, {"maximum", UPD_MAXIMUM}, {"minimum", UPD_MINIMUM},
    };
    em_state *st = state_of_type(Py_TYPE(array));
    if (!st) return NULL;
    if (!py_is_array(st, array)) {
        PyErr_SetString(PyExc_TypeError, "ArrayAt: the indexed object is not an array.");
        return NULL;
    }
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(ops[i].name, op) == 0) {
            em_array *r = update(st, py_array_arr(array), key, value, ops[i].op);
            return r ? py_array_wrap(st, r) : NULL;
        }
    PyErr_Format(PyExc_ValueError, "ArrayAt: unknown update %s.", op);
    return NULL;
}
