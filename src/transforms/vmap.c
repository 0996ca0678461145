/* vmap.c -- the batching transform (em_vmap_apply, em_vmap) and the helpers
 * the primitives' vmap rules share (vmap.h).
 *
 * How it works (DESIGN.md §3): the function is traced once on placeholders,
 * arrays shaped like one element of the batch (the mapped axis removed); the
 * nodes that depend on them form a tape (trace.h), and each node's vmap rule
 * rebuilds it over the batched inputs, returning the batched outputs and the
 * axis each carries. Rules are written with ordinary ops, so the result can
 * be transformed again: vmap(vmap(f)), grad(vmap(f)), vmap(grad(f)).
 *
 * Placeholders are views of the first element of the batch (zeros for an
 * empty batch), never evaluated: evaluating anything that depends on them
 * while the function is traced is an error, as in MLX (eval.h), since the
 * values of one element would be frozen into the batched graph. Inputs that
 * are not mapped are passed to the function as they are.
 *
 * Only the nodes that the outputs need are rebuilt. A CUSTOM node needs its
 * primal inputs, not the function's own graph behind them (its rule runs the
 * user's vmap, or vmap of the function), unless no primal input is mapped.
 *
 * Messages follow MLX's Python vmap. Entry points run at scope_op_depth > 0
 * (the ops they build are not handed to the caller's scopes); the user's
 * function runs at depth 0 again (em_closure_call). */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "../core/shape.h"
#include "../ops/ops.h"
#include "closure.h"
#include "eval.h"
#include "trace.h"
#include "vmap.h"

/* ---------------------------------------------------------------- rule helpers */

int vmap_first(const int *axes, int n) {
    for (int i = 0; i < n; i++)
        if (axes[i] >= 0) return i;
    return -1;
}

int64_t vmap_size(em_array *const *in, const int *axes, int n) {
    int i = vmap_first(axes, n);
    return i < 0 ? 0 : in[i]->shape[axes[i]];
}

em_array *vmap_move(const em_array *a, int from, int to, int64_t size) {
    EM_CHECK_ARG("vmap", a);
    if (from == to) return em_array_retain((em_array *)a);
    if (from >= 0) return em_moveaxis(a, from, to);
    if (a->ndim >= EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[vmap] Arrays may have at most %d dimensions, got %d.",
                         EM_MAX_NDIM, a->ndim + 1);
    int64_t shape[EM_MAX_NDIM];
    for (int i = 0, k = 0; i <= a->ndim; i++) shape[i] = i == to ? size : a->shape[k++];
    em_array *e = em_expand_dims(a, &to, 1);
    em_array *b = e ? em_broadcast_to(e, shape, a->ndim + 1) : NULL;
    em_array_release(e);
    return b;
}

em_status vmap_elementwise(const em_node *n, em_array *const *in, const int *axes,
                           em_array **out, int *out_axes) {
    int first = vmap_first(axes, n->n_in);
    int to = axes[first];
    int64_t size = in[first]->shape[to];
    em_array *x[3] = {NULL, NULL, NULL};
    em_status st = EM_OK;
    for (int i = 0; i < n->n_in && st == EM_OK; i++)
        if (!(x[i] = vmap_move(in[i], axes[i], to, size))) st = em_error_code();
    if (st == EM_OK) {
        out[0] = node_make(n->prim, n->params, n->params_size, x, n->n_in,
                           vmap_traced_out(n, 0)->dtype, x[0]->shape, x[0]->ndim);
        if (!out[0]) st = em_error_code();
        out_axes[0] = to;
    }
    for (int i = 0; i < 3; i++) em_array_release(x[i]);
    return st;
}

/* ---------------------------------------------------------------- the walk */

static void release_all(em_array **a, size_t n) {
    for (size_t i = 0; i < n; i++) em_array_release(a[i]);
}

