/* test_streams.c -- devices and streams, asynchronous evaluation, events
 * between streams, kernel errors raised from workers, per-thread default
 * streams, and memory: bounded chains, the memory limit, the buffer cache. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

static const em_device cpu = {EM_CPU, 0}, gpu = {EM_GPU, 0};

static em_stream stream_or_die(em_device d) {
    em_stream s = {0, {EM_CPU, 0}};
    CHECK(em_new_stream(d, &s) == EM_OK);
    return s;
}

/* ---------------------------------------------------------------- devices */

static void test_devices(void) {
    em_device d = em_default_device();
    CHECK(d.type == EM_CPU && d.index == 0);
    CHECK(em_device_is_available(cpu) && !em_device_is_available(gpu));
    CHECK(em_device_count(EM_CPU) == 1 && em_device_count(EM_GPU) == 0);
    em_error_clear();
    CHECK(em_set_default_device(gpu) == EM_ERR_VALUE &&
          strcmp(em_error_message(), "[set_default_device] Cannot set gpu device without gpu backend.") == 0);
    em_error_clear();
    em_stream s;
    CHECK(em_default_stream(gpu, &s) == EM_ERR_VALUE &&
          strcmp(em_error_message(), "[default_stream] Cannot get gpu stream without gpu backend.") == 0);
    em_error_clear();
    CHECK(em_new_stream(gpu, &s) == EM_ERR_VALUE &&
          strcmp(em_error_message(), "[new_stream] Cannot make gpu stream without gpu backend.") == 0);
    em_error_clear();
    CHECK(em_set_default_device(cpu) == EM_OK);
    CHECK(em_default_stream((em_device){EM_CPU, 3}, &s) == EM_ERR_VALUE);
    em_error_clear();
}

/* ---------------------------------------------------------------- streams */

typedef struct { em_stream def; int ok; } thread_info;

static void *other_thread(void *v) {
    thread_info *t = v;
    t->ok = em_default_stream(cpu, &t->def) == EM_OK;
    /* work on this thread's own stream */
    em_array *a = em_full_double((int64_t[]){1000}, 1, 2, EM_FLOAT32);
    em_array *s = em_sum(a, NULL, -1, false);
    double v2 = 0;
    t->ok = t->ok && em_array_item_double(s, &v2) == EM_OK && v2 == 2000;
    t->ok = t->ok && em_current_stream().index == t->def.index;
    em_array_release(s);
    em_array_release(a);
    return NULL;
}

static void test_streams(void) {
    em_stream def, again;
    CHECK(em_default_stream(cpu, &def) == EM_OK && em_default_stream(cpu, &again) == EM_OK);
    CHECK(def.index == again.index && def.device.type == EM_CPU);
    CHECK(em_current_stream().index == def.index);
    em_stream s1 = stream_or_die(cpu), s2 = stream_or_die(cpu);
    CHECK(s1.index != s2.index && s1.index != def.index);
    /* a thread has its own default stream */
    pthread_t th;
    thread_info t = {0};
    pthread_create(&th, NULL, other_thread, &t);
    pthread_join(th, NULL);
    CHECK(t.ok && t.def.index != def.index);
    /* push / pop nest; set_default_stream changes this thread's default */
    CHECK(em_stream_push(s1) == EM_OK && em_current_stream().index == s1.index);
    CHECK(em_stream_push(s2) == EM_OK && em_current_stream().index == s2.index);
    em_stream_pop();
    CHECK(em_current_stream().index == s1.index);
    em_stream_pop();
    em_stream_pop(); /* one too many: nothing */
    CHECK(em_current_stream().index == def.index);
    CHECK(em_set_default_stream(s2) == EM_OK && em_current_stream().index == s2.index);
    CHECK(em_set_default_stream(def) == EM_OK && em_current_stream().index == def.index);
    em_error_clear();
    CHECK(em_stream_push((em_stream){100000, {EM_CPU, 0}}) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_stream_push((em_stream){0, {EM_GPU, 0}}) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_synchronize(s1) == EM_OK && em_synchronize(def) == EM_OK);
}

/* Work spread over streams, each step reading the last one's result from
 * another stream: events order them; values are exact. */
