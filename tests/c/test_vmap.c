/* test_vmap.c -- em_vmap against a loop over the mapped axis, for every
 * primitive (through the ops that build it), with inputs mapped along each
 * axis or not at all and outputs placed along each axis; nested vmap; the
 * custom_function vmap rules; the errors, with MLX's messages; no leaks. */
#include "vmap_util.h"

/* ---------------------------------------------------------------- unary */

typedef em_array *(*unary_op)(const em_array *);
typedef struct { const char *name; unary_op f; double lo, hi; em_dtype dt; } unary_case;

static em_array *apply_unary(em_array *const *in, const void *arg) {
    return ((const unary_case *)arg)->f(in[0]);
}
static em_array *round2(const em_array *a) { return em_round(a, 2); }
static em_array *nan_to_num_op(const em_array *a) {
    double p = 7;
    return em_nan_to_num(a, 1, &p, NULL);
}
static em_array *degrees_op(const em_array *a) { return em_degrees(a); }

static void test_unary(void) {
    static const unary_case cases[] = {
        {"abs", em_abs, -2, 2, EM_FLOAT32},         {"sign", em_sign, -2, 2, EM_FLOAT32},
        {"negative", em_negative, -2, 2, EM_INT32}, {"exp", em_exp, -2, 2, EM_FLOAT32},
        {"expm1", em_expm1, -2, 2, EM_FLOAT32},     {"log", em_log, 0.1, 3, EM_FLOAT32},
        {"log1p", em_log1p, 0, 3, EM_FLOAT32},      {"log2", em_log2, 0.1, 3, EM_FLOAT32},
        {"log10", em_log10, 0.1, 3, EM_FLOAT64},    {"sqrt", em_sqrt, 0, 3, EM_FLOAT32},
        {"rsqrt", em_rsqrt, 0.1, 3, EM_FLOAT32},    {"square", em_square, -2, 2, EM_INT16},
        {"reciprocal", em_reciprocal, 0.5, 2, EM_FLOAT32}, {"sin", em_sin, -2, 2, EM_FLOAT32},
        {"cos", em_cos, -2, 2, EM_FLOAT32},         {"tan", em_tan, -1, 1, EM_FLOAT32},
        {"arcsin", em_arcsin, -1, 1, EM_FLOAT32},   {"arccos", em_arccos, -1, 1, EM_FLOAT32},
        {"arctan", em_arctan, -2, 2, EM_FLOAT32},   {"sinh", em_sinh, -2, 2, EM_FLOAT32},
        {"cosh", em_cosh, -2, 2, EM_FLOAT32},       {"tanh", em_tanh, -2, 2, EM_FLOAT32},
        {"arcsinh", em_arcsinh, -2, 2, EM_FLOAT32}, {"arccosh", em_arccosh, 1, 3, EM_FLOAT32},
        {"arctanh", em_arctanh, -0.9, 0.9, EM_FLOAT32}, {"erf", em_erf, -2, 2, EM_FLOAT32},
        {"erfinv", em_erfinv, -0.9, 0.9, EM_FLOAT32}, {"sigmoid", em_sigmoid, -2, 2, EM_FLOAT16},
        {"floor", em_floor, -2, 2, EM_FLOAT32},     {"ceil", em_ceil, -2, 2, EM_BFLOAT16},
        {"round", round2, -2, 2, EM_FLOAT32},       {"isnan", em_isnan, -2, 2, EM_FLOAT32},
        {"isinf", em_isinf, -2, 2, EM_FLOAT32},     {"isfinite", em_isfinite, -2, 2, EM_FLOAT32},
        {"isposinf", em_isposinf, -2, 2, EM_FLOAT32}, {"isneginf", em_isneginf, -2, 2, EM_FLOAT32},
        {"logical_not", em_logical_not, -2, 2, EM_BOOL}, {"bitwise_invert", em_bitwise_invert, -9, 9, EM_INT8},
        {"conjugate", em_conjugate, -2, 2, EM_COMPLEX64}, {"real", em_real, -2, 2, EM_COMPLEX64},
        {"imag", em_imag, -2, 2, EM_COMPLEX64},     {"abs complex", em_abs, -2, 2, EM_COMPLEX64},
        {"nan_to_num", nan_to_num_op, -2, 2, EM_FLOAT32}, {"degrees", degrees_op, -2, 2, EM_FLOAT32},
        {"exp int", em_exp, -2, 2, EM_INT32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const unary_case *c = &cases[i];
        const int64_t *elem[] = {SH(2, 4)};
        check_all_axes(c->name, apply_unary, c, 1, elem, (int[]){2}, &c->dt, c->lo, c->hi, 1e-6);
    }
    /* a 0-d element */
    const int64_t *e0[] = {SH(1)};
    check_all_axes("exp 0-d", apply_unary, &cases[3], 1, e0, (int[]){0}, (em_dtype[]){EM_FLOAT32}, -1, 1, 1e-6);
}

/* ---------------------------------------------------------------- binary */

typedef em_array *(*binary_op)(const em_array *, const em_array *);
typedef struct { const char *name; binary_op f; double lo, hi; em_dtype dt; } binary_case;

static em_array *apply_binary(em_array *const *in, const void *arg) {
    return ((const binary_case *)arg)->f(in[0], in[1]);
}

static void test_binary(void) {
    static const binary_case cases[] = {
        {"add", em_add, -3, 3, EM_FLOAT32},        {"subtract", em_subtract, -3, 3, EM_INT32},
        {"multiply", em_multiply, -3, 3, EM_FLOAT32}, {"divide", em_divide, 0.5, 3, EM_FLOAT32},
        {"floor_divide", em_floor_divide, 1, 9, EM_INT32}, {"remainder", em_remainder, 1, 9, EM_INT32},
        {"power", em_power, 0.5, 2, EM_FLOAT32},   {"maximum", em_maximum, -3, 3, EM_FLOAT32},
        {"minimum", em_minimum, -3, 3, EM_FLOAT32}, {"logaddexp", em_logaddexp, -3, 3, EM_FLOAT32},
        {"arctan2", em_arctan2, -3, 3, EM_FLOAT32}, {"equal", em_equal, -2, 2, EM_INT32},
        {"not_equal", em_not_equal, -2, 2, EM_INT32}, {"less", em_less, -3, 3, EM_FLOAT32},
        {"less_equal", em_less_equal, -2, 2, EM_INT32}, {"greater", em_greater, -3, 3, EM_FLOAT32},
        {"greater_equal", em_greater_equal, -2, 2, EM_INT32}, {"logical_and", em_logical_and, 0, 2, EM_BOOL},
        {"logical_or", em_logical_or, 0, 2, EM_BOOL}, {"bitwise_and", em_bitwise_and, 0, 99, EM_INT32},
        {"bitwise_or", em_bitwise_or, 0, 99, EM_UINT8}, {"bitwise_xor", em_bitwise_xor, 0, 99, EM_INT64},
        {"left_shift", em_left_shift, 0, 5, EM_INT32}, {"right_shift", em_right_shift, 0, 5, EM_INT32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const binary_case *c = &cases[i];
        em_dtype dts[] = {c->dt, c->dt};
        const int64_t *same[] = {SH(2, 3), SH(2, 3)};
        check_all_axes(c->name, apply_binary, c, 2, same, (int[]){2, 2}, dts, c->lo, c->hi, 1e-6);
    }
    /* broadcasting inside f, and promotion */
    const binary_case *add = &cases[0];
    const int64_t *bc[] = {SH(2, 3), SH(3)};
    check_all_axes("add broadcast", apply_binary, add, 2, bc, (int[]){2, 1}, (em_dtype[]){EM_FLOAT32, EM_INT8}, -3, 3, 1e-6);
    const int64_t *bc2[] = {SH(1), SH(2, 1)};
    check_all_axes("add 0-d with 2-d", apply_binary, add, 2, bc2, (int[]){0, 2}, (em_dtype[]){EM_FLOAT16, EM_FLOAT32}, -3, 3, 1e-6);
    const int64_t *bc3[] = {SH(4, 1, 2), SH(3, 1)};
    check_all_axes("multiply 3-d", apply_binary, &cases[2], 2, bc3, (int[]){3, 2}, (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -3, 3, 1e-6);
}

/* ---------------------------------------------------------------- ternary, conversions */

static em_array *where_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_where(in[0], in[1], in[2]);
}
static em_array *clip_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_clip(in[0], in[1], in[2]);
}
static em_array *astype_op(em_array *const *in, const void *arg) {
    return em_astype(in[0], *(const em_dtype *)arg);
}
static em_array *copy_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_copy(in[0]);
}

