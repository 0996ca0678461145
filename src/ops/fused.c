/* fused.c -- the FUSED program (fused.h) and its transform rules, which expand
 * the program into its primitives and transform those. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "fused.h"
#include "ops.h"

static void prog_destroy(em_refobj *o) {
    fused_prog *p = (fused_prog *)o;
    for (int k = 0; k < p->n_ops; k++) free(p->ops[k].params);
    free(p->ops);
    free(p->scalar);
    free(p->outs);
    free(p);
}

fused_prog *fused_prog_new(int n_in, const int64_t *shape, int ndim) {
    fused_prog *p = calloc(1, sizeof *p);
    if (p) p->scalar = calloc((size_t)(n_in ? n_in : 1), sizeof *p->scalar);
    if (!p || !p->scalar) {
        free(p);
        return error_set(EM_ERR_MEMORY, "[compile] Out of memory.");
    }
    atomic_init(&p->base.rc, 1);
    p->base.destroy = prog_destroy;
    p->n_in = n_in;
    p->ndim = ndim;
    if (ndim) memcpy(p->shape, shape, (size_t)ndim * sizeof *shape);
    return p;
}

em_status fused_prog_add_op(fused_prog *p, em_prim_id prim, em_dtype dtype, int n_args,
                            const int *args, const void *params, size_t params_size) {
    fused_op *ops = realloc(p->ops, (size_t)(p->n_ops + 1) * sizeof *ops);
    if (!ops) return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    p->ops = ops;
    fused_op *op = &ops[p->n_ops];
    memset(op, 0, sizeof *op);
    if (params_size) {
        op->params = malloc(params_size);
        if (!op->params) return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
        memcpy(op->params, params, params_size);
    }
    op->prim = prim;
    op->dtype = dtype;
    op->n_args = n_args;
    op->params_size = params_size;
    for (int i = 0; i < n_args; i++) op->args[i] = args[i];
    p->n_ops++;
    return EM_OK;
}

em_status fused_expand(const fused_prog *p, em_array *const *in, em_array **outs) {
    int nr = p->n_in + p->n_ops;
    em_array **reg = calloc((size_t)nr, sizeof *reg);
    if (!reg) return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    em_status st = EM_OK;
    for (int i = 0; i < p->n_in && st == EM_OK; i++) {
        reg[i] = p->scalar[i] ? em_broadcast_to(in[i], p->shape, p->ndim) : em_array_retain(in[i]);
        if (!reg[i]) st = em_error_code();
    }
    const int64_t *shape = p->shape;
    for (int k = 0; k < p->n_ops && st == EM_OK; k++) {
        const fused_op *op = &p->ops[k];
        em_array *args[3];
        for (int i = 0; i < op->n_args; i++) args[i] = reg[op->args[i]];
        st = node_make_multi(op->prim, op->params, op->params_size, args, op->n_args, 1,
                             &op->dtype, &shape, &p->ndim, &reg[p->n_in + k]);
    }
    for (int j = 0; j < p->n_out; j++) outs[j] = st == EM_OK ? em_array_retain(reg[p->outs[j]]) : NULL;
    for (int r = 0; r < nr; r++) em_array_release(reg[r]);
    free(reg);
    return st;
}

bool fused_may_donate(const em_node *n, int in, int out) {
    const fused_prog *p = NODE_PARAMS(n, em_fused_params)->prog;
    if (in < 0 || in >= p->n_in || out < 0 || out >= p->n_out || p->scalar[in]) return false;
    int last = -1;
    for (int k = 0; k < p->n_ops; k++)
        for (int a = 0; a < p->ops[k].n_args; a++)
            if (p->ops[k].args[a] == in) last = k;
    return p->outs[out] - p->n_in >= last;
}

/* ---------------------------------------------------------------- rules */

static const fused_prog *prog_of(const em_node *n) {
    return NODE_PARAMS(n, em_fused_params)->prog;
}

static em_status expand_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    const fused_prog *p = ctx;
    if ((int)n != p->n_in)
        return error_status(EM_ERR_RUNTIME, "[Compiled] Expected %d inputs, got %zu.", p->n_in, n);
    em_array *small[16], **outs = p->n_out <= 16 ? small : calloc((size_t)p->n_out, sizeof *outs);
    if (!outs) return error_status(EM_ERR_MEMORY, "[compile] Out of memory.");
    em_status st = fused_expand(p, in, outs);
    for (int j = 0; j < p->n_out; j++) {
        if (st == EM_OK) st = em_array_list_push(out, outs[j]);
        em_array_release(outs[j]);
    }
    if (outs != small) free(outs);
    return st;
}

