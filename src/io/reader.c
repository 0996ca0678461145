/* reader.c -- sources, cursors, arrays from file bytes, and file sinks; the
 * only code that touches a file's bytes by offset (see reader.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/array.h"
#include "../core/error.h"
#include "../core/scope.h"
#include "reader.h"

/* ---------------------------------------------------------------- owners */

enum { OWNER_MAP, OWNER_HEAP };

struct io_owner {
    atomic_long rc;
    int kind;
    void *addr;
    size_t len;
    dev_t dev;
    ino_t ino;
    io_owner *next, *prev;   /* the registry of live mappings */
};

/* Live file mappings, so that saving over a mapped file replaces it instead of
 * truncating pages that arrays still read (process-wide, guarded). */
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static io_owner *registry;

void io_owner_retain(io_owner *o) {
    if (o) atomic_fetch_add(&o->rc, 1);
}

void io_owner_release(io_owner *o) {
    if (!o || atomic_fetch_sub(&o->rc, 1) != 1) return;
    if (o->kind == OWNER_MAP) {
        pthread_mutex_lock(&registry_mu);
        if (o->prev) o->prev->next = o->next;
        else registry = o->next;
        if (o->next) o->next->prev = o->prev;
        pthread_mutex_unlock(&registry_mu);
        munmap(o->addr, o->len);
    } else {
        alloc_free(o->addr, o->len);
    }
    free(o);
}

static void owner_release_cb(void *ctx) { io_owner_release(ctx); }

io_owner *io_owner_heap(size_t n, uint8_t **data) {
    io_owner *o = malloc(sizeof *o);
    if (!o) return error_set(EM_ERR_MEMORY, "[load] Out of memory.");
    o->addr = alloc_bytes(n);
    if (!o->addr) {
        free(o);
        return NULL;
    }
    atomic_init(&o->rc, 1);
    o->kind = OWNER_HEAP;
    o->len = n;
    o->next = o->prev = NULL;
    *data = o->addr;
    return o;
}

static io_owner *owner_map(void *addr, size_t len, const struct stat *st) {
    io_owner *o = malloc(sizeof *o);
    if (!o) return NULL;
    atomic_init(&o->rc, 1);
    o->kind = OWNER_MAP;
    o->addr = addr;
    o->len = len;
    o->dev = st->st_dev;
    o->ino = st->st_ino;
    o->prev = NULL;
    pthread_mutex_lock(&registry_mu);
    o->next = registry;
    if (registry) registry->prev = o;
    registry = o;
    pthread_mutex_unlock(&registry_mu);
    return o;
}

static bool file_is_mapped(const struct stat *st) {
    bool found = false;
    pthread_mutex_lock(&registry_mu);
    for (io_owner *o = registry; o && !found; o = o->next)
        found = o->dev == st->st_dev && o->ino == st->st_ino;
    pthread_mutex_unlock(&registry_mu);
    return found;
}

/* ---------------------------------------------------------------- sources */

em_status io_fail(const io_src *s, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->member)
        return error_status(EM_ERR_IO, "[%s] Cannot load '%s' (member '%s'): %s.",
                            s->op ? s->op : "load", s->name ? s->name : "<memory>", s->member, msg);
    return error_status(EM_ERR_IO, "[%s] Cannot load '%s': %s.", s->op ? s->op : "load",
                        s->name ? s->name : "<memory>", msg);
}

em_status io_read(const io_src *s, uint64_t off, void *dst, size_t n, const char *what) {
    if (!io_range(s, off, n))
        return io_fail(s, "the file ends inside %s (bytes %llu to %llu of a %llu-byte file)", what,
                       (unsigned long long)off, (unsigned long long)off + n,
                       (unsigned long long)s->size);
    if (!n) return EM_OK;
    if (s->base) {
        memcpy(dst, s->base + off, n);
        return EM_OK;
    }
    em_status st = s->rd->read_at(s->rd->ctx, s->rd_start + off, dst, n);
    if (st != EM_OK && !error_is_set()) io_fail(s, "reading %s failed", what);
    return st != EM_OK ? em_error_code() : EM_OK;
}

io_src io_sub(const io_src *s, uint64_t off, uint64_t n) {
    io_src r = *s;
    r.size = n;
    if (s->base) r.base = s->base + off;
    else r.rd_start = s->rd_start + off;
    return r;
}

