"""ember.core.linalg against numpy.linalg: values over shapes, batches and
dtypes (tolerances from the dtype's epsilon and the matrix size), MLX's
dtypes, signatures and messages, and clear errors for singular,
non-positive-definite, non-square and wrongly typed input."""
import inspect
import math

import numpy as np
import pytest

import ember.core as mx

LA = mx.linalg
REAL = [mx.float32, mx.float64]
NPDT = {mx.float32: np.float32, mx.float64: np.float64, mx.complex64: np.complex64}
EPS = {mx.float32: np.finfo(np.float32).eps, mx.float64: np.finfo(np.float64).eps,
       mx.complex64: np.finfo(np.float32).eps}


def arr(x):
    """An ember array with x's dtype (mx.array alone makes float64 float32, as MLX)."""
    x = np.asarray(x)
    dt = {np.float32: mx.float32, np.float64: mx.float64, np.complex64: mx.complex64}.get(x.dtype.type)
    return mx.array(x, dtype=dt) if dt is not None else mx.array(x)


def tol(dt, n):
    """Error bound for well-conditioned n x n problems in dtype dt."""
    return 64 * max(n, 1) * EPS[dt]


def close(got, want, dt, n, scale=None):
    got = np.asarray(got).astype(np.complex128 if np.iscomplexobj(got) else np.float64)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    s = scale if scale is not None else max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    err = float(np.max(np.abs(got - want))) if want.size else 0.0
    assert err <= tol(dt, n) * s, (err, tol(dt, n) * s)


def well_conditioned(shape, dt, seed=0):
    rng = np.random.default_rng(seed)
    n = shape[-1]
    a = rng.standard_normal(shape) + n * np.eye(n)
    if dt == mx.complex64:
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(NPDT[dt])


def spd(shape, dt, seed=0):
    rng = np.random.default_rng(seed)
    n = shape[-1]
    b = rng.standard_normal(shape)
    return (b @ np.swapaxes(b, -1, -2) + n * np.eye(n)).astype(NPDT[dt])


SQUARE_SHAPES = [(1, 1), (2, 2), (5, 5), (3, 4, 4), (2, 1, 3, 3)]


# ---------------------------------------------------------------- API


def test_submodule():
    import sys
    assert mx.linalg.__name__ == "ember.core.linalg"
    assert sys.modules["ember.core.linalg"] is mx.linalg
    from ember.core import linalg
    assert linalg.inv is mx.linalg.inv


SIGS = {
    "norm": ["a", "ord", "axis", "keepdims", "stream"],
    "qr": ["a", "stream"], "svd": ["a", "compute_uv", "stream"], "inv": ["a", "stream"],
    "tri_inv": ["a", "upper", "stream"], "pinv": ["a", "stream"],
    "cholesky": ["a", "upper", "stream"], "cholesky_inv": ["a", "upper", "stream"],
    "cross": ["a", "b", "axis", "stream"], "eigvals": ["a", "stream"], "eig": ["a", "stream"],
    "eigvalsh": ["a", "UPLO", "stream"], "eigh": ["a", "UPLO", "stream"], "lu": ["a", "stream"],
    "lu_factor": ["a", "stream"], "solve": ["a", "b", "stream"],
    "solve_triangular": ["a", "b", "upper", "stream"], "det": ["a", "stream"],
    "slogdet": ["a", "stream"],
}


@pytest.mark.parametrize("name", sorted(SIGS))
def test_signatures(name):
    sig = inspect.signature(getattr(LA, name))
    assert list(sig.parameters) == SIGS[name]
    assert sig.parameters["stream"].kind is inspect.Parameter.KEYWORD_ONLY
    if name == "norm":
        assert sig.parameters["a"].kind is inspect.Parameter.POSITIONAL_ONLY
    if name == "solve_triangular":
        assert sig.parameters["upper"].kind is inspect.Parameter.KEYWORD_ONLY
    if name in ("eigh", "eigvalsh"):
        assert sig.parameters["UPLO"].default == "L"


def test_stream_argument():
    a = arr(well_conditioned((3, 3), mx.float32))
    close(LA.inv(a, stream=mx.cpu), np.linalg.inv(np.array(a)), mx.float32, 3)


# ---------------------------------------------------------------- inverses


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("shape", SQUARE_SHAPES)
def test_inv(dt, shape):
    a = well_conditioned(shape, dt)
    r = LA.inv(arr(a))
    assert r.dtype == dt and r.shape == shape
    close(r, np.linalg.inv(a.astype(np.float64)), dt, shape[-1])