/* need[t]: the outputs depend on tape node t through arrays the rules read. */
static em_status mark_needed(const trace_tape *tape, em_array *const *outs, size_t n_out,
                             bool *need) {
    trace_map want = {0};
    em_status st = EM_OK;
    for (size_t i = 0; i < n_out && st == EM_OK; i++)
        if (!trace_map_put(&want, outs[i])) st = em_error_code();
    for (size_t t = tape->n; t-- > 0 && st == EM_OK;) {
        const em_node *nd = tape->nodes[t];
        need[t] = false;
        for (int k = 0; k < nd->n_out && !need[t]; k++)
            need[t] = nd->outputs[k] && trace_map_get(&want, nd->outputs[k]);
        if (!need[t]) continue;
        int lim = nd->n_in;
        if (nd->prim == EM_PRIM_CUSTOM) {
            int np = nd->n_in - NODE_PARAMS(nd, em_custom_params)->n_out;
            for (int i = 0; i < np; i++)
                if (trace_is_active(tape, nd->inputs[i])) {
                    lim = np;
                    break;
                }
        }
        for (int i = 0; i < lim && st == EM_OK; i++)
            if (trace_is_active(tape, nd->inputs[i]) && !trace_map_put(&want, nd->inputs[i]))
                st = em_error_code();
    }
    trace_map_free(&want);
    return st;
}

/* Checks a rule's output against the traced one (batch `size` at `axis`, or
 * none for -1) and casts it to the traced dtype. Steals v. */
static em_array *fit(em_array *v, int axis, const em_array *like, int64_t size, const em_node *n) {
    if (!v) return NULL;
    bool ok = axis >= -1 && axis <= like->ndim && v->ndim == like->ndim + (axis >= 0);
    for (int i = 0, k = 0; ok && i < v->ndim; i++) {
        if (i == axis) ok = v->shape[i] == size;
        else ok = v->shape[i] == like->shape[k++];
    }
    if (!ok) {
        char a[256], b[256];
        error_set(EM_ERR_RUNTIME,
                  "[vmap] The vmap rule of %s gave shape %s with batch axis %d for an array of "
                  "shape %s and a batch of %lld.", em_primitives[n->prim].name,
                  shape_str(v->shape, v->ndim, a, sizeof a), axis,
                  shape_str(like->shape, like->ndim, b, sizeof b), (long long)size);
        em_array_release(v);
        return NULL;
    }
    if (v->dtype == like->dtype) return v;
    em_array *c = em_astype(v, like->dtype);
    em_array_release(v);
    return c;
}

/* Calls node nd's rule on its batched inputs and records its outputs in val.
 * A node whose inputs all came out unmapped (a user rule may say so) gets
 * its first input with a batch of one, which is then dropped again. */
static em_status batch_node(const em_node *nd, trace_map *val, int64_t size) {
    int ni = nd->n_in, no = nd->n_out;
    em_array *ib[8], *ob[8], **ins = ib, **outs = ob;
    int ab[16], *axes = ab, *oax = ab + 8;
    void *heap = NULL;
    if (ni > 8 || no > 8) {
        size_t k = (size_t)(ni + no);
        heap = calloc(k, sizeof(em_array *) + sizeof(int));
        if (!heap) return error_status(EM_ERR_MEMORY, "[vmap] Out of memory.");
        ins = heap;
        outs = ins + ni;
        axes = (int *)(void *)(outs + no);
        oax = axes + ni;
    }
    em_status st = EM_OK;
    bool mapped = false;
    for (int i = 0; i < ni; i++) {
        trace_entry *e = trace_map_get(val, nd->inputs[i]);
        ins[i] = e ? e->value : nd->inputs[i];
        axes[i] = e ? e->aux : -1;
        mapped = mapped || axes[i] >= 0;
    }
    for (int k = 0; k < no; k++) {
        outs[k] = NULL;
        oax[k] = -1;
        if (!nd->outputs[k] && nd->prim != EM_PRIM_CUSTOM && nd->prim != EM_PRIM_FUSED)
            st = error_status(EM_ERR_RUNTIME, "[vmap] An output of %s was released while traced.",
                              em_primitives[nd->prim].name);
        else if (nd->outputs[k] && nd->outputs[k]->ndim >= EM_MAX_NDIM)
            st = error_status(EM_ERR_VALUE, "[vmap] Arrays may have at most %d dimensions, got %d.",
                              EM_MAX_NDIM, nd->outputs[k]->ndim + 1);
    }
    em_array *one = NULL;
    if (st == EM_OK && !mapped) {
        int zero = 0;
        if (!(one = em_expand_dims(ins[0], &zero, 1))) st = em_error_code();
        ins[0] = one;
        axes[0] = 0;
        size = 1;
    }
    if (st == EM_OK) st = em_primitives[nd->prim].vmap(nd, ins, axes, outs, oax);
    for (int k = 0; k < no && st == EM_OK; k++) {
        const em_array *like = nd->outputs[k];
        if (!like) continue;
        em_array *v = fit(outs[k], oax[k], like, size, nd);
        outs[k] = NULL;
        if (v && !mapped && oax[k] >= 0) {
            em_array *s = em_squeeze(v, &oax[k], 1);
            em_array_release(v);
            v = s;
            oax[k] = -1;
        }
        trace_entry *e = v ? trace_map_put(val, like) : NULL;
        if (!e) {
            em_array_release(v);
            st = em_error_code();
            break;
        }
        em_array_release(e->value);
        e->value = v;
        e->aux = oax[k];
    }
    release_all(outs, (size_t)no);
    em_array_release(one);
    free(heap);
    return st;
}