static void test_ternary_convert(void) {
    const int64_t *e3[] = {SH(2, 3), SH(2, 3), SH(3)};
    check_all_axes("where", where_op, NULL, 3, e3, (int[]){2, 2, 1},
                   (em_dtype[]){EM_BOOL, EM_FLOAT32, EM_INT32}, -3, 3, 0);
    const int64_t *ec[] = {SH(2, 3), SH(1), SH(3)};
    check_all_axes("clip", clip_op, NULL, 3, ec, (int[]){2, 0, 1},
                   (em_dtype[]){EM_FLOAT32, EM_FLOAT32, EM_FLOAT32}, -3, 3, 0);
    static const em_dtype to[] = {EM_INT32, EM_BOOL, EM_FLOAT16, EM_COMPLEX64, EM_UINT8};
    for (size_t i = 0; i < sizeof to / sizeof *to; i++) {
        const int64_t *e[] = {SH(2, 3)};
        check_all_axes("astype", astype_op, &to[i], 1, e, (int[]){2}, (em_dtype[]){EM_FLOAT32}, -3, 3, 0);
    }
    const int64_t *e[] = {SH(4, 2)};
    check_all_axes("copy", copy_op, NULL, 1, e, (int[]){2}, (em_dtype[]){EM_INT16}, -9, 9, 0);
}

/* ---------------------------------------------------------------- reductions */

typedef struct { int kind; int axes[3]; int naxes; bool keepdims; } red_case;

