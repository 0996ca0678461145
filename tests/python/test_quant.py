"""Quantisation: quantize, dequantize, quantized_matmul (affine mode, every
bit width and group size), to_fp8/from_fp8. Packed weights, scales and biases
are compared bit for bit with MLX's (recorded from mlx 0.32 in
data/quant_mlx.npz by data/gen_quant_mlx.py); products against NumPy on the
dequantized matrix; MLX's errors; vjp/jvp against central differences and the
closed form; vmap against a loop."""
import os

import numpy as np
import pytest

import ember.core as mx

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "quant_mlx.npz"))
DTYPES = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16}
CASES = [(dt, b, g) for dt in DTYPES for b in [1, 2, 3, 4, 5, 6, 8] for g in [32, 64, 128]]


def np_of(a):
    return np.array(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a)


@pytest.mark.parametrize("dt,bits,gs", CASES)
def test_quantize_bit_identical(dt, bits, gs):
    k = f"{dt}_b{bits}_g{gs}"
    w = mx.array(DATA[k + "_w"]).astype(DTYPES[dt])
    q, s, b = mx.quantize(w, gs, bits)
    assert q.dtype == mx.uint32 and s.dtype == DTYPES[dt] and b.dtype == DTYPES[dt]
    assert q.shape == (8, 256 * bits // 32) and s.shape == (8, 256 // gs) == b.shape
    np.testing.assert_array_equal(np.array(q), DATA[k + "_q"])
    np.testing.assert_array_equal(np_of(s), DATA[k + "_s"])
    np.testing.assert_array_equal(np_of(b), DATA[k + "_b"])


@pytest.mark.parametrize("dt,bits,gs", CASES)
def test_dequantize_and_matmul_match_mlx(dt, bits, gs):
    k = f"{dt}_b{bits}_g{gs}"
    d = DTYPES[dt]
    q, s, b = (mx.array(DATA[k + n]) for n in ("_q", "_s", "_b"))
    s, b = s.astype(d), b.astype(d)
    deq = mx.dequantize(q, s, b, gs, bits)
    assert deq.dtype == d and deq.shape == (8, 256)
    np.testing.assert_allclose(np_of(deq), DATA[k + "_deq"], rtol=1e-6, atol=0)
    # the product against NumPy on the dequantized matrix, and against MLX
    W = np_of(deq).astype(np.float64)
    x = mx.array(DATA[k + "_x"]).astype(d)
    y = mx.quantized_matmul(x, q, s, b, True, gs, bits)
    assert y.dtype == d and y.shape == (3, 8)
    ref = np_of(x).astype(np.float64) @ W.T
    tol = 1e-4 if dt == "float32" else 5e-2
    np.testing.assert_allclose(np_of(y), ref, rtol=tol, atol=tol * np.abs(ref).max())
    np.testing.assert_allclose(np_of(y), DATA[k + "_mm"], rtol=tol, atol=tol * np.abs(ref).max())
    xt = mx.array(DATA[k + "_xt"]).astype(d)
    yt = mx.quantized_matmul(xt, q, s, b, transpose=False, group_size=gs, bits=bits)
    assert yt.shape == (2, 256)
    ref = np_of(xt).astype(np.float64) @ W
    np.testing.assert_allclose(np_of(yt), ref, rtol=tol, atol=tol * np.abs(ref).max())
    np.testing.assert_allclose(np_of(yt), DATA[k + "_mmt"], rtol=tol, atol=tol * np.abs(ref).max())


def test_defaults_shapes_and_dtypes():
    w = mx.random.normal((2, 3, 128))
    q, s, b = mx.quantize(w)  # group 64, 4 bits
    assert q.shape == (2, 3, 16) and s.shape == (2, 3, 2) and b.shape == (2, 3, 2)
    assert mx.dequantize(q, s, b).shape == (2, 3, 128)
    assert mx.dequantize(q, s, b, dtype=mx.float16).dtype == mx.float16
    e = mx.quantize(mx.zeros((0, 64)))
    assert [a.shape for a in e] == [(0, 8), (0, 1), (0, 1)]
    q, s, b = mx.quantize(mx.random.normal((16, 64)))
    # x of any rank; ints and float16 promote with the float32 scales
    assert mx.quantized_matmul(mx.zeros((64,)), q, s, b).shape == (16,)
    assert mx.quantized_matmul(mx.zeros((3, 1, 2, 64)), q, s, b).shape == (3, 1, 2, 16)
    assert mx.quantized_matmul(mx.zeros((2, 64), mx.int32), q, s, b).dtype == mx.float32
    assert mx.quantized_matmul(mx.zeros((2, 64), mx.float16), q, s, b).dtype == mx.float32
    sb, bb = s.astype(mx.bfloat16), b.astype(mx.bfloat16)
    assert mx.quantized_matmul(mx.zeros((2, 64), mx.bfloat16), q, sb, bb).dtype == mx.bfloat16
    assert mx.quantized_matmul(mx.zeros((0, 64)), q, s, b).shape == (0, 16)


def test_large_product_paths():
    """The matrix-vector kernel (few rows) and the panel + sgemm one (many)."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((600, 512)).astype(np.float32)
    q, s, b = mx.quantize(mx.array(w), 64, 4)
    W = np.array(mx.dequantize(q, s, b, 64, 4)).astype(np.float64)
    for m in [1, 4, 5, 300]:
        x = rng.standard_normal((m, 512)).astype(np.float32)
        y = np.array(mx.quantized_matmul(mx.array(x), q, s, b))
        np.testing.assert_allclose(y, x @ W.T, rtol=1e-4, atol=1e-3)
    x = rng.standard_normal((7, 600)).astype(np.float32)
    y = np.array(mx.quantized_matmul(mx.array(x), q, s, b, transpose=False))
    np.testing.assert_allclose(y, x @ W, rtol=1e-4, atol=1e-3)
    # a transposed (non-contiguous) x and weight
    xt = mx.array(rng.standard_normal((512, 3)).astype(np.float32)).T
    np.testing.assert_allclose(np.array(mx.quantized_matmul(xt, q, s, b)), np.array(xt) @ W.T,
                               rtol=1e-4, atol=1e-3)


def err(fn, typ, msg):
    with pytest.raises(typ) as e:
        fn()
    assert msg in str(e.value), str(e.value)


def test_errors_like_mlx():
    w = mx.random.normal((4, 64))
    q, s, b = mx.quantize(w)
    err(lambda: mx.quantize(w, 32, 7), ValueError,
        "[quantize] The requested number of bits 7 is not supported. The supported bits are 1, 2, 3, 4, 5, 6 and 8.")
    err(lambda: mx.quantize(w, 16, 4), ValueError,
        "[quantize] The requested group size 16 is not supported. The supported group sizes are 32, 64, and 128.")
    err(lambda: mx.quantize(mx.zeros((4, 48))), ValueError,
        "[quantize] The last dimension of the matrix needs to be divisible by the quantization group size 64. "
        "However the provided  matrix has shape (4,48)")
    err(lambda: mx.quantize(w[0]), ValueError,
        "[quantize] The matrix to be quantized must have at least 2 dimension but it has only 1.")
    err(lambda: mx.quantize(w.astype(mx.int32)), ValueError,
        "[quantize] Only real floating types can be quantized but w has type int32.")
    err(lambda: mx.quantize(w, mode="foo"), ValueError, "[quantize] Invalid quantization mode 'foo'.")
    err(lambda: mx.quantize(w, global_scale=mx.array(1.0)), ValueError,
        "[quantize] Global scale is only supported for 'nvfp4' quantization mode.")
    err(lambda: mx.dequantize(q, s), ValueError, "[dequantize] Biases must be provided for affine quantization.")
    err(lambda: mx.dequantize(q, s[:, :0], b), ValueError,
        "[dequantize] Shape of scales and biases does not match the matrix given the quantization parameters. "
        "Provided matrix of shape (4,8) and scales/biases of shape (4,0) with group_size=64 and bits=4.")
    err(lambda: mx.dequantize(q, s, b, bits=8), ValueError, "Provided matrix of shape (4,8) and scales/biases")
    err(lambda: mx.dequantize(q.astype(mx.int32), s, b), ValueError, "[dequantize] The matrix should be given as a uint32")
    err(lambda: mx.dequantize(q, s, b, dtype=mx.int32), ValueError,
        "[dequantize] Only real floating types are supported but output dtype == int32.")
    err(lambda: mx.quantized_matmul(mx.zeros((2, 63)), q, s, b), ValueError,
        "[quantized_matmul] Last dimension of first input with shape (..., 63) does not match the expanded "
        "quantized matrix (64,4) computed from shape (4,8) with group_size=64, bits=4 and transpose=true")
    err(lambda: mx.quantized_matmul(mx.zeros((2, 64)), q, s, b, transpose=False), ValueError,
        "does not match the expanded quantized matrix (4,64) computed from shape (4,8) with group_size=64, "
        "bits=4 and transpose=false")
    err(lambda: mx.quantized_matmul(mx.zeros((2, 64)), q, s), ValueError,
        "[quantized_matmul] Biases must be provided for affine quantization.")
    err(lambda: mx.quantized_matmul(mx.zeros((2, 64)), q, s, b, group_size=32), ValueError,
        "[quantized_matmul] The shapes of the weight and scales are incompatible based on bits and group_size. "
        "w.shape() == (4,8) and scales.shape() == (4,1) with group_size=32 and bits=4")
    err(lambda: mx.from_fp8(mx.array([1.0, 2])), ValueError,
        "[from_fp8] Input must have type uint8 but x.dtype() == float32.")
    err(lambda: mx.quantize(), TypeError, "")
    err(lambda: mx.quantize(w, mode=3), TypeError, "mode")


def test_fp8_bit_identical():
    codes = mx.to_fp8(mx.array(DATA["fp8_in"]))
    assert codes.dtype == mx.uint8
    np.testing.assert_array_equal(np.array(codes), DATA["fp8_codes"])
    back = mx.from_fp8(mx.array(np.arange(256, dtype=np.uint8)), dtype=mx.float32)
    np.testing.assert_array_equal(np.array(back), DATA["fp8_back"])
    assert mx.from_fp8(codes).dtype == mx.bfloat16
    assert mx.from_fp8(codes, mx.float16).dtype == mx.float16


def _setup(transpose=True):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((6, 64)).astype(np.float32)
    q, s, b = mx.quantize(mx.array(w), 32, 4)
    W = np.array(mx.dequantize(q, s, b, 32, 4)).astype(np.float64)
    x = rng.standard_normal((3, 64 if transpose else 6))
    return q, s, b, W, x


@pytest.mark.parametrize("transpose", [True, False])
def test_vjp_jvp_wrt_x(transpose):
    q, s, b, W, x = _setup(transpose)
    f = lambda x: mx.quantized_matmul(x, q, s, b, transpose, 32, 4)
    n_out = 6 if transpose else 64
    c = np.random.default_rng(1).standard_normal((3, n_out))
    (g,) = mx.vjp(f, [mx.array(x, dtype=mx.float64)], [mx.array(c, dtype=mx.float64)])[1]
    A = W.T if transpose else W
    np.testing.assert_allclose(np.array(g), c @ A.T, rtol=1e-4, atol=1e-4)
    # central differences (f is linear in x: exact up to float32 rounding)
    eps, fd = 1e-2, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        fd[i] = ((np.array(f(mx.array(xp, dtype=mx.float64))) - np.array(f(mx.array(xm, dtype=mx.float64)))) * c).sum() / (2 * eps)
    np.testing.assert_allclose(np.array(g), fd, rtol=1e-3, atol=1e-3)
    t = np.random.default_rng(2).standard_normal(x.shape)
    _, (jt,) = mx.jvp(f, [mx.array(x, dtype=mx.float64)], [mx.array(t, dtype=mx.float64)])
    np.testing.assert_allclose(np.array(jt), t @ A, rtol=1e-4, atol=1e-4)


def test_vjp_wrt_scales_and_biases():
    q, s, b, W, x = _setup()
    c = np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32)
    xx = mx.array(x.astype(np.float32))
    f = lambda s, b: (mx.quantized_matmul(xx, q, s, b, True, 32, 4) * mx.array(c)).sum()
    gs, gb = mx.grad(f, argnums=(0, 1))(s, b)
    Q = np.array(mx.dequantize(q, mx.ones_like(s), mx.zeros_like(b), 32, 4)).astype(np.float64)
    dW = c.T.astype(np.float64) @ x  # (6, 64)
    np.testing.assert_allclose(np.array(gs), (dW * Q).reshape(6, 2, 32).sum(-1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.array(gb), dW.reshape(6, 2, 32).sum(-1), rtol=1e-4, atol=1e-4)
    gd = mx.grad(lambda s: mx.dequantize(q, s, b, 32, 4).sum())(s)
    np.testing.assert_allclose(np.array(gd), Q.reshape(6, 2, 32).sum(-1), rtol=1e-5)
    err(lambda: mx.grad(lambda w: mx.quantized_matmul(xx, w, s, b, True, 32, 4).sum())(q), RuntimeError,
        "[QuantizedMatmul::vjp] no gradient wrt the quantized weights.")
    err(lambda: mx.jvp(lambda s: mx.quantized_matmul(xx, q, s, b, True, 32, 4), [s], [s]), RuntimeError,
        "[QuantizedMatmul::jvp] No JVP wrt the quantized matrix yet.")


def test_vmap():
    ws = mx.random.normal((3, 8, 64))
    q, s, b = mx.vmap(lambda w: mx.quantize(w))(ws)
    for i in range(3):
        for got, want in zip((q, s, b), mx.quantize(ws[i])):
            np.testing.assert_array_equal(np.array(got[i]), np.array(want))
    d = mx.vmap(lambda q, s: mx.dequantize(q, s, b[0]), in_axes=(1, 0))(q.swapaxes(0, 1), s)
    for i in range(3):
        np.testing.assert_array_equal(np.array(d[i]), np.array(mx.dequantize(q[i], s[i], b[0])))
    err(lambda: mx.vmap(lambda x: mx.quantized_matmul(x, q[0], s[0], b[0]))(mx.zeros((3, 2, 64))),
        RuntimeError, "[QuantizedMatmul::vmap] NYI")


def test_gather_qmm():
    rng = np.random.default_rng(9)
    w = rng.standard_normal((4, 16, 64)).astype(np.float32)
    q, s, b = mx.quantize(mx.array(w))
    W = np.array(mx.dequantize(q, s, b)).astype(np.float64)  # (4, 16, 64)
    x = rng.standard_normal((3, 1, 64)).astype(np.float32)
    ri = np.array([0, 3, 2])
    y = mx.gather_qmm(mx.array(x), q, s, b, rhs_indices=mx.array(ri))
    assert y.shape == (3, 1, 16) and y.dtype == mx.float32
    ref = np.stack([x[i] @ W[ri[i]].T for i in range(3)])
    np.testing.assert_allclose(np.array(y), ref, rtol=1e-4, atol=1e-4)
    x2 = rng.standard_normal((2, 5, 16)).astype(np.float32)
    y2 = mx.gather_qmm(mx.array(x2), q[:2], s[:2], b[:2], transpose=False)
    np.testing.assert_allclose(np.array(y2), x2 @ W[:2], rtol=1e-4, atol=1e-4)
    li = np.array([1, 0])
    y3 = mx.gather_qmm(mx.array(x2), q, s, b, lhs_indices=mx.array(li),
                       rhs_indices=mx.array([3, 1]), transpose=False)
    np.testing.assert_allclose(np.array(y3), np.stack([x2[1] @ W[3], x2[0] @ W[1]]), rtol=1e-4, atol=1e-4)
    g = mx.grad(lambda x: mx.gather_qmm(x, q, s, b, rhs_indices=mx.array(ri)).sum())(mx.array(x))
    np.testing.assert_allclose(np.array(g), np.stack([W[ri[i]].sum(0)[None] for i in range(3)]), rtol=1e-4, atol=1e-4)
    err(lambda: mx.gather_qmm(mx.array(x), q, s, b, rhs_indices=mx.array([0.5])), ValueError,
        "[gather_qmm] Got indices with invalid dtype. Indices must be integral.")
    err(lambda: mx.gather_qmm(mx.array(x), q, s, rhs_indices=mx.array(ri)), ValueError,
        "[gather_qmm] Biases must be provided for affine quantization.")


def test_batched_weight():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((5, 4, 64)).astype(np.float32)
    q, s, b = mx.quantize(mx.array(w))
    W = np.array(mx.dequantize(q, s, b)).astype(np.float64)
    x = rng.standard_normal((5, 2, 64)).astype(np.float32)
    y = mx.quantized_matmul(mx.array(x), q, s, b)
    assert y.shape == (5, 2, 4)
    np.testing.assert_allclose(np.array(y), x @ W.swapaxes(-1, -2), rtol=1e-4, atol=1e-4)
    xt = rng.standard_normal((5, 2, 4)).astype(np.float32)
    np.testing.assert_allclose(np.array(mx.quantized_matmul(mx.array(xt), q, s, b, transpose=False)),
                               xt @ W, rtol=1e-4, atol=1e-4)
    err(lambda: mx.quantized_matmul(mx.zeros((5, 2, 64)), q, s[..., :0], b), ValueError,
        "The shapes of the weight and scales are incompatible")
