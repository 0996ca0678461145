/* primitives.h -- THE list of primitives, their parameter structs, and the
 * contracts of their transform rules (vjp, jvp, vmap).
 *
 * Everything indexed by primitive comes from EM_PRIMITIVES: the enum, the names
 * and flags, the rule table (primitives.c) and each backend's kernel table. The
 * `family` names one entry point per family and use:
 *   cpu_<family>_kernel        src/backend/cpu/<family>.c   (runs the node)
 *   ops_<family>_vjp/jvp/vmap  src/ops/<family>.c           (transform rules)
 * each of which switches on the node's primitive. Adding a primitive is one
 * line here, its builder and rule cases in src/ops/<family>.c and its kernel
 * case in src/backend/cpu/<family>.c. Adding a family also means defining its
 * three rule entry points (ops_no_vjp & co. below give the standard errors for
 * the cases a family cannot handle yet).
 *
 * Parameter structs are plain data (no pointers); builders zero them before
 * filling, so equality and hashing may compare bytes. */
#ifndef EM_OPS_PRIMITIVES_H
#define EM_OPS_PRIMITIVES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember.h"

typedef struct em_node em_node;

/* Flags. */
#define EM_PF_UNARY (1u << 0)   /* elementwise, one input, same shape out */
#define EM_PF_BINARY (1u << 1)  /* elementwise, two same-shaped inputs */
#define EM_PF_TERNARY (1u << 2) /* elementwise, three same-shaped inputs */
#define EM_PF_VIEW (1u << 3)    /* the kernel sets the output's buffer itself */
/* The output is input 0 updated (scatters): evaluation gives it input 0's
 * buffer when only the node holds that array and its buffer, else a fresh
 * buffer that the kernel first fills with input 0. */
#define EM_PF_UPDATE (1u << 5)
/* Outputs released before evaluation are not an error: their slots reach the
 * kernel as NULL and it computes without them (multi-output factorisations,
 * where a caller may keep only Q of QR). */
#define EM_PF_OPTIONAL_OUTPUTS (1u << 6)
#define EM_PF_ELEMENTWISE (EM_PF_UNARY | EM_PF_BINARY | EM_PF_TERNARY)
/* The parameter struct starts with an em_refobj pointer that the node owns a
 * reference to (taken by node_make, dropped when the node dies): CUSTOM. */
#define EM_PF_REFPARAMS (1u << 4)

