"""Writes random_mlx.json: values drawn by MLX 0.32 (CPU) with fixed keys, the
reference of tests/python/test_random.py. Raw bits come from MLX's C++
mlx::core::random::bits (a small program given as argv[1]: `bits SEED N
WIDTH` prints N values), since MLX's Python module has no bits().

    /tmp/oracle/bin/python gen_random_mlx.py /tmp/rnd/bits
"""
import json
import os
import subprocess
import sys

import mlx.core as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BITS = sys.argv[1]


def hexf(a, dt=np.float32):
    """Values as hex strings of their bits (exact, NaN-safe)."""
    a = np.asarray(a)
    if a.dtype == np.float16:
        return [f"{int(v):04x}" for v in a.view(np.uint16).ravel()]
    return [f"{int(v):08x}" for v in a.astype(dt).view(np.uint32).ravel()]


out = {"bits": [], "split": [], "dists": []}
for seed in [0, 1, 42, 123456789, 2**32 + 7, 2**40 + 5, 2**64 - 1]:
    for width in (1, 2, 4):
        for n in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 101]:
            v = subprocess.run([BITS, str(seed), str(n), str(width)], capture_output=True, text=True,
                               check=True).stdout.split()
            out["bits"].append([seed, width, n, [int(x) for x in v]])
    for num in (1, 2, 3, 5):
        out["split"].append([seed, num, np.array(mx.random.split(mx.random.key(seed), num)).tolist()])

K = mx.random.key


def add(name, args, arr):
    a = np.array(arr.astype(mx.float32) if arr.dtype == mx.bfloat16 else arr)
    d = {"name": name, "args": args, "shape": list(a.shape), "dtype": str(arr.dtype).split(".")[-1]}
    if a.dtype.kind == "f":
        d["hex"] = hexf(a, a.dtype if a.dtype != np.float64 else np.float32)
    elif a.dtype.kind == "c":
        d["re"] = hexf(a.real.astype(np.float32))
        d["im"] = hexf(a.imag.astype(np.float32))
    else:
        d["values"] = a.astype(np.int64).ravel().tolist()
    out["dists"].append(d)


dts = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16, "float64": mx.float64,
       "complex64": mx.complex64, "int32": mx.int32, "uint8": mx.uint8, "int16": mx.int16, "bool": mx.bool_}
for seed in [0, 7, 42, 2**33 + 1]:
    for shape in [[], [1], [5], [2, 3], [3, 1, 7], [150]]:
        add("uniform", dict(seed=seed, shape=shape), mx.random.uniform(shape=shape, key=K(seed)))
        add("normal", dict(seed=seed, shape=shape), mx.random.normal(shape=shape, key=K(seed)))
        add("gumbel", dict(seed=seed, shape=shape), mx.random.gumbel(shape=shape, key=K(seed)))
        add("laplace", dict(seed=seed, shape=shape), mx.random.laplace(shape=shape, key=K(seed)))
    for dt in ["float16", "bfloat16"]:
        add("uniform", dict(seed=seed, shape=[50], dtype=dt, low=-3.0, high=2.0),
            mx.random.uniform(-3.0, 2.0, shape=[50], dtype=dts[dt], key=K(seed)))
    for dt in ["float16", "bfloat16", "float64", "complex64"]:
        add("normal", dict(seed=seed, shape=[50], dtype=dt), mx.random.normal(shape=[50], dtype=dts[dt], key=K(seed)))
    add("normal", dict(seed=seed, shape=[20], loc=1.5, scale=0.5),
        mx.random.normal(shape=[20], loc=1.5, scale=0.5, key=K(seed)))
    add("uniform", dict(seed=seed, shape=[2, 40], low=[[-1.0], [10.0]], high=3.0),
        mx.random.uniform(mx.array([[-1.0], [10.0]]), 3.0, shape=[2, 40], key=K(seed)))
    for dt in ["int32", "uint8", "int16", "bool"]:
        add("randint", dict(seed=seed, shape=[200], low=-5 if dt != "uint8" else 0, high=17, dtype=dt),
            mx.random.randint(-5 if dt != "uint8" else 0, 17, shape=[200], dtype=dts[dt], key=K(seed)))
    add("bernoulli", dict(seed=seed, shape=[300], p=0.3), mx.random.bernoulli(0.3, shape=[300], key=K(seed)))
    add("bernoulli", dict(seed=seed, p=[0.1, 0.5, 0.9]), mx.random.bernoulli(mx.array([0.1, 0.5, 0.9]), key=K(seed)))
    add("truncated_normal", dict(seed=seed, lower=-1.0, upper=2.0, shape=[100]),
        mx.random.truncated_normal(-1.0, 2.0, shape=[100], key=K(seed)))
    lg = [[0.1, -1.0, 2.0, 0.5], [3.0, 0.0, 0.0, -2.0], [0.0, 0.0, 0.0, 0.0]]
    add("categorical", dict(seed=seed, logits=lg), mx.random.categorical(mx.array(lg), key=K(seed)))
    add("categorical", dict(seed=seed, logits=lg, axis=0), mx.random.categorical(mx.array(lg), axis=0, key=K(seed)))
    add("categorical", dict(seed=seed, logits=lg, num_samples=50),
        mx.random.categorical(mx.array(lg), num_samples=50, key=K(seed)))
    add("categorical", dict(seed=seed, logits=lg, shape=[6, 3]),
        mx.random.categorical(mx.array(lg), shape=[6, 3], key=K(seed)))
    cov = [[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]]
    add("multivariate_normal", dict(seed=seed, mean=[1.0, -2.0, 0.5], cov=cov, shape=[10]),
        mx.random.multivariate_normal(mx.array([1.0, -2.0, 0.5]), mx.array(cov), shape=[10], key=K(seed)))
    add("permutation", dict(seed=seed, n=20), mx.random.permutation(20, key=K(seed)))
    add("permutation", dict(seed=seed, x=np.arange(12).reshape(3, 4).tolist(), axis=1),
        mx.random.permutation(mx.arange(12).reshape(3, 4), axis=1, key=K(seed)))

# the global key: seed(5), then draws split it
mx.random.seed(5)
seq = [hexf(np.array(mx.random.uniform(shape=[3]))) for _ in range(3)]
out["global"] = {"seed": 5, "uniform3": seq, "state": np.array(mx.random.state[0]).tolist()}

with open(os.path.join(HERE, "random_mlx.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
