"""fashion_mnist.py -- the main demo: trains an MLP (784-512-512-10) and a small
CNN on Fashion-MNIST with ember (MLX's API: `import ember.core as mx`), Adam
from ember.optimizers, shows a progress bar with loss and throughput, reports
test accuracy and writes a plot of loss and accuracy per epoch.

    python examples/fashion_mnist.py [--model mlp|cnn|both] [--epochs-mlp N] [--epochs-cnn N]
                                     [--batch B] [--lr LR] [--no-compile] [--data DIR] [--plot FILE]

The data are the gzip IDX files of Debian's dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist); `make demo` installs them.
"""
import argparse
import math
import os
import sys
import time

import numpy as np

import ember.core as mx
import ember.optimizers as optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idx import FASHION_MNIST_DIR, load_fashion_mnist  # noqa: E402

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


# ---------------------------------------------------------------- models
# Parameters are plain trees (dicts of arrays), initialised as MLX's nn layers
# are: uniform in +-1/sqrt(fan_in).

def uniform(rng, shape, fan_in):
    bound = 1.0 / math.sqrt(fan_in)
    return mx.array(rng.uniform(-bound, bound, size=shape).astype(np.float32))


def linear(rng, n_in, n_out):
    return {"weight": uniform(rng, (n_in, n_out), n_in), "bias": uniform(rng, (n_out,), n_in)}


def conv(rng, c_in, c_out, k):
    # MLX's layout: weight (out, kh, kw, in), input NHWC.
    return {"weight": uniform(rng, (c_out, k, k, c_in), c_in * k * k), "bias": uniform(rng, (c_out,), c_in * k * k)}


def dense(p, x):
    return x @ p["weight"] + p["bias"]


def relu(x):
    return mx.maximum(x, 0.0)


def mlp_init(rng):
    return {"layers": [linear(rng, 784, 512), linear(rng, 512, 512), linear(rng, 512, 10)]}


def mlp_apply(params, x):
    x = x.reshape(x.shape[0], -1)
    *hidden, last = params["layers"]
    for layer in hidden:
        x = relu(dense(layer, x))
    return dense(last, x)


