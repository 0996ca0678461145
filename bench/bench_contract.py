#!/usr/bin/env python3
"""bench_contract.py -- ember's contractions and diagonals (einsum, tensordot,
kron, trace, hadamard_transform) against NumPy, MLX's CPU build and PyTorch
(each when importable), in one run, as one Markdown table.

Each framework gets the same float32 data already in its own array type; a
call includes evaluation (ember and MLX: eval, MLX on its CPU stream) and the
output allocation. NumPy's einsum runs with optimize=True (its best path, as
ours is greedy); NumPy has no Hadamard transform, so its column is x @ H with
the Sylvester matrix prebuilt. Timing as bench_fft.py's: warm-up, then
samples taken in turn; best and median per call, ratios from the best.

    python bench/bench_contract.py [--min-time 0.05] [--samples 7]

MLX: put its site-packages on PYTHONPATH (e.g. /tmp/oracle's). A benchmark
measures; it asserts nothing.
"""
import argparse
import os
import platform
import sys

import numpy as np

import ember.core as em

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fft import measure_all  # noqa: E402  (the shared sampling loop)

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover - optional
    mlx = None
try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None


def sylvester(n):
    i = np.arange(n)
    bits = np.zeros((n, n), dtype=np.int64)
    a = i[:, None] & i[None, :]
    while a.any():
        bits += a & 1
        a >>= 1
    return np.where(bits % 2 == 1, -1.0, 1.0).astype(np.float32)


def cases(rng):
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    yield "einsum ij,jk->ik 512", "ij,jk->ik", [f(512, 512), f(512, 512)]
    yield "einsum bij,bjk->bik 64x128", "bij,bjk->bik", [f(64, 128, 128), f(64, 128, 128)]
    yield "einsum bhqd,bhkd->bhqk", "bhqd,bhkd->bhqk", [f(4, 8, 256, 64), f(4, 8, 256, 64)]
    yield "einsum ij,ij->i 4096x256", "ij,ij->i", [f(4096, 256), f(4096, 256)]
    yield "einsum abc,bcd,def,fa->", "abc,bcd,def,fa->", [f(32, 48, 64), f(48, 64, 40), f(40, 50, 60), f(60, 32)]
    yield "einsum ii-> 4096 (trace)", "ii->", [f(4096, 4096)]
    yield "einsum ij->ji 2048 (a view)", "ij->ji", [f(2048, 2048)]
    yield "tensordot (64,32,32)x(32,32,64) axes=2", "tensordot", [f(64, 32, 32), f(32, 32, 64)]
    yield "kron 64x64 (x) 64x64", "kron", [f(64, 64), f(64, 64)]
    yield "diagonal+sum 4096 (trace)", "trace", [f(4096, 4096)]
    yield "hadamard_transform 4096x1024", "hadamard", [f(4096, 1024)]
    yield "hadamard_transform 16x2^16", "hadamard", [f(16, 1 << 16)]


def fns_for(kind, xs):
    ex = [em.array(x) for x in xs]
    em.eval(*ex)
    out = {}
    if kind == "tensordot":
        out["ember"] = lambda: em.eval(em.tensordot(*ex, axes=2))
        out["numpy"] = lambda: np.tensordot(*xs, axes=2)
    elif kind == "kron":
        out["ember"] = lambda: em.eval(em.kron(*ex))
        out["numpy"] = lambda: np.kron(*xs)
    elif kind == "trace":
        out["ember"] = lambda: em.eval(em.trace(ex[0]))
        out["numpy"] = lambda: np.trace(xs[0])
    elif kind == "hadamard":
        n = xs[0].shape[-1]
        h = sylvester(n) / np.float32(np.sqrt(n)) if n <= 4096 else None
        out["ember"] = lambda: em.eval(em.hadamard_transform(ex[0]))
        if h is not None:
            out["numpy"] = lambda: xs[0] @ h
    else:
        out["ember"] = lambda: em.eval(em.einsum(kind, *ex))
        out["numpy"] = lambda: np.einsum(kind, *xs, optimize=True)
    if mlx is not None:
        mx_ = [mlx.array(x) for x in xs]
        mlx.eval(*mx_)
        s = mlx.cpu
        op = {"tensordot": lambda: mlx.tensordot(*mx_, axes=2, stream=s),
              "kron": lambda: mlx.kron(*mx_, stream=s),
              "trace": lambda: mlx.trace(mx_[0], stream=s),
              "hadamard": lambda: mlx.hadamard_transform(mx_[0], stream=s)}.get(
            kind, lambda: mlx.einsum(kind, *mx_, stream=s))
        out["mlx"] = lambda: mlx.eval(op())
    if torch is not None:
        tx = [torch.from_numpy(x) for x in xs]
        op = {"tensordot": lambda: torch.tensordot(*tx, dims=2), "kron": lambda: torch.kron(*tx),
              "trace": lambda: torch.trace(tx[0]), "hadamard": None}.get(
            kind, lambda: torch.einsum(kind, *tx))
        if op is not None:
            out["torch"] = op
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}; mlx {mlx.__version__ if mlx else 'absent'}; "
          f"torch {torch.__version__ if torch else 'absent'}")
    print()
    print("Times in ms per call: best wall-clock time of the samples (median in parentheses).")
    print()
    print("| case | ember | NumPy | MLX cpu | PyTorch | NumPy / ember | MLX / ember | PyTorch / ember |")
    print("|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for name, kind, xs in cases(rng):
        r = measure_all(fns_for(kind, xs), args.min_time, args.samples)
        cell = lambda k: f"{r[k][0] * 1e3:.3f} ({r[k][1] * 1e3:.3f})" if k in r else "-"
        ratio = lambda k: f"{r[k][0] / r['ember'][0]:.2f}" if k in r else "-"
        print(f"| {name} | {cell('ember')} | {cell('numpy')} | {cell('mlx')} | {cell('torch')} | "
              f"{ratio('numpy')} | {ratio('mlx')} | {ratio('torch')} |", flush=True)


if __name__ == "__main__":
    main()
