"""Normalisation layers: LayerNorm, RMSNorm, GroupNorm, InstanceNorm and
BatchNorm (with running statistics). Statistics of float16/bfloat16 inputs
are computed in float32 and the result cast back."""
from typing import Tuple

import ember.core as mx

from .base import Module


def _up(x):
    """x in float32 when it is a low-precision float, else x."""
    if x.dtype in (mx.float16, mx.bfloat16):
        return x.astype(mx.float32)
    return x


def _normalize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes``, statistics in >= float32."""
    xf = _up(x)
    mean = mx.mean(xf, axis=axes, keepdims=True)
    var = mx.var(xf, axis=axes, keepdims=True)
    return ((xf - mean) * mx.rsqrt(var + eps)).astype(x.dtype)


class LayerNorm(Module):
    r"""Normalise over the last axis (of size ``dims``) to zero mean and unit
    variance, then scale by ``weight`` and shift by ``bias`` when
    ``affine`` (``bias=False`` keeps only the scale)."""

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = True, bias: bool = True):
        super().__init__()
        if affine:
            self.weight = mx.ones((dims,))
            if bias:
                self.bias = mx.zeros((dims,))
        self.eps = eps
        self.dims = dims

    def _extra_repr(self):
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x):
        # mx.fast.layer_norm, as mlx.nn does: one fused pass per row
        weight = self.weight if "weight" in self else None
        bias = self.bias if "bias" in self else None
        return mx.fast.layer_norm(x, weight, bias, self.eps)


class RMSNorm(Module):
    r"""Scale the last axis by its reciprocal root mean square,
    :math:`x / \sqrt{\mathrm{mean}(x^2) + \epsilon}`, then by ``weight``."""

    def __init__(self, dims: int, eps: float = 1e-5):
        super().__init__()
        self.weight = mx.ones((dims,))
        self.eps = eps

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, eps={self.eps}"

    def __call__(self, x):
        return mx.fast.rms_norm(x, self["weight"], self.eps)


class GroupNorm(Module):
    r"""Split the ``dims`` channels (last axis) into ``num_groups`` groups and
    normalise each group over it and all the axes but the batch axis.

    By default channel ``c`` belongs to group ``c % num_groups`` (MLX's
    layout); ``pytorch_compatible=True`` uses contiguous groups of
    ``dims // num_groups`` channels as PyTorch does.
    """

    def __init__(self, num_groups: int, dims: int, eps: float = 1e-5,
                 affine: bool = True, pytorch_compatible: bool = False):
        super().__init__()
        if affine:
            self.bias = mx.zeros((dims,))
            self.weight = mx.ones((dims,))
        self.num_groups = num_groups
        self.dims = dims
        self.eps = eps
        self.pytorch_compatible = pytorch_compatible

    def _extra_repr(self):
        return (f"{self.num_groups}, {self.dims}, eps={self.eps}, "
                f"affine={'weight' in self}, pytorch_compatible={self.pytorch_compatible}")

    def __call__(self, x):
        batch, *rest, dims = x.shape
        g = self.num_groups
        if self.pytorch_compatible:
            size = dims // g
            y = x.reshape(batch, -1, g, size)
            y = _normalize(y, (1, 3), self.eps).reshape(batch, *rest, dims)
        else:
            y = x.reshape(batch, -1, g)
            y = _normalize(y, 1, self.eps).reshape(batch, *rest, dims)
        if "weight" in self:
            y = y * self.weight + self.bias
        return y


class InstanceNorm(Module):
    r"""Normalise each channel (last axis) of each sample over the spatial
    axes (all but the first and last), with an optional affine map."""

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = False):
        super().__init__()
        if affine:
            self.weight = mx.ones((dims,))
            self.bias = mx.zeros((dims,))
        self.dims = dims
        self.eps = eps

    def _extra_repr(self):
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x: mx.array) -> mx.array:
        axes = tuple(range(1, x.ndim - 1))
        y = _normalize(x, axes, self.eps)
        if "weight" in self:
            y = y * self.weight + self.bias
        return y


class BatchNorm(Module):
    r"""Normalise each feature (last axis) over the batch and spatial axes of
    ``NC``, ``NLC`` or ``NHWC`` inputs.

    In training mode the batch statistics are used and, with
    ``track_running_stats``, folded into ``running_mean`` and ``running_var``
    (unbiased) with weight ``momentum``; in eval mode the running statistics
    are used. The running statistics are members but never trainable.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = mx.ones((num_features,))
            self.bias = mx.zeros((num_features,))
        if track_running_stats:
            self.running_mean = mx.zeros((num_features,))
            self.running_var = mx.ones((num_features,))
            self.freeze(keys=["running_mean", "running_var"], recurse=False)

    def unfreeze(self, *args, **kwargs):
        """Unfreeze as :meth:`Module.unfreeze`, but keep the running
        statistics frozen."""
        super().unfreeze(*args, **kwargs)
        self.freeze(keys=["running_mean", "running_var"], recurse=False)
        return self

    def _extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={'weight' in self}, track_running_stats={self.track_running_stats}")

    def _stats(self, x: mx.array) -> Tuple[mx.array, mx.array]:
        axes = tuple(range(x.ndim - 1))
        xf = _up(x)
        return mx.mean(xf, axis=axes), mx.var(xf, axis=axes)

    def __call__(self, x: mx.array) -> mx.array:
        if x.ndim < 2 or x.ndim > 4:
            raise ValueError(
                f"Expected input tensor to have 2, 3 or 4 dimensions, but got {x.ndim}")
        if self.training or not self.track_running_stats:
            mean, var = self._stats(x)
            if self.training and self.track_running_stats:
                n = x.size / x.shape[-1]
                m = self.momentum
                self.running_mean = (1 - m) * self.running_mean + m * mean
                self.running_var = (1 - m) * self.running_var + m * var * (n / max(n - 1, 1))
        else:
            mean, var = self.running_mean, self.running_var
        y = ((_up(x) - mean) * mx.rsqrt(var + self.eps)).astype(x.dtype)
        if "weight" in self:
            y = y * self.weight + self.bias
        return y
