#!/usr/bin/env python3
"""run.py -- ember's core benchmark against NumPy, as one Markdown table.

Runs the C benchmark (bench_core) one case at a time and, right after each,
NumPy's equivalent of the same case in this process, timed the same way
(warm-up, samples of at least --min-time seconds, the median), so both see the
same machine state. Prints the machine (CPU count, OpenBLAS threads and core,
OPENBLAS_CORETYPE as found: it is never set here) and a table with
ember vs NumPy ratios and each case's fraction of the C copy loop's bandwidth.

    python bench/run.py [--bin build/bench_core] [--quick] [--out FILE.md]

Needs only NumPy. A benchmark measures; it asserts nothing.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit("run.py needs NumPy: run it with a Python that has numpy installed")


def measure(fn, min_time, samples):
    """Median seconds per call of fn(), as bench_core measures."""
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or inner >= 1 << 40:
            break
        inner *= int(min(100.0, max(2.0, 1.5 * min_time / dt))) if dt > 0 else 100
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return statistics.median(ts)


def filled(n, base):
    """The values bench_core's inputs hold."""
    return (base + (np.arange(n, dtype=np.int64) % 1000) * np.float32(1e-3)).astype(np.float32)


def numpy_case(name, n):
    """(callable, description) of NumPy's equivalent of a bench_core case."""
    if name == "matmul":
        a = filled(n * n, 0.5).reshape(n, n)
        b = filled(n * n, -0.25).reshape(n, n)
        return (lambda: a @ b), "a @ b"
    x, y, z = filled(n, 0.5), filled(n, -0.25), np.zeros(n, np.float32)
    if name == "copy_loop":
        return (lambda: np.copyto(z, x)), "np.copyto(z, x)"
    if name == "triad_loop":
        def triad():
            np.multiply(y, np.float32(3), out=z)
            np.add(z, x, out=z)
        return triad, "z = 3*y (out=z); z += x"
    if name == "add":
        return (lambda: np.add(x, y)), "np.add(x, y)"
    if name == "multiply":
        return (lambda: np.multiply(x, y)), "np.multiply(x, y)"
    if name == "exp":
        return (lambda: np.exp(x)), "np.exp(x)"
    if name == "sum":
        return (lambda: np.sum(x)), "np.sum(x)"
    if name == "record_add":
        return (lambda: np.add(x, y)), "np.add(x, y), eager"
    raise ValueError(name)


def run_c(binary, args):
    r = subprocess.run([binary] + args, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"{binary} {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def numpy_threads():
    """NumPy's BLAS and its thread count, as far as can be told."""
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg.get("Build Dependencies", {}).get("blas", {})
        blas = f"{b.get('name', '?')} {b.get('version', '')}".strip()
    except Exception:
        pass
    threads = "unknown"
    try:
        import threadpoolctl
        info = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if info:
            return blas, ", ".join(f"{p.get('internal_api')} {p.get('num_threads')}" for p in info)
    except ImportError:
        pass
    # Without threadpoolctl: ask the OpenBLAS that NumPy loaded (Linux).
    try:
        import ctypes
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "openblas" in line.lower()}
        for path in sorted(libs):
            lib = ctypes.CDLL(path)
            for sym in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                        "openblas_get_num_threads"):
                if hasattr(lib, sym):
                    return blas, str(getattr(lib, sym)())
    except OSError:
        pass
    return blas, threads


