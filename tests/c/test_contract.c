/* test_contract.c -- the contractions and diagonals through the C API:
 * einsum against a naive reference loop over every label assignment,
 * einsum_path's steps and report, tensordot/inner/outer/kron/addmm/vecdot
 * against loops, diagonal as a view of its input's buffer, diag and trace,
 * the Hadamard transform, vjp/jvp of the DIAGONAL primitive and of einsum
 * against central differences, and every error (codes and messages). */
#include "check.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static double draw(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state % 2000001) / 1000000.0 - 1.0;
}

static em_array *rand_array(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = draw();
    em_array *a = em_array_from_data(v, shape, ndim, EM_FLOAT64);
    free(v);
    return a;
}

/* ---------------------------------------------------------------- reference einsum */

/* Letters only, explicit "->". Walks every assignment of the labels. */
static double *ref_einsum(const char *subs, em_array *const *ops, int n, int64_t *out_size) {
    char terms[8][16] = {{0}}, out[16] = {0};
    int nt = 0, k = 0;
    const char *p = subs;
    for (; *p && !(p[0] == '-' && p[1] == '>'); p++) {
        if (*p == ',') {
            nt++, k = 0;
            continue;
        }
        terms[nt][k++] = *p;
    }
    nt++;
    strcpy(out, p + 2);
    int64_t size[128] = {0};
    char labels[64];
    int nl = 0;
    double *vals[8];
    for (int i = 0; i < n; i++) {
        vals[i] = check_values(ops[i]);
        for (int j = 0; terms[i][j]; j++) {
            char c = terms[i][j];
            if (!size[(int)c]) labels[nl++] = c;
            size[(int)c] = em_array_shape(ops[i])[j];
        }
    }
    int64_t osz = 1;
    for (int j = 0; out[j]; j++) osz *= size[(int)out[j]];
    double *r = calloc((size_t)(osz ? osz : 1), sizeof *r);
    int64_t idx[128] = {0};
    bool empty = false;
    for (int q = 0; q < nl; q++) empty |= size[(int)labels[q]] == 0;
    while (!empty) {
        double prod = 1;
        for (int i = 0; i < n; i++) {
            int64_t off = 0;
            for (int j = 0; terms[i][j]; j++) off = off * size[(int)terms[i][j]] + idx[(int)terms[i][j]];
            prod *= vals[i][off];
        }
        int64_t o = 0;
        for (int j = 0; out[j]; j++) o = o * size[(int)out[j]] + idx[(int)out[j]];
        r[o] += prod;
        int q = nl - 1;
        while (q >= 0 && ++idx[(int)labels[q]] == size[(int)labels[q]]) idx[(int)labels[q--]] = 0;
        if (q < 0) break;
    }
    for (int i = 0; i < n; i++) free(vals[i]);
    *out_size = osz;
    return r;
}

static void check_einsum(const char *subs, int n, const int64_t shapes[][4], const int *ndims) {
    em_array *ops[8];
    for (int i = 0; i < n; i++) ops[i] = rand_array(shapes[i], ndims[i]);
    int64_t osz;
    double *want = ref_einsum(subs, ops, n, &osz);
    em_array *r = em_einsum(subs, (const em_array *const *)ops, (size_t)n);
    CHECK_MSG(r != NULL, "%s: %s", subs, em_error_message());
    if (r) {
        CHECK(em_array_dtype(r) == EM_FLOAT64);
        CHECK_MSG(em_array_size(r) == osz, "%s: size %lld", subs, (long long)em_array_size(r));
        double *got = check_values(r);
        for (int64_t i = 0; got && i < osz && i < em_array_size(r); i++) CHECK_CLOSE(got[i], want[i], 1e-10);
        free(got);
    }
    free(want);
    em_array_release(r);
    for (int i = 0; i < n; i++) em_array_release(ops[i]);
}

