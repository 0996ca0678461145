"""bench_train.py -- time of one training step (forward, backward, Adam, eval)
of the demo's MLP (784-512-512-10) and CNN on batches of 128, in ember, MLX's
CPU build and PyTorch's CPU build, in one run, with ratios to ember.

    .venv/bin/python bench/bench_train.py [--steps N] [--out FILE.md]

ember runs in this interpreter. MLX runs in /tmp/oracle/bin/python (or
--mlx-python), PyTorch in the first of --torch-python, this interpreter and
/usr/bin/python3 that can import torch; a missing one is reported, not fatal.
Each backend times the same model on the same random data (NumPy, seeded)
with the same hyperparameters; the figure is the median of N timed steps
after 5 warm-up steps. The "mx.compile" rows compile value_and_grad of the
loss (as examples/fashion_mnist.py does); the optimizer step stays eager.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH = 128
LR = 1e-3


def data(seed=0):
    r = np.random.default_rng(seed)
    x = r.random((BATCH, 784), dtype=np.float32)
    y = r.integers(0, 10, size=BATCH).astype(np.int32)
    return x, y


def init_params(seed=0):
    """The demo's trees, as NumPy: uniform in +-1/sqrt(fan_in)."""
    r = np.random.default_rng(seed)
    u = lambda shape, fan: r.uniform(-fan**-0.5, fan**-0.5, size=shape).astype(np.float32)
    mlp = {"layers": [{"weight": u((i, o), i), "bias": u((o,), i)}
                      for i, o in [(784, 512), (512, 512), (512, 10)]]}
    cnn = {"conv1": {"weight": u((16, 3, 3, 1), 9), "bias": u((16,), 9)},
           "conv2": {"weight": u((32, 3, 3, 16), 144), "bias": u((32,), 144)},
           "fc1": {"weight": u((1568, 128), 1568), "bias": u((128,), 1568)},
           "fc2": {"weight": u((128, 10), 128), "bias": u((10,), 128)}}
    return {"mlp": mlp, "cnn": cnn}


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

def run_mlx_like(mx, optim, steps, compiled=False):
    def tree(t):
        if isinstance(t, dict):
            return {k: tree(v) for k, v in t.items()}
        if isinstance(t, list):
            return [tree(v) for v in t]
        return mx.array(t)

    def dense(p, x):
        return x @ p["weight"] + p["bias"]

    def mlp(p, x):
        for layer in p["layers"][:-1]:
            x = mx.maximum(dense(layer, x), 0.0)
        return dense(p["layers"][-1], x)

    def pool(x):
        n, h, w, c = x.shape
        return mx.max(x.reshape(n, h // 2, 2, w // 2, 2, c), axis=(2, 4))

    def cnn(p, x):
        x = x.reshape(x.shape[0], 28, 28, 1)
        for k in ("conv1", "conv2"):
            x = pool(mx.maximum(mx.conv2d(x, p[k]["weight"], padding=1) + p[k]["bias"], 0.0))
        x = mx.maximum(dense(p["fc1"], x.reshape(x.shape[0], -1)), 0.0)
        return dense(p["fc2"], x)

    xs, ys = data()
    x, y = mx.array(xs), mx.array(ys)
    results = {}
    for name, apply in (("mlp", mlp), ("cnn", cnn)):
        if name == "cnn" and not hasattr(mx, "conv2d"):
            results[name] = None
            continue
        state = {"params": tree(init_params()[name])}
        opt = optim.Adam(learning_rate=LR)

        def loss_fn(p, xb, yb):
            logits = apply(p, xb)
            picked = mx.take_along_axis(logits, yb[:, None], axis=-1)[:, 0]
            return mx.mean(mx.logsumexp(logits, axis=-1) - picked)

        vg = mx.value_and_grad(loss_fn)
        if compiled:
            vg = mx.compile(vg)

        def step():
            loss, g = vg(state["params"], x, y)
            state["params"] = opt.apply_gradients(g, state["params"])
            mx.eval(state["params"], opt.state, loss)

        results[name] = timed(step, steps)
    return results


# ---------------------------------------------------------------- PyTorch

def run_torch(steps):
    import torch
    torch.set_num_threads(os.cpu_count())
    params = init_params()
    xs, ys = data()
    x, y = torch.from_numpy(xs), torch.from_numpy(ys).long()

    def tensors(t):
        if isinstance(t, dict):
            return {k: tensors(v) for k, v in t.items()}
        if isinstance(t, list):
            return [tensors(v) for v in t]
        return torch.tensor(t, requires_grad=True)

    def leaves(t):
        if isinstance(t, dict):
            return [l for v in t.values() for l in leaves(v)]
        if isinstance(t, list):
            return [l for v in t for l in leaves(v)]
        return [t]

    F = torch.nn.functional

    def mlp(p, xb):
        for layer in p["layers"][:-1]:
            xb = F.relu(xb @ layer["weight"] + layer["bias"])
        return xb @ p["layers"][-1]["weight"] + p["layers"][-1]["bias"]

    def cnn(p, xb):
        xb = xb.reshape(-1, 1, 28, 28)
        for k in ("conv1", "conv2"):
            w = p[k]["weight"].permute(0, 3, 1, 2)  # OHWI -> OIHW
            xb = F.max_pool2d(F.relu(F.conv2d(xb, w, p[k]["bias"], padding=1)), 2)
        xb = xb.permute(0, 2, 3, 1).reshape(xb.shape[0], -1)  # NHWC flattening, as the others
        xb = F.relu(xb @ p["fc1"]["weight"] + p["fc1"]["bias"])
        return xb @ p["fc2"]["weight"] + p["fc2"]["bias"]

    results = {}
    for name, apply in (("mlp", mlp), ("cnn", cnn)):
        p = tensors(params[name])
        opt = torch.optim.Adam(leaves(p), lr=LR, eps=1e-8)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(apply(p, x), y)
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
        if backend == "mlx":
            import mlx.core as mx
            import mlx.optimizers as optim
            mx.set_default_device(mx.cpu)
            info = f"mlx {mx.__version__} (CPU)"
        else:
            import ember.core as mx
            import ember.optimizers as optim
            info = f"ember {mx.__version__}"
        res = run_mlx_like(mx, optim, steps, compiled)
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
    lines = [f"# Training step, batch {BATCH}, Adam (ms per step, median of {args.steps})", "",
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
    if base and base.get("cnn") is None:
        lines.append("- ember: no CNN figure (ember.core has no conv2d in this build)")
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
