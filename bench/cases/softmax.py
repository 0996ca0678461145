"""softmax and logsumexp over the last axis of float32 matrices. NumPy has
neither: its column is the usual stable formula written with NumPy ops
(x - max, exp, sum). ember's softmax column is skipped while ember.core has
no softmax."""

from bench.cases import Case, per_framework, rng_f32, needs

SIZES = [(256, 1024), (1024, 1024), (4096, 4096)]
QUICK = [(256, 1024), (1024, 1024)]


def _np_softmax(np, x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_lse(np, x):
    m = x.max(axis=-1, keepdims=True)
    return (np.log(np.exp(x - m).sum(axis=-1, keepdims=True)) + m)[..., 0]


@needs("softmax")
def _mx_softmax(m, x):
    return m.softmax(x, axis=-1)


IMPLS = {
    "softmax": {"numpy": _np_softmax, "mx": _mx_softmax,
                "jax": lambda j, x: __import__("jax").nn.softmax(x, axis=-1),
                "torch": lambda t, x: t.softmax(x, dim=-1)},
    "logsumexp": {"numpy": _np_lse, "mx": lambda m, x: m.logsumexp(x, axis=-1),
                  "jax": lambda j, x: __import__("jax").nn.logsumexp(x, axis=-1),
                  "torch": lambda t, x: t.logsumexp(x, dim=-1)},
}


def _make(op, out_cols):
    def setup(fws, shape):
        return per_framework(case, fws, IMPLS[op], [rng_f32(shape, seed=3, lo=-4, hi=4)])
    # read the input once, write the output once
    case = Case(op, "softmax", SIZES, QUICK, setup,
                bytes_per=lambda s: 4 * s[0] * s[1] + 4 * s[0] * (s[1] if out_cols else 1),
                label=lambda s: f"{s[0]}x{s[1]}", unit="GB/s")
    return case


CASES = [_make("softmax", True), _make("logsumexp", False)]
