"""Elementwise ops and copies whose operands are read across their rows
(transposed views), which the CPU walks in tiles with a gathered scratch
block (src/backend/cpu/tiled.c): values against NumPy for every element
size, N-d and batched transposes, odd sizes around the tile edges, negative
and stepped strides, a transposed operand beside a contiguous one, and
outputs of every layout the walk accepts."""
import numpy as np
import pytest

import ember.core as mx

SIZES = [(32, 128), (33, 129), (47, 200), (64, 64 * 3 + 1), (300, 257), (1024, 130)]


def mk(rng, shape, d):
    if d == "bool":
        return rng.integers(0, 2, shape) > 0
    if d == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(d)
    if d.startswith("float"):
        return rng.standard_normal(shape).astype(d)
    return rng.integers(-100, 100, shape).astype(d)


def ember_dtype(d):
    return getattr(mx, "bool_" if d == "bool" else d)


@pytest.mark.parametrize("d", ["bool", "int8", "float16", "int16", "float32", "int32",
                               "float64", "int64", "complex64"])
@pytest.mark.parametrize("shape", SIZES)
def test_transposed_copy_and_binary(d, shape):
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    x = mk(rng, shape, d)
    y = mk(rng, shape[::-1], d)
    dt = ember_dtype(d)
    a, b = mx.array(x, dtype=dt), mx.array(y, dtype=dt)
    # a copy of a transposed view
    got = np.asarray(mx.contiguous(a.T)) if hasattr(mx, "contiguous") else np.asarray(a.T.reshape(-1))
    want = x.T if hasattr(mx, "contiguous") else x.T.reshape(-1)
    assert got.tobytes() == np.ascontiguousarray(want).tobytes()
    # transposed beside contiguous
    if d != "bool":
        np.testing.assert_array_equal(np.asarray(a.T + b), x.T + y)
        np.testing.assert_array_equal(np.asarray(b - a.T), y - x.T)
    else:
        np.testing.assert_array_equal(np.asarray(mx.logical_and(a.T, b)), np.logical_and(x.T, y))


@pytest.mark.parametrize("shape", SIZES)
def test_unary_select_and_cast_transposed(shape):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(np.float32)
    a = mx.array(x)
    np.testing.assert_allclose(np.asarray(mx.exp(a.T)), np.exp(x.T), rtol=2e-7)
    np.testing.assert_array_equal(np.asarray(a.T.astype(mx.float16)), x.T.astype(np.float16))
    np.testing.assert_array_equal(np.asarray(a.T.astype(mx.int32)), x.T.astype(np.int32))
    c = x.T > 0
    np.testing.assert_array_equal(np.asarray(mx.where(a.T > 0, a.T, -a.T)), np.where(c, x.T, -x.T))
    np.testing.assert_array_equal(np.asarray(mx.where(mx.array(c), a.T, 0.0)), np.where(c, x.T, 0))


def test_batched_and_nd_transposes():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 70, 150)).astype(np.float32)
    a = mx.array(x)
    for axes in [(0, 1, 3, 2), (1, 0, 3, 2), (3, 2, 1, 0), (2, 3, 0, 1), (0, 3, 1, 2)]:
        np.testing.assert_array_equal(np.asarray(a.transpose(axes) * 2), x.transpose(axes) * 2)
        np.testing.assert_array_equal(np.asarray(a.transpose(axes).reshape(-1)),
                                      x.transpose(axes).reshape(-1))


def test_negative_and_stepped_strides():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((260, 390)).astype(np.float32)
    a = mx.array(x)
    for v, w in [(a.T[::-1], x.T[::-1]), (a.T[:, ::-1], x.T[:, ::-1]), (a[::2].T, x[::2].T),
                 (a[::-3, 1::2].T, x[::-3, 1::2].T), (a.T[5:300:3, 7:250], x.T[5:300:3, 7:250])]:
        np.testing.assert_array_equal(np.asarray(v + 1), w + 1)
        np.testing.assert_array_equal(np.asarray(v.reshape(-1)), w.reshape(-1))


def test_broadcast_beside_transposed():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 300)).astype(np.float32)
    row = rng.standard_normal(200).astype(np.float32)
    col = rng.standard_normal((300, 1)).astype(np.float32)
    a = mx.array(x)
    np.testing.assert_array_equal(np.asarray(a.T + mx.array(row)), x.T + row)
    np.testing.assert_array_equal(np.asarray(a.T * mx.array(col)), x.T * col)
    np.testing.assert_array_equal(np.asarray(mx.array(row) - a.T), row - x.T)


def test_threads_agree():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1024, 1024)).astype(np.float32)
    a = mx.array(x)
    want = x.T * 3 + 1
    for s in (mx.cpu,):
        np.testing.assert_array_equal(np.asarray(mx.add(mx.multiply(a.T, 3, stream=s), 1, stream=s)), want)
