/* shape.c -- broadcasting and axis normalisation for op builders. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "shape.h"

const char *shape_str(const int64_t *shape, int ndim, char *buf, size_t cap) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, cap - k, "(");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < cap) snprintf(buf + k, cap - k, ")");
    return buf;
}

int shape_broadcast(const char *op, const int64_t *a, int na, const int64_t *b, int nb,
                    int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - na ? 1 : a[i - (n - na)];
        int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else {
            char sa[256], sb[256];
            error_set(EM_ERR_VALUE, "[%s] Shapes %s and %s cannot be broadcast.", op,
                      shape_str(a, na, sa, sizeof sa), shape_str(b, nb, sb, sizeof sb));
            return -1;
        }
    }
    return n;
}

int shape_axis(const char *op, int axis, int ndim) {
    int ax = axis < 0 ? axis + ndim : axis;
    if (ax < 0 || ax >= ndim) {
        error_set(EM_ERR_INDEX, "[%s] Invalid axis %d for array with %d dimensions.", op,
                  axis, ndim);
        return -1;
    }
    return ax;
}

int shape_axes(const char *op, const int *axes, int naxes, int ndim, int *out) {
    bool seen[EM_MAX_NDIM] = {false};
    if (naxes > 0 && !axes) {
        error_set(EM_ERR_NULL, "[%s] The axes pointer is NULL.", op);
        return -1;
    }
    for (int i = 0; i < naxes; i++) {
        int ax = shape_axis(op, axes[i], ndim);
        if (ax < 0) return -1;
        if (seen[ax]) {
            error_set(EM_ERR_VALUE, "[%s] Received duplicate axis %d.", op, axes[i]);
            return -1;
        }
        seen[ax] = true;
    }
    int n = 0;
    for (int i = 0; i < ndim; i++)
        if (seen[i]) out[n++] = i;
    return n;
}
