/* autodiff.c -- reverse and forward mode (vjp, jvp) and the closures grad and
 * value_and_grad build on them.
 *
 * Both trace the function on fresh tracers (trace.h), take the tape of nodes
 * that depend on them, and walk it calling each primitive's rule: vjp from
 * the outputs back, summing the cotangents that reach each array; jvp from the
 * tracers forward. Rules build ordinary graphs, so the results can be
 * transformed again: grad(grad(f)), jvp(grad(f)), ... Messages follow MLX.
 *
 * Public entry points run at scope_op_depth > 0, so the ops they call are not
 * handed to the caller's scopes; the user's function runs at depth 0 again
 * (em_closure_call), so its own scopes work as anywhere else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "../core/shape.h"
#include "../ops/ops.h"
#include "closure.h"
#include "trace.h"


static bool same_shape(const em_array *a, const em_array *b) {
    return a->ndim == b->ndim &&
           (a->ndim == 0 || memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof(int64_t)) == 0);
}

/* Traces f on tracers of the primals: writes the tracers (new references) and
 * f's outputs. */
static em_status trace_fn(em_closure *f, em_array *const *primals, size_t n, em_array **tracers,
                          em_array_list *outputs) {
    for (size_t i = 0; i < n; i++) tracers[i] = NULL;
    for (size_t i = 0; i < n; i++)
        if (!(tracers[i] = trace_tracer(primals[i]))) return em_error_code();
    return trace_call(f, tracers, n, outputs);
}

static void release_all(em_array **a, size_t n) {
    for (size_t i = 0; i < n; i++) em_array_release(a[i]);
}

/* Adds g (stolen, may be NULL) into the map entry for key. */
static em_status accumulate(trace_map *m, const em_array *key, em_array *g) {
    if (!g) return EM_OK;
    trace_entry *e = trace_map_put(m, key);
    if (!e) {
        em_array_release(g);
        return em_error_code();
    }
    if (!e->value) {
        e->value = g;
        return EM_OK;
    }
    em_array *sum = em_add(e->value, g);
    em_array_release(g);
    if (!sum) return em_error_code();
    em_array_release(e->value);
    e->value = sum;
    return EM_OK;
}

/* Makes a rule's result fit the array it is for: the same dtype (cast) and
 * shape (a mismatch is a bug in the rule, reported rather than hidden). */
static em_array *fit(em_array *g, const em_array *like, const em_node *n, const char *what) {
    if (!g) return NULL;
    if (!same_shape(g, like)) {
        char a[256], b[256];
        error_set(EM_ERR_RUNTIME, "[%s] The %s rule of %s gave shape %s for an array of shape %s.",
                  what, what, em_primitives[n->prim].name, shape_str(g->shape, g->ndim, a, sizeof a),
                  shape_str(like->shape, like->ndim, b, sizeof b));
        em_array_release(g); /* after the message reads its shape */
        return NULL;
    }
    if (g->dtype == like->dtype) return g;
    em_array *c = em_astype(g, like->dtype);
    em_array_release(g);
    return c;
}

/* ---------------------------------------------------------------- vjp */

/* The backward walk: seeds cotangents at the outputs, runs the tape in
 * reverse, and writes one vjp per tracer (zeros where nothing reached it). */