/* X(ID, "Name", family, flags) */
#define EM_PRIMITIVES(X)                                                       \
    /* creation */                                                             \
    X(FULL, "Full", creation, 0)                                               \
    X(ARANGE, "Arange", creation, 0)                                           \
    X(EYE, "Eye", creation, 0)                                                 \
    X(TRI, "Tri", creation, 0)                                                 \
    /* conversion */                                                           \
    X(ASTYPE, "AsType", convert, EM_PF_UNARY)                                  \
    X(COPY, "Copy", convert, EM_PF_UNARY)                                      \
    /* unary elementwise */                                                    \
    X(ABS, "Abs", unary, EM_PF_UNARY)                                          \
    X(SIGN, "Sign", unary, EM_PF_UNARY)                                        \
    X(NEGATIVE, "Negative", unary, EM_PF_UNARY)                                \
    X(EXP, "Exp", unary, EM_PF_UNARY)                                          \
    X(EXPM1, "Expm1", unary, EM_PF_UNARY)                                      \
    X(LOG, "Log", unary, EM_PF_UNARY)                                          \
    X(LOG1P, "Log1p", unary, EM_PF_UNARY)                                      \
    X(LOG2, "Log2", unary, EM_PF_UNARY)                                        \
    X(LOG10, "Log10", unary, EM_PF_UNARY)                                      \
    X(SQRT, "Sqrt", unary, EM_PF_UNARY)                                        \
    X(RSQRT, "Rsqrt", unary, EM_PF_UNARY)                                      \
    X(SQUARE, "Square", unary, EM_PF_UNARY)                                    \
    X(RECIPROCAL, "Reciprocal", unary, EM_PF_UNARY)                            \
    X(SIN, "Sin", unary, EM_PF_UNARY)                                          \
    X(COS, "Cos", unary, EM_PF_UNARY)                                          \
    X(TAN, "Tan", unary, EM_PF_UNARY)                                          \
    X(ARCSIN, "ArcSin", unary, EM_PF_UNARY)                                    \
    X(ARCCOS, "ArcCos", unary, EM_PF_UNARY)                                    \
    X(ARCTAN, "ArcTan", unary, EM_PF_UNARY)                                    \
    X(SINH, "Sinh", unary, EM_PF_UNARY)                                        \
    X(COSH, "Cosh", unary, EM_PF_UNARY)                                        \
    X(TANH, "Tanh", unary, EM_PF_UNARY)                                        \
    X(ARCSINH, "ArcSinh", unary, EM_PF_UNARY)                                  \
    X(ARCCOSH, "ArcCosh", unary, EM_PF_UNARY)                                  \
    X(ARCTANH, "ArcTanh", unary, EM_PF_UNARY)                                  \
    X(ERF, "Erf", unary, EM_PF_UNARY)                                          \
    X(ERFINV, "ErfInv", unary, EM_PF_UNARY)                                    \
    X(SIGMOID, "Sigmoid", unary, EM_PF_UNARY)                                  \
    X(FLOOR, "Floor", unary, EM_PF_UNARY)                                      \
    X(CEIL, "Ceil", unary, EM_PF_UNARY)                                        \
    X(ROUND, "Round", unary, EM_PF_UNARY)                                      \
    X(ISNAN, "IsNaN", unary, EM_PF_UNARY)                                      \
    X(ISINF, "IsInf", unary, EM_PF_UNARY)                                      \
    X(ISFINITE, "IsFinite", unary, EM_PF_UNARY)                                \
    X(ISPOSINF, "IsPosInf", unary, EM_PF_UNARY)                                \
    X(ISNEGINF, "IsNegInf", unary, EM_PF_UNARY)                                \
    X(LOGICAL_NOT, "LogicalNot", unary, EM_PF_UNARY)                           \
    X(BITWISE_INVERT, "BitwiseInvert", unary, EM_PF_UNARY)                     \
    X(CONJUGATE, "Conjugate", unary, EM_PF_UNARY)                              \
    X(REAL, "Real", unary, EM_PF_UNARY)                                        \
    X(IMAG, "Imag", unary, EM_PF_UNARY)                                        \
    X(NAN_TO_NUM, "NanToNum", unary, EM_PF_UNARY)                              \
    /* binary elementwise */                                                   \
    X(ADD, "Add", binary, EM_PF_BINARY)                                        \
    X(SUBTRACT, "Subtract", binary, EM_PF_BINARY)                              \
    X(MULTIPLY, "Multiply", binary, EM_PF_BINARY)                              \
    X(DIVIDE, "Divide", binary, EM_PF_BINARY)                                  \
    X(FLOOR_DIVIDE, "FloorDivide", binary, EM_PF_BINARY)                       \
    X(REMAINDER, "Remainder", binary, EM_PF_BINARY)                            \
    X(POWER, "Power", binary, EM_PF_BINARY)                                    \
    X(MAXIMUM, "Maximum", binary, EM_PF_BINARY)                                \
    X(MINIMUM, "Minimum", binary, EM_PF_BINARY)                                \
    X(LOGADDEXP, "LogAddExp", binary, EM_PF_BINARY)                            \
    X(ARCTAN2, "ArcTan2", binary, EM_PF_BINARY)                                \
    X(EQUAL, "Equal", binary, EM_PF_BINARY)                                    \
    X(NOT_EQUAL, "NotEqual", binary, EM_PF_BINARY)                             \
    X(LESS, "Less", binary, EM_PF_BINARY)                                      \
    X(LESS_EQUAL, "LessEqual", binary, EM_PF_BINARY)                           \
    X(GREATER, "Greater", binary, EM_PF_BINARY)                                \
    X(GREATER_EQUAL, "GreaterEqual", binary, EM_PF_BINARY)                     \
    X(LOGICAL_AND, "LogicalAnd", binary, EM_PF_BINARY)                         \
    X(LOGICAL_OR, "LogicalOr", binary, EM_PF_BINARY)                           \
    X(BITWISE_AND, "BitwiseAnd", binary, EM_PF_BINARY)                         \
    X(BITWISE_OR, "BitwiseOr", binary, EM_PF_BINARY)                           \
    X(BITWISE_XOR, "BitwiseXor", binary, EM_PF_BINARY)                         \
    X(LEFT_SHIFT, "LeftShift", binary, EM_PF_BINARY)                           \
    X(RIGHT_SHIFT, "RightShift", binary, EM_PF_BINARY)                         \
    /* ternary elementwise */                                                  \
    X(SELECT, "Select", ternary, EM_PF_TERNARY)                                \
    /* reductions */                                                           \
    X(REDUCE, "Reduce", reduce, 0)                                             \
    X(ARG_REDUCE, "ArgReduce", reduce, 0)                                      \
    /* views */                                                                \
    X(RESHAPE, "Reshape", view, EM_PF_VIEW)                                    \
    X(TRANSPOSE, "Transpose", view, EM_PF_VIEW)                                \
    X(SLICE, "Slice", view, EM_PF_VIEW)                                        \
    X(BROADCAST, "Broadcast", view, EM_PF_VIEW)                                \
    X(STOP_GRADIENT, "StopGradient", view, EM_PF_VIEW)                         \
    /* joining and padding */                                                  \
    X(CONCATENATE, "Concatenate", join, 0)                                     \
    X(PAD, "Pad", join, 0)                                                     \
    /* indexing (EM_PF_UPDATE on the updates: see the flag) */                \
    X(GATHER, "Gather", index, 0)                                              \
    X(GATHER_AXIS, "GatherAxis", index, 0)                                     \
    X(SCATTER, "Scatter", index, EM_PF_UPDATE)                                \
    X(SCATTER_AXIS, "ScatterAxis", index, EM_PF_UPDATE)                       \
    X(SLICE_UPDATE, "SliceUpdate", index, EM_PF_UPDATE)                       \
    X(MASKED_SCATTER, "MaskedScatter", index, EM_PF_UPDATE)                   \
    /* products */                                                             \
    X(MATMUL, "Matmul", matmul, 0)                                             \
    /* linear algebra (LAPACK) */                                              \
    X(INVERSE, "Inverse", linalg, 0)                                           \
    X(CHOLESKY, "Cholesky", linalg, 0)                                         \
    X(QR, "QRF", linalg, EM_PF_OPTIONAL_OUTPUTS)                               \
    X(SVD, "SVD", linalg, EM_PF_OPTIONAL_OUTPUTS)                              \
    X(EIGH, "Eigh", linalg, EM_PF_OPTIONAL_OUTPUTS)                            \
    X(EIG, "Eig", linalg, EM_PF_OPTIONAL_OUTPUTS)                              \
    X(LU, "LUF", linalg, EM_PF_OPTIONAL_OUTPUTS)                               \
    X(SOLVE, "Solve", linalg, 0)                                               \
    X(SOLVE_TRIANGULAR, "SolveTriangular", linalg, 0)                          \
    /* Fourier transforms */                                                   \
    X(FFT, "FFT", fft, 0)                                                     \
    /* other views of memory: src/ops/strided.c */                            \
    X(VIEW_DTYPE, "View", strided, EM_PF_VIEW)                                 \
    X(AS_STRIDED, "AsStrided", strided, EM_PF_VIEW)                            \
    X(CONTIGUOUS, "Contiguous", strided, EM_PF_VIEW)                           \
    X(DEPENDS, "Depends", strided, EM_PF_VIEW | EM_PF_OPTIONAL_OUTPUTS)        \
    /* convolutions */                                                         \
    X(CONV, "Convolution", conv, 0)                                            \
    X(CONV_WEIGHT_GRAD, "ConvolutionWeightGrad", conv, 0)                      \
    X(CONV_INPUT_GRAD, "ConvolutionInputGrad", conv, 0)                        \
    /* sorting and searching (src/ops/sort.c) */                               \
    X(SORT, "Sort", sort, 0)                                                   \
    X(ARGSORT, "ArgSort", sort, 0)                                             \
    X(PARTITION, "Partition", sort, 0)                                         \
    X(ARGPARTITION, "ArgPartition", sort, 0)                                   \
    X(SEARCHSORTED, "SearchSorted", sort, 0)                                   \
    /* scans (src/ops/scan.c) */                                               \
    X(SCAN, "Scan", scan, 0)                                                   \
    /* user rules: custom_function, checkpoint */                              \
    X(CUSTOM, "CustomTransforms", custom, EM_PF_VIEW | EM_PF_REFPARAMS)       \
    /* random numbers (src/ops/random.c) */                                    \
    X(RANDOM_BITS, "RandomBits", random, 0)                                   \
    /* contractions and diagonals (src/ops/diagonal.c) */                     \
    X(DIAGONAL, "Diagonal", diagonal, EM_PF_VIEW)                             \
    /* quantisation (src/ops/quant.c) */                                       \
    X(QUANTIZE, "Quantize", quant, EM_PF_OPTIONAL_OUTPUTS)                     \
    X(DEQUANTIZE, "Dequantize", quant, 0)                                      \
    X(QUANTIZED_MATMUL, "QuantizedMatmul", quant, 0)                           \
    X(TO_FP8, "ToFP8", quant, 0)                                               \
    X(FROM_FP8, "FromFP8", quant, 0)                                           \
    /* fused kernels of mlx.core.fast (src/ops/fast.c) */                     \
    X(RMS_NORM, "RMSNorm", fast, 0)                                            \
    X(LAYER_NORM, "LayerNorm", fast, 0)                                        \
    X(ROPE, "RoPE", fast, 0)                                                   \
    X(SDPA, "ScaledDotProductAttention", fast, 0)                              \
    /* elementwise chains that compile runs as one kernel (src/ops/fused.h) */ \
    X(FUSED, "Compiled", fused, EM_PF_REFPARAMS | EM_PF_OPTIONAL_OUTPUTS)

