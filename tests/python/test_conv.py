"""Convolutions: conv1d/2d/3d, conv_general, conv_transpose1d/2d/3d and
convolve against direct NumPy references (values, dtypes, shapes), their
gradients (vjp, jvp, grad of grad) against central finite differences in
float64, vmap against a Python loop, and MLX's errors."""
import itertools

import numpy as np
import pytest

import ember.core as mx

RNG = np.random.default_rng(7)


# ---------------------------------------------------------------- references

def _dims(v, nd, default):
    if v is None:
        return [default] * nd
    if isinstance(v, int):
        return [v] * nd
    v = list(v)
    return v * nd if len(v) == 1 else v


def np_conv(x, w, stride=1, padding=0, kernel_dilation=1, input_dilation=1, groups=1,
            flip=False):
    """Direct channels-last convolution in float64 (MLX's conv_general)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    nd = x.ndim - 2
    if isinstance(padding, tuple) and len(padding) == 2 and not isinstance(padding[0], int):
        lo, hi = _dims(padding[0], nd, 0), _dims(padding[1], nd, 0)
    else:
        lo = hi = _dims(padding, nd, 0)
    stride, kd, idl = (_dims(stride, nd, 1), _dims(kernel_dilation, nd, 1),
                       _dims(input_dilation, nd, 1))
    n, *s, c = x.shape
    sd = [(a - 1) * d + 1 if a else 0 for a, d in zip(s, idl)]
    xd = np.zeros((n, *sd, c))
    xd[(slice(None),) + tuple(slice(None, None, d) for d in idl)] = x
    # pad (a negative width crops)
    xp = np.pad(xd, [(0, 0)] + [(max(l, 0), max(h, 0)) for l, h in zip(lo, hi)] + [(0, 0)])
    crop = tuple(slice(max(-l, 0), xp.shape[1 + i] - max(-h, 0))
                 for i, (l, h) in enumerate(zip(lo, hi)))
    xp = xp[(slice(None),) + crop]
    if flip:
        w = w[(slice(None),) + (slice(None, None, -1),) * nd]
    co, *k, cig = w.shape
    cog = co // groups
    o = [(xp.shape[1 + i] - ((k[i] - 1) * kd[i] + 1)) // stride[i] + 1 for i in range(nd)]
    out = np.zeros((n, *o, co))
    for taps in itertools.product(*[range(a) for a in k]):
        sl = tuple(slice(t * d, t * d + (oo - 1) * st + 1, st)
                   for t, d, oo, st in zip(taps, kd, o, stride))
        patch = xp[(slice(None),) + sl]
        for g in range(groups):
            wg = w[(slice(g * cog, (g + 1) * cog),) + taps]  # (cog, cig)
            out[..., g * cog:(g + 1) * cog] += patch[..., g * cig:(g + 1) * cig] @ wg.T
    return out


def np_conv_transpose(x, w, stride=1, padding=0, dilation=1, output_padding=0, groups=1):
    """The scatter form: out[i*stride + k*dilation - padding] += x[i] w[k]."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    nd = x.ndim - 2
    st, pd, dl, op = (_dims(stride, nd, 1), _dims(padding, nd, 0), _dims(dilation, nd, 1),
                      _dims(output_padding, nd, 0))
    n, *s, c = x.shape
    co, *k, cig = w.shape
    cog = co // groups
    o = [(s[i] - 1) * st[i] - 2 * pd[i] + dl[i] * (k[i] - 1) + op[i] + 1 for i in range(nd)]
    full = [(s[i] - 1) * st[i] + dl[i] * (k[i] - 1) + 1 + op[i] + max(pd[i], 0)
            for i in range(nd)]
    out = np.zeros((n, *full, co))
    for taps in itertools.product(*[range(a) for a in k]):
        sl = tuple(slice(t * d, t * d + (a - 1) * ss + 1, ss)
                   for t, d, a, ss in zip(taps, dl, s, st))
        for g in range(groups):
            wg = w[(slice(g * cog, (g + 1) * cog),) + taps]  # (cog, cig)
            out[(slice(None),) + sl + (slice(g * cog, (g + 1) * cog),)] += \
                x[..., g * cig:(g + 1) * cig] @ wg.T
    sl = tuple(slice(pd[i], pd[i] + o[i]) for i in range(nd))
    return out[(slice(None),) + sl]


