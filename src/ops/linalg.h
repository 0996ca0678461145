/* linalg.h -- what the linear-algebra builders (linalg.c) share with the
 * compositions written on top of them (linalg_compose.c). */
#ifndef EM_OPS_LINALG_H
#define EM_OPS_LINALG_H

#include "ops.h"

/* Checks a matrix argument of linalg::`op`: float32/float64 (complex64 too
 * when complex_ok), at least 2-d, and square unless square_msg is NULL (the
 * message then completes the error). False with MLX's error set. */
bool linalg_check(const char *op, const em_array *a, bool complex_ok, const char *square_msg);
/* complex64 -> float32; float dtypes unchanged. */
em_dtype linalg_real_dtype(em_dtype dt);
/* An SVD node (see linalg.c); out gets 3 arrays with vectors, else 1. */
em_status linalg_svd_node(const em_array *a, bool vectors, bool full, em_array **out);
/* An LU node: out gets {LU, pivots, perm}; `op` names errors. */
em_status linalg_lu_node(const char *op, const em_array *a, em_array **out);

#endif