typedef enum em_prim_id {
#define X(ID, name, family, flags) EM_PRIM_##ID,
    EM_PRIMITIVES(X)
#undef X
    EM_PRIM_COUNT
} em_prim_id;

/* ---- transform rules ----
 *
 * Rules are graph rewrites: written with the public ops (em_add, em_sum, ...),
 * never evaluating, so that what they build can itself be differentiated and
 * batched (grad(grad(f)), vmap(grad(f)), ...). Arguments are borrowed; every
 * array a rule writes is a new reference owned by the caller. On failure a
 * rule sets the thread's error, releases what it made, leaves its outputs NULL
 * and returns the error code. `n` is the node the rule is for: its primitive,
 * parameters, n->n_in and n->n_out; rules read the arrays from their
 * arguments, not from n->inputs (an engine may substitute them).
 *
 * vjp (reverse mode): `in` holds the node's n_in primal inputs and `out` its
 * n_out outputs (an output that nobody holds any more may be NULL; it then has
 * no cotangent). `cot` holds one cotangent per output, of the output's shape
 * and dtype, or NULL for a zero one; at least one is non-NULL. For each input
 * i with want[i] set, the rule writes to grads[i] the vector-Jacobian product
 * for that input: an array of in[i]'s shape (the engine casts it to in[i]'s
 * dtype if it differs), or NULL when it is identically zero (a constant or
 * piecewise-constant function of that input). Entries with want[i] false are
 * left NULL.
 *
 * jvp (forward mode): `tan` holds one tangent per input, of the input's shape,
 * or NULL for a zero one (at least one is non-NULL). The rule writes one
 * tangent per output to out_tan, of the output's shape, or NULL for zero.
 *
 * vmap (batching): `n` is the node as traced for one batch element (its
 * parameters describe unbatched shapes; its outputs, n->outputs, are alive
 * and give the unbatched output shapes and dtypes, except possibly a CUSTOM
 * node's). `in` holds the n_in inputs with
 * their batch axes: axes[i] is the axis of in[i] that is mapped over, or -1
 * when in[i] is the same for every element (at least one is mapped). The rule
 * writes the n_out outputs, batched, to out and the mapped axis of each to
 * out_axes (-1: the output does not vary along the batch). */
