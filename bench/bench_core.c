/* bench_core.c -- ember's core benchmark: the machine's memory-bandwidth
 * ceiling (a plain C copy loop and a triad loop), float32 elementwise and
 * reduction throughput from 1 Ki to 16 Mi elements, float32 matmul GFLOP/s,
 * and the cost of recording one op into the graph.
 *
 * A benchmark measures; it is not a test. Each case is warmed up, then timed
 * in samples of at least --min-time seconds (several calls per sample for
 * small sizes) with clock_gettime(CLOCK_MONOTONIC); the median sample is
 * reported, per call. An ember call is what a user pays: recording the op,
 * evaluating it (the output allocated from the buffer cache) and releasing it.
 *
 * Output (read by bench/run.py): lines starting with '#' describe the
 * machine; every other line is one case, tab-separated:
 *   case  n  seconds_per_call  bytes_per_call  flops_per_call
 * (seconds is "nan" when the case failed; the error follows on a '#' line).
 *
 * Usage: bench_core [--case NAME N] [--list] [--info] [--min-time S] [--samples K]
 * With no --case, every case runs. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ember.h"

/* OpenBLAS's own queries (libopenblas, which ember links). Declared here
 * because cblas.h is not on the benchmark's include path. */
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);

static double min_time = 0.02; /* seconds per sample */
static int samples = 7;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A case: run(ctx) performs one call; returns 0, or -1 on failure. */
typedef int (*run_fn)(void *ctx);

/* Median seconds per call of fn, or NAN if a call failed. */
static double measure(run_fn fn, void *ctx) {
    /* warm up and calibrate: calls per sample so a sample lasts min_time */
    int64_t inner = 1;
    for (;;) {
        double t0 = now();
        for (int64_t i = 0; i < inner; i++)
            if (fn(ctx) != 0) return NAN;
        double dt = now() - t0;
        if (dt >= min_time || inner >= ((int64_t)1 << 40)) break;
        inner *= dt > 0 ? (int64_t)fmin(100.0, fmax(2.0, 1.5 * min_time / dt)) : 100;
    }
    double t[64];
    int k = samples < 64 ? samples : 64;
    for (int s = 0; s < k; s++) {
        double t0 = now();
        for (int64_t i = 0; i < inner; i++)
            if (fn(ctx) != 0) return NAN;
        t[s] = (now() - t0) / (double)inner;
    }
    qsort(t, (size_t)k, sizeof t[0], cmp_double);
    return t[k / 2];
}

/* ---------------------------------------------------------------- cases */

typedef struct bctx {
    int64_t n;
    float *x, *y, *z;         /* plain C buffers */
    em_array *a, *b;          /* ember inputs (evaluated) */
    em_array *(*unary)(const em_array *);
    em_array *(*binary)(const em_array *, const em_array *);
    volatile float sink;
} bctx;

static int run_copy(void *p) {
    bctx *c = p;
    float *restrict dst = c->z;
    const float *restrict src = c->x;
    for (int64_t i = 0; i < c->n; i++) dst[i] = src[i];
    c->sink = dst[c->n / 2];
    return 0;
}

static int run_triad(void *p) {
    bctx *c = p;
    float *restrict dst = c->z;
    const float *restrict u = c->x, *restrict v = c->y;
    const float s = 3.0f;
    for (int64_t i = 0; i < c->n; i++) dst[i] = u[i] + s * v[i];
    c->sink = dst[c->n / 2];
    return 0;
}

static int eval_release(em_array *r) {
    if (!r || em_eval1(r) != EM_OK) {
        em_array_release(r);
        return -1;
    }
    em_array_release(r);
    return 0;
}

static int run_binary(void *p) {
    bctx *c = p;
    return eval_release(c->binary(c->a, c->b));
}
static int run_unary(void *p) {
    bctx *c = p;
    return eval_release(c->unary(c->a));
}
static int run_sum(void *p) {
    bctx *c = p;
    return eval_release(em_sum(c->a, NULL, -1, false));
}
static int run_matmul(void *p) {
    bctx *c = p;
    return eval_release(em_matmul(c->a, c->b));
}
/* Recording only: build the node, then drop it unevaluated. */
static int run_record(void *p) {
    bctx *c = p;
    em_array *r = em_add(c->a, c->b);
    if (!r) return -1;
    em_array_release(r);
    return 0;
}

typedef enum { K_COPY, K_TRIAD, K_ADD, K_MUL, K_EXP, K_SUM, K_MATMUL, K_RECORD } kind;

typedef struct case_def {
    const char *name;
    kind k;
    int bytes_per_elem; /* memory traffic per element, float32 */
} case_def;

