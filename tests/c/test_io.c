/* test_io.c -- files: round trips of every dtype and layout through .npy,
 * .npz (stored and deflated), .safetensors and .gguf by path, memory block,
 * reader and writer; shared (mapped) loads and overwriting a mapped file;
 * NumPy's exact header bytes; the em_map API; and the table of malformed
 * files, each of which must give EM_ERR_IO with a message naming the file and
 * the problem, whichever way it is read. */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* ---------------------------------------------------------------- buffers */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf;

static void b_put(buf *b, const void *src, size_t n) {
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n) cap *= 2;
        b->p = realloc(b->p, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void b_u8(buf *b, uint8_t v) { b_put(b, &v, 1); }
static void b_u16(buf *b, uint16_t v) { b_put(b, (uint8_t[]){(uint8_t)v, (uint8_t)(v >> 8)}, 2); }
static void b_u32(buf *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b_u8(b, (uint8_t)(v >> (8 * i)));
}
static void b_u64(buf *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b_u8(b, (uint8_t)(v >> (8 * i)));
}
static void b_str(buf *b, const char *s) { b_put(b, s, strlen(s)); }
static void b_zeros(buf *b, size_t n) {
    for (size_t i = 0; i < n; i++) b_u8(b, 0);
}
static void b_free(buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

static em_status buf_write(void *ctx, const void *src, size_t n) {
    b_put(ctx, src, n);
    return EM_OK;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} span;

static em_status span_read(void *ctx, uint64_t off, void *dst, size_t n) {
    span *s = ctx;
    if (off > s->n || n > s->n - off) return em_error_set(EM_ERR_IO, "test reader: out of range");
    memcpy(dst, s->p + off, n);
    return EM_OK;
}

static char dir[256];

static const char *tmp_path(const char *name) {
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (n) fwrite(p, 1, n, f);
    fclose(f);
}

/* ---------------------------------------------------------------- samples */

/* Values exact in every dtype: (i % 50) - 10 for signed and floats (+ .5
 * for floats), i % 100 for unsigned, i % 2 for bool. */
static double sample_value(em_dtype dt, int64_t i) {
    switch (em_dtype_kind_of(dt)) {
    case EM_KIND_BOOL: return (double)(i % 2);
    case EM_KIND_UINT: return (double)(i % 100);
    case EM_KIND_INT: return (double)(i % 50 - 10);
    default: return (double)(i % 50 - 10) + 0.5;
    }
}

static em_array *sample(em_dtype dt, const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = sample_value(dt, i);
    em_array *d = em_array_from_data(v, shape, ndim, EM_FLOAT64);
    em_array *a = em_astype(d, dt);
    em_array_release(d);
    free(v);
    em_eval1(a);
    return a;
}

/* a and b have the same dtype, shape and values. */
static int same(em_array *a, em_array *b) {
    if (!a || !b || em_array_dtype(a) != em_array_dtype(b)) return 0;
    if (!check_shape(b, em_array_ndim(a), em_array_shape(a))) return 0;
    size_t n = (size_t)em_array_size(a);
    double *va = check_values(a), *vb = check_values(b);
    int ok = va && vb && (n == 0 || memcmp(va, vb, n * sizeof *va) == 0);
    free(va);
    free(vb);
    return ok;
}

static const int64_t shapes[][3] = {{0}, {0}, {5}, {2, 3}, {2, 0, 3}, {3, 1, 2}};
static const int ndims[] = {0, 1, 1, 2, 3, 3};
#define NSHAPES 6

/* ---------------------------------------------------------------- round trips */

/* Saves m in `format` by path and writer, loads it back by path, memory and
 * reader, and checks every array. */
static void round_trip(em_map *m, em_file_format format, unsigned flags, const char *file) {
    const char *path = tmp_path(file);
    CHECK_MSG(em_save(path, format, m, flags) == EM_OK, "%s: %s", file, em_error_message());
    buf b = {0};
    em_writer w = {&b, buf_write};
    CHECK_MSG(em_save_writer(&w, format, m, file, flags) == EM_OK, "%s: %s", file, em_error_message());
    em_error_clear();
    span sp = {b.p, b.n};
    em_reader r = {&sp, b.n, span_read};
    em_map *back[4];
    for (int k = 0; k < 4; k++) {
        back[k] = k == 0 ? em_load(path, format, 0)
                : k == 1 ? em_load(path, format, EM_IO_COPY)
                : k == 2 ? em_load_memory(b.p, b.n, format, file, 0)
                         : em_load_reader(&r, format, file, 0);
        CHECK_MSG(back[k] != NULL, "%s (way %d): %s", file, k, em_error_message());
        em_error_clear();
        if (!back[k]) continue;
        size_t n = format == EM_FORMAT_NPY ? 1 : em_map_size(m);
        CHECK(em_map_size(back[k]) == n);
        for (size_t i = 0; i < n && i < em_map_size(back[k]); i++) {
            em_array *want = em_map_at(m, i), *got = em_map_at(back[k], i);
            size_t kl;
            const char *key = em_map_key(back[k], i, &kl);
            if (format != EM_FORMAT_NPY && format != EM_FORMAT_SAFETENSORS)
                CHECK_MSG(strcmp(key, em_map_key(m, i, NULL)) == 0, "%s: key %s", file, key);
            CHECK_MSG(same(want, got), "%s (way %d): array %zu differs", file, k, i);
            em_array_release(want);
            em_array_release(got);
        }
        em_map_free(back[k]);
    }
    /* the path and writer bytes agree */
    FILE *f = fopen(path, "rb");
    uint8_t *disk = malloc(b.n + 1);
    size_t got = f ? fread(disk, 1, b.n + 1, f) : 0;
    if (f) fclose(f);
    CHECK_MSG(got == b.n && memcmp(disk, b.p, b.n) == 0, "%s: file and writer bytes differ", file);
    free(disk);
    b_free(&b);
}

static void test_round_trips(void) {
    static const em_dtype gguf_ok[] = {EM_FLOAT32, EM_FLOAT16, EM_BFLOAT16, EM_INT8,
                                       EM_INT16, EM_INT32, EM_INT64, EM_FLOAT64};
    for (int dt = 0; dt < EM_NUM_DTYPES; dt++) {
        for (int s = 0; s < NSHAPES; s++) {
            em_array *a = sample((em_dtype)dt, shapes[s], ndims[s]);
            char name[64];
            em_map *one = em_map_new();
            em_map_set(one, "", a);
            snprintf(name, sizeof name, "rt_%d_%d.npy", dt, s);
            round_trip(one, EM_FORMAT_NPY, 0, name);
            em_map_free(one);

            em_map *m = em_map_new();
            em_map_set(m, "x", a);
            em_map_set(m, "second", a);
            snprintf(name, sizeof name, "rt_%d_%d.npz", dt, s);
            round_trip(m, EM_FORMAT_NPZ, 0, name);
            snprintf(name, sizeof name, "rt_%d_%d_c.npz", dt, s);
            round_trip(m, EM_FORMAT_NPZ, EM_IO_COMPRESS, name);
            snprintf(name, sizeof name, "rt_%d_%d.safetensors", dt, s);
            round_trip(m, EM_FORMAT_SAFETENSORS, 0, name);
            for (size_t g = 0; g < sizeof gguf_ok / sizeof *gguf_ok; g++) {
                if ((int)gguf_ok[g] != dt) continue;
                snprintf(name, sizeof name, "rt_%d_%d.gguf", dt, s);
                round_trip(m, EM_FORMAT_GGUF, 0, name);
            }
            em_map_free(m);
            em_array_release(a);
        }
    }
}

/* Views, lazy arrays and Fortran order are written in row-major values; a
 * column-contiguous array is written in Fortran order, as NumPy does. */
static void test_layouts(void) {
    em_array *a = sample(EM_INT32, (int64_t[]){4, 6}, 2);
    em_array *t = em_transpose(a, NULL, 0);                                  /* column-major */
    em_array *s = em_slice(a, (int64_t[]){1, 0}, (int64_t[]){4, 6}, (int64_t[]){2, 3}, 2); /* strided */
    em_array *l = em_add(a, a);                                              /* lazy */
    em_array *row = em_slice(a, (int64_t[]){0, 0}, (int64_t[]){1, 6}, NULL, 2);
    em_array *bc = em_broadcast_to(row, (int64_t[]){3, 6}, 2);               /* stride 0 */
    em_array *arrays[] = {t, s, l, bc};
    for (int i = 0; i < 4; i++) {
        for (int f = EM_FORMAT_NPY; f <= EM_FORMAT_GGUF; f++) {
            em_map *m = em_map_new();
            em_map_set(m, f == EM_FORMAT_NPY ? "" : "v", arrays[i]);
            char name[64];
            snprintf(name, sizeof name, "layout_%d_%d", i, f);
            round_trip(m, (em_file_format)f, 0, name);
            em_map_free(m);
        }
    }
    /* the transposed array is stored in Fortran order and loads as a column-major view */
    CHECK(em_save_npy(tmp_path("t.npy"), t) == EM_OK);
    FILE *fp = fopen(tmp_path("t.npy"), "rb");
    char head[128] = {0};
    CHECK(fread(head, 1, 127, fp) == 127);
    fclose(fp);
    CHECK(strstr(head + 10, "'fortran_order': True, 'shape': (6, 4), }") != NULL);
    em_array *back = em_load_npy(tmp_path("t.npy"));
    CHECK(same(t, back));
    const int64_t *st = em_array_strides(back);
    CHECK(st && st[0] == 1 && st[1] == 6);
    em_array_release(back);
    em_array_release(bc);
    em_array_release(row);
    em_array_release(l);
    em_array_release(s);
    em_array_release(t);
    em_array_release(a);
}

/* NumPy's header bytes, and big-endian and 0-d files. */
static void test_npy_bytes(void) {
    buf b = {0};
    em_writer w = {&b, buf_write};
    em_array *a = sample(EM_FLOAT64, (int64_t[]){3}, 1);
    em_map *m = em_map_new();
    em_map_set(m, "", a);
    CHECK(em_save_writer(&w, EM_FORMAT_NPY, m, "x.npy", 0) == EM_OK);
    static const char want[] = "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (3,), }";
    CHECK(b.n == 128 + 24 && memcmp(b.p, want, sizeof want - 1) == 0 && b.p[127] == '\n');
    for (size_t i = sizeof want - 1; i < 127; i++) CHECK(b.p[i] == ' ');
    em_map_free(m);
    em_array_release(a);
    b_free(&b);

    /* '>i2' is swapped; '|b1' with a 2 becomes true */
    const char hdr[] = "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }";
    b_put(&b, "\x93NUMPY\x01\x00", 8);
    b_u16(&b, (uint16_t)strlen(hdr));
    b_str(&b, hdr);
    b_put(&b, "\x01\x02\xff\xfe", 4);
    em_map *r = em_load_memory(b.p, b.n, EM_FORMAT_AUTO, "be.npy", 0);
    em_array *x = r ? em_map_at(r, 0) : NULL;
    CHECK(x && check_equals(x, (double[]){258, -2}, 2));
    em_array_release(x);
    em_map_free(r);
    b_free(&b);
    const char hb[] = "{'shape': (3, ), 'descr': '|b1', 'fortran_order': False}";
    b_put(&b, "\x93NUMPY\x02\x00", 8);
    b_u32(&b, (uint32_t)strlen(hb));
    b_str(&b, hb);
    b_put(&b, "\x00\x02\x01", 3);
    r = em_load_memory(b.p, b.n, EM_FORMAT_NPY, "b.npy", 0);
    x = r ? em_map_at(r, 0) : NULL;
    CHECK(x && em_array_dtype(x) == EM_BOOL && check_equals(x, (double[]){0, 1, 1}, 3));
    em_array_release(x);
    em_map_free(r);
    b_free(&b);
}

/* Loads from a path share the mapping (no allocator bytes) unless EM_IO_COPY;
 * saving over a mapped file replaces it and the old arrays keep their values. */
static void test_mapping(void) {
    int64_t n = 1 << 18;
    em_array *a = sample(EM_FLOAT32, &n, 1);
    em_map *m = em_map_new();
    em_map_set(m, "w", a);
    const char *path = tmp_path("big.safetensors");
    CHECK(em_save(path, EM_FORMAT_AUTO, m, 0) == EM_OK);
    size_t before = em_get_active_memory();
    em_map *shared = em_load(path, EM_FORMAT_AUTO, 0);
    CHECK(shared && em_get_active_memory() - before < 4096);
    em_map *copied = em_load(path, EM_FORMAT_AUTO, EM_IO_COPY);
    CHECK(copied && em_get_active_memory() - before >= (size_t)n * 4);
    em_array *old = em_map_get(shared, "w");
    em_map_free(shared);
    /* overwrite the mapped file with other values */
    em_array *b = em_negative(a);
    em_map_set(m, "w", b);
    CHECK(em_save(path, EM_FORMAT_AUTO, m, 0) == EM_OK);
    em_map *fresh = em_load(path, EM_FORMAT_AUTO, 0);
    em_array *nw = fresh ? em_map_get(fresh, "w") : NULL;
    CHECK(same(old, a) && same(nw, b));
    /* no temporary file is left behind */
    DIR *d = opendir(dir);
    struct dirent *e;
    int tmps = 0;
    while ((e = readdir(d))) tmps += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    CHECK(tmps == 0);
    em_array_release(nw);
    em_array_release(old);
    em_array_release(b);
    em_array_release(a);
    em_map_free(fresh);
    em_map_free(copied);
    em_map_free(m);
}

/* The em_map API. */
static void test_map(void) {
    em_map *m = em_map_new();
    em_array *a = em_array_from_int(3, EM_INT32), *b = em_array_from_int(4, EM_INT32);
    CHECK(em_map_set(m, "a", a) == EM_OK && em_map_set(m, "b", b) == EM_OK);
    CHECK(em_map_set(m, "a", b) == EM_OK); /* replaced in place */
    CHECK(em_map_size(m) == 2 && strcmp(em_map_key(m, 0, NULL), "a") == 0);
    em_array *g = em_map_get(m, "a");
    CHECK(g == b);
    em_array_release(g);
    CHECK_ERROR(em_map_get(m, "zz"), EM_ERR_VALUE, "No array named 'zz'");
    CHECK_ERROR(em_map_at(m, 2), EM_ERR_INDEX, "out of range");
    CHECK(em_map_key(m, 5, NULL) == NULL);
    const char *list[] = {"x", "yz"};
    CHECK(em_map_set_meta_strings(m, "l", list, 2) == EM_OK);
    CHECK(em_map_set_meta_string(m, "s", "v") == EM_OK);
    CHECK(em_map_set_meta_array(m, "n", a) == EM_OK);
    CHECK(em_map_set_meta_string(m, "l", "now a string") == EM_OK);
    CHECK(em_map_meta_size(m) == 3 && em_map_meta_kind(m, 0) == EM_META_STRING);
    size_t len;
    CHECK(strcmp(em_map_meta_string(m, 0, &len), "now a string") == 0 && len == 12);
    CHECK(em_map_meta_kind(m, 2) == EM_META_ARRAY && em_map_meta_string(m, 2, NULL) == NULL);
    CHECK_ERROR(em_map_meta_array(m, 0), EM_ERR_TYPE, "is not an array");
    em_array *n = em_map_meta_array(m, 2);
    CHECK(n == a);
    em_array_release(n);
    /* many keys: lookups stay right across rehashing */
    for (int i = 0; i < 5000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        em_map_set(m, k, i % 2 ? a : b);
    }
    CHECK(em_map_size(m) == 5002);
    em_array *k77 = em_map_get(m, "k77");
    CHECK(k77 == a);
    em_array_release(k77);
    em_array_release(a);
    em_array_release(b);
    em_map_free(m);
    em_map_free(NULL);
    /* a scope releases what map accessors return */
    m = em_map_new();
    a = em_array_from_int(1, EM_INT8);
    em_map_set(m, "a", a);
    int64_t live = em_live_arrays();
    em_scope_begin();
    em_map_get(m, "a");
    em_map_at(m, 0);
    em_scope_end();
    CHECK(em_live_arrays() == live);
    em_array_release(a);
    em_map_free(m);
}

/* GGUF metadata of every value type survives a round trip; safetensors
 * metadata too; the writers refuse what the formats cannot hold. */
static void test_metadata(void) {
    em_map *m = em_map_new();
    em_array *w = sample(EM_FLOAT32, (int64_t[]){2, 2}, 2);
    em_map_set(m, "w", w);
    static const em_dtype dts[] = {EM_UINT8, EM_INT8, EM_UINT16, EM_INT16, EM_UINT32, EM_INT32,
                                   EM_FLOAT32, EM_BOOL, EM_UINT64, EM_INT64, EM_FLOAT64};
    for (size_t i = 0; i < sizeof dts / sizeof *dts; i++) {
        char k[32];
        snprintf(k, sizeof k, "scalar.%s", em_dtype_name(dts[i]));
        em_array *s = em_array_from_int(1, dts[i]);
        em_map_set_meta_array(m, k, s);
        em_array_release(s);
        snprintf(k, sizeof k, "vector.%s", em_dtype_name(dts[i]));
        em_array *v = sample(dts[i], (int64_t[]){3}, 1);
        em_map_set_meta_array(m, k, v);
        em_array_release(v);
    }
    em_map_set_meta_string(m, "str", "h\xc3\xa9llo");
    const char *list[] = {"a", "", "bc"};
    em_map_set_meta_strings(m, "strs", list, 3);
    em_map_set_meta_strings(m, "empty", NULL, 0);
    buf b = {0};
    em_writer wr = {&b, buf_write};
    CHECK(em_save_writer(&wr, EM_FORMAT_GGUF, m, "m.gguf", 0) == EM_OK);
    em_map *r = em_load_memory(b.p, b.n, EM_FORMAT_GGUF, "m.gguf", 0);
    CHECK_MSG(r && em_map_meta_size(r) == em_map_meta_size(m), "%s", em_error_message());
    for (size_t i = 0; r && i < em_map_meta_size(m); i++) {
        CHECK(strcmp(em_map_meta_key(r, i, NULL), em_map_meta_key(m, i, NULL)) == 0);
        CHECK(em_map_meta_kind(r, i) == em_map_meta_kind(m, i));
        if (em_map_meta_kind(m, i) == EM_META_ARRAY) {
            em_array *x = em_map_meta_array(m, i), *y = em_map_meta_array(r, i);
            CHECK_MSG(same(x, y), "metadata %s", em_map_meta_key(m, i, NULL));
            em_array_release(x);
            em_array_release(y);
        }
    }
    if (r) {
        CHECK(strcmp(em_map_meta_string(r, 22, NULL), "h\xc3\xa9llo") == 0);
        CHECK(em_map_meta_count(r, 23) == 3 && strcmp(em_map_meta_item(r, 23, 2, NULL), "bc") == 0);
        CHECK(em_map_meta_count(r, 24) == 0 && em_map_meta_kind(r, 24) == EM_META_STRINGS);
    }
    em_map_free(r);
    b_free(&b);
    /* safetensors takes strings only; npy/npz none */
    CHECK(em_save_writer(&wr, EM_FORMAT_SAFETENSORS, m, "m", 0) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "[save_safetensors] Metadata must be a dictionary"));
    em_error_clear();
    CHECK(em_save_writer(&wr, EM_FORMAT_NPZ, m, "m", 0) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "[savez] metadata not supported for format npz"));
    em_error_clear();
    em_map_free(m);
    m = em_map_new();
    em_map_set(m, "w", w);
    em_map_set_meta_string(m, "format", "pt");
    em_map_set_meta_string(m, "q\"\n", "\x01");
    CHECK(em_save_writer(&wr, EM_FORMAT_SAFETENSORS, m, "m", 0) == EM_OK);
    CHECK(strstr((char *)b.p + 8, "{\"__metadata__\":{\"format\":\"pt\",\"q\\\"\\n\":\"\\u0001\"},") != NULL);
    r = em_load_memory(b.p, b.n, EM_FORMAT_SAFETENSORS, "m", 0);
    CHECK(r && em_map_meta_size(r) == 2 && strcmp(em_map_meta_string(r, 1, NULL), "\x01") == 0);
    CHECK(r && strcmp(em_map_meta_key(r, 1, NULL), "q\"\n") == 0);
    em_map_free(r);
    b_free(&b);
    /* gguf refusals, with MLX's messages, before writing anything */
    em_array *u = sample(EM_UINT8, (int64_t[]){2}, 1);
    em_map_set(m, "u", u);
    CHECK(em_save(tmp_path("refused.gguf"), EM_FORMAT_GGUF, m, 0) == EM_ERR_RUNTIME);
    CHECK(strstr(em_error_message(), "[save_gguf] dtype uint8 is not supported"));
    em_error_clear();
    CHECK(access(tmp_path("refused.gguf"), F_OK) != 0);
    em_map_free(m);
    m = em_map_new();
    em_map_set_meta_array(m, "m", w);
    CHECK(em_save_writer(&wr, EM_FORMAT_GGUF, m, "m", 0) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "more than one dimension"));
    em_error_clear();
    em_array *h = sample(EM_FLOAT16, (int64_t[]){2}, 1);
    em_map_set_meta_array(m, "m", h);
    CHECK(em_save_writer(&wr, EM_FORMAT_GGUF, m, "m", 0) == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "array type float16 not support for metadata."));
    em_error_clear();
    em_array *al = em_array_from_int(64, EM_UINT32);
    em_map_set_meta_array(m, "general.alignment", al);
    em_map_set(m, "w", w);
    em_map_set_meta_string(m, "m", "ok");
    CHECK(em_save_writer(&wr, EM_FORMAT_GGUF, m, "m", 0) == EM_OK);
    r = em_load_memory(b.p, b.n, EM_FORMAT_GGUF, "m", 0);
    CHECK(r && em_map_size(r) == 1);
    em_map_free(r);
    b_free(&b);
    em_array *bad = em_array_from_int(48, EM_UINT32);
    em_map_set_meta_array(m, "general.alignment", bad);
    CHECK(em_save_writer(&wr, EM_FORMAT_GGUF, m, "m", 0) == EM_ERR_VALUE);
    em_error_clear();
    em_array_release(bad);
    em_array_release(al);
    em_array_release(h);
    em_array_release(u);
    em_array_release(w);
    em_map_free(m);
    b_free(&b);
}

