/* creation.c -- CPU kernels of the creation primitives: FULL (fill with a 0-d
 * input of the output's dtype), ARANGE, EYE and TRI. Outputs arrive with fresh
 * row-major buffers. Fills work on bytes, so one routine serves every dtype;
 * zero is all-bits-zero in every dtype. */
#include <string.h>

#include "kernels.h"
#include "pool.h"

/* Fills n elements of size sz at dst with the element at val. */
static void fill_bytes(char *dst, const void *val, size_t sz, int64_t n) {
    if (n <= 0) return;
    bool zero = true;
    for (size_t i = 0; i < sz && zero; i++) zero = ((const unsigned char *)val)[i] == 0;
    size_t total = (size_t)n * sz;
    if (zero || sz == 1) {
        memset(dst, zero ? 0 : *(const unsigned char *)val, total);
        return;
    }
    /* doubling copies: log2(n) memcpy calls */
    memcpy(dst, val, sz);
    size_t done = sz;
    while (done < total) {
        size_t k = done < total - done ? done : total - done;
        memcpy(dst + done, dst, k);
        done += k;
    }
}

/* The bytes of 1 in dtype dt (at most 16). */
static void one_of(em_dtype dt, unsigned char *buf) {
    memset(buf, 0, 16);
    dtype_store_double(dt, buf, 1.0);
}

typedef struct { char *dst; const void *val; size_t sz; } fill_job;

static void fill_part(void *v, int64_t b, int64_t e) {
    const fill_job *j = v;
    fill_bytes(j->dst + (size_t)b * j->sz, j->val, j->sz, e - b);
}

/* Large fills are split over the pool: the first touch of fresh pages is
 * most of their cost, and it parallelises. */
static em_status full(em_array *in, em_array *out) {
    fill_job j = {array_ptr(out), array_ptr(in), array_itemsize(out)};
    cpu_pool_parallel_for(out->size, 4 * CPU_GRAIN_ELEMS, fill_part, &j);
    return EM_OK;
}

/* Values start + i * step, computed as NumPy's fill does: in the dtype's own
 * arithmetic (float for float32 and the 16-bit floats and complex64, exact
 * int64 for integers, double for float64). The builder has already rounded
 * start and step to the dtype (see src/ops/creation.c). */
#define ARANGE_INT(E, s, T)                                                    \
    case E: {                                                                  \
        T *o = (T *)(void *)p;                                                 \
        uint64_t a = (uint64_t)(int64_t)start, d = (uint64_t)(int64_t)step;    \
        for (int64_t i = 0; i < n; i++) o[i] = (T)(int64_t)(a + (uint64_t)i * d); \
        return EM_OK;                                                          \
    }

static em_status arange(const em_node *nd, em_array *out) {
    const em_arange_params *prm = NODE_PARAMS(nd, em_arange_params);
    double start = prm->start, step = prm->step;
    int64_t n = out->size;
    char *p = array_ptr(out);
    float fs = (float)start, fd = (float)step;
    switch (out->dtype) {
        EM_DTYPES_INT(ARANGE_INT)
    /* The product is its own statement so that no compiler fuses it with
     * the sum into an fma (NumPy rounds twice). */
    case EM_FLOAT64:
        for (int64_t i = 0; i < n; i++) {
            double t = (double)i * step;
            ((double *)(void *)p)[i] = start + t;
        }
        return EM_OK;
    case EM_FLOAT32:
        for (int64_t i = 0; i < n; i++) {
            float t = (float)i * fd;
            ((float *)(void *)p)[i] = fs + t;
        }
        return EM_OK;
    case EM_FLOAT16:
        for (int64_t i = 0; i < n; i++) {
            float t = (float)i * fd;
            ((em_f16 *)(void *)p)[i] = em_f32_to_f16(fs + t);
        }
        return EM_OK;
    case EM_BFLOAT16:
        for (int64_t i = 0; i < n; i++) {
            float t = (float)i * fd;
            ((em_bf16 *)(void *)p)[i] = em_f32_to_bf16(fs + t);
        }
        return EM_OK;
    case EM_COMPLEX64:
        for (int64_t i = 0; i < n; i++) {
            float t = (float)i * fd;
            ((em_c64 *)(void *)p)[i] = fs + t;
        }
        return EM_OK;
    default: return cpu_unsupported(nd, out->dtype);
    }
}
#undef ARANGE_INT

/* Ones at (i, i + k), zeros elsewhere. */
static em_status eye(const em_node *nd, em_array *out) {
    int64_t k = NODE_PARAMS(nd, em_diag_params)->k;
    int64_t n = out->shape[0], m = out->shape[1];
    size_t sz = array_itemsize(out);
    char *p = array_ptr(out);
    if (out->size == 0) return EM_OK;
    memset(p, 0, (size_t)out->size * sz);
    if (k >= m || k <= -n) return EM_OK;
    unsigned char one[16];
    one_of(out->dtype, one);
    int64_t lo = k < 0 ? -k : 0, hi = m - k < n ? m - k : n; /* rows with a one */
    for (int64_t i = lo; i < hi; i++) memcpy(p + (size_t)(i * m + i + k) * sz, one, sz);
    return EM_OK;
}

/* Row i holds ones in columns j <= i + k. */
static em_status tri(const em_node *nd, em_array *out) {
    int64_t k = NODE_PARAMS(nd, em_diag_params)->k;
    int64_t n = out->shape[0], m = out->shape[1];
    size_t sz = array_itemsize(out);
    char *p = array_ptr(out);
    if (out->size == 0) return EM_OK;
    unsigned char one[16];
    one_of(out->dtype, one);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = k >= m ? m : i + k + 1; /* no overflow: k < m here */
        c = c < 0 ? 0 : c > m ? m : c;
        char *row = p + (size_t)(i * m) * sz;
        fill_bytes(row, one, sz, c);
        memset(row + (size_t)c * sz, 0, (size_t)(m - c) * sz);
    }
    return EM_OK;
}

em_status cpu_creation_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_FULL: return full(in[0], out[0]);
    case EM_PRIM_ARANGE: return arange(n, out[0]);
    case EM_PRIM_EYE: return eye(n, out[0]);
    case EM_PRIM_TRI: return tri(n, out[0]);
    default: return cpu_unsupported(n, out[0]->dtype);
    }
}
