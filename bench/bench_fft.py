#!/usr/bin/env python3
"""bench_fft.py -- ember's FFT against NumPy (pocketfft) and MLX's CPU build, in
one run, as one Markdown table.

Cases (the issue's): complex64 FFTs of 2^10, 2^20 and 10^6 (not a power of
two) points, and the rfft of a 1024 x 1024 float32 batch (along the last
axis). Each framework transforms the same data, already in its own array
type; a call includes evaluation (ember: mx.eval, MLX: mx.eval on the CPU
stream) and the output allocation. Timing: warm-up calls, then samples of at
least --min-time seconds taken in turn by the three frameworks; the best and
the median per call are reported, and the ratios use the best.

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


def cases():
    rng = np.random.default_rng(0)
    for n in (1 << 10, 1 << 20, 10**6):
        x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
        yield f"fft c64 n={n}", x, "fft"
    x = rng.standard_normal((1024, 1024)).astype(np.float32)
    yield "rfft f32 1024x1024 (last axis)", x, "rfft"
    # beyond the list: a 2-d transform (its second pass runs down columns)
    x = (rng.standard_normal((1024, 1024)) + 1j * rng.standard_normal((1024, 1024))).astype(np.complex64)
    yield "fft2 c64 1024x1024", x, "fft2"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=11)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}; mlx {mlx.__version__ if mlx else 'absent'}")
    print()
    print("Times in ms per call: best wall-clock time of the samples (median in parentheses;")
    print("CPU time of the process, best sample, in brackets).")
    print()
    print("| case | ember | NumPy | MLX cpu | NumPy / ember | MLX / ember |")
    print("|---|---|---|---|---|---|")
    for name, x, kind in cases():
        ex = em.array(x)
        em.eval(ex)
        ef, nf = getattr(em.fft, kind), getattr(np.fft, kind)
        fns = {"ember": lambda: em.eval(ef(ex)), "numpy": lambda: nf(x)}
        if mlx is not None:
            mxx = mlx.array(x)
            mlx.eval(mxx)
            mf = getattr(mlx.fft, kind)
            fns["mlx"] = lambda: mlx.eval(mf(mxx, stream=mlx.cpu))
        r = measure_all(fns, args.min_time, args.samples)
        cell = lambda k: f"{r[k][0] * 1e3:.3f} ({r[k][1] * 1e3:.3f}) [{r[k][2] * 1e3:.3f}]" if k in r else "-"
        ratio = lambda k: f"{r[k][0] / r['ember'][0]:.2f}" if k in r else "-"
        print(f"| {name} | {cell('ember')} | {cell('numpy')} | {cell('mlx')} | {ratio('numpy')} | {ratio('mlx')} |")


if __name__ == "__main__":
    main()
