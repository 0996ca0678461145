/* json.c -- the strict JSON parser of json.h. Recursive descent bounded by
 * JSON_MAX_DEPTH; every read is checked against the text's end. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "json.h"

typedef struct {
    json_doc *d;
    const char *p;
    size_t n, i;
    const io_src *s;
} parser;

static em_status fail(parser *ps, const char *what) {
    return io_fail(ps->s, "the JSON header is invalid at byte %zu: %s", ps->i, what);
}

static void ws(parser *ps) {
    while (ps->i < ps->n) {
        char c = ps->p[ps->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        ps->i++;
    }
}

static uint32_t new_node(parser *ps, json_kind k) {
    json_doc *d = ps->d;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        if (cap >= JSON_NONE) return JSON_NONE;
        json_node *nodes = realloc(d->nodes, cap * sizeof *nodes);
        if (!nodes) return JSON_NONE;
        d->nodes = nodes;
        d->cap = cap;
    }
    json_node *nd = &d->nodes[d->n];
    memset(nd, 0, sizeof *nd);
    nd->kind = k;
    nd->next = nd->child = JSON_NONE;
    return (uint32_t)d->n++;
}

static int hex4(const char *p) {
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0) return -1;
        v = v << 4 | h;
    }
    return v;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at p[i] == '"': decoded into d->strs (which has room for the whole
 * text, and decoding never grows a string). */
