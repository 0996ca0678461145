"""Positional encodings: rotary (RoPE), sinusoidal, and ALiBi biases."""
import math
from typing import Optional

import ember.core as mx

from .base import Module


class RoPE(Module):
    """Rotary positional encoding of the first ``dims`` features of inputs
    ``(..., L, D)``, positions on axis -2 (plus ``offset``), frequencies
    ``base^(-2i/dims)`` and positions scaled by ``scale``."""

    def __init__(self, dims: int, traditional: bool = False, base: float = 10000,
                 scale: float = 1.0):
        super().__init__()
        self.dims = dims
        self.traditional = traditional
        self.base = base
        self.scale = scale

    def _extra_repr(self):
        return f"{self.dims}, traditional={self.traditional}"

    def __call__(self, x, offset: int = 0):
        return mx.fast.rope(x, self.dims, traditional=self.traditional, base=self.base,
                            scale=self.scale, offset=offset)


class SinusoidalPositionalEncoding(Module):
    """Map positions ``x`` to ``[sin(x w); cos(x w)]`` (or cos first) with
    ``dims / 2`` frequencies ``w`` spaced geometrically from ``max_freq``
    down to ``min_freq`` (times 2 pi with ``full_turns``), scaled by
    ``scale`` (default ``sqrt(2 / dims)``)."""

    def __init__(self, dims: int, min_freq: float = 0.0001, max_freq: float = 1,
                 scale: Optional[float] = None, cos_first: bool = False,
                 full_turns: bool = False):
        super().__init__()
        if dims <= 0 or dims % 2 != 0:
            raise ValueError("[SinusoidalPositionalEncoding] dims must be positive and "
                             f"even but got {dims}.")
        n = dims // 2
        ramp = mx.array([1.0]) if n == 1 else 1 - mx.arange(0, n) / (n - 1)
        lo, hi = math.log(min_freq), math.log(max_freq)
        self._sigmas = mx.exp(ramp * (hi - lo) + lo)  # private: not a parameter
        if full_turns:
            self._sigmas = self._sigmas * (2 * math.pi)
        self.scale = scale if scale is not None else (2 / dims) ** 0.5
        self.cos_first = cos_first

    def __call__(self, x):
        y = x[..., None] * self._sigmas
        parts = [mx.cos(y), mx.sin(y)] if self.cos_first else [mx.sin(y), mx.cos(y)]
        y = mx.concatenate(parts, axis=-1)
        return y * self.scale if self.scale != 1 else y


def _alibi_slopes(n: int):
    """The geometric head slopes of the ALiBi paper: for n a power of two,
    2^(-8/n), 2^(-16/n), ...; otherwise those of the power of two below,
    then every other slope of the power of two above."""
    if math.log2(n).is_integer():
        first = 2.0 ** (-8.0 / n)
        return [first ** (i + 1) for i in range(n)]
    p = 2 ** math.floor(math.log2(n))
    return _alibi_slopes(p) + _alibi_slopes(2 * p)[0::2][: n - p]


class ALiBi(Module):
    """Attention with linear biases: add ``-slope_h * |i - j|`` to the
    attention scores ``(B, heads, L_q, L_k)``."""

    @staticmethod
    def create_alibi_matrix(q_sequence_length: int, k_sequence_length: int, num_heads: int,
                            offset: int = 0, dtype: mx.Dtype = mx.float32) -> mx.array:
        """The bias ``(1, num_heads, q - offset, k)`` for query positions
        ``offset..q-1`` and key positions ``0..k-1``."""
        q = mx.arange(offset, q_sequence_length)
        k = mx.arange(0, k_sequence_length)
        distance = -mx.abs(q[:, None] - k[None, :])[None, None]
        slopes = ALiBi.create_alibi_slope(num_heads=num_heads, dtype=dtype)
        return (distance * slopes).astype(dtype)

    @staticmethod
    def create_alibi_slope(num_heads: int, dtype: mx.Dtype = mx.float32) -> mx.array:
        """The per-head slopes, shaped ``(num_heads, 1, 1)``."""
        return mx.array(_alibi_slopes(num_heads), dtype=dtype).reshape(num_heads, 1, 1)

    def __call__(self, attention_scores: mx.array, offset: int = 0,
                 mask: Optional[mx.array] = None) -> mx.array:
        bias = ALiBi.create_alibi_matrix(
            q_sequence_length=attention_scores.shape[-2] + offset,
            k_sequence_length=attention_scores.shape[-1],
            num_heads=attention_scores.shape[1], offset=offset,
            dtype=attention_scores.dtype)
        if mask is not None:
            bias = bias + mask
        return attention_scores + bias
