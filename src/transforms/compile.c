/* compile.c -- compile: a closure that traces its function once per input
 * signature (number of inputs, their dtypes and shapes) into a program, the
 * list of primitive applications between its inputs and outputs, and replays
 * that program on later calls without calling the function again.
 *
 * The trace runs the function on tracers of the actual inputs (so the first
 * call's values are right); evaluating anything that depends on them inside
 * the function is an error, as in MLX, since values would be frozen into the
 * program. Arrays the function uses without deriving them from its inputs
 * (captured weights, literals, arange...) become constants of the program.
 * A program holds no node of the trace: only primitive ids, parameter bytes
 * and output shapes, so the traced intermediates are freed.
 *
 * A recorded program is simplified: equal 0-d constants are merged, a step
 * equal to an earlier one (same primitive, parameters and inputs) reuses its
 * outputs, and steps nothing uses are dropped; then runs of elementwise steps
 * over one shape become FUSED steps (fuse.c), and dead steps go again.
 * shapeless=true is accepted and gives the same results, tracing again for
 * each new shape (the program's shapes are fixed). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/scope.h"
#include "../core/stream.h"
#include "compile.h"
#include "eval.h"
#include "../ops/fused.h"
#include "program.h"
#include "trace.h"

static atomic_bool compile_disabled;

EM_API void em_enable_compile(void) { atomic_store(&compile_disabled, false); }
EM_API void em_disable_compile(void) { atomic_store(&compile_disabled, true); }
EM_API bool em_compile_enabled(void) { return !atomic_load(&compile_disabled); }

typedef struct compiled {
    em_closure *f;
    bool shapeless;
    program *programs; /* most recently recorded first */
} compiled;

static void free_shapes(int64_t **shapes, int n) {
    if (shapes)
        for (int i = 0; i < n; i++) free(shapes[i]);
    free(shapes);
}


static void program_free(program *p) {
    for (size_t s = 0; s < p->n_steps; s++) step_clear(&p->steps[s]);
    for (size_t i = 0; i < p->n_outputs; i++) em_array_release(p->outputs[i].constant);
    free(p->steps);
    free(p->outputs);
    free(p->dtypes);
    free(p->ndims);
    free_shapes(p->shapes, p->n_inputs);
    free(p);
}

static int64_t *copy_shape(const em_array *a) {
    int64_t *s = malloc((size_t)(a->ndim ? a->ndim : 1) * sizeof *s);
    if (s && a->ndim) memcpy(s, a->shape, (size_t)a->ndim * sizeof *s);
    return s;
}

static bool matches(const program *p, em_array *const *in, size_t n) {
    if ((size_t)p->n_inputs != n) return false;
    for (size_t i = 0; i < n; i++) {
        if (in[i]->dtype != p->dtypes[i] || in[i]->ndim != p->ndims[i]) return false;
        if (in[i]->ndim && memcmp(in[i]->shape, p->shapes[i], (size_t)in[i]->ndim * sizeof(int64_t)))
            return false;
    }
    return true;
}

/* How x is reached: a tracer, a step's output (recorded in `where`), or a
 * constant of the program. */
static ref resolve(const em_array *x, const trace_map *where) {
    trace_entry *e = trace_map_get(where, x);
    if (e) {
        if (e->aux < 0) return (ref){REF_INPUT, (int)(-e->aux - 1), 0, NULL};
        return (ref){REF_STEP, (int)(e->aux >> 16), (int)(e->aux & 0xffff), NULL};
    }
    return (ref){REF_CONST, 0, 0, em_array_retain((em_array *)x)};
}

