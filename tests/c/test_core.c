/* test_core.c -- arrays, buffers, nodes, eval, scopes, errors, memory API. */
#include "check.h"

static void test_from_data(void) {
    float v[6] = {1, 2, 3, 4, 5, 6};
    int64_t shape[2] = {2, 3};
    em_array *a = em_array_from_data(v, shape, 2, EM_FLOAT32);
    CHECK(a && em_array_ndim(a) == 2 && em_array_size(a) == 6);
    CHECK(em_array_dtype(a) == EM_FLOAT32 && em_array_itemsize(a) == 4 && em_array_nbytes(a) == 24);
    CHECK(em_array_is_evaluated(a));
    const float *p = em_array_data(a);
    CHECK(p && p[5] == 6);
    CHECK(em_array_dim(a, -1) == 3 && em_array_dim(a, 0) == 2);
    em_array_release(a);

    em_array *s = em_array_from_double(2.5, EM_FLOAT32);
    double d = 0;
    CHECK(s && em_array_ndim(s) == 0 && em_array_size(s) == 1);
    CHECK(em_array_item_double(s, &d) == EM_OK && d == 2.5);
    em_array_release(s);

    em_array *z = em_array_from_data(NULL, (int64_t[]){0, 3}, 2, EM_INT32);
    CHECK(z && em_array_size(z) == 0);
    em_array_release(z);
}

