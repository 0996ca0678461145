/* export.c -- function export: traces of a function written to a file (the
 * ".emfn" format below) and read back as a callable that replays them.
 *
 * A trace is recorded as compile records a program (trace.h): the function
 * runs on tracers of example inputs, and the nodes between tracers and
 * outputs become steps (primitive id, parameter bytes, input references,
 * output dtypes and shapes); arrays the function used without deriving them
 * from its inputs are constants, stored with their data. Replaying a trace
 * builds the same nodes over new inputs of the recorded signature.
 *
 * File format (all integers little-endian):
 *   "EMBERFN1"                       8-byte magic and version
 *   u64 payload_size, u64 hash       FNV-1a 64 of the payload
 *   payload:
 *     u32 flags (bit 0: shapeless), str metadata, u32 n_traces, traces
 *   trace:
 *     u32 n_pos, u32 n_kw, n_kw x str keyword name
 *     (n_pos + n_kw) x sig           positional inputs then keywords
 *     u32 n_const, n_const x (sig, u64 nbytes, bytes)   row-major data
 *     u32 n_steps, steps
 *     u32 n_out, n_out x ref
 *   step: u32 prim, u32 params_size, bytes, u32 n_in, n_in x ref,
 *         u32 n_out, n_out x sig
 *   sig:  u32 dtype, u32 ndim, ndim x i64 dim
 *   ref:  u32 kind (0 input, 1 step output, 2 constant), u32 index, u32 out
 *   str:  u32 length, bytes (no terminator)
 * Reading checks the magic, the size and the hash (so a damaged file is an
 * error, never a crash), then every count, dtype, dim, primitive id and
 * reference, and that a reference names something defined before it.
 * Parameter bytes are checked only by size against what the trace recorded:
 * a file forged with a valid hash is trusted like a pickle (see
 * docs/design-notes.md). Primitives carrying user callbacks (custom_function)
 * cannot be exported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "../core/shape.h"
#include "compile.h"
#include "eval.h"
#include "trace.h"

/* ---------------------------------------------------------------- model */

typedef struct xsig {
    em_dtype dtype;
    int ndim;
    int64_t shape[EM_MAX_NDIM];
} xsig;

typedef struct xref { uint32_t kind, index, out; } xref;

typedef struct xstep {
    uint32_t prim, params_size, n_in, n_out;
    unsigned char *params;
    xref *in;
    xsig *out;
} xstep;

typedef struct xtrace {
    uint32_t n_pos, n_kw, n_const, n_steps, n_out;
    char **kw;
    xsig *in;
    xsig *csig;
    em_array **consts;
    xstep *steps;
    xref *outs;
} xtrace;

struct em_export_writer {
    char *path;
    char *metadata;
    bool shapeless, closed;
    xtrace *traces;
    uint32_t n_traces;
};

struct em_imported {
    char *metadata;
    bool shapeless;
    xtrace *traces;
    uint32_t n_traces;
};

static void trace_free(xtrace *t) {
    for (uint32_t i = 0; t->kw && i < t->n_kw; i++) free(t->kw[i]);
    free(t->kw);
    free(t->in);
    free(t->csig);
    for (uint32_t i = 0; t->consts && i < t->n_const; i++) em_array_release(t->consts[i]);
    free(t->consts);
    for (uint32_t s = 0; t->steps && s < t->n_steps; s++) {
        free(t->steps[s].params);
        free(t->steps[s].in);
        free(t->steps[s].out);
    }
    free(t->steps);
    free(t->outs);
    memset(t, 0, sizeof *t);
}

static void sig_of(const em_array *a, xsig *s) {
    s->dtype = a->dtype;
    s->ndim = a->ndim;
    memcpy(s->shape, a->shape, (size_t)a->ndim * sizeof *s->shape);
}

static bool sig_matches(const xsig *s, const em_array *a) {
    return a->dtype == s->dtype && a->ndim == s->ndim &&
           (a->ndim == 0 || !memcmp(a->shape, s->shape, (size_t)a->ndim * sizeof *s->shape));
}

/* A malloc'd copy of s (C11 has no strdup). */
static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *r = malloc(n);
    if (r) memcpy(r, s, n);
    return r;
}

