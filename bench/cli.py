"""`python -m bench`: ember against NumPy, MLX (CPU), JAX and PyTorch, one run.

    python -m bench                  # the full suite, threads 1 and 2 (~15 minutes on 2 cores)
    python -m bench --quick          # fewer sizes, shorter samples (under 3 minutes)
    python -m bench --quick --dry-run   # every case once per framework, no timing, no report
    python -m bench --device gpu     # the same cases on a CUDA GPU (PyTorch, JAX), with this Python
    python -m bench --cases matmul,mlp_step --threads 1

On the CPU it first makes or updates its own environment (bench/setup_env.sh:
bench/.venv with pinned NumPy, mlx[cpu], jax[cpu], matplotlib; Debian's
python3-torch; ember built from this checkout), then re-runs itself with
that environment's Python. With --device gpu, or --no-setup, it runs with the
Python it was started with. The report goes to
bench/results/<date>-<machine>.md, plots beside it.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")


def cpu_info():
    model, flags = platform.processor() or "?", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("?", "", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
            mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    simd = ", ".join(x for x in ("avx2", "fma", "avx512f", "avx512bw", "amx_tile") if x in flags) or "-"
    return model, simd, mem


def machine_slug(model, ncpu, device):
    words = re.sub(r"\(R\)|\(TM\)|CPU|Processor|@.*", "", model).lower().split()
    slug = "-".join(w for w in words if re.match(r"^[a-z0-9-]+$", w))[:40] or "cpu"
    return f"{slug}-{ncpu}cpu" + ("-gpu" if device == "gpu" else "")


def build_ceiling():
    out = os.path.join(HERE, ".build", "libceiling.so")
    src = os.path.join(HERE, "native", "ceiling.c")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out, None
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-o", out, src]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"{' '.join(cmd)} failed: {r.stderr.strip()[:200]}"
    return out, None


def setup_env(argv):
    """Make bench/.venv current, then run this command again inside it."""
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    r = subprocess.run([os.path.join(HERE, "setup_env.sh")])
    if r.returncode != 0:
        sys.exit(f"bench: bench/setup_env.sh failed ({r.returncode})")
    os.chdir(ROOT)
    os.execv(py, [py, "-m", "bench"] + argv + ["--no-setup"])


def parse(argv):
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes, shorter samples (< 3 minutes)")
    ap.add_argument("--dry-run", action="store_true", help="run each case once per framework; no timing, no report")
    ap.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    ap.add_argument("--threads", default=None, help="thread counts, comma-separated (default 1,2 on the CPU)")
    ap.add_argument("--cases", default="", help="case or group names, comma-separated (default: all)")
    ap.add_argument("--frameworks", default="", help="subset of ember,numpy,mlx,jax,torch")
    ap.add_argument("--min-time", type=float, default=None, help="seconds per sample (0.05; 0.01 quick)")
    ap.add_argument("--samples", type=int, default=None, help="samples per framework (9; 5 quick)")
    ap.add_argument("--out", default=None, help="report path (default bench/results/<date>-<machine>.md)")
    ap.add_argument("--machine", default=None, help="machine name in the report's file name")
    ap.add_argument("--no-setup", action="store_true", help="use this Python as is (no bench/.venv)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    return ap.parse_args(argv)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    a = parse(argv)
    if a.list:
        from bench.cases import all_cases
        for c in all_cases():
            print(f"{c.group:12s} {c.name:12s} {', '.join(c.label(s) for s in c.sizes)}")
        return 0
    if not a.no_setup and a.device == "cpu":
        setup_env(argv)
    ncpu = len(os.sched_getaffinity(0))
    if a.threads:
        threads = [int(t) for t in a.threads.split(",")]
    else:
        threads = [1, 2] if a.device == "cpu" and ncpu >= 2 else [1] if a.device == "cpu" else [ncpu]
    threads = [t for t in threads if t <= ncpu] or [1]
    min_time = a.min_time or (0.01 if a.quick else 0.05)
    samples = a.samples or (5 if a.quick else 9)

    env = dict(os.environ)
    ceiling_so, ceiling_err = (build_ceiling() if a.device == "cpu" else (None, "CPU only"))
    if ceiling_so:
        env["BENCH_CEILING_SO"] = ceiling_so
    else:
        print(f"bench: no C ceiling ({ceiling_err})", file=sys.stderr)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")

    t_start = time.time()
    runs, metas = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for t in threads:
            js = os.path.join(tmp, f"t{t}.json")
            cmd = [sys.executable, "-m", "bench.worker", "--threads", str(t), "--device", a.device,
                   "--cases", a.cases, "--frameworks", a.frameworks, "--min-time", str(min_time),
                   "--samples", str(samples), "--json", js]
            cmd += ["--budget", str(1.0 if a.quick else 4.0)]
            cmd += ["--quick"] if a.quick else []
            cmd += ["--dry-run"] if a.dry_run else []
            print(f"bench: {t} thread{'s' if t > 1 else ''} ...", file=sys.stderr, flush=True)
            r = subprocess.run(cmd, cwd=ROOT, env=env)
            if r.returncode != 0:
                sys.exit(f"bench: worker for {t} threads failed ({r.returncode})")
            with open(js) as f:
                d = json.load(f)
            runs.append((t, d["results"]))
            metas.append(d["meta"])
    elapsed = time.time() - t_start

    if a.dry_run:
        bad = [(t, r["case"], f, v["error"]) for t, rows in runs for r in rows
               for f, v in r.get("results", {}).items() if "error" in v]
        bad += [(t, r["case"], "setup", r["error"]) for t, rows in runs for r in rows if "error" in r]
        fw = metas[0]["frameworks"]
        print("bench --dry-run: frameworks: " + ", ".join(
            f"{k} {v['version']}" if v["version"] else f"{k}: {v['why_not']}" for k, v in fw.items()))
        ncases = len({r["case"] for _, rows in runs for r in rows})
        for b in bad:
            print(f"  FAILED [{b[0]}T] {b[1]} {b[2]}: {b[3]}")
        print(f"bench --dry-run: {ncases} cases x {len(threads)} thread counts started in {elapsed:.0f} s; "
              f"{len(bad)} failures")
        return 1 if bad else 0

    from bench import report
    from bench.cases import all_cases
    model, simd, mem = cpu_info()
    today = datetime.date.today().isoformat()
    name = a.machine or machine_slug(model, ncpu, a.device)
    out = a.out or os.path.join(HERE, "results", f"{today}-{name}{'-quick' if a.quick else ''}.md")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    m0 = metas[0]
    fwl = "; ".join(f"{k} {v['version']}" if v["version"] else f"{k}: {v['why_not']}"
                    for k, v in m0["frameworks"].items())
    hdr = [f"# ember benchmark, {today}{' (--quick)' if a.quick else ''}{' (GPU)' if a.device == 'gpu' else ''}", "",
           f"- CPU: {model}; {os.cpu_count()} CPUs in the machine, {ncpu} allowed to this run; SIMD: {simd}; "
           f"memory {mem}; {platform.system()} {platform.release()}",
           f"- Python {platform.python_version()} ({sys.executable.replace(ROOT + os.sep, '')}); {fwl}"]
    if a.device == "gpu":
        hdr.append(f"- GPU: {gpu_name()}")
    for m in metas:
        hdr.append(f"- {m['threads']} thread{'s' if m['threads'] > 1 else ''}: CPUs {m['cpus']} (affinity); "
                   f"set {', '.join(f'{k}={v}' for k, v in m['env_set'].items())}, torch.set_num_threads"
                   f"({m['threads']}); torch reports {m.get('torch_threads', '-')}; BLAS: {m['blas']}; "
                   "load average (1, 5, 15 min) at start " + ", ".join(f"{x:.1f}" for x in m["loadavg_start"])
                   + ", at end " + ", ".join(f"{x:.1f}" for x in m["loadavg_end"]))
    found = m0["env_found"]
    hdr.append("- As found (never changed): OPENBLAS_CORETYPE=" + (found.get("OPENBLAS_CORETYPE") or "(unset)")
               + "; before the run: " + ", ".join(f"{k}={v or '(unset)'}" for k, v in found.items()
                                                  if k != "OPENBLAS_CORETYPE"))
    hdr.append(f"- Timing: warm-up, then {samples} samples (fewer, at least 3 or 1 if one call takes longer, where they would last over "
               f"{1.0 if a.quick else 4.0} s) of >= {min_time} s per framework, taken"
               " in rotating interleaved order (A B C, B C A, ...); median per op and spread (IQR / median). "
               "Every call forces its result (eval / block_until_ready / eager; torch.cuda.synchronize on a GPU). "
               "Same float32 inputs (NumPy, fixed seeds) everywhere. bench/README.md states the rules.")
    hdr.append(f"- Command: `python -m bench {' '.join(shlex.quote(x) for x in argv if x != '--no-setup')}`; "
               f"{elapsed / 60:.1f} minutes")
    path, summ = report.write(out, hdr, runs, all_cases(), a.device)
    print("\n".join(summ))
    print(f"bench: report written to {os.path.relpath(path, os.getcwd())}")
    return 0


def gpu_name():
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=20)
        return r.stdout.strip().replace("\n", "; ") or "?"
    except (OSError, subprocess.SubprocessError):
        return "? (nvidia-smi not found)"
