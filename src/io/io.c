/* io.c -- the public file API: format inference, loading from paths, memory
 * blocks and readers, saving to paths and writers (see ember.h "files"). */
#include <stdlib.h>
#include <string.h>

#include "../core/array.h"
#include "../core/error.h"
#include "../core/scope.h"
#include "io.h"

static const char *const load_ops[] = {
    [EM_FORMAT_AUTO] = "load", [EM_FORMAT_NPY] = "load_npy", [EM_FORMAT_NPZ] = "load_npz",
    [EM_FORMAT_SAFETENSORS] = "load_safetensors", [EM_FORMAT_GGUF] = "load_gguf"};
static const char *const save_ops[] = {
    [EM_FORMAT_AUTO] = "save", [EM_FORMAT_NPY] = "save", [EM_FORMAT_NPZ] = "savez",
    [EM_FORMAT_SAFETENSORS] = "save_safetensors", [EM_FORMAT_GGUF] = "save_gguf"};
static const char *const format_names[] = {
    [EM_FORMAT_AUTO] = "auto", [EM_FORMAT_NPY] = "npy", [EM_FORMAT_NPZ] = "npz",
    [EM_FORMAT_SAFETENSORS] = "safetensors", [EM_FORMAT_GGUF] = "gguf"};

static bool valid_format(em_file_format f) {
    return (int)f >= EM_FORMAT_AUTO && (int)f <= EM_FORMAT_GGUF;
}

/* The format a name's extension gives, or AUTO. */
static em_file_format from_extension(const char *path) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!dot || (slash && dot < slash)) return EM_FORMAT_AUTO;
    for (int f = EM_FORMAT_NPY; f <= EM_FORMAT_GGUF; f++)
        if (strcmp(dot + 1, format_names[f]) == 0) return (em_file_format)f;
    return EM_FORMAT_AUTO;
}

/* The format the first bytes of s announce, or AUTO. */
static em_file_format from_magic(const io_src *s) {
    uint8_t b[9] = {0};
    size_t n = s->size < sizeof b ? (size_t)s->size : sizeof b;
    if (io_read(s, 0, b, n, "the magic bytes") != EM_OK) return EM_FORMAT_AUTO;
    if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) return EM_FORMAT_NPY;
    if (n >= 4 && memcmp(b, "GGUF", 4) == 0) return EM_FORMAT_GGUF;
    if (n >= 4 && (memcmp(b, "PK\x03\x04", 4) == 0 || memcmp(b, "PK\x05\x06", 4) == 0))
        return EM_FORMAT_NPZ;
    if (n == 9 && b[8] == '{') return EM_FORMAT_SAFETENSORS;
    return EM_FORMAT_AUTO;
}

em_map *io_load_source(const io_src *src, em_file_format format) {
    io_src s = *src;
    if (format == EM_FORMAT_AUTO) {
        format = from_magic(&s);
        if (error_is_set()) return NULL;
        if (format == EM_FORMAT_AUTO)
            return error_set(EM_ERR_IO, "[load] Cannot load '%s': the file is not .npy, .npz, "
                                        ".safetensors or .gguf (unknown magic bytes).",
                             s.name ? s.name : "<memory>");
    }
    s.op = load_ops[format];
    em_map *m = em_map_new();
    if (!m) return NULL;
    em_status st;
    switch (format) {
    case EM_FORMAT_NPY: {
        em_array *a = NULL;
        bool dup;
        st = io_load_npy(&s, &a);
        if (st == EM_OK && (st = io_map_put(m, "", 0, a, &dup)) != EM_OK) em_array_release(a);
        break;
    }
    case EM_FORMAT_NPZ: st = io_load_npz(&s, m); break;
    case EM_FORMAT_SAFETENSORS: st = io_load_safetensors(&s, m); break;
    default: st = io_load_gguf(&s, m); break;
    }
    if (st != EM_OK) {
        em_map_free(m);
        return NULL;
    }
    return m;
}

static em_status check_format(em_file_format f, const char *op) {
    if (!valid_format(f)) return error_status(EM_ERR_VALUE, "[%s] Unknown file format %d.", op, (int)f);
    return EM_OK;
}

EM_API em_map *em_load(const char *path, em_file_format format, unsigned flags) {
    if (!path) return error_set(EM_ERR_NULL, "[load] The path is NULL.");
    if (check_format(format, "load") != EM_OK) return NULL;
    if (format == EM_FORMAT_AUTO) format = from_extension(path);
    if (format == EM_FORMAT_AUTO)
        return error_set(EM_ERR_VALUE, "[load] Could not infer file format from extension");
    io_src s;
    if (io_src_open(&s, path, load_ops[format], flags) != EM_OK) return NULL;
    em_map *m = io_load_source(&s, format);
    io_src_close(&s);
    return m;
}

EM_API em_map *em_load_memory(const void *data, size_t n, em_file_format format, const char *name,
                              unsigned flags) {
    if (!data && n) return error_set(EM_ERR_NULL, "[load] The data pointer is NULL.");
    if (check_format(format, "load") != EM_OK) return NULL;
    static const uint8_t empty[1];
    io_src s = {.name = name ? name : "<memory>", .size = n, .base = data ? data : empty,
                .flags = flags};
    return io_load_source(&s, format);
}

