/* mlp.c -- the Fashion-MNIST MLP of examples/fashion_mnist.py in plain C over
 * ember.h: its own IDX reader (gzip through zlib), a loss closure turned into
 * value_and_grad (and compiled), and Adam written with ops.
 *
 *   mlp [--data DIR] [--epochs N] [--batch B] [--lr LR] [--hidden H]
 *       [--min-accuracy A] [--synthetic]
 *
 * DIR holds train-images-idx3-ubyte.gz and its three siblings (Debian's
 * dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist).
 * --synthetic writes a small generated data set in the same format to a
 * temporary directory and trains on that (the ctest: no download needed).
 * Exit status: 0, or 1 on an error or when the test accuracy is below A. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, clock_gettime */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ember.h>
#include <zlib.h>

#define NPARAMS 6
#define NCLASSES 10
#define DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* ---------------------------------------------------------------- data */

typedef struct {
    int64_t n, rows, cols;
    uint8_t *images; /* n * rows * cols */
    uint8_t *labels; /* n */
} dataset;

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads one IDX file of unsigned bytes with `ndim` dimensions (1 for labels,
 * 3 for images), gzip-compressed or not. Returns malloc'd data and fills
 * dims, or NULL after printing why. */
static uint8_t *idx_read(const char *path, int ndim, int64_t dims[3]) {
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mlp: cannot open %s: %s\n  (install Debian's dataset-fashion-mnist, or pass --data DIR)\n",
                path, strerror(errno));
        return NULL;
    }
    unsigned char head[16];
    size_t hlen = 4 + 4 * (size_t)ndim;
    uint8_t *data = NULL;
    if (gzread(f, head, (unsigned)hlen) != (int)hlen) {
        fprintf(stderr, "mlp: %s: truncated header\n", path);
        goto done;
    }
    uint32_t magic = be32(head);
    if (magic != (0x0800u | (uint32_t)ndim)) {
        fprintf(stderr, "mlp: %s: not an IDX file of %d-d unsigned bytes (magic 0x%08x)\n", path, ndim,
                magic);
        goto done;
    }
    int64_t total = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = be32(head + 4 + 4 * i);
        if (dims[i] <= 0 || dims[i] > (1 << 24) || total > ((int64_t)1 << 32) / dims[i]) {
            fprintf(stderr, "mlp: %s: implausible dimension %lld\n", path, (long long)dims[i]);
            goto done;
        }
        total *= dims[i];
    }
    data = malloc((size_t)total);
    if (!data) {
        fprintf(stderr, "mlp: %s: out of memory\n", path);
        goto done;
    }
    for (int64_t got = 0; got < total;) {
        int64_t want = total - got > (1 << 30) ? (1 << 30) : total - got;
        int r = gzread(f, data + got, (unsigned)want);
        if (r <= 0) {
            fprintf(stderr, "mlp: %s: truncated data (%lld of %lld bytes)\n", path, (long long)got,
                    (long long)total);
            free(data);
            data = NULL;
            goto done;
        }
        got += r;
    }
done:
    gzclose(f);
    return data;
}

