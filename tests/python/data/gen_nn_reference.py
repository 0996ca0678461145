"""Writes nn_reference.npz: outputs of mlx.nn layers (MLX 0.32, CPU) for the
layer cases below, with the weights and inputs that produced them, so that
tests/python/test_nn_layers.py can load the same weights into ember.nn and
compare. Run with the oracle's interpreter:

    /tmp/oracle/bin/python tests/python/data/gen_nn_reference.py

CASES is shared with the test: each case is (name, constructor, inputs, call),
the constructor and call being expressions over ``nn``/``mx`` (and ``m``, the
layer, and the inputs by name) that read the same under either library.
Inputs are (shape, kind) with kind "f" (normal floats), "i<k>" (integers in
[0, k)), "mask" (an additive causal-style mask of shape (L, S)) or "bmask"
(a boolean one).
"""
import os

import numpy as np

CASES = [
    ("bilinear", "nn.Bilinear(3, 4, 5)", {"a": ((2, 3, 3), "f"), "b": ((2, 3, 4), "f")}, "m(a, b)"),
    ("bilinear_nobias", "nn.Bilinear(2, 2, 3, bias=False)", {"a": ((4, 2), "f"), "b": ((4, 2), "f")}, "m(a, b)"),
    ("embedding", "nn.Embedding(7, 3)", {"x": ((2, 4), "i7")}, "m(x)"),
    ("embedding_as_linear", "nn.Embedding(7, 3)", {"x": ((2, 3), "f")}, "m.as_linear(x)"),
    ("layer_norm", "nn.LayerNorm(6)", {"x": ((2, 3, 6), "f")}, "m(x)"),
    ("layer_norm_noaffine", "nn.LayerNorm(6, eps=1e-3, affine=False)", {"x": ((4, 6), "f")}, "m(x)"),
    ("rms_norm", "nn.RMSNorm(5)", {"x": ((3, 5), "f")}, "m(x)"),
    ("group_norm", "nn.GroupNorm(2, 6)", {"x": ((2, 3, 4, 6), "f")}, "m(x)"),
    ("group_norm_pt", "nn.GroupNorm(3, 6, pytorch_compatible=True)", {"x": ((2, 5, 6), "f")}, "m(x)"),
    ("instance_norm", "nn.InstanceNorm(4, affine=True)", {"x": ((2, 3, 5, 4), "f")}, "m(x)"),
    ("batch_norm_train", "nn.BatchNorm(4)", {"x": ((6, 5, 4), "f")}, "m(x)"),
    ("batch_norm_eval", "nn.BatchNorm(4)", {"x": ((6, 4), "f")}, "m.eval()(x)"),
    ("batch_norm_nostats", "nn.BatchNorm(3, affine=False, track_running_stats=False)",
     {"x": ((2, 3, 3, 3), "f")}, "m(x)"),
    ("maxpool1d", "nn.MaxPool1d(3, 2, 1)", {"x": ((2, 9, 3), "f")}, "m(x)"),
    ("maxpool2d", "nn.MaxPool2d((2, 3), (1, 2), (1, 0))", {"x": ((2, 5, 7, 3), "f")}, "m(x)"),
    ("maxpool3d", "nn.MaxPool3d(2)", {"x": ((1, 4, 5, 4, 2), "f")}, "m(x)"),
    ("avgpool1d", "nn.AvgPool1d(2)", {"x": ((2, 7, 3), "f")}, "m(x)"),
    ("avgpool2d", "nn.AvgPool2d(3, 2, 1)", {"x": ((2, 6, 7, 2), "f")}, "m(x)"),
    ("avgpool3d", "nn.AvgPool3d((1, 2, 3), 1)", {"x": ((1, 3, 4, 5, 2), "f")}, "m(x)"),
    ("upsample_nearest", "nn.Upsample((2, 1.5))", {"x": ((1, 3, 4, 2), "f")}, "m(x)"),
    ("upsample_linear", "nn.Upsample(2.5, mode='linear')", {"x": ((1, 3, 4, 2), "f")}, "m(x)"),
    ("upsample_linear_ac", "nn.Upsample(2, mode='linear', align_corners=True)",
     {"x": ((2, 3, 4, 1), "f")}, "m(x)"),
    ("upsample_cubic", "nn.Upsample((1.5, 2), mode='cubic')", {"x": ((1, 4, 3, 2), "f")}, "m(x)"),
    ("upsample_cubic_ac", "nn.Upsample(2, mode='cubic', align_corners=True)",
     {"x": ((1, 4, 2), "f")}, "m(x)"),
    ("upsample_cubic_aa", "nn.Upsample(0.5, mode='cubic', antialias=True)",
     {"x": ((1, 8, 6, 2), "f")}, "m(x)"),
    ("upsample_linear_aa", "nn.Upsample((0.4, 1.5), mode='linear', antialias=True)",
     {"x": ((1, 10, 4, 1), "f")}, "m(x)"),
    ("upsample_3d", "nn.Upsample(2, mode='linear')", {"x": ((1, 2, 3, 2, 1), "f")}, "m(x)"),
    ("rnn", "nn.RNN(3, 4)", {"x": ((2, 5, 3), "f")}, "m(x)"),
    ("rnn_hidden_relu", "nn.RNN(3, 4, bias=False, nonlinearity=nn.relu)",
     {"x": ((5, 3), "f"), "h": ((4,), "f")}, "m(x, h)"),
    ("gru", "nn.GRU(3, 4)", {"x": ((2, 5, 3), "f")}, "m(x)"),
    ("gru_hidden", "nn.GRU(3, 4)", {"x": ((2, 5, 3), "f"), "h": ((2, 4), "f")}, "m(x, h)"),
    ("gru_nobias", "nn.GRU(3, 2, bias=False)", {"x": ((4, 3), "f")}, "m(x)"),
    ("lstm", "nn.LSTM(3, 4)", {"x": ((2, 5, 3), "f")}, "m(x)"),
    ("lstm_state", "nn.LSTM(3, 4, bias=False)",
     {"x": ((2, 5, 3), "f"), "h": ((2, 4), "f"), "c": ((2, 4), "f")}, "m(x, h, c)"),
    ("mha", "nn.MultiHeadAttention(8, 2)", {"q": ((2, 3, 8), "f"), "k": ((2, 5, 8), "f")},
     "m(q, k, k)"),
    ("mha_mask_bias", "nn.MultiHeadAttention(8, 4, query_input_dims=6, key_input_dims=5, "
     "value_input_dims=3, value_dims=12, value_output_dims=7, bias=True)",
     {"q": ((2, 4, 6), "f"), "k": ((2, 4, 5), "f"), "v": ((2, 4, 3), "f"), "mask": ((4, 4), "mask")},
     "m(q, k, v, mask)"),
    ("mha_bool_mask", "nn.MultiHeadAttention(8, 2, bias=True)",
     {"q": ((2, 3, 8), "f"), "k": ((2, 5, 8), "f"), "mask": ((3, 5), "bmask")}, "m(q, k, k, mask)"),
    ("causal_mask", "nn.Identity()", {}, "nn.MultiHeadAttention.create_additive_causal_mask(4)"),
    ("encoder_layer", "nn.TransformerEncoderLayer(8, 2, mlp_dims=16)",
     {"x": ((2, 3, 8), "f"), "mask": ((3, 3), "mask")}, "m(x, mask)"),
    ("encoder_layer_post", "nn.TransformerEncoderLayer(8, 2, norm_first=False, activation=nn.gelu)",
     {"x": ((2, 3, 8), "f")}, "m(x, None)"),
    ("decoder", "nn.TransformerDecoder(2, 8, 2, mlp_dims=12)",
     {"x": ((2, 3, 8), "f"), "mem": ((2, 4, 8), "f"), "mask": ((3, 3), "mask")},
     "m(x, mem, mask, None)"),
    ("decoder_post", "nn.TransformerDecoderLayer(8, 4, norm_first=False)",
     {"x": ((2, 3, 8), "f"), "mem": ((2, 4, 8), "f")}, "m(x, mem, None, None)"),
    ("transformer", "nn.Transformer(8, 2, 1, 2, 16)",
     {"s": ((2, 4, 8), "f"), "t": ((2, 3, 8), "f"), "mask": ((3, 3), "mask")},
     "m(s, t, None, mask, None)"),
    ("rope", "nn.RoPE(8)", {"x": ((2, 3, 5, 8), "f")}, "m(x)"),
    ("rope_trad_offset", "nn.RoPE(6, traditional=True, base=100, scale=0.5)",
     {"x": ((2, 5, 10), "f")}, "m(x, offset=3)"),
    ("rope_partial", "nn.RoPE(4, scale=2.0)", {"x": ((1, 4, 7), "f")}, "m(x, 2)"),
    ("sinusoidal", "nn.SinusoidalPositionalEncoding(8)", {"x": ((2, 5), "f")}, "m(x)"),
    ("sinusoidal_cos", "nn.SinusoidalPositionalEncoding(6, min_freq=0.01, max_freq=2, "
     "scale=1, cos_first=True, full_turns=True)", {"x": ((7,), "f")}, "m(x)"),
    ("sinusoidal_2", "nn.SinusoidalPositionalEncoding(2)", {"x": ((3,), "f")}, "m(x)"),
    ("alibi", "nn.ALiBi()", {"s": ((2, 4, 3, 5), "f")}, "m(s)"),
    ("alibi_offset_mask", "nn.ALiBi()", {"s": ((1, 6, 2, 5), "f"), "mask": ((2, 5), "f")},
     "m(s, offset=3, mask=mask)"),
    ("alibi_slopes", "nn.Identity()", {}, "nn.ALiBi.create_alibi_slope(12)"),
    ("alibi_matrix", "nn.Identity()", {}, "nn.ALiBi.create_alibi_matrix(5, 4, 3, offset=1)"),
    ("prelu", "nn.PReLU(3, init=0.1)", {"x": ((4, 3), "f")}, "m(x)"),
    ("sequential", "nn.Sequential(nn.Linear(3, 4), nn.GELU(approx='tanh'), nn.Dropout(0.5), "
     "nn.Linear(4, 2, bias=False))", {"x": ((5, 3), "f")}, "m.eval()(x)"),
]

