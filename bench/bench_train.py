"""bench_train.py -- time of one training step (forward, backward, Adam, eval)
of the demo's MLP (784-512-512-10) and CNN on batches of 128, in ember, MLX's
CPU build and PyTorch's CPU build, in one run, with ratios to ember.

    .venv/bin/python bench/bench_train.py [--steps N] [--out FILE.md]

ember runs in this interpreter. MLX runs in /tmp/oracle/bin/python (or
--mlx-python), PyTorch in the first of --torch-python, this interpreter and
/usr/bin/python3 that can import torch; a missing one is reported, not fatal.
ember and MLX train the very models of examples/fashion_mnist.py (nn.Module
subclasses, nn.value_and_grad, nn.losses.cross_entropy, optim.Adam,
optimizer.update); PyTorch the same layers as torch.nn modules with
torch.optim.Adam. Same data (NumPy, seeded), batch, learning rate, betas and
eps everywhere; each framework initialises its own weights (seeded). The
figure is the median of N timed steps after 5 warm-up steps. The
"mx.compile" rows compile the whole step -- forward, backward and the Adam
update -- with inputs=outputs=[model.state, optimizer.state], as the demo does.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from functools import partial

import numpy as np

BATCH = 128
LR = 1e-3
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def data(seed=0):
    r = np.random.default_rng(seed)
    x = r.random((BATCH, 784), dtype=np.float32)
    y = r.integers(0, 10, size=BATCH).astype(np.int32)
    return x, y


def timed(step, steps):
    for _ in range(5):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ---------------------------------------------------------------- MLX-like (ember, mlx)

def run_mlx_like(framework, steps, compiled=False):
    """The demo's own models and step, imported with the demo's framework switch."""
    os.environ["FASHION_MNIST_FRAMEWORK"] = framework
    sys.path.insert(0, os.path.abspath(EXAMPLES))
    import fashion_mnist as demo
    mx, nn, optim = demo.mx, demo.nn, demo.optim
    if framework == "mlx":
        mx.set_default_device(mx.cpu)
    xs, ys = data()
    x, y = mx.array(xs), mx.array(ys)
    results = {}
    for name, cls in demo.MODELS.items():
        mx.random.seed(0)
        model = cls()
        mx.eval(model.parameters())
        optimizer = optim.Adam(learning_rate=LR, betas=[0.9, 0.999], eps=1e-8)
        loss_and_grad_fn = nn.value_and_grad(model, demo.loss_fn)

        def train_step(xb, yb):
            loss, grads = loss_and_grad_fn(model, xb, yb)
            optimizer.update(model, grads)
            return loss

        if compiled:
            state = [model.state, optimizer.state]
            train_step = partial(mx.compile, inputs=state, outputs=state)(train_step)

        def step():
            loss = train_step(x, y)
            mx.eval(loss, model.parameters(), optimizer.state)

        results[name] = timed(step, steps)
    return results, f"{framework} {mx.__version__}" + (" (CPU)" if framework == "mlx" else "")


# ---------------------------------------------------------------- PyTorch

def run_torch(steps):
    import torch
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    nn, F = torch.nn, torch.nn.functional
    xs, ys = data()
    x, y = torch.from_numpy(xs), torch.from_numpy(ys).long()

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)])

        def forward(self, xb):
            for layer in self.layers[:-1]:
                xb = F.relu(layer(xb))
            return self.layers[-1](xb)

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(7 * 7 * 32, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, xb):
            xb = xb.reshape(-1, 1, 28, 28)
            xb = self.pool(F.relu(self.conv1(xb)))
            xb = self.pool(F.relu(self.conv2(xb)))
            xb = F.relu(self.fc1(xb.flatten(1)))
            return self.fc2(xb)

    results = {}
    for name, cls in (("mlp", MLP), ("cnn", CNN)):
        model = cls()
        opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        results[name] = timed(step, steps)
    return results, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


# ---------------------------------------------------------------- driver

def child(backend, steps):
    compiled = backend.endswith("+compile")
    backend = backend.split("+")[0]
    if backend == "torch":
        res, info = run_torch(steps)
    else:
        res, info = run_mlx_like(backend, steps, compiled)
    print(json.dumps({"info": info, "results": res}))


def spawn(python, backend, steps):
    r = subprocess.run([python, os.path.abspath(__file__), "--child", backend, "--steps", str(steps)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ["failed"])[-1]
    return json.loads(r.stdout.strip().splitlines()[-1]), None


def can_import(python, module):
    if not python or not os.path.exists(python):
        return False
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--child")
    ap.add_argument("--mlx-python", default="/tmp/oracle/bin/python")
    ap.add_argument("--torch-python")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.steps)

    rows, notes = {}, []
    for label, backend in (("ember", "ember"), ("ember, mx.compile", "ember+compile")):
        rows[label], err = spawn(sys.executable, backend, args.steps)
        if err:
            notes.append(f"{label} failed: {err}")
    if can_import(args.mlx_python, "mlx.core"):
        for label, backend in (("MLX (CPU)", "mlx"), ("MLX (CPU), mx.compile", "mlx+compile")):
            rows[label], err = spawn(args.mlx_python, backend, args.steps)
            if err:
                notes.append(f"{label} failed: {err}")
    else:
        notes.append(f"MLX: not importable from {args.mlx_python}")
    torch_py = next((p for p in (args.torch_python, sys.executable, "/usr/bin/python3") if can_import(p, "torch")),
                    None)
    if torch_py:
        rows["PyTorch (CPU)"], err = spawn(torch_py, "torch", args.steps)
        if err:
            notes.append(f"PyTorch failed: {err}")
    else:
        notes.append("PyTorch: not importable (Debian's python3-torch is not installed)")

    base = rows.get("ember") and rows["ember"]["results"]
    lines = [f"# Training step of the nn.Module models, batch {BATCH}, Adam (ms per step, median of {args.steps})", "",
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
             "| backend | MLP 784-512-512-10 | CNN | MLP: time / ember's | CNN: time / ember's | version |",
             "|---|---|---|---|---|---|"]
    for label, row in rows.items():
        if not row:
            continue
        r = row["results"]
        ms = lambda k: f"{1e3 * r[k]:.2f}" if r.get(k) else "n/a"
        ratio = lambda k: (f"{r[k] / base[k]:.2f}x" if base and base.get(k) and r.get(k) else "n/a")
        lines.append(f"| {label} | {ms('mlp')} | {ms('cnn')} | {ratio('mlp')} | {ratio('cnn')} | {row['info']} |")
    lines += [""] + [f"- {n}" for n in notes]
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