static void test_einsum_values(void) {
    check_einsum("ij,jk->ik", 2, (const int64_t[][4]){{3, 4}, {4, 5}}, (int[]){2, 2});
    check_einsum("ii->i", 1, (const int64_t[][4]){{4, 4}}, (int[]){2});
    check_einsum("ii->", 1, (const int64_t[][4]){{4, 4}}, (int[]){2});
    check_einsum("ij,ij->i", 2, (const int64_t[][4]){{3, 4}, {3, 4}}, (int[]){2, 2});
    check_einsum("bij,bjk->bik", 2, (const int64_t[][4]){{2, 3, 4}, {2, 4, 5}}, (int[]){3, 3});
    check_einsum("ijk,jil->kl", 2, (const int64_t[][4]){{3, 2, 4}, {2, 3, 5}}, (int[]){3, 3});
    check_einsum("i,j->ji", 2, (const int64_t[][4]){{3}, {4}}, (int[]){1, 1});
    check_einsum("ij->", 1, (const int64_t[][4]){{3, 4}}, (int[]){2});
    check_einsum("iij->ji", 1, (const int64_t[][4]){{3, 3, 2}}, (int[]){3});
    check_einsum("ij,jk,kl->li", 3, (const int64_t[][4]){{2, 3}, {3, 4}, {4, 5}}, (int[]){2, 2, 2});
    check_einsum("abc,bcd,def,fa->", 4, (const int64_t[][4]){{2, 3, 4}, {3, 4, 5}, {5, 6, 7}, {7, 2}},
                 (int[]){3, 3, 3, 2});
    check_einsum("acaj,ajac->c", 2, (const int64_t[][4]){{3, 2, 3, 4}, {3, 4, 3, 2}}, (int[]){4, 4});
    check_einsum("ij,jk->ik", 2, (const int64_t[][4]){{0, 3}, {3, 2}}, (int[]){2, 2});
    check_einsum("ij,jk->ik", 2, (const int64_t[][4]){{2, 0}, {0, 2}}, (int[]){2, 2});
    CHECK_NO_ERROR();
}

static void test_einsum_path_and_errors(void) {
    em_scope_begin();
    const em_array *ops[3] = {em_zeros((int64_t[]){2, 3}, 2, EM_FLOAT32),
                              em_zeros((int64_t[]){3, 4}, 2, EM_FLOAT32),
                              em_zeros((int64_t[]){4, 5}, 2, EM_FLOAT32)};
    int path[9];
    size_t np = 0;
    char *report = NULL;
    CHECK(em_einsum_path("ij,jk,kl->il", ops, 3, path, 9, &np, &report) == EM_OK);
    CHECK(np == 6 && path[0] == 1 && path[1] == 2 && path[2] == -1 && path[3] == 0 && path[4] == 1 &&
          path[5] == -1);
    CHECK(report && strcmp(report, "  Complete contraction:  ij,jk,kl->il\n         Naive scaling:  4\n"
                                   "     Optimized scaling:  3\n      Naive FLOP count:  360\n"
                                   "  Optimized FLOP count:  180\n") == 0);
    em_free(report);
    CHECK(em_einsum_path("ii", ops, 1, path, 3, &np, NULL) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_einsum_path("ij", ops, 1, path, 3, &np, NULL) == EM_OK && np == 2 && path[0] == 0 &&
          path[1] == -1);
    CHECK(em_einsum_path("ij,jk,kl", ops, 3, path, 4, &np, NULL) == EM_ERR_VALUE);
    em_error_clear();
    CHECK(em_einsum_path("ij", ops, 1, path, 3, NULL, NULL) == EM_ERR_NULL);
    em_error_clear();

    CHECK_ERROR(em_einsum("ij,jk->ik", ops, 1), EM_ERR_VALUE,
                "[einsum] Number of operands, 1, does not match number of input subscripts, 2");
    CHECK_ERROR(em_einsum("ij,jk->ik", (const em_array *[]){ops[0], ops[0]}, 2), EM_ERR_VALUE,
                "[einsum] Cannot broadcast dimension 0 of input 1 with shape (2,3) to size 3.");
    CHECK_ERROR(em_einsum("ij,jk->ii", ops, 2), EM_ERR_VALUE, "Repeat indices not allowed in output.");
    CHECK_ERROR(em_einsum("ijk", ops, 1), EM_ERR_VALUE,
                "[einsum] Invalid number of subscripts 3 for input 0 with 2 dimensions.");
    CHECK_ERROR(em_einsum("i?", ops, 1), EM_ERR_VALUE, "Subscripts must be letters, but got '?'.");
    CHECK_ERROR(em_einsum("...i...", ops, 1), EM_ERR_VALUE, "Only one ellipsis per subscript");
    CHECK_ERROR(em_einsum("ii", ops, 1), EM_ERR_VALUE, "(2 != 3)");
    CHECK_ERROR(em_einsum("ij->q", ops, 1), EM_ERR_VALUE, "Output subscript 'q'");
    CHECK_ERROR(em_einsum("", ops, 0), EM_ERR_VALUE, "At least one operand is required.");
    CHECK_ERROR(em_einsum(NULL, ops, 1), EM_ERR_NULL, "einsum");
    CHECK_ERROR(em_einsum("ij", NULL, 1), EM_ERR_NULL, "einsum");
    CHECK_ERROR(em_einsum("ij,jk", (const em_array *[]){ops[0], NULL}, 2), EM_ERR_NULL, "einsum");
    /* 64 letters: more subscripts than any array has axes */
    char many[80];
    for (int i = 0; i < 70; i++) many[i] = (char)('a' + i % 26);
    many[70] = 0;
    CHECK_ERROR(em_einsum(many, ops, 1), EM_ERR_VALUE, "[einsum]");
    em_scope_end();
}

