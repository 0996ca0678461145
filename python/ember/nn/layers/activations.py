"""Activation functions and their Module wrappers, written with ember.core ops
(so they differentiate, vmap and compile like any other composition)."""
import math

import ember.core as mx

from .base import Module


def _softmax(x, axis):
    if hasattr(mx, "softmax"):
        return mx.softmax(x, axis=axis)
    return mx.exp(x - mx.logsumexp(x, axis=axis, keepdims=True))


# -- functions ----------------------------------------------------------------

def sigmoid(x):
    r"""The logistic sigmoid :math:`1 / (1 + e^{-x})`."""
    return mx.sigmoid(x)


def relu(x):
    r"""Rectified linear unit :math:`\max(x, 0)`."""
    return mx.maximum(x, 0)


def relu2(x):
    r"""Squared ReLU :math:`\max(x, 0)^2`."""
    return mx.square(mx.maximum(x, 0))


def relu6(x):
    r"""ReLU clipped at 6: :math:`\min(\max(x, 0), 6)`."""
    return mx.minimum(mx.maximum(x, 0), 6.0)


def leaky_relu(x, negative_slope=0.01):
    r"""Leaky ReLU :math:`\max(\text{negative\_slope}\, x, x)`."""
    return mx.maximum(negative_slope * x, x)


def log_softmax(x, axis=-1):
    r"""Log of the softmax along ``axis``: :math:`x - \log\sum e^x`."""
    return x - mx.logsumexp(x, axis=axis, keepdims=True)


def elu(x, alpha=1.0):
    r"""Exponential linear unit: :math:`x` for :math:`x > 0`, else
    :math:`\alpha (e^x - 1)`."""
    return mx.where(x > 0, x, alpha * (mx.exp(x) - 1))


def softmax(x, axis=-1):
    r"""Softmax along ``axis``: :math:`e^{x_i} / \sum_j e^{x_j}`."""
    return _softmax(x, axis)


def softplus(x):
    r"""Softplus :math:`\log(1 + e^x)`, computed stably."""
    return mx.logaddexp(x, 0)


def softsign(x):
    r"""Softsign :math:`x / (1 + |x|)`."""
    return mx.divide(x, 1 + mx.abs(x))


def softshrink(x, lambd: float = 0.5):
    r"""Soft shrink: :math:`x - \lambda` above :math:`\lambda`, :math:`x +
    \lambda` below :math:`-\lambda`, 0 between."""
    return mx.where(mx.abs(x) > lambd, x - mx.sign(x) * lambd, 0)


def celu(x, alpha=1.0):
    r"""Continuously differentiable ELU: :math:`\max(0, x) + \min(0,
    \alpha (e^{x/\alpha} - 1))`."""
    return mx.maximum(x, 0.0) + alpha * (mx.exp(mx.minimum(x, 0.0) / alpha) - 1)


def silu(x):
    r"""Sigmoid linear unit (swish) :math:`x\, \sigma(x)`."""
    return x * mx.sigmoid(x)


def log_sigmoid(x):
    r"""Log of the sigmoid :math:`-\log(1 + e^{-x})`, computed stably."""
    return -softplus(-x)


def gelu(x) -> mx.array:
    r"""Gaussian error linear unit :math:`x\, \Phi(x)` with the exact normal
    CDF :math:`\Phi(x) = (1 + \mathrm{erf}(x/\sqrt 2)) / 2`."""
    return x * (1 + mx.erf(x / math.sqrt(2))) / 2


