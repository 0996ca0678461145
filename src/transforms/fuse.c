/* fuse.c -- compile's fusion pass (program.h): runs of elementwise steps over
 * one shape become one FUSED step (src/ops/fused.h), whose CPU kernel passes
 * over memory once instead of once per step.
 *
 * The steps are visited in order. An elementwise step whose arguments have
 * the run's shape (or are broadcasts of one element, which the run reads
 * with stride 0) and whose primitive the CPU can run inside FUSED joins the
 * open run; one of another shape closes the run and opens a new one. Any
 * other step is copied as it is; if it reads a value of the open run, the
 * run is closed first, so the FUSED step comes before it. A run's FUSED
 * step computes every value of the run that a later step or the program's
 * outputs use; a run of one step stays that step. */
#include <stdlib.h>
#include <string.h>

#include "../backend/cpu/kernels.h"
#include "../core/error.h"
#include "../core/shape.h"
#include "../ops/fused.h"
#include "program.h"

enum { MAX_REGS = 64 };

typedef struct {
    em_dtype dtype;
    int ndim;
    const int64_t *shape;
} info;

static int64_t numel(const info *i) {
    int64_t n = 1;
    for (int d = 0; d < i->ndim; d++) n *= i->shape[d];
    return n;
}

/* The pass's state: the new step list and where each old step went. */
typedef struct {
    program *p;
    step *ns;
    size_t nn;
    int *moved;         /* old step -> new index when copied as it is, else -1 */
    int *fused_at;      /* old step -> its FUSED step's new index */
    int *fused_out;     /* ... and its output there (-1: used inside the run only) */
    int *nuse;          /* references to each old step (by steps and outputs) */
    int *inuse;         /* of those, references from members of the open run */
    int *pos;           /* old step -> its place among the open run's members, or -1 */
    /* the open run */
    int ndim;
    int64_t shape[EM_MAX_NDIM];
    int n_mem, n_ext;
    size_t mem[MAX_REGS];
    int args[MAX_REGS][3];  /* per member: an input of the run (>= 0) or member -1 - k */
    ref ext[MAX_REGS];
    bool ext_scalar[MAX_REGS];
} fuser;

static ref remap(const fuser *f, ref r) {
    if (r.kind != REF_STEP) return r;
    if (f->moved[r.index] >= 0) return (ref){REF_STEP, f->moved[r.index], r.out, NULL};
    return (ref){REF_STEP, f->fused_at[r.index], f->fused_out[r.index], NULL};
}

/* The dtype and shape of a value the old program refers to, wherever its
 * step is now. */
static info ref_info(const fuser *f, const ref *r) {
    const program *p = f->p;
    switch (r->kind) {
    case REF_INPUT: return (info){p->dtypes[r->index], p->ndims[r->index], p->shapes[r->index]};
    case REF_STEP: {
        const step *s = &p->steps[r->index];
        int out = r->out;
        if (f->moved[r->index] >= 0) s = &f->ns[f->moved[r->index]];
        else if (f->fused_at[r->index] >= 0) s = &f->ns[f->fused_at[r->index]], out = f->fused_out[r->index];
        return (info){s->dtypes[out], s->ndims[out], s->shapes[out]};
    }
    default: return (info){r->constant->dtype, r->constant->ndim, r->constant->shape};
    }
}

/* The old step s, wherever it is now (moved, or still in place). */
static const step *step_of(const fuser *f, size_t s) {
    return f->moved[s] >= 0 ? &f->ns[f->moved[s]] : &f->p->steps[s];
}

/* Copies old step s to the new list as it is. (References everywhere stay
 * in the old numbering until the pass ends.) */
static void move_step(fuser *f, size_t s) {
    step *st = &f->p->steps[s];
    f->moved[s] = (int)f->nn;
    f->ns[f->nn++] = *st;
    memset(st, 0, sizeof *st);
}

static int64_t *copy_dims(const int64_t *shape, int ndim) {
    int64_t *d = malloc((size_t)(ndim ? ndim : 1) * sizeof *d);
    if (d && ndim) memcpy(d, shape, (size_t)ndim * sizeof *d);
    return d;
}