/* ---------------------------------------------------------------- products */

static void test_products(void) {
    em_scope_begin();
    em_array *a = rand_array((int64_t[]){2, 3, 4}, 3), *b = rand_array((int64_t[]){3, 4, 5}, 3);
    double *va = check_values(a), *vb = check_values(b);
    em_array *t = em_tensordot(a, b, 2);
    CHECK(check_shape(t, 2, (int64_t[]){2, 5}));
    double *vt = check_values(t);
    for (int i = 0; vt && i < 2; i++)
        for (int l = 0; l < 5; l++) {
            double s = 0;
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) s += va[i * 12 + j * 4 + k] * vb[j * 20 + k * 5 + l];
            CHECK_CLOSE(vt[i * 5 + l], s, 1e-12);
        }
    free(vt);
    /* a's axes (2, 1) against b's (1, 0): a transposed pairing */
    em_array *t2 = em_tensordot_axes(a, em_transpose(b, (int[]){1, 0, 2}, 3), (int[]){2, 1},
                                     (int[]){0, 1}, 2);
    double *v2 = check_values(t2);
    for (int i = 0; v2 && i < 2; i++)
        for (int l = 0; l < 5; l++) {
            double s = 0;
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) s += va[i * 12 + j * 4 + k] * vb[j * 20 + k * 5 + l];
            CHECK_CLOSE(v2[i * 5 + l], s, 1e-12);
        }
    free(v2);
    CHECK_ERROR(em_tensordot(a, b, 1), EM_ERR_VALUE, "must have the same shape on the contracted axes");
    CHECK_ERROR(em_tensordot(a, b, -1), EM_ERR_VALUE, "axis must be greater or equal to 0.");
    CHECK_ERROR(em_tensordot_axes(a, b, (int[]){7}, (int[]){0}, 1), EM_ERR_INDEX, "[tensordot]");
    CHECK_ERROR(em_tensordot_axes(a, b, (int[]){1, 1}, (int[]){0, 0}, 2), EM_ERR_VALUE, "Repeated axis");
    CHECK_ERROR(em_tensordot_axes(a, b, NULL, NULL, 1), EM_ERR_VALUE, "[tensordot]");
    CHECK_ERROR(em_tensordot(NULL, b, 1), EM_ERR_NULL, "tensordot");

    /* kron of (2,3) and (3,1): out[i*3+k][j] = a[i][j] * b[k][0] */
    em_array *m = rand_array((int64_t[]){2, 3}, 2), *n = rand_array((int64_t[]){3, 1}, 2);
    em_array *kr = em_kron(m, n);
    CHECK(check_shape(kr, 2, (int64_t[]){6, 3}));
    double *vm = check_values(m), *vn = check_values(n), *vk = check_values(kr);
    for (int i = 0; vk && i < 2; i++)
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 3; j++) CHECK_CLOSE(vk[(i * 3 + k) * 3 + j], vm[i * 3 + j] * vn[k], 1e-15);
    em_array *outer = em_outer(m, n);
    CHECK(check_shape(outer, 2, (int64_t[]){6, 3}));
    double *vo = check_values(outer);
    for (int i = 0; vo && i < 6; i++)
        for (int j = 0; j < 3; j++) CHECK_CLOSE(vo[i * 3 + j], vm[i] * vn[j], 1e-15);
    em_array *in = em_inner(m, m);
    CHECK(check_shape(in, 2, (int64_t[]){2, 2}));
    double *vi = check_values(in);
    CHECK_CLOSE(vi[1], vm[0] * vm[3] + vm[1] * vm[4] + vm[2] * vm[5], 1e-12);
    CHECK_ERROR(em_inner(m, n), EM_ERR_VALUE, "[inner] a and b must have the same last dimension.");
    em_array *vd = em_vecdot(m, m, 0);
    double *vv = check_values(vd);
    CHECK(check_shape(vd, 1, (int64_t[]){3}));
    CHECK_CLOSE(vv[2], vm[2] * vm[2] + vm[5] * vm[5], 1e-12);
    CHECK_ERROR(em_vecdot(m, m, 2), EM_ERR_INDEX, "[vecdot] axis is out of bounds.");
    CHECK_ERROR(em_vecdot(m, n, -1), EM_ERR_VALUE, "[vecdot] a and b must have the same size along axis.");

    em_array *c = em_full_double((int64_t[]){1}, 1, 2.0, EM_FLOAT32);
    em_array *mm = em_addmm(c, em_astype(m, EM_INT32), em_transpose(em_astype(m, EM_INT32), NULL, 0), 2.0, 0.5);
    CHECK(mm && em_array_dtype(mm) == EM_FLOAT32 && check_shape(mm, 2, (int64_t[]){2, 2}));
    CHECK_ERROR(em_addmm(em_zeros((int64_t[]){3, 2}, 2, EM_FLOAT32), m, em_transpose(m, NULL, 0), 1, 1),
                EM_ERR_VALUE, "[addmm] input c must broadcast to the output shape");
    free(va), free(vb), free(vm), free(vn), free(vk), free(vo), free(vi), free(vv);
    CHECK_NO_ERROR();
    em_scope_end();
}

