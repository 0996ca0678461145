#!/usr/bin/env python3
"""bench_io.py -- saving and loading a 1 GiB float32 .safetensors file and a
1 GiB .npy file with ember, NumPy and the `safetensors` package, in one run.

Runs of the libraries alternate; before each, the output file is removed
and dirty pages are flushed (os.sync), so every save starts alike. Each
measurement runs in a fresh child process, which resets its peak RSS
(/proc/self/clear_refs) just before the operation, so the "extra" memory it
reports is the operation's own high-water mark above what the process held:

- save: the array exists before the clock starts; extra = peak RSS during the
  save minus RSS before it (the target: at most 1x the file size).
- load: extra = peak RSS minus RSS before, minus the file size that the loaded
  array itself needs (the target: at most 1x the file size).

"load" is the call alone; "load+read" also reads every element once (a sum),
so that a memory-mapped (lazy) load pays for its page faults there; ratios
compare medians of load+read for loads and of the call for saves. The
fastest run is printed too: on a shared machine it is the steadier figure. Files are
written once and stay in the page cache, for every library alike.

    python bench/bench_io.py [--gib 1] [--runs 3] [--dir /tmp/ember_bench_io]

Needs numpy, safetensors and ember. A benchmark measures; it asserts nothing.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, sys, time
import numpy as np
lib, op, path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def rss():
    with open("/proc/self/status") as f:
        return {l.split(":")[0]: int(l.split()[1]) * 1024 for l in f if l.startswith(("VmRSS", "VmHWM"))}

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

if lib == "ember":
    import ember.core as mx
if op.startswith("save"):
    if lib == "ember":
        x = mx.arange(n, dtype=mx.float32)
        mx.eval(x)
    else:
        x = np.arange(n, dtype=np.float32)
if lib == "safetensors":
    from safetensors.numpy import load_file, save_file

reset_peak()
before = rss()["VmRSS"]
t0 = time.perf_counter()
if op == "save_npy":
    if lib == "ember": mx.save(path, x)
    else: np.save(path, x)
elif op == "save_st":
    if lib == "ember": mx.save_safetensors(path, {"w": x})
    else: save_file({"w": x}, path)
else:
    if op.endswith("npy"):
        y = mx.load(path) if lib == "ember" else np.load(path)
    else:
        y = mx.load(path)["w"] if lib == "ember" else load_file(path)["w"]
    t1 = time.perf_counter()
    s = float(mx.sum(y).item()) if lib == "ember" else float(y.sum(dtype=np.float32))
t2 = time.perf_counter()
peak = rss()["VmHWM"]
out = {"time": (t1 if op.startswith("load") else t2) - t0, "extra": peak - before}
if op.startswith("load"):
    out["time_read"] = t2 - t0
print(json.dumps(out))
"""

CASES = [
    ("save_npy", ["ember", "numpy"]),
    ("load_npy", ["ember", "numpy"]),
    ("save_st", ["ember", "safetensors"]),
    ("load_st", ["ember", "safetensors"]),
]


def run(lib, op, path, n):
    # every save starts from the same state: no old file to truncate, no dirty
    # pages of an earlier run still being written back
    if op.startswith("save") and os.path.exists(path):
        os.unlink(path)
    os.sync()
    r = subprocess.run([sys.executable, "-c", CHILD, lib, op, path, str(n)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/ember_bench_io")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    n = int(args.gib * (1 << 30)) // 4
    size = n * 4
    files = {"npy": os.path.join(args.dir, "x.npy"), "st": os.path.join(args.dir, "x.safetensors")}
    # the files every load reads: written once by NumPy / the package
    run("numpy", "save_npy", files["npy"], n)
    run("safetensors", "save_st", files["st"], n)
    print(f"# ember file I/O: {size / 2**30:.2f} GiB float32, median of {args.runs} runs "
          f"({os.cpu_count()} CPUs)\n")
    print("| operation | library | time (s) | load+read (s) | fastest run (s) | extra memory (x file) | ember / best |")
    print("|---|---|---|---|---|---|---|")
    for op, libs in CASES:
        kind = op.split("_")[1]
        results = {}
        runs = {lib: [] for lib in libs}
        for _ in range(args.runs):   # interleaved, so that drifts hit every library alike
            for lib in libs:
                path = files[kind] if op.startswith("load") else os.path.join(args.dir, f"out_{lib}.{kind}")
                runs[lib].append(run(lib, op, path, n))
        for lib in libs:
            rs = runs[lib]
            t = statistics.median(r["time"] for r in rs)
            tr = statistics.median(r.get("time_read", r["time"]) for r in rs)
            extra = max(r["extra"] for r in rs) - (size if op.startswith("load") else 0)
            fastest = min(r.get("time_read", r["time"]) for r in rs)
            results[lib] = (t, tr, extra, fastest)
        key = 1 if op.startswith("load") else 0
        best = min(v[key] for lib, v in results.items() if lib != "ember")
        for lib in libs:
            t, tr, extra, fastest = results[lib]
            ratio = f"{results['ember'][key] / best:.2f}" if lib == "ember" else ""
            read = f"{tr:.3f}" if op.startswith("load") else ""
            print(f"| {op.replace('_st', '_safetensors')} | {lib} | {t:.3f} | {read} | {fastest:.3f} | "
                  f"{max(extra, 0) / size:.2f} | {ratio} |")
    for f in os.listdir(args.dir):
        os.unlink(os.path.join(args.dir, f))
    os.rmdir(args.dir)


if __name__ == "__main__":
    main()
