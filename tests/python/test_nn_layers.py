"""ember.nn layers against mlx.nn 0.32 (CPU) with identical weights and inputs
(tests/python/data/nn_reference.npz, written by gen_nn_reference.py), plus
shapes, parameter trees, modes, gradients through layers and errors."""
import os
import sys

import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn
from ember.utils import tree_flatten

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "data"))
from gen_nn_reference import CASES, CONV_CASES, make_inputs  # noqa: E402

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "nn_reference.npz"))
HAS_CONV = all(hasattr(mx, n) for n in ("conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                        "conv_transpose2d", "conv_transpose3d"))


def _entries(name, kind):
    head = f"{name}/{kind}/"
    return {k[len(head):]: REF[k] for k in REF.files if k.startswith(head)}


def _run_case(index, case):
    name, ctor, spec, call = case
    m = eval(ctor, {"nn": nn, "mx": mx})
    params = _entries(name, "param")
    assert sorted(k for k, _ in tree_flatten(m.parameters())) == sorted(params)
    m.load_weights([(k, mx.array(v)) for k, v in params.items()])
    inputs = make_inputs(spec, 1000 + index)
    env = {"nn": nn, "mx": mx, "m": m, **{k: mx.array(v) for k, v in inputs.items()}}
    result = eval(call, env)
    got = dict(tree_flatten(result if isinstance(result, (list, tuple)) else [result]))
    want = _entries(name, "out")
    assert want, name
    assert sorted(got) == sorted(want)
    for k, w in want.items():
        g = np.array(got[k])
        assert g.shape == w.shape and g.dtype == w.dtype, (name, k, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5, err_msg=f"{name} {k}")
    after = _entries(name, "after")
    for k, v in tree_flatten(m.parameters()):
        np.testing.assert_allclose(np.array(v), after[k], rtol=2e-5, atol=1e-6,
                                   err_msg=f"{name} {k} after")


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_layer_matches_mlx(index):
    _run_case(index, CASES[index])


@pytest.mark.skipif(not HAS_CONV, reason="ember.core has no conv ops yet")
@pytest.mark.parametrize("index", range(len(CONV_CASES)), ids=[c[0] for c in CONV_CASES])
def test_conv_layer_matches_mlx(index):
    _run_case(len(CASES) + index, CONV_CASES[index])


# -- activations against NumPy ---------------------------------------------------

def _np_softplus(x):
    return np.logaddexp(x, 0)


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_erf(x):
    from math import erf
    return np.vectorize(erf)(x)


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "relu2": (nn.relu2, lambda x: np.maximum(x, 0) ** 2),
    "relu6": (nn.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda x: nn.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    "celu": (lambda x: nn.celu(x, 2.0),
             lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0))),
    "selu": (nn.selu, lambda x: 1.0507 * np.where(x > 0, x, 1.67326 * np.expm1(x))),
    "gelu": (nn.gelu, lambda x: 0.5 * x * (1 + _np_erf(x / np.sqrt(2)))),
    "gelu_approx": (nn.gelu_approx, lambda x: 0.5 * x * (1 + np.tanh(
        np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "gelu_fast_approx": (nn.gelu_fast_approx, lambda x: x * _np_sigmoid(1.702 * x)),
    "silu": (nn.silu, lambda x: x * _np_sigmoid(x)),
    "sigmoid": (nn.sigmoid, _np_sigmoid),
    "tanh": (nn.tanh, np.tanh),
    "softmax": (nn.softmax, _np_softmax),
    "softmin": (nn.softmin, lambda x: _np_softmax(-x)),
    "log_softmax": (nn.log_softmax, lambda x: np.log(_np_softmax(x))),
    "log_sigmoid": (nn.log_sigmoid, lambda x: -_np_softplus(-x)),
    "softplus": (nn.softplus, _np_softplus),
    "softsign": (nn.softsign, lambda x: x / (1 + np.abs(x))),
    "softshrink": (lambda x: nn.softshrink(x, 0.7),
                   lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0))),
    "hard_shrink": (lambda x: nn.hard_shrink(x, 0.7), lambda x: np.where(np.abs(x) > 0.7, x, 0)),
    "hard_tanh": (lambda x: nn.hard_tanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    "hardswish": (nn.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "mish": (nn.mish, lambda x: x * np.tanh(_np_softplus(x))),
    "glu": (nn.glu, lambda x: x[..., :2] * _np_sigmoid(x[..., 2:])),
    "step": (lambda x: nn.step(x, 0.5), lambda x: (x >= 0.5).astype(np.int32)),
    "prelu": (lambda x: nn.prelu(x, mx.array([0.3, 0.1, -0.2, 2.0], dtype=x.dtype)),
              lambda x: np.maximum(x, 0) + np.array([0.3, 0.1, -0.2, 2.0]) * np.minimum(x, 0)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.float64])
def test_activation_values(name, dtype):
    fn, ref = ACTIVATIONS[name]
    x_np = np.linspace(-4, 4, 24).reshape(2, 3, 4)
    x_np[0, 0, :] = [-0.7, 0.7, 0.5, 0.0]  # thresholds
    y = fn(mx.array(x_np, dtype=dtype))
    want = ref(x_np)
    expected_dtype = mx.int32 if name == "step" else dtype
    assert y.dtype == expected_dtype and y.shape == want.shape
    tol = {mx.float16: 5e-3, mx.float32: 2e-6, mx.float64: 1e-12}[dtype]
    if name in ("selu",):
        tol = max(tol, 1e-6)
    np.testing.assert_allclose(np.array(y.astype(mx.float64)), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"step"}))
def test_activation_gradients(name):
    fn, _ = ACTIVATIONS[name]
    x_np = np.linspace(-3.1, 2.9, 12).reshape(3, 4)  # avoids the kinks
    x = mx.array(x_np, dtype=mx.float64)
    w = mx.array(np.cos(np.arange(x_np.size // (2 if name == "glu" else 1))).reshape(
        3, -1), dtype=mx.float64)
    g = mx.grad(lambda x: (fn(x) * w).sum())(x)
    eps = 1e-6
    fd = np.zeros_like(x_np)
    for idx in np.ndindex(x_np.shape):
        for s in (1, -1):
            xp = x_np.copy()
            xp[idx] += s * eps
            fd[idx] += s * (fn(mx.array(xp, dtype=mx.float64)) * w).sum().item() / (2 * eps)
    np.testing.assert_allclose(np.array(g), fd, rtol=1e-6, atol=1e-8)
    _, jv = mx.jvp(lambda x: fn(x), [x], [mx.ones_like(x)])
    assert jv[0].shape == fn(x).shape


def test_activation_dtypes_like_mlx():
    i = mx.array([-1, 2])
    assert nn.relu(i).dtype == mx.int32 and nn.relu2(i).dtype == mx.int32
    assert nn.relu6(i).dtype == mx.float32 and nn.leaky_relu(i).dtype == mx.float32
    assert nn.hard_shrink(i).dtype == mx.int32 and nn.softshrink(i).dtype == mx.float32
    assert nn.gelu(i).dtype == mx.float32 and nn.step(i).dtype == mx.int32
    np.testing.assert_array_equal(np.array(nn.relu6(mx.array([-1, 8]))), [0, 6])


def test_activation_modules():
    x = mx.array(np.linspace(-3, 3, 8).reshape(2, 4), dtype=mx.float32)
    pairs = [(nn.ReLU(), nn.relu), (nn.ReLU2(), nn.relu2), (nn.ReLU6(), nn.relu6),
             (nn.SELU(), nn.selu), (nn.SiLU(), nn.silu), (nn.Sigmoid(), nn.sigmoid),
             (nn.Tanh(), nn.tanh), (nn.Softmax(), nn.softmax), (nn.Softmin(), nn.softmin),
             (nn.LogSoftmax(), nn.log_softmax), (nn.LogSigmoid(), nn.log_sigmoid),
             (nn.Softplus(), nn.softplus), (nn.Softsign(), nn.softsign),
             (nn.HardTanh(), nn.hard_tanh), (nn.Hardswish(), nn.hardswish), (nn.Mish(), nn.mish),
             (nn.LeakyReLU(0.3), lambda x: nn.leaky_relu(x, 0.3)),
             (nn.ELU(0.5), lambda x: nn.elu(x, 0.5)), (nn.CELU(0.5), lambda x: nn.celu(x, 0.5)),
             (nn.GELU(), nn.gelu), (nn.GELU("precise"), nn.gelu_approx),
             (nn.GELU("tanh"), nn.gelu_approx), (nn.GELU("fast"), nn.gelu_fast_approx),
             (nn.GLU(0), lambda x: nn.glu(x, 0)), (nn.Step(0.5), lambda x: nn.step(x, 0.5)),
             (nn.Softshrink(0.2), lambda x: nn.softshrink(x, 0.2)),
             (nn.HardShrink(0.2), lambda x: nn.hard_shrink(x, 0.2))]
    for module, fn in pairs:
        assert module.parameters() == {}
        np.testing.assert_array_equal(np.array(module(x)), np.array(fn(x)))
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.GELU()) == "GELU()"
    p = nn.PReLU(2, init=0.5)
    np.testing.assert_array_equal(np.array(p.weight), [0.5, 0.5])
    with pytest.raises(ValueError, match="The approximation should be in"):
        nn.GELU("bad")


# -- layer behaviour -------------------------------------------------------------

def test_linear_shapes_and_init():
    mx.random.seed(3)
    lin = nn.Linear(50, 40)
    assert lin.weight.shape == (40, 50) and lin.bias.shape == (40,)
    w = np.array(lin.weight)
    assert np.abs(w).max() <= 1 / np.sqrt(50) + 1e-7 and w.std() > 0.1 / np.sqrt(50)
    x = mx.array(np.random.default_rng(0).normal(size=(2, 7, 50)).astype(np.float32))
    y = lin(x)
    np.testing.assert_allclose(np.array(y), np.array(x) @ w.T + np.array(lin.bias), rtol=1e-5,
                               atol=1e-5)
    assert "bias" not in nn.Linear(2, 3, bias=False)
    assert nn.Identity(1, 2, k=3)(x) is x


def test_dropout_train_eval():
    mx.random.seed(0)
    d = nn.Dropout(0.25)
    x = mx.ones((200, 100))
    y = np.array(d(x))
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert d.eval()(x) is x
    assert repr(nn.Dropout(0.2)).startswith("Dropout(p=0.")
    d2 = nn.Dropout2d(0.5)
    y2 = np.array(d2(mx.ones((4, 5, 6, 8))))
    assert (y2.std(axis=(1, 2)) == 0).all()  # whole channels
    d3 = nn.Dropout3d(0.5)
    y3 = np.array(d3(mx.ones((2, 3, 4, 5, 6))))
    assert (y3.std(axis=(1, 2, 3)) == 0).all()
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match=f"The dropout probability {bad} is not in"):
            nn.Dropout(bad)
    with pytest.raises(ValueError, match="Received input with 1 dimensions. Expected 3 or 4"):
        nn.Dropout2d()(mx.ones((3,)))
    with pytest.raises(ValueError, match="Expected 4 or 5 dimensions"):
        nn.Dropout3d()(mx.ones((3, 3, 3)))
    assert nn.Dropout(0.0)(x) is x


