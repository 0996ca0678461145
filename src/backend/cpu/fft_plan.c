/* fft_plan.c -- making FFT plans (factorisation, twiddles in double precision
 * rounded once to float, Bluestein's chirp) and caching them.
 *
 * The cache keeps up to PLAN_CACHE plans, shared by reference count, behind
 * one mutex; plans are immutable once made, so executions need no lock. A
 * plan is made outside the lock (a large one takes milliseconds); when two
 * threads make the same plan at once, the second to insert uses the first's. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/error.h"
#include "fft_plan.h"

/* The scalar instantiation, for Bluestein's filter. */
#define FP_R float
#define FP_W 1
#define FP_NAME(x) plan_##x
#define FP_ATTR __attribute__((unused))
#define FP_LANE(v, l) (v)
#include "fft_passes.h"
#undef FP_R
#undef FP_W
#undef FP_NAME
#undef FP_ATTR
#undef FP_LANE

#define PLAN_CACHE 32
#define PLAN_CACHE_BYTES ((size_t)128 << 20)

/* e^(-2 pi i num / den), num reduced into [0, den) by the caller. */
static fft_cf root(int64_t num, int64_t den) {
    double a = -2.0 * M_PI * ((double)num / (double)den);
    fft_cf w = {(float)cos(a), (float)sin(a)};
    return w;
}

/* ---------------------------------------------------------------- complex plans */

static void cplan_free(fft_cplan *p) {
    if (!p) return;
    cplan_free(p->blue);
    cplan_free(p->sub1);
    cplan_free(p->sub2);
    free(p->twq);
    free(p->twr);
    free(p->bk);
    free(p->bkf);
    free(p->mem);
    free(p);
}

/* The factors of n, in pass order: a 2 first, then 4s, 3s, 5s and the other
 * primes ascending. Returns their count, or -1 when a prime factor is larger
 * than FFT_MAX_GENERIC. */
static int factorize(int64_t n, int *f) {
    int nf = 0;
    if (n % 2 == 0 && __builtin_ctzll((unsigned long long)n) % 2 == 1) {
        f[nf++] = 2;
        n /= 2;
    }
    while (n % 4 == 0) {
        f[nf++] = 4;
        n /= 4;
    }
    for (int64_t d = 3; n > 1; d += 2) {
        if (d * d > n) d = n;
        while (n % d == 0) {
            if (d > FFT_MAX_GENERIC) return -1;
            f[nf++] = (int)d;
            n /= d;
        }
    }
    return nf;
}

/* The smallest 2^a 3^b 5^c >= n. */
static int64_t smooth_size(int64_t n) {
    int64_t best = INT64_MAX;
    for (int64_t f5 = 1; f5 < best; f5 *= 5)
        for (int64_t f35 = f5; f35 < best; f35 *= 3) {
            int64_t x = f35;
            while (x < n) x *= 2;
            if (x < best) best = x;
        }
    return best;
}

static fft_cplan *cplan_make(int64_t n, bool passes);

static bool bluestein_init(fft_cplan *p) {
    int64_t n = p->n, m = smooth_size(2 * n - 1);
    p->m = m;
    p->blue = cplan_make(m, true);
    p->bk = malloc((size_t)n * sizeof *p->bk);
    p->bkf = malloc((size_t)m * sizeof *p->bkf);
    plan_c *b = malloc((size_t)m * sizeof *b), *s = malloc((size_t)m * sizeof *s);
    bool ok = p->blue && p->bk && p->bkf && b && s;
    if (ok) {
        /* w_k = e^(pi i k^2 / n) with k^2 reduced mod 2n exactly */
        for (int64_t k = 0; k < n; k++) {
            unsigned __int128 k2 = (unsigned __int128)k * (unsigned __int128)k;
            int64_t q = (int64_t)(k2 % (unsigned __int128)(2 * n));
            p->bk[k] = root(q, 2 * n); /* conj(w_k) */
        }
        memset(b, 0, (size_t)m * sizeof *b);
        for (int64_t k = 0; k < n; k++) {
            plan_c w = {p->bk[k].r, -p->bk[k].i};
            b[k] = w;
            if (k) b[m - k] = w;
        }
        plan_cfft(p->blue, b, s);
        float inv = (float)(1.0 / (double)m);
        for (int64_t k = 0; k < m; k++) {
            p->bkf[k].r = b[k].r * inv;
            p->bkf[k].i = b[k].i * inv;
        }
        p->scratch = 2 * m;
        p->bytes += (size_t)(n + m) * sizeof(fft_cf) + p->blue->bytes;
    }
    free(b);
    free(s);
    return ok;
}