static void test_cross_stream(void) {
    em_stream s[3] = {stream_or_die(cpu), stream_or_die(cpu), stream_or_die(cpu)};
    int64_t n = 1 << 18;
    em_array *x = em_zeros(&n, 1, EM_FLOAT32), *one = em_array_from_double(1, EM_FLOAT32);
    for (int i = 0; i < 60; i++) {
        em_stream_push(s[i % 3]);
        em_scope_begin();
        em_array *y = em_scope_keep(em_add(em_exp(em_zeros(&n, 1, EM_FLOAT32)), x)); /* x + 1 */
        em_scope_end();
        em_array_release(x);
        x = y;
        if (i % 7 == 0) CHECK(em_async_eval(&x, 1) == EM_OK);
        em_stream_pop();
    }
    em_array *s_ = em_sum(x, NULL, -1, false);
    double v = 0;
    CHECK(em_array_item_double(s_, &v) == EM_OK);
    CHECK_CLOSE(v, 60.0 * (double)n, 0);
    em_array_release(s_);
    em_array_release(x);
    em_array_release(one);
    for (int k = 0; k < 3; k++) CHECK(em_synchronize(s[k]) == EM_OK);
}

/* async_eval returns, the arrays are encoded, and a later read waits. Arrays
 * released before their kernels run are freed by the worker. */
static void test_async(void) {
    int64_t live = em_live_arrays();
    int64_t n = 1 << 20;
    em_array *a = em_arange(0, (double)n, 1, EM_FLOAT32);
    em_array *aa = em_multiply(a, a), *b = em_sqrt(aa);
    em_array_release(aa);
    em_array *c = em_sum(b, NULL, -1, false);
    em_array *list[2] = {b, c};
    CHECK(em_async_eval(list, 2) == EM_OK);
    CHECK(em_array_is_evaluated(b) && em_array_is_evaluated(c));
    double v = 0;
    CHECK(em_array_item_double(c, &v) == EM_OK);
    CHECK_CLOSE(v, (double)n * (double)(n - 1) / 2, 1e-6);
    const float *p = em_array_data(b);
    CHECK(p && p[12345] == 12345.0f);
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
    /* dropped while in flight */
    for (int i = 0; i < 50; i++) {
        em_array *r = em_arange(0, 4096, 1, EM_FLOAT32), *x = em_exp(r);
        em_array_release(r);
        CHECK(em_async_eval(&x, 1) == EM_OK);
        em_array_release(x);
    }
    em_stream def;
    em_default_stream(cpu, &def);
    CHECK(em_synchronize(def) == EM_OK);
    CHECK_MSG(em_live_arrays() == live, "%lld arrays left", (long long)(em_live_arrays() - live));
}

/* ---------------------------------------------------------------- errors */

/* A gather with an index out of range fails in its kernel, on the worker:
 * the error reaches every reader, with its message, and the next
 * synchronize of the stream; then everything works as before. */
static void test_worker_errors(void) {
    em_scope_begin();
    em_stream s = stream_or_die(cpu), def;
    em_default_stream(cpu, &def);
    em_array *a = em_arange(0, 5, 1, EM_FLOAT32);
    int32_t bad[2] = {1, 7};
    em_array *idx = em_array_from_data(bad, (int64_t[]){2}, 1, EM_INT32);
    em_stream_push(s);
    em_array *y = em_take(a, idx, 0, true);
    em_array *z = em_add(y, em_array_from_double(1, EM_FLOAT32));
    em_stream_pop();
    em_array *w = em_multiply(z, z); /* on the default stream, reads s's result */
    CHECK(em_async_eval(&w, 1) == EM_OK); /* scheduling does not fail */
    em_error_clear();
    CHECK(em_eval1(w) == EM_ERR_INDEX);
    const char *msg = em_error_message();
    CHECK_MSG(strstr(msg, "7") && strstr(msg, "out of bounds"), "%s", msg);
    em_error_clear();
    double v;
    CHECK(em_array_item_double(y, &v) == EM_ERR_INDEX); /* sticky */
    em_error_clear();
    CHECK(em_array_data(z) == NULL && em_error_code() == EM_ERR_INDEX);
    em_error_clear();
    char *str = em_array_to_string(w);
    CHECK(str == NULL && em_error_code() == EM_ERR_INDEX);
    em_error_clear();
    /* the stream reports it once; the default stream only propagated it */
    CHECK(em_synchronize(s) == EM_ERR_INDEX);
    em_error_clear();
    CHECK(em_synchronize(s) == EM_OK);
    CHECK(em_synchronize(def) == EM_OK);
    /* and work goes on */
    em_stream_push(s);
    em_array *ok = em_take(a, em_array_from_data((int32_t[]){4}, (int64_t[]){1}, 1, EM_INT32), 0, true);
    em_stream_pop();
    CHECK(em_array_item_double(ok, &v) == EM_OK && v == 4);
    CHECK_NO_ERROR();
    free(str);
    em_scope_end();
}

