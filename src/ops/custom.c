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

/* Batching a CUSTOM node gives a CUSTOM node again, over the batched inputs,
 * whose rules are the user's vectorised (as JAX does): so grad(vmap(f))
 * still uses f's custom vjp, and checkpointing survives vmap. Its function
 * is the batched forward (the user's vmap rule, or vmap of f) with every
 * output batched along axis 0; its vjp, when f has one, is vmap of f's vjp,
 * whose per-element cotangents of unmapped inputs are summed over the batch;
 * its jvp, vmap of f's jvp. Without a user rule the default applies (the
 * transform of the batched forward), as for any CUSTOM node. */
typedef struct batched_rules {
    custom_rules *r;  /* the user's rules (a reference) */
    int np, m;        /* primal inputs, outputs */
    int axes[];       /* the batch axis of each primal input (-1: none) */
} batched_rules;

static void batched_free(void *p) {
    batched_rules *b = p;
    refobj_release(&b->r->base);
    free(b);
}

static batched_rules *batched_new(custom_rules *r, int np, int m, const int *axes) {
    batched_rules *b = malloc(sizeof *b + (size_t)np * sizeof(int));
    if (!b) return error_set(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    refobj_retain(&r->base);
    b->r = r;
    b->np = np;
    b->m = m;
    memcpy(b->axes, axes, (size_t)np * sizeof(int));
    return b;
}

/* Pushes the first `count` arrays of l (batch axes ax, -1: none) to out with
 * the batch at axis 0. */
static em_status push_at_front(em_array_list *l, const int *ax, size_t count, int64_t size,
                               em_array_list *out) {
    em_status st = EM_OK;
    for (size_t i = 0; i < count && st == EM_OK; i++) {
        em_array *v = vmap_move(em_array_list_get(l, i), ax[i], 0, size);
        st = v ? em_array_list_push(out, v) : em_error_code();
        em_array_release(v);
    }
    return st;
}

/* Calls the user's vmap rule: the outputs and their axes to outs/oax (m). */
static em_status user_vmap(custom_rules *r, em_array *const *in, const int *axes, int np, int m,
                           em_array_list *outs, int *oax) {
    em_array **args = calloc((size_t)(2 * np), sizeof *args);
    if (!args) return error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    em_status st = EM_OK;
    memcpy(args, in, (size_t)np * sizeof *args);
    for (int i = 0; i < np && st == EM_OK; i++)
        if (!(args[np + i] = em_array_from_int(axes[i], EM_INT32))) st = em_error_code();
    if (st == EM_OK) st = em_closure_call(r->vmap, args, (size_t)(2 * np), outs);
    if (st == EM_OK && em_array_list_size(outs) != (size_t)(2 * m))
        st = error_status(EM_ERR_VALUE,
                          "[custom_function] The custom vmap returned %zu arrays but %d were expected "
                          "(the outputs and their axes).", em_array_list_size(outs), 2 * m);
    for (int i = 0; i < m && st == EM_OK; i++) {
        int64_t ax;
        em_array *o = em_array_list_get(outs, (size_t)i), *a = em_array_list_get(outs, (size_t)(m + i));
        if (a->size != 1 || em_array_item_int(a, &ax) != EM_OK)
            st = error_is_set() ? em_error_code()
                                : error_status(EM_ERR_VALUE, "[custom_function] The axes a custom vmap returns must be single integers.");
        else if (ax < -1 || ax >= o->ndim)
            st = error_status(EM_ERR_VALUE, "[custom_function] The custom vmap returned axis %lld for an output with %d dimensions.",
                              (long long)ax, o->ndim);
        else
            oax[i] = (int)ax;
    }
    for (int i = np; i < 2 * np; i++) em_array_release(args[i]);
    free(args);
    return st;
}

/* The batched forward: f's outputs for the batch, batch at axis 0. */
static em_status batched_fun(void *p, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const batched_rules *b = p;
    int64_t size = vmap_size(in, b->axes, b->np);
    em_array_list *l = em_array_list_new();
    int ob[8], *oax = b->m <= 8 ? ob : malloc((size_t)b->m * sizeof *oax);
    em_status st = l && oax ? EM_OK : error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    if (st == EM_OK && b->r->vmap) {
        st = user_vmap(b->r, in, b->axes, b->np, b->m, l, oax);
    } else if (st == EM_OK) {
        int *axes = NULL;
        st = em_vmap_apply(b->r->fun, in, (size_t)b->np, b->axes, l, &axes);
        if (st == EM_OK && em_array_list_size(l) != (size_t)b->m)
            st = error_status(EM_ERR_VALUE, "[custom_function] The function returned %zu arrays but %d were expected.",
                              em_array_list_size(l), b->m);
        if (st == EM_OK) memcpy(oax, axes, (size_t)b->m * sizeof *oax);
        em_free(axes);
    }
    if (st == EM_OK) st = push_at_front(l, oax, (size_t)b->m, size, out);
    if (oax != ob) free(oax);
    em_array_list_free(l);
    return st;
}

/* vmap of the user's jvp: (primals, tangents) -> output tangents at 0. */
static em_status batched_jvp(void *p, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const batched_rules *b = p;
    int np = b->np;
    int *axes = malloc(2 * (size_t)np * sizeof *axes), *oax = NULL;
    em_array_list *l = em_array_list_new();
    em_status st = axes && l ? EM_OK : error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    if (st == EM_OK) {
        memcpy(axes, b->axes, (size_t)np * sizeof *axes);
        memcpy(axes + np, b->axes, (size_t)np * sizeof *axes);
        st = em_vmap_apply(b->r->jvp, in, 2 * (size_t)np, axes, l, &oax);
    }
    if (st == EM_OK && em_array_list_size(l) != (size_t)b->m)
        st = error_status(EM_ERR_VALUE, "[custom_function] The custom jvp returned %zu arrays but %d were expected.",
                          em_array_list_size(l), b->m);
    if (st == EM_OK) st = push_at_front(l, oax, (size_t)b->m, vmap_size(in, b->axes, np), out);
    em_free(oax);
    free(axes);
    em_array_list_free(l);
    return st;
}

/* vmap of the user's vjp: (primals, cotangents, outputs) -> one cotangent
 * per primal, batched like it; an unmapped primal gets the sum over the
 * batch. */
static em_status batched_vjp(void *p, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const batched_rules *b = p;
    int np = b->np, m = b->m;
    int64_t size = vmap_size(in, b->axes, np);
    int *axes = calloc((size_t)(np + 2 * m), sizeof *axes), *oax = NULL;
    em_array_list *l = em_array_list_new();
    em_status st = axes && l ? EM_OK : error_status(EM_ERR_MEMORY, "[custom_function] Out of memory.");
    if (st == EM_OK) {
        memcpy(axes, b->axes, (size_t)np * sizeof *axes);
        st = em_vmap_apply(b->r->vjp, in, (size_t)(np + 2 * m), axes, l, &oax);
    }
    if (st == EM_OK && em_array_list_size(l) != (size_t)np)
        st = error_status(EM_ERR_VALUE, "[custom_function] The custom vjp returned %zu arrays but %d were expected.",
                          em_array_list_size(l), np);
    for (int i = 0; i < np && st == EM_OK; i++) {
        em_array *v = em_array_list_get(l, (size_t)i), *g;
        if (b->axes[i] >= 0) {
            g = vmap_move(v, oax[i], b->axes[i], size);
        } else if (oax[i] >= 0) {
            g = em_sum(v, &oax[i], 1, false);
        } else {
            em_array *k = em_array_from_double((double)size, v->dtype);
            g = em_multiply(v, k);
            em_array_release(k);
        }
        st = g ? em_array_list_push(out, g) : em_error_code();
        em_array_release(g);
    }
    em_free(oax);
    free(axes);
    em_array_list_free(l);
    return st;
}

/* A closure over a new batched_rules context (NULL when out of memory). */
static em_closure *batched_closure(em_closure_fn fn, custom_rules *r, int np, int m, const int *axes) {
    batched_rules *b = batched_new(r, np, m, axes);
    em_closure *c = b ? em_closure_new(fn, b, batched_free) : NULL;
    if (b && !c) batched_free(b);
    return c;
}

/* The rule. A user vmap rule (r->vmap) is called with the primal inputs
 * followed by their axes as 0-d int32 arrays (-1: not mapped) and returns
 * the outputs followed by theirs. */
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
    em_closure *fun = batched_closure(batched_fun, r, np, m, axes);
    em_closure *vjp = r->vjp ? batched_closure(batched_vjp, r, np, m, axes) : NULL;
    em_closure *jvp = r->jvp ? batched_closure(batched_jvp, r, np, m, axes) : NULL;
    custom_rules *rb = NULL;
    em_array_list *l = em_array_list_new();
    em_status st = fun && (vjp || !r->vjp) && (jvp || !r->jvp) && l ? EM_OK : em_error_code();
    if (st == EM_OK) st = em_closure_call(fun, in, (size_t)np, l);
    if (st == EM_OK && !(rb = custom_rules_new(fun, vjp, jvp, NULL))) st = em_error_code();
    if (st == EM_OK) st = custom_apply(rb, in, np, em_array_list_data(l), m, out);
    for (int i = 0; i < m; i++) out_axes[i] = 0;
    if (rb) refobj_release(&rb->base);
    em_array_list_free(l);
    em_closure_release(fun);
    em_closure_release(vjp);
    em_closure_release(jvp);
    return st;
}
