/* eval.c -- evaluation: orders the graph behind the requested arrays, runs each
 * node's kernel once, donates buffers, and detaches what has been computed.
 *
 * The walk is an explicit-stack depth-first search (graphs of any depth), in
 * post-order, so each node runs after its inputs; arrays that already hold
 * data are leaves. After a node runs its outputs drop their node reference,
 * which frees the node and, through it, every input nobody else holds:
 * intermediates die as soon as they are used. Inside a keep-graph section
 * (eval.h) nothing is detached or donated. */
#include <stdlib.h>
#include <string.h>

#include "../backend/cpu/kernels.h"
#include "../core/error.h"
#include "eval.h"
#include "trace.h"

static _Thread_local int keep_graph;

void eval_keep_graph_begin(void) { keep_graph++; }
void eval_keep_graph_end(void) { keep_graph--; }
bool eval_keeping_graph(void) { return keep_graph > 0; }

/* The stack of forbidden placeholder sets (eval_forbid_push). */
typedef struct forbid_set { trace_map set; struct forbid_set *next; } forbid_set;
static _Thread_local forbid_set *forbidden;

em_status eval_forbid_push(em_array *const *placeholders, size_t n) {
    forbid_set *f = calloc(1, sizeof *f);
    if (!f) return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    for (size_t i = 0; i < n; i++)
        if (!trace_map_put(&f->set, placeholders[i])) {
            trace_map_free(&f->set);
            free(f);
            return em_error_code();
        }
    f->next = forbidden;
    forbidden = f;
    return EM_OK;
}

void eval_forbid_pop(void) {
    forbid_set *f = forbidden;
    if (!f) return;
    forbidden = f->next;
    trace_map_free(&f->set);
    free(f);
}

static bool is_forbidden(const em_array *a) {
    for (forbid_set *f = forbidden; f; f = f->next)
        if (trace_map_get(&f->set, a)) return true;
    return false;
}

/* Drops an evaluated array's node reference (outside keep-graph sections). */
static void detach(em_array *a) {
    em_node *n = a->node;
    if (!n || keep_graph) return;
    a->node = NULL;
    n->outputs[a->out_index] = NULL;
    node_release(n);
}

typedef struct frame { em_node *n; int next; } frame;

typedef struct vec { void *p; size_t n, cap; } vec;

static bool vec_push(vec *v, const void *item, size_t sz) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        void *p = realloc(v->p, cap * sz);
        if (!p) return false;
        v->p = p;
        v->cap = cap;
    }
    memcpy((char *)v->p + v->n * sz, item, sz);
    v->n++;
    return true;
}

/* An input can give its buffer to an output of an elementwise node when only
 * that node holds it, it owns its buffer alone, and the layouts match. */
static bool can_donate(const em_array *in, const em_array *out) {
    return atomic_load(&in->rc) == 1 && in->buf && !in->buf->external &&
           atomic_load(&in->buf->rc) == 1 && (in->flags & EM_AF_ROW_CONTIG) &&
           in->offset == 0 && in->data_size == out->size && in->size == out->size &&
           array_itemsize(in) == array_itemsize(out);
}

static em_status prepare_outputs(em_node *n) {
    unsigned flags = em_primitives[n->prim].flags;
    if (flags & EM_PF_VIEW) return EM_OK;
    for (int i = 0; i < n->n_out; i++) {
        em_array *o = n->outputs[i];
        if (!o && (flags & EM_PF_OPTIONAL_OUTPUTS)) continue;
        if (!o)
            return error_status(EM_ERR_RUNTIME,
                                "[eval] An output of %s was released before evaluation.",
                                em_primitives[n->prim].name);
        if ((flags & EM_PF_ELEMENTWISE) && !keep_graph) {
            bool donated = false;
            for (int k = 0; k < n->n_in && !donated; k++) {
                em_array *in = n->inputs[k];
                if (can_donate(in, o)) {
                    atomic_fetch_add(&in->buf->rc, 1);
                    o->buf = in->buf;
                    o->offset = 0;
                    o->data_size = o->size;
                    int64_t s = 1;
                    for (int d = o->ndim - 1; d >= 0; d--) {
                        o->strides[d] = s;
                        s *= o->shape[d] ? o->shape[d] : 1;
                    }
                    array_update_flags(o);
                    donated = true;
                }
            }
            if (donated) continue;
        }
        if (array_alloc_data(o) != EM_OK) return em_error_code();
    }
    return EM_OK;
}