def test_batch_norm_modes_and_freeze():
    bn = nn.BatchNorm(3)
    assert sorted(bn.trainable_parameters()) == ["bias", "weight"]
    bn.unfreeze()
    assert sorted(bn.trainable_parameters()) == ["bias", "weight"]
    assert sorted(bn.parameters()) == ["bias", "running_mean", "running_var", "weight"]
    x = mx.array(np.random.default_rng(0).normal(2.0, 3.0, size=(64, 3)).astype(np.float32))
    for _ in range(3):
        bn(x)
    bn.eval()
    y = np.array(bn(x))
    rm, rv = np.array(bn.running_mean), np.array(bn.running_var)
    np.testing.assert_allclose(y, (np.array(x) - rm) / np.sqrt(rv + 1e-5), rtol=1e-5, atol=1e-5)
    for shape in [(3,), (2, 2, 2, 2, 3)]:
        with pytest.raises(ValueError, match="Expected input tensor to have 2, 3 or 4 dimensions"):
            nn.BatchNorm(3)(mx.ones(shape))


def test_norm_low_precision():
    x = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32)
    for layer in (nn.LayerNorm(16), nn.RMSNorm(16), nn.GroupNorm(4, 16), nn.InstanceNorm(16)):
        ref = np.array(layer(mx.array(x[:, None, :] if isinstance(layer, nn.InstanceNorm)
                                      else x)))
        layer.set_dtype(mx.float16)
        inp = mx.array(x[:, None, :] if isinstance(layer, nn.InstanceNorm) else x,
                       dtype=mx.float16)
        y = layer(inp)
        assert y.dtype == mx.float16
        np.testing.assert_allclose(np.array(y).astype(np.float32), ref, atol=1e-2, rtol=1e-2)