/* Emits the open run (if any) and empties it. */
static em_status close_run(fuser *f) {
    program *p = f->p;
    em_status st = EM_OK;
    if (f->n_mem == 1) {
        f->pos[f->mem[0]] = -1;
        move_step(f, f->mem[0]);
    } else if (f->n_mem > 1) {
        fused_prog *fp = fused_prog_new(f->n_ext, f->shape, f->ndim);
        step *ns = &f->ns[f->nn];
        memset(ns, 0, sizeof *ns);
        if (!fp) st = em_error_code();
        for (int i = 0; fp && i < f->n_ext; i++) fp->scalar[i] = f->ext_scalar[i];
        for (int k = 0; k < f->n_mem && st == EM_OK; k++) {
            const step *m = &p->steps[f->mem[k]];
            int regs[3]; /* registers: the run's inputs, then its members */
            for (int a = 0; a < m->n_in; a++)
                regs[a] = f->args[k][a] >= 0 ? f->args[k][a] : f->n_ext - 1 - f->args[k][a];
            st = fused_prog_add_op(fp, m->prim, m->dtypes[0], m->n_in, regs, m->params, m->params_size);
        }
        int n_out = 0;
        for (int k = 0; k < f->n_mem; k++)
            if (f->nuse[f->mem[k]] > f->inuse[f->mem[k]]) n_out++;
        if (st == EM_OK) {
            fp->outs = malloc((size_t)(n_out ? n_out : 1) * sizeof *fp->outs);
            ns->params = malloc(sizeof(em_fused_params));
            ns->in = calloc((size_t)(f->n_ext ? f->n_ext : 1), sizeof *ns->in);
            ns->dtypes = malloc((size_t)(n_out ? n_out : 1) * sizeof *ns->dtypes);
            ns->ndims = malloc((size_t)(n_out ? n_out : 1) * sizeof *ns->ndims);
            ns->shapes = calloc((size_t)(n_out ? n_out : 1), sizeof *ns->shapes);
            if (!fp->outs || !ns->params || !ns->in || !ns->dtypes || !ns->ndims || !ns->shapes)
                st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
        }
        if (st != EM_OK) {
            if (fp) refobj_release(&fp->base);
            free(ns->params);
            free(ns->in);
            free(ns->dtypes);
            free(ns->ndims);
            free(ns->shapes);
            memset(ns, 0, sizeof *ns);
            return st;
        }
        ns->prim = EM_PRIM_FUSED;
        ((em_fused_params *)ns->params)->prog = fp; /* the step owns the reference */
        ns->params_size = sizeof(em_fused_params);
        ns->n_in = f->n_ext;
        for (int i = 0; i < f->n_ext; i++) {
            ns->in[i] = f->ext[i];
            if (ns->in[i].kind == REF_CONST) em_array_retain(ns->in[i].constant);
        }
        for (int k = 0, j = 0; k < f->n_mem; k++) {
            size_t s = f->mem[k];
            f->fused_at[s] = (int)f->nn;
            f->fused_out[s] = -1;
            if (f->nuse[s] > f->inuse[s]) {
                fp->outs[j] = f->n_ext + k;
                ns->dtypes[j] = p->steps[s].dtypes[0];
                ns->ndims[j] = f->ndim;
                ns->shapes[j] = copy_dims(f->shape, f->ndim);
                if (!ns->shapes[j]) st = error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
                f->fused_out[s] = j++;
            }
        }
        fp->n_out = n_out;
        ns->n_out = n_out;
        f->nn++;
        for (int k = 0; k < f->n_mem; k++) {
            f->pos[f->mem[k]] = -1;
            step_clear(&p->steps[f->mem[k]]);
        }
    }
    f->n_mem = f->n_ext = 0;
    return st;
}

/* Whether old step s reads a value of the open run. */
static bool reads_run(const fuser *f, const step *st) {
    for (int i = 0; i < st->n_in; i++)
        if (st->in[i].kind == REF_STEP && f->pos[st->in[i].index] >= 0) return true;
    return false;
}

