/* test_vmap_index.c -- em_vmap of the gather/scatter family (gather, take,
 * take/put_along_axis, scatter and its reductions, slice_update, masked
 * scatter) against a loop over the mapped axis, every input mapped along
 * each axis or not at all; no leaks. The index arrays hold values in [0, 3),
 * valid on every indexed axis (each of size 3). */
#include "vmap_util.h"

static em_array *take_op(em_array *const *in, const void *arg) {
    return em_take(in[0], in[1], *(const int *)arg, true);
}
static em_array *take_flat_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_take(in[0], in[1], 0, false);
}
static em_array *gather2_op(em_array *const *in, const void *arg) {
    (void)arg;
    const em_array *idx[2] = {in[1], in[2]};
    return em_gather(in[0], idx, 2, AX(0, 1), SH(1, 1, 2), 3);
}
static em_array *along_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_take_along_axis(in[0], in[1], 0, true);
}
static em_array *put_along_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_put_along_axis(in[0], in[1], in[2], 0, true);
}
static em_array *scatter_add_axis_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_scatter_add_axis(in[0], in[1], in[2], 1);
}
typedef em_array *(*scatter_fn)(const em_array *, const em_array *const *, size_t, const em_array *,
                                const int *);
static em_array *scatter_op(em_array *const *in, const void *arg) {
    const em_array *idx[1] = {in[1]};
    return (*(const scatter_fn *)arg)(in[0], idx, 1, in[2], AX(0));
}
static em_array *scatter2_op(em_array *const *in, const void *arg) {
    (void)arg;
    const em_array *idx[2] = {in[1], in[2]};
    return em_scatter_add(in[0], idx, 2, in[3], AX(1, 0));
}
static em_array *slice_update_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_slice_update(in[0], in[1], SH(2, 0), SH(-4, 4), SH(-1, 2), 2);
}
static em_array *masked_op(em_array *const *in, const void *arg) {
    (void)arg;
    /* src: one value for every true entry (the sum of in[2], broadcast) */
    em_array *m = em_greater(in[1], in[2]);
    em_array *s = em_sum(in[2], NULL, -1, false);
    em_array *s1 = em_reshape(s, SH(1), 1);
    em_array *r = em_masked_scatter(in[0], m, s1);
    em_array_release(m);
    em_array_release(s);
    em_array_release(s1);
    return r;
}

int main(void) {
    int64_t live = em_live_arrays();
    const em_dtype F = EM_FLOAT32, I = EM_INT32;
    int axis = 1;
    const int64_t *e_take[] = {SH(2, 3, 2), SH(4)};
    check_all_axes("take axis 1", take_op, &axis, 2, e_take, AX(3, 1), (em_dtype[]){F, I}, 0, 3, 1e-6);
    axis = 0;
    const int64_t *e_take2[] = {SH(3, 2), SH(2, 2)};
    check_all_axes("take axis 0, 2-d indices", take_op, &axis, 2, e_take2, AX(2, 2), (em_dtype[]){F, I}, 0, 3, 1e-6);
    const int64_t *e_flat[] = {SH(2, 2), SH(3)};
    check_all_axes("take flat", take_flat_op, NULL, 2, e_flat, AX(2, 1), (em_dtype[]){F, EM_INT64}, 0, 3, 1e-6);
    const int64_t *e_g2[] = {SH(3, 3, 2), SH(4), SH(1)};
    check_all_axes("gather two indices", gather2_op, NULL, 3, e_g2, AX(3, 1, 1), (em_dtype[]){F, I, EM_UINT8}, 0, 3, 1e-6);
    const int64_t *e_al[] = {SH(3, 2), SH(4, 2)};
    check_all_axes("take_along_axis", along_op, NULL, 2, e_al, AX(2, 2), (em_dtype[]){F, I}, 0, 3, 1e-6);
    const int64_t *e_put[] = {SH(3, 2), SH(2, 2), SH(2, 2)};
    check_all_axes("put_along_axis", put_along_op, NULL, 3, e_put, AX(2, 2, 2), (em_dtype[]){F, I, F}, 0, 3, 1e-6);
    const int64_t *e_sax[] = {SH(2, 3), SH(2, 4), SH(2, 4)};
    check_all_axes("scatter_add_axis", scatter_add_axis_op, NULL, 3, e_sax, AX(2, 2, 2), (em_dtype[]){F, I, F}, 0, 3, 1e-6);
    static const scatter_fn fns[] = {em_scatter_add, em_scatter_prod, em_scatter_max, em_scatter_min};
    const int64_t *e_sc[] = {SH(3, 2), SH(4), SH(4, 1, 2)};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        check_all_axes("scatter op", scatter_op, &fns[i], 3, e_sc, AX(2, 1, 3), (em_dtype[]){F, I, F}, 0, 3, 1e-6);
    const int64_t *e_sc2[] = {SH(3, 3), SH(2), SH(2), SH(2, 1, 1)};
    check_all_axes("scatter_add two indices", scatter2_op, NULL, 4, e_sc2, AX(2, 1, 1, 3), (em_dtype[]){F, I, I, F}, 0, 3, 1e-6);
    const int64_t *e_su[] = {SH(3, 4), SH(3, 2)};
    check_all_axes("slice_update", slice_update_op, NULL, 2, e_su, AX(2, 2), (em_dtype[]){F, F}, 0, 3, 1e-6);
    const int64_t *e_ms[] = {SH(2, 3), SH(2, 3), SH(2, 3)};
    check_all_axes("masked_scatter", masked_op, NULL, 3, e_ms, AX(2, 2, 2), (em_dtype[]){F, F, F}, 0, 3, 1e-6);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
