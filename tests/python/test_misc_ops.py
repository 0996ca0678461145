"""The remaining mlx.core ops (trunc, logical_xor, isclose, allclose,
array_equal, softmax, count_nonzero, diff, roll, meshgrid, the windows,
broadcast_shapes, matrix_transpose, view, as_strided, contiguous, depends,
export_to_dot), ArrayLike and the same-object aliases: values, dtypes and
shapes against NumPy, gradients against central finite differences in
float64, vmap against a Python loop, and MLX 0.32's errors."""
import io
import re

import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, FLOATS, INTS, NP, assert_array, make, sample, to_numpy

RNG = np.random.default_rng(11)


def f64(x):
    return mx.array(np.asarray(x, dtype=np.float64), dtype=mx.float64)


def fd_check(f, xs, tol=1e-6):
    """vjp (every element) and jvp (a random direction) of f at the float64
    NumPy inputs xs against central differences."""
    h = 1e-6
    prim = [f64(x) for x in xs]
    outs = f(*prim)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    ws = [RNG.uniform(-1, 1, size=o.shape) for o in outs]

    def probe(points):
        ys = f(*[f64(p) for p in points])
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        return sum(float((np.array(y).astype(np.float64) * w).sum()) for y, w in zip(ys, ws))

    _, vjps = mx.vjp(f, prim, [f64(w) for w in ws])
    for i, x in enumerate(xs):
        assert vjps[i].shape == np.shape(x) and vjps[i].dtype == mx.float64
        got = np.array(vjps[i]).reshape(-1)
        for j in range(np.size(x)):
            up = [np.array(p, dtype=np.float64) for p in xs]
            dn = [np.array(p, dtype=np.float64) for p in xs]
            up[i].reshape(-1)[j] += h
            dn[i].reshape(-1)[j] -= h
            want = (probe(up) - probe(dn)) / (2 * h)
            assert abs(got[j] - want) <= tol * (1 + abs(want)), (i, j, got[j], want)
    ts = [RNG.uniform(-1, 1, size=np.shape(x)) for x in xs]
    _, jvps = mx.jvp(f, prim, [f64(t) for t in ts])
    got = sum(float((np.array(t) * w).sum()) for t, w in zip(jvps, ws))
    want = (probe([x + h * t for x, t in zip(xs, ts)]) - probe([x - h * t for x, t in zip(xs, ts)])) / (2 * h)
    assert abs(got - want) <= tol * (1 + abs(want)), (got, want)


def vmap_check(f, x, in_axis=0):
    """vmap(f) over axis in_axis of x against stacking f of each slice."""
    got = mx.vmap(f, in_axes=in_axis)(x)
    want = np.stack([np.array(f(mx.array(np.take(np.array(x), i, axis=in_axis))))
                     for i in range(x.shape[in_axis])])
    assert_array(got, want)


# ---------------------------------------------------------------- aliases, ArrayLike

@pytest.mark.parametrize("alias,name", [
    ("pow", "power"), ("acos", "arccos"), ("asin", "arcsin"), ("atan", "arctan"),
    ("acosh", "arccosh"), ("asinh", "arcsinh"), ("atanh", "arctanh"), ("atan2", "arctan2"),
    ("bitwise_left_shift", "left_shift"), ("bitwise_right_shift", "right_shift"),
    ("empty", "zeros"), ("empty_like", "zeros_like")])
def test_alias_is_same_object(alias, name):
    assert getattr(mx, alias) is getattr(mx, name)


def test_matrix_norm_is_linalg_norm():
    assert mx.matrix_norm is mx.linalg.norm


@pytest.mark.parametrize("alias,name", [("conj", "conjugate"), ("concat", "concatenate"),
                                        ("permute_dims", "transpose")])
def test_distinct_aliases_work(alias, name):
    # MLX binds these as separate functions with the same behaviour
    x = mx.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    args = ([x, x],) if name == "concatenate" else (x,)
    assert mx.array_equal(getattr(mx, alias)(*args), getattr(mx, name)(*args)).item()


def test_arraylike():
    assert isinstance(mx.ArrayLike, type)
    assert not isinstance(mx.array(1), mx.ArrayLike)
    assert "__mlx__array__" in mx.ArrayLike.__doc__


