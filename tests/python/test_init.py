"""ember.nn.init: shapes, dtypes, statistics of the draws (tolerances from
the sample size, fixed seeds), special matrices and errors."""
import math

import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn

I = nn.init


@pytest.fixture(autouse=True)
def _seed():
    mx.random.seed(1234)


def test_constant_identity():
    a = mx.zeros((3, 4))
    c = I.constant(2.5)(a)
    assert c.dtype == mx.float32 and c.shape == (3, 4)
    np.testing.assert_array_equal(np.array(c), np.full((3, 4), 2.5))
    assert I.constant(2, mx.int32)(mx.zeros((3,))).dtype == mx.int32
    e = I.identity()(mx.zeros((3, 3), dtype=mx.int32))
    assert e.dtype == mx.float32
    np.testing.assert_array_equal(np.array(e), np.eye(3))
    assert I.identity(mx.float16)(mx.zeros((2, 2))).dtype == mx.float16
    with pytest.raises(ValueError, match=r"The input array must be a square matrix but got shape "
                                         r"\(2, 3\)."):
        I.identity()(mx.zeros((2, 3)))


def _moments_ok(x, mean, std):
    x = np.array(x.astype(mx.float32), dtype=np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(x.std() - std) < 5 * std / math.sqrt(2 * n)


def test_normal_uniform():
    a = mx.zeros((200, 100))
    n = I.normal(1.0, 2.0)(a)
    assert n.shape == (200, 100) and n.dtype == mx.float32
    _moments_ok(n, 1.0, 2.0)
    u = I.uniform(-1.0, 3.0, mx.float16)(a)
    assert u.dtype == mx.float16
    un = np.array(u.astype(mx.float32))
    assert un.min() >= -1.0 and un.max() <= 3.0
    _moments_ok(u, 1.0, 4 / math.sqrt(12))


@pytest.mark.parametrize("shape", [(300, 200), (64, 3, 3, 32)])
def test_glorot_he(shape):
    a = mx.zeros(shape)
    rf = math.prod(shape[1:-1])
    fan_in, fan_out = shape[-1] * rf, shape[0] * rf
    _moments_ok(I.glorot_normal()(a), 0, math.sqrt(2 / (fan_in + fan_out)))
    _moments_ok(I.glorot_normal()(a, gain=2.0), 0, 2 * math.sqrt(2 / (fan_in + fan_out)))
    lim = math.sqrt(6 / (fan_in + fan_out))
    g = np.array(I.glorot_uniform()(a))
    assert np.abs(g).max() <= lim
    _moments_ok(I.glorot_uniform()(a), 0, lim / math.sqrt(3))
    _moments_ok(I.he_normal()(a), 0, 1 / math.sqrt(fan_in))
    _moments_ok(I.he_normal()(a, mode="fan_out", gain=3.0), 0, 3 / math.sqrt(fan_out))
    lim = math.sqrt(3 / fan_in)
    assert np.abs(np.array(I.he_uniform()(a))).max() <= lim
    _moments_ok(I.he_uniform()(a), 0, lim / math.sqrt(3))
    assert I.he_uniform(mx.float16)(a).dtype == mx.float16


def test_fan_errors():
    with pytest.raises(ValueError, match="Glorot / He initialization requires at least 2 "
                                         "dimensional input but input with 1 dimensions."):
        I.glorot_normal()(mx.zeros((3,)))
    with pytest.raises(ValueError, match="Invalid mode: x. Valid modes are: fan_in, fan_out"):
        I.he_normal()(mx.zeros((2, 3)), mode="x")


@pytest.mark.skipif(not hasattr(mx, "argsort"), reason="ember.core has no argsort yet")
def test_sparse():
    s = np.array(I.sparse(0.5, mean=1.0, std=0.1)(mx.zeros((6, 5))))
    assert ((s == 0).sum(axis=1) == 3).all()
    assert (np.abs(s[s != 0] - 1.0) < 1.0).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        I.sparse(0.5)(mx.zeros((3,)))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_orthogonal(shape):
    q = np.array(I.orthogonal(gain=2.0)(mx.zeros(shape)), dtype=np.float64)
    assert q.shape == shape
    small = min(shape)
    gram = q @ q.T if shape[0] <= shape[1] else q.T @ q
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-5)
    assert I.orthogonal(dtype=mx.float16)(mx.zeros(shape)).dtype == mx.float16
    with pytest.raises(ValueError, match="Orthogonal initialization requires a 2D array but got "
                                         "a 1D array."):
        I.orthogonal()(mx.zeros((3,)))


def test_initializers_apply_to_module():
    lin = nn.Linear(4, 3)
    lin.apply(I.constant(0.5))
    np.testing.assert_array_equal(np.array(lin.weight), np.full((3, 4), 0.5))
    lin.weight = I.identity()(mx.zeros((3, 3)))
    assert lin.weight.shape == (3, 3)