/* ---------------------------------------------------------------- record */

static void *oom(void) { return error_set(EM_ERR_MEMORY, "[export_function] Out of memory."); }

/* Where x comes from: an input or step output (in `where`), else a constant
 * appended to t (its index). */
static em_status resolve(xtrace *t, const em_array *x, trace_map *where, xref *r, uint32_t *cap) {
    trace_entry *e = trace_map_get(where, x);
    if (e) {
        if (e->aux < 0) *r = (xref){0, (uint32_t)(-e->aux - 1), 0};
        else *r = (xref){1, (uint32_t)(e->aux >> 16), (uint32_t)(e->aux & 0xffff)};
        return EM_OK;
    }
    if (t->n_const == *cap) {
        uint32_t nc = *cap ? 2 * *cap : 8;
        em_array **c = realloc(t->consts, nc * sizeof *c);
        if (!c) return oom(), EM_ERR_MEMORY;
        t->consts = c;
        *cap = nc;
    }
    t->consts[t->n_const] = em_array_retain((em_array *)x);
    *r = (xref){2, t->n_const++, 0};
    e = trace_map_put(where, x);
    if (!e) return em_error_code();
    /* later uses find it as "step" -(index)-1 - n_inputs: encode constants apart */
    e->aux = -(int64_t)(1u << 30) - (int64_t)r->index;
    return EM_OK;
}

static em_status resolve_ref(xtrace *t, const em_array *x, trace_map *where, xref *r, uint32_t *cap) {
    trace_entry *e = trace_map_get(where, x);
    if (e && e->aux <= -(int64_t)(1u << 30)) {
        *r = (xref){2, (uint32_t)(-(e->aux + (int64_t)(1u << 30))), 0};
        return EM_OK;
    }
    return resolve(t, x, where, r, cap);
}

static em_status record(xtrace *t, em_closure *f, em_array *const *in, size_t n) {
    em_array **tracers = calloc(n ? n : 1, sizeof *tracers);
    em_array_list *outs = em_array_list_new();
    trace_tape tape = {0};
    trace_map where = {0};
    uint32_t cap = 0;
    em_status st = tracers && outs ? EM_OK : (oom(), EM_ERR_MEMORY);
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        tracers[i] = trace_tracer(in[i]);
        trace_entry *e = tracers[i] ? trace_map_put(&where, tracers[i]) : NULL;
        if (!e) st = em_error_code();
        else e->aux = -(int64_t)i - 1;
    }
    if (st == EM_OK) st = eval_forbid_push(tracers, n);
    if (st == EM_OK) {
        compile_unfused_begin(); /* compiled functions inside: their plain primitives */
        st = trace_call(f, tracers, n, outs);
        compile_unfused_end();
        eval_forbid_pop();
    }
    if (st == EM_OK)
        st = trace_tape_build(tracers, n, em_array_list_data(outs), em_array_list_size(outs), true, &tape);
    if (st == EM_OK && tape.n > 0xffff * 256) st = error_status(EM_ERR_VALUE, "[export_function] The graph is too large.");
    if (st == EM_OK && tape.n && !(t->steps = calloc(tape.n, sizeof *t->steps))) st = (oom(), EM_ERR_MEMORY);
    for (size_t s = 0; s < tape.n && st == EM_OK; s++) {
        const em_node *nd = tape.nodes[s];
        xstep *sp = &t->steps[s];
        t->n_steps = (uint32_t)s + 1;
        if (em_primitives[nd->prim].flags & EM_PF_REFPARAMS) {
            st = error_status(EM_ERR_VALUE, "[export_function] Cannot export a function that uses %s "
                              "(custom_function or checkpoint).", em_primitives[nd->prim].name);
            break;
        }
        sp->prim = (uint32_t)nd->prim;
        sp->params_size = (uint32_t)nd->params_size;
        sp->n_in = (uint32_t)nd->n_in;
        sp->n_out = (uint32_t)nd->n_out;
        sp->params = malloc(nd->params_size ? nd->params_size : 1);
        sp->in = calloc(nd->n_in ? (size_t)nd->n_in : 1, sizeof *sp->in);
        sp->out = calloc((size_t)nd->n_out, sizeof *sp->out);
        if (!sp->params || !sp->in || !sp->out) {
            st = (oom(), EM_ERR_MEMORY);
            break;
        }
        memcpy(sp->params, nd->params, nd->params_size);
        for (int i = 0; i < nd->n_in && st == EM_OK; i++) st = resolve_ref(t, nd->inputs[i], &where, &sp->in[i], &cap);
        for (int k = 0; k < nd->n_out && st == EM_OK; k++) {
            const em_array *o = nd->outputs[k];
            if (o) sig_of(o, &sp->out[k]);
            else sp->out[k].dtype = EM_FLOAT32;
            trace_entry *e = o ? trace_map_put(&where, o) : NULL;
            if (o && !e) st = em_error_code();
            else if (e) e->aux = ((int64_t)s << 16) | k;
        }
    }
    size_t m = em_array_list_size(outs);
    if (st == EM_OK && !(t->outs = calloc(m ? m : 1, sizeof *t->outs))) st = (oom(), EM_ERR_MEMORY);
    for (size_t i = 0; i < m && st == EM_OK; i++) {
        st = resolve_ref(t, em_array_list_get(outs, i), &where, &t->outs[i], &cap);
        t->n_out = (uint32_t)i + 1;
    }
    if (st == EM_OK && t->n_const) {
        st = em_eval(t->consts, t->n_const);
        if (st == EM_OK && !(t->csig = calloc(t->n_const, sizeof *t->csig))) st = (oom(), EM_ERR_MEMORY);
        for (uint32_t i = 0; i < t->n_const && st == EM_OK; i++) sig_of(t->consts[i], &t->csig[i]);
    }
    trace_map_free(&where);
    trace_tape_free(&tape);
    em_array_list_free(outs);
    for (size_t i = 0; tracers && i < n; i++) em_array_release(tracers[i]);
    free(tracers);
    return st;
}

