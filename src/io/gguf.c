/* gguf.c -- GGUF files (versions 2 and 3, little-endian): typed metadata,
 * tensor infos, and tensor data at aligned offsets. Every count, length,
 * dimension, type code, offset and the alignment is checked against the
 * file's size before use. The writer lays files out as the `gguf` package's
 * GGUFWriter does (alignment 32). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../core/array.h"
#include "../core/error.h"
#include "gguf_quant.h"
#include "io.h"

enum {
    GV_UINT8, GV_INT8, GV_UINT16, GV_INT16, GV_UINT32, GV_INT32, GV_FLOAT32, GV_BOOL,
    GV_STRING, GV_ARRAY, GV_UINT64, GV_INT64, GV_FLOAT64, GV_COUNT
};
static const char *const gv_names[GV_COUNT] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool",
    "string", "array", "uint64", "int64", "float64"};
static const int gv_dtype[GV_COUNT] = {
    EM_UINT8, EM_INT8, EM_UINT16, EM_INT16, EM_UINT32, EM_INT32, EM_FLOAT32, EM_BOOL,
    -1, -1, EM_UINT64, EM_INT64, EM_FLOAT64};

/* ggml tensor types: block size, bytes per block, and how ember loads them. */
enum { LOAD_NO, LOAD_NATIVE, LOAD_MLX_QUANT, LOAD_F16 };
typedef struct {
    const char *name;
    uint32_t block, size;
    int how;
    em_dtype dt;      /* LOAD_NATIVE */
} ggml_type;
static const ggml_type types[] = {
    [0] = {"F32", 1, 4, LOAD_NATIVE, EM_FLOAT32},     [1] = {"F16", 1, 2, LOAD_NATIVE, EM_FLOAT16},
    [2] = {"Q4_0", 32, 18, LOAD_MLX_QUANT, EM_UINT32}, [3] = {"Q4_1", 32, 20, LOAD_MLX_QUANT, EM_UINT32},
    [6] = {"Q5_0", 32, 22, LOAD_NO, 0},               [7] = {"Q5_1", 32, 24, LOAD_NO, 0},
    [8] = {"Q8_0", 32, 34, LOAD_MLX_QUANT, EM_UINT32}, [9] = {"Q8_1", 32, 40, LOAD_NO, 0},
    [10] = {"Q2_K", 256, 84, LOAD_F16, EM_FLOAT16},   [11] = {"Q3_K", 256, 110, LOAD_NO, 0},
    [12] = {"Q4_K", 256, 144, LOAD_F16, EM_FLOAT16},  [13] = {"Q5_K", 256, 176, LOAD_NO, 0},
    [14] = {"Q6_K", 256, 210, LOAD_F16, EM_FLOAT16},  [15] = {"Q8_K", 256, 292, LOAD_NO, 0},
    [16] = {"IQ2_XXS", 256, 66, LOAD_NO, 0},          [17] = {"IQ2_XS", 256, 74, LOAD_NO, 0},
    [18] = {"IQ3_XXS", 256, 98, LOAD_NO, 0},          [19] = {"IQ1_S", 256, 50, LOAD_NO, 0},
    [20] = {"IQ4_NL", 32, 18, LOAD_NO, 0},            [21] = {"IQ3_S", 256, 110, LOAD_NO, 0},
    [22] = {"IQ2_S", 256, 82, LOAD_NO, 0},            [23] = {"IQ4_XS", 256, 136, LOAD_NO, 0},
    [24] = {"I8", 1, 1, LOAD_NATIVE, EM_INT8},        [25] = {"I16", 1, 2, LOAD_NATIVE, EM_INT16},
    [26] = {"I32", 1, 4, LOAD_NATIVE, EM_INT32},      [27] = {"I64", 1, 8, LOAD_NATIVE, EM_INT64},
    [28] = {"F64", 1, 8, LOAD_NATIVE, EM_FLOAT64},    [29] = {"IQ1_M", 256, 56, LOAD_NO, 0},
    [30] = {"BF16", 1, 2, LOAD_NATIVE, EM_BFLOAT16},  [34] = {"TQ1_0", 256, 54, LOAD_NO, 0},
    [35] = {"TQ2_0", 256, 66, LOAD_NO, 0},            [39] = {"MXFP4", 32, 17, LOAD_NO, 0},
    [40] = {"NVFP4", 64, 36, LOAD_NO, 0},             [41] = {"Q1_0", 128, 18, LOAD_NO, 0},
};
#define NTYPES (sizeof types / sizeof *types)

