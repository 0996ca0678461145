#!/usr/bin/env python3
"""bench_nn.py -- ember.nn against MLX's CPU build (mlx.nn, the very same
model code, since the APIs match), PyTorch (if importable) and, for the MLP,
a hand-written NumPy forward/backward, in one run, as one Markdown table.

Cases:
  - MLP training step: 784-256-128-10 with ReLU, batch 128, cross-entropy,
    value_and_grad and a plain SGD update, evaluated (the Fashion-MNIST demo's
    step);
  - TransformerEncoderLayer forward: dims 256, 8 heads, batch 8 x 128 tokens;
  - LSTM forward: batch 16, 32 steps, 64 -> 128;
  - Conv2d + MaxPool2d forward (when ember.core has conv2d): 32 x 28 x 28 x 16
    -> 32 channels, 3x3, then 2x2 pooling.

Each framework runs its own copy of the same weights and inputs. Timing as the
other benchmarks: warm-up, then samples taken in turn; best (median) ms per
call, ratios from the best.

    PYTHONPATH=<mlx site-packages> .venv/bin/python bench/bench_nn.py [--min-time 0.1]

A benchmark measures; it asserts nothing.
"""
import argparse
import os
import platform
import statistics
import time

import numpy as np

import ember.core as em
import ember.nn as emnn
from ember.utils import tree_flatten as em_flatten, tree_map as em_tree_map

try:
    import mlx.core as mlx
    import mlx.nn as mlxnn
    from mlx.utils import tree_map as mlx_tree_map
    mlx.set_default_device(mlx.cpu)
except ImportError:  # pragma: no cover - optional
    mlx = None

try:
    import torch
    torch.set_num_threads(os.cpu_count())
except ImportError:  # pragma: no cover - optional
    torch = None


def calibrate(fn, min_time):
    for _ in range(3):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        if time.perf_counter() - t0 >= min_time:
            return inner
        inner *= 2


def measure_all(fns, min_time, samples):
    inner = {k: calibrate(f, min_time) for k, f in fns.items()}
    ts = {k: [] for k in fns}
    for _ in range(samples):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner[k]):
                f()
            ts[k].append((time.perf_counter() - t0) / inner[k])
    return {k: (min(v), statistics.median(v)) for k, v in ts.items()}


def copy_weights(src_flat, dst_model, array_fn):
    dst_model.load_weights([(k, array_fn(np.array(v))) for k, v in src_flat])


# -- the cases, written once against the MLX API --------------------------------

def mlp_step(mx, nn, tree_map, model, x, t):
    def loss_fn(x, t):
        return nn.losses.cross_entropy(model(x), t, reduction="mean")
    vg = nn.value_and_grad(model, loss_fn)

    def step():
        loss, grads = vg(x, t)
        model.update(tree_map(lambda p, g: p - 0.01 * g, model.trainable_parameters(), grads))
        mx.eval(loss, model.parameters())
    return step


def numpy_mlp_step(params, x, t):
    """Forward, backward and SGD for the same MLP in NumPy (float32)."""
    W = [params[f"layers.{i}.weight"].copy() for i in (0, 2, 4)]
    b = [params[f"layers.{i}.bias"].copy() for i in (0, 2, 4)]
    onehot = np.eye(10, dtype=np.float32)[t]

    def step():
        h0 = x @ W[0].T + b[0]
        a0 = np.maximum(h0, 0)
        h1 = a0 @ W[1].T + b[1]
        a1 = np.maximum(h1, 0)
        z = a1 @ W[2].T + b[2]
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        dz = (p - onehot) / len(x)
        grads = []
        d = dz
        acts = [x, a0, a1]
        hs = [h0, h1]
        for i in (2, 1, 0):
            grads.append((d.T @ acts[i], d.sum(0)))
            if i:
                d = (d @ W[i]) * (hs[i - 1] > 0)
        for i, (gw, gb) in zip((2, 1, 0), grads):
            W[i] -= 0.01 * gw
            b[i] -= 0.01 * gb
    return step