# ---------------------------------------------------------------- trunc, logical_xor

@pytest.mark.parametrize("dt", [mx.float16, mx.bfloat16, mx.float32, mx.float64] + INTS + [mx.bool_])
def test_trunc(dt):
    x = sample((3, 4), dt, -4, 4)
    assert_array(mx.trunc(make(x, dt)), np.trunc(x.astype(np.float64)).astype(x.dtype), dtype=dt)


def test_trunc_edges():
    x = np.array([np.nan, np.inf, -np.inf, -0.5, 0.5, -2.7, 2.7], dtype=np.float32)
    got = np.array(mx.trunc(mx.array(x)))
    np.testing.assert_array_equal(got, np.trunc(x))
    assert np.signbit(got[3])
    assert mx.trunc(mx.array(2.5)).shape == ()
    assert mx.trunc(mx.zeros((0, 2))).shape == (0, 2)
    with pytest.raises(ValueError, match=r"\[trunc\] Not supported for complex64"):
        mx.trunc(mx.array([1 + 2j]))


def test_trunc_grad_zero():
    assert_array(mx.grad(lambda x: mx.trunc(x).sum())(mx.array([1.5, -2.5])), [0.0, 0.0])


@pytest.mark.parametrize("da,db", [(mx.bool_, mx.bool_), (mx.int32, mx.float32),
                                   (mx.uint8, mx.int64), (mx.complex64, mx.float16)])
def test_logical_xor(da, db):
    a = sample((2, 1, 3), da, -2, 2, seed=1)
    b = sample((4, 1), db, -2, 2, seed=2)
    assert_array(mx.logical_xor(make(a, da), make(b, db)), np.logical_xor(a, b), dtype=mx.bool_)


def test_logical_xor_scalars():
    assert_array(mx.logical_xor(True, mx.array([1, 0])), [False, True], dtype=mx.bool_)
    assert mx.logical_xor(1, 0).item() is True
    with pytest.raises(TypeError):
        mx.logical_xor(mx.array([1]))


# ---------------------------------------------------------------- closeness, equality

@pytest.mark.parametrize("dt", [mx.float16, mx.float32, mx.float64, mx.int32, mx.complex64])
def test_isclose_allclose(dt):
    a = sample((3, 4), dt, -3, 3, seed=3)
    eps = sample((3, 4), mx.float32, -1, 1, seed=4) * 1e-5 * float(np.abs(a).max())
    b = (a + eps).astype(a.dtype) if dt not in INTS else a.copy()
    b.reshape(-1)[::3] += 1
    for rtol, atol in [(1e-5, 1e-8), (1e-2, 0.5), (0.0, 0.0)]:
        got = mx.isclose(make(a, dt), make(b, dt), rtol, atol)
        want = np.isclose(a.astype(np.complex128 if dt == mx.complex64 else np.float64), b, rtol=rtol, atol=atol)
        if dt == mx.float16:  # compared in float32 (MLX's float32 tolerances)
            want = np.isclose(a.astype(np.float32), b.astype(np.float32), rtol=rtol, atol=atol)
        assert_array(got, want, dtype=mx.bool_)
        assert mx.allclose(make(a, dt), make(b, dt), rtol=rtol, atol=atol).item() == bool(want.all())


def test_isclose_special_values():
    a = np.array([np.inf, -np.inf, np.inf, np.nan, np.nan, 1.0, 1.0], dtype=np.float32)
    b = np.array([np.inf, -np.inf, -np.inf, np.nan, 1.0, np.inf, 1.0 + 1e-7], dtype=np.float32)
    for eq in (False, True):
        assert_array(mx.isclose(mx.array(a), mx.array(b), equal_nan=eq),
                     np.isclose(a, b, equal_nan=eq), dtype=mx.bool_)
        assert mx.allclose(mx.array([np.nan]), mx.array([np.nan]), equal_nan=eq).item() == eq
    # a negative rtol can make even equal values "far" (as MLX)
    assert not mx.isclose(mx.array([1.0]), mx.array([1.0]), rtol=-1).item()


