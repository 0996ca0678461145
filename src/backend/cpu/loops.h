/* loops.h -- the one strided driver of the CPU backend (NumPy's pattern): up
 * to CPU_MAX_OPS same-shaped operands, dimensions collapsed where every
 * operand is contiguous across them, and an inner 1-d loop called per row. */
#ifndef EM_BACKEND_CPU_LOOPS_H
#define EM_BACKEND_CPU_LOOPS_H

#include "../../core/array.h"

#define CPU_MAX_OPS 4

/* The inner loop: n elements; ptrs[k] is operand k's first element and
 * strides[k] its step in BYTES (0 for a broadcast operand). */
typedef void (*cpu_inner_fn)(char **ptrs, const int64_t *strides, int64_t n, const void *ctx);

/* Room for a context an inner loop is given that is made at run time (a
 * cast's pair of block converters): cpu_cast_loop, cpu_fused_loop. */
typedef struct { void (*a)(void); void (*b)(void); } cpu_loop_storage;

typedef struct cpu_iter {
    int nops, ndim;
    int64_t shape[EM_MAX_NDIM];
    int64_t strides[CPU_MAX_OPS][EM_MAX_NDIM]; /* bytes */
    char *base[CPU_MAX_OPS];
    int64_t itemsize[CPU_MAX_OPS];
} cpu_iter;

/* Sets up the walk over ops[0]'s shape; every operand must have that shape
 * and be evaluated. ops[k]'s strides are scaled by its own itemsize. */
void cpu_iter_init(cpu_iter *it, int nops, em_array *const *ops);
/* Calls fn once per innermost row (after collapsing), in row-major order,
 * on the calling thread. */
void cpu_iter_run(const cpu_iter *it, cpu_inner_fn fn, const void *ctx);
/* The same for loops whose elements are independent (each writes only its
 * own output element and fn only reads ctx): large walks are split over the
 * thread pool, fn then runs on parts of rows, possibly concurrently. */
void cpu_iter_run_parallel(const cpu_iter *it, cpu_inner_fn fn, const void *ctx);
/* cpu_iter_run_parallel's walk in tiles of the last two dims (tiled.c), taken
 * when an operand is read across its rows (a transposed view); false, doing
 * nothing, when the plain walk is as good. */
bool cpu_iter_run_tiled(const cpu_iter *it, cpu_inner_fn fn, const void *ctx);

/* Copies src into dst (same shape and dtype; any strides both; they must
 * not overlap). Large copies are split over the thread pool. */
void cpu_copy_strided(const em_array *src, em_array *dst);

#endif