def human_n(n):
    for unit, k in (("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= k and n % k == 0:
            return f"{n // k} {unit}"
    return str(n)


def human_t(t):
    if t != t:
        return "failed"
    for unit, k in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if t >= k:
            return f"{t / k:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin", default=os.path.join(here, "..", os.environ.get("BUILD", "build"), "bench_core"),
                    help="the bench_core binary (default: build/bench_core)")
    ap.add_argument("--min-time", type=float, default=0.02, help="seconds per timing sample")
    ap.add_argument("--samples", type=int, default=7, help="timing samples per case (median reported)")
    ap.add_argument("--quick", action="store_true", help="short samples, no 16 Mi or 2048^3 cases")
    ap.add_argument("--out", help="also write the report to this Markdown file")
    args = ap.parse_args()
    if args.quick:
        args.min_time, args.samples = 0.005, 3
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"no benchmark binary at {args.bin}: build it first (cmake --build build)")
    timing = ["--min-time", str(args.min_time), "--samples", str(args.samples)]

    info = {}
    for line in run_c(args.bin, ["--info"] + timing).splitlines():
        if line.startswith("# "):
            k, _, v = line[2:].partition(" ")
            info[k] = v
    cases = []
    for line in run_c(args.bin, ["--list"]).splitlines():
        name, n = line.split("\t")
        n = int(n)
        if args.quick and ((name == "matmul" and n > 1024) or n > 1 << 22):
            continue
        cases.append((name, n))

    rows, notes = [], []
    for name, n in cases:
        out = run_c(args.bin, ["--case", name, str(n)] + timing)
        t_c, nbytes, flops = float("nan"), 0.0, 0.0
        for line in out.splitlines():
            if line.startswith("#"):
                notes.append(f"{name} {human_n(n)}: {line[1:].strip()}")
            elif line.strip():
                _, _, t, b, f = line.split("\t")
                t_c, nbytes, flops = float(t), float(b), float(f)
        fn, desc = numpy_case(name, n)
        fn()
        t_np = measure(fn, args.min_time, args.samples)
        rows.append(dict(name=name, n=n, t_c=t_c, t_np=t_np, bytes=nbytes, flops=flops, desc=desc))
        print(f"  {name:11s} {human_n(n):>6s}  ember {human_t(t_c):>9s}  numpy {human_t(t_np):>9s}",
              file=sys.stderr, flush=True)

    copy_bw = {r["n"]: r["bytes"] / r["t_c"] for r in rows if r["name"] == "copy_loop" and r["t_c"] > 0}
    blas, np_threads = numpy_threads()
    lines = []
    lines.append("# ember core benchmark vs NumPy\n")
    lines.append(f"- machine: {platform.machine()}, {info.get('cpus_online', '?')} CPUs online, "
                 f"{platform.system()} {platform.release()}")
    lines.append(f"- OPENBLAS_CORETYPE: {os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
                 "(as found; this script never sets it)")
    lines.append(f"- ember: {info.get('ember', '?')}; threads: {info.get('ember_threads', '?')}; "
                 f"{info.get('openblas_config', 'OpenBLAS ?')}, core {info.get('openblas_corename', '?')}, "
                 f"{info.get('openblas_threads', '?')} threads")
    lines.append(f"- NumPy {np.__version__} ({blas}); BLAS threads: {np_threads}; "
                 f"Python {platform.python_version()}")
    lines.append(f"- OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
                 f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}")
    lines.append(f"- timing: median of {args.samples} samples of >= {args.min_time} s each, after warm-up; "
                 "each case runs in C, then in NumPy, before the next case")
    lines.append("- speedup = NumPy time / ember time (above 1: ember is faster); "
                 "% copy BW = the case's bytes per second over the C copy loop's at the same size\n")
    lines.append("| case | n | ember | NumPy | ember rate | NumPy rate | speedup | ember % copy BW | NumPy % copy BW |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t_c, t_np = r["t_c"], r["t_np"]
        ok = t_c == t_c and t_c > 0
        speed = f"{t_np / t_c:.2f}x" if ok else "-"
        if r["name"] == "matmul":
            n = r["n"]
            rate_c = f"{r['flops'] / t_c / 1e9:.1f} GFLOP/s" if ok else "-"
            rate_np = f"{r['flops'] / t_np / 1e9:.1f} GFLOP/s"
            case, size, fc, fnp = f"matmul float32", f"{n}^3", "", ""
        elif r["name"] == "record_add":
            rate_c = f"{t_c * 1e9:.0f} ns/op" if ok else "-"
            rate_np = f"{t_np * 1e9:.0f} ns/call"
            case, size, fc, fnp, speed = "record one em_add (no eval)", human_n(r["n"]), "", "", "-"
        else:
            bw = copy_bw.get(r["n"])
            gb_c = r["bytes"] / t_c / 1e9 if ok else None
            gb_np = r["bytes"] / t_np / 1e9
            el_c = f"{r['n'] / t_c / 1e9:.2f} Gel/s, " if ok else ""
            rate_c = f"{el_c}{gb_c:.1f} GB/s" if ok else "-"
            rate_np = f"{r['n'] / t_np / 1e9:.2f} Gel/s, {gb_np:.1f} GB/s"
            fc = f"{100 * gb_c * 1e9 / bw:.0f}%" if ok and bw else "-"
            fnp = f"{100 * gb_np * 1e9 / bw:.0f}%" if bw else "-"
            case, size = r["name"] + (" float32" if r["name"] not in ("copy_loop", "triad_loop") else " (C)"), human_n(r["n"])
        lines.append(f"| {case} | {size} | {human_t(t_c)} | {human_t(t_np)} | {rate_c} | {rate_np} | "
                     f"{speed} | {fc} | {fnp} |")
    lines.append("")
    lines.append("NumPy's side of each case: " + "; ".join(
        sorted({f"{r['name']}: `{r['desc']}`" for r in rows})) + ".")
    if notes:
        lines.append("\nNotes from bench_core:\n")
        lines.extend(f"- {n}" for n in notes)
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