def test_isclose_broadcast_and_shapes():
    got = mx.isclose(mx.array([1.0]), mx.array([1.0, 2.0, 3.0]).reshape(3, 1))
    assert_array(got, [[True], [False], [False]])
    assert mx.allclose(mx.array([1.0]), mx.array([1.0, 2.0])).shape == ()
    assert mx.allclose(mx.zeros((0,)), mx.zeros((0,))).item() is True
    with pytest.raises(ValueError, match="broadcast"):
        mx.isclose(mx.zeros((2,)), mx.zeros((3,)))
    with pytest.raises(TypeError):
        mx.isclose(mx.zeros((2,)), mx.zeros((2,)), 1e-5, 1e-8, True)  # equal_nan is keyword-only


def test_array_equal():
    assert mx.array_equal(mx.array([1, 2]), mx.array([1.0, 2.0])).item() is True
    assert mx.array_equal(mx.array([1, 2]), mx.array([1, 3])).item() is False
    assert mx.array_equal(mx.array([1, 2]), mx.array([1, 2, 3])).item() is False
    assert mx.array_equal(mx.array([1]), mx.array([[1]])).item() is False
    assert mx.array_equal(1, 1).item() is True
    n = mx.array([np.nan, 1.0])
    assert mx.array_equal(n, n).item() is False
    r = mx.array_equal(n, n, equal_nan=True)
    assert r.item() is True and r.dtype == mx.bool_ and r.shape == ()
    assert mx.array_equal(mx.zeros((0, 3)), mx.zeros((0, 3))).item() is True
    with pytest.raises(TypeError):
        mx.array_equal(n, n, True)


# ---------------------------------------------------------------- softmax, count_nonzero

def np_softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), [1]])
@pytest.mark.parametrize("dt", [mx.float16, mx.bfloat16, mx.float32, mx.float64, mx.int32])
def test_softmax(axis, dt):
    x = sample((2, 3, 4), dt, -3, 3, seed=5)
    ax = tuple(axis) if isinstance(axis, list) else axis
    want = np_softmax(x.astype(np.float64), ax)
    got = mx.softmax(make(x, dt), axis=axis, precise=True)
    assert got.dtype == (mx.float32 if dt == mx.int32 else dt)
    assert_array(got, want, rtol=2e-2 if dt == mx.bfloat16 else 2e-3 if dt == mx.float16 else 1e-5)
    assert_array(mx.softmax(make(x, dt), axis), got)


def test_softmax_edges():
    assert_array(mx.softmax(mx.array([1000.0, 1000.0])), [0.5, 0.5])
    assert np.isnan(np.array(mx.softmax(mx.array([-np.inf, -np.inf])))).all()
    assert mx.softmax(mx.zeros((0, 3)), axis=1).shape == (0, 3)
    assert_array(mx.softmax(mx.array([True])), [1.0], dtype=mx.float32)
    with pytest.raises(IndexError, match="Invalid axis 5 for array with 2 dimensions"):
        mx.softmax(mx.zeros((1, 2)), axis=5)
    with pytest.raises(TypeError):
        mx.softmax(mx.zeros((2,)), 0, True)  # precise is keyword-only


@pytest.mark.parametrize("axis,keep", [(None, False), (0, False), (-1, True), ((0, 2), False),
                                       ((0, 1, 2), True)])
@pytest.mark.parametrize("dt", [mx.bool_, mx.int8, mx.uint32, mx.float16, mx.float32, mx.complex64])
def test_count_nonzero(axis, keep, dt):
    x = sample((2, 3, 4), dt, -1, 2, seed=6)
    want = np.count_nonzero(x, axis=axis, keepdims=keep)
    got = mx.count_nonzero(make(x, dt), axis=axis, keepdims=keep)
    assert_array(got, np.asarray(want, dtype=np.int32), dtype=mx.int32)


def test_count_nonzero_errors():
    with pytest.raises(IndexError, match="Invalid axis 3 for array with 1 dimensions"):
        mx.count_nonzero(mx.array([1, 2]), axis=3)
    with pytest.raises(TypeError):
        mx.count_nonzero(mx.array([1, 2]), 0)  # axis is keyword-only
    assert mx.count_nonzero(mx.zeros((0,))).item() == 0


# ---------------------------------------------------------------- diff, roll

