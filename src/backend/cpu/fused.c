/* fused.c -- the CPU kernel of FUSED (src/ops/fused.h): the program's ops run
 * block by block, each block of every intermediate staying in cache, with the
 * same inner loops as the unfused kernels (so the results are bit for bit
 * theirs). Blocks are split over the thread pool. */
#include <stdlib.h>
#include <string.h>

#include "../../core/alloc.h"
#include "../../core/error.h"
#include "../../ops/fused.h"
#include "elementwise.h"
#include "kernels.h"
#include "loops.h"
#include "pool.h"

enum { BLOCK_BYTES = 8192, MAX_REGS = 64 };

cpu_inner_fn cpu_fused_loop(em_prim_id prim, const em_dtype *args, int n_args, em_dtype out,
                            const void *params, cpu_loop_storage *storage, const void **ctx) {
    unsigned f = em_primitives[prim].flags;
    em_dtype got = EM_NUM_DTYPES;
    cpu_inner_fn fn = NULL;
    *ctx = params;
    if (prim == EM_PRIM_ASTYPE && n_args == 1) {
        *ctx = storage;
        return cpu_cast_loop(args[0], out, storage);
    }
    if (n_args == 1 && (f & EM_PF_UNARY)) fn = cpu_unary_loop(prim, args[0], &got);
    else if (n_args == 2 && (f & EM_PF_BINARY) && args[0] == args[1]) fn = cpu_binary_loop(prim, args[0], &got);
    else if (n_args == 3 && prim == EM_PRIM_SELECT && args[0] == EM_BOOL && args[1] == args[2])
        fn = cpu_select_loop(args[1]), got = args[1];
    return got == out ? fn : NULL;
}

typedef struct {
    const fused_prog *p;
    cpu_inner_fn fn[MAX_REGS];
    const void *ctx[MAX_REGS];
    cpu_loop_storage storage[MAX_REGS];
    char *base[MAX_REGS];     /* inputs and outputs: their data; NULL: a block temporary */
    int64_t size[MAX_REGS];   /* item sizes */
    bool scalar[MAX_REGS];
    int64_t period[MAX_REGS]; /* > 0: an input that repeats every `period` elements */
    int64_t n, block;
    atomic_bool failed;
} fused_job;

static void run_blocks(void *v, int64_t b, int64_t e) {
    fused_job *J = v;
    const fused_prog *p = J->p;
    int nr = p->n_in + p->n_ops;
    size_t tmp_bytes = 0;
    for (int r = 0; r < nr; r++)
        if (!J->base[r] || J->period[r]) tmp_bytes += (size_t)(J->block * J->size[r]);
    char *tmp = tmp_bytes ? alloc_bytes(tmp_bytes) : NULL;
    if (tmp_bytes && !tmp) {
        atomic_store(&J->failed, true);
        return;
    }
    char *t[MAX_REGS];
    size_t off = 0;
    for (int r = 0; r < nr; r++) {
        t[r] = J->base[r] && !J->period[r] ? NULL : tmp + off;
        if (t[r]) off += (size_t)(J->block * J->size[r]);
    }
    for (int64_t blk = b; blk < e; blk++) {
        int64_t start = blk * J->block, k = J->n - start < J->block ? J->n - start : J->block;
        char *in_block[MAX_REGS];
        for (int r = 0; r < p->n_in; r++) {
            in_block[r] = J->base[r] + (J->scalar[r] ? 0 : start * J->size[r]);
            if (!J->period[r]) continue;
            /* a repeating input: the block is a piece of one period, or
             * gathered from several (a bias row under a matrix) */
            int64_t T = J->period[r], pos = start % T, sz = J->size[r];
            if (pos + k <= T) {
                in_block[r] = J->base[r] + pos * sz;
                continue;
            }
            for (int64_t done = 0; done < k; pos = 0) {
                int64_t len = k - done < T - pos ? k - done : T - pos;
                memcpy(t[r] + done * sz, J->base[r] + pos * sz, (size_t)(len * sz));
                done += len;
            }
            in_block[r] = t[r];
        }
        for (int o = 0; o < p->n_ops; o++) {
            const fused_op *op = &p->ops[o];
            char *ptr[4];
            int64_t st[4];
            for (int a = 0; a <= op->n_args; a++) {
                int r = a == 0 ? p->n_in + o : op->args[a - 1];
                if (r < p->n_in) {
                    ptr[a] = in_block[r];
                    st[a] = J->scalar[r] ? 0 : J->size[r];
                } else {
                    ptr[a] = J->base[r] ? J->base[r] + start * J->size[r] : t[r];
                    st[a] = J->size[r];
                }
            }
            J->fn[o](ptr, st, k, J->ctx[o]);
        }
    }
    if (tmp) alloc_free(tmp, tmp_bytes);
}

