/* check.h -- the tiny test harness of ember's C tests: each test file is one
 * ctest program; CHECK macros count failures and print where they happened;
 * main() ends with CHECK_DONE(), which prints "N passed, N failed" and sets
 * the exit status. */
#ifndef EM_TESTS_CHECK_H
#define EM_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"

static int check_passed, check_failed;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) check_passed++;                                              \
        else {                                                                 \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                   \
    do {                                                                       \
        if (cond) check_passed++;                                              \
        else {                                                                 \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

/* An op returned NULL with this code and a message containing `substr`; then
 * clears the error. */
#define CHECK_ERROR(expr, code, substr)                                        \
    do {                                                                       \
        em_error_clear();                                                      \
        em_array *check_r_ = (expr);                                           \
        CHECK_MSG(check_r_ == NULL && em_error_code() == (code) &&             \
                      strstr(em_error_message(), (substr)) != NULL,            \
                  "got %p, code %d, message \"%s\"", (void *)check_r_,         \
                  (int)em_error_code(), em_error_message());                   \
        em_array_release(check_r_);                                            \
        em_error_clear();                                                      \
    } while (0)

/* No error is pending (and print it if there is). */
#define CHECK_NO_ERROR()                                                       \
    CHECK_MSG(em_error_code() == EM_OK, "pending error: %s", em_error_message())

#define CHECK_CLOSE(got, want, tol)                                            \
    do {                                                                       \
        double g_ = (got), w_ = (want);                                        \
        CHECK_MSG((isnan(g_) && isnan(w_)) || g_ == w_ ||                      \
                      fabs(g_ - w_) <= (tol) * (1 + fabs(w_)),                 \
                  "got %.17g, want %.17g", g_, w_);                            \
    } while (0)

/* Checks a's shape. */
static inline int check_shape(const em_array *a, int ndim, const int64_t *shape) {
    if (!a || em_array_ndim(a) != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (em_array_shape(a)[i] != shape[i]) return 0;
    return 1;
}

/* Reads a's values as doubles into a malloc'd array (caller frees). */
static inline double *check_values(em_array *a) {
    size_t n = (size_t)em_array_size(a);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (em_array_copy_to(a, EM_FLOAT64, v, n * sizeof *v) != EM_OK) {
        free(v);
        return NULL;
    }
    return v;
}

/* a's values equal want[0..n) exactly (as doubles, NaN equal to NaN). */
static inline int check_equals(em_array *a, const double *want, size_t n) {
    if (!a || (size_t)em_array_size(a) != n) return 0;
    double *v = check_values(a);
    if (!v) return 0;
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] == want[i] || (isnan(v[i]) && isnan(want[i])))) {
            fprintf(stderr, "  element %zu: got %.17g want %.17g\n", i, v[i], want[i]);
            ok = 0;
        }
    free(v);
    return ok;
}

#define CHECK_DONE()                                                           \
    do {                                                                       \
        printf("%d passed, %d failed\n", check_passed, check_failed);          \
        return check_failed ? 1 : 0;                                           \
    } while (0)

/* Whether this runs under valgrind, whose AVX emulation gets some compare
 * predicates wrong on NaN (vcmpneq_oqps answers as neq_uq): tests that
 * compare values of the vectorised loops on NaN skip or cap the SIMD level
 * there; the native runs check them. */
static inline int under_valgrind(void) {
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload");
}

#endif