def test_pool_errors_and_repr():
    with pytest.raises(ValueError, match=r"\[MaxPool1d\] 'kernel_size' must be positive"):
        nn.MaxPool1d(0)
    with pytest.raises(ValueError, match=r"\[AvgPool2d\] 'stride' must be positive"):
        nn.AvgPool2d(2, 0)
    with pytest.raises(ValueError, match=r"\[MaxPool1d\] 'padding' must be non-negative"):
        nn.MaxPool1d(2, 1, -1)
    with pytest.raises(ValueError, match=r"\[MaxPool2d\] 'kernel_size' must be an integer or "
                                         "a tuple containing 2 integers"):
        nn.MaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match="at least 1 spatial dimension"):
        nn.MaxPool1d(2)(mx.ones((3,)))
    with pytest.raises(ValueError, match="the signal has 1 dims and the window shape has 2"):
        nn.MaxPool2d(2)(mx.ones((1, 3, 1)))
    assert nn.MaxPool1d(9)(mx.ones((1, 3, 1))).shape == (1, 0, 1)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.AvgPool1d(3, 1, 1)) == "AvgPool1d(kernel_size=(3,), stride=(1,), padding=(1,))"
    xi = mx.array([[[1], [5], [3]]], dtype=mx.int32)
    assert nn.MaxPool1d(2, 1, 1)(xi).dtype == mx.int32
    np.testing.assert_array_equal(np.array(nn.MaxPool1d(2, 1, 1)(xi)).ravel(), [1, 5, 5, 3])
    assert nn.AvgPool1d(2)(xi).dtype == mx.float32