/* Builds the program of f traced at `in`. */
static program *record(em_closure *f, em_array *const *in, size_t n) {
    program *p = calloc(1, sizeof *p);
    em_array **tracers = calloc(n ? n : 1, sizeof *tracers);
    em_array_list *outs = em_array_list_new();
    trace_tape tape = {0};
    trace_map where = {0};
    em_status st = p && tracers && outs ? EM_OK : error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    if (st == EM_OK) {
        p->n_inputs = (int)n;
        p->dtypes = malloc((n ? n : 1) * sizeof *p->dtypes);
        p->ndims = malloc((n ? n : 1) * sizeof *p->ndims);
        p->shapes = calloc(n ? n : 1, sizeof *p->shapes);
        if (!p->dtypes || !p->ndims || !p->shapes) st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    }
    for (size_t i = 0; i < n && st == EM_OK; i++) {
        p->dtypes[i] = in[i]->dtype;
        p->ndims[i] = in[i]->ndim;
        p->shapes[i] = copy_shape(in[i]);
        tracers[i] = trace_tracer(in[i]);
        trace_entry *e = tracers[i] ? trace_map_put(&where, tracers[i]) : NULL;
        if (!e) st = em_error_code();
        else e->aux = -(int64_t)i - 1;
    }
    if (st == EM_OK) st = eval_forbid_push(tracers, n);
    if (st == EM_OK) {
        st = trace_call(f, tracers, n, outs);
        eval_forbid_pop();
    }
    if (st == EM_OK)
        st = trace_tape_build(tracers, n, em_array_list_data(outs), em_array_list_size(outs), true, &tape);
    if (st == EM_OK && tape.n) {
        p->steps = calloc(tape.n, sizeof *p->steps);
        if (!p->steps) st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    }
    for (size_t s = 0; s < tape.n && st == EM_OK; s++) {
        const em_node *nd = tape.nodes[s];
        step *sp = &p->steps[s];
        p->n_steps = s + 1;
        sp->prim = nd->prim;
        sp->n_in = nd->n_in;
        sp->n_out = nd->n_out;
        sp->params_size = nd->params_size;
        sp->params = malloc(nd->params_size ? nd->params_size : 1);
        sp->in = calloc((size_t)(nd->n_in ? nd->n_in : 1), sizeof *sp->in);
        sp->dtypes = malloc((size_t)nd->n_out * sizeof *sp->dtypes);
        sp->ndims = malloc((size_t)nd->n_out * sizeof *sp->ndims);
        sp->shapes = calloc((size_t)nd->n_out, sizeof *sp->shapes);
        if (!sp->params || !sp->in || !sp->dtypes || !sp->ndims || !sp->shapes) {
            free(sp->params);
            sp->params = NULL;
            st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
            break;
        }
        memcpy(sp->params, nd->params, nd->params_size);
        if (em_primitives[nd->prim].flags & EM_PF_REFPARAMS) refobj_retain(*(em_refobj **)sp->params);
        for (int i = 0; i < nd->n_in; i++) sp->in[i] = resolve(nd->inputs[i], &where);
        for (int k = 0; k < nd->n_out && st == EM_OK; k++) {
            const em_array *o = nd->outputs[k];
            /* an output nobody held during the trace: only its node knew it, so
             * it never feeds another step; any shape of its dtype will do */
            sp->dtypes[k] = o ? o->dtype : EM_FLOAT32;
            sp->ndims[k] = o ? o->ndim : 0;
            sp->shapes[k] = o ? copy_shape(o) : malloc(sizeof(int64_t));
            trace_entry *e = o ? trace_map_put(&where, o) : NULL;
            if (o && !e) st = em_error_code();
            else if (e) e->aux = ((int64_t)s << 16) | k;
        }
    }
    size_t m = em_array_list_size(outs);
    if (st == EM_OK) {
        p->outputs = calloc(m ? m : 1, sizeof *p->outputs);
        if (!p->outputs) st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
        else p->n_outputs = m;
        for (size_t i = 0; i < m && p->outputs; i++)
            p->outputs[i] = resolve(em_array_list_get(outs, i), &where);
    }
    trace_map_free(&where);
    trace_tape_free(&tape);
    em_array_list_free(outs);
    for (size_t i = 0; tracers && i < n; i++) em_array_release(tracers[i]);
    free(tracers);
    if (st != EM_OK && p) {
        program_free(p);
        p = NULL;
    }
    return p;
}

/* ---------------------------------------------------------------- simplify */

/* Frozen 0-d constants of equal dtype and value become one array. */
static void merge_constants(program *p) {
    em_array *seen[64];
    int n = 0;
    for (size_t s = 0; s <= p->n_steps; s++) {
        ref *refs = s < p->n_steps ? p->steps[s].in : p->outputs;
        size_t cnt = s < p->n_steps ? (size_t)p->steps[s].n_in : p->n_outputs;
        for (size_t i = 0; i < cnt; i++) {
            em_array *c = refs[i].kind == REF_CONST ? refs[i].constant : NULL;
            /* (only values already computed: never wait for a stream here) */
            if (!c || c->ndim != 0 || !array_evaluated(c) || !buffer_ready(c->buf) || c->buf->fault)
                continue;
            int j = 0;
            for (; j < n; j++)
                if (seen[j]->dtype == c->dtype && memcmp(array_ptr(seen[j]), array_ptr(c), array_itemsize(c)) == 0)
                    break;
            if (j < n && seen[j] != c) {
                refs[i].constant = em_array_retain(seen[j]);
                em_array_release(c);
            } else if (j == n && n < 64) {
                seen[n++] = c;
            }
        }
    }
}