/* Checks the axes and returns the batch size (as MLX: the last mapped
 * input's, compared with each), or -1 with the error set. */
static int64_t check_inputs(em_array *const *in, size_t n, const int *in_axes) {
    int64_t size = -1;
    for (size_t i = 0; i < n; i++) {
        int ax = in_axes ? in_axes[i] : 0;
        if (ax == -1) continue;
        if (ax < 0 || ax >= in[i]->ndim) {
            char s[256];
            error_set(EM_ERR_INDEX, "[vmap] Invalid vectorization axis %d for array with shape %s",
                      ax, shape_str(in[i]->shape, in[i]->ndim, s, sizeof s));
            return -1;
        }
        size = in[i]->shape[ax];
    }
    for (size_t i = 0; i < n; i++) {
        int ax = in_axes ? in_axes[i] : 0;
        if (ax >= 0 && in[i]->shape[ax] != size) {
            error_set(EM_ERR_VALUE, "[vmap] Inconsistent axis sizes: %lld and %lld.",
                      (long long)in[i]->shape[ax], (long long)size);
            return -1;
        }
    }
    if (size < 0) error_set(EM_ERR_VALUE, "[vmap] At least one of in_axes must be non-None.");
    return size;
}

/* One element of the batch of x along axis: its first (a view), or zeros
 * when the batch is empty. */
static em_array *placeholder(const em_array *x, int axis) {
    int64_t shape[EM_MAX_NDIM];
    for (int i = 0, k = 0; i < x->ndim; i++)
        if (i != axis) shape[k++] = x->shape[i];
    if (x->shape[axis] == 0) return em_zeros(shape, x->ndim - 1, x->dtype);
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM];
    for (int i = 0; i < x->ndim; i++) {
        start[i] = 0;
        stop[i] = i == axis ? 1 : x->shape[i];
    }
    em_array *s = em_slice(x, start, stop, NULL, x->ndim);
    em_array *r = s ? em_reshape(s, shape, x->ndim - 1) : NULL;
    em_array_release(s);
    return r;
}

/* The walk over a traced function: outs (n_out traced outputs) from the
 * tracers (n_tr of them, standing for batched[] along axes[]). */
static em_status batch_graph(em_array *const *tracers, em_array *const *batched, const int *axes,
                             size_t n_tr, int64_t size, em_array *const *outs, size_t n_out,
                             em_array_list *values, int *out_axes) {
    trace_tape tape;
    em_status st = trace_tape_build(tracers, n_tr, outs, n_out, true, &tape);
    if (st != EM_OK) return st;
    trace_map val = {0};
    bool *need = tape.n ? malloc(tape.n * sizeof *need) : NULL;
    if (tape.n && !need) st = error_status(EM_ERR_MEMORY, "[vmap] Out of memory.");
    if (st == EM_OK) st = mark_needed(&tape, outs, n_out, need);
    for (size_t i = 0; i < n_tr && st == EM_OK; i++) {
        trace_entry *e = trace_map_put(&val, tracers[i]);
        if (!e) {
            st = em_error_code();
            break;
        }
        e->value = em_array_retain(batched[i]);
        e->aux = axes[i];
    }
    for (size_t t = 0; t < tape.n && st == EM_OK; t++)
        if (need[t]) st = batch_node(tape.nodes[t], &val, size);
    for (size_t i = 0; i < n_out && st == EM_OK; i++) {
        trace_entry *e = trace_map_get(&val, outs[i]);
        out_axes[i] = e ? e->aux : -1;
        st = em_array_list_push(values, e ? e->value : outs[i]);
    }
    free(need);
    trace_map_free(&val);
    trace_tape_free(&tape);
    return st;
}