@pytest.mark.parametrize("n", [0, 1, 2, 3, 7])
@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("dt", [mx.int32, mx.uint8, mx.float32, mx.float64, mx.bool_, mx.complex64])
def test_diff(n, axis, dt):
    x = sample((4, 5), dt, 0, 10, seed=7)
    assert_array(mx.diff(make(x, dt), n, axis), np.diff(x, n, axis), dtype=dt)
    assert_array(mx.diff(make(x, dt), n=n, axis=axis), np.diff(x, n, axis))


def test_diff_errors():
    with pytest.raises(ValueError, match=r"\[diff\] Order `n` must be non-negative"):
        mx.diff(mx.array([1, 2]), n=-1)
    for a, ax in [(mx.array(3), -1), (mx.array([1, 2]), 2), (mx.array([1.0, 2.0]), -2)]:
        with pytest.raises(IndexError, match=r"\[diff\] Axis is out of bounds for the array"):
            mx.diff(a, axis=ax)


@pytest.mark.parametrize("shift,axis", [(2, None), (-7, None), ((1, 2), None), (1, 0), (-1, 1),
                                        (5, -1), ((1, 2), (0, 1)), (1, (0, 1)), ((1, 2), 0),
                                        ((1, 2), (0,)), ((1, 2, 3), (0, 1)), ((1, 2), (0, 0)),
                                        (3, ()), (0, 1)])
@pytest.mark.parametrize("dt", [mx.int32, mx.float16, mx.bool_, mx.complex64])
def test_roll(shift, axis, dt):
    x = sample((3, 4), dt, -9, 9, seed=8)
    # MLX: an int axis (or None) takes the sum of a tuple of shifts; a tuple of
    # axes takes the shifts in order (extra ones ignored), an int shift repeated
    if axis is None or isinstance(axis, int):
        want = np.roll(x, int(np.sum(shift)), axis)
    elif isinstance(shift, int):
        want = np.roll(x, (shift,) * len(axis), axis) if axis else x
    else:
        want = np.roll(x, shift[:len(axis)], axis)
    assert_array(mx.roll(make(x, dt), shift, axis), want, dtype=dt)


def test_roll_edges_and_errors():
    assert mx.roll(mx.array(5), 1).item() == 5
    assert mx.roll(mx.zeros((0, 3)), 1, 0).shape == (0, 3)
    assert_array(mx.roll(mx.arange(5), 10**12 + 2), np.roll(np.arange(5), 2))
    with pytest.raises(IndexError, match=r"\[roll\] Invalid axis 3 for array with 2 dimensions"):
        mx.roll(mx.zeros((2, 3)), 1, 3)
    with pytest.raises(IndexError, match=r"\[roll\] Invalid axis 0 for array with 0 dimensions"):
        mx.roll(mx.array(5), 1, 0)
    with pytest.raises(ValueError, match=re.escape("[roll] At least one shift value per axis is "
                                                   "required, 2 provided for 3 axes.")):
        mx.roll(mx.zeros((2, 3, 4)), (1, 2), (0, 1, 2))
    with pytest.raises(TypeError):
        mx.roll(mx.zeros((2,)), shift=1)  # positional-only
    with pytest.raises(ValueError, match="1 provided for 2 axes"):
        mx.roll(mx.zeros((2, 3)), (1,), (0, 1))
    assert_array(mx.roll(mx.arange(6), 2**62, 0), np.roll(np.arange(6), 2**62))


def test_diff_roll_grads():
    x = RNG.uniform(-2, 2, size=(3, 4))
    fd_check(lambda a: mx.diff(a, 2, axis=1), [x])
    fd_check(lambda a: mx.diff(a, 1, axis=0), [x])
    fd_check(lambda a: mx.roll(a, (1, -2), (0, 1)), [x])
    fd_check(lambda a: mx.roll(a, 5), [x])


# ---------------------------------------------------------------- meshgrid, windows

@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_meshgrid(indexing, sparse, n):
    xs = [np.arange(k + 2, dtype=np.float32) * (k + 1) for k in range(n)]
    got = mx.meshgrid(*[mx.array(x) for x in xs], sparse=sparse, indexing=indexing)
    want = np.meshgrid(*xs, sparse=sparse, indexing=indexing)
    assert isinstance(got, tuple) and len(got) == n
    for g, w in zip(got, want):
        assert_array(g, w, dtype=mx.float32)


