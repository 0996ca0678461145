"""float32 trigonometry (sin, cos, tan, arcsin, arccos, arctan, arctan2): values against NumPy (float64 NumPy
as the exact value, in float32 ulps), special values and signed zeros as NumPy's float32, float16/bfloat16
(computed through float32), non-contiguous inputs bit for bit equal to contiguous ones, and every SIMD level
(EMBER_SIMD=none/avx2, in a subprocess) bit for bit equal to the default."""
import os
import subprocess
import sys

import numpy as np
import pytest

import ember.core as mx
from conftest import to_numpy

# op -> (NumPy function, input range, float32 ulps allowed)
UNARY = {
    "sin": (np.sin, (-1e3, 1e3), 1.6),
    "cos": (np.cos, (-1e3, 1e3), 1.6),
    "tan": (np.tan, (-1e3, 1e3), 1.6),
    "arcsin": (np.arcsin, (-1, 1), 1.2),
    "arccos": (np.arccos, (-1, 1), 1.2),
    "arctan": (np.arctan, (-20, 20), 1.4),
}
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 1e-45, -1e-45, 1.1754944e-38,
                     3.4028235e38, -3.4028235e38, 131072.0, -131072.0, 131073.0, 1e10, -1e30, 1.5707964,
                     3.1415927, 0.99999994, -1.0000001, 2.4142137, 0.41421357, 1e-30], dtype=np.float32)


def ulps(got, want):
    """|got - want| in float32 ulps of want (NaN must meet NaN, inf the same inf)."""
    got = got.astype(np.float64)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    inf = np.isinf(want)
    assert np.array_equal(got[inf], want[inf])
    ok = ~nan & ~inf
    w = want[ok]
    e = np.maximum(np.frexp(np.abs(w))[1], -125)
    return np.abs(got[ok] - w) / np.ldexp(1.0, e - 24)


def inputs(lo, hi, n=20000, seed=0):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, size=n // 4, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([SPECIALS, rng.uniform(lo, hi, n).astype(np.float32),
                           rng.uniform(-4, 4, n // 4).astype(np.float32), bits])


def ref(f, x):
    with np.errstate(all="ignore"):
        return f(x.astype(np.float64))


@pytest.mark.parametrize("op", list(UNARY))
def test_values_against_numpy(op):
    f, (lo, hi), tol = UNARY[op]
    x = inputs(lo, hi)
    y = getattr(mx, op)(mx.array(x))
    assert y.dtype == mx.float32 and y.shape == x.shape
    assert ulps(np.array(y), ref(f, x)).max() <= tol


@pytest.mark.parametrize("op", list(UNARY))
def test_special_values_as_numpy(op):
    f = UNARY[op][0]
    y = np.array(getattr(mx, op)(mx.array(SPECIALS)))
    with np.errstate(all="ignore"):
        w = f(SPECIALS)
    assert np.array_equal(np.isnan(y), np.isnan(w))
    exact = ~np.isnan(w) & ((w == 0) | np.isinf(w) | (np.abs(SPECIALS) < 1e-20))
    assert np.array_equal(y[exact], w[exact]) and np.array_equal(np.signbit(y[exact]), np.signbit(w[exact]))


@pytest.mark.parametrize("op", list(UNARY))
@pytest.mark.parametrize("dt", [mx.float16, mx.bfloat16])
def test_half_precision(op, dt):
    """float16/bfloat16 compute through float32 and round once: within half an ulp (plus float32's error) of
    the exact value, and equal to the float32 result rounded."""
    f, (lo, hi), _ = UNARY[op]
    x = mx.array(inputs(max(lo, -60000), min(hi, 60000), n=4000)).astype(dt)
    y = getattr(mx, op)(x)
    assert y.dtype == dt
    y32 = getattr(mx, op)(x.astype(mx.float32)).astype(dt)
    a, b = to_numpy(y), to_numpy(y32)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)])
    exact = ref(f, to_numpy(x))
    ok = np.isfinite(exact) & np.isfinite(a)
    mant = 11 if dt == mx.float16 else 8
    emin = -14 if dt == mx.float16 else -126
    e = np.maximum(np.frexp(np.abs(exact[ok]))[1], emin + 1)
    assert (np.abs(a[ok] - exact[ok]) / np.ldexp(1.0, e - mant)).max() <= 0.5005


@pytest.mark.parametrize("op", list(UNARY) + ["arctan2"])
def test_strided_equals_contiguous(op):
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, (64, 37)).astype(np.float32)
    x[::7, ::5] = 1e6
    a = mx.array(x)
    if op == "arctan2":
        f = lambda u: mx.arctan2(u, u * 0.75 - 1)
    else:
        f = getattr(mx, op)
    full = np.array(f(a))
    assert np.array_equal(np.array(f(a[:, ::3])).view(np.uint32), full[:, ::3].view(np.uint32))
    assert np.array_equal(np.array(f(a.T)).view(np.uint32), full.T.view(np.uint32))
    assert np.array_equal(np.array(f(a[::-2])).view(np.uint32), full[::-2].view(np.uint32))


