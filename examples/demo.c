/* demo.c -- a first tour of ember's C API: build a lazy graph, evaluate it,
 * print arrays as NumPy/MLX do, then fit a linear regression y = X w + b by
 * gradient descent written with plain ops. The Python (MLX) each step mirrors
 * is in the comments.
 *
 * Three rules make C code read like the Python:
 *   - every op returns a new reference; arguments are only borrowed;
 *   - inside em_scope_begin() ... em_scope_end(), what ops return is released
 *     at the end, except what em_scope_keep() hands back to the caller;
 *   - a failing op returns NULL and records an error; NULLs flow through later
 *     ops, so a whole chain is checked once, at its end. */
#include <math.h>
#include <stdio.h>

#include <ember.h>

/* print(label, a) */
static void show(const char *label, em_array *a) {
    char *s = em_array_to_string(a); /* evaluates a if needed */
    printf("%s = %s\n", label, s ? s : "(error)");
    em_free(s);
}

/* Reports a pending error, if any; returns whether there was one. */
static int failed(const char *where) {
    if (em_error_code() == EM_OK) return 0;
    fprintf(stderr, "demo: %s: %s\n", where, em_error_message());
    return 1;
}

/* ---------------------------------------------------------------- part 1 */

static int tour(void) {
    em_scope_begin();

    /* x = mx.arange(6, dtype=mx.float32).reshape(2, 3) */
    em_array *x = em_reshape(em_arange(0, 6, 1, EM_FLOAT32), (int64_t[]){2, 3}, 2);
    /* y = x * x + 1 : recorded, not computed */
    em_array *one = em_array_from_double(1, EM_FLOAT32);
    em_array *y = em_add(em_multiply(x, x), one);
    printf("y built; evaluated yet? %s\n", em_array_is_evaluated(y) ? "yes" : "no");
    em_eval1(y); /* mx.eval(y) */
    printf("after em_eval1(y)?      %s\n", em_array_is_evaluated(y) ? "yes" : "no");
    show("y", y);

    /* A few dtypes and shapes, printed exactly as MLX prints them. */
    show("x.T @ x", em_matmul(em_transpose(x, NULL, 0), x));
    show("mean of y over axis 0", em_mean(y, (int[]){0}, 1, false));
    show("y > 10", em_greater(y, em_array_from_double(10, EM_FLOAT32)));
    show("int32 arange", em_arange(0, 5, 1, EM_INT32));
    show("as float16", em_astype(em_divide(x, em_array_from_double(3, EM_FLOAT32)), EM_FLOAT16));
    show("complex64", em_array_from_complex(1.5f, -2));
    show("3-d", em_reshape(em_arange(0, 8, 1, EM_UINT8), (int64_t[]){2, 2, 2}, 3));
    show("large", em_arange(0, 10000, 1, EM_INT32)); /* summarised */

    /* A mistake is an error with a message, never a crash. */
    em_array *bad = em_matmul(x, x); /* (2,3) @ (2,3) */
    printf("x @ x -> %s (\"%s\")\n", bad ? "an array?" : "NULL", em_error_message());
    em_error_clear();

    int err = failed("tour");
    em_scope_end(); /* releases every array made above */
    return err;
}

/* ---------------------------------------------------------------- part 2 */

enum { N_SAMPLES = 512, N_FEATURES = 3, STEPS = 200 };

/* A small deterministic generator, uniform in [-1, 1). */
static float uniform(unsigned *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / 8388608.0f - 1.0f;
}

/* One step of gradient descent on loss = mean((X @ w + b - y)^2). Replaces
 * *w and *b (which the caller owns) by their updated values and returns the
 * loss before the step (NaN on error). */
static double step(em_array *X, em_array *y, em_array **w, em_array **b, float lr) {
    em_scope_begin();
    /* err = X @ w + b - y */
    em_array *err = em_subtract(em_add(em_matmul(X, *w), *b), y);
    /* loss = mx.mean(mx.square(err)) */
    em_array *loss = em_mean(em_square(err), NULL, -1, false);
    /* grad_w = (2 / n) * (X.T @ err);  grad_b = 2 * mx.mean(err) */
    em_array *two_n = em_array_from_double(2.0 / N_SAMPLES, EM_FLOAT32);
    em_array *grad_w = em_multiply(two_n, em_matmul(em_transpose(X, NULL, 0), err));
    em_array *grad_b = em_multiply(em_array_from_double(2, EM_FLOAT32), em_mean(err, NULL, -1, false));
    /* w = w - lr * grad_w;  b = b - lr * grad_b */
    em_array *rate = em_array_from_double(lr, EM_FLOAT32);
    em_array *w_new = em_subtract(*w, em_multiply(rate, grad_w));
    em_array *b_new = em_subtract(*b, em_multiply(rate, grad_b));

    double value = NAN;
    em_array *outs[3] = {w_new, b_new, loss};
    if (w_new && b_new && loss && em_eval(outs, 3) == EM_OK && /* mx.eval(w, b, loss) */
        em_array_item_double(loss, &value) == EM_OK) {
        em_array_release(*w);
        em_array_release(*b);
        *w = em_scope_keep(w_new); /* survives the scope: now the caller's */
        *b = em_scope_keep(b_new);
    }
    em_scope_end();
    return value;
}

static int regression(void) {
    const float w_true[N_FEATURES] = {2.0f, -3.5f, 0.5f}, b_true = 1.25f;
    static float xs[N_SAMPLES * N_FEATURES], ys[N_SAMPLES];
    unsigned seed = 42;
    for (int i = 0; i < N_SAMPLES; i++) {
        float t = b_true + 0.05f * uniform(&seed); /* a little noise */
        for (int j = 0; j < N_FEATURES; j++) {
            xs[i * N_FEATURES + j] = uniform(&seed);
            t += xs[i * N_FEATURES + j] * w_true[j];
        }
        ys[i] = t;
    }
    /* Data and parameters live across steps: owned here, released at the end. */
    em_array *X = em_array_from_data(xs, (int64_t[]){N_SAMPLES, N_FEATURES}, 2, EM_FLOAT32);
    em_array *y = em_array_from_data(ys, (int64_t[]){N_SAMPLES}, 1, EM_FLOAT32);
    em_array *w = em_zeros((int64_t[]){N_FEATURES}, 1, EM_FLOAT32);
    em_array *b = em_array_from_double(0, EM_FLOAT32);

    printf("\nfitting y = X @ w + b on %d samples, %d features\n", N_SAMPLES, N_FEATURES);
    for (int i = 0; i <= STEPS; i++) {
        double loss = step(X, y, &w, &b, 0.1f);
        if (isnan(loss)) break; /* an error, reported below */
        if (i % 20 == 0) printf("step %3d  loss %.6f\n", i, loss);
    }
    int err = failed("regression");
    if (!err) {
        em_array *wt = em_array_from_data(w_true, (int64_t[]){N_FEATURES}, 1, EM_FLOAT32);
        em_array *bt = em_array_from_double(b_true, EM_FLOAT32);
        em_set_print_precision(4); /* mx.set_printoptions(precision=4) */
        show("fitted w", w);
        show("true w  ", wt);
        show("fitted b", b);
        show("true b  ", bt);
        em_set_print_precision(-1);
        em_array_release(wt);
        em_array_release(bt);
        err = failed("results");
    }
    em_array_release(X);
    em_array_release(y);
    em_array_release(w);
    em_array_release(b);
    return err;
}

int main(void) {
    int err = tour();
    if (!err) err = regression();
    return err ? 1 : 0;
}
