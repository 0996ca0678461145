/* map.c -- em_map: named arrays and named metadata values in insertion order,
 * with hashed lookup so files of many thousands of tensors load in linear time. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "io.h"

/* One name -> value table: entries in order plus an open-addressing index. */
typedef struct {
    io_entry *items;
    size_t n, cap;
    uint32_t *slots;   /* 0 = empty, else entry index + 1 */
    size_t nslots;     /* a power of two, or 0 */
} table;

struct em_map {
    table arrays, meta;
};

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Index of key in t, or -1. */
static long table_find(const table *t, const char *key, size_t len) {
    if (!t->nslots) return -1;
    size_t mask = t->nslots - 1;
    for (size_t i = hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
        uint32_t s = t->slots[i];
        if (!s) return -1;
        const io_entry *e = &t->items[s - 1];
        if (e->key_len == len && memcmp(e->key, key, len) == 0) return (long)(s - 1);
    }
}

static bool table_reindex(table *t, size_t nslots) {
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) return false;
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = hash_bytes(t->items[k].key, t->items[k].key_len) & (nslots - 1);
        while (slots[i]) i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)(k + 1);
    }
    return true;
}

static void entry_clear(io_entry *e) {
    em_array_release(e->arr);
    free(e->str);
    if (e->strs) {
        for (size_t j = 0; j < e->nstrs; j++) free(e->strs[j]);
        free(e->strs);
        free(e->strs_len);
    }
    e->arr = NULL;
    e->str = NULL;
    e->strs = NULL;
    e->strs_len = NULL;
    e->nstrs = 0;
}

/* The entry for key (created empty at the end if absent). NULL with
 * EM_ERR_MEMORY. `*fresh` tells whether it was created. */
static io_entry *table_slot(table *t, const char *key, size_t len, bool *fresh) {
    long k = table_find(t, key, len);
    if (k >= 0) {
        *fresh = false;
        return &t->items[k];
    }
    if (t->n >= UINT32_MAX - 1) return error_set(EM_ERR_MEMORY, "[map] Too many entries.");
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        io_entry *items = realloc(t->items, cap * sizeof *items);
        if (!items) return error_set(EM_ERR_MEMORY, "[map] Out of memory.");
        t->items = items;
        t->cap = cap;
    }
    if (2 * (t->n + 1) > t->nslots && !table_reindex(t, t->nslots ? 2 * t->nslots : 16))
        return error_set(EM_ERR_MEMORY, "[map] Out of memory.");
    char *copy = malloc(len + 1);
    if (!copy) return error_set(EM_ERR_MEMORY, "[map] Out of memory.");
    memcpy(copy, key, len);
    copy[len] = '\0';
    io_entry *e = &t->items[t->n];
    memset(e, 0, sizeof *e);
    e->key = copy;
    e->key_len = len;
    size_t mask = t->nslots - 1, i = hash_bytes(key, len) & mask;
    while (t->slots[i]) i = (i + 1) & mask;
    t->slots[i] = (uint32_t)(t->n + 1);
    t->n++;
    *fresh = true;
    return e;
}

static void table_free(table *t) {
    for (size_t i = 0; i < t->n; i++) {
        entry_clear(&t->items[i]);
        free(t->items[i].key);
    }
    free(t->items);
    free(t->slots);
}

/* ---------------------------------------------------------------- internal */

const io_entry *io_map_array_entry(const em_map *m, size_t i) {
    return m && i < m->arrays.n ? &m->arrays.items[i] : NULL;
}
const io_entry *io_map_meta_entry(const em_map *m, size_t i) {
    return m && i < m->meta.n ? &m->meta.items[i] : NULL;
}
bool io_map_has(const em_map *m, const char *key, size_t len) {
    return table_find(&m->arrays, key, len) >= 0;
}