static void expand_free(void *ctx) { refobj_release(&((fused_prog *)ctx)->base); }

/* A closure computing the unfused program. */
static em_closure *expander(const em_node *n) {
    fused_prog *p = (fused_prog *)prog_of(n);
    refobj_retain(&p->base);
    em_closure *c = em_closure_new(expand_fn, p, expand_free);
    if (!c) refobj_release(&p->base);
    return c;
}

/* Moves the m arrays of l to dst (new references); EM_OK or the error. */
static em_status take_list(em_array_list *l, int m, em_array **dst) {
    if ((int)em_array_list_size(l) != m)
        return error_status(EM_ERR_RUNTIME, "[Compiled] A transform gave %zu arrays, expected %d.",
                            em_array_list_size(l), m);
    for (int i = 0; i < m; i++) dst[i] = em_array_retain(em_array_list_get(l, (size_t)i));
    return EM_OK;
}

em_status ops_fused_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *cot, const bool *want, em_array **grads) {
    (void)out;
    const fused_prog *p = prog_of(n);
    em_closure *f = expander(n);
    em_array **cots = calloc((size_t)p->n_out + (size_t)p->n_in, sizeof *cots);
    em_array **res = cots ? cots + p->n_out : NULL;
    em_array_list *outs = em_array_list_new(), *vjps = em_array_list_new();
    em_status st = f && cots && outs && vjps ? EM_OK : em_error_code();
    for (int j = 0; j < p->n_out && st == EM_OK; j++) {
        em_dtype dt = p->ops[p->outs[j] - p->n_in].dtype;
        cots[j] = cot[j] ? em_array_retain(cot[j]) : em_zeros(p->shape, p->ndim, dt);
        if (!cots[j]) st = em_error_code();
    }
    if (st == EM_OK) st = em_vjp(f, in, (size_t)p->n_in, cots, (size_t)p->n_out, outs, vjps);
    if (st == EM_OK) st = take_list(vjps, p->n_in, res);
    for (int i = 0; i < p->n_in && res; i++) {
        if (st == EM_OK && want[i]) grads[i] = res[i];
        else em_array_release(res[i]);
    }
    for (int j = 0; cots && j < p->n_out; j++) em_array_release(cots[j]);
    free(cots);
    em_array_list_free(outs);
    em_array_list_free(vjps);
    em_closure_release(f);
    return st;
}

em_status ops_fused_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                        em_array *const *tan, em_array **out_tan) {
    (void)out;
    const fused_prog *p = prog_of(n);
    em_closure *f = expander(n);
    em_array **tans = calloc((size_t)p->n_in, sizeof *tans);
    em_array_list *outs = em_array_list_new(), *jvps = em_array_list_new();
    em_status st = f && tans && outs && jvps ? EM_OK : em_error_code();
    for (int i = 0; i < p->n_in && st == EM_OK; i++) {
        tans[i] = tan[i] ? em_array_retain(tan[i]) : em_zeros_like(in[i]);
        if (!tans[i]) st = em_error_code();
    }
    if (st == EM_OK) st = em_jvp(f, in, (size_t)p->n_in, tans, (size_t)p->n_in, outs, jvps);
    if (st == EM_OK) st = take_list(jvps, p->n_out, out_tan);
    for (int i = 0; tans && i < p->n_in; i++) em_array_release(tans[i]);
    free(tans);
    em_array_list_free(outs);
    em_array_list_free(jvps);
    em_closure_release(f);
    return st;
}

em_status ops_fused_vmap(const em_node *n, em_array *const *in, const int *axes,
                         em_array **out, int *out_axes) {
    const fused_prog *p = prog_of(n);
    em_closure *f = expander(n);
    em_array_list *outs = em_array_list_new();
    int *ax = NULL;
    em_status st = f && outs ? EM_OK : em_error_code();
    if (st == EM_OK) st = em_vmap_apply(f, in, (size_t)p->n_in, axes, outs, &ax);
    if (st == EM_OK) st = take_list(outs, p->n_out, out);
    for (int j = 0; j < p->n_out && st == EM_OK; j++) out_axes[j] = ax ? ax[j] : EM_VMAP_NONE;
    em_free(ax);
    em_array_list_free(outs);
    em_closure_release(f);
    return st;
}
