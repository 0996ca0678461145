/* hadamard.c -- the Walsh-Hadamard transform along the last axis (MLX's
 * hadamard_transform), made of matmuls with small constant +-1 matrices so
 * that its vjp, jvp and vmap come from matmul's rules.
 *
 * A size n = m * 2^k (m in 1, 12, 20, 28) is viewed as (m, 2^k), row-major.
 * The 2^k part is Sylvester's matrix, H[i][j] = (-1)^popcount(i & j), which
 * is the Kronecker product of smaller Sylvester matrices: the k bits are cut
 * into chunks of at most HAD_CHUNK bits and each chunk's axis is multiplied
 * by its (symmetric) matrix, O(n * sum 2^chunk) work through BLAS. The m part
 * multiplies by the m x m matrix MLX uses (out[j] = sum_i x[i] M[i][j]); the
 * tables below were read off mlx.core.hadamard_transform(eye(m)) so that the
 * values agree with MLX's. Half-precision inputs compute in float32. */
#include <stdlib.h>
#include <math.h>

#include "rules.h"

#define HAD_CHUNK 6

static const char *const had12[12] = {
    "+-++++++++++",
    "--+-+-+-+-+-",
    "+++-++----++",
    "+---+--+-++-",
    "+++++-++----",
    "+-+---+--+-+",
    "++--+++-++--",
    "+--++---+--+",
    "++----+++-++",
    "+--+-++---+-",
    "++++----+++-",
    "+-+--+-++---",
};
static const char *const had20[20] = {
    "+-----++++--++--+--+",
    "-+---+-+++---+++-+--",
    "--+--++-+++---+-+-+-",
    "---+-+++-+++-----+-+",
    "----+++++--++--+--+-",
    "+----+----+-++---++-",
    "-+----+----+-++---++",
    "--+----+--+-+-++---+",
    "---+----+-++-+-++---",
    "----+----+-++-+-++--",
    "++--+-+--++----+----",
    "+++--+-+---+----+---",
    "-+++--+-+---+----+--",
    "--+++--+-+---+----+-",
    "+--+++--+-----+----+",
    "+-++-++--+-+++++----",
    "-+-+++++--+-+++-+---",
    "+-+-+-+++-++-++--+--",
    "++-+---++++++-+---+-",
    "-++-++--++++++-----+",
};
static const char *const had28[28] = {
    "+--------++++--+-++-+-++--++",
    "-+--------+++++-+-++-+-++--+",
    "--+----+---+++-+-+-++++-++--",
    "---+---++---+++-+-+-+-++-++-",
    "----+--+++---+++-+-+---++-++",
    "-----+-++++----++-+-++--++-+",
    "------+-++++--+-++-+-++--++-",
    "++----++------+--++---+-++-+",
    "+++-----+------+--++-+-+-++-",
    "-+++-----+------+--++-+-+-++",
    "--+++-----+---+--+--++-+-+-+",
    "---+++-----+--++--+--++-+-+-",
    "----+++-----+--++--+--++-+-+",
    "+----++------+--++--++-++-+-",
    "+-+--+--++--+++------++----+",
    "-+-+--++-++--+-+-----+++----",
    "+-+-+--++-++----+-----+++---",
    "-+-+-+--++-++----+-----+++--",
    "--+-+-+--++-++----+-----+++-",
    "+--+-+-+--++-+-----+-----+++",
    "-+--+-+++--++-------++----++",
    "+--++--+-+--+---++++-+------",
    "-+--++--+-+--+---++++-+-----",
    "--+--+++-+-+--+---+++--+----",
    "+--+--+-+-+-+-++---++---+---",
    "++--+----+-+-++++---+----+--",
    "-++--+-+--+-+-++++--------+-",
    "--++--+-+--+-+-++++--------+",
};

/* The s x s matrix (rows given as +- strings, or Sylvester's when rows is
 * NULL, s a power of two), transposed when tr, as a dt array. */
