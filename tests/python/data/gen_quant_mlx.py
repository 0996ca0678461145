"""Generates quant_mlx.npz: MLX's packed weights, scales, biases, dequantized
values and quantized_matmul products for fixed inputs, so test_quant.py can
check ember bit for bit. Run with the oracle's Python (numpy + mlx):
    /tmp/oracle/bin/python tests/python/data/gen_quant_mlx.py
"""
import os

import mlx.core as mx
import numpy as np

rng = np.random.default_rng(1234)
out = {}


def put(key, a):
    out[key] = np.array(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a)


for dt in ["float32", "float16", "bfloat16"]:
    for bits in [1, 2, 3, 4, 5, 6, 8]:
        for gs in [32, 64, 128]:
            w = (rng.standard_normal((8, 256)) * rng.uniform(0.01, 4.0, (8, 1))).astype(np.float32)
            w[0, :gs] = 0.0                     # an all-zero group
            w[1, :gs] = np.abs(w[1, :gs])        # a one-signed group
            w[2, :gs] = 1.5                      # a constant group
            x = rng.standard_normal((3, 256)).astype(np.float32)
            xt = rng.standard_normal((2, 8)).astype(np.float32)
            key = f"{dt}_b{bits}_g{gs}"
            out[key + "_w"] = w
            out[key + "_x"] = x
            out[key + "_xt"] = xt
            mw = mx.array(w).astype(getattr(mx, dt))
            q, s, b = mx.quantize(mw, gs, bits)
            put(key + "_q", q)
            put(key + "_s", s)
            put(key + "_b", b)
            put(key + "_deq", mx.dequantize(q, s, b, gs, bits))
            xx = mx.array(x).astype(getattr(mx, dt))
            put(key + "_mm", mx.quantized_matmul(xx, q, s, b, True, gs, bits))
            put(key + "_mmt", mx.quantized_matmul(mx.array(xt).astype(getattr(mx, dt)), q, s, b, False, gs, bits))

v = np.concatenate([
    np.array([0, -0.0, 1e-9, 2**-10, 2**-9 * 1.5, 2**-9 * 2.5, 0.1, 1, 1.0625, 1.0626, 240, 447,
              448, 449, 464, 465, 500, 1e6, -1, np.inf, -np.inf, np.nan], np.float32),
    (rng.standard_normal(500) * 50).astype(np.float32),
    (rng.standard_normal(200) * 0.01).astype(np.float32)])
out["fp8_in"] = v
out["fp8_codes"] = np.array(mx.to_fp8(mx.array(v)))
out["fp8_back"] = np.array(mx.from_fp8(mx.array(np.arange(256, dtype=np.uint8)), dtype=mx.float32))

np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "quant_mlx.npz"), **out)
print(len(out), "arrays")