def test_upsample_errors_and_dtypes():
    with pytest.raises(ValueError, match=r"\[Upsample\] Got unsupported upsampling algorithm: x"):
        nn.Upsample(2, mode="x")
    with pytest.raises(ValueError, match="One scale per spatial dimension is required"):
        nn.Upsample((2, 2))(mx.ones((1, 2, 1)))
    with pytest.raises(ValueError, match="it should be at least 3D but 1D was provided"):
        nn.Upsample(2)(mx.ones((2,)))
    with pytest.raises(ValueError, match="antialias=True with align_corners=True"):
        nn.Upsample(2, mode="linear", align_corners=True, antialias=True)(mx.ones((1, 2, 1)))
    xi = mx.ones((1, 2, 3, 1), dtype=mx.int32)
    assert nn.Upsample(2)(xi).dtype == mx.int32
    assert nn.Upsample(2, mode="linear")(xi).dtype == mx.float32
    assert repr(nn.Upsample(2)) == "Upsample(scale_factor=2.0, mode='nearest', align_corners=False)"


def test_misc_layer_errors_and_reprs():
    with pytest.raises(ValueError, match=r"divisible by the number of heads \(6 % 4\) != 0"):
        nn.MultiHeadAttention(6, 4)
    with pytest.raises(ValueError, match="dims must be positive and even but got 3"):
        nn.SinusoidalPositionalEncoding(3)
    with pytest.raises(ValueError, match="Nonlinearity must be callable"):
        nn.RNN(2, 3, nonlinearity=3)
    with pytest.raises(ValueError, match=r"\[rope\] Input must have at least 3 dimensions"):
        nn.RoPE(4)(mx.ones((2, 4)))
    assert repr(nn.Bilinear(2, 3, 4)) == \
        "Bilinear(input1_dims=2, input2_dims=3, output_dims=4, bias=True)"
    assert repr(nn.Embedding(5, 3)) == "Embedding(5, 3)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm(4, eps=1e-05, affine=True)"
    assert repr(nn.RMSNorm(4)) == "RMSNorm(4, eps=1e-05)"
    assert repr(nn.GroupNorm(2, 4)) == \
        "GroupNorm(2, 4, eps=1e-05, affine=True, pytorch_compatible=False)"
    assert repr(nn.InstanceNorm(4)) == "InstanceNorm(4, eps=1e-05, affine=False)"
    assert repr(nn.BatchNorm(4)) == \
        "BatchNorm(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(nn.GRU(2, 3)) == "GRU(input_dims=2, hidden_size=3, bias=True)"
    assert repr(nn.LSTM(2, 3, bias=False)) == "LSTM(input_dims=2, hidden_size=3, bias=False)"
    assert repr(nn.RoPE(4)) == "RoPE(4, traditional=False)"
    assert repr(nn.Conv2d(2, 4, (3, 2), stride=2, padding=1, groups=2)) == (
        "Conv2d(2, 4, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=1, "
        "groups=2, bias=True)")
    assert repr(nn.Conv1d(2, 4, 3)) == ("Conv1d(2, 4, kernel_size=3, stride=1, padding=0, "
                                        "dilation=1, groups=1, bias=True)")
    assert repr(nn.Conv3d(2, 4, 3)) == ("Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), "
                                        "padding=(0, 0, 0), dilation=1, bias=True)")
    assert repr(nn.ConvTranspose2d(2, 4, 3, output_padding=1, stride=2)) == (
        "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(0, 0), "
        "dilation=1, output_padding=(1, 1), bias=True)")
    with pytest.raises(ValueError, match=r"The number of input channels \(3\) must be divisible"):
        nn.Conv1d(3, 4, 2, groups=2)
    assert nn.Conv2d(2, 4, 3, groups=2).weight.shape == (4, 3, 3, 1)
    assert nn.ConvTranspose1d(2, 4, 3).weight.shape == (4, 3, 2)
    enc = nn.TransformerEncoder(2, 8, 2)
    assert [k for k, _ in tree_flatten(enc.children(), is_leaf=nn.Module.is_module)] == \
        ["layers.0", "layers.1", "ln"]


