/* reader.h -- bounds-checked access to untrusted bytes: a source (a memory
 * mapping, a heap block, a caller's buffer or a random-access callback), a
 * cursor that reads little-endian fields from it, the arrays made from its
 * bytes, and the sinks savers write to.
 *
 * Every offset and length a parser takes from a file goes through io_range,
 * io_read or a cursor, which check it against the source's real size with
 * overflow-safe arithmetic; nothing else indexes file bytes. Errors are
 * EM_ERR_IO, "[<op>] Cannot load '<name>': <what>." */
#ifndef EM_IO_READER_H
#define EM_IO_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember.h"

/* A reference-counted owner of bytes that arrays may share: a read-only file
 * mapping or an allocator block. */
typedef struct io_owner io_owner;
void io_owner_retain(io_owner *o);
void io_owner_release(io_owner *o);  /* NULL-safe */
/* An owner of a fresh allocator block of n bytes (*data receives it). */
io_owner *io_owner_heap(size_t n, uint8_t **data);

typedef struct io_src {
    const char *name;        /* the file's name, for messages */
    const char *member;      /* the archive member being read, or NULL */
    const char *op;          /* "load_npy", ...: the prefix of messages */
    uint64_t size;           /* bytes in this source */
    const uint8_t *base;     /* all `size` bytes in memory, or NULL */
    io_owner *owner;         /* keeps base alive for arrays sharing it; NULL: arrays copy */
    const em_reader *rd;     /* when base is NULL: random access ... */
    uint64_t rd_start;       /* ... to rd's bytes [rd_start, rd_start + size) */
    unsigned flags;          /* EM_IO_COPY: never share */
} io_src;

/* Sets EM_ERR_IO "[op] Cannot load 'name': <printf message>." and returns it. */
em_status io_fail(const io_src *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether [off, off + n) lies inside s (no overflow). */
static inline bool io_range(const io_src *s, uint64_t off, uint64_t n) {
    return off <= s->size && n <= s->size - off;
}
/* Copies n bytes at off to dst; fails naming `what` when they run past the end. */
em_status io_read(const io_src *s, uint64_t off, void *dst, size_t n, const char *what);
/* The bytes [off, off + n) of s as a sub-source (the range must be checked). */
io_src io_sub(const io_src *s, uint64_t off, uint64_t n);

/* A cursor: reads fields in order from s, from pos up to end. With a
 * callback source it reads ahead through a window. */
typedef struct io_cur {
    const io_src *s;
    uint64_t pos, end;
    uint8_t *win;            /* window of a callback source */
    size_t win_cap, win_len;
    uint64_t win_off;
} io_cur;
void io_cur_init(io_cur *c, const io_src *s, uint64_t pos);
void io_cur_free(io_cur *c);
static inline uint64_t io_cur_left(const io_cur *c) { return c->end - c->pos; }
/* A pointer to the next n bytes (valid until the next call), advancing past
 * them; NULL with an error naming `what` if the source ends first. */
const uint8_t *io_cur_take(io_cur *c, uint64_t n, const char *what);
/* Advances past n bytes without reading them (they must exist). */
em_status io_cur_skip(io_cur *c, uint64_t n, const char *what);
em_status io_cur_u8(io_cur *c, uint8_t *v, const char *what);
em_status io_cur_u16(io_cur *c, uint16_t *v, const char *what);
em_status io_cur_u32(io_cur *c, uint32_t *v, const char *what);
em_status io_cur_u64(io_cur *c, uint64_t *v, const char *what);

static inline uint16_t io_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t io_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t io_le64(const uint8_t *p) {
    return (uint64_t)io_le32(p) | (uint64_t)io_le32(p + 4) << 32;
}
static inline void io_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void io_put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void io_put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Whether the n bytes at s are well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF). */
bool io_utf8_valid(const uint8_t *s, size_t n);

/* Byte-size of shape's elements of dtype; -1 when the product overflows. */
int64_t io_nbytes(em_dtype dt, const int64_t *shape, int ndim);

/* How io_array lays the bytes out. */
enum {
    IO_ARR_FORTRAN = 1u << 0,  /* column-major */
    IO_ARR_SWAP = 1u << 1      /* big-endian: swap each element's bytes */
};
/* A new evaluated array of dtype/shape from the bytes [off, off + nbytes) of s
 * (the caller has checked the range). Shares s's owner when allowed, aligned
 * and unconverted; otherwise copies. Bools are normalised to 0/1. */
em_array *io_array(const io_src *s, uint64_t off, em_dtype dt, const int64_t *shape, int ndim,
                   unsigned layout);
/* A new row-major array of dtype/shape whose buffer the caller fills (through
 * io_array_bytes). */
em_array *io_array_empty(em_dtype dt, const int64_t *shape, int ndim);
void *io_array_bytes(em_array *a);

/* Opens path as a source: mapped when possible (flags without EM_IO_COPY),
 * else read with pread. io_src_close undoes it. */
em_status io_src_open(io_src *s, const char *path, const char *op, unsigned flags);
void io_src_close(io_src *s);

/* ---------------------------------------------------------------- sinks */

typedef struct io_sink {
    const em_writer *w;
    const char *name;        /* for messages */
    const char *op;
    uint64_t written;
} io_sink;
em_status io_put(io_sink *k, const void *p, size_t n);
em_status io_put_zeros(io_sink *k, size_t n);
/* A file sink for path: written in place, or through a temporary file renamed
 * over path when arrays of this process map path. io_file_finish closes it
 * (ok: keep the result; else remove what was written). */
typedef struct io_file io_file;
io_file *io_file_create(const char *path, const char *op, em_writer *w);
em_status io_file_finish(io_file *f, bool ok);

#endif