typedef em_status (*em_vjp_rule)(const em_node *n, em_array *const *in, em_array *const *out,
                                 em_array *const *cot, const bool *want, em_array **grads);
typedef em_status (*em_jvp_rule)(const em_node *n, em_array *const *in, em_array *const *out,
                                 em_array *const *tan, em_array **out_tan);
typedef em_status (*em_vmap_rule)(const em_node *n, em_array *const *in, const int *axes,
                                  em_array **out, int *out_axes);

typedef struct em_primitive {
    em_prim_id id;
    const char *name;
    unsigned flags;
    em_vjp_rule vjp;
    em_jvp_rule jvp;
    em_vmap_rule vmap;
} em_primitive;

extern const em_primitive em_primitives[EM_PRIM_COUNT];

/* The per-family rule entry points (primitives.c builds the table from them). */
#define X(ID, name, family, flags)                                             \
    em_status ops_##family##_vjp(const em_node *n, em_array *const *in, em_array *const *out, \
                                 em_array *const *cot, const bool *want, em_array **grads); \
    em_status ops_##family##_jvp(const em_node *n, em_array *const *in, em_array *const *out, \
                                 em_array *const *tan, em_array **out_tan);    \
    em_status ops_##family##_vmap(const em_node *n, em_array *const *in, const int *axes, \
                                  em_array **out, int *out_axes);
