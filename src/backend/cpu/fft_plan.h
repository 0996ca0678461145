/* fft_plan.h -- FFT plans: the factorisation of a length, its twiddle tables
 * and, for lengths with a large prime factor, Bluestein's chirp filter; and
 * the process-wide cache that shares them between kernels and threads.
 *
 * Only the FORWARD transform (exponent -2 pi i jk / n) is planned: the
 * inverse is conj(forward(conj(x))), and the kernels fold both conjugations
 * into the copies they make anyway (gather, scatter, pre/post-processing). */
#ifndef EM_BACKEND_CPU_FFT_PLAN_H
#define EM_BACKEND_CPU_FFT_PLAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ember.h"

/* A complex float with the layout of complex64. */
typedef struct { float r, i; } fft_cf;

#define FFT_MAX_FACTORS 64
/* Prime factors up to this are done by a generic O(p^2) butterfly; a length
 * with a larger one goes through Bluestein. */
#define FFT_MAX_GENERIC 31

/* A complex forward transform of length n: passes of radix fct[k] (4, 2, 3,
 * 5 and generic odd primes up to FFT_MAX_GENERIC), in the self-sorting
 * (Stockham-like) order, or Bluestein's algorithm over a smooth length m. */
typedef struct fft_cplan {
    int64_t n;
    int nfct;
    struct {
        int fct;
        const fft_cf *tw;   /* (fct - 1) * ido twiddles, tw[j*ido + i] = w^(j*l1*i) */
        const fft_cf *roots; /* generic radix: e^(-2 pi i q / fct), q < fct */
    } f[FFT_MAX_FACTORS];
    struct fft_cplan *blue; /* Bluestein: the plan of length m, else NULL */
    int64_t m;
    fft_cf *bk;             /* e^(-pi i k^2 / n), k < n */
    fft_cf *bkf;            /* forward transform of the chirp filter, times 1/m */
    int64_t scratch;        /* complex elements of scratch an execution needs */
    /* Four-step (long lengths, n = n1 * n2): n1-point FFTs down the columns of
     * the n1 x n2 row-major matrix, twiddles w^(k1*j2), n2-point FFTs along
     * the rows, read out transposed. sub1 is NULL when the length is not
     * split. The twiddles come in two factors, w^(k1*j2) =
     * twq[k1*nq + j2/64] * twr[k1*64 + j2%64], so that the table is n/64
     * times smaller than the array (streaming a full one cost a third of the
     * time). */
    int64_t n1, n2, nq;
    struct fft_cplan *sub1, *sub2;
    fft_cf *twq, *twr;
    void *mem;
    size_t bytes;           /* memory held, sub-plans included */
} fft_cplan;

/* Lengths from this on are split for the four-step algorithm (their passes
 * would stream the whole array through memory once per factor). */
#define FFT_FOURSTEP_MIN 16384

/* What a kernel asks for: the complex plan of length n, or (real) what the
 * real transforms of length n need: for even n the complex plan of n/2 and
 * rtw[k] = e^(-2 pi i k / n), k <= n/2; for odd n the complex plan of n. */
typedef struct fft_plan {
    int64_t n;
    bool real;
    fft_cplan *c;
    fft_cf *rtw;
    atomic_long rc;
    uint64_t used;          /* cache LRU stamp */
    size_t bytes;
} fft_plan;

/* The plan for (n, real), from the cache or made and cached (the cache keeps
 * at most 32 plans and 128 MiB, dropping the least recently used unshared
 * ones first); a new
 * reference the caller gives back with fft_plan_release. NULL with an error
 * (out of memory, n < 1). Thread-safe. */
fft_plan *fft_plan_get(int64_t n, bool real);
void fft_plan_release(fft_plan *p);

#endif
