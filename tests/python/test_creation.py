"""Array creation: zeros/ones/full and _like forms, arange, linspace, eye,
identity, tri, tril, triu."""
import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, NP, assert_array, dtype_name


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("shape", [(), 3, (0,), (2, 3), [1, 2, 1]], ids=str)
def test_filled(fn, shape):
    r = getattr(mx, fn)(shape)
    assert r.dtype == mx.float32
    want = np.ones(shape, np.float32) if fn == "ones" else np.zeros(shape, np.float32)
    assert_array(r, want)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_filled_dtypes(dtype):
    assert_array(mx.zeros((2,), dtype), np.zeros(2, NP[dtype]), dtype)
    assert_array(mx.ones((2,), dtype=dtype), np.ones(2, NP[dtype]), dtype)
    assert_array(mx.full((2,), 1, dtype), np.ones(2, NP[dtype]), dtype)
    x = mx.array([1, 2], dtype)
    assert_array(mx.zeros_like(x), np.zeros(2, NP[dtype]), dtype)
    assert_array(mx.ones_like(x), np.ones(2, NP[dtype]), dtype)


def test_full():
    assert_array(mx.full((2,), 3), np.array([3, 3], np.int32), mx.int32)
    assert_array(mx.full((2,), 2.5), np.array([2.5, 2.5], np.float32), mx.float32)
    assert_array(mx.full((2, 2), mx.array([1, 2])), np.array([[1, 2], [1, 2]], np.int32), mx.int32)
    assert_array(mx.full((2,), 2.5, mx.int32), np.array([2, 2], np.int32), mx.int32)
    assert_array(mx.full_like(mx.array([[1, 2], [3, 4]]), 2.5), np.full((2, 2), 2, np.int32), mx.int32)
    assert_array(mx.full_like(mx.array([1, 2]), 2.5, mx.float32), np.full(2, 2.5, np.float32))
    assert mx.ones_like(mx.array([1, 2]), mx.float16).dtype == mx.float16
    assert mx.zeros_like(mx.array([1]), dtype=mx.float16).dtype == mx.float16
    assert mx.empty_like(mx.array([1, 2])).shape == (2,)
    with pytest.raises(ValueError):
        mx.full((2,), mx.array([1, 2, 3]))


def test_filled_errors():
    with pytest.raises(ValueError, match="Negative dimensions"):
        mx.zeros(-1)
    with pytest.raises(TypeError):
        mx.zeros((2,), dtype="float32")
    with pytest.raises(TypeError):
        mx.zeros("x")


@pytest.mark.parametrize("args, kw, want, dtype", [
    ((5,), {}, np.arange(5), mx.int32),
    ((1.0, 3), {}, np.arange(1.0, 3), mx.float32),
    ((0, 5, 2), {}, np.arange(0, 5, 2), mx.int32),
    ((5, 1), {}, np.arange(5, 1), mx.int32),
    ((5, 0, -2), {}, np.arange(5, 0, -2), mx.int32),
    ((0, 1, 0.25), {}, np.arange(0, 1, 0.25), mx.float32),
    ((2**40, 2**40 + 2), {}, np.arange(2**40, 2**40 + 2), mx.int64),
    ((3,), {"dtype": mx.float16}, np.arange(3), mx.float16),
    ((0, 3), {"step": 1}, np.arange(3), mx.int32),
    ((), {"start": 1, "stop": 4}, np.arange(1, 4), mx.int32),
    ((4, mx.float32), {}, np.arange(4), mx.float32),
])
def test_arange(args, kw, want, dtype):
    r = mx.arange(*args, **kw)
    assert r.dtype == dtype
    assert_array(r, want)


def test_arange_errors():
    with pytest.raises(ValueError):
        mx.arange(0, 1, 0)
    with pytest.raises(TypeError):
        mx.arange()
    with pytest.raises(TypeError):
        mx.arange("a")


@pytest.mark.parametrize("num", [0, 1, 5, 50])
@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace(num, endpoint):
    r = mx.linspace(0, 1, num, endpoint=endpoint)
    assert r.dtype == mx.float32
    assert_array(r, np.linspace(0, 1, num, endpoint=endpoint))
    assert mx.linspace(-1, 1, dtype=mx.float16).dtype == mx.float16
    assert mx.linspace(0, 1).shape == (50,)


@pytest.mark.parametrize("n, m, k", [(3, None, 0), (2, 3, 1), (3, 2, -1), (0, None, 0), (3, 3, 5)])
def test_eye_tri(n, m, k):
    assert_array(mx.eye(n, m, k), np.eye(n, m, k, dtype=np.float32), mx.float32)
    assert_array(mx.tri(n, m, k), np.tri(n, m, k, dtype=np.float32), mx.float32)
    assert mx.eye(n, m, k, dtype=mx.int32).dtype == mx.int32


def test_identity_tril_triu():
    assert_array(mx.identity(3), np.identity(3, np.float32), mx.float32)
    assert mx.identity(2, mx.bool_).dtype == mx.bool_
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    for k in (-1, 0, 2):
        assert_array(mx.tril(mx.array(x), k), np.tril(x, k))
        assert_array(mx.triu(mx.array(x), k=k), np.triu(x, k))
    with pytest.raises(ValueError):
        mx.tril(mx.array([1, 2]))
