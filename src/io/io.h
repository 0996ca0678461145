/* io.h -- what the files of src/io share: the map's entries, the loaders and
 * savers of each format, and the format dispatch. */
#ifndef EM_IO_IO_H
#define EM_IO_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "ember.h"
#include "reader.h"

/* ---------------------------------------------------------------- map.c */

/* An entry of an em_map: an array, or a metadata value of `kind`. Strings are
 * malloc'd and NUL-terminated, with their byte lengths (they may hold NULs). */
typedef struct io_entry {
    char *key;
    size_t key_len;
    em_meta_kind kind;
    em_array *arr;             /* EM_META_ARRAY (and every array entry) */
    char *str;                 /* EM_META_STRING */
    size_t str_len;
    char **strs;               /* EM_META_STRINGS */
    size_t *strs_len;
    size_t nstrs;
} io_entry;

const io_entry *io_map_array_entry(const em_map *m, size_t i);
const io_entry *io_map_meta_entry(const em_map *m, size_t i);
bool io_map_has(const em_map *m, const char *key, size_t len);
/* Adds array `a` (a reference the map takes) under key. If the key exists,
 * nothing changes, *dup is set and `a` is NOT taken. */
em_status io_map_put(em_map *m, const char *key, size_t len, em_array *a, bool *dup);
/* The same for a metadata value, whose parts (a, str, strs, strs_len) the map
 * takes unless *dup is set or an error is returned. */
em_status io_map_put_meta(em_map *m, const char *key, size_t len, em_meta_kind kind, em_array *a,
                          char *str, size_t str_len, char **strs, size_t *strs_len, size_t n,
                          bool *dup);

/* ---------------------------------------------------------------- loaders */

/* Each fills `out` from source s (arrays, then metadata) or returns an error
 * naming s->name. A failed load may leave entries in `out`; the caller frees
 * the map. */
em_status io_load_npy(const io_src *s, em_array **out);
em_status io_load_npz(const io_src *s, em_map *out);
em_status io_load_safetensors(const io_src *s, em_map *out);
em_status io_load_gguf(const io_src *s, em_map *out);
/* Loads from s in `format` (AUTO: from the magic bytes) into a new map. */
em_map *io_load_source(const io_src *s, em_file_format format);

/* ---------------------------------------------------------------- savers */

/* Each writes every array of m (evaluated by the caller) to k. */
em_status io_save_npy(io_sink *k, em_array *a);
em_status io_save_npz(io_sink *k, const em_map *m, bool compress);
em_status io_save_safetensors(io_sink *k, const em_map *m);
em_status io_save_gguf(io_sink *k, const em_map *m);

/* Checks, before anything is written, what io_save_gguf cannot write. */
em_status io_check_gguf(const em_map *m);

/* The bytes of an .npy header (magic to '\n', NumPy's layout) for an array of
 * dtype/shape, in fortran order or not, written to buf (at least
 * IO_NPY_HEADER_MAX bytes). Returns its length. */
#define IO_NPY_HEADER_MAX 4096
size_t io_npy_header(char *buf, em_dtype dt, const int64_t *shape, int ndim, bool fortran);

/* Writes a's elements (a evaluated): in memory order when a is
 * column-contiguous (not row-contiguous) and allow_fortran, else row-major
 * (copying a non-contiguous a first). *fortran (if given) tells which. */
em_status io_put_array(io_sink *k, em_array *a, bool allow_fortran, bool *fortran);

#endif