/* ---------------------------------------------------------------- memory */

/* A chain of 1000 ops keeps memory bounded by its width: in place where it
 * can donate, and within the in-flight budget where it cannot. */
static void test_chain_memory(void) {
    int64_t n = 1 << 18; /* 1 MiB of float32 */
    em_array *one = em_array_from_double(1, EM_FLOAT32);
    em_array *x = em_zeros(&n, 1, EM_FLOAT32);
    em_eval1(x);
    em_clear_cache();
    em_reset_peak_memory();
    size_t base = em_get_active_memory();
    for (int i = 0; i < 1000; i++) {
        em_array *y = em_add(x, one);
        em_array_release(x);
        x = y;
    }
    double v = 0;
    em_array *s = em_sum(x, NULL, -1, false);
    CHECK(em_array_item_double(s, &v) == EM_OK && v == 1000.0 * (double)n);
    em_array_release(s);
    size_t peak = em_get_peak_memory() - base;
    CHECK_MSG(peak <= ((size_t)4 << 20), "donating chain peak %zu bytes", peak);
    /* no donation possible (each step reads a transposed view): fresh
     * buffers, but never the chain's length of them */
    em_array *m = em_reshape(x, (int64_t[]){512, 512}, 2);
    em_array_release(x);
    em_reset_peak_memory();
    base = em_get_active_memory();
    for (int i = 0; i < 400; i++) {
        em_array *t = em_transpose(m, NULL, 0), *y = em_add(t, one);
        em_array_release(t);
        em_array_release(m);
        m = y;
    }
    s = em_sum(m, NULL, -1, false);
    CHECK(em_array_item_double(s, &v) == EM_OK && v == 1400.0 * (double)n);
    em_array_release(s);
    peak = em_get_peak_memory() - base;
    CHECK_MSG(peak <= ((size_t)8 << 20), "non-donating chain peak %zu bytes (400 MiB unbounded)", peak);
    em_array_release(m);
    em_array_release(one);
}

/* Past the memory limit: EM_ERR_MEMORY, and the process goes on. */
static void test_memory_limit(void) {
    size_t old = em_set_memory_limit((size_t)32 << 20);
    int64_t big = (int64_t)16 << 20; /* 64 MiB of float32 */
    em_array *a = em_full_double(&big, 1, 1, EM_FLOAT32);
    em_error_clear();
    CHECK(em_eval1(a) == EM_ERR_MEMORY);
    CHECK_MSG(strstr(em_error_message(), "[malloc]") != NULL, "%s", em_error_message());
    em_error_clear();
    CHECK(!em_array_is_evaluated(a));
    /* work that fits still runs */
    int64_t small = 1 << 20;
    em_array *b = em_full_double(&small, 1, 2, EM_FLOAT32), *s = em_sum(b, NULL, -1, false);
    double v = 0;
    CHECK(em_array_item_double(s, &v) == EM_OK && v == 2.0 * (double)small);
    /* a chain whose steps (4 MiB in, 4 MiB out) fit the limit one at a time
     * but not two at once: allocating a step's output while the last step
     * still runs fails, the encoder waits for it, and the retry fits */
    em_array *z = em_full_double(&small, 1, 0, EM_FLOAT32);
    em_array *m = em_reshape(z, (int64_t[]){1024, 1024}, 2);
    em_array *one = em_array_from_double(1, EM_FLOAT32);
    em_array_release(z);
    CHECK(em_eval1(m) == EM_OK);
    em_clear_cache();
    em_set_memory_limit(em_get_active_memory() + ((size_t)6 << 20));
    for (int i = 0; i < 40; i++) {
        em_array *t = em_transpose(m, NULL, 0), *y = em_add(t, one);
        em_array_release(t);
        em_array_release(m);
        m = y;
    }
    em_array *ms = em_sum(m, NULL, -1, false);
    CHECK(em_array_item_double(ms, &v) == EM_OK && v == 40.0 * (double)small);
    CHECK_NO_ERROR();
    /* what was refused runs once the limit allows it */
    em_set_memory_limit(old);
    CHECK(em_eval1(a) == EM_OK);
    em_array *list[] = {a, b, s, m, one, ms};
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) em_array_release(list[i]);
}