/* ---------------------------------------------------------------- diagonals */

static void test_diagonal(void) {
    em_scope_begin();
    em_array *x = em_reshape(em_arange(0, 24, 1, EM_FLOAT32), (int64_t[]){2, 3, 4}, 3);
    em_eval1(x);
    em_array *d = em_diagonal(x, 1, -1, -2); /* x[i, j+1... ] along axes 2 and 1 */
    CHECK(check_shape(d, 2, (int64_t[]){2, 2}));
    double *v = check_values(d);
    CHECK(v && v[0] == 4 && v[1] == 9 && v[2] == 16 && v[3] == 21);
    free(v);
    /* a view: same buffer, strides (12, 5), offset 4 elements in */
    const float *base = em_array_data(x), *dp = em_array_data(d);
    CHECK(dp == base + 4);
    const int64_t *st = em_array_strides(d);
    CHECK(st[0] == 12 && st[1] == 5);
    CHECK(em_array_dim(em_diagonal(x, 10, 1, 2), -1) == 0);
    CHECK(em_array_dim(em_diagonal(x, -10, 1, 2), -1) == 0);
    CHECK(em_array_dim(em_diagonal(x, INT64_MIN, 1, 2), -1) == 0);
    CHECK(em_array_dim(em_diagonal(x, INT64_MAX, 1, 2), -1) == 0);
    CHECK_ERROR(em_diagonal(x, 0, 1, 1), EM_ERR_VALUE, "[diagonal] axis1 and axis2 cannot be the same axis");
    CHECK_ERROR(em_diagonal(x, 0, 0, 3), EM_ERR_INDEX, "[diagonal] Invalid axis2 3 for array with 3 dimensions.");
    CHECK_ERROR(em_diagonal(em_zeros((int64_t[]){3}, 1, EM_FLOAT32), 0, 0, 1), EM_ERR_VALUE,
                "Array must have at least two dimensions, but got 1 dimensions.");
    CHECK_ERROR(em_diagonal(NULL, 0, 0, 1), EM_ERR_NULL, "diagonal");

    em_array *vec = em_arange(1, 4, 1, EM_INT32);
    em_array *dm = em_diag(vec, -1);
    CHECK(check_shape(dm, 2, (int64_t[]){4, 4}) && em_array_dtype(dm) == EM_INT32);
    double *w = check_values(dm);
    for (int i = 0; w && i < 4; i++)
        for (int j = 0; j < 4; j++) CHECK(w[i * 4 + j] == (i == j + 1 ? (double)i : 0.0));
    free(w);
    CHECK_ERROR(em_diag(x, 0), EM_ERR_VALUE, "[diag] array must be 1-D or 2-D, got array with 3 dimensions.");
    CHECK_ERROR(em_diag(vec, INT64_MIN), EM_ERR_VALUE, "[diag]");
    CHECK_ERROR(em_diag(vec, INT64_MAX), EM_ERR_VALUE, "[diag]");

    em_array *tr = em_trace(x, 0, 1, 2, EM_FLOAT32, false);
    double *tv = check_values(tr);
    CHECK(tv && tv[0] == 0 + 5 + 10 && tv[1] == 12 + 17 + 22);
    free(tv);
    em_array *ti = em_trace(em_astype(x, EM_INT8), 0, 1, 2, EM_FLOAT32, false);
    CHECK(em_array_dtype(ti) == EM_INT32);
    CHECK(em_array_dtype(em_trace(x, 0, 1, 2, EM_FLOAT16, true)) == EM_FLOAT16);
    CHECK_ERROR(em_trace(x, 0, 1, 2, (em_dtype)99, true), EM_ERR_TYPE, "[trace]");
    CHECK_ERROR(em_trace(x, 0, 5, 2, EM_FLOAT32, false), EM_ERR_INDEX, "[trace] Invalid axis1 5");
    CHECK_NO_ERROR();
    em_scope_end();
}