/* Arguments that are wrong whatever the file holds. */
static void test_arguments(void) {
    CHECK(em_load(tmp_path("x.unknown"), EM_FORMAT_AUTO, 0) == NULL && em_error_code() == EM_ERR_VALUE);
    CHECK(strstr(em_error_message(), "Could not infer file format from extension"));
    em_error_clear();
    CHECK(em_load(tmp_path("missing.npy"), EM_FORMAT_AUTO, 0) == NULL && em_error_code() == EM_ERR_IO);
    CHECK(strstr(em_error_message(), "[load] Failed to open file") && strstr(em_error_message(), "missing.npy"));
    em_error_clear();
    CHECK(em_load(dir, EM_FORMAT_NPY, 0) == NULL && em_error_code() == EM_ERR_IO);
    em_error_clear();
    CHECK(em_load(NULL, EM_FORMAT_NPY, 0) == NULL && em_error_code() == EM_ERR_NULL);
    em_error_clear();
    CHECK(em_load(tmp_path("x.npy"), (em_file_format)42, 0) == NULL && em_error_code() == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_load_memory("abc", 3, EM_FORMAT_AUTO, "junk", 0) == NULL && em_error_code() == EM_ERR_IO);
    CHECK(strstr(em_error_message(), "'junk'"));
    em_error_clear();
    em_map *m = em_map_new();
    CHECK(em_save(tmp_path("none.npy"), EM_FORMAT_AUTO, m, 0) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_save("/nonexistent-dir/x.npz", EM_FORMAT_AUTO, m, 0) == EM_ERR_IO);
    CHECK(strstr(em_error_message(), "Failed to open file /nonexistent-dir/x.npz"));
    em_error_clear();
    CHECK(em_save(tmp_path("x.bin"), EM_FORMAT_AUTO, m, 0) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_save_npy(tmp_path("n.npy"), NULL) == EM_ERR_NULL);
    em_error_clear();
    /* an empty archive and empty safetensors/gguf files round-trip */
    for (int f = EM_FORMAT_NPZ; f <= EM_FORMAT_GGUF; f++) {
        buf b = {0};
        em_writer w = {&b, buf_write};
        CHECK(em_save_writer(&w, (em_file_format)f, m, "e", 0) == EM_OK);
        em_map *r = em_load_memory(b.p, b.n, (em_file_format)f, "e", 0);
        CHECK(r && em_map_size(r) == 0);
        em_map_free(r);
        b_free(&b);
    }
    em_map_free(m);
}