static em_status string(parser *ps, const char **out, size_t *out_len) {
    ps->i++;
    char *o = ps->d->strs + ps->d->strs_len, *start = o;
    for (;;) {
        if (ps->i >= ps->n) return fail(ps, "a string is not terminated");
        unsigned char c = (unsigned char)ps->p[ps->i];
        if (c == '"') {
            ps->i++;
            break;
        }
        if (c < 0x20) return fail(ps, "a string holds an unescaped control character");
        if (c == '\\') {
            if (ps->n - ps->i < 2) return fail(ps, "a string ends inside an escape");
            char e = ps->p[ps->i + 1];
            const char *map = "\"\\/bfnrt", *rep = "\"\\/\b\f\n\r\t";
            const char *hit = e ? strchr(map, e) : NULL;
            if (hit) {
                *o++ = rep[hit - map];
                ps->i += 2;
                continue;
            }
            if (e != 'u') return fail(ps, "a string has an invalid escape");
            if (ps->n - ps->i < 6) return fail(ps, "a string ends inside a \\u escape");
            int cp = hex4(ps->p + ps->i + 2);
            if (cp < 0) return fail(ps, "a \\u escape has a non-hex digit");
            ps->i += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(ps, "a string has a lone low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (ps->n - ps->i < 6 || ps->p[ps->i] != '\\' || ps->p[ps->i + 1] != 'u')
                    return fail(ps, "a string has a lone high surrogate");
                int lo = hex4(ps->p + ps->i + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) return fail(ps, "a string has a lone high surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                ps->i += 6;
            }
            o += put_utf8(o, (uint32_t)cp);
            continue;
        }
        /* a raw run: copied once validated as a whole UTF-8 sequence */
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (len > ps->n - ps->i || !io_utf8_valid((const uint8_t *)ps->p + ps->i, len))
            return fail(ps, "a string is not valid UTF-8");
        memcpy(o, ps->p + ps->i, len);
        o += len;
        ps->i += len;
    }
    *out = start;
    *out_len = (size_t)(o - start);
    ps->d->strs_len += *out_len;
    return EM_OK;
}

static em_status number(parser *ps, json_node *nd) {
    size_t start = ps->i;
    bool neg = false, integral = true, overflow = false;
    uint64_t v = 0;
    if (ps->p[ps->i] == '-') {
        neg = true;
        ps->i++;
    }
    if (ps->i >= ps->n || ps->p[ps->i] < '0' || ps->p[ps->i] > '9') return fail(ps, "a number has no digits");
    if (ps->p[ps->i] == '0') {
        ps->i++;
        if (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9')
            return fail(ps, "a number has a leading zero");
    } else {
        while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') {
            unsigned dgt = (unsigned)(ps->p[ps->i] - '0');
            if (v > (UINT64_MAX - dgt) / 10) overflow = true;
            else v = v * 10 + dgt;
            ps->i++;
        }
    }
    if (ps->i < ps->n && ps->p[ps->i] == '.') {
        integral = false;
        ps->i++;
        if (ps->i >= ps->n || ps->p[ps->i] < '0' || ps->p[ps->i] > '9')
            return fail(ps, "a number has no digits after '.'");
        while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') ps->i++;
    }
    if (ps->i < ps->n && (ps->p[ps->i] == 'e' || ps->p[ps->i] == 'E')) {
        integral = false;
        ps->i++;
        if (ps->i < ps->n && (ps->p[ps->i] == '+' || ps->p[ps->i] == '-')) ps->i++;
        if (ps->i >= ps->n || ps->p[ps->i] < '0' || ps->p[ps->i] > '9')
            return fail(ps, "a number has no digits in its exponent");
        while (ps->i < ps->n && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') ps->i++;
    }
    (void)start;
    nd->is_uint = !neg && integral && !overflow;
    nd->u = nd->is_uint ? v : 0;
    return EM_OK;
}

static bool literal(parser *ps, const char *w) {
    size_t n = strlen(w);
    if (ps->n - ps->i < n || memcmp(ps->p + ps->i, w, n) != 0) return false;
    ps->i += n;
    return true;
}


typedef struct {
    const char *k;
    size_t n;
} keyref;

static int cmp_keys(const void *a, const void *b) {
    const keyref *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return memcmp(x->k, y->k, x->n);
}

static em_status value(parser *ps, uint32_t *out, int depth);

/* After parsing an object: no key may repeat. */
static em_status unique_keys(parser *ps, uint32_t obj) {
    json_node *o = &ps->d->nodes[obj];
    if (o->count < 2) return EM_OK;
    keyref *ks = malloc(o->count * sizeof *ks);
    if (!ks) return error_status(EM_ERR_MEMORY, "[json] Out of memory.");
    size_t n = 0;
    for (uint32_t c = o->child; c != JSON_NONE; c = ps->d->nodes[c].next)
        ks[n++] = (keyref){ps->d->nodes[c].key, ps->d->nodes[c].key_len};
    qsort(ks, n, sizeof *ks, cmp_keys);
    em_status st = EM_OK;
    for (size_t i = 1; i < n && st == EM_OK; i++)
        if (cmp_keys(&ks[i - 1], &ks[i]) == 0)
            st = io_fail(ps->s, "the JSON header repeats the key \"%.*s\"",
                         (int)(ks[i].n > 64 ? 64 : ks[i].n), ks[i].k);
    free(ks);
    return st;
}

static em_status container(parser *ps, uint32_t self, bool object, int depth) {
    char close = object ? '}' : ']';
    ps->i++;
    ws(ps);
    if (ps->i < ps->n && ps->p[ps->i] == close) {
        ps->i++;
        return EM_OK;
    }
    uint32_t last = JSON_NONE;
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        ws(ps);
        if (object) {
            if (ps->i >= ps->n || ps->p[ps->i] != '"') return fail(ps, "expected a string key");
            em_status st = string(ps, &key, &key_len);
            if (st != EM_OK) return st;
            ws(ps);
            if (ps->i >= ps->n || ps->p[ps->i] != ':') return fail(ps, "expected ':'");
            ps->i++;
        }
        uint32_t v;
        em_status st = value(ps, &v, depth + 1);
        if (st != EM_OK) return st;
        json_node *nodes = ps->d->nodes;
        nodes[v].key = key;
        nodes[v].key_len = key_len;
        if (last == JSON_NONE) nodes[self].child = v;
        else nodes[last].next = v;
        last = v;
        nodes[self].count++;
        ws(ps);
        if (ps->i < ps->n && ps->p[ps->i] == ',') {
            ps->i++;
            continue;
        }
        if (ps->i < ps->n && ps->p[ps->i] == close) {
            ps->i++;
            return object ? unique_keys(ps, self) : EM_OK;
        }
        return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static em_status value(parser *ps, uint32_t *out, int depth) {
    if (depth > JSON_MAX_DEPTH) return fail(ps, "values are nested too deeply");
    ws(ps);
    if (ps->i >= ps->n) return fail(ps, "expected a value");
    char c = ps->p[ps->i];
    json_kind k = c == '{' ? JSON_OBJECT : c == '[' ? JSON_ARRAY : c == '"' ? JSON_STRING
                : c == 't' ? JSON_TRUE : c == 'f' ? JSON_FALSE : c == 'n' ? JSON_NULL : JSON_NUMBER;
    uint32_t self = new_node(ps, k);
    if (self == JSON_NONE) return error_status(EM_ERR_MEMORY, "[json] Out of memory.");
    *out = self;
    switch (k) {
    case JSON_OBJECT: return container(ps, self, true, depth);
    case JSON_ARRAY: return container(ps, self, false, depth);
    case JSON_STRING: {
        const char *s;
        size_t n;
        em_status st = string(ps, &s, &n);
        ps->d->nodes[self].str = s;
        ps->d->nodes[self].str_len = n;
        return st;
    }
    case JSON_TRUE: return literal(ps, "true") ? EM_OK : fail(ps, "expected a value");
    case JSON_FALSE: return literal(ps, "false") ? EM_OK : fail(ps, "expected a value");
    case JSON_NULL: return literal(ps, "null") ? EM_OK : fail(ps, "expected a value");
    default:
        if (c != '-' && (c < '0' || c > '9')) return fail(ps, "expected a value");
        return number(ps, &ps->d->nodes[self]);
    }
}

em_status json_parse(json_doc *d, const char *text, size_t n, const io_src *s) {
    memset(d, 0, sizeof *d);
    d->strs = malloc(n + 1);
    if (!d->strs) return error_status(EM_ERR_MEMORY, "[json] Out of memory.");
    parser ps = {d, text, n, 0, s};
    uint32_t root;
    em_status st = value(&ps, &root, 0);
    if (st != EM_OK) return st;
    ws(&ps);
    if (ps.i != n) return fail(&ps, "unexpected text after the value");
    return EM_OK;
}

void json_free(json_doc *d) {
    free(d->nodes);
    free(d->strs);
    memset(d, 0, sizeof *d);
}
