/* bench_reduce.c -- measures the CPU sum/max kernels on a contiguous float32
 * matrix (default 4096 x 4096) over all axes, the last axis and the first
 * axis, at each SIMD level, against plain C loops; prints GB/s of input read
 * (best of several runs). Usage: bench_reduce [rows cols [reps]]. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/cpu/reduce.h"
#include "ember.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile float sink;

/* ---- plain C loops, what one writes without thinking about it ---- */

static void plain_all(const float *p, int64_t r, int64_t c, float *out) {
    float s = 0;
    for (int64_t i = 0; i < r * c; i++) s += p[i];
    out[0] = s;
}
static void plain_last(const float *p, int64_t r, int64_t c, float *out) {
    for (int64_t i = 0; i < r; i++) {
        float s = 0;
        for (int64_t j = 0; j < c; j++) s += p[i * c + j];
        out[i] = s;
    }
}
static void plain_first(const float *p, int64_t r, int64_t c, float *out) {
    for (int64_t j = 0; j < c; j++) out[j] = 0;
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++) out[j] += p[i * c + j];
}

typedef void (*plain_fn)(const float *, int64_t, int64_t, float *);

static double time_plain(plain_fn f, const float *p, int64_t r, int64_t c, float *out, int reps) {
    double best = 1e30;
    for (int k = 0; k < reps; k++) {
        double t0 = now();
        f(p, r, c, out);
        double t = now() - t0;
        sink = out[0];
        if (t < best) best = t;
    }
    return best;
}

static double time_ember(em_array *a, int op, const int *axes, int naxes, int reps) {
    double best = 1e30;
    for (int k = 0; k < reps; k++) {
        em_array *s = op == 0 ? em_sum(a, axes, naxes, false) : em_max(a, axes, naxes, false);
        double t0 = now();
        em_status st = em_eval1(s);
        double t = now() - t0;
        if (st != EM_OK) {
            fprintf(stderr, "eval failed: %s\n", em_error_message());
            exit(1);
        }
        em_array_release(s);
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    int64_t r = argc > 2 ? atoll(argv[1]) : 4096, c = argc > 2 ? atoll(argv[2]) : 4096;
    int reps = argc > 3 ? atoi(argv[3]) : 10;
    float *x = malloc((size_t)(r * c) * sizeof *x);
    float *out = malloc((size_t)(r > c ? r : c) * sizeof *out);
    for (int64_t i = 0; i < r * c; i++) x[i] = (float)(i % 1000) * 0.001f;
    em_array *a = em_array_from_external(x, (int64_t[]){r, c}, NULL, 2, EM_FLOAT32, NULL, NULL);
    double gb = (double)(r * c) * sizeof(float) / 1e9;
    static const char *const levels[] = {"portable", "avx2", "avx512"};
    printf("float32 %lld x %lld (%.0f MB), GB/s of input, best of %d\n", (long long)r,
           (long long)c, gb * 1e3, reps);
    printf("%-22s %10s %10s %10s\n", "", "all axes", "last axis", "first axis");
    printf("%-22s %10.1f %10.1f %10.1f\n", "plain C loop (sum)",
           gb / time_plain(plain_all, x, r, c, out, reps),
           gb / time_plain(plain_last, x, r, c, out, reps),
           gb / time_plain(plain_first, x, r, c, out, reps));
    int best = cpu_reduce_set_simd(-1);
    for (int op = 0; op < 2; op++)
        for (int l = 0; l <= best; l++) {
            cpu_reduce_set_simd(l);
            char name[64];
            snprintf(name, sizeof name, "ember %s (%s)", op ? "max" : "sum", levels[l]);
            printf("%-22s %10.1f %10.1f %10.1f\n", name, gb / time_ember(a, op, NULL, -1, reps),
                   gb / time_ember(a, op, (int[]){1}, 1, reps),
                   gb / time_ember(a, op, (int[]){0}, 1, reps));
        }
    em_array_release(a);
    free(x);
    free(out);
    return 0;
}
