/* io.c -- file I/O: mx.save, mx.load, mx.savez, mx.savez_compressed,
 * mx.save_safetensors and mx.save_gguf, with MLX's signatures, defaults and
 * messages. Files are paths (str, bytes, os.PathLike) or file objects: load
 * reads through seek/read, save writes through write. */
#include <string.h>

#include "pyember.h"

#define FASTCALL_ARGS PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define FASTCALL_DEF(name, fn, doc) \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL | METH_KEYWORDS, doc}

/* ---------------------------------------------------------------- errors */

/* A file problem (EM_ERR_IO) raises ember.core._FileError, which is both a
 * RuntimeError (what MLX raises for unreadable files) and an OSError (what
 * ember maps EM_ERR_IO to). A Python exception raised by a file object's
 * methods wins over the ember error it caused. */
static PyObject *raise_io(em_state *st) {
    if (PyErr_Occurred()) {
        em_error_clear();
        return NULL;
    }
    if (em_error_code() == EM_ERR_IO) {
        PyErr_SetString(st->file_error, em_error_message());
        em_error_clear();
        return NULL;
    }
    return py_raise_ember();
}

/* ---------------------------------------------------------------- files */

typedef struct {
    PyObject *path;     /* bytes (os.fsencode) when the file is a path, else NULL */
    PyObject *obj;      /* the file object otherwise (borrowed) */
    PyObject *name;     /* str for messages (new reference) */
} file_arg;

static void file_clear(file_arg *f) {
    Py_CLEAR(f->path);
    Py_CLEAR(f->name);
}

/* Reads the `file` argument: a path (with `ext` appended when it lacks it and
 * ext is given) or an object with the methods `need` names. */
static int file_parse(PyObject *o, const char *op, const char *ext, bool writing, file_arg *f) {
    memset(f, 0, sizeof *f);
    if (PyUnicode_Check(o) || PyBytes_Check(o) || PyObject_HasAttrString(o, "__fspath__")) {
        PyObject *p = PyOS_FSPath(o);
        if (!p) return -1;
        if (PyUnicode_Check(p)) {
            Py_SETREF(p, PyUnicode_EncodeFSDefault(p));
            if (!p) return -1;
        }
        if (strlen(PyBytes_AS_STRING(p)) != (size_t)PyBytes_GET_SIZE(p)) {
            Py_DECREF(p);
            PyErr_Format(PyExc_ValueError, "[%s] The file name holds a null character.", op);
            return -1;
        }
        size_t n = (size_t)PyBytes_GET_SIZE(p), el = ext ? strlen(ext) : 0;
        if (ext && (n < el || memcmp(PyBytes_AS_STRING(p) + n - el, ext, el) != 0)) {
            PyObject *q = PyBytes_FromFormat("%s%s", PyBytes_AS_STRING(p), ext);
            Py_DECREF(p);
            if (!(p = q)) return -1;
        }
        f->path = p;
        f->name = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(p));
        return f->name ? 0 : (file_clear(f), -1);
    }
    bool ok = writing ? PyObject_HasAttrString(o, "write")
                      : PyObject_HasAttrString(o, "read") && PyObject_HasAttrString(o, "seek") &&
                            PyObject_HasAttrString(o, "tell");
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "[%s] Input must be a file-like object, or string", op);
        return -1;
    }
    f->obj = o;
    PyObject *nm = PyObject_GetAttrString(o, "name");
    if (nm && PyUnicode_Check(nm)) f->name = nm;
    else {
        Py_XDECREF(nm);
        PyErr_Clear();
        f->name = PyUnicode_FromString("<file object>");
    }
    return f->name ? 0 : -1;
}

/* ---------------------------------------------------------------- reading */

typedef struct {
    PyObject *file;
    uint64_t start;
} pyreader;

