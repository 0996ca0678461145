"""Loss functions. Each returns the per-element (or per-sample) loss, reduced
by ``reduction``: ``'none'``, ``'mean'`` or ``'sum'``."""
import math
from typing import Literal

import ember.core as mx

__all__ = ["Reduction", "binary_cross_entropy", "cosine_similarity_loss", "cross_entropy",
           "gaussian_nll_loss", "hinge_loss", "huber_loss", "kl_div_loss", "l1_loss",
           "log_cosh_loss", "margin_ranking_loss", "mse_loss", "nll_loss",
           "smooth_l1_loss", "triplet_loss"]

Reduction = Literal["none", "mean", "sum"]


def _reduce(loss: mx.array, reduction: Reduction = "none"):
    if reduction == "mean":
        return mx.mean(loss)
    if reduction == "sum":
        return mx.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError("Invalid reduction. Must be one of ('none', 'mean', 'sum').")


def _check_weights(weights, loss):
    if weights is None:
        return loss
    if weights.shape != loss.shape:
        raise ValueError(f"Weights with shape {weights.shape} is not the same as "
                         f"output loss with shape {loss.shape}.")
    return loss * weights


def _same_shape(a, b, what_a, what_b):
    if a.shape != b.shape:
        raise ValueError(f"{what_a} shape {a.shape} does not match {what_b} shape {b.shape}.")


def cross_entropy(logits: mx.array, targets: mx.array, weights: mx.array = None,
                  axis: int = -1, label_smoothing: float = 0.0,
                  reduction: Reduction = "none") -> mx.array:
    r"""Softmax cross-entropy from unnormalised ``logits``.

    ``targets`` are class indices (one dimension fewer than ``logits``) or
    class probabilities (same shape as ``logits``). ``label_smoothing`` in
    ``[0, 1)`` mixes the target with the uniform distribution; ``weights``
    (the shape of the unreduced loss) scale each term.
    """
    if label_smoothing < 0 or label_smoothing >= 1:
        raise ValueError(f"Label smoothing must be in [0, 1), got {label_smoothing}.")
    as_probs = targets.ndim == logits.ndim
    if as_probs:
        if targets.shape != logits.shape:
            raise ValueError(f"Targets shape {targets.shape} does not match logits shape "
                             f"{logits.shape}.")
        score = mx.sum(logits * targets, axis=axis)
    else:
        expected = list(logits.shape)
        ax = axis % logits.ndim if logits.ndim else 0
        if logits.ndim:
            expected.pop(ax)
        if list(targets.shape) != expected:
            raise ValueError(f"Targets shape {targets.shape} does not match logits shape "
                             f"{logits.shape}.")
        score = mx.take_along_axis(logits, mx.expand_dims(targets, axis), axis).squeeze(axis)
    lse = mx.logsumexp(logits, axis=axis)
    if label_smoothing > 0:
        loss = (lse - (1 - label_smoothing) * score
                - label_smoothing * mx.mean(logits, axis=axis))
    else:
        loss = lse - score
    return _reduce(_check_weights(weights, loss), reduction)


def binary_cross_entropy(inputs: mx.array, targets: mx.array, weights: mx.array = None,
                         with_logits: bool = True, reduction: Reduction = "mean") -> mx.array:
    r"""Binary cross-entropy of ``targets`` in [0, 1] under ``inputs``, logits
    by default or probabilities (``with_logits=False``, logs clipped at -100)."""
    _same_shape(inputs, targets, "Inputs", "targets")
    if with_logits:
        loss = mx.logaddexp(0.0, inputs) - inputs * targets
    else:
        log_p = mx.maximum(mx.log(inputs), -100)
        log_q = mx.maximum(mx.log(1 - inputs), -100)
        loss = -(targets * log_p + (1 - targets) * log_q)
    return _reduce(_check_weights(weights, loss), reduction)


def l1_loss(predictions: mx.array, targets: mx.array, reduction: Reduction = "mean") -> mx.array:
    """Absolute error :math:`|p - t|`."""
    _same_shape(predictions, targets, "Predictions", "targets")
    return _reduce(mx.abs(predictions - targets), reduction)


def mse_loss(predictions: mx.array, targets: mx.array, reduction: Reduction = "mean") -> mx.array:
    """Squared error :math:`(p - t)^2`."""
    _same_shape(predictions, targets, "Predictions", "targets")
    return _reduce(mx.square(predictions - targets), reduction)


def nll_loss(inputs: mx.array, targets: mx.array, axis: int = -1,
             reduction: Reduction = "none") -> mx.array:
    """Negative log-likelihood of class indices ``targets`` under
    log-probabilities ``inputs``."""
    loss = -mx.take_along_axis(inputs, mx.expand_dims(targets, -1), axis).squeeze(-1)
    return _reduce(loss, reduction)


