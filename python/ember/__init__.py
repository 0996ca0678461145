"""ember: a lazy NumPy-like array library with MLX's Python API.

``import ember.core as mx`` gives the array type and the ops, with MLX's
names, signatures and behaviour.
"""
from . import _reprlib_fix  # noqa: F401  (before anything prints arrays)
from . import core

__version__ = core.__version__

__all__ = ["core", "__version__"]
