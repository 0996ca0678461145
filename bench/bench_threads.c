/* bench_threads.c -- intra-op threading: ember's add, exp and sum over float32
 * arrays with 1 and T threads (em_set_num_threads) next to a plain C copy loop
 * run on 1 and T threads, in the same process; and the buffer cache: 100
 * iterations of (a * 2 + 1).sum() on 64 MiB arrays, with the cache on and off.
 *
 * Usage: bench_threads [n] [T]     (defaults: 16 Mi elements, 2 threads)
 * Prints tab-separated lines: case, threads, n, seconds (best of several
 * runs), GB/s (bytes read + written per second). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ember.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---------------------------------------------------------------- copy loop */

typedef struct { const float *src; float *dst; int64_t n; } copy_part;

static void *copy_thread(void *v) {
    copy_part *p = v;
    for (int64_t i = 0; i < p->n; i++) p->dst[i] = p->src[i];
    return NULL;
}

/* The best time of a copy of n floats split over T threads (threads are
 * started per run, as an OpenMP-less program would; their start-up is a few
 * tens of microseconds, small next to 16 Mi elements). */
static double time_copy(const float *src, float *dst, int64_t n, int T, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        pthread_t th[64];
        copy_part parts[64];
        double t0 = now();
        for (int k = 0; k < T; k++) {
            int64_t b = n * k / T, e = n * (k + 1) / T;
            parts[k] = (copy_part){src + b, dst + b, e - b};
            if (k > 0) pthread_create(&th[k], NULL, copy_thread, &parts[k]);
        }
        copy_thread(&parts[0]);
        for (int k = 1; k < T; k++) pthread_join(th[k], NULL);
        double t = now() - t0;
        if (t < best) best = t;
    }
    return best;
}

/* ---------------------------------------------------------------- ember */

enum { ADD, EXP, SUM };

static double time_op(int op, em_array *a, em_array *b, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        em_array *y = op == ADD ? em_add(a, b) : op == EXP ? em_exp(a) : em_sum(a, NULL, -1, false);
        if (em_eval1(y) != EM_OK) {
            fprintf(stderr, "eval failed: %s\n", em_error_message());
            exit(1);
        }
        double t = now() - t0;
        em_array_release(y);
        if (t < best) best = t;
    }
    return best;
}

static long minor_faults(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

/* 100 iterations of (a * 2 + 1).sum(); returns seconds, sets *faults. */
static double time_chain(em_array *a, int iters, long *faults) {
    em_array *two = em_array_from_double(2.0, EM_FLOAT32);
    em_array *one = em_array_from_double(1.0, EM_FLOAT32);
    long f0 = minor_faults();
    double t0 = now();
    for (int i = 0; i < iters; i++) {
        em_array *m = em_multiply(a, two), *p = em_add(m, one), *s = em_sum(p, NULL, -1, false);
        em_array_release(m);
        em_array_release(p);
        double v;
        if (em_array_item_double(s, &v) != EM_OK) exit(1);
        em_array_release(s);
    }
    double t = now() - t0;
    *faults = minor_faults() - f0;
    em_array_release(two);
    em_array_release(one);
    return t;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 16 << 20;
    int T = argc > 2 ? atoi(argv[2]) : 2;
    if (n < 1 || T < 1 || T > 64) {
        fprintf(stderr, "usage: bench_threads [n] [threads]\n");
        return 2;
    }
    float *src = malloc((size_t)n * sizeof *src), *dst = malloc((size_t)n * sizeof *dst);
    if (!src || !dst) return 1;
    for (int64_t i = 0; i < n; i++) src[i] = (float)(i % 1000) * 0.001f, dst[i] = 0;
    int reps = n >= (1 << 20) ? 10 : 200;

    int64_t shape[1] = {n};
    em_array *a = em_array_from_data(src, shape, 1, EM_FLOAT32);
    em_array *b = em_array_from_data(src, shape, 1, EM_FLOAT32);
    printf("case\tthreads\tn\tseconds\tGB/s\n");
    for (int t = 1; t <= T; t += (T > 1 ? T - 1 : 1)) {
        double c = time_copy(src, dst, n, t, reps);
        printf("copy-loop\t%d\t%lld\t%.6f\t%.2f\n", t, (long long)n, c, 8.0 * (double)n / c * 1e-9);
        em_set_num_threads(t);
        /* warm the buffer cache and the pool */
        time_op(ADD, a, b, 2);
        double s_add = time_op(ADD, a, b, reps);
        double s_exp = time_op(EXP, a, b, reps);
        double s_sum = time_op(SUM, a, b, reps);
        printf("add\t%d\t%lld\t%.6f\t%.2f\n", t, (long long)n, s_add, 12.0 * (double)n / s_add * 1e-9);
        printf("exp\t%d\t%lld\t%.6f\t%.2f\n", t, (long long)n, s_exp, 8.0 * (double)n / s_exp * 1e-9);
        printf("sum\t%d\t%lld\t%.6f\t%.2f\n", t, (long long)n, s_sum, 4.0 * (double)n / s_sum * 1e-9);
        if (T == 1) break;
    }
    em_array_release(a);
    em_array_release(b);

    /* The buffer cache: 64 MiB arrays, 100 iterations, cache on then off. */
    em_set_num_threads(0);
    int64_t big[1] = {16 << 20};
    float *data = malloc((size_t)big[0] * sizeof *data);
    if (!data) return 1;
    for (int64_t i = 0; i < big[0]; i++) data[i] = 1.0f;
    em_array *x = em_array_from_data(data, big, 1, EM_FLOAT32);
    long faults;
    double tc = time_chain(x, 100, &faults);
    printf("chain-cached\t%d\t%lld\t%.6f\tfaults=%ld\n", em_get_num_threads(), (long long)big[0], tc, faults);
    size_t old = em_set_cache_limit(0);
    tc = time_chain(x, 100, &faults);
    printf("chain-nocache\t%d\t%lld\t%.6f\tfaults=%ld\n", em_get_num_threads(), (long long)big[0], tc, faults);
    em_set_cache_limit(old);
    em_array_release(x);
    free(data);
    free(src);
    free(dst);
    return 0;
}
