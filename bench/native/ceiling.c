/* ceiling.c -- the bandwidth ceiling for the benchmark suite, measured in the
 * same run as the frameworks: a plain C copy loop and the STREAM triad, on
 * OMP_NUM_THREADS threads (OpenMP, static schedule; one thread below 256 Ki
 * elements, where starting threads costs more than the work). Compiled by
 * the runner into bench/.build/libceiling.so and called through ctypes;
 * `reps` repetitions per call keep the ctypes call's own cost out of small
 * sizes. Ordinary stores, the code a compiler makes of the plain loop. */
#include <stddef.h>

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