EM_PRIMITIVES(X)
#undef X

/* The standard errors of a rule a primitive does not have (MLX's wording,
 * EM_ERR_VALUE): "[Primitive::vjp] Not implemented for Sort." Each returns
 * the code, for `return ops_no_vjp(n);` in a family's default case. */
em_status ops_no_vjp(const em_node *n);
em_status ops_no_jvp(const em_node *n);
em_status ops_no_vmap(const em_node *n);

/* A reference-counted object a parameter struct may point to (EM_PF_REFPARAMS).
 * destroy frees it when the count reaches zero. */
typedef struct em_refobj {
    atomic_long rc;
    void (*destroy)(struct em_refobj *self);
} em_refobj;
void refobj_retain(em_refobj *o);
void refobj_release(em_refobj *o);

/* ---- parameter structs (primitives without one take none) ---- */

typedef struct { double start, step; } em_arange_params;          /* ARANGE */
typedef struct { int64_t k; } em_diag_params;                     /* EYE, TRI */
typedef struct { double nan, posinf, neginf; } em_nan_to_num_params;

typedef enum { EM_REDUCE_SUM, EM_REDUCE_PROD, EM_REDUCE_MAX, EM_REDUCE_MIN,
               EM_REDUCE_ALL, EM_REDUCE_ANY } em_reduce_op;
/* Variable-length parameter structs end in a flexible array; their size is
 * PARAMS_SIZE(type, count). Builders fill one in a stack buffer of
 * PARAMS_MAX(type) bytes. */
#define PARAMS_SIZE(type, member, count) (offsetof(type, member) + sizeof(((type *)0)->member[0]) * (size_t)(count))

/* REDUCE: axes of the input, sorted, no repeats; the output has the input's
 * shape with those axes removed or (keepdims) set to 1. */
typedef struct { int32_t op, naxes; int32_t axes[]; } em_reduce_params;
typedef enum { EM_ARG_MAX, EM_ARG_MIN } em_argreduce_op;
/* ARG_REDUCE: one axis of the input (the builder reshapes to 1-d for all);
 * the output has that axis removed or (keepdims) set to 1. */
typedef struct { int32_t op, axis; } em_argreduce_params;

/* TRANSPOSE: output axis i is input axis perm[i]. */
typedef struct { int32_t ndim; int32_t perm[]; } em_transpose_params;
/* SLICE: per axis i, the first index start_step[2i] and the step
 * start_step[2i+1] (never 0); the output's shape gives the counts. */
typedef struct { int32_t ndim, pad_; int64_t start_step[]; } em_slice_params;
typedef struct { int32_t axis; } em_axis_params;                   /* CONCATENATE */
/* CUSTOM: an identity node carrying user rules (custom_function, checkpoint).
 * Inputs: the function's n_in - n_out primal inputs, then its n_out outputs
 * (already computed, behind stop_gradient); outputs: views of those last
 * n_out inputs. `rules` is a custom_rules (src/ops/custom.h), owned. */
typedef struct { em_refobj *rules; int32_t n_out, pad_; } em_custom_params;
/* PAD: inputs (a, value: a 0-d array of a's dtype); per axis i, the widths
 * low_high[2i] before and low_high[2i+1] after; mode is an em_pad_mode. */
typedef struct { int32_t mode, ndim; int64_t low_high[]; } em_pad_params;

/* ---- linear algebra (contracts in src/ops/linalg.c) ---- */

typedef enum { EM_INVERSE_GENERAL, EM_INVERSE_TRIANGULAR, EM_INVERSE_CHOLESKY } em_inverse_kind;
/* INVERSE: kind is an em_inverse_kind; upper picks the triangle that a
 * triangular matrix or a Cholesky factor occupies. */
typedef struct { int32_t kind, upper; } em_inverse_params;
/* CHOLESKY (the factor's triangle), SOLVE_TRIANGULAR (the matrix's). */
typedef struct { int32_t upper; } em_triangle_params;
/* SVD: vectors 0 gives S alone; full 1 gives square U and Vt (full_matrices),
 * 0 the reduced (M,K) and (K,N) ones. */
