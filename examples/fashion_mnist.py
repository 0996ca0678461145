"""fashion_mnist.py -- the main demo: trains an MLP (784-512-512-10) and a small
CNN on Fashion-MNIST, written as an MLX program (`nn.Module` models,
`nn.value_and_grad`, `optim.Adam`, a compiled training step), shows a progress
bar with loss and throughput, reports test accuracy and writes a plot of loss
and accuracy per epoch.

    python examples/fashion_mnist.py [--framework auto|ember|mlx] [--model mlp|cnn|both]
                                     [--epochs-mlp N] [--epochs-cnn N] [--batch B] [--lr LR]
                                     [--no-compile] [--data DIR] [--plot FILE]

It runs on ember (`import ember.core as mx`) and, unchanged, on Apple's MLX:
`--framework mlx`, or `auto` (the default) when ember is not installed.
The data are the gzip IDX files of Debian's dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist); `make demo` installs them.
"""
import argparse
import importlib
import os
import sys
import time
from functools import partial

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idx import FASHION_MNIST_DIR, load_fashion_mnist  # noqa: E402


def _framework(argv):
    """The package the models are built on, chosen before they are defined
    (they subclass its nn.Module): --framework on the command line, else the
    environment's FASHION_MNIST_FRAMEWORK, else ember when it imports, else mlx."""
    choice = os.environ.get("FASHION_MNIST_FRAMEWORK", "auto")
    for i, a in enumerate(argv):
        if a == "--framework" and i + 1 < len(argv):
            choice = argv[i + 1]
        elif a.startswith("--framework="):
            choice = a.split("=", 1)[1]
    if choice == "auto":
        try:
            importlib.import_module("ember.core")
            choice = "ember"
        except ImportError:
            choice = "mlx"
    if choice not in ("ember", "mlx"):
        raise SystemExit(f"--framework / FASHION_MNIST_FRAMEWORK: expected auto, ember or mlx, "
                         f"got {choice!r}")
    return choice


FRAMEWORK = _framework(sys.argv[1:] if __name__ == "__main__" else [])
mx = importlib.import_module(f"{FRAMEWORK}.core")
nn = importlib.import_module(f"{FRAMEWORK}.nn")
optim = importlib.import_module(f"{FRAMEWORK}.optimizers")
tree_flatten = importlib.import_module(f"{FRAMEWORK}.utils").tree_flatten


# ---------------------------------------------------------------- models

class MLP(nn.Module):
    """784-512-512-10 with ReLU."""
    title = "MLP 784-512-512-10"

    def __init__(self, sizes=(784, 512, 512, 10)):
        super().__init__()
        self.layers = [nn.Linear(i, o) for i, o in zip(sizes[:-1], sizes[1:])]

    def __call__(self, x):
        x = x.reshape(x.shape[0], -1)
        for layer in self.layers[:-1]:
            x = nn.relu(layer(x))
        return self.layers[-1](x)


class CNN(nn.Module):
    """Two 3x3 convolutions (16 and 32 channels), each followed by ReLU and
    2x2 max pooling, then 1568-128-10; NHWC as MLX's layers expect."""
    title = "CNN conv16-conv32-fc128-10"

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(7 * 7 * 32, 128)
        self.fc2 = nn.Linear(128, 10)

    def __call__(self, x):
        x = x.reshape(x.shape[0], 28, 28, 1)
        x = self.pool(nn.relu(self.conv1(x)))
        x = self.pool(nn.relu(self.conv2(x)))
        x = nn.relu(self.fc1(x.reshape(x.shape[0], -1)))
        return self.fc2(x)


MODELS = {"mlp": MLP, "cnn": CNN}


def loss_fn(model, x, y):
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


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

def accuracy(model, images, labels, chunk=1000):
    correct = 0
    for s in range(0, len(images), chunk):
        pred = mx.argmax(model(mx.array(images[s:s + chunk])), axis=-1)
        correct += mx.sum(pred == mx.array(labels[s:s + chunk])).item()
    return correct / len(images)


