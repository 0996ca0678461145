"""Constant pad fills only the padding (src/backend/cpu/join.c): every
band, corner and edge must hold the value even in a reused buffer full of
old data. Against NumPy over ranks 1-4, asymmetric and zero widths, dtypes,
empty inputs and edge mode beside it."""
import itertools

import numpy as np
import pytest

import ember.core as mx


def dirty_cache():
    # leave buffers full of non-zero data in the cache for pad's output to reuse
    for n in (64, 1000, 4096, 20000, 100000):
        mx.eval(mx.full((n,), 7.5) * 3)


CASES = [
    ((5,), [(2, 3)]),
    ((5,), [(0, 0)]),
    ((4, 6), [(1, 2), (3, 0)]),
    ((4, 6), [(0, 0), (0, 5)]),
    ((3, 4, 5), [(1, 1), (0, 2), (2, 0)]),
    ((2, 3, 4, 5), [(1, 0), (0, 1), (2, 2), (1, 3)]),
    ((0, 3), [(1, 1), (2, 0)]),
    ((100, 130), [(3, 4), (5, 6)]),
]


@pytest.mark.parametrize("shape,widths", CASES)
@pytest.mark.parametrize("d", ["float32", "int32", "uint8", "float16", "float64", "bool"])
def test_constant(shape, widths, d):
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 10).astype(d) if d != "bool" else rng.integers(0, 2, shape) > 0
    dt = getattr(mx, "bool_" if d == "bool" else d)
    for value in (0, 1, 3):
        dirty_cache()
        got = mx.pad(mx.array(x, dtype=dt), widths, constant_values=value)
        want = np.pad(x, widths, constant_values=value)
        assert got.dtype == dt
        np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("shape,widths", [c for c in CASES if 0 not in c[0]])
def test_edge(shape, widths):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    dirty_cache()
    np.testing.assert_array_equal(np.asarray(mx.pad(mx.array(x), widths, mode="edge")),
                                  np.pad(x, widths, mode="edge"))


def test_every_width_combination_small():
    x = np.arange(6, dtype=np.int32).reshape(2, 3) + 1
    for lo0, hi0, lo1, hi1 in itertools.product(range(3), repeat=4):
        w = [(lo0, hi0), (lo1, hi1)]
        dirty_cache()
        np.testing.assert_array_equal(np.asarray(mx.pad(mx.array(x), w, constant_values=-1)),
                                      np.pad(x, w, constant_values=-1))