static em_status run_node(em_node *n) {
    em_status st = prepare_outputs(n);
    if (st == EM_OK) st = cpu_run(n, n->inputs, n->outputs);
    if (st != EM_OK) {
        /* Leave the node unevaluated and its outputs without data. */
        for (int i = 0; i < n->n_out; i++) {
            em_array *o = n->outputs[i];
            if (o && o->buf) {
                buffer_release(o->buf);
                o->buf = NULL;
            }
        }
        if (!error_is_set())
            error_set(EM_ERR_RUNTIME, "[%s] The kernel failed.", em_primitives[n->prim].name);
        return em_error_code();
    }
    /* Detach: each output drops its node reference. */
    for (int i = 0; i < n->n_out && !keep_graph; i++) {
        em_array *o = n->outputs[i];
        if (o && o->node) {
            o->node = NULL;
            n->outputs[i] = NULL;
            node_release(n);
        }
    }
    return EM_OK;
}

EM_API em_status em_eval(em_array *const *arrays, size_t n) {
    if (n && !arrays) return error_status(EM_ERR_NULL, "[eval] The array list is NULL.");
    for (size_t i = 0; i < n; i++)
        if (!arrays[i]) {
            if (!error_is_set()) error_set(EM_ERR_NULL, "[eval] Received a NULL array handle.");
            return em_error_code();
        }
    uint64_t stamp = node_stamps(1);
    vec stack = {0}, tape = {0};
    em_status st = EM_OK;
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        em_node *root = arrays[i]->node;
        if (forbidden && is_forbidden(arrays[i])) st = EM_ERR_VALUE;
        if (array_evaluated(arrays[i])) {
            detach(arrays[i]);
            continue;
        }
        if (!root || root->mark == stamp) continue;
        root->mark = stamp;
        frame f = {root, 0};
        if (!vec_push(&stack, &f, sizeof f)) st = EM_ERR_MEMORY;
        while (stack.n && st == EM_OK) {
            frame *top = (frame *)stack.p + stack.n - 1;
            if (top->next < top->n->n_in) {
                em_array *in = top->n->inputs[top->next++];
                if (forbidden && is_forbidden(in)) {
                    st = EM_ERR_VALUE;
                    break;
                }
                if (array_evaluated(in)) {
                    detach(in);
                    continue;
                }
                em_node *c = in->node;
                if (c && c->mark != stamp) {
                    c->mark = stamp;
                    frame g = {c, 0};
                    if (!vec_push(&stack, &g, sizeof g)) st = EM_ERR_MEMORY;
                }
            } else {
                em_node *done = top->n;
                stack.n--;
                node_retain(done);
                if (!vec_push(&tape, &done, sizeof done)) {
                    node_release(done);
                    st = EM_ERR_MEMORY;
                }
            }
        }
    }
    if (st == EM_ERR_MEMORY) error_set(EM_ERR_MEMORY, "[eval] Out of memory while ordering the graph.");
    if (st == EM_ERR_VALUE)
        error_set(EM_ERR_VALUE, "[eval] Attempting to eval an array during function transformations "
                                "like compile or vmap is not allowed.");
    em_node **nodes = tape.p;
    size_t i = 0;
    for (; i < tape.n && st == EM_OK; i++) {
        st = run_node(nodes[i]);
        node_release(nodes[i]);
    }
    for (; i < tape.n; i++) node_release(nodes[i]);
    free(stack.p);
    free(tape.p);
    return st;
}

EM_API em_status em_eval1(em_array *a) { return em_eval(&a, 1); }
