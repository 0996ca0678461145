/* stream.c -- devices, streams and their worker threads (stream.h, and the
 * devices-and-streams section of ember.h).
 *
 * A stream is a slot in a fixed table: a FIFO of tasks under a mutex, a
 * `submitted` count and a `done` count (a task's seq is its rank), and one
 * worker thread, started at the first task. The worker takes the whole queue
 * at once and runs it in order; after each task it publishes `done`. Waiters
 * spin briefly on `done`, then sleep on a condition variable; the worker
 * spins briefly on an empty queue, then sleeps too. Both sides write their
 * own counter before reading the other's (`waiting`, `sleeping`), with
 * sequentially consistent atomics, so no wake-up is lost.
 *
 * Each thread gets its own default stream the first time it builds an op;
 * when the thread exits, that stream is retired: its worker finishes the
 * queue and exits, and the slot is reused later with its counters kept (an
 * event (slot, seq) of the old stream stays "done"). Streams made with
 * em_stream_new live as long as the process. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../backend/cpu/kernels.h"
#include "alloc.h"
#include "error.h"
#include "stream.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_STREAMS = 1024, MAX_INFLIGHT = 1024, MAX_PUSH = 64 };
/* The bytes of fresh outputs a stream may have in flight before the encoder
 * waits for them: small arrays pipeline (thousands of tasks ahead), large
 * ones are encoded one at a time, which costs a few microseconds next to
 * their kernels' milliseconds, and keeps the peak memory of any graph within
 * this much of what running it in order would need. */
#define MAX_INFLIGHT_BYTES ((int64_t)1 << 20)
#define WAIT_SPIN_NS 20000L    /* a waiter spins this long before sleeping */
#define WORKER_SPIN_NS 50000L  /* an idle worker spins this long */

typedef struct dep { int stream; uint64_t seq; } dep;

typedef struct task {
    struct task *next;
    em_node *node;
    uint64_t seq;
    int64_t bytes;      /* fresh output memory it counts in flight */
    int nout, ndeps;
    em_array **outs;
    dep *deps;
} task;

typedef struct stream {
    int index;
    pthread_mutex_t mu;
    pthread_cond_t work;          /* the worker sleeps here */
    pthread_cond_t idle;          /* waiters sleep here */
    task *head, *tail;            /* mu */
    _Atomic uint64_t submitted;   /* written under mu */
    _Atomic uint64_t done;
    _Atomic int64_t inflight_bytes;
    atomic_int waiting;           /* threads asleep (or going to sleep) on idle */
    atomic_bool sleeping;         /* the worker is asleep (or going to sleep) */
    bool running;                 /* a worker thread exists (mu) */
    bool executing;               /* a waiting caller runs tasks (mu) */
    bool busy;                    /* the worker runs a batch (mu) */
    bool retired;                 /* its owner thread is gone (mu) */
    em_fault *fault;              /* the first failure not yet reported (mu) */
} stream;

static stream *slots[MAX_STREAMS];
static atomic_int nslots;
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static int free_slots[MAX_STREAMS], nfree; /* retired and idle (slots_mu) */

static _Thread_local bool tl_worker;
static _Thread_local int tl_in_task;        /* running a task (any thread) */
static _Thread_local int tl_default = -1;  /* the thread's default CPU stream */
static _Thread_local int tl_owned = -1;    /* the one it made (retired at exit) */
static _Thread_local int tl_push[MAX_PUSH];
static _Thread_local int tl_npush;

static pthread_key_t owner_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int default_device_type; /* EM_CPU; the GPU cannot be chosen */

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---------------------------------------------------------------- faults */

em_fault *fault_new(em_status code, const char *msg) {
    size_t n = strlen(msg) + 1;
    em_fault *f = malloc(sizeof *f + n);
    if (!f) return NULL;
    atomic_init(&f->rc, 1);
    atomic_init(&f->reported, false);
    f->code = code;
    memcpy(f->msg, msg, n);
    return f;
}

void fault_retain(em_fault *f) { atomic_fetch_add(&f->rc, 1); }

