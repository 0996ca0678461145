"""ember.optimizers: optimizers and learning-rate schedules with mlx.optimizers' API."""
from .optimizers import *  # noqa: F401,F403
from .schedulers import *  # noqa: F401,F403
from .optimizers import __all__ as _opt_all
from .schedulers import __all__ as _sched_all

__all__ = _opt_all + _sched_all
