"""Reductions against NumPy: axes (None, int, negative, tuples), keepdims,
ddof, dtypes, 0-d and empty inputs, and the errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember.core as mx
from conftest import assert_array, dtype_name, sample

AXES = [None, 0, -1, (0, 1), (0, 2), (), 1]
REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean,
          "all": np.all, "any": np.any}


def np_logsumexp(x, axis=None, keepdims=False):
    x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis if axis is not None else tuple(range(x.ndim)))


@pytest.mark.parametrize("op", sorted(REDUCE) + ["logsumexp"])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_float32(op, axis, keepdims):
    x = sample((2, 3, 4), mx.float32, -2, 2)
    a = mx.array(x)
    r = getattr(mx, op)(a, axis=axis, keepdims=keepdims)
    ref = np_logsumexp if op == "logsumexp" else REDUCE[op]
    e = ref(x.astype(np.float64), axis=axis, keepdims=keepdims)
    want = mx.bool_ if op in ("all", "any") else mx.float32
    assert_array(r, np.asarray(e), want, rtol=1e-4, atol=1e-4)
    m = getattr(a, op)(axis=axis, keepdims=keepdims) if op != "logsumexp" else a.logsumexp(axis, keepdims)
    assert m.shape == r.shape


@pytest.mark.parametrize("dtype, op, want", [
    (mx.int32, "sum", mx.int32), (mx.int8, "sum", mx.int32), (mx.uint8, "sum", mx.uint32),
    (mx.bool_, "sum", mx.int32), (mx.float16, "sum", mx.float16), (mx.int32, "prod", mx.int32),
    (mx.int16, "max", mx.int16), (mx.uint8, "min", mx.uint8), (mx.int32, "mean", mx.float32),
    (mx.float16, "mean", mx.float16), (mx.int32, "all", mx.bool_), (mx.float32, "any", mx.bool_),
    (mx.int64, "sum", mx.int64), (mx.uint64, "sum", mx.uint64),
])
def test_reduce_dtypes(dtype, op, want):
    x = sample((3, 4), dtype, 0, 4)
    r = getattr(mx, op)(mx.array(x, dtype=dtype), axis=1)
    assert r.dtype == want
    e = REDUCE[op](x.astype(np.float64), axis=1)
    assert_array(r, e.astype(r.dtype == mx.bool_ and np.bool_ or np.float64), want, rtol=1e-2)


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("axis", [None, 0, (0, 1), -1], ids=str)
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std(op, axis, ddof):
    x = sample((3, 4), mx.float32, -2, 2)
    r = getattr(mx, op)(mx.array(x), axis=axis, ddof=ddof)
    e = getattr(np, op)(x.astype(np.float64), axis=axis, ddof=ddof)
    assert_array(r, e, mx.float32, rtol=1e-4)
    k = getattr(mx.array(x), op)(axis=axis, keepdims=True, ddof=ddof)
    assert k.shape == np.asarray(getattr(np, op)(x, axis=axis, keepdims=True)).shape


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_argreduce(op, axis, keepdims):
    x = sample((3, 4), mx.float32, -5, 5)
    r = getattr(mx, op)(mx.array(x), axis=axis, keepdims=keepdims)
    e = getattr(np, op)(x, axis=axis, keepdims=keepdims)
    assert r.dtype == mx.uint32
    assert_array(r, np.asarray(e).astype(np.uint32), mx.uint32)
    assert getattr(mx.array(x), op)(axis, keepdims).shape == r.shape


def test_reduce_scalars_and_empty():
    assert mx.sum(mx.array(3)).item() == 3
    assert mx.sum(mx.array([])).item() == 0.0
    assert mx.prod(mx.array([])).item() == 1.0
    assert mx.all(mx.array([])).item() is True
    assert mx.any(mx.array([])).item() is False
    assert mx.sum(mx.zeros((2, 0)), axis=1).tolist() == [0.0, 0.0]
    assert mx.sum(mx.array([[1, 2], [3, 4]]), axis=(0, 1)).item() == 10
    assert mx.sum(mx.array([1, 2]), 0, True).tolist() == [3]


def test_reduce_errors():
    a = mx.array([[1, 2], [3, 4]])
    with pytest.raises((ValueError, IndexError)):
        mx.sum(a, axis=2)
    with pytest.raises((ValueError, IndexError)):
        mx.sum(a, axis=(0, 0))
    with pytest.raises((ValueError, IndexError)):
        mx.argmax(a, axis=3)
    with pytest.raises(TypeError):
        mx.sum(a, axis=1.5)
    with pytest.raises(TypeError):
        mx.sum(a=a)  # positional-only
    with pytest.raises(ValueError):
        mx.max(mx.array([]))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-10, 10, width=32)), st.data())
def test_sum_property(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keepdims = data.draw(st.booleans())
    assert_array(mx.sum(mx.array(x), axis=axis, keepdims=keepdims),
                 np.sum(x.astype(np.float64), axis=axis, keepdims=keepdims), mx.float32,
                 rtol=1e-4, atol=1e-4)