static em_array *reduce_op(em_array *const *in, const void *arg) {
    const red_case *c = arg;
    const int *ax = c->naxes < 0 ? NULL : c->axes;
    switch (c->kind) {
    case 0: return em_sum(in[0], ax, c->naxes, c->keepdims);
    case 1: return em_prod(in[0], ax, c->naxes, c->keepdims);
    case 2: return em_max(in[0], ax, c->naxes, c->keepdims);
    case 3: return em_min(in[0], ax, c->naxes, c->keepdims);
    case 4: return em_mean(in[0], ax, c->naxes, c->keepdims);
    case 5: return em_var(in[0], ax, c->naxes, c->keepdims, 1);
    case 6: return em_std(in[0], ax, c->naxes, c->keepdims, 0);
    case 7: return em_logsumexp(in[0], ax, c->naxes, c->keepdims);
    case 8: return em_all(in[0], ax, c->naxes, c->keepdims);
    case 9: return em_any(in[0], ax, c->naxes, c->keepdims);
    case 10: return em_argmax(in[0], c->naxes < 0 ? 0 : c->axes[0], c->naxes < 0, c->keepdims);
    default: return em_argmin(in[0], c->naxes < 0 ? 0 : c->axes[0], c->naxes < 0, c->keepdims);
    }
}

static void test_reduce(void) {
    static const char *names[] = {"sum", "prod", "max", "min", "mean", "var", "std", "logsumexp",
                                  "all", "any", "argmax", "argmin"};
    static const struct { int axes[3]; int naxes; } sel[] = {
        {{0}, 1}, {{1}, 1}, {{-1}, 1}, {{0, 2}, 2}, {{2, 0}, 2}, {{0}, -1}};
    for (int kind = 0; kind < 12; kind++)
        for (size_t s = 0; s < sizeof sel / sizeof *sel; s++)
            for (int keep = 0; keep < 2; keep++) {
                if (kind >= 10 && sel[s].naxes > 1) continue;
                red_case *c = malloc(sizeof *c);
                c->kind = kind;
                memcpy(c->axes, sel[s].axes, sizeof c->axes);
                c->naxes = sel[s].naxes;
                c->keepdims = keep;
                const int64_t *e[] = {SH(2, 3, 4)};
                em_dtype dt = kind >= 8 && kind <= 9 ? EM_BOOL : kind == 0 ? EM_INT8 : EM_FLOAT32;
                check_all_axes(names[kind], reduce_op, c, 1, e, (int[]){3}, &dt, -2, 2, 1e-5);
                free(c);
            }
}

/* ---------------------------------------------------------------- views */

static em_array *reshape_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_reshape(in[0], SH(3, -1), 2);
}
static em_array *flatten_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_flatten(in[0], 0, -1);
}
static em_array *unflatten_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_unflatten(in[0], 1, SH(2, 2), 2);
}
static em_array *transpose_op(em_array *const *in, const void *arg) {
    return em_transpose(in[0], arg, arg ? 3 : 0);
}
static em_array *swapaxes_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_swapaxes(in[0], 0, 2);
}
static em_array *moveaxis_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_moveaxis(in[0], 0, -1);
}
static em_array *squeeze_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_squeeze(in[0], NULL, -1);
}
static em_array *expand_dims_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_expand_dims(in[0], AX(0, -1), 2);
}
static em_array *broadcast_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_broadcast_to(in[0], SH(2, 3, 6, 4), 4);
}
static em_array *slice_op(em_array *const *in, const void *arg) {
    const int64_t *p = arg; /* start, stop, step for 3 axes */
    return em_slice(in[0], p, p + 3, p + 6, 3);
}
static em_array *split_op(em_array *const *in, const void *arg) {
    (void)arg;
    em_array *parts[3];
    size_t n = 0;
    if (em_split(in[0], 0, SH(1, 3), 2, 2, parts, 3, &n) != EM_OK) return NULL;
    em_array *r = em_subtract(parts[2], parts[0]);
    for (size_t i = 0; i < n; i++) em_array_release(parts[i]);
    return r;
}
static em_array *stop_gradient_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_stop_gradient(in[0]);
}