# conv cases need mx.conv*; the test skips them while ember.core lacks it
CONV_CASES = [
    ("conv1d", "nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2)", {"x": ((2, 9, 4), "f")}, "m(x)"),
    ("conv2d", "nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, dilation=2)",
     {"x": ((2, 8, 7, 3), "f")}, "m(x)"),
    ("conv3d", "nn.Conv3d(2, 3, 2, bias=False)", {"x": ((1, 4, 3, 5, 2), "f")}, "m(x)"),
    ("convt1d", "nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1)",
     {"x": ((2, 5, 3), "f")}, "m(x)"),
    ("convt2d", "nn.ConvTranspose2d(2, 3, (2, 3), stride=2, dilation=1)",
     {"x": ((1, 3, 4, 2), "f")}, "m(x)"),
    ("convt3d", "nn.ConvTranspose3d(2, 2, 2, stride=1, padding=0)",
     {"x": ((1, 2, 3, 2, 2), "f")}, "m(x)"),
]


def make_inputs(spec, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for name, (shape, kind) in spec.items():
        if kind == "f":
            out[name] = rng.normal(size=shape).astype(np.float32)
        elif kind.startswith("i"):
            out[name] = rng.integers(0, int(kind[1:]), size=shape).astype(np.int32)
        elif kind == "bmask":
            L, S = shape
            out[name] = np.arange(S)[None, :] <= np.arange(L)[:, None] + 1
        elif kind == "mask":
            L, S = shape
            out[name] = np.where(np.arange(S)[None, :] > np.arange(L)[:, None],
                                 np.float32(-1e9), np.float32(0))
    return out


def main():
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten

    data = {}
    for i, (name, ctor, spec, call) in enumerate(CASES + CONV_CASES):
        mx.random.seed(i)
        m = eval(ctor)
        inputs = make_inputs(spec, 1000 + i)
        for k, v in tree_flatten(m.parameters()):
            data[f"{name}/param/{k}"] = np.array(v)
        env = {"nn": nn, "mx": mx, "m": m, **{k: mx.array(v) for k, v in inputs.items()}}
        result = eval(call, env)
        for k, v in tree_flatten(result if isinstance(result, (list, tuple)) else [result]):
            data[f"{name}/out/{k}"] = np.array(v)
        for k, v in tree_flatten(m.parameters()):
            data[f"{name}/after/{k}"] = np.array(v)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_reference.npz")
    np.savez_compressed(path, **data)
    print(f"wrote {len(data)} arrays to {path}")


if __name__ == "__main__":
    main()
