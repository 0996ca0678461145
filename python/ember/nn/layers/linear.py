"""Identity, Linear and Bilinear layers."""
import math
from typing import Any

import ember.core as mx

from .base import Module


class Identity(Module):
    """Return the input unchanged; any constructor arguments are ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def __call__(self, x: mx.array) -> mx.array:
        return x


class Linear(Module):
    r"""Affine map :math:`y = x W^\top + b`, with ``weight`` of shape
    ``(output_dims, input_dims)`` and ``bias`` of shape ``(output_dims,)``,
    both initialised from :math:`\mathcal U(-k, k)`, :math:`k =
    1/\sqrt{\text{input\_dims}}`."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True) -> None:
        super().__init__()
        scale = math.sqrt(1.0 / input_dims)
        self.weight = mx.random.uniform(low=-scale, high=scale,
                                        shape=(output_dims, input_dims))
        if bias:
            self.bias = mx.random.uniform(low=-scale, high=scale, shape=(output_dims,))

    def _extra_repr(self) -> str:
        return (f"input_dims={self.weight.shape[1]}, output_dims={self.weight.shape[0]}, "
                f"bias={'bias' in self}")

    def __call__(self, x: mx.array) -> mx.array:
        y = mx.matmul(x, self["weight"].T)
        if "bias" in self:
            y = y + self["bias"]
        return y

    def to_quantized(self, group_size: int = None, bits: int = None, mode: str = "affine",
                     quantize_input: bool = False):
        """A QuantizedLinear approximation of this layer (a QQLinear, which
        quantizes its input too, when ``quantize_input``)."""
        from .quantized import QQLinear, QuantizedLinear, _check_quantize_input
        _check_quantize_input(mode, quantize_input)
        if quantize_input:
            return QQLinear.from_linear(self, group_size, bits, mode)
        return QuantizedLinear.from_linear(self, group_size, bits, mode)


class Bilinear(Module):
    r"""Bilinear map :math:`y_i = x_1^\top W_i x_2 + b_i`, with ``weight`` of
    shape ``(output_dims, input1_dims, input2_dims)``, initialised from
    :math:`\mathcal U(-k, k)`, :math:`k = 1/\sqrt{\text{input1\_dims}}`."""

    def __init__(self, input1_dims: int, input2_dims: int, output_dims: int,
                 bias: bool = True) -> None:
        super().__init__()
        scale = math.sqrt(1.0 / input1_dims)
        self.weight = mx.random.uniform(low=-scale, high=scale,
                                        shape=(output_dims, input2_dims, input1_dims))
        if bias:
            self.bias = mx.random.uniform(low=-scale, high=scale, shape=(output_dims,))

    def _extra_repr(self) -> str:
        out, in2, in1 = self.weight.shape
        return (f"input1_dims={in1}, input2_dims={in2}, output_dims={out}, "
                f"bias={'bias' in self}")

    def __call__(self, x1: mx.array, x2: mx.array) -> mx.array:
        out, in2, in1 = self.weight.shape
        lead = x1.shape[:-1]
        x1 = x1.reshape(-1, in1)
        x2 = x2.reshape(-1, 1, in2)
        # (n, in1) @ (in1, out*in2) -> (n, out, in2), then contract with x2
        w = self.weight.reshape(out * in2, in1)
        y = mx.matmul(x1, w.T).reshape(-1, out, in2)
        y = mx.matmul(y, x2.swapaxes(-1, -2)).squeeze(-1)
        if "bias" in self:
            y = y + self.bias
        return y.reshape(*lead, out)
