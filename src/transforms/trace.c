/* trace.c -- tracer arrays, tapes and array maps shared by the transforms
 * (see trace.h). */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "eval.h"
#include "trace.h"

/* ---------------------------------------------------------------- maps */

static size_t hash_ptr(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

trace_entry *trace_map_get(const trace_map *m, const em_array *key) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash_ptr(key) & mask;; i = (i + 1) & mask) {
        if (m->slots[i].key == key) return &m->slots[i];
        if (!m->slots[i].key) return NULL;
    }
}

static bool map_grow(trace_map *m) {
    size_t cap = m->cap ? 2 * m->cap : 64;
    trace_entry *s = calloc(cap, sizeof *s);
    if (!s) {
        error_set(EM_ERR_MEMORY, "[transforms] Out of memory.");
        return false;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->slots[j].key) continue;
        size_t i = hash_ptr(m->slots[j].key) & (cap - 1);
        while (s[i].key) i = (i + 1) & (cap - 1);
        s[i] = m->slots[j];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
    return true;
}

trace_entry *trace_map_put(trace_map *m, const em_array *key) {
    trace_entry *e = trace_map_get(m, key);
    if (e) return e;
    if (2 * (m->n + 1) > m->cap && !map_grow(m)) return NULL;
    size_t mask = m->cap - 1, i = hash_ptr(key) & mask;
    while (m->slots[i].key) i = (i + 1) & mask;
    m->slots[i].key = key;
    m->slots[i].value = NULL;
    m->slots[i].aux = 0;
    m->n++;
    return &m->slots[i];
}

void trace_map_free(trace_map *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) em_array_release(m->slots[i].value);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- tracing */

/* A BROADCAST to the array's own shape: a view, whose rules are identities. */
em_array *trace_tracer(const em_array *x) {
    EM_CHECK_ARG("transforms", x);
    em_array *in = (em_array *)x;
    return node_make(EM_PRIM_BROADCAST, NULL, 0, &in, 1, x->dtype, x->shape, x->ndim);
}

em_status trace_call(em_closure *f, em_array *const *in, size_t n, em_array_list *out) {
    eval_keep_graph_begin();
    em_status s = em_closure_call(f, in, n, out);
    eval_keep_graph_end();
    return s;
}

/* ---------------------------------------------------------------- tapes */

typedef struct frame { em_node *n; int next; } frame;

void trace_tape_free(trace_tape *t) {
    for (size_t i = 0; i < t->n; i++) node_release(t->nodes[i]);
    free(t->nodes);
    trace_map_free(&t->active);
    memset(t, 0, sizeof *t);
}

/* Marks: seen = stamp (inactive) or stamp + 1 (depends on a tracer). */
em_status trace_tape_build(em_array *const *tracers, size_t n_tracers, em_array *const *outputs,
                           size_t n_outputs, bool through_stop_gradient, trace_tape *tape) {
    memset(tape, 0, sizeof *tape);
    uint64_t seen = node_stamps(2), active = seen + 1;
    for (size_t i = 0; i < n_tracers; i++) {
        if (tracers[i]->node) tracers[i]->node->mark = active;
        if (!trace_map_put(&tape->active, tracers[i])) return em_error_code();
    }
    frame *stack = NULL;
    size_t depth = 0, cap = 0, tape_cap = 0;
    em_status st = EM_OK;
    for (size_t r = 0; r < n_outputs && st == EM_OK; r++) {
        em_node *root = outputs[r]->node;
        if (!root || root->mark == seen || root->mark == active) continue;
        root->mark = seen;
        if (cap == 0) {
            cap = 256;
            if (!(stack = malloc(cap * sizeof *stack))) { st = EM_ERR_MEMORY; break; }
        }
        stack[depth++] = (frame){root, 0};
        while (depth && st == EM_OK) {
            frame *top = &stack[depth - 1];
            em_node *n = top->n;
            bool stop = !through_stop_gradient && n->prim == EM_PRIM_STOP_GRADIENT;
            if (!stop && top->next < n->n_in) {
                em_node *c = n->inputs[top->next++]->node;
                if (!c || c->mark == seen || c->mark == active) continue;
                c->mark = seen;
                if (depth == cap) {
                    frame *s = realloc(stack, 2 * cap * sizeof *s);
                    if (!s) { st = EM_ERR_MEMORY; break; }
                    stack = s;
                    cap *= 2;
                }
                stack[depth++] = (frame){c, 0};
                continue;
            }
            depth--;
            bool on = false;
            for (int i = 0; i < n->n_in && !stop && !on; i++) {
                em_node *c = n->inputs[i]->node;
                on = c && c->mark == active;
            }
            if (!on) continue;
            n->mark = active;
            if (tape->n == tape_cap) {
                size_t nc = tape_cap ? 2 * tape_cap : 64;
                em_node **nn = realloc(tape->nodes, nc * sizeof *nn);
                if (!nn) { st = EM_ERR_MEMORY; break; }
                tape->nodes = nn;
                tape_cap = nc;
            }
            node_retain(n);
            tape->nodes[tape->n++] = n;
            for (int k = 0; k < n->n_out; k++)
                if (n->outputs[k] && !trace_map_put(&tape->active, n->outputs[k])) {
                    st = em_error_code();
                    break;
                }
        }
    }
    free(stack);
    if (st == EM_ERR_MEMORY && !error_is_set())
        error_set(EM_ERR_MEMORY, "[transforms] Out of memory while walking the graph.");
    if (st != EM_OK) trace_tape_free(tape);
    return st;
}