def gaussian_nll_loss(inputs: mx.array, targets: mx.array, vars: mx.array,
                      full: bool = False, eps: float = 1e-6,
                      reduction: Reduction = "mean") -> mx.array:
    r"""Negative log-likelihood of ``targets`` under Gaussians of mean
    ``inputs`` and variance ``vars`` (clamped below at ``eps``):
    :math:`\tfrac12 (\log v + (t - \mu)^2 / v)`, plus :math:`\tfrac12
    \log 2\pi` when ``full``."""
    _same_shape(inputs, targets, "Inputs", "targets")
    _same_shape(inputs, vars, "Inputs", "vars")
    vars = mx.maximum(vars, eps)
    loss = 0.5 * (mx.log(vars) + mx.square(targets - inputs) / vars)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def kl_div_loss(inputs: mx.array, targets: mx.array, axis: int = -1,
                reduction: Reduction = "none") -> mx.array:
    r"""Kullback-Leibler divergence :math:`\sum e^t (t - x)` along ``axis``,
    with both ``inputs`` and ``targets`` log-probabilities."""
    loss = mx.sum(mx.exp(targets) * (targets - inputs), axis=axis)
    return _reduce(loss, reduction)


def smooth_l1_loss(predictions: mx.array, targets: mx.array, beta: float = 1.0,
                   reduction: Reduction = "mean") -> mx.array:
    r"""Quadratic :math:`\tfrac12 d^2/\beta` for :math:`d = |p - t| < \beta`,
    linear :math:`d - \beta/2` beyond."""
    _same_shape(predictions, targets, "Predictions", "targets")
    diff = mx.abs(predictions - targets)
    loss = mx.where(diff < beta, 0.5 * mx.square(diff) / beta, diff - 0.5 * beta)
    return _reduce(loss, reduction)


def triplet_loss(anchors: mx.array, positives: mx.array, negatives: mx.array,
                 axis: int = -1, p: int = 2, margin: float = 1.0, eps: float = 1e-6,
                 reduction: Reduction = "none") -> mx.array:
    r"""Triplet margin loss :math:`\max(d(a, p) - d(a, n) + \text{margin}, 0)`
    with :math:`d(u, v) = \sqrt{\sum (u - v)^p + \epsilon}` along ``axis``."""
    d_pos = mx.sqrt(mx.sum(mx.power(anchors - positives, p), axis=axis) + eps)
    d_neg = mx.sqrt(mx.sum(mx.power(anchors - negatives, p), axis=axis) + eps)
    return _reduce(mx.maximum(d_pos - d_neg + margin, 0), reduction)


def hinge_loss(inputs: mx.array, targets: mx.array, reduction: Reduction = "none") -> mx.array:
    r"""Hinge loss :math:`\max(1 - x t, 0)` for targets in {-1, 1}."""
    return _reduce(mx.maximum(1 - inputs * targets, 0), reduction)


def huber_loss(inputs: mx.array, targets: mx.array, delta: float = 1.0,
               reduction: Reduction = "none") -> mx.array:
    r"""Huber loss: :math:`\tfrac12 e^2` for :math:`|e| \le \delta`, else
    :math:`\delta (|e| - \tfrac12 \delta)`, with :math:`e = x - t`."""
    err = mx.abs(inputs - targets)
    quad = mx.minimum(err, delta)
    return _reduce(0.5 * mx.square(quad) + delta * (err - quad), reduction)


def log_cosh_loss(inputs: mx.array, targets: mx.array, reduction: Reduction = "none") -> mx.array:
    r""":math:`\log\cosh(x - t)`, computed stably."""
    err = inputs - targets
    return _reduce(mx.logaddexp(err, -err) - math.log(2), reduction)


def cosine_similarity_loss(x1: mx.array, x2: mx.array, axis: int = 1, eps: float = 1e-8,
                           reduction: Reduction = "none") -> mx.array:
    r"""Cosine similarity :math:`x_1 \cdot x_2 / \max(\|x_1\| \|x_2\|,
    \epsilon)` along ``axis``."""
    n1 = mx.sqrt(mx.sum(mx.square(x1), axis=axis))
    n2 = mx.sqrt(mx.sum(mx.square(x2), axis=axis))
    loss = mx.sum(x1 * x2, axis=axis) / mx.maximum(n1 * n2, eps)
    return _reduce(loss, reduction)


def margin_ranking_loss(inputs1: mx.array, inputs2: mx.array, targets: mx.array,
                        margin: float = 0.0, reduction: Reduction = "none") -> mx.array:
    r"""Ranking loss :math:`\max(0, -t (x_1 - x_2) + \text{margin})` for
    targets in {-1, 1}."""
    if not (inputs1.shape == inputs2.shape == targets.shape):
        raise ValueError(
            "The shapes of the arguments do not match. The provided shapes are "
            f"inputs1.shape={inputs1.shape}, inputs2.shape={inputs2.shape}, "
            f"and targets.shape={targets.shape}.")
    loss = mx.maximum(0, -targets * (inputs1 - inputs2) + margin)
    return _reduce(loss, reduction)
