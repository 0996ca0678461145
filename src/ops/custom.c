/* custom.c -- the CUSTOM primitive: an identity node over a function's outputs
 * that carries the user's vjp/jvp/vmap rules (custom_function, checkpoint). Its
 * inputs are the function's primal inputs followed by its outputs behind
 * stop_gradient, so differentiating never enters the function's own graph:
 * the rules alone say what the derivatives are. */
#include <stdlib.h>
#include <string.h>

#include "custom.h"
#include "ops.h"

static void rules_destroy(em_refobj *o) {
    custom_rules *r = (custom_rules *)o;
    em_closure_release(r->fun);
    em_closure_release(r->vjp);
    em_closure_release(r->jvp);
    em_closure_release(r->vmap);
    free(r);
}

custom_rules *custom_rules_new(em_closure *fun, em_closure *vjp, em_closure *jvp, em_closure *vmap) {
    custom_rules *r = malloc(sizeof *r);
    if (!r) return error_set(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    atomic_init(&r->base.rc, 1);
    r->base.destroy = rules_destroy;
    r->fun = em_closure_retain(fun);
    r->vjp = em_closure_retain(vjp);
    r->jvp = em_closure_retain(jvp);
    r->vmap = em_closure_retain(vmap);
    return r;
}

em_status custom_apply(custom_rules *r, em_array *const *primals, int n_primals,
                       em_array *const *outputs, int n_out, em_array **outs) {
    int n_in = n_primals + n_out;
    em_array **in = malloc((size_t)n_in * sizeof *in);
    const int64_t **shapes = malloc((size_t)n_out * (sizeof *shapes + sizeof(int) + sizeof(em_dtype)));
    if (!in || !shapes) {
        free(in);
        free(shapes);
        return error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    }
    int *ndims = (int *)(void *)(shapes + n_out);
    em_dtype *dt = (em_dtype *)(void *)(ndims + n_out);
    int made = 0;
    memcpy(in, primals, (size_t)n_primals * sizeof *in);
    em_status st = EM_OK;
    for (; made < n_out; made++) {
        in[n_primals + made] = em_stop_gradient(outputs[made]);
        if (!in[n_primals + made]) {
            st = em_error_code();
            break;
        }
        dt[made] = outputs[made]->dtype;
        shapes[made] = outputs[made]->shape;
        ndims[made] = outputs[made]->ndim;
    }
    if (st == EM_OK) {
        em_custom_params p;
        memset(&p, 0, sizeof p);
        p.rules = &r->base;
        p.n_out = n_out;
        st = node_make_multi(EM_PRIM_CUSTOM, &p, sizeof p, in, n_in, n_out, dt, shapes, ndims, outs);
    }
    for (int i = 0; i < made; i++) em_array_release(in[n_primals + i]);
    free(in);
    free(shapes);
    return st;
}

static custom_rules *rules_of(const em_node *n) {
    return (custom_rules *)NODE_PARAMS(n, em_custom_params)->rules;
}

/* ---------------------------------------------------------------- autodiff */

/* Copies the list's first `count` arrays to dst (new references), checking
 * that the user's rule returned that many. */
static em_status take(em_array_list *l, size_t count, em_array **dst, const char *what) {
    if (em_array_list_size(l) != count)
        return error_status(EM_ERR_VALUE, "[custom_function] The custom %s returned %zu arrays but %zu were expected.",
                            what, em_array_list_size(l), count);
    for (size_t i = 0; i < count; i++) dst[i] = em_array_retain(em_array_list_get(l, i));
    return EM_OK;
}

em_status ops_custom_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    custom_rules *r = rules_of(n);
    int m = n->n_out, np = n->n_in - m;
    /* the rule sees primals, a full set of cotangents and the outputs */
    em_array **args = calloc((size_t)(np + 2 * m + np), sizeof *args);
    if (!args) return error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    em_array **res = args + np + 2 * m;
    em_status st = EM_OK;
    memcpy(args, in, (size_t)np * sizeof *args);
    for (int i = 0; i < m && st == EM_OK; i++) {
        const em_array *o = in[np + i];
        args[np + i] = cot[i] ? em_array_retain(cot[i]) : em_zeros_like(o);
        args[np + m + i] = em_array_retain((em_array *)o);
        if (!args[np + i]) st = em_error_code();
    }
    em_array_list *l = st == EM_OK ? em_array_list_new() : NULL;
    if (st == EM_OK && !l) st = em_error_code();
    if (st == EM_OK) {
        if (r->vjp) {
            st = em_closure_call(r->vjp, args, (size_t)(np + 2 * m), l);
        } else {
            em_array_list *outs = em_array_list_new();
            st = outs ? em_vjp(r->fun, args, (size_t)np, args + np, (size_t)m, outs, l) : em_error_code();
            em_array_list_free(outs);
        }
    }
    if (st == EM_OK) st = take(l, (size_t)np, res, "vjp");
    for (int i = 0; i < np; i++) {
        if (st == EM_OK && want[i]) grads[i] = res[i];
        else em_array_release(res[i]);
    }
    for (int i = np; i < np + 2 * m; i++) em_array_release(args[i]);
    em_array_list_free(l);
    free(args);
    return st;
}

