"""The vectorised float32 exp/log family (expm1, log1p, log2, log10, sinh,
cosh, arcsinh, arccosh, arctanh, rsqrt, power, logaddexp) against NumPy:
values within 2 float32 ulps of NumPy's float64 result over random and edge
inputs, special values exactly as NumPy's float32 gives them, float16 and
bfloat16 (computed through float32, rounded once), and strided inputs equal
to contiguous ones bit for bit."""
import numpy as np
import pytest

import ember.core as mx

EDGE = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-45, -1e-45,
                 1.1754944e-38, -1.1754944e-38, 3.4028235e38, -3.4028235e38, 1e-30, -1e-30,
                 88.72, 89.5, -87.0, -104.0, 0.99999994, -0.99999994, 1.0000001, 0.41421354,
                 -0.29289323, 0.3466, -0.3466, 16.5, 25.0, -20.0, 2.0 ** 28, 3e9, 10.0, 1000.0],
                dtype=np.float32)

UNARY = {  # name: (numpy function, input range for the random part)
    "expm1": (np.expm1, (-20, 20)),
    "log1p": (np.log1p, (-1, 10)),
    "log2": (np.log2, (0, 100)),
    "log10": (np.log10, (0, 100)),
    "sinh": (np.sinh, (-10, 10)),
    "cosh": (np.cosh, (-10, 10)),
    "arcsinh": (np.arcsinh, (-10, 10)),
    "arccosh": (np.arccosh, (1, 10)),
    "arctanh": (np.arctanh, (-1, 1)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0, 100)),
}


def inputs(lo, hi, n=20000, seed=0):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2 ** 32, n // 4, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([EDGE, rng.uniform(lo, hi, n).astype(np.float32), bits])


def ulps32(got, want):
    """|got - want| in float32 ulps of want (want float64), subnormal-aware."""
    want = np.asarray(want, np.float64)
    e = np.frexp(np.abs(want))[1]
    ulp = np.ldexp(1.0, np.maximum(e - 24, -149))
    return np.abs(got.astype(np.float64) - want) / ulp


def check_like_numpy(got, x, f, tol):
    with np.errstate(all="ignore"):
        want = f(x.astype(np.float64))
        want32 = f(x)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want32))
    fin = ~np.isnan(want32)
    g, w, w32 = got[fin], want[fin], want32[fin]
    inf = np.isinf(w32)
    np.testing.assert_array_equal(g[inf], w32[inf])
    zero = w32 == 0
    np.testing.assert_array_equal(np.signbit(g[zero]), np.signbit(w32[zero]))
    err = ulps32(g[~inf], w[~inf])
    assert err.max() <= tol, (err.max(), x[fin][~inf][err.argmax()])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32(name):
    f, (lo, hi) = UNARY[name]
    x = inputs(lo, hi)
    got = np.array(getattr(mx, name)(mx.array(x)))
    check_like_numpy(got, x, f, 2.0)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_strided_and_halves(name):
    f, (lo, hi) = UNARY[name]
    x = inputs(lo, hi, 4001, seed=1)
    op = getattr(mx, name)
    full = op(mx.array(x))
    strided = op(mx.array(x)[::3])
    np.testing.assert_array_equal(np.array(strided).view(np.uint32), np.array(full)[::3].view(np.uint32))
    # float16 / bfloat16: widened to float32, computed, rounded once
    for dt in (mx.float16, mx.bfloat16):
        h = mx.array(x).astype(dt)
        got = op(h)
        assert got.dtype == dt
        want = op(h.astype(mx.float32)).astype(dt)
        np.testing.assert_array_equal(np.array(got.astype(mx.float32)), np.array(want.astype(mx.float32)))
    with np.errstate(all="ignore"):
        h = x.astype(np.float16)
        want = f(h)  # NumPy computes half in float32 and rounds
    got = np.array(op(mx.array(h)))
    assert got.dtype == np.float16
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    fin = ~np.isnan(want)
    gu, wu = got[fin].view(np.int16).astype(np.int32), want[fin].view(np.int16).astype(np.int32)
    assert np.abs(gu - wu).max() <= 1


