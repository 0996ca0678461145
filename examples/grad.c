/* grad.c -- function transformations from C: a function of arrays is a
 * closure (function pointer, context, destructor); grad, value_and_grad,
 * jvp, checkpoint and compile turn closures into closures, which compose.
 * The MLX Python each step mirrors is in the comments.
 *
 * A closure's function appends its results to an em_array_list. It runs
 * outside its caller's scopes, so it may open its own: here each opens a
 * scope and keeps only its result. */
#include <math.h>
#include <stdio.h>

#include <ember.h>

static void show(const char *label, em_array *a) {
    char *s = em_array_to_string(a);
    printf("%s = %s\n", label, s ? s : em_error_message());
    em_free(s);
}

/* def sin(x): return mx.sin(x) */
static em_status sin_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_scope_begin();
    em_status s = em_array_list_push(out, em_sin(in[0]));
    em_scope_end();
    return s;
}

/* def loss(w, x, y): return mx.mean(mx.square(x @ w - y)) */
static em_status loss_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_scope_begin();
    em_array *r = em_subtract(em_matmul(in[1], in[0]), in[2]);
    em_status s = em_array_list_push(out, em_mean(em_square(r), NULL, -1, false));
    em_scope_end();
    return s;
}

int main(void) {
    em_array_list *out = em_array_list_new();
    em_array *x = em_array_from_double(0.0, EM_FLOAT32);

    /* mx.grad(mx.sin)(x), mx.grad(mx.grad(mx.sin))(x) */
    em_closure *f = em_closure_new(sin_fn, NULL, NULL);
    em_closure *df = em_grad(f, NULL, 0), *ddf = em_grad(df, NULL, 0);
    if (em_closure_call(df, &x, 1, out) == EM_OK) show("grad(sin)(0)", em_array_list_get(out, 0));
    if (em_closure_call(ddf, &x, 1, out) == EM_OK) show("grad(grad(sin))(0)", em_array_list_get(out, 0));

    /* mx.jvp(grad(sin), [x], [1.0]): a Hessian-vector product */
    em_array *one = em_array_from_double(1.0, EM_FLOAT32);
    em_array_list *jv = em_array_list_new();
    if (em_jvp(df, &x, 1, &one, 1, out, jv) == EM_OK) show("jvp(grad(sin))", em_array_list_get(jv, 0));

    /* linear regression: value_and_grad(loss)(w, X, y), compiled, 2000 steps */
    em_scope_begin();
    em_array *X = em_scope_keep(em_reshape(em_arange(0, 8, 1, EM_FLOAT32), (int64_t[]){4, 2}, 2));
    em_array *y = em_scope_keep(
        em_matmul(X, em_array_from_data((float[]){0.5f, -1.0f}, (int64_t[]){2}, 1, EM_FLOAT32)));
    em_scope_end();
    em_array *w = em_zeros((int64_t[]){2}, 1, EM_FLOAT32);
    em_closure *loss = em_closure_new(loss_fn, NULL, NULL);
    em_closure *vg = em_value_and_grad(loss, (int[]){0}, 1), *step = em_compile(vg, false);
    em_array *lr = em_array_from_double(0.02, EM_FLOAT32);
    for (int i = 0; i < 2000; i++) {
        em_array *args[3] = {w, X, y};
        if (em_closure_call(step, args, 3, out) != EM_OK) break;
        em_array *upd = em_multiply(lr, em_array_list_get(out, 1));
        em_array *nw = em_subtract(w, upd);
        em_array_release(upd);
        em_array_release(w);
        w = nw;
        em_eval1(w);
    }
    show("fitted w", w);
    show("final loss", em_array_list_get(out, 0)); /* w -> (0.5, -1) */
    if (em_error_code() != EM_OK) fprintf(stderr, "grad: %s\n", em_error_message());

    em_closure *all[] = {f, df, ddf, loss, vg, step};
    for (int i = 0; i < 6; i++) em_closure_release(all[i]);
    em_array *arrs[] = {x, one, X, y, w, lr};
    for (int i = 0; i < 6; i++) em_array_release(arrs[i]);
    em_array_list_free(out);
    em_array_list_free(jv);
    return em_live_arrays() == 0 ? 0 : 1;
}