/* For x broadcast along its leading axes from a row-contiguous block of its
 * trailing ones (strides 0, then row-major): that block's size, the period
 * with which x's elements repeat in row-major order; 0 for any other layout. */
static int64_t period_of(const em_array *x) {
    int64_t T = 1;
    int d = x->ndim - 1;
    for (; d >= 0; d--) {
        if (x->shape[d] == 1) continue;
        if (x->strides[d] != T) break;
        T *= x->shape[d];
    }
    for (; d >= 0; d--)
        if (x->shape[d] != 1 && x->strides[d] != 0) return 0;
    return T < x->size ? T : 0;
}

em_status cpu_fused_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    const fused_prog *p = NODE_PARAMS(n, em_fused_params)->prog;
    int nr = p->n_in + p->n_ops;
    if (nr > MAX_REGS || n->n_in != p->n_in || n->n_out != p->n_out)
        return error_status(EM_ERR_RUNTIME, "[Compiled] Internal error: a malformed program.");
    fused_job *J = calloc(1, sizeof *J);
    em_array *copies[MAX_REGS] = {0};
    if (!J) return error_status(EM_ERR_MEMORY, "[Compiled] Out of memory.");
    J->p = p;
    J->n = out[0]->size;
    em_status st = EM_OK;
    em_dtype dt[MAX_REGS];
    int64_t widest = 1;
    for (int i = 0; i < p->n_in && st == EM_OK; i++) {
        const em_array *x = in[i];
        dt[i] = x->dtype;
        J->size[i] = (int64_t)array_itemsize(x);
        J->scalar[i] = p->scalar[i];
        if (p->scalar[i] ? x->size != 1 && x->data_size != 1 : x->size != J->n) {
            st = error_status(EM_ERR_RUNTIME, "[Compiled] Internal error: an input of the wrong size.");
            break;
        }
        if (!p->scalar[i] && !(x->flags & EM_AF_ROW_CONTIG) && (J->period[i] = period_of(x)) == 1) {
            J->period[i] = 0; /* one element, broadcast */
            J->scalar[i] = true;
        }
        if (!J->scalar[i] && !(x->flags & EM_AF_ROW_CONTIG) && J->period[i] == 0) {
            /* another strided view: the blocks read a row-contiguous copy */
            copies[i] = array_new("Compiled", x->dtype, x->shape, x->ndim);
            if (!copies[i] || array_alloc_data(copies[i]) != EM_OK) {
                st = em_error_code();
                break;
            }
            cpu_copy_strided(x, copies[i]);
            x = copies[i];
        }
        J->base[i] = (char *)array_ptr(x);
    }
    for (int o = 0; o < p->n_ops && st == EM_OK; o++) {
        const fused_op *op = &p->ops[o];
        em_dtype args[3], got = op->dtype;
        for (int a = 0; a < op->n_args; a++) args[a] = dt[op->args[a]];
        J->fn[o] = cpu_fused_loop(op->prim, args, op->n_args, op->dtype, op->params, &J->storage[o],
                                  &J->ctx[o]);
        if (!J->fn[o]) {
            st = error_status(EM_ERR_RUNTIME, "[Compiled] Internal error: no kernel for %s.",
                              em_primitives[op->prim].name);
            break;
        }
        dt[p->n_in + o] = got;
        J->size[p->n_in + o] = (int64_t)em_dtype_size(got);
        if (J->size[p->n_in + o] > widest) widest = J->size[p->n_in + o];
    }
    for (int j = 0; j < p->n_out && st == EM_OK; j++) {
        if (!out[j]) continue;
        if (out[j]->size != J->n || out[j]->dtype != dt[p->outs[j]] || !(out[j]->flags & EM_AF_ROW_CONTIG)) {
            st = error_status(EM_ERR_RUNTIME, "[Compiled] Internal error: an output of the wrong layout.");
            break;
        }
        J->base[p->outs[j]] = (char *)array_ptr(out[j]);
    }
    if (st == EM_OK && J->n > 0) {
        J->block = BLOCK_BYTES / widest;
        int64_t nblocks = (J->n + J->block - 1) / J->block;
        int64_t grain = CPU_GRAIN_ELEMS / J->block;
        cpu_pool_parallel_for(nblocks, grain > 0 ? grain : 1, run_blocks, J);
        if (atomic_load(&J->failed)) st = error_status(EM_ERR_MEMORY, "[Compiled] Out of memory.");
    }
    for (int i = 0; i < p->n_in; i++) em_array_release(copies[i]);
    free(J);
    return st;
}
