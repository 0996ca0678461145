#!/usr/bin/env python3
"""bench_fast.py -- mlx.core.fast's rms_norm and scaled_dot_product_attention:
ember's fused kernels against ember's own unfused composition, NumPy, MLX's
CPU build and PyTorch (each when importable), in one run, one Markdown table.

Shapes are LLM-like: rms_norm of (batch*seq, hidden) = (2048, 4096) float32
and (2048, 4096) float16; attention with B=1, 32 query heads, 8 KV heads
(grouped-query), head dim 128, L=S=512 (causal) and a decode step L=1,
S=2048. A call includes evaluation. Best of --samples samples per framework,
taken in turn; ratios are the others' best over ember fused's best.

    python bench/bench_fast.py [--min-time 0.05] [--samples 5]

MLX: `import mlx.core` (e.g. PYTHONPATH=/tmp/oracle/lib/python3.X/site-packages).
A benchmark measures; it asserts nothing.
"""
import argparse
import math
import time

import numpy as np

import ember.core as em

try:
    import mlx.core as mlx
except ImportError:  # pragma: no cover - optional
    mlx = None
try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None


def best_time(fn, min_time, samples):
    for _ in range(2):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        inner *= 2
    best = math.inf
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def em_rms_unfused(x, w, eps):
    xf = x.astype(em.float32)
    y = xf * em.rsqrt(em.mean(em.square(xf), axis=-1, keepdims=True) + eps)
    return w * y.astype(x.dtype)


def em_sdpa_unfused(q, k, v, scale, causal):
    rep = q.shape[1] // k.shape[1]
    k, v = em.repeat(k, rep, axis=1), em.repeat(v, rep, axis=1)
    s = (q * scale) @ k.swapaxes(-1, -2)
    if causal:
        L, S = s.shape[-2:]
        s = em.where(em.arange(L)[:, None] + S - L >= em.arange(S)[None], s, -math.inf)
    return em.softmax(s, axis=-1) @ v


def np_rms(x, w, eps):
    xf = x.astype(np.float32)
    return (w * (xf / np.sqrt((xf * xf).mean(-1, keepdims=True) + eps))).astype(x.dtype)


def np_sdpa(q, k, v, scale, causal):
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, 1), np.repeat(v, rep, 1)
    s = (q * scale) @ k.swapaxes(-1, -2)
    if causal:
        L, S = s.shape[-2:]
        s = np.where(np.arange(L)[:, None] + S - L >= np.arange(S)[None], s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def cases():
    rng = np.random.default_rng(0)
    for dt in ("float32", "float16"):
        x = rng.standard_normal((2048, 4096)).astype(dt)
        w = rng.standard_normal(4096).astype(dt)
        yield f"rms_norm (2048,4096) {dt}", "rms", (x, w)
    for L, S, causal in ((512, 512, True), (1, 2048, False)):
        q = rng.standard_normal((1, 32, L, 128)).astype(np.float32)
        k = rng.standard_normal((1, 8, S, 128)).astype(np.float32)
        v = rng.standard_normal((1, 8, S, 128)).astype(np.float32)
        yield f"sdpa GQA 32/8 heads d=128 L={L} S={S}{' causal' if causal else ''}", "sdpa", (q, k, v, causal)


def fns_for(kind, data):
    out = {}
    if kind == "rms":
        x, w = data
        ex, ew = em.array(x), em.array(w)
        out["ember fused"] = lambda: em.eval(em.fast.rms_norm(ex, ew, 1e-5))
        out["ember unfused"] = lambda: em.eval(em_rms_unfused(ex, ew, 1e-5))
        out["numpy"] = lambda: np_rms(x, w, 1e-5)
        if mlx is not None:
            mx_, mw = mlx.array(x), mlx.array(w)
            out["mlx cpu"] = lambda: mlx.eval(mlx.fast.rms_norm(mx_, mw, 1e-5, stream=mlx.cpu))
        if torch is not None and hasattr(torch.nn.functional, "rms_norm"):
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            out["torch"] = lambda: torch.nn.functional.rms_norm(tx, (x.shape[-1],), tw, 1e-5)
    else:
        q, k, v, causal = data
        scale = 1 / math.sqrt(q.shape[-1])
        eq, ek, ev = em.array(q), em.array(k), em.array(v)
        mask = "causal" if causal else None
        out["ember fused"] = lambda: em.eval(em.fast.scaled_dot_product_attention(eq, ek, ev, scale=scale, mask=mask))
        out["ember unfused"] = lambda: em.eval(em_sdpa_unfused(eq, ek, ev, scale, causal))
        out["numpy"] = lambda: np_sdpa(q, k, v, scale, causal)
        if mlx is not None:
            mq, mk, mv = mlx.array(q), mlx.array(k), mlx.array(v)
            out["mlx cpu"] = lambda: mlx.eval(mlx.fast.scaled_dot_product_attention(
                mq, mk, mv, scale=scale, mask=mask, stream=mlx.cpu))
        if torch is not None:
            tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
            out["torch"] = lambda: torch.nn.functional.scaled_dot_product_attention(
                tq, tk, tv, is_causal=causal and q.shape[2] == k.shape[2], scale=scale, enable_gqa=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--min-time", type=float, default=0.05)
    ap.add_argument("--samples", type=int, default=5)
    a = ap.parse_args()
    names = ["ember fused", "ember unfused", "numpy", "mlx cpu", "torch"]
    print("| case | " + " | ".join(f"{n} (ms)" for n in names) + " | " +
          " | ".join(f"{n} / fused" for n in names[1:]) + " |")
    print("|---" * (2 * len(names)) + "|")
    for title, kind, data in cases():
        fns = fns_for(kind, data)
        t = {}
        for n, f in fns.items():
            try:
                t[n] = best_time(f, a.min_time, a.samples)
            except Exception as e:  # a framework without the op: skip it
                t[n] = None
                print(f"<!-- {n}: {type(e).__name__}: {e} -->")
        cell = lambda n: f"{t[n] * 1e3:.3f}" if t.get(n) else "-"
        ratio = lambda n: f"{t[n] / t['ember fused']:.2f}" if t.get(n) and t.get("ember fused") else "-"
        print(f"| {title} | " + " | ".join(cell(n) for n in names) + " | " +
              " | ".join(ratio(n) for n in names[1:]) + " |")


if __name__ == "__main__":
    main()