def _fd_check(f, x_np, rtol=1e-5, atol=1e-7):
    x = mx.array(x_np, dtype=mx.float64)
    w = mx.array(np.sin(np.arange(f(x).size)).reshape(f(x).shape), dtype=mx.float64)
    g = np.array(mx.grad(lambda x: (f(x) * w).sum())(x))
    eps = 1e-6
    fd = np.zeros_like(x_np)
    for idx in np.ndindex(x_np.shape):
        for s in (1, -1):
            xp = x_np.copy()
            xp[idx] += s * eps
            fd[idx] += s * (f(mx.array(xp, dtype=mx.float64)) * w).sum().item() / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=rtol, atol=atol)


@pytest.mark.parametrize("make", [
    lambda: nn.LayerNorm(4), lambda: nn.RMSNorm(4), lambda: nn.GroupNorm(2, 4),
    lambda: nn.InstanceNorm(4, affine=True), lambda: nn.BatchNorm(4),
    lambda: nn.MaxPool1d(2, 1), lambda: nn.AvgPool1d(3, 2, 1),
    lambda: nn.Upsample(1.5, mode="linear"), lambda: nn.Upsample(2, mode="cubic"),
    lambda: nn.GRU(4, 3), lambda: (lambda m: lambda x: m(x)[1])(nn.LSTM(4, 2)),
    lambda: (lambda m: lambda x: m(x, x, x))(nn.MultiHeadAttention(4, 2, bias=True)),
    lambda: (lambda m: lambda x: m(x, None))(nn.TransformerEncoderLayer(4, 2, 8)),
    lambda: nn.RoPE(4), lambda: (lambda m: lambda x: m(x, x))(nn.Bilinear(4, 4, 2)),
], ids=["layer_norm", "rms_norm", "group_norm", "instance_norm", "batch_norm", "maxpool",
        "avgpool", "upsample_linear", "upsample_cubic", "gru", "lstm", "mha", "encoder",
        "rope", "bilinear"])
