"""ember.nn's quantized layers against mlx.nn's outputs on shared weights:
the quantized tensors are those of the packed-weight tests (bit-identical to
MLX's), so each layer is checked against NumPy on MLX's dequantized weights,
plus nn.quantize, to_quantized and the errors MLX raises."""
import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn


def deq(q, s, b, gs, bits):
    return np.array(mx.dequantize(q, s, b, gs, bits)).astype(np.float64)


@pytest.mark.parametrize("gs,bits", [(64, 4), (32, 8), (128, 2)])
def test_quantized_linear(gs, bits):
    lin = nn.Linear(256, 10)
    ql = lin.to_quantized(group_size=gs, bits=bits)
    assert isinstance(ql, nn.QuantizedLinear)
    assert (ql.group_size, ql.bits, ql.mode) == (gs, bits, "affine")
    q, s, b = mx.quantize(lin.weight, gs, bits)
    for got, want in zip((ql.weight, ql.scales, ql.biases), (q, s, b)):
        np.testing.assert_array_equal(np.array(got), np.array(want))
    x = np.random.default_rng(0).standard_normal((2, 3, 256)).astype(np.float32)
    y = np.array(ql(mx.array(x)))
    ref = x.astype(np.float64) @ deq(q, s, b, gs, bits).T + np.array(lin.bias)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    assert set(ql.trainable_parameters()) == {"bias"}
    assert set(ql.parameters()) == {"weight", "scales", "biases", "bias"}
    assert repr(ql) == (f"QuantizedLinear(input_dims=256, output_dims=10, bias=True, "
                        f"group_size={gs}, bits={bits}, mode=affine)")


def test_quantized_linear_defaults_and_no_bias():
    ql = nn.QuantizedLinear(128, 4, bias=False)
    assert ql.weight.shape == (4, 16) and ql.scales.shape == (4, 2) and "bias" not in ql
    assert ql(mx.zeros((5, 128))).shape == (5, 4)
    assert ql.trainable_parameters() == {}


def test_quantized_embedding():
    emb = nn.Embedding(20, 128)
    qe = emb.to_quantized(bits=8)
    assert isinstance(qe, nn.QuantizedEmbedding)
    q, s, b = mx.quantize(emb.weight, 64, 8)
    W = deq(q, s, b, 64, 8)
    ids = np.array([[0, 5, 19], [3, 3, 7]])
    np.testing.assert_allclose(np.array(qe(mx.array(ids))), W[ids], rtol=1e-6, atol=1e-6)
    x = np.random.default_rng(1).standard_normal((4, 128)).astype(np.float32)
    np.testing.assert_allclose(np.array(qe.as_linear(mx.array(x))), x @ W.T, rtol=1e-4, atol=1e-4)
    assert repr(qe) == "QuantizedEmbedding(20, 128, group_size=64, bits=8, mode=affine)"


def test_nn_quantize_model():
    model = nn.Sequential(nn.Embedding(10, 64), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8))
    nn.quantize(model, 32, 8, class_predicate=lambda p, m: isinstance(m, nn.Linear) and p != "layers.3")
    assert isinstance(model.layers[0], nn.Embedding)
    assert isinstance(model.layers[1], nn.QuantizedLinear) and model.layers[1].bits == 8
    assert isinstance(model.layers[3], nn.Linear)
    nn.quantize(model, class_predicate=lambda p, m: {"bits": 2, "group_size": 32} if p == "layers.3" else False)
    assert isinstance(model.layers[3], nn.QuantizedLinear) and model.layers[3].bits == 2
    nn.quantize(model)
    assert isinstance(model.layers[0], nn.QuantizedEmbedding)
    assert model(mx.array([1, 2])).shape == (2, 8)
    with pytest.raises(ValueError, match="Unable to quantize model of type"):
        nn.quantize(nn.Sequential(nn.ReLU()), class_predicate=lambda p, m: True)
    with pytest.raises(ValueError, match="must return a bool"):
        nn.quantize(nn.Sequential(nn.Linear(64, 2)), class_predicate=lambda p, m: 3)


def test_errors():
    with pytest.raises(ValueError, match="Invalid quantization mode 'bad'. Valid modes are: "
                                         "affine, mxfp4, nvfp4, mxfp8."):
        nn.QuantizedLinear(64, 8, mode="bad")
    with pytest.raises(ValueError, match="Quantized activations are only supported for 'nvfp4' "
                                         "and 'mxfp8' modes, got affine."):
        nn.Linear(64, 8).to_quantized(quantize_input=True)
    with pytest.raises(ValueError, match="Quantized input is not supported."):
        nn.Embedding(10, 64).to_quantized(quantize_input=True)
    with pytest.raises(ValueError, match="group size"):
        nn.Linear(48, 8).to_quantized()