static em_array *had_matrix(const char *const *rows, int64_t s, bool tr, em_dtype dt) {
    size_t cnt = (size_t)(s * s);
    double *v = malloc(cnt * sizeof *v);
    if (!v) return error_set(EM_ERR_MEMORY, "[hadamard_transform] Out of memory.");
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++) {
            int64_t r = tr ? j : i, c = tr ? i : j;
            bool neg = rows ? rows[r][c] == '-' : (__builtin_popcountll((uint64_t)(r & c)) & 1);
            v[i * s + j] = neg ? -1.0 : 1.0;
        }
    int64_t shape[2] = {s, s};
    em_array *d = em_array_from_data(v, shape, 2, EM_FLOAT64);
    free(v);
    em_array *r = d ? em_astype(d, dt) : NULL;
    em_array_release(d);
    return r;
}

/* x viewed as (A, s, C), multiplied along its s axis by the matrix M of
 * `rows`: out[.., j, ..] = sum_i x[.., i, ..] M[i][j]. That is M^T @ x,
 * batched over A, or for C == 1 the one product x (A, s) @ M. */
static em_array *had_apply(em_array *x, int64_t a, int64_t s, int64_t c, const char *const *rows,
                           em_dtype dt) {
    rule_tmp t = {0};
    em_array *r;
    if (c == 1) {
        int64_t sh[2] = {a, s};
        r = em_matmul(tk(&t, em_reshape(x, sh, 2)), tk(&t, had_matrix(rows, s, false, dt)));
    } else {
        int64_t sh[3] = {a, s, c};
        r = em_matmul(tk(&t, had_matrix(rows, s, true, dt)), tk(&t, em_reshape(x, sh, 3)));
    }
    rule_tmp_free(&t);
    return r;
}

EM_PUBLIC_OP(em_hadamard_transform, (const em_array *a, double scale, bool has_scale),
             (a, scale, has_scale)) {
    EM_CHECK_ARG("hadamard_transform", a);
    if (a->size == 0)
        return error_set(EM_ERR_VALUE, "[hadamard_transform] Does not support empty arrays.");
    int64_t n = a->ndim ? a->shape[a->ndim - 1] : 1;
    int k = __builtin_ctzll((uint64_t)n);
    int64_t odd = n >> k, m = odd == 1 ? 1 : odd * 4;
    const char *const *mrows = odd == 3 ? had12 : odd == 5 ? had20 : odd == 7 ? had28 : NULL;
    if ((odd != 1 && (!mrows || k < 2)))
        return error_set(EM_ERR_VALUE,
                         "[hadamard] Only supports n = m*2^k where m in (1, 12, 20, 28).");
    if (odd != 1) k -= 2;
    em_dtype out_dt = a->dtype, dt;
    em_dtype_kind kind = em_dtype_kind_of(a->dtype);
    if (kind != EM_KIND_FLOAT) out_dt = EM_FLOAT32;
    dt = out_dt == EM_FLOAT64 ? EM_FLOAT64 : EM_FLOAT32;
    if (!has_scale) scale = 1.0 / sqrt((double)n);

    rule_tmp t = {0};
    em_array *x = tk(&t, kind == EM_KIND_COMPLEX ? em_real(a) : (em_array *)em_array_retain((em_array *)a));
    x = tk(&t, em_astype(x, dt));
    int64_t rows = a->size / n;
    /* the 2^k part, chunk by chunk from the last (fastest) bits */
    int nchunks = (k + HAD_CHUNK - 1) / HAD_CHUNK;
    int64_t after = 1; /* the size of the bits already done */
    for (int c = 0, left = k; c < nchunks; c++) {
        int bits = (left + (nchunks - c) - 1) / (nchunks - c);
        left -= bits;
        int64_t s = (int64_t)1 << bits;
        x = tk(&t, had_apply(x, rows * m * ((int64_t)1 << left), s, after, NULL, dt));
        after *= s;
    }
    if (m > 1) x = tk(&t, had_apply(x, rows, m, after, mrows, dt));
    if (scale != 1.0) x = tk(&t, em_multiply(x, tk(&t, ops_scalar(scale, dt))));
    x = tk(&t, em_astype(x, out_dt));
    em_array *r = x ? ops_reshape(x, a->shape, a->ndim) : NULL;
    rule_tmp_free(&t);
    return r;
}