def rand(*shape):
    return RNG.uniform(-1, 1, size=shape)


TOL = {mx.float32: 1e-4, mx.float64: 1e-12, mx.float16: 2e-2, mx.bfloat16: 6e-2}


def as_np(a):
    return np.array(a.astype(mx.float64) if a.dtype == mx.bfloat16 else a, np.float64)


def check(got, want, dtype):
    assert got.dtype == dtype
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(as_np(got), want, rtol=TOL[dtype], atol=TOL[dtype] * 4)


# ---------------------------------------------------------------- values

CONV_CASES = [
    # nd, n, spatial, cin, cout, kernel, stride, padding, dilation, groups
    (1, 2, (9,), 3, 4, (3,), 1, 0, 1, 1),
    (1, 2, (9,), 4, 6, (3,), 2, 1, 2, 2),
    (1, 1, (5,), 2, 2, (5,), 1, 2, 1, 1),
    (2, 2, (6, 7), 3, 5, (3, 2), 1, 1, 1, 1),
    (2, 2, (8, 8), 4, 4, (3, 3), (2, 1), (1, 0), (1, 2), 4),
    (2, 1, (5, 5), 6, 4, (1, 1), 1, 0, 1, 2),
    (2, 3, (12, 10), 16, 8, (3, 3), 1, 1, 1, 1),
    (3, 2, (4, 5, 3), 2, 3, (2, 2, 2), 1, 1, 1, 1),
    (3, 1, (5, 4, 6), 4, 4, (3, 1, 2), (2, 1, 1), (1, 0, 1), (1, 1, 2), 2),
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [mx.float32, mx.float64, mx.float16, mx.bfloat16])
def test_conv_nd(case, dtype):
    nd, n, s, ci, co, k, stride, pad, dil, groups = case
    x = rand(n, *s, ci)
    w = rand(co, *k, ci // groups)
    fn = {1: mx.conv1d, 2: mx.conv2d, 3: mx.conv3d}[nd]
    xs, ws = mx.array(x).astype(dtype), mx.array(w).astype(dtype)
    got = fn(xs, ws, stride, pad, dil, groups)
    want = np_conv(as_np(xs), as_np(ws), stride, pad, dil, 1, groups)
    check(got, want, dtype)
    got = fn(xs, ws, stride=stride, padding=pad, dilation=dil, groups=groups)
    check(got, want, dtype)


GENERAL_CASES = [
    dict(stride=1, padding=([1], [2])),
    dict(stride=[2], padding=([0], [3]), input_dilation=2),
    dict(padding=2, kernel_dilation=2, input_dilation=3, flip=True),
    dict(stride=3, padding=-1),
    dict(padding=([2, 0], [1, 3]), input_dilation=[1, 2], flip=True),
    dict(padding=[(1, 2), (0, 1)]),
    dict(stride=(2, 3), padding=[1, 2], kernel_dilation=[2, 1], groups=2),
    dict(padding=([1, 0, 2], [0, 2, 1]), input_dilation=2, stride=2, flip=True),
]


@pytest.mark.parametrize("i", range(len(GENERAL_CASES)))
def test_conv_general(i):
    kw = GENERAL_CASES[i]
    nd = 1 if i < 4 else 2 if i < 7 else 3
    s = {1: (11,), 2: (7, 6), 3: (4, 5, 3)}[nd]
    k = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}[nd]
    g = kw.get("groups", 1)
    x, w = rand(2, *s, 4), rand(6, *k, 4 // g)
    for dt in (mx.float32, mx.float64):
        got = mx.conv_general(mx.array(x, dt), mx.array(w, dt), **kw)
        pad = kw.get("padding", 0)
        if isinstance(pad, list) and pad and isinstance(pad[0], tuple):
            pad = (list(pad[0]), list(pad[1]))
        want = np_conv(x, w, kw.get("stride", 1), pad, kw.get("kernel_dilation", 1),
                       kw.get("input_dilation", 1), g, kw.get("flip", False))
        check(got, want, dt)


def test_conv_strided_inputs():
    x = rand(5, 8, 7, 3)  # viewed through a transpose: channels not contiguous
    w = rand(4, 3, 3, 3)
    f64 = mx.float64
    xt = mx.array(np.ascontiguousarray(x.transpose(3, 1, 2, 0)), f64).transpose(3, 1, 2, 0)
    wt = mx.array(np.ascontiguousarray(w.transpose(3, 1, 2, 0)), f64).transpose(3, 1, 2, 0)
    check(mx.conv2d(xt, wt, padding=1),
          np_conv(x, w, padding=1), mx.float64)
    check(mx.conv2d(mx.array(x)[:, ::2, 1:], mx.array(w, mx.float32)),
          np_conv(x[:, ::2, 1:], w), mx.float32)


def test_conv_mixed_dtypes():
    x, w = rand(1, 5, 2), rand(3, 2, 2)
    assert mx.conv1d(mx.array(x, mx.float16), mx.array(w, mx.float32)).dtype == mx.float32
    assert mx.conv1d(mx.array(x, mx.float16), mx.array(w, mx.bfloat16)).dtype == mx.float32
    assert mx.conv1d(mx.array(x, mx.float32), mx.array(w.astype(np.int32))).dtype == mx.float32
    assert mx.conv1d(mx.array(x, mx.float64), mx.array(w, mx.float32)).dtype == mx.float64


TRANSPOSE_CASES = [
    (1, (7,), 4, 6, (3,), 1, 0, 1, 0, 1),
    (1, (5,), 4, 6, (3,), 2, 1, 2, 1, 2),
    (1, (4,), 2, 3, (4,), 3, 2, 1, 2, 1),
    (2, (4, 5), 3, 2, (3, 2), (2, 1), (1, 0), (1, 2), (1, 0), 1),
    (2, (3, 3), 4, 4, (3, 3), 2, 1, 1, 1, 4),
    (3, (2, 3, 2), 2, 3, (2, 2, 3), (1, 2, 2), (0, 1, 1), 1, (0, 1, 0), 1),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
@pytest.mark.parametrize("dtype", [mx.float32, mx.float64, mx.float16])
def test_conv_transpose(case, dtype):
    nd, s, ci, co, k, stride, pad, dil, op, groups = case
    x, w = rand(2, *s, ci), rand(co, *k, ci // groups)
    fn = {1: mx.conv_transpose1d, 2: mx.conv_transpose2d, 3: mx.conv_transpose3d}[nd]
    xs, ws = mx.array(x).astype(dtype), mx.array(w).astype(dtype)
    got = fn(xs, ws, stride=stride, padding=pad, dilation=dil, output_padding=op, groups=groups)
    check(got, np_conv_transpose(as_np(xs), as_np(ws), stride, pad, dil, op, groups), dtype)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("na,nv", [(7, 3), (3, 7), (6, 4), (4, 4), (1, 5), (5, 1), (8, 2)])
def test_convolve(mode, na, nv):
    a, v = rand(na), rand(nv)
    for dt in (mx.float32, mx.float64):
        got = mx.convolve(mx.array(a, dt), mx.array(v, dt), mode)
        check(got, np.convolve(a, v, mode), dt)
    got = mx.convolve(mx.array(a, mx.float16), mx.array(v, mx.float16), mode=mode)
    assert got.dtype == mx.float16
    assert mx.convolve(mx.array(a), mx.array(v)).shape == (na + nv - 1,)


# ---------------------------------------------------------------- gradients

GRAD_CASES = [
    (mx.conv1d, (2, 7, 3), (4, 3, 3), dict(stride=2, padding=1)),
    (mx.conv1d, (1, 9, 4), (6, 2, 2), dict(dilation=3, groups=2, padding=2)),
    (mx.conv2d, (2, 5, 6, 3), (4, 3, 2, 3), dict(stride=(2, 1), padding=(1, 2))),
    (mx.conv2d, (1, 6, 6, 4), (4, 3, 3, 2), dict(groups=2, dilation=2, padding=1)),
    (mx.conv3d, (1, 4, 3, 4, 2), (2, 2, 2, 2, 2), dict(stride=(1, 2, 1), padding=1)),
    (mx.conv_general, (2, 6, 5, 2), (3, 2, 3, 2),
     dict(stride=2, padding=([1, 0], [2, 1]), input_dilation=(2, 1), flip=True)),
    (mx.conv_general, (1, 8, 2), (2, 3, 2), dict(stride=3, padding=-1, kernel_dilation=2)),
    (mx.conv_transpose2d, (1, 3, 4, 2), (3, 2, 3, 2),
     dict(stride=2, padding=1, output_padding=1)),
    (mx.conv_transpose1d, (2, 4, 4), (2, 3, 2), dict(stride=2, dilation=2, groups=2)),
]


def _fd_check(f, xs, cot, tol=1e-6):
    """vjp and jvp of f at xs (float64) against central differences."""
    f64 = mx.float64
    prim = [mx.array(v, f64) for v in xs]
    outs, vjps = mx.vjp(f, prim, [mx.array(cot, f64)])
    tans = [rand(*v.shape) for v in xs]
    _, jvps = mx.jvp(f, prim, [mx.array(t, f64) for t in tans])
    h = 1e-4

    def val(vals):
        return np.array(f(*[mx.array(v, f64) for v in vals]))

    for i, v in enumerate(xs):
        g = np.array(vjps[i])
        assert g.shape == v.shape and vjps[i].dtype == mx.float64
        flat = v.reshape(-1)
        for j in range(0, flat.size, max(1, flat.size // 25)):
            keep = flat[j]
            flat[j] = keep + h
            fp = np.sum(val(xs) * cot)
            flat[j] = keep - h
            fm = np.sum(val(xs) * cot)
            flat[j] = keep
            assert abs((fp - fm) / (2 * h) - g.reshape(-1)[j]) < tol * (1 + abs(fp)), (i, j)
    plus = [v + h * t for v, t in zip(xs, tans)]
    minus = [v - h * t for v, t in zip(xs, tans)]
    np.testing.assert_allclose(np.array(jvps[0]), (val(plus) - val(minus)) / (2 * h),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("i", range(len(GRAD_CASES)))
def test_conv_grads(i):
    fn, xs, ws, kw = GRAD_CASES[i]
    x, w = rand(*xs), rand(*ws)

    def f(a, b):
        return fn(a, b, **kw)

    out = f(mx.array(x, mx.float64), mx.array(w, mx.float64))
    _fd_check(f, [x, w], rand(*out.shape))


def test_conv_grad_of_grad():
    x, w = rand(2, 5, 5, 3), rand(4, 3, 3, 3)

    def loss(a, b):
        return mx.sum(mx.conv2d(a, b, stride=2, padding=1) ** 2)

    gx = mx.grad(loss)

    def h(a, b):
        return mx.sum(gx(a, b) ** 3)

    f64 = mx.float64
    got = mx.grad(h, argnums=(0, 1))(mx.array(x, f64), mx.array(w, f64))
    eps = 1e-5
    for k, v in enumerate((x, w)):
        g = np.array(got[k]).reshape(-1)
        flat = v.reshape(-1)
        for j in range(0, flat.size, 17):
            keep = flat[j]
            flat[j] = keep + eps
            fp = h(mx.array(x, f64), mx.array(w, f64)).item()
            flat[j] = keep - eps
            fm = h(mx.array(x, f64), mx.array(w, f64)).item()
            flat[j] = keep
            assert abs((fp - fm) / (2 * eps) - g[j]) < 1e-5 * (1 + abs(fp))


def test_convolve_grad():
    a, v = rand(7), rand(3)
    for mode in ("full", "same", "valid"):
        out = mx.convolve(mx.array(a), mx.array(v), mode)
        _fd_check(lambda p, q: mx.convolve(p, q, mode), [a, v], rand(*out.shape))


def test_conv_grad_float32_matches_float64():
    x, w = rand(2, 6, 6, 3), rand(4, 3, 3, 3)

    def loss(a, b):
        return mx.sum(mx.sin(mx.conv2d(a, b, padding=1)))

    g64 = mx.grad(loss, argnums=(0, 1))(mx.array(x, mx.float64), mx.array(w, mx.float64))
    g32 = mx.grad(loss, argnums=(0, 1))(mx.array(x, mx.float32), mx.array(w, mx.float32))
    for a, b in zip(g32, g64):
        assert a.dtype == mx.float32
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- vmap

@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (2, 1), (None, 3)])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
def test_conv_vmap(axes, groups, op):
    B = 3
    xshape, wshape = [2, 6, 5, 4], [4, 3, 2, 4 // groups]
    if axes[0] is not None:
        xshape.insert(axes[0], B)
    if axes[1] is not None:
        wshape.insert(axes[1], B)
    x, w = rand(*xshape), rand(*wshape)

    def f(a, b):
        return getattr(mx, op)(a, b, stride=(2, 1), padding=1, groups=groups)

    f64 = mx.float64
    got = mx.vmap(f, in_axes=axes)(mx.array(x, f64), mx.array(w, f64))
    parts = []
    for i in range(B):
        xi = x if axes[0] is None else np.take(x, i, axis=axes[0])
        wi = w if axes[1] is None else np.take(w, i, axis=axes[1])
        parts.append(np.array(f(mx.array(xi, f64), mx.array(wi, f64))))
    np.testing.assert_allclose(np.array(got), np.stack(parts), rtol=1e-12, atol=1e-12)


def test_conv_vmap_of_grad():
    B = 2
    x, w = rand(B, 1, 5, 5, 2), rand(3, 3, 3, 2)

    def loss(a, b):
        return mx.sum(mx.conv2d(a, b, padding=1) ** 2)

    f64 = mx.float64
    got = mx.vmap(mx.grad(loss, argnums=1), in_axes=(0, None))(mx.array(x, f64), mx.array(w, f64))
    for i in range(B):
        want = mx.grad(loss, argnums=1)(mx.array(x[i], f64), mx.array(w, f64))
        np.testing.assert_allclose(np.array(got[i]), np.array(want), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- errors

def err(exc, match, f, *a, **k):
    with pytest.raises(exc) as e:
        f(*a, **k)
    assert match in str(e.value), str(e.value)


def test_conv_errors():
    x, w = mx.zeros((2, 5, 5, 4)), mx.zeros((6, 3, 3, 4))
    err(ValueError, "[conv] Invalid weight array with 3 dimensions for 2D convolution. Expected "
        "an array with 4 dimensions following the format [C_out, ..., C_in].",
        mx.conv2d, x, mx.zeros((6, 3, 3)))
    err(ValueError, "[conv] Expect the input channels in the input and weight array to match "
        "but got shapes - input: (2,5,5,4) and weight: (6,3,3,3)",
        mx.conv2d, x, mx.zeros((6, 3, 3, 3)))
    err(ValueError, "[conv] The input channels must be divisible by the number of groups. Got "
        "input with shape (2,5,5,4) and 3 groups.", mx.conv2d, x, mx.zeros((6, 3, 3, 2)),
        groups=3)
    err(ValueError, "[conv] If groups > 1, the output channels must be divisible by the number "
        "of groups. Got 5 output channels and 2 groups.", mx.conv2d, x, mx.zeros((5, 3, 3, 2)),
        groups=2)
    err(ValueError, "[conv]", mx.conv2d, x, w, groups=0)
    err(ValueError, "[conv] Stride sizes must be positive. Got strides (0,0).",
        mx.conv2d, x, w, stride=0)
    err(ValueError, "[conv] Kernel dilation sizes must be positive. Got kernel dilation (0,0).",
        mx.conv2d, x, w, dilation=0)
    err(ValueError, "[conv] Input dilation sizes must be positive. Got input dilation (0).",
        mx.conv_transpose1d, mx.zeros((2, 5, 4)), mx.zeros((6, 3, 4)), stride=0)
    err(ValueError, "[conv] Invalid input array with type int32. Convolution currently only "
        "supports floating point types", mx.conv2d, x.astype(mx.int32), w)
    err(ValueError, "Invalid input array with type complex64", mx.conv2d,
        x.astype(mx.complex64), w)
    err(ValueError, "[conv] Only works for inputs with 1-3 spatial dimensions. The inputs must "
        "be in the format [N, ..., C_in]", mx.conv_general, mx.zeros((5, 4)), mx.zeros((6, 3, 4)))
    err(ValueError, "[conv] Spatial dimensions of input after padding cannot be smaller than "
        "weight spatial dimensions. Got error at axis 1 for input with shape (2,5,5,4), padding "
        "low (0,0), padding high (0,0), and weight of shape (6,7,7,4).",
        mx.conv2d, x, mx.zeros((6, 7, 7, 4)))
    err(ValueError, "[conv] Invalid strides (1,2,3) for 2D convolution.",
        mx.conv_general, x, w, stride=[1, 2, 3])
    err(ValueError, "[conv] Invalid padding (1) | (1,2) for 1D convolution.",
        mx.conv_general, mx.zeros((2, 5, 4)), mx.zeros((6, 3, 4)), padding=([1], [1, 2]))
    err(ValueError, "[conv] Invalid kernel dilation (1,1) for 1D convolution.",
        mx.conv_general, mx.zeros((2, 5, 4)), mx.zeros((6, 3, 4)), kernel_dilation=[1, 1])
    err(ValueError, "[conv] Invalid weight array with 4 dimensions for 1D convolution.",
        mx.conv1d, mx.zeros((2, 5, 4)), w)
    err(TypeError, "conv2d()", mx.conv2d, x, w, stride=(1, 2, 3))
    err(TypeError, "conv2d()", mx.conv2d, x, w, padding="same")
    err(TypeError, "conv_general()", mx.conv_general, x, w, stride=1.5)
    err(TypeError, "conv1d()", mx.conv1d, mx.zeros((2, 5, 4)), mx.zeros((6, 3, 4)), stride=(1,))
    err(TypeError, "", mx.conv2d, x)
    err(TypeError, "", mx.conv2d, input=x, weight=w)  # positional-only
    err(ValueError, "[convolve] Inputs must be 1D.", mx.convolve, mx.zeros((3, 1)), mx.zeros(5))
    err(ValueError, "[convolve] Inputs cannot be empty.", mx.convolve, mx.zeros(0), mx.zeros(5))
    err(ValueError, "[convolve] Invalid mode.", mx.convolve, mx.zeros(3), mx.zeros(5), "bad")
    err(ValueError, "Invalid input array with type int32", mx.convolve,
        mx.zeros(3, mx.int32), mx.zeros(5, mx.int32))
    err(TypeError, "", mx.convolve, [1.0, 2.0], [1.0])


def test_conv_shapes_and_empty():
    assert mx.conv2d(mx.zeros((0, 3, 3, 2)), mx.zeros((1, 1, 1, 2))).shape == (0, 3, 3, 1)
    r = mx.conv2d(mx.ones((1, 3, 3, 0)), mx.ones((2, 1, 1, 0)))
    assert r.shape == (1, 3, 3, 2) and not np.array(r).any()
    assert mx.conv2d(mx.ones((1, 3, 3, 2)), mx.ones((0, 1, 1, 2))).shape == (1, 3, 3, 0)
    assert mx.conv2d(mx.zeros((2, 5, 5, 4)), mx.zeros((6, 3, 3, 4)), padding=-1).shape == \
        (2, 1, 1, 6)
    assert mx.conv_transpose2d(mx.zeros((2, 5, 5, 4)), mx.zeros((6, 3, 3, 4)), stride=2,
                               output_padding=2).shape == (2, 13, 13, 6)
    assert mx.conv2d(mx.zeros((2, 5, 5, 4)), mx.zeros((6, 3, 3, 4)),
                     stream=mx.cpu).shape == (2, 3, 3, 6)


# ---------------------------------------------------------------- the weight gradient's own rules

WG_KW = dict(stride=(2, 1), padding=([1, 0], [0, 1]), kernel_dilation=(1, 2), groups=2, flip=True)


def _weight_grad(a, b):
    """d/dw sum(sin(conv)): a CONV_WEIGHT_GRAD node fed by cos(conv(a, b))."""
    return mx.grad(lambda p, q: mx.sum(mx.sin(mx.conv_general(p, q, **WG_KW))), argnums=1)(a, b)


def _input_grad(a, b):
    """d/dx sum(sin(conv)): a CONV_INPUT_GRAD node."""
    return mx.grad(lambda p, q: mx.sum(mx.sin(mx.conv_general(p, q, **WG_KW))), argnums=0)(a, b)


@pytest.mark.parametrize("fn", [_weight_grad, _input_grad])
def test_conv_grad_primitives_vjp_jvp(fn):
    x, w = rand(2, 6, 5, 4), rand(6, 3, 2, 2)
    out = fn(mx.array(x, mx.float64), mx.array(w, mx.float64))
    assert out.shape == (w.shape if fn is _weight_grad else x.shape)
    _fd_check(fn, [x, w], rand(*out.shape), tol=1e-5)


@pytest.mark.parametrize("fn", [_weight_grad, _input_grad])
@pytest.mark.parametrize("axes", [(0, 0), (None, 0), (0, None), (1, 2)])
def test_conv_grad_primitives_vmap(fn, axes):
    B = 2
    xshape, wshape = [2, 6, 5, 4], [6, 3, 2, 2]
    if axes[0] is not None:
        xshape.insert(axes[0], B)
    if axes[1] is not None:
        wshape.insert(axes[1], B)
    x, w = rand(*xshape), rand(*wshape)
    f64 = mx.float64
    got = mx.vmap(fn, in_axes=axes)(mx.array(x, f64), mx.array(w, f64))
    for i in range(B):
        xi = x if axes[0] is None else np.take(x, i, axis=axes[0])
        wi = w if axes[1] is None else np.take(w, i, axis=axes[1])
        want = fn(mx.array(xi, f64), mx.array(wi, f64))
        np.testing.assert_allclose(np.array(got[i]), np.array(want), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("argnum", [0, 1])
def test_conv_grads_large_are_deterministic(argnum):
    # many rows: the weight gradient sums partial gradients over chunks, the
    # input gradient shares images among threads
    x, w = rand(16, 32, 32, 16), rand(32, 3, 3, 16)
    f32 = mx.float32

    def gw(a, b):
        return mx.grad(lambda p, q: mx.sum(mx.conv2d(p, q, stride=2, padding=1) ** 2),
                       argnums=argnum)(a, b)

    a = np.array(gw(mx.array(x, f32), mx.array(w, f32)))
    b = np.array(gw(mx.array(x, f32), mx.array(w, f32)))
    assert np.array_equal(a, b)
    want = np.array(gw(mx.array(x, mx.float64), mx.array(w, mx.float64)))
    np.testing.assert_allclose(a, want, rtol=1e-3, atol=1e-2)


def test_conv_absurd_sizes_are_errors():
    x, w = mx.zeros((1, 3, 3, 2)), mx.zeros((2, 2, 2, 2))
    err(ValueError, "overflows", mx.conv2d, x, w, padding=2**31 - 1)
    err(OverflowError, "out of range", mx.conv2d, x, w, padding=2**31)
    err(ValueError, "overflows", mx.conv_general, x, w, input_dilation=2**31 - 1)
    err(ValueError, "overflows", mx.conv_transpose2d, x, w, stride=2**31 - 1)
    err(ValueError, "[conv", mx.conv_transpose2d, x, w, padding=2**31 - 1, output_padding=-1)
    err(ValueError, "[conv", mx.conv_transpose2d, x, w, dilation=2**31 - 1, padding=-2**31)
    err(ValueError, "[conv] The input channels must be divisible", mx.conv2d, x, w,
        groups=2**31 - 1)
    big = mx.broadcast_to(mx.zeros((1, 1, 1)), (1, 2**33, 1))
    err(ValueError, "[conv] Spatial dimensions larger than", mx.conv1d, big, mx.zeros((1, 1, 1)))