static bool same_ref(const ref *a, const ref *b) {
    return a->kind == b->kind && a->index == b->index && a->out == b->out && a->constant == b->constant;
}

/* Whether steps a and b compute the same thing (their inputs already remapped). */
static bool same_step(const step *a, const step *b) {
    if (a->prim != b->prim || a->n_in != b->n_in || a->n_out != b->n_out ||
        a->params_size != b->params_size || memcmp(a->params, b->params, a->params_size))
        return false;
    for (int i = 0; i < a->n_in; i++)
        if (!same_ref(&a->in[i], &b->in[i])) return false;
    for (int k = 0; k < a->n_out; k++)
        if (a->dtypes[k] != b->dtypes[k] || a->ndims[k] != b->ndims[k] ||
            (a->ndims[k] && memcmp(a->shapes[k], b->shapes[k], (size_t)a->ndims[k] * sizeof(int64_t))))
            return false;
    return true;
}

static void remap(ref *r, const size_t *to) {
    if (r->kind == REF_STEP) r->index = (int)to[r->index];
}

void step_clear(step *st) {
    if (st->params && (em_primitives[st->prim].flags & EM_PF_REFPARAMS))
        refobj_release(*(em_refobj **)st->params);
    free(st->params);
    for (int i = 0; st->in && i < st->n_in; i++) em_array_release(st->in[i].constant);
    free(st->in);
    free(st->dtypes);
    free(st->ndims);
    free_shapes(st->shapes, st->n_out);
    memset(st, 0, sizeof *st);
}

/* Common subexpressions (a step equal to an earlier one reuses its outputs)
 * and then dead steps (used by nothing) are removed. Every primitive of the
 * core is a pure function of its inputs and parameters; a primitive with
 * hidden state (random numbers) must not be merged when one comes. */
static em_status simplify(program *p) {
    size_t n = p->n_steps;
    if (!n) return EM_OK;
    merge_constants(p);
    size_t *to = malloc(n * sizeof *to), cap = 1;
    while (cap < 2 * n) cap *= 2;
    size_t *table = malloc(cap * sizeof *table);
    bool *live = calloc(n, sizeof *live);
    if (!to || !table || !live) {
        free(to);
        free(table);
        free(live);
        return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    }
    for (size_t i = 0; i < cap; i++) table[i] = (size_t)-1;
    for (size_t s = 0; s < n; s++) {
        step *st = &p->steps[s];
        uint64_t h = (uint64_t)st->prim * 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < st->n_in; i++) {
            remap(&st->in[i], to);
            h = (h ^ ((uint64_t)st->in[i].kind << 56 ^ (uint64_t)st->in[i].index << 16 ^
                      (uint64_t)st->in[i].out ^ (uint64_t)(uintptr_t)st->in[i].constant)) *
                0x100000001b3ULL;
        }
        for (size_t b = 0; b < st->params_size; b++) h = (h ^ ((const unsigned char *)st->params)[b]) * 0x100000001b3ULL;
        size_t slot = (size_t)(h ^ (h >> 29)) & (cap - 1);
        to[s] = s;
        for (; table[slot] != (size_t)-1; slot = (slot + 1) & (cap - 1))
            if (same_step(&p->steps[table[slot]], st)) {
                to[s] = table[slot];
                break;
            }
        if (to[s] == s) table[slot] = s;
    }
    for (size_t i = 0; i < p->n_outputs; i++) {
        remap(&p->outputs[i], to);
        if (p->outputs[i].kind == REF_STEP) live[p->outputs[i].index] = true;
    }
    for (size_t s = n; s-- > 0;) {
        if (!live[s] || to[s] != s) continue;
        for (int i = 0; i < p->steps[s].n_in; i++)
            if (p->steps[s].in[i].kind == REF_STEP) live[p->steps[s].in[i].index] = true;
    }
    /* compact the live steps, renumbering the references to them */
    size_t k = 0;
    for (size_t s = 0; s < n; s++) {
        if (live[s] && to[s] == s) {
            to[s] = k;
            if (k != s) {
                p->steps[k] = p->steps[s];
                memset(&p->steps[s], 0, sizeof p->steps[s]);
            }
            for (int i = 0; i < p->steps[k].n_in; i++) remap(&p->steps[k].in[i], to);
            k++;
        } else {
            step_clear(&p->steps[s]);
        }
    }
    for (size_t i = 0; i < p->n_outputs; i++) remap(&p->outputs[i], to);
    p->n_steps = k;
    free(to);
    free(table);
    free(live);
    return EM_OK;
}