def torch_mlp_step(params, x, t):
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    with torch.no_grad():
        for i in (0, 2, 4):
            model[i].weight.copy_(torch.from_numpy(params[f"layers.{i}.weight"]))
            model[i].bias.copy_(torch.from_numpy(params[f"layers.{i}.bias"]))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xt, tt = torch.from_numpy(x), torch.from_numpy(t.astype(np.int64))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), tt)
        loss.backward()
        opt.step()
    return step


def build(lib, kind):
    mx, nn = lib
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    if kind == "encoder":
        return nn.TransformerEncoderLayer(256, 8)
    if kind == "lstm":
        return nn.LSTM(64, 128)
    if kind == "conv":
        return nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    raise ValueError(kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--samples", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}; mlx {mlx.__version__ if mlx else 'absent'}; "
          f"torch {torch.__version__ if torch else 'absent'}")
    print()
    print("Times in ms per call: best of the samples (median in parentheses).")
    print()
    print("| case | ember | MLX cpu | PyTorch | NumPy | MLX / ember | PyTorch / ember | NumPy / ember |")
    print("|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    inputs = {
        "mlp": (rng.normal(size=(128, 784)).astype(np.float32),
                rng.integers(0, 10, size=128).astype(np.int32)),
        "encoder": (rng.normal(size=(8, 128, 256)).astype(np.float32),),
        "lstm": (rng.normal(size=(16, 32, 64)).astype(np.float32),),
        "conv": (rng.normal(size=(32, 28, 28, 16)).astype(np.float32),),
    }
    names = {"mlp": "MLP train step 784-256-128-10, batch 128",
             "encoder": "TransformerEncoderLayer fwd 256d/8h, 8x128",
             "lstm": "LSTM fwd 64->128, 16x32 steps",
             "conv": "Conv2d 16->32 3x3 + MaxPool2d, 32x28x28"}
    for kind, data in inputs.items():
        if kind == "conv" and not hasattr(em, "conv2d"):
            continue
        em_model = build((em, emnn), kind)
        flat = [(k, np.array(v)) for k, v in em_flatten(em_model.parameters())]
        fns = {}
        em_in = [em.array(d) for d in data]
        if kind == "mlp":
            fns["ember"] = mlp_step(em, emnn, em_tree_map, em_model, *em_in)
            fns["numpy"] = numpy_mlp_step(dict(flat), *data)
            if torch is not None:
                fns["torch"] = torch_mlp_step(dict(flat), *data)
        elif kind == "encoder":
            fns["ember"] = lambda m=em_model, x=em_in[0]: em.eval(m(x, None))
        else:
            fns["ember"] = lambda m=em_model, x=em_in[0]: em.eval(m(x))
        if mlx is not None:
            mlx_model = build((mlx, mlxnn), kind)
            copy_weights(flat, mlx_model, mlx.array)
            mlx_in = [mlx.array(d) for d in data]
            if kind == "mlp":
                fns["mlx"] = mlp_step(mlx, mlxnn, mlx_tree_map, mlx_model, *mlx_in)
            elif kind == "encoder":
                fns["mlx"] = lambda m=mlx_model, x=mlx_in[0]: mlx.eval(m(x, None))
            else:
                fns["mlx"] = lambda m=mlx_model, x=mlx_in[0]: mlx.eval(m(x))
        r = measure_all(fns, args.min_time, args.samples)
        cell = lambda k: f"{r[k][0] * 1e3:.3f} ({r[k][1] * 1e3:.3f})" if k in r else "-"  # noqa: E731
        ratio = lambda k: f"{r[k][0] / r['ember'][0]:.2f}" if k in r else "-"  # noqa: E731
        print(f"| {names[kind]} | {cell('ember')} | {cell('mlx')} | {cell('torch')} | "
              f"{cell('numpy')} | {ratio('mlx')} | {ratio('torch')} | {ratio('numpy')} |")


if __name__ == "__main__":
    main()
