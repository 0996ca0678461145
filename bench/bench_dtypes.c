/* bench_dtypes.c -- a quick sweep of elementwise cost per element over every
 * real dtype, to find missing fast paths (an op whose cost per element is far
 * above its neighbours' for the same byte width). Not a test.
 *
 * Each cell: the best of 15 calls (record, evaluate, release) on 1 Mi
 * elements, in ns per element. "+s" rows combine the array with a 0-d array
 * of the same dtype (a weak Python scalar after its cast: x + 1).
 *
 * Usage: bench_dtypes [n]   (threads from EMBER_NUM_THREADS) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ember.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef em_array *(*bin_fn)(const em_array *, const em_array *);
typedef em_array *(*un_fn)(const em_array *);

static double best_of(bin_fn b, un_fn u, em_array *x, em_array *y, int64_t n) {
    double best = 1e30;
    for (int r = 0; r < 15; r++) {
        double t0 = now();
        em_array *o = b ? b(x, y) : u(x);
        if (!o || em_eval1(o) != EM_OK) {
            em_error_clear();
            em_array_release(o);
            return -1;
        }
        em_array_release(o);
        double d = now() - t0;
        if (d < best) best = d;
    }
    return best * 1e9 / (double)n;
}

int main(int argc, char **argv) {
    int64_t n = argc > 1 ? atoll(argv[1]) : 1 << 20;
    static const em_dtype dts[] = {EM_BOOL, EM_INT8, EM_UINT8, EM_INT16, EM_UINT16, EM_INT32,
                                   EM_UINT32, EM_INT64, EM_FLOAT16, EM_BFLOAT16, EM_FLOAT32, EM_FLOAT64};
    enum { ND = sizeof dts / sizeof dts[0] };
    static const struct { const char *name; bin_fn b; un_fn u; int scalar; } ops[] = {
        {"add", em_add, NULL, 0},           {"add +s", em_add, NULL, 1},
        {"multiply +s", em_multiply, NULL, 1}, {"maximum +s", em_maximum, NULL, 1},
        {"floor_div +s", em_floor_divide, NULL, 1}, {"not_equal", em_not_equal, NULL, 0},
        {"not_equal +s", em_not_equal, NULL, 1}, {"less", em_less, NULL, 0},
        {"logical_and", em_logical_and, NULL, 0}, {"negative", NULL, em_negative, 0},
        {"abs", NULL, em_abs, 0},           {"logical_not", NULL, em_logical_not, 0},
        {"square", NULL, em_square, 0},     {"sqrt", NULL, em_sqrt, 0},
        {"exp", NULL, em_exp, 0},           {"sin", NULL, em_sin, 0},
        {"erf", NULL, em_erf, 0},           {"erfinv", NULL, em_erfinv, 0},
        {"sigmoid", NULL, em_sigmoid, 0},   {"floor", NULL, em_floor, 0},
    };
    float *buf = malloc((size_t)n * sizeof *buf);
    for (int64_t i = 0; i < n; i++) buf[i] = (float)(i % 7 + 1) * 0.125f;
    em_array *base = em_array_from_data(buf, &n, 1, EM_FLOAT32);
    printf("# n %lld, ember threads %d; ns per element, best of 15\n", (long long)n, em_get_num_threads());
    printf("%-13s", "op");
    for (int k = 0; k < ND; k++) printf(" %8s", em_dtype_name(dts[k]));
    printf("\n");
    em_array *xs[ND], *ys[ND], *ss[ND];
    for (int k = 0; k < ND; k++) {
        em_array *h = em_multiply(base, em_array_from_double(0.5, EM_FLOAT32)); /* in (0, 1) for erfinv */
        xs[k] = em_astype(h, dts[k]);
        ys[k] = em_astype(em_sqrt(base), dts[k]);
        ss[k] = em_astype(em_array_from_double(1.0, EM_FLOAT32), dts[k]);
        em_eval1(xs[k]), em_eval1(ys[k]), em_eval1(ss[k]);
    }
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        printf("%-13s", ops[o].name);
        for (int k = 0; k < ND; k++) {
            double t = best_of(ops[o].b, ops[o].u, xs[k], ops[o].scalar ? ss[k] : ys[k], n);
            if (t < 0) printf(" %8s", "-");
            else printf(" %8.3f", t);
        }
        printf("\n");
        fflush(stdout);
    }
    free(buf);
    return 0;
}
