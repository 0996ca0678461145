"""One process per thread count: pins itself to the first T allowed CPUs,
sets every library's thread knob to T before importing any of them, runs the
chosen cases interleaved across frameworks and writes JSON results.

    python -m bench.worker --threads 1 --json out.json [--quick] [--dry-run] [--device cpu]

Run by bench/cli.py; not meant to be called by hand (but it can be).
"""
import argparse
import json
import os
import sys
import time


def pin(threads, device):
    """Affinity and thread knobs; returns what was set (for the report).
    OPENBLAS_CORETYPE is only read, never set."""
    allowed = sorted(os.sched_getaffinity(0))
    if threads > len(allowed):
        sys.exit(f"bench: {threads} threads asked, {len(allowed)} CPUs allowed")
    cpus = allowed[:threads]
    if device == "cpu":
        os.sched_setaffinity(0, cpus)
    found = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                            "MKL_NUM_THREADS", "EMBER_NUM_THREADS", "XLA_FLAGS")}
    for k in ("EMBER_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(threads)
    return {"cpus": cpus if device == "cpu" else allowed, "env_found": found,
            "env_set": {k: str(threads) for k in ("EMBER_NUM_THREADS", "OMP_NUM_THREADS",
                                                   "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    ap.add_argument("--cases", default="")
    ap.add_argument("--frameworks", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=9)
    ap.add_argument("--budget", type=float, default=None, help="seconds of samples per framework and size")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    setting = pin(a.threads, a.device)

    from bench import frameworks, harness
    from bench.cases import all_cases

    fws = frameworks.load(a.device, a.threads, [f for f in a.frameworks.split(",") if f] or None)
    live = {k: v for k, v in fws.items() if v.available()}
    meta = {"threads": a.threads, "loadavg_start": os.getloadavg(), "device": a.device, **setting,
            "frameworks": {k: {"version": v.version if v.available() else None, "why_not": v.why_not}
                           for k, v in fws.items()},
            "blas": frameworks.blas_info()}
    if "ember" in live:
        em = live["ember"].mod
        if hasattr(em, "get_num_threads"):
            meta["ember_threads"] = em.get_num_threads()
    if "torch" in live:
        meta["torch_threads"] = live["torch"].mod.get_num_threads()
    # frameworks that cannot run here get an "n/a" column with the reason
    unavailable = {k: v.why_not or "not available" for k, v in fws.items() if not v.available()}
    want = [c for c in a.cases.split(",") if c]
    results = []
    for case in all_cases():
        if want and case.name not in want and case.group not in want:
            continue
        sizes = case.quick_sizes if a.quick else case.sizes
        if a.dry_run:
            sizes = sizes[:1]
        for size in sizes:
            t0 = time.perf_counter()
            case.missing = {}
            try:
                thunks = case.setup(live, size)
            except Exception as e:
                results.append({"case": case.name, "group": case.group, "size": repr(size),
                                "label": case.label(size), "error": f"setup: {type(e).__name__}: {e}"})
                print(f"  [{a.threads}T] {case.name} {case.label(size)}: setup failed: {e}", file=sys.stderr)
                continue
            cref, checked = (harness.check(thunks) if getattr(case, "check", True) else (None, {}))
            if a.dry_run:
                res = {k: ({"error": v} if v else {"times": [], "ok": True}) for k, v in harness.smoke(thunks).items()}
            else:
                res = harness.interleaved(thunks, a.min_time, a.samples, a.budget, checked=cref is not None)
            for v in res.values():
                if "times" in v and v["times"]:
                    v.update(harness.stats(v["times"]))
            row = {"case": case.name, "group": case.group, "size": repr(size), "label": case.label(size),
                   "unit": case.unit, "ref": case.ref, "results": res, "missing": {**unavailable, **case.missing},
                   "check_ref": cref, "check": checked,
                   "bytes": case.bytes_per(size) if case.bytes_per else None,
                   "flops": case.flops_per(size) if case.flops_per else None}
            results.append(row)
            done = ", ".join(f"{k} {v['median'] * 1e6:.3g}us" if "median" in v else
                             f"{k} {'ok' if v.get('ok') else v.get('error', '?')}" for k, v in res.items())
            wrong = [f"{k}: {v}" for k, v in checked.items() if v != "ok"]
            if wrong:
                done += " | CHECK vs " + str(cref) + ": " + "; ".join(wrong)
            print(f"  [{a.threads}T] {case.name:11s} {case.label(size):>26s}: {done} "
                  f"({time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
            thunks = None
    meta["loadavg_end"] = os.getloadavg()
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f)


if __name__ == "__main__":
    main()