def test_meshgrid_dtypes_shapes_errors():
    a, b = mx.meshgrid(mx.array([1, 2]), mx.array([1.5]))
    assert a.dtype == mx.int32 and b.dtype == mx.float32 and a.shape == (1, 2)
    a, b = mx.meshgrid(mx.array([[1, 2]]), mx.array(3))  # inputs are flattened
    assert a.shape == b.shape == (1, 2)
    assert mx.meshgrid() == ()
    with pytest.raises(ValueError, match=re.escape("[meshgrid] Invalid indexing value. "
                                                   "Valid values are 'xy' and 'ij'.")):
        mx.meshgrid(mx.array([1, 2]), indexing="foo")
    with pytest.raises(TypeError):
        mx.meshgrid([1, 2])
    with pytest.raises(ValueError, match=r"\[meshgrid\] At most 64 arrays"):
        mx.meshgrid(*[mx.array([1])] * 65)


def test_meshgrid_grad():
    x, y = RNG.uniform(-1, 1, size=3), RNG.uniform(-1, 1, size=4)
    fd_check(lambda a, b: mx.meshgrid(a, b), [x, y])
    fd_check(lambda a, b: mx.meshgrid(a, b, sparse=True, indexing="ij"), [x, y])


@pytest.mark.parametrize("name", ["hanning", "hamming", "blackman", "bartlett"])
@pytest.mark.parametrize("m", [-3, 0, 1, 2, 5, 12, 101])
def test_windows(name, m):
    got = getattr(mx, name)(m)
    assert_array(got, getattr(np, name)(m).astype(np.float32), dtype=mx.float32, atol=1e-6)
    assert_array(getattr(mx, name)(M=m, stream=mx.cpu), np.array(got))


def test_window_errors():
    with pytest.raises(MemoryError, match=r"\[hanning\]"):
        mx.hanning(2**40)
    with pytest.raises(OverflowError):
        mx.bartlett(2**70)
    with pytest.raises(TypeError):
        mx.hanning(3.0)
    with pytest.raises(TypeError):
        mx.hanning()


# ---------------------------------------------------------------- shapes

def test_broadcast_shapes():
    for shapes in [((1,), (3, 1)), ((6, 7), (5, 6, 1), (7,)), ((0,), (1,)), ((2, 3),), ((), (4,)),
                   ([2, 1], (1, 5))]:
        assert mx.broadcast_shapes(*shapes) == np.broadcast_shapes(*map(tuple, shapes))
    assert isinstance(mx.broadcast_shapes((1,), (2,)), tuple)
    with pytest.raises(ValueError, match=re.escape("[broadcast_shapes] Shapes (2) and (3) cannot be broadcast.")):
        mx.broadcast_shapes((2,), (3,))
    with pytest.raises(ValueError, match=re.escape("[broadcast_shapes] Must provide at least one shape.")):
        mx.broadcast_shapes()
    with pytest.raises(TypeError):
        mx.broadcast_shapes(2)
    with pytest.raises(ValueError):
        mx.broadcast_shapes((-1, 2))


def test_matrix_transpose():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert_array(mx.matrix_transpose(mx.array(x)), np.swapaxes(x, -1, -2))
    assert_array(mx.matrix_transpose(mx.array(x[0])), x[0].T)
    with pytest.raises(ValueError, match=re.escape("[matrix_transpose] Input array must have at least 2 dimensions.")):
        mx.matrix_transpose(mx.zeros((3,)))
    with pytest.raises(TypeError):
        mx.matrix_transpose(mx.array(x), (0, 2, 1))


# ---------------------------------------------------------------- view

VIEW_DTYPES = [mx.bool_, mx.uint8, mx.int16, mx.uint32, mx.int64, mx.float16, mx.bfloat16,
               mx.float32, mx.float64, mx.complex64]