void fault_release(em_fault *f) {
    if (f && atomic_fetch_sub(&f->rc, 1) == 1) free(f);
}

static em_status fault_raise(em_fault *f) {
    atomic_store(&f->reported, true);
    return error_status(f->code, "%s", f->msg);
}

/* ---------------------------------------------------------------- slots */

static stream *get(int i) {
    return i >= 0 && i < atomic_load(&nslots) ? slots[i] : NULL;
}

static void retire_owned(void *arg);
static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

static void init(void) {
    pthread_key_create(&owner_key, retire_owned);
    alloc_fork_register(); /* first: its prepare then runs after ours */
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* A new stream slot (a reused one when a retired one is idle), or -1. */
static int slot_new(void) {
    pthread_once(&once, init);
    pthread_mutex_lock(&slots_mu);
    int i = -1;
    if (nfree > 0) {
        i = free_slots[--nfree];
        stream *s = slots[i];
        pthread_mutex_lock(&s->mu);
        s->retired = false;
        pthread_mutex_unlock(&s->mu);
    } else if (atomic_load(&nslots) < MAX_STREAMS) {
        stream *s = calloc(1, sizeof *s);
        if (s) {
            i = atomic_load(&nslots);
            s->index = i;
            pthread_mutex_init(&s->mu, NULL);
            pthread_cond_init(&s->work, NULL);
            pthread_cond_init(&s->idle, NULL);
            slots[i] = s;
            atomic_store(&nslots, i + 1);
        }
    }
    pthread_mutex_unlock(&slots_mu);
    return i;
}

static void slot_free(int i) {
    pthread_mutex_lock(&slots_mu);
    free_slots[nfree++] = i;
    pthread_mutex_unlock(&slots_mu);
}

/* The thread's default stream, made on first use. When no slot is left the
 * thread shares stream 0's queue (results are the same; only concurrency
 * is lost). */
static int thread_default(void) {
    if (tl_default >= 0) return tl_default;
    int i = slot_new();
    if (i < 0) return tl_default = get(0) ? 0 : -1;
    tl_default = tl_owned = i;
    pthread_setspecific(owner_key, (void *)(intptr_t)(i + 1));
    return i;
}

int stream_current(void) {
    if (tl_npush) return tl_push[tl_npush - 1];
    int i = thread_default();
    return i < 0 ? 0 : i;
}

bool stream_in_task(void) { return tl_worker || tl_in_task > 0; }

/* ---------------------------------------------------------------- waiting */

static void run_task(stream *s, task *t);

/* A caller that must wait for seq runs the queued tasks up to seq itself,
 * when the worker is not running a batch: the order stays the stream's, and
 * a synchronous evaluation skips two thread hand-offs (tens of microseconds
 * on a busy machine). Not with an error pending: a task clears the thread's
 * error. */
static void help(stream *s, uint64_t seq) {
    bool may_run = !tl_worker && !error_is_set();
    pthread_mutex_lock(&s->mu);
    while (may_run && atomic_load(&s->done) < seq && s->head && !s->executing && !s->busy) {
        task *batch = s->head, *last = batch;
        while (last->next && last->next->seq <= seq) last = last->next;
        s->head = last->next;
        if (!s->head) s->tail = NULL;
        last->next = NULL;
        s->executing = true;
        pthread_mutex_unlock(&s->mu);
        while (batch) {
            task *t = batch;
            batch = t->next;
            run_task(s, t);
        }
        pthread_mutex_lock(&s->mu);
        s->executing = false;
    }
    /* what is left (tasks submitted without a wake-up included) goes to
     * the worker */
    if (atomic_load(&s->sleeping) && (s->head || s->retired)) pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
}

static void wait_done(stream *s, uint64_t seq) {
    if (atomic_load(&s->done) >= seq) return;
    help(s, seq);
    if (atomic_load(&s->done) >= seq) return;
    int64_t until = now_ns() + WAIT_SPIN_NS;
    for (int k = 0; atomic_load(&s->done) < seq; k++) {
        CPU_RELAX();
        if ((k & 63) == 63 && now_ns() > until) break;
    }
    if (atomic_load(&s->done) >= seq) return;
    pthread_mutex_lock(&s->mu);
    atomic_fetch_add(&s->waiting, 1);
    while (atomic_load(&s->done) < seq) pthread_cond_wait(&s->idle, &s->mu);
    atomic_fetch_sub(&s->waiting, 1);
    pthread_mutex_unlock(&s->mu);
}

bool buffer_ready(const em_buffer *b) {
    uint64_t seq = atomic_load(&b->ev_seq);
    if (seq == 0) return true;
    stream *s = get(atomic_load(&b->ev_stream));
    return !s || atomic_load(&s->done) >= seq;
}

em_status buffer_wait(const em_buffer *b) {
    uint64_t seq = atomic_load(&b->ev_seq);
    stream *s = seq ? get(atomic_load(&b->ev_stream)) : NULL;
    if (s) wait_done(s, seq);
    return b->fault ? fault_raise(b->fault) : EM_OK;
}

void streams_kick(void) {
    int n = atomic_load(&nslots);
    for (int i = 0; i < n; i++) {
        stream *s = slots[i];
        pthread_mutex_lock(&s->mu);
        if (s->head && atomic_load(&s->sleeping)) pthread_cond_signal(&s->work);
        pthread_mutex_unlock(&s->mu);
    }
}

bool streams_drain(void) {
    bool any = false;
    int n = atomic_load(&nslots);
    for (int i = 0; i < n; i++) {
        stream *s = slots[i];
        uint64_t want = atomic_load(&s->submitted);
        if (atomic_load(&s->done) < want) {
            any = true;
            wait_done(s, want);
        }
    }
    return any;
}

/* ---------------------------------------------------------------- the worker */

/* Runs n's kernel into outs (nout of them) unless an input carries a fault;
 * a fault, found or made, is attached to the outputs' buffers, and one the
 * kernel made becomes the stream's latest failure. */
static void run_kernel(stream *s, em_node *n, em_array *const *outs, int nout) {
    em_fault *f = NULL;
    for (int i = 0; i < n->n_in && !f; i++) {
        em_buffer *b = n->inputs[i]->buf;
        if (b && b->fault) {
            f = b->fault;
            fault_retain(f);
        }
    }
    bool own = false;
    if (!f) {
        em_error_clear();
        em_status st = cpu_run(n, n->inputs, outs);
        if (st != EM_OK) {
            char msg[64];
            const char *m = em_error_message();
            if (!*m) {
                snprintf(msg, sizeof msg, "[%s] The kernel failed.", em_primitives[n->prim].name);
                m = msg;
            }
            f = fault_new(error_is_set() ? em_error_code() : st, m);
            own = true;
        }
        em_error_clear();
    }
    if (!f) return;
    for (int i = 0; i < nout; i++) {
        em_buffer *b = outs[i] ? outs[i]->buf : NULL;
        if (b && !b->fault) {
            fault_retain(f);
            b->fault = f;
        }
    }
    pthread_mutex_lock(&s->mu);
    if (own && (!s->fault || atomic_load(&s->fault->reported))) {
        fault_release(s->fault);
        fault_retain(f);
        s->fault = f;
    }
    pthread_mutex_unlock(&s->mu);
    fault_release(f);
}

static void run_task(stream *s, task *t) {
    tl_in_task++;
    em_node *n = t->node;
    for (int i = 0; i < t->ndeps; i++) {
        stream *o = get(t->deps[i].stream);
        if (o) wait_done(o, t->deps[i].seq);
    }
    run_kernel(s, n, t->outs, t->nout);
    /* Unpin the outputs, then let the node go: the inputs nobody else holds
     * die here, and their memory returns before `done` moves. */
    for (int i = 0; i < t->nout; i++) {
        if (!t->outs[i]) continue; /* a released optional output */
        atomic_fetch_sub(&t->outs[i]->task_refs, 1);
        em_array_release(t->outs[i]);
    }
    node_release(n);
    atomic_fetch_sub(&s->inflight_bytes, t->bytes);
    atomic_store(&s->done, t->seq);
    if (atomic_load(&s->waiting) > 0) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->mu);
    }
    free(t);
    tl_in_task--;
}

