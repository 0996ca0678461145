/* binary.c -- CPU kernels of the binary elementwise primitives.
 * PLACEHOLDER: float32/int32 add only, until the full family lands. */
#include "kernels.h"
#include "loops.h"

static void add_f32(char **p, const int64_t *s, int64_t n, const void *ctx) {
    (void)ctx;
    for (int64_t i = 0; i < n; i++)
        *(float *)(p[0] + i * s[0]) = *(float *)(p[1] + i * s[1]) + *(float *)(p[2] + i * s[2]);
}
static void add_i32(char **p, const int64_t *s, int64_t n, const void *ctx) {
    (void)ctx;
    for (int64_t i = 0; i < n; i++)
        *(int32_t *)(p[0] + i * s[0]) = *(int32_t *)(p[1] + i * s[1]) + *(int32_t *)(p[2] + i * s[2]);
}

em_status cpu_binary_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    cpu_inner_fn fn = NULL;
    if (n->prim == EM_PRIM_ADD && in[0]->dtype == EM_FLOAT32) fn = add_f32;
    if (n->prim == EM_PRIM_ADD && in[0]->dtype == EM_INT32) fn = add_i32;
    if (!fn) return cpu_unsupported(n, in[0]->dtype);
    em_array *ops[3] = {out[0], in[0], in[1]};
    cpu_iter it;
    cpu_iter_init(&it, 3, ops);
    cpu_iter_run(&it, fn, NULL);
    return EM_OK;
}
