/* safetensors.c -- .safetensors files: an 8-byte header length, a JSON header
 * (name -> dtype, shape, data_offsets; "__metadata__" -> string map), then
 * the tensors' bytes. Loading applies the `safetensors` package's rules
 * (offsets contiguous from 0, each range exactly its shape's size, the data
 * ending at the end of the file); saving writes the package's exact bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/array.h"
#include "../core/error.h"
#include "io.h"
#include "json.h"

#define MAX_HEADER 100000000u /* the package's limit */

/* Names and ranks: the rank is the package's dtype order, which sorts tensors
 * on save (highest first, then by name). */
static const struct {
    const char *name;
    unsigned char rank;
} st_dtypes[EM_NUM_DTYPES] = {
    [EM_BOOL] = {"BOOL", 0},    [EM_UINT8] = {"U8", 4},     [EM_INT8] = {"I8", 5},
    [EM_INT16] = {"I16", 9},    [EM_UINT16] = {"U16", 10},  [EM_FLOAT16] = {"F16", 11},
    [EM_BFLOAT16] = {"BF16", 12}, [EM_INT32] = {"I32", 13}, [EM_UINT32] = {"U32", 14},
    [EM_FLOAT32] = {"F32", 15}, [EM_COMPLEX64] = {"C64", 16}, [EM_FLOAT64] = {"F64", 17},
    [EM_INT64] = {"I64", 18},   [EM_UINT64] = {"U64", 19},
};

static int dtype_of(const char *s, size_t n) {
    for (int t = 0; t < EM_NUM_DTYPES; t++)
        if (strlen(st_dtypes[t].name) == n && memcmp(st_dtypes[t].name, s, n) == 0) return t;
    if (n == 7 && memcmp(s, "F8_E4M3", 7) == 0) return EM_UINT8; /* raw bytes, as MLX loads it */
    return -1;
}

/* ---------------------------------------------------------------- load */

typedef struct {
    const json_node *node;
    em_dtype dt;
    int ndim;
    int64_t shape[EM_MAX_NDIM];
    uint64_t begin, end;
} tinfo;