/* ---------------------------------------------------------------- writer */

EM_API em_export_writer *em_export_writer_new(const char *path, const char *metadata, bool shapeless) {
    if (!path) return error_set(EM_ERR_NULL, "[export_function] No file given.");
    em_export_writer *w = calloc(1, sizeof *w);
    if (!w) return oom();
    w->path = dup_str(path);
    w->metadata = dup_str(metadata ? metadata : "");
    w->shapeless = shapeless;
    if (!w->path || !w->metadata) {
        em_export_writer_free(w);
        return oom();
    }
    return w;
}

EM_API void em_export_writer_free(em_export_writer *w) {
    if (!w) return;
    for (uint32_t i = 0; i < w->n_traces; i++) trace_free(&w->traces[i]);
    free(w->traces);
    free(w->path);
    free(w->metadata);
    free(w);
}

EM_API em_status em_export_writer_add(em_export_writer *w, em_closure *f, em_array *const *inputs, size_t n_pos,
                                      const char *const *kw_names, size_t n_kw) {
    if (!w || !f) return error_status(EM_ERR_NULL, "[export_function] Missing exporter or function.");
    if (w->closed) return error_status(EM_ERR_RUNTIME, "[export_function] Attempting to write after exporting is closed.");
    size_t n = n_pos + n_kw;
    for (size_t i = 0; i < n; i++)
        if (!inputs[i]) return error_null_arg("export_function"), em_error_code();
    for (size_t i = 0; i < n_kw; i++)
        if (!kw_names || !kw_names[i]) return error_status(EM_ERR_NULL, "[export_function] Missing keyword name.");
    xtrace *nt = realloc(w->traces, (w->n_traces + 1) * sizeof *nt);
    if (!nt) return oom(), EM_ERR_MEMORY;
    w->traces = nt;
    xtrace *t = &w->traces[w->n_traces];
    memset(t, 0, sizeof *t);
    t->n_pos = (uint32_t)n_pos;
    t->kw = calloc(n_kw ? n_kw : 1, sizeof *t->kw);
    t->in = calloc(n ? n : 1, sizeof *t->in);
    em_status st = t->kw && t->in ? EM_OK : (oom(), EM_ERR_MEMORY);
    for (size_t i = 0; i < n_kw && st == EM_OK; i++) {
        t->kw[i] = dup_str(kw_names[i]);
        t->n_kw = (uint32_t)i + 1;
        if (!t->kw[i]) st = (oom(), EM_ERR_MEMORY);
    }
    for (size_t i = 0; i < n && st == EM_OK; i++) sig_of(inputs[i], &t->in[i]);
    scope_op_depth++;
    if (st == EM_OK) st = record(t, f, inputs, n);
    scope_op_depth--;
    if (st != EM_OK) {
        trace_free(t);
        return st;
    }
    w->n_traces++;
    return EM_OK;
}

