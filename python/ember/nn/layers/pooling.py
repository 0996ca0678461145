"""Max and average pooling over the spatial axes of channels-last inputs
(NLC, NHWC, NDHWC), as ordinary differentiable compositions. Average pooling
reduces a window one axis at a time (sums are separable), each axis with
``kernel`` strided slices. Max pooling takes one max reduction over the whole
window, as MLX does, so that tied maxima share the gradient equally: windows
that tile the input (stride == kernel) are a reshape of it, overlapping ones
a stack of its strided slices."""
import itertools

import ember.core as mx

from .base import Module


class _Pool(Module):
    _n = 0
    _max = True

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        n = self._n
        kernel_size = self._tuple(kernel_size, "kernel_size", name)
        stride = kernel_size if stride is None else self._tuple(stride, "stride", name)
        padding = self._tuple(padding, "padding", name)
        if any(k <= 0 for k in kernel_size):
            raise ValueError(f"[{name}] 'kernel_size' must be positive but got {kernel_size}.")
        if any(s <= 0 for s in stride):
            raise ValueError(f"[{name}] 'stride' must be positive but got {stride}.")
        if any(p < 0 for p in padding):
            raise ValueError(f"[{name}] 'padding' must be non-negative but got {padding}.")
        assert len(kernel_size) == len(stride) == len(padding) == n
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def _tuple(self, value, what, name):
        n = self._n
        if isinstance(value, int):
            return (value,) * n
        value = tuple(value)
        if len(value) != n or not all(isinstance(v, int) for v in value):
            raise ValueError(f"[{name}] '{what}' must be an integer or a tuple "
                             f"containing {n} integers")
        return value

    def _extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def _check(self, x):
        n = self._n
        if x.ndim < 3:
            raise ValueError(
                "To extract sliding windows at least 1 spatial dimension "
                f"(3 total) is needed but the input only has {x.ndim} dimensions.")
        if x.ndim - 2 != n:
            raise ValueError(
                "To extract sliding windows the window shapes and strides must have the "
                f"same number of spatial dimensions as the signal but the signal has "
                f"{x.ndim - 2} dims and the window shape has {n} and strides have {n}.")

    def _pad_value(self, x):
        if not self._max:
            return 0
        if mx.issubdtype(x.dtype, mx.floating):
            return -float("inf")
        if x.dtype == mx.bool_:
            return False
        return mx.iinfo(x.dtype).min

    def __call__(self, x):
        self._check(x)
        n = self._n
        first = x.ndim - 1 - n
        if any(self.padding):
            widths = [(0, 0)] * x.ndim
            for i, p in enumerate(self.padding):
                widths[first + i] = (p, p)
            x = mx.pad(x, widths, constant_values=self._pad_value(x))
        if self._max:
            return self._max_windows(x, first)
        for i, (k, s) in enumerate(zip(self.kernel_size, self.stride)):
            ax = first + i
            length = x.shape[ax]
            out = max((length - k) // s + 1, 0)
            acc = None
            for o in range(k):
                idx = [slice(None)] * x.ndim
                idx[ax] = slice(o, o + s * (out - 1) + 1 if out else o, s)
                part = x[tuple(idx)]
                acc = part if acc is None else acc + part
            x = acc
        size = 1
        for k in self.kernel_size:
            size *= k
        return x / size

    def _max_windows(self, x, first):
        """The max over each window, as one reduction (ties share the gradient)."""
        lengths = x.shape[first:first + self._n]
        outs = [max((n - k) // s + 1, 0) for n, k, s in zip(lengths, self.kernel_size, self.stride)]
        if self.kernel_size == self.stride and all(outs):
            # Tiling windows: crop the rest, split each axis into (out, k).
            crop = [slice(None)] * x.ndim
            shape = list(x.shape[:first])
            for i, (o, k) in enumerate(zip(outs, self.kernel_size)):
                crop[first + i] = slice(0, o * k)
                shape += [o, k]
            x = x[tuple(crop)].reshape(shape + [x.shape[-1]])
            return mx.max(x, axis=tuple(first + 2 * i + 1 for i in range(self._n)))
        parts = []
        for offsets in itertools.product(*(range(k) for k in self.kernel_size)):
            idx = [slice(None)] * x.ndim
            for i, (o, s, out) in enumerate(zip(offsets, self.stride, outs)):
                idx[first + i] = slice(o, o + s * (out - 1) + 1 if out else o, s)
            parts.append(x[tuple(idx)])
        return mx.max(mx.stack(parts, axis=-1), axis=-1)


class MaxPool1d(_Pool):
    """Maximum over windows of ``kernel_size`` along the L axis of ``NLC``
    inputs (``stride`` defaults to ``kernel_size``; padding is -inf)."""
    _n, _max = 1, True


class MaxPool2d(_Pool):
    """Maximum over ``kernel_size`` windows of ``NHWC`` inputs."""
    _n, _max = 2, True


class MaxPool3d(_Pool):
    """Maximum over ``kernel_size`` windows of ``NDHWC`` inputs."""
    _n, _max = 3, True


class AvgPool1d(_Pool):
    """Mean over windows of ``kernel_size`` along the L axis of ``NLC``
    inputs; zero padding counts in the mean."""
    _n, _max = 1, False


class AvgPool2d(_Pool):
    """Mean over ``kernel_size`` windows of ``NHWC`` inputs."""
    _n, _max = 2, False


class AvgPool3d(_Pool):
    """Mean over ``kernel_size`` windows of ``NDHWC`` inputs."""
    _n, _max = 3, False
