/* elementwise.h -- what the elementwise kernel families share: running an
 * inner loop over same-shaped operands with the fast paths, and computing
 * float16/bfloat16 through float32 loops block by block. */
#ifndef EM_BACKEND_CPU_ELEMENTWISE_H
#define EM_BACKEND_CPU_ELEMENTWISE_H

#include "../../core/node.h"
#include "loops.h"

/* Elements per block when a loop works through a scratch buffer. */
#define CPU_BLOCK 512
/* Elements per block of the plain contiguous loops: copying a block into
 * local arrays tells the compiler the output does not alias the inputs, and
 * a constant trip count lets GCC vectorise it at -O2. */
#define CPU_VBLOCK 32

/* The dtype of a C element type of the compute dtypes (not the halves,
 * which the kernels handle as float32). */
#define CPU_DTYPE_OF(T)                                                        \
    _Generic((T){0}, bool: EM_BOOL, uint8_t: EM_UINT8, uint16_t: EM_UINT16,    \
             uint32_t: EM_UINT32, uint64_t: EM_UINT64, int8_t: EM_INT8,        \
             int16_t: EM_INT16, int32_t: EM_INT32, int64_t: EM_INT64,          \
             float: EM_FLOAT32, double: EM_FLOAT64, em_c64: EM_COMPLEX64)

/* The error for a node whose dtypes do not fit its loop (a builder bug). */
em_status cpu_elementwise_mismatch(const em_node *n, em_dtype in, em_dtype out);

/* Runs fn over ops[0..nops) (ops[0] the output; all evaluated, same shape):
 * one call over the whole array when every operand is row-contiguous, else
 * the N-d driver (which collapses what it can; broadcast operands arrive
 * with stride 0). Arrays of more than 2 * CPU_GRAIN_ELEMS elements are split
 * over the thread pool: fn runs on disjoint parts, possibly concurrently. */
void cpu_elementwise_run(int nops, em_array *const *ops, cpu_inner_fn fn, const void *ctx);
/* The same with the share a thread takes set by the caller: `grain`
 * elements (CPU_GRAIN_ELEMS above; less for loops that cost more per
 * element than they move, such as exp, whose arrays are worth splitting
 * sooner). */
void cpu_elementwise_run_grain(int nops, em_array *const *ops, cpu_inner_fn fn, const void *ctx,
                               int64_t grain);

/* The contiguous-or-strided inner loop of a unary or binary primitive whose
 * operands have dtype dt, and the dtype it writes (*out); NULL where the
 * kernel would take another path (float16/bfloat16 go through float32) or
 * has none. cpu_select_loop: select's loop for values of dt. For FUSED. */
cpu_inner_fn cpu_unary_loop(em_prim_id prim, em_dtype dt, em_dtype *out);
cpu_inner_fn cpu_binary_loop(em_prim_id prim, em_dtype dt, em_dtype *out);
cpu_inner_fn cpu_select_loop(em_dtype dt);
/* astype's loop from one dtype to another (NULL if from == to), whose
 * context it writes to *storage (pass storage as the loop's ctx). */
cpu_inner_fn cpu_cast_loop(em_dtype from, em_dtype to, cpu_loop_storage *storage);

/* The context of cpu_elementwise_half_loop: a float32 inner loop and its
 * context, the half dtype of the inputs (float16 or bfloat16), the output's
 * dtype (that half dtype, or bool for predicates and comparisons), and the
 * number of inputs (1 or 2; an input with stride 0 stays a broadcast). */
typedef struct cpu_half_ctx {
    cpu_inner_fn f32;
    const void *ctx;
    em_dtype in, out;
    int nin;
} cpu_half_ctx;

/* An inner loop: widens each block of the inputs to float32, runs the float32
 * loop, and rounds its results back (or writes bools directly). */
void cpu_elementwise_half_loop(char **p, const int64_t *s, int64_t n, const void *ctx);

/* Converts k halves (byte stride st) to contiguous floats, and back. */
void cpu_elementwise_widen_half(em_dtype dt, const char *src, int64_t st, float *dst, int64_t k);
void cpu_elementwise_narrow_half(em_dtype dt, const float *src, char *dst, int64_t st, int64_t k);

#endif