typedef struct obuf {
    unsigned char *p;
    size_t n, cap;
    bool failed;
} obuf;

static void put(obuf *b, const void *src, size_t n) {
    if (b->failed) return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n) nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put32(obuf *b, uint32_t v) {
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(b, c, 4);
}
static void put64(obuf *b, uint64_t v) {
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}
static void putstr(obuf *b, const char *s) {
    size_t n = strlen(s);
    put32(b, (uint32_t)n);
    put(b, s, n);
}
static void putsig(obuf *b, const xsig *s) {
    put32(b, (uint32_t)s->dtype);
    put32(b, (uint32_t)s->ndim);
    for (int i = 0; i < s->ndim; i++) put64(b, (uint64_t)s->shape[i]);
}
static void putref(obuf *b, const xref *r) {
    put32(b, r->kind);
    put32(b, r->index);
    put32(b, r->out);
}

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static em_status put_trace(obuf *b, const xtrace *t) {
    put32(b, t->n_pos);
    put32(b, t->n_kw);
    for (uint32_t i = 0; i < t->n_kw; i++) putstr(b, t->kw[i]);
    for (uint32_t i = 0; i < t->n_pos + t->n_kw; i++) putsig(b, &t->in[i]);
    put32(b, t->n_const);
    for (uint32_t i = 0; i < t->n_const; i++) {
        em_array *c = t->consts[i];
        putsig(b, &t->csig[i]);
        size_t nb = em_array_nbytes(c);
        put64(b, nb);
        if (b->failed) break;
        unsigned char *tmp = malloc(nb ? nb : 1);
        if (!tmp) return oom(), EM_ERR_MEMORY;
        em_status st = em_array_copy_to(c, c->dtype, tmp, nb);
        if (st == EM_OK) put(b, tmp, nb);
        free(tmp);
        if (st != EM_OK) return st;
    }
    put32(b, t->n_steps);
    for (uint32_t s = 0; s < t->n_steps; s++) {
        const xstep *sp = &t->steps[s];
        put32(b, sp->prim);
        put32(b, sp->params_size);
        put(b, sp->params, sp->params_size);
        put32(b, sp->n_in);
        for (uint32_t i = 0; i < sp->n_in; i++) putref(b, &sp->in[i]);
        put32(b, sp->n_out);
        for (uint32_t k = 0; k < sp->n_out; k++) putsig(b, &sp->out[k]);
    }
    put32(b, t->n_out);
    for (uint32_t i = 0; i < t->n_out; i++) putref(b, &t->outs[i]);
    return EM_OK;
}

/* The whole file image of w (malloc'd) in *out / *n. */
static em_status image(const em_export_writer *w, unsigned char **out, size_t *n) {
    obuf b = {0};
    put32(&b, w->shapeless ? 1u : 0u);
    putstr(&b, w->metadata);
    put32(&b, w->n_traces);
    em_status st = EM_OK;
    for (uint32_t i = 0; i < w->n_traces && st == EM_OK; i++) st = put_trace(&b, &w->traces[i]);
    if (st == EM_OK && b.failed) st = (oom(), EM_ERR_MEMORY);
    obuf h = {0};
    if (st == EM_OK) {
        put(&h, "EMBERFN1", 8);
        put64(&h, b.n);
        put64(&h, fnv1a(b.p, b.n));
        put(&h, b.p, b.n);
        if (h.failed) st = (oom(), EM_ERR_MEMORY);
    }
    free(b.p);
    if (st != EM_OK) {
        free(h.p);
        return st;
    }
    *out = h.p;
    *n = h.n;
    return EM_OK;
}

