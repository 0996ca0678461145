"""Timing: warm-up, calibration, then interleaved samples.

Every framework of a case is warmed up (first calls compile, allocate, fill
caches), then calibrated to the number of calls that lasts at least
`min_time` seconds (one sample). Samples are then taken in rounds, one sample
per framework per round, the order rotating each round (A B C, B C A, C A B,
...), so that every framework sees the same machine state and none always goes
first. Per call: median over the samples, spread = (p75 - p25) / median.
"""
import statistics
import time

WARMUP = 2
MAX_INNER = 1 << 24


def calibrate(fn, min_time, warmup=WARMUP):
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
    if dt >= min_time:          # one call already makes a sample
        return 1, dt
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or inner >= MAX_INNER:
            return inner, dt / inner
        grow = 2.0 if dt <= 0 else min(10.0, max(2.0, 1.2 * min_time / dt))
        inner = int(inner * grow) + 1


def sample(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def interleaved(thunks, min_time, samples, budget=None, checked=False):
    """thunks: {name: (fn, k)} where one fn() does k operations.
    Returns {name: {"times": [s per operation], "inner": calls per sample}} or
    {"error": msg} for a framework whose call raised. With a budget (seconds
    per framework), a framework whose samples would take longer gets fewer
    (at least 3; 1 where one call outlasts the budget); it then sits out the
    last rounds."""
    out, live = {}, {}
    for name, (fn, k) in thunks.items():
        try:
            # the output check (worker) has already made one call of each
            inner, per_call = calibrate(fn, min_time, warmup=1 if checked else WARMUP)
            n = samples
            if budget and per_call * inner * samples > budget:
                # fewer samples: at least 3, or 1 where a single call outlasts the budget
                n = max(1 if per_call > budget else 3, int(budget / (per_call * inner)))
            live[name] = (fn, k, inner, n)
            out[name] = {"times": [], "inner": inner, "k": k}
        except Exception as e:  # reported in the table, never fatal
            out[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:160]}
    names = list(live)
    for r in range(samples):
        rot = names[r % len(names):] + names[:r % len(names)] if names else []
        for name in rot:
            fn, k, inner, n = live[name]
            if r < n:
                out[name]["times"].append(sample(fn, inner) / k)
    return out


def smoke(thunks):
    """--dry-run: one call each; {name: None or error}."""
    res = {}
    for name, (fn, _k) in thunks.items():
        try:
            fn()
            res[name] = None
        except Exception as e:
            res[name] = f"{type(e).__name__}: {e}"[:160]
    return res


def stats(times):
    if not times:
        return None
    med = statistics.median(times)
    if len(times) >= 4:
        q = statistics.quantiles(times, n=4)
        spread = (q[2] - q[0]) / med if med > 0 else 0.0
    else:
        spread = (max(times) - min(times)) / med if med > 0 else 0.0
    return {"median": med, "min": min(times), "spread": spread}


def to_numpy(x):
    """A framework's result as a list of NumPy arrays (tuples, lists and dicts
    flattened in order); None for in-place results."""
    import numpy as np
    if x is None or isinstance(x, int) and not isinstance(x, bool):
        return None
    if isinstance(x, (tuple, list)):
        out = []
        for v in x:
            f = to_numpy(v)
            if f is None:
                return None
            out.extend(f)
        return out
    if isinstance(x, dict):
        return to_numpy([x[k] for k in sorted(x)])
    if type(x).__module__.startswith("torch"):
        t = x.detach().cpu()
        dt = str(t.dtype).replace("torch.", "")
        return [np.array(t.tolist(), dtype=dt).reshape(tuple(t.shape))]
    if isinstance(x, float):
        return [np.array(x, dtype=np.float32)]
    return [np.asarray(x)]


def check(thunks, ref_order=("numpy", "ember", "torch", "jax", "mlx")):
    """Fairness check: one call each, outputs compared with the reference's
    (NumPy's where it has the case): same number of outputs, same shapes,
    float32 wherever the reference is float32, values within 1e-3 relative to
    the reference's largest magnitude (BLAS and reduction orders differ).
    Returns (reference, {name: "ok" or what differs})."""
    import numpy as np
    outs = {}
    for name, (fn, _k) in thunks.items():
        try:
            outs[name] = to_numpy(fn())
        except Exception as e:
            outs[name] = f"raised {type(e).__name__}: {e}"[:120]
    ref = next((r for r in ref_order if isinstance(outs.get(r), list)), None)
    if ref is None:
        return None, {}
    res = {}
    for name, got in outs.items():
        if name == ref:
            continue
        if isinstance(got, str) or got is None:
            res[name] = got or "no output"
            continue
        if len(got) != len(outs[ref]):
            res[name] = f"{len(got)} outputs, {ref} has {len(outs[ref])}"
            continue
        bad = []
        for i, (a, b) in enumerate(zip(got, outs[ref])):
            if a.shape != b.shape:
                bad.append(f"output {i}: shape {a.shape} vs {b.shape}")
            elif b.dtype == np.float32 and a.dtype != np.float32:
                bad.append(f"output {i}: dtype {a.dtype}, not float32")
            elif a.size:
                scale = max(1.0, float(np.max(np.abs(b.astype(np.float64)))))
                err = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) / scale
                if not err <= 1e-3:
                    bad.append(f"output {i}: differs by {err:.2g} (relative to max |{ref}|)")
        res[name] = "; ".join(bad) or "ok"
    return ref, res
