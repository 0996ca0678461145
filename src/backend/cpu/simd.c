/* simd.c -- picks the vectorised loops (simd.h) the CPU can run. */
#include <cpuid.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

enum { LEVEL_AUTO = -1, LEVEL_NONE = 0, LEVEL_AVX2 = 1, LEVEL_AVX512 = 2 };

static atomic_int forced = LEVEL_AUTO;
static atomic_int detected = -2; /* -2: not yet */

/* F16C (CPUID.1:ECX bit 29); Clang's __builtin_cpu_supports lacks it. */
static bool has_f16c(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c >> 29) & 1;
}

static int cpu_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c())
        return LEVEL_AVX2;
    return LEVEL_NONE;
}

static int parse_level(const char *s) {
    if (!s) return LEVEL_AUTO;
    if (!strcmp(s, "none")) return LEVEL_NONE;
    if (!strcmp(s, "avx2")) return LEVEL_AVX2;
    if (!strcmp(s, "avx512")) return LEVEL_AVX512;
    return LEVEL_AUTO;
}

/* The CPU's level, capped by EMBER_SIMD; computed once (racing threads
 * compute the same value). */
static int auto_level(void) {
    int d = atomic_load_explicit(&detected, memory_order_relaxed);
    if (d == -2) {
        d = cpu_level();
        int env = parse_level(getenv("EMBER_SIMD"));
        if (env != LEVEL_AUTO && env < d) d = env;
        atomic_store_explicit(&detected, d, memory_order_relaxed);
    }
    return d;
}

const cpu_simd_table *cpu_simd_active(void) {
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    int level = f != LEVEL_AUTO ? f : auto_level();
    switch (level) {
    case LEVEL_AVX512: return &cpu_simd_avx512_table;
    case LEVEL_AVX2: return &cpu_simd_avx2_table;
    default: return NULL;
    }
}

bool cpu_simd_force(const char *level) {
    int want = parse_level(level);
    if (level && want == LEVEL_AUTO) return false;
    if (want != LEVEL_AUTO && want > cpu_level()) return false;
    atomic_store_explicit(&forced, want, memory_order_relaxed);
    return true;
}
