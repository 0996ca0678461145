"""Convolution layers Conv1d/2d/3d over channels-last inputs (NLC, NHWC,
NDHWC), weights laid out (out_channels, *kernel, in_channels // groups)."""
import math
from typing import Union

import ember.core as mx

from .base import Module


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    _n = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding,
                 dilation, groups, bias, show_groups=True):
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError(f"The number of input channels ({in_channels}) must be "
                             f"divisible by the number of groups ({groups})")
        n = self._n
        kernel_size = _ntuple(kernel_size, n)
        scale = math.sqrt(1 / (in_channels * math.prod(kernel_size)))
        self.weight = mx.random.uniform(low=-scale, high=scale,
                                        shape=(out_channels, *kernel_size, in_channels // groups))
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.stride = stride if n == 1 else _ntuple(stride, n)
        self.padding = padding if n == 1 else _ntuple(padding, n)
        self.dilation = dilation
        self.groups = groups
        self._show_groups = show_groups

    def _extra_repr(self):
        w = self.weight.shape
        ks = w[1] if self._n == 1 else tuple(w[1:-1])
        groups = f", groups={self.groups}" if self._show_groups else ""
        return (f"{w[-1] * self.groups}, {w[0]}, kernel_size={ks}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}{groups}, "
                f"bias={'bias' in self}")

    def __call__(self, x):
        conv = {1: mx.conv1d, 2: mx.conv2d, 3: mx.conv3d}[self._n]
        if self._n == 3:
            y = conv(x, self.weight, self.stride, self.padding, self.dilation)
        else:
            y = conv(x, self.weight, self.stride, self.padding, self.dilation, self.groups)
        if "bias" in self:
            y = y + self.bias
        return y


class Conv1d(_ConvNd):
    """1-D convolution over ``NLC`` inputs."""
    _n = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1,
                 bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, groups, bias)


class Conv2d(_ConvNd):
    """2-D convolution over ``NHWC`` inputs."""
    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple],
                 stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0,
                 dilation: Union[int, tuple] = 1, groups: int = 1, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, groups, bias)


class Conv3d(_ConvNd):
    """3-D convolution over ``NDHWC`` inputs."""
    _n = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple],
                 stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0,
                 dilation: Union[int, tuple] = 1, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, 1, bias, show_groups=False)
