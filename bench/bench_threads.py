"""Intra-op threading and the buffer cache, against NumPy and MLX (CPU) in the
same run (issue 6's benchmark; it measures, it is not a test).

    python bench/bench_threads.py [--bin build/bench_threads] [--threads 2] [--quick]

Run it under `taskset -c 0,1` to measure on two cores. Prints one Markdown
report:

  * add, exp and sum over 16 Mi float32 elements: ember with 1 and T threads
    (EMBER_NUM_THREADS, each count in its own process), NumPy (allocating its
    result, and into a preallocated `out=`), MLX; seconds (best of several) and
    GB/s (bytes read + written); the C copy loop of bench_threads.c on 1 and T
    threads as the bandwidth ceiling;
  * the same ops on 16 Ki elements (1 vs T threads: small work must not pay
    for threads; best of three processes each, alternating);
  * 100 iterations of (a * 2 + 1).sum() on 64 MiB arrays: seconds and minor
    page faults, ember with its buffer cache and with the cache limit at 0,
    NumPy, MLX.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIG, SMALL = 16 << 20, 16 << 10
BYTES = {"add": 12, "exp": 8, "sum": 4}  # per element, read + written


def best(fn, reps):
    t = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def chain_timing(run, iters):
    f0, t0 = faults(), time.perf_counter()
    for _ in range(iters):
        run()
    return time.perf_counter() - t0, faults() - f0


# ---------------------------------------------------------------- ember (one process per thread count)

def ember_worker(quick):
    import numpy as np
    import ember.core as mx
    out = {}
    for n in (BIG, SMALL):
        x = np.linspace(0, 1, n, dtype=np.float32)
        a, b = mx.array(x), mx.array(x[::-1].copy())
        mx.eval(a, b)
        reps = (5 if quick else 20) if n == BIG else (200 if quick else 2000)
        ops = {"add": lambda: mx.eval(mx.add(a, b)), "exp": lambda: mx.eval(mx.exp(a)),
               "sum": lambda: mx.eval(mx.sum(a))}
        for name, fn in ops.items():
            fn()
            out[f"{name}/{n}"] = best(fn, reps)
    a = mx.ones((BIG,))
    mx.eval(a)
    run = lambda: (a * 2 + 1).sum().item()
    run()
    iters = 20 if quick else 100
    out["chain/cached"] = chain_timing(run, iters)
    old = mx.set_cache_limit(0)
    mx.clear_cache()
    out["chain/nocache"] = chain_timing(run, iters)
    mx.set_cache_limit(old)
    print(json.dumps(out))


def run_ember(threads, quick):
    env = dict(os.environ, EMBER_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
    args = [sys.executable, os.path.abspath(__file__), "--ember-worker"] + (["--quick"] if quick else [])
    r = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- NumPy and MLX

def numpy_results(quick):
    import numpy as np
    out = {}
    for n in (BIG, SMALL):
        a = np.linspace(0, 1, n, dtype=np.float32)
        b = a[::-1].copy()
        o = np.empty_like(a)
        reps = (5 if quick else 20) if n == BIG else (200 if quick else 2000)
        for name, fn, fo in (("add", lambda: np.add(a, b), lambda: np.add(a, b, out=o)),
                             ("exp", lambda: np.exp(a), lambda: np.exp(a, out=o)),
                             ("sum", lambda: np.sum(a), lambda: np.sum(a))):
            fn()
            out[f"{name}/{n}"] = best(fn, reps)
            out[f"{name}-out/{n}"] = best(fo, reps)
    a = np.ones(BIG, dtype=np.float32)
    out["chain"] = chain_timing(lambda: float((a * 2 + 1).sum()), 20 if quick else 100)
    return out


def mlx_results(quick):
    try:
        import mlx.core as mlx
    except ImportError:
        return None
    import numpy as np
    mlx.set_default_device(mlx.cpu)
    out = {}
    for n in (BIG, SMALL):
        x = np.linspace(0, 1, n, dtype=np.float32)
        a, b = mlx.array(x), mlx.array(x[::-1].copy())
        mlx.eval(a, b)
        reps = (5 if quick else 20) if n == BIG else (200 if quick else 2000)
        for name, fn in (("add", lambda: mlx.eval(mlx.add(a, b))), ("exp", lambda: mlx.eval(mlx.exp(a))),
                         ("sum", lambda: mlx.eval(mlx.sum(a)))):
            fn()
            out[f"{name}/{n}"] = best(fn, reps)
    a = mlx.ones((BIG,))
    mlx.eval(a)
    run = lambda: (a * 2 + 1).sum().item()
    run()
    out["chain"] = chain_timing(run, 20 if quick else 100)
    out["version"] = mlx.__version__
    return out


def copy_loop(binary, threads):
    """GB/s of the C copy loops on 1 and T threads (bench_threads.c): the
    plain loop, and memcpy."""
    if not binary or not os.path.exists(binary):
        return {}, {}
    r = subprocess.run([binary, str(BIG), str(threads)], capture_output=True, text=True, check=True)
    loop, lib = {}, {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if f[0] in ("copy-loop", "memcpy"):
            (loop if f[0] == "copy-loop" else lib)[int(f[1])] = float(f[4])
    return loop, lib


# ---------------------------------------------------------------- report

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bench_threads"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ember-worker", action="store_true")
    opt = ap.parse_args()
    if opt.ember_worker:
        ember_worker(opt.quick)
        return
    T = opt.threads
    e1, eT = run_ember(1, opt.quick), run_ember(T, opt.quick)
    # small arrays again, alternating thread counts (their timings are short
    # and noisy): the best of three processes each
    for _ in range(2):
        r1, rT = run_ember(1, True), run_ember(T, True)
        for op in ("add", "exp", "sum"):
            k = f"{op}/{SMALL}"
            e1[k], eT[k] = min(e1[k], r1[k]), min(eT[k], rT[k])
    npr, mlr = numpy_results(opt.quick), mlx_results(opt.quick)
    cp, mc = copy_loop(opt.bin, T)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# Threads benchmark ({cpus} CPUs usable, T = {T})\n")
    if cp:
        print(f"C copy loop (bench_threads.c, plain loop at -O2): {cp.get(1, 0):.2f} GB/s on 1 thread, "
              f"{cp.get(T, 0):.2f} GB/s on {T}; memcpy: {mc.get(1, 0):.2f} GB/s on 1 thread, "
              f"{mc.get(T, 0):.2f} GB/s on {T}.\n")
    print(f"## {BIG >> 20} Mi float32 elements: seconds (GB/s)\n")
    hdr = (f"| op | ember 1 thread | ember {T} threads | speed-up | % of {T}-thread copy loop |"
           f" % of {T}-thread memcpy | NumPy | NumPy out= |")
    hdr += " MLX |" if mlr else ""
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for op in ("add", "exp", "sum"):
        k = f"{op}/{BIG}"
        gb = lambda t: BYTES[op] * BIG / t * 1e-9
        pct = f"{100 * gb(eT[k]) / cp[T]:.0f} %" if cp.get(T) else "-"
        pcm = f"{100 * gb(eT[k]) / mc[T]:.0f} %" if mc.get(T) else "-"
        row = (f"| {op} | {e1[k]:.4f} ({gb(e1[k]):.1f}) | {eT[k]:.4f} ({gb(eT[k]):.1f}) | "
               f"{e1[k] / eT[k]:.2f}x | {pct} | {pcm} | {npr[k]:.4f} ({gb(npr[k]):.1f}) | "
               f"{npr[op + '-out/' + str(BIG)]:.4f} ({gb(npr[op + '-out/' + str(BIG)]):.1f}) |")
        if mlr:
            row += f" {mlr[k]:.4f} ({gb(mlr[k]):.1f}) |"
        print(row)
    print(f"\n## {SMALL >> 10} Ki float32 elements: microseconds per call\n")
    hdr = f"| op | ember 1 thread | ember {T} threads | NumPy |" + (" MLX |" if mlr else "")
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for op in ("add", "exp", "sum"):
        k = f"{op}/{SMALL}"
        row = f"| {op} | {e1[k] * 1e6:.1f} | {eT[k] * 1e6:.1f} | {npr[k] * 1e6:.1f} |"
        if mlr:
            row += f" {mlr[k] * 1e6:.1f} |"
        print(row)
    iters = 20 if opt.quick else 100
    print(f"\n## {iters} x (a * 2 + 1).sum() on 64 MiB arrays\n")
    print("| | seconds | minor page faults |")
    print("|---|---|---|")
    for name, (t, f) in ((f"ember, cache ({T} threads)", eT["chain/cached"]),
                         (f"ember, cache limit 0 ({T} threads)", eT["chain/nocache"]),
                         ("ember, cache (1 thread)", e1["chain/cached"]),
                         ("NumPy", npr["chain"])) + ((("MLX " + mlr["version"], mlr["chain"]),) if mlr else ()):
        print(f"| {name} | {t:.3f} | {f} |")


if __name__ == "__main__":
    main()
