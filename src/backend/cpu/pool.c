/* pool.c -- the CPU thread pool (policy and contract in pool.h).
 *
 * Protocol. A job is published in one 64-bit atomic word, `state`: the job's
 * id (high 32 bits), an OPEN bit, and the number of helpers working on it. A
 * helper joins by a compare-and-swap that succeeds only while the job it saw
 * is current and open, which gives it a happens-before edge to the job's
 * fields; it then takes chunks (atomic front and back ends) and leaves by
 * decrementing the count. The caller takes chunks too; when none are left it
 * clears OPEN (late helpers can no longer join) and waits for the count to
 * reach zero, which only helpers already inside a chunk can hold up. A helper
 * that the OS has not scheduled yet therefore never delays the caller.
 *
 * Sleep. A helper spins (with pause) for SPIN_NS after its last job, then
 * sleeps on a condition variable until `wake_seq` changes. The caller bumps
 * wake_seq after publishing and broadcasts only when `sleepers` is nonzero;
 * both sides write their variable, then read the other's (sequentially
 * consistent atomics), so a wake-up is never lost. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "ember.h"
#include "pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_THREADS = 256, CHUNKS_PER_THREAD = 4 };
#define SPIN_NS 50000L   /* how long an idle helper spins before it sleeps */
#define OPEN_BIT ((uint64_t)1 << 31)
#define ACTIVE_MASK (OPEN_BIT - 1)

/* Grouped by who writes what, one cache line each (a line that two cores
 * write in turn costs a transfer per write): the caller's own flags; the
 * job and its `state`, written by the caller and then only read by helpers
 * (one transfer brings them all); the chunk ends, which every thread
 * takes from; and what sleeping and starting helpers use. */
static struct {
    _Alignas(64) atomic_flag busy; /* a job is running */
    uint32_t last_id;
    _Alignas(64) _Atomic uint64_t state; /* id << 32 | OPEN | active helpers */
    cpu_pool_fn fn;                /* the job, valid while its id is current */
    void *ctx;
    int64_t n, chunk, nchunks;
    int want;                      /* helpers 0..want-1 may join */
    _Alignas(64) _Atomic uint64_t ends; /* chunks [front, back) are left: back << 32 | front */
    _Alignas(64) atomic_uint wake_seq;
    atomic_int sleepers;
    pthread_mutex_t mu;            /* guards the helpers' creation and sleep */
    pthread_cond_t cv;
    atomic_int nhelpers;           /* started (changed under mu) */
    atomic_int threads;            /* the configured count, caller included */
} pool = {
    .busy = ATOMIC_FLAG_INIT,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* OpenBLAS's thread count, when the BLAS is OpenBLAS (weak: any other BLAS
 * simply lacks it). */
extern void openblas_set_num_threads(int n) __attribute__((weak));

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int default_threads(void) {
    const char *env = getenv("EMBER_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1) return v > MAX_THREADS ? MAX_THREADS : (int)v;
    }
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int c = CPU_COUNT(&set);
        if (c >= 1) return c > MAX_THREADS ? MAX_THREADS : c;
    }
#endif
    return 1;
}

static void after_fork_child(void) {
    /* The helpers did not survive the fork; start again from none. */
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.cv, NULL);
    atomic_store(&pool.nhelpers, 0);
    atomic_store(&pool.state, 0);
    atomic_store(&pool.sleepers, 0);
    atomic_flag_clear(&pool.busy);
}

static void init(void) {
    atomic_store(&pool.threads, default_threads());
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    pthread_atfork(NULL, NULL, after_fork_child);
}

int cpu_pool_threads(void) {
    pthread_once(&once, init);
    return atomic_load(&pool.threads);
}

EM_API int em_set_num_threads(int n) {
    int old = cpu_pool_threads();
    if (n <= 0) n = default_threads();
    atomic_store(&pool.threads, n > MAX_THREADS ? MAX_THREADS : n);
    return old;
}

EM_API int em_get_num_threads(void) { return cpu_pool_threads(); }

/* Takes chunks of the current job until none are left: the caller from the
 * front, helpers from the back. So with one helper each thread works on the
 * same part of the data from one job to the next (an array written by one
 * kernel and read by the next stays in that core's cache instead of moving
 * between cores), and whoever is faster takes the middle. */
