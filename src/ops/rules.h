/* rules.h -- helpers for writing transform rules (primitives.h) with the
 * public ops: a bag of temporaries released together, scalars of a given
 * dtype, and the shape plumbing the reduction and view rules share. */
#ifndef EM_OPS_RULES_H
#define EM_OPS_RULES_H

#include "ops.h"

/* Temporaries of one rule: tk() registers an intermediate (and returns it, so
 * calls nest: em_multiply(c, tk(&t, em_cos(x)))); rule_tmp_free releases them
 * all. NULLs pass through, keeping the first error, so a rule checks only its
 * final result. A rule needs far fewer than RULE_TMP_MAX temporaries. */
#define RULE_TMP_MAX 64
typedef struct rule_tmp {
    em_array *a[RULE_TMP_MAX];
    int n;
} rule_tmp;

static inline em_array *tk(rule_tmp *t, em_array *a) {
    if (a && t->n < RULE_TMP_MAX) t->a[t->n++] = a;
    return a;
}
static inline void rule_tmp_free(rule_tmp *t) {
    while (t->n > 0) em_array_release(t->a[--t->n]);
}

/* A 0-d array holding v in like's dtype (a temporary of t). */
static inline em_array *sc(rule_tmp *t, double v, const em_array *like) {
    return tk(t, ops_scalar(v, like ? like->dtype : EM_FLOAT32));
}

/* The status of a rule that made `r` (NULL: the error already set). */
static inline em_status rule_status(const em_array *r) { return r ? EM_OK : em_error_code(); }

/* `g`, shaped like the reduction of `in` over the sorted axes[0..naxes)
 * (keepdims or not), reshaped to keep those axes as 1 and broadcast back to
 * in's shape. New reference. */
em_array *rules_expand_reduced(const em_array *g, const em_array *in, const int32_t *axes, int naxes);
/* Sums g (of shape `shape` broadcast from `like`'s shape) back to like's shape:
 * the vjp of a broadcast. New reference. */
em_array *rules_unbroadcast(const em_array *g, const em_array *like);
/* g[start:start+count] along axis (a SLICE view). New reference. */
em_array *rules_slice_axis(const em_array *g, int axis, int64_t start, int64_t count);
/* The tangent x stands for when NULL: zeros_like(like). New reference. */
em_array *rules_or_zeros(const em_array *x, const em_array *like);

#endif
