"""Contractions and diagonals of the contract issue: einsum over several
subscripts (a matrix product, a batched one, attention scores, a row-wise
dot, a four-operand chain, a trace, a transpose), tensordot with axes=2, kron
and trace, and hadamard_transform. NumPy's einsum runs with optimize=True
(its best path, as ember's is greedy); NumPy and JAX have no Hadamard
transform: their column is `x @ H` with the scaled Sylvester matrix prebuilt
(only up to 4096 columns). PyTorch has none either."""
import numpy as np

from bench.cases import Case, per_framework

EINSUM = [
    ("ij,jk->ik", [(512, 512), (512, 512)], [(128, 128), (128, 128)]),
    ("bij,bjk->bik", [(64, 128, 128), (64, 128, 128)], [(8, 64, 64), (8, 64, 64)]),
    ("bhqd,bhkd->bhqk", [(4, 8, 256, 64), (4, 8, 256, 64)], [(1, 4, 64, 32), (1, 4, 64, 32)]),
    ("ij,ij->i", [(4096, 256), (4096, 256)], [(512, 256), (512, 256)]),
    ("abc,bcd,def,fa->", [(32, 48, 64), (48, 64, 40), (40, 50, 60), (60, 32)],
     [(8, 12, 16), (12, 16, 10), (10, 12, 14), (14, 8)]),
    ("ii->", [(4096, 4096)], [(512, 512)]),
    ("ij->ji", [(2048, 2048)], [(256, 256)]),
]


def _arrays(shapes, seed=0):
    r = np.random.default_rng(seed)
    return [r.standard_normal(s).astype(np.float32) for s in shapes]


def _sylvester(n):
    i = np.arange(n)
    bits = np.zeros((n, n), dtype=np.int64)
    a = i[:, None] & i[None, :]
    while a.any():
        bits += a & 1
        a >>= 1
    return (np.where(bits % 2 == 1, -1.0, 1.0) / np.sqrt(n)).astype(np.float32)


def _einsum_setup(fws, cfg):
    spec, shapes = cfg
    impls = {"numpy": lambda n, *a: n.einsum(spec, *a, optimize=True),
             "mx": lambda m, *a: m.einsum(spec, *a),
             "jax": lambda j, *a: j.einsum(spec, *a),
             "torch": lambda t, *a: t.einsum(spec, *a)}
    return per_framework(EINSUM_CASE, fws, impls, _arrays(shapes))


def _einsum_label(cfg):
    spec, shapes = cfg
    return f"{spec} " + ",".join("x".join(map(str, s)) for s in shapes)


EINSUM_CASE = Case("einsum", "contract", [(s, f) for s, f, _q in EINSUM], [(s, q) for s, _f, q in EINSUM if s == "bhqd,bhkd->bhqk"],
                   _einsum_setup, label=_einsum_label, unit="ns", plot=False)


def _simple(name, impls, full, quick, label):
    def setup(fws, shapes):
        return per_framework(case, fws, impls, _arrays(shapes))
    case = Case(name, "contract", full, quick, setup, label=label, unit="ns", plot=False)
    return case


def _shapes_label(shapes):
    return " x ".join("x".join(map(str, s)) for s in shapes)


def _had_setup(fws, shape):
    x = _arrays([shape])[0]
    n = shape[-1]
    h = _sylvester(n) if n <= 4096 else None
    impls = {"mx": lambda m, a: m.hadamard_transform(a),
             "numpy": (lambda n_, a: a @ h) if h is not None else "no Hadamard transform; H too large",
             "jax": (lambda j, a, H: a @ H) if h is not None else "no Hadamard transform; H too large",
             "torch": "no Hadamard transform"}
    out = per_framework(HADAMARD, fws, {k: v for k, v in impls.items() if k != "jax"}, [x])
    if "jax" in fws and h is not None:
        out.update(per_framework(HADAMARD, {"jax": fws["jax"]}, {"jax": impls["jax"]}, [x, h]))
    elif "jax" in fws:
        HADAMARD.missing["jax"] = impls["jax"]
    return out


HADAMARD = Case("hadamard_transform", "contract", [(4096, 1024), (16, 1 << 16)], [(512, 1024)], _had_setup,
                label=lambda s: f"{s[0]}x{s[1]}", bytes_per=lambda s: 8 * s[0] * s[1], unit="GB/s", plot=False)

CASES = [
    EINSUM_CASE,
    _simple("tensordot", {"numpy": lambda n, a, b: n.tensordot(a, b, axes=2),
                          "mx": lambda m, a, b: m.tensordot(a, b, axes=2),
                          "jax": lambda j, a, b: j.tensordot(a, b, axes=2),
                          "torch": lambda t, a, b: t.tensordot(a, b, dims=2)},
            [[(64, 32, 32), (32, 32, 64)]], [], _shapes_label),
    _simple("kron", {"numpy": lambda n, a, b: n.kron(a, b), "mx": lambda m, a, b: m.kron(a, b),
                     "jax": lambda j, a, b: j.kron(a, b), "torch": lambda t, a, b: t.kron(a, b)},
            [[(64, 64), (64, 64)]], [], _shapes_label),
    _simple("trace", {"numpy": lambda n, a: n.trace(a), "mx": lambda m, a: m.trace(a),
                      "jax": lambda j, a: j.trace(a), "torch": lambda t, a: t.trace(a)},
            [[(4096, 4096)]], [], _shapes_label),
    HADAMARD,
]
