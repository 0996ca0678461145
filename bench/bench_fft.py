#!/usr/bin/env python3
"""bench_fft.py -- ember's FFT against NumPy (pocketfft) and MLX's CPU build, in
one run, as one Markdown table.

Cases (the issue's): complex64 FFTs of 2^10, 2^20 and 10^6 (not a power of
two) points, and the rfft of a 1024 x 1024 float32 batch (along the last
axis). Each framework transforms the same data, already in its own array
type; a call includes evaluation (ember: mx.eval, MLX: mx.eval on the CPU
stream) and the output allocation. Timing: warm-up calls, then samples of at
least --min-time seconds; the median per call is reported.

    python bench/bench_fft.py [--min-time 0.05] [--samples 7]

Needs ember and NumPy; MLX is optional (skipped when `import mlx.core` fails;
to use a separate install, put its site-packages on PYTHONPATH). A
benchmark measures; it asserts nothing.
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


def measure(fn, min_time, samples):
    for _ in range(3):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time:
            break
        inner *= 2
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return statistics.median(ts)


def cases():
    rng = np.random.default_rng(0)
    for n in (1 << 10, 1 << 20, 10**6):
        x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
        yield f"fft c64 n={n}", x, "fft"
    x = rng.standard_normal((1024, 1024)).astype(np.float32)
    yield "rfft f32 1024x1024 (last axis)", x, "rfft"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}; mlx {mlx.__version__ if mlx else 'absent'}")
    print()
    print("| case | ember (ms) | NumPy (ms) | MLX cpu (ms) | NumPy / ember | MLX / ember |")
    print("|---|---|---|---|---|---|")
    for name, x, kind in cases():
        ex = em.array(x)
        em.eval(ex)
        ef = getattr(em.fft, kind)
        t_em = measure(lambda: em.eval(ef(ex)), args.min_time, args.samples)
        nf = getattr(np.fft, kind)
        t_np = measure(lambda: nf(x), args.min_time, args.samples)
        t_mx = None
        if mlx is not None:
            mxx = mlx.array(x)
            mlx.eval(mxx)
            mf = getattr(mlx.fft, kind)
            t_mx = measure(lambda: mlx.eval(mf(mxx, stream=mlx.cpu)), args.min_time, args.samples)
        mx_s = f"{t_mx * 1e3:.3f}" if t_mx else "-"
        mx_r = f"{t_mx / t_em:.2f}" if t_mx else "-"
        print(f"| {name} | {t_em * 1e3:.3f} | {t_np * 1e3:.3f} | {mx_s} | {t_np / t_em:.2f} | {mx_r} |")


if __name__ == "__main__":
    main()
