#!/usr/bin/env python3
"""bench_misc.py -- the ops of python/src/ops_misc.c (softmax, isclose, roll,
diff, count_nonzero, meshgrid, as_strided, view) against NumPy, MLX's CPU
build and PyTorch, in one run, as one Markdown table.

Each framework works on the same float32 data, already in its own array type;
a call includes evaluation (ember and MLX: eval) and the output allocation.
Timing: warm-up calls, then samples of at least --min-time seconds taken in
turn by the frameworks; the best per call is reported and the ratios
(framework / ember, > 1: ember faster) use it.

    python bench/bench_misc.py [--min-time 0.05] [--samples 5]

MLX and PyTorch are optional (skipped when their import fails; put another
install's site-packages on PYTHONPATH to use it). A benchmark measures; it
asserts nothing.
"""
import argparse
import platform
import time

import numpy as np

import ember.core as em

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover - optional
    mlx = None
try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None


def best_time(fn, min_time, samples):
    for _ in range(2):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        inner *= 2
    best = float("inf")
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cases():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((1024, 1024)).astype(np.float32)
    v = rng.standard_normal(1 << 22).astype(np.float32)
    w = (v + 1e-6).astype(np.float32)
    g = np.arange(2048, dtype=np.float32)
    s = rng.standard_normal(1 << 20).astype(np.float32)
    win = np.lib.stride_tricks.sliding_window_view
    # name, numpy fn, ember fn(mod, arrays), torch fn, inputs
    yield ("softmax 1024x1024 (last axis)", lambda a: np_softmax(a),
           lambda mx, a: mx.softmax(a, axis=-1), lambda a: torch.softmax(a, -1), [m])
    yield ("isclose 4Mi", lambda a, b: np.isclose(a, b), lambda mx, a, b: mx.isclose(a, b),
           lambda a, b: torch.isclose(a, b), [v, w])
    yield ("roll 4Mi by 1000", lambda a: np.roll(a, 1000), lambda mx, a: mx.roll(a, 1000),
           lambda a: torch.roll(a, 1000), [v])
    yield ("roll 1024x1024 (1,2) axes (0,1)", lambda a: np.roll(a, (1, 2), (0, 1)),
           lambda mx, a: mx.roll(a, (1, 2), (0, 1)), lambda a: torch.roll(a, (1, 2), (0, 1)), [m])
    yield ("diff 4Mi n=2", lambda a: np.diff(a, 2), lambda mx, a: mx.diff(a, 2),
           lambda a: torch.diff(torch.diff(a)), [v])
    yield ("count_nonzero 1024x1024 axis 0", lambda a: np.count_nonzero(a > 0, axis=0),
           lambda mx, a: mx.count_nonzero(a > 0, axis=0),
           lambda a: torch.count_nonzero(a > 0, dim=0), [m])
    yield ("meshgrid 2048x2048 dense", lambda a: [x.copy() for x in np.meshgrid(a, a)],
           lambda mx, a: [mx.contiguous(x) for x in mx.meshgrid(a, a)],
           lambda a: [x.contiguous() for x in torch.meshgrid(a, a, indexing="xy")], [g])
    yield ("as_strided 1Mi windows of 8, summed", lambda a: win(a, 8).sum(axis=1),
           lambda mx, a: mx.as_strided(a, (a.size - 7, 8), (1, 1)).sum(axis=1),
           lambda a: a.as_strided((a.numel() - 7, 8), (1, 1)).sum(1), [s])
    yield ("view 1024x1024 f32 -> int16 (+1)", lambda a: a.view(np.int16) + 1,
           lambda mx, a: mx.view(a, mx.int16) + 1, lambda a: a.view(torch.int16) + 1, [m])


def run_case(np_fn, em_fn, t_fn, xs, min_time, samples):
    out = {}
    out["numpy"] = best_time(lambda: np_fn(*xs), min_time, samples)
    ex = [em.array(x) for x in xs]
    em.eval(ex)
    out["ember"] = best_time(lambda: em.eval(em_fn(em, *ex)), min_time, samples)
    if mlx is not None:
        mxs = [mlx.array(x) for x in xs]
        mlx.eval(mxs)
        with mlx.stream(mlx.cpu):
            out["mlx"] = best_time(lambda: mlx.eval(em_fn(mlx, *mxs)), min_time, samples)
    if torch is not None:
        ts = [torch.from_numpy(x.copy()) for x in xs]
        out["torch"] = best_time(lambda: t_fn(*ts), min_time, samples)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args()
    cols = ["ember", "numpy"] + (["mlx"] if mlx else []) + (["torch"] if torch else [])
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}; "
          f"ember threads {em.get_num_threads() if hasattr(em, 'get_num_threads') else '?'}")
    print("| case | " + " | ".join(f"{c} (ms)" for c in cols) + " | "
          + " | ".join(f"{c}/ember" for c in cols[1:]) + " |")
    print("|---" * (2 * len(cols)) + "|")
    for name, np_fn, em_fn, t_fn, xs in cases():
        r = run_case(np_fn, em_fn, t_fn, xs, args.min_time, args.samples)
        cells = [f"{r[c] * 1e3:.3f}" for c in cols] + [f"{r[c] / r['ember']:.2f}" for c in cols[1:]]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
