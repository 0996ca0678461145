"""Shared helpers for the ember.core tests: dtype tables and comparisons
against NumPy."""
import os

import numpy as np
import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so a submission's
# result does not depend on the draw; locally they explore new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

import ember.core as mx

# ember dtype -> NumPy dtype (bfloat16 has none: compared through float32).
NP = {
    mx.bool_: np.bool_, mx.uint8: np.uint8, mx.uint16: np.uint16, mx.uint32: np.uint32,
    mx.uint64: np.uint64, mx.int8: np.int8, mx.int16: np.int16, mx.int32: np.int32,
    mx.int64: np.int64, mx.float16: np.float16, mx.bfloat16: np.float32,
    mx.float32: np.float32, mx.float64: np.float64, mx.complex64: np.complex64,
}
ALL_DTYPES = list(NP)
INTS = [mx.uint8, mx.uint16, mx.uint32, mx.uint64, mx.int8, mx.int16, mx.int32, mx.int64]
FLOATS = [mx.float16, mx.bfloat16, mx.float32, mx.float64]
SHAPES = [(), (0,), (3,), (2, 3), (2, 1, 4)]


def dtype_name(dt):
    return str(dt).split(".")[-1]


def to_numpy(a):
    """The values of an ember array as a NumPy array (bfloat16 as float32)."""
    if a.dtype == mx.bfloat16:
        a = a.astype(mx.float32)
    return np.array(a)


def tolerance(dt):
    return {mx.float16: 2e-3, mx.bfloat16: 2e-2}.get(dt, 1e-5)


def assert_array(a, expected, dtype=None, rtol=None, atol=None):
    """a is an ember array equal to `expected` (NumPy), with `dtype`."""
    assert isinstance(a, mx.array), type(a)
    expected = np.asarray(expected)
    if dtype is not None:
        assert a.dtype == dtype, (a.dtype, dtype)
    assert a.shape == expected.shape, (a.shape, expected.shape)
    got = to_numpy(a)
    if got.dtype.kind in "biu" and expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected)
    else:
        rt = rtol if rtol is not None else tolerance(a.dtype)
        np.testing.assert_allclose(got.astype(np.complex128 if got.dtype.kind == "c" else np.float64),
                                   expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64),
                                   rtol=rt, atol=atol if atol is not None else rt, equal_nan=True)


def sample(shape, dtype, low=-5, high=5, seed=0):
    """A NumPy array of `shape` for `dtype`, values in [low, high)."""
    rng = np.random.default_rng(seed)
    npdt = NP[dtype]
    if dtype == mx.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype in INTS:
        info = np.iinfo(npdt)
        lo = max(int(np.ceil(low)), int(info.min))
        hi = max(min(int(np.floor(high)), int(info.max)), lo + 1)
        return rng.integers(lo, hi, size=shape, endpoint=False).astype(npdt)
    if dtype == mx.complex64:
        return (rng.uniform(low, high, size=shape) + 1j * rng.uniform(low, high, size=shape)).astype(npdt)
    x = rng.uniform(low, high, size=shape).astype(npdt)
    if dtype == mx.bfloat16:
        # values exactly representable in bfloat16
        x = (x.astype(np.float32).view(np.uint32) & 0xFFFF0000).view(np.float32)
    return x


def make(x, dtype):
    """An ember array of dtype from NumPy values x."""
    return mx.array(x, dtype=dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