def test_inv_strided_input():
    a = well_conditioned((6, 6), mx.float64)
    x = arr(a)[::2, ::2].T  # a view with strides in both axes
    close(LA.inv(x), np.linalg.inv(a[::2, ::2].T), mx.float64, 3)


def test_inv_singular_is_an_error():
    a = mx.array([[1.0, 2.0], [2.0, 4.0]])
    r = LA.inv(a)  # lazily built; the failure comes at evaluation
    with pytest.raises(RuntimeError, match=r"\[linalg::inv\] The matrix is singular"):
        mx.eval(r)
    batch = mx.array(np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]).astype(np.float32))
    with pytest.raises(RuntimeError, match="matrix 1 of the batch"):
        mx.eval(LA.inv(batch))


@pytest.mark.parametrize("dt", [mx.int32, mx.float16, mx.bfloat16, mx.complex64, mx.bool_])
def test_inv_dtype_errors(dt):
    with pytest.raises(ValueError, match=r"\[linalg::inv\] Arrays must have type float32 or float64. "
                                         r"Received array with type"):
        LA.inv(mx.ones((2, 2), dtype=dt))


def test_shape_errors():
    with pytest.raises(ValueError, match=r"Arrays must have >= 2 dimensions. Received array with 1 dimensions"):
        LA.inv(mx.ones((3,)))
    with pytest.raises(ValueError, match="Inverses are only defined for square matrices"):
        LA.inv(mx.ones((2, 3)))
    with pytest.raises(ValueError, match="Cholesky decomposition is only defined for square matrices"):
        LA.cholesky(mx.ones((2, 3)))
    with pytest.raises(ValueError, match="Only defined for square matrices"):
        LA.eigh(mx.ones((2, 3)))
    with pytest.raises(ValueError, match="Only defined for square matrices"):
        LA.eig(mx.ones((2, 3)))


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("upper", [False, True])
def test_tri_inv(dt, upper):
    a = well_conditioned((3, 4, 4), dt)
    tri = np.triu(a) if upper else np.tril(a)
    r = LA.tri_inv(arr(a), upper=upper)  # the other triangle is not read
    close(r, np.linalg.inv(tri.astype(np.float64)), dt, 4)
    with pytest.raises(RuntimeError, match=r"\[linalg::tri_inv\] The matrix is singular: its diagonal element 1"):
        z = np.eye(3, dtype=NPDT[dt])
        z[1, 1] = 0
        mx.eval(LA.tri_inv(arr(z), upper=upper))


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 3, 5, 5)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(dt, shape, upper):
    a = spd(shape, dt)
    junk = a + np.triu(np.full(shape, 7.0), 1).astype(NPDT[dt]) if not upper else a
    r = LA.cholesky(arr(junk), upper=upper)
    want = np.linalg.cholesky(a.astype(np.float64))
    if upper:
        want = np.swapaxes(want, -1, -2)
    assert r.dtype == dt
    close(r, want, dt, shape[-1])


def test_cholesky_not_positive_definite():
    for bad in ([[1.0, 2.0], [2.0, 4.0]], [[-1.0, 0.0], [0.0, 4.0]]):
        with pytest.raises(RuntimeError, match=r"\[linalg::cholesky\] The matrix is not positive definite"):
            mx.eval(LA.cholesky(mx.array(bad)))


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inv(dt, upper):
    a = spd((2, 5, 5), dt)
    l = np.linalg.cholesky(a.astype(np.float64))
    f = np.swapaxes(l, -1, -2) if upper else l
    r = LA.cholesky_inv(arr(f.astype(NPDT[dt])), upper=upper)
    close(r, np.linalg.inv(a.astype(np.float64)), dt, 5, scale=1.0)


# ---------------------------------------------------------------- factorizations


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 2), (1, 1), (2, 0, 3)])
def test_qr(dt, shape):
    a = np.random.default_rng(1).standard_normal(shape).astype(NPDT[dt])
    q, r = LA.qr(arr(a))
    m, n = shape[-2:]
    k = min(m, n)
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    assert q.dtype == dt and r.dtype == dt
    qn, rn = np.array(q).astype(np.float64), np.array(r).astype(np.float64)
    close(qn @ rn, a.astype(np.float64), dt, max(m, n, 1))
    close(np.swapaxes(qn, -1, -2) @ qn, np.broadcast_to(np.eye(k), shape[:-2] + (k, k)), dt, max(m, 1))
    assert np.all(np.tril(rn, -1) == 0)


