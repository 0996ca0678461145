/* bench_elementwise.c -- times ember's elementwise kernels (graph build +
 * eval, single thread) against a plain C copy loop; prints ns per element
 * and GB/s, the best of several runs. Usage: bench_elementwise [simd level]
 * where the level is avx512, avx2 or none (default: what the CPU has). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/cpu/simd.h"
#include "ember.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef em_array *(*unary_op)(const em_array *);
typedef em_array *(*binary_op)(const em_array *, const em_array *);

/* Best time of `reps` runs of op, each evaluated and released. */
static double time_unary(unary_op op, em_array *a, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        em_array *y = op(a);
        em_eval1(y);
        double t = now() - t0;
        em_array_release(y);
        if (t < best) best = t;
    }
    return best;
}
static double time_binary(binary_op op, em_array *a, em_array *b, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        em_array *y = op(a, b);
        em_eval1(y);
        double t = now() - t0;
        em_array_release(y);
        if (t < best) best = t;
    }
    return best;
}

static volatile float sink;

static double time_memcpy(const float *src, float *dst, int64_t n, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        memcpy(dst, src, (size_t)n * sizeof *dst);
        double t = now() - t0;
        sink = dst[r % n];
        if (t < best) best = t;
    }
    return best;
}

/* A plain C copy loop, the bandwidth reference. */
static double time_copy(const float *src, float *dst, int64_t n, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int64_t i = 0; i < n; i++) dst[i] = src[i];
        double t = now() - t0;
        sink = dst[r % n];
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc > 1 && !cpu_simd_force(argv[1])) {
        fprintf(stderr, "unsupported level %s\n", argv[1]);
        return 1;
    }
    const cpu_simd_table *t = cpu_simd_active();
    printf("simd: %s\n", t ? t->name : "none");
    int64_t sizes[] = {1 << 10, 1 << 16, 1 << 20, 1 << 24};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        int reps = n >= (1 << 24) ? 10 : (int)(2e8 / (double)n) < 2000 ? (int)(2e8 / (double)n) : 2000;
        float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4), *z = malloc((size_t)n * 4);
        for (int64_t i = 0; i < n; i++) x[i] = (float)(i % 1000) * 0.01f - 5, y[i] = 1.5f;
        em_array *a = em_array_from_data(x, &n, 1, EM_FLOAT32);
        em_array *b = em_array_from_data(y, &n, 1, EM_FLOAT32);
        double tc = time_copy(x, z, n, reps);
        printf("n=%-9lld copy   %7.3f ns/elem %6.1f GB/s\n", (long long)n, 1e9 * tc / n, 8.0 * n / tc / 1e9);
        double tm = time_memcpy(x, z, n, reps);
        printf("n=%-9lld memcpy %7.3f ns/elem %6.1f GB/s\n", (long long)n, 1e9 * tm / n, 8.0 * n / tm / 1e9);
        double ta = time_binary(em_add, a, b, reps);
        printf("n=%-9lld add    %7.3f ns/elem %6.1f GB/s (%.0f%% of copy)\n", (long long)n, 1e9 * ta / n,
               12.0 * n / ta / 1e9, 100 * (12.0 * n / ta) / (8.0 * n / tc));
        double tb = time_binary(em_multiply, a, em_array_from_double(2, EM_FLOAT32), reps);
        printf("n=%-9lld mul s  %7.3f ns/elem %6.1f GB/s (array * scalar)\n", (long long)n, 1e9 * tb / n,
               8.0 * n / tb / 1e9);
        struct { const char *name; unary_op op; } u[] = {
            {"exp", em_exp}, {"log", em_log}, {"tanh", em_tanh}, {"sigmoid", em_sigmoid},
            {"erf", em_erf}, {"sqrt", em_sqrt}, {"neg", em_negative}, {"sin", em_sin}};
        for (size_t k = 0; k < sizeof u / sizeof u[0]; k++) {
            double tu = time_unary(u[k].op, u[k].op == em_log || u[k].op == em_sqrt ? b : a, reps);
            printf("n=%-9lld %-7s %7.3f ns/elem\n", (long long)n, u[k].name, 1e9 * tu / n);
        }
        em_array *h = em_astype(a, EM_FLOAT16);
        em_eval1(h);
        double th = time_unary(em_exp, h, reps);
        printf("n=%-9lld exp f16 %7.3f ns/elem\n", (long long)n, 1e9 * th / n);
        em_array_release(h);
        em_array_release(a);
        em_array_release(b);
        free(x);
        free(y);
        free(z);
    }
    return 0;
}
