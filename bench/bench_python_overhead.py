"""Per-op overhead from Python (issue 3's benchmark): mx.add on tiny arrays,
recording only and with mx.eval, for ember.core, MLX's CPU build (when
importable) and NumPy, plus the zero-copy conversion of an evaluated
1000x1000 float32 array to NumPy. A benchmark, never a test.

    python bench/bench_python_overhead.py            # frameworks importable here
    python bench/bench_python_overhead.py --json     # one JSON line (for merging runs)

Each framework runs in the interpreter that has it; to compare with MLX from
another virtual environment, run the script in both and pass the second run's
JSON line with --other FILE."""
import argparse
import json
import statistics
import sys
import time


def timeit(fn, n, repeats=7):
    best = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t) / n)
    return statistics.median(best)


def measure(name, mod):
    out = {}
    if name == "numpy":
        a, b = mod.ones(4, mod.float32), mod.ones(4, mod.float32)
        out["add (eager)"] = timeit(lambda: mod.add(a, b), 20000)
        return out
    a = mod.array([1.0, 2.0, 3.0, 4.0])
    b = mod.array([1.0, 2.0, 3.0, 4.0])
    mod.eval(a, b)
    out["add, record only"] = timeit(lambda: mod.add(a, b), 20000)

    def with_eval():
        c = mod.add(a, b)
        mod.eval(c)
    out["add + eval"] = timeit(with_eval, 20000)
    return out


def zero_copy(mx, np):
    a = mx.ones((1000, 1000))
    mx.eval(a)
    view = np.array(a, copy=False)
    t = timeit(lambda: np.array(a, copy=False), 2000)
    base = np.asarray(memoryview(a))
    return {"shares memory": bool(np.shares_memory(view, base)), "seconds": t}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--other", help="a JSON line written by --json in another environment")
    args = ap.parse_args()
    results = {}
    import numpy as np
    results["numpy " + np.__version__] = measure("numpy", np)
    try:
        import ember.core as em
        results["ember " + em.__version__] = measure("ember", em)
        results["_zero_copy"] = zero_copy(em, np)
    except ImportError:
        pass
    try:
        import mlx.core as mlx
        results["mlx " + mlx.__version__] = measure("mlx", mlx)
    except ImportError:
        pass
    if args.json:
        print(json.dumps(results))
        return
    if args.other:
        with open(args.other) as f:
            results.update({k: v for k, v in json.loads(f.read()).items() if k not in results})
    zc = results.pop("_zero_copy", None)
    print(f"Python {sys.version.split()[0]}; median of 7 runs; times per call")
    print("| framework | case | time |")
    print("|---|---|---|")
    for fw, cases in results.items():
        for case, t in cases.items():
            print(f"| {fw} | {case} | {t * 1e9:.0f} ns |")
    if zc:
        print(f"\nnp.array(a, copy=False) of an evaluated 1000x1000 float32 ember array: "
              f"{zc['seconds'] * 1e9:.0f} ns, shares memory: {zc['shares memory']}")


if __name__ == "__main__":
    main()
