"""ember.optimizers: the optimizers of mlx.optimizers, as thin Python over ember.core.

An optimizer keeps a state tree shaped like the parameter tree (one dict of
arrays per parameter) plus "step" (a uint64 counter) and one entry per
hyperparameter that may be scheduled ("learning_rate"). Subclasses say how to
start a parameter's state (init_single) and how to update one parameter
(apply_single); the base class walks the trees.
"""
import math
from typing import Callable, List, Optional, Tuple, Union

from .. import core as mx
from ..utils import tree_flatten, tree_map, tree_merge, tree_reduce, tree_unflatten

__all__ = [
    "Optimizer", "MultiOptimizer", "SGD", "RMSprop", "Adagrad", "AdaDelta", "Adam",
    "AdamW", "Adamax", "Lion", "Adafactor", "Muon", "clip_grad_norm",
]

Schedule = Union[float, mx.array, Callable[[mx.array], mx.array]]


def _fill_state(params, state):
    """Grows `state` to cover every node of `params` (empty dicts at leaves), keeping what it has."""
    if isinstance(params, dict):
        for key, sub in params.items():
            state[key] = _fill_state(sub, state[key]) if key in state else tree_map(lambda _: {}, sub)
        return state
    if isinstance(params, (list, tuple)):
        grown = [_fill_state(p, s) for p, s in zip(params, state)]
        grown.extend(tree_map(lambda _: {}, list(params[len(grown):])))
        return type(params)(grown)
    return state


class Optimizer:
    """The base class: per-parameter state, scheduled hyperparameters and the step counter."""

    def __init__(self, schedulers=None):
        self._initialized = False
        self._state = {"step": mx.array(0, mx.uint64)}
        self._schedulers = dict(schedulers or {})

    # -- the walk over trees
    def init(self, parameters: dict):
        """Creates the state of every parameter of the tree that has none yet."""
        self._state = _fill_state(parameters, self._state)

        def start(param, state):
            if not state:
                self.init_single(param, state)
            return state

        tree_map(start, parameters, self._state)
        self._initialized = True

    def init_single(self, parameter: mx.array, state: dict):
        raise NotImplementedError()

    def apply_gradients(self, gradients: dict, parameters: dict):
        """Returns the parameters after one step; the state (and step) advance in place."""
        if not self._initialized:
            self.init(gradients)
        for name, schedule in self._schedulers.items():
            self.state[name] = schedule(self.step)
        self.state["step"] = self.step + 1
        return tree_map(self.apply_single, gradients, parameters, self.state)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        raise NotImplementedError()

    def update(self, model, gradients: dict):
        """Applies gradients to a Module (anything with update(tree)) in place."""
        model.update(self.apply_gradients(gradients, model))

    # -- properties
    @property
    def state(self):
        return self._state

    @state.setter
    def state(self, state: dict):
        self._initialized = False
        self._state = state

    @property
    def step(self):
        return self.state["step"]

    @property
    def learning_rate(self):
        return self.state["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.state["learning_rate"] = mx.array(learning_rate)

    def _maybe_schedule(self, name: str, value: Schedule):
        """Stores a hyperparameter: a callable is a schedule of the step, anything else a constant."""
        if callable(value):
            self._schedulers[name] = value
            self.state[name] = value(self.step)
        else:
            self.state[name] = mx.array(value)


class MultiOptimizer(Optimizer):
    """Sends each parameter to the first optimizer whose filter(path, gradient) accepts it;
    the last optimizer takes the rest (it needs no filter)."""

    def __init__(self, optimizers, filters: list = []):
        super().__init__()
        self._state = {}
        if len(filters) != len(optimizers) - 1:
            raise ValueError(f"Given {len(filters)} filters but {len(optimizers) - 1} needed.")
        self.optimizers = optimizers
        self.filters = list(filters) + [lambda *args, **kwargs: True]

    def _split(self, tree: dict):
        if len(self.optimizers) == 1:
            return [tree]
        parts = [[] for _ in self.optimizers]
        for path, leaf in tree_flatten(tree):
            index = next(i for i, keep in enumerate(self.filters) if keep(path, leaf))
            parts[index].append((path, leaf))
        return [tree_unflatten(p) if p else {} for p in parts]

    def init(self, parameters: dict):
        for opt, part in zip(self.optimizers, self._split(parameters)):
            opt.init(part)

    def apply_gradients(self, gradients: dict, parameters: dict):
        merged = {}
        for opt, part in zip(self.optimizers, self._split(gradients)):
            merged = tree_merge(merged, opt.apply_gradients(part, parameters))
        return merged

    @property
    def state(self):
        return {"states": [opt.state for opt in self.optimizers]}

    @state.setter
    def state(self, state: dict):
        if "states" not in state or len(state["states"]) != len(self.optimizers):
            raise ValueError("Invalid state provided")
        for opt, sub in zip(self.optimizers, state["states"]):
            opt.state = sub

    @property
    def learning_rate(self):
        return self.optimizers[0].learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        for opt in self.optimizers:
            opt.learning_rate = learning_rate


def _check_betas(name, betas):
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name} beta{i + 1} should be in [0, 1), {beta} was provided instead")