EM_API em_status em_export_writer_close(em_export_writer *w) {
    if (!w) return error_status(EM_ERR_NULL, "[export_function] Missing exporter.");
    if (w->closed) return EM_OK;
    w->closed = true;
    unsigned char *img = NULL;
    size_t n = 0;
    em_status st = image(w, &img, &n);
    if (st != EM_OK) return st;
    FILE *fp = fopen(w->path, "wb");
    if (!fp) {
        free(img);
        return error_status(EM_ERR_IO, "[export_function] Failed to open %s", w->path);
    }
    bool ok = fwrite(img, 1, n, fp) == n;
    ok = fclose(fp) == 0 && ok;
    free(img);
    return ok ? EM_OK : error_status(EM_ERR_IO, "[export_function] Failed to write %s", w->path);
}

/* ---------------------------------------------------------------- reader */

typedef struct ibuf {
    const unsigned char *p;
    size_t n, at;
    bool bad;
} ibuf;

static const void *take(ibuf *b, size_t n) {
    if (b->bad || n > b->n - b->at) {
        b->bad = true;
        return NULL;
    }
    const void *r = b->p + b->at;
    b->at += n;
    return r;
}
static uint32_t get32(ibuf *b) {
    const unsigned char *c = take(b, 4);
    return c ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24 : 0;
}
static uint64_t get64(ibuf *b) {
    uint64_t lo = get32(b);
    return lo | (uint64_t)get32(b) << 32;
}
/* A count of items of at least `min_bytes` each that the rest can hold. */
static uint32_t getcount(ibuf *b, size_t min_bytes) {
    uint32_t c = get32(b);
    if (!b->bad && (size_t)c > (b->n - b->at) / (min_bytes ? min_bytes : 1)) b->bad = true;
    return b->bad ? 0 : c;
}
static char *getstr(ibuf *b) {
    uint32_t n = getcount(b, 1);
    const char *s = take(b, n);
    if (!s) return NULL;
    char *r = malloc((size_t)n + 1);
    if (!r) {
        b->bad = true;
        return NULL;
    }
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}
static void getsig(ibuf *b, xsig *s) {
    uint32_t dt = get32(b), nd = get32(b);
    if (b->bad || !em_dtype_is_valid((int)dt) || nd > EM_MAX_NDIM) {
        b->bad = true;
        return;
    }
    s->dtype = (em_dtype)dt;
    s->ndim = (int)nd;
    for (uint32_t i = 0; i < nd; i++) {
        s->shape[i] = (int64_t)get64(b);
        if (s->shape[i] < 0 || s->shape[i] > ((int64_t)1 << 40)) b->bad = true;
    }
}
static size_t sig_bytes(const xsig *s, bool *overflow) {
    size_t n = em_dtype_size(s->dtype);
    for (int i = 0; i < s->ndim; i++) {
        if (s->shape[i] && n > SIZE_MAX / (size_t)s->shape[i]) {
            *overflow = true;
            return 0;
        }
        n *= (size_t)s->shape[i];
    }
    return n;
}
/* A reference valid at this point: an input, an earlier step's output, a
 * constant. */
static void getref(ibuf *b, const xtrace *t, uint32_t n_steps_before, xref *r) {
    r->kind = get32(b);
    r->index = get32(b);
    r->out = get32(b);
    if (b->bad) return;
    switch (r->kind) {
    case 0: b->bad = r->index >= t->n_pos + t->n_kw; break;
    case 1: b->bad = r->index >= n_steps_before || r->out >= t->steps[r->index].n_out; break;
    case 2: b->bad = r->index >= t->n_const; break;
    default: b->bad = true;
    }
}

