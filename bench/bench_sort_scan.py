#!/usr/bin/env python3
"""bench_sort_scan.py -- ember's sort, argsort, topk, cumsum, take and
scatter-add against NumPy, MLX's CPU build and PyTorch (when importable), in
one run, as one Markdown table with ratios to ember.

Cases (issue 7): 1 Mi float32 elements (2^20, random normal): sort, argsort,
topk with k = 10 and k = 1000, cumsum, take of 1 Mi random int32 indices
(`mx.take(a, idx)`), and scatter-add of 1 Mi values at 1 Mi random indices
(`a.at[idx].add(v)`). Also sort along the last axis of a (1024, 1024) array
(1024 independent rows, the thread pool's case).

NumPy's topk is np.partition(a, -k)[-k:]; PyTorch's is torch.topk; its
scatter-add index_add_ on a clone. MLX runs in its own interpreter when it
is not importable here (default /tmp/oracle/bin/python; --mlx-python),
which times the same cases on the same data and reports back as JSON.

Timing: warm-up calls, then samples of at least --min-time seconds; the best
and the median per call are reported (a shared machine's noise mostly
lengthens the median). The frameworks take turns for --rounds rounds, each
keeping its best round. A benchmark measures; it asserts nothing.

    python bench/bench_sort_scan.py [--min-time 0.2] [--samples 5] [--rounds 2] [--out FILE]
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

N = 1 << 20
CASES = ["sort", "argsort", "topk k=10", "topk k=1000", "cumsum", "take", "scatter-add",
         "sort rows 1024x1024"]


def data():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(N).astype(np.float32)
    idx = rng.integers(0, N, N).astype(np.int32)
    v = rng.standard_normal(N).astype(np.float32)
    return a, idx, v


def time_fn(fn, min_time, samples):
    for _ in range(3):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        inner *= 2
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return min(ts), statistics.median(ts)


def mlx_like_cases(mx):
    """The cases for ember.core or mlx.core (same API)."""
    a_np, idx_np, v_np = data()
    a, idx, v = mx.array(a_np), mx.array(idx_np), mx.array(v_np)
    rows = mx.reshape(a, (1024, 1024))
    mx.eval(a, idx, v, rows)

    def ev(f):
        return lambda: mx.eval(f())
    return {
        "sort": ev(lambda: mx.sort(a)),
        "argsort": ev(lambda: mx.argsort(a)),
        "topk k=10": ev(lambda: mx.topk(a, 10)),
        "topk k=1000": ev(lambda: mx.topk(a, 1000)),
        "cumsum": ev(lambda: mx.cumsum(a)),
        "take": ev(lambda: mx.take(a, idx)),
        "scatter-add": ev(lambda: a.at[idx].add(v)),
        "sort rows 1024x1024": ev(lambda: mx.sort(rows, axis=-1)),
    }


def numpy_cases():
    a, idx, v = data()
    rows = a.reshape(1024, 1024)

    def scat():
        b = a.copy()
        np.add.at(b, idx, v)
        return b
    return {
        "sort": lambda: np.sort(a),
        "argsort": lambda: np.argsort(a, kind="stable"),
        "topk k=10": lambda: np.partition(a, -10)[-10:],
        "topk k=1000": lambda: np.partition(a, -1000)[-1000:],
        "cumsum": lambda: np.cumsum(a),
        "take": lambda: np.take(a, idx),
        "scatter-add": scat,
        "sort rows 1024x1024": lambda: np.sort(rows, axis=-1),
    }


def torch_cases(torch):
    a_np, idx_np, v_np = data()
    a, idx, v = torch.from_numpy(a_np), torch.from_numpy(idx_np.astype(np.int64)), torch.from_numpy(v_np)
    rows = a.reshape(1024, 1024)
    return {
        "sort": lambda: torch.sort(a, stable=True),
        "argsort": lambda: torch.argsort(a, stable=True),
        "topk k=10": lambda: torch.topk(a, 10),
        "topk k=1000": lambda: torch.topk(a, 1000),
        "cumsum": lambda: torch.cumsum(a, 0),
        "take": lambda: torch.take(a, idx),
        "scatter-add": lambda: a.clone().index_add_(0, idx, v),
        "sort rows 1024x1024": lambda: torch.sort(rows, dim=-1),
    }


def run_cases(cases, min_time, samples):
    return {k: time_fn(f, min_time, samples) for k, f in cases.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.2)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mlx-python", default="/tmp/oracle/bin/python")
    ap.add_argument("--worker", choices=["mlx"], help=argparse.SUPPRESS)
    ap.add_argument("--out")
    args = ap.parse_args()

    if args.worker == "mlx":
        import mlx.core as mlx
        mlx.set_default_device(mlx.cpu)
        print(json.dumps(run_cases(mlx_like_cases(mlx), args.min_time, args.samples)))
        return

    import ember.core as em
    try:
        import mlx.core as mlx
        mlx.set_default_device(mlx.cpu)
    except ImportError:
        mlx = None
    try:
        import torch
    except ImportError:
        torch = None

    def mlx_run():
        if mlx is not None:
            return run_cases(mlx_like_cases(mlx), args.min_time, args.samples)
        if not os.path.exists(args.mlx_python):
            return None
        out = subprocess.run([args.mlx_python, os.path.abspath(__file__), "--worker", "mlx",
                              "--min-time", str(args.min_time), "--samples", str(args.samples)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print("mlx worker failed:", out.stderr[-2000:], file=sys.stderr)
            return None
        return {k: tuple(v) for k, v in json.loads(out.stdout).items()}

    runners = {"ember": lambda: run_cases(mlx_like_cases(em), args.min_time, args.samples),
               "numpy": lambda: run_cases(numpy_cases(), args.min_time, args.samples),
               "mlx": mlx_run}
    if torch is not None:
        runners["torch"] = lambda: run_cases(torch_cases(torch), args.min_time, args.samples)
    # The frameworks take turns, --rounds times, and keep their best round:
    # on a shared machine the load changes between rounds.
    results = {}
    for _ in range(args.rounds):
        for name, run in runners.items():
            r = run()
            if r is None:
                continue
            old = results.get(name)
            results[name] = r if old is None else {c: min(old[c], r[c]) for c in r}

    names = list(results)
    lines = [f"# sort/scan benchmark: {platform.node()}, {os.cpu_count()} CPUs, "
             f"EMBER_NUM_THREADS={os.environ.get('EMBER_NUM_THREADS', 'all')}", "",
             "Best (median) ms per call; ratio = other's best / ember's best (> 1: ember faster).", "",
             "| case | " + " | ".join(names) + " | " + " | ".join(f"{n}/ember" for n in names[1:]) + " |",
             "|---|" + "---|" * (2 * len(names) - 1)]
    for c in CASES:
        cells = [f"{results[n][c][0] * 1e3:.3f} ({results[n][c][1] * 1e3:.3f})" for n in names]
        ratios = [f"{results[n][c][0] / results['ember'][c][0]:.2f}" for n in names[1:]]
        lines.append(f"| {c} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