def train(name, data, epochs, batch, lr, seed, compile_step=True):
    train_x, train_y, test_x, test_y = data
    rng = np.random.default_rng(seed)
    mx.random.seed(seed)
    model = MODELS[name]()
    mx.eval(model.parameters())
    optimizer = optim.Adam(learning_rate=lr)
    loss_and_grad_fn = nn.value_and_grad(model, loss_fn)

    def step(x, y):
        loss, grads = loss_and_grad_fn(model, x, y)
        optimizer.update(model, grads)
        return loss

    if compile_step:
        # The whole step -- forward, backward and Adam -- traced once and
        # replayed; the model's and the optimizer's arrays are its implicit
        # inputs and outputs.
        state = [model.state, optimizer.state]
        step = partial(mx.compile, inputs=state, outputs=state)(step)

    n_params = sum(v.size for _, v in tree_flatten(model.parameters()))
    print(f"\n{model.title}: {n_params:,} parameters, Adam lr {lr}, batch {batch}, {epochs} epoch(s)"
          f"{'' if compile_step else ', not compiled'}")
    history = {"loss": [], "accuracy": [], "seconds": []}
    steps = len(train_x) // batch
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(train_x))
        bar = Progress(steps, f"epoch {epoch}/{epochs}")
        total = 0.0
        for i in range(steps):
            idx = order[i * batch:(i + 1) * batch]
            loss = step(mx.array(train_x[idx]), mx.array(train_y[idx]))
            mx.eval(loss, model.parameters(), optimizer.state)
            total += loss.item()
            if (i + 1) % 10 == 0 or i + 1 == steps:
                bar.update(i + 1, total / (i + 1), (i + 1) * batch)
        seconds = bar.close()
        acc = accuracy(model, test_x, test_y)
        history["loss"].append(total / steps)
        history["accuracy"].append(acc)
        history["seconds"].append(seconds)
        print(f"  epoch {epoch}: train loss {total / steps:.4f}, test accuracy {100 * acc:.2f}%, "
              f"{seconds:.1f} s ({steps * batch / seconds:.0f} images/s)")
    return history


def plot(histories, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: matplotlib is not installed; `make demo` installs it)")
        return
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = range(1, len(h["loss"]) + 1)
        ax_loss.plot(epochs, h["loss"], marker="o", label=MODELS[name].title)
        ax_acc.plot(epochs, [100 * a for a in h["accuracy"]], marker="o", label=MODELS[name].title)
    ax_loss.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    ax_acc.set(title="test accuracy", xlabel="epoch", ylabel="%")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"Fashion-MNIST with {FRAMEWORK}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


TARGETS = {"mlp": 0.85, "cnn": 0.88}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--framework", choices=["auto", "ember", "mlx"], default="auto",
                    help="ember, or MLX to run the same program there (auto: ember if installed)")
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
    if args.framework not in ("auto", FRAMEWORK):
        ap.error(f"--framework {args.framework}: this module was imported with {FRAMEWORK}; "
                 "the framework is chosen on the command line or by FASHION_MNIST_FRAMEWORK")

    if mx.is_available(mx.gpu):
        mx.set_default_device(mx.gpu)
        where = "the GPU"
    else:
        where = f"the CPU ({os.cpu_count()} cores; no GPU available)"
    print(f"{FRAMEWORK} {mx.__version__}: running on {where}")

    t = time.perf_counter()
    train_x, train_y, test_x, test_y = load_fashion_mnist(args.data)
    scale = lambda a: (a.reshape(len(a), -1).astype(np.float32) / 255.0)
    data = (scale(train_x), train_y.astype(np.int32), scale(test_x), test_y.astype(np.int32))
    print(f"Fashion-MNIST: {len(train_x)} training and {len(test_x)} test images "
          f"from {args.data} ({time.perf_counter() - t:.1f} s)")

    names = ["mlp", "cnn"] if args.model == "both" else [args.model]
    histories = {}
    for name in names:
        epochs = args.epochs_mlp if name == "mlp" else args.epochs_cnn
        histories[name] = train(name, data, epochs, args.batch, args.lr, args.seed, not args.no_compile)

    print("\nsummary:")
    ok = True
    for name, h in histories.items():
        acc, target = h["accuracy"][-1], TARGETS[name]
        ok &= acc >= target
        print(f"  {MODELS[name].title:28s} test accuracy {100 * acc:.2f}% (target {100 * target:.0f}%: "
              f"{'met' if acc >= target else 'MISSED'}), {sum(h['seconds']):.0f} s of training")
    plot(histories, args.plot)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
