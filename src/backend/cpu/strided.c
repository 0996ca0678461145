/* strided.c -- CPU kernels of the strided family (src/ops/strided.c): VIEW_DTYPE,
 * AS_STRIDED, CONTIGUOUS and DEPENDS point their outputs at their inputs'
 * buffers when the node is encoded (cpu_strided_prepare); a view between item
 * sizes of a non row-contiguous input, and contiguous of a scattered one,
 * copy on the stream instead (cpu_strided_kernel). */
#include <stdlib.h>

#include "../../core/error.h"
#include "kernels.h"
#include "loops.h"
#include "region.h"

static int64_t span(const int64_t *shape, const int64_t *strides, int ndim) {
    int64_t s = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) return 0;
        s += (shape[i] - 1) * llabs(strides[i]);
    }
    return s;
}

static void share_same(em_array *out, const em_array *in) {
    array_share_data(out, in, in->offset, in->strides, in->data_size);
}

static em_status view_dtype(em_array *in, em_array *out, bool *run) {
    if (out->size == 0) {
        array_share_data(out, in, in->offset, NULL, 0);
        return EM_OK;
    }
    if (array_itemsize(in) == array_itemsize(out)) {
        share_same(out, in);
        return EM_OK;
    }
    if (in->flags & EM_AF_ROW_CONTIG) {
        array_share_data(out, in, in->offset, NULL, out->size);
        return EM_OK;
    }
    *run = true;
    return array_alloc_data(out);
}

static em_status as_strided(const em_node *n, em_array *in, em_array *out) {
    const em_as_strided_params *p = NODE_PARAMS(n, em_as_strided_params);
    if (out->size == 0) {
        array_share_data(out, in, in->offset, NULL, 0);
        return EM_OK;
    }
    if (!(in->flags & EM_AF_ROW_CONTIG))
        return error_status(EM_ERR_RUNTIME, "[AsStrided] The input is not row contiguous.");
    size_t off = in->offset + (size_t)p->offset * array_itemsize(in);
    array_share_data(out, in, off, p->strides, span(out->shape, p->strides, out->ndim));
    return EM_OK;
}

static em_status contiguous(const em_node *n, em_array *in, em_array *out, bool *run) {
    const em_contiguous_params *p = NODE_PARAMS(n, em_contiguous_params);
    if (in->size == 0 || (in->flags & EM_AF_ROW_CONTIG) ||
        (p->allow_col_major && (in->flags & EM_AF_COL_CONTIG))) {
        share_same(out, in);
        return EM_OK;
    }
    *run = true;
    return array_alloc_data(out);
}

em_status cpu_strided_prepare(const em_node *n, em_array *const *in, em_array *const *out, bool *run) {
    *run = false;
    switch (n->prim) {
    case EM_PRIM_VIEW_DTYPE: return view_dtype(in[0], out[0], run);
    case EM_PRIM_AS_STRIDED: return as_strided(n, in[0], out[0]);
    case EM_PRIM_CONTIGUOUS: return contiguous(n, in[0], out[0], run);
    case EM_PRIM_DEPENDS:
        for (int i = 0; i < NODE_PARAMS(n, em_depends_params)->n_out; i++)
            if (out[i] && !out[i]->buf) share_same(out[i], in[i]);
        return EM_OK;
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}

/* What is left once prepared: the copies. out[0]'s buffer is row-major. */
em_status cpu_strided_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (n->prim == EM_PRIM_DEPENDS) {
        bool run;
        return cpu_strided_prepare(n, in, out, &run);
    }
    if (!out[0]->buf) {
        bool run;
        em_status st = cpu_strided_prepare(n, in, out, &run);
        if (st != EM_OK || !run) return st;
    }
    if (out[0]->buf == in[0]->buf) return EM_OK;
    int64_t st[EM_MAX_NDIM];
    em_array dst;
    region_row_strides(in[0]->shape, in[0]->ndim, st);
    /* in's elements, row-major, into out's bytes (of any dtype) */
    region_init(&dst, out[0], out[0]->offset, in[0]->shape, st, in[0]->ndim);
    dst.dtype = in[0]->dtype;
    cpu_copy_strided(in[0], &dst);
    return EM_OK;
}
