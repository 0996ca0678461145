/* dlpack.c -- DLPack export (__dlpack__, __dlpack_device__) and import
 * (from_dlpack, and array() of DLPack producers), CPU memory only. The
 * structs are DLPack 1.0's ABI, declared here rather than vendored. */
#include <string.h>

#include "pyember.h"

typedef enum { kDLCPU = 1, kDLCUDAHost = 3 } DLDeviceType;
typedef enum { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 } DLDataTypeCode;

typedef struct { int32_t device_type; int32_t device_id; } DLDevice;
typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } DLDataType;
typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
    DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;
typedef struct { uint32_t major; uint32_t minor; } DLPackVersion;
typedef struct DLManagedTensorVersioned {
    DLPackVersion version;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensorVersioned *self);
    uint64_t flags;
    DLTensor dl_tensor;
} DLManagedTensorVersioned;

#define DLPACK_FLAG_BITMASK_READ_ONLY (1ull << 0)

/* ---------------------------------------------------------------- export */

/* Everything an exported tensor owns, in one allocation: the managed struct
 * (either form), the array it keeps alive, and shape/strides. */
typedef struct {
    union {
        DLManagedTensor legacy;
        DLManagedTensorVersioned versioned;
    } m;
    em_array *arr;
    int64_t dims[]; /* shape, then strides */
} export_ctx;

static void free_ctx(export_ctx *c) {
    /* May run without the GIL (a consumer's deleter); em_array_release does
     * not need it. */
    em_array_release(c->arr);
    free(c);
}
static void deleter_legacy(DLManagedTensor *m) { free_ctx((export_ctx *)m->manager_ctx); }
static void deleter_versioned(DLManagedTensorVersioned *m) {
    free_ctx((export_ctx *)m->manager_ctx);
}

static void capsule_destructor(PyObject *cap) {
    /* Called for a capsule nobody consumed (its name is unchanged). */
    if (PyCapsule_IsValid(cap, "dltensor")) {
        DLManagedTensor *m = PyCapsule_GetPointer(cap, "dltensor");
        if (m && m->deleter) m->deleter(m);
    } else if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
        DLManagedTensorVersioned *m = PyCapsule_GetPointer(cap, "dltensor_versioned");
        if (m && m->deleter) m->deleter(m);
    }
    PyErr_Clear();
}

static int dl_dtype(em_dtype dt, DLDataType *out) {
    static const struct { uint8_t code, bits; } map[EM_NUM_DTYPES] = {
        [EM_BOOL] = {kDLBool, 8},     [EM_UINT8] = {kDLUInt, 8},     [EM_UINT16] = {kDLUInt, 16},
        [EM_UINT32] = {kDLUInt, 32},  [EM_UINT64] = {kDLUInt, 64},   [EM_INT8] = {kDLInt, 8},
        [EM_INT16] = {kDLInt, 16},    [EM_INT32] = {kDLInt, 32},     [EM_INT64] = {kDLInt, 64},
        [EM_FLOAT16] = {kDLFloat, 16}, [EM_BFLOAT16] = {kDLBfloat, 16}, [EM_FLOAT32] = {kDLFloat, 32},
        [EM_FLOAT64] = {kDLFloat, 64}, [EM_COMPLEX64] = {kDLComplex, 64}};
    if (!em_dtype_is_valid((int)dt)) return -1;
    out->code = map[dt].code;
    out->bits = map[dt].bits;
    out->lanes = 1;
    return 0;
}

PyObject *py_array_dlpack(em_state *st, em_array *a, PyObject *max_version) {
    bool versioned = false;
    if (max_version && max_version != Py_None) {
        if (!PyTuple_Check(max_version) || PyTuple_GET_SIZE(max_version) < 1) {
            PyErr_SetString(PyExc_TypeError, "__dlpack__(): max_version must be a tuple (major, minor).");
            return NULL;
        }
        long major = PyLong_AsLong(PyTuple_GET_ITEM(max_version, 0));
        if (major == -1 && PyErr_Occurred()) return NULL;
        versioned = major >= 1;
    }
    const char *data = em_array_data(a);
    const int64_t *strides = data ? em_array_strides(a) : NULL;
    if (!data || !strides) return py_raise_ember();
    int nd = em_array_ndim(a);
    export_ctx *c = calloc(1, sizeof *c + 2 * (size_t)(nd ? nd : 1) * sizeof(int64_t));
    if (!c) return PyErr_NoMemory();
    memcpy(c->dims, em_array_shape(a), (size_t)nd * sizeof(int64_t));
    memcpy(c->dims + nd, strides, (size_t)nd * sizeof(int64_t));
    c->arr = em_array_retain(a);
    DLTensor *t = versioned ? &c->m.versioned.dl_tensor : &c->m.legacy.dl_tensor;
    t->data = (void *)data;
    t->device.device_type = kDLCPU;
    t->device.device_id = 0;
    t->ndim = nd;
    dl_dtype(em_array_dtype(a), &t->dtype);
    t->shape = c->dims;
    t->strides = c->dims + nd;
    t->byte_offset = 0;
    PyObject *cap;
    if (versioned) {
        c->m.versioned.version.major = 1;
        c->m.versioned.version.minor = 0;
        c->m.versioned.manager_ctx = c;
        c->m.versioned.deleter = deleter_versioned;
        c->m.versioned.flags = DLPACK_FLAG_BITMASK_READ_ONLY;
        cap = PyCapsule_New(&c->m.versioned, "dltensor_versioned", capsule_destructor);
    } else {
        c->m.legacy.manager_ctx = c;
        c->m.legacy.deleter = deleter_legacy;
        cap = PyCapsule_New(&c->m.legacy, "dltensor", capsule_destructor);
    }
    if (!cap) free_ctx(c);
    return cap;
}