static void get_trace(ibuf *b, xtrace *t) {
    t->n_pos = getcount(b, 8);
    t->n_kw = getcount(b, 4);
    if (b->bad) return;
    t->kw = calloc(t->n_kw ? t->n_kw : 1, sizeof *t->kw);
    t->in = calloc(t->n_pos + t->n_kw ? t->n_pos + t->n_kw : 1, sizeof *t->in);
    if (!t->kw || !t->in) {
        b->bad = true;
        return;
    }
    for (uint32_t i = 0; i < t->n_kw && !b->bad; i++) t->kw[i] = getstr(b);
    for (uint32_t i = 0; i < t->n_pos + t->n_kw && !b->bad; i++) getsig(b, &t->in[i]);
    uint32_t nc = getcount(b, 16);
    if (b->bad) return;
    t->csig = calloc(nc ? nc : 1, sizeof *t->csig);
    t->consts = calloc(nc ? nc : 1, sizeof *t->consts);
    if (!t->csig || !t->consts) {
        b->bad = true;
        return;
    }
    for (uint32_t i = 0; i < nc && !b->bad; i++) {
        getsig(b, &t->csig[i]);
        uint64_t nb = get64(b);
        bool ovf = false;
        if (b->bad || nb != sig_bytes(&t->csig[i], &ovf) || ovf) {
            b->bad = true;
            break;
        }
        const void *data = take(b, (size_t)nb);
        if (!data) break;
        t->consts[i] = em_array_from_data(data, t->csig[i].shape, t->csig[i].ndim, t->csig[i].dtype);
        if (!t->consts[i]) {
            b->bad = true;
            break;
        }
        t->n_const = i + 1;
    }
    uint32_t ns = getcount(b, 16);
    if (b->bad) return;
    t->steps = calloc(ns ? ns : 1, sizeof *t->steps);
    if (!t->steps) {
        b->bad = true;
        return;
    }
    for (uint32_t s = 0; s < ns && !b->bad; s++) {
        xstep *sp = &t->steps[s];
        t->n_steps = s + 1;
        sp->prim = get32(b);
        sp->params_size = getcount(b, 1);
        if (b->bad || sp->prim >= EM_PRIM_COUNT || (em_primitives[sp->prim].flags & EM_PF_REFPARAMS) ||
            sp->params_size > 65536) {
            b->bad = true;
            break;
        }
        const void *pp = take(b, sp->params_size);
        sp->params = malloc(sp->params_size ? sp->params_size : 1);
        if (!pp || !sp->params) {
            b->bad = true;
            break;
        }
        memcpy(sp->params, pp, sp->params_size);
        sp->n_in = getcount(b, 12);
        sp->in = calloc(sp->n_in ? sp->n_in : 1, sizeof *sp->in);
        if (!sp->in) b->bad = true;
        for (uint32_t i = 0; i < sp->n_in && !b->bad; i++) getref(b, t, s, &sp->in[i]);
        sp->n_out = getcount(b, 8);
        if (!b->bad && (sp->n_out == 0 || sp->n_out > 0xffff)) b->bad = true;
        sp->out = b->bad ? NULL : calloc(sp->n_out, sizeof *sp->out);
        if (!sp->out) b->bad = true;
        for (uint32_t k = 0; k < sp->n_out && !b->bad; k++) getsig(b, &sp->out[k]);
    }
    uint32_t no = getcount(b, 12);
    if (b->bad) return;
    t->outs = calloc(no ? no : 1, sizeof *t->outs);
    if (!t->outs) {
        b->bad = true;
        return;
    }
    t->n_out = no;
    for (uint32_t i = 0; i < no && !b->bad; i++) getref(b, t, t->n_steps, &t->outs[i]);
}

EM_API void em_imported_free(em_imported *f) {
    if (!f) return;
    for (uint32_t i = 0; i < f->n_traces; i++) trace_free(&f->traces[i]);
    free(f->traces);
    free(f->metadata);
    free(f);
}