static em_status py_read_at(void *vctx, uint64_t off, void *dst, size_t n) {
    pyreader *r = vctx;
    PyObject *pos = PyObject_CallMethod(r->file, "seek", "K", (unsigned long long)(r->start + off));
    if (!pos) return em_error_set(EM_ERR_IO, "[load] Seeking in the file object failed.");
    Py_DECREF(pos);
    char *p = dst;
    while (n) {
        size_t want = n > ((size_t)64 << 20) ? (size_t)64 << 20 : n;
        PyObject *b = PyObject_CallMethod(r->file, "read", "n", (Py_ssize_t)want);
        if (!b) return em_error_set(EM_ERR_IO, "[load] Reading the file object failed.");
        Py_buffer v;
        if (PyObject_GetBuffer(b, &v, PyBUF_SIMPLE) < 0) {
            Py_DECREF(b);
            return em_error_set(EM_ERR_IO, "[load] The file object's read() did not return bytes.");
        }
        size_t got = (size_t)v.len;
        if (got > want) got = 0; /* a broken read(): treated as the end */
        if (got) memcpy(p, v.buf, got);
        PyBuffer_Release(&v);
        Py_DECREF(b);
        if (got == 0) return em_error_set(EM_ERR_IO, "[load] The file object ended early.");
        p += got;
        n -= got;
    }
    return EM_OK;
}

/* Loads a map from f in `format`. */
static em_map *load_map(file_arg *f, em_file_format format) {
    if (f->path) return em_load(PyBytes_AS_STRING(f->path), format, 0);
    PyObject *t = PyObject_CallMethod(f->obj, "tell", NULL);
    if (!t) return NULL;
    unsigned long long start = PyLong_AsUnsignedLongLong(t);
    Py_DECREF(t);
    if (PyErr_Occurred()) return NULL;
    PyObject *e = PyObject_CallMethod(f->obj, "seek", "ii", 0, 2);
    if (!e) return NULL;
    unsigned long long end = PyLong_AsUnsignedLongLong(e);
    Py_DECREF(e);
    if (PyErr_Occurred()) return NULL;
    pyreader ctx = {f->obj, start};
    em_reader r = {&ctx, end > start ? end - start : 0, py_read_at};
    const char *name = PyUnicode_AsUTF8(f->name);
    if (!name) return NULL;
    em_map *m = em_load_reader(&r, format, name, 0);
    /* leave the object at the end of what was read (unless a method raised) */
    if (PyErr_Occurred()) {
        em_map_free(m);
        return NULL;
    }
    PyObject *back = PyObject_CallMethod(f->obj, "seek", "K", end);
    if (back) Py_DECREF(back);
    else {
        em_map_free(m);
        return NULL;
    }
    return m;
}

static PyObject *utf8(const char *s, size_t n) { return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict"); }

static PyObject *metadata_dict(em_state *st, const em_map *m) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < em_map_meta_size(m); i++) {
        size_t kl;
        const char *k = em_map_meta_key(m, i, &kl);
        PyObject *key = utf8(k, kl), *v = NULL;
        switch (em_map_meta_kind(m, i)) {
        case EM_META_STRING: {
            size_t n;
            const char *s = em_map_meta_string(m, i, &n);
            v = utf8(s, n);
            break;
        }
        case EM_META_ARRAY: v = py_array_wrap(st, em_map_meta_array(m, i)); break;
        case EM_META_STRINGS: {
            size_t c = em_map_meta_count(m, i);
            v = PyList_New((Py_ssize_t)c);
            for (size_t j = 0; v && j < c; j++) {
                size_t n;
                const char *s = em_map_meta_item(m, i, j, &n);
                PyObject *x = utf8(s, n);
                if (!x) Py_CLEAR(v);
                else PyList_SET_ITEM(v, (Py_ssize_t)j, x);
            }
            break;
        }
        }
        if (!key || !v || PyDict_SetItem(d, key, v) < 0) Py_CLEAR(d);
        Py_XDECREF(key);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *arrays_dict(em_state *st, const em_map *m) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < em_map_size(m); i++) {
        size_t kl;
        const char *k = em_map_key(m, i, &kl);
        PyObject *key = utf8(k, kl), *v = py_array_wrap(st, em_map_at(m, i));
        if (!key || !v || PyDict_SetItem(d, key, v) < 0) Py_CLEAR(d);
        Py_XDECREF(key);
        Py_XDECREF(v);
    }
    return d;
}

