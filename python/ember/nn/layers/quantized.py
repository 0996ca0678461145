"""Quantized layers (mlx.nn's): QuantizedLinear and QuantizedEmbedding keep
their weight packed by ember.core.quantize and frozen; QQLinear quantizes its
input too (ember.core.qqmm), its weight packed in eval mode and kept in full
precision, trainable, in training mode; nn.quantize swaps a model's eligible
leaf modules for them in place."""
import math
from typing import Callable, Optional, Union

import ember.core as mx
from ember.utils import tree_map_with_path

from .base import Module

_MODE_DEFAULTS = {"affine": (64, 4), "mxfp4": (32, 4), "nvfp4": (16, 4), "mxfp8": (32, 8)}


def _defaults_for_mode(mode, group_size, bits):
    """(group_size, bits) with a mode's defaults filled in; ValueError for an
    unknown mode (MLX's text)."""
    if mode not in _MODE_DEFAULTS:
        raise ValueError(f"Invalid quantization mode '{mode}'. "
                         f"Valid modes are: {', '.join(_MODE_DEFAULTS)}.")
    g, b = _MODE_DEFAULTS[mode]
    return group_size or g, bits or b


def _check_quantize_input(mode, quantize_input):
    if quantize_input and mode not in ("nvfp4", "mxfp8"):
        raise ValueError("Quantized activations are only supported for 'nvfp4' and 'mxfp8' "
                         f"modes, got {mode}.")


def quantize(model: Module, group_size: int = None, bits: int = None, *, mode: str = "affine",
             quantize_input: bool = False,
             class_predicate: Optional[Callable[[str, Module], Union[bool, dict]]] = None):
    """Replace, in place, each leaf module of ``model`` that ``class_predicate(path,
    module)`` selects (default: every module with a ``to_quantized`` method) by
    ``module.to_quantized(...)``. The predicate may return a dict of keyword
    arguments for ``to_quantized`` instead of ``True``."""
    if class_predicate is None:
        class_predicate = lambda _, m: hasattr(m, "to_quantized")

    def swap(path, m):
        choice = class_predicate(path, m)
        if not choice:
            return m
        if not hasattr(m, "to_quantized"):
            raise ValueError(f"Unable to quantize model of type {type(m)}")
        if isinstance(choice, bool):
            kwargs = {"group_size": group_size, "bits": bits, "mode": mode}
            if quantize_input:
                kwargs["quantize_input"] = True
            return m.to_quantized(**kwargs)
        if isinstance(choice, dict):
            kwargs = dict(choice)
            if "quantize_input" in kwargs and not kwargs["quantize_input"]:
                del kwargs["quantize_input"]
            return m.to_quantized(**kwargs)
        raise ValueError("``class_predicate`` must return a bool"
                         " or a dict of parameters to pass to ``to_quantized``")

    leaves = tree_map_with_path(swap, model.leaf_modules(), is_leaf=Module.is_module)
    model.update_modules(leaves)


