/* ternary.c -- CPU kernel of select (where): out = cond ? x : y.
 *
 * Select only moves elements, so its loops are per element size (1, 2, 4, 8
 * bytes), not per dtype. The builder (src/ops/ternary.c) gives a bool cond
 * and x, y of the output's dtype, all of one shape. */
#include <string.h>

#include "elementwise.h"
#include "kernels.h"

/* Both operands are read and the condition turned into a mask, so the
 * compiler makes blends of the contiguous loops (a branch per element costs
 * a misprediction on every other element of a random condition). A
 * broadcast x or y (stride 0, a scalar operand) is read once. */
#define SELECT_LOOP(T)                                                         \
    static inline T sel_##T(bool c, T x, T y) {                                \
        T m = (T)0 - (T)c;                                                     \
        return (T)((x & m) | (y & (T)~m));                                     \
    }                                                                          \
    static void select_##T(char **p, const int64_t *st, int64_t n, const void *ctx) { \
        (void)ctx;                                                             \
        char *o = p[0];                                                        \
        const char *c = p[1], *x = p[2], *y = p[3];                            \
        if (st[0] == sizeof(T) && st[1] == 1 && (st[2] == sizeof(T) || st[2] == 0) && \
            (st[3] == sizeof(T) || st[3] == 0)) {                              \
            T *oo = (T *)o;                                                    \
            const bool *cc = (const bool *)c;                                  \
            const T *xx = (const T *)x, *yy = (const T *)y;                    \
            T xs = xx[0], ys = yy[0];                                          \
            if (st[2] && st[3])                                                \
                for (int64_t i = 0; i < n; i++) oo[i] = sel_##T(cc[i], xx[i], yy[i]); \
            else if (st[3])                                                    \
                for (int64_t i = 0; i < n; i++) oo[i] = sel_##T(cc[i], xs, yy[i]); \
            else if (st[2])                                                    \
                for (int64_t i = 0; i < n; i++) oo[i] = sel_##T(cc[i], xx[i], ys); \
            else                                                               \
                for (int64_t i = 0; i < n; i++) oo[i] = sel_##T(cc[i], xs, ys); \
        } else {                                                               \
            for (int64_t i = 0; i < n; i++)                                    \
                *(T *)(o + i * st[0]) = sel_##T(*(const bool *)(c + i * st[1]), \
                                                *(const T *)(x + i * st[2]),   \
                                                *(const T *)(y + i * st[3]));  \
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
