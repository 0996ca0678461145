"""bench_exp.py -- float32 exp (issue 2's "exp at least 4x NumPy"), ember
against NumPy (and MLX's CPU build when importable), interleaved.

For each size and each ember thread count, the rounds alternate: one
`bench_core --case exp N` run (a median of short samples) with
EMBER_NUM_THREADS set, then NumPy's np.exp(x) timed the same way in this
process, then MLX. The best round of each is kept (the machine is shared:
the least disturbed round is the closest to what the code costs) and the
ratio NumPy / ember reported. NumPy's exp is single-threaded.

    python bench/bench_exp.py [--bin build/bench_core] [--threads 1,2] [--rounds 5]
                              [--case exp] [--out FILE.md]
Run it under `taskset -c 0,1` to restrict it to two cores.
"""
import argparse
import ctypes
import os
import platform
import subprocess
import sys
import time

import numpy as np

try:
    import mlx.core as mx
except ImportError:  # MLX is optional
    mx = None

SIZES = [1 << k for k in (10, 12, 14, 16, 18, 20, 22, 24)]


def measure(fn, min_time=0.01, samples=5):
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        if time.perf_counter() - t0 >= min_time / 4 or inner >= 1 << 20:
            break
        inner *= 4
    res = []
    for _ in range(samples):
        k = 0
        t0 = time.perf_counter()
        while True:
            fn()
            k += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        res.append(dt / k)
    res.sort()
    return res[len(res) // 2]


def ember(binary, case, n, threads, min_time):
    env = dict(os.environ, EMBER_NUM_THREADS=str(threads))
    r = subprocess.run([binary, "--case", case, str(n), "--min-time", str(min_time), "--samples", "5"],
                       capture_output=True, text=True, env=env)
    for line in r.stdout.splitlines():
        if line and not line.startswith("#"):
            return float(line.split("\t")[2])
    return float("nan")


def numpy_fn(case, n):
    x = (0.5 + (np.arange(n, dtype=np.int64) % 1000) * np.float32(1e-3)).astype(np.float32)
    y = (-0.25 + (np.arange(n, dtype=np.int64) % 1000) * np.float32(1e-3)).astype(np.float32)
    return {"exp": lambda: np.exp(x), "add": lambda: np.add(x, y),
            "multiply": lambda: np.multiply(x, y), "sum": lambda: np.sum(x)}[case], x, y


def mlx_fn(case, x, y):
    if mx is None:
        return None
    a, b = mx.array(x), mx.array(y)
    mx.eval(a, b)
    f = {"exp": lambda: mx.exp(a), "add": lambda: a + b, "multiply": lambda: a * b,
         "sum": lambda: mx.sum(a)}[case]
    return lambda: mx.eval(f())


def ceiling_fn(x, threads, stream=False):
    """The C copy loop of bench/native/ceiling.c (OpenMP, `threads` threads
    from 256 Ki elements up) over x: the same bytes an exp moves, read once
    and written once (with non-temporal stores when `stream`); None when it
    cannot be built."""
    os.environ["OMP_NUM_THREADS"] = str(threads)  # read when libgomp loads
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cli import build_ceiling
    so, err = build_ceiling()
    if not so:
        print(f"bench_exp: no C ceiling ({err})", file=sys.stderr)
        return None
    lib = ctypes.CDLL(so)
    fn = lib.copy_stream_loop if stream else lib.copy_loop
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_int]
    raw = np.empty(x.size + 16, dtype=np.float32)  # dst 64-byte aligned
    off = (-raw.ctypes.data % 64) // 4
    dst = raw[off:off + x.size]
    reps = max(1, (1 << 20) // x.size)
    return lambda: fn(dst.ctypes.data, x.ctypes.data, x.size, reps), reps


def human(t):
    for unit, s in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= s:
            return f"{t / s:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "build", "bench_core"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--case", default="exp")
    ap.add_argument("--min-time", type=float, default=0.01)
    ap.add_argument("--sizes", default="", help="comma-separated element counts (default 1 Ki .. 16 Mi)")
    ap.add_argument("--ceiling", type=int, default=2, metavar="T",
                    help="also time the C copy loop on T threads (0: do not)")
    ap.add_argument("--out")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else SIZES
    load0 = os.getloadavg()
    head = [f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, "
            f"affinity {sorted(os.sched_getaffinity(0))}, {platform.node()}",
            f"- NumPy {np.__version__}; MLX {mx.__version__ if mx else 'not importable'}",
            f"- best of {a.rounds} interleaved rounds; each round a median of 5 samples of {a.min_time} s",
            f"- load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}"]
    cols = [f"ember {t}T" for t in threads] + ["NumPy"] + (["MLX"] if mx else [])
    copy_col = f"C copy {a.ceiling}T" if a.ceiling else None
    stream_col = f"C stream-copy {a.ceiling}T" if a.ceiling else None
    if copy_col:
        cols += [copy_col, stream_col]
        head.append(f"- {copy_col}: bench/native/ceiling.c's plain copy loop over the same n "
                    f"float32 (read once, written once: an exp's traffic), OpenMP on {a.ceiling} "
                    "threads from 256 Ki elements; 4x NumPy is out of any exp's reach where "
                    "NumPy / 4 is less than this")
        head.append(f"- {stream_col}: the same copy with non-temporal stores (no read for "
                    "ownership of the output), the least traffic of any out-of-place op "
                    "whose arrays do not fit in the caches")
    rows = []
    for n in sizes:
        fn_np, x, y = numpy_fn(a.case, n)
        fn_mx = mlx_fn(a.case, x, y)
        cfn = ceiling_fn(x, a.ceiling) if copy_col else None
        sfn = ceiling_fn(x, a.ceiling, stream=True) if copy_col else None
        best = {c: float("inf") for c in cols}
        for _ in range(a.rounds):
            for t in threads:
                best[f"ember {t}T"] = min(best[f"ember {t}T"], ember(a.bin, a.case, n, t, a.min_time))
            best["NumPy"] = min(best["NumPy"], measure(fn_np, a.min_time))
            if fn_mx:
                best["MLX"] = min(best["MLX"], measure(fn_mx, a.min_time))
            if copy_col:
                best[copy_col] = min(best[copy_col], measure(cfn[0], a.min_time) / cfn[1]) if cfn else float("nan")
                best[stream_col] = min(best[stream_col], measure(sfn[0], a.min_time) / sfn[1]) if sfn else float("nan")
        rows.append((n, best))
        print(f"{a.case} {n:>9d} " + "  ".join(f"{c} {human(best[c])}" for c in cols) + "  " +
              "  ".join(f"x{best['NumPy'] / best[f'ember {t}T']:.2f}@{t}T" for t in threads), flush=True)
    load1 = os.getloadavg()
    head.append(f"- load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    md = ["\n".join(head), "",
          "| n | " + " | ".join(cols) + " | " + " | ".join(f"NumPy / ember {t}T" for t in threads) + " |",
          "|---" * (1 + len(cols) + len(threads)) + "|"]
    for n, best in rows:
        md.append(f"| {n} | " + " | ".join(human(best[c]) for c in cols) + " | " +
                  " | ".join(f"{best['NumPy'] / best[f'ember {t}T']:.2f}x" for t in threads) + " |")
    text = "\n".join(md) + "\n"
    print(text)
    if a.out:
        with open(a.out, "a") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