def test_unary_specials():
    f32 = np.float32
    cases = [
        (mx.expm1, [0.0, -0.0, np.inf, -np.inf, 100.0, -100.0, 1e-10], [0.0, -0.0, np.inf, -1.0, np.inf, -1.0, 1e-10]),
        (mx.log1p, [-1.0, -2.0, np.inf, -0.0, 1e-30], [-np.inf, np.nan, np.inf, -0.0, 1e-30]),
        (mx.log2, [0.0, -0.0, -1.0, np.inf, 1.0, 8.0, 2.0 ** -149, 0.5], [-np.inf, -np.inf, np.nan, np.inf, 0.0, 3.0, -149.0, -1.0]),
        (mx.log10, [0.0, -1.0, np.inf, 1.0, 10.0, 1000.0, 0.001], [-np.inf, np.nan, np.inf, 0.0, 1.0, 3.0, -3.0]),
        (mx.sinh, [0.0, -0.0, np.inf, -np.inf, 90.0, -90.0], [0.0, -0.0, np.inf, -np.inf, np.inf, -np.inf]),
        (mx.cosh, [0.0, -0.0, np.inf, -np.inf, 90.0], [1.0, 1.0, np.inf, np.inf, np.inf]),
        (mx.arcsinh, [0.0, -0.0, np.inf, -np.inf, 3.4028235e38], [0.0, -0.0, np.inf, -np.inf, 89.415985]),
        (mx.arccosh, [1.0, 0.5, np.inf, -np.inf, 3.4028235e38], [0.0, np.nan, np.inf, np.nan, 89.415985]),
        (mx.arctanh, [0.0, -0.0, 1.0, -1.0, 2.0, -np.inf], [0.0, -0.0, np.inf, -np.inf, np.nan, np.nan]),
        (mx.rsqrt, [0.0, -0.0, np.inf, -1.0, 4.0], [np.inf, -np.inf, 0.0, np.nan, 0.5]),
    ]
    for op, x, want in cases:
        got = np.array(op(mx.array(np.array(x + [np.nan], f32))))
        want = np.array(want + [np.nan], f32)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))


POW_GRID = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 0.25, 1.5, -1.5, np.inf,
                     -np.inf, np.nan, 1e-45, -1e-45, 1e30, -1e30, 16777216.0, 16777217.0,
                     -16777215.0, 1.1754944e-38, 100.0, -100.0, 127.9, 0.33, -7.0, 0.1],
                    dtype=np.float32)


