"""Layers whose parameters are split over the members of a distributed group
(mlx.nn.layers.distributed): tensor-parallel linear layers, the helpers that
shard existing layers, and a fully sharded (FSDP-style) wrapper.

Every split follows the group's size and this process's rank, so the code is
the same for any group; ember's groups hold one process today (there is no
multi-process backend yet), and there each layer computes exactly what the
unsharded layer does."""
import math
from functools import lru_cache
from typing import Callable, Optional, Union

import ember.core as mx
from ember.utils import tree_flatten, tree_map, tree_unflatten

from .base import Module
from .linear import Linear
from .quantized import QuantizedLinear

__all__ = ["AllToShardedLinear", "ShardedToAllLinear", "QuantizedAllToShardedLinear",
           "QuantizedShardedToAllLinear", "FullyShardedModule", "fully_shard", "shard_linear",
           "shard_inplace", "sum_gradients"]

_SHARDINGS = ("all-to-sharded", "sharded-to-all")


def _group(group):
    return group if group is not None else mx.distributed.init()


@lru_cache
def sum_gradients(group):
    """A function that returns its input unchanged and whose gradient is the
    sum of the incoming gradients over ``group`` (each member computed a
    gradient for the same replicated input). The identity for one process."""
    if group.size() == 1:
        return lambda x: x

    @mx.custom_function
    def f(x):
        return x

    @f.vjp
    def f_vjp(x, dx, _):
        return mx.distributed.all_sum(dx, group=group)

    return f


def _shard(w, axis, segments, group):
    """This rank's part of w along axis: w is cut into `segments` (a count of
    equal parts, or a list of split indices), each segment into group.size()
    equal parts, and this rank's part of every segment is concatenated."""
    n, r = group.size(), group.rank()
    parts = mx.split(w, segments, axis=axis) if segments != 1 else [w]
    mine = [mx.split(p, n, axis=axis)[r] for p in parts]
    return mine[0] if len(mine) == 1 else mx.concatenate(mine, axis=axis)


def _sharding_fn(sharding, segments):
    """(path, weight) -> (axis or None, segments) for a named sharding."""
    if callable(sharding):
        return sharding
    if sharding == "all-to-sharded":
        # the output rows: axis 0 of a matrix (and of its bias, scales and
        # biases), the axis before the last of stacked matrices
        return lambda path, w: (max(w.ndim - 2, 0), segments)
    if sharding == "sharded-to-all":
        # the input columns; the layer's bias applies to the summed output
        return lambda path, w: ((None, None) if path.endswith("bias") else (-1, segments))
    raise ValueError(f"Sharding type {sharding=} not supported, "
                     f"choose one of {' or '.join(repr(s) for s in _SHARDINGS)}")


def _sharded_parameters(module, sharding, segments, group):
    """module's parameters with each one the sharding function names split."""
    fn = _sharding_fn(sharding, segments)
    out = []
    for path, w in tree_flatten(module.parameters()):
        spec = fn(path, w)
        axis, segs = spec if isinstance(spec, tuple) else (spec, segments)
        out.append((path, w if axis is None else _shard(w, axis, segs, group)))
    return tree_unflatten(out)


def shard_inplace(module: Module, sharding: Union[str, Callable], *,
                  segments: Union[int, list] = 1, group: Optional["mx.distributed.Group"] = None):
    """Replace ``module``'s parameters by this rank's shards of them.
    ``sharding`` is "all-to-sharded" (split the output dimension),
    "sharded-to-all" (split the input dimension; a bias stays whole), or a
    function ``(path, weight) -> axis`` or ``-> (axis, segments)`` (axis None
    keeps the parameter whole). ``segments`` says how many equal parts (or at
    which indices) a fused weight, such as a QKV projection, is cut before
    each part is sharded. The module's computation does not change: it must
    itself do whatever communication the sharding needs."""
    module.update(_sharded_parameters(module, sharding, segments, _group(group)))


def _check_divisible(size, n, what):
    if size % n != 0:
        raise ValueError(f"Cannot shard the {what} dimension of size {size} "
                         f"across a group of size {n}.")


