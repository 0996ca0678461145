/* ternary.c -- CPU kernel of select (where): out = cond ? x : y.
 *
 * Select only moves elements, so its loops are per element size (1, 2, 4, 8
 * bytes), not per dtype. The builder (src/ops/ternary.c) gives a bool cond
 * and x, y of the output's dtype, all of one shape. */
#include <string.h>

#include "elementwise.h"
#include "kernels.h"

#define SELECT_LOOP(T)                                                         \
    static void select_##T(char **p, const int64_t *st, int64_t n, const void *ctx) { \
        (void)ctx;                                                             \
        char *o = p[0];                                                        \
        const char *c = p[1], *x = p[2], *y = p[3];                            \
        if (st[0] == sizeof(T) && st[1] == 1 && st[2] == sizeof(T) && st[3] == sizeof(T)) { \
            T *oo = (T *)o;                                                    \
            const bool *cc = (const bool *)c;                                  \
            const T *xx = (const T *)x, *yy = (const T *)y;                    \
            for (int64_t i = 0; i < n; i++) oo[i] = cc[i] ? xx[i] : yy[i];     \
        } else {                                                               \
            for (int64_t i = 0; i < n; i++)                                    \
                *(T *)(o + i * st[0]) = *(const bool *)(c + i * st[1])         \
                                            ? *(const T *)(x + i * st[2])      \
                                            : *(const T *)(y + i * st[3]);     \
        }                                                                      \
    }
SELECT_LOOP(uint8_t)
SELECT_LOOP(uint16_t)
SELECT_LOOP(uint32_t)
SELECT_LOOP(uint64_t)
#undef SELECT_LOOP

cpu_inner_fn cpu_select_loop(em_dtype dt) {
    switch (em_dtype_size(dt)) {
    case 1: return select_uint8_t;
    case 2: return select_uint16_t;
    case 4: return select_uint32_t;
    case 8: return select_uint64_t;
    default: return NULL;
    }
}

em_status cpu_ternary_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    em_dtype dt = out[0]->dtype;
    if (n->prim != EM_PRIM_SELECT || in[0]->dtype != EM_BOOL || in[1]->dtype != dt ||
        in[2]->dtype != dt)
        return cpu_unsupported(n, dt);
    cpu_inner_fn fn = cpu_select_loop(dt);
    if (!fn) return cpu_unsupported(n, dt);
    em_array *ops[4] = {out[0], in[0], in[1], in[2]};
    cpu_elementwise_run(4, ops, fn, NULL);
    return EM_OK;
}