static const char *const formats[] = {"", "npy", "npz", "safetensors", "gguf"};

/* The format a name's extension gives (MLX's rules and messages). */
static int format_of(PyObject *name, const char *given) {
    const char *ext = given;
    if (!ext) {
        const char *s = PyUnicode_AsUTF8(name);
        if (!s) return -1;
        const char *dot = strrchr(s, '.');
        if (!dot) {
            PyErr_SetString(PyExc_ValueError, "[load] Could not infer file format from extension");
            return -1;
        }
        ext = dot + 1;
    }
    for (int f = EM_FORMAT_NPY; f <= EM_FORMAT_GGUF; f++)
        if (strcmp(ext, formats[f]) == 0) return f;
    PyErr_Format(PyExc_ValueError, "[load] Unknown file format %s", ext);
    return -1;
}

static PyObject *f_load(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "load", 1, 3, 1, true, "file", "format", "return_metadata");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    const char *given = NULL;
    if (a[1] && a[1] != Py_None) {
        if (!PyUnicode_Check(a[1])) {
            PyErr_Format(PyExc_TypeError, "load(): format must be a string, not %.100s.",
                         Py_TYPE(a[1])->tp_name);
            return NULL;
        }
        if (!(given = PyUnicode_AsUTF8(a[1]))) return NULL;
    }
    bool meta = false;
    if (py_arg_bool(a[2], "load", "return_metadata", &meta) < 0) return NULL;
    file_arg f;
    if (file_parse(a[0], "load", NULL, false, &f) < 0) return NULL;
    PyObject *r = NULL;
    int fmt = format_of(f.name, given);
    if (fmt < 0) goto done;
    if (meta && (fmt == EM_FORMAT_NPY || fmt == EM_FORMAT_NPZ)) {
        PyErr_Format(PyExc_ValueError, "[load] metadata not supported for format %s", formats[fmt]);
        goto done;
    }
    em_map *mp = load_map(&f, (em_file_format)fmt);
    if (!mp) {
        raise_io(st);
        goto done;
    }
    if (fmt == EM_FORMAT_NPY) {
        r = py_array_wrap(st, em_map_at(mp, 0));
    } else {
        r = arrays_dict(st, mp);
        if (r && meta) {
            PyObject *md = metadata_dict(st, mp);
            Py_SETREF(r, md ? PyTuple_Pack(2, r, md) : NULL);
            Py_XDECREF(md);
        }
    }
    em_map_free(mp);
done:
    file_clear(&f);
    return r;
}

/* ---------------------------------------------------------------- writing */

static em_status py_write(void *ctx, const void *src, size_t n) {
    PyObject *file = ctx;
    const char *p = src;
    while (n) {
        /* copies, so that a file object keeping what it was given never sees
         * memory ember frees later */
        size_t chunk = n > ((size_t)16 << 20) ? (size_t)16 << 20 : n;
        PyObject *b = PyBytes_FromStringAndSize(p, (Py_ssize_t)chunk);
        PyObject *r = b ? PyObject_CallMethod(file, "write", "O", b) : NULL;
        Py_XDECREF(b);
        if (!r) return em_error_set(EM_ERR_IO, "[save] Writing to the file object failed.");
        size_t done = chunk;
        if (PyLong_Check(r)) {
            Py_ssize_t k = PyLong_AsSsize_t(r);
            if (k >= 0 && (size_t)k < chunk) done = (size_t)k;
            if (k == 0) {
                Py_DECREF(r);
                return em_error_set(EM_ERR_IO, "[save] The file object wrote nothing.");
            }
        }
        Py_DECREF(r);
        p += done;
        n -= done;
    }
    return EM_OK;
}

/* Saves map mp to f in format; returns None or NULL with an exception. */
static PyObject *save_map(em_state *st, file_arg *f, em_file_format format, em_map *mp,
                          unsigned flags) {
    em_status s;
    if (f->path) {
        s = em_save(PyBytes_AS_STRING(f->path), format, mp, flags);
    } else {
        em_writer w = {f->obj, py_write};
        const char *name = PyUnicode_AsUTF8(f->name);
        s = name ? em_save_writer(&w, format, mp, name, flags) : EM_ERR_VALUE;
    }
    if (s != EM_OK) return raise_io(st);
    Py_RETURN_NONE;
}

