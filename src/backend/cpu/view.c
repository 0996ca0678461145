/* view.c -- CPU kernels of the view primitives: they point the output at the
 * input's buffer with new strides, copying only when no strides can express
 * the result (a reshape that merges axes whose strides do not chain). The
 * pointing happens when the node is encoded (cpu_view_prepare, on the
 * calling thread: it needs the input's metadata only); the copy is the kernel
 * that runs on the stream.
 *
 * data_size is the span of elements a view can reach (1 + sum over axes of
 * (dim - 1) * |stride|, 0 when empty), which never grows from input to view. */
#include <stdlib.h>

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

static em_status broadcast(em_array *in, em_array *out) {
    int64_t st[EM_MAX_NDIM];
    int off = out->ndim - in->ndim;
    for (int i = 0; i < out->ndim; i++) {
        int j = i - off;
        st[i] = j < 0 || in->shape[j] == 1 ? 0 : in->strides[j];
    }
    array_share_data(out, in, in->offset, st, in->data_size);
    return EM_OK;
}

/* NumPy's attempt_nocopy_reshape: the strides that show `in`'s elements, in
 * row-major order, with the shape `nshape`, if there are such strides. Size-1
 * axes are dropped first; then each group of old axes whose product matches a
 * group of new axes must chain (stride[k] == dim[k+1] * stride[k+1]), and the
 * new axes of the group get strides that chain from the group's last stride.
 * in must not be empty. */
static bool reshape_strides(const em_array *in, const int64_t *nshape, int nnd, int64_t *nst) {
    int64_t od[EM_MAX_NDIM], os[EM_MAX_NDIM];
    int ond = 0;
    for (int i = 0; i < in->ndim; i++)
        if (in->shape[i] != 1) {
            od[ond] = in->shape[i];
            os[ond] = in->strides[i];
            ond++;
        }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < nnd && oi < ond) {
        int64_t np = nshape[ni], op = od[oi];
        while (np != op) {
            if (np < op) np *= nshape[nj++];
            else op *= od[oj++];
        }
        for (int k = oi; k < oj - 1; k++)
            if (os[k] != od[k + 1] * os[k + 1]) return false;
        nst[nj - 1] = os[oj - 1];
        for (int k = nj - 1; k > ni; k--) nst[k - 1] = nst[k] * nshape[k];
        ni = nj++;
        oi = oj++;
    }
    /* trailing size-1 axes: any stride will do */
    for (int k = ni; k < nnd; k++) nst[k] = 1;
    return true;
}

/* A view when strides can express it; else a fresh row-major buffer (and
 * *copy set) that reshape_copy fills. */
static em_status reshape(em_array *in, em_array *out, bool *copy) {
    int64_t st[EM_MAX_NDIM];
    if (in->size == 0) {
        array_share_data(out, in, in->offset, NULL, 0);
        return EM_OK;
    }
    if (reshape_strides(in, out->shape, out->ndim, st)) {
        array_share_data(out, in, in->offset, st, in->data_size);
        return EM_OK;
    }
    *copy = true;
    return array_alloc_data(out);
}

/* `in` copied into out's row-major buffer is the answer, read with the new
 * shape. */
static void reshape_copy(em_array *in, em_array *out) {
    int64_t st[EM_MAX_NDIM];
    em_array dst;
    region_row_strides(in->shape, in->ndim, st);
    region_init(&dst, out, 0, in->shape, st, in->ndim);
    cpu_copy_strided(in, &dst);
}

static em_status transpose(const em_node *n, em_array *in, em_array *out) {
    const em_transpose_params *p = NODE_PARAMS(n, em_transpose_params);
    int64_t st[EM_MAX_NDIM];
    for (int i = 0; i < out->ndim; i++) st[i] = in->strides[p->perm[i]];
    array_share_data(out, in, in->offset, st, in->data_size);
    return EM_OK;
}

static em_status slice(const em_node *n, em_array *in, em_array *out) {
    const em_slice_params *p = NODE_PARAMS(n, em_slice_params);
    int64_t st[EM_MAX_NDIM], off = (int64_t)in->offset;
    if (out->size == 0) {
        array_share_data(out, in, in->offset, NULL, 0);
        return EM_OK;
    }
    int64_t isz = (int64_t)array_itemsize(in);
    for (int i = 0; i < out->ndim; i++) {
        off += p->start_step[2 * i] * in->strides[i] * isz;
        st[i] = in->strides[i] * p->start_step[2 * i + 1];
    }
    array_share_data(out, in, (size_t)off, st, span(out->shape, st, out->ndim));
    return EM_OK;
}

em_status cpu_view_prepare(const em_node *n, em_array *const *in, em_array *const *out, bool *run) {
    *run = false;
    switch (n->prim) {
    case EM_PRIM_BROADCAST: return broadcast(in[0], out[0]);
    case EM_PRIM_RESHAPE: return reshape(in[0], out[0], run);
    case EM_PRIM_TRANSPOSE: return transpose(n, in[0], out[0]);
    case EM_PRIM_SLICE: return slice(n, in[0], out[0]);
    case EM_PRIM_STOP_GRADIENT:
        array_share_data(out[0], in[0], in[0]->offset, in[0]->strides, in[0]->data_size);
        return EM_OK;
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}

/* Only a reshape that could not be a view has work left once prepared. */
em_status cpu_view_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (!out[0]->buf) {
        bool run;
        em_status st = cpu_view_prepare(n, in, out, &run);
        if (st != EM_OK || !run) return st;
    }
    if (n->prim == EM_PRIM_RESHAPE && out[0]->buf != in[0]->buf) reshape_copy(in[0], out[0]);
    return EM_OK;
}
