/* loops.c -- the N-d strided driver and the same-dtype strided copy. */
#include <string.h>

#include "loops.h"

void cpu_iter_init(cpu_iter *it, int nops, em_array *const *ops) {
    const em_array *a0 = ops[0];
    it->nops = nops;
    for (int k = 0; k < nops; k++) it->base[k] = array_ptr(ops[k]);
    /* Drop size-1 axes, then merge axis i into i+1 where every operand's
     * stride[i] == stride[i+1] * shape[i+1]. */
    int nd = 0;
    for (int d = 0; d < a0->ndim; d++) {
        if (a0->shape[d] == 1) continue;
        it->shape[nd] = a0->shape[d];
        for (int k = 0; k < nops; k++)
            it->strides[k][nd] = ops[k]->strides[d] * (int64_t)array_itemsize(ops[k]);
        nd++;
    }
    if (a0->size == 0) nd = 1, it->shape[0] = 0;
    if (nd == 0) {
        it->ndim = 1;
        it->shape[0] = 1;
        for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
        return;
    }
    int m = 0;
    for (int d = 1; d < nd; d++) {
        bool merge = true;
        for (int k = 0; k < nops && merge; k++)
            merge = it->strides[k][m] == it->strides[k][d] * it->shape[d];
        if (merge) {
            it->shape[m] *= it->shape[d];
            for (int k = 0; k < nops; k++) it->strides[k][m] = it->strides[k][d];
        } else {
            m++;
            it->shape[m] = it->shape[d];
            for (int k = 0; k < nops; k++) it->strides[k][m] = it->strides[k][d];
        }
    }
    it->ndim = m + 1;
}

void cpu_iter_run(const cpu_iter *it, cpu_inner_fn fn, const void *ctx) {
    int nd = it->ndim, nops = it->nops;
    int64_t n = it->shape[nd - 1];
    if (n == 0) return;
    int64_t inner[CPU_MAX_OPS];
    char *p[CPU_MAX_OPS];
    for (int k = 0; k < nops; k++) {
        inner[k] = it->strides[k][nd - 1];
        p[k] = it->base[k];
    }
    if (nd == 1) {
        fn(p, inner, n, ctx);
        return;
    }
    int64_t idx[EM_MAX_NDIM] = {0};
    for (int d = 0; d < nd - 1; d++)
        if (it->shape[d] == 0) return;
    for (;;) {
        char *q[CPU_MAX_OPS];
        for (int k = 0; k < nops; k++) q[k] = p[k];
        fn(q, inner, n, ctx);
        int d = nd - 2;
        for (; d >= 0; d--) {
            for (int k = 0; k < nops; k++) p[k] += it->strides[k][d];
            if (++idx[d] < it->shape[d]) break;
            for (int k = 0; k < nops; k++) p[k] -= it->strides[k][d] * it->shape[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

static void copy_inner(char **p, const int64_t *s, int64_t n, const void *ctx) {
    size_t sz = *(const size_t *)ctx;
    char *src = p[1], *dst = p[0];
    if (s[0] == (int64_t)sz && s[1] == (int64_t)sz) {
        memcpy(dst, src, (size_t)n * sz);
        return;
    }
    switch (sz) {
#define CASE(T)                                                                \
    case sizeof(T):                                                            \
        for (int64_t i = 0; i < n; i++, dst += s[0], src += s[1])              \
            memcpy(dst, src, sizeof(T));                                       \
        return;
        CASE(uint8_t) CASE(uint16_t) CASE(uint32_t) CASE(uint64_t)
#undef CASE
    default:
        for (int64_t i = 0; i < n; i++, dst += s[0], src += s[1]) memcpy(dst, src, sz);
    }
}

void cpu_copy_strided(const em_array *src, em_array *dst) {
    em_array *ops[2] = {dst, (em_array *)src};
    cpu_iter it;
    cpu_iter_init(&it, 2, ops);
    size_t sz = array_itemsize(dst);
    cpu_iter_run(&it, copy_inner, &sz);
}