/* A str key as UTF-8 without NULs. */
static const char *key_utf8(PyObject *k, const char *op) {
    if (!PyUnicode_Check(k)) {
        PyErr_Format(PyExc_TypeError, "%s(): array names must be strings, not %.100s.", op,
                     Py_TYPE(k)->tp_name);
        return NULL;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(k, &n);
    if (s && strlen(s) != (size_t)n) {
        PyErr_Format(PyExc_ValueError, "[%s] The name '%U' holds a null character.", op, k);
        return NULL;
    }
    return s;
}

static int put_array(em_state *st, em_map *mp, const char *key, PyObject *v, const char *op) {
    if (!py_is_array(st, v)) {
        PyErr_Format(PyExc_TypeError, "%s(): the value of '%s' must be an array, not %.100s.", op,
                     key, Py_TYPE(v)->tp_name);
        return -1;
    }
    return py_check(em_map_set(mp, key, py_array_arr(v)));
}

static PyObject *f_save(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "save", 0, 2, 2, false, "file", "arr");
    PyObject *a[2];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    if (!py_is_array(st, a[1])) {
        PyErr_Format(PyExc_TypeError, "save(): arr must be an array, not %.100s.",
                     Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    file_arg f;
    if (file_parse(a[0], "save", ".npy", true, &f) < 0) return NULL;
    em_map *mp = em_map_new();
    PyObject *r = NULL;
    if (!mp) py_raise_ember();
    else if (py_check(em_map_set(mp, "", py_array_arr(a[1]))) == 0)
        r = save_map(st, &f, EM_FORMAT_NPY, mp, 0);
    em_map_free(mp);
    file_clear(&f);
    return r;
}

static PyObject *savez_impl(PyObject *m, PyObject *args, PyObject *kwargs, bool compress) {
    em_state *st = state_of_module(m);
    const char *op = compress ? "savez_compressed" : "savez";
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n < 1) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'file' (pos 1)", op);
        return NULL;
    }
    em_map *mp = em_map_new();
    if (!mp) return py_raise_ember();
    file_arg f = {0};
    PyObject *r = NULL;
    /* keywords first, then the positional arrays as arr_0, arr_1, ... (NumPy's order) */
    if (kwargs) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(kwargs, &pos, &k, &v)) {
            const char *key = key_utf8(k, op);
            if (!key || put_array(st, mp, key, v, op) < 0) goto done;
        }
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "arr_%zd", i - 1);
        if (kwargs) {
            PyObject *k = PyUnicode_FromString(key);
            int has = k ? PyDict_Contains(kwargs, k) : -1;
            Py_XDECREF(k);
            if (has < 0) goto done;
            if (has) {
                PyErr_Format(PyExc_ValueError, "[%s] Cannot use un-named variables and keyword %s",
                             op, key);
                goto done;
            }
        }
        if (put_array(st, mp, key, PyTuple_GET_ITEM(args, i), op) < 0) goto done;
    }
    if (file_parse(PyTuple_GET_ITEM(args, 0), op, ".npz", true, &f) < 0) goto done;
    r = save_map(st, &f, EM_FORMAT_NPZ, mp, compress ? EM_IO_COMPRESS : 0);
done:
    em_map_free(mp);
    file_clear(&f);
    return r;
}

static PyObject *f_savez(PyObject *m, PyObject *args, PyObject *kwargs) {
    return savez_impl(m, args, kwargs, false);
}
static PyObject *f_savez_compressed(PyObject *m, PyObject *args, PyObject *kwargs) {
    return savez_impl(m, args, kwargs, true);
}

/* The `arrays` dict of save_safetensors / save_gguf into mp. */
static int arrays_arg(em_state *st, PyObject *o, em_map *mp, const char *op) {
    if (!PyDict_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): arrays must be a dict of names to arrays, not %.100s.",
                     op, Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v)) {
        const char *key = key_utf8(k, op);
        if (!key || put_array(st, mp, key, v, op) < 0) return -1;
    }
    return 0;
}