static void run_chunks(bool caller) {
    for (;;) {
        uint64_t e = atomic_load(&pool.ends);
        uint32_t front = (uint32_t)e, back = (uint32_t)(e >> 32);
        if (front >= back) return;
        uint64_t taken = caller ? e + 1 : e - ((uint64_t)1 << 32);
        if (!atomic_compare_exchange_weak(&pool.ends, &e, taken)) continue;
        int64_t c = caller ? front : back - 1;
        int64_t b = c * pool.chunk, end = b + pool.chunk;
        pool.fn(pool.ctx, b, end < pool.n ? end : pool.n);
    }
}

static void *helper_main(void *arg) {
    int self = (int)(intptr_t)arg;
    uint32_t seen = 0;
    for (;;) {
        /* Wait for a job newer than the last one seen: spin, then sleep. */
        uint64_t s = atomic_load(&pool.state);
        if ((uint32_t)(s >> 32) == seen) {
            int64_t until = now_ns() + SPIN_NS;
            for (int k = 0;; k++) {
                CPU_RELAX();
                s = atomic_load(&pool.state);
                if ((uint32_t)(s >> 32) != seen) break;
                if ((k & 63) == 63 && now_ns() > until) break;
            }
        }
        if ((uint32_t)(s >> 32) == seen) {
            unsigned w = atomic_load(&pool.wake_seq);
            pthread_mutex_lock(&pool.mu);
            atomic_fetch_add(&pool.sleepers, 1);
            while ((uint32_t)(atomic_load(&pool.state) >> 32) == seen &&
                   atomic_load(&pool.wake_seq) == w)
                pthread_cond_wait(&pool.cv, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
            continue;
        }
        seen = (uint32_t)(s >> 32);
        /* Join while the job is open (and still this one). */
        bool joined = false;
        while ((uint32_t)(s >> 32) == seen && (s & OPEN_BIT)) {
            if (atomic_compare_exchange_weak(&pool.state, &s, s + 1)) {
                joined = true;
                break;
            }
        }
        if (!joined) continue;
        if (self < pool.want) run_chunks(false);
        atomic_fetch_sub(&pool.state, 1);
    }
    return NULL;
}

/* Starts helpers until `want` exist (as many as it can). */
static void ensure_helpers(int want) {
    if (atomic_load(&pool.nhelpers) >= want) return;
    pthread_mutex_lock(&pool.mu);
    while (pool.nhelpers < want) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, helper_main, (void *)(intptr_t)pool.nhelpers);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool.nhelpers++;
    }
    pthread_mutex_unlock(&pool.mu);
}

void cpu_pool_parallel_for(int64_t n, int64_t grain, cpu_pool_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int threads = cpu_pool_threads();
    if (threads <= 1 || n < 2 * grain || atomic_flag_test_and_set(&pool.busy)) {
        fn(ctx, 0, n);
        return;
    }
    int64_t nchunks = n / grain;
    if (nchunks > (int64_t)threads * CHUNKS_PER_THREAD) nchunks = (int64_t)threads * CHUNKS_PER_THREAD;
    int want = (int)(nchunks - 1 < threads - 1 ? nchunks - 1 : threads - 1);
    ensure_helpers(want);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = (n + nchunks - 1) / nchunks;
    /* long chunks start on multiples of 64 items: split SIMD loops stay
     * aligned and no two threads write one cache line */
    if (pool.chunk > 256) pool.chunk = (pool.chunk + 63) & ~(int64_t)63;
    pool.nchunks = (n + pool.chunk - 1) / pool.chunk;
    pool.want = want;
    atomic_store(&pool.ends, (uint64_t)pool.nchunks << 32);
    if (++pool.last_id == 0) pool.last_id = 1;
    atomic_store(&pool.state, (uint64_t)pool.last_id << 32 | OPEN_BIT);
    atomic_fetch_add(&pool.wake_seq, 1);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.cv);
        pthread_mutex_unlock(&pool.mu);
    }
    run_chunks(true);
    atomic_fetch_and(&pool.state, ~OPEN_BIT);
    /* Only helpers inside a chunk can hold this up; yield if one of them
     * has been preempted. */
    for (int k = 1; atomic_load(&pool.state) & ACTIVE_MASK; k++) {
        CPU_RELAX();
        if ((k & 1023) == 0) sched_yield();
    }
    atomic_flag_clear(&pool.busy);
}