static em_status backward(em_array *const *tracers, em_array *const *primals, size_t n,
                          em_array *const *outs, em_array *const *cots, size_t n_out,
                          em_array_list *vjps) {
    trace_tape tape;
    em_status st = trace_tape_build(tracers, n, outs, n_out, false, &tape);
    if (st != EM_OK) return st;
    trace_map cot = {0};
    for (size_t i = 0; i < n_out && st == EM_OK; i++) {
        if (!trace_is_active(&tape, outs[i])) continue;
        em_array *c = em_astype(cots[i], outs[i]->dtype);
        st = c ? accumulate(&cot, outs[i], c) : em_error_code();
    }
    for (size_t t = tape.n; t-- > 0 && st == EM_OK;) {
        em_node *nd = tape.nodes[t];
        em_array *oc[EM_MAX_NDIM], **ocot = oc, *os[EM_MAX_NDIM], **outv = os;
        em_array *gb[EM_MAX_NDIM], **grads = gb;
        bool wb[EM_MAX_NDIM], *want = wb;
        void *heap = NULL;
        if (nd->n_out > EM_MAX_NDIM || nd->n_in > EM_MAX_NDIM) {
            size_t k = (size_t)(2 * nd->n_out + nd->n_in);
            heap = calloc(k * sizeof(em_array *) + (size_t)nd->n_in * sizeof(bool), 1);
            if (!heap) { st = error_status(EM_ERR_MEMORY, "[vjp] Out of memory."); break; }
            ocot = heap;
            outv = ocot + nd->n_out;
            grads = outv + nd->n_out;
            want = (bool *)(grads + nd->n_in);
        }
        bool any = false;
        for (int k = 0; k < nd->n_out; k++) {
            outv[k] = nd->outputs[k];
            trace_entry *e = outv[k] ? trace_map_get(&cot, outv[k]) : NULL;
            ocot[k] = e ? e->value : NULL;
            any = any || ocot[k];
        }
        if (any) {
            bool wanted = false;
            for (int i = 0; i < nd->n_in; i++) {
                grads[i] = NULL;
                want[i] = trace_is_active(&tape, nd->inputs[i]);
                wanted = wanted || want[i];
            }
            if (wanted) st = em_primitives[nd->prim].vjp(nd, nd->inputs, outv, ocot, want, grads);
            for (int i = 0; i < nd->n_in && st == EM_OK; i++) {
                if (!want[i] || !grads[i]) continue;
                em_array *g = fit(grads[i], nd->inputs[i], nd, "vjp");
                grads[i] = NULL;
                st = g ? accumulate(&cot, nd->inputs[i], g) : em_error_code();
            }
            if (st != EM_OK)
                for (int i = 0; i < nd->n_in; i++) em_array_release(grads[i]);
        }
        /* the cotangents of this node's outputs are spent */
        for (int k = 0; k < nd->n_out; k++) {
            trace_entry *e = outv[k] ? trace_map_get(&cot, outv[k]) : NULL;
            if (e && e->value) {
                em_array_release(e->value);
                e->value = NULL;
            }
        }
        free(heap);
    }
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        trace_entry *e = trace_map_get(&cot, tracers[i]);
        em_array *g = e && e->value ? em_astype(e->value, primals[i]->dtype) : em_zeros_like(primals[i]);
        st = list_push_steal(vjps, g);
    }
    trace_map_free(&cot);
    trace_tape_free(&tape);
    return st;
}

/* Checks the cotangents against the traced outputs and walks back. With
 * check_count there must be a cotangent for every output (em_vjp; extra ones
 * are ignored, as MLX does); otherwise the first n_cot outputs are seeded and
 * the others are zero (value_and_grad). */
static em_status vjp_traced(em_array *const *tracers, em_array *const *primals, size_t n,
                            em_array_list *outputs, em_array *const *cots, size_t n_cot,
                            bool check_count, em_array_list *vjps) {
    size_t n_out = em_array_list_size(outputs);
    em_array *const *outs = em_array_list_data(outputs);
    if (check_count ? n_cot < n_out : n_cot > n_out)
        return error_status(EM_ERR_VALUE,
                            "[vjp] Number of outputs to compute gradients for (%zu) does not match "
                            "number of cotangents (%zu).", n_out, n_cot);
    if (n_cot > n_out) n_cot = n_out; /* extra cotangents are ignored, as MLX does */
    for (size_t i = 0; i < n_cot; i++) {
        if (same_shape(outs[i], cots[i])) continue;
        char a[256], b[256];
        return error_status(EM_ERR_VALUE, "[vjp] Output shape %s does not match cotangent shape %s.%s",
                            shape_str(outs[i]->shape, outs[i]->ndim, a, sizeof a),
                            shape_str(cots[i]->shape, cots[i]->ndim, b, sizeof b),
                            n_out == 1 && outs[i]->size == 1
                                ? " If you are using grad your function must return a scalar." : "");
    }
    return backward(tracers, primals, n, outs, cots, n_cot, vjps);
}