/* Splits n into n1 * n2, n1 the largest divisor of n not above sqrt(n), when
 * both are at least 16; true also when n is left unsplit, false when out of
 * memory. */
static bool fourstep_init(fft_cplan *p) {
    int64_t n = p->n, n1 = 0;
    for (int64_t d = (int64_t)sqrt((double)n) + 1; d >= 16; d--)
        if (d * d <= n && n % d == 0) {
            n1 = d;
            break;
        }
    if (n1 < 16 || n / n1 < 16) return true;
    p->n1 = n1;
    p->n2 = n / n1;
    p->sub1 = cplan_make(p->n1, true);
    p->sub2 = cplan_make(p->n2, true);
    p->nq = (p->n2 + 63) / 64;
    p->twq = malloc((size_t)(n1 * p->nq) * sizeof *p->twq);
    p->twr = malloc((size_t)(n1 * 64) * sizeof *p->twr);
    if (!p->sub1 || !p->sub2 || !p->twq || !p->twr) return false;
    p->bytes += (size_t)(n1 * p->nq + n1 * 64) * sizeof(fft_cf) + p->sub1->bytes + p->sub2->bytes;
    for (int64_t k1 = 0; k1 < n1; k1++) {
        for (int64_t q = 0; q < p->nq; q++) p->twq[k1 * p->nq + q] = root(k1 * 64 * q % n, n);
        for (int64_t r = 0; r < 64; r++) p->twr[k1 * 64 + r] = root(k1 * r % n, n);
    }
    return true;
}

/* The plan of length n. A long length is split for the four-step algorithm
 * unless `passes` asks for a plan that runs by passes (Bluestein's inner
 * plans, the four-step's own sub-plans): a split plan has no pass twiddles
 * (half its memory) and only runs through the four-step routines. */
static fft_cplan *cplan_make(int64_t n, bool passes) {
    fft_cplan *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    p->bytes = sizeof *p;
    int f[FFT_MAX_FACTORS];
    int nf = n > 1 ? factorize(n, f) : 0;
    if (nf < 0) {
        if (!bluestein_init(p)) {
            cplan_free(p);
            return NULL;
        }
        return p;
    }
    if (!passes && n >= FFT_FOURSTEP_MIN) {
        if (!fourstep_init(p)) {
            cplan_free(p);
            return NULL;
        }
        if (p->sub1) return p;
    }
    p->nfct = nf;
    p->scratch = n;
    /* twiddles: sum over passes of (ip - 1) * ido; roots: ip per generic pass */
    size_t total = 0, l1 = 1;
    for (int k = 0; k < nf; k++) {
        size_t ip = (size_t)f[k], ido = (size_t)n / (l1 * ip);
        total += (ip - 1) * ido + (ip > 5 ? ip : 0);
        l1 *= ip;
    }
    fft_cf *mem = malloc((total ? total : 1) * sizeof *mem);
    if (!mem) {
        free(p);
        return NULL;
    }
    p->mem = mem;
    p->bytes += total * sizeof *mem;
    l1 = 1;
    for (int k = 0; k < nf; k++) {
        size_t ip = (size_t)f[k], ido = (size_t)n / (l1 * ip);
        p->f[k].fct = f[k];
        p->f[k].tw = mem;
        for (size_t j = 1; j < ip; j++)
            for (size_t i = 0; i < ido; i++) mem[(j - 1) * ido + i] = root((int64_t)(j * l1 * i), n);
        mem += (ip - 1) * ido;
        if (ip > 5) {
            p->f[k].roots = mem;
            for (size_t q = 0; q < ip; q++) mem[q] = root((int64_t)q, (int64_t)ip);
            mem += ip;
        }
        l1 *= ip;
    }
    return p;
}

