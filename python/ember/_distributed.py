"""ember.core.distributed: MLX's distributed API for one process.

This build has no communication back-end (MPI, ring, NCCL, JACCL), so
``init()`` returns the singleton group (rank 0 of 1), collectives are the
identity as in MLX's singleton group, and point-to-point calls raise MLX's
errors. ``is_available()`` is False for every back-end (see
docs/design-notes.md). Installed as ``ember.core.distributed`` by
``ember/__init__.py``."""
from . import core as _core

_BACKENDS = ("any", "mpi", "nccl", "jaccl", "ring")


class Group:
    """An :class:`ember.core.distributed.Group` represents a group of
    independent processes that can communicate. Here: always the singleton
    group."""

    def __new__(cls, *args, **kwargs):
        if not kwargs.pop("_internal", False):
            raise TypeError("ember.core.distributed.Group: no constructor defined!")
        return super().__new__(cls)

    def rank(self) -> int:
        """This process's rank in the group."""
        return 0

    def size(self) -> int:
        """The number of processes in the group."""
        return 1

    def split(self, color: int, key: int = -1) -> "Group":
        """Split the group to subgroups based on the provided color."""
        int(color), int(key)
        raise RuntimeError("Cannot split the distributed group further.")

    def __repr__(self):
        return "<ember.core.distributed.Group rank=0 size=1>"


Group.__module__ = "ember.core.distributed"
_WORLD = None


def _check_backend(backend):
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a str, not {type(backend).__name__}.")
    if backend not in _BACKENDS:
        raise ValueError(
            "[distributed] The only valid values for backend are 'any', 'mpi', "
            f"'nccl', 'jaccl' and 'ring' but '{backend}' was provided.")


def is_available(backend: str = "any") -> bool:
    """Whether a communication back-end is available: never in this build."""
    _check_backend(backend)
    return False


def init(strict: bool = False, backend: str = "any", *, all_gather_factory=None) -> Group:
    """Initialize the communication back-end and return the global group.

    Without a back-end this is the singleton group; ``strict=True`` raises
    RuntimeError as MLX does when no back-end can start."""
    global _WORLD
    _check_backend(backend)
    if strict:
        if backend == "any":
            raise RuntimeError("[distributed] Couldn't initialize any backend")
        raise RuntimeError(f"[distributed] The {backend} backend is not available in this build.")
    if _WORLD is None:
        _WORLD = Group(_internal=True)
    return _WORLD


def _group(group):
    if group is not None and not isinstance(group, Group):
        raise TypeError(f"group must be a Group or None, not {type(group).__name__}.")
    return group if group is not None else init()


def _array(x):
    if isinstance(x, _core.array):
        return x
    return _core.array(x)


def _collective(x, group, stream):
    _group(group)
    # The singleton group: every rank's contribution is x itself.
    return _array(x)


def all_sum(x, *, group=None, stream=None):
    """Sum-reduce x across the group (the identity for one process)."""
    return _collective(x, group, stream)


def all_max(x, *, group=None, stream=None):
    """Max-reduce x across the group (the identity for one process)."""
    return _collective(x, group, stream)


def all_min(x, *, group=None, stream=None):
    """Min-reduce x across the group (the identity for one process)."""
    return _collective(x, group, stream)


def all_gather(x, *, group=None, stream=None):
    """Concatenate every rank's x along axis 0 (x itself for one process)."""
    return _collective(x, group, stream)


def sum_scatter(x, *, group=None, stream=None):
    """Sum-reduce x and keep this rank's slice of axis 0 (x for one process)."""
    return _collective(x, group, stream)


def send(x, dst: int, *, group=None, stream=None):
    """Send x to rank dst: impossible in the singleton group."""
    _group(group)
    _array(x)
    raise ValueError("Cannot send to a singleton group")


def recv(shape, dtype, src: int, *, group=None, stream=None):
    """Receive an array from rank src: impossible in the singleton group."""
    _group(group)
    raise ValueError("Cannot recv from a singleton group")


def recv_like(x, src: int, *, group=None, stream=None):
    """Receive an array shaped like x from rank src: impossible here."""
    _group(group)
    _array(x)
    raise ValueError("Cannot recv from a singleton group")


__all__ = ["Group", "is_available", "init", "all_sum", "all_max", "all_min", "all_gather",
           "sum_scatter", "send", "recv", "recv_like"]
