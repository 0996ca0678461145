/* primitives.c -- the primitive table, generated from EM_PRIMITIVES, and the
 * standard errors of missing rules. */
#include "../core/error.h"
#include "../core/node.h"

const em_primitive em_primitives[EM_PRIM_COUNT] = {
#define X(ID, NAME, family, FLAGS)                                             \
    [EM_PRIM_##ID] = {EM_PRIM_##ID, NAME, FLAGS, ops_##family##_vjp, ops_##family##_jvp,      \
                      ops_##family##_vmap},
    EM_PRIMITIVES(X)
#undef X
};

em_status ops_no_vjp(const em_node *n) {
    return error_status(EM_ERR_VALUE, "[Primitive::vjp] Not implemented for %s.",
                        em_primitives[n->prim].name);
}

em_status ops_no_jvp(const em_node *n) {
    return error_status(EM_ERR_VALUE, "[Primitive::jvp] Not implemented for %s.",
                        em_primitives[n->prim].name);
}

em_status ops_no_vmap(const em_node *n) {
    return error_status(EM_ERR_VALUE, "[Primitive::vmap] Not implemented for %s.",
                        em_primitives[n->prim].name);
}

void refobj_retain(em_refobj *o) {
    if (o) atomic_fetch_add(&o->rc, 1);
}

void refobj_release(em_refobj *o) {
    if (o && atomic_fetch_sub(&o->rc, 1) == 1) o->destroy(o);
}