def max_pool2(x):
    """2x2 max pooling, stride 2, of NHWC with even H and W."""
    n, h, w, c = x.shape
    return mx.max(x.reshape(n, h // 2, 2, w // 2, 2, c), axis=(2, 4))


def cnn_init(rng):
    return {"conv1": conv(rng, 1, 16, 3), "conv2": conv(rng, 16, 32, 3),
            "fc1": linear(rng, 7 * 7 * 32, 128), "fc2": linear(rng, 128, 10)}


def cnn_apply(params, x):
    x = x.reshape(x.shape[0], 28, 28, 1)
    for name in ("conv1", "conv2"):
        x = mx.conv2d(x, params[name]["weight"], padding=1) + params[name]["bias"]
        x = max_pool2(relu(x))
    x = relu(dense(params["fc1"], x.reshape(x.shape[0], -1)))
    return dense(params["fc2"], x)


MODELS = {"mlp": ("MLP 784-512-512-10", mlp_init, mlp_apply),
          "cnn": ("CNN conv16-conv32-fc128-10", cnn_init, cnn_apply)}


def cross_entropy(logits, labels):
    picked = mx.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    return mx.mean(mx.logsumexp(logits, axis=-1) - picked)


# ---------------------------------------------------------------- progress

class Progress:
    """A one-line progress bar on a terminal; a few plain lines otherwise."""

    def __init__(self, total, label, width=28):
        self.total, self.label, self.width = total, label, width
        self.tty = sys.stdout.isatty()
        self.start = time.perf_counter()
        self.next_line = 0.25

    def update(self, done, loss, images):
        rate = images / max(time.perf_counter() - self.start, 1e-9)
        frac = done / self.total
        text = f"{self.label} {done:4d}/{self.total} loss {loss:.4f} {rate:7.0f} img/s"
        if self.tty:
            fill = int(self.width * frac)
            sys.stdout.write(f"\r  [{'#' * fill}{'.' * (self.width - fill)}] {text}")
            sys.stdout.flush()
        elif frac >= self.next_line or done == self.total:
            print(f"  {text}", flush=True)
            self.next_line += 0.25

    def close(self):
        if self.tty:
            sys.stdout.write("\n")
        return time.perf_counter() - self.start


# ---------------------------------------------------------------- training

def accuracy(apply, params, images, labels, chunk=1000):
    correct = 0
    for s in range(0, len(images), chunk):
        x = mx.array(images[s:s + chunk])
        pred = mx.argmax(apply(params, x), axis=-1)
        correct += mx.sum(pred == mx.array(labels[s:s + chunk])).item()
    return correct / len(images)


def train(name, data, epochs, batch, lr, seed, compile_step=True):
    title, init, apply = MODELS[name]
    train_x, train_y, test_x, test_y = data
    rng = np.random.default_rng(seed)
    params = init(rng)
    opt = optim.Adam(learning_rate=lr)

    def loss_fn(p, x, y):
        return cross_entropy(apply(p, x), y)

    # The forward and backward passes, traced once and replayed (mx.compile);
    # plain value_and_grad when --no-compile.
    step = mx.value_and_grad(loss_fn)
    if compile_step:
        step = mx.compile(step)
    n_params = sum(v.size for v in _leaves(params))
    print(f"\n{title}: {n_params:,} parameters, Adam lr {lr}, batch {batch}, {epochs} epoch(s)")
    history = {"loss": [], "accuracy": [], "seconds": []}
    steps = len(train_x) // batch
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(train_x))
        bar = Progress(steps, f"epoch {epoch}/{epochs}")
        total = 0.0
        for i in range(steps):
            idx = order[i * batch:(i + 1) * batch]
            loss, grads = step(params, mx.array(train_x[idx]), mx.array(train_y[idx]))
            params = opt.apply_gradients(grads, params)
            mx.eval(params, opt.state, loss)
            total += loss.item()
            if (i + 1) % 10 == 0 or i + 1 == steps:
                bar.update(i + 1, total / (i + 1), (i + 1) * batch)
        seconds = bar.close()
        acc = accuracy(apply, params, test_x, test_y)
        history["loss"].append(total / steps)
        history["accuracy"].append(acc)
        history["seconds"].append(seconds)
        print(f"  epoch {epoch}: train loss {total / steps:.4f}, test accuracy {100 * acc:.2f}%, "
              f"{seconds:.1f} s ({steps * batch / seconds:.0f} images/s)")
    return history


def _leaves(tree):
    if isinstance(tree, dict):
        for v in tree.values():
            yield from _leaves(v)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            yield from _leaves(v)
    else:
        yield tree


def plot(histories, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(no plot: matplotlib is not installed; `make demo` installs it)")
        return
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = range(1, len(h["loss"]) + 1)
        ax_loss.plot(epochs, h["loss"], marker="o", label=MODELS[name][0])
        ax_acc.plot(epochs, [100 * a for a in h["accuracy"]], marker="o", label=MODELS[name][0])
    ax_loss.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    ax_acc.set(title="test accuracy", xlabel="epoch", ylabel="%")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle("Fashion-MNIST with ember")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


TARGETS = {"mlp": 0.85, "cnn": 0.88}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    ap.add_argument("--epochs-mlp", type=int, default=3)
    ap.add_argument("--epochs-cnn", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-compile", action="store_true", help="do not mx.compile the training step")
    ap.add_argument("--data", default=FASHION_MNIST_DIR)
    ap.add_argument("--plot", default="fashion_mnist.png")
    args = ap.parse_args(argv)
    if args.batch < 1 or args.epochs_mlp < 1 or args.epochs_cnn < 1:
        ap.error("--batch and the epochs must be at least 1")

    if mx.is_available(mx.gpu):
        mx.set_default_device(mx.gpu)
        where = "the GPU"
    else:
        where = f"the CPU ({os.cpu_count()} cores; no GPU available)"
    print(f"ember: running on {where}")

    t = time.perf_counter()
    train_x, train_y, test_x, test_y = load_fashion_mnist(args.data)
    scale = lambda a: (a.reshape(len(a), -1).astype(np.float32) / 255.0)
    data = (scale(train_x), train_y.astype(np.int32), scale(test_x), test_y.astype(np.int32))
    print(f"Fashion-MNIST: {len(train_x)} training and {len(test_x)} test images "
          f"from {args.data} ({time.perf_counter() - t:.1f} s)")

    names = ["mlp", "cnn"] if args.model == "both" else [args.model]
    histories = {}
    for name in names:
        if name == "cnn" and not hasattr(mx, "conv2d"):
            print("\nCNN: skipped (this build of ember.core has no conv2d yet)")
            continue
        epochs = args.epochs_mlp if name == "mlp" else args.epochs_cnn
        histories[name] = train(name, data, epochs, args.batch, args.lr, args.seed, not args.no_compile)

    print("\nsummary:")
    ok = True
    for name, h in histories.items():
        acc, target = h["accuracy"][-1], TARGETS[name]
        ok &= acc >= target
        print(f"  {MODELS[name][0]:28s} test accuracy {100 * acc:.2f}% (target {100 * target:.0f}%: "
              f"{'met' if acc >= target else 'MISSED'}), {sum(h['seconds']):.0f} s of training")
    if histories:
        plot(histories, args.plot)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