/* Whether a constant holds one element, maybe broadcast: its broadcasts were
 * made while tracing, before the inputs took part, so they are constants
 * themselves (a literal times an input). The kernel reads it with stride 0. */
static bool one_element(const em_array *c) {
    if (c->size == 1) return true;
    if (c->buf) return c->data_size == 1;
    return c->node && c->node->prim == EM_PRIM_BROADCAST && c->node->inputs[0]->size == 1;
}

/* Whether broadcasting shape `in` to `out` repeats a contiguous block (only
 * leading axes are broadcast): the kernel then reads it per block; other
 * broadcasts (a column under a matrix) would be copied at every call, which
 * costs more than the fusion saves, so they do not join a run. */
static bool periodic_broadcast(const int64_t *in, int nin, const int64_t *out, int nout) {
    bool inner = true; /* still in the trailing axes that match */
    for (int d = nout - 1; d >= 0; d--) {
        int64_t a = d - (nout - nin) >= 0 ? in[d - (nout - nin)] : 1;
        if (out[d] == 1) continue;
        if (a == out[d] && !inner) return false;
        if (a != out[d]) inner = false;
    }
    return true;
}

/* Whether x, a value of the traced graph, is a broadcast that would have to
 * be copied (see periodic_broadcast). */
static bool costly_broadcast(const fuser *f, const ref *r) {
    if (r->kind == REF_STEP) {
        const step *b = step_of(f, (size_t)r->index);
        if (b->prim != EM_PRIM_BROADCAST) return false;
        info bi = ref_info(f, &b->in[0]);
        return !periodic_broadcast(bi.shape, bi.ndim, f->shape, f->ndim);
    }
    if (r->kind == REF_CONST) {
        const em_array *c = r->constant;
        if (c->node && c->node->prim == EM_PRIM_BROADCAST) {
            const em_array *in = c->node->inputs[0];
            return !periodic_broadcast(in->shape, in->ndim, c->shape, c->ndim);
        }
    }
    return false;
}

/* An argument of a step joining the run, to *arg: an input of the run (its
 * index, the input added if new) or a member's result (-1 - its place).
 * False if it does not fit the run. */
static bool arg_of(fuser *f, const ref *r, int *arg, em_dtype *dt) {
    const program *p = f->p;
    if (r->kind == REF_STEP && f->pos[r->index] >= 0) {
        *dt = p->steps[r->index].dtypes[0];
        *arg = -1 - f->pos[r->index];
        return true;
    }
    ref src = *r;
    bool scalar = false;
    if (r->kind == REF_STEP && step_of(f, (size_t)r->index)->prim == EM_PRIM_BROADCAST) {
        const ref *b = &step_of(f, (size_t)r->index)->in[0];
        info bi = ref_info(f, b);
        if (numel(&bi) == 1 && !(b->kind == REF_STEP && f->pos[b->index] >= 0)) {
            src = *b;
            scalar = true;
        }
    }
    if (!scalar && src.kind == REF_CONST) scalar = one_element(src.constant);
    if (!scalar && costly_broadcast(f, &src)) return false;
    info si = ref_info(f, &src);
    if (!scalar && !shape_equal(si.shape, si.ndim, f->shape, f->ndim)) return false;
    *dt = si.dtype;
    for (int i = 0; i < f->n_ext; i++)
        if (f->ext_scalar[i] == scalar && f->ext[i].kind == src.kind && f->ext[i].index == src.index &&
            f->ext[i].out == src.out && f->ext[i].constant == src.constant) {
            *arg = i;
            return true;
        }
    if (f->n_ext + f->n_mem >= MAX_REGS - 1) return false;
    f->ext[f->n_ext] = src;
    f->ext_scalar[f->n_ext] = scalar;
    *arg = f->n_ext++;
    return true;
}

/* Tries to add old step s to the open run (which has s's shape); false when
 * it does not fit (nothing changed then). */
