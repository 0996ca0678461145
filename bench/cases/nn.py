"""Layers of the nn issue, forward only: a TransformerEncoderLayer (256 dims,
8 heads, batch 8 x 128 tokens, no mask), an LSTM (64 -> 128, batch 16, 32
steps) and Conv2d 16 -> 32 (3 x 3, padding 1) + ReLU + MaxPool2d(2) on 32 x 28
x 28 x 16. ember.nn and mlx.nn run the very same model code (the APIs match)
with the same weights (ember's initial ones, copied); PyTorch runs the conv
block (torch.nn.functional, weights transposed to OIHW, NCHW input, output
handed back as an NHWC view). NumPy has no layers; JAX has no nn module here
(no flax); PyTorch's encoder and LSTM lay out and initialise their weights
otherwise, so they have no column. The training step (value_and_grad, all
frameworks) is mlp.py's."""
import numpy as np

from bench.cases import Case

KINDS = {
    "encoder": ((8, 128, 256), "TransformerEncoderLayer 256d/8h, 8x128 tokens"),
    "lstm": ((16, 32, 64), "LSTM 64->128, 16 x 32 steps"),
    "conv_pool": ((32, 28, 28, 16), "Conv2d 16->32 3x3 + ReLU + MaxPool2d(2), 32x28x28x16"),
}
QUICK = {"lstm": (4, 16, 64), "conv_pool": (8, 28, 28, 16)}   # --quick times these two


def _build(nn, kind):
    if kind == "encoder":
        return nn.TransformerEncoderLayer(256, 8)
    if kind == "lstm":
        return nn.LSTM(64, 128)
    return nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))


def _setup(kind):
    def setup(fws, shape):
        case = CASE[kind]
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        weights = None
        out = {}
        if "ember" in fws:   # ember's initial weights, handed to the others
            import ember.nn as enn
            from ember.utils import tree_flatten
            fws["ember"].mod.random.seed(0)
            em_model = _build(enn, kind)
            weights = [(k, np.array(v)) for k, v in tree_flatten(em_model.parameters())]
        for name, fw in fws.items():
            if name in ("ember", "mlx"):
                if weights is None:
                    case.missing[name] = "no weights (ember not importable)"
                    continue
                if name == "ember":
                    model = em_model
                else:
                    import mlx.nn as mnn
                    model = _build(mnn, kind)
                    model.load_weights([(k, fw.mod.array(v)) for k, v in weights])
                X = fw.to(x)
                f = (lambda model=model, X=X: model(X, None)) if kind == "encoder" else \
                    (lambda model=model, X=X: model(X))
            elif name == "torch" and kind == "conv_pool" and weights is not None:
                t = fw.mod
                wd = dict(weights)
                W = fw.to(np.ascontiguousarray(wd["layers.0.weight"].transpose(0, 3, 1, 2)))
                B = fw.to(wd["layers.0.bias"])
                X = fw.to(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
                F = t.nn.functional

                def f(t=t, F=F, X=X, W=W, B=B):
                    with t.no_grad():
                        return F.max_pool2d(F.relu(F.conv2d(X, W, B, padding=1)), 2).permute(0, 2, 3, 1)
            else:
                case.missing[name] = {"numpy": "no layers", "jax": "no nn module (flax not installed)"}.get(
                    name, "weights laid out otherwise (not mapped)")
                continue
            out[name] = (lambda f=f, fw=fw: fw.force(f()), 1)
        return out
    return setup


CASE = {k: Case(f"nn_{k}", "nn", [shape], [QUICK[k]] if k in QUICK else [], _setup(k), unit="ns", plot=False,
                label=lambda s, k=k: KINDS[k][1] if s == KINDS[k][0] else f"{KINDS[k][1].split(',')[0]}, "
                f"input {'x'.join(map(str, s))}")
        for k, (shape, _) in KINDS.items()}
CASES = list(CASE.values())