EM_API em_map *em_load_reader(const em_reader *r, em_file_format format, const char *name,
                              unsigned flags) {
    if (!r || !r->read_at) return error_set(EM_ERR_NULL, "[load] The reader is NULL.");
    if (check_format(format, "load") != EM_OK) return NULL;
    io_src s = {.name = name ? name : "<reader>", .size = r->size, .rd = r, .flags = flags};
    return io_load_source(&s, format);
}

EM_PUBLIC_OP(em_load_npy, (const char *path), (path)) {
    em_map *m = em_load(path, EM_FORMAT_NPY, 0);
    if (!m) return NULL;
    em_array *a = em_map_at(m, 0);
    em_map_free(m);
    return a;
}

/* ---------------------------------------------------------------- save */

/* What every saver needs, checked before a byte is written, then the arrays
 * evaluated. */
static em_status prepare(em_file_format f, const em_map *m, const char *op) {
    if (!m) return error_status(EM_ERR_NULL, "[%s] The map is NULL.", op);
    size_t n = em_map_size(m), nm = em_map_meta_size(m);
    if ((f == EM_FORMAT_NPY || f == EM_FORMAT_NPZ) && nm)
        return error_status(EM_ERR_VALUE, "[%s] metadata not supported for format %s", op,
                            format_names[f]);
    if (f == EM_FORMAT_NPY && n != 1)
        return error_status(EM_ERR_VALUE, "[%s] An .npy file holds exactly one array, not %zu.", op, n);
    if (f == EM_FORMAT_NPZ)
        for (size_t i = 0; i < n; i++)
            if (io_map_array_entry(m, i)->key_len > 65535 - 4)
                return error_status(EM_ERR_VALUE, "[%s] The name of array %zu is too long for a zip "
                                                  "member.", op, i);
    if (f == EM_FORMAT_SAFETENSORS)
        for (size_t i = 0; i < nm; i++)
            if (io_map_meta_entry(m, i)->kind != EM_META_STRING)
                return error_status(EM_ERR_VALUE, "[%s] Metadata must be a dictionary with string "
                                                  "keys and values", op);
    if (f == EM_FORMAT_GGUF) {
        em_status st = io_check_gguf(m);
        if (st != EM_OK) return st;
    }
    em_array **all = malloc((n + nm + 1) * sizeof *all);
    if (!all) return error_status(EM_ERR_MEMORY, "[%s] Out of memory.", op);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) all[k++] = io_map_array_entry(m, i)->arr;
    for (size_t i = 0; i < nm; i++)
        if (io_map_meta_entry(m, i)->kind == EM_META_ARRAY) all[k++] = io_map_meta_entry(m, i)->arr;
    em_status st = k ? em_eval(all, k) : EM_OK;
    free(all);
    return st;
}

static em_status save_to(io_sink *k, em_file_format f, const em_map *m, unsigned flags) {
    switch (f) {
    case EM_FORMAT_NPY: return io_save_npy(k, io_map_array_entry(m, 0)->arr);
    case EM_FORMAT_NPZ: return io_save_npz(k, m, flags & EM_IO_COMPRESS);
    case EM_FORMAT_SAFETENSORS: return io_save_safetensors(k, m);
    default: return io_save_gguf(k, m);
    }
}

EM_API em_status em_save(const char *path, em_file_format format, const em_map *arrays,
                         unsigned flags) {
    if (!path) return error_status(EM_ERR_NULL, "[save] The path is NULL.");
    em_status st = check_format(format, "save");
    if (st != EM_OK) return st;
    if (format == EM_FORMAT_AUTO) format = from_extension(path);
    if (format == EM_FORMAT_AUTO)
        return error_status(EM_ERR_VALUE, "[save] Could not infer file format from extension");
    const char *op = save_ops[format];
    if ((st = prepare(format, arrays, op)) != EM_OK) return st;
    em_writer w;
    io_file *f = io_file_create(path, op, &w);
    if (!f) return em_error_code();
    io_sink k = {&w, path, op, 0};
    st = save_to(&k, format, arrays, flags);
    em_status fin = io_file_finish(f, st == EM_OK);
    return st != EM_OK ? st : fin;
}

EM_API em_status em_save_writer(const em_writer *w, em_file_format format, const em_map *arrays,
                                const char *name, unsigned flags) {
    if (!w || !w->write) return error_status(EM_ERR_NULL, "[save] The writer is NULL.");
    em_status st = check_format(format, "save");
    if (st != EM_OK) return st;
    if (format == EM_FORMAT_AUTO) format = from_extension(name);
    if (format == EM_FORMAT_AUTO)
        return error_status(EM_ERR_VALUE, "[save] Could not infer file format from extension");
    const char *op = save_ops[format];
    if ((st = prepare(format, arrays, op)) != EM_OK) return st;
    io_sink k = {w, name ? name : "<writer>", op, 0};
    return save_to(&k, format, arrays, flags);
}

EM_API em_status em_save_npy(const char *path, const em_array *a) {
    if (!a) return error_null_arg("save"), em_error_code();
    em_map *m = em_map_new();
    if (!m) return em_error_code();
    em_status st = em_map_set(m, "", a);
    if (st == EM_OK) st = em_save(path, EM_FORMAT_NPY, m, 0);
    em_map_free(m);
    return st;
}
