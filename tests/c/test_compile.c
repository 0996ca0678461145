/* test_compile.c -- compile: the same results as the function, one trace per
 * input signature, constants frozen in, no evaluation inside a trace, the
 * global switch, and compositions with grad. */
#include "check.h"
#include "transforms/closure.h"
#include "transforms/compile.h"

static int calls;

/* y = sin(x0) * w + x1 / 2 with w a captured constant, and a second output. */
static em_array *w_const;
static em_status body(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    calls++;
    em_array *s = em_sin(in[0]), *a = em_multiply(s, w_const);
    em_array *two = em_array_from_double(2, EM_FLOAT32), *h = em_divide(in[1], two);
    em_array *y = em_add(a, h), *z = em_sum(y, NULL, -1, false);
    em_status st = em_array_list_push(out, y);
    if (st == EM_OK) st = em_array_list_push(out, z);
    em_array *arr[] = {s, a, two, h, y, z};
    for (int i = 0; i < 6; i++) em_array_release(arr[i]);
    return st;
}

static em_status evals(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *s = em_sin(in[0]);
    em_status st = em_eval1(s);
    if (st == EM_OK) st = em_array_list_push(out, s);
    em_array_release(s);
    return st;
}

static em_status identity(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx;
    for (size_t i = n; i-- > 0;) /* reversed, and the first one twice */
        if (em_array_list_push(out, in[i]) != EM_OK) return em_error_code();
    return em_array_list_push(out, in[0]);
}

/* sin(x) + sin(x) * 2 + 0 * sum(exp(x)): one sin after simplification, the
 * scalar constants merged, and the unused exp dropped. */
static em_status repeats(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *a = em_sin(in[0]), *b = em_sin(in[0]), *two = em_array_from_double(2, EM_FLOAT32);
    em_array *two2 = em_array_from_double(2, EM_FLOAT32), *e = em_exp(in[0]);
    em_array *c = em_multiply(b, two), *d = em_add(a, c), *f = em_multiply(d, two2);
    em_status st = em_array_list_push(out, f);
    em_array *arr[] = {a, b, two, two2, e, c, d, f};
    for (int i = 0; i < 8; i++) em_array_release(arr[i]);
    return st;
}

static void same(em_array_list *a, em_array_list *b) {
    CHECK(em_array_list_size(a) == em_array_list_size(b));
    for (size_t i = 0; i < em_array_list_size(a) && i < em_array_list_size(b); i++) {
        em_array *x = em_array_list_get(a, i), *y = em_array_list_get(b, i);
        CHECK(em_array_dtype(x) == em_array_dtype(y) && em_array_size(x) == em_array_size(y));
        double *u = check_values(x), *v = check_values(y);
        for (int64_t j = 0; u && v && j < em_array_size(x); j++) CHECK_CLOSE(u[j], v[j], 0);
        free(u);
        free(v);
    }
}

static em_array *arange(int64_t n, double start) {
    em_array *a = em_arange(start, start + (double)n, 1, EM_FLOAT32);
    return a;
}