static int by_offsets(const void *a, const void *b) {
    const tinfo *x = *(const tinfo *const *)a, *y = *(const tinfo *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

#define NAME_ARGS(nd) (int)((nd)->key_len > 64 ? 64 : (nd)->key_len), (nd)->key

static const json_node *member(const json_doc *d, const json_node *obj, const char *key) {
    for (uint32_t c = obj->child; c != JSON_NONE; c = d->nodes[c].next)
        if (d->nodes[c].key_len == strlen(key) && memcmp(d->nodes[c].key, key, strlen(key)) == 0)
            return &d->nodes[c];
    return NULL;
}

static em_status tensor_info(const io_src *s, const json_doc *d, const json_node *t, tinfo *ti) {
    ti->node = t;
    if (t->kind != JSON_OBJECT)
        return io_fail(s, "the entry of tensor '%.*s' is not an object", NAME_ARGS(t));
    const json_node *dt = member(d, t, "dtype"), *sh = member(d, t, "shape"),
                    *off = member(d, t, "data_offsets");
    if (!dt || !sh || !off)
        return io_fail(s, "tensor '%.*s' lacks its %s", NAME_ARGS(t),
                       !dt ? "dtype" : !sh ? "shape" : "data_offsets");
    if (dt->kind != JSON_STRING)
        return io_fail(s, "the dtype of tensor '%.*s' is not a string", NAME_ARGS(t));
    int k = dtype_of(dt->str, dt->str_len);
    if (k < 0)
        return io_fail(s, "tensor '%.*s' has the unsupported dtype '%.*s'", NAME_ARGS(t),
                       (int)(dt->str_len > 16 ? 16 : dt->str_len), dt->str);
    ti->dt = (em_dtype)k;
    if (sh->kind != JSON_ARRAY)
        return io_fail(s, "the shape of tensor '%.*s' is not a list", NAME_ARGS(t));
    if (sh->count > EM_MAX_NDIM)
        return io_fail(s, "tensor '%.*s' has %u dimensions, more than %d", NAME_ARGS(t), sh->count,
                       EM_MAX_NDIM);
    ti->ndim = 0;
    for (uint32_t c = sh->child; c != JSON_NONE; c = d->nodes[c].next) {
        const json_node *v = &d->nodes[c];
        if (v->kind != JSON_NUMBER || !v->is_uint || v->u > INT64_MAX)
            return io_fail(s, "the shape of tensor '%.*s' holds something other than a "
                              "non-negative integer", NAME_ARGS(t));
        ti->shape[ti->ndim++] = (int64_t)v->u;
    }
    if (off->kind != JSON_ARRAY || off->count != 2)
        return io_fail(s, "the data_offsets of tensor '%.*s' are not a pair", NAME_ARGS(t));
    const json_node *b = &d->nodes[off->child], *e = &d->nodes[b->next];
    if (b->kind != JSON_NUMBER || !b->is_uint || e->kind != JSON_NUMBER || !e->is_uint)
        return io_fail(s, "the data_offsets of tensor '%.*s' are not non-negative integers",
                       NAME_ARGS(t));
    ti->begin = b->u;
    ti->end = e->u;
    return EM_OK;
}

static em_status load_metadata(const io_src *s, const json_doc *d, const json_node *m, em_map *out) {
    if (m->kind == JSON_NULL) return EM_OK;
    if (m->kind != JSON_OBJECT) return io_fail(s, "__metadata__ is not an object");
    for (uint32_t c = m->child; c != JSON_NONE; c = d->nodes[c].next) {
        const json_node *v = &d->nodes[c];
        if (v->kind != JSON_STRING)
            return io_fail(s, "the metadata value of '%.*s' is not a string", NAME_ARGS(v));
        char *str = malloc(v->str_len + 1);
        if (!str) return error_status(EM_ERR_MEMORY, "[load_safetensors] Out of memory.");
        memcpy(str, v->str, v->str_len);
        str[v->str_len] = '\0';
        bool dup;
        em_status st = io_map_put_meta(out, v->key, v->key_len, EM_META_STRING, NULL, str,
                                       v->str_len, NULL, NULL, 0, &dup);
        if (st != EM_OK || dup) free(str);
        if (st != EM_OK) return st;
    }
    return EM_OK;
}

em_status io_load_safetensors(const io_src *s, em_map *out) {
    uint8_t len8[8];
    if (s->size < 8)
        return io_fail(s, "the file (%llu bytes) is too short to hold the 8-byte header length",
                       (unsigned long long)s->size);
    em_status st = io_read(s, 0, len8, 8, "the header length");
    if (st != EM_OK) return st;
    uint64_t n = io_le64(len8);
    if (n > MAX_HEADER)
        return io_fail(s, "the header length %llu is larger than the format's limit of %u bytes",
                       (unsigned long long)n, MAX_HEADER);
    if (n > s->size - 8)
        return io_fail(s, "the header length %llu runs past the end of the file (%llu bytes)",
                       (unsigned long long)n, (unsigned long long)s->size);
    io_cur c;
    io_cur_init(&c, s, 8);
    const uint8_t *h = io_cur_take(&c, n, "the header");
    json_doc d = {0};
    tinfo *infos = NULL, **order = NULL;
    if (!h) {
        st = em_error_code();
        goto done;
    }
    if (!io_utf8_valid(h, (size_t)n)) {
        st = io_fail(s, "the header is not valid UTF-8");
        goto done;
    }
    if ((st = json_parse(&d, (const char *)h, (size_t)n, s)) != EM_OK) goto done;
    const json_node *root = &d.nodes[0];
    if (root->kind != JSON_OBJECT) {
        st = io_fail(s, "the header is not a JSON object");
        goto done;
    }
    infos = calloc(root->count ? root->count : 1, sizeof *infos);
    order = calloc(root->count ? root->count : 1, sizeof *order);
    if (!infos || !order) {
        st = error_status(EM_ERR_MEMORY, "[load_safetensors] Out of memory.");
        goto done;
    }
    size_t nt = 0;
    const json_node *meta = NULL;
    for (uint32_t k = root->child; k != JSON_NONE && st == EM_OK; k = d.nodes[k].next) {
        const json_node *t = &d.nodes[k];
        if (t->key_len == 12 && memcmp(t->key, "__metadata__", 12) == 0) meta = t;
        else if ((st = tensor_info(s, &d, t, &infos[nt])) == EM_OK) {
            order[nt] = &infos[nt];
            nt++;
        }
    }
    if (st != EM_OK) goto done;
    /* the package's validation: sorted by offsets, contiguous from 0 */
    qsort(order, nt, sizeof *order, by_offsets);
    uint64_t at = 0, data = s->size - 8 - n;
    for (size_t i = 0; i < nt; i++) {
        tinfo *t = order[i];
        if (t->begin != at || t->end < t->begin) {
            st = io_fail(s, "tensor '%.*s' has data_offsets [%llu, %llu], but its data must start "
                            "at %llu (offsets must be contiguous, without gaps or overlaps)",
                         NAME_ARGS(t->node), (unsigned long long)t->begin,
                         (unsigned long long)t->end, (unsigned long long)at);
            goto done;
        }
        int64_t nb = io_nbytes(t->dt, t->shape, t->ndim);
        if (nb < 0) {
            st = io_fail(s, "the shape of tensor '%.*s' overflows a 64-bit byte count",
                         NAME_ARGS(t->node));
            goto done;
        }
        if ((uint64_t)nb != t->end - t->begin) {
            st = io_fail(s, "tensor '%.*s' spans %llu bytes, but its shape and dtype need %lld",
                         NAME_ARGS(t->node), (unsigned long long)(t->end - t->begin),
                         (long long)nb);
            goto done;
        }
        at = t->end;
    }
    if (at != data) {
        st = io_fail(s, "the tensors cover %llu bytes but the data section has %llu",
                     (unsigned long long)at, (unsigned long long)data);
        goto done;
    }
    for (size_t i = 0; i < nt && st == EM_OK; i++) {
        tinfo *t = &infos[i];
        em_array *a = io_array(s, 8 + n + t->begin, t->dt, t->shape, t->ndim, 0);
        if (!a) {
            st = em_error_code();
            break;
        }
        bool dup;
        st = io_map_put(out, t->node->key, t->node->key_len, a, &dup);
        if (st != EM_OK) em_array_release(a);
    }
    if (st == EM_OK && meta) st = load_metadata(s, &d, meta, out);
done:
    free(infos);
    free(order);
    json_free(&d);
    io_cur_free(&c);
    return st;
}

/* ---------------------------------------------------------------- save */

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* A JSON string as serde_json writes it. */
static void sb_json(sbuf *b, const char *s, size_t n) {
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                e = esc;
            }
        }
        if (e) sb_str(b, e);
        else sb_put(b, (const char *)&c, 1);
    }
    sb_put(b, "\"", 1);
}

