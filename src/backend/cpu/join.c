/* join.c -- CPU kernels of CONCATENATE (each input copied into its slab of
 * the output) and PAD (the interior copied, then each padded band filled with
 * the constant or copied from the edge next to it). Copies only move
 * bytes, so every dtype goes through cpu_copy_strided. Outputs arrive with
 * fresh row-major buffers. */
#include <string.h>

#include "kernels.h"
#include "loops.h"
#include "region.h"

static em_status concatenate(const em_node *n, em_array *const *in, em_array *out) {
    int axis = NODE_PARAMS(n, em_axis_params)->axis;
    int64_t st[EM_MAX_NDIM];
    region_row_strides(out->shape, out->ndim, st);
    size_t step = (size_t)st[axis] * array_itemsize(out), off = 0;
    for (int i = 0; i < n->n_in; i++) {
        em_array dst;
        region_init(&dst, out, out->offset + off, in[i]->shape, st, out->ndim);
        if (dst.size) cpu_copy_strided(in[i], &dst);
        off += (size_t)in[i]->shape[axis] * step;
    }
    return EM_OK;
}

/* Writes the `count` planes of out from index `to` of axis d, restricted on
 * the other axes to [lo[j], lo[j] + ext[j]): with the 0-d value when given,
 * else with out's plane at index `from` (an edge). */
static void band(em_array *out, const em_array *value, const int64_t *st, const int64_t *lo,
                 const int64_t *ext, int d, int64_t from, int64_t to, int64_t count) {
    if (count == 0) return;
    int nd = out->ndim;
    size_t isz = array_itemsize(out);
    int64_t shape[EM_MAX_NDIM], sst[EM_MAX_NDIM];
    size_t base = out->offset;
    for (int j = 0; j < nd; j++) {
        shape[j] = j == d ? count : ext[j];
        sst[j] = j == d || value ? 0 : st[j];
        if (j != d) base += (size_t)(lo[j] * st[j]) * isz;
    }
    em_array src, dst;
    if (value) region_init(&src, value, value->offset, shape, sst, nd);
    else region_init(&src, out, base + (size_t)(from * st[d]) * isz, shape, sst, nd);
    region_init(&dst, out, base + (size_t)(to * st[d]) * isz, shape, st, nd);
    if (dst.size) cpu_copy_strided(&src, &dst);
}

static em_status pad(const em_node *n, em_array *a, em_array *value, em_array *out) {
    const em_pad_params *p = NODE_PARAMS(n, em_pad_params);
    int nd = out->ndim;
    size_t isz = array_itemsize(out);
    int64_t st[EM_MAX_NDIM];
    region_row_strides(out->shape, nd, st);
    if (out->size == 0) return EM_OK;
    size_t off = out->offset;
    for (int d = 0; d < nd; d++) off += (size_t)(p->low_high[2 * d] * st[d]) * isz;
    em_array dst;
    region_init(&dst, out, off, a->shape, st, nd);
    if (dst.size) cpu_copy_strided(a, &dst);
    /* Then the padding, axis by axis: axes before d already span the whole
     * output, axes after d only the interior, so corners come out right. A
     * constant band takes the value; an edge band the plane next to it. */
    const em_array *fill = p->mode == EM_PAD_CONSTANT ? value : NULL;
    int64_t lo[EM_MAX_NDIM], ext[EM_MAX_NDIM];
    for (int d = 0; d < nd; d++) {
        lo[d] = p->low_high[2 * d];
        ext[d] = a->shape[d];
    }
    for (int d = 0; d < nd; d++) {
        int64_t l = p->low_high[2 * d], h = p->low_high[2 * d + 1], m = a->shape[d];
        if (fill || m > 0) {
            band(out, fill, st, lo, ext, d, l, 0, l);
            band(out, fill, st, lo, ext, d, l + m - 1, l + m, h);
        }
        lo[d] = 0;
        ext[d] = out->shape[d];
    }
    return EM_OK;
}

em_status cpu_join_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_CONCATENATE: return concatenate(n, in, out[0]);
    case EM_PRIM_PAD: return pad(n, in[0], in[1], out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