@pytest.mark.parametrize("op", list(UNARY))
def test_shapes(op):
    f = getattr(mx, op)
    assert f(mx.array(np.zeros((0, 3), np.float32))).shape == (0, 3)
    y = f(mx.array(np.float32(0.25)))
    assert y.shape == () and y.dtype == mx.float32
    assert abs(y.item() - float(UNARY[op][0](0.25))) < 1e-6
    assert f(mx.array([1, 2], dtype=mx.int32)).dtype == mx.float32


V = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan], dtype=np.float32)


def test_arctan2_grid():
    """Every signed-zero, one, infinity and NaN pair as NumPy; for (+-1, +-1) NumPy's pi/4 is one ulp below the
    correctly rounded value, which ember gives."""
    y, x = np.meshgrid(V, V, indexing="ij")
    got = np.array(mx.arctan2(mx.array(y), mx.array(x)))
    want = np.arctan2(y, x)
    ones = (np.abs(y) == 1) & (np.abs(x) == 1)
    want[ones] = np.arctan2(y[ones].astype(np.float64), x[ones].astype(np.float64)).astype(np.float32)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    m = ~np.isnan(want)
    assert np.array_equal(got[m], want[m]) and np.array_equal(np.signbit(got[m]), np.signbit(want[m]))


def test_arctan2_values_and_broadcast():
    rng = np.random.default_rng(5)
    n = 40000
    y = np.concatenate([rng.uniform(-10, 10, n), rng.standard_normal(n) * 1e30,
                        rng.standard_normal(n) * 1e-40]).astype(np.float32)
    x = np.concatenate([rng.uniform(-10, 10, n), rng.standard_normal(n) * 1e-30,
                        rng.standard_normal(n) * 1e-38]).astype(np.float32)
    x[::5] = y[::5] * np.float32(1.0001)
    got = mx.arctan2(mx.array(y), mx.array(x))
    assert got.dtype == mx.float32
    assert ulps(np.array(got), np.arctan2(y.astype(np.float64), x.astype(np.float64))).max() <= 1.8
    # broadcasting, a scalar either side
    a = rng.uniform(-2, 2, (3, 1)).astype(np.float32)
    b = rng.uniform(-2, 2, (1, 4)).astype(np.float32)
    r = mx.arctan2(mx.array(a), mx.array(b))
    assert r.shape == (3, 4)
    assert ulps(np.array(r), np.arctan2(a.astype(np.float64), b.astype(np.float64)).ravel().reshape(3, 4)).max() <= 1.8
    s = np.array(mx.arctan2(mx.array(y[:1000]), 2.0))
    assert ulps(s, np.arctan2(y[:1000].astype(np.float64), 2.0)).max() <= 1.8


@pytest.mark.parametrize("dt", [mx.float16, mx.bfloat16])
def test_arctan2_half(dt):
    rng = np.random.default_rng(6)
    y = mx.array(rng.uniform(-4, 4, 3000).astype(np.float32)).astype(dt)
    x = mx.array(rng.uniform(-4, 4, 3000).astype(np.float32)).astype(dt)
    r = mx.arctan2(y, x)
    assert r.dtype == dt
    r32 = mx.arctan2(y.astype(mx.float32), x.astype(mx.float32)).astype(dt)
    assert np.array_equal(to_numpy(r), to_numpy(r32))


SCRIPT = r"""
import sys, numpy as np, ember.core as mx
rng = np.random.default_rng(11)
x = np.concatenate([rng.uniform(-1e5, 1e5, 3001), rng.uniform(-1.2, 1.2, 3001),
                    rng.integers(0, 2**32, 3001, dtype=np.uint64).astype(np.uint32).view(np.float32)]).astype(np.float32)
y = rng.permutation(x)
a, b = mx.array(x), mx.array(y)
out = [np.array(getattr(mx, op)(a)) for op in ("sin", "cos", "tan", "arcsin", "arccos", "arctan")]
t = np.array(mx.arctan2(a, b))
t[np.isnan(t)] = np.nan  # NaN payloads may differ between levels
out.append(t)
sys.stdout.buffer.write(np.concatenate(out).tobytes())
"""


def run_level(level):
    env = dict(os.environ)
    if level:
        env["EMBER_SIMD"] = level
    else:
        env.pop("EMBER_SIMD", None)
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True, capture_output=True).stdout


def test_simd_levels_bit_exact():
    base = run_level(None)
    for level in ("none", "avx2"):
        assert run_level(level) == base, level