/* ---------------------------------------------------------------- malformed */

/* Loads bytes as `format` by memory, reader and path: each must fail with
 * EM_ERR_IO and a message holding `want` and the file's name. */
static void expect_bad(const char *label, const buf *b, em_file_format format, const char *want) {
    char name[96];
    snprintf(name, sizeof name, "bad_%s", label);
    for (size_t i = 0; name[i]; i++)
        if (name[i] == ' ' || name[i] == '/') name[i] = '_';
    span sp = {b->p, b->n};
    em_reader r = {&sp, b->n, span_read};
    const char *path = tmp_path(name);
    write_file(path, b->p, b->n);
    for (int way = 0; way < 3; way++) {
        em_error_clear();
        em_map *m = way == 0 ? em_load_memory(b->p, b->n, format, name, 0)
                  : way == 1 ? em_load_reader(&r, format, name, 0)
                             : em_load(path, format, 0);
        const char *msg = em_error_message();
        CHECK_MSG(m == NULL && em_error_code() == EM_ERR_IO && strstr(msg, name) &&
                      (!want || strstr(msg, want)),
                  "%s (way %d): got %s, code %d, \"%s\"", label, way, m ? "a map" : "NULL",
                  (int)em_error_code(), msg);
        em_map_free(m);
    }
    em_error_clear();
    unlink(path);
}

