"""nn with the floating-point quantization modes: QuantizedLinear,
QuantizedEmbedding and nn.quantize(mode=...) against MLX 0.32 with shared
weights (data/quant_fp_mlx.npz), and QQLinear (its eval/train switch, its
outputs against MLX's, gradients to the weight in training mode)."""
import os

import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "quant_fp_mlx.npz"))
MODES = ["mxfp4", "mxfp8", "nvfp4"]


def close(a, ref, tol=1e-5):
    ref = np.asarray(ref, np.float64)
    np.testing.assert_allclose(np.asarray(a, np.float64), ref, rtol=tol, atol=tol * np.abs(ref).max())


def linear(bias=True):
    lin = nn.Linear(64, 32, bias=bias)
    lin.weight = mx.array(DATA["nn_W"])
    if bias:
        lin.bias = mx.array(DATA["nn_b"])
    return lin


@pytest.mark.parametrize("mode", MODES)
def test_quantized_linear_and_model_match_mlx(mode):
    x = mx.array(DATA["nn_x"])
    ql = nn.QuantizedLinear.from_linear(linear(), mode=mode)
    assert ql.scales.dtype == mx.uint8 and ql.get("biases") is None and ql.mode == mode
    close(np.array(ql(x)), DATA[f"nn_ql_{mode}"])
    model = nn.Sequential(linear(), nn.ReLU(), nn.Embedding(10, 64))
    model.layers[2].weight = mx.array(DATA["nn_W"][:10])
    nn.quantize(model, mode=mode)
    assert isinstance(model.layers[0], nn.QuantizedLinear)
    assert isinstance(model.layers[2], nn.QuantizedEmbedding)
    close(np.array(model.layers[1](model.layers[0](x))), DATA[f"nn_model_{mode}"])
    e = model.layers[2](mx.array([3, 0, 9]))
    close(np.array(e.astype(mx.float32)), DATA[f"nn_emb_{mode}"])
    close(np.array(model.layers[2].as_linear(x)), DATA[f"nn_emb_lin_{mode}"])


@pytest.mark.parametrize("mode", ["nvfp4", "mxfp8"])
def test_qqlinear(mode):
    x = mx.array(DATA["nn_x"])
    lin = linear(bias=False)
    qq = lin.to_quantized(mode=mode, quantize_input=True)
    assert isinstance(qq, nn.QQLinear) and qq.training and qq.weight.dtype == mx.float32
    gs = 16 if mode == "nvfp4" else 32
    assert (qq.group_size, qq.bits) == (gs, 4 if mode == "nvfp4" else 8)
    y_train = qq(x)
    qq.eval()
    assert qq.weight.dtype == mx.uint32 and qq.scales.dtype == mx.uint8
    np.testing.assert_array_equal(np.array(qq.scales), DATA[f"nn_qq_{mode}_scales"])
    close(np.array(qq(x[:1])), DATA[f"nn_qq_{mode}"], 1e-6)
    assert mx.array_equal(qq(x), y_train)
    assert repr(qq) == f"QQLinear(input_dims=64, output_dims=32, group_size={gs}, bits={qq.bits}, mode={mode})"
    qq.train()
    assert qq.weight.dtype == mx.bfloat16 and "scales" not in qq
    # training mode: the weight gets MLX's straight-through gradient
    xs = mx.array(np.random.default_rng(0).standard_normal((32, 64)).astype(np.float32))
    loss = lambda m, a: m(a).sum()
    _, g = nn.value_and_grad(qq, loss)(qq, xs)
    assert g["weight"].shape == (32, 64)
    # inside a model, train()/eval() reach it
    m = nn.Sequential(linear(bias=False), nn.ReLU())
    nn.quantize(m, mode=mode, quantize_input=True)
    assert isinstance(m.layers[0], nn.QQLinear)
    m.eval()
    assert m.layers[0].weight.dtype == mx.uint32


def test_qqlinear_errors():
    with pytest.raises(NotImplementedError, match="QQLinear does not support bias yet."):
        nn.QQLinear.from_linear(nn.Linear(64, 8))
    with pytest.raises(ValueError, match="Quantized activations are only supported for 'nvfp4' and 'mxfp8' "
                                         "modes, got mxfp4."):
        nn.Linear(64, 8, bias=False).to_quantized(mode="mxfp4", quantize_input=True)
    with pytest.raises(ValueError, match="Invalid quantization mode 'bad'"):
        nn.QQLinear(64, 8, mode="bad")
    with pytest.raises(ValueError, match="requires group size 16 but got 32"):
        nn.QQLinear(64, 8, group_size=32).eval()