/* ---------------------------------------------------------------- cursor */

#define WINDOW (64 * 1024)

void io_cur_init(io_cur *c, const io_src *s, uint64_t pos) {
    memset(c, 0, sizeof *c);
    c->s = s;
    c->pos = pos < s->size ? pos : s->size;
    c->end = s->size;
}

void io_cur_free(io_cur *c) {
    free(c->win);
    c->win = NULL;
}

const uint8_t *io_cur_take(io_cur *c, uint64_t n, const char *what) {
    if (n > c->end - c->pos) {
        io_fail(c->s, "the file ends inside %s (it needs %llu bytes at offset %llu, %llu are left)",
                what, (unsigned long long)n, (unsigned long long)c->pos,
                (unsigned long long)(c->end - c->pos));
        return NULL;
    }
    uint64_t at = c->pos;
    if (c->s->base) {
        c->pos += n;
        return c->s->base + at;
    }
    static const uint8_t none[1];
    if (n == 0) return none; /* valid, and not NULL (NULL means failure) */
    /* callback source: serve from the window, refilling it from `at` */
    if (!(at >= c->win_off && n <= c->win_len && at - c->win_off <= c->win_len - n)) {
        uint64_t want = n > WINDOW ? n : WINDOW;
        if (want > c->end - at) want = c->end - at;
        if (want > c->win_cap) {
            uint8_t *w = realloc(c->win, (size_t)want);
            if (!w) {
                error_set(EM_ERR_MEMORY, "[%s] Out of memory reading '%s'.", c->s->op, c->s->name);
                return NULL;
            }
            c->win = w;
            c->win_cap = (size_t)want;
        }
        c->win_len = 0;
        if (io_read(c->s, at, c->win, (size_t)want, what) != EM_OK) return NULL;
        c->win_off = at;
        c->win_len = (size_t)want;
    }
    c->pos += n;
    return c->win + (at - c->win_off);
}

em_status io_cur_skip(io_cur *c, uint64_t n, const char *what) {
    if (n > c->end - c->pos)
        return io_fail(c->s, "the file ends inside %s (it needs %llu bytes at offset %llu, %llu are "
                             "left)", what, (unsigned long long)n, (unsigned long long)c->pos,
                       (unsigned long long)(c->end - c->pos));
    c->pos += n;
    return EM_OK;
}

em_status io_cur_u8(io_cur *c, uint8_t *v, const char *what) {
    const uint8_t *p = io_cur_take(c, 1, what);
    if (!p) return em_error_code();
    *v = p[0];
    return EM_OK;
}
em_status io_cur_u16(io_cur *c, uint16_t *v, const char *what) {
    const uint8_t *p = io_cur_take(c, 2, what);
    if (!p) return em_error_code();
    *v = io_le16(p);
    return EM_OK;
}
em_status io_cur_u32(io_cur *c, uint32_t *v, const char *what) {
    const uint8_t *p = io_cur_take(c, 4, what);
    if (!p) return em_error_code();
    *v = io_le32(p);
    return EM_OK;
}
em_status io_cur_u64(io_cur *c, uint64_t *v, const char *what) {
    const uint8_t *p = io_cur_take(c, 8, what);
    if (!p) return em_error_code();
    *v = io_le64(p);
    return EM_OK;
}

/* ---------------------------------------------------------------- utf-8 */

bool io_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1Fu, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0Fu, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07u, min = 0x10000;
        else return false;
        if (len > n - i) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

/* ---------------------------------------------------------------- arrays */

int64_t io_nbytes(em_dtype dt, const int64_t *shape, int ndim) {
    /* the product of the non-zero dimensions must fit too: strides are
     * computed from it even when some dimension is 0 */
    int64_t nz = (int64_t)em_dtype_size(dt);
    bool zero = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] == 0) zero = true;
        else if (__builtin_mul_overflow(nz, shape[i], &nz)) return -1;
    }
    return zero ? 0 : nz;
}

em_array *io_array_empty(em_dtype dt, const int64_t *shape, int ndim) {
    em_array *a = array_new("load", dt, shape, ndim);
    if (a && array_alloc_data(a) != EM_OK) {
        em_array_release(a);
        return NULL;
    }
    return a;
}

