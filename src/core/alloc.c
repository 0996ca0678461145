/* alloc.c -- the host buffer cache and the memory API.
 *
 * Sizes are rounded to size classes (4 per power of two above 4 KiB, 64-byte
 * steps below), so a freed block serves any later request of its class. Freed
 * blocks are kept per class until the cache passes its limit; then the oldest
 * classes are trimmed. Large blocks come from mmap with transparent huge pages
 * requested: a fresh 4 KiB page costs ~10 us to fault in on these machines. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

#define MMAP_MIN ((size_t)1 << 20)
#define NCLASSES 256

typedef struct block { struct block *next; } block;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static block *free_lists[NCLASSES];
static size_t active, peak, cached;
static size_t cache_limit = SIZE_MAX;   /* set on first use */
static size_t memory_limit = SIZE_MAX;  /* set on first use */
static int limits_set;

/* A fork copies only the forking thread: hold the lock across it so the
 * child's free lists are whole. Streams drain their work before (their
 * handler is registered after this one, and prepare handlers run in reverse
 * order of registration: stream.c registers this one first). */
static void fork_lock(void) { pthread_mutex_lock(&mu); }
static void fork_unlock(void) { pthread_mutex_unlock(&mu); }
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void fork_register(void) { pthread_atfork(fork_lock, fork_unlock, fork_unlock); }
void alloc_fork_register(void) { pthread_once(&fork_once, fork_register); }

static void init_limits(void) {
    if (limits_set) return;
    alloc_fork_register();
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    size_t ram = pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : (size_t)8 << 30;
    memory_limit = ram + ram / 2;  /* as MLX: 1.5x the machine's memory */
    cache_limit = memory_limit;
    limits_set = 1;
}

/* Size class of n and the rounded size it stands for. */
static int size_class(size_t n, size_t *rounded) {
    if (n <= 4096) {
        size_t r = (n + 63) & ~(size_t)63;
        if (r == 0) r = 64;
        *rounded = r;
        return (int)(r / 64) - 1; /* 0..63 */
    }
    int lg = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^lg < n <= 2^(lg+1) */
    size_t base = (size_t)1 << lg, step = base / 4;
    size_t k = (n - base + step - 1) / step; /* 1..4 */
    *rounded = base + k * step;
    int c = 64 + (lg - 12) * 4 + (int)(k - 1);
    return c < NCLASSES ? c : -1;
}

static void *sys_alloc(size_t r) {
    if (r >= MMAP_MIN) {
        void *p = mmap(NULL, r, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, r, MADV_HUGEPAGE);
#endif
        return p;
    }
    void *p = NULL;
    return posix_memalign(&p, 64, r) == 0 ? p : NULL;
}

static void sys_free(void *p, size_t r) {
    if (r >= MMAP_MIN) munmap(p, r);
    else free(p);
}

/* Frees cached blocks, largest classes first, until cached <= target. Called
 * with mu held. */
static void trim_locked(size_t target) {
    for (int c = NCLASSES - 1; c >= 0 && cached > target; c--) {
        size_t r;
        if (c < 64) r = (size_t)(c + 1) * 64;
        else {
            int lg = (c - 64) / 4 + 12, k = (c - 64) % 4 + 1;
            r = ((size_t)1 << lg) + (size_t)k * (((size_t)1 << lg) / 4);
        }
        while (free_lists[c] && cached > target) {
            block *b = free_lists[c];
            free_lists[c] = b->next;
            cached -= r;
            sys_free(b, r);
        }
    }
}

void *alloc_bytes(size_t n) {
    size_t r;
    int c = size_class(n, &r);
    if (c < 0 || r < n)
        return error_set(EM_ERR_MEMORY, "[malloc] Unable to allocate %zu bytes.", n);
    pthread_mutex_lock(&mu);
    init_limits();
    if (active + r > memory_limit || active + r < active) {
        size_t room = memory_limit > active ? memory_limit - active : 0;
        pthread_mutex_unlock(&mu);
        return error_set(EM_ERR_MEMORY,
                         "[malloc] Attempting to allocate %zu bytes which is greater than "
                         "the maximum allowed buffer size of %zu bytes.", n, room);
    }
    block *b = free_lists[c];
    if (b) {
        free_lists[c] = b->next;
        cached -= r;
    }
    active += r;
    if (active > peak) peak = active;
    pthread_mutex_unlock(&mu);
    if (b) return b;
    void *p = sys_alloc(r);
    if (!p) {
        /* Give the cache back to the system and try once more. */
        pthread_mutex_lock(&mu);
        trim_locked(0);
        pthread_mutex_unlock(&mu);
        p = sys_alloc(r);
    }
    if (!p) {
        pthread_mutex_lock(&mu);
        active -= r;
        pthread_mutex_unlock(&mu);
        return error_set(EM_ERR_MEMORY, "[malloc] Unable to allocate %zu bytes.", n);
    }
    return p;
}

void alloc_free(void *p, size_t n) {
    if (!p) return;
    size_t r;
    int c = size_class(n, &r);
    pthread_mutex_lock(&mu);
    active -= r;
    if (cached + r <= cache_limit) {
        block *b = p;
        b->next = free_lists[c];
        free_lists[c] = b;
        cached += r;
        p = NULL;
    }
    pthread_mutex_unlock(&mu);
    if (p) sys_free(p, r);
}

EM_API size_t em_get_active_memory(void) {
    pthread_mutex_lock(&mu);
    size_t v = active;
    pthread_mutex_unlock(&mu);
    return v;
}
EM_API size_t em_get_peak_memory(void) {
    pthread_mutex_lock(&mu);
    size_t v = peak;
    pthread_mutex_unlock(&mu);
    return v;
}
EM_API void em_reset_peak_memory(void) {
    pthread_mutex_lock(&mu);
    peak = active;
    pthread_mutex_unlock(&mu);
}
EM_API size_t em_get_cache_memory(void) {
    pthread_mutex_lock(&mu);
    size_t v = cached;
    pthread_mutex_unlock(&mu);
    return v;
}
EM_API size_t em_set_cache_limit(size_t limit) {
    pthread_mutex_lock(&mu);
    init_limits();
    size_t old = cache_limit;
    cache_limit = limit;
    trim_locked(limit);
    pthread_mutex_unlock(&mu);
    return old;
}
EM_API size_t em_get_memory_limit(void) {
    pthread_mutex_lock(&mu);
    init_limits();
    size_t v = memory_limit;
    pthread_mutex_unlock(&mu);
    return v;
}
EM_API size_t em_set_memory_limit(size_t limit) {
    pthread_mutex_lock(&mu);
    init_limits();
    size_t old = memory_limit;
    memory_limit = limit;
    pthread_mutex_unlock(&mu);
    return old;
}
EM_API void em_clear_cache(void) {
    pthread_mutex_lock(&mu);
    trim_locked(0);
    pthread_mutex_unlock(&mu);
}
