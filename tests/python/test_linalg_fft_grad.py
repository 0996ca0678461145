"""Transform rules of the linalg and fft primitives: vjp and jvp against
central finite differences (linalg in float64; the FFTs are linear, so one
unit step is exact up to float32 rounding), with MLX's convention for complex
values (the vjp is the cotangent times the conjugate Jacobian, i.e. the
gradient of Re(sum(conj(c) * f(x))) packed as d/dRe + i d/dIm), and vmap
against a loop."""
import numpy as np
import pytest

import ember.core as mx

LA, F = mx.linalg, mx.fft


def arr(x):
    x = np.asarray(x)
    dt = {np.float32: mx.float32, np.float64: mx.float64, np.complex64: mx.complex64}[x.dtype.type]
    return mx.array(x, dtype=dt)


def as_list(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def loss(f, xs, cots):
    """Re(sum(conj(c) * f(x))) over f's outputs, in float64."""
    outs = as_list(f(*[arr(x) for x in xs]))
    return sum(float(np.real(np.sum(np.conj(c) * np.array(o).astype(np.complex128))))
               for o, c in zip(outs, cots) if c is not None)


def numeric_vjp(f, xs, cots, h):
    grads = []
    for i, x in enumerate(xs):
        g = np.zeros(x.shape, dtype=np.complex128 if np.iscomplexobj(x) else np.float64)
        parts = [1, 1j] if np.iscomplexobj(x) else [1]
        for idx in np.ndindex(x.shape):
            for unit in parts:
                xp = [y.copy() for y in xs]
                xm = [y.copy() for y in xs]
                xp[i][idx] += h * unit
                xm[i][idx] -= h * unit
                d = (loss(f, xp, cots) - loss(f, xm, cots)) / (2 * h)
                g[idx] += d * unit
        grads.append(g)
    return grads


def numeric_jvp(f, xs, ts, h):
    plus = as_list(f(*[arr(x + h * t) for x, t in zip(xs, ts)]))
    minus = as_list(f(*[arr(x - h * t) for x, t in zip(xs, ts)]))
    return [(np.array(p).astype(np.complex128) - np.array(m).astype(np.complex128)) / (2 * h)
            for p, m in zip(plus, minus)]


def check(f, xs, h=1e-6, rtol=1e-6, seed=0, outputs=None):
    """vjp and jvp of f at xs (NumPy arrays) against finite differences."""
    rng = np.random.default_rng(seed)
    outs = as_list(f(*[arr(x) for x in xs]))
    idx = range(len(outs)) if outputs is None else outputs

    def rand_like(o):
        o = np.array(o)
        r = rng.standard_normal(o.shape)
        if np.iscomplexobj(o):
            r = r + 1j * rng.standard_normal(o.shape)
        return r.astype(o.dtype)

    cots = [rand_like(o) if k in idx else None for k, o in enumerate(outs)]
    # ember's vjp of the outputs that have cotangents
    sel = [k for k in idx]

    def fsel(*a):
        r = as_list(f(*a))
        return [r[k] for k in sel]

    _, vjps = mx.vjp(fsel, [arr(x) for x in xs], [arr(cots[k]) for k in sel])
    want = numeric_vjp(f, xs, cots, h)
    for g, w in zip(vjps, want):
        got = np.array(g).astype(np.complex128)
        assert got.shape == w.shape, (got.shape, w.shape)
        scale = max(1.0, float(np.abs(w).max()))
        np.testing.assert_allclose(got, w, rtol=0, atol=rtol * scale * 10)
    ts = [rand_like(x) for x in xs]
    _, jvps = mx.jvp(fsel, [arr(x) for x in xs], [arr(t) for t in ts])
    want = numeric_jvp(fsel, xs, ts, h)
    for g, w in zip(jvps, want):
        got = np.array(g).astype(np.complex128)
        assert got.shape == w.shape, (got.shape, w.shape)
        scale = max(1.0, float(np.abs(w).max()))
        np.testing.assert_allclose(got, w, rtol=0, atol=rtol * scale * 10)


def rnd(shape, seed=0, diag=0.0):
    a = np.random.default_rng(seed).standard_normal(shape)
    if diag:
        a = a + diag * np.eye(shape[-1])
    return a


def spd(n, batch=(), seed=0):
    b = rnd(batch + (n, n), seed)
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


# ---------------------------------------------------------------- linalg


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_inv(shape):
    check(LA.inv, [rnd(shape, diag=4)])


@pytest.mark.parametrize("upper", [False, True])
def test_tri_inv_and_cholesky_inv(upper):
    check(lambda a: LA.tri_inv(a, upper=upper), [rnd((4, 4), 1, diag=4)])
    l = np.linalg.cholesky(spd(4, seed=2))
    check(lambda a: LA.cholesky_inv(a, upper=upper), [l.T.copy() if upper else l])


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky(upper, batch):
    check(lambda a: LA.cholesky(a, upper=upper), [spd(4, batch, seed=3)])


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 2)])
def test_qr(shape):
    check(LA.qr, [rnd(shape, 4)])
    check(lambda a: LA.qr(a)[1], [rnd(shape, 5)])


