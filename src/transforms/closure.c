/* closure.c -- closures (function + context + destructor) and array lists, the
 * currency of the transforms' C API. */
#include <stdatomic.h>
#include <stdlib.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "closure.h"

struct em_array_list {
    em_array **items;
    size_t n, cap;
};

struct em_closure {
    atomic_long rc;
    em_closure_fn fn;
    void *ctx;
    void (*destructor)(void *ctx);
};

/* ---------------------------------------------------------------- lists */

EM_API em_array_list *em_array_list_new(void) {
    em_array_list *l = calloc(1, sizeof *l);
    if (!l) error_set(EM_ERR_MEMORY, "[array_list] Out of memory.");
    return l;
}

EM_API void em_array_list_clear(em_array_list *l) {
    if (!l) return;
    for (size_t i = l->n; i-- > 0;) em_array_release(l->items[i]);
    l->n = 0;
}

EM_API void em_array_list_free(em_array_list *l) {
    if (!l) return;
    em_array_list_clear(l);
    free(l->items);
    free(l);
}

EM_API em_status em_array_list_push(em_array_list *l, const em_array *a) {
    if (!l) return error_status(EM_ERR_NULL, "[array_list] The list is NULL.");
    if (!a) return error_null_arg("array_list"), em_error_code();
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        em_array **items = realloc(l->items, cap * sizeof *items);
        if (!items) return error_status(EM_ERR_MEMORY, "[array_list] Out of memory.");
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = em_array_retain((em_array *)a);
    return EM_OK;
}

EM_API size_t em_array_list_size(const em_array_list *l) { return l ? l->n : 0; }

EM_API em_array *em_array_list_get(const em_array_list *l, size_t i) {
    return l && i < l->n ? l->items[i] : NULL;
}

EM_API em_array *const *em_array_list_data(const em_array_list *l) { return l ? l->items : NULL; }

em_status list_push_steal(em_array_list *l, em_array *a) {
    em_status s = em_array_list_push(l, a);
    em_array_release(a);
    return s;
}

/* ---------------------------------------------------------------- closures */

EM_API em_closure *em_closure_new(em_closure_fn fn, void *ctx, void (*destructor)(void *ctx)) {
    if (!fn) return error_set(EM_ERR_NULL, "[closure] The function pointer is NULL.");
    em_closure *f = malloc(sizeof *f);
    if (!f) return error_set(EM_ERR_MEMORY, "[closure] Out of memory.");
    atomic_init(&f->rc, 1);
    f->fn = fn;
    f->ctx = ctx;
    f->destructor = destructor;
    return f;
}

EM_API em_closure *em_closure_retain(em_closure *f) {
    if (f) atomic_fetch_add(&f->rc, 1);
    return f;
}

EM_API void em_closure_release(em_closure *f) {
    if (!f || atomic_fetch_sub(&f->rc, 1) != 1) return;
    if (f->destructor) f->destructor(f->ctx);
    free(f);
}

/* The user's function runs as outermost code outside its caller's scopes:
 * the references it makes are its own (or those of the scopes it opens). */
EM_API em_status em_closure_call(em_closure *f, em_array *const *inputs, size_t n_inputs,
                                 em_array_list *outputs) {
    if (!f) return error_status(EM_ERR_NULL, "[closure] The closure is NULL.");
    if (!outputs) return error_status(EM_ERR_NULL, "[closure] The output list is NULL.");
    if (n_inputs && !inputs) return error_status(EM_ERR_NULL, "[closure] The input list is NULL.");
    em_array_list_clear(outputs);
    scope_saved saved = scope_hide();
    em_status s = f->fn(f->ctx, inputs, n_inputs, outputs);
    scope_restore(saved);
    if (s != EM_OK) {
        em_array_list_clear(outputs);
        if (!error_is_set())
            error_set(s, "[closure] The function failed without setting an error.");
    }
    return s;
}

void *closure_context(const em_closure *f) { return f ? f->ctx : NULL; }