static PyObject *f_save_safetensors(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "save_safetensors", 0, 3, 2, false, "file", "arrays", "metadata");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_map *mp = em_map_new();
    if (!mp) return py_raise_ember();
    file_arg f = {0};
    PyObject *r = NULL;
    if (arrays_arg(st, a[1], mp, "save_safetensors") < 0) goto done;
    if (a[2] && a[2] != Py_None) {
        bool ok = PyDict_Check(a[2]);
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (ok && PyDict_Next(a[2], &pos, &k, &v)) {
            ok = PyUnicode_Check(k) && PyUnicode_Check(v);
            const char *ks = ok ? key_utf8(k, "save_safetensors") : NULL;
            Py_ssize_t vn;
            const char *vs = ks ? PyUnicode_AsUTF8AndSize(v, &vn) : NULL;
            if (ok && (!ks || !vs)) goto done;
            if (ok && strlen(vs) != (size_t)vn) {
                PyErr_SetString(PyExc_ValueError,
                                "[save_safetensors] A metadata value holds a null character.");
                goto done;
            }
            if (ok && py_check(em_map_set_meta_string(mp, ks, vs)) < 0) goto done;
        }
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "[save_safetensors] Metadata must be a dictionary "
                                              "with string keys and values");
            goto done;
        }
    }
    if (file_parse(a[0], "save_safetensors", ".safetensors", true, &f) < 0) goto done;
    r = save_map(st, &f, EM_FORMAT_SAFETENSORS, mp, 0);
done:
    em_map_free(mp);
    file_clear(&f);
    return r;
}

static int gguf_meta(em_state *st, em_map *mp, const char *key, PyObject *v) {
    if (py_is_array(st, v)) return py_check(em_map_set_meta_array(mp, key, py_array_arr(v)));
    if (PyUnicode_Check(v)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(v, &n);
        if (!s) return -1;
        if (strlen(s) != (size_t)n) {
            PyErr_SetString(PyExc_ValueError, "[save_gguf] A metadata string holds a null character.");
            return -1;
        }
        return py_check(em_map_set_meta_string(mp, key, s));
    }
    if (PyList_Check(v)) {
        Py_ssize_t n = PyList_GET_SIZE(v);
        const char **items = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *items);
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        int rc = 0;
        for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
            PyObject *x = PyList_GET_ITEM(v, i);
            Py_ssize_t xn;
            items[i] = PyUnicode_Check(x) ? PyUnicode_AsUTF8AndSize(x, &xn) : NULL;
            if (!items[i]) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_ValueError, "[save_gguf] The list '%s' must hold only strings.", key);
                rc = -1;
            } else if (strlen(items[i]) != (size_t)xn) {
                PyErr_SetString(PyExc_ValueError, "[save_gguf] A metadata string holds a null character.");
                rc = -1;
            }
        }
        if (rc == 0) rc = py_check(em_map_set_meta_strings(mp, key, items, (size_t)n));
        PyMem_Free(items);
        return rc;
    }
    PyErr_Format(PyExc_ValueError, "[save_gguf] Metadata values must be arrays, strings or lists of "
                                   "strings; '%s' is %.100s.", key, Py_TYPE(v)->tp_name);
    return -1;
}

static PyObject *f_save_gguf(FASTCALL_ARGS) {
    em_state *st = state_of_module(m);
    PY_ARGSPEC(spec, "save_gguf", 0, 3, 2, false, "file", "arrays", "metadata");
    PyObject *a[3];
    if (py_parse(st, &spec, args, nargs, kwnames, a) < 0) return NULL;
    em_map *mp = em_map_new();
    if (!mp) return py_raise_ember();
    file_arg f = {0};
    PyObject *r = NULL;
    if (arrays_arg(st, a[1], mp, "save_gguf") < 0) goto done;
    if (a[2] && a[2] != Py_None) {
        if (!PyDict_Check(a[2])) {
            PyErr_Format(PyExc_TypeError, "save_gguf(): metadata must be a dict, not %.100s.",
                         Py_TYPE(a[2])->tp_name);
            goto done;
        }
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(a[2], &pos, &k, &v)) {
            const char *key = key_utf8(k, "save_gguf");
            if (!key || gguf_meta(st, mp, key, v) < 0) goto done;
        }
    }
    if (file_parse(a[0], "save_gguf", ".gguf", true, &f) < 0) goto done;
    r = save_map(st, &f, EM_FORMAT_GGUF, mp, 0);