def test_qr_keep_only_q():
    a = arr(well_conditioned((4, 4), mx.float32))
    q = LA.qr(a)[0]  # R is released before evaluation
    mx.eval(q)
    assert q.shape == (4, 4)
    u = LA.svd(a)[1]
    close(u, np.linalg.svd(np.array(a).astype(np.float64), compute_uv=False), mx.float32, 4)


@pytest.mark.parametrize("dt", REAL + [mx.complex64])
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 3, 4), (1, 1)])
def test_svd(dt, shape):
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape)
    if dt == mx.complex64:
        a = a + 1j * rng.standard_normal(shape)
    a = a.astype(NPDT[dt])
    u, s, vt = LA.svd(arr(a))
    m, n = shape[-2:]
    k = min(m, n)
    real = mx.float32 if dt == mx.complex64 else dt
    assert (u.dtype, s.dtype, vt.dtype) == (dt, real, dt)
    assert u.shape == shape[:-2] + (m, m) and s.shape == shape[:-2] + (k,) and vt.shape == shape[:-2] + (n, n)
    ref = np.linalg.svd(a.astype(np.complex128 if dt == mx.complex64 else np.float64), compute_uv=False)
    close(s, ref, dt, max(m, n))
    un, sn, vn = np.array(u), np.array(s), np.array(vt)
    rec = (un[..., :, :k] * sn[..., None, :]) @ vn[..., :k, :]
    close(rec, a, dt, max(m, n))
    s_only = LA.svd(arr(a), compute_uv=False)
    assert isinstance(s_only, mx.array)
    close(s_only, ref, dt, max(m, n))


def test_svd_errors():
    with pytest.raises(ValueError, match=r"\[linalg::svd\] Arrays must have type float32, float64 or complex64"):
        LA.svd(mx.ones((2, 2), dtype=mx.int32))


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 6), (0, 0)])
def test_pinv(dt, shape):
    a = np.random.default_rng(3).standard_normal(shape).astype(NPDT[dt])
    r = LA.pinv(arr(a))
    assert r.shape == shape[:-2] + (shape[-1], shape[-2]) and r.dtype == dt
    close(r, np.linalg.pinv(a.astype(np.float64)), dt, max(shape[-2:] + (1,)))


def test_pinv_singular():
    a = np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32)
    close(LA.pinv(arr(a)), np.linalg.pinv(a.astype(np.float64)), mx.float32, 2)


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 5, 5), (1, 1)])
def test_lu(dt, shape):
    a = np.random.default_rng(4).standard_normal(shape).astype(NPDT[dt])
    p, l, u = LA.lu(arr(a))
    m, n = shape[-2:]
    k = min(m, n)
    assert p.dtype == mx.uint32 and p.shape == shape[:-2] + (m,)
    assert l.shape == shape[:-2] + (m, k) and u.shape == shape[:-2] + (k, n)
    pn, ln, un = np.array(p), np.array(l).astype(np.float64), np.array(u).astype(np.float64)
    lp = np.take_along_axis(ln, pn[..., :, None].astype(np.int64), axis=-2)
    close(lp @ un, a.astype(np.float64), dt, max(m, n))
    assert np.all(np.abs(ln) <= 1 + 1e-6)
    assert np.allclose(np.diagonal(ln, axis1=-2, axis2=-1), 1)
    assert np.all(np.tril(un, -1) == 0)


def test_lu_matches_mlx_convention():
    a = mx.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])
    p, l, u = LA.lu(a)
    assert p.tolist() == [1, 2, 0]  # MLX's values for this matrix
    lu, piv = LA.lu_factor(a)
    assert piv.tolist() == [2, 2, 2] and piv.dtype == mx.uint32
    np.testing.assert_allclose(np.array(lu), [[7, 8, 10], [1 / 7, 6 / 7, 11 / 7], [4 / 7, 0.5, -0.5]], rtol=1e-6)


def test_lu_singular_is_fine():
    a = mx.array([[1.0, 2.0], [2.0, 4.0]])
    p, l, u = LA.lu(a)
    lp = np.array(l)[np.array(p)]
    np.testing.assert_allclose(lp @ np.array(u), np.array(a), atol=1e-6)


