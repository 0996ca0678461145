/* ceiling.c -- the bandwidth ceiling for the benchmark suite, measured in the
 * same run as the frameworks: a plain C copy loop and the STREAM triad, on
 * OMP_NUM_THREADS threads (OpenMP, static schedule; one thread below 256 Ki
 * elements, where starting threads costs more than the work). Compiled by
 * the runner into bench/.build/libceiling.so and called through ctypes;
 * `reps` repetitions per call keep the ctypes call's own cost out of small
 * sizes. Ordinary stores, the code a compiler makes of the plain loop;
 * copy_stream_loop is the same copy with non-temporal stores (no read for
 * ownership of the destination: the least traffic any out-of-place
 * elementwise op can cause once its arrays leave the cache). */
#include <stddef.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#define STREAM_W 16
#define STREAM_ONE(d, s) _mm512_stream_ps((d), _mm512_loadu_ps(s))
#elif defined(__AVX__)
#include <immintrin.h>
#define STREAM_W 8
#define STREAM_ONE(d, s) _mm256_stream_ps((d), _mm256_loadu_ps(s))
#endif

#define BARRIER() __asm__ volatile("" ::: "memory")

void copy_loop(float *restrict dst, const float *restrict src, long n, int reps)
{
#pragma omp parallel if (n >= (1L << 18))
    for (int r = 0; r < reps; r++) {
#pragma omp for schedule(static)
        for (long i = 0; i < n; i++)
            dst[i] = src[i];
        BARRIER();
    }
}

void triad_loop(float *restrict dst, const float *restrict u, const float *restrict v, long n, int reps)
{
#pragma omp parallel if (n >= (1L << 18))
    for (int r = 0; r < reps; r++) {
#pragma omp for schedule(static)
        for (long i = 0; i < n; i++)
            dst[i] = u[i] + 3.0f * v[i];
        BARRIER();
    }
}

/* Non-temporal copy. dst is 64-byte aligned (NumPy's allocations are, and
 * the caller checks); a compiler without x86 vector streaming stores falls
 * back to the plain loop. Each thread's share starts on a 64-element
 * boundary. */
void copy_stream_loop(float *restrict dst, const float *restrict src, long n, int reps)
{
#pragma omp parallel if (n >= (1L << 18))
    for (int r = 0; r < reps; r++) {
#pragma omp for schedule(static)
        for (long b = 0; b < (n + 63) / 64; b++) {
            long i = b * 64, e = i + 64 < n ? i + 64 : n;
#ifdef STREAM_W
            for (; i + STREAM_W <= e; i += STREAM_W) STREAM_ONE(dst + i, src + i);
#endif
            for (; i < e; i++) dst[i] = src[i];
        }
#ifdef STREAM_W
        _mm_sfence();
#endif
        BARRIER();
    }
}
