"""The generic typed elementwise loops (src/backend/cpu/unary.c, binary.c,
built per instruction set): values against NumPy over every tail length, with
scalar operands on either side, for the ops whose loops were rewritten:
integer and float floor_divide/remainder, round/floor/ceil, the predicates,
comparisons, logical ops and casts to bool."""
import numpy as np
import pytest

import ember.core as mx

LENGTHS = list(range(0, 68)) + [200, 1000]
def arr(a):
    """An ember array of a NumPy array's dtype (mx.array makes float32 of float64)."""
    return mx.array(a, dtype=getattr(mx, a.dtype.name))


INTS = ["int8", "int16", "int32", "uint8", "uint16", "uint32", "int64", "uint64"]


def _ints(rng, dt, n):
    info = np.iinfo(dt)
    a = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
    small = rng.integers(-3 if info.min < 0 else 0, 4, n).astype(dt)
    return np.where(rng.random(n) < 0.5, a, small)


@pytest.mark.parametrize("dt", INTS)
def test_integer_division_matches_numpy(dt):
    rng = np.random.default_rng(1)
    info = np.iinfo(dt)
    for n in LENGTHS:
        a, b = _ints(rng, dt, n), _ints(rng, dt, n)
        if n:
            a[0], b[0] = info.min, (-1 if info.min < 0 else 1)  # INT_MIN // -1 wraps
        with np.errstate(divide="ignore", over="ignore"):
            want_q, want_r = np.floor_divide(a, b), np.remainder(a, b)
        got_q, got_r = mx.floor_divide(arr(a), arr(b)), mx.remainder(arr(a), arr(b))
        assert got_q.dtype == getattr(mx, dt) and got_r.dtype == getattr(mx, dt)
        np.testing.assert_array_equal(np.array(got_q), want_q)
        np.testing.assert_array_equal(np.array(got_r), want_r)


@pytest.mark.parametrize("dt", ["int8", "int16", "int32", "uint8", "uint32"])
def test_integer_division_scalar_either_side(dt):
    rng = np.random.default_rng(2)
    a = _ints(rng, dt, 131)
    for s in [1, 2, 3, 7, 0] + ([-1, -7] if np.iinfo(dt).min < 0 else []):
        x = arr(a)
        sv = np.array(s, dtype=dt)
        with np.errstate(divide="ignore", over="ignore"):
            np.testing.assert_array_equal(np.array(x // s), np.floor_divide(a, sv))
            np.testing.assert_array_equal(np.array(x % s), np.remainder(a, sv))
            np.testing.assert_array_equal(np.array(s // x), np.floor_divide(sv, a))
            np.testing.assert_array_equal(np.array(s % x), np.remainder(sv, a))


def _floats(rng, dt, n):
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.1, -0.1, 1e-40, 3e38], dt)
    x = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 9, n)).astype(dt)
    ints = rng.integers(-20, 21, n).astype(dt)
    pick = rng.integers(0, 3, n)
    return np.where(pick == 0, x, np.where(pick == 1, ints, rng.choice(specials, n)))


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_float_divmod_matches_numpy(dt):
    rng = np.random.default_rng(3)
    for n in LENGTHS:
        a, b = _floats(rng, dt, n), _floats(rng, dt, n)
        with np.errstate(all="ignore"):
            want_q, want_r = np.floor_divide(a, b), np.remainder(a, b)
        got_q = np.array(mx.floor_divide(arr(a), arr(b)))
        got_r = np.array(mx.remainder(arr(a), arr(b)))
        np.testing.assert_array_equal(got_q, want_q)
        np.testing.assert_array_equal(got_r, want_r)
        # signed zeros too
        assert np.array_equal(np.signbit(got_r), np.signbit(want_r))
        assert np.array_equal(np.signbit(got_q), np.signbit(want_q))


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_float_divmod_near_integer_quotients(dt):
    rng = np.random.default_rng(4)
    b = (rng.integers(-1000, 1000, 5000) / 7).astype(dt)
    a = (b * rng.integers(-(2 ** 20), 2 ** 20, 5000)).astype(dt)
    a = np.nextafter(a, np.where(rng.random(5000) < 0.5, np.inf, -np.inf).astype(dt))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.array(mx.remainder(arr(a), arr(b))), np.remainder(a, b))
        np.testing.assert_array_equal(np.array(mx.floor_divide(arr(a), arr(b))),
                                      np.floor_divide(a, b))


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_round_floor_ceil(dt):
    rng = np.random.default_rng(5)
    for n in LENGTHS:
        x = np.concatenate([_floats(rng, dt, n), (rng.integers(-10, 10, n) + 0.5).astype(dt)])
        a = arr(x)
        for f, g in ((mx.round, np.round), (mx.floor, np.floor), (mx.ceil, np.ceil)):
            got = np.array(f(a))
            np.testing.assert_array_equal(got, g(x))
            assert np.array_equal(np.signbit(got), np.signbit(g(x)))


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "int32", "uint8", "int64"])
def test_predicates_comparisons_logical(dt):
    rng = np.random.default_rng(6)
    for n in LENGTHS:
        with np.errstate(over="ignore"):  # 3e38 is inf in float16
            a = _floats(rng, "float32", n).astype(dt) if dt.startswith("float") else _ints(rng, dt, n)
            b = _floats(rng, "float32", n).astype(dt) if dt.startswith("float") else _ints(rng, dt, n)
        x, y = arr(a), arr(b)
        for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                     "logical_and", "logical_or"):
            got = getattr(mx, name)(x, y)
            assert got.dtype == mx.bool_
            np.testing.assert_array_equal(np.array(got), getattr(np, name)(a, b))
        for name in ("isnan", "isinf", "isfinite", "logical_not"):
            np.testing.assert_array_equal(np.array(getattr(mx, name)(x)), getattr(np, name)(a))
        if n:
            s = a[0].item()
            np.testing.assert_array_equal(np.array(x > s), a > a[0])
            np.testing.assert_array_equal(np.array(mx.less(s, x)), a[0] < a)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_to_bool_every_pattern(dt):
    bits = np.arange(65536, dtype=np.uint16)
    x = mx.array(bits).view(getattr(mx, dt))
    want = (bits & 0x7FFF) != 0  # nonzero: any bit but the sign
    np.testing.assert_array_equal(np.array(x.astype(mx.bool_)), want)
    np.testing.assert_array_equal(np.array(mx.logical_and(x, x)), want)
