/* rules.c -- shape helpers shared by the transform rules (rules.h). */
#include <string.h>

#include "rules.h"

em_array *rules_expand_reduced(const em_array *g, const em_array *in, const int32_t *axes, int naxes) {
    EM_CHECK_ARG("vjp", g);
    int64_t kept[EM_MAX_NDIM];
    memcpy(kept, in->shape, (size_t)in->ndim * sizeof *kept);
    for (int i = 0; i < naxes; i++) kept[axes[i]] = 1;
    em_array *r = ops_reshape(g, kept, in->ndim);
    em_array *b = ops_broadcast(r, in->shape, in->ndim);
    em_array_release(r);
    return b;
}

em_array *rules_unbroadcast(const em_array *g, const em_array *like) {
    EM_CHECK_ARG("vjp", g);
    int axes[EM_MAX_NDIM], n = 0, lead = g->ndim - like->ndim;
    for (int i = 0; i < g->ndim; i++)
        if (i < lead || (like->shape[i - lead] == 1 && g->shape[i] != 1)) axes[n++] = i;
    em_array *s = n ? em_sum(g, axes, n, false) : em_array_retain((em_array *)g);
    em_array *r = ops_reshape(s, like->shape, like->ndim);
    em_array_release(s);
    return r;
}

em_array *rules_slice_axis(const em_array *g, int axis, int64_t start, int64_t count) {
    EM_CHECK_ARG("vjp", g);
    int64_t lo[EM_MAX_NDIM], hi[EM_MAX_NDIM];
    for (int i = 0; i < g->ndim; i++) {
        lo[i] = 0;
        hi[i] = g->shape[i];
    }
    lo[axis] = start;
    hi[axis] = start + count;
    return em_slice(g, lo, hi, NULL, g->ndim);
}

em_array *rules_or_zeros(const em_array *x, const em_array *like) {
    return x ? em_array_retain((em_array *)x) : em_zeros_like(like);
}
