"""Sequential: call a list of modules (or any callables) in order."""
from typing import Callable

from .base import Module


class Sequential(Module):
    """Apply ``modules`` one after the other: ``x -> m_n(...m_1(x))``.
    They are kept in ``self.layers`` (so their parameters are
    ``layers.0.weight`` and so on); plain callables may be mixed in."""

    def __init__(self, *modules: Callable):
        super().__init__()
        self.layers = list(modules)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
