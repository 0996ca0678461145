"""sort of 32-bit dtypes (float32, int32, uint32), which takes the AVX-512
quicksort on CPUs that have it: bit for bit against NumPy's stable sort
(NaN payloads and the order of -0.0 / +0.0 kept) over sizes around the
network and partition thresholds (1..300, 1000, 4099, 65537, 2^20), many
distributions, strided and transposed inputs and other axes."""
import numpy as np
import pytest

import ember.core as mx

DTYPES = {"float32": mx.float32, "int32": mx.int32, "uint32": mx.uint32}
DISTS = ["uniform", "few", "equal", "sorted", "reversed", "organ", "specials"]


def line(dtype, n, dist, seed=0):
    rng = np.random.default_rng(seed + n)
    np_dt = np.dtype(dtype)
    if dist == "uniform":
        if dtype == "float32":
            return rng.standard_normal(n).astype(np.float32) * 1e3
        info = np.iinfo(np_dt)
        return rng.integers(info.min, info.max, n, dtype=np_dt, endpoint=True)
    if dist == "few":
        return rng.integers(0, 3, n).astype(np_dt)
    if dist == "equal":
        return np.full(n, 7, np_dt)
    if dist == "sorted":
        return np.arange(n).astype(np_dt)
    if dist == "reversed":
        return np.arange(n)[::-1].astype(np_dt)
    if dist == "organ":
        i = np.arange(n)
        return np.minimum(i, n - i).astype(np_dt)
    # specials: for floats NaNs with payloads and signs, +-0, +-inf,
    # denormals among small values; for ints the extremes
    if dtype != "float32":
        info = np.iinfo(np_dt)
        return rng.choice(np.array([info.min, info.max, 0, 1], np_dt), n)
    bits = rng.standard_normal(n).astype(np.float32).view(np.uint32)
    pick = rng.integers(0, 12, n)
    specials = [0x7FC00000, 0xFFC00001, 0x00000000, 0x80000000, 0x7F800000, 0xFF800000,
                0x00000005, 0x80000007, 0x007FFFFF]
    for k, v in enumerate(specials):
        bits[pick == k] = v
    bits[pick == 0] += (np.arange(n)[pick == 0] % 4).astype(np.uint32)  # NaN payloads
    return bits.view(np.float32)


def check(a_np, axis=-1):
    got = np.array(mx.sort(mx.array(a_np), axis=axis))
    want = np.sort(a_np, axis=axis, kind="stable")
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_sizes_up_to_300(dtype, dist):
    for n in range(0, 301):
        check(line(dtype, n, dist))


@pytest.mark.parametrize("n", [1000, 4099, 65537])
@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_long_lines(dtype, dist, n):
    check(line(dtype, n, dist))


@pytest.mark.parametrize("dist", ["uniform", "few", "specials", "organ"])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_mebi_lines(dtype, dist):
    check(line(dtype, 1 << 20, dist))


@pytest.mark.parametrize("n", [17, 300, 4099])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_views_and_axes(dtype, n):
    m = np.stack([line(dtype, n, "specials", seed=s) for s in range(3)])  # 3 x n
    check(m)                     # rows, contiguous
    check(np.ascontiguousarray(m.T), axis=0)  # axis 0: strided output
    check(m[:, ::2])             # every other column
    check(m[:, ::-1])            # reversed
    got = np.array(mx.sort(mx.array(m).T, axis=0))  # a transposed view: strided lines
    assert np.array_equal(got.view(np.uint32), np.sort(m.T, axis=0, kind="stable").view(np.uint32))
    got = np.array(mx.sort(mx.array(m), axis=None))
    assert np.array_equal(got.view(np.uint32), np.sort(m, axis=None, kind="stable").view(np.uint32))


def test_nan_payloads_and_zero_signs_keep_input_order():
    bits = np.array([0x7FC00002, 0x80000000, 0x3F800000, 0x00000000, 0xFFC00001, 0x80000000,
                     0x7FC00001, 0x00000000] * 40, np.uint32)
    check(bits.view(np.float32))


# argsort (any dtype of <= 32 bits) sorts composite words (key << 32 | index)
# with the 64-bit twin of the quicksort: indices must be NumPy's stable ones.
def check_arg(a_np, axis=-1):
    got = np.array(mx.argsort(mx.array(a_np), axis=axis))
    want = np.argsort(a_np, axis=axis, kind="stable")
    assert got.dtype == np.uint32 and got.shape == want.shape
    assert np.array_equal(got, want)


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_argsort_sizes(dtype, dist):
    for n in list(range(0, 301, 3)) + [1000, 4099, 65537]:
        check_arg(line(dtype, n, dist))


@pytest.mark.parametrize("dtype", ["int8", "uint16", "float16", "bool"])
def test_argsort_and_sort_narrow_dtypes(dtype):
    rng = np.random.default_rng(5)
    for n in [1, 15, 130, 257, 1000, 70000]:
        x = rng.integers(-100, 100, n).astype(dtype)
        if dtype == "float16":
            x[rng.integers(0, n, n // 10 + 1)] = np.nan
            x[rng.integers(0, n, n // 10 + 1)] = -0.0
        check_arg(x)
        got = np.array(mx.sort(mx.array(x)))
        want = np.sort(x, kind="stable")
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_argsort_mebi_and_views(dtype):
    check_arg(line(dtype, 1 << 20, "specials"))
    m = np.stack([line(dtype, 4099, "few", seed=s) for s in range(3)])
    check_arg(m)
    check_arg(np.ascontiguousarray(m.T), axis=0)
    got = np.array(mx.argsort(mx.array(m).T, axis=0))
    assert np.array_equal(got, np.argsort(m.T, axis=0, kind="stable"))