@pytest.mark.parametrize("src", [mx.uint8, mx.int16, mx.float32, mx.int64, mx.complex64])
@pytest.mark.parametrize("dst", VIEW_DTYPES)
def test_view(src, dst):
    x = sample((3, 8), src, -50, 50, seed=9)
    if dst == mx.bool_:
        x = (x != 0).astype(NP[src])  # only 0/1 bytes are valid bools
        if NP[src]().itemsize > 1:
            pytest.skip("multi-byte 0/1 values are not single bool bytes")
    got = mx.view(make(x, src), dst)
    assert got.dtype == dst
    if dst == mx.bfloat16:
        raw = np.ascontiguousarray(x).view(np.uint16)
        want = (raw.astype(np.uint32) << 16).view(np.float32)
        np.testing.assert_array_equal(np.array(got.astype(mx.float32)), want)
    else:
        want = np.ascontiguousarray(x).view(NP[dst])
        np.testing.assert_array_equal(np.array(got).view(np.uint8), want.view(np.uint8))
    assert_array(make(x, src).view(dst).view(src), x)


def test_view_layouts():
    x = np.arange(24, dtype=np.int16).reshape(4, 6)
    # transposed (not row contiguous): MLX copies first, so NumPy's view of a copy
    t = mx.array(x).T
    assert_array(mx.view(t, mx.int32), np.ascontiguousarray(x.T).view(np.int32))
    assert_array(mx.view(t, mx.uint16), x.T.view(np.uint16))
    assert_array(mx.view(mx.array(x)[:, 1:5], mx.int32), np.ascontiguousarray(x[:, 1:5]).view(np.int32))
    assert_array(mx.view(mx.array(x)[::2], mx.int8), np.ascontiguousarray(x[::2]).view(np.int8))
    b = mx.broadcast_to(mx.array(np.int16(7)), (2, 4))
    assert_array(mx.view(b, mx.int32), np.full((2, 4), 7, np.int16).view(np.int32))
    assert mx.view(mx.array(1.0), mx.int32).item() == 1065353216
    assert mx.view(1.0, mx.int32).item() == 1065353216
    assert mx.view(mx.zeros((3, 0)), mx.int16).shape == (3, 0)


def test_view_errors():
    with pytest.raises(ValueError, match=re.escape("[view] When viewing as a larger dtype, the size in "
                                                   "bytes of the last axis must be a multiple of the "
                                                   "requested type size.")):
        mx.view(mx.array([1, 2, 3], mx.int16), mx.int32)
    with pytest.raises(ValueError, match=re.escape("[view] Changing the type of a scalar is only allowed "
                                                   "for types with the same size.")):
        mx.view(mx.array(1.0), mx.int16)
    with pytest.raises(TypeError):
        mx.view(mx.array([1.0]), "int32")


def test_view_transforms():
    x = mx.arange(6, dtype=mx.float32)
    with pytest.raises(ValueError, match=r"\[Primitive::vjp\] Not implemented for View"):
        mx.grad(lambda a: mx.view(a, mx.int32).astype(mx.float32).sum())(x)
    with pytest.raises(ValueError, match=r"\[Primitive::jvp\] Not implemented for View"):
        mx.jvp(lambda a: mx.view(a, mx.int32), [x], [x])
    xs = mx.array(np.arange(12, dtype=np.float32).reshape(2, 6))
    vmap_check(lambda a: mx.view(a, mx.int16), xs, 0)
    vmap_check(lambda a: mx.view(a, mx.int16), xs, 1)
    vmap_check(lambda a: mx.view(a, mx.int32), xs, 1)


# ---------------------------------------------------------------- as_strided, contiguous

def np_as_strided(x, shape, strides, offset=0):
    c = np.ascontiguousarray(x).reshape(-1)
    isz = c.itemsize
    return np.lib.stride_tricks.as_strided(c[offset:], shape, [s * isz for s in strides]).copy()


@pytest.mark.parametrize("shape,strides,offset", [((2, 2), (1, 2), 0), ((3, 3), (1, 1), 2),
                                                  ((4,), (3,), 0), ((2, 3, 2), (0, 4, 1), 1),
                                                  ((0, 5), (1, 1), 0), ((), (), 11), ((6,), (2,), 0)])
@pytest.mark.parametrize("dt", [mx.int32, mx.float16, mx.complex64, mx.bool_])
def test_as_strided(shape, strides, offset, dt):
    x = sample((3, 4), dt, -9, 9, seed=10)
    got = mx.as_strided(make(x, dt), shape, strides, offset)
    assert_array(got, np_as_strided(x, shape, strides, offset), dtype=dt)


