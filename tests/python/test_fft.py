"""ember.core.fft against numpy.fft (computed in float64): every transform
over lengths 1 to 4099 (powers of two, smooth sizes, primes that take
Bluestein's path), n/s, axis/axes, norms, batches, strided inputs and
dtypes, with tolerances from float32's epsilon and the length; MLX's
dtypes, signatures and messages."""
import inspect
import math

import numpy as np
import pytest

import ember.core as mx

F = mx.fft
EPS32 = float(np.finfo(np.float32).eps)
LENGTHS = [1, 2, 3, 4, 5, 6, 7, 8, 12, 15, 16, 30, 97, 100, 1000, 1024, 4099]


def arr(x):
    x = np.asarray(x)
    dt = {np.float32: mx.float32, np.float64: mx.float64, np.complex64: mx.complex64}.get(x.dtype.type)
    return mx.array(x, dtype=dt) if dt is not None else mx.array(x)


def check(got, want, n):
    """got (ember) matches want (NumPy, float64) within a float32 FFT's error:
    an RMS error below 8 eps log2(n) of the reference's RMS, and no element
    off by more than 8 times that (lengths with a prime factor over 31 go
    through three transforms of about 2n: the bound allows for it)."""
    g = np.asarray(got).astype(np.complex128)
    w = np.asarray(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    if w.size == 0:
        return
    scale = math.sqrt(float(np.mean(np.abs(w) ** 2))) or 1.0
    bound = 8 * EPS32 * (1 + math.log2(max(n, 2))) * scale
    err = np.abs(g - w)
    assert math.sqrt(float(np.mean(err ** 2))) <= bound, (float(np.sqrt(np.mean(err ** 2))), bound)
    assert float(err.max()) <= 8 * bound, (float(err.max()), 8 * bound)


def cdata(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def rdata(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- API


def test_submodule_and_signatures():
    import sys
    assert sys.modules["ember.core.fft"] is mx.fft
    for name in ("fft", "ifft", "rfft", "irfft"):
        assert list(inspect.signature(getattr(F, name)).parameters) == ["a", "n", "axis", "norm", "stream"]
    for name in ("fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"):
        sig = inspect.signature(getattr(F, name))
        assert list(sig.parameters) == ["a", "s", "axes", "norm", "stream"]
        assert sig.parameters["axes"].default == ([-2, -1] if name.endswith("2") else None)
    assert list(inspect.signature(F.fftshift).parameters) == ["a", "axes", "stream"]
    assert list(inspect.signature(F.fftfreq).parameters) == ["n", "d", "stream"]
    assert inspect.signature(F.fft).parameters["norm"].default == "backward"


# ---------------------------------------------------------------- 1-d


@pytest.mark.parametrize("n", LENGTHS)
def test_fft_ifft(n):
    x = cdata((n,), n)
    r = F.fft(arr(x))
    assert r.dtype == mx.complex64 and r.shape == (n,)
    check(r, np.fft.fft(x.astype(np.complex128)), n)
    check(F.ifft(arr(x)), np.fft.ifft(x.astype(np.complex128)), n)


@pytest.mark.parametrize("n", LENGTHS)
def test_rfft_irfft(n):
    x = rdata((n,), n)
    r = F.rfft(arr(x))
    assert r.dtype == mx.complex64 and r.shape == (n // 2 + 1,)
    check(r, np.fft.rfft(x.astype(np.float64)), n)
    spec = np.fft.rfft(x.astype(np.float64))
    y = F.irfft(arr(spec.astype(np.complex64)), n=n)
    assert y.dtype == mx.float32 and y.shape == (n,)
    check(y, np.fft.irfft(spec, n=n), n)


@pytest.mark.parametrize("n", [16384, 65536, 1 << 20, 10**6, 100003])
def test_long_lines(n):
    """Four-step lengths, and a large prime (Bluestein over a four-step length)."""
    x = cdata((n,), 1)
    check(F.fft(arr(x)), np.fft.fft(x.astype(np.complex128)), n)
    check(F.ifft(arr(x), norm="ortho"), np.fft.ifft(x.astype(np.complex128), norm="ortho"), n)
    xr = rdata((n,), 2)
    check(F.rfft(arr(xr)), np.fft.rfft(xr.astype(np.float64)), n)


@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
@pytest.mark.parametrize("fn", ["fft", "ifft", "rfft", "irfft"])
def test_norms(norm, fn):
    n = 12
    x = cdata((3, n)) if fn != "rfft" else rdata((3, n))
    ref = getattr(np.fft, fn)(x.astype(np.complex128 if fn != "rfft" else np.float64), norm=norm)
    check(getattr(F, fn)(arr(x), norm=norm), ref, n)


@pytest.mark.parametrize("n_arg", [1, 5, 8, 20])
def test_n_cuts_and_pads(n_arg):
    x = cdata((2, 8))
    check(F.fft(arr(x), n=n_arg), np.fft.fft(x.astype(np.complex128), n=n_arg), n_arg)
    check(F.ifft(arr(x), n=n_arg), np.fft.ifft(x.astype(np.complex128), n=n_arg), n_arg)
    xr = rdata((2, 8))
    check(F.rfft(arr(xr), n=n_arg), np.fft.rfft(xr.astype(np.float64), n=n_arg), n_arg)
    check(F.irfft(arr(x), n=n_arg), np.fft.irfft(x.astype(np.complex128), n=n_arg), n_arg)


def test_irfft_default_length():
    x = cdata((4, 7))
    y = F.irfft(arr(x))
    assert y.shape == (4, 12)
    check(y, np.fft.irfft(x.astype(np.complex128)), 12)


@pytest.mark.parametrize("axis", [0, 1, -1, -2, 2])
@pytest.mark.parametrize("shape", [(5, 6, 7), (9, 1, 16), (3, 17, 8)])
def test_axes_and_batches(axis, shape):
    x = cdata(shape)
    n = shape[axis]
    check(F.fft(arr(x), axis=axis), np.fft.fft(x.astype(np.complex128), axis=axis), n)
    xr = rdata(shape)
    check(F.rfft(arr(xr), axis=axis), np.fft.rfft(xr.astype(np.float64), axis=axis), n)
    spec = np.fft.rfft(xr.astype(np.float64), axis=axis)
    check(F.irfft(arr(spec.astype(np.complex64)), n=n, axis=axis), np.fft.irfft(spec, n=n, axis=axis), n)


@pytest.mark.parametrize("batch", [1, 2, 7, 8, 9, 17, 33])
@pytest.mark.parametrize("n", [6, 64, 97, 1000])
def test_lane_groups(batch, n):
    """Batches that fill lane groups of 8 exactly, partly, and not at all."""
    x = cdata((batch, n), batch + n)
    check(F.fft(arr(x)), np.fft.fft(x.astype(np.complex128)), n)
    xr = rdata((batch, n), batch)
    check(F.rfft(arr(xr)), np.fft.rfft(xr.astype(np.float64)), n)
    spec = np.fft.rfft(xr.astype(np.float64))
    check(F.irfft(arr(spec.astype(np.complex64)), n=n), np.fft.irfft(spec, n=n), n)


def test_strided_inputs():
    base = cdata((12, 20))
    views = [(base[::2, ::3], arr(base)[::2, ::3]), (base.T, arr(base).T), (base[:, ::-1], arr(base)[:, ::-1])]
    for npv, emv in views:
        for axis in (0, 1):
            check(F.fft(emv, axis=axis), np.fft.fft(npv.astype(np.complex128), axis=axis), npv.shape[axis])
    xr = rdata((10, 16))
    check(F.rfft(arr(xr).T, axis=0), np.fft.rfft(xr.T.astype(np.float64), axis=0), 10)


@pytest.mark.parametrize("dt", [mx.float32, mx.float64, mx.float16, mx.bfloat16, mx.int32, mx.uint8, mx.bool_])
def test_input_dtypes(dt):
    x = np.arange(8) % 3
    a = mx.array(x, dtype=dt)
    r = F.fft(a)
    assert r.dtype == mx.complex64
    check(r, np.fft.fft(np.array(a.astype(mx.float32)).astype(np.float64)), 8)
    assert F.rfft(a).dtype == mx.complex64
    assert F.irfft(a).dtype == mx.float32
    assert F.fftn(mx.reshape(a, (2, 4))).dtype == mx.complex64


def test_rfft_of_complex_takes_the_real_part():
    x = cdata((8,))
    check(F.rfft(arr(x)), np.fft.rfft(x.real.astype(np.float64)), 8)


# ---------------------------------------------------------------- n-d


@pytest.mark.parametrize("fn", ["fft2", "ifft2", "fftn", "ifftn"])
def test_complex_nd(fn):
    x = cdata((3, 6, 5))
    ref = getattr(np.fft, fn)
    f = getattr(F, fn)
    check(f(arr(x)), ref(x.astype(np.complex128)), 90)
    check(f(arr(x), s=(4, 7), axes=(0, 2)), ref(x.astype(np.complex128), s=(4, 7), axes=(0, 2)), 28)
    check(f(arr(x), axes=[2, 0], norm="ortho"), ref(x.astype(np.complex128), axes=[2, 0], norm="ortho"), 15)


def test_fft2_default_axes_with_s():
    x = cdata((3, 4))
    check(F.fft2(arr(x), s=(2, 6)), np.fft.fft2(x.astype(np.complex128), s=(2, 6)), 12)


@pytest.mark.parametrize("fn", ["rfft2", "rfftn"])
def test_real_nd(fn):
    x = rdata((4, 6, 10))
    ref = getattr(np.fft, fn)
    f = getattr(F, fn)
    r = f(arr(x))
    assert r.dtype == mx.complex64
    check(r, ref(x.astype(np.float64)), 240)
    check(f(arr(x), s=(5, 8), axes=(0, 1)), ref(x.astype(np.float64), s=(5, 8), axes=(0, 1)), 40)


@pytest.mark.parametrize("fn", ["irfft2", "irfftn"])
def test_inverse_real_nd(fn):
    x = cdata((4, 6, 6))
    ref = getattr(np.fft, fn)
    f = getattr(F, fn)
    r = f(arr(x))
    assert r.dtype == mx.float32
    check(r, ref(x.astype(np.complex128)), 240)
    check(f(arr(x), s=(3, 9), axes=(1, 2)), ref(x.astype(np.complex128), s=(3, 9), axes=(1, 2)), 27)
    check(f(arr(x), s=(4, 5), axes=(0, 2), norm="forward"),
          ref(x.astype(np.complex128), s=(4, 5), axes=(0, 2), norm="forward"), 20)


def test_round_trips():
    x = rdata((6, 10))
    y = F.irfftn(F.rfftn(arr(x)), s=x.shape, axes=[0, 1])
    check(y, x.astype(np.float64), 60)
    z = cdata((5, 7))
    check(F.ifft2(F.fft2(arr(z))), z.astype(np.complex128), 35)


# ---------------------------------------------------------------- shifts, freqs


@pytest.mark.parametrize("shape", [(1,), (5,), (6,), (3, 4), (2, 5, 3)])
def test_shifts(shape):
    x = np.arange(math.prod(shape)).reshape(shape)
    assert np.array_equal(np.array(F.fftshift(mx.array(x))), np.fft.fftshift(x))
    assert np.array_equal(np.array(F.ifftshift(mx.array(x))), np.fft.ifftshift(x))
    assert np.array_equal(np.array(F.fftshift(mx.array(x), axes=0)), np.fft.fftshift(x, axes=0))
    assert np.array_equal(np.array(F.ifftshift(mx.array(x), axes=[-1])), np.fft.ifftshift(x, axes=[-1]))
    assert F.fftshift(mx.array(x)).dtype == mx.array(x).dtype


def test_freqs():
    for n in (1, 4, 5, 8):
        for d in (1.0, 0.25):
            np.testing.assert_allclose(np.array(F.fftfreq(n, d)), np.fft.fftfreq(n, d), rtol=1e-6)
            np.testing.assert_allclose(np.array(F.rfftfreq(n, d=d)), np.fft.rfftfreq(n, d), rtol=1e-6)
    assert F.fftfreq(4).dtype == mx.float32
    with pytest.raises(ValueError, match=r"\[fftfreq\] `n` must be greater than 0"):
        F.fftfreq(0)


# ---------------------------------------------------------------- errors


def test_errors():
    x = mx.ones((4,), dtype=mx.complex64)
    with pytest.raises(ValueError, match=r"\[fft\] Invalid FFT output size requested \(0\)"):
        F.fft(x, n=0)
    with pytest.raises(ValueError, match=r"Invalid FFT output size requested \(-1\)"):
        F.fft(x, n=-1)
    with pytest.raises(ValueError, match=r"Invalid FFT output size requested \(0\)"):
        F.fft(mx.zeros((0,)))
    with pytest.raises(ValueError, match=r"Invalid FFT output size requested \(0\)"):
        F.irfft(mx.ones((1,)))
    with pytest.raises(IndexError, match=r"\[fft\] Invalid axis 1 for array with 1 dimensions"):
        F.fft(x, axis=1)
    with pytest.raises(IndexError):
        F.fft(mx.array(1.0))
    with pytest.raises(ValueError, match=r"Invalid norm. Expected one of \{'backward', 'ortho', 'forward'\}"):
        F.fft(x, norm="bad")
    with pytest.raises(TypeError):
        F.fft(x, norm=1)
    y = mx.ones((3, 4, 5))
    with pytest.raises(ValueError, match="`axes` should not be `None` if `s` is not `None`"):
        F.fftn(y, s=(2, 6))
    with pytest.raises(ValueError, match="Shape and axes have different sizes"):
        F.fftn(y, s=(2,), axes=(0, 1))
    with pytest.raises(ValueError, match="Shape and axes have different sizes"):
        F.fft2(y, s=(2, 6, 3))
    with pytest.raises(ValueError, match="Duplicated axis"):
        F.fftn(y, axes=(1, 1))
    with pytest.raises(IndexError):
        F.fftn(y, axes=(1, 5))
    with pytest.raises(ValueError, match=r"Invalid FFT output size requested \(0\)"):
        F.fftn(y, s=(0, 2), axes=(0, 1))
    with pytest.raises(IndexError, match=r"\[fftshift\] Invalid axis 3 for array with 1 dimensions"):
        F.fftshift(mx.arange(5), axes=3)


def test_empty_batches():
    r = F.fft(mx.zeros((0, 4), dtype=mx.complex64))
    assert r.shape == (0, 4) and r.dtype == mx.complex64
    assert F.rfft(mx.zeros((3, 0, 8))).shape == (3, 0, 5)
    assert F.fftn(mx.ones((2, 3)), axes=[]).dtype == mx.complex64