em_status ops_custom_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    (void)out;
    custom_rules *r = rules_of(n);
    int m = n->n_out, np = n->n_in - m;
    em_array **args = calloc((size_t)(2 * np), sizeof *args);
    if (!args) return error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    em_status st = EM_OK;
    memcpy(args, in, (size_t)np * sizeof *args);
    for (int i = 0; i < np && st == EM_OK; i++) {
        args[np + i] = tan[i] ? em_array_retain(tan[i]) : em_zeros_like(in[i]);
        if (!args[np + i]) st = em_error_code();
    }
    em_array_list *l = st == EM_OK ? em_array_list_new() : NULL;
    if (st == EM_OK && !l) st = em_error_code();
    if (st == EM_OK) {
        if (r->jvp) {
            st = em_closure_call(r->jvp, args, (size_t)(2 * np), l);
        } else {
            em_array_list *outs = em_array_list_new();
            st = outs ? em_jvp(r->fun, args, (size_t)np, args + np, (size_t)np, outs, l) : em_error_code();
            em_array_list_free(outs);
        }
    }
    if (st == EM_OK) st = take(l, (size_t)m, out_tan, "jvp");
    for (int i = np; i < 2 * np; i++) em_array_release(args[i]);
    em_array_list_free(l);
    free(args);
    return st;
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* A user vmap rule (r->vmap) is called with the primal inputs followed by
 * their axes as 0-d int32 arrays (-1: not mapped) and returns the outputs
 * followed by theirs. Without one, the default is vmap of r->fun. */
em_status ops_custom_vmap(const em_node *n, em_array *const *in, const int *axes,
                          em_array **out, int *out_axes) {
    custom_rules *r = rules_of(n);
    int m = n->n_out, np = n->n_in - m;
    /* Nothing mapped goes in: the batch came through arrays the function
     * captured, and its outputs (the last inputs) are the answer. */
    if (vmap_first(axes, np) < 0) {
        for (int i = 0; i < m; i++) {
            out[i] = em_array_retain(in[np + i]);
            out_axes[i] = axes[np + i];
        }
        return EM_OK;
    }
    em_array_list *l = em_array_list_new();
    em_array **args = calloc((size_t)(2 * np), sizeof *args);
    em_status st = l && args ? EM_OK : error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    if (st == EM_OK && r->vmap) {
        memcpy(args, in, (size_t)np * sizeof *args);
        for (int i = 0; i < np && st == EM_OK; i++)
            if (!(args[np + i] = em_array_from_int(axes[i], EM_INT32))) st = em_error_code();
        if (st == EM_OK) st = em_closure_call(r->vmap, args, (size_t)(2 * np), l);
        if (st == EM_OK && em_array_list_size(l) != (size_t)(2 * m))
            st = error_status(EM_ERR_VALUE,
                              "[custom_function] The custom vmap returned %zu arrays but %d were expected "
                              "(the outputs and their axes).", em_array_list_size(l), 2 * m);
        for (int i = 0; i < m && st == EM_OK; i++) {
            int64_t ax;
            em_array *o = em_array_list_get(l, (size_t)i), *a = em_array_list_get(l, (size_t)(m + i));
            if (a->size != 1 || em_array_item_int(a, &ax) != EM_OK)
                st = error_is_set() ? em_error_code()
                                    : error_status(EM_ERR_VALUE, "[custom_function] The axes a custom vmap returns must be single integers.");
            else if (ax < -1 || ax >= o->ndim)
                st = error_status(EM_ERR_VALUE, "[custom_function] The custom vmap returned axis %lld for an output with %d dimensions.",
                                  (long long)ax, o->ndim);
            else
                out_axes[i] = (int)ax;
        }
    } else if (st == EM_OK) {
        int *oax = NULL;
        st = em_vmap_apply(r->fun, in, (size_t)np, axes, l, &oax);
        if (st == EM_OK && em_array_list_size(l) != (size_t)m)
            st = error_status(EM_ERR_VALUE, "[custom_function] The function returned %zu arrays but %d were expected.",
                              em_array_list_size(l), m);
        for (int i = 0; i < m && st == EM_OK; i++) out_axes[i] = oax[i];
        em_free(oax);
    }
    for (int i = 0; i < m && st == EM_OK; i++) out[i] = em_array_retain(em_array_list_get(l, (size_t)i));
    if (args)
        for (int i = np; i < 2 * np; i++) em_array_release(args[i]);
    free(args);
    em_array_list_free(l);
    return st;
}
