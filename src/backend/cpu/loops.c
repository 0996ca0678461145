/* loops.c -- the N-d strided driver (split over the thread pool) and the
 * same-dtype strided copy. */
#include <string.h>

#include "loops.h"
#include "pool.h"

void cpu_iter_init(cpu_iter *it, int nops, em_array *const *ops) {
    const em_array *a0 = ops[0];
    it->nops = nops;
    for (int k = 0; k < nops; k++) {
        it->base[k] = array_ptr(ops[k]);
        it->itemsize[k] = (int64_t)array_itemsize(ops[k]);
    }
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

/* Runs fn over the elements [begin, end) of the walk's row-major order:
 * partial rows at both ends, whole rows between. */
static void iter_run_range(const cpu_iter *it, cpu_inner_fn fn, const void *ctx, int64_t begin,
                           int64_t end) {
    int nd = it->ndim, nops = it->nops;
    int64_t n = it->shape[nd - 1];
    int64_t inner[CPU_MAX_OPS], idx[EM_MAX_NDIM];
    char *p[CPU_MAX_OPS];
    int64_t row = begin / n, col = begin % n;
    for (int k = 0; k < nops; k++) {
        inner[k] = it->strides[k][nd - 1];
        p[k] = it->base[k];
    }
    for (int d = nd - 2; d >= 0; d--) {
        idx[d] = row % it->shape[d];
        row /= it->shape[d];
        for (int k = 0; k < nops; k++) p[k] += idx[d] * it->strides[k][d];
    }
    for (int64_t left = end - begin;;) {
        int64_t len = n - col < left ? n - col : left;
        char *q[CPU_MAX_OPS];
        for (int k = 0; k < nops; k++) q[k] = p[k] + col * inner[k];
        fn(q, inner, len, ctx);
        left -= len;
        if (left == 0) return;
        col = 0;
        for (int d = nd - 2; d >= 0; d--) {
            for (int k = 0; k < nops; k++) p[k] += it->strides[k][d];
            if (++idx[d] < it->shape[d]) break;
            for (int k = 0; k < nops; k++) p[k] -= it->strides[k][d] * it->shape[d];
            idx[d] = 0;
        }
    }
}

typedef struct { const cpu_iter *it; cpu_inner_fn fn; const void *ctx; } iter_job;

static void iter_part(void *v, int64_t b, int64_t e) {
    const iter_job *j = v;
    iter_run_range(j->it, j->fn, j->ctx, b, e);
}

static int64_t iter_total(const cpu_iter *it) {
    int64_t total = 1;
    for (int d = 0; d < it->ndim; d++) total *= it->shape[d];
    return total;
}

void cpu_iter_run(const cpu_iter *it, cpu_inner_fn fn, const void *ctx) {
    int64_t total = iter_total(it);
    if (total) iter_run_range(it, fn, ctx, 0, total);
}

void cpu_iter_run_parallel(const cpu_iter *it, cpu_inner_fn fn, const void *ctx) {
    int64_t total = iter_total(it);
    if (total == 0 || cpu_iter_run_tiled(it, fn, ctx)) return;
    iter_job j = {it, fn, ctx};
    cpu_pool_parallel_for(total, CPU_GRAIN_ELEMS, iter_part, &j);
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
    cpu_iter_run_parallel(&it, copy_inner, &sz);
}
