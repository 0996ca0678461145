"""Training helpers over modules: value_and_grad with respect to a model's
trainable parameters, and gradient checkpointing of a module call."""
from functools import wraps
from typing import Callable, Optional

import ember.core as mx

from .layers.base import Module

__all__ = ["value_and_grad", "checkpoint", "average_gradients", "clip_grad_norm_sharded"]


def value_and_grad(model: Module, fn: Callable):
    """Wrap ``fn`` so that calling it returns ``(value, grads)``, where
    ``grads`` are the gradients of ``fn``'s (scalar) output with respect to
    ``model.trainable_parameters()``, a tree of the same structure.

    ``fn`` reads the parameters through ``model``; during the call the model
    holds the traced parameters, and afterwards its original arrays again.
    """
    def inner(params, *args, **kwargs):
        model.update(params)
        return fn(*args, **kwargs)

    value_grad = mx.value_and_grad(inner)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        params = model.trainable_parameters()
        try:
            return value_grad(params, *args, **kwargs)
        finally:
            model.update(params)

    return wrapped


def checkpoint(module: Module, fn: Optional[Callable] = None):
    """Wrap a call of ``module`` (``fn`` defaults to ``module.__call__``) in
    :func:`ember.core.checkpoint`, so that its intermediates are recomputed
    in the backward pass instead of kept, with gradients flowing to the
    module's trainable parameters."""
    if fn is None:
        fn = module.__call__

    def inner(params, *args, **kwargs):
        module.update(params)
        return fn(*args, **kwargs)

    checkpointed = mx.checkpoint(inner)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        params = module.trainable_parameters()
        try:
            return checkpointed(params, *args, **kwargs)
        finally:
            module.update(params)

    return wrapped


def average_gradients(gradients, group: Optional["mx.distributed.Group"] = None,
                      all_reduce_size: int = 32 * 1024**2, communication_stream=None):
    """Average the gradients across the distributed processes in ``group``.

    With one process (the only case this build can run) the average is the
    gradients themselves, returned unchanged, as mlx.nn does at size 1.

    Args:
        gradients (Any): The Python tree containing the gradients.
        group (Optional[Group]): The group of processes to average over
          (default: the global group).
        all_reduce_size (int): Group arrays into all-reduce calls of up to this
          many bytes (0 or less: one call per array). Unused at size 1.
        communication_stream (Optional[Stream]): The stream for the
          communication. Unused at size 1.
    """
    group = group if group is not None else mx.distributed.init()
    n = group.size()
    if n == 1:
        return gradients
    from ember.utils import tree_map
    return tree_map(lambda x: mx.distributed.all_sum(x, group=group) / n, gradients)


def clip_grad_norm_sharded(gradients, max_norm: float,
                           group: Optional["mx.distributed.Group"] = None):
    """:func:`ember.optimizers.clip_grad_norm` for gradients of which each
    member of ``group`` holds a shard (a module wrapped with
    :func:`ember.nn.fully_shard`): the squared norms of the shards are summed
    over the group before the norm is taken. Returns (clipped gradients, the
    global norm before clipping)."""
    from ..optimizers.optimizers import _clip_grad_norm
    group = group if group is not None else mx.distributed.init()
    return _clip_grad_norm(gradients, max_norm,
                           lambda sum_sq: mx.distributed.all_sum(sum_sq, group=group))
