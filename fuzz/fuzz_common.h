/* fuzz_common.h -- the body every fuzz target shares: load the input as one
 * format three ways (a copied memory block, a shared heap block as a memory
 * mapping is shared, a random-access reader through the cursor's window),
 * touch every byte of every loaded array and metadata value, and save what
 * loaded back to memory and reload it. Any crash, sanitizer report, or a
 * failure without an error message is a finding. */
#ifndef EM_FUZZ_COMMON_H
#define EM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "io/io.h"

static volatile uint8_t fuzz_sink;

static void fuzz_touch_array(em_array *a) {
    const uint8_t *p = em_array_data(a);
    if (!p) abort(); /* a loaded array is evaluated */
    size_t n = em_array_nbytes(a);
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++) x ^= p[i];
    fuzz_sink = x;
}

static void fuzz_touch(em_map *m) {
    if (!m) {
        /* a failure always explains itself */
        if (em_error_code() == EM_OK || !em_error_message()[0]) abort();
        em_error_clear();
        return;
    }
    for (size_t i = 0; i < em_map_size(m); i++) {
        em_array *a = em_map_at(m, i);
        size_t kl;
        if (!a || !em_map_key(m, i, &kl)) abort();
        fuzz_touch_array(a);
        em_array_release(a);
    }
    for (size_t i = 0; i < em_map_meta_size(m); i++) {
        size_t n;
        const char *s;
        switch (em_map_meta_kind(m, i)) {
        case EM_META_STRING:
            s = em_map_meta_string(m, i, &n);
            if (!s || s[n] != '\0') abort();
            break;
        case EM_META_ARRAY: {
            em_array *a = em_map_meta_array(m, i);
            if (!a) abort();
            fuzz_touch_array(a);
            em_array_release(a);
            break;
        }
        case EM_META_STRINGS:
            for (size_t j = 0; j < em_map_meta_count(m, i); j++)
                if (!(s = em_map_meta_item(m, i, j, &n)) || s[n] != '\0') abort();
            break;
        }
    }
}

typedef struct {
    const uint8_t *data;
    size_t size;
} fuzz_mem;

static em_status fuzz_read_at(void *ctx, uint64_t off, void *dst, size_t n) {
    fuzz_mem *m = ctx;
    if (off > m->size || n > m->size - off) abort(); /* the loader broke its contract */
    memcpy(dst, m->data + off, n);
    return EM_OK;
}

typedef struct {
    uint8_t *p;
    size_t n, cap;
} fuzz_buf;

static em_status fuzz_write(void *ctx, const void *src, size_t n) {
    fuzz_buf *b = ctx;
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return em_error_set(EM_ERR_MEMORY, "out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return EM_OK;
}

static int fuzz_one(const uint8_t *data, size_t size, em_file_format format) {
    em_error_clear();
    /* 1: a copied memory block */
    em_map *m = em_load_memory(data, size, format, "fuzz", 0);
    fuzz_touch(m);
    /* 2: a shared heap block, as a file mapping is shared */
    uint8_t *heap;
    io_owner *o = io_owner_heap(size, &heap);
    if (o) {
        if (size) memcpy(heap, data, size);
        io_src s = {.name = "fuzz", .size = size, .base = heap, .owner = o};
        em_map *m2 = io_load_source(&s, format);
        io_owner_release(o);
        fuzz_touch(m2);
        em_map_free(m2);
    }
    em_error_clear();
    /* 3: a reader (the cursor's window) */
    fuzz_mem mem = {data, size};
    em_reader r = {&mem, size, fuzz_read_at};
    em_map *m3 = em_load_reader(&r, format, "fuzz", 0);
    fuzz_touch(m3);
    em_map_free(m3);
    /* what loaded saves and loads back */
    if (m) {
        fuzz_buf b = {0};
        em_writer w = {&b, fuzz_write};
        em_file_format f = format;
        if (f == EM_FORMAT_NPY && em_map_size(m) != 1) f = EM_FORMAT_NPZ;
        unsigned flags = size & 1 ? EM_IO_COMPRESS : 0; /* npz: stored or deflated */
        if (em_save_writer(&w, f, m, "fuzz", flags) == EM_OK) {
            em_map *back = em_load_memory(b.p, b.n, f, "fuzz-saved", 0);
            if (!back) abort(); /* ember must read what it writes */
            if (em_map_size(back) != em_map_size(m)) abort();
            fuzz_touch(back);
            em_map_free(back);
        }
        em_error_clear();
        free(b.p);
        em_map_free(m);
    }
    em_error_clear();
    return 0;
}

#endif