# ---------------------------------------------------------------- solves


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("ashape,bshape", [((3, 3), (3,)), ((3, 3), (3, 2)), ((4, 3, 3), (4, 3, 1)),
                                           ((4, 3, 3), (3, 5)), ((2, 1, 3, 3), (5, 3, 2)),
                                           ((4, 3, 3), (3,)), ((1, 1), (1,))])
def test_solve(dt, ashape, bshape):
    a = well_conditioned(ashape, dt)
    b = np.random.default_rng(5).standard_normal(bshape).astype(NPDT[dt])
    x = LA.solve(arr(a), arr(b))
    want = np.linalg.solve(a.astype(np.float64), b.astype(np.float64))
    assert x.dtype == dt
    close(x, want, dt, ashape[-1])


def test_solve_promotes_and_checks():
    a = well_conditioned((3, 3), mx.float64)
    x = LA.solve(arr(a), mx.array([1.0, 2.0, 3.0], dtype=mx.float32))
    assert x.dtype == mx.float64
    with pytest.raises(ValueError, match=r"\[linalg::solve\] Last dimension of first input with shape \(3,3\) "
                                         r"must match second to last dimension of second input with shape \(2\)"):
        LA.solve(arr(a), mx.ones((2,)))
    with pytest.raises(ValueError, match=r"First input must be a square matrix. Received array with shape \(2,3\)"):
        LA.solve(mx.ones((2, 3)), mx.ones((2,)))
    with pytest.raises(ValueError, match="Input arrays must promote to float32 or float64"):
        LA.solve(mx.ones((2, 2), dtype=mx.complex64), mx.ones((2,)))
    with pytest.raises(ValueError, match="Second input must have >= 1 dimensions"):
        LA.solve(mx.ones((2, 2)), mx.array(1.0))
    with pytest.raises(RuntimeError, match=r"\[linalg::solve\] The matrix is singular"):
        mx.eval(LA.solve(mx.array([[1.0, 2.0], [2.0, 4.0]]), mx.ones((2,))))


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("bshape", [(4,), (4, 3), (2, 4, 3)])
def test_solve_triangular(dt, upper, bshape):
    a = well_conditioned((2, 4, 4), dt)
    tri = np.triu(a) if upper else np.tril(a)
    b = np.random.default_rng(6).standard_normal(bshape).astype(NPDT[dt])
    x = LA.solve_triangular(arr(a), arr(b), upper=upper)
    close(x, np.linalg.solve(tri.astype(np.float64), b.astype(np.float64)), dt, 4)


def test_solve_triangular_singular():
    with pytest.raises(RuntimeError, match=r"\[linalg::solve_triangular\] The matrix is singular"):
        mx.eval(LA.solve_triangular(mx.array([[1.0, 0.0], [2.0, 0.0]]), mx.ones((2,))))


# ---------------------------------------------------------------- eigenproblems


@pytest.mark.parametrize("dt", REAL + [mx.complex64])
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (3, 5, 5)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(dt, shape, uplo):
    rng = np.random.default_rng(7)
    b = rng.standard_normal(shape)
    if dt == mx.complex64:
        b = b + 1j * rng.standard_normal(shape)
    h = (b + np.conj(np.swapaxes(b, -1, -2))) / 2
    junk = h + (np.triu(np.full(shape, 9.0), 1) if uplo == "L" else np.tril(np.full(shape, 9.0), -1))
    a = junk.astype(NPDT[dt])
    w, v = LA.eigh(arr(a), UPLO=uplo)
    real = mx.float32 if dt == mx.complex64 else dt
    assert w.dtype == real and v.dtype == dt
    wn = np.linalg.eigvalsh(h)
    close(w, wn, dt, shape[-1])
    vn = np.array(v).astype(np.complex128)
    close(h @ vn, vn * np.array(w)[..., None, :], dt, shape[-1], scale=max(1.0, np.abs(wn).max()))
    close(LA.eigvalsh(arr(a), UPLO=uplo), wn, dt, shape[-1])


def test_eigh_bad_uplo():
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        LA.eigh(mx.eye(2), UPLO="X")


