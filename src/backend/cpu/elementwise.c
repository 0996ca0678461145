/* elementwise.c -- the shared driver of the elementwise kernels and the
 * float16/bfloat16-through-float32 block loop. */
#include "../../core/error.h"
#include "elementwise.h"
#include "pool.h"
#include "simd.h"

em_status cpu_elementwise_mismatch(const em_node *n, em_dtype in, em_dtype out) {
    return error_status(EM_ERR_RUNTIME, "[%s] Internal error: no kernel from %s to %s.",
                        em_primitives[n->prim].name, em_dtype_name(in), em_dtype_name(out));
}

typedef struct {
    int nops;
    char *p[CPU_MAX_OPS];
    int64_t s[CPU_MAX_OPS];
    cpu_inner_fn fn;
    const void *ctx;
} contig_job;

static void contig_part(void *v, int64_t b, int64_t e) {
    const contig_job *j = v;
    char *q[CPU_MAX_OPS];
    for (int k = 0; k < j->nops; k++) q[k] = j->p[k] + b * j->s[k];
    j->fn(q, j->s, e - b, j->ctx);
}

void cpu_elementwise_run(int nops, em_array *const *ops, cpu_inner_fn fn, const void *ctx) {
    cpu_elementwise_run_grain(nops, ops, fn, ctx, CPU_GRAIN_ELEMS);
}

void cpu_elementwise_run_grain(int nops, em_array *const *ops, cpu_inner_fn fn, const void *ctx,
                               int64_t grain) {
    int64_t n = ops[0]->size;
    if (n == 0) return;
    bool contig = true;
    for (int k = 0; k < nops; k++) contig = contig && (ops[k]->flags & EM_AF_ROW_CONTIG);
    if (contig) {
        contig_job j = {.nops = nops, .fn = fn, .ctx = ctx};
        for (int k = 0; k < nops; k++) {
            j.p[k] = array_ptr(ops[k]);
            j.s[k] = (int64_t)array_itemsize(ops[k]);
        }
        cpu_pool_parallel_for(n, grain, contig_part, &j);
        return;
    }
    cpu_iter it;
    cpu_iter_init(&it, nops, ops);
    cpu_iter_run_parallel(&it, fn, ctx);
}

void cpu_elementwise_widen_half(em_dtype dt, const char *src, int64_t st, float *dst, int64_t k) {
    const cpu_simd_table *t = cpu_simd_active();
    if (st == 2 && t) {
        (dt == EM_FLOAT16 ? t->f16_to_f32 : t->bf16_to_f32)((const uint16_t *)src, dst, k);
    } else if (dt == EM_FLOAT16) {
        for (int64_t i = 0; i < k; i++) dst[i] = em_f16_to_f32(*(const em_f16 *)(src + i * st));
    } else {
        for (int64_t i = 0; i < k; i++) dst[i] = em_bf16_to_f32(*(const em_bf16 *)(src + i * st));
    }
}

void cpu_elementwise_narrow_half(em_dtype dt, const float *src, char *dst, int64_t st, int64_t k) {
    const cpu_simd_table *t = cpu_simd_active();
    if (st == 2 && t) {
        (dt == EM_FLOAT16 ? t->f32_to_f16 : t->f32_to_bf16)(src, (uint16_t *)dst, k);
    } else if (dt == EM_FLOAT16) {
        for (int64_t i = 0; i < k; i++) *(em_f16 *)(dst + i * st) = em_f32_to_f16(src[i]);
    } else {
        for (int64_t i = 0; i < k; i++) *(em_bf16 *)(dst + i * st) = em_f32_to_bf16(src[i]);
    }
}

void cpu_elementwise_half_loop(char **p, const int64_t *s, int64_t n, const void *vctx) {
    const cpu_half_ctx *h = vctx;
    float in[2][CPU_BLOCK], res[CPU_BLOCK];
    bool half_out = h->out != EM_BOOL;
    for (int64_t off = 0; off < n; off += CPU_BLOCK) {
        int64_t k = n - off < CPU_BLOCK ? n - off : CPU_BLOCK;
        char *q[3];
        int64_t qs[3];
        for (int j = 0; j < h->nin; j++) {
            if (s[1 + j] == 0) {
                cpu_elementwise_widen_half(h->in, p[1 + j], 0, in[j], 1);
                qs[1 + j] = 0;
            } else {
                cpu_elementwise_widen_half(h->in, p[1 + j] + off * s[1 + j], s[1 + j], in[j], k);
                qs[1 + j] = sizeof(float);
            }
            q[1 + j] = (char *)in[j];
        }
        if (half_out) {
            q[0] = (char *)res;
            qs[0] = sizeof(float);
        } else {
            q[0] = p[0] + off * s[0];
            qs[0] = s[0];
        }
        h->f32(q, qs, k, h->ctx);
        if (half_out) cpu_elementwise_narrow_half(h->out, res, p[0] + off * s[0], s[0], k);
    }
}