void *io_array_bytes(em_array *a) { return array_ptr(a); }

static void col_strides(const int64_t *shape, int ndim, int64_t *st) {
    int64_t s = 1;
    for (int i = 0; i < ndim; i++) {
        st[i] = s;
        s *= shape[i] ? shape[i] : 1;
    }
}

/* Reverses the bytes of each `unit`-byte value (complex64: each float). */
static void swap_bytes(uint8_t *p, size_t n, size_t unit) {
    if (unit < 2) return;
    for (size_t i = 0; i + unit <= n; i += unit)
        for (size_t a = i, b = i + unit - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

em_array *io_array(const io_src *s, uint64_t off, em_dtype dt, const int64_t *shape, int ndim,
                   unsigned layout) {
    int64_t nb = io_nbytes(dt, shape, ndim);
    if (nb < 0 || !io_range(s, off, (uint64_t)nb)) {
        io_fail(s, "an array's %lld bytes at offset %llu run past the end of the file (%llu bytes)",
                (long long)nb, (unsigned long long)off, (unsigned long long)s->size);
        return NULL;
    }
    size_t isz = em_dtype_size(dt);
    int64_t strides[EM_MAX_NDIM];
    bool fortran = (layout & IO_ARR_FORTRAN) && ndim > 1;
    if (fortran) col_strides(shape, ndim, strides);
    if (nb > 0 && s->base && s->owner && !(s->flags & EM_IO_COPY) && !(layout & IO_ARR_SWAP)) {
        const uint8_t *p = s->base + off;
        size_t align = isz > 8 ? 8 : isz;
        bool share = (uintptr_t)p % align == 0;
        if (share && dt == EM_BOOL)
            for (int64_t i = 0; i < nb && share; i++) share = p[i] <= 1;
        if (share) {
            io_owner_retain(s->owner);
            scope_op_depth++;
            em_array *a = em_array_from_external((void *)p, shape, fortran ? strides : NULL, ndim,
                                                 dt, owner_release_cb, s->owner);
            scope_op_depth--;
            if (!a) io_owner_release(s->owner);
            return a;
        }
    }
    em_array *a = io_array_empty(dt, shape, ndim);
    if (!a) return NULL;
    if (fortran) {
        memcpy(a->strides, strides, (size_t)ndim * sizeof *strides);
        array_update_flags(a);
    }
    uint8_t *dst = (uint8_t *)array_ptr(a);
    if (io_read(s, off, dst, (size_t)nb, "an array's data") != EM_OK) {
        em_array_release(a);
        return NULL;
    }
    if (layout & IO_ARR_SWAP) swap_bytes(dst, (size_t)nb, dt == EM_COMPLEX64 ? 4 : isz);
    if (dt == EM_BOOL)
        for (int64_t i = 0; i < nb; i++) dst[i] = dst[i] != 0;
    return a;
}

/* ---------------------------------------------------------------- files */

typedef struct {
    em_reader r;
    int fd;
} pread_ctx;

static em_status pread_at(void *ctx, uint64_t off, void *dst, size_t n) {
    pread_ctx *c = ctx;
    uint8_t *p = dst;
    while (n) {
        size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
        ssize_t got = pread(c->fd, p, chunk, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return error_status(EM_ERR_IO, "[load] Reading the file failed at offset %llu: %s.",
                                (unsigned long long)off, got < 0 ? strerror(errno) : "end of file");
        p += got;
        off += (uint64_t)got;
        n -= (size_t)got;
    }
    return EM_OK;
}

em_status io_src_open(io_src *s, const char *path, const char *op, unsigned flags) {
    memset(s, 0, sizeof *s);
    s->name = path;
    s->op = op;
    s->flags = flags;
    /* non-blocking, so that a FIFO cannot hang the open; refused below */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return error_status(EM_ERR_IO, "[load] Failed to open file %s: %s.", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return error_status(EM_ERR_IO, "[load] Failed to open file %s: %s.", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return error_status(EM_ERR_IO, "[load] Failed to open file %s: not a regular file.", path);
    }
    if (st.st_size > 0 && !(flags & EM_IO_COPY)) {
        size_t len = (size_t)st.st_size;
        /* private and writable: a consumer that writes through an exported
         * pointer gets its own copy of the page, never the file's */
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            io_owner *o = owner_map(p, len, &st);
            if (!o) {
                munmap(p, len);
                close(fd);
                return error_status(EM_ERR_MEMORY, "[%s] Out of memory.", op);
            }
            close(fd);
            s->size = len;
            s->base = p;
            s->owner = o;
            return EM_OK;
        }
    }
    pread_ctx *c = malloc(sizeof *c);
    if (!c) {
        close(fd);
        return error_status(EM_ERR_MEMORY, "[%s] Out of memory.", op);
    }
    c->fd = fd;
    c->r.ctx = c;
    c->r.read_at = pread_at;
    c->r.size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
    s->size = c->r.size;
    s->rd = &c->r;
    return EM_OK;
}

void io_src_close(io_src *s) {
    if (s->owner) io_owner_release(s->owner);
    else if (s->rd && s->rd->read_at == pread_at) {
        pread_ctx *c = s->rd->ctx;
        close(c->fd);
        free(c);
    }
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- sinks */

em_status io_put(io_sink *k, const void *p, size_t n) {
    if (!n) return EM_OK;
    em_status st = k->w->write(k->w->ctx, p, n);
    if (st != EM_OK) {
        if (!error_is_set())
            error_set(EM_ERR_IO, "[%s] Writing %s failed.", k->op, k->name ? k->name : "the file");
        return em_error_code();
    }
    k->written += n;
    return EM_OK;
}

em_status io_put_zeros(io_sink *k, size_t n) {
    static const uint8_t zeros[256];
    while (n) {
        size_t c = n < sizeof zeros ? n : sizeof zeros;
        em_status st = io_put(k, zeros, c);
        if (st != EM_OK) return st;
        n -= c;
    }
    return EM_OK;
}

struct io_file {
    int fd;
    char *path;
    char *tmp;     /* the temporary file renamed over path, or NULL */
    const char *op;
};

static em_status file_write(void *ctx, const void *src, size_t n) {
    io_file *f = ctx;
    const uint8_t *p = src;
    while (n) {
        size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
        ssize_t w = write(f->fd, p, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return error_status(EM_ERR_IO, "[%s] Writing %s failed: %s.", f->op, f->path,
                                w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return EM_OK;
}

io_file *io_file_create(const char *path, const char *op, em_writer *w) {
    io_file *f = calloc(1, sizeof *f);
    size_t n = strlen(path);
    if (f) f->path = malloc(n + 1);
    if (!f || !f->path) {
        free(f);
        return error_set(EM_ERR_MEMORY, "[%s] Out of memory.", op);
    }
    memcpy(f->path, path, n + 1);
    f->op = op;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && file_is_mapped(&st)) {
        f->tmp = malloc(n + 16);
        if (!f->tmp) {
            free(f->path);
            free(f);
            return error_set(EM_ERR_MEMORY, "[%s] Out of memory.", op);
        }
        snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
        f->fd = mkstemp(f->tmp);
        if (f->fd >= 0) fchmod(f->fd, st.st_mode & 07777); /* the replaced file's mode */
    } else {
        f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    }
    if (f->fd < 0) {
        error_set(EM_ERR_IO, "[%s] Failed to open file %s: %s.", op, path, strerror(errno));
        free(f->tmp);
        free(f->path);
        free(f);
        return NULL;
    }
    w->ctx = f;
    w->write = file_write;
    return f;
}

em_status io_file_finish(io_file *f, bool ok) {
    em_status st = EM_OK;
    if (close(f->fd) != 0 && ok) {
        st = error_status(EM_ERR_IO, "[%s] Writing %s failed: %s.", f->op, f->path, strerror(errno));
        ok = false;
    }
    if (f->tmp) {
        if (ok && rename(f->tmp, f->path) != 0) {
            st = error_status(EM_ERR_IO, "[%s] Replacing %s failed: %s.", f->op, f->path,
                              strerror(errno));
            ok = false;
        }
        if (!ok) unlink(f->tmp);
    } else if (!ok) {
        unlink(f->path);
    }
    free(f->tmp);
    free(f->path);
    free(f);
    return st;
}
