"""sort, argsort, partition, argpartition, topk, median, searchsorted against
NumPy (values, dtypes as MLX 0.32), NaN/inf placement, empty and 0-d
arrays, axes, gradients against finite differences, vmap against a loop, and
MLX's errors."""
import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, FLOATS, INTS, NP, assert_array, dtype_name, make, sample, to_numpy

REAL = [d for d in ALL_DTYPES if d != mx.complex64]


def with_specials(x, dtype, rng):
    if dtype in FLOATS and x.size >= 8:
        flat = x.reshape(-1)
        pos = rng.choice(flat.size, 6, replace=False)
        flat[pos] = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.nan]
    return x


@pytest.mark.parametrize("dtype", REAL, ids=dtype_name)
@pytest.mark.parametrize("n", [1, 5, 33, 600, 5000])
def test_sort_argsort_1d(dtype, n, rng):
    x = with_specials(sample((n,), dtype, -50, 50, seed=n), dtype, rng)
    a = make(x, dtype)
    xe = to_numpy(a)  # as rounded to dtype
    assert_array(mx.sort(a), np.sort(xe, kind="stable"), dtype=dtype)
    assert_array(mx.argsort(a), np.argsort(xe, kind="stable").astype(np.uint32), dtype=mx.uint32)


@pytest.mark.parametrize("dtype", [mx.float32, mx.int32, mx.uint32, mx.float16, mx.int8],
                         ids=dtype_name)
def test_sort_argsort_long_lines(dtype, rng):
    # lines of >= 64 Ki 32-bit keys take three 11-bit radix passes; with many
    # repeats (stability), both zeros and NaNs among them
    n = (1 << 17) + 3
    x = sample((n,), dtype, -3000, 3000, seed=11)
    if dtype in FLOATS:
        x[rng.choice(n, 200, replace=False)] = np.nan
        x[rng.choice(n, 300, replace=False)] = -0.0
        x[rng.choice(n, 300, replace=False)] = 0.0
    a = make(x, dtype)
    xe = to_numpy(a)
    assert_array(mx.sort(a), np.sort(xe, kind="stable"), dtype=dtype)
    assert_array(mx.argsort(a), np.argsort(xe, kind="stable").astype(np.uint32), dtype=mx.uint32)
    two = make(np.stack([xe, xe[::-1]]), dtype)
    assert_array(mx.sort(two, axis=1), np.sort(np.stack([xe, xe[::-1]]), axis=1, kind="stable"), dtype=dtype)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_sort_axes_and_views(axis):
    x = sample((4, 5, 6), mx.float32, seed=3)
    for a, xn in [(mx.array(x), x), (mx.array(x).transpose(2, 0, 1), x.transpose(2, 0, 1)),
                  (mx.array(x)[::2, ::-1], x[::2, ::-1])]:
        assert_array(mx.sort(a, axis=axis), np.sort(xn, axis=axis))
        assert_array(mx.argsort(a, axis=axis), np.argsort(xn, axis=axis, kind="stable"), dtype=mx.uint32)
    assert_array(mx.sort(mx.array(x), axis=None), np.sort(x, axis=None))
    assert_array(mx.argsort(mx.array(x), axis=None), np.argsort(x, axis=None, kind="stable"))


def test_sort_nan_inf_zero_placement():
    x = mx.array([3.0, float("nan"), -0.0, 0.0, -float("inf"), 1, float("nan"), float("inf")])
    s = np.array(mx.sort(x))
    np.testing.assert_array_equal(s[:6], [-np.inf, 0, 0, 1, 3, np.inf])
    assert np.signbit(s[1]) and not np.signbit(s[2])  # stable: -0.0 kept before 0.0
    assert np.isnan(s[6:]).all()
    assert np.array(mx.argsort(x)).tolist() == [4, 2, 3, 5, 0, 7, 1, 6]
    assert mx.sort(mx.array([0.0, -0.0])).tolist() == [0.0, -0.0]