class _ShardedLinear(Module):
    """What the two sharded linear layers share: a weight with the rows
    (all-to-sharded) or the columns (sharded-to-all) of this rank, the bias
    that goes with it, and conversion from a Linear."""

    _sharding = ""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True,
                 group: Optional["mx.distributed.Group"] = None):
        super().__init__()
        self.group = _group(group)
        n, rows = self.group.size(), self._sharding == "all-to-sharded"
        _check_divisible(output_dims if rows else input_dims, n, "output" if rows else "input")
        scale = math.sqrt(1.0 / input_dims)
        shape = (output_dims // n, input_dims) if rows else (output_dims, input_dims // n)
        self.weight = mx.random.uniform(low=-scale, high=scale, shape=shape)
        if bias:
            self.bias = mx.random.uniform(low=-scale, high=scale, shape=(shape[0],))

    def _extra_repr(self) -> str:
        out, inp = self.weight.shape
        n = self.group.size()
        if self._sharding == "all-to-sharded":
            out *= n
        else:
            inp *= n
        return f"input_dims={inp}, output_dims={out}, bias={'bias' in self}"

    @classmethod
    def from_linear(cls, linear_layer: Module, *, segments: Union[int, list] = 1,
                    group: Optional["mx.distributed.Group"] = None):
        """This rank's share of ``linear_layer`` (a Linear)."""
        group = _group(group)
        out, inp = linear_layer.weight.shape
        layer = cls(inp, out, "bias" in linear_layer, group)
        layer.update(_sharded_parameters(linear_layer, cls._sharding, segments, group))
        return layer


class AllToShardedLinear(_ShardedLinear):
    """A linear layer whose input is replicated on every member of the group
    and whose output features are split over them: each member holds
    ``output_dims / N`` rows of the weight and computes its part of the
    output. The input's gradient is summed over the group."""

    _sharding = "all-to-sharded"

    def __call__(self, x: mx.array) -> mx.array:
        x = sum_gradients(self.group)(x)
        if "bias" in self:
            return mx.addmm(self["bias"], x, self["weight"].T)
        return mx.matmul(x, self["weight"].T)


class ShardedToAllLinear(_ShardedLinear):
    """A linear layer whose input features are split over the members of the
    group: each member holds ``input_dims / N`` columns of the weight,
    multiplies its part of the input, and the partial products are summed
    over the group, so every member gets the whole output."""

    _sharding = "sharded-to-all"

    def __call__(self, x: mx.array) -> mx.array:
        y = mx.distributed.all_sum(mx.matmul(x, self["weight"].T), group=self.group)
        if "bias" in self:
            y = y + self["bias"]
        return y


class _QuantizedSharded(Module):
    """What the two quantized sharded linear layers share: a frozen quantized
    weight of the given (per-rank) shape and the optional bias."""

    def _init(self, rows, cols, bias_dims, group_size, bits, mode):
        self.group_size, self.bits, self.mode = group_size, bits, mode
        scale = math.sqrt(1.0 / cols)
        w = mx.random.uniform(low=-scale, high=scale, shape=(rows, cols))
        self.weight, self.scales, *rest = mx.quantize(w, group_size, bits, mode=mode)
        if rest:
            self.biases = rest[0]
        if bias_dims:
            self.bias = mx.zeros((bias_dims,))
        self.freeze()

    def unfreeze(self, *args, **kwargs):
        """Unfreezes sub-modules as Module.unfreeze does; this layer's own
        parameters stay frozen (as in MLX)."""
        super().unfreeze(*args, **kwargs)
        self.freeze(recurse=False)
        return self

    def _dims(self):
        return self.weight.shape[0], self.weight.shape[1] * 32 // self.bits

    def _repr(self, inp, out):
        return (f"input_dims={inp}, output_dims={out}, bias={'bias' in self}, "
                f"group_size={self.group_size}, bits={self.bits}, mode={self.mode}")

    def _product(self, x):
        return mx.quantized_matmul(x, self["weight"], scales=self["scales"],
                                   biases=self.get("biases"), transpose=True,
                                   group_size=self.group_size, bits=self.bits, mode=self.mode)

    @classmethod
    def _from(cls, ql, sharding, segments, group):
        group = _group(group)
        out, inp = ql.weight.shape[0], ql.weight.shape[1] * 32 // ql.bits
        layer = cls(inp, out, "bias" in ql, ql.group_size, ql.bits, ql.mode, group)
        layer.update(_sharded_parameters(ql, sharding, segments, group))
        return layer


class QuantizedAllToShardedLinear(_QuantizedSharded):
    """:class:`AllToShardedLinear` with a quantized weight (as
    :class:`QuantizedLinear`); the weight is frozen."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True,
                 group_size: int = 64, bits: int = 4, mode: str = "affine",
                 group: Optional["mx.distributed.Group"] = None):
        super().__init__()
        self.group = _group(group)
        n = self.group.size()
        _check_divisible(output_dims, n, "output")
        self._init(output_dims // n, input_dims, output_dims // n if bias else 0,
                   group_size, bits, mode)

    def _extra_repr(self) -> str:
        out, inp = self._dims()
        return self._repr(inp, out * self.group.size())

    def __call__(self, x: mx.array) -> mx.array:
        y = self._product(sum_gradients(self.group)(x))
        if "bias" in self:
            y = y + self["bias"]
        return y

    @classmethod
    def from_quantized_linear(cls, quantized_linear_layer: Module, *,
                              segments: Union[int, list] = 1,
                              group: Optional["mx.distributed.Group"] = None):
        """This rank's share of ``quantized_linear_layer`` (a QuantizedLinear)."""
        return cls._from(quantized_linear_layer, "all-to-sharded", segments, group)


class QuantizedShardedToAllLinear(_QuantizedSharded):
    """:class:`ShardedToAllLinear` with a quantized weight (as
    :class:`QuantizedLinear`); the weight is frozen."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True,
                 group_size: int = 64, bits: int = 4, mode: str = "affine",
                 group: Optional["mx.distributed.Group"] = None):
        super().__init__()
        self.group = _group(group)
        n = self.group.size()
        _check_divisible(input_dims, n, "input")
        self._init(output_dims, input_dims // n, output_dims if bias else 0,
                   group_size, bits, mode)

    def _extra_repr(self) -> str:
        out, inp = self._dims()
        return self._repr(inp * self.group.size(), out)

    def __call__(self, x: mx.array) -> mx.array:
        y = mx.distributed.all_sum(self._product(x), group=self.group)
        if "bias" in self:
            y = y + self["bias"]
        return y

    @classmethod
    def from_quantized_linear(cls, quantized_linear_layer: Module, *,
                              segments: Union[int, list] = 1,
                              group: Optional["mx.distributed.Group"] = None):
        """This rank's share of ``quantized_linear_layer`` (a QuantizedLinear)."""
        return cls._from(quantized_linear_layer, "sharded-to-all", segments, group)


def shard_linear(module: Module, sharding: str, *, segments: Union[int, list] = 1,
                 group: Optional["mx.distributed.Group"] = None):
    """A new layer holding this rank's share of ``module`` (a Linear or a
    QuantizedLinear) that does the communication its sharding needs;
    ``module`` itself is left as it is."""
    if sharding not in _SHARDINGS:
        _sharding_fn(str(sharding), segments)  # raises the same error as shard_inplace
    all_to = sharding == "all-to-sharded"
    if isinstance(module, QuantizedLinear):
        cls = QuantizedAllToShardedLinear if all_to else QuantizedShardedToAllLinear
        return cls.from_quantized_linear(module, segments=segments, group=group)
    if isinstance(module, Linear):
        cls = AllToShardedLinear if all_to else ShardedToAllLinear
        return cls.from_linear(module, segments=segments, group=group)
    raise ValueError(f"[shard_linear] Cannot shard a {type(module).__name__}: only Linear "
                     "and QuantizedLinear layers can be sharded.")


def _gather_fn(group, dtype):
    """x -> every member's shard of a parameter concatenated along axis 0
    (cast to dtype if given); its gradient is summed over the group and
    scattered back, each member keeping the part of its own shard."""
    @mx.custom_function
    def f(x):
        y = mx.distributed.all_gather(x, group=group)
        return y if dtype is None else y.astype(dtype)

    @f.vjp
    def f_vjp(x, dy, _):
        return mx.distributed.sum_scatter(dy, group=group).astype(x.dtype)

    return f


class FullyShardedModule(Module):
    """Wraps ``module`` so that each member of the group keeps only its shard
    (along axis 0) of every parameter: the whole parameters are gathered for
    each call (cast to ``compute_dtype`` if given) and the gradients summed
    and scattered back, so each member stores and updates only its shard.
    Every parameter's first dimension must divide by the group's size."""

    def __init__(self, module: Module, group: Optional["mx.distributed.Group"] = None,
                 compute_dtype: Optional[mx.Dtype] = None):
        super().__init__()
        self.group = _group(group)
        self.compute_dtype = compute_dtype
        n, r = self.group.size(), self.group.rank()
        params = tree_flatten(module.parameters())
        for path, w in params:
            if w.ndim == 0 or w.shape[0] % n != 0:
                raise ValueError(f"[fully_shard] Cannot shard the parameter {path} of shape "
                                 f"{tuple(w.shape)} along axis 0 across a group of size {n}.")
        module.update(tree_unflatten([(p, mx.split(w, n, axis=0)[r]) for p, w in params]))
        self.num_sharded_params = len(params)
        self.module = module

    def _extra_repr(self) -> str:
        return f"num_sharded_params={self.num_sharded_params}"

    def _with_full_parameters(self, fn, *args, **kwargs):
        shards = self.module.parameters()
        gather = _gather_fn(self.group, self.compute_dtype)
        self.module.update(tree_map(gather, shards))
        try:
            return fn(*args, **kwargs)
        finally:
            self.module.update(shards)

    def __call__(self, *args, **kwargs):
        return self._with_full_parameters(self.module, *args, **kwargs)

    def as_linear(self, *args, **kwargs):
        """The wrapped module's ``as_linear`` (tied embeddings), with the whole
        parameters."""
        return self._with_full_parameters(self.module.as_linear, *args, **kwargs)


def fully_shard(module: Module, *, group: Optional["mx.distributed.Group"] = None,
                compute_dtype: Optional[mx.Dtype] = None) -> Module:
    """``module`` wrapped in a :class:`FullyShardedModule`; a group of one
    process has nothing to shard, and ``module`` is returned as it is."""
    group = _group(group)
    if group.size() == 1:
        return module
    return FullyShardedModule(module, group=group, compute_dtype=compute_dtype)