static void test_hadamard(void) {
    em_scope_begin();
    em_array *x = em_arange(0, 12, 1, EM_FLOAT32);
    /* mlx.core.hadamard_transform(arange(12), 1.0), recorded */
    const double want12[12] = {64, -6, 0, -6, -20, -10, 0, -14, 20, -18, 0, -22};
    double *v = check_values(em_hadamard_transform(x, 1.0, true));
    for (int i = 0; v && i < 12; i++) CHECK(v[i] == want12[i]);
    free(v);
    em_array *y = rand_array((int64_t[]){3, 16}, 2);
    double *vy = check_values(y), *vh = check_values(em_hadamard_transform(y, 0, false));
    for (int r = 0; vh && r < 3; r++)
        for (int j = 0; j < 16; j++) {
            double s = 0;
            for (int i = 0; i < 16; i++) s += vy[r * 16 + i] * ((__builtin_popcount((unsigned)(i & j)) & 1) ? -1 : 1);
            CHECK_CLOSE(vh[r * 16 + j], s / 4, 1e-12);
        }
    free(vy), free(vh);
    CHECK(em_array_dtype(em_hadamard_transform(em_astype(x, EM_INT32), 1, true)) == EM_FLOAT32);
    CHECK_ERROR(em_hadamard_transform(em_zeros((int64_t[]){6}, 1, EM_FLOAT32), 1, false), EM_ERR_VALUE,
                "[hadamard] Only supports n = m*2^k where m in (1, 12, 20, 28).");
    CHECK_ERROR(em_hadamard_transform(em_zeros((int64_t[]){0, 4}, 2, EM_FLOAT32), 1, false), EM_ERR_VALUE,
                "Does not support empty arrays.");
    CHECK_ERROR(em_hadamard_transform(NULL, 1, false), EM_ERR_NULL, "hadamard_transform");
    CHECK_NO_ERROR();
    em_scope_end();
}