static void *worker_main(void *arg) {
    stream *s = arg;
    tl_worker = true;
    pthread_mutex_lock(&s->mu);
    bool spun = false;
    for (;;) {
        if (s->head && !s->executing) {
            task *batch = s->head;
            s->head = s->tail = NULL;
            s->busy = true;
            pthread_mutex_unlock(&s->mu);
            while (batch) {
                task *t = batch;
                batch = t->next;
                run_task(s, t);
            }
            pthread_mutex_lock(&s->mu);
            s->busy = false;
            spun = false;
            continue;
        }
        if (s->retired && !s->head && !s->executing) break; /* retired and idle */
        if (!spun && !s->retired) {
            /* spin a little: the next task usually comes within microseconds */
            pthread_mutex_unlock(&s->mu);
            int64_t until = now_ns() + WORKER_SPIN_NS;
            uint64_t seen = atomic_load(&s->submitted);
            for (int k = 0; atomic_load(&s->submitted) == seen; k++) {
                CPU_RELAX();
                if ((k & 63) == 63 && now_ns() > until) break;
            }
            pthread_mutex_lock(&s->mu);
            spun = true;
            continue;
        }
        /* every condition was checked under the lock: a submit, a retire
         * or a helper's end signals after it */
        atomic_store(&s->sleeping, true);
        pthread_cond_wait(&s->work, &s->mu);
        atomic_store(&s->sleeping, false);
        spun = false;
    }
    s->running = false;
    pthread_mutex_unlock(&s->mu);
    slot_free(s->index);
    return NULL;
}