static const case_def cases[] = {
    {"copy_loop", K_COPY, 8},   {"triad_loop", K_TRIAD, 12}, {"add", K_ADD, 12},
    {"multiply", K_MUL, 12},    {"exp", K_EXP, 8},           {"sum", K_SUM, 4},
    {"matmul", K_MATMUL, 0},    {"record_add", K_RECORD, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

static const int64_t stream_sizes[] = {1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18,
                                       1 << 20, 1 << 22, 1 << 24};
static const int64_t matmul_sizes[] = {1024, 2048};

static float *filled(int64_t n, float base) {
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) return NULL;
    for (int64_t i = 0; i < n; i++) v[i] = base + (float)(i % 1000) * 1e-3f;
    return v;
}

/* Runs one case; prints its line. Returns 0, or -1 if it failed. */
static int run_case(const case_def *cd, int64_t n) {
    bctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    int64_t elems = cd->k == K_MATMUL ? n * n : n;
    double bytes = (double)cd->bytes_per_elem * (double)n, flops = 0;
    run_fn fn = NULL;
    c.x = filled(elems, 0.5f);
    c.y = filled(elems, -0.25f);
    c.z = filled(elems, 0.0f);
    if (!c.x || !c.y || !c.z) {
        printf("%s\t%lld\tnan\t0\t0\n# %s: out of memory\n", cd->name, (long long)n, cd->name);
        free(c.x), free(c.y), free(c.z);
        return -1;
    }
    if (cd->k != K_COPY && cd->k != K_TRIAD) {
        int64_t shape[2] = {n, n};
        int nd = cd->k == K_MATMUL ? 2 : 1;
        c.a = em_array_from_data(c.x, shape, nd, EM_FLOAT32);
        c.b = em_array_from_data(c.y, shape, nd, EM_FLOAT32);
    }
    switch (cd->k) {
    case K_COPY: fn = run_copy; break;
    case K_TRIAD: fn = run_triad; break;
    case K_ADD: fn = run_binary; c.binary = em_add; break;
    case K_MUL: fn = run_binary; c.binary = em_multiply; break;
    case K_EXP: fn = run_unary; c.unary = em_exp; break;
    case K_SUM: fn = run_sum; break;
    case K_MATMUL:
        fn = run_matmul;
        bytes = 3.0 * 4.0 * (double)n * (double)n;
        flops = 2.0 * (double)n * (double)n * (double)n;
        break;
    case K_RECORD: fn = run_record; break;
    }
    em_error_clear();
    double t = measure(fn, &c);
    printf("%s\t%lld\t%.6e\t%.0f\t%.0f\n", cd->name, (long long)n, t, bytes, flops);
    if (isnan(t)) printf("# %s: %s\n", cd->name, em_error_message());
    fflush(stdout);
    em_error_clear();
    em_array_release(c.a);
    em_array_release(c.b);
    em_clear_cache();
    free(c.x), free(c.y), free(c.z);
    return isnan(t) ? -1 : 0;
}

/* The sizes a case runs at by default. */
static size_t case_sizes(const case_def *cd, const int64_t **sizes) {
    if (cd->k == K_MATMUL) {
        *sizes = matmul_sizes;
        return sizeof matmul_sizes / sizeof matmul_sizes[0];
    }
    if (cd->k == K_RECORD) {
        *sizes = stream_sizes; /* the 1 Ki inputs: the size does not matter */
        return 1;
    }
    *sizes = stream_sizes;
    return sizeof stream_sizes / sizeof stream_sizes[0];
}

static void print_info(void) {
    const char *core = getenv("OPENBLAS_CORETYPE");
    printf("# ember %s\n", em_version());
    printf("# cpus_online %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf("# ember_threads %d (the CPU pool's threads, the caller included; EMBER_NUM_THREADS sets it)\n",
           em_get_num_threads());
    printf("# openblas_threads %d\n", openblas_get_num_threads());
    printf("# openblas_corename %s\n", openblas_get_corename());
    printf("# openblas_config %s\n", openblas_get_config());
    printf("# OPENBLAS_CORETYPE %s\n", core ? core : "(unset)");
    const char *vars[] = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        printf("# %s %s\n", vars[i], v ? v : "(unset)");
    }
    printf("# timing median_of %d samples, min_time %g s\n", samples, min_time);
    fflush(stdout);
}

static void usage(void) {
    fprintf(stderr, "usage: bench_core [--case NAME N] [--list] [--info] [--min-time S] [--samples K]\n");
}

int main(int argc, char **argv) {
    const char *only = NULL;
    int64_t only_n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--case") && i + 2 < argc) {
            only = argv[++i];
            only_n = strtoll(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) {
            min_time = strtod(argv[++i], NULL);
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = atoi(argv[++i]);
            if (samples < 1) samples = 1;
        } else if (!strcmp(argv[i], "--info")) {
            print_info();
            return 0;
        } else if (!strcmp(argv[i], "--list")) {
            for (size_t c = 0; c < NCASES; c++) {
                const int64_t *sz;
                size_t ns = case_sizes(&cases[c], &sz);
                for (size_t s = 0; s < ns; s++) printf("%s\t%lld\n", cases[c].name, (long long)sz[s]);
            }
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (only) {
        for (size_t c = 0; c < NCASES; c++)
            if (!strcmp(cases[c].name, only)) return run_case(&cases[c], only_n) ? 1 : 0;
        fprintf(stderr, "bench_core: no case named %s\n", only);
        return 2;
    }
    print_info();
    int failed = 0;
    for (size_t c = 0; c < NCASES; c++) {
        const int64_t *sz;
        size_t ns = case_sizes(&cases[c], &sz);
        for (size_t s = 0; s < ns; s++) failed |= run_case(&cases[c], sz[s]) != 0;
    }
    return failed;
}
