/* binary.c -- builders of the binary elementwise ops: broadcasting, MLX's
 * promotion, and each op's dtype rule. Kernels see two inputs of one dtype
 * and one shape. */
#include "rules.h"

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
    em_array *in[2] = {(em_array *)x, (em_array *)y}, *r = NULL;
    if (x->dtype == dt && y->dtype == dt && shape_equal(x->shape, x->ndim, shape, nd) &&
        shape_equal(y->shape, y->ndim, shape, nd)) /* the common case: nothing to cast or broadcast */
        return node_make(prim, NULL, 0, in, 2, out, shape, nd);
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

/* Derivatives written MLX's way (the same masks for ties, the same handling
 * of a zero base in power), with cotangents conjugating complex factors. */

static em_array *conj_if(rule_tmp *t, em_array *a) {
    return a && a->dtype == EM_COMPLEX64 ? tk(t, em_conjugate(a)) : a;
}

/* The partial derivatives of the node's function with respect to a (arg 0)
 * and b (arg 1), for MULTIPLY, DIVIDE, REMAINDER, POWER, LOGADDEXP, ARCTAN2.
 * Written as temporaries of t; NULL on error. */
static em_array *partial(const em_node *n, const em_array *a, const em_array *b, const em_array *y,
                         int arg, rule_tmp *t) {
    switch (n->prim) {
    case EM_PRIM_MULTIPLY: return (em_array *)(arg == 0 ? b : a);
    case EM_PRIM_DIVIDE:
        if (arg == 0) return tk(t, em_reciprocal(b));
        return tk(t, em_negative(tk(t, em_divide(a, tk(t, em_square(b))))));
    case EM_PRIM_REMAINDER:
        if (arg == 0) return sc(t, 1, a);
        return tk(t, em_negative(tk(t, em_floor(tk(t, em_divide(a, b))))));
    case EM_PRIM_POWER:
        if (arg == 0) return tk(t, em_multiply(tk(t, em_power(a, tk(t, em_subtract(b, sc(t, 1, b))))), b));
        /* log of a zero base counts as 0, so 0^b has derivative 0 in b (MLX) */
        return tk(t, em_multiply(tk(t, em_log(tk(t, em_where(tk(t, em_equal(a, sc(t, 0, a))),
                                                              sc(t, 1, a), a)))), y));
    case EM_PRIM_LOGADDEXP:
        return tk(t, em_sigmoid(tk(t, arg == 0 ? em_subtract(a, b) : em_subtract(b, a))));
    case EM_PRIM_ARCTAN2: {
        em_array *den = tk(t, em_add(tk(t, em_square(a)), tk(t, em_square(b))));
        return tk(t, arg == 0 ? em_divide(b, den) : em_divide(tk(t, em_negative(a)), den));
    }
    default: return NULL;
    }
}

/* MAXIMUM/MINIMUM: which input the output follows (ties go to b, as MLX). */
static em_array *pick_mask(const em_node *n, const em_array *a, const em_array *b, int arg, rule_tmp *t) {
    bool max = n->prim == EM_PRIM_MAXIMUM;
    if (arg == 0) return tk(t, max ? em_greater(a, b) : em_less(a, b));
    return tk(t, max ? em_less_equal(a, b) : em_greater_equal(a, b));
}

static bool has_partials(em_prim_id p) {
    return p == EM_PRIM_MULTIPLY || p == EM_PRIM_DIVIDE || p == EM_PRIM_REMAINDER ||
           p == EM_PRIM_POWER || p == EM_PRIM_LOGADDEXP || p == EM_PRIM_ARCTAN2;
}

static bool is_compare(em_prim_id p) {
    return p == EM_PRIM_EQUAL || p == EM_PRIM_NOT_EQUAL || p == EM_PRIM_LESS ||
           p == EM_PRIM_LESS_EQUAL || p == EM_PRIM_GREATER || p == EM_PRIM_GREATER_EQUAL;
}

em_status ops_binary_vjp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *cot, const bool *want, em_array **grads) {
    const em_array *a = in[0], *b = in[1], *c = cot[0];
    rule_tmp t = {0};
    em_status st = EM_OK;
    for (int arg = 0; arg < 2 && st == EM_OK; arg++) {
        if (!want[arg]) continue;
        em_array *g = NULL;
        switch (n->prim) {
        case EM_PRIM_ADD: g = em_array_retain(cot[0]); break;
        case EM_PRIM_SUBTRACT: g = arg == 0 ? em_array_retain(cot[0]) : em_negative(c); break;
        case EM_PRIM_MAXIMUM:
        case EM_PRIM_MINIMUM: g = em_multiply(c, pick_mask(n, a, b, arg, &t)); break;
        default:
            if (!has_partials(n->prim)) continue; /* comparisons, logic, bitwise, floor_divide: zero */
            g = em_multiply(c, conj_if(&t, partial(n, a, b, out[0], arg, &t)));
            break;
        }
        grads[arg] = g;
        st = rule_status(g);
    }
    rule_tmp_free(&t);
    return st;
}

em_status ops_binary_jvp(const em_node *n, em_array *const *in, em_array *const *out,
                         em_array *const *tan, em_array **out_tan) {
    const em_array *a = in[0], *b = in[1];
    rule_tmp t = {0};
    em_array *r = NULL;
    if (is_compare(n->prim)) {
        /* MLX: zeros of the inputs' dtype */
        r = em_zeros(out[0]->shape, out[0]->ndim, a->dtype);
    } else if (n->prim == EM_PRIM_ADD || n->prim == EM_PRIM_SUBTRACT) {
        em_array *tb = tan[1] && n->prim == EM_PRIM_SUBTRACT ? tk(&t, em_negative(tan[1])) : tan[1];
        r = !tan[0] ? em_array_retain(tb) : !tb ? em_array_retain(tan[0]) : em_add(tan[0], tb);
    } else if (n->prim == EM_PRIM_MAXIMUM || n->prim == EM_PRIM_MINIMUM) {
        r = em_where(pick_mask(n, a, b, 0, &t), tk(&t, rules_or_zeros(tan[0], a)),
                     tk(&t, rules_or_zeros(tan[1], b)));
    } else if (has_partials(n->prim)) {
        for (int arg = 0; arg < 2; arg++) {
            if (!tan[arg]) continue;
            em_array *term = tk(&t, em_multiply(tan[arg], partial(n, a, b, out[0], arg, &t)));
            r = r ? tk(&t, em_add(r, term)) : term;
        }
        r = em_array_retain(r);
    } else {
        return EM_OK; /* zero: floor_divide, logic, bitwise */
    }
    rule_tmp_free(&t);
    out_tan[0] = r;
    return rule_status(r);
}

/* ---------------------------------------------------------------- vmap */

#include "../transforms/vmap.h"

/* Elementwise: the batch axes lined up, unmapped operands broadcast. */
em_status ops_binary_vmap(const em_node *n, em_array *const *in, const int *axes,
                          em_array **out, int *out_axes) {
    return vmap_elementwise(n, in, axes, out, out_axes);
}