/* ---------------------------------------------------------------- submitting */

em_status stream_submit(em_node *n, em_array *const *outs, int64_t bytes, bool wake) {
    stream *s = get(n->stream);
    if (!s)
        return error_status(EM_ERR_RUNTIME, "[eval] The stream %d of %s does not exist.", n->stream,
                            em_primitives[n->prim].name);
    /* A caller about to wait runs the kernel itself, with no task, when
     * nothing is queued or running on the stream and every input is ready:
     * the order is the stream's all the same, and neither the queue's lock
     * nor the worker is touched (a worker woken by each submission would
     * spin on the other core that the kernels' helpers need). */
    if (!wake && !tl_worker && !error_is_set() && atomic_load(&s->done) == atomic_load(&s->submitted)) {
        bool ready = true;
        for (int i = 0; i < n->n_in && ready; i++)
            ready = !n->inputs[i]->buf || buffer_ready(n->inputs[i]->buf);
        if (ready) {
            tl_in_task++;
            run_kernel(s, n, outs, n->n_out);
            tl_in_task--;
            return EM_OK;
        }
    }
    /* the inputs still being written on other streams (one wait per stream,
     * for the latest write) */
    int ndeps = 0;
    dep deps[16];
    dep *extra = NULL;
    for (int i = 0; i < n->n_in; i++) {
        const em_buffer *b = n->inputs[i]->buf;
        uint64_t seq = b ? atomic_load(&b->ev_seq) : 0;
        int sid = b ? atomic_load(&b->ev_stream) : 0;
        stream *o = seq && sid != n->stream ? get(sid) : NULL;
        if (!o || atomic_load(&o->done) >= seq) continue;
        int k = 0;
        dep *d = extra ? extra : deps;
        while (k < ndeps && d[k].stream != sid) k++;
        if (k < ndeps) {
            if (d[k].seq < seq) d[k].seq = seq;
            continue;
        }
        if (ndeps == 16 && !extra) {
            extra = malloc((size_t)n->n_in * sizeof *extra);
            if (!extra) return error_status(EM_ERR_MEMORY, "[eval] Out of memory.");
            memcpy(extra, deps, sizeof deps);
            d = extra;
        }
        d[ndeps++] = (dep){sid, seq};
    }
    task *t = malloc(sizeof *t + (size_t)n->n_out * sizeof(em_array *) + (size_t)ndeps * sizeof(dep));
    if (!t) {
        free(extra);
        return error_status(EM_ERR_MEMORY, "[eval] Out of memory.");
    }
    t->next = NULL;
    t->node = n;
    t->bytes = bytes;
    t->nout = n->n_out;
    t->ndeps = ndeps;
    t->outs = (em_array **)(t + 1);
    t->deps = (dep *)(t->outs + n->n_out);
    memcpy(t->deps, extra ? extra : deps, (size_t)ndeps * sizeof(dep));
    free(extra);
    for (int i = 0; i < n->n_out; i++) {
        t->outs[i] = em_array_retain(outs[i]);
        if (outs[i]) atomic_fetch_add(&outs[i]->task_refs, 1);
    }
    node_retain(n);

    /* Bounded work in flight: wait for the older half of the tasks, or for
     * all of them when they hold too much fresh memory. */
    uint64_t sub = atomic_load(&s->submitted);
    if (!tl_worker) {
        if (sub - atomic_load(&s->done) >= MAX_INFLIGHT) wait_done(s, sub - MAX_INFLIGHT / 2);
        if (atomic_load(&s->inflight_bytes) + bytes > MAX_INFLIGHT_BYTES) wait_done(s, sub);
    }
    atomic_fetch_add(&s->inflight_bytes, bytes);

    pthread_mutex_lock(&s->mu);
    t->seq = atomic_load(&s->submitted) + 1;
    for (int i = 0; i < n->n_out; i++) {
        em_buffer *b = outs[i] ? outs[i]->buf : NULL;
        if (!b) continue;
        atomic_store(&b->ev_stream, s->index);
        atomic_store(&b->ev_seq, t->seq);
    }
    if (s->tail) s->tail->next = t;
    else s->head = t;
    s->tail = t;
    atomic_store(&s->submitted, t->seq);
    bool start = !s->running;
    if (start) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        s->running = pthread_create(&th, &attr, worker_main, s) == 0;
        pthread_attr_destroy(&attr);
        if (!s->running) {
            /* no thread: take the task back and report it */
            s->head = s->head == t ? NULL : s->head;
            if (s->tail == t) {
                task *p = s->head;
                while (p && p->next != t) p = p->next;
                if (p) p->next = NULL;
                s->tail = p;
            }
            atomic_store(&s->submitted, t->seq - 1);
            pthread_mutex_unlock(&s->mu);
            for (int i = 0; i < n->n_out; i++) {
                if (!outs[i]) continue;
                atomic_fetch_sub(&outs[i]->task_refs, 1);
                em_array_release(outs[i]);
                if (outs[i]->buf) atomic_store(&outs[i]->buf->ev_seq, 0);
            }
            node_release(n);
            free(t);
            return error_status(EM_ERR_RUNTIME, "[eval] Could not start a worker thread.");
        }
    } else if (wake && atomic_load(&s->sleeping)) {
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
    return EM_OK;
}

