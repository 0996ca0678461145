/* pool.h -- the CPU backend's thread pool for intra-op parallelism.
 *
 * One process-wide pool of helper threads. A kernel hands it a loop over
 * [0, n) cut into chunks; the calling thread works on chunks too, helpers
 * that are awake join in, and the call returns when every chunk is done.
 *
 * Policy (why it looks this way):
 *   - Work of fewer than 2 * grain items never leaves the calling thread: a
 *     wake-up costs microseconds, so small arrays run exactly as before.
 *   - Chunks are handed out dynamically (the caller takes them from the front,
 *     helpers from the back), so a helper that the OS delays (these machines
 *     are shared) costs nothing: the caller takes its chunks. With one helper
 *     each thread keeps to its end of the data from one job to the next, which
 *     keeps cached data on the core that wrote it. The caller never waits for a helper that has not
 *     started; it waits only for chunks already taken.
 *   - Helpers spin briefly after a job (the next kernel usually follows in
 *     microseconds), then sleep on a condition variable.
 *   - One job at a time: a second caller (another stream's worker, another
 *     user thread, or a kernel nested in a job) runs its loop serially on its
 *     own thread instead of waiting, so the pool never oversubscribes cores.
 *   - BLAS runs single-threaded (openblas_set_num_threads(1) when the library
 *     is OpenBLAS); matmul splits its products over this pool instead, so pool
 *     threads and BLAS threads never compete for the same cores.
 *
 * The thread count (caller included) comes from EMBER_NUM_THREADS, else the
 * number of CPUs this process may run on; em_set_num_threads changes it.
 * Results never depend on it: kernels that combine partial results (float
 * sums) cut their work into chunks fixed by the data's size, not by the
 * number of threads. */
#ifndef EM_BACKEND_CPU_POOL_H
#define EM_BACKEND_CPU_POOL_H

#include <stdint.h>

/* Runs fn(ctx, begin, end) over disjoint ranges that cover [0, n), possibly
 * concurrently on several threads; returns when all have returned. Ranges
 * are at least `grain` long (except the last) and fn must not depend on how
 * [0, n) is cut. fn must not fail: a kernel that can fail records the error
 * in ctx and reports it after the call. */
typedef void (*cpu_pool_fn)(void *ctx, int64_t begin, int64_t end);
void cpu_pool_parallel_for(int64_t n, int64_t grain, cpu_pool_fn fn, void *ctx);

/* The number of threads a parallel loop may use, the caller included (>= 1). */
int cpu_pool_threads(void);

/* The least number of elements an elementwise share is worth: 16 Ki float32
 * elements take 5-20 us to stream, more than waking a helper costs, and arrays
 * of up to 16 Ki elements stay on the calling thread. */
enum { CPU_GRAIN_ELEMS = 16 * 1024 };

#endif