int main(void) {
    int64_t live0 = em_live_arrays();
    w_const = em_array_from_double(3, EM_FLOAT32);
    em_closure *f = em_closure_new(body, NULL, NULL), *cf = em_compile(f, false);
    em_array_list *r1 = em_array_list_new(), *r2 = em_array_list_new();
    for (int k = 0; k < 3; k++) {
        em_array *x[2] = {arange(4, k), arange(4, 2 * k)};
        calls = 0;
        CHECK(em_closure_call(cf, x, 2, r1) == EM_OK);
        CHECK_MSG(calls == (k == 0), "call %d traced %d times", k, calls);
        CHECK(em_closure_call(f, x, 2, r2) == EM_OK);
        same(r1, r2);
        em_array_release(x[0]);
        em_array_release(x[1]);
    }
    /* a new shape or dtype traces again */
    em_array *y[2] = {arange(5, 0), arange(5, 1)};
    calls = 0;
    CHECK(em_closure_call(cf, y, 2, r1) == EM_OK && calls == 1);
    em_array *yd = em_astype(y[0], EM_FLOAT64);
    em_array *y2[2] = {yd, y[1]};
    CHECK(em_closure_call(cf, y2, 2, r1) == EM_OK && calls == 2);
    CHECK(em_closure_call(f, y2, 2, r2) == EM_OK);
    same(r1, r2);
    /* disabled: the function runs every time */
    em_disable_compile();
    calls = 0;
    CHECK(em_closure_call(cf, y2, 2, r1) == EM_OK && calls == 1);
    em_enable_compile();
    calls = 0;
    CHECK(em_closure_call(cf, y2, 2, r1) == EM_OK && calls == 0);
    /* outputs that are inputs, in any order */
    em_closure *id = em_closure_new(identity, NULL, NULL), *cid = em_compile(id, true);
    CHECK(em_closure_call(cid, y, 2, r1) == EM_OK && em_array_list_size(r1) == 3);
    CHECK(em_array_list_get(r1, 0) == y[1] && em_array_list_get(r1, 2) == y[0]);
    /* no eval of traced values */
    em_closure *ev = em_closure_new(evals, NULL, NULL), *cev = em_compile(ev, false);
    em_error_clear();
    CHECK(em_closure_call(cev, y, 1, r1) == EM_ERR_VALUE &&
          strcmp(em_error_message(), "[eval] Attempting to eval an array during function "
                                     "transformations like compile or vmap is not allowed.") == 0);
    em_error_clear();
    CHECK(em_closure_call(ev, y, 1, r1) == EM_OK); /* fine outside compile */
    /* simplification: sin, multiply, add, multiply */
    em_closure *rf = em_closure_new(repeats, NULL, NULL), *crf = em_compile(rf, false);
    CHECK(em_closure_call(crf, y, 1, r1) == EM_OK);
    CHECK(em_closure_call(rf, y, 1, r2) == EM_OK);
    same(r1, r2);
    CHECK_MSG(compile_last_program_steps(closure_context(crf)) == 4, "%zu steps",
              compile_last_program_steps(closure_context(crf)));
    /* ... which run as one FUSED kernel, bit for bit what the plain ops give
     * (same() compares exactly), over one block and over many */
    CHECK(compile_last_program_fused(closure_context(crf)) == 1);
    em_array *big = arange(100003, -50000);
    em_array *bigs = em_multiply(big, w_const);
    CHECK(em_closure_call(crf, &bigs, 1, r1) == EM_OK && em_closure_call(rf, &bigs, 1, r2) == EM_OK);
    same(r1, r2);
    CHECK(compile_last_program_fused(closure_context(crf)) == 1);
    em_array_release(big);
    em_array_release(bigs);
    em_closure_release(crf);
    em_closure_release(rf);
    /* grad of compiled, compiled grad */
    em_closure *g = em_grad(cf, NULL, 0), *gf = em_grad(f, (int[]){0, 1}, 2), *cg = em_compile(gf, false);
    em_array *s[2] = {em_array_from_double(0.5, EM_FLOAT32), em_array_from_double(1.5, EM_FLOAT32)};
    CHECK(em_closure_call(g, s, 2, r1) == EM_OK);
    double v = 0;
    CHECK(em_array_item_double(em_array_list_get(r1, 0), &v) == EM_OK);
    CHECK_CLOSE(v, 3 * cos(0.5), 1e-6);
    for (int k = 0; k < 2; k++) {
        calls = 0;
        CHECK(em_closure_call(cg, s, 2, r1) == EM_OK);
        CHECK(calls == (k == 0));
        CHECK(em_array_item_double(em_array_list_get(r1, 1), &v) == EM_OK);
        CHECK_CLOSE(v, 0.5, 1e-7);
    }
    CHECK(em_compile(NULL, false) == NULL && strstr(em_error_message(), "[compile]"));
    em_error_clear();
    em_closure *list[] = {f, cf, id, cid, ev, cev, g, gf, cg};
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) em_closure_release(list[i]);
    em_array *arr[] = {y[0], y[1], yd, s[0], s[1], w_const};
    for (size_t i = 0; i < 6; i++) em_array_release(arr[i]);
    em_array_list_free(r1);
    em_array_list_free(r2);
    CHECK_MSG(em_live_arrays() == live0, "%lld arrays leaked", (long long)(em_live_arrays() - live0));
    CHECK_DONE();
}