EM_API em_imported *em_import_function_bytes(const void *data, size_t n) {
    if (!data) return error_set(EM_ERR_NULL, "[import_function] No data.");
    const unsigned char *p = data;
    if (n < 24 || memcmp(p, "EMBERFN1", 8) != 0)
        return error_set(EM_ERR_VALUE, "[import_function] Not an exported ember function (bad header).");
    ibuf hb = {p, n, 8, false};
    uint64_t size = get64(&hb), hash = get64(&hb);
    if (size != n - 24 || fnv1a(p + 24, n - 24) != hash)
        return error_set(EM_ERR_VALUE, "[import_function] The file is damaged (size or checksum mismatch).");
    em_imported *f = calloc(1, sizeof *f);
    if (!f) return error_set(EM_ERR_MEMORY, "[import_function] Out of memory.");
    ibuf b = {p + 24, n - 24, 0, false};
    uint32_t flags = get32(&b);
    f->shapeless = flags & 1;
    f->metadata = getstr(&b);
    uint32_t nt = getcount(&b, 16);
    if (!b.bad && !(f->traces = calloc(nt ? nt : 1, sizeof *f->traces))) b.bad = true;
    for (uint32_t i = 0; i < nt && !b.bad; i++) {
        f->n_traces = i + 1;
        get_trace(&b, &f->traces[i]);
    }
    if (!b.bad && b.at != b.n) b.bad = true;
    if (b.bad) {
        em_imported_free(f);
        if (error_is_set() && em_error_code() != EM_ERR_VALUE) return NULL;
        em_error_clear();
        return error_set(EM_ERR_VALUE, "[import_function] The file is malformed.");
    }
    return f;
}

EM_API em_imported *em_import_function(const char *path) {
    if (!path) return error_set(EM_ERR_NULL, "[import_function] No file given.");
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_set(EM_ERR_IO, "[import_function] Failed to open %s", path);
    unsigned char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            unsigned char *nd = realloc(data, cap);
            if (!nd) {
                free(data);
                fclose(fp);
                return error_set(EM_ERR_MEMORY, "[import_function] Out of memory.");
            }
            data = nd;
        }
        size_t r = fread(data + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    bool err = ferror(fp);
    fclose(fp);
    em_imported *f = err ? error_set(EM_ERR_IO, "[import_function] Failed to read %s", path)
                         : em_import_function_bytes(data, n);
    free(data);
    return f;
}

EM_API const char *em_imported_metadata(const em_imported *f) { return f ? f->metadata : NULL; }
EM_API size_t em_imported_num_traces(const em_imported *f) { return f ? f->n_traces : 0; }

/* ---------------------------------------------------------------- replay */

static bool trace_matches(const xtrace *t, em_array *const *in, size_t n_pos, const char *const *kw, size_t n_kw,
                          size_t *order) {
    if (t->n_pos != n_pos || t->n_kw != n_kw) return false;
    for (size_t i = 0; i < n_pos; i++) {
        if (!sig_matches(&t->in[i], in[i])) return false;
        order[i] = i;
    }
    for (uint32_t j = 0; j < t->n_kw; j++) {
        size_t k = 0;
        while (k < n_kw && strcmp(kw[k], t->kw[j]) != 0) k++;
        if (k == n_kw || !sig_matches(&t->in[n_pos + j], in[n_pos + k])) return false;
        order[n_pos + j] = n_pos + k;
    }
    return true;
}

static void sig_text(char *buf, size_t cap, size_t *at, const xsig *s) {
    char sh[256];
    shape_str(s->shape, s->ndim, sh, sizeof sh);
    if (*at < cap) *at += (size_t)snprintf(buf + *at, cap - *at, "%s %s\n", sh, em_dtype_name(s->dtype));
}

static em_status no_match(const em_imported *f, em_array *const *in, size_t n_pos, const char *const *kw, size_t n_kw) {
    size_t cap = 8192, at = 0;
    char *buf = malloc(cap);
    if (!buf) return error_status(EM_ERR_MEMORY, "[import_function::call] Out of memory.");
    at += (size_t)snprintf(buf, cap, "[import_function::call] No imported function found which matches the given "
                                     "positional and keyword arguments. Possible functions include:\n");
    for (uint32_t i = 0; i < f->n_traces && at < cap; i++) {
        const xtrace *t = &f->traces[i];
        at += (size_t)snprintf(buf + at, cap - at, " %u. Function with %u positional inputs and %u keyword inputs:\n",
                               i + 1, t->n_pos, t->n_kw);
        for (uint32_t j = 0; j < t->n_pos && at < cap; j++) {
            at += (size_t)snprintf(buf + at, cap - at, "   %u: ", j + 1);
            sig_text(buf, cap, &at, &t->in[j]);
        }
        for (uint32_t j = 0; j < t->n_kw && at < cap; j++) {
            at += (size_t)snprintf(buf + at, cap - at, "   \"%s\": ", t->kw[j]);
            sig_text(buf, cap, &at, &t->in[t->n_pos + j]);
        }
    }
    if (at < cap)
        at += (size_t)snprintf(buf + at, cap - at, "\nCalled with %zu positional inputs and %zu keyword inputs:\n",
                               n_pos, n_kw);
    for (size_t j = 0; j < n_pos + n_kw && at < cap; j++) {
        xsig s;
        sig_of(in[j], &s);
        if (j < n_pos) at += (size_t)snprintf(buf + at, cap - at, "  %zu: ", j + 1);
        else at += (size_t)snprintf(buf + at, cap - at, "  \"%s\": ", kw[j - n_pos]);
        sig_text(buf, cap, &at, &s);
    }
    em_status st = error_status(EM_ERR_VALUE, "%s", buf);
    free(buf);
    return st;
}