#define SHOW(n, p) (int)((n) > 64 ? 64 : (n)), (const char *)(p)

/* ---------------------------------------------------------------- load */

/* A string: u64 length, then UTF-8 bytes; copied (NUL-terminated) to *out. */
static em_status read_string(io_cur *c, char **out, uint64_t *len, const char *what) {
    *out = NULL;
    uint64_t n;
    em_status st = io_cur_u64(c, &n, what);
    if (st != EM_OK) return st;
    if (n > io_cur_left(c))
        return io_fail(c->s, "%s claims %llu bytes but %llu are left in the file", what,
                       (unsigned long long)n, (unsigned long long)io_cur_left(c));
    const uint8_t *p = io_cur_take(c, n, what);
    if (!p) return em_error_code();
    if (!io_utf8_valid(p, (size_t)n)) return io_fail(c->s, "%s is not valid UTF-8", what);
    char *s = malloc((size_t)n + 1);
    if (!s) return error_status(EM_ERR_MEMORY, "[load_gguf] Out of memory.");
    memcpy(s, p, (size_t)n);
    s[n] = '\0';
    *out = s;
    *len = n;
    return EM_OK;
}

/* A metadata value of type t for key, added to out. */
static em_status read_value(io_cur *c, em_map *out, const char *key, uint64_t key_len, uint32_t t,
                            uint32_t *alignment) {
    const io_src *s = c->s;
    em_array *a = NULL;
    char *str = NULL, **strs = NULL;
    size_t *lens = NULL;
    uint64_t n = 0, slen = 0;
    em_meta_kind kind;
    em_status st = EM_OK;
    if (t >= GV_COUNT)
        return io_fail(s, "metadata '%.*s' has the unknown value type %u", SHOW(key_len, key), t);
    if (t == GV_STRING) {
        kind = EM_META_STRING;
        st = read_string(c, &str, &slen, "a metadata string");
    } else if (t == GV_ARRAY) {
        uint32_t et;
        if ((st = io_cur_u32(c, &et, "an array's element type")) != EM_OK) return st;
        if ((st = io_cur_u64(c, &n, "an array's length")) != EM_OK) return st;
        if (et == GV_ARRAY)
            return io_fail(s, "metadata '%.*s' is an array of arrays, which is not supported",
                           SHOW(key_len, key));
        if (et >= GV_COUNT)
            return io_fail(s, "metadata '%.*s' has arrays of the unknown type %u",
                           SHOW(key_len, key), et);
        if (et == GV_STRING) {
            kind = EM_META_STRINGS;
            if (n > io_cur_left(c) / 8)
                return io_fail(s, "metadata '%.*s' claims %llu strings but the file has room for "
                                  "%llu", SHOW(key_len, key), (unsigned long long)n,
                               (unsigned long long)(io_cur_left(c) / 8));
            strs = calloc((size_t)(n ? n : 1), sizeof *strs);
            lens = calloc((size_t)(n ? n : 1), sizeof *lens);
            if (!strs || !lens) st = error_status(EM_ERR_MEMORY, "[load_gguf] Out of memory.");
            for (uint64_t i = 0; i < n && st == EM_OK; i++) {
                uint64_t l;
                st = read_string(c, &strs[i], &l, "a string in a metadata array");
                lens[i] = (size_t)l;
            }
        } else {
            kind = EM_META_ARRAY;
            em_dtype dt = (em_dtype)gv_dtype[et];
            uint64_t isz = em_dtype_size(dt);
            if (n > io_cur_left(c) / isz)
                return io_fail(s, "metadata '%.*s' claims %llu values of %llu bytes but %llu bytes "
                                  "are left", SHOW(key_len, key), (unsigned long long)n,
                               (unsigned long long)isz, (unsigned long long)io_cur_left(c));
            uint64_t at = c->pos;
            if ((st = io_cur_skip(c, n * isz, "a metadata array")) != EM_OK) return st;
            int64_t shape = (int64_t)n;
            a = io_array(s, at, dt, &shape, 1, 0);
            if (!a) return em_error_code();
        }
    } else {
        kind = EM_META_ARRAY;
        em_dtype dt = (em_dtype)gv_dtype[t];
        uint64_t at = c->pos;
        if (!io_cur_take(c, em_dtype_size(dt), "a metadata value")) return em_error_code();
        a = io_array(s, at, dt, NULL, 0, 0);
        if (!a) return em_error_code();
        if (key_len == 17 && memcmp(key, "general.alignment", 17) == 0) {
            if (t != GV_UINT32) {
                st = io_fail(s, "general.alignment has type %s, not uint32", gv_names[t]);
            } else {
                uint32_t v = io_le32(io_array_bytes(a));
                if (v == 0 || (v & (v - 1)))
                    st = io_fail(s, "general.alignment is %u, not a power of two", v);
                *alignment = v;
            }
        }
    }
    bool dup = false;
    if (st == EM_OK)
        st = io_map_put_meta(out, key, (size_t)key_len, kind, a, str, (size_t)slen, strs, lens,
                             (size_t)n, &dup);
    if (st == EM_OK && dup) st = io_fail(s, "the metadata key '%.*s' appears twice", SHOW(key_len, key));
    if (st != EM_OK || dup) {
        em_array_release(a);
        free(str);
        if (strs)
            for (uint64_t i = 0; i < n; i++) free(strs[i]);
        free(strs);
        free(lens);
    }
    return st;
}