/* ---------------------------------------------------------------- plans */

static void plan_free(fft_plan *p) {
    cplan_free(p->c);
    free(p->rtw);
    free(p);
}

static fft_plan *plan_make(int64_t n, bool real) {
    fft_plan *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n;
    p->real = real;
    atomic_init(&p->rc, 1);
    bool half = real && n % 2 == 0;
    p->c = cplan_make(half ? n / 2 : n, false);
    if (p->c && half) {
        p->rtw = malloc((size_t)(n / 2 + 1) * sizeof *p->rtw);
        if (p->rtw)
            for (int64_t k = 0; k <= n / 2; k++) p->rtw[k] = root(k, n);
    }
    if (!p->c || (half && !p->rtw)) {
        plan_free(p);
        return NULL;
    }
    p->bytes = sizeof *p + p->c->bytes + (half ? (size_t)(n / 2 + 1) * sizeof(fft_cf) : 0);
    return p;
}

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static fft_plan *cache[PLAN_CACHE];
static uint64_t cache_clock;
static size_t cache_bytes;

/* With the lock held: the least recently used plan only the cache holds
 * (slot index), or -1. */
static int cache_victim(void) {
    int slot = -1;
    for (int i = 0; i < PLAN_CACHE; i++)
        if (cache[i] && atomic_load(&cache[i]->rc) == 1 && (slot < 0 || cache[i]->used < cache[slot]->used))
            slot = i;
    return slot;
}

static void cache_drop(int slot) {
    cache_bytes -= cache[slot]->bytes;
    plan_free(cache[slot]);
    cache[slot] = NULL;
}

/* With the lock held: the cached plan for (n, real), retained, or NULL. */
static fft_plan *cache_find(int64_t n, bool real) {
    for (int i = 0; i < PLAN_CACHE; i++)
        if (cache[i] && cache[i]->n == n && cache[i]->real == real) {
            atomic_fetch_add(&cache[i]->rc, 1);
            cache[i]->used = ++cache_clock;
            return cache[i];
        }
    return NULL;
}

fft_plan *fft_plan_get(int64_t n, bool real) {
    if (n < 1) return error_set(EM_ERR_VALUE, "[fft] Invalid FFT length %lld.", (long long)n);
    pthread_mutex_lock(&cache_mu);
    fft_plan *p = cache_find(n, real);
    pthread_mutex_unlock(&cache_mu);
    if (p) return p;
    fft_plan *made = plan_make(n, real);
    if (!made) return error_set(EM_ERR_MEMORY, "[fft] Out of memory making the plan of length %lld.", (long long)n);
    pthread_mutex_lock(&cache_mu);
    p = cache_find(n, real);
    if (!p) {
        /* make room (a slot, and the byte budget) by dropping the least
         * recently used plans only the cache holds; if that is not enough,
         * the plan is used once and not cached */
        int slot = -1, v;
        for (int i = 0; i < PLAN_CACHE && slot < 0; i++)
            if (!cache[i]) slot = i;
        if (slot < 0 && (v = cache_victim()) >= 0) {
            cache_drop(v);
            slot = v;
        }
        while (slot >= 0 && cache_bytes + made->bytes > PLAN_CACHE_BYTES && (v = cache_victim()) >= 0)
            cache_drop(v);
        if (slot >= 0 && cache_bytes + made->bytes <= PLAN_CACHE_BYTES) {
            atomic_fetch_add(&made->rc, 1);
            made->used = ++cache_clock;
            cache[slot] = made;
            cache_bytes += made->bytes;
        }
        p = made;
        made = NULL;
    }
    pthread_mutex_unlock(&cache_mu);
    if (made) plan_free(made);
    return p;
}

void fft_plan_release(fft_plan *p) {
    if (p && atomic_fetch_sub(&p->rc, 1) == 1) plan_free(p);
}

/* At exit, the cache's plans go back (so that leak checkers see none). */
__attribute__((destructor)) static void cache_clear(void) {
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < PLAN_CACHE; i++) {
        fft_plan_release(cache[i]);
        cache[i] = NULL;
    }
    cache_bytes = 0;
    pthread_mutex_unlock(&cache_mu);
}
