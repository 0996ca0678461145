/* print.c -- MLX's printed form of an array (Python's repr of an mx.array),
 * and the process-wide print precision.
 *
 * The format, as mlx 0.32 prints it (checked against it, see test_print.c):
 *   array(<values>, dtype=<name>)
 *   - 0-d arrays print the bare value; others nest brackets, one row of the
 *     last axis per line, later lines indented by 7 + depth spaces;
 *   - every axis longer than 6 prints its first and last 3 entries around
 *     "..." (no size threshold: arange(7) summarises);
 *   - floats (float16/bfloat16 widened to float) print as C's "%g" (C++
 *     ostream's default), or as "%.<p>f" once a precision p is set; any p other
 *     than -1 means fixed, and a negative one then gives 6 digits, as
 *     std::setprecision does;
 *   - complex prints re, then "-" and -im when im < 0, else "+" and im, then
 *     "j" (so a negative zero or NaN imaginary part prints "+-0j", "+-nanj");
 *   - bool prints True/False, integers in full (uint64 unsigned).
 * Values are read through the array's strides, so printing needs no kernel
 * beyond the ones evaluating the array. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

static atomic_int print_precision = -1;

EM_API void em_set_print_precision(int precision) { atomic_store(&print_precision, precision); }

/* ---------------------------------------------------------------- a growing string */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool failed;
} sbuf;

static bool sb_reserve(sbuf *s, size_t extra) {
    if (s->failed) return false;
    if (s->n + extra + 1 <= s->cap) return true;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < s->n + extra + 1) cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p) {
        s->failed = true;
        return false;
    }
    s->p = p;
    s->cap = cap;
    return true;
}

static void sb_put(sbuf *s, const char *str) {
    size_t k = strlen(str);
    if (!sb_reserve(s, k)) return;
    memcpy(s->p + s->n, str, k + 1);
    s->n += k;
}

static void sb_spaces(sbuf *s, int k) {
    if (!sb_reserve(s, (size_t)k)) return;
    memset(s->p + s->n, ' ', (size_t)k);
    s->n += (size_t)k;
    s->p[s->n] = '\0';
}

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...) {
    char small[64];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0) {
        s->failed = true;
        return;
    }
    if ((size_t)k < sizeof small) {
        sb_put(s, small);
        return;
    }
    /* long fixed-point output (1e38 at a high precision) */
    if (!sb_reserve(s, (size_t)k)) return;
    va_start(ap, fmt);
    vsnprintf(s->p + s->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    s->n += (size_t)k;
}

/* ---------------------------------------------------------------- values */

static void put_float(sbuf *s, double v, int prec) {
    if (prec == -1) sb_printf(s, "%g", v);
    else sb_printf(s, "%.*f", prec, v); /* negative: printf's default, 6 */
}

static void put_value(sbuf *s, em_dtype dt, const char *p, int prec) {
    switch (dt) {
    case EM_BOOL: sb_put(s, *(const unsigned char *)p ? "True" : "False"); break;
    case EM_UINT64: {
        uint64_t u;
        memcpy(&u, p, sizeof u);
        sb_printf(s, "%llu", (unsigned long long)u);
        break;
    }
    case EM_UINT8: case EM_UINT16: case EM_UINT32:
    case EM_INT8: case EM_INT16: case EM_INT32: case EM_INT64:
        sb_printf(s, "%lld", (long long)dtype_load_int(dt, p));
        break;
    case EM_COMPLEX64: {
        float c[2];
        memcpy(c, p, sizeof c);
        put_float(s, c[0], prec);
        if (c[1] < 0) {
            sb_put(s, "-");
            put_float(s, -c[1], prec);
        } else {
            sb_put(s, "+");
            put_float(s, c[1], prec);
        }
        sb_put(s, "j");
        break;
    }
    default: put_float(s, dtype_load_double(dt, p), prec); break;
    }
}

enum { EDGE = 3 }; /* entries kept at each end of a summarised axis */

/* Prints the sub-array of `a` starting at p along axes dim.. (recursion depth
 * is bounded by EM_MAX_NDIM). */
static void put_sub(sbuf *s, const em_array *a, const char *p, int dim, int prec) {
    int64_t n = a->shape[dim];
    int64_t step = a->strides[dim] * (int64_t)array_itemsize(a);
    bool last = dim == a->ndim - 1;
    sb_put(s, "[");
    for (int64_t i = 0; i < n && !s->failed; i++) {
        if (i > 0 && !last) sb_spaces(s, 7 + dim);
        if (i == EDGE && n > 2 * EDGE) {
            sb_put(s, "...");
            i = n - EDGE - 1;
        } else if (last) {
            put_value(s, a->dtype, p + i * step, prec);
        } else {
            put_sub(s, a, a->size ? p + i * step : p, dim + 1, prec);
        }
        if (i != n - 1) sb_put(s, last ? ", " : ",\n");
    }
    sb_put(s, "]");
}

EM_API char *em_array_to_string(em_array *a) {
    if (!a) return error_null_arg("array_to_string");
    if (em_eval(&a, 1) != EM_OK) return NULL;
    int prec = atomic_load(&print_precision);
    sbuf s = {0};
    /* an empty array may have no memory at all: never offset its pointer */
    const char *p = a->size ? array_ptr(a) : NULL;
    sb_put(&s, "array(");
    if (a->ndim == 0) put_value(&s, a->dtype, p, prec);
    else put_sub(&s, a, p, 0, prec);
    sb_printf(&s, ", dtype=%s)", em_dtype_name(a->dtype));
    if (s.failed) {
        free(s.p);
        return error_set(EM_ERR_MEMORY, "[array_to_string] Out of memory.");
    }
    return s.p;
}