static bool join_run(fuser *f, size_t s) {
    const step *st = &f->p->steps[s];
    int n_ext0 = f->n_ext, args[3];
    em_dtype dts[3];
    cpu_loop_storage storage;
    const void *ctx;
    bool ok = f->n_ext + f->n_mem < MAX_REGS - 3;
    for (int i = 0; ok && i < st->n_in; i++) ok = arg_of(f, &st->in[i], &args[i], &dts[i]);
    ok = ok && cpu_fused_loop(st->prim, dts, st->n_in, st->dtypes[0], st->params, &storage, &ctx);
    if (!ok) {
        f->n_ext = n_ext0; /* the inputs it added go again */
        return false;
    }
    for (int i = 0; i < st->n_in; i++) {
        f->args[f->n_mem][i] = args[i];
        if (args[i] < 0) f->inuse[st->in[i].index]++;
    }
    f->pos[s] = f->n_mem;
    f->mem[f->n_mem++] = s;
    return true;
}

/* Whether step s may be fused at all: one output, elementwise, a shape. */
static bool candidate(const step *st) {
    return st->n_out == 1 && st->n_in >= 1 && st->n_in <= 3 &&
           (em_primitives[st->prim].flags & EM_PF_ELEMENTWISE) &&
           !(em_primitives[st->prim].flags & EM_PF_REFPARAMS);
}

em_status program_fuse(program *p) {
    size_t n = p->n_steps;
    if (n < 2) return EM_OK;
    fuser *f = calloc(1, sizeof *f);
    int *ints = calloc(6 * n, sizeof *ints);
    step *ns = calloc(n, sizeof *ns);
    if (!f || !ints || !ns) {
        free(f);
        free(ints);
        free(ns);
        return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    }
    f->p = p;
    f->ns = ns;
    f->moved = ints, f->fused_at = ints + n, f->fused_out = ints + 2 * n;
    f->nuse = ints + 3 * n, f->inuse = ints + 4 * n, f->pos = ints + 5 * n;
    for (size_t s = 0; s < n; s++) f->moved[s] = f->pos[s] = f->fused_at[s] = -1;
    for (size_t s = 0; s < n; s++)
        for (int i = 0; i < p->steps[s].n_in; i++)
            if (p->steps[s].in[i].kind == REF_STEP) f->nuse[p->steps[s].in[i].index]++;
    for (size_t i = 0; i < p->n_outputs; i++)
        if (p->outputs[i].kind == REF_STEP) f->nuse[p->outputs[i].index]++;
    em_status st = EM_OK;
    size_t s = 0;
    for (; s < n && st == EM_OK; s++) {
        const step *cur = &p->steps[s];
        if (candidate(cur)) {
            bool same = f->n_mem && shape_equal(cur->shapes[0], cur->ndims[0], f->shape, f->ndim);
            if (same && join_run(f, s)) continue;
            if (f->n_mem && (st = close_run(f)) != EM_OK) break;
            f->ndim = cur->ndims[0];
            if (f->ndim) memcpy(f->shape, cur->shapes[0], (size_t)f->ndim * sizeof(int64_t));
            if (join_run(f, s)) continue;
        }
        if (reads_run(f, cur) && (st = close_run(f)) != EM_OK) break;
        move_step(f, s);
    }
    if (st == EM_OK) st = close_run(f);
    if (st != EM_OK) {
        /* keep every step (the program can then only be freed) */
        for (int k = 0; k < f->n_mem; k++) f->pos[f->mem[k]] = -1, move_step(f, f->mem[k]);
        for (; s < n; s++)
            if (p->steps[s].params || p->steps[s].in) move_step(f, s);
    }
    if (st == EM_OK) {
        for (size_t k = 0; k < f->nn; k++)
            for (int i = 0; i < ns[k].n_in; i++) ns[k].in[i] = remap(f, ns[k].in[i]);
        for (size_t i = 0; i < p->n_outputs; i++) p->outputs[i] = remap(f, p->outputs[i]);
    }
    free(p->steps);
    p->steps = ns;
    p->n_steps = f->nn;
    free(ints);
    free(f);
    return st;
}