/* ---------------------------------------------------------------- matmul variants */

static void test_masked_mm(void) {
    em_scope_begin();
    em_array *a = rand_array((int64_t[]){3, 2, 4}, 3), *b = rand_array((int64_t[]){2, 4, 3}, 3);
    int32_t li[2] = {2, 0}, ri[2] = {1, 1};
    em_array *l = em_array_from_data(li, (int64_t[]){2}, 1, EM_INT32);
    em_array *r = em_array_from_data(ri, (int64_t[]){2}, 1, EM_INT32);
    em_array *g = em_gather_mm(a, b, l, r, false);
    CHECK(check_shape(g, 3, (int64_t[]){2, 2, 3}));
    double *va = check_values(a), *vb = check_values(b), *vg = check_values(g);
    for (int q = 0; vg && q < 2; q++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = 0; k < 4; k++) s += va[li[q] * 8 + i * 4 + k] * vb[ri[q] * 12 + k * 3 + j];
                CHECK_CLOSE(vg[(q * 2 + i) * 3 + j], s, 1e-12);
            }
    free(vg);
    CHECK_ERROR(em_gather_mm(a, b, em_astype(l, EM_FLOAT32), NULL, false), EM_ERR_VALUE,
                "Indices must be integral.");
    CHECK_ERROR(em_gather_mm(a, a, NULL, NULL, false), EM_ERR_VALUE, "[gather_mm] Last dimension");
    CHECK_ERROR(em_gather_mm(NULL, b, NULL, NULL, false), EM_ERR_NULL, "gather_mm");

    /* segments (0,3) and (3,1): the first three columns, then nothing */
    int32_t sg[4] = {0, 3, 3, 1};
    em_array *seg = em_array_from_data(sg, (int64_t[]){2, 2}, 2, EM_INT32);
    em_array *a2 = em_reshape(a, (int64_t[]){6, 4}, 2), *b2 = em_reshape(em_slice(b, (int64_t[]){0, 0, 0},
                                                   (int64_t[]){1, 4, 3}, NULL, 3), (int64_t[]){4, 3}, 2);
    em_array *sm = em_segmented_mm(a2, b2, seg);
    CHECK(check_shape(sm, 3, (int64_t[]){2, 6, 3}));
    double *vs = check_values(sm);
    for (int i = 0; vs && i < 6; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += va[i * 4 + k] * vb[k * 3 + j];
            CHECK_CLOSE(vs[i * 3 + j], s, 1e-12);
            CHECK(vs[18 + i * 3 + j] == 0);
        }
    free(vs);
    CHECK_ERROR(em_segmented_mm(a, b, seg), EM_ERR_VALUE, "[segmented_mm] Batched matmul not supported");
    CHECK_ERROR(em_segmented_mm(a2, b2, em_zeros((int64_t[]){3}, 1, EM_INT32)), EM_ERR_VALUE,
                "The segments should have shape (..., 2) but (3) was provided.");
    CHECK_ERROR(em_segmented_mm(a2, b2, NULL), EM_ERR_NULL, "segmented_mm");

    /* block size 2 on (6,4) @ (4,3): lhs mask (3,2) zeroes a's block (1,0) */
    bool ml[6] = {true, true, false, true, true, true};
    em_array *mask = em_array_from_data(ml, (int64_t[]){3, 2}, 2, EM_BOOL);
    em_array *bm = em_block_masked_mm(a2, b2, 2, NULL, mask, NULL);
    double *vm = check_values(bm);
    for (int i = 0; vm && i < 6; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += (ml[(i / 2) * 2 + k / 2] ? va[i * 4 + k] : 0) * vb[k * 3 + j];
            CHECK_CLOSE(vm[i * 3 + j], s, 1e-12);
        }
    free(vm);
    CHECK_ERROR(em_block_masked_mm(a2, b2, 2, em_ones((int64_t[]){2, 2}, 2, EM_BOOL), NULL, NULL),
                EM_ERR_VALUE, "mask_out of shape (2,2) does not match the block shape (3,2).");
    CHECK_ERROR(em_block_masked_mm(a2, b2, 0, NULL, NULL, NULL), EM_ERR_VALUE, "block_size");
    free(va), free(vb);
    CHECK_NO_ERROR();
    em_scope_end();
}