em_status io_map_put(em_map *m, const char *key, size_t len, em_array *a, bool *dup) {
    bool fresh;
    io_entry *e = table_slot(&m->arrays, key, len, &fresh);
    if (!e) return em_error_code();
    if (!fresh) {
        *dup = true;
        return EM_OK;
    }
    *dup = false;
    e->kind = EM_META_ARRAY;
    e->arr = a;
    return EM_OK;
}

em_status io_map_put_meta(em_map *m, const char *key, size_t len, em_meta_kind kind, em_array *a,
                          char *str, size_t str_len, char **strs, size_t *strs_len, size_t n,
                          bool *dup) {
    bool fresh;
    io_entry *e = table_slot(&m->meta, key, len, &fresh);
    if (!e) return em_error_code();
    *dup = !fresh;
    if (!fresh) return EM_OK;
    e->kind = kind;
    e->arr = a;
    e->str = str;
    e->str_len = str_len;
    e->strs = strs;
    e->strs_len = strs_len;
    e->nstrs = n;
    return EM_OK;
}

/* ---------------------------------------------------------------- public */

EM_API em_map *em_map_new(void) {
    em_map *m = calloc(1, sizeof *m);
    if (!m) return error_set(EM_ERR_MEMORY, "[map] Out of memory.");
    return m;
}

EM_API void em_map_free(em_map *m) {
    if (!m) return;
    table_free(&m->arrays);
    table_free(&m->meta);
    free(m);
}

EM_API size_t em_map_size(const em_map *m) { return m ? m->arrays.n : 0; }
EM_API size_t em_map_meta_size(const em_map *m) { return m ? m->meta.n : 0; }

static const char *key_of(const table *t, size_t i, size_t *len) {
    if (i >= t->n) return NULL;
    if (len) *len = t->items[i].key_len;
    return t->items[i].key;
}

EM_API const char *em_map_key(const em_map *m, size_t i, size_t *len) {
    return m ? key_of(&m->arrays, i, len) : NULL;
}
EM_API const char *em_map_meta_key(const em_map *m, size_t i, size_t *len) {
    return m ? key_of(&m->meta, i, len) : NULL;
}

EM_PUBLIC_OP(em_map_at, (const em_map *m, size_t i), (m, i)) {
    if (!m) return error_set(EM_ERR_NULL, "[map] The map is NULL.");
    if (i >= m->arrays.n)
        return error_set(EM_ERR_INDEX, "[map] Index %zu is out of range for a map of %zu arrays.",
                         i, m->arrays.n);
    return em_array_retain(m->arrays.items[i].arr);
}

EM_PUBLIC_OP(em_map_get, (const em_map *m, const char *key), (m, key)) {
    if (!m || !key) return error_set(EM_ERR_NULL, "[map] The map or the key is NULL.");
    long k = table_find(&m->arrays, key, strlen(key));
    if (k < 0) return error_set(EM_ERR_VALUE, "[map] No array named '%s'.", key);
    return em_array_retain(m->arrays.items[k].arr);
}

EM_API em_status em_map_set(em_map *m, const char *key, const em_array *a) {
    if (!m || !key) return error_status(EM_ERR_NULL, "[map] The map or the key is NULL.");
    if (!a) return error_null_arg("map"), em_error_code();
    bool fresh;
    io_entry *e = table_slot(&m->arrays, key, strlen(key), &fresh);
    if (!e) return em_error_code();
    em_array *r = em_array_retain((em_array *)a);
    em_array_release(e->arr);
    e->kind = EM_META_ARRAY;
    e->arr = r;
    return EM_OK;
}

EM_API em_meta_kind em_map_meta_kind(const em_map *m, size_t i) {
    const io_entry *e = io_map_meta_entry(m, i);
    return e ? e->kind : EM_META_STRING;
}

EM_API const char *em_map_meta_string(const em_map *m, size_t i, size_t *len) {
    const io_entry *e = io_map_meta_entry(m, i);
    if (!e || e->kind != EM_META_STRING) return NULL;
    if (len) *len = e->str_len;
    return e->str;
}

