/* vmap_util.h -- the harness of the vmap tests: random arrays, element b of
 * an array along an axis, exact/close comparison, vmap of an op versus the
 * loop over its mapped axis, and a checker that tries every way of mapping
 * an op's inputs. */
#ifndef EM_TESTS_VMAP_UTIL_H
#define EM_TESTS_VMAP_UTIL_H

#include <stdint.h>

#include "check.h"

#define SH(...) ((int64_t[]){__VA_ARGS__})
#define AX(...) ((int[]){__VA_ARGS__})
#define ARR(...) ((em_array *[]){__VA_ARGS__})
#define NONE EM_VMAP_NONE

/* ---------------------------------------------------------------- data */

static uint64_t rng_state = 88172645463325252ULL;
static inline double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* An evaluated array of `dtype` with values in [lo, hi) (integers: rounded
 * down; bool: half true). */
static inline em_array *rand_array(const int64_t *shape, int ndim, em_dtype dtype, double lo, double hi) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
        double u = lo + (hi - lo) * uniform();
        v[i] = dtype == EM_BOOL ? (u > (lo + hi) / 2) : em_dtype_kind_of(dtype) == EM_KIND_FLOAT ? u : floor(u);
    }
    em_array *d = em_array_from_data(v, shape, ndim, EM_FLOAT64);
    em_array *a = em_astype(d, dtype);
    em_eval1(a);
    em_array_release(d);
    free(v);
    return a;
}

static inline em_array *randf(const int64_t *shape, int ndim) { return rand_array(shape, ndim, EM_FLOAT32, -2, 2); }

/* elem's shape with `size` inserted at axis (-1: elem's shape). */
static inline int batched_shape(const int64_t *elem, int nd, int axis, int64_t size, int64_t *out) {
    if (axis < 0) {
        memcpy(out, elem, (size_t)nd * sizeof *out);
        return nd;
    }
    for (int i = 0, k = 0; i <= nd; i++) out[i] = i == axis ? size : elem[k++];
    return nd + 1;
}

/* Element b of x along axis (a view without that axis). */
static inline em_array *take(const em_array *x, int axis, int64_t b) {
    int nd = em_array_ndim(x);
    int64_t start[EM_MAX_NDIM], stop[EM_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        start[i] = i == axis ? b : 0;
        stop[i] = i == axis ? b + 1 : em_array_shape(x)[i];
    }
    em_array *s = em_slice(x, start, stop, NULL, nd);
    em_array *r = em_squeeze(s, &axis, 1);
    em_array_release(s);
    return r;
}

/* ---------------------------------------------------------------- comparing */

/* got equals want: shape, dtype and values (floats within rtol, NaN = NaN). */
static inline int same_array(em_array *got, em_array *want, double rtol) {
    if (!got || !want) {
        fprintf(stderr, "  got %p want %p (%s)\n", (void *)got, (void *)want, em_error_message());
        return 0;
    }
    if (em_array_dtype(got) != em_array_dtype(want) ||
        !check_shape(got, em_array_ndim(want), em_array_shape(want))) {
        fprintf(stderr, "  dtype %s/%s ndim %d/%d\n", em_dtype_name(em_array_dtype(got)),
                em_array_dtype(want) < EM_NUM_DTYPES ? em_dtype_name(em_array_dtype(want)) : "?",
                em_array_ndim(got), em_array_ndim(want));
        return 0;
    }
    size_t n = (size_t)em_array_size(want);
    bool cplx = em_array_dtype(want) == EM_COMPLEX64;
    size_t m = cplx ? 2 * n : n;
    double *g = malloc((m ? m : 1) * sizeof *g), *w = malloc((m ? m : 1) * sizeof *w);
    int ok = 1;
    if (cplx) {
        float *gf = malloc((m ? m : 1) * sizeof *gf), *wf = malloc((m ? m : 1) * sizeof *wf);
        ok = em_array_copy_to(got, EM_COMPLEX64, gf, m * sizeof *gf) == EM_OK &&
             em_array_copy_to(want, EM_COMPLEX64, wf, m * sizeof *wf) == EM_OK;
        for (size_t i = 0; i < m; i++) g[i] = gf[i], w[i] = wf[i];
        free(gf);
        free(wf);
    } else {
        ok = em_array_copy_to(got, EM_FLOAT64, g, m * sizeof *g) == EM_OK &&
             em_array_copy_to(want, EM_FLOAT64, w, m * sizeof *w) == EM_OK;
    }
    if (!ok) fprintf(stderr, "  copy failed: %s\n", em_error_message());
    for (size_t i = 0; ok && i < m; i++) {
        bool eq = g[i] == w[i] || (isnan(g[i]) && isnan(w[i])) ||
                  fabs(g[i] - w[i]) <= rtol * (1 + fabs(w[i]));
        if (!eq) {
            fprintf(stderr, "  element %zu: got %.9g want %.9g\n", i, g[i], w[i]);
            ok = 0;
        }
    }
    free(g);
    free(w);
    return ok;
}