typedef struct {
    int rank;
    const char *key;
    size_t len, index;
} sort_key;

static int by_rank(const void *a, const void *b) {
    const sort_key *x = a, *y = b;
    if (x->rank != y->rank) return x->rank > y->rank ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

em_status io_save_safetensors(io_sink *k, const em_map *m) {
    size_t n = em_map_size(m), nm = em_map_meta_size(m);
    for (size_t i = 0; i < nm; i++)
        if (io_map_meta_entry(m, i)->kind != EM_META_STRING)
            return error_status(EM_ERR_VALUE, "[save_safetensors] Metadata must be a dictionary "
                                              "with string keys and values");
    sort_key *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return error_status(EM_ERR_MEMORY, "[save_safetensors] Out of memory.");
    for (size_t i = 0; i < n; i++) {
        const io_entry *e = io_map_array_entry(m, i);
        idx[i] = (sort_key){st_dtypes[e->arr->dtype].rank, e->key, e->key_len, i};
    }
    /* qsort is not stable, but names are unique, so the order is total */
    qsort(idx, n, sizeof *idx, by_rank);
    sbuf b = {0};
    sb_str(&b, "{");
    if (nm) {
        sb_str(&b, "\"__metadata__\":{");
        for (size_t i = 0; i < nm; i++) {
            const io_entry *e = io_map_meta_entry(m, i);
            if (i) sb_str(&b, ",");
            sb_json(&b, e->key, e->key_len);
            sb_str(&b, ":");
            sb_json(&b, e->str, e->str_len);
        }
        sb_str(&b, "}");
    }
    uint64_t off = 0;
    for (size_t j = 0; j < n; j++) {
        const io_entry *e = io_map_array_entry(m, idx[j].index);
        char num[48];
        if (j || nm) sb_str(&b, ",");
        sb_json(&b, e->key, e->key_len);
        sb_str(&b, ":{\"dtype\":\"");
        sb_str(&b, st_dtypes[e->arr->dtype].name);
        sb_str(&b, "\",\"shape\":[");
        for (int d = 0; d < e->arr->ndim; d++) {
            snprintf(num, sizeof num, d ? ",%" PRId64 : "%" PRId64, e->arr->shape[d]);
            sb_str(&b, num);
        }
        uint64_t nb = em_array_nbytes(e->arr);
        snprintf(num, sizeof num, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", off, off + nb);
        sb_str(&b, num);
        off += nb;
    }
    sb_str(&b, "}");
    while (b.n % 8) sb_str(&b, " ");
    em_status st = EM_OK;
    if (b.oom) st = error_status(EM_ERR_MEMORY, "[save_safetensors] Out of memory.");
    uint8_t len8[8];
    io_put64(len8, b.n);
    if (st == EM_OK) st = io_put(k, len8, 8);
    if (st == EM_OK) st = io_put(k, b.p, b.n);
    for (size_t j = 0; j < n && st == EM_OK; j++)
        st = io_put_array(k, io_map_array_entry(m, idx[j].index)->arr, false, NULL);
    free(b.p);
    free(idx);
    return st;
}