def test_qr_wide_is_a_clear_error():
    with pytest.raises(ValueError, match="at least as many rows as columns"):
        mx.vjp(lambda a: LA.qr(a)[0], [mx.ones((2, 3), dtype=mx.float64)], [mx.ones((2, 2), dtype=mx.float64)])


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (2, 3, 3)])
def test_svd(shape):
    check(lambda a: LA.svd(a, compute_uv=False), [rnd(shape, 6)])
    k = min(shape[-2:])
    c = np.random.default_rng(7).standard_normal(k)

    def gauge_free(a):
        # U diag(c) Vt over the first k columns/rows: independent of the
        # signs LAPACK picks for singular vectors
        u, s, vt = LA.svd(a)
        return (u[..., :, :k] * mx.array(c, dtype=mx.float64)) @ vt[..., :k, :], s

    check(gauge_free, [rnd(shape, 8)])


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(uplo):
    a = rnd((4, 4), 9)
    a = a + a.T
    check(lambda x: LA.eigvalsh(x, UPLO=uplo), [a])
    c = np.random.default_rng(10).standard_normal(4)

    def gauge_free(x):
        w, v = LA.eigh(x, UPLO=uplo)
        return (v * mx.array(c, dtype=mx.float64)) @ v.T, w

    check(gauge_free, [a])


def test_solve():
    a, b = rnd((3, 3), 11, diag=3), rnd((3, 2), 12)
    check(LA.solve, [a, b])
    check(LA.solve, [a, rnd((3,), 13)])
    check(LA.solve, [rnd((2, 3, 3), 14, diag=3), rnd((3,), 15)])


@pytest.mark.parametrize("upper", [False, True])
def test_solve_triangular(upper):
    check(lambda a, b: LA.solve_triangular(a, b, upper=upper), [rnd((3, 3), 16, diag=3), rnd((3, 2), 17)])


def test_lu_det_slogdet():
    a = rnd((4, 4), 18, diag=1)
    check(lambda x: LA.lu(x)[1:], [a])
    check(lambda x: LA.lu_factor(x)[0], [a])
    check(LA.det, [a])
    check(lambda x: LA.slogdet(x)[1], [a])
    check(LA.det, [rnd((2, 3, 3), 19, diag=1)])


@pytest.mark.parametrize("ord", [None, 1, 2, -2, np.inf, "fro", "nuc"])
def test_norm(ord):
    a = rnd((3, 4), 20)
    check(lambda x: LA.norm(x, ord=ord), [a])
    if ord in (None, 1, 2, np.inf):
        check(lambda x: LA.norm(x, ord=ord, axis=1), [a])


def test_pinv():
    check(LA.pinv, [rnd((3, 4), 21)])
    check(LA.pinv, [rnd((4, 2), 22)])


