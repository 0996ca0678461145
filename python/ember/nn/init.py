"""Parameter initializers. Each function returns an initializer
``f(array) -> array`` that draws a new array of the argument's shape (its
values are ignored) in the requested dtype."""
import math
from typing import Callable, Literal

import ember.core as mx

__all__ = ["constant", "normal", "uniform", "identity", "glorot_normal", "glorot_uniform",
           "he_normal", "he_uniform", "sparse", "orthogonal"]


def constant(value: float, dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """Fill with ``value``."""
    def initializer(a: mx.array) -> mx.array:
        return mx.full(a.shape, value, dtype=dtype)
    return initializer


def normal(mean: float = 0.0, std: float = 1.0,
           dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """Samples of :math:`\\mathcal N(\\text{mean}, \\text{std}^2)`."""
    def initializer(a: mx.array) -> mx.array:
        return mx.random.normal(shape=a.shape, scale=std, loc=mean, dtype=dtype)
    return initializer


def uniform(low: float = 0.0, high: float = 1.0,
            dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """Samples of :math:`\\mathcal U(\\text{low}, \\text{high})`."""
    def initializer(a: mx.array) -> mx.array:
        return mx.random.uniform(low, high, a.shape, dtype=dtype)
    return initializer


def identity(dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """The identity matrix, for square 2-D arrays."""
    def initializer(arr: mx.array) -> mx.array:
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(f"The input array must be a square matrix but got shape {arr.shape}.")
        return mx.eye(n=arr.shape[0], dtype=dtype)
    return initializer


def _fans(x: mx.array):
    """(fan_in, fan_out) of a weight laid out ``(out, *kernel, in)``."""
    if x.ndim < 2:
        raise ValueError("Glorot / He initialization requires at least 2 dimensional "
                         f"input but input with {x.ndim} dimensions.")
    receptive = math.prod(x.shape[1:-1])
    return x.shape[-1] * receptive, x.shape[0] * receptive


def glorot_normal(dtype: mx.Dtype = mx.float32) -> Callable[[mx.array, float], mx.array]:
    """Xavier normal: std ``gain * sqrt(2 / (fan_in + fan_out))``."""
    def initializer(a: mx.array, gain: float = 1.0) -> mx.array:
        fan_in, fan_out = _fans(a)
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
        return mx.random.normal(shape=a.shape, dtype=dtype) * std
    return initializer


def glorot_uniform(dtype: mx.Dtype = mx.float32) -> Callable[[mx.array, float], mx.array]:
    """Xavier uniform on ``[-l, l]``, ``l = gain * sqrt(6 / (fan_in + fan_out))``."""
    def initializer(a: mx.array, gain: float = 1.0) -> mx.array:
        fan_in, fan_out = _fans(a)
        limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return mx.random.uniform(-limit, limit, a.shape, dtype=dtype)
    return initializer


def _fan(a, mode):
    fan_in, fan_out = _fans(a)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"Invalid mode: {mode}. Valid modes are: fan_in, fan_out")


def he_normal(dtype: mx.Dtype = mx.float32
              ) -> Callable[[mx.array, Literal["fan_in", "fan_out"], float], mx.array]:
    """Kaiming normal: std ``gain / sqrt(fan)``, fan chosen by ``mode``."""
    def initializer(a: mx.array, mode: Literal["fan_in", "fan_out"] = "fan_in",
                    gain: float = 1.0) -> mx.array:
        std = gain / math.sqrt(_fan(a, mode))
        return mx.random.normal(shape=a.shape, dtype=dtype) * std
    return initializer


def he_uniform(dtype: mx.Dtype = mx.float32
               ) -> Callable[[mx.array, Literal["fan_in", "fan_out"], float], mx.array]:
    """Kaiming uniform on ``[-l, l]``, ``l = gain * sqrt(3 / fan)``."""
    def initializer(a: mx.array, mode: Literal["fan_in", "fan_out"] = "fan_in",
                    gain: float = 1.0) -> mx.array:
        limit = gain * math.sqrt(3.0 / _fan(a, mode))
        return mx.random.uniform(-limit, limit, a.shape, dtype=dtype)
    return initializer


def sparse(sparsity: float, mean: float = 0.0, std: float = 1.0,
           dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """Normal samples with ``ceil(sparsity * columns)`` entries of every row,
    chosen at random, set to zero (2-D arrays only)."""
    def initializer(a: mx.array) -> mx.array:
        if a.ndim != 2:
            raise ValueError("Only tensors with 2 dimensions are supported")
        rows, cols = a.shape
        num_zeros = int(math.ceil(sparsity * cols))
        order = mx.argsort(mx.random.uniform(shape=a.shape), axis=1)
        # entry (i, j) is zeroed when its random rank in row i is < num_zeros
        rank = mx.argsort(order, axis=1)
        values = mx.random.normal(shape=a.shape, scale=std, loc=mean, dtype=dtype)
        return mx.where(rank < num_zeros, mx.zeros((), dtype=dtype), values)
    return initializer


def orthogonal(gain: float = 1.0, dtype: mx.Dtype = mx.float32) -> Callable[[mx.array], mx.array]:
    """A (semi-)orthogonal matrix: orthonormal rows or columns, whichever
    are fewer, scaled by ``gain`` (from the QR factorisation of a Gaussian
    matrix, signs fixed by R's diagonal)."""
    def initializer(a: mx.array) -> mx.array:
        if a.ndim != 2:
            raise ValueError(f"Orthogonal initialization requires a 2D array but got a {a.ndim}D array.")
        rows, cols = a.shape
        n = max(rows, cols)
        q, r = mx.linalg.qr(mx.random.normal(shape=(n, n)), stream=mx.cpu)
        d = mx.sum(r * mx.eye(n), axis=0)  # R's diagonal
        q = q * mx.sign(d)
        return (q[:rows, :cols] * gain).astype(dtype)
    return initializer