static em_array *value(const xtrace *t, const xref *r, em_array *const *in, const size_t *order, em_array ***vals) {
    switch (r->kind) {
    case 0: return in[order[r->index]];
    case 1: return vals[r->index][r->out];
    default: return t->consts[r->index];
    }
}

EM_API em_status em_imported_call(const em_imported *f, em_array *const *inputs, size_t n_pos,
                                  const char *const *kw_names, size_t n_kw, em_array_list *out) {
    if (!f || !out) return error_status(EM_ERR_NULL, "[import_function::call] Missing function or output list.");
    size_t n = n_pos + n_kw;
    for (size_t i = 0; i < n; i++)
        if (!inputs[i]) return error_null_arg("import_function::call"), em_error_code();
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return error_status(EM_ERR_MEMORY, "[import_function::call] Out of memory.");
    const xtrace *t = NULL;
    for (uint32_t i = 0; i < f->n_traces && !t; i++)
        if (trace_matches(&f->traces[i], inputs, n_pos, kw_names, n_kw, order)) t = &f->traces[i];
    if (!t) {
        free(order);
        return no_match(f, inputs, n_pos, kw_names, n_kw);
    }
    em_array_list_clear(out);
    em_array ***vals = calloc(t->n_steps ? t->n_steps : 1, sizeof *vals);
    em_status st = vals ? EM_OK : error_status(EM_ERR_MEMORY, "[import_function::call] Out of memory.");
    scope_op_depth++;
    for (uint32_t s = 0; s < t->n_steps && st == EM_OK; s++) {
        const xstep *sp = &t->steps[s];
        em_array **args = calloc(sp->n_in ? sp->n_in : 1, sizeof *args);
        const int64_t **shapes = calloc(sp->n_out, sizeof *shapes);
        int *ndims = calloc(sp->n_out, sizeof *ndims);
        em_dtype *dts = calloc(sp->n_out, sizeof *dts);
        vals[s] = calloc(sp->n_out, sizeof **vals);
        if (!args || !shapes || !ndims || !dts || !vals[s]) {
            st = error_status(EM_ERR_MEMORY, "[import_function::call] Out of memory.");
        } else {
            for (uint32_t i = 0; i < sp->n_in; i++) args[i] = value(t, &sp->in[i], inputs, order, vals);
            for (uint32_t k = 0; k < sp->n_out; k++) {
                shapes[k] = sp->out[k].shape;
                ndims[k] = sp->out[k].ndim;
                dts[k] = sp->out[k].dtype;
            }
            st = node_make_multi((em_prim_id)sp->prim, sp->params, sp->params_size, args, (int)sp->n_in,
                                 (int)sp->n_out, dts, shapes, ndims, vals[s]);
        }
        free(args);
        free(shapes);
        free(ndims);
        free(dts);
    }
    for (uint32_t i = 0; i < t->n_out && st == EM_OK; i++) st = em_array_list_push(out, value(t, &t->outs[i], inputs, order, vals));
    scope_op_depth--;
    for (uint32_t s = 0; vals && s < t->n_steps; s++) {
        for (uint32_t k = 0; vals[s] && k < t->steps[s].n_out; k++) em_array_release(vals[s][k]);
        free(vals[s]);
    }
    free(vals);
    free(order);
    if (st != EM_OK) em_array_list_clear(out);
    return st;
}
