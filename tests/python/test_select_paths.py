"""where (select) over each element size and each operand layout the CPU
loop distinguishes: all contiguous, x or y a broadcast scalar, both scalars,
and strided views; random conditions, against NumPy bit for bit."""
import numpy as np
import pytest

import ember.core as mx

DTYPES = ["bool", "uint8", "int16", "float16", "float32", "int32", "float64", "int64"]


def vals(rng, d, n):
    if d == "bool":
        return rng.integers(0, 2, n) > 0
    return (rng.standard_normal(n) * 100).astype(d)


@pytest.mark.parametrize("d", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 7, 64, 1000, 70001])
def test_layouts(d, n):
    rng = np.random.default_rng(n)
    c, x, y = rng.integers(0, 2, n) > 0, vals(rng, d, n), vals(rng, d, n)
    dt = getattr(mx, "bool_" if d == "bool" else d)
    C, X, Y = mx.array(c), mx.array(x, dtype=dt), mx.array(y, dtype=dt)
    sx, sy = x[:1].reshape(()) if n else np.array(3, d), y[:1].reshape(()) if n else np.array(4, d)
    SX, SY = mx.array(sx, dtype=dt), mx.array(sy, dtype=dt)
    for got, want in [
        (mx.where(C, X, Y), np.where(c, x, y)),
        (mx.where(C, SX, Y), np.where(c, sx, y)),
        (mx.where(C, X, SY), np.where(c, x, sy)),
        (mx.where(C, SX, SY), np.where(c, sx, sy)),
        (mx.where(C[::2], X[::2], Y[::-2]), np.where(c[::2], x[::2], y[::-2])),
        (mx.where(C[::-1], X, Y[::-1]), np.where(c[::-1], x, y[::-1])),
    ]:
        g = np.asarray(got)
        assert got.dtype == dt and g.shape == want.shape
        assert g.tobytes() == want.astype(d).tobytes()


def test_nan_payloads_and_signed_zeros_kept():
    c = np.array([True, False, True, False] * 20)
    x = np.array([np.nan, -0.0, 0.0, -np.inf] * 20, dtype=np.float32)
    y = np.array([1.0, -np.nan, -0.0, np.inf] * 20, dtype=np.float32)
    got = np.asarray(mx.where(mx.array(c), mx.array(x), mx.array(y)))
    assert got.view(np.uint32).tolist() == np.where(c, x, y).view(np.uint32).tolist()


def test_in_place_donation_result():
    # the output may take an operand's buffer: the values must not change
    rng = np.random.default_rng(5)
    x = rng.standard_normal(4096).astype(np.float32)
    c = x > 0
    got = mx.where(mx.array(c), mx.array(x) * 2, mx.array(x) - 1)
    np.testing.assert_array_equal(np.asarray(got), np.where(c, x * 2, x - 1))