def test_as_strided_layouts_defaults():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    # as if the input were row contiguous, whatever its layout
    assert_array(mx.as_strided(mx.array(x).T, (12,), (1,)), x.T.reshape(-1))
    assert_array(mx.as_strided(mx.array(x)[:, ::2], (6,), (1,)), x[:, ::2].reshape(-1))
    assert_array(mx.as_strided(mx.array(x)), x)
    assert_array(mx.as_strided(mx.array(x), (2, 2)), x.reshape(-1)[:4].reshape(2, 2))
    assert_array(mx.as_strided(mx.array(x), (3,), None, 4), x.reshape(-1)[4:7])
    assert_array(mx.as_strided(mx.array(x), (3,), (-1,), 5), [5, 4, 3])
    # windows over a 1-D signal
    s = np.arange(10, dtype=np.float32)
    assert_array(mx.as_strided(mx.array(s), (8, 3), (1, 1)),
                 np.lib.stride_tricks.sliding_window_view(s, 3))


def test_as_strided_errors():
    x = mx.arange(6)
    for shape, strides, offset in [((2,), (1,), 5), ((3,), (-1,), 1), ((2, 3), (1, 4), 0),
                                   ((2,), (2**62,), 0), ((1,), (1,), -1)]:
        with pytest.raises(ValueError, match=r"\[as_strided\] The strided view reaches outside"):
            mx.as_strided(x, shape, strides, offset)
    with pytest.raises(ValueError, match=r"\[as_strided\]"):
        mx.as_strided(x, (2, 3), (1,))
    with pytest.raises(ValueError):
        mx.as_strided(x, (-2,), (1,))
    assert mx.as_strided(x, (0,), (100,), 1000).shape == (0,)


def test_as_strided_transforms():
    x = RNG.uniform(-1, 1, size=(3, 4))
    fd_check(lambda a: mx.as_strided(a, (3, 3), (1, 2), 1), [x])  # overlapping reads sum
    fd_check(lambda a: mx.as_strided(a.T, (5,), (2,), 1) * 2, [x])
    xs = mx.array(RNG.uniform(-1, 1, size=(3, 4, 5)).astype(np.float32))
    vmap_check(lambda a: mx.as_strided(a, (4, 2), (3, 1), 1), xs, 0)
    vmap_check(lambda a: mx.as_strided(a, (4, 2), (3, 1), 1), xs, 2)
    g = mx.vmap(mx.grad(lambda a: (mx.as_strided(a, (2, 2), (1, 1)) ** 2).sum()))(xs)
    want = [np.array(mx.grad(lambda a: (mx.as_strided(a, (2, 2), (1, 1)) ** 2).sum())(xs[i]))
            for i in range(3)]
    assert_array(g, np.stack(want))


@pytest.mark.parametrize("make_x", [lambda x: x, lambda x: x.T, lambda x: x[:, ::2],
                                    lambda x: mx.broadcast_to(x[:1], (3, 4))])
@pytest.mark.parametrize("col", [False, True])
def test_contiguous(make_x, col):
    x = mx.array(np.arange(12, dtype=np.float32).reshape(3, 4))
    y = make_x(x)
    got = mx.contiguous(y, col)
    assert_array(got, np.array(y))
    assert mx.contiguous(y, allow_col_major=col).dtype == mx.float32
    fd_check(lambda a: mx.contiguous(make_x(a), col) * a.sum(), [RNG.uniform(-1, 1, size=(3, 4))])
    vmap_check(lambda a: mx.contiguous(a.T), mx.array(RNG.uniform(size=(2, 3, 4)).astype(np.float32)), 1)


# ---------------------------------------------------------------- depends

def test_depends():
    a, b = mx.array([1.0, 2.0]), mx.array(3.0)
    r = mx.depends(a * 2, b + 1)
    assert isinstance(r, mx.array)
    assert_array(r, [2.0, 4.0])
    rs = mx.depends([a * 2, a + 1], [b])
    assert isinstance(rs, list) and len(rs) == 2
    assert_array(rs[1], [2.0, 3.0])
    assert mx.depends((a,), (b,))[0].shape == (2,)
    assert mx.depends([], [b]) == []
    assert_array(mx.depends(a, []), [1.0, 2.0])
    with pytest.raises(TypeError):
        mx.depends(1, 2)