def test_input_gradients_through_layers(make):
    mx.random.seed(0)
    layer = make()
    if isinstance(layer, nn.Module):
        layer.set_dtype(mx.float64)
    else:  # a closure over a module
        for cell in layer.__closure__:
            if isinstance(cell.cell_contents, nn.Module):
                cell.cell_contents.set_dtype(mx.float64)
    x_np = np.random.default_rng(1).normal(size=(2, 3, 4))
    _fd_check(layer, x_np)


def test_parameter_gradients_through_gru():
    mx.random.seed(0)
    m = nn.GRU(3, 2)
    m.set_dtype(mx.float64)
    x = mx.array(np.random.default_rng(2).normal(size=(2, 4, 3)), dtype=mx.float64)
    loss = lambda: m(x).sum()  # noqa: E731
    _, grads = nn.value_and_grad(m, loss)()
    eps = 1e-6
    for k, p in tree_flatten(m.parameters()):
        p_np = np.array(p)
        fd = np.zeros_like(p_np)
        for idx in np.ndindex(p_np.shape):
            for s in (1, -1):
                q = p_np.copy()
                q[idx] += s * eps
                m.load_weights([(k, mx.array(q, dtype=mx.float64))], strict=False)
                fd[idx] += s * loss().item() / (2 * eps)
        m.load_weights([(k, p)], strict=False)
        np.testing.assert_allclose(np.array(dict(tree_flatten(grads))[k]), fd, rtol=1e-6,
                                   atol=1e-8)


def test_vmap_over_layer_matches_loop():
    mx.random.seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.GELU())
    xs = mx.array(np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32))
    got = mx.vmap(m)(xs)
    want = mx.stack([m(xs[i]) for i in range(5)])
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-5, atol=1e-6)


def test_transformer_checkpoint_matches_plain():
    mx.random.seed(0)
    enc = nn.TransformerEncoder(2, 8, 2, checkpoint=False)
    x = mx.array(np.random.default_rng(0).normal(size=(2, 3, 8)).astype(np.float32))
    mask = nn.MultiHeadAttention.create_additive_causal_mask(3)
    loss = lambda: enc(x, mask).sum()  # noqa: E731
    v1, g1 = nn.value_and_grad(enc, loss)()
    enc.checkpoint = True
    v2, g2 = nn.value_and_grad(enc, loss)()
    np.testing.assert_allclose(v1.item(), v2.item(), rtol=1e-6)
    for (k1, a), (k2, b) in zip(tree_flatten(g1), tree_flatten(g2)):
        assert k1 == k2
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not HAS_CONV, reason="ember.core has no conv ops yet")
@pytest.mark.parametrize("make", [lambda: nn.Conv1d(4, 3, 2, stride=1, padding=1),
                                  lambda: nn.ConvTranspose1d(4, 2, 3, stride=2),
                                  lambda: nn.Sequential(nn.Conv1d(4, 4, 3, groups=2),
                                                        nn.MaxPool1d(2))],
                         ids=["conv1d", "conv_transpose1d", "conv_pool"])
def test_input_gradients_through_conv_layers(make):
    mx.random.seed(0)
    layer = make()
    layer.set_dtype(mx.float64)
    _fd_check(layer, np.random.default_rng(1).normal(size=(2, 5, 4)))


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="Last dimension of first input"):
        nn.Linear(3, 2)(mx.ones((2, 4)))
    with pytest.raises(ValueError, match="Indices must be integral"):
        nn.Embedding(3, 2)(mx.ones((2,)))
    with pytest.raises(ValueError):
        nn.LayerNorm(3)(mx.ones((2, 4)))
    with pytest.raises(ValueError):
        nn.MultiHeadAttention(4, 2)(mx.ones((1, 2, 4)), mx.ones((1, 3, 5)), mx.ones((1, 3, 4)))
    if HAS_CONV:
        with pytest.raises(ValueError, match=r"\[conv\]"):
            nn.Conv2d(3, 2, 3)(mx.ones((1, 5, 5, 4)))