static em_status check_list(const char *op, em_array *const *a, size_t n) {
    if (n && !a) return error_status(EM_ERR_NULL, "[%s] The array list is NULL.", op);
    for (size_t i = 0; i < n; i++)
        if (!a[i]) return error_null_arg(op), em_error_code();
    return EM_OK;
}

static em_status vjp_impl(em_closure *f, em_array *const *primals, size_t n,
                          em_array *const *cots, size_t n_cot, em_array_list *outputs,
                          em_array_list *vjps) {
    if (!f) return error_status(EM_ERR_NULL, "[vjp] The function is NULL.");
    if (!outputs || !vjps) return error_status(EM_ERR_NULL, "[vjp] The output list is NULL.");
    em_status st = check_list("vjp", primals, n);
    if (st == EM_OK) st = check_list("vjp", cots, n_cot);
    if (st != EM_OK) return st;
    em_array_list_clear(outputs);
    em_array_list_clear(vjps);
    em_array *tb[16], **tracers = n <= 16 ? tb : malloc(n * sizeof *tracers);
    if (!tracers) return error_status(EM_ERR_MEMORY, "[vjp] Out of memory.");
    st = trace_fn(f, primals, n, tracers, outputs);
    if (st == EM_OK) st = vjp_traced(tracers, primals, n, outputs, cots, n_cot, true, vjps);
    if (st != EM_OK) {
        em_array_list_clear(outputs);
        em_array_list_clear(vjps);
    }
    release_all(tracers, n);
    if (tracers != tb) free(tracers);
    return st;
}

EM_API em_status em_vjp(em_closure *f, em_array *const *primals, size_t n_primals,
                        em_array *const *cotangents, size_t n_cotangents,
                        em_array_list *outputs, em_array_list *vjps) {
    scope_op_depth++;
    em_status s = vjp_impl(f, primals, n_primals, cotangents, n_cotangents, outputs, vjps);
    scope_op_depth--;
    return s;
}

/* ---------------------------------------------------------------- jvp */

static em_status forward(em_array *const *tracers, em_array *const *tangents, size_t n,
                         em_array *const *outs, size_t n_out, em_array_list *jvps) {
    trace_tape tape;
    em_status st = trace_tape_build(tracers, n, outs, n_out, false, &tape);
    if (st != EM_OK) return st;
    trace_map tan = {0};
    for (size_t i = 0; i < n && st == EM_OK; i++)
        st = accumulate(&tan, tracers[i], em_array_retain(tangents[i]));
    for (size_t t = 0; t < tape.n && st == EM_OK; t++) {
        em_node *nd = tape.nodes[t];
        em_array *ib[EM_MAX_NDIM], **itan = ib, *os[EM_MAX_NDIM], **outv = os;
        em_array *rb[EM_MAX_NDIM], **res = rb;
        void *heap = NULL;
        if (nd->n_out > EM_MAX_NDIM || nd->n_in > EM_MAX_NDIM) {
            heap = calloc((size_t)(2 * nd->n_out + nd->n_in), sizeof(em_array *));
            if (!heap) { st = error_status(EM_ERR_MEMORY, "[jvp] Out of memory."); break; }
            itan = heap;
            outv = itan + nd->n_in;
            res = outv + nd->n_out;
        }
        bool any = false;
        for (int i = 0; i < nd->n_in; i++) {
            trace_entry *e = trace_map_get(&tan, nd->inputs[i]);
            itan[i] = e ? e->value : NULL;
            any = any || itan[i];
        }
        for (int k = 0; k < nd->n_out; k++) {
            outv[k] = nd->outputs[k];
            res[k] = NULL;
        }
        if (any) st = em_primitives[nd->prim].jvp(nd, nd->inputs, outv, itan, res);
        for (int k = 0; k < nd->n_out && st == EM_OK; k++) {
            if (!res[k] || !outv[k]) continue;
            if (!same_shape(res[k], outv[k])) {
                em_array *g = fit(res[k], outv[k], nd, "jvp");
                res[k] = NULL;
                st = g ? EM_OK : em_error_code();
                em_array_release(g);
                break;
            }
            st = accumulate(&tan, outv[k], res[k]);
            res[k] = NULL;
        }
        for (int k = 0; k < nd->n_out; k++) em_array_release(res[k]);
        free(heap);
    }
    for (size_t i = 0; i < n_out && st == EM_OK; i++) {
        trace_entry *e = trace_map_get(&tan, outs[i]);
        em_array *g = e && e->value ? em_array_retain(e->value) : em_zeros_like(outs[i]);
        st = list_push_steal(jvps, g);
    }
    trace_map_free(&tan);
    trace_tape_free(&tape);
    return st;
}

