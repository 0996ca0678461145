"""ember: a lazy NumPy-like array library with MLX's Python API.

``import ember.core as mx`` gives the array type and the ops, with MLX's
names, signatures and behaviour.
"""
from . import _reprlib_fix  # noqa: F401  (before anything prints arrays)
from . import core
from . import _distributed

# mlx.core.distributed is a submodule of the core; ours is Python (one process).
_distributed.__name__ = "ember.core.distributed"
core.distributed = _distributed
import sys as _sys
_sys.modules["ember.core.distributed"] = _distributed
del _sys

__version__ = core.__version__

__all__ = ["core", "__version__"]
