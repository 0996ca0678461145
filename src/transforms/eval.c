/* eval.c -- evaluation: orders the graph behind the requested arrays, encodes
 * each node once on the calling thread (outputs given buffers, donated where
 * possible, views resolved), hands its kernel to the node's stream
 * (src/core/stream.c), and detaches what has been encoded; em_eval then waits
 * for the requested arrays' values, em_async_eval does not.
 *
 * The walk is an explicit-stack depth-first search (graphs of any depth), in
 * post-order, so each node is encoded after its inputs. Once a node's task
 * has run it lets go of the node and, through it, of every input nobody else
 * holds: intermediates die as soon as they are used. Memory stays bounded:
 * a stream takes at most a few dozen tasks ahead of its worker (the encoder
 * waits), and an allocation the memory limit refuses waits for the work in
 * flight before it fails. Arrays that already hold data are leaves. Inside a
 * keep-graph section (eval.h) nothing is detached or donated. */
#include <stdlib.h>
#include <string.h>

#include "../backend/cpu/kernels.h"
#include "../core/error.h"
#include "../core/stream.h"
#include "../ops/fused.h"
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

/* A growing array that starts in the caller's storage (small graphs need no
 * allocation) and moves to the heap when that is full. */
typedef struct vec { void *p; size_t n, cap; bool heap; } vec;

static bool vec_push(vec *v, const void *item, size_t sz) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        void *p = v->heap ? realloc(v->p, cap * sz) : malloc(cap * sz);
        if (!p) return false;
        if (!v->heap && v->n) memcpy(p, v->p, v->n * sz);
        v->p = p;
        v->cap = cap;
        v->heap = true;
    }
    memcpy((char *)v->p + v->n * sz, item, sz);
    v->n++;
    return true;
}

/* An input can give its buffer to an output when only the node holds it (its
 * pending writer's pin aside: that task runs first), it owns its buffer
 * alone, and the layouts match. */
static bool can_donate(const em_array *in, const em_array *out) {
    return !keep_graph && !in->lent_buf && array_owners(in) == 1 && in->buf && !in->buf->external &&
           atomic_load(&in->buf->rc) == 1 && (in->flags & EM_AF_ROW_CONTIG) &&
           in->offset == 0 && in->data_size == out->size && in->size == out->size &&
           array_itemsize(in) == array_itemsize(out);
}

/* The output takes over the input's reference to the buffer; the input keeps
 * pointing at it (its reader, the node's kernel, runs before either dies) but
 * no longer releases it. So a chain of donations, each made before the
 * previous kernel has run, keeps finding buffers with a single owner. */
static void donate(em_array *in, em_array *o) {
    in->lent_buf = true;
    o->buf = in->buf;
    o->offset = 0;
    o->data_size = o->size;
    int64_t s = 1;
    for (int d = o->ndim - 1; d >= 0; d--) {
        o->strides[d] = s;
        s *= o->shape[d] ? o->shape[d] : 1;
    }
    array_update_flags(o);
}

/* A fresh buffer; when the memory limit refuses it, waits for the work in
 * flight (which frees what it reads) and tries once more. Always once more:
 * a task may have finished, and freed its inputs, between the refusal and
 * the look at what is in flight. */
static em_status alloc_output(em_array *o) {
    if (array_alloc_data(o) == EM_OK) return EM_OK;
    if (em_error_code() != EM_ERR_MEMORY) return em_error_code();
    streams_drain();
    em_error_clear();
    return array_alloc_data(o) == EM_OK ? EM_OK : em_error_code();
}

/* How a node is encoded. */
enum { ENC_TASK, ENC_DONE, ENC_SYNC };

/* Gives n's outputs their buffers, recording in donors[i] the input whose
 * buffer output i took (or NULL). Returns ENC_TASK (a kernel must run on the
 * stream), ENC_DONE (views: nothing left to run) or ENC_SYNC (a primitive
 * that sets its outputs itself from its inputs' values), or -1 with the
 * error set. */
static int prepare_outputs(em_node *n, em_array *const *outs, em_array **donors) {
    const char *name = em_primitives[n->prim].name;
    unsigned flags = em_primitives[n->prim].flags;
    for (int i = 0; i < n->n_out; i++)
        if (!outs[i] && !(flags & EM_PF_OPTIONAL_OUTPUTS)) {
            error_set(EM_ERR_RUNTIME, "[eval] An output of %s was released before evaluation.", name);
            return -1;
        }
    if (flags & EM_PF_VIEW) {
        bool run = false;
        em_status st = cpu_prepare(n, n->inputs, outs, &run);
        if (st == EM_ERR_UNSUPPORTED && !error_is_set()) return ENC_SYNC;
        return st != EM_OK ? -1 : run ? ENC_TASK : ENC_DONE;
    }
    if ((flags & EM_PF_UPDATE) && can_donate(n->inputs[0], outs[0]) &&
        n->inputs[0]->dtype == outs[0]->dtype) {
        donate(n->inputs[0], outs[0]);
        donors[0] = n->inputs[0];
        return ENC_TASK;
    }
    for (int i = 0; i < n->n_out; i++) {
        em_array *o = outs[i];
        if (!o) continue; /* released (EM_PF_OPTIONAL_OUTPUTS): the kernel skips it */
        for (int k = 0; (flags & EM_PF_ELEMENTWISE || n->prim == EM_PRIM_FUSED) && k < n->n_in && !donors[i];
             k++)
            if (can_donate(n->inputs[k], o) &&
                (n->prim != EM_PRIM_FUSED || fused_may_donate(n, k, i))) {
                donate(n->inputs[k], o);
                donors[i] = n->inputs[k];
            }
        if (!donors[i] && alloc_output(o) != EM_OK) return -1;
    }
    return ENC_TASK;
}

