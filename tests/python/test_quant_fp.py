"""The floating-point quantization modes (mxfp4, mxfp8, nvfp4): quantize bit
for bit against MLX 0.32's CPU build (data/quant_fp_mlx.npz, written by
data/gen_quant_fp_mlx.py: zeros, -0, code ties, powers of two and their
neighbours, huge, subnormal, NaN and inf, float32/float16/bfloat16),
dequantize exactly, quantized_matmul / gather_qmm / qqmm / gather_qqmm
against MLX and NumPy on the dequantized matrices, MLX's errors, gradients
(vjp/jvp to x against central differences; qqmm's straight-through rule) and
vmap against a loop."""
import os

import numpy as np
import pytest

import ember.core as mx

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "quant_fp_mlx.npz"))
DTYPES = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16}
MODES = {"mxfp4": (32, 4), "mxfp8": (32, 8), "nvfp4": (16, 4)}
CASES = [(m, dt) for m in MODES for dt in DTYPES]
TOL = {"float32": 2e-6, "float16": 2e-3, "bfloat16": 2e-2}


def np_of(a):
    return np.array(a.astype(mx.float32) if a.dtype in (mx.bfloat16, mx.float16) else a)


def close(a, ref, tol):
    ref = np.asarray(ref, np.float64)
    np.testing.assert_allclose(np.asarray(a, np.float64), ref, rtol=tol, atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("mode,dt", CASES)
def test_quantize_bit_identical(mode, dt):
    k = f"{mode}_{dt}"
    gs, bits = MODES[mode]
    q, s = mx.quantize(mx.array(DATA[k + "_w"]).astype(DTYPES[dt]), mode=mode)
    assert q.dtype == mx.uint32 and s.dtype == mx.uint8
    assert q.shape == (8, 256 * bits // 32) and s.shape == (8, 256 // gs)
    np.testing.assert_array_equal(np.array(q), DATA[k + "_q"])
    np.testing.assert_array_equal(np.array(s), DATA[k + "_s"])
    # explicit defaults give the same
    q2, s2 = mx.quantize(mx.array(DATA[k + "_w"]).astype(DTYPES[dt]), gs, bits, mode)
    assert mx.array_equal(q, q2) and mx.array_equal(s, s2)


@pytest.mark.parametrize("mode,dt", CASES)
def test_quantize_wide_range(mode, dt):
    q, s = mx.quantize(mx.array(DATA["wide_w"]).astype(DTYPES[dt]), mode=mode)
    np.testing.assert_array_equal(np.array(q), DATA[f"wide_{mode}_{dt}_q"])
    np.testing.assert_array_equal(np.array(s), DATA[f"wide_{mode}_{dt}_s"])


@pytest.mark.parametrize("mode,dt", CASES)
def test_dequantize_exact(mode, dt):
    k = f"{mode}_{dt}"
    q, s = mx.array(DATA[k + "_q"]), mx.array(DATA[k + "_s"])
    d = mx.dequantize(q, s, mode=mode)
    assert d.dtype == mx.bfloat16 and d.shape == (8, 256)  # MLX's default
    d32 = mx.dequantize(q, s, mode=mode, dtype=mx.float32)
    np.testing.assert_array_equal(np.array(d32), DATA[k + "_deq"])
    dd = mx.dequantize(q, s, mode=mode, dtype=DTYPES[dt])
    assert dd.dtype == DTYPES[dt]
    np.testing.assert_array_equal(np_of(dd), DATA[k + "_deqd"])


@pytest.mark.parametrize("mode,dt", CASES)
def test_quantized_matmul(mode, dt):
    k = f"{mode}_{dt}"
    d = DTYPES[dt]
    q, s = mx.array(DATA[k + "_q"][4:]), mx.array(DATA[k + "_s"][4:])
    W = DATA[k + "_deq"][4:].astype(np.float64)
    x = mx.array(DATA[k + "_x"]).astype(d)
    y = mx.quantized_matmul(x, q, s, mode=mode)
    assert y.dtype == d and y.shape == (3, 4)
    close(np_of(y), np_of(x).astype(np.float64) @ W.T, TOL[dt])
    close(np_of(y), DATA[k + "_mm"], TOL[dt])
    xt = mx.array(DATA[k + "_xt"][:, :4]).astype(d)
    yt = mx.quantized_matmul(xt, q, s, transpose=False, mode=mode)
    assert yt.dtype == d and yt.shape == (2, 256)
    close(np_of(yt), np_of(xt).astype(np.float64) @ W, TOL[dt])
    close(np_of(yt), DATA[k + "_mmt"], TOL[dt])


@pytest.mark.parametrize("mode", MODES)
def test_large_products_and_shapes(mode):
    gs, bits = MODES[mode]
    rng = np.random.default_rng(0)
    w = mx.array(rng.standard_normal((300, 512)).astype(np.float32))
    q, s = mx.quantize(w, mode=mode)
    W = np.array(mx.dequantize(q, s, mode=mode, dtype=mx.float32)).astype(np.float64)
    for M in (1, 3, 7, 64):
        x = rng.standard_normal((M, 512)).astype(np.float32)
        close(np.array(mx.quantized_matmul(mx.array(x), q, s, mode=mode)), x @ W.T, 1e-5)
        xt = rng.standard_normal((M, 300)).astype(np.float32)
        close(np.array(mx.quantized_matmul(mx.array(xt), q, s, transpose=False, mode=mode)), xt @ W, 1e-5)
    # x of any rank, a batched w, empty x
    x = rng.standard_normal((2, 3, 512)).astype(np.float32)
    assert mx.quantized_matmul(mx.array(x), q, s, mode=mode).shape == (2, 3, 300)
    assert mx.quantized_matmul(mx.array(x[0, 0]), q, s, mode=mode).shape == (300,)
    assert mx.quantized_matmul(mx.zeros((0, 512)), q, s, mode=mode).shape == (0, 300)
    qb, sb = mx.quantize(mx.array(rng.standard_normal((2, 8, 64)).astype(np.float32)), mode=mode)
    Wb = np.array(mx.dequantize(qb, sb, mode=mode, dtype=mx.float32)).astype(np.float64)
    xb = rng.standard_normal((2, 3, 64)).astype(np.float32)
    close(np.array(mx.quantized_matmul(mx.array(xb), qb, sb, mode=mode)), xb @ Wb.transpose(0, 2, 1), 1e-5)
    # 3-d w, empty w, one nvfp4 group per row (MLX's CPU reshape refuses an odd count)
    q3, s3 = mx.quantize(mx.zeros((2, 3, 64)), mode=mode)
    assert q3.shape == (2, 3, 64 * bits // 32) and s3.shape == (2, 3, 64 // gs)
    qe, se = mx.quantize(mx.zeros((0, 64)), mode=mode)
    assert qe.shape == (0, 64 * bits // 32) and se.shape == (0, 64 // gs)
    q1, s1 = mx.quantize(mx.full((1, gs), 6.0), mode=mode)
    assert np.array(mx.dequantize(q1, s1, mode=mode, dtype=mx.float32)).tolist() == [[6.0] * gs]


def test_global_scale():
    g = mx.array(DATA["gs_g"])
    q, s = mx.quantize(mx.array(DATA["gs_w"]), mode="nvfp4", global_scale=g)
    np.testing.assert_array_equal(np.array(q), DATA["gs_q"])
    np.testing.assert_array_equal(np.array(s), DATA["gs_s"])
    d = mx.dequantize(q, s, mode="nvfp4", global_scale=g, dtype=mx.float32)
    np.testing.assert_array_equal(np.array(d), DATA["gs_deq"])
    # shape (1,) and (1, 1) are scalars too
    q2, _ = mx.quantize(mx.array(DATA["gs_w"]), mode="nvfp4", global_scale=g.reshape(1, 1))
    assert mx.array_equal(q, q2)
    qq = mx.qqmm(mx.array(DATA["gs_x"]), q[4:], s[4:], global_scale_x=mx.array(DATA["gs_gx"]),
                 global_scale_w=g)
    close(np.array(qq), DATA["gs_qq"], 1e-6)


@pytest.mark.parametrize("mode,dt", CASES)
def test_qqmm(mode, dt):
    k = f"{mode}_{dt}"
    d = DTYPES[dt]
    q, s = mx.array(DATA[k + "_q"][4:]), mx.array(DATA[k + "_s"][4:])
    x = mx.array(DATA[k + "_x"]).astype(d)
    y = mx.qqmm(x[:1], q, s, mode=mode)
    assert y.dtype == d and y.shape == (1, 4)
    xd = np_of(mx.dequantize(*mx.quantize(x, mode=mode), mode=mode, dtype=mx.float32)).astype(np.float64)
    W = DATA[k + "_deq"][4:].astype(np.float64)
    close(np_of(y), xd[:1] @ W.T, TOL[dt])
    if dt == "float32":  # MLX's half-precision single-row qqmm strays up to ~6% from this
        close(np_of(y), DATA[k + "_qq"], 1e-6)
    # the general case (MLX's CPU build: "NYI"): dequantize(quantize(x)) @ W^T
    y = mx.qqmm(x, q, s, mode=mode)
    close(np_of(y), xd @ W.T, TOL[dt])
    # w quantized on the fly == w packed first
    w = mx.array(DATA[k + "_w"][4:]).astype(d)
    assert mx.array_equal(mx.qqmm(x, w, mode=mode), y)
    assert mx.qqmm(x[0], q, s, mode=mode).shape == (4,)
    assert mx.qqmm(x[None], q, s, mode=mode).shape == (1, 3, 4)


def test_qqmm_default_mode_is_nvfp4():
    x, w = mx.random.normal((2, 32)), mx.random.normal((3, 32))
    assert mx.array_equal(mx.qqmm(x, w), mx.qqmm(x, w, mode="nvfp4"))
    q, s = mx.quantize(w, mode="nvfp4")
    assert mx.array_equal(mx.qqmm(x, q, s), mx.qqmm(x, w))
    assert mx.array_equal(mx.qqmm(x, q, s.astype(mx.float32)), mx.qqmm(x, w))  # MLX casts


@pytest.mark.parametrize("mode", MODES)
def test_gather_qmm(mode):
    k = f"gqmm_{mode}"
    q, s = mx.quantize(mx.array(DATA[k + "_w"]), mode=mode)
    x, idx = mx.array(DATA[k + "_x"]), mx.array(DATA[k + "_idx"])
    y = mx.gather_qmm(x, q, s, rhs_indices=idx, mode=mode)
    assert y.shape == (4, 1, 8) and y.dtype == mx.float32
    close(np.array(y), DATA[k], 1e-6)
    W = np.array(mx.dequantize(q, s, mode=mode, dtype=mx.float32)).astype(np.float64)
    ref = np.stack([DATA[k + "_x"][i] @ W[j].T for i, j in enumerate(DATA[k + "_idx"])])
    close(np.array(y), ref, 1e-5)
    yb = mx.gather_qmm(x.astype(mx.bfloat16), q, s, rhs_indices=idx, mode=mode)
    assert yb.dtype == mx.bfloat16
    if mode == "nvfp4":  # one global scale per expert (MLX's CPU build: GPU only)
        g = np.float32([1.0, 2.5, 7.0])
        y = mx.gather_qmm(x, q, s, rhs_indices=idx, mode=mode, global_scale=mx.array(g))
        ref = np.stack([DATA[k + "_x"][i] @ (W[j] * (g[j] / 2688.0)).T for i, j in enumerate(DATA[k + "_idx"])])
        close(np.array(y), ref, 1e-5)


@pytest.mark.parametrize("mode", ["nvfp4", "mxfp8"])
def test_gather_qqmm(mode):
    rng = np.random.default_rng(1)
    w = mx.array(rng.standard_normal((3, 8, 64)).astype(np.float32))
    x = mx.array(rng.standard_normal((4, 2, 64)).astype(np.float32))
    idx = [2, 0, 1, 2]
    y = mx.gather_qqmm(x, w, rhs_indices=mx.array(idx), mode=mode)
    assert y.shape == (4, 2, 8)
    for i, j in enumerate(idx):
        assert mx.array_equal(y[i], mx.qqmm(x[i], w[j], mode=mode))
    q, s = mx.quantize(w, mode=mode)
    yq = mx.gather_qqmm(x, q, s, rhs_indices=mx.array(idx), mode=mode)
    assert mx.array_equal(yq, y)
    yl = mx.gather_qqmm(x, w, lhs_indices=mx.array([3, 0]), rhs_indices=mx.array([0, 1]), mode=mode)
    assert mx.array_equal(yl[0], mx.qqmm(x[3], w[0], mode=mode))


def err(fn, typ, msg):
    with pytest.raises(typ) as e:
        fn()
    assert msg in str(e.value), str(e.value)


def test_errors_like_mlx():
    w = mx.random.normal((4, 64))
    g = mx.array(2.0)
    for mode, (gs, bits) in MODES.items():
        other = 64
        err(lambda: mx.quantize(w, other, mode=mode), ValueError,
            f"[quantize] {mode} quantization requires group size {gs} but got {other}.")
        err(lambda: mx.quantize(w, bits=2, mode=mode), ValueError,
            f"[quantize] {mode} quantization requires bits to be {bits} but got 2.")
        err(lambda: mx.quantize(mx.zeros((2, 40)), mode=mode), ValueError,
            f"[quantize] The last dimension of the matrix needs to be divisible by the quantization group "
            f"size {gs}. However the provided  matrix has shape (2,40)")
        err(lambda: mx.quantize(w[0], mode=mode), ValueError,
            "[quantize] The matrix to be quantized must have at least 2 dimension but it has only 1.")
        err(lambda: mx.quantize(w.astype(mx.int32), mode=mode), ValueError,
            "[quantize] Only real floating types can be quantized but w has type int32.")
        q, s = mx.quantize(w, mode=mode)
        err(lambda: mx.dequantize(q, s, s, mode=mode), ValueError,
            f"[dequantize] Biases must be null for quantization mode '{mode}'.")
        err(lambda: mx.dequantize(q, s.astype(mx.float32), mode=mode), ValueError,
            "[dequantize] Scale type must be uint8 but received type float32.")
        err(lambda: mx.dequantize(q, s[:, :1], mode=mode), ValueError,
            f"[dequantize] Shape of scales does not match the matrix given the quantization parameters. "
            f"Provided matrix of shape {tuple(q.shape)} and scales of shape (4,1).".replace(", ", ","))
        err(lambda: mx.dequantize(q, s, group_size=64, mode=mode), ValueError,
            f"[dequantize] {mode} quantization requires group size {gs} but got 64.")
        err(lambda: mx.dequantize(q, s, mode=mode, dtype=mx.int32), ValueError,
            "[dequantize] Only real floating types are supported but output dtype == int32.")
        err(lambda: mx.dequantize(q.astype(mx.float32), s, mode=mode), ValueError,
            "[dequantize] The matrix should be given as a uint32")
        err(lambda: mx.dequantize(q[0], s[0], mode=mode), ValueError,
            "[dequantize] The matrix to be dequantized must have at least 2 dimension but it has only 1.")
        x = mx.random.normal((3, 64))
        err(lambda: mx.quantized_matmul(x, q, s, s, mode=mode), ValueError,
            f"[quantized_matmul] Biases must be null for quantization mode '{mode}'.")
        err(lambda: mx.quantized_matmul(x, q, s.astype(mx.float32), mode=mode), ValueError,
            "[quantized_matmul] Scale type must be uint8 but received type float32.")
        err(lambda: mx.quantized_matmul(x[:, :32], q, s, mode=mode), ValueError,
            f"[quantized_matmul] Last dimension of first input with shape (..., 32) does not match the expanded "
            f"quantized matrix (64,4) computed from shape {tuple(q.shape)} with group_size={gs}, bits={bits} "
            f"and transpose=true".replace(", 4)", ",4)").replace(f"({q.shape[0]}, {q.shape[1]})", f"({q.shape[0]},{q.shape[1]})"))
        err(lambda: mx.quantized_matmul(x, q, s[:, :1], mode=mode), ValueError,
            "[quantized_matmul] The shapes of the weight and scales are incompatible based on bits and group_size.")
        err(lambda: mx.quantized_matmul(x.astype(mx.int32), q, s, mode=mode), ValueError,
            "[quantized_matmul] Only real floating types are supported but x.dtype() == int32.")
        err(lambda: mx.gather_qmm(x, q, s, s, mode=mode), ValueError,
            f"[quantized_matmul] Biases must be null for quantization mode '{mode}'.")
        if mode != "nvfp4":
            for f in (lambda: mx.quantize(w, mode=mode, global_scale=g),
                      lambda: mx.dequantize(q, s, mode=mode, global_scale=g)):
                err(f, ValueError, "Global scale is only supported for 'nvfp4' quantization mode.")
            err(lambda: mx.qqmm(x, w, mode=mode, global_scale_x=g, global_scale_w=g), ValueError,
                "[qqmm] Global scale is only supported for 'nvfp4' quantization mode.")
    err(lambda: mx.gather_qmm(mx.zeros((1, 64)), q, s, mode="nvfp4", global_scale=g), ValueError,
        "[gather_qmm] Global scale is not supported without indices.")
    qe, se = mx.quantize(mx.zeros((2, 4, 64)), mode="nvfp4")
    err(lambda: mx.gather_qmm(mx.zeros((1, 64)), qe, se, rhs_indices=mx.array([1]), mode="nvfp4", global_scale=g),
        ValueError, "[gather_qmm] Global scale must have one entry per expert with shape (2) but got ().")
    err(lambda: mx.quantize(w, mode="nvfp4", global_scale=mx.array(2.0, mx.float16)), ValueError,
        "[quantize] Global scale must have dtype float32 but got float16.")
    err(lambda: mx.quantize(w, mode="nvfp4", global_scale=mx.array([1.0, 2.0])), ValueError,
        "[quantize] Global scale must be a scalar but got shape (2).")
    q, s = mx.quantize(w, mode="nvfp4")
    err(lambda: mx.dequantize(q, s, mode="nvfp4", global_scale=mx.array([1.0, 2.0])), ValueError,
        "[dequantize] Global scale must be a scalar but got shape (2).")
    # qqmm
    x = mx.random.normal((1, 64))
    err(lambda: mx.qqmm(x, w, mode="nvfp4", global_scale_x=g), ValueError,
        "[qqmm] For nvfp4 mode, either both global_scale_x and global_scale_w must be provided, or neither.")
    err(lambda: mx.qqmm(x, mx.stack([q, q]), mx.stack([s, s])), ValueError,
        "[qqmm] Only 2D inputs are supported but x.ndim() == 2 and w.ndim() == 3.")
    err(lambda: mx.qqmm(x[:, :32], q, s), ValueError,
        "[qqmm] Last dimension of first input with shape (..., 32) does not match the expanded quantized matrix "
        "(64,4) computed from shape (4,8) with group_size=16, bits=4 and transpose=true")
    err(lambda: mx.qqmm(x[:, :32], w), ValueError,
        "[qqmm] Last dimension of first input with shape (1,32) must match last dimension of second input with "
        "shape (4,64).")
    err(lambda: mx.qqmm(x.astype(mx.int32), q, s), ValueError,
        "[qqmm] Only real floating types except float64 are supported but first argument dtype == int32.")
    err(lambda: mx.qqmm(x, q.astype(mx.int32), s), ValueError,
        "[qqmm] Only real floating types except float64 are supported but second argument dtype == int32.")
    err(lambda: mx.qqmm(x, q, s, bits=8), ValueError, "[qqmm] nvfp4 quantization requires bits to be 4 but got 8.")
    err(lambda: mx.qqmm(x, q, s, mode="mxfp4"), ValueError,
        "[qqmm] The shapes of the weight and scales are incompatible based on bits and group_size. "
        "w.shape() == (4,8) and scales.shape() == (4,4) with group_size=32 and bits=4")
    err(lambda: mx.qqmm(x, q), ValueError, "[qqmm] Scales must be provided if second argument is quantized.")
    err(lambda: mx.qqmm(x, w, mode="foo"), ValueError, "[qqmm] Invalid quantization mode 'foo'.")
    err(lambda: mx.qqmm(x, w, mode="affine"), ValueError, "[qqmm] The 'affine' mode is not supported")
    err(lambda: mx.qqmm(x, w, s), ValueError, "[qqmm] Scales are given but the second argument is not quantized")
    err(lambda: mx.gather_qqmm(x, w, mode="foo"), ValueError, "[gather_qqmm] Invalid quantization mode 'foo'.")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transpose", [True, False])
def test_vjp_jvp_wrt_x(mode, transpose):
    rng = np.random.default_rng(2)
    q, s = mx.quantize(mx.array(rng.standard_normal((6, 64)).astype(np.float32)), mode=mode)
    kin, n = (64, 6) if transpose else (6, 64)
    x = rng.standard_normal((3, kin))
    c = rng.standard_normal((3, n))
    f = lambda a: mx.quantized_matmul(a, q, s, transpose=transpose, mode=mode)
    (g,) = mx.vjp(f, [mx.array(x, dtype=mx.float64)], [mx.array(c, dtype=mx.float64)])[1]
    eps = 1e-2  # f is linear in x (computed in float32): a wide step keeps rounding out
    fd = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        fd[i] = ((np.array(f(mx.array(xp, dtype=mx.float64))) - np.array(f(mx.array(xm, dtype=mx.float64)))) * c).sum() / (2 * eps)
    close(np.array(g), fd, 1e-4)
    t = rng.standard_normal(x.shape)
    _, (jt,) = mx.jvp(f, [mx.array(x, dtype=mx.float64)], [mx.array(t, dtype=mx.float64)])
    W = np.array(mx.dequantize(q, s, mode=mode, dtype=mx.float32)).astype(np.float64)
    close(np.array(jt), t @ (W.T if transpose else W), 1e-5)


def test_no_gradient_to_codes_or_scales():
    q, s = mx.quantize(mx.random.normal((4, 64)), mode="mxfp8")
    d = mx.dequantize(q, s, mode="mxfp8", dtype=mx.float32)
    with pytest.raises(Exception):
        mx.vjp(lambda a: mx.dequantize(q, a, mode="mxfp8", dtype=mx.float32), [s], [d])


@pytest.mark.parametrize("mode", ["nvfp4", "mxfp8"])
def test_qqmm_vjp_is_mlx_rule(mode):
    # MLX's QQMatmul::vjp: dx = qqmm(cot, w^T), dw = qqmm(cot^T, x^T), quantized again
    rng = np.random.default_rng(3)
    x = mx.array(rng.standard_normal((32, 64)).astype(np.float32))
    w = mx.array(rng.standard_normal((32, 64)).astype(np.float32))
    c = mx.array(rng.standard_normal((32, 32)).astype(np.float32))
    y, (gx, gw) = mx.vjp(lambda a, b: mx.qqmm(a, b, mode=mode), [x, w], [c])
    assert mx.array_equal(y[0], mx.qqmm(x, w, mode=mode))
    assert mx.array_equal(gx, mx.qqmm(c, w.T, mode=mode))
    assert mx.array_equal(gw, mx.qqmm(c.T, x.T, mode=mode))
    # close to the unquantized gradient
    close(np.array(gx), np.array(c) @ np.array(w), 0.3)
    gw2 = mx.grad(lambda b: mx.qqmm(x, b, mode=mode).sum())(w)
    assert gw2.shape == w.shape


@pytest.mark.parametrize("mode", MODES)
def test_vmap(mode):
    rng = np.random.default_rng(4)
    w = mx.array(rng.standard_normal((3, 4, 64)).astype(np.float32))
    q, s = mx.vmap(lambda a: mx.quantize(a, mode=mode))(w)
    for i in range(3):
        qi, si = mx.quantize(w[i], mode=mode)
        assert mx.array_equal(q[i], qi) and mx.array_equal(s[i], si)
    d = mx.vmap(lambda a, b: mx.dequantize(a, b, mode=mode, dtype=mx.float32), in_axes=(1, 1))(
        q.swapaxes(0, 1), s.swapaxes(0, 1))
    for i in range(3):
        assert mx.array_equal(d[i], mx.dequantize(q[i], s[i], mode=mode, dtype=mx.float32))
    if mode == "nvfp4":
        g = mx.array(3.0)
        q, s = mx.vmap(lambda a: mx.quantize(a, mode=mode, global_scale=g))(w)
        assert mx.array_equal(q[1], mx.quantize(w[1], mode=mode, global_scale=g)[0])
    with pytest.raises(Exception, match="QuantizedMatmul::vmap"):
        qq, ss = mx.quantize(w[0], mode=mode)
        mx.vmap(lambda a: mx.quantized_matmul(a, qq, ss, mode=mode))(mx.zeros((2, 3, 64)))


def test_strided_inputs_and_qqmm_vmap():
    w = mx.random.normal((64, 96))
    for mode in MODES:
        q1, s1 = mx.quantize(w.T, mode=mode)
        q2, s2 = mx.quantize(mx.array(np.array(w.T)), mode=mode)
        assert mx.array_equal(q1, q2) and mx.array_equal(s1, s2)
        qq, ss = mx.quantize(mx.random.normal((8, 2, 64)), mode=mode)
        qs, sss = qq[:, 1], ss[:, 1]
        d = mx.dequantize(mx.array(np.array(qs)), mx.array(np.array(sss)), mode=mode, dtype=mx.float32)
        assert mx.array_equal(mx.dequantize(qs, sss, mode=mode, dtype=mx.float32), d)
        xs = mx.random.normal((64, 3)).T
        close(np.array(mx.quantized_matmul(xs, qs, sss, mode=mode)), np.array(xs) @ np.array(d).T, 1e-5)
    # vmap through qqmm (MLX: "Not implemented for QQMatmul") matches a loop
    xb, wr = mx.random.normal((4, 2, 64)), mx.random.normal((8, 64))
    yv = mx.vmap(lambda t: mx.qqmm(t, wr))(xb)
    for i in range(4):
        assert mx.array_equal(yv[i], mx.qqmm(xb[i], wr))