/* ---------------------------------------------------------------- gradients */

typedef em_array *(*unary_fn)(const em_array *);
static em_status unary_closure(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    em_array *y = (*(unary_fn *)ctx)(in[0]);
    em_status s = em_array_list_push(out, y);
    em_array_release(y);
    return s;
}

static em_array *f_diagonal(const em_array *a) { return em_diagonal(a, -1, 2, 0); }
static em_array *f_einsum(const em_array *a) {
    const em_array *ops[2] = {a, a};
    return em_einsum("iij,jkk->ik", ops, 2);
}
/* Called in a scope and from a closure (outside any): its own scope keeps
 * only the result. */
static em_array *f_trace(const em_array *a) {
    em_scope_begin();
    em_array *r = em_scope_keep(em_trace(em_sin(a), 1, 0, 2, EM_FLOAT64, false));
    em_scope_end();
    return r;
}

/* <c, J t> from vjp, jvp and central differences agree. */
static void check_grad(unary_fn f, const int64_t *shape, int ndim) {
    em_scope_begin();
    em_array *x = rand_array(shape, ndim), *t = rand_array(shape, ndim);
    em_array *y = f(x);
    em_array *c = rand_array(em_array_shape(y), em_array_ndim(y));
    em_closure *cl = em_closure_new(unary_closure, &f, NULL);
    em_array_list *outs = em_array_list_new(), *g = em_array_list_new(), *j = em_array_list_new();
    CHECK(em_vjp(cl, &x, 1, &c, 1, outs, g) == EM_OK);
    CHECK(em_jvp(cl, &x, 1, &t, 1, outs, j) == EM_OK);
    double h = 1e-6;
    em_array *hs = em_array_from_double(h, EM_FLOAT64);
    em_array *xp = em_add(x, em_multiply(t, hs)), *xm = em_subtract(x, em_multiply(t, hs));
    em_array *num = em_divide(em_subtract(f(xp), f(xm)), em_array_from_double(2 * h, EM_FLOAT64));
    double lhs, mid, rhs;
    em_array_item_double(em_sum(em_multiply(em_array_list_get(g, 0), t), NULL, -1, false), &lhs);
    em_array_item_double(em_sum(em_multiply(c, em_array_list_get(j, 0)), NULL, -1, false), &mid);
    em_array_item_double(em_sum(em_multiply(c, num), NULL, -1, false), &rhs);
    CHECK_CLOSE(lhs, rhs, 1e-7);
    CHECK_CLOSE(mid, rhs, 1e-7);
    em_array_list_free(outs), em_array_list_free(g), em_array_list_free(j);
    em_closure_release(cl);
    CHECK_NO_ERROR();
    em_scope_end();
}

int main(void) {
    test_einsum_values();
    test_einsum_path_and_errors();
    test_products();
    test_diagonal();
    test_hadamard();
    test_masked_mm();
    check_grad(f_diagonal, (int64_t[]){3, 2, 4}, 3);
    check_grad(f_einsum, (int64_t[]){3, 3, 3}, 3);
    check_grad(f_trace, (int64_t[]){3, 2, 4}, 3);
    CHECK(em_live_arrays() == 0);
    CHECK_DONE();
}
