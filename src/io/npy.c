/* npy.c -- the .npy format, versions 1.0, 2.0 and 3.0: the header's
 * Python-literal dictionary is parsed strictly (never evaluated), and headers
 * are written byte for byte as NumPy's format.write_array writes them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../core/array.h"
#include "../core/error.h"
#include "../core/scope.h"
#include "io.h"

/* dtype <-> the type code after the byte-order character. bfloat16 is '<V2',
 * as MLX writes it (and as ml_dtypes' bfloat16 reads back in NumPy). */
static const char *const codes[EM_NUM_DTYPES] = {
    [EM_BOOL] = "b1", [EM_UINT8] = "u1", [EM_UINT16] = "u2", [EM_UINT32] = "u4",
    [EM_UINT64] = "u8", [EM_INT8] = "i1", [EM_INT16] = "i2", [EM_INT32] = "i4",
    [EM_INT64] = "i8", [EM_FLOAT16] = "f2", [EM_BFLOAT16] = "V2", [EM_FLOAT32] = "f4",
    [EM_FLOAT64] = "f8", [EM_COMPLEX64] = "c8",
};

/* ---------------------------------------------------------------- header */

typedef struct {
    const io_src *s;
    const char *p;
    size_t n, i;
} lit;

static void ws(lit *l) {
    while (l->i < l->n && strchr(" \t\n\r\f", l->p[l->i]) && l->p[l->i]) l->i++;
}

static em_status lit_fail(lit *l, const char *what) {
    if (l->i >= l->n)
        return io_fail(l->s, "the header dictionary ends early, where %s was expected", what);
    unsigned char c = (unsigned char)l->p[l->i];
    if (c >= 0x20 && c < 0x7f)
        return io_fail(l->s, "the header dictionary has '%c' at byte %zu where %s was expected", c,
                       l->i, what);
    return io_fail(l->s, "the header dictionary has byte 0x%02x at byte %zu where %s was expected",
                   c, l->i, what);
}

