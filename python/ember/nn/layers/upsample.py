"""Upsample: nearest, (bi/tri)linear and (bi/tri)cubic resampling of the
spatial axes of channels-last inputs, one axis at a time.

Each axis is resampled as a weighted sum of gathered input rows,
``sum_k w_k * take(x, idx_k, axis)``, with indices and weights computed by
ordinary ops from the output positions, so gradients flow to ``x``. The
output has ``int(scale * N)`` samples along an axis; their source positions
are spread evenly and centred on the input (the half-pixel convention when
``scale * N`` is whole) or, with ``align_corners``, put the first and last
samples onto each other. Out-of-range taps are clamped to the border, except
with ``antialias``, where they are dropped and the rest renormalised. These
are mlx.nn's conventions.
"""
import math
from typing import Literal, Tuple, Union

import ember.core as mx

from .base import Module

def _cubic_weight(d, a):
    """Keys' cubic convolution kernel at distance |d| (support 2)."""
    d = mx.abs(d)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = (((d - 5) * d + 8) * d - 4) * a
    return mx.where(d <= 1, near, mx.where(d <= 2, far, 0))


def _triangle_weight(d):
    return mx.maximum(1 - mx.abs(d), 0)


def _positions(n_in, scale, align_corners):
    """Source coordinate of every output sample along one axis."""
    n_out = int(scale * n_in)
    i = mx.arange(n_out, dtype=mx.float32)
    if align_corners:
        return i * ((n_in - 1) / max(n_out - 1, 1))
    step = 1 / scale
    return i * step - ((n_out - 1) * step - n_in + 1) / 2


def _taps_linear(n_in, scale, align_corners):
    pos = mx.clip(_positions(n_in, scale, align_corners), 0, n_in - 1)
    left = mx.floor(pos)
    frac = pos - left
    return [(left, 1 - frac), (mx.ceil(pos), frac)]


def _taps_cubic(n_in, scale, align_corners):
    pos = _positions(n_in, scale, align_corners)
    base = mx.floor(pos)
    return [(base + k, _cubic_weight(pos - (base + k), -0.75)) for k in (0, 1, -1, 2)]


def _taps_antialias(n_in, scale, kernel, radius):
    """Taps of ``kernel`` stretched by 1/scale when downsampling; taps
    outside the input get no weight and the others are renormalised."""
    pos = _positions(n_in, scale, False)
    stretch = 1 / scale if scale < 1 else 1.0
    reach = math.ceil(radius * stretch) + 1
    base = mx.floor(pos)
    taps = []
    for k in range(-reach + 1, reach):
        idx = base + k
        w = kernel(mx.abs(pos - idx) / stretch)
        taps.append((idx, mx.where((idx >= 0) & (idx < n_in), w, 0.0)))
    total = sum(w for _, w in taps)
    total = mx.where(total > 0, total, 1.0)
    return [(idx, w / total) for idx, w in taps]


def _resample(x, scale_factor, taps_fn):
    """Resample the spatial axes of x one after the other: each output row is
    sum_k w_k * x[idx_k] along the axis, indices clamped to the border."""
    dims = x.ndim - 2
    if dims != len(scale_factor):
        raise ValueError("A scale needs to be provided for each spatial dimension")
    for axis, s in enumerate(scale_factor, start=1):
        n_in = x.shape[axis]
        shape = [1] * x.ndim
        shape[axis] = -1
        out = None
        for idx, w in taps_fn(n_in, s):
            idx = mx.clip(idx, 0, n_in - 1).astype(mx.int32)
            term = mx.take(x, idx, axis=axis) * w.reshape(shape)
            out = term if out is None else out + term
        x = out
    return x


def _check_antialias(align_corners, antialias):
    if antialias and align_corners:
        raise ValueError("[Upsample] antialias=True with align_corners=True is not supported. "
                         "Use align_corners=False for antialiased interpolation.")