static em_status jvp_impl(em_closure *f, em_array *const *primals, size_t n,
                          em_array *const *tangents, size_t n_tan, em_array_list *outputs,
                          em_array_list *jvps) {
    if (!f) return error_status(EM_ERR_NULL, "[jvp] The function is NULL.");
    if (!outputs || !jvps) return error_status(EM_ERR_NULL, "[jvp] The output list is NULL.");
    em_status st = check_list("jvp", primals, n);
    if (st == EM_OK) st = check_list("jvp", tangents, n_tan);
    if (st != EM_OK) return st;
    if (n != n_tan)
        return error_status(EM_ERR_VALUE, "[jvp] Number of inputs does not match number of tangents.");
    for (size_t i = 0; i < n; i++)
        if (!same_shape(primals[i], tangents[i]))
            return error_status(EM_ERR_VALUE, "[jvp] Input shape does not match shape of tangent.");
    em_array_list_clear(outputs);
    em_array_list_clear(jvps);
    em_array *tb[16], **tracers = n <= 16 ? tb : malloc(n * sizeof *tracers);
    if (!tracers) return error_status(EM_ERR_MEMORY, "[jvp] Out of memory.");
    st = trace_fn(f, primals, n, tracers, outputs);
    if (st == EM_OK)
        st = forward(tracers, tangents, n, em_array_list_data(outputs), em_array_list_size(outputs),
                     jvps);
    if (st != EM_OK) {
        em_array_list_clear(outputs);
        em_array_list_clear(jvps);
    }
    release_all(tracers, n);
    if (tracers != tb) free(tracers);
    return st;
}

EM_API em_status em_jvp(em_closure *f, em_array *const *primals, size_t n_primals,
                        em_array *const *tangents, size_t n_tangents, em_array_list *outputs,
                        em_array_list *jvps) {
    scope_op_depth++;
    em_status s = jvp_impl(f, primals, n_primals, tangents, n_tangents, outputs, jvps);
    scope_op_depth--;
    return s;
}

/* ---------------------------------------------------------------- grad */

typedef struct grad_ctx {
    em_closure *f;
    bool with_value;
    size_t n_argnums;
    int argnums[];
} grad_ctx;

static void grad_ctx_free(void *ctx) {
    grad_ctx *g = ctx;
    em_closure_release(g->f);
    free(g);
}

/* f as a function of the differentiated inputs alone, the others fixed. */
typedef struct partial_ctx {
    em_closure *f;
    em_array *const *all;
    size_t n_all;
    const grad_ctx *g;
} partial_ctx;

static em_status partial_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    const partial_ctx *p = ctx;
    em_array *sb[16], **args = p->n_all <= 16 ? sb : malloc(p->n_all * sizeof *args);
    if (!args) return error_status(EM_ERR_MEMORY, "[grad] Out of memory.");
    memcpy(args, p->all, p->n_all * sizeof *args);
    for (size_t i = 0; i < n; i++) args[p->g->argnums[i]] = in[i];
    em_status s = em_closure_call(p->f, args, p->n_all, out);
    if (args != sb) free(args);
    return s;
}