/* Inside an export's trace, FUSED steps replay as their plain primitives
 * (an exported file names primitives, and FUSED holds a program in memory). */
static _Thread_local int unfused;
void compile_unfused_begin(void) { unfused++; }
void compile_unfused_end(void) { unfused--; }

static em_array *value_of(const ref *r, em_array *const *in, em_array ***vals) {
    switch (r->kind) {
    case REF_INPUT: return in[r->index];
    case REF_STEP: return vals[r->index][r->out];
    default: return r->constant;
    }
}

/* Replays p on `in`, appending its outputs to out. */
static em_status replay(const program *p, em_array *const *in, em_array_list *out) {
    em_array ***vals = calloc(p->n_steps ? p->n_steps : 1, sizeof *vals);
    if (!vals) return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    em_status st = EM_OK;
    em_array *buf[16];
    for (size_t s = 0; s < p->n_steps && st == EM_OK; s++) {
        const step *sp = &p->steps[s];
        em_array **args = sp->n_in <= 16 ? buf : malloc((size_t)sp->n_in * sizeof *args);
        vals[s] = calloc((size_t)sp->n_out, sizeof **vals);
        if (!args || !vals[s]) {
            if (args != buf) free(args);
            st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
            break;
        }
        for (int i = 0; i < sp->n_in; i++) args[i] = value_of(&sp->in[i], in, vals);
        if (unfused && sp->prim == EM_PRIM_FUSED)
            st = fused_expand(NODE_PARAMS(sp, em_fused_params)->prog, args, vals[s]);
        else
            st = node_make_multi(sp->prim, sp->params, sp->params_size, args, sp->n_in, sp->n_out,
                                 sp->dtypes, (const int64_t *const *)sp->shapes, sp->ndims, vals[s]);
        if (args != buf) free(args);
    }
    for (size_t i = 0; i < p->n_outputs && st == EM_OK; i++)
        st = em_array_list_push(out, value_of(&p->outputs[i], in, vals));
    for (size_t s = 0; s < p->n_steps; s++) {
        for (int k = 0; vals[s] && k < p->steps[s].n_out; k++) em_array_release(vals[s][k]);
        free(vals[s]);
    }
    free(vals);
    return st;
}

static em_status compiled_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    compiled *c = ctx;
    if (atomic_load(&compile_disabled)) return em_closure_call(c->f, in, n, out);
    for (size_t i = 0; i < n; i++)
        if (!in[i]) return error_null_arg("compile"), em_error_code();
    scope_op_depth++;
    program *p = c->programs;
    while (p && !matches(p, in, n)) p = p->next;
    if (!p && (p = record(c->f, in, n))) {
        if (simplify(p) == EM_OK && program_fuse(p) == EM_OK && simplify(p) == EM_OK) {
            p->next = c->programs;
            c->programs = p;
        } else {
            program_free(p);
            p = NULL;
        }
    }
    em_status st = p ? replay(p, in, out) : em_error_code();
    scope_op_depth--;
    return st;
}

static void compiled_free(void *ctx) {
    compiled *c = ctx;
    while (c->programs) {
        program *p = c->programs;
        c->programs = p->next;
        program_free(p);
    }
    em_closure_release(c->f);
    free(c);
}

EM_API em_closure *em_compile(em_closure *f, bool shapeless) {
    if (!f) return error_set(EM_ERR_NULL, "[compile] Cannot compile a function without a target.");
    compiled *c = calloc(1, sizeof *c);
    if (!c) return error_set(EM_ERR_MEMORY, "[compile] Out of memory.");
    c->f = em_closure_retain(f);
    c->shapeless = shapeless;
    em_closure *r = em_closure_new(compiled_fn, c, compiled_free);
    if (!r) compiled_free(c);
    return r;
}

size_t compile_last_program_steps(const void *ctx) {
    const compiled *c = ctx;
    size_t n = 0;
    for (size_t s = 0; c && c->programs && s < c->programs->n_steps; s++) {
        const step *st = &c->programs->steps[s];
        n += st->prim == EM_PRIM_FUSED ? (size_t)NODE_PARAMS(st, em_fused_params)->prog->n_ops : 1;
    }
    return n;
}

size_t compile_last_program_fused(const void *ctx) {
    const compiled *c = ctx;
    size_t n = 0;
    for (size_t s = 0; c && c->programs && s < c->programs->n_steps; s++)
        n += c->programs->steps[s].prim == EM_PRIM_FUSED;
    return n;
}