typedef struct {
    char *name;
    uint64_t name_len;
    uint32_t type;
    int ndim;
    int64_t shape[EM_MAX_NDIM];   /* MLX's order: GGUF's dims reversed */
    uint64_t offset, nbytes;
} gtensor;

static int by_offset(const void *a, const void *b) {
    const gtensor *x = *(const gtensor *const *)a, *y = *(const gtensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static em_status read_tensor_info(io_cur *c, gtensor *t, uint32_t alignment) {
    const io_src *s = c->s;
    em_status st = read_string(c, &t->name, &t->name_len, "a tensor name");
    if (st != EM_OK) return st;
    uint32_t nd;
    if ((st = io_cur_u32(c, &nd, "a tensor's dimension count")) != EM_OK) return st;
    if (nd > EM_MAX_NDIM)
        return io_fail(s, "tensor '%.*s' has %u dimensions, more than %d", SHOW(t->name_len, t->name),
                       nd, EM_MAX_NDIM);
    t->ndim = (int)nd;
    for (uint32_t i = 0; i < nd; i++) {
        uint64_t d;
        if ((st = io_cur_u64(c, &d, "a tensor dimension")) != EM_OK) return st;
        if (d > INT64_MAX)
            return io_fail(s, "tensor '%.*s' has the dimension %llu, which is too large",
                           SHOW(t->name_len, t->name), (unsigned long long)d);
        t->shape[nd - 1 - i] = (int64_t)d;
    }
    if ((st = io_cur_u32(c, &t->type, "a tensor type")) != EM_OK) return st;
    if ((st = io_cur_u64(c, &t->offset, "a tensor offset")) != EM_OK) return st;
    if (t->type >= NTYPES || !types[t->type].name)
        return io_fail(s, "tensor '%.*s' has the unknown type %u", SHOW(t->name_len, t->name),
                       t->type);
    const ggml_type *ty = &types[t->type];
    int64_t inner = nd ? t->shape[nd - 1] : 1;
    if (inner % ty->block)
        return io_fail(s, "tensor '%.*s' of type %s has %lld values per row, not a multiple of its "
                          "block size %u", SHOW(t->name_len, t->name), ty->name, (long long)inner,
                       ty->block);
    int64_t rows = 1, nb;
    if (io_nbytes(EM_FLOAT64, t->shape, t->ndim) < 0)
        return io_fail(s, "the shape of tensor '%.*s' overflows", SHOW(t->name_len, t->name));
    for (int i = 0; i + 1 < t->ndim; i++)
        if (__builtin_mul_overflow(rows, t->shape[i], &rows))
            return io_fail(s, "the shape of tensor '%.*s' overflows", SHOW(t->name_len, t->name));
    if (__builtin_mul_overflow(inner / ty->block, (int64_t)ty->size, &nb) ||
        __builtin_mul_overflow(nb, rows, &nb))
        return io_fail(s, "the size of tensor '%.*s' overflows", SHOW(t->name_len, t->name));
    t->nbytes = (uint64_t)nb;
    if (t->offset % alignment)
        return io_fail(s, "tensor '%.*s' has the offset %llu, not a multiple of the alignment %u",
                       SHOW(t->name_len, t->name), (unsigned long long)t->offset, alignment);
    return EM_OK;
}

/* Adds name (or its prefix without ".weight", plus suffix) -> a. */
static em_status put_tensor(const io_src *s, em_map *out, const gtensor *t, const char *suffix,
                            em_array *a) {
    size_t n = (size_t)t->name_len, sl = suffix ? strlen(suffix) : 0;
    char buf[512], *key = buf;
    if (suffix && n >= 7 && memcmp(t->name + n - 7, ".weight", 7) == 0) n -= 7;
    if (n + sl + 1 > sizeof buf && !(key = malloc(n + sl + 1))) {
        em_array_release(a);
        return error_status(EM_ERR_MEMORY, "[load_gguf] Out of memory.");
    }
    memcpy(key, t->name, n);
    if (sl) memcpy(key + n, suffix, sl);
    bool dup;
    em_status st = io_map_put(out, key, n + sl, a, &dup);
    if (st != EM_OK || dup) em_array_release(a);
    if (st == EM_OK && dup)
        st = io_fail(s, "two tensors are named '%.*s'%s", SHOW(n + sl, key),
                     suffix ? " (quantized tensors add .scales and .biases)" : "");
    if (key != buf) free(key);
    return st;
}

static em_status load_tensor(const io_src *s, em_map *out, const gtensor *t, uint64_t data) {
    const ggml_type *ty = &types[t->type];
    if (ty->how == LOAD_NATIVE) {
        em_array *a = io_array(s, data + t->offset, ty->dt, t->shape, t->ndim, 0);
        return a ? put_tensor(s, out, t, NULL, a) : em_error_code();
    }
    if (ty->how == LOAD_NO)
        return io_fail(s, "tensor '%.*s' has the type %s, which ember does not load (it loads F32, "
                          "F16, BF16, F64, I8, I16, I32, I64; Q4_0, Q4_1 and Q8_0 as MLX's "
                          "quantized weights, scales and biases; Q2_K, Q4_K and Q6_K as float16)",
                       SHOW(t->name_len, t->name), ty->name);
    if (t->ndim == 0)
        return io_fail(s, "quantized tensor '%.*s' has no dimensions", SHOW(t->name_len, t->name));
    /* the blocks, in memory */
    const uint8_t *blocks;
    uint8_t *tmp = NULL;
    if (s->base) {
        blocks = s->base + data + t->offset;
    } else {
        tmp = malloc(t->nbytes ? (size_t)t->nbytes : 1);
        if (!tmp) return error_status(EM_ERR_MEMORY, "[load_gguf] Out of memory.");
        em_status st = io_read(s, data + t->offset, tmp, (size_t)t->nbytes, "tensor data");
        if (st != EM_OK) {
            free(tmp);
            return st;
        }
        blocks = tmp;
    }
    size_t nblocks = (size_t)(t->nbytes / ty->size);
    em_status st = EM_OK;
    if (ty->how == LOAD_F16) {
        em_array *a = io_array_empty(EM_FLOAT16, t->shape, t->ndim);
        if (!a) st = em_error_code();
        else {
            gguf_dequant_f16((gguf_qtype)t->type, blocks, nblocks, io_array_bytes(a));
            st = put_tensor(s, out, t, NULL, a);
        }
    } else {
        int64_t ws[EM_MAX_NDIM], ss[EM_MAX_NDIM];
        int64_t inner = t->shape[t->ndim - 1];
        memcpy(ws, t->shape, (size_t)t->ndim * sizeof *ws);
        memcpy(ss, t->shape, (size_t)t->ndim * sizeof *ss);
        ws[t->ndim - 1] = inner / (t->type == GGUF_Q8_0 ? 4 : 8);
        ss[t->ndim - 1] = inner / 32;
        em_array *w = io_array_empty(EM_UINT32, ws, t->ndim);
        em_array *sc = w ? io_array_empty(EM_FLOAT16, ss, t->ndim) : NULL;
        em_array *bi = sc ? io_array_empty(EM_FLOAT16, ss, t->ndim) : NULL;
        if (!bi) {
            em_array_release(w);
            em_array_release(sc);
            st = em_error_code();
        } else {
            gguf_to_mlx_quant((gguf_qtype)t->type, blocks, nblocks, io_array_bytes(w),
                              io_array_bytes(sc), io_array_bytes(bi));
            st = put_tensor(s, out, t, NULL, w);
            if (st == EM_OK) st = put_tensor(s, out, t, ".scales", sc);
            else em_array_release(sc);
            if (st == EM_OK) st = put_tensor(s, out, t, ".biases", bi);
            else em_array_release(bi);
        }
    }
    free(tmp);
    return st;
}

em_status io_load_gguf(const io_src *s, em_map *out) {
    io_cur c;
    io_cur_init(&c, s, 0);
    em_status st = EM_OK;
    gtensor *ts = NULL, **order = NULL;
    uint64_t nt = 0, nkv = 0;
    uint32_t version, alignment = 32;
    const uint8_t *magic = io_cur_take(&c, 4, "the magic bytes");
    if (!magic) goto fail;
    if (memcmp(magic, "GGUF", 4) != 0) {
        st = io_fail(s, "not a GGUF file (it does not start with \"GGUF\")");
        goto done;
    }
    if ((st = io_cur_u32(&c, &version, "the version")) != EM_OK) goto done;
    if (version != 2 && version != 3) {
        if (version == 1) st = io_fail(s, "GGUF version 1 is not supported (versions 2 and 3 are)");
        else if ((version & 0xFFFF) == 0)
            st = io_fail(s, "big-endian GGUF files are not supported");
        else st = io_fail(s, "unsupported GGUF version %u (2 and 3 are)", version);
        goto done;
    }
    if ((st = io_cur_u64(&c, &nt, "the tensor count")) != EM_OK) goto done;
    if ((st = io_cur_u64(&c, &nkv, "the metadata count")) != EM_OK) goto done;
    /* every metadata entry takes at least 13 bytes, every tensor info 24 */
    if (nkv > io_cur_left(&c) / 13) {
        st = io_fail(s, "the metadata count %llu cannot fit in the file's %llu remaining bytes",
                     (unsigned long long)nkv, (unsigned long long)io_cur_left(&c));
        goto done;
    }
    if (nt > io_cur_left(&c) / 24) {
        st = io_fail(s, "the tensor count %llu cannot fit in the file's %llu remaining bytes",
                     (unsigned long long)nt, (unsigned long long)io_cur_left(&c));
        goto done;
    }
    for (uint64_t i = 0; i < nkv && st == EM_OK; i++) {
        char *key;
        uint64_t klen;
        uint32_t type;
        if ((st = read_string(&c, &key, &klen, "a metadata key")) != EM_OK) break;
        st = io_cur_u32(&c, &type, "a metadata value type");
        if (st == EM_OK) st = read_value(&c, out, key, klen, type, &alignment);
        free(key);
    }
    if (st != EM_OK) goto done;
    if (nt > io_cur_left(&c) / 24) {
        st = io_fail(s, "the tensor count %llu cannot fit in the file's %llu remaining bytes",
                     (unsigned long long)nt, (unsigned long long)io_cur_left(&c));
        goto done;
    }
    ts = calloc((size_t)(nt ? nt : 1), sizeof *ts);
    order = calloc((size_t)(nt ? nt : 1), sizeof *order);
    if (!ts || !order) {
        st = error_status(EM_ERR_MEMORY, "[load_gguf] Out of memory.");
        goto done;
    }
    for (uint64_t i = 0; i < nt && st == EM_OK; i++) {
        st = read_tensor_info(&c, &ts[i], alignment);
        order[i] = &ts[i];
    }
    if (st != EM_OK) goto done;
    /* the data section starts at the next multiple of the alignment */
    uint64_t data = c.pos + (alignment - c.pos % alignment) % alignment;
    if (nt && data > s->size) {
        st = io_fail(s, "the file ends before its tensor data starts (at byte %llu)",
                     (unsigned long long)data);
        goto done;
    }
    uint64_t avail = nt ? s->size - data : 0;
    qsort(order, (size_t)nt, sizeof *order, by_offset);
    for (uint64_t i = 0; i < nt; i++) {
        gtensor *t = order[i];
        if (t->offset > avail || t->nbytes > avail - t->offset) {
            st = io_fail(s, "tensor '%.*s' (%llu bytes at offset %llu) runs past the end of the "
                            "data section (%llu bytes)", SHOW(t->name_len, t->name),
                         (unsigned long long)t->nbytes, (unsigned long long)t->offset,
                         (unsigned long long)avail);
            goto done;
        }
        if (i && t->offset < order[i - 1]->offset + order[i - 1]->nbytes) {
            st = io_fail(s, "tensors '%.*s' and '%.*s' overlap", SHOW(order[i - 1]->name_len,
                         order[i - 1]->name), SHOW(t->name_len, t->name));
            goto done;
        }
    }
    for (uint64_t i = 0; i < nt && st == EM_OK; i++) st = load_tensor(s, out, &ts[i], data);
    goto done;
fail:
    st = em_error_code();
done:
    if (ts)
        for (uint64_t i = 0; i < nt; i++) free(ts[i].name);
    free(ts);
    free(order);
    io_cur_free(&c);
    return st;
}

/* ---------------------------------------------------------------- save */

static int gv_of(em_dtype dt) {
    for (int t = 0; t < GV_COUNT; t++)
        if (gv_dtype[t] == (int)dt) return t;
    return -1;
}

static int ggml_of(em_dtype dt) {
    for (size_t t = 0; t < NTYPES; t++)
        if (types[t].how == LOAD_NATIVE && types[t].dt == dt) return (int)t;
    return -1;
}

/* The alignment the metadata asks for (general.alignment, a uint32 scalar
 * power of two), 32 without it, or 0 with an error when it is invalid. */
static uint32_t save_alignment(const em_map *m) {
    for (size_t i = 0; i < em_map_meta_size(m); i++) {
        const io_entry *e = io_map_meta_entry(m, i);
        if (e->key_len != 17 || memcmp(e->key, "general.alignment", 17) != 0) continue;
        int64_t v = 0;
        if (e->kind != EM_META_ARRAY || e->arr->ndim != 0 || e->arr->dtype != EM_UINT32 ||
            em_array_item_int(e->arr, &v) != EM_OK || v == 0 || (v & (v - 1))) {
            error_set(EM_ERR_VALUE, "[save_gguf] general.alignment must be a uint32 scalar that is "
                                    "a power of two.");
            return 0;
        }
        return (uint32_t)v;
    }
    return 32;
}

/* Checks what io_save_gguf needs, before any byte is written. */
em_status io_check_gguf(const em_map *m) {
    if (!save_alignment(m)) return em_error_code();
    for (size_t i = 0; i < em_map_size(m); i++) {
        em_array *a = io_map_array_entry(m, i)->arr;
        if (ggml_of(a->dtype) < 0)
            return error_status(EM_ERR_RUNTIME, "[save_gguf] dtype %s is not supported",
                                em_dtype_name(a->dtype));
    }
    for (size_t i = 0; i < em_map_meta_size(m); i++) {
        const io_entry *e = io_map_meta_entry(m, i);
        if (e->kind != EM_META_ARRAY) continue;
        if (e->arr->ndim > 1)
            return error_status(EM_ERR_VALUE,
                                "[save_gguf] Cannot save arrays with more than one dimension.");
        if (gv_of(e->arr->dtype) < 0)
            return error_status(EM_ERR_VALUE, "[save_gguf] array type %s not support for metadata.",
                                em_dtype_name(e->arr->dtype));
    }
    return EM_OK;
}

static em_status put_u32(io_sink *k, uint32_t v) {
    uint8_t b[4];
    io_put32(b, v);
    return io_put(k, b, 4);
}
static em_status put_u64(io_sink *k, uint64_t v) {
    uint8_t b[8];
    io_put64(b, v);
    return io_put(k, b, 8);
}
static em_status put_str(io_sink *k, const char *s, size_t n) {
    em_status st = put_u64(k, n);
    return st == EM_OK ? io_put(k, s, n) : st;
}

em_status io_save_gguf(io_sink *k, const em_map *m) {
    size_t n = em_map_size(m), nm = em_map_meta_size(m);
    const uint64_t align = save_alignment(m);
    if (!align) return em_error_code();
    em_status st = io_put(k, "GGUF", 4);
    if (st == EM_OK) st = put_u32(k, 3);
    if (st == EM_OK) st = put_u64(k, n);
    if (st == EM_OK) st = put_u64(k, nm);
    for (size_t i = 0; i < nm && st == EM_OK; i++) {
        const io_entry *e = io_map_meta_entry(m, i);
        st = put_str(k, e->key, e->key_len);
        if (st != EM_OK) break;
        if (e->kind == EM_META_STRING) {
            st = put_u32(k, GV_STRING);
            if (st == EM_OK) st = put_str(k, e->str, e->str_len);
        } else if (e->kind == EM_META_STRINGS) {
            st = put_u32(k, GV_ARRAY);
            if (st == EM_OK) st = put_u32(k, GV_STRING);
            if (st == EM_OK) st = put_u64(k, e->nstrs);
            for (size_t j = 0; j < e->nstrs && st == EM_OK; j++) st = put_str(k, e->strs[j], e->strs_len[j]);
        } else {
            uint32_t t = (uint32_t)gv_of(e->arr->dtype);
            if (e->arr->ndim == 1) {
                st = put_u32(k, GV_ARRAY);
                if (st == EM_OK) st = put_u32(k, t);
                if (st == EM_OK) st = put_u64(k, (uint64_t)e->arr->size);
            } else {
                st = put_u32(k, t);
            }
            if (st == EM_OK) st = io_put_array(k, e->arr, false, NULL);
        }
    }
    uint64_t off = 0;
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        const io_entry *e = io_map_array_entry(m, i);
        em_array *a = e->arr;
        st = put_str(k, e->key, e->key_len);
        if (st == EM_OK) st = put_u32(k, (uint32_t)a->ndim);
        for (int d = a->ndim - 1; d >= 0 && st == EM_OK; d--) st = put_u64(k, (uint64_t)a->shape[d]);
        if (st == EM_OK) st = put_u32(k, (uint32_t)ggml_of(a->dtype));
        if (st == EM_OK) st = put_u64(k, off);
        uint64_t nb = em_array_nbytes(a);
        off += nb + (align - nb % align) % align;
    }
    if (st == EM_OK) st = io_put_zeros(k, (align - k->written % align) % align);
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        em_array *a = io_map_array_entry(m, i)->arr;
        uint64_t nb = em_array_nbytes(a);
        st = io_put_array(k, a, false, NULL);
        if (st == EM_OK) st = io_put_zeros(k, (align - nb % align) % align);
    }
    return st;
}
