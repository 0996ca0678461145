"""ember.nn.losses against NumPy formulas: values, reductions, weights,
shapes, errors (MLX's messages) and gradients."""
import inspect
import math

import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn

L = nn.losses
RNG = np.random.default_rng(0)


def A(x, dtype=mx.float32):
    return mx.array(np.asarray(x), dtype=dtype)


def check(got, want, tol=1e-5):
    got = np.array(got)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def np_lse(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def reduce(x, r):
    return {"none": x, "mean": np.mean(x), "sum": np.sum(x)}[r]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy(reduction):
    logits = RNG.normal(size=(4, 5)).astype(np.float32)
    t = np.array([0, 3, 4, 1])
    want = np_lse(logits) - logits[np.arange(4), t]
    check(L.cross_entropy(A(logits), A(t, mx.int32), reduction=reduction), reduce(want, reduction))
    probs = np.eye(5)[t] * 0.7 + 0.06
    want_p = np_lse(logits) - (logits * probs).sum(-1)
    check(L.cross_entropy(A(logits), A(probs), reduction=reduction), reduce(want_p, reduction))
    ls = 0.2
    want_s = np_lse(logits) - (1 - ls) * logits[np.arange(4), t] - ls * logits.mean(-1)
    check(L.cross_entropy(A(logits), A(t, mx.int32), label_smoothing=ls, reduction=reduction),
          reduce(want_s, reduction))
    w = np.array([1.0, 0.5, 2.0, 0.0], dtype=np.float32)
    check(L.cross_entropy(A(logits), A(t, mx.int32), weights=A(w), reduction=reduction),
          reduce(want * w, reduction))


def test_cross_entropy_axis_and_errors():
    logits = RNG.normal(size=(3, 4, 2)).astype(np.float32)
    t = np.array([[0, 3], [1, 1], [2, 0]])
    want = np_lse(logits, 1) - np.take_along_axis(logits, t[:, None, :], 1)[:, 0]
    check(L.cross_entropy(A(logits), A(t, mx.int32), axis=1), want)
    a, ti = mx.ones((2, 3)), mx.array([0, 1])
    with pytest.raises(ValueError, match=r"Label smoothing must be in \[0, 1\), got 1.0."):
        L.cross_entropy(a, ti, label_smoothing=1.0)
    with pytest.raises(ValueError, match=r"Weights with shape \(3,\) is not the same as output "
                                         r"loss with shape \(2,\)."):
        L.cross_entropy(a, ti, weights=mx.ones(3))
    with pytest.raises(ValueError, match=r"Targets shape \(3,\) does not match logits shape"):
        L.cross_entropy(a, mx.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"Targets shape \(2, 4\) does not match logits shape"):
        L.cross_entropy(a, mx.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Invalid reduction. Must be one of \('none', 'mean', "
                                         r"'sum'\)."):
        L.cross_entropy(a, ti, reduction="bad")


def test_cross_entropy_gradient():
    logits = RNG.normal(size=(3, 4))
    t = mx.array([1, 0, 3])
    g = mx.grad(lambda x: L.cross_entropy(x, t, reduction="sum"))(A(logits, mx.float64))
    sm = np.exp(logits - np_lse(logits)[:, None])
    want = sm - np.eye(4)[[1, 0, 3]]
    check(g, want, 1e-10)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy(reduction):
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    y = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float32)
    want = np.logaddexp(0, x) - x * y
    check(L.binary_cross_entropy(A(x), A(y), reduction=reduction), reduce(want, reduction))
    p = 1 / (1 + np.exp(-x))
    want_p = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    check(L.binary_cross_entropy(A(p), A(y), with_logits=False, reduction=reduction),
          reduce(want_p, reduction), 1e-4)
    w = RNG.uniform(size=(3, 4)).astype(np.float32)
    check(L.binary_cross_entropy(A(x), A(y), weights=A(w), reduction=reduction),
          reduce(want * w, reduction))


def test_binary_cross_entropy_clips_logs():
    out = L.binary_cross_entropy(A([0.0, 1.0]), A([1.0, 0.0]), with_logits=False,
                                 reduction="none")
    check(out, [100.0, 100.0])
    assert L.binary_cross_entropy(A([0.5]), A([1.0])).shape == ()
    with pytest.raises(ValueError, match=r"Inputs shape \(2, 3\) does not match targets shape "
                                         r"\(2, 4\)."):
        L.binary_cross_entropy(mx.ones((2, 3)), mx.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Weights with shape \(2,\) is not the same"):
        L.binary_cross_entropy(mx.ones((2, 3)), mx.ones((2, 3)), weights=mx.ones(2))


P = RNG.normal(size=(3, 5)).astype(np.float32)
T = RNG.normal(size=(3, 5)).astype(np.float32)


def _huber(e, d):
    a = np.abs(e)
    return np.where(a <= d, 0.5 * a ** 2, d * (a - 0.5 * d))


ELEMENTWISE = {
    "mse_loss": (lambda r: L.mse_loss(A(P), A(T), reduction=r), (P - T) ** 2, "mean"),
    "l1_loss": (lambda r: L.l1_loss(A(P), A(T), reduction=r), np.abs(P - T), "mean"),
    "smooth_l1_loss": (lambda r: L.smooth_l1_loss(A(P), A(T), beta=0.8, reduction=r),
                       np.where(np.abs(P - T) < 0.8, 0.5 * (P - T) ** 2 / 0.8,
                                np.abs(P - T) - 0.4), "mean"),
    "huber_loss": (lambda r: L.huber_loss(A(P), A(T), delta=0.7, reduction=r),
                   _huber(P - T, 0.7), "none"),
    "log_cosh_loss": (lambda r: L.log_cosh_loss(A(P), A(T), reduction=r),
                      np.log(np.cosh(P - T)), "none"),
    "hinge_loss": (lambda r: L.hinge_loss(A(P), A(np.sign(T)), reduction=r),
                   np.maximum(1 - P * np.sign(T), 0), "none"),
    "gaussian_nll_loss": (lambda r: L.gaussian_nll_loss(A(P), A(T), A(np.abs(T) + 0.1),
                                                        reduction=r),
                          0.5 * (np.log(np.abs(T) + 0.1) + (T - P) ** 2 / (np.abs(T) + 0.1)),
                          "mean"),
    "gaussian_nll_loss_full": (lambda r: L.gaussian_nll_loss(A(P), A(T), A(np.abs(T) * 0), full=True,
                                                        eps=1e-2, reduction=r),
                          0.5 * (np.log(1e-2) + (T - P) ** 2 / 1e-2) + 0.5 * math.log(2 * math.pi),
                          "mean"),
    "margin_ranking_loss": (lambda r: L.margin_ranking_loss(A(P), A(T), A(np.sign(P)),
                                                            margin=0.3, reduction=r),
                            np.maximum(0, -np.sign(P) * (P - T) + 0.3), "none"),
    "kl_div_loss": (lambda r: L.kl_div_loss(A(P), A(T), reduction=r),
                    (np.exp(T) * (T - P)).sum(-1), "none"),
    "nll_loss": (lambda r: L.nll_loss(A(P), A([0, 4, 2], mx.int32), reduction=r),
                 -P[np.arange(3), [0, 4, 2]], "none"),
    "cosine_similarity_loss": (
        lambda r: L.cosine_similarity_loss(A(P), A(T), axis=1, reduction=r),
        (P * T).sum(1) / (np.linalg.norm(P, axis=1) * np.linalg.norm(T, axis=1)), "none"),
    "triplet_loss": (
        lambda r: L.triplet_loss(A(P), A(T), A(P[::-1].copy()), p=2, margin=0.5, reduction=r),
        np.maximum(np.sqrt(((P - T) ** 2).sum(-1) + 1e-6)
                   - np.sqrt(((P - P[::-1]) ** 2).sum(-1) + 1e-6) + 0.5, 0), "none"),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("reduction", [None, "none", "mean", "sum"])
def test_loss_values(name, reduction):
    fn, want, default = ELEMENTWISE[name]
    if reduction is None:  # the default reduction is MLX's
        sig = inspect.signature(getattr(L, name.replace("_full", "")))
        assert sig.parameters["reduction"].default == default
        reduction = default
    check(fn(reduction), reduce(want, reduction), 2e-5)


def test_shape_errors():
    a, b = mx.ones((2, 3)), mx.ones((2, 4))
    for f in (L.l1_loss, L.mse_loss, L.smooth_l1_loss):
        with pytest.raises(ValueError, match=r"Predictions shape \(2, 3\) does not match targets "
                                             r"shape \(2, 4\)."):
            f(a, b)
    with pytest.raises(ValueError, match=r"Inputs shape \(2, 3\) does not match targets shape"):
        L.gaussian_nll_loss(a, b, a)
    with pytest.raises(ValueError, match=r"Inputs shape \(2, 3\) does not match vars shape"):
        L.gaussian_nll_loss(a, a, b)
    with pytest.raises(ValueError, match=r"The shapes of the arguments do not match. The provided "
                                         r"shapes are inputs1.shape=\(2, 3\), inputs2.shape="
                                         r"\(2, 3\), and targets.shape=\(2, 4\)."):
        L.margin_ranking_loss(a, a, b)
    with pytest.raises(ValueError):
        L.hinge_loss(a, b)
    with pytest.raises(ValueError, match="Invalid reduction"):
        L.mse_loss(a, a, reduction="max")


def test_loss_gradients_finite_differences():
    p = RNG.normal(size=(2, 3))
    t = RNG.normal(size=(2, 3))
    fns = [lambda x: L.smooth_l1_loss(x, A(t, mx.float64), beta=0.5),
           lambda x: L.huber_loss(x, A(t, mx.float64), reduction="sum"),
           lambda x: L.log_cosh_loss(x, A(t, mx.float64), reduction="mean"),
           lambda x: L.binary_cross_entropy(x, A((t > 0) * 1.0, mx.float64)),
           lambda x: L.cosine_similarity_loss(x, A(t, mx.float64), reduction="sum"),
           lambda x: L.triplet_loss(x, A(t, mx.float64), A(t[::-1].copy(), mx.float64),
                                    reduction="sum"),
           lambda x: L.gaussian_nll_loss(A(t, mx.float64), x * 0 + A(t, mx.float64) + 1.0,
                                         mx.abs(x) + 0.5)]
    for f in fns:
        g = np.array(mx.grad(f)(A(p, mx.float64)))
        fd = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            for s in (1, -1):
                q = p.copy()
                q[idx] += s * 1e-6
                fd[idx] += s * f(A(q, mx.float64)).item() / 2e-6
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8)


def test_dtypes():
    h = mx.array(P, dtype=mx.float16)
    assert L.mse_loss(h, h).dtype == mx.float16
    assert L.cross_entropy(h, mx.array([0, 1, 2])).dtype == mx.float16
    assert L.Reduction.__args__ == ("none", "mean", "sum")
