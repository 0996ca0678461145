"""bench_sort.py -- 1-D sort (and argsort) of float32 and int32, 1 Ki .. 16 Mi
elements: ember against NumPy (its AVX-512 x86-simd-sort), MLX's CPU build
and PyTorch when importable, in one run, with ratios.

Each framework sorts the same random data; every timing is the best of
`--repeats` calls after a warm-up (the machine is shared: the least disturbed
call is the closest to what the code costs). ember runs with one thread
(EMBER_NUM_THREADS=1; a single line is never split anyway). MLX runs in a
child process of the interpreter given by --mlx-python (default: the
oracle's), on the same data (same seed).

    python bench/bench_sort.py [--sizes 10,12,...] [--repeats 9] [--arg]
                               [--mlx-python /tmp/oracle/bin/python] [--out FILE.md]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

DTYPES = ["float32", "int32"]


def data(dtype, n):
    rng = np.random.default_rng(n)
    if dtype == "float32":
        return rng.standard_normal(n).astype(np.float32)
    return rng.integers(-(2**31), 2**31 - 1, n, dtype=np.int32)


def best_ms(fn, repeats):
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def run_numpy(x, arg, repeats):
    f = np.argsort if arg else np.sort
    return best_ms(lambda: f(x), repeats)


def run_ember(x, arg, repeats):
    import ember.core as em

    a = em.array(x)
    em.eval(a)
    f = em.argsort if arg else em.sort
    out = f(a)
    em.eval(out)
    got = np.array(out)
    want = np.argsort(x, kind="stable") if arg else np.sort(x)
    assert np.array_equal(got.astype(want.dtype), want), "ember's result differs from NumPy's"
    return best_ms(lambda: em.eval(f(a)), repeats)


def run_mlx(x, arg, repeats):
    import mlx.core as mx

    mx.set_default_device(mx.cpu)
    a = mx.array(x)
    mx.eval(a)
    f = mx.argsort if arg else mx.sort
    return best_ms(lambda: mx.eval(f(a)), repeats)


def run_torch(x, arg, repeats):
    import torch

    torch.set_num_threads(1)
    t = torch.from_numpy(x.copy())
    f = torch.argsort if arg else (lambda v: torch.sort(v).values)
    return best_ms(lambda: f(t), repeats)


def cases(args):
    return [(dt, 1 << k) for dt in DTYPES for k in args.sizes]


def worker(args):
    """Child mode: MLX timings as JSON on stdout."""
    out = {}
    for dt, n in cases(args):
        out[f"{dt}:{n}"] = run_mlx(data(dt, n), args.arg, args.repeats)
    print(json.dumps(out))


def fmt(ms):
    return "n/a" if ms is None else f"{ms:.3f}"


def ratio(other, ember):
    return "n/a" if other is None else f"{other / ember:.2f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10,12,14,16,18,20,22,24",
                   type=lambda s: [int(v) for v in s.split(",")])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--arg", action="store_true", help="argsort instead of sort")
    p.add_argument("--mlx-python", default="/tmp/oracle/bin/python")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out")
    args = p.parse_args()
    if args.worker:
        return worker(args)
    os.environ.setdefault("EMBER_NUM_THREADS", "1")

    mlx = {}
    if args.mlx_python and os.path.exists(args.mlx_python):
        cmd = [args.mlx_python, __file__, "--worker", "--repeats", str(args.repeats),
               "--sizes", ",".join(map(str, args.sizes))] + (["--arg"] if args.arg else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            mlx = json.loads(r.stdout.strip().splitlines()[-1])
        else:
            print("MLX run failed:", r.stderr[-500:], file=sys.stderr)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False

    op = "argsort" if args.arg else "sort"
    lines = [f"# {op} of 1-D float32 / int32: ember vs NumPy {np.__version__}, MLX CPU, PyTorch",
             "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs; best of {args.repeats} calls, ms; "
             "ratio = other / ember (> 1: ember faster). ember single-threaded.",
             "",
             "| dtype | n | ember | numpy | mlx | torch | numpy/ember | mlx/ember | torch/ember |",
             "|---|---|---|---|---|---|---|---|---|"]
    for dt, n in cases(args):
        x = data(dt, n)
        e = run_ember(x, args.arg, args.repeats)
        npm = run_numpy(x, args.arg, args.repeats)
        m = mlx.get(f"{dt}:{n}")
        t = run_torch(x, args.arg, args.repeats) if have_torch else None
        lines.append(f"| {dt} | {n} | {fmt(e)} | {fmt(npm)} | {fmt(m)} | {fmt(t)} | "
                     f"{ratio(npm, e)} | {ratio(m, e)} | {ratio(t, e)} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