typedef struct { int32_t vectors, full; } em_svd_params;
/* EIGH: upper picks the triangle that is read; vectors 0 gives eigenvalues
 * alone. EIG: upper is 0. */
typedef struct { int32_t upper, vectors; } em_eig_params;

/* ---- Fourier transforms (contract in src/ops/fft.c) ---- */

typedef enum { EM_FFT_C2C, EM_FFT_R2C, EM_FFT_C2R } em_fft_kind;
/* FFT: one 1-d transform of length n along axis, of kind em_fft_kind, in the
 * inverse direction (exponent sign +) when inverse is set, every output
 * multiplied by scale. */
typedef struct { int32_t axis, kind, inverse, pad_; int64_t n; double scale; } em_fft_params;
/* ---- convolutions (contract in src/ops/conv.c) ---- */

/* CONV: inputs (x, w) of one float32/float64 dtype, x (N, S_1..S_nd, C_in)
 * and w (C_out, K_1..K_nd, C_in / groups), nd in 1..3; per spatial dim d
 * the stride, padding lo/hi (may be negative), kernel and input dilation;
 * flip pairs weight index k with kernel tap K-1-k (a true convolution).
 * Unused trailing entries are zero. */
typedef struct {
    int32_t nd, groups, flip, pad_;
    int32_t stride[3], lo[3], hi[3], kdil[3], idil[3], pad2_;
} em_conv_params;
/* CONV_WEIGHT_GRAD: inputs (x, g) of one float32/float64 dtype, x as CONV's,
 * g of the shape of CONV's output (N, O_1..O_nd, C_out); the output is the
 * gradient of sum(CONV(x, w) * g) with respect to w, of w's shape
 * (C_out, kernel[0..nd), C_in / groups). */
typedef struct {
    em_conv_params conv;
    int64_t kernel[3];
} em_conv_wgrad_params;
/* CONV_INPUT_GRAD: inputs (g, w) of one float32/float64 dtype, g of CONV's
 * output shape, w CONV's weight; the output is the gradient of
 * sum(CONV(x, w) * g) with respect to x, of x's shape
 * (N, input[0..nd), C_in). */
typedef struct {
    em_conv_params conv;
    int64_t input[3];
} em_conv_igrad_params;

/* ---- indexing (src/ops/index.c) ---- */

/* GATHER: inputs (a, idx_0 .. idx_{n-1}), the indices of one shape B and any
 * integer dtypes. axes_sizes[0..nidx) are the indexed axes of a (distinct),
 * axes_sizes[nidx..nidx+ndim) the slice size along each of a's ndim axes; the
 * output has shape B + slice sizes: out[b, w] = a[w + start(b)], where
 * start(b) is idx_k[b] (negative wraps) on axis axes[k] and 0 elsewhere. */
typedef struct { int32_t nidx, ndim; int64_t axes_sizes[]; } em_gather_params;
typedef enum { EM_SCATTER_NONE, EM_SCATTER_SUM, EM_SCATTER_PROD, EM_SCATTER_MAX,
               EM_SCATTER_MIN } em_scatter_op;
/* SCATTER: inputs (a, idx_0 .. idx_{n-1}, updates); updates has shape
 * B + W (W: a window of a.ndim dims, each no larger than a's); out is a with
 * out[w + start(b)] = updates[b, w] (or combined by op, in row-major order
 * of b, so the last write wins for EM_SCATTER_NONE). */
typedef struct { int32_t op, nidx; int32_t axes[]; } em_scatter_params;
/* GATHER_AXIS: inputs (a, idx) of one shape but along `axis`; out has idx's
 * shape: out[..i..] = a[..idx[..i..]..]. SCATTER_AXIS: inputs (a, idx, upd),
 * idx and upd of one shape, a's shape but along axis; out = a with
 * out[..idx[..i..]..] = upd[..i..] (op NONE or SUM). */
typedef struct { int32_t axis, op; } em_index_axis_params;
/* SLICE_UPDATE: inputs (a, update), update of the slice's shape and a's
 * dtype; the slice as in em_slice_params. */
/* MASKED_SCATTER: inputs (a, mask, src); mask (bool) has the shape of a's
 * first mask.ndim axes (the rest, the block, follow), src is (K, block) with
 * K = 1 (repeated) or K = the number of true entries: the k-th true entry's
 * block of a takes src's row k. */

/* ---- other views of memory (src/ops/strided.c) ---- */

