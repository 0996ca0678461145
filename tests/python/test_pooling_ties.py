"""Max pooling as one reduction per window: values and gradients against a
NumPy reference, with tied maxima sharing the gradient equally (as MLX)."""
import itertools

import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn


def np_max_pool(x, kernel, stride, padding):
    """(values, gradient of their sum) of max pooling of channels-last x."""
    n = len(kernel)
    widths = [(0, 0)] + [(p, p) for p in padding] + [(0, 0)]
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = np.pad(x, widths, constant_values=fill)
    outs = [max((xp.shape[1 + i] - k) // s + 1, 0) for i, (k, s) in enumerate(zip(kernel, stride))]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]), x.dtype)
    g = np.zeros(xp.shape, np.float64)
    for b, c in itertools.product(range(x.shape[0]), range(x.shape[-1])):
        for o in itertools.product(*(range(v) for v in outs)):
            win = tuple(slice(o[i] * stride[i], o[i] * stride[i] + kernel[i]) for i in range(n))
            w = xp[(b,) + win + (c,)]
            y[(b,) + o + (c,)] = w.max()
            hit = (w == w.max())
            g[(b,) + win + (c,)] += hit / hit.sum()
    inner = tuple(slice(p, p + x.shape[1 + i]) for i, p in enumerate(padding))
    return y, g[(slice(None),) + inner + (slice(None),)]


CASES = [  # layer, kernel, stride, padding, spatial shape
    (nn.MaxPool2d, (2, 2), (2, 2), (0, 0), (4, 6)),   # tiling windows
    (nn.MaxPool2d, (2, 2), (2, 2), (0, 0), (5, 7)),   # tiling, with a remainder cropped
    (nn.MaxPool2d, (2, 2), (1, 1), (0, 0), (4, 4)),   # overlapping
    (nn.MaxPool2d, (3, 2), (2, 1), (1, 0), (5, 4)),   # overlapping, padded
    (nn.MaxPool2d, (3, 3), (2, 2), (0, 0), (2, 2)),   # window larger than the input: empty
    (nn.MaxPool1d, (2,), (2,), (0,), (6,)),
    (nn.MaxPool1d, (3,), (1,), (1,), (5,)),
    (nn.MaxPool3d, (2, 2, 2), (2, 2, 2), (0, 0, 0), (2, 4, 2)),
]


@pytest.mark.parametrize("layer,kernel,stride,padding,spatial", CASES)
def test_values_and_tied_gradients(layer, kernel, stride, padding, spatial):
    # Small integers: many ties inside windows.
    x = np.random.default_rng(0).integers(0, 3, (2, *spatial, 3)).astype(np.float32)
    pool = layer(kernel, stride, padding)
    want_y, want_g = np_max_pool(x, kernel, stride, padding)
    got_y = pool(mx.array(x))
    assert got_y.dtype == mx.float32 and got_y.shape == want_y.shape
    np.testing.assert_array_equal(np.array(got_y), want_y)
    got_g = mx.grad(lambda a: mx.sum(pool(a)))(mx.array(x))
    np.testing.assert_allclose(np.array(got_g), want_g, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["int32", "uint8", "float32"])
@pytest.mark.parametrize("stride", [2, 1])
def test_dtypes(dtype, stride):
    x = np.random.default_rng(1).integers(0, 200, (2, 5, 6, 2)).astype(dtype)
    got = nn.MaxPool2d(2, stride, padding=1)(mx.array(x))
    want, _ = np_max_pool(x, (2, 2), (stride, stride), (1, 1))
    assert got.dtype == getattr(mx, dtype)
    np.testing.assert_array_equal(np.array(got), want)


def test_matches_the_2x2_example_of_mlx():
    # Gradient of MLX 0.32's MaxPool2d(2) on this input (ties share equally).
    x = mx.array([[1., 1., 2., 0.], [1., 1., 2., 2.], [0, 3, 5, 5], [3, 0, 5, 5]]).reshape(1, 4, 4, 1)
    g = mx.grad(lambda a: mx.sum(nn.MaxPool2d(2)(a)))(x).reshape(4, 4)
    third = 1 / 3
    want = [[.25, .25, third, 0], [.25, .25, third, third], [0, .5, .25, .25], [.5, 0, .25, .25]]
    np.testing.assert_allclose(np.array(g), want, rtol=1e-6)