def test_depends_transforms():
    x = RNG.uniform(-1, 1, size=(4,))
    fd_check(lambda a: mx.depends(a * 2, a + 1) * a, [x])
    g = mx.grad(lambda a: mx.depends(a * 2, mx.sin(a)).sum())(mx.arange(3, dtype=mx.float32))
    assert_array(g, [2.0, 2.0, 2.0])
    xs = mx.array(RNG.uniform(size=(3, 4)).astype(np.float32))
    vmap_check(lambda a: mx.depends(a * 2, a.sum()), xs, 1)


# ---------------------------------------------------------------- export_to_dot

def test_export_to_dot(tmp_path):
    a = mx.array(1.0)
    b = mx.exp(a) + a
    c = b * 2
    f = io.StringIO()
    mx.export_to_dot(f, c, b, foo=a)
    text = re.sub(r"\d{6,}", "N", f.getvalue())
    assert text == (
        'digraph {\n{ rank=source; "foo"; }\n{ N [label ="Exp", shape=rectangle]; }\n'
        '"foo" -> N\n{ "B"; }\nN -> "B"\n{ N [label ="Add", shape=rectangle]; }\n"B" -> N\n'
        '"foo" -> N\n{ "C"; }\nN -> "C"\n{ rank=source; "D"; }\n'
        '{ N [label ="Multiply", shape=rectangle]; }\n"C" -> N\n"D" -> N\n{ rank=sink; "E"; }\n'
        'N -> "E"\n}')
    p = tmp_path / "g.dot"
    mx.export_to_dot(str(p), c)
    assert p.read_text().startswith('digraph {\n{ rank=source; "A"; }')
    mx.export_to_dot(p, [c, {"x": b}])
    assert p.read_text().count("rank=sink") == 1
    mx.eval(c)
    mx.export_to_dot(p, c)
    assert p.read_text() == 'digraph {\n{ rank=source; "A"; }\n}'
    with pytest.raises(TypeError):
        mx.export_to_dot()
    with pytest.raises(ValueError):
        mx.export_to_dot(io.StringIO(), c, x=1)


def test_export_to_dot_deep_graph():
    x = mx.array(0.0)
    for _ in range(20000):
        x = x + 1
    f = io.StringIO()
    mx.export_to_dot(f, x)
    assert f.getvalue().count("Add") == 20000


# ---------------------------------------------------------------- vmap of the compositions

@pytest.mark.parametrize("name,fn", [
    ("softmax", lambda a: mx.softmax(a, axis=-1)),
    ("softmax_all", lambda a: mx.softmax(a)),
    ("roll", lambda a: mx.roll(a, (1, -1), (0, 1))),
    ("roll_flat", lambda a: mx.roll(a, 3)),
    ("diff", lambda a: mx.diff(a, 2, axis=0)),
    ("trunc", lambda a: mx.trunc(a * 3)),
    ("count_nonzero", lambda a: mx.count_nonzero(a > 0, axis=1)),
    ("isclose", lambda a: mx.isclose(a, a * 1.000001)),
    ("allclose", lambda a: mx.allclose(a, a.T.T)),
    ("array_equal", lambda a: mx.array_equal(a, mx.round(a))),
    ("logical_xor", lambda a: mx.logical_xor(a > 0, a < 0.5)),
    ("meshgrid", lambda a: mx.meshgrid(a[0], a[1], indexing="ij")[1]),
    ("matrix_transpose", lambda a: mx.matrix_transpose(a)),
])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_vmap_compositions(name, fn, axis):
    x = mx.array(RNG.uniform(-1, 1, size=(3, 4, 5)).astype(np.float32))
    vmap_check(fn, x, axis)


def test_compositions_grads():
    x = RNG.uniform(-2, 2, size=(3, 4))
    fd_check(lambda a: mx.softmax(a, axis=1), [x])
    fd_check(lambda a: mx.softmax(a, axis=(0, 1)) * a, [x])
    fd_check(lambda a: mx.matrix_transpose(a) * 2, [x])
    fd_check(lambda a: mx.as_strided(a, (2, 3), (4, 1), 5), [x])