def upsample_nearest(x: mx.array, scale_factor: Tuple):
    """Nearest-neighbour upsampling of the spatial axes of ``x`` (``N,
    *spatial, C``) by ``scale_factor`` (one factor per spatial axis). Integer
    factors repeat samples; other factors pick, for upsampling, the sample
    nearest to each output's centre and, for downsampling, every
    ``N/M``-th sample."""
    dims = x.ndim - 2
    if dims != len(scale_factor):
        raise ValueError("A scale needs to be provided for each spatial dimension")
    for axis, s in enumerate(scale_factor, start=1):
        n_in = x.shape[axis]
        if float(s) == int(s):
            x = mx.repeat(x, int(s), axis=axis)
            continue
        n_out = int(s * n_in)
        i = mx.arange(n_out, dtype=mx.float32)
        if n_out > n_in:
            idx = mx.round((i + 0.5) * (n_in / n_out) - 0.5)
        else:
            idx = mx.floor(i * (n_in / n_out))
        x = mx.take(x, idx.astype(mx.int32), axis=axis)
    return x


def upsample_linear(x: mx.array, scale_factor: Tuple, align_corners: bool = False,
                    antialias: bool = False):
    """(Bi/tri)linear resampling of the spatial axes of ``x``; with
    ``antialias`` a downsampled axis uses a triangle filter widened by
    ``1/scale``."""
    _check_antialias(align_corners, antialias)
    if antialias:
        return _resample(x, scale_factor,
                         lambda n, s: _taps_antialias(n, s, _triangle_weight, 1.0))
    return _resample(x, scale_factor, lambda n, s: _taps_linear(n, s, align_corners))


def upsample_cubic(x: mx.array, scale_factor: Tuple, align_corners: bool = False,
                   antialias: bool = False):
    """(Bi/tri)cubic resampling of the spatial axes of ``x`` (Keys' kernel
    with a = -0.75; with ``antialias``, a = -0.5 widened by ``1/scale`` when
    downsampling, as PyTorch)."""
    _check_antialias(align_corners, antialias)
    if antialias:
        return _resample(x, scale_factor,
                         lambda n, s: _taps_antialias(n, s, lambda d: _cubic_weight(d, -0.5), 2.0))
    return _resample(x, scale_factor, lambda n, s: _taps_cubic(n, s, align_corners))


class Upsample(Module):
    """Upsample the spatial axes of channels-last inputs by ``scale_factor``
    (a number for all spatial axes, or one per axis) with ``mode`` 'nearest',
    'linear' or 'cubic'."""

    def __init__(self, scale_factor: Union[float, Tuple],
                 mode: Literal["nearest", "linear", "cubic"] = "nearest",
                 align_corners: bool = False, antialias: bool = False):
        super().__init__()
        if mode not in ("nearest", "linear", "cubic"):
            raise ValueError(f"[Upsample] Got unsupported upsampling algorithm: {mode}")
        if isinstance(scale_factor, (list, tuple)):
            self.scale_factor = tuple(map(float, scale_factor))
        else:
            self.scale_factor = float(scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.antialias = antialias

    def _extra_repr(self) -> str:
        return (f"scale_factor={self.scale_factor}, mode={self.mode!r}, "
                f"align_corners={self.align_corners}")

    def __call__(self, x: mx.array) -> mx.array:
        dims = x.ndim - 2
        if dims <= 0:
            raise ValueError(
                "[Upsample] The input should have at least 1 spatial dimension which "
                f"means it should be at least 3D but {x.ndim}D was provided")
        scale = self.scale_factor
        if isinstance(scale, tuple):
            if len(scale) != dims:
                raise ValueError(
                    "[Upsample] One scale per spatial dimension is required but "
                    f"scale_factor={scale} and the number of spatial dimensions were {dims}")
        else:
            scale = (scale,) * dims
        if self.mode == "nearest":
            return upsample_nearest(x, scale)
        if self.mode == "linear":
            return upsample_linear(x, scale, self.align_corners, self.antialias)
        return upsample_cubic(x, scale, self.align_corners, self.antialias)