/* Every proper prefix of a valid file shorter than `min_ok` fails cleanly. */
static void expect_prefixes_bad(const char *label, const buf *b, em_file_format format,
                                size_t min_ok) {
    for (size_t n = 0; n < min_ok; n++) {
        em_error_clear();
        em_map *m = em_load_memory(b->p, n, format, label, 0);
        CHECK_MSG(m == NULL && em_error_code() == EM_ERR_IO && strstr(em_error_message(), label),
                  "%s truncated to %zu bytes: code %d \"%s\"", label, n, (int)em_error_code(),
                  em_error_message());
        em_map_free(m);
    }
    em_error_clear();
}

static void npy_file(buf *b, int major, const char *dict, const void *data, size_t n) {
    memset(b, 0, sizeof *b);
    b_put(b, "\x93NUMPY", 6);
    b_u8(b, (uint8_t)major);
    b_u8(b, 0);
    size_t hl = strlen(dict) + 1;
    if (major == 1) b_u16(b, (uint16_t)hl);
    else b_u32(b, (uint32_t)hl);
    b_str(b, dict);
    b_u8(b, '\n');
    b_put(b, data, n);
}

static void test_bad_npy(void) {
    static const uint8_t d24[24] = {0};
    static const struct {
        const char *label, *dict, *want;
    } cases[] = {
        {"npy not a dict", "[1, 2]", "where '{' was expected"},
        {"npy unterminated", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "ends early"},
        {"npy missing shape", "{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"},
        {"npy missing descr", "{'fortran_order': False, 'shape': (2,)}", "no 'descr' key"},
        {"npy repeated key", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
         "repeats the key 'descr'"},
        {"npy unknown key", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
         "unexpected key 'x'"},
        {"npy unicode dtype", "{'descr': '<U3', 'fortran_order': False, 'shape': (2,)}",
         "unsupported dtype '<U3'"},
        {"npy complex128", "{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}",
         "unsupported dtype '<c16'"},
        {"npy object", "{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '|O'"},
        {"npy structured", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}",
         "structured dtypes"},
        {"npy negative dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
         "negative dimension"},
        {"npy int not tuple", "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "not a tuple"},
        {"npy list shape", "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "is a list"},
        {"npy huge dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
         "overflows a 64-bit integer"},
        {"npy shape product overflow",
         "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
         "byte count overflows"},
        {"npy overflow past zero",
         "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296)}",
         "byte count overflows"},
        {"npy data truncated", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}",
         "data is truncated"},
        {"npy huge count", "{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846975,)}",
         "data is truncated"},
        {"npy fortran not bool", "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
         "True or False"},
        {"npy escape", "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}",
         "unsupported character"},
        {"npy leading zero", "{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}", "leading zero"},
        {"npy trailing junk", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x",
         "the end of the header"},
        {"npy non-ascii", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\xff",
         "byte 0xff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        buf b;
        npy_file(&b, 1, cases[i].dict, d24, 24);
        if (strcmp(cases[i].label, "npy data truncated") == 0) b.n -= 1;
        expect_bad(cases[i].label, &b, EM_FORMAT_NPY, cases[i].want);
        b_free(&b);
    }
    /* 65 dimensions */
    char dict[512] = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (int i = 0; i < 65; i++) strcat(dict, "1, ");
    strcat(dict, ")}");
    buf b;
    npy_file(&b, 1, dict, d24, 4);
    expect_bad("npy 65 dims", &b, EM_FORMAT_NPY, "more than 64 dimensions");
    b_free(&b);
    /* preamble problems */
    npy_file(&b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", d24, 8);
    b.p[1] = 'X';
    expect_bad("npy wrong magic", &b, EM_FORMAT_NPY, "not an .npy file");
    b.p[1] = 'N';
    b.p[6] = 4;
    expect_bad("npy version 4", &b, EM_FORMAT_NPY, "unsupported .npy format version 4.0");
    b.p[6] = 1;
    b.p[7] = 1;
    expect_bad("npy version 1.1", &b, EM_FORMAT_NPY, "version 1.1");
    b.p[7] = 0;
    b.p[8] = 0xff;
    expect_bad("npy header past end", &b, EM_FORMAT_NPY, "header length");
    b.p[8] = (uint8_t)(strlen("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}") + 1);
    size_t full = b.n;
    expect_prefixes_bad("npy_prefix", &b, EM_FORMAT_NPY, full);
    b_free(&b);
    npy_file(&b, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", d24, 8);
    b.p[11] = 0x80; /* a 2 GiB header in a tiny file */
    expect_bad("npy v2 huge header", &b, EM_FORMAT_NPY, "runs past the end of the file");
    b_free(&b);
}

/* ---- npz: built by hand so that every field can be broken */

typedef struct {
    const char *name;
    uint16_t method, flags;
    const buf *data;          /* stored bytes (compressed or not) */
    uint32_t crc;
    uint64_t usize;
} zmember;

static void zip_file(buf *b, const zmember *ms, int n, int64_t shift_offset) {
    memset(b, 0, sizeof *b);
    uint64_t offs[8];
    for (int i = 0; i < n; i++) {
        offs[i] = b->n;
        b_u32(b, 0x04034b50);
        b_u16(b, 20);
        b_u16(b, ms[i].flags);
        b_u16(b, ms[i].method);
        b_u16(b, 0);
        b_u16(b, 0x21);
        b_u32(b, ms[i].crc);
        b_u32(b, (uint32_t)ms[i].data->n);
        b_u32(b, (uint32_t)ms[i].usize);
        b_u16(b, (uint16_t)strlen(ms[i].name));
        b_u16(b, 0);
        b_str(b, ms[i].name);
        b_put(b, ms[i].data->p, ms[i].data->n);
    }
    uint64_t cd = b->n;
    for (int i = 0; i < n; i++) {
        b_u32(b, 0x02014b50);
        b_u16(b, 20);
        b_u16(b, 20);
        b_u16(b, ms[i].flags);
        b_u16(b, ms[i].method);
        b_u16(b, 0);
        b_u16(b, 0x21);
        b_u32(b, ms[i].crc);
        b_u32(b, (uint32_t)ms[i].data->n);
        b_u32(b, (uint32_t)ms[i].usize);
        b_u16(b, (uint16_t)strlen(ms[i].name));
        b_u16(b, 0);
        b_u16(b, 0);
        b_u16(b, 0);
        b_u16(b, 0);
        b_u32(b, 0);
        b_u32(b, (uint32_t)((int64_t)offs[i] + (i == n - 1 ? shift_offset : 0)));
        b_str(b, ms[i].name);
    }
    uint64_t cd_size = b->n - cd;
    b_u32(b, 0x06054b50);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, (uint16_t)n);
    b_u16(b, (uint16_t)n);
    b_u32(b, (uint32_t)cd_size);
    b_u32(b, (uint32_t)cd);
    b_u16(b, 0);
}

#include <zlib.h>

/* One stored member with every size and offset in zip64 fields (0xFFFFFFFF
 * in the directory, the values in its extra field) and the zip64 end record
 * and locator, as writers do past 4 GiB. */
static void zip64_file(buf *b, const buf *npy, uint32_t crc, bool with_record) {
    memset(b, 0, sizeof *b);
    b_u32(b, 0x04034b50);
    b_u16(b, 45);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, 0x21);
    b_u32(b, crc);
    b_u32(b, 0xFFFFFFFFu);
    b_u32(b, 0xFFFFFFFFu);
    b_u16(b, 5);
    b_u16(b, 20);
    b_str(b, "z.npy");
    b_u16(b, 1);
    b_u16(b, 16);
    b_u64(b, npy->n);
    b_u64(b, npy->n);
    b_put(b, npy->p, npy->n);
    uint64_t cd = b->n;
    b_u32(b, 0x02014b50);
    b_u16(b, 45 | 3 << 8);
    b_u16(b, 45);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, 0x21);
    b_u32(b, crc);
    b_u32(b, 0xFFFFFFFFu);
    b_u32(b, 0xFFFFFFFFu);
    b_u16(b, 5);
    b_u16(b, 28);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u32(b, 0);
    b_u32(b, 0xFFFFFFFFu);
    b_str(b, "z.npy");
    b_u16(b, 1);
    b_u16(b, 24);
    b_u64(b, npy->n);
    b_u64(b, npy->n);
    b_u64(b, 0);
    uint64_t cd_size = b->n - cd, rec = b->n;
    if (with_record) {
        b_u32(b, 0x06064b50);
        b_u64(b, 44);
        b_u16(b, 45);
        b_u16(b, 45);
        b_u32(b, 0);
        b_u32(b, 0);
        b_u64(b, 1);
        b_u64(b, 1);
        b_u64(b, cd_size);
        b_u64(b, cd);
        b_u32(b, 0x07064b50);
        b_u32(b, 0);
        b_u64(b, rec);
        b_u32(b, 1);
    }
    b_u32(b, 0x06054b50);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u16(b, 0xFFFF);
    b_u16(b, 0xFFFF);
    b_u32(b, 0xFFFFFFFFu);
    b_u32(b, 0xFFFFFFFFu);
    b_u16(b, 0);
}