/* Runs a node on the calling thread once its inputs have their values. */
static em_status run_now(em_node *n, em_array *const *outs) {
    for (int i = 0; i < n->n_in; i++) {
        em_status st = n->inputs[i]->buf ? buffer_wait(n->inputs[i]->buf) : EM_OK;
        if (st != EM_OK) return st;
    }
    em_status st = cpu_run(n, n->inputs, outs);
    if (st != EM_OK && !error_is_set())
        error_set(EM_ERR_RUNTIME, "[%s] The kernel failed.", em_primitives[n->prim].name);
    return st != EM_OK ? em_error_code() : EM_OK;
}

static int64_t fresh_bytes(const em_node *n, em_array *const *outs, em_array *const *donors) {
    int64_t b = 0;
    for (int i = 0; i < n->n_out; i++)
        if (!donors[i] && outs[i] && outs[i]->buf) b += (int64_t)outs[i]->buf->nbytes;
    return b;
}

/* Encodes node n: its outputs get their buffers here, on the calling thread,
 * and its kernel goes to its stream; then the outputs drop their node
 * reference (the task keeps its own). On failure the node stays unevaluated
 * and its outputs without data. */
static em_status encode_node(em_node *n, bool sync) {
    em_array *small[16], **outs = n->n_out <= 8 ? small : malloc(2 * (size_t)n->n_out * sizeof *outs);
    if (!outs) return error_status(EM_ERR_MEMORY, "[eval] Out of memory.");
    em_array **donors = outs + n->n_out;
    memcpy(outs, n->outputs, (size_t)n->n_out * sizeof *outs);
    memset(donors, 0, (size_t)n->n_out * sizeof *donors);
    int how = prepare_outputs(n, outs, donors);
    em_status st = how < 0 ? em_error_code()
                   : how == ENC_TASK ? stream_submit(n, outs, fresh_bytes(n, outs, donors), !sync)
                   : how == ENC_SYNC ? run_now(n, outs) : EM_OK;
    if (st != EM_OK) {
        for (int i = 0; i < n->n_out; i++) {
            em_array *o = outs[i];
            if (donors[i]) donors[i]->lent_buf = false; /* the reference goes back */
            else if (o && o->buf) buffer_release(o->buf);
            if (o) o->buf = NULL;
        }
        if (!error_is_set())
            error_set(EM_ERR_RUNTIME, "[%s] Could not evaluate.", em_primitives[n->prim].name);
        st = em_error_code();
    } else {
        /* Detach: each output drops its node reference. */
        for (int i = 0; i < n->n_out && !keep_graph; i++) {
            em_array *o = outs[i];
            if (o && o->node) {
                o->node = NULL;
                n->outputs[i] = NULL;
                node_release(n);
            }
        }
    }
    if (outs != small) free(outs);
    return st;
}

/* Orders the graph behind arrays[0..n) and encodes it; `sync` when the caller
 * will wait for the arrays next (the workers are then not woken: the caller
 * runs what it waits for when they are idle). */
static em_status encode(em_array *const *arrays, size_t n, bool sync) {
    if (n && !arrays) return error_status(EM_ERR_NULL, "[eval] The array list is NULL.");
    for (size_t i = 0; i < n; i++)
        if (!arrays[i]) {
            if (!error_is_set()) error_set(EM_ERR_NULL, "[eval] Received a NULL array handle.");
            return em_error_code();
        }
    buffer_run_deferred();
    uint64_t stamp = node_stamps(1);
    frame stack0[32];
    em_node *tape0[32];
    vec stack = {stack0, 0, 32, false}, tape = {tape0, 0, 32, false};
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
        st = encode_node(nodes[i], sync);
        node_release(nodes[i]);
    }
    for (; i < tape.n; i++) node_release(nodes[i]);
    if (stack.heap) free(stack.p);
    if (tape.heap) free(tape.p);
    return st;
}

EM_API em_status em_eval(em_array *const *arrays, size_t n) {
    em_status st = encode(arrays, n, true);
    if (st != EM_OK) {
        streams_kick(); /* what was submitted runs on the workers */
        return st;
    }
    for (size_t i = 0; i < n && st == EM_OK; i++)
        if (arrays[i]->buf) st = buffer_wait(arrays[i]->buf);
    if (st != EM_OK) streams_kick();
    return st;
}

EM_API em_status em_eval1(em_array *a) { return em_eval(&a, 1); }

EM_API em_status em_async_eval(em_array *const *arrays, size_t n) { return encode(arrays, n, false); }
