/* array.c -- array and buffer lifetimes, creation from data, metadata. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "node.h"
#include "scope.h"
#include "stream.h"

static atomic_long live_arrays;

EM_API int64_t em_live_arrays(void) { return atomic_load(&live_arrays); }

/* ---------------------------------------------------------------- buffers */

em_buffer *buffer_new(size_t nbytes) {
    em_buffer *b = malloc(sizeof *b);
    if (!b) return error_set(EM_ERR_MEMORY, "[malloc] Out of memory.");
    b->ptr = alloc_bytes(nbytes);
    if (!b->ptr) { free(b); return NULL; }
    atomic_init(&b->rc, 1);
    b->nbytes = nbytes;
    b->external = false;
    b->deleter = NULL;
    b->ctx = NULL;
    atomic_init(&b->ev_stream, 0);
    atomic_init(&b->ev_seq, 0);
    b->fault = NULL;
    return b;
}

/* External memory's deleters belong to whoever lent it (a Python object, say,
 * whose release needs the GIL): a task never runs them (on a worker, or on a
 * thread helping while another one waits holding the GIL); it queues the
 * buffer for the next thread that builds an op or evaluates. */
static pthread_mutex_t deferred_mu = PTHREAD_MUTEX_INITIALIZER;
static em_buffer *deferred;       /* linked through their ptr fields */
static atomic_int ndeferred;

static void buffer_free(em_buffer *b) {
    fault_release(b->fault);
    if (!b->external) alloc_free(b->ptr, b->nbytes);
    else if (b->deleter) b->deleter(b->ctx);
    free(b);
}

void buffer_release(em_buffer *b) {
    if (!b || !refcount_drop(&b->rc)) return;
    if (b->external && b->deleter && stream_in_task()) {
        pthread_mutex_lock(&deferred_mu);
        b->ptr = deferred; /* the memory is no longer ours to read: reuse ptr */
        deferred = b;
        atomic_fetch_add(&ndeferred, 1);
        pthread_mutex_unlock(&deferred_mu);
        return;
    }
    buffer_free(b);
}

void buffer_run_deferred(void) {
    if (atomic_load(&ndeferred) == 0 || stream_in_task()) return;
    pthread_mutex_lock(&deferred_mu);
    em_buffer *list = deferred;
    deferred = NULL;
    atomic_store(&ndeferred, 0);
    pthread_mutex_unlock(&deferred_mu);
    while (list) {
        em_buffer *next = list->ptr;
        buffer_free(list);
        list = next;
    }
}

/* ---------------------------------------------------------------- shapes */

int64_t shape_numel(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (__builtin_mul_overflow(n, shape[i], &n)) return -1;
    }
    return n;
}

em_array *array_new(const char *op, em_dtype dtype, const int64_t *shape, int ndim) {
    buffer_run_deferred();
    if (!em_dtype_is_valid((int)dtype))
        return error_set(EM_ERR_TYPE, "[%s] Invalid dtype %d.", op, (int)dtype);
    if (ndim < 0 || ndim > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[%s] Arrays may have at most %d dimensions, got %d.",
                         op, EM_MAX_NDIM, ndim);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return error_set(EM_ERR_VALUE, "[%s] Negative dimensions not allowed.", op);
    int64_t size = shape_numel(shape, ndim), bytes;
    if (size < 0 || __builtin_mul_overflow(size, (int64_t)em_dtype_size(dtype), &bytes))
        return error_set(EM_ERR_VALUE,
                         "[%s] The shape's number of bytes overflows a 64-bit size.", op);
    em_array *a = malloc(sizeof *a + (ndim > ARRAY_INLINE_DIMS ? 2 * (size_t)ndim * sizeof(int64_t) : 0));
    if (!a) return error_set(EM_ERR_MEMORY, "[%s] Out of memory.", op);
    atomic_init(&a->rc, 1);
    atomic_init(&a->task_refs, 0);
    a->lent_buf = false;
    a->dtype = dtype;
    a->ndim = ndim;
    a->flags = 0;
    a->size = size;
    a->shape = ndim > ARRAY_INLINE_DIMS ? (int64_t *)(a + 1) : a->dims_inline;
    a->strides = a->shape + ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = shape[i]; /* memcpy here became a slow rep movsq */
    a->data_size = size;
    a->offset = 0;
    a->buf = NULL;
    a->node = NULL;
    a->out_index = 0;
    atomic_fetch_add(&live_arrays, 1);
    return a;
}

static void row_strides(const em_array *a, int64_t *st) {
    int64_t s = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
        st[i] = s;
        s *= a->shape[i] ? a->shape[i] : 1;
    }
}