static void test_bad_npz(void) {
    buf npy;
    static const float vals[2] = {1, 2};
    npy_file(&npy, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", vals, 8);
    uint32_t crc = (uint32_t)crc32(0, npy.p, (uInt)npy.n);
    zmember ok = {"a.npy", 0, 0, &npy, crc, npy.n};
    buf b;
    /* zip64 everywhere reads; without its end record it does not */
    zip64_file(&b, &npy, crc, true);
    em_map *z64 = em_load_memory(b.p, b.n, EM_FORMAT_NPZ, "zip64.npz", 0);
    CHECK_MSG(z64 && em_map_size(z64) == 1 && strcmp(em_map_key(z64, 0, NULL), "z") == 0, "%s",
              em_error_message());
    em_map_free(z64);
    expect_prefixes_bad("npz64_prefix", &b, EM_FORMAT_NPZ, b.n);
    b_free(&b);
    zip64_file(&b, &npy, crc, false);
    expect_bad("npz zip64 no record", &b, EM_FORMAT_NPZ, NULL);
    b_free(&b);
    zip_file(&b, &ok, 1, 0);
    em_map *m = em_load_memory(b.p, b.n, EM_FORMAT_NPZ, "ok.npz", 0);
    CHECK_MSG(m && em_map_size(m) == 1 && strcmp(em_map_key(m, 0, NULL), "a") == 0, "%s",
              em_error_message());
    em_map_free(m);
    expect_prefixes_bad("npz_prefix", &b, EM_FORMAT_NPZ, b.n);
    buf c = b;
    c.p = malloc(b.n);
    memcpy(c.p, b.p, b.n);
    c.p[0] = 'X';
    expect_bad("npz local signature", &c, EM_FORMAT_NPZ, "no local header");
    b_free(&c);
    b_free(&b);

    buf junk = {0};
    b_str(&junk, "this is not a zip file at all, not even close");
    expect_bad("npz not zip", &junk, EM_FORMAT_NPZ, "not a zip file");
    b_free(&junk);

    struct {
        const char *label, *want;
        zmember m;
        int64_t shift;
    } cases[] = {
        {"npz encrypted", "is encrypted", {"a.npy", 0, 1, &npy, crc, npy.n}, 0},
        {"npz bzip2", "compression method 12", {"a.npy", 12, 0, &npy, crc, npy.n}, 0},
        {"npz stored size mismatch", "has sizes", {"a.npy", 0, 0, &npy, crc, npy.n + 1}, 0},
        {"npz offset out of range", "outside the archive", {"a.npy", 0, 0, &npy, crc, npy.n}, 100000},
        {"npz offset shifted", "no local header", {"a.npy", 0, 0, &npy, crc, npy.n}, 3},
        {"npz bad utf8 name", "not valid UTF-8", {"\xc3(.npy", 0, 0x800, &npy, crc, npy.n}, 0},
        {"npz ratio bomb", "more than deflate can produce", {"a.npy", 8, 0, &npy, crc, 1u << 30}, 0},
        {"npz corrupt deflate", "corrupt", {"a.npy", 8, 0, &npy, crc, npy.n}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        zip_file(&b, &cases[i].m, 1, cases[i].shift);
        expect_bad(cases[i].label, &b, EM_FORMAT_NPZ, cases[i].want);
        b_free(&b);
    }
    /* deflated members: truncated, wrong CRC, wrong size, not an .npy inside */
    uLongf cn = compressBound((uLong)npy.n);
    buf z = {0};
    z.p = malloc(cn);
    z_stream zs = {0};
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = npy.p;
    zs.avail_in = (uInt)npy.n;
    zs.next_out = z.p;
    zs.avail_out = (uInt)cn;
    deflate(&zs, Z_FINISH);
    z.n = z.cap = zs.total_out;
    deflateEnd(&zs);
    zmember d = {"a.npy", 8, 0, &z, crc, npy.n};
    zip_file(&b, &d, 1, 0);
    m = em_load_memory(b.p, b.n, EM_FORMAT_NPZ, "deflated.npz", 0);
    CHECK_MSG(m && em_map_size(m) == 1, "%s", em_error_message());
    em_map_free(m);
    b_free(&b);
    d.crc ^= 1;
    zip_file(&b, &d, 1, 0);
    expect_bad("npz crc", &b, EM_FORMAT_NPZ, "fails its CRC check");
    b_free(&b);
    d.crc ^= 1;
    d.usize = npy.n - 1;
    zip_file(&b, &d, 1, 0);
    expect_bad("npz inflates past size", &b, EM_FORMAT_NPZ, "more than its declared");
    b_free(&b);
    d.usize = npy.n + 1;
    zip_file(&b, &d, 1, 0);
    expect_bad("npz inflates short", &b, EM_FORMAT_NPZ, "not its declared");
    b_free(&b);
    d.usize = npy.n;
    z.n -= 3;
    zip_file(&b, &d, 1, 0);
    expect_bad("npz deflate truncated", &b, EM_FORMAT_NPZ, "truncated");
    b_free(&b);
    z.n += 3;
    /* two members: duplicate names, overlap, and a member that is not .npy */
    zmember two[2] = {ok, ok};
    zip_file(&b, two, 2, 0);
    expect_bad("npz duplicate", &b, EM_FORMAT_NPZ, "two members named 'a.npy'");
    b_free(&b);
    two[1].name = "b.npy";
    zip_file(&b, two, 2, -(int64_t)(npy.n + 30 + 5));
    expect_bad("npz overlap", &b, EM_FORMAT_NPZ, "local header of member 'b.npy'");
    b_free(&b);
    buf text = {0};
    b_str(&text, "hello");
    zmember t = {"t.txt", 0, 0, &text, (uint32_t)crc32(0, text.p, (uInt)text.n), text.n};
    zip_file(&b, &t, 1, 0);
    expect_bad("npz member not npy", &b, EM_FORMAT_NPZ, "member 't.txt'");
    b_free(&b);
    b_free(&text);
    /* the end record: counts past the directory, multi-disk, zip64 values without the record */
    zip_file(&b, &ok, 1, 0);
    size_t e = b.n - 22;
    b.p[e + 8] = b.p[e + 10] = 0xff;
    b.p[e + 9] = b.p[e + 11] = 0xff;
    expect_bad("npz huge count", &b, EM_FORMAT_NPZ, "claims 65535 entries");
    b.p[e + 8] = b.p[e + 10] = 1;
    b.p[e + 9] = b.p[e + 11] = 0;
    b.p[e + 4] = 1;
    expect_bad("npz multi-disk", &b, EM_FORMAT_NPZ, "multi-disk");
    b.p[e + 4] = 0;
    memset(b.p + e + 16, 0xff, 4);
    expect_bad("npz directory offset", &b, EM_FORMAT_NPZ, "central directory");
    b_free(&b);
    /* a central size of 0xFFFFFFFF with no zip64 extra */
    ok.usize = 0xFFFFFFFFu;
    zip_file(&b, &ok, 1, 0);
    expect_bad("npz zip64 missing", &b, EM_FORMAT_NPZ, "zip64 extra field");
    b_free(&b);
    b_free(&z);
    b_free(&npy);
}

/* ---- safetensors */

static void st_file(buf *b, const char *json, size_t data) {
    memset(b, 0, sizeof *b);
    b_u64(b, strlen(json));
    b_str(b, json);
    b_zeros(b, data);
}

static void test_bad_safetensors(void) {
    static const struct {
        const char *label, *json;
        size_t data;
        const char *want;
    } cases[] = {
        {"st not object", "[1]", 0, "not a JSON object"},
        {"st empty header", "", 0, "expected a value"},   /* fuzz: a NULL window */
        {"st trailing comma", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", 4,
         "expected a string key"},
        {"st unterminated", "{\"a", 0, "not terminated"},
        {"st bad escape", "{\"a\\q\":1}", 0, "invalid escape"},
        {"st lone surrogate", "{\"\\ud800\":1}", 0, "lone high surrogate"},
        {"st low surrogate", "{\"\\udc00\":1}", 0, "lone low surrogate"},
        {"st control char", "{\"a\tb\":1}", 0, "control character"},
        {"st bad utf8 key", "{\"\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
         "not valid UTF-8"},
        {"st overlong utf8", "{\"\xc0\xaf\":1}", 0, "not valid UTF-8"},
        {"st deep nesting", "{\"__metadata__\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                            "[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0,
         "nested too deeply"},
        {"st duplicate tensor",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
         "repeats the key \"a\""},
        {"st duplicate metadata", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "repeats the key \"k\""},
        {"st metadata not string", "{\"__metadata__\":{\"k\":1}}", 0, "is not a string"},
        {"st metadata not object", "{\"__metadata__\":[]}", 0, "__metadata__ is not an object"},
        {"st missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "lacks its dtype"},
        {"st missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "lacks its data_offsets"},
        {"st unknown dtype", "{\"a\":{\"dtype\":\"F8_E5M2\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
         "unsupported dtype 'F8_E5M2'"},
        {"st negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4,
         "not non-negative integers"},
        {"st float offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4,
         "not non-negative integers"},
        {"st negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
         "non-negative integer"},
        {"st offsets pair", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "not a pair"},
        {"st overlap",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "must start at 8"},
        {"st gap",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "must start at 4"},
        {"st reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
         "must start at 0"},
        {"st size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
         "need 8"},
        {"st shape overflow",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
         "overflows"},
        {"st huge dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}",
         4, "non-negative integer"},
        {"st data past end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
         "cover 16 bytes but the data section has 8"},
        {"st trailing data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
         "cover 4 bytes but the data section has 8"},
        {"st shape not list", "{\"a\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}", 4,
         "is not a list"},
        {"st entry not object", "{\"a\":3}", 0, "is not an object"},
        {"st garbage after", "{} x", 0, "unexpected text"},
        {"st leading zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4,
         "leading zero"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        buf b;
        st_file(&b, cases[i].json, cases[i].data);
        expect_bad(cases[i].label, &b, EM_FORMAT_SAFETENSORS, cases[i].want);
        b_free(&b);
    }
    buf b;
    st_file(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    em_map *m = em_load_memory(b.p, b.n, EM_FORMAT_SAFETENSORS, "ok", 0);
    CHECK(m && em_map_size(m) == 1);
    em_map_free(m);
    expect_prefixes_bad("st_prefix", &b, EM_FORMAT_SAFETENSORS, b.n);
    b.p[7] = 0x80;
    expect_bad("st huge header", &b, EM_FORMAT_SAFETENSORS, "larger than the format's limit");
    b.p[7] = 0;
    b.p[1] = 0x10;
    expect_bad("st header past end", &b, EM_FORMAT_SAFETENSORS, "runs past the end");
    b_free(&b);
    b_u32(&b, 1);
    expect_bad("st short", &b, EM_FORMAT_SAFETENSORS, "too short");
    b_free(&b);
}

/* ---- gguf */

static void g_str(buf *b, const char *s) {
    b_u64(b, strlen(s));
    b_str(b, s);
}

/* A GGUF file: header, then `kv` (already encoded entries, nkv of them), then
 * tensor infos (encoded, nt of them), padded to 32, then `data`. */
static void gguf_file(buf *b, uint32_t version, uint64_t nt, uint64_t nkv, const buf *kv,
                      const buf *ti, size_t data) {
    memset(b, 0, sizeof *b);
    b_str(b, "GGUF");
    b_u32(b, version);
    b_u64(b, nt);
    b_u64(b, nkv);
    if (kv) b_put(b, kv->p, kv->n);
    if (ti) b_put(b, ti->p, ti->n);
    b_zeros(b, (32 - b->n % 32) % 32);
    b_zeros(b, data);
}

static void g_tensor(buf *b, const char *name, int nd, const uint64_t *dims, uint32_t type,
                     uint64_t off) {
    g_str(b, name);
    b_u32(b, (uint32_t)nd);
    for (int i = 0; i < nd; i++) b_u64(b, dims[i]);
    b_u32(b, type);
    b_u64(b, off);
}

static void test_bad_gguf(void) {
    buf b, kv = {0}, ti = {0};
    /* a good file to break: one kv, two tensors */
    g_str(&kv, "k");
    b_u32(&kv, 4);
    b_u32(&kv, 7);
    g_tensor(&ti, "t", 2, (uint64_t[]){3, 2}, 0, 0);
    g_tensor(&ti, "u", 1, (uint64_t[]){4}, 24, 32);
    gguf_file(&b, 3, 2, 1, &kv, &ti, 36);
    em_map *m = em_load_memory(b.p, b.n, EM_FORMAT_GGUF, "ok.gguf", 0);
    CHECK_MSG(m && em_map_size(m) == 2 && em_map_meta_size(m) == 1, "%s", em_error_message());
    if (m) {
        em_array *t = em_map_get(m, "t");
        CHECK(check_shape(t, 2, (int64_t[]){2, 3}));
        em_array_release(t);
    }
    em_map_free(m);
    expect_prefixes_bad("gguf_prefix", &b, EM_FORMAT_GGUF, b.n);
    b.p[0] = 'g';
    expect_bad("gguf magic", &b, EM_FORMAT_GGUF, "not a GGUF file");
    b.p[0] = 'G';
    b.p[4] = 1;
    expect_bad("gguf v1", &b, EM_FORMAT_GGUF, "version 1 is not supported");
    b.p[4] = 0;
    b.p[7] = 3;
    expect_bad("gguf big endian", &b, EM_FORMAT_GGUF, "big-endian");
    b.p[7] = 0;
    b.p[4] = 99;
    expect_bad("gguf v99", &b, EM_FORMAT_GGUF, "unsupported GGUF version 99");
    b.p[4] = 3;
    memset(b.p + 16, 0xff, 7);
    expect_bad("gguf huge kv count", &b, EM_FORMAT_GGUF, "metadata count");
    memset(b.p + 16, 0, 7);
    b.p[16] = 1;
    memset(b.p + 8, 0xff, 8);
    expect_bad("gguf huge tensor count", &b, EM_FORMAT_GGUF, "tensor count");
    b_free(&b);

    /* metadata problems, one entry each */
    static const struct {
        const char *label, *want;
        uint8_t bytes[40];
        size_t n;
    } kvs[] = {
        {"gguf key length huge", "claims", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 8},
        {"gguf key bad utf8", "not valid UTF-8", {2, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x80, 4, 0, 0, 0, 1, 0, 0, 0}, 18},
        {"gguf unknown type", "unknown value type 13", {1, 0, 0, 0, 0, 0, 0, 0, 'k', 13, 0, 0, 0, 0}, 14},
        {"gguf nested array", "array of arrays", {1, 0, 0, 0, 0, 0, 0, 0, 'k', 9, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, 25},
        {"gguf array count huge", "claims", {1, 0, 0, 0, 0, 0, 0, 0, 'k', 9, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40}, 25},
        {"gguf strings count huge", "claims", {1, 0, 0, 0, 0, 0, 0, 0, 'k', 9, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 25},
        {"gguf string value huge", "claims", {1, 0, 0, 0, 0, 0, 0, 0, 'k', 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}, 21},
        {"gguf string value bad utf8", "not valid UTF-8", {1, 0, 0, 0, 0, 0, 0, 0, 'k', 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xfe}, 22},
        {"gguf alignment type", "general.alignment has type uint16",
         {17, 0, 0, 0, 0, 0, 0, 0, 'g', 'e', 'n', 'e', 'r', 'a', 'l', '.', 'a', 'l', 'i', 'g', 'n', 'm', 'e', 'n', 't', 2, 0, 0, 0, 32, 0}, 31},
        {"gguf alignment zero", "not a power of two",
         {17, 0, 0, 0, 0, 0, 0, 0, 'g', 'e', 'n', 'e', 'r', 'a', 'l', '.', 'a', 'l', 'i', 'g', 'n', 'm', 'e', 'n', 't', 4, 0, 0, 0, 0, 0, 0, 0}, 33},
        {"gguf alignment 48", "48, not a power of two",
         {17, 0, 0, 0, 0, 0, 0, 0, 'g', 'e', 'n', 'e', 'r', 'a', 'l', '.', 'a', 'l', 'i', 'g', 'n', 'm', 'e', 'n', 't', 4, 0, 0, 0, 48, 0, 0, 0}, 33},
    };
    for (size_t i = 0; i < sizeof kvs / sizeof *kvs; i++) {
        buf k = {0};
        b_put(&k, kvs[i].bytes, kvs[i].n);
        b_zeros(&k, 16);
        gguf_file(&b, 3, 0, 1, &k, NULL, 0);
        expect_bad(kvs[i].label, &b, EM_FORMAT_GGUF, kvs[i].want);
        b_free(&b);
        b_free(&k);
    }
    buf dup = {0};
    for (int i = 0; i < 2; i++) {
        g_str(&dup, "same");
        b_u32(&dup, 0);
        b_u8(&dup, 1);
    }
    gguf_file(&b, 3, 0, 2, &dup, NULL, 0);
    expect_bad("gguf duplicate key", &b, EM_FORMAT_GGUF, "'same' appears twice");
    b_free(&b);
    b_free(&dup);

    /* tensor info problems */
    static const struct {
        const char *label, *want;
        int nd;
        uint64_t dims[3];
        uint32_t type;
        uint64_t off;
        size_t data;
    } tis[] = {
        {"gguf unknown tensor type", "unknown type 4", 1, {4}, 4, 0, 32},
        {"gguf type past table", "unknown type 1000", 1, {4}, 1000, 0, 32},
        {"gguf block multiple", "not a multiple of its block size 32", 1, {30}, 2, 0, 64},
        {"gguf offset unaligned", "not a multiple of the alignment 32", 1, {4}, 0, 4, 64},
        {"gguf offset past end", "runs past the end", 1, {4}, 0, 64, 32},
        {"gguf offset wraps", "runs past the end", 1, {4}, 0, 0xffffffffffffffe0ull, 32},
        {"gguf dim huge", "too large", 1, {0x8000000000000000ull}, 0, 0, 32},
        {"gguf size overflow", "overflows", 2, {1ull << 40, 1ull << 40}, 0, 0, 32},
        {"gguf overflow past zero", "overflows", 3, {0, 1ull << 40, 1ull << 40}, 0, 0, 32},
        {"gguf unsupported quant", "the type Q5_0, which ember does not load", 1, {32}, 6, 0, 32},
        {"gguf data truncated", "runs past the end", 2, {8, 8}, 0, 0, 200},
    };
    for (size_t i = 0; i < sizeof tis / sizeof *tis; i++) {
        buf t = {0};
        g_tensor(&t, "w", tis[i].nd, tis[i].dims, tis[i].type, tis[i].off);
        gguf_file(&b, 3, 1, 0, NULL, &t, tis[i].data);
        expect_bad(tis[i].label, &b, EM_FORMAT_GGUF, tis[i].want);
        b_free(&b);
        b_free(&t);
    }
    buf t = {0};
    g_str(&t, "w");
    b_u32(&t, 65);
    b_zeros(&t, 65 * 8 + 12);
    gguf_file(&b, 3, 1, 0, NULL, &t, 0);
    expect_bad("gguf 65 dims", &b, EM_FORMAT_GGUF, "65 dimensions");
    b_free(&b);
    b_free(&t);
    /* two tensors: overlapping, duplicate names, and quantized names that collide */
    g_tensor(&t, "a", 1, (uint64_t[]){16}, 0, 0);
    g_tensor(&t, "b", 1, (uint64_t[]){16}, 0, 32);
    gguf_file(&b, 3, 2, 0, NULL, &t, 96);
    expect_bad("gguf overlap", &b, EM_FORMAT_GGUF, "tensors 'a' and 'b' overlap");
    b_free(&b);
    b_free(&t);
    g_tensor(&t, "a", 1, (uint64_t[]){4}, 0, 0);
    g_tensor(&t, "a", 1, (uint64_t[]){4}, 0, 32);
    gguf_file(&b, 3, 2, 0, NULL, &t, 64);
    expect_bad("gguf duplicate tensor", &b, EM_FORMAT_GGUF, "two tensors are named 'a'");
    b_free(&b);
    b_free(&t);
    g_tensor(&t, "x.weight", 1, (uint64_t[]){32}, 8, 0);
    g_tensor(&t, "x.scales", 1, (uint64_t[]){4}, 0, 64);
    gguf_file(&b, 3, 2, 0, NULL, &t, 96);
    expect_bad("gguf quant collision", &b, EM_FORMAT_GGUF, "two tensors are named 'x.scales'");
    b_free(&b);
    b_free(&t);
    b_free(&kv);
    b_free(&ti);
}

/* Every input the fuzzers ever crashed on (fuzz/regressions/<format>/) now
 * loads or fails cleanly. */
static void test_regressions(void) {
    char root[512];
    snprintf(root, sizeof root, "%s", __FILE__);
    char *cut = strstr(root, "tests/c/test_io.c");
    if (!cut) return;
    static const char *const fmts[] = {"npy", "npz", "safetensors", "gguf"};
    int seen = 0;
    for (int f = 0; f < 4; f++) {
        snprintf(cut, sizeof root - (size_t)(cut - root), "fuzz/regressions/%s", fmts[f]);
        DIR *d = opendir(root);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", root, e->d_name);
            FILE *fp = fopen(path, "rb");
            if (!fp) continue;
            buf b = {0};
            uint8_t chunk[4096];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) b_put(&b, chunk, n);
            fclose(fp);
            em_error_clear();
            em_map *m = em_load_memory(b.p, b.n, (em_file_format)(EM_FORMAT_NPY + f), e->d_name, 0);
            CHECK_MSG(m || (em_error_code() != EM_OK && em_error_message()[0]), "%s", path);
            em_map_free(m);
            em_error_clear();
            b_free(&b);
            seen++;
        }
        closedir(d);
    }
    CHECK(seen > 0);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/ember_test_io_%d", (int)getpid());
    mkdir(dir, 0700);
    int64_t live = em_live_arrays();
    test_round_trips();
    test_layouts();
    test_npy_bytes();
    test_mapping();
    test_map();
    test_metadata();
    test_arguments();
    test_bad_npy();
    test_bad_npz();
    test_bad_safetensors();
    test_bad_gguf();
    test_regressions();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    /* clean up the files */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        unlink(tmp_path(e->d_name));
    }
    if (d) closedir(d);
    rmdir(dir);
    CHECK_DONE();
}