class QuantizedLinear(Module):
    """``Linear`` with its weight quantized (``ember.core.quantize``): ``y =
    quantized_matmul(x, weight, scales, biases) + bias``. The quantized weight
    is frozen; ``from_linear`` converts a ``Linear``."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True,
                 group_size: int = None, bits: int = None, mode: str = "affine"):
        super().__init__()
        self.group_size, self.bits = _defaults_for_mode(mode, group_size, bits)
        self.mode = mode
        k = math.sqrt(1 / input_dims)
        w = mx.random.uniform(low=-k, high=k, shape=(output_dims, input_dims))
        self.weight, self.scales, *rest = mx.quantize(w, group_size, bits, mode=mode)
        self.biases = rest[0] if rest else None
        if bias:
            self.bias = mx.zeros((output_dims,))
        self.freeze()

    def _extra_repr(self):
        out_dims, packed = self.weight.shape
        return (f"input_dims={packed * 32 // self.bits}, output_dims={out_dims}, "
                f"bias={'bias' in self}, group_size={self.group_size}, bits={self.bits}, "
                f"mode={self.mode}")

    def __call__(self, x):
        y = mx.quantized_matmul(x, self["weight"], scales=self["scales"],
                                biases=self.get("biases"), transpose=True,
                                group_size=self.group_size, bits=self.bits, mode=self.mode)
        if "bias" in self:
            y = y + self["bias"]
        return y

    @classmethod
    def from_linear(cls, linear_layer: Module, group_size: int = None, bits: int = None,
                    mode: str = "affine"):
        """A QuantizedLinear approximating ``linear_layer`` (its bias kept as is)."""
        out_dims, in_dims = linear_layer.weight.shape
        ql = cls(in_dims, out_dims, False, group_size, bits, mode=mode)
        ql.weight, ql.scales, *rest = mx.quantize(linear_layer.weight, group_size, bits,
                                                  mode=mode)
        ql.biases = rest[0] if rest else None
        if "bias" in linear_layer:
            ql.bias = linear_layer.bias
        return ql


class QuantizedEmbedding(Module):
    """``Embedding`` with its table quantized: a lookup dequantizes the chosen
    rows; ``as_linear`` multiplies by the quantized table (tied output
    projection). ``from_embedding`` converts an ``Embedding``."""

    def __init__(self, num_embeddings: int, dims: int, group_size: int = None,
                 bits: int = None, mode: str = "affine"):
        super().__init__()
        self.group_size, self.bits = _defaults_for_mode(mode, group_size, bits)
        self.mode = mode
        w = mx.random.normal(shape=(num_embeddings, dims), scale=math.sqrt(1 / dims))
        self.weight, self.scales, *rest = mx.quantize(w, group_size, bits, mode=mode)
        self.biases = rest[0] if rest else None
        self.num_embeddings = num_embeddings
        self.dims = dims
        self.freeze()

    def __call__(self, x):
        b = self.get("biases")
        return mx.dequantize(self["weight"][x], scales=self["scales"][x],
                             biases=b[x] if b is not None else None,
                             group_size=self.group_size, bits=self.bits, mode=self.mode)

    def as_linear(self, x):
        return mx.quantized_matmul(x, self["weight"], scales=self["scales"],
                                   biases=self.get("biases"), transpose=True,
                                   group_size=self.group_size, bits=self.bits, mode=self.mode)

    def _extra_repr(self):
        return (f"{self.num_embeddings}, {self.dims}, group_size={self.group_size}, "
                f"bits={self.bits}, mode={self.mode}")

    @classmethod
    def from_embedding(cls, embedding_layer: Module, group_size: int = None, bits: int = None,
                       mode: str = "affine"):
        """A QuantizedEmbedding approximating ``embedding_layer``."""
        n, dims = embedding_layer.weight.shape
        ql = cls(n, dims, group_size, bits, mode=mode)
        ql.weight, ql.scales, *rest = mx.quantize(embedding_layer.weight, group_size, bits,
                                                  mode=mode)
        ql.biases = rest[0] if rest else None
        return ql


class QQLinear(Module):
    """A bias-free ``Linear`` whose input and weight are both quantized
    (``ember.core.qqmm``, modes ``"nvfp4"`` and ``"mxfp8"``; ``"mxfp4"`` works
    too). In training mode the weight stays in full precision and is
    quantized on the fly, so it gets gradients; ``eval()`` packs it (``weight``
    becomes uint32 with ``scales``), ``train()`` unpacks it again.
    ``from_linear`` converts a ``Linear`` without bias."""

    def __init__(self, input_dims: int, output_dims: int, group_size: int = None,
                 bits: int = None, mode: str = "nvfp4"):
        super().__init__()
        self.group_size, self.bits = _defaults_for_mode(mode, group_size, bits)
        self.mode = mode
        k = math.sqrt(1 / input_dims)
        self.weight = mx.random.uniform(low=-k, high=k, shape=(output_dims, input_dims))
        self._quantized = False

    def _extra_repr(self):
        out_dims, in_dims = self.weight.shape
        if self.weight.dtype == mx.uint32:
            in_dims = in_dims * 32 // self.bits
        return (f"input_dims={in_dims}, output_dims={out_dims}, group_size={self.group_size}, "
                f"bits={self.bits}, mode={self.mode}")

    def quantize(self):
        """Pack the weight (``weight`` uint32 plus ``scales``), if not yet."""
        if not self._quantized:
            self.weight, self.scales = mx.quantize(self.weight, self.group_size, self.bits,
                                                   mode=self.mode)
            self._quantized = True

    def dequantize(self):
        """Unpack the weight back to floats (bfloat16, as MLX), if packed."""
        if self._quantized:
            self.weight = mx.dequantize(self.weight, scales=self.scales,
                                        group_size=self.group_size, bits=self.bits,
                                        mode=self.mode)
            del self.scales
            self._quantized = False

    def _set_training_mode(self, mode: bool):
        super()._set_training_mode(mode)
        if self._training:
            self.dequantize()
        else:
            self.quantize()

    def __call__(self, x):
        return mx.qqmm(x, self["weight"], scales=self.get("scales"), group_size=self.group_size,
                       bits=self.bits, mode=self.mode)

    @classmethod
    def from_linear(cls, linear_layer: Module, group_size: int = None, bits: int = None,
                    mode: str = "nvfp4"):
        """A QQLinear with ``linear_layer``'s weight (in its training mode)."""
        out_dims, in_dims = linear_layer.weight.shape
        if linear_layer.get("bias") is not None:
            raise NotImplementedError("QQLinear does not support bias yet.")
        ql = cls(in_dims, out_dims, group_size, bits, mode=mode)
        ql.weight = linear_layer.weight
        ql.train(linear_layer.training)
        return ql