static void dataset_free(dataset *d) {
    free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* Loads <dir>/<prefix>-images-idx3-ubyte.gz and its labels; checks that they
 * agree and that every label is a class. */
static int dataset_load(dataset *d, const char *dir, const char *prefix) {
    char path[4096];
    int64_t idims[3], ldims[3];
    memset(d, 0, sizeof *d);
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    d->images = idx_read(path, 3, idims);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    d->labels = d->images ? idx_read(path, 1, ldims) : NULL;
    if (!d->labels) {
        dataset_free(d);
        return -1;
    }
    if (idims[0] != ldims[0] || idims[1] * idims[2] != 784) {
        fprintf(stderr, "mlp: %s: %lld images of %lldx%lld but %lld labels (want 28x28 images, one label each)\n",
                prefix, (long long)idims[0], (long long)idims[1], (long long)idims[2], (long long)ldims[0]);
        dataset_free(d);
        return -1;
    }
    for (int64_t i = 0; i < ldims[0]; i++)
        if (d->labels[i] >= NCLASSES) {
            fprintf(stderr, "mlp: %s: label %d at %lld is not a class\n", prefix, d->labels[i], (long long)i);
            dataset_free(d);
            return -1;
        }
    d->n = idims[0], d->rows = idims[1], d->cols = idims[2];
    return 0;
}

/* ---------------------------------------------------------------- random */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_uniform(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }

static void shuffle(int64_t *idx, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(rng_next() % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
}

/* ---------------------------------------------------------------- synthetic data */

static int write_idx(const char *path, int ndim, const uint32_t *dims, const uint8_t *data) {
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    unsigned char head[16] = {0, 0, 8, (unsigned char)ndim};
    int64_t total = 1;
    for (int i = 0; i < ndim; i++) {
        for (int b = 0; b < 4; b++) head[4 + 4 * i + b] = (unsigned char)(dims[i] >> (24 - 8 * b));
        total *= dims[i];
    }
    int ok = gzwrite(f, head, 4 + 4 * (unsigned)ndim) > 0 && gzwrite(f, data, (unsigned)total) > 0;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

/* Ten classes, each a random prototype image; a sample is its prototype
 * with noise and a random shift of brightness. Learnable, not trivially. */
static int make_synthetic(const char *dir, int64_t ntrain, int64_t ntest) {
    static uint8_t proto[NCLASSES][784];
    for (int c = 0; c < NCLASSES; c++)
        for (int i = 0; i < 784; i++) proto[c][i] = (uint8_t)(rng_uniform() < 0.3 ? 200 : 20);
    const char *names[2] = {"train", "t10k"};
    int64_t counts[2] = {ntrain, ntest};
    for (int s = 0; s < 2; s++) {
        int64_t n = counts[s];
        uint8_t *img = malloc((size_t)n * 784), *lab = malloc((size_t)n);
        if (!img || !lab) {
            free(img), free(lab);
            return -1;
        }
        for (int64_t k = 0; k < n; k++) {
            int c = (int)(rng_next() % NCLASSES);
            lab[k] = (uint8_t)c;
            for (int i = 0; i < 784; i++) {
                double v = proto[c][i] + 600.0 * (rng_uniform() - 0.5);
                img[k * 784 + i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
        char path[4096];
        uint32_t idims[3] = {(uint32_t)n, 28, 28}, ldims[1] = {(uint32_t)n};
        snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, names[s]);
        int rc = write_idx(path, 3, idims, img);
        snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, names[s]);
        rc |= write_idx(path, 1, ldims, lab);
        free(img), free(lab);
        if (rc) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the model */

/* logits of x (batch, 784) through params W1 b1 W2 b2 W3 b3 (ReLU between). */
static em_array *forward(em_array *const *p, const em_array *x) {
    em_array *zero = em_array_from_double(0.0, EM_FLOAT32);
    em_array *h = em_maximum(em_add(em_matmul(x, p[0]), p[1]), zero);
    h = em_maximum(em_add(em_matmul(h, p[2]), p[3]), zero);
    return em_add(em_matmul(h, p[4]), p[5]);
}

/* inputs: the six parameters, x (batch, 784) float32, y (batch, 1) int32.
 * output: the mean cross-entropy. */
static em_status loss_fn(void *ctx, em_array *const *in, size_t n, em_array_list *out) {
    (void)ctx, (void)n;
    em_scope_begin();
    em_array *logits = forward(in, in[NPARAMS]);
    int last = -1;
    em_array *lse = em_logsumexp(logits, &last, 1, true);
    em_array *picked = em_take_along_axis(logits, in[NPARAMS + 1], -1, true);
    em_status s = em_array_list_push(out, em_mean(em_subtract(lse, picked), NULL, -1, false));
    em_scope_end();
    return s;
}

/* MLX's nn.Linear initialisation: weight and bias uniform in +-1/sqrt(fan_in). */
static em_array *uniform_param(int64_t rows, int64_t cols, int64_t fan_in) {
    int64_t n = rows * cols;
    float *buf = malloc((size_t)n * sizeof *buf);
    if (!buf) return NULL;
    double scale = 1.0 / sqrt((double)fan_in);
    for (int64_t i = 0; i < n; i++) buf[i] = (float)(scale * (2.0 * rng_uniform() - 1.0));
    int64_t shape[2] = {rows, cols};
    em_array *a = rows == 1 ? em_array_from_data(buf, &cols, 1, EM_FLOAT32)
                            : em_array_from_data(buf, shape, 2, EM_FLOAT32);
    free(buf);
    return a;
}

static void release_all(em_array **a, int n) {
    for (int i = 0; i < n; i++) em_array_release(a[i]), a[i] = NULL;
}

/* Batch rows `idx[0..b)` of d as x (b, 784) float32 in [0, 1] and y (b, 1) int32. */
static void make_batch(const dataset *d, const int64_t *idx, int64_t b, float *xbuf, int32_t *ybuf,
                       em_array **x, em_array **y) {
    for (int64_t k = 0; k < b; k++) {
        const uint8_t *src = d->images + idx[k] * 784;
        for (int i = 0; i < 784; i++) xbuf[k * 784 + i] = src[i] * (1.0f / 255.0f);
        ybuf[k] = d->labels[idx[k]];
    }
    *x = em_array_from_data(xbuf, (int64_t[]){b, 784}, 2, EM_FLOAT32);
    *y = em_array_from_data(ybuf, (int64_t[]){b, 1}, 2, EM_INT32);
}

static double accuracy(em_array *const *p, const dataset *d, float *xbuf, int32_t *ybuf, int64_t chunk) {
    int64_t correct = 0, *idx = malloc((size_t)chunk * sizeof *idx);
    if (!idx) return -1;
    for (int64_t s = 0; s < d->n; s += chunk) {
        int64_t b = d->n - s < chunk ? d->n - s : chunk;
        for (int64_t k = 0; k < b; k++) idx[k] = s + k;
        em_scope_begin();
        em_array *x, *y;
        make_batch(d, idx, b, xbuf, ybuf, &x, &y);
        em_array *pred = em_argmax(forward(p, x), -1, false, true);
        em_array *hits = em_sum(em_astype(em_equal(pred, em_astype(y, EM_UINT32)), EM_INT32), NULL, -1, false);
        int64_t h = 0;
        if (em_array_item_int(hits, &h) == EM_OK) correct += h;
        em_scope_end();
    }
    free(idx);
    return em_error_code() == EM_OK ? (double)correct / (double)d->n : -1;
}

/* ---------------------------------------------------------------- main */

typedef struct {
    const char *dir;
    int epochs, hidden;
    int64_t batch;
    double lr, min_accuracy;
    int synthetic;
} options;

static int parse(int argc, char **argv, options *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--synthetic")) {
            o->synthetic = 1;
            continue;
        }
        if (!v) goto usage;
        i++;
        if (!strcmp(a, "--data")) o->dir = v;
        else if (!strcmp(a, "--epochs")) o->epochs = atoi(v);
        else if (!strcmp(a, "--batch")) o->batch = atoll(v);
        else if (!strcmp(a, "--lr")) o->lr = atof(v);
        else if (!strcmp(a, "--hidden")) o->hidden = atoi(v);
        else if (!strcmp(a, "--min-accuracy")) o->min_accuracy = atof(v);
        else goto usage;
    }
    if (o->epochs >= 1 && o->batch >= 1 && o->batch <= 65536 && o->hidden >= 1 && o->hidden <= 65536 &&
        o->lr > 0)
        return 0;
usage:
    fprintf(stderr, "usage: mlp [--data DIR] [--epochs N>=1] [--batch 1..65536] [--lr LR>0] [--hidden 1..65536]\n"
                    "           [--min-accuracy A] [--synthetic]\n");
    return -1;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    options o = {DEFAULT_DIR, 3, 512, 128, 1e-3, 0.0, 0};
    if (parse(argc, argv, &o)) return 1;
    char tmpdir[] = "/tmp/ember-mlp-XXXXXX";
    if (o.synthetic) {
        if (!mkdtemp(tmpdir) || make_synthetic(tmpdir, 2000, 500)) {
            fprintf(stderr, "mlp: cannot write the synthetic data set\n");
            return 1;
        }
        o.dir = tmpdir;
    }
    dataset train, test;
    int loaded = dataset_load(&train, o.dir, "train");
    if (loaded == 0 && dataset_load(&test, o.dir, "t10k")) {
        dataset_free(&train);
        loaded = -1;
    }
    if (o.synthetic) {
        const char *files[] = {"train-images", "train-labels", "t10k-images", "t10k-labels"};
        char path[4096];
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s-idx%d-ubyte.gz", tmpdir, files[i], i % 2 ? 1 : 3);
            unlink(path);
        }
        rmdir(tmpdir);
    }
    if (loaded) return 1;
    printf("mlp: %lld training and %lld test images from %s; MLP 784-%d-%d-10, Adam lr %g, batch %lld, cpu\n",
           (long long)train.n, (long long)test.n, o.synthetic ? "a synthetic set" : o.dir, o.hidden, o.hidden,
           o.lr, (long long)o.batch);

    int64_t H = o.hidden, B = o.batch;
    em_array *p[NPARAMS] = {uniform_param(784, H, 784), uniform_param(1, H, 784), uniform_param(H, H, H),
                            uniform_param(1, H, H),     uniform_param(H, 10, H),  uniform_param(1, 10, H)};
    em_array *m[NPARAMS], *v[NPARAMS];
    for (int i = 0; i < NPARAMS; i++) m[i] = em_zeros_like(p[i]), v[i] = em_zeros_like(p[i]);
    em_array *lr = em_array_from_double(o.lr, EM_FLOAT32);
    em_array *b1 = em_array_from_double(0.9, EM_FLOAT32), *c1 = em_array_from_double(0.1, EM_FLOAT32);
    em_array *b2 = em_array_from_double(0.999, EM_FLOAT32), *c2 = em_array_from_double(0.001, EM_FLOAT32);
    em_array *eps = em_array_from_double(1e-8, EM_FLOAT32);

    em_closure *loss = em_closure_new(loss_fn, NULL, NULL);
    em_closure *vg = em_value_and_grad(loss, (int[]){0, 1, 2, 3, 4, 5}, NPARAMS);
    em_closure *step = em_compile(vg, false);
    em_array_list *out = em_array_list_new();

    float *xbuf = malloc((size_t)(B > 1000 ? B : 1000) * 784 * sizeof *xbuf);
    int32_t *ybuf = malloc((size_t)(B > 1000 ? B : 1000) * sizeof *ybuf);
    int64_t *order = malloc((size_t)train.n * sizeof *order);
    int rc = 1;
    if (!xbuf || !ybuf || !order) goto done;
    for (int64_t i = 0; i < train.n; i++) order[i] = i;

    double acc = 0;
    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        shuffle(order, train.n);
        double t0 = now(), loss_sum = 0;
        int64_t nsteps = 0;
        for (int64_t s = 0; s + B <= train.n; s += B, nsteps++) {
            em_scope_begin();
            em_array *x, *y;
            make_batch(&train, order + s, B, xbuf, ybuf, &x, &y);
            em_array *args[NPARAMS + 2] = {p[0], p[1], p[2], p[3], p[4], p[5], x, y};
            em_status st = em_closure_call(step, args, NPARAMS + 2, out);
            em_array *np_[NPARAMS], *nm[NPARAMS], *nv[NPARAMS], *all[3 * NPARAMS + 1];
            for (int i = 0; st == EM_OK && i < NPARAMS; i++) {
                /* Adam (MLX's defaults: no bias correction). */
                em_array *g = em_array_list_get(out, 1 + (size_t)i);
                nm[i] = em_add(em_multiply(b1, m[i]), em_multiply(c1, g));
                nv[i] = em_add(em_multiply(b2, v[i]), em_multiply(c2, em_square(g)));
                np_[i] = em_subtract(p[i], em_divide(em_multiply(lr, nm[i]), em_add(em_sqrt(nv[i]), eps)));
                all[3 * i] = np_[i], all[3 * i + 1] = nm[i], all[3 * i + 2] = nv[i];
            }
            all[3 * NPARAMS] = st == EM_OK ? em_array_list_get(out, 0) : NULL;
            double l = NAN;
            if (st == EM_OK && em_eval(all, 3 * NPARAMS + 1) == EM_OK &&
                em_array_item_double(all[3 * NPARAMS], &l) == EM_OK) {
                for (int i = 0; i < NPARAMS; i++) {
                    em_array_release(p[i]), em_array_release(m[i]), em_array_release(v[i]);
                    p[i] = em_scope_keep(np_[i]), m[i] = em_scope_keep(nm[i]), v[i] = em_scope_keep(nv[i]);
                }
            }
            em_scope_end();
            if (em_error_code() != EM_OK) goto done;
            loss_sum += l;
        }
        double dt = now() - t0;
        acc = accuracy(p, &test, xbuf, ybuf, 1000);
        if (acc < 0) goto done;
        printf("epoch %d: loss %.4f, test accuracy %.2f%%, %.1f s (%.0f images/s)\n", epoch,
               loss_sum / (double)(nsteps ? nsteps : 1), 100 * acc, dt, (double)(nsteps * B) / dt);
        fflush(stdout);
    }
    if (acc < o.min_accuracy) {
        fprintf(stderr, "mlp: test accuracy %.2f%% is below the %.2f%% asked for\n", 100 * acc,
                100 * o.min_accuracy);
        goto done;
    }
    rc = 0;
done:
    if (em_error_code() != EM_OK) fprintf(stderr, "mlp: %s\n", em_error_message());
    free(xbuf), free(ybuf), free(order);
    em_array_list_free(out);
    em_closure_release(step), em_closure_release(vg), em_closure_release(loss);
    release_all(p, NPARAMS), release_all(m, NPARAMS), release_all(v, NPARAMS);
    em_array *consts[] = {lr, b1, c1, b2, c2, eps};
    release_all(consts, 6);
    dataset_free(&train), dataset_free(&test);
    return rc;
}
