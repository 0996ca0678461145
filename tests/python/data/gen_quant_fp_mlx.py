"""Generates quant_fp_mlx.npz: MLX's packed codes, scales, dequantized values
and products for the floating-point quantization modes (mxfp4, mxfp8, nvfp4)
on fixed inputs with the awkward cases (zeros, -0, code ties, exact powers of
two and their neighbours, huge, subnormal, NaN, inf), so test_quant_fp.py can
check ember bit for bit. Run with the oracle's Python (numpy + mlx):
    /tmp/oracle/bin/python tests/python/data/gen_quant_fp_mlx.py
"""
import os

import mlx.core as mx
import numpy as np

rng = np.random.default_rng(4321)
out = {}
MODES = {"mxfp4": 32, "mxfp8": 32, "nvfp4": 16}
DTYPES = ["float32", "float16", "bfloat16"]


def put(key, a):
    out[key] = np.array(a.astype(mx.float32) if a.dtype in (mx.bfloat16, mx.float16) else a)


def special_rows(gs):
    """8 rows of 256 with a special group or two each, the rest random."""
    K = 256
    w = (rng.standard_normal((8, K)) * rng.uniform(0.01, 4.0, (8, 1))).astype(np.float32)
    w[0, :gs] = 0.0
    w[0, gs:2 * gs] = -0.0
    w[0, 2 * gs:2 * gs + 4] = [-0.0, 0.0, -1e-3, 1e-3]
    ties = np.array([0, .25, .5, .75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 1.0625], np.float32)
    t = np.concatenate([ties, -ties])[:gs]
    w[1, :gs] = t
    w[1, gs:2 * gs] = t * np.float32(2.0 ** -5)
    w[1, 2 * gs:3 * gs] = np.resize(np.float32([448, 1.0625, 1.1875, 0.015625, 0.0146484375, 240, 232, -13]), gs)
    w[2, :4] = [3e38, 1e38, -2e38, 1.0]
    w[2, gs:gs + 4] = [1e-40, -3e-41, 1e-45, 0.0]
    w[2, 2 * gs:2 * gs + 2] = [1e-30, -2e-31]
    w[2, 3 * gs:3 * gs + 2] = [65504.0, -70000.0]
    w[3, 1] = np.nan
    w[3, gs + 2] = np.inf
    w[3, 2 * gs + 3] = -np.inf
    w[3, 3 * gs:4 * gs] = 0.0
    w[3, 3 * gs] = np.nan
    for g in range(K // gs):  # amax exactly 6 * 2^k / 448 * 2^k and one ulp around
        k = g % 12 - 6
        base = np.float32(6.0 * 2.0 ** k) if g % 2 else np.float32(448.0 * 2.0 ** k)
        v = [base, np.nextafter(base, np.float32(np.inf)), np.nextafter(base, np.float32(0))][g % 3]
        w[4, g * gs:(g + 1) * gs] *= np.float32(0.1)
        w[4, g * gs] = v
    w[5] *= np.float32(1e-3)
    w[6] *= np.float32(1e3)
    return w


for mode, gs in MODES.items():
    for dt in DTYPES:
        d = getattr(mx, dt)
        key = f"{mode}_{dt}"
        w = special_rows(gs)
        x = rng.standard_normal((3, 256)).astype(np.float32)
        xt = rng.standard_normal((2, 8)).astype(np.float32)
        out[key + "_w"], out[key + "_x"], out[key + "_xt"] = w, x, xt
        mw = mx.array(w).astype(d)
        q, s = mx.quantize(mw, mode=mode)
        put(key + "_q", q)
        put(key + "_s", s)
        put(key + "_deq", mx.dequantize(q, s, mode=mode, dtype=mx.float32))
        put(key + "_deqd", mx.dequantize(q, s, mode=mode, dtype=d))
        # products on the finite rows (NaN rows make whole columns NaN)
        qf, sf = q[4:], s[4:]
        put(key + "_mm", mx.quantized_matmul(mx.array(x).astype(d), qf, sf, mode=mode))
        put(key + "_mmt", mx.quantized_matmul(mx.array(xt[:, :4]).astype(d), qf, sf, transpose=False, mode=mode))
        # qqmm: MLX's CPU build evaluates a single row against a packed w
        put(key + "_qq", mx.qqmm(mx.array(x[:1]).astype(d), qf, sf, mode=mode))
    if mode == "nvfp4":
        w = special_rows(gs)
        w[3] = rng.standard_normal(256)  # finite
        g = np.float32(np.abs(w[np.isfinite(w)]).max() / 3.0)
        out["gs_w"], out["gs_g"] = w, np.array(g, np.float32)
        q, s = mx.quantize(mx.array(w), mode=mode, global_scale=mx.array(g))
        put("gs_q", q)
        put("gs_s", s)
        put("gs_deq", mx.dequantize(q, s, mode=mode, global_scale=mx.array(g), dtype=mx.float32))
        x = rng.standard_normal((1, 256)).astype(np.float32)
        gx = np.float32(np.abs(x).max())
        out["gs_x"], out["gs_gx"] = x, np.array(gx, np.float32)
        put("gs_qq", mx.qqmm(mx.array(x), q[4:], s[4:], mode=mode, global_scale_x=mx.array(gx),
                             global_scale_w=mx.array(g)))

# wide-range random groups (10^-8 .. 10^8: saturated and subnormal scales)
wide = (rng.standard_normal((512, 64)) * 10.0 ** rng.uniform(-8, 8, (512, 1))).astype(np.float32)
wide[::7, 3] = np.round(wide[::7, 3] * 8) / 8
out["wide_w"] = wide
for mode in MODES:
    for dt in DTYPES:
        q, s = mx.quantize(mx.array(wide).astype(getattr(mx, dt)), mode=mode)
        put(f"wide_{mode}_{dt}_q", q)
        put(f"wide_{mode}_{dt}_s", s)

# gather_qmm over 3 experts with indices, per mode; nvfp4 also with global scales
for mode, gs in MODES.items():
    W = rng.standard_normal((3, 8, 64)).astype(np.float32)
    x = rng.standard_normal((4, 1, 64)).astype(np.float32)
    idx = np.array([2, 0, 1, 2], np.uint32)
    q, s = mx.quantize(mx.array(W), mode=mode)
    key = f"gqmm_{mode}"
    out[key + "_w"], out[key + "_x"], out[key + "_idx"] = W, x, idx
    put(key, mx.gather_qmm(mx.array(x), q, s, rhs_indices=mx.array(idx), mode=mode))
    # (a per-expert global scale: "[gather_qmm] Global scale is only supported on the GPU.")

# nn: QuantizedLinear / QuantizedEmbedding (every fp mode) and QQLinear
# (eval mode; MLX's CPU build evaluates one row) with shared weights
import mlx.nn as nn  # noqa: E402

W = (rng.standard_normal((32, 64)) * 0.2).astype(np.float32)
b = rng.standard_normal(32).astype(np.float32)
x = rng.standard_normal((5, 64)).astype(np.float32)
out["nn_W"], out["nn_b"], out["nn_x"] = W, b, x
for mode in MODES:
    lin = nn.Linear(64, 32)
    lin.weight, lin.bias = mx.array(W), mx.array(b)
    ql = nn.QuantizedLinear.from_linear(lin, mode=mode)
    put(f"nn_ql_{mode}", ql(mx.array(x)))
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Embedding(10, 64))
    model.layers[0].weight, model.layers[0].bias = mx.array(W), mx.array(b)
    model.layers[2].weight = mx.array(W[:10])
    nn.quantize(model, mode=mode)
    put(f"nn_model_{mode}", model.layers[1](model.layers[0](mx.array(x))))
    put(f"nn_emb_{mode}", model.layers[2](mx.array([3, 0, 9])))
    put(f"nn_emb_lin_{mode}", model.layers[2].as_linear(mx.array(x)))
    if mode != "mxfp4":
        lin = nn.Linear(64, 32, bias=False)
        lin.weight = mx.array(W)
        qq = lin.to_quantized(mode=mode, quantize_input=True)
        qq.eval()
        put(f"nn_qq_{mode}", qq(mx.array(x[:1])))
        put(f"nn_qq_{mode}_scales", qq.scales)

np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "quant_fp_mlx.npz"), **out)
print(len(out), "arrays")