def test_eig_has_no_gradient():
    with pytest.raises(ValueError, match=r"\[Primitive::vjp\] Not implemented for Eig"):
        mx.vjp(LA.eigvals, [mx.eye(2)], [mx.ones((2,), dtype=mx.complex64)])


def test_float32_gradient():
    a = rnd((3, 3), 23, diag=3).astype(np.float32)
    g = mx.grad(lambda x: LA.inv(x).sum())(arr(a))
    y = np.linalg.inv(a.astype(np.float64))
    np.testing.assert_allclose(np.array(g), -(y.T @ np.ones((3, 3)) @ y.T), rtol=1e-4)


# ---------------------------------------------------------------- fft


def cdata(shape, seed=0):
    r = np.random.default_rng(seed)
    return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(np.complex64)


FFT_CASES = [
    ("fft", lambda a: F.fft(a), "c", (6,)),
    ("fft n=4", lambda a: F.fft(a, n=4), "c", (6,)),
    ("fft n=9 ortho", lambda a: F.fft(a, n=9, norm="ortho"), "c", (2, 6)),
    ("ifft forward", lambda a: F.ifft(a, norm="forward", axis=0), "c", (5, 3)),
    ("rfft", lambda a: F.rfft(a), "r", (6,)),
    ("rfft odd", lambda a: F.rfft(a), "r", (2, 7)),
    ("rfft n=10", lambda a: F.rfft(a, n=10), "r", (7,)),
    ("irfft", lambda a: F.irfft(a), "c", (5,)),
    ("irfft odd", lambda a: F.irfft(a, n=7), "c", (2, 4)),
    ("irfft ortho", lambda a: F.irfft(a, n=6, norm="ortho"), "c", (4,)),
    ("fft2", lambda a: F.fft2(a), "c", (3, 4)),
    ("rfftn", lambda a: F.rfftn(a), "r", (3, 4)),
    ("irfft2", lambda a: F.irfft2(a, s=(3, 6)), "c", (3, 4)),
    ("ifftn s", lambda a: F.ifftn(a, s=(2, 5), axes=(0, 1)), "c", (3, 4)),
]


@pytest.mark.parametrize("name,f,kind,shape", FFT_CASES, ids=[c[0] for c in FFT_CASES])
def test_fft_rules(name, f, kind, shape):
    x = cdata(shape) if kind == "c" else np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    check(f, [x], h=1.0, rtol=2e-5)


# ---------------------------------------------------------------- vmap


def test_vmap():
    a = rnd((5, 3, 3), 30, diag=3)
    b = rnd((5, 3), 31)
    got = mx.vmap(LA.inv)(arr(a))
    np.testing.assert_allclose(np.array(got), np.linalg.inv(a), rtol=1e-10)
    got = mx.vmap(LA.solve, in_axes=(0, None))(arr(a), arr(b[0]))
    np.testing.assert_allclose(np.array(got), np.linalg.solve(a, b[0]), rtol=1e-10)
    got = mx.vmap(LA.solve, in_axes=(None, 0))(arr(a[0]), arr(b))
    np.testing.assert_allclose(np.array(got), np.linalg.solve(a[0], b.T).T, rtol=1e-10)
    w = mx.vmap(LA.eigvalsh, in_axes=1)(arr(a + np.swapaxes(a, -1, -2)).transpose(1, 0, 2))
    np.testing.assert_allclose(np.array(w), np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2)), rtol=1e-10)
    q, r = mx.vmap(LA.qr)(arr(a))
    np.testing.assert_allclose(np.array(q) @ np.array(r), a, atol=1e-12)
    x = cdata((4, 6))
    for axis in (0, 1):
        got = mx.vmap(lambda v: F.fft(v), in_axes=axis)(arr(x))
        want = np.fft.fft(x.T if axis else x)
        np.testing.assert_allclose(np.array(got), want, atol=1e-4)
    got = mx.vmap(lambda v: F.rfft(v, n=8), in_axes=1, out_axes=1)(arr(x.real.copy()))
    np.testing.assert_allclose(np.array(got), np.fft.rfft(x.real, n=8, axis=0), atol=1e-4)