static void test_views(void) {
    const int64_t *e[] = {SH(3, 1, 4)};
    const int nd[] = {3};
    const em_dtype f32[] = {EM_FLOAT32};
    check_all_axes("reshape", reshape_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("flatten", flatten_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("unflatten", unflatten_op, NULL, 1, (const int64_t *[]){SH(3, 4)}, (int[]){2}, f32, -2, 2, 0);
    check_all_axes("transpose", transpose_op, AX(1, 2, 0), 1, e, nd, f32, -2, 2, 0);
    check_all_axes("transpose reversed", transpose_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("swapaxes", swapaxes_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("moveaxis", moveaxis_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("squeeze", squeeze_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("expand_dims", expand_dims_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("broadcast_to", broadcast_op, NULL, 1, (const int64_t *[]){SH(3, 1, 4)}, nd, f32, -2, 2, 0);
    static const int64_t sl1[] = {0, 0, 1, 3, 1, 4, 2, 1, 2};      /* [0:3:2, :, 1:4:2] */
    static const int64_t sl2[] = {-1, 0, 3, -4, 1, 0, -1, 1, -1};  /* [::-1, :, 3:0:-1] */
    check_all_axes("slice", slice_op, sl1, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("slice negative", slice_op, sl2, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("split", split_op, NULL, 1, e, nd, f32, -2, 2, 0);
    check_all_axes("stop_gradient", stop_gradient_op, NULL, 1, e, nd, f32, -2, 2, 0);
}

/* ---------------------------------------------------------------- join, pad, tile */

static em_array *concat_op(em_array *const *in, const void *arg) {
    return em_concatenate((const em_array *const *)in, 3, *(const int *)arg);
}
static em_array *stack_op(em_array *const *in, const void *arg) {
    return em_stack((const em_array *const *)in, 2, *(const int *)arg);
}
static em_array *pad_op(em_array *const *in, const void *arg) {
    int mode = *(const int *)arg;
    return em_pad(in[0], SH(1, 0, 2, 1), 2, mode == 1 ? EM_PAD_EDGE : EM_PAD_CONSTANT,
                  mode == 2 ? in[1] : NULL);
}
static em_array *tile_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_tile(in[0], SH(2, 1, 3), 3);
}
static em_array *repeat_op(em_array *const *in, const void *arg) {
    return em_repeat(in[0], 2, arg);
}

static void test_join(void) {
    for (int ax = 0; ax < 2; ax++) {
        const int64_t *e[] = {ax ? SH(2, 1) : SH(1, 3), SH(2, 3), ax ? SH(2, 2) : SH(3, 3)};
        check_all_axes("concatenate", concat_op, &(int){ax}, 3, e, (int[]){2, 2, 2},
                       (em_dtype[]){EM_FLOAT32, EM_INT32, EM_FLOAT16}, -3, 3, 1e-3);
    }
    for (int ax = -3; ax < 3; ax++) {
        const int64_t *e[] = {SH(2, 3), SH(2, 3)};
        check_all_axes("stack", stack_op, &(int){ax}, 2, e, (int[]){2, 2},
                       (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -3, 3, 0);
    }
    const int64_t *ep[] = {SH(2, 3), SH(1)};
    for (int mode = 0; mode < 3; mode++)
        check_all_axes("pad", pad_op, &(int){mode}, mode == 2 ? 2 : 1, ep, (int[]){2, 0},
                       (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -3, 3, 0);
    check_all_axes("tile", tile_op, NULL, 1, (const int64_t *[]){SH(2, 3)}, (int[]){2},
                   (em_dtype[]){EM_INT32}, -3, 3, 0);
    check_all_axes("repeat", repeat_op, AX(1), 1, (const int64_t *[]){SH(2, 3)}, (int[]){2},
                   (em_dtype[]){EM_INT32}, -3, 3, 0);
    check_all_axes("repeat flat", repeat_op, NULL, 1, (const int64_t *[]){SH(2, 3)}, (int[]){2},
                   (em_dtype[]){EM_INT32}, -3, 3, 0);
}

/* ---------------------------------------------------------------- matmul */

static em_array *matmul_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_matmul(in[0], in[1]);
}

static void test_matmul(void) {
    static const struct { int64_t a[4]; int na; int64_t b[4]; int nb; } cases[] = {
        {{2, 3}, 2, {3, 4}, 2}, {{3}, 1, {3, 4}, 2}, {{2, 3}, 2, {3}, 1}, {{3}, 1, {3}, 1},
        {{5, 2, 3}, 3, {3, 4}, 2}, {{2, 3}, 2, {5, 3, 4}, 3}, {{3}, 1, {5, 3, 4}, 3},
        {{5, 2, 3}, 3, {3}, 1}, {{2, 1, 2, 3}, 4, {5, 3, 2}, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const int64_t *e[] = {cases[i].a, cases[i].b};
        check_all_axes("matmul", matmul_op, NULL, 2, e, (int[]){cases[i].na, cases[i].nb},
                       (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-5);
    }
    const int64_t *e[] = {SH(2, 3), SH(3, 2)};
    check_all_axes("matmul int/float", matmul_op, NULL, 2, e, (int[]){2, 2},
                   (em_dtype[]){EM_INT32, EM_FLOAT64}, -5, 5, 1e-12);
}

/* ---------------------------------------------------------------- creation */

static em_array *full_op(em_array *const *in, const void *arg) {
    (void)arg;
    em_array *s = em_sum(in[0], NULL, -1, false); /* a 0-d value from the element */
    em_array *r = em_full(SH(2, 3), 2, s, EM_FLOAT32);
    em_array_release(s);
    return r;
}
static em_array *like_op(em_array *const *in, const void *arg) {
    (void)arg;
    em_array *z = em_ones_like(in[0]), *a = em_arange(0, 4, 1, EM_FLOAT32);
    em_array *t = em_add(z, a), *e = em_eye(4, -1, 1, EM_FLOAT32);
    em_array *r = em_multiply(t, in[0]);
    em_array *r2 = em_add(r, e);
    em_array *tri = em_triu(r2, 0);
    em_array *tmp[] = {z, a, t, e, r, r2};
    for (size_t i = 0; i < 6; i++) em_array_release(tmp[i]);
    return tri;
}
static em_array *linspace_op(em_array *const *in, const void *arg) {
    (void)arg;
    em_array *l = em_linspace(0, 1, 4, EM_FLOAT32);
    em_array *r = em_add(in[0], l);
    em_array *t = em_tril(r, -1);
    em_array_release(l);
    em_array_release(r);
    return t;
}

static void test_creation(void) {
    const em_dtype f32[] = {EM_FLOAT32};
    check_all_axes("full", full_op, NULL, 1, (const int64_t *[]){SH(2)}, (int[]){1}, f32, -2, 2, 1e-6);
    check_all_axes("ones_like/arange/eye/triu", like_op, NULL, 1, (const int64_t *[]){SH(4, 4)},
                   (int[]){2}, f32, -2, 2, 1e-6);
    check_all_axes("linspace/tril", linspace_op, NULL, 1, (const int64_t *[]){SH(4, 4)}, (int[]){2},
                   f32, -2, 2, 1e-6);
}

/* ---------------------------------------------------------------- compositions */

/* A longer function: softmax(x @ w + b) summed with a reshape. */
static em_array *mlp_op(em_array *const *in, const void *arg) {
    (void)arg;
    em_array *h = em_matmul(in[0], in[1]);
    em_array *z = em_add(h, in[2]);
    em_array *lse = em_logsumexp(z, AX(-1), 1, true);
    em_array *s = em_subtract(z, lse);
    em_array *p = em_exp(s);
    em_array *r = em_reshape(p, SH(-1), 1);
    em_array *tmp[] = {h, z, lse, s, p};
    for (size_t i = 0; i < 5; i++) em_array_release(tmp[i]);
    return r;
}

static void test_composite(void) {
    const int64_t *e[] = {SH(2, 3), SH(3, 4), SH(4)};
    check_all_axes("mlp", mlp_op, NULL, 3, e, (int[]){2, 2, 1},
                   (em_dtype[]){EM_FLOAT32, EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-5);
}

/* vmap of a vmapped function: the inner one maps axis 1 of its element, the
 * outer axis 0; against the double loop. */
typedef struct { const int *in_axes; int out_axis; opfn f; const void *arg; int n; } inner_ctx;

static em_array *inner_vmap_op(em_array *const *in, const void *arg) {
    const inner_ctx *c = arg;
    return run_vmap(c->f, c->arg, in, c->n, c->in_axes, c->out_axis);
}

static void test_nested(void) {
    static const red_case sum1 = {0, {0}, 1, false};
    inner_ctx ic = {AX(1), 0, reduce_op, &sum1, 1};
    /* x: (4, 3, 5, 2): outer maps axis 0; the element (3, 5, 2), inner maps
     * its axis 1: f sees (3, 2) and sums axis 0 -> (2); inner out (5, 2),
     * outer out (4, 5, 2) */
    em_array *x = randf(SH(4, 3, 5, 2), 4);
    em_array *got = run_vmap(inner_vmap_op, &ic, &x, 1, AX(0), 0);
    em_array *want = em_sum(x, AX(1), 1, false);
    CHECK(same_array(got, want, 1e-6));
    em_array_release(got);
    em_array_release(want);
    /* through the generic checker: outer over every axis */
    check_all_axes("vmap(vmap(sum))", inner_vmap_op, &ic, 1, (const int64_t *[]){SH(3, 5, 2)},
                   (int[]){3}, (em_dtype[]){EM_FLOAT32}, -2, 2, 1e-6);
    static const binary_case mul = {"multiply", em_multiply, -2, 2, EM_FLOAT32};
    inner_ctx ib = {AX(0, NONE), 1, apply_binary, &mul, 2};
    check_all_axes("vmap(vmap(multiply))", inner_vmap_op, &ib, 2, (const int64_t *[]){SH(3, 2), SH(2)},
                   (int[]){2, 1}, (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-6);
    inner_ctx im = {AX(1, NONE), 0, matmul_op, NULL, 2};
    check_all_axes("vmap(vmap(matmul))", inner_vmap_op, &im, 2, (const int64_t *[]){SH(2, 4, 3), SH(3, 2)},
                   (int[]){3, 2}, (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-5);
    /* three levels */
    inner_ctx i2 = {AX(0), 0, inner_vmap_op, &ic, 1};
    em_array *y = randf(SH(2, 4, 3, 5, 2), 5);
    got = run_vmap(inner_vmap_op, &i2, &y, 1, AX(0), 0);
    want = em_sum(y, AX(2), 1, false);
    CHECK(same_array(got, want, 1e-6));
    em_array_release(got);
    em_array_release(want);
    em_array_release(x);
    em_array_release(y);
}

/* ---------------------------------------------------------------- outputs, axes */

static em_status two_outputs(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *a = em_multiply(in[0], in[1]);  /* mapped */
    em_array *b = em_multiply(in[1], in[1]);  /* depends on the unmapped input only */
    em_array *c = em_ones(SH(2), 1, EM_INT32); /* a constant */
    em_status s = em_array_list_push(out, a);
    if (s == EM_OK) s = em_array_list_push(out, b);
    if (s == EM_OK) s = em_array_list_push(out, c);
    if (s == EM_OK) s = em_array_list_push(out, in[0]); /* an input, as is */
    if (s == EM_OK) s = em_array_list_push(out, in[1]);
    em_array_release(a);
    em_array_release(b);
    em_array_release(c);
    return s;
}

static void test_outputs(void) {
    em_array *x = randf(SH(2, 4), 2), *y = randf(SH(2), 1);
    em_closure *f = em_closure_new(two_outputs, NULL, NULL);
    /* raw: the axes each output carries */
    em_array_list *out = em_array_list_new();
    int *axes = NULL;
    CHECK(em_vmap_apply(f, ARR(x, y), 2, AX(1, NONE), out, &axes) == EM_OK);
    CHECK(em_array_list_size(out) == 5 && axes);
    if (axes && em_array_list_size(out) == 5) {
        CHECK(axes[0] == 1 && axes[1] == NONE && axes[2] == NONE && axes[3] == 1 && axes[4] == NONE);
        CHECK(em_array_list_get(out, 3) == x);
        CHECK(check_shape(em_array_list_get(out, 1), 1, SH(2)));
    }
    em_free(axes);
    /* placed: broadcast where not mapped, or left alone with NONE */
    em_closure *v = em_vmap(f, AX(1, NONE), 2, AX(0, 1, NONE, 1, NONE), 5);
    CHECK(em_closure_call(v, ARR(x, y), 2, out) == EM_OK);
    if (em_array_list_size(out) == 5) {
        em_array *a = em_array_list_get(out, 0), *b = em_array_list_get(out, 1);
        CHECK(check_shape(a, 2, SH(4, 2)));
        CHECK(check_shape(b, 2, SH(2, 4)));
        CHECK(check_shape(em_array_list_get(out, 2), 1, SH(2)));
        CHECK(check_shape(em_array_list_get(out, 3), 2, SH(2, 4)));
        CHECK(em_array_list_get(out, 4) == y);
        em_array *xt = em_transpose(x, NULL, 0), *want = em_multiply(xt, y);
        CHECK(same_array(a, want, 0));
        em_array_release(xt);
        em_array_release(want);
        em_array *yy = em_multiply(y, y), *y2 = em_reshape(yy, SH(2, 1), 2);
        em_array *bw = em_broadcast_to(y2, SH(2, 4), 2);
        CHECK(same_array(b, bw, 0));
        em_array_release(yy);
        em_array_release(y2);
        em_array_release(bw);
    }
    /* defaults: every axis 0 */
    em_closure *d = em_vmap(f, NULL, 0, NULL, 0);
    em_array *x0 = randf(SH(3, 2), 2), *y0 = randf(SH(3, 2), 2);
    CHECK(em_closure_call(d, ARR(x0, y0), 2, out) == EM_OK && em_array_list_size(out) == 5);
    CHECK(check_shape(em_array_list_get(out, 2), 2, SH(3, 2)));
    em_array_list_free(out);
    em_closure_release(d);
    em_closure_release(v);
    em_closure_release(f);
    em_array *tmp[] = {x, y, x0, y0};
    for (size_t i = 0; i < 4; i++) em_array_release(tmp[i]);
}

/* An empty batch and a function that evaluates while traced. */
static em_status eval_inside(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *s = em_sum(in[0], NULL, -1, false);
    if (em_eval1(s) != EM_OK) {
        em_array_release(s);
        return em_error_code();
    }
    em_array *r = em_multiply(s, in[0]);
    em_status st = em_array_list_push(out, r);
    em_array_release(s);
    em_array_release(r);
    return st;
}

static void test_edges(void) {
    em_array *e = randf(SH(0, 3), 2);
    static const unary_case ex = {"exp", em_exp, 0, 0, EM_FLOAT32};
    em_array *r = run_vmap(apply_unary, &ex, &e, 1, AX(0), 1);
    CHECK(check_shape(r, 2, SH(3, 0)));
    em_array_release(r);
    static const red_case s0 = {0, {0}, 1, false};
    r = run_vmap(reduce_op, &s0, &e, 1, AX(0), 0);
    CHECK(check_shape(r, 1, SH(0)) && em_eval1(r) == EM_OK);
    em_array_release(r);
    em_array_release(e);
    em_error_clear();

    /* evaluating what depends on the batch is an error (MLX's); evaluating
     * anything else is fine */
    em_array *x = randf(SH(3, 2), 2), *y = randf(SH(2), 1);
    em_closure *f = em_closure_new(eval_inside, NULL, NULL);
    em_closure *v = em_vmap(f, NULL, 0, NULL, 0);
    em_array_list *out = em_array_list_new();
    CHECK(em_closure_call(v, &x, 1, out) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[eval] Attempting to eval an array during function "
                                     "transformations like compile or vmap is not allowed."));
    em_error_clear();
    em_closure_release(v);
    v = em_vmap(f, AX(NONE, 0), 2, NULL, 0);
    CHECK(em_closure_call(v, ARR(y, x), 2, out) == EM_OK);
    em_array *sy = em_sum(y, NULL, -1, false), *want = em_multiply(sy, y);
    CHECK(check_shape(em_array_list_get(out, 0), 2, SH(3, 2)));
    em_array *w0 = take(em_array_list_get(out, 0), 0, 2);
    CHECK(same_array(w0, want, 1e-6));
    em_array_release(w0);
    em_array_release(sy);
    em_array_release(want);
    em_array_list_free(out);
    em_closure_release(v);
    em_closure_release(f);
    em_array_release(x);
    em_array_release(y);
}

/* ---------------------------------------------------------------- custom_function */

static int custom_vmap_calls;

/* f(x, y) = x * y + 1 */
static em_status cf_fun(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_array *one = em_array_from_double(1, EM_FLOAT32);
    em_array *p = em_multiply(in[0], in[1]), *r = em_add(p, one);
    em_status s = r ? em_array_list_push(out, r) : em_error_code();
    em_array_release(one);
    em_array_release(p);
    em_array_release(r);
    return s;
}

/* The user's rule for x of rank 2 and y of rank 1: the same function with
 * the batch moved to axis 0, y as (B, 1, n) (and counting its calls); with
 * ctx set it returns a wrong number of arrays. */
static em_status cf_vmap(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)n;
    custom_vmap_calls++;
    int64_t ax[2];
    em_array_item_int(in[2], &ax[0]);
    em_array_item_int(in[3], &ax[1]);
    int64_t size = ax[0] >= 0 ? em_array_shape(in[0])[ax[0]] : em_array_shape(in[1])[ax[1]];
    em_array *x[2];
    for (int i = 0; i < 2; i++) {
        if (ax[i] >= 0) {
            x[i] = em_moveaxis(in[i], (int)ax[i], 0);
        } else {
            int64_t s[EM_MAX_NDIM];
            int nd = em_array_ndim(in[i]);
            s[0] = size;
            memcpy(s + 1, em_array_shape(in[i]), (size_t)nd * sizeof *s);
            x[i] = em_broadcast_to(in[i], s, nd + 1);
        }
    }
    em_array *y = em_expand_dims(x[1], AX(1), 1);
    em_array_release(x[1]);
    x[1] = y;
    em_array_list *r = em_array_list_new();
    em_status st = cf_fun(NULL, x, 2, r);
    em_array *zero = em_array_from_int(0, EM_INT32);
    if (st == EM_OK) st = em_array_list_push(out, em_array_list_get(r, 0));
    if (st == EM_OK && !ctx) st = em_array_list_push(out, zero);
    em_array_release(zero);
    em_array_list_free(r);
    em_array_release(x[0]);
    em_array_release(x[1]);
    return st;
}

static em_array *call1(em_closure *c, em_array *const *in, int n) {
    em_array_list *out = em_array_list_new();
    em_array *r = NULL;
    if (em_closure_call(c, in, (size_t)n, out) == EM_OK) r = em_array_retain(em_array_list_get(out, 0));
    em_array_list_free(out);
    return r;
}

static em_array *closure_op(em_array *const *in, const void *arg) {
    return call1((em_closure *)arg, in, 2);
}

static void test_custom(void) {
    em_closure *fun = em_closure_new(cf_fun, NULL, NULL);
    em_closure *rule = em_closure_new(cf_vmap, NULL, NULL);
    em_closure *cf = em_custom_function(fun, NULL, NULL, rule);
    em_closure *dflt = em_custom_function(fun, NULL, NULL, NULL);
    em_closure *ck = em_checkpoint(fun);
    const int64_t *e[] = {SH(2, 3), SH(3)};
    custom_vmap_calls = 0;
    check_all_axes("custom vmap rule", closure_op, cf, 2, e, (int[]){2, 1},
                   (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-6);
    CHECK(custom_vmap_calls > 0);
    check_all_axes("custom default vmap", closure_op, dflt, 2, e, (int[]){2, 1},
                   (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-6);
    check_all_axes("checkpoint", closure_op, ck, 2, e, (int[]){2, 1},
                   (em_dtype[]){EM_FLOAT32, EM_FLOAT32}, -2, 2, 1e-6);
    /* a rule returning too few arrays */
    em_closure *bad_rule = em_closure_new(cf_vmap, &custom_vmap_calls, NULL);
    em_closure *bad = em_custom_function(fun, NULL, NULL, bad_rule);
    em_array *x = randf(SH(4, 2, 3), 3), *y = randf(SH(3), 1);
    em_array *r = run_vmap(closure_op, bad, ARR(x, y), 2, AX(0, NONE), 0);
    CHECK_MSG(!r && em_error_code() == EM_ERR_VALUE &&
                  strstr(em_error_message(), "[custom_function] The custom vmap returned 1 arrays but 2"),
              "%s", em_error_message());
    em_array_release(r);
    em_error_clear();
    em_array_release(x);
    em_array_release(y);
    em_closure_release(bad);
    em_closure_release(bad_rule);
    em_closure_release(ck);
    em_closure_release(dflt);
    em_closure_release(cf);
    em_closure_release(rule);
    em_closure_release(fun);
}

/* ---------------------------------------------------------------- many inputs, high ranks */

static em_array *concat20_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_concatenate((const em_array *const *)in, 20, 1);
}
static em_array *expand_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_expand_dims(in[0], AX(0), 1);
}

static void test_many_and_deep(void) {
    /* 20 inputs (past every small stack buffer), alternately mapped */
    em_array *in[20];
    int axes[20];
    for (int i = 0; i < 20; i++) {
        axes[i] = i % 2 ? NONE : i % 3;
        int64_t s[3];
        int k = batched_shape(SH(2, 1 + i % 3), 2, axes[i], 3, s);
        in[i] = rand_array(s, k, EM_FLOAT32, -2, 2);
    }
    check_case("concatenate 20", concat20_op, NULL, in, 20, axes, 1, 0);
    for (int i = 0; i < 20; i++) em_array_release(in[i]);
    /* rank 64 in, a rank-64 element out is fine; rank 65 batched is an error */
    int64_t ones[EM_MAX_NDIM];
    for (int i = 0; i < EM_MAX_NDIM; i++) ones[i] = 1;
    ones[5] = 2;
    em_array *x = rand_array(ones, EM_MAX_NDIM, EM_FLOAT32, -1, 1);
    static const unary_case ex = {"exp", em_exp, 0, 0, EM_FLOAT32};
    em_array *r = run_vmap(apply_unary, &ex, &x, 1, AX(5), 63);
    CHECK(r && em_array_ndim(r) == EM_MAX_NDIM && em_array_shape(r)[63] == 2);
    em_array_release(r);
    em_error_clear();
    r = run_vmap(expand_op, NULL, &x, 1, AX(5), 0);
    CHECK_MSG(!r && strstr(em_error_message(), "at most 64 dimensions"), "%s", em_error_message());
    em_array_release(r);
    em_error_clear();
    em_array_release(x);
}

/* ---------------------------------------------------------------- errors */

static em_array *reshape5_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_reshape(in[0], SH(5), 1);
}
static em_array *first_op(em_array *const *in, const void *arg) {
    (void)arg;
    return em_array_retain(in[0]);
}

#define CHECK_VMAP_ERROR(expr, code, substr)                                   \
    do {                                                                       \
        em_error_clear();                                                      \
        em_array *r_ = (expr);                                                 \
        CHECK_MSG(!r_ && em_error_code() == (code) &&                          \
                      strstr(em_error_message(), (substr)) != NULL,            \
                  "code %d, message \"%s\"", (int)em_error_code(), em_error_message()); \
        em_array_release(r_);                                                  \
        em_error_clear();                                                      \
    } while (0)

static void test_errors(void) {
    em_array *x = randf(SH(3, 2), 2), *y = randf(SH(4, 2), 2), *s = em_array_from_double(1, EM_FLOAT32);
    static const binary_case add = {"add", em_add, 0, 0, EM_FLOAT32};
    CHECK_VMAP_ERROR(run_vmap(apply_binary, &add, ARR(x, y), 2, AX(0, 0), 0), EM_ERR_VALUE,
                     "[vmap] Inconsistent axis sizes: 3 and 4.");
    CHECK_VMAP_ERROR(run_vmap(apply_binary, &add, ARR(x, y), 2, AX(1, 0), 0), EM_ERR_VALUE,
                     "[vmap] Inconsistent axis sizes: 2 and 4.");
    CHECK_VMAP_ERROR(run_vmap(first_op, NULL, &x, 1, AX(2), 0), EM_ERR_INDEX,
                     "[vmap] Invalid vectorization axis 2 for array with shape (3,2)");
    CHECK_VMAP_ERROR(run_vmap(first_op, NULL, &s, 1, AX(0), 0), EM_ERR_INDEX,
                     "[vmap] Invalid vectorization axis 0 for array with shape ()");
    CHECK_VMAP_ERROR(run_vmap(first_op, NULL, &x, 1, AX(NONE), 0), EM_ERR_VALUE,
                     "[vmap] At least one of in_axes must be non-None.");
    CHECK_VMAP_ERROR(run_vmap(first_op, NULL, &x, 1, AX(0), 2), EM_ERR_INDEX,
                     "[vmap] Invalid output vectorization axis 2 for array with shape (2)");
    CHECK_VMAP_ERROR(run_vmap(first_op, NULL, &x, 1, AX(0), NONE), EM_ERR_VALUE,
                     "[vmap] Axis -1 invalid for output with 2 dimensions.");
    CHECK_VMAP_ERROR(run_vmap(reshape5_op, NULL, &x, 1, AX(0), 0), EM_ERR_VALUE,
                     "[reshape] Cannot reshape array of size 2 into shape (5).");
    CHECK_VMAP_ERROR(run_vmap(first_op, NULL, &x, 1, AX(-2), 0), EM_ERR_INDEX,
                     "[vmap] Invalid vectorization axis -2.");
    /* counts */
    op_ctx c = {first_op, NULL};
    em_closure *fc = em_closure_new(op_call, &c, NULL);
    em_closure *v = em_vmap(fc, AX(0, 0), 2, NULL, 0);
    em_array_list *out = em_array_list_new();
    CHECK(em_closure_call(v, &x, 1, out) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[vmap] The number of in axes (2) must match the number of inputs (1)."));
    em_error_clear();
    em_closure_release(v);
    v = em_vmap(fc, NULL, 0, AX(0, 0), 2);
    CHECK(em_closure_call(v, &x, 1, out) == EM_ERR_VALUE &&
          strstr(em_error_message(), "[vmap] The number of out axes (2) must match the number of outputs (1)."));
    em_error_clear();
    em_closure_release(v);
    CHECK(em_vmap(NULL, NULL, 0, NULL, 0) == NULL && em_error_code() == EM_ERR_NULL);
    em_error_clear();
    CHECK(em_vmap(fc, NULL, 2, NULL, 0) == NULL && em_error_code() == EM_ERR_NULL);
    em_error_clear();
    int *axes = NULL;
    CHECK(em_vmap_apply(fc, ARR(x, NULL), 2, NULL, out, &axes) != EM_OK && !axes);
    em_error_clear();
    CHECK(em_vmap_apply(fc, NULL, 0, NULL, out, &axes) == EM_ERR_VALUE);
    em_error_clear();
    em_array_list_free(out);
    em_closure_release(fc);
    em_array_release(x);
    em_array_release(y);
    em_array_release(s);
}

int main(void) {
    int64_t live = em_live_arrays();
    test_unary();
    test_binary();
    test_ternary_convert();
    test_reduce();
    test_views();
    test_join();
    test_matmul();
    test_creation();
    test_composite();
    test_nested();
    test_outputs();
    test_edges();
    test_custom();
    test_many_and_deep();
    test_errors();
    CHECK_MSG(em_live_arrays() == live, "%lld arrays leaked", (long long)(em_live_arrays() - live));
    CHECK_NO_ERROR();
    CHECK_DONE();
}
