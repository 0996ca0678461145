#!/usr/bin/env python3
"""bench_random.py -- ember's random numbers against NumPy (PCG64 Generator),
MLX's CPU build and PyTorch (each if importable), in one run, as one Markdown
table.

Cases: raw uint32 bits, uniform and normal float32, randint int32, each of
10^6 and 10^7 values, with a fixed key (ember, MLX) or generator (NumPy,
PyTorch); a call includes evaluation and the output's allocation. NumPy and
PyTorch use other generators (PCG64, Philox/mt19937), so their rows compare
the cost of a draw, not its values. Timing as bench_fft.py: warm-up, then
samples taken in turn; best (median) per call, ratios from the best.

    python bench/bench_random.py [--min-time 0.05] [--samples 7]

MLX is optional (skipped when `import mlx.core` fails; put a separate
install's site-packages on PYTHONPATH). A benchmark measures; it asserts
nothing.
"""
import argparse
import os
import platform
import statistics
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


def fns_for(kind, n):
    ek = em.random.key(0)
    rng = np.random.default_rng(0)
    out = {}
    if kind == "bits u32":
        out["ember"] = lambda: em.eval(em.random.bits((n,), key=ek))
        out["numpy"] = lambda: rng.integers(0, 2**32, size=n, dtype=np.uint32)
    elif kind == "uniform f32":
        out["ember"] = lambda: em.eval(em.random.uniform(shape=(n,), key=ek))
        out["numpy"] = lambda: rng.random(n, dtype=np.float32)
    elif kind == "normal f32":
        out["ember"] = lambda: em.eval(em.random.normal(shape=(n,), key=ek))
        out["numpy"] = lambda: rng.standard_normal(n, dtype=np.float32)
    elif kind == "randint i32":
        out["ember"] = lambda: em.eval(em.random.randint(0, 1000, shape=(n,), key=ek))
        out["numpy"] = lambda: rng.integers(0, 1000, size=n, dtype=np.int32)
    if mlx is not None:
        mk = mlx.random.key(0)
        s = mlx.cpu
        out["mlx"] = {
            "bits u32": lambda: mlx.eval(mlx.random.split(mk, n // 2, stream=s)),  # bits((n/2, 2))
            "uniform f32": lambda: mlx.eval(mlx.random.uniform(shape=(n,), key=mk, stream=s)),
            "normal f32": lambda: mlx.eval(mlx.random.normal(shape=(n,), key=mk, stream=s)),
            "randint i32": lambda: mlx.eval(mlx.random.randint(0, 1000, shape=(n,), key=mk, stream=s)),
        }[kind]
    if torch is not None:
        g = torch.Generator().manual_seed(0)
        out["torch"] = {
            "bits u32": lambda: torch.randint(0, 2**31 - 1, (n,), generator=g, dtype=torch.int32),
            "uniform f32": lambda: torch.rand(n, generator=g),
            "normal f32": lambda: torch.randn(n, generator=g),
            "randint i32": lambda: torch.randint(0, 1000, (n,), generator=g, dtype=torch.int32),
        }[kind]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"ember threads {em.get_num_threads() if hasattr(em, 'get_num_threads') else '?'}; "
          f"numpy {np.__version__}; mlx {mlx.__version__ if mlx else 'absent'}; "
          f"torch {torch.__version__ if torch else 'absent'}")
    print()
    print("Times in ms per call, best (median). Ratios: other / ember (above 1: ember is faster).")
    print()
    print("| case | ember | NumPy | MLX cpu | PyTorch | NumPy/ember | MLX/ember | PyTorch/ember |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (10**6, 10**7):
        for kind in ("bits u32", "uniform f32", "normal f32", "randint i32"):
            r = measure_all(fns_for(kind, n), args.min_time, args.samples)
            cell = lambda k: f"{r[k][0] * 1e3:.2f} ({r[k][1] * 1e3:.2f})" if k in r else "-"
            ratio = lambda k: f"{r[k][0] / r['ember'][0]:.2f}" if k in r else "-"
            print(f"| {kind} n={n:.0e} | {cell('ember')} | {cell('numpy')} | {cell('mlx')} | {cell('torch')} "
                  f"| {ratio('numpy')} | {ratio('mlx')} | {ratio('torch')} |")


if __name__ == "__main__":
    main()
