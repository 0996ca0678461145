"""argmax/argmin over contiguous rows (the blocked vector path of
src/backend/cpu/reduce.c) against NumPy: every dtype, rows around the block
sizes, ties within and across blocks, NaN after a larger value, +-0, and
the strided and column paths giving the same answers."""
import numpy as np
import pytest

import ember.core as mx

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16",
          "uint16", "int32", "uint32", "int64", "uint64", "bool"]
LENGTHS = [1, 2, 31, 32, 33, 127, 128, 129, 255, 8191, 8192, 8193, 16385, 40000]


def np_dtype(d):
    return np.float32 if d == "bfloat16" else getattr(np, d)


def values(rng, d, shape):
    if d == "bool":
        return rng.integers(0, 2, shape) > 0
    if d.startswith("float") or d == "bfloat16":
        x = rng.standard_normal(shape) * 10
        if d == "bfloat16":  # values bfloat16 holds exactly
            x = np.asarray(mx.array(x.astype(np.float32)).astype(mx.bfloat16).astype(mx.float32))
        return x.astype(np_dtype(d))
    info = np.iinfo(np_dtype(d))
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape).astype(np_dtype(d))


def check(x, d, axis):
    a = mx.array(x).astype(getattr(mx, d)) if d == "bfloat16" else mx.array(x)
    for name in ("argmax", "argmin"):
        got = getattr(mx, name)(a, axis=axis)
        want = getattr(np, name)(x, axis=axis)
        assert got.dtype == mx.uint32
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{name} {d} axis={axis}")


@pytest.mark.parametrize("d", DTYPES)
@pytest.mark.parametrize("n", LENGTHS)
def test_rows_random(d, n):
    rng = np.random.default_rng(n)
    check(values(rng, d, (3, n)), d, 1)
    check(values(rng, d, (n,)), d, None)


@pytest.mark.parametrize("d", ["float32", "float64", "float16", "int32", "uint8"])
@pytest.mark.parametrize("n", [129, 8193, 20000])
def test_ties_across_blocks(d, n):
    # the largest value appears several times: the first one is the answer
    x = np.zeros(n, dtype=np_dtype(d))
    for pos in (n - 1, n // 2, 100, 8192 % n):
        x[pos] = 7
    check(x, d, 0)
    x = np.full(n, 5, dtype=np_dtype(d))  # all equal: index 0
    check(x, d, 0)


@pytest.mark.parametrize("d", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("n", [40, 200, 8192, 8193, 30000])
def test_nan_wins(d, n):
    rng = np.random.default_rng(1)
    for nan_at in {0, n // 3, n - 1}:
        x = rng.standard_normal(n).astype(np.float32)
        x[n // 2 if n // 2 != nan_at else 0] = 1e4  # a larger value elsewhere
        x[nan_at] = np.nan
        if nan_at + 5 < n:
            x[nan_at + 5] = np.nan  # a second NaN after the first
        check(x.astype(np_dtype(d)), d, 0)


def test_signed_zeros_and_infinities():
    x = np.array([0.0, -0.0, -1.0] * 50 + [-0.0, 0.0], dtype=np.float32)
    check(x, "float32", 0)
    x = np.array([-np.inf] * 100 + [np.inf] + [1.0] * 60 + [np.inf], dtype=np.float32)
    check(x, "float32", 0)
    x = np.full(300, -np.inf, dtype=np.float64)
    check(x, "float64", 0)


def test_strided_and_column_paths_agree():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 4096)).astype(np.float32)
    x[5, 3000] = np.nan
    a = mx.array(x)
    for name in ("argmax", "argmin"):
        f = getattr(mx, name)
        np.testing.assert_array_equal(np.asarray(f(a, axis=1)), getattr(np, name)(x, axis=1))
        # a transposed view reduces over a strided row
        np.testing.assert_array_equal(np.asarray(f(a.T, axis=0)), getattr(np, name)(x.T, axis=0))
        np.testing.assert_array_equal(np.asarray(f(a[:, ::3], axis=1)),
                                      getattr(np, name)(x[:, ::3], axis=1))
        np.testing.assert_array_equal(np.asarray(f(a, axis=1, keepdims=True)),
                                      getattr(np, name)(x, axis=1, keepdims=True))
