/* dot.c -- em_export_to_dot: the graph behind some arrays as Graphviz DOT
 * text, in MLX's layout (inputs ranked as sources, the outputs nobody in
 * the graph consumes as sinks, one rectangle per primitive application).
 * The walk is iterative, so graphs of any depth print. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/node.h"

/* ---- a set of arrays with a name index each (open addressing) */

typedef struct {
    const em_array *a;
    long name;     /* -1 until named */
    bool consumed; /* an input of a node in the graph */
} slot;

typedef struct {
    slot *s;
    size_t cap, n;
    long names; /* names handed out so far (explicit ones count, as in MLX) */
} aset;

static size_t hash_ptr(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

/* The slot of a (added when absent), or NULL when out of memory. */
static slot *aset_get(aset *t, const em_array *a) {
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        slot *s = calloc(cap, sizeof *s);
        if (!s) return NULL;
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i].a) {
                size_t j = hash_ptr(t->s[i].a) & (cap - 1);
                while (s[j].a) j = (j + 1) & (cap - 1);
                s[j] = t->s[i];
            }
        free(t->s);
        t->s = s;
        t->cap = cap;
    }
    size_t j = hash_ptr(a) & (t->cap - 1);
    while (t->s[j].a && t->s[j].a != a) j = (j + 1) & (t->cap - 1);
    if (!t->s[j].a) {
        t->s[j] = (slot){a, -1, false};
        t->n++;
    }
    return &t->s[j];
}

/* ---- output text */

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 1024;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

/* "A", ..., "Z", "BA", ... as MLX's namer: the index in base 26. Explicit
 * names come from the caller's table. */
static void put_name(sbuf *b, slot *s, const char *const *names) {
    if (s->name < 0 && names) { /* cannot happen: names are set on first use */
        put(b, "\"?\"");
        return;
    }
    if (s->name >= (1L << 40)) { /* explicit: name index stored biased */
        put(b, "\"%s\"", names[s->name - (1L << 40)]);
        return;
    }
    char tmp[32];
    int k = 0;
    long c = s->name;
    do {
        tmp[k++] = (char)('A' + c % 26);
        c /= 26;
    } while (c && k < 31);
    put(b, "\"");
    while (k) put(b, "%c", tmp[--k]);
    put(b, "\"");
}

static slot *named(aset *t, const em_array *a, const char *const *names, sbuf *b) {
    slot *s = aset_get(t, a);
    if (!s) {
        b->oom = true;
        return NULL;
    }
    if (s->name < 0) s->name = t->names++;
    (void)names;
    return s;
}

typedef struct {
    em_array *a;
    int next;
} frame;

EM_API char *em_export_to_dot(em_array *const *outputs, size_t n, em_array *const *named_arrays,
                              const char *const *names, size_t nnamed) {
    if ((n && !outputs) || (nnamed && (!named_arrays || !names)))
        return error_set(EM_ERR_NULL, "[export_to_dot] A pointer argument is NULL.");
    for (size_t i = 0; i < n; i++)
        if (!outputs[i]) return error_null_arg("export_to_dot");
    for (size_t i = 0; i < nnamed; i++)
        if (!named_arrays[i] || !names[i]) return error_null_arg("export_to_dot");
    aset seen = {0};
    sbuf b = {0};
    frame *stack = NULL;
    em_array **order = NULL;
    size_t sn = 0, scap = 0, on = 0, ocap = 0;
    /* explicit names first: each takes a place in the count, as in MLX */
    for (size_t i = 0; i < nnamed && !b.oom; i++) {
        slot *s = aset_get(&seen, named_arrays[i]);
        if (!s) b.oom = true;
        else if (s->name < 0) {
            s->name = (1L << 40) + (long)i;
            seen.names++;
        }
    }
    /* 1: post-order of the arrays (each once), marking what is consumed */
    aset visited = {0};
    for (size_t r = 0; r < n && !b.oom; r++) {
        slot *v = aset_get(&visited, outputs[r]);
        if (!v) {
            b.oom = true;
            break;
        }
        if (v->consumed) continue; /* 'consumed' marks visited in this set */
        v->consumed = true;
        if (sn == scap) {
            frame *q = realloc(stack, (scap = scap ? 2 * scap : 64) * sizeof *q);
            if (!q) {
                b.oom = true;
                break;
            }
            stack = q;
        }
        stack[sn++] = (frame){outputs[r], 0};
        while (sn && !b.oom) {
            frame *top = &stack[sn - 1];
            em_node *nd = top->a->node;
            if (nd && top->next < nd->n_in) {
                em_array *in = nd->inputs[top->next++];
                slot *c = aset_get(&seen, in);
                slot *w = c ? aset_get(&visited, in) : NULL;
                if (!w) {
                    b.oom = true;
                    break;
                }
                c = aset_get(&seen, in); /* the table may have grown */
                c->consumed = true;
                if (w->consumed) continue;
                w->consumed = true;
                if (sn == scap) {
                    frame *q = realloc(stack, (scap *= 2) * sizeof *q);
                    if (!q) {
                        b.oom = true;
                        break;
                    }
                    stack = q;
                }
                stack[sn++] = (frame){in, 0};
            } else {
                if (on == ocap) {
                    em_array **q = realloc(order, (ocap = ocap ? 2 * ocap : 64) * sizeof *q);
                    if (!q) {
                        b.oom = true;
                        break;
                    }
                    order = q;
                }
                order[on++] = top->a;
                sn--;
            }
        }
    }
    /* 2: the text */
    uint64_t stamp = node_stamps(1);
    put(&b, "digraph {\n");
    for (size_t i = 0; i < on && !b.oom; i++) {
        em_array *a = order[i];
        em_node *nd = a->node;
        if (!nd) {
            put(&b, "{ rank=source; ");
            put_name(&b, named(&seen, a, names, &b), names);
            put(&b, "; }\n");
            continue;
        }
        if (nd->mark == stamp) continue; /* a sibling output printed it */
        nd->mark = stamp;
        put(&b, "{ %llu [label =\"%s\", shape=rectangle]; }\n",
            (unsigned long long)(uintptr_t)nd, em_primitives[nd->prim].name);
        for (int k = 0; k < nd->n_in && !b.oom; k++) {
            put_name(&b, named(&seen, nd->inputs[k], names, &b), names);
            put(&b, " -> %llu\n", (unsigned long long)(uintptr_t)nd);
        }
        for (int k = 0; k < nd->n_out && !b.oom; k++) {
            em_array *o = nd->outputs[k];
            if (!o) continue;
            slot *s = named(&seen, o, names, &b);
            if (!s) break;
            bool sink = false;
            for (size_t r = 0; r < n && !sink; r++) sink = outputs[r] == o;
            put(&b, "{ %s", sink && !s->consumed ? "rank=sink; " : "");
            put_name(&b, s, names);
            put(&b, "; }\n%llu -> ", (unsigned long long)(uintptr_t)nd);
            put_name(&b, s, names);
            put(&b, "\n");
        }
    }
    put(&b, "}");
    free(stack);
    free(order);
    free(seen.s);
    free(visited.s);
    if (b.oom) {
        free(b.p);
        return error_set(EM_ERR_MEMORY, "[export_to_dot] Out of memory.");
    }
    return b.p;
}