/* ---------------------------------------------------------------- retiring and forking */

static void retire_owned(void *arg) {
    int i = (int)(intptr_t)arg - 1;
    stream *s = get(i);
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->retired = true;
    bool idle = !s->running;
    if (!idle) pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    if (idle) slot_free(i);
}

/* A fork copies only the forking thread: finish all work first, and hold
 * every stream's lock across the fork so the child's copies are consistent;
 * the child starts without workers (new ones start at the next task). */
static void fork_prepare(void) {
    streams_drain();
    pthread_mutex_lock(&slots_mu);
    for (int i = 0; i < atomic_load(&nslots); i++) pthread_mutex_lock(&slots[i]->mu);
}

static void fork_parent(void) {
    for (int i = atomic_load(&nslots) - 1; i >= 0; i--) pthread_mutex_unlock(&slots[i]->mu);
    pthread_mutex_unlock(&slots_mu);
}

static void fork_child(void) {
    for (int i = 0; i < atomic_load(&nslots); i++) {
        stream *s = slots[i];
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->work, NULL);
        pthread_cond_init(&s->idle, NULL);
        s->running = false;
        s->executing = false;
        s->busy = false;
        atomic_store(&s->sleeping, false);
        atomic_store(&s->waiting, 0);
    }
    pthread_mutex_init(&slots_mu, NULL);
}