static bool eat(lit *l, char c) {
    ws(l);
    if (l->i < l->n && l->p[l->i] == c) {
        l->i++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes: printable ASCII between ' or ". */
static em_status lit_string(lit *l, const char **s, size_t *len, const char *what) {
    ws(l);
    if (l->i >= l->n || (l->p[l->i] != '\'' && l->p[l->i] != '"')) return lit_fail(l, what);
    char q = l->p[l->i++];
    size_t start = l->i;
    while (l->i < l->n && l->p[l->i] != q) {
        unsigned char c = (unsigned char)l->p[l->i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            return io_fail(l->s, "the header has an unsupported character (byte 0x%02x) in a string "
                                 "at byte %zu", c, l->i);
        l->i++;
    }
    if (l->i >= l->n) return io_fail(l->s, "the header has an unterminated string");
    *s = l->p + start;
    *len = l->i - start;
    l->i++;
    return EM_OK;
}

static bool word(lit *l, const char *w) {
    ws(l);
    size_t n = strlen(w);
    if (l->n - l->i < n || memcmp(l->p + l->i, w, n) != 0) return false;
    if (l->n - l->i > n) {
        char c = l->p[l->i + n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            return false;
    }
    l->i += n;
    return true;
}

/* A non-negative decimal integer (Python 2's 'L' suffix allowed, as NumPy does). */
static em_status lit_dim(lit *l, int64_t *v) {
    ws(l);
    size_t start = l->i;
    int64_t x = 0;
    while (l->i < l->n && l->p[l->i] >= '0' && l->p[l->i] <= '9') {
        if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, l->p[l->i] - '0', &x))
            return io_fail(l->s, "a dimension of the shape overflows a 64-bit integer");
        l->i++;
    }
    if (l->i == start) {
        if (l->i < l->n && l->p[l->i] == '-')
            return io_fail(l->s, "the shape has a negative dimension");
        return lit_fail(l, "a dimension");
    }
    if (l->i - start > 1 && l->p[start] == '0')
        return io_fail(l->s, "a dimension of the shape has a leading zero");
    if (l->i < l->n && l->p[l->i] == 'L') l->i++;
    *v = x;
    return EM_OK;
}

/* A tuple of dimensions: (), (3,), (2, 3) or (2, 3,). */
static em_status lit_shape(lit *l, int64_t *shape, int *ndim) {
    if (!eat(l, '(')) {
        ws(l);
        if (l->i < l->n && l->p[l->i] == '[')
            return io_fail(l->s, "the shape is a list, not a tuple");
        return lit_fail(l, "the shape tuple");
    }
    int n = 0;
    bool comma = false;
    for (;;) {
        if (eat(l, ')')) break;
        if (n > 0 && !comma) return lit_fail(l, "',' or ')' in the shape");
        if (n == EM_MAX_NDIM)
            return io_fail(l->s, "the shape has more than %d dimensions", EM_MAX_NDIM);
        em_status st = lit_dim(l, &shape[n]);
        if (st != EM_OK) return st;
        n++;
        comma = eat(l, ',');
    }
    if (n == 1 && !comma) return io_fail(l->s, "the shape (%" PRId64 ") is not a tuple", shape[0]);
    *ndim = n;
    return EM_OK;
}

typedef struct {
    em_dtype dt;
    bool swap, fortran;
    int64_t shape[EM_MAX_NDIM];
    int ndim;
} npy_header;

static em_status parse_descr(lit *l, npy_header *h) {
    ws(l);
    if (l->i < l->n && l->p[l->i] == '[')
        return io_fail(l->s, "structured dtypes (a list descr) are not supported");
    const char *d;
    size_t n;
    em_status st = lit_string(l, &d, &n, "the descr string");
    if (st != EM_OK) return st;
    char order = n ? d[0] : 0;
    const char *code = d;
    size_t cn = n;
    if (order == '<' || order == '>' || order == '|' || order == '=') code++, cn--;
    else order = '=';
    for (int t = 0; t < EM_NUM_DTYPES; t++) {
        if (cn == 2 && memcmp(code, codes[t], 2) == 0) {
            h->dt = (em_dtype)t;
            h->swap = order == '>' && em_dtype_size((em_dtype)t) > 1;
            return EM_OK;
        }
    }
    return io_fail(l->s, "unsupported dtype '%.*s' (supported: b1, u1, u2, u4, u8, i1, i2, i4, i8, "
                         "f2, f4, f8, c8 and V2 for bfloat16)", (int)(n > 32 ? 32 : n), d);
}

static em_status parse_header(const io_src *s, const char *p, size_t n, npy_header *h) {
    lit l = {s, p, n, 0};
    if (!eat(&l, '{')) return lit_fail(&l, "'{'");
    bool seen[3] = {false, false, false};
    for (;;) {
        if (eat(&l, '}')) break;
        const char *k;
        size_t kn;
        em_status st = lit_string(&l, &k, &kn, "a key or '}'");
        if (st != EM_OK) return st;
        int key = kn == 5 && !memcmp(k, "descr", 5)           ? 0
                  : kn == 13 && !memcmp(k, "fortran_order", 13) ? 1
                  : kn == 5 && !memcmp(k, "shape", 5)          ? 2
                                                               : -1;
        if (key < 0)
            return io_fail(s, "the header has an unexpected key '%.*s' (NumPy's keys are descr, "
                              "fortran_order and shape)", (int)(kn > 32 ? 32 : kn), k);
        if (seen[key]) return io_fail(s, "the header repeats the key '%.*s'", (int)kn, k);
        seen[key] = true;
        if (!eat(&l, ':')) return lit_fail(&l, "':'");
        if (key == 0) st = parse_descr(&l, h);
        else if (key == 1) {
            if (word(&l, "True")) h->fortran = true;
            else if (word(&l, "False")) h->fortran = false;
            else st = lit_fail(&l, "True or False for fortran_order");
        } else {
            st = lit_shape(&l, h->shape, &h->ndim);
        }
        if (st != EM_OK) return st;
        if (!eat(&l, ',')) {
            if (eat(&l, '}')) break;
            return lit_fail(&l, "',' or '}'");
        }
    }
    ws(&l);
    if (l.i != l.n) return lit_fail(&l, "the end of the header");
    static const char *const names[3] = {"descr", "fortran_order", "shape"};
    for (int k = 0; k < 3; k++)
        if (!seen[k]) return io_fail(s, "the header has no '%s' key", names[k]);
    return EM_OK;
}

em_status io_load_npy(const io_src *s, em_array **out) {
    *out = NULL;
    io_cur c;
    io_cur_init(&c, s, 0);
    em_status st = EM_OK;
    const uint8_t *pre = io_cur_take(&c, 10, "the .npy preamble (magic, version, header length)");
    if (!pre) goto done;
    if (memcmp(pre, "\x93NUMPY", 6) != 0) {
        st = io_fail(s, "not an .npy file (it does not start with \\x93NUMPY)");
        goto done;
    }
    unsigned major = pre[6], minor = pre[7];
    uint64_t hlen = io_le16(pre + 8);
    if (major < 1 || major > 3 || minor != 0) {
        st = io_fail(s, "unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 are)", major, minor);
        goto done;
    }
    if (major > 1) {
        const uint8_t *ext = io_cur_take(&c, 2, "the header length");
        if (!ext) goto done;
        hlen |= (uint64_t)io_le16(ext) << 16;
    }
    uint64_t start = c.pos;
    if (hlen > io_cur_left(&c)) {
        st = io_fail(s, "the header length %llu runs past the end of the file (%llu bytes)",
                     (unsigned long long)hlen, (unsigned long long)s->size);
        goto done;
    }
    const uint8_t *hp = io_cur_take(&c, hlen, "the header");
    if (!hp) goto done;
    npy_header h = {0};
    st = parse_header(s, (const char *)hp, (size_t)hlen, &h);
    if (st != EM_OK) goto done;
    uint64_t off = start + hlen;
    int64_t nb = io_nbytes(h.dt, h.shape, h.ndim);
    if (nb < 0) {
        st = io_fail(s, "the shape's byte count overflows a 64-bit integer");
        goto done;
    }
    if (!io_range(s, off, (uint64_t)nb)) {
        st = io_fail(s, "the data is truncated: the shape needs %lld bytes after the header, the file "
                        "has %llu", (long long)nb, (unsigned long long)(s->size - off));
        goto done;
    }
    *out = io_array(s, off, h.dt, h.shape, h.ndim,
                    (h.fortran ? IO_ARR_FORTRAN : 0) | (h.swap ? IO_ARR_SWAP : 0));
    if (!*out) st = em_error_code();
done:
    io_cur_free(&c);
    return *out ? EM_OK : (st != EM_OK ? st : em_error_code());
}

/* ---------------------------------------------------------------- write */

size_t io_npy_header(char *buf, em_dtype dt, const int64_t *shape, int ndim, bool fortran) {
    char body[IO_NPY_HEADER_MAX];
    const char *order = em_dtype_size(dt) == 1 ? "|" : "<";
    int n = snprintf(body, sizeof body, "{'descr': '%s%s', 'fortran_order': %s, 'shape': (", order,
                     codes[dt], fortran ? "True" : "False");
    for (int i = 0; i < ndim; i++)
        n += snprintf(body + n, sizeof body - (size_t)n, i ? ", %" PRId64 : "%" PRId64, shape[i]);
    n += snprintf(body + n, sizeof body - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    /* NumPy leaves room to grow the growth axis in place: 21 digits */
    if (ndim > 0) {
        char digits[32];
        int d = snprintf(digits, sizeof digits, "%" PRId64, shape[fortran ? ndim - 1 : 0]);
        for (int k = d; k < 21; k++) body[n++] = ' ';
    }
    size_t hlen = (size_t)n + 1; /* with the '\n' */
    size_t prefix = 10;
    size_t pad = 64 - (prefix + hlen) % 64;
    if (hlen + pad > 65535) {
        prefix = 12;
        pad = 64 - (prefix + hlen) % 64;
    }
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = prefix == 10 ? 1 : 2;
    buf[7] = 0;
    uint32_t total = (uint32_t)(hlen + pad);
    io_put32((uint8_t *)buf + 8, total);
    memcpy(buf + prefix, body, (size_t)n);
    memset(buf + prefix + n, ' ', pad);
    buf[prefix + (size_t)n + pad] = '\n';
    return prefix + hlen + pad;
}

em_status io_put_array(io_sink *k, em_array *a, bool allow_fortran, bool *fortran) {
    size_t nb = em_array_nbytes(a);
    bool col = allow_fortran && (a->flags & EM_AF_COL_CONTIG) && !(a->flags & EM_AF_ROW_CONTIG);
    if (fortran) *fortran = col;
    if (!nb) return EM_OK;
    if (col || (a->flags & EM_AF_ROW_CONTIG)) return io_put(k, array_ptr(a), nb);
    scope_op_depth++;
    em_array *c = em_copy(a);
    scope_op_depth--;
    em_status st = c ? em_eval1(c) : em_error_code();
    if (st == EM_OK) st = io_put(k, array_ptr(c), nb);
    em_array_release(c);
    return st;
}

em_status io_save_npy(io_sink *k, em_array *a) {
    char h[IO_NPY_HEADER_MAX];
    bool fortran = (a->flags & EM_AF_COL_CONTIG) && !(a->flags & EM_AF_ROW_CONTIG);
    size_t n = io_npy_header(h, a->dtype, a->shape, a->ndim, fortran);
    em_status st = io_put(k, h, n);
    return st == EM_OK ? io_put_array(k, a, true, NULL) : st;
}