def test_sort_empty_and_scalar():
    assert mx.sort(mx.zeros((0, 3))).shape == (0, 3)
    assert mx.sort(mx.zeros((3, 0))).shape == (3, 0)
    r = mx.argsort(mx.zeros((0,)), axis=None)
    assert r.shape == (0,) and r.dtype == mx.uint32
    assert mx.sort(mx.array(3.0), axis=None).tolist() == [3.0]
    with pytest.raises(IndexError, match=r"\[sort\] Axis -1 is out of bounds for array with 0 dimensions."):
        mx.sort(mx.array(3.0))
    with pytest.raises(IndexError, match=r"\[argsort\] Axis -1 is out"):
        mx.argsort(mx.array(3.0))
    assert mx.topk(mx.zeros((3, 0)), 0).shape == (3, 0)


def check_partition(p, pi, x, k, axis):
    """p is a partition of x at k along axis, pi its indices."""
    p, pi = np.array(p), np.array(pi)
    ref = np.sort(x, axis=axis)
    pm, rm = np.moveaxis(p, axis, -1), np.moveaxis(ref, axis, -1)
    np.testing.assert_array_equal(pm[..., k], rm[..., k])
    assert (pm[..., :k] <= pm[..., k:k + 1]).all() and (pm[..., k + 1:] >= pm[..., k:k + 1]).all()
    np.testing.assert_array_equal(np.take_along_axis(x, pi.astype(np.int64), axis), p)
    np.testing.assert_array_equal(np.sort(pm, -1), rm)


@pytest.mark.parametrize("dtype", [mx.int8, mx.uint16, mx.int32, mx.int64, mx.float16, mx.float32,
                                   mx.float64], ids=dtype_name)
@pytest.mark.parametrize("kth", [0, 3, -1, -7])
def test_partition(dtype, kth):
    x = sample((3, 40), dtype, -20, 20, seed=5)
    a = make(x, dtype)
    for axis in [-1, 0]:
        n = x.shape[axis]
        if kth >= n or kth < -n:
            continue
        p, pi = mx.partition(a, kth, axis=axis), mx.argpartition(a, kth, axis=axis)
        assert p.dtype == dtype and pi.dtype == mx.uint32 and p.shape == a.shape
        check_partition(p, pi, to_numpy(a), kth % n, axis % 2)
    flat = to_numpy(a).reshape(-1)
    check_partition(mx.partition(a, kth, axis=None), mx.argpartition(a, kth, axis=None), flat,
                    kth % flat.size, 0)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_topk(k):
    x = sample((4, 50), mx.float32, seed=9)
    a = mx.array(x)
    assert_array(mx.topk(a, k), np.sort(x, axis=-1)[:, -k:])
    assert_array(mx.topk(a, k, axis=0), np.sort(x, axis=0)[-k:]) if k <= 4 else None
    assert_array(mx.topk(a, k, axis=None), np.sort(x, axis=None)[-k:])
    # small inputs: the same order MLX gives
    assert mx.topk(mx.array([5, 1, 4, 2, 3]), 3).tolist() == [3, 4, 5]
    # NaN counts as the largest
    assert np.isnan(np.array(mx.topk(mx.array([1.0, float("nan"), 3.0]), 1))).all()


def test_sort_kth_errors():
    a = mx.array([[1.0, 2, 3], [4, 5, 6]])
    with pytest.raises(IndexError, match=r"\[sort\] Axis 2 is out of bounds for array with 2 dimensions."):
        mx.sort(a, axis=2)
    with pytest.raises(IndexError, match=r"\[argsort\] Axis 5"):
        mx.argsort(a, axis=5)
    with pytest.raises(ValueError, match=r"\[partition\] Received invalid kth 3along axis -1 for array with shape: \(2,3\)"):
        mx.partition(a, 3)
    with pytest.raises(ValueError, match=r"invalid kth -4along"):
        mx.partition(a, -4)
    with pytest.raises(ValueError, match=r"\[argpartition\] Received invalid kth 5 along axis 0 for array with shape: \(2,3\)"):
        mx.argpartition(a, 5, axis=0)
    with pytest.raises(IndexError, match=r"\[partition\] Axis 4"):
        mx.partition(a, 1, axis=4)
    with pytest.raises(ValueError, match=r"\[topk\] Received invalid k=4 along axis -1 for array with shape: \(2,3\)"):
        mx.topk(a, 4)
    with pytest.raises(ValueError, match=r"\[topk\] Received invalid k=-1"):
        mx.topk(a, -1)
    with pytest.raises(IndexError, match=r"\[topk\] Axis 3"):
        mx.topk(a, 2, axis=3)
    with pytest.raises(TypeError):
        mx.partition(a)
    with pytest.raises(TypeError):
        mx.sort(a, axis=1.5)