def gelu_approx(x):
    r"""GELU's tanh approximation :math:`\tfrac12 x (1 + \tanh(\sqrt{2/\pi}
    (x + 0.044715 x^3)))`."""
    return 0.5 * x * (1 + mx.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_fast_approx(x):
    r"""GELU's sigmoid approximation :math:`x\, \sigma(1.702 x)`."""
    return x * mx.sigmoid(1.702 * x)


def glu(x: mx.array, axis: int = -1) -> mx.array:
    r"""Gated linear unit: split ``x`` in halves :math:`a, b` along ``axis``
    and return :math:`a\, \sigma(b)`."""
    a, b = mx.split(x, indices_or_sections=2, axis=axis)
    return a * mx.sigmoid(b)


def step(x: mx.array, threshold: float = 0.0):
    r"""Binary step: 1 where :math:`x \ge \text{threshold}`, else 0 (int32)."""
    return mx.where(x >= threshold, 1, 0)


def selu(x):
    r"""Scaled ELU: :math:`\lambda\, \mathrm{elu}(x, \alpha)` with
    :math:`\lambda \approx 1.0507`, :math:`\alpha \approx 1.67326`."""
    return elu(x, 1.67326) * 1.0507


def prelu(x: mx.array, alpha: mx.array) -> mx.array:
    r"""Parametric ReLU :math:`\max(0, x) + \alpha \min(0, x)`."""
    return mx.maximum(0, x) + alpha * mx.minimum(0, x)


def mish(x: mx.array) -> mx.array:
    r"""Mish :math:`x \tanh(\mathrm{softplus}(x))`."""
    return x * mx.tanh(softplus(x))


def hardswish(x):
    r"""Hard swish :math:`x \min(\max(x + 3, 0), 6) / 6`."""
    return x * mx.minimum(mx.maximum(x + 3, 0), 6) / 6


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    r"""Clamp ``x`` to ``[min_val, max_val]``."""
    return mx.minimum(mx.maximum(x, min_val), max_val)


def hard_shrink(x, lambd=0.5):
    r"""Hard shrink: :math:`x` where :math:`|x| > \lambda`, else 0."""
    return mx.where(mx.abs(x) > lambd, x, 0)


def softmin(x, axis=-1):
    r"""Softmax of :math:`-x` along ``axis``."""
    return _softmax(-x, axis)


def tanh(x):
    r"""Hyperbolic tangent."""
    return mx.tanh(x)


# -- Module wrappers --------------------------------------------------------------

def _wrap(name, fn, doc):
    """A parameter-free Module class calling ``fn(x)``."""
    def __call__(self, x):
        return fn(x)
    return type(name, (Module,), {"__call__": __call__, "__doc__": doc,
                                  "__module__": __name__})


ReLU = _wrap("ReLU", relu, "Applies :func:`relu` element-wise.")
ReLU2 = _wrap("ReLU2", relu2, "Applies :func:`relu2` element-wise.")
ReLU6 = _wrap("ReLU6", relu6, "Applies :func:`relu6` element-wise.")
SELU = _wrap("SELU", selu, "Applies :func:`selu` element-wise.")
SiLU = _wrap("SiLU", silu, "Applies :func:`silu` element-wise.")
Sigmoid = _wrap("Sigmoid", sigmoid, "Applies :func:`sigmoid` element-wise.")
Tanh = _wrap("Tanh", tanh, "Applies :func:`tanh` element-wise.")
Softmax = _wrap("Softmax", softmax, "Applies :func:`softmax` over the last axis.")
Softmin = _wrap("Softmin", softmin, "Applies :func:`softmin` over the last axis.")
LogSoftmax = _wrap("LogSoftmax", log_softmax, "Applies :func:`log_softmax` over the last axis.")
LogSigmoid = _wrap("LogSigmoid", log_sigmoid, "Applies :func:`log_sigmoid` element-wise.")
Softplus = _wrap("Softplus", softplus, "Applies :func:`softplus` element-wise.")
Softsign = _wrap("Softsign", softsign, "Applies :func:`softsign` element-wise.")
HardTanh = _wrap("HardTanh", hard_tanh, "Applies :func:`hard_tanh` element-wise.")
Hardswish = _wrap("Hardswish", hardswish, "Applies :func:`hardswish` element-wise.")
Mish = _wrap("Mish", mish, "Applies :func:`mish` element-wise.")


class LeakyReLU(Module):
    """Applies :func:`leaky_relu` with a fixed ``negative_slope``."""

    def __init__(self, negative_slope=1e-2):
        super().__init__()
        self._negative_slope = negative_slope

    def __call__(self, x):
        return leaky_relu(x, self._negative_slope)


class ELU(Module):
    """Applies :func:`elu` with a fixed ``alpha``."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return elu(x, self._alpha)


class CELU(Module):
    """Applies :func:`celu` with a fixed ``alpha``."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return celu(x, self._alpha)


class PReLU(Module):
    """Applies :func:`prelu` with a learnable slope ``weight`` of
    ``num_parameters`` entries, initialised to ``init``."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = mx.full([num_parameters], init)

    def __call__(self, x: mx.array):
        return prelu(x, self.weight)


class GELU(Module):
    """Applies :func:`gelu` (``approx='none'``), :func:`gelu_approx`
    (``'precise'`` or ``'tanh'``) or :func:`gelu_fast_approx` (``'fast'``)."""

    def __init__(self, approx="none"):
        super().__init__()
        fns = {"none": gelu, "precise": gelu_approx, "tanh": gelu_approx,
               "fast": gelu_fast_approx}
        if approx not in fns:
            raise ValueError(f"The approximation should be in ['none', 'precise', "
                             f"'tanh', 'fast'] but '{approx}' was given")
        self._act = fns[approx]

    def __call__(self, x):
        return self._act(x)


class GLU(Module):
    """Applies :func:`glu` along ``axis``."""

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def __call__(self, x):
        return glu(x=x, axis=self.axis)


class Softshrink(Module):
    """Applies :func:`softshrink` with threshold ``lambd``."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return softshrink(x, self.lambd)


class HardShrink(Module):
    """Applies :func:`hard_shrink` with threshold ``lambd``."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return hard_shrink(x, self.lambd)


class Step(Module):
    """Applies :func:`step` at ``threshold``."""

    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold

    def __call__(self, x: mx.array):
        return step(x, self.threshold)
