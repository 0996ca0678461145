/* json.h -- a small strict JSON parser (RFC 8259) for safetensors headers:
 * the whole text must be one value (whitespace around it), strings must be
 * valid UTF-8 with valid escapes (no lone surrogates), objects may not repeat
 * a key, and nesting is limited. The document is a flat array of nodes. */
#ifndef EM_IO_JSON_H
#define EM_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define JSON_NONE UINT32_MAX
#define JSON_MAX_DEPTH 64

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_node {
    json_kind kind;
    uint32_t next;         /* the next sibling in its array/object, or JSON_NONE */
    uint32_t child;        /* the first element/member, or JSON_NONE */
    uint32_t count;        /* elements/members */
    const char *key;       /* object members: the decoded key ... */
    size_t key_len;
    const char *str;       /* strings: the decoded value ... */
    size_t str_len;
    bool is_uint;          /* numbers: a non-negative integer that fits uint64 ... */
    uint64_t u;            /* ... with this value */
} json_node;

typedef struct json_doc {
    json_node *nodes;      /* nodes[0] is the root */
    size_t n, cap;
    char *strs;            /* decoded strings */
    size_t strs_len;
} json_doc;

/* Parses text[0..n). On failure, sets EM_ERR_IO through io_fail(s, ...) naming
 * the byte offset and the problem, and returns it. json_free either way. */
em_status json_parse(json_doc *d, const char *text, size_t n, const io_src *s);
void json_free(json_doc *d);

#endif