static em_status grad_body(const grad_ctx *g, em_array *const *in, size_t n, em_array_list *out) {
    const char *name = g->with_value ? "value_and_grad" : "grad";
    for (size_t i = 0; i < g->n_argnums; i++)
        if ((size_t)g->argnums[i] >= n)
            return error_status(EM_ERR_VALUE, "[%s] Invalid argument number for function with %zu arguments.",
                                name, n);
    size_t k = g->n_argnums;
    em_array *pb[16], **sel = k <= 8 ? pb : malloc(2 * k * sizeof *sel);
    if (!sel) return error_status(EM_ERR_MEMORY, "[%s] Out of memory.", name);
    em_array **tracers = k <= 8 ? pb + 8 : sel + k;
    for (size_t i = 0; i < k; i++) {
        sel[i] = in[g->argnums[i]];
        tracers[i] = NULL;
    }
    partial_ctx p = {g->f, in, n, g};
    em_closure *part = em_closure_new(partial_fn, &p, NULL);
    em_array_list *outs = em_array_list_new(), *vjps = em_array_list_new();
    em_array *one = NULL;
    em_status st = part && outs && vjps ? trace_fn(part, sel, k, tracers, outs) : em_error_code();
    if (st == EM_OK && em_array_list_size(outs) == 0)
        st = error_status(EM_ERR_VALUE, "[%s] The function must return at least one array.", name);
    if (st == EM_OK) {
        one = em_ones(NULL, 0, em_array_dtype(em_array_list_get(outs, 0)));
        st = one ? vjp_traced(tracers, sel, k, outs, &one, 1, false, vjps) : em_error_code();
    }
    for (size_t i = 0; st == EM_OK && g->with_value && i < em_array_list_size(outs); i++)
        st = em_array_list_push(out, em_array_list_get(outs, i));
    for (size_t i = 0; st == EM_OK && i < k; i++) st = em_array_list_push(out, em_array_list_get(vjps, i));
    em_array_release(one);
    release_all(tracers, k);
    em_closure_release(part);
    em_array_list_free(outs);
    em_array_list_free(vjps);
    if (sel != pb) free(sel);
    return st;
}

/* Runs at scope_op_depth > 0 (em_closure_call reset it for the user's code). */
static em_status grad_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    scope_op_depth++;
    em_status s = grad_body(ctx, in, n, out);
    scope_op_depth--;
    return s;
}

static em_closure *make_grad(em_closure *f, const int *argnums, size_t n, bool with_value) {
    const char *name = with_value ? "value_and_grad" : "grad";
    if (!f) return error_set(EM_ERR_NULL, "[%s] The function is NULL.", name);
    if (argnums && n == 0) return error_set(EM_ERR_VALUE, "[grad] Must specify at least one argument.");
    if (!argnums && n) return error_set(EM_ERR_NULL, "[%s] The argnums pointer is NULL.", name);
    size_t k = n ? n : 1;
    grad_ctx *g = malloc(sizeof *g + k * sizeof(int));
    if (!g) return error_set(EM_ERR_MEMORY, "[%s] Out of memory.", name);
    g->n_argnums = k;
    g->with_value = with_value;
    g->argnums[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (argnums[i] < 0) {
            free(g);
            return error_set(EM_ERR_VALUE, "[%s] Can't compute the gradient of negative argument index %d",
                             name, argnums[i]);
        }
        for (size_t j = 0; j < i; j++)
            if (argnums[j] == argnums[i]) {
                free(g);
                return error_set(EM_ERR_VALUE, "[grad] Repeat argument number not allowed in grad.");
            }
        g->argnums[i] = argnums[i];
    }
    g->f = em_closure_retain(f);
    em_closure *c = em_closure_new(grad_fn, g, grad_ctx_free);
    if (!c) grad_ctx_free(g);
    return c;
}

EM_API em_closure *em_value_and_grad(em_closure *f, const int *argnums, size_t n_argnums) {
    return make_grad(f, argnums, n_argnums, true);
}

EM_API em_closure *em_grad(em_closure *f, const int *argnums, size_t n_argnums) {
    return make_grad(f, argnums, n_argnums, false);
}
