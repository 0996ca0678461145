/* test_threads.c -- the thread pool (coverage, helpers, nesting), kernel
 * results that are bit for bit the same for every thread count, and many
 * threads building and evaluating independent graphs at once. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "backend/cpu/pool.h"
#include "check.h"

/* ---------------------------------------------------------------- the pool */

typedef struct {
    atomic_int *hits;
    int64_t grain, n;
    atomic_int bad_ranges;
} cover_ctx;

static void cover_fn(void *v, int64_t b, int64_t e) {
    cover_ctx *c = v;
    if (b >= e || b < 0 || e > c->n || (e - b < c->grain && e != c->n)) atomic_fetch_add(&c->bad_ranges, 1);
    for (int64_t i = b; i < e; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void test_pool_covers(void) {
    int64_t ns[] = {0, 1, 5, 1000, 100003, 1 << 20};
    int64_t grains[] = {1, 7, 1000, 1 << 16};
    for (int t = 1; t <= 4; t++) {
        em_set_num_threads(t);
        CHECK(em_get_num_threads() == t);
        for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
            for (size_t g = 0; g < sizeof grains / sizeof *grains; g++) {
                int64_t n = ns[i];
                cover_ctx c = {calloc((size_t)n + 1, sizeof(atomic_int)), grains[g], n, 0};
                cpu_pool_parallel_for(n, grains[g], cover_fn, &c);
                int once = 1;
                for (int64_t k = 0; k < n; k++) once &= atomic_load(&c.hits[k]) == 1;
                CHECK_MSG(once && atomic_load(&c.bad_ranges) == 0, "n %lld grain %lld threads %d",
                          (long long)n, (long long)grains[g], t);
                free(c.hits);
            }
    }
    em_set_num_threads(0);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* With wait set, the part holding item 0 waits until another thread has run
 * a part: it can only end early if a helper took a chunk. */
typedef struct { atomic_int others; pthread_t caller; bool wait; } helper_ctx;

static void helper_fn(void *v, int64_t b, int64_t e) {
    helper_ctx *c = v;
    (void)e;
    if (!pthread_equal(pthread_self(), c->caller)) atomic_fetch_add(&c->others, 1);
    if (b == 0 && c->wait) {
        double until = now() + 10.0;
        while (atomic_load(&c->others) == 0 && now() < until) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
}

static void test_pool_helpers(void) {
    em_set_num_threads(2);
    helper_ctx c = {0, pthread_self(), true};
    cpu_pool_parallel_for(64, 1, helper_fn, &c);
    CHECK_MSG(atomic_load(&c.others) > 0, "no helper joined");
    /* one thread, or too little work: everything on the caller */
    em_set_num_threads(1);
    helper_ctx d = {0, pthread_self(), false};
    cpu_pool_parallel_for(64, 1, helper_fn, &d);
    em_set_num_threads(2);
    cpu_pool_parallel_for(64, 40, helper_fn, &d);
    CHECK(atomic_load(&d.others) == 0);
    em_set_num_threads(0);
}

static void nested_inner(void *v, int64_t b, int64_t e) {
    atomic_fetch_add((atomic_long *)v, e - b);
}

static void nested_outer(void *v, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) cpu_pool_parallel_for(1000, 10, nested_inner, v);
}

static void test_pool_nested(void) {
    em_set_num_threads(3);
    atomic_long total = 0;
    cpu_pool_parallel_for(64, 1, nested_outer, &total);
    CHECK(atomic_load(&total) == 64 * 1000);
    em_set_num_threads(0);
}

/* ---------------------------------------------------------------- same bits */

/* The bytes of every result of a set of kernels run on large inputs. */
typedef struct { size_t n; char *bytes[64]; size_t len[64]; } results;

static void keep(results *r, em_array *a) {
    CHECK_MSG(a != NULL, "%s", em_error_message());
    if (!a || r->n == 64) return;
    em_array *c = em_copy(a); /* row-major, whatever a's layout */
    size_t len = em_array_nbytes(c);
    const void *p = em_array_data(c);
    char *b = malloc(len ? len : 1);
    if (p && len) memcpy(b, p, len);
    r->bytes[r->n] = b;
    r->len[r->n] = len;
    r->n++; /* c belongs to the open scope */
}

static void run_kernels(results *r) {
    em_scope_begin();
    int64_t n = 300000;
    em_array *x = em_sin(em_arange(0, (double)n, 1, EM_FLOAT32));
    em_array *x2 = em_reshape(x, (int64_t[]){600, 500}, 2);
    em_array *x3 = em_reshape(x, (int64_t[]){6000, 50}, 2);
    em_array *row = em_slice(x, (int64_t[]){0}, (int64_t[]){500}, NULL, 1);
    keep(r, em_exp(x));
    keep(r, em_exp(em_astype(x, EM_FLOAT16)));
    keep(r, em_add(x2, row));                                   /* broadcast */
    keep(r, em_multiply(em_transpose(x2, NULL, 0), em_transpose(x2, NULL, 0)));
    keep(r, em_copy(em_transpose(x3, NULL, 0)));                /* strided copy */
    keep(r, em_astype(x2, EM_INT32));
    keep(r, em_sum(x, NULL, -1, false));                        /* long row, in pieces */
    keep(r, em_sum(em_astype(x, EM_FLOAT64), NULL, -1, false));
    keep(r, em_sum(x2, (int[]){0}, 1, false));                  /* columns, blocks */
    keep(r, em_sum(x3, (int[]){0}, 1, false));
    keep(r, em_sum(x2, (int[]){1}, 1, false));                  /* rows */
    keep(r, em_sum(em_transpose(x3, NULL, 0), (int[]){1}, 1, false));
    keep(r, em_prod(em_add(em_multiply(x3, em_array_from_double(1e-3, EM_FLOAT32)),
                           em_array_from_double(1, EM_FLOAT32)), (int[]){0}, 1, false));
    keep(r, em_max(x3, (int[]){0}, 1, false));
    keep(r, em_min(x, NULL, -1, false));
    keep(r, em_sum(em_astype(x2, EM_INT32), NULL, -1, false));
    keep(r, em_mean(em_astype(x3, EM_BFLOAT16), (int[]){0}, 1, false));
    keep(r, em_argmax(x3, 0, false, false));
    keep(r, em_argmin(x2, 1, false, false));
    keep(r, em_argmax(x, 0, true, false));
    keep(r, em_concatenate((const em_array *[]){x2, x2}, 2, 1));
    keep(r, em_pad(x3, (int64_t[]){3, 4, 5, 6}, 2, EM_PAD_EDGE, NULL));
    keep(r, em_full_double((int64_t[]){1 << 20}, 1, 1.5, EM_FLOAT32));
    keep(r, em_where(em_greater(x2, row), x2, row));
    em_scope_end();
}

static void test_same_bits(void) {
    results base = {0};
    em_set_num_threads(1);
    run_kernels(&base);
    for (int t = 2; t <= 4; t++) {
        em_set_num_threads(t);
        results r = {0};
        run_kernels(&r);
        CHECK(r.n == base.n);
        for (size_t i = 0; i < r.n && i < base.n; i++) {
            CHECK_MSG(r.len[i] == base.len[i] && memcmp(r.bytes[i], base.bytes[i], r.len[i]) == 0,
                      "result %zu differs with %d threads", i, t);
            free(r.bytes[i]);
        }
    }
    for (size_t i = 0; i < base.n; i++) free(base.bytes[i]);
    em_set_num_threads(0);
}

/* Sums in pieces and blocks stay accurate (against float64 references). */
static void test_sum_accuracy(void) {
    em_set_num_threads(2);
    int64_t n = 1 << 20;
    float *v = malloc((size_t)n * sizeof *v);
    double want = 0, col[16] = {0};
    for (int64_t i = 0; i < n; i++) {
        v[i] = (float)(1.0 + 1e-3 * (double)(i % 1013));
        want += v[i];
        col[i % 16] += v[i];
    }
    em_array *a = em_array_from_data(v, &n, 1, EM_FLOAT32);
    em_array *s = em_sum(a, NULL, -1, false);
    double got;
    CHECK(em_array_item_double(s, &got) == EM_OK);
    CHECK_CLOSE(got, want, 1e-6);
    em_array *m = em_reshape(a, (int64_t[]){n / 16, 16}, 2);
    em_array *c = em_sum(m, (int[]){0}, 1, false);
    double *cv = check_values(c);
    for (int j = 0; cv && j < 16; j++) CHECK_CLOSE(cv[j], col[j], 1e-6);
    free(cv);
    em_array_release(c);
    em_array_release(m);
    em_array_release(s);
    em_array_release(a);
    free(v);
    em_set_num_threads(0);
}

/* Matrix products split over the pool agree with a float64 reference. */
static void test_matmul_split(void) {
    int M = 300, K = 200, N = 400;
    float *a = malloc((size_t)M * K * sizeof *a), *b = malloc((size_t)K * N * sizeof *b);
    for (int i = 0; i < M * K; i++) a[i] = (float)((i * 7 % 13) - 6) * 0.25f;
    for (int i = 0; i < K * N; i++) b[i] = (float)((i * 5 % 11) - 5) * 0.5f;
    em_array *A = em_array_from_data(a, (int64_t[]){M, K}, 2, EM_FLOAT32);
    em_array *B = em_array_from_data(b, (int64_t[]){K, N}, 2, EM_FLOAT32);
    for (int t = 1; t <= 3; t++) {
        em_set_num_threads(t);
        em_scope_begin();
        em_array *C = em_matmul(A, B), *Ct = em_matmul(em_transpose(B, NULL, 0), em_transpose(A, NULL, 0));
        em_array *v = em_matmul(A, em_slice(B, (int64_t[]){0, 0}, (int64_t[]){K, 1}, NULL, 2));
        double *c = check_values(C), *ct = check_values(Ct), *cv = check_values(v);
        int ok = c && ct && cv;
        for (int i = 0; ok && i < M; i++)
            for (int j = 0; j < N; j++) {
                double w = 0;
                for (int k = 0; k < K; k++) w += (double)a[i * K + k] * b[k * N + j];
                ok &= c[i * N + j] == w && ct[j * M + i] == w && (j > 0 || cv[i] == w);
            }
        CHECK_MSG(ok, "matmul with %d threads", t);
        free(c);
        free(ct);
        free(cv);
        em_scope_end();
    }
    em_array_release(A);
    em_array_release(B);
    free(a);
    free(b);
    em_set_num_threads(0);
}

/* ---------------------------------------------------------------- many threads */

enum { NTHREADS = 8 };
static int ops_per_thread = 100000;

typedef struct { int id; int ok; char msg[256]; } worker;

/* A chain of cheap ops (exact in float32), evaluated every 100 ops, with a
 * reduction checked at every evaluation. */
static void *worker_main(void *v) {
    worker *w = v;
    w->ok = 1;
    int64_t shape[1] = {64};
    em_array *x = em_full_double(shape, 1, (double)w->id, EM_FLOAT32);
    em_array *one = em_array_from_double(1, EM_FLOAT32), *two = em_array_from_double(2, EM_FLOAT32);
    double expect = w->id;
    int ops = 0;
    while (ops < ops_per_thread && w->ok) {
        em_scope_begin();
        em_array *y = x;
        for (int k = 0; k < 25; k++) {
            y = em_divide(em_multiply(em_add(y, one), two), two); /* y + 1 */
            y = em_subtract(y, em_negative(em_negative(one)));    /* y - 1 + 1 - 1 ... */
            y = em_add(y, one);
            ops += 6;
        }
        expect += 25;
        em_array *s = em_sum(y, NULL, -1, false);
        ops++;
        double got = 0;
        if (em_array_item_double(s, &got) != EM_OK || got != 64 * expect) {
            w->ok = 0;
            snprintf(w->msg, sizeof w->msg, "thread %d after %d ops: got %g want %g (%s)", w->id,
                     ops, got, 64 * expect, em_error_message());
        }
        em_array *next = em_scope_keep(y);
        em_scope_end();
        em_array_release(x);
        x = next;
    }
    em_array_release(x);
    em_array_release(one);
    em_array_release(two);
    return NULL;
}

static void test_many_threads(void) {
    int64_t live = em_live_arrays();
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){.id = i};
        CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_MSG(w[i].ok, "%s", w[i].msg);
    }
    CHECK(em_live_arrays() == live);
}

/* Threads evaluating large arrays at once all use the pool (one job at a
 * time; the others run alone) and get the same bits. */
typedef struct { em_array *x; em_array *want; int ok; } big_worker;

static void *big_main(void *v) {
    big_worker *b = v;
    b->ok = 1;
    for (int i = 0; i < 20 && b->ok; i++) {
        em_scope_begin();
        em_array *y = em_sum(em_exp(b->x), (int[]){0}, 1, false);
        em_array *eq = em_all(em_equal(y, b->want), NULL, -1, false);
        bool same = false;
        b->ok = em_array_item_bool(eq, &same) == EM_OK && same;
        em_scope_end();
    }
    return NULL;
}

static void test_concurrent_pool(void) {
    em_set_num_threads(2);
    em_scope_begin();
    em_array *x = em_reshape(em_sin(em_arange(0, 1 << 20, 1, EM_FLOAT32)), (int64_t[]){4096, 256}, 2);
    em_array *want = em_sum(em_exp(x), (int[]){0}, 1, false);
    CHECK(em_eval1(x) == EM_OK && em_eval1(want) == EM_OK);
    pthread_t th[4];
    big_worker b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (big_worker){x, want, 0};
        pthread_create(&th[i], NULL, big_main, &b[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(b[i].ok);
    }
    em_scope_end();
    em_set_num_threads(0);
}

int main(void) {
    const char *ops = getenv("EMBER_TEST_OPS");
    if (ops && atoi(ops) > 0) ops_per_thread = atoi(ops);
    test_pool_covers();
    test_pool_helpers();
    test_pool_nested();
    test_same_bits();
    test_sum_accuracy();
    test_matmul_split();
    test_many_threads();
    test_concurrent_pool();
    CHECK_NO_ERROR();
    CHECK_DONE();
}