def test_power_special_grid():
    a, b = np.meshgrid(POW_GRID, POW_GRID, indexing="ij")
    a, b = a.ravel(), b.ravel()
    got = np.array(mx.power(mx.array(a), mx.array(b)))
    with np.errstate(all="ignore"):
        want = np.power(a, b)
        want64 = np.power(a.astype(np.float64), b.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    fin = ~np.isnan(want)
    exact = np.isinf(want) | (want == 0)
    np.testing.assert_array_equal(got[fin & exact], want[fin & exact])
    np.testing.assert_array_equal(np.signbit(got[fin]), np.signbit(want[fin]))
    assert ulps32(got[fin & ~exact], want64[fin & ~exact]).max() <= 0.5 + 1e-4


@pytest.mark.parametrize("seed", [0, 1])
def test_power_random(seed):
    rng = np.random.default_rng(seed)
    n = 50000
    a = np.concatenate([rng.uniform(0, 10, n), rng.uniform(-10, 10, n)]).astype(np.float32)
    b = np.concatenate([rng.uniform(-40, 40, n), rng.integers(-30, 30, n)]).astype(np.float32)
    got = np.array(mx.array(a) ** mx.array(b))
    with np.errstate(all="ignore"):
        want = np.power(a, b)
        want64 = np.power(a.astype(np.float64), b.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    fin = np.isfinite(want64) & (np.abs(want64) < 3.4e38)
    # correctly rounded but in the rarest near-halfway cases; NumPy's powf within 1 ulp
    assert ulps32(got[fin], want64[fin]).max() <= 0.5 + 1e-4
    assert ulps32(got[fin], want[fin].astype(np.float64)).max() <= 1


def test_power_paths_agree():
    """Constant exponents with a fast path (1, 2, 3, -1, 0.5) give the general
    loop's bits: a strided base (general loop), an exponent array, and the
    contiguous base with a scalar exponent (fast path)."""
    x = inputs(-10, 10, 4001, seed=5)
    for c in (1.0, 2.0, 3.0, -1.0, 0.5, 2.5, -2.0):
        fast = np.array(mx.array(x) ** c)
        arr = np.array(mx.power(mx.array(x), mx.array(np.full(x.shape, c, np.float32))))
        strided = np.array(mx.array(np.repeat(x, 2))[::2] ** c)
        for other in (arr, strided):
            same = (fast.view(np.uint32) == other.view(np.uint32)) | (np.isnan(fast) & np.isnan(other))
            assert same.all(), (c, x[~same][:4], fast[~same][:4], other[~same][:4])


def test_power_halves_and_strided():
    rng = np.random.default_rng(7)
    a = rng.uniform(0, 4, 3001).astype(np.float32)
    b = rng.uniform(-3, 3, 3001).astype(np.float32)
    full = np.array(mx.power(mx.array(a), mx.array(b)))
    st = np.array(mx.power(mx.array(a)[::2], mx.array(b)[::2]))
    np.testing.assert_array_equal(st.view(np.uint32), full[::2].view(np.uint32))
    for dt in (mx.float16, mx.bfloat16):
        ha, hb = mx.array(a).astype(dt), mx.array(b).astype(dt)
        got = mx.power(ha, hb)
        assert got.dtype == dt
        want = mx.power(ha.astype(mx.float32), hb.astype(mx.float32)).astype(dt)
        np.testing.assert_array_equal(np.array(got.astype(mx.float32)), np.array(want.astype(mx.float32)))


def test_logaddexp():
    rng = np.random.default_rng(9)
    n = 50000
    a = rng.uniform(-100, 100, n).astype(np.float32)
    b = np.concatenate([rng.uniform(-100, 100, n // 2), a[n // 2:] + rng.uniform(-3, 3, n - n // 2)]).astype(np.float32)
    got = np.array(mx.logaddexp(mx.array(a), mx.array(b)))
    want = np.logaddexp(a.astype(np.float64), b.astype(np.float64))
    assert got.dtype == np.float32
    # the sum max + log1p(...) cancels near 0 (NumPy's float32 too: 3.7 ulp
    # on such inputs): the error in ulps of the larger of max and the result
    scale = np.maximum(np.abs(np.maximum(a, b)).astype(np.float64), np.abs(want))
    err = np.abs(got.astype(np.float64) - want) / np.ldexp(1.0, np.frexp(scale)[1] - 24)
    assert err.max() <= 5
    g = np.array([np.inf, -np.inf, np.inf, -np.inf, np.nan, 1.0, 0.0, 3.0, -np.inf], np.float32)
    h = np.array([np.inf, -np.inf, -np.inf, 5.0, 1.0, np.nan, 0.0, 3.0, -1e30], np.float32)
    got = np.array(mx.logaddexp(mx.array(g), mx.array(h)))
    np.testing.assert_array_equal(got, np.logaddexp(g, h))
    st = np.array(mx.logaddexp(mx.array(a)[::2], mx.array(b)[::2]))
    np.testing.assert_array_equal(st.view(np.uint32), np.array(mx.logaddexp(mx.array(a), mx.array(b)))[::2].view(np.uint32))
    hg = np.array(mx.logaddexp(mx.array(a).astype(mx.float16), mx.array(b).astype(mx.float16)))
    assert hg.dtype == np.float16
    np.testing.assert_allclose(hg.astype(np.float64), np.logaddexp(a.astype(np.float16), b.astype(np.float16)).astype(np.float64), rtol=2e-3, atol=2e-3)