/* C scalars convert exactly as astype does. */
static void test_scalar_casts(void) {
    struct { em_array *a; double want; } cases[] = {
        {em_array_from_double(300.0, EM_UINT8), 255},   /* floats saturate */
        {em_array_from_double(-5.0, EM_UINT8), 0},
        {em_array_from_double(NAN, EM_INT32), 0},
        {em_array_from_double(INFINITY, EM_INT16), 32767},
        {em_array_from_double(-2.7, EM_INT8), -2},       /* truncation */
        {em_array_from_int(300, EM_UINT8), 44},          /* integers wrap */
        {em_array_from_int(-1, EM_UINT16), 65535},
        {em_array_from_double(0.1, EM_FLOAT16), 0.0999755859375},
        {em_array_from_double(1.0 / 3.0, EM_BFLOAT16), 0.333984375},
        {em_array_from_double(2.0, EM_BOOL), 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -1;
        CHECK_MSG(em_array_item_double(cases[i].a, &v) == EM_OK && v == cases[i].want,
                  "case %zu: got %.17g want %.17g", i, v, cases[i].want);
        em_array_release(cases[i].a);
    }
}

static void test_lazy_add(void) {
    float x[4] = {1, 2, 3, 4}, y[4] = {10, 20, 30, 40};
    int64_t sh[1] = {4};
    em_array *a = em_array_from_data(x, sh, 1, EM_FLOAT32);
    em_array *b = em_array_from_data(y, sh, 1, EM_FLOAT32);
    em_array *c = em_add(a, b);
    CHECK(c && !em_array_is_evaluated(c));
    CHECK(em_eval1(c) == EM_OK && em_array_is_evaluated(c));
    CHECK(check_equals(c, (double[]){11, 22, 33, 44}, 4));
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
}

static void test_broadcast_add(void) {
    int32_t x[3] = {1, 2, 3}, y[2] = {10, 20};
    em_array *a = em_array_from_data(x, (int64_t[]){1, 3}, 2, EM_INT32);
    em_array *b = em_array_from_data(y, (int64_t[]){2, 1}, 2, EM_INT32);
    em_array *c = em_add(a, b);
    CHECK(check_shape(c, 2, (int64_t[]){2, 3}));
    CHECK(check_equals(c, (double[]){11, 12, 13, 21, 22, 23}, 6));
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
    /* incompatible shapes */
    em_array *p = em_array_from_data((float[6]){0}, (int64_t[]){2, 3}, 2, EM_FLOAT32);
    em_array *q = em_array_from_data((float[4]){0}, (int64_t[]){4}, 1, EM_FLOAT32);
    CHECK_ERROR(em_add(p, q), EM_ERR_VALUE, "[broadcast_shapes] Shapes (2,3) and (4) cannot be broadcast.");
    em_array_release(p);
    em_array_release(q);
}

/* A chain of a million nodes evaluates and is freed without recursion. */
static void test_long_chain(void) {
    int64_t live = em_live_arrays();
    em_array *one = em_array_from_double(1, EM_FLOAT32);
    em_array *x = em_array_from_double(0, EM_FLOAT32);
    for (int i = 0; i < 1000000; i++) {
        em_array *y = em_add(x, one);
        em_array_release(x);
        x = y;
    }
    double v = 0;
    CHECK(em_array_item_double(x, &v) == EM_OK && v == 1000000);
    em_array_release(x);
    /* and an unevaluated chain is freed too */
    x = em_array_from_double(0, EM_FLOAT32);
    for (int i = 0; i < 1000000; i++) {
        em_array *y = em_add(x, one);
        em_array_release(x);
        x = y;
    }
    em_array_release(x);
    em_array_release(one);
    CHECK(em_live_arrays() == live);
}

static void test_null_propagation(void) {
    em_error_clear();
    em_array *a = em_add(NULL, NULL);
    CHECK(a == NULL && em_error_code() == EM_ERR_NULL);
    CHECK(strstr(em_error_message(), "[add]") != NULL);
    /* the first error is kept through a chain */
    em_array *b = em_exp(a);
    CHECK(b == NULL && strstr(em_error_message(), "[add]") != NULL);
    em_error_clear();
    CHECK(em_error_code() == EM_OK && em_error_message()[0] == '\0');
    CHECK(em_eval1(NULL) == EM_ERR_NULL);
    em_error_clear();
    em_array_release(NULL);
    CHECK(em_array_retain(NULL) == NULL);
}

static void test_scopes(void) {
    int64_t live = em_live_arrays();
    em_array *kept;
    em_scope_begin();
    {
        em_array *a = em_array_from_double(1, EM_FLOAT32);
        em_array *b = em_array_from_double(2, EM_FLOAT32);
        em_array *c = em_add(a, b);
        kept = em_scope_keep(em_add(c, c));
    }
    size_t released = em_scope_end();
    CHECK(released == 3);
    double v = 0;
    CHECK(em_array_item_double(kept, &v) == EM_OK && v == 6);
    em_array_release(kept);
    CHECK(em_live_arrays() == live);

    /* nested: keep passes to the outer scope */
    em_scope_begin();
    em_scope_begin();
    em_scope_keep(em_array_from_double(3, EM_FLOAT32));
    CHECK(em_scope_end() == 0);
    CHECK(em_scope_end() == 1);
    CHECK(em_live_arrays() == live);
}

static void test_views_share(void) {
    float x[3] = {1, 2, 3};
    em_array *a = em_array_from_data(x, (int64_t[]){3}, 1, EM_FLOAT32);
    em_array *b = em_broadcast_to(a, (int64_t[]){4, 3}, 2);
    CHECK(em_eval1(b) == EM_OK);
    CHECK(em_array_data(a) == em_array_data(b));
    const int64_t *st = em_array_strides(b);
    CHECK(st && st[0] == 0 && st[1] == 1);
    CHECK(!em_array_is_contiguous(b));
    CHECK(check_equals(b, (double[]){1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, 12));
    CHECK_ERROR(em_broadcast_to(a, (int64_t[]){2}, 1), EM_ERR_VALUE, "[broadcast_shapes] Shapes (3) and (2) cannot be broadcast.");
    em_array_release(a);
    em_array_release(b);
}

static void test_donation(void) {
    int64_t sh[1] = {1 << 16};
    float *x = calloc(1 << 16, sizeof *x);
    em_array *a = em_array_from_data(x, sh, 1, EM_FLOAT32);
    em_array *b = em_array_from_data(x, sh, 1, EM_FLOAT32);
    em_array *t = em_add(a, b);
    em_array_release(a);
    em_eval1(t);
    const void *tp = em_array_data(t);
    em_array *u = em_add(t, b);
    em_array_release(t);     /* only u's node holds t now: its buffer is reused */
    CHECK(em_eval1(u) == EM_OK);
    CHECK(em_array_data(u) == tp);
    em_array_release(u);
    em_array_release(b);
    free(x);
}

static void test_bad_sizes(void) {
    CHECK_ERROR(em_array_from_data(NULL, (int64_t[]){-1}, 1, EM_FLOAT32), EM_ERR_VALUE, "Negative dimensions");
    CHECK_ERROR(em_array_from_data(NULL, (int64_t[]){INT64_MAX / 2, 4}, 2, EM_FLOAT32), EM_ERR_VALUE, "overflows");
    CHECK_ERROR(em_array_from_data(NULL, (int64_t[]){3}, 1, (em_dtype)99), EM_ERR_TYPE, "Invalid dtype");
    CHECK_ERROR(em_array_from_data(NULL, (int64_t[]){3}, 1, EM_FLOAT32), EM_ERR_NULL, "data pointer is NULL");
    CHECK_ERROR(em_array_from_data(NULL, NULL, 2, EM_FLOAT32), EM_ERR_NULL, "shape pointer is NULL");
}

static void test_memory_api(void) {
    size_t before = em_get_active_memory();
    em_array *a = em_array_from_data(NULL, (int64_t[]){0}, 1, EM_FLOAT32);
    em_array_release(a);
    float *x = calloc(1 << 20, sizeof *x);
    a = em_array_from_data(x, (int64_t[]){1 << 20}, 1, EM_FLOAT32);
    CHECK(em_get_active_memory() >= before + (4u << 20));
    CHECK(em_get_peak_memory() >= em_get_active_memory());
    em_array_release(a);
    CHECK(em_get_active_memory() == before);
    CHECK(em_get_cache_memory() >= (4u << 20));
    em_clear_cache();
    CHECK(em_get_cache_memory() == 0);
    size_t old = em_set_memory_limit(1 << 20);
    CHECK_ERROR(em_array_from_data(x, (int64_t[]){1 << 20}, 1, EM_FLOAT32), EM_ERR_MEMORY, "[malloc]");
    em_set_memory_limit(old);
    free(x);
}

int main(void) {
    test_from_data();
    test_scalar_casts();
    test_lazy_add();
    test_broadcast_add();
    test_long_chain();
    test_null_propagation();
    test_scopes();
    test_views_share();
    test_donation();
    test_bad_sizes();
    test_memory_api();
    CHECK_NO_ERROR();
    CHECK_DONE();
}
