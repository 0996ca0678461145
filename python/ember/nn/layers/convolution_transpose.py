"""Transposed convolution layers ConvTranspose1d/2d/3d over channels-last
inputs, weights laid out (out_channels, *kernel, in_channels)."""
import math
from typing import Union

import ember.core as mx

from .base import Module
from .convolution import _ntuple


class _ConvTransposeNd(Module):
    _n = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding,
                 dilation, output_padding, bias):
        super().__init__()
        n = self._n
        kernel_size = _ntuple(kernel_size, n)
        scale = math.sqrt(1 / (in_channels * math.prod(kernel_size)))
        self.weight = mx.random.uniform(low=-scale, high=scale,
                                        shape=(out_channels, *kernel_size, in_channels))
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.stride = stride if n == 1 else _ntuple(stride, n)
        self.padding = padding if n == 1 else _ntuple(padding, n)
        self.dilation = dilation
        self.output_padding = output_padding if n == 1 else _ntuple(output_padding, n)

    def _extra_repr(self):
        w = self.weight.shape
        ks = w[1] if self._n == 1 else tuple(w[1:-1])
        return (f"{w[-1]}, {w[0]}, kernel_size={ks}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"output_padding={self.output_padding}, bias={'bias' in self}")

    def __call__(self, x):
        conv = {1: mx.conv_transpose1d, 2: mx.conv_transpose2d, 3: mx.conv_transpose3d}[self._n]
        y = conv(x, self.weight, self.stride, self.padding, self.dilation, self.output_padding)
        if "bias" in self:
            y = y + self.bias
        return y


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over ``NLC`` inputs."""
    _n = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, dilation: int = 1,
                 output_padding: int = 0, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, output_padding, bias)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over ``NHWC`` inputs."""
    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple],
                 stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0,
                 dilation: Union[int, tuple] = 1, output_padding: Union[int, tuple] = 0,
                 bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, output_padding, bias)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over ``NDHWC`` inputs."""
    _n = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, tuple],
                 stride: Union[int, tuple] = 1, padding: Union[int, tuple] = 0,
                 dilation: Union[int, tuple] = 1, output_padding: Union[int, tuple] = 0,
                 bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, output_padding, bias)
