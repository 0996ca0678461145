#!/usr/bin/env python3
"""bench_quant.py -- ember's quantized_matmul (affine, 4 bits, group 64)
against MLX's CPU build, and against unquantized float32 matmuls (ember and
NumPy; PyTorch when importable), in one run, as one Markdown table.

x is (1, 4096) (the matrix-vector product of LLM decoding) or (128, 4096)
against a (4096, 4096) weight (transpose=True: x @ W^T). A call includes
evaluation (ember and MLX: eval, MLX on its CPU stream). The frameworks
take their samples in turn: best and median per call, ratios from the best
(ratio > 1: ember is faster). A second table: the floating-point modes
(mxfp4, mxfp8, nvfp4): quantize and quantized_matmul against MLX.

    python bench/bench_quant.py [--min-time 0.05] [--samples 7]

MLX: put its site-packages on PYTHONPATH (e.g. /tmp/oracle's). A benchmark
measures; it asserts nothing.
"""
import argparse
import os
import platform
import sys

import numpy as np

import ember.core as em



def measure_all(fns, min_time, samples):
    """{name: (best, median)} seconds per call; the frameworks take their
    samples in turn, each sample repeating a call for at least min_time."""
    import time
    for f in fns.values():
        f()  # warm up
    reps = {}
    for k, f in fns.items():
        n, t0 = 1, time.perf_counter()
        f()
        dt = time.perf_counter() - t0
        reps[k] = max(1, int(min_time / max(dt, 1e-9)))
    times = {k: [] for k in fns}
    for _ in range(samples):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(reps[k]):
                f()
            times[k].append((time.perf_counter() - t0) / reps[k])
    return {k: (min(v), sorted(v)[len(v) // 2]) for k, v in times.items()}

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover - optional
    mlx = None
try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((4096, 4096)) * 0.02).astype(np.float32)
    ew = em.array(W)
    eq = em.quantize(ew, 64, 4)
    em.eval(*eq)
    if mlx is not None:
        mlx.set_default_device(mlx.cpu)
        mw = mlx.array(W)
        mq = mlx.quantize(mw, 64, 4)
        mlx.eval(*mq)
    print(f"# quantized_matmul, 4-bit group 64, W 4096x4096 ({platform.machine()}, "
          f"{os.cpu_count()} cpus)\n")
    print("| x | ember qmm | MLX qmm | ember f32 matmul | NumPy f32 matmul | torch f32 | "
          "MLX/ember | NumPy/ember |")
    print("|---|---|---|---|---|---|---|---|")
    for m in (1, 128):
        X = rng.standard_normal((m, 4096)).astype(np.float32)
        ex = em.array(X)
        fns = {
            "ember": lambda: em.eval(em.quantized_matmul(ex, *eq, True, 64, 4)),
            "ember_f32": lambda: em.eval(em.matmul(ex, ew.T)),
            "numpy": lambda: X @ W.T,
        }
        if mlx is not None:
            mx_ = mlx.array(X)
            fns["mlx"] = lambda: mlx.eval(mlx.quantized_matmul(mx_, *mq, True, 64, 4))
        if torch is not None:
            tx, tw = torch.from_numpy(X), torch.from_numpy(W)
            fns["torch"] = lambda: tx @ tw.T
        r = measure_all(fns, args.min_time, args.samples)
        ms = lambda k: f"{r[k][0] * 1e3:.3f} ms" if k in r else "-"
        ratio = lambda k: f"{r[k][0] / r['ember'][0]:.2f}" if k in r else "-"
        print(f"| ({m}, 4096) | {ms('ember')} | {ms('mlx')} | {ms('ember_f32')} | {ms('numpy')} | "
              f"{ms('torch')} | {ratio('mlx')} | {ratio('numpy')} |")
    fp_modes(rng, W, args)


def fp_modes(rng, W, args):
    """The floating-point modes: quantized_matmul at (1, 4096) and (128, 4096)
    and quantize of the whole weight, ember against MLX's CPU build."""
    print(f"\n# floating-point modes, W 4096x4096\n")
    print("| mode | op | ember | MLX | MLX/ember |")
    print("|---|---|---|---|---|")
    ew = em.array(W)
    mw = mlx.array(W) if mlx is not None else None
    for mode in ("mxfp4", "mxfp8", "nvfp4"):
        eq = em.quantize(ew, mode=mode)
        em.eval(*eq)
        mq = None
        if mlx is not None:
            mq = mlx.quantize(mw, mode=mode)
            mlx.eval(*mq)
        cases = [("quantize", lambda: em.eval(*em.quantize(ew, mode=mode)),
                  mlx and (lambda: mlx.eval(*mlx.quantize(mw, mode=mode))))]
        for m in (1, 128):
            X = rng.standard_normal((m, 4096)).astype(np.float32)
            ex = em.array(X)
            mx_ = mlx.array(X) if mlx is not None else None
            cases.append((f"qmm x ({m}, 4096)",
                          lambda ex=ex: em.eval(em.quantized_matmul(ex, *eq, mode=mode)),
                          mlx and (lambda mx_=mx_: mlx.eval(mlx.quantized_matmul(mx_, *mq, mode=mode)))))
        for name, fe, fm in cases:
            fns = {"ember": fe}
            if fm:
                fns["mlx"] = fm
            r = measure_all(fns, args.min_time, args.samples)
            ms = lambda k: f"{r[k][0] * 1e3:.3f} ms" if k in r else "-"
            ratio = f"{r['mlx'][0] / r['ember'][0]:.2f}" if "mlx" in r else "-"
            print(f"| {mode} | {name} | {ms('ember')} | {ms('mlx')} | {ratio} |")


if __name__ == "__main__":
    main()
