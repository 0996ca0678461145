"""Shape manipulation, joining and splitting against NumPy, the array
methods that mirror them, and their errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember.core as mx
from conftest import assert_array, sample

X = np.arange(24, dtype=np.int32).reshape(2, 3, 4)


def a():
    return mx.array(X)


@pytest.mark.parametrize("shape", [(24,), (4, 6), (2, -1), (-1,), (2, 3, 2, 2), [6, 4]], ids=str)
def test_reshape(shape):
    assert_array(mx.reshape(a(), shape), X.reshape(shape))
    assert_array(mx.reshape(a(), shape=shape), X.reshape(shape))
    assert_array(a().reshape(shape), X.reshape(shape))
    assert_array(a().reshape(*shape), X.reshape(shape))


def test_reshape_scalar_and_empty():
    assert mx.reshape(mx.array(5), (1, 1)).shape == (1, 1)
    assert mx.reshape(mx.array([[5]]), ()).shape == ()
    assert mx.reshape(mx.zeros((0, 3)), (3, 0)).shape == (3, 0)


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"\[reshape\]"):
        mx.reshape(a(), (5,))
    with pytest.raises(ValueError):
        mx.reshape(a(), (-1, -1))
    with pytest.raises(TypeError):
        mx.reshape(a(), (2.5,))
    with pytest.raises(TypeError):
        a().reshape(shape=(24,))


@pytest.mark.parametrize("s, e", [(0, -1), (1, 2), (0, 1), (-2, -1), (2, 2)])
def test_flatten(s, e):
    want = X.reshape(X.shape[:s % 3] + (-1,) + X.shape[(e % 3) + 1:])
    assert_array(mx.flatten(a(), s, e), want)
    assert_array(a().flatten(start_axis=s, end_axis=e), want)


def test_flatten_scalar_and_unflatten():
    assert mx.flatten(mx.array(3)).shape == (1,)
    assert_array(mx.unflatten(mx.array(np.arange(6)), 0, (2, 3)), np.arange(6).reshape(2, 3))
    assert mx.unflatten(a(), -1, (2, -1)).shape == (2, 3, 2, 2)


def test_squeeze_expand_dims():
    y = np.zeros((1, 3, 1, 2), np.float32)
    assert mx.squeeze(mx.array(y)).shape == (3, 2)
    assert mx.squeeze(mx.array(y), 0).shape == (3, 1, 2)
    assert mx.squeeze(mx.array(y), (0, -2)).shape == (3, 2)
    assert mx.array(y).squeeze(axis=2).shape == (1, 3, 2)
    assert mx.expand_dims(a(), 0).shape == (1, 2, 3, 4)
    assert mx.expand_dims(a(), (0, -1)).shape == (1, 2, 3, 4, 1)
    assert mx.expand_dims(mx.array(1), 0).shape == (1,)
    with pytest.raises(ValueError):
        mx.squeeze(a(), 0)
    with pytest.raises((ValueError, IndexError)):
        mx.expand_dims(a(), 7)


@pytest.mark.parametrize("axes", [None, (0, 1, 2), (2, 0, 1), (-1, 0, 1), [1, 0, 2]], ids=str)
def test_transpose(axes):
    want = np.transpose(X, axes)
    assert_array(mx.transpose(a(), axes), want)
    assert_array(mx.permute_dims(a(), axes), want)
    assert_array(mx.matrix_transpose(a()), np.swapaxes(X, -1, -2))  # MLX 0.32: the last two axes
    if axes is None:
        assert_array(a().transpose(), want)
        assert_array(a().T, want)
    else:
        assert_array(a().transpose(axes), want)
        assert_array(a().transpose(*axes), want)


def test_transpose_errors_and_mT():
    with pytest.raises(ValueError):
        mx.transpose(a(), (0, 0, 1))
    with pytest.raises((ValueError, IndexError)):
        mx.transpose(a(), (0, 1))
    assert_array(a().mT, np.swapaxes(X, -1, -2))


def test_swapaxes_moveaxis():
    assert_array(mx.swapaxes(a(), 0, 2), np.swapaxes(X, 0, 2))
    assert_array(a().swapaxes(-1, 0), np.swapaxes(X, -1, 0))
    assert_array(mx.moveaxis(a(), 0, -1), np.moveaxis(X, 0, -1))
    assert_array(a().moveaxis(2, 0), np.moveaxis(X, 2, 0))
    with pytest.raises((ValueError, IndexError)):
        mx.swapaxes(a(), 0, 4)
    with pytest.raises((ValueError, IndexError)):
        mx.moveaxis(a(), 0, 5)


def test_broadcast():
    assert_array(mx.broadcast_to(mx.array([1, 2, 3]), (2, 3)), np.broadcast_to([1, 2, 3], (2, 3)).astype(np.int32))
    assert mx.broadcast_to(mx.array(1.0), ()).shape == ()
    r = mx.broadcast_arrays(mx.array([[1], [2]]), mx.array([1, 2, 3]))
    assert isinstance(r, list) and [x.shape for x in r] == [(2, 3), (2, 3)]
    with pytest.raises(ValueError):
        mx.broadcast_to(mx.array([1, 2]), (3,))
    with pytest.raises(ValueError):
        mx.broadcast_arrays(mx.array([1, 2]), mx.array([1, 2, 3]))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_stack(axis):
    x, y = sample((2, 3), mx.float32), sample((2, 3), mx.float32, seed=5)
    assert_array(mx.concatenate([mx.array(x), mx.array(y)], axis), np.concatenate([x, y], axis))
    assert_array(mx.concat((mx.array(x), mx.array(y)), axis=axis), np.concatenate([x, y], axis))
    assert_array(mx.stack([mx.array(x), mx.array(y)], axis), np.stack([x, y], axis))
    assert_array(mx.stack([mx.array(x)], axis=axis), np.stack([x], axis))


def test_concatenate_promotes_and_errors():
    r = mx.concatenate([mx.array([1], mx.int8), mx.array([2.5])])
    assert r.dtype == mx.float32 and r.tolist() == [1.0, 2.5]
    with pytest.raises(ValueError):
        mx.concatenate([mx.array([[1]]), mx.array([1])])
    with pytest.raises(ValueError):
        mx.stack([mx.array([1, 2]), mx.array([1])])
    with pytest.raises(TypeError):
        mx.concatenate(mx.array([1, 2]), 0.5)


@pytest.mark.parametrize("spec, axis", [(2, 0), (3, 1), ([1, 3], 2), ((1,), 1), (4, -1), ([], 0)],
                         ids=str)
def test_split(spec, axis):
    parts = mx.split(a(), spec, axis)
    want = np.split(X, spec, axis)
    assert isinstance(parts, list) and len(parts) == len(want)
    for p, w in zip(parts, want):
        assert_array(p, w)
    assert len(a().split(spec, axis=axis)) == len(want)


def test_split_errors_unstack():
    with pytest.raises(ValueError):
        mx.split(a(), 5, 1)
    r = mx.unstack(mx.array([[1, 2], [3, 4]]))
    assert isinstance(r, tuple) and [x.tolist() for x in r] == [[1, 2], [3, 4]]
    r = mx.unstack(mx.array([[1, 2], [3, 4]]), axis=1)
    assert [x.tolist() for x in r] == [[1, 3], [2, 4]]


@pytest.mark.parametrize("width", [1, (1, 2), ((1, 0), (0, 2)), ((1, 1),), [(0, 1), (2, 0)]], ids=str)
@pytest.mark.parametrize("mode", ["constant", "edge"])
def test_pad(width, mode):
    x = np.array([[1, 2], [3, 4]], np.int32)
    assert_array(mx.pad(mx.array(x), width, mode=mode), np.pad(x, width, mode=mode))


def test_pad_constant_and_errors():
    x = np.array([[1, 2], [3, 4]], np.int32)
    assert_array(mx.pad(mx.array(x), 1, constant_values=9), np.pad(x, 1, constant_values=9))
    assert mx.pad(mx.array(x), 1, constant_values=9).dtype == mx.int32
    with pytest.raises(ValueError):
        mx.pad(mx.array(x), 1, mode="wrap")


def test_tile_repeat_flip():
    x = np.array([[1, 2], [3, 4]], np.int32)
    for reps in (2, (2,), (2, 1), (1, 2, 2)):
        assert_array(mx.tile(mx.array(x), reps), np.tile(x, reps))
    assert_array(mx.repeat(mx.array(x), 2), np.repeat(x, 2))
    assert_array(mx.repeat(mx.array(x), 3, axis=1), np.repeat(x, 3, axis=1))
    assert_array(mx.repeat(mx.array(x), 2, -2), np.repeat(x, 2, -2))
    assert_array(mx.flip(mx.array(x)), np.flip(x))
    assert_array(mx.flip(mx.array(x), 0), np.flip(x, 0))
    assert_array(mx.flip(mx.array(x), (0, 1)), np.flip(x, (0, 1)))
    assert_array(mx.flip(mx.array(X), -1), np.flip(X, -1))


def test_atleast():
    assert mx.atleast_1d(mx.array(1)).shape == (1,)
    assert mx.atleast_2d(mx.array(1)).shape == (1, 1)
    assert mx.atleast_2d(mx.array([1, 2])).shape == (1, 2)
    assert mx.atleast_3d(mx.array([1, 2])).shape == (1, 2, 1)
    assert mx.atleast_3d(mx.array([[1, 2]])).shape == (1, 2, 1)
    assert mx.atleast_3d(a()).shape == (2, 3, 4)
    r = mx.atleast_1d(mx.array(1), mx.array([1, 2]))
    assert [x.shape for x in r] == [(1,), (2,)]


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=4, max_side=3)), st.data())
def test_transpose_property(x, data):
    perm = data.draw(st.permutations(range(x.ndim)))
    assert_array(mx.transpose(mx.array(x), perm), np.transpose(x, perm))
    assert_array(mx.reshape(mx.array(x), (-1,)), x.reshape(-1))