@pytest.mark.parametrize("dtype", [mx.bool_, mx.int8, mx.uint32, mx.int64, mx.float16, mx.bfloat16,
                                   mx.float32, mx.float64], ids=dtype_name)
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_median(dtype, axis, keepdims):
    x = sample((3, 4, 5), dtype, -10, 10, seed=2)
    a = make(x, dtype)
    want = np.median(to_numpy(a).astype(np.float64), axis=axis, keepdims=keepdims)
    out = dtype if dtype in FLOATS else mx.float32
    assert_array(mx.median(a, axis=axis, keepdims=keepdims), want, dtype=out)


def test_median_special():
    assert np.isnan(mx.median(mx.array([1.0, float("nan"), 3])).item())
    assert mx.median(mx.array([1, 2, 3, 4])).item() == 2.5
    assert mx.median(mx.array(2)).item() == 2.0
    assert mx.median(mx.array([1, 2], mx.float16)).dtype == mx.float16
    with pytest.raises(IndexError, match=r"\[median\] axis 3 is out of bounds for array with 2 dimensions."):
        mx.median(mx.zeros((2, 3)), axis=3)
    with pytest.raises(ValueError, match=r"\[median\] Cannot take median along empty axis."):
        mx.median(mx.zeros((0,)))
    with pytest.raises(ValueError, match=r"\[median\] Received duplicate axis."):
        mx.median(mx.zeros((2, 3)), axis=[0, 0])


@pytest.mark.parametrize("dtype", [mx.uint8, mx.int16, mx.int32, mx.float16, mx.float32, mx.float64],
                         ids=dtype_name)
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(dtype, side):
    seq = np.sort(sample((30,), dtype, 0, 20, seed=4))
    vals = sample((4, 6), dtype, -2, 22, seed=6)
    r = mx.searchsorted(make(seq, dtype), make(vals, dtype), side=side)
    assert_array(r, np.searchsorted(seq, vals, side=side).astype(np.uint32), dtype=mx.uint32)


def test_searchsorted_special():
    s = mx.array([1, 2, 2, 4])
    assert mx.searchsorted(s, mx.array([0, 2, 3, 5])).tolist() == [0, 1, 3, 4]
    assert mx.searchsorted(s, mx.array([0, 2, 3, 5]), side="right").tolist() == [0, 3, 3, 4]
    assert mx.searchsorted(s, mx.array([0.5, 2, float("nan")])).tolist() == [0, 1, 4]
    assert mx.searchsorted(mx.array([1.0, float("nan")]), mx.array([float("nan"), 2])).tolist() == [1, 1]
    assert mx.searchsorted(mx.array([1, 2], mx.uint8), mx.array([-1, 300])).tolist() == [0, 2]
    assert mx.searchsorted(mx.array([], mx.float32), mx.array([1.0])).tolist() == [0]
    with pytest.raises(ValueError, match=r"\[searchsorted\] The sorted sequence must be 1-D but has 2 dimensions."):
        mx.searchsorted(mx.zeros((2, 3)), s)
    with pytest.raises(ValueError, match=r"\[searchsorted\] Invalid side 'middle'. Expected 'left' or 'right'."):
        mx.searchsorted(s, s, side="middle")
    with pytest.raises(TypeError):
        mx.searchsorted(s, 2)


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