/* ---------------------------------------------------------------- import */

typedef struct {
    void *managed;
    bool versioned;
} import_ctx;

/* Runs when the last ember view of imported memory is gone. The producer's
 * deleter may touch Python objects, so it runs holding the GIL. */
static void import_release(void *vctx) {
    import_ctx *c = vctx;
    PyGILState_STATE g = PyGILState_Ensure();
    if (c->versioned) {
        DLManagedTensorVersioned *m = c->managed;
        if (m->deleter) m->deleter(m);
    } else {
        DLManagedTensor *m = c->managed;
        if (m->deleter) m->deleter(m);
    }
    PyGILState_Release(g);
    free(c);
}

static int em_dtype_of(DLDataType d) {
    if (d.lanes != 1) return -1;
    switch (d.code) {
    case kDLBool: return d.bits == 8 ? EM_BOOL : -1;
    case kDLUInt:
        return d.bits == 8 ? EM_UINT8 : d.bits == 16 ? EM_UINT16 : d.bits == 32 ? EM_UINT32
               : d.bits == 64 ? EM_UINT64 : -1;
    case kDLInt:
        return d.bits == 8 ? EM_INT8 : d.bits == 16 ? EM_INT16 : d.bits == 32 ? EM_INT32
               : d.bits == 64 ? EM_INT64 : -1;
    case kDLFloat:
        return d.bits == 16 ? EM_FLOAT16 : d.bits == 32 ? EM_FLOAT32 : d.bits == 64 ? EM_FLOAT64 : -1;
    case kDLBfloat: return d.bits == 16 ? EM_BFLOAT16 : -1;
    case kDLComplex: return d.bits == 64 ? EM_COMPLEX64 : -1;
    default: return -1;
    }
}

static PyObject *get_capsule(PyObject *o) {
    PyObject *meth = PyObject_GetAttrString(o, "__dlpack__");
    if (!meth) return NULL;
    PyObject *args = PyTuple_New(0);
    PyObject *kw = Py_BuildValue("{s(ii)}", "max_version", 1, 0);
    PyObject *cap = args && kw ? PyObject_Call(meth, args, kw) : NULL;
    if (!cap && PyErr_ExceptionMatches(PyExc_TypeError)) {
        /* A pre-1.0 producer without max_version. */
        PyErr_Clear();
        cap = PyObject_CallNoArgs(meth);
    }
    Py_XDECREF(args);
    Py_XDECREF(kw);
    Py_DECREF(meth);
    return cap;
}

/* Shares the memory of a DLPack producer (no copy). *handled is false when o
 * has no __dlpack__. */
em_array *py_from_dlpack(em_state *st, PyObject *o, bool *handled) {
    *handled = PyObject_HasAttrString(o, "__dlpack__");
    if (!*handled) return NULL;
    PyObject *cap = get_capsule(o);
    if (!cap) return NULL;
    import_ctx *c = malloc(sizeof *c);
    if (!c) {
        Py_DECREF(cap);
        PyErr_NoMemory();
        return NULL;
    }
    DLTensor *t;
    if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
        DLManagedTensorVersioned *m = PyCapsule_GetPointer(cap, "dltensor_versioned");
        if (m->version.major > 1) {
            PyErr_Format(PyExc_BufferError, "DLPack version %u is not supported.", m->version.major);
            goto fail;
        }
        c->managed = m;
        c->versioned = true;
        t = &m->dl_tensor;
    } else if (PyCapsule_IsValid(cap, "dltensor")) {
        DLManagedTensor *m = PyCapsule_GetPointer(cap, "dltensor");
        c->managed = m;
        c->versioned = false;
        t = &m->dl_tensor;
    } else {
        PyErr_SetString(PyExc_ValueError, "__dlpack__ did not return a DLPack capsule.");
        goto fail;
    }
    if (t->device.device_type != kDLCPU && t->device.device_type != kDLCUDAHost) {
        PyErr_SetString(PyExc_BufferError, "from_dlpack: only CPU memory can be imported.");
        goto fail;
    }
    int dt = em_dtype_of(t->dtype);
    if (dt < 0) {
        PyErr_Format(PyExc_ValueError, "from_dlpack: unsupported DLPack dtype (code %d, %d bits).",
                     t->dtype.code, t->dtype.bits);
        goto fail;
    }
    if (t->ndim < 0 || t->ndim > EM_MAX_NDIM) {
        PyErr_SetString(PyExc_ValueError, "from_dlpack: too many dimensions.");
        goto fail;
    }
    em_array *r = em_array_from_external((char *)t->data + t->byte_offset, t->shape, t->strides,
                                         t->ndim, (em_dtype)dt, import_release, c);
    if (!r) {
        py_raise_ember();
        goto fail;
    }
    /* The capsule is consumed: from now on the array owns the tensor. */
    PyCapsule_SetName(cap, c->versioned ? "used_dltensor_versioned" : "used_dltensor");
    Py_DECREF(cap);
    return r;
fail:
    free(c);
    Py_DECREF(cap);
    return NULL;
}
