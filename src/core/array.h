/* array.h -- the array and buffer objects, and what ops and kernels may do with
 * them. Arrays are immutable once evaluated; a buffer is shared by views. */
#ifndef EM_CORE_ARRAY_H
#define EM_CORE_ARRAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dtype.h"
#include "ember.h"

typedef struct em_node em_node;

/* Drops one reference of a count; true when it was the last. A holder that
 * sees a count of 1 holds the only reference, and nobody can add one without
 * holding one, so it need not write the count (a locked read-modify-write
 * costs ~20 cycles; most temporaries die with their single reference). */
static inline bool refcount_drop(atomic_long *rc) {
    return atomic_load_explicit(rc, memory_order_acquire) == 1 ||
           atomic_fetch_sub_explicit(rc, 1, memory_order_acq_rel) == 1;
}

typedef struct em_fault em_fault;

/* A block of bytes, shared by every view of it: from alloc_bytes(nbytes), or
 * external memory that `deleter(ctx)` (if set) gives back. The event and the
 * fault belong to streams (stream.h): the task that writes the bytes, and its
 * failure if it failed. */
typedef struct em_buffer {
    atomic_long rc;
    void *ptr;
    size_t nbytes;
    bool external;
    void (*deleter)(void *ctx);
    void *ctx;
    atomic_int ev_stream;
    _Atomic uint64_t ev_seq;  /* 0: no write pending */
    em_fault *fault;          /* read only after waiting for the event */
} em_buffer;

enum {
    EM_AF_ROW_CONTIG = 1u << 0, /* dense, row-major */
    EM_AF_COL_CONTIG = 1u << 1, /* dense, column-major */
    EM_AF_CONTIG = 1u << 2      /* dense in some axis order (no gaps, no overlap) */
};

#define ARRAY_INLINE_DIMS 4

struct em_array {
    atomic_long rc;
    atomic_int task_refs; /* references held by its pending writer (stream.h) */
    em_dtype dtype;
    int ndim;
    unsigned flags;     /* EM_AF_*; valid once evaluated */
    int64_t size;       /* number of elements */
    int64_t *shape;     /* ndim entries */
    int64_t *strides;   /* ndim entries, in elements; valid once evaluated */
    int64_t data_size;  /* elements the view may touch, from `offset` on */
    size_t offset;      /* bytes from buf->ptr to element 0 */
    em_buffer *buf;     /* NULL until evaluated */
    bool lent_buf;      /* buf was donated: its reference is the output's now */
    em_node *node;      /* the producer until evaluated (strong), else NULL */
    int out_index;      /* which output of node */
    int64_t dims_inline[2 * ARRAY_INLINE_DIMS];
};

/* A new unevaluated array (rc 1, no buffer, no node) with a copy of shape.
 * Checks that every dim is >= 0 and that the byte count does not overflow;
 * `op` names the caller in error messages. NULL with an error on failure. */
em_array *array_new(const char *op, em_dtype dtype, const int64_t *shape, int ndim);

/* Gives an unevaluated array a fresh row-major buffer of its size. */
em_status array_alloc_data(em_array *a);
/* Gives `a` the buffer of `src` (retained) with the given byte offset and
 * strides (NULL: row-major), and data_size; recomputes flags. */
void array_share_data(em_array *a, const em_array *src, size_t offset,
                      const int64_t *strides, int64_t data_size);
/* Takes the buffer of src for a (donation: src must own it alone). */
void array_take_buffer(em_array *a, em_array *src);
/* Recomputes the contiguity flags from shape and strides. */
void array_update_flags(em_array *a);

static inline char *array_ptr(const em_array *a) {
    return (char *)a->buf->ptr + a->offset;
}
static inline size_t array_itemsize(const em_array *a) { return em_dtype_size(a->dtype); }
static inline bool array_evaluated(const em_array *a) { return a->buf != NULL; }

/* Buffers. */
em_buffer *buffer_new(size_t nbytes);   /* from the allocator */
void buffer_release(em_buffer *b);
/* Runs the deleters of external buffers that died on stream workers (see
 * array.c); a no-op on workers and when there are none. */
void buffer_run_deferred(void);

/* Product of shape with overflow check; -1 on overflow or a negative dim. */
int64_t shape_numel(const int64_t *shape, int ndim);

#endif