/* Buffers go back to the cache, not the system, and serve the next request
 * of their size class. */
static void test_cache(void) {
    em_set_cache_limit((size_t)1 << 40);
    int64_t n = 4 << 20;
    em_array *a = em_zeros(&n, 1, EM_FLOAT32);
    em_eval1(a);
    const void *p = em_array_data(a);
    em_array_release(a);
    CHECK(em_get_cache_memory() >= (size_t)n * 4);
    em_array *b = em_ones(&n, 1, EM_FLOAT32);
    CHECK(em_array_data(b) == p);
    em_array_release(b);
    em_clear_cache();
    CHECK(em_get_cache_memory() == 0);
}

/* ---------------------------------------------------------------- threads and streams */

static void *short_lived(void *v) {
    atomic_int *ok = v;
    em_array *a = em_arange(0, 10, 1, EM_INT32), *s = em_sum(a, NULL, -1, false);
    int64_t r = 0;
    if (em_array_item_int(s, &r) == EM_OK && r == 45) atomic_fetch_add(ok, 1);
    em_array_release(s);
    em_array_release(a);
    return NULL;
}

/* More threads than stream slots, one after another: each thread's default
 * stream is retired when it exits and its slot reused. */
static void test_many_short_threads(void) {
    atomic_int ok = 0;
    int n = 1200;
    for (int i = 0; i < n; i++) {
        pthread_t th;
        if (pthread_create(&th, NULL, short_lived, &ok) != 0) break;
        pthread_join(th, NULL);
    }
    CHECK_MSG(atomic_load(&ok) == n, "%d of %d threads", atomic_load(&ok), n);
    CHECK_NO_ERROR();
}

/* External memory released on a worker: its deleter runs later on a thread
 * that builds or evaluates (never on a worker). */
static pthread_t main_thread;
static atomic_int deleted, deleted_on_main;

static void deleter(void *ctx) {
    (void)ctx;
    atomic_fetch_add(&deleted, 1);
    if (pthread_equal(pthread_self(), main_thread)) atomic_fetch_add(&deleted_on_main, 1);
}

static void test_external_deleters(void) {
    main_thread = pthread_self();
    static float data[256];
    for (int i = 0; i < 20; i++) {
        em_array *e = em_array_from_external(data, (int64_t[]){256}, NULL, 1, EM_FLOAT32, deleter, NULL);
        em_array *y = em_exp(e);
        em_array_release(e); /* only the node holds it now: it dies on the worker */
        CHECK(em_eval1(y) == EM_OK);
        em_array_release(y);
    }
    em_stream def;
    em_default_stream(cpu, &def);
    em_synchronize(def);
    em_array *z = em_zeros((int64_t[]){1}, 1, EM_FLOAT32); /* runs what was deferred */
    em_array_release(z);
    CHECK(atomic_load(&deleted) == 20 && atomic_load(&deleted_on_main) == 20);
}

int main(void) {
    test_devices();
    test_streams();
    test_cross_stream();
    test_async();
    test_worker_errors();
    test_chain_memory();
    test_memory_limit();
    test_cache();
    test_many_short_threads();
    test_external_deleters();
    CHECK_NO_ERROR();
    CHECK_DONE();
}
