#!/usr/bin/env python3
"""bench_linalg.py -- ember's linalg against NumPy (and MLX's CPU build when
present), in one run, as one Markdown table.

Cases (the issue's): inv, svd (with vectors) and cholesky of one 512 x 512
float32 matrix (well conditioned; SPD for cholesky), plus a batch of 256
8 x 8 inverses (per-matrix overhead). Each framework works on the same data,
already in its own array type; a call includes evaluation. All of them end
in LAPACK (OpenBLAS here), so the numbers mostly compare the glue. Timing:
warm-up calls, then samples of at least --min-time seconds taken in turn by
the frameworks; the best and the median per call are reported.

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


def calibrate(fn, min_time):
    """Warm-up calls, then the number of calls that lasts at least min_time."""
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
    """{name: (best, median, best CPU)} seconds per call; the frameworks'
    samples are taken in turn, so that all of them see the same machine state
    (this matters on a shared machine, where the best time is the steadier
    one). CPU time is the process's, all threads (OpenBLAS's and MLX's too):
    on a loaded machine it shows the work done when wall time shows waits."""
    inner = {k: calibrate(f, min_time) for k, f in fns.items()}
    ts = {k: [] for k in fns}
    cs = {k: [] for k in fns}
    for _ in range(samples):
        for k, f in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(inner[k]):
                f()
            ts[k].append((time.perf_counter() - t0) / inner[k])
            cs[k].append((time.process_time() - c0) / inner[k])
    return {k: (min(v), statistics.median(v), min(cs[k])) for k, v in ts.items()}


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
    print("Times in ms per call: best wall-clock time of the samples (median in parentheses;")
    print("CPU time of the process, best sample, in brackets).")
    print()
    print("| case | ember | NumPy | MLX cpu | NumPy / ember |")
    print("|---|---|---|---|---|")
    for name, x, fn, npf in cases:
        ex = em.array(x)
        em.eval(ex)
        ef = getattr(em.linalg, fn)

        def run_em(ef=ef, ex=ex):
            r = ef(ex)
            em.eval(*(r if isinstance(r, tuple) else (r,)))

        fns = {"ember": run_em, "numpy": lambda npf=npf, x=x: npf(x)}
        if mlx is not None:
            mxx = mlx.array(x)
            mf = getattr(mlx.linalg, fn)

            def run_mx(mf=mf, mxx=mxx):
                r = mf(mxx, stream=mlx.cpu)
                mlx.eval(*(r if isinstance(r, tuple) else (r,)))

            fns["mlx"] = run_mx
        r = measure_all(fns, args.min_time, args.samples)
        cell = lambda k: f"{r[k][0] * 1e3:.3f} ({r[k][1] * 1e3:.3f}) [{r[k][2] * 1e3:.3f}]" if k in r else "-"
        print(f"| {name} | {cell('ember')} | {cell('numpy')} | {cell('mlx')} | {r['numpy'][0] / r['ember'][0]:.2f} |")


if __name__ == "__main__":
    main()
