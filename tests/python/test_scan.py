"""cumsum, cumprod, cummax, cummin, logcumsumexp (and cumulative_sum,
cumulative_prod, the array methods) against NumPy, with MLX 0.32's dtypes,
reverse/inclusive, axes, views, NaN and infinities, empty and 0-d arrays,
gradients against finite differences, vmap against a loop, and errors."""
import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, FLOATS, INTS, NP, assert_array, dtype_name, make, sample, to_numpy

REAL = [d for d in ALL_DTYPES if d != mx.complex64]

NP_SCAN = {
    "cumsum": lambda x, axis: np.cumsum(x, axis=axis),
    "cumprod": lambda x, axis: np.cumprod(x, axis=axis),
    "cummax": lambda x, axis: np.maximum.accumulate(x, axis=axis),
    "cummin": lambda x, axis: np.minimum.accumulate(x, axis=axis),
    "logcumsumexp": lambda x, axis: np.logaddexp.accumulate(x, axis=axis),
}
IDENT = {"cumsum": 0, "cumprod": 1, "cummax": -np.inf, "cummin": np.inf, "logcumsumexp": -np.inf}


def np_scan(name, x, axis, reverse=False, inclusive=True):
    """The reference, in float64 (bool as int for sums), with MLX's reverse
    and exclusive semantics."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    xf = x if x.dtype.kind in "iu" and name in ("cummax", "cummin") else x.astype(np.float64)
    if reverse:
        xf = np.flip(xf, axis)
    if name in ("cummax", "cummin") and not np.isnan(xf).any():
        y = NP_SCAN[name](xf, axis)
    else:
        y = NP_SCAN[name](xf, axis)
        if name in ("cummax", "cummin"):  # NaN propagates
            y = np.where(np.cumsum(np.isnan(xf), axis=axis) > 0, np.nan, y)
    if not inclusive:
        ident = IDENT[name]
        if x.dtype.kind in "biu" and name in ("cummax", "cummin"):
            info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
            ident = (info.min if name == "cummax" else info.max) if info else float(name == "cummin")
        first = np.take(np.full_like(y, ident), [0], axis=axis)
        y = np.concatenate([first, np.take(y, range(y.shape[axis] - 1), axis=axis)], axis=axis)
    if reverse:
        y = np.flip(y, axis)
    return y


def out_dtype(name, dtype):
    if name == "cumsum" and dtype == mx.bool_:
        return mx.int32
    if name == "logcumsumexp" and dtype not in FLOATS:
        return mx.float32
    return dtype


def values(name, dtype, shape, seed=0):
    if name == "cumprod":
        x = sample(shape, dtype, 1, 3, seed=seed) if dtype not in FLOATS else sample(shape, dtype, -1.5, 1.5, seed)
        if dtype in INTS and np.iinfo(NP[dtype]).min < 0:
            x = np.where(sample(shape, mx.bool_, seed=seed + 1), x, -x).astype(NP[dtype])
        return x
    if name == "cumsum" and dtype in INTS:
        return sample(shape, dtype, 0, 4, seed=seed)
    return sample(shape, dtype, -5, 5, seed=seed)


@pytest.mark.parametrize("name", list(NP_SCAN))
@pytest.mark.parametrize("dtype", REAL, ids=dtype_name)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [True, False])
def test_scan_dtypes(name, dtype, reverse, inclusive):
    x = values(name, dtype, (3, 6), seed=1)
    a = make(x, dtype)
    xe = to_numpy(a)
    fn = getattr(mx, name)
    for axis in [0, 1, -1, None]:
        got = fn(a, axis=axis, reverse=reverse, inclusive=inclusive)
        want = np_scan(name, xe, axis, reverse, inclusive)
        if dtype == mx.bool_ and name in ("cumprod", "cummax", "cummin"):
            want = want.astype(bool)
        assert got.dtype == out_dtype(name, dtype)
        if dtype in INTS or dtype == mx.bool_:
            if got.dtype in FLOATS:
                assert_array(got, want, rtol=1e-5)
            else:
                assert_array(got, want.astype(NP[got.dtype]))
        else:
            assert_array(got, want, rtol={mx.float16: 1e-2, mx.bfloat16: 5e-2}.get(dtype, 1e-5))


@pytest.mark.parametrize("name", list(NP_SCAN))
def test_scan_views_and_large(name):
    x = values(name, mx.float64, (5, 7, 300), seed=2)
    if name == "cumprod":
        x = 1 + x / 1000
    a = mx.array(x, dtype=mx.float64)
    for v, xv in [(a, x), (a.transpose(2, 0, 1), x.transpose(2, 0, 1)), (a[::2, ::-1, 1::3], x[::2, ::-1, 1::3])]:
        for axis in range(3):
            for rev in (False, True):
                assert_array(getattr(mx, name)(v, axis=axis, reverse=rev), np_scan(name, xv, axis, rev), rtol=1e-9)


def test_scan_special_values():
    x = mx.array([1.0, float("nan"), 3, 0])
    assert np.isnan(np.array(mx.cummax(x))[1:]).all() and np.isnan(np.array(mx.cummin(x))[1:]).all()
    assert mx.logcumsumexp(mx.array([-np.inf, -np.inf, 1.0])).tolist() == [-np.inf, -np.inf, 1.0]
    assert mx.logcumsumexp(mx.array([np.inf, 1.0, np.inf])).tolist() == [np.inf] * 3
    assert mx.cummax(mx.array([1, 2], mx.int8), inclusive=False).tolist() == [-128, 1]
    assert mx.cummin(mx.array([1, 2], mx.uint8), inclusive=False).tolist() == [255, 1]
    assert mx.cummin(mx.array([True, False]), inclusive=False).tolist() == [True, True]
    assert mx.cummax(mx.array([[1.0, 2, 3]]), axis=1, inclusive=False).tolist() == [[-np.inf, 1, 2]]
    assert mx.cumsum(mx.array([[1.0, 2, 3], [4, 5, 6]]), axis=1, reverse=True, inclusive=False).tolist() == \
        [[5, 3, 0], [11, 6, 0]]
    z = mx.cumsum(mx.array([1 + 1j, 2]))
    assert z.dtype == mx.complex64 and z.tolist() == [1 + 1j, 3 + 1j]


def test_scan_dtype_argument_and_aliases():
    a = mx.array([[1.0, 2, 3], [4, 5, 6]])
    r = mx.cumsum(a, dtype=mx.int32)
    assert r.dtype == mx.int32 and r.tolist() == [1, 3, 6, 10, 15, 21]
    assert mx.cumsum(mx.array([True, True]), dtype=mx.float16).dtype == mx.float16
    assert mx.cumprod(mx.array([1, 2], mx.int8), dtype=mx.bool_).tolist() == [True, True]
    assert mx.cumulative_sum(a, axis=0).tolist() == [[1, 2, 3], [5, 7, 9]]
    assert mx.cumulative_prod(a, axis=1, reverse=True).tolist() == [[6, 6, 3], [120, 30, 6]]
    for name in NP_SCAN:
        m = getattr(a, name)(axis=1, reverse=True, inclusive=False)
        f = getattr(mx, name)(a, axis=1, reverse=True, inclusive=False)
        assert_array(m, np.array(f))
    assert_array(a.cumsum(), np.cumsum(np.array(a)))


def test_scan_empty_scalar_and_errors():
    assert mx.cumsum(mx.zeros((0, 3)), axis=0).shape == (0, 3)
    assert mx.cumsum(mx.array(3.0)).tolist() == [3.0]
    a = mx.zeros((2, 3))
    with pytest.raises(IndexError, match=r"\[cumsum\] Axis 2 is out of bounds for array with 2 dimensions."):
        mx.cumsum(a, axis=2)
    with pytest.raises(IndexError, match=r"\[cumsum\] Axis -3 is out of bounds"):
        mx.cumsum(a, axis=-3)
    with pytest.raises(IndexError, match=r"\[cummax\] Axis 5"):
        mx.cummax(a, axis=5)
    with pytest.raises(IndexError, match=r"\[logcumsumexp\] Axis 5"):
        mx.logcumsumexp(a, axis=5)
    with pytest.raises(IndexError, match=r"\[cumsum\] Axis 0 is out of bounds for array with 0 dimensions."):
        mx.cumsum(mx.array(3.0), axis=0)
    with pytest.raises(TypeError):
        mx.cumsum(a, 0, True)  # reverse is keyword-only
    with pytest.raises(TypeError):
        mx.cummax(a, dtype=mx.float32)  # only cumsum/cumprod take dtype


# ---------------------------------------------------------------- transforms

def A(x):
    return mx.array(x, dtype=mx.float64)


def fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(A(xp)).item() - f(A(xm)).item()) / (2 * eps)
    return g


@pytest.mark.parametrize("name", list(NP_SCAN))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("inclusive", [True, False])
@pytest.mark.parametrize("axis", [0, 1])
def test_scan_grads(name, reverse, inclusive, axis):
    rng = np.random.default_rng(3)
    x = rng.permutation(12).reshape(3, 4).astype(np.float64) * 0.31 - 1.7  # distinct
    if name == "cumprod":
        x[1, 1] = 0.0
        x[2, 0] = 0.0
        x[2, 3] = 0.0
    f = lambda a: getattr(mx, name)(a, axis=axis, reverse=reverse, inclusive=inclusive)
    y = np.array(f(A(x)))
    w = A(np.where(np.isinf(y), 0, rng.standard_normal(y.shape)))

    def scalar(a):
        return mx.where(mx.isinf(f(a)), 0, f(a) * w).sum()
    g = mx.grad(scalar)(A(x))
    np.testing.assert_allclose(np.array(g), fd_grad(scalar, x), rtol=1e-6, atol=1e-6)
    t = rng.standard_normal(x.shape)
    _, (jv,) = mx.jvp(f, [A(x)], [A(t)])
    yp, ym = np.array(f(A(x + 1e-6 * t))), np.array(f(A(x - 1e-6 * t)))
    with np.errstate(invalid="ignore"):
        fd = np.where(np.isinf(y), 0, (yp - ym) / 2e-6)
    np.testing.assert_allclose(np.array(jv), fd, rtol=1e-6, atol=1e-6)


def test_scan_grads_match_mlx():
    x, w = mx.array([1.0, 3, 2, 3, 5, 0]), mx.array([1.0, 2, 3, 4, 5, 6])
    g = lambda f: mx.grad(lambda a: (f(a) * w).sum())
    assert g(mx.cummax)(x).tolist() == [1, 5, 0, 4, 11, 0]
    assert g(mx.cummin)(mx.array([3.0, 1, 2, 1, 0, 5])).tolist() == [1, 5, 0, 4, 11, 0]
    assert g(lambda a: mx.cummax(a, reverse=True))(x).tolist() == [0, 0, 0, 0, 15, 6]
    assert g(lambda a: mx.cummax(a, inclusive=False))(x).tolist() == [2, 7, 0, 5, 6, 0]
    assert g(mx.cumprod)(mx.array([2.0, 0, 3, 0, 4, 5])).tolist() == [1, 22, 0, 0, 0, 0]


def test_scan_second_order():
    x = A([0.5, -1.0, 2.0])
    h = mx.grad(lambda a: mx.grad(lambda b: mx.cumprod(b).sum())(a).sum())(x)
    fd = fd_grad(lambda a: mx.grad(lambda b: mx.cumprod(b).sum())(a).sum(), np.array(x, np.float64))
    np.testing.assert_allclose(np.array(h), fd, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(NP_SCAN))
@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_scan_vmap(name, in_axis):
    f = lambda a: getattr(mx, name)(a, axis=1, reverse=True)
    x = sample((3, 4, 5), mx.float32, seed=8)
    got = mx.vmap(f, in_axes=in_axis)(mx.array(x))
    want = mx.stack([f(mx.array(np.take(x, i, axis=in_axis))) for i in range(x.shape[in_axis])])
    assert_array(got, np.array(want))
    gv = mx.vmap(mx.grad(lambda a: (getattr(mx, name)(a, axis=-1) * a).sum()))(mx.array(x))
    gl = mx.stack([mx.grad(lambda a: (getattr(mx, name)(a, axis=-1) * a).sum())(mx.array(x[i])) for i in range(3)])
    assert_array(gv, np.array(gl))
