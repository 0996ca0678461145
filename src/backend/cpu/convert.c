/* convert.c -- CPU kernels of copy and astype.
 * PLACEHOLDER astype: a per-element generic conversion, until the full
 * family (vectorised, every pair) lands. */
#include <string.h>

#include "kernels.h"
#include "loops.h"

typedef struct { em_dtype from, to; } cast_ctx;

static void cast_inner(char **p, const int64_t *s, int64_t n, const void *vctx) {
    const cast_ctx *c = vctx;
    for (int64_t i = 0; i < n; i++) {
        char *dst = p[0] + i * s[0], *src = p[1] + i * s[1];
        if (c->from == EM_COMPLEX64 && c->to == EM_COMPLEX64) memcpy(dst, src, 8);
        else if (c->to == EM_COMPLEX64) *(em_c64 *)dst = (float)dtype_load_double(c->from, src);
        else if ((dtype_is_int(c->from) || c->from == EM_BOOL) && dtype_is_int(c->to))
            dtype_store_int(c->to, dst, dtype_load_int(c->from, src));
        else dtype_store_double(c->to, dst, dtype_load_double(c->from, src));
    }
}

em_status cpu_convert_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    if (n->prim == EM_PRIM_COPY || in[0]->dtype == out[0]->dtype) {
        cpu_copy_strided(in[0], out[0]);
        return EM_OK;
    }
    cast_ctx c = {in[0]->dtype, out[0]->dtype};
    em_array *ops[2] = {out[0], in[0]};
    cpu_iter it;
    cpu_iter_init(&it, 2, ops);
    cpu_iter_run(&it, cast_inner, &c);
    return EM_OK;
}