void array_update_flags(em_array *a) {
    unsigned f = 0;
    int64_t s = 1;
    bool row = true, col = true;
    for (int i = a->ndim - 1; i >= 0; i--) {
        if (a->shape[i] != 1 && a->strides[i] != s) row = false;
        s *= a->shape[i];
    }
    s = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] != 1 && a->strides[i] != s) col = false;
        s *= a->shape[i];
    }
    if (a->size == 0) row = col = true;
    if (row) f |= EM_AF_ROW_CONTIG;
    if (col) f |= EM_AF_COL_CONTIG;
    if (row || col || a->data_size == a->size) {
        /* dense in some order: no broadcast axes and the span equals the size */
        bool dense = row || col;
        if (!dense) {
            dense = true;
            for (int i = 0; i < a->ndim; i++)
                if (a->shape[i] > 1 && a->strides[i] <= 0) dense = false;
        }
        if (dense) f |= EM_AF_CONTIG;
    }
    a->flags = f;
}

em_status array_alloc_data(em_array *a) {
    size_t n = (size_t)a->size * array_itemsize(a);
    em_buffer *b = buffer_new(n);
    if (!b) return EM_ERR_MEMORY;
    a->buf = b;
    a->offset = 0;
    a->data_size = a->size;
    row_strides(a, a->strides);
    array_update_flags(a);
    return EM_OK;
}

void array_share_data(em_array *a, const em_array *src, size_t offset,
                      const int64_t *strides, int64_t data_size) {
    atomic_fetch_add(&src->buf->rc, 1);
    a->buf = src->buf;
    a->offset = offset;
    a->data_size = data_size;
    if (strides) memcpy(a->strides, strides, (size_t)a->ndim * sizeof(int64_t));
    else row_strides(a, a->strides);
    array_update_flags(a);
}

void array_take_buffer(em_array *a, em_array *src) {
    a->buf = src->buf;
    src->buf = NULL;
    a->offset = 0;
    a->data_size = a->size;
    row_strides(a, a->strides);
    array_update_flags(a);
}

/* ---------------------------------------------------------------- lifetime */

EM_API em_array *em_array_retain(em_array *a) {
    if (a) atomic_fetch_add(&a->rc, 1);
    return a;
}

/* Releasing may cascade through a graph of any depth (a chain of a million
 * nodes); arrays whose count reaches zero are queued and destroyed in a loop
 * here, never by recursion. */
static _Thread_local em_array **dead;
static _Thread_local size_t ndead, capdead;
static _Thread_local bool draining;

/* The queue is freed when its thread exits (a key's destructor). */
static pthread_key_t dead_key;
static pthread_once_t dead_once = PTHREAD_ONCE_INIT;
static void dead_free(void *p) { free(p); }
static void dead_key_init(void) { pthread_key_create(&dead_key, dead_free); }

static void destroy(em_array *a) {
    if (!a->lent_buf) buffer_release(a->buf);
    if (a->node) {
        em_node *n = a->node;
        n->outputs[a->out_index] = NULL;
        node_release(n);
    }
    free(a);
    atomic_fetch_sub(&live_arrays, 1);
}

EM_API void em_array_release(em_array *a) {
    if (!a || !refcount_drop(&a->rc)) return;
    if (ndead == capdead) {
        size_t cap = capdead ? 2 * capdead : 256;
        em_array **d = realloc(dead, cap * sizeof *d);
        if (!d) { destroy(a); return; } /* no room to queue: destroy now */
        dead = d;
        capdead = cap;
        pthread_once(&dead_once, dead_key_init);
        pthread_setspecific(dead_key, d);
    }
    dead[ndead++] = a;
    if (draining) return;
    draining = true;
    while (ndead) destroy(dead[--ndead]);
    draining = false;
}

/* ---------------------------------------------------------------- creation */

EM_PUBLIC_OP(em_array_from_data, (const void *data, const int64_t *shape, int ndim, em_dtype dtype),
             (data, shape, ndim, dtype)) {
    if (ndim > 0 && !shape)
        return error_set(EM_ERR_NULL, "[array] The shape pointer is NULL.");
    em_array *a = array_new("array", dtype, shape, ndim);
    if (!a) return NULL;
    if (a->size > 0 && !data) {
        em_array_release(a);
        return error_set(EM_ERR_NULL, "[array] The data pointer is NULL.");
    }
    if (array_alloc_data(a) != EM_OK) {
        em_array_release(a);
        return NULL;
    }
    if (a->size) memcpy(a->buf->ptr, data, (size_t)a->size * array_itemsize(a));
    return a;
}

