#!/usr/bin/env python3
"""bench_linalg.py -- ember's linalg against NumPy (and MLX's CPU build when
present), in one run, as one Markdown table.

Cases (the issue's): inv, svd (with vectors) and cholesky of one 512 x 512
float32 matrix (well conditioned; SPD for cholesky), plus a batch of 256
8 x 8 inverses (per-matrix overhead). Each framework works on the same data,
already in its own array type; a call includes evaluation. All of them end
in LAPACK (OpenBLAS here), so the numbers mostly compare the glue. Timing:
warm-up calls, then samples of at least --min-time seconds; median per call.

    python bench/bench_linalg.py [--min-time 0.2] [--samples 5]

A benchmark measures; it asserts nothing.
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
    for _ in range(2):
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.2)
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n = 512
    a = (rng.standard_normal((n, n)) + n * np.eye(n)).astype(np.float32)
    b = rng.standard_normal((n, n))
    spd = (b @ b.T + n * np.eye(n)).astype(np.float32)
    small = (rng.standard_normal((256, 8, 8)) + 8 * np.eye(8)).astype(np.float32)
    cases = [
        ("inv 512x512 f32", a, "inv", lambda x: np.linalg.inv(x)),
        ("svd 512x512 f32 (U, S, Vt)", a, "svd", lambda x: np.linalg.svd(x)),
        ("cholesky 512x512 f32", spd, "cholesky", lambda x: np.linalg.cholesky(x)),
        ("inv 256 x (8x8) f32", small, "inv", lambda x: np.linalg.inv(x)),
    ]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}; mlx {mlx.__version__ if mlx else 'absent'}")
    print()
    print("| case | ember (ms) | NumPy (ms) | MLX cpu (ms) | NumPy / ember |")
    print("|---|---|---|---|---|")
    for name, x, fn, npf in cases:
        ex = em.array(x)
        ef = getattr(em.linalg, fn)

        def run_em():
            r = ef(ex)
            em.eval(*(r if isinstance(r, tuple) else (r,)))

        t_em = measure(run_em, args.min_time, args.samples)
        t_np = measure(lambda: npf(x), args.min_time, args.samples)
        t_mx = None
        if mlx is not None:
            mxx = mlx.array(x)
            mf = getattr(mlx.linalg, fn)

            def run_mx():
                r = mf(mxx, stream=mlx.cpu)
                mlx.eval(*(r if isinstance(r, tuple) else (r,)))

            t_mx = measure(run_mx, args.min_time, args.samples)
        mx_s = f"{t_mx * 1e3:.3f}" if t_mx else "-"
        print(f"| {name} | {t_em * 1e3:.3f} | {t_np * 1e3:.3f} | {mx_s} | {t_np / t_em:.2f} |")


if __name__ == "__main__":
    main()
