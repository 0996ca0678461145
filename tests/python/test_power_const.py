"""x ** c for float32 x and the exponents with a fast path (1, 2, 3, -1, 0.5:
products, a division, a square root instead of powf): values against NumPy's
powf (exact, 3 within 2 ulp), pow's special values (MLX's: (-inf) ** 0.5 is
inf, (-0) ** 0.5 is +0), and an exponent array or other constants taking the
general path. The in-place case (the base's buffer donated to the result)
gives the same values."""
import numpy as np
import pytest

import ember.core as mx

SPECIAL = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1.0, 4.0, 1e-45, -3e38, 3e38, 0.5],
                   dtype=np.float32)


def ulps(a, b):
    a, b = a.view(np.int32).astype(np.int64), b.view(np.int32).astype(np.int64)
    return np.abs(a - b)


@pytest.mark.parametrize("c,tol", [(1, 0), (2, 0), (3, 2), (-1, 0), (0.5, 0), (2.5, 1), (-2, 1)])
def test_values(c, tol):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(5003).astype(np.float32) * 10, SPECIAL])
    got = np.array(mx.array(x) ** c)
    with np.errstate(all="ignore"):
        want = np.power(x, np.float32(c))
    assert got.dtype == np.float32
    if c == 0.5:  # pow, not sqrt, at -inf and -0 (NumPy's x ** 0.5 is sqrt)
        want = np.where(x == -np.inf, np.float32(np.inf), want)
        want = np.where(x == 0, np.float32(0), want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    fin = ~np.isnan(want)
    assert ulps(got[fin], want[fin]).max() <= tol
    if c in (0.5, 2):
        assert not np.signbit(got[x == 0]).any()


def test_special_values_as_mlx():
    r = np.array(mx.array([-np.inf, -0.0, -1.0, np.nan], dtype=mx.float32) ** 0.5)
    assert r[0] == np.inf and r[1] == 0 and not np.signbit(r[1]) and np.isnan(r[2]) and np.isnan(r[3])
    r = np.array(mx.array([-0.0, np.inf, -np.inf], dtype=mx.float32) ** -1)
    np.testing.assert_array_equal(r, [-np.inf, 0.0, -0.0])
    assert np.signbit(r[2])


def test_in_place_and_general_paths():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(4099).astype(np.float32)
    x[::7] = -np.inf
    x[::11] = -0.0
    for c in (0.5, 3, 2, -1):
        # the temporary's buffer is donated to the power's output
        got = np.array((mx.array(x) * 1.0) ** c)
        ref = np.array(mx.array(x) ** c)
        np.testing.assert_array_equal(got.view(np.int32), ref.view(np.int32))
    e = mx.array(np.full(4099, 2.0, np.float32))
    np.testing.assert_allclose(np.array(mx.array(x) ** e), np.power(x, 2), rtol=1e-6)
    with np.errstate(invalid="ignore"):
        want = np.power(x[:10], np.float32(2.0000002))
    np.testing.assert_allclose(np.array(mx.array(x[:10]) ** 2.0000002), want, rtol=1e-6)
