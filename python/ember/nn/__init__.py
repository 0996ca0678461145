"""ember.nn: neural-network layers, losses and initializers in Python over
ember.core, with mlx.nn's names and behaviour."""
from . import init, losses
from .layers import *  # noqa: F401,F403
from .utils import average_gradients, value_and_grad