FUNCS = {
    "sort": lambda x: mx.sort(x, axis=0),
    "partition": lambda x: mx.partition(x, 1, axis=-1),
    "topk": lambda x: mx.topk(x, 2),
    "topk_none": lambda x: mx.topk(x, 3, axis=None),
    "median": lambda x: mx.median(x, axis=1),
    "median_all": lambda x: mx.median(x),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_grads(name):
    f = FUNCS[name]
    rng = np.random.default_rng(0)
    x = rng.permutation(12).reshape(3, 4).astype(np.float64) * 0.37 - 2
    w = A(rng.standard_normal(np.array(f(A(x))).shape))

    def scalar(a):
        return (f(a) * w).sum()
    g = mx.grad(scalar)(A(x))
    np.testing.assert_allclose(np.array(g), fd_grad(scalar, x), rtol=1e-6, atol=1e-6)
    t = rng.standard_normal(x.shape)
    _, (jv,) = mx.jvp(f, [A(x)], [A(t)])
    fd = (np.array(f(A(x + 1e-6 * t))) - np.array(f(A(x - 1e-6 * t)))) / 2e-6
    np.testing.assert_allclose(np.array(jv), fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [mx.float32, mx.int16, mx.float64], ids=dtype_name)
def test_topk_long_line_and_grad(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(20000) * 100
    x[rng.choice(20000, 50)] = 7.0  # ties
    a = make(x.astype(NP[dtype]), dtype)
    xe = to_numpy(a)
    for k in (1, 10, 300):
        assert_array(mx.topk(a, k), np.sort(xe)[-k:])
        if dtype != mx.float64:
            continue
        w = mx.array(rng.standard_normal(k), dtype=dtype)
        g = np.array(mx.grad(lambda v: (mx.topk(v, k) * w).sum())(a))
        want = np.zeros(20000)
        want[np.argsort(xe, kind="stable")[-k:]] = np.array(w)
        np.testing.assert_array_equal(g, want)
    p = np.array(mx.partition(a, -10))
    assert (np.sort(p[:-10]) == np.sort(xe)[:-10]).all()


def test_arg_grads_are_zero():
    x = A([3.0, 1.0, 2.0])
    assert mx.grad(lambda a: mx.argsort(a).astype(mx.float32).sum() + a.sum())(x).tolist() == [1, 1, 1]


@pytest.mark.parametrize("name", ["sort", "argsort", "partition", "argpartition", "topk", "median"])
@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_vmap(name, in_axis):
    f = {"sort": lambda x: mx.sort(x, axis=0), "argsort": lambda x: mx.argsort(x),
         "partition": lambda x: mx.partition(x, 2, axis=-1), "argpartition": lambda x: mx.argpartition(x, -2),
         "topk": lambda x: mx.topk(x, 2, axis=0), "median": lambda x: mx.median(x, axis=1)}[name]
    x = sample((4, 5, 6), mx.float32, seed=11)
    a = mx.array(x)
    got = mx.vmap(f, in_axes=in_axis)(a)
    want = mx.stack([f(mx.array(np.take(x, i, axis=in_axis))) for i in range(x.shape[in_axis])])
    assert_array(got, np.array(want))


def test_vmap_searchsorted():
    s = mx.array([1.0, 2, 3, 4])
    v = mx.array(sample((3, 5), mx.float32, 0, 5, seed=1))
    got = mx.vmap(lambda b: mx.searchsorted(s, b), in_axes=1)(v)
    want = mx.stack([mx.searchsorted(s, v[:, i]) for i in range(5)])
    assert_array(got, np.array(want))


@pytest.mark.parametrize("side", ["left", "right"])
def test_vmap_searchsorted_sequence(side):
    seqs = np.sort(sample((3, 6), mx.float32, 0, 5, seed=2), axis=1)
    seqs[1, -2:] = np.nan
    vals = sample((3, 4), mx.float32, -1, 6, seed=3)
    vals[0, 1] = np.nan
    vals[2, 0] = seqs[2, 3]
    s, v = mx.array(seqs), mx.array(vals)
    f = lambda a, b: mx.searchsorted(a, b, side=side)
    got = mx.vmap(f)(s, v)
    want = mx.stack([f(s[i], v[i]) for i in range(3)])
    assert got.dtype == mx.uint32
    assert_array(got, np.array(want))
    got = mx.vmap(f, in_axes=(0, None))(s, v[0])
    want = mx.stack([f(s[i], v[0]) for i in range(3)])
    assert_array(got, np.array(want))
    si = mx.array(np.sort(sample((2, 5), mx.int32, 0, 9, seed=4), axis=1))
    vi = mx.array(sample((2, 3), mx.int32, 0, 9, seed=5))
    assert_array(mx.vmap(f)(si, vi), np.array(mx.stack([f(si[i], vi[i]) for i in range(2)])))