done:
    em_map_free(mp);
    file_clear(&f);
    return r;
}

/* ---------------------------------------------------------------- table */

PyMethodDef py_io_methods[] = {
    FASTCALL_DEF("save", f_save,
                 "save(file, arr)\n--\n\nSave the array to a binary file in ``.npy`` format.\n\n"
                 "Args:\n    file (str, pathlib.Path, file): File to which the array is saved\n"
                 "      (``.npy`` is appended to a path without it).\n"
                 "    arr (array): Array to be saved."),
    FASTCALL_DEF("load", f_load,
                 "load(file, /, format=None, return_metadata=False, *, stream=None)\n--\n\n"
                 "Load array(s) from a binary file: ``.npy``, ``.npz``, ``.safetensors`` or\n"
                 "``.gguf``.\n\nArgs:\n    file (file, str, pathlib.Path): File in which the array is saved.\n"
                 "    format (str, optional): Format of the file. If ``None``, the format is\n"
                 "      inferred from the file extension. Default: ``None``.\n"
                 "    return_metadata (bool, optional): Also return the metadata (safetensors\n"
                 "      and gguf) as a second dictionary. Default: ``False``.\n\n"
                 "Returns:\n    array, dict, or tuple: an array for ``.npy``, else a dict of names to\n"
                 "    arrays, with the metadata dict after it when ``return_metadata``."),
    {"savez", (PyCFunction)(void (*)(void))f_savez, METH_VARARGS | METH_KEYWORDS,
     "savez(file, *args, **kwargs)\n--\n\nSave several arrays to a binary file in uncompressed\n"
     "``.npz`` format. Positional arrays are named ``arr_0``, ``arr_1``, ...; keyword\n"
     "arrays by their keyword."},
    {"savez_compressed", (PyCFunction)(void (*)(void))f_savez_compressed,
     METH_VARARGS | METH_KEYWORDS,
     "savez_compressed(file, *args, **kwargs)\n--\n\nSave several arrays to a binary file in\n"
     "compressed ``.npz`` format."},
    FASTCALL_DEF("save_safetensors", f_save_safetensors,
                 "save_safetensors(file, arrays, metadata=None)\n--\n\n"
                 "Save array(s) to a binary file in ``.safetensors`` format.\n\n"
                 "Args:\n    file (file, str, pathlib.Path): File in which the array is saved.\n"
                 "    arrays (dict(str, array)): The dictionary of names to arrays to be saved.\n"
                 "    metadata (dict(str, str), optional): The dictionary of metadata to be saved."),
    FASTCALL_DEF("save_gguf", f_save_gguf,
                 "save_gguf(file, arrays, metadata=None)\n--\n\n"
                 "Save array(s) to a binary file in ``.gguf`` format.\n\n"
                 "Args:\n    file (file, str, pathlib.Path): File in which the array is saved.\n"
                 "    arrays (dict(str, array)): The dictionary of names to arrays to be saved.\n"
                 "    metadata (dict(str, Union[array, str, list(str)])): The dictionary of\n"
                 "      metadata to be saved: scalar or 1-D arrays, strings, lists of strings."),
    {NULL},
};

int io_module_init(PyObject *m, em_state *st) {
    PyObject *bases = PyTuple_Pack(2, PyExc_RuntimeError, PyExc_OSError);
    if (!bases) return -1;
    st->file_error = PyErr_NewExceptionWithDoc(
        "ember.core._FileError",
        "A file that cannot be read or written: both a RuntimeError (as MLX raises) and an "
        "OSError.",
        bases, NULL);
    Py_DECREF(bases);
    if (!st->file_error) return -1;
    return PyModule_AddObjectRef(m, "_FileError", st->file_error);
}