EM_PUBLIC_OP(em_map_meta_array, (const em_map *m, size_t i), (m, i)) {
    const io_entry *e = io_map_meta_entry(m, i);
    if (!e) return error_set(EM_ERR_INDEX, "[map] Metadata index %zu is out of range.", i);
    if (e->kind != EM_META_ARRAY)
        return error_set(EM_ERR_TYPE, "[map] Metadata '%s' is not an array.", e->key);
    return em_array_retain(e->arr);
}

EM_API size_t em_map_meta_count(const em_map *m, size_t i) {
    const io_entry *e = io_map_meta_entry(m, i);
    return e && e->kind == EM_META_STRINGS ? e->nstrs : 0;
}

EM_API const char *em_map_meta_item(const em_map *m, size_t i, size_t j, size_t *len) {
    const io_entry *e = io_map_meta_entry(m, i);
    if (!e || e->kind != EM_META_STRINGS || j >= e->nstrs) return NULL;
    if (len) *len = e->strs_len[j];
    return e->strs[j];
}

static char *dup_bytes(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return error_set(EM_ERR_MEMORY, "[map] Out of memory.");
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Replaces (or adds) metadata `key` with the given value; takes ownership of
 * the value's parts on success and on failure. */
static em_status meta_replace(em_map *m, const char *key, em_meta_kind kind, em_array *a, char *str,
                              size_t str_len, char **strs, size_t *strs_len, size_t n) {
    bool fresh;
    io_entry *e = table_slot(&m->meta, key, strlen(key), &fresh);
    if (!e) {
        em_array_release(a);
        free(str);
        for (size_t j = 0; j < n; j++) free(strs[j]);
        free(strs);
        free(strs_len);
        return em_error_code();
    }
    entry_clear(e);
    e->kind = kind;
    e->arr = a;
    e->str = str;
    e->str_len = str_len;
    e->strs = strs;
    e->strs_len = strs_len;
    e->nstrs = n;
    return EM_OK;
}

EM_API em_status em_map_set_meta_string(em_map *m, const char *key, const char *value) {
    if (!m || !key || !value)
        return error_status(EM_ERR_NULL, "[map] The map, the key or the value is NULL.");
    size_t n = strlen(value);
    char *s = dup_bytes(value, n);
    if (!s) return em_error_code();
    return meta_replace(m, key, EM_META_STRING, NULL, s, n, NULL, NULL, 0);
}

EM_API em_status em_map_set_meta_array(em_map *m, const char *key, const em_array *a) {
    if (!m || !key) return error_status(EM_ERR_NULL, "[map] The map or the key is NULL.");
    if (!a) return error_null_arg("map"), em_error_code();
    return meta_replace(m, key, EM_META_ARRAY, em_array_retain((em_array *)a), NULL, 0, NULL,
                        NULL, 0);
}

EM_API em_status em_map_set_meta_strings(em_map *m, const char *key, const char *const *values,
                                         size_t n) {
    if (!m || !key || (n && !values))
        return error_status(EM_ERR_NULL, "[map] The map, the key or the values are NULL.");
    char **strs = calloc(n ? n : 1, sizeof *strs);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    if (!strs || !lens) {
        free(strs);
        free(lens);
        return error_status(EM_ERR_MEMORY, "[map] Out of memory.");
    }
    for (size_t j = 0; j < n; j++) {
        if (!values[j]) {
            for (size_t k = 0; k < j; k++) free(strs[k]);
            free(strs);
            free(lens);
            return error_status(EM_ERR_NULL, "[map] String %zu of '%s' is NULL.", j, key);
        }
        lens[j] = strlen(values[j]);
        strs[j] = dup_bytes(values[j], lens[j]);
        if (!strs[j]) {
            for (size_t k = 0; k < j; k++) free(strs[k]);
            free(strs);
            free(lens);
            return em_error_code();
        }
    }
    return meta_replace(m, key, EM_META_STRINGS, NULL, NULL, 0, strs, lens, n);
}