/* em_vmap_apply's body; writes the axes to a malloc'd array. */
static em_status apply(em_closure *f, em_array *const *in, size_t n, const int *in_axes,
                       em_array_list *outputs, int **out_axes, int64_t *size_out) {
    if (!f) return error_status(EM_ERR_NULL, "[vmap] The function is NULL.");
    if (!outputs || !out_axes) return error_status(EM_ERR_NULL, "[vmap] The output list is NULL.");
    *out_axes = NULL;
    if (n && !in) return error_status(EM_ERR_NULL, "[vmap] The array list is NULL.");
    for (size_t i = 0; i < n; i++)
        if (!in[i]) return error_null_arg("vmap"), em_error_code();
    em_array_list_clear(outputs);
    int64_t size = check_inputs(in, n, in_axes);
    if (size < 0) return em_error_code();
    if (size_out) *size_out = size;

    /* args: what f sees; tracers/batched/axes: the mapped ones */
    em_array **buf = calloc(4 * n, sizeof *buf);
    int *axes = malloc(n * sizeof *axes);
    em_array_list *traced = em_array_list_new();
    em_status st = buf && axes && traced ? EM_OK : error_status(EM_ERR_MEMORY, "[vmap] Out of memory.");
    em_array **args = buf, **tracers = buf + n, **batched = buf + 2 * n;
    size_t k = 0;
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        int ax = in_axes ? in_axes[i] : 0;
        if (ax < 0) {
            args[i] = em_array_retain(in[i]);
            continue;
        }
        em_array *p = placeholder(in[i], ax);
        args[i] = p ? trace_tracer(p) : NULL;
        em_array_release(p);
        if (!args[i]) {
            st = em_error_code();
            break;
        }
        tracers[k] = args[i];
        batched[k] = in[i];
        axes[k++] = ax;
    }
    if (st == EM_OK) st = eval_forbid_push(tracers, k);
    if (st == EM_OK) {
        st = trace_call(f, args, n, traced);
        eval_forbid_pop();
    }
    size_t m = em_array_list_size(traced);
    if (st == EM_OK && m) {
        if (!(*out_axes = malloc(m * sizeof **out_axes)))
            st = error_status(EM_ERR_MEMORY, "[vmap] Out of memory.");
    }
    if (st == EM_OK)
        st = batch_graph(tracers, batched, axes, k, size, em_array_list_data(traced), m, outputs,
                         *out_axes);
    if (st != EM_OK) {
        em_array_list_clear(outputs);
        free(*out_axes);
        *out_axes = NULL;
    }
    if (buf) release_all(args, n);
    em_array_list_free(traced);
    free(buf);
    free(axes);
    return st;
}

EM_API em_status em_vmap_apply(em_closure *f, em_array *const *inputs, size_t n_inputs,
                               const int *in_axes, em_array_list *outputs, int **out_axes) {
    scope_op_depth++;
    em_status s = apply(f, inputs, n_inputs, in_axes, outputs, out_axes, NULL);
    scope_op_depth--;
    return s;
}

/* ---------------------------------------------------------------- em_vmap */

typedef struct vmap_ctx {
    em_closure *f;
    size_t n_in, n_out;  /* 0: every axis is 0 */
    int *in_axes, *out_axes;
} vmap_ctx;

static void vmap_ctx_free(void *p) {
    vmap_ctx *c = p;
    em_closure_release(c->f);
    free(c->in_axes);
    free(c->out_axes);
    free(c);
}

