#!/usr/bin/env python3
"""bench_conv.py -- ember's conv2d against MLX's CPU build and PyTorch (CPU),
in one run, as one Markdown table.

Cases: the issue's conv2d of a (16, 32, 32, 64) float32 input (NHWC) with a
(64, 3, 3, 64) kernel, padding 1, forward, and forward + backward
(value_and_grad of sum(conv2d(x, w)) with respect to x and w); plus a strided and
a grouped case. Each framework works on the same data in its own array type
(PyTorch in NCHW, its native layout); a call includes evaluation. Timing:
warm-up calls, then samples of at least --min-time seconds taken in turn by
the frameworks; best and median per call are reported, ratios use the best.

    python bench/bench_conv.py [--min-time 0.2] [--samples 7]

NumPy has no convolution (a direct NumPy loop would only measure Python).
MLX is optional (put the site-packages of an install on PYTHONPATH, e.g.
/tmp/oracle/lib/python3.11/site-packages). PyTorch runs in this interpreter
when it imports torch, else in a child process of --torch-python (default
/usr/bin/python3) that times the same cases and hands back its figures;
missing, it is reported as absent. A benchmark measures; it asserts nothing.
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

try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None
if __name__ == "__main__" and "--child" in sys.argv:
    em = mlx = None  # the PyTorch child needs neither
else:
    import ember.core as em
    try:
        import mlx.core as mlx
    except ImportError:  # pragma: no cover - optional
        mlx = None


def calibrate(fn, min_time):
    for _ in range(2):
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


CASES = [
    ("conv2d 16x32x32x64, k3x3x64->64, pad 1", (16, 32, 32, 64), (64, 3, 3, 64),
     dict(padding=1)),
    ("conv2d 16x64x64x32, k3x3x32->64, stride 2, pad 1", (16, 64, 64, 32), (64, 3, 3, 32),
     dict(stride=2, padding=1)),
    ("conv2d 8x32x32x64, k3x3, groups 4, pad 1", (8, 32, 32, 64), (64, 3, 3, 16),
     dict(padding=1, groups=4)),
]


def frameworks(x, w, kw):
    """{name: (forward, forward+backward)} callables."""
    out = {}
    if em is None:
        return torch_fns(x, w, kw)
    ex, ew = em.array(x), em.array(w)
    em.eval(ex, ew)
    eg = em.value_and_grad(lambda a, b: em.sum(em.conv2d(a, b, **kw)), argnums=(0, 1))
    out["ember"] = (lambda: em.eval(em.conv2d(ex, ew, **kw)), lambda: em.eval(eg(ex, ew)))
    if mlx is not None:
        mxx, mxw = mlx.array(x), mlx.array(w)
        mlx.eval(mxx, mxw)
        mg = mlx.value_and_grad(lambda a, b: mlx.sum(mlx.conv2d(a, b, **kw)), argnums=(0, 1))

        def mfwd():
            with mlx.stream(mlx.cpu):
                mlx.eval(mlx.conv2d(mxx, mxw, **kw))

        def mbwd():
            with mlx.stream(mlx.cpu):
                mlx.eval(mg(mxx, mxw))

        out["mlx"] = (mfwd, mbwd)
    if torch is not None:
        out.update(torch_fns(x, w, kw))
    return out


def torch_fns(x, w, kw):
    out = {}
    if torch is not None:
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        tw = torch.from_numpy(np.ascontiguousarray(w.transpose(0, 3, 1, 2)))
        tkw = dict(stride=kw.get("stride", 1), padding=kw.get("padding", 0),
                   groups=kw.get("groups", 1))
        f = torch.nn.functional.conv2d

        def tfwd():
            with torch.no_grad():
                f(tx, tw, **tkw)

        def tbwd():
            a = tx.clone().requires_grad_(True)
            b = tw.clone().requires_grad_(True)
            f(a, b, **tkw).sum().backward()

        out["torch"] = (tfwd, tbwd)
    return out


def torch_child(args):
    """The PyTorch figures from another interpreter: {case index: [(best,
    median) forward, (best, median) forward+backward]}, or None."""
    cmd = [args.torch_python, os.path.abspath(__file__), "--child", "--min-time",
           str(args.min_time), "--samples", str(args.samples)]
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
        res = json.loads(r.stdout.strip().splitlines()[-1])
        return res["results"], res["version"]
    except Exception:  # pragma: no cover - optional
        return None, None


def child(args):
    torch.set_num_threads(os.cpu_count())  # as many threads as ember's pool
    rng = np.random.default_rng(0)
    res = {}
    for i, (name, xs, ws, kw) in enumerate(CASES):
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) * 0.1).astype(np.float32)
        fw = torch_fns(x, w, kw)["torch"]
        res[i] = [measure_all({"torch": fw[p]}, args.min_time, args.samples)["torch"]
                  for p in range(2)]
    print(json.dumps({"results": res, "version": f"{torch.__version__} "
                      f"({torch.get_num_threads()} threads)"}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=0.2)
    ap.add_argument("--samples", type=int, default=7)
    ap.add_argument("--torch-python", default="/usr/bin/python3")
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        return child(args)
    tres, tver = (None, None) if torch is not None else torch_child(args)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
          f"(ember threads: {os.environ.get('EMBER_NUM_THREADS', 'default')}); "
          f"mlx {mlx.__version__ if mlx else 'absent'}; "
          f"torch {torch.__version__ + ' (' + str(torch.get_num_threads()) + ' threads)' if torch else tver or 'absent'}")
    print()
    print("Times in ms per call: best of the samples (median in parentheses).")
    print()
    print("| case | pass | ember | MLX cpu | PyTorch cpu | MLX / ember | PyTorch / ember |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for i, (name, xs, ws, kw) in enumerate(CASES):
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) * 0.1).astype(np.float32)
        fw = frameworks(x, w, kw)
        for p, pname in enumerate(("forward", "forward+backward")):
            r = measure_all({k: v[p] for k, v in fw.items()}, args.min_time, args.samples)
            if tres is not None:
                r["torch"] = tuple(tres[str(i)][p])
            cell = lambda k: f"{r[k][0] * 1e3:.2f} ({r[k][1] * 1e3:.2f})" if k in r else "-"
            ratio = lambda k: f"{r[k][0] / r['ember'][0]:.2f}" if k in r else "-"
            print(f"| {name} | {pname} | {cell('ember')} | {cell('mlx')} | {cell('torch')} | "
                  f"{ratio('mlx')} | {ratio('torch')} |", flush=True)


if __name__ == "__main__":
    main()