class SGD(Optimizer):
    """Stochastic gradient descent: v = momentum*v + (1-dampening)*g; p -= lr*v
    (or lr*(g + momentum*v) with Nesterov), after g += weight_decay*p."""

    def __init__(self, learning_rate: Schedule, momentum: float = 0.0, weight_decay: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening.")
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.dampening = dampening
        self.nesterov = nesterov

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        if self.weight_decay != 0:
            gradient = gradient + self.weight_decay * parameter
        if self.momentum <= 0:
            return parameter - lr * gradient
        scale = (1 - self.dampening) if self.dampening > 0 else 1
        v = self.momentum * state.get("v") + (scale * gradient if scale != 1 else gradient)
        state["v"] = v
        direction = gradient + self.momentum * v if self.nesterov else v
        return parameter - lr * direction


class RMSprop(Optimizer):
    """v = alpha*v + (1-alpha)*g^2; p -= lr*g/(sqrt(v)+eps)."""

    def __init__(self, learning_rate: Schedule, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.alpha = alpha
        self.eps = eps
        if alpha < 0.0:
            raise ValueError(f"RMSprop alpha should be >=0, {alpha} was provided instead")
        if eps <= 0.0:
            raise ValueError(f"RMSprop epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        v = self.alpha * state["v"] + (1 - self.alpha) * mx.square(gradient)
        state["v"] = v
        return parameter - lr * gradient / (mx.sqrt(v) + self.eps)


class Adagrad(Optimizer):
    """v += g^2; p -= lr*g/(sqrt(v)+eps)."""

    def __init__(self, learning_rate: Schedule, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.eps = eps
        if eps <= 0.0:
            raise ValueError(f"Adagrad epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        v = state["v"] + mx.square(gradient)
        state["v"] = v
        return parameter - lr * gradient / (mx.sqrt(v) + self.eps)


class AdaDelta(Optimizer):
    """v = rho*v + (1-rho)*g^2; d = sqrt(u+eps)/sqrt(v+eps)*g; u = rho*u + (1-rho)*d^2; p -= lr*d."""

    def __init__(self, learning_rate: Schedule, rho: float = 0.9, eps: float = 1e-6):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.rho = rho
        self.eps = eps
        if rho < 0.0:
            raise ValueError(f"AdaDelta rho should be >=0, {rho} was provided instead")
        if eps <= 0.0:
            raise ValueError(f"AdaDelta epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)
        state["u"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        rho, eps = self.rho, self.eps
        v = rho * state["v"] + (1 - rho) * mx.square(gradient)
        d = mx.sqrt(state["u"] + eps) / mx.sqrt(v + eps) * gradient
        state["u"] = rho * state["u"] + (1 - rho) * mx.square(d)
        state["v"] = v
        return parameter - lr * d


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr*m/(sqrt(v)+eps), with
    m and v divided by (1-b^step) when bias_correction is set (off by default, as MLX)."""

    def __init__(self, learning_rate: Schedule, betas: List[float] = [0.9, 0.999], eps: float = 1e-8,
                 bias_correction: bool = False):
        super().__init__()
        _check_betas("Adam", betas)
        if not 0.0 <= eps:
            raise ValueError(f"Adam epsilon should be >=0, {eps} was provided instead")
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas = betas
        self.eps = eps
        self.bias_correction = bias_correction

    def init_single(self, parameter, state):
        state["m"] = mx.zeros_like(parameter)
        state["v"] = mx.zeros_like(parameter)

    def _moments(self, gradient, state):
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * gradient
        v = b2 * state["v"] + (1 - b2) * mx.square(gradient)
        state["m"], state["v"] = m, v
        return m, v

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        m, v = self._moments(gradient, state)
        if not self.bias_correction:
            return parameter - lr * m / (mx.sqrt(v) + self.eps)
        b1, b2 = self.betas
        step = self.step
        step_size = (lr / (1 - b1**step)).astype(gradient.dtype)
        inv_root = mx.rsqrt(1 - b2**step).astype(gradient.dtype)
        return parameter - step_size * m / (mx.sqrt(v) * inv_root + self.eps)


class AdamW(Adam):
    """Adam on parameters first shrunk by (1 - lr*weight_decay) (decoupled weight decay)."""

    def __init__(self, learning_rate: Schedule, betas: List[float] = [0.9, 0.999], eps: float = 1e-8,
                 weight_decay: float = 0.01, bias_correction: bool = False):
        super().__init__(learning_rate=learning_rate, betas=betas, eps=eps,
                         bias_correction=bias_correction)
        self.weight_decay = weight_decay

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        return super().apply_single(gradient, parameter * (1 - lr * self.weight_decay), state)


class Adamax(Adam):
    """m = b1*m + (1-b1)*g; v = max(b2*v, |g|); p -= lr*m/(v+eps)."""

    def __init__(self, learning_rate: Schedule, betas: List[float] = [0.9, 0.999], eps: float = 1e-8):
        super().__init__(learning_rate, betas, eps)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * gradient
        v = mx.maximum(b2 * state["v"], mx.abs(gradient))
        state["m"], state["v"] = m, v
        return parameter - lr * m / (v + self.eps)


class Lion(Optimizer):
    """p -= lr*sign(b1*m + (1-b1)*g) after p *= (1 - lr*weight_decay); m = b2*m + (1-b2)*g."""

    def __init__(self, learning_rate: Schedule, betas: List[float] = [0.9, 0.99],
                 weight_decay: float = 0.0):
        super().__init__()
        _check_betas("Lion", betas)
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas = betas
        self.weight_decay = weight_decay

    def init_single(self, parameter, state):
        state["m"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self.learning_rate.astype(gradient.dtype)
        b1, b2 = self.betas
        m = state["m"]
        direction = mx.sign(b1 * m + (1 - b1) * gradient)
        state["m"] = b2 * m + (1 - b2) * gradient
        if self.weight_decay > 0:
            parameter = (1 - lr * self.weight_decay) * parameter
        return parameter - lr * direction


def _rms(x):
    return mx.sqrt(mx.mean(mx.square(x)))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): the second moment of a matrix kept as its
    row and column means, relative step sizes scaled by the parameter's RMS."""

    def __init__(self, learning_rate: Optional[Schedule] = None, eps: Tuple[float, float] = (1e-30, 1e-3),
                 clip_threshold: float = 1.0, decay_rate: float = -0.8, beta_1: Optional[float] = None,
                 weight_decay: float = 0.0, scale_parameter: bool = True, relative_step: bool = True,
                 warmup_init: bool = False):
        super().__init__()
        if learning_rate is not None:
            self._maybe_schedule("learning_rate", learning_rate)
        self.eps = eps
        self.clip_threshold = clip_threshold
        self.decay_rate = decay_rate
        self.beta_1 = beta_1
        self.weight_decay = weight_decay
        self.scale_parameter = scale_parameter
        self.relative_step = relative_step
        self.warmup_init = warmup_init

    def init_single(self, parameter, state):
        shape, dtype = parameter.shape, parameter.dtype
        if parameter.ndim >= 2:
            state["exp_avg_sq_row"] = mx.zeros(shape[:-1], dtype=dtype)
            state["exp_avg_sq_col"] = mx.zeros(shape[:-2] + shape[-1:], dtype=dtype)
        else:
            state["exp_avg_sq"] = mx.zeros_like(parameter)
        if self.beta_1 is not None:
            state["exp_avg"] = mx.zeros_like(parameter)

    def _step_size(self, step, parameter_rms):
        if self.relative_step:
            floor = 1e-6 * step if self.warmup_init else 1e-2
            size = mx.minimum(floor, mx.rsqrt(step))
        else:
            size = self.learning_rate
        size = size.astype(parameter_rms.dtype)
        if self.scale_parameter:
            return mx.maximum(self.eps[1], parameter_rms) * size
        return size

    def apply_single(self, gradient, parameter, state):
        step = self.step
        parameter_rms = _rms(parameter)
        lr = self._step_size(step, parameter_rms)
        beta_2 = 1.0 - (step**self.decay_rate).astype(parameter_rms.dtype)
        g2 = mx.square(gradient) + self.eps[0]
        if gradient.ndim >= 2:
            row = beta_2 * state["exp_avg_sq_row"] + (1 - beta_2) * mx.mean(g2, axis=-1)
            col = beta_2 * state["exp_avg_sq_col"] + (1 - beta_2) * mx.mean(g2, axis=-2)
            state["exp_avg_sq_row"], state["exp_avg_sq_col"] = row, col
            row_factor = mx.rsqrt(row / mx.mean(row, axis=-1, keepdims=True))
            col_factor = mx.rsqrt(col)
            update = mx.expand_dims(row_factor, -1) * mx.expand_dims(col_factor, -2) * gradient
        else:
            avg = beta_2 * state["exp_avg_sq"] + (1 - beta_2) * g2
            state["exp_avg_sq"] = avg
            update = mx.rsqrt(avg) * gradient
        update = update / mx.maximum(1.0, _rms(update) / self.clip_threshold)
        update = lr * update
        if self.beta_1 is not None:
            update = self.beta_1 * state["exp_avg"] + (1 - self.beta_1) * update
            state["exp_avg"] = update
        if self.weight_decay != 0:
            parameter = parameter + parameter * (-self.weight_decay * lr)
        return parameter - update


def _orthogonalize(x, steps: int):
    """Newton-Schulz iteration (quintic, coefficients of Keller Jordan's Muon) towards
    the nearest semi-orthogonal matrix of a 2-D array."""
    if x.ndim != 2:
        raise ValueError(f"[Muon] Expected a 2D array for Newton-Schulz iteration, got shape {x.shape} instead.")
    a, b, c = 3.4445, -4.7750, 2.0315
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (mx.sqrt(mx.sum(mx.square(x), keepdims=True)) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        poly = b * gram + c * (gram @ gram)
        x = a * x + poly @ x
    return x.T if tall else x


class Muon(Optimizer):
    """Momentum whose update of each matrix is orthogonalised by Newton-Schulz
    (MomentUm Orthogonalized by Newton-schulz); vectors get plain momentum."""

    def __init__(self, learning_rate: Schedule, momentum: float = 0.95, weight_decay: float = 0.01,
                 nesterov: bool = True, ns_steps: int = 5):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.ns_steps = ns_steps

    def init_single(self, parameter, state):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        mu = self.momentum
        if self.weight_decay != 0:
            gradient = gradient + self.weight_decay * parameter
        v = mu * state["v"] + (1 - mu) * gradient
        state["v"] = v
        update = gradient * (1 - mu) + v * mu if self.nesterov else v
        lr = self.learning_rate.astype(gradient.dtype)
        if update.ndim >= 2:
            shape = update.shape
            flat = update.reshape(shape[0], -1) if update.ndim > 2 else update
            update = _orthogonalize(flat, self.ns_steps).reshape(shape)
            lr = lr * max(1, update.shape[-2] / update.shape[-1]) ** 0.5
        return parameter - lr * update


def clip_grad_norm(grads, max_norm):
    """Scales the gradient tree so that its global L2 norm is at most max_norm.
    Returns (clipped gradients, the norm before clipping)."""
    return _clip_grad_norm(grads, max_norm, lambda sum_sq: sum_sq)


def _clip_grad_norm(grads, max_norm, combine):
    """clip_grad_norm with the local sum of squares passed through combine
    (ember.nn.utils.clip_grad_norm_sharded sums it over a group)."""
    if max_norm < 0:
        raise ValueError(f"max_norm should be >=0, {max_norm} was provided instead")

    def sum_sq(g):
        if g.dtype == mx.float16:
            g = g.astype(mx.float32)
        return mx.sum(mx.square(g))

    total = mx.sqrt(combine(tree_reduce(lambda acc, g: acc + sum_sq(g), grads, 0.0)))
    factor = mx.minimum(max_norm / (total + 1e-6), 1.0)

    def scale(g):
        if mx.issubdtype(g.dtype, mx.floating):
            return (g * factor).astype(g.dtype)
        return g * factor

    return tree_map(scale, grads), total