EM_PUBLIC_OP(em_array_from_external,
             (void *data, const int64_t *shape, const int64_t *strides, int ndim, em_dtype dtype,
              void (*deleter)(void *ctx), void *ctx),
             (data, shape, strides, ndim, dtype, deleter, ctx)) {
    if (ndim > 0 && !shape)
        return error_set(EM_ERR_NULL, "[array] The shape pointer is NULL.");
    em_array *a = array_new("array", dtype, shape, ndim);
    if (!a) return NULL;
    em_buffer *b = malloc(sizeof *b);
    if (!b) {
        em_array_release(a);
        return error_set(EM_ERR_MEMORY, "[array] Out of memory.");
    }
    atomic_init(&b->rc, 1);
    b->ptr = data;
    b->nbytes = 0;
    b->external = true;
    b->deleter = deleter;
    b->ctx = ctx;
    atomic_init(&b->ev_stream, 0);
    atomic_init(&b->ev_seq, 0);
    b->fault = NULL;
    a->buf = b;
    a->offset = 0;
    if (strides) {
        /* span in elements, from the lowest to the highest reachable element */
        int64_t lo = 0, hi = 0;
        for (int i = 0; i < ndim; i++) {
            if (shape[i] == 0) { lo = hi = 0; break; }
            int64_t d = strides[i] * (shape[i] - 1);
            if (d < 0) lo += d; else hi += d;
        }
        memcpy(a->strides, strides, (size_t)ndim * sizeof(int64_t));
        a->data_size = a->size ? hi - lo + 1 : 0;
        array_update_flags(a);
    } else {
        row_strides(a, a->strides);
        a->data_size = a->size;
        array_update_flags(a);
    }
    return a;
}

static em_array *scalar_new(em_dtype dtype) {
    em_array *a = array_new("array", dtype, NULL, 0);
    if (a && array_alloc_data(a) != EM_OK) {
        em_array_release(a);
        return NULL;
    }
    return a;
}

EM_PUBLIC_OP(em_array_from_bool, (bool v), (v)) {
    em_array *a = scalar_new(EM_BOOL);
    if (a) *(bool *)a->buf->ptr = v;
    return a;
}
EM_PUBLIC_OP(em_array_from_int, (int64_t v, em_dtype dtype), (v, dtype)) {
    em_array *a = scalar_new(dtype);
    if (a) dtype_store_int(dtype, a->buf->ptr, v);
    return a;
}
EM_PUBLIC_OP(em_array_from_uint, (uint64_t v, em_dtype dtype), (v, dtype)) {
    em_array *a = scalar_new(dtype);
    if (!a) return NULL;
    if (dtype_is_int(dtype) || dtype == EM_BOOL) dtype_store_int(dtype, a->buf->ptr, (int64_t)v);
    else dtype_store_double(dtype, a->buf->ptr, (double)v);
    return a;
}
EM_PUBLIC_OP(em_array_from_double, (double v, em_dtype dtype), (v, dtype)) {
    em_array *a = scalar_new(dtype);
    if (a) dtype_store_double(dtype, a->buf->ptr, v);
    return a;
}
EM_PUBLIC_OP(em_array_from_complex, (float re, float im), (re, im)) {
    em_array *a = scalar_new(EM_COMPLEX64);
    if (a) {
        float v[2] = {re, im};
        memcpy(a->buf->ptr, v, sizeof v);
    }
    return a;
}

/* ---------------------------------------------------------------- metadata */

EM_API em_dtype em_array_dtype(const em_array *a) { return a ? a->dtype : EM_FLOAT32; }
EM_API int em_array_ndim(const em_array *a) { return a ? a->ndim : 0; }
EM_API const int64_t *em_array_shape(const em_array *a) { return a ? a->shape : NULL; }
EM_API int64_t em_array_dim(const em_array *a, int axis) {
    if (!a) return 0;
    if (axis < 0) axis += a->ndim;
    return axis >= 0 && axis < a->ndim ? a->shape[axis] : 0;
}
EM_API int64_t em_array_size(const em_array *a) { return a ? a->size : 0; }
EM_API size_t em_array_itemsize(const em_array *a) { return a ? array_itemsize(a) : 0; }
EM_API size_t em_array_nbytes(const em_array *a) {
    return a ? (size_t)a->size * array_itemsize(a) : 0;
}
EM_API bool em_array_is_evaluated(const em_array *a) { return a && a->buf; }
EM_API void em_free(void *p) { free(p); }
