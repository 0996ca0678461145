/* random.c -- keys and raw bits: the RANDOM_BITS primitive (Threefry-2x32,
 * kernel in src/backend/cpu/random.c), key/split/seed/state, the global key,
 * and the primitive's transform rules. The distributions built on bits are
 * in random_dist.c. Messages follow MLX. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "random.h"
#include "rules.h"
#include "../transforms/vmap.h"

/* ---------------------------------------------------------------- the global key */

/* MLX's KeySequence: one key, replaced by the first half of its split on every
 * draw. Guarded, since ops may be built on several threads. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static em_array *g_key;

static uint64_t clock_seed(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static em_array *make_key(uint64_t seed) {
    uint32_t k[2] = {(uint32_t)(seed >> 32), (uint32_t)seed};
    int64_t two = 2;
    return em_array_from_data(k, &two, 1, EM_UINT32);
}

/* Called with g_lock held, inside an op (so nothing reaches a scope). */
static bool ensure_key(void) {
    if (!g_key) g_key = make_key(clock_seed());
    return g_key != NULL;
}

/* The two halves of split(key): writes new references to *first, *second. */
static em_status split_pair(const em_array *key, em_array **first, em_array **second) {
    *first = *second = NULL;
    em_array *keys = em_random_split(key, 2);
    if (!keys) return em_error_code();
    int64_t two = 2;
    em_array *a = rules_slice_axis(keys, 0, 0, 1), *b = rules_slice_axis(keys, 0, 1, 1);
    *first = a ? ops_reshape(a, &two, 1) : NULL;
    *second = b ? ops_reshape(b, &two, 1) : NULL;
    em_array_release(a);
    em_array_release(b);
    em_array_release(keys);
    if (*first && *second) return EM_OK;
    em_array_release(*first);
    em_array_release(*second);
    *first = *second = NULL;
    return em_error_code();
}

em_array *random_next_key(void) {
    pthread_mutex_lock(&g_lock);
    em_array *next = NULL, *used = NULL;
    if (ensure_key() && split_pair(g_key, &next, &used) == EM_OK) {
        em_array_release(g_key);
        g_key = next;
    }
    pthread_mutex_unlock(&g_lock);
    return used;
}

em_array *random_key_or_next(const em_array *key) {
    return key ? em_array_retain((em_array *)key) : random_next_key();
}

EM_API void em_random_seed(uint64_t seed) {
    scope_op_depth++; /* the new key belongs to the module, never to a scope */
    em_array *k = make_key(seed);
    scope_op_depth--;
    if (!k) return;
    pthread_mutex_lock(&g_lock);
    em_array *old = g_key;
    g_key = k;
    pthread_mutex_unlock(&g_lock);
    em_array_release(old);
}

EM_PUBLIC_OP(em_random_state, (void), ()) {
    pthread_mutex_lock(&g_lock);
    em_array *k = ensure_key() ? em_array_retain(g_key) : NULL;
    pthread_mutex_unlock(&g_lock);
    return k;
}

/* Leak checkers see the global key freed at exit. */
__attribute__((destructor)) static void random_fini(void) {
    em_array_release(g_key);
    g_key = NULL;
}

/* ---------------------------------------------------------------- key, split, bits */

EM_PUBLIC_OP(em_random_key, (uint64_t seed), (seed)) { return make_key(seed); }

bool random_check_key(const em_array *key) {
    if (key->dtype != EM_UINT32) {
        error_set(EM_ERR_VALUE, "[bits] Expected key type uint32 but received %s.",
                  em_dtype_name(key->dtype));
        return false;
    }
    if (key->ndim != 1 || key->shape[0] != 2) {
        char buf[256];
        error_set(EM_ERR_VALUE, "[bits] Expected key shape (2) but received %s.",
                  shape_str(key->shape, key->ndim, buf, sizeof buf));
        return false;
    }
    return true;
}

static em_dtype width_dtype(int width) {
    return width == 1 ? EM_UINT8 : width == 2 ? EM_UINT16 : EM_UINT32;
}

/* The node itself: key of shape K + (2,), output K + shape. No checks. */
static em_array *bits_node(const em_array *key, const int64_t *shape, int ndim, int width) {
    int64_t oshape[EM_MAX_NDIM];
    int kb = key->ndim - 1;
    if (kb + ndim > EM_MAX_NDIM)
        return error_set(EM_ERR_VALUE, "[bits] Arrays may have at most %d dimensions.", EM_MAX_NDIM);
    memcpy(oshape, key->shape, (size_t)kb * sizeof *oshape);
    if (ndim > 0) memcpy(oshape + kb, shape, (size_t)ndim * sizeof *oshape);
    if (!ops_check_shape("bits", oshape, kb + ndim, width_dtype(width))) return NULL;
    em_random_bits_params p;
    memset(&p, 0, sizeof p);
    p.width = width;
    em_array *in = (em_array *)key;
    return node_make(EM_PRIM_RANDOM_BITS, &p, sizeof p, &in, 1, width_dtype(width), oshape, kb + ndim);
}

EM_PUBLIC_OP(em_random_bits, (const int64_t *shape, int ndim, int width, const em_array *key),
             (shape, ndim, width, key)) {
    if (width != 1 && width != 2 && width != 4)
        return error_set(EM_ERR_VALUE, "[bits] Bit width must be in {1, 2, 4} but got %d.", width);
    if (!ops_check_shape("bits", shape, ndim, width_dtype(width))) return NULL;
    if (key && !random_check_key(key)) return NULL;
    em_array *k = random_key_or_next(key);
    em_array *r = k ? bits_node(k, shape, ndim, width) : NULL;
    em_array_release(k);
    return r;
}

EM_PUBLIC_OP(em_random_split, (const em_array *key, int num), (key, num)) {
    EM_CHECK_ARG("split", key);
    int64_t shape[2] = {num, 2};
    return em_random_bits(shape, 2, 4, key);
}

/* ---------------------------------------------------------------- rules */

/* The bits do not vary with the key continuously: no gradient, no tangent. */
em_status ops_random_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    (void)n, (void)in, (void)out, (void)cot, (void)want, (void)grads;
    return EM_OK;
}

em_status ops_random_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    (void)n, (void)in, (void)out, (void)tan, (void)out_tan;
    return EM_OK;
}

/* A mapped key (B, K..., 2) gives outputs (B, K..., S...): the batch moves to
 * the front of the key (it may sit anywhere, even after the pair axis) and
 * the node is rebuilt with the same S. */
em_status ops_random_vmap(const em_node *n, em_array *const *in, const int *axes, em_array **out,
                          int *out_axes) {
    const em_array *traced = vmap_traced_out(n, 0);
    int kb = in[0]->ndim - 2; /* the traced key's batch dims */
    em_array *k = vmap_move(in[0], axes[0], 0, 0);
    int ns = traced->ndim - kb;
    out[0] = k ? bits_node(k, traced->shape + kb, ns, NODE_PARAMS(n, em_random_bits_params)->width) : NULL;
    out_axes[0] = 0;
    em_array_release(k);
    return rule_status(out[0]);
}
