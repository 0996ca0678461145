/* explog_accuracy.c -- the float32 exp/log family of scalar.h (explog_body.h
 * and tanh) against double libm, over every float32 input (or every k-th bit
 * pattern): the worst error in ulps and how many inputs exceed 1 ulp. The
 * vector loops give the same bits (tests/c/test_unary.c), so this measures
 * them too. Not a test: it takes about a minute per function.
 *   cc -std=c11 -O2 -Isrc -Iinclude bench/explog_accuracy.c -lm -o /tmp/acc
 *   /tmp/acc [stride [name]] */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/cpu/scalar.h"

static double ulps(float got, double want) {
    if (isnan(want)) return isnan(got) ? 0 : 1e30;
    if (isnan(got)) return 1e30;
    if (want == 0 && got == 0) return !signbit(want) == !signbit(got) ? 0 : 1e30;
    if (isinf(want) || fabs(want) > FLT_MAX) {
        if (isinf(got) && (got > 0) == (want > 0)) return 0;
        return !isinf(want) && fabsf(got) == FLT_MAX ? 0.5 : 1e30;
    }
    if (isinf(got)) return 1e30;
    int e;
    frexp(fabs(want), &e);
    if (e - 1 < -126) e = -125;
    return fabs(got - want) / ldexp(1.0, e - 24);
}

static double ref_asinh(double x) { return asinh(x); }

static const struct {
    const char *name;
    float (*f)(float);
    double (*ref)(double);
} fns[] = {
    {"expm1", em_expm1_f32, expm1},     {"log1p", em_log1p_f32, log1p},
    {"log2", em_log2_f32, log2},        {"log10", em_log10_f32, log10},
    {"sinh", em_sinh_f32, sinh},        {"cosh", em_cosh_f32, cosh},
    {"tanh", em_tanh_f32, tanh},        {"arcsinh", em_arcsinh_f32, ref_asinh},
    {"arccosh", em_arccosh_f32, acosh}, {"arctanh", em_arctanh_f32, atanh},
};

int main(int argc, char **argv) {
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    const char *only = argc > 2 ? argv[2] : NULL;
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
        if (only && strcmp(only, fns[k].name)) continue;
        double worst = 0;
        float wx = 0;
        uint64_t over1 = 0, n = 0;
        for (uint64_t u = 0; u < 0x100000000ull; u += stride, n++) {
            float x = em_bits_f32((uint32_t)u);
            double e = ulps(fns[k].f(x), fns[k].ref(x));
            if (e > 1) over1++;
            if (e > worst) worst = e, wx = x;
        }
        printf("%-8s %.3f ulp worst (at %a), %llu of %llu inputs over 1 ulp\n", fns[k].name, worst,
               wx, (unsigned long long)over1, (unsigned long long)n);
    }
    return 0;
}