@pytest.mark.parametrize("dt", REAL + [mx.complex64])
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 6, 6)])
def test_eig(dt, shape):
    rng = np.random.default_rng(8)
    a = rng.standard_normal(shape)
    if dt == mx.complex64:
        a = a + 1j * rng.standard_normal(shape)
    a = a.astype(NPDT[dt])
    w, v = LA.eig(arr(a))
    assert w.dtype == mx.complex64 and v.dtype == mx.complex64
    wn, vn = np.array(w).astype(np.complex128), np.array(v).astype(np.complex128)
    a64 = a.astype(np.complex128)
    scale = max(1.0, np.abs(wn).max())
    close(a64 @ vn, vn * wn[..., None, :], mx.float32, shape[-1], scale=scale)
    np.testing.assert_allclose(np.linalg.norm(vn, axis=-2), 1, rtol=1e-5)
    ev = np.array(LA.eigvals(arr(a))).astype(np.complex128)
    ref = np.linalg.eigvals(a64)
    key = lambda z: np.sort_complex(np.round(z, 4))
    np.testing.assert_allclose(key(ev), key(ref), atol=1e-3 * scale)


def test_eig_rotation():
    w, v = LA.eig(mx.array([[0.0, -1.0], [1.0, 0.0]]))
    assert sorted(np.array(w).tolist(), key=lambda z: z.imag) == [-1j, 1j]


# ---------------------------------------------------------------- det


@pytest.mark.parametrize("dt", REAL)
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 5, 5), (0, 0)])
def test_det_slogdet(dt, shape):
    a = np.random.default_rng(9).standard_normal(shape).astype(NPDT[dt])
    d = LA.det(arr(a))
    assert d.dtype == dt and d.shape == shape[:-2]
    close(d, np.linalg.det(a.astype(np.float64)), dt, shape[-1] or 1)
    s, l = LA.slogdet(arr(a))
    sn, ln = np.linalg.slogdet(a.astype(np.float64))
    np.testing.assert_array_equal(np.array(s), sn)
    close(l, ln, dt, shape[-1] or 1)


def test_det_singular_and_dtypes():
    assert LA.det(mx.array([[1.0, 2.0], [2.0, 4.0]])).item() == 0
    s, l = LA.slogdet(mx.array([[1.0, 2.0], [2.0, 4.0]]))
    assert s.item() == 0 and l.item() == -math.inf
    assert LA.det(mx.array([[1, 2], [3, 4]])).dtype == mx.float32
    assert LA.det(mx.array([[1, 2], [3, 4]], dtype=mx.float16)).dtype == mx.float16
    with pytest.raises(ValueError, match="Complex inputs are not supported"):
        LA.det(mx.ones((2, 2), dtype=mx.complex64))


# ---------------------------------------------------------------- norm

VEC_ORDS = [None, 0, 1, 2, -1, -2, 3, 0.5, math.inf, -math.inf]
MAT_ORDS = [None, 1, -1, 2, -2, math.inf, -math.inf, "fro", "nuc"]


@pytest.mark.parametrize("ord", VEC_ORDS)
@pytest.mark.parametrize("dt", [mx.float32, mx.float64])
def test_norm_vector(ord, dt):
    x = np.random.default_rng(10).standard_normal((3, 7)).astype(NPDT[dt])
    x[0, 2] = 0
    for axis in (0, 1, -1):
        for keepdims in (False, True):
            r = LA.norm(arr(x), ord=ord, axis=axis, keepdims=keepdims)
            want = np.linalg.norm(x.astype(np.float64), ord=ord, axis=axis, keepdims=keepdims)
            assert r.dtype == dt
            close(r, want, dt, 7)
    close(LA.norm(arr(x[1]), ord=ord), np.linalg.norm(x[1].astype(np.float64), ord=ord), dt, 7)


@pytest.mark.parametrize("ord", MAT_ORDS)
@pytest.mark.parametrize("dt", [mx.float32, mx.float64])
def test_norm_matrix(ord, dt):
    x = np.random.default_rng(11).standard_normal((2, 4, 5)).astype(NPDT[dt])
    for axis in ((1, 2), (2, 1), (0, 2), (-1, -3)):
        for keepdims in (False, True):
            r = LA.norm(arr(x), ord=ord, axis=axis, keepdims=keepdims)
            want = np.linalg.norm(x.astype(np.float64), ord=ord, axis=axis, keepdims=keepdims)
            close(r, want, dt, 5)
    close(LA.norm(arr(x[0]), ord=ord), np.linalg.norm(x[0].astype(np.float64), ord=ord), dt, 5)


