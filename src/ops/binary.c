/* binary.c -- builders of the binary elementwise ops: broadcasting, MLX's
 * promotion, and each op's dtype rule. Kernels see two inputs of one dtype
 * and one shape. */
#include "ops.h"

typedef enum {
    B_SAME,      /* the promoted dtype */
    B_INEXACT,   /* the promoted dtype, ints and bool as float32 */
    B_COMPARE,   /* compare in the promoted dtype, output bool */
    B_LOGICAL,   /* inputs as bool, output bool */
    B_BITWISE,   /* integers or bool only */
    B_SHIFT      /* integers (bool as uint8) only */
} binary_rule;

typedef struct { const char *name; binary_rule rule; bool complex_ok; } binary_info;

static em_array *binary(em_prim_id prim, const binary_info *b, const em_array *x,
                        const em_array *y) {
    EM_CHECK_ARG(b->name, x);
    EM_CHECK_ARG(b->name, y);
    int64_t shape[EM_MAX_NDIM];
    int nd = shape_broadcast("broadcast_shapes", x->shape, x->ndim, y->shape, y->ndim, shape);
    if (nd < 0) return NULL;
    em_dtype dt = em_result_type(x->dtype, y->dtype), out = dt;
    if (dt == EM_COMPLEX64 && !b->complex_ok) {
        if (prim == EM_PRIM_REMAINDER) /* MLX's wording for this one */
            return error_set(EM_ERR_VALUE, "[%s] Complex type not supported.", b->name);
        return error_set(EM_ERR_VALUE, "[%s] Not supported for complex64.", b->name);
    }
    switch (b->rule) {
    case B_SAME: break;
    case B_INEXACT: out = dt = dtype_to_inexact(dt); break;
    case B_COMPARE: out = EM_BOOL; break;
    case B_LOGICAL: dt = out = EM_BOOL; break;
    case B_BITWISE:
    case B_SHIFT:
        if (!dtype_is_int(dt) && dt != EM_BOOL)
            return error_set(EM_ERR_VALUE,
                             "[%s] Only allowed on integer or boolean types but got types %s and %s.",
                             b->name, em_dtype_name(x->dtype), em_dtype_name(y->dtype));
        if (b->rule == B_SHIFT && dt == EM_BOOL) out = dt = EM_UINT8;
        break;
    }
    em_array *in[2] = {NULL, NULL}, *r = NULL;
    const em_array *src[2] = {x, y};
    for (int i = 0; i < 2; i++) {
        em_array *c = ops_cast(src[i], dt);
        in[i] = ops_broadcast(c, shape, nd);
        em_array_release(c);
    }
    if (in[0] && in[1]) r = node_make(prim, NULL, 0, in, 2, out, shape, nd);
    em_array_release(in[0]);
    em_array_release(in[1]);
    return r;
}

#define BINARY(fn, PRIM, rule, cplx)                                           \
    EM_PUBLIC_OP(em_##fn, (const em_array *a, const em_array *b), (a, b)) {    \
        static const binary_info info = {#fn, rule, cplx};                     \
        return binary(EM_PRIM_##PRIM, &info, a, b);                            \
    }

BINARY(add, ADD, B_SAME, true)
BINARY(subtract, SUBTRACT, B_SAME, true)
BINARY(multiply, MULTIPLY, B_SAME, true)
BINARY(divide, DIVIDE, B_INEXACT, true)
BINARY(floor_divide, FLOOR_DIVIDE, B_SAME, true)
BINARY(remainder, REMAINDER, B_SAME, false)
BINARY(power, POWER, B_SAME, true)
BINARY(maximum, MAXIMUM, B_SAME, true)
BINARY(minimum, MINIMUM, B_SAME, true)
BINARY(logaddexp, LOGADDEXP, B_INEXACT, true)
BINARY(arctan2, ARCTAN2, B_INEXACT, false)
BINARY(equal, EQUAL, B_COMPARE, true)
BINARY(not_equal, NOT_EQUAL, B_COMPARE, true)
BINARY(less, LESS, B_COMPARE, true)
BINARY(less_equal, LESS_EQUAL, B_COMPARE, true)
BINARY(greater, GREATER, B_COMPARE, true)
BINARY(greater_equal, GREATER_EQUAL, B_COMPARE, true)
BINARY(logical_and, LOGICAL_AND, B_LOGICAL, true)
BINARY(logical_or, LOGICAL_OR, B_LOGICAL, true)
/* Bitwise ops refuse complex through their rule, with MLX's message. */
BINARY(bitwise_and, BITWISE_AND, B_BITWISE, true)
BINARY(bitwise_or, BITWISE_OR, B_BITWISE, true)
BINARY(bitwise_xor, BITWISE_XOR, B_BITWISE, true)
BINARY(left_shift, LEFT_SHIFT, B_SHIFT, true)
BINARY(right_shift, RIGHT_SHIFT, B_SHIFT, true)

/* ---------------------------------------------------------------- autodiff */

em_status ops_binary_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    (void)in, (void)out, (void)cot, (void)want, (void)grads;
    return ops_no_vjp(n);
}

em_status ops_binary_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    (void)in, (void)out, (void)tan, (void)out_tan;
    return ops_no_jvp(n);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_binary_vmap(const em_node *n, em_array *const *in, const int *axes,
                          em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