/* ---------------------------------------------------------------- the public API */

static const char no_gpu_stream[] = "[%s] Cannot %s gpu stream without gpu backend.";

static em_status check_device(em_device d, const char *op, const char *verb) {
    if (d.type == EM_GPU) return error_status(EM_ERR_VALUE, no_gpu_stream, op, verb);
    if (d.type != EM_CPU) return error_status(EM_ERR_VALUE, "[%s] Invalid device type %d.", op, (int)d.type);
    if (d.index != 0)
        return error_status(EM_ERR_VALUE, "[%s] There is no cpu device %d (the cpu has index 0).", op,
                            d.index);
    return EM_OK;
}

static em_status check_stream(em_stream s, const char *op) {
    em_status st = check_device(s.device, op, "use a");
    if (st != EM_OK) return st;
    if (!get(s.index)) return error_status(EM_ERR_VALUE, "[%s] There is no stream %d.", op, s.index);
    return EM_OK;
}

static em_stream make(int i) { return (em_stream){i, {EM_CPU, 0}}; }

EM_API em_device em_device_default(void) {
    return (em_device){(em_device_type)atomic_load(&default_device_type), 0};
}

EM_API em_status em_device_set_default(em_device d) {
    if (d.type == EM_GPU)
        return error_status(EM_ERR_VALUE, "[set_default_device] Cannot set gpu device without gpu backend.");
    em_status st = check_device(d, "set_default_device", "use a");
    if (st == EM_OK) atomic_store(&default_device_type, d.type);
    return st;
}

EM_API bool em_device_is_available(em_device d) { return d.type == EM_CPU && d.index == 0; }

EM_API int em_device_count(em_device_type type) { return type == EM_CPU ? 1 : 0; }

EM_API em_status em_stream_default(em_device d, em_stream *out) {
    em_status st = check_device(d, "default_stream", "get");
    if (st != EM_OK) return st;
    if (out) *out = make(stream_current());
    return EM_OK;
}

EM_API em_status em_stream_set_default(em_stream s) {
    em_status st = check_stream(s, "set_default_stream");
    if (st == EM_OK) {
        thread_default(); /* the thread's own stream stays its to retire */
        tl_default = s.index;
    }
    return st;
}

EM_API em_status em_stream_new(em_device d, em_stream *out) {
    em_status st = check_device(d, "new_stream", "make");
    if (st != EM_OK) return st;
    int i = slot_new();
    if (i < 0)
        return error_status(EM_ERR_RUNTIME, "[new_stream] Too many streams (at most %d).", MAX_STREAMS);
    if (out) *out = make(i);
    return EM_OK;
}

EM_API em_stream em_stream_current(void) { return make(stream_current()); }

EM_API em_status em_stream_push(em_stream s) {
    em_status st = check_stream(s, "stream");
    if (st != EM_OK) return st;
    if (tl_npush == MAX_PUSH)
        return error_status(EM_ERR_RUNTIME, "[stream] Streams nest at most %d deep.", MAX_PUSH);
    tl_push[tl_npush++] = s.index;
    return EM_OK;
}

EM_API void em_stream_pop(void) {
    if (tl_npush) tl_npush--;
}

EM_API em_status em_stream_synchronize(em_stream s) {
    em_status st = check_stream(s, "synchronize");
    if (st != EM_OK) return st;
    buffer_run_deferred();
    stream *x = get(s.index);
    wait_done(x, atomic_load(&x->submitted));
    pthread_mutex_lock(&x->mu);
    em_fault *f = x->fault;
    x->fault = NULL;
    pthread_mutex_unlock(&x->mu);
    if (!f) return EM_OK;
    st = atomic_load(&f->reported) ? EM_OK : fault_raise(f);
    fault_release(f);
    return st;
}