def test_norm_defaults_and_dtypes():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    close(LA.norm(arr(x)), np.linalg.norm(x.ravel()), mx.float32, 24)
    r = LA.norm(arr(x), keepdims=True)
    assert r.shape == (1, 1, 1)
    assert LA.norm(mx.array([3, 4])).dtype == mx.float32
    assert LA.norm(mx.array([3, 4])).item() == 5
    assert LA.norm(mx.array([3, 4], dtype=mx.float16)).dtype == mx.float16
    assert LA.norm(mx.array([True, False])).item() == 1
    c = mx.array([3 + 4j, 4 + 0j])
    for o in (None, 1, 3, math.inf):
        r = LA.norm(c, ord=o)
        assert r.dtype == mx.float32
        close(r, np.linalg.norm(np.array([3 + 4j, 4]), ord=o), mx.float32, 2)
    close(LA.norm(mx.array([[1, 2], [3, 4]]), ord=2), np.linalg.norm([[1, 2], [3, 4]], 2), mx.float32, 2)
    assert LA.norm(mx.zeros((0,))).item() == 0


def test_norm_errors():
    v = mx.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Norm 'fro' only supported for matrices, but received 1 axis/axes"):
        LA.norm(v, ord="fro")
    with pytest.raises(ValueError, match="Received too many axes for norm"):
        LA.norm(mx.ones((2, 3, 4)), ord=2)
    with pytest.raises(ValueError, match="Invalid ord 3 for matrix norm"):
        LA.norm(mx.ones((2, 3)), ord=3)
    with pytest.raises(ValueError, match="Invalid ord 'foo' for matrix norm"):
        LA.norm(mx.ones((2, 3)), ord="foo")
    with pytest.raises(IndexError, match="Invalid axis 5 for array with 3 dimensions"):
        LA.norm(mx.ones((2, 3, 4)), axis=5)
    with pytest.raises(ValueError, match="Duplicate axes"):
        LA.norm(mx.ones((2, 3, 4)), ord=2, axis=(1, 1))


# ---------------------------------------------------------------- cross


def test_cross():
    rng = np.random.default_rng(12)
    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    close(LA.cross(arr(a), arr(b)), np.cross(a, b), mx.float32, 3)
    close(LA.cross(arr(a), arr(b[0])), np.cross(a, b[0]), mx.float32, 3)
    close(LA.cross(arr(a.T), arr(b.T), axis=0), np.cross(a, b).T, mx.float32, 3)
    # 2-vectors get a zero third component, as MLX
    r = LA.cross(mx.array([1.0, 2.0]), mx.array([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(np.array(r), np.cross([1.0, 2.0, 0.0], [4.0, 5.0, 6.0]))
    np.testing.assert_allclose(np.array(LA.cross(mx.array([1.0, 2.0]), mx.array([4.0, 5.0]))), [0, 0, -3])
    assert LA.cross(mx.array([1, 2, 3]), mx.array([4, 5, 6])).tolist() == [-3, 6, -3]
    with pytest.raises(ValueError, match="The specified axis must have size 2 or 3"):
        LA.cross(mx.ones((3, 4)), mx.ones((3, 4)), axis=1)
    with pytest.raises(IndexError, match="Axis 5 is out of bounds for array with 2 dimensions"):
        LA.cross(mx.ones((3, 4)), mx.ones((3, 4)), axis=5)


# ---------------------------------------------------------------- edges


def test_empty_and_nonfinite():
    assert LA.inv(mx.zeros((0, 0))).shape == (0, 0)
    assert LA.inv(mx.zeros((0, 2, 2))).shape == (0, 2, 2)
    assert LA.cholesky(mx.zeros((3, 0, 0))).shape == (3, 0, 0)
    w, v = LA.eigh(mx.zeros((0, 0)))
    assert w.shape == (0,) and v.shape == (0, 0)
    u, s, vt = LA.svd(mx.zeros((0, 3)))
    assert u.shape == (0, 0) and s.shape == (0,) and np.array_equal(np.array(vt), np.eye(3))
    r = np.array(LA.inv(mx.array([[math.nan, 0.0], [1.0, 1.0]])))
    assert np.isnan(r).any()  # NaN in, NaN out: never a crash


def test_mlx_dtype_table():
    a = arr(well_conditioned((3, 3), mx.float64))
    assert [x.dtype for x in LA.eig(a)] == [mx.complex64, mx.complex64]
    assert LA.eigvals(a).dtype == mx.complex64
    assert [x.dtype for x in LA.lu(a)] == [mx.uint32, mx.float64, mx.float64]
    assert [x.dtype for x in LA.lu_factor(a)] == [mx.float64, mx.uint32]
    c = a.astype(mx.complex64)
    assert [x.dtype for x in LA.eigh(c)] == [mx.float32, mx.complex64]
    assert LA.eigvalsh(c).dtype == mx.float32