/* ---------------------------------------------------------------- closures */

typedef em_array *(*opfn)(em_array *const *in, const void *arg);
typedef struct { opfn f; const void *arg; } op_ctx;

static inline em_status op_call(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    const op_ctx *c = ctx;
    em_array *r = c->f(in, c->arg);
    em_status s = r ? em_array_list_push(out, r) : em_error_code();
    em_array_release(r);
    return s;
}

/* vmap(f)(in) with one output, or NULL with the error set. */
static inline em_array *run_vmap(opfn f, const void *arg, em_array *const *in, int n, const int *in_axes,
                          int out_axis) {
    op_ctx c = {f, arg};
    em_closure *fc = em_closure_new(op_call, &c, NULL);
    em_closure *v = em_vmap(fc, in_axes, (size_t)n, &out_axis, 1);
    em_array_list *out = em_array_list_new();
    em_array *r = NULL;
    if (v && em_closure_call(v, in, (size_t)n, out) == EM_OK)
        r = em_array_retain(em_array_list_get(out, 0));
    em_array_list_free(out);
    em_closure_release(v);
    em_closure_release(fc);
    return r;
}

/* The loop: f on each element, stacked along out_axis. */
static inline em_array *run_loop(opfn f, const void *arg, em_array *const *in, int n, const int *in_axes,
                          int out_axis) {
    int64_t size = -1;
    for (int i = 0; i < n; i++)
        if (in_axes[i] >= 0) size = em_array_shape(in[i])[in_axes[i]];
    em_array **res = calloc((size_t)(size > 0 ? size : 1), sizeof *res);
    em_array **el = calloc((size_t)n, sizeof *el);
    bool ok = true;
    for (int64_t b = 0; b < size && ok; b++) {
        for (int i = 0; i < n; i++)
            el[i] = in_axes[i] >= 0 ? take(in[i], in_axes[i], b) : em_array_retain(in[i]);
        res[b] = f(el, arg);
        ok = res[b] != NULL;
        for (int i = 0; i < n; i++) em_array_release(el[i]);
    }
    free(el);
    em_array *r = ok && size > 0 ? em_stack((const em_array *const *)res, (size_t)size, out_axis) : NULL;
    for (int64_t b = 0; b < size; b++) em_array_release(res[b]);
    free(res);
    return r;
}

static inline void check_case(const char *name, opfn f, const void *arg, em_array *const *in, int n,
                       const int *in_axes, int out_axis, double rtol) {
    em_error_clear();
    em_array *got = run_vmap(f, arg, in, n, in_axes, out_axis);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", got ? "" : em_error_message());
    em_error_clear();
    em_array *want = run_loop(f, arg, in, n, in_axes, out_axis);
    CHECK_MSG(got && same_array(got, want, rtol), "%s (in_axes %d %d %d, out %d) %s", name,
              in_axes[0], n > 1 ? in_axes[1] : 9, n > 2 ? in_axes[2] : 9, out_axis, msg);
    em_array_release(got);
    em_array_release(want);
    em_error_clear();
}

/* Checks f of n inputs with element shapes elem[i] (rank nd[i]) of dtype
 * dts[i], for every way of mapping them (each along every axis or not at
 * all, at least one mapped) with batch 3, and out axes 0 and last. */
static inline void check_all_axes(const char *name, opfn f, const void *arg, int n,
                           const int64_t *const *elem, const int *nd, const em_dtype *dts,
                           double lo, double hi, double rtol) {
    int choice[4] = {0, 0, 0, 0}, limit[4];
    for (int i = 0; i < n; i++) limit[i] = nd[i] + 2; /* -1 .. nd */
    for (;;) {
        int axes[4];
        bool any = false;
        for (int i = 0; i < n; i++) {
            axes[i] = choice[i] - 1;
            any = any || axes[i] >= 0;
        }
        if (any) {
            em_array *in[4];
            for (int i = 0; i < n; i++) {
                int64_t s[EM_MAX_NDIM];
                int k = batched_shape(elem[i], nd[i], axes[i], 3, s);
                in[i] = rand_array(s, k, dts[i], lo, hi);
            }
            /* the output's rank: from f on one element */
            em_array *el[4];
            for (int i = 0; i < n; i++) el[i] = axes[i] >= 0 ? take(in[i], axes[i], 0) : em_array_retain(in[i]);
            em_array *one = f(el, arg);
            int ond = one ? em_array_ndim(one) : 0;
            em_array_release(one);
            em_error_clear();
            for (int i = 0; i < n; i++) em_array_release(el[i]);
            check_case(name, f, arg, in, n, axes, 0, rtol);
            if (ond > 0) check_case(name, f, arg, in, n, axes, ond, rtol);
            for (int i = 0; i < n; i++) em_array_release(in[i]);
        }
        int i = 0;
        while (i < n && ++choice[i] == limit[i]) choice[i++] = 0;
        if (i == n) break;
    }
}

#endif