/* VIEW_DTYPE: the input's bytes read as the output's dtype (no params).
 * AS_STRIDED: input 0 is row contiguous; the output (shape from the node)
 * reads its element at offset + sum(i_k * strides[k]) (elements). */
typedef struct { int64_t offset; int32_t ndim, pad_; int64_t strides[]; } em_as_strided_params;
/* CONTIGUOUS: the input itself when row contiguous (or column contiguous
 * with allow_col_major), else a row-major copy. */
typedef struct { int32_t allow_col_major; } em_contiguous_params;
/* DEPENDS: inputs (x_0 .. x_{n_out-1}, deps...); output i is x_i. */
typedef struct { int32_t n_out; } em_depends_params;
/* ---- random numbers (src/ops/random.c) ---- */

/* RANDOM_BITS: input a uint32 key array of shape K + (2,) (any strides);
 * output of shape K + S and dtype uint8/uint16/uint32 for width 1/2/4: for
 * each key, the bytes of Threefry-2x32 blocks laid out as MLX lays them
 * (src/backend/cpu/random.c), cut to S's byte count. */
typedef struct { int32_t width; } em_random_bits_params;
/* ---- sorting, searching and scans (contracts in src/ops/sort.c, scan.c) ---- */

/* SORT, ARGSORT: along axis, stable, NaN last. PARTITION, ARGPARTITION: the
 * element of rank kth (0 <= kth < the axis length) at kth, smaller ones
 * before, the rest after; sorted_tail also sorts the part from kth on (topk).
 * SEARCHSORTED: inputs (sequence 1-d, values) of one dtype; kth, axis unused,
 * sorted_tail 1 for side='right'. */
typedef struct { int32_t axis, sorted_tail; int64_t kth; } em_sort_params;
typedef enum { EM_SCAN_SUM, EM_SCAN_PROD, EM_SCAN_MAX, EM_SCAN_MIN,
               EM_SCAN_LOGADDEXP } em_scan_op;
/* SCAN: a running `op` along axis; input and output of one dtype. */
typedef struct { int32_t op, axis, reverse, inclusive; } em_scan_params;
/* ---- contractions and diagonals (src/ops/diagonal.c) ---- */

/* DIAGONAL: the offset diagonal between the distinct, normalised axes axis1
 * and axis2 (a view; offset 0 when the diagonal is empty). */
typedef struct { int64_t offset; int32_t axis1, axis2; } em_diagonal_params;

/* QUANTIZE, DEQUANTIZE, QUANTIZED_MATMUL (transpose: x @ W^T). mode: 0
 * affine, 1 mxfp4, 2 mxfp8, 3 nvfp4 (em_quant_mode). round_dt: 0, or
 * EM_FLOAT16/EM_BFLOAT16 when MLX computes in that dtype (each step rounded):
 * affine DEQUANTIZE with half scales, fp QUANTIZE of a half w. */
typedef struct { int32_t group_size, bits, transpose, round_dt, mode; } em_quant_params;
typedef enum { EM_QMODE_AFFINE, EM_QMODE_MXFP4, EM_QMODE_MXFP8, EM_QMODE_NVFP4 } em_quant_mode;
/* ---- fused kernels (contracts in src/ops/fast.c) ---- */

/* RMS_NORM: inputs (x[, w]); LAYER_NORM: inputs (x[, w][, b]); one float
 * dtype; w and b 1-d of x's last dim. */
typedef struct { double eps; int32_t has_weight, has_bias; } em_norm_params;
/* ROPE: inputs (x, offset[, freqs]): x float of rank >= 3, offset int32 0-d
 * or (x.shape[0],), freqs float32 (dims/2,) when has_freqs (else base). */
typedef struct { double base, scale; int32_t dims, traditional, has_freqs, pad_; } em_rope_params;
typedef enum { EM_SDPA_MASK_NONE, EM_SDPA_MASK_CAUSAL, EM_SDPA_MASK_BOOL, EM_SDPA_MASK_ADD } em_sdpa_mask;
/* SDPA: inputs (q, k, v[, mask][, sinks]) of one float dtype (a bool mask
 * excepted): q (B,H,L,D), k (B,Hk,S,D), v (B,Hk,S,Dv), H % Hk == 0, mask of
 * shape (B,H,L,S) (maybe broadcast), sinks (H,). */
typedef struct { double scale; int32_t mask, has_sinks; } em_sdpa_params;

#endif