/* v (batch at axis, -1: none) placed at out_axis (-1: not mapped). */
static em_array *place(em_array *v, int axis, int64_t size, int out_axis) {
    int64_t shape[EM_MAX_NDIM];
    int nd = 0;
    for (int i = 0; i < v->ndim; i++)
        if (i != axis) shape[nd++] = v->shape[i];
    if (axis >= 0 && out_axis == -1)
        return error_set(EM_ERR_VALUE, "[vmap] Axis -1 invalid for output with %d dimensions.", v->ndim);
    if (out_axis < -1 || out_axis > nd) {
        char s[256];
        return error_set(EM_ERR_INDEX, "[vmap] Invalid output vectorization axis %d for array with shape %s",
                         out_axis, shape_str(shape, nd, s, sizeof s));
    }
    if (axis < 0 && out_axis == -1) return em_array_retain(v);
    return vmap_move(v, axis, out_axis, size);
}

static em_status vmap_body(const vmap_ctx *c, em_array *const *in, size_t n, em_array_list *out) {
    if (c->n_in && c->n_in != n)
        return error_status(EM_ERR_VALUE, "[vmap] The number of in axes (%zu) must match the number of inputs (%zu).",
                            c->n_in, n);
    em_array_list *vals = em_array_list_new();
    if (!vals) return em_error_code();
    int *axes = NULL;
    int64_t size = 0;
    em_status st = apply(c->f, in, n, c->in_axes, vals, &axes, &size);
    size_t m = em_array_list_size(vals);
    if (st == EM_OK && c->n_out && c->n_out != m)
        st = error_status(EM_ERR_VALUE, "[vmap] The number of out axes (%zu) must match the number of outputs (%zu).",
                          c->n_out, m);
    for (size_t i = 0; i < m && st == EM_OK; i++)
        st = list_push_steal(out, place(em_array_list_get(vals, i), axes[i], size,
                                        c->n_out ? c->out_axes[i] : 0));
    free(axes);
    em_array_list_free(vals);
    return st;
}

/* Runs at scope_op_depth > 0 (em_closure_call reset it for the user's code). */
static em_status vmap_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    scope_op_depth++;
    em_status s = vmap_body(ctx, in, n, out);
    scope_op_depth--;
    return s;
}

static int *copy_axes(const int *axes, size_t n) {
    if (!n) return NULL;
    int *c = malloc(n * sizeof *c);
    if (c) memcpy(c, axes, n * sizeof *c);
    return c;
}

EM_API em_closure *em_vmap(em_closure *f, const int *in_axes, size_t n_in_axes, const int *out_axes,
                           size_t n_out_axes) {
    if (!f) return error_set(EM_ERR_NULL, "[vmap] The function is NULL.");
    if ((n_in_axes && !in_axes) || (n_out_axes && !out_axes))
        return error_set(EM_ERR_NULL, "[vmap] The axes pointer is NULL.");
    for (size_t i = 0; i < n_in_axes; i++)
        if (in_axes[i] < -1)
            return error_set(EM_ERR_INDEX, "[vmap] Invalid vectorization axis %d.", in_axes[i]);
    for (size_t i = 0; i < n_out_axes; i++)
        if (out_axes[i] < -1)
            return error_set(EM_ERR_INDEX, "[vmap] Invalid output vectorization axis %d.", out_axes[i]);
    vmap_ctx *c = calloc(1, sizeof *c);
    if (c) {
        c->n_in = n_in_axes;
        c->n_out = n_out_axes;
        c->in_axes = copy_axes(in_axes, n_in_axes);
        c->out_axes = copy_axes(out_axes, n_out_axes);
    }
    if (!c || (n_in_axes && !c->in_axes) || (n_out_axes && !c->out_axes)) {
        if (c) vmap_ctx_free(c);
        return error_set(EM_ERR_MEMORY, "[vmap] Out of memory.");
    }
    c->f = em_closure_retain(f);
    em_closure *r = em_closure_new(vmap_fn, c, vmap_ctx_free);
    if (!r) vmap_ctx_free(c);
    return r;
}
