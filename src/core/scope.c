/* scope.c -- per-thread stacks of scopes that release what ops returned. */
#include <stdlib.h>

#include "error.h"
#include "scope.h"

typedef struct scope {
    em_array **items;
    size_t n, cap;
    struct scope *parent;
} scope;

_Thread_local int scope_op_depth;
static _Thread_local scope *top;

static void push(scope *s, em_array *a) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        em_array **items = realloc(s->items, cap * sizeof *items);
        if (!items) return; /* out of memory: the reference stays the caller's */
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = a;
}

em_array *scope_track(em_array *a) {
    if (a && top && scope_op_depth == 0) push(top, a);
    return a;
}

EM_API void em_scope_begin(void) {
    scope *s = calloc(1, sizeof *s);
    if (!s) { error_set(EM_ERR_MEMORY, "[scope_begin] Out of memory."); return; }
    s->parent = top;
    top = s;
}

EM_API size_t em_scope_end(void) {
    scope *s = top;
    if (!s) return 0;
    top = s->parent;
    size_t n = s->n;
    for (size_t i = n; i-- > 0;) em_array_release(s->items[i]);
    free(s->items);
    free(s);
    return n;
}

EM_API em_array *em_scope_keep(em_array *a) {
    if (!a || !top) return a;
    for (size_t i = top->n; i-- > 0;) {
        if (top->items[i] == a) {
            top->items[i] = top->items[--top->n];
            if (top->parent) push(top->parent, a);
            return a;
        }
    }
    return a;
}

scope_saved scope_hide(void) {
    scope_saved s = {top, scope_op_depth};
    top = NULL;
    scope_op_depth = 0;
    return s;
}

void scope_restore(scope_saved s) {
    /* scopes the function opened and did not end are ended here */
    while (top) em_scope_end();
    top = s.top;
    scope_op_depth = s.depth;
}
